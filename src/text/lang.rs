//! A mention's language, as a two-letter ISO 639-1 code (`en`, `fr`, `zh`): the source's own
//! when it gives one (Mastodon, Bluesky, X, a feed's `<language>`), else detected locally from
//! the words with `whatlang` (trigrams, 69 languages), else unknown.

use isolang::Language;

/// Only so much of a mention is read to detect its language: the first words say it, and
/// detection costs in proportion to what it reads.
const DETECT_CHARS: usize = 400;

/// Below this confidence a detection is not stored: a short post's guess is unknown, not wrong.
const MIN_CONFIDENCE: f64 = 0.35;

/// At least this many letters are needed to guess at all.
const MIN_LETTERS: usize = 12;

/// The two-letter code of a language named the way a source or a user may name it: `en`,
/// `en-US`, `en_GB`, `eng`, `English`, `english`. `None` when no language has that name.
pub fn normalize(name: &str) -> Option<&'static str> {
    let name = name.trim();
    let base = name.split(['-', '_']).next().unwrap_or(name).to_ascii_lowercase();
    let lang = match base.len() {
        2 => Language::from_639_1(&base),
        3 => macro_language(&base).or_else(|| Language::from_639_3(&base)),
        _ => None,
    }
    .or_else(|| Language::from_name_lowercase(&name.to_lowercase()));
    lang.and_then(|l| l.to_639_1())
}

/// The English name of a two-letter code (`fr` is French).
pub fn name(code: &str) -> Option<&'static str> {
    Language::from_639_1(code).map(|l| l.to_name())
}

/// Chinese and Arabic are macrolanguages: their varieties (`cmn`, `arb`) have no two-letter
/// code of their own, and a user asks for `zh` or `ar`.
fn macro_language(code: &str) -> Option<Language> {
    match code {
        "cmn" | "yue" | "wuu" => Language::from_639_1("zh"),
        "arb" => Language::from_639_1("ar"),
        "pes" => Language::from_639_1("fa"),
        "zsm" => Language::from_639_1("ms"),
        _ => None,
    }
}

/// What a source (X) or the poller says when the language could not be told: not detected again.
pub const UNKNOWN: &str = "und";

/// The language of a mention: the source's code when it names a language, else detected from
/// its title and text when the detection is confident enough.
pub fn of_mention(given: Option<&str>, title: Option<&str>, text: &str) -> Option<&'static str> {
    if given.is_some_and(|g| g.eq_ignore_ascii_case(UNKNOWN)) {
        return None;
    }
    if let Some(code) = given.and_then(normalize) {
        return Some(code);
    }
    detect(title, text)
}

/// Detect the language of what a mention says, or `None` when it says too little to tell.
pub fn detect(title: Option<&str>, text: &str) -> Option<&'static str> {
    let mut sample = String::with_capacity(DETECT_CHARS + 8);
    for part in [title.unwrap_or(""), text] {
        // Links, handles and tags say nothing of the language.
        for word in part.split_whitespace().filter(|w| !is_noise(w)) {
            if sample.len() + word.len() > DETECT_CHARS {
                break;
            }
            sample.push_str(word);
            sample.push(' ');
        }
    }
    if sample.chars().filter(|c| c.is_alphabetic()).count() < MIN_LETTERS {
        return None;
    }
    let info = whatlang::detect(&sample)?;
    if info.confidence() < MIN_CONFIDENCE {
        return None;
    }
    normalize(info.lang().code())
}

fn is_noise(word: &str) -> bool {
    word.starts_with(['@', '#'])
        || word.contains("://")
        || word.starts_with("www.")
        || !word.chars().any(char::is_alphabetic)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn names_a_source_or_a_user_may_use_become_two_letters() {
        for (name, code) in [
            ("en", "en"),
            ("EN", "en"),
            ("en-US", "en"),
            ("pt_BR", "pt"),
            ("eng", "en"),
            ("deu", "de"),
            ("English", "en"),
            ("german", "de"),
            ("cmn", "zh"),
            ("zh-Hant", "zh"),
            ("ja", "ja"),
        ] {
            assert_eq!(normalize(name), Some(code), "{name}");
        }
        assert_eq!(name("fr"), Some("French"));
        assert_eq!(name("xx"), None);
        for nonsense in ["", "x", "zz", "qqq", "klingonese"] {
            assert_eq!(normalize(nonsense), None, "{nonsense:?}");
        }
    }

    #[test]
    fn a_source_code_wins_over_detection() {
        let text = "The package arrived broken and support never answered my emails.";
        assert_eq!(of_mention(Some("fr"), None, text), Some("fr"));
        assert_eq!(of_mention(None, None, text), Some("en"));
        // A code that names nothing is ignored, and the words decide.
        assert_eq!(of_mention(Some("??"), None, text), Some("en"));
        // Undetermined, as X says it and as the poller marks a mention it could not tell.
        assert_eq!(of_mention(Some(UNKNOWN), None, text), None);
    }

    #[test]
    fn detects_the_common_languages_of_mentions() {
        for (text, code) in [
            (
                "My order from Acme arrived broken and nobody answers the phone. Really disappointed.",
                "en",
            ),
            (
                "Ma commande chez Acme est arrivée cassée et personne ne répond au téléphone.",
                "fr",
            ),
            (
                "Meine Bestellung bei Acme kam kaputt an und niemand geht ans Telefon.",
                "de",
            ),
            (
                "Mi pedido de Acme llegó roto y nadie contesta el teléfono. Muy decepcionado.",
                "es",
            ),
            (
                "Il mio ordine da Acme è arrivato rotto e nessuno risponde al telefono.",
                "it",
            ),
            ("Meu pedido da Acme chegou quebrado e ninguém atende o telefone.", "pt"),
            (
                "Мой заказ от Acme пришёл сломанным, и никто не отвечает на звонки.",
                "ru",
            ),
            ("Acmeの注文が壊れて届きました。電話しても誰も出ません。", "ja"),
        ] {
            assert_eq!(detect(None, text), Some(code), "{text}");
        }
    }

    #[test]
    fn too_little_to_tell_is_unknown() {
        assert_eq!(detect(None, ""), None);
        assert_eq!(detect(None, "lol"), None);
        assert_eq!(detect(None, "https://example.com/x @acme #acme 123"), None);
        assert_eq!(detect(Some("ok"), "👍👍"), None);
    }

    #[test]
    fn links_and_handles_do_not_sway_the_guess() {
        let text = "@acme_support @bonjour_team https://example.fr/commande/cassee \
                    thanks for the quick answer, the replacement arrived today";
        assert_eq!(detect(None, text), Some("en"));
    }

    proptest! {
        #[test]
        fn no_input_panics(title in proptest::option::of(".{0,80}"), text in ".{0,600}", given in proptest::option::of(".{0,12}")) {
            let got = of_mention(given.as_deref(), title.as_deref(), &text);
            if let Some(code) = got {
                prop_assert_eq!(code.len(), 2);
            }
        }
    }
}
