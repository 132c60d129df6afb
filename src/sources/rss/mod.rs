//! Feeds a person's feed reader can show: RSS 0.90 to 2.x (in any of their namespaces), RSS 1.0,
//! Atom 0.3 and 1.0, and JSON Feed 1.x: blog and news searches, forums, YouTube channels,
//! Reddit's Atom search, Google Alerts and Talkwalker Alerts.
//!
//! The leniency lives in three steps, each on a kept crate: `decode` (encoding_rs, oem_cp, the
//! BOM, the HTTP charset and the declaration), `repair` (a linear pass that makes broken markup
//! well-formed and says what it changed), and `extract` (the formats' fields on a roxmltree
//! document). feed-rs is not used: it refuses RSS versions other than 0.91, 0.92 and 2.0, reads
//! neither Atom 0.3 nor RSS 0.90's namespace, and fails a whole document for one bad byte.
//! What was repaired goes to the feed's health as the page's notes; a document that holds
//! item elements but yields no items says so.

mod decode;
mod ebcdic;
mod extract;
mod repair;

use super::{Page, SourceError};
use crate::model::{Engagement, NewMention};
use crate::text;
use url::Url;

/// Say how many items were skipped: `empty` ones, and the last one when `cut` off.
fn note_skipped(notes: &mut Vec<String>, element: &str, empty: usize, cut: usize) {
    if empty > 0 {
        notes.push(format!(
            "{empty} {element} element{} had no title, link or text and {} skipped",
            if empty == 1 { "" } else { "s" },
            if empty == 1 { "was" } else { "were" }
        ));
    }
    if cut > 0 {
        notes.push(format!(
            "the last {element} was cut off by the end of the document and not stored"
        ));
    }
}

/// Whether `s` may be given to the XML reader as it is, before any repair: it holds no C1 control
/// character (U+0080–U+009F: legal XML, but they stand for Windows-1252 characters, which the
/// repair restores) and no tag with more attributes than the repair keeps (the reader checks each
/// new attribute against the others: thousands cost seconds).
fn readable_as_is(s: &str) -> bool {
    let mut in_tag = false;
    let mut equals = 0usize;
    let mut prev = 0u8;
    for &b in s.as_bytes() {
        match b {
            0x80..=0x9F if prev == 0xC2 => return false,
            b'<' => {
                in_tag = true;
                equals = 0;
            }
            b'>' => in_tag = false,
            b'=' if in_tag => {
                equals += 1;
                if equals > repair::MAX_ATTRIBUTES {
                    return false;
                }
            }
            _ => {}
        }
        prev = b;
    }
    true
}

/// A fetched feed: its bytes and the HTTP headers that tell how to read them.
pub struct Fetched<'a> {
    pub body: &'a [u8],
    /// Where it was fetched from: the base for relative links.
    pub url: &'a Url,
    pub content_type: Option<&'a str>,
    pub content_location: Option<&'a str>,
}

/// Parse a fetched feed of any format.
pub fn parse_fetched(f: &Fetched<'_>) -> Result<Page, SourceError> {
    // Debug builds only: lets the tests prove that a parser bug costs one feed one poll, not the
    // poller (the marker is never in a real feed).
    #[cfg(debug_assertions)]
    if std::env::var_os("OVERHEAR_TEST_PARSER_PANIC").is_some()
        && f.body.windows(24).any(|w| w == b"overhear-test-panic-here")
    {
        panic!("panic requested by OVERHEAR_TEST_PARSER_PANIC");
    }
    let base = f
        .content_location
        .and_then(|cl| f.url.join(cl.trim()).ok())
        .filter(|u| matches!(u.scheme(), "http" | "https"))
        .unwrap_or_else(|| f.url.clone());
    // Relative links resolve against the address without its query: a `#comments` link must not
    // carry a key that was in the feed's URL into the store.
    let mut base = base;
    base.set_query(None);
    base.set_fragment(None);
    let decoded = decode::decode(f.body, f.content_type);
    let mut notes = decoded.notes;
    let body = decoded.text.trim_start_matches('\u{feff}');
    if body.trim_start().starts_with('{') {
        let mut page = json_feed(body, &base)?;
        page.notes.splice(0..0, notes);
        return Ok(page);
    }
    if body.trim().is_empty() {
        return Err(SourceError::Malformed("the answer is empty".into()));
    }
    let body = skip_preamble(body, &mut notes);
    let options = || roxmltree::ParsingOptions {
        allow_dtd: false,
        nodes_limit: 5_000_000,
        ..Default::default()
    };
    // Most feeds are well-formed: read as they are, they need no repair pass (a copy of the whole
    // document). Raw C1 characters are legal XML but stand for Windows-1252 ones: those go
    // through the repair, as does anything a strict reader refuses.
    let direct = if readable_as_is(body) {
        roxmltree::Document::parse_with_options(body, options()).ok()
    } else {
        None
    };
    let repaired;
    let (doc, xml, truncated_at) = match direct {
        Some(doc) => (doc, body, None),
        None => {
            repaired = repair::repair(body);
            notes.extend(repaired.notes.iter().cloned());
            let doc = roxmltree::Document::parse_with_options(&repaired.xml, options()).map_err(|e| {
                SourceError::Malformed(format!("the document cannot be read as XML even after repair ({e})"))
            })?;
            (doc, repaired.xml.as_str(), repaired.truncated_at)
        }
    };
    if extract::format(&doc).is_none() {
        let root = doc.root_element().tag_name().name().to_ascii_lowercase();
        return Err(if root == "html" {
            SourceError::HtmlNotFeed
        } else {
            SourceError::Malformed(format!(
                "no RSS, Atom or JSON Feed here: the document is a <{}>",
                text::sanitize_line(&root)
            ))
        });
    }
    let (mentions, empty, cut) = extract::items(&doc, xml, &base, truncated_at);
    let element = match extract::format(&doc) {
        Some(extract::Format::Atom) => "<entry>",
        _ => "<item>",
    };
    note_skipped(&mut notes, element, empty, cut);
    Ok(Page {
        mentions,
        notes,
        skipped: empty + cut,
        ..Default::default()
    })
}

/// The document without what a server printed before it (a PHP warning, blank lines): from the
/// XML declaration when something precedes it, else from the feed's root element when markup
/// precedes that.
fn skip_preamble<'a>(body: &'a str, notes: &mut Vec<String>) -> &'a str {
    let start = body.len() - body.trim_start().len();
    let lower: String = body.chars().take(4096).collect::<String>().to_ascii_lowercase();
    let decl = lower.find("<?xml");
    let root = ["<rss", "<feed", "<rdf:rdf", "<rdf", "<channel"]
        .iter()
        .filter_map(|r| lower.find(r))
        .min();
    let cut = match decl {
        Some(d) if d > 0 => Some(d),
        None => root.filter(|&r| {
            let before = &lower[start..r];
            // Markup other than a comment or a DOCTYPE before the root is junk.
            before.contains('<') && !before.trim_start().starts_with("<!")
        }),
        _ => None,
    };
    match cut {
        Some(c) if c < body.len() && body.is_char_boundary(c) => {
            if !body[..c].trim().is_empty() {
                notes.push("text before the document ignored".into());
            } else {
                notes.push("blank space before the XML declaration ignored".into());
            }
            &body[c..]
        }
        _ => body,
    }
}

/// Parse a feed fetched from `url` with no headers that matter (Reddit's Atom, tests).
pub fn parse(body: &[u8], url: &Url) -> Result<Page, SourceError> {
    parse_fetched(&Fetched {
        body,
        url,
        content_type: None,
        content_location: None,
    })
}

/// JSON Feed 1.0 and 1.1.
fn json_feed(body: &str, base: &Url) -> Result<Page, SourceError> {
    let v: serde_json::Value = serde_json::from_str(body)
        .map_err(|e| SourceError::Malformed(format!("the answer is JSON, but not valid ({e})")))?;
    let is_feed = v["version"].as_str().is_some_and(|s| s.contains("jsonfeed.org")) || v["items"].is_array();
    if !is_feed {
        return Err(SourceError::Malformed(
            "the answer is JSON but not a JSON Feed (no `version` from jsonfeed.org and no `items`)".into(),
        ));
    }
    let str_of = |x: &serde_json::Value| x.as_str().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string);
    let feed_lang = str_of(&v["language"]);
    let feed_author = v["authors"][0]["name"]
        .as_str()
        .or(v["author"]["name"].as_str())
        .map(str::to_string);
    let mut notes = Vec::new();
    let mut empty = 0;
    let mut numeric_ids = 0;
    let mut mentions = Vec::new();
    for item in v["items"].as_array().into_iter().flatten() {
        let url = str_of(&item["url"])
            .or_else(|| str_of(&item["external_url"]))
            .and_then(|u| base.join(&u).ok())
            .filter(|u| matches!(u.scheme(), "http" | "https"))
            .map(|u| text::unwrap_redirect(u.as_str()));
        let title = str_of(&item["title"]).map(|t| text::collapse_whitespace(&t));
        let text = str_of(&item["content_text"])
            .or_else(|| str_of(&item["content_html"]).map(|h| text::html_to_text(&h)))
            .or_else(|| str_of(&item["summary"]))
            .unwrap_or_default();
        if title.is_none() && url.is_none() && text.is_empty() {
            empty += 1;
            continue;
        }
        let date = |k: &str| str_of(&item[k]).and_then(|d| super::dates::parse(&d));
        if item["id"].is_number() {
            numeric_ids += 1;
        }
        mentions.push(NewMention {
            place: Default::default(),
            facts: None,
            external_id: item["id"]
                .as_str()
                .map(str::to_string)
                .or_else(|| item["id"].as_number().map(|n| n.to_string())),
            url,
            author: item["authors"][0]["name"]
                .as_str()
                .or(item["author"]["name"].as_str())
                .map(str::to_string)
                .or_else(|| feed_author.clone()),
            author_ref: None,
            author_name: None,
            author_reach: None,
            title,
            text,
            published_at: date("date_published").or_else(|| date("date_modified")),
            engagement: Engagement::default(),
            lang: str_of(&item["language"]).or_else(|| feed_lang.clone()),
        });
    }
    if empty > 0 {
        notes.push(format!("{empty} item(s) had no title, link or text and were skipped"));
    }
    if numeric_ids > 0 {
        notes.push(format!("{numeric_ids} item id(s) given as numbers read as text"));
    }
    Ok(Page {
        mentions,
        notes,
        skipped: empty,
        ..Default::default()
    })
}

#[cfg(test)]
mod corpus;

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(rel: &str) -> Vec<u8> {
        std::fs::read(format!("{}/tests/fixtures/{rel}", env!("CARGO_MANIFEST_DIR"))).unwrap()
    }

    fn parse_fixture(rel: &str) -> Vec<NewMention> {
        let url = Url::parse("https://example.com/feed").unwrap();
        parse(&fixture(rel), &url)
            .unwrap_or_else(|e| panic!("{rel}: {e}"))
            .mentions
    }

    #[test]
    fn rss2_with_content_and_creator() {
        let m = parse_fixture("rss/rss_2.0_cloudflare.xml");
        assert_eq!(m.len(), 1);
        assert!(m[0].author.is_some());
        assert!(m[0].title.is_some());
        assert!(
            m[0].url.as_deref().unwrap().starts_with("https://blog.cloudflare.com/"),
            "{:?}",
            m[0].url
        );
        assert!(!m[0].text.contains('<'), "{}", m[0].text);
        assert!(m[0].published_at.is_some());
    }

    #[test]
    fn rss2_items_without_title_or_link_still_have_identity_and_text() {
        let m = parse_fixture("rss/rss_2.0_spec_1.xml");
        assert_eq!(m.len(), 2);
        for x in &m {
            assert!(!x.text.is_empty());
            assert!(!x.text.contains("<a"), "{}", x.text);
        }
        assert_ne!(m[0].identity(), m[1].identity());
    }

    #[test]
    fn a_truncated_feed_is_read_and_the_health_says_it_ends_early() {
        let url = Url::parse("https://example.com/feed").unwrap();
        let page = parse(&fixture("rss/rss_2.0_invalid_1.xml"), &url).unwrap();
        assert!(page.mentions.is_empty(), "the channel holds no items");
        assert!(page.notes.iter().any(|n| n.contains("ends early")), "{:?}", page.notes);
    }

    #[test]
    fn a_document_that_is_no_feed_is_an_error_in_words() {
        let url = Url::parse("https://example.com/feed").unwrap();
        let e = parse(b"<?xml version=\"1.0\"?><opml><body/></opml>", &url).unwrap_err();
        assert!(e.to_string().contains("no RSS, Atom or JSON Feed here"), "{e}");
        let e = parse(b"   ", &url).unwrap_err();
        assert!(e.to_string().contains("empty"), "{e}");
    }

    #[test]
    fn rss1_in_iso8859_keeps_its_umlauts() {
        let m = parse_fixture("rss/rss_1.0_iso8859.xml");
        assert!(!m.is_empty());
        let all: String = m
            .iter()
            .map(|x| format!("{} {}", x.title.clone().unwrap_or_default(), x.text))
            .collect();
        assert!(all.chars().any(|c| "äöüÄÖÜß".contains(c)), "{all}");
        assert!(!all.contains('\u{fffd}'), "no replacement characters");
    }

    #[test]
    fn atom_entries_inherit_the_feed_author_and_fall_back_to_updated() {
        let m = parse_fixture("atom/atom_spec_1.xml");
        assert_eq!(m[0].author.as_deref(), Some("John Doe"));
        let m = parse_fixture("atom/atom_example_2.xml");
        assert_eq!(m.len(), 2);
        assert!(
            m.iter().all(|x| x.published_at.is_some()),
            "updated used when published is missing"
        );
    }

    #[test]
    fn json_feeds_parse_with_and_without_ids() {
        assert_eq!(parse_fixture("jsonfeed/json_feed.json").len(), 20);
        let m = parse_fixture("jsonfeed/jsonfeed_elastic_1.1.json");
        assert!(!m.is_empty());
        let ids: std::collections::HashSet<String> = m.iter().map(|x| x.identity()).collect();
        assert_eq!(ids.len(), m.len(), "distinct identities without ids");
        assert!(!parse_fixture("jsonfeed/jsonfeed_spec_1.json").is_empty());
    }

    #[test]
    fn google_alerts_links_are_unwrapped_and_highlighting_dropped() {
        let m = parse_fixture("google_alerts/google_alerts_atom.xml");
        assert_eq!(m.len(), 20);
        for x in &m {
            let url = x.url.as_deref().unwrap();
            assert!(!url.contains("google.com/url"), "{url}");
            assert!(url.starts_with("http"), "{url}");
            assert!(!x.title.as_deref().unwrap().contains("<b>"));
            assert!(!x.text.contains("<b>"));
            assert_eq!(x.author, None, "Google Alerts has empty authors");
            assert!(
                x.external_id
                    .as_deref()
                    .unwrap()
                    .starts_with("tag:google.com,2013:googlealerts")
            );
        }
        assert!(m.iter().any(|x| x.title.as_deref().unwrap().contains("Slack")));
    }

    #[test]
    fn youtube_views_and_ratings_are_engagement() {
        let m = parse_fixture("youtube/atom_mediarss_youtube_1.xml");
        assert_eq!(m.len(), 1);
        assert_eq!(m[0].engagement.views, Some(304321));
        assert!(m[0].engagement.likes.is_some());
        assert!(!m[0].text.is_empty(), "media:description is the text");
        assert_eq!(
            parse_fixture("youtube/youtube_atom.xml").len(),
            15,
            "a newline before the XML declaration is tolerated"
        );
    }

    #[test]
    fn reddit_atom_authors_lose_their_prefix() {
        let m = parse_fixture("reddit/rss_2.0_reddit.xml");
        assert_eq!(m[0].author.as_deref(), Some("kevincox_ca"));
        assert_eq!(m[0].external_id.as_deref(), Some("t3_qksbf1"));
        assert_eq!(parse_fixture("reddit/atom_mediarss_reddit_1.xml").len(), 25);
        assert!(
            parse_fixture("reddit/atom_example_reddit.xml")[0]
                .published_at
                .is_some()
        );
    }
}

#[cfg(test)]
mod never_panics {
    use super::*;
    use proptest::prelude::*;

    fn url() -> Url {
        Url::parse("http://example.com/feed.xml").unwrap()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(400))]

        /// Any bytes at all: an error or a page, never a panic.
        #[test]
        fn any_bytes(body in proptest::collection::vec(any::<u8>(), 0..2048), ct in proptest::option::of("[ -~]{0,40}")) {
            let _ = parse_fetched(&Fetched { body: &body, url: &url(), content_type: ct.as_deref(), content_location: None });
        }

        /// Feed-shaped text with markup, entities and controls sprinkled in.
        #[test]
        fn feed_shaped(parts in proptest::collection::vec(prop_oneof![
            Just("<rss version=\"2.0\"><channel>".to_string()),
            Just("<item><title>".to_string()),
            Just("</title><link>http://x/".to_string()),
            Just("</link></item>".to_string()),
            Just("<![CDATA[".to_string()),
            Just("]]>".to_string()),
            Just("&".to_string()),
            Just("&#x".to_string()),
            Just("&amp".to_string()),
            Just("<!DOCTYPE r [<!ENTITY a \"b\">]>".to_string()),
            Just("<feed xmlns=\"http://www.w3.org/2005/Atom\"><entry>".to_string()),
            Just("<content type=\"xhtml\"><div>".to_string()),
            Just("\u{1b}]52;c;x\u{7}".to_string()),
            Just("\u{92}\u{0}".to_string()),
            "[ -~]{0,12}",
        ], 0..40)) {
            let body = parts.concat();
            let _ = parse_fetched(&Fetched { body: body.as_bytes(), url: &url(), content_type: None, content_location: None });
        }
    }
}
