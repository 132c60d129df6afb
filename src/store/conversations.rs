//! Conversations: a mention that answers another (its source's `parent`, in a thread whose
//! first post is `root`) joins that mention's conversation as it arrives. When the team has
//! answered in the conversation, a new message from someone else is a follow-up: it comes back
//! open, to the operator who answered, tagged `follow-up`, so that the stream says the customer
//! answered.

use super::db::{self, Db, params};
use super::feeds::stored_id;
use super::triage::{Stamp, apply_one, next_batch};
use super::{Change, Doing, Result, Store, to_ts};
use crate::model::{FeedKind, Status, ThreadOf, Watched};
use chrono::{DateTime, Utc};

/// The tag a follow-up gets.
pub const FOLLOW_UP: &str = "follow-up";
/// Who the history says moved a follow-up.
const ACTOR: &str = "overhear:follow-up";

/// A new mention in a thread: id, feed, kind, parent and root refs, place in the stream.
type Arrived = (i64, i64, String, Option<String>, Option<String>, i64);

/// File the mentions written after `newest_before` in their conversations; what came back to the
/// team (follow-ups) is reopened and assigned. How many follow-ups there were.
pub(super) fn link(
    db: Db<'_>,
    newest_before: i64,
    now: DateTime<Utc>,
    weights: &crate::score::priority::Weights,
) -> db::Result<usize> {
    let arrived: Vec<Arrived> = db.query_map(
        "SELECT id, feed_id, kind, parent_ref, root_ref, sort_at FROM mentions
         WHERE id > ?1 AND (parent_ref IS NOT NULL OR root_ref IS NOT NULL) ORDER BY id",
        params![newest_before],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?)),
    )?;
    let mut follow_ups = 0;
    for (id, feed_id, kind, parent, root, sort_at) in arrived {
        let k: FeedKind = kind.parse().unwrap_or(FeedKind::Rss);
        let Some(Joined { conversation, answered }) =
            joined(db, id, feed_id, k, &kind, parent.as_deref(), root.as_deref())?
        else {
            continue;
        };
        db.execute(
            "UPDATE mentions SET conversation_id = ?2 WHERE id = ?1",
            params![id, conversation],
        )?;
        // A reply to one of our answers, or a message after we answered in the conversation: the
        // team's turn again, for whoever answered (a reply to our answer comes after it, whatever
        // the clocks say).
        let answered: Option<Option<String>> = match answered {
            Some(by) => Some(by),
            None => db.query_opt(
                "SELECT responded_by FROM mentions
                 WHERE conversation_id = ?1 AND responded_at IS NOT NULL AND responded_at <= ?2 AND id <> ?3
                 ORDER BY responded_at DESC LIMIT 1",
                params![conversation, sort_at.max(0), id],
                |r| r.get(0),
            )?,
        };
        if let Some(by) = answered {
            follow_ups += 1;
            let batch = next_batch(db)?;
            let stamp = || Stamp {
                weights,
                actor: ACTOR,
                at: to_ts(now),
                batch,
            };
            apply_one(db, id, &Change::Status(Status::Open), stamp())?;
            if let Some(by) = by.filter(|b| !b.is_empty()) {
                apply_one(db, id, &Change::Assign(Some(by)), stamp())?;
            }
            apply_one(db, id, &Change::Tag(FOLLOW_UP.to_string()), stamp())?;
        }
    }
    Ok(follow_ups)
}

/// The conversation a new mention joins, if one is stored: the one of the post it answers (or
/// of one of our answers it replies to), else of its thread's first post, else of another
/// mention of the same thread. A conversation is named by its first stored mention.
/// The conversation a message joins, and, when it answers one of our replies, who sent that reply.
struct Joined {
    conversation: i64,
    answered: Option<Option<String>>,
}

fn joined(
    db: Db<'_>,
    id: i64,
    feed_id: i64,
    k: FeedKind,
    kind: &str,
    parent: Option<&str>,
    root: Option<&str>,
) -> db::Result<Option<Joined>> {
    const BY_ID: &str = "SELECT id, conversation_id FROM mentions WHERE kind = ?1 AND external_id = ?2 AND id <> ?3";
    let mut found: Option<(i64, Option<i64>)> = None;
    let mut answered = None;
    // What it answers: one of our replies (a follow-up), else a stored post.
    if let Some(p) = parent
        && let Some((other, c, by)) = db.query_opt(
            "SELECT id, conversation_id, responded_by FROM mentions
             WHERE kind = ?1 AND response_id = ?2 AND id <> ?3 ORDER BY id LIMIT 1",
            params![kind, p, id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get::<Option<String>>(2)?)),
        )?
    {
        found = Some((other, c));
        answered = Some(by);
    }
    for r in [parent, root].into_iter().flatten() {
        if found.is_some() {
            break;
        }
        found = db.query_opt(BY_ID, params![kind, stored_id(k, feed_id, r), id], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?;
    }
    if found.is_none()
        && let Some(r) = root
    {
        found = db.query_opt(
            "SELECT id, conversation_id FROM mentions WHERE kind = ?1 AND root_ref = ?2 AND id < ?3
             ORDER BY id LIMIT 1",
            params![kind, r, id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
    }
    let Some((other, conversation)) = found else {
        return Ok(None);
    };
    let conversation = match conversation {
        Some(c) => c,
        None => {
            // The first stored mention of the thread starts the conversation.
            db.execute("UPDATE mentions SET conversation_id = ?1 WHERE id = ?1", params![other])?;
            other
        }
    };
    Ok(Some(Joined { conversation, answered }))
}

/// One message of a conversation as the detail shows it: the mention, and our answer to it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Message {
    pub id: i64,
    pub kind: String,
    pub author: Option<String>,
    pub at: DateTime<Utc>,
    pub text: String,
    pub status: String,
    /// Ours: what the team answered, who and when.
    pub answer: Option<(String, Option<String>, DateTime<Utc>)>,
}

impl Store {
    /// The mentions of feed `feed_id` we answered since `since` (by API or by hand, with what we
    /// said), newest first, at most `limit`: the poller asks the service what answered them.
    pub fn watched(&self, feed_id: i64, since: DateTime<Utc>, limit: usize) -> Result<Vec<Watched>> {
        self.db()
            .query_map(
                "SELECT m.id, m.kind, f.name, m.external_id, m.url, m.parent_ref, m.root_ref, m.author,
                        m.response_id, m.response_text, m.responded_at
                 FROM mentions m JOIN feeds f ON f.id = m.feed_id
                 WHERE m.responded_at >= ?2 AND m.feed_id = ?1
                   AND (m.response_id IS NOT NULL OR m.response_text IS NOT NULL)
                 ORDER BY m.responded_at DESC, m.id DESC LIMIT ?3",
                params![feed_id, to_ts(since), limit],
                |r| {
                    let kind: String = r.get(1)?;
                    Ok(Watched {
                        mention_id: r.get(0)?,
                        of: ThreadOf {
                            kind: kind.parse().unwrap_or(FeedKind::Rss),
                            feed: r.get(2)?,
                            external_id: r.get(3)?,
                            url: r.get(4)?,
                            parent: r.get(5)?,
                            root: r.get(6)?,
                        },
                        author: r.get(7)?,
                        answer_id: r.get(8)?,
                        answer_text: r.get(9)?,
                        answered_at: super::from_ts(r.get(10)?),
                    })
                },
            )
            .doing("reading the answers to watch")
    }

    /// Our reply to `mention` was found in its thread as `id` (an answer handed off by copy and
    /// link): kept, so that what answers it is a follow-up. An id already known is kept.
    pub fn learn_answer(&mut self, mention: i64, id: &str) -> Result<()> {
        self.write_db("keeping our reply's id", |db| {
            db.execute(
                "UPDATE mentions SET response_id = ?2 WHERE id = ?1 AND response_id IS NULL",
                params![mention, id],
            )
            .map(drop)
        })
    }

    /// The conversation a mention is part of, in order (at most `limit` messages, the newest kept),
    /// or an empty list when it is part of none.
    pub fn conversation(&self, mention: i64, limit: usize) -> Result<Vec<Message>> {
        let doing = "reading a conversation";
        let conversation: Option<i64> = self
            .db()
            .query_opt(
                "SELECT conversation_id FROM mentions WHERE id = ?1",
                params![mention],
                |r| r.get(0),
            )
            .doing(doing)?
            .flatten();
        let Some(c) = conversation else { return Ok(Vec::new()) };
        self.db()
            .query_map(
                "SELECT id, kind, author, sort_at, coalesce(title || ': ', '') || text, status,
                        response_text, responded_by, responded_at
                 FROM (SELECT * FROM mentions WHERE conversation_id = ?1 ORDER BY sort_at DESC, id DESC LIMIT ?2) c
                 ORDER BY sort_at, id",
                params![c, limit],
                |r| {
                    let answer = match (r.get::<Option<String>>(6)?, r.get::<Option<i64>>(8)?) {
                        (Some(t), Some(at)) => Some((t, r.get(7)?, super::from_ts(at))),
                        _ => None,
                    };
                    Ok(Message {
                        id: r.get(0)?,
                        kind: r.get(1)?,
                        author: r.get(2)?,
                        at: super::from_ts(r.get(3)?),
                        text: r.get(4)?,
                        status: r.get(5)?,
                        answer,
                    })
                },
            )
            .doing(doing)
    }
}

#[cfg(test)]
mod tests {
    use crate::model::{FeedKind, NewMention, Place};
    use crate::store::{PollWrite, Sent, Store};
    use chrono::{Duration, Utc};

    fn say(s: &mut Store, id: &str, author: &str, parent: Option<&str>, at: chrono::DateTime<Utc>) -> i64 {
        let feed = s.ensure_feed("masto", FeedKind::Mastodon).unwrap();
        let m = NewMention {
            external_id: Some(id.into()),
            author: Some(author.into()),
            text: format!("{author} says something about acme ({id})"),
            published_at: Some(at),
            place: Place {
                parent: parent.map(str::to_string),
                ..Default::default()
            },
            ..Default::default()
        };
        let poll = PollWrite {
            mentions: vec![m],
            status: 200,
            next_poll_at: at,
            ..Default::default()
        };
        s.write_poll(feed, FeedKind::Mastodon, &poll, at).unwrap();
        s.db()
            .query_row("SELECT max(id) FROM mentions", crate::store::db::params![], |r| {
                r.get(0)
            })
            .unwrap()
    }

    #[test]
    fn the_customers_answer_to_our_reply_comes_back_open_to_whoever_answered() {
        let dir = tempfile::tempdir().unwrap();
        follow_up_scenario(&mut Store::open(&dir.path().join("s.db")).unwrap());
        if let Some(pg) = crate::store::postgres::testing::database() {
            follow_up_scenario(&mut pg.store());
        }
    }

    fn follow_up_scenario(s: &mut Store) {
        let t0 = Utc::now() - Duration::hours(3);
        let asked = say(s, "100", "carol@example.social", None, t0);
        let sent = Sent {
            id: Some("555".into()),
            url: Some("https://example.social/@acme/555".into()),
        };
        s.record_response(
            asked,
            "Sorry Carol, we are on it",
            &sent,
            "alice",
            t0 + Duration::minutes(10),
        )
        .unwrap();
        // Someone else's reply to Carol's post, before we answered nothing: part of the thread.
        let aside = say(s, "101", "dave@example.social", Some("100"), t0 + Duration::minutes(5));
        // Carol answers our reply.
        let back = say(s, "102", "carol@example.social", Some("555"), t0 + Duration::hours(1));
        let conv = |id: i64| -> Option<i64> {
            s.db()
                .query_row(
                    "SELECT conversation_id FROM mentions WHERE id = ?1",
                    crate::store::db::params![id],
                    |r| r.get(0),
                )
                .unwrap()
        };
        assert_eq!(conv(asked), Some(asked));
        assert_eq!(conv(aside), Some(asked));
        assert_eq!(conv(back), Some(asked));
        let d = s.detail("bob", back).unwrap().unwrap();
        assert_eq!(d.mention.status, crate::model::Status::Open);
        assert_eq!(d.mention.assignee.as_deref(), Some("alice"));
        assert!(d.tags.iter().any(|t| t == super::FOLLOW_UP), "{:?}", d.tags);
        // Dave's reply came before our answer: not a follow-up, still new.
        let d = s.detail("bob", aside).unwrap().unwrap();
        assert_eq!(d.mention.status, crate::model::Status::New);
        // The conversation in order, our answer with the message it answered.
        let c = s.conversation(back, 50).unwrap();
        assert_eq!(c.iter().map(|m| m.id).collect::<Vec<_>>(), [asked, aside, back]);
        let (text, by, _) = c[0].answer.clone().unwrap();
        assert_eq!(
            (text.as_str(), by.as_deref()),
            ("Sorry Carol, we are on it", Some("alice"))
        );
        // The history says who moved it.
        let h = s.detail("bob", back).unwrap().unwrap().history;
        assert!(h.iter().any(|e| e.actor == "overhear:follow-up"), "{h:?}");
    }

    #[test]
    fn next_reply_time_is_the_wait_for_our_answer_after_the_customer_answered() {
        use chrono::TimeZone;
        for (_d, mut s) in crate::store::each_backend() {
            let day = (Utc::now() - Duration::days(2)).date_naive();
            let t0 = Utc.from_utc_datetime(&day.and_hms_opt(8, 0, 0).unwrap());
            let reply = |s: &mut Store, id: i64, sid: &str, at| {
                let sent = Sent {
                    id: Some(sid.into()),
                    url: None,
                };
                s.record_response(id, "on it", &sent, "alice", at).unwrap();
            };
            // Asked at 08:00, answered 08:10; Carol answers at 09:00, we at 09:30 (30 min); she
            // answers again at 10:00, we at 11:30 (90 min).
            let asked = say(&mut s, "100", "carol@example.social", None, t0);
            reply(&mut s, asked, "555", t0 + Duration::minutes(10));
            let f1 = say(
                &mut s,
                "101",
                "carol@example.social",
                Some("555"),
                t0 + Duration::hours(1),
            );
            reply(&mut s, f1, "556", t0 + Duration::minutes(90));
            let f2 = say(
                &mut s,
                "102",
                "carol@example.social",
                Some("556"),
                t0 + Duration::hours(2),
            );
            reply(&mut s, f2, "557", t0 + Duration::minutes(210));
            let q = crate::stats::StatsQuery {
                from: day,
                to: day,
                tz: chrono_tz::UTC,
                by: None,
                sla: None,
                business: None,
                filter: Default::default(),
                now: Utc::now(),
            };
            let rows = s.stats(&q).unwrap();
            assert_eq!(rows.len(), 1);
            let r = &rows[0];
            assert_eq!((r.mentions, r.stories), (3, 3));
            assert_eq!(r.median_next_reply_secs, Some(3600.0), "the mean of 30 and 90 minutes");
            assert_eq!(r.p90_next_reply_secs, Some(5400), "the second of two");
            assert_eq!(
                r.replies_per_conversation,
                Some(3.0),
                "three answers in one conversation"
            );
            // The first answer is a first response, not a next reply.
            assert_eq!(r.median_first_response_secs, Some(1800.0), "10, 30 and 90 minutes");
        }
    }
}
