//! Discourse: a forum's `search.json` with `order:latest after:DATE`, posts joined to their
//! topics for the title and link. `url` is the forum's address.

use super::{Ctx, Each, Page, Reply, Request, SourceError, endpoint, json_body, with_query};
use crate::model::{Engagement, NewMention};
use crate::text;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use std::collections::HashMap;

const MAX_PAGES: u32 = 5;

pub fn request(ctx: &Ctx<'_>, page: u32) -> Result<Request, SourceError> {
    let feed = ctx.feed;
    let mut q = format!("{} order:latest", feed.query.clone().unwrap_or_default());
    if let Some(after) = ctx.cursor.and_then(|c| c.get("after")).and_then(|v| v.as_str()) {
        q.push_str(&format!(" after:{after}"));
    }
    let mut pairs = vec![("q", q)];
    if page > 0 {
        pairs.push(("page", page.to_string()));
    }
    let base = feed
        .url
        .as_ref()
        .ok_or_else(|| SourceError::Request("a discourse feed needs `url`".into()))?;
    let url = with_query(endpoint(feed, base.as_str(), "/search.json")?, &pairs);
    Ok(Request::get(url).header("accept", "application/json"))
}

#[derive(Deserialize)]
struct Search {
    #[serde(default)]
    posts: Each<Post>,
    #[serde(default)]
    topics: Each<Topic>,
    #[serde(default, deserialize_with = "super::lenient")]
    grouped_search_result: Option<Grouped>,
}

#[derive(Deserialize)]
struct Post {
    id: i64,
    #[serde(default, deserialize_with = "super::lenient")]
    username: Option<String>,
    #[serde(default, deserialize_with = "super::lenient")]
    name: Option<String>,
    #[serde(default, deserialize_with = "super::lenient")]
    blurb: Option<String>,
    #[serde(default, deserialize_with = "super::lenient")]
    created_at: Option<String>,
    #[serde(default, deserialize_with = "super::lenient_count")]
    like_count: Option<i64>,
    #[serde(default, deserialize_with = "super::lenient")]
    post_number: Option<i64>,
    #[serde(default, deserialize_with = "super::lenient")]
    topic_id: Option<i64>,
}

#[derive(Deserialize)]
struct Topic {
    id: i64,
    #[serde(default, deserialize_with = "super::lenient")]
    title: Option<String>,
    #[serde(default, deserialize_with = "super::lenient")]
    fancy_title: Option<String>,
    #[serde(default, deserialize_with = "super::lenient")]
    slug: Option<String>,
    #[serde(default, deserialize_with = "super::lenient_count")]
    reply_count: Option<i64>,
}

#[derive(Deserialize)]
struct Grouped {
    #[serde(default, deserialize_with = "super::lenient")]
    more_full_page_results: Option<bool>,
}

/// A post's page on the forum the feed reads (`url`): `/t/SLUG/TOPIC/NUMBER`.
pub(crate) fn post_url(
    feed: &crate::model::FeedConfig,
    slug: impl std::fmt::Display,
    topic: impl std::fmt::Display,
    number: impl std::fmt::Display,
) -> String {
    let base = feed.url.as_ref().map_or("", |u| u.as_str().trim_end_matches('/'));
    format!("{base}/t/{slug}/{topic}/{number}")
}

/// The host a forum's post ids are scoped to (`HOST:ID`): the host its requests go to.
pub(crate) fn host(url: Option<&url::Url>) -> String {
    url.and_then(|u| u.host_str()).unwrap_or("forum").to_string()
}

/// A topic is a conversation: its first post starts it, the others answer it.
fn place(host: &str, topic: Option<i64>, post_number: Option<i64>) -> crate::model::Place {
    let topic_ref = topic.map(|id| format!("{host}:topic:{id}"));
    crate::model::Place {
        links_to: None,
        parent: topic_ref.clone().filter(|_| post_number.is_some_and(|n| n > 1)),
        root: topic_ref,
    }
}

pub fn parse(ctx: &Ctx<'_>, req: &Request, reply: &Reply<'_>) -> Result<Page, SourceError> {
    let s: Search = json_body("Discourse search", reply.body)?;
    let topics: HashMap<i64, &Topic> = s.topics.items.iter().map(|t| (t.id, t)).collect();
    let (skipped, notes) = s.posts.said(("post", "posts"));
    let host = host(Some(&req.url));
    let mut newest: Option<DateTime<Utc>> = None;
    let mentions = s
        .posts
        .items
        .iter()
        .map(|p| {
            let created = super::rfc3339(p.created_at.as_deref());
            if let Some(c) = created {
                newest = Some(newest.map_or(c, |n| n.max(c)));
            }
            let topic = p.topic_id.and_then(|id| topics.get(&id));
            let url = match (topic, p.topic_id) {
                (Some(t), Some(id)) => Some(post_url(
                    ctx.feed,
                    t.slug.as_deref().unwrap_or("-"),
                    id,
                    p.post_number.unwrap_or(1),
                )),
                _ => None,
            };
            NewMention {
                place: place(&host, p.topic_id, p.post_number),
                facts: None,
                lang: None,
                external_id: Some(format!("{host}:{}", p.id)),
                url,
                author: p.username.clone().or_else(|| p.name.clone().filter(|n| !n.is_empty())),
                author_ref: None,
                author_name: p.name.clone().filter(|n| !n.is_empty()),
                author_reach: None,
                title: topic
                    .and_then(|t| t.fancy_title.as_deref().or(t.title.as_deref()))
                    .map(text::strip_tags_inline),
                text: p.blurb.as_deref().map(text::html_to_text).unwrap_or_default(),
                published_at: created,
                engagement: Engagement {
                    likes: p.like_count,
                    replies: topic.and_then(|t| t.reply_count),
                    ..Default::default()
                },
            }
        })
        .collect();
    let page = super::page_param(req).unwrap_or(0);
    let more = s
        .grouped_search_result
        .and_then(|g| g.more_full_page_results)
        .unwrap_or(false);
    let next = if more && page + 1 < MAX_PAGES && ctx.cursor.is_some() {
        Some(request(ctx, page.max(1) + 1)?)
    } else {
        None
    };
    // `after:` takes a day: ask from the day before the newest seen; repeats are stored once.
    let after = newest
        .map(|n| (n - chrono::Duration::days(1)).format("%Y-%m-%d").to_string())
        .or_else(|| {
            ctx.cursor
                .and_then(|c| c.get("after"))
                .and_then(|v| v.as_str())
                .map(String::from)
        });
    Ok(Page {
        notes,
        skipped,
        mentions,
        cursor: after.map(|a| serde_json::json!({ "after": a })),
        next,
        rate: None,
        wait: None,
    })
}

/// A topic's posts: `GET /t/:topic_id.json` on the forum (its first twenty posts, which is where
/// a thread's context is).
pub fn thread_request(ctx: &Ctx<'_>, root: Option<&str>) -> Result<Option<Request>, SourceError> {
    let Some(topic) = root
        .and_then(|r| r.rsplit_once(":topic:"))
        .map(|(_, id)| id)
        .filter(|id| !id.is_empty() && id.chars().all(|c| c.is_ascii_digit()))
    else {
        return Ok(None);
    };
    let base = ctx
        .feed
        .url
        .as_ref()
        .ok_or_else(|| SourceError::Request("a discourse feed needs `url`".into()))?;
    let url = endpoint(ctx.feed, base.as_str(), &format!("/t/{topic}.json"))?;
    Ok(Some(Request::get(url).header("accept", "application/json")))
}

#[derive(Deserialize)]
struct TopicAnswer {
    #[serde(default, deserialize_with = "super::lenient")]
    title: Option<String>,
    #[serde(default, deserialize_with = "super::lenient")]
    slug: Option<String>,
    #[serde(default, deserialize_with = "super::lenient")]
    id: Option<i64>,
    #[serde(default, deserialize_with = "super::lenient")]
    post_stream: Option<PostStream>,
}

#[derive(Deserialize)]
struct PostStream {
    #[serde(default)]
    posts: Vec<serde_json::Value>,
}

#[derive(Deserialize)]
struct TopicPost {
    id: i64,
    #[serde(default, deserialize_with = "super::lenient")]
    username: Option<String>,
    #[serde(default, deserialize_with = "super::lenient")]
    name: Option<String>,
    #[serde(default, deserialize_with = "super::lenient")]
    cooked: Option<String>,
    #[serde(default, deserialize_with = "super::lenient")]
    created_at: Option<String>,
    #[serde(default, deserialize_with = "super::lenient")]
    post_number: Option<i64>,
    #[serde(default, deserialize_with = "super::lenient")]
    reply_to_post_number: Option<i64>,
}

/// A topic's posts: each answers the post its `reply_to_post_number` names, or else the first.
pub fn thread_nodes(ctx: &Ctx<'_>, reply: &Reply<'_>) -> Result<Vec<super::thread::Node>, SourceError> {
    let t: TopicAnswer = json_body("Discourse topic", reply.body)?;
    let host = host(ctx.feed.url.as_ref());
    let posts: Vec<TopicPost> = t
        .post_stream
        .map(|s| s.posts)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|p| serde_json::from_value(p).ok())
        .collect();
    let by_number: HashMap<i64, i64> = posts.iter().filter_map(|p| Some((p.post_number?, p.id))).collect();
    let first = by_number.get(&1).copied();
    Ok(posts
        .into_iter()
        .map(|p| {
            let id = format!("{host}:{}", p.id);
            let parent = match (p.post_number, p.reply_to_post_number) {
                (Some(1), _) => None,
                (_, Some(n)) => by_number.get(&n).copied().or(first),
                _ => first,
            }
            .map(|pid| format!("{host}:{pid}"));
            let url = t.id.map(|topic| {
                post_url(
                    ctx.feed,
                    t.slug.as_deref().unwrap_or("-"),
                    topic,
                    p.post_number.unwrap_or(1),
                )
            });
            let post = NewMention {
                external_id: Some(id.clone()),
                url,
                author: p.username.or_else(|| p.name.filter(|n| !n.is_empty())),
                title: (p.post_number == Some(1))
                    .then(|| t.title.as_deref().map(text::strip_tags_inline))
                    .flatten(),
                text: p.cooked.as_deref().map(text::html_to_text).unwrap_or_default(),
                published_at: super::rfc3339(p.created_at.as_deref()),
                ..Default::default()
            };
            super::thread::Node { id, parent, post }
        })
        .collect())
}
