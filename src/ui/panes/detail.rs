//! The detail pane: the whole mention, its engagement, tags, notes and history.

use crate::model::{Relation, ThreadPost};
use crate::store::Detail;
use crate::ui::*;

pub(in crate::ui) fn draw_detail(frame: &mut Frame<'_>, area: Rect, state: &AppState) {
    let b = block(" Detail ".to_string(), state.pane == Pane::Detail, state);
    let inner = b.inner(area);
    frame.render_widget(b, area);
    let Some(d) = &state.window.detail else { return };
    let m = &d.mention;
    let mut lines: Vec<Line<'_>> = thread_above(state, d, inner.width as usize);
    if let Some(title) = &m.title {
        lines.push(Line::styled(
            text::screen_line(title),
            Style::default().add_modifier(Modifier::BOLD),
        ));
    }
    lines.extend(about(state, d));
    lines.push(Line::from(""));
    for l in text::screen(&m.text).lines() {
        lines.push(Line::from(l.to_string()));
    }
    lines.extend(thread_below(state, d, inner.width as usize));
    lines.extend(notes_and_history(state, d));
    lines.extend(conversation(state, d, inner.width as usize));
    lines.extend(places(state, d, inner.width as usize));
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .scroll((state.detail_scroll, 0)),
        inner,
    );
}

/// What the mention answers, as its source's thread shows it, one line each above the mention:
/// the thread's first post and the nearest ones (the mention stays in view in a small pane).
fn thread_above<'a>(state: &AppState, d: &Detail, width: usize) -> Vec<Line<'a>> {
    let t = &state.settings.theme;
    let Some(thread) = &d.thread else { return Vec::new() };
    let above: Vec<&ThreadPost> = thread.posts.iter().filter(|p| p.relation == Relation::Above).collect();
    let line = |p: &ThreadPost| {
        let when = p
            .published_at
            .map(|at| format!(" · {}", timefmt::age(state.now, at)))
            .unwrap_or_default();
        let head = format!(
            "↑ {}{when}: ",
            text::screen_line(p.author.as_deref().unwrap_or("someone"))
        );
        let said = p
            .title
            .as_deref()
            .filter(|_| p.text.trim().is_empty())
            .unwrap_or_else(|| p.text.lines().find(|l| !l.trim().is_empty()).unwrap_or(""));
        one_line(head, t.muted, said, width)
    };
    let mut lines = Vec::new();
    match above.as_slice() {
        [] => {}
        [first, .., near1, near2] if above.len() > 3 => {
            lines.push(line(first));
            lines.push(Line::styled(
                format!("  … {} more in between", above.len() - 3),
                t.muted,
            ));
            lines.push(line(near1));
            lines.push(line(near2));
        }
        all => lines.extend(all.iter().map(|p| line(p))),
    }
    lines
}

/// The replies under the mention, indented by depth, with where the thread stands: being
/// fetched, when it was, or why it could not be.
fn thread_below<'a>(state: &AppState, d: &Detail, width: usize) -> Vec<Line<'a>> {
    let t = &state.settings.theme;
    if d.thread_of.is_none() {
        return Vec::new();
    }
    let loading = state.thread_loading == Some(d.mention.id);
    let below: Vec<&ThreadPost> = d
        .thread
        .iter()
        .flat_map(|th| th.posts.iter().filter(|p| p.relation == Relation::Below))
        .collect();
    let mut lines = vec![Line::from("")];
    let head = match (&d.thread, loading) {
        (_, true) => "Thread · fetching it from the source…".to_string(),
        (None, false) => format!(
            "Thread · {} to fetch it",
            state.settings.keymap.hint(Command::FocusDetail)
        ),
        (Some(th), false) => {
            let when = timefmt::relative(state.now, th.fetched_at, true);
            match below.len() {
                0 => format!("Thread · no replies (fetched {when})"),
                1 => format!("Thread · 1 reply (fetched {when})"),
                n => format!("Thread · {n} replies (fetched {when})"),
            }
        }
    };
    lines.push(Line::styled(head, Style::default().add_modifier(Modifier::BOLD)));
    if let Some(error) = d.thread.as_ref().and_then(|th| th.error.as_deref()) {
        lines.push(Line::styled(
            format!("  not fetched: {}", text::screen_line(error)),
            t.warn,
        ));
    }
    for p in below {
        lines.extend(thread_post(state, p, p.depth.min(6) as usize, width));
    }
    lines
}

/// One post of a thread: who and when, then what they said, indented (a long line wraps under
/// its own indent, so a reply's depth stays visible).
fn thread_post<'a>(state: &AppState, p: &ThreadPost, depth: usize, width: usize) -> Vec<Line<'a>> {
    let t = &state.settings.theme;
    let pad = "  ".repeat(depth);
    let when = p
        .published_at
        .map(|at| format!(" · {}", timefmt::age(state.now, at)))
        .unwrap_or_default();
    let mut lines = vec![Line::styled(
        format!(
            "{pad}{}{when}",
            text::screen_line(p.author.as_deref().unwrap_or("someone"))
        ),
        t.muted,
    )];
    let bar = format!("{pad}│ ");
    let room = width
        .saturating_sub(unicode_width::UnicodeWidthStr::width(bar.as_str()))
        .max(12);
    let said = p.title.as_deref().map(text::screen_line).into_iter().chain(
        text::screen(&p.text)
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(str::to_string)
            .collect::<Vec<_>>(),
    );
    for l in said {
        for part in textwrap::wrap(&l, room) {
            lines.push(Line::from(format!("{bar}{part}")));
        }
    }
    lines
}

/// The conversation in order, one line each: each message, ours under the one it answered,
/// this one marked.
fn conversation<'a>(state: &AppState, d: &Detail, width: usize) -> Vec<Line<'a>> {
    let t = &state.settings.theme;
    let mut lines: Vec<Line<'a>> = Vec::new();
    if d.conversation.len() < 2 {
        return lines;
    }
    lines.push(Line::from(""));
    lines.push(Line::styled(
        format!("Conversation · {} messages", d.conversation.len()),
        Style::default().add_modifier(Modifier::BOLD),
    ));
    for msg in &d.conversation {
        let here = msg.id == d.mention.id;
        let head = format!(
            "{}{} {}: ",
            if here { "▸ " } else { "  " },
            timefmt::age(state.now, msg.at),
            text::screen_line(msg.author.as_deref().unwrap_or("someone"))
        );
        let said = if here {
            "(this one)"
        } else {
            msg.text.lines().next().unwrap_or("")
        };
        lines.push(one_line(head, if here { t.accent } else { t.muted }, said, width));
        if let Some((answer, by, at)) = &msg.answer {
            let head = format!(
                "    ↳ {} (ours) {}: ",
                text::screen_line(by.as_deref().unwrap_or("we")),
                timefmt::age(state.now, *at)
            );
            lines.push(one_line(head, t.ok, answer.lines().next().unwrap_or(""), width));
        }
    }
    lines
}

/// A styled head, then what a stranger said, cleaned and cut to fit `width`: one line.
fn one_line<'a>(head: String, style: Style, said: &str, width: usize) -> Line<'a> {
    let room = width.saturating_sub(text::display_width(&head));
    Line::from(vec![
        Span::styled(head, style),
        Span::raw(text::truncate_to_width(&text::screen_line(said), room)),
    ])
}

/// "Also seen in 3 other places": the story's other mentions, the lead first.
fn places<'a>(state: &AppState, d: &Detail, width: usize) -> Vec<Line<'a>> {
    let t = &state.settings.theme;
    let mut lines: Vec<Line<'a>> = Vec::new();
    if d.places.is_empty() {
        return lines;
    }
    lines.push(Line::from(""));
    let n = d.places.len();
    let s = if n == 1 { "" } else { "s" };
    let list = state.settings.keymap.hint(crate::keymap::Command::FocusDetail);
    lines.push(Line::styled(
        if d.mention.group_id != d.mention.id {
            format!("One story, first seen elsewhere · {n} other place{s} · {list}: list them")
        } else {
            format!("Also seen in {n} other place{s} (a status set here is set there too) · {list}: list them")
        },
        Style::default().add_modifier(Modifier::BOLD),
    ));
    for p in &d.places {
        let head = format!(
            "#{} {} · {} · {} · ",
            p.id,
            text::screen_line(&p.feed),
            timefmt::age(state.now, p.at),
            p.status
        );
        let said = p.title.as_deref().or(p.url.as_deref()).unwrap_or("");
        lines.push(one_line(head, t.muted, said, width));
    }
    lines
}

/// "12 likes · 3 reposts", when the source counts any.
fn figures(e: &crate::model::Engagement) -> Option<String> {
    let figures: Vec<String> = [
        ("score", "score", e.score),
        ("like", "likes", e.likes),
        ("repost", "reposts", e.reposts),
        ("reply", "replies", e.replies),
        ("view", "views", e.views),
    ]
    .iter()
    .filter_map(|(one, many, v)| v.map(|v| format!("{v} {}", if v == 1 { one } else { many })))
    .collect();
    (!figures.is_empty()).then(|| figures.join(" · "))
}

/// "priority 64, 40 now: reach 12k · negative · complaint".
fn priority_line(state: &AppState, d: &Detail) -> Option<String> {
    let m = &d.mention;
    if m.priority <= 0.0 {
        return None;
    }
    let p = state.settings.scorer.weights.priority(crate::score::priority::Inputs {
        person: d.person.as_ref().map(|p| p.marks()).unwrap_or_default(),
        reach: m.author_reach,
        engagement: &m.engagement,
        sentiment: m.sentiment.unwrap_or(0.0),
        intents: m.intents,
    });
    let now = crate::score::priority::decayed(m.priority, (state.now - m.sort_at).num_seconds());
    Some(format!(
        "priority {:.0}, {:.0} now: {}",
        m.priority,
        now,
        p.reasons.join(" · ")
    ))
}

/// The sentiment with its score and the words that decided it, and the intents with theirs:
/// "negative −0.62: “charged twice”, “NOT helpful” · complaint (“refund”) · question".
fn judgement(state: &AppState, d: &Detail) -> Option<String> {
    let m = &d.mention;
    let score = m.sentiment?;
    if let Some((by, model_s, model_i)) = &d.judged {
        // An operator's word: no model's reasons, what the model said instead.
        let mut parts = vec![crate::score::Label::of(score).to_string()];
        parts.extend(m.intents.list().iter().map(ToString::to_string));
        return Some(format!(
            "{} (corrected by {}; the model said {})",
            parts.join(" · "),
            text::screen_line(by),
            crate::store::judged(*model_s, model_i.0)
        ));
    }
    let asks = crate::query::facts::is_question(m.title.as_deref(), &m.text);
    let why = state.settings.scorer.score(m.title.as_deref(), &m.text, asks);
    let quoted = |v: &[String]| {
        v.iter()
            .map(|w| format!("“{}”", text::screen_line(w)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut parts = vec![format!("{} {score:+.2}", crate::score::Label::of(score))];
    if !why.sentiment.because.is_empty() {
        parts[0].push_str(&format!(": {}", quoted(&why.sentiment.because)));
    }
    for i in m.intents.list() {
        let terms: Vec<String> = why
            .intents
            .because
            .iter()
            .filter(|(x, _)| *x == i)
            .map(|(_, t)| t.clone())
            .collect();
        parts.push(if terms.is_empty() {
            i.to_string()
        } else {
            format!("{i} ({})", quoted(&terms))
        });
    }
    Some(parts.join(" · "))
}

/// Noise, the judgement and the priority, each with its reasons.
fn judged_lines<'a>(state: &AppState, d: &Detail) -> Vec<Line<'a>> {
    let t = &state.settings.theme;
    let mut lines = Vec::new();
    let signs = crate::score::noise::Noise::list(d.mention.noise);
    if !signs.is_empty() {
        let why: Vec<&str> = signs.iter().map(|n| n.reason()).collect();
        lines.push(Line::styled(format!("likely noise: {}", why.join(" · ")), t.warn));
    }
    if let Some(line) = judgement(state, d) {
        lines.push(Line::styled(line, t.muted));
    }
    if let Some(line) = priority_line(state, d) {
        lines.push(Line::styled(line, t.muted));
    }
    lines
}

/// Who wrote it, where and when, the link, engagement, status and our answer.
fn about<'a>(state: &AppState, d: &Detail) -> Vec<Line<'a>> {
    let t = &state.settings.theme;
    let m = &d.mention;
    let mut lines: Vec<Line<'a>> = Vec::new();
    let mut who = text::screen_line(m.author.as_deref().unwrap_or("unknown author"));
    if let Some(r) = m.author_reach {
        who.push_str(&format!(" (reach {r})"));
    }
    let when = m.published_at.unwrap_or(m.first_seen_at);
    let lang = m
        .lang
        .as_deref()
        .map(|l| format!(" · {}", text::lang::name(l).unwrap_or("unknown language")))
        .unwrap_or_default();
    lines.push(Line::from(vec![
        Span::styled(who, t.accent),
        Span::styled(
            format!(
                " · {} · {} · {}{lang}",
                text::screen_line(&m.feed),
                timefmt::age(state.now, when),
                when.format("%Y-%m-%d %H:%M UTC")
            ),
            t.muted,
        ),
    ]));
    if let Some(u) = &m.url {
        lines.push(Line::styled(
            text::screen_line(u),
            t.muted.add_modifier(Modifier::UNDERLINED),
        ));
    }
    if let Some(f) = figures(&m.engagement) {
        lines.push(Line::styled(f, t.muted));
    }
    if let Some(p) = &d.person {
        lines.push(person_line(state, p));
    }
    lines.extend(judged_lines(state, d));
    let mut status = vec![Span::styled(
        m.status.as_str().to_uppercase(),
        t.status(m.status).add_modifier(Modifier::BOLD),
    )];
    if let Some(a) = &m.assignee {
        status.push(Span::raw(format!(" · assigned to {}", text::screen_line(a))));
    }
    if !d.tags.is_empty() {
        status.push(Span::raw(format!(
            " · #{}",
            d.tags
                .iter()
                .map(|t| text::screen_line(t))
                .collect::<Vec<_>>()
                .join(" #")
        )));
    }
    lines.push(Line::from(status));
    if let Some(answer) = &m.response_text {
        let who = text::screen_line(m.responded_by.as_deref().unwrap_or("someone"));
        let when = m
            .responded_at
            .map(|t| format!(" {}", timefmt::age(state.now, t)))
            .unwrap_or_default();
        let first = text::screen_line(answer.lines().next().unwrap_or(""));
        lines.push(Line::from(vec![
            Span::styled(format!("↳ {who} answered{when}: "), t.ok),
            Span::raw(first),
        ]));
        if let Some(u) = &m.response_url {
            lines.push(Line::styled(format!("  {}", text::screen_line(u)), t.muted));
        }
    }
    lines
}

/// "person: Jane Doe · #vip #customer · 12 mentions · also x:jane (A opens them)".
fn person_line<'a>(state: &AppState, p: &crate::store::PersonRow) -> Line<'a> {
    let t = &state.settings.theme;
    let mut spans = vec![
        Span::styled("person: ", t.muted),
        Span::raw(text::screen_line(&p.name())),
    ];
    if !p.tags.is_empty() {
        let tags: Vec<String> = p.tags.iter().map(|x| format!("#{}", text::screen_line(x))).collect();
        spans.push(Span::styled(format!(" {}", tags.join(" ")), t.accent));
    }
    let mut rest = format!(" · {} mention{}", p.mentions, if p.mentions == 1 { "" } else { "s" });
    if p.handles.len() > 1 {
        let labels: Vec<String> = p.handles.iter().map(|h| text::screen_line(&h.label())).collect();
        rest.push_str(&format!(" · as {}", labels.join(", ")));
    }
    rest.push_str(&format!(
        " ({} opens them)",
        state.settings.keymap.hint(crate::keymap::Command::OpenPerson)
    ));
    spans.push(Span::styled(rest, t.muted));
    Line::from(spans)
}

/// The notes (the person's first: they follow them to every mention), then the history.
fn notes_and_history<'a>(state: &AppState, d: &Detail) -> Vec<Line<'a>> {
    let t = &state.settings.theme;
    let mut lines: Vec<Line<'a>> = Vec::new();
    if let Some(p) = d.person.as_ref().filter(|p| !p.notes.is_empty()) {
        lines.push(Line::from(""));
        lines.push(Line::styled(
            format!("About {}", text::screen_line(&p.name())),
            Style::default().add_modifier(Modifier::BOLD),
        ));
        for n in &p.notes {
            lines.push(Line::from(vec![
                Span::styled(
                    format!("{} · {}: ", text::screen_line(&n.author), timefmt::age(state.now, n.at)),
                    t.muted,
                ),
                Span::raw(text::screen_line(&n.body)),
            ]));
        }
    }
    if !d.notes.is_empty() {
        lines.push(Line::from(""));
        lines.push(Line::styled("Notes", Style::default().add_modifier(Modifier::BOLD)));
        for n in &d.notes {
            lines.push(Line::from(vec![
                Span::styled(
                    format!("{} · {}: ", text::screen_line(&n.author), timefmt::age(state.now, n.at)),
                    t.muted,
                ),
                Span::raw(text::screen_line(&n.body)),
            ]));
        }
    }
    if !d.history.is_empty() {
        lines.push(Line::from(""));
        lines.push(Line::styled("History", Style::default().add_modifier(Modifier::BOLD)));
        for h in &d.history {
            let what = match &h.event {
                HistoryEvent::Status { from, to } => format!("{from} → {to}"),
                HistoryEvent::Assigned(Some(to)) => format!("assigned to {to}"),
                HistoryEvent::Assigned(None) => "unassigned".to_string(),
                HistoryEvent::Tagged(tag) => format!("tagged #{tag}"),
                HistoryEvent::Untagged(tag) => format!("removed #{tag}"),
                HistoryEvent::Noted => "added a note".to_string(),
                HistoryEvent::Unnoted => "removed a note".to_string(),
                HistoryEvent::Replied(text) => format!("replied: {}", text.lines().next().unwrap_or("")),
                HistoryEvent::AnsweredElsewhere(text) => {
                    format!("answered elsewhere: {}", text.lines().next().unwrap_or(""))
                }
                HistoryEvent::Submitted(text) => {
                    format!("submitted for approval: {}", text.lines().next().unwrap_or(""))
                }
                HistoryEvent::Returned { writer, note } => format!("sent {writer}'s reply back: {note}"),
                HistoryEvent::Approved { writer } => format!("approved {writer}'s reply"),
                HistoryEvent::Judged { from, to } => format!("corrected {from} → {to}"),
                HistoryEvent::Other(action) => action.clone(),
            };
            lines.push(Line::from(vec![
                Span::styled(
                    format!("{} {} ", h.at.format("%b %d %H:%M"), text::screen_line(&h.actor)),
                    t.muted,
                ),
                Span::raw(text::screen_line(&what)),
            ]));
        }
    }
    lines
}
