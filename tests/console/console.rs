//! The console's basics: the stream on screen, moving, quitting with the terminal restored, the
//! welcome, config errors, another process's writes, a panic, and the offline demo.

use crate::common::env::{BIN, Env};
use crate::common::pty::{CommandBuilder, Term};
use crate::common::server::{FixtureServer, Response};
use crate::common::{fixture, timeout};

/// The console (overhear with `args`) run by a shell that then reports its exit code and the
/// terminal's modes, so a test can check the terminal was restored the way a person would find it
/// afterwards.
fn in_shell(env: &Env, args: &[&str]) -> CommandBuilder {
    let mut cmd = env.pty_command("sh");
    let args = args.iter().map(|a| format!(" '{a}'")).collect::<String>();
    cmd.arg("-c");
    cmd.arg(format!(
        "'{BIN}' --config '{}' --db '{}'{args}; echo \"EXIT=$?\"; stty -a | tr -s ' ;\\n' '   ' | sed 's/^/STTY /'; echo STTY_END; sleep 30",
        env.config_path().display(),
        env.db().display()
    ));
    cmd
}

const HOSTILE: &str = "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>x</title>\
    <item><guid>evil-1</guid><title>Hostile \u{1b}]0;pwned\u{7}title \u{1b}[2J\u{1b}[31mred</title>\
    <description>clip \u{1b}]52;c;ZXZpbA==\u{7}board \u{9b}31m c1 \u{1b}P+qdcs\u{1b}\\ end</description>\
    <link>https://example.com/evil</link><pubDate>Mon, 23 Nov 2026 10:00:00 GMT</pubDate></item>\
    </channel></rss>";

#[test]
fn the_console_shows_the_stream_moves_quits_and_restores_the_terminal() {
    let s = FixtureServer::start();
    s.route(
        "/hn/api/v1/search_by_date",
        Response::ok(fixture("hackernews/hn_search_by_date.json")),
    );
    s.route("/evil", Response::ok(HOSTILE.as_bytes().to_vec()));
    let env = Env::with_config(&format!(
        "[[feed]]\nname = \"hn\"\nkind = \"hackernews\"\nquery = \"sqlite\"\nurl = \"{}\"\n\n[[feed]]\nname = \"evil\"\nkind = \"rss\"\nurl = \"{}\"\n",
        s.url("/hn"),
        s.url("/evil")
    ));

    let term = Term::spawn(in_shell(&env, &[]), 100, 30);
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
        timeout(15),
        "selection moved",
    )
    .unwrap();
    let second = selected_row(&term).unwrap();
    term.send_key("Down");
    term.wait_until(
        |_| selected_row(&term).is_some_and(|r| r != second),
        timeout(15),
        "selection moved again",
    )
    .unwrap();
    term.send_key("k");
    term.wait_until(
        |_| selected_row(&term).as_deref() == Some(second.as_str()),
        timeout(15),
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
    let env = Env::with_config("# nothing yet\n");
    let term = Term::spawn(in_shell(&env, &[]), 80, 24);
    term.wait_for("Welcome to overhear", timeout(20)).unwrap();
    let screen = term.screen();
    assert!(screen.contains("No feeds are configured"), "{screen}");
    assert!(screen.contains("overhear demo"), "{screen}");
    term.send_key("q");
    term.wait_for("EXIT=0", timeout(10)).unwrap();
}

#[test]
fn a_bad_config_stops_the_console_before_the_screen_changes() {
    let env = Env::with_config("[[feed]]\nname = \"x\"\nkind = \"carrier-pigeon\"\n");
    let term = Term::spawn(in_shell(&env, &[]), 100, 24);
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
    let s = FixtureServer::start();
    s.route("/a", Response::ok(fixture("atom/atom_spec_1.xml")));
    s.route(
        "/hn/api/v1/search_by_date",
        Response::ok(fixture("hackernews/hn_search_by_date.json")),
    );
    let env = Env::with_config(&format!(
        "[[feed]]\nname = \"atom\"\nkind = \"rss\"\nurl = \"{}\"\nevery = \"1h\"\n",
        s.url("/a")
    ));
    let term = Term::spawn(in_shell(&env, &[]), 100, 30);
    term.wait_for("Atom-Powered Robots Run Amok", timeout(20)).unwrap();
    assert!(!term.screen().contains("Litequeue"));

    // A teammate's poller, another process, would not poll while this console holds the lease:
    // it says who polls and leaves the database alone.
    let service_config = env.file(
        "service.toml",
        &format!(
            "[[feed]]\nname = \"hn\"\nkind = \"hackernews\"\nquery = \"sqlite\"\nurl = \"{}\"\n",
            s.url("/hn")
        ),
    );
    let (service_config, db) = (service_config.display().to_string(), env.db().display().to_string());
    let out = env
        .bare_command(&["--config", &service_config, "--db", &db, "poll", "--once"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("not polling: alice's console"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(s.requests_to("/hn/api/v1/search_by_date").is_empty());
    // A teammate's triage, another process, shows up: the console watches the database every
    // 250 ms, well within two seconds.
    let id = env.sql::<i64>("SELECT id FROM mentions").to_string();
    let out = env
        .bare_command(&[
            "--config",
            &service_config,
            "--db",
            &db,
            "--operator",
            "bob",
            "mark",
            &id,
            "open",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    term.wait_for("0 new · 1 open", timeout(2)).unwrap();
    term.send_key("q");
    term.wait_for("EXIT=0", timeout(10)).unwrap();
}

#[test]
fn a_panic_restores_the_terminal_before_the_message() {
    let env = Env::with_config("");
    let mut cmd = in_shell(&env, &[]);
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
    let env = Env::with_config("");
    let term = Term::spawn(in_shell(&env, &["demo"]), 120, 40);
    // Bundled mentions arrive over HTTP from the built-in server, through the parsers and SQLite.
    term.wait_for("Love the new graph view", timeout(20)).unwrap();
    term.wait_for("Six months with Tidepool", timeout(20)).unwrap();
    term.wait_for("feeds 6 ok", timeout(20)).unwrap();
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

#[test]
fn emoji_that_terminals_measure_differently_keep_the_borders_in_place() {
    let s = FixtureServer::start();
    let items: String = [
        "I \u{2764}\u{FE0F} this",
        "thumbs \u{1F44D}\u{1F3FD}\u{1F44B}\u{1F3FF} up",
        "science \u{1F469}\u{200D}\u{1F52C} lab",
        "warning \u{26A0}\u{FE0F} and peace \u{270C}\u{FE0F}",
        "flag \u{1F3F3}\u{FE0F}\u{200D}\u{1F308} pride",
    ]
    .iter()
    .enumerate()
    .map(|(i, t)| format!("<item><guid>e{i}</guid><title>{t}</title><description>{t}</description></item>"))
    .collect();
    s.route(
        "/feed",
        Response::ok(format!("<rss version=\"2.0\"><channel>{items}</channel></rss>")),
    );
    let env = Env::with_config(&format!(
        "[[feed]]\nname = \"emoji\"\nkind = \"rss\"\nurl = \"{}\"\n",
        s.url("/feed")
    ));
    let term = env.console(120, 20);
    term.wait_for("pride", timeout(20)).unwrap();
    term.wait_settled(timeout(5)).unwrap();
    // The stream's box: its right border is where the top border's corner is, on every row.
    let misplaced = term.with_screen(|screen| {
        let cols = screen.size().1.get();
        let corner = (0..cols)
            .find(|&c| screen.cell(1, c).is_some_and(|cell| cell.contents() == "┐"))
            .expect("the stream's top-right corner");
        (2..12)
            .filter(|&r| screen.cell(r, 0).is_some_and(|cell| cell.contents() == "│"))
            .filter(|&r| screen.cell(r, corner).is_none_or(|cell| cell.contents() != "│"))
            .collect::<Vec<u16>>()
    });
    assert!(
        misplaced.is_empty(),
        "rows {misplaced:?} push the border:\n{}",
        term.screen()
    );
    // What is stored keeps the whole sequences.
    let title: String = env.sql("SELECT title FROM mentions WHERE title LIKE 'science%'");
    assert_eq!(title, "science \u{1F469}\u{200D}\u{1F52C} lab");
}

/// `p` orders the stream by priority now: the angry customer who will cancel comes above the
/// newer praise; the detail says why; `p` again goes back to time; the bundled view is there.
#[test]
fn p_puts_the_mention_to_answer_first_on_top() {
    let s = FixtureServer::start();
    let now = chrono::Utc::now();
    let item = |id: &str, title: &str, mins: i64| {
        format!(
            "<item><guid>{id}</guid><title>{title}</title><link>https://example.com/{id}</link><pubDate>{}</pubDate></item>",
            (now - chrono::Duration::minutes(mins)).to_rfc2822()
        )
    };
    s.route(
        "/feed",
        Response::ok(format!(
            "<rss version=\"2.0\"><channel>{}{}{}</channel></rss>",
            item("praise", "Love the new dashboard, thanks Acme", 5),
            item("news", "Acme releases version 4.2 with a new sync engine", 30),
            item(
                "angry",
                "Charged twice, support never answers, I will cancel. Terrible.",
                90
            ),
        )),
    );
    let env = Env::with_config(&format!(
        "[[feed]]\nname = \"blog\"\nkind = \"rss\"\nurl = \"{}\"\n",
        s.url("/feed")
    ));
    let term = Term::spawn(in_shell(&env, &[]), 120, 30);
    term.wait_for("Charged twice", timeout(20)).unwrap();
    let screen = term.screen();
    let pos = |screen: &str, t: &str| screen.find(t).unwrap_or_else(|| panic!("{t} not on screen:\n{screen}"));
    assert!(
        pos(&screen, "Love the new") < pos(&screen, "Charged twice"),
        "by time first:\n{screen}"
    );
    term.send_key("p");
    term.wait_for("sort:priority", timeout(10)).unwrap();
    term.wait_until(
        |s| {
            s.find("Charged twice")
                .is_some_and(|c| s.find("Love the new").is_some_and(|l| c < l))
        },
        timeout(10),
        "the complaint above the praise",
    )
    .unwrap();
    let screen = term.screen();
    assert!(
        screen.contains("negative") && screen.contains("cancel") && screen.contains("priority"),
        "the detail says why:\n{screen}"
    );
    term.send_key("p");
    term.wait_until(
        |s| {
            s.find("Love the new")
                .is_some_and(|l| s.find("Charged twice").is_some_and(|c| l < c))
        },
        timeout(10),
        "back by time",
    )
    .unwrap();
    term.send_key("v");
    term.wait_for("needs attention", timeout(10)).unwrap();
    term.send_key("Esc");
    term.wait_until(|s| !s.contains("needs attention"), timeout(10), "the menu closed")
        .unwrap();
    term.send_key("q");
    term.wait_for("EXIT=0", timeout(10)).unwrap();
}

/// `A` on a mention opens its author: every mention of theirs with its status; an operator tags
/// them and notes them there, and the note follows them to each mention's detail. `5` ranks
/// everyone.
#[test]
fn a_opens_the_author_and_a_note_on_them_shows_on_their_mentions() {
    let s = FixtureServer::start();
    let now = chrono::Utc::now();
    let item = |id: &str, who: &str, title: &str, mins: i64| {
        format!(
            "<item><guid>{id}</guid><title>{title}</title><link>https://forum.example.com/t/{id}</link>\
             <dc:creator>{who}</dc:creator><pubDate>{}</pubDate></item>",
            (now - chrono::Duration::minutes(mins)).to_rfc2822()
        )
    };
    s.route(
        "/feed",
        Response::ok(format!(
            "<rss version=\"2.0\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\"><channel>{}{}{}</channel></rss>",
            item("1", "lena_k", "Sync stuck at 99% on Android", 120),
            item("2", "beatrix", "Love the new graph view", 60),
            item("3", "lena_k", "Still stuck, I am cancelling", 5),
        )),
    );
    let env = Env::with_config(&format!(
        "[[feed]]\nname = \"forum\"\nkind = \"rss\"\nurl = \"{}\"\n",
        s.url("/feed")
    ));
    let term = Term::spawn(in_shell(&env, &[]), 120, 30);
    term.wait_for("Still stuck", timeout(20)).unwrap();
    // The newest mention is selected: lena_k's.
    term.send_key("A");
    term.wait_for("2 mentions · answered 0", timeout(10)).unwrap();
    let screen = term.screen();
    assert!(
        screen.contains("Sync stuck at 99%") && screen.contains("Still stuck") && !screen.contains("graph view"),
        "her mentions and only hers:\n{screen}"
    );
    term.send_key("t");
    term.wait_for("tag this person:", timeout(10)).unwrap();
    term.send(b"vip");
    term.send_key("Enter");
    term.wait_for("#vip", timeout(10)).unwrap();
    term.send_key("n");
    term.wait_for("note on this person:", timeout(10)).unwrap();
    term.send(b"Family plan since 2022");
    term.send_key("Enter");
    term.wait_for("Family plan since 2022", timeout(10)).unwrap();
    // Enter on her oldest mention: the stream at it, the note in its detail.
    term.send_keys(&["j", "Enter"]);
    term.wait_for("About lena_k", timeout(10)).unwrap();
    let screen = term.screen();
    assert!(screen.contains("Family plan since 2022"), "{screen}");
    assert!(screen.contains("VIP"), "the priority's reasons say VIP:\n{screen}");
    assert!(screen.contains("★lena_k"), "a VIP is starred in the stream:\n{screen}");
    term.send_key("5");
    term.wait_for("People · by mentions", timeout(10)).unwrap();
    term.wait_until(
        |s| {
            s.find("lena_k")
                .is_some_and(|l| s.find("beatrix").is_some_and(|b| l < b))
        },
        timeout(10),
        "lena_k (two mentions) above beatrix",
    )
    .unwrap();
    term.send_key("Esc");
    term.wait_until(|s| !s.contains("People · by"), timeout(10), "back to the stream")
        .unwrap();
    term.send_key("q");
    term.wait_for("EXIT=0", timeout(10)).unwrap();
}

/// `c` corrects what the model judged: the detail says who corrected it and what the model had
/// said; `u` undoes it.
#[test]
fn c_corrects_the_model_and_u_undoes_it() {
    let s = FixtureServer::start();
    s.route(
        "/feed",
        Response::ok(
            "<rss version=\"2.0\"><channel><item><guid>1</guid><title>This update is sick, the new sync is unreal</title>\
             <link>https://example.com/1</link></item></channel></rss>",
        ),
    );
    let env = Env::with_config(&format!(
        "[[feed]]\nname = \"blog\"\nkind = \"rss\"\nurl = \"{}\"\n",
        s.url("/feed")
    ));
    let term = Term::spawn(in_shell(&env, &[]), 120, 30);
    term.wait_for("This update is sick", timeout(20)).unwrap();
    term.send_key("c");
    term.wait_for("correct (negative neutral positive", timeout(10))
        .unwrap();
    term.send(b"positive +praise");
    term.send_key("Enter");
    term.wait_for("(corrected by", timeout(10)).unwrap();
    let screen = term.screen();
    assert!(screen.contains("the model said"), "{screen}");
    assert!(screen.contains("→ positive"), "the history:\n{screen}");
    term.send_key("u");
    term.wait_until(|s| !s.contains("(corrected by"), timeout(10), "undone")
        .unwrap();
    term.send_key("c");
    term.wait_for("correct (negative", timeout(10)).unwrap();
    term.send(b"furious");
    term.send_key("Enter");
    term.wait_for("\"furious\"? say negative, neutral or positive", timeout(10))
        .unwrap();
    term.send_key("Esc");
    term.wait_until(|s| !s.contains("correct (negative"), timeout(10), "the prompt closed")
        .unwrap();
    term.send_key("q");
    term.wait_for("EXIT=0", timeout(10)).unwrap();
}
