//! Reddit search. Without credentials: the search Atom feed (`/search.rss?q=…&sort=new`), which
//! still works where anonymous JSON is refused. With an OAuth app's client id and secret (in the
//! variable `token_env` names, as `id:secret`): the JSON listing from `oauth.reddit.com`, with
//! score and comment counts, asking only for what is newer than the newest seen (`before`).

use super::{
    Ctx, Each, Page, Reply, Request, Session, SourceError, endpoint, json_body, rate_from_headers, with_query,
};
use crate::model::FeedConfig;
use crate::model::{Engagement, NewMention};
use crate::text;
use base64::Engine;
use chrono::{DateTime, Utc};
use serde::Deserialize;

const WWW: &str = "https://www.reddit.com";
const OAUTH: &str = "https://oauth.reddit.com";

fn search_path(feed: &FeedConfig, suffix: &str) -> String {
    match &feed.subreddit {
        Some(sub) => format!("/r/{sub}/search{suffix}"),
        None => format!("/search{suffix}"),
    }
}

pub fn session_request(feed: &FeedConfig, secret: &str) -> Result<Request, SourceError> {
    let (id, key) = secret.split_once(':').ok_or_else(|| {
        SourceError::Refused(
            "Reddit OAuth credentials must be written as CLIENT_ID:CLIENT_SECRET in the token variable".into(),
        )
    })?;
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("{id}:{key}"));
    let url = endpoint(feed, WWW, "/api/v1/access_token")?;
    Ok(Request {
        url,
        headers: vec![("authorization".into(), format!("Basic {basic}"))],
        body: Some(super::Body::Form(vec![(
            "grant_type".into(),
            "client_credentials".into(),
        )])),
    })
}

#[derive(Deserialize)]
struct Token {
    #[serde(default, deserialize_with = "super::lenient")]
    access_token: Option<String>,
    #[serde(default, deserialize_with = "super::lenient")]
    expires_in: Option<i64>,
    #[serde(default, deserialize_with = "super::lenient")]
    error: Option<String>,
}

pub fn parse_session(reply: &Reply<'_>, now: DateTime<Utc>) -> Result<Session, SourceError> {
    let t: Token = json_body("Reddit sign-in", reply.body)?;
    match t.access_token {
        Some(token) => Ok(Session {
            token,
            expires_at: t.expires_in.map(|s| now + chrono::Duration::seconds(s - 60)),
            account: None,
        }),
        None => Err(SourceError::Refused(format!(
            "Reddit refused the app credentials ({})",
            t.error.unwrap_or_else(|| "no token in the answer".into())
        ))),
    }
}

pub fn request(ctx: &Ctx<'_>) -> Result<Request, SourceError> {
    let feed = ctx.feed;
    let q = feed.query.clone().unwrap_or_default();
    let mut pairs = vec![("q", q), ("sort", "new".to_string()), ("limit", "100".to_string())];
    if feed.subreddit.is_some() {
        pairs.push(("restrict_sr", "1".into()));
    }
    match ctx.token {
        // Signed in: the JSON listing, only what is newer than the newest seen.
        Some(token) if feed.token_env.is_some() => {
            pairs.push(("type", "link".into()));
            pairs.push(("raw_json", "1".into()));
            if let Some(before) = ctx.cursor.and_then(|c| c.get("before")).and_then(|v| v.as_str()) {
                pairs.push(("before", before.to_string()));
            }
            let url = endpoint(feed, OAUTH, &search_path(feed, ""))?;
            Ok(Request::get(with_query(url, &pairs)).bearer(token))
        }
        _ => {
            let url = endpoint(feed, WWW, &search_path(feed, ".rss"))?;
            Ok(Request::get(with_query(url, &pairs)))
        }
    }
}

#[derive(Deserialize)]
struct Listing {
    data: ListingData,
}

#[derive(Deserialize)]
struct ListingData {
    children: Each<Child>,
}

#[derive(Deserialize)]
struct Child {
    data: Post,
}

#[derive(Deserialize)]
struct Post {
    name: String,
    #[serde(default, deserialize_with = "super::lenient")]
    author: Option<String>,
    #[serde(default, deserialize_with = "super::lenient")]
    title: Option<String>,
    #[serde(default, deserialize_with = "super::lenient")]
    selftext: Option<String>,
    #[serde(default, deserialize_with = "super::lenient")]
    permalink: Option<String>,
    #[serde(default, deserialize_with = "super::lenient")]
    created_utc: Option<f64>,
    #[serde(default, deserialize_with = "super::lenient_count")]
    score: Option<i64>,
    #[serde(default, deserialize_with = "super::lenient_count")]
    num_comments: Option<i64>,
    /// A link post's link (a self post's is its own permalink).
    #[serde(default, deserialize_with = "super::lenient")]
    url: Option<String>,
    #[serde(default)]
    is_self: bool,
}

pub fn parse(ctx: &Ctx<'_>, req: &Request, reply: &Reply<'_>) -> Result<Page, SourceError> {
    if req.url.path().ends_with(".rss") {
        let mut page = super::rss::parse(reply.body, &req.url)?;
        page.rate = rate_from_headers(reply, "x-ratelimit", ctx.now);
        return Ok(page);
    }
    let listing: Listing = json_body("Reddit search", reply.body)?;
    let children = &listing.data.children;
    let (skipped, notes) = children.said(("post", "posts"));
    let mut newest: Option<(f64, String)> = None;
    let mentions = listing
        .data
        .children
        .into_iter()
        .map(|c| {
            let p = c.data;
            if let Some(t) = p.created_utc
                && newest.as_ref().is_none_or(|(n, _)| t > *n)
            {
                newest = Some((t, p.name.clone()));
            }
            NewMention {
                place: crate::model::Place {
                    links_to: p.url.filter(|u| !p.is_self && u.starts_with("http")),
                    ..Default::default()
                },
                facts: None,
                lang: None,
                url: p.permalink.map(|l| format!("https://www.reddit.com{l}")),
                external_id: Some(p.name),
                author: p.author,
                author_ref: None,
                author_name: None,
                author_reach: None,
                title: p.title.map(|t| text::sanitize_line(&t)),
                text: p.selftext.unwrap_or_default(),
                published_at: p.created_utc.and_then(|t| DateTime::from_timestamp(t as i64, 0)),
                engagement: Engagement {
                    score: p.score,
                    replies: p.num_comments,
                    ..Default::default()
                },
            }
        })
        .collect();
    let rate = rate_from_headers(reply, "x-ratelimit", ctx.now);
    Ok(Page {
        notes,
        skipped,
        mentions,
        cursor: newest.map(|(_, name)| serde_json::json!({ "before": name })),
        next: None,
        wait: rate.as_ref().and_then(|r| r.wait(ctx.now)),
        rate,
    })
}

/// The comments on a post: `GET /comments/:article.json` (signed in, on `oauth.reddit.com`). A
/// comment's own thread is not found from its id alone: only posts (`t3_`) have one here.
pub fn thread_request(ctx: &Ctx<'_>, id: &str) -> Result<Option<Request>, SourceError> {
    let Some(article) = id
        .strip_prefix("t3_")
        .filter(|a| !a.is_empty() && a.chars().all(|c| c.is_ascii_alphanumeric()))
    else {
        return Ok(None);
    };
    let pairs = [
        ("raw_json", "1".to_string()),
        ("limit", super::thread::MAX_BELOW.to_string()),
        ("depth", "8".to_string()),
    ];
    Ok(Some(match ctx.token {
        Some(token) if ctx.feed.token_env.is_some() => {
            let url = endpoint(ctx.feed, OAUTH, &format!("/comments/{article}"))?;
            Request::get(with_query(url, &pairs)).bearer(token)
        }
        _ => Request::get(with_query(
            endpoint(ctx.feed, WWW, &format!("/comments/{article}.json"))?,
            &pairs,
        )),
    }))
}

/// A thing of a comments answer: the post (`t3`) or a comment (`t1`, with its replies inside).
#[derive(Deserialize)]
struct Thing {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    data: serde_json::Value,
}

#[derive(Deserialize)]
struct Comment {
    #[serde(default, deserialize_with = "super::lenient")]
    name: Option<String>,
    #[serde(default, deserialize_with = "super::lenient")]
    parent_id: Option<String>,
    #[serde(default, deserialize_with = "super::lenient")]
    author: Option<String>,
    #[serde(default, deserialize_with = "super::lenient")]
    title: Option<String>,
    #[serde(default, deserialize_with = "super::lenient")]
    body: Option<String>,
    #[serde(default, deserialize_with = "super::lenient")]
    selftext: Option<String>,
    #[serde(default, deserialize_with = "super::lenient")]
    permalink: Option<String>,
    #[serde(default, deserialize_with = "super::lenient")]
    created_utc: Option<f64>,
    /// `""` when none, else a listing of the replies.
    #[serde(default)]
    replies: serde_json::Value,
}

/// The post and every comment of a comments answer (two listings: the post, then its comments,
/// each comment's replies inside it), parents before their replies. `more` stubs are skipped.
pub fn thread_nodes(reply: &Reply<'_>) -> Result<Vec<super::thread::Node>, SourceError> {
    let listings: Vec<serde_json::Value> = json_body("Reddit comments", reply.body)?;
    let children = |listing: &serde_json::Value| -> Vec<serde_json::Value> {
        listing
            .pointer("/data/children")
            .and_then(|c| c.as_array())
            .cloned()
            .unwrap_or_default()
    };
    let mut todo: Vec<serde_json::Value> = listings.iter().flat_map(children).collect();
    todo.reverse();
    let mut nodes = Vec::new();
    while let Some(v) = todo.pop() {
        let Ok(thing) = serde_json::from_value::<Thing>(v) else {
            continue;
        };
        if thing.kind != "t1" && thing.kind != "t3" {
            continue;
        }
        let Ok(c) = serde_json::from_value::<Comment>(thing.data) else {
            continue;
        };
        let Some(id) = c.name else { continue };
        let mut replies = children(&c.replies);
        replies.reverse();
        todo.extend(replies);
        let post = NewMention {
            url: c.permalink.map(|l| format!("https://www.reddit.com{l}")),
            external_id: Some(id.clone()),
            author: c.author,
            title: c.title,
            text: c.body.or(c.selftext).unwrap_or_default(),
            published_at: c.created_utc.and_then(|t| DateTime::from_timestamp(t as i64, 0)),
            ..Default::default()
        };
        nodes.push(super::thread::Node {
            id,
            parent: c.parent_id,
            post,
        });
    }
    Ok(nodes)
}
