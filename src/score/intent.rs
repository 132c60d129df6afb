//! What a mention's author wants: complaint, question, praise, purchase intent, cancellation
//! risk. From term lists (`assets/intent.toml`, each replaceable in the config's `[intent]`),
//! matched on words as the query language sees them, and from the sentiment and the question
//! mark where words say nothing.

use crate::query::expr::{word_slices, words};
use serde::Deserialize;

const DEFAULTS: &str = include_str!("../../assets/intent.toml");

/// One intent; a mention has any number of them, stored as a bit set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, strum::Display, strum::EnumString, strum::VariantArray)]
#[strum(serialize_all = "lowercase", ascii_case_insensitive)]
pub enum Intent {
    Complaint,
    Question,
    Praise,
    Purchase,
    Cancel,
}

impl Intent {
    pub const ALL: &'static [Intent] = <Intent as strum::VariantArray>::VARIANTS;

    /// Its bit in the stored set.
    pub fn bit(self) -> i64 {
        1 << (self as u32)
    }
}

/// A set of intents, as stored (`mentions.intent`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Intents(pub i64);

impl Intents {
    pub fn has(self, i: Intent) -> bool {
        self.0 & i.bit() != 0
    }

    pub fn with(self, i: Intent) -> Intents {
        Intents(self.0 | i.bit())
    }

    pub fn list(self) -> Vec<Intent> {
        Intent::ALL.iter().copied().filter(|i| self.has(*i)).collect()
    }
}

/// The term lists, one per intent.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Terms {
    #[serde(default)]
    pub complaint: Vec<String>,
    #[serde(default)]
    pub question: Vec<String>,
    #[serde(default)]
    pub praise: Vec<String>,
    #[serde(default)]
    pub purchase: Vec<String>,
    #[serde(default)]
    pub cancel: Vec<String>,
}

impl Default for Terms {
    fn default() -> Terms {
        toml::from_str(DEFAULTS).expect("assets/intent.toml is valid (a test reads it)")
    }
}

/// A term as words; a final `*` matches any ending of the last word.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Phrase {
    words: Vec<String>,
    prefix: bool,
    /// As written, for the reasons.
    text: String,
}

/// The term lists ready to match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Matcher {
    lists: Vec<(Intent, Vec<Phrase>)>,
    /// Each phrase by its first word (`(list, phrase)`), but a lone word's prefix (`quit*`): a
    /// mention's words are each looked up once, whatever the lists hold.
    by_first: std::collections::HashMap<String, Vec<(usize, usize)>, foldhash::fast::FixedState>,
    /// The lone words' prefixes, by their first byte: tried against the words starting with it.
    prefixes: Vec<Vec<(usize, usize)>>,
}

impl Default for Matcher {
    fn default() -> Matcher {
        Matcher::new(&Terms::default())
    }
}

/// A mention's intents and the terms that said so.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Found {
    pub intents: Intents,
    /// `(intent, term as written)`, in the order of the intents.
    pub because: Vec<(Intent, String)>,
}

impl Matcher {
    pub fn new(terms: &Terms) -> Matcher {
        let phrases = |list: &[String]| -> Vec<Phrase> {
            list.iter()
                .filter_map(|t| {
                    let t = t.trim();
                    let (body, prefix) = match t.strip_suffix('*') {
                        Some(b) => (b, true),
                        None => (t, false),
                    };
                    let ws = words(body);
                    (!ws.is_empty()).then(|| Phrase {
                        words: ws,
                        prefix,
                        text: t.to_string(),
                    })
                })
                .collect()
        };
        let lists = vec![
            (Intent::Complaint, phrases(&terms.complaint)),
            (Intent::Question, phrases(&terms.question)),
            (Intent::Praise, phrases(&terms.praise)),
            (Intent::Purchase, phrases(&terms.purchase)),
            (Intent::Cancel, phrases(&terms.cancel)),
        ];
        let mut by_first = std::collections::HashMap::default();
        let mut prefixes = vec![Vec::new(); 256];
        for (l, (_, phrases)) in lists.iter().enumerate() {
            for (p, phrase) in phrases.iter().enumerate() {
                if phrase.prefix && phrase.words.len() == 1 {
                    // A word is never empty (`words` drops empty runs).
                    let first = phrase.words[0].as_bytes()[0];
                    prefixes[usize::from(first)].push((l, p));
                } else {
                    by_first
                        .entry(phrase.words[0].clone())
                        .or_insert_with(Vec::new)
                        .push((l, p));
                }
            }
        }
        Matcher {
            lists,
            by_first,
            prefixes,
        }
    }

    /// Each list's first phrase (in the list's order) that the words hold.
    fn first_held(&self, ws: &[std::borrow::Cow<'_, str>]) -> Vec<Option<usize>> {
        let mut first: Vec<Option<usize>> = vec![None; self.lists.len()];
        let mut held = |l: usize, p: usize| {
            if first[l].is_none_or(|f| p < f) {
                first[l] = Some(p);
            }
        };
        for (i, w) in ws.iter().enumerate() {
            for &(l, p) in self.by_first.get(&**w).into_iter().flatten() {
                if holds_at(&self.lists[l].1[p], ws, i) {
                    held(l, p);
                }
            }
            let stems = w
                .as_bytes()
                .first()
                .map_or(&[][..], |b| &self.prefixes[usize::from(*b)]);
            for &(l, p) in stems {
                if w.starts_with(self.lists[l].1[p].words[0].as_str()) {
                    held(l, p);
                }
            }
        }
        first
    }

    /// The intents of what a mention says, given its sentiment score and whether it asks.
    pub fn find(&self, text: &str, sentiment: f64, asks: bool) -> Found {
        let ws = word_slices(text);
        let mut found = Found::default();
        for ((intent, phrases), first) in self.lists.iter().zip(self.first_held(&ws)) {
            if let Some(p) = first.map(|p| &phrases[p]) {
                found.intents = found.intents.with(*intent);
                found.because.push((*intent, p.text.clone()));
            }
        }
        if asks {
            found.intents = found.intents.with(Intent::Question);
        }
        // Words say nothing, the feeling does: a strongly negative mention of the brand is a
        // complaint, a strongly positive one praise.
        if sentiment <= -0.5 && !found.intents.has(Intent::Praise) {
            found.intents = found.intents.with(Intent::Complaint);
        }
        if sentiment >= 0.5 && !found.intents.has(Intent::Complaint) {
            found.intents = found.intents.with(Intent::Praise);
        }
        // Praise that comes with a complaint's words is the complaint's politeness
        // ("thanks, but it is still broken") when the feeling is not positive.
        if found.intents.has(Intent::Complaint)
            && found.intents.has(Intent::Praise)
            && sentiment < super::sentiment::THRESHOLD
        {
            found.intents = Intents(found.intents.0 & !Intent::Praise.bit());
            found.because.retain(|(i, _)| *i != Intent::Praise);
        }
        found
    }
}

/// Whether the words hold phrase `p` from word `i` on.
fn holds_at(p: &Phrase, ws: &[std::borrow::Cow<'_, str>], i: usize) -> bool {
    let n = p.words.len();
    i + n <= ws.len()
        && p.words.iter().enumerate().all(|(k, w)| {
            let x = &ws[i + k];
            if p.prefix && k == n - 1 {
                x.starts_with(w.as_str())
            } else {
                x == w
            }
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn intents(text: &str) -> Vec<Intent> {
        let s = super::super::sentiment::score(text).score;
        let asks = crate::query::facts::is_question(None, text);
        Matcher::default().find(text, s, asks).intents.list()
    }

    #[test]
    fn the_bits_are_the_ones_stats_splits_by() {
        // `store/stats.rs` names them in SQL.
        let bits: Vec<(String, i64)> = Intent::ALL.iter().map(|i| (i.to_string(), i.bit())).collect();
        assert_eq!(
            bits,
            [
                ("complaint", 1),
                ("question", 2),
                ("praise", 4),
                ("purchase", 8),
                ("cancel", 16)
            ]
            .map(|(n, b)| (n.to_string(), b))
            .to_vec()
        );
    }

    #[test]
    fn the_default_lists_read() {
        let t = Terms::default();
        assert!(t.complaint.len() > 20 && !t.cancel.is_empty() && !t.purchase.is_empty());
    }

    #[test]
    fn intents_from_words_and_feeling() {
        assert_eq!(intents("I was charged twice for one order"), vec![Intent::Complaint]);
        assert_eq!(intents("Does Nimbus support SSO?"), vec![Intent::Question]);
        assert_eq!(intents("Huge thanks to the support team"), vec![Intent::Praise]);
        assert_eq!(
            intents("Looking for a password manager, any recommendations?"),
            vec![Intent::Question, Intent::Purchase]
        );
        assert_eq!(intents("I'm cancelling my subscription"), vec![Intent::Cancel]);
        assert_eq!(intents("Acme releases version 4.2"), Vec::<Intent>::new());
        assert!(intents("Thanks, but it is still broken and nobody answers").contains(&Intent::Complaint));
        assert!(!intents("Thanks, but it is still broken and nobody answers").contains(&Intent::Praise));
    }

    proptest::proptest! {
        /// Each list's term is its first (in the list's order) that the words hold, wherever
        /// it starts: the look-up by first word finds what trying every term would.
        #[test]
        fn the_term_found_is_the_lists_first_that_holds(picks in proptest::collection::vec(0usize..400, 0..40)) {
            let m = Matcher::default();
            let mut vocab: Vec<String> = m.lists.iter().flat_map(|(_, ps)| ps.iter().flat_map(|p| p.words.clone())).collect();
            vocab.extend(["quitting", "cancelled", "the", "acme", "and"].map(String::from));
            let text = picks.iter().map(|i| vocab[i % vocab.len()].as_str()).collect::<Vec<_>>().join(" ");
            let ws = word_slices(&text);
            let expected: Vec<Option<usize>> = m
                .lists
                .iter()
                .map(|(_, ps)| ps.iter().position(|p| (0..ws.len()).any(|i| holds_at(p, &ws, i))))
                .collect();
            proptest::prop_assert_eq!(m.first_held(&ws), expected, "{}", text);
        }
    }

    #[test]
    fn a_config_list_replaces_the_default() {
        let terms = Terms {
            cancel: vec!["quit*".into()],
            ..Terms::default()
        };
        let m = Matcher::new(&terms);
        assert!(m.find("I am quitting Acme", 0.0, false).intents.has(Intent::Cancel));
        assert!(!m.find("I will cancel", 0.0, false).intents.has(Intent::Cancel));
        let f = m.find("I am quitting Acme", 0.0, false);
        assert_eq!(f.because, vec![(Intent::Cancel, "quit*".to_string())]);
    }
}
