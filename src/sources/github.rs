//! GitHub issue and pull request search (`/search/issues`), newest first, from the newest
//! creation time seen (`created:>`); the token is optional. Search has its own limit (30 a
//! minute signed in, 10 without): the rate-limit headers set the next poll when it is spent.

use super::{Ctx, Each, Page, Reply, Request, SourceError, endpoint, json_body, rate_from_headers, with_query};
use crate::model::{Engagement, NewMention};
use chrono::{DateTime, Utc};
use serde::Deserialize;

const PUBLIC: &str = "https://api.github.com";

pub fn request(ctx: &Ctx<'_>) -> Result<Request, SourceError> {
    let feed = ctx.feed;
    let mut q = feed.query.clone().unwrap_or_default();
    if let Some(since) = ctx.cursor.and_then(|c| c.get("created")).and_then(|v| v.as_str()) {
        q.push_str(&format!(" created:>{since}"));
    }
    let pairs = vec![
        ("q", q),
        ("sort", "created".to_string()),
        ("order", "desc".to_string()),
        ("per_page", "100".to_string()),
    ];
    let req = Request::get(with_query(endpoint(feed, PUBLIC, "/search/issues")?, &pairs))
        .header("accept", "application/vnd.github+json")
        .header("x-github-api-version", "2022-11-28");
    Ok(req.bearer_if(ctx.token))
}

#[derive(Deserialize)]
struct Search {
    #[serde(default)]
    items: Each<Issue>,
}

#[derive(Deserialize)]
struct Issue {
    id: i64,
    #[serde(default, deserialize_with = "super::lenient")]
    html_url: Option<String>,
    #[serde(default, deserialize_with = "super::lenient")]
    title: Option<String>,
    #[serde(default, deserialize_with = "super::lenient")]
    body: Option<String>,
    #[serde(default, deserialize_with = "super::lenient")]
    created_at: Option<String>,
    #[serde(default, deserialize_with = "super::lenient_count")]
    comments: Option<i64>,
    #[serde(default, deserialize_with = "super::lenient")]
    user: Option<User>,
    #[serde(default, deserialize_with = "super::lenient")]
    reactions: Option<Reactions>,
    pull_request: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct User {
    login: String,
}

#[derive(Deserialize)]
struct Reactions {
    #[serde(default, deserialize_with = "super::lenient_count")]
    total_count: Option<i64>,
}

pub fn parse(ctx: &Ctx<'_>, req: &Request, reply: &Reply<'_>) -> Result<Page, SourceError> {
    let s: Search = json_body("GitHub search", reply.body)?;
    let mut newest: Option<DateTime<Utc>> = ctx
        .cursor
        .and_then(|c| c.get("created"))
        .and_then(|v| super::rfc3339(v.as_str()));
    let (skipped, notes) = s.items.said(("issue", "issues"));
    let mentions = s
        .items
        .into_iter()
        .map(|i| {
            let created = super::rfc3339(i.created_at.as_deref());
            if let Some(c) = created {
                newest = Some(newest.map_or(c, |n| n.max(c)));
            }
            let kind = if i.pull_request.is_some() { "PR" } else { "Issue" };
            NewMention {
                place: Default::default(),
                facts: None,
                lang: None,
                external_id: Some(i.id.to_string()),
                url: i.html_url,
                author: i.user.map(|u| u.login),
                author_ref: None,
                author_name: None,
                author_reach: None,
                title: i.title.map(|t| format!("{kind}: {t}")),
                text: i.body.unwrap_or_default(),
                published_at: created,
                engagement: Engagement {
                    replies: i.comments,
                    likes: i.reactions.and_then(|r| r.total_count),
                    ..Default::default()
                },
            }
        })
        .collect();
    // More pages: the `link` header's rel="next", on the same host only (it carries the token).
    let next = reply
        .header("link")
        .and_then(|l| l.split(',').find(|p| p.contains("rel=\"next\"")).map(str::to_string))
        .and_then(|p| url::Url::parse(p[p.find('<')? + 1..p.find('>')?].trim()).ok())
        .filter(|u| u.origin() == req.url.origin())
        .map(|u| Request {
            url: u,
            headers: req.headers.clone(),
            body: None,
        });
    let mut rate = rate_from_headers(reply, "x-ratelimit", ctx.now);
    if let Some(r) = rate.as_mut()
        && let Some(reset) = r.reset
        && reset > ctx.now + chrono::Duration::days(2)
    {
        // A reset in milliseconds was read as seconds far in the future: not trustworthy.
        r.reset = None;
    }
    Ok(Page {
        notes,
        skipped,
        mentions,
        cursor: newest.map(|n| serde_json::json!({ "created": n.to_rfc3339_opts(chrono::SecondsFormat::Secs, true) })),
        next,
        wait: rate.as_ref().and_then(|r| r.wait(ctx.now)),
        rate,
    })
}

/// The comments on an issue or pull request: `GET /repos/:owner/:repo/issues/:number/comments`,
/// found from the mention's `html_url` (`https://github.com/OWNER/REPO/issues/N` or `/pull/N`).
pub fn thread_request(ctx: &Ctx<'_>, html_url: Option<&str>) -> Result<Option<Request>, SourceError> {
    let Some(u) = html_url.and_then(|u| url::Url::parse(u).ok()) else {
        return Ok(None);
    };
    let parts: Vec<&str> = u.path_segments().map(|s| s.collect()).unwrap_or_default();
    let plain = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    };
    let [owner, repo, "issues" | "pull", number] = parts[..] else {
        return Ok(None);
    };
    if !plain(owner) || !plain(repo) || !number.chars().all(|c| c.is_ascii_digit()) || number.is_empty() {
        return Ok(None);
    }
    let path = format!("/repos/{owner}/{repo}/issues/{number}/comments");
    let req = Request::get(with_query(
        endpoint(ctx.feed, PUBLIC, &path)?,
        &[("per_page", "100".to_string())],
    ))
    .header("accept", "application/vnd.github+json")
    .header("x-github-api-version", "2022-11-28");
    Ok(Some(req.bearer_if(ctx.token)))
}

#[derive(Deserialize)]
struct IssueComment {
    id: i64,
    #[serde(default, deserialize_with = "super::lenient")]
    html_url: Option<String>,
    #[serde(default, deserialize_with = "super::lenient")]
    body: Option<String>,
    #[serde(default, deserialize_with = "super::lenient")]
    created_at: Option<String>,
    #[serde(default, deserialize_with = "super::lenient")]
    user: Option<User>,
}

/// An issue's comments, each answering the issue (`issue`: the mention's id): GitHub's comments
/// are a flat list.
pub fn thread_nodes(reply: &Reply<'_>, issue: Option<&str>) -> Result<Vec<super::thread::Node>, SourceError> {
    let comments: Vec<serde_json::Value> = json_body("GitHub issue comments", reply.body)?;
    Ok(comments
        .into_iter()
        .filter_map(|c| serde_json::from_value::<IssueComment>(c).ok())
        .map(|c| {
            let id = format!("comment:{}", c.id);
            let post = NewMention {
                external_id: Some(id.clone()),
                url: c.html_url,
                author: c.user.map(|u| u.login),
                text: c.body.unwrap_or_default(),
                published_at: super::rfc3339(c.created_at.as_deref()),
                ..Default::default()
            };
            super::thread::Node {
                id,
                parent: issue.map(str::to_string),
                post,
            }
        })
        .collect())
}
