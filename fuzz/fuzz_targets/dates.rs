//! Feed dates: any string is a date or none, never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = overhear::sources::dates::parse(&String::from_utf8_lossy(data));
});
