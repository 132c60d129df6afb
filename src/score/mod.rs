//! Triage intelligence worked out once per mention as it arrives, on a parser's thread: its
//! sentiment ([`sentiment`], VADER over its lexicon, with the words that decided it) and its
//! intents ([`intent`], term lists and the feeling). Pure functions of what the mention says.

pub mod intent;
pub mod noise;
pub mod priority;
pub mod sentiment;
pub mod story;

pub use intent::{Intent, Intents};
pub use sentiment::{Label, Sentiment};

use std::sync::LazyLock;

/// The scoring a poller runs: the intent lists of its config.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Scorer {
    intents: intent::Matcher,
    /// The priority's weights (`[priority]`).
    pub weights: priority::Weights,
}

/// What scoring says of a mention.
#[derive(Debug, Clone, PartialEq)]
pub struct Scores {
    pub sentiment: Sentiment,
    pub intents: intent::Found,
}

/// Only so much of a mention's text is scored (its title always is).
pub const SCORED_CHARS: usize = 300;

/// The default lists, for writes that come without a poller's scoring (the demo, tests).
pub static DEFAULT: LazyLock<Scorer> = LazyLock::new(Scorer::default);

impl Scorer {
    pub fn new(terms: &intent::Terms) -> Scorer {
        Scorer {
            intents: intent::Matcher::new(terms),
            weights: priority::Weights::default(),
        }
    }

    /// Score a mention's title and text; `asks` is whether it asks a question.
    pub fn score(&self, title: Option<&str>, text: &str, asks: bool) -> Scores {
        let said = said(title, text);
        let sentiment = sentiment::score(&said);
        let intents = self.intents.find(&said, sentiment.score, asks);
        Scores { sentiment, intents }
    }

    /// What arrival stores of [`Scorer::score`]: the sentiment's score and the intents, without
    /// the words that decided them (the detail works those out when it shows them).
    pub fn judge(&self, title: Option<&str>, text: &str, asks: bool) -> (f64, Intents) {
        let said = said(title, text);
        let sentiment = sentiment::compound(&said);
        (sentiment, self.intents.find(&said, sentiment, asks).intents)
    }
}

/// What is scored of a mention: its title and the opening of its text (a long post is judged by
/// its opening, as a reader skimming the stream would).
fn said<'a>(title: Option<&str>, text: &'a str) -> std::borrow::Cow<'a, str> {
    let text = match text.char_indices().nth(SCORED_CHARS) {
        Some((at, _)) => &text[..at],
        None => text,
    };
    match title {
        Some(t) if !t.is_empty() && !text.starts_with(t) => format!("{t}. {text}").into(),
        _ => text.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    /// The labelled set (`tests/fixtures/sentiment/labelled.tsv`): accuracy of the sentiment's
    /// label, and of each intent (present or not), printed, and held to the recorded figures.
    #[test]
    fn accuracy_on_the_labelled_set() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/sentiment");
        let set = std::fs::read_to_string(format!("{dir}/labelled.tsv")).unwrap();
        let floor: HashMap<String, f64> =
            toml::from_str(&std::fs::read_to_string(format!("{dir}/accuracy.toml")).unwrap()).unwrap();
        let mut right: HashMap<String, usize> = HashMap::new();
        let mut n = 0u32;
        let mut wrong = Vec::new();
        for line in set.lines().skip(1).filter(|l| !l.trim().is_empty()) {
            let mut cols = line.splitn(3, '\t');
            let (label, intents, text) = (cols.next().unwrap(), cols.next().unwrap(), cols.next().unwrap());
            n += 1;
            let asks = crate::query::facts::is_question(None, text);
            let s = DEFAULT.score(None, text, asks);
            if s.sentiment.label().to_string() == label {
                *right.entry("sentiment".into()).or_default() += 1;
            } else {
                wrong.push(format!(
                    "{label} as {} ({:.2}): {text}",
                    s.sentiment.label(),
                    s.sentiment.score
                ));
            }
            let expected: Vec<&str> = intents.split(',').filter(|i| *i != "-").collect();
            for i in Intent::ALL {
                let name = i.to_string();
                let said = s.intents.intents.has(*i);
                if said == expected.contains(&name.as_str()) {
                    *right.entry(name).or_default() += 1;
                }
            }
        }
        assert!(n >= 200, "the labelled set has {n} posts");
        let mut failed = Vec::new();
        for what in ["sentiment", "complaint", "question", "praise", "purchase", "cancel"] {
            let acc = right.get(what).copied().unwrap_or(0) as f64 / f64::from(n);
            println!("{what:<10} {:5.1}% of {n}", acc * 100.0);
            if acc + 1e-9 < floor[what] {
                failed.push(format!("{what}: {acc:.3} < {}", floor[what]));
            }
        }
        for w in &wrong {
            println!("  {w}");
        }
        assert!(failed.is_empty(), "accuracy dropped: {failed:?}");
    }
}
