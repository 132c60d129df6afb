//! The config loader: any text is a config or an error naming its place, never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = overhear::config::Config::parse(std::path::Path::new("fuzz.toml"), &text);
});
