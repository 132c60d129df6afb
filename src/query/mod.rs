//! What the stream shows: a filter over the stored mentions, written and read as text.
//!
//! One grammar serves the `/` search prompt, quick filters, saved views in the config and the
//! status bar: `status:open,new feed:hn tag:complaint assignee:alice since:7d until:2026-11-30
//! unread` plus free words and "quoted phrases", which search title, text and author (FTS5).

use crate::model::Status;
use chrono::{DateTime, Duration, Local, NaiveDate, TimeZone, Utc};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StreamFilter {
    pub statuses: Vec<Status>,
    pub feeds: Vec<String>,
    pub tags: Vec<String>,
    /// `Some("")` means unassigned.
    pub assignee: Option<String>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    /// How `since`/`until` were written, to show them back as typed.
    since_text: Option<String>,
    until_text: Option<String>,
    pub unread: bool,
    /// Search words and phrases, as typed.
    pub words: Vec<String>,
}

impl StreamFilter {
    /// No condition: every mention.
    pub const EMPTY: StreamFilter = StreamFilter {
        statuses: Vec::new(),
        feeds: Vec::new(),
        tags: Vec::new(),
        assignee: None,
        since: None,
        until: None,
        since_text: None,
        until_text: None,
        unread: false,
        words: Vec::new(),
    };

    pub fn is_empty(&self) -> bool {
        *self == StreamFilter::default()
    }

    /// Parse filter text; `now` anchors relative dates ("today", "7d").
    pub fn parse(text: &str, now: DateTime<Utc>) -> Result<StreamFilter, String> {
        let mut f = StreamFilter::default();
        for token in tokens(text)? {
            let Token::Bare(t) = &token else {
                if let Token::Phrase(p) = token {
                    f.words.push(format!("\"{p}\""));
                }
                continue;
            };
            match t.split_once(':') {
                Some((key, value)) if is_key(key) => {
                    let values: Vec<&str> = value.split(',').map(str::trim).filter(|v| !v.is_empty()).collect();
                    if values.is_empty() && key != "assignee" {
                        return Err(format!("`{key}:` needs a value"));
                    }
                    match key {
                        "status" | "is" => {
                            for v in values {
                                let s: Status = v.parse().map_err(|_| {
                                    format!("unknown status {v:?}: use new, open, responded, ignored or escalated")
                                })?;
                                if !f.statuses.contains(&s) {
                                    f.statuses.push(s);
                                }
                            }
                        }
                        "feed" => f.feeds.extend(values.iter().map(|v| v.to_string())),
                        "tag" => f.tags.extend(values.iter().map(|v| v.to_lowercase())),
                        "assignee" => {
                            f.assignee = Some(match values.first() {
                                None | Some(&"none") => String::new(),
                                Some(v) => v.to_string(),
                            })
                        }
                        "since" => {
                            f.since = Some(parse_when(value, now, false)?);
                            f.since_text = Some(value.to_string());
                        }
                        "until" => {
                            f.until = Some(parse_when(value, now, true)?);
                            f.until_text = Some(value.to_string());
                        }
                        _ => unreachable!("is_key lists the keys"),
                    }
                }
                _ if t == "unread" => f.unread = true,
                _ if t.starts_with('@') && t.len() > 1 => f.assignee = Some(t[1..].to_string()),
                _ if t.starts_with('#') && t.len() > 1 => f.tags.push(t[1..].to_lowercase()),
                _ => f.words.push(t.to_string()),
            }
        }
        Ok(f)
    }

    /// The filter as text, in the grammar `parse` reads.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if !self.statuses.is_empty() {
            parts.push(format!(
                "status:{}",
                self.statuses.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(",")
            ));
        }
        if !self.feeds.is_empty() {
            parts.push(format!("feed:{}", self.feeds.join(",")));
        }
        if !self.tags.is_empty() {
            parts.push(format!("tag:{}", self.tags.join(",")));
        }
        match self.assignee.as_deref() {
            Some("") => parts.push("assignee:none".into()),
            Some(a) => parts.push(format!("assignee:{a}")),
            None => {}
        }
        if let Some(s) = &self.since_text {
            parts.push(format!("since:{s}"));
        }
        if let Some(u) = &self.until_text {
            parts.push(format!("until:{u}"));
        }
        if self.unread {
            parts.push("unread".into());
        }
        parts.extend(self.words.iter().cloned());
        parts.join(" ")
    }

    /// The FTS5 query for the search words: every word and phrase must appear; a trailing `*`
    /// makes a prefix. Everything is quoted, so no FTS syntax can be injected.
    pub fn fts_query(&self) -> Option<String> {
        let terms: Vec<String> = self
            .words
            .iter()
            .filter_map(|w| {
                let (body, prefix) = match w.strip_suffix('*') {
                    Some(b) => (b, true),
                    None => (w.as_str(), false),
                };
                let body = body.trim_matches('"');
                if body.trim().is_empty() {
                    return None;
                }
                Some(format!(
                    "\"{}\"{}",
                    body.replace('"', "\"\""),
                    if prefix { "*" } else { "" }
                ))
            })
            .collect();
        (!terms.is_empty()).then(|| terms.join(" "))
    }

    /// A copy with `other`'s conditions added (a saved view plus a search, say).
    pub fn and(&self, other: &StreamFilter) -> StreamFilter {
        let mut f = self.clone();
        for s in &other.statuses {
            if !f.statuses.contains(s) {
                f.statuses.push(*s);
            }
        }
        f.feeds.extend(other.feeds.iter().cloned());
        f.tags.extend(other.tags.iter().cloned());
        if other.assignee.is_some() {
            f.assignee = other.assignee.clone();
        }
        if other.since.is_some() {
            f.since = other.since;
            f.since_text = other.since_text.clone();
        }
        if other.until.is_some() {
            f.until = other.until;
            f.until_text = other.until_text.clone();
        }
        f.unread |= other.unread;
        f.words.extend(other.words.iter().cloned());
        f
    }
}

fn is_key(k: &str) -> bool {
    matches!(k, "status" | "is" | "feed" | "tag" | "assignee" | "since" | "until")
}

enum Token {
    Bare(String),
    Phrase(String),
}

fn tokens(text: &str) -> Result<Vec<Token>, String> {
    let mut out = Vec::new();
    let mut rest = text.trim();
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix('"') {
            let end = after
                .find('"')
                .ok_or("a quoted phrase is not closed (a \" is missing)")?;
            let phrase = after[..end].trim();
            if !phrase.is_empty() {
                out.push(Token::Phrase(phrase.to_string()));
            }
            rest = after[end + 1..].trim_start();
        } else {
            let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
            out.push(Token::Bare(rest[..end].to_string()));
            rest = rest[end..].trim_start();
        }
    }
    Ok(out)
}

/// "today", "yesterday", "7d", "24h", "30m", or a date YYYY-MM-DD, in the local time zone.
/// `end` makes a date mean the end of that day (for `until`).
fn parse_when(v: &str, now: DateTime<Utc>, end: bool) -> Result<DateTime<Utc>, String> {
    let local_midnight = |d: NaiveDate| -> DateTime<Utc> {
        let naive = d.and_hms_opt(0, 0, 0).expect("midnight");
        Local
            .from_local_datetime(&naive)
            .earliest()
            .map(|t| t.to_utc())
            .unwrap_or_else(|| naive.and_utc())
    };
    let today = now.with_timezone(&Local).date_naive();
    let day = |d: NaiveDate| {
        if end {
            local_midnight(d + Duration::days(1))
        } else {
            local_midnight(d)
        }
    };
    match v {
        "today" => return Ok(day(today)),
        "yesterday" => return Ok(day(today - Duration::days(1))),
        _ => {}
    }
    if let Ok(d) = NaiveDate::parse_from_str(v, "%Y-%m-%d") {
        return Ok(day(d));
    }
    let (num, unit) = v.split_at(v.find(|c: char| !c.is_ascii_digit()).unwrap_or(v.len()));
    if let Ok(n) = num.parse::<i64>() {
        let d = match unit {
            "d" => Duration::days(n),
            "h" => Duration::hours(n),
            "m" => Duration::minutes(n),
            "w" => Duration::weeks(n),
            _ => {
                return Err(format!(
                    "unknown time {v:?}: use today, yesterday, 7d, 24h or a date like 2026-11-24"
                ));
            }
        };
        return Ok(now - d);
    }
    Err(format!(
        "unknown time {v:?}: use today, yesterday, 7d, 24h or a date like 2026-11-24"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 24, 12, 0, 0).unwrap()
    }

    #[test]
    fn the_grammar_round_trips() {
        let f = StreamFilter::parse(
            "status:open,new feed:hn tag:Complaint @alice since:7d unread acme \"sync error\"",
            now(),
        )
        .unwrap();
        assert_eq!(f.statuses, vec![Status::Open, Status::New]);
        assert_eq!(f.feeds, vec!["hn"]);
        assert_eq!(f.tags, vec!["complaint"]);
        assert_eq!(f.assignee.as_deref(), Some("alice"));
        assert_eq!(f.since, Some(now() - Duration::days(7)));
        assert!(f.unread);
        assert_eq!(f.words, vec!["acme", "\"sync error\""]);
        let text = f.describe();
        assert_eq!(
            text,
            "status:open,new feed:hn tag:complaint assignee:alice since:7d unread acme \"sync error\""
        );
        assert_eq!(StreamFilter::parse(&text, now()).unwrap(), f);
    }

    #[test]
    fn search_words_become_a_quoted_fts_query() {
        let f = StreamFilter::parse("acme \"sync error\" clou* NEAR(x)", now()).unwrap();
        assert_eq!(
            f.fts_query().as_deref(),
            Some("\"acme\" \"sync error\" \"clou\"* \"NEAR(x)\"")
        );
        assert_eq!(StreamFilter::parse("status:new", now()).unwrap().fts_query(), None);
    }

    #[test]
    fn mistakes_say_what_to_write() {
        assert!(
            StreamFilter::parse("status:done", now())
                .unwrap_err()
                .contains("use new, open")
        );
        assert!(StreamFilter::parse("since:soon", now()).unwrap_err().contains("7d"));
        assert!(StreamFilter::parse("\"open", now()).unwrap_err().contains("not closed"));
        assert!(
            StreamFilter::parse("feed:", now())
                .unwrap_err()
                .contains("needs a value")
        );
        assert_eq!(
            StreamFilter::parse("assignee:none", now()).unwrap().assignee.as_deref(),
            Some("")
        );
        assert_eq!(
            StreamFilter::parse("http://x.example/a:b", now()).unwrap().words,
            vec!["http://x.example/a:b"]
        );
    }

    #[test]
    fn dates_are_whole_local_days() {
        let f = StreamFilter::parse("since:2026-11-20 until:2026-11-20", now()).unwrap();
        assert_eq!(f.until.unwrap() - f.since.unwrap(), Duration::days(1));
        assert!(StreamFilter::parse("since:today", now()).unwrap().since.unwrap() <= now());
    }

    #[test]
    fn filters_combine() {
        let view = StreamFilter::parse("status:open tag:complaint", now()).unwrap();
        let search = StreamFilter::parse("acme", now()).unwrap();
        assert_eq!(view.and(&search).describe(), "status:open tag:complaint acme");
        assert!(StreamFilter::default().is_empty());
    }
}
