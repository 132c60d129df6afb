//! The network client: one reqwest client (rustls, a redirect policy that follows only http and
//! https, timeouts), the body cap counted after decompression, rate-limit answers turned into a
//! wait, and sign-in sessions kept in memory. Used by the poller to fetch and by the outbox to
//! answer. It knows HTTP, not schedules, the store or the screen.
//!
//! Secrets are read from the environment variable a feed's `token_env` names, at the moment they
//! are needed (`secret`), and never stored or logged; errors name the variable, not its value,
//! and never carry a URL (its query may hold a key).

use crate::model::FeedConfig;
use crate::sources::{self, Reply, Session, SourceError};
use chrono::{DateTime, Utc};
use reqwest::StatusCode;
use reqwest::header::{self, HeaderMap};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub const USER_AGENT: &str = concat!("overhear/", env!("CARGO_PKG_VERSION"), " (social listening console)");
const MAX_REDIRECTS: usize = 5;

/// Limits of every request.
#[derive(Debug, Clone, PartialEq)]
pub struct Limits {
    pub connect_timeout: Duration,
    pub timeout: Duration,
    /// Largest body accepted, counted after decompression.
    pub max_body_bytes: u64,
    /// Polls fetching from one host (its scheme, name and port) at once.
    pub per_host: usize,
}

/// The default of [`Limits::per_host`]: a small server's listen queue (Python's `http.server`
/// and `socketserver` keep 5) drops the connections opened past it at once, and each dropped
/// one waits a second for the system to try again; a browser opens at most 6 to one host.
pub const PER_HOST: usize = 4;

impl Default for Limits {
    fn default() -> Self {
        Limits {
            connect_timeout: Duration::from_secs(10),
            timeout: Duration::from_secs(30),
            max_body_bytes: 8 * 1024 * 1024,
            per_host: PER_HOST,
        }
    }
}

/// Why a request brought nothing usable, in words fit for a feed's health.
#[derive(Debug, thiserror::Error)]
pub enum NetError {
    /// No answer, or a refusal (`status` when the server answered).
    #[error("{message}")]
    Http { status: Option<u16>, message: String },
    /// 429 or 503: the wait the server asked for, when it said.
    #[error("{message}")]
    RateLimited {
        status: u16,
        message: String,
        retry_after: Option<Duration>,
    },
    /// The answer came but the source could not read it.
    #[error("{0}")]
    Source(#[from] SourceError),
}

impl NetError {
    fn plain(message: impl Into<String>) -> NetError {
        NetError::Http {
            status: None,
            message: message.into(),
        }
    }

    /// The HTTP status the server answered with, when it answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            NetError::Http { status, .. } => *status,
            NetError::RateLimited { status, .. } => Some(*status),
            NetError::Source(_) => None,
        }
    }
}

/// An answer: status, headers (names lowercased), and the body (`None` for a 304).
#[derive(Debug)]
pub struct Response {
    pub status: StatusCode,
    pub headers: Vec<(String, String)>,
    pub body: Option<Vec<u8>>,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
    }

    /// The answer as the sans-IO sources read it.
    pub fn reply(&self) -> Reply<'_> {
        Reply {
            status: self.status.as_u16(),
            headers: &self.headers,
            body: self.body.as_deref().unwrap_or(&[]),
        }
    }
}

/// The HTTP client with its limits and the sessions it signed in. Clone-cheap.
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    limits: Limits,
    /// Signed-in sessions by feed name: memory only.
    sessions: Arc<Mutex<HashMap<String, Session>>>,
    /// Each host's places among the polls fetching at once ([`Limits::per_host`]), by origin.
    hosts: Arc<Mutex<HashMap<String, Arc<tokio::sync::Semaphore>>>>,
}

impl Client {
    pub fn new(limits: &Limits) -> Result<Client, reqwest::Error> {
        let redirects = reqwest::redirect::Policy::custom(|attempt| {
            if attempt.previous().len() >= MAX_REDIRECTS {
                attempt.error(format!("more than {MAX_REDIRECTS} redirects"))
            } else if !matches!(attempt.url().scheme(), "http" | "https") {
                let scheme = attempt.url().scheme().to_string();
                attempt.error(format!(
                    "a redirect to a {scheme}: address, only http and https are followed"
                ))
            } else {
                attempt.follow()
            }
        });
        let http = reqwest::Client::builder()
            .user_agent(USER_AGENT)
            .connect_timeout(limits.connect_timeout)
            .timeout(limits.timeout)
            .redirect(redirects)
            .build()?;
        Ok(Client {
            http,
            limits: limits.clone(),
            sessions: Arc::default(),
            hosts: Arc::default(),
        })
    }

    /// A place among the polls fetching from `url`'s host (its scheme, name and port), waited for
    /// when they are [`Limits::per_host`] already; held until the poll's answers are read.
    pub async fn host_turn(&self, url: &url::Url) -> tokio::sync::OwnedSemaphorePermit {
        let origin = url.origin().ascii_serialization();
        let turns = self
            .hosts
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(origin)
            .or_insert_with(|| Arc::new(tokio::sync::Semaphore::new(self.limits.per_host.max(1))))
            .clone();
        turns.acquire_owned().await.expect("a host's semaphore is never closed")
    }

    /// The account a signed-in session belongs to (Bluesky's DID), if one is open.
    pub fn session_account(&self, feed: &str) -> Option<String> {
        self.sessions
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(feed)
            .and_then(|s| s.account.clone())
    }

    /// The token a request carries: the secret itself, or a session signed in with it (kept in
    /// memory, renewed when it expires or when `renew` says the service refused it).
    pub async fn token(
        &self,
        feed: &FeedConfig,
        secret: Option<&str>,
        renew: bool,
    ) -> Result<Option<String>, NetError> {
        if !sources::needs_session(feed) {
            return Ok(secret.map(str::to_string));
        }
        let secret = secret.ok_or_else(|| NetError::plain("no credentials to sign in with"))?;
        let now = Utc::now();
        if !renew {
            let cached = self
                .sessions
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .get(&feed.name)
                .cloned();
            if let Some(s) = cached.filter(|s| s.expires_at.is_none_or(|e| e > now)) {
                return Ok(Some(s.token));
            }
        }
        let req = sources::session_request(feed, secret)?;
        let resp = self.send(feed, &req, HeaderMap::new()).await.map_err(|e| match e {
            NetError::Http {
                status: Some(s @ (400 | 401 | 403)),
                ..
            } => NetError::Http {
                status: Some(s),
                message: match &feed.key_file {
                    Some(k) => format!(
                        "the sign-in was refused (HTTP {s}): check the service account in {} (key_file) and its access to the app",
                        k.display()
                    ),
                    None => format!(
                        "the sign-in was refused (HTTP {s}): check the credentials in ${}",
                        feed.token_env.as_deref().unwrap_or("?")
                    ),
                },
            },
            other => other,
        })?;
        let session = sources::parse_session(feed, &resp.reply(), now)?;
        let token = session.token.clone();
        self.sessions
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(feed.name.clone(), session);
        Ok(Some(token))
    }

    /// Send one request with the body read under the size cap. `body` is `None` for a 304; 429
    /// and 503 become [`NetError::RateLimited`] with the wait the server asked for.
    pub async fn send(
        &self,
        feed: &FeedConfig,
        req: &sources::Request,
        extra: HeaderMap,
    ) -> Result<Response, NetError> {
        let mut builder = match &req.body {
            None => self.http.get(req.url.clone()),
            Some(sources::Body::Form(pairs)) => self
                .http
                .post(req.url.clone())
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(
                    url::form_urlencoded::Serializer::new(String::new())
                        .extend_pairs(pairs)
                        .finish(),
                ),
            Some(sources::Body::Json(v)) => self
                .http
                .post(req.url.clone())
                .header(header::CONTENT_TYPE, "application/json")
                .body(v.to_string()),
        };
        if req.url.scheme() == "http" {
            // A plain connection costs a round trip to open, and one kept open stalls 40 ms per
            // answer on a server that writes an answer's head and body apart (Python's
            // `http.server` with keep-alive: Nagle's algorithm holds the body until the head is
            // acknowledged, which the system delays on a connection past its first exchanges).
            // 200 feeds from one such server: 2.2 s kept, 0.5 s anew. A TLS one, costly to open,
            // is kept.
            builder = builder.header(header::CONNECTION, "close");
        }
        // An adapter's carried state (`sources::CARRY`) is overhear's, never sent.
        for (k, v) in req.headers.iter().filter(|(k, _)| !k.starts_with(sources::CARRY)) {
            builder = builder.header(k.as_str(), v.as_str());
        }
        let resp = builder
            .headers(extra)
            .send()
            .await
            .map_err(|e| NetError::plain(describe_http(&e, self.limits.timeout)))?;
        let status = resp.status();
        let headers: Vec<(String, String)> = resp
            .headers()
            .iter()
            .filter_map(|(k, v)| {
                v.to_str()
                    .ok()
                    .map(|v| (k.as_str().to_ascii_lowercase(), v.to_string()))
            })
            .collect();
        if status == StatusCode::NOT_MODIFIED {
            return Ok(Response {
                status,
                headers,
                body: None,
            });
        }
        if status == StatusCode::TOO_MANY_REQUESTS || status == StatusCode::SERVICE_UNAVAILABLE {
            return Err(rate_limited(status, &headers, Utc::now()));
        }
        if status.is_redirection() {
            // The policy above followed every http(s) redirect; one left here points elsewhere.
            let target = headers.iter().find(|(k, _)| k == "location").map(|(_, v)| v.as_str());
            return Err(NetError::plain(unfollowed_redirect(status, target)));
        }
        if !status.is_success() {
            // What the service said about it, when it says it in a few kilobytes of JSON.
            let small = self.read_small(resp, 4096).await;
            if let Some(wait) = small
                .as_deref()
                .and_then(|b| sources::quota_wait(feed, status.as_u16(), b, Utc::now()))
            {
                return Err(NetError::RateLimited {
                    status: status.as_u16(),
                    message: format!(
                        "the service's daily quota is spent (HTTP {}); waiting {} until it resets",
                        status.as_u16(),
                        crate::timefmt::wait(wait)
                    ),
                    retry_after: Some(wait),
                });
            }
            let said = small.and_then(|b| service_says(&b));
            return Err(refused(feed, status, said.as_deref()));
        }
        let body = self.read_capped(resp).await?;
        Ok(Response {
            status,
            headers,
            body: Some(body),
        })
    }

    /// At most `cap` bytes of a body, or nothing (too big, broken, slow: the status says enough).
    async fn read_small(&self, mut resp: reqwest::Response, cap: usize) -> Option<Vec<u8>> {
        let mut body = Vec::new();
        let read = async {
            while let Ok(Some(chunk)) = resp.chunk().await {
                if body.len() + chunk.len() > cap {
                    return false;
                }
                body.extend_from_slice(&chunk);
            }
            true
        };
        match tokio::time::timeout(Duration::from_secs(2), read).await {
            Ok(true) => Some(body),
            _ => None,
        }
    }

    async fn read_capped(&self, mut resp: reqwest::Response) -> Result<Vec<u8>, NetError> {
        let cap = self.limits.max_body_bytes;
        let too_big = || {
            NetError::plain(format!(
                "the answer is larger than {} (counted after decompression); refused (`[poller] max_body` sets the limit)",
                human_bytes(cap)
            ))
        };
        // A declared length is only known to be the compressed size when no encoding is set.
        if resp.content_length().is_some_and(|n| n > cap) {
            return Err(too_big());
        }
        let mut body = Vec::with_capacity(resp.content_length().unwrap_or(16 * 1024).min(cap) as usize);
        loop {
            match resp.chunk().await {
                Ok(Some(chunk)) => {
                    if body.len() as u64 + chunk.len() as u64 > cap {
                        return Err(too_big());
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(None) => return Ok(body),
                Err(e) => return Err(NetError::plain(describe_http(&e, self.limits.timeout))),
            }
        }
    }
}

/// A 429 or 503 in words, with the wait the server asked for: `Retry-After`, or the reset of
/// the rate-limit window some services send instead (X, GitHub, Mastodon, Reddit).
fn rate_limited(status: StatusCode, headers: &[(String, String)], now: DateTime<Utc>) -> NetError {
    let retry_after = headers
        .iter()
        .find(|(k, _)| k == "retry-after")
        .and_then(|(_, v)| crate::poller::schedule::parse_retry_after(v, now));
    let reply = Reply {
        status: status.as_u16(),
        headers,
        body: &[],
    };
    let reset = ["x-rate-limit", "x-ratelimit"]
        .iter()
        .find_map(|p| sources::rate_from_headers(&reply, p, now))
        .and_then(|r| r.reset)
        .and_then(|r| (r - now).to_std().ok());
    let retry_after = retry_after.or(reset);
    let what = if status == StatusCode::TOO_MANY_REQUESTS {
        "rate-limited by the server"
    } else {
        "the server is unavailable"
    };
    let cap = crate::poller::schedule::MAX_RETRY_AFTER;
    let message = match retry_after {
        Some(d) if d > cap => format!(
            "{what} (HTTP {}); it asked to wait {}, overhear waits {} at most",
            status.as_u16(),
            crate::timefmt::wait(d),
            crate::timefmt::wait(cap)
        ),
        Some(d) => format!(
            "{what} (HTTP {}); waiting {} as it asked",
            status.as_u16(),
            crate::timefmt::wait(d)
        ),
        None => format!("{what} (HTTP {}); backing off", status.as_u16()),
    };
    NetError::RateLimited {
        status: status.as_u16(),
        message,
        retry_after,
    }
}

/// A redirect the client did not follow, in words.
fn unfollowed_redirect(status: StatusCode, location: Option<&str>) -> String {
    let scheme = location
        .and_then(|l| url::Url::parse(l).ok())
        .map(|u| u.scheme().to_string());
    match scheme {
        Some(s) if s != "http" && s != "https" => {
            format!("redirect refused: a redirect to a {s}: address, only http and https are followed")
        }
        _ => format!("HTTP {} without a usable Location to follow", status.as_u16()),
    }
}

/// A refusal in words, with the source's own hint where it has one.
/// The message an API's error body carries (`error_message`, `message`, `error`, `detail`, the
/// first of `errors`), sanitised and cut to a line.
fn service_says(body: &[u8]) -> Option<String> {
    let v: serde_json::Value = serde_json::from_slice(body).ok()?;
    let s = [
        "/error_message",
        "/message",
        "/error_description",
        "/error",
        "/detail",
        "/errors/0/message",
        "/errors/0",
    ]
    .iter()
    .find_map(|p| v.pointer(p).and_then(|x| x.as_str()))?;
    let s = crate::text::sanitize_line(s);
    (!s.is_empty()).then(|| crate::text::truncate_to_width(&s, 200))
}

fn refused(feed: &FeedConfig, status: StatusCode, said: Option<&str>) -> NetError {
    let text = status.canonical_reason().unwrap_or("");
    let hint = sources::explain_refusal(feed, status.as_u16())
        .map(|h| format!(" ({h})"))
        .unwrap_or_else(|| {
            match status.as_u16() {
                401 | 403 => " (the service refused access: check the address, or the token for feeds that need one)",
                404 | 410 => " (no feed at this address any more?)",
                _ => "",
            }
            .to_string()
        });
    let said = said.map(|s| format!("; the service said: {s}")).unwrap_or_default();
    NetError::Http {
        status: Some(status.as_u16()),
        message: format!("HTTP {} {text}{hint}{said}", status.as_u16()),
    }
}

/// The token replies are posted with: `reply_token_env`'s where the feed names one, else
/// `token_env`'s.
pub fn reply_token_of(feed: &FeedConfig) -> Option<String> {
    match &feed.reply_token_env {
        Some(var) => env_value(var),
        None => token_of(feed),
    }
}

/// A variable's value, trimmed; unset or blank is none.
fn env_value(var: &str) -> Option<String> {
    std::env::var(var)
        .ok()
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

/// The feed's token, if its `token_env` variable is set.
pub fn token_of(feed: &FeedConfig) -> Option<String> {
    secret(feed).ok().flatten()
}

/// The secret `token_env` names, read from the environment now (never stored, never logged).
pub fn secret(feed: &FeedConfig) -> Result<Option<String>, NetError> {
    if let Some(path) = &feed.key_file {
        return key_file(path).map(Some);
    }
    match &feed.token_env {
        Some(var) => env_value(var).map(Some).ok_or_else(|| {
            NetError::plain(format!(
                "the environment variable {var} (token_env) is not set; export it before starting overhear"
            ))
        }),
        None if feed.kind.needs_token() => Err(NetError::plain(format!(
            "a {} feed needs a token: set `token_env`",
            feed.kind
        ))),
        None => Ok(None),
    }
}

/// A key file's contents, read now: refused, unread, when anyone but its owner may read it (as
/// ssh does a private key), or when it is not a small file.
fn key_file(path: &std::path::Path) -> Result<String, NetError> {
    use std::os::unix::fs::PermissionsExt;
    let shown = path.display();
    let meta = std::fs::metadata(path)
        .map_err(|e| NetError::plain(format!("cannot read the key file {shown} (key_file): {e}")))?;
    if meta.permissions().mode() & 0o077 != 0 {
        return Err(NetError::plain(format!(
            "the key file {shown} may be read by others; overhear will not use it until only you can: chmod 600 {shown}"
        )));
    }
    if !meta.is_file() || meta.len() > 64 * 1024 {
        return Err(NetError::plain(format!("{shown} (key_file) is not a key file")));
    }
    std::fs::read_to_string(path).map_err(|e| NetError::plain(format!("cannot read the key file {shown}: {e}")))
}

/// A byte count as people write it ("8 MiB", "1.5 MiB").
fn human_bytes(n: u64) -> String {
    const MIB: u64 = 1024 * 1024;
    if n >= MIB && n % MIB == 0 {
        format!("{} MiB", n / MIB)
    } else if n >= 1024 && n % 1024 == 0 {
        format!("{} KiB", n / 1024)
    } else {
        bytesize::ByteSize(n).display().iec().to_string()
    }
}

/// A reqwest error in words, without the URL (it may carry a key).
fn describe_http(e: &reqwest::Error, timeout: Duration) -> String {
    if e.is_timeout() {
        return format!("timed out after {}", humantime::format_duration(timeout));
    }
    let mut root: &dyn std::error::Error = e;
    let mut chain = Vec::new();
    while let Some(src) = root.source() {
        let s = src.to_string();
        if !chain.contains(&s) {
            chain.push(s);
        }
        root = src;
    }
    let detail = chain.last().cloned().unwrap_or_else(|| e.to_string());
    if e.is_redirect() {
        format!("redirect refused: {}", chain.first().cloned().unwrap_or(detail))
    } else if e.is_connect() {
        format!("cannot connect: {detail}")
    } else if e.is_decode() || e.is_body() {
        format!("the answer broke off or could not be decoded: {detail}")
    } else {
        format!("request failed: {detail}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_apis_error_body_is_said_in_its_words_safely() {
        let body =
            br#"{"error_id":400,"error_name":"bad_parameter","error_message":"site is required \u001b]0;x\u0007"}"#;
        assert_eq!(service_says(body).as_deref(), Some("site is required"));
        assert_eq!(
            service_says(br#"{"errors":[{"message":"Bad query"}]}"#).as_deref(),
            Some("Bad query")
        );
        assert_eq!(service_says(b"<html>nope</html>"), None);
    }

    #[test]
    fn sizes_read_as_people_write_them() {
        assert_eq!(human_bytes(8 * 1024 * 1024), "8 MiB");
        assert_eq!(human_bytes(512 * 1024), "512 KiB");
        assert_eq!(human_bytes(1536 * 1024 + 1), "1.5 MiB");
    }

    #[test]
    fn an_absurd_wait_is_said_in_words_and_capped() {
        // A whole second: an HTTP date has no fraction, and the wait must not depend on `now`'s.
        let now = chrono::DateTime::from_timestamp(Utc::now().timestamp(), 0).unwrap();
        let headers = vec![("retry-after".to_string(), "999999999".to_string())];
        let e = rate_limited(StatusCode::TOO_MANY_REQUESTS, &headers, now);
        assert_eq!(
            e.to_string(),
            "rate-limited by the server (HTTP 429); it asked to wait 11574d 1h, overhear waits 1d at most"
        );
        let date = (now + chrono::Duration::milliseconds(90_400)).to_rfc2822();
        let headers = vec![("retry-after".to_string(), date)];
        let e = rate_limited(StatusCode::SERVICE_UNAVAILABLE, &headers, now);
        assert!(e.to_string().ends_with("waiting 1m 30s as it asked"), "{e}");
    }

    #[test]
    fn a_rate_limit_says_how_long_it_waits() {
        let now = Utc::now();
        let headers = vec![("retry-after".to_string(), "120".to_string())];
        match rate_limited(StatusCode::TOO_MANY_REQUESTS, &headers, now) {
            NetError::RateLimited {
                status, retry_after, ..
            } => {
                assert_eq!(status, 429);
                assert_eq!(retry_after, Some(Duration::from_secs(120)));
            }
            other => panic!("{other:?}"),
        }
    }
}
