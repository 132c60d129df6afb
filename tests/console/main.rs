//! The console in a real pseudo-terminal, as a person uses it: keystrokes in, screen and raw bytes
//! out, against a real feed server on 127.0.0.1. One test binary, one module per subject; the
//! command line's tests are in `tests/cli/`.

#[path = "../common/mod.rs"]
mod common;

mod console;
mod drafts;
mod harness_pty;
mod stats;
mod team;
mod threads;
mod triage;

use common::env::Env;
use common::fixture;
use common::server::{FixtureServer, Response};

/// An environment whose config has a `[console]` section (operator alice, plus `console`) and one
/// Hacker News feed polled hourly, served the recorded search by a local server; then `extra`.
pub fn hn_env(console: &str, extra: &str) -> (Env, FixtureServer) {
    hn_env_on(None, console, extra)
}

/// [`hn_env`], its database a new one on the PostgreSQL server at `pg` when given.
pub fn hn_env_on(pg: Option<&str>, console: &str, extra: &str) -> (Env, FixtureServer) {
    let s = FixtureServer::start();
    s.route(
        "/hn/api/v1/search_by_date",
        Response::ok(fixture("hackernews/hn_search_by_date.json")),
    );
    let mut env = Env::new();
    if let Some(admin) = pg {
        env.use_postgres(admin);
    }
    env.config(&format!(
        "[console]\noperator = \"alice\"\n{console}\n[[feed]]\nname = \"hn\"\nkind = \"hackernews\"\nquery = \"sqlite\"\nurl = \"{}\"\nevery = \"1h\"\n{extra}",
        s.url("/hn")
    ));
    (env, s)
}
