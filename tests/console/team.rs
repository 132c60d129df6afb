//! Two teammates' consoles on one database, in real pseudo-terminals: each sees the other, one
//! polls, a claim is seen on the row and asked about before a second answer, and an assignment is
//! said on the assignee's screen when it happens.

use crate::common::pty::Term;
use crate::common::timeout;
use crate::hn_env;

#[test]
fn two_consoles_see_each_other_one_polls_claims_are_asked_about_and_assignments_are_said() {
    let (env, s) = hn_env("", "");
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
