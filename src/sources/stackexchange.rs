//! Stack Exchange: `/2.3/search/advanced` on one site (`site`, default stackoverflow), newest
//! first, from the newest creation date seen (`fromdate`). Answers are always gzip (the poller's
//! client inflates them, under the body cap). `backoff` is obeyed; the daily quota shows in health.

use super::{Ctx, Each, Page, RateLimit, Reply, Request, SourceError, endpoint, json_body, with_query};
use crate::model::{Engagement, NewMention};
use crate::text;
use chrono::DateTime;
use serde::Deserialize;
use std::time::Duration;

const PUBLIC: &str = "https://api.stackexchange.com";
const MAX_PAGES: u32 = 5;

pub fn request(ctx: &Ctx<'_>, page: u32) -> Result<Request, SourceError> {
    let feed = ctx.feed;
    let mut pairs = vec![
        ("q", feed.query.clone().unwrap_or_default()),
        ("site", feed.site.clone().unwrap_or_else(|| "stackoverflow".into())),
        ("sort", "creation".to_string()),
        ("order", "desc".to_string()),
        ("pagesize", "100".to_string()),
        ("filter", "withbody".to_string()),
    ];
    if let Some(from) = ctx.cursor.and_then(|c| c.get("fromdate")).and_then(|v| v.as_i64()) {
        pairs.push(("fromdate", from.to_string()));
    }
    if page > 1 {
        pairs.push(("page", page.to_string()));
    }
    // An app key raises the quota; it is not a secret, but it comes from the environment too.
    if let Some(key) = ctx.token {
        pairs.push(("key", key.to_string()));
    }
    Ok(Request::get(with_query(
        endpoint(feed, PUBLIC, "/2.3/search/advanced")?,
        &pairs,
    )))
}

#[derive(Deserialize)]
struct Search {
    #[serde(default)]
    items: Each<Question>,
    #[serde(default, deserialize_with = "super::lenient")]
    has_more: Option<bool>,
    #[serde(default, deserialize_with = "super::lenient")]
    quota_max: Option<i64>,
    #[serde(default, deserialize_with = "super::lenient")]
    quota_remaining: Option<i64>,
    #[serde(default, deserialize_with = "super::lenient")]
    backoff: Option<u64>,
    #[serde(default, deserialize_with = "super::lenient")]
    error_message: Option<String>,
}

#[derive(Deserialize)]
struct Question {
    question_id: i64,
    #[serde(default, deserialize_with = "super::lenient")]
    title: Option<String>,
    #[serde(default, deserialize_with = "super::lenient")]
    body: Option<String>,
    #[serde(default, deserialize_with = "super::lenient")]
    link: Option<String>,
    #[serde(default, deserialize_with = "super::lenient")]
    creation_date: Option<i64>,
    #[serde(default, deserialize_with = "super::lenient_count")]
    score: Option<i64>,
    #[serde(default, deserialize_with = "super::lenient_count")]
    answer_count: Option<i64>,
    #[serde(default, deserialize_with = "super::lenient_count")]
    view_count: Option<i64>,
    #[serde(default, deserialize_with = "super::lenient")]
    owner: Option<Owner>,
}

#[derive(Deserialize)]
struct Owner {
    #[serde(default, deserialize_with = "super::lenient")]
    display_name: Option<String>,
    #[serde(default, deserialize_with = "super::lenient_count")]
    reputation: Option<i64>,
}

pub fn parse(ctx: &Ctx<'_>, req: &Request, reply: &Reply<'_>) -> Result<Page, SourceError> {
    let s: Search = json_body("Stack Exchange", reply.body)?;
    if let Some(e) = s.error_message {
        return Err(SourceError::Refused(format!("Stack Exchange: {e}")));
    }
    let mut newest = ctx.cursor.and_then(|c| c.get("fromdate")).and_then(|v| v.as_i64());
    let (skipped, notes) = s.items.said(("question", "questions"));
    let mentions = s
        .items
        .into_iter()
        .map(|q| {
            if let Some(t) = q.creation_date {
                newest = Some(newest.map_or(t, |n| n.max(t)));
            }
            NewMention {
                place: Default::default(),
                facts: None,
                lang: None,
                external_id: Some(q.question_id.to_string()),
                url: q.link,
                author: q
                    .owner
                    .as_ref()
                    .and_then(|o| o.display_name.as_deref())
                    .map(text::strip_tags_inline),
                author_ref: None,
                author_name: None,
                author_reach: q.owner.as_ref().and_then(|o| o.reputation),
                title: q.title.as_deref().map(text::strip_tags_inline),
                text: q.body.as_deref().map(text::html_to_text).unwrap_or_default(),
                published_at: q.creation_date.and_then(|t| DateTime::from_timestamp(t, 0)),
                engagement: Engagement {
                    score: q.score,
                    replies: q.answer_count,
                    views: q.view_count,
                    ..Default::default()
                },
            }
        })
        .collect();
    let page = super::page_param(req).unwrap_or(1);
    let wait = s.backoff.map(Duration::from_secs);
    let next = if s.has_more == Some(true) && page < MAX_PAGES && wait.is_none() {
        Some(request(ctx, page + 1)?)
    } else {
        None
    };
    let rate = RateLimit {
        limit: s.quota_max,
        remaining: s.quota_remaining,
        reset: None,
        note: s.quota_remaining.map(|r| format!("{r} requests left today")),
    };
    Ok(Page {
        notes,
        skipped,
        mentions,
        // From the newest second seen, inclusive: a question posted in that same second but
        // indexed later is not missed, and the repeats are stored once.
        cursor: newest.map(|n| serde_json::json!({ "fromdate": n })),
        next,
        wait: wait.or_else(|| (s.quota_remaining == Some(0)).then(|| Duration::from_secs(3600))),
        rate: Some(rate),
    })
}
