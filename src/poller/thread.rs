//! Fetch the thread around a stored mention from its source (`sources::thread`), for the
//! detail: its requests through the feed's client and token, read on a blocking thread where a
//! parser's panic is the fetch's error. What comes back is sanitised; storing it is the
//! caller's (`Store::save_thread`).

use super::PollError;
use crate::model::{FeedConfig, ThreadOf, ThreadPost, Watched};
use crate::net::{self, Client};
use crate::sources::thread::{Answers, Node};
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
    let of2 = of.clone();
    fetch(client, feed, of, token, &mut 0, move |nodes| {
        let id = of2.external_id.as_deref().unwrap_or_default();
        sources::thread::arrange(id, of2.parent.as_deref(), nodes)
    })
    .await
}

/// What answered us in the thread of `w` (a mention we answered): see
/// [`sources::thread::answers`]. `None` when the source has no thread for it. `sent` counts the
/// requests sent (a daily quota counts them).
pub async fn fetch_answers(
    client: &Client,
    feed: &FeedConfig,
    w: &Watched,
    token: Option<String>,
    scorer: std::sync::Arc<crate::score::Scorer>,
    sent: &mut usize,
) -> Result<Option<Answers>, PollError> {
    if !sources::thread::watches_threads(w.of.kind) {
        return Ok(None);
    }
    let w2 = w.clone();
    fetch(client, feed, &w.of, token, sent, move |nodes| {
        let mut answers = sources::thread::answers(&w2, nodes);
        // Scored here, as a poll's mentions are on a parser's thread.
        for m in &mut answers.follow_ups {
            let facts = crate::query::facts::Facts::of_mention(w2.of.kind, m, &scorer);
            m.lang = Some(facts.lang.unwrap_or(crate::text::lang::UNKNOWN).to_string());
            m.facts = Some(facts);
        }
        answers
    })
    .await
}

/// Ask for the thread of `of` and read its posts on a blocking thread, where a reader's panic is
/// this fetch's error; `then` makes of them what the caller wants. `sent` counts the requests sent.
async fn fetch<T: Send + 'static>(
    client: &Client,
    feed: &FeedConfig,
    of: &ThreadOf,
    token: Option<String>,
    sent: &mut usize,
    then: impl FnOnce(Vec<Node>) -> T + Send + 'static,
) -> Result<Option<T>, PollError> {
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
    *sent += 1;
    let got = client.send(feed, &req, HeaderMap::new()).await?;
    let Some(body) = got.body else {
        return Ok(Some(then(Vec::new())));
    };
    let mut replies = vec![(got.headers, body)];
    // What the first answer leaves out; a failure here costs only what it would add.
    for more in sources::thread::more_requests(&ctx, of)? {
        *sent += 1;
        match client.send(feed, &more, HeaderMap::new()).await {
            Ok(r) => replies.extend(r.body.map(|b| (r.headers, b))),
            Err(e) => tracing::warn!(feed = %feed.name, "part of a thread not read: {e}"),
        }
    }
    let (feed, of) = (feed.clone(), of.clone());
    let parsed = tokio::task::spawn_blocking(move || {
        let ctx = Ctx {
            feed: &feed,
            cursor: None,
            token: token.as_deref(),
            now,
        };
        super::isolate::isolated(|| {
            let mut answers = Vec::with_capacity(replies.len());
            for (i, (headers, body)) in replies.iter().enumerate() {
                let reply = Reply {
                    status: 200,
                    headers,
                    body,
                };
                match sources::thread::nodes(&ctx, &of, &reply) {
                    Ok(nodes) => answers.push(nodes),
                    // The first answer is the thread; a later one only adds to it.
                    Err(e) if i == 0 => return Err(e.sanitized()),
                    Err(e) => tracing::warn!(feed = %feed.name, "part of a thread not read: {}", e.sanitized()),
                }
            }
            Ok(then(sources::thread::merge(of.kind, answers)))
        })
    })
    .await;
    match parsed {
        Ok(Ok(Ok(done))) => Ok(Some(done)),
        Ok(Ok(Err(e))) => Err(e.into()),
        // A reader's bug costs this thread, said in words; the panic hook has logged it.
        Ok(Err(_)) | Err(_) => Err(sources::SourceError::Malformed(
            "overhear could not read this thread (a bug: the log has the details)".into(),
        )
        .into()),
    }
}
