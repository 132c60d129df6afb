//! The two evaluators of the query language agree: a table of queries, run through the store's
//! SQL (FTS5 and columns) and through the in-memory evaluator over the same mentions, must pick
//! the same ones.

use super::{Candidate, Expr, StreamFilter};
use crate::model::{Engagement, FeedKind, NewMention, Status};
use crate::store::{Change, PollWrite, Scope, Store};
use chrono::{TimeZone, Utc};

struct Row {
    feed: &'static str,
    kind: FeedKind,
    title: Option<&'static str>,
    text: &'static str,
    author: Option<&'static str>,
    url: Option<&'static str>,
    reach: Option<i64>,
    score: Option<i64>,
    /// The language the source names.
    lang: Option<&'static str>,
}

const ROWS: &[Row] = &[
    Row {
        feed: "hn",
        kind: FeedKind::Hackernews,
        title: Some("Acme app crashes on login?"),
        text: "Since the update the acme app crashes. https://status.acme.com",
        author: Some("Bob"),
        url: Some("https://forum.example.com/t/1"),
        reach: Some(12_000),
        score: Some(5),
        lang: None,
    },
    Row {
        feed: "blogs",
        kind: FeedKind::Rss,
        title: Some("Café au lait"),
        text: "Le café était froid, mais Acme était là.",
        author: Some("Zoë"),
        url: Some("https://www.blog.example.org/p/2"),
        reach: None,
        score: None,
        lang: None,
    },
    Row {
        feed: "blogs",
        kind: FeedKind::Rss,
        title: Some("Switching away"),
        text: "We are switching from Acme to Rival because of pricing.",
        author: Some("carol"),
        url: Some("https://example.com/switch"),
        reach: Some(300),
        score: Some(1),
        lang: None,
    },
    Row {
        feed: "hn",
        kind: FeedKind::Hackernews,
        title: Some("Acme pricing"),
        text: "The pricing is fine, honestly",
        author: Some("dave"),
        url: Some("https://news.ycombinator.com/item?id=4"),
        reach: Some(10_000),
        score: Some(40),
        lang: None,
    },
    Row {
        feed: "masto",
        kind: FeedKind::Mastodon,
        title: None,
        text: "I love the new dashboard, www.acme.com rocks",
        author: Some("alice_fan"),
        url: Some("https://masto.example/@alice_fan/5"),
        reach: Some(50),
        score: None,
        lang: None,
    },
    Row {
        feed: "masto",
        kind: FeedKind::Mastodon,
        title: None,
        text: "Does acme support SSO？",
        author: None,
        url: None,
        reach: None,
        score: Some(0),
        lang: Some("de-DE"),
    },
    Row {
        feed: "hn",
        kind: FeedKind::Hackernews,
        title: Some("AcmeCorp announces a rival"),
        text: "rival rival rival acme",
        author: Some("erin"),
        url: Some("https://acme.example.com/news"),
        reach: Some(10_001),
        score: Some(6),
        lang: None,
    },
    Row {
        feed: "blogs",
        kind: FeedKind::Rss,
        title: Some("Acme status page"),
        text: "The details of the outage are at https://example.com/search?q=acme and nowhere else.",
        author: Some("frank"),
        url: Some("https://status.example.net/x?y=1"),
        reach: None,
        score: None,
        lang: None,
    },
];

const QUERIES: &[&str] = &[
    "acme",
    "acme*",
    "\"acme app\"",
    "acme OR dashboard",
    "acme -pricing",
    "NOT acme",
    "(acme OR café) -status:ignored",
    "title:acme",
    "text:\"switching from\"",
    "switching NEAR/2 rival",
    "switching NEAR/3 rival",
    "rival NEAR/0 acme",
    "from NEAR/0 acme",
    "acme NEAR/1 rival",
    "author:bob",
    "author:BOB",
    "author:zoë",
    "site:example.com",
    "site:blog.example.org",
    "site:acme.example.com",
    "reach>10000",
    "reach>=10000",
    "reach<=10000",
    "reach:300",
    "score>=5",
    "score<1",
    "status:open,new",
    "is:question",
    "has:link",
    "lang:fr",
    "lang:en",
    "lang:german",
    "lang:none",
    "-lang:en acme",
    "lang:fr OR lang:de",
    "site:example.net",
    "sentiment:negative",
    "sentiment:positive",
    "sentiment:neutral",
    "-sentiment:negative acme",
    "intent:complaint",
    "intent:question,praise",
    "intent:cancel OR intent:purchase",
    "priority>20",
    "priority<=10 acme",
    "#complaint",
    "tag:complaint,praise",
    "@alice",
    "@me",
    "assignee:none",
    "unread",
    "vip",
    "person:detractor",
    "-vip acme",
    "person:vip,detractor",
    "vip OR #praise",
    "cafe",
    "zoe",
    "etait",
    "kind:hackernews",
    "feed:hn -kind:hackernews",
    "acme OR #praise",
    "-(acme OR dashboard)",
    "is:question OR reach>10000",
    "(title:acme OR author:carol) -\"acme app\"",
    "rival* -is:question",
    "status:ignored OR (unread #praise)",
    "story:1",
    "story:3 OR #praise",
    "-story:1 acme",
];

/// What the in-memory evaluator reads of a stored mention, as alice.
fn candidate<'a>(m: &'a crate::model::Mention, tags: &'a [String]) -> Candidate<'a> {
    Candidate {
        title: m.title.as_deref(),
        text: &m.text,
        author: m.author.as_deref(),
        feed: &m.feed,
        kind: m.kind,
        url: m.url.as_deref(),
        reach: m.author_reach,
        score: m.engagement.score,
        lang: m.lang.as_deref(),
        sentiment: m.sentiment,
        intents: m.intents.0,
        priority: m.priority,
        status: m.status,
        tags,
        person_tags: &m.person_tags,
        noise: m.noise,
        assignee: m.assignee.as_deref(),
        sort_at: m.sort_at,
        unread: m.unread,
        me: "alice",
        story: Some(m.group_id),
    }
}

fn store() -> (tempfile::TempDir, Store, Vec<i64>) {
    let dir = tempfile::tempdir().unwrap();
    let mut s = Store::open(&dir.path().join("q.db")).unwrap();
    let base = Utc.with_ymd_and_hms(2026, 11, 20, 10, 0, 0).unwrap();
    for (i, r) in ROWS.iter().enumerate() {
        let feed = s.ensure_feed(r.feed, r.kind).unwrap();
        let m = NewMention {
            place: Default::default(),
            facts: None,
            external_id: Some(format!("m{i}")),
            url: r.url.map(String::from),
            author: r.author.map(String::from),
            author_ref: None,
            author_name: None,
            author_reach: r.reach,
            title: r.title.map(String::from),
            text: r.text.into(),
            published_at: Some(base + chrono::Duration::minutes(i as i64)),
            engagement: Engagement {
                score: r.score,
                ..Default::default()
            },
            lang: r.lang.map(String::from),
        };
        let w = PollWrite {
            mentions: vec![m],
            status: 200,
            next_poll_at: base,
            ..Default::default()
        };
        s.write_poll(feed, r.kind, &w, base + chrono::Duration::hours(1))
            .unwrap();
    }
    let ids: Vec<i64> = {
        let mut st = s.conn().prepare("SELECT id FROM mentions ORDER BY id").unwrap();
        st.query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect()
    };
    let now = Utc::now();
    s.apply(&[ids[0]], &Change::Status(Status::Open), "alice", now).unwrap();
    s.apply(&[ids[0]], &Change::Tag("complaint".into()), "alice", now)
        .unwrap();
    s.apply(&[ids[0]], &Change::Tag("praise".into()), "alice", now).unwrap();
    s.apply(&[ids[0]], &Change::Assign(Some("alice".into())), "alice", now)
        .unwrap();
    s.apply(&[ids[2]], &Change::Status(Status::Ignored), "bob", now)
        .unwrap();
    s.apply(&[ids[4]], &Change::Tag("praise".into()), "bob", now).unwrap();
    s.apply(&[ids[4]], &Change::Assign(Some("bob".into())), "bob", now)
        .unwrap();
    s.mark_read("alice", ids[1], now).unwrap();
    s.mark_read("alice", ids[3], now).unwrap();
    // People: carol is a VIP, dave a known detractor.
    for (who, tag) in [("carol", "vip"), ("dave", "detractor")] {
        let person = s.find_handles(who).unwrap()[0].1;
        s.tag_person(person, tag).unwrap();
    }
    (dir, s, ids)
}

#[test]
fn sql_and_memory_pick_the_same_mentions() {
    let (_dir, store, ids) = store();
    let now = Utc::now();
    let mut mentions = Vec::new();
    for id in &ids {
        let d = store.detail("alice", *id).unwrap().unwrap();
        mentions.push((d.mention, d.tags));
    }
    let mut differ = Vec::new();
    for q in QUERIES {
        let filter = StreamFilter::parse(q, now).unwrap_or_else(|e| panic!("{q}: {e}"));
        let mut by_sql = store
            .matching_ids(Scope {
                operator: "alice",
                filter: &filter,
            })
            .unwrap_or_else(|e| panic!("{q}: {e}"));
        by_sql.sort_unstable();
        let expr: Expr = filter.expr();
        let by_memory: Vec<i64> = mentions
            .iter()
            .filter(|(m, tags)| expr.matches(&candidate(m, tags)))
            .map(|(m, _)| m.id)
            .collect();
        let pos = |v: &[i64]| {
            v.iter()
                .map(|id| ids.iter().position(|x| x == id).unwrap())
                .collect::<Vec<_>>()
        };
        if by_sql != by_memory {
            differ.push(format!("{q}: SQL {:?}, memory {:?}", pos(&by_sql), pos(&by_memory)));
        }
    }
    assert!(differ.is_empty(), "the evaluators disagree:\n{}", differ.join("\n"));
}

#[test]
fn a_sample_of_the_table_picks_what_a_person_would() {
    let (_dir, store, ids) = store();
    let now = Utc::now();
    let pick = |q: &str| -> Vec<usize> {
        let filter = StreamFilter::parse(q, now).unwrap();
        let mut got: Vec<usize> = store
            .matching_ids(Scope {
                operator: "alice",
                filter: &filter,
            })
            .unwrap()
            .iter()
            .map(|id| ids.iter().position(|x| x == id).unwrap())
            .collect();
        got.sort_unstable();
        got
    };
    assert_eq!(pick("switching NEAR/3 rival"), vec![2], "three words between");
    assert!(pick("switching NEAR/2 rival").is_empty());
    assert_eq!(pick("cafe"), vec![1], "accents do not matter");
    assert_eq!(
        pick("site:example.com"),
        vec![0, 2, 6],
        "subdomains included, not news.ycombinator.com"
    );
    assert_eq!(pick("is:question"), vec![0, 5], "a link's ? asks nothing");
    assert_eq!(pick("has:link"), vec![0, 4, 7]);
    assert_eq!(pick("@me"), vec![0]);
    assert_eq!(pick("vip"), vec![2], "carol's");
    assert_eq!(pick("person:vip,detractor"), vec![2, 3]);
    assert_eq!(pick("acme* -is:question"), vec![1, 2, 3, 4, 6, 7]);
    assert_eq!(pick("lang:fr"), vec![1], "detected from the words");
    assert_eq!(pick("lang:german"), vec![5], "the source's code wins");
    assert_eq!(pick("site:example.net"), vec![7]);
    assert_eq!(pick("reach>10000"), vec![0, 6]);
}

#[test]
fn errors_point_at_the_column() {
    let now = Utc::now();
    for (q, col, words) in [
        ("acme OR", 6, "OR needs something"),
        ("(acme", 1, "not closed"),
        ("acme )", 6, "a ) without"),
        ("\"open", 1, "not closed"),
        ("reach>lots", 1, "whole number"),
        ("kind:fax", 1, "unknown kind"),
        ("acme NEAR/500 x", 6, "up to 100"),
        ("a AND AND b", 3, "AND needs"),
        ("status:done", 1, "use new"),
    ] {
        let e = Expr::parse(q, now).unwrap_err();
        assert_eq!(e.column, col, "{q}: {e}");
        assert!(e.message.contains(words), "{q}: {e}");
    }
}

#[test]
fn queries_are_written_back_as_they_parse() {
    let now = Utc::now();
    for q in QUERIES {
        let f = StreamFilter::parse(q, now).unwrap();
        let again = StreamFilter::parse(&f.describe(), now).unwrap_or_else(|e| panic!("{q} → {}: {e}", f.describe()));
        assert_eq!(again, f, "{q} → {}", f.describe());
    }
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    /// The fixture database, made once for every case (the directory lives as long as the tests).
    fn fixture() -> &'static std::path::Path {
        static PATH: std::sync::OnceLock<std::path::PathBuf> = std::sync::OnceLock::new();
        PATH.get_or_init(|| {
            let (dir, _store, _ids) = store();
            let path = dir.path().join("q.db");
            std::mem::forget(dir);
            path
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

        /// Whatever is typed: parsing never panics, and what parses runs in SQL without an error
        /// (nothing typed becomes FTS5 syntax) and agrees with the in-memory evaluator.
        #[test]
        fn any_query_parses_or_says_why_and_what_parses_runs_and_agrees(
            q in r#"[a-zé"()\-*#@:<>=!/ 0-9]{0,24}|(acme|OR|AND|NOT|NEAR/2|"a b"|-x|\(|\)|title:|site:|reach>|is:question| ){0,8}"#,
        ) {
            let now = Utc::now();
            if let Ok(filter) = StreamFilter::parse(&q, now) {
                let store = Store::open(fixture()).unwrap();
                let r = store.matching_ids(Scope { operator: "alice", filter: &filter });
                prop_assert!(r.is_ok(), "{q:?}: {r:?}");
                let mut by_sql = r.unwrap();
                by_sql.sort_unstable();
                let expr = filter.expr();
                let mut by_memory = Vec::new();
                let ids: Vec<i64> = {
                    let mut st = store.conn().prepare("SELECT id FROM mentions ORDER BY id").unwrap();
                    st.query_map([], |r| r.get(0)).unwrap().map(|r| r.unwrap()).collect()
                };
                for id in ids {
                    let d = store.detail("alice", id).unwrap().unwrap();
                    let m = &d.mention;
                    if expr.matches(&candidate(m, &d.tags)) {
                        by_memory.push(id);
                    }
                }
                prop_assert_eq!(by_sql, by_memory, "{:?}", q);
            }
        }
    }
}
