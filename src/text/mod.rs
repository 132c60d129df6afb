//! The only road from a feed to the screen. Every string here was written by a stranger.
//!
//! - [`sanitize`] removes everything that could drive a terminal or corrupt a layout: escape
//!   sequences as whole sequences (CSI, OSC, DCS, SOS, PM, APC and their 8-bit C1 forms), every
//!   other control character, bidi controls and zero-width/invisible format characters.
//! - [`html_to_text`] turns feed HTML into readable plain text (paragraphs kept, entities decoded
//!   once, no decoration, no wrapping); [`strip_tags_inline`] does the same for one-line titles.
//! - [`csv_cell`] keeps a stranger's text from running as a spreadsheet formula.
//! - [`unwrap_redirect`] takes the real link out of a Google redirect.
//! - [`display_width`], [`truncate_to_width`] and [`pad_to_width`] measure terminal cells by
//!   grapheme cluster with `unicode-width`, as ratatui does.
//! - [`hex`] writes bytes (a digest) as lower-case hex.

use html2text::render::TrivialDecorator;
use unicode_segmentation::UnicodeSegmentation;
use unicode_width::UnicodeWidthStr;
use url::Url;

mod html;
pub mod lang;
mod links;
mod sanitize;
mod secrets;
mod spreadsheet;
mod width;

pub use html::*;
pub use links::*;
pub use sanitize::*;
pub use secrets::*;
pub use spreadsheet::*;
pub use width::*;

/// `bytes` as lower-case hex, two digits each (a digest's part that names a thing).
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn hex_is_two_lower_case_digits_a_byte() {
        assert_eq!(hex(&[0x00, 0xab, 0x10, 0xff]), "00ab10ff");
        assert_eq!(hex(&[]), "");
    }

    fn assert_clean(s: &str) {
        let chars: Vec<char> = s.chars().collect();
        for (i, &c) in chars.iter().enumerate() {
            // A joiner may stay between two pictures (one emoji), nowhere else.
            let joins = c == '\u{200D}'
                && i > 0
                && chars[i - 1] != '\u{200D}'
                && !chars[i - 1].is_ascii()
                && !chars[i - 1].is_whitespace()
                && chars
                    .get(i + 1)
                    .is_some_and(|n| !n.is_ascii() && !n.is_whitespace() && !is_forbidden(*n));
            if is_forbidden(c) && !joins {
                panic!("forbidden {c:?} in {s:?}");
            }
        }
    }

    #[test]
    fn a_joiner_between_pictures_stays_and_nel_breaks_the_line() {
        assert_eq!(sanitize("\u{1F469}\u{200D}\u{1F52C}"), "\u{1F469}\u{200D}\u{1F52C}");
        assert_eq!(sanitize("a\u{200D}b"), "ab");
        assert_eq!(sanitize("line3\u{85}line4"), "line3\nline4");
        assert_eq!(sanitize_line("line3\u{85}line4"), "line3 line4");
    }

    // --- sanitize: escape sequences -----------------------------------------------------------

    #[test]
    fn csi_colour_codes_go_whole() {
        assert_eq!(sanitize("\x1b[31mred\x1b[0m plain"), "red plain");
        assert_eq!(sanitize("\x1b[38;5;196mX\x1b[m\x1b[1;4;38:2::255:0:0mY"), "XY");
        assert_eq!(sanitize("\x1b[?1049h\x1b[2J\x1b[Hscreen"), "screen");
        assert_eq!(sanitize("\x1b[ q"), "", "intermediate byte then final");
    }

    #[test]
    fn csi_cut_short_by_text_keeps_the_text() {
        // A character outside the CSI grammar ends it; the character is text.
        assert_eq!(sanitize("\x1b[31é"), "é");
        assert_eq!(sanitize("\x1b[31\nnext"), "\nnext");
        assert_eq!(sanitize("\x1b[31"), "");
    }

    #[test]
    fn osc8_hyperlink_keeps_only_its_text() {
        let s = "see \x1b]8;;https://evil.example/\x1b\\click here\x1b]8;;\x1b\\ now";
        assert_eq!(sanitize(s), "see click here now");
        let bel = "\x1b]8;id=1;https://evil.example/\x07link\x1b]8;;\x07";
        assert_eq!(sanitize(bel), "link");
    }

    #[test]
    fn osc52_clipboard_payload_goes() {
        assert_eq!(sanitize("\x1b]52;c;ZXZpbA==\x07after"), "after");
        assert_eq!(sanitize("before\x1b]52;c;ZXZpbA==\x1b\\"), "before");
    }

    #[test]
    fn title_setting_osc_goes() {
        assert_eq!(sanitize("\x1b]0;pwned\x07ok"), "ok");
        assert_eq!(sanitize("\x1b]2;pwned\u{9c}ok"), "ok");
        assert_eq!(sanitize("\u{9d}0;pwned\x07ok"), "ok");
    }

    #[test]
    fn dcs_sos_pm_apc_go_up_to_st() {
        assert_eq!(sanitize("\x1bP1$qm\x1b\\x"), "x");
        assert_eq!(sanitize("\x1bPq#0;2;0;0;0#0!100~\x1b\\sixel"), "sixel");
        assert_eq!(sanitize("a\x1bXsos\x1b\\b\x1b^pm\x1b\\c\x1b_Gapc\x1b\\d"), "abcd");
        // BEL does not end a DCS: it is swallowed with the rest.
        assert_eq!(sanitize("\x1bPdata\x07more\x1b\\x"), "x");
        assert_eq!(
            sanitize("\u{90}dcs\u{9c}a\u{98}sos\u{9c}b\u{9e}pm\u{9c}c\u{9f}apc\u{9c}d"),
            "abcd"
        );
    }

    #[test]
    fn unterminated_strings_swallow_the_rest() {
        assert_eq!(sanitize("a\x1b]52;c;ZXZpbA== and all this"), "a");
        assert_eq!(sanitize("a\x1bP and all this"), "a");
        assert_eq!(sanitize("a\u{9d} and all this"), "a");
    }

    #[test]
    fn esc_inside_a_string_starts_a_new_sequence() {
        assert_eq!(sanitize("\x1b]0;t\x1b[31mX"), "X");
        assert_eq!(sanitize("\x1b]0;t\x1bcX"), "X");
    }

    #[test]
    fn eight_bit_csi() {
        assert_eq!(sanitize("\u{9b}31mred\u{9b}0m"), "red");
        assert_eq!(sanitize("\u{9b}?25l"), "");
    }

    #[test]
    fn other_escape_sequences_and_lone_esc() {
        assert_eq!(sanitize("\x1bcreset"), "reset");
        assert_eq!(sanitize("\x1b7x\x1b8"), "x");
        assert_eq!(sanitize("\x1b(Bx\x1b)0y"), "xy");
        assert_eq!(sanitize("\x1b#8z"), "z");
        assert_eq!(sanitize("\x1b\\st"), "st");
        assert_eq!(sanitize("abc\x1b"), "abc");
        assert_eq!(sanitize("\x1b\x1b[1mx"), "x");
        assert_eq!(sanitize("\x1bé"), "é", "ESC before a non-ASCII character goes alone");
        assert_eq!(sanitize("\x1b\n"), "\n");
    }

    #[test]
    fn other_c1_characters_go_alone() {
        // NEL (U+0085) is a line break (`line3` and `line4` must not run together); the others go.
        assert_eq!(sanitize("a\u{85}b\u{80}c\u{9c}d\u{9a}e"), "a\nbcde");
    }

    // --- sanitize: other characters -----------------------------------------------------------

    #[test]
    fn c0_controls_tab_and_line_ends() {
        assert_eq!(sanitize("a\x00b\x07c\x08d\x0be\x0cf\x7fg"), "abcdefg");
        assert_eq!(sanitize("a\tb"), "a b");
        assert_eq!(sanitize("a\r\nb\rc\nd"), "a\nb\nc\nd");
        assert_eq!(sanitize("a\r\r\nb"), "a\n\nb");
        assert_eq!(sanitize("a\u{2028}b\u{2029}c"), "a\nb\nc");
    }

    #[test]
    fn trojan_source_bidi_controls_go() {
        // CVE-2021-42574 samples.
        let s = "if access_level != \"user\u{202E} \u{2066}// Check if admin\u{2069} \u{2066}\" {";
        assert_eq!(sanitize(s), "if access_level != \"user // Check if admin \" {");
        let s = "/*\u{202E} } \u{2066}if (isAdmin)\u{2069} \u{2066} begin admins only */";
        assert_eq!(sanitize(s), "/* } if (isAdmin)  begin admins only */");
        for c in [
            '\u{061C}', '\u{200E}', '\u{200F}', '\u{202A}', '\u{202B}', '\u{202C}', '\u{202D}', '\u{2067}', '\u{2068}',
        ] {
            assert_eq!(sanitize(&format!("a{c}b")), "ab", "{c:?}");
        }
    }

    #[test]
    fn zero_width_and_invisible_characters_go() {
        assert_eq!(sanitize("pa\u{200B}y\u{200C}p\u{200D}a\u{2060}l\u{FEFF}"), "paypal");
        assert_eq!(sanitize("soft\u{AD}hyphen\u{180E}"), "softhyphen");
        assert_eq!(sanitize("x\u{2061}\u{2062}\u{2063}\u{2064}y"), "xy");
        assert_eq!(sanitize("\u{FFF9}a\u{FFFA}b\u{FFFB}"), "ab");
        assert_eq!(sanitize("\u{600}1\u{1D173}"), "1");
    }

    #[test]
    fn tag_characters_go_variation_selectors_stay() {
        let flag = "🏴\u{E0067}\u{E0062}\u{E0065}\u{E006E}\u{E0067}\u{E007F}";
        assert_eq!(sanitize(flag), "🏴");
        assert_eq!(sanitize("❤\u{FE0F} ☺\u{FE0E}"), "❤\u{FE0F} ☺\u{FE0E}");
    }

    #[test]
    fn readable_text_is_kept() {
        for s in [
            "plain ASCII, with punctuation! ~",
            "日本語のテキスト",
            "e\u{301}le\u{300}ve",
            "Ελληνικά",
            "مرحبا بالعالم",
            "👍🏽🇫🇷",
            "a\n\nb",
            "\u{a0}nbsp",
            "",
        ] {
            assert_eq!(sanitize(s), s);
        }
    }

    #[test]
    fn sanitize_line_collapses() {
        assert_eq!(sanitize_line("  a\n\n b\t\tc \r\n d\u{2028}e  "), "a b c d e");
        assert_eq!(sanitize_line("\x1b[31m title \x1b[0m"), "title");
        assert_eq!(sanitize_line(""), "");
        assert_eq!(sanitize_line("\u{200B}"), "");
    }

    #[test]
    fn newlines_are_forbidden_on_screen_only() {
        assert!(is_forbidden_on_screen('\n'));
        assert!(is_forbidden_on_screen('\x1b'));
        assert!(!is_forbidden_on_screen('a'));
        assert!(sanitize_line("a\nb\x1b[1m").chars().all(|c| !is_forbidden_on_screen(c)));
    }

    #[test]
    fn is_forbidden_classes() {
        for c in [
            '\x00',
            '\x1b',
            '\x7f',
            '\u{80}',
            '\u{9b}',
            '\u{9f}',
            '\r',
            '\t',
            '\u{202E}',
            '\u{200B}',
            '\u{2028}',
            '\u{E0041}',
            '\u{AD}',
        ] {
            assert!(is_forbidden(c), "{c:?}");
        }
        for c in [
            '\n', ' ', 'a', 'é', '日', '\u{FE0F}', '\u{FE0E}', '\u{301}', '\u{a0}', '…',
        ] {
            assert!(!is_forbidden(c), "{c:?}");
        }
    }

    // --- html_to_text -------------------------------------------------------------------------

    #[test]
    fn entities_decode_once() {
        assert_eq!(html_to_text("&amp;lt;"), "&lt;");
        assert_eq!(html_to_text("<p>&amp;lt;b&amp;gt;</p>"), "&lt;b&gt;");
        assert_eq!(
            html_to_text("it&#x27;s a&#x2F;b &quot;q&quot; x&nbsp;y"),
            "it's a/b \"q\" x\u{a0}y"
        );
        assert_eq!(
            html_to_text("<p>it&#x27;s &quot;q&quot;&nbsp;&#x2F;</p>"),
            "it's \"q\"\u{a0}/"
        );
        assert_eq!(html_to_text("&eacute;&hellip;&#8364;&euro;&#128512;"), "é…€€😀");
        assert_eq!(html_to_text("AT&T & co"), "AT&T & co");
    }

    #[test]
    fn paragraphs_and_breaks() {
        assert_eq!(html_to_text("<p>a</p><p>b</p>"), "a\n\nb");
        assert_eq!(html_to_text("a<br>b"), "a\nb");
        assert_eq!(html_to_text("a<br/>b<BR>c"), "a\nb\nc");
        assert_eq!(html_to_text("a<br><br><br><br>b"), "a\n\nb", "at most one blank line");
        assert_eq!(html_to_text("<p>a</p>\n\n\n<p></p><p>b</p>"), "a\n\nb");
        assert_eq!(html_to_text("<div>a<div>b</div>c</div>"), "a\nb\nc");
        assert_eq!(html_to_text("<ul><li>one</li><li>two</li></ul>"), "one\ntwo");
        assert_eq!(html_to_text("  <p>  spaced   out  </p>  "), "spaced out");
    }

    #[test]
    fn no_decoration_no_footnotes() {
        let html = "<h1>Title</h1><p>x <a href='https://x.example/'>the link</a> y</p>\
                    <ul><li>one</li></ul><ol><li>two</li></ol><blockquote>quoted</blockquote>\
                    <p><b>bold</b> <strong>strong</strong> <em>em</em> <i>i</i> <code>code</code> <s>s</s></p>";
        assert_eq!(
            html_to_text(html),
            "Title\n\nx the link y\n\none\n\ntwo\n\nquoted\n\nbold strong em i code s"
        );
    }

    #[test]
    fn tables_and_images() {
        assert_eq!(html_to_text("<table><tr><td>a</td><td>b</td></tr></table>"), "a\nb");
        assert_eq!(
            html_to_text("<img src=x alt=\"A cat\"> text <img src=y>"),
            "text",
            "images go, alt text too"
        );
    }

    #[test]
    fn no_hard_wrapping() {
        let long = "word ".repeat(3000);
        let out = html_to_text(&format!("<p>{long}</p>"));
        assert_eq!(out.lines().count(), 1);
        assert_eq!(out, long.trim_end());
    }

    #[test]
    fn script_and_style_are_dropped() {
        assert_eq!(
            html_to_text("<script>alert('x')</script>visible<style>p { color: red }</style>"),
            "visible"
        );
        assert_eq!(html_to_text("<head><title>T</title></head><body>B</body>"), "B");
    }

    #[test]
    fn plain_text_comes_through() {
        assert_eq!(html_to_text("just text"), "just text");
        assert_eq!(html_to_text("a < b > c, 1 <3 2"), "a < b > c, 1 <3 2");
        assert_eq!(
            html_to_text("Tom &amp; Jerry\n\n\n  indented   spaces\nnext line  "),
            "Tom & Jerry\n\n  indented   spaces\nnext line"
        );
        assert_eq!(html_to_text("line one\nline two"), "line one\nline two");
        assert_eq!(
            html_to_text("x &lt;b&gt; y"),
            "x <b> y",
            "decoded markup is text, not parsed"
        );
        assert_eq!(html_to_text("  \n\n  "), "");
        assert_eq!(html_to_text(""), "");
    }

    #[test]
    fn hacker_news_comment_text() {
        let html = "I agree.<p>But &quot;no&quot; &#x2F; <a href=\"https:&#x2F;&#x2F;example.com\" \
                    rel=\"nofollow\">https:&#x2F;&#x2F;example.com</a><p><i>really</i>";
        assert_eq!(
            html_to_text(html),
            "I agree.\n\nBut \"no\" / https://example.com\n\nreally"
        );
    }

    #[test]
    fn escapes_in_html_go_too() {
        assert_eq!(html_to_text("<p>\x1b]52;c;ZXZpbA==\x07hi \x1b[31mred</p>"), "hi red");
        let encoded = html_to_text("<p>a&#x202e;b&#x200b;c&#7;&#x1b;]0;t&#x7;d&#0;</p>");
        assert_clean(&encoded);
        assert!(encoded.starts_with("abc"), "{encoded:?}");
        assert_eq!(html_to_text("x&#x2028;y"), "x\ny");
    }

    #[test]
    fn broken_html_is_tolerated() {
        assert_eq!(html_to_text("<p>hello <b"), "hello");
        assert_eq!(html_to_text("<a href=\"x"), "");
        assert_eq!(html_to_text("<"), "<");
        assert_eq!(html_to_text("</"), "</");
        assert_eq!(html_to_text("a</b>c</p>"), "ac");
        assert_eq!(html_to_text("<!-- only a comment -->"), "");
        assert_eq!(html_to_text("<p>unclosed<p>paragraphs"), "unclosed\n\nparagraphs");
        assert_eq!(html_to_text("<ol start=9223372036854775807><li>a<li>b</ol>"), "a\nb");
        assert_eq!(html_to_text("<ol start=-9223372036854775808><li>a</ol>"), "a");
        assert_eq!(
            html_to_text("<table><tr><td colspan=0>a<td colspan=99999999 rowspan=0>b</table>"),
            "a\nb"
        );
    }

    /// Inputs that make html5ever's tree builder quadratic, in time and (reopened formatting
    /// elements) in memory, when given to it directly.
    fn pathological() -> Vec<(&'static str, String)> {
        vec![
            (
                "nested divs",
                "<div>".repeat(20_000) + "deep &amp; down" + &"</div>".repeat(20_000),
            ),
            ("nested lists", "<ul><li>".repeat(10_000) + "x"),
            ("nested quotes", "<blockquote><p>a</p>".repeat(10_000)),
            (
                "reopened formatting",
                (0..10_000).map(|i| format!("<p><b id={i}>x</p>")).collect(),
            ),
            ("nested tables", "<table><tr><td>".repeat(5_000) + "x"),
            ("misnested", "<b><i>x</b></i><a><div>y</a>".repeat(5_000)),
        ]
    }

    #[test]
    fn pathological_nesting_takes_linear_time() {
        for (name, html) in pathological() {
            let started = std::time::Instant::now();
            let out = html_to_text(&html);
            assert_clean(&out);
            let took = started.elapsed();
            // Debug build; the same inputs unflattened take minutes or run out of memory.
            assert!(took < std::time::Duration::from_secs(5), "{name}: {took:?}");
        }
        assert_eq!(html_to_text(&pathological()[0].1), "deep & down");
        assert_eq!(html_to_text(&pathological()[1].1), "x");
    }

    #[test]
    fn flattened_html_has_no_nesting() {
        let html = "<div><p>one &amp; <b>two</b></p><ul><li>three<li><a href=x>four</a></ul>\
                    <script>x<y</script>five<br>six<pre>  <code>seven\n  eight</code><pre>x</pre></pre></div>";
        assert_eq!(
            flatten(html, FlattenTo::Html),
            "one &amp; two<br><br>three<br>four<br><br>five<br>six<pre>  seven\n  eight<br><br>x</pre>"
        );
        assert_eq!(
            flatten(html, FlattenTo::Text),
            "one &amp; two\n\nthree\nfour\n\nfive\nsix\n\n  seven\n  eight\n\nx"
        );
        assert_eq!(
            html_to_text(html),
            "one & two\n\nthree\nfour\n\nfive\nsix\n\n  seven\n  eight\n\nx"
        );
    }

    #[test]
    fn dropped_tags_never_join_text() {
        assert_eq!(html_to_text("&am<b>p;"), "&amp;");
        // As in a browser: `&#x3` is U+0003 (then sanitised away), not the start of `&#x3c;`.
        assert_eq!(html_to_text("&#x3<i></i>c;"), "c;");
        assert_eq!(html_to_text("<<b>b>x"), "<b>x");
        assert_eq!(html_to_text("<</pre>a"), "<a", "an unmatched end tag is dropped too");
        assert_eq!(html_to_text("<<!-- c -->a"), "<a");
        assert_eq!(html_to_text("a<span>b</span>c"), "abc");
        assert_eq!(html_to_text("a <span> b </span> c"), "a b c");
    }

    #[test]
    fn tokenizer_reads_tags_like_a_browser() {
        let src = "a<b title=\"x>y\">c</B ><!--<p>--><!x><?pi>< d</>e</ f><!-->f<!--->g<!--h--!>i";
        let toks: Vec<Token> = Tokenizer::new(src).collect();
        assert_eq!(
            toks,
            vec![
                Token::Text("a"),
                Token::Start("b"),
                Token::Text("c"),
                Token::End("B"),
                Token::Ignored,
                Token::Ignored,
                Token::Ignored,
                Token::Text("< d"),
                Token::Ignored,
                Token::Text("e"),
                Token::Ignored,
                Token::Ignored,
                Token::Text("f"),
                Token::Ignored,
                Token::Text("g"),
                Token::Ignored,
                Token::Text("i"),
            ]
        );
        let toks: Vec<Token> = Tokenizer::new("<style>p<b></STYLE>x<script>unterminated <p>").collect();
        assert_eq!(
            toks,
            vec![
                Token::Start("style"),
                Token::Ignored,
                Token::End("STYLE"),
                Token::Text("x"),
                Token::Start("script"),
                Token::Ignored
            ]
        );
        // Quotes open a value only after `=`; `=` starting a name is part of it.
        let toks: Vec<Token> = Tokenizer::new("<a b=x\"y>1<a =\">2<a b = 'c>d'>3<br/>4").collect();
        assert_eq!(
            toks,
            vec![
                Token::Start("a"),
                Token::Text("1"),
                Token::Start("a"),
                Token::Text("2"),
                Token::Start("a"),
                Token::Text("3"),
                Token::Start("br"),
                Token::Text("4"),
            ]
        );
    }

    #[test]
    fn huge_input_is_bounded() {
        let huge = "<p>paragraph &amp; more</p>".repeat(200_000);
        let out = html_to_text(&huge);
        assert_clean(&out);
        assert!(out.len() < MAX_HTML_BYTES);
        assert!(out.starts_with("paragraph & more\n\nparagraph & more"));
        let plain = "é".repeat(MAX_HTML_BYTES);
        let out = html_to_text(&plain);
        assert_eq!(out.len(), MAX_HTML_BYTES, "clipped on a character boundary");
    }

    #[test]
    fn strip_tags_inline_gives_one_line() {
        assert_eq!(
            strip_tags_inline("<b>Slack</b> files for &amp; IPO"),
            "Slack files for & IPO"
        );
        assert_eq!(strip_tags_inline("a<br>b<p>c</p>\n d"), "a b c d");
        assert_eq!(strip_tags_inline("Plain title"), "Plain title");
        assert_eq!(strip_tags_inline("\x1b]0;x\x07T&#x202E;itle"), "Title");
    }

    // --- unwrap_redirect ----------------------------------------------------------------------

    #[test]
    fn google_alerts_redirect_is_unwrapped() {
        let wrapped = "https://www.google.com/url?rct=j&sa=t&url=https://techcrunch.com/2019/07/10/slack-ipo/\
                       &ct=ga&cd=CAIyGjE4YjM1ZjY3YTI0MTA0MGY6Y29tOmVuOlVT&usg=AFQjCNFP1";
        assert_eq!(unwrap_redirect(wrapped), "https://techcrunch.com/2019/07/10/slack-ipo/");
        let encoded = "https://www.google.co.uk/url?sa=U&q=https%3A%2F%2Fexample.com%2Fa%3Fb%3D1%26c%3D2&usg=x";
        assert_eq!(unwrap_redirect(encoded), "https://example.com/a?b=1&c=2");
        assert_eq!(
            unwrap_redirect("http://google.de/url?url=http%3A%2F%2Fexample.de%2F"),
            "http://example.de/"
        );
        assert_eq!(
            unwrap_redirect("https://www.google.com.au/url?q=https://a.example/&url=https://b.example/"),
            "https://b.example/"
        );
        assert_eq!(
            unwrap_redirect("https://WWW.Google.COM/url?url=https://x.example/p"),
            "https://x.example/p"
        );
    }

    #[test]
    fn other_links_are_left_alone() {
        for url in [
            "https://techcrunch.com/2019/07/10/slack-ipo/",
            "https://www.notgoogle.com/url?url=https://x.example/",
            "https://google.evil.example/url?url=https://x.example/",
            "https://www.google.com.evil.example/url?url=https://x.example/",
            "https://google.co.evil/url?url=https://x.example/",
            "https://google.cat.ex/url?url=https://x.example/",
            "https://docs.google.com/url?url=https://x.example/",
            "https://www.google.com/search?q=https://x.example/",
            "https://www.google.com/url?url=javascript:alert(1)",
            "https://www.google.com/url?url=/relative/path",
            "https://www.google.com/url?url=",
            "https://www.google.com/url?sa=t",
            "ftp://www.google.com/url?url=https://x.example/",
            "not a url at all",
            "",
        ] {
            assert_eq!(unwrap_redirect(url), url);
        }
    }

    #[test]
    fn one_article_has_one_canonical_link_whatever_the_way_in() {
        let article = canonical("https://blog.example.com/2026/acme-raises").unwrap();
        for way in [
            "http://blog.example.com/2026/acme-raises/",
            "https://www.blog.example.com/2026/acme-raises?utm_source=twitter&utm_medium=social",
            "https://blog.example.com/2026/acme-raises?fbclid=IwAR3x&ref=hn#comments",
            "https://blog.example.com/2026/acme-raises/amp",
            "https://amp.blog.example.com/2026/acme-raises",
            "https://m.blog.example.com/2026/acme-raises",
            "https://BLOG.example.com/2026/acme-raises",
            "https://www.google.com/url?rct=j&sa=t&url=https://blog.example.com/2026/acme-raises%3Futm_campaign%3Dx&ct=ga",
            "https://l.facebook.com/l.php?u=https%3A%2F%2Fblog.example.com%2F2026%2Facme-raises&h=AT0",
            "https://out.reddit.com/?url=https%3A%2F%2Fblog.example.com%2F2026%2Facme-raises%2F",
        ] {
            assert_eq!(canonical(way).as_deref(), Some(article.as_str()), "{way}");
        }
        assert_eq!(article, "blog.example.com/2026/acme-raises");
        // What says which page stays, sorted.
        assert_eq!(
            canonical("https://shop.example/item?id=7&utm_source=x&color=red").as_deref(),
            Some("shop.example/item?color=red&id=7")
        );
        assert_ne!(
            canonical("https://shop.example/item?id=7"),
            canonical("https://shop.example/item?id=8")
        );
        assert_eq!(canonical("https://example.com/").as_deref(), Some("example.com"));
        // A host that is only `www.` plus a top-level name keeps it.
        assert_eq!(canonical("https://m.com/x").as_deref(), Some("m.com/x"));
        for nothing in ["mailto:a@example.com", "not a link", "", "ftp://example.com/x"] {
            assert_eq!(canonical(nothing), None, "{nothing}");
        }
    }

    // --- widths -------------------------------------------------------------------------------

    #[test]
    fn widths_by_grapheme() {
        assert_eq!(display_width("abc"), 3);
        assert_eq!(display_width(""), 0);
        assert_eq!(display_width("日本語"), 6);
        assert_eq!(display_width("😀"), 2);
        assert_eq!(display_width("e\u{301}"), 1);
        assert_eq!(display_width("a\u{301}\u{302}\u{303}b"), 2);
        assert_eq!(display_width("👍🏽"), 2);
        assert_eq!(display_width("🇫🇷"), 2);
        assert_eq!(display_width("❤\u{FE0F}"), 2);
        assert_eq!(display_width("ｶﾞ"), 2, "halfwidth sound mark takes its own cell");
        assert_eq!(display_width("\u{301}"), 0, "a lone combining mark");
        assert_eq!(display_width("a\nb"), 2);
    }

    #[test]
    fn truncation() {
        assert_eq!(truncate_to_width("abc", 3), "abc");
        assert_eq!(truncate_to_width("abcdef", 3), "ab…");
        assert_eq!(truncate_to_width("abcdef", 1), "…");
        assert_eq!(truncate_to_width("abcdef", 0), "");
        assert_eq!(truncate_to_width("", 0), "");
        assert_eq!(truncate_to_width("日本語", 6), "日本語");
        assert_eq!(truncate_to_width("日本語", 5), "日本…");
        assert_eq!(truncate_to_width("日本語", 4), "日…");
        assert_eq!(truncate_to_width("日本語", 2), "…");
        assert_eq!(truncate_to_width("😀😀😀", 4), "😀…");
        assert_eq!(truncate_to_width("e\u{301}e\u{301}e\u{301}", 2), "e\u{301}…");
        assert_eq!(truncate_to_width("👍🏽👍🏽", 3), "👍🏽…");
    }

    #[test]
    fn padding() {
        assert_eq!(pad_to_width("ab", 4), "ab  ");
        assert_eq!(pad_to_width("日本", 5), "日本 ");
        assert_eq!(pad_to_width("日本語", 5), "日本…");
        assert_eq!(pad_to_width("日本語", 4), "日… ");
        assert_eq!(pad_to_width("e\u{301}", 3), "e\u{301}  ");
        assert_eq!(pad_to_width("abc", 0), "");
    }

    // --- properties ---------------------------------------------------------------------------

    /// Characters that tend to break things.
    fn nasty_char() -> impl Strategy<Value = char> {
        prop_oneof![
            4 => prop::sample::select(vec![
                '\x1b', '\x07', '[', ']', '\\', 'P', 'X', '^', '_', ';', '0', '3', '1', 'm', '?', '(', ' ',
                '\r', '\n', '\t', '\0', '\x7f', '\u{85}', '\u{90}', '\u{98}', '\u{9b}', '\u{9c}', '\u{9d}',
                '\u{9e}', '\u{9f}', '\u{61c}', '\u{200b}', '\u{200c}', '\u{200d}', '\u{200e}', '\u{200f}',
                '\u{202a}', '\u{202e}', '\u{2066}', '\u{2069}', '\u{2060}', '\u{2064}', '\u{feff}', '\u{ad}',
                '\u{180e}', '\u{2028}', '\u{2029}', '\u{fe0f}', '\u{fe0e}', '\u{e0001}', '\u{e0041}', '\u{301}',
                '日', '😀', '\u{1f3fd}', 'é', '<', '>', '&', '#', '"', '\'', '/', '=', '!', '-', 'ｶ', 'ﾞ',
            ]),
            2 => any::<char>(),
            2 => any::<u8>().prop_map(char::from),
            1 => prop::char::range(' ', '~'),
        ]
    }

    fn nasty_string() -> impl Strategy<Value = String> {
        prop::collection::vec(nasty_char(), 0..120).prop_map(|v| v.into_iter().collect())
    }

    /// Tag soup: pieces of markup, entities and nasty characters.
    fn html_soup() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            3 => prop::sample::select(vec![
                "<p>", "</p>", "<br>", "<br/>", "<b>", "</b>", "<a href='https://x.example/'>", "</a>", "<div>",
                "</div>", "<ul>", "<ol start=9223372036854775807>", "<ol start=-5>", "</ol>", "<li>", "</li>",
                "<table>", "<tr>", "<td colspan=0>", "<td colspan=4294967296 rowspan=0>", "<th>", "</table>",
                "<pre>", "</pre>", "<script>", "</script>", "<style>", "</style>", "<!--", "-->", "<![CDATA[",
                "]]>", "<!DOCTYPE html>", "<?xml?>", "&amp;", "&lt;", "&gt;", "&amp;lt;", "&#x1b;", "&#27;",
                "&#0;", "&#x9b;", "&#x202e;", "&#x200b;", "&#xD800;", "&#99999999;", "&nbsp;", "&notit;", "&",
                "<", ">", "\"", "'", "<svg><title>t</title>", "</svg>", "<math><mi>x</mi>", "<img alt='i'>",
                "<img src=x>", "<h1>", "</h1>", "<blockquote>", "</blockquote>", "<dl>", "<dt>", "<dd>", "<sup>",
                "<sub>", "<s>", "<strike>", "<textarea>", "<title>", "<select><option>", "<hr>", "<q>", "<wbr>",
                "<frameset>", "<template>", "<noscript>", "<iframe>", "<body>", "<html>", "<head>", "\n", " ",
                "\t", "<p", "<a href=\"", "</", "<!", "<x-y z>", "<table><caption>c",
            ]).prop_map(str::to_owned),
            2 => nasty_string(),
            1 => "[a-z ]{0,12}",
        ];
        prop::collection::vec(piece, 0..40).prop_map(|v| v.concat())
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

        #[test]
        fn sanitize_output_is_clean_and_idempotent(s in nasty_string()) {
            let once = sanitize(&s);
            assert_clean(&once);
            prop_assert_eq!(sanitize(&once), once.clone());
            prop_assert!(once.len() <= s.len());
        }

        #[test]
        fn sanitize_arbitrary_strings(s in any::<String>()) {
            let once = sanitize(&s);
            assert_clean(&once);
            prop_assert_eq!(sanitize(&once), once);
        }

        #[test]
        fn sanitize_leaves_safe_text_alone(s in "[a-zA-Z0-9 .,!?'\"\n日本語é😀\u{301}\u{fe0f}-]{0,60}") {
            prop_assert_eq!(sanitize(&s), s);
        }

        #[test]
        fn sanitize_line_is_one_clean_line(s in nasty_string()) {
            let line = sanitize_line(&s);
            assert_clean(&line);
            prop_assert!(!line.contains('\n'));
            prop_assert!(!line.contains("  "));
            prop_assert_eq!(line.trim(), line.as_str());
            prop_assert_eq!(sanitize_line(&line), line.clone());
        }

        #[test]
        fn html_to_text_never_panics_and_is_clean(s in html_soup()) {
            let text = html_to_text(&s);
            assert_clean(&text);
            prop_assert!(!text.contains("\n\n\n"));
            prop_assert_eq!(text.trim(), text.as_str());
            let line = strip_tags_inline(&s);
            assert_clean(&line);
            prop_assert!(!line.contains('\n'));
        }

        #[test]
        fn html_to_text_on_nasty_and_arbitrary_strings(s in nasty_string(), t in any::<String>()) {
            assert_clean(&html_to_text(&s));
            assert_clean(&html_to_text(&t));
        }

        #[test]
        fn flattened_soup_has_no_tags_but_br_and_pre(s in html_soup()) {
            let flat = flatten(&sanitize(&s), FlattenTo::Html);
            let mut depth = 0i32;
            for token in Tokenizer::new(&flat) {
                match token {
                    Token::Start("br") => {}
                    Token::Start("pre") => depth += 1,
                    Token::End("pre") => depth -= 1,
                    Token::Start(n) | Token::End(n) => prop_assert!(false, "<{}> in {:?}", n, flat),
                    Token::Text(_) | Token::Ignored => {}
                }
                prop_assert!((0..=1).contains(&depth), "nested pre in {:?}", flat);
            }
            assert_clean(&sanitize(&render_html(&flat).unwrap_or_default()));
            assert_clean(&sanitize(&flatten(&s, FlattenTo::Text)));
        }

        #[test]
        fn unwrap_redirect_never_panics(s in "https?://(www\\.)?google\\.[a-z.]{2,6}/url\\?[a-z=&%:/.0-9]{0,40}") {
            let out = unwrap_redirect(&s);
            prop_assert!(out == s || out.starts_with("http://") || out.starts_with("https://"));
        }

        #[test]
        fn truncation_fits_and_keeps_graphemes_whole(s in nasty_string(), max in 0usize..40) {
            let s = sanitize(&s);
            let out = truncate_to_width(&s, max);
            prop_assert!(display_width(&out) <= max);
            if max == 0 {
                prop_assert!(out.is_empty() || display_width(&s) == 0);
            } else if out != s {
                let kept = out.strip_suffix(ELLIPSIS).expect("a cut string ends with an ellipsis");
                let mut prefix = String::new();
                let mut on_boundary = kept.is_empty();
                for g in s.graphemes(true) {
                    prefix.push_str(g);
                    if prefix == kept {
                        on_boundary = true;
                        break;
                    }
                    if prefix.len() > kept.len() {
                        break;
                    }
                }
                prop_assert!(on_boundary, "{:?} is not a grapheme prefix of {:?}", kept, s);
            }
            let padded = pad_to_width(&s, max);
            prop_assert_eq!(display_width(&padded), max);
        }
    }

    proptest! {
        #[test]
        fn the_plain_renderer_says_what_html2text_says(
            parts in proptest::collection::vec(
                proptest::sample::select(vec![
                    "a", "bc", "é", "😀", " ", "  ", "\n", "\t", "\r\n", "<br>", "<br/>", "<p>", "</p>",
                    "<div>", "</div>", "<b>", "</b>", "<li>", "<span>", "x y", "<!-- c -->", "<a href=\"u\">",
                    "</a>", "<h1>", "</h1>", "<tr><td>", "<img src=x>", ".", "-", "\u{3000}", "\u{2003}",
                ]),
                0..24,
            )
        ) {
            let html: String = parts.concat();
            let clean = sanitize(&html);
            let flat = flatten(&clean, FlattenTo::Html);
            if let Some(fast) = render_plain(&flat) {
                let slow = render_html(&flat).unwrap();
                prop_assert_eq!(tidy_lines(&sanitize(&fast)), tidy_lines(&sanitize(&slow)), "for {:?} (flat {:?})", html, flat);
            }
        }
    }
}
