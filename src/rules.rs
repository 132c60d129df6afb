//! Include/exclude rules, evaluated locally on a mention's title, text and author so that every
//! source gets the same precision.
//!
//! Each configured string holds whitespace-separated terms and `"quoted phrases"`. Matching is
//! case-insensitive (Unicode lowercase) and on word boundaries: the characters just before and
//! after a match must not be alphanumeric, so `acme` matches "Acme's new", "#acme" and "ACME!"
//! but not "acmeology". A phrase matches its words separated by any run of white space. Each
//! field is searched on its own, so a phrase never matches across fields.

/// A configured include/exclude string that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RulesError {
    #[error("{list} {input:?}: unbalanced quote: a \"quoted phrase\" needs a closing '\"'")]
    UnbalancedQuote {
        /// `include` or `exclude`.
        list: &'static str,
        /// The string as configured.
        input: String,
    },
}

/// One term: a word, or the words of a phrase joined by single spaces; lowercase.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Term(String);

/// Compiled include/exclude rules.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rules {
    include: Vec<Term>,
    exclude: Vec<Term>,
}

impl Rules {
    /// Read the configured `include` and `exclude` strings. An empty list (or one with only
    /// blank strings) means no rule on that side.
    pub fn new(include: &[String], exclude: &[String]) -> Result<Rules, RulesError> {
        Ok(Rules {
            include: parse_terms("include", include)?,
            exclude: parse_terms("exclude", exclude)?,
        })
    }

    /// True when no rule is set: everything is allowed.
    pub fn is_empty(&self) -> bool {
        self.include.is_empty() && self.exclude.is_empty()
    }

    /// True when (there is no include term, or one of them matches) and no exclude term matches,
    /// in the title, the text or the author.
    pub fn allows(&self, title: &str, text: &str, author: &str) -> bool {
        if self.is_empty() {
            return true;
        }
        let fields = [normalize(title), normalize(text), normalize(author)];
        let any_match = |terms: &[Term]| {
            terms
                .iter()
                .any(|t| fields.iter().any(|f| matches_at_word_boundary(f, &t.0)))
        };
        (self.include.is_empty() || any_match(&self.include)) && !any_match(&self.exclude)
    }
}

/// Split each string into terms: words separated by white space, and `"quoted phrases"`. A quote
/// also ends a word it touches (`acme"big deal"` is `acme` and `big deal`).
fn parse_terms(list: &'static str, inputs: &[String]) -> Result<Vec<Term>, RulesError> {
    let mut terms = Vec::new();
    for input in inputs {
        let mut rest = input.as_str();
        loop {
            let (outside, phrase) = match rest.split_once('"') {
                None => (rest, None),
                Some((before, after)) => match after.split_once('"') {
                    Some((phrase, after)) => {
                        rest = after;
                        (before, Some(phrase))
                    }
                    None => {
                        return Err(RulesError::UnbalancedQuote {
                            list,
                            input: input.clone(),
                        });
                    }
                },
            };
            terms.extend(outside.split_whitespace().map(|w| Term(normalize(w))));
            if let Some(phrase) = phrase {
                let words = normalize(phrase);
                if !words.is_empty() {
                    terms.push(Term(words));
                }
            } else {
                break;
            }
        }
    }
    terms.dedup();
    Ok(terms)
}

/// Lowercase (character by character, with final sigma folded into sigma, so that terms and
/// text fold alike whatever their context), with every run of white space made one space.
fn normalize(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for word in s.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.extend(
            word.chars()
                .flat_map(char::to_lowercase)
                .map(|c| if c == 'ς' { 'σ' } else { c }),
        );
    }
    out
}

/// Whether `needle` occurs in `hay` with no alphanumeric character just before or just after.
fn matches_at_word_boundary(hay: &str, needle: &str) -> bool {
    if needle.is_empty() {
        return false;
    }
    let mut from = 0;
    while let Some(off) = hay[from..].find(needle) {
        let at = from + off;
        let end = at + needle.len();
        let before_ok = hay[..at].chars().next_back().is_none_or(|c| !c.is_alphanumeric());
        let after_ok = hay[end..].chars().next().is_none_or(|c| !c.is_alphanumeric());
        if before_ok && after_ok {
            return true;
        }
        // Try again one character further on: matches may overlap.
        from = at + hay[at..].chars().next().map_or(1, char::len_utf8);
    }
    false
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
        let blank = rules(&["", "   "], &["\"\""]);
        assert!(blank.is_empty(), "blank strings and empty phrases are no rule");
    }

    #[test]
    fn include_any_term_matches() {
        let r = rules(&["acme widgets"], &[]);
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
        ] {
            assert!(r.allows(yes, "", ""), "{yes:?} matches");
        }
        for no in ["acmeology", "theacme", "acme2", "2acme", "acmé", "éacme"] {
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
        let r = rules(&["acme \"road runner\" coyote"], &[]);
        assert!(r.allows("coyote", "", ""));
        assert!(r.allows("road runner", "", ""));
        assert!(!r.allows("road", "", ""), "a phrase's words do not match alone");
        let glued = rules(&["acme\"road runner\"coyote"], &[]);
        assert_eq!(glued, r, "a quote ends the word it touches");
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
        assert!(!r.allows("cafe", "", ""));
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
    fn unbalanced_quote_is_an_error_naming_the_string() {
        let err = Rules::new(&["ok".into(), "acme \"road runner".into()], &[]).unwrap_err();
        assert_eq!(
            err,
            RulesError::UnbalancedQuote {
                list: "include",
                input: "acme \"road runner".into()
            }
        );
        let msg = err.to_string();
        assert!(msg.contains("include"), "{msg}");
        assert!(msg.contains("acme \\\"road runner"), "{msg}");
        assert!(msg.contains("unbalanced quote"), "{msg}");

        let err = Rules::new(&[], &["a \"b\" \"c".into()]).unwrap_err();
        assert!(err.to_string().starts_with("exclude"), "{err}");
        assert!(Rules::new(&[], &["\"".into()]).is_err());
    }

    #[test]
    fn punctuation_terms_use_the_same_boundary_rule() {
        let r = rules(&["c++", "#rustlang"], &[]);
        assert!(r.allows("I like C++!", "", ""));
        assert!(r.allows("", "see #RustLang", ""));
        assert!(!r.allows("", "x#rustlang", ""));
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn quotes_are_unbalanced_exactly_when_odd(s in "[a-zA-Z \"é\t]{0,30}") {
                let odd = s.matches('"').count() % 2 == 1;
                prop_assert_eq!(Rules::new(std::slice::from_ref(&s), &[]).is_err(), odd);
            }

            #[test]
            fn a_word_of_the_text_matches_it(
                before in "[ ,.!#(]{0,3}[a-z]{0,5}[ ,.!#(]",
                word in "[a-zA-Zé0-9]{1,8}",
                after in "[ ,.!)'][a-z]{0,5}",
                text in any::<String>(),
            ) {
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
