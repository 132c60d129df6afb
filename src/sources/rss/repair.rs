//! Markup to well-formed XML, the way a lenient reader recovers a broken feed (feedparser's second,
//! loose parse): one linear pass that keeps every good item and says what it changed.
//!
//! - Entities: the five of XML stay; HTML's named ones (the WHATWG table html5ever carries,
//!   including the legacy ones without `;`) become their characters; numeric references to the
//!   C1 range mean Windows-1252 (`&#146;` is `’`), as browsers read them; a reference to no
//!   character, an unknown name or a bare `&` is kept as literal text.
//! - A `<` that starts no tag is text; tags are balanced (an end tag closes what it skipped, a
//!   stray one is dropped, whatever is open at the end is closed); attributes get quotes; an
//!   unclosed CDATA section ends where its element ends.
//! - The DOCTYPE is dropped: its simple internal entities are expanded once, with the expansion
//!   capped, and external entities are never fetched (no billion laughs, no XXE).
//! - Characters XML forbids are dropped; raw C1 controls become the Windows-1252 characters
//!   they stand for.
//! - Namespace prefixes used without a declaration get one (the usual URI for `dc`, `content`,
//!   `media`, `itunes`, …), so a strict XML reader takes the result.

use std::collections::{BTreeSet, HashMap};

/// The repaired document and what was changed, in words.
pub struct Repaired {
    pub xml: String,
    pub notes: Vec<String>,
    /// Where in `xml` the elements left open by a document that ends early were closed: an
    /// item that ends after it was cut off.
    pub truncated_at: Option<usize>,
}

/// Total characters internal DTD entities may be defined with.
const MAX_ENTITY_EXPANSION: usize = 64 * 1024;
/// Total characters their references may expand to in one document (a 50 kB entity referenced
/// 5,000 times would be 250 MB).
const MAX_ENTITY_OUTPUT: usize = 1024 * 1024;
/// Attributes kept on one element; feeds use a handful (an XML reader checks each new one
/// against the others, so thousands cost seconds).
pub(super) const MAX_ATTRIBUTES: usize = 64;

/// The usual namespace of a prefix a feed uses without declaring it.
fn known_namespace(prefix: &str) -> Option<&'static str> {
    Some(match prefix {
        "dc" => "http://purl.org/dc/elements/1.1/",
        "dcterms" => "http://purl.org/dc/terms/",
        "content" => "http://purl.org/rss/1.0/modules/content/",
        "media" => "http://search.yahoo.com/mrss/",
        "itunes" => "http://www.itunes.com/dtds/podcast-1.0.dtd",
        "atom" => "http://www.w3.org/2005/Atom",
        "rdf" => "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
        "wfw" => "http://wellformedweb.org/CommentAPI/",
        "slash" => "http://purl.org/rss/1.0/modules/slash/",
        "xhtml" => "http://www.w3.org/1999/xhtml",
        "yt" => "http://www.youtube.com/xml/schemas/2015",
        _ => return None,
    })
}

#[derive(Default)]
struct Counts {
    entities_unknown: usize,
    bare_amp: usize,
    bad_refs: usize,
    lt_as_text: usize,
    closed_unclosed: usize,
    stray_ends: usize,
    unclosed_cdata: usize,
    forbidden_chars: usize,
    c1_mapped: usize,
    closed_at_end: usize,
    junk_outside_root: bool,
    html_entities: usize,
    lenient_refs: usize,
    unquoted_attrs: usize,
    attributes_dropped: usize,
    entities_not_expanded: usize,
}

struct Writer<'a> {
    src: &'a str,
    out: String,
    stack: Vec<String>,
    counts: Counts,
    entities: HashMap<String, String>,
    used_prefixes: BTreeSet<String>,
    declared_prefixes: BTreeSet<String>,
    /// Where the root element's start tag ends in `out`, to add namespace declarations.
    root_tag_end: Option<usize>,
    root_done: bool,
    /// Prefixes used without a declaration, for the notes.
    undeclared: String,
    /// Characters internal entities have expanded to so far.
    expanded: usize,
}

/// Repair `src` (already decoded) into well-formed XML.
pub fn repair(src: &str) -> Repaired {
    let mut w = Writer {
        src,
        out: String::with_capacity(src.len() + src.len() / 16),
        stack: Vec::new(),
        counts: Counts::default(),
        entities: HashMap::new(),
        used_prefixes: BTreeSet::new(),
        declared_prefixes: BTreeSet::new(),
        root_tag_end: None,
        root_done: false,
        undeclared: String::new(),
        expanded: 0,
    };
    w.run();
    w.finish()
}

impl Writer<'_> {
    fn run(&mut self) {
        let bytes = self.src.as_bytes();
        let mut i = 0;
        let mut text_start = 0;
        while i < bytes.len() {
            if bytes[i] != b'<' {
                i += 1;
                continue;
            }
            self.text(text_start, i);
            let rest = &self.src[i..];
            let consumed = if rest.starts_with("<!--") {
                rest.find("-->").map_or(rest.len(), |e| e + 3)
            } else if rest.starts_with("<![CDATA[") {
                self.cdata(i)
            } else if rest.starts_with("<!") {
                self.doctype(i)
            } else if rest.starts_with("<?") {
                rest.find("?>").map_or(rest.len(), |e| e + 2)
            } else if rest.starts_with("</") {
                self.end_tag(i)
            } else {
                self.start_tag(i)
            };
            i += consumed;
            text_start = i;
        }
        self.text(text_start, bytes.len());
    }

    /// Text between markup: entities, forbidden characters and C1 controls fixed, escaped.
    fn text(&mut self, from: usize, to: usize) {
        if from >= to {
            return;
        }
        let s = &self.src[from..to];
        if self.stack.is_empty() {
            if !s.trim().is_empty() {
                self.counts.junk_outside_root = true;
            }
            return;
        }
        let fixed = self.fix_text(s);
        self.out.push_str(&fixed);
    }

    /// Decode what a lenient reader decodes and escape the rest, so the result reads the same.
    fn fix_text(&mut self, s: &str) -> String {
        self.fix(s, false)
    }

    fn fix_attr(&mut self, s: &str) -> String {
        self.fix(s, true)
    }

    fn fix(&mut self, s: &str, in_attr: bool) -> String {
        // Control characters: C1 ones mean Windows-1252; whole terminal escape sequences (not just
        // their ESC) go, so no half of one survives as text.
        let owned;
        let s = if s.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\t' | '\r')) {
            let mapped: String = s
                .chars()
                .map(|c| match c1_to_cp1252(c) {
                    Some(m) => {
                        self.counts.c1_mapped += 1;
                        m
                    }
                    None => c,
                })
                .collect();
            let clean = crate::text::sanitize(&mapped);
            self.counts.forbidden_chars +=
                mapped.chars().filter(|c| c.is_control()).count() - clean.chars().filter(|c| c.is_control()).count();
            owned = clean;
            owned.as_str()
        } else {
            s
        };
        let mut out = String::with_capacity(s.len());
        let mut chars = s.char_indices().peekable();
        while let Some((at, c)) = chars.next() {
            match c {
                '&' => {
                    let (text, len) = self.entity(&s[at..], in_attr);
                    out.push_str(&text);
                    for _ in 1..len {
                        chars.next();
                    }
                }
                '<' => out.push_str("&lt;"),
                '>' => out.push_str("&gt;"),
                c => self.push_char(&mut out, c),
            }
        }
        out
    }

    fn push_char(&mut self, out: &mut String, c: char) {
        if let Some(mapped) = c1_to_cp1252(c) {
            self.counts.c1_mapped += 1;
            out.push(mapped);
        } else if is_xml_char(c) {
            out.push(c);
        } else {
            self.counts.forbidden_chars += 1;
        }
    }

    /// An `&` in text: what it stands for, escaped, and how many characters it spans.
    fn entity(&mut self, s: &str, in_attr: bool) -> (String, usize) {
        let body_end = s[1..]
            .char_indices()
            .take(40)
            .find(|(_, c)| !(c.is_ascii_alphanumeric() || *c == '#'))
            .map(|(i, _)| i + 1);
        let (name, has_semi, len) = match body_end {
            Some(e) if s[e..].starts_with(';') => (&s[1..e], true, e + 1),
            Some(e) => (&s[1..e], false, e),
            None if s.len() <= 41 => (&s[1..], false, s.len()),
            None => ("", false, 1),
        };
        if name.is_empty() {
            self.counts.bare_amp += 1;
            return ("&amp;".into(), 1);
        }
        if let Some(num) = name.strip_prefix('#') {
            let n = match num.strip_prefix(['x', 'X']) {
                Some(hex) => u32::from_str_radix(hex, 16).ok(),
                None => num.parse::<u32>().ok(),
            };
            let c = n.and_then(|n| {
                if (0x80..=0x9F).contains(&n) {
                    c1_to_cp1252(char::from_u32(n)?)
                } else {
                    char::from_u32(n)
                }
            });
            if n.is_some_and(|n| (0x80..=0x9F).contains(&n)) || num.starts_with('X') || !has_semi {
                self.counts.lenient_refs += 1;
            }
            return match c.filter(|c| is_xml_char(*c)) {
                Some(c) if has_semi => (escape_char(c), name.chars().count() + 2),
                Some(c) => (escape_char(c), name.chars().count() + 1),
                None => {
                    self.counts.bad_refs += 1;
                    (format!("&amp;{}", &s[1..len]), len)
                }
            };
        }
        if has_semi && matches!(name, "lt" | "gt" | "amp" | "quot" | "apos") {
            return (format!("&{name};"), len);
        }
        if has_semi && let Some(v) = self.entities.get(name) {
            if self.expanded + v.len() > MAX_ENTITY_OUTPUT {
                self.counts.entities_not_expanded += 1;
                return (format!("&amp;{name};"), len);
            }
            self.expanded += v.len();
            let v = v.clone();
            let fixed = self.fix_text(&v);
            return (fixed, len);
        }
        // Without `;`, only the legacy names HTML allows, and never before `=` or a letter or in
        // an attribute (`?a=1&lang=en` is a URL, not `〈=en`).
        let next = s[len..].chars().next();
        let legacy_ok = has_semi || (!in_attr && !next.is_some_and(|c| c == '=' || c.is_ascii_alphanumeric()));
        let key = if has_semi { format!("{name};") } else { name.to_string() };
        if legacy_ok
            && let Some(&(a, b)) = markup5ever::data::NAMED_ENTITIES.get(key.as_str())
            && (a, b) != (0, 0)
        {
            self.counts.html_entities += 1;
            let mut t = String::new();
            for n in [a, b] {
                if let Some(c) = char::from_u32(n).filter(|_| n != 0) {
                    t.push_str(&escape_char(c));
                }
            }
            return (t, len);
        }
        if !has_semi {
            // `&lang=` in a URL: a bare ampersand followed by text.
            self.counts.bare_amp += 1;
            return ("&amp;".into(), 1);
        }
        self.counts.entities_unknown += 1;
        (format!("&amp;{name};"), len)
    }

    fn cdata(&mut self, at: usize) -> usize {
        let rest = &self.src[at..];
        let body = &rest["<![CDATA[".len()..];
        let (content, consumed) = match body.find("]]>") {
            // Closed, and before its element ends: a proper section.
            Some(e) if self.closing_tag_at(body).is_none_or(|c| e < c) => (&body[..e], "<![CDATA[".len() + e + 3),
            _ => {
                self.counts.unclosed_cdata += 1;
                let end = self.closing_tag_at(body).unwrap_or(body.len());
                (&body[..end], "<![CDATA[".len() + end)
            }
        };
        if !self.stack.is_empty() {
            let mut out = String::with_capacity(content.len());
            for c in content.chars() {
                match c {
                    '<' => out.push_str("&lt;"),
                    '>' => out.push_str("&gt;"),
                    '&' => out.push_str("&amp;"),
                    c => self.push_char(&mut out, c),
                }
            }
            self.out.push_str(&out);
        }
        consumed
    }

    /// Where the end tag of the innermost open element starts in `s`.
    fn closing_tag_at(&self, s: &str) -> Option<usize> {
        let name = self.stack.last()?;
        s.find(&format!("</{name}"))
    }

    /// A DOCTYPE (or another `<!` declaration): dropped, its simple entities kept for expansion.
    fn doctype(&mut self, at: usize) -> usize {
        let rest = &self.src[at..];
        let end = match (rest.find('['), rest.find('>')) {
            (Some(open), Some(gt)) if open < gt => rest[open..].find("]>").map_or(rest.len(), |e| open + e + 2),
            (_, Some(gt)) => gt + 1,
            _ => rest.len(),
        };
        let decl = &rest[..end];
        let mut budget = MAX_ENTITY_EXPANSION;
        for part in decl.split("<!ENTITY").skip(1) {
            let part = part.trim_start();
            if part.starts_with('%') {
                continue;
            }
            let Some((name, value)) = part.split_once(char::is_whitespace) else {
                continue;
            };
            let value = value.trim_start();
            let Some(q) = value.chars().next().filter(|c| *c == '"' || *c == '\'') else {
                continue; // SYSTEM or PUBLIC: never fetched.
            };
            let Some(close) = value[1..].find(q) else { continue };
            let v = &value[1..1 + close];
            if v.len() <= budget && !v.contains('&') {
                budget -= v.len();
                self.entities.insert(name.to_string(), v.to_string());
            }
        }
        end
    }

    fn end_tag(&mut self, at: usize) -> usize {
        let rest = &self.src[at..];
        let Some(gt) = rest.find('>') else { return rest.len() };
        let name = rest[2..gt].trim();
        if let Some(pos) = self.stack.iter().rposition(|n| n == name) {
            while self.stack.len() > pos + 1 {
                let n = self.stack.pop().expect("deeper than pos");
                self.counts.closed_unclosed += 1;
                self.close(&n);
            }
            self.stack.pop();
            self.close(name);
            if self.stack.is_empty() {
                self.root_done = true;
            }
        } else {
            self.counts.stray_ends += 1;
        }
        gt + 1
    }

    fn close(&mut self, name: &str) {
        self.out.push_str("</");
        self.out.push_str(name);
        self.out.push('>');
    }

    fn start_tag(&mut self, at: usize) -> usize {
        let rest = &self.src[at..];
        let name_len = rest[1..]
            .char_indices()
            .find(|(_, c)| !is_name_char(*c))
            .map_or(rest.len() - 1, |(i, _)| i);
        let name = &rest[1..1 + name_len];
        if name.is_empty() || !name.starts_with(is_name_start) {
            if !self.stack.is_empty() {
                self.counts.lt_as_text += 1;
                self.out.push_str("&lt;");
            }
            return 1;
        }
        // The tag's end: the first `>` outside quotes.
        let mut quote = None;
        let mut end = None;
        for (i, c) in rest.char_indices().skip(1 + name_len) {
            match (quote, c) {
                (None, '"' | '\'') => quote = Some(c),
                (Some(q), c) if c == q => quote = None,
                (None, '>') => {
                    end = Some(i);
                    break;
                }
                (None, '<') => {
                    end = Some(i);
                    break;
                }
                _ => {}
            }
        }
        let Some(end) = end else {
            // Cut off inside a tag: nothing to keep.
            return rest.len();
        };
        let inner = &rest[1 + name_len..end];
        let self_closing = inner.trim_end().ends_with('/');
        let (attrs, unquoted) = attributes(inner.trim_end().trim_end_matches('/'));
        self.counts.unquoted_attrs += unquoted;
        if self.root_done {
            self.counts.junk_outside_root = true;
            return if rest[end..].starts_with('>') { end + 1 } else { end };
        }
        self.note_prefix(name);
        let mut tag = String::with_capacity(inner.len() + name.len() + 8);
        tag.push('<');
        tag.push_str(name);
        self.write_attributes(&mut tag, attrs);
        if self_closing {
            tag.push_str("/>");
        } else {
            tag.push('>');
        }
        self.out.push_str(&tag);
        if self.root_tag_end.is_none() {
            self.root_tag_end = Some(self.out.len() - if self_closing { 2 } else { 1 });
            if self_closing {
                self.root_done = true;
            }
        }
        if !self_closing {
            self.stack.push(name.to_string());
        }
        if rest[end..].starts_with('>') { end + 1 } else { end }
    }

    /// The attributes of a start tag, quoted and escaped, the first `MAX_ATTRIBUTES` of them,
    /// each name once; namespace prefixes noted.
    fn write_attributes(&mut self, tag: &mut String, attrs: Vec<(String, String)>) {
        let mut seen = BTreeSet::new();
        if attrs.len() > MAX_ATTRIBUTES {
            self.counts.attributes_dropped += attrs.len() - MAX_ATTRIBUTES;
        }
        for (k, v) in attrs.into_iter().take(MAX_ATTRIBUTES) {
            if !seen.insert(k.clone()) || !k.starts_with(is_name_start) {
                continue;
            }
            if let Some(p) = k.strip_prefix("xmlns:") {
                self.declared_prefixes.insert(p.to_string());
            } else if k != "xmlns" {
                self.note_prefix(&k);
            }
            tag.push(' ');
            tag.push_str(&k);
            tag.push_str("=\"");
            let v = self.fix_attr(&v).replace('"', "&quot;");
            tag.push_str(&v);
            tag.push('"');
        }
    }

    fn note_prefix(&mut self, name: &str) {
        if let Some((p, _)) = name.split_once(':')
            && p != "xml"
            && p != "xmlns"
        {
            self.used_prefixes.insert(p.to_string());
        }
    }

    fn finish(mut self) -> Repaired {
        let truncated_at = (!self.stack.is_empty()).then_some(self.out.len());
        while let Some(n) = self.stack.pop() {
            self.counts.closed_at_end += 1;
            self.close(&n);
        }
        if let Some(at) = self.root_tag_end {
            let mut decls = String::new();
            let undeclared: Vec<String> = self
                .used_prefixes
                .difference(&self.declared_prefixes)
                .cloned()
                .collect();
            if !undeclared.is_empty() {
                self.undeclared = undeclared.join(", ");
            }
            for p in self.used_prefixes.difference(&self.declared_prefixes) {
                let uri = known_namespace(p)
                    .map(str::to_string)
                    .unwrap_or_else(|| format!("urn:overhear:undeclared:{p}"));
                decls.push_str(&format!(" xmlns:{p}=\"{uri}\""));
            }
            self.out.insert_str(at, &decls);
        }
        let c = &self.counts;
        let mut notes = Vec::new();
        let mut say = |n: usize, what: &str| {
            if n > 0 {
                notes.push(format!("{n} {what}"));
            }
        };
        say(c.bare_amp, "bare & kept as text");
        say(c.entities_unknown, "unknown entity reference(s) kept as text");
        say(c.bad_refs, "numeric reference(s) to no character kept as text");
        say(c.lt_as_text, "< that started no tag kept as text");
        say(c.closed_unclosed, "unclosed element(s) closed");
        say(c.stray_ends, "stray end tag(s) dropped");
        say(c.unclosed_cdata, "unclosed CDATA section(s) ended with their element");
        say(c.forbidden_chars, "character(s) XML forbids dropped");
        say(c.c1_mapped, "C1 control(s) read as Windows-1252");
        say(
            c.html_entities,
            "HTML entity reference(s) XML does not define read as HTML",
        );
        say(
            c.lenient_refs,
            "numeric reference(s) read leniently (C1 as Windows-1252, &#X, no ;)",
        );
        say(c.unquoted_attrs, "attribute value(s) without quotes");
        say(c.attributes_dropped, "attribute(s) past 64 on one element dropped");
        say(
            c.entities_not_expanded,
            "entity reference(s) past the expansion limit kept as text",
        );
        if !self.undeclared.is_empty() {
            notes.push(format!(
                "namespace prefix(es) used without a declaration: {}",
                self.undeclared
            ));
        }
        if c.closed_at_end > 0 {
            notes.push(format!(
                "the document ends early: {} element(s) closed at the end",
                c.closed_at_end
            ));
        }
        if c.junk_outside_root {
            notes.push("text outside the root element ignored".into());
        }
        Repaired {
            xml: self.out,
            notes,
            truncated_at,
        }
    }
}

/// Attributes as written: `k="v"`, `k='v'`, `k=v` or a bare `k`; and how many lacked quotes.
fn attributes(s: &str) -> (Vec<(String, String)>, usize) {
    let mut unquoted = 0;
    let mut out = Vec::new();
    let mut rest = s.trim_start();
    while !rest.is_empty() {
        let key_len = rest.find(|c: char| c.is_whitespace() || c == '=').unwrap_or(rest.len());
        let key = &rest[..key_len];
        rest = rest[key_len..].trim_start();
        if let Some(r) = rest.strip_prefix('=') {
            let r = r.trim_start();
            let (value, after) = match r.chars().next() {
                Some(q @ ('"' | '\'')) => match r[1..].find(q) {
                    Some(e) => (&r[1..1 + e], &r[2 + e..]),
                    None => (&r[1..], ""),
                },
                _ => {
                    unquoted += 1;
                    let e = r.find(char::is_whitespace).unwrap_or(r.len());
                    (&r[..e], &r[e..])
                }
            };
            if !key.is_empty() {
                out.push((key.to_string(), value.to_string()));
            }
            rest = after.trim_start();
        } else if !key.is_empty() {
            unquoted += 1;
            out.push((key.to_string(), key.to_string()));
        } else {
            // A lone `=` or garbage: skip one character.
            rest = rest.get(1..).unwrap_or("").trim_start();
        }
    }
    (out, unquoted)
}

fn escape_char(c: char) -> String {
    match c {
        '<' => "&lt;".into(),
        '>' => "&gt;".into(),
        '&' => "&amp;".into(),
        '"' => "&quot;".into(),
        c => c.to_string(),
    }
}

fn is_name_start(c: char) -> bool {
    c.is_alphabetic() || c == '_' || c == ':'
}

fn is_name_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | ':' | '-' | '.' | '\u{b7}')
}

/// Characters XML 1.0 allows.
fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}' | '\u{10000}'..)
}

/// The Windows-1252 character a C1 control stands for (U+0092 is `’`), as browsers read them.
pub fn c1_to_cp1252(c: char) -> Option<char> {
    if !('\u{80}'..='\u{9f}').contains(&c) {
        return None;
    }
    let byte = [c as u32 as u8];
    let (s, _, _) = encoding_rs::WINDOWS_1252.decode(&byte);
    s.chars().next().filter(|m| *m != c)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixed(s: &str) -> String {
        repair(s).xml
    }

    #[test]
    fn entities_are_read_as_a_browser_reads_them() {
        assert_eq!(
            fixed("<a>&aacute; &#146; &#x2019; &amp; &bogus; a & b</a>"),
            "<a>á ’ ’ &amp; &amp;bogus; a &amp; b</a>"
        );
        assert_eq!(
            fixed("<a>&#0; &#xD800; &#99999999;</a>"),
            "<a>&amp;#0; &amp;#xD800; &amp;#99999999;</a>"
        );
        assert_eq!(
            fixed("<a href=\"x?a=1&lang=en\">t</a>"),
            "<a href=\"x?a=1&amp;lang=en\">t</a>"
        );
    }

    #[test]
    fn tags_are_balanced_and_stray_ones_dropped() {
        assert_eq!(fixed("<r><a><b>x</a></c></r>"), "<r><a><b>x</b></a></r>");
        assert_eq!(fixed("<r><a>cut"), "<r><a>cut</a></r>");
        assert_eq!(fixed("<r>1 < 2 <3</r>"), "<r>1 &lt; 2 &lt;3</r>");
        assert_eq!(fixed("junk<r a=b c>x</r>more"), "<r a=\"b\" c=\"c\">x</r>");
    }

    #[test]
    fn an_unclosed_cdata_ends_with_its_element() {
        assert_eq!(
            fixed("<r><i><d><![CDATA[<b>x</b></d></i><i><d>y</d></i></r>"),
            "<r><i><d>&lt;b&gt;x&lt;/b&gt;</d></i><i><d>y</d></i></r>"
        );
    }

    #[test]
    fn dtd_entities_expand_once_and_external_ones_never() {
        let doc = "<!DOCTYPE r [<!ENTITY me \"Mark\"><!ENTITY x SYSTEM \"file:///etc/passwd\">]><r>&me; &x;</r>";
        assert_eq!(fixed(doc), "<r>Mark &amp;x;</r>");
        let bomb = "<!DOCTYPE r [<!ENTITY a \"aaaa\"><!ENTITY b \"&a;&a;&a;\">]><r>&b;</r>";
        assert_eq!(
            fixed(bomb),
            "<r>&amp;b;</r>",
            "entities that refer to entities are not expanded"
        );
    }

    #[test]
    fn undeclared_prefixes_get_a_namespace() {
        let x = fixed("<rss><item><dc:creator>A</dc:creator><foo:bar/></item></rss>");
        assert!(
            x.starts_with(
                "<rss xmlns:dc=\"http://purl.org/dc/elements/1.1/\" xmlns:foo=\"urn:overhear:undeclared:foo\">"
            ),
            "{x}"
        );
        assert!(roxmltree::Document::parse(&x).is_ok());
    }

    #[test]
    fn c1_controls_and_forbidden_characters() {
        let r = repair("<a>don\u{92}t\u{1}</a>");
        assert_eq!(r.xml, "<a>don’t</a>");
        assert_eq!(r.notes.len(), 2, "{:?}", r.notes);
    }
}
