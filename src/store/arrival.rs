//! Rules on arrival, inside the transaction that stores the mentions: each new mention is read
//! back once, each rule's query evaluated in memory (the same evaluator as a feed's
//! include/exclude), and each action applied as a person's triage is, recorded as `rule:NAME`
//! (so the history, undo and the stats treat it alike). And `overhear rule test`: a query's
//! matches over the whole history, counted in SQL.

use super::db;
use super::triage::{Stamp, apply_one, next_batch};
use super::{Change, Doing, Result, Store, from_ts, to_ts};
use crate::model::FeedKind;
use crate::query::{Candidate, StreamFilter};
use crate::rules::{Action, Assign, Rule};
use chrono::{DateTime, Datelike, Utc};
use rusqlite::types::Value;

struct Arrived {
    id: i64,
    title: Option<String>,
    text: String,
    author: Option<String>,
    feed: String,
    kind: String,
    url: Option<String>,
    reach: Option<i64>,
    score: Option<i64>,
    sort_at: i64,
    lang: Option<String>,
    sentiment: Option<f64>,
    intents: i64,
    priority: f64,
    person_tags: Vec<String>,
    noise: i64,
    story: i64,
}

impl Arrived {
    /// What the rules' queries read of it: new, untagged, unassigned.
    fn candidate(&self) -> Candidate<'_> {
        Candidate {
            title: self.title.as_deref(),
            text: &self.text,
            author: self.author.as_deref(),
            feed: &self.feed,
            kind: self.kind.parse().unwrap_or(FeedKind::Rss),
            url: self.url.as_deref(),
            reach: self.reach,
            score: self.score,
            lang: self.lang.as_deref(),
            sentiment: self.sentiment,
            intents: self.intents,
            priority: self.priority,
            person_tags: &self.person_tags,
            noise: self.noise,
            sort_at: from_ts(self.sort_at),
            story: Some(self.story),
            ..Candidate::blank()
        }
    }
}

/// What acts on each new mention as it is stored: the rules, and the alerts new mentions raise.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Arrival {
    pub rules: Vec<Rule>,
    pub alerts: Vec<crate::rules::Alert>,
    /// The first-response target (`[stats] sla`), for `sla` alerts.
    pub sla: Option<std::time::Duration>,
    pub business: Option<crate::stats::BusinessHours>,
    /// The priority's weights, for what operators said of an author (`vip`, `detractor`).
    pub weights: crate::score::priority::Weights,
    /// How alike two titles are to be one story (`[stories] similarity`; the default when unset).
    pub similarity: Option<f64>,
}

impl Arrival {
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty() && !self.alerts.iter().any(crate::rules::Alert::per_mention)
    }
}

/// An alert raised, as `overhear alerts` and the consoles read it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AlertRow {
    pub id: i64,
    /// The `[[alert]]`'s name.
    pub alert: String,
    /// `when`, `spike` or `sla`.
    pub trigger: String,
    pub mention_id: Option<i64>,
    /// For a spike: the words that drove it.
    pub terms: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub acknowledged_by: Option<String>,
    /// How its command ended: `None` (no command, or still running), `ok`, or the failure.
    pub delivery: Option<String>,
    /// The mention's title or text, for a banner.
    #[serde(skip)]
    pub about: Option<String>,
    /// The mention's place in the stream (to go to it).
    #[serde(skip)]
    pub mention_sort_at: Option<i64>,
}

/// How often an alert's command failed, and its latest failure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandFailures {
    pub alert: String,
    pub count: i64,
    /// The latest failure, in words.
    pub last: String,
    pub at: DateTime<Utc>,
}

/// The texts of the mentions a spike counts, first seen between parameters `?{at}` and
/// `?{at + 1}` (the two after the conditions' own).
fn sql_texts(from: &str, cond: &str, at: usize) -> String {
    format!(
        "SELECT coalesce(m.title, '') || ' ' || m.text FROM {from}
         WHERE m.first_seen_at >= ?{at} AND m.first_seen_at < ?{} {cond} ORDER BY m.id DESC LIMIT 3000",
        at + 1
    )
}

/// An alert to hand to its command, with the mention that raised it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AlertDelivery {
    pub id: i64,
    pub alert: String,
    pub trigger: String,
    pub mention_id: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub title: Option<String>,
    pub text: Option<String>,
    pub author: Option<String>,
    pub url: Option<String>,
    pub feed: Option<String>,
}

/// Raise `alert` for `mention` (once: a second time changes nothing).
fn raise(db: db::Db<'_>, alert: &str, mention: i64, now: DateTime<Utc>) -> db::Result<()> {
    db.execute(
        "INSERT INTO alerts (name, trigger, key, mention_id, created_at) VALUES (?1, 'when', ?2, ?3, ?4)
         ON CONFLICT (name, key) DO NOTHING",
        db::params![alert, mention.to_string(), mention, now.timestamp_millis()],
    )?;
    Ok(())
}

/// A mention's score (its engagement's `score`), in SQL.
fn score_sql(dialect: db::Dialect) -> &'static str {
    match dialect {
        db::Dialect::Sqlite => "json_extract(m.engagement, '$.score')",
        db::Dialect::Postgres => "CAST((m.engagement::jsonb ->> 'score') AS DOUBLE PRECISION)",
    }
}

/// Run the rules and the alerts on every mention stored after id `after`.
pub(super) fn apply(db: db::Db<'_>, arrival: &Arrival, after: i64, now: DateTime<Utc>) -> db::Result<()> {
    let rules = &arrival.rules;
    let arrived: Vec<Arrived> = db.query_map(
        &format!(
            "SELECT m.id, m.title, m.text, m.author, f.name, m.kind, m.url, m.author_reach,
                    {}, m.sort_at, m.lang, m.sentiment, m.intent, m.priority,
                    (SELECT group_concat(pt.tag, ',') FROM authors a JOIN person_tags pt ON pt.person_id = a.person_id
                     WHERE a.id = m.author_id),
                    m.noise, coalesce(m.story_id, m.id)
             FROM mentions m JOIN feeds f ON f.id = m.feed_id WHERE m.id > ?1 ORDER BY m.id",
            score_sql(db.dialect())
        ),
        db::params![after],
        |r| {
            Ok(Arrived {
                id: r.get(0)?,
                title: r.get(1)?,
                text: r.get(2)?,
                author: r.get(3)?,
                feed: r.get(4)?,
                kind: r.get(5)?,
                url: r.get(6)?,
                reach: r.get(7)?,
                score: r.get(8)?,
                sort_at: r.get(9)?,
                lang: r.get(10)?,
                sentiment: r.get(11)?,
                intents: r.get(12)?,
                priority: r.get(13)?,
                person_tags: r
                    .get::<Option<String>>(14)?
                    .map(|t| t.split(',').map(str::to_string).collect())
                    .unwrap_or_default(),
                noise: r.get(15)?,
                story: r.get(16)?,
            })
        },
    )?;
    let at = to_ts(now);
    for m in &arrived {
        let candidate = m.candidate();
        for alert in arrival.alerts.iter().filter(|a| a.per_mention()) {
            if alert.when.as_ref().is_some_and(|w| w.matches(&candidate)) {
                raise(db, &alert.name, m.id, now)?;
            }
        }
        for rule in rules.iter().filter(|r| r.when.matches(&candidate)) {
            let actor = rule.actor();
            let batch = next_batch(db)?;
            for action in &rule.actions {
                let change = match action {
                    Action::Tag(t) => Change::Tag(t.clone()),
                    Action::Status(s) => Change::Status(*s),
                    Action::Assign(a) => match assignee(db, &rule.name, a, now)? {
                        Some(who) => Change::Assign(Some(who)),
                        None => continue,
                    },
                    Action::Alert(name) => {
                        raise(db, name, m.id, now)?;
                        continue;
                    }
                };
                apply_one(
                    db,
                    m.id,
                    &change,
                    Stamp {
                        weights: &arrival.weights,
                        actor: &actor,
                        at,
                        batch,
                    },
                )?;
            }
        }
    }
    Ok(())
}

/// Whom `rule` assigns its next mention to.
fn assignee(db: db::Db<'_>, rule: &str, a: &Assign, now: DateTime<Utc>) -> db::Result<Option<String>> {
    let among: Vec<String> = match a {
        Assign::To(who) => return Ok(Some(who.clone())),
        Assign::Among(list) => list.clone(),
        Assign::Present => {
            let fresh = now.timestamp_millis() - super::PRESENCE_TTL.as_millis() as i64;
            db.query_map(
                "SELECT DISTINCT operator FROM sessions WHERE kind = 'console' AND seen_at >= ?1 ORDER BY operator",
                db::params![fresh],
                |r| r.get(0),
            )?
        }
    };
    if among.is_empty() {
        return Ok(None);
    }
    let turn: i64 = db
        .query_opt("SELECT turn FROM rule_turns WHERE rule = ?1", db::params![rule], |r| {
            r.get(0)
        })?
        .unwrap_or(0);
    db.execute(
        "INSERT INTO rule_turns (rule, turn) VALUES (?1, ?2) ON CONFLICT (rule) DO UPDATE SET turn = ?2",
        db::params![rule, turn + 1],
    )?;
    Ok(Some(among[(turn.rem_euclid(among.len() as i64)) as usize].clone()))
}

/// What `overhear rule test` found: how many mentions of the history a query matches, by feed
/// and by week, and some of them.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RuleTest {
    pub matched: i64,
    pub by_feed: std::collections::BTreeMap<String, i64>,
    /// By ISO week (`2026-W48`).
    pub by_week: std::collections::BTreeMap<String, i64>,
    /// The newest ten matches' ids.
    pub examples: Vec<i64>,
}

/// Words too common to say what drove a spike.
const STOPWORDS: &[&str] = &[
    "the", "and", "for", "are", "but", "not", "you", "all", "any", "can", "had", "her", "was", "one", "our", "out",
    "has", "have", "this", "that", "with", "from", "they", "will", "just", "what", "when", "your", "about", "there",
    "their", "would", "been", "were", "which", "more", "some", "than", "then", "them", "into", "its", "it's", "also",
    "very", "how", "why", "who", "get", "got", "use", "did", "does",
];

impl Store {
    /// Raise the alerts that time raises: spikes (the last window against the median of the
    /// baseline's windows, with the words that drove it) and SLA (a mention with `before` or less
    /// left before its first-response target). Each at most once. How many were raised.
    pub fn raise_timed_alerts(&mut self, arrival: &Arrival, now: DateTime<Utc>) -> Result<usize> {
        let mut raised = 0;
        for a in &arrival.alerts {
            if let Some(spike) = &a.spike {
                raised += self.check_spike(a, spike, now)?;
            }
            if let (Some(before), Some(sla)) = (a.sla_before, arrival.sla) {
                raised += self.check_sla(a, before, sla, arrival.business.as_ref(), now)?;
            }
        }
        Ok(raised)
    }

    fn check_spike(
        &mut self,
        a: &crate::rules::Alert,
        spike: &crate::rules::Spike,
        now: DateTime<Utc>,
    ) -> Result<usize> {
        let w = spike.window.as_secs().max(60) as i64;
        let k = (spike.baseline.as_secs() as i64 / w).max(2);
        let t = now.timestamp();
        let filter = a.when.clone().map(StreamFilter::from_expr).unwrap_or_default();
        let mut params = vec![Value::Text(String::new())];
        let cond = super::mentions::conditions(&filter, &mut params, "", self.db().dialect());
        let n = params.len();
        params.extend([Value::Integer(t), Value::Integer(w), Value::Integer(t - w * (k + 1))]);
        let from = super::mentions::MENTION_FROM;
        let sql = format!(
            "SELECT (?{now_p} - 1 - m.first_seen_at) / ?{w_p}, count(*) FROM {from}
             WHERE m.first_seen_at >= ?{start_p} AND m.first_seen_at < ?{now_p} {cond} GROUP BY 1",
            now_p = n + 1,
            w_p = n + 2,
            start_p = n + 3
        );
        let mut counts = vec![0i64; (k + 1) as usize];
        let buckets: Vec<(i64, i64)> = self
            .db()
            .query_map(&sql, &super::mentions::refs(&params), |r| Ok((r.get(0)?, r.get(1)?)))
            .doing("checking for a spike")?;
        for (b, c) in buckets {
            if let Some(slot) = usize::try_from(b).ok().and_then(|b| counts.get_mut(b)) {
                *slot += c;
            }
        }
        let current = counts[0];
        let mut base: Vec<i64> = counts[1..].to_vec();
        base.sort_unstable();
        let median = base[base.len() / 2];
        if current < spike.min || (current as f64) < spike.factor * (median.max(1) as f64) {
            return Ok(0);
        }
        let terms = self.spike_terms(&sql_texts(from, &cond, params.len() + 1), &params, t, w, k)?;
        let key = format!("spike:{}", t / w);
        let inserted = self.write_db("raising a spike alert", |db| {
            db.execute(
                "INSERT INTO alerts (name, trigger, key, terms, created_at) VALUES (?1, 'spike', ?2, ?3, ?4)
                     ON CONFLICT (name, key) DO NOTHING",
                db::params![
                    a.name,
                    key,
                    serde_json::to_string(&terms).unwrap_or_default(),
                    now.timestamp_millis()
                ],
            )
        })?;
        Ok(inserted)
    }

    /// The words most over-represented in the window's mentions against the baseline's.
    fn spike_terms(&self, sql: &str, params: &[Value], t: i64, w: i64, k: i64) -> Result<Vec<String>> {
        let texts = |from: i64, to: i64| -> Result<Vec<String>> {
            let mut p = params.to_vec();
            p.extend([Value::Integer(from), Value::Integer(to)]);
            self.db()
                .query_map(sql, &super::mentions::refs(&p), |r| r.get::<String>(0))
                .doing("reading a spike's words")
        };
        let count = |docs: &[String]| {
            let mut m: std::collections::HashMap<String, i64> = std::collections::HashMap::new();
            for d in docs {
                let mut seen = std::collections::HashSet::new();
                for word in crate::query::expr::words(d) {
                    if word.chars().count() >= 3
                        && !STOPWORDS.contains(&word.as_str())
                        && !word.chars().all(char::is_numeric)
                        && seen.insert(word.clone())
                    {
                        *m.entry(word).or_insert(0) += 1;
                    }
                }
            }
            m
        };
        let now_docs = texts(t - w, t)?;
        let base_docs = texts(t - w * (k + 1), t - w)?;
        let (cur, base) = (count(&now_docs), count(&base_docs));
        let scale = now_docs.len().max(1) as f64 / base_docs.len().max(1) as f64;
        let mut scored: Vec<(f64, String)> = cur
            .into_iter()
            .filter(|(_, c)| *c >= 2 && *c * 5 >= now_docs.len() as i64)
            .map(|(word, c)| {
                let expected = base.get(&word).copied().unwrap_or(0) as f64 * scale;
                ((c as f64 + 1.0) / (expected + 1.0), word)
            })
            .filter(|(score, _)| *score >= 2.0)
            .collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
        Ok(scored.into_iter().take(5).map(|(_, w)| w).collect())
    }

    fn check_sla(
        &mut self,
        a: &crate::rules::Alert,
        before: std::time::Duration,
        sla: std::time::Duration,
        business: Option<&crate::stats::BusinessHours>,
        now: DateTime<Utc>,
    ) -> Result<usize> {
        let t = now.timestamp();
        // Business time never runs faster than the clock: only mentions this old can be near.
        let latest = t - sla.as_secs() as i64 + before.as_secs() as i64;
        let oldest = t - 7 * 86_400;
        let candidates: Vec<(i64, i64)> = self
            .db()
            .query_map(
                "SELECT m.id, m.first_seen_at FROM mentions m
                 WHERE m.status IN ('new', 'open', 'escalated') AND m.responded_at IS NULL
                   AND m.sort_at <= ?1 AND m.first_seen_at <= ?1 AND m.first_seen_at >= ?2
                   AND NOT EXISTS (SELECT 1 FROM alerts a WHERE a.name = ?3 AND a.key = CAST(m.id AS TEXT))",
                db::params![latest, oldest, a.name],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .doing("checking SLA alerts")?;
        let due: Vec<i64> = candidates
            .into_iter()
            .filter(|(_, seen)| match crate::stats::sla_state(*seen, t, sla, business) {
                crate::stats::SlaState::Within(left) | crate::stats::SlaState::Near(left) => {
                    left <= before.as_secs() as i64
                }
                crate::stats::SlaState::Breached(_) => true,
            })
            .map(|(id, _)| id)
            .collect();
        if due.is_empty() {
            return Ok(0);
        }
        self.write_db("raising SLA alerts", |db| {
            let mut n = 0;
            for id in &due {
                n += db.execute(
                    "INSERT INTO alerts (name, trigger, key, mention_id, created_at) VALUES (?1, 'sla', ?2, ?3, ?4)
                     ON CONFLICT (name, key) DO NOTHING",
                    db::params![a.name, id.to_string(), id, now.timestamp_millis()],
                )?;
            }
            Ok(n)
        })
    }

    /// Alerts raised after `after` (an id), or since `since`, oldest first (at most `limit`).
    pub fn alerts(&self, after: i64, since: Option<DateTime<Utc>>, limit: usize) -> Result<Vec<AlertRow>> {
        self.read_alerts(after, since, limit, false)
    }

    /// The newest `limit` alerts raised since `since`, newest first (the console's alert list).
    pub fn newest_alerts(&self, since: DateTime<Utc>, limit: usize) -> Result<Vec<AlertRow>> {
        self.read_alerts(0, Some(since), limit, true)
    }

    fn read_alerts(
        &self,
        after: i64,
        since: Option<DateTime<Utc>>,
        limit: usize,
        newest_first: bool,
    ) -> Result<Vec<AlertRow>> {
        let order = if newest_first { "DESC" } else { "ASC" };
        let since = since.map_or(i64::MIN, |t| t.timestamp_millis());
        self.db()
            .query_map(
                &format!(
                    "SELECT a.id, a.name, a.trigger, a.mention_id, a.terms, a.created_at, a.acknowledged_by,
                            coalesce(m.title, m.text), m.sort_at, a.delivery_error
                     FROM alerts a LEFT JOIN mentions m ON m.id = a.mention_id
                     WHERE a.id > ?1 AND a.created_at >= ?2 ORDER BY a.id {order} LIMIT ?3"
                ),
                db::params![after, since, limit],
                |r| {
                    let terms: Option<String> = r.get(4)?;
                    Ok(AlertRow {
                        id: r.get(0)?,
                        alert: r.get(1)?,
                        trigger: r.get(2)?,
                        mention_id: r.get(3)?,
                        terms: terms.and_then(|t| serde_json::from_str(&t).ok()).unwrap_or_default(),
                        created_at: super::team::from_ms(r.get(5)?),
                        acknowledged_by: r.get(6)?,
                        about: r.get(7)?,
                        mention_sort_at: r.get(8)?,
                        delivery: r
                            .get::<Option<String>>(9)?
                            .map(|e| if e.is_empty() { "ok".to_string() } else { e }),
                    })
                },
            )
            .doing("reading alerts")
    }

    /// Record how an alert's command ended: `Ok` or the failure in words (one line, no escape,
    /// no secret).
    pub fn record_alert_delivery(
        &mut self,
        id: i64,
        outcome: std::result::Result<(), String>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let error = match outcome {
            Ok(()) => String::new(),
            Err(e) => crate::text::clean_message(&e),
        };
        self.write_db("recording an alert's delivery", |db| {
            db.execute(
                "UPDATE alerts SET delivery_error = ?2, delivery_done_at = ?3 WHERE id = ?1",
                db::params![id, error, now.timestamp_millis()],
            )
            .map(drop)
        })
    }

    /// The failures of alert commands since `since`, per alert, the latest first.
    pub fn alert_command_failures(&self, since: DateTime<Utc>) -> Result<Vec<CommandFailures>> {
        self.db()
            .query_map(
                "SELECT a.name, count(*), (SELECT b.delivery_error FROM alerts b WHERE b.name = a.name
                        AND b.delivery_error <> '' ORDER BY b.delivery_done_at DESC, b.id DESC LIMIT 1),
                        max(a.delivery_done_at)
                 FROM alerts a WHERE a.delivery_error <> '' AND a.delivery_done_at >= ?1
                 GROUP BY a.name ORDER BY 4 DESC, 1",
                db::params![since.timestamp_millis()],
                |r| {
                    Ok(CommandFailures {
                        alert: r.get(0)?,
                        count: r.get(1)?,
                        last: r.get(2)?,
                        at: super::team::from_ms(r.get(3)?),
                    })
                },
            )
            .doing("reading alert failures")
    }

    /// Claim the alerts of `names` raised in the last hour whose command has not run, for this
    /// poller to run it (once: the claim is written before the command starts), with their
    /// mentions.
    pub fn claim_alert_deliveries(&mut self, names: &[String], now: DateTime<Utc>) -> Result<Vec<AlertDelivery>> {
        if names.is_empty() {
            return Ok(Vec::new());
        }
        let at = now.timestamp_millis();
        let recent = at - 3_600_000;
        // Read first (most polls raise nothing: no write, no wake-up of every console).
        let waiting: Vec<AlertDelivery> = {
            self.db()
                .query_map(
                    "SELECT a.id, a.name, a.trigger, a.mention_id, a.created_at,
                            m.title, m.text, m.author, m.url, f.name
                     FROM alerts a LEFT JOIN mentions m ON m.id = a.mention_id
                     LEFT JOIN feeds f ON f.id = m.feed_id
                     WHERE a.created_at >= ?1 AND a.delivered_at IS NULL ORDER BY a.id LIMIT 100",
                    db::params![recent],
                    |r| {
                        Ok(AlertDelivery {
                            id: r.get(0)?,
                            alert: r.get(1)?,
                            trigger: r.get(2)?,
                            mention_id: r.get(3)?,
                            created_at: super::team::from_ms(r.get(4)?),
                            title: r.get(5)?,
                            text: r.get(6)?,
                            author: r.get(7)?,
                            url: r.get(8)?,
                            feed: r.get(9)?,
                        })
                    },
                )
                .doing("reading alerts to deliver")?
                .into_iter()
                .filter(|d| names.contains(&d.alert))
                .collect()
        };
        if waiting.is_empty() {
            return Ok(waiting);
        }
        // Claim each (another poller, or this one again, finds it claimed).
        self.write_db("claiming alerts to deliver", |db| {
            let mut claimed = Vec::new();
            for d in &waiting {
                if db.execute(
                    "UPDATE alerts SET delivered_at = ?2 WHERE id = ?1 AND delivered_at IS NULL",
                    db::params![d.id, at],
                )? == 1
                {
                    claimed.push(d.clone());
                }
            }
            Ok(claimed)
        })
    }

    /// Say `operator` has seen alert `id`. False when there is no such alert (or it was seen).
    pub fn acknowledge_alert(&mut self, id: i64, operator: &str, now: DateTime<Utc>) -> Result<bool> {
        self.write_db("acknowledging an alert", |db| {
            Ok(db.execute(
                "UPDATE alerts SET acknowledged_by = ?2, acknowledged_at = ?3 WHERE id = ?1 AND acknowledged_by IS NULL",
                db::params![id, operator, now.timestamp_millis()],
            )? == 1)
        })
    }

    /// The newest alert's id (where a console starts listening).
    pub fn newest_alert(&self) -> Result<i64> {
        self.db()
            .query_row("SELECT coalesce(max(id), 0) FROM alerts", db::params![], |r| r.get(0))
            .doing("reading alerts")
    }

    /// Count what `filter` matches over the whole history (or since `since`), by feed and by
    /// week, with the newest ten as examples.
    pub fn rule_test(&self, filter: &StreamFilter, since: Option<DateTime<Utc>>, operator: &str) -> Result<RuleTest> {
        let mut params = vec![Value::Text(operator.to_string())];
        let dialect = self.db().dialect();
        let mut cond = super::mentions::conditions(filter, &mut params, operator, dialect);
        if let Some(t) = since {
            params.push(Value::Integer(t.timestamp()));
            cond.push_str(&format!(" AND m.sort_at >= ?{}", params.len()));
        }
        // Only the joins the conditions use: each costs a lookup per row over the whole history.
        let mut from = String::from("mentions m");
        if cond.contains("f.name") {
            from.push_str(" CROSS JOIN feeds f ON f.id = m.feed_id");
        }
        if cond.contains("r.mention_id") {
            from.push_str(" LEFT JOIN reads r ON r.mention_id = m.id AND r.operator = ?1");
        }
        let mut by_feed = std::collections::BTreeMap::new();
        let mut by_week = std::collections::BTreeMap::new();
        let mut matched = 0;
        let groups = match self.words_only_groups(filter, since)? {
            Some(groups) => groups,
            None => {
                // Grouped by feed id and week (integers: no string per row; weeks from Monday
                // 1970-01-05, UTC), named afterwards. `+m.feed_id`: grouping must not choose the
                // index (it would walk every mention by feed); the conditions' indexes choose.
                // (PostgreSQL's planner takes no such hint, and groups by the column itself.)
                let feed = match dialect {
                    db::Dialect::Sqlite => "+m.feed_id",
                    db::Dialect::Postgres => "1",
                };
                let sql = format!(
                    "SELECT m.feed_id, (m.sort_at - 345600) / 604800, count(*) FROM {from} WHERE TRUE {cond}
                     GROUP BY {feed}, 2"
                );
                self.db()
                    .query_map(&sql, &super::mentions::refs(&params), |r| {
                        Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                    })
                    .doing("testing a rule")?
            }
        };
        let names: std::collections::HashMap<i64, String> = self
            .db()
            .query_map("SELECT id, name FROM feeds", db::params![], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .doing("testing a rule")?
            .into_iter()
            .collect();
        for (feed, week, n) in groups {
            matched += n;
            let name = names.get(&feed).cloned().unwrap_or_else(|| feed.to_string());
            *by_feed.entry(name).or_insert(0) += n;
            let monday = from_ts(week * 604_800 + 345_600);
            let iso = monday.iso_week();
            *by_week.entry(format!("{}-W{:02}", iso.year(), iso.week())).or_insert(0) += n;
        }
        // The newest matches: many are found walking the stream's index from the top (never a
        // sort of all of them); few, through the conditions' own indexes, then sorted.
        let from = if matched > 10_000 {
            from.replacen("mentions m", "mentions m INDEXED BY mentions_stream", 1)
        } else {
            from
        };
        let sql = format!("SELECT m.id FROM {from} WHERE TRUE {cond} ORDER BY m.sort_at DESC, m.id DESC LIMIT 10");
        let examples = self
            .db()
            .query_map(&sql, &super::mentions::refs(&params), |r| r.get(0))
            .doing("testing a rule")?;
        Ok(RuleTest {
            matched,
            by_feed,
            by_week,
            examples,
        })
    }

    /// A rule of words alone that many mentions match, counted per feed and week without a
    /// lookup per match: the full-text index's matches become a bitmap of ids, and one pass over
    /// the narrow `mentions_feed` index (feed, time, id) counts the ones in it. `None` when the
    /// rule has other conditions or few matches (the indexes of its conditions are then faster).
    fn words_only_groups(
        &self,
        filter: &StreamFilter,
        since: Option<DateTime<Utc>>,
    ) -> Result<Option<Vec<(i64, i64, i64)>>> {
        const DENSE: usize = 20_000;
        let Some(q) = filter.words_only() else { return Ok(None) };
        if self.db().dialect() == db::Dialect::Postgres {
            // No FTS5 table there: the conditions' own SQL (the GIN index) counts.
            return Ok(None);
        }
        let hits: Vec<i64> = self
            .conn()
            .prepare("SELECT rowid FROM mentions_fts WHERE mentions_fts MATCH ?1")
            .and_then(|mut s| s.query_map([&q], |r| r.get(0))?.collect())
            .doing("testing a rule")?;
        if hits.len() < DENSE {
            return Ok(None);
        }
        let top = hits.iter().copied().max().unwrap_or(0).max(0) as usize;
        let mut bits = vec![0u64; top / 64 + 1];
        for id in hits.into_iter().filter(|&id| id >= 0) {
            bits[id as usize / 64] |= 1 << (id as usize % 64);
        }
        let mut counts: std::collections::HashMap<(i64, i64), i64> = std::collections::HashMap::new();
        let mut stmt = self
            .conn()
            .prepare("SELECT feed_id, sort_at, id FROM mentions INDEXED BY mentions_feed WHERE sort_at >= ?1")
            .doing("testing a rule")?;
        let mut rows = stmt
            .query([since.map_or(i64::MIN, |t| t.timestamp())])
            .doing("testing a rule")?;
        while let Some(r) = rows.next().doing("testing a rule")? {
            let (feed, at, id) =
                (|| Ok::<_, rusqlite::Error>((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?, r.get::<_, i64>(2)?)))()
                    .doing("testing a rule")?;
            let hit = usize::try_from(id)
                .ok()
                .and_then(|i| bits.get(i / 64).map(|w| w & (1 << (i % 64)) != 0))
                .unwrap_or(false);
            if hit {
                *counts.entry((feed, (at - 345_600).div_euclid(604_800))).or_insert(0) += 1;
            }
        }
        Ok(Some(counts.into_iter().map(|((f, w), n)| (f, w, n)).collect()))
    }
}

#[cfg(test)]
mod tests {
    /// Alerts raised, listed, claimed once for delivery, delivered, failed and acknowledged, on
    /// either backend.
    fn alerts_scenario(s: &mut Store) -> Vec<String> {
        let m = crate::store::bare_mention(s, "a1");
        let t0 = chrono::DateTime::from_timestamp_millis(1_764_500_000_000).unwrap();
        for (name, key, at) in [("outage", "1", 0), ("vip", "2", 1_000), ("outage", "3", 2_000)] {
            s.db()
                .execute(
                    "INSERT INTO alerts (name, trigger, key, mention_id, created_at) VALUES (?1, 'when', ?2, ?3, ?4)",
                    db::params![name, key, m, t0.timestamp_millis() + at],
                )
                .unwrap();
        }
        let now = t0 + chrono::Duration::seconds(10);
        let mut said = vec![format!("{:?}", s.alerts(0, None, 10).unwrap())];
        said.push(format!("{:?}", s.newest_alerts(t0, 2).unwrap()));
        let claimed = s.claim_alert_deliveries(&["outage".into()], now).unwrap();
        said.push(format!("{claimed:?}"));
        said.push(format!(
            "{:?}",
            s.claim_alert_deliveries(&["outage".into()], now).unwrap()
        ));
        s.record_alert_delivery(claimed[0].id, Ok(()), now).unwrap();
        s.record_alert_delivery(claimed[1].id, Err("exit 3: \u{1b}[2Jboom".into()), now)
            .unwrap();
        said.push(format!("{:?}", s.alert_command_failures(t0).unwrap()));
        said.push(format!(
            "{:?}",
            s.acknowledge_alert(claimed[0].id, "alice", now).unwrap()
        ));
        said.push(format!("{:?}", s.acknowledge_alert(claimed[0].id, "bob", now).unwrap()));
        said.push(format!(
            "{:?} {}",
            s.alerts(0, Some(t0), 10).unwrap(),
            s.newest_alert().unwrap()
        ));
        said
    }

    #[test]
    fn alerts_are_kept_alike_on_sqlite_and_postgres() {
        let dir = tempfile::tempdir().unwrap();
        let on_sqlite = alerts_scenario(&mut Store::open(&dir.path().join("a.db")).unwrap());
        assert!(on_sqlite[3] == "[]", "claimed once: {on_sqlite:?}");
        let Some(pg) = crate::store::postgres::testing::database() else {
            return;
        };
        let on_pg = alerts_scenario(&mut pg.store());
        for (l, p) in on_sqlite.iter().zip(&on_pg) {
            assert_eq!(l, p);
        }
    }

    use super::*;
    use crate::model::NewMention;
    use crate::model::Status;
    use crate::store::{PollRecord, PollWrite};

    fn rule(name: &str, when: &str, actions: Vec<Action>) -> Rule {
        Rule {
            name: name.into(),
            when: crate::query::Expr::parse(when, Utc::now()).unwrap(),
            actions,
        }
    }

    fn poll(s: &mut Store, rules: &[Rule], texts: &[&str]) {
        let feed = s.ensure_feed("f", FeedKind::Rss).unwrap();
        let mentions = texts
            .iter()
            .map(|t| NewMention {
                external_id: Some((*t).to_string()),
                text: (*t).to_string(),
                ..Default::default()
            })
            .collect();
        let record = PollRecord::Items {
            feed_id: feed,
            kind: FeedKind::Rss,
            write: PollWrite {
                mentions,
                status: 200,
                next_poll_at: Utc::now(),
                ..Default::default()
            },
        };
        let arrival = Arrival {
            rules: rules.to_vec(),
            ..Default::default()
        };
        let r = s.record_polls_fenced(&[record], Utc::now(), None, &arrival).unwrap();
        assert!(r[0].is_ok());
    }

    /// One poll through two rules, checked field by field, on either backend.
    #[expect(
        clippy::too_many_lines,
        reason = "one poll through two rules, checked field by field"
    )]
    fn rules_scenario(s: &mut Store) {
        let rules = vec![
            rule(
                "refunds",
                "refund OR \"charged twice\"",
                vec![
                    Action::Tag("billing".into()),
                    Action::Status(Status::Escalated),
                    Action::Assign(Assign::Among(vec!["alice".into(), "bob".into()])),
                ],
            ),
            rule("spam", "crypto -acme", vec![Action::Status(Status::Ignored)]),
        ];
        poll(
            s,
            &rules,
            &[
                "I want a refund",
                "charged twice again",
                "free crypto",
                "acme crypto wallet",
                "hello",
            ],
        );
        let rows: Vec<(String, String, Option<String>)> = s
            .db()
            .query_map(
                "SELECT text, status, assignee FROM mentions ORDER BY id",
                db::params![],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .unwrap();
        assert_eq!(
            rows,
            vec![
                ("I want a refund".into(), "escalated".into(), Some("alice".into())),
                ("charged twice again".into(), "escalated".into(), Some("bob".into())),
                ("free crypto".into(), "ignored".into(), None),
                ("acme crypto wallet".into(), "new".into(), None),
                ("hello".into(), "new".into(), None),
            ],
            "round-robin in turn"
        );
        let actors: Vec<(String, String)> = s
            .db()
            .query_map(
                "SELECT a.actor, a.action FROM actions a JOIN mentions m ON m.id = a.mention_id
                 WHERE m.text = 'I want a refund' ORDER BY a.id",
                db::params![],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert_eq!(
            actors,
            vec![
                ("rule:refunds".into(), "tag".into()),
                ("rule:refunds".into(), "status".into()),
                ("rule:refunds".into(), "assign".into()),
            ],
            "each action once, in history as the rule"
        );
        // A second poll with the same items: nothing new, nothing done again.
        poll(s, &rules, &["I want a refund", "charged twice again"]);
        let n: i64 = s
            .db()
            .query_row("SELECT count(*) FROM actions", db::params![], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 7);
        // Undo of the rule's batch, as the rule, reverses it.
        let batch: i64 = s
            .db()
            .query_row(
                "SELECT a.batch FROM actions a JOIN mentions m ON m.id = a.mention_id WHERE m.text = 'free crypto'",
                db::params![],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(s.undo(batch, "rule:spam", Utc::now()).unwrap(), 1);
        let status: String = s
            .db()
            .query_row(
                "SELECT status FROM mentions WHERE text = 'free crypto'",
                db::params![],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(status, "new");
    }

    #[test]
    fn rules_act_once_on_arrival_as_rule_name_and_undo_works() {
        let dir = tempfile::tempdir().unwrap();
        rules_scenario(&mut Store::open(&dir.path().join("r.db")).unwrap());
        if let Some(pg) = crate::store::postgres::testing::database() {
            rules_scenario(&mut pg.store());
        }
    }

    #[test]
    fn a_rule_test_counts_by_feed_and_week_with_examples() {
        for (_d, mut s) in crate::store::each_backend() {
            poll(&mut s, &[], &["refund please", "no refund", "hello", "refund?"]);
            let f = StreamFilter::parse("refund -no", Utc::now()).unwrap();
            let t = s.rule_test(&f, None, "alice").unwrap();
            assert_eq!(t.matched, 2);
            assert_eq!(t.by_feed.get("f"), Some(&2));
            assert_eq!(t.by_week.values().sum::<i64>(), 2);
            assert_eq!(t.examples.len(), 2);
        }
    }

    fn poll_at(s: &mut Store, texts: &[String], at: DateTime<Utc>) {
        let feed = s.ensure_feed("f", FeedKind::Rss).unwrap();
        let mentions = texts
            .iter()
            .map(|t| NewMention {
                external_id: Some(t.clone()),
                text: t.clone(),
                published_at: Some(at),
                ..Default::default()
            })
            .collect();
        let record = PollRecord::Items {
            feed_id: feed,
            kind: FeedKind::Rss,
            write: PollWrite {
                mentions,
                status: 200,
                next_poll_at: at,
                ..Default::default()
            },
        };
        s.record_polls(&[record], at).unwrap();
    }

    fn alert(name: &str) -> crate::rules::Alert {
        crate::rules::Alert {
            name: name.into(),
            when: None,
            spike: None,
            sla_before: None,
            operators: None,
            bell: true,
            notify: true,
            command: None,
            timeout: std::time::Duration::from_secs(5),
        }
    }

    #[test]
    fn a_burst_raises_one_spike_alert_naming_its_term() {
        use chrono::TimeZone;
        for (_d, mut s) in crate::store::each_backend() {
            let t0 = Utc.with_ymd_and_hms(2026, 11, 29, 0, 30, 0).unwrap();
            // A day of quiet hours: two mentions an hour about everyday things.
            for h in 0..24 {
                let at = t0 + chrono::Duration::hours(h);
                poll_at(
                    &mut s,
                    &[
                        format!("lovely weather day {h} acme"),
                        format!("acme shipping news {h}"),
                    ],
                    at,
                );
            }
            // Then a burst in one hour, most of it about an outage.
            let burst_at = t0 + chrono::Duration::hours(24) + chrono::Duration::minutes(10);
            let burst: Vec<String> = (0..20).map(|i| format!("acme outage login broken {i}")).collect();
            poll_at(&mut s, &burst, burst_at);
            let mut a = alert("surge");
            a.spike = Some(crate::rules::Spike {
                window: std::time::Duration::from_secs(3600),
                baseline: std::time::Duration::from_secs(24 * 3600),
                factor: 3.0,
                min: 10,
            });
            let arrival = Arrival {
                alerts: vec![a],
                ..Default::default()
            };
            let now = burst_at + chrono::Duration::minutes(5);
            // Quiet hours raise nothing.
            assert_eq!(
                s.raise_timed_alerts(&arrival, t0 + chrono::Duration::hours(20))
                    .unwrap(),
                0
            );
            assert_eq!(s.raise_timed_alerts(&arrival, now).unwrap(), 1);
            assert_eq!(
                s.raise_timed_alerts(&arrival, now + chrono::Duration::minutes(1))
                    .unwrap(),
                0,
                "once"
            );
            let raised = s.alerts(0, None, 10).unwrap();
            assert_eq!(raised.len(), 1);
            assert_eq!(raised[0].trigger, "spike");
            assert!(raised[0].mention_id.is_none());
            assert!(raised[0].terms.contains(&"outage".to_string()), "{:?}", raised[0].terms);
            assert!(
                !raised[0].terms.contains(&"acme".to_string()),
                "acme is in every hour: {:?}",
                raised[0].terms
            );
        }
    }

    #[test]
    fn an_sla_alert_fires_once_when_the_time_left_reaches_it() {
        use chrono::TimeZone;
        for (_d, mut s) in crate::store::each_backend() {
            let t0 = Utc.with_ymd_and_hms(2026, 11, 29, 10, 0, 0).unwrap();
            poll_at(
                &mut s,
                &["help, my order is late".to_string(), "answered already".to_string()],
                t0,
            );
            s.record_response(
                2,
                "done",
                &crate::store::Sent::default(),
                "alice",
                t0 + chrono::Duration::minutes(5),
            )
            .unwrap();
            let mut a = alert("sla");
            a.sla_before = Some(std::time::Duration::from_secs(15 * 60));
            let arrival = Arrival {
                alerts: vec![a],
                sla: Some(std::time::Duration::from_secs(3600)),
                ..Default::default()
            };
            assert_eq!(
                s.raise_timed_alerts(&arrival, t0 + chrono::Duration::minutes(44))
                    .unwrap(),
                0
            );
            assert_eq!(
                s.raise_timed_alerts(&arrival, t0 + chrono::Duration::minutes(45))
                    .unwrap(),
                1
            );
            assert_eq!(
                s.raise_timed_alerts(&arrival, t0 + chrono::Duration::minutes(50))
                    .unwrap(),
                0,
                "once"
            );
            let raised = s.alerts(0, None, 10).unwrap();
            assert_eq!((raised[0].trigger.as_str(), raised[0].mention_id), ("sla", Some(1)));
        }
    }
}
