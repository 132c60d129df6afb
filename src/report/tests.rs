//! A hand-computed week: the report's figures in its data (as `--format json` writes them) and in
//! its HTML, read back with an HTML parser (the document parses without an error, and the
//! figures sit in the cells they name); a stranger's markup and links stay inert in both HTML
//! and Markdown.

use super::*;
use crate::model::{Engagement, FeedKind, NewMention, Place};
use crate::store::PollWrite;
use scraper::{Html, Selector};

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().to_utc()
}

const SCRIPT: &str = "<script>alert(1)</script>";
const IMG: &str = "\"><img src=x onerror=alert(2)>";

/// Each row: feed, id, author, title, link (and the page it is about), published (= seen),
/// engagement (likes), then what the team did: (status, first response at, by).
type Row<'a> = (
    &'a str,
    &'a str,
    &'a str,
    Option<&'a str>,
    (&'a str, Option<&'a str>),
    &'a str,
    i64,
    (&'a str, Option<&'a str>, Option<&'a str>),
);

#[rustfmt::skip]
const ROWS: &[Row<'static>] = &[
    (
        "hn",
        "m1",
        "carol",
        None,
        ("https://news.ycombinator.com/item?id=1", None),
        "2026-11-30T09:00:00Z",
        0,
        ("responded", Some("2026-11-30T09:30:00Z"), Some("alice")),
    ),
    (
        "hn",
        "m2",
        "carol",
        None,
        ("https://news.ycombinator.com/item?id=2", None),
        "2026-11-30T10:00:00Z",
        0,
        ("responded", Some("2026-11-30T12:00:00Z"), Some("bob")),
    ),
    (
        "blog",
        "m3",
        "dave",
        Some("Billing broke again"),
        ("https://dave.example/billing", None),
        "2026-11-29T14:00:00Z",
        0,
        ("open", None, None),
    ),
    (
        "blog",
        "m4",
        "erin",
        Some("A spam post"),
        ("https://erin.example/spam", None),
        "2026-11-28T08:00:00Z",
        0,
        ("ignored", None, None),
    ),
    (
        "hn",
        "m5",
        "mallory",
        Some(SCRIPT),
        ("javascript:alert(3)", None),
        "2026-11-27T12:00:00Z",
        1000,
        ("new", None, None),
    ),
    (
        "blog",
        "s1",
        "frank",
        Some("Acme raises $50M to fix its billing for good"),
        ("https://blog.example/acme-raises", None),
        "2026-11-26T10:00:00Z",
        0,
        ("new", None, None),
    ),
    (
        "hn",
        "s2",
        "grace",
        Some("Acme raises $50M to fix its billing for good"),
        ("https://news.ycombinator.com/item?id=9", Some("https://blog.example/acme-raises")),
        "2026-11-26T11:00:00Z",
        40,
        ("new", None, None),
    ),
    // The week before.
    (
        "hn",
        "p1",
        "carol",
        None,
        ("https://news.ycombinator.com/item?id=3", None),
        "2026-11-20T10:00:00Z",
        0,
        ("responded", Some("2026-11-20T11:00:00Z"), Some("alice")),
    ),
    (
        "blog",
        "p2",
        "heidi",
        Some("Still waiting"),
        ("https://heidi.example/w", None),
        "2026-11-21T10:00:00Z",
        0,
        ("new", None, None),
    ),
];

/// The week 2026-11-24..30 (UTC), seen on Monday 2026-11-30 at 18:00, and the week before.
fn store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let mut s = Store::open(&dir.path().join("r.db")).unwrap();
    let hn = s.ensure_feed("hn", FeedKind::Hackernews).unwrap();
    let blog = s.ensure_feed("blog", FeedKind::Rss).unwrap();
    for &(feed, id, author, title, (url, links_to), published, likes, (status, answered, by)) in ROWS {
        let (feed_id, kind) = if feed == "hn" {
            (hn, FeedKind::Hackernews)
        } else {
            (blog, FeedKind::Rss)
        };
        let seen = at(published);
        let m = NewMention {
            external_id: Some(id.into()),
            author: Some(author.into()),
            title: title.map(String::from),
            text: if id == "m5" {
                IMG.to_string()
            } else {
                format!("Words of {id}.")
            },
            url: Some(url.into()),
            published_at: Some(seen),
            engagement: Engagement {
                likes: (likes > 0).then_some(likes),
                ..Default::default()
            },
            place: Place {
                links_to: links_to.map(String::from),
                ..Default::default()
            },
            ..Default::default()
        };
        let poll = PollWrite {
            mentions: vec![m],
            status: 200,
            next_poll_at: seen,
            ..Default::default()
        };
        s.write_poll(feed_id, kind, &poll, seen).unwrap();
        let answered = answered.map(|a| at(a).timestamp());
        s.conn()
            .execute(
                "UPDATE mentions SET status = ?2, status_at = coalesce(?3, first_seen_at + 60), first_response_at = ?3,
                    responded_at = ?3, responded_by = ?4
                 WHERE external_id = ?1 OR external_id LIKE '%:' || ?1",
                rusqlite::params![id, status, answered, by],
            )
            .unwrap();
    }
    (dir, s)
}

fn query() -> ReportQuery {
    ReportQuery {
        span: Span::Week,
        by: Some(GroupBy::Feed),
        tz: chrono_tz::UTC,
        sla: Some(Duration::from_secs(3600)),
        business: None,
        filter: StreamFilter::default(),
        now: at("2026-11-30T18:00:00Z"),
        team: Some("Acme <support>".into()),
        value: None,
    }
}

#[test]
fn a_hand_computed_week_in_the_data() {
    let (_d, s) = store();
    let r = gather(&s, &query()).unwrap();
    assert_eq!(
        (r.from.to_string(), r.to.to_string()),
        ("2026-11-24".into(), "2026-11-30".into())
    );
    assert_eq!(r.previous_from.to_string(), "2026-11-17");
    let t = &r.totals;
    assert_eq!((t.mentions, t.stories, t.responded, t.ignored), (7, 6, 2, 1));
    assert_eq!(t.median_first_response_secs, Some(4500.0), "the mean of 30 min and 2 h");
    assert_eq!(t.p90_first_response_secs, Some(7200));
    // Past the hour: m2 (answered after 2 h) and what still waits (m3, m5, s1, s2); m4 was ignored.
    assert_eq!(t.sla_breaches, 5);
    // Open at the end: m3, m5, s1, s2, and p2 from the week before.
    assert_eq!(t.backlog, 5);
    let p = &r.previous;
    assert_eq!((p.mentions, p.responded, p.backlog), (2, 1, 1));
    assert_eq!(p.median_first_response_secs, Some(3600.0));
    assert_eq!(r.days.len(), 7);
    assert_eq!(r.days[6].mentions, 2, "Monday the 30th: m1 and m2");
    // By feed: hn's four, the blog's three.
    let by: Vec<(Option<&str>, i64)> = r.groups.iter().map(|g| (g.group.as_deref(), g.mentions)).collect();
    assert_eq!(by, [(Some("hn"), 4), (Some("blog"), 3)]);
    assert_eq!(r.people[0].name, "carol");
    assert_eq!((r.people[0].mentions, r.people[0].answered), (2, 2));
    assert_eq!(r.stories.len(), 1);
    assert_eq!(
        (r.stories[0].places, r.stories[0].feeds.clone()),
        (2, vec!["blog".to_string(), "hn".to_string()])
    );
    let engaged: Vec<i64> = r.engaged.iter().map(|m| m.engagement).collect();
    assert_eq!(engaged, [1000, 40]);
    // The longest waits first: s1 and s2 (since the 26th), m5, m3, then m2's two hours.
    let waited: Vec<Option<i64>> = r.breaches.iter().map(|m| m.waited_secs).collect();
    assert_eq!(
        waited,
        [
            Some(4 * 86_400 + 8 * 3600),
            Some(4 * 86_400 + 7 * 3600),
            Some(3 * 86_400 + 6 * 3600),
            Some(28 * 3600),
            Some(7200)
        ]
    );
    // Monday 09:00 and 10:00, Sunday 14:00; answered at 09:00 in 30 minutes, at 10:00 in two hours.
    assert_eq!((r.arrivals[0][9], r.arrivals[0][10], r.arrivals[6][14]), (1, 1, 1));
    assert_eq!((r.answer_speed[0][9], r.answer_speed[0][10]), (Some(1800), Some(7200)));
    assert_eq!(r.answer_speed[6][14], None);
    assert!(
        r.summary[0].starts_with("7 mentions (+250% on the 7 days before), telling 6 stories"),
        "{:?}",
        r.summary
    );
    assert!(
        r.summary
            .iter()
            .any(|s| s.contains("the median first answer took 1h 15m (was 1h)")),
        "{:?}",
        r.summary
    );
    assert!(
        r.summary
            .iter()
            .any(|s| s == "5 waited longer than the 1h target (1 the span before)."),
        "{:?}",
        r.summary
    );
    // As `--format json` writes it.
    let json = serde_json::to_value(&r).unwrap();
    assert_eq!(json["totals"]["mentions"], 7);
    assert_eq!(json["totals"]["median_first_response_secs"], 4500.0);
    assert_eq!(json["previous"]["responded"], 1);
}

/// The text of the first element `css` finds.
fn text(doc: &Html, css: &str) -> String {
    let sel = Selector::parse(css).unwrap();
    doc.select(&sel)
        .next()
        .unwrap_or_else(|| panic!("no {css}"))
        .text()
        .collect::<String>()
        .trim()
        .to_string()
}

/// The cells of the key figures' row named `name`.
fn figure(doc: &Html, name: &str) -> Vec<String> {
    let rows = Selector::parse("#figures tbody tr").unwrap();
    let cells = Selector::parse("td").unwrap();
    let row = doc
        .select(&rows)
        .find(|r| r.text().next().map(str::trim) == Some(name))
        .unwrap_or_else(|| panic!("no row {name}"));
    row.select(&cells)
        .map(|c| c.text().collect::<String>().trim().to_string())
        .collect()
}

#[test]
fn the_html_parses_without_error_holds_the_figures_and_nothing_runs() {
    let (_d, s) = store();
    let r = gather(&s, &query()).unwrap();
    let page = html::render(&r);
    let doc = Html::parse_document(&page);
    assert!(doc.errors.is_empty(), "HTML parse errors: {:?}", doc.errors);
    assert_eq!(text(&doc, "h1"), "Acme <support> · social care report");
    assert_eq!(figure(&doc, "Mentions"), ["7", "2", "+250%"]);
    assert_eq!(figure(&doc, "Answered"), ["2", "1", "+100%"]);
    assert_eq!(figure(&doc, "First response, median"), ["1h 15m", "1h", "+25%"]);
    assert_eq!(figure(&doc, "Past the 1h target")[..2], ["5", "1"]);
    assert_eq!(figure(&doc, "Open at the end")[..2], ["5", "1"]);
    let days = Selector::parse("#days tbody tr").unwrap();
    assert_eq!(doc.select(&days).count(), 7);
    let charts = Selector::parse("figure svg").unwrap();
    assert_eq!(
        doc.select(&charts).count(),
        5,
        "volume, response, backlog and two heat maps"
    );
    // Nothing runs, nothing loads, no link leaves http(s).
    for css in ["script", "img", "iframe", "object", "embed", "link", "form"] {
        let sel = Selector::parse(css).unwrap();
        assert_eq!(doc.select(&sel).count(), 0, "a <{css}> in the report");
    }
    let all = Selector::parse("*").unwrap();
    for el in doc.select(&all) {
        for (name, value) in el.value().attrs() {
            assert!(!name.starts_with("on"), "an event handler: {name}={value}");
            if name == "href" || name == "src" {
                assert!(
                    value.starts_with("https://") || value.starts_with("http://"),
                    "{name}={value}"
                );
            }
        }
    }
    // The stranger's words are there, as words.
    let mentions = text(&doc, "#notable");
    assert!(mentions.contains(SCRIPT), "{mentions}");
    assert!(mentions.contains(IMG), "{mentions}");
}

#[test]
fn the_markdown_escapes_what_a_renderer_would_read() {
    let (_d, s) = store();
    let md = markdown::render(&gather(&s, &query()).unwrap());
    assert!(!md.contains("<script"), "{md}");
    assert!(!md.contains("<img"), "{md}");
    assert!(!md.contains("javascript:"), "{md}");
    assert!(md.contains("&lt;script&gt;alert\\(1\\)&lt;/script&gt;"), "{md}");
    assert!(md.contains("| Mentions | 7 | 2 | +250% |"), "{md}");
    assert!(
        md.contains("[Acme raises $50M to fix its billing for good](<https://blog.example/acme-raises>): 2 places"),
        "{md}"
    );
}

#[test]
fn an_empty_span_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let s = Store::open(&dir.path().join("e.db")).unwrap();
    let r = gather(&s, &query()).unwrap();
    assert_eq!(
        r.summary,
        ["No mentions from 2026-11-24 to 2026-11-30 (there were 0 the span before)."]
    );
    let doc = Html::parse_document(&html::render(&r));
    assert!(doc.errors.is_empty(), "{:?}", doc.errors);
}

#[test]
fn our_own_posts_of_the_span_are_measured_per_post_and_per_1000_followers() {
    let (_d, mut s) = store();
    let a = crate::model::Account {
        name: "acme-sky".into(),
        kind: FeedKind::Bluesky,
        handle: "acme.example".into(),
        url: None,
        token_env: None,
        every: Duration::from_secs(900),
        fresh: Duration::from_secs(14 * 86_400),
        keep: Duration::from_secs(90 * 86_400),
    };
    let post = |id: &str, when: &str, reply: bool, (replies, reposts, likes): (i64, i64, i64)| crate::model::OwnPost {
        post_id: id.into(),
        url: Some(format!("https://bsky.app/profile/acme.example/post/{id}")),
        text: format!("<b>{id}</b>"),
        published_at: Some(at(when)),
        in_reply_to: reply.then(|| "at://someone/post/1".to_string()),
        replies,
        reposts,
        likes,
        quotes: 0,
    };
    let posts = [
        post("p1", "2026-11-25T09:00:00Z", false, (4, 10, 30)),
        post("p2", "2026-11-27T15:00:00Z", false, (2, 2, 10)),
        post("r1", "2026-11-28T10:00:00Z", true, (0, 0, 2)),
        post("old", "2026-11-01T10:00:00Z", false, (100, 100, 100)),
    ];
    s.save_own(&a, Some(2000), &posts, at("2026-11-30T17:00:00Z")).unwrap();
    let r = gather(&s, &query()).unwrap();
    assert_eq!(r.own_accounts.len(), 1);
    let o = &r.own_accounts[0];
    assert_eq!((o.posts, o.replies_sent, o.followers), (2, 1, Some(2000)));
    // Per post over the three of the span: replies 6/3, reposts 12/3, likes 42/3.
    assert!((o.conversation_rate - 2.0).abs() < 1e-9);
    assert!((o.amplification_rate - 4.0).abs() < 1e-9);
    assert!((o.applause_rate - 14.0).abs() < 1e-9);
    assert!(
        (o.applause_per_1k.unwrap() - 7.0).abs() < 1e-9,
        "14 likes a post, 2,000 followers"
    );
    assert_eq!(o.applause_per_reply, Some(2.0));
    assert_eq!(r.own_top[0].post_id, "p1");
    assert_eq!(
        r.own_best_time[2][9],
        Some(44.0),
        "Wednesday 09:00: p1's 44 engagements"
    );
    let doc = Html::parse_document(&html::render(&r));
    assert!(doc.errors.is_empty(), "{:?}", doc.errors);
    let own = text(&doc, "#own");
    assert!(
        own.contains("acme-sky") && own.contains("14.0") && own.contains("<b>p1</b>"),
        "{own}"
    );
    let charts = Selector::parse("figure svg").unwrap();
    assert_eq!(doc.select(&charts).count(), 6, "the best time to post too");
}

#[test]
fn the_worth_of_our_answers_is_the_teams_values_times_the_answered_intents() {
    let (_d, s) = store();
    // m1 (answered) was a complaint, m3 (open) too: only answered ones count.
    s.conn()
        .execute("UPDATE mentions SET intent = 1 WHERE external_id IN ('m1', 'm3')", [])
        .unwrap();
    let q = ReportQuery {
        value: Some(Value {
            currency: "€".into(),
            per_intent: vec![
                (crate::score::Intent::Complaint, 40.0),
                (crate::score::Intent::Purchase, 1200.0),
            ],
        }),
        ..query()
    };
    let r = gather(&s, &q).unwrap();
    let e = r.estimate.as_ref().unwrap();
    assert_eq!((e.total, e.previous_total), (40.0, 0.0));
    assert_eq!(e.lines[0], ("complaint".to_string(), 1, 40.0, 40.0));
    assert_eq!(e.lines[1], ("purchase".to_string(), 0, 1200.0, 0.0));
    assert!(
        r.summary
            .iter()
            .any(|l| l.contains("an estimated €40 (€0 the span before)")),
        "{:?}",
        r.summary
    );
    let doc = Html::parse_document(&html::render(&r));
    assert!(text(&doc, "#value").contains("€1,200"), "{}", text(&doc, "#value"));
}
