//! Feed rows: validators, cursors, schedule and health. A poll's mentions and its feed update are
//! written in one transaction.

use super::db;
use super::{Doing, Keep, Result, Store, StoreError, from_ts, to_ts};
use crate::model::{FeedKind, NewMention};
use crate::query::facts::Facts;
use chrono::{DateTime, Utc};

/// What the poller needs to know about a feed before polling it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FeedState {
    pub id: i64,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub cursor: Option<serde_json::Value>,
    pub consecutive_failures: u32,
    pub next_poll_at: Option<DateTime<Utc>>,
    pub retry_after_until: Option<DateTime<Utc>>,
    /// The fingerprint of the answer the last stored poll read ([`PollWrite::body_hash`]).
    pub body_hash: Option<String>,
}

/// A successful poll, to be written at once.
#[derive(Debug, Clone, Default)]
pub struct PollWrite {
    pub mentions: Vec<NewMention>,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    /// `None` keeps the stored cursor.
    pub cursor: Option<serde_json::Value>,
    pub status: u16,
    pub next_poll_at: DateTime<Utc>,
    pub rate_limit: Option<serde_json::Value>,
    /// What the parser repaired or noticed, in words (kept with the feed's health).
    pub notes: Vec<String>,
    /// The fingerprint of the answer read (a feed read in one request): the same answer again is
    /// known unchanged without parsing it. `None` forgets the last one.
    pub body_hash: Option<String>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WriteCounts {
    /// Mentions stored for the first time.
    pub new: usize,
    /// Mentions already stored whose engagement or reach changed.
    pub updated: usize,
    /// Mentions the feed has stored, these included.
    pub stored: i64,
}

/// A feed's health, as `overhear feeds` and the status bar show it.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedHealth {
    pub name: String,
    pub kind: String,
    pub last_attempt_at: Option<DateTime<Utc>>,
    pub last_success_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub consecutive_failures: u32,
    pub next_poll_at: Option<DateTime<Utc>>,
    pub items: i64,
    /// The service's rate-limit state as last reported (JSON).
    pub rate_limit: Option<String>,
    /// What the last poll's parser repaired or noticed, in words.
    pub notes: Option<String>,
}

impl Store {
    /// The feed's row id, creating the row on first sight.
    pub fn ensure_feed(&mut self, name: &str, kind: FeedKind) -> Result<i64> {
        if let Some(id) = self
            .db()
            .query_opt("SELECT id FROM feeds WHERE name = ?1", db::params![name], |r| r.get(0))
            .doing("looking up a feed")?
        {
            return Ok(id);
        }
        self.write_db("registering a feed", |db| {
            db.execute(
                "INSERT OR IGNORE INTO feeds (name, kind) VALUES (?1, ?2)",
                db::params![name, kind.as_str()],
            )?;
            db.query_row("SELECT id FROM feeds WHERE name = ?1", db::params![name], |r| r.get(0))
        })
    }

    /// Every feed's row, created where new, in one transaction: their ids by name.
    pub fn ensure_feeds(&mut self, feeds: &[(String, FeedKind)]) -> Result<Vec<i64>> {
        self.write_db("registering feeds", |db| {
            feeds
                .iter()
                .map(|(name, kind)| {
                    db.execute(
                        "INSERT OR IGNORE INTO feeds (name, kind) VALUES (?1, ?2)",
                        db::params![name, kind.as_str()],
                    )?;
                    db.query_row("SELECT id FROM feeds WHERE name = ?1", db::params![name], |r| r.get(0))
                })
                .collect()
        })
    }

    /// The feed's row, created when it is new, with its state as a poll needs it.
    pub fn feed_for_poll(&mut self, name: &str, kind: FeedKind) -> Result<FeedState> {
        let id = self.ensure_feed(name, kind)?;
        Ok(FeedState {
            id,
            ..self.feed_state(name)?.unwrap_or_default()
        })
    }

    pub fn feed_state(&self, name: &str) -> Result<Option<FeedState>> {
        self.db()
            .query_opt(
                "SELECT id, etag, last_modified, cursor, consecutive_failures, next_poll_at, retry_after_until, body_hash
                 FROM feeds WHERE name = ?1",
                db::params![name],
                |r| {
                    let cursor: Option<String> = r.get(3)?;
                    Ok(FeedState {
                        id: r.get(0)?,
                        etag: r.get(1)?,
                        last_modified: r.get(2)?,
                        cursor: cursor.and_then(|c| serde_json::from_str(&c).ok()),
                        consecutive_failures: r.get::<i64>(4)?.max(0) as u32,
                        next_poll_at: r.get::<Option<i64>>(5)?.map(from_ts),
                        retry_after_until: r.get::<Option<i64>>(6)?.map(from_ts),
                        body_hash: r.get(7)?,
                    })
                },
            )
            .doing("reading a feed's state")
    }

    /// Store a successful poll: new mentions, changed engagement, validators, cursor and health,
    /// all in one transaction.
    pub fn write_poll(
        &mut self,
        feed_id: i64,
        kind: FeedKind,
        poll: &PollWrite,
        now: DateTime<Utc>,
    ) -> Result<WriteCounts> {
        let record = PollRecord::Items {
            feed_id,
            kind,
            write: poll.clone(),
        };
        match self.record_polls(std::slice::from_ref(&record), now)?.pop() {
            Some(Ok(Recorded::Items(counts))) => Ok(counts),
            Some(Err(e)) => Err(e),
            _ => unreachable!("one record, one result of its kind"),
        }
    }

    /// A 304: nothing to parse, no mention written; only the feed's schedule moves.
    pub fn record_not_modified(&mut self, feed_id: i64, now: DateTime<Utc>, next_poll_at: DateTime<Utc>) -> Result<()> {
        let record = PollRecord::NotModified {
            feed_id,
            next_poll_at,
            status: 304,
        };
        self.record_polls(std::slice::from_ref(&record), now)?
            .pop()
            .expect("one record, one result")
            .map(|_| ())
    }

    /// A failed poll: the error in words, the backoff, and a server's Retry-After if it sent one.
    /// The number of failures in a row.
    pub fn record_failure(
        &mut self,
        feed_id: i64,
        now: DateTime<Utc>,
        status: Option<u16>,
        error: &str,
        next_poll_at: DateTime<Utc>,
        retry_after_until: Option<DateTime<Utc>>,
    ) -> Result<u32> {
        let record = PollRecord::Failure {
            feed_id,
            status,
            error: error.to_string(),
            next_poll_at,
            retry_after_until,
        };
        match self.record_polls(std::slice::from_ref(&record), now)?.pop() {
            Some(Ok(Recorded::Failure { in_a_row, .. })) => Ok(in_a_row),
            Some(Err(e)) => Err(e),
            _ => unreachable!("one record, one result of its kind"),
        }
    }

    /// Write several feeds' polls in one transaction (a group commit: every page written once),
    /// each feed's all or nothing inside it (a savepoint each): one feed whose write fails costs
    /// that feed only. New mentions enter the full-text index in one statement at the end, in the
    /// same transaction, so the index and the table agree whatever stops the process.
    ///
    /// The outer error is the transaction's (nothing was written); the inner ones are per record.
    pub fn record_polls(&mut self, records: &[PollRecord], now: DateTime<Utc>) -> Result<Vec<Result<Recorded>>> {
        self.record_polls_fenced(records, now, None, &super::Arrival::default())
    }

    /// [`Store::record_polls`], written only while `holder` (a session id) holds the poller lease,
    /// asked inside the same transaction: a poller that lost its lease (paused past its expiry
    /// while another took over) writes nothing and hears [`StoreError::LeaseLost`]. A write that
    /// holds it renews it for [`super::team::LEASE_TTL`] from `now`.
    pub fn record_polls_fenced(
        &mut self,
        records: &[PollRecord],
        now: DateTime<Utc>,
        holder: Option<&str>,
        arrival: &super::Arrival,
    ) -> Result<Vec<Result<Recorded>>> {
        // Most groups are written whole: first without a savepoint per feed (each costs a copy of
        // every page it changes); a feed whose write fails undoes the group, written again with
        // them, so that it costs only itself.
        let mut careful = false;
        // The titles the grouping read in earlier writes (`write_group` says whether they hold).
        let mut kept = std::mem::take(&mut self.shingles);
        let results = loop {
            let done = self.write_db_or_undo("storing polls", |db| {
                // What an earlier attempt left pending was undone with it.
                kept.undone();
                write_group(db, records, now, holder, arrival, careful, &mut kept)
            });
            match done {
                Ok(Some(results)) => break results,
                Ok(None) => careful = true,
                Err(e) => {
                    kept.undone();
                    self.shingles = kept;
                    return Err(e);
                }
            }
        };
        kept.committed();
        self.shingles = kept;
        let results = results.ok_or(StoreError::LeaseLost)?;
        Ok(results.into_iter().map(|r| r.doing("storing a feed's poll")).collect())
    }

    /// How many mentions a feed has stored.
    pub fn feed_item_count(&self, feed_id: i64) -> Result<i64> {
        self.db()
            .query_row("SELECT items FROM feeds WHERE id = ?1", db::params![feed_id], |r| {
                r.get(0)
            })
            .doing("counting a feed's mentions")
    }

    /// Health of every feed the database knows, by name. `items` is a counter kept by each write
    /// (it costs nothing, whatever the history); with `with_counts` off it is 0.
    pub fn feed_health(&self, with_counts: bool) -> Result<Vec<FeedHealth>> {
        self.db()
            .query_map(
                "SELECT f.name, f.kind, f.last_attempt_at, f.last_success_at, f.last_error,
                        f.consecutive_failures, f.next_poll_at,
                        CASE WHEN ?1 <> 0 THEN f.items ELSE 0 END,
                        f.rate_limit, f.last_notes
                 FROM feeds f ORDER BY f.name",
                db::params![with_counts],
                |r| {
                    Ok(FeedHealth {
                        name: r.get(0)?,
                        kind: r.get(1)?,
                        last_attempt_at: r.get::<Option<i64>>(2)?.map(from_ts),
                        last_success_at: r.get::<Option<i64>>(3)?.map(from_ts),
                        last_error: r.get(4)?,
                        consecutive_failures: r.get::<i64>(5)?.max(0) as u32,
                        next_poll_at: r.get::<Option<i64>>(6)?.map(from_ts),
                        items: r.get(7)?,
                        rate_limit: r.get(8)?,
                        notes: r.get(9)?,
                    })
                },
            )
            .doing("reading feed health")
    }
}

/// One feed's poll as the poller hands it to the store.
#[derive(Debug, Clone)]
pub enum PollRecord {
    Items {
        feed_id: i64,
        kind: FeedKind,
        write: PollWrite,
    },
    /// A 304, or the very answer the last stored poll read (`status` 200): only the schedule
    /// moves.
    NotModified {
        feed_id: i64,
        next_poll_at: DateTime<Utc>,
        status: u16,
    },
    Failure {
        feed_id: i64,
        status: Option<u16>,
        /// In words; cleaned (one line, no escape, no secret) before it is stored.
        error: String,
        next_poll_at: DateTime<Utc>,
        retry_after_until: Option<DateTime<Utc>>,
    },
}

/// What writing one [`PollRecord`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recorded {
    Items(WriteCounts),
    /// With the mentions the feed has stored.
    NotModified {
        stored: i64,
    },
    Failure {
        in_a_row: u32,
        stored: i64,
    },
}

/// The newest mention stored before this write; and what the grouping kept of stored titles,
/// which holds while no mention was deleted or retitled since (SQLite's; a server is asked for
/// its candidates' titles once a write anyway).
fn newest_and_still_kept(db: db::Db<'_>, kept: &mut super::stories::Shingles) -> db::Result<i64> {
    kept.still(match db.dialect() {
        db::Dialect::Sqlite => Some(db.query_row(
            "SELECT rewrites FROM stream_counts WHERE id = 1",
            db::params![],
            |r| r.get(0),
        )?),
        db::Dialect::Postgres => None,
    });
    db.query_row("SELECT coalesce(max(id), 0) FROM mentions", db::params![], |r| r.get(0))
}

/// One group of polls in one transaction (see [`Store::record_polls_fenced`]); `careful`: each
/// feed in a savepoint of its own, so that a feed whose write fails costs only itself.
fn write_group(
    db: db::Db<'_>,
    records: &[PollRecord],
    now: DateTime<Utc>,
    holder: Option<&str>,
    arrival: &super::Arrival,
    careful: bool,
    kept: &mut super::stories::Shingles,
) -> db::Result<Keep<Option<Vec<db::Result<Recorded>>>>> {
    if let Some(h) = holder
        && !super::team::renews(db, super::team::POLLER, h, super::team::LEASE_TTL, now)?
    {
        return Ok(Keep::Commit(None));
    }
    let newest_before = newest_and_still_kept(db, kept)?;
    let started = std::time::Instant::now();
    let mut results = Vec::with_capacity(records.len());
    // The new mentions' story keys, grouped once every feed is written.
    let mut fresh = Vec::new();
    for record in records {
        if careful {
            db.execute_batch("SAVEPOINT poll")?;
        }
        let mark = fresh.len();
        match apply(db, record, now, &arrival.weights, &mut fresh) {
            Ok(done) => {
                if careful {
                    db.execute_batch("RELEASE poll")?;
                }
                results.push(Ok(done));
            }
            Err(e) if e.is_transient() => return Err(e),
            Err(e) if careful => {
                db.execute_batch("ROLLBACK TO poll; RELEASE poll")?;
                fresh.truncate(mark);
                results.push(Err(e));
            }
            Err(e) => {
                tracing::debug!(error = %e, "a feed's write failed: the group is written again, feed by feed");
                return Ok(Keep::Undo);
            }
        }
    }
    let new: usize = results
        .iter()
        .map(|r| match r {
            Ok(Recorded::Items(c)) => c.new,
            _ => 0,
        })
        .sum();
    let rows_at = started.elapsed();
    if new > 0 {
        // Once per transaction, over the new rows: the full-text index, the stream's
        // counts (every new mention is new) and the hours whose kept stats are now stale.
        // (PostgreSQL's index is a generated column's, kept by the server.)
        if db.dialect() == db::Dialect::Sqlite {
            db.execute(
                "INSERT INTO mentions_fts (rowid, title, text, author)
                 SELECT id, title, text, author FROM mentions WHERE id > ?1",
                db::params![newest_before],
            )?;
        }
        db.execute(
            "UPDATE stream_counts SET total = total + ?1, new = new + ?1 WHERE id = 1",
            db::params![new as i64],
        )?;
        db.execute(
            "INSERT INTO stats_dirty (hour, at)
             SELECT DISTINCT sort_at / 3600, unixepoch() FROM mentions WHERE id > ?1
             ON CONFLICT (hour) DO UPDATE SET at = excluded.at",
            db::params![newest_before],
        )?;
        let index_at = started.elapsed();
        // Copies and bursts, seen only beside other mentions, before the rules read them.
        super::noise::flag(db, newest_before, to_ts(now))?;
        let noise_at = started.elapsed();
        // One story seen in many places, and the conversations replies belong to, before the
        // rules read them.
        let similarity = arrival.similarity.unwrap_or(crate::score::story::DEFAULT_SIMILARITY);
        let grouped = super::stories::group(db, &fresh, similarity, newest_before, kept)?;
        let follow_ups = super::conversations::link(db, newest_before, now, &arrival.weights)?;
        tracing::debug!(
            new,
            grouped,
            follow_ups,
            rows_ms = rows_at.as_secs_f64() * 1e3,
            index_ms = (index_at - rows_at).as_secs_f64() * 1e3,
            noise_ms = (noise_at - index_at).as_secs_f64() * 1e3,
            stories_ms = (started.elapsed() - noise_at).as_secs_f64() * 1e3,
            "polls written"
        );
        // The rules act on each new mention in the same transaction: a mention is never
        // stored without what its rules do to it.
        if !arrival.is_empty() {
            super::arrival::apply(db, arrival, newest_before, now)?;
        }
    }
    Ok(Keep::Commit(Some(results)))
}

fn apply(
    db: db::Db<'_>,
    record: &PollRecord,
    now: DateTime<Utc>,
    weights: &crate::score::priority::Weights,
    fresh: &mut Vec<super::stories::Fresh>,
) -> db::Result<Recorded> {
    let now_ts = to_ts(now);
    match record {
        PollRecord::Items { feed_id, kind, write } => {
            write_items(db, *feed_id, *kind, write, now_ts, weights, fresh).map(Recorded::Items)
        }
        PollRecord::NotModified {
            feed_id,
            next_poll_at,
            status,
        } => db
            .query_row(
                "UPDATE feeds SET last_attempt_at = ?2, last_success_at = ?2, last_status = ?4, last_error = NULL,
                    consecutive_failures = 0, next_poll_at = ?3, retry_after_until = NULL
                 WHERE id = ?1 RETURNING items",
                db::params![feed_id, now_ts, to_ts(*next_poll_at), status],
                |r| r.get(0),
            )
            .map(|stored| Recorded::NotModified { stored }),
        PollRecord::Failure {
            feed_id,
            status,
            error,
            next_poll_at,
            retry_after_until,
        } => {
            // Whatever the caller did, what is stored is one line with no escape and no secret.
            let error = super::schema::clean_health(error);
            let n = db.query_row(
                "UPDATE feeds SET last_attempt_at = ?2, last_status = ?3, last_error = ?4,
                    consecutive_failures = consecutive_failures + 1, next_poll_at = ?5, retry_after_until = ?6
                 WHERE id = ?1 RETURNING consecutive_failures, items",
                db::params![
                    feed_id,
                    now_ts,
                    status,
                    error,
                    to_ts(*next_poll_at),
                    retry_after_until.map(to_ts)
                ],
                |r| Ok((r.get::<i64>(0)?, r.get::<i64>(1)?)),
            )?;
            Ok(Recorded::Failure {
                in_a_row: n.0.max(0) as u32,
                stored: n.1,
            })
        }
    }
}

/// A new mention, with its facts.
const INSERT_MENTION: &str = "INSERT OR IGNORE INTO mentions
           (feed_id, kind, external_id, url, author, author_reach, title, text,
            published_at, first_seen_at, sort_at, engagement, updated_at,
            lang, site, has_link, is_question, sentiment, intent, priority, priority_rank, author_id, noise, text_hash,
            parent_ref, root_ref)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?10, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21,
                 ?22, ?23, ?24, ?25)";

/// A mention seen again: its engagement and reach, and so its priority, when they changed.
const REFRESH_MENTION: &str = "UPDATE mentions SET engagement = ?3, author_reach = ?4, updated_at = ?5,
            priority = ?6, priority_rank = CAST(round(CAST(?7 AS REAL) + sort_at * CAST(?8 AS REAL)) AS INTEGER)
         WHERE kind = ?1 AND external_id = ?2
           AND (engagement IS NOT ?3 OR author_reach IS NOT ?4)";

fn write_items(
    db: db::Db<'_>,
    feed_id: i64,
    kind: FeedKind,
    poll: &PollWrite,
    now_ts: i64,
    weights: &crate::score::priority::Weights,
    fresh: &mut Vec<super::stories::Fresh>,
) -> db::Result<WriteCounts> {
    let mut counts = WriteCounts::default();
    let mut insert = db.prepare_insert(INSERT_MENTION)?;
    let mut refresh = db.prepare(REFRESH_MENTION)?;
    let mut people = super::people::Ledger::new(db)?;
    // Who wrote each mention, first: a new handle's rows are written whole before the mentions
    // that refer to them (one insert each, no update).
    let rows = authored(db, &mut people, feed_id, kind, poll, now_ts)?;
    people.write_fresh(db)?;
    for (at, (m, (external_id, published, sort_at, facts, who))) in poll.mentions.iter().zip(rows).enumerate() {
        let engagement = m.engagement.to_json();
        // What operators said of the author weighs in from the start.
        let priority = who.map_or(facts.priority, |w| weights.with_person(facts.priority, w.marks));
        let inserted: Option<i64> = insert.insert(db::params![
            feed_id,
            kind.as_str(),
            external_id,
            m.url,
            m.author,
            m.author_reach,
            m.title,
            m.text,
            published,
            now_ts,
            sort_at,
            engagement,
            facts.lang,
            facts.site,
            facts.has_link,
            facts.is_question,
            facts.sentiment,
            facts.intents,
            priority,
            crate::score::priority::rank(priority, sort_at),
            who.map(|w| w.author),
            facts.noise,
            facts.text_hash,
            m.place.parent,
            m.place.root,
        ])?;
        if let Some(id) = inserted {
            if facts.story != Default::default() {
                fresh.push(super::stories::Fresh {
                    id,
                    sort_at,
                    keys: facts.story.clone(),
                });
            }
            counts.new += 1;
            if let Some(w) = who {
                people.arrived(w, at, sort_at, m, facts.sentiment);
            }
        } else {
            if let Some(w) = who {
                people.not_new(w, at, m, facts.sentiment);
            }
            if engagement.is_some() || m.author_reach.is_some() {
                let (rank0, per_sec) = rank_parts(priority);
                counts.updated += refresh.execute(db::params![
                    kind.as_str(),
                    external_id,
                    engagement,
                    m.author_reach,
                    now_ts,
                    priority,
                    rank0,
                    per_sec
                ])?;
            }
        }
    }
    people.flush(db)?;
    finish_feed(db, feed_id, poll, now_ts, counts)
}

/// A row to insert: its stored id, publication, place in the stream, facts and author.
type Row<'m> = (
    String,
    Option<i64>,
    i64,
    std::borrow::Cow<'m, Facts>,
    Option<super::people::Who>,
);

/// Who wrote each mention, worked out before any is inserted (a new handle's rows are written
/// whole before the mentions that refer to them: one insert each, no update).
fn authored<'m>(
    db: db::Db<'_>,
    people: &mut super::people::Ledger,
    feed_id: i64,
    kind: FeedKind,
    poll: &'m PollWrite,
    now_ts: i64,
) -> db::Result<Vec<Row<'m>>> {
    let mut rows = Vec::with_capacity(poll.mentions.len());
    for m in &poll.mentions {
        let external_id = stored_id(kind, feed_id, &m.identity());
        let published = m.published_at.map(to_ts);
        let sort_at = published.map_or(now_ts, |p| p.min(now_ts));
        let facts = facts_of(kind, m);
        // The author's key, worked out on a parser's thread.
        let who = match &facts.author {
            Some((scope, handle)) => Some(people.who(db, (kind, scope.clone(), handle.clone()), sort_at)?),
            None => None,
        };
        if let Some(w) = who {
            people.expect(w, rows.len(), sort_at, m, facts.sentiment);
        }
        rows.push((external_id, published, sort_at, facts, who));
    }
    Ok(rows)
}

/// A feed's row after a poll that brought items: validators, cursor, health, the count.
fn finish_feed(
    db: db::Db<'_>,
    feed_id: i64,
    poll: &PollWrite,
    now_ts: i64,
    counts: WriteCounts,
) -> db::Result<WriteCounts> {
    let cursor = poll.cursor.as_ref().map(|c| c.to_string());
    let rate_limit = poll.rate_limit.as_ref().map(|c| c.to_string());
    db.query_row(
        "UPDATE feeds SET etag = ?2, last_modified = ?3, cursor = COALESCE(?4, cursor),
            last_attempt_at = ?5, last_success_at = ?5, last_status = ?6, last_error = NULL,
            consecutive_failures = 0, next_poll_at = ?7, retry_after_until = NULL,
            rate_limit = COALESCE(?8, rate_limit), last_notes = ?9, items = items + ?10, body_hash = ?11
         WHERE id = ?1 RETURNING items",
        db::params![
            feed_id,
            poll.etag,
            poll.last_modified,
            cursor,
            now_ts,
            poll.status,
            to_ts(poll.next_poll_at),
            rate_limit,
            (!poll.notes.is_empty()).then(|| super::schema::clean_health(&poll.notes.join("; "))),
            counts.new as i64,
            poll.body_hash,
        ],
        |r| r.get(0),
    )
    .map(|stored| WriteCounts { stored, ..counts })
}

/// A priority's rank as SQL computes it from a row's time: `rank0 + sort_at × per_sec`.
fn rank_parts(priority: f64) -> (i64, f64) {
    use crate::score::priority::{HALF_LIFE_SECS, RANK_SCALE, rank};
    (rank(priority, 0), RANK_SCALE / HALF_LIFE_SECS)
}

/// A mention's facts: the poller's, or worked out here with the default scoring.
fn facts_of(kind: FeedKind, m: &NewMention) -> std::borrow::Cow<'_, Facts> {
    match &m.facts {
        Some(f) => std::borrow::Cow::Borrowed(f),
        None => std::borrow::Cow::Owned(Facts::of_mention(kind, m, &crate::score::DEFAULT)),
    }
}

/// The id a mention is stored under: publishers choose the ids of RSS, Atom, JSON Feed and JSON
/// API items, so those are scoped to their feed; a service's ids (Hacker News, Reddit, …) are
/// unique across feeds, so the same post found by two searches is stored once.
pub(crate) fn stored_id(kind: FeedKind, feed_id: i64, identity: &str) -> String {
    if publisher_chosen(kind) {
        format!("feed:{feed_id}:{identity}")
    } else {
        identity.to_string()
    }
}

/// The id as the source gave it, from the stored one.
pub(crate) fn source_id(kind: FeedKind, stored: String) -> String {
    if publisher_chosen(kind)
        && let Some(rest) = stored.strip_prefix("feed:")
        && let Some((_, id)) = rest.split_once(':')
    {
        return id.to_string();
    }
    stored
}

fn publisher_chosen(kind: FeedKind) -> bool {
    matches!(kind, FeedKind::Rss | FeedKind::Json)
}

#[cfg(test)]
mod tests {
    /// Feeds registered and read back (state, health) on either backend. Ids are compared by
    /// what they name: PostgreSQL's identities may leave gaps (an insert that conflicts draws
    /// one), SQLite's rowids do not.
    fn registry_scenario(s: &mut Store) -> String {
        let a = s.ensure_feed("blog", crate::model::FeedKind::Rss).unwrap();
        let again = s.ensure_feed("blog", crate::model::FeedKind::Rss).unwrap();
        let ids = s
            .ensure_feeds(&[
                ("blog".into(), crate::model::FeedKind::Rss),
                ("hn".into(), crate::model::FeedKind::Hackernews),
            ])
            .unwrap();
        let hn = s.feed_state("hn").unwrap().unwrap();
        assert_eq!((a, again, ids[0], ids[1]), (a, a, a, hn.id));
        assert_ne!(a, hn.id);
        format!(
            "{:?} {:?} {:?} {}",
            FeedState { id: 0, ..hn },
            s.feed_state("nope").unwrap(),
            s.feed_health(true).unwrap(),
            s.feed_item_count(a).unwrap()
        )
    }

    #[test]
    fn feeds_are_registered_alike_on_sqlite_and_postgres() {
        let dir = tempfile::tempdir().unwrap();
        let on_sqlite = registry_scenario(&mut Store::open(&dir.path().join("f.db")).unwrap());
        assert!(on_sqlite.contains("name: \"hn\""), "{on_sqlite}");
        let Some(pg) = crate::store::postgres::testing::database() else {
            return;
        };
        assert_eq!(registry_scenario(&mut pg.store()), on_sqlite);
    }

    use super::*;
    use crate::model::Engagement;

    fn mention(id: &str, score: Option<i64>) -> NewMention {
        NewMention {
            external_id: Some(id.into()),
            text: format!("text {id}"),
            engagement: Engagement {
                score,
                ..Default::default()
            },
            ..Default::default()
        }
    }

    #[test]
    fn a_poll_is_stored_once_and_engagement_refreshes() {
        for (_d, mut s) in crate::store::each_backend() {
            let feed = s.ensure_feed("hn", FeedKind::Hackernews).unwrap();
            assert_eq!(s.ensure_feed("hn", FeedKind::Hackernews).unwrap(), feed);
            let now = Utc::now();
            let mut poll = PollWrite {
                mentions: vec![mention("1", Some(1)), mention("2", None), mention("1", Some(1))],
                etag: Some("\"v1\"".into()),
                cursor: Some(serde_json::json!({"newest": 5})),
                status: 200,
                next_poll_at: now,
                ..Default::default()
            };
            let c = s.write_poll(feed, FeedKind::Hackernews, &poll, now).unwrap();
            assert_eq!(
                c,
                WriteCounts {
                    new: 2,
                    updated: 0,
                    stored: 2
                }
            );
            poll.mentions = vec![mention("1", Some(7)), mention("2", None)];
            poll.cursor = None;
            let c = s.write_poll(feed, FeedKind::Hackernews, &poll, now).unwrap();
            assert_eq!(
                c,
                WriteCounts {
                    new: 0,
                    updated: 1,
                    stored: 2
                }
            );
            assert_eq!(s.feed_item_count(feed).unwrap(), 2);
            let st = s.feed_state("hn").unwrap().unwrap();
            assert_eq!(st.etag.as_deref(), Some("\"v1\""));
            assert_eq!(
                st.cursor,
                Some(serde_json::json!({"newest": 5})),
                "a None cursor keeps the stored one"
            );
        }
    }

    #[test]
    fn failures_count_up_and_success_resets() {
        for (_d, mut s) in crate::store::each_backend() {
            let feed = s.ensure_feed("blog", FeedKind::Rss).unwrap();
            let now = Utc::now();
            assert_eq!(
                s.record_failure(feed, now, Some(500), "HTTP 500", now, None).unwrap(),
                1
            );
            assert_eq!(
                s.record_failure(feed, now, None, "timed out", now, Some(now)).unwrap(),
                2
            );
            let h = &s.feed_health(true).unwrap()[0];
            assert_eq!(h.last_error.as_deref(), Some("timed out"));
            assert_eq!(h.consecutive_failures, 2);
            s.record_not_modified(feed, now, now).unwrap();
            let h = &s.feed_health(true).unwrap()[0];
            assert_eq!(h.last_error, None);
            assert_eq!(h.consecutive_failures, 0);
        }
    }

    #[test]
    fn publisher_ids_are_per_feed_and_service_ids_across_feeds() {
        for (_d, mut s) in crate::store::each_backend() {
            let now = Utc::now();
            let poll = |ids: &[&str]| PollWrite {
                mentions: ids.iter().map(|i| mention(i, None)).collect(),
                status: 200,
                next_poll_at: now,
                ..Default::default()
            };
            let a = s.ensure_feed("blog-a", FeedKind::Rss).unwrap();
            let b = s.ensure_feed("blog-b", FeedKind::Rss).unwrap();
            assert_eq!(s.write_poll(a, FeedKind::Rss, &poll(&["1", "2"]), now).unwrap().new, 2);
            assert_eq!(
                s.write_poll(b, FeedKind::Rss, &poll(&["1", "2"]), now).unwrap().new,
                2,
                "blog B's items 1 and 2 are its own"
            );
            let h1 = s.ensure_feed("hn-1", FeedKind::Hackernews).unwrap();
            let h2 = s.ensure_feed("hn-2", FeedKind::Hackernews).unwrap();
            assert_eq!(
                s.write_poll(h1, FeedKind::Hackernews, &poll(&["42"]), now).unwrap().new,
                1
            );
            assert_eq!(
                s.write_poll(h2, FeedKind::Hackernews, &poll(&["42"]), now).unwrap().new,
                0,
                "one HN story found by two searches is one mention"
            );
            let n: i64 = s
                .db()
                .query_row("SELECT count(*) FROM mentions", db::params![], |r| r.get(0))
                .unwrap();
            assert_eq!(n, 5);
            assert_eq!(source_id(FeedKind::Rss, stored_id(FeedKind::Rss, b, "1")), "1");
        }
    }

    #[test]
    fn an_item_without_an_id_and_a_tokened_link_is_one_item_across_polls() {
        for (_d, mut s) in crate::store::each_backend() {
            let now = Utc::now();
            let f = s.ensure_feed("f", FeedKind::Rss).unwrap();
            let item = |token: &str| NewMention {
                url: Some(format!("http://example.com/posts/1?v={token}")),
                title: Some("Tokened link".into()),
                text: "Same post".into(),
                ..Default::default()
            };
            let poll = |token: &str| PollWrite {
                mentions: vec![item(token)],
                status: 200,
                next_poll_at: now,
                ..Default::default()
            };
            assert_eq!(s.write_poll(f, FeedKind::Rss, &poll("8f3a2c"), now).unwrap().new, 1);
            assert_eq!(s.write_poll(f, FeedKind::Rss, &poll("19b07d"), now).unwrap().new, 0);
        }
    }

    #[test]
    fn a_group_of_polls_is_one_transaction_and_one_bad_poll_costs_only_itself() {
        for (_d, mut s) in crate::store::each_backend() {
            let ids = s
                .ensure_feeds(&[("a".into(), FeedKind::Rss), ("b".into(), FeedKind::Hackernews)])
                .unwrap();
            let now = Utc::now();
            let items = |feed_id, kind, names: &[&str]| PollRecord::Items {
                feed_id,
                kind,
                write: PollWrite {
                    mentions: names.iter().map(|n| mention(n, None)).collect(),
                    status: 200,
                    next_poll_at: now,
                    ..Default::default()
                },
            };
            let results = s
                .record_polls(
                    &[
                        items(ids[0], FeedKind::Rss, &["x1", "x2"]),
                        // No such feed: its mentions break a foreign key, and only it is rolled back.
                        items(9_999, FeedKind::Rss, &["lost"]),
                        PollRecord::NotModified {
                            feed_id: ids[1],
                            next_poll_at: now,
                            status: 304,
                        },
                        items(ids[1], FeedKind::Hackernews, &["y1"]),
                    ],
                    now,
                )
                .unwrap();
            assert!(matches!(
                results[0],
                Ok(Recorded::Items(WriteCounts { new: 2, stored: 2, .. }))
            ));
            assert!(results[1].is_err(), "{:?}", results[1]);
            assert!(matches!(results[2], Ok(Recorded::NotModified { stored: 0 })));
            assert!(matches!(
                results[3],
                Ok(Recorded::Items(WriteCounts { new: 1, stored: 1, .. }))
            ));
            let count = |s: &Store, sql: &str| -> i64 { s.db().query_row(sql, db::params![], |r| r.get(0)).unwrap() };
            // The full-text index (SQLite's own table; PostgreSQL's is a column of the row).
            let fts = |s: &Store, words: &str| -> Option<i64> {
                (s.db().dialect() == db::Dialect::Sqlite).then(|| {
                    count(
                        s,
                        &format!("SELECT count(*) FROM mentions_fts WHERE mentions_fts MATCH '{words}'"),
                    )
                })
            };
            assert_eq!(count(&s, "SELECT count(*) FROM mentions"), 3);
            // The full-text index, filled once at the end, has exactly the rows written.
            assert!(matches!(fts(&s, "text"), Some(3) | None));
            assert!(matches!(fts(&s, "lost"), Some(0) | None));
            assert_eq!(count(&s, "SELECT sum(items) FROM feeds"), 3);
            // Seen again: nothing new, the counter does not move, the index does not double.
            s.record_polls(&[items(ids[0], FeedKind::Rss, &["x1", "x2"])], now)
                .unwrap();
            assert_eq!(count(&s, "SELECT sum(items) FROM feeds"), 3);
            assert!(matches!(fts(&s, "text"), Some(3) | None));
        }
    }
}
