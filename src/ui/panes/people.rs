//! The People pane: authors ranked across every feed; one person in full.

use crate::store::{PersonCard, PersonRow};
use crate::ui::*;

pub(in crate::ui) fn draw_people(frame: &mut Frame<'_>, area: Rect, state: &AppState) {
    match &state.people.card {
        Some(card) => draw_card(frame, area, state, card),
        None => draw_list(frame, area, state),
    }
}

/// "+0.21", "−0.40".
fn signed(v: f64) -> String {
    if v < 0.0 {
        format!("−{:.2}", -v)
    } else {
        format!("+{v:.2}")
    }
}

use crate::score::priority::short;

fn tags(p: &PersonRow) -> String {
    p.tags
        .iter()
        .map(|x| format!("#{}", text::screen_line(x)))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Why a ranking is empty.
fn nobody(order: crate::store::PeopleOrder) -> &'static str {
    use crate::store::PeopleOrder;
    match order {
        PeopleOrder::Souring => "Nobody to rank by souring yet: it takes three mentions from one person.",
        PeopleOrder::Negative => "Nobody to rank by mood yet: it takes two mentions from one person.",
        PeopleOrder::Engagement => "Nobody's mentions have engagement yet.",
        PeopleOrder::Reach => "No source has said anyone's reach yet.",
        PeopleOrder::Mentions => "Nobody yet: people appear as mentions with an author arrive.",
    }
}

fn draw_list(frame: &mut Frame<'_>, area: Rect, state: &AppState) {
    let t = &state.settings.theme;
    let people = &state.people;
    let keys = &state.settings.keymap;
    let b = block(
        format!(
            " People · by {} · {} ranks by another · {} opens ",
            people.order,
            keys.hint(Command::PeopleSort),
            keys.hint(Command::PeopleOpen)
        ),
        true,
        state,
    );
    let inner = b.inner(area);
    frame.render_widget(b, area);
    if people.rows.is_empty() {
        let lines = vec![
            Line::from(if people.loaded {
                nobody(people.order)
            } else {
                "Reading…"
            }),
            Line::styled(
                format!(
                    "{} on a mention opens its author; {} goes back to the stream.",
                    keys.hint(Command::OpenPerson),
                    keys.hint(Command::PaneStream)
                ),
                t.muted,
            ),
        ];
        frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
        return;
    }
    let width = inner.width as usize;
    let mut lines = vec![Line::styled(
        text::pad_to_width(
            &format!(
                "{:<22} {:<26} {:>8} {:>7} {:>7} {:>6} {:>6}  tags",
                "person", "handle", "mentions", "reach", "engaged", "mood", "trend"
            ),
            width,
        ),
        t.muted.add_modifier(Modifier::BOLD),
    )];
    let rows = inner.height.saturating_sub(1) as usize;
    let selected = people.selected.min(people.rows.len() - 1);
    let first = selected.saturating_sub(rows.saturating_sub(1));
    for (i, p) in people.rows.iter().enumerate().skip(first).take(rows) {
        let name = text::pad_to_width(&text::screen_line(&p.name()), 22);
        let mut handle = p.handles.first().map(|h| h.label()).unwrap_or_default();
        if p.handles.len() > 1 {
            handle.push_str(&format!(" +{}", p.handles.len() - 1));
        }
        let handle = text::pad_to_width(&text::screen_line(&handle), 26);
        let mood = p.sentiment.map(signed).unwrap_or_else(|| "—".into());
        let trend = match p.trend {
            Some(d) if d <= -0.1 => format!("↓{:.1}", -d),
            Some(d) if d >= 0.1 => format!("↑{d:.1}"),
            Some(_) => "·".into(),
            None => "".into(),
        };
        let row = format!(
            "{name} {handle} {:>8} {:>7} {:>7} {mood:>6} {trend:>6}  {}",
            p.mentions,
            p.reach.map(short).unwrap_or_else(|| "—".into()),
            short(p.engagement),
            tags(p),
        );
        let style = if i == selected { t.selection } else { t.base };
        lines.push(Line::styled(text::pad_to_width(&row, width), style));
    }
    frame.render_widget(Paragraph::new(lines), inner);
}

fn draw_card(frame: &mut Frame<'_>, area: Rect, state: &AppState, card: &PersonCard) {
    let p = &card.person;
    let keys = &state.settings.keymap;
    let b = block(
        format!(
            " {} · {} tags · {} notes · {} links a handle · {} back ",
            text::screen_line(&p.name()),
            keys.hint(Command::PersonTag),
            keys.hint(Command::PersonNote),
            keys.hint(Command::PersonLink),
            keys.hint(Command::PeopleBack)
        ),
        true,
        state,
    );
    let inner = b.inner(area);
    frame.render_widget(b, area);
    let mut lines = card_head(state, card);
    lines.push(Line::from(""));
    card_mentions(state, card, inner, &mut lines);
    frame.render_widget(Paragraph::new(lines), inner);
}

/// Who they are: name, tags, handles, figures, reach over time, notes.
fn card_head<'a>(state: &AppState, card: &PersonCard) -> Vec<Line<'a>> {
    let t = &state.settings.theme;
    let p = &card.person;
    let mut lines: Vec<Line<'a>> = Vec::new();
    let handles: Vec<String> = p
        .handles
        .iter()
        .map(|h| {
            let mut s = text::screen_line(&h.label());
            if let Some(r) = h.reach {
                s.push_str(&format!(" ({} reach)", short(r)));
            }
            s
        })
        .collect();
    lines.push(Line::from(vec![
        Span::styled(text::screen_line(&p.name()), t.accent.add_modifier(Modifier::BOLD)),
        Span::styled(format!("  {}", tags(p)), t.accent),
    ]));
    lines.push(Line::styled(handles.join(" · "), t.muted));
    let median = card
        .median_response_secs
        .map(|s| {
            format!(
                ", median {}",
                timefmt::wait(std::time::Duration::from_secs(s.max(0) as u64))
            )
        })
        .unwrap_or_default();
    lines.push(Line::from(format!(
        "{} mentions · answered {}{median} · mood {}{} · first seen {} · last {}",
        p.mentions,
        card.answered,
        p.sentiment.map(signed).unwrap_or_else(|| "—".into()),
        p.trend
            .map(|d| format!(" (last 30 days {})", signed(d)))
            .unwrap_or_default(),
        timefmt::age(state.now, p.first_seen),
        timefmt::age(state.now, p.last_seen),
    )));
    if let Some((_, day, reach)) = card.reach_history.first() {
        let oldest = card.reach_history.last().map(|r| r.2).unwrap_or(*reach);
        lines.push(Line::styled(
            format!(
                "reach {} on {} ({}{} since {} days of records)",
                short(*reach),
                day.format("%Y-%m-%d"),
                if *reach >= oldest { "+" } else { "−" },
                short((reach - oldest).abs()),
                card.reach_history.len()
            ),
            t.muted,
        ));
    }
    for n in &p.notes {
        lines.push(Line::from(vec![
            Span::styled(
                format!(
                    "✎ {} · {}: ",
                    text::screen_line(&n.author),
                    timefmt::age(state.now, n.at)
                ),
                t.muted,
            ),
            Span::raw(text::screen_line(&n.body)),
        ]));
    }
    lines
}

/// Their mentions, newest first, each with our answer, scrolled to the selection.
fn card_mentions(state: &AppState, card: &PersonCard, inner: Rect, lines: &mut Vec<Line<'_>>) {
    let t = &state.settings.theme;
    let width = inner.width as usize;
    let room = (inner.height as usize).saturating_sub(lines.len());
    let selected = state.people.card_selected.min(card.mentions.len().saturating_sub(1));
    // Two lines a mention at most: itself and our answer.
    let first = selected.saturating_sub((room / 2).saturating_sub(1));
    for (i, m) in card.mentions.iter().enumerate().skip(first) {
        if lines.len() >= inner.height as usize {
            break;
        }
        let mark = match m.sentiment.map(crate::score::Label::of) {
            Some(crate::score::Label::Negative) => "-",
            Some(crate::score::Label::Positive) => "+",
            _ => " ",
        };
        let said = m.title.as_deref().filter(|x| !x.is_empty()).unwrap_or(&m.text);
        let head = format!(
            "{:>5} {} {:<10} {:<9} {}",
            timefmt::age(state.now, m.sort_at),
            mark,
            text::screen_line(&text::truncate_to_width(&m.feed, 10)),
            m.status.as_str(),
            text::screen_line(said.lines().next().unwrap_or(""))
        );
        let style = if i == selected { t.selection } else { t.status(m.status) };
        lines.push(Line::styled(text::pad_to_width(&head, width), style));
        if let Some(answer) = &m.response_text {
            let after = m
                .response_secs
                .map(|s| format!(" after {}", timefmt::wait(std::time::Duration::from_secs(s as u64))))
                .unwrap_or_default();
            lines.push(Line::styled(
                text::pad_to_width(
                    &format!(
                        "        ↳ {}{after}: {}",
                        text::screen_line(m.responded_by.as_deref().unwrap_or("we")),
                        text::screen_line(answer.lines().next().unwrap_or(""))
                    ),
                    width,
                ),
                t.ok,
            ));
        }
    }
}
