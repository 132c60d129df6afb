//! The terminal sanitiser: never panics, idempotent, nothing forbidden survives.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let s = String::from_utf8_lossy(data);
    let once = overhear::text::sanitize(&s);
    assert_eq!(overhear::text::sanitize(&once), once, "idempotent");
    assert!(!once.contains('\u{1b}') && !once.contains('\u{9b}'));
    let line = overhear::text::screen_line(&s);
    assert!(!line.contains('\n'));
});
