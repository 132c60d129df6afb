//! Triage writes: status, assignment, tags, notes, read marks, and undo. Every change is one
//! transaction and leaves a row in `actions` with who and when, grouped in a batch so it can be
//! undone as one.

use super::{Doing, Result, Store, from_ts, to_ts};
use crate::model::Status;
use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, Transaction, params};

/// One triage change, applied to one or many mentions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    Status(Status),
    /// `None` unassigns.
    Assign(Option<String>),
    Tag(String),
    Untag(String),
    Note(String),
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

pub(super) fn next_batch(tx: &Transaction<'_>) -> rusqlite::Result<i64> {
    tx.query_row("SELECT coalesce(max(batch), 0) + 1 FROM actions", [], |r| r.get(0))
}

/// Who made a change, when, in which batch.
#[derive(Clone, Copy)]
pub(super) struct Stamp<'a> {
    pub(super) actor: &'a str,
    pub(super) at: i64,
    pub(super) batch: i64,
}

fn log(
    tx: &Transaction<'_>,
    id: i64,
    stamp: Stamp<'_>,
    action: &str,
    from: Option<&str>,
    to: Option<&str>,
) -> rusqlite::Result<()> {
    tx.prepare_cached(
        "INSERT INTO actions (mention_id, actor, action, from_value, to_value, at, batch) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![id, stamp.actor, action, from, to, stamp.at, stamp.batch])?;
    Ok(())
}

/// Set a status and keep the response fields in step.
fn set_status(tx: &Transaction<'_>, id: i64, status: &str, actor: &str, at: i64) -> rusqlite::Result<()> {
    tx.prepare_cached(
        "UPDATE mentions SET status = ?2, status_at = ?4, updated_at = ?4,
            responded_at = CASE WHEN ?2 = 'responded' THEN coalesce(responded_at, ?4) ELSE responded_at END,
            responded_by = CASE WHEN ?2 = 'responded' THEN coalesce(responded_by, ?3) ELSE responded_by END,
            first_response_at = CASE WHEN ?2 = 'responded' THEN coalesce(first_response_at, ?4) ELSE first_response_at END
         WHERE id = ?1",
    )?
    .execute(params![id, status, actor, at])?;
    Ok(())
}

pub(super) fn apply_one(tx: &Transaction<'_>, id: i64, change: &Change, stamp: Stamp<'_>) -> rusqlite::Result<bool> {
    let (actor, at) = (stamp.actor, stamp.at);
    match change {
        Change::Status(s) => {
            let old: Option<String> = tx
                .query_row("SELECT status FROM mentions WHERE id = ?1", [id], |r| r.get(0))
                .optional()?;
            let Some(old) = old.filter(|o| o != s.as_str()) else {
                return Ok(false);
            };
            set_status(tx, id, s.as_str(), actor, at)?;
            log(tx, id, stamp, "status", Some(&old), Some(s.as_str()))?;
        }
        Change::Assign(to) => {
            let old: Option<Option<String>> = tx
                .query_row("SELECT assignee FROM mentions WHERE id = ?1", [id], |r| r.get(0))
                .optional()?;
            let Some(old) = old.filter(|o| o != to) else {
                return Ok(false);
            };
            tx.execute(
                "UPDATE mentions SET assignee = ?2, updated_at = ?3 WHERE id = ?1",
                params![id, to, at],
            )?;
            log(tx, id, stamp, "assign", old.as_deref(), to.as_deref())?;
        }
        Change::Tag(t) => {
            if tx.execute(
                "INSERT OR IGNORE INTO mention_tags (mention_id, tag) VALUES (?1, ?2)",
                params![id, t],
            )? == 0
            {
                return Ok(false);
            }
            log(tx, id, stamp, "tag", None, Some(t))?;
        }
        Change::Untag(t) => {
            if tx.execute(
                "DELETE FROM mention_tags WHERE mention_id = ?1 AND tag = ?2",
                params![id, t],
            )? == 0
            {
                return Ok(false);
            }
            log(tx, id, stamp, "untag", Some(t), None)?;
        }
        Change::Note(body) => {
            tx.execute(
                "INSERT INTO notes (mention_id, author, body, created_at) VALUES (?1, ?2, ?3, ?4)",
                params![id, actor, body, at],
            )?;
            let note = tx.last_insert_rowid().to_string();
            log(tx, id, stamp, "note", None, Some(&note))?;
        }
    }
    Ok(true)
}

impl Store {
    /// Apply `change` to every mention in `ids` as `actor`, in one transaction.
    pub fn apply(&mut self, ids: &[i64], change: &Change, actor: &str, now: DateTime<Utc>) -> Result<Applied> {
        let at = to_ts(now);
        self.write("saving a triage change", |tx| {
            let batch = next_batch(tx)?;
            let mut changed = 0;
            for id in ids {
                if apply_one(tx, *id, change, Stamp { actor, at, batch })? {
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
        self.write("undoing a triage change", |tx| {
            let rows: Vec<Logged> = tx
                .prepare(
                    "SELECT mention_id, action, from_value, to_value, at FROM actions
                     WHERE batch = ?1 AND actor = ?2 ORDER BY id DESC",
                )?
                .query_map(params![batch, actor], |r| {
                    Ok(Logged { id: r.get(0)?, action: r.get(1)?, from: r.get(2)?, to: r.get(3)?, when: r.get(4)? })
                })?
                .collect::<rusqlite::Result<_>>()?;
            let undo = Stamp { actor, at, batch: next_batch(tx)? };
            let mut reversed = 0;
            for Logged { id, action, from, to, when } in rows {
                let done = match action.as_str() {
                    "status" => {
                        let (Some(from), Some(to)) = (from.as_deref(), to.as_deref()) else { continue };
                        let current: String = tx.query_row("SELECT status FROM mentions WHERE id = ?1", [id], |r| r.get(0))?;
                        if current != to {
                            continue;
                        }
                        set_status(tx, id, from, actor, at)?;
                        if to == "responded" {
                            // The response this batch recorded did not happen.
                            tx.execute(
                                "UPDATE mentions SET
                                    first_response_at = CASE WHEN first_response_at = ?2 THEN NULL ELSE first_response_at END,
                                    responded_at = CASE WHEN responded_at = ?2 THEN NULL ELSE responded_at END,
                                    responded_by = CASE WHEN responded_at IS NULL OR responded_at = ?2 THEN NULL ELSE responded_by END
                                 WHERE id = ?1",
                                params![id, when],
                            )?;
                        }
                        log(tx, id, undo, "status", Some(to), Some(from))?;
                        true
                    }
                    "assign" => {
                        let current: Option<String> =
                            tx.query_row("SELECT assignee FROM mentions WHERE id = ?1", [id], |r| r.get(0))?;
                        if current != to {
                            continue;
                        }
                        tx.execute("UPDATE mentions SET assignee = ?2, updated_at = ?3 WHERE id = ?1", params![id, from, at])?;
                        log(tx, id, undo, "assign", to.as_deref(), from.as_deref())?;
                        true
                    }
                    "tag" => {
                        let Some(t) = to else { continue };
                        tx.execute("DELETE FROM mention_tags WHERE mention_id = ?1 AND tag = ?2", params![id, t])? > 0
                            && {
                                log(tx, id, undo, "untag", Some(&t), None)?;
                                true
                            }
                    }
                    "untag" => {
                        let Some(t) = from else { continue };
                        tx.execute("INSERT OR IGNORE INTO mention_tags (mention_id, tag) VALUES (?1, ?2)", params![id, t])? > 0
                            && {
                                log(tx, id, undo, "tag", None, Some(&t))?;
                                true
                            }
                    }
                    "note" => {
                        let Some(note) = to.and_then(|n| n.parse::<i64>().ok()) else { continue };
                        tx.execute("DELETE FROM notes WHERE id = ?1", [note])? > 0 && {
                            log(tx, id, undo, "unnote", Some(&note.to_string()), None)?;
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

    /// Mark a mention read by `operator`. True when it was unread.
    pub fn mark_read(&mut self, operator: &str, id: i64, now: DateTime<Utc>) -> Result<bool> {
        self.write("marking a mention read", |tx| {
            Ok(tx.execute(
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
        let mut stmt = self.conn().prepare_cached(sql).doing("reading names")?;
        let rows = stmt.query_map([], |r| r.get(0)).doing("reading names")?;
        rows.collect::<rusqlite::Result<Vec<String>>>().doing("reading names")
    }

    /// When the batch was made, if it exists.
    pub fn batch_time(&self, batch: i64) -> Result<Option<DateTime<Utc>>> {
        self.conn()
            .query_row("SELECT min(at) FROM actions WHERE batch = ?1", [batch], |r| {
                r.get::<_, Option<i64>>(0)
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

    fn store_with(n: usize) -> (tempfile::TempDir, Store, Vec<i64>) {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Store::open(&dir.path().join("db")).unwrap();
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
        let ids = s
            .conn()
            .prepare("SELECT id FROM mentions ORDER BY id")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(|r| r.unwrap())
            .collect();
        (dir, s, ids)
    }

    fn field<T: rusqlite::types::FromSql>(s: &Store, sql: &str, id: i64) -> T {
        s.conn().query_row(sql, [id], |r| r.get(0)).unwrap()
    }

    #[test]
    fn a_status_change_is_recorded_with_who_and_when_and_response_time() {
        let (_d, mut s, ids) = store_with(2);
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

    #[test]
    fn undo_reverses_a_batch_unless_someone_changed_it_since() {
        let (_d, mut s, ids) = store_with(3);
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

    #[test]
    fn assign_tag_note_and_their_undo() {
        let (_d, mut s, ids) = store_with(1);
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

    #[test]
    fn read_marks_are_per_operator() {
        let (_d, mut s, ids) = store_with(1);
        assert!(s.mention("alice", ids[0]).unwrap().unwrap().unread);
        assert!(s.mark_read("alice", ids[0], Utc::now()).unwrap());
        assert!(!s.mark_read("alice", ids[0], Utc::now()).unwrap());
        assert!(!s.mention("alice", ids[0]).unwrap().unwrap().unread);
        assert!(s.mention("bob", ids[0]).unwrap().unwrap().unread);
    }
}
