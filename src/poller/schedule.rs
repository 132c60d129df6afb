//! When a feed is polled next: the interval with jitter, exponential backoff after failures, the
//! wait a server asked for (Retry-After, a spent quota). Pure functions of `now` and a random
//! draw, so every rule is unit-tested without a clock.

use chrono::{DateTime, Utc};
use std::time::Duration;

/// Longest wait a failing feed backs off to (unless its own interval is longer).
pub const MAX_BACKOFF: Duration = Duration::from_secs(60 * 60);
/// Longest wait a server may ask for; a longer one is cut to this.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(24 * 60 * 60);

/// A random draw in `[-1, 1]` for the jitter.
pub fn draw() -> f64 {
    fastrand::f64() * 2.0 - 1.0
}

/// The interval with ±10% jitter (`draw` in `[-1, 1]`), so feeds on one host do not poll in
/// lockstep.
pub fn jittered(every: Duration, draw: f64) -> chrono::Duration {
    let ms = every.as_millis().min(i64::MAX as u128) as i64;
    let spread = (ms / 10) as f64 * draw.clamp(-1.0, 1.0);
    chrono::Duration::milliseconds(ms.saturating_add(spread.round() as i64))
}

/// Wait after the `failures`-th failure in a row: the interval doubled per failure, capped at an
/// hour (or the interval itself when that is longer).
pub fn backoff(every: Duration, failures: u32) -> chrono::Duration {
    let cap = MAX_BACKOFF.max(every);
    let factor = 2u32.saturating_pow(failures.min(16));
    let d = every.saturating_mul(factor).min(cap);
    chrono::Duration::from_std(d).unwrap_or(chrono::Duration::hours(1))
}

/// `Retry-After` as seconds or an HTTP date, seen at `now`.
pub fn parse_retry_after(v: &str, now: DateTime<Utc>) -> Option<Duration> {
    let v = v.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = DateTime::parse_from_rfc2822(v).ok()?.to_utc();
    Some((when - now).to_std().unwrap_or(Duration::ZERO))
}

/// A server's wait, cut to [`MAX_RETRY_AFTER`], from `now`.
pub fn after_wait(now: DateTime<Utc>, wait: Duration) -> DateTime<Utc> {
    now + chrono::Duration::from_std(wait.min(MAX_RETRY_AFTER)).unwrap_or_default()
}

/// The next poll after a successful one: the jittered interval, or later when the service
/// asked to wait longer (a backoff, a spent quota).
pub fn after_success(now: DateTime<Utc>, every: Duration, service_wait: Option<Duration>, draw: f64) -> DateTime<Utc> {
    let next = now + jittered(every, draw);
    match service_wait {
        Some(w) => next.max(after_wait(now, w)),
        None => next,
    }
}

/// The next poll after a failure: when the server said (then nothing is asked before it), else
/// the backoff for `failures` in a row. Returns (next poll, the server's "not before").
pub fn after_failure(
    now: DateTime<Utc>,
    every: Duration,
    failures: u32,
    retry_after: Option<Duration>,
) -> (DateTime<Utc>, Option<DateTime<Utc>>) {
    let until = retry_after.map(|d| after_wait(now, d));
    (until.unwrap_or_else(|| now + backoff(every, failures)), until)
}

/// The first poll of a feed when the poller starts: its stored schedule when that is still
/// ahead (a new holder continues it, no burst), else soon, spread over up to 3 s (`draw` in
/// `[0, 1]`).
pub fn first_due(now: DateTime<Utc>, stored: Option<DateTime<Utc>>, every: Duration, draw: f64) -> DateTime<Utc> {
    let spread_ms = every.as_millis().min(3000) as f64 * draw.clamp(0.0, 1.0);
    stored
        .filter(|d| *d > now)
        .unwrap_or(now + chrono::Duration::milliseconds(spread_ms as i64))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn backoff_doubles_and_caps() {
        let five = Duration::from_secs(300);
        assert_eq!(backoff(five, 1), chrono::Duration::seconds(600));
        assert_eq!(backoff(five, 2), chrono::Duration::seconds(1200));
        assert_eq!(backoff(five, 10), chrono::Duration::seconds(3600));
        let day = Duration::from_secs(86400);
        assert_eq!(
            backoff(day, 3),
            chrono::Duration::seconds(86400),
            "a long interval is its own cap"
        );
    }

    #[test]
    fn retry_after_as_seconds_or_date() {
        let now = at("2026-11-30T12:00:00Z");
        assert_eq!(parse_retry_after("120", now), Some(Duration::from_secs(120)));
        assert_eq!(
            parse_retry_after("Mon, 30 Nov 2026 12:01:30 GMT", now),
            Some(Duration::from_secs(90))
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
    }

    #[test]
    fn jitter_stays_within_ten_percent() {
        let every = Duration::from_secs(100);
        assert_eq!(jittered(every, -1.0).num_milliseconds(), 90_000);
        assert_eq!(jittered(every, 1.0).num_milliseconds(), 110_000);
        assert_eq!(jittered(every, 7.0).num_milliseconds(), 110_000, "draws are clamped");
        for _ in 0..100 {
            let j = jittered(every, draw()).num_milliseconds();
            assert!((90_000..=110_000).contains(&j), "{j}");
        }
    }

    #[test]
    fn a_service_wait_beats_the_interval_but_is_capped() {
        let now = at("2026-11-30T12:00:00Z");
        let every = Duration::from_secs(60);
        assert_eq!(
            after_success(now, every, None, 0.0),
            now + chrono::Duration::seconds(60)
        );
        assert_eq!(
            after_success(now, every, Some(Duration::from_secs(600)), 0.0),
            now + chrono::Duration::seconds(600)
        );
        let years = Duration::from_secs(31 * 365 * 86400);
        assert_eq!(
            after_success(now, every, Some(years), 0.0),
            now + chrono::Duration::days(1)
        );
    }

    #[test]
    fn a_failure_waits_as_asked_or_backs_off() {
        let now = at("2026-11-30T12:00:00Z");
        let every = Duration::from_secs(300);
        let (next, until) = after_failure(now, every, 1, None);
        assert_eq!((next, until), (now + chrono::Duration::seconds(600), None));
        let (next, until) = after_failure(now, every, 1, Some(Duration::from_secs(30)));
        assert_eq!(next, now + chrono::Duration::seconds(30));
        assert_eq!(until, Some(next));
    }

    #[test]
    fn a_stored_schedule_is_continued() {
        let now = at("2026-11-30T12:00:00Z");
        let every = Duration::from_secs(600);
        let later = now + chrono::Duration::minutes(7);
        assert_eq!(first_due(now, Some(later), every, 0.5), later);
        let past = now - chrono::Duration::minutes(7);
        assert_eq!(
            first_due(now, Some(past), every, 0.5),
            now + chrono::Duration::milliseconds(1500)
        );
        assert_eq!(first_due(now, None, every, 0.0), now);
    }
}
