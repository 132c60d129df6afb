fn main() -> std::process::ExitCode {
    steady_malloc();
    overhear::cli::main()
}

/// Large buffers (a feed's body, its parsed items, a page of a window) go straight to the
/// system and back. glibc otherwise raises its mmap threshold to the largest block freed so
/// far (up to 32 MB), after which such buffers are carved from the per-thread arenas, whose
/// freed middles are kept: at 200 feeds × 1,000 items that held 10–15 MB the process no longer
/// used (peak RSS 70–79 MB with the sliding threshold, 61–63 MB with it fixed; no slower).
fn steady_malloc() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // 256 KiB: glibc's own ceiling for the initial threshold is 128 KiB, the sliding
        // threshold starts there; requests above this are a few per feed, never per mention.
        const THRESHOLD: libc::c_int = 256 * 1024;
        // SAFETY: called first in `main`, before any thread is started; mallopt only sets a
        // tunable of the allocator and returns 0 when it refuses, which changes nothing else.
        unsafe {
            libc::mallopt(libc::M_MMAP_THRESHOLD, THRESHOLD);
        }
    }
}
