//! Every social and community source against a real HTTP server on 127.0.0.1 serving recorded
//! payloads with their real headers: the requests each adapter sends (path, query, headers,
//! auth) and what it stores, on a first and an incremental poll, with pagination, rate limits,
//! auth failures and missing fields.

use crate::common::env::{Env, text};
use crate::common::server::{FixtureServer, Response};
use crate::common::{fixture, shared_fixture, unix_now};

/// `poll --once` with these variables: what it printed, stdout then stderr.
fn poll(env: &Env, vars: &[(&str, &str)]) -> String {
    text(&env.run_with(&["poll", "--once"], vars))
}

fn ok_line(out: &str, name: &str) -> bool {
    out.lines()
        .any(|l| l.split_whitespace().next() == Some(name) && l.split_whitespace().nth(1) == Some("ok"))
}

#[test]
fn reddit_atom_without_credentials_and_json_with_oauth() {
    let s = FixtureServer::start();
    s.route(
        "/r/selfhosted/search.rss",
        Response::ok(fixture("reddit/rss_2.0_reddit.xml")).header("x-ratelimit-remaining", "99"),
    );
    let env = Env::with_config(&format!(
        "[[feed]]\nname = \"reddit\"\nkind = \"reddit\"\nquery = \"site:kevincox.ca\"\nsubreddit = \"selfhosted\"\nurl = \"{}\"\n",
        s.url("")
    ));
    let out = poll(&env, &[]);
    assert!(ok_line(&out, "reddit"), "{out}");
    let req = &s.requests_to("/r/selfhosted/search.rss")[0];
    assert_eq!(req.query_param("q").as_deref(), Some("site:kevincox.ca"));
    assert_eq!(req.query_param("sort").as_deref(), Some("new"));
    assert_eq!(req.query_param("restrict_sr").as_deref(), Some("1"));
    assert!(
        req.header("user-agent").unwrap().starts_with("overhear/"),
        "a descriptive User-Agent"
    );
    assert!(req.header("authorization").is_none());
    assert_eq!(
        env.rows("SELECT external_id, author FROM mentions"),
        vec![vec!["t3_qksbf1", "kevincox_ca"]]
    );

    // With app credentials: a token by client credentials, then the JSON listing with scores.
    let s = FixtureServer::start();
    s.route(
        "/api/v1/access_token",
        Response::ok(r#"{"access_token":"tok-123","token_type":"bearer","expires_in":86400}"#),
    );
    s.route_seq(
        "/search",
        vec![
            Response::ok(fixture("reddit/subreddit.json"))
                .header("x-ratelimit-remaining", "598")
                .header("x-ratelimit-reset", "420"),
            Response::ok(r#"{"kind":"Listing","data":{"children":[],"after":null,"before":null}}"#),
        ],
    );
    let env = Env::with_config(&format!(
        "[[feed]]\nname = \"reddit\"\nkind = \"reddit\"\nquery = \"netsec\"\nurl = \"{}\"\ntoken_env = \"OH_REDDIT\"\n",
        s.url("")
    ));
    let out = poll(&env, &[("OH_REDDIT", "my-id:my-secret")]);
    assert!(ok_line(&out, "reddit"), "{out}");
    let auth = &s.requests_to("/api/v1/access_token")[0];
    assert_eq!(auth.method, "POST");
    assert_eq!(auth.header("authorization"), Some("Basic bXktaWQ6bXktc2VjcmV0"));
    assert_eq!(String::from_utf8_lossy(&auth.body), "grant_type=client_credentials");
    let search = &s.requests_to("/search")[0];
    assert_eq!(search.header("authorization"), Some("Bearer tok-123"));
    assert_eq!(search.query_param("q").as_deref(), Some("netsec"));
    assert_eq!(search.query_param("before"), None);
    let n = env.rows("SELECT count(*) FROM mentions")[0][0].clone();
    assert_eq!(n, "27");
    let scored = env.rows("SELECT json_extract(engagement, '$.score'), json_extract(engagement, '$.replies'), url FROM mentions WHERE external_id = 't3_552rz1'");
    assert_ne!(scored[0][0], "NULL", "score kept");
    assert!(scored[0][2].starts_with("https://www.reddit.com/r/"), "{scored:?}");
    // Incremental: only what is newer than the newest seen; the token is reused, not fetched again.
    poll(&env, &[("OH_REDDIT", "my-id:my-secret")]);
    let second = &s.requests_to("/search")[1];
    assert!(
        second.query_param("before").is_some_and(|b| b.starts_with("t3_")),
        "{:?}",
        second.query
    );
    // A wrong credential format is a clear error.
    let out = poll(&env, &[("OH_REDDIT", "no-colon")]);
    assert!(out.contains("CLIENT_ID:CLIENT_SECRET"), "{out}");
}

#[test]
fn mastodon_hashtag_timeline_with_recorded_headers_and_search_with_a_token() {
    let s = FixtureServer::start();
    let body = shared_fixture("mastodon/timelines_tag_hoot.json");
    let headers = shared_fixture("mastodon/timelines_tag_hoot.headers.txt");
    s.route(
        "/api/v1/timelines/tag/hoot",
        Response::from_fixture(&body, Some(&headers)),
    );
    s.route(
        "/api/v2/search",
        Response::from_fixture(
            &shared_fixture("mastodon/search_v2_statuses_empty.json"),
            Some(&shared_fixture("mastodon/search_v2_statuses_empty.headers.txt")),
        ),
    );
    let env = Env::with_config(&format!(
        "[[feed]]\nname = \"hoot\"\nkind = \"mastodon\"\ntag = \"#hoot\"\nurl = \"{0}\"\n\n[[feed]]\nname = \"search\"\nkind = \"mastodon\"\nquery = \"acme\"\nurl = \"{0}\"\ntoken_env = \"OH_MASTO\"\n",
        s.url("")
    ));
    let out = poll(&env, &[("OH_MASTO", "user-token")]);
    assert!(ok_line(&out, "hoot") && ok_line(&out, "search"), "{out}");
    let tag = &s.requests_to("/api/v1/timelines/tag/hoot")[0];
    assert_eq!(tag.query_param("limit").as_deref(), Some("40"));
    assert_eq!(tag.query_param("min_id"), None);
    assert!(
        tag.header("authorization").is_none(),
        "the public timeline needs no token"
    );
    let search = &s.requests_to("/api/v2/search")[0];
    assert_eq!(search.query_param("type").as_deref(), Some("statuses"));
    assert_eq!(search.header("authorization"), Some("Bearer user-token"));
    let rows = env.rows(
        "SELECT external_id, author, author_reach, json_extract(engagement, '$.likes') IS NOT NULL FROM mentions",
    );
    assert_eq!(rows, vec![vec!["117020593741189701", "mastodonpy_test_2", "0", "1"]]);
    // Next poll asks only for newer statuses; the rate-limit state is kept for `overhear feeds`.
    poll(&env, &[("OH_MASTO", "user-token")]);
    let tag = &s.requests_to("/api/v1/timelines/tag/hoot")[1];
    assert_eq!(tag.query_param("min_id").as_deref(), Some("117020593741189701"));
    let feeds = String::from_utf8_lossy(&env.run(&["feeds"]).stdout).into_owned();
    assert!(
        feeds.lines().any(|l| l.starts_with("hoot") && l.contains("299/300")),
        "{feeds}"
    );
    // Without the token variable, the search feed says what to do and the other one works.
    let out = poll(&env, &[]);
    assert!(out.contains("OH_MASTO (token_env) is not set"), "{out}");
    assert!(ok_line(&out, "hoot"), "{out}");
}

/// A status of a shape overhear does not read (another server's dialect, a stranger's nonsense)
/// costs that status: the others are stored and the health says what was skipped; a page of
/// nothing else is the feed's error, never "ok, 0 new".
#[test]
fn a_status_of_an_unexpected_shape_costs_that_status_and_the_health_says_so() {
    let s = FixtureServer::start();
    let mut statuses: serde_json::Value =
        serde_json::from_slice(&fixture("mastodon/timelines_public_anonymous.json")).unwrap();
    let all = statuses.as_array().unwrap().len();
    statuses[0]["id"] = serde_json::json!({ "not": "an id" });
    // A count written as a string is still read.
    statuses[1]["favourites_count"] = serde_json::json!("12");
    let json = |v: &serde_json::Value| Response::ok(v.to_string()).header("content-type", "application/json");
    s.route("/api/v1/timelines/tag/mixed", json(&statuses));
    s.route("/api/v1/timelines/tag/bad", json(&serde_json::json!([7])));
    let env = Env::with_config(&format!(
        "[[feed]]\nname = \"mixed\"\nkind = \"mastodon\"\ntag = \"mixed\"\nurl = \"{0}\"\n\n\
         [[feed]]\nname = \"bad\"\nkind = \"mastodon\"\ntag = \"bad\"\nurl = \"{0}\"\n",
        s.url("")
    ));
    let out = poll(&env, &[]);
    let line = |name: &str| {
        out.lines()
            .find(|l| l.starts_with(name))
            .unwrap_or_default()
            .to_string()
    };
    let mixed = line("mixed");
    assert!(ok_line(&out, "mixed"), "{out}");
    assert!(
        mixed.contains(&format!("{} new", all - 1))
            && mixed.contains("1 status of a shape overhear does not read was skipped"),
        "{mixed}"
    );
    let bad = line("bad");
    assert!(
        bad.contains(" error ") && bad.contains("1 status of a shape overhear does not read was skipped"),
        "{bad}"
    );
    let likes: Vec<Vec<String>> = env.rows(
        "SELECT json_extract(engagement, '$.likes') FROM mentions WHERE json_extract(engagement, '$.likes') = 12",
    );
    assert_eq!(likes.len(), 1, "the count written as a string is read");
    let feeds = String::from_utf8_lossy(&env.run(&["feeds"]).stdout).into_owned();
    assert!(
        feeds.lines().any(|l| l.starts_with("bad") && l.contains("failing")),
        "{feeds}"
    );
}

#[test]
fn bluesky_signs_in_with_an_app_password_and_searches_since_the_newest_post() {
    let s = FixtureServer::start();
    s.route(
        "/xrpc/com.atproto.server.createSession",
        Response::ok(r#"{"accessJwt":"jwt-1","refreshJwt":"r-1","handle":"brand.example.com","did":"did:plc:x"}"#),
    );
    s.route(
        "/xrpc/app.bsky.feed.searchPosts",
        Response::ok(fixture("bluesky/bluesky_search_posts.json")),
    );
    s.route(
        "/xrpc/app.bsky.actor.getProfiles",
        Response::ok(r#"{"profiles":[{"did":"did:plc:x","handle":"test.marshal.dev","followersCount":4242}]}"#),
    );
    let env = Env::with_config(&format!(
        "[[feed]]\nname = \"sky\"\nkind = \"bluesky\"\nquery = \"acme\"\nidentifier = \"brand.example.com\"\ntoken_env = \"OH_BSKY\"\nurl = \"{}\"\n",
        s.url("")
    ));
    let out = poll(&env, &[("OH_BSKY", "app-pass-word")]);
    assert!(ok_line(&out, "sky"), "{out}");
    let login = &s.requests_to("/xrpc/com.atproto.server.createSession")[0];
    assert_eq!(login.method, "POST");
    let sent: serde_json::Value = serde_json::from_slice(&login.body).unwrap();
    assert_eq!(
        sent,
        serde_json::json!({"identifier": "brand.example.com", "password": "app-pass-word"})
    );
    let search = &s.requests_to("/xrpc/app.bsky.feed.searchPosts")[0];
    assert_eq!(search.header("authorization"), Some("Bearer jwt-1"));
    assert_eq!(search.query_param("sort").as_deref(), Some("latest"));
    let rows = env.rows("SELECT external_id, author, url, text, author_reach FROM mentions");
    assert_eq!(rows[0][1], "test.marshal.dev");
    assert_eq!(rows[0][4], "4242", "reach fetched in a batch of profiles");
    let profiles = &s.requests_to("/xrpc/app.bsky.actor.getProfiles")[0];
    assert_eq!(profiles.query_param("actors").as_deref(), Some("test.marshal.dev"));
    assert_eq!(profiles.header("authorization"), Some("Bearer jwt-1"));
    assert_eq!(
        rows[0][2],
        "https://bsky.app/profile/test.marshal.dev/post/3kaheyt6vpc22"
    );
    assert_eq!(rows[0][3], "", "an image post has no text");
    poll(&env, &[("OH_BSKY", "app-pass-word")]);
    let second = &s.requests_to("/xrpc/app.bsky.feed.searchPosts")[1];
    assert_eq!(second.query_param("since").as_deref(), Some("2023-09-28T12:49:36.735Z"));
    // A refused password is said in words, and nothing secret is stored.
    s.route(
        "/xrpc/com.atproto.server.createSession",
        Response::ok(r#"{"error":"AuthenticationRequired","message":"Invalid identifier or password"}"#).status(401),
    );
    let out = poll(&env, &[("OH_BSKY", "wrong")]);
    assert!(out.contains("sign-in was refused"), "{out}");
    let dump =
        env.rows("SELECT group_concat(coalesce(cursor, '') || coalesce(last_error, ''), ' ') FROM feeds")[0][0].clone();
    assert!(!dump.contains("app-pass-word") && !dump.contains("jwt-1"), "{dump}");
}

#[test]
fn x_recent_search_with_expansions_pages_and_rate_limits() {
    let s = FixtureServer::start();
    s.route_seq(
        "/2/tweets/search/recent",
        vec![
            Response::ok(fixture("x/search_recent_expanded.json"))
                .header("x-rate-limit-limit", "450")
                .header("x-rate-limit-remaining", "447"),
            Response::ok(r#"{"meta":{"result_count":0}}"#).header("x-rate-limit-remaining", "446"),
            Response::from_fixture(
                &shared_fixture("x/tweepy_search_recent.json"),
                Some(&shared_fixture("x/tweepy_search_recent.headers.txt")),
            ),
        ],
    );
    let env = Env::with_config(&format!(
        "[[feed]]\nname = \"x\"\nkind = \"x\"\nquery = \"acme\"\ntoken_env = \"OH_X\"\nurl = \"{}\"\n",
        s.url("")
    ));
    let out = poll(&env, &[("OH_X", "bearer-abc")]);
    assert!(ok_line(&out, "x"), "{out}");
    let reqs = s.requests_to("/2/tweets/search/recent");
    assert_eq!(reqs[0].header("authorization"), Some("Bearer bearer-abc"));
    assert_eq!(reqs[0].query_param("query").as_deref(), Some("acme -is:retweet"));
    assert_eq!(reqs[0].query_param("expansions").as_deref(), Some("author_id"));
    assert!(reqs[0].query_param("tweet.fields").unwrap().contains("public_metrics"));
    assert_eq!(
        reqs[1].query_param("pagination_token").as_deref(),
        Some("b26v89c19zqg8o3frr3lb7fwwe9a7n0ek6gkf3y8w0jzh"),
        "next page"
    );
    let rows = env.rows("SELECT external_id, author, author_reach, url, text FROM mentions ORDER BY external_id");
    assert_eq!(rows.len(), 3);
    assert!(
        rows.iter().all(|r| r[1] != "NULL" && r[2] != "NULL"),
        "authors joined with reach: {rows:?}"
    );
    assert!(
        rows.iter().any(|r| r[4].contains('&') && !r[4].contains("&amp;")),
        "X's escaping undone once: {rows:?}"
    );
    // The next poll asks only for newer tweets; a payload with default fields only still stores.
    let out = poll(&env, &[("OH_X", "bearer-abc")]);
    assert!(ok_line(&out, "x"), "{out}");
    let third = &s.requests_to("/2/tweets/search/recent")[2];
    assert_eq!(third.query_param("since_id").as_deref(), Some("2123810016713650181"));
    let bare = env.rows("SELECT author, url FROM mentions WHERE author IS NULL");
    assert!(
        !bare.is_empty() && bare[0][1].starts_with("https://x.com/i/web/status/"),
        "{bare:?}"
    );

    // 429 with the reset header: the feed waits until then, said in words.
    s.route(
        "/2/tweets/search/recent",
        Response::ok("{}")
            .status(429)
            .header("x-rate-limit-remaining", "0")
            .header("x-rate-limit-reset", &(unix_now() + 600).to_string()),
    );
    let out = poll(&env, &[("OH_X", "bearer-abc")]);
    assert!(out.contains("rate-limited by the server (HTTP 429); waiting"), "{out}");
    let out = poll(&env, &[("OH_X", "bearer-abc")]);
    assert!(out.contains("waiting"), "{out}");
    // A missing token says which variable to set.
    let out = poll(&env, &[]);
    assert!(
        out.contains("OH_X (token_env) is not set") || out.contains("waiting"),
        "{out}"
    );
    // An expired token is a 401 in words.
    let env2 = Env::with_config(&format!(
        "[[feed]]\nname = \"x\"\nkind = \"x\"\nquery = \"acme\"\ntoken_env = \"OH_X\"\nurl = \"{}\"\n",
        s.url("/other")
    ));
    s.route(
        "/other/2/tweets/search/recent",
        Response::ok(r#"{"title":"Unauthorized"}"#).status(401),
    );
    let out = poll(&env2, &[("OH_X", "old")]);
    assert!(out.contains("refused $OH_X"), "{out}");
}

#[test]
fn stack_exchange_gzip_backoff_and_quota() {
    let s = FixtureServer::start();
    s.route(
        "/2.3/search/advanced",
        Response::ok(fixture("stackexchange/stackexchange_search_advanced.json"))
            .content_type("application/json")
            .gzip(),
    );
    let env = Env::with_config(&format!(
        "[[feed]]\nname = \"so\"\nkind = \"stackexchange\"\nquery = \"sqlite wal\"\nsite = \"dba\"\nurl = \"{}\"\n",
        s.url("")
    ));
    let out = poll(&env, &[]);
    assert!(ok_line(&out, "so"), "{out}");
    let reqs = s.requests_to("/2.3/search/advanced");
    assert_eq!(reqs.len(), 1, "backoff stops paging even though has_more");
    assert_eq!(reqs[0].query_param("site").as_deref(), Some("dba"));
    assert_eq!(reqs[0].query_param("sort").as_deref(), Some("creation"));
    assert_eq!(reqs[0].query_param("filter").as_deref(), Some("withbody"));
    assert!(reqs[0].header("accept-encoding").is_some_and(|e| e.contains("gzip")));
    let rows = env.rows("SELECT external_id, author, author_reach, title FROM mentions ORDER BY external_id");
    assert_eq!(rows.len(), 3);
    assert!(
        rows.iter().any(|r| r[1] == "José Ramírez"),
        "entities decoded: {rows:?}"
    );
    assert!(rows.iter().any(|r| r[2] == "NULL"), "a deleted user has no reputation");
    assert!(rows.iter().all(|r| !r[3].contains("&quot;") && !r[3].contains("&#39;")));
    let feeds = String::from_utf8_lossy(&env.run(&["feeds"]).stdout).into_owned();
    assert!(feeds.contains("287 requests left today"), "{feeds}");
    // The backoff holds the next poll; forced, the next request asks from the newest date seen.
    let out = env.run(&["poll", "--once", "--force"]);
    assert!(out.status.success());
    let second = &s.requests_to("/2.3/search/advanced")[1];
    assert_eq!(second.query_param("fromdate").as_deref(), Some("1795186931"));
}

#[test]
fn github_issue_search_with_the_recorded_answer() {
    let s = FixtureServer::start();
    let rec: serde_json::Value = serde_json::from_slice(&fixture("github/normalized-fixture.json")).unwrap();
    let mut resp = Response::ok(rec[0]["response"].to_string()).status(rec[0]["status"].as_u64().unwrap() as u16);
    for (k, v) in rec[0]["headers"].as_object().unwrap() {
        if !matches!(k.as_str(), "content-length" | "connection") {
            resp = resp.header(k, &v.as_str().map(String::from).unwrap_or_else(|| v.to_string()));
        }
    }
    s.route("/search/issues", resp);
    let env = Env::with_config(&format!(
        "[[feed]]\nname = \"gh\"\nkind = \"github\"\nquery = \"sesame repo:octokit-fixture-org/search-issues\"\nurl = \"{}\"\ntoken_env = \"OH_GH\"\n",
        s.url("")
    ));
    let out = poll(&env, &[("OH_GH", "ghp_x")]);
    assert!(ok_line(&out, "gh"), "{out}");
    let req = &s.requests_to("/search/issues")[0];
    assert_eq!(
        req.query_param("q").as_deref(),
        Some("sesame repo:octokit-fixture-org/search-issues")
    );
    assert_eq!(req.query_param("sort").as_deref(), Some("created"));
    assert_eq!(req.header("authorization"), Some("Bearer ghp_x"));
    assert_eq!(req.header("accept"), Some("application/vnd.github+json"));
    let rows = env.rows("SELECT external_id, author, title FROM mentions ORDER BY external_id");
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0][1], "octokit-fixture-user-b");
    assert!(rows[0][2].starts_with("Issue: "), "{rows:?}");
    poll(&env, &[("OH_GH", "ghp_x")]);
    let second = &s.requests_to("/search/issues")[1];
    assert_eq!(
        second.query_param("q").as_deref(),
        Some("sesame repo:octokit-fixture-org/search-issues created:>2017-10-10T16:00:00Z")
    );
}

#[test]
fn discourse_posts_joined_to_topics_and_paged_after_the_first_poll() {
    let s = FixtureServer::start();
    s.route(
        "/forum/search.json",
        Response::ok(fixture("discourse/discourse_search.json")),
    );
    let env = Env::with_config(&format!(
        "[[feed]]\nname = \"forum\"\nkind = \"discourse\"\nquery = \"sqlite\"\nurl = \"{}\"\n",
        s.url("/forum")
    ));
    let out = poll(&env, &[]);
    assert!(ok_line(&out, "forum"), "{out}");
    let req = &s.requests_to("/forum/search.json")[0];
    assert_eq!(req.query_param("q").as_deref(), Some("sqlite order:latest"));
    let rows = env.rows("SELECT external_id, author, title, url FROM mentions ORDER BY external_id");
    assert_eq!(rows.len(), 3);
    assert!(
        rows[0][0].starts_with("127.0.0.1:"),
        "ids prefixed with the forum host: {rows:?}"
    );
    assert!(
        rows.iter().all(|r| r[2] != "NULL" && !r[2].contains("&ldquo;")),
        "topic titles joined: {rows:?}"
    );
    assert!(rows.iter().all(|r| r[3].starts_with(&s.url("/forum/t/"))), "{rows:?}");
    poll(&env, &[]);
    let reqs = s.requests_to("/forum/search.json");
    assert_eq!(
        reqs[1].query_param("q").as_deref(),
        Some("sqlite order:latest after:2026-11-19")
    );
    assert_eq!(
        reqs[2].query_param("page").as_deref(),
        Some("2"),
        "more results are paged"
    );
}

#[test]
fn a_generic_json_api_is_a_config_stanza() {
    let s = FixtureServer::start();
    s.route(
        "/api/search",
        Response::ok(fixture("hackernews/hn_search_by_date.json")),
    );
    let env = Env::with_config(&format!(
        r#"[[feed]]
name = "custom"
kind = "json"
query = "sqlite wal"
url = "{}?q={{query}}&n=50"

[feed.map]
items = "/hits"
id = "/objectID"
author = "/author"
title = "/title"
text = "/comment_text"
time = "/created_at_i"
time_format = "unix"
score = "/points"
html = true
"#,
        s.url("/api/search")
    ));
    let out = poll(&env, &[]);
    assert!(ok_line(&out, "custom"), "{out}");
    let req = &s.requests_to("/api/search")[0];
    assert_eq!(req.query_param("q").as_deref(), Some("sqlite wal"));
    assert_eq!(req.query_param("n").as_deref(), Some("50"));
    // A JSON API's ids are the publisher's, so they are unique per feed (stored scoped to it).
    let rows = env.rows("SELECT external_id, author, published_at, json_extract(engagement, '$.score') FROM mentions WHERE external_id = 'feed:' || feed_id || ':49520915'");
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0][1..], ["kelvinrow", "1795179764", "57"]);
    assert_eq!(
        env.exported("49520915")["author"],
        "kelvinrow",
        "export shows the id as the source gave it"
    );
    let n = env.rows("SELECT count(*) FROM mentions")[0][0].clone();
    assert_eq!(n, "4");
    // A wrong pointer is an error that says where to look.
    env.config(&format!("[[feed]]\nname = \"custom\"\nkind = \"json\"\nurl = \"{}\"\n\n[feed.map]\nitems = \"/results\"\ntext = \"/t\"\n", s.url("/api/search")));
    let out = poll(&env, &[]);
    assert!(out.contains("no array at `items`"), "{out}");
}

#[test]
fn config_mistakes_for_the_new_kinds_say_what_to_add() {
    for (stanza, words) in [
        (
            "kind = \"bluesky\"\nquery = \"x\"\ntoken_env = \"T\"\n",
            "needs `identifier`",
        ),
        ("kind = \"x\"\nquery = \"x\"\n", "needs `token_env`"),
        ("kind = \"mastodon\"\n", "needs `tag`"),
        ("kind = \"mastodon\"\nquery = \"acme\"\n", "needs a user token"),
        ("kind = \"discourse\"\nquery = \"x\"\n", "needs `url`"),
        ("kind = \"json\"\nurl = \"http://x/\"\n", "needs `map`"),
    ] {
        let env = Env::with_config(&format!("[[feed]]\nname = \"f\"\n{stanza}"));
        let out = env.run(&["feeds"]);
        assert_eq!(out.status.code(), Some(2));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(words) && err.contains("config.toml:1:"), "{stanza}: {err}");
    }
}

#[test]
fn feed_test_fetches_once_prints_what_would_be_stored_and_stores_nothing() {
    let s = FixtureServer::start();
    s.route(
        "/hn/api/v1/search_by_date",
        Response::ok(fixture("hackernews/hn_search_by_date.json")),
    );
    s.route(
        "/alerts",
        Response::ok("<!DOCTYPE html><html><title>Google Alerts</title><body>Manage your alerts</body></html>")
            .content_type("text/html"),
    );
    let env = Env::with_config(&format!(
        "[[feed]]\nname = \"hn\"\nkind = \"hackernews\"\nquery = \"sqlite\"\nurl = \"{}\"\nexclude = \"redis\"\n\n[[feed]]\nname = \"alerts\"\nkind = \"rss\"\nurl = \"{}\"\n",
        s.url("/hn"),
        s.url("/alerts")
    ));
    let out = env.run(&["feed", "test", "hn"]);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{text}");
    assert!(
        text.starts_with(
            "hn (hackernews): 4 items fetched; 3 would be stored, 1 dropped by include/exclude. Nothing was stored."
        ),
        "{text}"
    );
    assert!(
        text.lines().any(|l| l.starts_with('+') && l.contains("quietgrep")),
        "{text}"
    );
    assert!(
        text.lines().any(|l| l.starts_with('-') && l.contains("kelvinrow")),
        "{text}"
    );
    assert!(!env.db().exists(), "no database touched");

    // The Google Alerts management page instead of its feed: said in words, exit 1.
    let out = env.run(&["feed", "test", "alerts"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("HTML page, not a feed"),
        "{:?}",
        out
    );

    // A feed given on the command line, no config needed.
    let inline = format!(
        "{{ name = \"try\", kind = \"hackernews\", query = \"wal\", url = \"{}\" }}",
        s.url("/hn")
    );
    let out = env.run(&["feed", "test", "--feed", &inline]);
    assert!(out.status.success(), "{:?}", out);
    assert!(String::from_utf8_lossy(&out.stdout).contains("try (hackernews): 4 items fetched"));
    assert_eq!(
        s.requests_to("/hn/api/v1/search_by_date")
            .last()
            .unwrap()
            .query_param("query")
            .as_deref(),
        Some("wal")
    );

    let out = env.run(&["feed", "test", "nope"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no feed named \"nope\""));
}

/// A search answer of `n` posts, newest first from `newest`, each a copy of the recorded post
/// with its own id and time.
fn lemmy_posts(n: usize, first_id: i64, newest: chrono::DateTime<chrono::Utc>) -> String {
    let post: serde_json::Value = serde_json::from_slice(&fixture("lemmy/post_view.json")).unwrap();
    let posts: Vec<serde_json::Value> = (0..n)
        .map(|i| {
            let mut p = post.clone();
            p["post"]["id"] = serde_json::json!(first_id - i as i64);
            p["post"]["published"] = serde_json::json!((newest - chrono::Duration::minutes(i as i64)).to_rfc3339());
            p
        })
        .collect();
    serde_json::json!({"type_": "All", "posts": posts, "comments": [], "communities": [], "users": []}).to_string()
}

/// A Lemmy instance serving the recorded search, and a feed of it polled once.
fn lemmy_polled() -> (FixtureServer, Env) {
    let s = FixtureServer::start();
    s.route("/lemmy/api/v3/search", Response::ok(fixture("lemmy/search.json")));
    let env = Env::with_config(&format!(
        "[[feed]]\nname = \"lemmy\"\nkind = \"lemmy\"\nquery = \"muffed\"\nurl = \"{}\"\n",
        s.url("/lemmy")
    ));
    let out = poll(&env, &[]);
    assert!(ok_line(&out, "lemmy"), "{out}");
    (s, env)
}

#[test]
fn lemmy_posts_and_comments_in_their_conversation_and_paged_until_the_last_poll() {
    let (s, env) = lemmy_polled();
    let req = &s.requests_to("/lemmy/api/v3/search")[0];
    assert_eq!(req.query_param("q").as_deref(), Some("muffed"));
    assert_eq!(req.query_param("type_").as_deref(), Some("All"));
    assert_eq!(req.query_param("sort").as_deref(), Some("New"));
    let rows = env.rows(
        "SELECT external_id, author, url, conversation_id IS NOT NULL, substr(text, 1, 27) FROM mentions ORDER BY external_id",
    );
    assert_eq!(rows.len(), 3, "{rows:?}");
    assert_eq!(rows[0][0], "127.0.0.1:comment:3200001:5716352");
    assert_eq!(rows[0][1], "rin@lemmy.world");
    assert_eq!(rows[0][2], format!("{}/comment/3200001", s.url("/lemmy")));
    assert_eq!(rows[2][0], "127.0.0.1:post:5716352");
    assert_eq!(
        rows[2][4], "[c/muffed@sh.itjust.works] ",
        "a community of another instance"
    );
    assert!(
        rows.iter().all(|r| r[3] == "1"),
        "one conversation, the post's: {rows:?}"
    );
    // The next poll: a full page all newer than what was seen asks the next page, and stops
    // there (the second page reaches the first poll's newest).
    let now = chrono::Utc::now();
    let first = lemmy_posts(50, 9_000_100, now);
    let second = lemmy_posts(
        50,
        9_000_000,
        chrono::DateTime::from_timestamp(1_695_000_000, 0).unwrap(),
    );
    s.route_with("/lemmy/api/v3/search", move |r| {
        Response::ok(if r.query_param("page").as_deref() == Some("2") {
            second.clone()
        } else {
            first.clone()
        })
    });
    let out = poll(&env, &[]);
    assert!(ok_line(&out, "lemmy"), "{out}");
    let reqs = s.requests_to("/lemmy/api/v3/search");
    assert_eq!(reqs.len(), 3, "page 1, then page 2, and no more");
    assert_eq!(reqs[2].query_param("page").as_deref(), Some("2"));
    let stored: i64 = env.sql("SELECT count(*) FROM mentions WHERE external_id LIKE '127.0.0.1:post:%'");
    assert_eq!(stored, 101, "both pages' posts, and the first poll's");
}

/// A Lemmy post's thread (its comments, each under what it answers) and a comment's (the post
/// above it, with its author, asked of the instance after the comments).
#[test]
fn lemmy_threads_are_the_posts_comments_headed_by_the_post() {
    let (s, env) = lemmy_polled();
    // The post's thread: its comments, asked of the instance, each under what it answers.
    let search: serde_json::Value = serde_json::from_slice(&fixture("lemmy/search.json")).unwrap();
    s.route(
        "/lemmy/api/v3/comment/list",
        Response::ok(serde_json::json!({ "comments": search["comments"] }).to_string()),
    );
    let post = env.id_of("127.0.0.1:post:5716352");
    let thread = text(&env.run(&["thread", &post]));
    let (rin, kai) = (thread.find("rin@lemmy.world"), thread.find("kai@sh.itjust.works"));
    assert!(
        rin.is_some() && kai.is_some() && rin < kai,
        "the reply under the comment it answers: {thread}"
    );
    assert_eq!(
        s.requests_to("/lemmy/api/v3/comment/list")[0]
            .query_param("post_id")
            .as_deref(),
        Some("5716352")
    );
    // A comment's thread: the post it is under heads it, with its author (asked of the
    // instance after the comments), then the comment, then what answers it.
    let post_view: serde_json::Value = serde_json::from_slice(&fixture("lemmy/post_view.json")).unwrap();
    s.route(
        "/lemmy/api/v3/post",
        Response::ok(serde_json::json!({ "post_view": post_view, "moderators": [], "cross_posts": [] }).to_string()),
    );
    let comment = env.id_of("127.0.0.1:comment:3200001:5716352");
    let thread = text(&env.run(&["thread", &comment]));
    assert!(
        thread.contains("freshfieldreds@sh.itjust.works"),
        "the post's author: {thread}"
    );
    assert_eq!(
        s.requests_to("/lemmy/api/v3/post")[0].query_param("id").as_deref(),
        Some("5716352")
    );
    let (post, this, kai) = (
        thread.find("Announcing Muffed"),
        thread.find("▸ this mention"),
        thread.find("kai@sh.itjust.works"),
    );
    assert!(
        post.is_some() && post < this && this < kai,
        "the post above the comment, its reply below: {thread}"
    );
}

/// YouTube: the search, then the channel's comments, then the channels' subscribers and the
/// videos' statistics; the key in the query of each request, never stored, printed or logged; the
/// quota counted; a spent quota waits for midnight Pacific.
#[test]
fn youtube_search_and_comments_with_reach_and_the_quota_counted() {
    let s = FixtureServer::start();
    s.route(
        "/youtube/v3/search",
        Response::ok(fixture("youtube/search_list_five_videos.json")),
    );
    s.route(
        "/youtube/v3/commentThreads",
        Response::ok(fixture("youtube/comment_threads_by_video.json")),
    );
    s.route(
        "/youtube/v3/channels",
        Response::ok(fixture("youtube/channels_statistics.json")),
    );
    s.route(
        "/youtube/v3/videos",
        Response::ok(
            r#"{"kind":"youtube#videoListResponse","items":[{"id":"LrQWzOkC0XQ","statistics":{"viewCount":"48211","likeCount":"901","commentCount":"77"}}]}"#,
        ),
    );
    let env = Env::with_config(&format!(
        "[[feed]]\nname = \"yt\"\nkind = \"youtube\"\nquery = \"acme\"\ntoken_env = \"YT_KEY\"\nurl = \"{}\"\nvideos = [\"F1UP7wRCPH8\"]\n",
        s.url("")
    ))
    .var("YT_KEY", "k-s3cret-yt");
    let out = poll(&env, &[]);
    assert!(ok_line(&out, "yt"), "{out}");
    let search = &s.requests_to("/youtube/v3/search")[0];
    assert_eq!(search.query_param("key").as_deref(), Some("k-s3cret-yt"));
    assert_eq!(search.query_param("q").as_deref(), Some("acme"));
    assert!(
        search.header("x-overhear-spent").is_none(),
        "overhear's own state is never sent"
    );
    let threads = &s.requests_to("/youtube/v3/commentThreads")[0];
    assert_eq!(threads.query_param("videoId").as_deref(), Some("F1UP7wRCPH8"));
    assert_eq!(threads.query_param("searchTerms").as_deref(), Some("acme"));
    assert_eq!(s.requests_to("/youtube/v3/channels").len(), 1, "one batch of channels");
    // Five videos and five comments; the comments in their video's conversation.
    let n: i64 = env.sql("SELECT count(*) FROM mentions");
    assert_eq!(n, 10);
    let v = env.exported("LrQWzOkC0XQ");
    assert_eq!(v["url"], "https://www.youtube.com/watch?v=LrQWzOkC0XQ");
    let c = env.exported("UgwI_ylXVnzPS8Q-oAV4AaABAg");
    assert_eq!(
        c["url"],
        "https://www.youtube.com/watch?v=F1UP7wRCPH8&lc=UgwI_ylXVnzPS8Q-oAV4AaABAg"
    );
    let views: Option<i64> =
        env.sql("SELECT json_extract(engagement, '$.views') FROM mentions WHERE external_id = 'LrQWzOkC0XQ'");
    assert_eq!(views, Some(48211));
    // The units used today, in the feed's health: the search (100), the video's comment threads
    // (1), and the channels' and videos' statistics (1 each).
    let feeds = text(&env.run(&["feeds"]));
    assert!(
        feeds.contains("103 of 10000 quota units used today, 9897 left"),
        "{feeds}"
    );
    let spent: i64 = env.sql("SELECT json_extract(cursor, '$.spent.units') FROM feeds WHERE name = 'yt'");
    assert_eq!(spent, 103, "the next poll counts on from here");
    // The quota spent: the next poll waits until midnight Pacific, said in words.
    s.route(
        "/youtube/v3/search",
        Response::ok(fixture("youtube/error_403_quota_exceeded.json")).status(403),
    );
    let out = poll(&env, &[]);
    assert!(out.contains("daily quota is spent"), "{out}");
    let next: i64 = env.sql("SELECT next_poll_at FROM feeds WHERE name = 'yt'");
    let reset = {
        use chrono::TimeZone;
        let la = chrono::Utc::now().with_timezone(&chrono_tz::America::Los_Angeles);
        chrono_tz::America::Los_Angeles
            .from_local_datetime(&la.date_naive().succ_opt().unwrap().and_hms_opt(0, 0, 0).unwrap())
            .earliest()
            .unwrap()
            .timestamp()
    };
    assert!((next - reset).abs() <= 60, "next poll {next}, reset {reset}");
    // The key is nowhere but in the requests.
    let dump = env.rows("SELECT * FROM feeds");
    assert!(!format!("{dump:?}").contains("k-s3cret-yt"));
    let log = std::fs::read_to_string(env.home().join(".local/state/overhear/overhear.log")).unwrap_or_default();
    assert!(!log.contains("k-s3cret-yt"), "the key is never logged");
    assert!(!out.contains("k-s3cret-yt") && !feeds.contains("k-s3cret-yt"));
}

/// The App Store's reviews of an app in one store, and Flickr's photos with the comments on ours:
/// each a config table, in the same stream.
#[test]
fn app_store_reviews_and_flickr_photos_with_comments() {
    let s = FixtureServer::start();
    s.route(
        "/itunes/gb/rss/customerreviews/page=1/id=1510826067/sortby=mostrecent/json",
        Response::ok(fixture("appstore/customer_reviews_page1.json")),
    );
    s.route_with("/flickr/services/rest/", |r| {
        Response::ok(match r.query_param("method").as_deref() {
            Some("flickr.photos.search") => fixture("flickr/photos_search.json"),
            _ => fixture("flickr/photos_comments.json"),
        })
    });
    let env = Env::with_config(&format!(
        "[[feed]]\nname = \"ios-gb\"\nkind = \"appstore\"\napp = \"1510826067\"\ncountry = \"gb\"\nurl = \"{}\"\n\n\
         [[feed]]\nname = \"flickr\"\nkind = \"flickr\"\nquery = \"fractal\"\ntoken_env = \"FLICKR_KEY\"\nphotos = [\"6946979188\"]\nurl = \"{}\"\n",
        s.url("/itunes"),
        s.url("/flickr")
    ))
    .var("FLICKR_KEY", "fk-s3cret");
    let out = poll(&env, &[]);
    assert!(ok_line(&out, "ios-gb") && ok_line(&out, "flickr"), "{out}");
    let review = env.exported("1510826067:6504352127");
    assert_eq!(review["title"], "Amazing photos integration");
    assert!(
        review["text"]
            .as_str()
            .unwrap()
            .starts_with("★★★★★ 5/5 · version 1.1.0")
    );
    let search = &s.requests_to("/flickr/services/rest/")[0];
    assert_eq!(search.query_param("api_key").as_deref(), Some("fk-s3cret"));
    let photo = env.exported("7932536558");
    assert_eq!(photo["author"], "@janko-m");
    let comment = env.exported("67099213-6946979188-72157629852219939");
    assert_eq!(comment["text"], "Test");
    // Replies go by hand on both.
    let id = env.id_of("1510826067:6504352127");
    let out = env.run_stdin(&["reply", &id, "--text-file", "-"], "Thank you!");
    assert!(
        text(&out).contains("appstore takes no replies from overhear"),
        "{}",
        text(&out)
    );
    let rows = env.rows("SELECT * FROM feeds");
    assert!(!format!("{rows:?}").contains("fk-s3cret"), "the key is never stored");
}
