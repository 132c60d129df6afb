//! The real binary against a real HTTP server on 127.0.0.1 serving recorded payloads and broken
//! ones: what is stored, what is printed, and the exit code.

use crate::common::env::{Env, stderr, stdout};
use crate::common::server::{FixtureServer, Response};
use crate::common::{SIGHUP, SIGTERM, fixture, signal, timeout, wait_until};
use std::path::Path;
use std::time::Duration;

/// The line `poll --once` printed for a feed.
fn line_for<'a>(out: &'a str, name: &str) -> &'a str {
    out.lines()
        .find(|l| l.split_whitespace().next() == Some(name))
        .unwrap_or_else(|| panic!("no line for {name} in:\n{out}"))
}

fn count_in(line: &str, word: &str) -> i64 {
    let words: Vec<&str> = line.split_whitespace().collect();
    let i = words
        .iter()
        .position(|w| *w == word)
        .unwrap_or_else(|| panic!("no {word:?} in {line:?}"));
    words[i - 1].parse().unwrap()
}

fn healthy_server() -> FixtureServer {
    let s = FixtureServer::start();
    s.route(
        "/rss",
        Response::with_etag(fixture("rss/rss_2.0_cloudflare.xml"), "\"cf-1\"").content_type("application/rss+xml"),
    );
    s.route(
        "/atom",
        Response::ok(fixture("atom/atom_example_2.xml")).content_type("application/atom+xml"),
    );
    s.route(
        "/json",
        Response::ok(fixture("jsonfeed/json_feed.json")).content_type("application/feed+json"),
    );
    s.route(
        "/alerts",
        Response::ok(fixture("google_alerts/google_alerts_atom.xml")).content_type("application/atom+xml"),
    );
    s.route(
        "/yt",
        Response::ok(fixture("youtube/atom_mediarss_youtube_1.xml")).content_type("application/atom+xml"),
    );
    s.route(
        "/reddit",
        Response::ok(fixture("reddit/rss_2.0_reddit.xml")).content_type("application/atom+xml"),
    );
    s.route(
        "/latin1",
        Response::ok(fixture("rss/rss_1.0_iso8859.xml")).content_type("application/rdf+xml; charset=ISO-8859-1"),
    );
    s.route(
        "/hn/api/v1/search_by_date",
        Response::ok(fixture("hackernews/hn_search_by_date.json")).content_type("application/json"),
    );
    s
}

fn healthy_config(s: &FixtureServer) -> String {
    let mut c = String::new();
    for (name, path) in [
        ("rss", "/rss"),
        ("atom", "/atom"),
        ("json", "/json"),
        ("alerts", "/alerts"),
        ("yt", "/yt"),
        ("reddit", "/reddit"),
        ("latin1", "/latin1"),
    ] {
        c.push_str(&format!(
            "[[feed]]\nname = \"{name}\"\nkind = \"rss\"\nurl = \"{}\"\n\n",
            s.url(path)
        ));
    }
    c.push_str(&format!(
        "[[feed]]\nname = \"hn\"\nkind = \"hackernews\"\nquery = \"sqlite\"\nurl = \"{}\"\n",
        s.url("/hn")
    ));
    c
}

#[test]
#[expect(
    clippy::too_many_lines,
    reason = "one poll over a server playing every kind, checked kind by kind"
)]
fn poll_once_stores_every_kind_and_prints_one_line_per_feed() {
    let env = Env::new();
    let s = healthy_server();
    env.config(&healthy_config(&s));

    let out = env.run(&["poll", "--once"]);
    let text = stdout(&out);
    assert!(out.status.success(), "exit {:?}\n{text}\n{}", out.status, stderr(&out));
    assert_eq!(text.lines().count(), 8, "{text}");
    for (name, n) in [
        ("rss", 1),
        ("atom", 2),
        ("json", 20),
        ("alerts", 20),
        ("yt", 1),
        ("reddit", 1),
        ("hn", 4),
    ] {
        let line = line_for(&text, name);
        assert_eq!(line.split_whitespace().nth(1), Some("ok"), "{line}");
        assert_eq!(count_in(line, "new"), n, "{line}");
        assert_eq!(count_in(line, "stored"), n, "{line}");
        assert!(line.trim_end().ends_with("ms"), "{line}");
    }
    let latin1 = count_in(line_for(&text, "latin1"), "new");
    assert!(latin1 > 0);
    let total: i64 = env.sql("SELECT count(*) FROM mentions");
    assert_eq!(total, 49 + latin1);

    // What was stored, field by field, for one item of each of two kinds.
    let db = env.open_db();
    let (author, url, title, score): (String, String, String, Option<i64>) = db
        .query_row(
            "SELECT author, url, title, json_extract(engagement, '$.score') FROM mentions WHERE external_id = '49520915'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .unwrap();
    assert_eq!(author, "kelvinrow");
    assert_eq!(url, "https://news.ycombinator.com/item?id=49520915");
    assert!(title.starts_with("Show HN: Litequeue"));
    assert_eq!(score, Some(57));
    let unwrapped: i64 = db
        .query_row("SELECT count(*) FROM mentions m JOIN feeds f ON f.id = m.feed_id WHERE f.name = 'alerts' AND url LIKE '%google.com/url%'", [], |r| r.get(0))
        .unwrap();
    assert_eq!(unwrapped, 0, "Google redirect links are unwrapped");
    let umlauts: i64 = db
        .query_row(
            "SELECT count(*) FROM mentions WHERE text GLOB '*[äöüÄÖÜß]*' OR title GLOB '*[äöüÄÖÜß]*'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(umlauts > 0, "ISO-8859-1 decoded");

    // The requests themselves.
    let hn = s.requests_to("/hn/api/v1/search_by_date");
    assert_eq!(hn.len(), 1);
    assert_eq!(hn[0].query_param("query").as_deref(), Some("sqlite"));
    assert_eq!(hn[0].query_param("tags").as_deref(), Some("(story,comment)"));
    assert_eq!(
        hn[0].query_param("numericFilters"),
        None,
        "the first poll asks for the newest"
    );
    let ua = hn[0].header("user-agent").unwrap().to_string();
    assert!(
        ua.starts_with(&format!("overhear/{}", env!("CARGO_PKG_VERSION"))),
        "{ua}"
    );

    // A second poll: conditional GET, and only what is new from Hacker News; nothing stored twice.
    let out = env.run(&["poll", "--once"]);
    let text = stdout(&out);
    assert!(out.status.success(), "{text}");
    let rss = line_for(&text, "rss");
    assert!(rss.contains("not modified"), "{rss}");
    assert_eq!(env.sql::<i64>("SELECT last_status FROM feeds WHERE name = 'rss'"), 304);
    let rss_reqs = s.requests_to("/rss");
    assert_eq!(rss_reqs[1].header("if-none-match"), Some("\"cf-1\""));
    let hn = s.requests_to("/hn/api/v1/search_by_date");
    assert_eq!(
        hn[1].query_param("numericFilters").as_deref(),
        Some("created_at_i>1795185069")
    );
    for name in ["atom", "json", "alerts", "hn"] {
        assert_eq!(count_in(line_for(&text, name), "new"), 0, "{text}");
    }
    let again: i64 = env.sql("SELECT count(*) FROM mentions");
    assert_eq!(again, total);
    let ok: String = env.sql("PRAGMA integrity_check");
    assert_eq!(ok, "ok");
}

#[test]
fn the_same_answer_again_without_validators_is_unchanged_and_not_parsed_again() {
    // A server that sends neither ETag nor Last-Modified answers with the same bytes: the poll
    // says "not modified" as a 304 would; another body, or another include rule for the same
    // body, is read again.
    let env = Env::new();
    let s = FixtureServer::start();
    s.route("/feed", Response::ok(fixture("rss/rss_2.0_spec_1.xml")));
    let config = |rule: &str| {
        format!(
            "[[feed]]\nname = \"blog\"\nkind = \"rss\"\nurl = \"{}\"\n{rule}",
            s.url("/feed")
        )
    };
    env.config(&config(""));
    let poll = || {
        let out = env.run(&["poll", "--once"]);
        assert!(out.status.success(), "{}", stdout(&out));
        line_for(&stdout(&out), "blog").to_string()
    };
    let first = poll();
    assert!(
        count_in(&first, "new") > 0 && !first.contains("not modified"),
        "{first}"
    );
    let stored: i64 = env.sql("SELECT count(*) FROM mentions");
    let again = poll();
    assert!(again.contains(" ok ") && again.contains("not modified"), "{again}");
    assert_eq!(count_in(&again, "new"), 0, "{again}");
    assert_eq!(env.sql::<i64>("SELECT count(*) FROM mentions"), stored);
    assert!(s.requests_to("/feed")[1].header("if-none-match").is_none());
    // What the server said is what the feed's health keeps.
    assert_eq!(env.sql::<i64>("SELECT last_status FROM feeds WHERE name = 'blog'"), 200);
    // The feed's rules changed: the same body is read again (and the rule drops what it says).
    env.config(&config("exclude = \"zzzz-matches-nothing\"\n"));
    let ruled = poll();
    assert!(!ruled.contains("not modified"), "{ruled}");
    assert!(poll().contains("not modified"));
    // Another body is read.
    s.route("/feed", Response::ok(fixture("atom/atom_spec_1.xml")));
    let changed = poll();
    assert!(
        !changed.contains("not modified") && count_in(&changed, "new") > 0,
        "{changed}"
    );
}

#[test]
#[expect(
    clippy::too_many_lines,
    reason = "a table of broken servers, each with the words its failure must use"
)]
fn broken_feeds_fail_in_words_while_the_healthy_one_is_stored() {
    let env = Env::new();
    let s = FixtureServer::start();
    s.route("/good", Response::ok(fixture("atom/atom_example_2.xml")));
    s.route("/truncated", Response::ok(fixture("rss/rss_2.0_invalid_1.xml")));
    s.route(
        "/login",
        Response::ok("<!DOCTYPE html>\n<html><head><title>Sign in</title></head><body><form>…</form></body></html>")
            .content_type("text/html; charset=utf-8"),
    );
    s.route(
        "/limited",
        Response::ok("slow down").status(429).header("retry-after", "120"),
    );
    s.route("/gone", Response::ok("no").status(404));
    s.route("/hang", Response::ok("").never_answer());
    s.route("/bomb", Response::gzip_bomb(64 * 1024 * 1024));
    for i in 0..7 {
        s.route(
            &format!("/loop{i}"),
            Response::ok("")
                .status(302)
                .header("location", &s.url(&format!("/loop{}", i + 1))),
        );
    }
    s.route(
        "/hop0",
        Response::ok("").status(301).header("location", &s.url("/hop1")),
    );
    s.route(
        "/hop1",
        Response::ok("").status(302).header("location", &s.url("/landed")),
    );
    s.route("/landed", Response::ok(fixture("atom/atom_spec_1.xml")));
    s.route(
        "/ftp",
        Response::ok("")
            .status(302)
            .header("location", "ftp://127.0.0.1/feed.xml"),
    );

    let feeds = [
        ("good", "/good"),
        ("truncated", "/truncated"),
        ("login", "/login"),
        ("limited", "/limited"),
        ("gone", "/gone"),
        ("hang", "/hang"),
        ("bomb", "/bomb"),
        ("loops", "/loop0"),
        ("hops", "/hop0"),
        ("ftp", "/ftp"),
    ];
    let mut config = String::from("[poller]\ntimeout = \"2s\"\nconnect_timeout = \"2s\"\nmax_body = \"1MiB\"\n\n");
    for (name, path) in feeds {
        config.push_str(&format!(
            "[[feed]]\nname = \"{name}\"\nkind = \"rss\"\nurl = \"{}\"\n\n",
            s.url(path)
        ));
    }
    env.config(&config);

    let started = std::time::Instant::now();
    let out = env.run(&["poll", "--once"]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}\n{}", stderr(&out));
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "a dead feed does not hold the others"
    );

    let good = line_for(&text, "good");
    assert!(good.contains(" ok ") && count_in(good, "new") == 2, "{good}");
    let hops = line_for(&text, "hops");
    assert!(
        hops.contains(" ok ") && count_in(hops, "new") == 1,
        "redirects are followed: {hops}"
    );
    let truncated = line_for(&text, "truncated");
    assert!(
        truncated.contains(" ok ") && truncated.contains("the document ends early"),
        "a cut document is read as far as it goes, and the health says so: {truncated}"
    );
    let expect = [
        ("login", "HTML page, not a feed"),
        (
            "limited",
            "rate-limited by the server (HTTP 429); waiting 2m as it asked",
        ),
        ("gone", "HTTP 404 Not Found"),
        ("hang", "timed out after 2s"),
        (
            "bomb",
            "larger than 1 MiB (counted after decompression); refused (`[poller] max_body` sets the limit)",
        ),
        ("loops", "more than 5 redirects"),
        ("ftp", "only http and https are followed"),
    ];
    for (name, words) in expect {
        let line = line_for(&text, name);
        assert!(
            line.contains(" error ") && line.contains(words),
            "{name}: expected {words:?} in {line:?}"
        );
    }
    let stored: i64 = env.sql("SELECT count(*) FROM mentions");
    assert_eq!(stored, 3, "the healthy feeds' items are stored");

    // Health is stored and shown.
    let feeds_out = env.run(&["feeds"]);
    let ftext = stdout(&feeds_out);
    assert!(feeds_out.status.success(), "{}", stderr(&feeds_out));
    let hang = line_for(&ftext, "hang");
    assert!(
        hang.contains("failing") && hang.contains("timed out after 2s"),
        "{hang}"
    );
    let limited = line_for(&ftext, "limited");
    assert!(
        limited.contains("in 1m") || limited.contains("in 2m"),
        "next poll honours Retry-After: {limited}"
    );
    let good = line_for(&ftext, "good");
    assert!(good.contains(" ok ") && good.contains(" 2 "), "{good}");

    // Polled again: the rate-limited feed is left alone until its Retry-After has passed.
    let before = s.requests_to("/limited").len();
    let out = env.run(&["poll", "--once"]);
    let line = line_for(&stdout(&out), "limited").to_string();
    assert!(line.contains("waiting"), "{line}");
    assert_eq!(
        s.requests_to("/limited").len(),
        before,
        "no request while Retry-After runs"
    );
    let failures: i64 = env.sql("SELECT consecutive_failures FROM feeds WHERE name = 'gone'");
    assert_eq!(failures, 2, "failures are counted for backoff");
}

#[test]
fn include_and_exclude_rules_decide_what_is_stored() {
    let env = Env::new();
    let s = FixtureServer::start();
    s.route(
        "/hn/api/v1/search_by_date",
        Response::ok(fixture("hackernews/hn_search_by_date.json")),
    );
    env.config(&format!(
        "[[feed]]\nname = \"hn\"\nkind = \"hackernews\"\nquery = \"sqlite\"\nurl = \"{}\"\ninclude = [\"litequeue\", \"\\\"query planner\\\"\"]\nexclude = \"Redis\"\n",
        s.url("/hn")
    ));
    let out = env.run(&["poll", "--once"]);
    let text = stdout(&out);
    assert!(out.status.success(), "{text}");
    // Of 4 items: the Litequeue story mentions Redis (excluded); the comment on it is kept by its
    // title; the backup comment matches nothing; the query planner story is kept.
    let line = line_for(&text, "hn");
    assert_eq!(count_in(line, "new"), 2, "{line}");
    assert!(line.contains("2 dropped by include/exclude"), "{line}");
    let ids: String =
        env.sql("SELECT group_concat(external_id, ',') FROM (SELECT external_id FROM mentions ORDER BY external_id)");
    assert_eq!(ids, "49518731,49521877");
}

#[test]
fn hostile_text_is_stored_without_escape_sequences() {
    let env = Env::new();
    let s = FixtureServer::start();
    let hostile = "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>x</title>\
        <item><guid>evil-1</guid><title>Acme \u{1b}]0;pwned\u{7} rocks \u{1b}[31mred\u{1b}[0m</title>\
        <description>&lt;p&gt;hi \u{1b}]52;c;ZXZpbA==\u{7}there \u{202e}gnp.exe\u{200b}&lt;/p&gt;</description>\
        <author>\u{1b}P+q\u{1b}\\mallory</author></item></channel></rss>";
    s.route("/feed", Response::ok(hostile.as_bytes().to_vec()));
    env.config(&format!(
        "[[feed]]\nname = \"evil\"\nkind = \"rss\"\nurl = \"{}\"\n",
        s.url("/feed")
    ));
    let out = env.run(&["poll", "--once"]);
    assert!(out.status.success(), "{}", stdout(&out));
    let (title, text): (String, String) = env
        .open_db()
        .query_row("SELECT title, text FROM mentions", [], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap();
    assert_eq!(title, "Acme rocks red");
    assert_eq!(text, "hi there gnp.exe");
    let export = stdout(&env.run(&["export", "--format", "jsonl"]));
    assert!(!export.contains('\u{1b}') && !export.contains("\\u001b"), "{export}");
}

#[test]
fn export_writes_jsonl_and_csv_oldest_first() {
    let env = Env::new();
    let s = FixtureServer::start();
    s.route(
        "/hn/api/v1/search_by_date",
        Response::ok(fixture("hackernews/hn_search_by_date.json")),
    );
    env.config(&format!(
        "[[feed]]\nname = \"hn\"\nkind = \"hackernews\"\nquery = \"sqlite\"\nurl = \"{}\"\n",
        s.url("/hn")
    ));
    assert!(env.run(&["poll", "--once"]).status.success());

    let out = env.run(&["export", "--format", "jsonl"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let rows: Vec<serde_json::Value> = stdout(&out).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(rows.len(), 4);
    let ids: Vec<&str> = rows.iter().map(|r| r["external_id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["49518731", "49520112", "49520915", "49521877"], "oldest first");
    let story = &rows[2];
    for key in [
        "id",
        "feed",
        "kind",
        "external_id",
        "url",
        "author",
        "author_reach",
        "title",
        "text",
        "published_at",
        "first_seen_at",
        "engagement",
        "status",
        "assignee",
        "responded_at",
    ] {
        assert!(story.get(key).is_some(), "missing {key} in {story}");
    }
    assert_eq!(story["feed"], "hn");
    assert_eq!(story["kind"], "hackernews");
    assert_eq!(story["published_at"], "2026-11-20T13:02:44Z");
    assert_eq!(story["engagement"], serde_json::json!({"score": 57, "replies": 23}));
    assert_eq!(story["author_reach"], serde_json::Value::Null);
    assert_eq!(story["status"], "new");
    assert!(story["first_seen_at"].as_str().unwrap().ends_with('Z'));

    let out = env.run(&["export", "--format", "csv", "--since", "2026-11-20"]);
    let csv = stdout(&out);
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let headers = reader.headers().unwrap().clone();
    assert_eq!(&headers[0], "id");
    assert!(headers.iter().any(|h| h == "engagement_score"));
    assert_eq!(reader.records().count(), 4);

    let out = env.run(&["export", "--format", "csv", "--since", "2026-11-21"]);
    assert_eq!(stdout(&out).lines().count(), 1, "only the header");
    let out = env.run(&["export", "--since", "yesterday"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("not a date like"), "{}", stderr(&out));
}

#[test]
fn a_bad_config_names_the_file_the_line_and_the_key_and_nothing_starts() {
    let env = Env::new();
    let path = env.config("[[feed]]\nname = \"hn\"\nkind = \"hackernews\"\nquery = \"acme\"\nevery = \"5 parsecs\"\n");
    for args in [&["poll", "--once"][..], &["feeds"][..]] {
        let out = env.run(args);
        assert_eq!(out.status.code(), Some(2));
        let err = stderr(&out);
        assert!(err.contains(&format!("{}:5:", path.display())), "{err}");
        assert!(err.contains("every"), "{err}");
        assert!(err.contains("5 parsecs"), "{err}");
    }
    assert!(!env.db().exists(), "nothing was started");

    let path = env.config("[[feed]]\nname = \"hn\"\nkind = \"hackernews\"\nquery = \"acme\"\nquerry = \"typo\"\n");
    let err = stderr(&env.run(&["feeds"]));
    assert!(
        err.contains(&format!("{}:5:", path.display())) && err.contains("querry"),
        "{err}"
    );
}

#[test]
fn a_first_run_writes_the_example_config_and_says_where() {
    let env = Env::new();
    let db = env.db().display().to_string();
    // No --config: the default place, under the isolated XDG config home.
    let out = env.bare_command(&["--db", &db, "feeds"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let written = env.home().join(".config/overhear/config.toml");
    assert!(
        stderr(&out).contains(&written.display().to_string()),
        "{}",
        stderr(&out)
    );
    let example =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/config.example.toml")).unwrap();
    assert_eq!(std::fs::read_to_string(&written).unwrap(), example);
    assert!(stdout(&out).contains("No feeds are configured"), "{}", stdout(&out));

    // With the example in place, the next run says nothing about writing it.
    let out = env.bare_command(&["--db", &db, "feeds"]).output().unwrap();
    assert!(!stderr(&out).contains("wrote"));

    // Polling with no feeds is an error that says what to do.
    let out = env.bare_command(&["--db", &db, "poll", "--once"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("no feeds are configured"), "{}", stderr(&out));
}

#[test]
fn a_database_from_a_newer_overhear_is_refused_untouched() {
    let env = Env::new();
    env.config("");
    env.open_db().pragma_update(None, "user_version", 999).unwrap();
    let before = std::fs::read(env.db()).unwrap();
    let out = env.run(&["export"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("schema version 999, newer than this overhear understands"),
        "{}",
        stderr(&out)
    );
    assert_eq!(std::fs::read(env.db()).unwrap(), before);
}

#[test]
fn the_poll_service_runs_on_schedule_and_stops_cleanly_on_sigterm() {
    let env = Env::new();
    let s = FixtureServer::start();
    s.route(
        "/hn/api/v1/search_by_date",
        Response::ok(fixture("hackernews/hn_search_by_date.json")),
    );
    s.route("/rss", Response::with_etag(fixture("atom/atom_spec_1.xml"), "\"a\""));
    s.route("/hang", Response::ok("").never_answer());
    env.config(&format!(
        "[poller]\ntimeout = \"60s\"\n\n\
         [[feed]]\nname = \"hn\"\nkind = \"hackernews\"\nquery = \"sqlite\"\nurl = \"{}\"\nevery = \"1s\"\n\n\
         [[feed]]\nname = \"rss\"\nkind = \"rss\"\nurl = \"{}\"\nevery = \"1s\"\n\n\
         [[feed]]\nname = \"dead\"\nkind = \"rss\"\nurl = \"{}\"\nevery = \"1s\"\n",
        s.url("/hn"),
        s.url("/rss"),
        s.url("/hang")
    ));
    let mut child = env
        .command(&["poll"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Each feed is polled again on its own schedule, while the dead one hangs on its first request.
    assert!(
        s.wait_for_requests("/hn/api/v1/search_by_date", 3, timeout(20)),
        "hn polled repeatedly"
    );
    assert!(s.wait_for_requests("/rss", 3, timeout(20)), "rss polled repeatedly");
    let hn = s.requests_to("/hn/api/v1/search_by_date");
    assert_eq!(
        hn.last().unwrap().query_param("numericFilters").as_deref(),
        Some("created_at_i>1795185069")
    );

    signal(child.id(), SIGTERM);
    assert!(
        wait_until(timeout(10), || child.try_wait().unwrap().is_some()),
        "overhear poll did not stop on SIGTERM"
    );
    let out = child.wait_with_output().unwrap();
    let status = out.status;
    assert!(status.success(), "{status:?} {}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(line_for(&text, "hn").contains(" ok "), "{text}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("stopped"));
    let n: i64 = env.sql("SELECT count(*) FROM mentions");
    assert_eq!(n, 5);
    let ok: String = env.sql("PRAGMA integrity_check");
    assert_eq!(ok, "ok");
}

/// `n` feeds named `{prefix}0`… on `s`, each answering after `delay_ms`: their config tables.
fn slow_feeds(s: &FixtureServer, prefix: &str, n: usize, delay_ms: u64) -> String {
    let mut config = String::new();
    for i in 0..n {
        s.route(
            &format!("/{prefix}{i}"),
            Response::ok(fixture("atom/atom_spec_1.xml")).delay(Duration::from_millis(delay_ms)),
        );
        config.push_str(&format!(
            "[[feed]]\nname = \"{prefix}{i}\"\nkind = \"rss\"\nurl = \"{}\"\n\n",
            s.url(&format!("/{prefix}{i}"))
        ));
    }
    config
}

#[test]
fn requests_in_flight_never_exceed_the_configured_concurrency() {
    let env = Env::new();
    let s = FixtureServer::start();
    env.config(&format!("[poller]\nconcurrency = 3\n\n{}", slow_feeds(&s, "f", 9, 300)));
    let out = env.run(&["poll", "--once"]);
    assert!(out.status.success(), "{}", stdout(&out));
    assert_eq!(s.requests().len(), 9);
    assert_eq!(s.max_in_flight(), 3, "three at once, never more");
}

#[test]
fn requests_to_one_host_are_at_most_per_host_at_once() {
    // Two hosts (one server each, another port is another host), eight slow feeds on each: with
    // room for eight in flight, each host is asked four at a time (the default); `per_host = 2`
    // asks each two at a time.
    for (setting, most) in [("", 4), ("per_host = 2\n", 2)] {
        let env = Env::new();
        let hosts = [FixtureServer::start(), FixtureServer::start()];
        env.config(&format!(
            "[poller]\nconcurrency = 8\n{setting}\n{}{}",
            slow_feeds(&hosts[0], "h0f", 8, 300),
            slow_feeds(&hosts[1], "h1f", 8, 300)
        ));
        let out = env.run(&["poll", "--once"]);
        assert!(out.status.success(), "{}", stdout(&out));
        for s in &hosts {
            assert_eq!(s.requests().len(), 8);
            assert_eq!(
                s.max_in_flight(),
                most,
                "{most} at once to one host, never more ({setting:?})"
            );
        }
    }
}

/// A keep-alive HTTP/1.1 server that writes each answer's head and body apart (as Python's
/// `http.server` does), counting the connections it accepted and the requests it answered.
fn keep_alive_server(
    body: Vec<u8>,
) -> (
    String,
    std::sync::Arc<std::sync::atomic::AtomicUsize>,
    std::sync::Arc<std::sync::atomic::AtomicUsize>,
) {
    use std::io::{BufRead, BufReader, Write};
    use std::sync::atomic::{AtomicUsize, Ordering};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let (connections, requests) = (
        std::sync::Arc::new(AtomicUsize::new(0)),
        std::sync::Arc::new(AtomicUsize::new(0)),
    );
    let (c, r) = (connections.clone(), requests.clone());
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            c.fetch_add(1, Ordering::SeqCst);
            let (r, body) = (r.clone(), body.clone());
            std::thread::spawn(move || {
                let mut out = stream.try_clone().unwrap();
                let mut reader = BufReader::new(stream);
                loop {
                    // One request: its lines up to the blank one (a GET has no body).
                    let mut line = String::new();
                    loop {
                        line.clear();
                        if reader.read_line(&mut line).unwrap_or(0) == 0 {
                            return;
                        }
                        if line == "\r\n" {
                            break;
                        }
                    }
                    r.fetch_add(1, Ordering::SeqCst);
                    let head = format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: application/atom+xml\r\nContent-Length: {}\r\n\r\n",
                        body.len()
                    );
                    if out.write_all(head.as_bytes()).is_err() || out.write_all(&body).is_err() {
                        return;
                    }
                }
            });
        }
    });
    (format!("http://{addr}"), connections, requests)
}

#[test]
fn a_plain_http_feed_is_asked_on_a_connection_of_its_own() {
    // One poll after another to a keep-alive server that writes head and body apart: a kept
    // connection would wait for the system's delayed acknowledgement at each answer (40 ms), so
    // each request opens its own.
    let (base, connections, requests) = keep_alive_server(fixture("atom/atom_spec_1.xml"));
    let mut config = String::from("[poller]\nconcurrency = 1\n\n");
    for i in 0..6 {
        config.push_str(&format!(
            "[[feed]]\nname = \"f{i}\"\nkind = \"rss\"\nurl = \"{base}/f{i}\"\n\n"
        ));
    }
    let env = Env::new();
    env.config(&config);
    let out = env.run(&["poll", "--once"]);
    assert!(out.status.success(), "{}", stdout(&out));
    let text = stdout(&out);
    for i in 0..6 {
        assert!(line_for(&text, &format!("f{i}")).contains(" ok "), "{text}");
    }
    use std::sync::atomic::Ordering::SeqCst;
    assert_eq!(requests.load(SeqCst), 6);
    assert_eq!(connections.load(SeqCst), 6, "a connection each");
}

#[test]
fn feeds_waiting_for_their_busy_host_leave_room_for_another_hosts() {
    // Room for five polls, twelve slow feeds on one host and then one on another: the busy
    // host's feeds past its four wait for it without holding room, so the other host is asked
    // at once, not after one of the busy host's rounds (each answer waits 400 ms).
    let env = Env::new();
    let (busy, other) = (FixtureServer::start(), FixtureServer::start());
    env.config(&format!(
        "[poller]\nconcurrency = 5\n\n{}{}",
        slow_feeds(&busy, "busy", 12, 400),
        slow_feeds(&other, "other", 1, 400)
    ));
    let out = env.run(&["poll", "--once"]);
    assert!(out.status.success(), "{}", stdout(&out));
    assert_eq!(busy.max_in_flight(), 4);
    let first_asked = |s: &FixtureServer| s.requests().iter().map(|r| r.at).min().unwrap();
    let after = first_asked(&other).saturating_duration_since(first_asked(&busy));
    assert!(after < Duration::from_millis(250), "the other host waited {after:?}");
}

#[test]
fn a_feed_the_parser_fails_on_keeps_its_schedule_and_says_so_in_feeds() {
    let env = Env::new().var("OVERHEAR_TEST_PARSER_PANIC", "1");
    let s = FixtureServer::start();
    s.route(
        "/bad",
        Response::ok(
            "<rss version=\"2.0\"><channel><item><title>overhear-test-panic-here</title></item></channel></rss>",
        ),
    );
    s.route(
        "/empty-items",
        Response::ok("<rss version=\"2.0\"><channel><item></item><item> </item></channel></rss>"),
    );
    s.route("/good", Response::ok(fixture("atom/atom_example_2.xml")));
    env.config(&format!(
        "[[feed]]\nname = \"bad\"\nkind = \"rss\"\nurl = \"{}\"\nevery = \"1s\"\n\n\
         [[feed]]\nname = \"hollow\"\nkind = \"rss\"\nurl = \"{}\"\n\n\
         [[feed]]\nname = \"good\"\nkind = \"rss\"\nurl = \"{}\"\n",
        s.url("/bad"),
        s.url("/empty-items"),
        s.url("/good")
    ));
    // Once: the panic is the feed's error; the other feeds are written; the exit code is 1, not 101.
    let out = env.run(&["poll", "--once"]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}\n{}", stderr(&out));
    assert!(
        line_for(&text, "bad").contains("could not read this document"),
        "{text}"
    );
    assert!(
        !stderr(&out).contains("panicked"),
        "the caught panic goes to the log, not over the terminal: {}",
        stderr(&out)
    );
    assert!(
        line_for(&text, "hollow").contains(" error ") && line_for(&text, "hollow").contains("no title, link or text"),
        "item elements that yield nothing are an error, never ok: {text}"
    );
    assert!(line_for(&text, "good").contains(" ok "), "{text}");
    // On schedule: the feed is polled again and again; its error stays in its health.
    let mut child = env.command(&["poll"]).spawn().unwrap();
    assert!(
        s.wait_for_requests("/bad", 3, timeout(20)),
        "the failing feed keeps its schedule"
    );
    signal(child.id(), SIGTERM);
    assert!(wait_until(timeout(10), || child.try_wait().unwrap().is_some()));
    let feeds = stdout(&env.run(&["feeds"]));
    let bad = line_for(&feeds, "bad");
    assert!(
        bad.contains("failing") && bad.contains("could not read this document"),
        "{feeds}"
    );
}

#[test]
fn a_closed_ssh_session_stops_the_poll_service_cleanly() {
    let env = Env::new();
    let s = FixtureServer::start();
    s.route("/feed", Response::ok(fixture("atom/atom_example_2.xml")));
    env.config(&format!(
        "[[feed]]\nname = \"blog\"\nkind = \"rss\"\nurl = \"{}\"\n",
        s.url("/feed")
    ));
    let mut child = env
        .command(&["poll"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    assert!(s.wait_for_requests("/feed", 1, timeout(20)), "polled");
    signal(child.id(), SIGHUP);
    assert!(
        wait_until(timeout(10), || child.try_wait().unwrap().is_some()),
        "overhear poll did not stop on SIGHUP"
    );
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{:?}", out.status);
    assert!(String::from_utf8_lossy(&out.stderr).contains("overhear: stopped"));
}
