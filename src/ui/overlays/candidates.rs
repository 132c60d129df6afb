//! Completion candidates above a prompt.

use crate::ui::*;

pub(in crate::ui) fn draw_candidates(
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
                state.settings.theme.selection
            } else {
                state.settings.theme.base
            };
            Line::styled(text::screen_line(c), style)
        })
        .collect();
    let title = if candidates.len() > shown.len() {
        format!(
            " {} · {} more ",
            state.settings.keymap.hint(Command::PromptComplete),
            candidates.len() - shown.len()
        )
    } else {
        format!(" {} ", state.settings.keymap.hint(Command::PromptComplete))
    };
    frame.render_widget(
        Paragraph::new(lines).block(Block::default().borders(Borders::ALL).title(title)),
        area,
    );
}
