//! Reading mentions: windows of the stream by keyset, counts, and the export cursor.
//! Nothing here loads the whole history.

use super::{Doing, Result, Store, from_ts};
use crate::model::{Engagement, Mention, Status};
use chrono::{DateTime, Utc};
use rusqlite::{Row, params};

const MENTION_COLUMNS: &str = "m.id, f.name, m.kind, m.external_id, m.url, m.author, m.author_reach, m.title, m.text,
     m.published_at, m.first_seen_at, m.sort_at, m.engagement, m.status, m.assignee, m.responded_at, m.responded_by";

fn mention_from_row(r: &Row<'_>) -> rusqlite::Result<Mention> {
    let status: String = r.get(13)?;
    Ok(Mention {
        id: r.get(0)?,
        feed: r.get(1)?,
        kind: r.get(2)?,
        external_id: r.get(3)?,
        url: r.get(4)?,
        author: r.get(5)?,
        author_reach: r.get(6)?,
        title: r.get(7)?,
        text: r.get(8)?,
        published_at: r.get::<_, Option<i64>>(9)?.map(from_ts),
        first_seen_at: from_ts(r.get(10)?),
        sort_at: from_ts(r.get(11)?),
        engagement: Engagement::from_json(r.get::<_, Option<String>>(12)?.as_deref()),
        status: status.parse().unwrap_or(Status::New),
        assignee: r.get(14)?,
        responded_at: r.get::<_, Option<i64>>(15)?.map(from_ts),
        responded_by: r.get(16)?,
    })
}

/// The position of a row in the stream's order (newest first).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct StreamKey {
    pub sort_at: i64,
    pub id: i64,
}

impl Mention {
    pub fn stream_key(&self) -> StreamKey {
        StreamKey {
            sort_at: self.sort_at.timestamp(),
            id: self.id,
        }
    }
}

/// Which mentions `overhear export` writes.
#[derive(Debug, Clone, Default)]
pub struct ExportFilter {
    /// Only mentions published (or first seen) at or after this instant.
    pub since: Option<DateTime<Utc>>,
}

impl Store {
    /// Up to `limit` mentions strictly older than `after` in stream order (newest first);
    /// from the top when `after` is `None`.
    pub fn stream_after(&self, after: Option<StreamKey>, limit: usize) -> Result<Vec<Mention>> {
        let (sort_at, id) = after.map_or((i64::MAX, i64::MAX), |k| (k.sort_at, k.id));
        let sql = format!(
            "SELECT {MENTION_COLUMNS} FROM mentions m JOIN feeds f ON f.id = m.feed_id
             WHERE (m.sort_at, m.id) < (?1, ?2)
             ORDER BY m.sort_at DESC, m.id DESC LIMIT ?3"
        );
        let mut stmt = self.conn().prepare_cached(&sql).doing("reading the stream")?;
        let rows = stmt
            .query_map(params![sort_at, id, limit as i64], mention_from_row)
            .doing("reading the stream")?;
        rows.collect::<rusqlite::Result<Vec<_>>>().doing("reading the stream")
    }

    /// Up to `limit` mentions strictly newer than `before`, returned newest first.
    pub fn stream_before(&self, before: StreamKey, limit: usize) -> Result<Vec<Mention>> {
        let sql = format!(
            "SELECT * FROM (SELECT {MENTION_COLUMNS} FROM mentions m JOIN feeds f ON f.id = m.feed_id
             WHERE (m.sort_at, m.id) > (?1, ?2)
             ORDER BY m.sort_at ASC, m.id ASC LIMIT ?3) ORDER BY 12 DESC, 1 DESC"
        );
        let mut stmt = self.conn().prepare_cached(&sql).doing("reading the stream")?;
        let rows = stmt
            .query_map(params![before.sort_at, before.id, limit as i64], mention_from_row)
            .doing("reading the stream")?;
        rows.collect::<rusqlite::Result<Vec<_>>>().doing("reading the stream")
    }

    /// How many mentions sort above `key` (newer than it).
    pub fn count_newer(&self, key: StreamKey) -> Result<i64> {
        self.conn()
            .query_row(
                "SELECT count(*) FROM mentions WHERE (sort_at, id) > (?1, ?2)",
                params![key.sort_at, key.id],
                |r| r.get(0),
            )
            .doing("counting new mentions")
    }

    /// Counts for the stream's title: (all, new, open).
    pub fn stream_counts(&self) -> Result<(i64, i64, i64)> {
        self.conn()
            .query_row(
                "SELECT count(*),
                        (SELECT count(*) FROM mentions WHERE status = 'new'),
                        (SELECT count(*) FROM mentions WHERE status = 'open')
                 FROM mentions",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .doing("counting mentions")
    }

    pub fn mention(&self, id: i64) -> Result<Option<Mention>> {
        use rusqlite::OptionalExtension;
        let sql = format!("SELECT {MENTION_COLUMNS} FROM mentions m JOIN feeds f ON f.id = m.feed_id WHERE m.id = ?1");
        self.conn()
            .query_row(&sql, [id], mention_from_row)
            .optional()
            .doing("reading a mention")
    }

    /// Visit every mention matching `filter`, oldest first, one row at a time.
    pub fn for_each_mention(
        &self,
        filter: &ExportFilter,
        mut visit: impl FnMut(Mention) -> std::io::Result<()>,
    ) -> Result<std::io::Result<()>> {
        let since = filter.since.map_or(i64::MIN, |t| t.timestamp());
        let sql = format!(
            "SELECT {MENTION_COLUMNS} FROM mentions m JOIN feeds f ON f.id = m.feed_id
             WHERE m.sort_at >= ?1 ORDER BY m.sort_at ASC, m.id ASC"
        );
        let mut stmt = self.conn().prepare(&sql).doing("exporting mentions")?;
        let mut rows = stmt.query([since]).doing("exporting mentions")?;
        while let Some(row) = rows.next().doing("exporting mentions")? {
            let m = mention_from_row(row).doing("exporting mentions")?;
            if let Err(e) = visit(m) {
                return Ok(Err(e));
            }
        }
        Ok(Ok(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{FeedKind, NewMention};
    use crate::store::PollWrite;

    fn seeded(n: i64) -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Store::open(&dir.path().join("db")).unwrap();
        let feed = s.ensure_feed("f", FeedKind::Rss).unwrap();
        let now = Utc::now();
        let mentions = (0..n)
            .map(|i| NewMention {
                external_id: Some(format!("id{i}")),
                text: format!("m{i}"),
                // Two mentions share each timestamp, so ties are broken by id.
                published_at: Some(now - chrono::Duration::seconds(1000 - i / 2)),
                ..Default::default()
            })
            .collect();
        let poll = PollWrite {
            mentions,
            status: 200,
            next_poll_at: now,
            ..Default::default()
        };
        s.write_poll(feed, FeedKind::Rss, &poll, now).unwrap();
        (dir, s)
    }

    #[test]
    fn keyset_windows_walk_the_stream_without_gaps_or_repeats() {
        let (_d, s) = seeded(25);
        let mut seen = Vec::new();
        let mut after = None;
        loop {
            let page = s.stream_after(after, 7).unwrap();
            if page.is_empty() {
                break;
            }
            after = Some(page.last().unwrap().stream_key());
            seen.extend(page.into_iter().map(|m| m.text));
        }
        let expected: Vec<String> = (0..25).rev().map(|i| format!("m{i}")).collect();
        assert_eq!(seen, expected);

        let top = s.stream_after(None, 3).unwrap();
        let above = s.stream_before(top[2].stream_key(), 10).unwrap();
        assert_eq!(above.iter().map(|m| &m.text).collect::<Vec<_>>(), vec!["m24", "m23"]);
        assert_eq!(s.count_newer(top[2].stream_key()).unwrap(), 2);
        assert_eq!(s.stream_counts().unwrap(), (25, 25, 0));
    }

    #[test]
    fn export_visits_oldest_first_and_filters_by_date() {
        let (_d, s) = seeded(5);
        let mut texts = Vec::new();
        s.for_each_mention(&ExportFilter::default(), |m| {
            texts.push(m.text);
            Ok(())
        })
        .unwrap()
        .unwrap();
        assert_eq!(texts, vec!["m0", "m1", "m2", "m3", "m4"]);
        let mut n = 0;
        let filter = ExportFilter {
            since: Some(Utc::now() + chrono::Duration::days(1)),
        };
        s.for_each_mention(&filter, |_| {
            n += 1;
            Ok(())
        })
        .unwrap()
        .unwrap();
        assert_eq!(n, 0);
    }
}
