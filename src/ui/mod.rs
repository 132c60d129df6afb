//! Drawing: state in, frame out. Reads `AppState` only; never touches the database or the network.
//! Every string from a feed passes `text::screen_line` (or `screen`) again here, whatever the
//! store holds: the sanitiser, then emoji sequences drawn the way every terminal measures them.

mod overlays {
    pub mod alerts;
    pub mod candidates;
    pub mod help;
    pub mod menu;
    pub mod templates;
}
mod panes {
    pub mod detail;
    pub mod drafts;
    pub mod editor;
    pub mod people;
    pub mod stats;
    pub mod stream;
}
mod status;
pub mod theme;

pub use status::link_position;

use crate::app::{AppState, Areas, Level, Menu, Mode, Pane};
use crate::keymap::{COMMANDS, Command, Context};
use crate::model::Mention;
use crate::store::HistoryEvent;
use crate::text;
use crate::timefmt;
use overlays::{alerts::*, candidates::*, help::*, menu::*, templates::*};
use panes::{detail::*, drafts::*, editor::*, people::*, stats::*, stream::*};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};
use status::*;

/// From this width on, the detail pane sits beside the stream; below it otherwise.
const SIDE_BY_SIDE: u16 = 120;

/// Where each part of the screen goes at this size. The console hands it to the state on every
/// resize (the state never calls the UI).
pub fn layout(size: (u16, u16)) -> Areas {
    let area = Rect::new(0, 0, size.0, size.1);
    let [tabs, main, status] =
        Layout::vertical([Constraint::Length(1), Constraint::Min(3), Constraint::Length(1)]).areas(area);
    let (stream, detail) = if size.0 >= SIDE_BY_SIDE {
        let [s, d] = Layout::horizontal([Constraint::Percentage(60), Constraint::Percentage(40)]).areas(main);
        (s, d)
    } else {
        let detail_h = if main.height >= 16 { main.height * 2 / 5 } else { 0 };
        let [s, d] = Layout::vertical([Constraint::Min(3), Constraint::Length(detail_h)]).areas(main);
        (s, d)
    };
    Areas {
        size,
        tabs,
        stream,
        detail,
        other: main,
        status,
    }
}

pub fn draw(frame: &mut Frame<'_>, state: &AppState) {
    let areas = state.areas;
    draw_tabs(frame, areas.tabs, state);
    match state.pane {
        _ if state.editor.is_some() => draw_editor(frame, areas.other, state),
        Pane::Stream | Pane::Detail => {
            draw_stream(frame, areas.stream, state);
            if areas.detail.height > 2 {
                draw_detail(frame, areas.detail, state);
            }
        }
        Pane::Drafts => draw_drafts(frame, areas.other, state),
        Pane::Stats => draw_stats(frame, areas.other, state),
        Pane::People => draw_people(frame, areas.other, state),
        Pane::Ours => draw_ours(frame, areas.other, state),
    }
    draw_status(frame, areas.status, state);
    match &state.mode {
        Mode::Help { scroll, from } => draw_help(frame, state, *scroll, *from),
        Mode::Templates { query, selected } => draw_templates(frame, state, query, *selected),
        Mode::Menu(m) => draw_menu(frame, state, *m),
        Mode::Alerts { selected } => draw_alerts(frame, state, *selected),
        Mode::Prompt(p) if !p.candidates.is_empty() => {
            draw_candidates(frame, areas.status, state, &p.candidates, p.chosen)
        }
        _ => {}
    }
}

pub(super) fn draw_tabs(frame: &mut Frame<'_>, area: Rect, state: &AppState) {
    let t = &state.settings.theme;
    let mut spans = vec![Span::styled(" overhear ", t.accent.add_modifier(Modifier::BOLD))];
    for (i, p) in Pane::ALL.iter().enumerate() {
        let focused = *p == state.pane;
        let style = if focused { t.selection } else { t.muted };
        spans.push(Span::raw(" "));
        spans.push(Span::styled(format!(" {} {} ", i + 1, p.title()), style));
    }
    if let Some(v) = &state.view {
        spans.push(Span::styled(format!("  view: {}", text::screen_line(v)), t.accent));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

pub(super) fn block<'a>(title: String, focused: bool, state: &AppState) -> Block<'a> {
    let t = &state.settings.theme;
    Block::default()
        .borders(Borders::ALL)
        .border_style(if focused { t.border_focus } else { t.border })
        .title(Span::styled(
            title,
            if focused {
                t.accent.add_modifier(Modifier::BOLD)
            } else {
                t.base
            },
        ))
}

pub(super) fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let w = width.min(area.width.saturating_sub(2));
    let h = height.min(area.height.saturating_sub(2));
    Rect::new(area.x + (area.width - w) / 2, area.y + (area.height - h) / 2, w, h)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::{FeedSummary, Overview, Pane, Window};
    use crate::config::Config;
    use crate::model::{Engagement, Status};
    use crate::store::{Detail, HistoryEntry, Note};
    use chrono::{DateTime, TimeZone, Utc};
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;
    use std::path::Path;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 24, 12, 0, 0).unwrap()
    }

    fn mention(id: i64, feed: &str, author: &str, title: Option<&str>, text: &str, mins: i64) -> Mention {
        let t = now() - chrono::Duration::minutes(mins);
        Mention {
            id,
            feed: feed.into(),
            kind: crate::model::FeedKind::Rss,
            external_id: format!("x{id}"),
            url: Some(format!("https://example.com/{id}")),
            author: Some(author.into()),
            author_reach: (id == 2).then_some(1250),
            title: title.map(String::from),
            text: text.into(),
            published_at: Some(t),
            first_seen_at: t,
            sort_at: t,
            engagement: Engagement {
                score: Some(57),
                replies: Some(23),
                ..Default::default()
            },
            status: Status::New,
            assignee: (id == 2).then(|| "bob".to_string()),
            responded_at: None,
            responded_by: None,
            unread: true,
            response_text: None,
            response_url: None,
            lang: None,
            sentiment: None,
            intents: crate::score::Intents::default(),
            priority: 0.0,
            person_tags: vec![],
            noise: 0,
            group_id: id,
            conversation_id: None,
            elsewhere: 0,
            elsewhere_feeds: Vec::new(),
            follow_up: false,
            order_key: t.timestamp(),
        }
    }

    fn with(mut m: Mention, status: Status, unread: bool) -> Mention {
        m.status = status;
        m.unread = unread;
        m
    }

    #[expect(
        clippy::too_many_lines,
        reason = "the fixture: a stream, a detail, drafts and stats, written out as data"
    )]
    fn state(size: (u16, u16)) -> AppState {
        let config = Config::parse(
            Path::new("/home/alice/.config/overhear/config.toml"),
            "[console]\noperator = \"alice\"\n\n[[feed]]\nname = \"hn\"\nkind = \"hackernews\"\nquery = \"acme\"\n\n[[feed]]\nname = \"alerts\"\nkind = \"rss\"\nurl = \"https://example.com/a\"\n\n[[view]]\nname = \"open complaints today\"\nfilter = \"status:open tag:complaint since:today\"\n",
        )
        .unwrap();
        let mut s = AppState::new(&config, layout(size));
        s.now = now();
        s.loaded = true;
        let mut rows = vec![
            with(
                mention(
                    1,
                    "hn",
                    "quietgrep",
                    Some("Re: Show HN: Acme queue"),
                    "I've run something very similar in production for about two years.",
                    3,
                ),
                Status::New,
                true,
            ),
            with(
                mention(
                    2,
                    "alerts",
                    "Marta Ruiz",
                    Some("Six months with Acme: what stuck"),
                    "Search is fast & the offline mode is the best I've used.\n\nSync conflicts still happen.",
                    125,
                ),
                Status::Open,
                false,
            ),
            with(
                mention(
                    3,
                    "community",
                    "陳大文",
                    Some("同步冲突 — sync conflict 🙂"),
                    "Notes titled in Chinese create duplicates: 笔记.md and 笔记 (1).md",
                    300,
                ),
                Status::Escalated,
                true,
            ),
            with(
                mention(
                    4,
                    "blogs",
                    "José Ñandú",
                    None,
                    "Cafe\u{301} review: שלום עולם and مرحبا inside a review of Acme 👍🏽",
                    2000,
                ),
                Status::Responded,
                false,
            ),
            with(
                mention(5, "hn", "tessellate", Some("Acme's query planner, explained"), "", 3000),
                Status::Ignored,
                false,
            ),
        ];
        // A story seen in three other places, and a customer who answered us.
        rows[4].elsewhere = 3;
        rows[4].elsewhere_feeds = vec!["alerts".into(), "reddit".into()];
        rows[2].follow_up = true;
        let detail = Detail {
            mention: rows[1].clone(),
            tags: vec!["complaint".into(), "sync".into()],
            notes: vec![Note {
                author: "alice".into(),
                body: "asked for logs".into(),
                at: now() - chrono::Duration::minutes(30),
            }],
            history: vec![
                HistoryEntry {
                    actor: "alice".into(),
                    event: HistoryEvent::Status {
                        from: "new".into(),
                        to: "open".into(),
                    },
                    at: now() - chrono::Duration::minutes(40),
                },
                HistoryEntry {
                    actor: "alice".into(),
                    event: HistoryEvent::Assigned(Some("bob".into())),
                    at: now() - chrono::Duration::minutes(35),
                },
            ],
            person: None,
            judged: None,
            places: vec![crate::store::StoryPlace {
                id: 9,
                feed: "reddit".into(),
                title: Some("Acme sync keeps failing after the update".into()),
                url: None,
                at: now() - chrono::Duration::minutes(20),
                status: "new".into(),
            }],
            conversation: vec![
                crate::store::Message {
                    id: rows[1].id,
                    kind: "rss".into(),
                    author: rows[1].author.clone(),
                    at: rows[1].sort_at,
                    text: rows[1].text.clone(),
                    status: "open".into(),
                    answer: Some((
                        "Sorry about that: can you send us the logs?".into(),
                        Some("alice".into()),
                        now() - chrono::Duration::minutes(25),
                    )),
                },
                crate::store::Message {
                    id: 77,
                    kind: "rss".into(),
                    author: rows[1].author.clone(),
                    at: now() - chrono::Duration::minutes(5),
                    text: "Sent them, thanks!".into(),
                    status: "open".into(),
                    answer: None,
                },
            ],
            thread_of: Some(crate::model::ThreadOf {
                kind: crate::model::FeedKind::Mastodon,
                feed: "masto".into(),
                external_id: Some("1".into()),
                url: None,
                parent: Some("0".into()),
                root: None,
            }),
            thread: Some(crate::model::Thread {
                fetched_at: now() - chrono::Duration::minutes(2),
                posts: vec![
                    crate::model::ThreadPost {
                        relation: crate::model::Relation::Above,
                        depth: 0,
                        external_id: Some("0".into()),
                        author: Some("acme_support".into()),
                        title: None,
                        text: "Sync 4.2 is out today.".into(),
                        url: None,
                        published_at: Some(now() - chrono::Duration::hours(3)),
                    },
                    crate::model::ThreadPost {
                        relation: crate::model::Relation::Below,
                        depth: 1,
                        external_id: Some("2".into()),
                        author: Some("bystander".into()),
                        title: None,
                        text: "Same here since the update.".into(),
                        url: None,
                        published_at: Some(now() - chrono::Duration::minutes(50)),
                    },
                    crate::model::ThreadPost {
                        relation: crate::model::Relation::Below,
                        depth: 2,
                        external_id: Some("3".into()),
                        author: Some("acme_care".into()),
                        title: None,
                        text: "Sorry about that! A fix for the sync that stops at 99% is rolling out today; \
                               restart the app once it has updated and tell us if it still stops."
                            .into(),
                        url: None,
                        published_at: Some(now() - chrono::Duration::minutes(20)),
                    },
                ],
                error: None,
            }),
        };
        s.window = Window {
            seq: 0,
            rows,
            selected: 1,
            offset: 1,
            above: 2,
            detail: Some(detail),
        };
        s.overview = Overview {
            total: 1234,
            new: 12,
            open: 340,
            matching: 1234,
            matching_capped: false,
            feeds: FeedSummary {
                ok: 1,
                failing: 1,
                next_poll: Some(now() + chrono::Duration::seconds(90)),
            },
            operators: vec!["alice".into(), "bob".into()],
            tags: vec!["bug".into(), "complaint".into(), "sync".into()],
            drafts: vec![crate::store::DraftRow {
                mention_id: 2,
                writer: "alice".into(),
                body: "Hi Marta, thanks for the write-up!\nWe're fixing the sync conflicts in 4.4.".into(),
                updated_at: now() - chrono::Duration::minutes(4),
                sending: false,
                awaiting: false,
                returned: None,
                feed: "alerts".into(),
                mention_author: Some("Marta Ruiz".into()),
                mention_title: Some("Six months with Acme: what stuck".into()),
            }],
        };
        s.marks.insert(3);
        s
    }

    fn render(state: &AppState) -> String {
        let mut terminal = Terminal::new(TestBackend::new(state.size.0, state.size.1)).unwrap();
        terminal.draw(|f| draw(f, state)).unwrap();
        let buf = terminal.backend().buffer();
        let mut out = String::new();
        for y in 0..buf.area.height {
            let mut line = String::new();
            let mut skip = 0;
            for x in 0..buf.area.width {
                if skip > 0 {
                    skip -= 1;
                    continue;
                }
                let sym = buf[(x, y)].symbol();
                skip = text::display_width(sym).saturating_sub(1);
                line.push_str(sym);
            }
            out.push_str(line.trim_end());
            out.push('\n');
        }
        out
    }

    fn each_size(name: &str, setup: impl Fn(&mut AppState)) {
        for size in [(80, 24), (160, 48)] {
            let mut s = state(size);
            setup(&mut s);
            let screen = render(&s);
            for line in screen.lines() {
                assert!(
                    text::display_width(line) <= size.0 as usize,
                    "{name} {size:?}: line too wide: {line}"
                );
            }
            insta::assert_snapshot!(format!("{name}_{}x{}", size.0, size.1), screen);
        }
    }

    #[test]
    fn stream_with_detail() {
        each_size("stream", |_| {});
    }

    #[test]
    fn detail_focused() {
        each_size("detail", |s| s.pane = Pane::Detail);
    }

    #[test]
    fn drafts_pane() {
        each_size("drafts", |s| s.pane = Pane::Drafts);
    }

    #[test]
    fn reply_editor() {
        each_size("editor", |s| {
            let m = s.window.rows[1].clone();
            let mut e = crate::app::draft::DraftEditor::new(
                m,
                "Hi Marta, thanks for the write-up!\nWe're fixing the sync conflicts in 4.4.",
                Vec::new(),
                None,
            );
            e.limit = Some(500);
            s.editor = Some(e);
            s.mode = Mode::Draft;
        });
    }

    #[test]
    fn stats_pane() {
        each_size("stats", |s| {
            s.pane = Pane::Stats;
            std::sync::Arc::make_mut(&mut s.settings).sla = Some(std::time::Duration::from_secs(3600));
            s.stats = (0..7)
                .map(|i| crate::stats::DayStats {
                    date: format!("2026-11-{:02}", 18 + i),
                    group: None,
                    mentions: 10 + i * 3,
                    responded: 8 + i,
                    ignored: 1,
                    escalated: i % 2,
                    response_rate: (8 + i) as f64 / (10 + i * 3) as f64,
                    median_first_response_secs: Some(1800.0 + i as f64 * 600.0),
                    p90_first_response_secs: Some(5400 + i * 300),
                    max_first_response_secs: Some(9000),
                    median_first_response_from_seen_secs: Some(1500.0),
                    p90_first_response_from_seen_secs: Some(5000),
                    max_first_response_from_seen_secs: Some(8000),
                    sla_breaches: i % 3,
                    backlog: 4 + i,
                    stories: 8 + i * 3,
                    median_next_reply_secs: Some(900.0 + i as f64 * 60.0),
                    p90_next_reply_secs: Some(2400),
                    replies_per_conversation: Some(1.5),
                })
                .collect();
            let mut heat = [[0i64; 24]; 7];
            for (d, row) in heat.iter_mut().enumerate() {
                for (h, cell) in row.iter_mut().enumerate() {
                    *cell = if (9..18).contains(&h) {
                        (d as i64 + h as i64) % 5
                    } else {
                        0
                    };
                }
            }
            s.stats_profile = Some(crate::stats::Profile {
                heat,
                feeds: vec![("hn".into(), 60), ("alerts".into(), 30), ("community".into(), 10)],
                own: vec![crate::report::own::AccountRates {
                    account: "acme-sky".into(),
                    kind: "bluesky".into(),
                    posts: 6,
                    replies_sent: 14,
                    followers: Some(2000),
                    conversation_rate: 1.5,
                    amplification_rate: 2.0,
                    applause_rate: 9.5,
                    conversation_per_1k: Some(0.75),
                    amplification_per_1k: Some(1.0),
                    applause_per_1k: Some(4.75),
                    applause_per_reply: Some(2.0),
                    conversation_per_reply: Some(0.5),
                }],
                own_posts: Vec::new(),
            });
        });
    }

    #[test]
    fn ours_pane() {
        each_size("ours", |s| {
            s.pane = Pane::Ours;
            s.stats_profile = Some(crate::stats::Profile {
                own: vec![crate::report::own::AccountRates {
                    account: "acme-sky".into(),
                    kind: "bluesky".into(),
                    posts: 2,
                    replies_sent: 1,
                    followers: Some(2000),
                    conversation_rate: 2.0,
                    amplification_rate: 4.0,
                    applause_rate: 14.0,
                    conversation_per_1k: Some(1.0),
                    amplification_per_1k: Some(2.0),
                    applause_per_1k: Some(7.0),
                    applause_per_reply: Some(2.0),
                    conversation_per_reply: Some(0.0),
                }],
                own_posts: [
                    "Sorry about the outage, \u{1b}[2Jit is fixed now",
                    "Our 4.3 release notes are up",
                ]
                .iter()
                .enumerate()
                .map(|(i, text)| crate::report::own::PostRates {
                    account: "acme-sky".into(),
                    post_id: format!("p{i}"),
                    url: None,
                    published_at: now() - chrono::Duration::hours(3 + i as i64),
                    is_reply: i == 0,
                    replies: 4 - i as i64,
                    reposts: 10,
                    likes: 30,
                    quotes: 1,
                    followers: Some(2000),
                    conversation_rate: 4.0,
                    amplification_rate: 11.0,
                    applause_rate: 30.0,
                    conversation_per_1k: None,
                    amplification_per_1k: None,
                    applause_per_1k: None,
                    text: (*text).to_string(),
                })
                .collect(),
                ..Default::default()
            });
        });
    }

    #[test]
    fn help_overlay() {
        each_size("help", |s| {
            s.mode = Mode::Help {
                scroll: 0,
                from: Context::Stream,
            }
        });
    }

    #[test]
    fn filter_menu_and_active_filter() {
        each_size("filter", |s| {
            s.filter = crate::query::StreamFilter::parse("status:open acme", now()).unwrap();
            s.overview.matching = 2;
            s.mode = Mode::Menu(Menu::Filter);
        });
    }

    #[test]
    fn welcome_without_feeds() {
        each_size("welcome", |s| {
            std::sync::Arc::make_mut(&mut s.settings).feed_names.clear();
            s.window = Window::default();
            s.overview = Overview::default();
            s.marks.clear();
        });
    }

    #[test]
    fn hostile_text_draws_as_harmless_text() {
        let mut s = state((100, 30));
        s.window.rows[0].title = Some("evil \x1b]0;pwned\x07title \x1b[2J\u{202e}txt.exe".into());
        s.window.rows[0].author = Some("\x1bP+q\x1b\\mallory\u{200b}".into());
        let screen = render(&s);
        assert!(screen.contains("evil title txt.exe"), "{screen}");
        assert!(screen.contains("mallory"), "{screen}");
        assert!(
            screen
                .lines()
                .all(|l| !l.chars().any(crate::text::is_forbidden_on_screen)),
            "{screen}"
        );
    }
}
