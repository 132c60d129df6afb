//! Running a program and reading what it cost: wall time and peak resident memory (its VmHWM).

use std::process::Command;
use std::time::{Duration, Instant};

/// A setting from the environment, or its default.
pub fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// The history sizes to measure: `OVERHEAR_BENCH_HISTORY`, default 10,000, 100,000 and 1,000,000.
pub fn history_sizes() -> Vec<usize> {
    std::env::var("OVERHEAR_BENCH_HISTORY")
        .unwrap_or_else(|_| "10000,100000,1000000".into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect()
}

#[derive(Debug, Clone, Copy)]
pub struct Cost {
    pub wall: Duration,
    /// Peak resident set, bytes.
    pub peak_rss: u64,
}

/// Run `cmd` to the end; what it cost. Panics with its output when it fails.
pub fn run(cmd: &mut Command) -> Cost {
    cmd.stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let start = Instant::now();
    let child = cmd.spawn().unwrap_or_else(|e| panic!("start {cmd:?}: {e}"));
    let pid = child.id();
    // Read the output on threads so a chatty program never blocks on a full pipe.
    let mut child = child;
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let out_t = std::thread::spawn(move || {
        let mut v = Vec::new();
        std::io::Read::read_to_end(&mut out, &mut v).ok();
        v
    });
    let err_t = std::thread::spawn(move || {
        let mut v = Vec::new();
        std::io::Read::read_to_end(&mut err, &mut v).ok();
        v
    });
    // Peak memory from the program's own high-water mark (VmHWM), read while it runs: wait4's
    // ru_maxrss also counts what the child inherited from this (large) process before exec.
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let watch = {
        let done = done.clone();
        std::thread::spawn(move || {
            let mut peak = 0u64;
            while !done.load(std::sync::atomic::Ordering::Relaxed) {
                if let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status"))
                    && let Some(kb) = status
                        .lines()
                        .find_map(|l| l.strip_prefix("VmHWM:"))
                        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
                {
                    peak = peak.max(kb * 1024);
                }
                std::thread::sleep(Duration::from_millis(5));
            }
            peak
        })
    };
    let status = child.wait().unwrap_or_else(|e| panic!("wait for {cmd:?}: {e}"));
    let wall = start.elapsed();
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    let peak = watch.join().unwrap_or(0);
    let out = out_t.join().unwrap();
    let err = err_t.join().unwrap();
    assert!(
        status.success(),
        "{cmd:?} failed ({status}):\n{}\n{}",
        String::from_utf8_lossy(&out),
        String::from_utf8_lossy(&err)
    );
    Cost { wall, peak_rss: peak }
}

pub fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    if v.is_empty() {
        return f64::NAN;
    }
    let m = v.len() / 2;
    if v.len() % 2 == 1 {
        v[m]
    } else {
        (v[m - 1] + v[m]) / 2.0
    }
}

/// Evict `path`'s pages from the OS cache (no root needed): the next read comes from the disk.
pub fn evict(path: &std::path::Path) {
    if let Ok(f) = std::fs::File::open(path) {
        use std::os::fd::AsRawFd;
        let _ = f.sync_all();
        // SAFETY: a valid open descriptor; the advice only drops clean cached pages.
        unsafe {
            libc::posix_fadvise(f.as_raw_fd(), 0, 0, libc::POSIX_FADV_DONTNEED);
        }
    }
}
