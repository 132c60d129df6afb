//! Keys to commands. Every command has a name (for the config's `[keys]` table and the `:`
//! prompt), a description (for the `?` overlay) and default keys; any key can be rebound.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::collections::HashMap;
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Command {
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
    MarkOpen,
    MarkResponded,
    MarkIgnored,
    MarkEscalated,
    MarkNew,
    Undo,
    ToggleMark,
    MarkAll,
    ClearMarks,
    Assign,
    Tag,
    Untag,
    Note,
    Search,
    FilterMenu,
    ClearFilter,
    Views,
    CommandPrompt,
    StatsRange,
    OpenLink,
    CopyText,
    Help,
    Redraw,
}

pub struct CommandInfo {
    pub command: Command,
    pub name: &'static str,
    pub desc: &'static str,
    pub group: &'static str,
    pub keys: &'static [&'static str],
}

macro_rules! commands {
    ($( $cmd:ident, $name:literal, $group:literal, $desc:literal, [$($key:literal),*] ;)*) => {
        pub const COMMANDS: &[CommandInfo] = &[
            $( CommandInfo { command: Command::$cmd, name: $name, group: $group, desc: $desc, keys: &[$($key),*] }, )*
        ];
    };
}

commands! {
    Down, "down", "Move", "next mention", ["j", "down"];
    Up, "up", "Move", "previous mention", ["k", "up"];
    HalfDown, "half-page-down", "Move", "half a page down", ["ctrl-d"];
    HalfUp, "half-page-up", "Move", "half a page up", ["ctrl-u"];
    PageDown, "page-down", "Move", "a page down", ["pagedown", "ctrl-f"];
    PageUp, "page-up", "Move", "a page up", ["pageup", "ctrl-b"];
    Top, "top", "Move", "newest mention", ["g", "home"];
    Bottom, "bottom", "Move", "oldest mention", ["G", "end"];
    FocusDetail, "focus-detail", "Panes", "read the selected mention in full", ["enter"];
    Back, "back", "Panes", "back to the stream; clear marks, then the filter", ["esc"];
    NextPane, "next-pane", "Panes", "next pane", ["tab"];
    PrevPane, "prev-pane", "Panes", "previous pane", ["backtab"];
    PaneStream, "stream", "Panes", "the stream", ["1"];
    PaneDetail, "detail", "Panes", "the detail pane", ["2"];
    PaneDrafts, "drafts", "Panes", "the drafts pane", ["3"];
    PaneStats, "stats", "Panes", "the stats pane", ["4"];
    Reply, "reply", "Triage", "write a reply (saved as you type)", ["r"];
    MarkOpen, "open", "Triage", "mark open (being handled)", ["O"];
    MarkResponded, "responded", "Triage", "mark responded", ["d"];
    MarkIgnored, "ignore", "Triage", "mark ignored", ["i"];
    MarkEscalated, "escalate", "Triage", "mark escalated", ["e"];
    MarkNew, "renew", "Triage", "mark new again", ["N"];
    Undo, "undo", "Triage", "undo your last change", ["u"];
    Assign, "assign", "Triage", "assign to an operator", ["a"];
    Tag, "tag", "Triage", "add a tag", ["t"];
    Untag, "untag", "Triage", "remove a tag", ["T"];
    Note, "note", "Triage", "add a note", ["n"];
    ToggleMark, "mark", "Bulk", "mark or unmark for a bulk action", ["space"];
    MarkAll, "mark-all", "Bulk", "mark everything the filter shows", ["*"];
    ClearMarks, "unmark-all", "Bulk", "clear all marks", ["-"];
    Search, "search", "Find", "search all history (words, \"phrases\", filters)", ["/"];
    FilterMenu, "filter", "Find", "quick filters: status, feed, tag, assignee, date, unread", ["f"];
    ClearFilter, "clear-filter", "Find", "show everything again", ["F"];
    Views, "views", "Find", "saved views from the config", ["v"];
    OpenLink, "open-link", "Share", "show the link as a hyperlink and copy it", ["o"];
    CopyText, "copy", "Share", "copy the mention's text", ["y"];
    StatsRange, "stats-range", "Panes", "stats pane: show 7, 14, 30 or 90 days", ["s"];
    CommandPrompt, "command", "General", "type a command by name", [":"];
    Help, "help", "General", "this help", ["?"];
    Redraw, "redraw", "General", "redraw the screen", ["ctrl-l"];
    Quit, "quit", "General", "quit", ["q"];
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
    map: HashMap<Key, Command>,
    keys: HashMap<Command, Vec<Key>>,
}

impl Default for Keymap {
    fn default() -> Self {
        Keymap::with_overrides(&[]).expect("the default keys parse")
    }
}

impl Keymap {
    /// The defaults with `overrides` (command name, keys) applied: a command given keys loses its
    /// default ones; a key taken by an override leaves the command it had.
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
            for other in keys.values_mut() {
                other.retain(|k| !parsed.contains(k));
            }
            keys.insert(cmd, parsed);
        }
        let mut map = HashMap::new();
        for info in COMMANDS {
            for k in &keys[&info.command] {
                map.insert(*k, info.command);
            }
        }
        Ok(Keymap { map, keys })
    }

    pub fn lookup(&self, e: &KeyEvent) -> Option<Command> {
        self.map.get(&Key::from_event(e)).copied()
    }

    /// The keys bound to a command, for help and hints ("j/↓").
    pub fn keys_for(&self, cmd: Command) -> String {
        self.keys
            .get(&cmd)
            .map(|ks| ks.iter().map(Key::to_string).collect::<Vec<_>>().join("/"))
            .unwrap_or_default()
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
        let mut seen = HashMap::new();
        for info in COMMANDS {
            for k in info.keys {
                let key = Key::parse(k).unwrap();
                assert!(seen.insert(key, info.name).is_none(), "{k} is bound twice");
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
                let shown = match *k {
                    "down" => "↓",
                    "up" => "↑",
                    "backtab" => "shift-tab",
                    "pagedown" => "pgdn",
                    "pageup" => "pgup",
                    other => other,
                };
                assert!(
                    readme.contains(&format!("`{shown}`")),
                    "README lacks the key {k} of {}",
                    c.name
                );
            }
        }
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
