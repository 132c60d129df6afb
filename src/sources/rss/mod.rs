//! RSS 0.9x/1.0/2.0, Atom 1.0 and JSON Feed 1.x through feed-rs: blog and news searches, forums,
//! YouTube channels, Reddit's Atom search, Google Alerts and Talkwalker Alerts.

use super::{Page, SourceError};
use crate::model::{Engagement, NewMention};
use crate::text;
use feed_rs::model::{Entry, Feed, Text};
use url::Url;

pub fn parse(body: &[u8], url: &Url) -> Result<Page, SourceError> {
    let parser = feed_rs::parser::Builder::new()
        .base_uri(Some(url.as_str()))
        // No invented ids: an entry without one is identified by its link or its content.
        .id_generator(|_, _, _| String::new())
        .build();
    let feed = parser.parse(body).map_err(|e| SourceError::Malformed(describe(&e)))?;
    let mentions = feed.entries.iter().map(|e| mention(&feed, e)).collect();
    Ok(Page {
        mentions,
        cursor: None,
        next: None,
        ..Default::default()
    })
}

fn describe(e: &feed_rs::parser::ParseFeedError) -> String {
    use feed_rs::parser::{ParseErrorKind, ParseFeedError};
    match e {
        ParseFeedError::ParseError(ParseErrorKind::NoFeedRoot) => {
            "no RSS, Atom or JSON Feed found in the answer".to_string()
        }
        other => other.to_string(),
    }
}

fn is_html(t: &Text) -> bool {
    t.content_type.to_string().contains("html")
}

fn plain(t: &Text) -> String {
    if is_html(t) {
        text::html_to_text(&t.content)
    } else {
        t.content.clone()
    }
}

fn mention(feed: &Feed, e: &Entry) -> NewMention {
    let title = e.title.as_ref().map(|t| {
        if is_html(t) {
            text::strip_tags_inline(&t.content)
        } else {
            t.content.clone()
        }
    });

    let text = e
        .summary
        .as_ref()
        .map(plain)
        .filter(|s| !s.trim().is_empty())
        .or_else(|| {
            e.content
                .as_ref()
                .and_then(|c| c.body.as_deref())
                .map(text::html_to_text)
        })
        .filter(|s| !s.trim().is_empty())
        .or_else(|| e.media.iter().find_map(|m| m.description.as_ref()).map(plain))
        .unwrap_or_default();

    let link = e
        .links
        .iter()
        .find(|l| l.rel.as_deref().is_none_or(|r| r == "alternate"))
        .or_else(|| e.links.first())
        .map(|l| text::unwrap_redirect(&l.href));

    let author = e
        .authors
        .iter()
        .chain(feed.authors.iter())
        .filter_map(|p| p.name.as_deref())
        .map(|n| n.trim().trim_start_matches("/u/").to_string())
        .find(|n| !n.is_empty());

    let community = e.media.iter().find_map(|m| m.community.as_ref());
    let engagement = Engagement {
        views: community.and_then(|c| c.stats_views).map(|v| v as i64),
        likes: community.and_then(|c| c.stars_count).map(|v| v as i64),
        ..Default::default()
    };

    NewMention {
        external_id: Some(e.id.clone()).filter(|s| !s.trim().is_empty()),
        url: link,
        author,
        author_reach: None,
        title,
        text,
        published_at: e.published.or(e.updated),
        engagement,
    }
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
    fn a_truncated_feed_is_an_error_in_words() {
        let url = Url::parse("https://example.com/feed").unwrap();
        let e = parse(&fixture("rss/rss_2.0_invalid_1.xml"), &url).unwrap_err();
        assert!(matches!(e, SourceError::Malformed(_)), "{e}");
        assert!(e.to_string().starts_with("not a valid feed"), "{e}");
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
