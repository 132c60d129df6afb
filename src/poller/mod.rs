//! The background half of overhear: each feed polled on its schedule, at most `concurrency` at a
//! time, what it brings written to the store. Never imports the UI: consoles learn of new rows
//! by watching the store, whoever wrote them.
//!
//! - [`schedule`]: when a feed is polled next (pure: jitter, backoff, Retry-After).
//! - [`poll`]: one feed's poll: fetch every page through the [`net`](crate::net) client, parse
//!   off the async threads, apply the include/exclude rules, write in one transaction.
//! - this file: the loop over all feeds, the concurrency bound and the graceful stop.

mod alerts;
pub mod isolate;
mod own;
mod parsers;
mod poll;
mod report;
pub mod schedule;
pub mod thread;
mod writer;
pub use writer::Check;

pub use poll::DryRun;
pub use report::{FeedReport, Outcome};

use crate::model::FeedConfig;
use crate::net::{self, NetError};
use crate::store::{Store, StoreError};
use chrono::{DateTime, Utc};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Semaphore, mpsc, watch};
use tokio::task::JoinSet;

/// Limits of the poller: how many feeds at once, and the limits of each request.
#[derive(Debug, Clone, PartialEq)]
pub struct PollerConfig {
    pub concurrency: usize,
    pub net: net::Limits,
    /// `[[rule]]`s: what happens to each new mention as it is stored.
    pub rules: Vec<crate::rules::Rule>,
    /// `[[alert]]`s raised by new mentions, spikes and SLA targets.
    pub alerts: Vec<crate::rules::Alert>,
    /// `[stats] sla` and `business_hours`, for SLA alerts.
    pub sla: Option<Duration>,
    pub business: Option<crate::stats::BusinessHours>,
    /// Sentiment and intents, with the config's `[intent]` lists.
    pub scorer: Arc<crate::score::Scorer>,
    /// How alike two titles are to be one story (`[stories] similarity`).
    pub similarity: Option<f64>,
    /// How long a reply we sent is watched for answers (`[poller] follow_up`).
    pub follow_up: Duration,
    /// Our own accounts (`[[account]]`): what we post, and what it earns.
    pub accounts: Vec<crate::model::Account>,
}

/// How long a reply we sent is watched for answers, unless the config says otherwise.
pub const FOLLOW_UP: Duration = Duration::from_secs(7 * 86_400);

impl Default for PollerConfig {
    fn default() -> Self {
        PollerConfig {
            concurrency: 8,
            net: net::Limits::default(),
            rules: Vec::new(),
            alerts: Vec::new(),
            sla: None,
            business: None,
            scorer: Arc::default(),
            similarity: None,
            follow_up: FOLLOW_UP,
            accounts: Vec::new(),
        }
    }
}

/// Why the poller could not start.
#[derive(Debug, thiserror::Error)]
pub enum PollerError {
    #[error("cannot set up the HTTP client: {0}")]
    Client(reqwest::Error),
    #[error("cannot start the poller's threads (its writer, its parsers): {0}")]
    Thread(std::io::Error),
}

/// Why one poll failed.
#[derive(Debug, thiserror::Error)]
pub enum PollError {
    #[error("{0}")]
    Net(#[from] NetError),
    #[error("{0}")]
    Store(#[from] StoreError),
    /// The poller was asked to stop while the fetch was in flight.
    #[error("stopped")]
    Cancelled,
}

impl From<crate::sources::SourceError> for PollError {
    fn from(e: crate::sources::SourceError) -> Self {
        PollError::Net(NetError::Source(e))
    }
}

/// A poller that polls only while its session holds the team's poller lease.
pub struct Leased {
    pub state: watch::Receiver<crate::team::LeaseState>,
    /// The session holding it: every write of polls checks it in the store, and renews it.
    pub session: String,
    /// What the writes' renewals extend.
    pub keeper: crate::team::LeaseKeeper,
}

impl Leased {
    /// The lease `team`'s session competes for.
    pub fn of(team: &crate::team::Team) -> Leased {
        Leased {
            state: team.lease(),
            session: team.identity().session.clone(),
            keeper: team.lease_keeper(),
        }
    }
}

/// Fetches feeds and writes what they bring. Clone-cheap: share it between tasks.
#[derive(Clone)]
pub struct Poller {
    client: net::Client,
    writer: writer::Writer,
    permits: Arc<Semaphore>,
    /// The parsers' threads (every core but the writer's, below its priority) and the scoring
    /// each parse runs on what it read.
    parsers: Arc<parsers::Parsers>,
    /// The poller lease, when this process shares the database with a team: polls start only
    /// while it is held (and the writer writes only while the store says so).
    lease: Option<watch::Receiver<crate::team::LeaseState>>,
    /// How long a reply we sent is watched for answers.
    follow_up: Duration,
    /// When the thread of each mention we answered was last asked what answered us.
    watched_at: Arc<std::sync::Mutex<std::collections::HashMap<i64, std::time::Instant>>>,
    /// Our own accounts, read with the feeds.
    accounts: Arc<Vec<crate::model::Account>>,
}

impl Poller {
    /// A poller writing to `store` through its own writer thread.
    pub fn new(config: &PollerConfig, store: Store) -> Result<Poller, PollerError> {
        let client = net::Client::new(&config.net).map_err(PollerError::Client)?;
        Poller::with_client(config, client, store, None, None)
    }

    /// A poller with a client built beforehand (`overhear poll` builds it, loading the system's TLS
    /// roots, while the database opens) and, optionally, a check of the database still running:
    /// nothing is written before it ends, and nothing at all if it finds damage ([`Poller::damage`]).
    pub fn with_client(
        config: &PollerConfig,
        client: net::Client,
        store: Store,
        check: Option<Check>,
        lease: Option<Leased>,
    ) -> Result<Poller, PollerError> {
        let (lease, fence) = match lease {
            Some(l) => (Some(l.state), Some((l.session, l.keeper))),
            None => (None, None),
        };
        Ok(Poller {
            lease,
            client,
            writer: writer::Writer::start(
                store,
                check,
                fence,
                crate::store::Arrival {
                    rules: config.rules.clone(),
                    alerts: config.alerts.clone(),
                    sla: config.sla,
                    business: config.business.clone(),
                    weights: config.scorer.weights.clone(),
                    similarity: config.similarity,
                },
            )
            .map_err(PollerError::Thread)?,
            permits: Arc::new(Semaphore::new(config.concurrency)),
            parsers: Arc::new(parsers::Parsers::start(config.scorer.clone()).map_err(PollerError::Thread)?),
            follow_up: config.follow_up,
            watched_at: Arc::default(),
            accounts: Arc::new(config.accounts.clone()),
        })
    }

    /// Whether this poller may start a poll now: always, unless it shares the database with a team
    /// and does not hold the lease.
    pub fn may_poll(&self) -> bool {
        self.lease.as_ref().is_none_or(|l| l.borrow().held())
    }

    /// What the check of the database found damaged, if it did: then no poll was written.
    pub fn damage(&self) -> Option<String> {
        self.writer.damage()
    }

    /// Stop this poller: wait for its writes to finish and its connection to close. Call it on
    /// the last handle, when no poll runs (other clones keep the writer alive until dropped).
    pub fn close(self) {
        self.writer.close();
    }

    /// The network client this poller fetches with (and its signed-in sessions).
    pub fn client(&self) -> &net::Client {
        &self.client
    }

    async fn with_store<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Store) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        self.writer.call(f).await
    }

    /// Register every feed in one transaction before the first poll (not one write each).
    async fn register(&self, feeds: &[FeedConfig]) {
        let list: Vec<(String, crate::model::FeedKind)> = feeds.iter().map(|f| (f.name.clone(), f.kind)).collect();
        if let Err(e) = self.with_store(move |s| s.ensure_feeds(&list)).await {
            tracing::error!("cannot register the feeds: {e}");
        }
    }

    /// Poll every feed once, at most `concurrency` at a time; reports in config order.
    /// With `force`, feeds a server asked to wait are polled anyway.
    pub async fn poll_all_once(&self, feeds: &[FeedConfig], force: bool) -> Vec<FeedReport> {
        let (_tx, rx) = watch::channel(false);
        self.register(feeds).await;
        let mut set = JoinSet::new();
        for (i, feed) in feeds.iter().cloned().enumerate() {
            let poller = self.clone();
            let rx = rx.clone();
            set.spawn(async move { (i, poller.poll_feed(&feed, force, rx).await) });
        }
        // Our own accounts after the feeds, each reported after them in config order.
        let first = feeds.len();
        for (i, a) in self.accounts.iter().cloned().enumerate() {
            let poller = self.clone();
            if self.may_poll() {
                set.spawn(async move { (first + i, poller.read_account(&a).await) });
            }
        }
        let mut reports: Vec<Option<FeedReport>> = vec![None; feeds.len() + self.accounts.len()];
        while let Some(joined) = set.join_next().await {
            match joined {
                Ok((i, report)) => reports[i] = Some(report),
                Err(e) => std::panic::resume_unwind(e.into_panic()),
            }
        }
        if self.may_poll() {
            self.writer.timed().await;
        }
        reports.into_iter().flatten().collect()
    }

    /// When each feed is first due: its stored schedule, continued (a server's "not before"
    /// included), or soon, spread over a few seconds.
    async fn first_due(&self, feeds: &[FeedConfig]) -> HashMap<String, DateTime<Utc>> {
        self.register(feeds).await;
        let now = Utc::now();
        let names: Vec<String> = feeds.iter().map(|f| f.name.clone()).collect();
        let stored = self
            .with_store(move |s| {
                names
                    .iter()
                    .map(|n| Ok((n.clone(), s.feed_state(n)?)))
                    .collect::<Result<HashMap<_, _>, _>>()
            })
            .await
            .unwrap_or_else(|e| {
                tracing::error!("cannot read feed schedules: {e}");
                HashMap::new()
            });
        feeds
            .iter()
            .map(|feed| {
                let stored_due = stored
                    .get(&feed.name)
                    .and_then(Option::as_ref)
                    .and_then(|st| st.next_poll_at.max(st.retry_after_until));
                let due = schedule::first_due(now, stored_due, feed.every, fastrand::f64());
                (feed.name.clone(), due)
            })
            .collect()
    }

    /// Poll each feed on its schedule until `shutdown` turns true. Fetches in flight are
    /// abandoned at shutdown; a write in flight is finished. Every poll is reported on `reports`.
    ///
    /// With a lease, feeds are polled only while it is held: until then this waits; when it is lost
    /// (another process took over), polls in flight are abandoned (their writes would be refused)
    /// and this waits to take it again. Each holder continues the schedules kept in the store.
    pub async fn poll_on_schedule(
        &self,
        feeds: Vec<FeedConfig>,
        mut shutdown: watch::Receiver<bool>,
        reports: mpsc::UnboundedSender<FeedReport>,
    ) {
        let Some(mut lease) = self.lease.clone() else {
            return self.run_schedule(&feeds, shutdown, &reports).await;
        };
        loop {
            // Wait for the lease (or the stop).
            while !lease.borrow_and_update().held() {
                if *shutdown.borrow() {
                    return;
                }
                tokio::select! {
                    changed = lease.changed() => if changed.is_err() { return },
                    _ = shutdown.changed() => {}
                }
            }
            tracing::info!("holding the poller lease: polling");
            // Poll until the stop or the lease is lost, whichever comes first.
            let (stop_tx, stop_rx) = watch::channel(false);
            let run = self.run_schedule(&feeds, stop_rx, &reports);
            tokio::pin!(run);
            let mut tick = tokio::time::interval(Duration::from_millis(500));
            let stopping = loop {
                tokio::select! {
                    () = &mut run => break *shutdown.borrow(),
                    _ = shutdown.changed() => { let _ = stop_tx.send(true); }
                    _ = lease.changed() => if !lease.borrow().held() { let _ = stop_tx.send(true); },
                    _ = tick.tick() => if !lease.borrow().held() { let _ = stop_tx.send(true); },
                }
            };
            if stopping || *shutdown.borrow() {
                return;
            }
            tracing::info!("no longer holding the poller lease: not polling");
        }
    }

    async fn run_schedule(
        &self,
        feeds: &[FeedConfig],
        mut shutdown: watch::Receiver<bool>,
        reports: &mpsc::UnboundedSender<FeedReport>,
    ) {
        let feeds = feeds.to_vec();
        let mut due = self.first_due(&feeds).await;
        // Our accounts are read soon, then every `every` (not kept across restarts: a read is
        // cheap and what it keeps is idempotent).
        for (i, a) in self.accounts.iter().enumerate() {
            due.insert(a.name.clone(), Utc::now() + chrono::Duration::seconds(5 + 2 * i as i64));
        }
        // Spikes and SLA targets are checked every minute (and at once).
        let mut minute = tokio::time::interval(Duration::from_secs(60));
        let mut in_flight: JoinSet<FeedReport> = JoinSet::new();
        let mut running: HashSet<String> = HashSet::new();
        loop {
            if *shutdown.borrow() {
                break;
            }
            let now = Utc::now();
            for feed in &feeds {
                if !running.contains(&feed.name) && due.get(&feed.name).is_some_and(|d| *d <= now) {
                    running.insert(feed.name.clone());
                    let poller = self.clone();
                    let feed = feed.clone();
                    let rx = shutdown.clone();
                    in_flight.spawn(async move { poller.poll_feed(&feed, false, rx).await });
                }
            }
            for a in self.accounts.iter() {
                if !running.contains(&a.name) && due.get(&a.name).is_some_and(|d| *d <= now) {
                    running.insert(a.name.clone());
                    let poller = self.clone();
                    let a = a.clone();
                    in_flight.spawn(async move { poller.read_account(&a).await });
                }
            }
            let next_due = feeds
                .iter()
                .map(|f| &f.name)
                .chain(self.accounts.iter().map(|a| &a.name))
                .filter(|n| !running.contains(*n))
                .filter_map(|n| due.get(n))
                .min()
                .copied();
            let sleep_for = next_due.map_or(Duration::from_secs(3600), |d| {
                (d - Utc::now()).to_std().unwrap_or(Duration::ZERO)
            });
            tokio::select! {
                _ = minute.tick() => {
                    if self.may_poll() {
                        self.writer.timed().await;
                    }
                }
                _ = tokio::time::sleep(sleep_for) => {}
                Some(joined) = in_flight.join_next(), if !in_flight.is_empty() => {
                    match joined {
                        Ok(report) => {
                            running.remove(&report.name);
                            due.insert(report.name.clone(), report.next_poll_at);
                            let _ = reports.send(report);
                        }
                        Err(e) => tracing::error!("a poll task failed: {e}"),
                    }
                }
                _ = shutdown.changed() => {}
            }
        }
        // Let writes in flight finish; fetches see the shutdown and stop.
        while let Some(joined) = in_flight.join_next().await {
            if let Ok(report) = joined
                && !report.stopped()
            {
                let _ = reports.send(report);
            }
        }
    }
}

/// Resolves when `rx` turns true; never when its sender is gone (nobody can ask us to stop).
async fn wait_true(rx: &mut watch::Receiver<bool>) {
    if rx.wait_for(|v| *v).await.is_err() {
        std::future::pending::<()>().await;
    }
}
