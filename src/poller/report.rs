//! What one poll of one feed did, for `overhear poll` and the console's status line.

use chrono::{DateTime, Utc};
use std::time::Duration;

/// What happened to one feed in one poll.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedReport {
    pub name: String,
    pub outcome: Outcome,
    /// Mentions stored for this feed after the poll.
    pub stored: i64,
    pub elapsed: Duration,
    pub next_poll_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Ok {
        new: usize,
        /// Items the include/exclude rules dropped.
        filtered: usize,
        not_modified: bool,
        /// What the parser repaired or noticed, in words.
        notes: Vec<String>,
    },
    Failed {
        error: String,
    },
    /// Not polled: the server asked us to wait (Retry-After) until then.
    Deferred {
        until: DateTime<Utc>,
    },
    /// The poller was stopped while this feed's fetch was in flight; nothing was written.
    Stopped,
}

impl FeedReport {
    pub fn failed(&self) -> bool {
        matches!(self.outcome, Outcome::Failed { .. })
    }

    /// Whether the poll was cut short by a stop (nothing to report to the user).
    pub fn stopped(&self) -> bool {
        matches!(self.outcome, Outcome::Stopped)
    }

    /// One line for `overhear poll`: name, ok or the error in words, new, stored, milliseconds.
    pub fn line(&self, name_width: usize) -> String {
        let ms = self.elapsed.as_millis();
        let (word, new, detail) = match &self.outcome {
            Outcome::Ok {
                new,
                not_modified: true,
                ..
            } => ("ok", *new, " (not modified)".to_string()),
            Outcome::Ok {
                new, filtered, notes, ..
            } => {
                let mut parts = Vec::new();
                if *filtered > 0 {
                    parts.push(format!("{filtered} dropped by include/exclude"));
                }
                if !notes.is_empty() {
                    parts.push(format!(
                        "repaired or noticed: {}",
                        crate::text::sanitize_line(&notes.join("; "))
                    ));
                }
                let detail = if parts.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", parts.join("; "))
                };
                ("ok", *new, detail)
            }
            Outcome::Failed { error } => ("error", 0, format!(": {}", crate::text::sanitize_line(error))),
            Outcome::Stopped => ("stopped", 0, String::new()),
            Outcome::Deferred { until } => (
                "waiting",
                0,
                format!(": the server asked to wait until {}", until.format("%H:%M:%S UTC")),
            ),
        };
        format!(
            "{:<name_width$}  {word:<7}  {new:>5} new  {stored:>7} stored  {ms:>6} ms{detail}",
            crate::text::sanitize_line(&self.name),
            stored = self.stored
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_lines_say_what_happened() {
        let r = FeedReport {
            name: "hn".into(),
            outcome: Outcome::Failed {
                error: "timed out after 2s".into(),
            },
            stored: 3,
            elapsed: Duration::from_millis(2003),
            next_poll_at: Utc::now(),
        };
        assert_eq!(
            r.line(4),
            "hn    error        0 new        3 stored    2003 ms: timed out after 2s"
        );
    }
}
