//! Colours by role, not by widget. Readable in 16 colours; `NO_COLOR` turns every colour off and
//! keeps only bold, reverse and underline.

use ratatui::style::{Color, Modifier, Style};
use std::collections::HashMap;

#[derive(Debug, Clone, PartialEq)]
pub struct Theme {
    pub base: Style,
    pub muted: Style,
    pub accent: Style,
    pub selection: Style,
    pub marked: Style,
    pub unread: Style,
    pub ok: Style,
    pub warn: Style,
    pub error: Style,
    pub bar: Style,
    pub border: Style,
    pub border_focus: Style,
    pub new: Style,
    pub open: Style,
    pub responded: Style,
    pub ignored: Style,
    pub escalated: Style,
}

/// The roles a config's `[theme]` table may set.
pub const ROLES: &[&str] = &[
    "muted",
    "accent",
    "selection",
    "marked",
    "ok",
    "warn",
    "error",
    "bar",
    "border",
    "new",
    "open",
    "responded",
    "ignored",
    "escalated",
];

impl Default for Theme {
    fn default() -> Self {
        let fg = |c| Style::default().fg(c);
        Theme {
            base: Style::default(),
            muted: fg(Color::DarkGray),
            accent: fg(Color::Cyan),
            selection: Style::default().add_modifier(Modifier::REVERSED),
            marked: fg(Color::Yellow).add_modifier(Modifier::BOLD),
            unread: Style::default().add_modifier(Modifier::BOLD),
            ok: fg(Color::Green),
            warn: fg(Color::Yellow),
            error: fg(Color::Red).add_modifier(Modifier::BOLD),
            bar: Style::default().add_modifier(Modifier::REVERSED),
            border: fg(Color::DarkGray),
            border_focus: fg(Color::Cyan),
            new: fg(Color::Cyan),
            open: fg(Color::Yellow),
            responded: fg(Color::Green),
            ignored: fg(Color::DarkGray),
            escalated: fg(Color::Red),
        }
    }
}

impl Theme {
    /// No colour at all: only modifiers (for `NO_COLOR`).
    pub fn monochrome() -> Theme {
        let plain = Style::default();
        Theme {
            base: plain,
            muted: plain,
            accent: plain.add_modifier(Modifier::BOLD),
            selection: plain.add_modifier(Modifier::REVERSED),
            marked: plain.add_modifier(Modifier::UNDERLINED),
            unread: plain.add_modifier(Modifier::BOLD),
            ok: plain,
            warn: plain.add_modifier(Modifier::BOLD),
            error: plain.add_modifier(Modifier::BOLD),
            bar: plain.add_modifier(Modifier::REVERSED),
            border: plain,
            border_focus: plain.add_modifier(Modifier::BOLD),
            new: plain,
            open: plain,
            responded: plain,
            ignored: plain,
            escalated: plain.add_modifier(Modifier::BOLD),
        }
    }

    /// The default theme with the config's colours (role = colour name, index or #rrggbb).
    pub fn from_config(overrides: &HashMap<String, String>, no_color: bool) -> Result<Theme, String> {
        if no_color {
            return Ok(Theme::monochrome());
        }
        let mut t = Theme::default();
        for (role, value) in overrides {
            let color: Color = value.parse().map_err(|_| {
                format!("unknown colour {value:?} for {role}: use a name like \"cyan\" or \"lightred\", an index 0-255, or \"#rrggbb\"")
            })?;
            let slot = match role.as_str() {
                "muted" => &mut t.muted,
                "accent" => &mut t.accent,
                "selection" => {
                    t.selection = Style::default().bg(color).add_modifier(Modifier::BOLD);
                    continue;
                }
                "marked" => &mut t.marked,
                "ok" => &mut t.ok,
                "warn" => &mut t.warn,
                "error" => &mut t.error,
                "bar" => {
                    t.bar = Style::default().bg(color);
                    continue;
                }
                "border" => &mut t.border,
                "new" => &mut t.new,
                "open" => &mut t.open,
                "responded" => &mut t.responded,
                "ignored" => &mut t.ignored,
                "escalated" => &mut t.escalated,
                other => return Err(format!("unknown theme role {other:?} (roles: {})", ROLES.join(", "))),
            };
            *slot = slot.fg(color);
        }
        Ok(t)
    }

    pub fn status(&self, s: crate::model::Status) -> Style {
        use crate::model::Status::*;
        match s {
            New => self.new,
            Open => self.open,
            Responded => self.responded,
            Ignored => self.ignored,
            Escalated => self.escalated,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_parse_by_name_index_and_hex() {
        let mut m = HashMap::new();
        m.insert("accent".to_string(), "magenta".to_string());
        m.insert("muted".to_string(), "8".to_string());
        m.insert("ok".to_string(), "#00ff00".to_string());
        let t = Theme::from_config(&m, false).unwrap();
        assert_eq!(t.accent.fg, Some(Color::Magenta));
        assert_eq!(t.muted.fg, Some(Color::Indexed(8)));
        assert_eq!(t.ok.fg, Some(Color::Rgb(0, 255, 0)));
        m.insert("sparkle".to_string(), "red".to_string());
        assert!(
            Theme::from_config(&m, false)
                .unwrap_err()
                .contains("unknown theme role")
        );
    }

    #[test]
    fn no_color_has_no_colour() {
        let t = Theme::from_config(&HashMap::new(), true).unwrap();
        for s in [
            t.base,
            t.muted,
            t.accent,
            t.selection,
            t.marked,
            t.ok,
            t.warn,
            t.error,
            t.bar,
            t.new,
            t.escalated,
        ] {
            assert_eq!((s.fg, s.bg), (None, None));
        }
    }
}
