//! HTML to plain text: never panics, never lets an escape through.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let s = String::from_utf8_lossy(data);
    let t = overhear::text::html_to_text(&s);
    assert!(!t.contains('\u{1b}'));
    let _ = overhear::text::strip_tags_inline(&s);
});
