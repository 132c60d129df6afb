//! The report a team lead hands to people who never open a terminal: one span's figures (the
//! same as `overhear stats`, over the whole span and day by day), the span before it for the
//! changes, the people and stories behind the mentions, when they came and when we were quick,
//! the mentions worth naming, and a few sentences saying what changed. [`gather`] reads it from
//! the store; [`html`] and [`markdown`] write it (every string from a feed escaped for where it
//! goes).

pub mod charts;
pub mod html;
pub mod markdown;
pub mod own;

use crate::query::StreamFilter;
use crate::stats::{BusinessHours, DayStats, GroupBy, StatsQuery};
use crate::store::{Notable, Store, TopPerson, TopStory};
use chrono::{DateTime, Datelike, NaiveDate, Timelike, Utc};
use chrono_tz::Tz;
use serde::Serialize;
use std::time::Duration;

/// How many people, stories and notable mentions a report names.
const TOP: usize = 10;

/// The span a report covers, ending today.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Span {
    /// The last 7 days, today included.
    Week,
    /// The last 30 days.
    Month,
    /// From this day to today.
    Since(NaiveDate),
}

/// What to report on.
#[derive(Debug, Clone)]
pub struct ReportQuery {
    pub span: Span,
    pub by: Option<GroupBy>,
    pub tz: Tz,
    pub sla: Option<Duration>,
    pub business: Option<BusinessHours>,
    /// Only the mentions matching this query (the search language).
    pub filter: StreamFilter,
    pub now: DateTime<Utc>,
    /// Who the report is for, in its title ("Acme support").
    pub team: Option<String>,
    /// What an answered mention is worth, per intent (`[value]`).
    pub value: Option<Value>,
}

/// What answering a mention is worth to the business, per intent (`[value]` in the config): an
/// estimate the team sets, not a measure.
#[derive(Debug, Clone, PartialEq)]
pub struct Value {
    pub currency: String,
    pub per_intent: Vec<(crate::score::Intent, f64)>,
}

/// The estimate of a span: each intent's answered mentions times its worth.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Estimate {
    pub currency: String,
    pub total: f64,
    pub previous_total: f64,
    /// intent, answered this span, worth each, subtotal.
    pub lines: Vec<(String, i64, f64, f64)>,
}

/// A report's figures, ready to write.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub team: Option<String>,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub previous_from: NaiveDate,
    pub previous_to: NaiveDate,
    pub tz: String,
    pub generated_at: DateTime<Utc>,
    pub sla_secs: Option<i64>,
    /// The filter, as typed, when there is one.
    pub filter: Option<String>,
    /// The whole span.
    pub totals: DayStats,
    /// The span before it, as long.
    pub previous: DayStats,
    pub days: Vec<DayStats>,
    /// `--by`: what the groups are (feed, operator, tag, …), and each group's span figures.
    pub by: Option<String>,
    pub groups: Vec<DayStats>,
    /// Mentions per sentiment and per intent over the span (a mention may have several intents).
    pub sentiment: Vec<(String, i64)>,
    pub intents: Vec<(String, i64)>,
    /// Mentions by weekday (Monday first) and local hour of arrival.
    pub arrivals: [[i64; 24]; 7],
    /// The median first-response time (from when overhear saw it) of mentions that arrived in
    /// each weekday × hour, where any was answered.
    pub answer_speed: [[Option<i64>; 24]; 7],
    pub people: Vec<TopPerson>,
    pub stories: Vec<TopStory>,
    pub engaged: Vec<Notable>,
    pub breaches: Vec<Notable>,
    /// What our own posts of the span earned, per account (`[[account]]`; empty without any).
    pub own_accounts: Vec<own::AccountRates>,
    /// Our posts of the span that earned the most.
    pub own_top: Vec<own::PostRates>,
    /// When our posts earned the most: engagement per post by weekday × hour of posting.
    pub own_best_time: [[Option<f64>; 24]; 7],
    /// What the answers were worth, when `[value]` says what each is worth.
    pub estimate: Option<Estimate>,
    /// What changed, in sentences.
    pub summary: Vec<String>,
}

/// The first and last day of a span ending `today`.
pub fn days_of(span: Span, today: NaiveDate) -> (NaiveDate, NaiveDate) {
    let from = match span {
        Span::Week => today - chrono::Duration::days(6),
        Span::Month => today - chrono::Duration::days(29),
        Span::Since(d) => d.min(today),
    };
    (from, today)
}

/// The local midnight starting `day`, as a UTC timestamp.
fn midnight(tz: &Tz, day: NaiveDate) -> i64 {
    use chrono::TimeZone;
    tz.from_local_datetime(&day.and_hms_opt(0, 0, 0).expect("midnight"))
        .earliest()
        .map_or_else(
            || day.and_hms_opt(0, 0, 0).expect("midnight").and_utc().timestamp(),
            |t| t.timestamp(),
        )
}

/// Read a report's figures from the store.
pub fn gather(store: &Store, q: &ReportQuery) -> crate::store::Result<Report> {
    let today = q.now.with_timezone(&q.tz).date_naive();
    let (from, to) = days_of(q.span, today);
    let len = (to - from).num_days() + 1;
    let (previous_from, previous_to) = (from - chrono::Duration::days(len), from - chrono::Duration::days(1));
    let stats = |from, to, by| StatsQuery {
        from,
        to,
        tz: q.tz,
        by,
        sla: q.sla,
        business: q.business.clone(),
        filter: q.filter.clone(),
        now: q.now,
    };
    let one = |rows: Vec<DayStats>| {
        rows.into_iter()
            .next()
            .unwrap_or_else(|| DayStats::empty(String::new(), None))
    };
    let totals = one(store.period(&stats(from, to, None))?);
    let previous = one(store.period(&stats(previous_from, previous_to, None))?);
    let days = store.stats(&stats(from, to, None))?;
    let mut groups = match q.by {
        Some(by) => store.period(&stats(from, to, Some(by)))?,
        None => Vec::new(),
    };
    groups.sort_by(|a, b| b.mentions.cmp(&a.mentions).then_with(|| a.group.cmp(&b.group)));
    let sentiment = mix(store, &stats(from, to, Some(GroupBy::Sentiment)))?;
    let intents = mix(store, &stats(from, to, Some(GroupBy::Intent)))?;
    let arrivals = store.profile(&stats(from, to, None))?.heat;
    let (start, end) = (midnight(&q.tz, from), midnight(&q.tz, to + chrono::Duration::days(1)));
    let answer_speed = speed_map(&store.report_answer_times(start, end, &q.filter)?, &q.tz);
    let sla_secs = q.sla.map(|s| s.as_secs() as i64);
    let breaches = match sla_secs {
        Some(sla) => store.report_breaches(start, end, &q.filter, sla, q.now.timestamp(), TOP)?,
        None => Vec::new(),
    };
    let worth = [
        stats(from, to, Some(GroupBy::Intent)),
        stats(previous_from, previous_to, Some(GroupBy::Intent)),
    ];
    let own_rows = store.own_posts(
        DateTime::from_timestamp(start, 0).unwrap_or_default(),
        DateTime::from_timestamp(end, 0).unwrap_or_default(),
        &[],
    )?;
    let mut report = Report {
        team: q.team.clone(),
        from,
        to,
        previous_from,
        previous_to,
        tz: q.tz.to_string(),
        generated_at: q.now,
        sla_secs,
        filter: (!q.filter.is_empty()).then(|| q.filter.describe()),
        totals,
        previous,
        days,
        by: q.by.map(|b| format!("{b:?}").to_lowercase()),
        groups,
        sentiment,
        intents,
        arrivals,
        answer_speed,
        people: store.report_people(start, end, &q.filter, TOP)?,
        stories: store.report_stories(start, end, &q.filter, TOP)?,
        engaged: store.report_engaged(start, end, &q.filter, TOP)?,
        breaches,
        own_accounts: own::accounts(&own_rows),
        own_top: own::top(&own_rows, TOP),
        own_best_time: own::best_time(&own_rows, &q.tz),
        estimate: q.value.as_ref().map(|v| estimate(store, v, &worth)).transpose()?,
        summary: Vec::new(),
    };
    report.summary = summarize(&report);
    Ok(report)
}

/// Each intent's answered mentions of the span (and of the span before) times its worth.
fn estimate(store: &Store, v: &Value, [now, before]: &[StatsQuery; 2]) -> crate::store::Result<Estimate> {
    let answered = |q: &StatsQuery| -> crate::store::Result<Vec<(String, i64)>> {
        Ok(store
            .period_counts(q)?
            .into_iter()
            .map(|(g, _, answered)| (g.unwrap_or_default(), answered))
            .collect())
    };
    let (this, prev) = (answered(now)?, answered(before)?);
    let count = |rows: &[(String, i64)], i: &str| rows.iter().find(|(g, _)| g == i).map_or(0, |(_, n)| *n);
    let mut lines = Vec::new();
    let (mut total, mut previous_total) = (0.0, 0.0);
    for (intent, each) in &v.per_intent {
        let name = intent.to_string().to_lowercase();
        let n = count(&this, &name);
        total += n as f64 * each;
        previous_total += count(&prev, &name) as f64 * each;
        lines.push((name, n, *each, n as f64 * each));
    }
    Ok(Estimate {
        currency: v.currency.clone(),
        total,
        previous_total,
        lines,
    })
}

/// An amount with its currency: "€4,200", "4,200 EUR".
pub fn money(amount: f64, currency: &str) -> String {
    let n = thousands(amount.round() as i64);
    match currency.chars().count() {
        0 => n,
        1 => format!("{currency}{n}"),
        _ => format!("{n} {currency}"),
    }
}

/// How many of a span's mentions each group (sentiment, intent) has, the largest first.
fn mix(store: &Store, q: &StatsQuery) -> crate::store::Result<Vec<(String, i64)>> {
    let mut v: Vec<(String, i64)> = store
        .period_counts(q)?
        .into_iter()
        .map(|(g, n, _)| (g.unwrap_or_default(), n))
        .filter(|(_, n)| *n > 0)
        .collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    Ok(v)
}

/// The median first-response time per weekday × hour of arrival.
fn speed_map(times: &[(i64, i64)], tz: &Tz) -> [[Option<i64>; 24]; 7] {
    let mut slots: Vec<Vec<i64>> = vec![Vec::new(); 7 * 24];
    for &(at, secs) in times {
        let local = DateTime::from_timestamp(at, 0).unwrap_or_default().with_timezone(tz);
        let slot = local.weekday().num_days_from_monday() as usize * 24 + local.hour() as usize;
        slots[slot].push(secs);
    }
    let mut out = [[None; 24]; 7];
    for (i, mut v) in slots.into_iter().enumerate() {
        v.sort_unstable();
        out[i / 24][i % 24] = median(&v);
    }
    out
}

/// The median of sorted values, rounded down to a second (the lower middle of an even count's
/// two, averaged).
fn median(v: &[i64]) -> Option<i64> {
    match v.len() {
        0 => None,
        n if n % 2 == 1 => Some(v[n / 2]),
        n => Some((v[n / 2 - 1] + v[n / 2]) / 2),
    }
}

/// A wait in words ("1h 12m").
pub fn wait(secs: f64) -> String {
    crate::timefmt::wait(Duration::from_secs_f64(secs.max(0.0)))
}

/// "+12%", "−8%", "no change", or "new" when there was nothing before.
pub fn change(now: f64, before: f64) -> String {
    if before == 0.0 {
        return if now == 0.0 { "no change".into() } else { "new".into() };
    }
    let pct = ((now - before) / before * 100.0).round();
    match pct {
        p if p > 0.0 => format!("+{p}%"),
        p if p < 0.0 => format!("−{}%", -p),
        _ => "no change".into(),
    }
}

const WEEKDAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

/// The weekday names, Monday first.
pub fn weekday(i: usize) -> &'static str {
    WEEKDAYS[i % 7]
}

/// What changed, in a few sentences.
pub fn summarize(r: &Report) -> Vec<String> {
    let (t, p) = (&r.totals, &r.previous);
    let mut out = Vec::new();
    if t.mentions == 0 {
        out.push(format!(
            "No mentions from {} to {} (there were {} the span before).",
            r.from,
            r.to,
            thousands(p.mentions)
        ));
        return out;
    }
    out.push(volume(r));
    out.push(answered(r));
    if let Some(sla) = r.sla_secs {
        out.push(match t.sla_breaches {
            0 => format!("Every answer came within the {} target.", wait(sla as f64)),
            n => format!(
                "{} waited longer than the {} target ({} the span before).",
                thousands(n),
                wait(sla as f64),
                thousands(p.sla_breaches)
            ),
        });
    }
    out.push(format!(
        "{} still open at the end of the span ({} at the end of the span before).",
        thousands(t.backlog),
        thousands(p.backlog)
    ));
    if let Some(next) = t.median_next_reply_secs {
        out.push(format!(
            "When customers answered us back, our next reply took {} at the median.",
            wait(next)
        ));
    }
    let negative = r.sentiment.iter().find(|(s, _)| s == "negative").map_or(0, |(_, n)| *n);
    if negative > 0 {
        out.push(format!(
            "{:.0}% of the mentions were negative.",
            negative as f64 / t.mentions as f64 * 100.0
        ));
    }
    if let Some(e) = &r.estimate {
        out.push(format!(
            "Our answers were worth an estimated {} ({} the span before), by the team's own values per answered intent.",
            money(e.total, &e.currency),
            money(e.previous_total, &e.currency)
        ));
    }
    if let Some((day, hour, n)) = peak(&r.arrivals) {
        out.push(format!(
            "The busiest hour was {} {hour:02}:00–{:02}:00 ({}).",
            weekday(day),
            (hour + 1) % 24,
            count(n, "mention")
        ));
    }
    out
}

/// "7 mentions (+250% on the 7 days before), telling 6 stories …".
fn volume(r: &Report) -> String {
    let (t, p) = (&r.totals, &r.previous);
    let days = (r.to - r.from).num_days() + 1;
    let mut volume = format!(
        "{} ({} on the {} days before)",
        count(t.mentions, "mention"),
        change(t.mentions as f64, p.mentions as f64),
        days
    );
    if t.stories != t.mentions {
        volume.push_str(&format!(
            ", telling {} (a story seen in several places counted once)",
            count(t.stories, "story")
        ));
    }
    volume.push('.');
    volume
}

/// "We answered 2 of them …; the median first answer took …".
fn answered(r: &Report) -> String {
    let (t, p) = (&r.totals, &r.previous);
    let mut answered = format!(
        "We answered {} of them ({:.0}%, {} the span before)",
        thousands(t.responded),
        t.response_rate * 100.0,
        if p.mentions > 0 {
            format!("{:.0}%", p.response_rate * 100.0)
        } else {
            "none".into()
        }
    );
    if let Some(m) = t.median_first_response_secs {
        answered.push_str(&format!("; the median first answer took {}", wait(m)));
        if let Some(pm) = p.median_first_response_secs {
            answered.push_str(&format!(" (was {})", wait(pm)));
        }
        if let Some(p90) = t.p90_first_response_secs {
            answered.push_str(&format!(", nine in ten within {}", wait(p90 as f64)));
        }
    }
    answered.push('.');
    answered
}

/// A whole number with thousands separated: 14,363.
pub fn thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

/// "1 mention", "14,363 mentions" ("story" → "stories").
pub fn count(n: i64, one: &str) -> String {
    let many = match one.strip_suffix('y') {
        Some(stem) => format!("{stem}ies"),
        None => format!("{one}s"),
    };
    format!("{} {}", thousands(n), if n == 1 { one.to_string() } else { many })
}

/// The busiest weekday × hour, if any mention came.
pub fn peak(heat: &[[i64; 24]; 7]) -> Option<(usize, usize, i64)> {
    let mut best: Option<(usize, usize, i64)> = None;
    for (d, row) in heat.iter().enumerate() {
        for (h, &n) in row.iter().enumerate() {
            if n > 0 && best.is_none_or(|(_, _, b)| n > b) {
                best = Some((d, h, n));
            }
        }
    }
    best
}

/// Only what a browser may follow: an `http(s)` link, else none.
pub fn safe_link(url: Option<&str>) -> Option<&str> {
    url.filter(|u| {
        let l = u.trim_start().to_ascii_lowercase();
        (l.starts_with("https://") || l.starts_with("http://")) && !u.chars().any(char::is_control)
    })
}

#[cfg(test)]
mod tests;
