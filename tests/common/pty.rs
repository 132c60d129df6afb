//! Drive a real binary in a real pseudo-terminal, as a person would: keys in, the screen (parsed by
//! vt100) and the raw bytes out.

pub use portable_pty::CommandBuilder;
use portable_pty::{Child, MasterPty, PtySize, native_pty_system};
use std::io::{Read, Write};
use std::num::NonZeroU16;
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub struct Term {
    parser: Arc<Mutex<vt100::Parser>>,
    raw: Arc<Mutex<Vec<u8>>>,
    writer: Mutex<Box<dyn Write + Send>>,
    master: Box<dyn MasterPty + Send>,
    child: Box<dyn Child + Send + Sync>,
}

fn nz(n: u16) -> NonZeroU16 {
    NonZeroU16::new(n).expect("a terminal is at least 1x1")
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
            .expect("open a pty");
        let child = pair.slave.spawn_command(cmd).expect("spawn in the pty");
        drop(pair.slave);
        let mut reader = pair.master.try_clone_reader().expect("pty reader");
        let writer = pair.master.take_writer().expect("pty writer");
        let parser = Arc::new(Mutex::new(vt100::Parser::new(nz(rows), nz(cols), 0)));
        let raw = Arc::new(Mutex::new(Vec::new()));
        let (p, r) = (parser.clone(), raw.clone());
        std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            loop {
                match reader.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => {
                        p.lock().unwrap().process(&buf[..n]);
                        r.lock().unwrap().extend_from_slice(&buf[..n]);
                    }
                }
            }
        });
        Term {
            parser,
            raw,
            writer: Mutex::new(writer),
            master: pair.master,
            child,
        }
    }

    pub fn send(&self, bytes: &[u8]) {
        let mut w = self.writer.lock().unwrap();
        w.write_all(bytes).unwrap();
        w.flush().unwrap();
    }

    /// A key by name: a character, or Up, Down, Left, Right, Enter, Esc, Tab, Backspace, Home, End,
    /// PageUp, PageDown, Space, or C-x for control keys.
    pub fn send_key(&self, key: &str) {
        let bytes: Vec<u8> = match key {
            "Up" => b"\x1b[A".to_vec(),
            "Down" => b"\x1b[B".to_vec(),
            "Right" => b"\x1b[C".to_vec(),
            "Left" => b"\x1b[D".to_vec(),
            "Home" => b"\x1b[H".to_vec(),
            "End" => b"\x1b[F".to_vec(),
            "PageUp" => b"\x1b[5~".to_vec(),
            "PageDown" => b"\x1b[6~".to_vec(),
            "Enter" => b"\r".to_vec(),
            "Esc" => b"\x1b".to_vec(),
            "Tab" => b"\t".to_vec(),
            "Backspace" => b"\x7f".to_vec(),
            "Space" => b" ".to_vec(),
            k if k.starts_with("C-") && k.len() == 3 => vec![k.as_bytes()[2].to_ascii_lowercase() & 0x1f],
            k => k.as_bytes().to_vec(),
        };
        self.send(&bytes);
    }

    /// The screen as text, one line per row.
    pub fn screen(&self) -> String {
        self.parser.lock().unwrap().screen().contents()
    }

    /// The text of the first row drawn in reverse video (a selection), if any.
    pub fn reversed_row_text(&self) -> Option<String> {
        let parser = self.parser.lock().unwrap();
        let screen = parser.screen();
        let (rows, cols) = screen.size();
        let texts: Vec<String> = screen.rows(0, cols.get()).collect();
        // The status bar is reverse video too: only rows above the last one count.
        (0..rows.get().saturating_sub(1)).find_map(|r| {
            let inverse = (0..cols.get())
                .filter(|c| screen.cell(r, *c).is_some_and(|cell| cell.inverse()))
                .count();
            (inverse > (cols.get() / 2) as usize).then(|| texts[r as usize].trim().to_string())
        })
    }

    /// Move the selection down with `j` until its row shows `needle` (at most a dozen rows).
    pub fn select_row(&self, needle: &str) {
        for _ in 0..12 {
            if self.reversed_row_text().is_some_and(|r| r.contains(needle)) {
                return;
            }
            let before = self.reversed_row_text();
            self.send_key("j");
            self.wait_until(
                |_| self.reversed_row_text() != before,
                super::timeout(5),
                "the selection to move",
            )
            .unwrap();
        }
        panic!("could not select {needle}:\n{}", self.screen());
    }

    pub fn raw(&self) -> Vec<u8> {
        self.raw.lock().unwrap().clone()
    }

    pub fn wait_until(&self, pred: impl Fn(&str) -> bool, limit: Duration, what: &str) -> Result<(), String> {
        if super::wait_until(limit, || pred(&self.screen())) {
            Ok(())
        } else {
            Err(format!(
                "timed out after {limit:?} waiting for {what}; the screen:\n{}",
                self.screen()
            ))
        }
    }

    pub fn wait_for(&self, text: &str, limit: Duration) -> Result<(), String> {
        self.wait_until(|s| s.contains(text), limit, &format!("{text:?}"))
    }

    pub fn resize(&self, cols: u16, rows: u16) {
        self.master
            .resize(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .unwrap();
        self.parser.lock().unwrap().screen_mut().set_size(nz(rows), nz(cols));
    }

    pub fn pid(&self) -> Option<u32> {
        self.child.process_id()
    }

    /// The exit code, once the child has exited within `limit`.
    pub fn wait_exit(&mut self, limit: Duration) -> Option<u32> {
        let deadline = std::time::Instant::now() + limit;
        loop {
            if let Ok(Some(st)) = self.child.try_wait() {
                return Some(st.exit_code());
            }
            if std::time::Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Term {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            self.kill();
        }
    }
}
