//! The alert list (`!`): the last month's alerts, newest first, who saw each.

use crate::ui::*;

pub(in crate::ui) fn draw_alerts(frame: &mut Frame<'_>, state: &AppState, selected: usize) {
    let t = &state.settings.theme;
    let k = |c| state.settings.keymap.hint(c);
    let title = format!(
        " Alerts · {} go to the mention · {} seen · {} close ",
        k(Command::AlertOpen),
        k(Command::AlertAck),
        k(Command::AlertClose)
    );
    let full = frame.area();
    let width = full.width.saturating_sub(8).clamp(20, 110);
    let rows = state.alert_list.len().clamp(1, 20) as u16;
    let area = centered(full, width, rows + 2);
    frame.render_widget(Clear, area);
    let inner = width.saturating_sub(2) as usize;
    let lines: Vec<Line<'_>> = if state.alert_list.is_empty() {
        vec![Line::styled("No alert in the last 30 days.", t.muted)]
    } else {
        let first = selected.saturating_sub(rows as usize - 1);
        state
            .alert_list
            .iter()
            .enumerate()
            .skip(first)
            .take(rows as usize)
            .map(|(i, a)| {
                let when = timefmt::age(state.now, a.created_at);
                let about = match (&a.about, a.terms.is_empty()) {
                    (Some(t), _) => text::screen_line(t),
                    (None, false) => format!("spike: {}", text::screen_line(&a.terms.join(", "))),
                    (None, true) => String::new(),
                };
                let failed = a.delivery.as_deref().is_some_and(|d| d != "ok");
                let seen = a
                    .acknowledged_by
                    .as_deref()
                    .map(|b| format!("  ✓ {}", text::screen_line(b)))
                    .unwrap_or_default();
                let seen = if failed {
                    format!("  ⚠ command failed{seen}")
                } else {
                    seen
                };
                let line = format!(
                    "{when:>6}  {:<12} {:<5}  {about}",
                    text::truncate_to_width(&text::screen_line(&a.alert), 12),
                    a.trigger
                );
                let line = text::pad_to_width(&line, inner.saturating_sub(text::display_width(&seen))) + &seen;
                let style = if i == selected {
                    t.selection
                } else if a.acknowledged_by.is_none() {
                    t.base.add_modifier(Modifier::BOLD)
                } else {
                    t.muted
                };
                Line::styled(line, style)
            })
            .collect()
    };
    frame.render_widget(
        Paragraph::new(lines).block(Block::default().borders(Borders::ALL).title(title)),
        area,
    );
}
