//! Triage writes: status, assignment, tags, notes, read marks, and undo. Every change is one
//! transaction and leaves a row in `actions` with who and when, grouped in a batch so it can be
//! undone as one.

use super::db::{self, Db, params};
use super::{Doing, Result, Store, from_ts, to_ts};
use crate::model::Status;
use crate::score::{Intent, Intents, Label, priority::Weights};
use chrono::{DateTime, Utc};

/// One triage change, applied to one or many mentions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    Status(Status),
    /// `None` unassigns.
    Assign(Option<String>),
    Tag(String),
    Untag(String),
    Note(String),
    /// An operator corrects what the model judged: the sentiment, intents added or taken away.
    Judge(Judgement),
}

/// An operator's correction of a mention's sentiment or intents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Judgement {
    pub sentiment: Option<Label>,
    pub add: Intents,
    pub remove: Intents,
}

impl Judgement {
    /// `negative`, `+complaint` (or `complaint`), `-praise`, in any order.
    pub fn parse(text: &str) -> std::result::Result<Judgement, String> {
        let mut j = Judgement::default();
        for word in text.split([' ', ',']).map(str::trim).filter(|w| !w.is_empty()) {
            let word = word.to_lowercase();
            if let Ok(label) = word.parse::<Label>() {
                j.sentiment = Some(label);
                continue;
            }
            let (remove, name) = match word.strip_prefix('-') {
                Some(rest) => (true, rest),
                None => (false, word.trim_start_matches('+')),
            };
            let intent: Intent = name.parse().map_err(|_| {
                format!(
                    "{word:?}? say negative, neutral or positive, and +intent or -intent (complaint, question, praise, purchase, cancel)"
                )
            })?;
            if remove {
                j.remove = j.remove.with(intent);
            } else {
                j.add = j.add.with(intent);
            }
        }
        if j == Judgement::default() {
            return Err("say what it is: negative, neutral or positive, +intent or -intent".into());
        }
        Ok(j)
    }

    /// "negative, +complaint, -praise".
    pub fn describe(&self) -> String {
        let mut words: Vec<String> = self.sentiment.iter().map(ToString::to_string).collect();
        words.extend(self.add.list().iter().map(|i| format!("+{i}")));
        words.extend(self.remove.list().iter().map(|i| format!("-{i}")));
        words.join(", ")
    }

    /// What a mention judged (`sentiment`, `intent`) becomes.
    fn on(self, sentiment: Option<f64>, intent: i64) -> (Option<f64>, i64) {
        let sentiment = match self.sentiment {
            Some(l) if sentiment.map(Label::of) != Some(l) => Some(l.typical()),
            _ => sentiment,
        };
        (sentiment, (intent | self.add.0) & !self.remove.0)
    }
}

/// "negative · complaint, cancel": a judgement as stored in the history and shown.
pub fn judged(sentiment: Option<f64>, intent: i64) -> String {
    let feeling = sentiment.map_or("unknown".to_string(), |s| Label::of(s).to_string());
    let intents: Vec<String> = Intents(intent).list().iter().map(ToString::to_string).collect();
    if intents.is_empty() {
        feeling
    } else {
        format!("{feeling} · {}", intents.join(", "))
    }
}

/// How often the model agreed with operators' corrections (`overhear stats --accuracy`).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct ModelAccuracy {
    /// Mentions an operator corrected.
    pub judged: u64,
    /// Of them, those whose sentiment the operator left as the model said it.
    pub sentiment_agreed: u64,
    /// Per intent: (intent, agreed, the model saw it and the operator did not, the operator saw it
    /// and the model did not).
    pub intents: Vec<IntentAccuracy>,
}

#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct IntentAccuracy {
    pub intent: String,
    pub agreed: u64,
    pub model_only: u64,
    pub operator_only: u64,
}

impl Change {
    /// Past tense, for messages: "marked responded", "assigned to bob".
    pub fn describe(&self) -> String {
        match self {
            Change::Status(s) => format!("marked {s}"),
            Change::Assign(Some(a)) => format!("assigned to {a}"),
            Change::Assign(None) => "unassigned".into(),
            Change::Tag(t) => format!("tagged {t}"),
            Change::Untag(t) => format!("untagged {t}"),
            Change::Note(_) => "noted".into(),
            Change::Judge(j) => format!("corrected: {}", j.describe()),
        }
    }
}

/// What a change did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Applied {
    /// The batch to undo it by; `None` when nothing changed.
    pub batch: Option<i64>,
    pub changed: usize,
}

/// One row of the history, as undo reads it.
struct Logged {
    id: i64,
    action: String,
    from: Option<String>,
    to: Option<String>,
    when: i64,
}

/// The mentions a change is applied to: a status set on a story's lead is set on every place the
/// story is seen (each recorded in its own history, one batch to undo).
fn with_story_members(db: Db<'_>, ids: &[i64], change: &Change) -> db::Result<Vec<i64>> {
    let mut all = ids.to_vec();
    if matches!(change, Change::Status(_)) {
        for id in ids {
            for m in db.query_map(
                "SELECT id FROM mentions WHERE story_id = ?1 ORDER BY id",
                params![id],
                |r| r.get::<i64>(0),
            )? {
                if !all.contains(&m) {
                    all.push(m);
                }
            }
        }
    }
    Ok(all)
}

pub(super) fn next_batch(db: Db<'_>) -> db::Result<i64> {
    db.query_row("SELECT coalesce(max(batch), 0) + 1 FROM actions", params![], |r| {
        r.get(0)
    })
}

/// Who made a change, when, in which batch.
#[derive(Clone, Copy)]
pub(super) struct Stamp<'a> {
    pub(super) actor: &'a str,
    pub(super) at: i64,
    pub(super) batch: i64,
    /// For the priority a corrected judgement changes.
    pub(super) weights: &'a Weights,
}

fn log(db: Db<'_>, id: i64, stamp: Stamp<'_>, action: &str, from: Option<&str>, to: Option<&str>) -> db::Result<()> {
    db.execute(
        "INSERT INTO actions (mention_id, actor, action, from_value, to_value, at, batch) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![id, stamp.actor, action, from, to, stamp.at, stamp.batch],
    )?;
    Ok(())
}

/// Set a status and keep the response fields in step.
fn set_status(db: Db<'_>, id: i64, status: &str, actor: &str, at: i64) -> db::Result<()> {
    db.execute(
        "UPDATE mentions SET status = ?2, status_at = ?4, updated_at = ?4,
            responded_at = CASE WHEN ?2 = 'responded' THEN coalesce(responded_at, ?4) ELSE responded_at END,
            responded_by = CASE WHEN ?2 = 'responded' THEN coalesce(responded_by, ?3) ELSE responded_by END,
            first_response_at = CASE WHEN ?2 = 'responded' THEN coalesce(first_response_at, ?4) ELSE first_response_at END
         WHERE id = ?1",
        params![id, status, actor, at],
    )?;
    Ok(())
}

pub(super) fn apply_one(db: Db<'_>, id: i64, change: &Change, stamp: Stamp<'_>) -> db::Result<bool> {
    let (actor, at) = (stamp.actor, stamp.at);
    match change {
        Change::Status(s) => {
            let old: Option<String> =
                db.query_opt("SELECT status FROM mentions WHERE id = ?1", params![id], |r| r.get(0))?;
            let Some(old) = old.filter(|o| o != s.as_str()) else {
                return Ok(false);
            };
            set_status(db, id, s.as_str(), actor, at)?;
            log(db, id, stamp, "status", Some(&old), Some(s.as_str()))?;
        }
        Change::Assign(to) => {
            let old: Option<Option<String>> =
                db.query_opt("SELECT assignee FROM mentions WHERE id = ?1", params![id], |r| r.get(0))?;
            let Some(old) = old.filter(|o| o != to) else {
                return Ok(false);
            };
            db.execute(
                "UPDATE mentions SET assignee = ?2, updated_at = ?3 WHERE id = ?1",
                params![id, to, at],
            )?;
            log(db, id, stamp, "assign", old.as_deref(), to.as_deref())?;
        }
        Change::Tag(t) => {
            if db.execute(
                "INSERT OR IGNORE INTO mention_tags (mention_id, tag) VALUES (?1, ?2)",
                params![id, t],
            )? == 0
            {
                return Ok(false);
            }
            log(db, id, stamp, "tag", None, Some(t))?;
        }
        Change::Untag(t) => {
            if db.execute(
                "DELETE FROM mention_tags WHERE mention_id = ?1 AND tag = ?2",
                params![id, t],
            )? == 0
            {
                return Ok(false);
            }
            log(db, id, stamp, "untag", Some(t), None)?;
        }
        Change::Note(body) => {
            let note: i64 = db.query_row(
                "INSERT INTO notes (mention_id, author, body, created_at) VALUES (?1, ?2, ?3, ?4) RETURNING id",
                params![id, actor, body, at],
                |r| r.get(0),
            )?;
            let note = note.to_string();
            log(db, id, stamp, "note", None, Some(&note))?;
        }
        Change::Judge(j) => return judge(db, id, *j, stamp),
    }
    Ok(true)
}

/// A judgement as the history stores it: `sentiment;intent` (`;3` when the sentiment is unknown).
fn stored_judgement(sentiment: Option<f64>, intent: i64) -> String {
    format!("{};{intent}", sentiment.map(|s| s.to_string()).unwrap_or_default())
}

fn read_judgement(s: &str) -> Option<(Option<f64>, i64)> {
    let (a, b) = s.split_once(';')?;
    Some((a.parse().ok(), b.parse().ok()?))
}

/// Correct what the model judged; the model's judgement is kept the first time.
fn judge(db: Db<'_>, id: i64, j: Judgement, stamp: Stamp<'_>) -> db::Result<bool> {
    let Some((sentiment, intent)) = db.query_opt(
        "SELECT sentiment, intent FROM mentions WHERE id = ?1",
        params![id],
        |r| Ok((r.get::<Option<f64>>(0)?, r.get::<i64>(1)?)),
    )?
    else {
        return Ok(false);
    };
    let (to_sentiment, to_intent) = j.on(sentiment, intent);
    if (to_sentiment, to_intent) == (sentiment, intent) {
        return Ok(false);
    }
    db.execute(
        "INSERT INTO judgements (mention_id, model_sentiment, model_intent, judged_by, judged_at)
         VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (mention_id) DO UPDATE SET judged_by = excluded.judged_by, judged_at = excluded.judged_at",
        params![id, sentiment, intent, stamp.actor, stamp.at],
    )?;
    set_judgement(db, id, to_sentiment, to_intent, stamp)?;
    log(
        db,
        id,
        stamp,
        "judge",
        Some(&stored_judgement(sentiment, intent)),
        Some(&stored_judgement(to_sentiment, to_intent)),
    )?;
    Ok(true)
}

/// Store a mention's sentiment and intents, and the priority they make.
fn set_judgement(db: Db<'_>, id: i64, sentiment: Option<f64>, intent: i64, stamp: Stamp<'_>) -> db::Result<()> {
    let (reach, engagement, sort_at, tags): (Option<i64>, Option<String>, i64, Option<String>) = db.query_row(
        "SELECT m.author_reach, m.engagement, m.sort_at,
                (SELECT group_concat(pt.tag, ' ') FROM authors a JOIN person_tags pt ON pt.person_id = a.person_id
                 WHERE a.id = m.author_id)
         FROM mentions m WHERE m.id = ?1",
        params![id],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
    )?;
    let tags: Vec<&str> = tags.as_deref().map(|t| t.split(' ').collect()).unwrap_or_default();
    let engagement = crate::model::Engagement::from_json(engagement.as_deref());
    let p = stamp.weights.priority(crate::score::priority::Inputs {
        reach,
        engagement: &engagement,
        sentiment: sentiment.unwrap_or(0.0),
        intents: Intents(intent),
        person: crate::score::priority::Marks::of(&tags),
    });
    db.execute(
        "UPDATE mentions SET sentiment = ?2, intent = ?3, priority = ?4, priority_rank = ?5, updated_at = ?6
         WHERE id = ?1",
        params![
            id,
            sentiment,
            intent,
            p.base,
            crate::score::priority::rank(p.base, sort_at),
            stamp.at
        ],
    )?;
    Ok(())
}

/// Undo one correction: back to what it was, where nobody corrected it since.
fn unjudge(db: Db<'_>, id: i64, from: Option<&str>, to: Option<&str>, undo: Stamp<'_>) -> db::Result<bool> {
    let (Some(before), Some(after)) = (from.and_then(read_judgement), to.and_then(read_judgement)) else {
        return Ok(false);
    };
    let now: (Option<f64>, i64) = db.query_row(
        "SELECT sentiment, intent FROM mentions WHERE id = ?1",
        params![id],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    if now != after {
        return Ok(false);
    }
    set_judgement(db, id, before.0, before.1, undo)?;
    // Back to what the model said: no correction stands.
    db.execute(
        "DELETE FROM judgements WHERE mention_id = ?1 AND model_sentiment IS ?2 AND model_intent = ?3",
        params![id, before.0, before.1],
    )?;
    log(db, id, undo, "judge", to, from)?;
    Ok(true)
}

impl Store {
    /// Apply `change` to every mention in `ids` as `actor`, in one transaction.
    pub fn apply(&mut self, ids: &[i64], change: &Change, actor: &str, now: DateTime<Utc>) -> Result<Applied> {
        let at = to_ts(now);
        let weights = self.weights.clone();
        self.write_db("saving a triage change", |db| {
            let batch = next_batch(db)?;
            let mut changed = 0;
            for id in with_story_members(db, ids, change)? {
                let stamp = Stamp {
                    actor,
                    at,
                    batch,
                    weights: &weights,
                };
                if apply_one(db, id, change, stamp)? {
                    changed += 1;
                }
            }
            Ok(Applied {
                batch: (changed > 0).then_some(batch),
                changed,
            })
        })
    }

    /// Undo `actor`'s batch: each change is reversed where nobody has changed that field since.
    /// The reversal is recorded in the history as a new batch. Returns how many were reversed.
    pub fn undo(&mut self, batch: i64, actor: &str, now: DateTime<Utc>) -> Result<usize> {
        let at = to_ts(now);
        let weights = self.weights.clone();
        self.write_db("undoing a triage change", |db| {
            let rows: Vec<Logged> = db.query_map(
                "SELECT mention_id, action, from_value, to_value, at FROM actions
                 WHERE batch = ?1 AND actor = ?2 ORDER BY id DESC",
                params![batch, actor],
                |r| Ok(Logged { id: r.get(0)?, action: r.get(1)?, from: r.get(2)?, to: r.get(3)?, when: r.get(4)? }),
            )?;
            let undo = Stamp { actor, at, batch: next_batch(db)?, weights: &weights };
            let mut reversed = 0;
            for Logged { id, action, from, to, when } in rows {
                let done = match action.as_str() {
                    "status" => {
                        let (Some(from), Some(to)) = (from.as_deref(), to.as_deref()) else { continue };
                        let current: String = db.query_row("SELECT status FROM mentions WHERE id = ?1", params![id], |r| r.get(0))?;
                        if current != to {
                            continue;
                        }
                        set_status(db, id, from, actor, at)?;
                        if to == "responded" {
                            // The response this batch recorded did not happen.
                            db.execute(
                                "UPDATE mentions SET
                                    first_response_at = CASE WHEN first_response_at = ?2 THEN NULL ELSE first_response_at END,
                                    responded_at = CASE WHEN responded_at = ?2 THEN NULL ELSE responded_at END,
                                    responded_by = CASE WHEN responded_at IS NULL OR responded_at = ?2 THEN NULL ELSE responded_by END
                                 WHERE id = ?1",
                                params![id, when],
                            )?;
                        }
                        log(db, id, undo, "status", Some(to), Some(from))?;
                        true
                    }
                    "assign" => {
                        let current: Option<String> =
                            db.query_row("SELECT assignee FROM mentions WHERE id = ?1", params![id], |r| r.get(0))?;
                        if current != to {
                            continue;
                        }
                        db.execute("UPDATE mentions SET assignee = ?2, updated_at = ?3 WHERE id = ?1", params![id, from, at])?;
                        log(db, id, undo, "assign", to.as_deref(), from.as_deref())?;
                        true
                    }
                    "tag" => {
                        let Some(t) = to else { continue };
                        db.execute("DELETE FROM mention_tags WHERE mention_id = ?1 AND tag = ?2", params![id, t])? > 0
                            && {
                                log(db, id, undo, "untag", Some(&t), None)?;
                                true
                            }
                    }
                    "untag" => {
                        let Some(t) = from else { continue };
                        db.execute("INSERT OR IGNORE INTO mention_tags (mention_id, tag) VALUES (?1, ?2)", params![id, t])? > 0
                            && {
                                log(db, id, undo, "tag", None, Some(&t))?;
                                true
                            }
                    }
                    "judge" => unjudge(db, id, from.as_deref(), to.as_deref(), undo)?,
                    "note" => {
                        let Some(note) = to.and_then(|n| n.parse::<i64>().ok()) else { continue };
                        db.execute("DELETE FROM notes WHERE id = ?1", params![note])? > 0 && {
                            log(db, id, undo, "unnote", Some(&note.to_string()), None)?;
                            true
                        }
                    }
                    _ => false,
                };
                if done {
                    reversed += 1;
                }
            }
            Ok(reversed)
        })
    }

    /// How often the model agreed with the operators who corrected it, since `since`.
    pub fn model_accuracy(&self, since: Option<DateTime<Utc>>) -> Result<ModelAccuracy> {
        let rows: Vec<(Option<f64>, i64, Option<f64>, i64)> = self
            .db()
            .query_map(
                "SELECT j.model_sentiment, j.model_intent, m.sentiment, m.intent FROM judgements j
                 JOIN mentions m ON m.id = j.mention_id WHERE j.judged_at >= ?1 ORDER BY j.mention_id",
                params![since.map_or(i64::MIN, to_ts)],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .doing("reading the corrections")?;
        let mut a = ModelAccuracy {
            judged: rows.len() as u64,
            intents: Intent::ALL
                .iter()
                .map(|i| IntentAccuracy {
                    intent: i.to_string(),
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        };
        for (model_s, model_i, truth_s, truth_i) in rows {
            if model_s.map(Label::of) == truth_s.map(Label::of) {
                a.sentiment_agreed += 1;
            }
            for (k, i) in Intent::ALL.iter().enumerate() {
                let (m, t) = (Intents(model_i).has(*i), Intents(truth_i).has(*i));
                let row = &mut a.intents[k];
                match (m, t) {
                    (true, false) => row.model_only += 1,
                    (false, true) => row.operator_only += 1,
                    _ => row.agreed += 1,
                }
            }
        }
        Ok(a)
    }

    /// Who corrected a mention's judgement, and what the model had said.
    pub fn judgement_of(&self, id: i64) -> Result<Option<(String, Option<f64>, Intents)>> {
        self.db()
            .query_opt(
                "SELECT judged_by, model_sentiment, model_intent FROM judgements WHERE mention_id = ?1",
                params![id],
                |r| Ok((r.get(0)?, r.get(1)?, Intents(r.get(2)?))),
            )
            .doing("reading a correction")
    }

    /// Mark a mention read by `operator`. True when it was unread.
    pub fn mark_read(&mut self, operator: &str, id: i64, now: DateTime<Utc>) -> Result<bool> {
        self.write_db("marking a mention read", |db| {
            Ok(db.execute(
                "INSERT OR IGNORE INTO reads (operator, mention_id, at) VALUES (?1, ?2, ?3)",
                params![operator, id, to_ts(now)],
            )? == 1)
        })
    }

    /// Names seen as assignees, for completion (read from a partial index: cheap at any size).
    pub fn known_operators(&self) -> Result<Vec<String>> {
        self.strings(
            "SELECT name FROM operators UNION SELECT assignee FROM mentions WHERE assignee IS NOT NULL ORDER BY 1",
        )
    }

    /// Tags in use, for completion.
    pub fn known_tags(&self) -> Result<Vec<String>> {
        self.strings("SELECT tag FROM mention_tags GROUP BY tag ORDER BY tag")
    }

    fn strings(&self, sql: &str) -> Result<Vec<String>> {
        self.db().query_map(sql, params![], |r| r.get(0)).doing("reading names")
    }

    /// When the batch was made, if it exists.
    pub fn batch_time(&self, batch: i64) -> Result<Option<DateTime<Utc>>> {
        self.db()
            .query_row("SELECT min(at) FROM actions WHERE batch = ?1", params![batch], |r| {
                r.get::<Option<i64>>(0)
            })
            .doing("reading the history")
            .map(|t| t.map(from_ts))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{FeedKind, NewMention};
    use crate::store::PollWrite;

    /// `n` new mentions on each backend the tests reach, with their ids.
    fn store_with(n: usize) -> Vec<(crate::store::TestPlace, Store, Vec<i64>)> {
        crate::store::each_backend()
            .into_iter()
            .map(|(place, mut s)| {
                let ids = fill(&mut s, n);
                (place, s, ids)
            })
            .collect()
    }

    fn fill(s: &mut Store, n: usize) -> Vec<i64> {
        let feed = s.ensure_feed("f", FeedKind::Rss).unwrap();
        let mentions = (0..n)
            .map(|i| NewMention {
                external_id: Some(format!("{i}")),
                text: format!("m{i}"),
                ..Default::default()
            })
            .collect();
        s.write_poll(
            feed,
            FeedKind::Rss,
            &PollWrite {
                mentions,
                status: 200,
                next_poll_at: Utc::now(),
                ..Default::default()
            },
            Utc::now(),
        )
        .unwrap();
        s.db()
            .query_map("SELECT id FROM mentions ORDER BY id", db::params![], |r| r.get(0))
            .unwrap()
    }

    fn field<T: db::Column>(s: &Store, sql: &str, id: i64) -> T {
        s.db().query_row(sql, db::params![id], |r| r.get(0)).unwrap()
    }

    #[test]
    fn a_status_change_is_recorded_with_who_and_when_and_response_time() {
        for (_d, mut s, ids) in store_with(2) {
            let t = Utc::now();
            let a = s.apply(&ids, &Change::Status(Status::Responded), "alice", t).unwrap();
            assert_eq!(a.changed, 2);
            let again = s.apply(&ids, &Change::Status(Status::Responded), "alice", t).unwrap();
            assert_eq!(
                again,
                Applied {
                    batch: None,
                    changed: 0
                },
                "no change, no history"
            );
            assert_eq!(
                field::<String>(&s, "SELECT status FROM mentions WHERE id = ?1", ids[0]),
                "responded"
            );
            assert_eq!(
                field::<i64>(&s, "SELECT responded_at FROM mentions WHERE id = ?1", ids[0]),
                t.timestamp()
            );
            assert_eq!(
                field::<String>(&s, "SELECT responded_by FROM mentions WHERE id = ?1", ids[0]),
                "alice"
            );
            let d = s.detail("alice", ids[0]).unwrap().unwrap();
            assert_eq!(d.history.len(), 1);
            assert_eq!(d.history[0].actor, "alice");
            assert_eq!(
                d.history[0].event,
                crate::store::HistoryEvent::Status {
                    from: "new".into(),
                    to: "responded".into()
                }
            );
        }
    }

    #[test]
    fn undo_reverses_a_batch_unless_someone_changed_it_since() {
        for (_d, mut s, ids) in store_with(3) {
            let t = Utc::now();
            s.apply(&ids[..1], &Change::Status(Status::Open), "alice", t).unwrap();
            let b = s
                .apply(&ids, &Change::Status(Status::Responded), "alice", t)
                .unwrap()
                .batch
                .unwrap();
            // Bob reopens the third one meanwhile: alice's undo leaves it alone.
            s.apply(&ids[2..], &Change::Status(Status::Escalated), "bob", t)
                .unwrap();
            assert_eq!(s.undo(b, "bob", t).unwrap(), 0, "only your own batches");
            assert_eq!(s.undo(b, "alice", t).unwrap(), 2);
            let st = |id| field::<String>(&s, "SELECT status FROM mentions WHERE id = ?1", id);
            assert_eq!(
                (st(ids[0]), st(ids[1]), st(ids[2])),
                ("open".into(), "new".into(), "escalated".into())
            );
            assert_eq!(
                field::<Option<i64>>(&s, "SELECT responded_at FROM mentions WHERE id = ?1", ids[0]),
                None
            );
            assert_eq!(
                field::<Option<i64>>(&s, "SELECT first_response_at FROM mentions WHERE id = ?1", ids[1]),
                None
            );
            let d = s.detail("alice", ids[0]).unwrap().unwrap();
            assert_eq!(d.history.len(), 3, "the undo is history too");
        }
    }

    #[test]
    fn assign_tag_note_and_their_undo() {
        for (_d, mut s, ids) in store_with(1) {
            let t = Utc::now();
            let id = ids[0];
            let b1 = s
                .apply(&ids, &Change::Assign(Some("bob".into())), "alice", t)
                .unwrap()
                .batch
                .unwrap();
            let b2 = s
                .apply(&ids, &Change::Tag("complaint".into()), "alice", t)
                .unwrap()
                .batch
                .unwrap();
            let b3 = s
                .apply(&ids, &Change::Note("called them back".into()), "alice", t)
                .unwrap()
                .batch
                .unwrap();
            let d = s.detail("alice", id).unwrap().unwrap();
            assert_eq!(d.mention.assignee.as_deref(), Some("bob"));
            assert_eq!(d.tags, vec!["complaint"]);
            assert_eq!(d.notes[0].body, "called them back");
            assert_eq!(s.known_tags().unwrap(), vec!["complaint"]);
            assert!(s.known_operators().unwrap().contains(&"bob".to_string()));
            for b in [b3, b2, b1] {
                assert_eq!(s.undo(b, "alice", t).unwrap(), 1);
            }
            let d = s.detail("alice", id).unwrap().unwrap();
            assert_eq!(d.mention.assignee, None);
            assert!(d.tags.is_empty() && d.notes.is_empty());
        }
    }

    #[test]
    fn read_marks_are_per_operator() {
        for (_d, mut s, ids) in store_with(1) {
            assert!(s.mention("alice", ids[0]).unwrap().unwrap().unread);
            assert!(s.mark_read("alice", ids[0], Utc::now()).unwrap());
            assert!(!s.mark_read("alice", ids[0], Utc::now()).unwrap());
            assert!(!s.mention("alice", ids[0]).unwrap().unwrap().unread);
            assert!(s.mention("bob", ids[0]).unwrap().unwrap().unread);
        }
    }

    #[test]
    fn a_correction_is_the_truth_is_undone_and_measures_the_model() {
        for (_d, mut s) in crate::store::each_backend() {
            let feed = s.ensure_feed("x", FeedKind::X).unwrap();
            let said = |id: &str, text: &str| NewMention {
                external_id: Some(id.into()),
                text: text.into(),
                ..Default::default()
            };
            s.write_poll(
                feed,
                FeedKind::X,
                &PollWrite {
                    mentions: vec![
                        said("sick", "This update is sick, the new sync is unreal"),
                        said("ok", "Charged twice for my plan, I want a refund"),
                    ],
                    status: 200,
                    next_poll_at: Utc::now(),
                    ..Default::default()
                },
                Utc::now(),
            )
            .unwrap();
            let id = |x: &str| -> i64 {
                s.db()
                    .query_row("SELECT id FROM mentions WHERE external_id = ?1", db::params![x], |r| {
                        r.get(0)
                    })
                    .unwrap()
            };
            let (sick, ok) = (id("sick"), id("ok"));
            let now = Utc::now();
            let judged = |s: &Store, m: i64| -> (Option<f64>, i64, f64) {
                s.db()
                    .query_row(
                        "SELECT sentiment, intent, priority FROM mentions WHERE id = ?1",
                        db::params![m],
                        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                    )
                    .unwrap()
            };
            let before = judged(&s, sick);
            let j = Judgement::parse("positive +praise -complaint").unwrap();
            let applied = s.apply(&[sick], &Change::Judge(j), "alice", now).unwrap();
            assert_eq!(applied.changed, 1);
            let after = judged(&s, sick);
            assert_eq!(Label::of(after.0.unwrap()), Label::Positive);
            assert!(Intents(after.1).has(Intent::Praise) && !Intents(after.1).has(Intent::Complaint));
            // The truth is what the query language and the history see.
            let d = s.detail("alice", sick).unwrap().unwrap();
            assert_eq!(d.judged.as_ref().map(|j| j.0.as_str()), Some("alice"));
            assert!(
                d.history.iter().any(
                    |h| matches!(&h.event, crate::store::HistoryEvent::Judged { to, .. } if to.starts_with("positive"))
                ),
                "{:?}",
                d.history
            );
            // The second mention: the model was right; saying so again changes nothing.
            let ok_before = judged(&s, ok);
            let label = Label::of(ok_before.0.unwrap());
            let same = Judgement::parse(label.as_ref()).unwrap();
            assert_eq!(s.apply(&[ok], &Change::Judge(same), "bob", now).unwrap().changed, 0);
            let a = s.model_accuracy(None).unwrap();
            assert_eq!(a.judged, 1);
            assert_eq!(
                a.sentiment_agreed,
                u64::from(Label::of(before.0.unwrap()) == Label::Positive)
            );
            let praise = a.intents.iter().find(|i| i.intent == "praise").unwrap();
            assert_eq!(praise.agreed + praise.operator_only, 1);
            // Undone: the model's judgement again, and no correction stands.
            s.undo(applied.batch.unwrap(), "alice", now).unwrap();
            assert_eq!(judged(&s, sick), before);
            assert_eq!(s.model_accuracy(None).unwrap().judged, 0);
            assert!(Judgement::parse("angry").is_err());
            assert!(Judgement::parse("").is_err());
        }
    }

    /// Every kind of change, on a story, then undone: what each step said and what the mentions
    /// hold, on either backend.
    fn triage_scenario(s: &mut Store) -> Vec<String> {
        let (a, b) = (crate::store::bare_mention(s, "a"), crate::store::bare_mention(s, "b"));
        s.db()
            .execute(
                "UPDATE mentions SET story_id = ?1 WHERE id = ?2",
                crate::store::db::params![a, b],
            )
            .unwrap();
        let t = |k: i64| from_ts(1_764_600_000 + k);
        let mut said = Vec::new();
        let mut step = |s: &mut Store, c: Change, k: i64| {
            let applied = s.apply(&[a], &c, "alice", t(k)).unwrap();
            said.push(format!("{c:?} -> {applied:?}"));
            applied
        };
        let status = step(s, Change::Status(Status::Responded), 1);
        step(s, Change::Status(Status::Responded), 2);
        step(s, Change::Assign(Some("bob".into())), 3);
        let tag = step(s, Change::Tag("billing".into()), 4);
        step(s, Change::Tag("billing".into()), 5);
        step(s, Change::Note("called them".into()), 6);
        let judged = step(s, Change::Judge(Judgement::parse("negative +complaint").unwrap()), 7);
        let mut said2 = said.clone();
        said2.push(format!("{:?}", s.known_tags().unwrap()));
        said2.push(format!("{:?}", s.model_accuracy(None).unwrap()));
        said2.push(format!("{:?}", s.judgement_of(a).unwrap()));
        said2.push(format!("{:?}", s.batch_time(status.batch.unwrap()).unwrap()));
        said2.push(format!("{:?}", s.mark_read("alice", a, t(8)).unwrap()));
        said2.push(format!("{:?}", s.mark_read("alice", a, t(9)).unwrap()));
        let rows = |s: &Store| -> String {
            format!(
                "{:?}",
                s.db()
                    .query_map(
                        "SELECT id, status, assignee, responded_by, first_response_at, sentiment, intent, priority_rank
                         FROM mentions ORDER BY id",
                        crate::store::db::params![],
                        |r| {
                            Ok((
                                r.get::<i64>(0)?,
                                r.get::<String>(1)?,
                                r.get::<Option<String>>(2)?,
                                r.get::<Option<String>>(3)?,
                                r.get::<Option<i64>>(4)?,
                                r.get::<Option<f64>>(5)?,
                                r.get::<i64>(6)?,
                                r.get::<i64>(7)?,
                            ))
                        },
                    )
                    .unwrap()
            )
        };
        said2.push(rows(s));
        for batch in [judged.batch, tag.batch, status.batch].into_iter().flatten() {
            said2.push(format!("undo {batch}: {}", s.undo(batch, "alice", t(10)).unwrap()));
        }
        said2.push(rows(s));
        said2.push(format!("{:?}", s.known_tags().unwrap()));
        said2.push(format!("{:?}", s.known_operators().unwrap()));
        said2
    }

    #[test]
    fn triage_and_undo_alike_on_sqlite_and_postgres() {
        let dir = tempfile::tempdir().unwrap();
        let on_sqlite = triage_scenario(&mut Store::open(&dir.path().join("t.db")).unwrap());
        assert!(
            on_sqlite[0].ends_with("changed: 2 }"),
            "the story's place too: {on_sqlite:?}"
        );
        let Some(pg) = crate::store::postgres::testing::database() else {
            return;
        };
        let on_pg = triage_scenario(&mut pg.store());
        for (l, p) in on_sqlite.iter().zip(&on_pg) {
            assert_eq!(l, p);
        }
        assert_eq!(on_sqlite.len(), on_pg.len());
    }
}
