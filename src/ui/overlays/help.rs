//! The `?` overlay: every key of every context, the one it was opened from first.

use crate::ui::*;

/// Every key of every context, the one help was opened from first.
pub(in crate::ui) fn draw_help(frame: &mut Frame<'_>, state: &AppState, scroll: u16, from: Context) {
    let desc_w = COMMANDS.iter().map(|c| c.desc.chars().count()).max().unwrap_or(40);
    let name_w = COMMANDS.iter().map(|c| c.name.len() + 1).max().unwrap_or(12);
    let key_w = COMMANDS
        .iter()
        .map(|c| text::display_width(&state.settings.keymap.keys_for(c.command)))
        .max()
        .unwrap_or(14)
        .clamp(14, 24)
        + 2;
    let area = centered(frame.area(), (2 + key_w + desc_w + 2 + name_w + 2) as u16, 44);
    frame.render_widget(Clear, area);
    let heading = state.settings.theme.accent.add_modifier(Modifier::BOLD);
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
                lines.push(Line::styled(format!(" {group}"), state.settings.theme.accent));
            }
            let keys = state.settings.keymap.keys_for(c.command);
            let keys = if keys.is_empty() { "—".to_string() } else { keys };
            let name = if context == Context::Stream {
                format!(":{}", c.name)
            } else {
                c.name.to_string()
            };
            lines.push(Line::from(vec![
                Span::styled(
                    format!("  {}", text::pad_to_width(&keys, key_w)),
                    Style::default().add_modifier(Modifier::BOLD),
                ),
                Span::raw(format!("{:<desc_w$}  ", c.desc)),
                Span::styled(name, state.settings.theme.muted),
            ]));
        }
        if context == Context::Stream {
            lines.push(Line::styled(
                "  Search and filters: words, \"phrases\", status:open,new feed:NAME tag:TAG",
                state.settings.theme.muted,
            ));
            lines.push(Line::styled(
                "  assignee:NAME|none since:7d until:2026-11-30 unread",
                state.settings.theme.muted,
            ));
        }
    }
    lines.push(Line::from(""));
    lines.push(Line::styled(
        "Every key rebinds in the config's [keys] table, by the name on the right.",
        state.settings.theme.muted,
    ));
    let k = |c| state.settings.keymap.hint(c);
    let b = Block::default().borders(Borders::ALL).title(format!(
        " Keys · {}/{} scroll · any other key closes ",
        k(Command::HelpDown),
        k(Command::HelpUp)
    ));
    frame.render_widget(Paragraph::new(lines).block(b).scroll((scroll, 0)), area);
}
