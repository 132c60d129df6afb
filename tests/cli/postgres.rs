//! The PostgreSQL suite: a real server, named by `OVERHEAR_TEST_POSTGRES` (a URL to a database
//! the tests may create databases from; `.ci/run` starts a throwaway cluster and sets it). Without
//! it each test says the suite was not run and passes. Each test works in a database of its own,
//! dropped at its end.

use crate::common::env::{Env, stdout, text};
use crate::common::pg::{Db, server};
use crate::common::server::{FixtureServer, Response};
use std::collections::BTreeMap;

/// `overhear --config … --db URL ARGS` in `env`, to the end.
fn on(env: &Env, url: &str, args: &[&str]) -> std::process::Output {
    let mut c = env.bare_command(&["--config", env.config_path().to_str().unwrap(), "--db", url]);
    c.args(args);
    c.output().unwrap()
}

/// Every table of the schema, each row's values as text, in key order: what two databases must
/// agree on.
fn dump(path: &std::path::Path) -> BTreeMap<String, Vec<Vec<String>>> {
    let c = rusqlite::Connection::open(path).unwrap();
    let tables: Vec<String> = c
        .prepare(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'mentions_fts%'
             AND name NOT LIKE 'sqlite_%' AND name <> 'overhear_copy'",
        )
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    tables
        .into_iter()
        .map(|t| {
            let mut s = c.prepare(&format!("SELECT * FROM \"{t}\" ORDER BY 1, 2")).unwrap();
            let n = s.column_count();
            let rows = s
                .query_map([], |r| {
                    (0..n)
                        .map(|i| {
                            Ok(match r.get_ref(i)? {
                                rusqlite::types::ValueRef::Null => "NULL".to_string(),
                                rusqlite::types::ValueRef::Integer(v) => v.to_string(),
                                rusqlite::types::ValueRef::Real(v) => format!("{v:?}"),
                                rusqlite::types::ValueRef::Text(v) | rusqlite::types::ValueRef::Blob(v) => {
                                    String::from_utf8_lossy(v).into_owned()
                                }
                            })
                        })
                        .collect::<Result<Vec<_>, rusqlite::Error>>()
                })
                .unwrap()
                .collect::<Result<Vec<_>, _>>()
                .unwrap();
            (t, rows)
        })
        .collect()
}

/// A database with something in most tables: polled mentions (a stranger's escapes and quotes
/// among them), triage, a note, a draft, a read mark, tags.
fn filled() -> (Env, FixtureServer) {
    let s = FixtureServer::start();
    s.route(
        "/feed.xml",
        Response::ok(
            "<rss version=\"2.0\"><channel><title>t</title>\
             <item><guid>a</guid><title>Acme \"refund\" \\ tab\there</title><description>line one\nline two \u{1b}[2J</description><link>https://example.com/a</link><pubDate>Mon, 30 Nov 2026 10:00:00 GMT</pubDate></item>\
             <item><guid>b</guid><title>Acme is great</title><description>love it</description><link>https://example.com/b?utm_source=x</link><pubDate>Mon, 30 Nov 2026 11:00:00 GMT</pubDate></item>\
             <item><guid>c</guid><title>Acme help?</title><description>how do I cancel</description><link>https://example.com/b</link><pubDate>Mon, 30 Nov 2026 12:00:00 GMT</pubDate></item>\
             </channel></rss>",
        ),
    );
    let env = Env::with_config(&format!(
        "[[feed]]\nname = \"blog\"\nkind = \"rss\"\nurl = \"{}\"\n",
        s.url("/feed.xml")
    ));
    let out = env.run(&["poll", "--once"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(env.run(&["mark", "1", "open"]).status.success());
    assert!(env.run(&["mark", "2", "ignored"]).status.success());
    let c = env.open_db();
    c.execute_batch(
        "INSERT INTO notes (mention_id, author, body, created_at) VALUES (1, 'alice', 'called them, O''Brien', 1764500000);
         INSERT INTO drafts (mention_id, author, body, created_at, updated_at) VALUES (3, 'alice', 'Hi!\tTry this.', 1, 2);
         INSERT INTO reads (operator, mention_id, at) VALUES ('alice', 1, 3);
         INSERT INTO mention_tags (mention_id, tag) VALUES (1, 'billing'), (3, 'how-to');",
    )
    .unwrap();
    (env, s)
}

#[test]
fn a_database_moves_to_postgres_and_back_whole_and_checked() {
    let Some(admin) = server() else { return };
    let db = Db::new(&admin);
    let (env, _s) = filled();
    let out = env.run(&["migrate", "--from", env.db().to_str().unwrap(), "--to", &db.url]);
    assert!(out.status.success(), "{}", text(&out));
    let said = stdout(&out);
    for t in [
        "mentions",
        "actions",
        "notes",
        "drafts",
        "reads",
        "mention_tags",
        "people",
        "story_keys",
    ] {
        let line = said
            .lines()
            .find(|l| l.starts_with(&format!("{t} ")))
            .unwrap_or_else(|| panic!("{t}: {said}"));
        assert!(line.ends_with("agrees"), "{line}");
    }
    assert!(said.contains("rows in 26 tables agree"), "{said}");
    // In PostgreSQL: the rows, the words' index, the ids to come.
    let mut c = db.client();
    let n: i64 = c.query_one("SELECT count(*) FROM mentions", &[]).unwrap().get(0);
    assert_eq!(n, 3);
    let found: i64 = c
        .query_one(
            "SELECT count(*) FROM mentions WHERE fts @@ plainto_tsquery('simple', 'cancel')",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(found, 1, "the tsvector is filled");
    let next: i64 = c
        .query_one(
            "INSERT INTO notes (mention_id, author, body, created_at) VALUES (1, 'b', 'x', 1) RETURNING id",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(next, 2, "identities go on after the copied ids");
    c.batch_execute("DELETE FROM notes WHERE id = 2").unwrap();
    drop(c);

    // And back, into a new file: every table as it was, the words searchable again.
    let back = env.path().join("back.db");
    let out = env.run(&["migrate", "--from", &db.url, "--to", back.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(dump(&env.db()), dump(&back));
    let mut again = Env::new();
    again.set_db(back);
    let found = again.run(&["export", "--format", "jsonl", "--filter", "cancel"]);
    assert_eq!(stdout(&found).lines().count(), 1, "{}", text(&found));
    let verdict = again.run(&["doctor"]);
    assert!(stdout(&verdict).contains("integrity_check ok"), "{}", stdout(&verdict));
}

#[test]
fn an_interrupted_copy_goes_on_where_it_stopped() {
    let Some(admin) = server() else { return };
    let db = Db::new(&admin);
    let (env, _s) = filled();
    // Many more mentions, so the copy is killed half-way through them.
    env.open_db()
        .execute_batch(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 30000)
             INSERT INTO mentions (feed_id, kind, external_id, text, first_seen_at, sort_at, updated_at)
             SELECT 1, 'rss', 'gen-' || i, 'generated mention ' || i, 1764500000 + i, 1764500000 + i, 1764500000 + i FROM n;",
        )
        .unwrap();
    let mut child = env
        .command(&[
            "migrate",
            "--from",
            env.db().to_str().unwrap(),
            "--to",
            &db.url,
            "--batch",
            "200",
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Killed once part of the mentions is in and before the copy is done.
    let mut c = db.client();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let mid = c
            .query_opt("SELECT done FROM overhear_copy WHERE tbl = 'mentions'", &[])
            .ok()
            .flatten()
            .map(|r| r.get::<_, i64>(0));
        if mid == Some(0) {
            break;
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "the copy ended before it could be interrupted"
        );
        assert!(std::time::Instant::now() < deadline, "the copy never began");
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let part: i64 = c.query_one("SELECT count(*) FROM mentions", &[]).unwrap().get(0);
    assert!(part > 0 && part < 30_003, "{part} mentions copied before the kill");
    assert_eq!(part % 200, 0, "whole batches only: {part}");
    drop(c);
    let out = env.run(&[
        "migrate",
        "--from",
        env.db().to_str().unwrap(),
        "--to",
        &db.url,
        "--batch",
        "200",
    ]);
    assert!(out.status.success(), "{}", text(&out));
    let said = stdout(&out);
    let line = said.lines().find(|l| l.starts_with("mentions ")).unwrap();
    assert!(line.contains("30003") && line.ends_with("agrees"), "{line}");
    let mut c = db.client();
    let n: i64 = c.query_one("SELECT count(*) FROM mentions", &[]).unwrap().get(0);
    assert_eq!(n, 30_003, "each row once");
}

#[test]
fn a_copy_into_a_database_that_holds_data_or_from_a_newer_overhear_is_refused() {
    let Some(admin) = server() else { return };
    let db = Db::new(&admin);
    let (env, _s) = filled();
    let from = env.db().to_str().unwrap().to_string();
    assert!(env.run(&["migrate", "--from", &from, "--to", &db.url]).status.success());
    // Another database's rows never mix in.
    let other = env.path().join("other.db");
    std::fs::copy(env.db(), &other).unwrap();
    let out = env.run(&["migrate", "--from", other.to_str().unwrap(), "--to", &db.url]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("copy into a new database"), "{}", text(&out));
    // Back into a file that holds mentions: refused.
    let out = env.run(&["migrate", "--from", &db.url, "--to", &from]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("already holds 3 mentions"), "{}", text(&out));
    // Two files: refused.
    let out = env.run(&["migrate", "--from", &from, "--to", other.to_str().unwrap()]);
    assert!(text(&out).contains("one side must be a file"), "{}", text(&out));
    // A newer schema: said, untouched.
    db.client()
        .batch_execute("UPDATE overhear_meta SET value = '999' WHERE key = 'schema_version'")
        .unwrap();
    let fresh = env.path().join("fresh.db");
    let out = env.run(&["migrate", "--from", &db.url, "--to", fresh.to_str().unwrap()]);
    assert!(
        text(&out).contains("newer than this overhear understands"),
        "{}",
        text(&out)
    );
    let doctor = on(&env, &db.url, &["doctor"]);
    assert!(
        stdout(&doctor).contains("FAIL  schema: version 999"),
        "{}",
        stdout(&doctor)
    );
}

#[test]
fn doctor_checks_a_postgres_database_and_a_password_is_never_shown() {
    let Some(admin) = server() else { return };
    let db = Db::new(&admin);
    let (env, _s) = filled();
    let out = on(&env, &db.url, &["doctor"]);
    let said = stdout(&out);
    assert!(said.contains("ok    server: PostgreSQL"), "{said}");
    assert!(said.contains("schema: none yet"), "{said}");
    assert!(
        env.run(&["migrate", "--from", env.db().to_str().unwrap(), "--to", &db.url])
            .status
            .success()
    );
    let said = stdout(&on(&env, &db.url, &["doctor"]));
    assert!(said.contains("ok    schema: version"), "{said}");
    assert!(said.contains("may read and write every table"), "{said}");
    assert!(said.contains("poller: nobody polls"), "{said}");
    // A wrong password, from the URL or from a variable: refused in words, never echoed.
    let mut bad = url::Url::parse(&db.url).unwrap();
    bad.set_username("nobody_here").unwrap();
    bad.set_password(Some("hunter2-secret")).unwrap();
    let out = on(&env, bad.as_str(), &["doctor"]);
    assert!(!text(&out).contains("hunter2-secret"), "{}", text(&out));
    assert!(stdout(&out).contains("FAIL  database: cannot reach"), "{}", text(&out));
    // The other commands run on it.
    let out = on(&env, &db.url, &["feeds"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(stdout(&out).contains("blog"), "{}", text(&out));
}

/// The same command in the same `env` on the team's SQLite file and on its PostgreSQL copy: what
/// each printed (stdout), and both exit codes.
fn on_both(env: &Env, url: &str, args: &[&str]) -> (String, String) {
    let lite = env.run(args);
    let server = on(env, url, args);
    assert_eq!(
        lite.status.code(),
        server.status.code(),
        "{args:?}: SQLite {} / PostgreSQL {}",
        text(&lite),
        text(&server)
    );
    (stdout(&lite), stdout(&server))
}

/// `text` with every time of the last ten minutes (`2026-12-01T09:25:53Z`) written `<recent>`: the
/// same work done on two databases a second apart is stamped a second apart.
fn recent_masked(text: &str) -> String {
    let now = chrono::Utc::now();
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while !rest.is_empty() {
        let stamp = rest
            .get(..20)
            .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
            .filter(|t| (now - t.to_utc()).num_seconds().abs() < 600);
        match stamp {
            Some(_) => {
                out.push_str("<recent>");
                rest = &rest[20..];
            }
            None => {
                let c = rest.chars().next().unwrap_or_default();
                out.push(c);
                rest = &rest[c.len_utf8()..];
            }
        }
    }
    out
}

/// Two JSON answers of the same work done on two databases a second or two apart: equal, but for
/// durations in seconds (`…_secs`, the report's answer speeds), which may differ by that much, and
/// what says when it was made (`generated_at`, the summary's sentences of durations).
fn alike(a: &serde_json::Value, b: &serde_json::Value, path: &str) {
    use serde_json::Value;
    let timed = path.ends_with("_secs") || path.contains("answer_speed");
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let keys: std::collections::BTreeSet<&String> = x.keys().chain(y.keys()).collect();
            for k in keys {
                if k == "generated_at" || k == "summary" {
                    continue;
                }
                alike(&x[k], y.get(k).unwrap_or(&Value::Null), &format!("{path}.{k}"));
            }
        }
        (Value::Array(x), Value::Array(y)) => {
            assert_eq!(x.len(), y.len(), "{path}: {a} / {b}");
            for (i, (p, q)) in x.iter().zip(y).enumerate() {
                alike(p, q, &format!("{path}[{i}]"));
            }
        }
        (Value::Number(x), Value::Number(y)) if timed => {
            let (x, y) = (x.as_f64().unwrap(), y.as_f64().unwrap());
            assert!((x - y).abs() <= 2.0, "{path}: {x} / {y}");
        }
        _ => assert_eq!(a, b, "{path}"),
    }
}

/// A team moves its shared file to PostgreSQL and carries on the next morning: every command on
/// the server says what it says on the file, after the same work on both (a new poll, a reply, a
/// status, a tag through a rule), and the password given by `--password-env` is never printed.
#[test]
fn the_morning_after_the_move_every_command_works_on_postgres_as_on_the_file() {
    let Some(admin) = server() else { return };
    let db = Db::new(&admin);
    let (mut env, s) = filled();
    let out = env.run(&["migrate", "--from", env.db().to_str().unwrap(), "--to", &db.url]);
    assert!(out.status.success(), "{}", text(&out));
    // Overnight: a new post, and a rule that tags refunds.
    s.route(
        "/feed.xml",
        Response::ok(
            "<rss version=\"2.0\"><channel><title>t</title>\
             <item><guid>d</guid><author>Jane Doe</author><title>Acme refund please</title><description>I want a refund for my order</description><link>https://example.com/d</link><pubDate>Tue, 01 Dec 2026 07:00:00 GMT</pubDate></item>\
             <item><guid>a</guid><title>Acme \"refund\" \\ tab\there</title><description>line one\nline two \u{1b}[2J</description><link>https://example.com/a</link><pubDate>Mon, 30 Nov 2026 10:00:00 GMT</pubDate></item>\
             </channel></rss>",
        ),
    );
    env.config(&format!(
        "[[feed]]\nname = \"blog\"\nkind = \"rss\"\nurl = \"{}\"\n\n\
         [[rule]]\nname = \"refunds\"\nwhen = \"refund\"\ntag = \"billing\"\n",
        s.url("/feed.xml")
    ));
    let (lite, server) = on_both(&env, &db.url, &["poll", "--once"]);
    assert!(lite.contains("1 new") && server.contains("1 new"), "{lite}\n{server}");
    for args in [
        &["mark", "4", "open"][..],
        &["mark", "3", "responded"],
        &["person", "tag", "Jane Doe", "vip"],
    ] {
        on_both(&env, &db.url, args);
    }
    let reply = env.path().join("reply.txt");
    std::fs::write(&reply, "Sorry about that, we refunded you.").unwrap();
    on_both(&env, &db.url, &["reply", "4", "--text-file", reply.to_str().unwrap()]);
    let same = |args: &[&str]| {
        let (lite, server) = on_both(&env, &db.url, args);
        assert!(!lite.trim().is_empty(), "{args:?} printed nothing");
        assert_eq!(recent_masked(&lite), recent_masked(&server), "{args:?}");
    };
    same(&["export", "--format", "jsonl"]);
    same(&["export", "--format", "csv", "--filter", "refund -is:question"]);
    // The feeds' health, but for when each was last polled (the two runs are a second or so
    // apart: "now" or "1s ago") and is polled next (spread at random).
    let (lite, server) = on_both(&env, &db.url, &["feeds"]);
    let without_next = |t: &str| -> Vec<String> {
        let head = t.lines().next().unwrap_or_default();
        let (from, to) = (head.find("LAST OK").unwrap(), head.find("RATE LIMIT").unwrap());
        t.lines()
            .map(|l| {
                let c: Vec<char> = l.chars().collect();
                c[..from.min(c.len())].iter().chain(&c[to.min(c.len())..]).collect()
            })
            .collect()
    };
    assert_eq!(without_next(&lite), without_next(&server));
    assert!(lite.contains("blog"), "{lite}");
    same(&["people", "--format", "json"]);
    let (lite, server) = on_both(&env, &db.url, &["stats", "--days", "7", "--format", "json"]);
    alike(
        &serde_json::from_str(&lite).unwrap(),
        &serde_json::from_str(&server).unwrap(),
        "stats",
    );
    same(&["rule", "test", "--when", "acme", "--format", "json"]);
    // The report, as data: the same figures on both.
    let (a, b) = (env.path().join("a.json"), env.path().join("b.json"));
    assert!(
        env.run(&["report", "--week", "--format", "json", "--out", a.to_str().unwrap()])
            .status
            .success()
    );
    let out = on(
        &env,
        &db.url,
        &["report", "--week", "--format", "json", "--out", b.to_str().unwrap()],
    );
    assert!(out.status.success(), "{}", text(&out));
    let read = |p: &std::path::Path| -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
    };
    alike(&read(&a), &read(&b), "report");
    // A password given by --password-env opens the server and is never printed.
    password_env_opens_the_server(&mut env, &db);
}

/// `--password-env` names where the password is; without it a server that asks for one refuses,
/// and the password is never printed. Needs a server that asks members of
/// `overhear_password_users` for a password (`.ci/postgres.sh` starts one).
fn password_env_opens_the_server(env: &mut Env, db: &Db) {
    let mut c = db.client();
    let asks: bool = c
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'overhear_password_users')",
            &[],
        )
        .unwrap()
        .get(0);
    if !asks {
        eprintln!("password check not run: this server has no overhear_password_users group (.ci/postgres.sh)");
        return;
    }
    let role = format!("overhear_ann_{}", fastrand::u32(..));
    c.batch_execute(&format!(
        "CREATE ROLE {role} LOGIN PASSWORD 's3cret-pw' IN ROLE overhear_password_users;
         GRANT ALL ON SCHEMA public TO {role};
         GRANT ALL ON ALL TABLES IN SCHEMA public TO {role};
         GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO {role}"
    ))
    .unwrap();
    let mut ann = url::Url::parse(&db.url).unwrap();
    ann.set_username(&role).unwrap();
    env.set_var("ANN_PW", "s3cret-pw");
    let out = on(
        env,
        ann.as_str(),
        &["--password-env", "ANN_PW", "export", "--format", "jsonl"],
    );
    let said = text(&out);
    c.batch_execute(&format!("DROP OWNED BY {role}")).unwrap();
    let out2 = on(env, ann.as_str(), &["--password-env", "NOT_SET_ANYWHERE", "feeds"]);
    c.batch_execute(&format!("DROP ROLE {role}")).unwrap();
    assert!(out.status.success(), "{said}");
    assert_eq!(stdout(&out).lines().count(), 4);
    assert!(!said.contains("s3cret"), "{said}");
    assert!(!out2.status.success(), "no password, no entry: {}", text(&out2));
    assert!(text(&out2).contains("password"), "{}", text(&out2));
    assert!(!text(&out2).contains("s3cret"), "{}", text(&out2));
}
