//! Feed kinds: for each, the requests it sends and how its answers become mentions.
//! Pure functions over bytes and headers: no HTTP client, no SQL, no UI.

pub mod appstore;
pub mod bluesky;
pub mod dates;
pub mod discourse;
pub mod flickr;
pub mod github;
pub mod googleplay;
pub mod hackernews;
pub mod json;
pub mod lemmy;
pub mod mastodon;
pub mod own;
pub mod reddit;
pub mod rss;
pub mod stackexchange;
pub mod thread;
pub mod x;
pub mod youtube;

use crate::model::FeedConfig;
use crate::model::{FeedKind, NewMention};
use crate::text;
use chrono::{DateTime, Utc};
use std::time::Duration;
use url::Url;

/// Longest text kept for one mention, in characters.
const MAX_TEXT_CHARS: usize = 20_000;
const MAX_FIELD_CHARS: usize = 2_000;
/// Before this, a feed's date is a placeholder (the epoch, 1900, year 0), not a date.
static EARLIEST: std::sync::LazyLock<DateTime<Utc>> =
    std::sync::LazyLock::new(|| DateTime::from_timestamp(631_152_000, 0).expect("1990-01-01 exists"));
/// Ids longer than this are stored as their hash.
const MAX_ID_CHARS: usize = 512;

/// One HTTP request a source wants sent: a GET, or a POST when it has a body.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    pub url: Url,
    /// Lower-case names. Secrets go here, never in the URL.
    pub headers: Vec<(String, String)>,
    pub body: Option<Body>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    Form(Vec<(String, String)>),
    Json(serde_json::Value),
}

impl Request {
    pub fn get(url: Url) -> Request {
        Request {
            url,
            headers: Vec::new(),
            body: None,
        }
    }

    pub fn header(mut self, name: &str, value: impl Into<String>) -> Request {
        self.headers.push((name.to_ascii_lowercase(), value.into()));
        self
    }

    pub fn bearer(self, token: &str) -> Request {
        self.header("authorization", format!("Bearer {token}"))
    }

    /// [`Request::bearer`] when there is a token; unchanged without one.
    pub fn bearer_if(self, token: Option<&str>) -> Request {
        match token {
            Some(t) => self.bearer(t),
            None => self,
        }
    }
}

/// An answer as a source sees it.
#[derive(Debug, Clone, Copy)]
pub struct Reply<'a> {
    pub status: u16,
    /// Lower-case names.
    pub headers: &'a [(String, String)],
    pub body: &'a [u8],
}

impl Reply<'_> {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// The answer without a UTF-8 byte order mark before its JSON (some servers write one; a
    /// JSON reader refuses it).
    pub fn without_bom(&self) -> Reply<'_> {
        Reply {
            status: self.status,
            headers: self.headers,
            body: self.body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(self.body),
        }
    }
}

/// What a source needs to build and read requests.
#[derive(Debug, Clone, Copy)]
pub struct Ctx<'a> {
    pub feed: &'a FeedConfig,
    pub cursor: Option<&'a serde_json::Value>,
    /// The secret from `token_env`, or the session token a sign-in returned.
    pub token: Option<&'a str>,
    pub now: DateTime<Utc>,
}

/// A service's rate-limit state, as its headers or body report it.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RateLimit {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remaining: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reset: Option<DateTime<Utc>>,
    /// Anything else worth showing (e.g. Stack Exchange's daily quota).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// What one response yielded.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Page {
    pub mentions: Vec<NewMention>,
    /// The cursor to store once the poll is written (`None` keeps the stored one).
    pub cursor: Option<serde_json::Value>,
    /// The next page of the same poll, when the source paginates and more is waiting.
    pub next: Option<Request>,
    pub rate: Option<RateLimit>,
    /// The service asks not to be polled again before this long (a backoff, an exhausted quota).
    pub wait: Option<Duration>,
    /// What the parser repaired or noticed, in words, for the feed's health ("3 invalid bytes
    /// replaced", "2 entries yielded nothing").
    pub notes: Vec<String>,
    /// Item elements that were there but gave nothing to store: a page of only these is a
    /// failure of the feed, not "ok, 0 new".
    pub skipped: usize,
}

/// A signed-in session (Bluesky, Reddit with OAuth): kept in memory only, never stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub token: String,
    pub expires_at: Option<DateTime<Utc>>,
    /// The signed-in account (Bluesky's DID), where the service says.
    pub account: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SourceError {
    #[error(
        "the server sent an HTML page, not a feed (a login page, a consent page, or the page that links to the feed?); \
         set `url` to the feed's own address"
    )]
    HtmlNotFeed,
    #[error("not a valid feed: {0}")]
    Malformed(String),
    #[error("unexpected answer from {service}: {detail}")]
    Unexpected { service: &'static str, detail: String },
    #[error("cannot build the request: {0}")]
    Request(String),
    #[error("{0}")]
    Refused(String),
}

impl SourceError {
    /// The same error with every string a server wrote made safe for a terminal.
    pub fn sanitized(self) -> SourceError {
        let clean = |s: String| text::sanitize_line(&s);
        match self {
            SourceError::Malformed(s) => SourceError::Malformed(clean(s)),
            SourceError::Unexpected { service, detail } => SourceError::Unexpected {
                service,
                detail: clean(detail),
            },
            SourceError::Request(s) => SourceError::Request(clean(s)),
            SourceError::Refused(s) => SourceError::Refused(clean(s)),
            e @ SourceError::HtmlNotFeed => e,
        }
    }
}

/// Whether the kind signs in first (with the secret from `token_env`) to get a session token.
pub fn needs_session(feed: &FeedConfig) -> bool {
    match feed.kind {
        FeedKind::Bluesky => true,
        FeedKind::Reddit => feed.token_env.is_some(),
        FeedKind::Googleplay => true,
        _ => false,
    }
}

/// The sign-in request, for kinds that need a session.
pub fn session_request(feed: &FeedConfig, secret: &str) -> Result<Request, SourceError> {
    match feed.kind {
        FeedKind::Bluesky => bluesky::session_request(feed, secret),
        FeedKind::Reddit => reddit::session_request(feed, secret),
        FeedKind::Googleplay => googleplay::session_request(feed, secret, Utc::now()),
        _ => Err(SourceError::Request(format!("a {} feed does not sign in", feed.kind))),
    }
}

pub fn parse_session(feed: &FeedConfig, reply: &Reply<'_>, now: DateTime<Utc>) -> Result<Session, SourceError> {
    match feed.kind {
        FeedKind::Bluesky => bluesky::parse_session(reply, now),
        FeedKind::Reddit => reddit::parse_session(reply, now),
        FeedKind::Googleplay => googleplay::parse_session(reply, now),
        _ => Err(SourceError::Request(format!("a {} feed does not sign in", feed.kind))),
    }
    .map_err(SourceError::sanitized)
}

/// A store review's rating as a reader sees it: `★★☆☆☆ 2/5` (1 to 5).
pub(crate) fn stars(rating: u8) -> String {
    let r = rating.clamp(1, 5);
    format!("{}{} {r}/5", "★".repeat(r.into()), "☆".repeat((5 - r).into()))
}

/// Headers starting with this carry an adapter's state from one page of a poll to the next
/// (YouTube's quota spent so far, which list a page reads); the HTTP client never sends them.
pub const CARRY: &str = "x-overhear-";

/// The first request of a poll.
pub fn first_request(ctx: &Ctx<'_>) -> Result<Request, SourceError> {
    let feed = ctx.feed;
    match feed.kind {
        FeedKind::Rss => feed
            .url
            .clone()
            .map(Request::get)
            .ok_or_else(|| SourceError::Request("a rss feed needs `url`".into())),
        FeedKind::Hackernews => hackernews::request(feed, ctx.cursor, 0).map(Request::get),
        FeedKind::Reddit => reddit::request(ctx),
        FeedKind::Mastodon => mastodon::request(ctx),
        FeedKind::Bluesky => bluesky::request(ctx, None),
        FeedKind::X => x::request(ctx, None),
        FeedKind::Stackexchange => stackexchange::request(ctx, 1),
        FeedKind::Github => github::request(ctx),
        FeedKind::Discourse => discourse::request(ctx, 0),
        FeedKind::Lemmy => lemmy::request(ctx, 1),
        FeedKind::Youtube => youtube::request(ctx),
        FeedKind::Appstore => appstore::request(ctx, 1),
        FeedKind::Flickr => flickr::request(ctx, 1),
        FeedKind::Googleplay => googleplay::request(ctx, None),
        FeedKind::Json => json::request(ctx),
    }
}

/// Turn one answer into mentions, sanitised and trimmed, ready for the filters and the store.
pub fn parse(ctx: &Ctx<'_>, req: &Request, reply: &Reply<'_>) -> Result<Page, SourceError> {
    parse_unsanitized(ctx, req, reply).map_err(SourceError::sanitized)
}

fn parse_unsanitized(ctx: &Ctx<'_>, req: &Request, reply: &Reply<'_>) -> Result<Page, SourceError> {
    if looks_like_html(reply.body) {
        return Err(SourceError::HtmlNotFeed);
    }
    if let Some(what) = binary_kind(reply.body) {
        return Err(SourceError::Malformed(format!(
            "the server sent {what}, not a feed or the JSON its API documents"
        )));
    }
    let feed = ctx.feed;
    // A feed document's own mark says its encoding (`rss` reads it); an API's JSON is UTF-8.
    let unmarked = reply.without_bom();
    let reply = if feed.kind == FeedKind::Rss { reply } else { &unmarked };
    let mut page = match feed.kind {
        FeedKind::Rss => rss::parse_fetched(&rss::Fetched {
            body: reply.body,
            url: &req.url,
            content_type: reply.header("content-type"),
            content_location: reply.header("content-location"),
        })?,
        FeedKind::Hackernews => hackernews::parse(feed, reply.body, ctx.cursor)?,
        FeedKind::Reddit => reddit::parse(ctx, req, reply)?,
        FeedKind::Mastodon => mastodon::parse(ctx, req, reply)?,
        FeedKind::Bluesky => bluesky::parse(ctx, req, reply)?,
        FeedKind::X => x::parse(ctx, reply)?,
        FeedKind::Stackexchange => stackexchange::parse(ctx, req, reply)?,
        FeedKind::Github => github::parse(ctx, req, reply)?,
        FeedKind::Discourse => discourse::parse(ctx, req, reply)?,
        FeedKind::Lemmy => lemmy::parse(ctx, req, reply)?,
        FeedKind::Youtube => youtube::parse(ctx, req, reply)?,
        FeedKind::Appstore => appstore::parse(ctx, req, reply)?,
        FeedKind::Flickr => flickr::parse(ctx, req, reply)?,
        FeedKind::Googleplay => googleplay::parse(ctx, reply)?,
        FeedKind::Json => json::parse(ctx, reply)?,
    };
    for m in &mut page.mentions {
        finish(m);
    }
    Ok(page)
}

/// Requests that fill in what a source's search leaves out (Bluesky's follower counts), sent
/// after the poll's pages; a failure there costs the reach, not the mentions.
pub fn reach_requests(ctx: &Ctx<'_>, mentions: &[NewMention]) -> Result<Vec<Request>, SourceError> {
    match ctx.feed.kind {
        FeedKind::Bluesky if !mentions.is_empty() => bluesky::reach_requests(ctx, mentions),
        FeedKind::Youtube if !mentions.is_empty() => youtube::reach_requests(ctx, mentions),
        _ => Ok(Vec::new()),
    }
}

/// Whether the service can tell what answered a post of ours (so the poller watches our replies).
pub fn tells_follow_ups(kind: FeedKind) -> bool {
    matches!(kind, FeedKind::Mastodon | FeedKind::Bluesky | FeedKind::Lemmy)
}

/// The requests that ask what answered our replies `ids` (the services' ids of what we sent),
/// where the service can tell: the replies they bring are parsed by [`parse`] as any page.
pub fn follow_up_requests(ctx: &Ctx<'_>, ids: &[String]) -> Result<Vec<Request>, SourceError> {
    match ctx.feed.kind {
        FeedKind::Mastodon => ids.iter().map(|id| mastodon::follow_up_request(ctx, id)).collect(),
        FeedKind::Bluesky => ids.iter().map(|id| bluesky::thread_request(ctx, id)).collect(),
        FeedKind::Lemmy => ids
            .iter()
            .filter_map(|id| lemmy::follow_up_request(ctx, id).transpose())
            .collect(),
        _ => Ok(Vec::new()),
    }
}

/// How many pages one poll of `feed` may read: five of a search, more where a poll reads a list
/// per channel, video or photo after its search (YouTube, Flickr), so that none is left unread.
pub fn max_pages(feed: &FeedConfig) -> usize {
    const SEARCH: usize = 5;
    match feed.kind {
        FeedKind::Youtube => youtube::max_pages(feed).max(SEARCH),
        FeedKind::Flickr => flickr::max_pages(feed).max(SEARCH),
        _ => SEARCH,
    }
}

/// Count `calls` the poll made after its pages (reach look-ups, follow-ups) against the
/// service's daily quota, in the poll's cursor and rate, where the service counts one (YouTube:
/// each of those lists costs a unit).
pub fn charge(
    kind: FeedKind,
    now: DateTime<Utc>,
    calls: usize,
    cursor: &mut Option<serde_json::Value>,
    rate: &mut Option<RateLimit>,
) {
    if kind == FeedKind::Youtube && calls > 0 {
        youtube::charge(now, calls, cursor, rate);
    }
}

pub fn apply_reach(feed: &FeedConfig, mentions: &mut [NewMention], reply: &Reply<'_>) -> Result<(), SourceError> {
    match feed.kind {
        FeedKind::Bluesky => bluesky::apply_reach(mentions, reply),
        FeedKind::Youtube => youtube::apply_reach(mentions, reply),
        _ => Ok(()),
    }
}

/// How long to wait when a refusal says the service's quota is spent until it resets (YouTube's
/// 403 `quotaExceeded`); `None` for any other refusal.
pub fn quota_wait(feed: &FeedConfig, status: u16, body: &[u8], now: DateTime<Utc>) -> Option<std::time::Duration> {
    match feed.kind {
        FeedKind::Youtube => youtube::quota_wait(status, body, now),
        _ => None,
    }
}

/// What to tell the user when a service refuses a request, in words that say what to do.
pub fn explain_refusal(feed: &FeedConfig, status: u16) -> Option<String> {
    let env = feed
        .token_env
        .as_deref()
        .map(|e| format!("${e}"))
        .unwrap_or_else(|| "the token".into());
    match (feed.kind, status) {
        (FeedKind::Rss | FeedKind::Hackernews, _) => None,
        (_, 401) if feed.token_env.is_none() => {
            Some("the service wants a token: set `token_env` to the name of an environment variable holding one".into())
        }
        (_, 401) => Some(format!("the service refused {env} (expired, revoked or mistyped?)")),
        (_, 403) => Some(format!(
            "the service refused access with {env} (missing scope, or an app without search access?)"
        )),
        (_, 400 | 422) => {
            Some("the service rejected the request: check `query` (its syntax differs per service)".into())
        }
        _ => None,
    }
}

/// Newest of two ids compared as numbers of any length (snowflakes, Mastodon ids).
pub(crate) fn newer_id(a: Option<String>, b: &str) -> Option<String> {
    match a {
        Some(a) if (a.len(), a.as_str()) >= (b.len(), b) => Some(a),
        _ => Some(b.to_string()),
    }
}

/// Parse a JSON body, or say which service sent what instead.
pub(crate) fn json_body<T: serde::de::DeserializeOwned>(service: &'static str, body: &[u8]) -> Result<T, SourceError> {
    serde_json::from_slice(body).map_err(|e| SourceError::Unexpected {
        service,
        detail: format!("not the JSON it documents ({e})"),
    })
}

/// A service's list of items, each read on its own: an item of a shape the parser does not know
/// (another server's dialect of the API, a changed field, a stranger's nonsense) is skipped and
/// counted, and costs that item only, never the page. A list that is not a list at all is still
/// an answer that is not what the service documents; `null` or a missing list is empty.
#[derive(Debug)]
pub(crate) struct Each<T> {
    pub items: Vec<T>,
    /// Items that could not be read.
    pub skipped: usize,
    /// Why the first of them could not, in words.
    first_error: Option<String>,
}

impl<T> Default for Each<T> {
    fn default() -> Self {
        Each {
            items: Vec::new(),
            skipped: 0,
            first_error: None,
        }
    }
}

impl<'de, T: serde::de::DeserializeOwned> serde::Deserialize<'de> for Each<T> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw: Option<Vec<serde_json::Value>> = serde::Deserialize::deserialize(d)?;
        let mut out = Each::default();
        for v in raw.unwrap_or_default() {
            match serde_json::from_value(v) {
                Ok(item) => out.items.push(item),
                Err(e) => {
                    out.skipped += 1;
                    out.first_error.get_or_insert_with(|| e.to_string());
                }
            }
        }
        Ok(out)
    }
}

impl<T> Each<T> {
    /// What the feed's health says of the items skipped (`what`: one and many, "status" and
    /// "statuses"), if any were.
    pub fn note(&self, what: (&str, &str)) -> Option<String> {
        let why = self.first_error.as_deref()?;
        Some(format!(
            "{} (the first: {})",
            skipped_note(self.skipped, what, "of a shape overhear does not read"),
            clip(text::sanitize_line(&without_type_names(why)), 120)
        ))
    }
}

impl<T> Each<T> {
    /// How many items the list held, read or not.
    pub fn listed(&self) -> usize {
        self.items.len() + self.skipped
    }

    /// How many items were skipped, and the health's notes ([`Each::note`]), for a page.
    pub fn said(&self, what: (&str, &str)) -> (usize, Vec<String>) {
        (self.skipped, self.note(what).into_iter().collect())
    }

    /// Each item read by `read`; what could not be read, for its shape or because `read` found
    /// nothing to store in it (`why`: "without an id"), counted and said: the mentions, how many
    /// items were skipped, and the health's notes.
    pub fn read_each<M>(
        self,
        what: (&str, &str),
        why: &str,
        read: impl FnMut(T) -> Option<M>,
    ) -> (Vec<M>, usize, Vec<String>) {
        let mut notes: Vec<String> = self.note(what).into_iter().collect();
        let (listed, unread) = (self.items.len(), self.skipped);
        let out: Vec<M> = self.items.into_iter().filter_map(read).collect();
        let incomplete = listed - out.len();
        if incomplete > 0 {
            notes.push(skipped_note(incomplete, what, why));
        }
        (out, unread + incomplete, notes)
    }
}

impl<T> IntoIterator for Each<T> {
    type Item = T;
    type IntoIter = std::vec::IntoIter<T>;
    fn into_iter(self) -> Self::IntoIter {
        self.items.into_iter()
    }
}

/// Read `x-ratelimit-limit` / `-remaining` / `-reset` style headers. `reset` is read as Unix
/// seconds, seconds from now, or an ISO time, whichever it looks like.
pub(crate) fn rate_from_headers(reply: &Reply<'_>, prefix: &str, now: DateTime<Utc>) -> Option<RateLimit> {
    let num = |name: &str| {
        reply
            .header(&format!("{prefix}-{name}"))
            .and_then(|v| v.trim().parse::<f64>().ok())
    };
    let limit = num("limit").map(|v| v as i64);
    let remaining = num("remaining").map(|v| v as i64);
    let reset = reply.header(&format!("{prefix}-reset")).and_then(|v| {
        let v = v.trim();
        if let Ok(n) = v.parse::<f64>() {
            // Seconds since the epoch are large; small numbers count from now (Reddit).
            if n > 1e12 {
                DateTime::from_timestamp_millis(n as i64)
            } else if n > 1e9 {
                DateTime::from_timestamp(n as i64, 0)
            } else {
                Some(now + chrono::Duration::milliseconds((n * 1000.0) as i64))
            }
        } else {
            rfc3339(Some(v))
        }
    });
    (limit.is_some() || remaining.is_some()).then_some(RateLimit {
        limit,
        remaining,
        reset,
        note: None,
    })
}

impl RateLimit {
    /// How long to wait when the quota is spent.
    pub fn wait(&self, now: DateTime<Utc>) -> Option<Duration> {
        match (self.remaining, self.reset) {
            (Some(0), Some(reset)) if reset > now => (reset - now).to_std().ok(),
            (Some(0), None) => Some(Duration::from_secs(60)),
            _ => None,
        }
    }
}

/// Add `pairs` to a URL's query.
pub(crate) fn with_query(mut url: Url, pairs: &[(&str, String)]) -> Url {
    {
        let mut q = url.query_pairs_mut();
        for (k, v) in pairs {
            q.append_pair(k, v);
        }
    }
    url
}

/// Sanitise every string a stranger wrote, once more, whatever the source did.
pub(crate) fn finish(m: &mut NewMention) {
    let line = |s: &mut Option<String>| {
        if let Some(v) = s.take() {
            let v = clip(text::sanitize_line(&v), MAX_FIELD_CHARS);
            *s = (!v.is_empty()).then_some(v);
        }
    };
    // Ids are kept whole up to a size; a longer one is stored as its SHA-256, so two ids that
    // differ only at the end stay two (clipping would make them one).
    // The place's references are ids too, treated alike so that they still name what they name.
    let id = |v: Option<String>| {
        v.and_then(|id| {
            let id = text::sanitize_line(&id);
            match id.chars().count() {
                0 => None,
                n if n > MAX_ID_CHARS => Some(crate::model::hashed_id(&id)),
                _ => Some(id),
            }
        })
    };
    m.external_id = id(m.external_id.take());
    m.place.parent = id(m.place.parent.take());
    m.place.root = id(m.place.root.take());
    m.author_ref = id(m.author_ref.take());
    m.place.links_to = m
        .place
        .links_to
        .take()
        .and_then(|u| storable_link(&text::sanitize_line(&u)));
    line(&mut m.url);
    // A link is followed by a person: http(s) only, and never with credentials in it (they would
    // be stored, exported and shown; `https://paypal.com:login@evil.example/` is a look-alike).
    m.url = m.url.take().and_then(|u| storable_link(&u));
    line(&mut m.author);
    line(&mut m.author_name);
    m.author_name = m.author_name.take().filter(|n| !n.is_empty()).map(|n| clip(n, 100));
    line(&mut m.title);
    m.text = clip(text::sanitize(&m.text).trim().to_string(), MAX_TEXT_CHARS);
    // 1970, 1900, year 0: a placeholder, not when anyone wrote it. The mention is dated when first
    // seen instead of sinking to the bottom of the stream.
    if m.published_at.is_some_and(|p| p < *EARLIEST) {
        m.published_at = None;
    }
}

fn clip(s: String, max_chars: usize) -> String {
    match s.char_indices().nth(max_chars) {
        Some((i, _)) => {
            let mut s = s;
            s.truncate(i);
            s.push('…');
            s
        }
        None => s,
    }
}

/// A link as it may be stored: http or https, without user or password.
fn storable_link(u: &str) -> Option<String> {
    let mut url = Url::parse(u).ok()?;
    if !matches!(url.scheme(), "http" | "https") {
        return None;
    }
    if url.username().is_empty() && url.password().is_none() {
        return Some(u.to_string());
    }
    url.set_username("").ok()?;
    url.set_password(None).ok()?;
    Some(url.to_string())
}

/// What a body is when it is a known binary format (by its first bytes), for the error.
fn binary_kind(body: &[u8]) -> Option<&'static str> {
    let kinds: [(&[u8], &str); 8] = [
        (b"\x89PNG", "a PNG image"),
        (b"GIF8", "a GIF image"),
        (b"\xFF\xD8\xFF", "a JPEG image"),
        (b"RIFF", "a RIFF file (WebP, WAV)"),
        (b"%PDF", "a PDF document"),
        (b"PK\x03\x04", "a ZIP archive"),
        (b"\x1F\x8B", "gzip data it did not label as such"),
        (b"\x7FELF", "a program"),
    ];
    kinds
        .iter()
        .find(|(magic, _)| body.starts_with(magic))
        .map(|(_, what)| *what)
}

/// An HTML document where a feed was expected.
fn looks_like_html(body: &[u8]) -> bool {
    let head = &body[..body.len().min(1024)];
    let head = String::from_utf8_lossy(head);
    let t = head.trim_start_matches('\u{feff}').trim_start().to_ascii_lowercase();
    t.starts_with("<!doctype html") || t.starts_with("<html") || (t.starts_with("<!--") && t.contains("<html"))
}

/// The endpoint of a service: the public one, or the feed's `url` override (scheme, host and an
/// optional path prefix) with `path` appended.
pub(crate) fn endpoint(feed: &FeedConfig, public: &str, path: &str) -> Result<Url, SourceError> {
    let base = match &feed.url {
        Some(u) => u.clone(),
        None => Url::parse(public).map_err(|e| SourceError::Request(e.to_string()))?,
    };
    let prefix = base.path().trim_end_matches('/');
    let mut url = base.clone();
    url.set_path(&format!("{prefix}{path}"));
    url.set_query(None);
    url.set_fragment(None);
    Ok(url)
}

/// A timestamp as the JSON APIs write it (RFC 3339), in UTC; `None` when absent or invalid (a
/// bad date never fails the item it is in).
pub(crate) fn rfc3339(s: Option<&str>) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s?.trim()).ok().map(|d| d.to_utc())
}

/// For the sources' tests: the first feed a config's text declares.
#[cfg(test)]
pub(crate) fn test_feed(toml: &str) -> FeedConfig {
    crate::config::Config::parse(std::path::Path::new("t.toml"), toml)
        .unwrap()
        .feeds
        .remove(0)
}

/// The `page` a request asks for, as its query says it (Lemmy, Stack Exchange, Discourse).
pub(crate) fn page_param(req: &Request) -> Option<u32> {
    req.url
        .query_pairs()
        .find(|(k, _)| k == "page")
        .and_then(|(_, v)| v.parse().ok())
}

/// A whole number as a source wrote it: a number, or a string of digits (YouTube's and Flickr's
/// counts, Google's int64 seconds). Anything else is no number.
pub(crate) fn int_of(v: &serde_json::Value) -> Option<i64> {
    match v {
        serde_json::Value::String(s) => s.trim().parse().ok(),
        n => n.as_i64(),
    }
}

/// A reader's error in the service's terms: serde names overhear's own types ("expected struct
/// Status"); a user sees "expected an object".
fn without_type_names(why: &str) -> String {
    let mut out = String::with_capacity(why.len());
    let mut rest = why;
    while let Some(at) = rest.find("expected struct ") {
        out.push_str(&rest[..at]);
        out.push_str("expected an object");
        rest = &rest[at + "expected struct ".len()..];
        rest = rest.trim_start_matches(|c: char| c.is_alphanumeric() || c == '_');
    }
    out.push_str(rest);
    out
}

/// Items skipped, in words: "1 photo without an id was skipped", "3 photos … were skipped".
pub(crate) fn skipped_note(n: usize, (one, many): (&str, &str), why: &str) -> String {
    let (what, were) = if n == 1 { (one, "was") } else { (many, "were") };
    format!("{n} {what} {why} {were} skipped")
}

/// An optional field as a service wrote it, for `#[serde(deserialize_with)]`: read as its type,
/// or as nothing when it is written as something else (another version of the API, a stranger's
/// server): a field written oddly costs that field, not its post.
pub(crate) fn lenient<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::de::DeserializeOwned,
{
    let v: serde_json::Value = serde::Deserialize::deserialize(d)?;
    Ok(serde_json::from_value(v).ok())
}

/// A count as a service wrote it, for `#[serde(deserialize_with)]`: a number (a float is cut to
/// its whole part), a string of digits, or anything else read as no count. A count is incidental:
/// a stranger's server writing one oddly must not cost the post it counts.
pub(crate) fn lenient_count<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    let v: serde_json::Value = serde::Deserialize::deserialize(d)?;
    Ok(int_of(&v).or_else(|| {
        v.as_f64()
            .filter(|f| f.is_finite() && f.abs() < 9.0e18)
            .map(|f| f.trunc() as i64)
    }))
}

/// An id as a source wrote it: a string, or a number (Hacker News, Reddit and X write both).
/// Anything else (an object, a stranger's nonsense) is no id.
pub(crate) fn id_text(v: &serde_json::Value) -> Option<String> {
    match v {
        serde_json::Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    fn feed(stanza: &str) -> FeedConfig {
        crate::sources::test_feed(&format!("[[feed]]\nname = \"f\"\n{stanza}"))
    }

    fn hdrs(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn rate_limit_headers_in_every_dialect() {
        let now = DateTime::parse_from_rfc3339("2026-11-24T12:00:00Z").unwrap().to_utc();
        let h = hdrs(&[
            ("x-rate-limit-limit", "450"),
            ("x-rate-limit-remaining", "0"),
            ("x-rate-limit-reset", "1795525200"),
        ]);
        let r = rate_from_headers(
            &Reply {
                status: 200,
                headers: &h,
                body: b"",
            },
            "x-rate-limit",
            now,
        )
        .unwrap();
        assert_eq!((r.limit, r.remaining), (Some(450), Some(0)));
        assert_eq!(r.reset.unwrap().timestamp(), 1795525200, "Unix seconds (X, GitHub)");
        assert_eq!(r.wait(now), Some(Duration::from_secs(3600)));
        assert!(r.wait(now).is_some(), "a spent quota waits for its reset");
        let h = hdrs(&[("x-ratelimit-remaining", "0.0"), ("x-ratelimit-reset", "420")]);
        let r = rate_from_headers(
            &Reply {
                status: 200,
                headers: &h,
                body: b"",
            },
            "x-ratelimit",
            now,
        )
        .unwrap();
        assert_eq!(r.wait(now), Some(Duration::from_secs(420)), "seconds from now (Reddit)");
        let h = hdrs(&[
            ("x-ratelimit-remaining", "299"),
            ("x-ratelimit-reset", "2026-11-24T12:05:00.070144Z"),
        ]);
        let r = rate_from_headers(
            &Reply {
                status: 200,
                headers: &h,
                body: b"",
            },
            "x-ratelimit",
            now,
        )
        .unwrap();
        assert_eq!(
            r.reset.unwrap().timestamp(),
            now.timestamp() + 300,
            "ISO time (Mastodon)"
        );
        assert_eq!(r.wait(now), None, "quota left: no wait");
        assert_eq!(
            rate_from_headers(
                &Reply {
                    status: 200,
                    headers: &[],
                    body: b""
                },
                "x-ratelimit",
                now
            ),
            None
        );
    }

    #[test]
    fn a_link_to_another_host_is_never_followed_with_the_token() {
        let f = feed("kind = \"mastodon\"\ntag = \"acme\"\nurl = \"https://mastodon.example/\"");
        let now = Utc::now();
        let ctx = Ctx {
            feed: &f,
            cursor: None,
            token: Some("secret"),
            now,
        };
        let req = first_request(&ctx).unwrap();
        assert_eq!(
            req.url.as_str(),
            "https://mastodon.example/api/v1/timelines/tag/acme?limit=40"
        );
        assert_eq!(req.headers, hdrs(&[("authorization", "Bearer secret")]));
        let full: Vec<serde_json::Value> = (0..40)
            .map(|i| serde_json::json!({"id": format!("{}", 1000 + i), "content": "<p>hi</p>"}))
            .collect();
        let body = serde_json::to_vec(&full).unwrap();
        let same = hdrs(&[(
            "link",
            "<https://mastodon.example/api/v1/timelines/tag/acme?min_id=1039>; rel=\"prev\"",
        )]);
        let page = parse(
            &ctx,
            &req,
            &Reply {
                status: 200,
                headers: &same,
                body: &body,
            },
        )
        .unwrap();
        let next = page.next.expect("a full page follows prev");
        assert_eq!(next.url.query(), Some("min_id=1039"));
        assert_eq!(page.cursor, Some(serde_json::json!({"min_id": "1039"})));
        let evil = hdrs(&[("link", "<https://evil.example/steal?min_id=1>; rel=\"prev\"")]);
        let page = parse(
            &ctx,
            &req,
            &Reply {
                status: 200,
                headers: &evil,
                body: &body,
            },
        )
        .unwrap();
        assert_eq!(page.next, None, "the token stays on its instance");
    }

    #[test]
    fn github_follows_next_links_and_bluesky_follows_cursors() {
        let f = feed("kind = \"github\"\nquery = \"acme\"");
        let ctx = Ctx {
            feed: &f,
            cursor: None,
            token: None,
            now: Utc::now(),
        };
        let req = first_request(&ctx).unwrap();
        assert!(
            req.url
                .as_str()
                .starts_with("https://api.github.com/search/issues?q=acme&sort=created&order=desc&per_page=100")
        );
        let h = hdrs(&[(
            "link",
            "<https://api.github.com/search/issues?q=acme&page=2>; rel=\"next\", <https://api.github.com/search/issues?q=acme&page=10>; rel=\"last\"",
        )]);
        let page = parse(
            &ctx,
            &req,
            &Reply {
                status: 200,
                headers: &h,
                body: br#"{"items":[{"id":1,"title":"t","body":null}]}"#,
            },
        )
        .unwrap();
        assert_eq!(page.next.unwrap().url.query(), Some("q=acme&page=2"));
        assert_eq!(page.mentions[0].text, "", "a null body is an empty text");

        let f = feed("kind = \"bluesky\"\nquery = \"acme\"\nidentifier = \"me\"\ntoken_env = \"T\"");
        let ctx = Ctx {
            feed: &f,
            cursor: None,
            token: Some("jwt"),
            now: Utc::now(),
        };
        let req = first_request(&ctx).unwrap();
        let posts: Vec<serde_json::Value> = (0..100)
            .map(|i| serde_json::json!({"uri": format!("at://did:x/app.bsky.feed.post/{i}"), "author": {"handle": "a.b"}, "record": {"text": "x"}}))
            .collect();
        let body = serde_json::to_vec(&serde_json::json!({"posts": posts, "cursor": "100"})).unwrap();
        let page = parse(
            &ctx,
            &req,
            &Reply {
                status: 200,
                headers: &[],
                body: &body,
            },
        )
        .unwrap();
        let next = page.next.expect("a full page with a cursor continues");
        assert!(next.url.query().unwrap().ends_with("&cursor=100"), "{}", next.url);
        assert_eq!(page.mentions.len(), 100);
    }

    use super::*;

    #[test]
    fn html_pages_are_recognised() {
        assert!(looks_like_html(b"\n  <!DOCTYPE html><html><body>Sign in</body></html>"));
        assert!(looks_like_html(b"<html lang=en>"));
        assert!(looks_like_html(b"\xef\xbb\xbf<!doctype HTML>"));
        assert!(!looks_like_html(b"<?xml version=\"1.0\"?><rss version=\"2.0\"></rss>"));
        assert!(!looks_like_html(b"{\"hits\":[]}"));
    }

    #[test]
    fn finish_sanitises_every_field_and_clips() {
        let mut m = NewMention {
            external_id: Some("id\x1b[2J".into()),
            url: Some("https://x/\x07".into()),
            author: Some("\u{202e}evil".into()),
            title: Some("  ".into()),
            text: format!("\x1b]52;c;ZXZpbA==\x07hi {}", "x".repeat(MAX_TEXT_CHARS + 10)),
            ..Default::default()
        };
        finish(&mut m);
        assert_eq!(m.external_id.as_deref(), Some("id"));
        assert_eq!(m.url.as_deref(), Some("https://x/"));
        assert_eq!(m.author.as_deref(), Some("evil"));
        assert_eq!(m.title, None);
        assert!(m.text.starts_with("hi xxx"));
        assert_eq!(m.text.chars().count(), MAX_TEXT_CHARS + 1);
    }

    // The feed, the recorded answer (and where in its file the body is), where its items are,
    // and a count of the first item's that a stranger might write as a string.
    const BAD_ITEM_CASES: &[(&str, &str, &str, &str, Option<&str>)] = &[
        (
            "kind = \"mastodon\"\ntag = \"#hoot\"",
            "mastodon/timelines_public_anonymous.json",
            "",
            "",
            Some("/favourites_count"),
        ),
        (
            "kind = \"bluesky\"\nquery = \"a\"\nidentifier = \"b.example.com\"\ntoken_env = \"T\"",
            "bluesky/bluesky_search_posts.json",
            "",
            "/posts",
            Some("/likeCount"),
        ),
        (
            "kind = \"x\"\nquery = \"a\"\ntoken_env = \"T\"",
            "x/tweepy_search_recent.json",
            "",
            "/data",
            None,
        ),
        (
            "kind = \"x\"\nquery = \"a\"\ntoken_env = \"T\"",
            "x/search_recent_expanded.json",
            "",
            "/data",
            Some("/public_metrics/like_count"),
        ),
        (
            "kind = \"stackexchange\"\nquery = \"a\"\nsite = \"dba\"",
            "stackexchange/stackexchange_search_advanced.json",
            "",
            "/items",
            Some("/score"),
        ),
        (
            "kind = \"github\"\nquery = \"a\"",
            "github/normalized-fixture.json",
            "/0/response",
            "/items",
            Some("/comments"),
        ),
        (
            "kind = \"discourse\"\nquery = \"a\"\nurl = \"https://forum.example.com\"",
            "discourse/discourse_search.json",
            "",
            "/posts",
            Some("/like_count"),
        ),
        (
            "kind = \"hackernews\"\nquery = \"a\"",
            "hackernews/hn_search_by_date.json",
            "",
            "/hits",
            Some("/points"),
        ),
        (
            "kind = \"lemmy\"\nquery = \"a\"\nurl = \"https://lemmy.example.com\"",
            "lemmy/search.json",
            "",
            "/comments",
            Some("/counts/score"),
        ),
        (
            "kind = \"reddit\"\nquery = \"a\"\ntoken_env = \"T\"",
            "reddit/subreddit.json",
            "",
            "/data/children",
            Some("/data/score"),
        ),
        (
            "kind = \"youtube\"\nquery = \"a\"\ntoken_env = \"T\"",
            "youtube/search_list_q_page1.json",
            "",
            "/items",
            None,
        ),
        (
            "kind = \"appstore\"\napp = \"1510826067\"",
            "appstore/customer_reviews_page1.json",
            "",
            "/feed/entry",
            None,
        ),
        (
            "kind = \"flickr\"\nquery = \"a\"\ntoken_env = \"T\"",
            "flickr/photos_search.json",
            "",
            "/photos/photo",
            Some("/views"),
        ),
        (
            "kind = \"rss\"\nurl = \"https://example.com/feed.json\"",
            "jsonfeed/json_feed.json",
            "",
            "/items",
            None,
        ),
    ];

    /// One item of an unexpected shape in a service's answer (a number where a post should be, an
    /// id of another type): that item is skipped, counted and said in the health, and every other
    /// item of the page is read. Any other field written oddly costs nothing but that field.
    #[test]
    fn one_item_of_an_unexpected_shape_costs_that_item_only_in_every_json_source() {
        for (stanza, file, body_at, items_at, count) in BAD_ITEM_CASES {
            one_bad_item(stanza, file, body_at, items_at, *count);
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 512, ..Default::default() })]

        /// No answer makes a JSON source panic: each recorded answer cut, spliced and salted at
        /// any byte, or any JSON value at all where a post should be, is read or refused in words.
        #[test]
        fn any_answer_to_any_json_source_is_read_or_refused(
            case in 0usize..BAD_ITEM_CASES.len(),
            cut in 0usize..40_000,
            len in 0usize..64,
            salt in proptest::sample::select(vec![
                "", "\"", "[", "]", "{", "}", ",", ":", "null", "-1", "1e999", "18446744073709551616",
                "\"\u{1b}[2J\"", "\"\\ud800\"", "[[[[", "{\"a\":", "true",
            ]),
            post in proptest::arbitrary::any::<u8>(),
        ) {
            let (stanza, file, body_at, items_at, _) = BAD_ITEM_CASES[case];
            let feed = feed(stanza);
            let (ctx, req) = first_of(&feed);
            let mut answer = recorded(file, body_at);
            let body = serde_json::to_vec(&answer).unwrap();
            let at = cut.min(body.len());
            let end = (at + len).min(body.len());
            let spliced = [&body[..at], salt.as_bytes(), &body[end..]].concat();
            // A post that is any JSON at all.
            let odd = [
                serde_json::json!(null), serde_json::json!([]), serde_json::json!({}), serde_json::json!("x"),
                serde_json::json!(-1), serde_json::json!({ "id": [], "text": {}, "created_at": 1e300 }),
            ];
            *answer.pointer_mut(&format!("{items_at}/0")).unwrap() = odd[usize::from(post) % odd.len()].clone();
            for body in [spliced, serde_json::to_vec(&answer).unwrap()] {
                // Read or refused: either is an answer; only a panic fails.
                let _ = parse_json(&ctx, &req, &body);
            }
        }
    }

    #[test]
    fn a_skipped_items_note_names_no_type_of_ours() {
        assert_eq!(
            without_type_names("invalid type: integer `7`, expected struct Status"),
            "invalid type: integer `7`, expected an object"
        );
        assert_eq!(without_type_names("missing field `id`"), "missing field `id`");
        #[derive(serde::Deserialize)]
        struct Status {
            #[expect(dead_code, reason = "read to be refused")]
            id: String,
        }
        let each: Each<Status> = serde_json::from_str("[7]").unwrap();
        let note = each.note(("post", "posts")).unwrap();
        assert!(
            note.contains("expected an object") && !note.contains("struct"),
            "{note}"
        );
    }

    /// A byte order mark before an API's JSON (some servers write one) is not a reason to refuse
    /// the answer.
    #[test]
    fn a_json_answer_with_a_byte_order_mark_is_read() {
        for (stanza, file, body_at, _, _) in BAD_ITEM_CASES {
            let feed = feed(stanza);
            let (ctx, req) = first_of(&feed);
            let answer = recorded(file, body_at);
            let plain = read_answer(&ctx, &req, &answer, file).mentions.len();
            let body = [b"\xEF\xBB\xBF".as_slice(), &serde_json::to_vec(&answer).unwrap()].concat();
            let marked = parse_json(&ctx, &req, &body).unwrap_or_else(|e| panic!("{file}: {e}"));
            assert_eq!(marked.mentions.len(), plain, "{file}");
        }
    }

    /// [`one_item_of_an_unexpected_shape_costs_that_item_only_in_every_json_source`], for one
    /// recorded answer.
    fn one_bad_item(stanza: &str, file: &str, body_at: &str, items_at: &str, count: Option<&str>) {
        let feed = feed(stanza);
        let (ctx, req) = first_of(&feed);
        let read = |v: &serde_json::Value| read_answer(&ctx, &req, v, file);
        let answer = recorded(file, body_at);
        let whole = read(&answer);
        let n = whole.mentions.len();
        assert!(
            n >= 1 && whole.skipped == 0,
            "{file}: {n} read, {} skipped",
            whole.skipped
        );
        let first = answer.pointer(&format!("{items_at}/0")).unwrap().clone();
        let with_first = |item: serde_json::Value| {
            let mut v = answer.clone();
            *v.pointer_mut(&format!("{items_at}/0")).unwrap() = item;
            read(&v)
        };
        // The first item a number: the others are read, and the health says what was lost.
        let page = with_first(serde_json::json!(7));
        assert_eq!(page.mentions.len(), n - 1, "{file}: the other items are read");
        assert_eq!(page.skipped, 1, "{file}: the bad item is counted");
        assert!(
            page.notes
                .iter()
                .any(|note| note.contains("1 ") && note.contains("skipped")),
            "{file}: the health says so: {:?}",
            page.notes
        );
        // The first item's post: the one that is gone.
        let id = whole
            .mentions
            .iter()
            .map(|m| m.external_id.clone())
            .find(|id| !page.mentions.iter().any(|m| &m.external_id == id))
            .unwrap();
        // Each of its fields of another type: never the page, and the post itself only for what
        // identifies it (its id, its author's handle, its words); any other field costs only itself.
        let mut costly = Vec::new();
        for key in first.as_object().unwrap().keys() {
            let mut item = first.clone();
            item[key] = serde_json::json!({ "not": ["what", "it", "documents"] });
            let page = with_first(item);
            assert!(
                page.mentions.len() >= n - 1,
                "{file}: `{key}` of another type cost more than its item"
            );
            if page.mentions.len() < n {
                costly.push(key.clone());
            }
        }
        assert!(costly.len() <= 2, "{file}: {costly:?} of another type cost their post");
        // A count written as a string of digits is read; one written as nonsense costs the count.
        if let Some(at) = count {
            for written in [serde_json::json!("12"), serde_json::json!({ "x": 1 })] {
                let mut item = first.clone();
                *item.pointer_mut(at).unwrap_or_else(|| panic!("{file}: no {at}")) = written.clone();
                let page = with_first(item);
                assert_eq!(page.mentions.len(), n, "{file}: a count written oddly costs its post");
                let post = page.mentions.iter().find(|m| m.external_id == id).unwrap();
                let (e, reach) = (&post.engagement, post.author_reach);
                let counts = [e.score, e.likes, e.reposts, e.replies, e.quotes, e.views, reach];
                assert!(
                    !written.is_string() || counts.contains(&Some(12)),
                    "{file}: {at} = \"12\" is read: {counts:?}"
                );
            }
        }
    }

    /// A recorded answer as the parser reads it, which must be a page.
    fn read_answer(ctx: &Ctx<'_>, req: &Request, v: &serde_json::Value, file: &str) -> Page {
        parse_json(ctx, req, &serde_json::to_vec(v).unwrap())
            .unwrap_or_else(|e| panic!("{file}: one bad item cost the page: {e}"))
    }

    /// `body` as the JSON answer to `req`, read.
    fn parse_json(ctx: &Ctx<'_>, req: &Request, body: &[u8]) -> Result<Page, SourceError> {
        let headers = vec![("content-type".to_string(), "application/json".to_string())];
        let reply = Reply {
            status: 200,
            headers: &headers,
            body,
        };
        parse(ctx, req, &reply)
    }

    /// A first poll of `feed` (a token given): its context and first request.
    fn first_of(feed: &FeedConfig) -> (Ctx<'_>, Request) {
        let ctx = Ctx {
            feed,
            cursor: None,
            token: Some("t"),
            now: Utc::now(),
        };
        let req = first_request(&ctx).unwrap();
        (ctx, req)
    }

    /// A recorded answer under `tests/fixtures/`, the part of its file at `at` (a JSON pointer).
    fn recorded(file: &str, at: &str) -> serde_json::Value {
        let path = format!("{}/tests/fixtures/{file}", env!("CARGO_MANIFEST_DIR"));
        let whole: serde_json::Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
        whole.pointer(at).unwrap().clone()
    }
}
