//! The Stats pane in a real terminal. `overhear stats` on the command line is in
//! `tests/cli/stats.rs`.

use crate::common::env::Env;
use crate::common::timeout;

/// The Stats pane in a real terminal: a day two days ago with three mentions, two answered.
#[test]
fn the_stats_pane_shows_the_figures_and_updates_live() {
    // The day's row is a UTC day.
    let env = Env::with_config("[stats]\nsla = \"1h\"\n").var("TZ", "UTC");
    assert!(env.run(&["export"]).status.success());
    let day = chrono::Utc::now().date_naive() - chrono::Duration::days(2);
    let at = |h: u32, m: u32| day.and_hms_opt(h, m, 0).unwrap().and_utc().timestamp();
    let c = env.open_db();
    c.execute("INSERT INTO feeds (id, name, kind) VALUES (1, 'hn', 'hackernews')", [])
        .unwrap();
    for (id, t, answered) in [
        ("A", at(8, 0), Some(at(8, 30))),
        ("B", at(9, 0), Some(at(11, 0))),
        ("C", at(10, 0), None),
    ] {
        c.execute(
            "INSERT INTO mentions (feed_id, kind, external_id, text, published_at, first_seen_at, sort_at, status,
                first_response_at, responded_at, responded_by, updated_at)
             VALUES (1, 'x', ?1, 't', ?2, ?2, ?2, ?3, ?4, ?4, 'alice', ?2)",
            rusqlite::params![id, t, if answered.is_some() { "responded" } else { "new" }, answered],
        )
        .unwrap();
    }
    let t = env.console(120, 30);
    t.wait_for("Stream ·", timeout(20)).unwrap();
    t.send_key("4");
    t.wait_for("Stats · last 7 days · SLA 1h", timeout(5)).unwrap();
    let date = day.format("%Y-%m-%d").to_string();
    let row = |s: &str| s.lines().find(|l| l.contains(&date)).unwrap_or("").to_string();
    t.wait_until(|s| row(s).contains("67%"), timeout(5), "the day's row")
        .unwrap();
    let cols: Vec<String> = row(&t.screen()).split_whitespace().map(String::from).collect();
    // date, in, stories, answered, ignored, escalated, rate, median, p90, max, next reply, SLA
    // misses, backlog
    assert_eq!(&cols[1..7], ["3", "3", "2", "0", "0", "67%"], "{cols:?}");
    assert_eq!(cols[7], "75m", "median of 30m and 2h");
    assert_eq!(cols[8], "2.0h", "p90");
    assert_eq!(cols[10], "-", "no conversation, no next reply");
    assert_eq!(cols[11], "2", "B after 2h, C unanswered");
    assert_eq!(cols[12], "1", "C still open");

    // Answered from another process: the pane follows.
    let id: i64 = c
        .query_row("SELECT id FROM mentions WHERE external_id = 'C'", [], |r| r.get(0))
        .unwrap();
    let out = env.run(&["mark", &id.to_string(), "responded"]);
    assert!(out.status.success());
    t.wait_until(|s| row(s).contains("100%"), timeout(5), "the pane to update")
        .unwrap();
}

/// Our own Mastodon account in the Stats pane: the console's poller reads it (recorded statuses,
/// dated this morning), and the pane says what our posts earned per post.
#[test]
fn the_stats_pane_says_what_our_own_posts_earned() {
    let s = crate::FixtureServer::start();
    s.route(
        "/api/v1/accounts/lookup",
        crate::Response::ok(crate::fixture("mastodon/account_lookup.json")),
    );
    let mut statuses: serde_json::Value =
        serde_json::from_slice(&crate::fixture("mastodon/account_statuses.json")).unwrap();
    for st in statuses.as_array_mut().unwrap() {
        st["created_at"] = serde_json::json!((chrono::Utc::now() - chrono::Duration::hours(3)).to_rfc3339());
    }
    s.route(
        "/api/v1/accounts/116266741324121431/statuses",
        crate::Response::json(&statuses),
    );
    s.route(
        "/blog.rss",
        crate::Response::ok("<rss version=\"2.0\"><channel><title>b</title></channel></rss>"),
    );
    let env = Env::with_config(&format!(
        "[[feed]]\nname = \"blog\"\nkind = \"rss\"\nurl = \"{0}/blog.rss\"\n\n\
         [[account]]\nname = \"acme-masto\"\nkind = \"mastodon\"\nhandle = \"testadmin\"\nurl = \"{0}\"\n",
        s.url("")
    ));
    let t = env.console(120, 40);
    t.wait_for("Stream ·", timeout(20)).unwrap();
    assert!(
        crate::common::wait_until(timeout(20), || !s
            .requests_to("/api/v1/accounts/116266741324121431/statuses")
            .is_empty()),
        "the account is read"
    );
    // Stored, then shown when the pane loads its figures.
    assert!(crate::common::wait_until(timeout(10), || env
        .sql::<i64>("SELECT count(*) FROM own_posts")
        == 4));
    t.send_key("4");
    t.wait_for("Our posts", timeout(10)).unwrap();
    t.wait_for("acme-masto", timeout(5)).unwrap();
    let screen = t.screen();
    let line = screen.lines().find(|l| l.contains("acme-masto")).unwrap();
    // Three posts of its own and one reply; a reply, a boost and a favourite in all: 0.2 each.
    assert!(line.contains("3 posts, 1 reply"), "{line}");
    assert!(line.contains("0.2 · 0.2 · 0.2"), "{line}");
    // `6`: the Ours pane lists each post, the reply marked.
    t.send_key("6");
    t.wait_for("Our posts · last 7 days", timeout(5)).unwrap();
    t.wait_until(
        |s| s.lines().filter(|l| l.contains("acme-masto")).count() >= 5,
        timeout(5),
        "the account and its four posts",
    )
    .unwrap();
    assert!(t.screen().contains("↳ "), "{}", t.screen());
}
