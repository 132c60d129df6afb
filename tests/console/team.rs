//! Two teammates' consoles on one database, in real pseudo-terminals: each sees the other, one
//! polls, a claim is seen on the row and asked about before a second answer, and an assignment is
//! said on the assignee's screen when it happens.

use crate::common::pty::Term;
use crate::common::timeout;
use crate::hn_env_on;

/// A Mastodon hashtag feed served on 127.0.0.1 that takes replies (a token in `OH_MASTO`), with
/// `config` before it.
fn hoot_env(pg: Option<&str>, config: &str) -> (crate::common::env::Env, crate::common::server::FixtureServer) {
    use crate::common::server::{FixtureServer, Response};
    let s = FixtureServer::start();
    s.route(
        "/api/v1/timelines/tag/hoot",
        Response::ok(crate::common::fixture("mastodon/timelines_tag_hoot.json")),
    );
    s.route(
        "/api/v1/statuses",
        Response::ok(r#"{"id":"117020600000000009","url":"http://masto.example/@acme/117020600000000009"}"#),
    );
    let mut env = crate::common::env::Env::new();
    if let Some(admin) = pg {
        env.use_postgres(admin);
    }
    env.set_var("OH_MASTO", "write-token");
    env.config(&format!(
        "{config}\n[[feed]]\nname = \"hoot\"\nkind = \"mastodon\"\ntag = \"hoot\"\nurl = \"{}\"\ntoken_env = \"OH_MASTO\"\nevery = \"1h\"\n",
        s.url("")
    ));
    (env, s)
}

#[test]
fn two_consoles_see_each_other_one_polls_claims_are_asked_about_and_assignments_are_said() {
    two_consoles(None);
}

/// The same with the team's database on PostgreSQL: each console with its own connections.
#[test]
fn two_consoles_on_postgres_see_each_other_one_polls_and_claims_are_asked_about() {
    if let Some(admin) = crate::common::pg::server() {
        two_consoles(Some(&admin));
    }
}

fn two_consoles(pg: Option<&str>) {
    let (env, s) = hn_env_on(pg, "", "");
    let mut alice = env.console(120, 32);
    alice.wait_for("kelvinrow", timeout(20)).unwrap();
    alice.wait_for("· polling", timeout(5)).unwrap();
    let mut bob = Term::spawn(env.console_command(&["--operator", "bob"]), 120, 32);
    bob.wait_for("kelvinrow", timeout(20)).unwrap();
    // One poller: bob's console reads what alice's polled, and says who polls.
    bob.wait_for("polled by alice's console", timeout(5)).unwrap();
    assert_eq!(s.requests_to("/hn/api/v1/search_by_date").len(), 1);
    alice.wait_for("with bob", timeout(5)).unwrap();
    bob.wait_for("with alice", timeout(5)).unwrap();

    // Bob opens a reply: his claim shows on alice's row.
    bob.select_row("kelvinrow");
    bob.send_key("r");
    bob.wait_for("Reply ·", timeout(5)).unwrap();
    alice.wait_for("bob ✎", timeout(5)).unwrap();
    // Alice starts a reply to the same mention: she is asked first, and leaves it to bob.
    alice.select_row("kelvinrow");
    alice.send_key("r");
    alice
        .wait_for("bob is answering this now. Write a second answer?", timeout(5))
        .unwrap();
    alice.send_key("n");
    alice.wait_for("left to bob", timeout(5)).unwrap();
    // Bob closes his editor: the claim goes.
    bob.send_key("Esc");
    alice
        .wait_until(|s| !s.contains("bob ✎"), timeout(5), "the claim gone")
        .unwrap();

    // Alice assigns the mention to bob (completion knows him): his console says so.
    alice.send_key("a");
    alice.wait_for("assign to:", timeout(5)).unwrap();
    alice.send(b"bob");
    alice.send_key("Enter");
    bob.wait_for("alice assigned you", timeout(5)).unwrap();
    bob.send_key("v");
    bob.wait_for("assigned to me", timeout(5)).unwrap();

    // Bob leaves: alice no longer sees him.
    bob.send_key("Esc");
    bob.wait_until(|s| !s.contains("assigned to me"), timeout(5), "the menu closed")
        .unwrap();
    bob.send_key("q");
    assert_eq!(bob.wait_exit(timeout(10)), Some(0));
    alice
        .wait_until(|s| !s.contains("with bob"), timeout(5), "bob gone")
        .unwrap();
    alice.send_key("q");
    assert_eq!(alice.wait_exit(timeout(10)), Some(0));
    // Both left: no session and no lease remain.
    assert_eq!(env.sql::<i64>("SELECT count(*) FROM sessions"), 0);
    assert_eq!(env.sql::<i64>("SELECT count(*) FROM leases"), 0);
}

/// `[team] approval`: carol's reply waits; alice, the approver, sees it in the Drafts pane and
/// sends it back with a note, which carol's console says; carol changes it and submits again;
/// alice approves it, which sends it once, recorded as carol's with the approval in the history.
#[test]
fn a_reply_waits_for_an_approver_who_sends_it_back_then_approves_it() {
    let (env, s) = hoot_env(None, "[team]\napproval = true\napprovers = [\"alice\"]\n");
    let mut alice = env.console(120, 32);
    alice.wait_for("mastodonpy_test_2", timeout(20)).unwrap();
    let mut carol = Term::spawn(env.console_command(&["--operator", "carol"]), 120, 32);
    carol.wait_for("mastodonpy_test_2", timeout(20)).unwrap();

    carol.send_key("r");
    carol.wait_for("Reply · 0/500", timeout(5)).unwrap();
    carol.send(b"We are on it");
    carol.wait_for("Reply · 12/500", timeout(5)).unwrap();
    carol.send_key("C-s");
    carol.wait_for("Submit this reply for approval?", timeout(5)).unwrap();
    carol.send(b"y");
    carol.wait_for("submitted for approval by alice", timeout(5)).unwrap();
    assert!(s.requests_to("/api/v1/statuses").is_empty(), "nothing sent yet");

    // Alice sends it back with a note; carol hears it.
    alice.send_key("3");
    alice.wait_for("awaiting approval · We are on it", timeout(5)).unwrap();
    alice.send_key("b");
    alice.wait_for("send back, with a note:", timeout(5)).unwrap();
    alice.send(b"say sorry first");
    alice.send_key("Enter");
    alice.wait_for("sent back to carol", timeout(5)).unwrap();
    carol.wait_for("alice sent your reply", timeout(5)).unwrap();
    carol.wait_for("say sorry first", timeout(5)).unwrap();

    // Carol changes it and submits again.
    carol.send_key("3");
    carol
        .wait_for("sent back by alice: say sorry first", timeout(5))
        .unwrap();
    carol.send_key("Enter");
    carol.wait_for("Reply · 12/500", timeout(5)).unwrap();
    carol.send_key("C-a");
    carol.send(b"Sorry! ");
    carol.wait_for("Reply · 19/500", timeout(5)).unwrap();
    carol.send_key("C-s");
    carol.wait_for("Submit this reply for approval?", timeout(5)).unwrap();
    carol.send(b"y");
    carol.wait_for("submitted for approval by alice", timeout(5)).unwrap();

    // Alice opens it, approves: sent once, recorded as carol's.
    alice
        .wait_for("awaiting approval · Sorry! We are on it", timeout(5))
        .unwrap();
    alice.send_key("Enter");
    alice.wait_for("reviewing carol's reply", timeout(5)).unwrap();
    alice.send_key("C-s");
    alice
        .wait_for("Approve carol's reply and send it on mastodon now?", timeout(5))
        .unwrap();
    alice.send(b"y");
    alice
        .wait_for("reply sent and mention marked responded", timeout(10))
        .unwrap();
    let posts = s.requests_to("/api/v1/statuses");
    assert_eq!(posts.len(), 1);
    let body: serde_json::Value = serde_json::from_slice(&posts[0].body).unwrap();
    assert_eq!(body["status"], "@mastodonpy_test_2 Sorry! We are on it");
    let rows = env.rows(
        "SELECT m.responded_by, (SELECT group_concat(actor || ':' || action, ' ') FROM actions) FROM mentions m WHERE m.status = 'responded'",
    );
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0][0], "carol");
    assert_eq!(
        rows[0][1],
        "carol:submitted alice:returned carol:submitted carol:status carol:reply alice:approved"
    );
    assert_eq!(env.sql::<i64>("SELECT count(*) FROM drafts"), 0);
    for t in [&mut alice, &mut carol] {
        t.send_key("q");
        assert_eq!(t.wait_exit(timeout(10)), Some(0));
    }
}

/// An alert raised by a new mention: the subscribed operator's console shows a banner, rings the
/// bell and sends a desktop notification; a teammate who is not subscribed sees nothing.
#[test]
fn an_alert_reaches_the_subscribed_operator_only() {
    use crate::common::env::Env;
    use crate::common::server::{FixtureServer, Response};
    let s = FixtureServer::start();
    let feed = |items: &[(&str, &str)]| {
        let items: String = items
            .iter()
            .map(|(g, t)| format!("<item><guid>{g}</guid><title>{t}</title></item>"))
            .collect();
        Response::ok(format!("<rss version=\"2.0\"><channel>{items}</channel></rss>"))
    };
    s.route_seq(
        "/feed",
        vec![
            feed(&[("a", "quiet day")]),
            feed(&[("a", "quiet day"), ("b", "Acme is down for everyone")]),
        ],
    );
    let env = Env::with_config(&format!(
        "[stats]\nsla = \"1h\"\n\n[[feed]]\nname = \"blog\"\nkind = \"rss\"\nurl = \"{}\"\nevery = \"2s\"\n\n[[alert]]\nname = \"outage\"\nwhen = \"down OR outage\"\noperators = [\"alice\"]\n",
        s.url("/feed")
    ));
    let mut alice = env.console(120, 30);
    alice.wait_for("quiet day", timeout(20)).unwrap();
    // Each unanswered mention shows its time left against the SLA.
    alice
        .wait_until(
            |s| s.contains("⏱ 1h left") || s.contains("⏱ 59m left"),
            timeout(5),
            "the SLA on the row",
        )
        .unwrap();
    let mut bob = Term::spawn(env.console_command(&["--operator", "bob"]), 120, 30);
    bob.wait_for("quiet day", timeout(20)).unwrap();
    alice
        .wait_for("ALERT outage: “Acme is down for everyone”", timeout(15))
        .unwrap();
    let raw = alice.raw();
    assert!(raw.contains(&0x07), "the bell rang");
    assert!(
        raw.windows(4).any(|w| w == b"\x1b]9;"),
        "a desktop notification was sent"
    );
    // The alert list: newest first; enter goes to the mention and says alice saw it.
    alice.send_key("!");
    alice.wait_for("Alerts · enter go to the mention", timeout(5)).unwrap();
    alice
        .wait_for("outage       when   Acme is down for everyone", timeout(5))
        .unwrap();
    alice.send_key("Enter");
    alice
        .wait_until(|s| !s.contains("Alerts ·"), timeout(5), "the list closed")
        .unwrap();
    let seen = || {
        env.sql::<Option<String>>("SELECT acknowledged_by FROM alerts")
            .as_deref()
            == Some("alice")
    };
    assert!(crate::common::wait_until(timeout(5), seen), "acknowledged");
    alice.send_key("!");
    alice.wait_for("✓ alice", timeout(5)).unwrap();
    alice.send_key("Esc");
    bob.wait_for("Acme is down for everyone", timeout(10)).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(500));
    assert!(!bob.screen().contains("ALERT"), "{}", bob.screen());
    assert!(!bob.raw().windows(4).any(|w| w == b"\x1b]9;"));
    for t in [&mut alice, &mut bob] {
        t.send_key("q");
        assert_eq!(t.wait_exit(timeout(10)), Some(0));
    }
}

/// Two teammates answer the same mention: bob is asked before a second answer and goes ahead;
/// alice sends first; bob's send is refused with alice's answer shown, his draft kept, and sent
/// once he confirms again.
#[test]
fn the_second_send_is_refused_with_the_first_answer_shown() {
    second_send_refused(None);
}

/// The send guard with the team's database on PostgreSQL.
#[test]
fn the_second_send_is_refused_on_postgres() {
    if let Some(admin) = crate::common::pg::server() {
        second_send_refused(Some(&admin));
    }
}

fn second_send_refused(pg: Option<&str>) {
    let (env, s) = hoot_env(pg, "");
    let mut alice = env.console(120, 32);
    alice.wait_for("mastodonpy_test_2", timeout(20)).unwrap();
    let mut bob = Term::spawn(env.console_command(&["--operator", "bob"]), 120, 32);
    bob.wait_for("mastodonpy_test_2", timeout(20)).unwrap();

    alice.send_key("r");
    alice.wait_for("Reply · 0/500", timeout(5)).unwrap();
    bob.wait_for("alice ✎", timeout(5)).unwrap();
    bob.send_key("r");
    bob.wait_for("alice is answering this now. Write a second answer?", timeout(5))
        .unwrap();
    bob.send(b"y");
    bob.wait_for("Reply · 0/500", timeout(5)).unwrap();
    bob.send(b"Hi from bob");

    alice.send(b"Sorry, fixed now");
    alice.send_key("C-s");
    alice.wait_for("Send this reply on mastodon now?", timeout(5)).unwrap();
    alice.send(b"y");
    alice
        .wait_for("reply sent and mention marked responded", timeout(10))
        .unwrap();

    bob.send_key("C-s");
    bob.wait_for("Send this reply on mastodon now?", timeout(5)).unwrap();
    bob.send(b"y");
    bob.wait_for("not sent: alice replied at", timeout(10)).unwrap();
    bob.wait_for("Sorry, fixed now", timeout(5)).unwrap();
    assert_eq!(s.requests_to("/api/v1/statuses").len(), 1, "bob's reply was not sent");
    assert_eq!(
        env.sql::<String>("SELECT body FROM drafts WHERE author = 'bob'"),
        "Hi from bob",
        "his draft is kept"
    );
    // Having seen alice's answer, bob may still send his.
    bob.send_key("r");
    bob.wait_for("Reply · 11/500", timeout(5)).unwrap();
    bob.send_key("C-s");
    bob.wait_for("Send this reply on mastodon now?", timeout(5)).unwrap();
    bob.send(b"y");
    bob.wait_for("reply sent and mention marked responded", timeout(10))
        .unwrap();
    assert_eq!(s.requests_to("/api/v1/statuses").len(), 2);
    for t in [&mut alice, &mut bob] {
        t.send_key("q");
        assert_eq!(t.wait_exit(timeout(10)), Some(0));
    }
}
