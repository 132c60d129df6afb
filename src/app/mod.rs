//! The console: state, actions and effects.
//!
//! Keys and store changes become `Action`s; `AppState::update` turns them into state changes and
//! `Effect`s; effects run off the UI task (a reader and a writer thread with their own
//! connections) and come back as actions. `ui::draw` only reads the state.

pub mod draft;
pub mod edit;
mod run;
pub mod worker;

pub use run::run_console;

use crate::config::{Config, View};
use crate::keymap::{COMMANDS, Command, Keymap};
use crate::model::FeedConfig;
use crate::model::{Mention, Status};
use crate::outbox::{self, Delivery, SendError};
use crate::poller::{FeedReport, Outcome};
use crate::query::StreamFilter;
use crate::store::{Change, Detail, DraftRow, Sent, StreamKey};
use crate::theme::Theme;
use chrono::{DateTime, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseEvent, MouseEventKind};
use draft::{DraftEditor, Template};
use edit::LineEdit;
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::{Duration, Instant};

const MESSAGE_FOR: Duration = Duration::from_secs(6);
/// A draft is saved this long after the last keystroke (and always within a second).
pub const AUTOSAVE_AFTER: Duration = Duration::from_millis(400);
/// How long the selection rests on a mention before it counts as read.
pub const READ_AFTER: Duration = Duration::from_millis(1500);

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
    /// Mentions the filter shows.
    pub matching: i64,
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
    pub overview: Option<Overview>,
}

/// What the Stats pane asks for: the last `days` days, through the stream's filter.
#[derive(Debug, Clone, PartialEq)]
pub struct StatsRequest {
    pub days: u32,
    pub sla: Option<Duration>,
    pub business: Option<crate::stats::BusinessHours>,
    pub filter: StreamFilter,
}

/// A triage write for the writer thread.
#[derive(Debug, Clone, PartialEq)]
pub struct WriteRequest {
    pub op: WriteOp,
}

#[derive(Debug, Clone, PartialEq)]
pub enum WriteOp {
    Apply {
        ids: Vec<i64>,
        change: Change,
    },
    Undo {
        batch: i64,
    },
    MarkRead {
        id: i64,
    },
    SaveDraft {
        id: i64,
        body: String,
    },
    DiscardDraft {
        id: i64,
    },
    /// Answered by hand elsewhere: record the response with its text.
    Respond {
        id: i64,
        text: String,
    },
}

#[derive(Debug)]
pub enum Action {
    Key(KeyEvent),
    Paste(String),
    Mouse(MouseEvent),
    Resize(u16, u16),
    StoreChanged,
    Loaded(Box<Window>),
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
        body: String,
        writer: Option<String>,
    },
    /// `$EDITOR` returned (or could not run).
    EditorDone {
        mention_id: i64,
        result: Result<String, String>,
    },
    /// A send finished.
    Sent {
        mention_id: i64,
        result: Result<Sent, String>,
    },
    /// The terminal hung up or the process was told to stop: save, then quit.
    Hangup,
    /// Figures for the Stats pane.
    StatsLoaded(Vec<crate::stats::DayStats>, Box<crate::stats::Profile>),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    Load(LoadRequest),
    MatchingIds(StreamFilter),
    Write(WriteRequest),
    /// Put text on the clipboard (OSC 52, which works over SSH).
    Copy(String),
    /// Load a mention's draft into the editor.
    OpenDraft(i64),
    /// Compute the Stats pane's figures.
    LoadStats(StatsRequest),
    /// Edit the draft in `$VISUAL`/`$EDITOR`, the console suspended meanwhile.
    ExternalEditor {
        mention_id: i64,
        text: String,
    },
    /// Post a reply, once.
    Send {
        mention: Box<Mention>,
        delivery: Delivery,
        text: String,
    },
    Quit,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pane {
    Stream,
    Detail,
    Drafts,
    Stats,
}

impl Pane {
    pub const ALL: [Pane; 4] = [Pane::Stream, Pane::Detail, Pane::Drafts, Pane::Stats];

    pub fn title(self) -> &'static str {
        match self {
            Pane::Stream => "Stream",
            Pane::Detail => "Detail",
            Pane::Drafts => "Drafts",
            Pane::Stats => "Stats",
        }
    }
}

/// What a prompt is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PromptKind {
    Search,
    Command,
    Assign,
    Tag,
    Untag,
    Note,
    Filter(FilterField),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilterField {
    Status,
    Feed,
    Tag,
    Assignee,
    Since,
}

impl FilterField {
    fn key(self) -> &'static str {
        match self {
            FilterField::Status => "status",
            FilterField::Feed => "feed",
            FilterField::Tag => "tag",
            FilterField::Assignee => "assignee",
            FilterField::Since => "since",
        }
    }
}

impl PromptKind {
    pub fn label(self) -> String {
        match self {
            PromptKind::Search => "/".into(),
            PromptKind::Command => ":".into(),
            PromptKind::Assign => "assign to: ".into(),
            PromptKind::Tag => "tag: ".into(),
            PromptKind::Untag => "remove tag: ".into(),
            PromptKind::Note => "note: ".into(),
            PromptKind::Filter(f) => format!("{}: ", f.key()),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Prompt {
    pub kind: PromptKind,
    pub input: LineEdit,
    /// Candidates for the word at the cursor, shown above the prompt; Tab cycles them.
    pub candidates: Vec<String>,
    pub chosen: Option<usize>,
    /// The word the candidates complete.
    typed: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Menu {
    Filter,
    Views,
}

/// A yes/no question in the status bar.
#[derive(Debug, Clone, PartialEq)]
pub enum Confirm {
    Send {
        delivery: Delivery,
        text: String,
        service: String,
    },
    MarkResponded {
        text: String,
    },
    Discard,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Mode {
    Normal,
    Prompt(Prompt),
    Menu(Menu),
    Help {
        scroll: u16,
    },
    /// Typing a reply.
    Draft,
    /// Picking a saved reply.
    Templates {
        query: String,
        selected: usize,
    },
    Confirm(Confirm),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Info,
    Error,
}

/// Everything the screen shows. `ui::draw` only reads it.
#[derive(Debug, Clone)]
pub struct AppState {
    pub operator: String,
    pub config_path: PathBuf,
    pub feed_names: Vec<String>,
    pub views: Vec<View>,
    pub keymap: Keymap,
    pub theme: Theme,
    pub mouse: bool,
    pub window: Window,
    pub overview: Overview,
    /// Has the first window arrived?
    pub loaded: bool,
    pub size: (u16, u16),
    pub message: Option<(String, Level, Instant)>,
    /// A link to show as an OSC 8 hyperlink in the status bar, with when it expires.
    pub link: Option<(String, Instant)>,
    pub now: DateTime<Utc>,
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
    pub templates: Vec<Template>,
    pub signature: Option<String>,
    pub feeds: Vec<FeedConfig>,
    /// The selected row of the Drafts pane.
    pub drafts_selected: usize,
    /// The Stats pane: how many days, and the figures last computed.
    pub stats_days: u32,
    pub stats: Vec<crate::stats::DayStats>,
    pub stats_profile: Option<crate::stats::Profile>,
    pub sla: Option<Duration>,
    pub business: Option<crate::stats::BusinessHours>,
    undo: Vec<i64>,
    seq: u64,
    /// The anchor of the newest load request, until its window arrives.
    in_flight: Option<Anchor>,
    /// Has the user moved the selection yet?
    touched: bool,
}

impl AppState {
    pub fn new(config: &Config, size: (u16, u16)) -> AppState {
        AppState {
            operator: config.operator.clone(),
            config_path: config.path.clone(),
            feed_names: config.feeds.iter().map(|f| f.name.clone()).collect(),
            views: config.console.views.clone(),
            keymap: config.console.keymap.clone(),
            theme: config.console.theme.clone(),
            mouse: config.console.mouse,
            window: Window::default(),
            overview: Overview::default(),
            loaded: false,
            size,
            message: None,
            link: None,
            now: Utc::now(),
            pane: Pane::Stream,
            mode: Mode::Normal,
            filter: StreamFilter::default(),
            view: None,
            marks: BTreeSet::new(),
            detail_scroll: 0,
            read_due: None,
            editor: None,
            templates: draft::templates(&config.console.templates),
            signature: config.console.signature.clone(),
            feeds: config.feeds.clone(),
            drafts_selected: 0,
            stats_days: 7,
            stats: Vec::new(),
            stats_profile: None,
            sla: config.sla,
            business: config.business.clone(),
            undo: Vec::new(),
            seq: 0,
            in_flight: None,
            touched: false,
        }
    }

    /// Rows of the stream that fit on screen.
    pub fn stream_height(&self) -> usize {
        crate::ui::layout(self).stream.height.saturating_sub(2).max(1) as usize
    }

    pub fn selected(&self) -> Option<&Mention> {
        self.window.rows.get(self.window.selected)
    }

    pub fn say(&mut self, text: impl Into<String>) {
        self.message = Some((text.into(), Level::Info, Instant::now() + MESSAGE_FOR));
    }

    pub fn warn(&mut self, text: impl Into<String>) {
        self.message = Some((text.into(), Level::Error, Instant::now() + MESSAGE_FOR * 2));
    }

    fn request(&mut self, anchor: Anchor, overview: bool) -> Effect {
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

    fn load(&mut self, anchor: Anchor) -> Effect {
        self.request(anchor, false)
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

    pub fn update(&mut self, action: Action) -> Vec<Effect> {
        match action {
            Action::Key(key) if key.kind != KeyEventKind::Release => self.on_key(key),
            Action::Key(_) => vec![],
            Action::Paste(text) => {
                if self.mode == Mode::Draft
                    && let Some(e) = self.editor.as_mut()
                {
                    e.insert(&crate::text::sanitize(&text));
                    return vec![];
                }
                if let Mode::Prompt(p) = &mut self.mode {
                    p.input.paste(&text);
                    p.candidates.clear();
                }
                vec![]
            }
            Action::Mouse(m) => self.on_mouse(m),
            Action::Resize(w, h) => {
                self.size = (w, h);
                let height = self.stream_height();
                self.window.offset = self.window.offset.min(height - 1);
                vec![self.load(self.hold())]
            }
            Action::StoreChanged => {
                let mut effects = vec![self.request(self.hold(), true)];
                if self.pane == Pane::Stats {
                    effects.push(self.stats_request());
                }
                effects
            }
            Action::Loaded(w) => {
                let mut w = *w;
                if let Some(o) = w.overview.take() {
                    self.overview = o;
                }
                if w.seq == self.seq {
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
                        Some((id, true)) => Some((id, Instant::now() + READ_AFTER)),
                        _ => None,
                    };
                }
                vec![]
            }
            Action::MarkedAll(ids) => {
                let n = ids.len();
                self.marks = ids.into_iter().collect();
                self.say(format!(
                    "{n} marked: the next triage key acts on all of them (esc clears)"
                ));
                vec![]
            }
            Action::Written { batch, message } => {
                if let Some(b) = batch {
                    self.undo.push(b);
                    self.say(format!("{message} · u undoes"));
                } else {
                    self.say(message);
                }
                vec![]
            }
            Action::Report(r) => {
                match &r.outcome {
                    Outcome::Ok { new, .. } if *new > 0 => self.say(format!("{}: {new} new", r.name)),
                    Outcome::Failed { error } if error != "stopped" => self.warn(format!("{}: {error}", r.name)),
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
            Action::DraftOpened { mention, body, writer } => {
                let other = writer.filter(|w| *w != self.operator);
                if let Some(w) = &other {
                    self.say(format!("{w} was writing this draft"));
                }
                self.editor = Some(DraftEditor::new(*mention, &body, other));
                self.mode = Mode::Draft;
                vec![]
            }
            Action::EditorDone { mention_id, result } => {
                match (result, self.editor.as_mut()) {
                    (Ok(text), Some(e)) if e.mention.id == mention_id => {
                        e.set_text(text.trim_end_matches('\n'));
                        self.mode = Mode::Draft;
                        return self.autosave(true);
                    }
                    (Err(err), _) => self.warn(err),
                    _ => {}
                }
                self.mode = if self.editor.is_some() {
                    Mode::Draft
                } else {
                    Mode::Normal
                };
                vec![]
            }
            Action::Sent { result, .. } => {
                match result {
                    Ok(sent) => self.say(format!(
                        "reply sent and mention marked responded{}",
                        sent.url.map(|u| format!(": {u}")).unwrap_or_default()
                    )),
                    Err(e) => self.warn(format!("not sent: {e}. The draft is kept: r reopens it")),
                }
                vec![]
            }
        }
    }

    fn stats_request(&self) -> Effect {
        Effect::LoadStats(StatsRequest {
            days: self.stats_days,
            sla: self.sla,
            business: self.business.clone(),
            filter: self.filter.clone(),
        })
    }

    /// Save the draft if it changed and has rested (or `now`).
    fn autosave(&mut self, now: bool) -> Vec<Effect> {
        let Some(e) = self.editor.as_mut() else { return vec![] };
        let due = e.dirty_since.is_some_and(|d| now || d.elapsed() >= AUTOSAVE_AFTER);
        if !due {
            return vec![];
        }
        let body = e.text();
        e.saved = body.clone();
        e.dirty_since = None;
        vec![Effect::Write(WriteRequest {
            op: WriteOp::SaveDraft { id: e.mention.id, body },
        })]
    }

    /// Close the editor, saving what is unsaved.
    fn close_editor(&mut self) -> Vec<Effect> {
        let effects = self.autosave(true);
        self.editor = None;
        self.mode = Mode::Normal;
        effects
    }

    fn on_draft_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        let Some(editor) = self.editor.as_mut() else {
            self.mode = Mode::Normal;
            return vec![];
        };
        match key.code {
            KeyCode::Esc => {
                let empty = editor.text().trim().is_empty();
                let effects = self.close_editor();
                self.say(if empty {
                    "draft closed"
                } else {
                    "draft saved · r reopens it · 3 lists drafts"
                });
                effects
            }
            KeyCode::Char('s') if ctrl => self.plan_send(),
            KeyCode::Char('o') if ctrl => {
                let (mention_id, text) = (editor.mention.id, editor.text());
                let mut effects = self.autosave(true);
                effects.push(Effect::ExternalEditor { mention_id, text });
                effects
            }
            KeyCode::Char('t') if ctrl => {
                self.mode = Mode::Templates {
                    query: String::new(),
                    selected: 0,
                };
                vec![]
            }
            KeyCode::Char('g') if ctrl => {
                self.mode = Mode::Confirm(Confirm::Discard);
                vec![]
            }
            _ => {
                editor.area.input(key);
                editor.touch();
                vec![]
            }
        }
    }

    fn plan_send(&mut self) -> Vec<Effect> {
        let Some(editor) = self.editor.as_ref() else {
            return vec![];
        };
        let text = editor.text().trim().to_string();
        let mention = editor.mention.clone();
        let feed = self.feeds.iter().find(|f| f.name == mention.feed).cloned();
        let delivery = match outbox::prepare(feed.as_ref(), &mention, &text) {
            Ok(d) => d,
            Err(SendError::Empty) => {
                self.say("the reply is empty");
                return vec![];
            }
            Err(e @ SendError::TooLong { .. }) => {
                self.warn(e.to_string());
                return vec![];
            }
            Err(e) => {
                self.warn(format!("cannot send: {e}"));
                return vec![];
            }
        };
        let mut effects = self.autosave(true);
        match delivery {
            Delivery::HandOff(why) => {
                effects.push(Effect::Copy(text.clone()));
                if let Some(url) = mention.url.as_deref().and_then(safe_link) {
                    self.link = Some((url, Instant::now() + MESSAGE_FOR * 10));
                }
                self.say(format!("copied: paste it at the link ({why})"));
                self.mode = Mode::Confirm(Confirm::MarkResponded { text });
            }
            delivery => {
                self.mode = Mode::Confirm(Confirm::Send {
                    delivery,
                    text,
                    service: mention.kind.clone(),
                });
            }
        }
        effects
    }

    fn on_confirm_key(&mut self, confirm: Confirm, key: KeyEvent) -> Vec<Effect> {
        let yes = matches!(key.code, KeyCode::Char('y' | 'Y'));
        let no = matches!(key.code, KeyCode::Char('n' | 'N') | KeyCode::Esc);
        if !yes && !no {
            return vec![];
        }
        let Some(editor) = self.editor.as_ref() else {
            self.mode = Mode::Normal;
            return vec![];
        };
        let id = editor.mention.id;
        match (confirm, yes) {
            (Confirm::Send { delivery, text, .. }, true) => {
                let mention = Box::new(editor.mention.clone());
                self.editor = None;
                self.mode = Mode::Normal;
                self.say("sending…");
                vec![Effect::Send {
                    mention,
                    delivery,
                    text,
                }]
            }
            (Confirm::MarkResponded { text }, true) => {
                self.editor = None;
                self.mode = Mode::Normal;
                self.link = None;
                self.say("marked responded");
                vec![Effect::Write(WriteRequest {
                    op: WriteOp::Respond { id, text },
                })]
            }
            (Confirm::MarkResponded { .. }, false) => {
                self.mode = Mode::Draft;
                self.say("not marked: the draft stays saved");
                vec![]
            }
            (Confirm::Discard, true) => {
                self.editor = None;
                self.mode = Mode::Normal;
                self.say("draft discarded");
                vec![Effect::Write(WriteRequest {
                    op: WriteOp::DiscardDraft { id },
                })]
            }
            (_, false) => {
                self.mode = Mode::Draft;
                vec![]
            }
        }
    }

    fn on_templates_key(&mut self, mut query: String, mut selected: usize, key: KeyEvent) -> Vec<Effect> {
        let found: Vec<Template> = draft::matching(&self.templates, &query).into_iter().cloned().collect();
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        match key.code {
            KeyCode::Esc => {
                self.mode = Mode::Draft;
                return vec![];
            }
            KeyCode::Enter => {
                self.mode = Mode::Draft;
                if let (Some(t), Some(editor)) = (found.get(selected), self.editor.as_mut()) {
                    let today = chrono::Local::now().format("%Y-%m-%d").to_string();
                    let mut text = draft::expand(&t.body, &editor.mention, &self.operator, &today);
                    if let Some(sig) = &self.signature {
                        text.push_str(&format!(
                            "\n\n{}",
                            draft::expand(sig, &editor.mention, &self.operator, &today)
                        ));
                    }
                    editor.insert(&text);
                }
                return vec![];
            }
            KeyCode::Down => selected = (selected + 1).min(found.len().saturating_sub(1)),
            KeyCode::Up => selected = selected.saturating_sub(1),
            KeyCode::Char('n') if ctrl => selected = (selected + 1).min(found.len().saturating_sub(1)),
            KeyCode::Char('p') if ctrl => selected = selected.saturating_sub(1),
            KeyCode::Backspace => {
                query.pop();
                selected = 0;
            }
            KeyCode::Char(c) if !ctrl => {
                query.push(c);
                selected = 0;
            }
            _ => {}
        }
        self.mode = Mode::Templates { query, selected };
        vec![]
    }

    fn tick(&mut self) -> Vec<Effect> {
        self.now = Utc::now();
        let mut saves = self.autosave(false);
        let now = Instant::now();
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

    fn on_mouse(&mut self, m: MouseEvent) -> Vec<Effect> {
        if !self.mouse || self.mode != Mode::Normal {
            return vec![];
        }
        match m.kind {
            MouseEventKind::ScrollDown => self.step(3),
            MouseEventKind::ScrollUp => self.step(-3),
            MouseEventKind::Down(crossterm::event::MouseButton::Left) => {
                let areas = crate::ui::layout(self);
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

    fn on_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        match self.mode.clone() {
            Mode::Draft => self.on_draft_key(key),
            Mode::Templates { query, selected } => self.on_templates_key(query, selected, key),
            Mode::Confirm(c) => self.on_confirm_key(c, key),
            Mode::Prompt(p) => self.on_prompt_key(p, key),
            Mode::Menu(m) => self.on_menu_key(m, key),
            Mode::Help { scroll } => {
                let cmd = self.keymap.lookup(&key);
                self.mode = match (key.code, cmd) {
                    (_, Some(Command::Down)) => Mode::Help {
                        scroll: scroll.saturating_add(1),
                    },
                    (_, Some(Command::Up)) => Mode::Help {
                        scroll: scroll.saturating_sub(1),
                    },
                    (_, Some(Command::PageDown | Command::HalfDown)) => Mode::Help {
                        scroll: scroll.saturating_add(10),
                    },
                    (_, Some(Command::PageUp | Command::HalfUp)) => Mode::Help {
                        scroll: scroll.saturating_sub(10),
                    },
                    _ => Mode::Normal,
                };
                vec![]
            }
            Mode::Normal => match self.keymap.lookup(&key) {
                Some(cmd) => self.run(cmd),
                None => {
                    if let KeyCode::Char(c) = key.code
                        && !key.modifiers.intersects(KeyModifiers::CONTROL | KeyModifiers::ALT)
                    {
                        self.say(format!("{c} does nothing here · ? lists the keys"));
                    }
                    vec![]
                }
            },
        }
    }

    /// The mentions a triage command acts on: the marked ones, else the selected one.
    fn targets(&self) -> Vec<i64> {
        if self.marks.is_empty() {
            self.selected().map(|m| vec![m.id]).unwrap_or_default()
        } else {
            self.marks.iter().copied().collect()
        }
    }

    fn change(&mut self, change: Change) -> Vec<Effect> {
        let ids = self.targets();
        if ids.is_empty() {
            self.say("nothing selected");
            return vec![];
        }
        self.marks.clear();
        vec![Effect::Write(WriteRequest {
            op: WriteOp::Apply { ids, change },
        })]
    }

    fn prompt(&mut self, kind: PromptKind, text: &str) {
        self.mode = Mode::Prompt(Prompt {
            kind,
            input: LineEdit::new(text),
            candidates: vec![],
            chosen: None,
            typed: String::new(),
        });
    }

    fn set_filter(&mut self, filter: StreamFilter, view: Option<String>) -> Vec<Effect> {
        self.filter = filter;
        self.view = view;
        self.marks.clear();
        self.touched = false;
        let mut effects = vec![self.request(Anchor::Head, true)];
        if self.pane == Pane::Stats {
            effects.push(self.stats_request());
        }
        effects
    }

    /// Run a command, from a key, the `:` prompt or the config.
    pub fn run(&mut self, cmd: Command) -> Vec<Effect> {
        let page = self.stream_height() as i64;
        let detail_focused = self.pane == Pane::Detail;
        if self.pane == Pane::Drafts {
            let n = self.overview.drafts.len();
            match cmd {
                Command::Down => {
                    self.drafts_selected = (self.drafts_selected + 1).min(n.saturating_sub(1));
                    return vec![];
                }
                Command::Up => {
                    self.drafts_selected = self.drafts_selected.saturating_sub(1);
                    return vec![];
                }
                Command::FocusDetail | Command::Reply => {
                    return match self.overview.drafts.get(self.drafts_selected.min(n.saturating_sub(1))) {
                        Some(d) => vec![Effect::OpenDraft(d.mention_id)],
                        None => vec![],
                    };
                }
                _ => {}
            }
        }
        match cmd {
            Command::Quit => vec![Effect::Quit],
            Command::Reply => match self.selected() {
                Some(m) => vec![Effect::OpenDraft(m.id)],
                None => {
                    self.say("nothing selected");
                    vec![]
                }
            },
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
            Command::FocusDetail | Command::PaneDetail => {
                self.pane = Pane::Detail;
                match self.selected() {
                    Some(m) if m.unread => {
                        let id = m.id;
                        self.read_due = None;
                        vec![Effect::Write(WriteRequest {
                            op: WriteOp::MarkRead { id },
                        })]
                    }
                    _ => vec![],
                }
            }
            Command::Back => {
                if self.pane != Pane::Stream {
                    self.pane = Pane::Stream;
                } else if !self.marks.is_empty() {
                    self.marks.clear();
                    self.say("marks cleared");
                } else if !self.filter.is_empty() {
                    self.say("filter cleared");
                    return self.set_filter(StreamFilter::default(), None);
                }
                vec![]
            }
            Command::NextPane | Command::PrevPane => {
                let i = Pane::ALL.iter().position(|p| *p == self.pane).unwrap_or(0);
                let n = Pane::ALL.len();
                self.pane = Pane::ALL[if cmd == Command::NextPane {
                    (i + 1) % n
                } else {
                    (i + n - 1) % n
                }];
                if self.pane == Pane::Stats {
                    return vec![self.stats_request()];
                }
                vec![]
            }
            Command::PaneStream => {
                self.pane = Pane::Stream;
                vec![]
            }
            Command::PaneDrafts => {
                self.pane = Pane::Drafts;
                vec![]
            }
            Command::PaneStats => {
                self.pane = Pane::Stats;
                vec![self.stats_request()]
            }
            Command::StatsRange => {
                self.stats_days = match self.stats_days {
                    7 => 14,
                    14 => 30,
                    30 => 90,
                    _ => 7,
                };
                self.pane = Pane::Stats;
                vec![self.stats_request()]
            }
            Command::MarkOpen => self.change(Change::Status(Status::Open)),
            Command::MarkResponded => self.change(Change::Status(Status::Responded)),
            Command::MarkIgnored => self.change(Change::Status(Status::Ignored)),
            Command::MarkEscalated => self.change(Change::Status(Status::Escalated)),
            Command::MarkNew => self.change(Change::Status(Status::New)),
            Command::Undo => match self.undo.pop() {
                Some(batch) => vec![Effect::Write(WriteRequest {
                    op: WriteOp::Undo { batch },
                })],
                None => {
                    self.say("nothing to undo");
                    vec![]
                }
            },
            Command::ToggleMark => {
                if let Some(id) = self.selected().map(|m| m.id) {
                    if !self.marks.remove(&id) {
                        self.marks.insert(id);
                    }
                }
                self.step(1)
            }
            Command::MarkAll => vec![Effect::MatchingIds(self.filter.clone())],
            Command::ClearMarks => {
                self.marks.clear();
                vec![]
            }
            Command::Assign => {
                self.prompt(PromptKind::Assign, "");
                vec![]
            }
            Command::Tag => {
                self.prompt(PromptKind::Tag, "");
                vec![]
            }
            Command::Untag => {
                self.prompt(PromptKind::Untag, "");
                vec![]
            }
            Command::Note => {
                self.prompt(PromptKind::Note, "");
                vec![]
            }
            Command::Search => {
                let text = self.filter.describe();
                self.prompt(
                    PromptKind::Search,
                    &if text.is_empty() { text } else { format!("{text} ") },
                );
                vec![]
            }
            Command::FilterMenu => {
                self.mode = Mode::Menu(Menu::Filter);
                vec![]
            }
            Command::Views => {
                if self.views.is_empty() {
                    self.say("no saved views: add a [[view]] with a name and a filter to the config");
                } else {
                    self.mode = Mode::Menu(Menu::Views);
                }
                vec![]
            }
            Command::ClearFilter => self.set_filter(StreamFilter::default(), None),
            Command::CommandPrompt => {
                self.prompt(PromptKind::Command, "");
                vec![]
            }
            Command::OpenLink => match self.selected().and_then(|m| m.url.clone()) {
                Some(url) => match safe_link(&url) {
                    Some(url) => {
                        self.link = Some((url.clone(), Instant::now() + MESSAGE_FOR * 3));
                        self.say("link copied");
                        vec![Effect::Copy(url)]
                    }
                    None => {
                        self.warn("this mention's link is not an http(s) address; not opened");
                        vec![]
                    }
                },
                None => {
                    self.say("this mention has no link");
                    vec![]
                }
            },
            Command::CopyText => match self.selected() {
                Some(m) => {
                    let text = match &m.title {
                        Some(t) if !m.text.is_empty() => format!("{t}\n\n{}", m.text),
                        Some(t) => t.clone(),
                        None => m.text.clone(),
                    };
                    self.say("text copied");
                    vec![Effect::Copy(crate::text::sanitize(&text))]
                }
                None => vec![],
            },
            Command::Help => {
                self.mode = Mode::Help { scroll: 0 };
                vec![]
            }
            Command::Redraw => vec![self.request(self.hold(), true)],
        }
    }

    fn on_menu_key(&mut self, menu: Menu, key: KeyEvent) -> Vec<Effect> {
        self.mode = Mode::Normal;
        let KeyCode::Char(c) = key.code else { return vec![] };
        match menu {
            Menu::Filter => {
                let field = match c {
                    's' => FilterField::Status,
                    'f' => FilterField::Feed,
                    't' => FilterField::Tag,
                    'a' => FilterField::Assignee,
                    'd' => FilterField::Since,
                    'u' => {
                        let mut f = self.filter.clone();
                        f.unread = !f.unread;
                        let view = self.view.clone();
                        return self.set_filter(f, view);
                    }
                    'c' => return self.set_filter(StreamFilter::default(), None),
                    _ => return vec![],
                };
                self.prompt(PromptKind::Filter(field), "");
                self.refresh_candidates();
                vec![]
            }
            Menu::Views => {
                let Some(i) = c.to_digit(10).map(|d| d as usize) else {
                    return vec![];
                };
                if i == 0 {
                    return self.set_filter(StreamFilter::default(), None);
                }
                match self.views.get(i - 1).cloned() {
                    Some(v) => self.apply_view(&v),
                    None => vec![],
                }
            }
        }
    }

    fn apply_view(&mut self, v: &View) -> Vec<Effect> {
        match StreamFilter::parse(&v.filter, Utc::now()) {
            Ok(f) => self.set_filter(f, Some(v.name.clone())),
            Err(e) => {
                self.warn(format!("view {:?}: {e}", v.name));
                vec![]
            }
        }
    }

    /// Candidates for the word at the prompt's cursor.
    fn candidates_for(&self, kind: PromptKind, text: &str, word: &str) -> Vec<String> {
        let statuses = || Status::ALL.iter().map(|s| s.as_str().to_string()).collect::<Vec<_>>();
        let mut operators = self.overview.operators.clone();
        if !operators.contains(&self.operator) {
            operators.push(self.operator.clone());
        }
        match kind {
            PromptKind::Assign => operators,
            PromptKind::Tag | PromptKind::Untag => self.overview.tags.clone(),
            PromptKind::Note => vec![],
            PromptKind::Filter(FilterField::Status) => statuses(),
            PromptKind::Filter(FilterField::Feed) => self.feed_names.clone(),
            PromptKind::Filter(FilterField::Tag) => self.overview.tags.clone(),
            PromptKind::Filter(FilterField::Assignee) => {
                let mut v = operators;
                v.push("none".into());
                v
            }
            PromptKind::Filter(FilterField::Since) => ["today", "yesterday", "24h", "7d", "30d", "90d"]
                .map(String::from)
                .to_vec(),
            PromptKind::Search => {
                if let Some((key, _)) = word.split_once(':') {
                    let values = match key {
                        "status" | "is" => statuses(),
                        "feed" => self.feed_names.clone(),
                        "tag" => self.overview.tags.clone(),
                        "assignee" => operators,
                        "since" | "until" => ["today", "yesterday", "7d", "30d"].map(String::from).to_vec(),
                        _ => vec![],
                    };
                    values.into_iter().map(|v| format!("{key}:{v}")).collect()
                } else {
                    ["status:", "feed:", "tag:", "assignee:", "since:", "until:", "unread"]
                        .map(String::from)
                        .to_vec()
                }
            }
            PromptKind::Command => {
                let first_word = !text.trim_start().contains(' ');
                if first_word {
                    let mut names: Vec<String> = COMMANDS.iter().map(|c| c.name.to_string()).collect();
                    names.extend(["view", "filter"].map(String::from));
                    names
                } else {
                    match text.split_whitespace().next().unwrap_or("") {
                        "assign" => operators,
                        "tag" | "untag" => self.overview.tags.clone(),
                        "view" => self.views.iter().map(|v| v.name.clone()).collect(),
                        "filter" | "search" => self.candidates_for(PromptKind::Search, text, word),
                        _ => vec![],
                    }
                }
            }
        }
    }

    fn refresh_candidates(&mut self) {
        let Mode::Prompt(p) = &self.mode else { return };
        let (_, word) = p.input.current_word();
        let all = self.candidates_for(p.kind, &p.input.text(), &word);
        let candidates = edit::complete(&word, &all);
        if let Mode::Prompt(p) = &mut self.mode {
            p.candidates = candidates;
            p.chosen = None;
            p.typed = word;
        }
    }

    fn on_prompt_key(&mut self, mut p: Prompt, key: KeyEvent) -> Vec<Effect> {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        match key.code {
            KeyCode::Esc => {
                self.mode = Mode::Normal;
                return vec![];
            }
            KeyCode::Char('c') if ctrl => {
                self.mode = Mode::Normal;
                return vec![];
            }
            KeyCode::Enter => {
                self.mode = Mode::Normal;
                return self.submit(p.kind, p.input.text().trim());
            }
            KeyCode::Tab | KeyCode::BackTab => {
                if p.candidates.is_empty() || p.chosen.is_none() && p.typed != p.input.current_word().1 {
                    self.mode = Mode::Prompt(p);
                    self.refresh_candidates();
                    let Mode::Prompt(q) = &self.mode else { unreachable!() };
                    p = q.clone();
                }
                if !p.candidates.is_empty() {
                    let n = p.candidates.len();
                    let next = match (p.chosen, key.code) {
                        (None, KeyCode::BackTab) => n - 1,
                        (None, _) => 0,
                        (Some(i), KeyCode::BackTab) => (i + n - 1) % n,
                        (Some(i), _) => (i + 1) % n,
                    };
                    p.chosen = Some(next);
                    p.input.replace_word(&p.candidates[next].clone());
                }
                self.mode = Mode::Prompt(p);
                return vec![];
            }
            KeyCode::Backspace if p.input.text().is_empty() => {
                self.mode = Mode::Normal;
                return vec![];
            }
            KeyCode::Backspace => p.input.backspace(),
            KeyCode::Delete => p.input.delete(),
            KeyCode::Left => p.input.left(),
            KeyCode::Right => p.input.right(),
            KeyCode::Home => p.input.home(),
            KeyCode::End => p.input.end(),
            KeyCode::Char('a') if ctrl => p.input.home(),
            KeyCode::Char('e') if ctrl => p.input.end(),
            KeyCode::Char('u') if ctrl => p.input.kill_to_start(),
            KeyCode::Char('w') if ctrl => p.input.kill_word(),
            KeyCode::Char(c) if !ctrl => p.input.insert(c),
            _ => {}
        }
        p.candidates.clear();
        p.chosen = None;
        self.mode = Mode::Prompt(p);
        if !matches!(key.code, KeyCode::Left | KeyCode::Right | KeyCode::Home | KeyCode::End) {
            self.refresh_candidates();
        }
        vec![]
    }

    fn submit(&mut self, kind: PromptKind, text: &str) -> Vec<Effect> {
        match kind {
            PromptKind::Search => match StreamFilter::parse(text, Utc::now()) {
                Ok(f) => self.set_filter(f, None),
                Err(e) => {
                    self.warn(e);
                    self.prompt(PromptKind::Search, text);
                    vec![]
                }
            },
            PromptKind::Filter(field) => {
                if text.is_empty() {
                    return vec![];
                }
                let value = if field == FilterField::Status {
                    text.replace(' ', ",")
                } else {
                    text.replace(' ', "")
                };
                match StreamFilter::parse(&format!("{}:{value}", field.key()), Utc::now()) {
                    Ok(add) => {
                        let f = self.filter.and(&add);
                        let view = self.view.clone();
                        self.set_filter(f, view)
                    }
                    Err(e) => {
                        self.warn(e);
                        vec![]
                    }
                }
            }
            PromptKind::Assign => {
                let who = text.trim();
                let to = if who.is_empty() || who == "none" || who == "-" {
                    None
                } else {
                    Some(crate::text::sanitize_line(who))
                };
                self.change(Change::Assign(to))
            }
            PromptKind::Tag | PromptKind::Untag => {
                let tag = crate::text::sanitize_line(text).to_lowercase();
                if tag.is_empty() {
                    return vec![];
                }
                self.change(if kind == PromptKind::Tag {
                    Change::Tag(tag)
                } else {
                    Change::Untag(tag)
                })
            }
            PromptKind::Note => {
                let body = crate::text::sanitize(text).trim().to_string();
                if body.is_empty() {
                    return vec![];
                }
                self.change(Change::Note(body))
            }
            PromptKind::Command => self.command_line(text),
        }
    }

    /// A `:` command line: a command name, with an argument where it takes one.
    fn command_line(&mut self, line: &str) -> Vec<Effect> {
        let (name, arg) = match line.split_once(char::is_whitespace) {
            Some((n, a)) => (n, a.trim()),
            None => (line, ""),
        };
        if name.is_empty() {
            return vec![];
        }
        let with_arg = |s: &mut Self, kind: PromptKind| {
            if arg.is_empty() {
                s.run_prompt(kind)
            } else {
                s.submit(kind, arg)
            }
        };
        match name {
            "assign" => return with_arg(self, PromptKind::Assign),
            "tag" => return with_arg(self, PromptKind::Tag),
            "untag" => return with_arg(self, PromptKind::Untag),
            "note" => return with_arg(self, PromptKind::Note),
            "search" | "filter" => return self.submit(PromptKind::Search, arg),
            "view" => {
                return match self.views.iter().find(|v| v.name == arg).cloned() {
                    Some(v) => self.apply_view(&v),
                    None if arg.is_empty() => self.run(Command::Views),
                    None => {
                        self.warn(format!("no view named {arg:?}"));
                        vec![]
                    }
                };
            }
            "status" => {
                return match arg.parse::<Status>() {
                    Ok(s) => self.change(Change::Status(s)),
                    Err(e) => {
                        self.warn(e);
                        vec![]
                    }
                };
            }
            _ => {}
        }
        match Command::by_name(name) {
            Some(cmd) => self.run(cmd),
            None => {
                self.warn(format!(
                    "unknown command {name:?}; Tab completes command names, ? lists them"
                ));
                vec![]
            }
        }
    }

    fn run_prompt(&mut self, kind: PromptKind) -> Vec<Effect> {
        self.prompt(kind, "");
        vec![]
    }
}

/// A link safe to hand to the terminal: http(s) only, in the URL parser's normalised form (which
/// percent-encodes anything that could end an escape sequence).
pub fn safe_link(url: &str) -> Option<String> {
    let u = url::Url::parse(url.trim()).ok()?;
    matches!(u.scheme(), "http" | "https")
        .then(|| u.to_string())
        .filter(|s| s.chars().all(|c| c.is_ascii_graphic()))
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
            let state = AppState::new(&config, (80, 14));
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
                    let w = worker::load_window(&self.store, "alice", &["f".to_string()], &req).unwrap();
                    effects.extend(self.state.update(Action::Loaded(Box::new(w))));
                }
            }
        }

        fn key(&mut self, c: KeyCode) {
            self.act(Action::Key(KeyEvent::new(c, KeyModifiers::NONE)));
        }

        fn start(&mut self) {
            for e in self.state.start() {
                if let Effect::Load(req) = e {
                    let w = worker::load_window(&self.store, "alice", &["f".to_string()], &req).unwrap();
                    self.state.update(Action::Loaded(Box::new(w)));
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
            pending.extend(
                f.state
                    .update(Action::Key(KeyEvent::new(KeyCode::Char('j'), KeyModifiers::NONE))),
            );
        }
        let Some(Effect::Load(req)) = pending.into_iter().last() else {
            panic!("a load")
        };
        let w = worker::load_window(&f.store, "alice", &["f".to_string()], &req).unwrap();
        f.state.update(Action::Loaded(Box::new(w)));
        assert_eq!(f.selected(), "m37");
        // A triage key right after moving acts on the row on screen, before its window loads.
        f.state
            .update(Action::Key(KeyEvent::new(KeyCode::Char('k'), KeyModifiers::NONE)));
        let effects = f
            .state
            .update(Action::Key(KeyEvent::new(KeyCode::Char('d'), KeyModifiers::NONE)));
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
        f.act(Action::Resize(80, 9));
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
        f.state.update(Action::Loaded(Box::new(stale)));
        assert_eq!(f.visible().len(), 3);
        let effects = f
            .state
            .update(Action::Key(KeyEvent::new(KeyCode::Char('q'), KeyModifiers::NONE)));
        assert_eq!(effects, vec![Effect::Quit]);
    }
}
