//! The console: the event loop, the state, the actions and the effects.
//!
//! Keys and store changes become `Action`s; `AppState::update` turns them into state changes and
//! `Effect`s; effects run off the UI task (a reader thread owns its own connection) and come back
//! as actions. The screen is drawn only when something changed.

use crate::config::Config;
use crate::model::Mention;
use crate::poller::{FeedReport, Outcome, Poller};
use crate::store::{Store, StreamKey};
use crate::tui::Tui;
use crate::ui;
use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use crossterm::event::{Event, EventStream, KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use futures_util::StreamExt;
use std::path::PathBuf;
use std::sync::mpsc as std_mpsc;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, watch};

/// How often the reader looks for other processes' commits.
const WATCH_INTERVAL: Duration = Duration::from_millis(250);
/// How often ages on screen are refreshed.
const CLOCK_TICK: Duration = Duration::from_secs(30);
const MESSAGE_FOR: Duration = Duration::from_secs(6);

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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoadRequest {
    pub seq: u64,
    pub anchor: Anchor,
    pub height: usize,
    /// Also recount the stream and read feed health (after a change, not on every key).
    pub overview: bool,
}

/// Counts and feed health: re-read when the store changes, not when the selection moves.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Overview {
    pub total: i64,
    pub new: i64,
    pub open: i64,
    pub feeds: FeedSummary,
}

/// Feed health at a glance.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FeedSummary {
    pub ok: usize,
    pub failing: usize,
    pub next_poll: Option<DateTime<Utc>>,
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
    pub overview: Option<Overview>,
}

#[derive(Debug)]
pub enum Action {
    Key(KeyEvent),
    Resize(u16, u16),
    StoreChanged,
    Loaded(Window),
    Report(FeedReport),
    Tick,
    Error(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    Load(LoadRequest),
    Quit,
}

/// Everything the screen shows. `ui::draw` only reads it.
#[derive(Debug, Clone)]
pub struct AppState {
    pub operator: String,
    pub config_path: PathBuf,
    pub feeds_configured: usize,
    pub window: Window,
    pub overview: Overview,
    /// Has the first window arrived?
    pub loaded: bool,
    pub size: (u16, u16),
    pub message: Option<(String, Instant)>,
    pub now: DateTime<Utc>,
    seq: u64,
    /// Has the user moved the selection yet?
    touched: bool,
}

impl AppState {
    pub fn new(config: &Config, size: (u16, u16)) -> AppState {
        AppState {
            operator: config.console.operator.clone(),
            config_path: config.path.clone(),
            feeds_configured: config.feeds.len(),
            window: Window::default(),
            overview: Overview::default(),
            loaded: false,
            size,
            message: None,
            now: Utc::now(),
            seq: 0,
            touched: false,
        }
    }

    /// Rows of the stream that fit on screen.
    pub fn stream_height(&self) -> usize {
        ui::stream_rows(self.size)
    }

    pub fn selected(&self) -> Option<&Mention> {
        self.window.rows.get(self.window.selected)
    }

    fn load(&mut self, anchor: Anchor) -> Effect {
        self.request(anchor, false)
    }

    fn request(&mut self, anchor: Anchor, overview: bool) -> Effect {
        self.seq += 1;
        Effect::Load(LoadRequest {
            seq: self.seq,
            anchor,
            height: self.stream_height().max(1),
            overview,
        })
    }

    /// The anchor that keeps what the user sees where it is. Until the user first moves, the
    /// view follows the newest mentions as they arrive.
    fn hold(&self) -> Anchor {
        match self.selected() {
            Some(m) if self.touched => Anchor::At {
                key: m.stream_key(),
                offset: self.window.offset,
            },
            _ => Anchor::Head,
        }
    }

    fn step(&mut self, delta: i64) -> Vec<Effect> {
        let Some(m) = self.selected() else { return vec![] };
        let key = m.stream_key();
        vec![self.load(Anchor::Move {
            key,
            offset: self.window.offset,
            delta,
        })]
    }

    pub fn set_message(&mut self, text: impl Into<String>) {
        self.message = Some((text.into(), Instant::now() + MESSAGE_FOR));
    }

    /// The initial effects: load the head of the stream.
    pub fn start(&mut self) -> Vec<Effect> {
        vec![self.request(Anchor::Head, true)]
    }

    pub fn update(&mut self, action: Action) -> Vec<Effect> {
        match action {
            Action::Key(key) => self.on_key(key),
            Action::Resize(w, h) => {
                self.size = (w, h);
                let height = self.stream_height().max(1);
                self.window.offset = self.window.offset.min(height - 1);
                vec![self.load(self.hold())]
            }
            Action::StoreChanged => vec![self.request(self.hold(), true)],
            Action::Loaded(mut w) => {
                if let Some(o) = w.overview.take() {
                    self.overview = o;
                }
                if w.seq == self.seq {
                    self.window = w;
                    self.loaded = true;
                }
                vec![]
            }
            Action::Report(r) => {
                match &r.outcome {
                    Outcome::Ok { new, .. } if *new > 0 => self.set_message(format!("{}: {new} new", r.name)),
                    Outcome::Failed { error } => self.set_message(format!("{}: {error}", r.name)),
                    _ => {}
                }
                vec![]
            }
            Action::Tick => {
                self.now = Utc::now();
                if self.message.as_ref().is_some_and(|(_, until)| *until <= Instant::now()) {
                    self.message = None;
                }
                vec![]
            }
            Action::Error(e) => {
                self.set_message(e);
                vec![]
            }
        }
    }

    fn on_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        if key.kind == KeyEventKind::Release {
            return vec![];
        }
        let page = self.stream_height().max(1) as i64;
        if !matches!(key.code, KeyCode::Char('q')) {
            self.touched = true;
        }
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        match key.code {
            KeyCode::Char('q') => vec![Effect::Quit],
            KeyCode::Char('c') if ctrl => vec![Effect::Quit],
            KeyCode::Char('j') | KeyCode::Down => self.step(1),
            KeyCode::Char('k') | KeyCode::Up => self.step(-1),
            KeyCode::Char('d') if ctrl => self.step(page / 2),
            KeyCode::Char('u') if ctrl => self.step(-(page / 2)),
            KeyCode::PageDown | KeyCode::Char(' ') => self.step(page),
            KeyCode::PageUp => self.step(-page),
            KeyCode::Char('g') | KeyCode::Home => vec![self.load(Anchor::Head)],
            KeyCode::Char('G') | KeyCode::End => vec![self.load(Anchor::Tail)],
            _ => vec![],
        }
    }
}

/// The reader: owns a connection, loads windows on request, and watches for other processes'
/// commits with `PRAGMA data_version`. Runs on its own thread so the UI never waits on the disk.
fn reader(
    store: Store,
    feed_names: Vec<String>,
    requests: std_mpsc::Receiver<LoadRequest>,
    actions: mpsc::UnboundedSender<Action>,
) {
    let mut version = store.data_version().ok();
    loop {
        match requests.recv_timeout(WATCH_INTERVAL) {
            Ok(mut req) => {
                // Only the newest request matters.
                while let Ok(newer) = requests.try_recv() {
                    req = LoadRequest {
                        overview: req.overview || newer.overview,
                        ..newer
                    };
                }
                let action = match load_window(&store, &feed_names, req) {
                    Ok(w) => Action::Loaded(w),
                    Err(e) => Action::Error(format!("cannot read the database: {e}")),
                };
                if actions.send(action).is_err() {
                    return;
                }
            }
            Err(std_mpsc::RecvTimeoutError::Timeout) => {
                let now = store.data_version().ok();
                if now != version {
                    version = now;
                    if actions.send(Action::StoreChanged).is_err() {
                        return;
                    }
                }
            }
            Err(std_mpsc::RecvTimeoutError::Disconnected) => return,
        }
    }
}

/// Load the window a request asks for: at most `height` rows around the anchor.
pub fn load_window(store: &Store, feed_names: &[String], req: LoadRequest) -> crate::store::Result<Window> {
    let height = req.height.max(1);
    let (key, offset) = match req.anchor {
        Anchor::Head => (None, 0),
        Anchor::Tail => {
            let oldest = store.stream_before(
                StreamKey {
                    sort_at: i64::MIN,
                    id: i64::MIN,
                },
                1,
            )?;
            (oldest.first().map(Mention::stream_key), height - 1)
        }
        Anchor::At { key, offset } => (Some(key), offset),
        Anchor::Move { key, offset, delta } => {
            let moved = if delta > 0 {
                store.stream_after(Some(key), delta as usize)?
            } else if delta < 0 {
                store
                    .stream_before(key, delta.unsigned_abs() as usize)?
                    .into_iter()
                    .rev()
                    .collect()
            } else {
                vec![]
            };
            let steps = moved.len() as i64 * delta.signum();
            let new_key = moved.last().map_or(key, Mention::stream_key);
            let new_offset = (offset as i64 + steps).clamp(0, height as i64 - 1) as usize;
            (Some(new_key), new_offset)
        }
    };
    let rows = match key {
        None => store.stream_after(None, height)?,
        Some(key) => {
            let offset = offset.min(height - 1);
            let above = store.stream_before(key, offset)?;
            // Inclusive of the anchor itself: ids are integers, so (sort_at, id + 1) is just past it.
            let inclusive = StreamKey {
                sort_at: key.sort_at,
                id: key.id.saturating_add(1),
            };
            let below = store.stream_after(Some(inclusive), height - above.len())?;
            // Never filled from above: what the user sees stays where it is, and newer arrivals
            // are counted in `above` instead.
            let mut rows = above;
            rows.extend(below);
            rows
        }
    };
    let selected = match key {
        None => 0,
        Some(k) => rows
            .iter()
            .position(|m| m.stream_key() <= k)
            .unwrap_or(rows.len().saturating_sub(1)),
    };
    let above = match rows.first() {
        Some(m) => store.count_newer(m.stream_key())?,
        None => 0,
    };
    let overview = if req.overview {
        let (total, new, open) = store.stream_counts()?;
        Some(Overview {
            total,
            new,
            open,
            feeds: summarize(store, feed_names)?,
        })
    } else {
        None
    };
    Ok(Window {
        seq: req.seq,
        selected,
        offset: selected,
        rows,
        above,
        overview,
    })
}

fn summarize(store: &Store, feed_names: &[String]) -> crate::store::Result<FeedSummary> {
    let mut s = FeedSummary::default();
    for h in store
        .feed_health(false)?
        .into_iter()
        .filter(|h| feed_names.contains(&h.name))
    {
        if h.last_error.is_some() {
            s.failing += 1;
        } else if h.last_success_at.is_some() {
            s.ok += 1;
        }
        if let Some(n) = h.next_poll_at {
            s.next_poll = Some(s.next_poll.map_or(n, |m: DateTime<Utc>| m.min(n)));
        }
    }
    Ok(s)
}

/// Run the console until the user quits: a poller in the background, the screen in front.
pub fn run_console(config: Config, store: Store) -> Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let db_path = store.path().to_path_buf();
    let poll_store = Store::open(&db_path)?;
    rt.block_on(async move {
        let (actions_tx, actions_rx) = mpsc::unbounded_channel();
        let (load_tx, load_rx) = std_mpsc::channel();
        let names: Vec<String> = config.feeds.iter().map(|f| f.name.clone()).collect();
        let reader_actions = actions_tx.clone();
        std::thread::Builder::new()
            .name("overhear-reader".into())
            .spawn(move || reader(store, names, load_rx, reader_actions))
            .context("cannot start the reader thread")?;

        let (stop_tx, stop_rx) = watch::channel(false);
        let poller = Poller::new(&config.poller, poll_store)?;
        let (report_tx, mut report_rx) = mpsc::unbounded_channel();
        let feeds = config.feeds.clone();
        let poll_task = tokio::spawn(async move { poller.run(feeds, stop_rx, report_tx).await });
        let forward = actions_tx.clone();
        tokio::spawn(async move {
            while let Some(r) = report_rx.recv().await {
                if forward.send(Action::Report(r)).is_err() {
                    break;
                }
            }
        });

        let result = event_loop(&config, actions_rx, load_tx).await;
        let _ = stop_tx.send(true);
        // Let a write in flight finish, but do not keep the user waiting on the network.
        let _ = tokio::time::timeout(Duration::from_secs(3), poll_task).await;
        result
    })
}

async fn event_loop(
    config: &Config,
    mut actions: mpsc::UnboundedReceiver<Action>,
    loads: std_mpsc::Sender<LoadRequest>,
) -> Result<()> {
    let mut tui = Tui::enter()?;
    let size = tui.terminal.size()?;
    let mut state = AppState::new(config, (size.width, size.height));
    let mut events = EventStream::new();
    let mut clock = tokio::time::interval(CLOCK_TICK);
    clock.reset();
    let mut pending = state.start();
    let mut dirty = true;
    loop {
        for effect in pending.drain(..) {
            match effect {
                Effect::Load(req) => {
                    if loads.send(req).is_err() {
                        anyhow::bail!("the database reader stopped");
                    }
                }
                Effect::Quit => return Ok(()),
            }
        }
        if dirty {
            tui.terminal.draw(|f| ui::draw(f, &state))?;
            dirty = false;
            // Debug builds only: lets the tests prove the terminal is restored after a panic.
            #[cfg(debug_assertions)]
            if state.loaded && std::env::var_os("OVERHEAR_TEST_PANIC").is_some() {
                panic!("panic requested by OVERHEAR_TEST_PANIC");
            }
        }
        let message_deadline = state
            .message
            .as_ref()
            .map(|(_, until)| tokio::time::Instant::from_std(*until));
        let action = tokio::select! {
            ev = events.next() => match ev {
                Some(Ok(Event::Key(k))) => Action::Key(k),
                Some(Ok(Event::Resize(w, h))) => Action::Resize(w, h),
                Some(Ok(_)) => continue,
                Some(Err(e)) => return Err(e).context("cannot read the terminal"),
                None => return Ok(()),
            },
            Some(a) = actions.recv() => a,
            _ = clock.tick() => Action::Tick,
            _ = sleep_until_opt(message_deadline) => Action::Tick,
        };
        pending = state.update(action);
        // Everything else already queued is handled before the next draw.
        while let Ok(a) = actions.try_recv() {
            pending.extend(state.update(a));
        }
        dirty = true;
    }
}

async fn sleep_until_opt(deadline: Option<tokio::time::Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d).await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{FeedKind, NewMention};
    use crate::store::PollWrite;
    use std::path::Path;

    struct Fixture {
        _dir: tempfile::TempDir,
        store: Store,
        feed: i64,
        state: AppState,
    }

    impl Fixture {
        /// A store with `n` mentions "m0" (oldest) .. "m{n-1}" (newest) and a 10-row screen.
        fn new(n: usize) -> Fixture {
            let dir = tempfile::tempdir().unwrap();
            let mut store = Store::open(&dir.path().join("db")).unwrap();
            let feed = store.ensure_feed("f", FeedKind::Rss).unwrap();
            let config = Config::parse(Path::new("c.toml"), "[console]\noperator = \"alice\"\n").unwrap();
            let state = AppState::new(&config, (80, 13));
            let mut f = Fixture {
                _dir: dir,
                store,
                feed,
                state,
            };
            f.add(0..n);
            f
        }

        fn add(&mut self, range: std::ops::Range<usize>) {
            let base = Utc::now() - chrono::Duration::days(1);
            let mentions = range
                .map(|i| NewMention {
                    external_id: Some(format!("id{i}")),
                    text: format!("m{i}"),
                    published_at: Some(base + chrono::Duration::seconds(i as i64)),
                    ..Default::default()
                })
                .collect();
            let poll = PollWrite {
                mentions,
                status: 200,
                next_poll_at: Utc::now(),
                ..Default::default()
            };
            self.store
                .write_poll(self.feed, FeedKind::Rss, &poll, Utc::now())
                .unwrap();
        }

        /// Apply an action and run the loads it asks for, as the reader thread would.
        fn act(&mut self, action: Action) {
            let mut effects = self.state.update(action);
            while let Some(effect) = effects.pop() {
                if let Effect::Load(req) = effect {
                    let w = load_window(&self.store, &["f".to_string()], req).unwrap();
                    effects.extend(self.state.update(Action::Loaded(w)));
                }
            }
        }

        fn key(&mut self, c: KeyCode) {
            self.act(Action::Key(KeyEvent::new(c, KeyModifiers::NONE)));
        }

        fn start(&mut self) {
            for e in self.state.start() {
                if let Effect::Load(req) = e {
                    let w = load_window(&self.store, &["f".to_string()], req).unwrap();
                    self.state.update(Action::Loaded(w));
                }
            }
        }

        fn selected(&self) -> &str {
            &self.state.selected().unwrap().text
        }

        fn visible(&self) -> Vec<&str> {
            self.state.window.rows.iter().map(|m| m.text.as_str()).collect()
        }
    }

    #[test]
    fn the_window_is_one_screen_newest_first() {
        let mut f = Fixture::new(50);
        f.start();
        assert_eq!(f.state.stream_height(), 10);
        assert_eq!(f.visible().len(), 10);
        assert_eq!(f.visible()[0], "m49");
        assert_eq!(f.selected(), "m49");
        assert_eq!(f.state.overview.total, 50);
    }

    #[test]
    fn moving_scrolls_only_at_the_edges() {
        let mut f = Fixture::new(50);
        f.start();
        for _ in 0..9 {
            f.key(KeyCode::Char('j'));
        }
        assert_eq!(f.selected(), "m40");
        assert_eq!(f.visible()[0], "m49", "still on the first screen");
        f.key(KeyCode::Down);
        assert_eq!(f.selected(), "m39");
        assert_eq!(f.visible()[0], "m48", "scrolled by one");
        f.key(KeyCode::Char('k'));
        assert_eq!(f.selected(), "m40");
        assert_eq!(f.visible()[0], "m48", "moving up inside the screen does not scroll");
        f.key(KeyCode::PageDown);
        assert_eq!(f.selected(), "m30");
        f.key(KeyCode::Char('G'));
        assert_eq!(f.selected(), "m0");
        assert_eq!(*f.visible().last().unwrap(), "m0");
        f.key(KeyCode::Char('j'));
        assert_eq!(f.selected(), "m0", "the bottom stops");
        f.key(KeyCode::Char('g'));
        assert_eq!(f.selected(), "m49");
        f.key(KeyCode::Char('k'));
        assert_eq!(f.selected(), "m49", "the top stops");
    }

    #[test]
    fn new_arrivals_do_not_move_the_selection_once_the_user_has_moved() {
        let mut f = Fixture::new(20);
        f.start();
        f.key(KeyCode::Char('j'));
        f.key(KeyCode::Char('j'));
        assert_eq!(f.selected(), "m17");
        let before = f.visible().iter().map(|s| s.to_string()).collect::<Vec<_>>();
        f.add(20..23);
        f.act(Action::StoreChanged);
        assert_eq!(f.selected(), "m17");
        assert_eq!(f.state.window.selected, 2, "same screen row");
        assert_eq!(f.visible(), before.iter().map(String::as_str).collect::<Vec<_>>());
        assert_eq!(f.state.window.above, 3, "the title counts what arrived above");
        // Up past the top reveals them one at a time.
        f.key(KeyCode::Char('k'));
        f.key(KeyCode::Char('k'));
        f.key(KeyCode::Char('k'));
        assert_eq!(f.selected(), "m20");
        assert_eq!(f.state.window.above, 2);
    }

    #[test]
    fn until_the_user_moves_the_view_follows_the_newest() {
        let mut f = Fixture::new(5);
        f.start();
        f.add(5..7);
        f.act(Action::StoreChanged);
        assert_eq!(f.visible()[0], "m6");
        assert_eq!(f.state.window.above, 0);
    }

    #[test]
    fn a_resize_keeps_the_selection_on_screen() {
        let mut f = Fixture::new(50);
        f.start();
        for _ in 0..8 {
            f.key(KeyCode::Char('j'));
        }
        f.act(Action::Resize(80, 8));
        assert_eq!(f.state.stream_height(), 5);
        assert_eq!(f.selected(), "m41");
        assert_eq!(f.state.window.selected, 4);
        assert_eq!(f.visible().len(), 5);
    }

    #[test]
    fn stale_windows_are_ignored_and_q_quits() {
        let mut f = Fixture::new(3);
        f.start();
        let stale = Window {
            seq: 0,
            ..Window::default()
        };
        f.state.update(Action::Loaded(stale));
        assert_eq!(f.visible().len(), 3);
        let effects = f
            .state
            .update(Action::Key(KeyEvent::new(KeyCode::Char('q'), KeyModifiers::NONE)));
        assert_eq!(effects, vec![Effect::Quit]);
    }
}
