//! Our own accounts and posts (`[[account]]`): what each post earned as last read, kept fresh
//! while it is young (at every read of the account for its `fresh`, 14 days by default, then
//! daily until its `keep`, 90 days), and read back for `overhear stats --own` and the report.

use super::db::{self, Db, params};
use super::{Doing, Result, Store, from_ts, to_ts};
use crate::model::{Account, OwnPost};
use chrono::{DateTime, Utc};

/// One of our posts with what it earned, for figures.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct OwnPostRow {
    pub account: String,
    pub kind: String,
    pub post_id: String,
    pub url: Option<String>,
    pub text: String,
    pub published_at: DateTime<Utc>,
    /// A reply of ours (to a customer, often), not a post of its own.
    pub is_reply: bool,
    pub replies: i64,
    pub reposts: i64,
    pub likes: i64,
    pub quotes: i64,
    /// The account's followers when the counts were read.
    pub followers: Option<i64>,
    pub read_at: DateTime<Utc>,
}

/// An account as last read.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct OwnAccountRow {
    pub name: String,
    pub kind: String,
    pub handle: String,
    pub followers: Option<i64>,
    pub read_at: Option<DateTime<Utc>>,
    pub error: Option<String>,
}

impl Store {
    /// Keep what a read of account `a` found: its followers, and its posts' counts (new posts
    /// added, known ones updated). One transaction.
    pub fn save_own(
        &mut self,
        a: &Account,
        followers: Option<i64>,
        posts: &[OwnPost],
        now: DateTime<Utc>,
    ) -> Result<usize> {
        self.write_db("keeping our posts", |db| save_own(db, a, followers, posts, now))
    }

    /// A read of account `a` failed: why, in words (its posts keep their last counts).
    pub fn own_failed(&mut self, a: &Account, error: &str, now: DateTime<Utc>) -> Result<()> {
        let error = super::schema::clean_health(error);
        self.write_db("keeping why our posts were not read", |db| {
            own_failed(db, a, &error, now)
        })
    }

    /// The posts of account `a` whose counts are due to be asked again at `now`: younger than its
    /// `fresh` and not read for one of its `every` (they have left the latest page), or older and
    /// younger than its `keep` and not read for a day (at most `limit`, the stalest first).
    pub fn own_to_refresh(&self, a: &Account, now: DateTime<Utc>, limit: usize) -> Result<Vec<String>> {
        own_to_refresh(self.db(), a, now, limit).doing("reading which of our posts to ask again")
    }

    /// Our posts published from `since` to `until`, oldest first (the accounts in `accounts`
    /// only, when it is not empty).
    pub fn own_posts(
        &self,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
        accounts: &[String],
    ) -> Result<Vec<OwnPostRow>> {
        own_posts(self.db(), since, until, accounts).doing("reading our posts")
    }

    /// Every account read so far.
    pub fn own_accounts(&self) -> Result<Vec<OwnAccountRow>> {
        own_accounts(self.db()).doing("reading our accounts")
    }
}

fn save_own(
    db: Db<'_>,
    a: &Account,
    followers: Option<i64>,
    posts: &[OwnPost],
    now: DateTime<Utc>,
) -> db::Result<usize> {
    let at = to_ts(now);
    db.execute(
        "INSERT INTO own_accounts (name, kind, handle, followers, read_at, error) VALUES (?1, ?2, ?3, ?4, ?5, NULL)
         ON CONFLICT (name) DO UPDATE SET kind = excluded.kind, handle = excluded.handle,
            followers = coalesce(excluded.followers, own_accounts.followers), read_at = excluded.read_at, error = NULL",
        params![a.name, a.kind.as_str(), a.handle, followers, at],
    )?;
    let mut n = 0;
    for p in posts {
        let published = p.published_at.map_or(at, to_ts);
        n += db.execute(
            "INSERT INTO own_posts (account, post_id, url, text, published_at, in_reply_to, replies, reposts, likes,
                quotes, followers, first_read_at, read_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?12)
             ON CONFLICT (account, post_id) DO UPDATE SET url = excluded.url, text = excluded.text,
                replies = excluded.replies, reposts = excluded.reposts, likes = excluded.likes,
                quotes = excluded.quotes, followers = coalesce(excluded.followers, own_posts.followers),
                read_at = excluded.read_at",
            params![
                a.name,
                p.post_id,
                p.url,
                p.text,
                published,
                p.in_reply_to,
                p.replies,
                p.reposts,
                p.likes,
                p.quotes,
                followers,
                at
            ],
        )?;
    }
    Ok(n)
}

fn own_failed(db: Db<'_>, a: &Account, error: &str, now: DateTime<Utc>) -> db::Result<()> {
    db.execute(
        "INSERT INTO own_accounts (name, kind, handle, read_at, error) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (name) DO UPDATE SET read_at = excluded.read_at, error = excluded.error",
        params![a.name, a.kind.as_str(), a.handle, to_ts(now), error],
    )
    .map(drop)
}

fn own_to_refresh(db: Db<'_>, a: &Account, now: DateTime<Utc>, limit: usize) -> db::Result<Vec<String>> {
    let now = to_ts(now);
    let secs = |d: std::time::Duration| i64::try_from(d.as_secs()).unwrap_or(i64::MAX / 4);
    db.query_map(
        "SELECT post_id FROM own_posts
         WHERE account = ?1 AND published_at >= ?2
           AND ((published_at >= ?3 AND read_at < ?4) OR (published_at < ?3 AND read_at < ?5))
         ORDER BY read_at, post_id LIMIT ?6",
        params![
            a.name,
            now - secs(a.keep),
            now - secs(a.fresh),
            now - secs(a.every),
            now - 86_400,
            limit
        ],
        |r| r.get(0),
    )
}

fn own_posts(
    db: Db<'_>,
    since: DateTime<Utc>,
    until: DateTime<Utc>,
    accounts: &[String],
) -> db::Result<Vec<OwnPostRow>> {
    let all = db.query_map(
        "SELECT p.account, a.kind, p.post_id, p.url, p.text, p.published_at, p.in_reply_to IS NOT NULL,
                p.replies, p.reposts, p.likes, p.quotes, p.followers, p.read_at
         FROM own_posts p INDEXED BY own_posts_published JOIN own_accounts a ON a.name = p.account
         WHERE p.published_at >= ?1 AND p.published_at < ?2
         ORDER BY p.published_at, p.account, p.post_id",
        params![to_ts(since), to_ts(until)],
        |r| {
            Ok(OwnPostRow {
                account: r.get(0)?,
                kind: r.get(1)?,
                post_id: r.get(2)?,
                url: r.get(3)?,
                text: r.get(4)?,
                published_at: from_ts(r.get(5)?),
                is_reply: r.get(6)?,
                replies: r.get(7)?,
                reposts: r.get(8)?,
                likes: r.get(9)?,
                quotes: r.get(10)?,
                followers: r.get(11)?,
                read_at: from_ts(r.get(12)?),
            })
        },
    )?;
    Ok(all
        .into_iter()
        .filter(|p| accounts.is_empty() || accounts.contains(&p.account))
        .collect())
}

fn own_accounts(db: Db<'_>) -> db::Result<Vec<OwnAccountRow>> {
    db.query_map(
        "SELECT name, kind, handle, followers, read_at, error FROM own_accounts ORDER BY name",
        params![],
        |r| {
            Ok(OwnAccountRow {
                name: r.get(0)?,
                kind: r.get(1)?,
                handle: r.get(2)?,
                followers: r.get(3)?,
                read_at: r.get::<Option<i64>>(4)?.map(from_ts),
                error: r.get(5)?,
            })
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::FeedKind;

    fn account() -> Account {
        Account {
            name: "masto".into(),
            kind: FeedKind::Mastodon,
            handle: "acme@mastodon.example".into(),
            url: None,
            token_env: None,
            every: std::time::Duration::from_secs(900),
            fresh: std::time::Duration::from_secs(14 * 86_400),
            keep: std::time::Duration::from_secs(90 * 86_400),
        }
    }

    fn post(id: &str, days_ago: i64, likes: i64, now: DateTime<Utc>) -> OwnPost {
        OwnPost {
            post_id: id.into(),
            text: format!("post {id}"),
            published_at: Some(now - chrono::Duration::days(days_ago)),
            likes,
            ..Default::default()
        }
    }

    /// What the scenario below leaves, read back.
    type Seen = (
        Vec<(String, i64, Option<i64>)>,
        Vec<String>,
        Vec<String>,
        Option<i64>,
        Option<String>,
    );

    /// Two reads of an account, what is due again, a failed read: through the store, on either
    /// backend.
    fn scenario(s: &mut Store) -> Seen {
        let a = account();
        let now: DateTime<Utc> = "2026-11-30T12:00:00Z".parse().unwrap();
        let first = [
            post("new", 1, 3, now),
            post("month", 30, 9, now),
            post("old", 120, 1, now),
        ];
        assert_eq!(s.save_own(&a, Some(2000), &first, now).unwrap(), 3);
        s.save_own(
            &a,
            Some(2100),
            &[post("new", 1, 5, now)],
            now + chrono::Duration::hours(1),
        )
        .unwrap();
        let later = now + chrono::Duration::hours(30);
        let due_now = s.own_to_refresh(&a, now, 10).unwrap();
        let due_later = s.own_to_refresh(&a, later, 10).unwrap();
        s.own_failed(&a, "timed out \u{1b}[2J", later).unwrap();
        let posts = s.own_posts(now - chrono::Duration::days(200), later, &[]).unwrap();
        let acc = s.own_accounts().unwrap().remove(0);
        (
            posts
                .iter()
                .map(|p| (p.post_id.clone(), p.likes, p.followers))
                .collect(),
            due_now,
            due_later,
            acc.followers,
            acc.error,
        )
    }

    #[test]
    fn counts_are_updated_and_older_posts_asked_again_daily_until_ninety_days() {
        let dir = tempfile::tempdir().unwrap();
        let on_sqlite = scenario(&mut Store::open(&dir.path().join("o.db")).unwrap());
        let (posts, due_now, due_later, followers, error) = &on_sqlite;
        // The second read found more likes on the new post; the followers went up.
        let likes: Vec<(&str, i64, Option<i64>)> = posts.iter().map(|(id, l, f)| (id.as_str(), *l, *f)).collect();
        assert_eq!(
            likes,
            [("old", 1, Some(2000)), ("month", 9, Some(2000)), ("new", 5, Some(2100))]
        );
        // Within a day of the read, nothing is due; a day later, the month-old post (past 14 days,
        // within 90) is, and the new one too: it has not been read for longer than the account's
        // `every` (it left the latest page, or the read that finds it is this one); not the old
        // one (kept as it was).
        assert!(due_now.is_empty());
        assert_eq!(due_later, &["month", "new"]);
        // A failed read is said; the counts stay.
        assert_eq!(*followers, Some(2100));
        assert!(
            error
                .as_deref()
                .is_some_and(|e| e.contains("timed out") && !e.contains('\u{1b}'))
        );
        // The same through PostgreSQL, where a server is named.
        let Some(pg) = crate::store::postgres::testing::database() else {
            return;
        };
        assert_eq!(scenario(&mut pg.store()), on_sqlite);
    }
}
