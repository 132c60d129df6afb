//! A team on one database: several real processes, one poller at a time by lease, and what the
//! others are told.

use crate::common::env::{Env, stderr, stdout};
use crate::common::server::{FixtureServer, Response};
use crate::common::{timeout, wait_until};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

const FEED: &str = "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>t</title>\
    <item><guid>one</guid><title>acme is down again?</title></item></channel></rss>";

/// Which poller (the `p` of its feed's URL) made each request to /feed, in arrival order, with when.
fn pollers(s: &FixtureServer) -> Vec<(usize, Instant)> {
    s.requests_to("/feed")
        .iter()
        .map(|r| (r.query_param("p").unwrap().parse().unwrap(), r.at))
        .collect()
}

fn signal(child: &Child, sig: libc::c_int) {
    // SAFETY: kill sends a signal to a child this test started and still holds.
    assert_eq!(unsafe { libc::kill(child.id() as libc::pid_t, sig) }, 0);
}

/// Three `overhear poll` services on one database, each with its own config (the feed's URL says
/// which one fetched it): exactly one polls at any time, in the server's request log. Killed with
/// SIGKILL, the holder's lease moves within 10 s; stopped (SIGSTOP) past its lease, another takes
/// over, and once resumed the stopped one polls no more.
#[test]
fn one_poller_at_a_time_and_the_lease_moves_when_its_holder_dies_or_stalls() {
    let s = FixtureServer::start();
    s.route("/feed", Response::ok(FEED));
    let env = Env::new();
    let db = env.db().display().to_string();
    let mut children: Vec<Option<Child>> = (0..3)
        .map(|p| {
            let config = env.file(
                &format!("p{p}.toml"),
                &format!(
                    "[[feed]]\nname = \"f\"\nkind = \"rss\"\nurl = \"{}?p={p}\"\nevery = \"1s\"\n",
                    s.url("/feed")
                ),
            );
            let child = env
                .bare_command(&["--config", &config.display().to_string(), "--db", &db, "poll"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            // One after the other, so the first is the first holder.
            std::thread::sleep(Duration::from_millis(300));
            Some(child)
        })
        .collect();
    let polled_by = |n: usize| move |s: &FixtureServer| pollers(s).len() >= n;
    assert!(wait_until(timeout(10), || polled_by(4)(&s)), "nobody polls");
    let first = pollers(&s)[0].0;
    std::thread::sleep(Duration::from_secs(2));
    assert!(pollers(&s).iter().all(|(p, _)| *p == first), "{:?}", pollers(&s));

    // kill -9: another takes over within 10 s (on one machine, as soon as it sees the holder gone).
    let killed = Instant::now();
    let mut holder = children[first].take().unwrap();
    holder.kill().unwrap();
    holder.wait().unwrap();
    let moved = || pollers(&s).iter().any(|(p, _)| *p != first);
    assert!(wait_until(timeout(12), moved), "the lease never moved");
    let (second, at) = pollers(&s).into_iter().find(|(p, _)| *p != first).unwrap();
    let took = at.duration_since(killed);
    assert!(took < Duration::from_secs(10), "took {took:?}");

    // SIGSTOP past the lease: the third takes over; resumed, the second polls no more.
    // (Stopped inside a write transaction, a process keeps SQLite's write lock until resumed and
    // nobody can take over meanwhile: SQLite itself never lets two write. The test stops it
    // between writes, as a pause would most of the time.)
    let paused = children[second].as_ref().unwrap();
    loop {
        std::thread::sleep(Duration::from_millis(300));
        signal(paused, libc::SIGSTOP);
        std::thread::sleep(Duration::from_millis(100));
        let db = env.open_db();
        db.busy_timeout(Duration::from_millis(500)).unwrap();
        if db.execute_batch("BEGIN IMMEDIATE; ROLLBACK;").is_ok() {
            break;
        }
        signal(paused, libc::SIGCONT);
    }
    let third = 3 - first - second;
    let third_polls = || pollers(&s).iter().any(|(p, _)| *p == third);
    assert!(
        wait_until(timeout(15), third_polls),
        "the lease never moved from a stopped holder"
    );
    std::thread::sleep(Duration::from_secs(1));
    signal(paused, libc::SIGCONT);
    let resumed = Instant::now();
    std::thread::sleep(Duration::from_secs(4));
    let log = pollers(&s);
    assert!(
        log.iter().all(|(p, at)| *p != second || *at < resumed),
        "the resumed holder polled again: {:?}",
        log.iter().map(|(p, _)| p).collect::<Vec<_>>()
    );
    assert!(log.iter().filter(|(p, at)| *p == third && *at > resumed).count() >= 2);
    // Never two at once: the log is three runs, one per holder, in the order the lease went.
    let mut runs: Vec<usize> = log.iter().map(|(p, _)| *p).collect();
    runs.dedup();
    assert_eq!(runs, vec![first, second, third]);

    for child in children.iter_mut().flatten() {
        signal(child, libc::SIGTERM);
        child.wait().unwrap();
    }
    // Every one left: no session and no lease remain.
    assert_eq!(env.sql::<i64>("SELECT count(*) FROM leases"), 0);
    assert_eq!(env.sql::<i64>("SELECT count(*) FROM sessions"), 0);
}

/// `poll --once` while another process holds the lease says who polls and polls nothing; once the
/// holder exits, the lease is released at once and the next `poll --once` polls.
#[test]
fn poll_once_defers_to_the_holder_and_an_exit_releases_the_lease_at_once() {
    let s = FixtureServer::start();
    s.route("/feed", Response::ok(FEED));
    let env = Env::with_config(&format!(
        "[[feed]]\nname = \"f\"\nkind = \"rss\"\nurl = \"{}?p=0\"\nevery = \"1h\"\n",
        s.url("/feed")
    ));
    let mut service = env
        .command(&["poll"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    assert!(wait_until(timeout(10), || !s.requests_to("/feed").is_empty()));
    let out = env.run_with(&["poll", "--once"], &[("OVERHEAR_OPERATOR", "bob")]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("not polling: alice's `overhear poll` (pid"),
        "{}",
        stderr(&out)
    );
    assert_eq!(s.requests_to("/feed").len(), 1, "bob's poll fetched nothing");
    signal(&service, libc::SIGTERM);
    service.wait().unwrap();
    let out = env.run_with(&["poll", "--once"], &[("OVERHEAR_OPERATOR", "bob")]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("f  ok"), "{}", stdout(&out));
    assert_eq!(s.requests_to("/feed").len(), 2);
}
