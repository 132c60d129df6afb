//! The report as one self-contained HTML file: inline CSS and SVG charts, no script, no font, no
//! request to anywhere; readable on a phone (the tables scroll, the charts scale) and printable.
//! maud writes it: every value is escaped for where it goes (text or attribute), a stranger's
//! string is cleaned of control and direction characters first, and a link is kept only when it
//! is `http(s)`.

use super::{Report, change, charts, safe_link, thousands, wait, weekday};
use crate::stats::DayStats;
use crate::store::Notable;
use maud::{DOCTYPE, Markup, PreEscaped, html};

const CSS: &str = r#"
:root { color-scheme: light; --ink: #222; --muted: #666; --line: #ddd; --accent: #1f4e79; --good: #2e7d32; --bad: #c62828; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: var(--ink); background: #fff; }
main { max-width: 60rem; margin: 0 auto; padding: 1rem; }
h1 { font-size: 1.6rem; margin: 0.5rem 0 0.25rem; color: var(--accent); }
h2 { font-size: 1.25rem; margin: 2rem 0 0.5rem; border-bottom: 2px solid var(--line); padding-bottom: 0.25rem; }
h3 { font-size: 1.05rem; margin: 1.25rem 0 0.5rem; }
.meta, figcaption, .note { color: var(--muted); font-size: 0.9rem; }
.summary li { margin: 0.25rem 0; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-size: 0.95rem; }
th, td { text-align: left; padding: 0.35rem 0.5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-weight: 600; background: #f7f7f7; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.up { color: var(--bad); } .down { color: var(--good); }
figure { margin: 0.5rem 0 1rem; }
figure svg { width: 100%; height: auto; display: block; }
.bar { background: var(--accent); height: 0.7rem; border-radius: 2px; min-width: 1px; }
.grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(16rem, 1fr)); gap: 1rem; }
.mention { margin: 0 0 0.75rem; padding: 0.5rem 0.75rem; border-left: 3px solid var(--line); }
.mention p { margin: 0.25rem 0 0; overflow-wrap: anywhere; }
a { color: var(--accent); overflow-wrap: anywhere; }
footer { margin: 2rem 0 1rem; color: var(--muted); font-size: 0.85rem; }
@media print {
  body { font-size: 11pt; }
  main { max-width: none; padding: 0; }
  h2 { break-after: avoid; }
  figure, table, .mention { break-inside: avoid; }
  a { color: inherit; text-decoration: none; }
}
"#;

/// The groups a report lists (`--by`), the busiest first.
const GROUPS_SHOWN: usize = 25;

/// A stranger's string on one line, cleaned, clipped to `max` characters.
fn said(s: &str, max: usize) -> String {
    let clean = crate::text::sanitize_line(s);
    let mut out: String = clean.chars().take(max).collect();
    if clean.chars().count() > max {
        out.push('…');
    }
    out
}

fn secs(v: Option<f64>) -> String {
    v.map_or_else(|| "—".to_string(), wait)
}

fn isecs(v: Option<i64>) -> String {
    secs(v.map(|s| s as f64))
}

fn pct(v: f64) -> String {
    format!("{:.0}%", v * 100.0)
}

/// A chart, or why it is missing.
fn chart(svg: Option<String>, caption: &str) -> Markup {
    html! {
        figure {
            @match svg {
                Some(s) => (PreEscaped(s)),
                None => p.note { "This chart could not be drawn (the log says why)." },
            }
            figcaption { (caption) }
        }
    }
}

/// The whole report, as a document.
pub fn render(r: &Report) -> String {
    let title = match &r.team {
        Some(t) => format!("{} · social care report", said(t, 80)),
        None => "Social care report".to_string(),
    };
    let doc = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="generator" content=(format!("overhear {}", env!("CARGO_PKG_VERSION")));
                title { (title) " · " (r.from) " to " (r.to) }
                style { (PreEscaped(CSS)) }
            }
            body {
                main {
                    header {
                        h1 { (title) }
                        p.meta {
                            (r.from) " to " (r.to) " (" (r.tz) "), compared with " (r.previous_from) " to " (r.previous_to)
                            @if let Some(f) = &r.filter { " · only mentions matching " code { (f) } }
                            " · written " (r.generated_at.format("%Y-%m-%d %H:%M UTC"))
                        }
                    }
                    section id="summary" {
                        h2 { "In short" }
                        ul.summary { @for s in &r.summary { li { (s) } } }
                    }
                    (figures(r))
                    (per_day(r))
                    (groups(r))
                    (mix(r))
                    (when(r))
                    (people(r))
                    (stories(r))
                    (notable(r))
                    (own_posts(r))
                    (worth(r))
                    footer {
                        "Figures from overhear " (env!("CARGO_PKG_VERSION")) ". First response: from publication to our first answer; \"seen\": from when overhear first saw it. "
                        "Next reply: how long a customer who answered us back waited for our next answer. Stories count a story seen in several places once."
                    }
                }
            }
        }
    };
    doc.into_string()
}

/// One figure of the span against the span before: the row of the key figures' table.
fn kpi(name: &str, now: String, before: String, delta: Option<(f64, f64, bool)>) -> Markup {
    html! {
        tr {
            th { (name) }
            td.n { (now) }
            td.n { (before) }
            td.n {
                @if let Some((n, b, lower_is_better)) = delta {
                    @let c = change(n, b);
                    @let worse = if lower_is_better { n > b } else { n < b };
                    span class=(if c == "no change" || c == "new" { "" } else if worse { "up" } else { "down" }) { (c) }
                }
            }
        }
    }
}

fn figures(r: &Report) -> Markup {
    let (t, p) = (&r.totals, &r.previous);
    let f = |v: Option<f64>| v.unwrap_or(0.0);
    html! {
        section id="figures" {
            h2 { "The figures" }
            div.scroll { table {
                thead { tr { th { "" } th.n { "this span" } th.n { "the span before" } th.n { "change" } } }
                tbody {
                    (kpi("Mentions", thousands(t.mentions), thousands(p.mentions), Some((t.mentions as f64, p.mentions as f64, false))))
                    (kpi("Stories", thousands(t.stories), thousands(p.stories), Some((t.stories as f64, p.stories as f64, false))))
                    (kpi("Answered", thousands(t.responded), thousands(p.responded), Some((t.responded as f64, p.responded as f64, false))))
                    (kpi("Answered, share", pct(t.response_rate), pct(p.response_rate), Some((t.response_rate, p.response_rate, false))))
                    (kpi("First response, median", secs(t.median_first_response_secs), secs(p.median_first_response_secs),
                        (t.median_first_response_secs.is_some() && p.median_first_response_secs.is_some())
                            .then(|| (f(t.median_first_response_secs), f(p.median_first_response_secs), true))))
                    (kpi("First response, 9 in 10 within", isecs(t.p90_first_response_secs), isecs(p.p90_first_response_secs), None))
                    (kpi("First response from when seen, median", secs(t.median_first_response_from_seen_secs), secs(p.median_first_response_from_seen_secs), None))
                    @if let Some(sla) = r.sla_secs {
                        (kpi(&format!("Past the {} target", wait(sla as f64)), thousands(t.sla_breaches), thousands(p.sla_breaches),
                            Some((t.sla_breaches as f64, p.sla_breaches as f64, true))))
                    }
                    (kpi("Open at the end", thousands(t.backlog), thousands(p.backlog), Some((t.backlog as f64, p.backlog as f64, true))))
                    (kpi("Next reply, median", secs(t.median_next_reply_secs), secs(p.median_next_reply_secs), None))
                    (kpi("Next reply, 9 in 10 within", isecs(t.p90_next_reply_secs), isecs(p.p90_next_reply_secs), None))
                    (kpi("Our answers per conversation", t.replies_per_conversation.map_or("—".into(), |v| format!("{v:.1}")),
                        p.replies_per_conversation.map_or("—".into(), |v| format!("{v:.1}")), None))
                }
            } }
        }
    }
}

fn day_row(d: &DayStats) -> Markup {
    html! {
        tr {
            td { (d.date) }
            td.n { (thousands(d.mentions)) }
            td.n { (thousands(d.stories)) }
            td.n { (thousands(d.responded)) }
            td.n { (pct(d.response_rate)) }
            td.n { (secs(d.median_first_response_secs)) }
            td.n { (isecs(d.p90_first_response_secs)) }
            td.n { (thousands(d.sla_breaches)) }
            td.n { (thousands(d.backlog)) }
        }
    }
}

fn per_day(r: &Report) -> Markup {
    html! {
        section id="days" {
            h2 { "Day by day" }
            (chart(charts::volume(&r.days), "Mentions and our answers per day."))
            (chart(charts::response(&r.days, r.sla_secs), "First response per day, in hours: the median and the time nine answers in ten came within, against the target."))
            (chart(charts::backlog(&r.days), "Still open at the end of each day."))
            div.scroll { table {
                thead { tr {
                    th { "day" } th.n { "mentions" } th.n { "stories" } th.n { "answered" } th.n { "share" }
                    th.n { "first response, median" } th.n { "9 in 10 within" } th.n { "past target" } th.n { "open at end" }
                } }
                tbody { @for d in &r.days { (day_row(d)) } }
            } }
        }
    }
}

fn groups(r: &Report) -> Markup {
    let Some(by) = &r.by else { return html! {} };
    html! {
        section id="by" {
            h2 { "By " (by) }
            div.scroll { table {
                thead { tr {
                    th { (by) } th.n { "mentions" } th.n { "answered" } th.n { "share" } th.n { "first response, median" }
                    th.n { "9 in 10 within" } th.n { "past target" } th.n { "open at end" }
                } }
                tbody { @for g in r.groups.iter().take(GROUPS_SHOWN) {
                    tr {
                        td { (said(g.group.as_deref().unwrap_or("—"), 60)) }
                        td.n { (thousands(g.mentions)) } td.n { (thousands(g.responded)) } td.n { (pct(g.response_rate)) }
                        td.n { (secs(g.median_first_response_secs)) } td.n { (isecs(g.p90_first_response_secs)) }
                        td.n { (thousands(g.sla_breaches)) } td.n { (thousands(g.backlog)) }
                    }
                } }
            } }
            @if r.groups.len() > GROUPS_SHOWN {
                p.note { "And " (r.groups.len() - GROUPS_SHOWN) " more with fewer mentions (`overhear stats --by " (by) "` lists them all)." }
            }
        }
    }
}

/// A share table with a bar for each row.
fn shares(rows: &[(String, i64)], total: i64, what: &str) -> Markup {
    html! {
        table {
            thead { tr { th { (what) } th.n { "mentions" } th.n { "share" } th { "" } } }
            tbody { @for (name, n) in rows {
                @let share = if total > 0 { *n as f64 / total as f64 } else { 0.0 };
                tr {
                    td { (said(name, 40)) } td.n { (thousands(*n)) } td.n { (pct(share)) }
                    td style="width: 40%" { div.bar style=(format!("width: {:.1}%", (share * 100.0).min(100.0))) {} }
                }
            } }
        }
    }
}

fn mix(r: &Report) -> Markup {
    html! {
        section id="mix" {
            h2 { "What people felt and wanted" }
            div.grid {
                div { h3 { "Sentiment" } (shares(&r.sentiment, r.totals.mentions, "sentiment")) }
                div {
                    h3 { "Intent" }
                    (shares(&r.intents, r.totals.mentions, "intent"))
                    p.note { "A mention may show several intents." }
                }
            }
        }
    }
}

fn when(r: &Report) -> Markup {
    let arrivals = r.arrivals.map(|row| row.map(|n| (n > 0).then_some(n as f64)));
    let speed = r.answer_speed.map(|row| row.map(|s| s.map(|s| s as f64)));
    let (fast, slow) = extremes(&r.answer_speed);
    html! {
        section id="when" {
            h2 { "When mentions come, and when we are quick" }
            (chart(charts::heat(&arrivals, "arrivals"), "Mentions by weekday and hour of arrival (darker: more)."))
            (chart(charts::heat(&speed, "speed"), "Median first response by weekday and hour of arrival (darker: slower; grey: nothing answered)."))
            @if let (Some(f), Some(s)) = (fast, slow) {
                p { "Quickest: mentions that came on " (weekday(f.0)) " at " (format!("{:02}:00", f.1)) " (median " (wait(f.2 as f64)) "); slowest: "
                    (weekday(s.0)) " at " (format!("{:02}:00", s.1)) " (median " (wait(s.2 as f64)) ")." }
            }
        }
    }
}

/// A weekday, an hour, and a median first response.
type Cell = (usize, usize, i64);

/// The quickest and slowest weekday × hour by median first response.
fn extremes(m: &[[Option<i64>; 24]; 7]) -> (Option<Cell>, Option<Cell>) {
    let cells = m
        .iter()
        .enumerate()
        .flat_map(|(d, row)| row.iter().enumerate().filter_map(move |(h, v)| v.map(|v| (d, h, v))));
    let fast = cells.clone().min_by_key(|c| (c.2, c.0, c.1));
    let slow = cells.max_by_key(|c| (c.2, std::cmp::Reverse((c.0, c.1))));
    (fast, slow)
}

fn people(r: &Report) -> Markup {
    html! {
        section id="people" {
            h2 { "Who wrote the most" }
            @if r.people.is_empty() { p.note { "Nobody: no mention of the span named its author." } } @else {
                div.scroll { table {
                    thead { tr { th { "person" } th { "where" } th.n { "mentions" } th.n { "answered" } th.n { "negative" } th.n { "reach" } } }
                    tbody { @for p in &r.people {
                        tr {
                            td { (said(&p.name, 60)) } td { (p.kinds.join(", ")) } td.n { (p.mentions) } td.n { (p.answered) }
                            td.n { (p.negative) } td.n { (p.reach.map_or("—".into(), |r| r.to_string())) }
                        }
                    } }
                } }
            }
        }
    }
}

fn stories(r: &Report) -> Markup {
    html! {
        section id="stories" {
            h2 { "Stories seen in several places" }
            @if r.stories.is_empty() { p.note { "None: every story of the span was seen in one place." } } @else {
                div.scroll { table {
                    thead { tr { th { "story" } th.n { "places" } th { "where" } } }
                    tbody { @for s in &r.stories {
                        @let title = said(s.title.as_deref().or(s.url.as_deref()).unwrap_or("(untitled)"), 120);
                        tr {
                            td { @if let Some(u) = safe_link(s.url.as_deref()) { a href=(u) rel="noopener noreferrer nofollow" { (title) } } @else { (title) } }
                            td.n { (s.places) }
                            td { (s.feeds.iter().map(|f| said(f, 40)).collect::<Vec<_>>().join(", ")) }
                        }
                    } }
                } }
            }
        }
    }
}

fn mention(m: &Notable, extra: String) -> Markup {
    let head = said(m.title.as_deref().unwrap_or(""), 140);
    let text = said(&m.text, 280);
    html! {
        div.mention {
            div.meta {
                (said(&m.feed, 40)) " · " (said(m.author.as_deref().unwrap_or("someone"), 60)) " · "
                (m.at.format("%Y-%m-%d %H:%M UTC")) " · " (m.status) " · " (extra)
            }
            @if !head.is_empty() {
                strong { @if let Some(u) = safe_link(m.url.as_deref()) { a href=(u) rel="noopener noreferrer nofollow" { (head) } } @else { (head) } }
            }
            @if !text.is_empty() { p { (text) } }
            @if head.is_empty() { @if let Some(u) = safe_link(m.url.as_deref()) { p { a href=(u) rel="noopener noreferrer nofollow" { (said(u, 120)) } } } }
        }
    }
}

fn notable(r: &Report) -> Markup {
    html! {
        section id="notable" {
            h2 { "Mentions to know about" }
            h3 { "The most engaged" }
            @if r.engaged.is_empty() { p.note { "No mention of the span was liked, shared or answered by others." } }
            @for m in &r.engaged { (mention(m, format!("{} engagements", m.engagement))) }
            @if let Some(sla) = r.sla_secs {
                h3 { "Waited longest past the " (wait(sla as f64)) " target" }
                @if r.breaches.is_empty() { p.note { "None." } }
                @for m in &r.breaches {
                    (mention(m, format!("waited {}{}", isecs(m.waited_secs), if m.status == "new" || m.status == "open" { " and still waiting" } else { "" })))
                }
            }
        }
    }
}

fn rate(v: f64) -> String {
    format!("{v:.1}")
}

fn per_1k(v: Option<f64>) -> String {
    v.map_or_else(|| "—".into(), |v| format!("{v:.2}"))
}

fn own_posts(r: &Report) -> Markup {
    html! {
        section id="own" {
            h2 { "Our own posts" }
            @if r.own_accounts.is_empty() {
                p.note { "No post of ours in the span: add our accounts to the config ([[account]] tables, Mastodon and Bluesky) and the poller reads what they post and what it earns." }
            } @else {
                p { "Per post, as Avinash Kaushik measures social media: conversation (replies), amplification (reposts and quotes) and applause (likes), and each per 1,000 followers." }
                div.scroll { table {
                    thead { tr {
                        th { "account" } th.n { "posts" } th.n { "our replies" } th.n { "followers" }
                        th.n { "conversation" } th.n { "amplification" } th.n { "applause" }
                        th.n { "per 1k: conv." } th.n { "ampl." } th.n { "appl." }
                        th.n { "each reply of ours: replies" } th.n { "likes" }
                    } }
                    tbody { @for a in &r.own_accounts {
                        tr {
                            td { (said(&a.account, 60)) } td.n { (a.posts) } td.n { (a.replies_sent) }
                            td.n { (a.followers.map_or("—".into(), thousands)) }
                            td.n { (rate(a.conversation_rate)) } td.n { (rate(a.amplification_rate)) } td.n { (rate(a.applause_rate)) }
                            td.n { (per_1k(a.conversation_per_1k)) } td.n { (per_1k(a.amplification_per_1k)) } td.n { (per_1k(a.applause_per_1k)) }
                            td.n { (a.conversation_per_reply.map_or("—".into(), rate)) } td.n { (a.applause_per_reply.map_or("—".into(), rate)) }
                        }
                    } }
                } }
                @let best = r.own_best_time.map(|row| row.map(|v| v.filter(|v| *v > 0.0)));
                (chart(charts::heat(&best, "own"), "Engagement per post by weekday and hour of posting (darker: more; grey: nothing posted or earned)."))
                h3 { "What earned the most" }
                @for p in &r.own_top {
                    div.mention {
                        div.meta { (said(&p.account, 60)) " · " (p.published_at.format("%Y-%m-%d %H:%M UTC")) " · "
                            (p.replies) " replies · " (p.reposts + p.quotes) " reposts · " (p.likes) " likes"
                            @if p.is_reply { " · a reply of ours" } }
                        p { @if let Some(u) = safe_link(p.url.as_deref()) { a href=(u) rel="noopener noreferrer nofollow" { (said(&p.text, 200)) } } @else { (said(&p.text, 200)) } }
                    }
                }
            }
        }
    }
}

fn worth(r: &Report) -> Markup {
    let Some(e) = &r.estimate else { return html! {} };
    html! {
        section id="value" {
            h2 { "What our answers were worth (an estimate)" }
            p { "By the values the team set per answered intent (" code { "[value]" } " in the config); an estimate, not a measure." }
            div.scroll { table {
                thead { tr { th { "intent" } th.n { "answered" } th.n { "worth each" } th.n { "worth" } } }
                tbody {
                    @for (intent, n, each, sub) in &e.lines {
                        tr { td { (intent) } td.n { (thousands(*n)) } td.n { (super::money(*each, &e.currency)) } td.n { (super::money(*sub, &e.currency)) } }
                    }
                    tr { th { "this span" } td {} td {} td.n { strong { (super::money(e.total, &e.currency)) } } }
                    tr { th { "the span before" } td {} td {} td.n { (super::money(e.previous_total, &e.currency)) } }
                }
            } }
        }
    }
}
