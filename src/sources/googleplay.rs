//! Google Play: the reviews of the team's own app (`app`, its package name) through the Play
//! Developer API, signed in as a service account whose key file (`key_file`, the JSON Google
//! Cloud gives) overhear reads when it signs in and keeps nowhere: a JWT signed with the key
//! (RS256) is exchanged for an access token (`urn:ietf:params:oauth:grant-type:jwt-bearer`),
//! kept in memory until it expires. `reviews.list` gives the reviews of the last week, newest
//! first, `tokenPagination` paging; each review keeps its rating, the app version and the device.
//! Replies go through `reviews.reply`.

use super::{Ctx, Each, Page, Reply, Request, Session, SourceError, endpoint, json_body, with_query};
use crate::model::{Engagement, FeedConfig, NewMention, Place};
use base64::Engine as _;
use chrono::{DateTime, Utc};
use serde::Deserialize;

const PUBLIC: &str = "https://androidpublisher.googleapis.com";
const SCOPE: &str = "https://www.googleapis.com/auth/androidpublisher";

/// The parts of a service account's key file overhear uses.
#[derive(Deserialize)]
struct ServiceAccount {
    client_email: String,
    private_key: String,
    #[serde(default, deserialize_with = "super::lenient")]
    token_uri: Option<String>,
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// The key's PKCS#8 DER from its PEM.
fn pkcs8(pem: &str) -> Result<Vec<u8>, SourceError> {
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).map(str::trim).collect();
    base64::engine::general_purpose::STANDARD
        .decode(body)
        .map_err(|_| SourceError::Request("the key file's private_key is not a PEM key".into()))
}

/// The sign-in: a JWT asserting the service account, signed with its key, for an access token.
/// `secret` is the key file's JSON.
pub fn session_request(feed: &FeedConfig, secret: &str, now: DateTime<Utc>) -> Result<Request, SourceError> {
    let sa: ServiceAccount = serde_json::from_str(secret).map_err(|e| {
        SourceError::Request(format!(
            "the key file is not a service account's JSON key ({e}): download one from Google Cloud's IAM page"
        ))
    })?;
    let token_uri = sa
        .token_uri
        .clone()
        .unwrap_or_else(|| "https://oauth2.googleapis.com/token".into());
    // Tests (and a proxy) point the sign-in elsewhere through the feed's `url`.
    let token_url = match &feed.url {
        Some(_) => endpoint(feed, PUBLIC, "/token")?,
        None => url::Url::parse(&token_uri).map_err(|e| SourceError::Request(format!("token_uri: {e}")))?,
    };
    let header = b64(br#"{"alg":"RS256","typ":"JWT"}"#);
    let claims = b64(serde_json::json!({
        "iss": sa.client_email,
        "scope": SCOPE,
        "aud": token_uri,
        "iat": now.timestamp(),
        "exp": now.timestamp() + 3600,
    })
    .to_string()
    .as_bytes());
    let signing_input = format!("{header}.{claims}");
    let key = ring::signature::RsaKeyPair::from_pkcs8(&pkcs8(&sa.private_key)?).map_err(|_| {
        SourceError::Request("the key file's private_key is not an RSA key overhear can sign with".into())
    })?;
    let mut signature = vec![0; key.public().modulus_len()];
    key.sign(
        &ring::signature::RSA_PKCS1_SHA256,
        &ring::rand::SystemRandom::new(),
        signing_input.as_bytes(),
        &mut signature,
    )
    .map_err(|_| SourceError::Request("signing the sign-in with the key failed".into()))?;
    let jwt = format!("{signing_input}.{}", b64(&signature));
    Ok(Request {
        url: token_url,
        headers: Vec::new(),
        body: Some(super::Body::Form(vec![
            (
                "grant_type".into(),
                "urn:ietf:params:oauth:grant-type:jwt-bearer".into(),
            ),
            ("assertion".into(), jwt),
        ])),
    })
}

#[derive(Deserialize)]
struct TokenAnswer {
    #[serde(default, deserialize_with = "super::lenient")]
    access_token: Option<String>,
    #[serde(default, deserialize_with = "super::lenient")]
    expires_in: Option<i64>,
    #[serde(default, deserialize_with = "super::lenient")]
    error_description: Option<String>,
}

pub fn parse_session(reply: &Reply<'_>, now: DateTime<Utc>) -> Result<Session, SourceError> {
    let t: TokenAnswer = json_body("Google's sign-in", reply.body)?;
    let token = t.access_token.ok_or_else(|| {
        SourceError::Refused(format!(
            "Google refused the service account: {}",
            t.error_description.as_deref().unwrap_or("no access token")
        ))
    })?;
    Ok(Session {
        token,
        // Renewed a minute early.
        expires_at: Some(now + chrono::Duration::seconds(t.expires_in.unwrap_or(3600) - 60)),
        account: None,
    })
}

fn package(feed: &FeedConfig) -> Result<&str, SourceError> {
    feed.app
        .as_deref()
        .ok_or_else(|| SourceError::Request("a googleplay feed needs `app`, the app's package name".into()))
}

pub fn request(ctx: &Ctx<'_>, page_token: Option<&str>) -> Result<Request, SourceError> {
    let token = ctx
        .token
        .ok_or_else(|| SourceError::Request("not signed in to Google Play".into()))?;
    let path = format!("/androidpublisher/v3/applications/{}/reviews", package(ctx.feed)?);
    let mut pairs = vec![("maxResults", "100".to_string())];
    if let Some(t) = page_token {
        pairs.push(("token", t.to_string()));
    }
    Ok(Request::get(with_query(endpoint(ctx.feed, PUBLIC, &path)?, &pairs)).bearer(token))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ReviewList {
    #[serde(default)]
    reviews: Each<Review>,
    #[serde(default, deserialize_with = "super::lenient")]
    token_pagination: Option<Pagination>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Pagination {
    #[serde(default, deserialize_with = "super::lenient")]
    next_page_token: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Review {
    #[serde(default, deserialize_with = "super::lenient")]
    review_id: Option<String>,
    #[serde(default, deserialize_with = "super::lenient")]
    author_name: Option<String>,
    #[serde(default)]
    comments: Each<ReviewComment>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ReviewComment {
    #[serde(default, deserialize_with = "super::lenient")]
    user_comment: Option<UserComment>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct UserComment {
    #[serde(default, deserialize_with = "super::lenient")]
    text: Option<String>,
    #[serde(default, deserialize_with = "super::lenient")]
    last_modified: Option<Timestamp>,
    #[serde(default, deserialize_with = "super::lenient")]
    star_rating: Option<i64>,
    #[serde(default, deserialize_with = "super::lenient")]
    reviewer_language: Option<String>,
    #[serde(default, deserialize_with = "super::lenient")]
    device: Option<String>,
    #[serde(default, deserialize_with = "super::lenient")]
    app_version_name: Option<String>,
    #[serde(default, deserialize_with = "super::lenient_count")]
    thumbs_up_count: Option<i64>,
}

#[derive(Deserialize)]
struct Timestamp {
    seconds: Option<serde_json::Value>,
}

fn seconds(t: Option<&Timestamp>) -> Option<i64> {
    super::int_of(t?.seconds.as_ref()?)
}

pub fn parse(ctx: &Ctx<'_>, reply: &Reply<'_>) -> Result<Page, SourceError> {
    let list: ReviewList = json_body("Google Play reviews", reply.body)?;
    let app = package(ctx.feed)?;
    let seen = ctx
        .cursor
        .and_then(|c| c.get("newest"))
        .and_then(serde_json::Value::as_i64);
    let mut reached = false;
    let mut mentions = Vec::new();
    let (note, unread) = (list.reviews.note(("review", "reviews")), list.reviews.skipped);
    let mut incomplete = 0;
    for r in list.reviews {
        let (Some(id), Some(c)) = (r.review_id, r.comments.into_iter().find_map(|c| c.user_comment)) else {
            incomplete += 1;
            continue;
        };
        let at = seconds(c.last_modified.as_ref());
        reached |= seen.is_some_and(|s| at.is_some_and(|a| a <= s));
        let rating = c
            .star_rating
            .and_then(|r| u8::try_from(r).ok())
            .filter(|r| (1..=5).contains(r));
        let mut head = rating.map(super::stars).unwrap_or_default();
        if let Some(v) = c.app_version_name.as_deref().filter(|v| !v.trim().is_empty()) {
            head.push_str(&format!(" · version {v}"));
        }
        if let Some(d) = c.device.as_deref().filter(|d| !d.trim().is_empty()) {
            head.push_str(&format!(" · {d}"));
        }
        let words = c.text.as_deref().unwrap_or_default().trim();
        mentions.push(NewMention {
            url: Some(format!(
                "https://play.google.com/console/developers/app/reviews?appId={app}&reviewId={id}"
            )),
            external_id: Some(id),
            author: r.author_name.filter(|a| !a.trim().is_empty()),
            text: if head.is_empty() {
                words.to_string()
            } else {
                format!("{}\n{words}", head.trim_start_matches(" · "))
            },
            published_at: at.and_then(|t| DateTime::from_timestamp(t, 0)),
            lang: c.reviewer_language,
            engagement: Engagement {
                likes: c.thumbs_up_count,
                ..Default::default()
            },
            place: Place::default(),
            ..Default::default()
        });
    }
    let newest = mentions
        .iter()
        .filter_map(|m| m.published_at)
        .max()
        .map(|t| t.timestamp());
    // Pages follow while all is new (the poller stops a poll after its fifth page).
    let next = match list.token_pagination.and_then(|p| p.next_page_token) {
        Some(t) if seen.is_some() && !reached => Some(request(ctx, Some(&t))?),
        _ => None,
    };
    Ok(Page {
        mentions,
        cursor: newest.or(seen).map(|n| serde_json::json!({ "newest": n })),
        next,
        rate: None,
        wait: None,
        notes: note
            .into_iter()
            .chain(
                (incomplete > 0)
                    .then(|| super::skipped_note(incomplete, ("review", "reviews"), "without an id or a comment")),
            )
            .collect(),
        skipped: unread + incomplete,
    })
}

/// `reviews.reply` for a review.
pub fn reply_request(feed: &FeedConfig, review: &str, text: &str, token: &str) -> Result<Request, SourceError> {
    let path = format!(
        "/androidpublisher/v3/applications/{}/reviews/{review}:reply",
        package(feed)?
    );
    Ok(Request {
        url: endpoint(feed, PUBLIC, &path)?,
        headers: vec![("authorization".into(), format!("Bearer {token}"))],
        body: Some(super::Body::Json(serde_json::json!({ "replyText": text }))),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(rel: &str) -> String {
        std::fs::read_to_string(format!(
            "{}/tests/fixtures/googleplay/{rel}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap()
    }

    fn feed() -> FeedConfig {
        crate::sources::test_feed(
            "[[feed]]\nname = \"play\"\nkind = \"googleplay\"\napp = \"com.example.app\"\nkey_file = \"/nowhere/sa.json\"\n",
        )
    }

    #[test]
    fn the_sign_in_is_a_jwt_signed_with_the_service_accounts_key() {
        let now = DateTime::from_timestamp(1_764_500_000, 0).unwrap();
        let sa = fixture("service_account.json");
        let req = session_request(&feed(), &sa, now).unwrap();
        assert_eq!(req.url.as_str(), "https://oauth2.googleapis.com/token");
        let Some(super::super::Body::Form(form)) = &req.body else {
            panic!("a form")
        };
        assert_eq!(form[0].1, "urn:ietf:params:oauth:grant-type:jwt-bearer");
        let jwt = &form[1].1;
        let parts: Vec<&str> = jwt.split('.').collect();
        assert_eq!(parts.len(), 3);
        let d = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(s).unwrap();
        let claims: serde_json::Value = serde_json::from_slice(&d(parts[1])).unwrap();
        assert_eq!(claims["iss"], "reviews@overhear-tests.iam.gserviceaccount.com");
        assert_eq!(claims["scope"], SCOPE);
        assert_eq!(claims["aud"], "https://oauth2.googleapis.com/token");
        assert_eq!(
            (claims["iat"].as_i64(), claims["exp"].as_i64()),
            (Some(1_764_500_000), Some(1_764_503_600))
        );
        // The signature verifies with the key's public half.
        let v: serde_json::Value = serde_json::from_str(&sa).unwrap();
        let pair =
            ring::signature::RsaKeyPair::from_pkcs8(&pkcs8(v["private_key"].as_str().unwrap()).unwrap()).unwrap();
        let public = ring::signature::UnparsedPublicKey::new(
            &ring::signature::RSA_PKCS1_2048_8192_SHA256,
            ring::signature::KeyPair::public_key(&pair).as_ref().to_vec(),
        );
        public
            .verify(format!("{}.{}", parts[0], parts[1]).as_bytes(), &d(parts[2]))
            .expect("a valid RS256 signature");
        // The key never leaves in anything but the signature.
        assert!(!jwt.contains("PRIVATE"));
        let refused = session_request(&feed(), "{\"client_email\": 1}", now).unwrap_err();
        assert!(refused.to_string().contains("service account"), "{refused}");
    }

    #[test]
    fn reviews_keep_rating_version_and_device_and_page_while_new() {
        let feed = feed();
        let ctx = Ctx {
            feed: &feed,
            cursor: None,
            token: Some("ya29.t"),
            now: Utc::now(),
        };
        let req = request(&ctx, None).unwrap();
        assert_eq!(
            req.url.path(),
            "/androidpublisher/v3/applications/com.example.app/reviews"
        );
        assert!(req.headers.contains(&("authorization".into(), "Bearer ya29.t".into())));
        let body = fixture("reviews_list.json");
        let reply = Reply {
            status: 200,
            headers: &[],
            body: body.as_bytes(),
        };
        let p = crate::sources::parse(&ctx, &req, &reply).unwrap();
        assert_eq!(p.mentions.len(), 2);
        let r = &p.mentions[0];
        assert_eq!(r.author.as_deref(), Some("Priya R."));
        assert!(
            r.text
                .starts_with("★☆☆☆☆ 1/5 · version 4.1.0 · a51\nSince the last update"),
            "{}",
            r.text
        );
        assert_eq!(r.engagement.likes, Some(12));
        assert_eq!(r.published_at.unwrap().timestamp(), 1_764_500_000);
        assert_eq!(p.mentions[1].author, None, "an empty name is no name");
        assert!(p.next.is_none(), "a first poll reads the newest page");
        assert_eq!(p.cursor.unwrap()["newest"], 1_764_500_000);
        let older = serde_json::json!({"newest": 1_700_000_000});
        let ctx = Ctx {
            cursor: Some(&older),
            ..ctx
        };
        let p = crate::sources::parse(&ctx, &req, &reply).unwrap();
        assert!(p.next.unwrap().url.query().unwrap().contains("token=NEXT-PAGE-TOKEN"));
    }
}
