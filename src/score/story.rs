//! One story seen in many places: the same article through Google Alerts, its blog's feed, a
//! Hacker News post and a Reddit link. Two mentions are one story when they lead to the same page
//! (their canonical links, [`crate::text::canonical`], are equal) or when their titles are
//! near-identical: the Jaccard similarity of their words and word pairs at or above a threshold
//! (`[stories] similarity`, 0.6 by default), and they name the same numbers: "Part 1" and "Part 2",
//! "iOS 17" and "iOS 18", a feed's "Item 41" and "Item 42" are different stories however alike
//! the rest of their words (a title without a number can still be a numbered one's story: "Acme
//! app crashes on iOS after update" and "Acme app crashes on iOS 17 after update"). Only what
//! names a story has keys: an article, a post with a title. Two people's short posts saying alike
//! things are two people to answer.
//!
//! Finding near-identical titles among a history of millions must not compare each arrival with
//! every stored mention: each mention gets a MinHash signature of its word pairs, cut into
//! [`BANDS`] bands; mentions sharing a band are candidates, and only candidates are compared
//! (locality-sensitive hashing, as in Leskovec, Rajaraman & Ullman, *Mining of Massive Datasets*,
//! ch. 3). With 4 bands of 2, a pair at similarity 0.6 is a candidate 88% of the time, at 0.8 99%.

use sha2::{Digest, Sha256};

/// How many bands a signature is cut into, and how many hashes each holds.
pub const BANDS: usize = 4;
const ROWS: usize = 2;
/// A title with fewer word pairs than this is too short to be compared ("Acme down").
const MIN_PAIRS: usize = 3;
/// The default similarity at which two titles are one story.
pub const DEFAULT_SIMILARITY: f64 = 0.6;
/// Mentions further apart than this are not one story, however alike.
pub const WINDOW_SECS: i64 = 14 * 86_400;

/// Words that say nothing of which story it is.
const STOP: &[&str] = &[
    "a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "has", "have", "how", "i", "in", "is", "it", "its",
    "of", "on", "or", "our", "that", "the", "this", "to", "was", "we", "what", "why", "with", "you", "your", "show",
    "ask", "hn",
];

/// A title's word or word pair, hashed to what a comparison needs: 32 bits make a false match
/// between two titles' dozen shingles about one in ten million, at half the memory of the 64
/// the bands are made of (the grouping keeps tens of thousands of titles' shingles). A word with
/// a digit in it (a number: "17", "50m", "v2") has its lowest bit set, every other shingle has it
/// clear, so that [`similarity`] sees which numbers a title names. Shingles are worked out from
/// titles whenever they are needed and never stored: how they are made may change.
pub type Shingle = u32;

/// What story matching knows of a mention: its canonical link's key and the bands of its words.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoryKeys {
    pub link: Option<i64>,
    pub bands: Option<[i64; BANDS]>,
    /// The title's words and word pairs ([`shingles`]), to compare with candidates.
    pub shingles: Vec<Shingle>,
}

impl StoryKeys {
    /// The keys of a mention: `links_to` is the page it is about (its own link for an article).
    pub fn of(links_to: Option<&str>, title: Option<&str>) -> StoryKeys {
        let (shingles, pairs) = shingles_and_pairs(title);
        let bands = bands(&pairs);
        StoryKeys {
            link: links_to.and_then(link_key),
            shingles: if bands.is_some() { shingles } else { Vec::new() },
            bands,
        }
    }

    /// Every key, each in its own range (a link's key never equals a band's).
    pub fn all(&self) -> Vec<i64> {
        let mut keys: Vec<i64> = self.link.into_iter().collect();
        if let Some(b) = self.bands {
            keys.extend(b);
        }
        keys
    }
}

/// The key of a link's canonical form: the first eight bytes of its SHA-256, its lowest bit set
/// (bands' keys have it clear).
pub fn link_key(url: &str) -> Option<i64> {
    let c = crate::text::canonical(url)?;
    let d = Sha256::digest(c.as_bytes());
    Some(i64::from_be_bytes(d[..8].try_into().expect("eight bytes")) | 1)
}

/// The words and word pairs of a title, without a `| Site` tail: folded as the search folds
/// words, without the words that say nothing; each hashed, sorted, once each. Pairs keep the
/// order that makes a title; words forgive a rewording ("as it moves support" / "as support
/// moves").
pub fn shingles(title: Option<&str>) -> Vec<Shingle> {
    shingles_and_pairs(title).0
}

/// [`shingles`], and the pairs alone (what the bands are made of: a brand's name, in every
/// title, would make every title a candidate of every other if words were banded too).
fn shingles_and_pairs(title: Option<&str>) -> (Vec<Shingle>, Vec<u64>) {
    let title = title
        .map(|t| t.rsplit_once(" | ").map_or(t, |(head, _)| head))
        .unwrap_or("");
    let words: Vec<_> = crate::query::expr::word_slices(title)
        .into_iter()
        .filter(|w| !STOP.contains(&&**w))
        .collect();
    let mut pairs: Vec<u64> = words
        .windows(2)
        .map(|w| fnv1a(w[1].as_bytes(), fnv1a(b" ", fnv1a(w[0].as_bytes(), FNV_OFFSET))))
        .collect();
    pairs.sort_unstable();
    pairs.dedup();
    let folded = |h: u64| (h ^ (h >> 32)) as Shingle;
    let mut all: Vec<Shingle> = pairs
        .iter()
        .map(|&h| folded(h) & !1)
        .chain(words.iter().map(|w| {
            let h = folded(fnv1a(w.as_bytes(), FNV_OFFSET));
            if w.bytes().any(|b| b.is_ascii_digit()) {
                h | 1
            } else {
                h & !1
            }
        }))
        .collect();
    all.sort_unstable();
    all.dedup();
    (all, pairs)
}

/// The MinHash bands of a set of word pairs, or `None` when there are too few to compare.
pub fn bands(pairs: &[u64]) -> Option<[i64; BANDS]> {
    if pairs.len() < MIN_PAIRS {
        return None;
    }
    let mut mins = [u64::MAX; BANDS * ROWS];
    for &p in pairs {
        for (i, m) in mins.iter_mut().enumerate() {
            *m = (*m).min(mix(p ^ SEEDS[i]));
        }
    }
    let mut out = [0i64; BANDS];
    for (b, o) in out.iter_mut().enumerate() {
        let mut h = FNV_OFFSET ^ b as u64;
        for r in 0..ROWS {
            h = fnv1a(&mins[b * ROWS + r].to_le_bytes(), h);
        }
        // The lowest bit clear: a band's key is never a link's.
        *o = (h & !1) as i64;
    }
    Some(out)
}

/// The Jaccard similarity of two titles' sorted sets of words and word pairs ([`shingles`]); 0
/// when both name numbers and not the same ones.
pub fn similarity(a: &[Shingle], b: &[Shingle]) -> f64 {
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    let is_number = |s: &Shingle| s & 1 == 1;
    let (mut i, mut j, mut both) = (0, 0, 0usize);
    // A number one title names and the other does not.
    let mut unshared_number = false;
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => {
                unshared_number |= is_number(&a[i]);
                i += 1;
            }
            std::cmp::Ordering::Greater => {
                unshared_number |= is_number(&b[j]);
                j += 1;
            }
            std::cmp::Ordering::Equal => {
                both += 1;
                i += 1;
                j += 1;
            }
        }
    }
    unshared_number |= a[i..].iter().chain(&b[j..]).any(is_number);
    if unshared_number && a.iter().any(is_number) && b.iter().any(is_number) {
        return 0.0;
    }
    both as f64 / (a.len() + b.len() - both) as f64
}

// Stored keys must not change between versions: a hash written here, not a library's default
// hasher (whose output may change with its version).
const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

fn fnv1a(bytes: &[u8], mut h: u64) -> u64 {
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(FNV_PRIME);
    }
    h
}

/// SplitMix64's finaliser: spreads a hash, so each seed gives an independent permutation.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

const SEEDS: [u64; BANDS * ROWS] = [
    0x9e37_79b9_7f4a_7c15,
    0x3c6e_f372_fe94_f82a,
    0xdaa6_6d2c_7ddf_743f,
    0x78dd_e6e5_fd29_f054,
    0x1715_609f_7c74_6c69,
    0xb54c_da59_fbbe_e87e,
    0x5384_5413_7b09_6493,
    0xf1bb_cdcd_fa53_e0a8,
];

#[cfg(test)]
mod tests {
    use super::*;

    fn sim(a: &str, b: &str) -> f64 {
        similarity(&shingles(Some(a)), &shingles(Some(b)))
    }

    #[test]
    fn the_same_title_elsewhere_is_alike_and_another_story_is_not() {
        let t = "Acme raises $50M to fix its billing system for good";
        assert!(sim(t, &format!("{t} | TechNews Daily")) >= DEFAULT_SIMILARITY);
        assert!(sim(t, &format!("Show HN: {t}")) >= DEFAULT_SIMILARITY);
        assert!(sim(t, "Acme raises $50M to fix the billing system for good") >= DEFAULT_SIMILARITY);
        assert!(sim(t, "Acme's billing system is down again, support says") < 0.3);
        assert_eq!(sim(t, t), 1.0);
    }

    #[test]
    fn titles_naming_other_numbers_are_other_stories() {
        // A feed's numbered items, a series' parts, versions, years: alike words, other stories.
        assert_eq!(sim("Feed 0 item 1", "Feed 0 item 0"), 0.0);
        assert_eq!(sim("Acme billing outage, part 1", "Acme billing outage, part 2"), 0.0);
        assert_eq!(
            sim(
                "Acme app crashes on iOS 17 after update",
                "Acme app crashes on iOS 18 after update"
            ),
            0.0
        );
        assert_eq!(
            sim("Acme raises $50M to fix billing", "Acme raises $60M to fix billing"),
            0.0
        );
        // The same numbers, or numbers on one side only, are compared as words.
        let t = "Acme app crashes on iOS 17 after update";
        assert!(sim(t, &format!("{t} | Daily")) >= DEFAULT_SIMILARITY);
        assert!(sim(t, "Acme app crashes on iOS after update") >= DEFAULT_SIMILARITY);
        // Numbers are told apart by their lowest bit, and only words with a digit have it set.
        let s = shingles(Some("Acme 2026 roadmap leaks early"));
        assert_eq!(s.iter().filter(|s| *s & 1 == 1).count(), 1);
    }

    #[test]
    fn alike_titles_share_a_band_and_short_ones_have_none() {
        let a = StoryKeys::of(None, Some("Acme raises $50M to fix its billing system for good"));
        let b = StoryKeys::of(None, Some("Acme raises $50M to fix its billing system for good | Blog"));
        let (ab, bb) = (a.bands.unwrap(), b.bands.unwrap());
        assert!(ab.iter().any(|k| bb.contains(k)));
        assert!(ab.iter().all(|k| k & 1 == 0));
        assert_eq!(StoryKeys::of(None, Some("Acme down")).bands, None);
    }

    #[test]
    fn a_link_key_is_its_canonical_links_and_never_a_bands() {
        let a = link_key("https://blog.example.com/a?utm_source=x").unwrap();
        assert_eq!(Some(a), link_key("http://www.blog.example.com/a/"));
        assert_eq!(a & 1, 1);
        assert_ne!(Some(a), link_key("https://blog.example.com/b"));
        assert_eq!(link_key("not a link"), None);
    }
}
