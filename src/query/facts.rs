//! What the query language knows of a mention beyond its words, worked out once when it arrives
//! and stored beside it (so `site:`, `has:link`, `is:question` and `lang:` read an indexed column
//! at a million mentions), and worked out the same way in memory for rules on arrival.

pub use crate::model::Facts;
use crate::model::FeedKind;
use crate::score::Scorer;

impl Facts {
    /// The facts of a mention: `lang` is the source's code (or the poller's detection) when it
    /// has one, else detected here; `scorer` gives the sentiment and the intents.
    pub fn of(url: Option<&str>, title: Option<&str>, text: &str, lang: Option<&str>, scorer: &Scorer) -> Facts {
        let asks = is_question(title, text);
        let (sentiment, intents) = scorer.judge(title, text, asks);
        let (text_hash, link_only) = crate::score::noise::fingerprint(title, text);
        Facts {
            author: None,
            story: Default::default(),
            text_hash,
            noise: if link_only {
                crate::score::noise::Noise::LinkOnly.bit()
            } else {
                0
            },
            site: url.and_then(host).map(|h| site_key(&h)),
            has_link: has_link(text),
            is_question: asks,
            lang: crate::text::lang::of_mention(lang, title, text),
            sentiment,
            intents: intents.0,
            priority: 0.0,
        }
    }
}

impl Facts {
    /// The facts of a mention as a source of `kind` gave it, with its priority and its author's
    /// key.
    pub fn of_mention(kind: crate::model::FeedKind, m: &crate::model::NewMention, scorer: &Scorer) -> Facts {
        let mut f = Facts::of(m.url.as_deref(), m.title.as_deref(), &m.text, m.lang.as_deref(), scorer);
        f.author = m.author.as_deref().and_then(|a| author_key(kind, a, m.url.as_deref()));
        f.story = story_keys(kind, m);
        f.priority = scorer
            .weights
            .priority(crate::score::priority::Inputs {
                person: Default::default(),
                reach: m.author_reach,
                engagement: &m.engagement,
                sentiment: f.sentiment,
                intents: crate::score::Intents(f.intents),
            })
            .base;
        f
    }
}

/// What finds the other places a mention's story is seen: the page it is about (an article's
/// own link; the link a Hacker News or Reddit post shares), and its title's words. Only what
/// names a story has keys: a reply is part of a conversation, and a person's post on Mastodon,
/// Bluesky or X is theirs to be answered, whatever it shares.
pub fn story_keys(kind: FeedKind, m: &crate::model::NewMention) -> crate::score::story::StoryKeys {
    let personal = matches!(kind, FeedKind::Mastodon | FeedKind::Bluesky | FeedKind::X);
    if personal || m.place.parent.is_some() || m.title.as_deref().is_some_and(|t| t.starts_with("Re: ")) {
        return Default::default();
    }
    let own = matches!(kind, FeedKind::Rss | FeedKind::Json)
        .then_some(m.url.as_deref())
        .flatten();
    let links_to = m.place.links_to.as_deref().or(own);
    crate::score::story::StoryKeys::of(links_to, m.title.as_deref())
}

/// Where a handle is unique (`scope`: a blog's or forum's site, `""` for a service) and the
/// handle as stored (lowercased where the service ignores case).
pub fn author_key(kind: FeedKind, author: &str, url: Option<&str>) -> Option<(String, String)> {
    let author = author.trim();
    if author.is_empty() {
        return None;
    }
    let host = || url.and_then(host).unwrap_or_default();
    let key = match kind {
        FeedKind::Mastodon | FeedKind::Lemmy => {
            // A local account's `acct` has no instance: it is the instance the status came from.
            let acct = author.trim_start_matches('@').to_lowercase();
            let h = host();
            if acct.contains('@') || h.is_empty() {
                (String::new(), acct)
            } else {
                (String::new(), format!("{acct}@{h}"))
            }
        }
        FeedKind::Reddit => (
            String::new(),
            author.trim_start_matches("/u/").trim_start_matches("u/").to_lowercase(),
        ),
        FeedKind::Bluesky | FeedKind::X | FeedKind::Github => {
            (String::new(), author.trim_start_matches('@').to_lowercase())
        }
        FeedKind::Hackernews | FeedKind::Youtube | FeedKind::Flickr => (String::new(), author.to_string()),
        FeedKind::Rss
        | FeedKind::Json
        | FeedKind::Discourse
        | FeedKind::Stackexchange
        | FeedKind::Appstore
        | FeedKind::Googleplay => (host(), author.to_string()),
    };
    (!key.1.is_empty()).then_some(key)
}

/// The host of a link, lower-cased, without `www.`.
pub fn host(url: &str) -> Option<String> {
    let u = url::Url::parse(url).ok()?;
    let h = u.host_str()?.trim_end_matches('.').to_lowercase();
    let h = h.strip_prefix("www.").unwrap_or(&h).to_string();
    (!h.is_empty()).then_some(h)
}

/// Whether `host` is `site` or one of its subdomains.
pub fn site_matches(host: &str, site: &str) -> bool {
    let site = site.trim_end_matches('.');
    host == site || host.strip_suffix(site).is_some_and(|rest| rest.ends_with('.'))
}

/// A host as its labels in reverse, each followed by a dot: `blog.example.com` is
/// `com.example.blog.`, so every subdomain of a site sorts right after the site.
pub fn site_key(host: &str) -> String {
    let mut key = String::with_capacity(host.len() + 1);
    for label in host.rsplit('.').filter(|l| !l.is_empty()) {
        key.push_str(label);
        key.push('.');
    }
    key
}

/// The keys of `site` and every subdomain: `from <= key < to` (`.` + 1 is `/`).
pub fn site_range(site: &str) -> (String, String) {
    let site = site.trim().trim_start_matches("www.").to_lowercase();
    let from = site_key(&site);
    let to = format!("{}/", from.strip_suffix('.').unwrap_or(&from));
    (from, to)
}

/// The characters that make a mention a question.
const QUESTION_MARKS: [char; 3] = ['?', '？', '¿'];

/// What counts as a link in a mention's words.
const LINK_MARKS: [&str; 3] = ["http://", "https://", "www."];

/// Whether the words hold a link.
pub fn has_link(text: &str) -> bool {
    LINK_MARKS.iter().any(|l| text.contains(l))
}

/// Whether one whitespace-separated word is (or holds) a link.
pub fn is_link_word(word: &str) -> bool {
    // Every mark has a ':' or a '.', which most words have not: one pass over them.
    word.contains([':', '.']) && LINK_MARKS.iter().any(|l| word.contains(l))
}

/// Whether a mention asks something: a question mark in its title or words, outside a link (a
/// link's `?` starts its query, not a question).
pub fn is_question(title: Option<&str>, text: &str) -> bool {
    [title.unwrap_or(""), text].iter().any(|part| {
        part.contains(QUESTION_MARKS)
            && part
                .split_whitespace()
                .any(|w| w.contains(QUESTION_MARKS) && !LINK_MARKS.iter().any(|l| w.contains(l)))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn sites_and_their_subdomains_are_one_range() {
        let (from, to) = site_range("example.com");
        for (host, inside) in [
            ("example.com", true),
            ("blog.example.com", true),
            ("a.b.example.com", true),
            ("badexample.com", false),
            ("example.com.evil.net", false),
            ("example.co", false),
            ("com", false),
        ] {
            let key = site_key(host);
            assert_eq!(key >= from && key < to, inside, "{host}: {key} in [{from}, {to})");
            assert_eq!(site_matches(host, "example.com"), inside, "{host}");
        }
        assert_eq!(site_range("www.Example.COM"), site_range("example.com"));
    }

    #[test]
    fn hosts_lose_www_and_case() {
        assert_eq!(host("https://WWW.Example.com/a?b").as_deref(), Some("example.com"));
        assert_eq!(host("https://blog.example.com./x").as_deref(), Some("blog.example.com"));
        assert_eq!(host("mailto:someone@example.com"), None);
        assert_eq!(host("not a url"), None);
    }

    #[test]
    fn a_question_is_asked_in_words_not_in_a_link() {
        assert!(is_question(None, "does anyone know why acme is down?"));
        assert!(is_question(Some("Acme down?"), "it is"));
        assert!(is_question(None, "¿Alguien sabe qué pasa con Acme"));
        assert!(is_question(None, "アクメは落ちていますか？"));
        assert!(!is_question(None, "see https://example.com/search?q=acme for details"));
        assert!(!is_question(None, "acme is down, see www.example.com/?p=1"));
        assert!(is_question(None, "what? https://example.com/?q=1"));
        assert!(!is_question(None, "acme is down."));
    }

    #[test]
    fn links_are_found_in_words() {
        assert!(has_link("read https://example.com/a"));
        assert!(has_link("read www.example.com"));
        assert!(!has_link("no link here, just example.com"));
    }

    proptest! {
        #[test]
        fn every_site_key_sorts_in_its_own_range(labels in proptest::collection::vec("[a-z0-9-]{1,8}", 1..5)) {
            let host = labels.join(".");
            let (from, to) = site_range(&host);
            let key = site_key(&host);
            prop_assert!(key >= from && key < to);
            let sub = format!("x.{host}");
            let key = site_key(&sub);
            prop_assert!(key >= from && key < to);
        }
    }
}
