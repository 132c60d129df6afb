//! Rules on arrival, inside the transaction that stores the mentions: each new mention is read
//! back once, each rule's query evaluated in memory (the same evaluator as a feed's
//! include/exclude), and each action applied as a person's triage is, recorded as `rule:NAME`
//! (so the history, undo and the stats treat it alike). And `overhear rule test`: a query's
//! matches over the whole history, counted in SQL.

use super::triage::{Stamp, apply_one, next_batch};
use super::{Change, Doing, Result, Store, from_ts, to_ts};
use crate::model::FeedKind;
use crate::query::{Candidate, StreamFilter};
use crate::rules::{Action, Assign, Rule};
use chrono::{DateTime, Datelike, Utc};
use rusqlite::types::Value;
use rusqlite::{OptionalExtension, Transaction, params};

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
}

/// What acts on each new mention as it is stored: the rules, and the alerts new mentions raise.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Arrival {
    pub rules: Vec<Rule>,
    pub alerts: Vec<crate::rules::Alert>,
}

impl Arrival {
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty() && !self.alerts.iter().any(|a| a.when.is_some())
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
    /// The mention's title or text, for a banner.
    #[serde(skip)]
    pub about: Option<String>,
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
fn raise(tx: &Transaction<'_>, alert: &str, mention: i64, now: DateTime<Utc>) -> rusqlite::Result<()> {
    tx.prepare_cached(
        "INSERT INTO alerts (name, trigger, key, mention_id, created_at) VALUES (?1, 'when', ?2, ?2, ?3)
         ON CONFLICT (name, key) DO NOTHING",
    )?
    .execute(params![alert, mention, now.timestamp_millis()])?;
    Ok(())
}

/// Run the rules and the alerts on every mention stored after id `after`.
pub(super) fn apply(tx: &Transaction<'_>, arrival: &Arrival, after: i64, now: DateTime<Utc>) -> rusqlite::Result<()> {
    let rules = &arrival.rules;
    let arrived: Vec<Arrived> = tx
        .prepare_cached(
            "SELECT m.id, m.title, m.text, m.author, f.name, m.kind, m.url, m.author_reach,
                    json_extract(m.engagement, '$.score'), m.sort_at
             FROM mentions m JOIN feeds f ON f.id = m.feed_id WHERE m.id > ?1 ORDER BY m.id",
        )?
        .query_map([after], |r| {
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
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    let at = to_ts(now);
    for m in &arrived {
        let candidate = Candidate {
            title: m.title.as_deref(),
            text: &m.text,
            author: m.author.as_deref(),
            feed: &m.feed,
            kind: m.kind.parse().unwrap_or(FeedKind::Rss),
            url: m.url.as_deref(),
            reach: m.reach,
            score: m.score,
            sort_at: from_ts(m.sort_at),
            ..Candidate::blank()
        };
        for alert in &arrival.alerts {
            if alert.when.as_ref().is_some_and(|w| w.matches(&candidate)) {
                raise(tx, &alert.name, m.id, now)?;
            }
        }
        for rule in rules.iter().filter(|r| r.when.matches(&candidate)) {
            let actor = rule.actor();
            let batch = next_batch(tx)?;
            for action in &rule.actions {
                let change = match action {
                    Action::Tag(t) => Change::Tag(t.clone()),
                    Action::Status(s) => Change::Status(*s),
                    Action::Assign(a) => match assignee(tx, &rule.name, a, now)? {
                        Some(who) => Change::Assign(Some(who)),
                        None => continue,
                    },
                    Action::Alert(name) => {
                        raise(tx, name, m.id, now)?;
                        continue;
                    }
                };
                apply_one(
                    tx,
                    m.id,
                    &change,
                    Stamp {
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
fn assignee(tx: &Transaction<'_>, rule: &str, a: &Assign, now: DateTime<Utc>) -> rusqlite::Result<Option<String>> {
    let among: Vec<String> = match a {
        Assign::To(who) => return Ok(Some(who.clone())),
        Assign::Among(list) => list.clone(),
        Assign::Present => {
            let fresh = now.timestamp_millis() - super::PRESENCE_TTL.as_millis() as i64;
            tx.prepare_cached(
                "SELECT DISTINCT operator FROM sessions WHERE kind = 'console' AND seen_at >= ?1 ORDER BY operator",
            )?
            .query_map([fresh], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?
        }
    };
    if among.is_empty() {
        return Ok(None);
    }
    let turn: i64 = tx
        .query_row("SELECT turn FROM rule_turns WHERE rule = ?1", [rule], |r| r.get(0))
        .optional()?
        .unwrap_or(0);
    tx.execute(
        "INSERT INTO rule_turns (rule, turn) VALUES (?1, ?2) ON CONFLICT (rule) DO UPDATE SET turn = ?2",
        params![rule, turn + 1],
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

impl Store {
    /// Alerts raised after `after` (an id), or since `since`, oldest first (at most `limit`).
    pub fn alerts(&self, after: i64, since: Option<DateTime<Utc>>, limit: usize) -> Result<Vec<AlertRow>> {
        let mut stmt = self
            .conn()
            .prepare_cached(
                "SELECT a.id, a.name, a.trigger, a.mention_id, a.terms, a.created_at, a.acknowledged_by,
                        coalesce(m.title, m.text)
                 FROM alerts a LEFT JOIN mentions m ON m.id = a.mention_id
                 WHERE a.id > ?1 AND a.created_at >= ?2 ORDER BY a.id LIMIT ?3",
            )
            .doing("reading alerts")?;
        let since = since.map_or(i64::MIN, |t| t.timestamp_millis());
        let rows = stmt
            .query_map(params![after, since, limit as i64], |r| {
                let terms: Option<String> = r.get(4)?;
                Ok(AlertRow {
                    id: r.get(0)?,
                    alert: r.get(1)?,
                    trigger: r.get(2)?,
                    mention_id: r.get(3)?,
                    terms: terms.and_then(|t| serde_json::from_str(&t).ok()).unwrap_or_default(),
                    created_at: chrono::TimeZone::timestamp_millis_opt(&Utc, r.get(5)?)
                        .single()
                        .unwrap_or_default(),
                    acknowledged_by: r.get(6)?,
                    about: r.get(7)?,
                })
            })
            .doing("reading alerts")?;
        rows.collect::<rusqlite::Result<_>>().doing("reading alerts")
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
            let mut stmt = self
                .conn()
                .prepare_cached(
                    "SELECT a.id, a.name, a.trigger, a.mention_id, a.created_at,
                            m.title, m.text, m.author, m.url, f.name
                     FROM alerts a LEFT JOIN mentions m ON m.id = a.mention_id
                     LEFT JOIN feeds f ON f.id = m.feed_id
                     WHERE a.created_at >= ?1 AND a.delivered_at IS NULL ORDER BY a.id LIMIT 100",
                )
                .doing("reading alerts to deliver")?;
            let rows = stmt
                .query_map([recent], |r| {
                    Ok(AlertDelivery {
                        id: r.get(0)?,
                        alert: r.get(1)?,
                        trigger: r.get(2)?,
                        mention_id: r.get(3)?,
                        created_at: chrono::TimeZone::timestamp_millis_opt(&Utc, r.get(4)?)
                            .single()
                            .unwrap_or_default(),
                        title: r.get(5)?,
                        text: r.get(6)?,
                        author: r.get(7)?,
                        url: r.get(8)?,
                        feed: r.get(9)?,
                    })
                })
                .doing("reading alerts to deliver")?;
            rows.collect::<rusqlite::Result<Vec<_>>>()
                .doing("reading alerts to deliver")?
                .into_iter()
                .filter(|d| names.contains(&d.alert))
                .collect()
        };
        if waiting.is_empty() {
            return Ok(waiting);
        }
        // Claim each (another poller, or this one again, finds it claimed).
        self.write("claiming alerts to deliver", |tx| {
            let mut claimed = Vec::new();
            for d in &waiting {
                if tx.execute(
                    "UPDATE alerts SET delivered_at = ?2 WHERE id = ?1 AND delivered_at IS NULL",
                    params![d.id, at],
                )? == 1
                {
                    claimed.push(d.clone());
                }
            }
            Ok(claimed)
        })
    }

    /// The newest alert's id (where a console starts listening).
    pub fn newest_alert(&self) -> Result<i64> {
        self.conn()
            .query_row("SELECT coalesce(max(id), 0) FROM alerts", [], |r| r.get(0))
            .doing("reading alerts")
    }

    /// Count what `filter` matches over the whole history (or since `since`), by feed and by
    /// week, with the newest ten as examples.
    pub fn rule_test(&self, filter: &StreamFilter, since: Option<DateTime<Utc>>, operator: &str) -> Result<RuleTest> {
        let mut params = vec![Value::Text(operator.to_string())];
        let mut cond = super::mentions::conditions(filter, &mut params, operator);
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
        // Grouped by feed id and week (integers: no string per row; weeks from Monday 1970-01-05,
        // UTC), named afterwards.
        let sql = format!(
            "SELECT m.feed_id, (m.sort_at - 345600) / 604800, count(*) FROM {from} WHERE 1 {cond} GROUP BY 1, 2"
        );
        let mut groups: Vec<(i64, i64, i64)> = Vec::new();
        let mut stmt = self.conn().prepare(&sql).doing("testing a rule")?;
        let mut rows = stmt
            .query(rusqlite::params_from_iter(params.iter().take(stmt.parameter_count())))
            .doing("testing a rule")?;
        while let Some(r) = rows.next().doing("testing a rule")? {
            let g = (|| Ok::<_, rusqlite::Error>((r.get(0)?, r.get(1)?, r.get(2)?)))().doing("testing a rule")?;
            groups.push(g);
        }
        drop(rows);
        drop(stmt);
        let names: std::collections::HashMap<i64, String> = self
            .conn()
            .prepare("SELECT id, name FROM feeds")
            .and_then(|mut s| s.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect())
            .doing("testing a rule")?;
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
        let sql = format!("SELECT m.id FROM {from} WHERE 1 {cond} ORDER BY m.sort_at DESC, m.id DESC LIMIT 10");
        let examples = self
            .conn()
            .prepare(&sql)
            .and_then(|mut s| {
                let n = s.parameter_count();
                s.query_map(rusqlite::params_from_iter(params.iter().take(n)), |r| r.get(0))?
                    .collect::<rusqlite::Result<Vec<i64>>>()
            })
            .doing("testing a rule")?;
        Ok(RuleTest {
            matched,
            by_feed,
            by_week,
            examples,
        })
    }
}

#[cfg(test)]
mod tests {
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
            alerts: Vec::new(),
        };
        let r = s.record_polls_fenced(&[record], Utc::now(), None, &arrival).unwrap();
        assert!(r[0].is_ok());
    }

    #[test]
    #[expect(
        clippy::too_many_lines,
        reason = "one poll through two rules, checked field by field"
    )]
    fn rules_act_once_on_arrival_as_rule_name_and_undo_works() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Store::open(&dir.path().join("r.db")).unwrap();
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
            &mut s,
            &rules,
            &[
                "I want a refund",
                "charged twice again",
                "free crypto",
                "acme crypto wallet",
                "hello",
            ],
        );
        let rows: Vec<(String, String, Option<String>)> = {
            let mut st = s
                .conn()
                .prepare("SELECT text, status, assignee FROM mentions ORDER BY id")
                .unwrap();
            st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                .unwrap()
                .map(|r| r.unwrap())
                .collect()
        };
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
        let actors: Vec<(String, String)> = {
            let mut st = s
                .conn()
                .prepare("SELECT actor, action FROM actions WHERE mention_id = 1 ORDER BY id")
                .unwrap();
            st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
                .unwrap()
                .map(|r| r.unwrap())
                .collect()
        };
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
        poll(&mut s, &rules, &["I want a refund", "charged twice again"]);
        let n: i64 = s
            .conn()
            .query_row("SELECT count(*) FROM actions", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 7);
        // Undo of the rule's batch, as the rule, reverses it.
        let batch: i64 = s
            .conn()
            .query_row("SELECT batch FROM actions WHERE mention_id = 3", [], |r| r.get(0))
            .unwrap();
        assert_eq!(s.undo(batch, "rule:spam", Utc::now()).unwrap(), 1);
        let status: String = s
            .conn()
            .query_row("SELECT status FROM mentions WHERE id = 3", [], |r| r.get(0))
            .unwrap();
        assert_eq!(status, "new");
    }

    #[test]
    fn a_rule_test_counts_by_feed_and_week_with_examples() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Store::open(&dir.path().join("r.db")).unwrap();
        poll(&mut s, &[], &["refund please", "no refund", "hello", "refund?"]);
        let f = StreamFilter::parse("refund -no", Utc::now()).unwrap();
        let t = s.rule_test(&f, None, "alice").unwrap();
        assert_eq!(t.matched, 2);
        assert_eq!(t.by_feed.get("f"), Some(&2));
        assert_eq!(t.by_week.values().sum::<i64>(), 2);
        assert_eq!(t.examples.len(), 2);
    }
}
