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

/// Validate every `[[feed]]` table, in order.
pub(super) fn validate(loc: &Located<'_>, raw: Vec<Spanned<RawFeed>>) -> Result<Vec<FeedConfig>, ConfigError> {
    let text = loc.text;
    let mut feeds = Vec::with_capacity(raw.len());
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (i, spanned) in raw.into_iter().enumerate() {
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
    Ok(feeds)
}
