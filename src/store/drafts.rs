//! Reply drafts, saved as the operator types, and the record of a response: when, by whom, with
//! what text, and what the service returned. A draft moves to `sending` in its own transaction
//! before a send, so one confirmation can never send twice.

use super::db::{self, Db, params};
use super::triage::next_batch;
use super::{Doing, Result, Store, from_ts, to_ts};
use chrono::{DateTime, Utc};

/// A draft as the Drafts pane lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct DraftRow {
    pub mention_id: i64,
    pub writer: String,
    pub body: String,
    pub updated_at: DateTime<Utc>,
    pub sending: bool,
    /// Waiting for an approver (`[team] approval`).
    pub awaiting: bool,
    /// Sent back by an approver: who, and their note.
    pub returned: Option<(String, String)>,
    pub feed: String,
    pub mention_author: Option<String>,
    pub mention_title: Option<String>,
}

/// Whether a send may go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Begin {
    /// Claimed for this send.
    Started,
    /// Being sent already (another confirmation, or another process): not twice.
    InFlight,
    /// A teammate answered since the draft was opened.
    Overtaken(OtherAnswer),
}

/// A teammate's answer that landed while a draft was open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OtherAnswer {
    pub by: String,
    pub at: DateTime<Utc>,
    /// "replied", "recorded a response", "marked it responded", "ignored it".
    pub what: String,
    /// The other answer's text, when there is one.
    pub text: Option<String>,
}

/// What a send and a submission check first, in their transaction: `writer`'s draft is saved with
/// `body` (its baseline kept), and the reply may go on (`None`) unless it is being sent already or a
/// teammate answered since the draft was opened. After a refusal the draft counts that answer as
/// seen, so confirming again goes on.
fn guard(
    db: Db<'_>,
    mention_id: i64,
    body: &str,
    writer: &str,
    seen_action: Option<i64>,
    at: i64,
) -> db::Result<Option<Begin>> {
    db.execute(
        "INSERT INTO drafts (mention_id, author, body, created_at, updated_at, opened_at, seen_action)
         VALUES (?1, ?2, ?3, ?4, ?4, ?4, ?5)
         ON CONFLICT (mention_id, author) DO UPDATE SET body = ?3, updated_at = ?4,
            seen_action = coalesce(drafts.seen_action, ?5)
         WHERE drafts.state IN ('open', 'returned', 'awaiting')",
        params![mention_id, writer, body, at, seen_action],
    )?;
    let (state, seen): (String, Option<i64>) = db.query_row(
        "SELECT state, seen_action FROM drafts WHERE mention_id = ?1 AND author = ?2",
        params![mention_id, writer],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    if state == "sending" {
        return Ok(Some(Begin::InFlight));
    }
    if let Some(other) = overtaken(db, mention_id, writer, seen.unwrap_or(0))? {
        db.execute(
            "UPDATE drafts SET seen_action = (SELECT max(id) FROM actions WHERE mention_id = ?1)
             WHERE mention_id = ?1 AND author = ?2",
            params![mention_id, writer],
        )?;
        return Ok(Some(Begin::Overtaken(other)));
    }
    Ok(None)
}

/// The newest answer by someone other than `writer` after action `seen`.
fn overtaken(db: Db<'_>, mention_id: i64, writer: &str, seen: i64) -> db::Result<Option<OtherAnswer>> {
    let row: Option<(String, String, Option<String>, i64)> = db.query_opt(
        "SELECT actor, action, to_value, at FROM actions
             WHERE mention_id = ?1 AND id > ?2 AND actor <> ?3
               AND (action IN ('reply', 'response') OR (action = 'status' AND to_value IN ('responded', 'ignored')))
             ORDER BY (action IN ('reply', 'response')) DESC, id DESC LIMIT 1",
        params![mention_id, seen, writer],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
    )?;
    Ok(row.map(|(by, action, to, at)| {
        let (what, text) = match (action.as_str(), to.as_deref()) {
            ("reply", _) => ("replied", to),
            ("response", _) => ("recorded a response", to),
            (_, Some("ignored")) => ("ignored it", None),
            _ => ("marked it responded", None),
        };
        OtherAnswer {
            by,
            at: from_ts(at),
            what: what.into(),
            text,
        }
    }))
}

/// What a sent reply returned.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Sent {
    pub id: Option<String>,
    pub url: Option<String>,
}

impl Store {
    /// Save `writer`'s draft of an answer to `mention_id` (creating it on first save, with
    /// `seen_action`: the newest action on the mention its writer had seen when they opened it).
    /// Empty text deletes the draft.
    pub fn save_draft(
        &mut self,
        mention_id: i64,
        writer: &str,
        body: &str,
        seen_action: Option<i64>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let at = to_ts(now);
        self.write_db("saving a draft", |db| {
            if body.trim().is_empty() {
                db.execute(
                    "DELETE FROM drafts WHERE mention_id = ?1 AND author = ?2 AND state IN ('open', 'returned')",
                    params![mention_id, writer],
                )?;
            } else {
                db.execute(
                    "INSERT INTO drafts (mention_id, author, body, created_at, updated_at, opened_at, seen_action)
                     VALUES (?1, ?2, ?3, ?4, ?4, ?4, ?5)
                     ON CONFLICT (mention_id, author) DO UPDATE SET body = ?3, updated_at = ?4,
                        state = CASE WHEN drafts.state = 'awaiting' THEN 'awaiting' ELSE 'open' END,
                        seen_action = coalesce(drafts.seen_action, ?5)
                     WHERE drafts.state IN ('open', 'returned', 'awaiting') AND drafts.body IS NOT ?3",
                    params![mention_id, writer, body, at, seen_action],
                )?;
            }
            Ok(())
        })
    }

    /// `writer`'s draft of an answer to `mention_id`.
    pub fn draft(&self, mention_id: i64, writer: &str) -> Result<Option<DraftRow>> {
        let sql = format!("{DRAFT_SELECT} WHERE d.mention_id = ?1 AND d.author = ?2");
        self.db()
            .query_opt(&sql, params![mention_id, writer], draft_from_row)
            .doing("reading a draft")
    }

    /// Every draft of the team, most recently touched first.
    pub fn drafts(&self) -> Result<Vec<DraftRow>> {
        let sql = format!("{DRAFT_SELECT} ORDER BY d.updated_at DESC, d.mention_id DESC, d.author");
        self.db()
            .query_map(&sql, params![], draft_from_row)
            .doing("reading drafts")
    }

    pub fn discard_draft(&mut self, mention_id: i64, writer: &str) -> Result<bool> {
        self.write_db("discarding a draft", |db| {
            Ok(db.execute(
                "DELETE FROM drafts WHERE mention_id = ?1 AND author = ?2 AND state IN ('open', 'returned')",
                params![mention_id, writer],
            )? == 1)
        })
    }

    /// The newest action on a mention (the baseline of the send guard), if any.
    pub fn latest_action(&self, mention_id: i64) -> Result<Option<i64>> {
        self.db()
            .query_row(
                "SELECT max(id) FROM actions WHERE mention_id = ?1",
                params![mention_id],
                |r| r.get(0),
            )
            .doing("reading a mention's history")
    }

    /// Claim `writer`'s draft for one send, unless it is being sent already, or a teammate answered
    /// the mention (a reply, a recorded response, or its status set to responded or ignored) since
    /// the draft was opened: then nothing is sent, the draft is kept, and the other answer is said.
    /// After a refusal the draft counts that answer as seen, so confirming again sends.
    pub fn begin_send(
        &mut self,
        mention_id: i64,
        body: &str,
        writer: &str,
        seen_action: Option<i64>,
        now: DateTime<Utc>,
    ) -> Result<Begin> {
        let at = to_ts(now);
        self.write_db("starting a send", |db| {
            if let Some(refused) = guard(db, mention_id, body, writer, seen_action, at)? {
                return Ok(refused);
            }
            db.execute(
                "UPDATE drafts SET state = 'sending' WHERE mention_id = ?1 AND author = ?2",
                params![mention_id, writer],
            )?;
            Ok(Begin::Started)
        })
    }

    /// A reply that waits for an approver (`[team] approval`): the same guard as a send, then the
    /// draft waits, and its history says so.
    pub fn submit_for_approval(
        &mut self,
        mention_id: i64,
        body: &str,
        writer: &str,
        seen_action: Option<i64>,
        now: DateTime<Utc>,
    ) -> Result<Begin> {
        let at = to_ts(now);
        self.write_db("submitting a reply for approval", |db| {
            if let Some(refused) = guard(db, mention_id, body, writer, seen_action, at)? {
                return Ok(refused);
            }
            db.execute(
                "UPDATE drafts SET state = 'awaiting', review_note = NULL, reviewed_by = NULL
                 WHERE mention_id = ?1 AND author = ?2",
                params![mention_id, writer],
            )?;
            db.execute(
                "INSERT INTO actions (mention_id, actor, action, from_value, to_value, at, batch)
                 VALUES (?1, ?2, 'submitted', NULL, ?3, ?4, ?5)",
                params![mention_id, writer, body, at, next_batch(db)?],
            )?;
            Ok(Begin::Started)
        })
    }

    /// An approver sends `writer`'s waiting reply back with a note: the draft is theirs to edit
    /// again, and the history says who sent it back and why. False when it was not waiting.
    pub fn return_draft(
        &mut self,
        mention_id: i64,
        writer: &str,
        note: &str,
        reviewer: &str,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let at = to_ts(now);
        self.write_db("sending a reply back", |db| {
            let changed = db.execute(
                "UPDATE drafts SET state = 'returned', review_note = ?3, reviewed_by = ?4, updated_at = ?5
                 WHERE mention_id = ?1 AND author = ?2 AND state = 'awaiting'",
                params![mention_id, writer, note, reviewer, at],
            )?;
            if changed == 1 {
                db.execute(
                    "INSERT INTO actions (mention_id, actor, action, from_value, to_value, at, batch)
                     VALUES (?1, ?2, 'returned', ?3, ?4, ?5, ?6)",
                    params![mention_id, reviewer, writer, note, at, next_batch(db)?],
                )?;
            }
            Ok(changed == 1)
        })
    }

    /// A send failed: the draft is open again, its text kept.
    pub fn fail_send(&mut self, mention_id: i64, writer: &str) -> Result<()> {
        self.write_db("keeping a draft after a failed send", |db| {
            db.execute(
                "UPDATE drafts SET state = 'open' WHERE mention_id = ?1 AND author = ?2",
                params![mention_id, writer],
            )?;
            Ok(())
        })
    }

    /// Record the response to a mention: responded now by `actor` with `text` (and what the
    /// service returned, when it was sent), the draft gone, the history written. One transaction.
    pub fn record_response(
        &mut self,
        mention_id: i64,
        text: &str,
        sent: &Sent,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        self.record_response_approved(mention_id, text, sent, actor, None, now)
    }

    /// [`Store::record_response`] of `writer`'s reply, sent by `approver` when it is someone else
    /// (`[team] approval`): the response is the writer's, the approval is in the history too.
    pub fn record_response_approved(
        &mut self,
        mention_id: i64,
        text: &str,
        sent: &Sent,
        actor: &str,
        approver: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let at = to_ts(now);
        self.write_db("recording a response", |db| {
            let old: String =
                db.query_row("SELECT status FROM mentions WHERE id = ?1", params![mention_id], |r| r.get(0))?;
            db.execute(
                "UPDATE mentions SET status = 'responded', status_at = ?2, updated_at = ?2,
                    responded_at = ?2, responded_by = ?3, response_text = ?4,
                    first_response_at = coalesce(first_response_at, ?2),
                    response_id = coalesce(?5, response_id), response_url = coalesce(?6, response_url)
                 WHERE id = ?1",
                params![mention_id, at, actor, text, sent.id, sent.url],
            )?;
            let batch = next_batch(db)?;
            let what = if sent.id.is_some() || sent.url.is_some() { "reply" } else { "response" };
            db.execute(
                "INSERT INTO actions (mention_id, actor, action, from_value, to_value, at, batch) VALUES (?1, ?2, 'status', ?3, 'responded', ?4, ?5)",
                params![mention_id, actor, old, at, batch],
            )?;
            db.execute(
                "INSERT INTO actions (mention_id, actor, action, from_value, to_value, at, batch) VALUES (?1, ?2, ?3, NULL, ?4, ?5, ?6)",
                params![mention_id, actor, what, text, at, batch],
            )?;
            if let Some(a) = approver.filter(|a| *a != actor) {
                db.execute(
                    "INSERT INTO actions (mention_id, actor, action, from_value, to_value, at, batch)
                     VALUES (?1, ?2, 'approved', ?3, NULL, ?4, ?5)",
                    params![mention_id, a, actor, at, batch],
                )?;
            }
            db.execute(
                "DELETE FROM drafts WHERE mention_id = ?1 AND author = ?2",
                params![mention_id, actor],
            )?;
            Ok(())
        })
    }

    /// The recorded response text of a mention.
    pub fn response_text(&self, mention_id: i64) -> Result<Option<String>> {
        self.db()
            .query_opt(
                "SELECT response_text FROM mentions WHERE id = ?1",
                params![mention_id],
                |r| r.get(0),
            )
            .doing("reading a response")
            .map(Option::flatten)
    }
}

const DRAFT_SELECT: &str = "SELECT d.mention_id, d.author, d.body, d.updated_at, d.state, f.name, m.author, m.title,
            d.reviewed_by, d.review_note
     FROM drafts d JOIN mentions m ON m.id = d.mention_id JOIN feeds f ON f.id = m.feed_id";

fn draft_from_row(r: &db::Row<'_>) -> db::Result<DraftRow> {
    Ok(DraftRow {
        mention_id: r.get(0)?,
        writer: r.get(1)?,
        body: r.get(2)?,
        updated_at: from_ts(r.get(3)?),
        sending: r.get::<String>(4)? == "sending",
        awaiting: r.get::<String>(4)? == "awaiting",
        returned: match (r.get::<String>(4)?.as_str(), r.get::<Option<String>>(8)?) {
            ("returned", Some(by)) => Some((by, r.get::<Option<String>>(9)?.unwrap_or_default())),
            _ => None,
        },
        feed: r.get(5)?,
        mention_author: r.get(6)?,
        mention_title: r.get(7)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{FeedKind, NewMention};
    use crate::store::PollWrite;

    /// One new mention on each backend the tests reach, with its id.
    fn store() -> Vec<(crate::store::TestPlace, Store, i64)> {
        crate::store::each_backend()
            .into_iter()
            .map(|(place, mut s)| {
                let id = fill(&mut s);
                (place, s, id)
            })
            .collect()
    }

    fn fill(s: &mut Store) -> i64 {
        let feed = s.ensure_feed("f", FeedKind::Rss).unwrap();
        let m = NewMention {
            external_id: Some("1".into()),
            text: "help".into(),
            author: Some("bob".into()),
            ..Default::default()
        };
        s.write_poll(
            feed,
            FeedKind::Rss,
            &PollWrite {
                mentions: vec![m],
                status: 200,
                next_poll_at: Utc::now(),
                ..Default::default()
            },
            Utc::now(),
        )
        .unwrap();
        s.db()
            .query_row("SELECT id FROM mentions", db::params![], |r| r.get(0))
            .unwrap()
    }

    #[test]
    fn drafts_save_list_and_discard() {
        for (_d, mut s, id) in store() {
            s.save_draft(id, "alice", "Hi Bob", None, Utc::now()).unwrap();
            s.save_draft(id, "alice", "Hi Bob, sorry", None, Utc::now()).unwrap();
            let d = s.drafts().unwrap();
            assert_eq!(d.len(), 1);
            assert_eq!(
                (d[0].body.as_str(), d[0].writer.as_str(), d[0].mention_author.as_deref()),
                ("Hi Bob, sorry", "alice", Some("bob"))
            );
            s.save_draft(id, "alice", "  ", None, Utc::now()).unwrap();
            assert!(s.drafts().unwrap().is_empty(), "an emptied draft is gone");
            s.save_draft(id, "alice", "again", None, Utc::now()).unwrap();
            assert!(s.discard_draft(id, "alice").unwrap());
            assert_eq!(s.draft(id, "alice").unwrap(), None);
        }
    }

    #[test]
    fn one_confirmation_sends_once_and_a_failure_keeps_the_text() {
        for (_d, mut s, id) in store() {
            assert_eq!(
                s.begin_send(id, "Thanks!", "alice", None, Utc::now()).unwrap(),
                Begin::Started
            );
            assert_eq!(
                s.begin_send(id, "Thanks!", "alice", None, Utc::now()).unwrap(),
                Begin::InFlight,
                "already sending"
            );
            s.save_draft(id, "alice", "edited meanwhile", None, Utc::now()).unwrap();
            assert_eq!(
                s.draft(id, "alice").unwrap().unwrap().body,
                "Thanks!",
                "a draft being sent is not changed"
            );
            s.fail_send(id, "alice").unwrap();
            let d = s.draft(id, "alice").unwrap().unwrap();
            assert!(!d.sending);
            assert_eq!(d.body, "Thanks!");
        }
    }

    #[test]
    fn a_response_is_recorded_with_time_operator_and_text() {
        for (_d, mut s, id) in store() {
            s.save_draft(id, "alice", "Thanks!", None, Utc::now()).unwrap();
            let t = Utc::now();
            s.record_response(
                id,
                "Thanks!",
                &Sent {
                    id: Some("99".into()),
                    url: Some("https://m.example/@acme/99".into()),
                },
                "alice",
                t,
            )
            .unwrap();
            let (status, at, by, text, rid): (String, i64, String, String, String) = s
                .db()
                .query_row(
                    "SELECT status, responded_at, responded_by, response_text, response_id FROM mentions WHERE id = ?1",
                    db::params![id],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
                )
                .unwrap();
            assert_eq!(
                (status.as_str(), at, by.as_str(), text.as_str(), rid.as_str()),
                ("responded", t.timestamp(), "alice", "Thanks!", "99")
            );
            assert_eq!(s.draft(id, "alice").unwrap(), None);
            let h = s.detail("alice", id).unwrap().unwrap().history;
            assert_eq!(
                h.iter().map(|e| e.event.clone()).collect::<Vec<_>>(),
                vec![
                    crate::store::HistoryEvent::Status {
                        from: "new".into(),
                        to: "responded".into()
                    },
                    crate::store::HistoryEvent::Replied("Thanks!".into())
                ],
                "the final text stays readable in the history"
            );
        }
    }

    #[test]
    fn two_writers_keep_their_own_drafts_and_the_second_send_is_refused_with_the_first_answer() {
        for (_d, mut s, id) in store() {
            let seen = s.latest_action(id).unwrap();
            s.save_draft(id, "alice", "Sorry, refunded!", seen, Utc::now()).unwrap();
            s.save_draft(id, "bob", "Hi, DM us", seen, Utc::now()).unwrap();
            assert_eq!(s.drafts().unwrap().len(), 2, "neither overwrote the other");
            assert_eq!(
                s.begin_send(id, "Sorry, refunded!", "alice", seen, Utc::now()).unwrap(),
                Begin::Started
            );
            s.record_response(id, "Sorry, refunded!", &Sent::default(), "alice", Utc::now())
                .unwrap();
            assert_eq!(s.draft(id, "alice").unwrap(), None);
            match s.begin_send(id, "Hi, DM us", "bob", seen, Utc::now()).unwrap() {
                Begin::Overtaken(other) => {
                    assert_eq!(
                        (other.by.as_str(), other.what.as_str(), other.text.as_deref()),
                        ("alice", "recorded a response", Some("Sorry, refunded!"))
                    );
                }
                other => panic!("{other:?}"),
            }
            let kept = s.draft(id, "bob").unwrap().unwrap();
            assert_eq!(
                (kept.body.as_str(), kept.sending),
                ("Hi, DM us", false),
                "the draft is kept"
            );
            // Having seen alice's answer, bob may still send his: the second confirmation goes.
            assert_eq!(
                s.begin_send(id, "Hi, DM us", "bob", seen, Utc::now()).unwrap(),
                Begin::Started
            );
        }
    }

    #[test]
    fn ones_own_status_change_does_not_stop_ones_own_send() {
        for (_d, mut s, id) in store() {
            let seen = s.latest_action(id).unwrap();
            s.save_draft(id, "alice", "Thanks!", seen, Utc::now()).unwrap();
            s.apply(
                &[id],
                &crate::store::Change::Status(crate::model::Status::Open),
                "alice",
                Utc::now(),
            )
            .unwrap();
            s.apply(
                &[id],
                &crate::store::Change::Status(crate::model::Status::Ignored),
                "alice",
                Utc::now(),
            )
            .unwrap();
            assert_eq!(
                s.begin_send(id, "Thanks!", "alice", seen, Utc::now()).unwrap(),
                Begin::Started
            );
        }
    }

    /// Two writers on one mention, the send guard between them, an approval sent back: what
    /// each step said, on either backend.
    fn guard_scenario(s: &mut Store) -> Vec<String> {
        let id = crate::store::bare_mention(s, "1");
        let t = |k: i64| from_ts(1_764_500_000 + k);
        let mut said = Vec::new();
        let seen = s.latest_action(id).unwrap();
        s.save_draft(id, "alice", "Sorry, refunded!", seen, t(1)).unwrap();
        s.save_draft(id, "bob", "Hi, DM us", seen, t(2)).unwrap();
        said.push(format!("{:?}", s.drafts().unwrap()));
        said.push(format!(
            "{:?}",
            s.begin_send(id, "Sorry, refunded!", "alice", seen, t(3)).unwrap()
        ));
        said.push(format!(
            "{:?}",
            s.begin_send(id, "Sorry, refunded!", "alice", seen, t(3)).unwrap()
        ));
        s.record_response(id, "Sorry, refunded!", &Sent::default(), "alice", t(4))
            .unwrap();
        said.push(format!("{:?}", s.response_text(id).unwrap()));
        said.push(format!(
            "{:?}",
            s.begin_send(id, "Hi, DM us", "bob", seen, t(5)).unwrap()
        ));
        said.push(format!("{:?}", s.draft(id, "bob").unwrap()));
        said.push(format!(
            "{:?}",
            s.submit_for_approval(id, "Hi, DM us", "bob", seen, t(6)).unwrap()
        ));
        said.push(format!(
            "{:?}",
            s.return_draft(id, "bob", "too curt", "carol", t(7)).unwrap()
        ));
        said.push(format!("{:?}", s.draft(id, "bob").unwrap()));
        said.push(format!("{:?}", s.latest_action(id).unwrap()));
        said.push(format!("{:?}", s.discard_draft(id, "bob").unwrap()));
        said
    }

    #[test]
    fn the_send_guard_holds_alike_on_sqlite_and_postgres() {
        let dir = tempfile::tempdir().unwrap();
        let on_sqlite = guard_scenario(&mut Store::open(&dir.path().join("g.db")).unwrap());
        assert!(on_sqlite[4].starts_with("Overtaken"), "{on_sqlite:?}");
        let Some(pg) = crate::store::postgres::testing::database() else {
            return;
        };
        assert_eq!(guard_scenario(&mut pg.store()), on_sqlite);
    }
}
