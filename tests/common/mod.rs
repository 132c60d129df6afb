//! Test support shared by the integration tests: one isolated environment to run the binary in
//! ([`env::Env`]: temp dir, HOME and XDG dirs, config, database, commands and consoles), a real
//! HTTP/1.1 server on 127.0.0.1 ([`server::FixtureServer`]) and a real pseudo-terminal with a
//! vt100 screen ([`pty::Term`]). Each test binary uses a part of it, hence `dead_code` is allowed.
#![allow(dead_code)]

pub mod env;
pub mod pg;
pub mod pty;
pub mod server;

use std::path::PathBuf;
use std::time::{Duration, Instant};

/// A recorded payload under `tests/fixtures/` (copied from the shared collection; see its README).
pub fn shared_fixture(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel)
}

/// A recorded payload under `tests/fixtures/`, read.
pub fn fixture(rel: &str) -> Vec<u8> {
    let path = shared_fixture(rel);
    std::fs::read(&path).unwrap_or_else(|e| panic!("fixture {}: {e}", path.display()))
}

/// Seconds since the Unix epoch, now.
pub fn unix_now() -> i64 {
    let since = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("the clock is after 1970");
    i64::try_from(since.as_secs()).expect("seconds fit in i64")
}

pub const SIGHUP: i32 = 1;
pub const SIGINT: i32 = 2;
pub const SIGKILL: i32 = 9;
pub const SIGTERM: i32 = 15;

mod sys {
    unsafe extern "C" {
        /// kill(2) from the C library std already links.
        pub fn kill(pid: i32, sig: i32) -> i32;
    }
}

/// Send `sig` to a process (`pid > 0`) or a process group (`pid < 0`); false if it failed.
pub fn send_signal(pid: i32, sig: i32) -> bool {
    // SAFETY: kill(2) takes two integers and touches no memory of ours.
    unsafe { sys::kill(pid, sig) == 0 }
}

/// Send `sig` to the process `pid`, which must exist.
pub fn signal(pid: u32, sig: i32) {
    let pid = i32::try_from(pid).expect("a pid fits in i32");
    assert!(send_signal(pid, sig), "signal {sig} to {pid}");
}

/// Whether the tests run under CI (`CI` set to anything but empty, `0` or `false`).
pub fn under_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "0" && !v.eq_ignore_ascii_case("false"))
}

/// A deadline for waiting on a condition: stretched three times under CI, where two cores are
/// shared with the rest of the build.
pub fn timeout(secs: u64) -> Duration {
    scaled(Duration::from_secs(secs))
}

/// `d`, stretched three times under CI.
pub fn scaled(d: Duration) -> Duration {
    if under_ci() { d * 3 } else { d }
}

/// Poll `cond` until it holds or `limit` passes; true when it held. Checks once more at the
/// deadline, so a `limit` of zero still checks once.
pub fn wait_until(limit: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    loop {
        if cond() {
            return true;
        }
        let now = Instant::now();
        if now >= deadline {
            return false;
        }
        std::thread::sleep((deadline - now).min(Duration::from_millis(10)));
    }
}

/// The AT-URI of the post at the middle of the recorded thread (`bluesky/get_post_thread.json`).
pub const THREAD_POST: &str = "at://did:plc:uy7ehrx332p6dow5sk32hxzq/app.bsky.feed.post/3k7rmyigapw2y";

/// A Bluesky feed whose search finds the recorded thread's post (polled once, so it is stored),
/// and whose service answers that post's `getPostThread` with the recording, after `delay`.
pub fn bluesky_with_thread(delay: Duration) -> (server::FixtureServer, env::Env) {
    use server::Response;
    let s = server::FixtureServer::start();
    let thread: serde_json::Value = serde_json::from_slice(&fixture("bluesky/get_post_thread.json")).unwrap();
    s.route(
        "/xrpc/com.atproto.server.createSession",
        Response::ok(r#"{"accessJwt":"jwt-1","refreshJwt":"r-1","handle":"brand.example.com","did":"did:plc:x"}"#),
    );
    s.route(
        "/xrpc/app.bsky.feed.searchPosts",
        Response::json(&serde_json::json!({ "posts": [thread["thread"]["post"]] })),
    );
    s.route("/xrpc/app.bsky.actor.getProfiles", Response::ok(r#"{"profiles":[]}"#));
    s.route(
        "/xrpc/app.bsky.feed.getPostThread",
        Response::ok(fixture("bluesky/get_post_thread.json"))
            .content_type("application/json")
            .delay(delay),
    );
    let env = env::Env::with_config(&format!(
        "[[feed]]\nname = \"sky\"\nkind = \"bluesky\"\nquery = \"bluesky\"\nidentifier = \"brand.example.com\"\ntoken_env = \"OH_BSKY\"\nurl = \"{}\"\nevery = \"1h\"\n",
        s.url("")
    ))
    .var("OH_BSKY", "app-pass-word");
    let out = env.run(&["poll", "--once"]);
    assert!(out.status.success(), "{}", env::text(&out));
    (s, env)
}
