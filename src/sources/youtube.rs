//! YouTube: the Data API v3 with the user's API key (`token_env`). One poll is a chain of pages:
//! `search.list` for videos matching `query` (newest first, `publishedAfter` the newest seen,
//! `nextPageToken` paging), then `commentThreads.list` with `searchTerms` on each channel of
//! `channels` and each video of `videos` (newest first, until the comments the last poll saw).
//! After the pages, `channels.list` (subscribers, as reach) and `videos.list` (views, likes and
//! comment counts, as engagement), 50 ids a request.
//!
//! The API's daily quota (10,000 units; a search costs 100, a list 1) resets at midnight Pacific
//! time. What a poll spent is carried from page to page (in a header overhear never sends,
//! [`CARRY`]), counted in the cursor per Pacific day and shown in the feed's health; a 403
//! `quotaExceeded` waits for the reset ([`quota_wait`]), not a backoff.

use super::{Ctx, Each, Page, RateLimit, Reply, Request, SourceError, endpoint, json_body, with_query};
use crate::model::{Engagement, FeedConfig, NewMention, Place};
use crate::text;
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use chrono_tz::America::Los_Angeles;
use serde::Deserialize;
use std::collections::HashMap;

const PUBLIC: &str = "https://www.googleapis.com";
/// The default daily quota of a project.
pub const DAILY_UNITS: i64 = 10_000;
const SEARCH_UNITS: i64 = 100;
const LIST_UNITS: i64 = 1;
const MAX_SEARCH_PAGES: u32 = 3;
/// Pages of one channel's or video's comment threads a poll reads, at most.
const MAX_THREAD_PAGES: u32 = 3;

/// Units spent today before a request (carried: [`super::CARRY`]).
const SPENT: &str = "x-overhear-spent";
const STEP: &str = "x-overhear-step";

/// The day the quota counts in: Pacific time's.
fn quota_day(now: DateTime<Utc>) -> NaiveDate {
    now.with_timezone(&Los_Angeles).date_naive()
}

/// When the quota resets: the next midnight in Pacific time.
pub fn quota_reset(now: DateTime<Utc>) -> DateTime<Utc> {
    let tomorrow = quota_day(now).succ_opt().unwrap_or(quota_day(now));
    Los_Angeles
        .from_local_datetime(&tomorrow.and_hms_opt(0, 0, 0).unwrap_or_default())
        .earliest()
        .map_or(now + chrono::Duration::hours(24), |t| t.with_timezone(&Utc))
}

/// Units spent today before this poll, from the cursor (another day's count is no count).
fn spent_before(ctx: &Ctx<'_>) -> i64 {
    let spent = ctx.cursor.and_then(|c| c.get("spent"));
    let day = spent.and_then(|s| s.get("day")).and_then(|d| d.as_str());
    match day {
        Some(d) if d == quota_day(ctx.now).to_string() => spent
            .and_then(|s| s.get("units"))
            .and_then(serde_json::Value::as_i64)
            .unwrap_or(0),
        _ => 0,
    }
}

/// The quota as a poll leaves it, `spent` units used today.
fn quota(now: DateTime<Utc>, spent: i64) -> RateLimit {
    RateLimit {
        limit: Some(DAILY_UNITS),
        remaining: Some((DAILY_UNITS - spent).max(0)),
        reset: Some(quota_reset(now)),
        note: Some(format!(
            "{spent} of {DAILY_UNITS} quota units used today, {} left (a search costs {SEARCH_UNITS}); resets at midnight Pacific",
            (DAILY_UNITS - spent).max(0)
        )),
    }
}

/// The `calls` a poll made after its pages (statistics look-ups, the threads of our replies),
/// a unit each, added to what its pages spent today.
pub fn charge(now: DateTime<Utc>, calls: usize, cursor: &mut Option<serde_json::Value>, rate: &mut Option<RateLimit>) {
    let Some(serde_json::Value::Object(c)) = cursor.as_mut() else {
        return;
    };
    let today = quota_day(now).to_string();
    let before = match c.get("spent") {
        Some(s) if s.get("day").and_then(|d| d.as_str()) == Some(today.as_str()) => {
            s.get("units").and_then(serde_json::Value::as_i64).unwrap_or(0)
        }
        _ => 0,
    };
    let spent = before.saturating_add(LIST_UNITS.saturating_mul(calls as i64));
    c.insert("spent".into(), serde_json::json!({ "day": today, "units": spent }));
    *rate = Some(quota(now, spent));
}

/// What a request carried: units spent today so far, before it.
fn carried(req: &Request, key: &str) -> Option<String> {
    req.headers.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone())
}

fn key<'a>(ctx: &'a Ctx<'a>) -> Result<&'a str, SourceError> {
    ctx.token.ok_or_else(|| {
        SourceError::Request("YouTube needs an API key: set `token_env` to the variable holding it".into())
    })
}

/// The comment threads a poll reads: `(parameter, id)` per channel and video listed.
fn targets(feed: &FeedConfig) -> Vec<(&'static str, String)> {
    feed.channels
        .iter()
        .map(|c| ("allThreadsRelatedToChannelId", c.clone()))
        .chain(feed.videos.iter().map(|v| ("videoId", v.clone())))
        .collect()
}

pub fn request(ctx: &Ctx<'_>) -> Result<Request, SourceError> {
    search_request(ctx, None, 1, spent_before(ctx))
}

/// A GET of the API's `path` with `pairs`, the key last.
fn get(ctx: &Ctx<'_>, path: &str, mut pairs: Vec<(&str, String)>) -> Result<Request, SourceError> {
    pairs.push(("key", key(ctx)?.to_string()));
    Ok(Request::get(with_query(endpoint(ctx.feed, PUBLIC, path)?, &pairs)).header("accept", "application/json"))
}

/// Page `page` of the video search (`page_token` names it after the first).
fn search_request(ctx: &Ctx<'_>, page_token: Option<&str>, page: u32, spent: i64) -> Result<Request, SourceError> {
    let mut pairs = vec![
        ("part", "snippet".to_string()),
        ("type", "video".to_string()),
        ("order", "date".to_string()),
        ("maxResults", "50".to_string()),
        ("q", ctx.feed.query.clone().unwrap_or_default()),
    ];
    if let Some(after) = ctx.cursor.and_then(|c| c.get("videos_after")).and_then(|v| v.as_str()) {
        pairs.push(("publishedAfter", after.to_string()));
    }
    if let Some(t) = page_token {
        pairs.push(("pageToken", t.to_string()));
    }
    Ok(get(ctx, "/youtube/v3/search", pairs)?
        .header(SPENT, spent.to_string())
        .header(STEP, format!("search:{page}")))
}

/// How many pages one poll reads at most: the search's, then each channel's and video's threads.
pub fn max_pages(feed: &FeedConfig) -> usize {
    MAX_SEARCH_PAGES as usize + MAX_THREAD_PAGES as usize * (feed.channels.len() + feed.videos.len())
}

/// Page `page` of the comment threads of target `i` (a channel's or a video's), searched for the
/// query (`page_token` names it after the first).
fn threads_request(
    ctx: &Ctx<'_>,
    i: usize,
    page_token: Option<&str>,
    page: u32,
    spent: i64,
) -> Result<Option<Request>, SourceError> {
    let Some((param, id)) = targets(ctx.feed).into_iter().nth(i) else {
        return Ok(None);
    };
    let mut pairs = vec![
        ("part", "snippet,replies".to_string()),
        (param, id),
        ("searchTerms", ctx.feed.query.clone().unwrap_or_default()),
        ("order", "time".to_string()),
        ("maxResults", "100".to_string()),
        ("textFormat", "plainText".to_string()),
    ];
    if let Some(t) = page_token {
        pairs.push(("pageToken", t.to_string()));
    }
    Ok(Some(
        get(ctx, "/youtube/v3/commentThreads", pairs)?
            .header(SPENT, spent.to_string())
            .header(STEP, format!("threads:{i}:{page}")),
    ))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SearchList {
    #[serde(default)]
    items: Each<SearchResult>,
    #[serde(default, deserialize_with = "super::lenient")]
    next_page_token: Option<String>,
}

#[derive(Deserialize)]
struct SearchResult {
    #[serde(default, deserialize_with = "super::lenient")]
    id: Option<ResourceId>,
    #[serde(default, deserialize_with = "super::lenient")]
    snippet: Option<VideoSnippet>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ResourceId {
    #[serde(default, deserialize_with = "super::lenient")]
    video_id: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct VideoSnippet {
    #[serde(default, deserialize_with = "super::lenient")]
    published_at: Option<String>,
    #[serde(default, deserialize_with = "super::lenient")]
    channel_id: Option<String>,
    #[serde(default, deserialize_with = "super::lenient")]
    title: Option<String>,
    #[serde(default, deserialize_with = "super::lenient")]
    description: Option<String>,
    #[serde(default, deserialize_with = "super::lenient")]
    channel_title: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ThreadList {
    #[serde(default)]
    items: Each<Thread>,
    #[serde(default, deserialize_with = "super::lenient")]
    next_page_token: Option<String>,
}

#[derive(Deserialize)]
struct Thread {
    #[serde(default, deserialize_with = "super::lenient")]
    id: Option<String>,
    #[serde(default, deserialize_with = "super::lenient")]
    snippet: Option<ThreadSnippet>,
    #[serde(default, deserialize_with = "super::lenient")]
    replies: Option<Replies>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ThreadSnippet {
    #[serde(default, deserialize_with = "super::lenient")]
    video_id: Option<String>,
    #[serde(default, deserialize_with = "super::lenient")]
    channel_id: Option<String>,
    #[serde(default, deserialize_with = "super::lenient")]
    top_level_comment: Option<Comment>,
    #[serde(default, deserialize_with = "super::lenient_count")]
    total_reply_count: Option<i64>,
}

#[derive(Deserialize)]
struct Replies {
    #[serde(default)]
    comments: Each<Comment>,
}

#[derive(Deserialize)]
struct Comment {
    #[serde(default, deserialize_with = "super::lenient")]
    id: Option<String>,
    #[serde(default, deserialize_with = "super::lenient")]
    snippet: Option<CommentSnippet>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CommentSnippet {
    #[serde(default, deserialize_with = "super::lenient")]
    author_display_name: Option<String>,
    #[serde(default, deserialize_with = "super::lenient")]
    author_channel_id: Option<ChannelRef>,
    #[serde(default, deserialize_with = "super::lenient")]
    video_id: Option<String>,
    #[serde(default, deserialize_with = "super::lenient")]
    channel_id: Option<String>,
    #[serde(default, deserialize_with = "super::lenient")]
    text_original: Option<String>,
    #[serde(default, deserialize_with = "super::lenient")]
    text_display: Option<String>,
    #[serde(default, deserialize_with = "super::lenient")]
    parent_id: Option<String>,
    #[serde(default, deserialize_with = "super::lenient_count")]
    like_count: Option<i64>,
    #[serde(default, deserialize_with = "super::lenient")]
    published_at: Option<String>,
}

#[derive(Deserialize)]
struct ChannelRef {
    #[serde(default, deserialize_with = "super::lenient")]
    value: Option<String>,
}

fn watch_url(video: &str) -> String {
    format!("https://www.youtube.com/watch?v={video}")
}

/// A video found by the search.
fn video(r: SearchResult) -> Option<NewMention> {
    let id = r.id?.video_id?;
    let s = r.snippet?;
    Some(NewMention {
        external_id: Some(id.clone()),
        url: Some(watch_url(&id)),
        author: s.channel_title.as_deref().map(text::strip_tags_inline),
        author_ref: s.channel_id.clone(),
        // The API writes titles and descriptions HTML-escaped.
        title: s.title.as_deref().map(text::strip_tags_inline),
        text: s
            .description
            .as_deref()
            .map(text::strip_tags_inline)
            .unwrap_or_default(),
        published_at: super::rfc3339(s.published_at.as_deref()),
        place: Place {
            links_to: None,
            parent: None,
            root: Some(id),
        },
        ..Default::default()
    })
}

/// Where a comment was written: on a video, or on a channel (its discussion).
#[derive(Clone, Copy)]
struct On<'a> {
    video: Option<&'a str>,
    channel: Option<&'a str>,
}

/// A comment: a top-level one answers its video (or channel), a reply its thread's first
/// comment.
fn comment(c: Comment, on: On<'_>, thread: Option<&str>, replies: Option<i64>) -> Option<NewMention> {
    let id = c.id?;
    let s = c.snippet?;
    let (root, url) = match (
        s.video_id.as_deref().or(on.video),
        s.channel_id.as_deref().or(on.channel),
    ) {
        (Some(v), _) => (v.to_string(), format!("{}&lc={id}", watch_url(v))),
        (None, Some(c)) => (c.to_string(), format!("https://www.youtube.com/channel/{c}?lc={id}")),
        (None, None) => return None,
    };
    let parent = s
        .parent_id
        .clone()
        .or_else(|| thread.filter(|t| *t != id).map(str::to_string));
    Some(NewMention {
        url: Some(url),
        external_id: Some(id),
        author: s.author_display_name.as_deref().map(text::strip_tags_inline),
        author_ref: s.author_channel_id.and_then(|c| c.value),
        title: None,
        text: s
            .text_original
            .or_else(|| s.text_display.as_deref().map(text::html_to_text))
            .unwrap_or_default(),
        published_at: super::rfc3339(s.published_at.as_deref()),
        engagement: Engagement {
            likes: s.like_count,
            replies,
            ..Default::default()
        },
        place: Place {
            links_to: None,
            parent: Some(parent.unwrap_or_else(|| root.clone())),
            root: Some(root),
        },
        ..Default::default()
    })
}

/// The newest of the mentions' times, as the API writes them.
fn newest(mentions: &[NewMention]) -> Option<String> {
    mentions
        .iter()
        .filter_map(|m| m.published_at)
        .max()
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
}

/// What one page of the chain yielded: its mentions, the next request, and the items it could
/// not read (how many, and the health's note).
struct Read {
    mentions: Vec<NewMention>,
    next: Option<Request>,
    skipped: usize,
    notes: Vec<String>,
}

/// A page of a target's comment threads (`step` is `threads:I:PAGE`).
fn read_threads(
    ctx: &Ctx<'_>,
    reply: &Reply<'_>,
    step: &str,
    spent: i64,
    cursor: &mut serde_json::Map<String, serde_json::Value>,
) -> Result<Read, SourceError> {
    let mut parts = step.split(':').skip(1);
    let i: usize = parts.next().and_then(|n| n.parse().ok()).unwrap_or(0);
    let page: u32 = parts.next().and_then(|n| n.parse().ok()).unwrap_or(1);
    let first_page = page == 1;
    let target_key = targets(ctx.feed)
        .get(i)
        .map(|(_, id)| format!("comments_after:{id}"))
        .unwrap_or_default();
    let seen = ctx
        .cursor
        .and_then(|c| c.get(&target_key))
        .and_then(|v| v.as_str())
        .and_then(|s| super::rfc3339(Some(s)));
    let list: ThreadList = json_body("YouTube comment threads", reply.body)?;
    let (skipped, notes) = list.items.said(("comment thread", "comment threads"));
    let mut mentions = Vec::new();
    let mut reached = false;
    for t in list.items {
        let Some(s) = t.snippet else { continue };
        let thread = t.id.clone();
        let on = On {
            video: s.video_id.as_deref(),
            channel: s.channel_id.as_deref(),
        };
        if let Some(top) = s.top_level_comment
            && let Some(m) = comment(top, on, thread.as_deref(), s.total_reply_count)
        {
            reached |= seen.is_some_and(|seen| m.published_at.is_some_and(|p| p <= seen));
            mentions.push(m);
        }
        for r in t.replies.map(|r| r.comments).unwrap_or_default() {
            mentions.extend(comment(r, on, thread.as_deref(), None));
        }
    }
    if first_page && let Some(n) = newest(&mentions) {
        cursor.insert(target_key, serde_json::json!(n));
    }
    // As for videos: a first poll reads the newest page only; a later one pages until it
    // reaches what it saw.
    let next = match list
        .next_page_token
        .as_deref()
        .filter(|_| seen.is_some() && !reached && page < MAX_THREAD_PAGES)
    {
        Some(token) => threads_request(ctx, i, Some(token), page + 1, spent)?,
        None => threads_request(ctx, i + 1, None, 1, spent)?,
    };
    Ok(Read {
        mentions,
        next,
        skipped,
        notes,
    })
}

/// A page of the video search (`step` is `search:PAGE`).
fn read_search(
    ctx: &Ctx<'_>,
    reply: &Reply<'_>,
    step: &str,
    spent: i64,
    cursor: &mut serde_json::Map<String, serde_json::Value>,
) -> Result<Read, SourceError> {
    let list: SearchList = json_body("YouTube search", reply.body)?;
    // A result without a video's id or snippet is one more that could not be read.
    let (mentions, skipped, notes) =
        list.items
            .read_each(("search result", "search results"), "without a video", video);
    if step == "search:1"
        && let Some(n) = newest(&mentions)
    {
        cursor.insert("videos_after".into(), serde_json::json!(n));
    }
    // More pages on a first poll are the past: only a later poll, all of whose first page is
    // new, reads further.
    let more = ctx.cursor.and_then(|c| c.get("videos_after")).is_some() && !mentions.is_empty();
    let page: u32 = step.strip_prefix("search:").and_then(|n| n.parse().ok()).unwrap_or(1);
    let next = match list
        .next_page_token
        .as_deref()
        .filter(|_| more && page < MAX_SEARCH_PAGES)
    {
        Some(token) => Some(search_request(ctx, Some(token), page + 1, spent)?),
        None => threads_request(ctx, 0, None, 1, spent)?,
    };
    Ok(Read {
        mentions,
        next,
        skipped,
        notes,
    })
}

pub fn parse(ctx: &Ctx<'_>, req: &Request, reply: &Reply<'_>) -> Result<Page, SourceError> {
    let before: i64 = carried(req, SPENT)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| spent_before(ctx));
    let step = carried(req, STEP).unwrap_or_else(|| "search:1".into());
    let threads = req.url.path().ends_with("/commentThreads");
    let spent = before + if threads { LIST_UNITS } else { SEARCH_UNITS };
    let mut cursor = serde_json::Map::new();
    let Read {
        mentions,
        next,
        skipped,
        notes,
    } = if threads {
        read_threads(ctx, reply, &step, spent, &mut cursor)?
    } else {
        read_search(ctx, reply, &step, spent, &mut cursor)?
    };
    // The last page of the chain says what the poll spent (the poller keeps, of each cursor key,
    // the first page's value: only the last page writes this one).
    if next.is_none() {
        cursor.insert(
            "spent".into(),
            serde_json::json!({ "day": quota_day(ctx.now).to_string(), "units": spent }),
        );
    }
    Ok(Page {
        mentions,
        cursor: Some(serde_json::Value::Object(cursor)),
        next,
        rate: Some(quota(ctx.now, spent)),
        wait: None,
        notes,
        skipped,
    })
}

/// The thread around a mention: a comment's thread (its top-level comment and replies), or a
/// video's threads.
pub fn thread_request(ctx: &Ctx<'_>, of: &crate::model::ThreadOf) -> Result<Option<Request>, SourceError> {
    let Some(id) = of.external_id.as_deref() else {
        return Ok(None);
    };
    let comment = of.url.as_deref().is_some_and(|u| u.contains("lc="));
    let target = if comment {
        // A reply's id is its thread's, a dot, then its own.
        ("id", id.split_once('.').map_or(id, |(t, _)| t).to_string())
    } else {
        ("videoId", id.to_string())
    };
    let pairs = vec![
        ("part", "snippet,replies".to_string()),
        (target.0, target.1),
        ("maxResults", "50".to_string()),
        ("textFormat", "plainText".to_string()),
    ];
    get(ctx, "/youtube/v3/commentThreads", pairs).map(Some)
}

/// A comment's thread carries five of its replies at most: all of them (100 a page, the first
/// page) are asked by `comments.list` with the thread's id as their parent.
pub fn thread_more(ctx: &Ctx<'_>, of: &crate::model::ThreadOf) -> Result<Vec<Request>, SourceError> {
    let (Some(id), true) = (
        of.external_id.as_deref(),
        of.url.as_deref().is_some_and(|u| u.contains("lc=")),
    ) else {
        return Ok(Vec::new());
    };
    let thread = id.split_once('.').map_or(id, |(t, _)| t).to_string();
    let pairs = vec![
        ("part", "snippet".to_string()),
        ("parentId", thread),
        ("maxResults", "100".to_string()),
        ("textFormat", "plainText".to_string()),
    ];
    Ok(vec![get(ctx, "/youtube/v3/comments", pairs)?])
}

/// A thread's comments in the order YouTube shows them: its first comment, then its replies
/// oldest first.
pub fn in_thread_order(nodes: &mut [super::thread::Node]) {
    let firsts: std::collections::HashSet<String> = nodes.iter().filter_map(|n| n.parent.clone()).collect();
    nodes.sort_by_key(|n| (!firsts.contains(&n.id), n.post.published_at));
}

/// The replies of an answer to [`thread_more`], under the comment they answer, on `video`.
#[derive(Deserialize)]
struct CommentList {
    #[serde(default)]
    items: Each<Comment>,
}

/// The comments of an answer to [`thread_request`] (each thread's first comment answers its
/// video, its replies the first comment), or to [`thread_more`] (replies, on `video`).
pub fn thread_nodes(reply: &Reply<'_>, video: Option<&str>) -> Result<Vec<super::thread::Node>, SourceError> {
    let kind: Option<String> = serde_json::from_slice::<serde_json::Value>(reply.body)
        .ok()
        .and_then(|v| v.get("kind")?.as_str().map(str::to_string));
    if kind.as_deref() == Some("youtube#commentListResponse") {
        let list: CommentList = json_body("YouTube comments", reply.body)?;
        let on = On { video, channel: None };
        return Ok(list
            .items
            .into_iter()
            .filter_map(|c| comment(c, on, None, None))
            .filter_map(super::thread::Node::of)
            .collect());
    }
    let list: ThreadList = json_body("YouTube comment threads", reply.body)?;
    let mut out = Vec::new();
    for t in list.items {
        let Some(s) = t.snippet else { continue };
        let thread = t.id.clone();
        let on = On {
            video: s.video_id.as_deref(),
            channel: s.channel_id.as_deref(),
        };
        let comments = s
            .top_level_comment
            .into_iter()
            .chain(t.replies.map(|r| r.comments).unwrap_or_default());
        for c in comments {
            out.extend(comment(c, on, thread.as_deref(), None).and_then(super::thread::Node::of));
        }
    }
    Ok(out)
}

/// `channels.list` (subscribers) and `videos.list` (statistics) for what the poll found, 50 ids
/// a request.
pub fn reach_requests(ctx: &Ctx<'_>, mentions: &[NewMention]) -> Result<Vec<Request>, SourceError> {
    let mut channels: Vec<&str> = mentions.iter().filter_map(|m| m.author_ref.as_deref()).collect();
    channels.sort_unstable();
    channels.dedup();
    let mut videos: Vec<&str> = mentions
        .iter()
        .filter(|m| m.place.parent.is_none())
        .filter_map(|m| m.external_id.as_deref())
        .collect();
    videos.sort_unstable();
    videos.dedup();
    let key = key(ctx)?;
    let mut out = Vec::new();
    for (path, part, ids) in [
        ("/youtube/v3/channels", "statistics", channels),
        ("/youtube/v3/videos", "statistics", videos),
    ] {
        for batch in ids.chunks(50) {
            out.push(Request::get(with_query(
                endpoint(ctx.feed, PUBLIC, path)?,
                &[
                    ("part", part.to_string()),
                    ("id", batch.join(",")),
                    ("maxResults", "50".to_string()),
                    ("key", key.to_string()),
                ],
            )));
        }
    }
    Ok(out)
}

#[derive(Deserialize)]
struct StatList {
    #[serde(default, deserialize_with = "super::lenient")]
    kind: Option<String>,
    #[serde(default)]
    items: Vec<StatItem>,
}

#[derive(Deserialize)]
struct StatItem {
    #[serde(default, deserialize_with = "super::lenient")]
    id: Option<String>,
    statistics: Option<HashMap<String, serde_json::Value>>,
}

/// A count as the API writes it: a string of digits (or a number).
fn count(stats: &HashMap<String, serde_json::Value>, name: &str) -> Option<i64> {
    super::int_of(stats.get(name)?)
}

pub fn apply_reach(mentions: &mut [NewMention], reply: &Reply<'_>) -> Result<(), SourceError> {
    let list: StatList = json_body("YouTube statistics", reply.body)?;
    let channels = list.kind.as_deref() == Some("youtube#channelListResponse");
    for item in list.items {
        let (Some(id), Some(stats)) = (item.id, item.statistics) else {
            continue;
        };
        for m in mentions.iter_mut() {
            if channels && m.author_ref.as_deref() == Some(id.as_str()) {
                // A channel that hides its subscribers says so; its reach stays unknown.
                m.author_reach = count(&stats, "subscriberCount");
            } else if !channels && m.place.parent.is_none() && m.external_id.as_deref() == Some(id.as_str()) {
                m.engagement.views = count(&stats, "viewCount");
                m.engagement.likes = count(&stats, "likeCount");
                m.engagement.replies = count(&stats, "commentCount");
            }
        }
    }
    Ok(())
}

/// A 403 whose reason is `quotaExceeded` (or `dailyLimitExceeded`): wait until the quota resets,
/// at midnight Pacific time.
pub fn quota_wait(status: u16, body: &[u8], now: DateTime<Utc>) -> Option<std::time::Duration> {
    if status != 403 {
        return None;
    }
    let v: serde_json::Value = serde_json::from_slice(body).ok()?;
    let spent = v
        .pointer("/error/errors")
        .and_then(|e| e.as_array())
        .is_some_and(|errors| {
            errors.iter().any(|e| {
                matches!(
                    e.get("reason").and_then(|r| r.as_str()),
                    Some("quotaExceeded" | "dailyLimitExceeded")
                )
            })
        });
    spent.then(|| (quota_reset(now) - now).to_std().unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed(extra: &str) -> FeedConfig {
        crate::sources::test_feed(&format!(
            "[[feed]]\nname = \"yt\"\nkind = \"youtube\"\nquery = \"acme\"\ntoken_env = \"YT_KEY\"\n{extra}"
        ))
    }

    fn fixture(rel: &str) -> Vec<u8> {
        std::fs::read(format!("{}/tests/fixtures/youtube/{rel}", env!("CARGO_MANIFEST_DIR"))).unwrap()
    }

    fn query(req: &Request) -> HashMap<String, String> {
        req.url.query_pairs().into_owned().collect()
    }

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-12-01T20:00:00Z").unwrap().to_utc()
    }

    fn page(feed: &FeedConfig, cursor: Option<&serde_json::Value>, req: &Request, body: &[u8]) -> Page {
        let ctx = Ctx {
            feed,
            cursor,
            token: Some("k-123"),
            now: now(),
        };
        crate::sources::parse(
            &ctx,
            req,
            &Reply {
                status: 200,
                headers: &[],
                body,
            },
        )
        .unwrap()
    }

    #[test]
    fn a_search_reads_videos_then_each_channels_comments_and_counts_the_quota() {
        let feed = feed("channels = [\"UC_x5XG1OV2P6uZZ5FSM9Ttw\"]\n");
        let ctx = Ctx {
            feed: &feed,
            cursor: None,
            token: Some("k-123"),
            now: now(),
        };
        let first = request(&ctx).unwrap();
        assert_eq!(first.url.path(), "/youtube/v3/search");
        let q = query(&first);
        assert_eq!(
            (
                q["part"].as_str(),
                q["type"].as_str(),
                q["order"].as_str(),
                q["q"].as_str(),
                q["key"].as_str()
            ),
            ("snippet", "video", "date", "acme", "k-123")
        );
        assert!(!q.contains_key("publishedAfter"), "the first poll reads the newest");
        let p = page(&feed, None, &first, &fixture("search_list_five_videos.json"));
        assert_eq!(p.mentions.len(), 5);
        let v = &p.mentions[0];
        assert_eq!(v.external_id.as_deref(), Some("LrQWzOkC0XQ"));
        assert_eq!(v.url.as_deref(), Some("https://www.youtube.com/watch?v=LrQWzOkC0XQ"));
        assert_eq!(v.author.as_deref(), Some("Google Developers"));
        assert_eq!(v.author_ref.as_deref(), Some("UC_x5XG1OV2P6uZZ5FSM9Ttw"));
        assert!(
            p.mentions
                .iter()
                .all(|m| !m.title.as_deref().unwrap_or_default().contains("&#39;")
                    && !m.title.as_deref().unwrap_or_default().contains("&quot;")),
            "titles unescaped"
        );
        assert_eq!(p.cursor.as_ref().unwrap()["videos_after"], "2018-10-08T22:51:23Z");
        // A first poll does not page into the past: next are the channel's comments.
        let next = p.next.unwrap();
        assert_eq!(next.url.path(), "/youtube/v3/commentThreads");
        let q = query(&next);
        assert_eq!(q["allThreadsRelatedToChannelId"], "UC_x5XG1OV2P6uZZ5FSM9Ttw");
        assert_eq!((q["searchTerms"].as_str(), q["order"].as_str()), ("acme", "time"));
        assert_eq!(p.rate.as_ref().unwrap().remaining, Some(9_900), "a search is 100 units");
        let p2 = page(&feed, None, &next, &fixture("comment_threads_search_terms.json"));
        assert_eq!(p2.mentions.len(), 1);
        let c = &p2.mentions[0];
        assert_eq!(c.external_id.as_deref(), Some("UgyUBI0HsgL9emxcZpR4AaABAg"));
        assert_eq!(c.author.as_deref(), Some("DevRagz"));
        assert_eq!(c.author_ref.as_deref(), Some("UCTWlvHQQXUs-4IVfdnGOUbw"));
        assert!(
            c.place.parent.is_some() && c.place.parent == c.place.root,
            "answers its video"
        );
        assert!(p2.next.is_none(), "the only channel, the last page");
        let rate = p2.rate.unwrap();
        assert_eq!(rate.remaining, Some(9_899));
        assert!(rate.note.unwrap().contains("101 of 10000"));
        // The last page says what the poll spent, for the next poll the same Pacific day.
        assert_eq!(
            p2.cursor.unwrap()["spent"],
            serde_json::json!({"day": "2026-12-01", "units": 101})
        );
        assert!(
            next.headers.iter().any(|(k, _)| k.starts_with(crate::sources::CARRY)),
            "state carried to the next page"
        );
    }

    #[test]
    fn a_later_poll_asks_since_the_newest_and_pages_while_all_is_new() {
        let feed = feed("");
        let cursor = serde_json::json!({
            "videos_after": "2019-01-01T00:00:00Z",
            "spent": {"day": "2026-12-01", "units": 4_000}
        });
        let ctx = Ctx {
            feed: &feed,
            cursor: Some(&cursor),
            token: Some("k-123"),
            now: now(),
        };
        let first = request(&ctx).unwrap();
        assert_eq!(query(&first)["publishedAfter"], "2019-01-01T00:00:00Z");
        let p = page(&feed, Some(&cursor), &first, &fixture("search_list_q_page1.json"));
        let next = p.next.unwrap();
        assert_eq!(
            query(&next)["pageToken"],
            "Cib3_PbLqP____9kNHpiLXY5UThGWQD_Af_-ZDR6Yi12OVE4RlkAARABIdZeR03mYiWvOQAAAABXNAkDSAFQAloLCekqBwDWkC1_EANgzrDA4AE="
        );
        let last = page(&feed, Some(&cursor), &next, &fixture("search_list_q_page2_last.json"));
        assert!(last.next.is_none() && last.mentions.is_empty());
        assert_eq!(
            last.cursor.unwrap()["spent"]["units"],
            4_200,
            "two searches today on top of 4,000"
        );
        // Another Pacific day starts the count again.
        let yesterday = serde_json::json!({"spent": {"day": "2026-11-30", "units": 9_900}});
        let ctx = Ctx {
            feed: &feed,
            cursor: Some(&yesterday),
            token: Some("k-123"),
            now: now(),
        };
        assert_eq!(spent_before(&ctx), 0);
    }

    #[test]
    fn calls_after_the_pages_are_charged_a_unit_each() {
        let mut cursor = Some(serde_json::json!({"spent": {"day": "2026-12-01", "units": 101}, "newest": "x"}));
        let mut rate = None;
        charge(now(), 3, &mut cursor, &mut rate);
        let c = cursor.unwrap();
        assert_eq!(c["spent"], serde_json::json!({"day": "2026-12-01", "units": 104}));
        assert_eq!(c["newest"], "x", "the rest of the cursor kept");
        let rate = rate.unwrap();
        assert_eq!(rate.remaining, Some(DAILY_UNITS - 104));
        assert!(rate.note.unwrap().starts_with("104 of 10000"));
        // Yesterday's count is no count.
        let mut cursor = Some(serde_json::json!({"spent": {"day": "2026-11-30", "units": 9_000}}));
        let mut rate = None;
        charge(now(), 2, &mut cursor, &mut rate);
        assert_eq!(cursor.unwrap()["spent"]["units"], 2);
    }

    #[test]
    fn reach_and_statistics_come_from_batched_lists() {
        let feed = feed("");
        let ctx = Ctx {
            feed: &feed,
            cursor: None,
            token: Some("k-123"),
            now: now(),
        };
        let first = request(&ctx).unwrap();
        let mut mentions = page(&feed, None, &first, &fixture("search_list_q_page1.json")).mentions;
        let reqs = reach_requests(&ctx, &mentions).unwrap();
        assert_eq!(reqs.len(), 2);
        assert_eq!(
            (reqs[0].url.path(), query(&reqs[0])["id"].as_str()),
            ("/youtube/v3/channels", "UCAmh1DexLGcMtDlzMCIxo4w")
        );
        assert_eq!(query(&reqs[1])["id"], "d4zb-v9Q8FY");
        let reply = Reply {
            status: 200,
            headers: &[],
            body: &fixture("channels_statistics.json"),
        };
        apply_reach(&mut mentions, &reply).unwrap();
        assert_eq!(mentions[0].author_reach, Some(2), "subscribers, written as a string");
        let stats = br#"{"kind":"youtube#videoListResponse","items":[{"id":"d4zb-v9Q8FY","statistics":{"viewCount":"1530","likeCount":"12","commentCount":"3"}}]}"#;
        let reply = Reply {
            status: 200,
            headers: &[],
            body: stats,
        };
        apply_reach(&mut mentions, &reply).unwrap();
        let e = &mentions[0].engagement;
        assert_eq!((e.views, e.likes, e.replies), (Some(1530), Some(12), Some(3)));
    }

    #[test]
    fn a_spent_quota_waits_for_midnight_pacific() {
        let body = fixture("error_403_quota_exceeded.json");
        // 20:00 UTC is 12:00 in Los Angeles (PST): twelve hours to wait.
        assert_eq!(
            quota_wait(403, &body, now()),
            Some(std::time::Duration::from_secs(12 * 3600))
        );
        assert_eq!(quota_wait(400, &body, now()), None);
        assert_eq!(
            quota_wait(403, br#"{"error":{"errors":[{"reason":"forbidden"}]}}"#, now()),
            None
        );
        // In summer time the day ends at 07:00 UTC.
        let july = DateTime::parse_from_rfc3339("2026-07-01T06:00:00Z").unwrap().to_utc();
        assert_eq!(quota_reset(july).to_rfc3339(), "2026-07-01T07:00:00+00:00");
    }
    #[test]
    fn a_comments_thread_and_a_videos_threads() {
        let feed = feed("");
        let ctx = Ctx {
            feed: &feed,
            cursor: None,
            token: Some("k-123"),
            now: now(),
        };
        let of = |id: &str, url: &str| crate::model::ThreadOf {
            kind: crate::model::FeedKind::Youtube,
            feed: "yt".into(),
            external_id: Some(id.into()),
            url: Some(url.into()),
            parent: None,
            root: None,
        };
        let req = thread_request(
            &ctx,
            &of(
                "UgwI_ylXVnzPS8Q-oAV4AaABAg.9abc",
                "https://www.youtube.com/watch?v=F1UP7wRCPH8&lc=x",
            ),
        )
        .unwrap()
        .unwrap();
        assert_eq!(query(&req)["id"], "UgwI_ylXVnzPS8Q-oAV4AaABAg", "a reply's thread");
        let req = thread_request(&ctx, &of("F1UP7wRCPH8", "https://www.youtube.com/watch?v=F1UP7wRCPH8"))
            .unwrap()
            .unwrap();
        assert_eq!(query(&req)["videoId"], "F1UP7wRCPH8");
        let body = fixture("comment_threads_by_video.json");
        let nodes = thread_nodes(
            &Reply {
                status: 200,
                headers: &[],
                body: &body,
            },
            Some("F1UP7wRCPH8"),
        )
        .unwrap();
        assert_eq!(nodes.len(), 5);
        assert!(
            nodes.iter().all(|n| n.parent.as_deref() == Some("F1UP7wRCPH8")),
            "each answers the video"
        );
        assert!(
            thread_more(&ctx, &of("F1UP7wRCPH8", "https://www.youtube.com/watch?v=F1UP7wRCPH8"))
                .unwrap()
                .is_empty(),
            "a video's threads need nothing more"
        );
    }

    #[test]
    fn a_comments_thread_has_all_its_replies_oldest_first() {
        let feed = feed("");
        let ctx = Ctx {
            feed: &feed,
            cursor: None,
            token: Some("k-123"),
            now: now(),
        };
        let top = "Ugw5zYU6n9pmIgAZWvN4AaABAg";
        let of = crate::model::ThreadOf {
            kind: crate::model::FeedKind::Youtube,
            feed: "yt".into(),
            external_id: Some(format!("{top}.91zT3cYb5B291za5eJxzs1")),
            url: Some("https://www.youtube.com/watch?v=vid1&lc=x".into()),
            parent: Some(top.into()),
            root: Some("vid1".into()),
        };
        let more = thread_more(&ctx, &of).unwrap();
        assert_eq!(more.len(), 1);
        assert_eq!(more[0].url.path(), "/youtube/v3/comments");
        let q = query(&more[0]);
        assert_eq!((q["parentId"].as_str(), q["key"].as_str()), (top, "k-123"));
        // The thread as `commentThreads.list` gives it: its first comment and one reply (of the
        // five it may carry); then every reply, newest first, as `comments.list` gave them.
        let thread = format!(
            r#"{{"kind":"youtube#commentThreadListResponse","items":[{{"id":"{top}","snippet":{{"videoId":"vid1",
            "topLevelComment":{{"id":"{top}","snippet":{{"videoId":"vid1","textOriginal":"first!",
            "authorDisplayName":"kun liu","publishedAt":"2019-12-01T04:40:00Z"}}}},"totalReplyCount":2}},
            "replies":{{"comments":[{{"id":"{top}.91zT3cYb5B291za5eJxzs1","snippet":{{"parentId":"{top}",
            "textOriginal":"this is the second reply!","publishedAt":"2019-12-01T04:46:20Z"}}}}]}}}}]}}"#
        );
        let replies = fixture("comments_by_parent.json");
        let answers = [thread.as_bytes(), &replies]
            .iter()
            .map(|body| {
                thread_nodes(
                    &Reply {
                        status: 200,
                        headers: &[],
                        body,
                    },
                    of.root.as_deref(),
                )
                .unwrap()
            })
            .collect();
        let nodes = super::super::thread::merge(crate::model::FeedKind::Youtube, answers);
        let texts: Vec<&str> = nodes.iter().map(|n| n.post.text.as_str()).collect();
        assert_eq!(
            texts,
            ["first!", "this is the second reply!", "this is the third reply!"],
            "the first comment, then each reply once, oldest first"
        );
        assert!(nodes[1..].iter().all(|n| n.parent.as_deref() == Some(top)));
        assert!(
            nodes[2]
                .post
                .url
                .as_deref()
                .is_some_and(|u| u.starts_with("https://www.youtube.com/watch?v=vid1")),
            "a reply the list gave without its video is on the thread's: {:?}",
            nodes[2].post.url
        );
    }
}
