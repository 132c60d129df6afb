//! Bluesky: `app.bsky.feed.searchPosts`, signed in with an app password (`identifier` in the
//! config, the password in the variable `token_env` names; the session lives in memory only).
//! Asks only for posts since the newest seen (`since`), following `cursor` while pages are full.

use super::{Body, Ctx, Each, Page, Reply, Request, Session, SourceError, endpoint, json_body, with_query};
use crate::model::FeedConfig;
use crate::model::{Engagement, NewMention};
use chrono::{DateTime, Utc};
use serde::Deserialize;

const PDS: &str = "https://bsky.social";
const APPVIEW: &str = "https://api.bsky.app";
const LIMIT: usize = 100;

pub fn session_request(feed: &FeedConfig, password: &str) -> Result<Request, SourceError> {
    let identifier = feed
        .identifier
        .clone()
        .ok_or_else(|| SourceError::Request("a bluesky feed needs `identifier`".into()))?;
    Ok(Request {
        url: endpoint(feed, PDS, "/xrpc/com.atproto.server.createSession")?,
        headers: vec![],
        body: Some(Body::Json(
            serde_json::json!({ "identifier": identifier, "password": password }),
        )),
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SessionReply {
    #[serde(default, deserialize_with = "super::lenient")]
    access_jwt: Option<String>,
    #[serde(default, deserialize_with = "super::lenient")]
    did: Option<String>,
    #[serde(default, deserialize_with = "super::lenient")]
    error: Option<String>,
    #[serde(default, deserialize_with = "super::lenient")]
    message: Option<String>,
}

pub fn parse_session(reply: &Reply<'_>, now: DateTime<Utc>) -> Result<Session, SourceError> {
    let s: SessionReply = json_body("Bluesky sign-in", reply.body)?;
    match s.access_jwt {
        // Access tokens last about two hours; sign in again a little before.
        Some(token) => Ok(Session {
            token,
            expires_at: Some(now + chrono::Duration::minutes(100)),
            account: s.did,
        }),
        None => Err(SourceError::Refused(format!(
            "Bluesky refused the sign-in ({}): check `identifier` and the app password",
            s.message.or(s.error).unwrap_or_else(|| "no reason given".into())
        ))),
    }
}

pub fn request(ctx: &Ctx<'_>, cursor: Option<&str>) -> Result<Request, SourceError> {
    let feed = ctx.feed;
    let mut pairs = vec![
        ("q", feed.query.clone().unwrap_or_default()),
        ("sort", "latest".to_string()),
        ("limit", LIMIT.to_string()),
    ];
    if let Some(since) = ctx.cursor.and_then(|c| c.get("since")).and_then(|v| v.as_str()) {
        pairs.push(("since", since.to_string()));
    }
    if let Some(c) = cursor {
        pairs.push(("cursor", c.to_string()));
    }
    let url = with_query(endpoint(feed, APPVIEW, "/xrpc/app.bsky.feed.searchPosts")?, &pairs);
    let token = ctx
        .token
        .ok_or_else(|| SourceError::Request("not signed in to Bluesky".into()))?;
    Ok(Request::get(url).bearer(token))
}

#[derive(Deserialize)]
struct Search {
    posts: Each<Post>,
    #[serde(default, deserialize_with = "super::lenient")]
    cursor: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Post {
    uri: String,
    author: Author,
    #[serde(default, deserialize_with = "super::lenient")]
    record: Option<Record>,
    #[serde(default, deserialize_with = "super::lenient")]
    indexed_at: Option<String>,
    #[serde(default, deserialize_with = "super::lenient_count")]
    like_count: Option<i64>,
    #[serde(default, deserialize_with = "super::lenient_count")]
    repost_count: Option<i64>,
    #[serde(default, deserialize_with = "super::lenient_count")]
    reply_count: Option<i64>,
    #[serde(default, deserialize_with = "super::lenient_count")]
    quote_count: Option<i64>,
    /// What the post shows beside its text: a shared link's card among others (any JSON).
    #[serde(default)]
    embed: serde_json::Value,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Author {
    handle: String,
    #[serde(default, deserialize_with = "super::lenient")]
    display_name: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Record {
    #[serde(default, deserialize_with = "super::lenient")]
    text: Option<String>,
    #[serde(default, deserialize_with = "super::lenient")]
    created_at: Option<String>,
    /// The languages the author's client set (any JSON: a stranger's value must not cost the page).
    #[serde(default)]
    langs: serde_json::Value,
    /// The post it answers and its thread's first (any JSON).
    #[serde(default)]
    reply: serde_json::Value,
}

fn time(s: Option<&str>) -> Option<DateTime<Utc>> {
    super::rfc3339(s)
}

pub fn parse(ctx: &Ctx<'_>, req: &Request, reply: &Reply<'_>) -> Result<Page, SourceError> {
    if req.url.path().ends_with("/app.bsky.feed.getPostThread") {
        return parse_follow_ups(req, reply);
    }
    let s: Search = json_body("Bluesky search", reply.body)?;
    let full = s.posts.listed() >= LIMIT;
    let (skipped, notes) = s.posts.said(("post", "posts"));
    let mut newest: Option<DateTime<Utc>> = None;
    let mentions = s
        .posts
        .into_iter()
        .map(|p| {
            let indexed = time(p.indexed_at.as_deref());
            let m = mention_of(p);
            if let Some(i) = indexed.or(m.published_at) {
                newest = Some(newest.map_or(i, |n| n.max(i)));
            }
            m
        })
        .collect();
    let next = match (&s.cursor, full) {
        (Some(c), true) => Some(request(ctx, Some(c))?),
        _ => None,
    };
    let cursor = match (
        newest,
        ctx.cursor
            .and_then(|c| c.get("since"))
            .and_then(|v| v.as_str())
            .and_then(|v| time(Some(v))),
    ) {
        (Some(n), Some(old)) => Some(n.max(old)),
        (n, old) => n.or(old),
    };
    Ok(Page {
        notes,
        skipped,
        mentions,
        cursor: cursor.map(|c| serde_json::json!({ "since": c.to_rfc3339_opts(chrono::SecondsFormat::Millis, true) })),
        next,
        rate: None,
        wait: None,
    })
}

/// A post as a mention.
fn mention_of(p: Post) -> NewMention {
    let created = time(p.record.as_ref().and_then(|r| r.created_at.as_deref()));
    let indexed = time(p.indexed_at.as_deref());
    // createdAt is set by the client and can lie; the index time cannot be in the future.
    let published = match (created, indexed) {
        (Some(c), Some(i)) => Some(c.min(i)),
        (c, i) => c.or(i),
    };
    let rkey = p.uri.rsplit('/').next().unwrap_or("").to_string();
    let reply_to = |which: &str| {
        p.record
            .as_ref()
            .and_then(|r| r.reply.pointer(&format!("/{which}/uri")))
            .and_then(super::id_text)
    };
    let place = crate::model::Place {
        links_to: p
            .embed
            .pointer("/external/uri")
            .or_else(|| p.embed.pointer("/media/external/uri"))
            .and_then(|v| v.as_str())
            .map(str::to_string),
        parent: reply_to("parent"),
        root: reply_to("root"),
    };
    NewMention {
        place,
        facts: None,
        url: Some(format!("https://bsky.app/profile/{}/post/{rkey}", p.author.handle)),
        external_id: Some(p.uri),
        author_ref: None,
        author_name: p.author.display_name,
        author: Some(p.author.handle),
        author_reach: None,
        title: None,
        lang: p.record.as_ref().and_then(|r| r.langs[0].as_str()).map(str::to_string),
        text: p.record.and_then(|r| r.text).unwrap_or_default(),
        published_at: published,
        engagement: Engagement {
            likes: p.like_count,
            reposts: p.repost_count,
            replies: p.reply_count,
            quotes: p.quote_count,
            ..Default::default()
        },
    }
}

/// The thread around a post: `app.bsky.feed.getPostThread` on the AppView, its parents and its
/// replies (signed in when the feed is).
pub fn thread_request(ctx: &Ctx<'_>, uri: &str) -> Result<Request, SourceError> {
    let pairs = [
        ("uri", uri.to_string()),
        ("depth", "6".to_string()),
        ("parentHeight", super::thread::MAX_ABOVE.to_string()),
    ];
    let url = with_query(
        endpoint(ctx.feed, APPVIEW, "/xrpc/app.bsky.feed.getPostThread")?,
        &pairs,
    );
    Ok(Request::get(url).bearer_if(ctx.token))
}

#[derive(Deserialize)]
struct ThreadAnswer {
    thread: serde_json::Value,
}

/// The posts of a `getPostThread` answer: the thread view's post, its parents and replies (posts
/// not found or blocked are skipped; any shape a stranger sends costs only that branch).
pub fn thread_nodes(reply: &Reply<'_>) -> Result<Vec<super::thread::Node>, SourceError> {
    let t: ThreadAnswer = json_body("Bluesky thread", reply.body)?;
    let mut nodes = Vec::new();
    // Parents first (walked up), then the post and its replies (walked down), without recursion.
    let mut up = t.thread.get("parent");
    while let Some(v) = up {
        push_post(v, &mut nodes);
        up = v.get("parent");
    }
    let mut down = vec![&t.thread];
    while let Some(v) = down.pop() {
        push_post(v, &mut nodes);
        if let Some(replies) = v.get("replies").and_then(|r| r.as_array()) {
            down.extend(replies.iter().rev());
        }
    }
    Ok(nodes)
}

/// What answered a post of ours (the `uri` a follow-up request asked about): the replies under it
/// in its thread, and theirs, as mentions.
fn parse_follow_ups(req: &Request, reply: &Reply<'_>) -> Result<Page, SourceError> {
    let ours = req
        .url
        .query_pairs()
        .find(|(k, _)| k == "uri")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default();
    let mut under: std::collections::HashSet<String> = std::collections::HashSet::from([ours]);
    // Parents come before their replies in the nodes, so one pass finds every reply below ours.
    let mentions = thread_nodes(reply)?
        .into_iter()
        .filter(|n| n.parent.as_ref().is_some_and(|p| under.contains(p)) && under.insert(n.id.clone()))
        .map(|n| n.post)
        .collect();
    Ok(Page {
        mentions,
        ..Default::default()
    })
}

fn push_post(view: &serde_json::Value, nodes: &mut Vec<super::thread::Node>) {
    let Some(p) = view.get("post").and_then(|p| Post::deserialize(p).ok()) else {
        return;
    };
    let post = mention_of(p);
    nodes.push(super::thread::Node {
        id: post.external_id.clone().unwrap_or_default(),
        parent: post.place.parent.clone(),
        post,
    });
}

/// Reach is not in search results: profiles are fetched in batches of 25 after a poll.
pub fn reach_requests(ctx: &Ctx<'_>, mentions: &[NewMention]) -> Result<Vec<Request>, SourceError> {
    let mut handles: Vec<&str> = mentions.iter().filter_map(|m| m.author.as_deref()).collect();
    handles.sort_unstable();
    handles.dedup();
    let token = ctx
        .token
        .ok_or_else(|| SourceError::Request("not signed in to Bluesky".into()))?;
    handles
        .chunks(25)
        .map(|batch| {
            let pairs: Vec<(&str, String)> = batch.iter().map(|h| ("actors", h.to_string())).collect();
            Ok(Request::get(with_query(
                endpoint(ctx.feed, APPVIEW, "/xrpc/app.bsky.actor.getProfiles")?,
                &pairs,
            ))
            .bearer(token))
        })
        .collect()
}

#[derive(Deserialize)]
struct Profiles {
    profiles: Each<Profile>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Profile {
    handle: String,
    #[serde(default, deserialize_with = "super::lenient_count")]
    followers_count: Option<i64>,
}

pub fn apply_reach(mentions: &mut [NewMention], reply: &Reply<'_>) -> Result<(), SourceError> {
    let p: Profiles = json_body("Bluesky profiles", reply.body)?;
    for profile in p.profiles {
        for m in mentions
            .iter_mut()
            .filter(|m| m.author.as_deref() == Some(profile.handle.as_str()))
        {
            m.author_reach = profile.followers_count;
        }
    }
    Ok(())
}

/// Replying needs the parent's content id and its thread's root: read them first.
pub fn post_lookup(feed: &FeedConfig, uri: &str, token: &str) -> Result<Request, SourceError> {
    let url = with_query(
        endpoint(feed, APPVIEW, "/xrpc/app.bsky.feed.getPosts")?,
        &[("uris", uri.to_string())],
    );
    Ok(Request::get(url).bearer(token))
}

#[derive(Deserialize)]
struct PostsReply {
    posts: Vec<serde_json::Value>,
}

/// The `createRecord` request for a reply to the post `lookup` described.
pub fn reply_record(
    feed: &FeedConfig,
    lookup: &Reply<'_>,
    did: &str,
    text: &str,
    token: &str,
    now: DateTime<Utc>,
) -> Result<Request, SourceError> {
    let posts: PostsReply = json_body("Bluesky", lookup.body)?;
    let post = posts
        .posts
        .first()
        .ok_or_else(|| SourceError::Refused("the post to answer is gone from Bluesky".into()))?;
    let parent = serde_json::json!({ "uri": post["uri"], "cid": post["cid"] });
    if parent["cid"].is_null() {
        return Err(SourceError::Refused("Bluesky did not say the post's content id".into()));
    }
    let root = post
        .pointer("/record/reply/root")
        .cloned()
        .unwrap_or_else(|| parent.clone());
    Ok(Request {
        url: endpoint(feed, PDS, "/xrpc/com.atproto.repo.createRecord")?,
        headers: vec![("authorization".into(), format!("Bearer {token}"))],
        body: Some(Body::Json(serde_json::json!({
            "repo": did,
            "collection": "app.bsky.feed.post",
            "record": {
                "$type": "app.bsky.feed.post",
                "text": text,
                "createdAt": now.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                "reply": { "root": root, "parent": parent },
            },
        }))),
    })
}
