//! Answering from scripts: `overhear reply` posts to a real HTTP server on 127.0.0.1 playing
//! Mastodon and GitHub (method, path, body and auth checked), records the response time, operator
//! and text, keeps the draft when a send fails, and never sends twice; `overhear mark` sets a status.

use crate::common::env::{Env, text};
use crate::common::server::{FixtureServer, Response};
use crate::common::{fixture, unix_now};

/// An environment whose operator is alice, with `config` and a write token in `OH_TOKEN`.
pub(crate) fn env_with(config: &str) -> Env {
    Env::with_config(&format!("[console]\noperator = \"alice\"\n\n{config}")).var("OH_TOKEN", "write-token")
}

/// A Bluesky feed's service signed in as acme.example.com (`jwt-9`), whose search finds the
/// recorded posts; the reply requests are each test's.
pub(crate) fn bluesky_signed_in(s: &FixtureServer) {
    s.route(
        "/xrpc/com.atproto.server.createSession",
        Response::ok(r#"{"accessJwt":"jwt-9","refreshJwt":"r","handle":"acme.example.com","did":"did:plc:acme"}"#),
    );
    s.route(
        "/xrpc/app.bsky.feed.searchPosts",
        Response::ok(fixture("bluesky/bluesky_search_posts.json")),
    );
    s.route("/xrpc/app.bsky.actor.getProfiles", Response::ok(r#"{"profiles":[]}"#));
}

#[test]
fn a_mastodon_reply_is_posted_in_reply_and_recorded() {
    let s = FixtureServer::start();
    s.route(
        "/api/v1/timelines/tag/hoot",
        Response::ok(fixture("mastodon/timelines_tag_hoot.json")),
    );
    s.route(
        "/api/v1/statuses",
        Response::ok(r#"{"id":"117020600000000001","url":"http://masto.example/@acme/117020600000000001"}"#),
    );
    let env = env_with(&format!(
        "[[feed]]\nname = \"hoot\"\nkind = \"mastodon\"\ntag = \"hoot\"\nurl = \"{}\"\ntoken_env = \"OH_TOKEN\"\n",
        s.url("")
    ));
    assert!(env.run(&["poll", "--once"]).status.success());
    let id = env.id_of("117020593741189701");
    let before = unix_now();
    let out = env.run_stdin(&["reply", &id, "--text-file", "-"], "Thanks for trying it!\n");
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("sent; mention"), "{}", text(&out));
    let post = &s.requests_to("/api/v1/statuses")[0];
    assert_eq!(post.method, "POST");
    assert_eq!(post.header("authorization"), Some("Bearer write-token"));
    assert_eq!(post.header("content-type"), Some("application/json"));
    let body: serde_json::Value = serde_json::from_slice(&post.body).unwrap();
    assert_eq!(
        body,
        serde_json::json!({"status": "@mastodonpy_test_2 Thanks for trying it!", "in_reply_to_id": "117020593741189701"})
    );
    let m = env.exported("117020593741189701");
    assert_eq!(m["status"], "responded");
    assert_eq!(m["responded_by"], "alice");
    assert_eq!(m["response_text"], "Thanks for trying it!");
    assert_eq!(m["response_url"], "http://masto.example/@acme/117020600000000001");
    let at = chrono::DateTime::parse_from_rfc3339(m["responded_at"].as_str().unwrap())
        .unwrap()
        .timestamp();
    assert!(at >= before - 1 && at <= unix_now() + 1, "the response time is now");
    // Answered already: a second reply is refused, the first answer said, nothing sent.
    let out = env.run_stdin(&["reply", &id, "--text-file", "-"], "Hello again");
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert!(
        text(&out).contains("already answered by alice") && text(&out).contains("Thanks for trying it!"),
        "{}",
        text(&out)
    );
    assert_eq!(s.requests_to("/api/v1/statuses").len(), 1);
    // Too long for Mastodon: refused before anything is sent, even with --force.
    let out = env.run_stdin(&["reply", &id, "--force", "--text-file", "-"], &"x".repeat(501));
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).contains("takes at most 500"), "{}", text(&out));
    assert_eq!(s.requests_to("/api/v1/statuses").len(), 1);
}

#[test]
fn a_github_comment_that_fails_keeps_the_draft_and_a_retry_sends_once() {
    let s = FixtureServer::start();
    let rec: serde_json::Value = serde_json::from_slice(&fixture("github/normalized-fixture.json")).unwrap();
    s.route("/search/issues", Response::ok(rec[0]["response"].to_string()));
    let comments = "/repos/octokit-fixture-org/search-issues/issues/2/comments";
    s.route_seq(
        comments,
        vec![
            Response::ok(r#"{"message":"Server Error"}"#).status(500),
            Response::ok(r#"{"id":555,"html_url":"https://github.com/octokit-fixture-org/search-issues/issues/2#issuecomment-555"}"#).status(201),
        ],
    );
    let env = env_with(&format!(
        "[[feed]]\nname = \"gh\"\nkind = \"github\"\nquery = \"sesame\"\nurl = \"{}\"\ntoken_env = \"OH_TOKEN\"\n",
        s.url("")
    ));
    assert!(env.run(&["poll", "--once"]).status.success());
    let id = env.id_of("1000");
    let reply = env.file("reply.md", "Fixed in **v2.1**, thanks for the report.");
    let out = env.run(&["reply", &id, "--text-file", reply.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("not sent: HTTP 500") && text(&out).contains("The draft is kept"),
        "{}",
        text(&out)
    );
    let m = env.exported("1000");
    assert_eq!(m["status"], "new", "a failed send changes nothing");
    let drafts: String = env.sql("SELECT body || '|' || state FROM drafts");
    assert_eq!(drafts, "Fixed in **v2.1**, thanks for the report.|open");

    let out = env.run(&["reply", &id, "--text-file", reply.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out));
    let posts = s.requests_to(comments);
    assert_eq!(posts.len(), 2, "one request per confirmation");
    assert_eq!(posts[1].method, "POST");
    assert_eq!(posts[1].header("authorization"), Some("Bearer write-token"));
    let body: serde_json::Value = serde_json::from_slice(&posts[1].body).unwrap();
    assert_eq!(
        body,
        serde_json::json!({"body": "Fixed in **v2.1**, thanks for the report."})
    );
    let m = env.exported("1000");
    assert_eq!(m["status"], "responded");
    let ours: String = env.sql("SELECT response_id FROM mentions WHERE external_id = '1000'");
    assert_eq!(
        ours, "comment:555",
        "our comment's id as the issue's comments are stored"
    );
    assert_eq!(
        m["response_url"],
        "https://github.com/octokit-fixture-org/search-issues/issues/2#issuecomment-555"
    );
}

#[test]
fn where_no_api_takes_replies_the_answer_is_recorded_as_given_by_hand_and_mark_sets_status() {
    let s = FixtureServer::start();
    s.route("/feed", Response::ok(fixture("atom/atom_spec_1.xml")));
    let env = env_with(&format!(
        "[[feed]]\nname = \"blog\"\nkind = \"rss\"\nurl = \"{}\"\n",
        s.url("/feed")
    ));
    assert!(env.run(&["poll", "--once"]).status.success());
    let m = &env.export()[0];
    let id = m["id"].to_string();
    let out = env.run(&["mark", &id, "escalated"]);
    assert!(
        out.status.success() && text(&out).contains("marked escalated by alice"),
        "{}",
        text(&out)
    );
    assert_eq!(env.export()[0]["status"], "escalated");
    let out = env.run_stdin(&["reply", &id, "--text-file", "-"], "Left a comment on the blog.");
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("recorded as answered by hand")
            && text(&out).contains("http://example.org/2003/12/13/atom03"),
        "{}",
        text(&out)
    );
    let m = &env.export()[0];
    assert_eq!(
        (m["status"].as_str(), m["response_text"].as_str()),
        (Some("responded"), Some("Left a comment on the blog."))
    );
    let out = env.run(&["mark", "999999", "ignored"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).contains("no mention with id 999999"));
}

#[test]
fn a_bluesky_reply_looks_up_the_post_and_creates_a_reply_record() {
    let s = FixtureServer::start();
    bluesky_signed_in(&s);
    let uri = "at://did:plc:kvwvcn5iqfooopmyzvb4qzba/app.bsky.feed.post/3kaheyt6vpc22";
    s.route(
        "/xrpc/app.bsky.feed.getPosts",
        Response::ok(format!(
            r#"{{"posts":[{{"uri":"{uri}","cid":"bafyparent","record":{{"text":"","reply":{{"root":{{"uri":"at://did:plc:x/app.bsky.feed.post/root1","cid":"bafyroot"}},"parent":{{"uri":"at://x","cid":"y"}}}}}}}}]}}"#
        )),
    );
    s.route(
        "/xrpc/com.atproto.repo.createRecord",
        Response::ok(r#"{"uri":"at://did:plc:acme/app.bsky.feed.post/3newreply","cid":"bafynew"}"#),
    );
    let env = env_with(&format!(
        "[[feed]]\nname = \"sky\"\nkind = \"bluesky\"\nquery = \"acme\"\nidentifier = \"acme.example.com\"\ntoken_env = \"OH_TOKEN\"\nurl = \"{}\"\n",
        s.url("")
    ));
    assert!(env.run(&["poll", "--once"]).status.success());
    let id = env.id_of(uri);
    let out = env.run_stdin(&["reply", &id, "--text-file", "-"], "Nice photo!");
    assert!(out.status.success(), "{}", text(&out));
    let lookup = &s.requests_to("/xrpc/app.bsky.feed.getPosts")[0];
    assert_eq!(lookup.query_param("uris").as_deref(), Some(uri));
    let create = &s.requests_to("/xrpc/com.atproto.repo.createRecord")[0];
    assert_eq!(create.method, "POST");
    assert_eq!(create.header("authorization"), Some("Bearer jwt-9"));
    let body: serde_json::Value = serde_json::from_slice(&create.body).unwrap();
    assert_eq!(body["repo"], "did:plc:acme");
    assert_eq!(body["collection"], "app.bsky.feed.post");
    assert_eq!(body["record"]["text"], "Nice photo!");
    assert_eq!(
        body["record"]["reply"]["parent"],
        serde_json::json!({"uri": uri, "cid": "bafyparent"})
    );
    assert_eq!(
        body["record"]["reply"]["root"],
        serde_json::json!({"uri": "at://did:plc:x/app.bsky.feed.post/root1", "cid": "bafyroot"}),
        "the thread's root"
    );
    let m = env.exported(uri);
    assert_eq!(m["status"], "responded");
    assert_eq!(
        m["response_url"],
        "https://bsky.app/profile/acme.example.com/post/3newreply"
    );
}

#[test]
fn x_and_discourse_replies_post_where_the_mention_is() {
    let s = FixtureServer::start();
    s.route(
        "/2/tweets/search/recent",
        Response::ok(fixture("x/search_recent_expanded.json")),
    );
    s.route(
        "/2/tweets",
        Response::ok(r#"{"data":{"id":"2123999999999999999","text":"We're on it"}}"#).status(201),
    );
    s.route(
        "/forum/search.json",
        Response::ok(fixture("discourse/discourse_search.json")),
    );
    s.route(
        "/forum/posts.json",
        Response::ok(
            r#"{"id":88500,"topic_id":7719,"post_number":5,"topic_slug":"is-the-sqlite-backend-ready-for-production"}"#,
        ),
    );
    let env = env_with(&format!(
        "[[feed]]\nname = \"x\"\nkind = \"x\"\nquery = \"acme\"\nurl = \"{0}\"\ntoken_env = \"OH_TOKEN\"\n\n\
         [[feed]]\nname = \"forum\"\nkind = \"discourse\"\nquery = \"sqlite\"\nurl = \"{0}/forum\"\ntoken_env = \"OH_FORUM\"\n",
        s.url("")
    ))
    .var("OH_FORUM", "acme_support:forum-key");
    assert!(env.run(&["poll", "--once"]).status.success());

    let id = env.id_of("2123810016713650181");
    let out = env.run_stdin(&["reply", &id, "--text-file", "-"], "We're on it");
    assert!(out.status.success(), "{}", text(&out));
    let post = &s.requests_to("/2/tweets")[0];
    assert_eq!(
        (post.method.as_str(), post.header("authorization")),
        ("POST", Some("Bearer write-token"))
    );
    let body: serde_json::Value = serde_json::from_slice(&post.body).unwrap();
    assert_eq!(
        body,
        serde_json::json!({"text": "We're on it", "reply": {"in_reply_to_tweet_id": "2123810016713650181"}})
    );
    let m = env.exported("2123810016713650181");
    assert_eq!(m["response_url"], "https://x.com/i/web/status/2123999999999999999");

    let forum_id = env
        .export()
        .into_iter()
        .find(|m| m["external_id"].as_str().is_some_and(|e| e.ends_with(":88412")))
        .unwrap()["id"]
        .to_string();
    let out = env.run_stdin(&["reply", &forum_id, "--text-file", "-"], "It is, with WAL mode on.");
    assert!(out.status.success(), "{}", text(&out));
    let post = &s.requests_to("/forum/posts.json")[0];
    assert_eq!(post.method, "POST");
    assert_eq!(
        (post.header("api-key"), post.header("api-username")),
        (Some("forum-key"), Some("acme_support"))
    );
    let body: serde_json::Value = serde_json::from_slice(&post.body).unwrap();
    assert_eq!(
        body,
        serde_json::json!({"topic_id": 7719, "raw": "It is, with WAL mode on.", "reply_to_post_number": 4})
    );
    let m = env
        .export()
        .into_iter()
        .find(|m| m["id"].as_i64() == forum_id.parse::<i64>().ok())
        .unwrap();
    assert_eq!(
        m["response_url"],
        format!(
            "{}/forum/t/is-the-sqlite-backend-ready-for-production/7719/5",
            s.url("")
        )
    );
    // Our reply's id as the forum's posts are stored (`HOST:ID`), so what answers it is found.
    let ours: String = env.sql(&format!("SELECT response_id FROM mentions WHERE id = {forum_id}"));
    assert_eq!(ours, "127.0.0.1:88500");
}

/// With `[team] approval`, a reply from an operator who is not an approver waits for one: nothing
/// is sent, the draft waits, its history says so.
#[test]
fn a_reply_from_outside_the_approvers_waits_for_approval() {
    let s = FixtureServer::start();
    s.route(
        "/api/v1/timelines/tag/hoot",
        Response::ok(fixture("mastodon/timelines_tag_hoot.json")),
    );
    let env = env_with(&format!(
        "[team]\napproval = true\napprovers = [\"bob\"]\n\n[[feed]]\nname = \"hoot\"\nkind = \"mastodon\"\ntag = \"hoot\"\nurl = \"{}\"\ntoken_env = \"OH_TOKEN\"\n",
        s.url("")
    ));
    assert!(env.run(&["poll", "--once"]).status.success());
    let id = env.id_of("117020593741189701");
    let out = env.run_stdin(&["reply", &id, "--text-file", "-"], "Thanks!\n");
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("submitted for approval by bob"), "{}", text(&out));
    assert!(s.requests_to("/api/v1/statuses").is_empty());
    assert_eq!(
        env.rows("SELECT author, state, body FROM drafts"),
        vec![vec!["alice".to_string(), "awaiting".to_string(), "Thanks!".to_string()]]
    );
    assert_eq!(env.exported("117020593741189701")["status"], "new");
}

/// A Lemmy reply: `POST /api/v3/comment` on the instance with the JWT, naming the post and the
/// comment answered; kept under the id its answers will name, so the customer's answer to our
/// reply comes back open to whoever answered, in the same conversation.
#[test]
fn a_lemmy_reply_is_a_comment_and_its_answer_comes_back_to_us() {
    let s = FixtureServer::start();
    s.route("/lemmy/api/v3/search", Response::ok(fixture("lemmy/search.json")));
    s.route(
        "/lemmy/api/v3/comment",
        Response::ok(fixture("lemmy/comment_created.json")),
    );
    let env = env_with(&format!(
        "[[feed]]\nname = \"lemmy\"\nkind = \"lemmy\"\nquery = \"muffed\"\nurl = \"{}\"\ntoken_env = \"OH_TOKEN\"\n",
        s.url("/lemmy")
    ));
    assert!(env.run(&["poll", "--once"]).status.success());
    let id = env.id_of("127.0.0.1:comment:3200001:5716352");
    let out = env.run_stdin(
        &["reply", &id, "--text-file", "-"],
        "Thanks for the report! A fix is in 0.4.1.",
    );
    assert!(out.status.success(), "{}", text(&out));
    let post = &s.requests_to("/lemmy/api/v3/comment")[0];
    assert_eq!(post.method, "POST");
    assert_eq!(post.header("authorization"), Some("Bearer write-token"));
    let body: serde_json::Value = serde_json::from_slice(&post.body).unwrap();
    assert_eq!(
        body,
        serde_json::json!({"content": "Thanks for the report! A fix is in 0.4.1.", "post_id": 5716352, "parent_id": 3200001})
    );
    let m = env.exported("127.0.0.1:comment:3200001:5716352");
    assert_eq!(m["status"], "responded");
    assert_eq!(m["response_url"], format!("{}/comment/3200099", s.url("/lemmy")));
    let ours: String = env.sql(&format!("SELECT response_id FROM mentions WHERE id = {id}"));
    assert_eq!(ours, "127.0.0.1:comment:3200099:5716352");
    // Rin answers our reply, without the word the search looks for: the comments under our
    // reply are asked of the instance.
    let search: serde_json::Value = serde_json::from_slice(&fixture("lemmy/search.json")).unwrap();
    let mut answer = search["comments"][1].clone();
    answer["comment"]["id"] = serde_json::json!(3200150);
    answer["comment"]["path"] = serde_json::json!("0.3200001.3200099.3200150");
    answer["comment"]["content"] = serde_json::json!("Works now, thanks!");
    answer["comment"]["published"] = serde_json::json!(chrono::Utc::now().to_rfc3339());
    s.route(
        "/lemmy/api/v3/comment/list",
        Response::ok(serde_json::json!({ "comments": [answer] }).to_string()),
    );
    assert!(env.run(&["poll", "--once"]).status.success());
    let asked = &s.requests_to("/lemmy/api/v3/comment/list")[0];
    assert_eq!(asked.query_param("parent_id").as_deref(), Some("3200099"));
    assert_eq!(asked.header("authorization"), Some("Bearer write-token"));
    let back = env.exported("127.0.0.1:comment:3200150:5716352");
    assert_eq!(back["status"], "open", "a follow-up to our answer: {back}");
    assert_eq!(back["assignee"], "alice");
    assert_eq!(back["conversation_id"], m["conversation_id"]);
}

/// YouTube replies go out with the OAuth token (`reply_token_env`), not the API key: a comment is
/// answered in its thread (`comments.insert`), a video with a new thread under it
/// (`commentThreads.insert`); without the token, the answer is handed off.
#[test]
fn youtube_replies_answer_a_comment_in_its_thread_and_a_video_under_it() {
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
        Response::ok(r#"{"kind":"youtube#channelListResponse","items":[]}"#),
    );
    s.route(
        "/youtube/v3/videos",
        Response::ok(r#"{"kind":"youtube#videoListResponse","items":[]}"#),
    );
    s.route(
        "/youtube/v3/comments",
        Response::ok(r#"{"kind":"youtube#comment","id":"UgwI_ylXVnzPS8Q-oAV4AaABAg.9abcDEF","snippet":{"videoId":"F1UP7wRCPH8","parentId":"UgwI_ylXVnzPS8Q-oAV4AaABAg","textOriginal":"Glad you liked it!"}}"#),
    );
    let env = env_with(&format!(
        "[[feed]]\nname = \"yt\"\nkind = \"youtube\"\nquery = \"acme\"\ntoken_env = \"YT_KEY\"\nreply_token_env = \"OH_TOKEN\"\nurl = \"{}\"\nvideos = [\"F1UP7wRCPH8\"]\n",
        s.url("")
    ))
    .var("YT_KEY", "read-key");
    assert!(env.run(&["poll", "--once"]).status.success());
    let id = env.id_of("UgwI_ylXVnzPS8Q-oAV4AaABAg");
    let out = env.run_stdin(&["reply", &id, "--text-file", "-"], "Glad you liked it!");
    assert!(out.status.success(), "{}", text(&out));
    let post = &s.requests_to("/youtube/v3/comments")[0];
    assert_eq!(post.method, "POST");
    assert_eq!(post.query_param("part").as_deref(), Some("snippet"));
    assert_eq!(
        post.header("authorization"),
        Some("Bearer write-token"),
        "the OAuth token, not the key"
    );
    let body: serde_json::Value = serde_json::from_slice(&post.body).unwrap();
    assert_eq!(
        body,
        serde_json::json!({"snippet": {"parentId": "UgwI_ylXVnzPS8Q-oAV4AaABAg", "textOriginal": "Glad you liked it!"}})
    );
    let m = env.exported("UgwI_ylXVnzPS8Q-oAV4AaABAg");
    assert_eq!(m["status"], "responded");
    assert_eq!(
        m["response_url"],
        "https://www.youtube.com/watch?v=F1UP7wRCPH8&lc=UgwI_ylXVnzPS8Q-oAV4AaABAg.9abcDEF"
    );
    // A video: a new thread under it.
    s.route(
        "/youtube/v3/commentThreads",
        Response::ok(r#"{"kind":"youtube#commentThread","id":"UgzNEW","snippet":{"videoId":"LrQWzOkC0XQ","topLevelComment":{"id":"UgzNEW","snippet":{"videoId":"LrQWzOkC0XQ"}}}}"#),
    );
    let video = env.id_of("LrQWzOkC0XQ");
    let out = env.run_stdin(&["reply", &video, "--text-file", "-"], "Thanks for the shout-out!");
    assert!(out.status.success(), "{}", text(&out));
    let post = s
        .requests_to("/youtube/v3/commentThreads")
        .into_iter()
        .find(|r| r.method == "POST")
        .unwrap();
    let body: serde_json::Value = serde_json::from_slice(&post.body).unwrap();
    assert_eq!(
        body,
        serde_json::json!({"snippet": {"videoId": "LrQWzOkC0XQ", "topLevelComment": {"snippet": {"textOriginal": "Thanks for the shout-out!"}}}})
    );
    let ours: String = env.sql(&format!("SELECT response_id FROM mentions WHERE id = {video}"));
    assert_eq!(ours, "UgzNEW");
    next_poll_counts_every_call_and_reads_every_list(&s, &env);
}

/// After the YouTube replies above: the next poll watches both answers' threads, and every
/// request the two polls sent is counted against the day's quota.
fn next_poll_counts_every_call_and_reads_every_list(s: &FixtureServer, env: &Env) {
    // A search costs 100 units, any other list 1; the rest of a comment's thread
    // (`comments.list` by its parent) too.
    let o = env.run(&["poll", "--once"]);
    assert!(o.status.success(), "{}", text(&o));
    let gets = |path: &str| {
        s.requests_to(path)
            .into_iter()
            .filter(|r| r.method == "GET")
            .collect::<Vec<_>>()
    };
    let rest = gets("/youtube/v3/comments");
    assert!(
        rest.iter()
            .any(|r| r.query_param("parentId").as_deref() == Some("UgwI_ylXVnzPS8Q-oAV4AaABAg")),
        "the answered comment's thread read whole"
    );
    let units = 100 * gets("/youtube/v3/search").len()
        + [
            "/youtube/v3/commentThreads",
            "/youtube/v3/channels",
            "/youtube/v3/videos",
        ]
        .iter()
        .map(|p| gets(p).len())
        .sum::<usize>()
        + rest.len();
    let spent: i64 = env.sql("SELECT json_extract(cursor, '$.spent.units') FROM feeds WHERE name = 'yt'");
    assert_eq!(spent, units as i64);
    // The search pages without end here (every page says there is another): the second poll
    // reads three pages of it, then the video's comments all the same.
    assert_eq!(gets("/youtube/v3/search").len(), 1 + 3);
    let video_threads = gets("/youtube/v3/commentThreads")
        .into_iter()
        .filter(|r| r.query_param("videoId").as_deref() == Some("F1UP7wRCPH8"))
        .count();
    assert_eq!(video_threads, 2, "each poll reads the listed video's comments");
}

/// Google Play: signed in as the service account (a JWT for an access token), the app's reviews
/// read, a reply posted by `reviews.reply`; a key file others may read is refused unread.
#[test]
fn google_play_reviews_are_read_and_answered_as_the_service_account() {
    use std::os::unix::fs::PermissionsExt;
    let s = FixtureServer::start();
    s.route(
        "/gp/token",
        Response::ok(r#"{"access_token":"ya29.test-token","expires_in":3599,"token_type":"Bearer"}"#),
    );
    let reviews = "/gp/androidpublisher/v3/applications/com.example.app/reviews";
    s.route(reviews, Response::ok(fixture("googleplay/reviews_list.json")));
    let review = "gp:AOqpTOH4w8mXw1lbvSD2aa5lW3gm5ZZm6P4y_kM2Y6r1";
    s.route(
        &format!("{reviews}/{review}:reply"),
        Response::ok(fixture("googleplay/reply.json")),
    );
    let env = env_with(&format!(
        "[[feed]]\nname = \"play\"\nkind = \"googleplay\"\napp = \"com.example.app\"\nkey_file = \"sa.json\"\nurl = \"{}\"\n",
        s.url("/gp")
    ));
    let key = env.file(
        "sa.json",
        &String::from_utf8(fixture("googleplay/service_account.json")).unwrap(),
    );
    // Readable by others: refused, and said how to fix it.
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = env.run(&["poll", "--once"]);
    assert!(!out.status.success());
    assert!(text(&out).contains("chmod 600"), "{}", text(&out));
    assert!(s.requests_to("/gp/token").is_empty(), "nothing sent with it");
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
    let out = env.run(&["poll", "--once"]);
    assert!(out.status.success(), "{}", text(&out));
    let sign_in = &s.requests_to("/gp/token")[0];
    let form: std::collections::HashMap<String, String> =
        url::form_urlencoded::parse(&sign_in.body).into_owned().collect();
    assert_eq!(form["grant_type"], "urn:ietf:params:oauth:grant-type:jwt-bearer");
    assert_eq!(form["assertion"].split('.').count(), 3, "a signed JWT");
    let list = &s.requests_to(reviews)[0];
    assert_eq!(list.header("authorization"), Some("Bearer ya29.test-token"));
    let m = env.exported(review);
    assert!(
        m["text"].as_str().unwrap().contains("crashes when I open my cart"),
        "{m}"
    );
    let id = env.id_of(review);
    let out = env.run_stdin(
        &["reply", &id, "--text-file", "-"],
        "Sorry! 4.1.1 fixes the cart; it is rolling out now.",
    );
    assert!(out.status.success(), "{}", text(&out));
    let post = &s.requests_to(&format!("{reviews}/{review}:reply"))[0];
    assert_eq!(post.method, "POST");
    assert_eq!(post.header("authorization"), Some("Bearer ya29.test-token"));
    let body: serde_json::Value = serde_json::from_slice(&post.body).unwrap();
    assert_eq!(
        body,
        serde_json::json!({"replyText": "Sorry! 4.1.1 fixes the cart; it is rolling out now."})
    );
    assert_eq!(env.exported(review)["status"], "responded");
    // The key is in no output, no row, no log.
    let log = std::fs::read_to_string(env.home().join(".local/state/overhear/overhear.log")).unwrap_or_default();
    for haystack in [text(&out), log, format!("{:?}", env.rows("SELECT * FROM feeds"))] {
        assert!(!haystack.contains("PRIVATE KEY") && !haystack.contains("ya29.test-token"));
    }
}
