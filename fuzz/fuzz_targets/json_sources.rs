//! Every JSON source's parser on arbitrary bodies, through `sources::parse` as a poll calls it.
#![no_main]
use libfuzzer_sys::fuzz_target;
use overhear::model::{FeedConfig, FeedKind};
use overhear::sources::{self, Ctx, Reply, Request};

fuzz_target!(|data: &[u8]| {
    let Some((pick, body)) = data.split_first() else { return };
    let kinds = [
        FeedKind::Hackernews,
        FeedKind::Reddit,
        FeedKind::Mastodon,
        FeedKind::Bluesky,
        FeedKind::X,
        FeedKind::Stackexchange,
        FeedKind::Github,
        FeedKind::Discourse,
    ];
    let kind = kinds[usize::from(*pick) % kinds.len()];
    let url = url::Url::parse("http://example.com/search").unwrap();
    let feed = FeedConfig {
        name: "f".into(),
        kind,
        query: Some("acme".into()),
        url: Some(url.clone()),
        every: kind.default_every(),
        rules: Default::default(),
        token_env: Some("T".into()),
        tag: Some("acme".into()),
        identifier: Some("me.example".into()),
        site: None,
        subreddit: None,
        map: None,
    };
    let ctx = Ctx { feed: &feed, cursor: None, token: Some("t"), now: chrono::Utc::now() };
    let req = Request { url, headers: Vec::new(), body: None };
    let reply = Reply { status: 200, headers: &[], body };
    let _ = sources::parse(&ctx, &req, &reply);
});
