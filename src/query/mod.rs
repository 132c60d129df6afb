//! What the stream shows: a filter over the stored mentions, written and read as text, in the one
//! query language ([`expr`]): words, `"phrases"`, `prefix*`, `OR`, `NOT`/`-`, parentheses,
//! `NEAR/n`, and fields (`status:open,new feed:hn tag:complaint @alice since:7d unread
//! reach>1000 site:example.com is:question`…).
//!
//! A filter keeps the conditions the quick filters set as fields of their own (status, feed, tag,
//! assignee, dates, unread), the words as full-text conjuncts (one FTS5 query for all of them), and
//! whatever else the query says as expressions the store translates to SQL.

#[cfg(test)]
mod agree;
pub mod expr;
pub mod facts;

pub use expr::{Candidate, Expr, Field, QueryError};

use crate::model::Status;
use chrono::{DateTime, Duration, Local, NaiveDate, TimeZone, Utc};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StreamFilter {
    pub statuses: Vec<Status>,
    pub feeds: Vec<String>,
    pub tags: Vec<String>,
    /// `Some("")` means unassigned; `Some("me")` the operator asking.
    pub assignee: Option<String>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    /// How `since`/`until` were written, to show them back as typed.
    since_text: Option<String>,
    until_text: Option<String>,
    pub unread: bool,
    /// Full-text conditions, all required: one FTS5 query.
    pub text: Vec<Expr>,
    /// Every other condition, all required (fields the quick filters do not set, `OR` and `NOT`
    /// across fields and words).
    pub rest: Vec<Expr>,
    /// How the stream is ordered (`sort:priority`; by time when not said).
    pub order: Order,
}

/// The stream's order: newest first, or highest priority now first.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, strum::Display, strum::EnumString)]
#[strum(serialize_all = "lowercase", ascii_case_insensitive)]
pub enum Order {
    #[default]
    Time,
    Priority,
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
        text: Vec::new(),
        rest: Vec::new(),
        order: Order::Time,
    };

    pub fn is_empty(&self) -> bool {
        *self == StreamFilter::default()
    }

    /// Whether every mention passes (an order is not a condition).
    pub fn selects_all(&self) -> bool {
        StreamFilter {
            order: Order::Time,
            ..self.clone()
        }
        .is_empty()
    }

    /// The story whose places the filter asks for (`story:N`, anywhere in it), if it does: then
    /// a story's places are listed, not only its lead.
    pub fn story(&self) -> Option<i64> {
        fn find(e: &Expr) -> Option<i64> {
            match e {
                Expr::Field(Field::Story(n)) => Some(*n),
                Expr::And(v) | Expr::Or(v) => v.iter().find_map(find),
                Expr::Not(e) => find(e),
                _ => None,
            }
        }
        self.rest.iter().find_map(find)
    }

    /// The FTS5 query when the filter is words and nothing else: what matches is what the
    /// full-text index says, with no row of `mentions` to read.
    pub fn words_only(&self) -> Option<String> {
        let q = self.fts_query()?;
        let mut others = self.clone();
        others.text.clear();
        others.selects_all().then_some(q)
    }

    /// Parse filter text; `now` anchors relative dates ("today", "7d"). Errors name the column.
    pub fn parse(text: &str, now: DateTime<Utc>) -> Result<StreamFilter, String> {
        let e = Expr::parse(text, now).map_err(|e| e.to_string())?;
        Ok(StreamFilter::from_expr(e))
    }

    /// The filter of a parsed query.
    pub fn from_expr(e: Expr) -> StreamFilter {
        let mut f = StreamFilter::default();
        let conjuncts = match e {
            Expr::And(v) => v,
            other => vec![other],
        };
        for c in conjuncts {
            f.add(c);
        }
        f
    }

    fn add(&mut self, c: Expr) {
        match c {
            Expr::Field(Field::Status(v)) => {
                for s in v {
                    if !self.statuses.contains(&s) {
                        self.statuses.push(s);
                    }
                }
            }
            Expr::Field(Field::Feed(v)) if self.feeds.is_empty() => self.feeds = v,
            Expr::Field(Field::Tag(t)) => self.tags.push(t),
            Expr::Field(Field::Assignee(a)) => self.assignee = Some(a),
            Expr::Field(Field::Since(t, text)) => {
                self.since = Some(t);
                self.since_text = Some(text);
            }
            Expr::Field(Field::Until(t, text)) => {
                self.until = Some(t);
                self.until_text = Some(text);
            }
            Expr::Field(Field::Unread) => self.unread = true,
            Expr::Field(Field::Sort(o)) => self.order = o,
            Expr::And(v) => {
                for c in v {
                    self.add(c);
                }
            }
            e if e.is_text() && e.fts().is_some() => self.text.push(e),
            e => self.rest.push(e),
        }
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
        for e in self.rest.iter().chain(&self.text) {
            parts.push(match e {
                Expr::Or(_) => format!("({e})"),
                _ => e.to_string(),
            });
        }
        if self.order != Order::Time {
            parts.push(format!("sort:{}", self.order));
        }
        parts.join(" ")
    }

    /// The FTS5 query of the full-text conditions (every word quoted: no FTS syntax can be
    /// injected), if there are any.
    pub fn fts_query(&self) -> Option<String> {
        match self.text.as_slice() {
            [] => None,
            [one] => one.fts(),
            many => Expr::And(many.to_vec()).fts(),
        }
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
        f.text.extend(other.text.iter().cloned());
        f.rest.extend(other.rest.iter().cloned());
        if other.order != Order::Time {
            f.order = other.order;
        }
        f
    }

    /// The whole filter as one expression (for the in-memory evaluator).
    pub fn expr(&self) -> Expr {
        let mut all = Vec::new();
        if !self.statuses.is_empty() {
            all.push(Expr::Field(Field::Status(self.statuses.clone())));
        }
        if !self.feeds.is_empty() {
            all.push(Expr::Field(Field::Feed(self.feeds.clone())));
        }
        for t in &self.tags {
            all.push(Expr::Field(Field::Tag(t.clone())));
        }
        if let Some(a) = &self.assignee {
            all.push(Expr::Field(Field::Assignee(a.clone())));
        }
        if let Some(t) = self.since {
            all.push(Expr::Field(Field::Since(
                t,
                self.since_text.clone().unwrap_or_default(),
            )));
        }
        if let Some(t) = self.until {
            all.push(Expr::Field(Field::Until(
                t,
                self.until_text.clone().unwrap_or_default(),
            )));
        }
        if self.unread {
            all.push(Expr::Field(Field::Unread));
        }
        all.extend(self.text.iter().cloned());
        all.extend(self.rest.iter().cloned());
        Expr::And(all)
    }
}

/// "today", "yesterday", "7d", "24h", "30m", or a date YYYY-MM-DD, in the local time zone.
/// `end` makes a date mean the end of that day (for `until`).
pub(crate) fn parse_when(v: &str, now: DateTime<Utc>, end: bool) -> Result<DateTime<Utc>, String> {
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
        assert_eq!(
            f.text.iter().map(ToString::to_string).collect::<Vec<_>>(),
            vec!["acme", "\"sync error\""]
        );
        let text = f.describe();
        assert_eq!(
            text,
            "status:open,new feed:hn tag:complaint assignee:alice since:7d unread acme \"sync error\""
        );
        assert_eq!(StreamFilter::parse(&text, now()).unwrap(), f);
    }

    #[test]
    fn search_words_become_a_quoted_fts_query() {
        let f = StreamFilter::parse("acme \"sync error\" clou* NEAR x", now()).unwrap_err();
        assert!(f.contains("column 25"), "{f}");
        let f = StreamFilter::parse("acme \"sync error\" clou* \"NEAR(x)\"", now()).unwrap();
        assert_eq!(
            f.fts_query().as_deref(),
            Some("(\"acme\" AND \"sync error\" AND \"clou\"* AND \"NEAR(x)\")"),
            "every word quoted: nothing typed is FTS syntax"
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
            StreamFilter::parse("http://x.example/a:b", now()).unwrap().describe(),
            "\"http://x.example/a:b\""
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
