//! The only road from a feed to the screen. Every string here was written by a stranger.
//!
//! - [`sanitize`] removes everything that could drive a terminal or corrupt a layout: escape
//!   sequences as whole sequences (CSI, OSC, DCS, SOS, PM, APC and their 8-bit C1 forms), every
//!   other control character, bidi controls and zero-width/invisible format characters.
//! - [`html_to_text`] turns feed HTML into readable plain text (paragraphs kept, entities decoded
//!   once, no decoration, no wrapping); [`strip_tags_inline`] does the same for one-line titles.
//! - [`unwrap_redirect`] takes the real link out of a Google redirect.
//! - [`display_width`], [`truncate_to_width`] and [`pad_to_width`] measure terminal cells by
//!   grapheme cluster with `unicode-width`, as ratatui does.

use html2text::render::TrivialDecorator;
use unicode_segmentation::UnicodeSegmentation;
use unicode_width::UnicodeWidthStr;
use url::Url;

const ESC: char = '\u{1b}';
const BEL: char = '\u{07}';
/// String Terminator in its 8-bit form.
const ST_C1: char = '\u{9c}';
/// What a truncated string ends with; one cell wide.
const ELLIPSIS: char = '…';

/// HTML beyond this many bytes is cut off before parsing: it bounds the time one feed item can
/// take (the text is clipped far below this further on anyway).
const MAX_HTML_BYTES: usize = 1 << 20;
/// Render width for html2text: wider than any line can be, so nothing is ever wrapped, and far
/// enough from `usize::MAX` that its arithmetic cannot overflow.
const RENDER_WIDTH: usize = usize::MAX >> 8;

/// True for the Unicode "Cf" (format) characters, which are invisible: bidi controls, zero-width
/// characters, the soft hyphen, tag characters, interlinear annotations and the like. The emoji
/// variation selectors U+FE0E/U+FE0F are not format characters and are kept.
fn is_format(c: char) -> bool {
    matches!(c,
        '\u{00AD}'                      // soft hyphen
        | '\u{0600}'..='\u{0605}'       // Arabic number signs
        | '\u{061C}'                    // Arabic letter mark
        | '\u{06DD}'                    // Arabic end of ayah
        | '\u{070F}'                    // Syriac abbreviation mark
        | '\u{0890}'..='\u{0891}'       // Arabic pound/piastre marks above
        | '\u{08E2}'                    // Arabic disputed end of ayah
        | '\u{180E}'                    // Mongolian vowel separator
        | '\u{200B}'..='\u{200F}'       // zero-width space, ZWNJ, ZWJ, LRM, RLM
        | '\u{202A}'..='\u{202E}'       // bidi embeddings and overrides
        | '\u{2060}'..='\u{206F}'       // word joiner, invisible operators, bidi isolates
        | '\u{FEFF}'                    // zero-width no-break space, byte order mark
        | '\u{FFF9}'..='\u{FFFB}'       // interlinear annotation controls
        | '\u{110BD}' | '\u{110CD}'     // Kaithi number signs
        | '\u{13430}'..='\u{1343F}'     // Egyptian hieroglyph format controls
        | '\u{1BCA0}'..='\u{1BCA3}'     // shorthand format controls
        | '\u{1D173}'..='\u{1D17A}'     // musical symbol format controls
        | '\u{E0000}'..='\u{E007F}'     // tag characters
    )
}

/// True for every character [`sanitize`] never lets through: controls ("Cc": C0 except `\n`,
/// DEL, C1), format characters ("Cf", see `is_format`) and the line/paragraph separators
/// U+2028/U+2029.
pub fn is_forbidden(c: char) -> bool {
    c != '\n' && (c.is_control() || is_format(c) || matches!(c, '\u{2028}' | '\u{2029}'))
}

/// True for a character that must never be drawn on screen: [`is_forbidden`] ones and the
/// newline too (a line on screen holds none).
pub fn is_forbidden_on_screen(c: char) -> bool {
    c == '\n' || is_forbidden(c)
}

/// Where `sanitize` is inside an escape sequence.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Seq {
    /// Plain text.
    Ground,
    /// Just after ESC.
    Esc,
    /// After ESC and one or more intermediate bytes (`ESC ( B` and the like).
    EscIntermediate,
    /// Inside a CSI: parameter and intermediate bytes up to a final byte.
    Csi,
    /// Inside a control string (OSC when `bel_ends`, else DCS/SOS/PM/APC), up to its terminator.
    ControlString { bel_ends: bool },
}

/// Remove everything that could drive a terminal or corrupt the layout; keep readable text and
/// line breaks. `\r\n`, lone `\r`, U+2028 and U+2029 become `\n`; a tab becomes one space.
///
/// Escape sequences go as whole sequences: CSI (`ESC [` … final byte 0x40–0x7E), OSC (`ESC ]` …
/// BEL or ST), DCS/SOS/PM/APC (`ESC P`/`X`/`^`/`_` … ST), `ESC` + intermediates + final byte,
/// `ESC` + any other printable ASCII character, a lone `ESC`; likewise their 8-bit forms
/// U+009B (CSI), U+009D (OSC), U+0090/U+0098/U+009E/U+009F. ST is `ESC \` or U+009C. An
/// unterminated control string swallows the rest of the text. An `ESC` inside a sequence aborts
/// it and starts a new one, as in a terminal.
///
/// Single pass, no allocation beyond the result; idempotent.
#[expect(clippy::too_many_lines, reason = "one pass of one state machine over the text")]
pub fn sanitize(s: &str) -> String {
    if s.bytes().all(|b| matches!(b, b' '..=b'~' | b'\n')) {
        return s.to_owned();
    }
    let mut out = String::with_capacity(s.len());
    let mut state = Seq::Ground;
    let mut chars = s.chars().peekable();
    while let Some(&c) = chars.peek() {
        // Every arm either consumes `c` or goes back to `Ground` without consuming it, so that it
        // is read again as text; `Ground` always consumes, so the loop always advances.
        match state {
            Seq::Ground => {
                chars.next();
                match c {
                    '\n' => out.push('\n'),
                    '\r' => {
                        if chars.peek() == Some(&'\n') {
                            chars.next();
                        }
                        out.push('\n');
                    }
                    '\u{2028}' | '\u{2029}' => out.push('\n'),
                    '\t' => out.push(' '),
                    ESC => state = Seq::Esc,
                    '\u{9b}' => state = Seq::Csi,
                    '\u{9d}' => state = Seq::ControlString { bel_ends: true },
                    '\u{90}' | '\u{98}' | '\u{9e}' | '\u{9f}' => state = Seq::ControlString { bel_ends: false },
                    c if is_forbidden(c) => {}
                    c => out.push(c),
                }
            }
            Seq::Esc => match c {
                '[' => {
                    chars.next();
                    state = Seq::Csi;
                }
                ']' => {
                    chars.next();
                    state = Seq::ControlString { bel_ends: true };
                }
                'P' | 'X' | '^' | '_' => {
                    chars.next();
                    state = Seq::ControlString { bel_ends: false };
                }
                ' '..='/' => {
                    chars.next();
                    state = Seq::EscIntermediate;
                }
                '0'..='~' => {
                    chars.next();
                    state = Seq::Ground;
                }
                // A lone ESC: what follows is read as text (or as a new sequence).
                _ => state = Seq::Ground,
            },
            Seq::EscIntermediate => match c {
                ' '..='/' => {
                    chars.next();
                }
                '0'..='~' => {
                    chars.next();
                    state = Seq::Ground;
                }
                _ => state = Seq::Ground,
            },
            Seq::Csi => match c {
                ' '..='?' => {
                    chars.next();
                }
                '@'..='~' => {
                    chars.next();
                    state = Seq::Ground;
                }
                // Outside the grammar: the sequence ends here and `c` is read as text.
                _ => state = Seq::Ground,
            },
            Seq::ControlString { bel_ends } => {
                chars.next();
                match c {
                    ST_C1 => state = Seq::Ground,
                    BEL if bel_ends => state = Seq::Ground,
                    // `ESC \` is ST; any other ESC aborts the string and starts a new sequence.
                    ESC => state = Seq::Esc,
                    _ => {}
                }
            }
        }
    }
    out
}

/// [`sanitize`] for one line: line breaks and runs of white space become one space, trimmed.
pub fn sanitize_line(s: &str) -> String {
    collapse_whitespace(&sanitize(s))
}

fn collapse_whitespace(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for word in s.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// Feed HTML (or plain text) to readable plain text.
///
/// Tags are removed and entities decoded exactly once (`&amp;lt;` gives `&lt;`); paragraphs,
/// `<br>`, block elements, list items and table cells become line breaks, with at most one blank
/// line in a row; links keep their text only; no decoration is added and nothing is wrapped;
/// `<script>`, `<style>` and `<title>` go with their content; `<pre>` keeps its spacing. Text
/// without markup keeps its line breaks and spacing, only its entities are decoded. The result is
/// trimmed and sanitised. Never panics; time is linear in the input, which is cut at 1 MiB.
///
/// How: the markup is first reduced by [`flatten`] to text runs as written, `<br>` and `<pre>`,
/// then html2text (html5ever) decodes the entities, collapses white space and renders that. The
/// flattening is what keeps time linear: html5ever's tree builder takes time quadratic in the
/// nesting depth and in reopened formatting elements (`<p><b id=1>x</p><p><b id=2>x</p>…`), so
/// a 40 KB feed item could otherwise hold a poller for many seconds and gigabytes.
pub fn html_to_text(html: &str) -> String {
    let html = clip_to_bytes(html, MAX_HTML_BYTES);
    // Escape sequences go as whole sequences before the HTML parser sees (and half-drops) them.
    let clean = sanitize(html);
    let rendered = if !has_markup(&clean) {
        if clean.contains('&') {
            // Inside <pre> the parser keeps every space and line break and still decodes
            // entities. The newline after <pre> is the one the parser drops.
            render_html(&format!("<pre>\n{clean}</pre>")).unwrap_or(clean)
        } else {
            clean
        }
    } else {
        render_html(&flatten(&clean, FlattenTo::Html)).unwrap_or_else(|| flatten(&clean, FlattenTo::Text))
    };
    // Entities may have produced controls or invisible characters: sanitise again.
    tidy_lines(&sanitize(&rendered))
}

/// [`html_to_text`] for titles with inline markup (Google Alerts' `<b>Slack</b>`): one line.
pub fn strip_tags_inline(s: &str) -> String {
    collapse_whitespace(&html_to_text(s))
}

/// The longest prefix of `s` of at most `max` bytes that ends on a character boundary.
fn clip_to_bytes(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// Render HTML with html2text, with no decoration at all (the trivial decorator: links, headings,
/// lists and quotes as bare text, no footnotes) and no wrapping. `None` if html2text reports an
/// error.
fn render_html(html: &str) -> Option<String> {
    html2text::config::with_decorator(TrivialDecorator::new())
        .string_from_read(html.as_bytes(), RENDER_WIDTH)
        .ok()
}

/// Trim the end of every line, keep at most one blank line in a row, trim the whole.
fn tidy_lines(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut blank_run = 0usize;
    for line in s.split('\n') {
        let line = line.trim_end();
        if line.is_empty() {
            blank_run += 1;
            continue;
        }
        if !out.is_empty() {
            out.push_str(if blank_run > 0 { "\n\n" } else { "\n" });
        }
        blank_run = 0;
        out.push_str(line);
    }
    let start = out.len() - out.trim_start().len();
    out.drain(..start);
    out
}

/// Whether the text holds anything an HTML parser reads as markup: `<` followed by a letter, `/`,
/// `!` or `?`. Anything else is plain text (entities aside).
fn has_markup(s: &str) -> bool {
    s.as_bytes().windows(2).any(|w| w[0] == b'<' && starts_markup(w[1]))
}

/// Whether `<` followed by `b` opens markup (a tag, end tag, comment, doctype...), as in HTML.
fn starts_markup(b: u8) -> bool {
    b.is_ascii_alphabetic() || matches!(b, b'/' | b'!' | b'?')
}

// ---------------------------------------------------------------------------------------------
// A small tolerant tokenizer, reading tags where an HTML parser would, to flatten the markup.

#[derive(Debug, PartialEq, Eq)]
enum Token<'a> {
    /// Text as written (entities not decoded).
    Text(&'a str),
    /// A start tag's name.
    Start(&'a str),
    /// An end tag's name.
    End(&'a str),
    /// Comments, doctypes, processing instructions, content of script/style and the like.
    Ignored,
}

struct Tokenizer<'a> {
    src: &'a str,
    pos: usize,
    /// Set after a start tag whose content is raw text (script, style...), until its end tag.
    raw_text_of: Option<&'a str>,
}

/// Elements whose content is not markup; it is dropped.
const RAW_TEXT: &[&str] = &[
    "script",
    "style",
    "title",
    "textarea",
    "xmp",
    "iframe",
    "noembed",
    "noframes",
    "plaintext",
];
/// Elements that start a paragraph: a blank line before and after.
const PARAGRAPH_BLOCKS: &[&str] = &[
    "blockquote",
    "dl",
    "figure",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "ol",
    "p",
    "table",
    "ul",
];
/// Elements that start a line: a line break before and after.
const LINE_BLOCKS: &[&str] = &[
    "address",
    "article",
    "aside",
    "body",
    "caption",
    "center",
    "dd",
    "details",
    "dialog",
    "dir",
    "div",
    "dt",
    "fieldset",
    "figcaption",
    "footer",
    "form",
    "header",
    "hgroup",
    "legend",
    "li",
    "listing",
    "main",
    "menu",
    "nav",
    "option",
    "search",
    "section",
    "summary",
    "td",
    "th",
    "tr",
];

fn is_one_of(name: &str, set: &[&str]) -> bool {
    set.iter().any(|s| s.eq_ignore_ascii_case(name))
}

fn is_html_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | b'\x0c')
}

impl<'a> Tokenizer<'a> {
    fn new(src: &'a str) -> Self {
        Tokenizer {
            src,
            pos: 0,
            raw_text_of: None,
        }
    }

    /// Position just past the `>` ending a tag whose attributes start at `from` (or the end),
    /// following HTML's attribute states: a quote opens a quoted value only right after `=`.
    fn tag_end(&self, from: usize) -> usize {
        #[derive(Clone, Copy)]
        enum At {
            BeforeName,
            Name,
            AfterName,
            BeforeValue,
            Quoted(u8),
            Unquoted,
        }
        let b = self.src.as_bytes();
        let mut at = At::BeforeName;
        for (i, &c) in b.iter().enumerate().skip(from) {
            let space = is_html_space(c);
            at = match at {
                At::Quoted(q) => {
                    if c == q {
                        At::BeforeName
                    } else {
                        at
                    }
                }
                _ if c == b'>' => return i + 1,
                At::BeforeName if space || c == b'/' => At::BeforeName,
                At::BeforeName => At::Name,
                At::Name if space => At::AfterName,
                At::Name | At::AfterName if c == b'=' => At::BeforeValue,
                At::Name | At::AfterName if c == b'/' => At::BeforeName,
                At::Name => At::Name,
                At::AfterName if space => At::AfterName,
                At::AfterName => At::Name,
                At::BeforeValue if space => At::BeforeValue,
                At::BeforeValue if c == b'"' || c == b'\'' => At::Quoted(c),
                At::BeforeValue => At::Unquoted,
                At::Unquoted if space => At::BeforeName,
                At::Unquoted => At::Unquoted,
            };
        }
        b.len()
    }

    /// End of a tag name starting at `from`.
    fn name_end(&self, from: usize) -> usize {
        let b = self.src.as_bytes();
        let mut i = from;
        while i < b.len() && !is_html_space(b[i]) && b[i] != b'/' && b[i] != b'>' {
            i += 1;
        }
        i
    }

    /// Position of the `</name` that ends raw text started at `from`, or the end.
    fn raw_text_end(&self, from: usize, name: &str) -> usize {
        let b = self.src.as_bytes();
        let n = name.len();
        let mut i = from;
        while let Some(off) = self.src[i..].find("</") {
            let at = i + off;
            let name_at = at + 2;
            if b.len() >= name_at + n
                && b[name_at..name_at + n].eq_ignore_ascii_case(name.as_bytes())
                && b.get(name_at + n)
                    .is_none_or(|&c| is_html_space(c) || c == b'/' || c == b'>')
            {
                return at;
            }
            i = name_at;
        }
        b.len()
    }

    /// Position just past a comment whose `<!--` is at `at`: at `-->` or `--!>`; `<!-->` and
    /// `<!--->` are whole (empty) comments; unterminated, it runs to the end.
    fn comment_end(&self, at: usize) -> usize {
        let body = at + 4;
        let rest = &self.src[body..];
        if rest.starts_with('>') {
            return body + 1;
        }
        if rest.starts_with("->") {
            return body + 2;
        }
        let close = rest.find("-->").map(|i| i + 3);
        let bang = rest.find("--!>").map(|i| i + 4);
        match (close, bang) {
            (Some(c), Some(b)) => body + c.min(b),
            (Some(e), None) | (None, Some(e)) => body + e,
            (None, None) => self.src.len(),
        }
    }

    /// The markup token starting at `self.pos` (a `<`), with the position after it, or `None` if
    /// this `<` is text.
    fn markup(&self) -> Option<(Token<'a>, usize)> {
        let b = self.src.as_bytes();
        let i = self.pos;
        let next = *b.get(i + 1)?;
        if next.is_ascii_alphabetic() {
            let name_end = self.name_end(i + 1);
            return Some((Token::Start(&self.src[i + 1..name_end]), self.tag_end(name_end)));
        }
        match next {
            b'/' => match b.get(i + 2) {
                Some(c) if c.is_ascii_alphabetic() => {
                    let name_end = self.name_end(i + 2);
                    Some((Token::End(&self.src[i + 2..name_end]), self.tag_end(name_end)))
                }
                // `</` at the very end is text.
                None => None,
                // `</>` and `</ ...>` are dropped.
                Some(_) => Some((
                    Token::Ignored,
                    self.src[i..].find('>').map_or(b.len(), |off| i + off + 1),
                )),
            },
            b'!' if self.src[i..].starts_with("<!--") => Some((Token::Ignored, self.comment_end(i))),
            b'!' | b'?' => Some((
                Token::Ignored,
                self.src[i..].find('>').map_or(b.len(), |off| i + off + 1),
            )),
            _ => None,
        }
    }
}

impl<'a> Iterator for Tokenizer<'a> {
    type Item = Token<'a>;

    fn next(&mut self) -> Option<Token<'a>> {
        let len = self.src.len();
        if self.pos >= len {
            return None;
        }
        if let Some(name) = self.raw_text_of.take() {
            self.pos = self.raw_text_end(self.pos, name);
            return Some(Token::Ignored);
        }
        let start = self.pos;
        let mut i = start;
        loop {
            let Some(off) = self.src[i..].find('<') else {
                self.pos = len;
                return Some(Token::Text(&self.src[start..]));
            };
            i += off;
            self.pos = i;
            if let Some((token, end)) = self.markup() {
                if i > start {
                    // The text before it first; the markup is read again next time.
                    return Some(Token::Text(&self.src[start..i]));
                }
                self.pos = end;
                if let Token::Start(name) = token {
                    self.raw_text_of = is_one_of(name, RAW_TEXT).then_some(name);
                }
                return Some(token);
            }
            i += 1;
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum FlattenTo {
    /// HTML without nesting: the text runs as written, `<br>` for line breaks, `<pre>` kept.
    Html,
    /// Text with tags stripped and line breaks kept; entities stay as written. The fallback if
    /// html2text fails.
    Text,
}

/// Flatten HTML: text runs kept as written; block elements become line or paragraph breaks (a run
/// of them one break, the strongest); `<pre>` is kept, unnested; every other tag, comment,
/// doctype and the content of script, style and title are dropped. The HTML result has no
/// element inside another but text in `<pre>`, so parsing it takes linear time.
fn flatten(html: &str, to: FlattenTo) -> String {
    let (line, paragraph) = match to {
        FlattenTo::Html => ("<br>", "<br><br>"),
        FlattenTo::Text => ("\n", "\n\n"),
    };
    let mut out = String::with_capacity(html.len() + html.len() / 8);
    // 0: none, 1: line break, 2: paragraph break; written before the next text.
    let mut pending = 0u8;
    // Open <pre> elements (only the outermost one is written).
    let mut pre = 0usize;
    // Whether the last thing written was a text run: a text run coming right after it means
    // something was dropped in between.
    let mut after_text = false;
    for token in Tokenizer::new(html) {
        match token {
            Token::Text(t) => {
                if pending > 0 && (pre > 0 || !t.bytes().all(is_html_space)) {
                    if !out.is_empty() {
                        out.push_str(if pending == 2 { paragraph } else { line });
                    }
                    pending = 0;
                } else if after_text && to == FlattenTo::Html && joins_across(&out, t) {
                    // Keep text runs that were apart apart: `&am<b>p;` is no `&amp;`, `<<b>b` no tag.
                    out.push_str("<!---->");
                }
                out.push_str(t);
                after_text = true;
            }
            Token::Start(name) | Token::End(name) if name.eq_ignore_ascii_case("pre") => {
                let opening = matches!(token, Token::Start(_));
                let outermost = if opening {
                    pre += 1;
                    pre == 1
                } else if pre > 0 {
                    pre -= 1;
                    pre == 0
                } else {
                    continue;
                };
                match (outermost, opening, to) {
                    (true, true, FlattenTo::Html) => {
                        out.push_str("<pre>");
                        after_text = false;
                        pending = 0;
                    }
                    (true, true, FlattenTo::Text) => pending = if out.is_empty() { 0 } else { 2 },
                    (true, false, FlattenTo::Html) => {
                        out.push_str("</pre>");
                        after_text = false;
                        pending = 0;
                    }
                    // A nested <pre>, or the end of the outermost in text: a paragraph break.
                    _ => pending = 2,
                }
            }
            Token::Start(name) if name.eq_ignore_ascii_case("br") => pending = (pending + 1).min(2),
            Token::Start(name) | Token::End(name) => {
                if is_one_of(name, PARAGRAPH_BLOCKS) {
                    pending = 2;
                } else if is_one_of(name, LINE_BLOCKS) {
                    pending = pending.max(1);
                }
            }
            Token::Ignored => {}
        }
    }
    out
}

/// Whether text `next` written right after `out` could be read together with it as one entity
/// or as a tag, where the two were apart in the source.
fn joins_across(out: &str, next: &str) -> bool {
    let tail = out.as_bytes().iter().rev().take(40);
    (out.ends_with('<') && next.bytes().next().is_some_and(starts_markup))
        || tail
            .take_while(|&&b| !is_html_space(b) && b != b';' && b != b'>')
            .any(|&b| b == b'&')
}

// ---------------------------------------------------------------------------------------------

/// Take the real link out of a Google redirect (`https://www.google.com/url?…&url=<REAL>&…`, as
/// Google Alerts and Talkwalker send them): the percent-decoded `url` (or `q`) parameter when the
/// host is google.<tld> (with or without `www.`), the path is `/url` and the inner value is an
/// http(s) URL. Anything else comes back unchanged.
pub fn unwrap_redirect(url: &str) -> String {
    let Ok(parsed) = Url::parse(url.trim()) else {
        return url.to_owned();
    };
    if !matches!(parsed.scheme(), "http" | "https") || parsed.path() != "/url" {
        return url.to_owned();
    }
    if !parsed.host_str().is_some_and(is_google_host) {
        return url.to_owned();
    }
    let pairs: Vec<_> = parsed.query_pairs().collect();
    let inner = ["url", "q"]
        .iter()
        .find_map(|key| pairs.iter().find(|(k, v)| k == key && !v.is_empty()).map(|(_, v)| v));
    match inner.and_then(|v| Url::parse(v.trim()).ok()) {
        Some(real) if matches!(real.scheme(), "http" | "https") && real.host_str().is_some() => real.into(),
        _ => url.to_owned(),
    }
}

/// Google's own hosts: `google.com`, `google.<cc>`, `google.com.<cc>`, `google.co.<cc>` (with or
/// without `www.`), where `<cc>` is a two-letter country code.
fn is_google_host(host: &str) -> bool {
    let host = host.strip_prefix("www.").unwrap_or(host);
    let Some(suffix) = host.strip_prefix("google.") else {
        return false;
    };
    let country = |l: &str| l.len() == 2 && l.bytes().all(|b| b.is_ascii_lowercase());
    match suffix.split_once('.') {
        None => suffix == "com" || country(suffix),
        Some((second, cc)) => matches!(second, "com" | "co") && country(cc),
    }
}

// ---------------------------------------------------------------------------------------------

/// Cells one grapheme cluster takes: `unicode-width` on the whole cluster (so combining marks
/// add nothing and emoji sequences count 2); control characters take none.
fn grapheme_width(g: &str) -> usize {
    if g.len() == 1 {
        return usize::from(!g.as_bytes()[0].is_ascii_control());
    }
    g.width()
}

/// Terminal cells `s` takes, counted by grapheme cluster: wide CJK and emoji 2, combining marks 0.
pub fn display_width(s: &str) -> usize {
    if s.bytes().all(|b| matches!(b, b' '..=b'~')) {
        return s.len();
    }
    s.graphemes(true).map(grapheme_width).sum()
}

/// `s` cut to at most `max` cells, never inside a grapheme cluster. When it has to be cut it ends
/// with `…` (one cell), still within `max`.
pub fn truncate_to_width(s: &str, max: usize) -> String {
    if display_width(s) <= max {
        return s.to_owned();
    }
    let Some(room) = max.checked_sub(1) else {
        return String::new();
    };
    let mut out = String::with_capacity(s.len().min(max * 4 + 3));
    let mut used = 0;
    for g in s.graphemes(true) {
        let w = grapheme_width(g);
        if used + w > room {
            break;
        }
        used += w;
        out.push_str(g);
    }
    out.push(ELLIPSIS);
    out
}

/// `s` truncated to `width` cells, then padded with spaces to exactly `width` cells.
pub fn pad_to_width(s: &str, width: usize) -> String {
    let mut out = truncate_to_width(s, width);
    let used = display_width(&out);
    out.extend(std::iter::repeat_n(' ', width.saturating_sub(used)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn assert_clean(s: &str) {
        if let Some(c) = s.chars().find(|&c| is_forbidden(c)) {
            panic!("forbidden {:?} in {s:?}", c);
        }
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
        assert_eq!(sanitize("a\u{85}b\u{80}c\u{9c}d\u{9a}e"), "abcde");
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
}
