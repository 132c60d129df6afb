//! Links as feeds write them: redirect wrappers (Google Alerts, Talkwalker) unwrapped.

use super::*;

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
pub(super) fn is_google_host(host: &str) -> bool {
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
