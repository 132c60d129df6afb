//! The report as Markdown, to paste into chat or mail: the summary, the key figures against the
//! span before, the busiest people and stories and the mentions worth naming. A stranger's string
//! is cleaned and every character Markdown (or the HTML it allows) would read is escaped, so a
//! mention cannot become a link, an image or markup; a link is kept only when it is `http(s)`.

use super::{Report, change, safe_link, wait};
use std::fmt::Write as _;

/// A stranger's string on one line, cleaned, clipped, every Markdown character escaped.
fn said(s: &str, max: usize) -> String {
    let clean = crate::text::sanitize_line(s);
    let clipped: String = clean.chars().take(max).collect();
    let mut out = String::with_capacity(clipped.len());
    for c in clipped.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\\' | '`' | '*' | '_' | '{' | '}' | '[' | ']' | '(' | ')' | '#' | '+' | '-' | '!' | '|' | '~' | '"'
            | '\'' | ':' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    if clean.chars().count() > max {
        out.push('…');
    }
    out
}

/// A link's target, made safe for `<…>`: only `http(s)`, with what would end it escaped.
fn target(u: &str) -> String {
    u.replace('<', "%3C").replace('>', "%3E").replace(' ', "%20")
}

fn secs(v: Option<f64>) -> String {
    v.map_or_else(|| "—".to_string(), wait)
}

/// The whole report as Markdown.
pub fn render(r: &Report) -> String {
    let mut out = String::new();
    let title = match &r.team {
        Some(t) => format!("{} · social care report", said(t, 80)),
        None => "Social care report".to_string(),
    };
    let _ = writeln!(out, "# {title}, {} to {}\n", r.from, r.to);
    let _ = writeln!(
        out,
        "Compared with {} to {} ({}).\n",
        r.previous_from, r.previous_to, r.tz
    );
    for s in &r.summary {
        let _ = writeln!(out, "- {s}");
    }
    figures(&mut out, r);
    lists(&mut out, r);
    out
}

/// The key figures against the span before, as a table.
fn figures(out: &mut String, r: &Report) {
    let (t, p) = (&r.totals, &r.previous);
    out.push_str("\n| | this span | the span before | change |\n|---|---:|---:|---:|\n");
    let mut row = |name: &str, now: String, before: String, delta: String| {
        let _ = writeln!(out, "| {name} | {now} | {before} | {delta} |");
    };
    row(
        "Mentions",
        t.mentions.to_string(),
        p.mentions.to_string(),
        change(t.mentions as f64, p.mentions as f64),
    );
    row(
        "Stories",
        t.stories.to_string(),
        p.stories.to_string(),
        change(t.stories as f64, p.stories as f64),
    );
    row(
        "Answered",
        format!("{} ({:.0}%)", t.responded, t.response_rate * 100.0),
        format!("{} ({:.0}%)", p.responded, p.response_rate * 100.0),
        change(t.responded as f64, p.responded as f64),
    );
    row(
        "First response, median",
        secs(t.median_first_response_secs),
        secs(p.median_first_response_secs),
        String::new(),
    );
    if let Some(sla) = r.sla_secs {
        row(
            &format!("Past the {} target", wait(sla as f64)),
            t.sla_breaches.to_string(),
            p.sla_breaches.to_string(),
            change(t.sla_breaches as f64, p.sla_breaches as f64),
        );
    }
    row(
        "Open at the end",
        t.backlog.to_string(),
        p.backlog.to_string(),
        change(t.backlog as f64, p.backlog as f64),
    );
    row(
        "Next reply, median",
        secs(t.median_next_reply_secs),
        secs(p.median_next_reply_secs),
        String::new(),
    );
}

/// The people, stories and mentions worth naming.
fn lists(out: &mut String, r: &Report) {
    if !r.people.is_empty() {
        out.push_str("\n## Who wrote the most\n\n");
        for person in &r.people {
            let _ = writeln!(
                out,
                "- {} ({}): {}, {} answered",
                said(&person.name, 60),
                person.kinds.join(", "),
                super::count(person.mentions, "mention"),
                person.answered
            );
        }
    }
    if !r.stories.is_empty() {
        out.push_str("\n## Stories seen in several places\n\n");
        for s in &r.stories {
            let title = said(s.title.as_deref().unwrap_or("(untitled)"), 120);
            let place = match safe_link(s.url.as_deref()) {
                Some(u) => format!("[{title}](<{}>)", target(u)),
                None => title,
            };
            let _ = writeln!(out, "- {place}: {} places", s.places);
        }
    }
    let mut mentions =
        |head: &str, list: &[crate::store::Notable], extra: &dyn Fn(&crate::store::Notable) -> String| {
            if list.is_empty() {
                return;
            }
            let _ = writeln!(out, "\n## {head}\n");
            for m in list {
                let words = said(m.title.as_deref().unwrap_or(&m.text), 140);
                let link = safe_link(m.url.as_deref())
                    .map(|u| format!(" (<{}>)", target(u)))
                    .unwrap_or_default();
                let _ = writeln!(
                    out,
                    "- {} on {}, {}: {words}{link}",
                    said(m.author.as_deref().unwrap_or("someone"), 60),
                    said(&m.feed, 40),
                    extra(m)
                );
            }
        };
    mentions("The most engaged", &r.engaged, &|m| {
        format!("{} engagements", m.engagement)
    });
    mentions("Waited longest past the target", &r.breaches, &|m| {
        format!("waited {}", secs(m.waited_secs.map(|s| s as f64)))
    });
}
