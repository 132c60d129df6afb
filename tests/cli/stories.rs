//! One story seen in many places and the conversations around mentions, from a script: what
//! `overhear export` and `overhear stats` say of them after a real poll.

use crate::common::env::{Env, stderr, stdout};
use crate::common::fixture;
use crate::common::server::{FixtureServer, Response};

/// A recorded Hacker News search (two stories, each with a comment) and a blog whose feed carries
/// the article one of the HN stories links to, through a tracking parameter.
fn polled() -> (FixtureServer, Env) {
    let s = FixtureServer::start();
    s.route(
        "/hn/api/v1/search_by_date",
        Response::ok(fixture("hackernews/hn_search_by_date.json")),
    );
    let at = (chrono::Utc::now() - chrono::Duration::hours(1)).to_rfc2822();
    s.route(
        "/blog.rss",
        Response::ok(format!(
            "<rss version=\"2.0\"><channel><title>Blog</title>\
             <item><guid>qp</guid><title>SQLite's query planner, explained</title>\
             <link>https://www.example.com/blog/sqlite-query-planner/?utm_source=rss</link>\
             <description>How the planner picks an index.</description><pubDate>{at}</pubDate></item>\
             <item><guid>other</guid><title>Ten things we learned running SQLite in production</title>\
             <link>https://example.com/blog/ten-things</link>\
             <description>Backups, WAL and more.</description><pubDate>{at}</pubDate></item>\
             </channel></rss>"
        )),
    );
    let env = Env::with_config(&format!(
        "[[feed]]\nname = \"hn\"\nkind = \"hackernews\"\nquery = \"sqlite\"\nurl = \"{}\"\n\n\
         [[feed]]\nname = \"blog\"\nkind = \"rss\"\nurl = \"{}\"\n",
        s.url("/hn"),
        s.url("/blog.rss")
    ));
    let out = env.run(&["poll", "--once"]);
    assert!(out.status.success(), "{}", crate::common::env::text(&out));
    (s, env)
}

fn exported(env: &Env) -> Vec<serde_json::Value> {
    let out = env.run(&["export", "--format", "jsonl"]);
    assert!(out.status.success(), "{}", stderr(&out));
    stdout(&out).lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

#[test]
fn one_story_is_one_group_and_a_comment_joins_its_storys_conversation() {
    let (_s, env) = polled();
    let rows = exported(&env);
    assert_eq!(rows.len(), 6, "{rows:#?}");
    let by = |ext: &str| {
        rows.iter()
            .find(|r| r["external_id"] == ext)
            .unwrap_or_else(|| panic!("{ext}"))
    };
    // The HN story and the blog's post lead to the same page: one story.
    let (hn, blog) = (by("49518731"), by("qp"));
    assert_eq!(hn["group_id"], blog["group_id"], "{hn} / {blog}");
    assert_ne!(by("other")["group_id"], blog["group_id"]);
    // A comment belongs to its story's conversation (the story stored, the comment answering it).
    let (story, comment) = (by("49520915"), by("49521877"));
    assert_eq!(comment["conversation_id"], story["id"]);
    assert_eq!(story["conversation_id"], story["id"]);
    // A comment whose story is not stored starts no conversation with anything.
    assert!(by("49520112")["conversation_id"].is_null());
    // Stats count the story once among the mentions.
    let out = env.run(&["stats", "--days", "400", "--format", "json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let days: Vec<serde_json::Value> = serde_json::from_str(&stdout(&out)).unwrap();
    let sum = |k: &str| days.iter().map(|d| d[k].as_i64().unwrap()).sum::<i64>();
    assert_eq!(sum("mentions"), 6);
    assert_eq!(sum("stories"), 5);
    assert!(
        days.iter()
            .all(|d| d.get("median_next_reply_secs").is_some() && d.get("p90_next_reply_secs").is_some())
    );
    // CSV carries the same columns.
    let out = env.run(&["export", "--format", "csv"]);
    let header = stdout(&out).lines().next().unwrap().to_string();
    assert!(header.ends_with("group_id,conversation_id"), "{header}");
}

/// After we answer a Mastodon status by API, the poller asks the instance what answered our reply:
/// the customer's answer is stored even though the feed's rules would drop its words, comes back
/// open to whoever answered, tagged `follow-up`, in the conversation.
#[test]
fn the_customers_answer_to_our_mastodon_reply_comes_back_open_to_whoever_answered() {
    let s = FixtureServer::start();
    s.route(
        "/api/v1/timelines/tag/hoot",
        Response::ok(fixture("mastodon/timelines_tag_hoot.json")),
    );
    s.route(
        "/api/v1/statuses",
        Response::ok(r#"{"id":"117020600000000001","url":"http://masto.example/@acme/117020600000000001"}"#),
    );
    let answer = serde_json::json!({
        "ancestors": [],
        "descendants": [{
            "id": "117020700000000001",
            // Its clock says before our reply was recorded: a reply to our answer is a
            // follow-up whatever the clocks say.
            "created_at": (chrono::Utc::now() - chrono::Duration::minutes(10)).to_rfc3339(),
            "in_reply_to_id": "117020600000000001",
            "url": "http://masto.example/@mastodonpy_test_2/117020700000000001",
            "content": "<p>Thanks, but the weather widget still crashes on start.</p>",
            "account": {"acct": "mastodonpy_test_2", "display_name": "Test", "followers_count": 3},
            "replies_count": 0, "reblogs_count": 0, "favourites_count": 0
        }]
    });
    s.route(
        "/api/v1/statuses/117020600000000001/context",
        Response::ok(answer.to_string()),
    );
    let env = crate::replies::env_with(&format!(
        "[[feed]]\nname = \"hoot\"\nkind = \"mastodon\"\ntag = \"hoot\"\nurl = \"{}\"\n\
         token_env = \"OH_TOKEN\"\nexclude = \"weather\"\n",
        s.url("")
    ));
    assert!(env.run(&["poll", "--once"]).status.success());
    // Nothing sent yet: nothing watched.
    assert!(s.requests_to("/api/v1/statuses/117020600000000001/context").is_empty());
    let id = env.id_of("117020593741189701");
    let out = env.run_stdin(&["reply", &id, "--text-file", "-"], "Thanks for trying it!\n");
    assert!(out.status.success(), "{}", crate::common::env::text(&out));
    let out = env.run(&["poll", "--once", "--force"]);
    assert!(out.status.success(), "{}", crate::common::env::text(&out));
    let asked = s.requests_to("/api/v1/statuses/117020600000000001/context");
    assert_eq!(asked.len(), 1);
    assert_eq!(asked[0].header("authorization"), Some("Bearer write-token"));
    let back = env.exported("117020700000000001");
    assert_eq!(back["status"], "open");
    assert_eq!(back["assignee"], "alice");
    let original = env.exported("117020593741189701");
    assert_eq!(back["conversation_id"], original["id"]);
    let tagged: i64 = env.sql(&format!(
        "SELECT count(*) FROM mention_tags WHERE tag = 'follow-up' AND mention_id = {}",
        back["id"]
    ));
    assert_eq!(tagged, 1);
}

/// The same on Bluesky: our reply's thread (`getPostThread` on the reply we created) holds the
/// customer's answer under it; it is stored, comes back open to whoever answered, tagged.
#[test]
fn the_customers_answer_to_our_bluesky_reply_comes_back_open_to_whoever_answered() {
    let s = FixtureServer::start();
    crate::replies::bluesky_signed_in(&s);
    let theirs = "at://did:plc:kvwvcn5iqfooopmyzvb4qzba/app.bsky.feed.post/3kaheyt6vpc22";
    s.route(
        "/xrpc/app.bsky.feed.getPosts",
        Response::ok(format!(
            r#"{{"posts":[{{"uri":"{theirs}","cid":"bafyparent","record":{{"text":""}}}}]}}"#
        )),
    );
    let ours = "at://did:plc:acme/app.bsky.feed.post/3newreply";
    s.route(
        "/xrpc/com.atproto.repo.createRecord",
        Response::ok(format!(r#"{{"uri":"{ours}","cid":"bafynew"}}"#)),
    );
    // Our reply's thread: the post we answered above it, the customer's answer under it.
    let post = |uri: &str, handle: &str, text: &str, parent: Option<&str>| {
        let mut record = serde_json::json!({"text": text, "createdAt": chrono::Utc::now().to_rfc3339()});
        if let Some(p) = parent {
            record["reply"] =
                serde_json::json!({"parent": {"uri": p, "cid": "c"}, "root": {"uri": theirs, "cid": "c"}});
        }
        serde_json::json!({"uri": uri, "cid": "c", "author": {"did": "did:plc:z", "handle": handle},
            "record": record, "indexedAt": chrono::Utc::now().to_rfc3339()})
    };
    let answer = "at://did:plc:kvwvcn5iqfooopmyzvb4qzba/app.bsky.feed.post/3kanswer";
    let thread = serde_json::json!({"thread": {
        "$type": "app.bsky.feed.defs#threadViewPost",
        "post": post(ours, "acme.example.com", "Nice photo!", Some(theirs)),
        "parent": {"$type": "app.bsky.feed.defs#threadViewPost", "post": post(theirs, "test.marshal.dev", "", None)},
        "replies": [{"$type": "app.bsky.feed.defs#threadViewPost",
            "post": post(answer, "test.marshal.dev", "Thanks! Where can I buy the lens?", Some(ours)), "replies": []}]
    }});
    s.route("/xrpc/app.bsky.feed.getPostThread", Response::json(&thread));
    let env = crate::replies::env_with(&format!(
        "[[feed]]\nname = \"sky\"\nkind = \"bluesky\"\nquery = \"acme\"\nidentifier = \"acme.example.com\"\ntoken_env = \"OH_TOKEN\"\nurl = \"{}\"\n",
        s.url("")
    ));
    assert!(env.run(&["poll", "--once"]).status.success());
    assert!(
        s.requests_to("/xrpc/app.bsky.feed.getPostThread").is_empty(),
        "nothing sent: nothing watched"
    );
    let id = env.id_of(theirs);
    let out = env.run_stdin(&["reply", &id, "--text-file", "-"], "Nice photo!");
    assert!(out.status.success(), "{}", crate::common::env::text(&out));
    let out = env.run(&["poll", "--once", "--force"]);
    assert!(out.status.success(), "{}", crate::common::env::text(&out));
    let asked = s.requests_to("/xrpc/app.bsky.feed.getPostThread");
    assert_eq!(asked.len(), 1);
    assert_eq!(asked[0].query_param("uri").as_deref(), Some(ours));
    assert_eq!(asked[0].header("authorization"), Some("Bearer jwt-9"));
    let back = env.exported(answer);
    assert_eq!(back["status"], "open");
    assert_eq!(back["assignee"], "alice");
    assert_eq!(back["conversation_id"], env.exported(theirs)["id"]);
    let ours_stored: i64 = env.sql(&format!("SELECT count(*) FROM mentions WHERE external_id = '{ours}'"));
    assert_eq!(ours_stored, 0, "our own reply is not a mention: only what is under it");
}

/// Reddit takes no replies from overhear: the operator posts ours by hand. The next poll, though
/// the search answers 304, reads the post's comments, finds our reply there by its words (keeping
/// its id), and stores what answered it and what the customer wrote after it: open, to whoever
/// answered, tagged, in the conversation. A stranger's comment and our own are not follow-ups.
#[test]
fn a_reply_handed_off_on_reddit_is_found_in_its_thread_and_what_answers_it_comes_back() {
    let s = FixtureServer::start();
    s.route(
        "/r/selfhosted/search.rss",
        Response::ok(fixture("reddit/rss_2.0_reddit.xml")).etag("\"v1\""),
    );
    let env = crate::replies::env_with(&format!(
        "[[feed]]\nname = \"reddit\"\nkind = \"reddit\"\nquery = \"site:kevincox.ca\"\nsubreddit = \"selfhosted\"\nurl = \"{}\"\n",
        s.url("")
    ));
    assert!(env.run(&["poll", "--once"]).status.success());
    let id = env.id_of("t3_qksbf1");
    let ours = "Thanks for the write-up! The sync bug is fixed in 2.3, tell us if it comes back.";
    let out = env.run_stdin(&["reply", &id, "--text-file", "-"], ours);
    assert!(out.status.success(), "{}", crate::common::env::text(&out));
    assert!(stdout(&out).contains("answered by hand"), "{}", stdout(&out));
    s.route("/comments/qksbf1.json", Response::json(&reddit_thread_after_ours()));
    let out = env.run(&["poll", "--once", "--force"]);
    assert!(out.status.success(), "{}", crate::common::env::text(&out));
    let searched = s.requests_to("/r/selfhosted/search.rss");
    assert_eq!(
        searched.last().unwrap().header("if-none-match"),
        Some("\"v1\""),
        "the search answered 304"
    );
    assert_eq!(s.requests_to("/comments/qksbf1.json").len(), 1);
    let learned: String = env.sql(&format!("SELECT response_id FROM mentions WHERE id = {id}"));
    assert_eq!(learned, "t1_ours", "our reply's id, found by its words");
    for answer in ["t1_back", "t1_again"] {
        let back = env.exported(answer);
        assert_eq!(back["status"], "open", "{answer}");
        assert_eq!(back["assignee"], "alice", "{answer}");
        assert_eq!(back["conversation_id"].to_string(), id, "{answer}");
        let tagged: i64 = env.sql(&format!(
            "SELECT count(*) FROM mention_tags WHERE tag = 'follow-up' AND mention_id = {}",
            back["id"]
        ));
        assert_eq!(tagged, 1, "{answer}");
    }
    let others: i64 =
        env.sql("SELECT count(*) FROM mentions WHERE external_id IN ('t1_stranger', 't1_ours', 't1_ours2')");
    assert_eq!(others, 0, "a stranger's comment and our own are not follow-ups");
    // The feed's validators stand: the next poll is conditional again.
    let etag: String = env.sql("SELECT etag FROM feeds WHERE name = 'reddit'");
    assert_eq!(etag, "\"v1\"");
}

/// The post's comments as Reddit shows them after we posted ours (the shape of the recorded
/// `reddit/comments.json`): ours, a reply under it, the author back further down, a stranger, and
/// another of ours.
fn reddit_thread_after_ours() -> serde_json::Value {
    let now = chrono::Utc::now().timestamp();
    let comment = |name: &str, parent: &str, author: &str, at: i64, body: &str, replies: serde_json::Value| {
        serde_json::json!({"kind": "t1", "data": {"name": name, "parent_id": parent, "author": author,
            "body": body, "created_utc": at as f64, "permalink": format!("/r/selfhosted/comments/qksbf1/x/{name}/"),
            "replies": replies}})
    };
    let listing =
        |children: Vec<serde_json::Value>| serde_json::json!({"kind": "Listing", "data": {"children": children}});
    serde_json::json!([
        listing(vec![
            serde_json::json!({"kind": "t3", "data": {"name": "t3_qksbf1", "author": "kevincox_ca",
            "title": "Sync", "selftext": "", "created_utc": 1_635_800_000.0}})
        ]),
        listing(vec![
            comment(
                "t1_ours",
                "t3_qksbf1",
                "acme_care",
                now + 30,
                "Thanks for the write-up!  The sync bug is fixed in **2.3**, tell us if it comes back.",
                listing(vec![comment(
                    "t1_back",
                    "t1_ours",
                    "kevincox_ca",
                    now + 90,
                    "It came back on 2.3.1, sadly.",
                    serde_json::json!("")
                )])
            ),
            comment(
                "t1_stranger",
                "t3_qksbf1",
                "someone",
                now + 60,
                "first!",
                serde_json::json!("")
            ),
            comment(
                "t1_again",
                "t3_qksbf1",
                "kevincox_ca",
                now + 120,
                "Also: any ETA for the fix?",
                serde_json::json!("")
            ),
            comment(
                "t1_ours2",
                "t3_qksbf1",
                "acme_care",
                now + 150,
                "We are on it.",
                serde_json::json!("")
            ),
        ]),
    ])
}

/// On X, after we answer by API, the poller searches the tweet's conversation
/// (`conversation_id:ROOT`, X's only way to see a thread): the customer's answer to our reply comes
/// back as a follow-up; someone else's reply to another tweet of the conversation does not.
#[test]
fn the_customers_answer_to_our_x_reply_is_found_by_its_conversation() {
    let s = FixtureServer::start();
    let now = chrono::Utc::now();
    let conversation = serde_json::json!({
        "data": [
            {"id": "2123999999999999999", "text": "We're on it", "author_id": "999", "conversation_id": "2123810016713650181",
             "created_at": now.to_rfc3339(), "referenced_tweets": [{"type": "replied_to", "id": "2123810016713650181"}]},
            {"id": "2124000000000000001", "text": "@acme thanks, it works again!", "author_id": "1357924680",
             "conversation_id": "2123810016713650181", "created_at": (now + chrono::Duration::minutes(5)).to_rfc3339(),
             "referenced_tweets": [{"type": "replied_to", "id": "2123999999999999999"}]},
            {"id": "2124000000000000002", "text": "same problem here", "author_id": "24681357",
             "conversation_id": "2123810016713650181", "created_at": (now + chrono::Duration::minutes(6)).to_rfc3339(),
             "referenced_tweets": [{"type": "replied_to", "id": "2123810016713650181"}]}
        ],
        "includes": {"users": [
            {"id": "1357924680", "username": "lenabrandt_dev", "name": "Lena"},
            {"id": "24681357", "username": "db_newbie_42", "name": "New"},
            {"id": "999", "username": "acme", "name": "Acme"}
        ]},
        "meta": {"result_count": 3}
    });
    let search = fixture("x/search_recent_expanded.json");
    s.route_with("/2/tweets/search/recent", move |req| {
        if req
            .query_param("query")
            .is_some_and(|q| q.starts_with("conversation_id:"))
        {
            Response::json(&conversation)
        } else {
            Response::ok(search.clone())
        }
    });
    s.route(
        "/2/tweets",
        Response::ok(r#"{"data":{"id":"2123999999999999999","text":"We're on it"}}"#).status(201),
    );
    let env = crate::replies::env_with(&format!(
        "[[feed]]\nname = \"x\"\nkind = \"x\"\nquery = \"acme\"\nurl = \"{}\"\ntoken_env = \"OH_TOKEN\"\n",
        s.url("")
    ));
    assert!(env.run(&["poll", "--once"]).status.success());
    let id = env.id_of("2123810016713650181");
    let out = env.run_stdin(&["reply", &id, "--text-file", "-"], "We're on it");
    assert!(out.status.success(), "{}", crate::common::env::text(&out));
    let out = env.run(&["poll", "--once", "--force"]);
    assert!(out.status.success(), "{}", crate::common::env::text(&out));
    let asked: Vec<String> = s
        .requests_to("/2/tweets/search/recent")
        .iter()
        .filter_map(|r| r.query_param("query"))
        .filter(|q| q.starts_with("conversation_id:"))
        .collect();
    assert_eq!(asked, ["conversation_id:2123810016713650181"]);
    let back = env.exported("2124000000000000001");
    assert_eq!(back["status"], "open");
    assert_eq!(back["assignee"], "alice");
    assert_eq!(back["conversation_id"].to_string(), id);
    let others: i64 =
        env.sql("SELECT count(*) FROM mentions WHERE external_id IN ('2124000000000000002', '2123999999999999999')");
    assert_eq!(others, 0, "a reply to someone else, and ours, are not follow-ups");
}
