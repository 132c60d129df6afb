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
    // The words, each followed by a space, hashed at once.
    let mut said_words = Vec::with_capacity(512);
    let titled = said(title.unwrap_or(""), &mut said_words, FINGERPRINT_MAX_WORDS);
    let words = said(text, &mut said_words, FINGERPRINT_MAX_WORDS.saturating_sub(titled));
    let link_only = crate::query::facts::has_link(text) && words < 3 && titled < 3;
    // The title's words and the text's: a copied post is copied whole.
    let hash = (titled + words >= FINGERPRINT_WORDS).then(|| {
        let d = Sha256::digest(&said_words);
        i64::from_be_bytes(d[..8].try_into().expect("eight bytes"))
    });
    (hash, link_only)
}

/// The words a fingerprint reads at most (a copy is a copy from its opening).
const FINGERPRINT_MAX_WORDS: usize = 64;

/// Add the words of `s` (links left out; as the search sees them) to `out`, each followed by a
/// space, at most `max` of them (counted past it, so a caller knows how many there were); how
/// many words there were.
fn said(s: &str, out: &mut Vec<u8>, max: usize) -> usize {
    /// One word: added while there is room, counted anyway.
    fn word(w: impl Iterator<Item = u8>, out: &mut Vec<u8>, n: &mut usize, max: usize) {
        if *n < max {
            out.extend(w);
            out.push(b' ');
        }
        *n += 1;
    }
    let mut n = 0;
    for token in s.split_whitespace() {
        if crate::query::facts::is_link_word(token) {
            continue;
        }
        if token.is_ascii() {
            // Most words: letters and digits, lower-cased, without allocating.
            for run in token
                .split(|c: char| !c.is_ascii_alphanumeric())
                .filter(|r| !r.is_empty())
            {
                word(run.bytes().map(|b| b.to_ascii_lowercase()), out, &mut n, max);
            }
        } else {
            for w in crate::query::expr::word_slices(token) {
                word(w.bytes(), out, &mut n, max);
            }
        }
        if n >= max + 3 {
            break;
        }
    }
    n
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
    fn the_fingerprint_is_the_one_stored_by_earlier_versions() {
        // Stored fingerprints are compared with new ones: the hash of the folded words, each
        // followed by a space, must not change.
        let expected = {
            let d = Sha256::digest(b"win a free acme phone now click here ");
            i64::from_be_bytes(d[..8].try_into().unwrap())
        };
        let a = fingerprint(None, "WIN a free Acme phone now, click here https://spam.example/a1");
        assert_eq!(a.0, Some(expected));
        let b = fingerprint(Some("Win a free"), "Acme phone now, click here");
        assert_eq!(b.0, Some(expected), "the title's words, then the text's");
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
