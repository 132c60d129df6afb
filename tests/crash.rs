//! kill -9 at any moment leaves a consistent database with nothing half-written: one feed's
//! results are one transaction.

mod common;

use common::server::{FixtureServer, Response};
use rusqlite::Connection;
use std::process::{Command, Stdio};
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_overhear");

/// An RSS feed of `n` items whose ids start at `start`.
fn big_feed(start: usize, n: usize) -> Vec<u8> {
    let mut s = String::from("<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>big</title>");
    for i in start..start + n {
        s.push_str(&format!(
            "<item><guid>item-{i}</guid><title>Item {i} about acme</title><description>&lt;p&gt;Body of item {i}, with some text to store.&lt;/p&gt;</description><link>https://example.com/{i}</link></item>"
        ));
    }
    s.push_str("</channel></rss>");
    s.into_bytes()
}

#[test]
fn kill_9_during_polls_never_leaves_half_a_poll() {
    let dir = tempfile::tempdir().unwrap();
    let s = FixtureServer::start();
    const BATCH: usize = 2000;
    // Every request brings a whole new batch, so every poll writes BATCH new mentions.
    let batches: Vec<Response> = (0..40).map(|b| Response::ok(big_feed(b * BATCH, BATCH))).collect();
    s.route_seq("/big", batches);
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[[feed]]\nname = \"big\"\nkind = \"rss\"\nurl = \"{}\"\nevery = \"1s\"\n",
            s.url("/big")
        ),
    )
    .unwrap();
    let db = dir.path().join("overhear.db");

    let mut kills = 0;
    for round in 0..8u64 {
        let mut child = Command::new(BIN)
            .arg("--config")
            .arg(&config)
            .arg("--db")
            .arg(&db)
            .arg("poll")
            .env("XDG_STATE_HOME", dir.path().join("state"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Kill it at a different moment each round: before, during and after writes.
        let before = s.requests_to("/big").len();
        assert!(
            common::wait_until(common::timeout(20), || s.requests_to("/big").len() > before),
            "round {round}: no poll"
        );
        std::thread::sleep(Duration::from_millis(5 + round * 173 % 1500));
        child.kill().unwrap();
        child.wait().unwrap();
        kills += 1;

        let conn = Connection::open(&db).unwrap();
        let ok: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
        assert_eq!(ok, "ok", "round {round}");
        let n: i64 = conn
            .query_row("SELECT count(*) FROM mentions", [], |r| r.get(0))
            .unwrap();
        assert_eq!(
            n % BATCH as i64,
            0,
            "round {round}: {n} mentions is not a whole number of polls"
        );
        let fts: i64 = conn
            .query_row(
                "SELECT count(*) FROM mentions_fts WHERE mentions_fts MATCH 'acme'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(fts, n, "round {round}: the full-text index agrees with the table");
    }
    assert_eq!(kills, 8);
    // The database the kills left behind takes the next poll whole.
    let count = |db: &std::path::Path| -> i64 {
        Connection::open(db)
            .unwrap()
            .query_row("SELECT count(*) FROM mentions", [], |r| r.get(0))
            .unwrap()
    };
    let before = count(&db);
    let out = Command::new(BIN)
        .arg("--config")
        .arg(&config)
        .arg("--db")
        .arg(&db)
        .args(["poll", "--once"])
        .env("XDG_STATE_HOME", dir.path().join("state"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
    assert_eq!(count(&db), before + BATCH as i64);
}
