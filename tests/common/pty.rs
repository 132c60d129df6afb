//! Drive a real binary in a real pseudo-terminal, as a person would: keys in, the screen (parsed
//! by vt100) and the raw bytes out.
//!
//! A reader thread feeds every byte the program writes into a `vt100::Parser` and a raw log, and
//! answers the terminal queries a real xterm answers (cursor position `ESC[6n`, status `ESC[5n`,
//! device attributes `ESC[c`), so a program that asks does not wait for a reply that never comes.
//! Waits wake on new output, look only at drawn frames (the output has paused for a moment, see
//! [`Term::wait_until`]) and give up at a deadline; their error shows the screen. The program is
//! SIGKILLed with its process group when the `Term` drops.

pub use super::timeout;
use super::{SIGKILL, send_signal};
use portable_pty::{Child, MasterPty, PtySize, native_pty_system};
pub use portable_pty::{CommandBuilder, ExitStatus};
use std::io::{Read, Write};
use std::num::NonZeroU16;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn nz(n: u16) -> NonZeroU16 {
    NonZeroU16::new(n).expect("a terminal is at least 1x1")
}

/// Queries a real terminal answers. Matched on the raw stream, across read boundaries.
const QUERIES: [&[u8]; 4] = [b"\x1b[6n", b"\x1b[5n", b"\x1b[c", b"\x1b[0c"];

struct State {
    parser: vt100::Parser,
    raw: Vec<u8>,
    /// Bumped on every change (output, end of output, resize).
    generation: u64,
    /// The program side has closed: every process on the terminal is gone.
    eof: bool,
    /// When output last arrived (or the terminal was started or resized).
    last_output: Instant,
    /// The end of the last read that may be the start of a query.
    query_tail: Vec<u8>,
}

impl State {
    /// Take in a chunk of output; the replies the terminal owes, in order.
    fn feed(&mut self, chunk: &[u8]) -> Vec<Vec<u8>> {
        self.raw.extend_from_slice(chunk);
        self.generation += 1;
        self.last_output = Instant::now();
        let tail_len = self.query_tail.len();
        let mut scan = std::mem::take(&mut self.query_tail);
        scan.extend_from_slice(chunk);
        let mut replies = Vec::new();
        let mut done = 0; // bytes of `chunk` already given to the parser
        let mut i = 0;
        while i < scan.len() {
            let Some(q) = QUERIES.iter().find(|q| scan[i..].starts_with(q)) else {
                i += 1;
                continue;
            };
            let end = i + q.len() - tail_len; // a query always ends inside `chunk`
            self.parser.process(&chunk[done..end]);
            done = end;
            replies.push(match q[2] {
                b'6' => {
                    let (row, col) = self.parser.screen().cursor_position();
                    format!("\x1b[{};{}R", row + 1, col + 1).into_bytes()
                }
                b'5' => b"\x1b[0n".to_vec(),
                _ => b"\x1b[?1;2c".to_vec(),
            });
            i += q.len();
        }
        self.parser.process(&chunk[done..]);
        // Keep the longest end of the stream that could still become a query.
        let keep = (1..=3.min(scan.len()))
            .rev()
            .find(|&n| {
                let end = &scan[scan.len() - n..];
                QUERIES.iter().any(|q| q.len() > n && q.starts_with(end))
            })
            .unwrap_or(0);
        self.query_tail = scan[scan.len() - keep..].to_vec();
        replies
    }
}

struct Shared {
    state: Mutex<State>,
    changed: Condvar,
}

/// A program running in a real pseudo-terminal. The program is killed (its whole process group,
/// SIGKILL) when the `Term` drops.
pub struct Term {
    shared: Arc<Shared>,
    writer: Arc<Mutex<Box<dyn Write + Send>>>,
    master: Box<dyn MasterPty + Send>,
    child: Mutex<Box<dyn Child + Send + Sync>>,
    status: Mutex<Option<ExitStatus>>,
    pid: Option<u32>,
    settle: Duration,
}

/// How long the output must pause before the screen counts as drawn (see [`Term::wait_until`]).
pub fn default_settle() -> Duration {
    super::scaled(Duration::from_millis(30))
}

impl Term {
    /// Start `cmd` in a new `cols`×`rows` pseudo-terminal, as the leader of its own session.
    ///
    /// portable-pty's `CommandBuilder` starts from the whole environment of the test and, with no
    /// cwd, runs in `$HOME`; here a missing cwd means the test's own directory, and a `TERM` left
    /// as inherited becomes `xterm-256color` (what the parser and the keys emulate).
    pub fn spawn(mut cmd: CommandBuilder, cols: u16, rows: u16) -> Term {
        if cmd.get_cwd().is_none() {
            cmd.cwd(std::env::current_dir().expect("current directory"));
        }
        if cmd.get_env("TERM") == std::env::var_os("TERM").as_deref() {
            cmd.env("TERM", "xterm-256color");
        }
        let argv = format!("{:?}", cmd.get_argv());
        let pair = native_pty_system()
            .openpty(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("open a pty");
        let child = pair
            .slave
            .spawn_command(cmd)
            .unwrap_or_else(|e| panic!("spawn {argv} in a pty: {e:#}"));
        // Only the child holds the terminal side now, so output ends when the last process on it
        // does.
        drop(pair.slave);
        let pid = child.process_id();
        let mut reader = pair.master.try_clone_reader().expect("pty reader");
        let writer: Arc<Mutex<Box<dyn Write + Send>>> =
            Arc::new(Mutex::new(pair.master.take_writer().expect("pty writer")));
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                parser: vt100::Parser::new(nz(rows), nz(cols), 0),
                raw: Vec::new(),
                generation: 0,
                eof: false,
                last_output: Instant::now(),
                query_tail: Vec::new(),
            }),
            changed: Condvar::new(),
        });
        let (sh, w) = (shared.clone(), writer.clone());
        std::thread::Builder::new()
            .name("pty-reader".into())
            .spawn(move || {
                let mut buf = [0u8; 16 * 1024];
                loop {
                    let n = match reader.read(&mut buf) {
                        Ok(0) => break,
                        Ok(n) => n,
                        Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                        // EIO once the last process on the terminal has closed it.
                        Err(_) => break,
                    };
                    let replies = lock(&sh.state).feed(&buf[..n]);
                    sh.changed.notify_all();
                    if !replies.is_empty() {
                        let mut w = lock(&w);
                        for r in replies {
                            let _ = w.write_all(&r);
                        }
                        let _ = w.flush();
                    }
                }
                let mut st = lock(&sh.state);
                st.eof = true;
                st.generation += 1;
                drop(st);
                sh.changed.notify_all();
            })
            .expect("spawn the pty reader");
        Term {
            shared,
            writer,
            master: pair.master,
            child: Mutex::new(child),
            status: Mutex::new(None),
            pid,
            settle: default_settle(),
        }
    }

    /// Type these bytes.
    pub fn send(&self, bytes: &[u8]) {
        let mut w = lock(&self.writer);
        w.write_all(bytes).expect("write to the pty");
        w.flush().expect("flush the pty");
    }

    /// A key by name, as xterm sends it: a single character as itself; `Enter`, `Esc`, `Tab`,
    /// `BackTab`, `Backspace`, `Space`, `Up`, `Down`, `Left`, `Right`, `Home`, `End`, `PageUp`,
    /// `PageDown`, `Insert`, `Delete`, `F1`…`F12`; `C-x` for control keys and `M-x` for Alt.
    /// Any other name panics, so a typo fails loudly.
    pub fn send_key(&self, key: &str) {
        self.send(&key_bytes(key));
    }

    /// Send keys one after another, e.g. `&["j", "j", "Enter"]`.
    pub fn send_keys(&self, keys: &[&str]) {
        for k in keys {
            self.send_key(k);
        }
    }

    /// The screen as text: rows joined by newlines (a soft-wrapped row joins the next without
    /// one), trailing blanks and blank rows trimmed.
    pub fn screen(&self) -> String {
        lock(&self.shared.state).parser.screen().contents()
    }

    /// Each row of the screen, exactly `rows` of them, trailing blanks trimmed.
    pub fn rows(&self) -> Vec<String> {
        let st = lock(&self.shared.state);
        let screen = st.parser.screen();
        let cols = screen.size().1.get();
        screen.rows(0, cols).collect()
    }

    /// Look at the whole vt100 screen (cells, colours, cursor, modes).
    pub fn with_screen<R>(&self, f: impl FnOnce(&vt100::Screen) -> R) -> R {
        f(lock(&self.shared.state).parser.screen())
    }

    /// (row, col) of the cursor, from 0.
    pub fn cursor(&self) -> (u16, u16) {
        self.with_screen(|s| s.cursor_position())
    }

    /// The text of the first row, above the last one, drawn mostly in reverse video (a list's
    /// selection; the status bar on the last row is reverse video too), if any.
    pub fn reversed_row_text(&self) -> Option<String> {
        self.with_screen(|screen| {
            let (rows, cols) = screen.size();
            let (rows, cols) = (rows.get(), cols.get());
            let texts: Vec<String> = screen.rows(0, cols).collect();
            (0..rows.saturating_sub(1)).find_map(|r| {
                let inverse = (0..cols)
                    .filter(|c| screen.cell(r, *c).is_some_and(|cell| cell.inverse()))
                    .count();
                (inverse > usize::from(cols / 2)).then(|| texts[usize::from(r)].trim().to_string())
            })
        })
    }

    /// Move the selection down with `j` until its row shows `needle` (at most a dozen rows).
    pub fn select_row(&self, needle: &str) {
        for _ in 0..12 {
            self.wait_settled(timeout(5)).unwrap();
            if self.reversed_row_text().is_some_and(|r| r.contains(needle)) {
                return;
            }
            let before = self.reversed_row_text();
            self.send_key("j");
            self.wait_until(
                |_| self.reversed_row_text() != before,
                timeout(5),
                "the selection to move",
            )
            .unwrap();
        }
        panic!("could not select {needle}:\n{}", self.screen());
    }

    /// Every byte the program wrote, escapes included.
    pub fn raw(&self) -> Vec<u8> {
        lock(&self.shared.state).raw.clone()
    }

    /// Whether the program side of the terminal has closed (every process on it is gone).
    pub fn output_ended(&self) -> bool {
        lock(&self.shared.state).eof
    }

    /// Whether the terminal is in cooked mode (canonical input and echo, as a shell leaves it) or
    /// not (raw mode, as a full-screen program sets it). `None` where it cannot be told.
    pub fn cooked(&self) -> Option<bool> {
        #[cfg(target_os = "linux")]
        const ICANON_ECHO: u64 = 0o2 | 0o10;
        #[cfg(target_os = "macos")]
        const ICANON_ECHO: u64 = 0x100 | 0x8;
        #[cfg(any(target_os = "linux", target_os = "macos"))]
        {
            let t = self.master.get_termios()?;
            #[allow(clippy::useless_conversion)]
            let flags = u64::from(t.local_flags.bits());
            Some(flags & ICANON_ECHO == ICANON_ECHO)
        }
        #[cfg(not(any(target_os = "linux", target_os = "macos")))]
        None
    }

    /// Wait until `pred` holds for the screen text.
    ///
    /// `pred` is checked on drawn screens only: once the output has paused for the settle time
    /// ([`default_settle`], 30 ms, ×3 under CI; see [`Term::set_settle`]). A program writes a
    /// frame in several pieces, and a half-drawn frame (a new row over an old selection, say)
    /// must not satisfy a wait. A program whose output never pauses is checked anyway after ten
    /// settle times, and at the deadline. Re-checked on every change of the screen and at least
    /// every 50 ms, for predicates that look elsewhere. The error names `what`, says whether the
    /// program is still running and shows the screen.
    pub fn wait_until(&self, pred: impl Fn(&str) -> bool, limit: Duration, what: &str) -> Result<(), String> {
        let deadline = Instant::now() + limit;
        let mut restless_since: Option<Instant> = None;
        loop {
            let (text, generation, last_output) = {
                let st = lock(&self.shared.state);
                (st.parser.screen().contents(), st.generation, st.last_output)
            };
            let now = Instant::now();
            let quiet = now.saturating_duration_since(last_output);
            let settled = quiet >= self.settle;
            let restless = if settled {
                restless_since = None;
                false
            } else {
                now.duration_since(*restless_since.get_or_insert(now)) >= self.settle * 10
            };
            if (settled || restless || now >= deadline) && pred(&text) {
                return Ok(());
            }
            if now >= deadline {
                return Err(self.failure(&format!("timed out after {limit:?} waiting for {what}")));
            }
            let step = if settled {
                Duration::from_millis(50)
            } else {
                self.settle - quiet
            };
            let st = lock(&self.shared.state);
            let _ = self.shared.changed.wait_timeout_while(
                st,
                step.min(deadline - now).max(Duration::from_millis(1)),
                |st| st.generation == generation,
            );
        }
    }

    /// Wait until the output has paused for the settle time, so the screen is a drawn frame.
    pub fn wait_settled(&self, limit: Duration) -> Result<(), String> {
        self.wait_until(|_| true, limit, "the screen to settle")
    }

    /// How long the output must pause before the screen counts as drawn ([`default_settle`]);
    /// zero checks every change as it comes.
    pub fn set_settle(&mut self, settle: Duration) {
        self.settle = settle;
    }

    /// Wait until the screen shows `text`.
    pub fn wait_for(&self, text: &str, limit: Duration) -> Result<(), String> {
        self.wait_until(|s| s.contains(text), limit, &format!("{text:?} on screen"))
    }

    /// Wait until the screen no longer shows `text`.
    pub fn wait_gone(&self, text: &str, limit: Duration) -> Result<(), String> {
        self.wait_until(|s| !s.contains(text), limit, &format!("{text:?} to leave the screen"))
    }

    /// Wait until the raw output (escapes included) contains `bytes`.
    pub fn wait_for_raw(&self, bytes: &[u8], limit: Duration) -> Result<(), String> {
        let found = |st: &State| st.raw.windows(bytes.len().max(1)).any(|w| w == bytes);
        let deadline = Instant::now() + limit;
        let mut st = lock(&self.shared.state);
        loop {
            if found(&st) {
                return Ok(());
            }
            let now = Instant::now();
            if now >= deadline {
                drop(st);
                let what = format!("timed out after {limit:?} waiting for raw bytes {:?}", escape(bytes));
                return Err(self.failure(&what));
            }
            let generation = st.generation;
            st = self
                .shared
                .changed
                .wait_timeout_while(st, deadline - now, |st| st.generation == generation)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }

    fn failure(&self, what: &str) -> String {
        let (size, text, eof) = {
            let st = lock(&self.shared.state);
            let (rows, cols) = st.parser.screen().size();
            (format!("{cols}x{rows}"), st.parser.screen().contents(), st.eof)
        };
        let running = match self.try_status() {
            Some(s) => format!("the program has exited ({})", describe(&s)),
            None if eof => "the terminal's output has ended".to_string(),
            None => "the program is running".to_string(),
        };
        let rule = "─".repeat(40);
        format!("{what}; {running}; the screen ({size}):\n{rule}\n{text}\n{rule}")
    }

    /// Resize the terminal (the program gets SIGWINCH) and the screen model with it.
    pub fn resize(&self, cols: u16, rows: u16) {
        {
            let mut st = lock(&self.shared.state);
            st.parser.set_size(nz(rows), nz(cols));
            st.generation += 1;
            st.last_output = Instant::now();
        }
        self.master
            .resize(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("resize the pty");
    }

    /// The process id of the program started (the leader of the terminal's session).
    pub fn pid(&self) -> Option<u32> {
        self.pid
    }

    /// Send a signal to the program (not its children), e.g. [`super::SIGHUP`] or [`super::SIGTERM`].
    pub fn signal(&self, sig: i32) {
        super::signal(self.pid.expect("a child pid"), sig);
    }

    fn try_status(&self) -> Option<ExitStatus> {
        let mut status = lock(&self.status);
        if status.is_none() {
            *status = lock(&self.child).try_wait().ok().flatten();
        }
        status.clone()
    }

    /// The exit code once the program has exited within `limit`, else `None`. A program killed by
    /// a signal reports 1 (portable-pty's convention); see [`Term::wait_exit_status`].
    pub fn wait_exit(&mut self, limit: Duration) -> Option<u32> {
        self.wait_exit_status(limit).map(|s| s.exit_code())
    }

    /// The exit status (with the signal's name if one ended it) once the program has exited
    /// within `limit`.
    pub fn wait_exit_status(&mut self, limit: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(s) = self.try_status() {
                return Some(s);
            }
            let now = Instant::now();
            if now >= deadline {
                return None;
            }
            // Wake on output (an exiting program often writes last) or poll every 10 ms.
            let st = lock(&self.shared.state);
            let generation = st.generation;
            let step = (deadline - now).min(Duration::from_millis(10));
            let _ = self
                .shared
                .changed
                .wait_timeout_while(st, step, |st| st.generation == generation);
        }
    }

    /// SIGKILL the program and everything in its process group (it leads its own session, so this
    /// is what runs on the terminal), then reap it. portable-pty's own `kill` would send SIGHUP
    /// first and wait, which a program may catch.
    pub fn kill(&mut self) {
        if self.try_status().is_some() {
            return;
        }
        if let Some(pid) = self.pid {
            if !send_signal(-(pid as i32), SIGKILL) {
                send_signal(pid as i32, SIGKILL);
            }
        }
        let status = lock(&self.child).wait().ok();
        *lock(&self.status) = status;
    }
}

impl Drop for Term {
    fn drop(&mut self) {
        // Before the writer drops: portable-pty's writer types a newline and EOF when it drops.
        self.kill();
    }
}

fn describe(s: &ExitStatus) -> String {
    match s.signal() {
        Some(sig) => format!("killed by {sig}"),
        None => format!("exit code {}", s.exit_code()),
    }
}

fn escape(bytes: &[u8]) -> String {
    bytes.escape_ascii().to_string()
}

/// The bytes xterm sends for a key name (see [`Term::send_key`]).
pub fn key_bytes(key: &str) -> Vec<u8> {
    let named: Option<&[u8]> = match key {
        "Enter" => Some(b"\r"),
        "Esc" => Some(b"\x1b"),
        "Tab" => Some(b"\t"),
        "BackTab" | "S-Tab" => Some(b"\x1b[Z"),
        "Backspace" => Some(b"\x7f"),
        "Space" => Some(b" "),
        "Up" => Some(b"\x1b[A"),
        "Down" => Some(b"\x1b[B"),
        "Right" => Some(b"\x1b[C"),
        "Left" => Some(b"\x1b[D"),
        "Home" => Some(b"\x1b[H"),
        "End" => Some(b"\x1b[F"),
        "PageUp" => Some(b"\x1b[5~"),
        "PageDown" => Some(b"\x1b[6~"),
        "Insert" => Some(b"\x1b[2~"),
        "Delete" => Some(b"\x1b[3~"),
        "F1" => Some(b"\x1bOP"),
        "F2" => Some(b"\x1bOQ"),
        "F3" => Some(b"\x1bOR"),
        "F4" => Some(b"\x1bOS"),
        "F5" => Some(b"\x1b[15~"),
        "F6" => Some(b"\x1b[17~"),
        "F7" => Some(b"\x1b[18~"),
        "F8" => Some(b"\x1b[19~"),
        "F9" => Some(b"\x1b[20~"),
        "F10" => Some(b"\x1b[21~"),
        "F11" => Some(b"\x1b[23~"),
        "F12" => Some(b"\x1b[24~"),
        _ => None,
    };
    if let Some(b) = named {
        return b.to_vec();
    }
    let mut chars = key.chars();
    match (chars.next(), chars.next()) {
        (Some(_), None) => return key.as_bytes().to_vec(),
        (Some(_), Some(_)) => {}
        (None, _) => panic!("send_key needs a key name"),
    }
    if let Some(rest) = key.strip_prefix("C-") {
        let b = rest.as_bytes();
        if b.len() == 1 {
            return match b[0] {
                b'a'..=b'z' | b'A'..=b'Z' => vec![b[0].to_ascii_lowercase() & 0x1f],
                b'@' | b' ' => vec![0],
                b'[' => vec![0x1b],
                b'\\' => vec![0x1c],
                b']' => vec![0x1d],
                b'^' => vec![0x1e],
                b'_' => vec![0x1f],
                _ => panic!("send_key: no control key {key:?}"),
            };
        }
    }
    if let Some(rest) = key.strip_prefix("M-") {
        let mut v = b"\x1b".to_vec();
        v.extend(key_bytes(rest));
        return v;
    }
    panic!("send_key: unknown key {key:?} (use send() for text)")
}
