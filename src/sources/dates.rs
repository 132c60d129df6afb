//! Dates as feeds write them, read leniently but never invented: W3C-DTF and ISO 8601 (with or
//! without a zone, partial, compact, a space for the `T`), RFC 822 and its variants (a weekday or
//! none, full month names, an extra comma, no seconds, no time, two-digit years, named zones
//! from `UT` to `CEST` and `Etc/GMT`, `GMT-01:01`), asctime, and Twitter's `Sun Jul 15 01:16:00
//! +0000 2012`. A date that does not exist (`25:14`, 30 February) is no date: `None`, never a
//! rolled-over one. No zone means UTC.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime, TimeZone, Utc};

/// The instant a feed's date string means, or `None` when it means none.
pub fn parse(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if s.is_empty() || s.len() > 100 {
        return None;
    }
    if s.as_bytes()[0].is_ascii_digit() && s.len() >= 4 && s.as_bytes()[..4].iter().all(u8::is_ascii_digit) {
        if let Some(d) = iso(s) {
            return Some(d);
        }
    }
    words(s)
}

/// W3C-DTF / ISO 8601: `2003`, `2003-12`, `2003-12-31`, `…T10:14`, `…T10:14:55.123-08:00`,
/// `2004-07-08 23:56:58 -00:20`, `20040708T235658Z`.
fn iso(s: &str) -> Option<DateTime<Utc>> {
    let (date, rest) = match s.find(['T', 't', ' ']) {
        Some(i) => (&s[..i], s[i + 1..].trim()),
        None => (s, ""),
    };
    let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    let parts: Vec<&str> = date.split('-').collect();
    let (y, m, d) = match parts.as_slice() {
        [y] if y.len() == 8 && digits(y) => (y[..4].parse().ok()?, y[4..6].parse().ok()?, y[6..].parse().ok()?),
        [y] if y.len() == 4 && digits(y) => (y.parse().ok()?, 1, 1),
        [y, m] if digits(y) && digits(m) => (y.parse().ok()?, m.parse().ok()?, 1),
        [y, m, d] if digits(y) && digits(m) && digits(d) => (y.parse().ok()?, m.parse().ok()?, d.parse().ok()?),
        _ => return None,
    };
    let day = NaiveDate::from_ymd_opt(y, m, d)?;
    if rest.is_empty() {
        return Some(day.and_hms_opt(0, 0, 0)?.and_utc());
    }
    // The time, then a zone: `Z`, `±hh:mm`, `±hhmm`, `±hh`, or a word (`UTC`).
    let zone_at = rest
        .char_indices()
        .skip(1)
        .find(|(_, c)| matches!(c, 'Z' | 'z' | '+' | '-' | ' '))
        .map_or(rest.len(), |(i, _)| i);
    let (time, zone) = (rest[..zone_at].trim(), rest[zone_at..].trim());
    let time = clock(time)?;
    let offset = if zone.is_empty() { Some(0) } else { zone_offset(zone) }?;
    at(day, time, offset)
}

/// `hh:mm`, `hh:mm:ss`, `hh:mm:ss.fff`, `hhmmss`.
fn clock(t: &str) -> Option<NaiveTime> {
    let t = t.split(['.', ',']).next()?;
    let nums: Vec<u32> = if t.contains(':') {
        t.split(':').map(|p| p.parse().ok()).collect::<Option<_>>()?
    } else if t.len() == 6 || t.len() == 4 {
        (0..t.len() / 2)
            .map(|i| t[i * 2..i * 2 + 2].parse().ok())
            .collect::<Option<_>>()?
    } else {
        return None;
    };
    match nums.as_slice() {
        [h, m] => NaiveTime::from_hms_opt(*h, *m, 0),
        [h, m, s] => NaiveTime::from_hms_opt(*h, *m, *s),
        _ => None,
    }
}

fn at(day: NaiveDate, time: NaiveTime, offset_secs: i32) -> Option<DateTime<Utc>> {
    let zone = FixedOffset::east_opt(offset_secs)?;
    zone.from_local_datetime(&day.and_time(time))
        .single()
        .map(|d| d.to_utc())
}

/// RFC 822 and friends, read word by word: a weekday is skipped, the month is a name, the day is
/// a number of one or two digits, the year one of four (or two), the time has colons, and what is
/// left is the zone.
fn words(s: &str) -> Option<DateTime<Utc>> {
    let mut day = None;
    let mut month = None;
    let mut year = None;
    let mut time = None;
    let mut zone: Option<i32> = None;
    let tokens: Vec<&str> = s.split([' ', ',', '\t']).filter(|t| !t.is_empty()).collect();
    let mut i = 0;
    while i < tokens.len() {
        let t = tokens[i];
        let lower = t.to_ascii_lowercase();
        let trimmed = lower.trim_end_matches('.');
        if let Some(m) = month_number(trimmed) {
            if month.is_some() {
                return None;
            }
            month = Some(m);
        } else if is_weekday(trimmed) {
        } else if t.contains(':') && t.as_bytes()[0].is_ascii_digit() {
            if time.is_some() {
                return None;
            }
            time = Some(clock(t)?);
        } else if t.bytes().all(|b| b.is_ascii_digit()) {
            let n: i32 = t.parse().ok()?;
            match (t.len(), day, year) {
                (1 | 2, None, _) if month.is_some() || year.is_none() => day = Some(n as u32),
                (4, _, None) => year = Some(n),
                (2, Some(_), None) => year = Some(if n < 50 { 2000 + n } else { 1900 + n }),
                _ => return None,
            }
        } else if zone.is_none() {
            // A zone may be split: `GMT -0100`, `GMT+01:00`.
            let mut z = t.to_string();
            if let Some(next) = tokens.get(i + 1)
                && (next.starts_with('+') || next.starts_with('-'))
                && zone_offset(&z).is_some()
            {
                z.push_str(next);
                i += 1;
            }
            zone = Some(zone_offset(&z)?);
        } else {
            return None;
        }
        i += 1;
    }
    let date = NaiveDate::from_ymd_opt(year?, month?, day?)?;
    let time = match time {
        Some(t) => t,
        None => NaiveTime::from_hms_opt(0, 0, 0)?,
    };
    at(date, time, zone.unwrap_or(0))
}

fn month_number(t: &str) -> Option<u32> {
    const MONTHS: [&str; 12] = [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ];
    if t.len() < 3 {
        return None;
    }
    MONTHS
        .iter()
        .position(|m| *m == t || (t.len() == 3 && m.starts_with(t)) || (t == "sept" && *m == "september"))
        .map(|i| i as u32 + 1)
}

fn is_weekday(t: &str) -> bool {
    const DAYS: [&str; 7] = [
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
    ];
    t.len() >= 3
        && DAYS
            .iter()
            .any(|d| *d == t || d.starts_with(t) && (t.len() == 3 || t == "tues" || t == "thur" || t == "thurs"))
}

/// A zone in seconds east of UTC: a name, `Z`, `±hh:mm`, `±hhmm`, `±hh`, `GMT±hh:mm`, `Etc/GMT`.
fn zone_offset(z: &str) -> Option<i32> {
    let up = z.trim().to_ascii_uppercase();
    let hours = |h: i32| Some(h * 3600);
    match up.as_str() {
        "Z" | "UT" | "UTC" | "GMT" | "ETC/GMT" | "ETC/UTC" | "WET" | "ZULU" => return hours(0),
        "EST" | "ET" => return hours(-5),
        "EDT" => return hours(-4),
        "CST" | "CT" => return hours(-6),
        "CDT" => return hours(-5),
        "MST" | "MT" => return hours(-7),
        "MDT" => return hours(-6),
        "PST" | "PT" => return hours(-8),
        "PDT" => return hours(-7),
        "AKST" => return hours(-9),
        "AKDT" => return hours(-8),
        "HST" => return hours(-10),
        "AST" => return hours(-4),
        "ADT" => return hours(-3),
        "NST" => return Some(-(3 * 3600 + 1800)),
        "BST" | "WEST" | "CET" | "MET" => return hours(1),
        "CEST" | "MEST" | "EET" | "MESZ" => return hours(2),
        "EEST" | "MSK" => return hours(3),
        "JST" | "KST" => return hours(9),
        "AEST" => return hours(10),
        "AEDT" => return hours(11),
        _ => {}
    }
    let rest = up
        .strip_prefix("GMT")
        .or_else(|| up.strip_prefix("UTC"))
        .or_else(|| up.strip_prefix("UT"))
        .unwrap_or(&up);
    let (sign, num) = match rest.as_bytes().first()? {
        b'+' => (1, &rest[1..]),
        b'-' => (-1, &rest[1..]),
        _ => return None,
    };
    if !num.bytes().all(|b| b.is_ascii_digit() || b == b':') {
        return None;
    }
    let (h, m): (i32, i32) = match num.split_once(':') {
        Some((h, m)) => (h.parse().ok()?, m.parse().ok()?),
        None if num.len() == 4 => (num[..2].parse().ok()?, num[2..].parse().ok()?),
        None if num.len() <= 2 => (num.parse().ok()?, 0),
        None => return None,
    };
    if h > 14 || m > 59 {
        return None;
    }
    Some(sign * (h * 3600 + m * 60))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Option<String> {
        parse(s).map(|d| d.to_rfc3339())
    }

    #[test]
    fn the_forms_feeds_write() {
        let utc = |s: &str| Some(s.parse::<DateTime<Utc>>().unwrap().to_rfc3339());
        assert_eq!(at("Thu, 08 Jul 2004 23:56:58 GMT"), utc("2004-07-08T23:56:58Z"));
        assert_eq!(at("2004-07-08 23:56:58"), utc("2004-07-08T23:56:58Z"));
        assert_eq!(at("Thu, 01 Jan 2004"), utc("2004-01-01T00:00:00Z"));
        assert_eq!(at("Mon, 13 Feb, 2012 06:28:00 UTC"), utc("2012-02-13T06:28:00Z"));
        assert_eq!(at("Sun Jan  4 16:29:06 2004"), utc("2004-01-04T16:29:06Z"));
        assert_eq!(at("Wed, 19 Aug 2009 18:28:00 Etc/GMT"), utc("2009-08-19T18:28:00Z"));
        assert_eq!(at("Thu, 30 Apr 2015 08:57:00 MEST"), utc("2015-04-30T06:57:00Z"));
        assert_eq!(at("Wed, 19 Feb 2012 22:40:00 GMT-01:01"), utc("2012-02-19T23:41:00Z"));
        assert_eq!(at("Thursday, 08 July 2004 18:56:58 CST"), utc("2004-07-09T00:56:58Z"));
        assert_eq!(at("2003-12"), utc("2003-12-01T00:00:00Z"));
        assert_eq!(at("2003"), utc("2003-01-01T00:00:00Z"));
        assert_eq!(at("2004-07-08T23:56:58"), utc("2004-07-08T23:56:58Z"));
        assert_eq!(at("20040708T235658Z"), utc("2004-07-08T23:56:58Z"));
        assert_eq!(at("2007-04-23T23:25:47.000+10:00"), utc("2007-04-23T13:25:47Z"));
        assert_eq!(at("Sun Jul 15 01:16:00 +0000 2012"), utc("2012-07-15T01:16:00Z"));
        assert_eq!(at("Thu, 01 Jan 04 19:48:21 GMT"), utc("2004-01-01T19:48:21Z"));
        assert_eq!(at("Mon, 26 January 2004 16:31:00 PT"), utc("2004-01-27T00:31:00Z"));
    }

    #[test]
    fn impossible_dates_are_no_dates() {
        for s in [
            "Thu, 08 Jul 2004 25:14:00 GMT",
            "2003-12-31T25:14:55Z",
            "2003-12-31T10:61:55Z",
            "2004-13-01T00:00:00Z",
            "Mon, 30 Feb 2004 10:00:00 GMT",
            "Sun, 99 Jun 2009 12:00:00 GMT",
            "Sun, 16 zzz 2012 11:47:32 GMT",
            "yesterday afternoon",
            "",
            // Found by fuzzing: a zone of four bytes that are not four characters.
            "+\u{1}\u{fffd}",
        ] {
            assert_eq!(at(s), None, "{s}");
        }
    }
}
