//! `tracing` to a log file: stdout is the screen. `OVERHEAR_LOG` sets the level (default `info`).
//!
//! What reaches the file is sanitised line by line (a server's error text or a feed's title
//! cannot put an escape sequence in the log, for whoever `cat`s it later), other crates log at
//! `warn` unless `OVERHEAR_LOG` names them (an HTML parser at `debug` would copy every mention's
//! text into the log), the file is created readable by its owner only, and it is rotated once it
//! passes `MAX_LOG_BYTES` (one old file is kept, as `overhear.log.1`).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use tracing_subscriber::EnvFilter;

/// Past this size, the log is rotated when overhear starts.
pub const MAX_LOG_BYTES: u64 = 10 * 1024 * 1024;

/// The filter: overhear at the level asked (default `info`), every other crate at `warn` unless
/// named in `OVERHEAR_LOG` (`OVERHEAR_LOG=debug,html5ever=debug`).
pub fn filter(spec: Option<&str>) -> EnvFilter {
    let spec = spec.map(str::trim).filter(|s| !s.is_empty()).unwrap_or("info");
    let mut directives = vec!["warn".to_string()];
    for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        if part.contains('=') {
            directives.push(part.to_string());
        } else {
            // A bare level is overhear's.
            directives.push(format!("overhear={part}"));
        }
    }
    EnvFilter::try_new(directives.join(",")).unwrap_or_else(|_| EnvFilter::new("warn,overhear=info"))
}

/// Send logs to `path`. A log file that cannot be opened is not fatal: logs are dropped.
pub fn init(path: &Path) {
    let filter = filter(std::env::var("OVERHEAR_LOG").ok().as_deref());
    if let Some(dir) = path.parent() {
        let _ = crate::paths::create_private_dir(dir);
    }
    rotate(path, MAX_LOG_BYTES);
    let file = match crate::paths::open_private_append(path) {
        Ok(f) => f,
        Err(_) => return,
    };
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(false)
        .with_writer(Mutex::new(Sanitising(file)))
        .try_init();
}

/// Move a log past `max` bytes aside (replacing the previous one).
pub fn rotate(path: &Path, max: u64) {
    if std::fs::metadata(path).is_ok_and(|m| m.len() > max) {
        let mut old = PathBuf::from(path);
        old.set_extension("log.1");
        let _ = std::fs::rename(path, old);
    }
}

/// A writer that passes text through the terminal sanitiser, keeping line breaks.
pub struct Sanitising<W>(pub W);

impl<W: Write> Write for Sanitising<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let text = String::from_utf8_lossy(buf);
        let clean = crate::text::sanitize(&text);
        self.0.write_all(clean.as_bytes())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_lines_carry_no_escape_sequences() {
        let mut out = Sanitising(Vec::new());
        out.write_all(b"feed error: \x1b]0;pwned\x07 title \x1b[2J done\n")
            .unwrap();
        assert_eq!(String::from_utf8(out.0).unwrap(), "feed error:  title  done\n");
    }

    #[test]
    fn other_crates_stay_at_warn_unless_named() {
        let f = filter(Some("debug")).to_string();
        assert!(f.contains("overhear=debug") && f.contains("warn"), "{f}");
        let f = filter(Some("debug,html5ever=trace")).to_string();
        assert!(f.contains("html5ever=trace"), "{f}");
    }

    #[test]
    fn a_big_log_is_rotated() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("overhear.log");
        std::fs::write(&p, vec![b'x'; 100]).unwrap();
        rotate(&p, 50);
        assert!(!p.exists());
        assert!(dir.path().join("overhear.log.1").exists());
    }
}
