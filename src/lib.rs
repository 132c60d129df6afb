//! overhear: hear every public mention of your brand, triage it from the keyboard, answer it, and
//! measure how fast the team answers.
//!
//! The engine (`model`, `text`, `rules`, `query`, `sources`, `net`, `poller`, `store`, `team`,
//! `outbox`, `stats`, `export`) never names the terminal or a console module (a test below holds it); the
//! console (`app`, `ui`, `console`, `keymap`) reads the store and never waits on the network. `config`
//! and `cli` are the edges that wire both. ARCHITECTURE.md draws the whole.

pub mod app;
pub mod cli;
pub mod config;
pub mod console;
pub mod demo;
pub mod export;
pub mod keymap;
pub mod logging;
pub mod model;
pub mod net;
pub mod outbox;
pub mod paths;
pub mod poller;
pub mod query;
pub mod report;
pub mod rules;
pub mod score;
pub mod sources;
pub mod stats;
pub mod store;
pub mod team;
pub mod text;

pub mod timefmt;
pub mod ui;

/// The engine's modules: they must run headless (as `overhear poll`, as a service), so none of
/// them may name a terminal crate or a console module. Checked by `boundary` below.
#[cfg(test)]
const ENGINE: &[&str] = &[
    "model",
    "text",
    "rules.rs",
    "query",
    "timefmt.rs",
    "sources",
    "net",
    "poller",
    "outbox",
    "store",
    "team",
    "stats.rs",
    "export.rs",
    "report",
];

#[cfg(test)]
mod boundary {
    use std::path::{Path, PathBuf};

    /// What the engine must not name: the terminal crates, and every module of the console and
    /// of the edges (the config loader builds console settings; the CLI and demo wire it all).
    const FORBIDDEN: &[&str] = &[
        "ratatui",
        "crossterm",
        "ratatui_textarea",
        "crate::app",
        "crate::ui",
        "crate::console",
        "crate::keymap",
        "crate::config",
        "crate::cli",
        "crate::demo",
    ];

    fn files(p: &Path, out: &mut Vec<PathBuf>) {
        if p.is_dir() {
            for e in std::fs::read_dir(p).unwrap() {
                files(&e.unwrap().path(), out);
            }
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p.to_path_buf());
        }
    }

    /// The code of a file without comments and without `#[cfg(test)]` items (tests may build
    /// feeds from a config).
    fn code(text: &str) -> String {
        let mut out = String::new();
        let mut lines = text.lines();
        while let Some(line) = lines.next() {
            let t = line.trim_start();
            if t.starts_with("//") {
                continue;
            }
            if t.starts_with("#[cfg(test)]") {
                // Skip the next item: up to the brace that closes what it opens.
                let mut depth = 0i32;
                let mut opened = false;
                for l in lines.by_ref() {
                    depth += l.matches('{').count() as i32 - l.matches('}').count() as i32;
                    opened |= l.contains('{');
                    if (opened && depth <= 0) || (!opened && l.trim_end().ends_with(';')) {
                        break;
                    }
                }
                continue;
            }
            out.push_str(line.split("//").next().unwrap_or(""));
            out.push('\n');
        }
        out
    }

    #[test]
    fn the_engine_never_names_the_terminal_or_the_console() {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut all = Vec::new();
        for m in super::ENGINE {
            let p = src.join(m);
            assert!(p.exists(), "{} is listed as engine but does not exist", p.display());
            files(&p, &mut all);
        }
        assert!(all.len() > 20, "found the engine's files: {all:?}");
        let mut offences = Vec::new();
        for f in &all {
            let code = code(&std::fs::read_to_string(f).unwrap());
            for line in code.lines() {
                for bad in FORBIDDEN {
                    let named = line.match_indices(bad).any(|(i, _)| {
                        let after = line[i + bad.len()..].chars().next();
                        let before = line[..i].chars().next_back();
                        !after.is_some_and(|c| c.is_alphanumeric() || c == '_')
                            && !before.is_some_and(|c| c.is_alphanumeric() || c == '_')
                    });
                    if named {
                        offences.push(format!("{}: `{bad}` in: {}", f.display(), line.trim()));
                    }
                }
            }
        }
        assert!(
            offences.is_empty(),
            "the engine reaches the console:\n{}",
            offences.join("\n")
        );
    }

    #[test]
    fn the_check_catches_what_it_should() {
        let leaky = "use crate::model::X;\nuse ratatui::text::Line;\n// crossterm in a comment is fine\n";
        let stripped = code(leaky);
        assert!(stripped.contains("ratatui::text"));
        assert!(!stripped.contains("crossterm"));
        let tests = "fn a() {}\n#[cfg(test)]\nmod tests {\n    use crate::config::Config;\n}\nfn b() {}\n";
        let stripped = code(tests);
        assert!(!stripped.contains("crate::config"), "{stripped}");
        assert!(stripped.contains("fn b()"), "{stripped}");
    }
}
