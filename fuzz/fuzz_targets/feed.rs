//! The whole feed path (decode, repair, XML, extract; JSON Feed): any bytes, any Content-Type.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (ct, body) = match data.split_first() {
        Some((b, rest)) if *b % 4 == 0 => (Some("application/rss+xml; charset=windows-1252"), rest),
        Some((b, rest)) if *b % 4 == 1 => (Some("text/xml; charset=utf-16"), rest),
        Some((_, rest)) => (None, rest),
        None => (None, data),
    };
    let url = url::Url::parse("http://example.com/feed.xml").unwrap();
    let _ = overhear::sources::rss::parse_fetched(&overhear::sources::rss::Fetched {
        body,
        url: &url,
        content_type: ct,
        content_location: None,
    });
});
