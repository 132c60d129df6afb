//! Terminal sanitising: what may reach a screen, a shell or a log from a stranger's text.

pub(super) const ESC: char = '\u{1b}';
pub(super) const BEL: char = '\u{07}';
/// String Terminator in its 8-bit form.
pub(super) const ST_C1: char = '\u{9c}';
/// What a truncated string ends with; one cell wide.
pub(super) const ELLIPSIS: char = '…';

/// HTML beyond this many bytes is cut off before parsing: it bounds the time one feed item can
/// take (the text is clipped far below this further on anyway).
pub(super) const MAX_HTML_BYTES: usize = 1 << 20;
/// Render width for html2text: wider than any line can be, so nothing is ever wrapped, and far
/// enough from `usize::MAX` that its arithmetic cannot overflow.
pub(super) const RENDER_WIDTH: usize = usize::MAX >> 8;

/// True for the Unicode "Cf" (format) characters, which are invisible: bidi controls, zero-width
/// characters, the soft hyphen, tag characters, interlinear annotations and the like. The emoji
/// variation selectors U+FE0E/U+FE0F are not format characters and are kept.
pub(super) fn is_format(c: char) -> bool {
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

/// Whether [`sanitize`] would give `s` back unchanged: printable ASCII and line feeds, and
/// non-ASCII characters that are neither forbidden nor a joiner (kept only between pictures) nor
/// NEL. Bytes are checked in bulk; only non-ASCII characters are decoded. Most text passes.
fn is_clean(s: &str) -> bool {
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b < 0x80 {
            if !matches!(b, b' '..=b'~' | b'\n') {
                return false;
            }
            i += 1;
            continue;
        }
        // A non-ASCII character starts here (`s` is valid UTF-8, so `i` is a boundary).
        let c = s[i..].chars().next().unwrap_or('\0');
        if c == '\u{200D}' || c == '\u{85}' || is_forbidden(c) {
            return false;
        }
        i += c.len_utf8();
    }
    true
}

/// Where `sanitize` is inside an escape sequence.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Seq {
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
    if is_clean(s) {
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
                    '\u{2028}' | '\u{2029}' | '\u{85}' => out.push('\n'),
                    // A zero-width joiner between two pictures is part of one emoji (👩‍🔬).
                    '\u{200D}'
                        if out
                            .chars()
                            .next_back()
                            .is_some_and(|p| !p.is_ascii() && !p.is_whitespace() && !is_format(p))
                            && chars
                                .peek()
                                .is_some_and(|n| !n.is_ascii() && !n.is_whitespace() && !is_forbidden(*n)) =>
                    {
                        out.push('\u{200D}');
                    }
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

/// Runs of white space (line breaks included) as one space, trimmed.
pub fn collapse_whitespace(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for word in s.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}
