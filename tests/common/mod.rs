//! Test support shared by the integration tests: a real HTTP/1.1 server on 127.0.0.1
//! ([`server::FixtureServer`]) and a real pseudo-terminal with a vt100 screen ([`pty::Term`]).
//! Each test binary uses a part of it, hence `dead_code` is allowed.
#![allow(dead_code)]

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
