//! The filter and views menus.

use crate::ui::*;

pub(in crate::ui) fn draw_menu(frame: &mut Frame<'_>, state: &AppState, menu: Menu) {
    let (title, entries): (&str, Vec<String>) = match menu {
        Menu::Filter => (" Filter by ", {
            let k = |c| state.settings.keymap.hint(c);
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
            std::iter::once(format!("{}  everything", state.settings.keymap.hint(Command::ViewAll)))
                .chain(state.settings.views.iter().take(9).enumerate().map(|(i, v)| {
                    let key = Command::view(i + 1)
                        .map(|c| state.settings.keymap.hint(c))
                        .unwrap_or_default();
                    format!("{key}  {}", text::screen_line(&v.name))
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
