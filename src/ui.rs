//! Drawing: state in, frame out. Reads `AppState` only; never touches the database or the network.
//! Every string from a feed passes `text::sanitize_line` (or `sanitize`) again here, whatever the
//! store holds.

use crate::app::{AppState, Areas, Level, Menu, Mode, Pane};
use crate::keymap::{COMMANDS, Command, Context};
use crate::model::Mention;
use crate::store::HistoryEvent;
use crate::text;
use crate::timefmt;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

const FEED_W: usize = 10;
const AGE_W: usize = 6;
const AUTHOR_W: usize = 14;
/// From this width on, the detail pane sits beside the stream; below it otherwise.
const SIDE_BY_SIDE: u16 = 120;

/// Where each part of the screen goes at this size. The console hands it to the state on every
/// resize (the state never calls the UI).
pub fn layout(size: (u16, u16)) -> Areas {
    let area = Rect::new(0, 0, size.0, size.1);
    let [tabs, main, status] =
        Layout::vertical([Constraint::Length(1), Constraint::Min(3), Constraint::Length(1)]).areas(area);
    let (stream, detail) = if size.0 >= SIDE_BY_SIDE {
        let [s, d] = Layout::horizontal([Constraint::Percentage(60), Constraint::Percentage(40)]).areas(main);
        (s, d)
    } else {
        let detail_h = if main.height >= 16 { main.height * 2 / 5 } else { 0 };
        let [s, d] = Layout::vertical([Constraint::Min(3), Constraint::Length(detail_h)]).areas(main);
        (s, d)
    };
    Areas {
        size,
        tabs,
        stream,
        detail,
        other: main,
        status,
    }
}

pub fn draw(frame: &mut Frame<'_>, state: &AppState) {
    let areas = state.areas;
    draw_tabs(frame, areas.tabs, state);
    match state.pane {
        _ if state.editor.is_some() => draw_editor(frame, areas.other, state),
        Pane::Stream | Pane::Detail => {
            draw_stream(frame, areas.stream, state);
            if areas.detail.height > 2 {
                draw_detail(frame, areas.detail, state);
            }
        }
        Pane::Drafts => draw_drafts(frame, areas.other, state),
        Pane::Stats => draw_stats(frame, areas.other, state),
    }
    draw_status(frame, areas.status, state);
    match &state.mode {
        Mode::Help { scroll, from } => draw_help(frame, state, *scroll, *from),
        Mode::Templates { query, selected } => draw_templates(frame, state, query, *selected),
        Mode::Menu(m) => draw_menu(frame, state, *m),
        Mode::Prompt(p) if !p.candidates.is_empty() => {
            draw_candidates(frame, areas.status, state, &p.candidates, p.chosen)
        }
        _ => {}
    }
}

fn draw_tabs(frame: &mut Frame<'_>, area: Rect, state: &AppState) {
    let t = &state.theme;
    let mut spans = vec![Span::styled(" overhear ", t.accent.add_modifier(Modifier::BOLD))];
    for (i, p) in Pane::ALL.iter().enumerate() {
        let focused = *p == state.pane;
        let style = if focused { t.selection } else { t.muted };
        spans.push(Span::raw(" "));
        spans.push(Span::styled(format!(" {} {} ", i + 1, p.title()), style));
    }
    if let Some(v) = &state.view {
        spans.push(Span::styled(format!("  view: {}", text::sanitize_line(v)), t.accent));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn block<'a>(title: String, focused: bool, state: &AppState) -> Block<'a> {
    let t = &state.theme;
    Block::default()
        .borders(Borders::ALL)
        .border_style(if focused { t.border_focus } else { t.border })
        .title(Span::styled(
            title,
            if focused {
                t.accent.add_modifier(Modifier::BOLD)
            } else {
                t.base
            },
        ))
}

fn stream_title(state: &AppState) -> String {
    let o = &state.overview;
    let mut t = format!(" Stream · {} new · {} open ", o.new, o.open);
    if !state.filter.is_empty() {
        t.push_str(&format!("· {} match ", o.matching));
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

fn draw_stream(frame: &mut Frame<'_>, area: Rect, state: &AppState) {
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
fn stream_line<'a>(m: &Mention, state: &AppState, width: usize, selected: bool) -> Line<'a> {
    let t = &state.theme;
    let marked = state.marks.contains(&m.id);
    let feed = text::pad_to_width(&text::sanitize_line(&m.feed), FEED_W);
    let age = format!("{:>AGE_W$}", timefmt::age(state.now, m.sort_at));
    let author = text::pad_to_width(&text::sanitize_line(m.author.as_deref().unwrap_or("—")), AUTHOR_W);
    let title = m.title.as_deref().map(text::sanitize_line).unwrap_or_default();
    let body = text::sanitize_line(&m.text);
    let what = match (title.is_empty(), body.is_empty()) {
        (false, false) => format!("{title} — {body}"),
        (false, true) => title,
        _ => body,
    };
    let fixed = 2 + 2 + FEED_W + 1 + AGE_W + 1 + AUTHOR_W + 1;
    let what = text::pad_to_width(&what, width.saturating_sub(fixed));
    let mut base = if m.unread { t.unread } else { t.base };
    if selected {
        base = base.patch(t.selection);
    }
    let status_style = if selected { base } else { t.status(m.status) };
    let muted = if selected { base } else { t.muted };
    Line::from(vec![
        Span::styled(if marked { "▌ " } else { "  " }, if selected { base } else { t.marked }),
        Span::styled(format!("{} ", m.status.mark()), status_style),
        Span::styled(feed, muted),
        Span::styled(" ", base),
        Span::styled(age, muted),
        Span::styled(" ", base),
        Span::styled(author, base),
        Span::styled(" ", base),
        Span::styled(what, base),
    ])
    .style(base)
}

fn draw_welcome(frame: &mut Frame<'_>, area: Rect, state: &AppState) {
    let config = text::sanitize_line(&state.config_path.display().to_string());
    let bold = Style::default().add_modifier(Modifier::BOLD);
    let lines = if !state.filter.is_empty() {
        vec![
            Line::from("Nothing matches the filter.").style(bold),
            Line::from(format!("  {}", text::sanitize_line(&state.filter.describe()))),
            Line::from(""),
            Line::from(format!(
                "{} clears it; {} edits it.",
                state.keymap.hint(Command::Back),
                state.keymap.hint(Command::Search)
            )),
        ]
    } else if state.feed_names.is_empty() {
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
        let n = state.feed_names.len();
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

fn draw_detail(frame: &mut Frame<'_>, area: Rect, state: &AppState) {
    let t = &state.theme;
    let b = block(" Detail ".to_string(), state.pane == Pane::Detail, state);
    let inner = b.inner(area);
    frame.render_widget(b, area);
    let Some(d) = &state.window.detail else { return };
    let m = &d.mention;
    let mut lines: Vec<Line<'_>> = Vec::new();
    if let Some(title) = &m.title {
        lines.push(Line::styled(
            text::sanitize_line(title),
            Style::default().add_modifier(Modifier::BOLD),
        ));
    }
    let mut who = text::sanitize_line(m.author.as_deref().unwrap_or("unknown author"));
    if let Some(r) = m.author_reach {
        who.push_str(&format!(" (reach {r})"));
    }
    let when = m.published_at.unwrap_or(m.first_seen_at);
    lines.push(Line::from(vec![
        Span::styled(who, t.accent),
        Span::styled(
            format!(
                " · {} · {} · {}",
                text::sanitize_line(&m.feed),
                timefmt::age(state.now, when),
                when.format("%Y-%m-%d %H:%M UTC")
            ),
            t.muted,
        ),
    ]));
    if let Some(u) = &m.url {
        lines.push(Line::styled(
            text::sanitize_line(u),
            t.muted.add_modifier(Modifier::UNDERLINED),
        ));
    }
    let e = &m.engagement;
    let figures: Vec<String> = [
        ("score", e.score),
        ("likes", e.likes),
        ("reposts", e.reposts),
        ("replies", e.replies),
        ("views", e.views),
    ]
    .iter()
    .filter_map(|(n, v)| v.map(|v| format!("{v} {n}")))
    .collect();
    if !figures.is_empty() {
        lines.push(Line::styled(figures.join(" · "), t.muted));
    }
    let mut status = vec![Span::styled(
        m.status.as_str().to_uppercase(),
        t.status(m.status).add_modifier(Modifier::BOLD),
    )];
    if let Some(a) = &m.assignee {
        status.push(Span::raw(format!(" · assigned to {}", text::sanitize_line(a))));
    }
    if !d.tags.is_empty() {
        status.push(Span::raw(format!(
            " · #{}",
            d.tags
                .iter()
                .map(|t| text::sanitize_line(t))
                .collect::<Vec<_>>()
                .join(" #")
        )));
    }
    lines.push(Line::from(status));
    if let Some(answer) = &m.response_text {
        let who = text::sanitize_line(m.responded_by.as_deref().unwrap_or("someone"));
        let when = m
            .responded_at
            .map(|t| format!(" {}", timefmt::age(state.now, t)))
            .unwrap_or_default();
        let first = text::sanitize_line(answer.lines().next().unwrap_or(""));
        lines.push(Line::from(vec![
            Span::styled(format!("↳ {who} answered{when}: "), t.ok),
            Span::raw(first),
        ]));
        if let Some(u) = &m.response_url {
            lines.push(Line::styled(format!("  {}", text::sanitize_line(u)), t.muted));
        }
    }
    lines.push(Line::from(""));
    for l in text::sanitize(&m.text).lines() {
        lines.push(Line::from(l.to_string()));
    }
    if !d.notes.is_empty() {
        lines.push(Line::from(""));
        lines.push(Line::styled("Notes", Style::default().add_modifier(Modifier::BOLD)));
        for n in &d.notes {
            lines.push(Line::from(vec![
                Span::styled(
                    format!(
                        "{} · {}: ",
                        text::sanitize_line(&n.author),
                        timefmt::age(state.now, n.at)
                    ),
                    t.muted,
                ),
                Span::raw(text::sanitize_line(&n.body)),
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
                HistoryEvent::Other(action) => action.clone(),
            };
            lines.push(Line::from(vec![
                Span::styled(
                    format!("{} {} ", h.at.format("%b %d %H:%M"), text::sanitize_line(&h.actor)),
                    t.muted,
                ),
                Span::raw(text::sanitize_line(&what)),
            ]));
        }
    }
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .scroll((state.detail_scroll, 0)),
        inner,
    );
}

fn draw_drafts(frame: &mut Frame<'_>, area: Rect, state: &AppState) {
    let t = &state.theme;
    let drafts = &state.overview.drafts;
    let b = block(format!(" Drafts · {} open ", drafts.len()), true, state);
    let inner = b.inner(area);
    frame.render_widget(b, area);
    if drafts.is_empty() {
        let lines = vec![
            Line::from(format!(
                "No drafts. Press {} on a mention to write a reply: it is saved as you type,",
                state.keymap.hint(Command::Reply)
            )),
            Line::from("and listed here until it is sent or marked responded."),
            Line::from(""),
            Line::styled(
                format!(
                    "{} or {} goes back to the stream.",
                    state.keymap.hint(Command::PaneStream),
                    state.keymap.hint(Command::Back)
                ),
                t.muted,
            ),
        ];
        frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
        return;
    }
    let width = inner.width as usize;
    let selected = state.drafts_selected.min(drafts.len() - 1);
    let lines: Vec<Line<'_>> = drafts
        .iter()
        .enumerate()
        .take(inner.height as usize)
        .map(|(i, d)| {
            let who = text::pad_to_width(&text::sanitize_line(d.mention_author.as_deref().unwrap_or("—")), 16);
            let feed = text::pad_to_width(&text::sanitize_line(&d.feed), 10);
            let age = format!("{:>6}", timefmt::age(state.now, d.updated_at));
            let writer = text::pad_to_width(&format!("✎ {}", text::sanitize_line(&d.writer)), 12);
            let state_mark = if d.sending { "sending… " } else { "" };
            let first = text::sanitize_line(d.body.lines().find(|l| !l.trim().is_empty()).unwrap_or(""));
            let fixed = 16 + 1 + 10 + 1 + 6 + 1 + 12 + 1;
            let rest = text::pad_to_width(&format!("{state_mark}{first}"), width.saturating_sub(fixed));
            let style = if i == selected { t.selection } else { t.base };
            Line::styled(format!("{who} {feed} {age} {writer} {rest}"), style)
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), inner);
}

/// The reply editor: the mention quoted above, the draft below, the count against the limit.
fn draw_editor(frame: &mut Frame<'_>, area: Rect, state: &AppState) {
    let Some(e) = &state.editor else { return };
    let t = &state.theme;
    let m = &e.mention;
    let quote_h = if area.height >= 16 { 6 } else { 3 };
    let [quote_area, edit_area] = Layout::vertical([Constraint::Length(quote_h), Constraint::Min(3)]).areas(area);
    let who = text::sanitize_line(m.author.as_deref().unwrap_or("unknown author"));
    let q = block(format!(" {who} on {} ", text::sanitize_line(&m.feed)), false, state);
    let qi = q.inner(quote_area);
    frame.render_widget(q, quote_area);
    let mut quoted: Vec<Line<'_>> = Vec::new();
    if let Some(title) = &m.title {
        quoted.push(Line::styled(
            format!("> {}", text::sanitize_line(title)),
            t.muted.add_modifier(Modifier::BOLD),
        ));
    }
    for l in text::sanitize(&m.text).lines().filter(|l| !l.trim().is_empty()) {
        quoted.push(Line::styled(format!("> {l}"), t.muted));
    }
    frame.render_widget(Paragraph::new(quoted).wrap(Wrap { trim: false }), qi);

    let count = match e.limit {
        Some(l) => format!("{}/{l}", e.count()),
        None => format!("{} chars", e.count()),
    };
    let saved = if e.dirty_since.is_some() { "editing" } else { "saved" };
    let mut title = format!(" Reply · {count} · {saved} ");
    if let Some(w) = &e.other_writer {
        title.push_str(&format!("· last written by {} ", text::sanitize_line(w)));
    }
    let style = if e.over_limit() {
        t.error
    } else {
        t.accent.add_modifier(Modifier::BOLD)
    };
    let b = Block::default()
        .borders(Borders::ALL)
        .border_style(t.border_focus)
        .title(Span::styled(title, style));
    let inner = b.inner(edit_area);
    frame.render_widget(b, edit_area);
    frame.render_widget(&e.area, inner);
}

fn draw_templates(frame: &mut Frame<'_>, state: &AppState, query: &str, selected: usize) {
    let found = crate::app::draft::matching(&state.templates, query);
    let area = centered(frame.area(), 72, (found.len().min(10) + 4) as u16);
    frame.render_widget(Clear, area);
    let mut lines = vec![Line::from(vec![
        Span::styled("saved reply: ", state.theme.accent.add_modifier(Modifier::BOLD)),
        Span::raw(text::sanitize_line(query)),
    ])];
    if found.is_empty() {
        lines.push(Line::styled("no saved reply matches", state.theme.muted));
    }
    for (i, tpl) in found.iter().take(10).enumerate() {
        let first = text::sanitize_line(tpl.body.lines().next().unwrap_or(""));
        let line = format!("{:<12} {}", text::truncate_to_width(&tpl.name, 12), first);
        let style = if i == selected {
            state.theme.selection
        } else {
            state.theme.base
        };
        lines.push(Line::styled(text::truncate_to_width(&line, 68), style));
    }
    let b = Block::default().borders(Borders::ALL).title(format!(
        " Saved replies · type to filter · {} inserts · {} ",
        state.keymap.hint(Command::PickChoose),
        state.keymap.hint(Command::PickCancel)
    ));
    frame.render_widget(Paragraph::new(lines).block(b), area);
}

fn draw_stats(frame: &mut Frame<'_>, area: Rect, state: &AppState) {
    // Wide enough: the table on the left; the response-time line, the heat map and the feeds' share
    // on the right. Narrow: the table alone.
    if area.width >= 150 && area.height >= 30 && !state.stats.is_empty() {
        let [left, right] = Layout::horizontal([Constraint::Length(108), Constraint::Min(40)]).areas(area);
        draw_stats_table(frame, left, state);
        let [chart, heat, share] =
            Layout::vertical([Constraint::Percentage(45), Constraint::Length(10), Constraint::Min(4)]).areas(right);
        draw_median_chart(frame, chart, state);
        draw_heat_map(frame, heat, state);
        draw_feed_share(frame, share, state);
    } else {
        draw_stats_table(frame, area, state);
    }
}

fn draw_median_chart(frame: &mut Frame<'_>, area: Rect, state: &AppState) {
    use ratatui::symbols::Marker;
    use ratatui::widgets::{Axis, Chart, Dataset, GraphType};
    let t = &state.theme;
    let points: Vec<(f64, f64)> = state
        .stats
        .iter()
        .enumerate()
        .filter_map(|(i, d)| d.median_first_response_secs.map(|m| (i as f64, m / 60.0)))
        .collect();
    let sla = state.sla.map(|s| s.as_secs_f64() / 60.0);
    let top = points.iter().map(|p| p.1).fold(sla.unwrap_or(0.0), f64::max).max(1.0) * 1.1;
    let last = (state.stats.len().max(2) - 1) as f64;
    let sla_line: Vec<(f64, f64)> = sla.map(|s| vec![(0.0, s), (last, s)]).unwrap_or_default();
    let mut datasets = vec![
        Dataset::default()
            .name("median first response")
            .marker(Marker::Braille)
            .graph_type(GraphType::Line)
            .style(t.accent)
            .data(&points),
    ];
    if sla.is_some() {
        datasets.push(
            Dataset::default()
                .name("SLA")
                .marker(Marker::Braille)
                .graph_type(GraphType::Line)
                .style(t.warn)
                .data(&sla_line),
        );
    }
    let first = state.stats.first().map(|d| d.date.clone()).unwrap_or_default();
    let latest = state.stats.last().map(|d| d.date.clone()).unwrap_or_default();
    let chart = Chart::new(datasets)
        .block(block(" Median first response (minutes) ".into(), false, state))
        .x_axis(
            Axis::default()
                .bounds([0.0, last])
                .labels([Span::raw(first), Span::raw(latest)])
                .style(t.muted),
        )
        .y_axis(
            Axis::default()
                .bounds([0.0, top])
                .labels([Span::raw("0"), Span::raw(format!("{top:.0}"))])
                .style(t.muted),
        );
    frame.render_widget(chart, area);
}

fn draw_heat_map(frame: &mut Frame<'_>, area: Rect, state: &AppState) {
    let t = &state.theme;
    let b = block(" When mentions come in (local time) ".into(), false, state);
    let inner = b.inner(area);
    frame.render_widget(b, area);
    let Some(p) = &state.stats_profile else { return };
    let peak = p.heat.iter().flatten().copied().max().unwrap_or(0).max(1);
    let shades = [' ', '░', '▒', '▓', '█'];
    let mut lines = vec![Line::styled("     0     6     12    18   ", t.muted)];
    for (d, name) in ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"].iter().enumerate() {
        let cells: String = p.heat[d]
            .iter()
            .map(|n| {
                if *n == 0 {
                    '·'
                } else {
                    shades[(1 + (*n * 3 / peak) as usize).min(4)]
                }
            })
            .collect();
        lines.push(Line::from(vec![
            Span::styled(format!("{name}  "), t.muted),
            Span::styled(cells, t.accent),
        ]));
    }
    frame.render_widget(Paragraph::new(lines), inner);
}

fn draw_feed_share(frame: &mut Frame<'_>, area: Rect, state: &AppState) {
    let t = &state.theme;
    let b = block(" Share by feed ".into(), false, state);
    let inner = b.inner(area);
    frame.render_widget(b, area);
    let Some(p) = &state.stats_profile else { return };
    let total: i64 = p.feeds.iter().map(|f| f.1).sum::<i64>().max(1);
    let bar = inner.width.saturating_sub(24) as i64;
    let lines: Vec<Line<'_>> = p
        .feeds
        .iter()
        .take(inner.height as usize)
        .map(|(name, n)| {
            Line::from(vec![
                Span::raw(format!(
                    "{:<12} {:>4.0}% ",
                    text::truncate_to_width(&text::sanitize_line(name), 12),
                    *n as f64 * 100.0 / total as f64
                )),
                Span::styled("▇".repeat((n * bar / total) as usize), t.accent),
            ])
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), inner);
}

fn draw_stats_table(frame: &mut Frame<'_>, area: Rect, state: &AppState) {
    let t = &state.theme;
    let sla = state
        .sla
        .map(|d| format!(" · SLA {}", humantime::format_duration(d)))
        .unwrap_or_default();
    let b = block(
        format!(
            " Stats · last {} days{sla} · {} changes the range ",
            state.stats_days,
            state.keymap.hint(Command::StatsRange)
        ),
        true,
        state,
    );
    let inner = b.inner(area);
    frame.render_widget(b, area);
    if state.stats.is_empty() {
        frame.render_widget(Paragraph::new(Line::styled("computing…", t.muted)), inner);
        return;
    }
    let dur = |v: Option<f64>| match v {
        None => "-".to_string(),
        Some(s) if s < 60.0 => format!("{s:.0}s"),
        Some(s) if s < 7200.0 => format!("{:.0}m", s / 60.0),
        Some(s) if s < 86_400.0 => format!("{:.1}h", s / 3600.0),
        Some(s) => format!("{:.1}d", s / 86_400.0),
    };
    let wide = inner.width >= 96;
    let mut lines = vec![Line::styled(
        if wide {
            format!(
                "{:<10} {:>6} {:>6} {:>6} {:>6} {:>5} {:>8} {:>8} {:>8} {:>6} {:>7}  {}",
                "date",
                "in",
                "answd",
                "ignrd",
                "escal",
                "rate",
                "median",
                "p90",
                "max",
                "SLA!",
                "backlog",
                "volume ▇ in · ▇ answered"
            )
        } else {
            format!(
                "{:<10} {:>5} {:>5} {:>5} {:>7} {:>6} {:>5} {:>7}",
                "date", "in", "answd", "rate", "median", "p90", "SLA!", "backlog"
            )
        },
        Style::default().add_modifier(Modifier::BOLD),
    )];
    let peak = state.stats.iter().map(|d| d.mentions).max().unwrap_or(0).max(1);
    let bar_w = inner.width.saturating_sub(88) as i64;
    // Newest first, as many days as fit.
    for d in state.stats.iter().rev().take(inner.height.saturating_sub(2) as usize) {
        let rate = format!("{:.0}%", d.response_rate * 100.0);
        let sla_miss = if state.sla.is_some() {
            d.sla_breaches.to_string()
        } else {
            "-".into()
        };
        let breach_style = if d.sla_breaches > 0 && state.sla.is_some() {
            t.warn
        } else {
            t.base
        };
        if wide {
            let inb = (d.mentions * bar_w / peak) as usize;
            let answered = (d.responded * bar_w / peak) as usize;
            lines.push(Line::from(vec![
                Span::raw(format!(
                    "{:<10} {:>6} {:>6} {:>6} {:>6} {:>5} {:>8} {:>8} {:>8} ",
                    d.date,
                    d.mentions,
                    d.responded,
                    d.ignored,
                    d.escalated,
                    rate,
                    dur(d.median_first_response_secs),
                    dur(d.p90_first_response_secs.map(|v| v as f64)),
                    dur(d.max_first_response_secs.map(|v| v as f64)),
                )),
                Span::styled(format!("{sla_miss:>6}"), breach_style),
                Span::raw(format!(" {:>7}  ", d.backlog)),
                Span::styled("▇".repeat(answered), t.ok),
                Span::styled("▇".repeat(inb.saturating_sub(answered)), t.accent),
            ]));
        } else {
            lines.push(Line::from(vec![
                Span::raw(format!(
                    "{:<10} {:>5} {:>5} {:>5} {:>7} {:>6} ",
                    d.date,
                    d.mentions,
                    d.responded,
                    rate,
                    dur(d.median_first_response_secs),
                    dur(d.p90_first_response_secs.map(|v| v as f64)),
                )),
                Span::styled(format!("{sla_miss:>5}"), breach_style),
                Span::raw(format!(" {:>7}", d.backlog)),
            ]));
        }
    }
    lines.push(Line::styled("first-response times from publication; `overhear stats` has more (from first seen, by feed/operator/tag, json/csv)", t.muted));
    frame.render_widget(Paragraph::new(lines), inner);
}

/// "? lists the keys · q quits.", with the keys bound now.
fn keys_and_quit(state: &AppState) -> String {
    format!(
        "{} lists the keys · {} quits.",
        state.keymap.hint(Command::Help),
        state.keymap.hint(Command::Quit)
    )
}

/// The question after a hand-off; the link follows it on the status bar.
fn mark_question(state: &AppState) -> String {
    format!(
        " Copied: paste it at the link. Mark as responded? {}/{} · link: ",
        state.keymap.hint(Command::ConfirmYes),
        state.keymap.hint(Command::ConfirmNo)
    )
}

/// Where the status bar shows the link (after `o`, or after a hand-off): (x, y, the text drawn
/// there), so the loop can make it an OSC 8 hyperlink.
pub fn link_position(state: &AppState) -> Option<(u16, u16, String)> {
    let (url, _) = state.link.as_ref()?;
    let prefix = match &state.mode {
        Mode::Prompt(_) | Mode::Draft | Mode::Templates { .. } => return None,
        Mode::Confirm(crate::app::Confirm::MarkResponded { .. }) => mark_question(state),
        Mode::Confirm(_) => return None,
        _ => " link: ".to_string(),
    };
    let area = state.areas.status;
    let used = text::display_width(&prefix);
    let room = (area.width as usize).saturating_sub(used + 1);
    (room > 8).then(|| (area.x + used as u16, area.y, text::truncate_to_width(url, room)))
}

fn draw_status(frame: &mut Frame<'_>, area: Rect, state: &AppState) {
    let t = &state.theme;
    if let Mode::Confirm(c) = &state.mode {
        let (yes, no) = (
            state.keymap.hint(Command::ConfirmYes),
            state.keymap.hint(Command::ConfirmNo),
        );
        let q = match c {
            crate::app::Confirm::Send { service, .. } => {
                format!(" Send this reply on {service} now? {yes} sends · {no} goes back ")
            }
            crate::app::Confirm::MarkResponded { .. } => mark_question(state),
            crate::app::Confirm::Discard => format!(" Discard this draft? {yes}/{no} "),
        };
        frame.render_widget(
            Paragraph::new(Line::styled(q, t.bar.add_modifier(Modifier::BOLD))),
            area,
        );
        return;
    }
    if state.mode == Mode::Draft {
        let k = |c| state.keymap.hint(c);
        let hint = format!(
            " {} send · {} saved reply · {} $EDITOR · {} discard · {} close · {} keys ",
            k(Command::DraftSend),
            k(Command::DraftTemplates),
            k(Command::DraftEditor),
            k(Command::DraftDiscard),
            k(Command::DraftClose),
            k(Command::DraftHelp)
        );
        let mut spans = vec![Span::raw(hint.clone())];
        if let Some((msg, level, _)) = &state.message {
            let style = if *level == Level::Error {
                t.bar.patch(t.error)
            } else {
                t.bar
            };
            spans = vec![
                Span::styled(format!(" {} │", text::sanitize_line(msg)), style),
                Span::raw(hint),
            ];
        }
        frame.render_widget(Paragraph::new(Line::from(spans)).style(t.bar), area);
        return;
    }
    if let Mode::Prompt(p) = &state.mode {
        let label = p.kind.label();
        let input = p.input.text();
        let line = Line::from(vec![
            Span::styled(label.clone(), t.accent.add_modifier(Modifier::BOLD)),
            Span::raw(input),
        ]);
        frame.render_widget(Paragraph::new(line), area);
        let before: String = p.input.text().chars().take(p.input.cursor()).collect();
        let x = area.x + (text::display_width(&label) + text::display_width(&before)) as u16;
        frame.set_cursor_position((x.min(area.x + area.width.saturating_sub(1)), area.y));
        return;
    }
    if let Some((_, _, shown)) = link_position(state) {
        let line = Line::from(vec![Span::styled(" link: ", t.accent), Span::raw(shown)]);
        frame.render_widget(Paragraph::new(line).style(t.bar), area);
        return;
    }
    let f = &state.overview.feeds;
    let mut spans = Vec::new();
    let health = if f.failing > 0 {
        format!(" {} ok · {} failing", f.ok, f.failing)
    } else {
        format!(" feeds {} ok", f.ok)
    };
    spans.push(Span::styled(
        health,
        if f.failing > 0 { t.bar.patch(t.error) } else { t.bar },
    ));
    if let Some(next) = f.next_poll {
        spans.push(Span::raw(format!(
            " · next {}",
            timefmt::relative(state.now, next.max(state.now), false)
        )));
    }
    spans.push(Span::raw(format!(" │ {} ", text::sanitize_line(&state.operator))));
    if !state.filter.is_empty() {
        spans.push(Span::raw("│ "));
        spans.push(Span::styled(
            format!("filter: {} ", text::sanitize_line(&state.filter.describe())),
            t.bar.add_modifier(Modifier::BOLD),
        ));
    }
    if let Some((msg, level, _)) = &state.message {
        spans.push(Span::raw("│ "));
        let style = if *level == Level::Error {
            t.bar.patch(t.error)
        } else {
            t.bar
        };
        spans.push(Span::styled(format!("{} ", text::sanitize_line(msg)), style));
    }
    let used: usize = spans.iter().map(|s| text::display_width(&s.content)).sum();
    let hint = format!("{} help ", state.keymap.keys_for(Command::Help));
    if used + hint.len() + 1 < area.width as usize {
        spans.push(Span::raw(" ".repeat(area.width as usize - used - hint.len())));
        spans.push(Span::raw(hint));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)).style(t.bar), area);
}

fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let w = width.min(area.width.saturating_sub(2));
    let h = height.min(area.height.saturating_sub(2));
    Rect::new(area.x + (area.width - w) / 2, area.y + (area.height - h) / 2, w, h)
}

/// Every key of every context, the one help was opened from first.
fn draw_help(frame: &mut Frame<'_>, state: &AppState, scroll: u16, from: Context) {
    let desc_w = COMMANDS.iter().map(|c| c.desc.chars().count()).max().unwrap_or(40);
    let name_w = COMMANDS.iter().map(|c| c.name.len() + 1).max().unwrap_or(12);
    let area = centered(frame.area(), (2 + 16 + desc_w + 2 + name_w + 2) as u16, 44);
    frame.render_widget(Clear, area);
    let heading = state.theme.accent.add_modifier(Modifier::BOLD);
    let mut lines: Vec<Line<'_>> = Vec::new();
    let order = std::iter::once(from).chain(Context::ALL.iter().copied().filter(|c| *c != from));
    for context in order {
        if !lines.is_empty() {
            lines.push(Line::from(""));
        }
        lines.push(Line::styled(context.title(), heading));
        let mut group = "";
        for c in COMMANDS.iter().filter(|c| c.context == context) {
            if context == Context::Stream && c.group != group {
                group = c.group;
                lines.push(Line::styled(format!(" {group}"), state.theme.accent));
            }
            let keys = state.keymap.keys_for(c.command);
            let keys = if keys.is_empty() { "—".to_string() } else { keys };
            let name = if context == Context::Stream {
                format!(":{}", c.name)
            } else {
                c.name.to_string()
            };
            lines.push(Line::from(vec![
                Span::styled(format!("  {keys:<16}"), Style::default().add_modifier(Modifier::BOLD)),
                Span::raw(format!("{:<desc_w$}  ", c.desc)),
                Span::styled(name, state.theme.muted),
            ]));
        }
        if context == Context::Stream {
            lines.push(Line::styled(
                "  Search and filters: words, \"phrases\", status:open,new feed:NAME tag:TAG",
                state.theme.muted,
            ));
            lines.push(Line::styled(
                "  assignee:NAME|none since:7d until:2026-11-30 unread",
                state.theme.muted,
            ));
        }
    }
    lines.push(Line::from(""));
    lines.push(Line::styled(
        "Every key rebinds in the config's [keys] table, by the name on the right.",
        state.theme.muted,
    ));
    let k = |c| state.keymap.hint(c);
    let b = Block::default().borders(Borders::ALL).title(format!(
        " Keys · {}/{} scroll · any other key closes ",
        k(Command::HelpDown),
        k(Command::HelpUp)
    ));
    frame.render_widget(Paragraph::new(lines).block(b).scroll((scroll, 0)), area);
}

fn draw_menu(frame: &mut Frame<'_>, state: &AppState, menu: Menu) {
    let (title, entries): (&str, Vec<String>) = match menu {
        Menu::Filter => (" Filter by ", {
            let k = |c| state.keymap.hint(c);
            vec![
                format!("{}  status", k(Command::FilterStatus)),
                format!("{}  feed", k(Command::FilterFeed)),
                format!("{}  tag", k(Command::FilterTag)),
                format!("{}  assignee", k(Command::FilterAssignee)),
                format!("{}  since (date)", k(Command::FilterSince)),
                format!(
                    "{}  unread only ({})",
                    k(Command::FilterUnread),
                    if state.filter.unread { "on" } else { "off" }
                ),
                format!("{}  clear the filter", k(Command::FilterClear)),
            ]
        }),
        Menu::Views => (
            " Views ",
            std::iter::once(format!("{}  everything", state.keymap.hint(Command::ViewAll)))
                .chain(state.views.iter().take(9).enumerate().map(|(i, v)| {
                    let key = Command::view(i + 1).map(|c| state.keymap.hint(c)).unwrap_or_default();
                    format!("{key}  {}", text::sanitize_line(&v.name))
                }))
                .collect(),
        ),
    };
    let width = entries
        .iter()
        .map(|e| text::display_width(e))
        .max()
        .unwrap_or(10)
        .max(title.len()) as u16
        + 4;
    let area = centered(frame.area(), width, entries.len() as u16 + 2);
    frame.render_widget(Clear, area);
    let lines: Vec<Line<'_>> = entries.into_iter().map(Line::from).collect();
    frame.render_widget(
        Paragraph::new(lines).block(Block::default().borders(Borders::ALL).title(title)),
        area,
    );
}

fn draw_candidates(
    frame: &mut Frame<'_>,
    status: Rect,
    state: &AppState,
    candidates: &[String],
    chosen: Option<usize>,
) {
    let shown: Vec<&String> = candidates.iter().take(8).collect();
    let height = shown.len() as u16 + 2;
    let width = shown
        .iter()
        .map(|c| text::display_width(c))
        .max()
        .unwrap_or(4)
        .clamp(12, 60) as u16
        + 4;
    if status.y < height {
        return;
    }
    let area = Rect::new(status.x, status.y - height, width.min(status.width), height);
    frame.render_widget(Clear, area);
    let lines: Vec<Line<'_>> = shown
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let style = if Some(i) == chosen {
                state.theme.selection
            } else {
                state.theme.base
            };
            Line::styled(text::sanitize_line(c), style)
        })
        .collect();
    let title = if candidates.len() > shown.len() {
        format!(
            " {} · {} more ",
            state.keymap.hint(Command::PromptComplete),
            candidates.len() - shown.len()
        )
    } else {
        format!(" {} ", state.keymap.hint(Command::PromptComplete))
    };
    frame.render_widget(
        Paragraph::new(lines).block(Block::default().borders(Borders::ALL).title(title)),
        area,
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::{FeedSummary, Overview, Pane, Window};
    use crate::config::Config;
    use crate::model::{Engagement, Status};
    use crate::store::{Detail, HistoryEntry, Note};
    use chrono::{DateTime, TimeZone, Utc};
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;
    use std::path::Path;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 24, 12, 0, 0).unwrap()
    }

    fn mention(id: i64, feed: &str, author: &str, title: Option<&str>, text: &str, mins: i64) -> Mention {
        let t = now() - chrono::Duration::minutes(mins);
        Mention {
            id,
            feed: feed.into(),
            kind: crate::model::FeedKind::Rss,
            external_id: format!("x{id}"),
            url: Some(format!("https://example.com/{id}")),
            author: Some(author.into()),
            author_reach: (id == 2).then_some(1250),
            title: title.map(String::from),
            text: text.into(),
            published_at: Some(t),
            first_seen_at: t,
            sort_at: t,
            engagement: Engagement {
                score: Some(57),
                replies: Some(23),
                ..Default::default()
            },
            status: Status::New,
            assignee: (id == 2).then(|| "bob".to_string()),
            responded_at: None,
            responded_by: None,
            unread: true,
            response_text: None,
            response_url: None,
        }
    }

    fn with(mut m: Mention, status: Status, unread: bool) -> Mention {
        m.status = status;
        m.unread = unread;
        m
    }

    fn state(size: (u16, u16)) -> AppState {
        let config = Config::parse(
            Path::new("/home/alice/.config/overhear/config.toml"),
            "[console]\noperator = \"alice\"\n\n[[feed]]\nname = \"hn\"\nkind = \"hackernews\"\nquery = \"acme\"\n\n[[feed]]\nname = \"alerts\"\nkind = \"rss\"\nurl = \"https://example.com/a\"\n\n[[view]]\nname = \"open complaints today\"\nfilter = \"status:open tag:complaint since:today\"\n",
        )
        .unwrap();
        let mut s = AppState::new(&config, layout(size));
        s.now = now();
        s.loaded = true;
        let rows = vec![
            with(
                mention(
                    1,
                    "hn",
                    "quietgrep",
                    Some("Re: Show HN: Acme queue"),
                    "I've run something very similar in production for about two years.",
                    3,
                ),
                Status::New,
                true,
            ),
            with(
                mention(
                    2,
                    "alerts",
                    "Marta Ruiz",
                    Some("Six months with Acme: what stuck"),
                    "Search is fast & the offline mode is the best I've used.\n\nSync conflicts still happen.",
                    125,
                ),
                Status::Open,
                false,
            ),
            with(
                mention(
                    3,
                    "community",
                    "陳大文",
                    Some("同步冲突 — sync conflict 🙂"),
                    "Notes titled in Chinese create duplicates: 笔记.md and 笔记 (1).md",
                    300,
                ),
                Status::Escalated,
                true,
            ),
            with(
                mention(
                    4,
                    "blogs",
                    "José Ñandú",
                    None,
                    "Cafe\u{301} review: שלום עולם and مرحبا inside a review of Acme 👍🏽",
                    2000,
                ),
                Status::Responded,
                false,
            ),
            with(
                mention(5, "hn", "tessellate", Some("Acme's query planner, explained"), "", 3000),
                Status::Ignored,
                false,
            ),
        ];
        let detail = Detail {
            mention: rows[1].clone(),
            tags: vec!["complaint".into(), "sync".into()],
            notes: vec![Note {
                author: "alice".into(),
                body: "asked for logs".into(),
                at: now() - chrono::Duration::minutes(30),
            }],
            history: vec![
                HistoryEntry {
                    actor: "alice".into(),
                    event: HistoryEvent::Status {
                        from: "new".into(),
                        to: "open".into(),
                    },
                    at: now() - chrono::Duration::minutes(40),
                },
                HistoryEntry {
                    actor: "alice".into(),
                    event: HistoryEvent::Assigned(Some("bob".into())),
                    at: now() - chrono::Duration::minutes(35),
                },
            ],
        };
        s.window = Window {
            seq: 0,
            rows,
            selected: 1,
            offset: 1,
            above: 2,
            detail: Some(detail),
            overview: None,
        };
        s.overview = Overview {
            total: 1234,
            new: 12,
            open: 340,
            matching: 1234,
            feeds: FeedSummary {
                ok: 1,
                failing: 1,
                next_poll: Some(now() + chrono::Duration::seconds(90)),
            },
            operators: vec!["alice".into(), "bob".into()],
            tags: vec!["bug".into(), "complaint".into(), "sync".into()],
            drafts: vec![crate::store::DraftRow {
                mention_id: 2,
                writer: "alice".into(),
                body: "Hi Marta, thanks for the write-up!\nWe're fixing the sync conflicts in 4.4.".into(),
                updated_at: now() - chrono::Duration::minutes(4),
                sending: false,
                feed: "alerts".into(),
                mention_author: Some("Marta Ruiz".into()),
                mention_title: Some("Six months with Acme: what stuck".into()),
            }],
        };
        s.marks.insert(3);
        s
    }

    fn render(state: &AppState) -> String {
        let mut terminal = Terminal::new(TestBackend::new(state.size.0, state.size.1)).unwrap();
        terminal.draw(|f| draw(f, state)).unwrap();
        let buf = terminal.backend().buffer();
        let mut out = String::new();
        for y in 0..buf.area.height {
            let mut line = String::new();
            let mut skip = 0;
            for x in 0..buf.area.width {
                if skip > 0 {
                    skip -= 1;
                    continue;
                }
                let sym = buf[(x, y)].symbol();
                skip = text::display_width(sym).saturating_sub(1);
                line.push_str(sym);
            }
            out.push_str(line.trim_end());
            out.push('\n');
        }
        out
    }

    fn each_size(name: &str, setup: impl Fn(&mut AppState)) {
        for size in [(80, 24), (160, 48)] {
            let mut s = state(size);
            setup(&mut s);
            let screen = render(&s);
            for line in screen.lines() {
                assert!(
                    text::display_width(line) <= size.0 as usize,
                    "{name} {size:?}: line too wide: {line}"
                );
            }
            insta::assert_snapshot!(format!("{name}_{}x{}", size.0, size.1), screen);
        }
    }

    #[test]
    fn stream_with_detail() {
        each_size("stream", |_| {});
    }

    #[test]
    fn detail_focused() {
        each_size("detail", |s| s.pane = Pane::Detail);
    }

    #[test]
    fn drafts_pane() {
        each_size("drafts", |s| s.pane = Pane::Drafts);
    }

    #[test]
    fn reply_editor() {
        each_size("editor", |s| {
            let m = s.window.rows[1].clone();
            let mut e = crate::app::draft::DraftEditor::new(
                m,
                "Hi Marta, thanks for the write-up!\nWe're fixing the sync conflicts in 4.4.",
                None,
            );
            e.limit = Some(500);
            s.editor = Some(e);
            s.mode = Mode::Draft;
        });
    }

    #[test]
    fn stats_pane() {
        each_size("stats", |s| {
            s.pane = Pane::Stats;
            s.sla = Some(std::time::Duration::from_secs(3600));
            s.stats = (0..7)
                .map(|i| crate::stats::DayStats {
                    date: format!("2026-11-{:02}", 18 + i),
                    group: None,
                    mentions: 10 + i * 3,
                    responded: 8 + i,
                    ignored: 1,
                    escalated: i % 2,
                    response_rate: (8 + i) as f64 / (10 + i * 3) as f64,
                    median_first_response_secs: Some(1800.0 + i as f64 * 600.0),
                    p90_first_response_secs: Some(5400 + i * 300),
                    max_first_response_secs: Some(9000),
                    median_first_response_from_seen_secs: Some(1500.0),
                    p90_first_response_from_seen_secs: Some(5000),
                    max_first_response_from_seen_secs: Some(8000),
                    sla_breaches: i % 3,
                    backlog: 4 + i,
                })
                .collect();
            let mut heat = [[0i64; 24]; 7];
            for (d, row) in heat.iter_mut().enumerate() {
                for (h, cell) in row.iter_mut().enumerate() {
                    *cell = if (9..18).contains(&h) {
                        (d as i64 + h as i64) % 5
                    } else {
                        0
                    };
                }
            }
            s.stats_profile = Some(crate::stats::Profile {
                heat,
                feeds: vec![("hn".into(), 60), ("alerts".into(), 30), ("community".into(), 10)],
            });
        });
    }

    #[test]
    fn help_overlay() {
        each_size("help", |s| {
            s.mode = Mode::Help {
                scroll: 0,
                from: Context::Stream,
            }
        });
    }

    #[test]
    fn filter_menu_and_active_filter() {
        each_size("filter", |s| {
            s.filter = crate::query::StreamFilter::parse("status:open acme", now()).unwrap();
            s.overview.matching = 2;
            s.mode = Mode::Menu(Menu::Filter);
        });
    }

    #[test]
    fn welcome_without_feeds() {
        each_size("welcome", |s| {
            s.feed_names.clear();
            s.window = Window::default();
            s.overview = Overview::default();
            s.marks.clear();
        });
    }

    #[test]
    fn hostile_text_draws_as_harmless_text() {
        let mut s = state((100, 30));
        s.window.rows[0].title = Some("evil \x1b]0;pwned\x07title \x1b[2J\u{202e}txt.exe".into());
        s.window.rows[0].author = Some("\x1bP+q\x1b\\mallory\u{200b}".into());
        let screen = render(&s);
        assert!(screen.contains("evil title txt.exe"), "{screen}");
        assert!(screen.contains("mallory"), "{screen}");
        assert!(
            screen
                .lines()
                .all(|l| !l.chars().any(crate::text::is_forbidden_on_screen)),
            "{screen}"
        );
    }
}
