//! The TOML config: feeds, poller limits, console settings. Errors name the file, the line and the key.

use crate::filter::Rules;
use crate::keymap::Keymap;
use crate::model::FeedKind;
use crate::theme::Theme;
use serde::Deserialize;
use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;
use toml::Spanned;
use url::Url;

/// The commented example written on first run.
pub const EXAMPLE: &str = include_str!("../assets/config.example.toml");

/// A config problem, located in its file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub path: PathBuf,
    /// 1-based line, when the problem has a place in the file.
    pub line: Option<usize>,
    /// The key at fault, when known (e.g. `feed[2].every`).
    pub key: Option<String>,
    pub message: String,
    /// The offending line of the file, for context.
    pub snippet: Option<String>,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        write!(f, ": ")?;
        if let Some(key) = &self.key {
            write!(f, "key `{key}`: ")?;
        }
        write!(f, "{}", self.message)?;
        if let (Some(line), Some(snippet)) = (self.line, &self.snippet) {
            write!(f, "\n  {line:>4} | {snippet}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigError {}

/// One configured feed, validated.
#[derive(Debug, Clone)]
pub struct FeedConfig {
    pub name: String,
    pub kind: FeedKind,
    pub query: Option<String>,
    /// For `rss` the feed's address; for other kinds an override of the service's endpoint.
    pub url: Option<Url>,
    pub every: Duration,
    pub rules: Rules,
    /// Name of the environment variable holding a token (never the token itself).
    pub token_env: Option<String>,
    /// Mastodon: follow this hashtag's timeline (without the #).
    pub tag: Option<String>,
    /// Bluesky: the account handle or DID that signs in.
    pub identifier: Option<String>,
    /// Stack Exchange: the site key (default "stackoverflow").
    pub site: Option<String>,
    /// Reddit: search inside this subreddit only.
    pub subreddit: Option<String>,
    /// json: where the fields are, by JSON pointer.
    pub map: Option<JsonMap>,
}

/// Where a generic JSON API keeps each field, as JSON pointers ("/data/items", "/id").
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JsonMap {
    /// The array of items, from the document's root.
    pub items: String,
    /// The rest are read from each item.
    pub id: Option<String>,
    pub url: Option<String>,
    pub author: Option<String>,
    pub title: Option<String>,
    pub text: String,
    pub time: Option<String>,
    /// "rfc3339" (default), "rfc2822", "unix", "unix_ms", or a chrono format like "%Y-%m-%d %H:%M:%S".
    pub time_format: Option<String>,
    pub reach: Option<String>,
    pub score: Option<String>,
    pub likes: Option<String>,
    pub reposts: Option<String>,
    pub replies: Option<String>,
    /// Text fields are HTML (converted to plain text).
    #[serde(default)]
    pub html: bool,
}

/// Limits of the HTTP poller.
#[derive(Debug, Clone, PartialEq)]
pub struct PollerConfig {
    pub concurrency: usize,
    pub connect_timeout: Duration,
    pub timeout: Duration,
    /// Largest body accepted, counted after decompression.
    pub max_body_bytes: u64,
}

impl Default for PollerConfig {
    fn default() -> Self {
        PollerConfig {
            concurrency: 8,
            connect_timeout: Duration::from_secs(10),
            timeout: Duration::from_secs(30),
            max_body_bytes: 8 * 1024 * 1024,
        }
    }
}

/// Settings of the console.
#[derive(Debug, Clone)]
pub struct ConsoleConfig {
    /// Who this operator is, recorded with every triage action.
    pub operator: String,
    /// Scroll and click with the mouse (the keyboard is always enough).
    pub mouse: bool,
    pub keymap: Keymap,
    pub theme: Theme,
    pub views: Vec<View>,
    /// Saved replies from the config (bundled ones come first).
    pub templates: Vec<crate::app::draft::Template>,
    /// Appended to a saved reply when it is inserted.
    pub signature: Option<String>,
}

/// A saved view: a named filter, in the grammar of the `/` prompt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct View {
    pub name: String,
    pub filter: String,
}

impl Default for ConsoleConfig {
    fn default() -> Self {
        let operator = std::env::var("USER")
            .or_else(|_| std::env::var("LOGNAME"))
            .ok()
            .filter(|u| !u.trim().is_empty())
            .unwrap_or_else(|| "operator".to_string());
        ConsoleConfig {
            operator,
            mouse: true,
            keymap: Keymap::default(),
            theme: Theme::from_config(&HashMap::new(), no_color()).expect("the default theme is valid"),
            views: Vec::new(),
            templates: Vec::new(),
            signature: None,
        }
    }
}

/// `NO_COLOR` set to anything non-empty turns colour off (no-color.org).
pub fn no_color() -> bool {
    std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
}

#[derive(Debug, Clone)]
pub struct Config {
    /// The first-response target that counts SLA breaches (`[stats] sla`).
    pub sla: Option<Duration>,
    /// Only these hours count towards the SLA (`[stats] business_hours`).
    pub business: Option<crate::stats::BusinessHours>,
    pub path: PathBuf,
    pub feeds: Vec<FeedConfig>,
    pub poller: PollerConfig,
    pub console: ConsoleConfig,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    poller: Option<RawPoller>,
    #[serde(default)]
    console: Option<RawConsole>,
    #[serde(default)]
    feed: Vec<Spanned<RawFeed>>,
    #[serde(default)]
    keys: Option<HashMap<Spanned<String>, Terms>>,
    #[serde(default)]
    theme: Option<Spanned<HashMap<String, String>>>,
    #[serde(default)]
    view: Vec<Spanned<RawView>>,
    #[serde(default)]
    template: Vec<RawTemplate>,
    #[serde(default)]
    stats: Option<RawStats>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStats {
    sla: Option<Spanned<String>>,
    business_hours: Option<Spanned<RawHours>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHours {
    days: String,
    start: String,
    end: String,
    tz: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTemplate {
    name: Spanned<String>,
    body: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawView {
    name: Spanned<String>,
    filter: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPoller {
    concurrency: Option<Spanned<i64>>,
    connect_timeout: Option<Spanned<String>>,
    timeout: Option<Spanned<String>>,
    max_body: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConsole {
    operator: Option<Spanned<String>>,
    mouse: Option<bool>,
    signature: Option<String>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Terms {
    One(String),
    Many(Vec<String>),
}

impl Terms {
    fn into_vec(self) -> Vec<String> {
        match self {
            Terms::One(s) => vec![s],
            Terms::Many(v) => v,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFeed {
    name: Spanned<String>,
    kind: Spanned<String>,
    query: Option<Spanned<String>>,
    url: Option<Spanned<String>>,
    every: Option<Spanned<String>>,
    include: Option<Spanned<Terms>>,
    exclude: Option<Spanned<Terms>>,
    token_env: Option<Spanned<String>>,
    tag: Option<Spanned<String>>,
    identifier: Option<Spanned<String>>,
    site: Option<Spanned<String>>,
    subreddit: Option<Spanned<String>>,
    map: Option<Spanned<JsonMap>>,
}

struct Located<'a> {
    path: &'a Path,
    text: &'a str,
}

impl Located<'_> {
    fn err(
        &self,
        span: Option<std::ops::Range<usize>>,
        key: Option<String>,
        message: impl Into<String>,
    ) -> ConfigError {
        let (line, snippet) = match span {
            Some(span) => {
                let start = span.start.min(self.text.len());
                let line = self.text[..start].matches('\n').count() + 1;
                let snippet = self.text.lines().nth(line - 1).map(|l| l.trim_end().to_string());
                (Some(line), snippet)
            }
            None => (None, None),
        };
        ConfigError {
            path: self.path.to_path_buf(),
            line,
            key,
            message: message.into(),
            snippet,
        }
    }
}

/// Parse a duration such as "90s", "5m", "1h 30m".
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    humantime::parse_duration(s.trim())
        .map_err(|e| format!("invalid duration {s:?} ({e}); write e.g. \"90s\", \"5m\" or \"1h\""))
}

fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: u64 = num
        .parse()
        .map_err(|_| format!("invalid size {s:?}; write e.g. \"8MiB\" or \"512KiB\""))?;
    let mult = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1024,
        "m" | "mb" | "mib" => 1024 * 1024,
        "g" | "gb" | "gib" => 1024 * 1024 * 1024,
        _ => return Err(format!("invalid size unit in {s:?}; use B, KiB, MiB or GiB")),
    };
    Ok(n * mult)
}

impl Config {
    /// Read and validate the config at `path`.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
            path: path.to_path_buf(),
            line: None,
            key: None,
            message: format!("cannot read the config: {e}"),
            snippet: None,
        })?;
        Config::parse(path, &text)
    }

    /// Validate config text; `path` is only used in errors.
    pub fn parse(path: &Path, text: &str) -> Result<Config, ConfigError> {
        let loc = Located { path, text };
        let raw: RawConfig = toml::from_str(text).map_err(|e| {
            let msg = e.message().trim().to_string();
            // serde names the unknown field in the message; the span points at it.
            loc.err(e.span(), None, msg)
        })?;

        let mut poller = PollerConfig::default();
        if let Some(p) = raw.poller {
            if let Some(c) = p.concurrency {
                let v = *c.get_ref();
                if !(1..=64).contains(&v) {
                    return Err(loc.err(
                        Some(c.span()),
                        Some("poller.concurrency".into()),
                        format!("must be between 1 and 64, not {v}"),
                    ));
                }
                poller.concurrency = v as usize;
            }
            for (field, target, key) in [
                (p.connect_timeout, &mut poller.connect_timeout, "poller.connect_timeout"),
                (p.timeout, &mut poller.timeout, "poller.timeout"),
            ] {
                if let Some(v) = field {
                    *target = parse_duration(v.get_ref()).map_err(|m| loc.err(Some(v.span()), Some(key.into()), m))?;
                    if target.is_zero() {
                        return Err(loc.err(Some(v.span()), Some(key.into()), "must be longer than zero"));
                    }
                }
            }
            if let Some(v) = p.max_body {
                poller.max_body_bytes =
                    parse_size(v.get_ref()).map_err(|m| loc.err(Some(v.span()), Some("poller.max_body".into()), m))?;
            }
        }

        let mut console = ConsoleConfig::default();
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
                console.operator = name.to_string();
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
            console.templates.push(crate::app::draft::Template {
                name,
                body: t.body.trim_end().to_string(),
            });
        }
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

        let mut feeds = Vec::with_capacity(raw.feed.len());
        let mut seen: HashMap<String, usize> = HashMap::new();
        for (i, spanned) in raw.feed.into_iter().enumerate() {
            let table_span = spanned.span();
            let f = spanned.into_inner();
            let name = f.name.get_ref().trim().to_string();
            let key = |k: &str| Some(format!("feed[{}].{k} (feed {name:?})", i + 1));
            if name.is_empty() {
                return Err(loc.err(
                    Some(f.name.span()),
                    Some(format!("feed[{}].name", i + 1)),
                    "must not be empty",
                ));
            }
            if name.chars().any(char::is_control) {
                return Err(loc.err(Some(f.name.span()), key("name"), "must not contain control characters"));
            }
            if let Some(first_line) = seen.get(&name) {
                return Err(loc.err(
                    Some(f.name.span()),
                    key("name"),
                    format!("another feed already has this name (line {first_line}); names must be unique"),
                ));
            }
            let name_line = text[..f.name.span().start.min(text.len())].matches('\n').count() + 1;
            seen.insert(name.clone(), name_line);

            let kind: FeedKind = f
                .kind
                .get_ref()
                .trim()
                .parse()
                .map_err(|m: String| loc.err(Some(f.kind.span()), key("kind"), m))?;

            let query = f
                .query
                .as_ref()
                .map(|q| q.get_ref().trim().to_string())
                .filter(|q| !q.is_empty());
            if kind.needs_query() && query.is_none() {
                let span = f.query.as_ref().map(|q| q.span()).unwrap_or(table_span.clone());
                return Err(loc.err(
                    Some(span),
                    key("query"),
                    format!("a {kind} feed needs `query`, the search terms"),
                ));
            }

            let url = match &f.url {
                Some(u) => {
                    let parsed = Url::parse(u.get_ref().trim())
                        .map_err(|e| loc.err(Some(u.span()), key("url"), format!("not a valid URL: {e}")))?;
                    if !matches!(parsed.scheme(), "http" | "https") {
                        return Err(loc.err(
                            Some(u.span()),
                            key("url"),
                            format!("must be http or https, not {}", parsed.scheme()),
                        ));
                    }
                    Some(parsed)
                }
                None => None,
            };
            if kind.url_is_feed() && url.is_none() {
                return Err(loc.err(
                    Some(table_span.clone()),
                    key("url"),
                    format!("a {kind} feed needs `url`, the feed's address"),
                ));
            }

            let every = match &f.every {
                Some(e) => {
                    let d = parse_duration(e.get_ref()).map_err(|m| loc.err(Some(e.span()), key("every"), m))?;
                    if d < Duration::from_secs(1) {
                        return Err(loc.err(Some(e.span()), key("every"), "must be at least 1s"));
                    }
                    d
                }
                None => kind.default_every(),
            };

            let include = f.include.map(|t| (t.span(), t.into_inner().into_vec()));
            let exclude = f.exclude.map(|t| (t.span(), t.into_inner().into_vec()));
            let empty = (0..0, Vec::new());
            let (inc_span, inc) = include.unwrap_or_else(|| empty.clone());
            let (exc_span, exc) = exclude.unwrap_or(empty);
            let rules = Rules::new(&inc, &[]).map_err(|e| loc.err(Some(inc_span), key("include"), e.to_string()))?;
            Rules::new(&[], &exc).map_err(|e| loc.err(Some(exc_span), key("exclude"), e.to_string()))?;
            let rules = if exc.is_empty() {
                rules
            } else {
                Rules::new(&inc, &exc).expect("both halves validated")
            };

            let token_env = match &f.token_env {
                Some(t) => {
                    let v = t.get_ref().trim();
                    if v.is_empty() || !v.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                        return Err(loc.err(
                            Some(t.span()),
                            key("token_env"),
                            "must be the NAME of an environment variable (letters, digits, _), never the token itself",
                        ));
                    }
                    Some(v.to_string())
                }
                None => None,
            };

            let word = |v: &Option<Spanned<String>>, k: &str| -> Result<Option<String>, ConfigError> {
                match v {
                    Some(v) => {
                        let t = v
                            .get_ref()
                            .trim()
                            .trim_start_matches(['#', '@'])
                            .trim_start_matches("r/")
                            .to_string();
                        if t.is_empty() || t.chars().any(|c| c.is_whitespace() || c.is_control() || c == '/') {
                            return Err(loc.err(Some(v.span()), key(k), "must be one word"));
                        }
                        Ok(Some(t))
                    }
                    None => Ok(None),
                }
            };
            let tag = word(&f.tag, "tag")?;
            let identifier = word(&f.identifier, "identifier")?;
            let site = word(&f.site, "site")?;
            let subreddit = word(&f.subreddit, "subreddit")?;
            let map = f.map.map(|m| m.into_inner());
            let needs = |what: &str, present: bool| -> Result<(), ConfigError> {
                if present {
                    Ok(())
                } else {
                    Err(loc.err(
                        Some(table_span.clone()),
                        key(what),
                        format!("a {kind} feed needs `{what}`"),
                    ))
                }
            };
            match kind {
                FeedKind::Mastodon => {
                    if tag.is_none() && query.is_none() {
                        return Err(loc.err(
                            Some(table_span.clone()),
                            key("tag"),
                            "a mastodon feed needs `tag` (a hashtag timeline) or `query` (status search, with `token_env`)",
                        ));
                    }
                    if tag.is_none() && token_env.is_none() {
                        return Err(loc.err(
                            Some(table_span.clone()),
                            key("token_env"),
                            "Mastodon's status search needs a user token: set `token_env`, or follow a `tag` instead",
                        ));
                    }
                }
                FeedKind::Bluesky => {
                    needs("identifier", identifier.is_some())?;
                    needs("token_env", token_env.is_some())?;
                }
                FeedKind::X => needs("token_env", token_env.is_some())?,
                FeedKind::Discourse => needs("url", url.is_some())?,
                FeedKind::Json => needs("map", map.is_some())?,
                _ => {}
            }
            feeds.push(FeedConfig {
                name,
                kind,
                query,
                url,
                every,
                rules,
                token_env,
                tag,
                identifier,
                site,
                subreddit,
                map,
            });
        }

        let (stats_sla, hours) = match raw.stats {
            Some(s) => (s.sla, s.business_hours),
            None => (None, None),
        };
        let business = match hours {
            Some(h) => {
                let span = h.span();
                let h = h.into_inner();
                Some(
                    crate::stats::BusinessHours::parse(&h.days, &h.start, &h.end, &h.tz)
                        .map_err(|m| loc.err(Some(span), Some("stats.business_hours".into()), m))?,
                )
            }
            None => None,
        };
        let sla = match stats_sla {
            Some(v) => {
                Some(parse_duration(v.get_ref()).map_err(|m| loc.err(Some(v.span()), Some("stats.sla".into()), m))?)
            }
            None => None,
        };
        Ok(Config {
            sla,
            business,
            path: path.to_path_buf(),
            feeds,
            poller,
            console,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::parse(Path::new("/tmp/c.toml"), text)
    }

    #[test]
    fn the_bundled_example_is_valid() {
        let c = parse(EXAMPLE).expect("example config parses");
        assert_eq!(c.poller, PollerConfig::default());
        assert!(c.console.mouse);
    }

    #[test]
    fn a_full_feed_parses() {
        let c = parse(
            r#"
[poller]
concurrency = 4
timeout = "20s"
max_body = "2MiB"

[console]
operator = "alice"

[[feed]]
name = "hn"
kind = "hackernews"
query = "acme"
every = "90s"
include = ["acme", "\"acme corp\""]
exclude = "hiring"

[[feed]]
name = "blog"
kind = "rss"
url = "https://example.com/feed.xml"
"#,
        )
        .unwrap();
        assert_eq!(c.poller.concurrency, 4);
        assert_eq!(c.poller.timeout, Duration::from_secs(20));
        assert_eq!(c.poller.max_body_bytes, 2 * 1024 * 1024);
        assert_eq!(c.console.operator, "alice");
        assert_eq!(c.feeds.len(), 2);
        assert_eq!(c.feeds[0].every, Duration::from_secs(90));
        assert!(c.feeds[0].rules.allows("Acme Corp rocks", "", ""));
        assert!(!c.feeds[0].rules.allows("acme is hiring", "", ""));
        assert_eq!(c.feeds[1].every, FeedKind::Rss.default_every());
    }

    #[test]
    fn unknown_key_names_line_and_key() {
        let e = parse("[[feed]]\nname = \"a\"\nkind = \"rss\"\nurl = \"http://x/\"\nevry = \"5m\"\n").unwrap_err();
        assert_eq!(e.line, Some(5), "{e}");
        assert!(e.message.contains("evry"), "{e}");
        assert!(e.to_string().starts_with("/tmp/c.toml:5: "), "{e}");
    }

    #[test]
    fn bad_values_name_line_and_key() {
        let e =
            parse("[[feed]]\nname = \"a\"\nkind = \"rss\"\nurl = \"http://x/\"\nevery = \"5 parsecs\"\n").unwrap_err();
        assert_eq!(e.line, Some(5));
        assert_eq!(e.key.as_deref(), Some("feed[1].every (feed \"a\")"));

        let e = parse("[[feed]]\nname = \"a\"\nkind = \"rsss\"\nurl = \"http://x/\"\n").unwrap_err();
        assert_eq!(e.line, Some(3));
        assert!(e.message.contains("known kinds"), "{e}");

        let e = parse("[[feed]]\nname = \"a\"\nkind = \"rss\"\nurl = \"ftp://x/\"\n").unwrap_err();
        assert_eq!(e.line, Some(4));

        let e = parse("[[feed]]\nname = \"a\"\nkind = \"hackernews\"\n").unwrap_err();
        assert!(e.message.contains("needs `query`"), "{e}");

        let e =
            parse("[[feed]]\nname = \"a\"\nkind = \"rss\"\nurl = \"http://x/\"\ninclude = \"\\\"open\"\n").unwrap_err();
        assert_eq!(e.line, Some(5));
        assert!(e.key.unwrap().contains("include"));

        let e = parse("[[feed]]\nname = \"a\"\nkind = \"rss\"\nurl = \"http://x/\"\ntoken_env = \"sk-abc.123\"\n")
            .unwrap_err();
        assert!(e.message.contains("never the token"), "{e}");

        let e = parse("[poller]\nconcurrency = 0\n").unwrap_err();
        assert_eq!(e.line, Some(2));
    }

    #[test]
    fn duplicate_names_point_at_the_second() {
        let e = parse("[[feed]]\nname = \"a\"\nkind = \"rss\"\nurl = \"http://x/\"\n\n[[feed]]\nname = \"a\"\nkind = \"rss\"\nurl = \"http://y/\"\n").unwrap_err();
        assert_eq!(e.line, Some(7));
        assert!(e.message.contains("line 2"), "{e}");
    }

    #[test]
    fn syntax_errors_have_a_line() {
        let e = parse("[[feed]\nname = \"a\"\n").unwrap_err();
        assert_eq!(e.line, Some(1), "{e}");
    }
}

#[cfg(test)]
mod console_tests {
    use super::*;

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
