//! Keys to commands, per context. Every key the console reacts to, in every context (the
//! stream, help, the menus, a prompt, the reply editor, the saved-reply picker, a confirmation),
//! is a command here with a name (for the config's `[keys]` table, and the `:` prompt for the
//! stream's commands), a description (for the `?` overlay) and default keys; any key can be
//! rebound. Text inputs (a prompt, the reply editor) look up their own context first, then the
//! shared editing context; a key bound in neither types itself.
//!
//! Hints on screen are built from the current bindings (`Keymap::hint`), so they stay true after
//! a rebinding.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::collections::HashMap;
use std::fmt;

/// Where a key is pressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Context {
    /// The panes: stream, detail, drafts, stats.
    Stream,
    /// The `?` overlay.
    Help,
    /// The quick-filter menu (`f`).
    FilterMenu,
    /// The saved-views menu (`v`).
    ViewsMenu,
    /// The alert list (`!`).
    Alerts,
    /// The People pane (`5`): its own keys, else the panes'.
    People,
    /// A one-line prompt (`/`, `:`, assign, tag, note, a quick filter's value).
    Prompt,
    /// The reply editor.
    Draft,
    /// Editing text, in a prompt and in the reply editor.
    Edit,
    /// The saved-reply picker.
    Templates,
    /// A yes/no question.
    Confirm,
}

impl Context {
    /// Every context, in the order `?` lists them.
    pub const ALL: &'static [Context] = &[
        Context::Stream,
        Context::Draft,
        Context::Edit,
        Context::Prompt,
        Context::Templates,
        Context::Confirm,
        Context::FilterMenu,
        Context::ViewsMenu,
        Context::Alerts,
        Context::People,
        Context::Help,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Context::Stream => "In the panes",
            Context::Help => "In this help",
            Context::FilterMenu => "In the filter menu (f)",
            Context::ViewsMenu => "In the views menu (v)",
            Context::Alerts => "In the alert list (!)",
            Context::People => "In the People pane (5)",
            Context::Prompt => "At a prompt (/ : and the others)",
            Context::Draft => "In the reply editor",
            Context::Edit => "Editing text (prompts and the reply editor)",
            Context::Templates => "In the saved-reply picker",
            Context::Confirm => "At a yes/no question",
        }
    }

    /// The context a key falls back to when this one does not bind it.
    pub fn fallback(self) -> Option<Context> {
        match self {
            Context::Prompt | Context::Draft => Some(Context::Edit),
            Context::People => Some(Context::Stream),
            _ => None,
        }
    }

    /// Whether a key can mean something in both contexts at once (then it may be bound in only
    /// one of them). The People pane's keys mean what they mean there, on purpose: `j` moves
    /// among people, not mentions.
    fn overlaps(self, other: Context) -> bool {
        let edits = |a: Context, b: Context| matches!(a, Context::Prompt | Context::Draft) && b == Context::Edit;
        self == other || edits(self, other) || edits(other, self)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Command {
    // The panes.
    Quit,
    Down,
    Up,
    HalfDown,
    HalfUp,
    PageDown,
    PageUp,
    Top,
    Bottom,
    FocusDetail,
    Back,
    NextPane,
    PrevPane,
    PaneStream,
    PaneDetail,
    PaneDrafts,
    PaneStats,
    Reply,
    ReturnDraft,
    MarkOpen,
    MarkResponded,
    MarkIgnored,
    MarkEscalated,
    MarkNew,
    Undo,
    ToggleMark,
    MarkAll,
    MarkConversation,
    ClearMarks,
    Assign,
    Tag,
    Untag,
    Note,
    Search,
    FilterMenu,
    ClearFilter,
    Views,
    AlertList,
    SortOrder,
    CommandPrompt,
    StatsRange,
    OpenLink,
    CopyText,
    Help,
    Redraw,
    // Help.
    HelpDown,
    HelpUp,
    HelpPageDown,
    HelpPageUp,
    HelpClose,
    // The filter menu.
    FilterStatus,
    FilterFeed,
    FilterTag,
    FilterAssignee,
    FilterSince,
    FilterUnread,
    FilterClear,
    FilterClose,
    // The views menu.
    ViewAll,
    View1,
    View2,
    View3,
    View4,
    View5,
    View6,
    View7,
    View8,
    View9,
    ViewsClose,
    // A prompt.
    PromptSubmit,
    PromptCancel,
    PromptComplete,
    PromptCompleteBack,
    PromptKillToStart,
    // The reply editor.
    DraftSend,
    DraftEditor,
    DraftTemplates,
    DraftDiscard,
    DraftClose,
    DraftHelp,
    DraftUndo,
    DraftRedo,
    DraftNewline,
    DraftIndent,
    DraftUp,
    DraftDown,
    DraftTop,
    DraftBottom,
    DraftPageDown,
    DraftPageUp,
    DraftPaste,
    // Editing text.
    EditLeft,
    EditRight,
    EditWordLeft,
    EditWordRight,
    EditHome,
    EditEnd,
    EditBackspace,
    EditDelete,
    EditDeleteWord,
    EditDeleteNextWord,
    EditKillToEnd,
    // The saved-reply picker.
    PickDown,
    PickUp,
    PickChoose,
    PickBackspace,
    PickCancel,
    // A yes/no question.
    ConfirmYes,
    ConfirmNo,
    // The alert list.
    AlertNext,
    AlertPrev,
    AlertOpen,
    AlertAck,
    AlertClose,
    Correct,
    // The People pane.
    PanePeople,
    PaneOurs,
    OpenPerson,
    PeopleDown,
    PeopleUp,
    PeopleOpen,
    PeopleSort,
    PeopleBack,
    PersonTag,
    PersonUntag,
    PersonNote,
    PersonLink,
}

pub struct CommandInfo {
    pub command: Command,
    pub name: &'static str,
    pub context: Context,
    pub desc: &'static str,
    /// A heading inside the context's list in `?`.
    pub group: &'static str,
    pub keys: &'static [&'static str],
}

macro_rules! commands {
    ($( $cmd:ident, $name:literal, $ctx:ident, $group:literal, $desc:literal, [$($key:literal),*] ;)*) => {
        pub const COMMANDS: &[CommandInfo] = &[
            $( CommandInfo { command: Command::$cmd, name: $name, context: Context::$ctx, group: $group, desc: $desc, keys: &[$($key),*] }, )*
        ];
    };
}

commands! {
    Down, "down", Stream, "Move", "next mention", ["j", "down"];
    Up, "up", Stream, "Move", "previous mention", ["k", "up"];
    HalfDown, "half-page-down", Stream, "Move", "half a page down", ["ctrl-d"];
    HalfUp, "half-page-up", Stream, "Move", "half a page up", ["ctrl-u"];
    PageDown, "page-down", Stream, "Move", "a page down", ["pagedown", "ctrl-f"];
    PageUp, "page-up", Stream, "Move", "a page up", ["pageup", "ctrl-b"];
    Top, "top", Stream, "Move", "newest mention", ["g", "home"];
    Bottom, "bottom", Stream, "Move", "oldest mention", ["G", "end"];
    FocusDetail, "focus-detail", Stream, "Panes", "read the selected mention in full; in a story's detail, list its places", ["enter"];
    Back, "back", Stream, "Panes", "back to the stream; clear marks, then the filter", ["esc"];
    NextPane, "next-pane", Stream, "Panes", "next pane", ["tab"];
    PrevPane, "prev-pane", Stream, "Panes", "previous pane", ["backtab"];
    PaneStream, "stream", Stream, "Panes", "the stream", ["1"];
    PaneDetail, "detail", Stream, "Panes", "the detail pane", ["2"];
    PaneDrafts, "drafts", Stream, "Panes", "the drafts pane", ["3"];
    PaneStats, "stats", Stream, "Panes", "the stats pane", ["4"];
    PanePeople, "people", Stream, "Panes", "the people pane: authors ranked across every feed", ["5"];
    PaneOurs, "ours", Stream, "Panes", "our own posts ([[account]]): what each earned, per account and per post", ["6"];
    OpenPerson, "person", Stream, "Panes", "the selected mention's author: every mention, our answers", ["A"];
    Reply, "reply", Stream, "Triage", "write a reply (saved as you type)", ["r"];
    ReturnDraft, "send-back", Stream, "Triage", "drafts pane: send a reply awaiting approval back with a note", ["b"];
    MarkOpen, "open", Stream, "Triage", "mark open (being handled)", ["O"];
    MarkResponded, "responded", Stream, "Triage", "mark responded", ["d"];
    MarkIgnored, "ignore", Stream, "Triage", "mark ignored", ["i"];
    MarkEscalated, "escalate", Stream, "Triage", "mark escalated", ["e"];
    MarkNew, "renew", Stream, "Triage", "mark new again", ["N"];
    Undo, "undo", Stream, "Triage", "undo your last change", ["u"];
    Assign, "assign", Stream, "Triage", "assign to an operator", ["a"];
    Tag, "tag", Stream, "Triage", "add a tag", ["t"];
    Untag, "untag", Stream, "Triage", "remove a tag", ["T"];
    Note, "note", Stream, "Triage", "add a note", ["n"];
    Correct, "correct", Stream, "Triage", "correct the sentiment or intents (negative, +complaint, -praise)", ["c"];
    ToggleMark, "mark", Stream, "Bulk", "mark or unmark for a bulk action", ["space"];
    MarkAll, "mark-all", Stream, "Bulk", "mark everything the filter shows", ["*"];
    MarkConversation, "mark-conversation", Stream, "Bulk", "mark every message of the selected mention's conversation", ["C"];
    ClearMarks, "unmark-all", Stream, "Bulk", "clear all marks", ["-"];
    Search, "search", Stream, "Find", "search all history (words, \"phrases\", filters)", ["/"];
    FilterMenu, "filter", Stream, "Find", "quick filters: status, feed, tag, assignee, date, unread", ["f"];
    ClearFilter, "clear-filter", Stream, "Find", "show everything again", ["F"];
    Views, "views", Stream, "Find", "saved views from the config", ["v"];
    AlertList, "alerts", Stream, "Find", "the alerts raised: go to a mention, say you saw it", ["!"];
    SortOrder, "sort", Stream, "Find", "order the stream by priority now, or by time again", ["p"];
    OpenLink, "open-link", Stream, "Share", "show the link as a hyperlink and copy it", ["o"];
    CopyText, "copy", Stream, "Share", "copy the mention's text", ["y"];
    StatsRange, "stats-range", Stream, "Panes", "stats pane: show 7, 14, 30 or 90 days", ["s"];
    CommandPrompt, "command", Stream, "General", "type a command by name", [":"];
    Help, "help", Stream, "General", "this help", ["?"];
    Redraw, "redraw", Stream, "General", "redraw the screen", ["ctrl-l"];
    Quit, "quit", Stream, "General", "quit", ["q"];

    DraftSend, "draft-send", Draft, "Reply", "send, or copy and open the link (asks first)", ["ctrl-s"];
    DraftTemplates, "draft-templates", Draft, "Reply", "insert a saved reply", ["ctrl-t"];
    DraftEditor, "draft-editor", Draft, "Reply", "edit in $VISUAL/$EDITOR", ["ctrl-o"];
    DraftDiscard, "draft-discard", Draft, "Reply", "discard the draft (asks first)", ["ctrl-g"];
    DraftClose, "draft-close", Draft, "Reply", "close; the draft stays saved", ["esc"];
    DraftHelp, "draft-help", Draft, "Reply", "the key list", ["f1"];
    DraftUndo, "draft-undo", Draft, "Reply", "undo typing", ["ctrl-u"];
    DraftRedo, "draft-redo", Draft, "Reply", "redo typing", ["ctrl-r"];
    DraftNewline, "draft-newline", Draft, "Reply", "a new line", ["enter", "ctrl-j"];
    DraftIndent, "draft-indent", Draft, "Reply", "a tab", ["tab"];
    DraftUp, "draft-up", Draft, "Reply", "line up", ["up", "ctrl-p"];
    DraftDown, "draft-down", Draft, "Reply", "line down", ["down", "ctrl-n"];
    DraftTop, "draft-top", Draft, "Reply", "to the first line", ["alt-<", "ctrl-home"];
    DraftBottom, "draft-bottom", Draft, "Reply", "to the last line", ["alt->", "ctrl-end"];
    DraftPageDown, "draft-page-down", Draft, "Reply", "scroll a page down", ["pagedown", "ctrl-v"];
    DraftPageUp, "draft-page-up", Draft, "Reply", "scroll a page up", ["pageup", "alt-v"];
    DraftPaste, "draft-paste", Draft, "Reply", "paste what was last cut", ["ctrl-y"];

    EditLeft, "edit-left", Edit, "Edit", "a character left", ["left", "ctrl-b"];
    EditRight, "edit-right", Edit, "Edit", "a character right", ["right", "ctrl-f"];
    EditWordLeft, "edit-word-left", Edit, "Edit", "a word left", ["alt-b", "ctrl-left"];
    EditWordRight, "edit-word-right", Edit, "Edit", "a word right", ["alt-f", "ctrl-right"];
    EditHome, "edit-home", Edit, "Edit", "to the start of the line", ["home", "ctrl-a"];
    EditEnd, "edit-end", Edit, "Edit", "to the end of the line", ["end", "ctrl-e"];
    EditBackspace, "edit-backspace", Edit, "Edit", "delete the character before (an empty prompt closes)", ["backspace", "ctrl-h"];
    EditDelete, "edit-delete", Edit, "Edit", "delete the character under the cursor", ["delete", "ctrl-d"];
    EditDeleteWord, "edit-delete-word", Edit, "Edit", "delete the word before", ["ctrl-w", "alt-backspace"];
    EditDeleteNextWord, "edit-delete-next-word", Edit, "Edit", "delete the word after", ["alt-d", "alt-delete"];
    EditKillToEnd, "edit-kill-to-end", Edit, "Edit", "delete to the end of the line", ["ctrl-k"];

    PromptSubmit, "prompt-submit", Prompt, "Prompt", "run it", ["enter"];
    PromptCancel, "prompt-cancel", Prompt, "Prompt", "cancel", ["esc", "ctrl-c"];
    PromptComplete, "prompt-complete", Prompt, "Prompt", "complete the word (again: the next match)", ["tab"];
    PromptCompleteBack, "prompt-complete-back", Prompt, "Prompt", "the previous match", ["backtab"];
    PromptKillToStart, "prompt-kill-to-start", Prompt, "Prompt", "delete to the start of the line", ["ctrl-u"];

    PickDown, "pick-down", Templates, "Pick", "next saved reply", ["down", "ctrl-n"];
    PickUp, "pick-up", Templates, "Pick", "previous saved reply", ["up", "ctrl-p"];
    PickChoose, "pick-choose", Templates, "Pick", "insert it (typing filters the list)", ["enter"];
    PickBackspace, "pick-backspace", Templates, "Pick", "delete a character of the filter", ["backspace"];
    PickCancel, "pick-cancel", Templates, "Pick", "back to the draft", ["esc"];

    AlertNext, "alert-next", Alerts, "Alerts", "next alert", ["j", "down"];
    AlertPrev, "alert-prev", Alerts, "Alerts", "previous alert", ["k", "up"];
    AlertOpen, "alert-open", Alerts, "Alerts", "go to its mention (and say you saw it)", ["enter"];
    AlertAck, "alert-ack", Alerts, "Alerts", "say you saw it", ["a"];
    AlertClose, "alert-close", Alerts, "Alerts", "close the list", ["esc", "q", "!"];

    PeopleDown, "people-down", People, "People", "next person (next mention in a person)", ["j", "down"];
    PeopleUp, "people-up", People, "People", "previous person (previous mention in a person)", ["k", "up"];
    PeopleOpen, "people-open", People, "People", "open the person; in a person, go to the mention", ["enter"];
    PeopleSort, "people-sort", People, "People", "rank by mentions, reach, engagement, most negative, or most souring", ["s"];
    PeopleBack, "people-back", People, "People", "back to the list, then to the stream", ["esc"];
    PersonTag, "person-tag", People, "People", "tag the person (vip, detractor, advocate, …)", ["t"];
    PersonUntag, "person-untag", People, "People", "remove a tag of the person", ["T"];
    PersonNote, "person-note", People, "People", "a note shown on every mention of theirs", ["n"];
    PersonLink, "person-link", People, "People", "link another handle as the same person", ["L"];

    ConfirmYes, "confirm-yes", Confirm, "Confirm", "yes", ["y", "Y"];
    ConfirmNo, "confirm-no", Confirm, "Confirm", "no, go back", ["n", "N", "esc"];

    FilterStatus, "filter-status", FilterMenu, "Filter", "by status", ["s"];
    FilterFeed, "filter-feed", FilterMenu, "Filter", "by feed", ["f"];
    FilterTag, "filter-tag", FilterMenu, "Filter", "by tag", ["t"];
    FilterAssignee, "filter-assignee", FilterMenu, "Filter", "by assignee", ["a"];
    FilterSince, "filter-since", FilterMenu, "Filter", "since a date", ["d"];
    FilterUnread, "filter-unread", FilterMenu, "Filter", "unread only, on or off", ["u"];
    FilterClear, "filter-clear", FilterMenu, "Filter", "clear the filter", ["c"];
    FilterClose, "filter-close", FilterMenu, "Filter", "close the menu (so does any other key)", ["esc"];

    ViewAll, "view-all", ViewsMenu, "Views", "everything (no view)", ["0"];
    View1, "view-1", ViewsMenu, "Views", "the 1st saved view", ["1"];
    View2, "view-2", ViewsMenu, "Views", "the 2nd saved view", ["2"];
    View3, "view-3", ViewsMenu, "Views", "the 3rd saved view", ["3"];
    View4, "view-4", ViewsMenu, "Views", "the 4th saved view", ["4"];
    View5, "view-5", ViewsMenu, "Views", "the 5th saved view", ["5"];
    View6, "view-6", ViewsMenu, "Views", "the 6th saved view", ["6"];
    View7, "view-7", ViewsMenu, "Views", "the 7th saved view", ["7"];
    View8, "view-8", ViewsMenu, "Views", "the 8th saved view", ["8"];
    View9, "view-9", ViewsMenu, "Views", "the 9th saved view", ["9"];
    ViewsClose, "views-close", ViewsMenu, "Views", "close the menu (so does any other key)", ["esc"];

    HelpDown, "help-down", Help, "Help", "scroll down", ["j", "down"];
    HelpUp, "help-up", Help, "Help", "scroll up", ["k", "up"];
    HelpPageDown, "help-page-down", Help, "Help", "scroll a page down", ["pagedown", "ctrl-d", "ctrl-f", "space"];
    HelpPageUp, "help-page-up", Help, "Help", "scroll a page up", ["pageup", "ctrl-u", "ctrl-b"];
    HelpClose, "help-close", Help, "Help", "close (so does any other key)", ["esc", "q", "?"];
}

impl Command {
    pub fn info(self) -> &'static CommandInfo {
        COMMANDS
            .iter()
            .find(|c| c.command == self)
            .expect("every command is listed")
    }

    pub fn by_name(name: &str) -> Option<Command> {
        COMMANDS.iter().find(|c| c.name == name).map(|c| c.command)
    }

    pub fn name(self) -> &'static str {
        self.info().name
    }

    pub fn context(self) -> Context {
        self.info().context
    }

    const VIEWS: [Command; 10] = [
        Command::ViewAll,
        Command::View1,
        Command::View2,
        Command::View3,
        Command::View4,
        Command::View5,
        Command::View6,
        Command::View7,
        Command::View8,
        Command::View9,
    ];

    /// The view a views-menu command applies: 0 for everything, 1–9 for the saved views.
    pub fn view_number(self) -> Option<usize> {
        Command::VIEWS.iter().position(|c| *c == self)
    }

    /// The views-menu command for view `n` (0: everything).
    pub fn view(n: usize) -> Option<Command> {
        Command::VIEWS.get(n).copied()
    }
}

/// A key with its modifiers, normalised (a character carries its own case; shift is dropped).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Key {
    pub code: KeyCode,
    pub mods: KeyModifiers,
}

impl Key {
    pub fn from_event(e: &KeyEvent) -> Key {
        let mut mods = e.modifiers & (KeyModifiers::CONTROL | KeyModifiers::ALT | KeyModifiers::SHIFT);
        let code = match e.code {
            KeyCode::Char(c) => {
                mods.remove(KeyModifiers::SHIFT);
                KeyCode::Char(if mods.contains(KeyModifiers::CONTROL) {
                    c.to_ascii_lowercase()
                } else {
                    c
                })
            }
            KeyCode::BackTab => {
                mods.remove(KeyModifiers::SHIFT);
                KeyCode::BackTab
            }
            other => other,
        };
        Key { code, mods }
    }

    pub fn parse(s: &str) -> Result<Key, String> {
        let mut mods = KeyModifiers::NONE;
        let mut rest = s;
        loop {
            let lower = rest.to_ascii_lowercase();
            if rest.len() > 1 && (lower.starts_with("ctrl-") || lower.starts_with("c-")) {
                mods |= KeyModifiers::CONTROL;
                rest = &rest[rest.find('-').expect("has a dash") + 1..];
            } else if rest.len() > 1 && (lower.starts_with("alt-") || lower.starts_with("m-")) {
                mods |= KeyModifiers::ALT;
                rest = &rest[rest.find('-').expect("has a dash") + 1..];
            } else {
                break;
            }
        }
        let code = match rest.to_ascii_lowercase().as_str() {
            "enter" | "return" => KeyCode::Enter,
            "esc" | "escape" => KeyCode::Esc,
            "tab" => KeyCode::Tab,
            "backtab" | "shift-tab" => KeyCode::BackTab,
            "space" => KeyCode::Char(' '),
            "backspace" => KeyCode::Backspace,
            "delete" | "del" => KeyCode::Delete,
            "up" => KeyCode::Up,
            "down" => KeyCode::Down,
            "left" => KeyCode::Left,
            "right" => KeyCode::Right,
            "home" => KeyCode::Home,
            "end" => KeyCode::End,
            "pageup" | "pgup" => KeyCode::PageUp,
            "pagedown" | "pgdn" => KeyCode::PageDown,
            f if f.len() >= 2 && f.starts_with('f') && f[1..].parse::<u8>().is_ok_and(|n| (1..=12).contains(&n)) => {
                KeyCode::F(f[1..].parse().expect("checked"))
            }
            _ => {
                let mut chars = rest.chars();
                match (chars.next(), chars.next()) {
                    (Some(c), None) => KeyCode::Char(if mods.contains(KeyModifiers::CONTROL) {
                        c.to_ascii_lowercase()
                    } else {
                        c
                    }),
                    _ => {
                        return Err(format!(
                            "unknown key {s:?}: write a character, or ctrl-x, alt-x, enter, esc, tab, space, up, pagedown, f1…"
                        ));
                    }
                }
            }
        };
        Ok(Key { code, mods })
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.mods.contains(KeyModifiers::CONTROL) {
            f.write_str("ctrl-")?;
        }
        if self.mods.contains(KeyModifiers::ALT) {
            f.write_str("alt-")?;
        }
        match self.code {
            KeyCode::Char(' ') => f.write_str("space"),
            KeyCode::Char(c) => write!(f, "{c}"),
            KeyCode::Enter => f.write_str("enter"),
            KeyCode::Esc => f.write_str("esc"),
            KeyCode::Tab => f.write_str("tab"),
            KeyCode::BackTab => f.write_str("shift-tab"),
            KeyCode::Backspace => f.write_str("backspace"),
            KeyCode::Delete => f.write_str("delete"),
            KeyCode::Up => f.write_str("↑"),
            KeyCode::Down => f.write_str("↓"),
            KeyCode::Left => f.write_str("←"),
            KeyCode::Right => f.write_str("→"),
            KeyCode::Home => f.write_str("home"),
            KeyCode::End => f.write_str("end"),
            KeyCode::PageUp => f.write_str("pgup"),
            KeyCode::PageDown => f.write_str("pgdn"),
            KeyCode::F(n) => write!(f, "f{n}"),
            other => write!(f, "{other:?}"),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Keymap {
    map: HashMap<(Context, Key), Command>,
    keys: HashMap<Command, Vec<Key>>,
}

impl Default for Keymap {
    fn default() -> Self {
        Keymap::with_overrides(&[]).expect("the default keys parse")
    }
}

impl Keymap {
    /// The defaults with `overrides` (command name, keys) applied: a command given keys loses its
    /// default ones; a key taken by an override leaves the command it had in any context where
    /// both could be pressed.
    pub fn with_overrides(overrides: &[(String, Vec<String>)]) -> Result<Keymap, String> {
        let mut keys: HashMap<Command, Vec<Key>> = HashMap::new();
        for info in COMMANDS {
            let parsed = info.keys.iter().map(|k| Key::parse(k)).collect::<Result<Vec<_>, _>>()?;
            keys.insert(info.command, parsed);
        }
        for (name, ks) in overrides {
            let cmd = Command::by_name(name).ok_or_else(|| {
                format!("unknown command {name:?} (see the `?` help for command names, e.g. \"responded\", \"assign\")")
            })?;
            let parsed = ks.iter().map(|k| Key::parse(k)).collect::<Result<Vec<_>, _>>()?;
            let ctx = cmd.context();
            for (other, bound) in keys.iter_mut() {
                if other.context().overlaps(ctx) {
                    bound.retain(|k| !parsed.contains(k));
                }
            }
            keys.insert(cmd, parsed);
        }
        let mut map = HashMap::new();
        for info in COMMANDS {
            for k in &keys[&info.command] {
                map.insert((info.context, *k), info.command);
            }
        }
        Ok(Keymap { map, keys })
    }

    /// The command a key runs in `context` (or in the context it falls back to).
    pub fn lookup_in(&self, context: Context, e: &KeyEvent) -> Option<Command> {
        let key = Key::from_event(e);
        self.map
            .get(&(context, key))
            .or_else(|| context.fallback().and_then(|f| self.map.get(&(f, key))))
            .copied()
    }

    /// The command a key runs in the panes.
    pub fn lookup(&self, e: &KeyEvent) -> Option<Command> {
        self.lookup_in(Context::Stream, e)
    }

    /// The keys bound to a command, for help ("j/↓").
    pub fn keys_for(&self, cmd: Command) -> String {
        self.keys
            .get(&cmd)
            .map(|ks| ks.iter().map(Key::to_string).collect::<Vec<_>>().join("/"))
            .unwrap_or_default()
    }

    /// The first key of a command, for a hint on screen ("u undoes"); for an unbound command of
    /// the panes its `:name`, else "(unbound)".
    pub fn hint(&self, cmd: Command) -> String {
        match self.keys.get(&cmd).and_then(|ks| ks.first()) {
            Some(k) => k.to_string(),
            None if cmd.context() == Context::Stream => format!(":{}", cmd.name()),
            None => "(unbound)".to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(code: KeyCode, mods: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, mods)
    }

    #[test]
    fn defaults_cover_the_issue_keys() {
        let k = Keymap::default();
        assert_eq!(
            k.lookup(&ev(KeyCode::Char('j'), KeyModifiers::NONE)),
            Some(Command::Down)
        );
        assert_eq!(k.lookup(&ev(KeyCode::Down, KeyModifiers::NONE)), Some(Command::Down));
        assert_eq!(
            k.lookup(&ev(KeyCode::Char('G'), KeyModifiers::SHIFT)),
            Some(Command::Bottom)
        );
        assert_eq!(
            k.lookup(&ev(KeyCode::Char('d'), KeyModifiers::CONTROL)),
            Some(Command::HalfDown)
        );
        assert_eq!(
            k.lookup(&ev(KeyCode::Char(' '), KeyModifiers::NONE)),
            Some(Command::ToggleMark)
        );
        assert_eq!(
            k.lookup(&ev(KeyCode::BackTab, KeyModifiers::SHIFT)),
            Some(Command::PrevPane)
        );
        assert_eq!(k.keys_for(Command::Down), "j/↓");
    }

    #[test]
    fn every_default_key_is_bound_once() {
        let mut seen: Vec<(Context, Key, &str)> = Vec::new();
        for info in COMMANDS {
            for k in info.keys {
                let key = Key::parse(k).unwrap();
                if let Some((_, _, other)) = seen.iter().find(|(c, sk, _)| *sk == key && c.overlaps(info.context)) {
                    panic!("{k} is bound to both {other} and {}", info.name);
                }
                seen.push((info.context, key, info.name));
            }
        }
    }

    #[test]
    fn the_readme_lists_every_command_and_its_default_keys() {
        let readme = include_str!("../README.md");
        for c in COMMANDS {
            assert!(
                readme.contains(&format!("`{}`", c.name)),
                "README lacks the command {}",
                c.name
            );
            for k in c.keys {
                let shown = Key::parse(k).unwrap().to_string();
                assert!(
                    readme.contains(&format!("`{shown}`")) || readme.contains(&format!("`{k}`")),
                    "README lacks the key {k} of {}",
                    c.name
                );
            }
        }
    }

    #[test]
    fn each_context_has_its_keys_and_text_inputs_fall_back_to_editing() {
        let k = Keymap::default();
        let ctrl = |c| ev(KeyCode::Char(c), KeyModifiers::CONTROL);
        assert_eq!(k.lookup_in(Context::Draft, &ctrl('s')), Some(Command::DraftSend));
        assert_eq!(k.lookup_in(Context::Draft, &ctrl('u')), Some(Command::DraftUndo));
        assert_eq!(
            k.lookup_in(Context::Prompt, &ctrl('u')),
            Some(Command::PromptKillToStart)
        );
        assert_eq!(k.lookup_in(Context::Prompt, &ctrl('w')), Some(Command::EditDeleteWord));
        assert_eq!(k.lookup_in(Context::Draft, &ctrl('w')), Some(Command::EditDeleteWord));
        assert_eq!(k.lookup_in(Context::Stream, &ctrl('u')), Some(Command::HalfUp));
        assert_eq!(
            k.lookup_in(Context::Confirm, &ev(KeyCode::Char('Y'), KeyModifiers::SHIFT)),
            Some(Command::ConfirmYes)
        );
        assert_eq!(
            k.lookup_in(Context::Draft, &ev(KeyCode::Char('x'), KeyModifiers::NONE)),
            None
        );
    }

    #[test]
    fn rebinding_in_one_context_leaves_the_others_alone() {
        let k = Keymap::with_overrides(&[("confirm-yes".into(), vec!["j".into()])]).unwrap();
        let j = ev(KeyCode::Char('j'), KeyModifiers::NONE);
        assert_eq!(k.lookup_in(Context::Confirm, &j), Some(Command::ConfirmYes));
        assert_eq!(
            k.lookup_in(Context::Stream, &j),
            Some(Command::Down),
            "j still moves in the panes"
        );
        let k = Keymap::with_overrides(&[("edit-kill-to-end".into(), vec!["ctrl-u".into()])]).unwrap();
        let cu = ev(KeyCode::Char('u'), KeyModifiers::CONTROL);
        assert_eq!(k.lookup_in(Context::Prompt, &cu), Some(Command::EditKillToEnd));
        assert_eq!(k.lookup_in(Context::Draft, &cu), Some(Command::EditKillToEnd));
        assert_eq!(k.lookup_in(Context::Stream, &cu), Some(Command::HalfUp));
        assert_eq!(k.hint(Command::PromptKillToStart), "(unbound)");
        let k = Keymap::with_overrides(&[("undo".into(), vec![])]).unwrap();
        assert_eq!(k.hint(Command::Undo), ":undo");
        let k = Keymap::with_overrides(&[("undo".into(), vec!["z".into()])]).unwrap();
        assert_eq!(k.hint(Command::Undo), "z");
    }

    #[test]
    fn overrides_rebind_and_steal() {
        let k = Keymap::with_overrides(&[
            ("responded".into(), vec!["r".into()]),
            ("down".into(), vec!["d".into()]),
        ])
        .unwrap();
        assert_eq!(
            k.lookup(&ev(KeyCode::Char('r'), KeyModifiers::NONE)),
            Some(Command::MarkResponded)
        );
        assert_eq!(
            k.lookup(&ev(KeyCode::Char('d'), KeyModifiers::NONE)),
            Some(Command::Down)
        );
        assert_eq!(k.lookup(&ev(KeyCode::Char('j'), KeyModifiers::NONE)), None);
        assert!(
            Keymap::with_overrides(&[("fly".into(), vec!["x".into()])])
                .unwrap_err()
                .contains("unknown command")
        );
        assert!(Key::parse("ctrl-").is_err());
        assert_eq!(Key::parse("-").unwrap().code, KeyCode::Char('-'));
        assert!(Key::parse("hyper-x").unwrap_err().contains("unknown key"));
        assert_eq!(Key::parse("C-d").unwrap(), Key::parse("ctrl-d").unwrap());
        assert_eq!(Key::parse("f5").unwrap().code, KeyCode::F(5));
    }
}
