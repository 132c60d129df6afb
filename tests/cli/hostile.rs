//! Hostile servers and mistakes with secrets, through the binary: what a stranger sends never
//! reaches a terminal (stdout, stderr), the database or the log as an escape sequence; a secret put
//! in the wrong place is neither printed nor stored; the files overhear creates are its user's alone.

use crate::common::env::{Env, stderr, stdout};
use crate::common::server::{FixtureServer, Response};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

const ESC: u8 = 0x1b;

fn no_escape(what: &str, bytes: &[u8]) {
    assert!(
        !bytes.contains(&ESC) && !bytes.contains(&0x07) && !bytes.windows(2).any(|w| w == [0xc2, 0x9b]),
        "{what} carries a control sequence: {:?}",
        String::from_utf8_lossy(bytes)
    );
}

fn log_of(env: &Env) -> Vec<u8> {
    std::fs::read(env.home().join(".local/state/overhear/overhear.log")).unwrap_or_default()
}

#[test]
fn a_servers_words_never_reach_the_terminal_the_store_or_the_log() {
    let env = Env::new();
    let s = FixtureServer::start();
    // An API's error message with OSC 0 (title), OSC 52 (clipboard) and CSI 2J (clear).
    s.route(
        "/2.3/search/advanced",
        Response::json(&serde_json::json!({
            "items": [],
            "error_message": "\u{1b}]0;pwned\u{7}\u{1b}]52;c;ZXZpbA==\u{7}bad key\u{1b}[2J"
        })),
    );
    // Markup broken around a tag name that holds the same sequences.
    s.route(
        "/feed",
        Response::ok(
            "<rss version=\"2.0\"><channel><item><title>ok</title></item><it\u{1b}]0;pwned\u{7}em>\
             <title>x\u{1b}[2J</title></channel>"
                .as_bytes()
                .to_vec(),
        ),
    );
    env.config(&format!(
        "[[feed]]\nname = \"se\"\nkind = \"stackexchange\"\nquery = \"acme\"\nurl = \"{}\"\n\n\
         [[feed]]\nname = \"blog\"\nkind = \"rss\"\nurl = \"{}\"\n",
        s.url(""),
        s.url("/feed")
    ));
    let out = env.run(&["poll", "--once"]);
    no_escape("poll's stdout", &out.stdout);
    no_escape("poll's stderr", &out.stderr);
    assert!(stdout(&out).contains("bad key"), "the words are kept: {}", stdout(&out));
    let feeds = env.run(&["feeds"]);
    no_escape("feeds", &feeds.stdout);
    let test = env.run(&["feed", "test", "se"]);
    no_escape("feed test's stdout", &test.stdout);
    no_escape("feed test's stderr", &test.stderr);
    let stored: String =
        env.sql("SELECT group_concat(coalesce(last_error, '') || coalesce(last_notes, ''), '|') FROM feeds");
    no_escape("the stored health", stored.as_bytes());
    let titles: String = env.sql("SELECT group_concat(coalesce(title, ''), '|') FROM mentions");
    no_escape("the stored titles", titles.as_bytes());
    no_escape("the log", &log_of(&env));
}

#[test]
fn a_token_in_a_feeds_url_is_never_carried_into_links_or_export() {
    let env = Env::new();
    let s = FixtureServer::start();
    s.route(
        "/feed",
        Response::ok(
            "<rss version=\"2.0\"><channel><item><title>t</title><link>#comments</link>\
             <guid isPermaLink=\"false\">1</guid></item></channel></rss>",
        ),
    );
    env.config(&format!(
        "[[feed]]\nname = \"blog\"\nkind = \"rss\"\nurl = \"{}?api_key=Zx9SECRETq7Lm2Vt8Wp4Rk1\"\n",
        s.url("/feed")
    ));
    let out = env.run(&["poll", "--once"]);
    assert!(out.status.success(), "{}", stdout(&out));
    assert!(
        stderr(&out).contains("looks like a secret"),
        "a warning: {}",
        stderr(&out)
    );
    let link: String = env.sql("SELECT url FROM mentions");
    assert_eq!(link, format!("{}#comments", s.url("/feed")));
    let export = env.run(&["export"]);
    assert!(!stdout(&export).contains("SECRET"), "{}", stdout(&export));
    assert!(!String::from_utf8_lossy(&log_of(&env)).contains("SECRET"), "the log");
}

#[test]
fn a_token_where_its_variables_name_belongs_is_refused_without_printing_it() {
    let env = Env::new();
    env.config(
        "[[feed]]\nname = \"gh\"\nkind = \"github\"\nquery = \"acme\"\ntoken_env = \"ghp_R4nd0mT0k3nV4lu3Th4tL00ksR34l\"\n",
    );
    let out = env.run(&["feeds"]);
    assert_eq!(out.status.code(), Some(2));
    let all = format!("{}{}", stdout(&out), stderr(&out));
    assert!(all.contains("never the token itself"), "{all}");
    assert!(!all.contains("R4nd0m"), "the token is not printed: {all}");
    env.config("[[feed]]\nname = \"x\"\nkind = \"rss\"\nurl = \"http://x/\"\ntoken = \"sk-live-abcdef123456\"\n");
    let out = env.run(&["feeds"]);
    let all = format!("{}{}", stdout(&out), stderr(&out));
    assert!(
        !all.contains("abcdef123456"),
        "a misplaced `token` is not echoed: {all}"
    );
}

#[test]
fn the_files_overhear_creates_are_its_users_alone() {
    let env = Env::new();
    let s = FixtureServer::start();
    s.route(
        "/feed",
        Response::ok("<rss version=\"2.0\"><channel><item><title>t</title></item></channel></rss>"),
    );
    env.config(&format!(
        "[[feed]]\nname = \"b\"\nkind = \"rss\"\nurl = \"{}\"\n",
        s.url("/feed")
    ));
    // The default database and log, under an isolated home.
    let out = env
        .bare_command(&["poll", "--once", "--config"])
        .arg(env.config_path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let mode = |p: &Path| {
        std::fs::metadata(p)
            .map(|m| m.permissions().mode() & 0o777)
            .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
    };
    let data = env.home().join(".local/share/overhear");
    assert_eq!(mode(&data), 0o700, "{}", data.display());
    for f in ["overhear.db", "overhear.db-wal", "overhear.db-shm"] {
        let p = data.join(f);
        if p.exists() {
            assert_eq!(mode(&p), 0o600, "{}", p.display());
        }
    }
    let state = env.home().join(".local/state/overhear");
    assert_eq!(mode(&state), 0o700);
    assert_eq!(mode(&state.join("overhear.log")), 0o600);
}

#[test]
fn a_damaged_database_is_said_with_what_to_do() {
    let env = Env::new();
    let s = FixtureServer::start();
    let items: String = (0..300)
        .map(|i| {
            format!(
                "<item><guid>g{i}</guid><title>title {i} {}</title></item>",
                "x".repeat(200)
            )
        })
        .collect();
    s.route(
        "/feed",
        Response::ok(format!("<rss version=\"2.0\"><channel>{items}</channel></rss>")),
    );
    env.config(&format!(
        "[[feed]]\nname = \"b\"\nkind = \"rss\"\nurl = \"{}\"\n",
        s.url("/feed")
    ));
    assert!(env.run(&["poll", "--once"]).status.success());
    // Fold the WAL into the file, then overwrite pages in the middle with garbage.
    env.open_db().execute_batch("PRAGMA wal_checkpoint(TRUNCATE);").unwrap();
    let mut bytes = std::fs::read(env.db()).unwrap();
    assert!(bytes.len() > 16 * 4096, "{}", bytes.len());
    for b in &mut bytes[8 * 4096..12 * 4096] {
        *b = 0x5a;
    }
    std::fs::write(env.db(), &bytes).unwrap();
    for args in [&["feeds"][..], &["export"], &["stats"], &["poll", "--once"]] {
        let out = env.run(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stdout(&out));
        let err = stderr(&out);
        assert!(err.contains("is damaged") && err.contains("backup"), "{args:?}: {err}");
    }
    // The poll checks while it fetches and wrote nothing into the damaged file.
    assert!(
        std::fs::read(env.db()).unwrap() == bytes,
        "the damaged file was written to"
    );
}
