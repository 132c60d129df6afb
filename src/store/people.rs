//! The people behind the mentions. An author is one handle on one service; a person is who
//! operators know: one or more handles (linked by an operator, never automatically), their tags
//! and notes, and counters kept as mentions arrive (so the People pane ranks people without
//! counting the history).
//!
//! Arrivals go through a [`Ledger`]: the writer asks it who wrote each mention before inserting
//! it (the author's id is stored with the mention, and a VIP's or a known detractor's priority
//! weighs more from the start), tells it which mentions were new, and flushes it once per feed's
//! write: one update per person and per handle, not one per mention.

use super::db::{self, Db, params};
use super::{Doing, Result, Store, StoreError, from_ts, to_ts};
use crate::model::{Engagement, FeedKind, Status};
use crate::score::priority::{Marks, Weights};
use chrono::{DateTime, Utc};
use rusqlite::Transaction;
use std::collections::HashMap;

/// Tags operators give people that the tools know (any other word works too).
pub const KNOWN_TAGS: &[&str] = &["advocate", "influencer", "detractor", "customer", "vip"];

pub use crate::query::facts::author_key;

/// Who wrote a mention, as the ledger knows them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Who {
    pub author: i64,
    pub person: i64,
    /// What operators said of the person that weighs in a priority.
    pub marks: Marks,
}

#[derive(Debug)]
struct Tally {
    mentions: i64,
    engagement: i64,
    sentiment_sum: f64,
    sentiment_n: i64,
    first: i64,
    last: i64,
    reach: Option<i64>,
    /// The recent mood over this write's mentions: `mood' = mood × decay + acc`.
    decay: f64,
    acc: f64,
}

/// How much each new mention moves a person's mood (`people.mood`, a moving average).
pub const MOOD_STEP: f64 = 0.3;

impl Default for Tally {
    fn default() -> Tally {
        Tally {
            mentions: 0,
            engagement: 0,
            sentiment_sum: 0.0,
            sentiment_n: 0,
            first: i64::MAX,
            last: i64::MIN,
            reach: None,
            decay: 1.0,
            acc: 0.0,
        }
    }
}

impl Tally {
    fn add(&mut self, at: i64, reach: Option<i64>) {
        self.first = self.first.min(at);
        self.last = self.last.max(at);
        if reach.is_some() {
            self.reach = reach;
        }
    }
}

/// The sum of what a mention's engagement counts (views aside).
pub fn engagement_total(e: &Engagement) -> i64 {
    let n = |v: Option<i64>| v.unwrap_or(0).max(0);
    n(e.likes) + n(e.reposts) + n(e.replies) + n(e.quotes) + n(e.score)
}

/// One write's arrivals, counted per person and per handle.
pub(super) struct Ledger {
    known: HashMap<(FeedKind, String, String), Who>,
    marks: HashMap<i64, Marks>,
    people: HashMap<i64, Tally>,
    authors: HashMap<i64, (Tally, Option<String>)>,
    /// Handles first seen in this write: their rows are written whole at the flush (one insert
    /// each, no update), under ids taken here (the write holds the database's one write lock).
    fresh: Vec<Fresh>,
    next_id: Option<(i64, i64)>,
    /// Mentions (by their place in the write) counted with a new handle before they were
    /// inserted.
    prepaid: std::collections::HashSet<usize>,
    fresh_ids: std::collections::HashSet<i64>,
}

/// A handle seen for the first time, written at the flush.
struct Fresh {
    author: i64,
    person: i64,
    kind: FeedKind,
    scope: String,
    handle: String,
    at: i64,
}

impl Ledger {
    pub(super) fn new(db: Db<'_>) -> db::Result<Ledger> {
        let mut marks: HashMap<i64, Marks> = HashMap::new();
        let rows = db.query_map(
            "SELECT person_id, tag FROM person_tags WHERE tag IN ('vip', 'detractor') ORDER BY person_id",
            params![],
            |r| Ok((r.get::<i64>(0)?, r.get::<String>(1)?)),
        )?;
        for (person, tag) in rows {
            let m = marks.entry(person).or_default();
            m.vip |= tag == "vip";
            m.detractor |= tag == "detractor";
        }
        Ok(Ledger {
            known: HashMap::new(),
            marks,
            people: HashMap::new(),
            authors: HashMap::new(),
            fresh: Vec::new(),
            next_id: None,
            prepaid: Default::default(),
            fresh_ids: Default::default(),
        })
    }

    /// Who wrote a mention, by its handle's key ([`author_key`]): found, or new (a new handle is
    /// a new person).
    pub(super) fn who(&mut self, db: Db<'_>, key: (FeedKind, String, String), at: i64) -> db::Result<Who> {
        if let Some(w) = self.known.get(&key) {
            return Ok(*w);
        }
        let found: Option<(i64, i64)> = db.query_opt(
            "SELECT id, person_id FROM authors WHERE kind = ?1 AND scope = ?2 AND handle = ?3",
            params![key.0.as_str(), key.1, key.2],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        let kind = key.0;
        let (author, person) = match found {
            Some(ids) => ids,
            None => {
                let (a, p) = match self.next_id {
                    Some(ids) => ids,
                    None => db.query_row(
                        "SELECT (SELECT coalesce(max(id), 0) FROM authors), (SELECT coalesce(max(id), 0) FROM people)",
                        params![],
                        |r| Ok((r.get(0)?, r.get(1)?)),
                    )?,
                };
                let ids = (a + 1, p + 1);
                self.next_id = Some(ids);
                self.fresh_ids.insert(ids.0);
                self.fresh.push(Fresh {
                    author: ids.0,
                    person: ids.1,
                    kind,
                    scope: key.1.clone(),
                    handle: key.2.clone(),
                    at,
                });
                ids
            }
        };
        let who = Who {
            author,
            person,
            marks: self.marks.get(&person).copied().unwrap_or_default(),
        };
        self.known.insert(key, who);
        Ok(who)
    }

    /// A mention about to be stored: a new handle's are counted now, so its rows are written
    /// whole (before the mentions that refer to them) by [`Ledger::write_fresh`].
    pub(super) fn expect(&mut self, who: Who, place: usize, at: i64, m: &crate::model::NewMention, sentiment: f64) {
        if self.fresh_ids.contains(&who.author) && self.prepaid.insert(place) {
            self.count(who, at, m, sentiment, 1);
        }
    }

    /// A mention stored: counted, unless it was counted when expected.
    pub(super) fn arrived(&mut self, who: Who, place: usize, at: i64, m: &crate::model::NewMention, sentiment: f64) {
        if !self.prepaid.contains(&place) {
            self.count(who, at, m, sentiment, 1);
        }
    }

    /// A mention expected new that was stored before: not counted after all.
    pub(super) fn not_new(&mut self, who: Who, place: usize, m: &crate::model::NewMention, sentiment: f64) {
        if self.prepaid.remove(&place) {
            self.count(who, i64::MAX, m, sentiment, -1);
        }
    }

    fn count(&mut self, who: Who, at: i64, m: &crate::model::NewMention, sentiment: f64, sign: i64) {
        let p = self.people.entry(who.person).or_default();
        p.mentions += sign;
        p.engagement += sign * engagement_total(&m.engagement);
        p.sentiment_sum += sign as f64 * sentiment;
        p.sentiment_n += sign;
        if sign > 0 {
            p.acc = p.acc * (1.0 - MOOD_STEP) + MOOD_STEP * sentiment;
            p.decay *= 1.0 - MOOD_STEP;
        }
        let a = self.authors.entry(who.author).or_default();
        a.0.mentions += sign;
        if sign < 0 {
            return;
        }
        p.add(at, m.author_reach);
        a.0.add(at, m.author_reach);
        if m.author_name.is_some() {
            a.1 = m.author_name.clone();
        }
    }

    /// Write the new handles and their people, whole, before their mentions are inserted.
    pub(super) fn write_fresh(&mut self, db: Db<'_>) -> db::Result<()> {
        let mut new_person = db.prepare(
            "INSERT INTO people (id, mentions, reach, engagement, sentiment_sum, sentiment_n, first_seen_at,
                last_seen_at, mood)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )?;
        let mut new_author = db.prepare(
            "INSERT INTO authors (id, person_id, kind, scope, handle, display_name, reach, first_seen_at, last_seen_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )?;
        for f in self.fresh.drain(..) {
            let t = self.people.remove(&f.person).unwrap_or_default();
            let (first, last) = (t.first.min(f.at), t.last.max(f.at));
            // No mood before: the write's mentions weighted as the average weighs them.
            let mood = (t.decay < 1.0).then(|| t.acc / (1.0 - t.decay));
            new_person.execute(params![
                f.person,
                t.mentions,
                t.reach,
                t.engagement,
                t.sentiment_sum,
                t.sentiment_n,
                first,
                last,
                mood
            ])?;
            let (a, name) = self.authors.remove(&f.author).unwrap_or_default();
            new_author.execute(params![
                f.author,
                f.person,
                f.kind.as_str(),
                f.scope,
                f.handle,
                name,
                a.reach,
                first,
                last
            ])?;
            if let Some(r) = a.reach {
                reach_point(db, f.author, last, r)?;
            }
        }
        self.fresh_ids.clear();
        Ok(())
    }

    /// Write the counts of the handles known before: one update per person and per handle.
    pub(super) fn flush(&mut self, db: Db<'_>) -> db::Result<()> {
        self.prepaid.clear();
        const PERSON: &str = "UPDATE people SET mentions = mentions + ?2, engagement = engagement + ?3,
                sentiment_sum = sentiment_sum + ?4, sentiment_n = sentiment_n + ?5,
                first_seen_at = min(first_seen_at, ?6), last_seen_at = max(last_seen_at, ?7),
                reach = CASE WHEN CAST(?8 AS INTEGER) IS NULL THEN reach ELSE max(coalesce(reach, 0), ?8) END,
                mood = CASE WHEN CAST(?9 AS REAL) >= 1.0 THEN mood
                            ELSE coalesce(mood * ?9 + CAST(?10 AS REAL), ?10 / (1.0 - ?9)) END
             WHERE id = ?1";
        for (id, t) in self.people.drain() {
            db.execute(
                PERSON,
                params![
                    id,
                    t.mentions,
                    t.engagement,
                    t.sentiment_sum,
                    t.sentiment_n,
                    t.first,
                    t.last,
                    t.reach,
                    t.decay,
                    t.acc
                ],
            )?;
        }
        for (id, (t, name)) in self.authors.drain() {
            db.execute(
                "UPDATE authors SET first_seen_at = min(first_seen_at, ?2), last_seen_at = max(last_seen_at, ?3),
                    reach = coalesce(?4, reach), display_name = coalesce(?5, display_name)
                 WHERE id = ?1",
                params![id, t.first, t.last, t.reach, name],
            )?;
            if let Some(r) = t.reach {
                reach_point(db, id, t.last, r)?;
            }
        }
        Ok(())
    }
}

/// A handle's reach on a day.
fn reach_point(db: Db<'_>, author: i64, at: i64, reach: i64) -> db::Result<()> {
    db.execute(
        "INSERT INTO reach_history (author_id, day, reach) VALUES (?1, ?2, ?3)
         ON CONFLICT (author_id, day) DO UPDATE SET reach = excluded.reach",
        params![author, at.div_euclid(86_400), reach],
    )
    .map(drop)
}

/// Give every stored mention its author (migration 20), a batch of rows at a time.
pub(super) fn fill(tx: &Transaction<'_>) -> rusqlite::Result<()> {
    let db = Db::Sqlite(tx);
    let mut ledger = Ledger::new(db)?;
    let mut read = tx.prepare(
        "SELECT id, kind, author, url, author_reach, engagement, coalesce(sentiment, 0), sort_at FROM mentions
         WHERE id > ?1 AND author IS NOT NULL ORDER BY id LIMIT 2000",
    )?;
    let mut write = tx.prepare("UPDATE mentions SET author_id = ?2 WHERE id = ?1")?;
    let mut after = i64::MIN;
    loop {
        type Row = (
            i64,
            String,
            String,
            Option<String>,
            Option<i64>,
            Option<String>,
            f64,
            i64,
        );
        let rows: Vec<Row> = read
            .query_map([after], |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                    r.get(7)?,
                ))
            })?
            .collect::<rusqlite::Result<_>>()?;
        let Some(last) = rows.last() else { break };
        after = last.0;
        let mut found = Vec::with_capacity(rows.len());
        for (id, kind, author, url, reach, engagement, sentiment, at) in rows {
            let Ok(kind) = kind.parse::<FeedKind>() else { continue };
            let Some((scope, handle)) = author_key(kind, &author, url.as_deref()) else {
                continue;
            };
            let who = ledger.who(db, (kind, scope, handle), at)?;
            let m = crate::model::NewMention {
                author_reach: reach,
                engagement: Engagement::from_json(engagement.as_deref()),
                ..Default::default()
            };
            ledger.expect(who, found.len(), at, &m, sentiment);
            found.push((id, who, m, sentiment, at));
        }
        ledger.write_fresh(db)?;
        for (place, (id, who, m, sentiment, at)) in found.into_iter().enumerate() {
            write.execute(rusqlite::params![id, who.author])?;
            ledger.arrived(who, place, at, &m, sentiment);
        }
        ledger.flush(db)?;
    }
    Ok(())
}

/// One of a person's handles.
#[derive(Debug, Clone, PartialEq)]
pub struct Handle {
    pub id: i64,
    pub kind: FeedKind,
    /// The site of a blog or forum; empty for a service.
    pub scope: String,
    pub handle: String,
    pub display_name: Option<String>,
    pub reach: Option<i64>,
}

impl Handle {
    /// `bluesky:jane.example`, `rss:Jane Doe@blog.example`.
    pub fn label(&self) -> String {
        if self.scope.is_empty() {
            format!("{}:{}", self.kind, self.handle)
        } else {
            format!("{}:{}@{}", self.kind, self.handle, self.scope)
        }
    }
}

/// A person as the People pane and `overhear people` rank them.
#[derive(Debug, Clone, PartialEq)]
pub struct PersonRow {
    pub id: i64,
    pub handles: Vec<Handle>,
    pub mentions: i64,
    pub reach: Option<i64>,
    pub engagement: i64,
    /// The mean sentiment of their mentions.
    pub sentiment: Option<f64>,
    /// Their recent mood (a moving average of their mentions' sentiment) less their mean:
    /// negative when they turn sour.
    pub trend: Option<f64>,
    pub tags: Vec<String>,
    pub notes: Vec<super::Note>,
    pub first_seen: DateTime<Utc>,
    pub last_seen: DateTime<Utc>,
}

impl PersonRow {
    /// The name to show: a display name, else the first handle.
    pub fn name(&self) -> String {
        self.handles
            .iter()
            .find_map(|h| h.display_name.clone())
            .or_else(|| self.handles.first().map(|h| h.handle.clone()))
            .unwrap_or_else(|| format!("person {}", self.id))
    }

    pub fn marks(&self) -> Marks {
        Marks::of(&self.tags)
    }
}

/// How people are ranked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, strum::Display, strum::EnumString, strum::VariantArray)]
#[strum(serialize_all = "lowercase")]
pub enum PeopleOrder {
    /// Most mentions first.
    #[default]
    Mentions,
    /// Largest reach first.
    Reach,
    /// Most engagement first.
    Engagement,
    /// The most negative on average first (two mentions at least).
    Negative,
    /// Whose recent mood fell furthest below their usual one first (three mentions at least).
    Souring,
}

impl PeopleOrder {
    pub fn next(self) -> PeopleOrder {
        use strum::VariantArray;
        let all = PeopleOrder::VARIANTS;
        let i = all.iter().position(|o| *o == self).unwrap_or(0);
        all[(i + 1) % all.len()]
    }
}

/// One of a person's mentions, with what we did about it.
#[derive(Debug, Clone, PartialEq)]
pub struct PersonMention {
    pub id: i64,
    pub sort_at: DateTime<Utc>,
    pub feed: String,
    pub status: Status,
    pub title: Option<String>,
    pub text: String,
    pub sentiment: Option<f64>,
    pub responded_at: Option<DateTime<Utc>>,
    pub responded_by: Option<String>,
    pub response_text: Option<String>,
    /// From the mention's arrival to our first response.
    pub response_secs: Option<i64>,
}

/// A person in full: the People pane's card, `A` on a mention.
#[derive(Debug, Clone, PartialEq)]
pub struct PersonCard {
    pub person: PersonRow,
    /// Their newest mentions, newest first (at most [`CARD_MENTIONS`]).
    pub mentions: Vec<PersonMention>,
    pub answered: i64,
    pub median_response_secs: Option<i64>,
    /// Each handle's reach as it was seen, a point a day: (handle id, day, reach).
    pub reach_history: Vec<(i64, DateTime<Utc>, i64)>,
}

/// How many of a person's mentions the card lists.
pub const CARD_MENTIONS: usize = 200;

const PERSON_COLUMNS: &str = "p.id, p.mentions, p.reach, p.engagement, p.sentiment_sum, p.sentiment_n,
    p.first_seen_at, p.last_seen_at, p.mood";

fn person_row(r: &db::Row<'_>) -> db::Result<PersonRow> {
    let n: i64 = r.get(5)?;
    let sum: f64 = r.get(4)?;
    let mentions: i64 = r.get(1)?;
    let mood: Option<f64> = r.get(8)?;
    Ok(PersonRow {
        id: r.get(0)?,
        handles: Vec::new(),
        mentions,
        reach: r.get(2)?,
        engagement: r.get(3)?,
        sentiment: (n > 0).then(|| sum / n as f64),
        // A trend needs a history to depart from.
        trend: mood.filter(|_| n > 0 && mentions >= 3).map(|m| m - sum / n as f64),
        tags: Vec::new(),
        notes: Vec::new(),
        first_seen: from_ts(r.get(6)?),
        last_seen: from_ts(r.get(7)?),
    })
}

impl Store {
    /// People ranked by `order`, the first `limit`.
    pub fn people(&self, order: PeopleOrder, limit: usize) -> Result<Vec<PersonRow>> {
        let sql = match order {
            PeopleOrder::Mentions => {
                format!(
                    "SELECT {PERSON_COLUMNS} FROM people p INDEXED BY people_mentions ORDER BY p.mentions DESC, p.id"
                )
            }
            PeopleOrder::Reach => format!(
                "SELECT {PERSON_COLUMNS} FROM people p INDEXED BY people_reach WHERE p.reach IS NOT NULL
                 ORDER BY p.reach DESC, p.id"
            ),
            PeopleOrder::Engagement => format!(
                "SELECT {PERSON_COLUMNS} FROM people p INDEXED BY people_engagement WHERE p.engagement > 0
                 ORDER BY p.engagement DESC, p.id"
            ),
            PeopleOrder::Souring => format!(
                "SELECT {PERSON_COLUMNS} FROM people p INDEXED BY people_souring
                 WHERE p.sentiment_n > 0 AND p.mentions >= 3 AND p.mood IS NOT NULL
                 ORDER BY p.mood - p.sentiment_sum / p.sentiment_n, p.id"
            ),
            PeopleOrder::Negative => format!(
                "SELECT {PERSON_COLUMNS} FROM people p INDEXED BY people_negative
                 WHERE p.sentiment_n > 0 AND p.mentions >= 2 ORDER BY p.sentiment_sum / p.sentiment_n, p.id"
            ),
        };
        let mut rows: Vec<PersonRow> = self
            .db()
            .query_map(&format!("{sql} LIMIT ?1"), params![limit], person_row)
            .doing("reading people")?;
        for p in &mut rows {
            self.complete(p).doing("reading a person")?;
        }
        Ok(rows)
    }

    /// Handles, tags, notes and the trend of a person read by [`person_row`].
    fn complete(&self, p: &mut PersonRow) -> db::Result<()> {
        let db = self.db();
        p.handles = db.query_map(
            "SELECT id, kind, scope, handle, display_name, reach FROM authors WHERE person_id = ?1 ORDER BY id",
            params![p.id],
            |r| {
                Ok(Handle {
                    id: r.get(0)?,
                    kind: r.get(1)?,
                    scope: r.get(2)?,
                    handle: r.get(3)?,
                    display_name: r.get(4)?,
                    reach: r.get(5)?,
                })
            },
        )?;
        p.tags = db.query_map(
            "SELECT tag FROM person_tags WHERE person_id = ?1 ORDER BY tag",
            params![p.id],
            |r| r.get(0),
        )?;
        p.notes = db.query_map(
            "SELECT author, body, created_at FROM person_notes WHERE person_id = ?1 ORDER BY created_at, id",
            params![p.id],
            |r| {
                Ok(super::Note {
                    author: r.get(0)?,
                    body: r.get(1)?,
                    at: from_ts(r.get(2)?),
                })
            },
        )?;
        Ok(())
    }

    /// A person by id.
    pub fn person_row(&self, id: i64) -> Result<Option<PersonRow>> {
        let row = self
            .db()
            .query_opt(
                &format!("SELECT {PERSON_COLUMNS} FROM people p WHERE p.id = ?1"),
                params![id],
                person_row,
            )
            .doing("reading a person")?;
        match row {
            Some(mut p) => {
                self.complete(&mut p).doing("reading a person")?;
                Ok(Some(p))
            }
            None => Ok(None),
        }
    }

    /// Who wrote a mention: their person's id.
    pub fn person_of_mention(&self, mention_id: i64) -> Result<Option<i64>> {
        self.db()
            .query_opt(
                "SELECT a.person_id FROM mentions m JOIN authors a ON a.id = m.author_id WHERE m.id = ?1",
                params![mention_id],
                |r| r.get(0),
            )
            .doing("finding a mention's author")
    }

    /// The person behind a mention, as the detail shows them.
    pub fn person_of(&self, mention_id: i64) -> Result<Option<PersonRow>> {
        match self.person_of_mention(mention_id)? {
            Some(id) => self.person_row(id),
            None => Ok(None),
        }
    }

    /// Handles matching what a user typed: `handle`, `@handle`, or `kind:handle`; case ignored.
    pub fn find_handles(&self, typed: &str) -> Result<Vec<(Handle, i64)>> {
        let typed = typed.trim();
        let (kind, handle) = match typed.split_once(':') {
            Some((k, h)) if k.parse::<FeedKind>().is_ok() => (Some(k.to_string()), h),
            _ => (None, typed),
        };
        let handle = handle.trim().trim_start_matches('@');
        self.db()
            .query_map(
                "SELECT id, kind, scope, handle, display_name, reach, person_id FROM authors
                 WHERE (lower(handle) = lower(?1) OR handle LIKE ?1 || '@%' OR lower(display_name) = lower(?1))
                   AND (CAST(?2 AS TEXT) IS NULL OR kind = ?2)
                 ORDER BY id LIMIT 20",
                params![handle, kind],
                |r| {
                    Ok((
                        Handle {
                            id: r.get(0)?,
                            kind: r.get(1)?,
                            scope: r.get(2)?,
                            handle: r.get(3)?,
                            display_name: r.get(4)?,
                            reach: r.get(5)?,
                        },
                        r.get(6)?,
                    ))
                },
            )
            .doing("finding a handle")
    }

    /// A person in full: their mentions, what we answered and how fast.
    pub fn person_card(&self, id: i64) -> Result<Option<PersonCard>> {
        let Some(person) = self.person_row(id)? else {
            return Ok(None);
        };
        let db = self.db();
        let mentions: Vec<PersonMention> = db
            .query_map(
                "SELECT m.id, m.sort_at, f.name, m.status, m.title, m.text, m.sentiment, m.responded_at,
                        m.responded_by, m.response_text, m.first_response_at - m.first_seen_at
                 FROM mentions m INDEXED BY mentions_author JOIN feeds f ON f.id = m.feed_id
                 WHERE m.author_id IN (SELECT id FROM authors WHERE person_id = ?1)
                 ORDER BY m.sort_at DESC, m.id DESC LIMIT ?2",
                params![id, CARD_MENTIONS],
                |r| {
                    Ok(PersonMention {
                        id: r.get(0)?,
                        sort_at: from_ts(r.get(1)?),
                        feed: r.get(2)?,
                        status: r.get(3)?,
                        title: r.get(4)?,
                        text: r.get(5)?,
                        sentiment: r.get(6)?,
                        responded_at: r.get::<Option<i64>>(7)?.map(from_ts),
                        responded_by: r.get(8)?,
                        response_text: r.get(9)?,
                        response_secs: r.get::<Option<i64>>(10)?.map(|s| s.max(0)),
                    })
                },
            )
            .doing("reading a person's mentions")?;
        let mut times: Vec<i64> = db
            .query_map(
                "SELECT max(m.first_response_at - m.first_seen_at, 0) FROM mentions m INDEXED BY mentions_author
                 WHERE m.author_id IN (SELECT id FROM authors WHERE person_id = ?1) AND m.first_response_at IS NOT NULL",
                params![id],
                |r| r.get(0),
            )
            .doing("reading our response times")?;
        times.sort_unstable();
        let reach_history = db
            .query_map(
                "SELECT h.author_id, h.day, h.reach FROM reach_history h JOIN authors a ON a.id = h.author_id
                 WHERE a.person_id = ?1 ORDER BY h.day DESC, h.author_id LIMIT 90",
                params![id],
                |r| Ok((r.get(0)?, from_ts(r.get::<i64>(1)? * 86_400), r.get(2)?)),
            )
            .doing("reading reach over time")?;
        Ok(Some(PersonCard {
            person,
            mentions,
            answered: times.len() as i64,
            median_response_secs: (!times.is_empty()).then(|| times[times.len() / 2]),
            reach_history,
        }))
    }

    /// Tag a person (`vip` and `detractor` change their mentions' priority). False when they had
    /// the tag already.
    pub fn tag_person(&mut self, person: i64, tag: &str) -> Result<bool> {
        let tag = normal_tag(tag)?;
        self.must_exist(person)?;
        let weights = self.weights.clone();
        self.write_db("tagging a person", |db| {
            let added = db.execute(
                "INSERT OR IGNORE INTO person_tags (person_id, tag) VALUES (?1, ?2)",
                params![person, tag],
            )? == 1;
            if added && Marks::of(&[&tag]).any() {
                reprioritise(db, person, &weights)?;
            }
            Ok(added)
        })
    }

    /// Take a tag off a person. False when they did not have it.
    pub fn untag_person(&mut self, person: i64, tag: &str) -> Result<bool> {
        let tag = normal_tag(tag)?;
        let weights = self.weights.clone();
        self.write_db("untagging a person", |db| {
            let removed = db.execute(
                "DELETE FROM person_tags WHERE person_id = ?1 AND tag = ?2",
                params![person, tag],
            )? == 1;
            if removed && Marks::of(&[&tag]).any() {
                reprioritise(db, person, &weights)?;
            }
            Ok(removed)
        })
    }

    /// A note on a person: shown with every mention of theirs, later ones too.
    pub fn note_person(&mut self, person: i64, author: &str, body: &str, now: DateTime<Utc>) -> Result<()> {
        let body = crate::text::sanitize(body).trim().to_string();
        if body.is_empty() {
            return Err(StoreError::Invalid("a note needs some text".into()));
        }
        self.must_exist(person)?;
        self.write_db("noting a person", |db| {
            db.execute(
                "INSERT INTO person_notes (person_id, author, body, created_at) VALUES (?1, ?2, ?3, ?4)",
                params![person, author, body, to_ts(now)],
            )
            .map(drop)
        })
    }

    /// Say that handle `author` (and every handle of its person) is the person `into`: one person
    /// from now on, their tags and notes together. Only an operator does this.
    pub fn link_handle(&mut self, into: i64, author: i64) -> Result<()> {
        self.must_exist(into)?;
        let weights = self.weights.clone();
        self.write_db("linking two handles", |db| {
            let from: i64 = db.query_row("SELECT person_id FROM authors WHERE id = ?1", params![author], |r| r.get(0))?;
            if from == into {
                return Ok(());
            }
            db.execute("UPDATE authors SET person_id = ?1 WHERE person_id = ?2", params![into, from])?;
            db.execute(
                "INSERT OR IGNORE INTO person_tags (person_id, tag) SELECT ?1, tag FROM person_tags WHERE person_id = ?2",
                params![into, from],
            )?;
            db.execute("DELETE FROM person_tags WHERE person_id = ?1", params![from])?;
            db.execute("UPDATE person_notes SET person_id = ?1 WHERE person_id = ?2", params![into, from])?;
            db.execute("DELETE FROM people WHERE id = ?1", params![from])?;
            recount(db, into)?;
            reprioritise(db, into, &weights)
        })
    }

    /// Undo a link: the handle `author` becomes a person of its own again (with no tags or
    /// notes: those stay with the person it was part of).
    pub fn unlink_handle(&mut self, author: i64) -> Result<Option<i64>> {
        let weights = self.weights.clone();
        self.write_db("unlinking a handle", |db| {
            let (from, others): (i64, i64) = db.query_row(
                "SELECT person_id, (SELECT count(*) FROM authors b WHERE b.person_id = a.person_id) FROM authors a
                 WHERE id = ?1",
                params![author],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?;
            if others < 2 {
                return Ok(None);
            }
            // Ids are given, not drawn: people are numbered as the poll's write numbers them.
            let person: i64 = db.query_row(
                "INSERT INTO people (id, first_seen_at, last_seen_at)
                 SELECT (SELECT coalesce(max(id), 0) + 1 FROM people), first_seen_at, last_seen_at FROM authors
                 WHERE id = ?1 RETURNING id",
                params![author],
                |r| r.get(0),
            )?;
            db.execute(
                "UPDATE authors SET person_id = ?1 WHERE id = ?2",
                params![person, author],
            )?;
            recount(db, from)?;
            recount(db, person)?;
            reprioritise(db, from, &weights)?;
            reprioritise(db, person, &weights)?;
            Ok(Some(person))
        })
    }
}

impl Store {
    fn must_exist(&self, person: i64) -> Result<()> {
        let found = self
            .db()
            .query_opt("SELECT 1 FROM people WHERE id = ?1", params![person], |_| Ok(()))
            .doing("finding a person")?
            .is_some();
        if found {
            Ok(())
        } else {
            Err(StoreError::Invalid(format!(
                "there is no person {person} (see `overhear people`)"
            )))
        }
    }
}

/// A person tag as stored: one lowercase word.
fn normal_tag(tag: &str) -> Result<String> {
    let t = crate::text::sanitize_line(tag).trim().to_lowercase();
    if t.is_empty() || t.chars().any(char::is_whitespace) || t.chars().count() > 40 {
        return Err(StoreError::Invalid(format!(
            "a person's tag is one word (like {}), not {tag:?}",
            KNOWN_TAGS.join(", ")
        )));
    }
    Ok(t)
}

/// Count a person's figures again from their mentions (after a link or an unlink).
fn recount(db: Db<'_>, person: i64) -> db::Result<()> {
    // A count of each engagement's parts, as the JSON holds them (per backend: SQLite's `->>`
    // gives numbers, PostgreSQL's text).
    let part = |k: &str| match db.dialect() {
        db::Dialect::Sqlite => format!("max(coalesce(m.engagement ->> '$.{k}', 0), 0)"),
        db::Dialect::Postgres => {
            format!("GREATEST(coalesce((m.engagement::jsonb ->> '{k}')::DOUBLE PRECISION::BIGINT, 0), 0)")
        }
    };
    let engaged = ["likes", "reposts", "replies", "quotes", "score"].map(part).join(" + ");
    let sql = format!(
        "UPDATE people SET
            (mentions, engagement, sentiment_sum, sentiment_n) = (
                SELECT count(*), coalesce(sum({engaged}), 0), coalesce(sum(coalesce(m.sentiment, 0)), 0), count(*)
                FROM mentions m WHERE m.author_id IN (SELECT id FROM authors WHERE person_id = ?1)),
            (reach, first_seen_at, last_seen_at) = (
                SELECT max(reach), min(first_seen_at), max(last_seen_at) FROM authors WHERE person_id = ?1)
         WHERE id = ?1"
    );
    match db {
        Db::Sqlite(c) => c.execute(&sql, [person]).map(drop)?,
        Db::Pg(c) => drop(c.client().execute(
            &super::dialect::postgres(&sql).map_err(db::DbError::Dialect)?,
            &[&person],
        )?),
    }
    // The mood again, mention by mention in the order they were written.
    let feelings: Vec<f64> = db.query_map(
        "SELECT coalesce(m.sentiment, 0) FROM mentions m
         WHERE m.author_id IN (SELECT id FROM authors WHERE person_id = ?1) ORDER BY m.sort_at, m.id",
        params![person],
        |r| r.get(0),
    )?;
    let mood = feelings
        .iter()
        .copied()
        .reduce(|mood, s| mood * (1.0 - MOOD_STEP) + MOOD_STEP * s);
    db.execute("UPDATE people SET mood = ?2 WHERE id = ?1", params![person, mood])
        .map(drop)
}

/// Work out the priority of a person's mentions again, with what operators now say of them.
fn reprioritise(db: Db<'_>, person: i64, weights: &Weights) -> db::Result<()> {
    let tags: Vec<String> = db.query_map(
        "SELECT tag FROM person_tags WHERE person_id = ?1",
        params![person],
        |r| r.get(0),
    )?;
    let marks = Marks::of(&tags);
    type Row = (i64, Option<i64>, Option<String>, f64, i64, i64);
    let rows: Vec<Row> = db.query_map(
        "SELECT id, author_reach, engagement, coalesce(sentiment, 0), intent, sort_at FROM mentions
         WHERE author_id IN (SELECT id FROM authors WHERE person_id = ?1)",
        params![person],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?)),
    )?;
    for (id, reach, engagement, sentiment, intent, sort_at) in rows {
        let engagement = Engagement::from_json(engagement.as_deref());
        let p = weights.priority(crate::score::priority::Inputs {
            reach,
            engagement: &engagement,
            sentiment,
            intents: crate::score::Intents(intent),
            person: marks,
        });
        db.execute(
            "UPDATE mentions SET priority = ?2, priority_rank = ?3 WHERE id = ?1",
            params![id, p.base, crate::score::priority::rank(p.base, sort_at)],
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::NewMention;
    use crate::query::StreamFilter;
    use crate::store::{PollWrite, Scope};
    use chrono::Duration;

    fn said(id: &str, author: &str, url: Option<&str>, text: &str, reach: Option<i64>) -> NewMention {
        NewMention {
            external_id: Some(id.into()),
            author: Some(author.into()),
            author_reach: reach,
            url: url.map(String::from),
            text: text.into(),
            published_at: Some(Utc::now() - Duration::minutes(5)),
            ..Default::default()
        }
    }

    fn poll(s: &mut Store, feed: &str, kind: FeedKind, mentions: Vec<NewMention>) {
        let id = s.ensure_feed(feed, kind).unwrap();
        let now = Utc::now();
        let w = PollWrite {
            mentions,
            status: 200,
            next_poll_at: now,
            ..Default::default()
        };
        s.write_poll(id, kind, &w, now).unwrap();
    }

    fn by_external(s: &Store, kind: &str, id: &str) -> i64 {
        s.db()
            .query_row(
                "SELECT id FROM mentions WHERE kind = ?1 AND external_id = ?2",
                crate::store::db::params![kind, id],
                |r| r.get(0),
            )
            .unwrap()
    }

    fn ids(s: &Store, query: &str) -> Vec<String> {
        let filter = StreamFilter::parse(query, Utc::now()).unwrap();
        let scope = Scope {
            operator: "alice",
            filter: &filter,
        };
        let mut v: Vec<String> = s
            .stream_after(scope, None, 50)
            .unwrap()
            .into_iter()
            .map(|m| m.external_id)
            .collect();
        v.sort();
        v
    }

    #[test]
    fn handles_are_unique_per_service_and_a_blog_author_per_site() {
        let k = |kind, a, u| author_key(kind, a, u);
        assert_eq!(k(FeedKind::X, "@Jane", None), Some((String::new(), "jane".into())));
        // A local Mastodon account is known by its instance; a remote one carries it already.
        assert_eq!(
            k(FeedKind::Mastodon, "jane", Some("https://social.example/@jane/1")),
            Some((String::new(), "jane@social.example".into()))
        );
        assert_eq!(
            k(
                FeedKind::Mastodon,
                "jane@other.example",
                Some("https://social.example/@jane/1")
            ),
            Some((String::new(), "jane@other.example".into()))
        );
        assert_eq!(
            k(FeedKind::Reddit, "/u/Spez", None),
            Some((String::new(), "spez".into()))
        );
        assert_eq!(
            k(FeedKind::Rss, "Jane Doe", Some("https://www.blog.example/post")),
            Some(("blog.example".into(), "Jane Doe".into()))
        );
        assert_eq!(k(FeedKind::Hackernews, "  ", None), None);
    }

    #[test]
    fn one_author_across_two_feeds_is_one_person() {
        for (_d, mut s) in crate::store::each_backend() {
            poll(
                &mut s,
                "hn acme",
                FeedKind::Hackernews,
                vec![said("1", "quietgrep", None, "Acme lost my data. Terrible.", Some(900))],
            );
            poll(
                &mut s,
                "hn widgets",
                FeedKind::Hackernews,
                vec![
                    said("2", "quietgrep", None, "Acme widgets are great, love them", Some(1200)),
                    said("3", "someone", None, "Acme 4.2 is out", None),
                ],
            );
            // The same name on two blogs is two people.
            poll(
                &mut s,
                "blogs",
                FeedKind::Rss,
                vec![
                    said("a", "Admin", Some("https://one.example/a"), "About acme", None),
                    said("b", "Admin", Some("https://two.example/b"), "About acme", None),
                ],
            );
            let people = s.people(PeopleOrder::Mentions, 10).unwrap();
            assert_eq!(people.len(), 4, "{people:#?}");
            let top = &people[0];
            assert_eq!(top.mentions, 2);
            assert_eq!(top.handles.len(), 1);
            assert_eq!(top.handles[0].label(), "hackernews:quietgrep");
            assert_eq!(top.reach, Some(1200));
            assert!(top.sentiment.is_some());
            let admins: Vec<String> = people
                .iter()
                .filter(|p| p.name() == "Admin")
                .map(|p| p.handles[0].label())
                .collect();
            assert_eq!(admins.len(), 2, "{admins:?}");
            // Seen again (a re-poll): counted once.
            poll(
                &mut s,
                "hn acme",
                FeedKind::Hackernews,
                vec![said("1", "quietgrep", None, "Acme lost my data. Terrible.", Some(950))],
            );
            let card = s.person_card(top.id).unwrap().unwrap();
            assert_eq!(card.person.mentions, 2);
            assert_eq!(card.mentions.len(), 2);
            let by_reach = s.people(PeopleOrder::Reach, 1).unwrap();
            assert_eq!(by_reach[0].id, top.id);
        }
    }

    #[test]
    fn a_note_on_a_person_shows_on_their_next_mention() {
        for (_d, mut s) in crate::store::each_backend() {
            poll(
                &mut s,
                "bsky",
                FeedKind::Bluesky,
                vec![said("at://1", "jane.example", None, "Acme support is slow", None)],
            );
            let person = s.people(PeopleOrder::Mentions, 1).unwrap()[0].id;
            s.note_person(person, "alice", "Runs the Acme user group; prefers DMs", Utc::now())
                .unwrap();
            s.tag_person(person, "Advocate").unwrap();
            poll(
                &mut s,
                "bsky",
                FeedKind::Bluesky,
                vec![said("at://2", "Jane.Example", None, "Acme 4.2 fixed it, thanks", None)],
            );
            let newest = by_external(&s, "bluesky", "at://2");
            let d = s.detail("alice", newest).unwrap().unwrap();
            let p = d.person.expect("the new mention has its person");
            assert_eq!(p.id, person);
            assert_eq!(p.notes.len(), 1);
            assert_eq!(p.notes[0].body, "Runs the Acme user group; prefers DMs");
            assert_eq!(p.tags, vec!["advocate".to_string()]);
            assert_eq!(d.mention.person_tags, vec!["advocate".to_string()]);
            assert!(s.note_person(person, "alice", "  ", Utc::now()).is_err());
            assert!(s.tag_person(person, "two words").is_err());
            assert!(s.tag_person(9999, "vip").is_err());
        }
    }

    #[test]
    fn two_linked_handles_are_one_person_until_unlinked() {
        for (_d, mut s) in crate::store::each_backend() {
            poll(
                &mut s,
                "bsky",
                FeedKind::Bluesky,
                vec![said("at://1", "jane.example", None, "Acme broke my sync", Some(100))],
            );
            poll(
                &mut s,
                "x",
                FeedKind::X,
                vec![
                    said("10", "JaneDoe", None, "Still broken, Acme", Some(5000)),
                    said("11", "JaneDoe", None, "Acme, any news?", Some(5000)),
                ],
            );
            let found = s.find_handles("bluesky:jane.example").unwrap();
            assert_eq!(found.len(), 1);
            let (bsky, jane) = (found[0].0.id, found[0].1);
            let x = s.find_handles("@janedoe").unwrap();
            assert_eq!(x.len(), 1);
            let (x_handle, x_person) = (x[0].0.id, x[0].1);
            s.tag_person(x_person, "customer").unwrap();
            s.note_person(x_person, "bob", "Enterprise plan", Utc::now()).unwrap();
            s.link_handle(jane, x_handle).unwrap();
            let people = s.people(PeopleOrder::Mentions, 10).unwrap();
            assert_eq!(people.len(), 1, "{people:#?}");
            let p = &people[0];
            assert_eq!((p.id, p.mentions, p.reach), (jane, 3, Some(5000)));
            let labels: Vec<String> = p.handles.iter().map(Handle::label).collect();
            assert_eq!(labels, vec!["bluesky:jane.example", "x:janedoe"]);
            assert_eq!(p.tags, vec!["customer".to_string()]);
            assert_eq!(p.notes[0].body, "Enterprise plan");
            assert_eq!(s.person_card(jane).unwrap().unwrap().mentions.len(), 3);
            // Undone: the X handle is its own person again, with its own counts.
            let alone = s.unlink_handle(x_handle).unwrap().expect("it was linked");
            let people = s.people(PeopleOrder::Mentions, 10).unwrap();
            assert_eq!(people.len(), 2);
            assert_eq!(people[0].id, alone);
            assert_eq!(people[0].mentions, 2);
            assert_eq!(people[1].mentions, 1);
            assert_eq!(s.unlink_handle(bsky).unwrap(), None, "nothing to unlink");
        }
    }

    #[test]
    fn a_vip_weighs_more_and_person_filters_find_them() {
        for (_d, mut s) in crate::store::each_backend() {
            let text = "How do I export my notes from Acme?";
            poll(
                &mut s,
                "x",
                FeedKind::X,
                vec![
                    said("1", "bigcustomer", None, text, Some(300)),
                    said("2", "other", None, text, Some(300)),
                ],
            );
            let before = by_external(&s, "x", "1");
            let p0 = s.detail("alice", before).unwrap().unwrap().mention.priority;
            let person = s.find_handles("x:bigcustomer").unwrap()[0].1;
            s.tag_person(person, "vip").unwrap();
            let d = s.detail("alice", before).unwrap().unwrap();
            assert_eq!(d.mention.priority, p0 + 20.0, "past mentions weigh more");
            // Their next mention weighs more from its arrival.
            poll(
                &mut s,
                "x",
                FeedKind::X,
                vec![said("3", "bigcustomer", None, text, Some(300))],
            );
            let third = by_external(&s, "x", "3");
            assert_eq!(s.detail("alice", third).unwrap().unwrap().mention.priority, p0 + 20.0);
            assert_eq!(ids(&s, "vip"), vec!["1", "3"]);
            assert_eq!(ids(&s, "person:vip"), vec!["1", "3"]);
            assert_eq!(ids(&s, "-is:vip"), vec!["2"]);
            assert_eq!(ids(&s, "sort:priority")[..], ["1", "2", "3"]);
            let top = s
                .stream_after(
                    Scope {
                        operator: "alice",
                        filter: &StreamFilter::parse("sort:priority", Utc::now()).unwrap(),
                    },
                    None,
                    1,
                )
                .unwrap();
            assert_ne!(top[0].external_id, "2", "the VIP's question comes first");
            s.untag_person(person, "vip").unwrap();
            assert_eq!(s.detail("alice", before).unwrap().unwrap().mention.priority, p0);
            assert!(ids(&s, "vip").is_empty());
        }
    }

    #[test]
    fn someone_turning_sour_ranks_first_by_souring() {
        for (_d, mut s) in crate::store::each_backend() {
            let happy = "Acme is great, I love the new release, thanks team";
            let angry = "Acme is terrible now, the update broke everything, awful support";
            // jane was happy for a while, then turned; bob is steadily lukewarm.
            let mut mentions: Vec<NewMention> = (0..5)
                .map(|i| said(&format!("j{i}"), "jane", None, happy, None))
                .collect();
            mentions.extend((5..8).map(|i| said(&format!("j{i}"), "jane", None, angry, None)));
            mentions.extend((0..4).map(|i| said(&format!("b{i}"), "bob", None, "Acme 4.2 is out today", None)));
            for (i, m) in mentions.iter_mut().enumerate() {
                m.published_at = Some(Utc::now() - Duration::hours(20 - i as i64));
            }
            poll(&mut s, "x", FeedKind::X, mentions);
            let souring = s.people(PeopleOrder::Souring, 10).unwrap();
            assert_eq!(souring[0].name(), "jane", "{souring:#?}");
            let jane = &souring[0];
            assert!(jane.trend.unwrap() < -0.3, "{:?}", jane.trend);
            let bob = souring.iter().find(|p| p.name() == "bob").unwrap();
            assert!(bob.trend.unwrap().abs() < 0.05, "{:?}", bob.trend);
        }
    }
}
