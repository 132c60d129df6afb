//! `overhear stats` on a database with a known week: JSON fields, zeros on empty days, the time
//! zone, the SLA, splitting, and the table. The Stats pane is in `tests/console/stats.rs`.

use crate::common::env::Env;

fn ts(s: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(s).unwrap().timestamp()
}

fn setup() -> Env {
    let env = Env::with_config("[stats]\nsla = \"1h\"\n");
    // Let overhear create and migrate the database, then add a known set of mentions.
    assert!(env.run(&["export"]).status.success());
    let c = env.open_db();
    c.execute(
        "INSERT INTO feeds (id, name, kind) VALUES (1, 'hn', 'hackernews'), (2, 'blog', 'rss')",
        [],
    )
    .unwrap();
    for (feed, id, at, responded, status) in [
        (
            1,
            "A",
            "2026-10-22T08:00:00Z",
            Some("2026-10-22T08:30:00Z"),
            "responded",
        ),
        (
            1,
            "B",
            "2026-10-22T21:30:00Z",
            Some("2026-10-22T22:45:00Z"),
            "responded",
        ),
        (2, "C", "2026-10-22T10:00:00Z", None, "new"),
        (
            1,
            "D",
            "2026-10-24T23:30:00Z",
            Some("2026-10-25T01:30:00Z"),
            "responded",
        ),
    ] {
        c.execute(
            "INSERT INTO mentions (feed_id, kind, external_id, text, published_at, first_seen_at, sort_at, status,
                first_response_at, responded_at, responded_by, updated_at)
             VALUES (?1, 'x', ?2, 't', ?3, ?3, ?3, ?4, ?5, ?5, 'alice', ?3)",
            rusqlite::params![feed, id, ts(at), status, responded.map(ts)],
        )
        .unwrap();
    }
    env
}

#[test]
fn json_per_day_with_stable_fields_in_the_zone_asked() {
    let env = setup();
    let out = env.run(&[
        "stats",
        "--since",
        "2026-10-22",
        "--tz",
        "Europe/Berlin",
        "--format",
        "json",
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let days: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(days[0]["date"], "2026-10-22");
    assert!(days.len() >= 30, "every day to today, empty ones included");
    let d = &days[0];
    for key in [
        "date",
        "mentions",
        "responded",
        "ignored",
        "escalated",
        "response_rate",
        "median_first_response_secs",
        "p90_first_response_secs",
        "max_first_response_secs",
        "sla_breaches",
        "backlog",
    ] {
        assert!(d.get(key).is_some(), "missing {key}");
    }
    assert_eq!(d["mentions"], 3);
    assert_eq!(d["responded"], 2);
    assert_eq!(d["median_first_response_secs"], 3150.0);
    assert_eq!(d["p90_first_response_secs"], 4500);
    assert_eq!(d["max_first_response_secs"], 4500);
    assert_eq!(d["sla_breaches"], 2, "the config's 1h target");
    assert_eq!(d["backlog"], 2);
    assert_eq!(days[1]["mentions"], 0);
    assert_eq!(days[1]["backlog"], 1);
    assert_eq!(days[1]["median_first_response_secs"], serde_json::Value::Null);
    assert_eq!(days[3]["date"], "2026-10-25");
    assert_eq!(days[3]["mentions"], 1, "01:30 CEST is the 25th in Berlin");

    // The same in UTC puts D on the 24th; a tighter SLA counts more breaches.
    let out = env.run(&[
        "stats",
        "--since",
        "2026-10-22",
        "--tz",
        "UTC",
        "--format",
        "json",
        "--sla",
        "20m",
    ]);
    let days: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (days[2]["mentions"].as_i64(), days[3]["mentions"].as_i64()),
        (Some(1), Some(0))
    );
    assert_eq!(days[0]["sla_breaches"], 3);
}

#[test]
fn split_csv_and_table() {
    let env = setup();
    let out = env.run(&[
        "stats",
        "--since",
        "2026-10-22",
        "--tz",
        "Europe/Berlin",
        "--by",
        "feed",
        "--format",
        "json",
    ]);
    let days: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    let hn = days
        .iter()
        .find(|d| d["date"] == "2026-10-22" && d["group"] == "hn")
        .unwrap();
    assert_eq!((hn["mentions"].as_i64(), hn["responded"].as_i64()), (Some(2), Some(2)));
    let blog = days
        .iter()
        .find(|d| d["date"] == "2026-10-23" && d["group"] == "blog")
        .unwrap();
    assert_eq!(
        (blog["mentions"].as_i64(), blog["backlog"].as_i64()),
        (Some(0), Some(1))
    );

    let out = env.run(&[
        "stats",
        "--since",
        "2026-10-22",
        "--tz",
        "Europe/Berlin",
        "--format",
        "csv",
    ]);
    let csv = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(csv.starts_with("date,mentions,responded,"), "{csv}");
    assert!(csv.lines().nth(1).unwrap().starts_with("2026-10-22,3,2,0,0,"), "{csv}");

    let out = env.run(&["stats", "--days", "3"]);
    let table = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success());
    assert!(table.starts_with("DATE"), "{table}");
    assert_eq!(table.lines().count(), 5, "header, three days, legend: {table}");

    let out = env.run(&["stats", "--tz", "Mars/Olympus"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown time zone"));
}
