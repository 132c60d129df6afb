//! Feed kinds: for each, the request it sends and how its payload becomes mentions.
//! Pure functions over bytes: no HTTP client, no SQL, no UI.

pub mod hackernews;
pub mod rss;

use crate::config::FeedConfig;
use crate::model::{FeedKind, NewMention};
use crate::text;
use url::Url;

/// Longest text kept for one mention, in characters.
const MAX_TEXT_CHARS: usize = 20_000;
const MAX_FIELD_CHARS: usize = 2_000;

/// What one response yielded.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Page {
    pub mentions: Vec<NewMention>,
    /// The cursor to store once the poll is written (`None` keeps the stored one).
    pub cursor: Option<serde_json::Value>,
    /// The next page of the same poll, when the source paginates and more is waiting.
    pub next: Option<Url>,
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
}

/// The first request of a poll.
pub fn first_request(feed: &FeedConfig, cursor: Option<&serde_json::Value>) -> Result<Url, SourceError> {
    match feed.kind {
        FeedKind::Rss => feed
            .url
            .clone()
            .ok_or_else(|| SourceError::Request("a rss feed needs `url`".into())),
        FeedKind::Hackernews => hackernews::request(feed, cursor, 0),
    }
}

/// Turn one response body into mentions, sanitised and trimmed, ready for the filters and the store.
pub fn parse(
    feed: &FeedConfig,
    url: &Url,
    body: &[u8],
    cursor: Option<&serde_json::Value>,
) -> Result<Page, SourceError> {
    if looks_like_html(body) {
        return Err(SourceError::HtmlNotFeed);
    }
    let mut page = match feed.kind {
        FeedKind::Rss => rss::parse(body, url)?,
        FeedKind::Hackernews => hackernews::parse(feed, body, cursor)?,
    };
    for m in &mut page.mentions {
        finish(m);
    }
    Ok(page)
}

/// Sanitise every string a stranger wrote, once more, whatever the source did.
fn finish(m: &mut NewMention) {
    let line = |s: &mut Option<String>| {
        if let Some(v) = s.take() {
            let v = clip(text::sanitize_line(&v), MAX_FIELD_CHARS);
            *s = (!v.is_empty()).then_some(v);
        }
    };
    line(&mut m.external_id);
    line(&mut m.url);
    line(&mut m.author);
    line(&mut m.title);
    m.text = clip(text::sanitize(&m.text).trim().to_string(), MAX_TEXT_CHARS);
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

#[cfg(test)]
mod tests {
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
}
