//! The console in a real pseudo-terminal on histories of 10,000, 100,000 and 1,000,000 mentions:
//! the first frame with the database's pages out of the OS cache and in it, key → frame for `j`,
//! `ctrl-d`, `G` and `g` (alone, and while another process writes), and `/` search → the frame
//! with its first page (the median of as many searches as runs, each for words not searched
//! before, once the console is quiet). It asserts nothing: it prints figures.
//!
//! `cargo bench --bench console`; `OVERHEAR_BENCH_HISTORY` (default `10000,100000,1000000`),
//! `OVERHEAR_BENCH_RUNS` (default 5), `OVERHEAR_BENCH_KEYS` (default 200).

#[path = "support/measure.rs"]
#[allow(dead_code, reason = "shared by the benches; each uses part of it")]
mod measure;
#[path = "support/pty.rs"]
mod pty;
#[path = "support/workload.rs"]
#[allow(dead_code, reason = "shared by the benches; each uses part of it")]
mod workload;

use measure::{env_or, evict, history_sizes, median};
use portable_pty::CommandBuilder;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const OVERHEAR: &str = env!("CARGO_BIN_EXE_overhear");

fn console(dir: &Path, db: &Path) -> pty::Term {
    let mut c = CommandBuilder::new(OVERHEAR);
    c.arg("--config");
    c.arg(dir.join("c.toml"));
    c.arg("--db");
    c.arg(db);
    c.cwd(dir);
    c.env("HOME", dir);
    c.env("XDG_STATE_HOME", dir.join("state"));
    c.env("TERM", "xterm-256color");
    c.env("USER", "alice");
    c.env_remove("OVERHEAR_LOG");
    pty::Term::spawn(c, 120, 40)
}

/// A stream row on screen: the history's authors are `author <number>`.
fn stream_shown(screen: &str) -> bool {
    screen.contains("Stream ·") && screen.lines().any(|l| l.contains("author "))
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn p99(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v.get(((v.len() as f64 * 0.99).ceil() as usize).saturating_sub(1))
        .copied()
        .unwrap_or(f64::NAN)
}

fn first_frame(dir: &Path, db: &Path, cold: bool) -> f64 {
    if cold {
        for end in ["", "-wal", "-shm"] {
            evict(Path::new(&format!("{}{end}", db.display())));
        }
    }
    let start = Instant::now();
    let term = console(dir, db);
    let at = term
        .wait_screen(stream_shown, Duration::from_secs(30))
        .unwrap_or_else(|| panic!("no stream on screen:\n{}", term.screen()));
    ms(at - start)
}

/// Key → the last frame it caused, for each of `n` keys.
fn keys(term: &mut pty::Term, n: usize) -> Vec<f64> {
    let cycle: [&[u8]; 8] = [b"j", b"j", b"j", b"\x04", b"j", b"G", b"k", b"g"];
    (0..n)
        .filter_map(|i| {
            let sent = term.send(cycle[i % cycle.len()]);
            term.last_frame_after(sent, Duration::from_millis(40), Duration::from_secs(5))
                .map(|t| ms(t - sent))
        })
        .collect()
}

/// `/`, the words, Enter → the last frame (the first page of matches). The clock starts at the
/// last character typed: the search runs as it is typed, so that is when this one is asked for.
fn search(term: &mut pty::Term, words: &str) -> f64 {
    let mut bytes = b"/".to_vec();
    bytes.extend(std::iter::repeat_n(0x7f, 40));
    let (head, last) = words.split_at(words.len() - 1);
    bytes.extend_from_slice(head.as_bytes());
    term.send(&bytes);
    std::thread::sleep(Duration::from_millis(500));
    let mut end = last.as_bytes().to_vec();
    end.push(b'\r');
    let sent = term.send(&end);
    term.last_frame_after(sent, Duration::from_millis(80), Duration::from_secs(10))
        .map_or(f64::NAN, |t| ms(t - sent))
}

/// Another process's writes: 100 new mentions every 250 ms, through overhear's own store.
fn writer(db: PathBuf, stop: std::sync::Arc<std::sync::atomic::AtomicBool>) -> std::thread::JoinHandle<usize> {
    std::thread::spawn(move || {
        use overhear::model::{FeedKind, NewMention};
        let mut store = overhear::store::Store::open(&db).unwrap();
        let feed = store.ensure_feed("writer", FeedKind::Rss).unwrap();
        let mut n = 0;
        while !stop.load(std::sync::atomic::Ordering::Relaxed) {
            let now = chrono::Utc::now();
            let mentions = (0..100)
                .map(|i| NewMention {
                    external_id: Some(format!("w{n}-{i}")),
                    title: Some(format!("written meanwhile #{n}")),
                    text: "acme outage again today".into(),
                    published_at: Some(now),
                    ..Default::default()
                })
                .collect();
            let poll = overhear::store::PollWrite {
                mentions,
                status: 200,
                next_poll_at: now,
                ..Default::default()
            };
            store.write_poll(feed, FeedKind::Rss, &poll, now).unwrap();
            n += 1;
            std::thread::sleep(Duration::from_millis(250));
        }
        n
    })
}

fn main() {
    let runs = env_or("OVERHEAR_BENCH_RUNS", 5usize);
    let nkeys = env_or("OVERHEAR_BENCH_KEYS", 200usize);
    let sizes = history_sizes();
    let cache = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("overhear-bench");
    std::fs::create_dir_all(&cache).unwrap();
    println!("console in a 120×40 pseudo-terminal · {runs} runs · {nkeys} keys · medians and p99");
    for n in sizes {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("c.toml"), "# no feeds: the console only reads\n").unwrap();
        let db = dir.path().join("o.db");
        workload::history_copy(&cache, n, 200, &db);
        // Once to migrate and warm up.
        first_frame(dir.path(), &db, false);
        let (mut cold, mut warm) = (Vec::new(), Vec::new());
        for _ in 0..runs {
            cold.push(first_frame(dir.path(), &db, true));
            warm.push(first_frame(dir.path(), &db, false));
        }
        let mut term = console(dir.path(), &db);
        term.wait_screen(stream_shown, Duration::from_secs(30)).unwrap();
        let alone = keys(&mut term, nkeys);
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let w = writer(db.clone(), stop.clone());
        let busy = keys(&mut term, nkeys);
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        let batches = w.join().unwrap();
        // The console settles first (the writer's last commits are read again), then each kind of
        // search is asked `runs` times, each time for words not asked before (a search asked
        // again is answered from what the first one kept): a frame's time is one sample of a
        // noisy machine.
        let _ = term.last_frame_after(Instant::now(), Duration::from_millis(500), Duration::from_secs(10));
        let mut searched = |words: &dyn Fn(usize) -> String| {
            let times: Vec<f64> = (0..runs)
                .map(|r| search(&mut term, &words(r)))
                .filter(|t| t.is_finite())
                .collect();
            median(times)
        };
        const COMMON: [&str; 6] = ["outage", "refund", "billing", "router", "crash", "support"];
        let common = searched(&|r| COMMON[r % COMMON.len()].to_string());
        let rare = searched(&|r| (123_457 + 1_111 * r).to_string());
        let phrase = searched(&|r| format!("\"{} acme\"", COMMON[r % COMMON.len()]));
        drop(term);
        println!(
            "{n:>9} mentions: first frame cold {:>6.0} ms, warm {:>5.0} ms | key → frame p50 {:>5.1} ms, p99 {:>5.1} ms; \
             while another process writes ({batches} commits) p99 {:>5.1} ms | / search → page: a common word {:>5.0} ms, \
             a rare one {:>5.0} ms, a phrase {:>5.0} ms",
            median(cold),
            median(warm),
            median(alone.clone()),
            p99(alone),
            p99(busy),
            common,
            rare,
            phrase
        );
    }
}
