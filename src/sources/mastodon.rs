//! Mastodon: an instance's public hashtag timeline (`tag`), or status search (`query`, with a
//! user token). Asks only for statuses newer than the newest seen (`min_id`), and follows the
//! `link` header's newer page while pages come back full.

use super::{
    Ctx, Each, Page, Reply, Request, SourceError, endpoint, json_body, newer_id, rate_from_headers, with_query,
};
use crate::model::{Engagement, NewMention};
use crate::text;
use serde::Deserialize;

const PUBLIC: &str = "https://mastodon.social";
const LIMIT: usize = 40;

pub fn request(ctx: &Ctx<'_>) -> Result<Request, SourceError> {
    let feed = ctx.feed;
    let mut pairs = vec![("limit", LIMIT.to_string())];
    if let Some(min) = ctx.cursor.and_then(|c| c.get("min_id")).and_then(|v| v.as_str()) {
        pairs.push(("min_id", min.to_string()));
    }
    let req = match &feed.tag {
        Some(tag) => {
            let path = format!(
                "/api/v1/timelines/tag/{}",
                url::form_urlencoded::byte_serialize(tag.as_bytes()).collect::<String>()
            );
            Request::get(with_query(endpoint(feed, PUBLIC, &path)?, &pairs))
        }
        None => {
            let mut p = vec![
                ("q", feed.query.clone().unwrap_or_default()),
                ("type", "statuses".to_string()),
            ];
            p.extend(pairs);
            Request::get(with_query(endpoint(feed, PUBLIC, "/api/v2/search")?, &p))
        }
    };
    Ok(req.bearer_if(ctx.token))
}

#[derive(Deserialize)]
struct Search {
    statuses: Each<Status>,
}

#[derive(Deserialize)]
struct Status {
    id: String,
    #[serde(default, deserialize_with = "super::lenient")]
    url: Option<String>,
    #[serde(default, deserialize_with = "super::lenient")]
    uri: Option<String>,
    #[serde(default, deserialize_with = "super::lenient")]
    created_at: Option<String>,
    #[serde(default, deserialize_with = "super::lenient")]
    content: Option<String>,
    #[serde(default, deserialize_with = "super::lenient")]
    spoiler_text: Option<String>,
    #[serde(default, deserialize_with = "super::lenient_count")]
    replies_count: Option<i64>,
    #[serde(default, deserialize_with = "super::lenient_count")]
    reblogs_count: Option<i64>,
    #[serde(default, deserialize_with = "super::lenient_count")]
    favourites_count: Option<i64>,
    /// Mastodon 4.5 and later.
    #[serde(default, deserialize_with = "super::lenient_count")]
    quotes_count: Option<i64>,
    #[serde(default, deserialize_with = "super::lenient")]
    account: Option<Account>,
    /// ISO 639 code the author's client set (any JSON: a stranger's value must not cost the page).
    #[serde(default)]
    language: serde_json::Value,
    #[serde(default)]
    in_reply_to_id: serde_json::Value,
    #[serde(default, deserialize_with = "super::lenient")]
    card: Option<Card>,
}

/// The preview of a link the status shares.
#[derive(Deserialize)]
struct Card {
    #[serde(default, deserialize_with = "super::lenient")]
    url: Option<String>,
}

#[derive(Deserialize)]
struct Account {
    #[serde(default, deserialize_with = "super::lenient")]
    acct: Option<String>,
    #[serde(default, deserialize_with = "super::lenient")]
    display_name: Option<String>,
    #[serde(default, deserialize_with = "super::lenient_count")]
    followers_count: Option<i64>,
}

pub fn parse(ctx: &Ctx<'_>, req: &Request, reply: &Reply<'_>) -> Result<Page, SourceError> {
    if req.url.path().ends_with("/context") {
        return parse_context(reply);
    }
    let statuses: Each<Status> = if ctx.feed.tag.is_some() {
        json_body("Mastodon", reply.body)?
    } else {
        json_body::<Search>("Mastodon search", reply.body)?.statuses
    };
    let full = statuses.listed() >= LIMIT;
    let (skipped, notes) = statuses.said(("status", "statuses"));
    let mut newest = ctx
        .cursor
        .and_then(|c| c.get("min_id"))
        .and_then(|v| v.as_str())
        .map(String::from);
    let mentions = statuses
        .into_iter()
        .map(|s| {
            newest = newer_id(newest.take(), &s.id);
            mention_of(s)
        })
        .collect();
    // A full page with min_id may leave newer statuses: the link header's `prev` fetches them.
    // Only ever on the same instance: the token must not travel anywhere a header points.
    let next = if full {
        prev_link(reply)
            .filter(|u| u.origin() == req.url.origin())
            .map(Request::get)
    } else {
        None
    };
    let next = next.map(|r| r.bearer_if(ctx.token));
    let rate = rate_from_headers(reply, "x-ratelimit", ctx.now);
    Ok(Page {
        notes,
        skipped,
        mentions,
        cursor: newest.map(|n| serde_json::json!({ "min_id": n })),
        next,
        wait: rate.as_ref().and_then(|r| r.wait(ctx.now)),
        rate,
    })
}

/// A status as a mention.
fn mention_of(s: Status) -> NewMention {
    let spoiler = s.spoiler_text.filter(|t| !t.trim().is_empty());
    let body = text::html_to_text(s.content.as_deref().unwrap_or(""));
    NewMention {
        place: crate::model::Place {
            links_to: s.card.and_then(|c| c.url),
            parent: super::id_text(&s.in_reply_to_id),
            root: None,
        },
        facts: None,
        external_id: Some(s.id),
        url: s.url.or(s.uri),
        author: s.account.as_ref().and_then(|a| a.acct.clone()),
        author_ref: None,
        author_name: s.account.as_ref().and_then(|a| a.display_name.clone()),
        author_reach: s.account.as_ref().and_then(|a| a.followers_count),
        title: spoiler.map(|sp| format!("CW: {}", text::sanitize_line(&sp))),
        text: body,
        published_at: super::rfc3339(s.created_at.as_deref()),
        engagement: Engagement {
            replies: s.replies_count,
            reposts: s.reblogs_count,
            likes: s.favourites_count,
            quotes: s.quotes_count,
            ..Default::default()
        },
        lang: s.language.as_str().map(str::to_string),
    }
}

/// What answered a status of ours: `GET /api/v1/statuses/:id/context` on the feed's instance
/// (with its token, when it has one), whose descendants are the replies to it and to them.
pub fn follow_up_request(ctx: &Ctx<'_>, id: &str) -> Result<Request, SourceError> {
    let id: String = url::form_urlencoded::byte_serialize(id.as_bytes()).collect();
    let req = Request::get(endpoint(ctx.feed, PUBLIC, &format!("/api/v1/statuses/{id}/context"))?);
    Ok(req.bearer_if(ctx.token))
}

#[derive(Deserialize)]
struct Context {
    #[serde(default)]
    ancestors: Each<Status>,
    #[serde(default)]
    descendants: Each<Status>,
}

/// The thread around a status, from the same context: what it answers and what answered it.
pub fn thread_nodes(reply: &Reply<'_>) -> Result<Vec<super::thread::Node>, SourceError> {
    let c: Context = json_body("Mastodon context", reply.body)?;
    Ok(c.ancestors
        .into_iter()
        .chain(c.descendants)
        .map(|s| {
            let post = mention_of(s);
            super::thread::Node {
                id: post.external_id.clone().unwrap_or_default(),
                parent: post.place.parent.clone(),
                post,
            }
        })
        .collect())
}

/// The replies in a status's context (its descendants), as mentions.
fn parse_context(reply: &Reply<'_>) -> Result<Page, SourceError> {
    let c: Context = json_body("Mastodon context", reply.body)?;
    let (skipped, notes) = c.descendants.said(("reply", "replies"));
    Ok(Page {
        skipped,
        notes,
        mentions: c.descendants.into_iter().map(mention_of).collect(),
        ..Default::default()
    })
}

/// The `rel="prev"` URL of a `link` header (newer statuses).
fn prev_link(reply: &Reply<'_>) -> Option<url::Url> {
    let link = reply.header("link")?;
    link.split(',')
        .find(|part| part.contains("rel=\"prev\""))
        .and_then(|part| {
            let start = part.find('<')? + 1;
            let end = part.find('>')?;
            url::Url::parse(&part[start..end]).ok()
        })
}
