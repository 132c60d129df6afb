//! SQLite and PostgreSQL side by side: the same mentions ingested through the store's poll write
//! (groups of feeds in one transaction, as the poller writes them: people, stories, noise, the
//! full-text index), first into an empty database, then as many again into the history; then the
//! console's and the commands' reads on the result: the first window, a page further, a search's
//! window and count, a filter, the overview's counts, 30 days of stats, a rule test. Medians of
//! runs; it asserts nothing: it prints figures.
//!
//! `cargo bench --bench backends`. The PostgreSQL server: `OVERHEAR_BENCH_POSTGRES` (else
//! `OVERHEAR_TEST_POSTGRES`), a URL to a database from which the bench may create and drop one
//! of its own (`bash .ci/postgres.sh` starts a throwaway cluster and prints one). Without it,
//! SQLite's figures alone. `OVERHEAR_BENCH_N` (default 20000) mentions per round,
//! `OVERHEAR_BENCH_FEEDS` (default 200), `OVERHEAR_BENCH_RUNS` (default 15) runs per read.

#[path = "support/measure.rs"]
#[allow(dead_code, reason = "shared by the benches; each uses part of it")]
mod measure;
#[path = "support/workload.rs"]
#[allow(dead_code, reason = "shared by the benches; each uses part of it")]
mod workload;

use chrono::{Duration, Utc};
use measure::{env_or, median};
use overhear::model::{FeedKind, NewMention};
use overhear::query::StreamFilter;
use overhear::store::{PollRecord, PollWrite, Scope, Store};
use std::time::Instant;

/// What was measured on one backend: (work, milliseconds).
type Figures = Vec<(String, f64)>;

fn main() {
    // `OVERHEAR_BENCH_LOG=debug`: the store's own timings (a poll write's parts) on stderr.
    if let Ok(level) = std::env::var("OVERHEAR_BENCH_LOG") {
        tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new(format!("overhear={level}")))
            .with_writer(std::io::stderr)
            .init();
    }
    let n: usize = env_or("OVERHEAR_BENCH_N", 20_000);
    let feeds: usize = env_or("OVERHEAR_BENCH_FEEDS", 200);
    let runs: usize = env_or("OVERHEAR_BENCH_RUNS", 15);
    let dir = tempfile::tempdir().unwrap();
    println!("backends: {n} mentions per round over {feeds} feeds, reads the median of {runs} runs");
    let lite = measure_on(Store::open(&dir.path().join("bench.db")).unwrap(), n, feeds, runs);
    let admin = std::env::var("OVERHEAR_BENCH_POSTGRES")
        .or_else(|_| std::env::var("OVERHEAR_TEST_POSTGRES"))
        .ok()
        .filter(|u| !u.trim().is_empty());
    let server = admin.as_deref().map(|admin| {
        let db = BenchDb::new(admin);
        let figures = measure_on(Store::open_postgres(&db.url, None).unwrap(), n, feeds, runs);
        (db.version(), figures)
    });
    print(&lite, server.as_ref());
}

/// The figures of one backend, its database filled here.
#[expect(clippy::too_many_lines, reason = "the benchmark, step by step, each read named")]
fn measure_on(mut store: Store, n: usize, feeds: usize, runs: usize) -> Figures {
    let ids = store
        .ensure_feeds(&(0..feeds).map(|f| (format!("f{f}"), FeedKind::Rss)).collect::<Vec<_>>())
        .unwrap();
    let mut figures = Figures::new();
    for (round, label) in [(0, "ingest into an empty database"), (1, "ingest into that history")] {
        let records = workload(&ids, round, n);
        let started = Instant::now();
        // Groups of 20 feeds per transaction, as the poller's writer commits them.
        for group in records.chunks(20) {
            for r in store.record_polls(group, Utc::now()).unwrap() {
                r.unwrap();
            }
        }
        figures.push((format!("{label} ({n})"), ms(started)));
    }
    let all = StreamFilter::default();
    let scope = |filter| Scope {
        operator: "alice",
        filter,
    };
    let search = StreamFilter::parse("refund", Utc::now()).unwrap();
    let phrase = StreamFilter::parse("\"billing outage\"", Utc::now()).unwrap();
    let narrow = StreamFilter::parse("status:new feed:f3 -is:noise", Utc::now()).unwrap();
    let time = |f: &mut dyn FnMut()| -> f64 {
        let v = (0..runs)
            .map(|_| {
                let t = Instant::now();
                f();
                ms(t)
            })
            .collect();
        median(v)
    };
    figures.push((
        "first window (50)".into(),
        time(&mut || drop(store.stream_after(scope(&all), None, 50).unwrap())),
    ));
    let far = store.stream_after(scope(&all), None, 5_000).unwrap();
    let key = far.last().map(overhear::model::Mention::stream_key);
    figures.push((
        "a window 5,000 down".into(),
        time(&mut || drop(store.stream_after(scope(&all), key, 50).unwrap())),
    ));
    figures.push((
        "search `refund`: window".into(),
        time(&mut || drop(store.stream_after(scope(&search), None, 50).unwrap())),
    ));
    figures.push((
        "search `refund`: count".into(),
        time(&mut || {
            let _ = store.count_matching(scope(&search)).unwrap();
        }),
    ));
    figures.push((
        "phrase \"billing outage\": window".into(),
        time(&mut || drop(store.stream_after(scope(&phrase), None, 50).unwrap())),
    ));
    figures.push((
        "filter `status:new feed:f3 -is:noise`".into(),
        time(&mut || drop(store.stream_after(scope(&narrow), None, 50).unwrap())),
    ));
    figures.push((
        "the overview's counts".into(),
        time(&mut || {
            let _ = store.stream_counts().unwrap();
        }),
    ));
    let today = Utc::now().date_naive();
    let q = overhear::stats::StatsQuery {
        from: today - Duration::days(29),
        to: today,
        tz: chrono_tz::UTC,
        by: None,
        sla: Some(std::time::Duration::from_secs(3600)),
        business: None,
        filter: StreamFilter::default(),
        now: Utc::now(),
    };
    figures.push((
        "stats, 30 days (first time)".into(),
        // The days are kept once computed: only the first run computes them all.
        {
            let t = Instant::now();
            drop(store.stats(&q).unwrap());
            ms(t)
        },
    ));
    figures.push((
        "stats, 30 days (kept)".into(),
        time(&mut || drop(store.stats(&q).unwrap())),
    ));
    figures.push((
        "rule test `refund`".into(),
        time(&mut || drop(store.rule_test(&search, None, "alice").unwrap())),
    ));
    figures
}

/// `n` new mentions spread over `ids`' feeds (round `round`: new ids each round), over the last
/// month.
fn workload(ids: &[i64], round: usize, n: usize) -> Vec<PollRecord> {
    let per = n.div_ceil(ids.len());
    let now = Utc::now();
    ids.iter()
        .enumerate()
        .map(|(f, &feed_id)| {
            let mut w = workload::Words::new(((round as u64) << 32) | f as u64);
            let mentions = (0..per)
                .map(|i| {
                    let k = round * n + f * per + i;
                    NewMention {
                        external_id: Some(format!("m{k}")),
                        url: Some(format!("https://blog{f}.example.com/posts/{k}")),
                        author: Some(format!("author {}", k % 977)),
                        title: Some(format!("{} #{k}", w.sentence(7))),
                        text: format!("{}. {}.", w.sentence(30), w.sentence(20)),
                        published_at: Some(now - Duration::seconds(((k * 7_919) % (30 * 86_400)) as i64)),
                        ..Default::default()
                    }
                })
                .collect();
            PollRecord::Items {
                feed_id,
                kind: FeedKind::Rss,
                write: PollWrite {
                    mentions,
                    status: 200,
                    next_poll_at: now + Duration::minutes(15),
                    ..Default::default()
                },
            }
        })
        .collect()
}

fn ms(since: Instant) -> f64 {
    since.elapsed().as_secs_f64() * 1e3
}

fn print(lite: &Figures, server: Option<&(String, Figures)>) {
    println!();
    match server {
        Some((version, _)) => println!("{:<42} {:>12} {:>12} {:>8}", "work (ms)", "SQLite", version, "ratio"),
        None => println!("{:<42} {:>12}", "work (ms)", "SQLite"),
    }
    for (i, (work, l)) in lite.iter().enumerate() {
        match server {
            Some((_, p)) => {
                let p = p[i].1;
                println!("{work:<42} {l:>12.1} {p:>12.1} {:>7.1}×", p / l.max(1e-3));
            }
            None => println!("{work:<42} {l:>12.1}"),
        }
    }
    if server.is_none() {
        println!(
            "\nPostgreSQL not measured: set OVERHEAR_BENCH_POSTGRES (or OVERHEAR_TEST_POSTGRES) to a server's URL \
             (`bash .ci/postgres.sh` starts a throwaway one)"
        );
    }
}

/// A database of the bench's own on the server at `admin`, dropped when it goes.
struct BenchDb {
    admin: String,
    name: String,
    url: String,
}

impl BenchDb {
    fn new(admin: &str) -> BenchDb {
        let name = format!("overhear_bench{}", fastrand::u32(..));
        let mut c = postgres::Client::connect(admin, postgres::NoTls).expect("the bench's server");
        c.batch_execute(&format!("CREATE DATABASE {name}")).unwrap();
        let mut url = url::Url::parse(admin).expect("a URL");
        url.set_path(&format!("/{name}"));
        BenchDb {
            admin: admin.to_string(),
            name,
            url: url.to_string(),
        }
    }

    /// "PostgreSQL 15", as the server says.
    fn version(&self) -> String {
        let mut c = postgres::Client::connect(&self.url, postgres::NoTls).unwrap();
        let v: String = c.query_one("SHOW server_version", &[]).unwrap().get(0);
        format!("PostgreSQL {}", v.split(['.', ' ']).next().unwrap_or("?"))
    }
}

impl Drop for BenchDb {
    fn drop(&mut self) {
        if let Ok(mut c) = postgres::Client::connect(&self.admin, postgres::NoTls) {
            let _ = c.batch_execute(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name));
        }
    }
}
