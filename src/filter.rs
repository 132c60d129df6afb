//! Include/exclude rules, evaluated locally on title, text and author so every source gets the
//! same precision. Terms are case-insensitive whole words; "quoted phrases" match their words
//! separated by any white space.

use std::fmt;

/// One term: a word, or the words of a phrase, lower-cased.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Term(Vec<String>);

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rules {
    include: Vec<Term>,
    exclude: Vec<Term>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterError {
    pub input: String,
    pub problem: String,
}

impl fmt::Display for FilterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} in {:?}", self.problem, self.input)
    }
}

impl std::error::Error for FilterError {}

fn parse_terms(inputs: &[String]) -> Result<Vec<Term>, FilterError> {
    let mut terms = Vec::new();
    for input in inputs {
        let mut rest = input.as_str();
        loop {
            rest = rest.trim_start();
            if rest.is_empty() {
                break;
            }
            if let Some(after) = rest.strip_prefix('"') {
                let Some(end) = after.find('"') else {
                    return Err(FilterError {
                        input: input.clone(),
                        problem: "a quoted phrase is not closed (a \" is missing)".into(),
                    });
                };
                let words: Vec<String> = words(&after[..end]);
                if !words.is_empty() {
                    terms.push(Term(words));
                }
                rest = &after[end + 1..];
            } else {
                let end = rest.find(|c: char| c.is_whitespace() || c == '"').unwrap_or(rest.len());
                let w = words(&rest[..end]);
                if !w.is_empty() {
                    terms.push(Term(w));
                }
                rest = &rest[end..];
            }
        }
    }
    Ok(terms)
}

fn words(s: &str) -> Vec<String> {
    s.split_whitespace().map(str::to_lowercase).collect()
}

/// Letters and digits bind a word, except in scripts written without spaces between words
/// (Chinese, Japanese; Korean attaches particles), where a term may sit inside a run of letters.
fn is_word_char(c: char) -> bool {
    c.is_alphanumeric()
        && !matches!(c,
            '\u{3040}'..='\u{30FF}'       // Hiragana, Katakana
            | '\u{3400}'..='\u{4DBF}'     // CJK extension A
            | '\u{4E00}'..='\u{9FFF}'     // CJK unified ideographs
            | '\u{F900}'..='\u{FAFF}'     // CJK compatibility ideographs
            | '\u{AC00}'..='\u{D7AF}'     // Hangul syllables
            | '\u{20000}'..='\u{2FFFF}') // CJK extensions B and on
}

/// Does `term` occur in `hay` (already lower-cased) on word boundaries?
fn matches(hay: &str, term: &Term) -> bool {
    let first = &term.0[0];
    let mut from = 0;
    while let Some(pos) = hay[from..].find(first.as_str()) {
        let start = from + pos;
        from = start + first.chars().next().map_or(1, char::len_utf8);
        if hay[..start].chars().next_back().is_some_and(is_word_char) && first.chars().next().is_some_and(is_word_char)
        {
            continue;
        }
        let mut end = start + first.len();
        let mut ok = true;
        for word in &term.0[1..] {
            let rest = &hay[end..];
            let trimmed = rest.trim_start();
            if trimmed.len() == rest.len() || !trimmed.starts_with(word.as_str()) {
                ok = false;
                break;
            }
            end += rest.len() - trimmed.len() + word.len();
        }
        if !ok {
            continue;
        }
        let last = term.0.last().expect("terms are never empty");
        if last.chars().next_back().is_some_and(is_word_char) && hay[end..].chars().next().is_some_and(is_word_char) {
            continue;
        }
        return true;
    }
    false
}

impl Rules {
    pub fn new(include: &[String], exclude: &[String]) -> Result<Rules, FilterError> {
        Ok(Rules {
            include: parse_terms(include)?,
            exclude: parse_terms(exclude)?,
        })
    }

    pub fn is_empty(&self) -> bool {
        self.include.is_empty() && self.exclude.is_empty()
    }

    /// Keep an item when (no include term, or any include term matches) and no exclude term
    /// matches. Fields are checked separately, so a phrase never spans two of them.
    pub fn allows(&self, title: &str, text: &str, author: &str) -> bool {
        if self.is_empty() {
            return true;
        }
        let fields = [title.to_lowercase(), text.to_lowercase(), author.to_lowercase()];
        let any = |terms: &[Term]| terms.iter().any(|t| fields.iter().any(|f| matches(f, t)));
        (self.include.is_empty() || any(&self.include)) && !any(&self.exclude)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(inc: &[&str], exc: &[&str]) -> Rules {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        Rules::new(&s(inc), &s(exc)).unwrap()
    }

    #[test]
    fn words_match_case_insensitively_on_boundaries() {
        let r = rules(&["acme"], &[]);
        assert!(r.allows("Acme's new phone", "", ""));
        assert!(r.allows("", "love #acme!", ""));
        assert!(r.allows("", "", "ACME"));
        assert!(r.allows("", "ACME!", ""));
        assert!(!r.allows("acmeology", "notacme", ""));
        assert!(r.allows("acmeology and acme", "", ""), "a later occurrence counts");
    }

    #[test]
    fn phrases_match_across_any_white_space_but_not_across_fields() {
        let r = rules(&["\"acme corp\" widget"], &[]);
        assert!(r.allows("", "ACME   Corp\nrocks", ""));
        assert!(r.allows("a widget", "", ""));
        assert!(!r.allows("acme", "corp", ""));
        assert!(!r.allows("acme corporation", "", ""));
    }

    #[test]
    fn exclude_beats_include_and_empty_rules_allow_all() {
        let r = rules(&["acme"], &["hiring", "\"job offer\""]);
        assert!(!r.allows("Acme is hiring", "", ""));
        assert!(!r.allows("acme", "a JOB  offer", ""));
        assert!(r.allows("acme", "a job; offer", ""));
        assert!(rules(&[], &[]).allows("anything", "", ""));
        assert!(!rules(&[], &["spam"]).allows("", "Spam!", ""));
        assert!(rules(&[], &[]).is_empty());
    }

    #[test]
    fn non_ascii_terms() {
        let r = rules(&["café", "ÉCOLE"], &[]);
        assert!(r.allows("Le CAFÉ du coin", "", ""));
        assert!(r.allows("", "une école", ""));
        assert!(!r.allows("cafés", "", ""));
        // Scripts written without spaces between words match inside runs of letters.
        assert!(rules(&["東京"], &[]).allows("東京タワーに行った", "", ""));
        assert!(rules(&["삼성"], &[]).allows("삼성이 발표했다", "", ""));
    }

    #[test]
    fn an_unbalanced_quote_is_an_error_naming_the_string() {
        let e = Rules::new(&["\"acme corp".to_string()], &[]).unwrap_err();
        assert!(e.to_string().contains("not closed"), "{e}");
        assert!(e.to_string().contains("\\\"acme corp"), "{e}");
    }
}
