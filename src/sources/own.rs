//! Our own accounts (`[[account]]`), sans-IO: who the account is (its id and followers), what it
//! posted lately (our posts and our replies, with what each earned), and the counts of older
//! posts asked again.
//!
//! - Mastodon: `/api/v1/accounts/lookup`, `/api/v1/accounts/:id/statuses`, `/api/v1/statuses?id[]=`.
//! - Bluesky (the public AppView, no sign-in): `app.bsky.actor.getProfile`,
//!   `app.bsky.feed.getAuthorFeed`, `app.bsky.feed.getPosts`.
//! - X (a bearer token): `/2/users/by/username/:u`, `/2/users/:id/tweets`, `/2/tweets?ids=`.
//! - Reddit: `/user/:u/about.json`, `/user/:u/submitted.json` and `comments.json`,
//!   `/api/info.json?id=` (score as applause, comments as conversation, crossposts as amplification).
//! - GitHub: `/users/:u`, `/users/:u/events/public` (our issue comments, their reactions as
//!   applause); no refresh (the events cover the last 90 days).
//! - Discourse (the forum in `url`): `/u/:username.json`, `/user_actions.json?filter=4,5` (the
//!   topics we started and our replies, without counts), then each post's counts from
//!   `/posts/:id.json` (or `/posts/by_number/:topic/:n.json` where the list has no id): likes
//!   (`actions_summary` id 2) as applause, `reply_count` as conversation, `quote_count` as quotes.
//!   Signed in with `token_env` holding `USERNAME:API_KEY`, as for replies.
//!
//! Every text is made safe like a mention's ([`crate::text::sanitize`]); a link is kept only when
//! it is http(s).

use super::{Reply, Request, SourceError, endpoint, json_body, with_query};
use crate::model::{Account, FeedKind, OwnPost};
use chrono::{DateTime, Utc};
use serde::Deserialize;

const BLUESKY: &str = "https://public.api.bsky.app";
const X: &str = "https://api.x.com";
const REDDIT: &str = "https://www.reddit.com";
const REDDIT_OAUTH: &str = "https://oauth.reddit.com";
const GITHUB: &str = "https://api.github.com";
/// Posts asked for per read (Mastodon's most is 40, Bluesky's 100).
const MASTODON_PAGE: usize = 40;
const BLUESKY_PAGE: usize = 100;
/// Older posts asked again per request (Mastodon's `id[]` takes 20 on most instances, Bluesky's
/// `getPosts` 25).
pub const REFRESH_BATCH: usize = 20;

/// Who the account is, as its service says.
#[derive(Debug, Clone, PartialEq)]
pub struct Profile {
    /// Mastodon's account id; Bluesky's DID.
    pub id: String,
    pub followers: Option<i64>,
}

fn base(a: &Account, token: Option<&str>) -> Result<String, SourceError> {
    match (a.kind, &a.url) {
        (_, Some(u)) => Ok(u.as_str().trim_end_matches('/').to_string()),
        (FeedKind::Bluesky, None) => Ok(BLUESKY.to_string()),
        (FeedKind::X, None) => Ok(X.to_string()),
        (FeedKind::Reddit, None) if token.is_some() => Ok(REDDIT_OAUTH.to_string()),
        (FeedKind::Reddit, None) => Ok(REDDIT.to_string()),
        (FeedKind::Github, None) => Ok(GITHUB.to_string()),
        (FeedKind::Discourse, None) => Err(SourceError::Request(
            "a Discourse account needs its forum's `url`".into(),
        )),
        _ => Err(SourceError::Request("a Mastodon account needs its instance".into())),
    }
}

/// A handle as one segment of a path: what a service's names hold, and nothing that could leave
/// the segment.
fn segment(handle: &str) -> Result<&str, SourceError> {
    let h = handle.trim_start_matches('@').trim_start_matches("u/");
    if !h.is_empty()
        && h.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        Ok(h)
    } else {
        Err(SourceError::Request(format!(
            "{handle:?} is not a handle overhear can ask about"
        )))
    }
}

fn get(a: &Account, path: &str, query: &[(&str, String)], token: Option<&str>) -> Result<Request, SourceError> {
    let feed = a.as_feed();
    let url = endpoint(&feed, &base(a, token)?, path)?;
    let url = if query.is_empty() { url } else { with_query(url, query) };
    let mut req = Request::get(url).header("accept", "application/json");
    if a.kind == FeedKind::Github {
        req = req
            .header("accept", "application/vnd.github+json")
            .header("x-github-api-version", "2022-11-28");
    }
    Ok(match token {
        // Discourse's keys go in two headers; a token without its user is not sent.
        Some(t) if a.kind == FeedKind::Discourse => match t.split_once(':') {
            Some((user, key)) => req.header("api-key", key).header("api-username", user),
            None => req,
        },
        Some(t) => req.bearer(t),
        None => req,
    })
}

fn x_token(token: Option<&str>) -> Result<&str, SourceError> {
    token.ok_or_else(|| SourceError::Request("an x account needs a bearer token: set `token_env`".into()))
}

const X_FIELDS: &str = "created_at,public_metrics,referenced_tweets,conversation_id";

/// The request that says who the account is.
pub fn profile_request(a: &Account, token: Option<&str>) -> Result<Request, SourceError> {
    match a.kind {
        // A handle `user@instance` on its own instance is looked up by its local part.
        FeedKind::Mastodon => {
            let host = a.url.as_ref().and_then(|u| u.host_str()).unwrap_or_default();
            let acct = match a.handle.rsplit_once('@') {
                Some((user, h)) if h.eq_ignore_ascii_case(host) => user.to_string(),
                _ => a.handle.clone(),
            };
            get(a, "/api/v1/accounts/lookup", &[("acct", acct)], token)
        }
        FeedKind::Bluesky => get(
            a,
            "/xrpc/app.bsky.actor.getProfile",
            &[("actor", a.handle.clone())],
            None,
        ),
        FeedKind::X => get(
            a,
            &format!("/2/users/by/username/{}", segment(&a.handle)?),
            &[("user.fields", "public_metrics".to_string())],
            Some(x_token(token)?),
        ),
        FeedKind::Reddit => get(
            a,
            &format!("/user/{}/about.json", segment(&a.handle)?),
            &[("raw_json", "1".to_string())],
            token,
        ),
        FeedKind::Github => get(a, &format!("/users/{}", segment(&a.handle)?), &[], token),
        FeedKind::Discourse => get(a, &format!("/u/{}.json", segment(&a.handle)?), &[], token),
        k => Err(SourceError::Request(format!("overhear cannot read our posts on {k}"))),
    }
}

#[derive(Deserialize)]
struct MastodonAccount {
    #[serde(default)]
    id: serde_json::Value,
    followers_count: Option<i64>,
}

#[derive(Deserialize)]
struct BlueskyProfile {
    did: String,
    #[serde(rename = "followersCount")]
    followers_count: Option<i64>,
}

/// Who the account is, from the answer to [`profile_request`].
pub fn parse_profile(a: &Account, reply: &Reply<'_>) -> Result<Profile, SourceError> {
    match a.kind {
        FeedKind::Mastodon => {
            let acc: MastodonAccount = json_body("Mastodon account", reply.body)?;
            let id = super::id_text(&acc.id)
                .filter(|i| i.chars().all(|c| c.is_ascii_alphanumeric()))
                .ok_or_else(|| SourceError::Malformed("the Mastodon account has no id".into()))?;
            Ok(Profile {
                id,
                followers: acc.followers_count,
            })
        }
        FeedKind::X => {
            let v: serde_json::Value = json_body("X user", reply.body)?;
            let id = v
                .pointer("/data/id")
                .and_then(super::id_text)
                .filter(|i| i.chars().all(|c| c.is_ascii_digit()))
                .ok_or_else(|| SourceError::Malformed("the X user has no id".into()))?;
            Ok(Profile {
                id,
                followers: v
                    .pointer("/data/public_metrics/followers_count")
                    .and_then(|f| f.as_i64()),
            })
        }
        FeedKind::Reddit => {
            let v: serde_json::Value = json_body("Reddit user", reply.body)?;
            let name = v
                .pointer("/data/name")
                .and_then(|n| n.as_str())
                .ok_or_else(|| SourceError::Malformed("the Reddit user has no name".into()))?;
            Ok(Profile {
                id: segment(name)?.to_string(),
                followers: v.pointer("/data/subreddit/subscribers").and_then(|f| f.as_i64()),
            })
        }
        FeedKind::Github => {
            let v: serde_json::Value = json_body("GitHub user", reply.body)?;
            let login = v
                .get("login")
                .and_then(|n| n.as_str())
                .ok_or_else(|| SourceError::Malformed("the GitHub user has no login".into()))?;
            Ok(Profile {
                id: segment(login)?.to_string(),
                followers: v.get("followers").and_then(|f| f.as_i64()),
            })
        }
        FeedKind::Discourse => {
            let v: serde_json::Value = json_body("Discourse user", reply.body)?;
            let name = v
                .pointer("/user/username")
                .and_then(|n| n.as_str())
                .ok_or_else(|| SourceError::Malformed("the Discourse user has no username".into()))?;
            Ok(Profile {
                id: segment(name)?.to_string(),
                // Core Discourse has no followers; its follow plugin counts them.
                followers: v.pointer("/user/total_followers").and_then(|f| f.as_i64()),
            })
        }
        _ => {
            let p: BlueskyProfile = json_body("Bluesky profile", reply.body)?;
            if !p.did.starts_with("did:") {
                return Err(SourceError::Malformed(format!("{:?} is not a DID", p.did)));
            }
            Ok(Profile {
                id: p.did,
                followers: p.followers_count,
            })
        }
    }
}

/// The requests for the account's latest posts and replies.
pub fn posts_requests(a: &Account, p: &Profile, token: Option<&str>) -> Result<Vec<Request>, SourceError> {
    Ok(match a.kind {
        FeedKind::Mastodon => vec![get(
            a,
            &format!("/api/v1/accounts/{}/statuses", p.id),
            &[
                ("limit", MASTODON_PAGE.to_string()),
                ("exclude_reblogs", "true".to_string()),
            ],
            token,
        )?],
        FeedKind::X => vec![get(
            a,
            &format!("/2/users/{}/tweets", p.id),
            &[
                ("max_results", "100".to_string()),
                ("exclude", "retweets".to_string()),
                ("tweet.fields", X_FIELDS.to_string()),
            ],
            Some(x_token(token)?),
        )?],
        FeedKind::Reddit => ["submitted", "comments"]
            .into_iter()
            .map(|what| {
                get(
                    a,
                    &format!("/user/{}/{what}.json", p.id),
                    &[("limit", "100".to_string()), ("raw_json", "1".to_string())],
                    token,
                )
            })
            .collect::<Result<_, _>>()?,
        FeedKind::Github => vec![get(
            a,
            &format!("/users/{}/events/public", p.id),
            &[("per_page", "100".to_string())],
            token,
        )?],
        // 4: the topics we started; 5: our replies.
        FeedKind::Discourse => vec![get(
            a,
            "/user_actions.json",
            &[("username", p.id.clone()), ("filter", "4,5".to_string())],
            token,
        )?],
        _ => vec![get(
            a,
            "/xrpc/app.bsky.feed.getAuthorFeed",
            &[
                ("actor", p.id.clone()),
                ("limit", BLUESKY_PAGE.to_string()),
                ("filter", "posts_with_replies".to_string()),
            ],
            None,
        )?],
    })
}

/// Where a service lists our posts without what they earned (Discourse), the requests for each
/// listed post's counts, whose answers replace the list; nothing elsewhere.
pub fn counts_requests(a: &Account, listed: &[OwnPost], token: Option<&str>) -> Result<Vec<Request>, SourceError> {
    if a.kind != FeedKind::Discourse {
        return Ok(Vec::new());
    }
    listed
        .iter()
        .map(|p| match p.post_id.split_once('/') {
            Some((topic, n)) => get(a, &format!("/posts/by_number/{topic}/{n}.json"), &[], token),
            None => get(a, &format!("/posts/{}.json", p.post_id), &[], token),
        })
        .collect()
}

/// The requests that ask again for the counts of older posts `ids` (as [`OwnPost::post_id`]).
pub fn refresh_requests(a: &Account, ids: &[String], token: Option<&str>) -> Result<Vec<Request>, SourceError> {
    match a.kind {
        FeedKind::Github => return Ok(Vec::new()),
        FeedKind::Discourse => {
            return ids
                .iter()
                .filter(|id| is_number(id))
                .map(|id| get(a, &format!("/posts/{id}.json"), &[], token))
                .collect();
        }
        _ => {}
    }
    ids.chunks(REFRESH_BATCH)
        .map(|chunk| match a.kind {
            FeedKind::Mastodon => {
                let q: Vec<(&str, String)> = chunk.iter().map(|id| ("id[]", id.clone())).collect();
                get(a, "/api/v1/statuses", &q, token)
            }
            FeedKind::X => get(
                a,
                "/2/tweets",
                &[("ids", chunk.join(",")), ("tweet.fields", X_FIELDS.to_string())],
                Some(x_token(token)?),
            ),
            FeedKind::Reddit => get(
                a,
                "/api/info.json",
                &[("id", chunk.join(",")), ("raw_json", "1".to_string())],
                token,
            ),
            _ => {
                let q: Vec<(&str, String)> = chunk.iter().map(|id| ("uris", id.clone())).collect();
                get(a, "/xrpc/app.bsky.feed.getPosts", &q, None)
            }
        })
        .collect()
}

#[derive(Deserialize)]
struct Status {
    #[serde(default)]
    id: serde_json::Value,
    created_at: Option<String>,
    #[serde(default)]
    in_reply_to_id: serde_json::Value,
    url: Option<String>,
    uri: Option<String>,
    #[serde(default)]
    content: String,
    #[serde(default)]
    replies_count: i64,
    #[serde(default)]
    reblogs_count: i64,
    #[serde(default)]
    favourites_count: i64,
    #[serde(default)]
    quotes_count: i64,
    #[serde(default)]
    reblog: serde_json::Value,
    #[serde(default)]
    account: serde_json::Value,
}

#[derive(Deserialize)]
struct FeedItem {
    post: Option<serde_json::Value>,
    #[serde(default)]
    reason: serde_json::Value,
}

#[derive(Deserialize)]
struct PostView {
    uri: String,
    #[serde(default)]
    author: serde_json::Value,
    #[serde(default)]
    record: serde_json::Value,
    #[serde(rename = "replyCount", default)]
    reply_count: i64,
    #[serde(rename = "repostCount", default)]
    repost_count: i64,
    #[serde(rename = "likeCount", default)]
    like_count: i64,
    #[serde(rename = "quoteCount", default)]
    quote_count: i64,
    #[serde(rename = "indexedAt")]
    indexed_at: Option<String>,
}

fn http(u: Option<String>) -> Option<String> {
    u.filter(|u| u.starts_with("https://") || u.starts_with("http://"))
        .map(|u| crate::text::sanitize_line(&u))
}

fn at(s: Option<&str>) -> Option<DateTime<Utc>> {
    super::rfc3339(s)
}

fn mastodon_post(s: Status, own: &str) -> Option<OwnPost> {
    // Another's post we boosted is not ours; nor is one by another account.
    if !s.reblog.is_null() {
        return None;
    }
    if let Some(by) = s.account.get("id").and_then(super::id_text)
        && by != own
    {
        return None;
    }
    Some(OwnPost {
        post_id: super::id_text(&s.id)?,
        url: http(s.url.or(s.uri)),
        text: crate::text::sanitize(&crate::text::html_to_text(&s.content)),
        published_at: at(s.created_at.as_deref()),
        in_reply_to: super::id_text(&s.in_reply_to_id),
        replies: s.replies_count.max(0),
        reposts: s.reblogs_count.max(0),
        likes: s.favourites_count.max(0),
        quotes: s.quotes_count.max(0),
    })
}

fn bluesky_post(p: PostView, own: &str) -> Option<OwnPost> {
    let did = p.author.get("did").and_then(|d| d.as_str()).unwrap_or_default();
    if did != own {
        return None;
    }
    let handle = p.author.get("handle").and_then(|h| h.as_str()).unwrap_or(did);
    let rkey = p.uri.rsplit('/').next().unwrap_or_default();
    let created = p.record.get("createdAt").and_then(|c| c.as_str());
    let published = match (at(created), at(p.indexed_at.as_deref())) {
        (Some(c), Some(i)) => Some(c.min(i)),
        (c, i) => c.or(i),
    };
    Some(OwnPost {
        url: http(Some(format!("https://bsky.app/profile/{handle}/post/{rkey}"))),
        text: crate::text::sanitize(p.record.get("text").and_then(|t| t.as_str()).unwrap_or_default()),
        published_at: published,
        in_reply_to: p
            .record
            .pointer("/reply/parent/uri")
            .and_then(|u| u.as_str())
            .map(String::from),
        replies: p.reply_count.max(0),
        reposts: p.repost_count.max(0),
        likes: p.like_count.max(0),
        quotes: p.quote_count.max(0),
        post_id: p.uri,
    })
}

/// Our posts in an answer to [`posts_request`] or to a [`refresh_requests`] request: only the
/// account's own (not what it boosted or reposted), each read alone (one broken post costs that
/// post).
pub fn parse_posts(a: &Account, p: &Profile, reply: &Reply<'_>) -> Result<Vec<OwnPost>, SourceError> {
    let v: serde_json::Value = json_body("our posts", reply.body)?;
    Ok(match a.kind {
        FeedKind::X => x_posts(a, &v),
        FeedKind::Reddit => reddit_posts(p, &v),
        FeedKind::Github => github_posts(p, &v),
        FeedKind::Discourse => discourse_posts(a, p, &v),
        FeedKind::Mastodon => v
            .as_array()
            .ok_or_else(|| SourceError::Malformed("the statuses are not a list".into()))?
            .iter()
            .filter_map(|s| serde_json::from_value::<Status>(s.clone()).ok())
            .filter_map(|s| mastodon_post(s, &p.id))
            .collect(),
        _ => {
            let views: Vec<serde_json::Value> = if let Some(feed) = v.get("feed").and_then(|f| f.as_array()) {
                feed.iter()
                    .filter_map(|i| serde_json::from_value::<FeedItem>(i.clone()).ok())
                    // A repost by the account is another's post.
                    .filter(|i| i.reason.is_null())
                    .filter_map(|i| i.post)
                    .collect()
            } else if let Some(posts) = v.get("posts").and_then(|p| p.as_array()) {
                posts.clone()
            } else {
                return Err(SourceError::Malformed("neither a feed nor posts".into()));
            };
            views
                .into_iter()
                .filter_map(|v| serde_json::from_value::<PostView>(v).ok())
                .filter_map(|pv| bluesky_post(pv, &p.id))
                .collect()
        }
    })
}

/// Our tweets in a timeline or a look-up by ids (`data[]`); retweets are left out.
fn x_posts(a: &Account, v: &serde_json::Value) -> Vec<OwnPost> {
    let handle = a.handle.trim_start_matches('@');
    v.get("data")
        .and_then(|d| d.as_array())
        .into_iter()
        .flatten()
        .filter_map(|t| {
            let id = t.get("id").and_then(super::id_text)?;
            let refs = t.get("referenced_tweets").and_then(|r| r.as_array());
            let of = |kind: &str| {
                refs.into_iter()
                    .flatten()
                    .find(|r| r["type"] == kind)
                    .and_then(|r| r.get("id").and_then(super::id_text))
            };
            if of("retweeted").is_some() {
                return None;
            }
            let m = t.get("public_metrics");
            let n = |k: &str| m.and_then(|m| m.get(k)).and_then(|v| v.as_i64()).unwrap_or(0).max(0);
            Some(OwnPost {
                url: http(Some(format!("https://x.com/{handle}/status/{id}"))),
                text: crate::text::sanitize(&super::x::unescape(
                    t.get("text").and_then(|t| t.as_str()).unwrap_or_default(),
                )),
                published_at: at(t.get("created_at").and_then(|c| c.as_str())),
                in_reply_to: of("replied_to"),
                replies: n("reply_count"),
                reposts: n("retweet_count"),
                likes: n("like_count"),
                quotes: n("quote_count"),
                post_id: id,
            })
        })
        .collect()
}

/// Our posts (t3) and comments (t1) in a Reddit listing: score as applause, comments as
/// conversation, crossposts as amplification. Another author's things are not ours.
fn reddit_posts(p: &Profile, v: &serde_json::Value) -> Vec<OwnPost> {
    v.pointer("/data/children")
        .and_then(|c| c.as_array())
        .into_iter()
        .flatten()
        .filter_map(|thing| {
            let kind = thing.get("kind").and_then(|k| k.as_str())?;
            let d = thing.get("data")?;
            let author = d.get("author").and_then(|a| a.as_str()).unwrap_or_default();
            if !author.eq_ignore_ascii_case(&p.id) || !matches!(kind, "t1" | "t3") {
                return None;
            }
            let s = |k: &str| d.get(k).and_then(|v| v.as_str()).unwrap_or_default();
            let n = |k: &str| d.get(k).and_then(|v| v.as_i64()).unwrap_or(0).max(0);
            let text = match kind {
                "t3" if s("selftext").is_empty() => s("title").to_string(),
                "t3" => format!("{}\n{}", s("title"), s("selftext")),
                _ => s("body").to_string(),
            };
            Some(OwnPost {
                post_id: d.get("name").and_then(|n| n.as_str())?.to_string(),
                url: http(Some(format!("https://www.reddit.com{}", s("permalink"))))
                    .filter(|_| !s("permalink").is_empty()),
                text: crate::text::sanitize(&text),
                published_at: d
                    .get("created_utc")
                    .and_then(|t| t.as_f64())
                    .and_then(|t| DateTime::from_timestamp(t as i64, 0)),
                in_reply_to: (kind == "t1")
                    .then(|| s("parent_id").to_string())
                    .filter(|p| !p.is_empty()),
                replies: n("num_comments"),
                reposts: n("num_crossposts"),
                likes: n("score"),
                quotes: 0,
            })
        })
        .collect()
}

/// Our issue and pull-request comments among a user's public events (`IssueCommentEvent`, the
/// comment created): its positive reactions as applause. Ids as the issue's comments are stored
/// (`comment:N`).
fn github_posts(p: &Profile, v: &serde_json::Value) -> Vec<OwnPost> {
    v.as_array()
        .into_iter()
        .flatten()
        .filter(|e| e["type"] == "IssueCommentEvent" && e.pointer("/payload/action").is_none_or(|a| a == "created"))
        .filter_map(|e| {
            let c = e.pointer("/payload/comment")?;
            let by = c.pointer("/user/login").and_then(|l| l.as_str()).unwrap_or_default();
            if !by.eq_ignore_ascii_case(&p.id) {
                return None;
            }
            let r = |k: &str| {
                c.pointer(&format!("/reactions/{k}"))
                    .and_then(|v| v.as_i64())
                    .unwrap_or(0)
                    .max(0)
            };
            Some(OwnPost {
                post_id: format!("comment:{}", c.get("id").and_then(super::id_text)?),
                url: http(c.get("html_url").and_then(|u| u.as_str()).map(String::from)),
                text: crate::text::sanitize(c.get("body").and_then(|b| b.as_str()).unwrap_or_default()),
                published_at: at(c.get("created_at").and_then(|t| t.as_str())),
                in_reply_to: e
                    .pointer("/payload/issue/html_url")
                    .and_then(|u| u.as_str())
                    .map(String::from),
                replies: 0,
                reposts: 0,
                likes: r("+1") + r("heart") + r("hooray") + r("rocket") + r("laugh"),
                quotes: 0,
            })
        })
        .collect()
}

fn is_number(s: &str) -> bool {
    !s.is_empty() && s.len() <= 19 && s.bytes().all(|b| b.is_ascii_digit())
}

/// A number in a Discourse answer, as digits (ids come as numbers, sometimes as strings).
fn digits(v: Option<&serde_json::Value>) -> Option<String> {
    v.and_then(super::id_text).filter(|s| is_number(s))
}

/// Our posts on a Discourse forum: the list of our actions (`user_actions`, no counts; a post the
/// list gives no id is named `TOPIC/NUMBER` until its counts are asked), or one post with its
/// counts (`/posts/:id.json`). Another user's post is not ours; a deleted or hidden one is left out.
fn discourse_posts(a: &Account, p: &Profile, v: &serde_json::Value) -> Vec<OwnPost> {
    let base = a.url.as_ref().map_or("", |u| u.as_str().trim_end_matches('/'));
    let url = |slug: &str, topic: &str, n: &str| {
        let slug = if segment(slug).is_ok() { slug } else { "-" };
        http(Some(format!("{base}/t/{slug}/{topic}/{n}")))
    };
    let ours = |e: &serde_json::Value| {
        e.get("username")
            .and_then(|u| u.as_str())
            .is_some_and(|u| u.eq_ignore_ascii_case(&p.id))
    };
    let s = |e: &serde_json::Value, k: &str| e.get(k).and_then(|v| v.as_str()).unwrap_or_default().to_string();
    let one = |e: &serde_json::Value, listed: bool| -> Option<OwnPost> {
        if !ours(e) || e["deleted"] == true || e["hidden"] == true || !e["deleted_at"].is_null() {
            return None;
        }
        let topic = digits(e.get("topic_id"))?;
        let n = digits(e.get("post_number"))?;
        let reply_to = digits(e.get("reply_to_post_number")).unwrap_or_else(|| "1".into());
        let slug = if listed { s(e, "slug") } else { s(e, "topic_slug") };
        let text = match (listed, e.get("raw").and_then(|r| r.as_str())) {
            (true, _) => crate::text::html_to_text(&s(e, "excerpt")),
            (false, Some(raw)) => raw.to_string(),
            (false, None) => crate::text::html_to_text(&s(e, "cooked")),
        };
        let likes = e
            .get("actions_summary")
            .and_then(|a| a.as_array())
            .into_iter()
            .flatten()
            .find(|a| a["id"] == 2)
            .and_then(|a| a.get("count"))
            .or_else(|| e.get("like_count"))
            .and_then(|c| c.as_i64());
        let n_of = |k: &str| e.get(k).and_then(|v| v.as_i64()).unwrap_or(0).max(0);
        Some(OwnPost {
            post_id: digits(e.get("post_id").or_else(|| (!listed).then(|| e.get("id")).flatten()))
                .unwrap_or_else(|| format!("{topic}/{n}")),
            url: url(&slug, &topic, &n),
            text: crate::text::sanitize(&text),
            published_at: at(e.get("created_at").and_then(|c| c.as_str())),
            in_reply_to: (n != "1").then(|| format!("{topic}/{reply_to}")),
            replies: n_of("reply_count"),
            reposts: 0,
            likes: likes.unwrap_or(0).max(0),
            quotes: n_of("quote_count"),
        })
    };
    match v.get("user_actions").and_then(|u| u.as_array()) {
        Some(list) => list.iter().filter_map(|e| one(e, true)).collect(),
        None => one(v, false).into_iter().collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn fixture(rel: &str) -> Vec<u8> {
        std::fs::read(format!("{}/tests/fixtures/{rel}", env!("CARGO_MANIFEST_DIR"))).unwrap()
    }

    fn account(kind: FeedKind, handle: &str, url: Option<&str>) -> Account {
        Account {
            name: "ours".into(),
            kind,
            handle: handle.into(),
            url: url.map(|u| url::Url::parse(u).unwrap()),
            token_env: None,
            every: Duration::from_secs(900),
            fresh: Duration::from_secs(14 * 86_400),
            keep: Duration::from_secs(90 * 86_400),
        }
    }

    fn reply(body: &[u8]) -> Reply<'_> {
        Reply {
            status: 200,
            headers: &[],
            body,
        }
    }

    #[test]
    fn mastodon_looks_the_account_up_then_reads_its_statuses_without_boosts() {
        let a = account(FeedKind::Mastodon, "testadmin@localhost", Some("http://localhost:3001"));
        let req = profile_request(&a, Some("tok")).unwrap();
        assert_eq!(req.url.path(), "/api/v1/accounts/lookup");
        assert_eq!(
            req.url.query(),
            Some("acct=testadmin"),
            "the local part on its own instance"
        );
        let body = fixture("mastodon/account_lookup.json");
        let p = parse_profile(&a, &reply(&body)).unwrap();
        assert_eq!(
            p,
            Profile {
                id: "116266741324121431".into(),
                followers: Some(0)
            }
        );
        let req = posts_requests(&a, &p, Some("tok")).unwrap().remove(0);
        assert_eq!(req.url.path(), "/api/v1/accounts/116266741324121431/statuses");
        assert!(req.url.query().unwrap().contains("exclude_reblogs=true"));
        assert!(
            req.headers
                .iter()
                .any(|(k, v)| k == "authorization" && v == "Bearer tok")
        );
        let body = fixture("mastodon/account_statuses.json");
        let posts = parse_posts(&a, &p, &reply(&body)).unwrap();
        let ids: Vec<&str> = posts.iter().map(|p| p.post_id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "116266784829412747",
                "116266784798524453",
                "116266784787341685",
                "116266764647790665"
            ],
            "the boost is someone's post, not ours"
        );
        assert_eq!(posts[2].in_reply_to.as_deref(), Some("116266764647790665"));
        let root = &posts[3];
        assert_eq!((root.replies, root.reposts, root.likes), (1, 1, 1));
        assert!(
            root.url
                .as_deref()
                .unwrap()
                .starts_with("https://localhost:3001/@testadmin/")
        );
        assert!(root.published_at.is_some());
        assert!(!root.text.contains('<'), "{}", root.text);
        // Another account's statuses in the answer are not ours.
        let other = Profile {
            id: "1".into(),
            followers: None,
        };
        assert!(parse_posts(&a, &other, &reply(&body)).unwrap().is_empty());
        // Older posts asked again, twenty ids a request.
        let ids: Vec<String> = (0..45).map(|i| i.to_string()).collect();
        let reqs = refresh_requests(&a, &ids, None).unwrap();
        assert_eq!(reqs.len(), 3);
        assert_eq!(reqs[0].url.path(), "/api/v1/statuses");
        assert_eq!(reqs[0].url.query_pairs().filter(|(k, _)| k == "id[]").count(), 20);
    }

    #[test]
    fn bluesky_reads_the_profile_then_the_author_feed_without_reposts() {
        let a = account(FeedKind::Bluesky, "shinyakato.dev", None);
        let req = profile_request(&a, None).unwrap();
        assert_eq!(req.url.host_str(), Some("public.api.bsky.app"));
        assert_eq!(req.url.path(), "/xrpc/app.bsky.actor.getProfile");
        assert_eq!(req.url.query(), Some("actor=shinyakato.dev"));
        let body = fixture("bluesky/get_profile.json");
        let p = parse_profile(&a, &reply(&body)).unwrap();
        assert_eq!(
            (p.id.as_str(), p.followers),
            ("did:plc:iijrtk7ocored6zuziwmqq3c", Some(4945))
        );
        let req = posts_requests(&a, &p, None).unwrap().remove(0);
        assert_eq!(req.url.path(), "/xrpc/app.bsky.feed.getAuthorFeed");
        assert!(req.url.query().unwrap().contains("filter=posts_with_replies"));
        let body = fixture("bluesky/get_author_feed.json");
        let posts = parse_posts(&a, &p, &reply(&body)).unwrap();
        assert_eq!(posts.len(), 23, "25 items, 2 of them reposts of others' posts");
        assert_eq!(posts.iter().filter(|p| p.in_reply_to.is_some()).count(), 20);
        let top = posts.iter().max_by_key(|p| p.likes).unwrap();
        assert_eq!((top.replies, top.reposts, top.likes), (0, 50, 76));
        assert_eq!(
            top.url.as_deref(),
            Some("https://bsky.app/profile/shinyakato.dev/post/3jukdwsblqu2l")
        );
        assert_eq!(top.published_at, Some("2023-04-30T00:06:14.838Z".parse().unwrap()));
        let reqs = refresh_requests(&a, std::slice::from_ref(&top.post_id), None).unwrap();
        assert_eq!(reqs[0].url.path(), "/xrpc/app.bsky.feed.getPosts");
    }

    #[test]
    fn a_strangers_nonsense_is_an_error_in_words_or_nothing() {
        let a = account(FeedKind::Bluesky, "x.example", None);
        assert!(parse_profile(&a, &reply(b"{\"did\": \"nope\"}")).is_err());
        assert!(parse_profile(&a, &reply(b"<html>")).is_err());
        let p = Profile {
            id: "did:plc:x".into(),
            followers: None,
        };
        assert!(
            parse_posts(&a, &p, &reply(b"{\"feed\": [1, {\"post\": 3}]}"))
                .unwrap()
                .is_empty()
        );
        let m = account(FeedKind::Mastodon, "a@b.example", Some("https://b.example"));
        assert!(parse_profile(&m, &reply(b"{\"id\": {\"x\": 1}}")).is_err());
        assert!(parse_posts(&m, &p, &reply(b"{}")).is_err());
    }

    #[test]
    fn x_asks_the_user_then_its_tweets_with_their_counts() {
        let a = account(FeedKind::X, "TwitterDev", None);
        assert!(profile_request(&a, None).is_err(), "X wants a token");
        let req = profile_request(&a, Some("bearer")).unwrap();
        assert_eq!(
            req.url.as_str().split('?').next(),
            Some("https://api.x.com/2/users/by/username/TwitterDev")
        );
        let body = fixture("x/user_by_username.json");
        let p = parse_profile(&a, &reply(&body)).unwrap();
        assert_eq!((p.id.as_str(), p.followers), ("2244994945", Some(514_020)));
        let req = posts_requests(&a, &p, Some("bearer")).unwrap().remove(0);
        assert_eq!(req.url.path(), "/2/users/2244994945/tweets");
        assert!(req.url.query().unwrap().contains("exclude=retweets"));
        let body = fixture("x/user_tweets.json");
        let posts = parse_posts(&a, &p, &reply(&body)).unwrap();
        assert_eq!(posts.len(), 5);
        let newest = &posts[0];
        assert_eq!(newest.post_id, "1364275610764201984");
        assert_eq!(
            (newest.reposts, newest.replies, newest.likes, newest.quotes),
            (10, 2, 37, 1)
        );
        assert_eq!(
            newest.url.as_deref(),
            Some("https://x.com/TwitterDev/status/1364275610764201984")
        );
        assert_eq!(newest.published_at, Some("2021-02-23T18:07:07Z".parse().unwrap()));
        // A look-up by ids for older ones.
        let reqs = refresh_requests(&a, &["1".into(), "2".into()], Some("bearer")).unwrap();
        assert_eq!(reqs[0].url.path(), "/2/tweets");
        assert!(reqs[0].url.query_pairs().any(|(k, v)| k == "ids" && v == "1,2"));
        // A handle that would leave its path segment is refused.
        assert!(profile_request(&account(FeedKind::X, "../admin", None), Some("t")).is_err());
    }

    #[test]
    fn reddit_reads_the_users_posts_and_comments_as_ours() {
        let a = account(FeedKind::Reddit, "spez", None);
        let req = profile_request(&a, None).unwrap();
        assert_eq!(
            req.url.as_str().split('?').next(),
            Some("https://www.reddit.com/user/spez/about.json")
        );
        let signed_in = profile_request(&a, Some("tok")).unwrap();
        assert_eq!(signed_in.url.host_str(), Some("oauth.reddit.com"));
        let body = fixture("reddit/user_about.json");
        let p = parse_profile(&a, &reply(&body)).unwrap();
        assert_eq!((p.id.as_str(), p.followers), ("spez", Some(0)));
        let v = Profile {
            id: "v_95".into(),
            followers: None,
        };
        let reqs = posts_requests(&a, &v, None).unwrap();
        let paths: Vec<&str> = reqs.iter().map(|r| r.url.path()).collect();
        assert_eq!(paths, ["/user/v_95/submitted.json", "/user/v_95/comments.json"]);
        let body = fixture("reddit/user_submitted.json");
        let posts = parse_posts(&a, &v, &reply(&body)).unwrap();
        assert_eq!(posts.len(), 1);
        assert_eq!(
            (
                posts[0].post_id.as_str(),
                posts[0].likes,
                posts[0].replies,
                posts[0].in_reply_to.clone()
            ),
            ("t3_gczwql", 9, 2, None)
        );
        assert!(
            posts[0]
                .url
                .as_deref()
                .unwrap()
                .starts_with("https://www.reddit.com/r/")
        );
        let body = fixture("reddit/user_comments.json");
        let comments = parse_posts(&a, &v, &reply(&body)).unwrap();
        assert_eq!(
            (
                comments[0].post_id.as_str(),
                comments[0].likes,
                comments[0].replies,
                comments[0].in_reply_to.as_deref()
            ),
            ("t1_f0zsa37", 1, 89_751, Some("t3_d7ejpn")),
            "a comment's listing carries its post's comment count"
        );
        assert_eq!(comments[0].text, "Thank you!");
        // Another user's things are not ours.
        assert!(parse_posts(&a, &p, &reply(&body)).unwrap().is_empty());
        let reqs = refresh_requests(&a, &["t3_a".into(), "t1_b".into()], None).unwrap();
        assert!(reqs[0].url.query_pairs().any(|(k, v)| k == "id" && v == "t3_a,t1_b"));
    }

    #[test]
    fn github_reads_our_issue_comments_from_the_public_events() {
        let a = account(FeedKind::Github, "sferik", None);
        let req = profile_request(&a, None).unwrap();
        assert_eq!(req.url.as_str(), "https://api.github.com/users/sferik");
        let body = fixture("github/user.json");
        let p = parse_profile(&a, &reply(&body)).unwrap();
        assert_eq!((p.id.as_str(), p.followers), ("sferik", Some(688)));
        let req = posts_requests(&a, &p, None).unwrap().remove(0);
        assert_eq!(req.url.path(), "/users/sferik/events/public");
        let body = fixture("github/user_events.json");
        let posts = parse_posts(&a, &p, &reply(&body)).unwrap();
        assert_eq!(posts.len(), 1, "one issue comment among the six events");
        let c = &posts[0];
        assert_eq!(c.post_id, "comment:550575194", "as the issue's comments are stored");
        assert_eq!(
            c.url.as_deref(),
            Some("https://github.com/rails-api/active_model_serializers/issues/2210#issuecomment-550575194")
        );
        assert_eq!(c.published_at, Some("2019-11-07T01:17:13Z".parse().unwrap()));
        assert_eq!(c.likes, 0, "no reactions recorded");
        assert!(refresh_requests(&a, &["comment:1".into()], None).unwrap().is_empty());
    }

    #[test]
    fn discourse_lists_our_posts_then_asks_each_for_its_counts() {
        let a = account(FeedKind::Discourse, "testuser", Some("https://forum.example/"));
        let req = profile_request(&a, Some("testuser:KEY")).unwrap();
        assert_eq!(req.url.as_str(), "https://forum.example/u/testuser.json");
        let h = |r: &Request, k: &str| r.headers.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
        assert_eq!(h(&req, "api-key").as_deref(), Some("KEY"));
        assert_eq!(h(&req, "api-username").as_deref(), Some("testuser"));
        assert_eq!(h(&req, "authorization"), None, "Discourse takes no bearer");
        let body = fixture("discourse/user.json");
        let p = parse_profile(&a, &reply(&body)).unwrap();
        assert_eq!(
            (p.id.as_str(), p.followers),
            ("test_user", None),
            "core Discourse counts no followers"
        );

        let p = Profile {
            id: "testuser".into(),
            followers: None,
        };
        let req = posts_requests(&a, &p, None).unwrap().remove(0);
        assert_eq!(req.url.path(), "/user_actions.json");
        let q: Vec<(String, String)> = req.url.query_pairs().map(|(k, v)| (k.into(), v.into())).collect();
        assert!(q.contains(&("username".into(), "testuser".into())), "{q:?}");
        assert!(q.contains(&("filter".into(), "4,5".into())), "{q:?}");
        let body = fixture("discourse/user_actions.json");
        let listed = parse_posts(&a, &p, &reply(&body)).unwrap();
        let ids: Vec<&str> = listed.iter().map(|p| p.post_id.as_str()).collect();
        assert_eq!(ids, ["19", "11/1"], "the topic we started has no id in the list");
        assert_eq!(
            listed[0].url.as_deref(),
            Some("https://forum.example/t/test-topic/11/2")
        );
        assert_eq!(listed[0].in_reply_to.as_deref(), Some("11/1"), "a reply in the topic");
        assert_eq!(listed[1].in_reply_to, None, "the topic's first post answers nobody");
        assert_eq!(listed[0].text, "test excerpt");
        let counts = counts_requests(&a, &listed, None).unwrap();
        let paths: Vec<&str> = counts.iter().map(|r| r.url.path()).collect();
        assert_eq!(paths, ["/posts/19.json", "/posts/by_number/11/1.json"]);
        assert!(
            counts_requests(&account(FeedKind::Bluesky, "a.b", None), &listed, None)
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn a_discourse_post_brings_its_counts_and_its_strangeness_stays_out() {
        let a = account(FeedKind::Discourse, "testuser", Some("https://forum.example/"));
        let p = Profile {
            id: "testuser".into(),
            followers: None,
        };
        // One post's answer, with its counts: ours only.
        let body = fixture("discourse/post.json");
        let system = Profile {
            id: "system".into(),
            followers: None,
        };
        let post = parse_posts(&a, &system, &reply(&body)).unwrap().remove(0);
        assert_eq!(post.post_id, "11");
        assert_eq!(
            post.url.as_deref(),
            Some("https://forum.example/t/welcome-to-discourse/8/1")
        );
        assert!(post.text.starts_with("The first paragraph"), "{}", post.text);
        assert_eq!((post.replies, post.likes, post.quotes), (0, 0, 0));
        assert!(
            parse_posts(&a, &p, &reply(&body)).unwrap().is_empty(),
            "another user's post"
        );
        let v: serde_json::Value = serde_json::from_slice(&fixture("discourse/topic_posts.json")).unwrap();
        let one = serde_json::to_vec(&v["post_stream"]["posts"][0]).unwrap();
        let them = Profile {
            id: "some-username".into(),
            followers: None,
        };
        let post = parse_posts(&a, &them, &reply(&one)).unwrap().remove(0);
        assert_eq!(
            (post.post_id.as_str(), post.likes),
            ("123456", 3),
            "likes from actions_summary id 2"
        );
        assert_eq!(post.text, "Some text.", "cooked HTML as text");
        assert_eq!(post.in_reply_to.as_deref(), Some("57/1"));
        let r = refresh_requests(&a, &["123456".into(), "11/1".into()], None).unwrap();
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].url.path(), "/posts/123456.json");
        // A hostile slug does not leave its segment.
        let mut evil = v["post_stream"]["posts"][0].clone();
        evil["topic_slug"] = serde_json::json!("../../admin?x=\u{1b}[2J");
        evil["cooked"] = serde_json::json!("<p>hi \u{1b}]52;c;eA==\u{7}there</p>");
        let post = parse_posts(&a, &them, &reply(&serde_json::to_vec(&evil).unwrap()))
            .unwrap()
            .remove(0);
        assert_eq!(post.url.as_deref(), Some("https://forum.example/t/-/57/2"));
        assert_eq!(post.text, "hi there");
    }
}
