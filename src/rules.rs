//! A feed's include/exclude rules, in the one query language (`query::expr`), evaluated in memory
//! on each mention as it arrives, so that every source gets the same precision.
//!
//! Each configured string is a query: `acme`, `"big deal"`, `acme OR widget`, `acme -hiring`,
//! `title:acme`, `reach>1000`, `site:example.com`… A mention is kept when any `include` query
//! matches (or there is none) and no `exclude` query does. Words match whole words, whatever
//! their letter case and accents (`acme` finds "Acme's" and "#acme", not "acmeology").

use crate::query::{Candidate, Expr, QueryError};

/// A configured include/exclude string that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{list} {input:?}: {error}")]
pub struct RulesError {
    /// `include` or `exclude`.
    pub list: &'static str,
    /// The string as configured.
    pub input: String,
    pub error: QueryError,
}

/// Compiled include/exclude rules.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rules {
    include: Vec<Expr>,
    exclude: Vec<Expr>,
}

impl Rules {
    /// Read the configured `include` and `exclude` strings. An empty list (or one with only
    /// blank strings) means no rule on that side.
    pub fn new(include: &[String], exclude: &[String]) -> Result<Rules, RulesError> {
        Ok(Rules {
            include: parse("include", include)?,
            exclude: parse("exclude", exclude)?,
        })
    }

    /// True when no rule is set: everything is allowed.
    pub fn is_empty(&self) -> bool {
        self.include.is_empty() && self.exclude.is_empty()
    }

    /// Whether the mention is kept: an include query matches (or there is none) and no exclude
    /// query does.
    pub fn keeps(&self, m: &Candidate<'_>) -> bool {
        (self.include.is_empty() || self.include.iter().any(|q| q.matches(m)))
            && !self.exclude.iter().any(|q| q.matches(m))
    }

    /// [`Rules::keeps`] on words alone: a title, a text and an author.
    pub fn allows(&self, title: &str, text: &str, author: &str) -> bool {
        if self.is_empty() {
            return true;
        }
        self.keeps(&Candidate {
            title: Some(title),
            text,
            author: Some(author),
            ..Candidate::blank()
        })
    }
}

fn parse(list: &'static str, inputs: &[String]) -> Result<Vec<Expr>, RulesError> {
    let now = chrono::Utc::now();
    inputs
        .iter()
        .filter(|s| !s.trim().is_empty())
        .map(|input| {
            Expr::parse(input, now).map_err(|error| RulesError {
                list,
                input: input.clone(),
                error,
            })
        })
        .collect()
}

/// A rule that acts on each new mention as it is stored (`[[rule]]`): when its query matches,
/// its actions run in the same transaction, recorded in the history as `rule:NAME`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub name: String,
    pub when: Expr,
    pub actions: Vec<Action>,
}

/// What a rule does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Tag(String),
    Status(crate::model::Status),
    Assign(Assign),
    /// Raise the named alert (`[[alert]]`).
    Alert(String),
}

/// Whom a rule assigns to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Assign {
    To(String),
    /// In turn among these operators.
    Among(Vec<String>),
    /// In turn among the operators with a console open now (nobody present: left unassigned).
    Present,
}

/// An `[[alert]]`: what raises it, and who hears it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alert {
    pub name: String,
    /// Each new mention this query matches raises it (`None`: only rules that name it do). With
    /// `spike`, it says which mentions are counted instead.
    pub when: Option<Expr>,
    /// Raised when mentions come in faster than usual.
    pub spike: Option<Spike>,
    /// Raised when an unanswered mention has this long left before its first-response target.
    pub sla_before: Option<std::time::Duration>,
    /// The operators who hear it in their console (`None`: everyone).
    pub operators: Option<Vec<String>>,
    /// Ring the terminal's bell.
    pub bell: bool,
    /// A desktop notification through the terminal (OSC 9 and OSC 777).
    pub notify: bool,
    /// Run once per alert by the poller, with the alert as JSON on stdin: argv, never a shell.
    pub command: Option<Vec<String>>,
    /// How long the command may run before it is killed.
    pub timeout: std::time::Duration,
}

/// A spike: the mentions of the last `window` against the median of the windows of the `baseline`
/// before it.
#[derive(Debug, Clone, PartialEq)]
pub struct Spike {
    pub window: std::time::Duration,
    pub baseline: std::time::Duration,
    /// How many times the median the window must reach.
    pub factor: f64,
    /// And at least this many mentions.
    pub min: i64,
}

impl Eq for Spike {}

impl Alert {
    /// Whether each new mention its query matches raises it.
    pub fn per_mention(&self) -> bool {
        self.when.is_some() && self.spike.is_none() && self.sla_before.is_none()
    }

    /// Whether `operator` hears this alert.
    pub fn heard_by(&self, operator: &str) -> bool {
        self.operators.as_ref().is_none_or(|o| o.iter().any(|x| x == operator))
    }
}

impl Rule {
    /// The actor its actions are recorded under.
    pub fn actor(&self) -> String {
        format!("rule:{}", self.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(include: &[&str], exclude: &[&str]) -> Rules {
        let s = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        Rules::new(&s(include), &s(exclude)).expect("valid rules")
    }

    #[test]
    fn no_rules_allow_everything() {
        let r = rules(&[], &[]);
        assert!(r.is_empty());
        assert!(r.allows("", "", ""));
        assert!(r.allows("anything", "at all", "anyone"));
        let blank = rules(&["", "   "], &[]);
        assert!(blank.is_empty(), "blank strings are no rule");
    }

    #[test]
    fn include_any_term_matches() {
        let r = rules(&["acme OR widgets"], &[]);
        assert!(!r.is_empty());
        assert!(r.allows("New Acme release", "", ""));
        assert!(r.allows("", "all about widgets", ""));
        assert!(!r.allows("nothing relevant", "here", "someone"));
    }

    #[test]
    fn several_strings_add_up() {
        let r = rules(&["acme", "\"road runner\""], &[]);
        assert!(r.allows("", "beep beep said the road runner", ""));
        assert!(r.allows("acme", "", ""));
        assert!(!r.allows("road", "runner", ""));
    }

    #[test]
    fn case_insensitive() {
        let r = rules(&["AcMe"], &[]);
        assert!(r.allows("ACME!", "", ""));
        assert!(r.allows("acme", "", ""));
        assert!(r.allows("", "", "Acme Corp"));
    }

    #[test]
    fn word_boundaries() {
        let r = rules(&["acme"], &[]);
        for yes in [
            "Acme's new thing",
            "#acme",
            "ACME!",
            "(acme)",
            "acme",
            "x-acme-y",
            "«acme»",
            "acme_",
            "acmé",
        ] {
            assert!(r.allows(yes, "", ""), "{yes:?} matches");
        }
        for no in ["acmeology", "theacme", "acme2", "2acme", "éacme"] {
            assert!(!r.allows(no, "", ""), "{no:?} does not match");
        }
    }

    #[test]
    fn overlapping_candidates_are_all_tried() {
        let r = rules(&["a-a"], &[]);
        assert!(
            r.allows("ba-a-a", "", ""),
            "the match at 3 counts even though the one at 1 fails"
        );
        let r = rules(&["acme"], &[]);
        assert!(r.allows("acmeacme acme", "", ""));
    }

    #[test]
    fn phrases_match_any_whitespace_run() {
        let r = rules(&["\"Slack  IPO\""], &[]);
        assert!(r.allows("The slack ipo is here", "", ""));
        assert!(r.allows("", "slack\n\t  IPO", ""));
        assert!(r.allows("", "slack\u{a0}ipo", ""), "no-break space is white space");
        assert!(!r.allows("slack's ipo", "", ""));
        assert!(!r.allows("slack ipos", "", ""), "phrases end on word boundaries too");
        assert!(!r.allows("ipo slack", "", ""));
    }

    #[test]
    fn phrases_never_match_across_fields() {
        let r = rules(&["\"slack ipo\""], &[]);
        assert!(!r.allows("all about slack", "ipo news", ""));
        assert!(!r.allows("", "slack", "ipo"));
    }

    #[test]
    fn words_and_phrases_mix_in_one_string() {
        let r = rules(&["acme OR \"road runner\" OR coyote"], &[]);
        assert!(r.allows("coyote", "", ""));
        assert!(r.allows("road runner", "", ""));
        assert!(!r.allows("road", "", ""), "a phrase's words do not match alone");
        let all = rules(&["acme \"road runner\""], &[]);
        assert!(all.allows("acme", "the road runner", ""), "AND is implicit");
        assert!(!all.allows("acme", "", ""));
        assert!(
            Rules::new(&["acme\"road runner\"".into()], &[]).is_err(),
            "a quote glued to a word"
        );
    }

    #[test]
    fn exclude_beats_include() {
        let r = rules(&["acme"], &["hiring", "\"job offer\""]);
        assert!(r.allows("Acme launches rockets", "", ""));
        assert!(!r.allows("Acme is hiring", "", ""));
        assert!(!r.allows("Acme", "a great JOB   offer", ""));
        assert!(!r.allows("Acme", "", "Hiring Bot"));
        assert!(!r.allows("Acme", "rehiring is not hiring-free", ""));
    }

    #[test]
    fn exclude_alone() {
        let r = rules(&[], &["spam"]);
        assert!(!r.is_empty());
        assert!(r.allows("anything", "", ""));
        assert!(!r.allows("SPAM offer", "", ""));
        assert!(r.allows("spammer", "", ""));
    }

    #[test]
    fn non_ascii_terms() {
        let r = rules(&["Café", "\"ÉCOLE normale\""], &[]);
        assert!(r.allows("CAFÉ society", "", ""));
        assert!(r.allows("un café!", "", ""));
        assert!(r.allows("", "l'école   Normale supérieure", ""));
        assert!(!r.allows("cafés", "", ""));
        assert!(r.allows("cafe", "", ""), "accents do not matter, as in search");
        let r = rules(&["ÉCOLE"], &[]);
        assert!(r.allows("École", "", ""));
        assert!(r.allows("ÉCOLE", "", ""));
        let r = rules(&["Straße"], &[]);
        assert!(r.allows("STRAßE", "", ""));
        let r = rules(&["ΟΔΥΣΣΕΥΣ"], &[]);
        assert!(r.allows("Οδυσσευς returns", "", ""), "final sigma folds like sigma");
        assert!(r.allows("ΟΔΥΣΣΕΥΣ!", "", ""));
        let r = rules(&["東京"], &[]);
        assert!(r.allows("", "in 東京 today", ""));
        assert!(!r.allows("", "東京都", ""), "CJK letters are alphanumeric too");
    }

    #[test]
    fn an_unreadable_rule_is_an_error_naming_the_string_and_the_column() {
        let err = Rules::new(&["ok".into(), "acme \"road runner".into()], &[]).unwrap_err();
        assert_eq!(
            (err.list, err.input.as_str(), err.error.column),
            ("include", "acme \"road runner", 6)
        );
        let msg = err.to_string();
        assert!(msg.contains("include"), "{msg}");
        assert!(msg.contains("acme \\\"road runner"), "{msg}");
        assert!(msg.contains("not closed"), "{msg}");
        let err = Rules::new(&[], &["a OR".into()]).unwrap_err();
        assert!(err.to_string().starts_with("exclude"), "{err}");
        assert!(Rules::new(&[], &["\"".into()]).is_err());
    }

    #[test]
    fn punctuation_separates_words_and_a_hash_is_a_tag() {
        let r = rules(&["rustlang"], &[]);
        assert!(r.allows("", "see #RustLang", ""), "a hashtag's word");
        assert!(!r.allows("", "rustlanguage", ""));
        // `#word` is a tag in the query language: nothing has tags when it arrives.
        let r = rules(&["#rustlang"], &[]);
        assert!(!r.allows("", "see #RustLang", ""));
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn an_odd_number_of_quotes_is_always_an_error(s in "[a-zA-Z \"é\t]{0,30}") {
                let odd = s.matches('"').count() % 2 == 1;
                let parsed = Rules::new(std::slice::from_ref(&s), &[]);
                if odd {
                    prop_assert!(parsed.is_err());
                }
            }

            #[test]
            fn a_word_of_the_text_matches_it(
                before in "[ ,.!#(]{0,3}[a-z]{0,5}[ ,.!#(]",
                word in "[a-zA-Zé0-9]{1,8}",
                after in "[ ,.!)'][a-z]{0,5}",
                text in any::<String>(),
            ) {
                // The query language's operators, written in capitals, are not words to match.
                prop_assume!(!matches!(word.as_str(), "OR" | "AND" | "NOT" | "NEAR"));
                let r = Rules::new(std::slice::from_ref(&word), &[]).unwrap();
                let lower = format!("{before}{word}{after}");
                let upper = format!("{before}{}{after}", word.to_uppercase());
                prop_assert!(r.allows("", &lower, ""));
                prop_assert!(r.allows("", &upper, ""));
                // Never panics on arbitrary text.
                let _ = r.allows(&text, &text, &text);
            }
        }
    }
}
