//! `tracing` to a log file: stdout is the screen. `OVERHEAR_LOG` sets the level (default `info`).

use std::path::Path;
use tracing_subscriber::EnvFilter;

/// Send logs to `path`. A log file that cannot be opened is not fatal: logs are dropped.
pub fn init(path: &Path) {
    let filter = EnvFilter::try_from_env("OVERHEAR_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    if let Some(dir) = path.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    let file = match std::fs::OpenOptions::new().create(true).append(true).open(path) {
        Ok(f) => f,
        Err(_) => return,
    };
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(false)
        .with_writer(std::sync::Mutex::new(file))
        .try_init();
}
