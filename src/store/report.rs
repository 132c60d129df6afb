//! What the weekly report reads beyond the stats: the people and stories of a span, the mentions
//! worth naming (the most engaged, the SLA's breaches) and when answers were quick or slow. Each
//! is a range scan of the span's mentions through the stream's time index (a span's rows, never
//! the history's); the figures themselves come from [`Store::period`] and [`Store::stats`].

use super::db;
use super::mentions::refs;
use super::{Doing, Result, Store, from_ts};
use crate::query::StreamFilter;
use chrono::{DateTime, Utc};
use rusqlite::types::Value;

/// A person behind the span's mentions.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct TopPerson {
    pub person_id: i64,
    /// A handle of theirs (its display name where known).
    pub name: String,
    /// Where they wrote: the kinds of their handles in the span.
    pub kinds: Vec<String>,
    pub mentions: i64,
    pub answered: i64,
    pub negative: i64,
    pub reach: Option<i64>,
}

/// A story of the span told in several places.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct TopStory {
    /// Its first mention.
    pub lead: i64,
    pub title: Option<String>,
    pub url: Option<String>,
    /// Where it was seen, its lead's place included.
    pub places: i64,
    pub feeds: Vec<String>,
}

/// A mention the report names.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Notable {
    pub id: i64,
    pub feed: String,
    pub author: Option<String>,
    pub title: Option<String>,
    pub text: String,
    pub url: Option<String>,
    pub at: DateTime<Utc>,
    pub status: String,
    /// Likes, reposts, replies, quotes and score, summed.
    pub engagement: i64,
    /// How long it waited for our first answer (still waiting: until the report's "now").
    pub waited_secs: Option<i64>,
}

/// Engagement as one number, from the stored JSON.
fn engaged(dialect: db::Dialect) -> &'static str {
    match dialect {
        db::Dialect::Sqlite => {
            "coalesce(json_extract(m.engagement, '$.likes'), 0) + coalesce(json_extract(m.engagement, '$.reposts'), 0)
             + coalesce(json_extract(m.engagement, '$.replies'), 0) + coalesce(json_extract(m.engagement, '$.quotes'), 0)
             + max(coalesce(json_extract(m.engagement, '$.score'), 0), 0)"
        }
        db::Dialect::Postgres => {
            "CAST(round(coalesce(CAST(m.engagement::jsonb ->> 'likes' AS DOUBLE PRECISION), 0)
             + coalesce(CAST(m.engagement::jsonb ->> 'reposts' AS DOUBLE PRECISION), 0)
             + coalesce(CAST(m.engagement::jsonb ->> 'replies' AS DOUBLE PRECISION), 0)
             + coalesce(CAST(m.engagement::jsonb ->> 'quotes' AS DOUBLE PRECISION), 0)
             + GREATEST(coalesce(CAST(m.engagement::jsonb ->> 'score' AS DOUBLE PRECISION), 0), 0)) AS BIGINT)"
        }
    }
}

/// The read marks' join a filter's `unread` needs (nobody's: a report is not one operator's).
fn reads(filter: &StreamFilter) -> &'static str {
    if filter.unread {
        " LEFT JOIN reads r ON r.mention_id = m.id AND r.operator = ''"
    } else {
        ""
    }
}

const NOTABLE_COLUMNS: &str = "m.id, f.name, m.author, m.title, m.text, m.url, m.sort_at, m.status";

fn notable(r: &db::Row<'_>, engagement: i64, waited: Option<i64>) -> db::Result<Notable> {
    Ok(Notable {
        id: r.get(0)?,
        feed: r.get(1)?,
        author: r.get(2)?,
        title: r.get(3)?,
        text: r.get(4)?,
        url: r.get(5)?,
        at: from_ts(r.get(6)?),
        status: r.get(7)?,
        engagement,
        waited_secs: waited,
    })
}

impl Store {
    /// The people who wrote the most of the span's mentions (`start`..`end`, through `filter`),
    /// at most `limit`.
    pub fn report_people(&self, start: i64, end: i64, filter: &StreamFilter, limit: usize) -> Result<Vec<TopPerson>> {
        let mut params = vec![Value::Integer(start), Value::Integer(end)];
        let cond = super::stats_filter_sql(filter, &mut params, self.db().dialect());
        params.push(Value::Integer(limit as i64));
        let n = params.len();
        let sql = format!(
            "SELECT a.person_id, min(coalesce(a.display_name, a.handle)), group_concat(DISTINCT a.kind), count(*),
                    count(*) FILTER (WHERE m.first_response_at IS NOT NULL),
                    count(*) FILTER (WHERE m.sentiment <= -{t}), max(p.reach)
             FROM mentions m INDEXED BY mentions_stream
             JOIN feeds f ON f.id = m.feed_id{r}
             JOIN authors a ON a.id = m.author_id JOIN people p ON p.id = a.person_id
             WHERE m.sort_at >= ?1 AND m.sort_at < ?2{cond}
             GROUP BY a.person_id ORDER BY count(*) DESC, a.person_id LIMIT ?{n}",
            t = crate::score::sentiment::THRESHOLD,
            r = reads(filter)
        );
        let doing = "reading the span's people";
        self.db()
            .query_map(&sql, &refs(&params), |r| {
                let kinds: Option<String> = r.get(2)?;
                let mut kinds: Vec<String> = kinds
                    .unwrap_or_default()
                    .split(',')
                    .filter(|k| !k.is_empty())
                    .map(String::from)
                    .collect();
                kinds.sort();
                Ok(TopPerson {
                    person_id: r.get(0)?,
                    name: r.get::<Option<String>>(1)?.unwrap_or_default(),
                    kinds,
                    mentions: r.get(3)?,
                    answered: r.get(4)?,
                    negative: r.get::<Option<i64>>(5)?.unwrap_or(0),
                    reach: r.get(6)?,
                })
            })
            .doing(doing)
    }

    /// The span's stories told in the most places, at most `limit`: its mentions grouped under a
    /// lead (read through the index of stories), each lead's title and feeds.
    pub fn report_stories(&self, start: i64, end: i64, filter: &StreamFilter, limit: usize) -> Result<Vec<TopStory>> {
        let mut params = vec![Value::Integer(start), Value::Integer(end)];
        let cond = super::stats_filter_sql(filter, &mut params, self.db().dialect());
        params.push(Value::Integer(limit as i64));
        let n = params.len();
        let sql = format!(
            "WITH placed AS (
               SELECT m.story_id AS lead, count(*) AS others, group_concat(DISTINCT f.name) AS feeds
               FROM mentions m INDEXED BY mentions_story_at JOIN feeds f ON f.id = m.feed_id{r}
               WHERE m.story_id IS NOT NULL AND m.sort_at >= ?1 AND m.sort_at < ?2{cond}
               GROUP BY m.story_id ORDER BY others DESC, m.story_id LIMIT ?{n}
             )
             SELECT p.lead, l.title, l.url, p.others + 1, lf.name || ',' || p.feeds
             FROM placed p JOIN mentions l ON l.id = p.lead JOIN feeds lf ON lf.id = l.feed_id
             ORDER BY p.others DESC, p.lead",
            r = reads(filter)
        );
        let doing = "reading the span's stories";
        self.db()
            .query_map(&sql, &refs(&params), |r| {
                let feeds: String = r.get(4)?;
                let mut seen: Vec<String> = Vec::new();
                for f in feeds.split(',').filter(|f| !f.is_empty()) {
                    if !seen.iter().any(|s| s == f) {
                        seen.push(f.to_string());
                    }
                }
                Ok(TopStory {
                    lead: r.get(0)?,
                    title: r.get(1)?,
                    url: r.get(2)?,
                    places: r.get(3)?,
                    feeds: seen,
                })
            })
            .doing(doing)
    }

    /// The span's most engaged mentions (likes, reposts, replies, quotes and score summed; none
    /// without any), at most `limit`.
    pub fn report_engaged(&self, start: i64, end: i64, filter: &StreamFilter, limit: usize) -> Result<Vec<Notable>> {
        let mut params = vec![Value::Integer(start), Value::Integer(end)];
        let cond = super::stats_filter_sql(filter, &mut params, self.db().dialect());
        params.push(Value::Integer(limit as i64));
        let n = params.len();
        let sql = format!(
            "SELECT {NOTABLE_COLUMNS}, {e} AS e FROM mentions m INDEXED BY mentions_stream
             JOIN feeds f ON f.id = m.feed_id{r}
             WHERE m.sort_at >= ?1 AND m.sort_at < ?2 AND m.engagement IS NOT NULL{cond}
             ORDER BY e DESC, m.id LIMIT ?{n}",
            r = reads(filter),
            e = engaged(self.db().dialect())
        );
        let doing = "reading the span's most engaged mentions";
        let all: Vec<Notable> = self
            .db()
            .query_map(&sql, &refs(&params), |r| notable(r, r.get(8)?, None))
            .doing(doing)?;
        Ok(all.into_iter().filter(|m| m.engagement > 0).collect())
    }

    /// The span's mentions that waited longest for a first answer past `sla_secs` (answered
    /// late, or still waiting at `now`; ignored ones are not owed one), at most `limit`, the
    /// longest wait first. Wall-clock time.
    pub fn report_breaches(
        &self,
        start: i64,
        end: i64,
        filter: &StreamFilter,
        sla_secs: i64,
        now: i64,
        limit: usize,
    ) -> Result<Vec<Notable>> {
        let mut params = vec![
            Value::Integer(start),
            Value::Integer(end),
            Value::Integer(sla_secs),
            Value::Integer(now),
        ];
        let cond = super::stats_filter_sql(filter, &mut params, self.db().dialect());
        params.push(Value::Integer(limit as i64));
        let n = params.len();
        let sql = format!(
            "SELECT * FROM (
               SELECT {NOTABLE_COLUMNS}, {e} AS e, coalesce(m.first_response_at, ?4) - m.first_seen_at AS waited
               FROM mentions m INDEXED BY mentions_stream JOIN feeds f ON f.id = m.feed_id{r}
               WHERE m.sort_at >= ?1 AND m.sort_at < ?2 AND m.status <> 'ignored'{cond}
             ) w WHERE waited > ?3 ORDER BY waited DESC, id LIMIT ?{n}",
            r = reads(filter),
            e = engaged(self.db().dialect())
        );
        let doing = "reading the span's SLA breaches";
        self.db()
            .query_map(&sql, &refs(&params), |r| {
                notable(r, r.get::<Option<i64>>(8)?.unwrap_or(0), r.get(9)?)
            })
            .doing(doing)
    }

    /// When each of the span's answered mentions arrived, and how long its first answer took
    /// (from when overhear saw it): the report's "when we were quick" map.
    pub fn report_answer_times(&self, start: i64, end: i64, filter: &StreamFilter) -> Result<Vec<(i64, i64)>> {
        let mut params = vec![Value::Integer(start), Value::Integer(end)];
        let cond = super::stats_filter_sql(filter, &mut params, self.db().dialect());
        let sql = format!(
            "SELECT m.sort_at, max(0, m.first_response_at - m.first_seen_at)
             FROM mentions m INDEXED BY mentions_stream JOIN feeds f ON f.id = m.feed_id{r}
             WHERE m.sort_at >= ?1 AND m.sort_at < ?2 AND m.first_response_at IS NOT NULL{cond}",
            r = reads(filter)
        );
        let doing = "reading the span's answer times";
        self.db()
            .query_map(&sql, &refs(&params), |r| Ok((r.get(0)?, r.get(1)?)))
            .doing(doing)
    }
}
