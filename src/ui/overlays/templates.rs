//! The saved-reply picker.

use crate::ui::*;

pub(in crate::ui) fn draw_templates(frame: &mut Frame<'_>, state: &AppState, query: &str, selected: usize) {
    let found = crate::app::draft::matching(&state.settings.templates, query);
    let area = centered(frame.area(), 72, (found.len().min(10) + 4) as u16);
    frame.render_widget(Clear, area);
    let mut lines = vec![Line::from(vec![
        Span::styled(
            "saved reply: ",
            state.settings.theme.accent.add_modifier(Modifier::BOLD),
        ),
        Span::raw(text::screen_line(query)),
    ])];
    if found.is_empty() {
        lines.push(Line::styled("no saved reply matches", state.settings.theme.muted));
    }
    for (i, tpl) in found.iter().take(10).enumerate() {
        let first = text::screen_line(tpl.body.lines().next().unwrap_or(""));
        let line = format!("{:<12} {}", text::truncate_to_width(&tpl.name, 12), first);
        let style = if i == selected {
            state.settings.theme.selection
        } else {
            state.settings.theme.base
        };
        lines.push(Line::styled(text::truncate_to_width(&line, 68), style));
    }
    let b = Block::default().borders(Borders::ALL).title(format!(
        " Saved replies · type to filter · {} inserts · {} ",
        state.settings.keymap.hint(Command::PickChoose),
        state.settings.keymap.hint(Command::PickCancel)
    ));
    frame.render_widget(Paragraph::new(lines).block(b), area);
}
