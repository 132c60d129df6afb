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
