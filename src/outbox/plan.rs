//! Answering a mention: where the source takes replies through its API and a token is
//! configured, the request that posts the reply; everywhere else, a hand-off (copy the text, open
//! the link, mark responded by hand). Pure: the outbox sends what this builds.

use crate::model::FeedConfig;
use crate::model::{FeedKind, Mention};
use crate::sources::{Body, Reply, Request, SourceError, endpoint};
use crate::store::Sent;
use serde_json::json;

/// The longest reply a service takes, in characters, where it has a limit.
pub fn limit(kind: FeedKind) -> Option<usize> {
    match kind {
        FeedKind::Mastodon => Some(500),
        FeedKind::Bluesky => Some(300),
        FeedKind::X => Some(280),
        _ => None,
    }
}

/// How a reply to `mention` goes out.
#[derive(Debug, Clone, PartialEq)]
pub enum Delivery {
    /// Posted through the service's API with this request.
    Api(Request),
    /// Posted on Bluesky: signed in, the parent looked up, then a reply record created.
    Bluesky { uri: String },
    /// Posted on Google Play: signed in as the service account, then `reviews.reply`.
    GooglePlay { review: String },
    /// Copied for the operator to paste at the mention's link; the reason says why.
    HandOff(String),
}

/// Plan the delivery of `text` as a reply to `mention`, with `token` from the feed's `token_env`.
#[expect(
    clippy::too_many_lines,
    reason = "one arm per service, each building its reply request: read side by side"
)]
pub fn plan(
    feed: Option<&FeedConfig>,
    mention: &Mention,
    text: &str,
    token: Option<&str>,
) -> Result<Delivery, SourceError> {
    let Some(feed) = feed else {
        return Ok(Delivery::HandOff("its feed is no longer in the config".into()));
    };
    if feed.kind == FeedKind::Googleplay {
        // Signed in with the key file when it is sent.
        return Ok(Delivery::GooglePlay {
            review: mention.external_id.clone(),
        });
    }
    let Some(token) = token else {
        return Ok(Delivery::HandOff(match feed.kind {
            FeedKind::Mastodon
            | FeedKind::Github
            | FeedKind::X
            | FeedKind::Discourse
            | FeedKind::Bluesky
            | FeedKind::Lemmy => {
                format!(
                    "no token to post with: set `token_env` on feed {:?} to send from overhear",
                    feed.name
                )
            }
            FeedKind::Youtube => {
                format!(
                    "no OAuth token to post with: set `reply_token_env` on feed {:?} (a token with the youtube.force-ssl scope) to send from overhear",
                    feed.name
                )
            }
            _ => format!("{} takes no replies from overhear", feed.kind),
        }));
    };
    match feed.kind {
        FeedKind::Mastodon => {
            let acct = mention.author.as_deref().unwrap_or("");
            let status = if acct.is_empty() || text.contains(&format!("@{acct}")) {
                text.to_string()
            } else {
                format!("@{acct} {text}")
            };
            Ok(Delivery::Api(Request {
                url: endpoint(feed, "https://mastodon.social", "/api/v1/statuses")?,
                headers: vec![("authorization".into(), format!("Bearer {token}"))],
                body: Some(Body::Json(
                    json!({ "status": status, "in_reply_to_id": mention.external_id }),
                )),
            }))
        }
        FeedKind::Github => {
            // https://github.com/OWNER/REPO/issues/N (or /pull/N)
            let url = mention.url.as_deref().and_then(|u| url::Url::parse(u).ok());
            let parts: Vec<String> = url
                .as_ref()
                .and_then(|u| u.path_segments())
                .map(|s| s.map(String::from).collect())
                .unwrap_or_default();
            let [owner, repo, kind, number, ..] = parts.as_slice() else {
                return Ok(Delivery::HandOff(
                    "the issue's address is not one overhear can reply to".into(),
                ));
            };
            if !matches!(kind.as_str(), "issues" | "pull") || number.parse::<u64>().is_err() {
                return Ok(Delivery::HandOff(
                    "the issue's address is not one overhear can reply to".into(),
                ));
            }
            Ok(Delivery::Api(Request {
                url: endpoint(
                    feed,
                    "https://api.github.com",
                    &format!("/repos/{owner}/{repo}/issues/{number}/comments"),
                )?,
                headers: vec![
                    ("authorization".into(), format!("Bearer {token}")),
                    ("accept".into(), "application/vnd.github+json".into()),
                ],
                body: Some(Body::Json(json!({ "body": text }))),
            }))
        }
        FeedKind::Bluesky => Ok(Delivery::Bluesky {
            uri: mention.external_id.clone(),
        }),
        FeedKind::X => Ok(Delivery::Api(Request {
            url: endpoint(feed, "https://api.x.com", "/2/tweets")?,
            headers: vec![("authorization".into(), format!("Bearer {token}"))],
            body: Some(Body::Json(
                json!({ "text": text, "reply": { "in_reply_to_tweet_id": mention.external_id } }),
            )),
        })),
        FeedKind::Discourse => {
            // FORUM/t/SLUG/TOPIC/POST; the token variable holds USERNAME:API_KEY.
            let Some((user, key)) = token.split_once(':') else {
                return Ok(Delivery::HandOff(
                    "Discourse replies need the token variable as USERNAME:API_KEY".into(),
                ));
            };
            let segs: Vec<String> = mention
                .url
                .as_deref()
                .and_then(|u| url::Url::parse(u).ok())
                .and_then(|u| u.path_segments().map(|s| s.map(String::from).collect()))
                .unwrap_or_default();
            let t = segs.iter().position(|s| s == "t");
            let (Some(topic), post) = (
                t.and_then(|i| segs.get(i + 2)).and_then(|s| s.parse::<i64>().ok()),
                t.and_then(|i| segs.get(i + 3)).and_then(|s| s.parse::<i64>().ok()),
            ) else {
                return Ok(Delivery::HandOff(
                    "the post's address is not one overhear can reply to".into(),
                ));
            };
            let base = feed.url.as_ref().map(|u| u.as_str()).unwrap_or("");
            Ok(Delivery::Api(Request {
                url: endpoint(feed, base, "/posts.json")?,
                headers: vec![
                    ("api-key".into(), key.to_string()),
                    ("api-username".into(), user.to_string()),
                ],
                body: Some(Body::Json(
                    json!({ "topic_id": topic, "raw": text, "reply_to_post_number": post }),
                )),
            }))
        }
        FeedKind::Lemmy => {
            // The instance's ids, from the stored one; the token variable holds a JWT.
            let Some((post, comment)) = crate::sources::lemmy::ids_of(&mention.external_id) else {
                return Ok(Delivery::HandOff(
                    "the mention's id is not one overhear can reply to".into(),
                ));
            };
            let base = feed.url.as_ref().map(|u| u.as_str()).unwrap_or("");
            let mut body = json!({ "content": text, "post_id": post });
            if let Some(c) = comment {
                body["parent_id"] = json!(c);
            }
            Ok(Delivery::Api(Request {
                url: endpoint(feed, base, "/api/v3/comment")?,
                headers: vec![("authorization".into(), format!("Bearer {token}"))],
                body: Some(Body::Json(body)),
            }))
        }
        FeedKind::Youtube => {
            // A comment answers its thread (a reply's thread is its parent's); a video gets a
            // new thread of its own.
            let parent = mention.external_id.as_str();
            let video = mention
                .url
                .as_deref()
                .and_then(|u| url::Url::parse(u).ok())
                .and_then(|u| u.query_pairs().find(|(k, _)| k == "v").map(|(_, v)| v.into_owned()));
            let comment = mention.url.as_deref().is_some_and(|u| u.contains("lc="));
            let (path, body) = if comment {
                (
                    "/youtube/v3/comments",
                    json!({ "snippet": { "parentId": youtube_thread(parent), "textOriginal": text } }),
                )
            } else {
                let Some(video) = video else {
                    return Ok(Delivery::HandOff(
                        "the video's address is not one overhear can reply to".into(),
                    ));
                };
                (
                    "/youtube/v3/commentThreads",
                    json!({ "snippet": { "videoId": video, "topLevelComment": { "snippet": { "textOriginal": text } } } }),
                )
            };
            Ok(Delivery::Api(Request {
                url: crate::sources::with_query(
                    endpoint(feed, "https://www.googleapis.com", path)?,
                    &[("part", "snippet".to_string())],
                ),
                headers: vec![("authorization".into(), format!("Bearer {token}"))],
                body: Some(Body::Json(body)),
            }))
        }
        other => Ok(Delivery::HandOff(format!("{other} takes no replies from overhear"))),
    }
}

/// The thread a YouTube comment belongs to: a reply's id is its thread's, a dot, then its own.
fn youtube_thread(comment: &str) -> &str {
    comment.split_once('.').map_or(comment, |(thread, _)| thread)
}

/// What the service returned for a posted reply: its id (as its kind's mentions store ids) and link.
pub fn sent(feed: &FeedConfig, reply: &Reply<'_>) -> Sent {
    let v: serde_json::Value = serde_json::from_slice(reply.body).unwrap_or_default();
    let s = |p: &str| {
        v.pointer(p).and_then(|x| {
            x.as_str()
                .map(String::from)
                .or_else(|| x.as_i64().map(|n| n.to_string()))
        })
    };
    match feed.kind {
        FeedKind::Mastodon => Sent {
            id: s("/id"),
            url: s("/url"),
        },
        // Ids as the thread and the search store them, so that what answers our reply is
        // found to answer it.
        FeedKind::Github => Sent {
            id: s("/id").map(|id| format!("comment:{id}")),
            url: s("/html_url"),
        },
        FeedKind::X => {
            let id = s("/data/id");
            Sent {
                url: id.as_ref().map(|i| format!("https://x.com/i/web/status/{i}")),
                id,
            }
        }
        FeedKind::Discourse => {
            let url = match (s("/topic_slug"), s("/topic_id"), s("/post_number")) {
                (Some(slug), Some(t), Some(n)) => Some(crate::sources::discourse::post_url(feed, slug, t, n)),
                _ => None,
            };
            let host = crate::sources::discourse::host(feed.url.as_ref());
            Sent {
                id: s("/id").map(|id| format!("{host}:{id}")),
                url,
            }
        }
        // A new thread's answer is the thread; its first comment's id is the thread's.
        FeedKind::Youtube => {
            let id = s("/snippet/topLevelComment/id").or_else(|| s("/id"));
            let video = s("/snippet/videoId").or_else(|| s("/snippet/topLevelComment/snippet/videoId"));
            Sent {
                url: video
                    .zip(id.clone())
                    .map(|(v, c)| format!("https://www.youtube.com/watch?v={v}&lc={c}")),
                id,
            }
        }
        FeedKind::Lemmy => {
            let host = crate::sources::lemmy::host(feed.url.as_ref());
            let (id, post) = (
                v.pointer("/comment_view/comment/id")
                    .and_then(serde_json::Value::as_i64),
                v.pointer("/comment_view/comment/post_id")
                    .and_then(serde_json::Value::as_i64),
            );
            let base = feed.url.as_ref().map_or("", |u| u.as_str().trim_end_matches('/'));
            Sent {
                id: id
                    .zip(post)
                    .map(|(c, p)| crate::sources::lemmy::comment_ref(&host, c, p)),
                url: id.map(|c| format!("{base}/comment/{c}")),
            }
        }
        _ => Sent::default(),
    }
}
