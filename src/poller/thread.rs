//! Fetch the thread around a stored mention from its source (`sources::thread`), for the
//! detail: one request through the feed's client and token, read on a blocking thread where a
//! parser's panic is the fetch's error. What comes back is sanitised; storing it is the
//! caller's (`Store::save_thread`).

use super::PollError;
use crate::model::{FeedConfig, ThreadOf, ThreadPost};
use crate::net::{self, Client};
use crate::sources::{self, Ctx, Reply};
use chrono::Utc;
use reqwest::header::HeaderMap;

/// The thread around `of` as `feed`'s source shows it now; `None` when the source has no thread
/// for it (a feed item, a comment whose post is not known).
pub async fn fetch_thread(
    client: &Client,
    feed: &FeedConfig,
    of: &ThreadOf,
) -> Result<Option<Vec<ThreadPost>>, PollError> {
    if !sources::thread::tells_threads(of.kind) {
        return Ok(None);
    }
    let secret = net::secret(feed)?;
    let token = client.token(feed, secret.as_deref(), false).await?;
    let now = Utc::now();
    let ctx = Ctx {
        feed,
        cursor: None,
        token: token.as_deref(),
        now,
    };
    let Some(req) = sources::thread::request(&ctx, of)? else {
        return Ok(None);
    };
    let got = client.send(feed, &req, HeaderMap::new()).await?;
    let Some(body) = got.body else {
        return Ok(Some(Vec::new()));
    };
    let (feed, of, headers) = (feed.clone(), of.clone(), got.headers);
    let parsed = tokio::task::spawn_blocking(move || {
        let ctx = Ctx {
            feed: &feed,
            cursor: None,
            token: token.as_deref(),
            now,
        };
        let reply = Reply {
            status: 200,
            headers: &headers,
            body: &body,
        };
        super::isolate::isolated(|| sources::thread::parse(&ctx, &of, &reply).map_err(sources::SourceError::sanitized))
    })
    .await;
    match parsed {
        Ok(Ok(Ok(posts))) => Ok(Some(posts)),
        Ok(Ok(Err(e))) => Err(e.into()),
        // A reader's bug costs this thread, said in words; the panic hook has logged it.
        Ok(Err(_)) | Err(_) => Err(sources::SourceError::Malformed(
            "overhear could not read this thread (a bug: the log has the details)".into(),
        )
        .into()),
    }
}
