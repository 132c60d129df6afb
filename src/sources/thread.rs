//! The thread around a stored mention, asked of its source when the detail opens it: the posts
//! above it (what it answers, up to the thread's first post) and the replies below it. Each kind
//! says how to ask ([`request`]) and reads its answer into [`Node`]s (the posts with their
//! parents, in the order the service gave them); [`arrange`] finds the mention among them, and
//! every post is made safe like any mention ([`super::finish`]).

use super::{Ctx, Reply, Request, SourceError};
use crate::model::{FeedKind, NewMention, Relation, ThreadOf, ThreadPost, Watched};
use std::collections::{HashMap, HashSet};

/// Posts kept above a mention (the nearest, with the thread's first when the chain is longer).
pub const MAX_ABOVE: usize = 20;
/// Replies kept below a mention, in the thread's order.
pub const MAX_BELOW: usize = 200;

/// One post of a thread as a source gave it: its id as `external_id` stores it, the id of the post
/// it answers, and what it says.
#[derive(Debug)]
pub struct Node {
    pub id: String,
    pub parent: Option<String>,
    pub post: NewMention,
}

impl Node {
    /// A post under what its place says it answers; `None` for a post without an id.
    pub fn of(post: NewMention) -> Option<Node> {
        Some(Node {
            id: post.external_id.clone()?,
            parent: post.place.parent.clone(),
            post,
        })
    }
}

/// Whether a kind's service can show the thread around a post (X's needs a paid search; feeds
/// and Stack Exchange's search have none).
pub fn tells_threads(kind: FeedKind) -> bool {
    matches!(
        kind,
        FeedKind::Mastodon
            | FeedKind::Bluesky
            | FeedKind::Hackernews
            | FeedKind::Reddit
            | FeedKind::Discourse
            | FeedKind::Github
            | FeedKind::Lemmy
            | FeedKind::Youtube
            | FeedKind::Flickr
    )
}

/// Whether what answers our replies can be found in a kind's threads ([`answers`]): every kind
/// with threads, and X, whose conversation search is asked only for what we answered.
pub fn watches_threads(kind: FeedKind) -> bool {
    tells_threads(kind) || kind == FeedKind::X
}

/// The request for the thread around `of`, when its kind has threads and the mention carries
/// what finds it.
pub fn request(ctx: &Ctx<'_>, of: &ThreadOf) -> Result<Option<Request>, SourceError> {
    let Some(id) = of.external_id.as_deref() else {
        return Ok(None);
    };
    match of.kind {
        FeedKind::Mastodon => super::mastodon::follow_up_request(ctx, id).map(Some),
        FeedKind::Bluesky => super::bluesky::thread_request(ctx, id).map(Some),
        FeedKind::Hackernews => super::hackernews::thread_request(ctx, of.root.as_deref().unwrap_or(id)).map(Some),
        FeedKind::Reddit => super::reddit::thread_request(ctx, of.root.as_deref().unwrap_or(id)),
        FeedKind::Discourse => super::discourse::thread_request(ctx, of.root.as_deref()),
        FeedKind::Github => super::github::thread_request(ctx, of.url.as_deref()),
        FeedKind::X => super::x::conversation_request(ctx, of.root.as_deref().unwrap_or(id)),
        FeedKind::Lemmy => super::lemmy::thread_request(ctx, of.root.as_deref().unwrap_or(id)),
        FeedKind::Youtube => super::youtube::thread_request(ctx, of),
        FeedKind::Flickr => super::flickr::thread_request(ctx, of.root.as_deref().unwrap_or(id)),
        _ => Ok(None),
    }
}

/// Requests sent after [`request`]'s for what its answer leaves out: the rest of a YouTube
/// comment's replies (a thread carries five at most), a Lemmy post with its author (a comment
/// list carries the post without it). Their posts are merged into the first answer's
/// ([`merge`]); a failure among them costs only what they add.
pub fn more_requests(ctx: &Ctx<'_>, of: &ThreadOf) -> Result<Vec<Request>, SourceError> {
    match of.kind {
        FeedKind::Youtube => super::youtube::thread_more(ctx, of),
        FeedKind::Lemmy => super::lemmy::thread_more(ctx, of.root.as_deref().or(of.external_id.as_deref())),
        _ => Ok(Vec::new()),
    }
}

/// The posts of several answers about one thread as one list: the first answer's order, a post
/// a later answer shows again taking its place (the later one says more of it), the posts only
/// later answers show after them, in the order the kind keeps its threads.
pub fn merge(kind: FeedKind, answers: Vec<Vec<Node>>) -> Vec<Node> {
    let mut at: HashMap<String, usize> = HashMap::new();
    let mut out: Vec<Node> = Vec::new();
    let several = answers.len() > 1;
    for node in answers.into_iter().flatten() {
        match at.get(&node.id) {
            Some(&i) => out[i] = node,
            None => {
                at.insert(node.id.clone(), out.len());
                out.push(node);
            }
        }
    }
    if several && kind == FeedKind::Youtube {
        // A YouTube thread is flat: its first comment, then every reply, oldest first (the lists
        // give them newest first).
        super::youtube::in_thread_order(&mut out);
    }
    out
}

/// The thread around `of` in a service's answer to [`request`]: above it root first, then below
/// it in the thread's order, each post sanitised.
pub fn parse(ctx: &Ctx<'_>, of: &ThreadOf, reply: &Reply<'_>) -> Result<Vec<ThreadPost>, SourceError> {
    let nodes = nodes(ctx, of, reply)?;
    let id = of.external_id.as_deref().unwrap_or_default();
    Ok(arrange(id, of.parent.as_deref(), nodes))
}

/// Every post of a service's answer to [`request`], with its parent, as the service gave them
/// (not yet made safe: [`arrange`] and [`answers`] do that to what they keep).
pub fn nodes(ctx: &Ctx<'_>, of: &ThreadOf, reply: &Reply<'_>) -> Result<Vec<Node>, SourceError> {
    let reply = &reply.without_bom();
    Ok(match of.kind {
        FeedKind::Mastodon => super::mastodon::thread_nodes(reply)?,
        FeedKind::Bluesky => super::bluesky::thread_nodes(reply)?,
        FeedKind::Hackernews => super::hackernews::thread_nodes(reply)?,
        FeedKind::Reddit => super::reddit::thread_nodes(reply)?,
        FeedKind::Discourse => super::discourse::thread_nodes(ctx, reply)?,
        FeedKind::Github => super::github::thread_nodes(reply, of.external_id.as_deref())?,
        FeedKind::X => super::x::conversation_nodes(ctx, reply)?,
        FeedKind::Lemmy => super::lemmy::thread_nodes(ctx, reply)?,
        FeedKind::Youtube => super::youtube::thread_nodes(reply, of.root.as_deref())?,
        FeedKind::Flickr => super::flickr::thread_nodes(
            reply,
            of.root.as_deref().or(of.external_id.as_deref()).unwrap_or_default(),
        )?,
        _ => Vec::new(),
    })
}

/// What the thread of a mention we answered says back to us.
#[derive(Debug, Default)]
pub struct Answers {
    /// Our reply's id in the thread, when it was found there by its words (an answer handed off
    /// by copy and link, which the service never told us the id of).
    pub found: Option<String>,
    /// What answered us, as new mentions of the conversation (made safe).
    pub follow_ups: Vec<NewMention>,
}

/// How much earlier than its recorded time our hand-off reply may be dated by the service (the
/// operator posts it after copying it; clocks differ).
const HAND_OFF_SKEW_SECS: i64 = 300;

/// The posts of the thread of `w` (a mention we answered) that answer us: every reply under our
/// reply (found by its id, or else by its words among the posts after we answered), and what
/// the mention's author wrote in the thread after we answered. In a thread without reply links
/// (a GitHub issue's comments, a Flickr photo's), every comment after ours by someone else
/// answers it. Our own posts are never a follow-up.
pub fn answers(w: &Watched, nodes: Vec<Node>) -> Answers {
    let mention = w.of.external_id.as_deref().unwrap_or_default();
    let since = w.answered_at.timestamp() - HAND_OFF_SKEW_SECS;
    let after = |n: &Node| n.post.published_at.is_some_and(|p| p.timestamp() >= since);
    let found = match &w.answer_id {
        Some(_) => None,
        None => w
            .answer_text
            .as_deref()
            .map(said)
            .filter(|s| !s.is_empty())
            .and_then(|ours| {
                nodes
                    .iter()
                    .find(|n| n.id != mention && after(n) && alike(&said(&n.post.text), &ours))
                    .map(|n| n.id.clone())
            }),
    };
    let ours = w.answer_id.clone().or_else(|| found.clone());
    let our_author = ours
        .as_deref()
        .and_then(|o| nodes.iter().find(|n| n.id == o))
        .and_then(|n| n.post.author.clone());
    let ours_at = ours
        .as_deref()
        .and_then(|o| nodes.iter().find(|n| n.id == o))
        .and_then(|n| n.post.published_at);
    // Under our reply, however deep (a chain that loops is followed once).
    let mut under: HashSet<String> = HashSet::new();
    if let Some(o) = ours.as_deref() {
        let mut todo = vec![o.to_string()];
        while let Some(p) = todo.pop() {
            for n in nodes.iter().filter(|n| n.parent.as_deref() == Some(p.as_str())) {
                if under.insert(n.id.clone()) {
                    todo.push(n.id.clone());
                }
            }
        }
    }
    let flat = matches!(w.of.kind, FeedKind::Github | FeedKind::Flickr);
    let same = |a: Option<&str>, b: Option<&str>| match (a, b) {
        (Some(a), Some(b)) => a
            .trim_start_matches('@')
            .eq_ignore_ascii_case(b.trim_start_matches('@')),
        _ => false,
    };
    let root = w.of.root.clone().or_else(|| Some(mention.to_string()));
    let follow_ups = nodes
        .into_iter()
        .filter(|n| n.id != mention && Some(n.id.as_str()) != ours.as_deref())
        .filter(|n| our_author.is_none() || !same(n.post.author.as_deref(), our_author.as_deref()))
        .filter(|n| {
            under.contains(&n.id)
                || (n.post.published_at.is_some_and(|p| p >= w.answered_at)
                    && same(n.post.author.as_deref(), w.author.as_deref()))
                || (flat && ours_at.is_some_and(|o| n.post.published_at.is_some_and(|p| p > o)))
        })
        .map(|n| {
            let mut m = n.post;
            m.place.parent = m.place.parent.or(n.parent);
            m.place.root = m.place.root.or_else(|| root.clone());
            super::finish(&mut m);
            m
        })
        .collect();
    Answers { found, follow_ups }
}

/// A text's words, folded: what survives a service's reformatting of what we handed off.
fn said(text: &str) -> Vec<String> {
    crate::query::expr::word_slices(text)
        .into_iter()
        .map(|w| w.to_string())
        .collect()
}

/// Whether two texts say the same: the same words, or nearly (a service may add a signature or
/// drop a link), and enough of them to tell.
fn alike(theirs: &[String], ours: &[String]) -> bool {
    if theirs == ours {
        return true;
    }
    if ours.len() < 3 || theirs.is_empty() {
        return false;
    }
    let a: HashSet<&String> = ours.iter().collect();
    let b: HashSet<&String> = theirs.iter().collect();
    let both = a.intersection(&b).count();
    both as f64 / a.union(&b).count() as f64 >= 0.8
}

/// The posts above the mention `id` (its parent's chain, root first; `parent` where the thread
/// does not hold the mention itself) and below it (its replies and theirs, depth first in the
/// service's order). Posts elsewhere in the thread are not its context and are left out; a
/// chain that loops is followed once.
pub fn arrange(id: &str, parent: Option<&str>, nodes: Vec<Node>) -> Vec<ThreadPost> {
    let at: HashMap<&str, usize> = nodes.iter().enumerate().map(|(i, n)| (n.id.as_str(), i)).collect();
    let mut children: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, n) in nodes.iter().enumerate() {
        if let Some(p) = n.parent.as_deref()
            && p != n.id
        {
            children.entry(p).or_default().push(i);
        }
    }
    let mut seen: HashSet<usize> = HashSet::new();
    // Above: from the mention's parent up.
    let mut above = Vec::new();
    let mut up = at
        .get(id)
        .and_then(|&i| nodes[i].parent.as_deref())
        .or(parent)
        .and_then(|p| at.get(p).copied());
    while let Some(i) = up {
        if !seen.insert(i) {
            break;
        }
        above.push(i);
        up = nodes[i].parent.as_deref().and_then(|p| at.get(p).copied());
    }
    if above.len() > MAX_ABOVE {
        // The nearest, and the first post that says what the thread is about.
        let root = above[above.len() - 1];
        above.truncate(MAX_ABOVE - 1);
        above.push(root);
    }
    above.reverse();
    // Below: depth first, each post's replies in the order the service gave them.
    let mut below: Vec<(usize, u32)> = Vec::new();
    let mut stack: Vec<(usize, u32)> = children
        .get(id)
        .map(|c| c.iter().rev().map(|&i| (i, 1)).collect())
        .unwrap_or_default();
    while let Some((i, depth)) = stack.pop() {
        if below.len() >= MAX_BELOW {
            break;
        }
        if at.get(id) == Some(&i) || !seen.insert(i) {
            continue;
        }
        below.push((i, depth));
        if let Some(c) = children.get(nodes[i].id.as_str()) {
            stack.extend(c.iter().rev().map(|&j| (j, depth + 1)));
        }
    }
    let mut posts: Vec<Option<NewMention>> = nodes.into_iter().map(|n| Some(n.post)).collect();
    let mut take = |i: usize, relation: Relation, depth: u32| {
        let mut m = posts[i].take()?;
        super::finish(&mut m);
        // A deleted post keeps its place in the tree (its replies stay) but says nothing.
        if m.text.is_empty() && m.title.is_none() && m.author.is_none() {
            return None;
        }
        Some(ThreadPost {
            relation,
            depth,
            external_id: m.external_id,
            author: m.author,
            title: m.title,
            text: m.text,
            url: m.url,
            published_at: m.published_at,
        })
    };
    let mut out: Vec<ThreadPost> = above.into_iter().filter_map(|i| take(i, Relation::Above, 0)).collect();
    out.extend(below.into_iter().filter_map(|(i, d)| take(i, Relation::Below, d)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(id: &str, parent: Option<&str>) -> Node {
        Node {
            id: id.into(),
            parent: parent.map(String::from),
            post: NewMention {
                external_id: Some(id.into()),
                text: format!("post {id}"),
                ..Default::default()
            },
        }
    }

    fn shape(posts: &[ThreadPost]) -> Vec<(String, Relation, u32)> {
        posts
            .iter()
            .map(|p| (p.external_id.clone().unwrap(), p.relation, p.depth))
            .collect()
    }

    #[test]
    fn above_is_the_parents_chain_and_below_the_replies_depth_first() {
        // r ─ a ─ m ─ b ─ c
        //   │       └ d
        //   └ x (a sibling branch: not the mention's context)
        let nodes = vec![
            node("r", None),
            node("a", Some("r")),
            node("x", Some("r")),
            node("m", Some("a")),
            node("b", Some("m")),
            node("d", Some("m")),
            node("c", Some("b")),
        ];
        let got = shape(&arrange("m", None, nodes));
        let want = [
            ("r", Relation::Above, 0),
            ("a", Relation::Above, 0),
            ("b", Relation::Below, 1),
            ("c", Relation::Below, 2),
            ("d", Relation::Below, 1),
        ];
        assert_eq!(got, want.map(|(i, r, d)| (i.to_string(), r, d)));
    }

    #[test]
    fn a_mention_missing_from_its_thread_is_placed_by_its_stored_parent_and_loops_end() {
        let nodes = vec![node("p", Some("q")), node("q", Some("p")), node("k", Some("m"))];
        let got = shape(&arrange("m", Some("p"), nodes));
        assert_eq!(
            got,
            [
                ("q", Relation::Above, 0),
                ("p", Relation::Above, 0),
                ("k", Relation::Below, 1)
            ]
            .map(|(i, r, d)| (i.to_string(), r, d))
        );
    }

    #[test]
    fn long_chains_keep_the_nearest_posts_and_the_first() {
        let mut nodes = vec![node("0", None)];
        for i in 1..=50 {
            nodes.push(node(&i.to_string(), Some(&(i - 1).to_string())));
        }
        let got = arrange("50", None, nodes);
        assert_eq!(got.len(), MAX_ABOVE);
        assert_eq!(got[0].external_id.as_deref(), Some("0"));
        assert_eq!(got.last().unwrap().external_id.as_deref(), Some("49"));
    }

    #[test]
    fn a_strangers_text_is_made_safe() {
        let mut n = node("b", Some("m"));
        n.post.text = "hi \x1b]52;c;ZXZpbA==\x07 there".into();
        n.post.url = Some("javascript:alert(1)".into());
        let got = arrange("m", None, vec![n]);
        assert!(!got[0].text.contains('\x1b'));
        assert_eq!(got[0].url, None);
    }

    // Each kind's thread on its recorded answer (tests/fixtures, see its README): the request's
    // path and query, then the posts around the mention and their fields.

    fn feed(stanza: &str) -> crate::model::FeedConfig {
        crate::sources::test_feed(&format!("[[feed]]\nname = \"f\"\n{stanza}"))
    }

    fn fixture(rel: &str) -> Vec<u8> {
        std::fs::read(format!("{}/tests/fixtures/{rel}", env!("CARGO_MANIFEST_DIR"))).unwrap()
    }

    fn of(kind: FeedKind, id: &str) -> ThreadOf {
        ThreadOf {
            kind,
            feed: "f".into(),
            external_id: Some(id.into()),
            url: None,
            parent: None,
            root: None,
        }
    }

    /// The request for `of` a feed of `stanza` sends, signed out, if any.
    fn asks(stanza: &str, of: &ThreadOf) -> Option<Request> {
        let f = feed(stanza);
        let ctx = Ctx {
            feed: &f,
            cursor: None,
            token: None,
            now: chrono::Utc::now(),
        };
        request(&ctx, of).unwrap()
    }

    /// The request for `of`, and the thread read from `body` as if the service had answered it.
    fn thread(stanza: &str, token: Option<&str>, of: &ThreadOf, body: &[u8]) -> (Request, Vec<ThreadPost>) {
        let f = feed(stanza);
        let ctx = Ctx {
            feed: &f,
            cursor: None,
            token,
            now: chrono::Utc::now(),
        };
        let req = request(&ctx, of).unwrap().expect("a request");
        let posts = parse(
            &ctx,
            of,
            &Reply {
                status: 200,
                headers: &[],
                body,
            },
        )
        .unwrap();
        (req, posts)
    }

    fn authors(posts: &[ThreadPost]) -> Vec<(Relation, u32, String)> {
        posts
            .iter()
            .map(|p| (p.relation, p.depth, p.author.clone().unwrap_or_default()))
            .collect()
    }

    #[test]
    fn mastodon_asks_the_statuses_context_and_reads_its_replies() {
        let of = of(FeedKind::Mastodon, "116266764647790665");
        let (req, posts) = thread(
            "kind = \"mastodon\"\ntag = \"acme\"\nurl = \"http://127.0.0.1:9/\"",
            Some("tok"),
            &of,
            &fixture("mastodon/status_context.json"),
        );
        assert_eq!(req.url.path(), "/api/v1/statuses/116266764647790665/context");
        assert!(
            req.headers
                .iter()
                .any(|(k, v)| k == "authorization" && v == "Bearer tok")
        );
        assert_eq!(authors(&posts), [(Relation::Below, 1, "testadmin".to_string())]);
        assert_eq!(posts[0].external_id.as_deref(), Some("116266784787341685"));
        assert_eq!(posts[0].text, "This is a reply for testing context");
        assert!(posts[0].published_at.is_some());
    }

    #[test]
    fn bluesky_asks_the_post_thread_and_reads_parent_and_replies() {
        let uri = "at://did:plc:uy7ehrx332p6dow5sk32hxzq/app.bsky.feed.post/3k7rmyigapw2y";
        let (req, posts) = thread(
            "kind = \"bluesky\"\nquery = \"acme\"\nidentifier = \"a.example\"\ntoken_env = \"T\"\nurl = \"http://127.0.0.1:9/\"",
            Some("jwt"),
            &of(FeedKind::Bluesky, uri),
            &fixture("bluesky/get_post_thread.json"),
        );
        assert_eq!(req.url.path(), "/xrpc/app.bsky.feed.getPostThread");
        let q: std::collections::HashMap<_, _> = req.url.query_pairs().into_owned().collect();
        assert_eq!(q["uri"], uri);
        assert!(q.contains_key("depth") && q.contains_key("parentHeight"));
        let above: Vec<_> = posts.iter().filter(|p| p.relation == Relation::Above).collect();
        assert_eq!(above.len(), 1);
        assert!(above[0].external_id.as_deref().unwrap().ends_with("/3k7rlrukr4w2v"));
        let below: Vec<_> = posts.iter().filter(|p| p.relation == Relation::Below).collect();
        assert_eq!(below.len(), 5, "every reply under the post, nested ones too");
        assert!(below[0].external_id.as_deref().unwrap().ends_with("/3k7rob7ugc72d"));
        assert_eq!(below[0].depth, 1);
        assert!(below[1].external_id.as_deref().unwrap().ends_with("/3k7rocw2w6u2t"));
        assert_eq!(below[1].depth, 2);
        assert!(below.iter().all(|p| {
            p.url
                .as_deref()
                .is_some_and(|u| u.starts_with("https://bsky.app/profile/"))
        }));
    }

    #[test]
    fn hacker_news_asks_the_story_and_places_a_comment_in_its_tree() {
        let mut of = of(FeedKind::Hackernews, "41000020");
        of.root = Some("41000001".into());
        of.parent = Some("41000010".into());
        let (req, posts) = thread(
            "kind = \"hackernews\"\nquery = \"acme\"\nurl = \"http://127.0.0.1:9/\"",
            None,
            &of,
            &fixture("hackernews/hn_item_tree.json"),
        );
        assert_eq!(
            req.url.path(),
            "/api/v1/items/41000001",
            "the story, whose tree holds the comment"
        );
        assert_eq!(
            authors(&posts),
            [
                (Relation::Above, 0, "founder_ex".to_string()),
                (Relation::Above, 0, "carol_ex".to_string()),
                (Relation::Below, 1, "carol_ex".to_string()),
            ]
        );
        assert_eq!(
            posts[0].title.as_deref(),
            Some("Show HN: Acme Sync – offline-first notes")
        );
        assert_eq!(posts[1].text, "Does it work with \"large\" vaults? Mine is 40\u{a0}GB.");
        assert_eq!(posts[2].text, "Thanks, that's what I needed.");
        assert_eq!(
            posts[2].url.as_deref(),
            Some("https://news.ycombinator.com/item?id=41000030")
        );
    }

    #[test]
    fn reddit_asks_the_posts_comments_and_reads_nested_replies() {
        let (req, posts) = thread(
            "kind = \"reddit\"\nquery = \"acme\"\nurl = \"http://127.0.0.1:9/\"",
            None,
            &of(FeedKind::Reddit, "t3_testpost"),
            &fixture("reddit/comments.json"),
        );
        assert_eq!(req.url.path(), "/comments/testpost.json");
        assert_eq!(
            posts
                .iter()
                .map(|p| (p.external_id.clone().unwrap(), p.depth))
                .collect::<Vec<_>>(),
            [("t1_testc1".to_string(), 1), ("t1_testc2".to_string(), 2)]
        );
        assert_eq!(posts[1].text, "Hello");
        assert!(posts.iter().all(|p| p.relation == Relation::Below));
        // A comment's own thread is not found from its id alone.
        assert!(asks("kind = \"reddit\"\nquery = \"acme\"", &of(FeedKind::Reddit, "t1_abc")).is_none());
    }

    #[test]
    fn discourse_asks_the_topic_and_a_reply_answers_the_post_it_names() {
        let mut of = of(FeedKind::Discourse, "127.0.0.1:226");
        of.root = Some("127.0.0.1:topic:57".into());
        let (req, posts) = thread(
            "kind = \"discourse\"\nquery = \"acme\"\nurl = \"http://127.0.0.1:9/\"",
            None,
            &of,
            &fixture("discourse/topic.json"),
        );
        assert_eq!(req.url.path(), "/t/57.json");
        assert_eq!(posts.len(), 1, "post 14 answers post 1, the topic's first");
        assert_eq!(posts[0].relation, Relation::Above);
        assert_eq!(posts[0].external_id.as_deref(), Some("127.0.0.1:83"));
        assert!(posts[0].title.is_some(), "the first post carries the topic's title");
        assert!(posts[0].url.as_deref().unwrap().contains("/t/"));
        // From the first post, the others are its replies.
        of.external_id = Some("127.0.0.1:83".into());
        let (_, posts) = thread(
            "kind = \"discourse\"\nquery = \"acme\"\nurl = \"http://127.0.0.1:9/\"",
            None,
            &of,
            &fixture("discourse/topic.json"),
        );
        assert_eq!(posts.len(), 3);
        assert!(posts.iter().all(|p| p.relation == Relation::Below && p.depth == 1));
        assert!(posts.iter().any(|p| p.author.as_deref() == Some("splattne")));
    }

    #[test]
    fn github_asks_the_issues_comments_from_its_link() {
        let mut of = of(FeedKind::Github, "25");
        of.url = Some("https://github.com/octokit/octokit.rb/pull/25".into());
        let (req, posts) = thread(
            "kind = \"github\"\nquery = \"acme\"\nurl = \"http://127.0.0.1:9/\"",
            None,
            &of,
            &fixture("github/issue_comments.body.json"),
        );
        assert_eq!(req.url.path(), "/repos/octokit/octokit.rb/issues/25/comments");
        assert_eq!(
            authors(&posts),
            ["catsby", "catsby", "sferik"].map(|a| (Relation::Below, 1, a.to_string()))
        );
        assert_eq!(
            posts[0].url.as_deref(),
            Some("https://github.com/octokit/octokit.rb/pull/25#issuecomment-1194549")
        );
        // A link that is not an issue's finds nothing to ask.
        of.url = Some("https://github.com/octokit/../etc/passwd".into());
        assert!(asks("kind = \"github\"\nquery = \"acme\"", &of).is_none());
    }

    // What answers us in the thread of a mention we answered.

    /// A post at `at` minutes after 12:00, by `author`, saying `text`.
    fn said_node(id: &str, parent: Option<&str>, author: &str, at: i64, text: &str) -> Node {
        let mut n = node(id, parent);
        n.post.author = Some(author.into());
        n.post.text = text.into();
        n.post.published_at = Some(noon() + chrono::Duration::minutes(at));
        n
    }

    fn noon() -> chrono::DateTime<chrono::Utc> {
        "2026-11-30T12:00:00Z".parse().unwrap()
    }

    fn watched(kind: FeedKind, id: &str, answer_id: Option<&str>, answer_text: Option<&str>) -> Watched {
        Watched {
            mention_id: 7,
            of: of(kind, id),
            author: Some("carol".into()),
            answer_id: answer_id.map(String::from),
            answer_text: answer_text.map(String::from),
            answered_at: noon(),
        }
    }

    fn ids(m: &[NewMention]) -> Vec<&str> {
        m.iter().map(|m| m.external_id.as_deref().unwrap()).collect()
    }

    #[test]
    fn a_reply_handed_off_is_found_by_its_words_and_what_answers_it_comes_back() {
        //  m (carol) ─ early (dave, before we answered)
        //            ├ ours (acme_care, our words, reformatted by the service)
        //            │   └ r1 (carol) ─ r2 (erin)
        //            ├ c2 (carol, after we answered: the customer is back)
        //            ├ x (frank, someone else, after)
        //            └ ours2 (acme_care, later: our own post is never a follow-up)
        let nodes = vec![
            said_node("m", None, "carol", -60, "my order never came"),
            said_node("early", Some("m"), "dave", -30, "same here"),
            said_node(
                "ours",
                Some("m"),
                "acme_care",
                2,
                "Sorry, Carol! We've sent a *new* one today.",
            ),
            said_node("r1", Some("ours"), "carol", 30, "thanks, when does it arrive?"),
            said_node("r2", Some("r1"), "erin", 40, "\x1b[31mmine too\x1b[0m"),
            said_node("c2", Some("m"), "Carol", 50, "still nothing"),
            said_node("x", Some("m"), "frank", 55, "lol"),
            said_node("ours2", Some("m"), "acme_care", 60, "We're on it."),
        ];
        let w = watched(
            FeedKind::Reddit,
            "m",
            None,
            Some("Sorry, Carol! We\u{2019}ve sent a new one today."),
        );
        let got = answers(&w, nodes);
        assert_eq!(got.found.as_deref(), Some("ours"));
        assert_eq!(ids(&got.follow_ups), ["r1", "r2", "c2"]);
        // Each carries where it stands, for its conversation; a stranger's text is made safe.
        assert_eq!(got.follow_ups[0].place.parent.as_deref(), Some("ours"));
        assert_eq!(got.follow_ups[2].place.parent.as_deref(), Some("m"));
        assert_eq!(got.follow_ups[0].place.root.as_deref(), Some("m"));
        assert!(!got.follow_ups[1].text.contains('\x1b'));
    }

    #[test]
    fn a_known_reply_is_followed_by_its_id_and_unlike_words_find_nothing() {
        let nodes = || {
            vec![
                said_node("ours", Some("m"), "acme_care", 1, "We have refunded you."),
                said_node("r1", Some("ours"), "zed", 5, "how?"),
            ]
        };
        let by_id = answers(&watched(FeedKind::Mastodon, "m", Some("ours"), None), nodes());
        assert_eq!(by_id.found, None, "known already: nothing to learn");
        assert_eq!(ids(&by_id.follow_ups), ["r1"]);
        // Handed off, but what was posted says something else (or too little to tell): ours is
        // not guessed, and a stranger's reply to someone else is no follow-up.
        for text in ["Please send us a direct message with your order number", "ok"] {
            let got = answers(&watched(FeedKind::Reddit, "m", None, Some(text)), nodes());
            assert_eq!(got.found, None, "{text}");
            assert!(got.follow_ups.is_empty(), "{text}");
        }
        // Words alike, but posted long before we answered: not ours.
        let mut old = nodes();
        old[0].post.published_at = Some(noon() - chrono::Duration::hours(3));
        let got = answers(
            &watched(FeedKind::Reddit, "m", None, Some("We have refunded you.")),
            old,
        );
        assert_eq!(got.found, None);
    }

    #[test]
    fn on_a_github_issue_every_later_comment_by_someone_else_answers_ours() {
        // The recorded comments of octokit.rb#25: catsby's first is ours, sent by API; catsby's
        // second is ours too; sferik's, later, answers it.
        let mut of = of(FeedKind::Github, "25");
        of.url = Some("https://github.com/octokit/octokit.rb/pull/25".into());
        let f = feed("kind = \"github\"\nquery = \"acme\"");
        let ctx = Ctx {
            feed: &f,
            cursor: None,
            token: None,
            now: chrono::Utc::now(),
        };
        let body = fixture("github/issue_comments.body.json");
        let reply = Reply {
            status: 200,
            headers: &[],
            body: &body,
        };
        let w = Watched {
            mention_id: 1,
            of: of.clone(),
            author: Some("someone".into()),
            answer_id: Some("comment:1194549".into()),
            answer_text: None,
            answered_at: "2011-05-18T02:29:52Z".parse().unwrap(),
        };
        let got = answers(&w, nodes(&ctx, &of, &reply).unwrap());
        assert_eq!(ids(&got.follow_ups), ["comment:1199663"]);
        assert_eq!(got.follow_ups[0].author.as_deref(), Some("sferik"));
        assert_eq!(got.follow_ups[0].text, "Thanks for digging in on this.");
    }
}
