//! overhear against newsboat, side by side, and against the floor (what the same crates do with
//! nothing in the way): cold ingest of 200 feeds, 20,000 new items into a growing history, a
//! re-poll where every feed answers 304, and `overhear stats --days 365`, each at several history
//! sizes. Runs alternate (newsboat, overhear, floor, newsboat, …); medians are printed with the
//! ratio computed in the same run. It asserts nothing: it prints figures.
//!
//! `cargo bench --bench ingest` (or `benches/vs-newsboat.sh`, which installs newsboat first).
//! `OVERHEAR_BENCH_RUNS` (default 5), `OVERHEAR_BENCH_HISTORY` (default `10000,100000,1000000`),
//! `OVERHEAR_BENCH_FEEDS` (default 200), `OVERHEAR_BENCH_ONLY` (`cold100`, `cold1000`,
//! `short1000`, `history`, `facts`, comma-separated; `cold` is the three cold ones; `short1000` is
//! 1,000 short items a feed titled "Feed F item N", as a quick comparison often writes them;
//! `facts` times only the facts of the cold workload's mentions, best of the runs).

#[path = "support/measure.rs"]
#[allow(dead_code, reason = "shared by the benches; each uses part of it")]
mod measure;
#[path = "support/server.rs"]
mod server;
#[path = "support/workload.rs"]
mod workload;

use measure::{Cost, env_or, history_sizes, median, run};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const OVERHEAR: &str = env!("CARGO_BIN_EXE_overhear");

struct Setup {
    addr: std::net::SocketAddr,
    bodies: server::Bodies,
    feeds: usize,
}

impl Setup {
    /// Serve `per_feed` items in every feed, ids from `first` (each feed its own range).
    fn serve(&self, first: usize, per_feed: usize, tag: &str) {
        self.serve_with(first, per_feed, tag, workload::rss);
    }

    /// [`Setup::serve`], each feed's body written by `body`.
    fn serve_with(&self, first: usize, per_feed: usize, tag: &str, body: fn(usize, std::ops::Range<usize>) -> Vec<u8>) {
        for f in 0..self.feeds {
            let start = first + f * per_feed;
            self.bodies.set(
                &format!("/f/{f}"),
                &format!("{tag}-{f}"),
                body(f, start..start + per_feed),
            );
        }
    }

    fn urls(&self) -> Vec<String> {
        (0..self.feeds).map(|f| format!("http://{}/f/{f}", self.addr)).collect()
    }

    fn overhear_config(&self, dir: &Path) -> PathBuf {
        let mut s = String::from("[poller]\nconcurrency = 8\n");
        for (f, url) in self.urls().iter().enumerate() {
            s.push_str(&format!(
                "\n[[feed]]\nname = \"f{f}\"\nkind = \"rss\"\nurl = \"{url}\"\n"
            ));
        }
        let p = dir.join("overhear.toml");
        std::fs::write(&p, s).unwrap();
        p
    }
}

fn overhear(dir: &Path, db: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(OVERHEAR);
    c.arg("--config")
        .arg(dir.join("overhear.toml"))
        .arg("--db")
        .arg(db)
        .args(args)
        .env("HOME", dir)
        .env("XDG_STATE_HOME", dir.join("state"))
        .env_remove("OVERHEAR_LOG");
    c
}

/// newsboat with 8 reload threads (overhear's concurrency), its own cache, reloading every feed
/// once and exiting.
fn newsboat(setup: &Setup, dir: &Path, cache: &Path) -> Command {
    std::fs::write(dir.join("urls"), setup.urls().join("\n") + "\n").unwrap();
    std::fs::write(dir.join("newsboat.conf"), "reload-threads 8\n").unwrap();
    let mut c = Command::new("newsboat");
    c.arg("-u")
        .arg(dir.join("urls"))
        .arg("-c")
        .arg(cache)
        .arg("-C")
        .arg(dir.join("newsboat.conf"))
        .args(["-x", "reload"])
        .env("HOME", dir);
    c
}

fn has_newsboat() -> bool {
    Command::new("newsboat")
        .arg("-v")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Every feed's body, fetched 8 at a time.
fn fetch_all(setup: &Setup) -> Vec<Vec<u8>> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let client = reqwest::Client::new();
    rt.block_on(async {
        use futures_util::StreamExt;
        futures_util::stream::iter(setup.urls())
            .map(|u| {
                let client = client.clone();
                async move { client.get(u).send().await.unwrap().bytes().await.unwrap().to_vec() }
            })
            .buffered(8)
            .collect()
            .await
    })
}

/// The floor: fetch every feed (8 at a time), then on one thread parse each with roxmltree and
/// insert its items with one prepared statement, fill the full-text index once, commit once.
fn floor(setup: &Setup, db: &Path) -> Cost {
    let start = Instant::now();
    let bodies = fetch_all(setup);
    let http = start.elapsed();
    drop(overhear::store::Store::open(db).unwrap());
    let mut c = rusqlite::Connection::open(db).unwrap();
    // Nothing in the way: no trigger of overhear's schema runs.
    let triggers: Vec<String> = c
        .prepare("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    for t in triggers {
        c.execute_batch(&format!("DROP TRIGGER {t}")).unwrap();
    }
    let tx = c.transaction().unwrap();
    let first: i64 = tx
        .query_row("SELECT coalesce(max(id), 0) FROM mentions", [], |r| r.get(0))
        .unwrap();
    {
        let mut ins = tx
            .prepare(
                "INSERT OR IGNORE INTO mentions (feed_id, kind, external_id, url, author, title, text, published_at,
                    first_seen_at, sort_at, updated_at) VALUES (1, 'rss', ?1, ?2, ?3, ?4, ?5, ?6, ?6, ?6, ?6)",
            )
            .unwrap();
        tx.execute("INSERT INTO feeds (id, name, kind) VALUES (1, 'floor', 'rss')", [])
            .unwrap();
        let now = chrono::Utc::now().timestamp();
        for body in &bodies {
            let text = std::str::from_utf8(body).unwrap();
            let doc = roxmltree::Document::parse(text).unwrap();
            for item in doc.descendants().filter(|n| n.has_tag_name("item")) {
                let child = |name: &str| {
                    item.children()
                        .find(|c| c.tag_name().name() == name)
                        .and_then(|c| c.text())
                };
                ins.execute(rusqlite::params![
                    child("guid"),
                    child("link"),
                    child("creator"),
                    child("title"),
                    child("description").unwrap_or(""),
                    now
                ])
                .unwrap();
            }
        }
    }
    tx.execute(
        "INSERT INTO mentions_fts (rowid, title, text, author) SELECT id, title, text, author FROM mentions WHERE id > ?1",
        [first],
    )
    .unwrap();
    tx.commit().unwrap();
    if std::env::var_os("OVERHEAR_BENCH_FLOOR_DETAIL").is_some() {
        eprintln!("floor: http {:?}, total {:?}", http, start.elapsed());
    }
    Cost {
        wall: start.elapsed(),
        peak_rss: 0,
    }
}

/// What a mention's facts (sentiment and intents, language, noise fingerprint, as the poller works
/// them out on each mention) cost on one core for the workload's mentions, their words as overhear
/// stores them.
fn scoring_cost(setup: &Setup) -> (Duration, usize) {
    let bodies = fetch_all(setup);
    let mut said = Vec::new();
    for body in &bodies {
        let doc = roxmltree::Document::parse(std::str::from_utf8(body).unwrap()).unwrap();
        for item in doc.descendants().filter(|n| n.has_tag_name("item")) {
            let child = |name: &str| {
                item.children()
                    .find(|c| c.tag_name().name() == name)
                    .and_then(|c| c.text())
                    .unwrap_or("")
                    .to_string()
            };
            said.push((child("title"), overhear::text::html_to_text(&child("description"))));
        }
    }
    let scorer = &*overhear::score::DEFAULT;
    let start = Instant::now();
    for (title, text) in &said {
        // Everything worked out of a mention at arrival: its sentiment and intents, language,
        // noise fingerprint, question, link.
        std::hint::black_box(overhear::model::Facts::of(None, Some(title), text, None, scorer));
    }
    (start.elapsed(), said.len())
}

fn secs(v: &[Cost]) -> f64 {
    median(v.iter().map(|c| c.wall.as_secs_f64()).collect())
}

fn mb(v: &[Cost]) -> f64 {
    median(v.iter().map(|c| c.peak_rss as f64 / 1e6).collect())
}

/// The items of a cold run: the benchmark's own (a title of seven words, two paragraphs of HTML
/// with a link, an author), or short ones as a quick comparison often writes them.
#[derive(Clone, Copy, PartialEq)]
enum Items {
    Realistic,
    Short,
}

fn cold(setup: &Setup, per_feed: usize, runs: usize, with_newsboat: bool, items: Items) {
    match items {
        Items::Realistic => setup.serve(0, per_feed, &format!("cold{per_feed}")),
        Items::Short => setup.serve_with(0, per_feed, &format!("short{per_feed}"), workload::rss_short),
    }
    let (mut nb, mut oh, mut fl) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..runs {
        let dir = tempfile::tempdir().unwrap();
        setup.overhear_config(dir.path());
        if with_newsboat {
            nb.push(run(&mut newsboat(setup, dir.path(), &dir.path().join("cache.db"))));
        }
        oh.push(run(&mut overhear(
            dir.path(),
            &dir.path().join("o.db"),
            &["poll", "--once"],
        )));
        fl.push(floor(setup, &dir.path().join("floor.db")));
    }
    let label = match items {
        Items::Realistic => format!("cold ingest, {} feeds × {per_feed}", setup.feeds),
        Items::Short => format!("cold ingest, {} feeds × {per_feed} short", setup.feeds),
    };
    let o = secs(&oh);
    if with_newsboat {
        let n = secs(&nb);
        println!(
            "{label:<44} newsboat {n:>7.2} s {:>6.0} MB | overhear {o:>6.2} s {:>6.0} MB | floor {:>6.2} s | overhear is {:.1}× newsboat, {:.2}× the floor",
            mb(&nb),
            mb(&oh),
            secs(&fl),
            n / o,
            o / secs(&fl)
        );
        let (scoring, n) = scoring_cost(setup);
        let cores = std::thread::available_parallelism().map_or(1, |c| c.get()) as f64;
        println!(
            "{:<44} facts of {n} mentions (scores, language, fingerprint): {:.0} ms on one core, about {:.0}% of the ingest's time on {cores} cores",
            "",
            scoring.as_secs_f64() * 1000.0,
            scoring.as_secs_f64() / cores / o * 100.0
        );
    } else {
        println!(
            "{label:<44} overhear {o:>6.2} s {:>6.0} MB | floor {:>6.2} s | {:.2}× the floor (newsboat not installed)",
            mb(&oh),
            secs(&fl),
            o / secs(&fl)
        );
    }
}

/// 20,000 new items into a history of each size (an empty one first), then a re-poll of all
/// 304s, then stats. The sizes alternate run by run (0, 10,000, …, 0, 10,000, …), so that a
/// machine's speed drifting during the bench weighs on every size alike; each size's median is
/// printed with its ratio to the empty database's.
fn growing(setup: &Setup, sizes: &[usize], runs: usize, cache: &Path) {
    struct Grown {
        n: usize,
        dir: tempfile::TempDir,
        db: PathBuf,
        new: Vec<Cost>,
        repoll: Vec<Cost>,
        stats: Vec<Cost>,
    }
    let mut all: Vec<Grown> = std::iter::once(0)
        .chain(sizes.iter().copied())
        .map(|n| {
            let dir = tempfile::tempdir().unwrap();
            setup.overhear_config(dir.path());
            let db = dir.path().join("o.db");
            if n > 0 {
                workload::history_copy(cache, n, setup.feeds, &db);
            }
            Grown {
                n,
                dir,
                db,
                new: Vec::new(),
                repoll: Vec::new(),
                stats: Vec::new(),
            }
        })
        .collect();
    let per_feed = 20_000 / setup.feeds;
    for r in 0..runs {
        for g in &mut all {
            // Fresh ids each run: every run stores 20,000 new mentions.
            setup.serve(10_000_000 + r * 100_000, per_feed, &format!("grow{}-{r}", g.n));
            g.new.push(run(&mut overhear(g.dir.path(), &g.db, &["poll", "--once"])));
            g.repoll
                .push(run(&mut overhear(g.dir.path(), &g.db, &["poll", "--once"])));
            g.stats.push(run(&mut overhear(
                g.dir.path(),
                &g.db,
                &["stats", "--days", "365", "--format", "json"],
            )));
        }
    }
    let empty = secs(&all[0].new);
    for g in &all {
        println!(
            "history {:>9}: 20k new {:>7.0} ms ({:.2}× the empty database's) | re-poll, all 304 {:>6.0} ms | stats --days 365 {:>6.0} ms {:>5.0} MB",
            g.n,
            secs(&g.new) * 1000.0,
            secs(&g.new) / empty,
            secs(&g.repoll) * 1000.0,
            secs(&g.stats) * 1000.0,
            mb(&g.stats)
        );
    }
}

fn main() {
    let runs = env_or("OVERHEAR_BENCH_RUNS", 5usize);
    let feeds = env_or("OVERHEAR_BENCH_FEEDS", 200usize);
    let sizes = history_sizes();
    let only: Option<String> = std::env::var("OVERHEAR_BENCH_ONLY").ok();
    let want = |what: &str| only.as_deref().is_none_or(|o| o.split(',').any(|w| w == what));
    let bodies = server::Bodies::default();
    let addr = server::start(bodies.clone());
    let setup = Setup { addr, bodies, feeds };
    if let Ok(per_feed) = std::env::var("OVERHEAR_BENCH_SERVE") {
        // For profiling by hand: serve the cold workload and write a config, then wait.
        setup.serve(0, per_feed.parse().unwrap_or(100), "serve");
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("overhear-bench-serve");
        std::fs::create_dir_all(&dir).unwrap();
        println!("serving on {addr}; config {}", setup.overhear_config(&dir).display());
        // Until killed: never on into the benchmarks (they would run beside what is profiled).
        loop {
            std::thread::sleep(Duration::from_secs(3600));
        }
    }
    let with_newsboat = has_newsboat();
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    println!(
        "overhear {} · {cores} cores · {runs} runs each, medians",
        env!("CARGO_PKG_VERSION")
    );
    if only.is_some() && want("facts") {
        setup.serve(0, 100, "facts");
        let best = (0..runs).map(|_| scoring_cost(&setup)).min().unwrap_or_default();
        println!(
            "facts of {} mentions on one core: {:.0} ms (best of {runs})",
            best.1,
            best.0.as_secs_f64() * 1e3
        );
    }
    if want("cold") || want("cold100") {
        cold(&setup, 100, runs, with_newsboat, Items::Realistic);
    }
    if want("cold") || want("cold1000") {
        cold(&setup, 1000, runs.min(3), with_newsboat, Items::Realistic);
    }
    if want("cold") || want("short1000") {
        cold(&setup, 1000, runs.min(3), with_newsboat, Items::Short);
    }
    if want("history") {
        let cache = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("overhear-bench");
        std::fs::create_dir_all(&cache).unwrap();
        growing(&setup, &sizes, runs, &cache);
    }
}
