//! The thread around a mention in a real terminal: `enter` opens the mention, the detail asks its
//! source for the thread (a recorded Bluesky `getPostThread`, served slowly on 127.0.0.1), says it
//! is fetching while the keys still work, then shows what the mention answers above it and the
//! replies under it. `overhear thread` is in `tests/cli/threads.rs`.

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
