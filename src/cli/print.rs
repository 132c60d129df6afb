//! Printing for people: the feeds table, the stats table, rate-limit state. Every string that
//! came from a feed or a server goes through `text` before it is printed.

use super::StatsFormat;
use crate::config::Config;
use crate::store::Store;
use crate::timefmt;
use anyhow::Result;
use chrono::{DateTime, Utc};
use std::io::Write;

#[expect(clippy::too_many_lines, reason = "one table, column by column")]
pub fn feeds(config: &Config, store: &Store) -> Result<()> {
    let health = store.feed_health(true)?;
    let now = Utc::now();
    let mut out = std::io::stdout().lock();
    if config.feeds.is_empty() {
        writeln!(out, "No feeds are configured in {}.", config.path.display())?;
    }
    let width = config
        .feeds
        .iter()
        .map(|f| f.name.chars().count())
        .max()
        .unwrap_or(4)
        .max(4);
    let row = |out: &mut std::io::StdoutLock<'_>, cols: [&str; 8]| {
        writeln!(
            out,
            "{:<width$}  {:<13}  {:<7}  {:>7}  {:<12}  {:<12}  {:<24}  {}",
            cols[0], cols[1], cols[2], cols[3], cols[4], cols[5], cols[6], cols[7]
        )
    };
    row(
        &mut out,
        [
            "FEED",
            "KIND",
            "HEALTH",
            "ITEMS",
            "LAST OK",
            "NEXT POLL",
            "RATE LIMIT",
            "LAST ERROR",
        ],
    )?;
    for f in &config.feeds {
        let h = health.iter().find(|h| h.name == f.name);
        let state = match h {
            Some(h) if h.last_error.is_some() => "failing",
            Some(h) if h.last_success_at.is_some() => "ok",
            _ => "new",
        };
        let items = h.map_or(0, |h| h.items).to_string();
        let last_ok = h
            .and_then(|h| h.last_success_at)
            .map_or("never".into(), |t| timefmt::relative(now, t, true));
        let next = h
            .and_then(|h| h.next_poll_at)
            .map_or("now".into(), |t| timefmt::relative(now, t, true));
        let rate = h
            .and_then(|h| h.rate_limit.as_deref())
            .map(|r| crate::text::sanitize_line(&describe_rate(r, now)))
            .unwrap_or_default();
        let err = h
            .and_then(|h| {
                h.last_error.as_deref().map(crate::text::sanitize_line).map(|e| {
                    if h.consecutive_failures > 1 {
                        format!("{e} ({} times in a row)", h.consecutive_failures)
                    } else {
                        e
                    }
                })
            })
            .or_else(|| {
                h.and_then(|h| h.notes.as_deref())
                    .map(|n| format!("repaired or noticed: {}", crate::text::sanitize_line(n)))
            })
            .unwrap_or_default();
        row(
            &mut out,
            [&f.name, f.kind.as_str(), state, &items, &last_ok, &next, &rate, &err],
        )?;
    }
    for h in health.iter().filter(|h| !config.feeds.iter().any(|f| f.name == h.name)) {
        row(
            &mut out,
            [
                &h.name,
                &h.kind,
                "-",
                &h.items.to_string(),
                "",
                "",
                "",
                "(no longer in the config)",
            ],
        )?;
    }
    alert_failures(&mut out, store, now)?;
    Ok(())
}

/// Below the feeds: the alert commands that failed in the last day (an alert nobody received is
/// as much a fault of the listening as a feed that fails).
fn alert_failures(out: &mut impl Write, store: &Store, now: DateTime<Utc>) -> Result<()> {
    for f in store.alert_command_failures(now - chrono::Duration::hours(24))? {
        let n = f.count;
        writeln!(
            out,
            "alert {:?}: its command failed {n} time{} in the last 24 h, last {}: {}",
            crate::text::sanitize_line(&f.alert),
            if n == 1 { "" } else { "s" },
            timefmt::relative(now, f.at, true),
            crate::text::sanitize_line(&f.last),
        )?;
    }
    Ok(())
}

/// "299/300 left, resets 14:00" from the stored rate-limit state.
fn describe_rate(json: &str, now: DateTime<Utc>) -> String {
    let Ok(r) = serde_json::from_str::<crate::sources::RateLimit>(json) else {
        return String::new();
    };
    if let Some(note) = r.note {
        return note;
    }
    let mut s = match (r.remaining, r.limit) {
        (Some(rem), Some(lim)) => format!("{rem}/{lim} left"),
        (Some(rem), None) => format!("{rem} left"),
        _ => String::new(),
    };
    if let Some(reset) = r.reset.filter(|t| *t > now) {
        s.push_str(&format!(", resets {}", timefmt::relative(now, reset, true)));
    }
    s
}

/// `overhear stats --accuracy [--since DAY]`.
pub fn accuracy(
    store: &crate::store::Store,
    since: Option<chrono::NaiveDate>,
    format: StatsFormat,
) -> Result<std::process::ExitCode> {
    let since = since.map(|d| d.and_hms_opt(0, 0, 0).expect("midnight exists").and_utc());
    print_accuracy(&store.model_accuracy(since)?, format)?;
    Ok(std::process::ExitCode::SUCCESS)
}

fn print_accuracy(a: &crate::store::ModelAccuracy, format: StatsFormat) -> Result<()> {
    let mut out = std::io::stdout().lock();
    let pct = |n: u64| {
        if a.judged == 0 {
            "—".to_string()
        } else {
            format!("{:.1}%", n as f64 * 100.0 / a.judged as f64)
        }
    };
    match format {
        StatsFormat::Json => writeln!(out, "{}", serde_json::to_string(a)?)?,
        StatsFormat::Csv => {
            let mut w = csv::Writer::from_writer(out);
            w.write_record(["judgement", "corrected", "agreed", "model_only", "operator_only"])?;
            w.write_record([
                "sentiment".to_string(),
                a.judged.to_string(),
                a.sentiment_agreed.to_string(),
                String::new(),
                String::new(),
            ])?;
            for i in &a.intents {
                w.write_record([
                    i.intent.clone(),
                    a.judged.to_string(),
                    i.agreed.to_string(),
                    i.model_only.to_string(),
                    i.operator_only.to_string(),
                ])?;
            }
            w.flush()?;
        }
        StatsFormat::Table => {
            if a.judged == 0 {
                writeln!(
                    out,
                    "no corrections yet: c on a mention in the console corrects its sentiment or intents"
                )?;
                return Ok(());
            }
            writeln!(
                out,
                "{} mentions corrected by operators; how often the model agreed with them:",
                a.judged
            )?;
            writeln!(
                out,
                "{:<10} {:>7} {:>8} {:>14} {:>14}",
                "", "agreed", "", "model only", "operator only"
            )?;
            writeln!(
                out,
                "{:<10} {:>7} {:>8}",
                "sentiment",
                a.sentiment_agreed,
                pct(a.sentiment_agreed)
            )?;
            for i in &a.intents {
                writeln!(
                    out,
                    "{:<10} {:>7} {:>8} {:>14} {:>14}",
                    i.intent,
                    i.agreed,
                    pct(i.agreed),
                    i.model_only,
                    i.operator_only
                )?;
            }
        }
    }
    Ok(())
}

pub fn stats(rows: &[crate::stats::DayStats], format: StatsFormat, sla: Option<std::time::Duration>) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match format {
        StatsFormat::Json => {
            serde_json::to_writer_pretty(&mut out, rows)?;
            writeln!(out)?;
        }
        StatsFormat::Csv => {
            let mut w = csv::Writer::from_writer(out);
            for r in rows {
                w.serialize(r)?;
            }
            w.flush()?;
        }
        StatsFormat::Table => stats_table(&mut out, rows, sla)?,
    }
    Ok(())
}

fn stats_table(out: &mut impl Write, rows: &[crate::stats::DayStats], sla: Option<std::time::Duration>) -> Result<()> {
    let dur = |s: Option<f64>| {
        s.map(|v| humantime::format_duration(std::time::Duration::from_secs(v.round() as u64)).to_string())
            .unwrap_or_else(|| "-".into())
    };
    let grouped = rows.iter().any(|r| r.group.is_some());
    let gw = rows
        .iter()
        .filter_map(|r| r.group.as_ref())
        .map(|g| g.chars().count())
        .max()
        .unwrap_or(5)
        .max(5);
    if grouped {
        write!(out, "{:<gw$}  ", "GROUP")?;
    }
    writeln!(
        out,
        "{:<10}  {:>8}  {:>7}  {:>9}  {:>7}  {:>9}  {:>6}  {:>14}  {:>14}  {:>14}  {:>14}  {:>14}  {:>8}  {:>7}",
        "DATE",
        "MENTIONS",
        "STORIES",
        "RESPONDED",
        "IGNORED",
        "ESCALATED",
        "RATE",
        "MEDIAN (PUB)",
        "P90 (PUB)",
        "MEDIAN (SEEN)",
        "MAX (SEEN)",
        "NEXT REPLY",
        "SLA MISS",
        "BACKLOG"
    )?;
    for r in rows {
        if grouped {
            write!(out, "{:<gw$}  ", r.group.as_deref().unwrap_or(""))?;
        }
        writeln!(
            out,
            "{:<10}  {:>8}  {:>7}  {:>9}  {:>7}  {:>9}  {:>5.0}%  {:>14}  {:>14}  {:>14}  {:>14}  {:>14}  {:>8}  {:>7}",
            r.date,
            r.mentions,
            r.stories,
            r.responded,
            r.ignored,
            r.escalated,
            r.response_rate * 100.0,
            dur(r.median_first_response_secs),
            dur(r.p90_first_response_secs.map(|v| v as f64)),
            dur(r.median_first_response_from_seen_secs),
            dur(r.max_first_response_from_seen_secs.map(|v| v as f64)),
            dur(r.median_next_reply_secs),
            if sla.is_some() {
                r.sla_breaches.to_string()
            } else {
                "-".into()
            },
            r.backlog
        )?;
    }
    writeln!(
        out,
        "PUB: from publication; SEEN: from when overhear first saw it; NEXT REPLY: median wait for our next answer after the customer answered.{}",
        sla.map(|s| format!(" SLA target {}.", humantime::format_duration(s)))
            .unwrap_or_default()
    )?;
    Ok(())
}

/// `overhear rule test`: what a rule's query matches over the stored history.
pub fn rule_test(
    cli: &super::Cli,
    name: Option<&str>,
    when: Option<&str>,
    since: Option<chrono::DateTime<Utc>>,
    format: super::StatsFormat,
) -> Result<std::process::ExitCode> {
    let config = super::load_config(cli)?;
    let (label, filter) = match (name, when) {
        (Some(n), _) => {
            let rule = config.poller.rules.iter().find(|r| r.name == n).ok_or_else(|| {
                let names: Vec<&str> = config.poller.rules.iter().map(|r| r.name.as_str()).collect();
                anyhow::anyhow!(
                    "no rule named {n:?} in {} (rules: {})",
                    config.path.display(),
                    if names.is_empty() {
                        "none".to_string()
                    } else {
                        names.join(", ")
                    }
                )
            })?;
            (
                format!("rule {n}: {}", rule.when),
                crate::query::StreamFilter::from_expr(rule.when.clone()),
            )
        }
        (None, Some(q)) => (
            format!("query: {q}"),
            crate::query::StreamFilter::parse(q, Utc::now()).map_err(|e| anyhow::anyhow!("--when {q:?}: {e}"))?,
        ),
        (None, None) => anyhow::bail!("name a rule of the config, or give a query with --when"),
    };
    let store = super::open_store(cli)?;
    let started = std::time::Instant::now();
    let t = store.rule_test(&filter, since, &config.operator)?;
    let ms = started.elapsed().as_millis();
    let mut out = std::io::stdout().lock();
    match format {
        super::StatsFormat::Json => writeln!(out, "{}", serde_json::to_string(&t)?)?,
        super::StatsFormat::Csv => {
            writeln!(out, "feed,matched")?;
            for (f, n) in &t.by_feed {
                writeln!(out, "{},{n}", crate::text::sanitize_line(f).replace(',', " "))?;
            }
        }
        super::StatsFormat::Table => {
            writeln!(out, "{}", crate::text::sanitize_line(&label))?;
            writeln!(out, "matched {} mentions ({ms} ms)", t.matched)?;
            let list = |m: &std::collections::BTreeMap<String, i64>| {
                m.iter()
                    .map(|(k, n)| format!("{} {n}", crate::text::sanitize_line(k)))
                    .collect::<Vec<_>>()
                    .join(" · ")
            };
            writeln!(out, "by feed:  {}", list(&t.by_feed))?;
            writeln!(out, "by week:  {}", list(&t.by_week))?;
            let ids: Vec<String> = t.examples.iter().map(i64::to_string).collect();
            writeln!(out, "newest:   {}", ids.join(", "))?;
        }
    }
    Ok(std::process::ExitCode::SUCCESS)
}

/// `overhear alerts`: the alerts raised, as a table, JSON (an array) or CSV.
pub fn alerts(rows: &[crate::store::AlertRow], format: super::StatsFormat) -> Result<()> {
    let mut out = std::io::stdout().lock();
    let clean = crate::text::sanitize_line;
    match format {
        super::StatsFormat::Json => writeln!(out, "{}", serde_json::to_string(rows)?)?,
        super::StatsFormat::Csv => {
            let mut w = csv::Writer::from_writer(out);
            w.write_record([
                "id",
                "alert",
                "trigger",
                "mention_id",
                "terms",
                "created_at",
                "acknowledged_by",
                "delivery",
            ])?;
            for a in rows {
                w.write_record(crate::text::csv_record([
                    a.id.to_string(),
                    clean(&a.alert),
                    a.trigger.clone(),
                    a.mention_id.map(|m| m.to_string()).unwrap_or_default(),
                    clean(&a.terms.join(" ")),
                    a.created_at.to_rfc3339(),
                    a.acknowledged_by.as_deref().map(clean).unwrap_or_default(),
                    a.delivery.as_deref().map(clean).unwrap_or_default(),
                ]))?;
            }
            w.flush()?;
        }
        super::StatsFormat::Table => {
            if rows.is_empty() {
                writeln!(out, "No alerts.")?;
            }
            for a in rows {
                writeln!(
                    out,
                    "{:>6}  {}  {:<12} {:<6} {}  {}{}{}",
                    a.id,
                    a.created_at.with_timezone(&chrono::Local).format("%Y-%m-%d %H:%M"),
                    clean(&a.alert),
                    a.trigger,
                    a.mention_id
                        .map(|m| format!("mention {m}"))
                        .unwrap_or_else(|| clean(&a.terms.join(", "))),
                    a.about
                        .as_deref()
                        .map(|t| crate::text::truncate_to_width(&clean(t), 60))
                        .unwrap_or_default(),
                    a.acknowledged_by
                        .as_deref()
                        .map(|b| format!("  (seen by {})", clean(b)))
                        .unwrap_or_default(),
                    a.delivery
                        .as_deref()
                        .filter(|d| *d != "ok")
                        .map(|d| format!("  (command failed: {})", clean(d)))
                        .unwrap_or_default(),
                )?;
            }
        }
    }
    Ok(())
}

/// Our posts as CSV rows, their text kept from running as a formula.
fn own_csv(out: impl Write, posts: &[crate::report::own::PostRates]) -> Result<()> {
    let mut w = csv::Writer::from_writer(out);
    for p in posts {
        let mut p = p.clone();
        p.text = crate::text::csv_cell(&p.text).into_owned();
        w.serialize(p)?;
    }
    w.flush()?;
    Ok(())
}

/// `overhear stats --own`: each account's rates over the span, then each post's (JSON and CSV:
/// one object or row per post).
pub fn own(
    store: &crate::store::Store,
    from: chrono::DateTime<chrono::Utc>,
    to: chrono::DateTime<chrono::Utc>,
    format: StatsFormat,
) -> Result<std::process::ExitCode> {
    let rows = store.own_posts(from, to, &[])?;
    let posts = crate::report::own::posts(&rows);
    let mut out = std::io::stdout().lock();
    match format {
        StatsFormat::Json => {
            serde_json::to_writer_pretty(&mut out, &posts)?;
            writeln!(out)?;
        }
        StatsFormat::Csv => own_csv(out, &posts)?,
        StatsFormat::Table => {
            let accounts = store.own_accounts()?;
            if accounts.is_empty() {
                writeln!(
                    out,
                    "no account of ours has been read: add [[account]] tables to the config (kind, handle), then run `overhear poll --once`"
                )?;
                return Ok(std::process::ExitCode::SUCCESS);
            }
            for a in accounts.iter().filter_map(|a| a.error.as_ref().map(|e| (a, e))) {
                writeln!(
                    out,
                    "{}: not read: {}",
                    crate::text::sanitize_line(&a.0.name),
                    crate::text::sanitize_line(a.1)
                )?;
            }
            let rate = |v: f64| format!("{v:.1}");
            let k = |v: Option<f64>| v.map_or_else(|| "-".into(), |v| format!("{v:.2}"));
            writeln!(
                out,
                "{:<28} {:>6} {:>7} {:>9} {:>10} {:>10} {:>8} {:>8} {:>8}",
                "ACCOUNT", "POSTS", "REPLIES", "FOLLOWERS", "CONV/POST", "AMPL/POST", "APPL/POST", "C/1K", "A/1K"
            )?;
            for a in crate::report::own::accounts(&rows) {
                writeln!(
                    out,
                    "{:<28} {:>6} {:>7} {:>9} {:>10} {:>10} {:>8} {:>8} {:>8}",
                    crate::text::truncate_to_width(&crate::text::sanitize_line(&a.account), 28),
                    a.posts,
                    a.replies_sent,
                    a.followers.map_or_else(|| "-".into(), |f| f.to_string()),
                    rate(a.conversation_rate),
                    rate(a.amplification_rate),
                    rate(a.applause_rate),
                    k(a.conversation_per_1k),
                    k(a.amplification_per_1k)
                )?;
            }
            writeln!(out)?;
            writeln!(
                out,
                "{:<16} {:<20} {:>7} {:>7} {:>6}  POST",
                "PUBLISHED", "ACCOUNT", "REPLIES", "REPOSTS", "LIKES"
            )?;
            for p in posts.iter().rev() {
                writeln!(
                    out,
                    "{:<16} {:<20} {:>7} {:>7} {:>6}  {}{}",
                    p.published_at.format("%Y-%m-%d %H:%M"),
                    crate::text::truncate_to_width(&crate::text::sanitize_line(&p.account), 20),
                    p.replies,
                    p.reposts + p.quotes,
                    p.likes,
                    if p.is_reply { "↳ " } else { "" },
                    crate::text::truncate_to_width(&p.text, 60)
                )?;
            }
            writeln!(
                out,
                "\nCONV: replies, AMPL: reposts and quotes, APPL: likes, per post; C/1K, A/1K: per 1,000 followers. ↳: a reply of ours."
            )?;
        }
    }
    Ok(std::process::ExitCode::SUCCESS)
}
