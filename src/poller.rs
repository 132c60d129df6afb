//! Fetch, schedule and write: the background half of overhear.
//!
//! Bounded concurrency, each feed on its own interval with jitter, conditional GET, a cap on
//! body size counted after decompression, Retry-After honoured, exponential backoff per feed.
//! Writes go through the store, one transaction per poll. Never imports the UI.

use crate::config::{FeedConfig, PollerConfig};
use crate::model::NewMention;
use crate::sources::{self, Ctx, Reply, Session, SourceError};
use crate::store::{PollWrite, Store, StoreError};
use chrono::{DateTime, Utc};
use reqwest::StatusCode;
use reqwest::header::{self, HeaderMap};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{Semaphore, mpsc, watch};
use tokio::task::JoinSet;

pub const USER_AGENT: &str = concat!("overhear/", env!("CARGO_PKG_VERSION"), " (social listening console)");
const MAX_REDIRECTS: usize = 5;
/// Pages one poll may follow.
const MAX_PAGES: usize = 5;
/// Longest wait a failing feed backs off to (unless its own interval is longer).
const MAX_BACKOFF: Duration = Duration::from_secs(60 * 60);
/// Longest Retry-After honoured.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(24 * 60 * 60);

/// What happened to one feed in one poll.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedReport {
    pub name: String,
    pub outcome: Outcome,
    /// Mentions stored for this feed after the poll.
    pub stored: i64,
    pub elapsed: Duration,
    pub next_poll_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Ok {
        new: usize,
        /// Items the include/exclude rules dropped.
        filtered: usize,
        not_modified: bool,
    },
    Failed {
        error: String,
    },
    /// Not polled: the server asked us to wait (Retry-After) until then.
    Deferred {
        until: DateTime<Utc>,
    },
}

impl FeedReport {
    pub fn failed(&self) -> bool {
        matches!(self.outcome, Outcome::Failed { .. })
    }

    /// One line for `overhear poll`: name, ok or the error in words, new, stored, milliseconds.
    pub fn line(&self, name_width: usize) -> String {
        let ms = self.elapsed.as_millis();
        let (word, new, detail) = match &self.outcome {
            Outcome::Ok {
                new,
                not_modified: true,
                ..
            } => ("ok", *new, " (not modified)".to_string()),
            Outcome::Ok { new, filtered, .. } if *filtered > 0 => {
                ("ok", *new, format!(" ({filtered} dropped by include/exclude)"))
            }
            Outcome::Ok { new, .. } => ("ok", *new, String::new()),
            Outcome::Failed { error } => ("error", 0, format!(": {error}")),
            Outcome::Deferred { until } => (
                "waiting",
                0,
                format!(": the server asked to wait until {}", until.format("%H:%M:%S UTC")),
            ),
        };
        format!(
            "{:<name_width$}  {word:<7}  {new:>5} new  {stored:>7} stored  {ms:>6} ms{detail}",
            self.name,
            stored = self.stored
        )
    }
}

#[derive(Debug, thiserror::Error)]
enum PollError {
    #[error("{message}")]
    Http { status: Option<u16>, message: String },
    #[error("{0}")]
    Source(#[from] SourceError),
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error("{message}")]
    RateLimited {
        status: u16,
        message: String,
        retry_after: Option<Duration>,
    },
    #[error("stopped")]
    Cancelled,
}

/// Fetches feeds and writes what they bring. Clone-cheap: share it between tasks.
#[derive(Clone)]
pub struct Poller {
    client: reqwest::Client,
    config: PollerConfig,
    store: Arc<Mutex<Store>>,
    permits: Arc<Semaphore>,
    /// Signed-in sessions by feed name: memory only.
    sessions: Arc<Mutex<HashMap<String, Session>>>,
}

impl Poller {
    pub fn new(config: &PollerConfig, store: Store) -> anyhow::Result<Poller> {
        let redirects = reqwest::redirect::Policy::custom(|attempt| {
            if attempt.previous().len() >= MAX_REDIRECTS {
                attempt.error(format!("more than {MAX_REDIRECTS} redirects"))
            } else if !matches!(attempt.url().scheme(), "http" | "https") {
                let scheme = attempt.url().scheme().to_string();
                attempt.error(format!(
                    "a redirect to a {scheme}: address, only http and https are followed"
                ))
            } else {
                attempt.follow()
            }
        });
        let client = reqwest::Client::builder()
            .user_agent(USER_AGENT)
            .connect_timeout(config.connect_timeout)
            .timeout(config.timeout)
            .redirect(redirects)
            .build()?;
        Ok(Poller {
            client,
            config: config.clone(),
            store: Arc::new(Mutex::new(store)),
            permits: Arc::new(Semaphore::new(config.concurrency)),
            sessions: Arc::default(),
        })
    }

    async fn with_store<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Store) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let store = self.store.clone();
        tokio::task::spawn_blocking(move || {
            let mut guard = store.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            f(&mut guard)
        })
        .await
        .expect("store task panicked")
    }

    /// Poll every feed once, at most `concurrency` at a time; reports in config order.
    /// With `force`, feeds a server asked to wait are polled anyway.
    pub async fn poll_all_once(&self, feeds: &[FeedConfig], force: bool) -> Vec<FeedReport> {
        let (_tx, rx) = watch::channel(false);
        let mut set = JoinSet::new();
        for (i, feed) in feeds.iter().cloned().enumerate() {
            let poller = self.clone();
            let rx = rx.clone();
            set.spawn(async move { (i, poller.poll_feed(&feed, force, rx).await) });
        }
        let mut reports: Vec<Option<FeedReport>> = vec![None; feeds.len()];
        while let Some(joined) = set.join_next().await {
            let (i, report) = joined.expect("poll task panicked");
            reports[i] = Some(report);
        }
        reports.into_iter().map(|r| r.expect("every feed reported")).collect()
    }

    /// Poll each feed on its schedule until `shutdown` turns true. Fetches in flight are
    /// abandoned at shutdown; a write in flight is finished. Every poll is reported on `reports`.
    pub async fn run(
        &self,
        feeds: Vec<FeedConfig>,
        mut shutdown: watch::Receiver<bool>,
        reports: mpsc::UnboundedSender<FeedReport>,
    ) {
        let now = Utc::now();
        let names: Vec<String> = feeds.iter().map(|f| f.name.clone()).collect();
        let stored = self
            .with_store(move |s| {
                names
                    .iter()
                    .map(|n| Ok((n.clone(), s.feed_state(n)?)))
                    .collect::<Result<Vec<_>, _>>()
            })
            .await;
        let mut due: HashMap<String, DateTime<Utc>> = HashMap::new();
        let states = stored.unwrap_or_else(|e| {
            tracing::error!("cannot read feed schedules: {e}");
            Vec::new()
        });
        for feed in &feeds {
            let stored_due = states
                .iter()
                .find(|(n, _)| *n == feed.name)
                .and_then(|(_, st)| st.as_ref())
                .and_then(|st| st.next_poll_at.max(st.retry_after_until));
            // Start promptly, but spread the first polls over a few seconds.
            let spread = chrono::Duration::milliseconds(fastrand::i64(0..=feed.every.as_millis().min(3000) as i64));
            due.insert(
                feed.name.clone(),
                stored_due.filter(|d| *d > now).unwrap_or(now + spread),
            );
        }

        let mut in_flight: JoinSet<FeedReport> = JoinSet::new();
        let mut running: std::collections::HashSet<String> = Default::default();
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
            let next_due = feeds
                .iter()
                .filter(|f| !running.contains(&f.name))
                .filter_map(|f| due.get(&f.name))
                .min()
                .copied();
            let sleep_for = next_due.map_or(Duration::from_secs(3600), |d| {
                (d - Utc::now()).to_std().unwrap_or(Duration::ZERO)
            });
            tokio::select! {
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
                && !matches!(&report.outcome, Outcome::Failed { error } if error == "stopped")
            {
                let _ = reports.send(report);
            }
        }
    }

    /// Poll one feed now: fetch (following its pages), filter, write, and say what happened.
    pub async fn poll_feed(&self, feed: &FeedConfig, force: bool, shutdown: watch::Receiver<bool>) -> FeedReport {
        let started = std::time::Instant::now();
        let name = feed.name.clone();
        let kind = feed.kind;
        let state = self
            .with_store(move |s| {
                let id = s.ensure_feed(&name, kind)?;
                Ok(s.feed_state(&name)?.unwrap_or_default().with_id(id))
            })
            .await;
        let state = match state {
            Ok(s) => s,
            Err(e) => {
                return FeedReport {
                    name: feed.name.clone(),
                    outcome: Outcome::Failed { error: e.to_string() },
                    stored: 0,
                    elapsed: started.elapsed(),
                    next_poll_at: Utc::now() + chrono::Duration::from_std(feed.every).unwrap_or_default(),
                };
            }
        };
        let feed_id = state.id;
        let now = Utc::now();
        if !force && let Some(until) = state.retry_after_until.filter(|u| *u > now) {
            let stored = self.with_store(move |s| s.feed_item_count(feed_id)).await.unwrap_or(0);
            return FeedReport {
                name: feed.name.clone(),
                outcome: Outcome::Deferred { until },
                stored,
                elapsed: started.elapsed(),
                next_poll_at: until,
            };
        }

        let result = {
            let _permit = self.permits.acquire().await.expect("semaphore is never closed");
            let mut shutdown = shutdown;
            tokio::select! {
                r = self.fetch_all(feed, &state) => r,
                _ = wait_true(&mut shutdown) => Err(PollError::Cancelled),
            }
        };

        let now = Utc::now();
        let outcome = match result {
            Ok(Fetched::NotModified) => {
                let next = now + jittered(feed.every);
                match self
                    .with_store(move |s| s.record_not_modified(feed_id, now, next))
                    .await
                {
                    Ok(()) => (
                        Outcome::Ok {
                            new: 0,
                            filtered: 0,
                            not_modified: true,
                        },
                        next,
                    ),
                    Err(e) => (Outcome::Failed { error: e.to_string() }, next),
                }
            }
            Ok(Fetched::Items {
                mentions,
                cursor,
                etag,
                last_modified,
                status,
                rate,
                wait,
            }) => {
                let before = mentions.len();
                let kept: Vec<NewMention> = mentions
                    .into_iter()
                    .filter(|m| {
                        feed.rules.allows(
                            m.title.as_deref().unwrap_or(""),
                            &m.text,
                            m.author.as_deref().unwrap_or(""),
                        )
                    })
                    .collect();
                let filtered = before - kept.len();
                // The service's own wait (a backoff, a spent quota) beats the interval.
                let mut next = now + jittered(feed.every);
                if let Some(w) = wait.and_then(|w| chrono::Duration::from_std(w.min(MAX_RETRY_AFTER)).ok()) {
                    next = next.max(now + w);
                }
                let write = PollWrite {
                    mentions: kept,
                    etag,
                    last_modified,
                    cursor,
                    status,
                    next_poll_at: next,
                    rate_limit: rate.and_then(|r| serde_json::to_value(r).ok()),
                };
                match self.with_store(move |s| s.write_poll(feed_id, kind, &write, now)).await {
                    Ok(counts) => (
                        Outcome::Ok {
                            new: counts.new,
                            filtered,
                            not_modified: false,
                        },
                        next,
                    ),
                    Err(e) => (
                        Outcome::Failed { error: e.to_string() },
                        now + backoff(feed.every, state.consecutive_failures + 1),
                    ),
                }
            }
            Err(PollError::Cancelled) => (
                Outcome::Failed {
                    error: "stopped".into(),
                },
                now,
            ),
            Err(err) => {
                let (status, retry_after) = match &err {
                    PollError::RateLimited {
                        status, retry_after, ..
                    } => (Some(*status), *retry_after),
                    _ => (None, None),
                };
                let message = err.to_string();
                let retry_until =
                    retry_after.map(|d| now + chrono::Duration::from_std(d.min(MAX_RETRY_AFTER)).unwrap_or_default());
                let next = retry_until.unwrap_or_else(|| now + backoff(feed.every, state.consecutive_failures + 1));
                let msg = message.clone();
                if let Err(e) = self
                    .with_store(move |s| s.record_failure(feed_id, now, status, &msg, next, retry_until))
                    .await
                {
                    tracing::error!(feed = %feed.name, "cannot record a failure: {e}");
                }
                (Outcome::Failed { error: message }, next)
            }
        };
        let stored = self.with_store(move |s| s.feed_item_count(feed_id)).await.unwrap_or(0);
        let report = FeedReport {
            name: feed.name.clone(),
            outcome: outcome.0,
            stored,
            elapsed: started.elapsed(),
            next_poll_at: outcome.1,
        };
        match &report.outcome {
            Outcome::Failed { error } => {
                tracing::warn!(feed = %report.name, elapsed_ms = report.elapsed.as_millis() as u64, "poll failed: {error}")
            }
            other => {
                tracing::info!(feed = %report.name, elapsed_ms = report.elapsed.as_millis() as u64, stored, "poll: {other:?}")
            }
        }
        report
    }

    /// Fetch a feed once as a poll would, from scratch, and store nothing: what would be stored,
    /// and what the include/exclude rules would drop. For `overhear feed test`.
    pub async fn dry_run(&self, feed: &FeedConfig) -> Result<DryRun, String> {
        let state = crate::store::FeedState::default();
        match self.fetch_all(feed, &state).await {
            Ok(Fetched::Items {
                mentions, rate, wait, ..
            }) => {
                let (kept, dropped): (Vec<NewMention>, Vec<NewMention>) = mentions.into_iter().partition(|m| {
                    feed.rules.allows(
                        m.title.as_deref().unwrap_or(""),
                        &m.text,
                        m.author.as_deref().unwrap_or(""),
                    )
                });
                Ok(DryRun {
                    kept,
                    dropped,
                    rate,
                    wait,
                })
            }
            Ok(Fetched::NotModified) => Ok(DryRun::default()),
            Err(e) => Err(e.to_string()),
        }
    }

    /// Send a reply the `reply` module planned; what the service returned, or the error in words.
    pub async fn deliver(
        &self,
        feed: &FeedConfig,
        delivery: &crate::reply::Delivery,
        text: &str,
    ) -> Result<crate::store::Sent, String> {
        match delivery {
            crate::reply::Delivery::Api(req) => self.post(feed, req).await,
            crate::reply::Delivery::Bluesky { uri } => {
                self.post_bluesky(feed, uri, text).await.map_err(|e| e.to_string())
            }
            crate::reply::Delivery::HandOff(why) => Err(why.clone()),
        }
    }

    async fn post_bluesky(&self, feed: &FeedConfig, uri: &str, text: &str) -> Result<crate::store::Sent, PollError> {
        let secret = secret_for(feed)?;
        let token = self.token(feed, secret.as_deref(), false).await?.unwrap_or_default();
        let did = self
            .sessions
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&feed.name)
            .and_then(|s| s.account.clone());
        let did = did.ok_or_else(|| PollError::Http {
            status: None,
            message: "Bluesky did not say which account signed in".into(),
        })?;
        let lookup = sources::bluesky::post_lookup(feed, uri, &token)?;
        let found = self.fetch(feed, &lookup, HeaderMap::new()).await?;
        let body = found.body.unwrap_or_default();
        let reply = Reply {
            status: found.status.as_u16(),
            headers: &found.headers,
            body: &body,
        };
        let create = sources::bluesky::reply_record(feed, &reply, &did, text, &token, Utc::now())?;
        let made = self.fetch(feed, &create, HeaderMap::new()).await?;
        let v: serde_json::Value = serde_json::from_slice(&made.body.unwrap_or_default()).unwrap_or_default();
        let new_uri = v["uri"].as_str().map(String::from);
        let handle = feed.identifier.clone().unwrap_or_default();
        let url = new_uri
            .as_deref()
            .and_then(|u| u.rsplit('/').next())
            .map(|rkey| format!("https://bsky.app/profile/{handle}/post/{rkey}"));
        Ok(crate::store::Sent { id: new_uri, url })
    }

    /// Post a reply request; what the service returned, or the error in words.
    pub async fn post(&self, feed: &FeedConfig, req: &sources::Request) -> Result<crate::store::Sent, String> {
        let resp = self
            .fetch(feed, req, HeaderMap::new())
            .await
            .map_err(|e| e.to_string())?;
        let body = resp.body.unwrap_or_default();
        let reply = Reply {
            status: resp.status.as_u16(),
            headers: &resp.headers,
            body: &body,
        };
        Ok(crate::reply::sent(feed, &reply))
    }

    async fn fetch_all(&self, feed: &FeedConfig, state: &crate::store::FeedState) -> Result<Fetched, PollError> {
        let secret = secret_for(feed)?;
        let mut token = self.token(feed, secret.as_deref(), false).await?;
        let now = Utc::now();
        let mut req = sources::first_request(&Ctx {
            feed,
            cursor: state.cursor.as_ref(),
            token: token.as_deref(),
            now,
        })?;
        let mut conditional = HeaderMap::new();
        if let Some(etag) = state.etag.as_deref().and_then(|v| v.parse().ok()) {
            conditional.insert(header::IF_NONE_MATCH, etag);
        }
        if let Some(lm) = state.last_modified.as_deref().and_then(|v| v.parse().ok()) {
            conditional.insert(header::IF_MODIFIED_SINCE, lm);
        }
        let mut first = self.fetch(feed, &req, conditional.clone()).await;
        // A session that expired: sign in again once, and ask again.
        if sources::needs_session(feed)
            && matches!(
                &first,
                Err(PollError::Http {
                    status: Some(401 | 400),
                    ..
                })
            )
        {
            token = self.token(feed, secret.as_deref(), true).await?;
            req = sources::first_request(&Ctx {
                feed,
                cursor: state.cursor.as_ref(),
                token: token.as_deref(),
                now,
            })?;
            first = self.fetch(feed, &req, conditional).await;
        }
        let first = first?;
        let etag = first.header("etag");
        let last_modified = first.header("last-modified");
        let Some(body) = first.body else {
            return Ok(Fetched::NotModified);
        };
        let mut page = parse_off_thread(
            feed,
            state.cursor.clone(),
            token.clone(),
            req.clone(),
            first.headers.clone(),
            body,
        )
        .await?;
        let mut mentions = std::mem::take(&mut page.mentions);
        let cursor = page.cursor.take();
        let mut rate = page.rate.take();
        let mut wait = page.wait;
        let mut next = page.next.take();
        let mut pages = 1;
        while let Some(req) = next.take()
            && pages < MAX_PAGES
            && wait.is_none()
        {
            pages += 1;
            let resp = self.fetch(feed, &req, HeaderMap::new()).await?;
            let Some(body) = resp.body else { break };
            let mut page = parse_off_thread(feed, state.cursor.clone(), token.clone(), req, resp.headers, body).await?;
            mentions.append(&mut page.mentions);
            rate = page.rate.or(rate);
            wait = page.wait.or(wait);
            next = page.next;
        }
        let ctx = Ctx {
            feed,
            cursor: state.cursor.as_ref(),
            token: token.as_deref(),
            now,
        };
        for req in sources::reach_requests(&ctx, &mentions)? {
            let reached = match self.fetch(feed, &req, HeaderMap::new()).await {
                Ok(Response {
                    headers,
                    body: Some(body),
                    status,
                }) => {
                    let reply = Reply {
                        status: status.as_u16(),
                        headers: &headers,
                        body: &body,
                    };
                    sources::apply_reach(feed, &mut mentions, &reply).map_err(|e| e.to_string())
                }
                Ok(_) => Ok(()),
                Err(e) => Err(e.to_string()),
            };
            if let Err(e) = reached {
                tracing::warn!(feed = %feed.name, "reach not fetched: {e}");
            }
        }
        Ok(Fetched::Items {
            mentions,
            cursor,
            etag,
            last_modified,
            status: first.status.as_u16(),
            rate,
            wait,
        })
    }

    /// The token a request carries: the secret itself, or a session signed in with it (kept in
    /// memory, renewed when it expires or when `renew` says the service refused it).
    async fn token(&self, feed: &FeedConfig, secret: Option<&str>, renew: bool) -> Result<Option<String>, PollError> {
        if !sources::needs_session(feed) {
            return Ok(secret.map(str::to_string));
        }
        let secret = secret.ok_or_else(|| PollError::Http {
            status: None,
            message: "no credentials to sign in with".into(),
        })?;
        let now = Utc::now();
        if !renew {
            let cached = self
                .sessions
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .get(&feed.name)
                .cloned();
            if let Some(s) = cached.filter(|s| s.expires_at.is_none_or(|e| e > now)) {
                return Ok(Some(s.token));
            }
        }
        let req = sources::session_request(feed, secret)?;
        let resp = self.fetch(feed, &req, HeaderMap::new()).await.map_err(|e| match e {
            PollError::Http {
                status: Some(s @ (400 | 401 | 403)),
                ..
            } => PollError::Http {
                status: Some(s),
                message: format!(
                    "the sign-in was refused (HTTP {s}): check the credentials in ${}",
                    feed.token_env.as_deref().unwrap_or("?")
                ),
            },
            other => other,
        })?;
        let headers = resp.headers.clone();
        let body = resp.body.unwrap_or_default();
        let reply = Reply {
            status: resp.status.as_u16(),
            headers: &headers,
            body: &body,
        };
        let session = sources::parse_session(feed, &reply, now)?;
        let token = session.token.clone();
        self.sessions
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(feed.name.clone(), session);
        Ok(Some(token))
    }

    /// One GET with the body read under the size cap. `body` is `None` for a 304.
    async fn fetch(&self, feed: &FeedConfig, req: &sources::Request, extra: HeaderMap) -> Result<Response, PollError> {
        let timeout = self.config.timeout;
        let mut builder = match &req.body {
            None => self.client.get(req.url.clone()),
            Some(sources::Body::Form(pairs)) => self
                .client
                .post(req.url.clone())
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(
                    url::form_urlencoded::Serializer::new(String::new())
                        .extend_pairs(pairs)
                        .finish(),
                ),
            Some(sources::Body::Json(v)) => self
                .client
                .post(req.url.clone())
                .header(header::CONTENT_TYPE, "application/json")
                .body(v.to_string()),
        };
        for (k, v) in &req.headers {
            builder = builder.header(k.as_str(), v.as_str());
        }
        let resp = builder.headers(extra).send().await.map_err(|e| PollError::Http {
            status: None,
            message: describe_http(&e, timeout),
        })?;
        let status = resp.status();
        let headers: Vec<(String, String)> = resp
            .headers()
            .iter()
            .filter_map(|(k, v)| {
                v.to_str()
                    .ok()
                    .map(|v| (k.as_str().to_ascii_lowercase(), v.to_string()))
            })
            .collect();
        if status == StatusCode::NOT_MODIFIED {
            return Ok(Response {
                status,
                headers,
                body: None,
            });
        }
        if status == StatusCode::TOO_MANY_REQUESTS || status == StatusCode::SERVICE_UNAVAILABLE {
            let retry_after = resp
                .headers()
                .get(header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(parse_retry_after);
            // Services that say when their window resets instead (X, GitHub, Mastodon, Reddit).
            let reply = Reply {
                status: status.as_u16(),
                headers: &headers,
                body: &[],
            };
            let reset = ["x-rate-limit", "x-ratelimit"]
                .iter()
                .find_map(|p| sources::rate_from_headers(&reply, p, Utc::now()))
                .and_then(|r| r.reset)
                .and_then(|r| (r - Utc::now()).to_std().ok());
            let retry_after = retry_after.or(reset);
            let what = if status == StatusCode::TOO_MANY_REQUESTS {
                "rate-limited by the server"
            } else {
                "the server is unavailable"
            };
            let message = match retry_after {
                Some(d) => format!(
                    "{what} (HTTP {}); waiting {} as it asked",
                    status.as_u16(),
                    humantime::format_duration(d)
                ),
                None => format!("{what} (HTTP {}); backing off", status.as_u16()),
            };
            return Err(PollError::RateLimited {
                status: status.as_u16(),
                message,
                retry_after,
            });
        }
        if !status.is_success() {
            let text = status.canonical_reason().unwrap_or("").to_string();
            let hint = sources::explain_refusal(feed, status.as_u16())
                .map(|h| format!(" ({h})"))
                .unwrap_or_else(|| {
                    match status.as_u16() {
                        401 | 403 => {
                            " (the service refused access: check the address, or the token for feeds that need one)"
                        }
                        404 | 410 => " (no feed at this address any more?)",
                        _ => "",
                    }
                    .to_string()
                });
            return Err(PollError::Http {
                status: Some(status.as_u16()),
                message: format!("HTTP {} {text}{hint}", status.as_u16()),
            });
        }
        let body = self.read_capped(resp).await?;
        Ok(Response {
            status,
            headers,
            body: Some(body),
        })
    }

    async fn read_capped(&self, mut resp: reqwest::Response) -> Result<Vec<u8>, PollError> {
        let cap = self.config.max_body_bytes;
        let too_big = || PollError::Http {
            status: None,
            message: format!(
                "the answer is larger than {} (counted after decompression); refused",
                human_bytes(cap)
            ),
        };
        // A declared length is only known to be the compressed size when no encoding is set.
        if resp.content_length().is_some_and(|n| n > cap) {
            return Err(too_big());
        }
        let mut body = Vec::with_capacity(resp.content_length().unwrap_or(16 * 1024).min(cap) as usize);
        loop {
            match resp.chunk().await {
                Ok(Some(chunk)) => {
                    if body.len() as u64 + chunk.len() as u64 > cap {
                        return Err(too_big());
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(None) => return Ok(body),
                Err(e) => {
                    return Err(PollError::Http {
                        status: None,
                        message: describe_http(&e, self.config.timeout),
                    });
                }
            }
        }
    }
}

/// What a dry run of one feed found.
#[derive(Debug, Default)]
pub struct DryRun {
    pub kept: Vec<NewMention>,
    pub dropped: Vec<NewMention>,
    pub rate: Option<sources::RateLimit>,
    pub wait: Option<Duration>,
}

struct Response {
    status: StatusCode,
    headers: Vec<(String, String)>,
    body: Option<Vec<u8>>,
}

impl Response {
    fn header(&self, name: &str) -> Option<String> {
        self.headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
    }
}

enum Fetched {
    NotModified,
    Items {
        mentions: Vec<NewMention>,
        cursor: Option<serde_json::Value>,
        etag: Option<String>,
        last_modified: Option<String>,
        status: u16,
        rate: Option<sources::RateLimit>,
        wait: Option<Duration>,
    },
}

impl crate::store::FeedState {
    fn with_id(mut self, id: i64) -> Self {
        self.id = id;
        self
    }
}

async fn parse_off_thread(
    feed: &FeedConfig,
    cursor: Option<serde_json::Value>,
    token: Option<String>,
    req: sources::Request,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
) -> Result<sources::Page, PollError> {
    let feed = feed.clone();
    tokio::task::spawn_blocking(move || {
        let ctx = Ctx {
            feed: &feed,
            cursor: cursor.as_ref(),
            token: token.as_deref(),
            now: Utc::now(),
        };
        let reply = Reply {
            status: 200,
            headers: &headers,
            body: &body,
        };
        sources::parse(&ctx, &req, &reply)
    })
    .await
    .expect("parser panicked")
    .map_err(PollError::from)
}

/// The feed's token, if its `token_env` variable is set.
pub fn token_of(feed: &FeedConfig) -> Option<String> {
    secret_for(feed).ok().flatten()
}

/// The secret `token_env` names, read from the environment now (never stored, never logged).
fn secret_for(feed: &FeedConfig) -> Result<Option<String>, PollError> {
    let missing = |msg: String| PollError::Http {
        status: None,
        message: msg,
    };
    match &feed.token_env {
        Some(var) => match std::env::var(var) {
            Ok(v) if !v.trim().is_empty() => Ok(Some(v.trim().to_string())),
            _ => Err(missing(format!(
                "the environment variable {var} (token_env) is not set; export it before starting overhear"
            ))),
        },
        None if feed.kind.needs_token() => Err(missing(format!("a {} feed needs a token: set `token_env`", feed.kind))),
        None => Ok(None),
    }
}

async fn wait_true(rx: &mut watch::Receiver<bool>) {
    if rx.wait_for(|v| *v).await.is_err() {
        // The sender is gone: nobody can ask us to stop any more.
        std::future::pending::<()>().await;
    }
}

/// The interval with ±10% jitter, so feeds on one host do not poll in lockstep.
fn jittered(every: Duration) -> chrono::Duration {
    let ms = every.as_millis() as i64;
    let spread = ms / 10;
    chrono::Duration::milliseconds(ms + if spread > 0 { fastrand::i64(-spread..=spread) } else { 0 })
}

/// Wait after the `failures`-th failure in a row: the interval doubled per failure, capped at an
/// hour (or the interval itself when that is longer).
pub fn backoff(every: Duration, failures: u32) -> chrono::Duration {
    let cap = MAX_BACKOFF.max(every);
    let factor = 2u32.saturating_pow(failures.min(16));
    let d = every.saturating_mul(factor).min(cap);
    chrono::Duration::from_std(d).unwrap_or(chrono::Duration::hours(1))
}

/// `Retry-After` as seconds or an HTTP date.
pub fn parse_retry_after(v: &str) -> Option<Duration> {
    let v = v.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = DateTime::parse_from_rfc2822(v).ok()?.to_utc();
    Some((when - Utc::now()).to_std().unwrap_or(Duration::ZERO))
}

fn human_bytes(n: u64) -> String {
    if n >= 1024 * 1024 && n % (1024 * 1024) == 0 {
        format!("{} MiB", n / (1024 * 1024))
    } else if n >= 1024 && n % 1024 == 0 {
        format!("{} KiB", n / 1024)
    } else {
        format!("{n} bytes")
    }
}

/// A reqwest error in words, without the URL (it may carry a key).
fn describe_http(e: &reqwest::Error, timeout: Duration) -> String {
    if e.is_timeout() {
        return format!("timed out after {}", humantime::format_duration(timeout));
    }
    let mut root: &dyn std::error::Error = e;
    let mut chain = Vec::new();
    while let Some(src) = root.source() {
        let s = src.to_string();
        if !chain.contains(&s) {
            chain.push(s);
        }
        root = src;
    }
    let detail = chain.last().cloned().unwrap_or_else(|| e.to_string());
    if e.is_redirect() {
        format!("redirect refused: {}", chain.first().cloned().unwrap_or(detail))
    } else if e.is_connect() {
        format!("cannot connect: {detail}")
    } else if e.is_decode() || e.is_body() {
        format!("the answer broke off or could not be decoded: {detail}")
    } else {
        format!("request failed: {detail}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_caps() {
        let five = Duration::from_secs(300);
        assert_eq!(backoff(five, 1), chrono::Duration::seconds(600));
        assert_eq!(backoff(five, 2), chrono::Duration::seconds(1200));
        assert_eq!(backoff(five, 10), chrono::Duration::seconds(3600));
        let day = Duration::from_secs(86400);
        assert_eq!(
            backoff(day, 3),
            chrono::Duration::seconds(86400),
            "a long interval is its own cap"
        );
    }

    #[test]
    fn retry_after_as_seconds_or_date() {
        assert_eq!(parse_retry_after("120"), Some(Duration::from_secs(120)));
        let later = (Utc::now() + chrono::Duration::seconds(90)).to_rfc2822();
        let d = parse_retry_after(&later).unwrap();
        assert!(d > Duration::from_secs(80) && d <= Duration::from_secs(90), "{d:?}");
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("soon"), None);
    }

    #[test]
    fn jitter_stays_within_ten_percent() {
        for _ in 0..100 {
            let j = jittered(Duration::from_secs(100)).num_milliseconds();
            assert!((90_000..=110_000).contains(&j), "{j}");
        }
    }

    #[test]
    fn report_lines_say_what_happened() {
        let r = FeedReport {
            name: "hn".into(),
            outcome: Outcome::Failed {
                error: "timed out after 2s".into(),
            },
            stored: 3,
            elapsed: Duration::from_millis(2003),
            next_poll_at: Utc::now(),
        };
        assert_eq!(
            r.line(4),
            "hn    error        0 new        3 stored    2003 ms: timed out after 2s"
        );
    }
}
