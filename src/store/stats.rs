//! The stats SQL: per-day figures in one statement over the `mentions_stats` covering index
//! (window functions for the median and p90), the backlog from indexed counts, the hour × weekday
//! profile. The figures' definitions and types live in [`crate::stats`].

use super::db;
use super::{Doing, Result, Store};
use crate::stats::{DayStats, GroupBy, Profile, StatsQuery};
use chrono::{DateTime, Days, NaiveDate, TimeZone};
use chrono_tz::Tz;
use rusqlite::types::Value;
use std::collections::{BTreeMap, HashMap};

/// The local midnight starting `day`, as a UTC timestamp. DST gaps at midnight take the first
/// valid instant.
fn day_start(tz: &Tz, day: NaiveDate) -> i64 {
    let midnight = day.and_hms_opt(0, 0, 0).expect("midnight exists");
    match tz.from_local_datetime(&midnight) {
        chrono::LocalResult::Single(t) | chrono::LocalResult::Ambiguous(t, _) => t.timestamp(),
        chrono::LocalResult::None => tz
            .from_local_datetime(&(midnight + chrono::Duration::hours(1)))
            .earliest()
            .map(|t| t.timestamp())
            .unwrap_or_else(|| midnight.and_utc().timestamp()),
    }
}

fn group_expr(by: Option<GroupBy>) -> (&'static str, &'static str) {
    match by {
        None => ("NULL", ""),
        Some(GroupBy::Feed) => ("f.name", ""),
        Some(GroupBy::Operator) => ("coalesce(m.responded_by, m.assignee, '(nobody)')", ""),
        Some(GroupBy::Tag) => (
            "coalesce(t.tag, '(untagged)')",
            " LEFT JOIN mention_tags t ON t.mention_id = m.id",
        ),
        Some(GroupBy::Sentiment) => (
            "CASE WHEN m.sentiment IS NULL THEN '(unscored)' WHEN m.sentiment <= -0.05 THEN 'negative'
                  WHEN m.sentiment >= 0.05 THEN 'positive' ELSE 'neutral' END",
            "",
        ),
        Some(GroupBy::Lang) => ("coalesce(m.lang, '(unknown)')", ""),
        Some(GroupBy::Intent) => (
            "coalesce(i.name, '(none)')",
            " LEFT JOIN (SELECT 1 AS bit, 'complaint' AS name UNION ALL SELECT 2, 'question'
                 UNION ALL SELECT 4, 'praise' UNION ALL SELECT 8, 'purchase' UNION ALL SELECT 16, 'cancel') i
                 ON (m.intent & i.bit) <> 0",
        ),
    }
}

/// One row of a `days(day, start, end)` table whose values are parameters `n - 2`, `n - 1` and
/// `n` (typed, for PostgreSQL, which cannot infer a `VALUES` parameter's type).
fn days_row(n: usize) -> String {
    format!(
        "(CAST(?{} AS TEXT), CAST(?{} AS INTEGER), CAST(?{} AS INTEGER))",
        n - 2,
        n - 1,
        n
    )
}

/// Changes committed up to this long before a computation began may not be in what it read (a
/// write transaction that began earlier): a day changed within it is computed again next time.
const CACHE_MARGIN_SECS: i64 = 60;

/// What the cache keeps of one day for one query.
#[derive(serde::Serialize, serde::Deserialize)]
struct CachedDay {
    rows: Vec<DayStats>,
    closed: Vec<(Option<String>, i64)>,
}

/// The query a day's figures answer: everything they depend on but the day (and this version).
fn cache_key(q: &StatsQuery) -> String {
    format!(
        "v{}|{}|{:?}|{:?}|{:?}|{:?}",
        env!("CARGO_PKG_VERSION"),
        q.tz,
        q.by,
        q.sla,
        q.business,
        q.filter
    )
}

/// Whether a day's figures can no longer change by time alone: it has ended, and so has the time
/// an open mention of it needs to breach the SLA (business hours may stretch that over a weekend).
fn settled(q: &StatsQuery, day_end: i64, now: i64) -> bool {
    let sla = q.sla.map_or(0, |s| s.as_secs() as i64);
    let wait = if q.business.is_some() {
        7 * 86_400 + 4 * sla
    } else {
        sla
    };
    day_end.saturating_add(wait) < now
}

/// The joins a stats query needs, and no other: feeds for a feed filter or grouping, the read
/// marks for `unread`, the tags for grouping by tag (`group_join`).
fn joins_for(q: &StatsQuery, group_join: &str) -> String {
    let mut joins = String::new();
    if !q.filter.feeds.is_empty() || q.by == Some(GroupBy::Feed) {
        joins.push_str(" JOIN feeds f ON f.id = m.feed_id");
    }
    joins.push_str(group_join);
    if q.filter.unread {
        joins.push_str(" LEFT JOIN reads r ON r.mention_id = m.id AND r.operator = ''");
    }
    joins
}

/// What a day's stories and conversations add to its figures.
#[derive(Default)]
struct Talk {
    /// Mentions of a story seen first elsewhere.
    members: i64,
    /// Follow-ups' first-response times, sorted.
    next_replies: Vec<i64>,
    conversations: std::collections::BTreeSet<i64>,
    replies: i64,
}

/// The median of sorted values (the mean of the middle two of an even count).
fn median(v: &[i64]) -> Option<f64> {
    match v.len() {
        0 => None,
        n if n % 2 == 1 => Some(v[n / 2] as f64),
        n => Some((v[n / 2 - 1] + v[n / 2]) as f64 / 2.0),
    }
}

/// The nearest-rank p90 of sorted values (the ⌈0.9·n⌉-th smallest).
fn p90(v: &[i64]) -> Option<i64> {
    (!v.is_empty()).then(|| v[(v.len() * 9).div_ceil(10) - 1])
}

impl Store {
    /// Stories and conversations, day by day: read from the mentions that are part of either
    /// (their partial indexes), not from every mention in range.
    fn conversation_days(
        &self,
        q: &StatsQuery,
        bounds: &[(String, i64, i64)],
    ) -> Result<BTreeMap<(String, Option<String>), Talk>> {
        let mut out: BTreeMap<(String, Option<String>), Talk> = BTreeMap::new();
        let (Some(first), Some(last)) = (bounds.first(), bounds.last()) else {
            return Ok(out);
        };
        let day_of = |t: i64| -> Option<&String> {
            let i = bounds.partition_point(|(_, s, _)| *s <= t);
            (i > 0 && t < bounds[i - 1].2).then(|| &bounds[i - 1].0)
        };
        let (grp, join) = group_expr(q.by);
        let joins = joins_for(q, join);
        let mut params = vec![Value::Integer(first.1), Value::Integer(last.2)];
        let filter = crate::store::stats_filter_sql(&q.filter, &mut params, self.db().dialect());
        let doing = "computing stories and conversations";
        let members = format!(
            "SELECT m.sort_at, {grp} FROM mentions m INDEXED BY mentions_story_at{joins}
             WHERE m.story_id IS NOT NULL AND m.sort_at >= ?1 AND m.sort_at < ?2{filter}"
        );
        let rows: Vec<(i64, Option<String>)> = self
            .db()
            .query_map(&members, &super::mentions::refs(&params), |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .doing(doing)?;
        for (at, group) in rows {
            if let Some(day) = day_of(at) {
                out.entry((day.clone(), group)).or_default().members += 1;
            }
        }
        let talk = format!(
            "SELECT m.sort_at, {grp}, m.conversation_id, m.first_response_at IS NOT NULL,
                    CASE WHEN EXISTS (SELECT 1 FROM mentions o WHERE o.conversation_id = m.conversation_id
                                      AND o.id <> m.id AND o.responded_at <= m.sort_at)
                         THEN m.first_response_at - m.sort_at END
             FROM mentions m INDEXED BY mentions_conversation_at{joins}
             WHERE m.conversation_id IS NOT NULL AND m.sort_at >= ?1 AND m.sort_at < ?2{filter}"
        );
        type TalkRow = (i64, Option<String>, i64, bool, Option<i64>);
        let rows: Vec<TalkRow> = self
            .db()
            .query_map(&talk, &super::mentions::refs(&params), |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
            })
            .doing(doing)?;
        for (at, group, conversation, replied, next) in rows {
            let Some(day) = day_of(at) else {
                continue;
            };
            let t = out.entry((day.clone(), group)).or_default();
            t.conversations.insert(conversation);
            t.replies += i64::from(replied);
            if let Some(next) = next {
                t.next_replies.push(next.max(0));
            }
        }
        for t in out.values_mut() {
            t.next_replies.sort_unstable();
        }
        Ok(out)
    }

    /// The figures for every day from `q.from` to `q.to`, days without mentions included.
    pub fn stats(&self, q: &StatsQuery) -> Result<Vec<DayStats>> {
        let mut days = Vec::new();
        let mut d = q.from;
        while d <= q.to {
            days.push(d);
            d = d.checked_add_days(Days::new(1)).expect("a date after this one");
        }
        if days.is_empty() {
            return Ok(Vec::new());
        }
        let bounds: Vec<(String, i64, i64)> = days
            .iter()
            .map(|d| {
                (
                    d.format("%Y-%m-%d").to_string(),
                    day_start(&q.tz, *d),
                    day_start(&q.tz, d.succ_opt().expect("next day")),
                )
            })
            .collect();
        let key = cache_key(q);
        // What the cache holds was computed before this instant; anything changed since is read again.
        let started = chrono::Utc::now().timestamp() - CACHE_MARGIN_SECS;
        let cached = self.cached_days(&key, &bounds).unwrap_or_else(|e| {
            tracing::debug!("stats cache not read: {e}");
            HashMap::new()
        });
        let missing: Vec<(String, i64, i64)> = bounds.iter().filter(|b| !cached.contains_key(&b.0)).cloned().collect();
        let (mut found, mut closed) = if missing.is_empty() {
            (BTreeMap::new(), BTreeMap::new())
        } else {
            (self.compute_days(q, &missing)?, self.closings(q, &missing)?)
        };
        self.keep_days(&key, q, &missing, &found, &closed, started);
        for (day, c) in cached {
            for mut row in c.rows {
                // Derived, and not kept exactly by JSON: computed again.
                row.response_rate = if row.mentions > 0 {
                    row.responded as f64 / row.mentions as f64
                } else {
                    0.0
                };
                found.insert((day.clone(), row.group.clone()), row);
            }
            for (g, n) in c.closed {
                closed.insert((day.clone(), g), n);
            }
        }
        let groups: Vec<Option<String>> = if q.by.is_some() {
            let mut g: Vec<Option<String>> = found.keys().map(|(_, g)| g.clone()).collect();
            g.sort();
            g.dedup();
            g
        } else {
            vec![None]
        };
        self.assemble(q, &bounds, &groups, found, &closed)
    }

    /// The figures of the whole range `q.from`..=`q.to` as one span (one row, or one per group,
    /// dated `FROM..TO`): its medians and p90s over every mention of the range, its backlog at
    /// the range's end. For reports; not kept (a range is rarely asked twice).
    pub fn period(&self, q: &StatsQuery) -> Result<Vec<DayStats>> {
        let bounds = vec![(
            format!("{}..{}", q.from.format("%Y-%m-%d"), q.to.format("%Y-%m-%d")),
            day_start(&q.tz, q.from),
            day_start(&q.tz, q.to.succ_opt().expect("a next day")),
        )];
        let found = self.compute_days(q, &bounds)?;
        let closed = self.closings(q, &bounds)?;
        let groups: Vec<Option<String>> = if q.by.is_some() {
            found.keys().map(|(_, g)| g.clone()).collect()
        } else {
            vec![None]
        };
        self.assemble(q, &bounds, &groups, found, &closed)
    }

    /// How many mentions of the range `q.from`..=`q.to` each group has (`q.by`), and how many of
    /// them were answered, and no other figure (no backlog): a report's mix of sentiments and
    /// intents, and what its answers were worth.
    pub fn period_counts(&self, q: &StatsQuery) -> Result<Vec<(Option<String>, i64, i64)>> {
        let bounds = vec![(
            String::new(),
            day_start(&q.tz, q.from),
            day_start(&q.tz, q.to.succ_opt().expect("a next day")),
        )];
        Ok(self
            .compute_days(q, &bounds)?
            .into_iter()
            .map(|((_, g), d)| (g, d.mentions, d.responded))
            .collect())
    }

    /// Each span's figures per group, with the backlog at its end and what its stories and
    /// conversations add.
    fn assemble(
        &self,
        q: &StatsQuery,
        bounds: &[(String, i64, i64)],
        groups: &[Option<String>],
        mut found: BTreeMap<(String, Option<String>), DayStats>,
        closed: &BTreeMap<(String, Option<String>), i64>,
    ) -> Result<Vec<DayStats>> {
        let backlog = self.backlog(bounds, q, &found, closed)?;
        let mut talk = self.conversation_days(q, bounds)?;
        let mut out = Vec::with_capacity(bounds.len() * groups.len());
        for (day, _, _) in bounds {
            for g in groups {
                let mut s = found
                    .remove(&(day.clone(), g.clone()))
                    .unwrap_or_else(|| DayStats::empty(day.clone(), g.clone()));
                s.backlog = backlog.get(&(day.clone(), g.clone())).copied().unwrap_or(0);
                let c = talk.remove(&(day.clone(), g.clone())).unwrap_or_default();
                s.stories = s.mentions - c.members;
                s.median_next_reply_secs = median(&c.next_replies);
                s.p90_next_reply_secs = p90(&c.next_replies);
                s.replies_per_conversation =
                    (!c.conversations.is_empty()).then(|| c.replies as f64 / c.conversations.len() as f64);
                out.push(s);
            }
        }
        Ok(out)
    }

    /// The days of `bounds` whose figures for query `key` are kept and still true: nothing in
    /// their hours changed since they were computed.
    fn cached_days(&self, key: &str, bounds: &[(String, i64, i64)]) -> Result<HashMap<String, CachedDay>> {
        let mut params = vec![Value::Text(key.to_string())];
        let values: Vec<String> = bounds
            .iter()
            .map(|(day, s, e)| {
                params.extend([
                    Value::Text(day.clone()),
                    Value::Integer(s.div_euclid(3600)),
                    Value::Integer((e + 3599).div_euclid(3600)),
                ]);
                let n = params.len();
                days_row(n)
            })
            .collect();
        let sql = format!(
            "WITH days(day, h0, h1) AS (VALUES {})
             SELECT d.day, c.payload FROM days d JOIN stats_cache c ON c.key = ?1 AND c.day = d.day
             WHERE NOT EXISTS (SELECT 1 FROM stats_dirty s WHERE s.hour >= d.h0 AND s.hour < d.h1 AND s.at >= c.computed_at)",
            values.join(", ")
        );
        let rows: Vec<(String, String)> = self
            .db()
            .query_map(&sql, &super::mentions::refs(&params), |r| Ok((r.get(0)?, r.get(1)?)))
            .doing("reading kept stats")?;
        let mut out = HashMap::new();
        for (day, payload) in rows {
            // A payload this version cannot read is computed again.
            if let Ok(c) = serde_json::from_str::<CachedDay>(&payload) {
                out.insert(day, c);
            }
        }
        Ok(out)
    }

    /// Keep the figures of the settled days just computed, when the database may be written.
    /// Best effort: a busy or read-only database only means they are computed again next time.
    fn keep_days(
        &self,
        key: &str,
        q: &StatsQuery,
        days: &[(String, i64, i64)],
        found: &BTreeMap<(String, Option<String>), DayStats>,
        closed: &BTreeMap<(String, Option<String>), i64>,
        computed_at: i64,
    ) {
        if self.read_only() || days.is_empty() {
            return;
        }
        // Settled as of the query's "now" (the figures were computed for it) and of the clock.
        let now = q.now.timestamp().min(chrono::Utc::now().timestamp());
        let db = self.db();
        let kept = (|| -> db::Result<usize> {
            db.execute_batch("BEGIN")?;
            let mut n = 0;
            {
                let mut put = db.prepare(
                    "INSERT INTO stats_cache (key, day, computed_at, payload) VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT (key, day) DO UPDATE SET computed_at = excluded.computed_at, payload = excluded.payload",
                )?;
                for (day, _, _) in days.iter().filter(|(_, _, end)| settled(q, *end, now)) {
                    let c = CachedDay {
                        rows: found
                            .range((day.clone(), None)..)
                            .take_while(|((d, _), _)| d == day)
                            .map(|(_, r)| r.clone())
                            .collect(),
                        closed: closed
                            .range((day.clone(), None)..)
                            .take_while(|((d, _), _)| d == day)
                            .map(|((_, g), n)| (g.clone(), *n))
                            .collect(),
                    };
                    let payload = serde_json::to_string(&c).unwrap_or_default();
                    put.execute(db::params![key, day, computed_at, payload])?;
                    n += 1;
                }
            }
            // Figures of queries nobody asked again for a month go.
            db.execute(
                "DELETE FROM stats_cache WHERE computed_at < ?1",
                db::params![now - 30 * 86_400],
            )?;
            db.execute_batch("COMMIT")?;
            Ok(n)
        })();
        if kept.is_err() {
            let _ = db.execute_batch("ROLLBACK");
        }
        match kept {
            Ok(n) => tracing::debug!(days = n, "stats kept"),
            Err(e) => tracing::debug!("stats not kept: {e}"),
        }
    }

    /// The figures of the days in `bounds` (no backlog), computed from the mentions.
    #[expect(
        clippy::too_many_lines,
        reason = "one SQL statement, kept whole so it can be read and explained as one"
    )]
    fn compute_days(
        &self,
        q: &StatsQuery,
        bounds: &[(String, i64, i64)],
    ) -> Result<BTreeMap<(String, Option<String>), DayStats>> {
        let mut params: Vec<Value> = Vec::new();
        let values: Vec<String> = bounds
            .iter()
            .map(|(day, s, e)| {
                params.push(Value::Text(day.clone()));
                params.push(Value::Integer(*s));
                params.push(Value::Integer(*e));
                days_row(params.len())
            })
            .collect();
        let values = values.join(", ");
        let sla = q.sla.map_or(-1, |s| s.as_secs() as i64);
        params.push(Value::Integer(sla));
        let p_sla = params.len();
        params.push(Value::Integer(q.now.timestamp()));
        let p_now = params.len();
        let (grp, join) = group_expr(q.by);
        let pg = self.db().dialect() == db::Dialect::Postgres;
        // SLA time: wall-clock, or business time through a function SQLite calls per row
        // (PostgreSQL has no such function: its breaches in business time are counted from the
        // rows, below).
        let hours = q.business.clone();
        if !pg {
            self.conn()
                .create_scalar_function(
                    "sla_secs",
                    2,
                    rusqlite::functions::FunctionFlags::SQLITE_UTF8
                        | rusqlite::functions::FunctionFlags::SQLITE_DETERMINISTIC,
                    move |ctx| {
                        let (from, to): (i64, i64) = (ctx.get(0)?, ctx.get(1)?);
                        Ok(match &hours {
                            Some(h) => h.seconds_between(from, to),
                            None => (to - from).max(0),
                        })
                    },
                )
                .doing("computing stats")?;
        }
        let filter = crate::store::stats_filter_sql(&q.filter, &mut params, self.db().dialect());
        // Wall-clock SLA time is plain arithmetic; business time needs the function.
        let (sla_open, sla_answered) = if q.business.is_some() && pg {
            ("0".to_string(), "0".to_string())
        } else if q.business.is_some() {
            (
                format!("sla_secs(m.first_seen_at, ?{p_now})"),
                "sla_secs(m.first_seen_at, m.first_response_at)".to_string(),
            )
        } else {
            (
                format!("max(0, ?{p_now} - m.first_seen_at)"),
                "max(0, m.first_response_at - m.first_seen_at)".to_string(),
            )
        };
        let joins = joins_for(q, join);
        // Two passes over the covering index, neither holding the rows: the counts in one
        // aggregate, and the response times of answered mentions only, sorted per day for the
        // median and p90 (no per-row join the query does not need).
        let sql = format!(
            "WITH days(day, start_ts, end_ts) AS (VALUES {values}),
             counts AS (
               SELECT d.day, {grp} AS grp, count(*) AS n,
                      count(*) FILTER (WHERE m.status = 'responded') AS responded,
                      count(*) FILTER (WHERE m.status = 'ignored') AS ignored,
                      count(*) FILTER (WHERE m.status = 'escalated') AS escalated,
                      count(*) FILTER (WHERE ?{p_sla} >= 0 AND m.status <> 'ignored'
                                       AND CASE WHEN m.first_response_at IS NULL THEN {sla_open} > ?{p_sla}
                                                ELSE {sla_answered} > ?{p_sla} END) AS breaches,
                      max(CASE WHEN m.first_response_at IS NOT NULL THEN
                          max(0, m.first_response_at - coalesce(min(m.published_at, m.first_seen_at), m.first_seen_at)) END) AS max_pub,
                      max(CASE WHEN m.first_response_at IS NOT NULL THEN
                          max(0, m.first_response_at - m.first_seen_at) END) AS max_seen
               FROM days d
               JOIN mentions m INDEXED BY mentions_stats ON m.sort_at >= d.start_ts AND m.sort_at < d.end_ts{joins}
               WHERE TRUE{filter}
               GROUP BY d.day, grp
             ),
             a AS MATERIALIZED (
               SELECT d.day, {grp} AS grp,
                      max(0, m.first_response_at - coalesce(min(m.published_at, m.first_seen_at), m.first_seen_at)) AS rt_pub,
                      max(0, m.first_response_at - m.first_seen_at) AS rt_seen
               FROM days d
               JOIN mentions m INDEXED BY mentions_stats ON m.sort_at >= d.start_ts AND m.sort_at < d.end_ts{joins}
               WHERE m.first_response_at IS NOT NULL{filter}
             ),
             rp AS (
               SELECT day, grp, rt_pub AS rt, row_number() OVER (PARTITION BY day, grp ORDER BY rt_pub) AS rn,
                      count(*) OVER (PARTITION BY day, grp) AS k
               FROM a
             ),
             rs AS (
               SELECT day, grp, rt_seen AS rt, row_number() OVER (PARTITION BY day, grp ORDER BY rt_seen) AS rn,
                      count(*) OVER (PARTITION BY day, grp) AS k
               FROM a
             ),
             qp AS (
               SELECT day, grp, avg(CASE WHEN rn IN ((k + 1) / 2, (k + 2) / 2) THEN rt END) AS median,
                      min(CASE WHEN rn >= (9 * k + 9) / 10 THEN rt END) AS p90
               FROM rp GROUP BY day, grp
             ),
             qs AS (
               SELECT day, grp, avg(CASE WHEN rn IN ((k + 1) / 2, (k + 2) / 2) THEN rt END) AS median,
                      min(CASE WHEN rn >= (9 * k + 9) / 10 THEN rt END) AS p90
               FROM rs GROUP BY day, grp
             )
             SELECT c.day, c.grp, c.n, c.responded, c.ignored, c.escalated, c.breaches, c.max_pub, c.max_seen,
                    qp.median, qp.p90, qs.median, qs.p90
             FROM counts c
             LEFT JOIN qp ON qp.day = c.day AND qp.grp IS c.grp
             LEFT JOIN qs ON qs.day = c.day AND qs.grp IS c.grp"
        );
        let doing = "computing stats";
        let rows = self
            .db()
            .query_map(&sql, &super::mentions::refs(&params), |r| {
                let day: String = r.get(0)?;
                let group: Option<String> = r.get(1)?;
                let get = |i: usize| -> db::Result<i64> { r.get::<Option<i64>>(i).map(|v| v.unwrap_or(0)) };
                let n = get(2)?;
                let responded = get(3)?;
                Ok(DayStats {
                    date: day,
                    group,
                    mentions: n,
                    responded,
                    ignored: get(4)?,
                    escalated: get(5)?,
                    response_rate: if n > 0 { responded as f64 / n as f64 } else { 0.0 },
                    sla_breaches: get(6)?,
                    max_first_response_secs: r.get(7)?,
                    max_first_response_from_seen_secs: r.get(8)?,
                    median_first_response_secs: r.get(9)?,
                    p90_first_response_secs: r.get(10)?,
                    median_first_response_from_seen_secs: r.get(11)?,
                    p90_first_response_from_seen_secs: r.get(12)?,
                    backlog: 0,
                    stories: 0,
                    median_next_reply_secs: None,
                    p90_next_reply_secs: None,
                    replies_per_conversation: None,
                })
            })
            .doing(doing)?;
        let mut found: BTreeMap<(String, Option<String>), DayStats> = rows
            .into_iter()
            .map(|d| ((d.date.clone(), d.group.clone()), d))
            .collect();
        if let (true, Some(hours), Some(sla)) = (pg, &q.business, q.sla) {
            for ((day, group), n) in self.business_breaches(q, &values, &params[..p_sla - 1], hours, sla)? {
                if let Some(d) = found.get_mut(&(day, group)) {
                    d.sla_breaches += n;
                }
            }
        }
        Ok(found)
    }

    /// SLA breaches in business time, per day and group, counted from the rows (PostgreSQL, where
    /// no function of ours runs inside a query): `values` are the days as in
    /// [`Store::compute_days`], `params` theirs.
    fn business_breaches(
        &self,
        q: &StatsQuery,
        values: &str,
        params: &[Value],
        hours: &crate::stats::BusinessHours,
        sla: std::time::Duration,
    ) -> Result<BTreeMap<(String, Option<String>), i64>> {
        let (grp, join) = group_expr(q.by);
        let joins = joins_for(q, join);
        let mut params = params.to_vec();
        let filter = crate::store::stats_filter_sql(&q.filter, &mut params, self.db().dialect());
        let sql = format!(
            "WITH days(day, start_ts, end_ts) AS (VALUES {values})
             SELECT d.day, {grp}, m.first_seen_at, m.first_response_at FROM days d
             JOIN mentions m ON m.sort_at >= d.start_ts AND m.sort_at < d.end_ts{joins}
             WHERE m.status <> 'ignored'{filter}"
        );
        let now = q.now.timestamp();
        let limit = sla.as_secs() as i64;
        let mut out = BTreeMap::new();
        let rows: Vec<(String, Option<String>, i64, Option<i64>)> = self
            .db()
            .query_map(&sql, &super::mentions::refs(&params), |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })
            .doing("computing stats")?;
        for (day, group, seen, answered) in rows {
            if hours.seconds_between(seen, answered.unwrap_or(now)) > limit {
                *out.entry((day, group)).or_insert(0) += 1;
            }
        }
        Ok(out)
    }

    /// The hour-of-day × weekday heat map and each feed's share, for the days of `q`, through its
    /// filter. Grouped in SQL; the zone's offsets come from a function SQLite calls per row.
    pub fn profile(&self, q: &StatsQuery) -> Result<Profile> {
        let start = day_start(&q.tz, q.from);
        let end = day_start(&q.tz, q.to.succ_opt().expect("a next day"));
        let tz = q.tz;
        let pg = self.db().dialect() == db::Dialect::Postgres;
        if !pg {
            self.conn()
                .create_scalar_function(
                    "local_slot",
                    1,
                    rusqlite::functions::FunctionFlags::SQLITE_UTF8
                        | rusqlite::functions::FunctionFlags::SQLITE_DETERMINISTIC,
                    move |ctx| {
                        let t: i64 = ctx.get(0)?;
                        let local = DateTime::from_timestamp(t, 0).unwrap_or_default().with_timezone(&tz);
                        let dow = chrono::Datelike::weekday(&local).num_days_from_monday() as i64;
                        Ok(dow * 24 + chrono::Timelike::hour(&local) as i64)
                    },
                )
                .doing("profiling mentions")?;
        }
        let mut params = vec![Value::Integer(start), Value::Integer(end)];
        // The weekday (from Monday) and hour in the zone: a function of ours on SQLite, the
        // server's own time zones on PostgreSQL.
        let slot = if pg {
            params.push(Value::Text(tz.name().to_string()));
            let z = params.len();
            format!(
                "CAST((EXTRACT(ISODOW FROM to_timestamp(m.sort_at) AT TIME ZONE ?{z}) - 1) * 24
                      + EXTRACT(HOUR FROM to_timestamp(m.sort_at) AT TIME ZONE ?{z}) AS INTEGER)"
            )
        } else {
            "local_slot(m.sort_at)".to_string()
        };
        let filter = crate::store::stats_filter_sql(&q.filter, &mut params, self.db().dialect());
        let reads = if q.filter.unread {
            " LEFT JOIN reads r ON r.mention_id = m.id AND r.operator = ''"
        } else {
            ""
        };
        let from = format!("mentions m JOIN feeds f ON f.id = m.feed_id{reads}");
        let mut profile = Profile::default();
        {
            let sql = format!(
                "SELECT {slot} AS slot, count(*) FROM {from}
                 WHERE m.sort_at >= ?1 AND m.sort_at < ?2{filter} GROUP BY slot"
            );
            let slots: Vec<(i64, i64)> = self
                .db()
                .query_map(&sql, &super::mentions::refs(&params), |r| Ok((r.get(0)?, r.get(1)?)))
                .doing("profiling mentions")?;
            for (slot, n) in slots {
                if (0..168).contains(&slot) {
                    profile.heat[(slot / 24) as usize][(slot % 24) as usize] = n;
                }
            }
        }
        let sql = format!(
            "SELECT f.name, count(*) AS n FROM {from}
             WHERE m.sort_at >= ?1 AND m.sort_at < ?2{filter} GROUP BY f.name ORDER BY n DESC, f.name"
        );
        profile.feeds = self
            .db()
            .query_map(&sql, &super::mentions::refs(&params), |r| Ok((r.get(0)?, r.get(1)?)))
            .doing("profiling mentions")?;
        Ok(profile)
    }

    /// Mentions closed (answered or ignored) during each day of `bounds`, per group.
    fn closings(
        &self,
        q: &StatsQuery,
        bounds: &[(String, i64, i64)],
    ) -> Result<BTreeMap<(String, Option<String>), i64>> {
        let (grp, join) = group_expr(q.by);
        let joins = joins_for(q, join);
        let mut params: Vec<Value> = Vec::new();
        let values: Vec<String> = bounds
            .iter()
            .map(|(day, s, e)| {
                params.extend([Value::Text(day.clone()), Value::Integer(*s), Value::Integer(*e)]);
                days_row(params.len())
            })
            .collect();
        let values = values.join(", ");
        let filter = crate::store::stats_filter_sql(&q.filter, &mut params, self.db().dialect());
        let sql = format!(
            "WITH days(day, start_ts, end_ts) AS (VALUES {values})
             SELECT day, grp, count(*) FROM (
               SELECT d.day, {grp} AS grp FROM days d
               JOIN mentions m INDEXED BY mentions_closed_responded
                 ON m.status = 'responded' AND m.responded_at >= d.start_ts AND m.responded_at < d.end_ts
               {joins} WHERE TRUE{filter}
               UNION ALL
               SELECT d.day, {grp} AS grp FROM days d
               JOIN mentions m INDEXED BY mentions_closed_ignored
                 ON m.status = 'ignored' AND m.status_at >= d.start_ts AND m.status_at < d.end_ts
               {joins} WHERE TRUE{filter}
             ) closed GROUP BY day, grp"
        );
        let rows: Vec<((String, Option<String>), i64)> = self
            .db()
            .query_map(&sql, &super::mentions::refs(&params), |r| {
                Ok(((r.get(0)?, r.get(1)?), r.get(2)?))
            })
            .doing("computing the backlog")?;
        Ok(rows.into_iter().collect())
    }

    /// What was open (neither answered nor ignored) at `start`, per group: a scan of every
    /// mention before it through the stats' covering index.
    fn open_before(&self, start: i64, q: &StatsQuery, grp: &str, joins: &str) -> Result<BTreeMap<Option<String>, i64>> {
        let mut params = vec![Value::Integer(start)];
        let filter = crate::store::stats_filter_sql(&q.filter, &mut params, self.db().dialect());
        let sql = format!(
            "SELECT {grp}, count(*) FILTER (WHERE NOT coalesce(
                        m.status = 'responded' AND coalesce(m.responded_at, m.status_at) < ?1
                        OR m.status = 'ignored' AND m.status_at < ?1, FALSE))
             FROM mentions m INDEXED BY mentions_stats{joins}
             WHERE m.sort_at < ?1{filter} GROUP BY 1"
        );
        let rows: Vec<(Option<String>, i64)> = self
            .db()
            .query_map(&sql, &super::mentions::refs(&params), |r| Ok((r.get(0)?, r.get(1)?)))
            .doing("computing the backlog")?;
        Ok(rows.into_iter().collect())
    }

    /// Open at the end of each day: what was open when the range began, plus each day's arrivals,
    /// minus each day's closings (answered or ignored), as running sums. Every part is an indexed
    /// count in SQL.
    fn backlog(
        &self,
        bounds: &[(String, i64, i64)],
        q: &StatsQuery,
        arrivals: &BTreeMap<(String, Option<String>), DayStats>,
        closed: &BTreeMap<(String, Option<String>), i64>,
    ) -> Result<BTreeMap<(String, Option<String>), i64>> {
        let (grp, join) = group_expr(q.by);
        let start = bounds[0].1;
        let joins = joins_for(q, join);
        // Open when the range began: the one part that reads the history before it, kept for the
        // next question about the same start at the same database version.
        let key = format!("{start}|{:?}|{:?}|{:?}", q.tz, q.by, q.filter);
        // Another connection's commits move the data version; this one's, its change count.
        let version = self.data_version()? ^ (self.own_changes() << 32);
        let kept = self
            .backlog_cache
            .borrow()
            .iter()
            .find(|(k, v, _)| *k == key && *v == version)
            .map(|(_, _, open)| open.clone());
        let open = match kept {
            Some(open) => open,
            None => {
                let open = self.open_before(start, q, grp, &joins)?;
                let mut cache = self.backlog_cache.borrow_mut();
                cache.retain(|(_, v, _)| *v == version);
                if cache.len() >= 4 {
                    cache.remove(0);
                }
                cache.push((key, version, open.clone()));
                open
            }
        };
        let mut groups: Vec<Option<String>> = open.keys().cloned().collect();
        groups.extend(arrivals.keys().map(|(_, g)| g.clone()));
        groups.extend(closed.keys().map(|(_, g)| g.clone()));
        groups.sort();
        groups.dedup();
        let mut out = BTreeMap::new();
        for g in groups {
            let mut n = open.get(&g).copied().unwrap_or(0);
            for (day, _, _) in bounds {
                let key = (day.clone(), g.clone());
                n += arrivals.get(&key).map_or(0, |d| d.mentions);
                n -= closed.get(&key).copied().unwrap_or(0);
                out.insert(key, n);
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::BusinessHours;

    use crate::model::FeedKind;
    use std::time::Duration;

    fn ts(s: &str) -> i64 {
        DateTime::parse_from_rfc3339(s).unwrap().timestamp()
    }

    /// (feed, id, published, first seen, status, status_at, first response, by)
    type Fixture<'a> = (
        i64,
        &'a str,
        &'a str,
        &'a str,
        &'a str,
        Option<&'a str>,
        Option<&'a str>,
        Option<&'a str>,
    );

    /// A week in Berlin across the end of summer time (2026-10-25, 03:00 CEST → 02:00 CET).
    /// The week on each backend the tests reach.
    fn weeks() -> Vec<(crate::store::TestPlace, Store)> {
        crate::store::each_backend()
            .into_iter()
            .map(|(place, mut s)| {
                week(&mut s);
                (place, s)
            })
            .collect()
    }

    fn week(s: &mut Store) {
        let hn = s.ensure_feed("hn", FeedKind::Hackernews).unwrap();
        let blog = s.ensure_feed("blog", FeedKind::Rss).unwrap();
        // (feed, id, published, first seen, status, status_at, first response / responded at, by)
        let rows: &[Fixture<'_>] = &[
            (
                hn,
                "A",
                "2026-10-22T08:00:00Z",
                "2026-10-22T08:00:00Z",
                "responded",
                None,
                Some("2026-10-22T08:30:00Z"),
                Some("alice"),
            ),
            // Answered across midnight (23:30 → 00:45 local).
            (
                hn,
                "B",
                "2026-10-22T21:30:00Z",
                "2026-10-22T21:30:00Z",
                "responded",
                None,
                Some("2026-10-22T22:45:00Z"),
                Some("bob"),
            ),
            // Never answered.
            (
                blog,
                "C",
                "2026-10-22T10:00:00Z",
                "2026-10-22T10:00:00Z",
                "new",
                None,
                None,
                None,
            ),
            // On the 25-hour day: published 01:30 CEST, seen half an hour later.
            (
                hn,
                "D",
                "2026-10-24T23:30:00Z",
                "2026-10-25T00:00:00Z",
                "responded",
                None,
                Some("2026-10-25T01:30:00Z"),
                Some("alice"),
            ),
            (
                blog,
                "E",
                "2026-10-25T22:30:00Z",
                "2026-10-25T22:30:00Z",
                "ignored",
                Some("2026-10-25T22:50:00Z"),
                None,
                None,
            ),
            (
                blog,
                "F",
                "2026-10-26T08:00:00Z",
                "2026-10-26T08:00:00Z",
                "escalated",
                Some("2026-10-26T09:00:00Z"),
                None,
                None,
            ),
        ];
        for (feed, id, published, seen, status, status_at, responded, by) in rows {
            let p = ts(published);
            let seen = ts(seen);
            s.db()
                .execute(
                    "INSERT INTO mentions (feed_id, kind, external_id, text, published_at, first_seen_at, sort_at, status, status_at,
                        first_response_at, responded_at, responded_by, updated_at)
                     VALUES (?1, 'x', ?2, 't', ?3, ?4, ?5, ?6, ?7, ?8, ?8, ?9, ?4)",
                    db::params![feed, id, p, seen, p.min(seen), status, status_at.map(ts), responded.map(ts), by],
                )
                .unwrap();
        }
    }

    fn query(by: Option<GroupBy>) -> StatsQuery {
        StatsQuery {
            from: NaiveDate::from_ymd_opt(2026, 10, 22).unwrap(),
            to: NaiveDate::from_ymd_opt(2026, 10, 28).unwrap(),
            tz: chrono_tz::Europe::Berlin,
            by,
            sla: Some(Duration::from_secs(3600)),
            business: None,
            filter: Default::default(),
            now: DateTime::parse_from_rfc3339("2026-11-24T12:00:00Z").unwrap().to_utc(),
        }
    }

    #[test]
    fn a_hand_computed_week_field_by_field() {
        for (_d, s) in weeks() {
            let days = s.stats(&query(None)).unwrap();
            let dates: Vec<&str> = days.iter().map(|d| d.date.as_str()).collect();
            assert_eq!(
                dates,
                [
                    "2026-10-22",
                    "2026-10-23",
                    "2026-10-24",
                    "2026-10-25",
                    "2026-10-26",
                    "2026-10-27",
                    "2026-10-28"
                ]
            );
            let d = &days[0];
            assert_eq!((d.mentions, d.responded, d.ignored, d.escalated), (3, 2, 0, 0));
            assert!((d.response_rate - 2.0 / 3.0).abs() < 1e-9);
            assert_eq!(d.median_first_response_secs, Some(3150.0), "mean of 1800 and 4500");
            assert_eq!(d.p90_first_response_secs, Some(4500));
            assert_eq!(d.max_first_response_secs, Some(4500));
            assert_eq!(d.median_first_response_from_seen_secs, Some(3150.0));
            assert_eq!(d.sla_breaches, 2, "B answered after 75 min, C never");
            assert_eq!(
                d.backlog, 2,
                "B (answered after midnight) and C are open at the end of the day"
            );
            for (i, backlog) in [(1, 1), (2, 1)] {
                let d = &days[i];
                assert_eq!(
                    (d.mentions, d.response_rate, d.median_first_response_secs, d.backlog),
                    (0, 0.0, None, backlog),
                    "{}",
                    d.date
                );
            }
            let d = &days[3];
            assert_eq!(
                (d.mentions, d.responded, d.ignored, d.escalated),
                (2, 1, 1, 0),
                "D at 01:30 CEST belongs to the 25th"
            );
            assert_eq!(d.response_rate, 0.5);
            assert_eq!(
                (
                    d.median_first_response_secs,
                    d.p90_first_response_secs,
                    d.max_first_response_secs
                ),
                (Some(7200.0), Some(7200), Some(7200))
            );
            assert_eq!(
                (
                    d.median_first_response_from_seen_secs,
                    d.max_first_response_from_seen_secs
                ),
                (Some(5400.0), Some(5400))
            );
            assert_eq!(d.sla_breaches, 1, "D took 90 min from first seen; E was ignored");
            assert_eq!(d.backlog, 1, "only C");
            let d = &days[4];
            assert_eq!(
                (d.mentions, d.escalated, d.responded, d.sla_breaches, d.backlog),
                (1, 1, 0, 1, 2)
            );
            assert_eq!((days[5].backlog, days[6].backlog), (2, 2));
        }
    }

    #[test]
    fn split_by_sentiment_intent_and_language() {
        for (_d, s) in weeks() {
            s.db()
                .execute_batch(
                    "UPDATE mentions SET sentiment = -0.6, intent = 1 | 16, lang = 'en' WHERE external_id = 'A';
                 UPDATE mentions SET sentiment = 0.7, intent = 4, lang = 'fr' WHERE external_id = 'B';
                 UPDATE mentions SET sentiment = 0.0, intent = 0 WHERE external_id = 'C';",
                )
                .unwrap();
            let on = |by, group: &str| -> i64 {
                s.stats(&query(Some(by)))
                    .unwrap()
                    .iter()
                    .filter(|d| d.date == "2026-10-22" && d.group.as_deref() == Some(group))
                    .map(|d| d.mentions)
                    .sum()
            };
            assert_eq!(on(GroupBy::Sentiment, "negative"), 1);
            assert_eq!(on(GroupBy::Sentiment, "positive"), 1);
            assert_eq!(on(GroupBy::Sentiment, "neutral"), 1);
            assert_eq!(on(GroupBy::Intent, "complaint"), 1);
            assert_eq!(
                on(GroupBy::Intent, "cancel"),
                1,
                "one mention counts under each of its intents"
            );
            assert_eq!(on(GroupBy::Intent, "praise"), 1);
            assert_eq!(on(GroupBy::Lang, "fr"), 1);
            assert_eq!(on(GroupBy::Lang, "en"), 1);
        }
    }

    #[test]
    fn split_by_feed_and_by_operator() {
        for (_d, s) in weeks() {
            let days = s.stats(&query(Some(GroupBy::Feed))).unwrap();
            assert_eq!(days.len(), 14, "every day for each feed");
            let hn = days
                .iter()
                .find(|d| d.date == "2026-10-22" && d.group.as_deref() == Some("hn"))
                .unwrap();
            assert_eq!((hn.mentions, hn.responded, hn.backlog), (2, 2, 1));
            let blog = days
                .iter()
                .find(|d| d.date == "2026-10-22" && d.group.as_deref() == Some("blog"))
                .unwrap();
            assert_eq!(
                (blog.mentions, blog.responded, blog.sla_breaches, blog.backlog),
                (1, 0, 1, 1)
            );
            let days = s.stats(&query(Some(GroupBy::Operator))).unwrap();
            let alice = days
                .iter()
                .find(|d| d.date == "2026-10-25" && d.group.as_deref() == Some("alice"))
                .unwrap();
            assert_eq!((alice.mentions, alice.responded), (1, 1));
        }
    }

    #[test]
    fn business_hours_exclude_nights_and_weekends_and_the_filter_applies() {
        for (_d, s) in weeks() {
            let mut q = query(None);
            q.business = Some(BusinessHours::parse("mon-fri", "09:00", "17:00", "Europe/Berlin").unwrap());
            let days = s.stats(&q).unwrap();
            // B was answered at night (no business time passed); C is still unanswered.
            assert_eq!(days[0].sla_breaches, 1);
            // D waited only on a Sunday night.
            assert_eq!(days[3].sla_breaches, 0);
            // The first-response figures themselves stay wall-clock.
            assert_eq!(days[0].max_first_response_secs, Some(4500));

            let mut q = query(None);
            q.filter = crate::query::StreamFilter::parse("feed:hn", q.now).unwrap();
            let days = s.stats(&q).unwrap();
            assert_eq!((days[0].mentions, days[0].responded), (2, 2));
            assert_eq!(days[0].backlog, 1, "only B: C is in another feed");
        }
    }

    #[test]
    fn the_profile_counts_local_hours_and_feed_shares() {
        for (_d, s) in weeks() {
            let p = s.profile(&query(None)).unwrap();
            // A: Thursday 10:00 CEST; B: Thursday 23:30 CEST; C: Thursday 12:00 CEST.
            assert_eq!((p.heat[3][10], p.heat[3][23], p.heat[3][12]), (1, 1, 1));
            // D: Sunday 01:30 CEST (the night summer time ends); E: Sunday 23:30 CET; F: Monday 09:00 CET.
            assert_eq!((p.heat[6][1], p.heat[6][23], p.heat[0][9]), (1, 1, 1));
            assert_eq!(p.heat.iter().flatten().sum::<i64>(), 6);
            assert_eq!(p.feeds, vec![("blog".to_string(), 3), ("hn".to_string(), 3)]);
        }
    }

    #[test]
    fn the_days_follow_the_zone() {
        for (_d, s) in weeks() {
            let mut q = query(None);
            q.tz = chrono_tz::UTC;
            let days = s.stats(&q).unwrap();
            // In UTC, D (23:30Z on the 24th) belongs to the 24th.
            assert_eq!(days[2].mentions, 1);
            assert_eq!(days[3].mentions, 1);
        }
    }

    #[test]
    fn kept_days_are_used_until_something_in_them_changes() {
        for (_d, s) in weeks() {
            let q = query(None);
            let first = s.stats(&q).unwrap();
            let kept = |s: &Store| -> i64 {
                s.db()
                    .query_row("SELECT count(*) FROM stats_cache", db::params![], |r| r.get(0))
                    .unwrap()
            };
            assert_eq!(kept(&s), 7, "every settled day is kept");
            assert_eq!(s.stats(&q).unwrap(), first);
            // The kept figures are what is read: a change that marks no hour (as no write of overhear's
            // does) is not seen...
            s.db()
                .execute_batch(
                    "UPDATE mentions SET status = 'escalated' WHERE status = 'new'; DELETE FROM stats_dirty;",
                )
                .unwrap();
            assert_eq!(s.stats(&q).unwrap(), first, "served from what was kept");
            // ...and a change through the triggers is: the days it touched are computed again.
            s.db()
                .execute(
                    "UPDATE mentions SET status = 'ignored', status_at = sort_at WHERE status = 'escalated'",
                    db::params![],
                )
                .unwrap();
            let again = s.stats(&q).unwrap();
            let fresh = {
                s.db().execute("DELETE FROM stats_cache", db::params![]).unwrap();
                s.stats(&q).unwrap()
            };
            assert_eq!(again, fresh, "the days that changed were computed again");
            assert_ne!(again, first);
            // Another query (another zone) is kept apart.
            let mut utc = query(None);
            utc.tz = chrono_tz::UTC;
            s.stats(&utc).unwrap();
            assert_eq!(kept(&s), 14);
        }
    }

    #[test]
    fn what_was_open_when_a_span_began_is_read_again_after_a_write() {
        for (_d, mut s) in weeks() {
            // A mention from before the week, still open.
            s.write_db("test", |db| {
            db.execute(
                "INSERT INTO mentions (feed_id, kind, external_id, text, published_at, first_seen_at, sort_at, status, updated_at)
                 VALUES ((SELECT min(id) FROM feeds), 'x', 'early', 't', ?1, ?1, ?1, 'new', ?1)",
                db::params![ts("2026-10-01T10:00:00Z")],
            )
        })
        .unwrap();
            let before = s.period(&query(None)).unwrap()[0].backlog;
            assert_eq!(s.period(&query(None)).unwrap()[0].backlog, before, "kept, the same");
            // Answered before the week began: it was not open then (the same connection wrote it).
            s.write_db("test", |db| {
                db.execute(
                "UPDATE mentions SET status = 'responded', status_at = ?1, responded_at = ?1, first_response_at = ?1
                 WHERE external_id = 'early'",
                db::params![ts("2026-10-02T10:00:00Z")],
            )
            })
            .unwrap();
            assert_eq!(s.period(&query(None)).unwrap()[0].backlog, before - 1);
        }
    }
}
