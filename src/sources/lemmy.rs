//! Lemmy: an instance's `/api/v3/search` (`type_=All`, `sort=New`), posts and comments, each with
//! its community as context and its score as engagement. `url` is the instance. Search has no
//! "since": pages are read newest first until one reaches what the last poll saw (at most
//! [`MAX_PAGES`]). Ids are the instance's: a post is `HOST:post:ID`, a comment
//! `HOST:comment:ID:POST` (its post's id rides along: a reply names both), so one post federated to
//! two instances read by two feeds is two mentions, each answerable where it was read.

use super::{Ctx, Each, Page, Reply, Request, SourceError, endpoint, json_body, with_query};
use crate::model::{Engagement, NewMention, Place};
use chrono::{DateTime, NaiveDateTime, Utc};
use serde::Deserialize;

const MAX_PAGES: u32 = 5;
const PER_PAGE: u32 = 50;

/// The instance's address (`url`).
fn instance<'a>(ctx: &'a Ctx<'a>) -> Result<&'a url::Url, SourceError> {
    ctx.feed
        .url
        .as_ref()
        .ok_or_else(|| SourceError::Request("a lemmy feed needs `url`, its instance".into()))
}

/// The host a feed's ids are scoped to: its instance's.
pub(crate) fn host(url: Option<&url::Url>) -> String {
    url.and_then(|u| u.host_str()).unwrap_or("lemmy").to_string()
}

pub fn request(ctx: &Ctx<'_>, page: u32) -> Result<Request, SourceError> {
    let base = instance(ctx)?;
    let mut pairs = vec![
        ("q", ctx.feed.query.clone().unwrap_or_default()),
        ("type_", "All".to_string()),
        ("sort", "New".to_string()),
        ("listing_type", "All".to_string()),
        ("limit", PER_PAGE.to_string()),
    ];
    if page > 1 {
        pairs.push(("page", page.to_string()));
    }
    // Signed in, the search sees what the account may see (0.19 takes the JWT as a bearer).
    Ok(
        Request::get(with_query(endpoint(ctx.feed, base.as_str(), "/api/v3/search")?, &pairs))
            .header("accept", "application/json")
            .bearer_if(ctx.token),
    )
}

#[derive(Deserialize)]
struct Search {
    #[serde(default)]
    posts: Each<PostView>,
    #[serde(default)]
    comments: Each<CommentView>,
    #[serde(default, deserialize_with = "super::lenient")]
    error: Option<String>,
}

#[derive(Deserialize)]
struct PostView {
    post: Post,
    #[serde(default, deserialize_with = "super::lenient")]
    creator: Option<Person>,
    #[serde(default, deserialize_with = "super::lenient")]
    community: Option<Community>,
    #[serde(default, deserialize_with = "super::lenient")]
    counts: Option<Counts>,
}

#[derive(Deserialize)]
struct CommentView {
    comment: Comment,
    #[serde(default, deserialize_with = "super::lenient")]
    creator: Option<Person>,
    #[serde(default, deserialize_with = "super::lenient")]
    post: Option<Post>,
    #[serde(default, deserialize_with = "super::lenient")]
    community: Option<Community>,
    #[serde(default, deserialize_with = "super::lenient")]
    counts: Option<Counts>,
}

#[derive(Deserialize)]
struct Post {
    id: i64,
    #[serde(default, deserialize_with = "super::lenient")]
    name: Option<String>,
    #[serde(default, deserialize_with = "super::lenient")]
    url: Option<String>,
    #[serde(default, deserialize_with = "super::lenient")]
    body: Option<String>,
    #[serde(default, deserialize_with = "super::lenient")]
    published: Option<String>,
    #[serde(default)]
    deleted: bool,
    #[serde(default)]
    removed: bool,
    #[serde(default, deserialize_with = "super::lenient")]
    ap_id: Option<String>,
}

#[derive(Deserialize)]
struct Comment {
    id: i64,
    post_id: i64,
    #[serde(default, deserialize_with = "super::lenient")]
    content: Option<String>,
    #[serde(default, deserialize_with = "super::lenient")]
    published: Option<String>,
    #[serde(default)]
    deleted: bool,
    #[serde(default)]
    removed: bool,
    /// `0.12.34`: the comment's ancestors from the post down, then itself.
    #[serde(default, deserialize_with = "super::lenient")]
    path: Option<String>,
}

#[derive(Deserialize)]
struct Person {
    #[serde(default, deserialize_with = "super::lenient")]
    name: Option<String>,
    #[serde(default, deserialize_with = "super::lenient")]
    display_name: Option<String>,
    #[serde(default, deserialize_with = "super::lenient")]
    actor_id: Option<String>,
}

#[derive(Deserialize)]
struct Community {
    #[serde(default, deserialize_with = "super::lenient")]
    name: Option<String>,
    #[serde(default, deserialize_with = "super::lenient")]
    actor_id: Option<String>,
}

#[derive(Deserialize)]
struct Counts {
    #[serde(default, deserialize_with = "super::lenient_count")]
    score: Option<i64>,
    #[serde(default, deserialize_with = "super::lenient_count")]
    upvotes: Option<i64>,
    #[serde(default, deserialize_with = "super::lenient_count")]
    comments: Option<i64>,
    #[serde(default, deserialize_with = "super::lenient_count")]
    child_count: Option<i64>,
}

/// Lemmy's times: RFC 3339 since 0.19, a naive UTC time (`2023-06-20T12:34:56.123456`) before.
fn time(s: Option<&str>) -> Option<DateTime<Utc>> {
    let s = s?.trim();
    super::rfc3339(Some(s)).or_else(|| {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f")
            .ok()
            .map(|t| t.and_utc())
    })
}

/// `name@host` from an actor's address (`https://lemmy.world/u/alice`), the way the fediverse
/// writes a handle; the bare name when the address says nothing.
fn handle(name: Option<&str>, actor_id: Option<&str>) -> Option<String> {
    let name = name?.trim();
    if name.is_empty() {
        return None;
    }
    let host = actor_id
        .and_then(|a| url::Url::parse(a).ok())
        .and_then(|u| u.host_str().map(str::to_string));
    Some(match host {
        Some(h) => format!("{name}@{h}"),
        None => name.to_string(),
    })
}

/// A community's name as its members write it (`c/technology`, `c/rust@programming.dev` when it
/// lives on another instance than the feed's).
fn community_name(c: Option<&Community>, home: &str) -> Option<String> {
    let c = c?;
    let name = c.name.as_deref()?.trim();
    let host = c
        .actor_id
        .as_deref()
        .and_then(|a| url::Url::parse(a).ok())
        .and_then(|u| u.host_str().map(str::to_string));
    Some(match host {
        Some(h) if h != home => format!("c/{name}@{h}"),
        _ => format!("c/{name}"),
    })
}

/// The text, its community first (`[c/technology] …`): the context a reader needs, and a word a
/// search finds.
fn in_community(community: Option<String>, text: &str) -> String {
    match community {
        Some(c) => format!("[{c}] {text}").trim_end().to_string(),
        None => text.to_string(),
    }
}

pub fn post_ref(host: &str, id: i64) -> String {
    format!("{host}:post:{id}")
}

pub fn comment_ref(host: &str, id: i64, post: i64) -> String {
    format!("{host}:comment:{id}:{post}")
}

/// What a stored id names: `(post, comment)`, the instance's numbers.
pub fn ids_of(external_id: &str) -> Option<(i64, Option<i64>)> {
    let mut parts = external_id.rsplit(':');
    let last: i64 = parts.next()?.parse().ok()?;
    match parts.next()? {
        "post" => Some((last, None)),
        id => {
            let comment: i64 = id.parse().ok()?;
            (parts.next()? == "comment").then_some((last, Some(comment)))
        }
    }
}

/// The instance's comment list, `by` a parent comment or a post, in `sort` order, as deep as the
/// instance goes.
fn comment_list(ctx: &Ctx<'_>, by: (&'static str, i64), sort: &str) -> Result<Request, SourceError> {
    let base = instance(ctx)?;
    let pairs = vec![
        (by.0, by.1.to_string()),
        ("type_", "All".to_string()),
        ("sort", sort.to_string()),
        ("max_depth", "8".to_string()),
        ("limit", PER_PAGE.to_string()),
    ];
    Ok(Request::get(with_query(
        endpoint(ctx.feed, base.as_str(), "/api/v3/comment/list")?,
        &pairs,
    ))
    .header("accept", "application/json")
    .bearer_if(ctx.token))
}

/// What answered our comment `id` (as stored: `HOST:comment:ID:POST`): the comments under it,
/// newest first, read as a search's comments are. `None` for an id that names no comment.
pub fn follow_up_request(ctx: &Ctx<'_>, id: &str) -> Result<Option<Request>, SourceError> {
    let Some((_, Some(comment))) = ids_of(id) else {
        return Ok(None);
    };
    comment_list(ctx, ("parent_id", comment), "New").map(Some)
}

/// The comments of the post a mention is part of (`root`: `HOST:post:ID`), oldest first.
pub fn thread_request(ctx: &Ctx<'_>, root: &str) -> Result<Option<Request>, SourceError> {
    let Some((post, _)) = ids_of(root) else {
        return Ok(None);
    };
    comment_list(ctx, ("post_id", post), "Old").map(Some)
}

/// The post itself, with its author (`GET /api/v3/post`), asked after its comments.
pub fn thread_more(ctx: &Ctx<'_>, root: Option<&str>) -> Result<Vec<Request>, SourceError> {
    let Some((post, _)) = root.and_then(ids_of) else {
        return Ok(Vec::new());
    };
    let base = instance(ctx)?;
    Ok(vec![
        Request::get(with_query(
            endpoint(ctx.feed, base.as_str(), "/api/v3/post")?,
            &[("id", post.to_string())],
        ))
        .header("accept", "application/json")
        .bearer_if(ctx.token),
    ])
}

/// `GET /api/v3/post`'s answer.
#[derive(Deserialize)]
struct PostAnswer {
    post_view: PostView,
}

/// A post's comments, each answering its parent comment or the post; or the post itself (an
/// answer to [`thread_more`]).
pub fn thread_nodes(ctx: &Ctx<'_>, reply: &Reply<'_>) -> Result<Vec<super::thread::Node>, SourceError> {
    let base = instance(ctx)?;
    let at = Instance {
        home: host(Some(base)),
        base: base.to_string(),
    };
    if let Ok(answer) = serde_json::from_slice::<PostAnswer>(reply.body) {
        return Ok(at
            .post(answer.post_view)
            .and_then(super::thread::Node::of)
            .into_iter()
            .collect());
    }
    let s: Search = json_body("Lemmy comments", reply.body)?;
    // The post the comments answer, as each comment carries it (without its author: the list
    // names only the comments' writers), heads the thread.
    let head = s
        .comments
        .items
        .iter()
        .find_map(|c| Some((c.post.as_ref()?, c.community.as_ref())))
        .and_then(|(p, community)| at.post_of_comments(p, community));
    Ok(head
        .into_iter()
        .chain(s.comments.into_iter().filter_map(|c| at.comment(c)))
        .filter_map(super::thread::Node::of)
        .collect())
}

/// The instance a feed reads: its host (the ids' scope) and its address (the mentions' links).
struct Instance {
    home: String,
    base: String,
}

impl Instance {
    fn link(&self, kind: &str, id: i64) -> String {
        format!("{}/{kind}/{id}", self.base.trim_end_matches('/'))
    }

    fn post(&self, p: PostView) -> Option<NewMention> {
        if p.post.deleted || p.post.removed {
            return None;
        }
        let creator = p.creator.as_ref();
        let counts = p.counts.as_ref();
        Some(NewMention {
            external_id: Some(post_ref(&self.home, p.post.id)),
            url: Some(self.link("post", p.post.id)),
            author: handle(
                creator.and_then(|c| c.name.as_deref()),
                creator.and_then(|c| c.actor_id.as_deref()),
            ),
            author_name: creator.and_then(|c| c.display_name.clone()),
            title: p.post.name.clone(),
            text: in_community(
                community_name(p.community.as_ref(), &self.home),
                p.post.body.as_deref().unwrap_or_default(),
            ),
            published_at: time(p.post.published.as_deref()),
            engagement: Engagement {
                score: counts.and_then(|c| c.score),
                likes: counts.and_then(|c| c.upvotes),
                replies: counts.and_then(|c| c.comments),
                ..Default::default()
            },
            place: Place {
                // A link post is about its link; its page on the fediverse is `ap_id`.
                links_to: p.post.url.clone().filter(|u| Some(u) != p.post.ap_id.as_ref()),
                parent: None,
                root: Some(post_ref(&self.home, p.post.id)),
            },
            ..Default::default()
        })
    }

    /// The post a thread's comments answer, from what a comment carries of it.
    fn post_of_comments(&self, p: &Post, community: Option<&Community>) -> Option<NewMention> {
        if p.deleted || p.removed {
            return None;
        }
        Some(NewMention {
            external_id: Some(post_ref(&self.home, p.id)),
            url: Some(self.link("post", p.id)),
            title: p.name.clone(),
            text: in_community(
                community_name(community, &self.home),
                p.body.as_deref().unwrap_or_default(),
            ),
            published_at: time(p.published.as_deref()),
            ..Default::default()
        })
    }

    fn comment(&self, c: CommentView) -> Option<NewMention> {
        if c.comment.deleted || c.comment.removed {
            return None;
        }
        let creator = c.creator.as_ref();
        let counts = c.counts.as_ref();
        let post = c.comment.post_id;
        // The path's second-last number is the comment it answers (0: the post itself).
        let parent = c
            .comment
            .path
            .as_deref()
            .and_then(|p| p.rsplit('.').nth(1))
            .and_then(|id| id.parse::<i64>().ok())
            .filter(|&id| id > 0)
            .map_or_else(|| post_ref(&self.home, post), |id| comment_ref(&self.home, id, post));
        Some(NewMention {
            external_id: Some(comment_ref(&self.home, c.comment.id, post)),
            url: Some(self.link("comment", c.comment.id)),
            author: handle(
                creator.and_then(|p| p.name.as_deref()),
                creator.and_then(|p| p.actor_id.as_deref()),
            ),
            author_name: creator.and_then(|p| p.display_name.clone()),
            title: c
                .post
                .as_ref()
                .and_then(|p| p.name.as_deref())
                .map(|t| format!("Re: {t}")),
            text: in_community(
                community_name(c.community.as_ref(), &self.home),
                c.comment.content.as_deref().unwrap_or_default(),
            ),
            published_at: time(c.comment.published.as_deref()),
            engagement: Engagement {
                score: counts.and_then(|n| n.score),
                likes: counts.and_then(|n| n.upvotes),
                replies: counts.and_then(|n| n.child_count),
                ..Default::default()
            },
            place: Place {
                links_to: None,
                parent: Some(parent),
                root: Some(post_ref(&self.home, post)),
            },
            ..Default::default()
        })
    }
}

pub fn parse(ctx: &Ctx<'_>, req: &Request, reply: &Reply<'_>) -> Result<Page, SourceError> {
    let s: Search = json_body("Lemmy search", reply.body)?;
    // The limit is each list's: either one full may have more behind it.
    let full = s.posts.listed() >= PER_PAGE as usize || s.comments.listed() >= PER_PAGE as usize;
    let skipped = s.posts.skipped + s.comments.skipped;
    let notes: Vec<String> = [
        s.posts.note(("post", "posts")),
        s.comments.note(("comment", "comments")),
    ]
    .into_iter()
    .flatten()
    .collect();
    if let Some(e) = s.error {
        return Err(SourceError::Refused(format!("Lemmy: {e}")));
    }
    let base = instance(ctx)?;
    let at = Instance {
        home: host(Some(base)),
        base: base.to_string(),
    };
    let seen = ctx
        .cursor
        .and_then(|c| c.get("newest"))
        .and_then(|v| v.as_str())
        .and_then(|s| time(Some(s)));
    let mentions: Vec<NewMention> = s
        .posts
        .into_iter()
        .filter_map(|p| at.post(p))
        .chain(s.comments.into_iter().filter_map(|c| at.comment(c)))
        .collect();
    let times = mentions.iter().filter_map(|m| m.published_at);
    let newest = times.clone().chain(seen).max();
    let reached = seen.is_some_and(|s| times.clone().any(|t| t < s));
    // Newest first: a full page all newer than what the last poll saw may have more behind it.
    let page = super::page_param(req).unwrap_or(1);
    let next = if full && !reached && seen.is_some() && page < MAX_PAGES {
        Some(request(ctx, page + 1)?)
    } else {
        None
    };
    Ok(Page {
        notes,
        skipped,
        mentions,
        cursor: newest.map(|n| serde_json::json!({ "newest": n.to_rfc3339() })),
        next,
        wait: None,
        rate: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::FeedConfig;

    fn feed() -> FeedConfig {
        crate::sources::test_feed(
            "[[feed]]\nname = \"lemmy\"\nkind = \"lemmy\"\nurl = \"https://sh.itjust.works\"\nquery = \"muffed\"\n",
        )
    }

    fn parsed(cursor: Option<serde_json::Value>) -> (Page, Request) {
        let feed = feed();
        let ctx = Ctx {
            feed: &feed,
            cursor: cursor.as_ref(),
            token: None,
            now: Utc::now(),
        };
        let req = request(&ctx, 1).unwrap();
        let body = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/lemmy/search.json")).unwrap();
        let reply = Reply {
            status: 200,
            headers: &[],
            body: &body,
        };
        (parse(&ctx, &req, &reply).unwrap(), req)
    }

    #[test]
    fn the_search_asks_for_everything_newest_first_and_reads_posts_and_comments() {
        let (page, req) = parsed(None);
        assert_eq!(req.url.path(), "/api/v3/search");
        let q: std::collections::HashMap<_, _> = req.url.query_pairs().into_owned().collect();
        assert_eq!(q["q"], "muffed");
        assert_eq!(
            (q["type_"].as_str(), q["sort"].as_str(), q["listing_type"].as_str()),
            ("All", "New", "All")
        );
        let m = &page.mentions;
        assert_eq!(m.len(), 3);
        let post = &m[0];
        assert_eq!(post.external_id.as_deref(), Some("sh.itjust.works:post:5716352"));
        assert_eq!(post.url.as_deref(), Some("https://sh.itjust.works/post/5716352"));
        assert_eq!(post.author.as_deref(), Some("freshfieldreds@sh.itjust.works"));
        assert!(
            post.text.starts_with("[c/muffed] Muffed is an open source"),
            "{}",
            post.text
        );
        assert_eq!((post.engagement.score, post.engagement.replies), (Some(13), Some(2)));
        assert_eq!(
            post.published_at.unwrap().to_rfc3339(),
            "2023-09-23T10:41:41.254290+00:00",
            "0.18's zoneless time is UTC"
        );
        // A reply to a reply, from another instance, on 0.19's time: in its conversation.
        let reply = &m[1];
        assert_eq!(
            reply.external_id.as_deref(),
            Some("sh.itjust.works:comment:3200002:5716352")
        );
        assert_eq!(
            reply.place.parent.as_deref(),
            Some("sh.itjust.works:comment:3200001:5716352")
        );
        assert_eq!(reply.place.root.as_deref(), Some("sh.itjust.works:post:5716352"));
        assert_eq!(reply.url.as_deref(), Some("https://sh.itjust.works/comment/3200002"));
        assert_eq!(reply.author.as_deref(), Some("kai@sh.itjust.works"));
        assert_eq!(
            reply.title.as_deref(),
            Some("Re: Announcing Muffed for Lemmy - An open source Lemmy client written in flutter")
        );
        assert_eq!(
            reply.published_at.unwrap().to_rfc3339(),
            "2023-09-24T09:12:03.520+00:00"
        );
        let top = &m[2];
        assert_eq!(
            top.place.parent.as_deref(),
            Some("sh.itjust.works:post:5716352"),
            "answers the post"
        );
        assert_eq!(top.author.as_deref(), Some("rin@lemmy.world"));
        assert_eq!(top.author_name.as_deref(), Some("Rin"));
        // The newest seen, for the next poll.
        assert_eq!(page.cursor.unwrap()["newest"], "2023-09-24T09:12:03.520+00:00");
        assert!(page.next.is_none(), "a page short of the limit is the last");
    }

    #[test]
    fn ids_name_the_post_and_the_comment_a_reply_needs() {
        assert_eq!(ids_of("sh.itjust.works:post:5716352"), Some((5716352, None)));
        assert_eq!(
            ids_of("sh.itjust.works:comment:3200002:5716352"),
            Some((5716352, Some(3200002)))
        );
        assert_eq!(ids_of("lemmy.world:comment:x:1"), None);
        assert_eq!(ids_of("nonsense"), None);
        assert_eq!(ids_of(&comment_ref("h", 7, 9)), Some((9, Some(7))));
    }

    #[test]
    fn deleted_and_removed_items_and_strangers_text_are_not_trusted() {
        let feed = feed();
        let ctx = Ctx {
            feed: &feed,
            cursor: None,
            token: Some("jwt-1"),
            now: Utc::now(),
        };
        let req = request(&ctx, 1).unwrap();
        assert!(req.headers.contains(&("authorization".into(), "Bearer jwt-1".into())));
        let body = serde_json::json!({
            "posts": [
                {"post": {"id": 1, "name": "gone", "deleted": true, "published": "2024-01-01T00:00:00Z"}},
                {"post": {"id": 2, "name": "removed", "removed": true}},
                {"post": {"id": 3, "name": "\u{1b}]52;c;aGk=\u{7}title", "body": "\u{1b}[2Jbody", "published": "not a date"},
                 "creator": {"name": "eve", "actor_id": "javascript:alert(1)"}}
            ],
            "comments": [{"comment": {"id": 5, "post_id": 3, "content": "x", "path": "garbage"}}]
        })
        .to_string();
        let reply = Reply {
            status: 200,
            headers: &[],
            body: body.as_bytes(),
        };
        let page = crate::sources::parse(&ctx, &req, &reply).unwrap();
        assert_eq!(page.mentions.len(), 2);
        let m = &page.mentions[0];
        assert!(!m.title.as_deref().unwrap().contains('\u{1b}') && !m.text.contains('\u{1b}'));
        assert_eq!(m.published_at, None, "a bad date is no date");
        assert_eq!(
            m.author.as_deref(),
            Some("eve"),
            "an address that is no URL names no instance"
        );
        assert_eq!(
            page.mentions[1].place.parent.as_deref(),
            Some("sh.itjust.works:post:3"),
            "a path that says nothing: the post"
        );
        let refused = Reply {
            status: 200,
            headers: &[],
            body: br#"{"error":"couldnt_find_object"}"#,
        };
        assert!(matches!(
            crate::sources::parse(&ctx, &req, &refused),
            Err(SourceError::Refused(_))
        ));
    }
    #[test]
    fn a_posts_comments_are_its_thread() {
        let feed = feed();
        let ctx = Ctx {
            feed: &feed,
            cursor: None,
            token: None,
            now: Utc::now(),
        };
        let req = thread_request(&ctx, "sh.itjust.works:comment:3200002:5716352")
            .unwrap()
            .unwrap();
        assert_eq!(req.url.path(), "/api/v3/comment/list");
        let q: std::collections::HashMap<_, _> = req.url.query_pairs().into_owned().collect();
        assert_eq!((q["post_id"].as_str(), q["sort"].as_str()), ("5716352", "Old"));
        let search: serde_json::Value = serde_json::from_slice(
            &std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/lemmy/search.json")).unwrap(),
        )
        .unwrap();
        let body = serde_json::json!({ "comments": search["comments"] }).to_string();
        let reply = Reply {
            status: 200,
            headers: &[],
            body: body.as_bytes(),
        };
        let nodes = thread_nodes(&ctx, &reply).unwrap();
        let pairs: Vec<(String, Option<String>)> = nodes.into_iter().map(|n| (n.id, n.parent)).collect();
        assert_eq!(
            pairs,
            vec![
                ("sh.itjust.works:post:5716352".to_string(), None),
                (
                    "sh.itjust.works:comment:3200002:5716352".to_string(),
                    Some("sh.itjust.works:comment:3200001:5716352".to_string())
                ),
                (
                    "sh.itjust.works:comment:3200001:5716352".to_string(),
                    Some("sh.itjust.works:post:5716352".to_string())
                ),
            ]
        );
    }
}
