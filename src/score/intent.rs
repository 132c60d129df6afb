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
        Matcher {
            lists: vec![
                (Intent::Complaint, phrases(&terms.complaint)),
                (Intent::Question, phrases(&terms.question)),
                (Intent::Praise, phrases(&terms.praise)),
                (Intent::Purchase, phrases(&terms.purchase)),
                (Intent::Cancel, phrases(&terms.cancel)),
            ],
        }
    }

    /// The intents of what a mention says, given its sentiment score and whether it asks.
    pub fn find(&self, text: &str, sentiment: f64, asks: bool) -> Found {
        let ws = word_slices(text);
        // A phrase can only be there if its first word is (most are not: no scan for them).
        let present: std::collections::HashSet<&str, foldhash::fast::FixedState> = ws.iter().map(|w| &**w).collect();
        let mut found = Found::default();
        for (intent, phrases) in &self.lists {
            if let Some(p) = phrases
                .iter()
                .find(|p| (p.prefix && p.words.len() == 1 || present.contains(p.words[0].as_str())) && holds(p, &ws))
            {
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

fn holds(p: &Phrase, ws: &[std::borrow::Cow<'_, str>]) -> bool {
    let n = p.words.len();
    if n > ws.len() {
        return false;
    }
    (0..=ws.len() - n).any(|i| {
        p.words.iter().enumerate().all(|(k, w)| {
            let x = &ws[i + k];
            if p.prefix && k == n - 1 {
                x.starts_with(w.as_str())
            } else {
                x == w
            }
        })
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
