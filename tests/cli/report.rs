//! `overhear report` through the binary, after a real poll of a feed whose items carry markup,
//! script and `javascript:` links: the HTML report is one self-contained document (no script, no
//! request anywhere, every link http(s)) that parses without an error and holds what was polled
//! and answered; Markdown and JSON say the same; mistakes get clear words; `overhear demo
//! --report` writes the demo's week.

use crate::common::env::{Env, stderr, stdout};
use crate::common::server::{FixtureServer, Response};
use scraper::{Html, Selector};

/// A blog whose three items were published this morning, one of them hostile.
fn polled() -> (FixtureServer, Env) {
    let s = FixtureServer::start();
    let at = (chrono::Utc::now() - chrono::Duration::hours(2)).to_rfc2822();
    s.route(
        "/blog.rss",
        Response::ok(format!(
            "<rss version=\"2.0\"><channel><title>Blog</title>\
             <item><guid>a</guid><title>Acme sync keeps failing</title><link>https://example.com/a</link>\
             <description>Third time this week, Acme.</description><pubDate>{at}</pubDate><author>carol</author></item>\
             <item><guid>b</guid><title>&lt;script&gt;alert(1)&lt;/script&gt;</title><link>javascript:alert(2)</link>\
             <description>&quot;&gt;&lt;img src=x onerror=alert(3)&gt; Acme</description><pubDate>{at}</pubDate></item>\
             <item><guid>c</guid><title>Acme is lovely</title><link>https://example.com/c</link>\
             <description>Thank you Acme!</description><pubDate>{at}</pubDate></item>\
             </channel></rss>"
        )),
    );
    let env = Env::with_config(&format!(
        "[console]\noperator = \"alice\"\n\n[[feed]]\nname = \"blog\"\nkind = \"rss\"\nurl = \"{}\"\n",
        s.url("/blog.rss")
    ));
    let out = env.run(&["poll", "--once"]);
    assert!(out.status.success(), "{}", crate::common::env::text(&out));
    (s, env)
}

#[test]
fn the_weeks_report_is_one_inert_document_with_the_weeks_figures() {
    let (_s, env) = polled();
    let id = env.id_of("a");
    let out = env.run_stdin(&["reply", &id, "--text-file", "-"], "Sorry, Carol! Fixed in 2.1.");
    assert!(out.status.success(), "{}", crate::common::env::text(&out));
    let file = env.path().join("week.html");
    let out = env.run(&[
        "report",
        "--week",
        "--by",
        "operator",
        "--title",
        "Acme care",
        "--out",
        file.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", crate::common::env::text(&out));
    assert!(stderr(&out).contains("3 mentions, 1 answered"), "{}", stderr(&out));
    let page = std::fs::read_to_string(&file).unwrap();
    let doc = Html::parse_document(&page);
    assert!(doc.errors.is_empty(), "{:?}", doc.errors);
    let sel = |css: &str| Selector::parse(css).unwrap();
    let mentions = doc
        .select(&sel("#figures tbody tr"))
        .find(|r| r.text().next().map(str::trim) == Some("Mentions"))
        .unwrap();
    let cells: Vec<String> = mentions
        .select(&sel("td"))
        .map(|c| c.text().collect::<String>())
        .collect();
    assert_eq!(cells[0], "3");
    let operators: Vec<String> = doc
        .select(&sel("#by tbody tr td:first-child"))
        .map(|c| c.text().collect())
        .collect();
    assert!(operators.contains(&"alice".to_string()), "{operators:?}");
    for css in ["script", "img", "iframe", "link", "object"] {
        assert_eq!(doc.select(&sel(css)).count(), 0, "<{css}>");
    }
    for el in doc.select(&sel("[href], [src]")) {
        for (k, v) in el.value().attrs() {
            if k == "href" || k == "src" {
                assert!(v.starts_with("http"), "{k}={v}");
            }
        }
    }
    assert!(!page.contains("javascript:"), "a javascript: link");
    // The same week as Markdown on standard output, and as JSON.
    let md = env.run(&["report", "--format", "md"]);
    assert!(md.status.success(), "{}", crate::common::env::text(&md));
    assert!(stdout(&md).contains("| Mentions | 3 |"), "{}", stdout(&md));
    assert!(!stdout(&md).contains("<script"), "{}", stdout(&md));
    let json = env.run(&["report", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(v["totals"]["mentions"], 3);
    assert_eq!(v["totals"]["responded"], 1);
}

#[test]
fn mistakes_are_said_in_words() {
    let (_s, env) = polled();
    let out = env.run(&["report"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("--out report.html"), "{}", stderr(&out));
    let out = env.run(&["report", "--out", "-", "--tz", "Mars/Olympus"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("unknown time zone"), "{}", stderr(&out));
    let out = env.run(&["report", "--format", "md", "--filter", "lang:klingon"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("klingon"), "{}", stderr(&out));
    let out = env.run(&["report", "--out", "/nonexistent/dir/r.html"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("/nonexistent/dir/r.html"), "{}", stderr(&out));
}

#[test]
fn the_demo_writes_its_weeks_report() {
    let env = Env::new();
    let file = env.path().join("demo.html");
    let out = env.run(&["demo", "--report", file.to_str().unwrap()]);
    assert!(out.status.success(), "{}", crate::common::env::text(&out));
    let doc = Html::parse_document(&std::fs::read_to_string(&file).unwrap());
    assert!(doc.errors.is_empty(), "{:?}", doc.errors);
    let json = stderr(&out);
    // A team's week: mentions in it, some answered by the demo's operators.
    let answered: i64 = json
        .split(", ")
        .find_map(|p| p.strip_suffix(" answered)\n").or_else(|| p.strip_suffix(" answered)")))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(0);
    assert!(answered >= 10, "{json}");
    let rows = Selector::parse("#by tbody tr").unwrap();
    assert!(doc.select(&rows).count() >= 3, "the demo's operators");
}

/// Our own Mastodon account, read with the feeds by `overhear poll --once` from recorded answers:
/// `overhear stats --own` gives each post's rates (its boost of another's post left out), the
/// report a section of them; an account that cannot be read is a failure in words.
#[test]
fn our_own_posts_are_read_and_their_rates_given() {
    let s = FixtureServer::start();
    s.route(
        "/api/v1/accounts/lookup",
        Response::ok(crate::common::fixture("mastodon/account_lookup.json")),
    );
    s.route(
        "/api/v1/accounts/116266741324121431/statuses",
        Response::ok(crate::common::fixture("mastodon/account_statuses.json")),
    );
    s.route(
        "/blog.rss",
        Response::ok("<rss version=\"2.0\"><channel><title>b</title></channel></rss>"),
    );
    let env = Env::with_config(&format!(
        "[[feed]]\nname = \"blog\"\nkind = \"rss\"\nurl = \"{0}/blog.rss\"\n\n\
         [[account]]\nname = \"acme-masto\"\nkind = \"mastodon\"\nhandle = \"testadmin\"\nurl = \"{0}\"\n\n\
         [[account]]\nname = \"gone\"\nkind = \"bluesky\"\nhandle = \"gone.example\"\nurl = \"{0}/nothing\"\n",
        s.url("")
    ));
    let out = env.run(&["poll", "--once"]);
    let said = stdout(&out);
    assert!(
        said.lines().any(|l| l.starts_with("acme-masto") && l.contains(" ok ")),
        "{said}"
    );
    assert!(
        said.lines().any(|l| l.starts_with("gone") && l.contains("error")),
        "{said}"
    );
    assert_eq!(
        s.requests_to("/api/v1/accounts/lookup")[0]
            .query_param("acct")
            .as_deref(),
        Some("testadmin")
    );
    let json = env.run(&["stats", "--own", "--since", "2026-01-01", "--format", "json"]);
    assert!(json.status.success(), "{}", crate::common::env::text(&json));
    let posts: Vec<serde_json::Value> = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(posts.len(), 4, "the boost is another's post");
    let root = posts.iter().find(|p| p["post_id"] == "116266764647790665").unwrap();
    for (k, v) in [
        ("account", serde_json::json!("acme-masto")),
        ("replies", serde_json::json!(1)),
        ("reposts", serde_json::json!(1)),
        ("likes", serde_json::json!(1)),
        ("conversation_rate", serde_json::json!(1.0)),
        ("amplification_rate", serde_json::json!(1.0)),
        ("applause_rate", serde_json::json!(1.0)),
    ] {
        assert_eq!(root[k], v, "{k}: {root}");
    }
    assert!(root["url"].as_str().unwrap().starts_with("https://"));
    assert!(root["published_at"].as_str().unwrap().starts_with("2026-"));
    let table = env.run(&["stats", "--own", "--since", "2026-01-01"]);
    assert!(stdout(&table).contains("acme-masto"), "{}", stdout(&table));
    assert!(stdout(&table).contains("gone: not read"), "{}", stdout(&table));
    let csv = env.run(&["stats", "--own", "--since", "2026-01-01", "--format", "csv"]);
    assert!(
        stdout(&csv).starts_with("account,post_id,url,published_at"),
        "{}",
        stdout(&csv)
    );
}

/// Our Discourse account: the list of our actions (no counts), then each post's own answer with
/// its likes and replies, through the forum's API key headers; a post deleted since it was listed
/// is left out, not a failure. The recorded answers are the discourse_api gem's, their user and
/// topic set to one forum's.
#[test]
fn our_discourse_posts_are_counted_one_by_one() {
    let s = FixtureServer::start();
    let load = |f: &str| -> serde_json::Value {
        serde_json::from_slice(&crate::common::fixture(&format!("discourse/{f}"))).unwrap()
    };
    let mut user = load("user.json");
    user["user"]["username"] = serde_json::json!("testuser");
    s.route("/u/testuser.json", Response::json(&user));
    s.route("/user_actions.json", Response::json(&load("user_actions.json")));
    let mut reply = load("topic_posts.json")["post_stream"]["posts"][0].clone();
    for (k, v) in [
        ("id", serde_json::json!(19)),
        ("username", serde_json::json!("testuser")),
        ("topic_id", serde_json::json!(11)),
        ("topic_slug", serde_json::json!("test-topic")),
        ("reply_count", serde_json::json!(2)),
    ] {
        reply[k] = v;
    }
    s.route("/posts/19.json", Response::json(&reply));
    s.route(
        "/posts/by_number/11/1.json",
        Response::ok("{\"errors\":[\"not found\"]}").status(404),
    );
    let env = Env::with_config(&format!(
        "[[account]]\nname = \"forum\"\nkind = \"discourse\"\nhandle = \"testuser\"\nurl = \"{}\"\ntoken_env = \"FORUM_KEY\"\n",
        s.url("")
    ));
    let out = env.run_with(&["poll", "--once"], &[("FORUM_KEY", "testuser:s3cret-key")]);
    let said = stdout(&out);
    assert!(
        said.lines().any(|l| l.starts_with("forum") && l.contains(" ok ")),
        "{}",
        crate::common::env::text(&out)
    );
    let asked = s.requests_to("/user_actions.json");
    assert_eq!(asked[0].query_param("filter").as_deref(), Some("4,5"));
    assert_eq!(asked[0].header("api-key"), Some("s3cret-key"));
    assert_eq!(asked[0].header("api-username"), Some("testuser"));
    assert_eq!(s.requests_to("/posts/19.json").len(), 1);
    assert_eq!(s.requests_to("/posts/by_number/11/1.json").len(), 1);
    let json = env.run(&["stats", "--own", "--since", "2016-01-01", "--format", "json"]);
    assert!(json.status.success(), "{}", crate::common::env::text(&json));
    let posts: Vec<serde_json::Value> = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(posts.len(), 1, "the deleted topic is left out: {posts:?}");
    let p = &posts[0];
    for (k, v) in [
        ("account", serde_json::json!("forum")),
        ("post_id", serde_json::json!("19")),
        ("replies", serde_json::json!(2)),
        ("likes", serde_json::json!(3)),
        ("applause_rate", serde_json::json!(3.0)),
    ] {
        assert_eq!(p[k], v, "{k}: {p}");
    }
    assert!(p["url"].as_str().unwrap().ends_with("/t/test-topic/11/2"), "{p}");
    let log = std::fs::read_to_string(env.home().join(".local/state/overhear/overhear.log")).unwrap_or_default();
    assert!(!log.contains("s3cret-key"), "the key is never logged");
    assert!(!stdout(&json).contains("s3cret-key") && !said.contains("s3cret-key"));
}
