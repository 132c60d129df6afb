//! Likely noise: spam and bots, flagged with their reasons, never hidden. Three signs:
//!
//! - **duplicate**: the same words (links aside) from three authors or more within a week: a
//!   copied post, a bot network, a giveaway;
//! - **burst**: an author posting five times or more within an hour, ten times their usual rate
//!   (or in their first day);
//! - **link-only**: nothing said but a link.
//!
//! The first is worked out from a fingerprint of the words ([`fingerprint`], on a parser's
//! thread) when mentions are stored, the second from the author's counts, the third from the
//! words alone.

use sha2::{Digest, Sha256};

/// One sign of noise; a mention's signs are a bit set (`mentions.noise`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, strum::Display, strum::EnumString, strum::VariantArray)]
#[strum(serialize_all = "kebab-case", ascii_case_insensitive)]
pub enum Noise {
    Duplicate,
    Burst,
    #[strum(to_string = "link-only", serialize = "linkonly")]
    LinkOnly,
}

impl Noise {
    pub const ALL: &'static [Noise] = <Noise as strum::VariantArray>::VARIANTS;

    pub fn bit(self) -> i64 {
        match self {
            Noise::Duplicate => 1,
            Noise::Burst => 2,
            Noise::LinkOnly => 4,
        }
    }

    /// Every sign.
    pub const ANY: i64 = 7;

    /// The signs in a bit set.
    pub fn list(bits: i64) -> Vec<Noise> {
        Noise::ALL.iter().copied().filter(|n| bits & n.bit() != 0).collect()
    }

    /// In words, for the detail: "the same text from several authors".
    pub fn reason(self) -> &'static str {
        match self {
            Noise::Duplicate => "the same words from three authors or more this week",
            Noise::Burst => "its author posted five times or more within an hour, far above their usual rate",
            Noise::LinkOnly => "nothing but a link",
        }
    }
}

/// Authors saying the same words within this many seconds make a duplicate.
pub const DUPLICATE_WINDOW_SECS: i64 = 7 * 86_400;
/// How many authors saying the same words make a duplicate.
pub const DUPLICATE_AUTHORS: i64 = 3;
/// How many mentions within an hour make a burst (when ten times the author's usual rate).
pub const BURST_MENTIONS: i64 = 5;
/// Texts shorter than this many words have no fingerprint ("thanks!" is not a copy).
const FINGERPRINT_WORDS: usize = 6;

/// What noise detection needs of a mention's words: a fingerprint of them (links left out,
/// case and accents folded), when there are enough of them; whether nothing but a link is said.
pub fn fingerprint(title: Option<&str>, text: &str) -> (Option<i64>, bool) {
    let said = |s: &str| -> Vec<String> {
        let without_links: String = s
            .split_whitespace()
            .filter(|w| !crate::query::facts::is_link_word(w))
            .collect::<Vec<_>>()
            .join(" ");
        crate::query::expr::words(&without_links)
    };
    let words = said(text);
    let titled = said(title.unwrap_or(""));
    let link_only = crate::query::facts::has_link(text) && words.len() < 3 && titled.len() < 3;
    // The title's words and the text's: a copied post is copied whole.
    let all: Vec<&String> = titled.iter().chain(&words).collect();
    let hash = (all.len() >= FINGERPRINT_WORDS).then(|| {
        let mut h = Sha256::new();
        for w in &all {
            h.update(w.as_bytes());
            h.update(b" ");
        }
        let d = h.finalize();
        i64::from_be_bytes(d[..8].try_into().expect("eight bytes"))
    });
    (hash, link_only)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_share_a_fingerprint_whatever_their_links_and_case() {
        let a = fingerprint(None, "WIN a free Acme phone now, click here https://spam.example/a1");
        let b = fingerprint(None, "win a free acme phone NOW, click here https://spam.example/zz9 ");
        assert!(a.0.is_some());
        assert_eq!(a.0, b.0);
        assert_ne!(a.0, fingerprint(None, "win a free acme tablet now, click here").0);
        assert_eq!(fingerprint(None, "thanks acme!").0, None, "too short to be a copy");
    }

    #[test]
    fn a_link_alone_is_link_only_and_a_titled_link_is_not() {
        assert!(fingerprint(None, "https://spam.example/x").1);
        assert!(fingerprint(None, "wow https://spam.example/x").1);
        assert!(!fingerprint(None, "Acme's new sync engine is out: https://acme.example/blog").1);
        assert!(!fingerprint(Some("Show HN: a faster importer for Acme"), "https://github.com/x/y").1);
        assert!(!fingerprint(None, "no link at all").1);
    }

    #[test]
    fn signs_read_and_list() {
        assert_eq!("link-only".parse::<Noise>().unwrap(), Noise::LinkOnly);
        assert_eq!("duplicate".parse::<Noise>().unwrap(), Noise::Duplicate);
        assert_eq!(Noise::list(5), vec![Noise::Duplicate, Noise::LinkOnly]);
        assert_eq!(Noise::LinkOnly.to_string(), "link-only");
    }
}
