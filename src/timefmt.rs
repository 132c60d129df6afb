//! Times as people read them: ages in the stream, "3m ago" / "in 4m" in health lists.

use chrono::{DateTime, Datelike, Utc};

/// A compact age for the stream: "now", "45s", "3m", "2h", "Nov 19", "2025-11-19".
pub fn age(now: DateTime<Utc>, t: DateTime<Utc>) -> String {
    let secs = (now - t).num_seconds();
    if secs < 10 {
        "now".to_string()
    } else if secs < 60 {
        format!("{secs}s")
    } else if secs < 3600 {
        format!("{}m", secs / 60)
    } else if secs < 86_400 {
        format!("{}h", secs / 3600)
    } else if t.year() == now.year() {
        t.format("%b %d").to_string()
    } else {
        t.format("%Y-%m-%d").to_string()
    }
}

/// "3m ago" for the past, "in 4m" for the future (or bare when `words` is false).
pub fn relative(now: DateTime<Utc>, t: DateTime<Utc>, words: bool) -> String {
    let secs = (t - now).num_seconds();
    let span = span(secs.unsigned_abs());
    if !words {
        return span;
    }
    match secs {
        0 => "now".to_string(),
        s if s > 0 => format!("in {span}"),
        _ => format!("{span} ago"),
    }
}

fn span(secs: u64) -> String {
    match secs {
        s if s < 60 => format!("{s}s"),
        s if s < 3600 => format!("{}m", s / 60),
        s if s < 86_400 => format!("{}h{:02}m", s / 3600, (s % 3600) / 60),
        s => format!("{}d", s / 86_400),
    }
}

/// A wait as people read it: whole seconds, the two largest units ("2m", "1h 30m", "3d 4h").
pub fn wait(d: std::time::Duration) -> String {
    let secs = d.as_secs() + u64::from(d.subsec_nanos() >= 500_000_000);
    let (days, hours, mins, s) = (secs / 86_400, secs / 3600 % 24, secs / 60 % 60, secs % 60);
    match (days, hours, mins) {
        (0, 0, 0) => format!("{s}s"),
        (0, 0, m) if s == 0 => format!("{m}m"),
        (0, 0, m) => format!("{m}m {s}s"),
        (0, h, 0) => format!("{h}h"),
        (0, h, m) => format!("{h}h {m}m"),
        (d, 0, _) => format!("{d}d"),
        (d, h, _) => format!("{d}d {h}h"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn ages_read_like_the_issue_says() {
        let now = Utc.with_ymd_and_hms(2026, 11, 24, 12, 0, 0).unwrap();
        let ago = |s: i64| age(now, now - chrono::Duration::seconds(s));
        assert_eq!(ago(3), "now");
        assert_eq!(ago(45), "45s");
        assert_eq!(ago(180), "3m");
        assert_eq!(ago(7200), "2h");
        assert_eq!(ago(5 * 86_400), "Nov 19");
        assert_eq!(
            age(now, Utc.with_ymd_and_hms(2025, 11, 19, 0, 0, 0).unwrap()),
            "2025-11-19"
        );
    }

    #[test]
    fn relative_times_have_a_direction() {
        let now = Utc::now();
        assert_eq!(relative(now, now + chrono::Duration::seconds(240), true), "in 4m");
        assert_eq!(relative(now, now - chrono::Duration::seconds(180), true), "3m ago");
        assert_eq!(relative(now, now - chrono::Duration::seconds(5400), true), "1h30m ago");
    }
}
