//! The only road from a feed to the screen. Every string here was written by a stranger.
//!
//! - `sanitize` removes everything that could drive a terminal or corrupt a layout: escape
//!   sequences as whole sequences (CSI, OSC, DCS, SOS, PM, APC, and their 8-bit C1 forms), other
//!   control characters, bidi controls and zero-width/invisible format characters.
//! - `html_to_text` turns feed HTML into readable plain text (paragraphs kept, entities decoded once).
//! - `display_width` / `truncate_to_width` / `pad_to_width` measure terminal cells by grapheme.

use unicode_segmentation::UnicodeSegmentation;
use unicode_width::UnicodeWidthStr;

const ESC: char = '\u{1b}';
const BEL: char = '\u{07}';
/// String Terminator as a C1 character.
const ST_C1: char = '\u{9c}';

/// Characters removed outright (outside escape sequences): bidi controls, zero-width and invisible
/// format characters. Controls (Cc) are handled separately.
fn is_invisible_format(c: char) -> bool {
    matches!(c,
        '\u{00AD}'                  // soft hyphen
        | '\u{061C}'                // Arabic letter mark
        | '\u{115F}' | '\u{1160}'   // Hangul fillers
        | '\u{17B4}' | '\u{17B5}'
        | '\u{180B}'..='\u{180F}'   // Mongolian variation selectors and vowel separator
        | '\u{200B}'..='\u{200F}'   // zero-width space/joiners, LRM, RLM
        | '\u{202A}'..='\u{202E}'   // bidi embeddings and overrides
        | '\u{2060}'..='\u{206F}'   // word joiner, invisible operators, bidi isolates, deprecated formats
        | '\u{3164}'                // Hangul filler
        | '\u{FEFF}'                // zero-width no-break space / BOM
        | '\u{FFA0}'
        | '\u{FFF9}'..='\u{FFFB}'   // interlinear annotations
        | '\u{110BD}' | '\u{110CD}'
        | '\u{1D173}'..='\u{1D17A}' // musical formatting
        | '\u{E0000}'..='\u{E007F}' // tag characters
    )
}

/// True for a character that must never be drawn: any control (newline included) or invisible
/// format character.
pub fn is_forbidden_on_screen(c: char) -> bool {
    c == '\n' || is_forbidden(c)
}

/// True for every character `sanitize` never lets through (newline aside).
pub fn is_forbidden(c: char) -> bool {
    (c.is_control() && c != '\n') || is_invisible_format(c) || c == '\u{2028}' || c == '\u{2029}'
}

/// Remove everything that could drive a terminal or corrupt the layout; keep readable text and
/// line breaks. Idempotent.
pub fn sanitize(s: &str) -> String {
    // Fast path: printable ASCII and newlines need nothing.
    if s.bytes().all(|b| (0x20..0x7f).contains(&b) || b == b'\n') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            ESC => match chars.next() {
                Some('[') => skip_csi(&mut chars),
                Some(']') | Some('P') | Some('X') | Some('^') | Some('_') => skip_string(&mut chars),
                // Two-character sequences (ESC c, ESC 7, ESC ( B …): the next character goes too,
                // and for nF sequences every intermediate byte up to the final one.
                Some(c2) if ('\u{20}'..='\u{2f}').contains(&c2) => {
                    while let Some(&n) = chars.peek() {
                        chars.next();
                        if !('\u{20}'..='\u{2f}').contains(&n) {
                            break;
                        }
                    }
                }
                Some(_) | None => {}
            },
            '\u{9b}' => skip_csi(&mut chars),
            '\u{9d}' | '\u{90}' | '\u{98}' | '\u{9e}' | '\u{9f}' => skip_string(&mut chars),
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                out.push('\n');
            }
            '\t' => out.push(' '),
            '\n' => out.push('\n'),
            '\u{2028}' | '\u{2029}' => out.push('\n'),
            c if c.is_control() || is_invisible_format(c) => {}
            c => out.push(c),
        }
    }
    out
}

/// Skip a CSI sequence's parameter and intermediate bytes and its final byte.
fn skip_csi(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    for c in chars.by_ref() {
        if ('\u{40}'..='\u{7e}').contains(&c) {
            return;
        }
        // Anything outside the sequence's grammar ends it too (and is dropped with it).
        if !('\u{20}'..='\u{3f}').contains(&c) {
            return;
        }
    }
}

/// Skip a control string (OSC, DCS, SOS, PM, APC) up to and including its terminator: BEL, ST
/// (ESC \ or U+009C). Unterminated, it runs to the end of the text.
fn skip_string(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    while let Some(c) = chars.next() {
        match c {
            BEL | ST_C1 => return,
            ESC => {
                if chars.peek() == Some(&'\\') {
                    chars.next();
                }
                return;
            }
            _ => {}
        }
    }
}

/// `sanitize` for one line: line breaks and runs of white space become one space, trimmed.
pub fn sanitize_line(s: &str) -> String {
    let clean = sanitize(s);
    let mut out = String::with_capacity(clean.len());
    for word in clean.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// Feed HTML to readable plain text: tags removed, entities decoded once, paragraphs and line
/// breaks kept (one blank line between paragraphs at most), links keep their text, no markup
/// added, no wrapping; then sanitised.
pub fn html_to_text(html: &str) -> String {
    // Without any markup or entity there is nothing to convert.
    if !html.contains(['<', '&']) {
        return tidy(&sanitize(html));
    }
    // Escape sequences go as whole sequences before the HTML parser sees (and half-drops) them.
    let html = sanitize(html);
    let rendered = html2text::config::with_decorator(html2text::render::TrivialDecorator::new())
        .allow_width_overflow()
        .raw_mode(true)
        .no_link_wrapping()
        .string_from_read(html.as_bytes(), 100_000)
        .unwrap_or_else(|_| html.to_string());
    tidy(&sanitize(&rendered))
}

/// Trim every line's end, drop leading and trailing blank lines, keep at most one blank line.
fn tidy(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut blank = 0;
    for line in s.lines() {
        let line = line.trim_end();
        if line.trim().is_empty() {
            blank += 1;
            continue;
        }
        if !out.is_empty() {
            out.push_str(if blank > 0 { "\n\n" } else { "\n" });
        }
        blank = 0;
        out.push_str(line);
    }
    out
}

/// Inline markup (Google Alerts' `<b>` highlighting, say) to one plain line.
pub fn strip_tags_inline(s: &str) -> String {
    sanitize_line(&html_to_text(s))
}

/// Google Alerts and Talkwalker wrap links as `https://www.google.com/url?…&url=<REAL>&…`: the real
/// address, when the link is such a redirect to http(s); otherwise the link unchanged.
pub fn unwrap_redirect(link: &str) -> String {
    let Ok(url) = url::Url::parse(link) else {
        return link.to_string();
    };
    let host = url.host_str().unwrap_or("");
    let google = host == "google.com" || host.starts_with("google.") || host.contains(".google.");
    if !google || url.path() != "/url" {
        return link.to_string();
    }
    url.query_pairs()
        .find(|(k, _)| k == "url" || k == "q")
        .map(|(_, v)| v.into_owned())
        .filter(|v| url::Url::parse(v).is_ok_and(|u| matches!(u.scheme(), "http" | "https")))
        .unwrap_or_else(|| link.to_string())
}

/// Terminal cells taken by `s` (graphemes: wide characters count 2, combining marks 0).
pub fn display_width(s: &str) -> usize {
    s.graphemes(true).map(grapheme_width).sum()
}

fn grapheme_width(g: &str) -> usize {
    // An emoji presentation selector makes the cluster wide whatever its base says.
    if g.contains('\u{FE0F}') {
        return 2;
    }
    g.width().min(2)
}

/// At most `max` cells of `s`, ending in `…` when cut. Never splits a grapheme.
pub fn truncate_to_width(s: &str, max: usize) -> String {
    if display_width(s) <= max {
        return s.to_string();
    }
    if max == 0 {
        return String::new();
    }
    let mut out = String::new();
    let mut used = 0;
    for g in s.graphemes(true) {
        let w = grapheme_width(g);
        if used + w > max - 1 {
            break;
        }
        out.push_str(g);
        used += w;
    }
    out.push('…');
    out
}

/// Exactly `width` cells: truncated, then padded with spaces.
pub fn pad_to_width(s: &str, width: usize) -> String {
    let mut t = truncate_to_width(s, width);
    let w = display_width(&t);
    t.extend(std::iter::repeat_n(' ', width.saturating_sub(w)));
    t
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn escape_sequences_go_as_whole_sequences() {
        assert_eq!(sanitize("a\x1b[31mred\x1b[0m b"), "ared b");
        assert_eq!(sanitize("x\x1b[?1049hy"), "xy");
        assert_eq!(sanitize("title\x1b]0;pwned\x07 ok"), "title ok");
        assert_eq!(sanitize("clip\x1b]52;c;ZXZpbA==\x07board"), "clipboard");
        assert_eq!(
            sanitize("link \x1b]8;;https://evil.example\x1b\\here\x1b]8;;\x1b\\"),
            "link here"
        );
        assert_eq!(sanitize("d\x1bP+q544e\x1b\\cs"), "dcs");
        assert_eq!(sanitize("a\x1b_apc payload\x1b\\b"), "ab");
        assert_eq!(sanitize("a\x1b^pm\x07b\x1bXsos\u{9c}c"), "abc");
        assert_eq!(sanitize("8bit \u{9b}31mcsi \u{9d}0;t\u{9c}osc"), "8bit csi osc");
        assert_eq!(sanitize("reset\x1bc done \x1b(B ok"), "reset done  ok");
        assert_eq!(sanitize("unterminated \x1b]0;forever"), "unterminated ");
        assert_eq!(sanitize("lone esc\x1b"), "lone esc");
    }

    #[test]
    fn controls_bidi_and_invisibles_go_text_stays() {
        assert_eq!(sanitize("a\tb\r\nc\rd\x00e\x7ff\x08g"), "a b\nc\ndefg");
        assert_eq!(sanitize("access \u{202e}\u{2066}level\u{2069}\u{202c}"), "access level");
        assert_eq!(
            sanitize("zero\u{200b}width\u{200d}join\u{feff}\u{2060}"),
            "zerowidthjoin"
        );
        assert_eq!(sanitize("line\u{2028}sep"), "line\nsep");
        assert_eq!(sanitize("soft\u{ad}hyphen"), "softhyphen");
        assert_eq!(sanitize("tags\u{e0041}\u{e007f}"), "tags");
        let kept = "Café 東京 👍🏽 ❤\u{fe0f} e\u{301} שלום";
        assert_eq!(sanitize(kept), kept);
    }

    #[test]
    fn one_line_collapses_white_space() {
        assert_eq!(sanitize_line("  a \n\n b\t\tc \x1b[1m "), "a b c");
    }

    #[test]
    fn html_becomes_readable_text() {
        assert_eq!(html_to_text("<p>a</p><p>b</p>"), "a\n\nb");
        assert_eq!(html_to_text("a<br>b"), "a\nb");
        assert_eq!(
            html_to_text("I&#x27;ve &amp; you&#x2F;me &quot;q&quot; a&nbsp;b"),
            "I've & you/me \"q\" a\u{a0}b"
        );
        assert_eq!(html_to_text("&amp;lt;b&amp;gt;"), "&lt;b&gt;", "entities decoded once");
        assert_eq!(
            html_to_text("see <a href=\"https://x.example/\">the docs</a>."),
            "see the docs."
        );
        assert_eq!(html_to_text("<b>Slack</b> IPO <i>soon</i>"), "Slack IPO soon");
        assert_eq!(html_to_text("<ul><li>one</li><li>two</li></ul>"), "one\ntwo");
        assert_eq!(html_to_text("<script>alert(1)</script><style>p{}</style>ok"), "ok");
        assert_eq!(html_to_text("<p>a</p>\n\n\n<p></p><p>b</p>"), "a\n\nb");
        assert_eq!(html_to_text("plain text, no markup"), "plain text, no markup");
        assert_eq!(
            html_to_text("<code>busy_timeout</code> and <em>WAL</em>"),
            "busy_timeout and WAL"
        );
        assert_eq!(html_to_text("<p>unclosed <b>bold"), "unclosed bold");
        assert_eq!(
            html_to_text("<h1>Title</h1><blockquote>quoted</blockquote>"),
            "Title\n\nquoted"
        );
        let long = "word ".repeat(500);
        assert!(!html_to_text(&format!("<p>{long}</p>")).contains('\n'), "no wrapping");
    }

    #[test]
    fn inline_markup_to_one_line() {
        assert_eq!(
            strip_tags_inline("<b>Slack</b> shares &amp; <b>IPO</b>\nnews"),
            "Slack shares & IPO news"
        );
    }

    #[test]
    fn google_redirects_unwrap_to_the_real_link() {
        let g = "https://www.google.com/url?rct=j&sa=t&url=https://techcrunch.com/2019/07/10/slack-ipo/&ct=ga&cd=CAIyGjE4YjM1ZjY3YTI0MTA0MGY6Y29tOmVuOlVT&usg=AFQjCNFP1";
        assert_eq!(unwrap_redirect(g), "https://techcrunch.com/2019/07/10/slack-ipo/");
        let encoded = "https://www.google.co.uk/url?q=https%3A%2F%2Fexample.com%2Fa%3Fb%3D1%26c%3D2&sa=D";
        assert_eq!(unwrap_redirect(encoded), "https://example.com/a?b=1&c=2");
        let js = "https://www.google.com/url?url=javascript:alert(1)";
        assert_eq!(unwrap_redirect(js), js, "only http(s) targets");
        assert_eq!(
            unwrap_redirect("https://example.com/url?url=https://x.example/"),
            "https://example.com/url?url=https://x.example/"
        );
        assert_eq!(unwrap_redirect("not a url"), "not a url");
    }

    #[test]
    fn widths_by_grapheme() {
        assert_eq!(display_width("abc"), 3);
        assert_eq!(display_width("東京"), 4);
        assert_eq!(display_width("e\u{301}"), 1);
        assert_eq!(display_width("👍🏽"), 2);
        assert_eq!(display_width("👨‍👩‍👧"), 2);
        assert_eq!(truncate_to_width("hello world", 8), "hello w…");
        assert_eq!(truncate_to_width("東京東京", 5), "東京…");
        assert_eq!(truncate_to_width("e\u{301}e\u{301}e\u{301}", 2), "e\u{301}…");
        assert_eq!(truncate_to_width("short", 10), "short");
        assert_eq!(truncate_to_width("x", 0), "");
        assert_eq!(pad_to_width("東", 4), "東  ");
        assert_eq!(display_width(&pad_to_width("東京東京", 5)), 5);
    }

    fn hostile_string() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            Just("\x1b".to_string()),
            Just("\x1b[".to_string()),
            Just("\x1b]".to_string()),
            Just("\x1bP".to_string()),
            Just("\x07".to_string()),
            Just("\\".to_string()),
            Just("\u{9b}".to_string()),
            Just("\u{9c}".to_string()),
            Just("\u{9d}".to_string()),
            Just("\u{202e}".to_string()),
            Just("\u{200b}".to_string()),
            Just("\r".to_string()),
            Just("<p>".to_string()),
            Just("&amp;".to_string()),
            Just("東".to_string()),
            Just("e\u{301}".to_string()),
            "[a-z;0-9\\[\\]]{0,4}",
            any::<char>().prop_map(String::from),
        ];
        prop::collection::vec(piece, 0..40).prop_map(|v| v.concat())
    }

    proptest! {
        #[test]
        fn nothing_forbidden_survives(s in hostile_string()) {
            let out = sanitize(&s);
            prop_assert!(!out.chars().any(is_forbidden), "{:?} -> {:?}", s, out);
            prop_assert_eq!(sanitize(&out), out.clone());
            let line = sanitize_line(&s);
            prop_assert!(!line.contains('\n') && !line.chars().any(is_forbidden));
        }

        #[test]
        fn arbitrary_text_is_safe(s in any::<String>()) {
            let out = sanitize(&s);
            prop_assert!(!out.chars().any(is_forbidden));
            prop_assert_eq!(sanitize(&out), out.clone());
        }

        #[test]
        fn html_never_panics_and_is_safe(s in hostile_string()) {
            let out = html_to_text(&s);
            prop_assert!(!out.chars().any(is_forbidden), "{:?} -> {:?}", s, out);
        }

        #[test]
        fn truncation_fits_and_keeps_graphemes(s in hostile_string(), max in 0usize..30) {
            let clean = sanitize_line(&s);
            let t = truncate_to_width(&clean, max);
            prop_assert!(display_width(&t) <= max);
            let body = t.strip_suffix('…').unwrap_or(&t);
            prop_assert!(clean.starts_with(body));
            let orig: Vec<&str> = clean.graphemes(true).collect();
            let kept: Vec<&str> = body.graphemes(true).collect();
            prop_assert_eq!(&orig[..kept.len()], &kept[..]);
            prop_assert_eq!(display_width(&pad_to_width(&clean, max)), max);
        }
    }
}
