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
