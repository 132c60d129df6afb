//! Domain types shared by the engine and the console. No I/O here.

mod feed;

pub use feed::{FeedConfig, JsonMap};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::str::FromStr;
use std::time::Duration;

/// The kinds of feed overhear can poll. Each has one module under `sources/`.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    strum::Display,
    strum::IntoStaticStr,
    strum::VariantArray,
)]
#[serde(rename_all = "lowercase")]
#[strum(serialize_all = "lowercase")]
pub enum FeedKind {
    /// RSS 0.9x/1.0/2.0, Atom 1.0 and JSON Feed 1.x (also Google Alerts, YouTube, Reddit Atom).
    Rss,
    /// Hacker News through Algolia's search API.
    Hackernews,
    /// Reddit search: the Atom feed without credentials, the OAuth JSON listing with them.
    Reddit,
    /// A Mastodon instance's hashtag timeline, or status search with a token.
    Mastodon,
    /// Bluesky post search, signed in with an app password.
    Bluesky,
    /// X (Twitter) API v2 recent search with a bearer token.
    X,
    /// Stack Exchange advanced search on one site.
    Stackexchange,
    /// GitHub issue and pull request search.
    Github,
    /// A Discourse forum's search.
    Discourse,
    /// A Lemmy instance's search: posts and comments.
    Lemmy,
    /// YouTube Data API v3 search, and the comments on listed channels and videos.
    Youtube,
    /// Apple's App Store customer reviews of one app in one country's store.
    Appstore,
    /// Flickr photo search, and the comments on listed photos.
    Flickr,
    /// Google Play reviews of the team's own app, through the Play Developer API.
    Googleplay,
    /// Any other JSON search API, mapped by JSON pointers in the config.
    Json,
}

impl FeedKind {
    pub const ALL: &'static [FeedKind] = <FeedKind as strum::VariantArray>::VARIANTS;

    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// How often a feed of this kind is polled when the config does not say.
    pub fn default_every(self) -> Duration {
        let minutes = match self {
            FeedKind::Rss => 15,
            FeedKind::Hackernews | FeedKind::Reddit | FeedKind::Github | FeedKind::Lemmy => 5,
            FeedKind::Mastodon | FeedKind::Bluesky => 2,
            // The free and basic X tiers allow few searches a month.
            FeedKind::X => 15,
            FeedKind::Stackexchange | FeedKind::Discourse | FeedKind::Json => 10,
            // A search costs 100 of the 10,000 quota units a day: 72 polls use 7,200.
            FeedKind::Youtube => 20,
            // Reviews come by the day, not the minute.
            FeedKind::Appstore | FeedKind::Googleplay => 60,
            FeedKind::Flickr => 15,
        };
        Duration::from_secs(minutes * 60)
    }

    /// Whether `url` is the feed itself (true) or an override of the service's endpoint.
    pub fn url_is_feed(self) -> bool {
        matches!(self, FeedKind::Rss | FeedKind::Json)
    }

    /// Whether `query` is required.
    pub fn needs_query(self) -> bool {
        matches!(
            self,
            FeedKind::Hackernews
                | FeedKind::Reddit
                | FeedKind::Bluesky
                | FeedKind::X
                | FeedKind::Stackexchange
                | FeedKind::Github
                | FeedKind::Discourse
                | FeedKind::Lemmy
                | FeedKind::Youtube
                | FeedKind::Flickr
        )
    }

    /// Whether the kind cannot work without `token_env`.
    pub fn needs_token(self) -> bool {
        matches!(
            self,
            FeedKind::X | FeedKind::Bluesky | FeedKind::Youtube | FeedKind::Flickr
        )
    }
}

impl FromStr for FeedKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        FeedKind::ALL.iter().copied().find(|k| k.as_str() == s).ok_or_else(|| {
            let names: Vec<&str> = FeedKind::ALL.iter().map(|k| k.as_str()).collect();
            format!("unknown feed kind {s:?} (known kinds: {})", names.join(", "))
        })
    }
}

/// Engagement figures as the source gives them; absent ones stay `None`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Engagement {
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub score: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub likes: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub reposts: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub replies: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub quotes: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub views: Option<i64>,
}

impl Engagement {
    pub fn is_empty(&self) -> bool {
        *self == Engagement::default()
    }

    /// The JSON stored in the database; `None` when nothing is known.
    pub fn to_json(&self) -> Option<String> {
        (!self.is_empty()).then(|| serde_json::to_string(self).expect("engagement serialises"))
    }

    pub fn from_json(s: Option<&str>) -> Engagement {
        s.and_then(|s| serde_json::from_str(s).ok()).unwrap_or_default()
    }
}

/// A mention as a source parsed it, before it is stored.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NewMention {
    /// The source's own id for the item, when it has one.
    pub external_id: Option<String>,
    pub url: Option<String>,
    pub author: Option<String>,
    /// The name the author shows, where the service has one beside the handle.
    pub author_name: Option<String>,
    /// The source's own id of the author, where the handle is not it (a YouTube channel's id):
    /// for looking the author up, not stored.
    pub author_ref: Option<String>,
    /// Followers, karma or reputation, when the source gives it.
    pub author_reach: Option<i64>,
    pub title: Option<String>,
    /// Plain text (sources convert HTML before handing it over).
    pub text: String,
    pub published_at: Option<DateTime<Utc>>,
    pub engagement: Engagement,
    /// The language the source says the mention is in, as it names it (`en`, `en-US`, `eng`);
    /// the poller detects it from the words when the source says nothing.
    pub lang: Option<String>,
    /// What the query language knows of it beyond its words, worked out by the poller on a
    /// parser's thread (`query::facts`); the store works them out when they are missing.
    pub facts: Option<Facts>,
    /// Where it stands among other posts: the page it is about, the post it answers.
    pub place: Place,
}

/// Where a mention stands among other posts, as its source says.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Place {
    /// The outside page it is about, when that is not its own link: a Hacker News or Reddit
    /// post's link, a Mastodon card's, a Bluesky embed's.
    pub links_to: Option<String>,
    /// The source's id of the post it answers, and of its thread's first post (the source's ids,
    /// as `external_id` holds them).
    pub parent: Option<String>,
    pub root: Option<String>,
}

/// What finds the thread around a stored mention: its kind, the source's ids and its link.
#[derive(Debug, Clone, PartialEq)]
pub struct ThreadOf {
    pub kind: FeedKind,
    pub feed: String,
    pub external_id: Option<String>,
    pub url: Option<String>,
    pub parent: Option<String>,
    pub root: Option<String>,
}

/// Where a post stands in the thread around a mention.
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::Display, strum::EnumString)]
#[strum(serialize_all = "lowercase")]
pub enum Relation {
    /// The thread's first post, or a post the mention answers (directly or further up).
    Above,
    /// A reply to the mention, or to a reply to it.
    Below,
}

/// One post of the thread around a mention, as its source gave it (sanitised when parsed).
#[derive(Debug, Clone, PartialEq)]
pub struct ThreadPost {
    pub relation: Relation,
    /// How deep below the mention a reply is (1: it answers the mention); 0 above.
    pub depth: u32,
    pub external_id: Option<String>,
    pub author: Option<String>,
    /// A post that heads a thread may have a title (a story, an issue, a topic's first post).
    pub title: Option<String>,
    pub text: String,
    pub url: Option<String>,
    pub published_at: Option<DateTime<Utc>>,
}

/// One of our own accounts (`[[account]]`): the poller reads what we post there and keeps each
/// post's engagement fresh, for the figures of what our own posts earn.
#[derive(Debug, Clone, PartialEq)]
pub struct Account {
    /// How it is named in figures (`[[account]] name`, else `kind:handle`).
    pub name: String,
    /// Mastodon or Bluesky.
    pub kind: FeedKind,
    /// `acme@mastodon.social` (or `acme` with `url`), `acme.bsky.social`.
    pub handle: String,
    /// The Mastodon instance, or another Bluesky AppView than the public one.
    pub url: Option<url::Url>,
    pub token_env: Option<String>,
    /// How often it is read.
    pub every: std::time::Duration,
    /// A post's counts are asked again at every read while it is this young…
    pub fresh: std::time::Duration,
    /// …then once a day until it is this old.
    pub keep: std::time::Duration,
}

impl Account {
    /// The account as the network client knows a source: its kind, endpoint and token.
    pub fn as_feed(&self) -> FeedConfig {
        FeedConfig {
            name: self.name.clone(),
            kind: self.kind,
            query: None,
            url: self.url.clone(),
            every: self.every,
            rules: Default::default(),
            token_env: self.token_env.clone(),
            tag: None,
            identifier: None,
            site: None,
            subreddit: None,
            map: None,
            channels: Vec::new(),
            videos: Vec::new(),
            photos: Vec::new(),
            app: None,
            country: None,
            key_file: None,
            reply_token_env: None,
        }
    }
}

/// One post of ours, as its service counts it now.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct OwnPost {
    pub post_id: String,
    pub url: Option<String>,
    pub text: String,
    pub published_at: Option<DateTime<Utc>>,
    /// The post it answers, when it is a reply (a reply to a customer, often).
    pub in_reply_to: Option<String>,
    pub replies: i64,
    pub reposts: i64,
    pub likes: i64,
    pub quotes: i64,
}

/// A mention we answered, watched for what answers us (`[poller] follow_up`): where its thread
/// is, who wrote it, and what we said (the id of our reply where the service gave one, else the
/// text handed off, to find our reply in the thread by).
#[derive(Debug, Clone, PartialEq)]
pub struct Watched {
    pub mention_id: i64,
    pub of: ThreadOf,
    pub author: Option<String>,
    pub answer_id: Option<String>,
    pub answer_text: Option<String>,
    pub answered_at: DateTime<Utc>,
}

/// The thread around a mention as last fetched: when, and what came, or why nothing did.
#[derive(Debug, Clone, PartialEq)]
pub struct Thread {
    pub fetched_at: DateTime<Utc>,
    pub posts: Vec<ThreadPost>,
    /// Why the last fetch failed, in words (the posts are those of the last fetch that worked).
    pub error: Option<String>,
}

/// The facts stored with a mention.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Facts {
    /// The link's host as a reversed key (`com.example.blog.`), so a site and its subdomains are
    /// one range of an index: see `query::facts::site_range`.
    pub site: Option<String>,
    pub has_link: bool,
    pub is_question: bool,
    /// Two-letter ISO 639-1 code.
    pub lang: Option<&'static str>,
    /// VADER's compound score, in [-1, 1] (`score::sentiment`).
    pub sentiment: f64,
    /// The intents, as a bit set (`score::Intents`).
    pub intents: i64,
    /// The base priority, 0–100 (`score::priority`).
    pub priority: f64,
    /// Signs of noise in its words alone (`score::noise`: link-only).
    pub noise: i64,
    /// A fingerprint of its words, to find the same words from several authors.
    pub text_hash: Option<i64>,
    /// Its author's handle as stored: where it is unique, and the handle (`query::facts::author_key`).
    pub author: Option<(String, String)>,
    /// What finds the other places its story is seen (`score::story`).
    pub story: crate::score::story::StoryKeys,
}

impl NewMention {
    /// The identity used to store a mention once: the source's id, else its link,
    /// else a hash of what it says. Prefixed by the kind by the store.
    ///
    /// A link is a stable key only without a query: `?v=8f3a2c` may be a token the server
    /// changes on every fetch, so an item without an id whose link has a query is known by the
    /// link's path and a hash of its title and text.
    pub fn identity(&self) -> String {
        if let Some(id) = self.external_id.as_deref().filter(|s| !s.trim().is_empty()) {
            return id.trim().to_string();
        }
        if let Some(url) = self.url.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            match url.split_once('?') {
                None => return url.split('#').next().unwrap_or(url).to_string(),
                Some((path, _)) => {
                    let said = format!("{}\0{}", self.title.as_deref().unwrap_or(""), self.text);
                    return format!("{path}#{}", &hashed_id(&said)["sha256:".len()..][..16]);
                }
            }
        }
        let mut h = Fnv64::default();
        h.write(self.title.as_deref().unwrap_or("").as_bytes());
        h.write(&[0]);
        h.write(self.text.as_bytes());
        h.write(&[0]);
        h.write(self.author.as_deref().unwrap_or("").as_bytes());
        format!("hash:{:016x}", h.0)
    }
}

/// An id too long to store as it is: `sha256:` and the hex digest.
pub fn hashed_id(id: &str) -> String {
    use sha2::Digest;
    format!("sha256:{}", crate::text::hex(&sha2::Sha256::digest(id.as_bytes())))
}

/// FNV-1a: a stable hash (std's hasher is not stable across releases).
struct Fnv64(u64);
impl Default for Fnv64 {
    fn default() -> Self {
        Fnv64(0xcbf2_9ce4_8422_2325)
    }
}
impl Fnv64 {
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }
}

/// Triage state of a mention.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    strum::Display,
    strum::IntoStaticStr,
    strum::VariantArray,
)]
#[serde(rename_all = "lowercase")]
#[strum(serialize_all = "lowercase")]
pub enum Status {
    New,
    Open,
    Responded,
    Ignored,
    Escalated,
}

impl Status {
    pub const ALL: &'static [Status] = <Status as strum::VariantArray>::VARIANTS;

    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// One-character mark for the stream.
    pub fn mark(self) -> char {
        match self {
            Status::New => '●',
            Status::Open => '○',
            Status::Responded => '✓',
            Status::Ignored => '·',
            Status::Escalated => '!',
        }
    }
}

impl FromStr for Status {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Status::ALL
            .iter()
            .copied()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| format!("unknown status {s:?}"))
    }
}

/// A stored mention, as the console and export read it.
#[derive(Debug, Clone, PartialEq)]
pub struct Mention {
    pub id: i64,
    pub feed: String,
    pub kind: FeedKind,
    pub external_id: String,
    pub url: Option<String>,
    pub author: Option<String>,
    pub author_reach: Option<i64>,
    pub title: Option<String>,
    pub text: String,
    pub published_at: Option<DateTime<Utc>>,
    pub first_seen_at: DateTime<Utc>,
    /// The time the stream sorts by: publication, clamped to first seen.
    pub sort_at: DateTime<Utc>,
    pub engagement: Engagement,
    pub status: Status,
    pub assignee: Option<String>,
    pub responded_at: Option<DateTime<Utc>>,
    pub responded_by: Option<String>,
    /// Not yet read by the operator whose stream this is.
    pub unread: bool,
    /// The answer recorded when the mention was marked responded.
    pub response_text: Option<String>,
    /// Where a sent reply can be seen.
    pub response_url: Option<String>,
    /// Two-letter ISO 639-1 code, when known.
    pub lang: Option<String>,
    /// VADER's compound score, in [-1, 1] (`None`: stored before scoring existed and not yet
    /// scored).
    pub sentiment: Option<f64>,
    pub intents: crate::score::Intents,
    /// The base priority, 0–100, before it decays with age (`score::priority`).
    pub priority: f64,
    /// The tags operators gave its author (`vip`, `detractor`, …).
    pub person_tags: Vec<String>,
    /// Its signs of noise, a bit set of `score::noise::Noise`.
    pub noise: i64,
    /// Its story: the id of the story's first mention (its own when it leads or is alone).
    pub group_id: i64,
    /// Its conversation: the id of the conversation's first stored mention, when it is part of one.
    pub conversation_id: Option<i64>,
    /// How many other mentions tell the story it leads, and the feeds they came from.
    pub elsewhere: i64,
    pub elsewhere_feeds: Vec<String>,
    /// The customer answered us: a message after our answer in its conversation (`follow-up`).
    pub follow_up: bool,
    /// Its place in the order it was read in: its time (seconds), or its priority's rank.
    pub order_key: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_prefers_id_then_url_then_hash() {
        let mut m = NewMention {
            external_id: Some(" abc ".into()),
            url: Some("https://x/1".into()),
            text: "hi".into(),
            ..Default::default()
        };
        assert_eq!(m.identity(), "abc");
        m.external_id = None;
        assert_eq!(m.identity(), "https://x/1");
        m.url = None;
        let h = m.identity();
        assert!(h.starts_with("hash:"));
        assert_eq!(h, m.clone().identity(), "stable");
        m.text = "other".into();
        assert_ne!(h, m.identity());
    }

    #[test]
    fn kinds_round_trip_and_unknown_kind_lists_known_ones() {
        for k in FeedKind::ALL {
            assert_eq!(k.as_str().parse::<FeedKind>().unwrap(), *k);
        }
        let err = "rsss".parse::<FeedKind>().unwrap_err();
        assert!(err.contains("rss, hackernews, reddit"), "{err}");
    }

    #[test]
    fn engagement_json_skips_unknowns() {
        let e = Engagement {
            score: Some(3),
            ..Default::default()
        };
        assert_eq!(e.to_json().unwrap(), r#"{"score":3}"#);
        assert_eq!(Engagement::default().to_json(), None);
        assert_eq!(Engagement::from_json(Some(r#"{"score":3}"#)), e);
    }
}
