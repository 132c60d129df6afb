//! The status bar: feed health, the operator, the filter, messages and questions, hints built from the keymap; and where its link goes for OSC 8.

use super::*;

/// "? lists the keys · q quits.", with the keys bound now.
pub(super) fn keys_and_quit(state: &AppState) -> String {
    format!(
        "{} lists the keys · {} quits.",
        state.settings.keymap.hint(Command::Help),
        state.settings.keymap.hint(Command::Quit)
    )
}

/// The question after a hand-off; the link follows it on the status bar.
pub(super) fn mark_question(state: &AppState) -> String {
    format!(
        " Copied: paste it at the link. Mark as responded? {}/{} · link: ",
        state.settings.keymap.hint(Command::ConfirmYes),
        state.settings.keymap.hint(Command::ConfirmNo)
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

#[expect(clippy::too_many_lines, reason = "the status bar left to right: each part short")]
pub(super) fn draw_status(frame: &mut Frame<'_>, area: Rect, state: &AppState) {
    let t = &state.settings.theme;
    if let Mode::Confirm(c) = &state.mode {
        let (yes, no) = (
            state.settings.keymap.hint(Command::ConfirmYes),
            state.settings.keymap.hint(Command::ConfirmNo),
        );
        let q = match c {
            crate::app::Confirm::Send { service, how, .. } => match how {
                crate::app::How::Send => format!(" Send this reply on {service} now? {yes} sends · {no} goes back "),
                crate::app::How::Submit => {
                    format!(" Submit this reply for approval? {yes} submits · {no} goes back ")
                }
                crate::app::How::Approve { writer } => format!(
                    " Approve {}'s reply and send it on {service} now? {yes} sends · {no} goes back ",
                    text::screen_line(writer)
                ),
            },
            crate::app::Confirm::MarkResponded { .. } => mark_question(state),
            crate::app::Confirm::Discard => format!(" Discard this draft? {yes}/{no} "),
            crate::app::Confirm::SecondAnswer { claimed_by } => format!(
                " {} {} answering this now. Write a second answer? {yes} writes · {no} leaves it ",
                text::screen_line(&claimed_by.join(", ")),
                if claimed_by.len() == 1 { "is" } else { "are" }
            ),
        };
        frame.render_widget(
            Paragraph::new(Line::styled(q, t.bar.add_modifier(Modifier::BOLD))),
            area,
        );
        return;
    }
    if state.mode == Mode::Draft {
        let k = |c| state.settings.keymap.hint(c);
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
                Span::styled(format!(" {} │", text::screen_line(msg)), style),
                Span::raw(hint),
            ];
        }
        frame.render_widget(Paragraph::new(Line::from(spans)).style(t.bar), area);
        return;
    }
    if let Mode::Prompt(p) = &state.mode {
        let label = p.kind.label();
        let input = p.input.text();
        let mut spans = vec![
            Span::styled(label.clone(), t.accent.add_modifier(Modifier::BOLD)),
            Span::raw(input),
        ];
        // What is wrong with what was typed (a query's column), beside it while it is fixed.
        if let Some((msg, Level::Error, _)) = &state.message {
            spans.push(Span::styled(
                format!("  │ {}", text::screen_line(msg)),
                t.bar.patch(t.error),
            ));
        }
        let line = Line::from(spans);
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
    spans.push(Span::raw(format!(
        " │ {} ",
        text::screen_line(&state.settings.operator)
    )));
    let mut others: Vec<&str> = state
        .team
        .others
        .iter()
        .filter(|p| p.kind == crate::store::SessionKind::Console)
        .map(|p| p.operator.as_str())
        .collect();
    others.dedup();
    if !others.is_empty() {
        spans.push(Span::raw(format!("with {} ", text::screen_line(&others.join(", ")))));
    }
    match &state.team.poller {
        Some(crate::app::Poller::Me) => spans.push(Span::raw("· polling ")),
        Some(crate::app::Poller::Other(who)) => {
            spans.push(Span::raw(format!("· polled by {} ", text::screen_line(who))));
        }
        None => {}
    }
    if !state.filter.is_empty() {
        spans.push(Span::raw("│ "));
        spans.push(Span::styled(
            format!("filter: {} ", text::screen_line(&state.filter.describe())),
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
        spans.push(Span::styled(format!("{} ", text::screen_line(msg)), style));
    }
    let used: usize = spans.iter().map(|s| text::display_width(&s.content)).sum();
    let hint = format!("{} help ", state.settings.keymap.keys_for(Command::Help));
    if used + hint.len() + 1 < area.width as usize {
        spans.push(Span::raw(" ".repeat(area.width as usize - used - hint.len())));
        spans.push(Span::raw(hint));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)).style(t.bar), area);
}
