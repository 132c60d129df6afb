//! kill -9 at any moment leaves a consistent database with nothing half-written: one feed's
//! results are one transaction.

use crate::common::env::Env;
use crate::common::server::{FixtureServer, Response};
use crate::common::{timeout, wait_until};
use std::process::Stdio;
use std::time::Duration;

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
    let s = FixtureServer::start();
    const BATCH: usize = 2000;
    // Every request brings a whole new batch, so every poll writes BATCH new mentions.
    let batches: Vec<Response> = (0..40).map(|b| Response::ok(big_feed(b * BATCH, BATCH))).collect();
    s.route_seq("/big", batches);
    let env = Env::with_config(&format!(
        "[[feed]]\nname = \"big\"\nkind = \"rss\"\nurl = \"{}\"\nevery = \"1s\"\n",
        s.url("/big")
    ));

    let mut kills = 0;
    for round in 0..8u64 {
        let mut child = env
            .command(&["poll"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Kill it at a different moment each round: before, during and after writes.
        let before = s.requests_to("/big").len();
        assert!(
            wait_until(timeout(20), || s.requests_to("/big").len() > before),
            "round {round}: no poll"
        );
        std::thread::sleep(Duration::from_millis(5 + round * 173 % 1500));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        kills += 1;

        let ok: String = env.sql("PRAGMA integrity_check");
        assert_eq!(ok, "ok", "round {round}");
        let n: i64 = env.sql("SELECT count(*) FROM mentions");
        assert_eq!(
            n % BATCH as i64,
            0,
            "round {round}: {n} mentions is not a whole number of polls"
        );
        let fts: i64 = env.sql("SELECT count(*) FROM mentions_fts WHERE mentions_fts MATCH 'acme'");
        assert_eq!(fts, n, "round {round}: the full-text index agrees with the table");
    }
    assert_eq!(kills, 8);
    // The database the kills left behind takes the next poll whole.
    let count = || -> i64 { env.sql("SELECT count(*) FROM mentions") };
    let before = count();
    let out = env.run(&["poll", "--once"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
    assert_eq!(count(), before + BATCH as i64);
}
