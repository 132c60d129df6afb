//! The config file, read in one place and handed out in two halves: engine settings (feeds,
//! poller limits, the operator, SLA and business hours) that the poller, the outbox and stats
//! read, and console settings (keys, theme, views, saved replies) that only the console reads.
//! Errors name the file, the line and the key, and quote the line.
//!
//! - `feeds.rs`: the `[[feed]]` tables into [`FeedConfig`].
//! - `console.rs`: `[console]`, `[keys]`, `[theme]`, `[[view]]`, `[[template]]`.
//! - this file: the whole file's shape, `[poller]` and `[stats]`.

mod console;
mod feeds;

pub use console::{ConsoleSettings, View, no_color};

use crate::model::FeedConfig;
use crate::poller::PollerConfig;
use crate::stats::BusinessHours;
use serde::Deserialize;
use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;
use toml::Spanned;

/// The commented example written on first run.
pub const EXAMPLE: &str = include_str!("../../assets/config.example.toml");

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

/// At most [`SNIPPET_CHARS`] of a line, around `column` (in characters): a line of a hundred
/// thousand brackets is shown as the part where the problem is.
fn around(line: &str, column: usize) -> String {
    let n = line.chars().count();
    if n <= SNIPPET_CHARS {
        return line.to_string();
    }
    let start = column.saturating_sub(SNIPPET_CHARS / 3).min(n - SNIPPET_CHARS);
    let part: String = line.chars().skip(start).take(SNIPPET_CHARS).collect();
    let before = if start > 0 { "…" } else { "" };
    let after = if start + SNIPPET_CHARS < n { "…" } else { "" };
    format!("{before}{part}{after}")
}

/// How much of a line an error shows.
const SNIPPET_CHARS: usize = 100;

/// The whole config, validated.
#[derive(Debug, Clone)]
pub struct Config {
    pub path: PathBuf,
    /// Who this process acts as, recorded with every action (`[console] operator`, else the
    /// login name).
    pub operator: String,
    pub feeds: Vec<FeedConfig>,
    pub poller: PollerConfig,
    /// The first-response target that counts SLA breaches (`[stats] sla`).
    pub sla: Option<Duration>,
    /// Only these hours count towards the SLA (`[stats] business_hours`).
    pub business: Option<BusinessHours>,
    pub console: ConsoleSettings,
    /// What in the config works but deserves a word (a secret-looking URL), for stderr and the log.
    pub warnings: Vec<String>,
    /// `database = …`: the database to use when `--db` does not say.
    pub database: Option<PathBuf>,
    pub team: TeamSettings,
    /// `[value]`: what answering a mention of each intent is worth, for the report's estimate.
    pub value: Option<crate::report::Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    poller: Option<RawPoller>,
    #[serde(default)]
    console: Option<console::RawConsole>,
    #[serde(default)]
    feed: Vec<Spanned<feeds::RawFeed>>,
    #[serde(default)]
    keys: Option<HashMap<Spanned<String>, Terms>>,
    #[serde(default)]
    theme: Option<Spanned<HashMap<String, String>>>,
    #[serde(default)]
    view: Vec<Spanned<console::RawView>>,
    #[serde(default)]
    template: Vec<console::RawTemplate>,
    #[serde(default)]
    stats: Option<RawStats>,
    /// The database (a team's, shared): `database = "/srv/overhear/team.db"`.
    #[serde(default)]
    database: Option<Spanned<String>>,
    /// The environment variable holding a PostgreSQL database's password (read on its own by
    /// [`password_env_of`]).
    #[serde(default)]
    #[expect(dead_code, reason = "read by password_env_of before the config is loaded")]
    password_env: Option<toml::Value>,
    #[serde(default)]
    team: Option<RawTeam>,
    #[serde(default)]
    rule: Vec<Spanned<RawRule>>,
    #[serde(default)]
    alert: Vec<Spanned<RawAlert>>,
    /// Intent term lists replacing the defaults (`assets/intent.toml`), list by list.
    #[serde(default)]
    intent: Option<RawIntent>,
    /// The priority's weights (`score::priority::Weights`; each defaults).
    #[serde(default)]
    priority: Option<crate::score::priority::Weights>,
    /// One story seen in many places (`score::story`).
    #[serde(default)]
    stories: Option<Spanned<RawStories>>,
    /// Our own accounts, whose posts' engagement is kept.
    #[serde(default)]
    account: Vec<Spanned<RawAccount>>,
    /// What an answered mention is worth to the business, per intent (an estimate).
    #[serde(default)]
    value: Option<Spanned<toml::Table>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAccount {
    name: Option<String>,
    kind: Spanned<String>,
    handle: Spanned<String>,
    url: Option<Spanned<String>>,
    token_env: Option<String>,
    every: Option<Spanned<String>>,
    fresh: Option<Spanned<String>>,
    keep: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStories {
    /// How alike two titles are (word pairs in common, 0–1) to be one story.
    similarity: Option<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIntent {
    complaint: Option<Vec<String>>,
    question: Option<Vec<String>>,
    praise: Option<Vec<String>>,
    purchase: Option<Vec<String>>,
    cancel: Option<Vec<String>>,
}

impl RawIntent {
    /// The default lists with the given ones in their place.
    fn terms(self) -> crate::score::intent::Terms {
        let d = crate::score::intent::Terms::default();
        crate::score::intent::Terms {
            complaint: self.complaint.unwrap_or(d.complaint),
            question: self.question.unwrap_or(d.question),
            praise: self.praise.unwrap_or(d.praise),
            purchase: self.purchase.unwrap_or(d.purchase),
            cancel: self.cancel.unwrap_or(d.cancel),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSpike {
    window: Option<String>,
    baseline: Option<String>,
    factor: Option<f64>,
    min: Option<i64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSla {
    before: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAlert {
    name: Spanned<String>,
    when: Option<Spanned<String>>,
    operators: Option<Vec<String>>,
    bell: Option<bool>,
    notify: Option<bool>,
    spike: Option<Spanned<RawSpike>>,
    sla: Option<Spanned<RawSla>>,
    command: Option<Spanned<Vec<String>>>,
    timeout: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    name: Spanned<String>,
    when: Spanned<String>,
    tag: Option<Spanned<Terms>>,
    status: Option<Spanned<String>>,
    assign: Option<Spanned<Terms>>,
    alert: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTeam {
    approval: Option<bool>,
    approvers: Option<Vec<String>>,
    operator_names: Option<Spanned<String>>,
}

/// How a team works together (`[team]`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TeamSettings {
    /// Replies by operators outside `approvers` wait for an approver.
    pub approval: bool,
    pub approvers: Vec<String>,
    /// `operator_names = "unix"`: actions are recorded under each person's Unix user, and
    /// `--operator` or `[console] operator` may not name anyone else.
    pub unix_names_only: bool,
}

impl TeamSettings {
    /// Whether `operator`'s replies wait for an approver.
    pub fn needs_approval(&self, operator: &str) -> bool {
        self.approval && !self.approvers.iter().any(|a| a == operator)
    }
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
struct RawPoller {
    concurrency: Option<Spanned<i64>>,
    /// Requests in flight to one host at once.
    per_host: Option<Spanned<i64>>,
    connect_timeout: Option<Spanned<String>>,
    timeout: Option<Spanned<String>>,
    max_body: Option<Spanned<String>>,
    /// How long a reply we sent is watched for answers.
    follow_up: Option<Spanned<String>>,
}

/// One string or a list of them.
#[derive(Deserialize)]
#[serde(untagged)]
pub(crate) enum Terms {
    One(String),
    Many(Vec<String>),
}

impl Terms {
    pub fn into_vec(self) -> Vec<String> {
        match self {
            Terms::One(s) => vec![s],
            Terms::Many(v) => v,
        }
    }
}

pub(crate) struct Located<'a> {
    pub path: &'a Path,
    pub text: &'a str,
}

impl Located<'_> {
    /// The 1-based line a byte offset is on.
    pub fn line_of(&self, offset: usize) -> usize {
        self.text[..offset.min(self.text.len())].matches('\n').count() + 1
    }

    pub fn err(
        &self,
        span: Option<std::ops::Range<usize>>,
        key: Option<String>,
        message: impl Into<String>,
    ) -> ConfigError {
        let (line, snippet) = match span {
            Some(span) => {
                let line = self.line_of(span.start);
                let starts_at = self.text[..span.start.min(self.text.len())]
                    .rfind('\n')
                    .map_or(0, |i| i + 1);
                let column = self.text.get(starts_at..span.start).map_or(0, |s| s.chars().count());
                let snippet = self
                    .text
                    .lines()
                    .nth(line - 1)
                    .map(|l| around(&redact_line(&crate::text::sanitize_line(l.trim_end())), column));
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

pub use crate::text::looks_secret;

/// A config line as shown in an error, with a secret's value hidden: the value of a key named
/// like a credential, or any value that looks like one.
pub fn redact_line(line: &str) -> String {
    let Some((key, value)) = line.split_once('=') else {
        return line.to_string();
    };
    let k = key.to_ascii_lowercase();
    let named = ["token", "secret", "password", "passwd", "api_key", "apikey", "bearer"]
        .iter()
        .any(|w| k.contains(w))
        && !k.contains("token_env");
    let unquoted = value.trim().trim_matches(['"', '\'']);
    if named || looks_secret(unquoted) {
        format!("{}= \"…\" (hidden: it looks like a secret)", key)
    } else {
        line.to_string()
    }
}

/// Query parameters of a URL that look like they carry a credential.
pub fn secret_params(url: &url::Url) -> Vec<String> {
    url.query_pairs()
        .filter(|(k, v)| {
            let k = k.to_ascii_lowercase();
            [
                "token",
                "key",
                "secret",
                "password",
                "auth",
                "sig",
                "signature",
                "api_key",
                "apikey",
                "access_token",
            ]
            .iter()
            .any(|w| k == *w || k.ends_with(&format!("_{w}")))
                || looks_secret(v)
        })
        .map(|(k, _)| k.into_owned())
        .collect()
}

/// Parse a duration such as "90s", "5m", "1h 30m".
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    humantime::parse_duration(s.trim())
        .map_err(|e| format!("invalid duration {s:?} ({e}); write e.g. \"90s\", \"5m\" or \"1h\""))
}

/// Parse a size such as "8MiB", "512 KiB" or "2MB".
fn parse_size(s: &str) -> Result<u64, String> {
    s.trim()
        .parse::<bytesize::ByteSize>()
        .map(|b| b.as_u64())
        .map_err(|_| format!("invalid size {s:?}; write e.g. \"8MiB\" or \"512KiB\""))
}

/// The login name of the user running this process (`$USER`, then `$LOGNAME`), else "operator".
/// The operator's name when the config does not give one: the Unix user, from the process's uid
/// (not `$USER`, which anyone can set).
pub fn login_name() -> String {
    crate::team::unix_user()
}

/// `database = "…"` of config text, resolved: `~/` is the home directory, a relative path is
/// relative to the config file. Read on its own so commands find the database without the rest.
pub fn database_of(path: &Path, text: &str) -> Result<Option<PathBuf>, ConfigError> {
    let loc = Located { path, text };
    #[derive(Deserialize)]
    struct Only {
        database: Option<Spanned<toml::Value>>,
    }
    let only: Only = toml::from_str(text).map_err(|e| loc.err(e.span(), None, e.message().trim().to_string()))?;
    let Some(v) = only.database else { return Ok(None) };
    let span = v.span();
    match v.into_inner() {
        toml::Value::String(s) => Ok(Some(
            resolve_database(path, &s).map_err(|m| loc.err(Some(span), Some("database".into()), m))?,
        )),
        _ => Err(loc.err(
            Some(span),
            Some("database".into()),
            "must be a path in quotes, like \"/srv/overhear/team.db\"",
        )),
    }
}

/// `password_env = "VAR"` in the config, if it is set: the environment variable holding a
/// PostgreSQL database's password.
pub fn password_env_of(path: &Path, text: &str) -> Result<Option<String>, ConfigError> {
    let loc = Located { path, text };
    #[derive(Deserialize)]
    struct Only {
        password_env: Option<Spanned<toml::Value>>,
    }
    let only: Only = toml::from_str(text).map_err(|e| loc.err(e.span(), None, e.message().trim().to_string()))?;
    let Some(v) = only.password_env else { return Ok(None) };
    let span = v.span();
    match v.into_inner() {
        toml::Value::String(s) if !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') => {
            Ok(Some(s))
        }
        _ => Err(loc.err(
            Some(span),
            Some("password_env".into()),
            "must be the name of an environment variable in quotes, like \"OVERHEAR_PG_PASSWORD\"",
        )),
    }
}

fn resolve_database(config: &Path, s: &str) -> Result<PathBuf, String> {
    let s = s.trim();
    if s.is_empty() {
        return Err("is empty; write the database's path, like \"/srv/overhear/team.db\"".into());
    }
    if crate::store::postgres::is_url(s) {
        // A PostgreSQL database, as it is written.
        return Ok(PathBuf::from(s));
    }
    if let Some(rest) = s.strip_prefix("~/") {
        let home = directories::BaseDirs::new().ok_or("~ cannot be resolved: no home directory")?;
        return Ok(home.home_dir().join(rest));
    }
    let p = PathBuf::from(s);
    Ok(if p.is_absolute() {
        p
    } else {
        config.parent().unwrap_or(Path::new(".")).join(p)
    })
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
        let poller = validate_poller(&loc, raw.poller)?;
        let (operator, console) = console::validate(
            &loc,
            console::RawTables {
                console: raw.console,
                keys: raw.keys,
                theme: raw.theme,
                view: raw.view,
                template: raw.template,
            },
        )?;
        let feeds = feeds::validate(&loc, raw.feed)?;
        let mut poller = poller;
        poller.alerts = validate_alerts(&loc, raw.alert)?;
        poller.rules = validate_rules(&loc, raw.rule, &poller.alerts)?;
        if let Some(i) = raw.intent {
            poller.scorer = std::sync::Arc::new(crate::score::Scorer::new(&i.terms()));
        }
        if let Some(w) = raw.priority {
            std::sync::Arc::make_mut(&mut poller.scorer).weights = w;
        }
        poller.similarity = validate_stories(&loc, raw.stories)?;
        poller.accounts = validate_accounts(&loc, raw.account)?;
        let value = validate_value(&loc, raw.value)?;
        let (sla, business) = validate_stats(&loc, raw.stats)?;
        poller.sla = sla;
        poller.business = business.clone();
        let database = match raw.database {
            Some(d) => {
                let span = d.span();
                Some(resolve_database(path, d.get_ref()).map_err(|m| loc.err(Some(span), Some("database".into()), m))?)
            }
            None => None,
        };
        let team = validate_team(&loc, raw.team)?;
        let operator = if team.unix_names_only {
            login_name()
        } else {
            operator.unwrap_or_else(login_name)
        };
        let warnings = feeds
            .iter()
            .filter_map(|f| {
                let params = secret_params(f.url.as_ref()?);
                (!params.is_empty()).then(|| {
                    format!(
                        "feed {:?}: its url carries what looks like a secret ({}); it is sent to that server only, \
                         and overhear resolves no link against it, but a token belongs in `token_env`",
                        f.name,
                        params.join(", ")
                    )
                })
            })
            .collect();
        Ok(Config {
            warnings,
            path: path.to_path_buf(),
            operator,
            feeds,
            poller,
            sla,
            business,
            console,
            database,
            team,
            value,
        })
    }
}

/// `[[rule]]` tables: a name, a query, and what to do.
/// `[team]`.
fn validate_team(loc: &Located<'_>, raw: Option<RawTeam>) -> Result<TeamSettings, ConfigError> {
    let Some(t) = raw else {
        return Ok(TeamSettings::default());
    };
    Ok(TeamSettings {
        approval: t.approval.unwrap_or(false),
        approvers: t.approvers.unwrap_or_default(),
        unix_names_only: match t.operator_names {
            None => false,
            Some(v) => match v.get_ref().as_str() {
                "unix" => true,
                "any" => false,
                other => {
                    return Err(loc.err(
                        Some(v.span()),
                        Some("team.operator_names".into()),
                        format!("must be \"unix\" (each person's Unix user) or \"any\", not {other:?}"),
                    ));
                }
            },
        },
    })
}

/// An alert's `spike = { window, baseline, factor, min }`.
fn validate_spike(loc: &Located<'_>, i: usize, s: Spanned<RawSpike>) -> Result<crate::rules::Spike, ConfigError> {
    let span = s.span();
    let s = s.into_inner();
    let key = Some(format!("alert[{}].spike", i + 1));
    let dur = |v: Option<String>, default: u64| -> Result<std::time::Duration, ConfigError> {
        match v {
            Some(v) => parse_duration(&v).map_err(|m| loc.err(Some(span.clone()), key.clone(), m)),
            None => Ok(std::time::Duration::from_secs(default)),
        }
    };
    let spike = crate::rules::Spike {
        window: dur(s.window, 3600)?,
        baseline: dur(s.baseline, 24 * 3600)?,
        factor: s.factor.unwrap_or(3.0),
        min: s.min.unwrap_or(10),
    };
    if spike.baseline < spike.window * 2 || spike.factor.is_nan() || spike.factor < 1.0 || spike.min < 1 {
        return Err(loc.err(
            Some(span),
            key,
            "the baseline must hold at least two windows, factor at least 1, min at least 1",
        ));
    }
    Ok(spike)
}

/// `[[alert]]` tables: a name, what raises it, who hears it.
fn validate_alerts(loc: &Located<'_>, raw: Vec<Spanned<RawAlert>>) -> Result<Vec<crate::rules::Alert>, ConfigError> {
    let mut alerts: Vec<crate::rules::Alert> = Vec::new();
    for (i, a) in raw.into_iter().enumerate() {
        let a = a.into_inner();
        let key = |k: &str| Some(format!("alert[{}].{k}", i + 1));
        let name = a.name.get_ref().trim().to_string();
        if name.is_empty() || name.contains(char::is_whitespace) {
            return Err(loc.err(Some(a.name.span()), key("name"), "must be one word, like \"vip\""));
        }
        if alerts.iter().any(|x| x.name == name) {
            return Err(loc.err(
                Some(a.name.span()),
                key("name"),
                format!("another alert is named {name:?}"),
            ));
        }
        let spike = match a.spike {
            None => None,
            Some(sp) => Some(validate_spike(loc, i, sp)?),
        };
        let sla_before = match a.sla {
            None => None,
            Some(s) => {
                Some(parse_duration(&s.get_ref().before).map_err(|m| loc.err(Some(s.span()), key("sla.before"), m))?)
            }
        };
        if spike.is_some() && sla_before.is_some() {
            return Err(loc.err(
                Some(a.name.span()),
                key("name"),
                "an alert has one trigger: when, spike or sla",
            ));
        }
        let when = match &a.when {
            Some(w) => Some(
                crate::query::Expr::parse(w.get_ref(), chrono::Utc::now())
                    .map_err(|e| loc.err(Some(w.span()), key("when"), format!("{e} (in {:?})", w.get_ref())))?,
            ),
            None => None,
        };
        let command = match a.command {
            Some(c) if c.get_ref().is_empty() || c.get_ref()[0].trim().is_empty() => {
                return Err(loc.err(
                    Some(c.span()),
                    key("command"),
                    "needs a program and its arguments, like [\"notify-team\", \"--channel\", \"care\"] (run directly, never through a shell)",
                ));
            }
            c => c.map(Spanned::into_inner),
        };
        let timeout = match a.timeout {
            Some(t) => parse_duration(t.get_ref()).map_err(|m| loc.err(Some(t.span()), key("timeout"), m))?,
            None => std::time::Duration::from_secs(10),
        };
        alerts.push(crate::rules::Alert {
            name,
            when,
            spike,
            sla_before,
            operators: a.operators,
            bell: a.bell.unwrap_or(true),
            notify: a.notify.unwrap_or(true),
            command,
            timeout,
        });
    }
    Ok(alerts)
}

fn validate_rules(
    loc: &Located<'_>,
    raw: Vec<Spanned<RawRule>>,
    alerts: &[crate::rules::Alert],
) -> Result<Vec<crate::rules::Rule>, ConfigError> {
    use crate::rules::{Action, Assign, Rule};
    let mut rules: Vec<Rule> = Vec::new();
    for (i, r) in raw.into_iter().enumerate() {
        let span = r.span();
        let r = r.into_inner();
        let key = |k: &str| Some(format!("rule[{}].{k}", i + 1));
        let name = r.name.get_ref().trim().to_string();
        if name.is_empty() || name.contains(char::is_whitespace) {
            return Err(loc.err(Some(r.name.span()), key("name"), "must be one word, like \"refunds\""));
        }
        if rules.iter().any(|x| x.name == name) {
            return Err(loc.err(
                Some(r.name.span()),
                key("name"),
                format!("another rule is named {name:?}"),
            ));
        }
        let when = crate::query::Expr::parse(r.when.get_ref(), chrono::Utc::now()).map_err(|e| {
            loc.err(
                Some(r.when.span()),
                key("when"),
                format!("{e} (in {:?})", r.when.get_ref()),
            )
        })?;
        let mut actions = Vec::new();
        for t in r.tag.map(|t| t.into_inner().into_vec()).unwrap_or_default() {
            let t = t.trim().trim_start_matches('#').to_lowercase();
            if !t.is_empty() {
                actions.push(Action::Tag(t));
            }
        }
        if let Some(s) = r.status {
            let status = match s.get_ref().as_str() {
                "open" => crate::model::Status::Open,
                "ignored" => crate::model::Status::Ignored,
                "escalated" => crate::model::Status::Escalated,
                other => {
                    return Err(loc.err(
                        Some(s.span()),
                        key("status"),
                        format!("{other:?}: a rule sets open, ignored or escalated"),
                    ));
                }
            };
            actions.push(Action::Status(status));
        }
        if let Some(a) = r.assign {
            let names: Vec<String> = a
                .into_inner()
                .into_vec()
                .into_iter()
                .map(|n| n.trim().to_string())
                .collect();
            actions.push(Action::Assign(match names.as_slice() {
                [one] if one == "round-robin" => Assign::Present,
                [one] => Assign::To(one.clone()),
                many => Assign::Among(many.to_vec()),
            }));
        }
        if let Some(a) = r.alert {
            if !alerts.iter().any(|x| x.name == *a.get_ref()) {
                return Err(loc.err(
                    Some(a.span()),
                    key("alert"),
                    format!("no [[alert]] is named {:?}", a.get_ref()),
                ));
            }
            actions.push(Action::Alert(a.into_inner()));
        }
        if actions.is_empty() {
            return Err(loc.err(
                Some(span),
                Some(format!("rule[{}]", i + 1)),
                "does nothing: give it a tag, a status, an assign or an alert",
            ));
        }
        rules.push(Rule { name, when, actions });
    }
    Ok(rules)
}

fn validate_poller(loc: &Located<'_>, raw: Option<RawPoller>) -> Result<PollerConfig, ConfigError> {
    let mut poller = PollerConfig::default();
    let Some(p) = raw else { return Ok(poller) };
    for (field, target, key) in [
        (p.concurrency, &mut poller.concurrency, "poller.concurrency"),
        (p.per_host, &mut poller.net.per_host, "poller.per_host"),
    ] {
        if let Some(c) = field {
            let v = *c.get_ref();
            if !(1..=64).contains(&v) {
                return Err(loc.err(
                    Some(c.span()),
                    Some(key.into()),
                    format!("must be between 1 and 64, not {v}"),
                ));
            }
            *target = v as usize;
        }
    }
    for (field, target, key) in [
        (
            p.connect_timeout,
            &mut poller.net.connect_timeout,
            "poller.connect_timeout",
        ),
        (p.timeout, &mut poller.net.timeout, "poller.timeout"),
        (p.follow_up, &mut poller.follow_up, "poller.follow_up"),
    ] {
        if let Some(v) = field {
            *target = parse_duration(v.get_ref()).map_err(|m| loc.err(Some(v.span()), Some(key.into()), m))?;
            if target.is_zero() {
                return Err(loc.err(Some(v.span()), Some(key.into()), "must be longer than zero"));
            }
        }
    }
    if let Some(v) = p.max_body {
        poller.net.max_body_bytes =
            parse_size(v.get_ref()).map_err(|m| loc.err(Some(v.span()), Some("poller.max_body".into()), m))?;
    }
    Ok(poller)
}

type StatsSettings = (Option<Duration>, Option<BusinessHours>);

/// `[value]`: a currency, and what answering a mention of each intent is worth.
fn validate_value(
    loc: &Located<'_>,
    raw: Option<Spanned<toml::Table>>,
) -> Result<Option<crate::report::Value>, ConfigError> {
    let Some(t) = raw else { return Ok(None) };
    let span = t.span();
    let mut v = crate::report::Value {
        currency: String::new(),
        per_intent: Vec::new(),
    };
    for (k, val) in t.into_inner() {
        let key = Some(format!("value.{k}"));
        if k == "currency" {
            v.currency = val
                .as_str()
                .map(|s| crate::text::sanitize_line(s).chars().take(8).collect())
                .ok_or_else(|| loc.err(Some(span.clone()), key, "must be text, like \"EUR\" or \"$\""))?;
            continue;
        }
        let Ok(intent) = k.parse::<crate::score::Intent>() else {
            return Err(loc.err(
                Some(span.clone()),
                key,
                "is not an intent: write what answering a mention of each intent is worth (complaint, question, praise, purchase, cancel) and `currency`",
            ));
        };
        let amount = val
            .as_float()
            .or_else(|| val.as_integer().map(|i| i as f64))
            .filter(|a| a.is_finite() && *a >= 0.0)
            .ok_or_else(|| loc.err(Some(span.clone()), key, "must be a number of 0 or more"))?;
        v.per_intent.push((intent, amount));
    }
    Ok(Some(v))
}

/// How often an account is read unless it says (`every`).
const ACCOUNT_EVERY: Duration = Duration::from_secs(15 * 60);

/// Where an account's service is: its `url`, or a Mastodon handle's instance.
fn account_url(
    loc: &Located<'_>,
    a: &RawAccount,
    kind: crate::model::FeedKind,
    handle: &str,
    span: std::ops::Range<usize>,
    i: usize,
) -> Result<Option<url::Url>, ConfigError> {
    use crate::model::FeedKind;
    let key = |k: &str| Some(format!("account[{i}].{k}"));
    Ok(match &a.url {
        Some(u) => Some(
            url::Url::parse(u.get_ref())
                .ok()
                .filter(|p| matches!(p.scheme(), "http" | "https"))
                .ok_or_else(|| {
                    loc.err(
                        Some(u.span()),
                        key("url"),
                        "must be an http(s) address, like \"https://mastodon.social\"",
                    )
                })?,
        ),
        None if kind == FeedKind::Mastodon && !handle.contains('@') => {
            return Err(loc.err(
                Some(span),
                key("url"),
                "a Mastodon account needs its instance: write the handle as \"acme@mastodon.social\" or set url = \"https://mastodon.social\"",
            ));
        }
        None if kind == FeedKind::Discourse => {
            return Err(loc.err(
                Some(span),
                key("url"),
                "a Discourse account needs its forum: set url = \"https://forum.example.com\"",
            ));
        }
        None if kind == FeedKind::Mastodon => {
            let host = handle.rsplit_once('@').map(|(_, h)| h).unwrap_or_default();
            Some(url::Url::parse(&format!("https://{host}")).map_err(|_| {
                loc.err(
                    Some(a.handle.span()),
                    key("handle"),
                    format!("{host:?} is not an instance's host"),
                )
            })?)
        }
        None => None,
    })
}

/// `[[account]]` tables: a kind overhear can read our posts from, a handle, where.
fn validate_accounts(
    loc: &Located<'_>,
    raw: Vec<Spanned<RawAccount>>,
) -> Result<Vec<crate::model::Account>, ConfigError> {
    use crate::model::FeedKind;
    let mut out: Vec<crate::model::Account> = Vec::new();
    for (i, a) in raw.into_iter().enumerate() {
        let span = a.span();
        let a = a.into_inner();
        let key = |k: &str| Some(format!("account[{i}].{k}"));
        let kind = match a.kind.get_ref().as_str() {
            "mastodon" => FeedKind::Mastodon,
            "bluesky" => FeedKind::Bluesky,
            "x" => FeedKind::X,
            "reddit" => FeedKind::Reddit,
            "github" => FeedKind::Github,
            "discourse" => FeedKind::Discourse,
            other => {
                return Err(loc.err(
                    Some(a.kind.span()),
                    key("kind"),
                    format!(
                        "overhear cannot read our own posts on {other:?}: use mastodon, bluesky, x, reddit, github or discourse"
                    ),
                ));
            }
        };
        let handle = a.handle.get_ref().trim().trim_start_matches('@').to_string();
        if handle.is_empty() || handle.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(loc.err(
                Some(a.handle.span()),
                key("handle"),
                "is not a handle: write the account's handle, like \"acme@mastodon.social\" or \"acme.bsky.social\"",
            ));
        }
        let url = account_url(loc, &a, kind, &handle, span.clone(), i)?;
        let every = match &a.every {
            Some(e) => parse_duration(e.get_ref()).map_err(|m| loc.err(Some(e.span()), key("every"), m))?,
            None => ACCOUNT_EVERY,
        };
        let duration = |v: &Option<Spanned<String>>, k: &str, default: Duration| match v {
            Some(e) => parse_duration(e.get_ref()).map_err(|m| loc.err(Some(e.span()), key(k), m)),
            None => Ok(default),
        };
        let fresh = duration(&a.fresh, "fresh", Duration::from_secs(14 * 86_400))?;
        let keep = duration(&a.keep, "keep", Duration::from_secs(90 * 86_400))?.max(fresh);
        let name = a.name.unwrap_or_else(|| format!("{}:{handle}", kind.as_str()));
        if out.iter().any(|o| o.name == name) {
            return Err(loc.err(
                Some(span),
                key("name"),
                format!("another [[account]] is named {name:?}"),
            ));
        }
        out.push(crate::model::Account {
            name,
            kind,
            handle,
            url,
            token_env: a.token_env,
            every,
            fresh,
            keep,
        });
    }
    Ok(out)
}

fn validate_stories(loc: &Located<'_>, raw: Option<Spanned<RawStories>>) -> Result<Option<f64>, ConfigError> {
    let Some(st) = raw else { return Ok(None) };
    let span = st.span();
    match st.into_inner().similarity {
        Some(v) if !(0.05..=1.0).contains(&v) => Err(loc.err(
            Some(span),
            Some("stories.similarity".into()),
            format!("{v} is not a similarity: give a number from 0.05 (loosely alike) to 1 (the same words)"),
        )),
        v => Ok(v),
    }
}

fn validate_stats(loc: &Located<'_>, raw: Option<RawStats>) -> Result<StatsSettings, ConfigError> {
    let Some(raw) = raw else { return Ok((None, None)) };
    let business = match raw.business_hours {
        Some(h) => {
            let span = h.span();
            let h = h.into_inner();
            Some(
                BusinessHours::parse(&h.days, &h.start, &h.end, &h.tz)
                    .map_err(|m| loc.err(Some(span), Some("stats.business_hours".into()), m))?,
            )
        }
        None => None,
    };
    let sla = match raw.sla {
        Some(v) => Some(parse_duration(v.get_ref()).map_err(|m| loc.err(Some(v.span()), Some("stats.sla".into()), m))?),
        None => None,
    };
    Ok((sla, business))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::FeedKind;

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
    fn the_example_shows_every_kind_and_each_parses_when_uncommented() {
        let c = parse(&uncommented_example()).unwrap_or_else(|e| panic!("{e}"));
        for kind in FeedKind::ALL {
            assert!(
                c.feeds.iter().any(|f| f.kind == *kind),
                "the example lacks a {kind} feed"
            );
        }
    }

    /// The bundled example with every feed it shows uncommented.
    fn uncommented_example() -> String {
        let mut text = String::new();
        let mut in_feed = false;
        for line in EXAMPLE.lines() {
            if line.starts_with("# [[feed]]") {
                in_feed = true;
            } else if line.trim().is_empty() || !line.starts_with("# ") {
                in_feed = false;
            }
            text.push_str(if in_feed { &line[2..] } else { line });
            text.push('\n');
        }
        text
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 768, ..Default::default() })]

        /// No config panics: the example cut, spliced and salted with what breaks TOML and
        /// values (quotes, brackets, huge numbers, odd durations and URLs), or any text at all,
        /// parses or says why with a line inside the file.
        #[test]
        fn any_config_parses_or_says_where(
            cut in 0usize..20_000,
            len in 0usize..200,
            salt in proptest::sample::select(vec![
                "", "\"", "[", "]", "[[", "=", "\n", "{", "}", "'''", "\\u0000", "-9223372036854775809",
                "99999999999999999999", "\"0s\"", "\"1e9d\"", "\"http://[::1\"", "\"ftp://x/\"",
                "\"\u{202e}\u{1b}[2J\"", "nan", "inf", "-1", "1.5", "true", "# ", "\"e\u{301}\"",
            ]),
            value in "\\PC{0,40}",
            any in "\\PC{0,300}",
        ) {
            let text = uncommented_example();
            let at = text.floor_char_boundary(cut.min(text.len()));
            let end = text.floor_char_boundary((at + len).min(text.len()));
            for spliced in [
                format!("{}{salt}{}", &text[..at], &text[end..]),
                format!("{}{salt}{value}{}", &text[..at], &text[at..]),
                any.clone(),
                format!("[[feed]]\nurl = {salt}{value}\n"),
            ] {
                if let Err(e) = parse(&spliced) {
                    let lines = spliced.lines().count().max(1);
                    proptest::prop_assert!(e.line.is_none_or(|l| l >= 1 && l <= lines + 1), "{e}");
                }
            }
        }
    }

    #[test]
    fn the_team_settings_and_the_database_parse_and_resolve() {
        let c = parse("database = \"team.db\"\n\n[team]\napproval = true\napprovers = [\"alice\"]\n").unwrap();
        assert_eq!(
            c.database.as_deref(),
            Some(Path::new("/tmp/team.db")),
            "relative to the config"
        );
        assert!(c.team.needs_approval("bob") && !c.team.needs_approval("alice"));
        assert_eq!(
            database_of(
                Path::new("/etc/o/c.toml"),
                "database = \"/srv/overhear/team.db\"\n[[feed]]\nbroken = 1\n"
            )
            .unwrap(),
            Some(PathBuf::from("/srv/overhear/team.db")),
            "read on its own: the rest of the file may be wrong"
        );
        let e = database_of(Path::new("/etc/o/c.toml"), "database = 3\n").unwrap_err();
        assert_eq!((e.line, e.key.as_deref()), (Some(1), Some("database")), "{e}");
        let e = parse("[team]\napprovrs = [\"x\"]\n").unwrap_err();
        assert_eq!(e.line, Some(2), "{e}");
        // A team that records Unix users only: the configured name is not used.
        let c = parse("[console]\noperator = \"mallory\"\n\n[team]\noperator_names = \"unix\"\n").unwrap();
        assert_eq!(c.operator, login_name());
        let e = parse("[team]\noperator_names = \"anyone\"\n").unwrap_err();
        assert_eq!(e.key.as_deref(), Some("team.operator_names"), "{e}");
    }

    #[test]
    fn rules_parse_and_a_bad_query_names_its_line_and_column() {
        use crate::rules::{Action, Assign};
        let c = parse(
            "[[rule]]\nname = \"refunds\"\nwhen = \"refund OR \\\"charged twice\\\"\"\ntag = [\"billing\", \"#urgent\"]\nstatus = \"escalated\"\nassign = \"round-robin\"\n\n[[rule]]\nname = \"vip\"\nwhen = \"reach>10000\"\nassign = [\"alice\", \"bob\"]\n",
        )
        .unwrap();
        let r = &c.poller.rules;
        assert_eq!(r.len(), 2);
        assert_eq!(
            r[0].actions,
            vec![
                Action::Tag("billing".into()),
                Action::Tag("urgent".into()),
                Action::Status(crate::model::Status::Escalated),
                Action::Assign(Assign::Present),
            ]
        );
        assert_eq!(
            r[1].actions,
            vec![Action::Assign(Assign::Among(vec!["alice".into(), "bob".into()]))]
        );
        let e = parse("[[rule]]\nname = \"x\"\nwhen = \"acme OR\"\ntag = \"t\"\n").unwrap_err();
        assert_eq!((e.line, e.key.as_deref()), (Some(3), Some("rule[1].when")), "{e}");
        assert!(e.message.contains("column 6"), "{e}");
        let e = parse("[[rule]]\nname = \"x\"\nwhen = \"acme\"\n").unwrap_err();
        assert!(e.message.contains("does nothing"), "{e}");
        let e = parse("[[rule]]\nname = \"x\"\nwhen = \"acme\"\nstatus = \"responded\"\n").unwrap_err();
        assert_eq!(e.key.as_deref(), Some("rule[1].status"), "{e}");
    }

    #[test]
    fn alerts_parse_with_their_triggers_and_say_what_is_wrong() {
        let c = parse(
            "[stats]\nsla = \"1h\"\n\n[[alert]]\nname = \"surge\"\nwhen = \"acme\"\nspike = { window = \"30m\", factor = 4.0 }\n\n[[alert]]\nname = \"late\"\nsla = { before = \"15m\" }\noperators = [\"alice\"]\ncommand = [\"notify-team\", \"--care\"]\ntimeout = \"3s\"\n",
        )
        .unwrap();
        let a = &c.poller.alerts;
        assert_eq!(a[0].spike.as_ref().unwrap().window, Duration::from_secs(1800));
        assert_eq!(a[0].spike.as_ref().unwrap().baseline, Duration::from_secs(86_400));
        assert!(
            !a[0].per_mention(),
            "a spike's query counts, it does not raise per mention"
        );
        assert_eq!(a[1].sla_before, Some(Duration::from_secs(900)));
        assert_eq!(
            a[1].command.as_deref(),
            Some(&["notify-team".to_string(), "--care".to_string()][..])
        );
        assert_eq!(c.poller.sla, Some(Duration::from_secs(3600)));
        let e = parse("[[alert]]\nname = \"x\"\ncommand = []\n").unwrap_err();
        assert_eq!(e.key.as_deref(), Some("alert[1].command"), "{e}");
        let e = parse("[[alert]]\nname = \"x\"\nspike = { window = \"2h\", baseline = \"3h\" }\n").unwrap_err();
        assert!(e.message.contains("two windows"), "{e}");
    }

    #[test]
    fn a_full_feed_parses() {
        let c = parse(
            r#"
[poller]
concurrency = 4
per_host = 2
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
        assert_eq!(c.poller.net.per_host, 2);
        assert_eq!(c.poller.net.timeout, Duration::from_secs(20));
        assert_eq!(c.poller.net.max_body_bytes, 2 * 1024 * 1024);
        assert_eq!(c.operator, "alice");
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
        let e = parse("[poller]\nconcurrency = 8\nper_host = 65\n").unwrap_err();
        assert_eq!((e.line, e.key.as_deref()), (Some(3), Some("poller.per_host")), "{e}");
        assert!(e.message.contains("between 1 and 64"), "{e}");
    }

    /// A feed's address is all a feed needs, as in any feed reader: without `kind` it is an RSS,
    /// Atom or JSON Feed, and without `name` it is named after its url's host (with the path
    /// when two feeds share a host).
    #[test]
    fn a_url_alone_is_a_feed_named_after_its_host() {
        let c = parse(
            "[[feed]]\nurl = \"https://www.Example.com/feed.xml\"\n\n\
             [[feed]]\nurl = \"https://example.com/blog/atom/\"\n\n\
             [[feed]]\nurl = \"http://127.0.0.1:8000/7.xml\"\n\n\
             [[feed]]\nkind = \"hackernews\"\nquery = \"acme corp\"\n",
        )
        .unwrap();
        let named: Vec<(&str, FeedKind)> = c.feeds.iter().map(|f| (f.name.as_str(), f.kind)).collect();
        assert_eq!(
            named,
            vec![
                ("example.com", FeedKind::Rss),
                ("example.com/blog/atom", FeedKind::Rss),
                ("127.0.0.1:8000", FeedKind::Rss),
                ("hackernews acme corp", FeedKind::Hackernews),
            ]
        );
        // The same address twice is a mistake, said where the second one is.
        let e =
            parse("[[feed]]\nurl = \"https://a.example/f\"\n\n[[feed]]\nurl = \"https://a.example/f\"\n").unwrap_err();
        assert_eq!(e.line, Some(5), "{e}");
        assert!(
            e.message.contains("the same url") && e.message.contains("line 2"),
            "{e}"
        );
        // A search without its kind says which kinds there are.
        let e = parse("[[feed]]\nname = \"s\"\nquery = \"acme\"\n").unwrap_err();
        assert_eq!(e.key.as_deref(), Some("feed[1].kind (feed \"s\")"), "{e}");
        assert!(e.message.contains("hackernews"), "{e}");
    }

    #[test]
    fn duplicate_names_point_at_the_second() {
        let e = parse("[[feed]]\nname = \"a\"\nkind = \"rss\"\nurl = \"http://x/\"\n\n[[feed]]\nname = \"a\"\nkind = \"rss\"\nurl = \"http://y/\"\n").unwrap_err();
        assert_eq!(e.line, Some(7));
        assert!(e.message.contains("line 2"), "{e}");
    }

    /// A config error shows the part of its line where the problem is, not a whole line of a
    /// hundred thousand characters.
    #[test]
    fn a_long_line_is_shown_around_its_problem() {
        let deep = format!("a = {}{}\n", "[".repeat(50_000), "]".repeat(50_000));
        let e = parse(&deep).unwrap_err();
        let snippet = e.snippet.clone().unwrap();
        assert!(snippet.chars().count() <= SNIPPET_CHARS + 2, "{snippet}");
        assert!(e.to_string().lines().count() <= 2, "{e}");
        let e = parse(&format!(
            "[[feed]]\nname = \"a\"\nkind = \"rss\"\nurl = \"http://x/\"\nevery = \"{}\"\n",
            "5".repeat(500)
        ))
        .unwrap_err();
        assert_eq!(e.line, Some(5), "{e}");
        assert!(
            e.snippet.unwrap().starts_with("every = \"555"),
            "the start of the line, where the key is"
        );
        assert_eq!(around("short line", 3), "short line");
    }

    #[test]
    fn syntax_errors_have_a_line() {
        let e = parse("[[feed]\nname = \"a\"\n").unwrap_err();
        assert_eq!(e.line, Some(1), "{e}");
    }

    #[test]
    fn our_accounts_are_read_with_their_instance_and_mistakes_name_the_key() {
        let c = parse(
            "[[account]]\nkind = \"mastodon\"\nhandle = \"@acme@mastodon.social\"\n\n\
             [[account]]\nname = \"sky\"\nkind = \"bluesky\"\nhandle = \"acme.bsky.social\"\nevery = \"1h\"\n",
        )
        .unwrap();
        let a = &c.poller.accounts;
        assert_eq!(a[0].name, "mastodon:acme@mastodon.social");
        assert_eq!(
            a[0].url.as_ref().map(url::Url::as_str),
            Some("https://mastodon.social/")
        );
        assert_eq!(a[0].every, Duration::from_secs(15 * 60));
        assert_eq!((a[1].name.as_str(), a[1].url.is_none()), ("sky", true));
        assert_eq!(a[1].every, Duration::from_secs(3600));
        let e = parse("[[account]]\nkind = \"myspace\"\nhandle = \"acme\"\n").unwrap_err();
        assert_eq!((e.line, e.key.as_deref()), (Some(2), Some("account[0].kind")), "{e}");
        assert!(e.message.contains("mastodon"), "{e}");
        let e = parse("[[account]]\nkind = \"mastodon\"\nhandle = \"acme\"\n").unwrap_err();
        assert_eq!(e.key.as_deref(), Some("account[0].url"), "{e}");
        let e = parse("[[account]]\nkind = \"discourse\"\nhandle = \"acme\"\n").unwrap_err();
        assert_eq!(e.key.as_deref(), Some("account[0].url"), "{e}");
        assert!(e.message.contains("forum"), "{e}");
        let c =
            parse("[[account]]\nkind = \"discourse\"\nhandle = \"acme\"\nurl = \"https://forum.example\"\n").unwrap();
        assert_eq!(c.poller.accounts[0].name, "discourse:acme");
        let e = parse("[[account]]\nkind = \"bluesky\"\nhandle = \"two words\"\n").unwrap_err();
        assert_eq!((e.line, e.key.as_deref()), (Some(3), Some("account[0].handle")), "{e}");
        let e = parse(
            "[[account]]\nkind = \"bluesky\"\nhandle = \"a.b\"\n[[account]]\nkind = \"bluesky\"\nhandle = \"a.b\"\n",
        )
        .unwrap_err();
        assert!(e.message.contains("another [[account]]"), "{e}");
    }

    #[test]
    fn what_an_answer_is_worth_is_per_intent_with_a_currency() {
        let c = parse("[value]\ncurrency = \"EUR\"\ncomplaint = 40\npurchase = 120.5\n").unwrap();
        let v = c.value.unwrap();
        assert_eq!(v.currency, "EUR");
        assert!(v.per_intent.contains(&(crate::score::Intent::Purchase, 120.5)));
        let e = parse("[value]\ncomplaint = -3\n").unwrap_err();
        assert_eq!(e.key.as_deref(), Some("value.complaint"), "{e}");
        let e = parse("[value]\nhappiness = 3\n").unwrap_err();
        assert!(e.message.contains("not an intent"), "{e}");
    }
}
