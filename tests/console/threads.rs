//! The thread around a mention in a real terminal: `enter` opens the mention, the detail asks its
//! source for the thread (a recorded Bluesky `getPostThread`, served slowly on 127.0.0.1), says it
//! is fetching while the keys still work, then shows what the mention answers above it and the
//! replies under it; and the follow-up loop: our answer, handed off, found in its thread, and the
//! customer's answer to it on one line of the stream. `overhear thread` is in `tests/cli/threads.rs`.

use crate::common::{bluesky_with_thread, timeout};
use std::time::Duration;

#[test]
fn opening_a_mention_fetches_its_thread_without_blocking_the_screen() {
    let (s, env) = bluesky_with_thread(Duration::from_secs(2));
    let t = env.console(120, 40);
    t.wait_for("If Bluesky is invite only", timeout(20)).unwrap();
    // Before it is opened, nothing is asked; the detail says how to ask.
    t.wait_for("Thread · enter to fetch it", timeout(5)).unwrap();
    assert!(s.requests_to("/xrpc/app.bsky.feed.getPostThread").is_empty());
    t.send_key("Enter");
    t.wait_for("fetching it from the source", timeout(5)).unwrap();
    // The screen answers while the source is slow: the help opens and closes.
    t.send_key("?");
    t.wait_for("Keys ·", timeout(2)).unwrap();
    t.send_key("Esc");
    t.wait_gone("Keys ·", timeout(2)).unwrap();
    t.wait_for("Thread · 5 replies", timeout(10)).unwrap();
    let screen = t.screen();
    assert!(screen.contains("↑ mattbinder.bsky.social"), "{screen}");
    assert!(screen.contains("dnasis.bsky.social"), "{screen}");
    assert!(screen.contains("│ Many people sign up for Bluesky"), "{screen}");
    let asked = s.requests_to("/xrpc/app.bsky.feed.getPostThread");
    assert_eq!(asked.len(), 1);
    // Kept for the next time: going back and opening it again asks nothing more.
    t.send_key("Esc");
    t.send_key("Enter");
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(s.requests_to("/xrpc/app.bsky.feed.getPostThread").len(), 1);
    let kept: i64 = env.sql("SELECT count(*) FROM thread_posts");
    assert_eq!(kept, 6);
}

/// The whole loop as a community manager lives it: answer a Hacker News story by copy and link,
/// and a minute later the author's answer to our reply is on one line of the stream (`↩ answered
/// us`), open and ours; opening it shows the exchange, our answer marked. The poller found our
/// reply in the story's thread by its words.
#[test]
fn the_customer_we_answered_by_hand_answers_and_the_stream_says_so_on_one_line() {
    let s = crate::FixtureServer::start();
    s.route(
        "/hn/api/v1/search_by_date",
        crate::Response::ok(crate::fixture("hackernews/hn_search_by_date.json")),
    );
    let now = chrono::Utc::now().timestamp();
    let item = |id: i64, parent: Option<i64>, author: &str, at: i64, text: &str, children: Vec<serde_json::Value>| {
        serde_json::json!({"id": id, "parent_id": parent, "author": author, "created_at_i": at,
            "text": text, "children": children})
    };
    let tree = item(
        49520915,
        None,
        "kelvinrow",
        1_795_179_764,
        "",
        vec![item(
            60000001,
            Some(49520915),
            "acme_care",
            now + 5,
            "<p>Thanks, fixed in 1.2!</p>",
            vec![item(
                60000002,
                Some(60000001),
                "kelvinrow",
                now + 30,
                "<p>Still crashing on 1.2 for me, sadly.</p>",
                vec![],
            )],
        )],
    );
    s.route("/hn/api/v1/items/49520915", crate::Response::json(&tree));
    let env = crate::Env::with_config(&format!(
        "[console]\noperator = \"alice\"\n\n[[feed]]\nname = \"hn\"\nkind = \"hackernews\"\nquery = \"sqlite\"\n\
         url = \"{}\"\nevery = \"2s\"\n",
        s.url("/hn")
    ));
    let t = env.console(120, 36);
    t.wait_for("kelvinrow", timeout(20)).unwrap();
    t.select_row("kelvinrow");
    t.send_key("r");
    t.wait_for("Reply ·", timeout(5)).unwrap();
    t.send(b"Thanks, fixed in 1.2!");
    t.wait_for("Thanks, fixed in 1.2!", timeout(5)).unwrap();
    t.send_key("C-s");
    t.wait_for("Mark as responded? y/n", timeout(5)).unwrap();
    t.send(b"y");
    t.wait_for("marked responded", timeout(5)).unwrap();
    // The next poll reads the story's thread and finds what answered us: newer than what the
    // stream shows, it is counted above; `g` goes to it.
    t.wait_for("1 more above", timeout(20)).unwrap();
    t.send_key("g");
    t.wait_for("↩ answered us", timeout(5)).unwrap();
    let line = t.rows().into_iter().find(|l| l.contains("↩ answered us")).unwrap();
    assert!(line.contains("Still crashing"), "{line}");
    assert!(!s.requests_to("/hn/api/v1/items/49520915").is_empty());
    t.select_row("↩ answered us");
    t.send_key("Enter");
    t.wait_for("(ours)", timeout(5)).unwrap();
    let screen = t.screen();
    assert!(screen.contains("Thanks, fixed in 1.2!"), "{screen}");
    let back: (String, String) = (
        env.sql("SELECT status FROM mentions WHERE external_id = '60000002'"),
        env.sql("SELECT assignee FROM mentions WHERE external_id = '60000002'"),
    );
    assert_eq!(back, ("open".to_string(), "alice".to_string()));
}
