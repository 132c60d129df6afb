//! The `[[feed]]` tables, validated into the engine's [`FeedConfig`]: a name that is unique,
//! a kind, what that kind needs (a query, a url, a token variable, a handle), an interval, and
//! the include/exclude rules.

use super::{Located, Terms, parse_duration};
use crate::config::ConfigError;
use crate::model::{FeedConfig, FeedKind, JsonMap};
use crate::rules::Rules;
use serde::Deserialize;
use std::collections::HashMap;
use std::time::Duration;
use toml::Spanned;
use url::Url;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawFeed {
    /// Unique; derived from the url (or the kind and query) when absent.
    name: Option<Spanned<String>>,
    /// `rss` when absent and a url is given: a feed's address is all a feed reader needs.
    kind: Option<Spanned<String>>,
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
    #[serde(default)]
    channels: Vec<Spanned<String>>,
    #[serde(default)]
    videos: Vec<Spanned<String>>,
    #[serde(default)]
    photos: Vec<Spanned<String>>,
    app: Option<Spanned<String>>,
    country: Option<Spanned<String>>,
    key_file: Option<Spanned<String>>,
    reply_token_env: Option<Spanned<String>>,
}

/// Validate every `[[feed]]` table, in order; names must be unique.
pub(super) fn validate(loc: &Located<'_>, raw: Vec<Spanned<RawFeed>>) -> Result<Vec<FeedConfig>, ConfigError> {
    let mut feeds = Vec::with_capacity(raw.len());
    let mut seen: HashMap<String, usize> = HashMap::new();
    // The urls of feeds without a name, and their lines: the same one twice is a mistake.
    let mut unnamed: HashMap<String, usize> = HashMap::new();
    for (i, spanned) in raw.into_iter().enumerate() {
        let span = spanned.span();
        let f = spanned.into_inner();
        let name_span = f.name.as_ref().map_or(span.clone(), Spanned::span);
        let at = Table {
            loc,
            index: i + 1,
            span,
            name: match &f.name {
                Some(n) => n.get_ref().trim().to_string(),
                None => derived_name(&f, |n| seen.contains_key(n)),
            },
        };
        if at.name.is_empty() {
            return Err(loc.err(
                Some(name_span),
                Some(format!("feed[{}].name", at.index)),
                "must not be empty",
            ));
        }
        if at.name.chars().any(char::is_control) {
            return Err(at.err(name_span, "name", "must not contain control characters"));
        }
        if let Some(first_line) = seen.get(&at.name) {
            let how = if f.name.is_some() {
                ""
            } else {
                " (a feed without `name` is named after its url)"
            };
            return Err(at.err(
                name_span,
                "name",
                format!("another feed already has this name{how} (line {first_line}); names must be unique"),
            ));
        }
        if f.name.is_none()
            && let Some(u) = &f.url
        {
            let line = loc.line_of(u.span().start);
            if let Some(first_line) = unnamed.insert(u.get_ref().trim().to_string(), line) {
                return Err(at.err(
                    u.span(),
                    "url",
                    format!("the same url as the feed at line {first_line}; give each a `name` if both are meant"),
                ));
            }
        }
        seen.insert(at.name.clone(), loc.line_of(name_span.start));
        feeds.push(one(&at, f)?);
    }
    Ok(feeds)
}

/// Where one feed table is, for its errors.
struct Table<'a> {
    loc: &'a Located<'a>,
    /// 1-based, as people count tables.
    index: usize,
    span: std::ops::Range<usize>,
    name: String,
}

impl Table<'_> {
    fn err(&self, span: std::ops::Range<usize>, key: &str, message: impl Into<String>) -> ConfigError {
        self.loc.err(
            Some(span),
            Some(format!("feed[{}].{key} (feed {:?})", self.index, self.name)),
            message,
        )
    }

    /// A key the feed's kind needs but the table lacks.
    fn missing(&self, key: &str, message: impl Into<String>) -> ConfigError {
        self.err(self.span.clone(), key, message)
    }
}

/// The name of a feed without one: its url's host (without `www.`), or with its path when another
/// feed has that name already (two feeds of one site); a search API's feed is its kind and query.
fn derived_name(f: &RawFeed, taken: impl Fn(&str) -> bool) -> String {
    let url = f.url.as_ref().and_then(|u| Url::parse(u.get_ref().trim()).ok());
    let Some(url) = url.filter(|u| u.host_str().is_some()) else {
        let kind = f.kind.as_ref().map_or("", |k| k.get_ref().trim());
        let query = f.query.as_ref().map_or("", |q| q.get_ref().trim());
        return format!("{kind} {query}").trim().to_string();
    };
    let host = url.host_str().unwrap_or_default();
    let host = host.strip_prefix("www.").unwrap_or(host);
    let host = match url.port() {
        Some(p) => format!("{host}:{p}"),
        None => host.to_string(),
    };
    let path = url.path().trim_end_matches('/');
    if taken(&host) && !path.is_empty() {
        format!("{host}{path}")
    } else {
        host
    }
}

/// One feed table, field by field.
fn one(at: &Table<'_>, f: RawFeed) -> Result<FeedConfig, ConfigError> {
    let kind: FeedKind = match &f.kind {
        Some(k) => k
            .get_ref()
            .trim()
            .parse()
            .map_err(|m: String| at.err(k.span(), "kind", m))?,
        None if f.url.is_some() && f.query.is_none() && f.tag.is_none() && f.subreddit.is_none() => FeedKind::Rss,
        None => {
            let names: Vec<&str> = FeedKind::ALL.iter().map(|k| k.as_str()).collect();
            return Err(at.missing(
                "kind",
                format!(
                    "which kind of feed is it? A `url` alone is an RSS, Atom or JSON Feed; a search needs `kind` ({})",
                    names.join(", ")
                ),
            ));
        }
    };
    let query = f
        .query
        .as_ref()
        .map(|q| q.get_ref().trim().to_string())
        .filter(|q| !q.is_empty());
    if kind.needs_query() && query.is_none() {
        let span = f.query.as_ref().map_or(at.span.clone(), |q| q.span());
        return Err(at.err(span, "query", format!("a {kind} feed needs `query`, the search terms")));
    }
    let url = f.url.as_ref().map(|u| url(at, u)).transpose()?;
    if kind.url_is_feed() && url.is_none() {
        return Err(at.missing("url", format!("a {kind} feed needs `url`, the feed's address")));
    }
    let every = match &f.every {
        Some(e) => every(at, e)?,
        None => kind.default_every(),
    };
    let feed = FeedConfig {
        name: at.name.clone(),
        kind,
        query,
        url,
        every,
        rules: rules(at, f.include, f.exclude)?,
        token_env: f.token_env.as_ref().map(|t| token_env(at, t)).transpose()?,
        tag: word(at, f.tag.as_ref(), "tag")?,
        identifier: word(at, f.identifier.as_ref(), "identifier")?,
        site: word(at, f.site.as_ref(), "site")?,
        subreddit: word(at, f.subreddit.as_ref(), "subreddit")?,
        map: f.map.map(Spanned::into_inner),
        channels: ids(at, &f.channels, "channels")?,
        videos: ids(at, &f.videos, "videos")?,
        photos: ids(at, &f.photos, "photos")?,
        app: app_id(at, kind, f.app.as_ref())?,
        key_file: f.key_file.as_ref().map(|k| key_file(at, k)).transpose()?,
        country: country(at, f.country.as_ref())?,
        reply_token_env: f.reply_token_env.as_ref().map(|t| token_env(at, t)).transpose()?,
    };
    needs(at, &feed)?;
    Ok(feed)
}

/// A list of a service's ids (YouTube channels or videos): letters, digits, `-` and `_`.
fn ids(at: &Table<'_>, list: &[Spanned<String>], key: &str) -> Result<Vec<String>, ConfigError> {
    list.iter()
        .map(|id| {
            let v = id.get_ref().trim();
            if v.is_empty() || !v.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
                Err(at.err(
                    id.span(),
                    key,
                    format!("{v:?} is not an id (letters, digits, - and _), like \"UC_x5XG1OV2P6uZZ5FSM9Ttw\""),
                ))
            } else {
                Ok(v.to_string())
            }
        })
        .collect()
}

/// An app: on the App Store its numeric id (`1510826067`; `id1510826067` as the store's links
/// write it), on Google Play its package name (`com.example.app`).
fn app_id(at: &Table<'_>, kind: FeedKind, v: Option<&Spanned<String>>) -> Result<Option<String>, ConfigError> {
    let Some(v) = v else { return Ok(None) };
    let key = "app";
    let s = v.get_ref().trim();
    if kind == FeedKind::Googleplay {
        let ok = s.contains('.')
            && s.split('.').all(|part| {
                part.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                    && part.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            });
        if !ok {
            return Err(at.err(
                v.span(),
                key,
                format!("{s:?} is not a package name, like \"com.example.app\" (its Play Store link's id=)"),
            ));
        }
        return Ok(Some(s.to_string()));
    }
    let s = s.strip_prefix("id").unwrap_or(s);
    if s.is_empty() || !s.chars().all(|c| c.is_ascii_digit()) {
        return Err(at.err(
            v.span(),
            key,
            format!(
                "{:?} is not an app id: the digits of its App Store link (…/id1510826067)",
                v.get_ref()
            ),
        ));
    }
    Ok(Some(s.to_string()))
}

/// A key file's path.
fn key_file(at: &Table<'_>, v: &Spanned<String>) -> Result<std::path::PathBuf, ConfigError> {
    let s = v.get_ref().trim();
    if s.is_empty() || s.starts_with('{') {
        return Err(at.err(
            v.span(),
            "key_file",
            "must be the PATH of the service account's JSON key file, never the key itself",
        ));
    }
    // `~/` is the home directory; a relative path is the config file's neighbour.
    Ok(match s.strip_prefix("~/") {
        Some(rest) => directories::BaseDirs::new()
            .map(|b| b.home_dir().join(rest))
            .unwrap_or_else(|| std::path::PathBuf::from(s)),
        None => match at.loc.path.parent() {
            Some(dir) => dir.join(s),
            None => std::path::PathBuf::from(s),
        },
    })
}

/// A store's country: two letters (`gb`, `US`).
fn country(at: &Table<'_>, v: Option<&Spanned<String>>) -> Result<Option<String>, ConfigError> {
    let Some(v) = v else { return Ok(None) };
    let s = v.get_ref().trim().to_ascii_lowercase();
    if s.len() != 2 || !s.chars().all(|c| c.is_ascii_lowercase()) {
        return Err(at.err(
            v.span(),
            "country",
            "must be a country's two letters, like \"gb\" or \"us\"",
        ));
    }
    Ok(Some(s))
}

/// What each kind needs beyond its query and url.
fn needs(at: &Table<'_>, f: &FeedConfig) -> Result<(), ConfigError> {
    let require = |what: &str, present: bool| {
        if present {
            Ok(())
        } else {
            Err(at.missing(what, format!("a {} feed needs `{what}`", f.kind)))
        }
    };
    match f.kind {
        FeedKind::Mastodon if f.tag.is_none() && f.query.is_none() => Err(at.missing(
            "tag",
            "a mastodon feed needs `tag` (a hashtag timeline) or `query` (status search, with `token_env`)",
        )),
        FeedKind::Mastodon if f.tag.is_none() && f.token_env.is_none() => Err(at.missing(
            "token_env",
            "Mastodon's status search needs a user token: set `token_env`, or follow a `tag` instead",
        )),
        FeedKind::Bluesky => {
            require("identifier", f.identifier.is_some())?;
            require("token_env", f.token_env.is_some())
        }
        FeedKind::X => require("token_env", f.token_env.is_some()),
        FeedKind::Discourse | FeedKind::Lemmy => require("url", f.url.is_some()),
        FeedKind::Appstore => require("app", f.app.is_some()),
        FeedKind::Googleplay => {
            require("app", f.app.is_some())?;
            require("key_file", f.key_file.is_some())
        }
        FeedKind::Json => require("map", f.map.is_some()),
        _ => Ok(()),
    }
}

fn url(at: &Table<'_>, u: &Spanned<String>) -> Result<Url, ConfigError> {
    let parsed =
        Url::parse(u.get_ref().trim()).map_err(|e| at.err(u.span(), "url", format!("not a valid URL: {e}")))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(at.err(
            u.span(),
            "url",
            format!("must be http or https, not {}", parsed.scheme()),
        ));
    }
    Ok(parsed)
}

fn every(at: &Table<'_>, e: &Spanned<String>) -> Result<Duration, ConfigError> {
    let d = parse_duration(e.get_ref()).map_err(|m| at.err(e.span(), "every", m))?;
    if d < Duration::from_secs(1) {
        return Err(at.err(e.span(), "every", "must be at least 1s"));
    }
    Ok(d)
}

/// The include and exclude lists, each checked on its own so an error points at its line.
fn rules(
    at: &Table<'_>,
    include: Option<Spanned<Terms>>,
    exclude: Option<Spanned<Terms>>,
) -> Result<Rules, ConfigError> {
    let list = |t: Option<Spanned<Terms>>| t.map_or((0..0, Vec::new()), |t| (t.span(), t.into_inner().into_vec()));
    let (inc_span, inc) = list(include);
    let (exc_span, exc) = list(exclude);
    Rules::new(&inc, &[]).map_err(|e| at.err(inc_span, "include", e.to_string()))?;
    Rules::new(&[], &exc).map_err(|e| at.err(exc_span, "exclude", e.to_string()))?;
    Ok(Rules::new(&inc, &exc).expect("both halves validated"))
}

fn token_env(at: &Table<'_>, t: &Spanned<String>) -> Result<String, ConfigError> {
    let v = t.get_ref().trim();
    if super::looks_secret(v) {
        return Err(at.err(
            t.span(),
            "token_env",
            "must be the NAME of an environment variable, never the token itself, and this looks like a token: \
             put it in a variable and name that (e.g. token_env = \"GITHUB_TOKEN\"); the value is not shown, stored or logged",
        ));
    }
    if v.is_empty() || !v.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(at.err(
            t.span(),
            "token_env",
            "must be the NAME of an environment variable (letters, digits, _), never the token itself",
        ));
    }
    Ok(v.to_string())
}

/// A handle, tag, site or subreddit: one word, without its `#`, `@` or `r/`.
fn word(at: &Table<'_>, v: Option<&Spanned<String>>, key: &str) -> Result<Option<String>, ConfigError> {
    let Some(v) = v else { return Ok(None) };
    let t = v
        .get_ref()
        .trim()
        .trim_start_matches(['#', '@'])
        .trim_start_matches("r/")
        .to_string();
    if t.is_empty() || t.chars().any(|c| c.is_whitespace() || c.is_control() || c == '/') {
        return Err(at.err(v.span(), key, "must be one word"));
    }
    Ok(Some(t))
}
