//! HTML to plain text: a linear tokenizer, block and inline elements, entities; capped input.

use super::*;

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
        let flat = flatten(&clean, FlattenTo::Html);
        render_plain(&flat)
            .or_else(|| render_html(&flat))
            .unwrap_or_else(|| flatten(&clean, FlattenTo::Text))
    };
    // Entities may have produced controls or invisible characters: sanitise again.
    tidy_lines(&sanitize(&rendered))
}

/// [`html_to_text`] for titles with inline markup (Google Alerts' `<b>Slack</b>`): one line.
pub fn strip_tags_inline(s: &str) -> String {
    collapse_whitespace(&html_to_text(s))
}

/// The longest prefix of `s` of at most `max` bytes that ends on a character boundary.
pub(super) fn clip_to_bytes(s: &str, max: usize) -> &str {
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
pub(super) fn render_html(html: &str) -> Option<String> {
    html2text::config::with_decorator(TrivialDecorator::new())
        .string_from_read(html.as_bytes(), RENDER_WIDTH)
        .ok()
}

/// What [`render_html`] gives for flattened HTML that holds nothing but text, `<br>` and the
/// `<!---->` separators (no entity, no `<pre>`, no other `<`, no white space but ASCII's): runs of HTML
/// white space as one space, a line break per `<br>`, no space at a line's start. `None` for
/// anything else. html5ever is the slow half of reading a feed; most items need none of it
/// (a property test holds the two to the same output).
pub(super) fn render_plain(flat: &str) -> Option<String> {
    if flat.contains(['&', '\u{a0}']) {
        return None;
    }
    let flat = flat.replace("<!---->", "");
    let mut out = String::with_capacity(flat.len());
    for (i, line) in flat.split("<br>").enumerate() {
        if line.contains('<') {
            return None;
        }
        if i > 0 {
            out.push('\n');
        }
        let mut space = false;
        for c in line.chars() {
            if matches!(c, ' ' | '\t' | '\n' | '\r' | '\u{c}') {
                space = true;
            } else if c.is_whitespace() {
                // Other white space (U+3000, U+2003, …) html2text treats its own way.
                return None;
            } else {
                if space && !out.is_empty() && !out.ends_with('\n') {
                    out.push(' ');
                }
                space = false;
                out.push(c);
            }
        }
    }
    Some(out)
}

/// Trim the end of every line, keep at most one blank line in a row, trim the whole.
pub(super) fn tidy_lines(s: &str) -> String {
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
pub(super) fn has_markup(s: &str) -> bool {
    s.as_bytes().windows(2).any(|w| w[0] == b'<' && starts_markup(w[1]))
}

/// Whether `<` followed by `b` opens markup (a tag, end tag, comment, doctype...), as in HTML.
pub(super) fn starts_markup(b: u8) -> bool {
    b.is_ascii_alphabetic() || matches!(b, b'/' | b'!' | b'?')
}

// ---------------------------------------------------------------------------------------------
// A small tolerant tokenizer, reading tags where an HTML parser would, to flatten the markup.

#[derive(Debug, PartialEq, Eq)]
pub(super) enum Token<'a> {
    /// Text as written (entities not decoded).
    Text(&'a str),
    /// A start tag's name.
    Start(&'a str),
    /// An end tag's name.
    End(&'a str),
    /// Comments, doctypes, processing instructions, content of script/style and the like.
    Ignored,
}

pub(super) struct Tokenizer<'a> {
    src: &'a str,
    pos: usize,
    /// Set after a start tag whose content is raw text (script, style...), until its end tag.
    raw_text_of: Option<&'a str>,
}

/// Elements whose content is not markup; it is dropped.
pub(super) const RAW_TEXT: &[&str] = &[
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
pub(super) const PARAGRAPH_BLOCKS: &[&str] = &[
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
pub(super) const LINE_BLOCKS: &[&str] = &[
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

pub(super) fn is_one_of(name: &str, set: &[&str]) -> bool {
    set.iter().any(|s| s.eq_ignore_ascii_case(name))
}

pub(super) fn is_html_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | b'\x0c')
}

impl<'a> Tokenizer<'a> {
    pub(super) fn new(src: &'a str) -> Self {
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
                // A self-closed `<iframe/>` has no content to skip (feeds write XHTML).
                if let Token::Start(name) = token
                    && !self.src[..end].ends_with("/>")
                {
                    self.raw_text_of = is_one_of(name, RAW_TEXT).then_some(name);
                }
                return Some(token);
            }
            i += 1;
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum FlattenTo {
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
pub(super) fn flatten(html: &str, to: FlattenTo) -> String {
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
pub(super) fn joins_across(out: &str, next: &str) -> bool {
    let tail = out.as_bytes().iter().rev().take(40);
    (out.ends_with('<') && next.bytes().next().is_some_and(starts_markup))
        || tail
            .take_while(|&&b| !is_html_space(b) && b != b';' && b != b'>')
            .any(|&b| b == b'&')
}

// ---------------------------------------------------------------------------------------------
