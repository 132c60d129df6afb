//! The reply editor: the mention quoted above, the draft below, the count against the limit.

use crate::ui::*;

/// The reply editor: the mention quoted above, the draft below, the count against the limit.
pub(in crate::ui) fn draw_editor(frame: &mut Frame<'_>, area: Rect, state: &AppState) {
    let Some(e) = &state.editor else { return };
    let t = &state.settings.theme;
    let m = &e.mention;
    let quote_h = if area.height >= 16 { 6 } else { 3 };
    let [quote_area, edit_area] = Layout::vertical([Constraint::Length(quote_h), Constraint::Min(3)]).areas(area);
    let who = text::screen_line(m.author.as_deref().unwrap_or("unknown author"));
    let q = block(format!(" {who} on {} ", text::screen_line(&m.feed)), false, state);
    let qi = q.inner(quote_area);
    frame.render_widget(q, quote_area);
    let mut quoted: Vec<Line<'_>> = Vec::new();
    if let Some(title) = &m.title {
        quoted.push(Line::styled(
            format!("> {}", text::screen_line(title)),
            t.muted.add_modifier(Modifier::BOLD),
        ));
    }
    for l in text::screen(&m.text).lines().filter(|l| !l.trim().is_empty()) {
        quoted.push(Line::styled(format!("> {l}"), t.muted));
    }
    frame.render_widget(Paragraph::new(quoted).wrap(Wrap { trim: false }), qi);

    let count = match e.limit {
        Some(l) => format!("{}/{l}", e.count()),
        None => format!("{} chars", e.count()),
    };
    let saved = if e.dirty_since.is_some() { "editing" } else { "saved" };
    let mut title = format!(" Reply · {count} · {saved} ");
    if !e.claimed_by.is_empty() {
        title.push_str(&format!("· {} ✎ too ", text::screen_line(&e.claimed_by.join(", "))));
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
