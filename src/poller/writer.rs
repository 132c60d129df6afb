//! The poller's one writer. Polls are parsed on the async side and handed here through a bounded
//! queue (a fetch holds its concurrency permit until its result is queued, so parsed polls never
//! pile up in memory); this thread writes whatever is queued in one transaction — a group commit,
//! each feed all or nothing inside it — so each index page is written once per group, not once per
//! feed, and parsing goes on on the other core meanwhile.
//!
//! Everything else the poller asks of the store (feed state, registering feeds) runs here too, so
//! the poller holds one connection: answered between transactions, ahead of the polls still
//! queued (no caller has acted on a poll not yet written), so that a feed's state asked for at the
//! start of each poll does not cut the group commit into one transaction per poll.

use crate::store::{PollRecord, Recorded, Store, StoreError};
use chrono::Utc;
use tokio::sync::{mpsc, oneshot};

/// Polls waiting to be written, at most: enough to keep the writer busy while the next ones parse.
const QUEUE: usize = 64;
/// And their size, at most (KiB): what a queued poll holds is memory until it is written. Large
/// polls wait for room, small ones queue by the dozen and are written in one transaction.
const QUEUE_KIB: u32 = 4 * 1024;
/// Polls written in one transaction, at most.
const GROUP: usize = 64;

type Call = Box<dyn FnOnce(&mut Store) + Send>;

enum Job {
    /// A poll, its reply, and its share of the queue's room (freed once it is written).
    Record(
        Box<PollRecord>,
        oneshot::Sender<Result<Recorded, StoreError>>,
        tokio::sync::OwnedSemaphorePermit,
    ),
    Call(Call),
    /// Raise the alerts time raises (spikes, SLA) and hand them to their commands.
    Timed,
}

/// A handle on the writer thread; clone-cheap. The thread ends when the last handle is dropped,
/// after writing what was queued.
#[derive(Clone)]
pub(super) struct Writer {
    jobs: mpsc::Sender<Job>,
    room: std::sync::Arc<tokio::sync::Semaphore>,
    thread: std::sync::Arc<std::sync::Mutex<Option<std::thread::JoinHandle<()>>>>,
    damage: std::sync::Arc<std::sync::OnceLock<String>>,
}

/// The writer's wait for the check, and what it found.
struct Gate {
    check: Option<Check>,
    damage: std::sync::Arc<std::sync::OnceLock<String>>,
    /// The session whose poller lease each write asks for (and renews), and what it tells.
    fence: Option<(String, crate::team::LeaseKeeper)>,
    /// The rules and alerts that act on each new mention as it is stored.
    arrival: crate::store::Arrival,
    /// Alert commands still running.
    deliveries: Vec<std::thread::JoinHandle<()>>,
}

impl Gate {
    /// Wait for the check (once); `Some(detail)` when the database is damaged.
    fn damage(&mut self) -> Option<String> {
        if let Some(check) = self.check.take() {
            match check.join() {
                Ok(Ok(None)) => {}
                Ok(Ok(Some(detail))) => {
                    tracing::error!("the database is damaged, nothing is written: {detail}");
                    let _ = self.damage.set(detail);
                }
                // The check could not run (busy, no memory): the write says what is wrong, if anything.
                Ok(Err(e)) => tracing::warn!("cannot check the database: {e}"),
                Err(_) => tracing::error!("the check of the database panicked"),
            }
        }
        self.damage.get().cloned()
    }
}

/// A poll queued for writing: its result once written.
pub(super) struct Queued(oneshot::Receiver<Result<Recorded, StoreError>>);

impl Queued {
    pub(super) async fn written(self) -> Result<Recorded, StoreError> {
        self.0.await.unwrap_or_else(|_| {
            Err(StoreError::Busy {
                doing: "writing a poll (the writer stopped)",
            })
        })
    }
}

/// A check of the database running beside the writer: no poll is written before it ends, and none
/// at all when it found damage.
pub type Check = std::thread::JoinHandle<Result<Option<String>, StoreError>>;

impl Writer {
    /// The writer for `store`; with `fence` (a session id), polls are written only while that
    /// session holds the poller lease.
    pub(super) fn start(
        store: Store,
        check: Option<Check>,
        fence: Option<(String, crate::team::LeaseKeeper)>,
        arrival: crate::store::Arrival,
    ) -> std::io::Result<Writer> {
        let (jobs, rx) = mpsc::channel(QUEUE);
        let damage = std::sync::Arc::new(std::sync::OnceLock::new());
        let gate = Gate {
            check,
            damage: damage.clone(),
            fence,
            arrival,
            deliveries: Vec::new(),
        };
        let thread = std::thread::Builder::new()
            .name("overhear-poll-writer".into())
            .spawn(move || run(store, rx, gate))?;
        Ok(Writer {
            jobs,
            room: std::sync::Arc::new(tokio::sync::Semaphore::new(QUEUE_KIB as usize)),
            thread: std::sync::Arc::new(std::sync::Mutex::new(Some(thread))),
            damage,
        })
    }

    /// What the check beside the writer found damaged, if it did (then nothing was written).
    pub(super) fn damage(&self) -> Option<String> {
        self.damage.get().cloned()
    }

    /// Let go of this handle and, once no other is left, wait for the thread to write what is
    /// queued and close its connection (which checkpoints the WAL): the next process finds a
    /// database with nothing to recover.
    pub(super) fn close(self) {
        let thread = self.thread.lock().unwrap_or_else(|p| p.into_inner()).take();
        drop(self.jobs);
        if let Some(t) = thread {
            let _ = t.join();
        }
    }

    /// Queue a poll, waiting while the queue is full; await the result with [`Queued::written`].
    pub(super) async fn queue(&self, record: Box<PollRecord>) -> Queued {
        let (tx, rx) = oneshot::channel();
        let kib = (size_of_record(&record) / 1024).clamp(1, QUEUE_KIB as usize) as u32;
        let room = self
            .room
            .clone()
            .acquire_many_owned(kib)
            .await
            .expect("the room semaphore is never closed");
        // A send fails only when the thread is gone; the receiver then says so.
        let _ = self.jobs.send(Job::Record(record, tx, room)).await;
        Queued(rx)
    }

    /// Raise the alerts time raises (spikes, SLA targets) now, in order with the writes.
    pub(super) async fn timed(&self) {
        let _ = self.jobs.send(Job::Timed).await;
    }

    /// Run `f` on the writer's connection, as soon as the writer is between transactions: before
    /// the polls queued with it are written, after every poll whose writing its caller (or anyone)
    /// has awaited ([`Queued::written`] answers only once the poll is written, so no caller can
    /// have acted on a poll still queued).
    pub(super) async fn call<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Store) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let (tx, rx) = oneshot::channel();
        let job = Job::Call(Box::new(move |s: &mut Store| {
            let _ = tx.send(f(s));
        }));
        if self.jobs.send(job).await.is_err() {
            return Err(StoreError::Busy {
                doing: "reaching the store (the writer stopped)",
            });
        }
        rx.await.unwrap_or(Err(StoreError::Busy {
            doing: "reaching the store (the writer stopped)",
        }))
    }
}

fn run(mut store: Store, mut rx: mpsc::Receiver<Job>, mut gate: Gate) {
    while let Some(first) = rx.blocking_recv() {
        let mut jobs = vec![first];
        while jobs.len() < GROUP {
            match rx.try_recv() {
                Ok(job) => jobs.push(job),
                Err(_) => break,
            }
        }
        let mut group: Vec<(PollRecord, oneshot::Sender<Result<Recorded, StoreError>>)> = Vec::new();
        // The room the group's polls hold, freed once they are written.
        let mut rooms = Vec::new();
        for job in jobs {
            match job {
                Job::Record(record, reply, room) => {
                    group.push((*record, reply));
                    rooms.push(room);
                }
                Job::Timed => {
                    write_group(&mut store, std::mem::take(&mut group), &mut gate);
                    rooms.clear();
                    if gate.damage().is_none() {
                        match store.raise_timed_alerts(&gate.arrival, Utc::now()) {
                            Ok(0) => {}
                            Ok(n) => tracing::info!(raised = n, "alerts raised"),
                            Err(e) => tracing::error!("cannot check the timed alerts: {e}"),
                        }
                        super::alerts::deliver(&mut store, &gate.arrival.alerts, &mut gate.deliveries);
                    }
                }
                Job::Call(call) => {
                    // Answered at once, before the polls queued ahead of it are written (see
                    // `Writer::call`): a feed's state asked for at the start of each poll neither
                    // waits for them nor cuts their group into one transaction per poll.
                    // A panic in a call must not take the writer down with it.
                    if let Err(e) = crate::poller::isolate::isolated(|| call(&mut store)) {
                        tracing::error!("a store call panicked: {e}");
                    }
                }
            }
        }
        write_group(&mut store, group, &mut gate);
        drop(rooms);
    }
    // Closing: the alert commands started finish (each within its timeout).
    for t in gate.deliveries.drain(..) {
        let _ = t.join();
    }
}

/// About how much memory a queued poll holds.
fn size_of_record(record: &PollRecord) -> usize {
    match record {
        PollRecord::Items { write, .. } => write
            .mentions
            .iter()
            .map(|m| {
                256 + m.text.len()
                    + m.title.as_ref().map_or(0, String::len)
                    + m.url.as_ref().map_or(0, String::len)
                    + m.author.as_ref().map_or(0, String::len)
            })
            .sum(),
        PollRecord::NotModified { .. } | PollRecord::Failure { .. } => 256,
    }
}

fn write_group(
    store: &mut Store,
    group: Vec<(PollRecord, oneshot::Sender<Result<Recorded, StoreError>>)>,
    gate: &mut Gate,
) {
    if group.is_empty() {
        return;
    }
    let (records, replies): (Vec<PollRecord>, Vec<_>) = group.into_iter().unzip();
    if let Some(detail) = gate.damage() {
        for reply in replies {
            let _ = reply.send(Err(StoreError::DamagedWhile {
                doing: "writing a poll",
                detail: detail.clone(),
            }));
        }
        return;
    }
    let started = std::time::Instant::now();
    let holder = gate.fence.as_ref().map(|(session, _)| session.as_str());
    match store.record_polls_fenced(&records, Utc::now(), holder, &gate.arrival) {
        Ok(results) => {
            // The write renewed the lease (it would have failed without it).
            if let Some((_, keeper)) = &gate.fence {
                keeper.renewed(started);
            }
            tracing::debug!(
                polls = records.len(),
                ms = started.elapsed().as_millis() as u64,
                "polls written in one transaction"
            );
            for (result, reply) in results.into_iter().zip(replies) {
                let _ = reply.send(result);
            }
            // The alerts these polls raised reach their commands (on threads of their own).
            super::alerts::deliver(store, &gate.arrival.alerts, &mut gate.deliveries);
        }
        Err(e) => {
            // The whole transaction failed (nothing written): each poll hears why.
            let message = e.to_string();
            tracing::warn!(polls = records.len(), "polls not written: {message}");
            for reply in replies {
                let _ = reply.send(Err(same_error(&e)));
            }
        }
    }
}

/// `StoreError` is not `Clone` (it carries SQLite's error): the same words for every poll of a group.
fn same_error(e: &StoreError) -> StoreError {
    match e {
        StoreError::Busy { doing } => StoreError::Busy { doing },
        StoreError::LeaseLost => StoreError::LeaseLost,
        StoreError::Full { doing } => StoreError::Full { doing },
        StoreError::ReadOnly { doing } => StoreError::ReadOnly { doing },
        StoreError::DamagedWhile { doing, detail } => StoreError::DamagedWhile {
            doing,
            detail: detail.clone(),
        },
        other => StoreError::Group(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{FeedKind, NewMention};
    use crate::store::PollWrite;

    fn poll(feed_id: i64, id: &str) -> PollRecord {
        PollRecord::Items {
            feed_id,
            kind: FeedKind::Rss,
            write: PollWrite {
                mentions: vec![NewMention {
                    external_id: Some(id.into()),
                    title: Some(format!("mention {id}")),
                    text: "words".into(),
                    ..Default::default()
                }],
                status: 200,
                next_poll_at: Utc::now(),
                ..Default::default()
            },
        }
    }

    fn stored(s: &Store) -> Result<i64, StoreError> {
        s.stream_counts().map(|(total, _, _)| total)
    }

    #[test]
    fn a_call_is_answered_before_the_polls_queued_ahead_of_it() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("w.db")).unwrap();
        let (a, b) = (
            store.ensure_feed("a", FeedKind::Rss).unwrap(),
            store.ensure_feed("b", FeedKind::Rss).unwrap(),
        );
        let writer = Writer::start(store, None, None, crate::store::Arrival::default()).unwrap();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            // The writer held inside a call while two polls and another call queue behind it.
            let (release, held) = std::sync::mpsc::channel::<()>();
            let holding = tokio::spawn({
                let w = writer.clone();
                async move { w.call(move |_| Ok(held.recv().is_ok())).await }
            });
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            let first = writer.queue(Box::new(poll(a, "1"))).await;
            let second = writer.queue(Box::new(poll(b, "2"))).await;
            let asked = tokio::spawn({
                let w = writer.clone();
                async move { w.call(|s| stored(s)).await }
            });
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            release.send(()).unwrap();
            assert!(holding.await.unwrap().unwrap());
            assert_eq!(
                asked.await.unwrap().unwrap(),
                0,
                "answered before the polls queued ahead of it"
            );
            assert!(matches!(first.written().await.unwrap(), Recorded::Items(c) if c.new == 1));
            assert!(matches!(second.written().await.unwrap(), Recorded::Items(c) if c.new == 1));
            // A caller that awaited a poll's writing sees it.
            assert_eq!(writer.call(|s| stored(s)).await.unwrap(), 2);
        });
        writer.close();
    }
}
