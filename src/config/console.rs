//! The console's settings: mouse, keymap, theme, saved views, saved replies and signature. Only
//! the console reads these; the engine never sees them.

use super::{Located, Terms};
use crate::app::draft::Template;
use crate::config::ConfigError;
use crate::keymap::Keymap;
use crate::ui::theme::Theme;
use serde::Deserialize;
use std::collections::HashMap;
use toml::Spanned;

/// Settings of the console.
#[derive(Debug, Clone)]
pub struct ConsoleSettings {
    /// Scroll and click with the mouse (the keyboard is always enough).
    pub mouse: bool,
    pub keymap: Keymap,
    pub theme: Theme,
    pub views: Vec<View>,
    /// Saved replies from the config (bundled ones come first).
    pub templates: Vec<Template>,
    /// Appended to a saved reply when it is inserted.
    pub signature: Option<String>,
}

/// A saved view: a named filter, in the grammar of the `/` prompt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct View {
    pub name: String,
    pub filter: String,
}

/// The bundled view, unless the config has its own by that name.
pub const NEEDS_ATTENTION: &str = "needs attention";

/// Open, high-priority mentions first.
pub fn needs_attention() -> View {
    View {
        name: NEEDS_ATTENTION.into(),
        filter: "status:new,open priority>=25 sort:priority".into(),
    }
}

impl Default for ConsoleSettings {
    fn default() -> Self {
        ConsoleSettings {
            mouse: true,
            keymap: Keymap::default(),
            theme: Theme::from_config(&HashMap::new(), no_color()).expect("the default theme is valid"),
            views: vec![needs_attention()],
            templates: Vec::new(),
            signature: None,
        }
    }
}

/// `NO_COLOR` set to anything non-empty turns colour off (no-color.org).
pub fn no_color() -> bool {
    std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTemplate {
    name: Spanned<String>,
    body: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawView {
    name: Spanned<String>,
    filter: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawConsole {
    operator: Option<Spanned<String>>,
    mouse: Option<bool>,
    signature: Option<String>,
}

/// The console's tables of the config, as read.
pub(super) struct RawTables {
    pub console: Option<RawConsole>,
    pub keys: Option<HashMap<Spanned<String>, Terms>>,
    pub theme: Option<Spanned<HashMap<String, String>>>,
    pub view: Vec<Spanned<RawView>>,
    pub template: Vec<RawTemplate>,
}

/// Validate the console's tables; the operator's name comes back apart (the engine records it).
pub(super) fn validate(loc: &Located<'_>, raw: RawTables) -> Result<(Option<String>, ConsoleSettings), ConfigError> {
    let mut console = ConsoleSettings::default();
    let mut operator = None;
    if let Some(c) = raw.console {
        if let Some(op) = c.operator {
            let name = op.get_ref().trim();
            if name.is_empty() || name.chars().any(char::is_control) {
                return Err(loc.err(
                    Some(op.span()),
                    Some("console.operator".into()),
                    "must be a non-empty name without control characters",
                ));
            }
            operator = Some(name.to_string());
        }
        if let Some(m) = c.mouse {
            console.mouse = m;
        }
        console.signature = c.signature.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
    }
    if let Some(keys) = raw.keys {
        let mut overrides: Vec<(String, Vec<String>)> = Vec::new();
        for (name, terms) in keys {
            let entry = (name.get_ref().clone(), terms.into_vec());
            Keymap::with_overrides(std::slice::from_ref(&entry))
                .map_err(|m| loc.err(Some(name.span()), Some(format!("keys.{}", entry.0)), m))?;
            overrides.push(entry);
        }
        overrides.sort();
        console.keymap = Keymap::with_overrides(&overrides).expect("each entry was checked");
    }
    if let Some(theme) = raw.theme {
        let span = theme.span();
        console.theme = Theme::from_config(theme.get_ref(), no_color())
            .map_err(|m| loc.err(Some(span), Some("theme".into()), m))?;
    }
    for (i, t) in raw.template.into_iter().enumerate() {
        let name = t.name.get_ref().trim().to_string();
        if name.is_empty() || t.body.trim().is_empty() {
            return Err(loc.err(
                Some(t.name.span()),
                Some(format!("template[{}]", i + 1)),
                "needs a name and a body",
            ));
        }
        console.templates.push(Template {
            name,
            body: t.body.trim_end().to_string(),
        });
    }
    // The config's views first, the bundled one after.
    console.views.clear();
    for (i, v) in raw.view.into_iter().enumerate() {
        let v = v.into_inner();
        let name = v.name.get_ref().trim().to_string();
        if name.is_empty() {
            return Err(loc.err(
                Some(v.name.span()),
                Some(format!("view[{}].name", i + 1)),
                "must not be empty",
            ));
        }
        crate::query::StreamFilter::parse(v.filter.get_ref(), chrono::Utc::now()).map_err(|m| {
            loc.err(
                Some(v.filter.span()),
                Some(format!("view[{}].filter (view {name:?})", i + 1)),
                m,
            )
        })?;
        console.views.push(View {
            name,
            filter: v.filter.into_inner(),
        });
    }
    if !console.views.iter().any(|v| v.name == NEEDS_ATTENTION) {
        console.views.push(needs_attention());
    }
    Ok((operator, console))
}

#[cfg(test)]
mod tests {
    use crate::config::Config;
    use std::path::Path;

    #[test]
    fn keys_theme_and_views() {
        let c = Config::parse(
            Path::new("c.toml"),
            "[console]\nmouse = false\n\n[keys]\nresponded = \"r\"\ndown = [\"j\", \"ctrl-n\"]\n\n[theme]\naccent = \"magenta\"\n\n[[view]]\nname = \"open complaints today\"\nfilter = \"status:open tag:complaint since:today\"\n",
        )
        .unwrap();
        assert!(!c.console.mouse);
        assert_eq!(c.console.keymap.keys_for(crate::keymap::Command::MarkResponded), "r");
        assert_eq!(c.console.keymap.keys_for(crate::keymap::Command::Down), "j/ctrl-n");
        assert_eq!(c.console.views[0].name, "open complaints today");
    }

    #[test]
    fn bad_keys_themes_and_views_name_their_line() {
        let e = Config::parse(Path::new("c.toml"), "[keys]\nfly = \"x\"\n").unwrap_err();
        assert_eq!(e.line, Some(2), "{e}");
        assert!(e.message.contains("unknown command"), "{e}");
        let e = Config::parse(Path::new("c.toml"), "[theme]\naccent = \"blurple\"\n").unwrap_err();
        assert!(e.message.contains("unknown colour"), "{e}");
        let e = Config::parse(
            Path::new("c.toml"),
            "[[view]]\nname = \"x\"\nfilter = \"status:done\"\n",
        )
        .unwrap_err();
        assert_eq!(e.line, Some(3), "{e}");
        assert!(e.key.unwrap().contains("view[1].filter"));
    }
}
