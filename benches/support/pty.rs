//! A lean terminal for the console benchmark: the program in a real pseudo-terminal, every byte it
//! writes kept with the time it arrived and fed to a vt100 screen, terminal queries answered.

use portable_pty::{CommandBuilder, PtySize, native_pty_system};
use std::io::{Read, Write};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// The end of a synchronized update: the console draws each frame between begin and end.
pub const FRAME_END: &[u8] = b"\x1b[?2026l";

struct State {
    parser: vt100::Parser,
    /// (when, how many bytes so far) at each chunk that ended a frame.
    frames: Vec<(Instant, usize)>,
    raw_len: usize,
    last_output: Instant,
    tail: Vec<u8>,
}

pub struct Term {
    state: Arc<(Mutex<State>, Condvar)>,
    writer: Box<dyn Write + Send>,
    child: Box<dyn portable_pty::Child + Send + Sync>,
    _master: Box<dyn portable_pty::MasterPty + Send>,
}

impl Term {
    pub fn spawn(cmd: CommandBuilder, cols: u16, rows: u16) -> Term {
        let pair = native_pty_system()
            .openpty(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .unwrap();
        let child = pair.slave.spawn_command(cmd).unwrap();
        drop(pair.slave);
        let mut reader = pair.master.try_clone_reader().unwrap();
        let writer = pair.master.take_writer().unwrap();
        let replies = Arc::new(Mutex::new(pair.master.take_writer().ok()));
        let state = Arc::new((
            Mutex::new(State {
                parser: vt100::Parser::new(
                    std::num::NonZeroU16::new(rows).unwrap(),
                    std::num::NonZeroU16::new(cols).unwrap(),
                    0,
                ),
                frames: Vec::new(),
                raw_len: 0,
                last_output: Instant::now(),
                tail: Vec::new(),
            }),
            Condvar::new(),
        ));
        let st = state.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 64 * 1024];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                let now = Instant::now();
                let chunk = &buf[..n];
                let (lock, cv) = &*st;
                let mut s = lock.lock().unwrap();
                s.parser.process(chunk);
                s.raw_len += n;
                s.last_output = now;
                let mut scan = std::mem::take(&mut s.tail);
                scan.extend_from_slice(chunk);
                if scan.windows(FRAME_END.len()).any(|w| w == FRAME_END) {
                    let len = s.raw_len;
                    s.frames.push((now, len));
                }
                // A cursor-position query gets an answer, as from a real terminal.
                if scan.windows(4).any(|w| w == b"\x1b[6n")
                    && let Some(w) = replies.lock().unwrap().as_mut()
                {
                    let _ = w.write_all(b"\x1b[1;1R");
                }
                s.tail = scan[scan.len().saturating_sub(FRAME_END.len())..].to_vec();
                drop(s);
                cv.notify_all();
            }
        });
        Term {
            state,
            writer,
            child,
            _master: pair.master,
        }
    }

    pub fn send(&mut self, bytes: &[u8]) -> Instant {
        self.writer.write_all(bytes).unwrap();
        self.writer.flush().unwrap();
        Instant::now()
    }

    /// Wait until the screen satisfies `pred`; when it first did (the arrival of that output).
    pub fn wait_screen(&self, pred: impl Fn(&str) -> bool, limit: Duration) -> Option<Instant> {
        let (lock, cv) = &*self.state;
        let deadline = Instant::now() + limit;
        let mut s = lock.lock().unwrap();
        loop {
            if pred(&s.parser.screen().contents()) {
                return Some(s.last_output);
            }
            let now = Instant::now();
            if now >= deadline {
                return None;
            }
            s = cv.wait_timeout(s, deadline - now).unwrap().0;
        }
    }

    /// Wait until the output has been quiet for `quiet` (at most `limit`); when the last frame
    /// that began after `since` ended, if one did.
    pub fn last_frame_after(&self, since: Instant, quiet: Duration, limit: Duration) -> Option<Instant> {
        let (lock, _) = &*self.state;
        let deadline = since + limit;
        loop {
            std::thread::sleep(Duration::from_millis(2));
            let s = lock.lock().unwrap();
            let now = Instant::now();
            if now.duration_since(s.last_output.max(since)) >= quiet || now >= deadline {
                return s.frames.iter().rev().map(|f| f.0).find(|t| *t >= since);
            }
        }
    }

    pub fn screen(&self) -> String {
        self.state.0.lock().unwrap().parser.screen().contents()
    }
}

impl Drop for Term {
    fn drop(&mut self) {
        let _ = self.writer.write_all(b"q");
        let _ = self.writer.flush();
        for _ in 0..50 {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
    }
}
