//! Display width by grapheme cluster, truncation and padding to a width.

use super::*;

/// Cells one grapheme cluster takes: `unicode-width` on the whole cluster (so combining marks
/// add nothing and emoji sequences count 2); control characters take none.
pub(super) fn grapheme_width(g: &str) -> usize {
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

/// Whether a character is one terminals draw as an emoji picture (the common blocks).
fn is_pictograph(c: char) -> bool {
    matches!(c,
        '\u{1F000}'..='\u{1FAFF}' | '\u{2600}'..='\u{27BF}' | '\u{2B00}'..='\u{2BFF}' | '\u{2190}'..='\u{21FF}'
        | '\u{2300}'..='\u{23FF}' | '\u{25A0}'..='\u{25FF}' | '\u{2900}'..='\u{297F}' | '\u{3030}' | '\u{303D}'
        | '\u{3297}' | '\u{3299}' | '\u{00A9}' | '\u{00AE}' | '\u{203C}' | '\u{2049}' | '\u{2122}' | '\u{2139}')
}

/// Text as it is drawn: emoji sequences that terminals disagree on the width of (a variation
/// selector, a skin tone, a zero-width joiner between pictures, a keycap) are drawn as their first
/// picture alone, which every terminal and ratatui measure the same way. `❤️` draws as `❤`,
/// `👍🏽` as `👍`, `👩‍🔬` as `👩`. The stored text keeps the whole sequence.
pub fn for_screen(s: &str) -> String {
    if s.is_ascii() {
        return s.to_owned();
    }
    let mut out = String::with_capacity(s.len());
    for g in s.graphemes(true) {
        let mut chars = g.chars();
        let first = chars.next().unwrap_or(' ');
        let sequence = g.chars().count() > 1
            && g.chars().any(|c| {
                matches!(
                    c,
                    '\u{FE0F}' | '\u{FE0E}' | '\u{200D}' | '\u{20E3}' | '\u{1F3FB}'..='\u{1F3FF}'
                )
            });
        if sequence && (is_pictograph(first) || g.contains('\u{20E3}')) {
            out.push(first);
        } else {
            out.push_str(g);
        }
    }
    out
}

/// [`sanitize_line`] then [`for_screen`]: a stranger's string, ready for one line of the screen.
pub fn screen_line(s: &str) -> String {
    for_screen(&sanitize_line(s))
}

/// [`sanitize`] then [`for_screen`]: a stranger's text, ready for the screen, line breaks kept.
pub fn screen(s: &str) -> String {
    for_screen(&sanitize(s))
}

#[cfg(test)]
mod emoji_tests {
    use super::*;

    #[test]
    fn sequences_terminals_disagree_on_draw_as_their_first_picture() {
        assert_eq!(for_screen("I \u{2764}\u{FE0F} it"), "I \u{2764} it");
        assert_eq!(for_screen("\u{1F44D}\u{1F3FD} ok"), "\u{1F44D} ok");
        assert_eq!(for_screen("\u{1F469}\u{200D}\u{1F52C} lab"), "\u{1F469} lab");
        assert_eq!(for_screen("\u{1F3F3}\u{FE0F}\u{200D}\u{1F308}"), "\u{1F3F3}");
        assert_eq!(for_screen("#\u{FE0F}\u{20E3}"), "#");
        assert_eq!(
            for_screen("caf\u{E9} \u{65}\u{301}"),
            "caf\u{E9} \u{65}\u{301}",
            "other clusters are kept"
        );
        for s in [
            "\u{2764}\u{FE0F}",
            "\u{1F44D}\u{1F3FD}",
            "\u{26A0}\u{FE0F}",
            "\u{270C}\u{FE0F}",
        ] {
            let shown = for_screen(s);
            let per_code_point: usize = shown
                .chars()
                .map(|c| unicode_width::UnicodeWidthChar::width(c).unwrap_or(0))
                .sum();
            assert_eq!(
                display_width(&shown),
                per_code_point,
                "{s:?}: ratatui and a terminal agree"
            );
        }
    }
}
