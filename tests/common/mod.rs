//! Test support shared by the integration tests: a real HTTP server on 127.0.0.1 and a real
//! pseudo-terminal. Each test binary uses a part of it.
#![allow(dead_code)]

pub mod pty;
pub mod server;

use std::path::PathBuf;
use std::time::Duration;

/// A recorded payload under `tests/fixtures/` (copied from the shared collection; see its README).
pub fn shared_fixture(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel)
}

/// A deadline for waiting on a condition: stretched three times under CI, where two cores are
/// shared with the rest of the build.
pub fn timeout(secs: u64) -> Duration {
    let factor = if std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false") {
        3
    } else {
        1
    };
    Duration::from_secs(secs * factor)
}

/// Poll `cond` until it holds or `limit` passes.
pub fn wait_until(limit: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = std::time::Instant::now() + limit;
    loop {
        if cond() {
            return true;
        }
        if std::time::Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}
