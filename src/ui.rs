//! Drawing: state in, frame out. Reads `AppState` only; never touches the database or the network.
//! Every string from a feed passes `text::sanitize_line` again here, whatever the store holds.

use crate::app::AppState;
use crate::model::{Mention, Status};
use crate::text;
use crate::timefmt;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

const FEED_W: usize = 12;
const AGE_W: usize = 6;
const AUTHOR_W: usize = 16;

/// Rows of the stream that fit in a terminal of `size` (borders and status bar taken off).
pub fn stream_rows(size: (u16, u16)) -> usize {
    size.1.saturating_sub(3) as usize
}

pub fn draw(frame: &mut Frame<'_>, state: &AppState) {
    let [main, status] = Layout::vertical([Constraint::Min(1), Constraint::Length(1)]).areas(frame.area());
    draw_stream(frame, main, state);
    draw_status(frame, status, state);
}

fn stream_title(state: &AppState) -> String {
    let o = &state.overview;
    let mut t = format!(" Stream · {} new · {} open ", o.new, o.open);
    if state.window.above > 0 {
        t.push_str(&format!("· ↑ {} more above ", state.window.above));
    }
    t
}

fn draw_stream(frame: &mut Frame<'_>, area: Rect, state: &AppState) {
    let block = Block::default().borders(Borders::ALL).title(stream_title(state));
    let inner = block.inner(area);
    frame.render_widget(block, area);
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

/// One mention, one line: status mark, feed, age, author, text.
fn stream_line<'a>(m: &Mention, state: &AppState, width: usize, selected: bool) -> Line<'a> {
    let feed = text::pad_to_width(&text::sanitize_line(&m.feed), FEED_W);
    let age = timefmt::age(state.now, m.sort_at);
    let age = format!("{age:>AGE_W$}");
    let author = text::pad_to_width(&text::sanitize_line(m.author.as_deref().unwrap_or("—")), AUTHOR_W);
    let title = m.title.as_deref().map(text::sanitize_line).unwrap_or_default();
    let body = text::sanitize_line(&m.text);
    let what = match (title.is_empty(), body.is_empty()) {
        (false, false) => format!("{title} — {body}"),
        (false, true) => title,
        _ => body,
    };
    let fixed = 2 + FEED_W + 1 + AGE_W + 1 + AUTHOR_W + 1;
    let what = text::pad_to_width(&what, width.saturating_sub(fixed));
    let mut style = Style::default();
    if m.status == Status::New {
        style = style.add_modifier(Modifier::BOLD);
    }
    if selected {
        style = style.add_modifier(Modifier::REVERSED);
    }
    Line::from(vec![
        Span::raw(format!("{} ", m.status.mark())),
        Span::raw(feed),
        Span::raw(" "),
        Span::raw(age),
        Span::raw(" "),
        Span::raw(author),
        Span::raw(" "),
        Span::raw(what),
    ])
    .style(style)
}

fn draw_welcome(frame: &mut Frame<'_>, area: Rect, state: &AppState) {
    let config = text::sanitize_line(&state.config_path.display().to_string());
    let lines = if state.feeds_configured == 0 {
        vec![
            Line::from("Welcome to overhear.").style(Style::default().add_modifier(Modifier::BOLD)),
            Line::from(""),
            Line::from("No feeds are configured yet. Add a [[feed]] table to"),
            Line::from(format!("  {config}")),
            Line::from("(the file has commented examples), then start overhear again."),
            Line::from(""),
            Line::from("To see overhear at work on sample data first, run:  overhear demo"),
            Line::from(""),
            Line::from("q quits."),
        ]
    } else {
        vec![
            Line::from(format!(
                "Listening to {} feed{}. Mentions appear here as they arrive.",
                state.feeds_configured,
                if state.feeds_configured == 1 { "" } else { "s" }
            )),
            Line::from(""),
            Line::from("Feed health is in the status bar below; `overhear feeds` shows it in detail."),
            Line::from("q quits."),
        ]
    };
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), area);
}

fn draw_status(frame: &mut Frame<'_>, area: Rect, state: &AppState) {
    let f = &state.overview.feeds;
    let mut parts = vec![format!("feeds {} ok", f.ok)];
    if f.failing > 0 {
        parts.push(format!("{} failing", f.failing));
    }
    if let Some(next) = f.next_poll {
        parts.push(format!(
            "next poll {}",
            timefmt::relative(state.now, next.max(state.now), true)
        ));
    }
    let mut spans = vec![Span::raw(format!(" {} ", parts.join(" · ")))];
    if f.failing > 0 {
        spans[0] = spans[0].clone().style(Style::default().add_modifier(Modifier::BOLD));
    }
    spans.push(Span::raw(format!(
        "│ {} │ {} mentions ",
        text::sanitize_line(&state.operator),
        state.overview.total
    )));
    if let Some((msg, _)) = &state.message {
        spans.push(Span::raw(format!("│ {} ", text::sanitize_line(msg))));
    }
    spans.push(Span::raw("│ j/k move · g/G top/bottom · q quit"));
    frame.render_widget(
        Paragraph::new(Line::from(spans)).style(Style::default().add_modifier(Modifier::REVERSED)),
        area,
    );
}
