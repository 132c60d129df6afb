//! Hacker News through Algolia's search API: stories and comments by date, newest first.
//!
//! Request: `GET /api/v1/search_by_date?query=Q&tags=(story,comment)&hitsPerPage=100&numericFilters=created_at_i>N`
//! where N is the newest item time already seen, so a poll asks only for what is new.

use super::{Page, SourceError, endpoint};
use crate::model::FeedConfig;
use crate::model::{Engagement, NewMention};
use crate::text;
use chrono::DateTime;
use serde::Deserialize;
use url::Url;

const PUBLIC: &str = "https://hn.algolia.com";
const PATH: &str = "/api/v1/search_by_date";
const HITS_PER_PAGE: u32 = 100;
/// Pages followed in one poll when more new items wait than one page holds.
const MAX_PAGES: u32 = 5;

#[derive(Deserialize)]
struct Response {
    /// Read one by one: one broken hit costs that hit, not the page.
    hits: Vec<serde_json::Value>,
    #[serde(default)]
    page: u32,
    #[serde(default, rename = "nbPages")]
    nb_pages: u32,
}

#[derive(Deserialize)]
struct Hit {
    #[serde(rename = "objectID")]
    object_id: Option<serde_json::Value>,
    #[serde(default, deserialize_with = "super::lenient")]
    author: Option<String>,
    #[serde(default, deserialize_with = "super::lenient")]
    title: Option<String>,
    #[serde(default, deserialize_with = "super::lenient")]
    story_text: Option<String>,
    #[serde(default, deserialize_with = "super::lenient")]
    comment_text: Option<String>,
    #[serde(default, deserialize_with = "super::lenient")]
    story_title: Option<String>,
    #[serde(default, deserialize_with = "super::lenient_count")]
    points: Option<i64>,
    #[serde(default, deserialize_with = "super::lenient_count")]
    num_comments: Option<i64>,
    #[serde(default, deserialize_with = "super::lenient")]
    created_at_i: Option<i64>,
    #[serde(default, deserialize_with = "super::lenient")]
    created_at: Option<String>,
    /// The story's link (a story), the story's id and the comment answered (a comment).
    #[serde(default, deserialize_with = "super::lenient")]
    url: Option<String>,
    #[serde(default)]
    story_id: serde_json::Value,
    #[serde(default)]
    parent_id: serde_json::Value,
}

fn newest_seen(cursor: Option<&serde_json::Value>) -> Option<i64> {
    cursor
        .and_then(|c| c.get("newest_created_at_i"))
        .and_then(|v| v.as_i64())
}

/// The request for page `page` of a poll.
pub fn request(feed: &FeedConfig, cursor: Option<&serde_json::Value>, page: u32) -> Result<Url, SourceError> {
    let mut url = endpoint(feed, PUBLIC, PATH)?;
    {
        let mut q = url.query_pairs_mut();
        q.append_pair("query", feed.query.as_deref().unwrap_or(""));
        q.append_pair("tags", "(story,comment)");
        q.append_pair("hitsPerPage", &HITS_PER_PAGE.to_string());
        if let Some(newest) = newest_seen(cursor) {
            q.append_pair("numericFilters", &format!("created_at_i>{newest}"));
        }
        if page > 0 {
            q.append_pair("page", &page.to_string());
        }
    }
    Ok(url)
}

/// A comment answers its parent in its story's thread; a story may share a link.
fn place(hit: &Hit, is_comment: bool) -> crate::model::Place {
    if is_comment {
        crate::model::Place {
            links_to: None,
            parent: super::id_text(&hit.parent_id),
            root: super::id_text(&hit.story_id),
        }
    } else {
        crate::model::Place {
            links_to: hit.url.clone().filter(|u| !u.trim().is_empty()),
            ..Default::default()
        }
    }
}

pub fn parse(feed: &FeedConfig, body: &[u8], cursor: Option<&serde_json::Value>) -> Result<Page, SourceError> {
    let resp: Response = serde_json::from_slice(body).map_err(|e| SourceError::Unexpected {
        service: "Hacker News search",
        detail: format!("not the search JSON ({e})"),
    })?;
    let mut newest = newest_seen(cursor);
    let mut mentions = Vec::with_capacity(resp.hits.len());
    let mut skipped = 0;
    for hit in resp.hits {
        let Ok(hit) = serde_json::from_value::<Hit>(hit) else {
            skipped += 1;
            continue;
        };
        let Some(id) = hit.object_id.as_ref().and_then(super::id_text) else {
            skipped += 1;
            continue;
        };
        let published = hit
            .created_at_i
            .and_then(|t| DateTime::from_timestamp(t, 0))
            .or_else(|| super::rfc3339(hit.created_at.as_deref()));
        if let Some(t) = published {
            newest = Some(newest.map_or(t.timestamp(), |n| n.max(t.timestamp())));
        }
        let is_comment = hit.comment_text.is_some();
        let place = place(&hit, is_comment);
        let (title, body) = if is_comment {
            (
                hit.story_title
                    .as_deref()
                    .map(|t| format!("Re: {}", text::strip_tags_inline(t))),
                hit.comment_text,
            )
        } else {
            (hit.title.as_deref().map(text::strip_tags_inline), hit.story_text)
        };
        mentions.push(NewMention {
            place,
            facts: None,
            lang: None,
            url: Some(format!("https://news.ycombinator.com/item?id={id}")),
            external_id: Some(id),
            author: hit.author,
            author_ref: None,
            author_name: None,
            author_reach: None,
            title,
            text: body.as_deref().map(text::html_to_text).unwrap_or_default(),
            published_at: published,
            engagement: Engagement {
                score: hit.points,
                replies: hit.num_comments,
                ..Default::default()
            },
        });
    }
    // Follow further pages only when asking for what is new since a known point: a first poll
    // takes the newest page and starts from there.
    let next = if cursor.is_some() && resp.page + 1 < resp.nb_pages.min(MAX_PAGES) {
        Some(request(feed, cursor, resp.page + 1)?)
    } else {
        None
    };
    Ok(Page {
        mentions,
        cursor: newest.map(|n| serde_json::json!({ "newest_created_at_i": n })),
        next: next.map(super::Request::get),
        skipped,
        notes: (skipped > 0)
            .then(|| format!("{skipped} hit(s) without an objectID or unreadable were skipped"))
            .into_iter()
            .collect(),
        ..Default::default()
    })
}

/// The thread of a story: Algolia's `GET /api/v1/items/:id` on the story (a comment's `story_id`),
/// the whole tree of its comments in one answer.
pub fn thread_request(ctx: &super::Ctx<'_>, id: &str) -> Result<super::Request, SourceError> {
    let id: String = url::form_urlencoded::byte_serialize(id.as_bytes()).collect();
    Ok(super::Request::get(endpoint(
        ctx.feed,
        PUBLIC,
        &format!("/api/v1/items/{id}"),
    )?))
}

/// An item of the tree, read one by one (one broken item costs that item and its replies).
#[derive(Deserialize)]
struct Item {
    #[serde(default)]
    id: serde_json::Value,
    #[serde(default, deserialize_with = "super::lenient")]
    author: Option<String>,
    #[serde(default, deserialize_with = "super::lenient")]
    title: Option<String>,
    #[serde(default, deserialize_with = "super::lenient")]
    text: Option<String>,
    #[serde(default, deserialize_with = "super::lenient")]
    created_at_i: Option<i64>,
    #[serde(default, deserialize_with = "super::lenient")]
    created_at: Option<String>,
    #[serde(default)]
    parent_id: serde_json::Value,
    #[serde(default)]
    children: Vec<serde_json::Value>,
}

/// Every item of a story's tree, parents before their replies, in the order Algolia gives them.
pub fn thread_nodes(reply: &super::Reply<'_>) -> Result<Vec<super::thread::Node>, SourceError> {
    let root: serde_json::Value = super::json_body("Hacker News item", reply.body)?;
    let mut nodes = Vec::new();
    let mut todo = vec![root];
    while let Some(v) = todo.pop() {
        let Ok(item) = serde_json::from_value::<Item>(v) else {
            continue;
        };
        let Some(id) = super::id_text(&item.id) else { continue };
        todo.extend(item.children.into_iter().rev());
        let published = item
            .created_at_i
            .and_then(|t| DateTime::from_timestamp(t, 0))
            .or_else(|| super::rfc3339(item.created_at.as_deref()));
        let post = NewMention {
            url: Some(format!("https://news.ycombinator.com/item?id={id}")),
            external_id: Some(id.clone()),
            author: item.author,
            title: item.title.as_deref().map(text::strip_tags_inline),
            text: item.text.as_deref().map(text::html_to_text).unwrap_or_default(),
            published_at: published,
            ..Default::default()
        };
        nodes.push(super::thread::Node {
            id,
            parent: super::id_text(&item.parent_id),
            post,
        });
    }
    Ok(nodes)
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIXTURE: &[u8] = include_bytes!("../../tests/fixtures/hackernews/hn_search_by_date.json");

    fn feed(url: Option<&str>) -> FeedConfig {
        let url = url.map(|u| format!("url = \"{u}\"\n")).unwrap_or_default();
        crate::sources::test_feed(&format!(
            "[[feed]]\nname = \"hn\"\nkind = \"hackernews\"\nquery = \"sqlite\"\n{url}"
        ))
    }

    #[test]
    fn the_request_asks_only_for_what_is_new() {
        let f = feed(None);
        let first = request(&f, None, 0).unwrap();
        assert_eq!(
            first.as_str(),
            "https://hn.algolia.com/api/v1/search_by_date?query=sqlite&tags=%28story%2Ccomment%29&hitsPerPage=100"
        );
        let cursor = serde_json::json!({"newest_created_at_i": 1795185069});
        let next = request(&f, Some(&cursor), 0).unwrap();
        let pairs: Vec<(String, String)> = next.query_pairs().into_owned().collect();
        assert!(
            pairs.contains(&("numericFilters".into(), "created_at_i>1795185069".into())),
            "{pairs:?}"
        );
    }

    #[test]
    fn the_url_override_keeps_its_path_prefix() {
        let f = feed(Some("http://127.0.0.1:9999/mirror/"));
        let u = request(&f, None, 2).unwrap();
        assert!(
            u.as_str()
                .starts_with("http://127.0.0.1:9999/mirror/api/v1/search_by_date?query=sqlite"),
            "{u}"
        );
        assert!(u.as_str().ends_with("&page=2"), "{u}");
    }

    #[test]
    fn stories_and_comments_become_mentions() {
        let f = feed(None);
        let page = parse(&f, FIXTURE, None).unwrap();
        assert_eq!(page.mentions.len(), 4);
        assert_eq!(
            page.cursor,
            Some(serde_json::json!({"newest_created_at_i": 1795185069}))
        );
        assert_eq!(page.next, None, "a first poll takes one page");

        let comment = &page.mentions[0];
        assert_eq!(comment.external_id.as_deref(), Some("49521877"));
        assert_eq!(comment.author.as_deref(), Some("quietgrep"));
        assert_eq!(
            comment.url.as_deref(),
            Some("https://news.ycombinator.com/item?id=49521877")
        );
        assert_eq!(
            comment.title.as_deref(),
            Some("Re: Show HN: Litequeue – a durable job queue on top of SQLite")
        );
        assert!(
            comment.text.starts_with("I've run something very similar"),
            "{}",
            comment.text
        );
        assert!(
            comment.text.contains("https://www.sqlite.org/wal.html"),
            "{}",
            comment.text
        );
        assert!(comment.text.contains("\n"), "paragraphs kept: {}", comment.text);
        assert_eq!(comment.engagement.score, None, "comments have no points");
        assert_eq!(comment.published_at.unwrap().to_rfc3339(), "2026-11-20T14:31:09+00:00");

        let story = &page.mentions[1];
        assert_eq!(
            story.title.as_deref(),
            Some("Show HN: Litequeue – a durable job queue on top of SQLite")
        );
        assert_eq!(
            story.engagement,
            Engagement {
                score: Some(57),
                replies: Some(23),
                ..Default::default()
            }
        );
        assert!(
            story.text.contains("no daemon & no extra dependencies"),
            "{}",
            story.text
        );
        assert!(story.text.contains("\"about\""), "{}", story.text);

        let ask = &page.mentions[2];
        assert!(ask.text.starts_with("Litestream > cron"), "{}", ask.text);
        assert_eq!(page.mentions[3].text, "", "a link story has no text");
    }

    #[test]
    fn pages_are_followed_only_from_a_cursor_and_only_so_far() {
        let f = feed(None);
        let cursor = serde_json::json!({"newest_created_at_i": 1});
        let page = parse(&f, FIXTURE, Some(&cursor)).unwrap();
        let next = page.next.expect("nbPages is 250");
        assert!(next.url.as_str().ends_with("&page=1"), "{}", next.url);
        let last = br#"{"hits":[],"page":4,"nbPages":250}"#;
        assert_eq!(parse(&f, last, Some(&cursor)).unwrap().next, None);
    }

    #[test]
    fn a_wrong_payload_is_an_error_in_words() {
        let f = feed(None);
        let e = parse(&f, br#"{"message":"rate limited"}"#, None).unwrap_err();
        assert!(e.to_string().contains("Hacker News"), "{e}");
    }
}
