//! One feed's poll: fetch its pages through the network client, parse each off the async
//! threads, apply the include/exclude rules, write the result and the feed's health in one
//! transaction, and say what happened. Also the dry run of `overhear feed test`.

use super::{
    PollError, Poller,
    report::{FeedReport, Outcome},
    schedule, wait_true,
};
use crate::model::{FeedConfig, NewMention};
use crate::net::{self, NetError, Response};
use crate::sources::{self, Ctx, Reply};
use crate::store::{FeedState, PollRecord, PollWrite, Recorded};
use chrono::{DateTime, Utc};
use reqwest::header::{self, HeaderMap};
use std::time::Duration;
use tokio::sync::watch;

/// The most replies of ours one poll of a feed asks about (the newest).
const MAX_WATCHED: usize = 20;
/// How often the thread of one mention we answered is asked again for what answered us.
const WATCH_EVERY: Duration = Duration::from_secs(600);

impl Poller {
    /// Poll one feed now: fetch (following its pages), filter, write, and say what happened.
    pub async fn poll_feed(&self, feed: &FeedConfig, force: bool, shutdown: watch::Receiver<bool>) -> FeedReport {
        let started = std::time::Instant::now();
        let name = feed.name.clone();
        let kind = feed.kind;
        let state = self.with_store(move |s| s.feed_for_poll(&name, kind)).await;
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

        // A place among the polls fetching from the feed's host first (at most `per_host` at
        // once), held until its answers are read; then room among all polls: a poll waiting for
        // its host holds no room a poll of another host could use.
        let host_turn = self.host_turn(feed, &state, now).await;
        // The permit is held from the fetch until the result is queued for the writer: at most
        // `concurrency` polls are fetched, parsed or waiting to be written at once.
        let permit = self.permits.acquire().await.expect("semaphore is never closed");
        // A poller that lost the team's lease while this poll waited does not fetch.
        if !self.may_poll() {
            return FeedReport {
                name: feed.name.clone(),
                outcome: Outcome::Stopped,
                stored: 0,
                elapsed: started.elapsed(),
                next_poll_at: now,
            };
        }
        let result = {
            let mut shutdown = shutdown;
            tokio::select! {
                r = self.fetch_all(feed, &state) => r,
                _ = wait_true(&mut shutdown) => Err(PollError::Cancelled),
            }
        };
        drop(host_turn);
        let now = Utc::now();
        let (pending, next) = self.prepare(feed, &state, result, now);
        let (outcome, stored, next) = match pending {
            Pending::Done(outcome) => (outcome, 0, next),
            Pending::Write(record, outcome) => {
                let queued = self.writer.queue(record).await;
                drop(permit);
                finish(feed, &state, outcome, queued.written().await, now, next)
            }
        };
        let report = FeedReport {
            name: feed.name.clone(),
            outcome,
            stored,
            elapsed: started.elapsed(),
            next_poll_at: next,
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

    /// A place among the polls fetching from the host of the feed's first request (`None` when
    /// it cannot be made: the fetch, which makes it again, says why).
    async fn host_turn(
        &self,
        feed: &FeedConfig,
        state: &FeedState,
        now: DateTime<Utc>,
    ) -> Option<tokio::sync::OwnedSemaphorePermit> {
        let ctx = Ctx {
            feed,
            cursor: state.cursor.as_ref(),
            token: None,
            now,
        };
        let req = sources::first_request(&ctx).ok()?;
        Some(self.client.host_turn(&req.url).await)
    }

    /// What a fetch brought (or why it failed), made into what the store writes, the outcome to
    /// report once it is written, and the next poll.
    fn prepare(
        &self,
        feed: &FeedConfig,
        state: &FeedState,
        result: Result<Fetched, PollError>,
        now: DateTime<Utc>,
    ) -> (Pending, DateTime<Utc>) {
        let feed_id = state.id;
        match result {
            Ok(Fetched::NotModified(status)) => {
                let next = schedule::after_success(now, feed.every, None, schedule::draw());
                let outcome = Outcome::Ok {
                    new: 0,
                    filtered: 0,
                    not_modified: true,
                    notes: Vec::new(),
                };
                (
                    Pending::Write(
                        Box::new(PollRecord::NotModified {
                            feed_id,
                            next_poll_at: next,
                            status,
                        }),
                        outcome,
                    ),
                    next,
                )
            }
            Ok(items @ Fetched::Items { .. }) => prepare_items(feed, state, items, now),
            Err(PollError::Cancelled) => (Pending::Done(Outcome::Stopped), now),
            Err(err) => prepare_failure(feed, state, &err, now),
        }
    }

    /// What answered the replies we sent from this feed's mentions within the follow-up window,
    /// asked of the service where it can tell: what answered our reply, where the service names
    /// our reply's id (Mastodon, Bluesky), else the thread of the mention we answered, where our
    /// reply is found by its id or its words (every kind with threads: an answer handed off by copy
    /// and link too). A thread is asked at most every [`WATCH_EVERY`]. A failure is logged and costs
    /// only itself: the feed's poll stands.
    async fn follow_ups(&self, feed: &FeedConfig, feed_id: i64, ctx: &Ctx<'_>) -> (Vec<NewMention>, usize) {
        let mut calls = 0;
        if !sources::tells_follow_ups(feed.kind) && !sources::thread::watches_threads(feed.kind) {
            return (Vec::new(), calls);
        }
        let since = Utc::now() - chrono::Duration::from_std(self.follow_up).unwrap_or_default();
        let watched = match self.with_store(move |s| s.watched(feed_id, since, MAX_WATCHED)).await {
            Ok(w) => w,
            Err(e) => {
                tracing::warn!(feed = %feed.name, "answers to watch not read: {e}");
                return (Vec::new(), calls);
            }
        };
        let mut out = Vec::new();
        for w in watched {
            let got = match &w.answer_id {
                Some(id) if sources::tells_follow_ups(feed.kind) => self.replies_to(feed, ctx, id, &mut calls).await,
                _ => self.answers_in_thread(feed, ctx, &w, &mut calls).await,
            };
            match got {
                Ok(mut m) => out.append(&mut m),
                Err(e) => {
                    tracing::warn!(feed = %feed.name, mention = w.mention_id, "an answer of ours not watched this time: {e}")
                }
            }
        }
        (out, calls)
    }

    /// What replied to our reply `id`, asked of the service; `calls` counts the requests sent.
    async fn replies_to(
        &self,
        feed: &FeedConfig,
        ctx: &Ctx<'_>,
        id: &str,
        calls: &mut usize,
    ) -> Result<Vec<NewMention>, String> {
        let mut out = Vec::new();
        for req in sources::follow_up_requests(ctx, &[id.to_string()]).map_err(|e| e.to_string())? {
            *calls += 1;
            match self.client.send(feed, &req, HeaderMap::new()).await {
                Ok(Response {
                    headers,
                    body: Some(body),
                    ..
                }) => out.append(
                    &mut parse_off_thread(
                        &self.parsers,
                        feed,
                        None,
                        ctx.token.map(str::to_string),
                        req,
                        headers,
                        body,
                    )
                    .await
                    .map_err(|e| e.to_string())?
                    .mentions,
                ),
                Ok(_) => {}
                Err(e) => return Err(e.to_string()),
            }
        }
        Ok(out)
    }

    /// What answered us in the thread of `w`, unless that thread was asked lately; our reply's id,
    /// when it was found by its words, is kept. `calls` counts the requests sent.
    async fn answers_in_thread(
        &self,
        feed: &FeedConfig,
        ctx: &Ctx<'_>,
        w: &crate::model::Watched,
        calls: &mut usize,
    ) -> Result<Vec<NewMention>, String> {
        {
            let mut asked = self
                .watched_at
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let now = std::time::Instant::now();
            if asked
                .get(&w.mention_id)
                .is_some_and(|at| now.duration_since(*at) < WATCH_EVERY)
            {
                return Ok(Vec::new());
            }
            asked.insert(w.mention_id, now);
        }
        let token = ctx.token.map(str::to_string);
        let scorer = self.parsers.scorer.clone();
        let Some(answers) = super::thread::fetch_answers(&self.client, feed, w, token, scorer, calls)
            .await
            .map_err(|e| e.to_string())?
        else {
            return Ok(Vec::new());
        };
        if let Some(id) = answers.found {
            let mention = w.mention_id;
            tracing::info!(feed = %feed.name, mention, "our reply handed off by hand found in its thread");
            self.with_store(move |s| s.learn_answer(mention, &id))
                .await
                .map_err(|e| e.to_string())?;
        }
        Ok(answers.follow_ups)
    }

    /// Fetch a feed once as a poll would, from scratch, and store nothing: what would be stored,
    /// and what the include/exclude rules would drop. For `overhear feed test`.
    pub async fn dry_run(&self, feed: &FeedConfig) -> Result<DryRun, PollError> {
        let state = crate::store::FeedState::default();
        match self.fetch_all(feed, &state).await {
            Ok(Fetched::Items {
                mentions,
                rate,
                wait,
                notes,
                ..
            }) => {
                let (kept, dropped): (Vec<NewMention>, Vec<NewMention>) =
                    mentions.into_iter().partition(|m| allowed(feed, m));
                Ok(DryRun {
                    kept,
                    dropped,
                    rate,
                    wait,
                    notes,
                })
            }
            Ok(Fetched::NotModified(_)) => Ok(DryRun::default()),
            Err(e) => Err(e),
        }
    }

    #[expect(
        clippy::too_many_lines,
        reason = "one fetch: sign in, the conditional first page, the pages after it, then reach; splitting it would pass the session around"
    )]
    async fn fetch_all(&self, feed: &FeedConfig, state: &crate::store::FeedState) -> Result<Fetched, PollError> {
        let secret = net::secret(feed)?;
        let mut token = self.client.token(feed, secret.as_deref(), false).await?;
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
        let mut first = self.client.send(feed, &req, conditional.clone()).await;
        // A session that expired: sign in again once, and ask again.
        if sources::needs_session(feed)
            && matches!(
                &first,
                Err(NetError::Http {
                    status: Some(401 | 400),
                    ..
                })
            )
        {
            token = self.client.token(feed, secret.as_deref(), true).await?;
            req = sources::first_request(&Ctx {
                feed,
                cursor: state.cursor.as_ref(),
                token: token.as_deref(),
                now,
            })?;
            first = self.client.send(feed, &req, conditional).await;
        }
        let first = first?;
        let etag = first.header("etag");
        let last_modified = first.header("last-modified");
        let Some(body) = first.body else {
            // Nothing new in the search: what answered our replies is asked all the same.
            let ctx = Ctx {
                feed,
                cursor: state.cursor.as_ref(),
                token: token.as_deref(),
                now,
            };
            let (follow_ups, _) = self.follow_ups(feed, state.id, &ctx).await;
            if follow_ups.is_empty() {
                return Ok(Fetched::NotModified(first.status.as_u16()));
            }
            return Ok(Fetched::Items {
                mentions: Vec::new(),
                follow_ups,
                notes: Vec::new(),
                skipped: 0,
                cursor: None,
                etag: state.etag.clone(),
                last_modified: state.last_modified.clone(),
                status: first.status.as_u16(),
                rate: None,
                wait: None,
                body_hash: state.body_hash.clone(),
            });
        };
        // A feed read in one request that answers, without validators, what the last stored
        // poll read: unchanged, as a 304 would have said, and not parsed again.
        let body_hash = (feed.kind == crate::model::FeedKind::Rss).then(|| fingerprint(feed, &body));
        if body_hash.is_some() && body_hash == state.body_hash {
            return Ok(Fetched::NotModified(first.status.as_u16()));
        }
        let mut page = parse_off_thread(
            &self.parsers,
            feed,
            state.cursor.clone(),
            token.clone(),
            req.clone(),
            first.headers.clone(),
            body,
        )
        .await?;
        let mut mentions = std::mem::take(&mut page.mentions);
        let mut notes = std::mem::take(&mut page.notes);
        let mut skipped = page.skipped;
        let mut cursor = page.cursor.take();
        let mut rate = page.rate.take();
        let mut wait = page.wait;
        let mut next = page.next.take();
        let mut pages = 1;
        let max_pages = sources::max_pages(feed);
        while let Some(req) = next.take()
            && pages < max_pages
            && wait.is_none()
        {
            pages += 1;
            let resp = self.client.send(feed, &req, HeaderMap::new()).await?;
            let Some(body) = resp.body else { break };
            let mut page = parse_off_thread(
                &self.parsers,
                feed,
                state.cursor.clone(),
                token.clone(),
                req,
                resp.headers,
                body,
            )
            .await?;
            mentions.append(&mut page.mentions);
            notes.append(&mut page.notes);
            skipped += page.skipped;
            merge_cursor(&mut cursor, page.cursor.take());
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
        let (follow_ups, mut calls) = self.follow_ups(feed, state.id, &ctx).await;
        let reach = sources::reach_requests(&ctx, &mentions)?;
        calls += reach.len();
        for req in reach {
            let reached = match self.client.send(feed, &req, HeaderMap::new()).await {
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
        // What those calls cost of a daily quota, where the service counts one.
        sources::charge(feed.kind, now, calls, &mut cursor, &mut rate);
        Ok(Fetched::Items {
            mentions,
            follow_ups,
            notes,
            skipped,
            cursor,
            etag,
            last_modified,
            status: first.status.as_u16(),
            rate,
            wait,
            body_hash,
        })
    }
}

/// What an answer's body is known by: its SHA-256 with the feed's settings (another include
/// rule reads the same answer anew) and overhear's version (a parser mended since may read more
/// of it), the first 16 bytes in hex.
fn fingerprint(feed: &FeedConfig, body: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(env!("CARGO_PKG_VERSION").as_bytes());
    h.update(format!("{feed:?}").as_bytes());
    h.update(body);
    crate::text::hex(&h.finalize()[..16])
}

/// A later page's cursor into the poll's: of each key, the first page's value that set it (pages
/// come newest first, so the first is the newest), the keys only a later page sets added (a
/// source whose poll reads several lists, like YouTube's search then comments).
fn merge_cursor(cursor: &mut Option<serde_json::Value>, later: Option<serde_json::Value>) {
    if let (Some(serde_json::Value::Object(c)), Some(serde_json::Value::Object(l))) = (cursor.as_mut(), later) {
        for (k, v) in l {
            c.entry(k).or_insert(v);
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
    /// What the parser repaired or noticed, in words.
    pub notes: Vec<String>,
}

#[allow(
    clippy::large_enum_variant,
    reason = "one per poll, moved once: boxing would only add an allocation"
)]
enum Fetched {
    /// A 304, or (its status 200) the very answer the last stored poll read.
    NotModified(u16),
    Items {
        mentions: Vec<NewMention>,
        /// Replies to what we sent: kept whatever the feed's include/exclude rules say.
        follow_ups: Vec<NewMention>,
        /// What the parser repaired or noticed.
        notes: Vec<String>,
        /// Item elements that gave nothing to store.
        skipped: usize,
        cursor: Option<serde_json::Value>,
        etag: Option<String>,
        last_modified: Option<String>,
        status: u16,
        rate: Option<sources::RateLimit>,
        wait: Option<Duration>,
        /// The fingerprint of the answer read, for a feed read in one request ([`fingerprint`]).
        body_hash: Option<String>,
    },
}

/// A poll on its way to the store.
enum Pending {
    /// Nothing to write (stopped).
    Done(Outcome),
    /// This record, then this outcome (its `new` filled in from the write).
    Write(Box<PollRecord>, Outcome),
}

/// Keep what the include/exclude rules allow, with the feed's new state.
fn prepare_items(feed: &FeedConfig, state: &FeedState, items: Fetched, now: DateTime<Utc>) -> (Pending, DateTime<Utc>) {
    let Fetched::Items {
        mentions,
        follow_ups,
        notes,
        skipped,
        cursor,
        etag,
        last_modified,
        status,
        rate,
        wait,
        body_hash,
    } = items
    else {
        unreachable!("prepare_items is given items");
    };
    let before = mentions.len();
    if before == 0 && skipped > 0 {
        // Items were there, none could be read: a failure of the feed, never "ok, 0 new".
        let why = if notes.is_empty() {
            format!("none of its {skipped} items could be read")
        } else {
            notes.join("; ")
        };
        let err = PollError::Net(NetError::Source(sources::SourceError::Malformed(why)));
        return prepare_failure(feed, state, &err, now);
    }
    let mut kept: Vec<NewMention> = mentions.into_iter().filter(|m| allowed(feed, m)).collect();
    let filtered = before - kept.len();
    kept.extend(follow_ups);
    // The service's own wait (a backoff, a spent quota) beats the interval.
    let next = schedule::after_success(now, feed.every, wait, schedule::draw());
    let write = PollWrite {
        mentions: kept,
        etag,
        last_modified,
        cursor,
        status,
        next_poll_at: next,
        rate_limit: rate.and_then(|r| serde_json::to_value(r).ok()),
        notes: notes.clone(),
        body_hash,
    };
    let outcome = Outcome::Ok {
        new: 0,
        filtered,
        not_modified: false,
        notes,
    };
    (
        Pending::Write(
            Box::new(PollRecord::Items {
                feed_id: state.id,
                kind: feed.kind,
                write,
            }),
            outcome,
        ),
        next,
    )
}

/// A failed poll for the feed's health: the error in words, and when to try again.
fn prepare_failure(
    feed: &FeedConfig,
    state: &FeedState,
    err: &PollError,
    now: DateTime<Utc>,
) -> (Pending, DateTime<Utc>) {
    let (status, retry_after) = match err {
        PollError::Net(e @ NetError::RateLimited { retry_after, .. }) => (e.status(), *retry_after),
        _ => (None, None),
    };
    // A server's words are a stranger's: sanitised before they are stored, shown or logged.
    let message = crate::text::clean_message(&err.to_string());
    let (next, retry_until) = schedule::after_failure(now, feed.every, state.consecutive_failures + 1, retry_after);
    (
        Pending::Write(
            Box::new(PollRecord::Failure {
                feed_id: state.id,
                status,
                error: message.clone(),
                next_poll_at: next,
                retry_after_until: retry_until,
            }),
            Outcome::Failed { error: message },
        ),
        next,
    )
}

/// The outcome of a poll once its write is done: the write's own failure becomes the feed's.
fn finish(
    feed: &FeedConfig,
    state: &FeedState,
    outcome: Outcome,
    written: Result<Recorded, crate::store::StoreError>,
    now: DateTime<Utc>,
    next: DateTime<Utc>,
) -> (Outcome, i64, DateTime<Utc>) {
    match (outcome, written) {
        (
            Outcome::Ok {
                filtered,
                not_modified,
                notes,
                ..
            },
            Ok(Recorded::Items(counts)),
        ) => (
            Outcome::Ok {
                new: counts.new,
                filtered,
                not_modified,
                notes,
            },
            counts.stored,
            next,
        ),
        (outcome, Ok(Recorded::NotModified { stored } | Recorded::Failure { stored, .. })) => (outcome, stored, next),
        // Another process polls now: nothing was written, nothing to say about this feed.
        (_, Err(crate::store::StoreError::LeaseLost)) => (Outcome::Stopped, 0, next),
        (Outcome::Failed { error }, Err(e)) => {
            tracing::error!(feed = %feed.name, "cannot record a failure: {e}");
            (Outcome::Failed { error }, 0, next)
        }
        (_, Err(e)) => (
            Outcome::Failed { error: e.to_string() },
            0,
            schedule::after_failure(now, feed.every, state.consecutive_failures + 1, None).0,
        ),
        (outcome, Ok(Recorded::Items(counts))) => (outcome, counts.stored, next),
    }
}

async fn parse_off_thread(
    parsers: &super::parsers::Parsers,
    feed: &FeedConfig,
    cursor: Option<serde_json::Value>,
    token: Option<String>,
    req: sources::Request,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
) -> Result<sources::Page, PollError> {
    let feed = feed.clone();
    let scorer = parsers.scorer.clone();
    let parsed = parsers
        .run(move || {
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
            sources::parse(&ctx, &req, &reply).map(|mut page| {
                // Here, on a parser's thread, not on the writer's.
                for m in &mut page.mentions {
                    let facts = crate::query::facts::Facts::of_mention(feed.kind, m, &scorer);
                    m.lang = Some(facts.lang.unwrap_or(crate::text::lang::UNKNOWN).to_string());
                    m.facts = Some(facts);
                }
                page
            })
        })
        .await;
    match parsed {
        Ok(result) => result.map_err(PollError::from),
        // A parser bug must not end the poll or stop this feed's schedule: it becomes the feed's
        // error; the panic hook (`isolate::install_hook`) has logged what panicked and where.
        Err(_) => Err(PollError::from(sources::SourceError::Malformed(
            "overhear could not read this document (a bug: the log has the details); the feed keeps its schedule"
                .into(),
        ))),
    }
}

/// Whether the feed's include/exclude rules keep a mention.
fn allowed(feed: &FeedConfig, m: &NewMention) -> bool {
    if feed.rules.is_empty() {
        return true;
    }
    feed.rules.keeps(&crate::query::Candidate {
        title: m.title.as_deref(),
        text: &m.text,
        author: m.author.as_deref(),
        feed: &feed.name,
        kind: feed.kind,
        url: m.url.as_deref(),
        reach: m.author_reach,
        score: m.engagement.score,
        lang: m.lang.as_deref().and_then(crate::text::lang::normalize),
        sentiment: m.facts.as_ref().map(|f| f.sentiment),
        intents: m.facts.as_ref().map_or(0, |f| f.intents),
        priority: m.facts.as_ref().map_or(0.0, |f| f.priority),
        sort_at: m.published_at.unwrap_or_else(Utc::now),
        ..crate::query::Candidate::blank()
    })
}
