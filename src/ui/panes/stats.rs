//! The stats pane: the per-day table, the median line against the SLA, the heat map, the feeds' share.

use crate::ui::*;

pub(in crate::ui) fn draw_stats(frame: &mut Frame<'_>, area: Rect, state: &AppState) {
    // Wide enough: the table on the left; the response-time line, the heat map and the feeds' share
    // on the right. Narrow: the table alone.
    // Our own posts, when an account of ours is read: one line each under the rest.
    let own = state.stats_profile.as_ref().map_or(0, |p| p.own.len() as u16);
    let (area, own_area) = if own > 0 && area.height >= 16 {
        let [rest, own_area] = Layout::vertical([Constraint::Min(10), Constraint::Length(own.min(6) + 2)]).areas(area);
        (rest, Some(own_area))
    } else {
        (area, None)
    };
    if area.width >= 150 && area.height >= 30 && !state.stats.is_empty() {
        let [left, right] = Layout::horizontal([Constraint::Length(108), Constraint::Min(40)]).areas(area);
        draw_stats_table(frame, left, state);
        let [chart, heat, share] =
            Layout::vertical([Constraint::Percentage(45), Constraint::Length(10), Constraint::Min(4)]).areas(right);
        draw_median_chart(frame, chart, state);
        draw_heat_map(frame, heat, state);
        draw_feed_share(frame, share, state);
    } else {
        draw_stats_table(frame, area, state);
    }
    if let Some(a) = own_area {
        draw_own(frame, a, state);
    }
}

/// What our own posts earned over the same days: per account, replies, reposts and likes per
/// post (Kaushik's conversation, amplification and applause rates), and likes per 1,000 followers.
pub(in crate::ui) fn draw_own(frame: &mut Frame<'_>, area: Rect, state: &AppState) {
    let t = &state.settings.theme;
    let b = block(" Our posts: replies · reposts · likes, per post ".into(), false, state);
    let inner = b.inner(area);
    frame.render_widget(b, area);
    let Some(p) = &state.stats_profile else { return };
    let lines: Vec<Line<'_>> = p
        .own
        .iter()
        .take(inner.height as usize)
        .map(|a| {
            let per_1k = a
                .applause_per_1k
                .map(|v| format!(" · {v:.2} likes per 1k followers"))
                .unwrap_or_default();
            Line::from(vec![
                Span::styled(
                    format!("{:<24} ", text::truncate_to_width(&text::screen_line(&a.account), 24)),
                    t.accent,
                ),
                Span::raw(format!(
                    "{} post{}, {} repl{} · {:.1} · {:.1} · {:.1}{per_1k}",
                    a.posts,
                    if a.posts == 1 { "" } else { "s" },
                    a.replies_sent,
                    if a.replies_sent == 1 { "y" } else { "ies" },
                    a.conversation_rate,
                    a.amplification_rate,
                    a.applause_rate
                )),
            ])
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), inner);
}

pub(in crate::ui) fn draw_median_chart(frame: &mut Frame<'_>, area: Rect, state: &AppState) {
    use ratatui::symbols::Marker;
    use ratatui::widgets::{Axis, Chart, Dataset, GraphType};
    let t = &state.settings.theme;
    let points: Vec<(f64, f64)> = state
        .stats
        .iter()
        .enumerate()
        .filter_map(|(i, d)| d.median_first_response_secs.map(|m| (i as f64, m / 60.0)))
        .collect();
    let sla = state.settings.sla.map(|s| s.as_secs_f64() / 60.0);
    let top = points.iter().map(|p| p.1).fold(sla.unwrap_or(0.0), f64::max).max(1.0) * 1.1;
    let last = (state.stats.len().max(2) - 1) as f64;
    let sla_line: Vec<(f64, f64)> = sla.map(|s| vec![(0.0, s), (last, s)]).unwrap_or_default();
    let mut datasets = vec![
        Dataset::default()
            .name("median first response")
            .marker(Marker::Braille)
            .graph_type(GraphType::Line)
            .style(t.accent)
            .data(&points),
    ];
    if sla.is_some() {
        datasets.push(
            Dataset::default()
                .name("SLA")
                .marker(Marker::Braille)
                .graph_type(GraphType::Line)
                .style(t.warn)
                .data(&sla_line),
        );
    }
    let first = state.stats.first().map(|d| d.date.clone()).unwrap_or_default();
    let latest = state.stats.last().map(|d| d.date.clone()).unwrap_or_default();
    let chart = Chart::new(datasets)
        .block(block(" Median first response (minutes) ".into(), false, state))
        .x_axis(
            Axis::default()
                .bounds([0.0, last])
                .labels([Span::raw(first), Span::raw(latest)])
                .style(t.muted),
        )
        .y_axis(
            Axis::default()
                .bounds([0.0, top])
                .labels([Span::raw("0"), Span::raw(format!("{top:.0}"))])
                .style(t.muted),
        );
    frame.render_widget(chart, area);
}

pub(in crate::ui) fn draw_heat_map(frame: &mut Frame<'_>, area: Rect, state: &AppState) {
    let t = &state.settings.theme;
    let b = block(" When mentions come in (local time) ".into(), false, state);
    let inner = b.inner(area);
    frame.render_widget(b, area);
    let Some(p) = &state.stats_profile else { return };
    let peak = p.heat.iter().flatten().copied().max().unwrap_or(0).max(1);
    let shades = [' ', '░', '▒', '▓', '█'];
    let mut lines = vec![Line::styled("     0     6     12    18   ", t.muted)];
    for (d, name) in ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"].iter().enumerate() {
        let cells: String = p.heat[d]
            .iter()
            .map(|n| {
                if *n == 0 {
                    '·'
                } else {
                    shades[(1 + (*n * 3 / peak) as usize).min(4)]
                }
            })
            .collect();
        lines.push(Line::from(vec![
            Span::styled(format!("{name}  "), t.muted),
            Span::styled(cells, t.accent),
        ]));
    }
    frame.render_widget(Paragraph::new(lines), inner);
}

pub(in crate::ui) fn draw_feed_share(frame: &mut Frame<'_>, area: Rect, state: &AppState) {
    let t = &state.settings.theme;
    let b = block(" Share by feed ".into(), false, state);
    let inner = b.inner(area);
    frame.render_widget(b, area);
    let Some(p) = &state.stats_profile else { return };
    let total: i64 = p.feeds.iter().map(|f| f.1).sum::<i64>().max(1);
    let bar = inner.width.saturating_sub(24) as i64;
    let lines: Vec<Line<'_>> = p
        .feeds
        .iter()
        .take(inner.height as usize)
        .map(|(name, n)| {
            Line::from(vec![
                Span::raw(format!(
                    "{:<12} {:>4.0}% ",
                    text::truncate_to_width(&text::screen_line(name), 12),
                    *n as f64 * 100.0 / total as f64
                )),
                Span::styled("▇".repeat((n * bar / total) as usize), t.accent),
            ])
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), inner);
}

#[expect(clippy::too_many_lines, reason = "one table, column by column")]
pub(in crate::ui) fn draw_stats_table(frame: &mut Frame<'_>, area: Rect, state: &AppState) {
    let t = &state.settings.theme;
    let sla = state
        .settings
        .sla
        .map(|d| format!(" · SLA {}", humantime::format_duration(d)))
        .unwrap_or_default();
    let b = block(
        format!(
            " Stats · last {} days{sla} · {} changes the range ",
            state.stats_days,
            state.settings.keymap.hint(Command::StatsRange)
        ),
        true,
        state,
    );
    let inner = b.inner(area);
    frame.render_widget(b, area);
    if state.stats.is_empty() {
        frame.render_widget(Paragraph::new(Line::styled("computing…", t.muted)), inner);
        return;
    }
    let dur = |v: Option<f64>| match v {
        None => "-".to_string(),
        Some(s) if s < 60.0 => format!("{s:.0}s"),
        Some(s) if s < 7200.0 => format!("{:.0}m", s / 60.0),
        Some(s) if s < 86_400.0 => format!("{:.1}h", s / 3600.0),
        Some(s) => format!("{:.1}d", s / 86_400.0),
    };
    let wide = inner.width >= 104;
    let mut lines = vec![Line::styled(
        if wide {
            format!(
                "{:<10} {:>6} {:>6} {:>6} {:>6} {:>6} {:>5} {:>8} {:>8} {:>8} {:>7} {:>6} {:>7}  {}",
                "date",
                "in",
                "story",
                "answd",
                "ignrd",
                "escal",
                "rate",
                "median",
                "p90",
                "max",
                "next",
                "SLA!",
                "backlog",
                "volume ▇ in · ▇ answered"
            )
        } else {
            format!(
                "{:<10} {:>5} {:>5} {:>5} {:>7} {:>6} {:>5} {:>7}",
                "date", "in", "answd", "rate", "median", "p90", "SLA!", "backlog"
            )
        },
        Style::default().add_modifier(Modifier::BOLD),
    )];
    let peak = state.stats.iter().map(|d| d.mentions).max().unwrap_or(0).max(1);
    let bar_w = inner.width.saturating_sub(102) as i64;
    // Newest first, as many days as fit.
    for d in state.stats.iter().rev().take(inner.height.saturating_sub(2) as usize) {
        let rate = format!("{:.0}%", d.response_rate * 100.0);
        let sla_miss = if state.settings.sla.is_some() {
            d.sla_breaches.to_string()
        } else {
            "-".into()
        };
        let breach_style = if d.sla_breaches > 0 && state.settings.sla.is_some() {
            t.warn
        } else {
            t.base
        };
        if wide {
            let inb = (d.mentions * bar_w / peak) as usize;
            let answered = (d.responded * bar_w / peak) as usize;
            lines.push(Line::from(vec![
                Span::raw(format!(
                    "{:<10} {:>6} {:>6} {:>6} {:>6} {:>6} {:>5} {:>8} {:>8} {:>8} {:>7} ",
                    d.date,
                    d.mentions,
                    d.stories,
                    d.responded,
                    d.ignored,
                    d.escalated,
                    rate,
                    dur(d.median_first_response_secs),
                    dur(d.p90_first_response_secs.map(|v| v as f64)),
                    dur(d.max_first_response_secs.map(|v| v as f64)),
                    dur(d.median_next_reply_secs),
                )),
                Span::styled(format!("{sla_miss:>6}"), breach_style),
                Span::raw(format!(" {:>7}  ", d.backlog)),
                Span::styled("▇".repeat(answered), t.ok),
                Span::styled("▇".repeat(inb.saturating_sub(answered)), t.accent),
            ]));
        } else {
            lines.push(Line::from(vec![
                Span::raw(format!(
                    "{:<10} {:>5} {:>5} {:>5} {:>7} {:>6} ",
                    d.date,
                    d.mentions,
                    d.responded,
                    rate,
                    dur(d.median_first_response_secs),
                    dur(d.p90_first_response_secs.map(|v| v as f64)),
                )),
                Span::styled(format!("{sla_miss:>5}"), breach_style),
                Span::raw(format!(" {:>7}", d.backlog)),
            ]));
        }
    }
    lines.push(Line::styled(
        if wide {
            "first-response times from publication; story: a story seen in several places counted once; next: \
             median wait for our next answer after the customer answered; `overhear stats` has more"
        } else {
            "first-response times from publication; `overhear stats` has more (from first seen, by feed/operator/tag, json/csv)"
        },
        t.muted,
    ));
    frame.render_widget(Paragraph::new(lines), inner);
}

/// The Ours pane: what our accounts' posts earned over the Stats pane's days (`s` changes them),
/// per account, then each post, newest first.
pub(in crate::ui) fn draw_ours(frame: &mut Frame<'_>, area: Rect, state: &AppState) {
    let t = &state.settings.theme;
    let Some(p) = state.stats_profile.as_ref().filter(|p| !p.own.is_empty()) else {
        let b = block(format!(" Ours · last {} days ", state.stats_days), true, state);
        let inner = b.inner(area);
        frame.render_widget(b, area);
        frame.render_widget(
            Paragraph::new(vec![
                Line::from("No post of ours in these days."),
                Line::styled(
                    "Add our accounts to the config ([[account]]: mastodon, bluesky, x, reddit, github); the poller reads what they post and what it earns.",
                    t.muted,
                ),
            ])
            .wrap(ratatui::widgets::Wrap { trim: true }),
            inner,
        );
        return;
    };
    let [accounts, posts] =
        Layout::vertical([Constraint::Length(p.own.len().min(6) as u16 + 2), Constraint::Min(3)]).areas(area);
    draw_own(frame, accounts, state);
    let b = block(
        format!(
            " Our posts · last {} days · replies · reposts · likes ",
            state.stats_days
        ),
        true,
        state,
    );
    let inner = b.inner(posts);
    frame.render_widget(b, posts);
    let lines: Vec<Line<'_>> = p
        .own_posts
        .iter()
        .take(inner.height as usize)
        .map(|post| {
            let head = format!(
                "{:>10} {:<16} {:>5} {:>5} {:>6}  {}",
                timefmt::age(state.now, post.published_at),
                text::truncate_to_width(&text::screen_line(&post.account), 16),
                post.replies,
                post.reposts + post.quotes,
                post.likes,
                if post.is_reply { "↳ " } else { "" }
            );
            let room = (inner.width as usize).saturating_sub(unicode_width::UnicodeWidthStr::width(head.as_str()));
            Line::from(vec![
                Span::styled(head, t.muted),
                Span::raw(text::truncate_to_width(&text::screen_line(&post.text), room)),
            ])
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), inner);
}
