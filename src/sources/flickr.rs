//! Flickr: `flickr.photos.search` with the user's API key (`token_env`): photos whose title,
//! description or tags match `query`, newest upload first, from the newest upload seen
//! (`min_upload_date`), each with its owner, views, description and tags; then the comments on
//! each of our photos listed in `photos` (`flickr.photos.comments.getList`, from the newest
//! comment seen). Flickr answers an error with HTTP 200 and `"stat": "fail"`; counts and dates
//! come as strings. Replies need OAuth 1.0a signing, which overhear does not do: an answer is
//! handed off to the photo's page.

use super::{Ctx, Each, Page, Reply, Request, SourceError, endpoint, json_body, with_query};
use crate::model::{Engagement, NewMention, Place};
use crate::text;
use chrono::DateTime;
use serde::Deserialize;

const PUBLIC: &str = "https://api.flickr.com";
const MAX_PAGES: u32 = 3;
/// Which of `photos` a comments request reads (carried, never sent: [`super::CARRY`]).
const PHOTO: &str = "x-overhear-photo";

fn key<'a>(ctx: &'a Ctx<'a>) -> Result<&'a str, SourceError> {
    ctx.token.ok_or_else(|| {
        SourceError::Request("Flickr needs an API key: set `token_env` to the variable holding it".into())
    })
}

fn rest(ctx: &Ctx<'_>, pairs: &mut Vec<(&str, String)>) -> Result<url::Url, SourceError> {
    pairs.push(("api_key", key(ctx)?.to_string()));
    pairs.push(("format", "json".to_string()));
    pairs.push(("nojsoncallback", "1".to_string()));
    Ok(with_query(endpoint(ctx.feed, PUBLIC, "/services/rest/")?, pairs))
}

pub fn request(ctx: &Ctx<'_>, page: u32) -> Result<Request, SourceError> {
    let mut pairs = vec![
        ("method", "flickr.photos.search".to_string()),
        ("text", ctx.feed.query.clone().unwrap_or_default()),
        ("sort", "date-posted-desc".to_string()),
        (
            "extras",
            "description,owner_name,views,date_upload,date_taken,tags,path_alias".to_string(),
        ),
        ("per_page", "100".to_string()),
        ("page", page.to_string()),
    ];
    if let Some(after) = ctx
        .cursor
        .and_then(|c| c.get("uploaded_after"))
        .and_then(|v| v.as_i64())
    {
        pairs.push(("min_upload_date", after.to_string()));
    }
    Ok(Request::get(rest(ctx, &mut pairs)?).header("accept", "application/json"))
}

/// How many pages one poll reads at most: the search's, then one of comments per photo listed.
pub fn max_pages(feed: &crate::model::FeedConfig) -> usize {
    MAX_PAGES as usize + feed.photos.len()
}

/// The comments on photo `i` of `photos`, if there is one.
fn comments_request(ctx: &Ctx<'_>, i: usize) -> Result<Option<Request>, SourceError> {
    let Some(photo) = ctx.feed.photos.get(i) else {
        return Ok(None);
    };
    let mut pairs = vec![
        ("method", "flickr.photos.comments.getList".to_string()),
        ("photo_id", photo.clone()),
    ];
    if let Some(after) = ctx
        .cursor
        .and_then(|c| c.get(format!("comments_after:{photo}")))
        .and_then(|v| v.as_i64())
    {
        pairs.push(("min_comment_date", after.to_string()));
    }
    Ok(Some(
        Request::get(rest(ctx, &mut pairs)?)
            .header("accept", "application/json")
            .header(PHOTO, i.to_string()),
    ))
}

#[derive(Deserialize)]
struct Answer {
    #[serde(default, deserialize_with = "super::lenient")]
    stat: Option<String>,
    #[serde(default, deserialize_with = "super::lenient")]
    code: Option<i64>,
    #[serde(default, deserialize_with = "super::lenient")]
    message: Option<String>,
    #[serde(default, deserialize_with = "super::lenient")]
    photos: Option<Photos>,
    #[serde(default, deserialize_with = "super::lenient")]
    comments: Option<Comments>,
}

#[derive(Deserialize)]
struct Photos {
    page: Option<serde_json::Value>,
    pages: Option<serde_json::Value>,
    #[serde(default)]
    photo: Each<Photo>,
}

#[derive(Deserialize)]
struct Photo {
    id: Option<serde_json::Value>,
    #[serde(default, deserialize_with = "super::lenient")]
    owner: Option<String>,
    #[serde(default, deserialize_with = "super::lenient")]
    title: Option<String>,
    #[serde(default, deserialize_with = "super::lenient")]
    description: Option<Content>,
    #[serde(default, deserialize_with = "super::lenient")]
    ownername: Option<String>,
    dateupload: Option<serde_json::Value>,
    views: Option<serde_json::Value>,
    #[serde(default, deserialize_with = "super::lenient")]
    tags: Option<String>,
    #[serde(default, deserialize_with = "super::lenient")]
    pathalias: Option<String>,
}

#[derive(Deserialize)]
struct Content {
    #[serde(rename = "_content")]
    #[serde(default, deserialize_with = "super::lenient")]
    content: Option<String>,
}

#[derive(Deserialize)]
struct Comments {
    photo_id: Option<serde_json::Value>,
    #[serde(default)]
    comment: Each<Comment>,
}

#[derive(Deserialize)]
struct Comment {
    #[serde(default, deserialize_with = "super::lenient")]
    id: Option<String>,
    #[serde(default, deserialize_with = "super::lenient")]
    author: Option<String>,
    #[serde(default, deserialize_with = "super::lenient")]
    authorname: Option<String>,
    datecreate: Option<serde_json::Value>,
    #[serde(default, deserialize_with = "super::lenient")]
    permalink: Option<String>,
    #[serde(rename = "_content")]
    #[serde(default, deserialize_with = "super::lenient")]
    content: Option<String>,
}

/// A number Flickr wrote as a number or as a string of digits.
fn int(v: Option<&serde_json::Value>) -> Option<i64> {
    super::int_of(v?)
}

fn photo(p: Photo) -> Option<NewMention> {
    let id = super::id_text(p.id.as_ref()?)?;
    let owner = p.owner.clone()?;
    let tags: Vec<String> = p
        .tags
        .as_deref()
        .unwrap_or_default()
        .split_whitespace()
        .map(|t| format!("#{t}"))
        .collect();
    let description = p
        .description
        .and_then(|d| d.content)
        .as_deref()
        .map(text::html_to_text)
        .unwrap_or_default();
    let text = match (description.trim().is_empty(), tags.is_empty()) {
        (_, true) => description,
        (true, false) => tags.join(" "),
        (false, false) => format!("{description}\n{}", tags.join(" ")),
    };
    let at = p.pathalias.filter(|a| !a.is_empty()).unwrap_or_else(|| owner.clone());
    Some(NewMention {
        url: Some(format!("https://www.flickr.com/photos/{at}/{id}/")),
        author: p.ownername.filter(|n| !n.trim().is_empty()).or(Some(owner.clone())),
        author_ref: Some(owner),
        title: p.title.as_deref().map(text::strip_tags_inline),
        text,
        published_at: int(p.dateupload.as_ref()).and_then(|t| DateTime::from_timestamp(t, 0)),
        engagement: Engagement {
            views: int(p.views.as_ref()),
            ..Default::default()
        },
        place: Place {
            links_to: None,
            parent: None,
            root: Some(id.clone()),
        },
        external_id: Some(id),
        ..Default::default()
    })
}

fn comment(c: Comment, photo: &str) -> Option<NewMention> {
    Some(NewMention {
        external_id: Some(c.id?),
        url: c.permalink,
        author: c.authorname.filter(|n| !n.trim().is_empty()).or(c.author.clone()),
        author_ref: c.author,
        text: c.content.as_deref().map(text::html_to_text).unwrap_or_default(),
        published_at: int(c.datecreate.as_ref()).and_then(|t| DateTime::from_timestamp(t, 0)),
        place: Place {
            links_to: None,
            parent: Some(photo.to_string()),
            root: Some(photo.to_string()),
        },
        ..Default::default()
    })
}

/// Flickr's answer, or its refusal in words (Flickr refuses with HTTP 200 and `stat: fail`).
fn answer(reply: &Reply<'_>) -> Result<Answer, SourceError> {
    let a: Answer = json_body("Flickr", reply.body)?;
    if a.stat.as_deref() == Some("fail") {
        return Err(SourceError::Refused(format!(
            "Flickr: {} (error {}){}",
            a.message.as_deref().unwrap_or("refused"),
            a.code.unwrap_or_default(),
            if a.code == Some(100) {
                "; check the key in the variable `token_env` names"
            } else {
                ""
            }
        )));
    }
    Ok(a)
}

/// The thread of a photo (`root`, a photo's id; a comment's root is its photo): its comments,
/// oldest first, each answering the photo (Flickr's comments are flat).
pub fn thread_request(ctx: &Ctx<'_>, root: &str) -> Result<Option<Request>, SourceError> {
    if root.is_empty() || !root.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(None);
    }
    let mut pairs = vec![
        ("method", "flickr.photos.comments.getList".to_string()),
        ("photo_id", root.to_string()),
    ];
    Ok(Some(
        Request::get(rest(ctx, &mut pairs)?).header("accept", "application/json"),
    ))
}

/// The comments of an answer to [`thread_request`].
pub fn thread_nodes(reply: &Reply<'_>, photo: &str) -> Result<Vec<super::thread::Node>, SourceError> {
    let comments = answer(reply)?.comments.map(|c| c.comment).unwrap_or_default();
    Ok(comments
        .into_iter()
        .filter_map(|c| comment(c, photo))
        .filter_map(super::thread::Node::of)
        .collect())
}

pub fn parse(ctx: &Ctx<'_>, req: &Request, reply: &Reply<'_>) -> Result<Page, SourceError> {
    let a = answer(reply)?;
    let mut cursor = serde_json::Map::new();
    let (mentions, next, skipped, notes) = match (a.photos, a.comments) {
        (Some(p), _) => {
            let page = int(p.page.as_ref()).unwrap_or(1).max(1) as u32;
            let pages = int(p.pages.as_ref()).unwrap_or(1);
            let (mentions, skipped, notes) = p.photo.read_each(("photo", "photos"), "without an id or owner", photo);
            let newest = mentions.iter().filter_map(|m| m.published_at).max();
            if page == 1
                && let Some(n) = newest
            {
                cursor.insert("uploaded_after".into(), serde_json::json!(n.timestamp()));
            }
            // A first poll reads the newest page; a later one, the pages since what it saw.
            let again = ctx.cursor.and_then(|c| c.get("uploaded_after")).is_some();
            let next = if again && i64::from(page) < pages && page < MAX_PAGES && !mentions.is_empty() {
                Some(request(ctx, page + 1)?)
            } else {
                comments_request(ctx, 0)?
            };
            (mentions, next, skipped, notes)
        }
        (None, Some(c)) => {
            let i: usize = req
                .headers
                .iter()
                .find(|(k, _)| k == PHOTO)
                .and_then(|(_, v)| v.parse().ok())
                .unwrap_or(0);
            let photo_id = c
                .photo_id
                .as_ref()
                .and_then(super::id_text)
                .or_else(|| ctx.feed.photos.get(i).cloned())
                .unwrap_or_default();
            let (skipped, notes) = c.comment.said(("comment", "comments"));
            let mentions: Vec<NewMention> = c.comment.into_iter().filter_map(|x| comment(x, &photo_id)).collect();
            if let Some(n) = mentions.iter().filter_map(|m| m.published_at).max() {
                cursor.insert(format!("comments_after:{photo_id}"), serde_json::json!(n.timestamp()));
            }
            (mentions, comments_request(ctx, i + 1)?, skipped, notes)
        }
        (None, None) => {
            return Err(SourceError::Malformed(
                "Flickr's answer has neither `photos` nor `comments`".into(),
            ));
        }
    };
    Ok(Page {
        mentions,
        cursor: Some(serde_json::Value::Object(cursor)),
        next,
        rate: None,
        wait: None,
        notes,
        skipped,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed() -> crate::model::FeedConfig {
        crate::sources::test_feed(
            "[[feed]]\nname = \"flickr\"\nkind = \"flickr\"\nquery = \"fractal\"\ntoken_env = \"FLICKR_KEY\"\nphotos = [\"6946979188\"]\n",
        )
    }

    fn read(req: &Request, rel: &str) -> Result<Page, SourceError> {
        let feed = feed();
        let ctx = Ctx {
            feed: &feed,
            cursor: None,
            token: Some("fk-1"),
            now: chrono::Utc::now(),
        };
        let body = std::fs::read(format!("{}/tests/fixtures/flickr/{rel}", env!("CARGO_MANIFEST_DIR"))).unwrap();
        crate::sources::parse(
            &ctx,
            req,
            &Reply {
                status: 200,
                headers: &[],
                body: &body,
            },
        )
    }

    #[test]
    fn photos_then_our_photos_comments() {
        let feed = feed();
        let ctx = Ctx {
            feed: &feed,
            cursor: None,
            token: Some("fk-1"),
            now: chrono::Utc::now(),
        };
        let req = request(&ctx, 1).unwrap();
        let q: std::collections::HashMap<_, _> = req.url.query_pairs().into_owned().collect();
        assert_eq!(q["method"], "flickr.photos.search");
        assert_eq!(
            (q["text"].as_str(), q["sort"].as_str(), q["api_key"].as_str()),
            ("fractal", "date-posted-desc", "fk-1")
        );
        assert_eq!((q["format"].as_str(), q["nojsoncallback"].as_str()), ("json", "1"));
        let p = read(&req, "photos_search.json").unwrap();
        assert_eq!(p.mentions.len(), 1);
        let m = &p.mentions[0];
        assert_eq!(m.external_id.as_deref(), Some("7932536558"));
        assert_eq!(
            m.url.as_deref(),
            Some("https://www.flickr.com/photos/78733179@N04/7932536558/")
        );
        assert_eq!(m.author.as_deref(), Some("@janko-m"));
        assert_eq!(m.title.as_deref(), Some("fractal-wallpaper-_-37"));
        assert_eq!(m.text, "#test");
        assert_eq!(m.engagement.views, Some(0));
        assert_eq!(m.published_at.unwrap().timestamp(), 1_346_792_979);
        assert_eq!(p.cursor.as_ref().unwrap()["uploaded_after"], 1_346_792_979);
        let next = p.next.unwrap();
        let q: std::collections::HashMap<_, _> = next.url.query_pairs().into_owned().collect();
        assert_eq!(
            (q["method"].as_str(), q["photo_id"].as_str()),
            ("flickr.photos.comments.getList", "6946979188")
        );
        let c = read(&next, "photos_comments.json").unwrap();
        let m = &c.mentions[0];
        assert_eq!(m.external_id.as_deref(), Some("67099213-6946979188-72157629852219939"));
        assert_eq!(m.author.as_deref(), Some("Janko Marohnić"));
        assert_eq!(m.place.parent.as_deref(), Some("6946979188"));
        assert_eq!(m.text, "Test");
        assert!(c.next.is_none());
        assert!(PHOTO.starts_with(crate::sources::CARRY), "never sent");
        // An error is answered with 200 and stat: fail.
        let e = read(&req, "error_invalid_key.json").unwrap_err();
        assert!(e.to_string().contains("token_env"), "{e}");
    }

    #[test]
    fn a_photos_comments_are_its_thread() {
        let feed = feed();
        let ctx = Ctx {
            feed: &feed,
            cursor: None,
            token: Some("fk-1"),
            now: chrono::Utc::now(),
        };
        let req = thread_request(&ctx, "6946979188").unwrap().unwrap();
        let q: std::collections::HashMap<_, _> = req.url.query_pairs().into_owned().collect();
        assert_eq!(
            (q["method"].as_str(), q["photo_id"].as_str(), q["api_key"].as_str()),
            ("flickr.photos.comments.getList", "6946979188", "fk-1")
        );
        assert!(
            thread_request(&ctx, "../x").unwrap().is_none(),
            "a photo's id is its digits"
        );
        let body = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/flickr/photos_comments.json"
        ))
        .unwrap();
        let reply = Reply {
            status: 200,
            headers: &[],
            body: &body,
        };
        let nodes = thread_nodes(&reply, "6946979188").unwrap();
        assert_eq!(nodes.len(), 1);
        assert_eq!(nodes[0].parent.as_deref(), Some("6946979188"));
        // Flickr's refusal is said in words here too.
        let e = thread_nodes(
            &Reply {
                status: 200,
                headers: &[],
                body: br#"{"stat":"fail","code":1,"message":"Photo not found"}"#,
            },
            "1",
        )
        .unwrap_err();
        assert!(e.to_string().contains("Photo not found"), "{e}");
    }

    #[test]
    fn a_comment_after_our_answer_on_a_photo_answers_us() {
        // The photo answered by hand (our comment found by its words), then someone else's comment
        // after ours: Flickr's comments are flat, so it answers us.
        let comment = |id: &str, who: &str, text: &str, at: i64| super::super::thread::Node {
            id: id.into(),
            parent: Some("6946979188".into()),
            post: NewMention {
                external_id: Some(id.into()),
                author: Some(who.into()),
                text: text.into(),
                published_at: DateTime::from_timestamp(at, 0),
                ..Default::default()
            },
        };
        let w = crate::model::Watched {
            mention_id: 1,
            of: crate::model::ThreadOf {
                kind: crate::model::FeedKind::Flickr,
                feed: "flickr".into(),
                external_id: Some("6946979188".into()),
                url: None,
                parent: None,
                root: Some("6946979188".into()),
            },
            author: Some("janko".into()),
            answer_id: None,
            answer_text: Some("Thanks for the photo, may we share it on our page?".into()),
            answered_at: DateTime::from_timestamp(1_000_000, 0).unwrap(),
        };
        let answers = super::super::thread::answers(
            &w,
            vec![
                comment("c1", "someone", "nice", 900_000),
                comment(
                    "c2",
                    "acme",
                    "Thanks for the photo, may we share it on our page?",
                    1_000_010,
                ),
                comment("c3", "a friend", "yes please do", 1_000_100),
            ],
        );
        assert_eq!(answers.found.as_deref(), Some("c2"));
        let ids: Vec<_> = answers
            .follow_ups
            .iter()
            .filter_map(|m| m.external_id.as_deref())
            .collect();
        assert_eq!(ids, ["c3"]);
    }
}
