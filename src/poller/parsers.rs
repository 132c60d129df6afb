//! The poller's parsers: threads of their own (`overhear-parse`), as many as leave the writer a
//! core, each below the writer's priority. A large ingest is bounded by the one writer (see
//! `writer.rs`); parsing runs beside it and, where they share a core, yields to it, so the
//! writer is never the one that waits for a time slice. The console's threads keep their
//! priority too: a poll's parsing never slows a key press.
//!
//! Measured on 2 cores (200 feeds × 100 items, alternating runs, medians of 6): the same parses
//! on tokio's blocking pool at the writer's priority took 0.875 s, on these threads 0.77 s and
//! 3 MB less; 200 × 1,000 unchanged within noise.

use std::sync::{Arc, Mutex, mpsc};

/// How far below the rest of the process the parsers run: a nice value 10 higher gives them about
/// a tenth of a core the writer also wants, and all of an idle one.
const NICER: libc::c_int = 10;

type Job = Box<dyn FnOnce() + Send>;

/// The parsers' threads and what they share. Dropping it ends the threads once they finish the
/// document in hand.
pub(super) struct Parsers {
    jobs: mpsc::Sender<Job>,
    /// The scoring of what they read.
    pub(super) scorer: Arc<crate::score::Scorer>,
}

/// How many parses may run at once on a machine of `cores`: every core but the one the writer
/// needs (the one writer is what bounds a large ingest; parsing beside it on its core slowed it:
/// on 2 cores, 200 feeds × 1,000 items took 14.2 s and 78 MB with two parses at once, 13.1 s and
/// 68 MB with one), and one at least.
pub(super) fn parse_slots(cores: usize) -> usize {
    cores.saturating_sub(1).max(1)
}

impl Parsers {
    /// Start [`parse_slots`] threads for this machine.
    pub(super) fn start(scorer: Arc<crate::score::Scorer>) -> std::io::Result<Parsers> {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        Parsers::with_threads(parse_slots(cores), scorer)
    }

    fn with_threads(count: usize, scorer: Arc<crate::score::Scorer>) -> std::io::Result<Parsers> {
        let (jobs, queue) = mpsc::channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        for _ in 0..count {
            let queue = queue.clone();
            std::thread::Builder::new()
                .name("overhear-parse".into())
                .spawn(move || {
                    below_the_writer();
                    loop {
                        // The lock is held only while waiting for the next document; a job never
                        // panics (`run` isolates it), so the lock is never poisoned by one.
                        let next = match queue.lock() {
                            Ok(q) => q.recv(),
                            Err(_) => return,
                        };
                        match next {
                            Ok(job) => job(),
                            Err(_) => return,
                        }
                    }
                })?;
        }
        Ok(Parsers { jobs, scorer })
    }

    /// Run `f` on a parser's thread, isolated: its panic becomes `Err` with the message (the panic
    /// hook has logged where), and the thread goes on to the next document.
    pub(super) async fn run<T: Send + 'static>(&self, f: impl FnOnce() -> T + Send + 'static) -> Result<T, String> {
        let (done, result) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move || {
            let _ = done.send(super::isolate::isolated(f));
        });
        if self.jobs.send(job).is_err() {
            return Err("the parsers have stopped".into());
        }
        result.await.unwrap_or_else(|_| Err("the parsers have stopped".into()))
    }
}

/// Lower this thread's priority by [`NICER`]. On Linux a nice value is a thread's own; raising it
/// needs no privilege, and where it fails (another system) the parser runs at the process's.
fn below_the_writer() {
    #[cfg(target_os = "linux")]
    // SAFETY: `nice` changes only the calling thread's scheduling priority on Linux (see
    // pthreads(7)); its result is not needed.
    unsafe {
        libc::nice(NICER);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scorer() -> Arc<crate::score::Scorer> {
        Arc::new(crate::score::Scorer::default())
    }

    #[test]
    fn parses_leave_the_writer_a_core() {
        assert_eq!(parse_slots(1), 1, "one at least");
        assert_eq!(parse_slots(2), 1);
        assert_eq!(parse_slots(8), 7);
    }

    #[tokio::test]
    async fn a_parser_runs_below_the_writer_and_survives_a_panic() {
        crate::poller::isolate::install_hook();
        let parsers = Parsers::with_threads(1, scorer()).unwrap();
        // SAFETY: reads the calling thread's nice value.
        let ours = unsafe { libc::getpriority(libc::PRIO_PROCESS, 0) };
        let (theirs, name) = parsers
            .run(|| {
                // SAFETY: as above, on the parser's thread.
                let n = unsafe { libc::getpriority(libc::PRIO_PROCESS, 0) };
                (n, std::thread::current().name().map(str::to_string))
            })
            .await
            .unwrap();
        assert_eq!(name.as_deref(), Some("overhear-parse"));
        if cfg!(target_os = "linux") {
            assert_eq!(theirs, (ours + NICER).min(19), "a parser runs below the writer");
        }
        let err = parsers.run(|| -> u8 { panic!("a bug in a reader") }).await.unwrap_err();
        assert!(err.contains("a bug in a reader"), "{err}");
        // The one thread is still there for the next document.
        assert_eq!(parsers.run(|| 7).await, Ok(7));
    }

    #[tokio::test]
    async fn documents_are_parsed_side_by_side_on_every_thread() {
        let parsers = Arc::new(Parsers::with_threads(2, scorer()).unwrap());
        // Two jobs that each wait for the other: they finish only if both threads serve.
        let barrier = Arc::new(std::sync::Barrier::new(2));
        let (a, b) = (barrier.clone(), barrier);
        let (p1, p2) = (parsers.clone(), parsers.clone());
        let one = tokio::spawn(async move { p1.run(move || a.wait().is_leader()).await });
        let two = tokio::spawn(async move { p2.run(move || b.wait().is_leader()).await });
        let both = async { [one.await.unwrap().unwrap(), two.await.unwrap().unwrap()] };
        let leaders = tokio::time::timeout(std::time::Duration::from_secs(20), both)
            .await
            .expect("two documents parse at once on two threads");
        assert_eq!(leaders.iter().filter(|l| **l).count(), 1);
    }
}
