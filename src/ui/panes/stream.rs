//! The stream pane: one line per mention, the welcome text when there is none.

use crate::ui::*;

pub(in crate::ui) const FEED_W: usize = 10;

pub(in crate::ui) const AGE_W: usize = 6;

pub(in crate::ui) const AUTHOR_W: usize = 14;

pub(in crate::ui) fn stream_title(state: &AppState) -> String {
    let o = &state.overview;
    let mut t = format!(" Stream · {} new · {} open ", o.new, o.open);
    if !state.filter.selects_all() {
        let plus = if o.matching_capped { "+" } else { "" };
        t.push_str(&format!("· {}{plus} match ", o.matching));
    }
    match state.window.above {
        0 => {}
        n if n >= crate::app::ABOVE_CAP as i64 => t.push_str(&format!("· ↑ {n}+ more above ")),
        n => t.push_str(&format!("· ↑ {n} more above ")),
    }
    if !state.marks.is_empty() {
        t.push_str(&format!("· {} marked ", state.marks.len()));
    }
    t
}

pub(in crate::ui) fn draw_stream(frame: &mut Frame<'_>, area: Rect, state: &AppState) {
    let b = block(stream_title(state), state.pane == Pane::Stream, state);
    let inner = b.inner(area);
    frame.render_widget(b, area);
    if state.window.rows.is_empty() {
        if state.loaded {
            draw_welcome(frame, inner, state);
        }
        return;
    }
    let width = inner.width as usize;
    let lines: Vec<Line<'_>> = state
        .window
        .rows
        .iter()
        .take(inner.height as usize)
        .enumerate()
        .map(|(i, m)| stream_line(m, state, width, i == state.window.selected))
        .collect();
    frame.render_widget(Paragraph::new(lines), inner);
}

/// One mention, one line: mark, status, feed, age, author, text.
/// The author, starred when a VIP (wherever they turn up), padded to its column.
fn author_cell(m: &Mention) -> String {
    let star = if m.person_tags.iter().any(|t| t == "vip") {
        "★"
    } else {
        ""
    };
    text::pad_to_width(
        &format!("{star}{}", text::screen_line(m.author.as_deref().unwrap_or("—"))),
        AUTHOR_W,
    )
}

pub(in crate::ui) fn stream_line<'a>(m: &Mention, state: &AppState, width: usize, selected: bool) -> Line<'a> {
    let t = &state.settings.theme;
    let marked = state.marks.contains(&m.id);
    let feed = text::pad_to_width(&text::screen_line(&m.feed), FEED_W);
    let age = format!("{:>AGE_W$}", timefmt::age(state.now, m.sort_at));
    let author = author_cell(m);
    let title = m.title.as_deref().map(text::screen_line).unwrap_or_default();
    let body = text::screen_line(&m.text);
    let what = match (title.is_empty(), body.is_empty()) {
        (false, false) => format!("{title} — {body}"),
        (false, true) => title,
        _ => body,
    };
    // The customer answered us: said first, where the eye starts.
    let what = if m.follow_up {
        format!("↩ answered us: {what}")
    } else {
        what
    };
    // A story told in several places is one row: where else it is seen.
    let elsewhere = if m.elsewhere > 0 {
        let feeds: Vec<String> = m.elsewhere_feeds.iter().map(|f| text::screen_line(f)).collect();
        format!(" +{} elsewhere ({})", m.elsewhere, feeds.join(", "))
    } else {
        String::new()
    };
    let (sla_text, sla_style) = sla_cell(m, state);
    // Teammates on this mention: "alice ✎" drafts an answer, "bob ◉" reads it.
    let (reading, drafting) = state.others_on(m.id);
    let team: String = drafting
        .iter()
        .map(|n| format!(" {} ✎", text::screen_line(n)))
        .chain(reading.iter().map(|n| format!(" {} ◉", text::screen_line(n))))
        .collect();
    let fixed = 2 + 2 + FEED_W + 1 + AGE_W + 1 + AUTHOR_W + 1;
    let room = width.saturating_sub(fixed);
    let team = text::truncate_to_width(&team, room / 2);
    let sla_text = text::truncate_to_width(&sla_text, room / 3);
    let elsewhere = text::truncate_to_width(&elsewhere, room / 3);
    let what = text::pad_to_width(
        &what,
        room.saturating_sub(
            text::display_width(&team) + text::display_width(&sla_text) + text::display_width(&elsewhere),
        ),
    );
    // Likely noise is dimmed: there, but not asking for attention.
    let mut base = match (m.noise != 0, m.unread) {
        (true, _) => t.muted,
        (false, true) => t.unread,
        (false, false) => t.base,
    };
    if selected {
        base = base.patch(t.selection);
    }
    let status_style = if selected { base } else { t.status(m.status) };
    let muted = if selected { base } else { t.muted };
    // The sentiment's mark: a red minus, a green plus, nothing when neutral or unscored (the
    // shape says it without colour).
    let (feeling, feeling_style) = match m.sentiment.map(crate::score::Label::of) {
        Some(crate::score::Label::Negative) => ("-", t.error),
        Some(crate::score::Label::Positive) => ("+", t.ok),
        _ => (" ", base),
    };
    Line::from(vec![
        Span::styled(if marked { "▌" } else { " " }, if selected { base } else { t.marked }),
        Span::styled(feeling, if selected { base } else { feeling_style }),
        Span::styled(format!("{} ", m.status.mark()), status_style),
        Span::styled(feed, muted),
        Span::styled(" ", base),
        Span::styled(age, muted),
        Span::styled(" ", base),
        Span::styled(author, base),
        Span::styled(" ", base),
        Span::styled(what, base),
        Span::styled(elsewhere, muted),
        Span::styled(sla_text, if selected { base } else { sla_style }),
        Span::styled(team, if selected { base } else { t.accent }),
    ])
    .style(base)
}

/// Its SLA, while it waits for a first answer: time left, amber near the target, red past it.
fn sla_cell(m: &Mention, state: &AppState) -> (String, Style) {
    let t = &state.settings.theme;
    let sla = state
        .settings
        .sla
        .filter(|_| {
            matches!(
                m.status,
                crate::model::Status::New | crate::model::Status::Open | crate::model::Status::Escalated
            ) && m.responded_at.is_none()
        })
        .map(|sla| {
            crate::stats::sla_state(
                m.first_seen_at.timestamp(),
                state.now.timestamp(),
                sla,
                state.settings.business.as_ref(),
            )
        });
    match sla {
        Some(crate::stats::SlaState::Within(left)) => (format!(" ⏱ {} left", short(left)), t.muted),
        Some(crate::stats::SlaState::Near(left)) => (format!(" ⏱ {} left", short(left)), t.warn),
        Some(crate::stats::SlaState::Breached(over)) => (format!(" ⏱ {} over", short(over)), t.error),
        None => (String::new(), t.base),
    }
}

/// "12m", "3h", "2d".
fn short(secs: i64) -> String {
    match secs {
        s if s < 3600 => format!("{}m", (s / 60).max(1)),
        s if s < 86_400 => format!("{}h", s / 3600),
        s => format!("{}d", s / 86_400),
    }
}

pub(in crate::ui) fn draw_welcome(frame: &mut Frame<'_>, area: Rect, state: &AppState) {
    let config = text::screen_line(&state.settings.config_path.display().to_string());
    let bold = Style::default().add_modifier(Modifier::BOLD);
    let lines = if !state.filter.is_empty() {
        vec![
            Line::from("Nothing matches the filter.").style(bold),
            Line::from(format!("  {}", text::screen_line(&state.filter.describe()))),
            Line::from(""),
            Line::from(format!(
                "{} clears it; {} edits it.",
                state.settings.keymap.hint(Command::Back),
                state.settings.keymap.hint(Command::Search)
            )),
        ]
    } else if state.settings.feed_names.is_empty() {
        vec![
            Line::from("Welcome to overhear.").style(bold),
            Line::from(""),
            Line::from("No feeds are configured yet. Add a [[feed]] table to"),
            Line::from(format!("  {config}")),
            Line::from("(the file has commented examples), then start overhear again."),
            Line::from(""),
            Line::from("To see overhear at work on sample data first, run:  overhear demo"),
            Line::from(""),
            Line::from(keys_and_quit(state)),
        ]
    } else {
        let n = state.settings.feed_names.len();
        vec![
            Line::from(format!(
                "Listening to {n} feed{}. Mentions appear here as they arrive.",
                if n == 1 { "" } else { "s" }
            )),
            Line::from(""),
            Line::from("Feed health is in the status bar below; `overhear feeds` shows it in detail."),
            Line::from(keys_and_quit(state)),
        ]
    };
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), area);
}
