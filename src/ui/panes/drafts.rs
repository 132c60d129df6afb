//! The drafts pane: every open draft, who writes it, its first line.

use crate::ui::*;

pub(in crate::ui) fn draw_drafts(frame: &mut Frame<'_>, area: Rect, state: &AppState) {
    let t = &state.settings.theme;
    let drafts = &state.overview.drafts;
    let b = block(format!(" Drafts · {} open ", drafts.len()), true, state);
    let inner = b.inner(area);
    frame.render_widget(b, area);
    if drafts.is_empty() {
        let lines = vec![
            Line::from(format!(
                "No drafts. Press {} on a mention to write a reply: it is saved as you type,",
                state.settings.keymap.hint(Command::Reply)
            )),
            Line::from("and listed here until it is sent or marked responded."),
            Line::from(""),
            Line::styled(
                format!(
                    "{} or {} goes back to the stream.",
                    state.settings.keymap.hint(Command::PaneStream),
                    state.settings.keymap.hint(Command::Back)
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
            let who = text::pad_to_width(&text::screen_line(d.mention_author.as_deref().unwrap_or("—")), 16);
            let feed = text::pad_to_width(&text::screen_line(&d.feed), 10);
            let age = format!("{:>6}", timefmt::age(state.now, d.updated_at));
            let writer = text::pad_to_width(&format!("✎ {}", text::screen_line(&d.writer)), 12);
            let state_mark = if d.sending {
                "sending… ".to_string()
            } else if d.awaiting {
                "awaiting approval · ".to_string()
            } else if let Some((by, note)) = &d.returned {
                format!("sent back by {}: {} · ", text::screen_line(by), text::screen_line(note))
            } else {
                String::new()
            };
            let first = text::screen_line(d.body.lines().find(|l| !l.trim().is_empty()).unwrap_or(""));
            let fixed = 16 + 1 + 10 + 1 + 6 + 1 + 12 + 1;
            let rest = text::pad_to_width(&format!("{state_mark}{first}"), width.saturating_sub(fixed));
            let style = if i == selected { t.selection } else { t.base };
            Line::styled(format!("{who} {feed} {age} {writer} {rest}"), style)
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), inner);
}
