//! Reading our own accounts (`[[account]]`): who the account is, its latest posts and replies
//! with what each earned, and the counts of older posts due again (`store::own`). Each answer is
//! read on a blocking thread, where a reader's panic is this read's error; the result is written
//! through the writer like a poll's.

use super::{Poller, report::FeedReport, report::Outcome};
use crate::model::{Account, OwnPost};
use crate::net::{self, Response};
use crate::sources::{self, Reply, SourceError, own};
use chrono::Utc;
use reqwest::header::HeaderMap;

/// Older posts asked again per read of an account, at most.
const REFRESH_PER_READ: usize = 100;

impl Poller {
    /// Read one of our accounts now and keep what it says; the report names the account.
    pub async fn read_account(&self, a: &Account) -> FeedReport {
        let started = std::time::Instant::now();
        let outcome = match self.read(a).await {
            Ok(n) => Outcome::Ok {
                new: n,
                filtered: 0,
                not_modified: false,
                notes: Vec::new(),
            },
            Err(error) => {
                let error = crate::text::sanitize_line(&error);
                let (acc, e) = (a.clone(), error.clone());
                if let Err(w) = self.with_store(move |s| s.own_failed(&acc, &e, Utc::now())).await {
                    tracing::warn!(account = %a.name, "why our posts were not read was not kept: {w}");
                }
                tracing::warn!(account = %a.name, "our posts were not read: {error}");
                Outcome::Failed { error }
            }
        };
        let stored = match &outcome {
            Outcome::Ok { new, .. } => *new as i64,
            _ => 0,
        };
        FeedReport {
            name: a.name.clone(),
            outcome,
            stored,
            elapsed: started.elapsed(),
            next_poll_at: Utc::now() + chrono::Duration::from_std(a.every).unwrap_or_default(),
        }
    }

    async fn read(&self, a: &Account) -> Result<usize, String> {
        let feed = a.as_feed();
        let secret = net::secret(&feed).map_err(|e| e.to_string())?;
        let token = match secret {
            Some(_) => self
                .client
                .token(&feed, secret.as_deref(), false)
                .await
                .map_err(|e| e.to_string())?,
            None => None,
        };
        let token = token.as_deref();
        let req = own::profile_request(a, token).map_err(|e| e.to_string())?;
        let profile = {
            let (status, headers, body) = self.fetch(&feed, &req).await?;
            let acc = a.clone();
            blocking(move || {
                own::parse_profile(
                    &acc,
                    &Reply {
                        status,
                        headers: &headers,
                        body: &body,
                    },
                )
            })
            .await?
        };
        let mut posts = Vec::new();
        for req in own::posts_requests(a, &profile, token).map_err(|e| e.to_string())? {
            posts.extend(self.read_posts(a, &profile, req).await?);
        }
        // A list without counts (Discourse) is replaced by each post's own answer; a post deleted
        // since it was listed is left out.
        let counts = own::counts_requests(a, &posts, token).map_err(|e| e.to_string())?;
        if !counts.is_empty() {
            posts.clear();
            for req in counts {
                match self.read_posts(a, &profile, req).await {
                    Ok(p) => posts.extend(p),
                    Err(Failed {
                        status: Some(404 | 410),
                        ..
                    }) => {}
                    Err(other) => return Err(other.into()),
                }
            }
        }
        // The posts due again that these pages did not bring.
        let (acc, now) = (a.clone(), Utc::now());
        let mut stale = self
            .with_store(move |s| s.own_to_refresh(&acc, now, REFRESH_PER_READ))
            .await
            .map_err(|e| e.to_string())?;
        stale.retain(|id| !posts.iter().any(|p| &p.post_id == id));
        for req in own::refresh_requests(a, &stale, token).map_err(|e| e.to_string())? {
            posts.extend(self.read_posts(a, &profile, req).await?);
        }
        let (acc, followers) = (a.clone(), profile.followers);
        self.with_store(move |s| s.save_own(&acc, followers, &posts, Utc::now()))
            .await
            .map_err(|e| e.to_string())
    }

    /// Our posts in the answer to `req`.
    async fn read_posts(
        &self,
        a: &Account,
        profile: &own::Profile,
        req: sources::Request,
    ) -> Result<Vec<OwnPost>, Failed> {
        let (status, headers, body) = self.fetch(&a.as_feed(), &req).await?;
        let (acc, p) = (a.clone(), profile.clone());
        Ok(blocking(move || {
            own::parse_posts(
                &acc,
                &p,
                &Reply {
                    status,
                    headers: &headers,
                    body: &body,
                },
            )
        })
        .await?)
    }

    async fn fetch(
        &self,
        feed: &crate::model::FeedConfig,
        req: &sources::Request,
    ) -> Result<(u16, Vec<(String, String)>, Vec<u8>), Failed> {
        match self.client.send(feed, req, HeaderMap::new()).await {
            Ok(Response {
                status,
                headers,
                body: Some(body),
            }) => Ok((status.as_u16(), headers, body)),
            Ok(_) => Err("the service answered without a body".to_string().into()),
            Err(e) => Err(Failed {
                status: e.status(),
                message: e.to_string(),
            }),
        }
    }
}

/// A request that failed: the status the service answered with, where it answered, and why.
struct Failed {
    status: Option<u16>,
    message: String,
}

impl From<String> for Failed {
    fn from(message: String) -> Self {
        Failed { status: None, message }
    }
}

impl From<Failed> for String {
    fn from(f: Failed) -> Self {
        f.message
    }
}

/// Run a reader on a blocking thread; its panic is an error in words.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T, SourceError> + Send + 'static) -> Result<T, String> {
    match tokio::task::spawn_blocking(move || super::isolate::isolated(f)).await {
        Ok(Ok(Ok(v))) => Ok(v),
        Ok(Ok(Err(e))) => Err(e.sanitized().to_string()),
        Ok(Err(_)) | Err(_) => Err("overhear could not read this answer (a bug: the log has the details)".into()),
    }
}
