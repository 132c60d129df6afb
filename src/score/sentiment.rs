//! Sentiment per mention: VADER (Hutto & Gilbert, ICWSM-14), the rule-based model made for
//! social media, over its own lexicon (`assets/sentiment/`, MIT): each word's valence, raised by
//! boosters ("very", "extremely") and lowered by dampeners ("slightly"), flipped by a negation up
//! to three words before it ("not good", "never disappoints"), raised when written in capitals
//! among lower-case words, a clause after "but" outweighing the one before, "!" and "?" adding
//! emphasis, emoji read as their names. The compound score is in [-1, 1]; ≥ 0.05 is positive,
//! ≤ -0.05 negative. Unlike the published model, it also says which words decided it.

use std::sync::LazyLock;

/// Lookups run for every word of every arrival: a fast hash (the keys are the lexicon's own).
type HashMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::FixedState>;

const LEXICON: &str = include_str!("../../assets/sentiment/vader_lexicon.tsv");
const EMOJI: &str = include_str!("../../assets/sentiment/emoji_lexicon.tsv");
/// overhear's changes for what mentions of a brand say: "support" and "help" name a service, not
/// a feeling; "slow", "outage" and "buggy" are the words of complaints; some emoji mean more than
/// their names say (😡, 🙄, 👎).
const OVERRIDES: &str = include_str!("../../assets/sentiment/overrides.tsv");

/// A booster's or a dampener's share, and a capital's.
const B_INCR: f64 = 0.293;
const C_INCR: f64 = 0.733;
/// What a negation multiplies a valence by.
const N_SCALAR: f64 = -0.74;
/// How a total maps into [-1, 1]: x / sqrt(x² + ALPHA).
const ALPHA: f64 = 15.0;

/// Where a mention's compound score makes it positive or negative.
pub const THRESHOLD: f64 = 0.05;

const NEGATIONS: &[&str] = &[
    "aint",
    "arent",
    "cannot",
    "cant",
    "couldnt",
    "darent",
    "didnt",
    "doesnt",
    "ain't",
    "aren't",
    "can't",
    "couldn't",
    "daren't",
    "didn't",
    "doesn't",
    "dont",
    "hadnt",
    "hasnt",
    "havent",
    "isnt",
    "mightnt",
    "mustnt",
    "neither",
    "don't",
    "hadn't",
    "hasn't",
    "haven't",
    "isn't",
    "mightn't",
    "mustn't",
    "neednt",
    "needn't",
    "never",
    "none",
    "nope",
    "nor",
    "not",
    "nothing",
    "nowhere",
    "oughtnt",
    "shant",
    "shouldnt",
    "uhuh",
    "wasnt",
    "werent",
    "oughtn't",
    "shan't",
    "shouldn't",
    "uh-uh",
    "wasn't",
    "weren't",
    "without",
    "wont",
    "wouldnt",
    "won't",
    "wouldn't",
    "rarely",
    "seldom",
    "despite",
];

const BOOSTERS: &[&str] = &[
    "absolutely",
    "amazingly",
    "awfully",
    "completely",
    "considerable",
    "considerably",
    "decidedly",
    "deeply",
    "effing",
    "enormous",
    "enormously",
    "entirely",
    "especially",
    "exceptional",
    "exceptionally",
    "extreme",
    "extremely",
    "fabulously",
    "flipping",
    "flippin",
    "frackin",
    "fracking",
    "fricking",
    "frickin",
    "frigging",
    "friggin",
    "fully",
    "fuckin",
    "fucking",
    "fuggin",
    "fugging",
    "greatly",
    "hella",
    "highly",
    "hugely",
    "incredible",
    "incredibly",
    "intensely",
    "major",
    "majorly",
    "more",
    "most",
    "particularly",
    "purely",
    "quite",
    "really",
    "remarkably",
    "ridiculously",
    "so",
    "substantially",
    "thoroughly",
    "total",
    "totally",
    "tremendous",
    "tremendously",
    "uber",
    "unbelievably",
    "unusually",
    "utter",
    "utterly",
    "very",
];

const DAMPENERS: &[&str] = &[
    "almost",
    "barely",
    "hardly",
    "kinda",
    "kindof",
    "kind-of",
    "less",
    "little",
    "marginal",
    "marginally",
    "occasional",
    "occasionally",
    "partly",
    "scarce",
    "scarcely",
    "slight",
    "slightly",
    "somewhat",
    "sorta",
    "sortof",
    "sort-of",
];

/// Phrases whose meaning is not their words'.
const IDIOMS: &[(&str, f64)] = &[
    ("the shit", 3.0),
    ("the bomb", 3.0),
    ("bad ass", 1.5),
    ("badass", 1.5),
    ("bus stop", 0.0),
    ("yeah right", -2.0),
    ("kiss of death", -1.5),
    ("to die for", 3.0),
    ("beating heart", 3.1),
    ("broken heart", -2.9),
    ("fed up", -2.0),
    ("top notch", 2.5),
    ("never again", -2.0),
];

struct Model {
    words: HashMap<&'static str, f64>,
    emoji: HashMap<char, &'static str>,
    /// Each idiom's valence.
    idioms: HashMap<&'static str, f64>,
    /// What the lexicon and the word lists say of each word they hold: one look-up a word.
    entries: HashMap<&'static str, Entry>,
}

/// What the lexicon and the word lists say of one word.
#[derive(Debug, Clone, Copy, Default)]
struct Entry {
    valence: Option<f64>,
    /// Its share as a booster (+) or dampener (-), or 0.
    boost: f64,
    negates: bool,
    /// It is a word of some idiom.
    in_idiom: bool,
}

impl Model {
    fn new() -> Model {
        let words: HashMap<&'static str, f64> = LEXICON
            .lines()
            .chain(OVERRIDES.lines())
            .filter_map(|l| {
                let (w, v) = l.split_once('\t')?;
                Some((w, v.trim().parse().ok()?))
            })
            .collect();
        let mut entries: HashMap<&'static str, Entry> = HashMap::default();
        for (w, v) in &words {
            entries.entry(w).or_default().valence = Some(*v);
        }
        let boosts = BOOSTERS.iter().map(|w| (*w, B_INCR));
        for (w, b) in boosts.chain(DAMPENERS.iter().map(|w| (*w, -B_INCR))) {
            entries.entry(w).or_default().boost = b;
        }
        for w in NEGATIONS {
            entries.entry(w).or_default().negates = true;
        }
        for w in IDIOMS.iter().flat_map(|(p, _)| p.split(' ')) {
            entries.entry(w).or_default().in_idiom = true;
        }
        Model {
            words,
            emoji: EMOJI
                .lines()
                .filter_map(|l| {
                    let (e, name) = l.split_once('\t')?;
                    let mut cs = e.chars();
                    let c = cs.next()?;
                    // Single-character emoji only: a sequence is read by its first character.
                    cs.next().is_none().then_some((c, name))
                })
                .collect(),
            idioms: IDIOMS.iter().copied().collect(),
            entries,
        }
    }
}

static MODEL: LazyLock<Model> = LazyLock::new(Model::new);

/// A mention's sentiment.
#[derive(Debug, Clone, PartialEq)]
pub struct Sentiment {
    /// VADER's compound score, in [-1, 1].
    pub score: f64,
    /// The words that weighed most in the direction of the score, as written (with the negation
    /// or booster that changed them: "not good", "VERY disappointed"), strongest first.
    pub because: Vec<String>,
}

/// negative, neutral or positive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, strum::Display, strum::EnumString, strum::AsRefStr)]
#[strum(serialize_all = "lowercase", ascii_case_insensitive)]
pub enum Label {
    Negative,
    Neutral,
    Positive,
}

impl Label {
    /// The score a mention an operator labelled gets: the middle of the label's range.
    pub fn typical(self) -> f64 {
        match self {
            Label::Negative => -0.5,
            Label::Neutral => 0.0,
            Label::Positive => 0.5,
        }
    }

    pub fn of(score: f64) -> Label {
        if score >= THRESHOLD {
            Label::Positive
        } else if score <= -THRESHOLD {
            Label::Negative
        } else {
            Label::Neutral
        }
    }
}

impl Sentiment {
    pub fn label(&self) -> Label {
        Label::of(self.score)
    }
}

/// One token: as written, lower-cased.
struct Token<'a> {
    raw: &'a str,
    /// Lower-cased: borrowed where it already was (most words).
    lower: std::borrow::Cow<'a, str>,
    /// It is a word of some idiom ("fed", "up"): only then is a phrase looked for.
    in_idiom: bool,
    /// It is written in capitals ("TERRIBLE").
    upper: bool,
    /// Its valence in the lexicon, looked up once.
    valence: Option<f64>,
    /// Its share as a booster (+) or dampener (-), or 0.
    boost: f64,
    /// It negates what follows.
    negates: bool,
    /// It ends a sentence or a clause (`.`, `!`, `?`, `;`): no negation or booster reaches past
    /// it ("not helpful. Terrible" is two judgements, where VADER reads "not … terrible").
    ends_clause: bool,
}

/// VADER keeps a token's punctuation only when little else is left (an emoticon: ":)", ":-(").
fn strip_punctuation(t: &str) -> &str {
    let stripped = t.trim_matches(|c: char| c.is_ascii_punctuation());
    if stripped.chars().nth(2).is_none() { t } else { stripped }
}

fn is_upper(s: &str) -> bool {
    if s.is_ascii() {
        let b = s.as_bytes();
        return b.iter().any(u8::is_ascii_uppercase) && !b.iter().any(u8::is_ascii_lowercase);
    }
    s.chars().any(char::is_alphabetic) && !s.chars().any(char::is_lowercase)
}

/// Emoji become their names, where they stand; one with a valence of its own stays itself.
fn spell_emoji<'a>(model: &Model, text: &'a str) -> std::borrow::Cow<'a, str> {
    // Most mentions have none: nothing to copy.
    if text.chars().all(|c| (c as u32) < 0x2000) {
        return text.into();
    }
    let mut spelled = String::with_capacity(text.len());
    for c in text.chars() {
        // Emoji live above the alphabets: most characters need no lookup.
        if (c as u32) < 0x2000 {
            spelled.push(c);
            continue;
        }
        let mut own = [0u8; 4];
        let own: &str = c.encode_utf8(&mut own);
        match model.emoji.get(&c) {
            // An emoji with a valence of its own stands as itself.
            Some(_) if model.words.contains_key(own) => {
                spelled.push(' ');
                spelled.push(c);
                spelled.push(' ');
            }
            Some(name) => {
                spelled.push(' ');
                spelled.push_str(name);
                spelled.push(' ');
            }
            None => spelled.push(c),
        }
    }
    spelled.into()
}

/// The words as VADER sees them, each looked up once.
fn tokenize<'a>(model: &Model, spelled: &'a str) -> Vec<Token<'a>> {
    spelled
        .split_whitespace()
        .map(|w| (strip_punctuation(w), w.ends_with(['.', '!', '?', ';'])))
        .filter(|(t, _)| t.chars().nth(1).is_some() || model.words.contains_key(t))
        .map(|(raw, ends_clause)| {
            let lower: std::borrow::Cow<'_, str> = if raw.is_ascii() {
                if raw.bytes().any(|b| b.is_ascii_uppercase()) {
                    raw.to_ascii_lowercase().into()
                } else {
                    raw.into()
                }
            } else {
                raw.to_lowercase().into()
            };
            let entry = model.entries.get(&*lower).copied().unwrap_or_default();
            Token {
                raw,
                valence: entry.valence,
                boost: entry.boost,
                negates: entry.negates || lower.as_bytes().windows(3).any(|w| w == b"n't"),
                upper: is_upper(raw),
                in_idiom: entry.in_idiom,
                lower,
                ends_clause,
            }
        })
        .collect()
}

/// Score what a mention says (title and text together), with the words that decided it.
pub fn score(text: &str) -> Sentiment {
    judge(text, true)
}

/// Only the compound score of what a mention says: what arrival stores (the words that decided it
/// are worked out again when the detail shows them).
pub fn compound(text: &str) -> f64 {
    judge(text, false).score
}

fn judge(text: &str, explain: bool) -> Sentiment {
    let model = &*MODEL;
    let spelled = spell_emoji(model, text);
    let tokens = tokenize(model, &spelled);
    if tokens.is_empty() {
        return Sentiment {
            score: 0.0,
            because: Vec::new(),
        };
    }
    let capitals = tokens.iter().filter(|t| t.upper).count();
    let cap_diff = capitals > 0 && capitals < tokens.len();
    let mut valences = vec![0.0; tokens.len()];
    // Where each valence's phrase starts (the negation or booster that changed it).
    let mut starts: Vec<usize> = (0..tokens.len()).collect();
    for i in 0..tokens.len() {
        let w = &*tokens[i].lower;
        if tokens[i].boost != 0.0 {
            continue;
        }
        if w == "kind" && tokens.get(i + 1).is_some_and(|n| n.lower == "of") {
            continue;
        }
        let (v, start) = valence(model, &tokens, i, cap_diff);
        valences[i] = v;
        starts[i] = start;
    }
    // "but": what comes after counts more than what came before.
    if let Some(b) = tokens.iter().position(|t| t.lower == "but") {
        for (i, v) in valences.iter_mut().enumerate() {
            if i < b {
                *v *= 0.5;
            } else if i > b {
                *v *= 1.5;
            }
        }
    }
    let mut total: f64 = valences.iter().sum();
    let emphasis = emphasis(text);
    if total > 0.0 {
        total += emphasis;
    } else if total < 0.0 {
        total -= emphasis;
    }
    let score = (total / (total * total + ALPHA).sqrt()).clamp(-1.0, 1.0);
    Sentiment {
        score,
        because: if explain {
            because(&tokens, &valences, &starts, score)
        } else {
            Vec::new()
        },
    }
}

/// The valence of token `i`, and where the phrase that gave it starts.
fn valence(model: &Model, tokens: &[Token<'_>], i: usize, cap_diff: bool) -> (f64, usize) {
    let w = &*tokens[i].lower;
    let Some(base) = tokens[i].valence else {
        return (0.0, i);
    };
    let lower = |k: usize| &*tokens[k].lower;
    let mut v = base;
    let mut start = i;
    // "no" before another sentiment word is a negation, not a word of its own.
    if w == "no" && tokens.get(i + 1).is_some_and(|n| n.valence.is_some()) {
        v = 0.0;
    }
    if (i > 0 && lower(i - 1) == "no")
        || (i > 1 && lower(i - 2) == "no")
        || (i > 2 && lower(i - 3) == "no" && matches!(lower(i - 1), "or" | "nor"))
    {
        v = base * N_SCALAR;
    }
    if cap_diff && tokens[i].upper {
        v += if v > 0.0 { C_INCR } else { -C_INCR };
    }
    for back in 1..=3 {
        if i < back || tokens[i - back].ends_clause {
            break;
        }
        // A word with a sentiment of its own neither boosts nor negates the next.
        if tokens[i - back].valence.is_some() {
            continue;
        }
        let s = boost(&tokens[i - back], v, cap_diff);
        if s != 0.0 {
            start = start.min(i - back);
        }
        v += s * [1.0, 0.95, 0.9][back - 1];
        let (nv, flipped) = negation(tokens, i, back, v);
        if flipped {
            start = start.min(i - back);
        }
        v = nv;
        if back == 3 {
            v = idioms(tokens, i, v);
        }
    }
    // "least" negates, except in "at least" and "very least".
    if i > 0 && lower(i - 1) == "least" && !model.words.contains_key("least") {
        let keeps = i > 1 && matches!(lower(i - 2), "at" | "very");
        if !keeps {
            v *= N_SCALAR;
            start = start.min(i - 1);
        }
    }
    (v, start)
}

/// A booster's or a dampener's share of `v`.
fn boost(t: &Token<'_>, v: f64, cap_diff: bool) -> f64 {
    if t.boost == 0.0 {
        return 0.0;
    }
    let mut s = t.boost;
    if v < 0.0 {
        s = -s;
    }
    if cap_diff && t.upper {
        s += if v > 0.0 { C_INCR } else { -C_INCR };
    }
    s
}

/// A negation `back` words before token `i` ("never so" and "never this" intensify instead;
/// "without doubt" leaves it be). Whether it flipped.
fn negation(tokens: &[Token<'_>], i: usize, back: usize, v: f64) -> (f64, bool) {
    let lower = |k: usize| &*tokens[k].lower;
    let w = lower(i - back);
    let so_this = |k: usize| matches!(lower(k), "so" | "this");
    match back {
        2 if w == "never" && so_this(i - 1) => (v * 1.25, false),
        3 if w == "never" && (so_this(i - 2) || so_this(i - 1)) => (v * 1.25, false),
        2 if w == "without" && lower(i - 1) == "doubt" => (v, false),
        3 if w == "without" && (lower(i - 2) == "doubt" || lower(i - 1) == "doubt") => (v, false),
        _ if tokens[i - back].negates => (v * N_SCALAR, true),
        _ => (v, false),
    }
}

/// Phrases that end at token `i` and mean something of their own.
fn idioms(tokens: &[Token<'_>], i: usize, v: f64) -> f64 {
    // An idiom is two words or more of idioms in a row: most words are in none.
    if !tokens[i.saturating_sub(3)..=i]
        .windows(2)
        .any(|w| w[0].in_idiom && w[1].in_idiom)
    {
        return v;
    }
    let phrase = |from: usize, to: usize| -> String {
        tokens[from..=to]
            .iter()
            .map(|t| &*t.lower)
            .collect::<Vec<_>>()
            .join(" ")
    };
    let mut out = v;
    let candidates = [
        (i >= 1).then(|| phrase(i - 1, i)),
        (i >= 2).then(|| phrase(i - 2, i)),
        (i >= 2).then(|| phrase(i - 2, i - 1)),
        (i >= 3).then(|| phrase(i - 3, i - 1)),
        (i >= 3).then(|| phrase(i - 3, i - 2)),
    ];
    for c in candidates.into_iter().flatten() {
        if let Some(x) = MODEL.idioms.get(c.as_str()) {
            out = *x;
        }
    }
    out
}

/// "!" (up to four) and "?" (two or more) add to a mention's strength.
fn emphasis(text: &str) -> f64 {
    let bangs = text.matches('!').count().min(4) as f64 * 0.292;
    let asks = text.matches('?').count();
    let asks = match asks {
        0 | 1 => 0.0,
        2 | 3 => asks as f64 * 0.18,
        _ => 0.96,
    };
    bangs + asks
}

/// The strongest phrases in the direction of the score, as written, strongest first (at most 3).
fn because(tokens: &[Token<'_>], valences: &[f64], starts: &[usize], score: f64) -> Vec<String> {
    if score.abs() < THRESHOLD {
        return Vec::new();
    }
    let mut parts: Vec<(f64, String)> = valences
        .iter()
        .enumerate()
        .filter(|(_, v)| v.signum() == score.signum() && **v != 0.0)
        .map(|(i, v)| {
            let words: Vec<&str> = tokens[starts[i]..=i].iter().map(|t| t.raw).collect();
            (v.abs(), words.join(" "))
        })
        .collect();
    parts.sort_by(|a, b| b.0.total_cmp(&a.0));
    let mut out: Vec<String> = Vec::new();
    for (_, p) in parts {
        if !out.contains(&p) {
            out.push(p);
        }
        if out.len() == 3 {
            break;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn label(t: &str) -> Label {
        score(t).label()
    }

    #[test]
    fn the_rules_of_vader_hold() {
        assert_eq!(label("The support team was good"), Label::Positive);
        assert_eq!(label("The support team was not good"), Label::Negative);
        assert_eq!(label("not bad at all"), Label::Positive);
        assert_eq!(label("This phone never disappoints"), Label::Positive);
        assert!(score("very good").score > score("good").score, "a booster raises");
        assert!(score("slightly good").score < score("good").score, "a dampener lowers");
        assert!(
            score("The update is GOOD and fast").score > score("The update is good and fast").score,
            "capitals among lower-case words raise"
        );
        assert!(score("good!!!").score > score("good").score, "exclamation marks raise");
        assert_eq!(
            label("The app looks nice but it crashes and I hate it"),
            Label::Negative,
            "what follows but weighs more"
        );
        assert_eq!(label("Love the new update 😍"), Label::Positive, "emoji by their names");
        assert_eq!(label("Acme releases version 4.2 on Tuesday"), Label::Neutral);
        assert_eq!(label(""), Label::Neutral);
    }

    #[test]
    fn it_says_which_words_decided() {
        let s = score("Charged twice and the support is NOT helpful. Terrible service.");
        assert_eq!(s.label(), Label::Negative);
        assert!(s.because.iter().any(|b| b.contains("Terrible")), "{:?}", s.because);
        assert!(s.because.iter().any(|b| b == "NOT helpful"), "{:?}", s.because);
        let s = score("Absolutely love it");
        assert_eq!(s.because, vec!["Absolutely love".to_string()]);
    }

    proptest! {
        #[test]
        fn any_text_scores_within_bounds(t in ".{0,300}") {
            let s = score(&t);
            prop_assert!((-1.0..=1.0).contains(&s.score));
            prop_assert!(s.because.len() <= 3);
        }
    }
}
