//! Telling a credential when one is seen where it does not belong, so that it is hidden from every
//! message, stored error and log line instead of spreading.

/// Whether a value looks like a credential itself: a known token prefix (GitHub, Slack, OpenAI,
/// AWS, Google, GitLab, a JWT), or a long run of mixed letters and digits.
pub fn looks_secret(v: &str) -> bool {
    const PREFIXES: &[&str] = &[
        "ghp_",
        "gho_",
        "ghu_",
        "ghs_",
        "ghr_",
        "github_pat_",
        "sk-",
        "sk_live_",
        "sk_test_",
        "xoxb-",
        "xoxp-",
        "xoxa-",
        "AKIA",
        "ASIA",
        "ya29.",
        "glpat-",
        "AIza",
        "eyJ",
    ];
    let v = v.trim();
    // Real tokens with these prefixes are 20 characters or more: `sk-learn` or `ASIANA` are words.
    if v.len() >= 20 && PREFIXES.iter().any(|p| v.starts_with(p)) {
        return true;
    }
    v.len() >= 24
        && !v.contains(char::is_whitespace)
        && v.chars().any(|c| c.is_ascii_lowercase())
        && v.chars().any(|c| c.is_ascii_uppercase())
        && v.chars().any(|c| c.is_ascii_digit())
}

/// `text` with every word that looks like a credential replaced by `…(hidden)`. Words are split
/// at white space and at quotes, `=`, `,` and `;`, so `token_env = "ghp_…"` and `key=AKIA…` are
/// both caught. A URL is kept (its secret query parameters are hidden elsewhere).
pub fn redact_secrets(text: &str) -> String {
    let is_break = |c: char| c.is_whitespace() || matches!(c, '"' | '\'' | '`' | '=' | ',' | ';' | '(' | ')');
    let mut out = String::with_capacity(text.len());
    let mut word_start = None;
    let flush = |out: &mut String, word: &str| {
        if !word.contains("://") && looks_secret(word) {
            out.push_str("…(hidden)");
        } else {
            out.push_str(word);
        }
    };
    for (i, c) in text.char_indices() {
        if is_break(c) {
            if let Some(s) = word_start.take() {
                flush(&mut out, &text[s..i]);
            }
            out.push(c);
        } else if word_start.is_none() {
            word_start = Some(i);
        }
    }
    if let Some(s) = word_start {
        flush(&mut out, &text[s..]);
    }
    out
}

/// A stranger's message made fit to store, show or log: one line, no escape, no secret.
pub fn clean_message(text: &str) -> String {
    redact_secrets(&super::sanitize_line(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_told_from_words() {
        assert!(looks_secret("ghp_16C7e42F292c6912E7710c838347Ae178B4a"));
        assert!(looks_secret("AKIAIOSFODNN7EXAMPLE"));
        assert!(looks_secret("aB3dE5gH7jK9mN1pQ3sT5vX7z"));
        assert!(!looks_secret("acme"));
        assert!(!looks_secret("sk-"));
        assert!(!looks_secret("the variable GITHUB_TOKEN is not set"));
    }

    #[test]
    fn a_secret_in_a_message_is_hidden_and_the_rest_kept() {
        let m = "the variable \"ghp_16C7e42F292c6912E7710c838347Ae178B4a\" is not set; key=AKIAIOSFODNN7EXAMPLE.";
        let r = redact_secrets(m);
        assert_eq!(r, "the variable \"…(hidden)\" is not set; key=…(hidden)");
        assert_eq!(redact_secrets("HTTP 404 Not Found"), "HTTP 404 Not Found");
        assert_eq!(
            redact_secrets("GET https://example.com/aB3dE5gH7jK9mN1pQ3sT5vX7z failed"),
            "GET https://example.com/aB3dE5gH7jK9mN1pQ3sT5vX7z failed"
        );
    }
}
