//! Bytes to text, the way a browser reads a feed: a byte-order mark first; then the UTF-16/32 and
//! EBCDIC patterns of `<?xml`; then the HTTP charset (RFC 7303: it beats the declaration); then
//! the XML declaration; else UTF-8. Labels are read as WHATWG reads them (encoding_rs), plus the
//! ones feeds use outside it (`windows_1252`, `macroman`, DOS code pages through oem_cp, UTF-32,
//! EBCDIC). A declared UTF-16 or UTF-32 without the bytes to match is ignored (a common producer
//! bug). Invalid bytes become U+FFFD and are counted; nothing is refused for them.

use encoding_rs::Encoding;

/// Text decoded from a feed's bytes, with what was repaired on the way.
pub struct Decoded {
    pub text: String,
    pub notes: Vec<String>,
}

/// How the bytes are written.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Scheme {
    Whatwg(&'static Encoding),
    Utf32Le,
    Utf32Be,
    /// A DOS code page from oem_cp (437, 850, …).
    Oem(&'static [char; 128]),
    Ebcdic(&'static [char; 256]),
}

impl Scheme {
    fn name(self) -> String {
        match self {
            Scheme::Whatwg(e) => e.name().to_string(),
            Scheme::Utf32Le => "UTF-32LE".into(),
            Scheme::Utf32Be => "UTF-32BE".into(),
            Scheme::Oem(_) => "a DOS code page".into(),
            Scheme::Ebcdic(_) => "EBCDIC".into(),
        }
    }
}

/// Decode a feed's bytes; `content_type` is the HTTP header, when there was one.
pub fn decode(body: &[u8], content_type: Option<&str>) -> Decoded {
    let mut notes = Vec::new();
    let (mut scheme, skip, unsaid) = detect(body, content_type, &mut notes);
    let bytes = &body[skip..];
    // Nothing said how the bytes are written and they are not UTF-8 throughout: ask a detector
    // (chardetng, Firefox's), unless the bytes are UTF-8 with a stray bad byte or two.
    if unsaid && std::str::from_utf8(bytes).is_err() {
        let invalid = String::from_utf8_lossy(bytes).matches('\u{fffd}').count();
        let non_ascii = bytes.iter().filter(|b| !b.is_ascii()).count();
        if invalid > 2 && invalid * 3 > non_ascii {
            let mut detector = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
            detector.feed(bytes, true);
            let guess = detector.guess(None, chardetng::Utf8Detection::Deny);
            if guess != encoding_rs::UTF_8 {
                notes.push(format!(
                    "no encoding declared and the bytes are not UTF-8: read as {} (guessed)",
                    guess.name()
                ));
                scheme = Scheme::Whatwg(guess);
            }
        }
    }
    let (text, bad) = match scheme {
        Scheme::Whatwg(enc) => {
            let (text, had_errors) = enc.decode_without_bom_handling(bytes);
            let bad = if had_errors {
                text.matches('\u{fffd}').count()
            } else {
                0
            };
            (text.into_owned(), bad)
        }
        Scheme::Utf32Le | Scheme::Utf32Be => utf32(bytes, scheme == Scheme::Utf32Be),
        Scheme::Oem(table) => (
            bytes
                .iter()
                .map(|&b| {
                    if b < 128 {
                        b as char
                    } else {
                        table[usize::from(b - 128)]
                    }
                })
                .collect(),
            0,
        ),
        Scheme::Ebcdic(table) => (bytes.iter().map(|&b| table[usize::from(b)]).collect(), 0),
    };
    if bad > 0 {
        notes.push(format!(
            "{bad} byte sequence{} not valid {} replaced by \u{fffd}",
            if bad == 1 { "" } else { "s" },
            scheme.name()
        ));
    }
    Decoded { text, notes }
}

/// The scheme, how many bytes of byte-order mark to skip, and whether nothing (no mark, no
/// pattern, no charset, no declaration) said how the bytes are written.
fn detect(body: &[u8], content_type: Option<&str>, notes: &mut Vec<String>) -> (Scheme, usize, bool) {
    match body {
        [0x00, 0x00, 0xFE, 0xFF, ..] => return (Scheme::Utf32Be, 4, false),
        [0xFF, 0xFE, 0x00, 0x00, ..] => return (Scheme::Utf32Le, 4, false),
        [0xEF, 0xBB, 0xBF, ..] => return (Scheme::Whatwg(encoding_rs::UTF_8), 3, false),
        [0xFE, 0xFF, ..] => return (Scheme::Whatwg(encoding_rs::UTF_16BE), 2, false),
        [0xFF, 0xFE, ..] => return (Scheme::Whatwg(encoding_rs::UTF_16LE), 2, false),
        [0x00, 0x00, 0x00, 0x3C, ..] => return (Scheme::Utf32Be, 0, false),
        [0x3C, 0x00, 0x00, 0x00, ..] => return (Scheme::Utf32Le, 0, false),
        [0x00, 0x3C, 0x00, 0x3F, ..] => return (Scheme::Whatwg(encoding_rs::UTF_16BE), 0, false),
        [0x3C, 0x00, 0x3F, 0x00, ..] => return (Scheme::Whatwg(encoding_rs::UTF_16LE), 0, false),
        [0x4C, 0x6F, 0xA7, 0x94, ..] => {
            // `<?xm` in EBCDIC: the declaration, read in EBCDIC, names the code page.
            let head: String = body
                .iter()
                .take(200)
                .map(|&b| super::ebcdic::CP037[usize::from(b)])
                .collect();
            let scheme = declared_label(&head)
                .and_then(|l| scheme_for(&l))
                .filter(|s| matches!(s, Scheme::Ebcdic(_)))
                .unwrap_or(Scheme::Ebcdic(&super::ebcdic::CP037));
            return (scheme, 0, false);
        }
        _ => {}
    }
    let http = content_type.and_then(charset_of);
    if let Some(label) = &http {
        match scheme_for(label) {
            Some(s) if !is_wide(s) => return (s, 0, false),
            Some(_) => {}
            None => notes.push(format!(
                "the server's charset {:?} is unknown; read as the document declares",
                crate::text::sanitize_line(label)
            )),
        }
    }
    let head = String::from_utf8_lossy(&body[..body.len().min(512)]);
    let declared = declared_label(&head);
    if let Some(label) = &declared {
        match scheme_for(label) {
            Some(s) if !is_wide(s) => return (s, 0, false),
            // Declared UTF-16/32 without their bytes: written as UTF-8 by mistake.
            Some(_) => {
                notes.push(format!(
                    "declared {} but the bytes are not: read as UTF-8",
                    crate::text::sanitize_line(label)
                ));
                return (Scheme::Whatwg(encoding_rs::UTF_8), 0, false);
            }
            None => notes.push(format!(
                "the declared encoding {:?} is unknown; read as UTF-8",
                crate::text::sanitize_line(label)
            )),
        }
    }
    (
        Scheme::Whatwg(encoding_rs::UTF_8),
        0,
        http.is_none() && declared.is_none(),
    )
}

/// Whether a scheme needs more than one byte per ASCII character (then the ASCII sniffing that
/// found its label cannot have been right).
fn is_wide(s: Scheme) -> bool {
    matches!(s, Scheme::Utf32Le | Scheme::Utf32Be | Scheme::Ebcdic(_))
        || matches!(s, Scheme::Whatwg(e) if e == encoding_rs::UTF_16BE || e == encoding_rs::UTF_16LE)
}

/// The `charset` parameter of a Content-Type header.
fn charset_of(content_type: &str) -> Option<String> {
    content_type.split(';').skip(1).find_map(|p| {
        let (k, v) = p.split_once('=')?;
        (k.trim().eq_ignore_ascii_case("charset"))
            .then(|| v.trim().trim_matches(['"', '\'']).to_string())
            .filter(|v| !v.is_empty())
    })
}

/// The `encoding` of an XML declaration at the start of `head`.
fn declared_label(head: &str) -> Option<String> {
    let start = head.find("<?xml")?;
    let decl = &head[start..];
    let decl = &decl[..decl.find("?>")?];
    let at = decl.find("encoding")?;
    let rest = decl[at + "encoding".len()..]
        .trim_start()
        .strip_prefix('=')?
        .trim_start();
    let quote = rest.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let value = &rest[1..];
    Some(value[..value.find(quote)?].trim().to_string())
}

/// The scheme a label names, leniently: WHATWG's labels, then the ones feeds use outside it.
fn scheme_for(label: &str) -> Option<Scheme> {
    let l = label.trim().to_ascii_lowercase().replace('_', "-");
    if let Some(e) = Encoding::for_label(l.as_bytes()) {
        // WHATWG maps the "utf-16" label to little-endian; without a BOM the patterns above
        // decided already, so any remaining one is a lie about UTF-8 bytes.
        return Some(Scheme::Whatwg(e));
    }
    let compact: String = l.chars().filter(|c| c.is_ascii_alphanumeric()).collect();
    Some(match compact.as_str() {
        "utf32" | "ucs4" | "utf32le" | "iso10646ucs4" => Scheme::Utf32Le,
        "utf32be" => Scheme::Utf32Be,
        "ucs2" | "csunicode" | "iso10646ucs2" | "unicode" | "utf16" => Scheme::Whatwg(encoding_rs::UTF_16LE),
        "utf8" => Scheme::Whatwg(encoding_rs::UTF_8),
        "windows1252" | "cp1252" | "win1252" => Scheme::Whatwg(encoding_rs::WINDOWS_1252),
        "macroman" | "xmacroman" | "mac" | "macintosh" => Scheme::Whatwg(encoding_rs::MACINTOSH),
        "cp437" | "ibm437" | "437" | "cspc8codepage437" | "dos437" => {
            Scheme::Oem(&oem_cp::code_table::DECODING_TABLE_CP437)
        }
        "cp850" | "ibm850" | "850" | "cspc850multilingual" | "dos850" => {
            Scheme::Oem(&oem_cp::code_table::DECODING_TABLE_CP850)
        }
        "cp852" | "ibm852" | "852" => Scheme::Oem(&oem_cp::code_table::DECODING_TABLE_CP852),
        "cp865" | "ibm865" | "865" => Scheme::Oem(&oem_cp::code_table::DECODING_TABLE_CP865),
        "cp037" | "ibm037" | "ebcdiccpus" | "ebcdiccpca" | "ebcdiccpnl" | "ebcdiccpwt" | "csibm037" | "037" => {
            Scheme::Ebcdic(&super::ebcdic::CP037)
        }
        "cp500" | "ibm500" | "ebcdiccpbe" | "ebcdiccpch" | "csibm500" | "500" => Scheme::Ebcdic(&super::ebcdic::CP500),
        _ => return None,
    })
}

/// UTF-32 to text; invalid code points become U+FFFD and are counted.
fn utf32(bytes: &[u8], big_endian: bool) -> (String, usize) {
    let mut bad = 0;
    let mut out = String::with_capacity(bytes.len() / 4);
    for chunk in bytes.chunks(4) {
        let Ok(quad) = <[u8; 4]>::try_from(chunk) else {
            bad += 1;
            break;
        };
        let n = if big_endian {
            u32::from_be_bytes(quad)
        } else {
            u32::from_le_bytes(quad)
        };
        match char::from_u32(n) {
            Some(c) => out.push(c),
            None => {
                bad += 1;
                out.push('\u{fffd}');
            }
        }
    }
    (out, bad)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_outside_whatwg_are_understood() {
        assert_eq!(
            scheme_for("windows_1252"),
            Some(Scheme::Whatwg(encoding_rs::WINDOWS_1252))
        );
        assert_eq!(scheme_for("macroman"), Some(Scheme::Whatwg(encoding_rs::MACINTOSH)));
        assert!(matches!(scheme_for("IBM850"), Some(Scheme::Oem(_))));
        assert!(matches!(scheme_for("ebcdic-cp-us"), Some(Scheme::Ebcdic(_))));
        assert_eq!(scheme_for("no-such-thing"), None);
    }

    #[test]
    fn the_http_charset_beats_the_declaration_and_a_bom_beats_both() {
        let doc = b"<?xml version=\"1.0\" encoding=\"utf-8\"?><a>\x92</a>";
        assert!(
            decode(doc, Some("application/xml; charset=windows-1252"))
                .text
                .contains('\u{2019}')
        );
        let mut bom = b"\xEF\xBB\xBF".to_vec();
        bom.extend_from_slice("<?xml version=\"1.0\" encoding=\"iso-8859-1\"?><a>é</a>".as_bytes());
        assert!(
            decode(&bom, Some("text/xml; charset=windows-1252"))
                .text
                .contains("<a>é</a>")
        );
    }

    #[test]
    fn an_invalid_byte_is_replaced_and_counted() {
        let d = decode(b"<a>caf\xe9 ok</a>", None);
        assert_eq!(d.text, "<a>caf\u{fffd} ok</a>");
        assert_eq!(d.notes.len(), 1, "{:?}", d.notes);
    }

    #[test]
    fn undeclared_latin1_is_guessed_but_utf8_with_one_bad_byte_is_not() {
        let latin1 = b"<a>Caf\xe9 cr\xe8me br\xfbl\xe9e, na\xefve fa\xe7ade, d\xe9j\xe0 vu</a>";
        let d = decode(latin1, None);
        assert!(d.text.contains("Café crème brûlée"), "{}", d.text);
        assert!(d.notes.iter().any(|n| n.contains("guessed")), "{:?}", d.notes);
        let utf8 = "<a>Naïve café ✓ </a>"
            .as_bytes()
            .iter()
            .copied()
            .chain([0xe9])
            .collect::<Vec<_>>();
        let d = decode(&utf8, None);
        assert!(d.text.contains("Naïve café ✓"), "{}", d.text);
    }

    #[test]
    fn declared_utf16_on_utf8_bytes_is_read_as_utf8() {
        let d = decode("<?xml version=\"1.0\" encoding=\"UTF-16\"?><a>é</a>".as_bytes(), None);
        assert!(d.text.ends_with("<a>é</a>"), "{}", d.text);
    }
}
