//! The PTY harness tested, driving `sh`. If one of these fails, the console tests built on it
//! cannot be trusted. (The fixture server is tested in `tests/cli/harness_server.rs`.)

use crate::common::pty::{CommandBuilder, Term, key_bytes};
use crate::common::{SIGTERM, timeout, wait_until};
use std::time::{Duration, Instant};

fn sh(script: &str) -> CommandBuilder {
    let mut cmd = CommandBuilder::new("sh");
    cmd.arg("-c");
    cmd.arg(script);
    cmd
}

/// Whether a process still runs (a zombie counts as gone).
fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| s.rsplit_once(") ").map(|(_, rest)| !rest.starts_with('Z')))
        .unwrap_or(false)
}

#[test]
fn pty_screen_keys_raw_log_and_exit() {
    let mut t = Term::spawn(sh(r#"printf "hello\033[31m red\033[0m"; read x; echo got:$x"#), 80, 24);
    t.wait_for("hello red", timeout(10)).unwrap();
    t.send(b"abc\r");
    t.wait_for("got:abc", timeout(10)).unwrap();
    let raw = t.raw();
    assert!(raw.windows(5).any(|w| w == b"\x1b[31m"), "the raw log keeps escapes");
    assert!(raw.windows(4).any(|w| w == b"\x1b[0m"));
    let screen = t.screen();
    assert!(!screen.contains('\x1b'), "the screen is text: {screen:?}");
    assert_eq!(t.rows().len(), 24);
    assert!(t.rows()[0].starts_with("hello redabc"), "{:?}", t.rows()[0]);
    // The colour is on the screen model, not in the text.
    assert_eq!(t.with_screen(|s| s.cell(0, 6).unwrap().fgcolor()), vt100::Color::Idx(1));
    t.wait_for_raw(b"got:abc\r\n", timeout(5)).unwrap();
    assert_eq!(t.wait_exit(timeout(10)), Some(0));
    assert!(wait_until(timeout(5), || t.output_ended()));
    assert!(t.pid().is_some());
}

#[test]
fn pty_wait_failure_shows_the_screen() {
    let t = Term::spawn(sh("echo visible-text; read x"), 40, 10);
    t.wait_for("visible-text", timeout(10)).unwrap();
    let err = t.wait_for("never shown", Duration::from_millis(100)).unwrap_err();
    assert!(
        err.contains("timed out after 100ms waiting for \"never shown\""),
        "{err}"
    );
    assert!(err.contains("the program is running"), "{err}");
    assert!(err.contains("(40x10)") && err.contains("visible-text"), "{err}");
    t.wait_gone("never shown", timeout(1)).unwrap();
}

#[test]
fn pty_resize_reaches_the_program_and_the_screen() {
    let mut t = Term::spawn(sh("stty size; read x; stty size; read y"), 80, 24);
    t.wait_for("24 80", timeout(10)).unwrap();
    t.resize(100, 30);
    assert_eq!(t.with_screen(|s| s.size()).0.get(), 30);
    assert_eq!(t.rows().len(), 30);
    t.send_key("Enter");
    t.wait_for("30 100", timeout(10)).unwrap();
    t.resize(20, 5);
    t.send_key("Enter");
    assert_eq!(t.wait_exit(timeout(10)), Some(0));
    assert_eq!(t.rows().len(), 5);
}

#[test]
fn pty_keys_arrive_as_xterm_sends_them() {
    assert_eq!(key_bytes("C-c"), [3]);
    assert_eq!(key_bytes("C-d"), [4]);
    assert_eq!(key_bytes("PageDown"), b"\x1b[6~");
    assert_eq!(key_bytes("Home"), b"\x1b[H");
    assert_eq!(key_bytes("End"), b"\x1b[F");
    assert_eq!(key_bytes("M-x"), b"\x1bx");
    assert_eq!(key_bytes("é"), "é".as_bytes());
    assert!(
        std::panic::catch_unwind(|| key_bytes("Enetr")).is_err(),
        "a typo fails loudly"
    );

    // In raw mode the program reads exactly the bytes; od shows them.
    let mut t = Term::spawn(
        sh("stty raw -echo; echo ready; dd bs=1 count=9 2>/dev/null | od -An -c | tr -s ' '; stty sane"),
        80,
        24,
    );
    t.wait_for("ready", timeout(10)).unwrap();
    t.send_keys(&["Up", "PageDown", "j", "Tab"]);
    t.wait_for("033 [ A 033 [ 6 ~ j \\t", timeout(10)).unwrap();
    assert_eq!(t.wait_exit(timeout(10)), Some(0));
}

#[test]
fn pty_ctrl_c_interrupts_the_foreground_program() {
    let mut t = Term::spawn(sh("trap 'echo caught-INT; exit 3' INT; echo ready; read x"), 80, 24);
    t.wait_for("ready", timeout(10)).unwrap();
    t.send_key("C-c");
    t.wait_for("caught-INT", timeout(10)).unwrap();
    assert_eq!(t.wait_exit(timeout(10)), Some(3));
}

#[test]
fn pty_answers_cursor_position_and_device_attribute_queries() {
    // The query and the reply are split by the terminal's own processing; the program reads the
    // reply in raw mode as a real terminal's.
    let mut t = Term::spawn(
        sh(
            r#"stty raw -echo; printf '\033[3;5H\033[6n'; r=$(dd bs=1 count=6 2>/dev/null | od -An -c | tr -s ' '); printf '\033[c'; a=$(dd bs=1 count=7 2>/dev/null | od -An -c | tr -s ' '); stty sane; printf '\033[10;1H'; echo "cpr:$r"; echo "da:$a""#,
        ),
        80,
        24,
    );
    t.wait_for("cpr: 033 [ 3 ; 5 R", timeout(10)).unwrap();
    t.wait_for("da: 033 [ ? 1 ; 2 c", timeout(10)).unwrap();
    assert_eq!(t.wait_exit(timeout(10)), Some(0));
}

#[test]
fn pty_cooked_and_raw_modes_are_visible() {
    let t = Term::spawn(sh("echo start; read a; stty raw -echo; echo now-raw; read b"), 80, 24);
    t.wait_for("start", timeout(10)).unwrap();
    assert_eq!(t.cooked(), Some(true));
    t.send_key("Enter");
    t.wait_for("now-raw", timeout(10)).unwrap();
    assert_eq!(t.cooked(), Some(false));
}

#[test]
fn pty_environment_cwd_and_term() {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = sh(r#"echo "term=$TERM foo=$FOO"; echo "cwd=$(pwd)"; [ -t 0 ] && echo tty-yes; read x"#);
    cmd.env("FOO", "bar baz");
    cmd.cwd(dir.path());
    let t = Term::spawn(cmd, 200, 10);
    t.wait_for("term=xterm-256color foo=bar baz", timeout(10)).unwrap();
    let cwd = dir.path().canonicalize().unwrap();
    t.wait_for(&format!("cwd={}", cwd.display()), timeout(10)).unwrap();
    t.wait_for("tty-yes", timeout(10)).unwrap();

    // Without a cwd: the test's own directory, not $HOME.
    let mut cmd = sh(r#"echo "cwd=$(pwd) term=$TERM"; read x"#);
    cmd.env("TERM", "vt100");
    let t = Term::spawn(cmd, 200, 10);
    let here = std::env::current_dir().unwrap();
    t.wait_for(&format!("cwd={} term=vt100", here.display()), timeout(10))
        .unwrap();
}

#[test]
fn pty_kill_is_sigkill_to_the_whole_group() {
    // The shell ignores SIGHUP (portable-pty's own kill starts with it) and has a child.
    let mut t = Term::spawn(sh("trap '' HUP; sleep 1000 & echo child:$!; wait"), 80, 24);
    t.wait_until(
        |s| s.contains("child:") && s.trim_end().ends_with(char::is_numeric),
        timeout(10),
        "a child pid",
    )
    .unwrap();
    let screen = t.screen();
    let child: u32 = screen.split("child:").nth(1).unwrap().trim().parse().unwrap();
    let shell = t.pid().unwrap();
    assert!(alive(shell) && alive(child));
    let started = Instant::now();
    t.kill();
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "no grace period: {:?}",
        started.elapsed()
    );
    let status = t.wait_exit_status(Duration::ZERO).expect("reaped");
    assert!(!status.success());
    assert!(status.signal().is_some_and(|s| s.contains("Killed")), "{status:?}");
    assert!(!alive(shell));
    assert!(wait_until(timeout(5), || !alive(child)), "the grandchild died too");
    assert!(wait_until(timeout(5), || t.output_ended()));
    t.kill(); // twice is fine
}

#[test]
fn pty_drop_kills_the_program() {
    let t = Term::spawn(sh("trap '' HUP; echo up; exec sleep 1000"), 80, 24);
    t.wait_for("up", timeout(10)).unwrap();
    let pid = t.pid().unwrap();
    assert!(alive(pid));
    drop(t);
    assert!(wait_until(timeout(5), || !alive(pid)));
}

#[test]
fn pty_signal_reaches_the_program() {
    let mut t = Term::spawn(
        sh("trap 'echo got-TERM; exit 7' TERM; echo ready; while :; do read x; done"),
        80,
        24,
    );
    t.wait_for("ready", timeout(10)).unwrap();
    t.signal(SIGTERM);
    t.wait_for("got-TERM", timeout(10)).unwrap();
    assert_eq!(t.wait_exit(timeout(10)), Some(7));
}

#[test]
fn pty_reverse_video_selection_is_found() {
    // Row 2 mostly in reverse video, the last row (a status bar) too.
    let t = Term::spawn(
        sh(
            r#"printf '\033[2J\033[1;1Hplain\033[2;1H\033[7m> picked row   \033[0m\033[5;1H\033[7mstatus bar     \033[0m'; read x"#,
        ),
        20,
        5,
    );
    t.wait_for("status bar", timeout(10)).unwrap();
    assert_eq!(t.reversed_row_text().as_deref(), Some("> picked row"));
    assert_eq!(t.cursor(), (4, 15));
}
