//! X (Twitter) API v2 recent search with an app bearer token. Asks for what is newer than the
//! newest seen (`since_id`) with the fields and expansions that carry metrics and authors, follows
//! `next_token` within a poll, and turns the rate-limit headers into the next poll time.

use super::{
    Ctx, Each, Page, Reply, Request, SourceError, endpoint, json_body, newer_id, rate_from_headers, with_query,
};
use crate::model::{Engagement, NewMention};
use serde::Deserialize;
use std::collections::HashMap;

const PUBLIC: &str = "https://api.x.com";
/// What a tweet carries: its metrics and language, and where it stands in its conversation (the
/// thread's first tweet, and what it answers).
const TWEET_FIELDS: &str = "created_at,author_id,public_metrics,lang,conversation_id,referenced_tweets";

/// The conversation a tweet is part of, for watching what answers our reply there: a recent
/// search of `conversation_id:ROOT` (X has no thread endpoint; the search sees the last 7 days,
/// as long as the follow-up window's default).
pub fn conversation_request(ctx: &Ctx<'_>, root: &str) -> Result<Option<Request>, SourceError> {
    if root.is_empty() || !root.chars().all(|c| c.is_ascii_digit()) {
        return Ok(None);
    }
    let token = ctx
        .token
        .ok_or_else(|| SourceError::Request("an x feed needs a bearer token".into()))?;
    let pairs = [
        ("query", format!("conversation_id:{root}")),
        ("max_results", "100".to_string()),
        ("tweet.fields", TWEET_FIELDS.to_string()),
        ("expansions", "author_id".to_string()),
        ("user.fields", "username,name,public_metrics".to_string()),
    ];
    Ok(Some(
        Request::get(with_query(
            endpoint(ctx.feed, PUBLIC, "/2/tweets/search/recent")?,
            &pairs,
        ))
        .bearer(token),
    ))
}

/// The tweets of a conversation search, with what each answers.
pub fn conversation_nodes(ctx: &Ctx<'_>, reply: &Reply<'_>) -> Result<Vec<super::thread::Node>, SourceError> {
    Ok(parse(ctx, reply)?
        .mentions
        .into_iter()
        .filter_map(super::thread::Node::of)
        .collect())
}

pub fn request(ctx: &Ctx<'_>, next_token: Option<&str>) -> Result<Request, SourceError> {
    let feed = ctx.feed;
    let token = ctx
        .token
        .ok_or_else(|| SourceError::Request("an x feed needs a bearer token".into()))?;
    let q = feed.query.clone().unwrap_or_default();
    let query = if q.contains("is:retweet") {
        q
    } else {
        format!("{q} -is:retweet")
    };
    let mut pairs = vec![
        ("query", query),
        ("max_results", "100".to_string()),
        ("tweet.fields", TWEET_FIELDS.to_string()),
        ("expansions", "author_id".to_string()),
        ("user.fields", "username,name,public_metrics".to_string()),
    ];
    if let Some(since) = ctx.cursor.and_then(|c| c.get("since_id")).and_then(|v| v.as_str()) {
        pairs.push(("since_id", since.to_string()));
    }
    if let Some(t) = next_token {
        pairs.push(("pagination_token", t.to_string()));
    }
    Ok(Request::get(with_query(endpoint(feed, PUBLIC, "/2/tweets/search/recent")?, &pairs)).bearer(token))
}

#[derive(Deserialize)]
struct Search {
    #[serde(default)]
    data: Each<Tweet>,
    #[serde(default, deserialize_with = "super::lenient")]
    includes: Option<Includes>,
    #[serde(default, deserialize_with = "super::lenient")]
    meta: Option<Meta>,
}

#[derive(Deserialize)]
struct Tweet {
    id: String,
    text: String,
    #[serde(default, deserialize_with = "super::lenient")]
    author_id: Option<String>,
    #[serde(default, deserialize_with = "super::lenient")]
    created_at: Option<String>,
    #[serde(default, deserialize_with = "super::lenient")]
    public_metrics: Option<TweetMetrics>,
    /// BCP 47, `und` when X could not tell (any JSON: a stranger's value must not cost the page).
    #[serde(default)]
    lang: serde_json::Value,
    /// The thread's first tweet, and what this one answers (any JSON).
    #[serde(default)]
    conversation_id: serde_json::Value,
    #[serde(default)]
    referenced_tweets: serde_json::Value,
}

#[derive(Deserialize)]
struct TweetMetrics {
    #[serde(default, deserialize_with = "super::lenient_count")]
    retweet_count: Option<i64>,
    #[serde(default, deserialize_with = "super::lenient_count")]
    reply_count: Option<i64>,
    #[serde(default, deserialize_with = "super::lenient_count")]
    like_count: Option<i64>,
    #[serde(default, deserialize_with = "super::lenient_count")]
    quote_count: Option<i64>,
    #[serde(default, deserialize_with = "super::lenient_count")]
    impression_count: Option<i64>,
}

#[derive(Deserialize)]
struct Includes {
    #[serde(default)]
    users: Each<User>,
}

#[derive(Deserialize)]
struct User {
    id: String,
    username: String,
    #[serde(default, deserialize_with = "super::lenient")]
    name: Option<String>,
    #[serde(default, deserialize_with = "super::lenient")]
    public_metrics: Option<UserMetrics>,
}

#[derive(Deserialize)]
struct UserMetrics {
    #[serde(default, deserialize_with = "super::lenient_count")]
    followers_count: Option<i64>,
}

#[derive(Deserialize)]
struct Meta {
    #[serde(default, deserialize_with = "super::lenient")]
    newest_id: Option<String>,
    #[serde(default, deserialize_with = "super::lenient")]
    next_token: Option<String>,
}

/// X escapes &, < and > in tweet text, once.
pub(crate) fn unescape(s: &str) -> String {
    s.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
}

pub fn parse(ctx: &Ctx<'_>, reply: &Reply<'_>) -> Result<Page, SourceError> {
    let s: Search = json_body("X search", reply.body)?;
    let users: HashMap<String, User> = s
        .includes
        .map(|i| i.users.into_iter().map(|u| (u.id.clone(), u)).collect())
        .unwrap_or_default();
    let mut newest = ctx
        .cursor
        .and_then(|c| c.get("since_id"))
        .and_then(|v| v.as_str())
        .map(String::from);
    if let Some(n) = s.meta.as_ref().and_then(|m| m.newest_id.as_deref()) {
        newest = newer_id(newest, n);
    }
    let (skipped, notes) = s.data.said(("post", "posts"));
    let mentions = s
        .data
        .into_iter()
        .map(|t| {
            newest = newer_id(newest.take(), &t.id);
            let user = t.author_id.as_ref().and_then(|a| users.get(a));
            let m = t.public_metrics;
            let parent = t.referenced_tweets.as_array().and_then(|refs| {
                refs.iter()
                    .find(|r| r["type"] == "replied_to")
                    .and_then(|r| super::id_text(&r["id"]))
            });
            let place = crate::model::Place {
                links_to: None,
                root: parent.as_ref().and(super::id_text(&t.conversation_id)),
                parent,
            };
            NewMention {
                place,
                facts: None,
                url: Some(match user {
                    Some(u) => format!("https://x.com/{}/status/{}", u.username, t.id),
                    None => format!("https://x.com/i/web/status/{}", t.id),
                }),
                author: user.map(|u| u.username.clone()),
                author_ref: None,
                author_name: user.and_then(|u| u.name.clone()),
                author_reach: user
                    .and_then(|u| u.public_metrics.as_ref())
                    .and_then(|p| p.followers_count),
                title: None,
                text: unescape(&t.text),
                lang: t.lang.as_str().map(str::to_string),
                published_at: super::rfc3339(t.created_at.as_deref()),
                engagement: Engagement {
                    likes: m.as_ref().and_then(|m| m.like_count),
                    reposts: m.as_ref().and_then(|m| m.retweet_count),
                    replies: m.as_ref().and_then(|m| m.reply_count),
                    quotes: m.as_ref().and_then(|m| m.quote_count),
                    views: m.as_ref().and_then(|m| m.impression_count),
                    ..Default::default()
                },
                external_id: Some(t.id),
            }
        })
        .collect();
    let next = match s.meta.and_then(|m| m.next_token) {
        Some(t) => Some(request(ctx, Some(&t))?),
        None => None,
    };
    let rate = rate_from_headers(reply, "x-rate-limit", ctx.now);
    Ok(Page {
        notes,
        skipped,
        mentions,
        cursor: newest.map(|n| serde_json::json!({ "since_id": n })),
        next,
        wait: rate.as_ref().and_then(|r| r.wait(ctx.now)),
        rate,
    })
}
