//! The people behind the mentions from a script: `overhear people` and `overhear person`.

use crate::common::env::{Env, stderr, stdout};
use crate::common::fixture;
use crate::common::server::{FixtureServer, Response};

/// An HN search (a recorded Algolia answer) and a forum's feed where the same person writes as
/// `quietgrep`: two handles, two people, until an operator links them.
fn two_places() -> (FixtureServer, Env) {
    let s = FixtureServer::start();
    s.route(
        "/hn/api/v1/search_by_date",
        Response::ok(fixture("hackernews/hn_search_by_date.json")),
    );
    let now = chrono::Utc::now();
    let item = |id: &str, title: &str, mins: i64| {
        format!(
            "<item><guid>{id}</guid><title>{title}</title><link>https://forum.example.com/t/{id}</link>\
             <dc:creator>quietgrep</dc:creator><pubDate>{}</pubDate></item>",
            (now - chrono::Duration::minutes(mins)).to_rfc2822()
        )
    };
    s.route(
        "/forum.rss",
        Response::ok(format!(
            "<rss version=\"2.0\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\"><channel>{}{}</channel></rss>",
            item(
                "1",
                "The SQLite WAL keeps growing and support never answers. Terrible.",
                50
            ),
            item("2", "Still broken after the update, I will cancel", 20),
        )),
    );
    let env = Env::with_config(&format!(
        "[[feed]]\nname = \"hn\"\nkind = \"hackernews\"\nquery = \"sqlite\"\nurl = \"{}\"\n\n\
         [[feed]]\nname = \"forum\"\nkind = \"rss\"\nurl = \"{}\"\n",
        s.url("/hn"),
        s.url("/forum.rss")
    ));
    let out = env.run(&["poll", "--once"]);
    assert!(out.status.success(), "{}", crate::common::env::text(&out));
    (s, env)
}

fn people(env: &Env) -> Vec<serde_json::Value> {
    let out = env.run(&["people", "--format", "json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    serde_json::from_str(&stdout(&out)).unwrap()
}

#[test]
fn people_are_listed_tagged_noted_and_linked_from_a_script() {
    let (_s, env) = two_places();
    let list = people(&env);
    // quietgrep on the forum (two mentions) first; then the four HN authors.
    assert_eq!(list.len(), 5, "{list:#?}");
    let top = &list[0];
    assert_eq!(top["kind"], "rss");
    assert_eq!(top["handle"], "quietgrep");
    assert_eq!(top["mentions"], 2);
    for field in ["reach", "sentiment", "tags", "notes"] {
        assert!(top.get(field).is_some(), "{field} in {top}");
    }
    assert!(top["sentiment"].as_f64().unwrap() < 0.0, "two complaints: {top}");

    let ok = |args: &[&str]| {
        let out = env.run(args);
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        stdout(&out)
    };
    ok(&["person", "tag", "rss:quietgrep", "vip", "customer"]);
    ok(&[
        "person",
        "note",
        "hackernews:quietgrep",
        "Maintains the SQLite wrapper we ship",
    ]);
    let said = ok(&["person", "link", "rss:quietgrep", "hackernews:quietgrep"]);
    assert!(said.contains("one person"), "{said}");
    let list = people(&env);
    assert_eq!(list.len(), 4, "linked: {list:#?}");
    let p = &list[0];
    assert_eq!(p["mentions"], 3);
    assert_eq!(p["tags"], serde_json::json!(["customer", "vip"]));
    assert_eq!(p["notes"][0]["body"], "Maintains the SQLite wrapper we ship");
    assert_eq!(p["handles"].as_array().unwrap().len(), 2);

    // The tags travel with every mention of theirs: in the query language and the export.
    let out = env.run(&["export", "--filter", "vip"]);
    let rows: Vec<serde_json::Value> = stdout(&out).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(rows.len(), 3, "{}", stdout(&out));
    for r in &rows {
        assert_eq!(r["person_tags"], serde_json::json!(["customer", "vip"]));
        assert!(
            r["priority_reasons"].as_array().unwrap().iter().any(|x| x == "VIP"),
            "{r}"
        );
    }
    let shown = ok(&["person", "show", "rss:quietgrep"]);
    assert!(
        shown.contains("3 mentions") && shown.contains("Maintains the SQLite"),
        "{shown}"
    );

    // A name two handles share is refused, with the handles to choose from.
    let out = env.run(&["person", "show", "quietgrep"]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("rss:quietgrep@forum.example.com") && stderr(&out).contains("hackernews:quietgrep"),
        "{}",
        stderr(&out)
    );
    let out = env.run(&["person", "tag", "bluesky:nobody.example", "vip"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("no handle"), "{}", stderr(&out));
    // Unlinked: two people again.
    ok(&["person", "unlink", "hackernews:quietgrep"]);
    assert_eq!(people(&env).len(), 5);
}

/// Corrections from a script: the truth in the export and in `stats --by sentiment`, and
/// `stats --accuracy` says how often the model agreed.
#[test]
fn corrections_are_the_truth_and_measure_the_model() {
    let (_s, env) = two_places();
    let ids = env.rows("SELECT id, sentiment FROM mentions ORDER BY id");
    assert!(ids.len() >= 3);
    // The forum's two complaints are negative; an operator says the first is neutral news.
    let forum: Vec<String> = env
        .rows("SELECT m.id FROM mentions m JOIN feeds f ON f.id = m.feed_id WHERE f.name = 'forum' ORDER BY m.id")
        .into_iter()
        .map(|r| r[0].clone())
        .collect();
    let out = env.run(&["correct", &forum[0], "neutral", "-complaint"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("corrected by"), "{}", stdout(&out));
    let out = env.run(&["correct", &forum[1], "negative"]);
    assert!(stdout(&out).contains("judged so already"), "{}", stdout(&out));
    let out = env.run(&["correct", &forum[1], "furious"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("furious"), "{}", stderr(&out));

    let row = env
        .export()
        .into_iter()
        .find(|r| r["id"] == forum[0].parse::<i64>().unwrap())
        .unwrap();
    assert_eq!(row["sentiment"]["label"], "neutral");
    assert!(
        !row["intent"].as_array().unwrap().iter().any(|i| i == "complaint"),
        "{row}"
    );

    let out = env.run(&["stats", "--accuracy", "--format", "json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let a: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(a["judged"], 1);
    assert_eq!(a["sentiment_agreed"], 0);
    let complaint = a["intents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["intent"] == "complaint")
        .unwrap();
    assert_eq!(complaint["model_only"], 1);
    let out = env.run(&["stats", "--accuracy"]);
    assert!(stdout(&out).contains("1 mentions corrected"), "{}", stdout(&out));
}

/// Likely spam is flagged on arrival with its reason, filterable, and left out of the figures on
/// request.
#[test]
fn copies_are_flagged_as_noise_and_left_out_of_stats_on_request() {
    let s = FixtureServer::start();
    let now = chrono::Utc::now();
    let copy = "WIN a free Acme phone today, just retweet and follow";
    let item = |id: usize, who: &str, text: &str| {
        format!(
            "<item><guid>{id}</guid><title>{text} https://spam.example/{id}</title>\
             <link>https://forum.example.com/t/{id}</link><dc:creator>{who}</dc:creator><pubDate>{}</pubDate></item>",
            (now - chrono::Duration::minutes(10 + id as i64)).to_rfc2822()
        )
    };
    let items: String = (0..3)
        .map(|i| item(i, &format!("bot{i}"), copy))
        .chain(std::iter::once(item(
            9,
            "jane",
            "Acme sync works again after the update, thank you all",
        )))
        .collect();
    s.route(
        "/forum.rss",
        Response::ok(format!(
            "<rss version=\"2.0\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\"><channel>{items}</channel></rss>"
        )),
    );
    let env = Env::with_config(&format!(
        "[[feed]]\nname = \"forum\"\nkind = \"rss\"\nurl = \"{}\"\n",
        s.url("/forum.rss")
    ));
    let out = env.run(&["poll", "--once"]);
    assert!(out.status.success(), "{}", crate::common::env::text(&out));
    let out = env.run(&["export", "--filter", "is:noise"]);
    let rows: Vec<serde_json::Value> = stdout(&out).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(rows.len(), 3, "{}", stdout(&out));
    assert!(
        rows.iter().all(|r| r["noise"] == serde_json::json!(["duplicate"])),
        "{rows:?}"
    );
    let counted = |args: &[&str]| -> i64 {
        let mut a = vec!["stats", "--days", "2", "--format", "json"];
        a.extend_from_slice(args);
        let out = env.run(&a);
        assert!(out.status.success(), "{}", stderr(&out));
        let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
        v.as_array()
            .unwrap()
            .iter()
            .map(|d| d["mentions"].as_i64().unwrap_or(0))
            .sum()
    };
    assert_eq!(counted(&[]), 4);
    assert_eq!(counted(&["--filter", "-is:noise"]), 1);
    let out = env.run(&["stats", "--filter", "is:nonsense"]);
    assert!(!out.status.success());
}
