//! The stream window: at most one screen of rows around an anchor, loaded by the reader thread.
//! Moves inside the screen apply at once (the next key acts on the row the user sees) and are
//! confirmed by a load; moves typed while a scroll loads add up into one. Until the user first
//! moves, the view follows the newest mentions.

use super::*;

/// Mentions above the view are counted up to this many ("↑ 1000+ more above").
pub const ABOVE_CAP: usize = 1000;

/// Where the window of the stream is anchored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Anchor {
    /// The newest mentions, selection on the first.
    Head,
    /// The oldest mentions, selection on the last.
    Tail,
    /// Keep `key` selected, `offset` rows below the top of the view.
    At { key: StreamKey, offset: usize },
    /// Move the selection `delta` rows from `key` (negative: up), keeping it on screen.
    Move { key: StreamKey, offset: usize, delta: i64 },
}

#[derive(Debug, Clone, PartialEq)]
pub struct LoadRequest {
    pub seq: u64,
    pub anchor: Anchor,
    pub height: usize,
    pub filter: StreamFilter,
    /// Also recount the stream and read feed health (after a change, not on every key).
    pub overview: bool,
}

/// Feed health at a glance.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FeedSummary {
    pub ok: usize,
    pub failing: usize,
    pub next_poll: Option<DateTime<Utc>>,
}

/// Counts, feed health and names for completion: re-read when the store changes.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Overview {
    pub total: i64,
    pub new: i64,
    pub open: i64,
    /// Mentions the filter shows, counted up to a cap.
    pub matching: i64,
    /// Whether `matching` stopped at the cap (shown as "10000+").
    pub matching_capped: bool,
    pub feeds: FeedSummary,
    pub operators: Vec<String>,
    pub tags: Vec<String>,
    /// Every open draft, across mentions.
    pub drafts: Vec<DraftRow>,
}

/// A window of the stream, as the reader loaded it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Window {
    pub seq: u64,
    pub rows: Vec<Mention>,
    pub selected: usize,
    pub offset: usize,
    /// Mentions newer than the top row (arrived above the view).
    pub above: i64,
    /// The selected mention with its tags, notes and history.
    pub detail: Option<Detail>,
}

/// A link safe to hand to the terminal: http(s) only, in the URL parser's normalised form (which
/// percent-encodes anything that could end an escape sequence).
pub fn safe_link(url: &str) -> Option<String> {
    let u = url::Url::parse(url.trim()).ok()?;
    matches!(u.scheme(), "http" | "https")
        .then(|| u.to_string())
        .filter(|s| s.chars().all(|c| c.is_ascii_graphic()))
}

impl AppState {
    pub(super) fn request(&mut self, anchor: Anchor, overview: bool) -> Effect {
        self.seq += 1;
        self.in_flight = Some(anchor);
        Effect::Load(LoadRequest {
            seq: self.seq,
            anchor,
            height: self.stream_height(),
            filter: self.filter.clone(),
            overview,
        })
    }

    pub(super) fn load(&mut self, anchor: Anchor) -> Effect {
        self.request(anchor, false)
    }

    /// The anchor that keeps what the user sees where it is. Until the user first moves, the
    /// view follows the newest mentions as they arrive.
    pub(super) fn hold(&self) -> Anchor {
        match self.selected() {
            Some(m) if self.touched => Anchor::At {
                key: m.stream_key(),
                offset: self.window.offset,
            },
            _ => Anchor::Head,
        }
    }

    pub(super) fn step(&mut self, delta: i64) -> Vec<Effect> {
        self.touched = true;
        // Keys typed faster than windows load add up to one move from where the first began.
        if self.window.seq != self.seq
            && let Some(Anchor::Move {
                key,
                offset,
                delta: before,
            }) = self.in_flight
        {
            return vec![self.load(Anchor::Move {
                key,
                offset,
                delta: before + delta,
            })];
        }
        let Some(m) = self.selected() else { return vec![] };
        let key = m.stream_key();
        let (sel, offset) = (self.window.selected as i64 + delta, self.window.offset as i64 + delta);
        if delta != 0
            && (0..self.window.rows.len() as i64).contains(&sel)
            && (0..self.stream_height() as i64).contains(&offset)
        {
            // Within the screen: move now, so the next key acts on the row the user sees.
            self.window.selected = sel as usize;
            self.window.offset = offset as usize;
            let key = self.window.rows[sel as usize].stream_key();
            return vec![self.load(Anchor::At {
                key,
                offset: offset as usize,
            })];
        }
        vec![self.load(Anchor::Move {
            key,
            offset: self.window.offset,
            delta,
        })]
    }

    /// The initial effects: load the head of the stream.
    pub fn start(&mut self) -> Vec<Effect> {
        vec![self.request(Anchor::Head, true)]
    }

    pub(super) fn on_mouse(&mut self, m: MouseEvent) -> Vec<Effect> {
        if !self.settings.mouse || self.mode != Mode::Normal {
            return vec![];
        }
        match m.kind {
            MouseEventKind::ScrollDown => self.step(3),
            MouseEventKind::ScrollUp => self.step(-3),
            MouseEventKind::Down(crossterm::event::MouseButton::Left) => {
                let areas = self.areas;
                let inner_top = areas.stream.y + 1;
                let inside = m.column > areas.stream.x
                    && m.column < areas.stream.x + areas.stream.width.saturating_sub(1)
                    && m.row >= inner_top
                    && m.row < areas.stream.y + areas.stream.height.saturating_sub(1);
                if self.pane_shows_stream() && inside {
                    self.pane = Pane::Stream;
                    let row = (m.row - inner_top) as i64;
                    return self.step(row - self.window.selected as i64);
                }
                vec![]
            }
            _ => vec![],
        }
    }

    pub fn pane_shows_stream(&self) -> bool {
        matches!(self.pane, Pane::Stream | Pane::Detail)
    }

    /// The terminal's new size: keep the selection on screen and reload the window for it.
    pub(super) fn on_resize(&mut self, areas: Areas) -> Vec<Effect> {
        self.size = areas.size;
        self.areas = areas;
        let height = self.stream_height();
        self.window.offset = self.window.offset.min(height - 1);
        vec![self.load(self.hold())]
    }

    /// A window from the reader: taken when it answers the newest request (older ones are
    /// stale); the counts it carries are taken either way.
    pub(super) fn on_loaded(&mut self, w: Window) -> Vec<Effect> {
        if w.seq == self.seq {
            // The same rows again (another process committed something that is not on screen):
            // nothing to draw.
            self.quiet = self.loaded
                && self.window
                    == Window {
                        seq: self.window.seq,
                        ..w.clone()
                    };
            self.in_flight = None;
            let before = self.selected().map(|m| m.id);
            self.window = w;
            self.loaded = true;
            let after = self.selected().map(|m| (m.id, m.unread));
            if after.map(|a| a.0) != before {
                self.detail_scroll = 0;
            }
            self.read_due = match after {
                Some((id, true)) if self.read_due.is_some_and(|r| r.0 == id) => self.read_due,
                Some((id, true)) => Some((id, self.clock.at + READ_AFTER)),
                _ => None,
            };
            return self.ask_thread().into_iter().collect();
        } else {
            self.quiet = true;
        }
        vec![]
    }

    /// Counts from the reader, sent after a window. The number matching a filter is kept only
    /// while that filter is still the one shown; the rest is the store's, whatever the filter.
    pub(super) fn on_counted(&mut self, filter: &StreamFilter, overview: Overview) {
        let matching = if *filter == self.filter {
            (overview.matching, overview.matching_capped)
        } else {
            (self.overview.matching, self.overview.matching_capped)
        };
        self.overview = Overview {
            matching: matching.0,
            matching_capped: matching.1,
            ..overview
        };
    }

    /// Move the selection (or scroll the detail pane when it has the focus).
    pub(super) fn move_command(&mut self, cmd: Command) -> Vec<Effect> {
        let page = self.stream_height() as i64;
        let detail_focused = self.pane == Pane::Detail;
        match cmd {
            Command::Down if detail_focused => {
                self.detail_scroll = self.detail_scroll.saturating_add(1);
                vec![]
            }
            Command::Up if detail_focused => {
                self.detail_scroll = self.detail_scroll.saturating_sub(1);
                vec![]
            }
            Command::Down => self.step(1),
            Command::Up => self.step(-1),
            Command::HalfDown => self.step((page / 2).max(1)),
            Command::HalfUp => self.step(-(page / 2).max(1)),
            Command::PageDown => self.step(page),
            Command::PageUp => self.step(-page),
            Command::Top => {
                self.touched = true;
                vec![self.load(Anchor::Head)]
            }
            Command::Bottom => {
                self.touched = true;
                vec![self.load(Anchor::Tail)]
            }
            _ => vec![],
        }
    }
}
