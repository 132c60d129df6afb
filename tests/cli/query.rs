//! The query language from a script: `overhear export --filter`.

use crate::common::env::{Env, stderr, stdout};
use crate::common::server::{FixtureServer, Response};

#[test]
fn export_filter_exports_only_the_matches_and_a_bad_query_names_its_column() {
    let s = FixtureServer::start();
    let items = [
        ("a", "Acme app crashes on login?", "https://forum.example.com/1"),
        ("b", "Acme pricing is fine", "https://blog.example.org/2"),
        ("c", "Rival launches", "https://other.test/3"),
        ("d", "switching from acme to rival", "https://example.com/4"),
    ]
    .iter()
    .map(|(g, t, l)| format!("<item><guid>{g}</guid><title>{t}</title><link>{l}</link></item>"))
    .collect::<String>();
    s.route(
        "/feed",
        Response::ok(format!("<rss version=\"2.0\"><channel>{items}</channel></rss>")),
    );
    let env = Env::with_config(&format!(
        "[[feed]]\nname = \"blog\"\nkind = \"rss\"\nurl = \"{}\"\n",
        s.url("/feed")
    ));
    assert!(env.run(&["poll", "--once"]).status.success());
    let titles = |q: &str| -> Vec<String> {
        let out = env.run(&["export", "--filter", q]);
        assert!(out.status.success(), "{q}: {}", stderr(&out));
        let mut t: Vec<String> = stdout(&out)
            .lines()
            .map(|l| {
                serde_json::from_str::<serde_json::Value>(l).unwrap()["title"]
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .collect();
        t.sort();
        t
    };
    assert_eq!(
        titles("acme -is:question"),
        ["Acme pricing is fine", "switching from acme to rival"]
    );
    assert_eq!(
        titles("rival OR site:blog.example.org"),
        ["Acme pricing is fine", "Rival launches", "switching from acme to rival"]
    );
    assert_eq!(titles("switching NEAR/3 rival"), ["switching from acme to rival"]);
    assert_eq!(titles("site:example.com is:question"), ["Acme app crashes on login?"]);
    let out = env.run(&["export", "--filter", "acme OR"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("column 6: OR needs something on both sides"),
        "{}",
        stderr(&out)
    );
}

/// `[[rule]]`s act on each new mention as it is stored, once, recorded as `rule:NAME`; `rule test`
/// says what a rule's query matches over the history, as a table or JSON.
#[test]
fn rules_act_on_arrival_and_rule_test_counts_the_history() {
    let s = FixtureServer::start();
    let items = [
        "I want a refund",
        "charged twice, again",
        "free crypto giveaway",
        "hello acme",
    ]
    .iter()
    .enumerate()
    .map(|(i, t)| format!("<item><guid>g{i}</guid><title>{t}</title></item>"))
    .collect::<String>();
    s.route(
        "/feed",
        Response::ok(format!("<rss version=\"2.0\"><channel>{items}</channel></rss>")),
    );
    let env = Env::with_config(&format!(
        "[[feed]]\nname = \"blog\"\nkind = \"rss\"\nurl = \"{}\"\n\n[[rule]]\nname = \"refunds\"\nwhen = 'refund OR \"charged twice\"'\ntag = \"billing\"\nstatus = \"escalated\"\nassign = [\"alice\", \"bob\"]\n\n[[rule]]\nname = \"spam\"\nwhen = \"crypto -acme\"\nstatus = \"ignored\"\n",
        s.url("/feed")
    ));
    assert!(env.run(&["poll", "--once"]).status.success());
    let rows = env.rows(
        "SELECT m.title, m.status, coalesce(m.assignee, '-'), (SELECT group_concat(actor || ' ' || action, ', ') FROM actions a WHERE a.mention_id = m.id) FROM mentions m ORDER BY m.title",
    );
    let want = [
        [
            "I want a refund",
            "escalated",
            "alice",
            "rule:refunds tag, rule:refunds status, rule:refunds assign",
        ],
        [
            "charged twice, again",
            "escalated",
            "bob",
            "rule:refunds tag, rule:refunds status, rule:refunds assign",
        ],
        ["free crypto giveaway", "ignored", "-", "rule:spam status"],
    ];
    for w in want {
        assert!(rows.iter().any(|r| r[..] == w), "{w:?} in {rows:?}");
    }
    // Polled again: nothing new, nothing done twice.
    assert!(env.run(&["poll", "--once"]).status.success());
    assert_eq!(env.sql::<i64>("SELECT count(*) FROM actions"), 7);

    let out = env.run(&["rule", "test", "refunds", "--format", "json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["matched"], 2);
    assert_eq!(v["by_feed"]["blog"], 2);
    assert_eq!(v["examples"].as_array().unwrap().len(), 2);
    let out = env.run(&["rule", "test", "--when", "acme OR crypto"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("matched 2 mentions"), "{}", stdout(&out));
    assert!(stdout(&out).contains("by feed:  blog 2"), "{}", stdout(&out));
    let out = env.run(&["rule", "test", "nope"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("no rule named \"nope\""), "{}", stderr(&out));
}

/// `[[alert]]`s with `when` are raised once per mention as it arrives (and by rules that name
/// them), never again on a re-poll; `overhear alerts` lists them for scripts.
#[test]
fn alerts_are_raised_once_on_arrival_and_listed() {
    let s = FixtureServer::start();
    let items = [
        ("a", "Acme ate my data", "vip"),
        ("b", "hello", "nobody"),
        ("c", "refund now", "nobody"),
    ]
    .iter()
    .map(|(g, t, who)| format!("<item><guid>{g}</guid><title>{t}</title><author>{who}</author></item>"))
    .collect::<String>();
    s.route(
        "/feed",
        Response::ok(format!("<rss version=\"2.0\"><channel>{items}</channel></rss>")),
    );
    let env = Env::with_config(&format!(
        "[[feed]]\nname = \"blog\"\nkind = \"rss\"\nurl = \"{}\"\n\n[[alert]]\nname = \"vip\"\nwhen = \"author:vip\"\n\n[[alert]]\nname = \"money\"\noperators = [\"bob\"]\n\n[[rule]]\nname = \"refunds\"\nwhen = \"refund\"\nalert = \"money\"\n",
        s.url("/feed")
    ));
    assert!(env.run(&["poll", "--once"]).status.success());
    assert!(env.run(&["poll", "--once"]).status.success());
    let out = env.run(&["alerts", "--format", "json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let list = v.as_array().unwrap();
    assert_eq!(list.len(), 2, "{v}");
    let names: Vec<&str> = list.iter().map(|a| a["alert"].as_str().unwrap()).collect();
    assert_eq!(names, ["vip", "money"]);
    for a in list {
        assert_eq!(a["trigger"], "when");
        assert!(a["mention_id"].is_i64());
        assert!(a["created_at"].is_string());
        assert!(a["acknowledged_by"].is_null());
        assert!(a["terms"].as_array().unwrap().is_empty());
    }
    let out = env.run(&["alerts"]);
    assert!(
        stdout(&out).contains("vip") && stdout(&out).contains("Acme ate my data"),
        "{}",
        stdout(&out)
    );
    // Seen: said once, recorded with who.
    let id = list[0]["id"].as_i64().unwrap().to_string();
    let out = env.run(&["alerts", "--ack", &id]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("seen by alice"), "{}", stdout(&out));
    assert_eq!(
        env.run(&["alerts", "--ack", &id]).status.code(),
        Some(1),
        "seen already"
    );
    let out = env.run(&["alerts", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v[0]["acknowledged_by"], "alice");
    // A rule naming an alert that does not exist is a config error at its line.
    env.config("[[rule]]\nname = \"r\"\nwhen = \"x\"\nalert = \"nope\"\n");
    let out = env.run(&["alerts"]);
    let out2 = env.run(&["poll", "--once"]);
    assert_eq!(out2.status.code(), Some(2), "{}", stderr(&out2));
    assert!(
        stderr(&out2).contains("no [[alert]] is named \"nope\""),
        "{}",
        stderr(&out2)
    );
    assert!(
        out.status.success(),
        "alerts reads the database without the rest of the config"
    );
}

/// An alert's command runs once per alert, in the poller, with the alert as JSON on stdin; a
/// hostile mention's text reaches it as data, never as a shell command.
#[test]
fn an_alert_command_gets_json_on_stdin_and_no_shell() {
    let s = FixtureServer::start();
    let hostile = "Acme down $(touch PWNED) `touch PWNED2`; touch PWNED3 \u{1b}[31mred";
    let items = format!(
        "<item><guid>a</guid><title>{}</title><link>https://example.com/a</link></item>",
        hostile.replace('&', "&amp;").replace('<', "&lt;")
    );
    s.route(
        "/feed",
        Response::ok(format!("<rss version=\"2.0\"><channel>{items}</channel></rss>")),
    );
    let env = Env::new();
    let out_file = env.path().join("alert.json");
    env.config(&format!(
        "[[feed]]\nname = \"blog\"\nkind = \"rss\"\nurl = \"{}\"\n\n[[alert]]\nname = \"down\"\nwhen = \"down\"\ncommand = [\"tee\", \"{}\"]\ntimeout = \"5s\"\n",
        s.url("/feed"),
        out_file.display()
    ));
    assert!(env.run(&["poll", "--once"]).status.success());
    // `poll --once` ends after its alerts' commands.
    assert!(
        std::fs::read_to_string(&out_file).is_ok_and(|t| t.ends_with('}')),
        "the command ran before poll --once ended"
    );
    let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&out_file).unwrap()).unwrap();
    assert_eq!(v["alert"], "down");
    assert_eq!(v["trigger"], "when");
    assert!(v["mention_id"].is_i64());
    let title = v["mention"]["title"].as_str().unwrap();
    assert!(
        title.contains("$(touch PWNED)") && title.contains("; touch PWNED3"),
        "{title}"
    );
    assert!(!title.contains('\u{1b}'), "sanitised: {title:?}");
    for f in ["PWNED", "PWNED2", "PWNED3"] {
        assert!(!env.path().join(f).exists(), "{f} was created: a shell ran");
    }
    // Polled again: the alert is not raised again, the command does not run again.
    std::fs::remove_file(&out_file).unwrap();
    assert!(env.run(&["poll", "--once"]).status.success());
    std::thread::sleep(std::time::Duration::from_millis(500));
    assert!(!out_file.exists(), "delivered once");
}

/// A failing alert command is not a silent loss: `overhear feeds` says which alert's command
/// failed and how, and `overhear alerts` marks the alert.
#[test]
fn a_failing_alert_command_shows_in_the_feeds_health_and_the_alert_list() {
    let s = FixtureServer::start();
    s.route(
        "/feed",
        Response::ok(
            "<rss version=\"2.0\"><channel><item><guid>a</guid><title>Acme down again</title></item>\
             <item><guid>b</guid><title>Acme is slow</title></item></channel></rss>",
        ),
    );
    let env = Env::new();
    env.config(&format!(
        "[[feed]]\nname = \"blog\"\nkind = \"rss\"\nurl = \"{}\"\n\n\
         [[alert]]\nname = \"down\"\nwhen = \"down\"\ncommand = [\"sh\", \"-c\", \"cat >/dev/null; echo 'webhook said 502' >&2; exit 3\"]\n\n\
         [[alert]]\nname = \"slow\"\nwhen = \"slow\"\ncommand = [\"/nonexistent/notify-team\"]\n",
        s.url("/feed")
    ));
    assert!(env.run(&["poll", "--once"]).status.success());
    let feeds = env.run(&["feeds"]);
    let text = String::from_utf8_lossy(&feeds.stdout);
    assert!(
        text.contains("alert \"down\": its command failed 1 time") && text.contains("webhook said 502"),
        "{text}"
    );
    assert!(
        text.contains("alert \"slow\"") && text.contains("/nonexistent/notify-team"),
        "{text}"
    );
    let out = env.run(&["alerts", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let rows = v.as_array().unwrap();
    assert_eq!(rows.len(), 2, "{v}");
    for r in rows {
        let d = r["delivery"].as_str().unwrap_or_default();
        assert!(d.contains("failed") || d.contains("cannot run"), "{r}");
    }
}
