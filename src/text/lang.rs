//! A mention's language, as a two-letter ISO 639-1 code (`en`, `fr`, `zh`): the source's own
//! when it gives one (Mastodon, Bluesky, X, a feed's `<language>`), else detected locally from
//! the words, else unknown.
//!
//! Detection runs for every mention that arrives, so it must cost microseconds: the letters'
//! script decides where one script means one language (Greek, Hebrew, Thai, Korean, Japanese
//! kana, …), and `whichlang` (a linear model over hashed words and letter n-grams, ~1–5 µs a
//! post) chooses among its sixteen languages otherwise: Arabic, Chinese, Dutch, English, French,
//! German, Hindi, Italian, Japanese, Korean, Portuguese, Russian, Spanish, Swedish, Turkish,
//! Vietnamese. `whatlang` knows more languages but took 40–120 µs a post: 10 s more at
//! 200,000 arrivals.

use isolang::Language;

/// Only so much of a mention is read to detect its language: the first words say it, and
/// detection costs in proportion to what it reads.
const DETECT_CHARS: usize = 160;

/// At least this many letters are needed to guess at all: a short post's guess is unknown, not
/// wrong.
const MIN_LETTERS: usize = 12;

/// And this many words, for scripts that put spaces between words.
const MIN_WORDS: usize = 3;

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
    let (script, letters) = dominant_script(&sample);
    if letters < MIN_LETTERS {
        return None;
    }
    match script {
        Script::Only(code) => Some(code),
        Script::Unknown => None,
        Script::Spaced if sample.split_whitespace().count() < MIN_WORDS => None,
        Script::Spaced | Script::Unspaced => normalize(whichlang::detect_language(&sample).three_letter_code()),
    }
}

/// What the letters' script says of the language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Script {
    /// A script only one language (of those a mention is likely in) is written in.
    Only(&'static str),
    /// Latin, Cyrillic, Arabic, Devanagari: the words must decide.
    Spaced,
    /// Han: Chinese, or Japanese without kana.
    Unspaced,
    /// A script the detector knows no language of.
    Unknown,
}

/// The script most of the letters are in, and how many letters there are.
fn dominant_script(s: &str) -> (Script, usize) {
    if s.is_ascii() {
        return (Script::Spaced, s.bytes().filter(u8::is_ascii_alphabetic).count());
    }
    let mut counts: [(Script, usize); 16] = [
        (Script::Spaced, 0),
        (Script::Unspaced, 0),
        (Script::Only("ja"), 0),
        (Script::Only("ko"), 0),
        (Script::Only("el"), 0),
        (Script::Only("he"), 0),
        (Script::Only("th"), 0),
        (Script::Only("ka"), 0),
        (Script::Only("hy"), 0),
        (Script::Only("bn"), 0),
        (Script::Only("ta"), 0),
        (Script::Only("te"), 0),
        (Script::Only("gu"), 0),
        (Script::Only("pa"), 0),
        (Script::Only("km"), 0),
        (Script::Unknown, 0),
    ];
    let mut kana = 0;
    let mut letters = 0;
    for c in s.chars().filter(|c| c.is_alphabetic()) {
        letters += 1;
        let i = match c as u32 {
            // Latin, Cyrillic, Arabic, Devanagari.
            0..=0x024F | 0x1E00..=0x1EFF | 0x0400..=0x052F | 0x0600..=0x06FF | 0x0750..=0x077F | 0x0900..=0x097F => 0,
            0x4E00..=0x9FFF | 0x3400..=0x4DBF | 0xF900..=0xFAFF => 1,
            0x3040..=0x30FF | 0x31F0..=0x31FF | 0xFF66..=0xFF9F => {
                kana += 1;
                2
            }
            0xAC00..=0xD7AF | 0x1100..=0x11FF | 0x3130..=0x318F => 3,
            0x0370..=0x03FF | 0x1F00..=0x1FFF => 4,
            0x0590..=0x05FF => 5,
            0x0E00..=0x0E7F => 6,
            0x10A0..=0x10FF => 7,
            0x0530..=0x058F => 8,
            0x0980..=0x09FF => 9,
            0x0B80..=0x0BFF => 10,
            0x0C00..=0x0C7F => 11,
            0x0A80..=0x0AFF => 12,
            0x0A00..=0x0A7F => 13,
            0x1780..=0x17FF => 14,
            _ => 15,
        };
        counts[i].1 += 1;
    }
    // Japanese mixes kanji with kana: any kana makes Han text Japanese.
    if kana > 0 {
        counts[2].1 += counts[1].1;
        counts[1].1 = 0;
    }
    let best = counts
        .iter()
        .max_by_key(|(_, n)| *n)
        .map_or(Script::Unknown, |(s, _)| *s);
    (best, letters)
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
            ("我在Acme买的东西坏了，客服一直不回电话，非常失望。", "zh"),
            (
                "Acme에서 주문한 물건이 고장 난 채로 도착했어요. 아무도 전화를 안 받아요.",
                "ko",
            ),
            (
                "Η παραγγελία μου από την Acme ήρθε σπασμένη και κανείς δεν απαντά.",
                "el",
            ),
            ("ההזמנה שלי מ-Acme הגיעה שבורה ואף אחד לא עונה לטלפון.", "he"),
            (
                "Mijn bestelling bij Acme kwam kapot aan en niemand neemt de telefoon op.",
                "nl",
            ),
            ("Acme'den siparişim kırık geldi ve kimse telefona cevap vermiyor.", "tr"),
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
        assert_eq!(detect(None, "Acmeproducts"), None, "one long word is not enough");
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
