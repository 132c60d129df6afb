//! `overhear stats` on a database with a known week: JSON fields, zeros on empty days, the time
//! zone, the SLA, splitting, and the table.

use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_overhear");

fn ts(s: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(s).unwrap().timestamp()
}

fn setup() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("config.toml"), "[stats]\nsla = \"1h\"\n").unwrap();
    // Let overhear create and migrate the database, then add a known set of mentions.
    assert!(run(&dir, &["export"]).status.success());
    let c = rusqlite::Connection::open(dir.path().join("db")).unwrap();
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
    dir
}

fn run(dir: &tempfile::TempDir, args: &[&str]) -> Output {
    Command::new(BIN)
        .arg("--config")
        .arg(dir.path().join("config.toml"))
        .arg("--db")
        .arg(dir.path().join("db"))
        .args(args)
        .env("XDG_STATE_HOME", dir.path().join("state"))
        .output()
        .unwrap()
}

#[test]
fn json_per_day_with_stable_fields_in_the_zone_asked() {
    let dir = setup();
    let out = run(
        &dir,
        &[
            "stats",
            "--since",
            "2026-10-22",
            "--tz",
            "Europe/Berlin",
            "--format",
            "json",
        ],
    );
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
    let out = run(
        &dir,
        &[
            "stats",
            "--since",
            "2026-10-22",
            "--tz",
            "UTC",
            "--format",
            "json",
            "--sla",
            "20m",
        ],
    );
    let days: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (days[2]["mentions"].as_i64(), days[3]["mentions"].as_i64()),
        (Some(1), Some(0))
    );
    assert_eq!(days[0]["sla_breaches"], 3);
}

#[test]
fn split_csv_and_table() {
    let dir = setup();
    let out = run(
        &dir,
        &[
            "stats",
            "--since",
            "2026-10-22",
            "--tz",
            "Europe/Berlin",
            "--by",
            "feed",
            "--format",
            "json",
        ],
    );
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

    let out = run(
        &dir,
        &[
            "stats",
            "--since",
            "2026-10-22",
            "--tz",
            "Europe/Berlin",
            "--format",
            "csv",
        ],
    );
    let csv = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(csv.starts_with("date,mentions,responded,"), "{csv}");
    assert!(csv.lines().nth(1).unwrap().starts_with("2026-10-22,3,2,0,0,"), "{csv}");

    let out = run(&dir, &["stats", "--days", "3"]);
    let table = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success());
    assert!(table.starts_with("DATE"), "{table}");
    assert_eq!(table.lines().count(), 5, "header, three days, legend: {table}");

    let out = run(&dir, &["stats", "--tz", "Mars/Olympus"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown time zone"));
}

mod common;

/// The Stats pane in a real terminal: a day two days ago with three mentions, two answered.
#[test]
fn the_stats_pane_shows_the_figures_and_updates_live() {
    use common::pty::{CommandBuilder, Term};
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("config.toml"), "[stats]\nsla = \"1h\"\n").unwrap();
    assert!(run(&dir, &["export"]).status.success());
    let day = chrono::Utc::now().date_naive() - chrono::Duration::days(2);
    let at = |h: u32, m: u32| day.and_hms_opt(h, m, 0).unwrap().and_utc().timestamp();
    let c = rusqlite::Connection::open(dir.path().join("db")).unwrap();
    c.execute("INSERT INTO feeds (id, name, kind) VALUES (1, 'hn', 'hackernews')", [])
        .unwrap();
    for (id, t, answered) in [
        ("A", at(8, 0), Some(at(8, 30))),
        ("B", at(9, 0), Some(at(11, 0))),
        ("C", at(10, 0), None),
    ] {
        c.execute(
            "INSERT INTO mentions (feed_id, kind, external_id, text, published_at, first_seen_at, sort_at, status,
                first_response_at, responded_at, responded_by, updated_at)
             VALUES (1, 'x', ?1, 't', ?2, ?2, ?2, ?3, ?4, ?4, 'alice', ?2)",
            rusqlite::params![id, t, if answered.is_some() { "responded" } else { "new" }, answered],
        )
        .unwrap();
    }
    let mut cmd = CommandBuilder::new(BIN);
    cmd.arg("--config");
    cmd.arg(dir.path().join("config.toml").display().to_string());
    cmd.arg("--db");
    cmd.arg(dir.path().join("db").display().to_string());
    cmd.env("XDG_STATE_HOME", dir.path().join("state").display().to_string());
    cmd.env("TZ", "UTC");
    let t = Term::spawn(cmd, 100, 30);
    t.wait_for("Stream ·", common::timeout(20)).unwrap();
    t.send_key("4");
    t.wait_for("Stats · last 7 days · SLA 1h", common::timeout(5)).unwrap();
    let date = day.format("%Y-%m-%d").to_string();
    let row = |s: &str| s.lines().find(|l| l.contains(&date)).unwrap_or("").to_string();
    t.wait_until(|s| row(s).contains("67%"), common::timeout(5), "the day's row")
        .unwrap();
    let cols: Vec<String> = row(&t.screen()).split_whitespace().map(String::from).collect();
    // date, in, answered, ignored, escalated, rate, median, p90, max, SLA misses, backlog
    assert_eq!(&cols[1..6], ["3", "2", "0", "0", "67%"], "{cols:?}");
    assert_eq!(cols[6], "75m", "median of 30m and 2h");
    assert_eq!(cols[7], "2.0h", "p90");
    assert_eq!(cols[9], "2", "B after 2h, C unanswered");
    assert_eq!(cols[10], "1", "C still open");

    // Answered from another process: the pane follows.
    let id: i64 = c
        .query_row("SELECT id FROM mentions WHERE external_id = 'C'", [], |r| r.get(0))
        .unwrap();
    let out = run(&dir, &["mark", &id.to_string(), "responded"]);
    assert!(out.status.success());
    t.wait_until(|s| row(s).contains("100%"), common::timeout(5), "the pane to update")
        .unwrap();
}
