//! The console in a real pseudo-terminal, as a person uses it: keystrokes in, screen and raw bytes
//! out, against a real feed server on 127.0.0.1.

mod common;

use common::pty::{CommandBuilder, Term};
use common::server::{FixtureServer, Response};
use common::{shared_fixture, timeout};
use std::path::Path;

const BIN: &str = env!("CARGO_BIN_EXE_overhear");

fn overhear(dir: &Path, config: &Path, extra: &[&str]) -> CommandBuilder {
    // A shell runs overhear, then reports its exit code and the terminal's modes, so the test can
    // check the terminal was restored the way a person would find it afterwards.
    let mut cmd = CommandBuilder::new("sh");
    let args = extra.iter().map(|a| format!(" '{a}'")).collect::<String>();
    cmd.arg("-c");
    cmd.arg(format!(
        "'{BIN}' --config '{}' --db '{}'{args}; echo \"EXIT=$?\"; stty -a | tr -s ' ;\\n' '   ' | sed 's/^/STTY /'; echo STTY_END; sleep 30",
        config.display(),
        dir.join("overhear.db").display()
    ));
    let home = dir.join("home");
    cmd.env("HOME", home.display().to_string());
    cmd.env("XDG_STATE_HOME", home.join("state").display().to_string());
    cmd.env("USER", "alice");
    cmd.env("TERM", "xterm-256color");
    cmd.cwd(dir);
    cmd
}

const HOSTILE: &str = "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>x</title>\
    <item><guid>evil-1</guid><title>Hostile \u{1b}]0;pwned\u{7}title \u{1b}[2J\u{1b}[31mred</title>\
    <description>clip \u{1b}]52;c;ZXZpbA==\u{7}board \u{9b}31m c1 \u{1b}P+qdcs\u{1b}\\ end</description>\
    <link>https://example.com/evil</link><pubDate>Mon, 23 Nov 2026 10:00:00 GMT</pubDate></item>\
    </channel></rss>";

#[test]
fn the_console_shows_the_stream_moves_quits_and_restores_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let s = FixtureServer::start();
    s.route(
        "/hn/api/v1/search_by_date",
        Response::ok(std::fs::read(shared_fixture("hackernews/hn_search_by_date.json")).unwrap()),
    );
    s.route("/evil", Response::ok(HOSTILE.as_bytes().to_vec()));
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[[feed]]\nname = \"hn\"\nkind = \"hackernews\"\nquery = \"sqlite\"\nurl = \"{}\"\n\n[[feed]]\nname = \"evil\"\nkind = \"rss\"\nurl = \"{}\"\n",
            s.url("/hn"),
            s.url("/evil")
        ),
    )
    .unwrap();

    let term = Term::spawn(overhear(dir.path(), &config, &[]), 100, 30);
    term.wait_for("Litequeue", timeout(20)).unwrap();
    term.wait_for("Hostile title red", timeout(20)).unwrap();
    let screen = term.screen();
    assert!(screen.contains("Stream · 5 new"), "{screen}");
    assert!(screen.contains("alice"), "operator in the status bar:\n{screen}");
    assert!(screen.contains("feeds 2 ok"), "{screen}");
    // Newest first: the HN comment from 14:31 is above the story from 13:02.
    let pos = |t: &str| screen.find(t).unwrap_or_else(|| panic!("{t} not on screen:\n{screen}"));
    assert!(pos("quietgrep") < pos("kelvinrow"), "{screen}");

    // j moves the selection down one row: the selected row is drawn in reverse video.
    let selected_row = |t: &Term| t.reversed_row_text();
    let first = selected_row(&term).expect("a row is selected");
    term.send_key("j");
    term.wait_until(
        |_| selected_row(&term).is_some_and(|r| r != first),
        timeout(5),
        "selection moved",
    )
    .unwrap();
    let second = selected_row(&term).unwrap();
    term.send_key("Down");
    term.wait_until(
        |_| selected_row(&term).is_some_and(|r| r != second),
        timeout(5),
        "selection moved again",
    )
    .unwrap();
    term.send_key("k");
    term.wait_until(
        |_| selected_row(&term).as_deref() == Some(second.as_str()),
        timeout(5),
        "back up",
    )
    .unwrap();

    // Nothing a feed sent may reach the terminal as an escape sequence.
    let raw = term.raw();
    for bad in [
        &b"\x1b]0;pwned"[..],
        b"\x1b]52",
        b"ZXZpbA",
        b"\x1bP+q",
        "\u{9b}".as_bytes(),
        b"\x1b[2J\x1b[31m",
    ] {
        assert!(
            !raw.windows(bad.len()).any(|w| w == bad),
            "hostile bytes {bad:?} reached the terminal"
        );
    }

    term.send_key("q");
    term.wait_for("EXIT=0", timeout(10)).unwrap();
    term.wait_for("STTY_END", timeout(10)).unwrap();
    let screen = term.screen();
    let stty = screen
        .lines()
        .skip_while(|l| !l.starts_with("STTY"))
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        stty.contains(" icanon ") && stty.contains(" echo "),
        "cooked mode restored: {stty}"
    );
    assert!(!stty.contains("-icanon") && !stty.contains("-echo "), "{stty}");
    let raw = term.raw();
    assert!(raw.windows(8).any(|w| w == b"\x1b[?1049l"), "left the alternate screen");
}

#[test]
fn the_console_welcomes_a_user_with_no_feeds() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(&config, "# nothing yet\n").unwrap();
    let term = Term::spawn(overhear(dir.path(), &config, &[]), 80, 24);
    term.wait_for("Welcome to overhear", timeout(20)).unwrap();
    let screen = term.screen();
    assert!(screen.contains("No feeds are configured"), "{screen}");
    assert!(screen.contains("overhear demo"), "{screen}");
    term.send_key("q");
    term.wait_for("EXIT=0", timeout(10)).unwrap();
}

#[test]
fn a_bad_config_stops_the_console_before_the_screen_changes() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(&config, "[[feed]]\nname = \"x\"\nkind = \"carrier-pigeon\"\n").unwrap();
    let term = Term::spawn(overhear(dir.path(), &config, &[]), 100, 24);
    term.wait_for("EXIT=2", timeout(10)).unwrap();
    let screen = term.screen();
    assert!(screen.contains("config.toml:3:"), "{screen}");
    assert!(screen.contains("carrier-pigeon"), "{screen}");
    assert!(
        !term.raw().windows(8).any(|w| w == b"\x1b[?1049h"),
        "never entered the alternate screen"
    );
}

#[test]
fn another_process_writing_the_database_shows_up_on_screen() {
    let dir = tempfile::tempdir().unwrap();
    let s = FixtureServer::start();
    s.route(
        "/a",
        Response::ok(std::fs::read(shared_fixture("atom/atom_spec_1.xml")).unwrap()),
    );
    s.route(
        "/hn/api/v1/search_by_date",
        Response::ok(std::fs::read(shared_fixture("hackernews/hn_search_by_date.json")).unwrap()),
    );
    let console_config = dir.path().join("console.toml");
    std::fs::write(
        &console_config,
        format!(
            "[[feed]]\nname = \"atom\"\nkind = \"rss\"\nurl = \"{}\"\nevery = \"1h\"\n",
            s.url("/a")
        ),
    )
    .unwrap();
    let term = Term::spawn(overhear(dir.path(), &console_config, &[]), 100, 30);
    term.wait_for("Atom-Powered Robots Run Amok", timeout(20)).unwrap();
    assert!(!term.screen().contains("Litequeue"));

    // A teammate's poller, another process, writes to the same database.
    let service_config = dir.path().join("service.toml");
    std::fs::write(
        &service_config,
        format!(
            "[[feed]]\nname = \"hn\"\nkind = \"hackernews\"\nquery = \"sqlite\"\nurl = \"{}\"\n",
            s.url("/hn")
        ),
    )
    .unwrap();
    let out = std::process::Command::new(BIN)
        .arg("--config")
        .arg(&service_config)
        .arg("--db")
        .arg(dir.path().join("overhear.db"))
        .args(["poll", "--once"])
        .env("XDG_STATE_HOME", dir.path().join("state"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
    // The console watches the database every 250 ms: well within two seconds (six under CI).
    term.wait_for("Litequeue", timeout(2)).unwrap();
    term.send_key("q");
    term.wait_for("EXIT=0", timeout(10)).unwrap();
}

#[test]
fn a_panic_restores_the_terminal_before_the_message() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(&config, "").unwrap();
    let mut cmd = overhear(dir.path(), &config, &[]);
    cmd.env("OVERHEAR_TEST_PANIC", "1");
    cmd.env("RUST_BACKTRACE", "0");
    let term = Term::spawn(cmd, 100, 30);
    term.wait_for("EXIT=101", timeout(20)).unwrap();
    term.wait_for("STTY_END", timeout(10)).unwrap();
    let screen = term.screen();
    assert!(
        screen.contains("panic requested by OVERHEAR_TEST_PANIC"),
        "the message is readable:\n{screen}"
    );
    let stty = screen
        .lines()
        .skip_while(|l| !l.starts_with("STTY"))
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        stty.contains(" icanon ") && stty.contains(" echo "),
        "cooked mode restored: {stty}"
    );
    let raw = term.raw();
    let left = raw
        .windows(8)
        .position(|w| w == b"\x1b[?1049l")
        .expect("left the alternate screen");
    let message = raw.windows(5).position(|w| w == b"panic").expect("the panic message");
    assert!(left < message, "restored first, then printed");
}

#[test]
fn the_demo_runs_the_whole_pipeline_offline() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("unused.toml");
    std::fs::write(&config, "").unwrap();
    let term = Term::spawn(overhear(dir.path(), &config, &["demo"]), 120, 40);
    // Bundled mentions arrive over HTTP from the built-in server, through the parsers and SQLite.
    term.wait_for("Love the new graph view", timeout(20)).unwrap();
    term.wait_for("Six months with Tidepool", timeout(20)).unwrap();
    term.wait_for("feeds 4 ok", timeout(20)).unwrap();
    // New mentions are released a few seconds in.
    term.wait_for("Key rotation is described", timeout(20)).unwrap();
    let screen = term.screen();
    assert!(
        !screen.contains("<b>") && !screen.contains("google.com/url"),
        "{screen}"
    );
    term.send_key("q");
    term.wait_for("EXIT=0", timeout(10)).unwrap();
}
