//! A feed as the engine sees it: validated, with no trace of the TOML it came from. The config
//! loader builds these; sources, the poller and the outbox read them.

use crate::model::FeedKind;
use crate::rules::Rules;
use serde::Deserialize;
use std::time::Duration;
use url::Url;

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
    /// YouTube: channels (`UC…`) whose videos' comments are searched for the query.
    pub channels: Vec<String>,
    /// YouTube: videos whose comments are searched for the query.
    pub videos: Vec<String>,
    /// Flickr: our photos whose comments are read.
    pub photos: Vec<String>,
    /// App Store: the app's numeric id; Google Play: its package name.
    pub app: Option<String>,
    /// App Store: the store's country (two letters, default `us`).
    pub country: Option<String>,
    /// Google Play: the service account's JSON key file (read when signing in, kept nowhere).
    pub key_file: Option<std::path::PathBuf>,
    /// The variable holding the token replies are posted with, where it is not `token_env`'s
    /// (YouTube: an OAuth access token with the `youtube.force-ssl` scope; `token_env` holds the
    /// API key that reads).
    pub reply_token_env: Option<String>,
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
