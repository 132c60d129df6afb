//! Triage in a real pseudo-terminal, as an operator works: select, change status, undo, search,
//! filter, mark in bulk, assign; checked on screen and through `overhear export`.

use crate::common::env::Env;
use crate::common::pty::Term;
use crate::common::server::FixtureServer;
use crate::common::{timeout, wait_until};
use crate::hn_env;

/// The console on the Hacker News feed, its stream loaded. Fields drop in order: the console
/// first, then the server, then the temp dir.
struct Console {
    term: Term,
    env: Env,
    _server: FixtureServer,
}

fn start(cols: u16, rows: u16) -> Console {
    start_with(cols, rows, &[], "")
}

fn start_with(cols: u16, rows: u16, vars: &[(&str, &str)], extra_config: &str) -> Console {
    let (mut env, server) = hn_env("", &format!("\n{extra_config}"));
    for (k, v) in vars {
        env.set_var(k, v);
    }
    let term = env.console(cols, rows);
    term.wait_for("tessellate", timeout(20)).unwrap();
    Console {
        term,
        env,
        _server: server,
    }
}

fn row_with(term: &Term, needle: &str) -> String {
    term.screen()
        .lines()
        .find(|l| l.contains(needle))
        .unwrap_or_default()
        .to_string()
}

#[test]
fn status_changes_show_on_screen_and_in_export_and_undo_reverts_them() {
    let c = start(120, 32);
    let t = &c.term;
    t.select_row("kelvinrow");
    t.send_key("d");
    t.wait_until(
        |_| row_with(t, "kelvinrow").contains('✓'),
        timeout(5),
        "the responded mark",
    )
    .unwrap();
    t.wait_for("RESPONDED", timeout(5)).unwrap();
    t.wait_for("new → responded", timeout(5)).unwrap();
    let e = c.env.exported("49520915");
    assert_eq!(e["status"], "responded");
    assert!(e["responded_at"].is_string(), "{e}");
    assert_eq!(e["responded_by"], "alice");

    t.send_key("u");
    t.wait_until(|_| row_with(t, "kelvinrow").contains('●'), timeout(5), "back to new")
        .unwrap();
    t.wait_for("undone", timeout(5)).unwrap();
    let e = c.env.exported("49520915");
    assert_eq!(e["status"], "new");
    assert_eq!(e["responded_at"], serde_json::Value::Null);

    // Escalate, ignore and open: one key each.
    t.send_key("e");
    t.wait_until(|_| row_with(t, "kelvinrow").contains('!'), timeout(5), "escalated")
        .unwrap();
    t.send_key("O");
    t.wait_until(|_| row_with(t, "kelvinrow").contains('○'), timeout(5), "open")
        .unwrap();
    assert_eq!(c.env.exported("49520915")["status"], "open");
}

#[test]
fn search_and_quick_filters_narrow_the_stream_and_esc_clears() {
    let c = start(120, 32);
    let t = &c.term;
    t.send_key("/");
    t.wait_for("/", timeout(5)).unwrap();
    t.send(b"planner\r");
    t.wait_until(
        |s| !s.contains("kelvinrow") && s.contains("tessellate"),
        timeout(5),
        "only the match",
    )
    .unwrap();
    t.wait_for("filter: planner", timeout(5)).unwrap();
    t.wait_for("1 match", timeout(5)).unwrap();
    t.send_key("Esc");
    t.wait_until(
        |s| s.contains("kelvinrow") && s.contains("tessellate"),
        timeout(5),
        "everything back",
    )
    .unwrap();

    // A search over words that appear in comments only, phrase and prefix.
    t.send_key("/");
    t.send(b"\"busy_timeout\" WAL*\r");
    t.wait_until(
        |s| s.contains("quietgrep") && !s.contains("tessellate"),
        timeout(5),
        "the comment",
    )
    .unwrap();
    t.send_key("Esc");
    t.wait_for("tessellate", timeout(5)).unwrap();

    // Quick filter by status, combined with a search.
    t.select_row("ferrous_ana");
    t.send_key("O");
    t.wait_until(|_| row_with(t, "ferrous_ana").contains('○'), timeout(5), "open")
        .unwrap();
    t.send_key("f");
    t.wait_for("Filter by", timeout(5)).unwrap();
    t.send_key("s");
    t.wait_for("status: ", timeout(5)).unwrap();
    t.send(b"open\r");
    t.wait_until(
        |s| s.contains("ferrous_ana") && !s.contains("kelvinrow"),
        timeout(5),
        "open only",
    )
    .unwrap();
    t.wait_for("filter: status:open", timeout(5)).unwrap();
    t.send_key("/");
    t.send(b"litequeue\r");
    t.wait_until(
        |s| !s.contains("ferrous_ana") && s.contains("Nothing matches"),
        timeout(5),
        "combined filter",
    )
    .unwrap();
    t.send_key("Esc");
    t.wait_for("kelvinrow", timeout(5)).unwrap();
    // A query with a mistake: the prompt stays, with the mistake and its column beside it; fixed,
    // the filter applies and the mistake is gone.
    t.send_key("/");
    t.send(b"sqlite OR\r");
    t.wait_for("/sqlite OR  │ column 8: OR needs something on both sides", timeout(5))
        .unwrap();
    t.send(b" litequeue\r");
    t.wait_for("filter: (sqlite OR litequeue)", timeout(5)).unwrap();
    t.wait_until(|s| !s.contains("column 8"), timeout(5), "the mistake gone")
        .unwrap();
}

#[test]
fn bulk_marks_assign_tag_and_note() {
    let c = start(120, 32);
    let t = &c.term;
    t.select_row("quietgrep");
    t.send_key("Space");
    t.wait_until(
        |_| t.reversed_row_text().is_some_and(|r| r.contains("kelvinrow")),
        timeout(5),
        "mark moves down",
    )
    .unwrap();
    t.send_key("Space");
    t.wait_for("2 marked", timeout(5)).unwrap();
    t.send_key("i");
    t.wait_until(
        |_| row_with(t, "quietgrep").contains('·') && row_with(t, "kelvinrow").contains('·'),
        timeout(5),
        "both ignored",
    )
    .unwrap();
    assert_eq!(c.env.exported("49521877")["status"], "ignored");
    assert_eq!(c.env.exported("49520915")["status"], "ignored");
    assert_eq!(
        c.env.exported("49518731")["status"],
        "new",
        "unmarked rows are untouched"
    );
    // One undo reverts the whole bulk action.
    t.send_key("u");
    t.wait_until(
        |_| row_with(t, "quietgrep").contains('●') && row_with(t, "kelvinrow").contains('●'),
        timeout(5),
        "both new",
    )
    .unwrap();

    t.select_row("tessellate");
    t.send_key("a");
    t.wait_for("assign to: ", timeout(5)).unwrap();
    t.send(b"bob\r");
    t.wait_for("assigned to bob", timeout(5)).unwrap();
    t.send_key("t");
    t.send(b"praise\r");
    t.wait_for("#praise", timeout(5)).unwrap();
    t.send_key("n");
    t.send(b"thank them on Monday\r");
    t.wait_for("thank them on Monday", timeout(5)).unwrap();
    let e = c.env.exported("49518731");
    assert_eq!(e["assignee"], "bob");

    // Filters by assignee and tag find it; the `:` prompt completes and runs commands by name.
    t.send_key(":");
    t.send(b"filter tag:praise assignee:bob\r");
    t.wait_until(
        |s| s.contains("tessellate") && !s.contains("kelvinrow"),
        timeout(5),
        "tag and assignee filter",
    )
    .unwrap();
    t.send_key(":");
    t.send(b"esca\t");
    t.wait_for(":escalate", timeout(5)).unwrap();
    t.send(b"\r");
    t.wait_until(
        |_| row_with(t, "tessellate").contains('!'),
        timeout(5),
        "escalated by command",
    )
    .unwrap();
    assert_eq!(c.env.exported("49518731")["status"], "escalated");
}

#[test]
fn help_panes_resize_and_links() {
    let c = start(120, 32);
    let t = &c.term;
    t.send_key("?");
    t.wait_for("mark responded", timeout(5)).unwrap();
    t.wait_for(":ours", timeout(5)).unwrap();
    t.send_key("Esc");
    t.wait_until(|s| !s.contains("any other key closes"), timeout(5), "help closed")
        .unwrap();

    t.send_key("4");
    t.wait_for("Stats · last 7 days", timeout(5)).unwrap();
    t.wait_until(
        |s| s.lines().filter(|l| l.contains("20")).count() >= 7,
        timeout(5),
        "seven days of figures",
    )
    .unwrap();
    t.send_key("s");
    t.wait_for("Stats · last 14 days", timeout(5)).unwrap();
    t.send_key("Tab");
    t.wait_for("People · by mentions", timeout(5)).unwrap();
    t.send_key("Tab");
    // Ours, over the Stats pane's days; without an account of ours, what to add.
    t.wait_for("Ours · last 14 days", timeout(5)).unwrap();
    t.wait_for("[[account]]", timeout(5)).unwrap();
    t.send_key("Tab");
    t.wait_for("Stream ·", timeout(5)).unwrap();
    t.send_key("3");
    t.wait_for("No drafts. Press r on a mention", timeout(5)).unwrap();
    t.send_key("1");
    t.wait_gone("No drafts. Press r on a mention", timeout(5)).unwrap();

    // Narrow: the detail goes below the stream; wide: beside it. Nothing is lost either way.
    t.resize(80, 24);
    t.wait_until(
        |s| s.lines().next().is_some_and(|l| l.contains("1 Stream")) && s.contains("Detail"),
        timeout(5),
        "redrawn at 80x24",
    )
    .unwrap();
    for line in t.screen().lines() {
        assert!(line.chars().count() <= 80, "{line}");
    }
    t.resize(160, 48);
    t.wait_until(
        |s| {
            s.lines()
                .nth(1)
                .is_some_and(|l| l.contains("Stream") && l.contains("Detail"))
        },
        timeout(5),
        "side by side",
    )
    .unwrap();

    // o copies the link (OSC 52) and shows it as a hyperlink (OSC 8).
    t.select_row("kelvinrow");
    t.send_key("o");
    t.wait_for("link: https://news.ycombinator.com/item?id=49520915", timeout(5))
        .unwrap();
    let raw = String::from_utf8_lossy(&t.raw()).into_owned();
    assert!(raw.contains("\x1b]52;c;"), "OSC 52 copy");
    assert!(
        raw.contains("\x1b]8;;https://news.ycombinator.com/item?id=49520915\x1b\\"),
        "OSC 8 link"
    );
    t.send_key("q");
}

#[test]
fn no_color_means_no_colour_and_an_idle_console_writes_nothing() {
    let c = start_with(100, 30, &[("NO_COLOR", "1")], "");
    let t = &c.term;
    // Let the first polls, reads and messages settle.
    t.wait_for("feeds 1 ok", timeout(10)).unwrap();
    let settled = || {
        let before = t.raw().len();
        std::thread::sleep(std::time::Duration::from_millis(2500));
        t.raw().len() == before
    };
    assert!(wait_until(timeout(30), settled), "the console keeps writing while idle");
    // Any SGR sequence that sets a colour (30–37, 40–47, 90–97, 100–107, 38;…, 48;…).
    let raw = t.raw();
    let mut colours = Vec::new();
    let mut i = 0;
    while let Some(pos) = raw[i..].windows(2).position(|w| w == b"\x1b[") {
        let start = i + pos + 2;
        let end = raw[start..]
            .iter()
            .position(|b| (0x40..=0x7e).contains(b))
            .map_or(raw.len(), |e| start + e);
        if raw.get(end) == Some(&b'm') {
            let params = String::from_utf8_lossy(&raw[start..end]).into_owned();
            for p in params.split(';') {
                if let Ok(n) = p.parse::<u32>()
                    && matches!(n, 30..=38 | 40..=48 | 90..=97 | 100..=107)
                {
                    colours.push(params.clone());
                }
            }
        }
        i = end.min(raw.len() - 1).max(start);
    }
    assert!(colours.is_empty(), "colour codes with NO_COLOR: {colours:?}");
}

#[test]
fn saved_views_rebound_keys_and_the_mouse() {
    let c = start_with(
        120,
        32,
        &[],
        "[keys]\nresponded = \"r\"\n\n[[view]]\nname = \"stories about planners\"\nfilter = \"planner\"\n",
    );
    let t = &c.term;
    t.send_key("v");
    t.wait_for("1  stories about planners", timeout(5)).unwrap();
    t.send_key("1");
    t.wait_until(
        |s| s.contains("tessellate") && !s.contains("kelvinrow"),
        timeout(5),
        "the view",
    )
    .unwrap();
    t.wait_for("view: stories about planners", timeout(5)).unwrap();
    // The rebound key marks responded; its old key no longer does.
    t.send_key("r");
    t.wait_until(
        |_| row_with(t, "tessellate").contains('✓'),
        timeout(5),
        "responded by r",
    )
    .unwrap();
    t.send_key("Esc");
    t.wait_for("kelvinrow", timeout(5)).unwrap();
    t.select_row("kelvinrow");
    t.send_key("d");
    t.wait_for("d does nothing here", timeout(5)).unwrap();
    assert!(row_with(t, "kelvinrow").contains('●'));

    // A click on a row selects it (SGR mouse report: button 0 at column 10 of that row).
    let screen = t.screen();
    let row = screen
        .lines()
        .position(|l| l.contains("ferrous_ana"))
        .expect("ferrous_ana on screen")
        + 1;
    t.send(format!("\x1b[<0;10;{row}M\x1b[<0;10;{row}m").as_bytes());
    t.wait_until(
        |_| t.reversed_row_text().is_some_and(|r| r.contains("ferrous_ana")),
        timeout(5),
        "clicked row selected",
    )
    .unwrap();
    // The wheel moves the selection.
    t.send(format!("\x1b[<65;10;{row}M").as_bytes());
    t.wait_until(
        |_| t.reversed_row_text().is_some_and(|r| r.contains("tessellate")),
        timeout(5),
        "scrolled down",
    )
    .unwrap();
}

#[test]
fn a_teammate_who_may_only_read_the_database_browses_it_in_the_console() {
    use std::os::unix::fs::PermissionsExt;
    // SAFETY: geteuid has no preconditions and cannot fail.
    if unsafe { libc::geteuid() } != 0 {
        eprintln!("not run: acting as a second user needs root");
        return;
    }
    let (env, _server) = hn_env("", "");
    let out = env.run(&["poll", "--once"]);
    assert!(out.status.success());
    let before: i64 = env.sql("SELECT count(*) FROM reads");
    // That connection was the last to close and took the WAL files with it; overhear keeps them.
    assert!(env.run(&["feeds"]).status.success());
    let mode = |p: &std::path::Path, m: u32| {
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(m))
            .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
    };
    mode(env.path(), 0o755);
    mode(&env.home(), 0o755);
    for end in ["", "-wal", "-shm"] {
        mode(std::path::Path::new(&format!("{}{end}", env.db().display())), 0o644);
    }
    mode(&env.config_path(), 0o644);
    let theirs = tempfile::tempdir().unwrap();
    mode(theirs.path(), 0o777);
    // `nobody` (uid and gid 65534 on Debian) runs the console on the owner's files.
    let mut cmd = env.pty_command("setpriv");
    cmd.args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"]);
    cmd.arg(crate::common::env::BIN);
    cmd.arg("--config");
    cmd.arg(env.config_path());
    cmd.arg("--db");
    cmd.arg(env.db());
    cmd.env("HOME", theirs.path());
    cmd.env("XDG_STATE_HOME", theirs.path().join("state"));
    cmd.cwd(theirs.path());
    let term = Term::spawn(cmd, 120, 30);
    term.wait_for("tessellate", timeout(20)).unwrap();
    term.wait_for("read-only for you", timeout(10)).unwrap();
    term.send_keys(&["j", "j"]);
    term.send_key("i");
    term.wait_for("saving a triage change was refused", timeout(10))
        .unwrap();
    assert!(!term.screen().contains("readonly database"), "{}", term.screen());
    term.send_key("q");
    assert_eq!(
        env.sql::<i64>("SELECT count(*) FROM reads"),
        before,
        "no read mark tried"
    );
    assert_eq!(env.sql::<i64>("SELECT count(*) FROM mentions WHERE status != 'new'"), 0);
}
