//! How the console's queries scale: the first window, moves, a page, and the overview, on a
//! database of N mentions (default 1,000,000; `OVERHEAR_BENCH_N` sets it). Prints figures; it
//! asserts nothing. Run with `cargo bench --bench window`.

use chrono::Utc;
use overhear::app::{Anchor, LoadRequest};
use overhear::console::workers::load_window;
use overhear::model::{Engagement, FeedKind, NewMention};
use overhear::query::StreamFilter;
use overhear::store::{PollWrite, Store};
use std::time::{Duration, Instant};

#[expect(clippy::too_many_lines, reason = "the benchmark, step by step, printing as it goes")]
fn main() {
    let n: usize = std::env::var("OVERHEAR_BENCH_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let dir = tempfile::tempdir().unwrap();
    // `OVERHEAR_BENCH_DB`: fill that file once and read it again on the next runs.
    let kept = std::env::var_os("OVERHEAR_BENCH_DB").map(std::path::PathBuf::from);
    let path = kept.clone().unwrap_or_else(|| dir.path().join("bench.db"));
    let fill = !kept.as_ref().is_some_and(|p| p.exists());
    let mut store = Store::open(&path).unwrap();
    let feed = store.ensure_feed("bench", FeedKind::Rss).unwrap();
    let start = Instant::now();
    let n = if fill { n } else { 0 };
    let base = Utc::now() - chrono::Duration::days(365);
    let words = [
        "acme", "sync", "outage", "love", "billing", "refund", "slow", "support", "crash", "thanks",
    ];
    for chunk in 0..n.div_ceil(10_000) {
        let mentions = (chunk * 10_000..((chunk + 1) * 10_000).min(n))
            .map(|i| NewMention {
                place: Default::default(),
                facts: None,
                external_id: Some(format!("b{i}")),
                url: Some(if i % 5 == 0 {
                    format!("https://blog{}.example.com/{i}", i % 3)
                } else {
                    format!("https://example.org/{i}")
                }),
                // A third from 1,000 regulars, the rest from 150,000 occasional authors.
                author: Some(if i % 3 == 0 {
                    format!("regular{}", i % 1000)
                } else {
                    format!("user{}", i % 150_000)
                }),
                author_name: None,
                author_ref: None,
                author_reach: Some((i % 20_000) as i64),
                title: Some(format!(
                    "Mention {i} about {}{}",
                    words[i % words.len()],
                    if i % 13 == 0 { "?" } else { "" }
                )),
                lang: (i % 11 == 0).then(|| "fr".to_string()),
                text: format!(
                    "Body of mention {i}: {} {} and more text to index.",
                    words[i % 7],
                    words[i % 3]
                ),
                published_at: Some(base + chrono::Duration::seconds((i as i64) * 31)),
                engagement: Engagement {
                    score: Some((i % 100) as i64),
                    ..Default::default()
                },
            })
            .collect();
        store
            .write_poll(
                feed,
                FeedKind::Rss,
                &PollWrite {
                    mentions,
                    status: 200,
                    next_poll_at: Utc::now(),
                    ..Default::default()
                },
                Utc::now(),
            )
            .unwrap();
    }
    println!(
        "stored {n} mentions in {:.1}s ({:.0} MB)",
        start.elapsed().as_secs_f64(),
        std::fs::metadata(&path).unwrap().len() as f64 / 1e6
    );

    let names = vec!["bench".to_string()];
    let time = |label: &str, req: LoadRequest| {
        let mut best = Duration::MAX;
        let mut window = None;
        for _ in 0..5 {
            let t = Instant::now();
            window = Some(load_window(&store, "alice", &req).unwrap());
            if req.overview {
                overhear::console::workers::load_overview(&store, "alice", &names, &req.filter).unwrap();
            }
            best = best.min(t.elapsed());
        }
        println!("{label:<40} {:>8.2} ms", best.as_secs_f64() * 1000.0);
        window.unwrap()
    };
    let req = |anchor, filter: StreamFilter, overview| LoadRequest {
        seq: 1,
        anchor,
        height: 40,
        filter,
        overview,
    };
    let head = time(
        "first window (no overview)",
        req(Anchor::Head, StreamFilter::default(), false),
    );
    time(
        "first window with counts and health",
        req(Anchor::Head, StreamFilter::default(), true),
    );
    let key = head.rows[10].stream_key();
    time(
        "move one row",
        req(
            Anchor::Move {
                key,
                offset: 10,
                delta: 1,
            },
            StreamFilter::default(),
            false,
        ),
    );
    time(
        "page down",
        req(
            Anchor::Move {
                key,
                offset: 10,
                delta: 40,
            },
            StreamFilter::default(),
            false,
        ),
    );
    time("oldest (G)", req(Anchor::Tail, StreamFilter::default(), false));
    let f = StreamFilter::parse("status:new", Utc::now()).unwrap();
    time("filter status:new", req(Anchor::Head, f, false));
    let f = StreamFilter::parse("outage", Utc::now()).unwrap();
    time("search \"outage\" (FTS5), window", req(Anchor::Head, f.clone(), false));
    time("search \"outage\" (FTS5), with counts", req(Anchor::Head, f, true));
    let f = StreamFilter::parse("\"mention 123457\"", Utc::now()).unwrap();
    time("search a rare phrase, window", req(Anchor::Head, f, false));
    let f = StreamFilter::parse("outage status:new feed:bench", Utc::now()).unwrap();
    time("search + status + feed", req(Anchor::Head, f.clone(), false));
    time("search + status + feed, with counts", req(Anchor::Head, f, true));
    let f = StreamFilter::parse("sort:priority", Utc::now()).unwrap();
    let top = time("by priority (p), first window", req(Anchor::Head, f.clone(), false));
    let key = top.rows[10].stream_key();
    time(
        "by priority, page down",
        req(
            Anchor::Move {
                key,
                offset: 10,
                delta: 40,
            },
            f.clone(),
            false,
        ),
    );
    time("by priority, with counts", req(Anchor::Head, f, true));

    // The People pane: people ranked (200 of them, as the pane reads), one person in full.
    let people = |order: overhear::store::PeopleOrder| {
        let mut best = Duration::MAX;
        let mut rows = Vec::new();
        for _ in 0..5 {
            let t = Instant::now();
            rows = store.people(order, 200).unwrap();
            best = best.min(t.elapsed());
        }
        println!(
            "{:<40} {:>8.2} ms",
            format!("people by {order} (200)"),
            best.as_secs_f64() * 1000.0
        );
        rows
    };
    let ranked = people(overhear::store::PeopleOrder::Mentions);
    for order in [
        overhear::store::PeopleOrder::Reach,
        overhear::store::PeopleOrder::Engagement,
        overhear::store::PeopleOrder::Negative,
    ] {
        people(order);
    }
    let mut best = Duration::MAX;
    for _ in 0..5 {
        let t = Instant::now();
        store.person_card(ranked[0].id).unwrap();
        best = best.min(t.elapsed());
    }
    println!(
        "{:<40} {:>8.2} ms  ({} mentions)",
        "a person in full (A)",
        best.as_secs_f64() * 1000.0,
        ranked[0].mentions
    );
    // Tagged from another connection, as the console's writer does.
    Store::open(&path).unwrap().tag_person(ranked[0].id, "vip").unwrap();
    let f = StreamFilter::parse("vip", Utc::now()).unwrap();
    time("filter vip, window", req(Anchor::Head, f, false));

    // `overhear report`: a week's and a month's, by feed, gathered and written as HTML, before
    // any stats of these days are kept (as a first report would be).
    let tz: chrono_tz::Tz = "Europe/Berlin".parse().unwrap();
    for (label, span) in [
        ("report: a week, html", overhear::report::Span::Week),
        ("report: a month, html", overhear::report::Span::Month),
    ] {
        let q = overhear::report::ReportQuery {
            span,
            by: Some(overhear::stats::GroupBy::Feed),
            tz,
            sla: Some(Duration::from_secs(3600)),
            business: None,
            filter: StreamFilter::default(),
            now: Utc::now(),
            team: None,
            value: None,
        };
        let t = Instant::now();
        let r = overhear::report::gather(&store, &q).unwrap();
        let gathered = t.elapsed();
        let page = overhear::report::html::render(&r);
        println!(
            "{:<40} {:>8.2} ms",
            format!("  {label}: its figures"),
            gathered.as_secs_f64() * 1000.0
        );
        println!(
            "{label:<40} {:>8.2} ms  ({} mentions, {} KB)",
            t.elapsed().as_secs_f64() * 1000.0,
            r.totals.mentions,
            page.len() / 1024
        );
    }

    // The week's report, part by part.
    {
        let today = Utc::now().with_timezone(&tz).date_naive();
        let q = overhear::stats::StatsQuery {
            from: today - chrono::Duration::days(6),
            to: today,
            tz,
            by: None,
            sla: Some(Duration::from_secs(3600)),
            business: None,
            filter: StreamFilter::default(),
            now: Utc::now(),
        };
        let part = |label: &str, f: &dyn Fn()| {
            let t = Instant::now();
            f();
            println!(
                "{:<40} {:>8.2} ms",
                format!("  week: {label}"),
                t.elapsed().as_secs_f64() * 1000.0
            );
        };
        part("the span's figures", &|| drop(store.period(&q).unwrap()));
        let by_feed = overhear::stats::StatsQuery {
            by: Some(overhear::stats::GroupBy::Feed),
            ..q.clone()
        };
        part("by feed", &|| drop(store.period(&by_feed).unwrap()));
        let by_intent = overhear::stats::StatsQuery {
            by: Some(overhear::stats::GroupBy::Intent),
            ..q.clone()
        };
        part("intent counts", &|| drop(store.period_counts(&by_intent).unwrap()));
        part("day by day", &|| drop(store.stats(&q).unwrap()));
        part("profile", &|| drop(store.profile(&q).unwrap()));
        let (s, e) = (
            (Utc::now() - chrono::Duration::days(7)).timestamp(),
            Utc::now().timestamp(),
        );
        let f = StreamFilter::default();
        part("people", &|| drop(store.report_people(s, e, &f, 10).unwrap()));
        part("stories", &|| drop(store.report_stories(s, e, &f, 10).unwrap()));
        part("engaged", &|| drop(store.report_engaged(s, e, &f, 10).unwrap()));
        part("breaches", &|| {
            drop(store.report_breaches(s, e, &f, 3600, e, 10).unwrap())
        });
        part("answer times", &|| drop(store.report_answer_times(s, e, &f).unwrap()));
    }

    // Stats: 365 days over the whole history, in a zone with DST, with an SLA.
    let today = Utc::now().with_timezone(&tz).date_naive();
    let q = overhear::stats::StatsQuery {
        from: today - chrono::Duration::days(364),
        to: today,
        tz,
        by: None,
        sla: Some(Duration::from_secs(3600)),
        business: None,
        filter: StreamFilter::default(),
        now: Utc::now(),
    };
    let mut best = Duration::MAX;
    for _ in 0..3 {
        let t = Instant::now();
        let days = store.stats(&q).unwrap();
        best = best.min(t.elapsed());
        assert_eq!(days.len(), 365);
    }
    println!("{:<40} {:>8.2} ms", "stats: 365 days", best.as_secs_f64() * 1000.0);
    let q = overhear::stats::StatsQuery {
        by: Some(overhear::stats::GroupBy::Feed),
        ..q
    };
    let t = Instant::now();
    store.stats(&q).unwrap();
    println!(
        "{:<40} {:>8.2} ms",
        "stats: 365 days by feed",
        t.elapsed().as_secs_f64() * 1000.0
    );

    // `overhear rule test`: a rule over the whole history, counted per feed and week.
    for q in [
        "refund",
        "acme",
        "\"mention 123457\"",
        "is:question",
        "lang:fr",
        "site:example.com",
        "has:link",
        "reach>19000",
        "refund -lang:fr",
        "refund is:question",
    ] {
        let f = StreamFilter::parse(q, Utc::now()).unwrap();
        let mut best = Duration::MAX;
        let mut matched = 0;
        for _ in 0..3 {
            let t = Instant::now();
            matched = store.rule_test(&f, None, "alice").unwrap().matched;
            best = best.min(t.elapsed());
        }
        println!(
            "{:<40} {:>8.2} ms  ({matched} matched)",
            format!("rule test {q}"),
            best.as_secs_f64() * 1000.0
        );
    }
}
