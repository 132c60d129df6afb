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

/// Query parameters that say who sent a reader, never what they read: dropped from a canonical
/// link (`utm_*` and `mc_*` by prefix).
const TRACKING: &[&str] = &[
    "fbclid",
    "gclid",
    "dclid",
    "gbraid",
    "wbraid",
    "msclkid",
    "yclid",
    "igshid",
    "mkt_tok",
    "ref",
    "ref_src",
    "ref_url",
    "referrer",
    "source",
    "src",
    "cmpid",
    "ncid",
    "s_cid",
    "spm",
    "share",
    "si",
    "sr_share",
    "_ga",
    "_gl",
    "__twitter_impression",
    "amp",
    "outputtype",
    "output",
    "smid",
    "smtyp",
    "trk",
    "trkcampaign",
    "feature",
    "ito",
    "cid",
    "at_medium",
    "at_campaign",
    "guccounter",
    "guce_referrer",
    "guce_referrer_sig",
];

/// Redirect wrappers besides Google's: the host and path, and the parameter holding the real link.
const WRAPPERS: &[(&str, &str, &str)] = &[
    ("l.facebook.com", "/l.php", "u"),
    ("lm.facebook.com", "/l.php", "u"),
    ("out.reddit.com", "/", "url"),
    ("www.reddit.com", "/out", "url"),
    ("l.instagram.com", "/", "u"),
    ("href.li", "/", ""),
    ("news.google.com", "/url", "url"),
    ("www.linkedin.com", "/redir/redirect", "url"),
];

/// A link as the page it leads to, whatever the way in: the same article through Google Alerts,
/// a feed, a share button or an AMP page has one canonical link. Redirect wrappers are unwrapped;
/// the scheme, `www.`, `m.` and `amp.` are dropped from the host, and `/amp` from the path;
/// tracking parameters go, the others are sorted; the fragment and a trailing slash go.
/// `None` for what is not an http(s) link to a host.
pub fn canonical(url: &str) -> Option<String> {
    let unwrapped = unwrap_redirect(url);
    let mut parsed = Url::parse(unwrapped.trim()).ok()?;
    for _ in 0..3 {
        let Some(inner) = unwrap_wrapper(&parsed) else { break };
        parsed = inner;
    }
    if !matches!(parsed.scheme(), "http" | "https") {
        return None;
    }
    let host = parsed.host_str()?.to_ascii_lowercase();
    let mut host = host.as_str();
    for prefix in ["www.", "m.", "mobile.", "amp."] {
        if let Some(rest) = host.strip_prefix(prefix)
            && rest.contains('.')
        {
            host = rest;
        }
    }
    let mut path = parsed.path().to_string();
    for suffix in ["/amp", "/amp/", "/amp.html", ".amp"] {
        if path.len() > suffix.len() && path.ends_with(suffix) {
            path.truncate(path.len() - suffix.len());
        }
    }
    if let Some(rest) = path.strip_prefix("/amp/") {
        path = format!("/{rest}");
    }
    while path.len() > 1 && path.ends_with('/') {
        path.pop();
    }
    if path == "/" {
        path.clear();
    }
    let mut kept: Vec<(String, String)> = parsed
        .query_pairs()
        .filter(|(k, _)| {
            let k = k.to_ascii_lowercase();
            !(k.starts_with("utm_") || k.starts_with("mc_") || k.starts_with("hsa_") || TRACKING.contains(&k.as_str()))
        })
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    kept.sort();
    let mut out = format!(
        "{host}{}{path}",
        parsed.port().map(|p| format!(":{p}")).unwrap_or_default()
    );
    if !kept.is_empty() {
        out.push('?');
        out.push_str(
            &url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs(kept)
                .finish(),
        );
    }
    Some(out)
}

/// The link inside a known redirect wrapper, if `u` is one.
fn unwrap_wrapper(u: &Url) -> Option<Url> {
    let host = u.host_str()?;
    let (_, _, key) = WRAPPERS
        .iter()
        .find(|(h, p, _)| host.eq_ignore_ascii_case(h) && (u.path() == *p || (*p == "/" && u.path().len() <= 1)))?;
    let inner = if key.is_empty() {
        // href.li/?https://example.com/…: the whole query is the link.
        u.query().map(str::to_string)?
    } else {
        u.query_pairs().find(|(k, _)| k == key).map(|(_, v)| v.into_owned())?
    };
    let inner = Url::parse(inner.trim()).ok()?;
    (matches!(inner.scheme(), "http" | "https") && inner.host_str().is_some()).then_some(inner)
}

// ---------------------------------------------------------------------------------------------
