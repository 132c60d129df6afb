//! Apple's App Store: the public customer-reviews feed of an app (`app`, its numeric id) in one
//! country's store (`country`, default `us`), newest first, as JSON:
//! `/{country}/rss/customerreviews/page=N/id={app}/sortby=mostrecent/json`. Every value is
//! wrapped as `{"label": …}`; a page with no reviews has no `entry` at all (and a single review
//! may be an object, not a list). Pages go on (at most 10, Apple's limit) while all of a page is
//! newer than what the last poll saw. Each review keeps its rating, the app version and its
//! title. Apple's feed takes no replies: an answer is handed off to App Store Connect.

use super::{Ctx, Each, Page, Reply, Request, SourceError, endpoint, json_body};
use crate::model::{Engagement, NewMention, Place};
use serde::Deserialize;

const PUBLIC: &str = "https://itunes.apple.com";
const MAX_PAGES: u32 = 10;

fn app(ctx: &Ctx<'_>) -> Result<String, SourceError> {
    ctx.feed
        .app
        .clone()
        .ok_or_else(|| SourceError::Request("an appstore feed needs `app`, the app's numeric id".into()))
}

fn country(ctx: &Ctx<'_>) -> String {
    ctx.feed.country.clone().unwrap_or_else(|| "us".into())
}

fn page_of(req: &Request) -> u32 {
    req.url
        .path_segments()
        .and_then(|mut s| s.find_map(|seg| seg.strip_prefix("page=").and_then(|n| n.parse().ok())))
        .unwrap_or(1)
}

pub fn request(ctx: &Ctx<'_>, page: u32) -> Result<Request, SourceError> {
    let path = format!(
        "/{}/rss/customerreviews/page={page}/id={}/sortby=mostrecent/json",
        country(ctx),
        app(ctx)?
    );
    Ok(Request::get(endpoint(ctx.feed, PUBLIC, &path)?).header("accept", "application/json"))
}

#[derive(Deserialize)]
struct Answer {
    #[serde(default, deserialize_with = "super::lenient")]
    feed: Option<Feed>,
}

#[derive(Deserialize)]
struct Feed {
    #[serde(default, deserialize_with = "super::lenient")]
    entry: Option<Entries>,
}

/// One review is an object; more are a list.
#[derive(Deserialize)]
#[serde(untagged)]
enum Entries {
    Many(Each<Entry>),
    One(Box<Entry>),
}

#[derive(Deserialize)]
struct Label {
    #[serde(default, deserialize_with = "super::lenient")]
    label: Option<String>,
}

#[derive(Deserialize)]
struct Author {
    #[serde(default, deserialize_with = "super::lenient")]
    name: Option<Label>,
}

#[derive(Deserialize)]
struct Entry {
    #[serde(default, deserialize_with = "super::lenient")]
    id: Option<Label>,
    #[serde(default, deserialize_with = "super::lenient")]
    title: Option<Label>,
    #[serde(default, deserialize_with = "super::lenient")]
    content: Option<Label>,
    #[serde(default, deserialize_with = "super::lenient")]
    author: Option<Author>,
    #[serde(default, deserialize_with = "super::lenient")]
    updated: Option<Label>,
    #[serde(rename = "im:rating")]
    #[serde(default, deserialize_with = "super::lenient")]
    rating: Option<Label>,
    #[serde(rename = "im:version")]
    #[serde(default, deserialize_with = "super::lenient")]
    version: Option<Label>,
    #[serde(rename = "im:voteSum")]
    #[serde(default, deserialize_with = "super::lenient")]
    vote_sum: Option<Label>,
}

fn label(l: Option<&Label>) -> Option<&str> {
    l.and_then(|l| l.label.as_deref())
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// `★★★★☆ 4/5 · version 1.1.0` before the review's words.
fn stars(rating: Option<u8>, version: Option<&str>) -> String {
    let mut s = String::new();
    if let Some(r) = rating {
        s.push_str(&super::stars(r));
    }
    if let Some(v) = version {
        if !s.is_empty() {
            s.push_str(" · ");
        }
        s.push_str(&format!("version {v}"));
    }
    s
}

pub fn parse(ctx: &Ctx<'_>, req: &Request, reply: &Reply<'_>) -> Result<Page, SourceError> {
    let a: Answer = json_body("App Store reviews", reply.body)?;
    let feed = a
        .feed
        .ok_or_else(|| SourceError::Malformed("the App Store's answer has no `feed`".into()))?;
    let (entries, unread, note) = match feed.entry {
        Some(Entries::Many(v)) => {
            let note = v.note(("review", "reviews"));
            (v.items, v.skipped, note)
        }
        Some(Entries::One(e)) => (vec![*e], 0, None),
        None => (Vec::new(), 0, None),
    };
    let app = app(ctx)?;
    let page_url = format!("https://apps.apple.com/{}/app/id{app}?see-all=reviews", country(ctx));
    let seen: Option<u64> = ctx
        .cursor
        .and_then(|c| c.get("newest"))
        .and_then(|v| v.as_str())
        .and_then(|s| s.parse().ok());
    let mut reached = false;
    let mut newest = seen;
    let mut incomplete = 0;
    let mut mentions = Vec::new();
    for e in entries {
        // An older feed's first entry is the app itself: it has no rating.
        let (Some(id), Some(rating)) = (label(e.id.as_ref()), label(e.rating.as_ref())) else {
            incomplete += usize::from(e.rating.is_some());
            continue;
        };
        let rating: Option<u8> = rating.parse().ok().filter(|r| (1..=5).contains(r));
        if let Ok(n) = id.parse::<u64>() {
            reached |= seen.is_some_and(|s| n <= s);
            newest = Some(newest.map_or(n, |m| m.max(n)));
        }
        let words = label(e.content.as_ref()).unwrap_or_default();
        let head = stars(rating, label(e.version.as_ref()));
        mentions.push(NewMention {
            external_id: Some(format!("{app}:{id}")),
            url: Some(page_url.clone()),
            author: label(e.author.as_ref().and_then(|a| a.name.as_ref())).map(str::to_string),
            title: label(e.title.as_ref()).map(str::to_string),
            text: if head.is_empty() {
                words.to_string()
            } else {
                format!("{head}\n{words}")
            },
            published_at: super::rfc3339(label(e.updated.as_ref())),
            engagement: Engagement {
                likes: label(e.vote_sum.as_ref()).and_then(|v| v.parse().ok()),
                ..Default::default()
            },
            place: Place::default(),
            ..Default::default()
        });
    }
    let page = page_of(req);
    let next = if seen.is_some() && !reached && !mentions.is_empty() && page < MAX_PAGES {
        Some(request(ctx, page + 1)?)
    } else {
        None
    };
    Ok(Page {
        mentions,
        cursor: newest.map(|n| serde_json::json!({ "newest": n.to_string() })),
        next,
        rate: None,
        wait: None,
        notes: note
            .into_iter()
            .chain((incomplete > 0).then(|| super::skipped_note(incomplete, ("review", "reviews"), "without an id")))
            .collect(),
        skipped: unread + incomplete,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed() -> crate::model::FeedConfig {
        crate::sources::test_feed(
            "[[feed]]\nname = \"ios\"\nkind = \"appstore\"\napp = \"id1510826067\"\ncountry = \"GB\"\n",
        )
    }

    fn read(cursor: Option<&serde_json::Value>, req: &Request, rel: &str) -> Page {
        let feed = feed();
        let ctx = Ctx {
            feed: &feed,
            cursor,
            token: None,
            now: chrono::Utc::now(),
        };
        let body = std::fs::read(format!("{}/tests/fixtures/appstore/{rel}", env!("CARGO_MANIFEST_DIR"))).unwrap();
        crate::sources::parse(
            &ctx,
            req,
            &Reply {
                status: 200,
                headers: &[],
                body: &body,
            },
        )
        .unwrap()
    }

    #[test]
    fn reviews_keep_their_rating_version_and_title() {
        let feed = feed();
        let ctx = Ctx {
            feed: &feed,
            cursor: None,
            token: None,
            now: chrono::Utc::now(),
        };
        let req = request(&ctx, 1).unwrap();
        assert_eq!(
            req.url.path(),
            "/gb/rss/customerreviews/page=1/id=1510826067/sortby=mostrecent/json"
        );
        let p = read(None, &req, "customer_reviews_page1.json");
        assert_eq!(p.mentions.len(), 4);
        let r = &p.mentions[0];
        assert_eq!(r.external_id.as_deref(), Some("1510826067:6504352127"));
        assert_eq!(r.title.as_deref(), Some("Amazing photos integration"));
        assert_eq!(r.author.as_deref(), Some("immeallme"));
        assert!(
            r.text.starts_with("★★★★★ 5/5 · version 1.1.0\nSuch a great app"),
            "{}",
            r.text
        );
        assert_eq!(
            r.url.as_deref(),
            Some("https://apps.apple.com/gb/app/id1510826067?see-all=reviews")
        );
        assert!(p.next.is_none(), "a first poll reads the newest page");
        let newest = p.cursor.unwrap();
        // A later poll whose first page is all new reads on; a page past the end has no entry.
        let older = serde_json::json!({"newest": "1"});
        let p = read(Some(&older), &req, "customer_reviews_page1.json");
        let next = p.next.unwrap();
        assert!(next.url.path().contains("/page=2/"));
        let p = read(Some(&older), &next, "customer_reviews_past_end.json");
        assert!(p.mentions.is_empty() && p.next.is_none());
        // What was seen stops the paging.
        let p = read(Some(&newest), &req, "customer_reviews_page1.json");
        assert!(p.next.is_none());
    }
}
