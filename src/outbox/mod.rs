//! Answering a mention, the one way both the console and `overhear reply` do it:
//!
//! 1. [`prepare`]: the text checked (not empty, within the service's limit) and the delivery
//!    planned ([`plan`]: an API request, Bluesky's look-up-then-create, or a hand-off).
//! 2. [`Outbox::send`]: the draft claimed in its own transaction (`begin_send`, so one
//!    confirmation sends once, whichever process confirms), the reply delivered through the
//!    [`net`](crate::net) client, then the response recorded, or the draft put back on failure.
//!
//! A hand-off is recorded by the caller once the operator says they answered by hand.

pub mod plan;

pub use plan::{Delivery, limit};

use crate::model::{FeedConfig, FeedKind, Mention};
use crate::net::{self, NetError};
use crate::sources::{self, SourceError};
use crate::store::{Begin, OtherAnswer, Sent, Store, StoreError};
use chrono::Utc;
use reqwest::header::HeaderMap;

/// Why a reply was not sent (or not recorded).
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    #[error("the reply is empty")]
    Empty,
    #[error("the reply is {count} characters; {kind} takes at most {limit}")]
    TooLong { count: usize, limit: usize, kind: FeedKind },
    #[error("{0}")]
    Plan(#[from] SourceError),
    #[error("a reply to this mention is being sent already; not sending it twice")]
    InFlight,
    #[error("{}", overtaken(.0))]
    Overtaken(OtherAnswer),
    #[error("{0}")]
    Net(#[from] NetError),
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error("sent, but not recorded: {0}")]
    NotRecorded(StoreError),
    #[error("{0}")]
    HandOff(String),
}

/// "not sent: bob replied at 10:42 meanwhile: “…”".
fn overtaken(other: &OtherAnswer) -> String {
    let at = other.at.with_timezone(&chrono::Local).format("%H:%M");
    let text = other
        .text
        .as_deref()
        .map(|t| format!(": “{}”", crate::text::sanitize_line(t)))
        .unwrap_or_default();
    format!(
        "not sent: {} {} at {at} while this draft was open{text}. The draft is kept; send again to answer anyway",
        crate::text::sanitize_line(&other.by),
        other.what
    )
}

/// Check `text` as a reply to `mention` and plan how it goes out. The token is read from the
/// feed's `token_env` now; without one, the reply is handed off.
pub fn prepare(feed: Option<&FeedConfig>, mention: &Mention, text: &str) -> Result<Delivery, SendError> {
    if text.trim().is_empty() {
        return Err(SendError::Empty);
    }
    if let Some(limit) = limit(mention.kind) {
        let count = text.chars().count();
        if count > limit {
            return Err(SendError::TooLong {
                count,
                limit,
                kind: mention.kind,
            });
        }
    }
    let token = feed.and_then(net::reply_token_of);
    Ok(plan::plan(feed, mention, text, token.as_deref())?)
}

/// Delivers replies. Clone-cheap.
#[derive(Clone)]
pub struct Outbox {
    client: net::Client,
    db: crate::store::Location,
}

impl Outbox {
    /// An outbox sending with `client` and recording in the database at `db`.
    pub fn new(client: net::Client, db: &crate::store::Location) -> Outbox {
        Outbox { client, db: db.clone() }
    }

    /// Send `text` to `mention_id` once: claim the draft, deliver, record the response (or
    /// reopen the draft when the delivery failed). What the service returned.
    pub async fn send(
        &self,
        feed: &FeedConfig,
        mention_id: i64,
        delivery: &Delivery,
        text: &str,
        operator: &str,
        seen_action: Option<i64>,
    ) -> Result<Sent, SendError> {
        self.send_as(feed, mention_id, delivery, text, operator, None, seen_action)
            .await
    }

    /// [`Outbox::send`] of `writer`'s reply, sent by `approver` when that is someone else
    /// (`[team] approval`): the response is recorded as the writer's, the approval in the history.
    #[expect(clippy::too_many_arguments, reason = "the mention, the delivery, the words and who")]
    pub async fn send_as(
        &self,
        feed: &FeedConfig,
        mention_id: i64,
        delivery: &Delivery,
        text: &str,
        writer: &str,
        approver: Option<&str>,
        seen_action: Option<i64>,
    ) -> Result<Sent, SendError> {
        let operator = writer;
        if let Delivery::HandOff(why) = delivery {
            return Err(SendError::HandOff(why.clone()));
        }
        let (t, op) = (text.to_string(), operator.to_string());
        let begun = self
            .with_store(move |s| s.begin_send(mention_id, &t, &op, seen_action, Utc::now()))
            .await?;
        match begun {
            Begin::Started => {}
            Begin::InFlight => return Err(SendError::InFlight),
            Begin::Overtaken(other) => return Err(SendError::Overtaken(other)),
        }
        match self.deliver(feed, delivery, text).await {
            Ok(sent) => {
                let (t, op, s2) = (text.to_string(), operator.to_string(), sent.clone());
                let approver = approver.map(str::to_string);
                self.with_store(move |s| {
                    s.record_response_approved(mention_id, &t, &s2, &op, approver.as_deref(), Utc::now())
                })
                .await
                .map_err(SendError::NotRecorded)?;
                Ok(sent)
            }
            Err(e) => {
                let op = operator.to_string();
                if let Err(back) = self.with_store(move |s| s.fail_send(mention_id, &op)).await {
                    tracing::error!(mention_id, "a failed send left its draft claimed: {back}");
                }
                Err(e.into())
            }
        }
    }

    async fn with_store<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Store) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let db = self.db.clone();
        match tokio::task::spawn_blocking(move || f(&mut db.open()?)).await {
            Ok(r) => r,
            Err(e) => std::panic::resume_unwind(e.into_panic()),
        }
    }

    /// Post what [`plan`] planned; what the service returned.
    async fn deliver(&self, feed: &FeedConfig, delivery: &Delivery, text: &str) -> Result<Sent, NetError> {
        match delivery {
            Delivery::Api(req) => {
                let resp = self.client.send(feed, req, HeaderMap::new()).await?;
                Ok(plan::sent(feed, &resp.reply()))
            }
            Delivery::Bluesky { uri } => self.post_bluesky(feed, uri, text).await,
            Delivery::GooglePlay { review } => {
                let token = self.signed_in(feed).await?;
                let req = crate::sources::googleplay::reply_request(feed, review, text, &token)?;
                self.client.send(feed, &req, HeaderMap::new()).await?;
                Ok(Sent {
                    id: Some(format!("reply:{review}")),
                    url: None,
                })
            }
            Delivery::HandOff(why) => Err(NetError::Http {
                status: None,
                message: why.clone(),
            }),
        }
    }

    /// The feed's session token, signed in with its secret when none is kept (Bluesky, Google
    /// Play).
    async fn signed_in(&self, feed: &FeedConfig) -> Result<String, NetError> {
        let secret = net::secret(feed)?;
        Ok(self
            .client
            .token(feed, secret.as_deref(), false)
            .await?
            .unwrap_or_default())
    }

    /// Bluesky: sign in, look up the parent (its cid and thread root), create the reply record.
    async fn post_bluesky(&self, feed: &FeedConfig, uri: &str, text: &str) -> Result<Sent, NetError> {
        let token = self.signed_in(feed).await?;
        let did = self.client.session_account(&feed.name).ok_or_else(|| NetError::Http {
            status: None,
            message: "Bluesky did not say which account signed in".into(),
        })?;
        let lookup = sources::bluesky::post_lookup(feed, uri, &token)?;
        let found = self.client.send(feed, &lookup, HeaderMap::new()).await?;
        let create = sources::bluesky::reply_record(feed, &found.reply(), &did, text, &token, Utc::now())?;
        let made = self.client.send(feed, &create, HeaderMap::new()).await?;
        let v: serde_json::Value = serde_json::from_slice(made.body.as_deref().unwrap_or_default()).unwrap_or_default();
        let new_uri = v["uri"].as_str().map(String::from);
        let handle = feed.identifier.clone().unwrap_or_default();
        let url = new_uri
            .as_deref()
            .and_then(|u| u.rsplit('/').next())
            .map(|rkey| format!("https://bsky.app/profile/{handle}/post/{rkey}"));
        Ok(Sent { id: new_uri, url })
    }
}
