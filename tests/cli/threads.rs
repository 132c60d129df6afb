//! The thread around a mention, asked of its source: `overhear thread` on a recorded Bluesky
//! `getPostThread` (tests/fixtures/bluesky/get_post_thread.json) served on 127.0.0.1, the mention
//! itself stored by a poll of a search page holding that recorded post.

use crate::common::env::{stderr, stdout};
use crate::common::server::Response;
use crate::common::{THREAD_POST as URI, bluesky_with_thread};
use std::time::Duration;

#[test]
fn a_mentions_thread_is_asked_of_its_source_kept_and_printed_in_order() {
    let (s, env) = bluesky_with_thread(Duration::ZERO);
    let id = env.id_of(URI);
    let out = env.run(&["thread", &id]);
    let text = stdout(&out);
    assert!(out.status.success(), "{text}{}", stderr(&out));
    // The request: the post's AT-URI, signed in.
    let asked = &s.requests_to("/xrpc/app.bsky.feed.getPostThread")[0];
    assert_eq!(asked.query_param("uri").as_deref(), Some(URI));
    assert_eq!(asked.header("authorization"), Some("Bearer jwt-1"));
    // What it answers above the mention, the replies under it, nested ones indented.
    let at = |needle: &str| {
        text.find(needle)
            .unwrap_or_else(|| panic!("{needle} missing from:\n{text}"))
    };
    assert!(at("mattbinder.bsky.social") < at("▸ this mention"));
    assert!(at("▸ this mention") < at("dnasis.bsky.social"));
    assert!(
        text.contains("\n  dnasis.bsky.social"),
        "a reply to the mention: {text}"
    );
    assert!(
        text.contains("\n    dnasis.bsky.social"),
        "a reply to that reply: {text}"
    );
    assert!(
        text.contains("│ Many people sign up for Bluesky via code or waitlist"),
        "{text}"
    );
    assert!(
        !text.contains("chadmichael.bsky.social ·"),
        "the mention is not its own context: {text}"
    );
    // Kept: six posts around it (one above, five below), shown again without asking.
    let kept: i64 = env.sql(&format!("SELECT count(*) FROM thread_posts WHERE mention_id = {id}"));
    assert_eq!(kept, 6);
    let again = env.run(&["thread", &id, "--cached"]);
    assert_eq!(stdout(&again).lines().count(), text.lines().count());
    assert_eq!(s.requests_to("/xrpc/app.bsky.feed.getPostThread").len(), 1);
    // A source that fails is said; what was kept stays and says that the last fetch failed.
    s.route(
        "/xrpc/app.bsky.feed.getPostThread",
        Response::ok("upstream down \x1b[31m").status(503),
    );
    let out = env.run(&["thread", &id]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("was not fetched"), "{err}");
    assert!(!err.contains('\x1b'), "{err:?}");
    let text = stdout(&out);
    assert!(
        text.contains("dnasis.bsky.social") && text.contains("the last fetch failed"),
        "{text}"
    );
    // A mention whose source has no threads is told so.
    let out = env.run(&["thread", "999999"]);
    assert!(stderr(&out).contains("no mention with id 999999"), "{}", stderr(&out));
}
