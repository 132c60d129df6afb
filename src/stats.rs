//! Response-time figures per day, in the operator's time zone: volume, responses, response rate,
//! first-response median, p90 and max (from publication and from first seen), SLA breaches and the
//! backlog at the end of each day. Computed in SQL over indexed columns; nothing loads the mentions.
//!
//! Definitions (also in the README):
//! - a mention belongs to the day (in the zone) it was published, clamped to when it was first seen;
//! - responded / ignored / escalated count that day's mentions by their status now;
//! - first-response time is `first_response_at` minus publication (or minus first seen), never
//!   below zero; the median of an even count is the mean of the middle two; p90 is the nearest
//!   rank (the ⌈0.9·n⌉-th smallest);
//! - an SLA breach is a mention answered later than the target after it was first seen, or not
//!   answered (and not ignored) while more than the target has passed since;
//! - the backlog is what was received by the end of the day and neither responded nor ignored by then;
//! - stories count a day's mentions with a story seen in several places once (`store::stories`);
//! - next-reply time is the first-response time of a follow-up: a message in a conversation the
//!   team had answered before it came (median and p90 as above); replies per conversation count
//!   our answers in the conversations with a message that day.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// The system's time zone, by name; UTC when it cannot be told.
/// Where an unanswered mention stands against the first-response target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlaState {
    /// Time left, in seconds.
    Within(i64),
    /// Less than a quarter of the target left.
    Near(i64),
    /// Past the target by this many seconds.
    Breached(i64),
}

/// The SLA state of a mention first seen at `first_seen` (unix seconds), still unanswered at `now`,
/// against `sla` (counted in business hours when they are set).
pub fn sla_state(first_seen: i64, now: i64, sla: std::time::Duration, business: Option<&BusinessHours>) -> SlaState {
    let target = sla.as_secs() as i64;
    let spent = match business {
        Some(b) => b.seconds_between(first_seen, now),
        None => (now - first_seen).max(0),
    };
    let left = target - spent;
    if left < 0 {
        SlaState::Breached(-left)
    } else if left * 4 < target {
        SlaState::Near(left)
    } else {
        SlaState::Within(left)
    }
}

pub fn local_zone() -> Tz {
    iana_time_zone::get_timezone()
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(chrono_tz::UTC)
}

/// Working hours for the SLA: only time inside them counts towards the target.
#[derive(Debug, Clone, PartialEq)]
pub struct BusinessHours {
    /// Monday first.
    pub days: [bool; 7],
    pub start: chrono::NaiveTime,
    pub end: chrono::NaiveTime,
    pub tz: Tz,
}

impl BusinessHours {
    /// `days` like "mon-fri" or "mon,tue,thu", times like "09:00", a zone like "Europe/Berlin".
    pub fn parse(days: &str, start: &str, end: &str, tz: &str) -> std::result::Result<BusinessHours, String> {
        const NAMES: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
        let idx = |d: &str| {
            let d = d.trim().to_ascii_lowercase();
            NAMES
                .iter()
                .position(|n| d.starts_with(n))
                .ok_or_else(|| format!("unknown day {d:?}: use mon, tue, … sun"))
        };
        let mut set = [false; 7];
        for part in days.split(',') {
            match part.split_once('-') {
                Some((a, b)) => {
                    let (a, b) = (idx(a)?, idx(b)?);
                    let mut i = a;
                    loop {
                        set[i] = true;
                        if i == b {
                            break;
                        }
                        i = (i + 1) % 7;
                    }
                }
                None => set[idx(part)?] = true,
            }
        }
        let time = |t: &str| {
            chrono::NaiveTime::parse_from_str(t.trim(), "%H:%M").map_err(|_| format!("{t:?} is not a time like 09:00"))
        };
        let (start, end) = (time(start)?, time(end)?);
        if end <= start {
            return Err("business hours must end after they start".into());
        }
        let tz = tz
            .parse()
            .map_err(|_| format!("unknown time zone {tz:?}: write an IANA name like Europe/Berlin"))?;
        Ok(BusinessHours {
            days: set,
            start,
            end,
            tz,
        })
    }

    /// Seconds of business time between two instants (0 when `to` is not after `from`).
    pub fn seconds_between(&self, from: i64, to: i64) -> i64 {
        if to <= from {
            return 0;
        }
        let local = |t: i64| {
            DateTime::from_timestamp(t, 0)
                .unwrap_or_default()
                .with_timezone(&self.tz)
                .date_naive()
        };
        let (mut d, last) = (local(from), local(to));
        let mut total = 0;
        // Long gaps are bounded: ten years of days at most.
        for _ in 0..3660 {
            let weekday = chrono::Datelike::weekday(&d).num_days_from_monday() as usize;
            if self.days[weekday] {
                let at = |t: chrono::NaiveTime| {
                    self.tz
                        .from_local_datetime(&d.and_time(t))
                        .earliest()
                        .map(|x| x.timestamp())
                };
                if let (Some(open), Some(close)) = (at(self.start), at(self.end)) {
                    total += (close.min(to) - open.max(from)).max(0);
                }
            }
            if d >= last {
                break;
            }
            d = d.succ_opt().expect("a next day");
        }
        total
    }
}

/// How to split the figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum GroupBy {
    Feed,
    Operator,
    Tag,
    /// negative, neutral, positive (`score::sentiment`).
    Sentiment,
    /// Each intent a mention has (one mention may count under several, as with tags).
    Intent,
    /// The two-letter language code.
    Lang,
}

#[derive(Debug, Clone)]
pub struct StatsQuery {
    /// The first and last day, inclusive, in `tz`.
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub tz: Tz,
    pub by: Option<GroupBy>,
    pub sla: Option<Duration>,
    /// When set, only business time counts towards the SLA.
    pub business: Option<BusinessHours>,
    /// Only mentions the stream's filter shows.
    pub filter: crate::query::StreamFilter,
    /// "Now", for open mentions' SLA.
    pub now: DateTime<Utc>,
}

/// One day's figures (for one group when split).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DayStats {
    pub date: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub group: Option<String>,
    pub mentions: i64,
    pub responded: i64,
    pub ignored: i64,
    pub escalated: i64,
    /// responded / mentions; 0 without mentions.
    pub response_rate: f64,
    pub median_first_response_secs: Option<f64>,
    pub p90_first_response_secs: Option<i64>,
    pub max_first_response_secs: Option<i64>,
    pub median_first_response_from_seen_secs: Option<f64>,
    pub p90_first_response_from_seen_secs: Option<i64>,
    pub max_first_response_from_seen_secs: Option<i64>,
    pub sla_breaches: i64,
    pub backlog: i64,
    /// Stories told that day: its mentions, a story seen in several places counted once.
    #[serde(default)]
    pub stories: i64,
    /// How long the customer's next message waited for our next answer: the first-response time
    /// of that day's follow-ups (a message in a conversation we had answered before it).
    #[serde(default)]
    pub median_next_reply_secs: Option<f64>,
    #[serde(default)]
    pub p90_next_reply_secs: Option<i64>,
    /// Our answers per conversation, over the conversations with a message that day.
    #[serde(default)]
    pub replies_per_conversation: Option<f64>,
}

impl DayStats {
    /// A day (of a group) with nothing in it.
    pub fn empty(date: String, group: Option<String>) -> DayStats {
        DayStats {
            date,
            group,
            mentions: 0,
            responded: 0,
            ignored: 0,
            escalated: 0,
            response_rate: 0.0,
            median_first_response_secs: None,
            p90_first_response_secs: None,
            max_first_response_secs: None,
            median_first_response_from_seen_secs: None,
            p90_first_response_from_seen_secs: None,
            max_first_response_from_seen_secs: None,
            sla_breaches: 0,
            backlog: 0,
            stories: 0,
            median_next_reply_secs: None,
            p90_next_reply_secs: None,
            replies_per_conversation: None,
        }
    }
}

/// When mentions come in and from where, over the same days.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Profile {
    /// Mentions by weekday (Monday first) and local hour.
    pub heat: [[i64; 24]; 7],
    /// Mentions per feed, most first.
    pub feeds: Vec<(String, i64)>,
    /// What our own posts of the same days earned, per account (`[[account]]`).
    pub own: Vec<crate::report::own::AccountRates>,
    /// Those posts, newest first (the Ours pane lists them).
    pub own_posts: Vec<crate::report::own::PostRates>,
}

#[cfg(test)]
mod business_tests {
    use super::*;

    fn ts(s: &str) -> i64 {
        DateTime::parse_from_rfc3339(s).unwrap().timestamp()
    }

    #[test]
    fn the_sla_state_turns_amber_near_the_target_and_red_past_it() {
        let hour = std::time::Duration::from_secs(3600);
        let t0 = ts("2026-11-27T16:00:00+01:00");
        assert_eq!(sla_state(t0, t0 + 600, hour, None), SlaState::Within(3000));
        assert_eq!(sla_state(t0, t0 + 3000, hour, None), SlaState::Near(600));
        assert_eq!(sla_state(t0, t0 + 3900, hour, None), SlaState::Breached(300));
        // Friday 16:00 + a weekend: only business time counts (60 minutes to 17:00 Friday, then
        // Monday from 09:00).
        let h = BusinessHours::parse("mon-fri", "09:00", "17:00", "Europe/Berlin").unwrap();
        let monday = ts("2026-11-30T09:10:00+01:00");
        assert_eq!(sla_state(t0, monday, hour, Some(&h)), SlaState::Breached(600));
    }

    #[test]
    fn only_business_time_counts() {
        let h = BusinessHours::parse("mon-fri", "09:00", "17:00", "Europe/Berlin").unwrap();
        // Friday 16:30 CET to Monday 09:45 CET: 30 minutes on Friday, 45 on Monday.
        assert_eq!(
            h.seconds_between(ts("2026-11-20T15:30:00Z"), ts("2026-11-23T08:45:00Z")),
            75 * 60
        );
        // Saturday to Sunday: nothing.
        assert_eq!(
            h.seconds_between(ts("2026-11-21T10:00:00Z"), ts("2026-11-22T20:00:00Z")),
            0
        );
        // Inside one working day.
        assert_eq!(
            h.seconds_between(ts("2026-11-24T09:00:00Z"), ts("2026-11-24T10:30:00Z")),
            90 * 60
        );
        // Overnight: 17:00 to 09:00 the next day is free.
        assert_eq!(
            h.seconds_between(ts("2026-11-24T15:30:00Z"), ts("2026-11-25T08:30:00Z")),
            30 * 60 + 30 * 60
        );
        assert_eq!(h.seconds_between(10, 5), 0);
        let weekend = BusinessHours::parse("sat-sun", "10:00", "12:00", "UTC").unwrap();
        assert_eq!(weekend.days, [false, false, false, false, false, true, true]);
        assert!(BusinessHours::parse("mon-fri", "17:00", "09:00", "UTC").is_err());
        assert!(
            BusinessHours::parse("funday", "09:00", "17:00", "UTC")
                .unwrap_err()
                .contains("unknown day")
        );
    }
}
