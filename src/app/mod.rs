//! The console: state, actions and effects.
//!
//! Keys and store changes become `Action`s; `AppState::update` turns them into state changes and
//! `Effect`s; effects run off the UI task (a reader and a writer thread with their own
//! connections) and come back as actions. `ui::draw` only reads the state.

mod commands;
pub mod draft;
pub mod edit;
mod people;
mod prompt;
mod reply;
mod stream;
mod thread;
mod triage;

#[cfg(test)]
mod flows;

pub use commands::Menu;
pub use people::{PEOPLE_SHOWN, PeopleState, PersonTarget};
pub use prompt::{FilterField, Prompt, PromptKind};
pub use reply::{Confirm, EditorError, How};
pub use stream::{ABOVE_CAP, Anchor, FeedSummary, LoadRequest, Overview, Window, safe_link};
pub use triage::{WriteOp, WriteRequest};

use crate::config::{Config, View};
use crate::keymap::{COMMANDS, Command, Context, Keymap};
use crate::model::FeedConfig;
use crate::model::{Mention, Status};
use crate::outbox::{self, Delivery, SendError};
use crate::poller::{FeedReport, Outcome};
use crate::query::StreamFilter;
use crate::store::{Change, Detail, DraftRow, Sent, StreamKey};
use crate::ui::theme::Theme;
use chrono::{DateTime, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseEvent, MouseEventKind};
use draft::{DraftEditor, Template};
use edit::LineInput;
use ratatui::layout::Rect;
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

const MESSAGE_FOR: Duration = Duration::from_secs(6);
/// A draft is saved this long after the last keystroke (and always within a second).
pub const AUTOSAVE_AFTER: Duration = Duration::from_millis(400);
/// How long the selection rests on a mention before it counts as read.
pub const READ_AFTER: Duration = Duration::from_millis(1500);

/// What the Stats pane asks for: the last `days` days, through the stream's filter.
#[derive(Debug, Clone, PartialEq)]
pub struct StatsRequest {
    pub days: u32,
    pub sla: Option<Duration>,
    pub business: Option<crate::stats::BusinessHours>,
    pub filter: StreamFilter,
}

#[derive(Debug)]
pub enum Action {
    Key(KeyEvent),
    Paste(String),
    Mouse(MouseEvent),
    /// The terminal changed size; the areas laid out for the new size.
    Resize(Areas),
    StoreChanged,
    Loaded(Box<Window>),
    /// Counts and names, read after a window for the filter it was read with.
    Counted {
        filter: StreamFilter,
        overview: Box<Overview>,
    },
    MarkedAll(Vec<i64>),
    Written {
        batch: Option<i64>,
        message: String,
    },
    Report(FeedReport),
    Tick,
    Error(String),
    /// A mention and its saved draft, to edit.
    DraftOpened {
        mention: Box<Mention>,
        /// This operator's saved draft, if any.
        body: String,
        /// The newest action on the mention now: the send guard's baseline.
        seen_action: Option<i64>,
        /// Teammates drafting an answer to it now.
        claimed_by: Vec<String>,
        /// The teammate whose waiting reply an approver opened (`None`: this operator's own).
        writer: Option<String>,
    },
    /// `$EDITOR` returned (or could not run).
    EditorDone {
        mention_id: i64,
        result: Result<String, EditorError>,
    },
    /// A send finished.
    Sent {
        mention_id: i64,
        result: Result<Sent, SendError>,
    },
    /// The terminal hung up or the process was told to stop: save, then quit.
    Hangup,
    /// Figures for the Stats pane.
    StatsLoaded(Vec<crate::stats::DayStats>, Box<crate::stats::Profile>),
    /// The team changed: who else is here, what they read and draft, who polls.
    Team(TeamView),
    /// Teammates assigned these mentions to this operator just now.
    AssignedToMe(Vec<crate::store::Assigned>),
    /// Alerts raised just now.
    Alerts(Vec<crate::store::AlertRow>),
    /// The alert list's rows, newest first.
    AlertList(Vec<crate::store::AlertRow>),
    /// The People pane's ranking.
    PeopleLoaded(Vec<crate::store::PersonRow>),
    /// One person in full (`None`: nobody is known behind the mention).
    PersonLoaded(Option<Box<crate::store::PersonCard>>),
    /// The thread around a mention, from its source (`None`: the source has none for it), or
    /// why it could not be fetched.
    ThreadFetched {
        id: i64,
        result: Result<Option<Vec<crate::model::ThreadPost>>, String>,
    },
}

/// The team on this database, as this console sees it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TeamView {
    /// Other consoles and pollers seen within the presence window.
    pub others: Vec<crate::store::Present>,
    /// Who polls: `None` while nobody does (or this console cannot tell).
    pub poller: Option<Poller>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Poller {
    /// This console holds the lease.
    Me,
    /// Another process does: "bob's console (pid 42 on box)".
    Other(String),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    Load(LoadRequest),
    MatchingIds(StreamFilter),
    Write(WriteRequest),
    /// Put text on the clipboard (OSC 52, which works over SSH).
    Copy(String),
    /// Load a mention's draft into the editor.
    /// Open the reply editor on a mention: this operator's draft, or (`writer`, for an approver)
    /// the teammate's reply that waits for approval.
    OpenDraft {
        id: i64,
        writer: Option<String>,
    },
    /// Compute the Stats pane's figures.
    LoadStats(StatsRequest),
    /// Edit the draft in `$VISUAL`/`$EDITOR`, the console suspended meanwhile.
    ExternalEditor {
        mention_id: i64,
        text: String,
    },
    /// Post a reply, once.
    /// Read the alert list.
    LoadAlerts,
    /// Rank people for the People pane.
    LoadPeople(crate::store::PeopleOrder),
    /// Read one person in full.
    LoadPerson(PersonTarget),
    /// Fetch the thread around a mention from its source.
    FetchThread {
        id: i64,
        of: Box<crate::model::ThreadOf>,
    },
    /// Ring the terminal's bell.
    Bell,
    /// A desktop notification through the terminal (OSC 9 and OSC 777).
    Notify(String),
    Send {
        mention: Box<Mention>,
        delivery: Delivery,
        text: String,
        /// The send guard's baseline (see `DraftEditor::seen_action`).
        seen_action: Option<i64>,
        /// Whose reply it is, when an approver sends a teammate's.
        writer: Option<String>,
    },
    Quit,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pane {
    Stream,
    Detail,
    Drafts,
    Stats,
    People,
    /// Our own posts (`[[account]]`): what each earned.
    Ours,
}

impl Pane {
    pub const ALL: [Pane; 6] = [
        Pane::Stream,
        Pane::Detail,
        Pane::Drafts,
        Pane::Stats,
        Pane::People,
        Pane::Ours,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Pane::Stream => "Stream",
            Pane::Detail => "Detail",
            Pane::Drafts => "Drafts",
            Pane::Stats => "Stats",
            Pane::People => "People",
            Pane::Ours => "Ours",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Mode {
    Normal,
    Prompt(Box<Prompt>),
    Menu(Menu),
    Help {
        scroll: u16,
        /// Where help was opened: its keys are listed first, and closing returns there.
        from: Context,
    },
    /// Typing a reply.
    Draft,
    /// Picking a saved reply.
    Templates {
        query: String,
        selected: usize,
    },
    Confirm(Confirm),
    /// The alert list (`!`), its selected row.
    Alerts {
        selected: usize,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Info,
    Error,
}

/// Where everything goes, for drawing and for mouse clicks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Areas {
    /// The terminal: columns, rows.
    pub size: (u16, u16),
    pub tabs: Rect,
    pub stream: Rect,
    pub detail: Rect,
    /// The drafts or stats pane when one of them is shown.
    pub other: Rect,
    pub status: Rect,
}

/// The session's settings, from the config: who the operator is, the feeds, the keys, the theme,
/// views and saved replies, the SLA. Read-only: nothing the user does changes them.
#[derive(Debug, Clone)]
pub struct Settings {
    pub operator: String,
    pub config_path: PathBuf,
    pub feeds: Vec<FeedConfig>,
    pub feed_names: Vec<String>,
    pub views: Vec<View>,
    pub keymap: Keymap,
    pub theme: Theme,
    pub mouse: bool,
    /// Saved replies: the bundled ones, then the config's.
    pub templates: Vec<Template>,
    pub signature: Option<String>,
    pub sla: Option<Duration>,
    pub business: Option<crate::stats::BusinessHours>,
    /// `[team]`: whose replies wait for an approver.
    pub team: crate::config::TeamSettings,
    /// `[[alert]]`s: who hears which, with a bell or a notification.
    pub alerts: Vec<crate::rules::Alert>,
    /// The config's intent lists and priority weights, for the reasons the detail shows.
    pub scorer: Arc<crate::score::Scorer>,
}

/// The views every console has, after the config's own: what is assigned to me and still to do.
/// A configured view of the same name replaces it.
fn with_bundled_views(configured: &[View]) -> Vec<View> {
    let mut views = configured.to_vec();
    let bundled = [("assigned to me", "@me status:new,open,escalated")];
    for (name, filter) in bundled {
        if !views.iter().any(|v| v.name == name) {
            views.push(View {
                name: name.to_string(),
                filter: filter.to_string(),
            });
        }
    }
    views
}

impl Settings {
    pub fn from_config(config: &Config) -> Settings {
        Settings {
            operator: config.operator.clone(),
            config_path: config.path.clone(),
            feeds: config.feeds.clone(),
            feed_names: config.feeds.iter().map(|f| f.name.clone()).collect(),
            views: with_bundled_views(&config.console.views),
            keymap: config.console.keymap.clone(),
            theme: config.console.theme.clone(),
            mouse: config.console.mouse,
            templates: draft::templates(&config.console.templates),
            signature: config.console.signature.clone(),
            sla: config.sla,
            business: config.business.clone(),
            team: config.team.clone(),
            alerts: config.poller.alerts.clone(),
            scorer: config.poller.scorer.clone(),
        }
    }
}

/// The time an action happens at: a monotonic instant for timers, the wall clock for ages and
/// dates. Passed into `update` by the console (or a test).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Clock {
    pub at: Instant,
    pub wall: DateTime<Utc>,
}

impl Clock {
    pub fn now() -> Clock {
        Clock {
            at: Instant::now(),
            wall: Utc::now(),
        }
    }
}

/// Everything the screen shows. `ui::draw` only reads it.
#[derive(Debug, Clone)]
pub struct AppState {
    /// What the config says; read-only for the whole session, shared with the workers.
    pub settings: Arc<Settings>,
    pub window: Window,
    pub overview: Overview,
    /// Has the first window arrived?
    pub loaded: bool,
    pub size: (u16, u16),
    /// Where the parts of the screen are, as the UI laid them out for `size`.
    pub areas: Areas,
    pub message: Option<(String, Level, Instant)>,
    /// A link to show as an OSC 8 hyperlink in the status bar, with when it expires.
    pub link: Option<(String, Instant)>,
    pub now: DateTime<Utc>,
    /// When the action being handled happens.
    pub clock: Clock,
    pub pane: Pane,
    pub mode: Mode,
    pub filter: StreamFilter,
    /// The saved view in use, if any.
    pub view: Option<String>,
    pub marks: BTreeSet<i64>,
    pub detail_scroll: u16,
    /// The mention to mark read once the selection has rested on it.
    pub read_due: Option<(i64, Instant)>,
    /// The reply being written, if any.
    pub editor: Option<DraftEditor>,
    /// The selected row of the Drafts pane.
    pub drafts_selected: usize,
    /// The Stats pane: how many days, and the figures last computed.
    pub stats_days: u32,
    pub stats: Vec<crate::stats::DayStats>,
    pub stats_profile: Option<crate::stats::Profile>,
    /// The team on this database, as last heard: who else is here, and who polls.
    pub team: TeamView,
    undo: Vec<i64>,
    seq: u64,
    /// The anchor of the newest load request, until its window arrives.
    in_flight: Option<Anchor>,
    /// Has the user moved the selection yet?
    touched: bool,
    /// The last action changed nothing on screen (a teammate's heartbeat re-read the same window).
    quiet: bool,
    /// The waiting reply an approver is sending back (mention, writer), while the note is typed.
    pub returning: Option<(i64, String)>,
    /// The alert list's rows, newest first (while it is open).
    pub alert_list: Vec<crate::store::AlertRow>,
    /// The People pane.
    pub people: PeopleState,
    /// The person a People prompt is about.
    pub person_prompt: Option<i64>,
    /// The mention whose thread is being fetched, for the detail to say so.
    pub thread_loading: Option<i64>,
    /// When each mention's thread was last asked for.
    thread_asked: std::collections::HashMap<i64, Instant>,
}

impl AppState {
    pub fn new(config: &Config, areas: Areas) -> AppState {
        AppState {
            settings: Arc::new(Settings::from_config(config)),
            window: Window::default(),
            overview: Overview::default(),
            loaded: false,
            size: areas.size,
            areas,
            message: None,
            link: None,
            now: Utc::now(),
            clock: Clock::now(),
            pane: Pane::Stream,
            mode: Mode::Normal,
            filter: StreamFilter::default(),
            view: None,
            marks: BTreeSet::new(),
            detail_scroll: 0,
            read_due: None,
            editor: None,
            drafts_selected: 0,
            stats_days: 7,
            stats: Vec::new(),
            stats_profile: None,
            team: TeamView::default(),
            undo: Vec::new(),
            seq: 0,
            in_flight: None,
            touched: false,
            quiet: false,
            returning: None,
            alert_list: Vec::new(),
            people: PeopleState::default(),
            person_prompt: None,
            thread_loading: None,
            thread_asked: std::collections::HashMap::new(),
        }
    }

    /// What this console tells the team: the mention it shows in the detail, and the one it
    /// drafts an answer to (its claim).
    pub fn presence(&self) -> (Option<i64>, Option<i64>) {
        (
            self.selected().map(|m| m.id),
            self.editor.as_ref().map(|e| e.mention.id),
        )
    }

    /// Teammates reading or drafting `mention`: (reading, drafting), names.
    pub fn others_on(&self, mention: i64) -> (Vec<&str>, Vec<&str>) {
        let mut reading = Vec::new();
        let mut drafting = Vec::new();
        for p in &self.team.others {
            if p.drafting == Some(mention) {
                drafting.push(p.operator.as_str());
            } else if p.viewing == Some(mention) {
                reading.push(p.operator.as_str());
            }
        }
        (reading, drafting)
    }

    /// Alerts raised: those this operator hears become a banner, and a bell or a notification
    /// where the alert asks for them.
    fn on_alerts(&mut self, raised: &[crate::store::AlertRow]) -> Vec<Effect> {
        let me = self.settings.operator.clone();
        let settings = std::sync::Arc::clone(&self.settings);
        let heard: Vec<(&crate::store::AlertRow, &crate::rules::Alert)> = raised
            .iter()
            .filter_map(|r| {
                let a = settings.alerts.iter().find(|a| a.name == r.alert)?;
                a.heard_by(&me).then_some((r, a))
            })
            .collect();
        let Some((first, _)) = heard.first() else {
            self.quiet = true;
            return vec![];
        };
        let about = first
            .about
            .as_deref()
            .map(|t| crate::text::truncate_to_width(&crate::text::screen_line(t), 60))
            .unwrap_or_default();
        let more = if heard.len() > 1 {
            format!(" (and {} more)", heard.len() - 1)
        } else {
            String::new()
        };
        let text = format!("ALERT {}: “{about}”{more}", crate::text::screen_line(&first.alert));
        self.warn(text.clone());
        let mut effects = Vec::new();
        if heard.iter().any(|(_, a)| a.bell) {
            effects.push(Effect::Bell);
        }
        if heard.iter().any(|(_, a)| a.notify) {
            effects.push(Effect::Notify(text));
        }
        effects
    }

    /// Whether this operator approves teammates' replies (`[team] approvers`).
    pub fn is_approver(&self) -> bool {
        let t = &self.settings.team;
        t.approval && t.approvers.iter().any(|a| *a == self.settings.operator)
    }

    /// Teammates' news for this operator: assignments, replies sent back by an approver.
    fn on_news(&mut self, news: &[crate::store::Assigned]) {
        let Some(first) = news.first() else { return };
        let what = crate::text::truncate_to_width(&crate::text::screen_line(&first.title), 50);
        let by = crate::text::screen_line(&first.by);
        if let Some(note) = &first.note {
            let drafts = self.settings.keymap.hint(Command::PaneDrafts);
            self.warn(format!(
                "{by} sent your reply to “{what}” back: {} ({drafts}: drafts)",
                crate::text::screen_line(note)
            ));
            return;
        }
        let view = self.settings.keymap.hint(Command::Views);
        self.say(match news.len() {
            1 => format!("{by} assigned you “{what}” ({view}: assigned to me)"),
            n => format!("{by} and others assigned you {n} mentions ({view}: assigned to me)"),
        });
    }

    /// Whether the last update may have changed what the screen shows (a draw is due).
    pub fn screen_changed(&self) -> bool {
        !self.quiet
    }

    /// Rows of the stream that fit on screen.
    pub fn stream_height(&self) -> usize {
        self.areas.stream.height.saturating_sub(2).max(1) as usize
    }

    pub fn selected(&self) -> Option<&Mention> {
        self.window.rows.get(self.window.selected)
    }

    pub fn say(&mut self, text: impl Into<String>) {
        self.message = Some((text.into(), Level::Info, self.clock.at + MESSAGE_FOR));
    }

    pub fn warn(&mut self, text: impl Into<String>) {
        self.message = Some((text.into(), Level::Error, self.clock.at + MESSAGE_FOR * 2));
    }

    /// The earliest moment something on screen changes by itself (a message expiring, a read
    /// mark due), so the loop can sleep until then.
    pub fn next_deadline(&self) -> Option<Instant> {
        [
            self.message.as_ref().map(|m| m.2),
            self.link.as_ref().map(|l| l.1),
            self.read_due.map(|r| r.1),
            self.editor
                .as_ref()
                .and_then(|e| e.dirty_since)
                .map(|d| d + AUTOSAVE_AFTER),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// Apply an action at `clock` (the time is passed in, never read here, so tests can set it).
    pub fn update(&mut self, action: Action, clock: Clock) -> Vec<Effect> {
        self.clock = clock;
        self.quiet = false;
        match action {
            Action::Key(key) if key.kind != KeyEventKind::Release => self.on_key(key),
            Action::Key(_) => vec![],
            Action::Paste(text) => self.on_paste(&text),
            Action::Mouse(m) => self.on_mouse(m),
            Action::Resize(areas) => self.on_resize(areas),
            Action::StoreChanged => {
                // Nothing to show until the window comes back.
                self.quiet = true;
                let mut effects = vec![self.request(self.hold(), true)];
                if matches!(self.pane, Pane::Stats | Pane::Ours) {
                    effects.push(self.stats_request());
                }
                effects.extend(self.people_reload());
                effects
            }
            Action::Loaded(w) => self.on_loaded(*w),
            Action::PeopleLoaded(rows) => self.on_people(rows),
            Action::PersonLoaded(card) => self.on_person(card),
            Action::ThreadFetched { id, result } => self.on_thread(id, result),
            Action::Counted { filter, overview } => {
                let before = self.overview.clone();
                self.on_counted(&filter, *overview);
                self.quiet = self.overview == before;
                vec![]
            }
            Action::MarkedAll(ids) => self.on_marked_all(ids),
            Action::Written { batch, message } => self.on_written(batch, message),
            Action::Report(r) => {
                match &r.outcome {
                    Outcome::Ok { new, .. } if *new > 0 => self.say(format!("{}: {new} new", r.name)),
                    Outcome::Failed { error } => self.warn(format!("{}: {error}", r.name)),
                    _ => {}
                }
                vec![]
            }
            Action::Tick => self.tick(),
            Action::Error(e) => {
                self.warn(e);
                vec![]
            }
            Action::StatsLoaded(rows, profile) => {
                self.stats = rows;
                self.stats_profile = Some(*profile);
                vec![]
            }
            Action::Hangup => {
                let mut effects = self.autosave(true);
                effects.push(Effect::Quit);
                effects
            }
            Action::DraftOpened {
                mention,
                body,
                seen_action,
                claimed_by,
                writer,
            } => self.on_draft_opened(*mention, &body, seen_action, claimed_by, writer),
            Action::EditorDone { mention_id, result } => self.on_editor_done(mention_id, result),
            Action::Sent { result, .. } => self.on_sent(result),
            Action::AssignedToMe(new) => {
                self.on_news(&new);
                vec![]
            }
            Action::Alerts(raised) => self.on_alerts(&raised),
            Action::AlertList(rows) => {
                self.alert_list = rows;
                vec![]
            }
            Action::Team(team) => {
                self.quiet = self.team == team;
                self.team = team;
                vec![]
            }
        }
    }

    /// Pasted text goes to the draft or the prompt being typed, sanitised.
    fn on_paste(&mut self, text: &str) -> Vec<Effect> {
        if self.mode == Mode::Draft
            && let Some(e) = self.editor.as_mut()
        {
            e.insert(&crate::text::sanitize(text), self.clock.at);
            return vec![];
        }
        if let Mode::Prompt(p) = &mut self.mode {
            p.input.paste(text);
            p.candidates.clear();
        }
        vec![]
    }

    fn tick(&mut self) -> Vec<Effect> {
        self.now = self.clock.wall;
        let mut saves = self.autosave(false);
        let now = self.clock.at;
        if self.message.as_ref().is_some_and(|m| m.2 <= now) {
            self.message = None;
        }
        if self.link.as_ref().is_some_and(|l| l.1 <= now) {
            self.link = None;
        }
        if let Some((id, due)) = self.read_due
            && due <= now
        {
            self.read_due = None;
            if self.selected().is_some_and(|m| m.id == id && m.unread) {
                saves.push(Effect::Write(WriteRequest {
                    op: WriteOp::MarkRead { id },
                }));
            }
        }
        saves
    }

    /// Where keys go now.
    pub fn context(&self) -> Context {
        match &self.mode {
            Mode::Normal if self.pane == Pane::People => Context::People,
            Mode::Normal => Context::Stream,
            Mode::Prompt(_) => Context::Prompt,
            Mode::Menu(Menu::Filter) => Context::FilterMenu,
            Mode::Menu(Menu::Views) => Context::ViewsMenu,
            Mode::Help { .. } => Context::Help,
            Mode::Draft => Context::Draft,
            Mode::Templates { .. } => Context::Templates,
            Mode::Confirm(_) => Context::Confirm,
            Mode::Alerts { .. } => Context::Alerts,
        }
    }

    /// A key: the command the keymap binds it to in the current context; else, in a text
    /// input, the character typed; in the help and the menus, close them.
    fn on_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        let context = self.context();
        if let Some(cmd) = self.settings.keymap.lookup_in(context, &key) {
            return self.execute(cmd);
        }
        let typed = match key.code {
            KeyCode::Char(c) if !key.modifiers.intersects(KeyModifiers::CONTROL | KeyModifiers::ALT) => Some(c),
            _ => None,
        };
        match (context, typed) {
            (Context::Prompt, Some(c)) => self.prompt_type(c),
            (Context::Draft, Some(c)) => self.draft_type(c),
            (Context::Templates, Some(c)) => self.pick_type(c),
            (Context::Help, _) => self.close_help(),
            (Context::FilterMenu | Context::ViewsMenu, _) => {
                self.mode = Mode::Normal;
                vec![]
            }
            (Context::Stream, Some(c)) => {
                self.say(format!(
                    "{c} does nothing here · {} lists the keys",
                    self.settings.keymap.hint(Command::Help)
                ));
                vec![]
            }
            _ => vec![],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{FeedKind, NewMention};
    use crate::store::{PollWrite, Store};
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
            let state = AppState::new(&config, crate::ui::layout((80, 14)));
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
            let mut effects = self.state.update(action, Clock::now());
            while let Some(effect) = effects.pop() {
                if let Effect::Load(req) = effect {
                    for a in
                        crate::console::workers::answer_load(&self.store, "alice", &["f".to_string()], &req).unwrap()
                    {
                        effects.extend(self.state.update(a, Clock::now()));
                    }
                }
            }
        }

        fn key(&mut self, c: KeyCode) {
            self.act(Action::Key(KeyEvent::new(c, KeyModifiers::NONE)));
        }

        fn start(&mut self) {
            for e in self.state.start() {
                if let Effect::Load(req) = e {
                    for a in
                        crate::console::workers::answer_load(&self.store, "alice", &["f".to_string()], &req).unwrap()
                    {
                        self.state.update(a, Clock::now());
                    }
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
    fn keys_typed_before_the_window_loads_all_count() {
        let mut f = Fixture::new(50);
        f.start();
        // Twelve moves, a scroll among them, before any window comes back.
        let mut pending = Vec::new();
        for _ in 0..12 {
            pending.extend(f.state.update(
                Action::Key(KeyEvent::new(KeyCode::Char('j'), KeyModifiers::NONE)),
                Clock::now(),
            ));
        }
        let Some(Effect::Load(req)) = pending.into_iter().last() else {
            panic!("a load")
        };
        let w = crate::console::workers::load_window(&f.store, "alice", &req).unwrap();
        f.state.update(Action::Loaded(Box::new(w)), Clock::now());
        assert_eq!(f.selected(), "m37");
        // A triage key right after moving acts on the row on screen, before its window loads.
        f.state.update(
            Action::Key(KeyEvent::new(KeyCode::Char('k'), KeyModifiers::NONE)),
            Clock::now(),
        );
        let effects = f.state.update(
            Action::Key(KeyEvent::new(KeyCode::Char('d'), KeyModifiers::NONE)),
            Clock::now(),
        );
        assert_eq!(f.selected(), "m38");
        let id = f.state.selected().unwrap().id;
        assert_eq!(
            effects,
            vec![Effect::Write(WriteRequest {
                op: WriteOp::Apply {
                    ids: vec![id],
                    change: Change::Status(Status::Responded)
                }
            })]
        );
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
        f.act(Action::Resize(crate::ui::layout((80, 9))));
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
        f.state.update(Action::Loaded(Box::new(stale)), Clock::now());
        assert_eq!(f.visible().len(), 3);
        let effects = f.state.update(
            Action::Key(KeyEvent::new(KeyCode::Char('q'), KeyModifiers::NONE)),
            Clock::now(),
        );
        assert_eq!(effects, vec![Effect::Quit]);
    }
}
