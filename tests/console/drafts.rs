//! Writing replies in a real pseudo-terminal: drafts that survive kill -9, saved replies with
//! variables, an `$EDITOR` round trip, handing off with OSC 52 and marking responded, and sending
//! through a local server playing Mastodon (once, with the draft kept when it fails).

use crate::common::env::Env;
use crate::common::server::{FixtureServer, Response};
use crate::common::{SIGHUP, fixture, timeout, wait_until};
use crate::hn_env;
use base64::Engine;

/// The config's `[console]` lines for these tests: a signature with a variable.
const SIGNATURE: &str = "signature = \"— {operator}, Acme support\"\n";

fn draft_in_db(env: &Env) -> Option<String> {
    env.open_db()
        .query_row("SELECT body FROM drafts", [], |r| r.get(0))
        .ok()
}

#[test]
fn a_draft_typed_then_killed_with_sigkill_is_there_after_a_restart() {
    let (env, _s) = hn_env(SIGNATURE, "");
    let mut t = env.console(110, 32);
    t.wait_for("kelvinrow", timeout(20)).unwrap();
    t.select_row("kelvinrow");
    t.send_key("r");
    t.wait_for("Reply ·", timeout(5)).unwrap();
    t.wait_for("> Show HN: Litequeue", timeout(5)).unwrap();
    let typed = "Thanks for the report, we are looking into thi";
    for c in typed.chars() {
        t.send(c.to_string().as_bytes());
    }
    t.wait_for(typed, timeout(5)).unwrap();
    // Saved within a second of the last keystroke, while the editor is still open.
    assert!(
        wait_until(timeout(2), || draft_in_db(&env).as_deref() == Some(typed)),
        "autosaved"
    );
    t.kill();

    let t = env.console(110, 32);
    t.wait_for("kelvinrow", timeout(20)).unwrap();
    t.send_key("3");
    t.wait_for("Drafts · 1 open", timeout(5)).unwrap();
    t.wait_for("✎ alice", timeout(5)).unwrap();
    t.send_key("Enter");
    t.wait_for("Reply ·", timeout(5)).unwrap();
    t.wait_for(typed, timeout(5)).unwrap();
    // Undo works in the editor, and esc keeps the draft.
    t.send(b"s!");
    t.wait_for("looking into this!", timeout(5)).unwrap();
    t.send_key("C-u");
    t.wait_until(|s| !s.contains("this!"), timeout(5), "undone").unwrap();
    t.send_key("Esc");
    t.wait_for("draft saved", timeout(5)).unwrap();
}

#[test]
fn saved_replies_fill_their_variables_and_the_editor_round_trip_works() {
    let (mut env, _s) = hn_env(
        SIGNATURE,
        "\n[[template]]\nname = \"welcome\"\nbody = \"Welcome {author}, from {feed}!\"\n",
    );
    let script = env.file(
        "editor.sh",
        "#!/bin/sh\nprintf '%s\\n' \"$(cat \"$1\") (checked in my editor)\" > \"$1.new\" && mv \"$1.new\" \"$1\"\n",
    );
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    env.set_var("EDITOR", &script.display().to_string());
    env.set_var("VISUAL", "");
    let t = env.console(110, 32);
    t.wait_for("kelvinrow", timeout(20)).unwrap();
    t.select_row("kelvinrow");
    t.send_key("r");
    t.wait_for("Reply ·", timeout(5)).unwrap();
    t.send_key("C-t");
    t.wait_for("Saved replies", timeout(5)).unwrap();
    t.wait_for("welcome", timeout(5)).unwrap();
    t.send(b"sory");
    t.send_key("Enter");
    t.wait_for("Hi kelvinrow, sorry about the trouble.", timeout(5))
        .unwrap();
    t.wait_for("— alice, Acme support", timeout(5)).unwrap();
    t.send_key("C-o");
    t.wait_for("(checked in my editor)", timeout(10)).unwrap();
    t.wait_for("Reply ·", timeout(5)).unwrap();
    assert!(
        wait_until(timeout(3), || draft_in_db(&env).is_some_and(|d| d
            .contains("(checked in my editor)")
            && d.starts_with("Hi kelvinrow, sorry"))),
        "the edited text is saved: {:?}",
        draft_in_db(&env)
    );
    t.send_key("C-g");
    t.wait_for("Discard this draft?", timeout(5)).unwrap();
    t.send(b"y");
    t.wait_for("draft discarded", timeout(5)).unwrap();
    assert!(wait_until(timeout(3), || draft_in_db(&env).is_none()));
}

#[test]
fn without_an_api_the_reply_is_copied_the_link_shown_and_marked_responded() {
    let (env, _s) = hn_env(SIGNATURE, "");
    let t = env.console(110, 32);
    t.wait_for("kelvinrow", timeout(20)).unwrap();
    t.select_row("kelvinrow");
    t.send_key("r");
    t.wait_for("Reply ·", timeout(5)).unwrap();
    t.send(b"Thanks, fixed in 1.2!");
    t.wait_for("Thanks, fixed in 1.2!", timeout(5)).unwrap();
    t.send_key("C-s");
    t.wait_for("Mark as responded? y/n", timeout(5)).unwrap();
    t.wait_for("link: https://news.ycombinator.com/item?id=49520915", timeout(5))
        .unwrap();
    let raw = String::from_utf8_lossy(&t.raw()).into_owned();
    let b64 = base64::engine::general_purpose::STANDARD.encode("Thanks, fixed in 1.2!");
    assert!(raw.contains(&format!("\x1b]52;c;{b64}\x07")), "copied with OSC 52");
    assert!(
        raw.contains("\x1b]8;;https://news.ycombinator.com/item?id=49520915\x1b\\"),
        "the link as OSC 8"
    );
    t.send(b"y");
    t.wait_for("marked responded", timeout(5)).unwrap();
    t.wait_until(
        |s| s.lines().any(|l| l.contains("kelvinrow") && l.contains('✓')),
        timeout(5),
        "responded mark",
    )
    .unwrap();
    let c = env.open_db();
    let (status, by, text, at): (String, String, String, i64) = c
        .query_row(
            "SELECT status, responded_by, response_text, responded_at FROM mentions WHERE external_id = '49520915'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .unwrap();
    assert_eq!(
        (status.as_str(), by.as_str(), text.as_str()),
        ("responded", "alice", "Thanks, fixed in 1.2!")
    );
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    assert!((now - at).abs() < 60, "the response time is recorded");
    // The final text stays readable in the mention's history.
    t.wait_for("↳ alice answered", timeout(5)).unwrap();
    t.wait_for("Thanks, fixed in 1.2!", timeout(5)).unwrap();
}

#[test]
fn a_mastodon_reply_is_sent_once_and_a_failed_send_keeps_the_draft() {
    let s = FixtureServer::start();
    s.route(
        "/api/v1/timelines/tag/hoot",
        Response::ok(fixture("mastodon/timelines_tag_hoot.json")),
    );
    s.route_seq(
        "/api/v1/statuses",
        vec![
            Response::ok(r#"{"error":"Validation failed: Text character limit of 500 exceeded"}"#).status(422),
            Response::ok(r#"{"id":"117020600000000009","url":"http://masto.example/@acme/117020600000000009"}"#),
        ],
    );
    let env = Env::with_config(&format!(
        "[console]\noperator = \"alice\"\n\n[[feed]]\nname = \"hoot\"\nkind = \"mastodon\"\ntag = \"hoot\"\nurl = \"{}\"\ntoken_env = \"OH_MASTO\"\nevery = \"1h\"\n",
        s.url("")
    ))
    .var("OH_MASTO", "write-token");
    let t = env.console(110, 32);
    t.wait_for("mastodonpy_test_2", timeout(20)).unwrap();
    t.send_key("r");
    t.wait_for("Reply · 0/500", timeout(5)).unwrap();
    t.send(b"On it, thanks!");
    t.wait_for("Reply · 14/500", timeout(5)).unwrap();
    t.send_key("C-s");
    t.wait_for("Send this reply on mastodon now?", timeout(5)).unwrap();
    t.send(b"y");
    t.wait_for("not sent: HTTP 422", timeout(10)).unwrap();
    t.send_key("3");
    t.wait_for("On it, thanks!", timeout(5)).unwrap();
    assert_eq!(s.requests_to("/api/v1/statuses").len(), 1);

    t.send_key("Enter");
    t.wait_for("Reply · 14/500", timeout(5)).unwrap();
    t.wait_for("On it, thanks!", timeout(5)).unwrap();
    t.send_key("C-s");
    t.wait_for("Send this reply on mastodon now?", timeout(5)).unwrap();
    t.send(b"y");
    t.wait_for("reply sent and mention marked responded", timeout(10))
        .unwrap();
    let posts = s.requests_to("/api/v1/statuses");
    assert_eq!(posts.len(), 2, "one request per confirmation");
    assert_eq!(posts[1].method, "POST");
    assert_eq!(posts[1].header("authorization"), Some("Bearer write-token"));
    let body: serde_json::Value = serde_json::from_slice(&posts[1].body).unwrap();
    assert_eq!(
        body,
        serde_json::json!({"status": "@mastodonpy_test_2 On it, thanks!", "in_reply_to_id": "117020593741189701"})
    );
    let c = env.open_db();
    let (status, url, drafts): (String, String, i64) = c
        .query_row(
            "SELECT status, response_url, (SELECT count(*) FROM drafts) FROM mentions",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert_eq!(
        (status.as_str(), url.as_str(), drafts),
        ("responded", "http://masto.example/@acme/117020600000000009", 0)
    );
}

#[test]
fn a_dropped_connection_saves_the_last_keystrokes() {
    let (env, _s) = hn_env(SIGNATURE, "");
    let mut t = env.console(110, 32);
    t.wait_for("kelvinrow", timeout(20)).unwrap();
    t.send_key("r");
    t.wait_for("Reply ·", timeout(5)).unwrap();
    t.send(b"typed just before the line dropped");
    t.wait_for("typed just before the line dropped", timeout(5)).unwrap();
    // SIGHUP at once, before the autosave's pause: the draft is saved on the way out.
    t.signal(SIGHUP);
    assert!(t.wait_exit(timeout(10)).is_some(), "overhear stopped on SIGHUP");
    assert_eq!(draft_in_db(&env).as_deref(), Some("typed just before the line dropped"));
}
