//! The thread around a mention as its source last showed it: fetched when the detail opens the
//! mention (`sources::thread`), kept here so that it shows at once the next time, and asked
//! again when it is older than [`THREAD_FRESH_SECS`].

use super::db::params;
use super::{Doing, Result, Store, from_ts, to_ts};
use crate::model::{FeedKind, Relation, Thread, ThreadOf, ThreadPost};
use chrono::{DateTime, Utc};

/// A thread fetched this recently is shown without asking again.
pub const THREAD_FRESH_SECS: i64 = 10 * 60;

impl Store {
    /// What finds the thread around mention `id` at its source.
    pub fn thread_of(&self, id: i64) -> Result<Option<ThreadOf>> {
        self.db()
            .query_opt(
                "SELECT m.kind, f.name, m.external_id, m.url, m.parent_ref, m.root_ref
                 FROM mentions m JOIN feeds f ON f.id = m.feed_id WHERE m.id = ?1",
                params![id],
                |r| {
                    let kind: String = r.get(0)?;
                    Ok(ThreadOf {
                        kind: kind.parse().unwrap_or(FeedKind::Rss),
                        feed: r.get(1)?,
                        external_id: r.get(2)?,
                        url: r.get(3)?,
                        parent: r.get(4)?,
                        root: r.get(5)?,
                    })
                },
            )
            .doing("reading where a mention's thread is")
    }

    /// The thread around mention `id` as last fetched, if it was.
    pub fn thread(&self, id: i64) -> Result<Option<Thread>> {
        let head: Option<(i64, Option<String>)> = self
            .db()
            .query_opt(
                "SELECT fetched_at, error FROM threads WHERE mention_id = ?1",
                params![id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .doing("reading a thread")?;
        let Some((fetched_at, error)) = head else {
            return Ok(None);
        };
        let posts = self
            .db()
            .query_map(
                "SELECT relation, depth, external_id, author, title, text, url, published_at
                 FROM thread_posts WHERE mention_id = ?1 ORDER BY position",
                params![id],
                |r| {
                    let relation: String = r.get(0)?;
                    Ok(ThreadPost {
                        relation: relation.parse().unwrap_or(Relation::Below),
                        depth: r.get(1)?,
                        external_id: r.get(2)?,
                        author: r.get(3)?,
                        title: r.get(4)?,
                        text: r.get(5)?,
                        url: r.get(6)?,
                        published_at: r.get::<Option<i64>>(7)?.map(from_ts),
                    })
                },
            )
            .doing("reading a thread's posts")?;
        Ok(Some(Thread {
            fetched_at: from_ts(fetched_at),
            posts,
            error,
        }))
    }

    /// Keep the thread around mention `id` as fetched at `at` (what was kept before goes).
    pub fn save_thread(&mut self, id: i64, posts: &[ThreadPost], at: DateTime<Utc>) -> Result<()> {
        self.write_db("keeping a mention's thread", |db| {
            db.execute(
                "INSERT INTO threads (mention_id, fetched_at, error) VALUES (?1, ?2, NULL)
                 ON CONFLICT (mention_id) DO UPDATE SET fetched_at = excluded.fetched_at, error = NULL",
                params![id, to_ts(at)],
            )?;
            db.execute("DELETE FROM thread_posts WHERE mention_id = ?1", params![id])?;
            for (i, p) in posts.iter().enumerate() {
                db.execute(
                    "INSERT INTO thread_posts
                     (mention_id, position, relation, depth, external_id, author, title, text, url, published_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                    params![
                        id,
                        i,
                        p.relation.to_string(),
                        p.depth,
                        p.external_id,
                        p.author,
                        p.title,
                        p.text,
                        p.url,
                        p.published_at.map(to_ts),
                    ],
                )?;
            }
            Ok(())
        })
    }

    /// Say why the thread around mention `id` could not be fetched at `at` (in words, sanitised);
    /// the posts of the last fetch that worked are kept.
    pub fn save_thread_error(&mut self, id: i64, error: &str, at: DateTime<Utc>) -> Result<()> {
        let error = crate::text::sanitize_line(error);
        self.write_db("keeping why a thread was not fetched", |db| {
            db.execute(
                "INSERT INTO threads (mention_id, fetched_at, error) VALUES (?1, ?2, ?3)
                 ON CONFLICT (mention_id) DO UPDATE SET fetched_at = excluded.fetched_at, error = excluded.error",
                params![id, to_ts(at), error],
            )
            .map(drop)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::NewMention;
    use crate::store::PollWrite;

    /// A thread kept, replaced and failed, through the store: what it reads back.
    /// A post of a thread as a source gives it.
    fn post(relation: Relation, depth: u32, id: &str) -> ThreadPost {
        ThreadPost {
            relation,
            depth,
            external_id: Some(id.into()),
            author: Some("someone".into()),
            title: None,
            text: format!("post {id}"),
            url: None,
            published_at: Some(from_ts(1_700_000_000)),
        }
    }

    fn thread_scenario(s: &mut Store, id: i64) -> (Vec<ThreadPost>, Vec<ThreadPost>, Option<String>) {
        let post = |rel, depth, id: &str| ThreadPost {
            text: format!("post {id} \u{1b}"),
            ..post(rel, depth, id)
        };
        let now = from_ts(1_764_500_000);
        s.save_thread(
            id,
            &[post(Relation::Above, 0, "100"), post(Relation::Below, 1, "110")],
            now,
        )
        .unwrap();
        let first = s.thread(id).unwrap().unwrap().posts;
        s.save_thread(id, &[post(Relation::Below, 1, "111")], now).unwrap();
        s.save_thread_error(id, "the server said 503 \x1b[31m", now).unwrap();
        let got = s.thread(id).unwrap().unwrap();
        (first, got.posts, got.error)
    }

    #[test]
    fn threads_are_kept_alike_on_sqlite_and_postgres() {
        let with_mention = |s: &mut Store| -> i64 {
            let id = crate::store::bare_mention(s, "109");
            s.db()
                .execute(
                    "UPDATE mentions SET parent_ref = '100' WHERE id = ?1",
                    crate::store::db::params![id],
                )
                .unwrap();
            id
        };
        let dir = tempfile::tempdir().unwrap();
        let mut lite = Store::open(&dir.path().join("t.db")).unwrap();
        let id = with_mention(&mut lite);
        let on_sqlite = (lite.thread_of(id).unwrap(), thread_scenario(&mut lite, id));
        assert_eq!(on_sqlite.0.as_ref().map(|o| o.parent.as_deref()), Some(Some("100")));
        let Some(pg) = crate::store::postgres::testing::database() else {
            return;
        };
        let mut s = pg.store();
        let id = with_mention(&mut s);
        assert_eq!((s.thread_of(id).unwrap(), thread_scenario(&mut s, id)), on_sqlite);
    }

    #[test]
    fn a_thread_is_kept_in_order_replaced_whole_and_its_failure_keeps_the_posts() {
        for (_d, mut s) in crate::store::each_backend() {
            let feed = s.ensure_feed("masto", FeedKind::Mastodon).unwrap();
            let now = Utc::now();
            let m = NewMention {
                external_id: Some("109".into()),
                text: "my order never came".into(),
                url: Some("https://example.social/@a/109".into()),
                place: crate::model::Place {
                    parent: Some("100".into()),
                    ..Default::default()
                },
                ..Default::default()
            };
            s.write_poll(
                feed,
                FeedKind::Mastodon,
                &PollWrite {
                    mentions: vec![m],
                    status: 200,
                    next_poll_at: now,
                    ..Default::default()
                },
                now,
            )
            .unwrap();
            let id: i64 = s
                .db()
                .query_row("SELECT id FROM mentions", crate::store::db::params![], |r| r.get(0))
                .unwrap();
            let of = s.thread_of(id).unwrap().unwrap();
            assert_eq!(of.kind, FeedKind::Mastodon);
            assert_eq!(of.feed, "masto");
            assert_eq!(of.external_id.as_deref(), Some("109"));
            assert_eq!(of.parent.as_deref(), Some("100"));
            assert_eq!(s.thread(id).unwrap(), None);
            let first = vec![post(Relation::Above, 0, "100"), post(Relation::Below, 1, "110")];
            s.save_thread(id, &first, now).unwrap();
            let got = s.thread(id).unwrap().unwrap();
            assert_eq!(got.posts, first);
            assert_eq!(got.error, None);
            let second = vec![post(Relation::Below, 1, "111")];
            s.save_thread(id, &second, now).unwrap();
            assert_eq!(s.thread(id).unwrap().unwrap().posts, second, "replaced whole");
            s.save_thread_error(id, "the server said 503 \x1b[31m", now).unwrap();
            let got = s.thread(id).unwrap().unwrap();
            assert_eq!(got.posts, second, "a failed fetch keeps what was shown");
            assert!(got.error.unwrap().starts_with("the server said 503"));
        }
    }
}
