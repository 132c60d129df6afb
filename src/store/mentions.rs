//! Reading mentions: windows of the stream by keyset, counts, and the export cursor.
//! Nothing here loads the whole history.

use super::db;
use super::{Doing, Result, Store, from_ts};
use crate::model::{Engagement, Mention};
use crate::query::{Expr, Field, Order, StreamFilter};
use chrono::{DateTime, Utc};
use rusqlite::params_from_iter;
use rusqlite::types::Value;

/// The columns of a mention, and last the key of its order (`m.sort_at` or `m.priority_rank`:
/// see [`order_column`]), read into `Mention::order_key`.
const MENTION_COLUMNS: &str = "m.id, f.name, m.kind, m.external_id, m.url, m.author, m.author_reach, m.title, m.text,
     m.published_at, m.first_seen_at, m.sort_at, m.engagement, m.status, m.assignee, m.responded_at, m.responded_by,
     r.mention_id IS NULL, m.response_text, m.response_url, m.lang, m.sentiment, m.intent, m.priority,
     (SELECT group_concat(pt.tag, ' ') FROM authors a JOIN person_tags pt ON pt.person_id = a.person_id
      WHERE a.id = m.author_id),
     m.noise, coalesce(m.story_id, m.id), m.conversation_id,
     (SELECT count(*) FROM mentions s WHERE s.story_id = m.id),
     (SELECT group_concat(DISTINCT fs.name) FROM mentions s JOIN feeds fs ON fs.id = s.feed_id WHERE s.story_id = m.id),
     EXISTS (SELECT 1 FROM mention_tags ft WHERE ft.mention_id = m.id AND ft.tag = 'follow-up'),
     m.sort_at";

/// The tables every mention query reads: the mention, its feed, and this operator's read mark
/// (`?1` is always the operator). `CROSS JOIN` keeps the mentions the outer loop, read in stream
/// order by an index: left free, SQLite's planner may read every feed's mentions and sort a
/// million rows to give forty (it did, with 200 feeds and statistics).
pub(super) const MENTION_FROM: &str = "mentions m CROSS JOIN feeds f ON f.id = m.feed_id
     LEFT JOIN reads r ON r.mention_id = m.id AND r.operator = ?1";

/// The column a stream order sorts by (with `m.id` after it).
fn order_column(order: Order) -> &'static str {
    match order {
        Order::Time => "m.sort_at",
        Order::Priority => "m.priority_rank",
    }
}

/// The mention columns with the key of `order` last, named `order_key`.
fn columns(order: Order) -> String {
    let cols = MENTION_COLUMNS.strip_suffix("m.sort_at").unwrap_or(MENTION_COLUMNS);
    format!("{cols}{} AS order_key", order_column(order))
}

fn mention_from_row(r: &db::Row<'_>) -> db::Result<Mention> {
    let kind = r.get(2)?;
    Ok(Mention {
        id: r.get(0)?,
        feed: r.get(1)?,
        kind,
        external_id: super::feeds::source_id(kind, r.get(3)?),
        url: r.get(4)?,
        author: r.get(5)?,
        author_reach: r.get(6)?,
        title: r.get(7)?,
        text: r.get(8)?,
        published_at: r.get::<Option<i64>>(9)?.map(from_ts),
        first_seen_at: from_ts(r.get(10)?),
        sort_at: from_ts(r.get(11)?),
        engagement: Engagement::from_json(r.get::<Option<String>>(12)?.as_deref()),
        status: r.get(13)?,
        assignee: r.get(14)?,
        responded_at: r.get::<Option<i64>>(15)?.map(from_ts),
        responded_by: r.get(16)?,
        unread: r.get(17)?,
        response_text: r.get(18)?,
        response_url: r.get(19)?,
        lang: r.get(20)?,
        sentiment: r.get(21)?,
        intents: crate::score::Intents(r.get(22)?),
        priority: r.get(23)?,
        person_tags: {
            let mut tags: Vec<String> = r
                .get::<Option<String>>(24)?
                .map(|t| t.split(' ').map(str::to_string).collect())
                .unwrap_or_default();
            tags.sort();
            tags
        },
        noise: r.get(25)?,
        group_id: r.get(26)?,
        conversation_id: r.get(27)?,
        elsewhere: r.get(28)?,
        elsewhere_feeds: r
            .get::<Option<String>>(29)?
            .map(|t| t.split(',').map(str::to_string).collect())
            .unwrap_or_default(),
        follow_up: r.get(30)?,
        order_key: r.get(31)?,
    })
}

/// The filter's conditions for the stats query (tables `m`, `f`, `r`), with their parameters.
pub(crate) fn stats_filter_sql(filter: &StreamFilter, params: &mut Vec<Value>, dialect: db::Dialect) -> String {
    filter_sql(filter, params, Search::Match, None, dialect == db::Dialect::Postgres)
}

/// SQL conditions (joined by AND, starting with " AND ") for a filter, with their parameters
/// appended to `params`.
/// `filter`'s conditions for a query over [`MENTION_FROM`] whose `?1` is `operator`.
pub(super) fn conditions(
    filter: &StreamFilter,
    params: &mut Vec<Value>,
    operator: &str,
    dialect: db::Dialect,
) -> String {
    filter_sql(
        filter,
        params,
        Search::Match,
        Some(operator),
        dialect == db::Dialect::Postgres,
    )
}

/// The stream shows a story once: a mention of a story seen first elsewhere is left out (it is
/// counted beside its lead, and shown in the lead's detail).
const LEADS_ONLY: &str = " AND m.story_id IS NULL";

/// The SQL of `filter`'s conditions; `me` is whom `assignee:me` (`@me`) means.
fn filter_sql(filter: &StreamFilter, params: &mut Vec<Value>, search: Search, me: Option<&str>, pg: bool) -> String {
    let mut sql = String::new();
    let push = |params: &mut Vec<Value>, v: Value| -> String {
        params.push(v);
        format!("?{}", params.len())
    };
    if !filter.statuses.is_empty() {
        let list: Vec<String> = filter
            .statuses
            .iter()
            .map(|s| push(params, Value::Text(s.as_str().to_string())))
            .collect();
        sql.push_str(&format!(" AND m.status IN ({})", list.join(", ")));
    }
    if !filter.feeds.is_empty() {
        let list: Vec<String> = filter
            .feeds
            .iter()
            .map(|f| push(params, Value::Text(f.clone())))
            .collect();
        sql.push_str(&format!(" AND f.name IN ({})", list.join(", ")));
    }
    for tag in &filter.tags {
        let p = push(params, Value::Text(tag.clone()));
        sql.push_str(&format!(
            " AND EXISTS (SELECT 1 FROM mention_tags t WHERE t.mention_id = m.id AND t.tag = {p})"
        ));
    }
    match filter.assignee.as_deref() {
        Some("") => sql.push_str(" AND m.assignee IS NULL"),
        Some(a) => {
            let who = match (a, me) {
                ("me", Some(me)) => me,
                _ => a,
            };
            let p = push(params, Value::Text(who.to_string()));
            sql.push_str(&format!(" AND m.assignee = {p}"));
        }
        None => {}
    }
    if let Some(t) = filter.since {
        let p = push(params, Value::Integer(t.timestamp()));
        sql.push_str(&format!(" AND m.sort_at >= {p}"));
    }
    if let Some(t) = filter.until {
        let p = push(params, Value::Integer(t.timestamp()));
        sql.push_str(&format!(" AND m.sort_at < {p}"));
    }
    if filter.unread {
        sql.push_str(" AND r.mention_id IS NULL");
    }
    for e in &filter.rest {
        sql.push_str(&format!(" AND ({})", expr_sql(e, params, me, pg)));
    }
    if pg {
        // PostgreSQL: the words through the GIN index of `fts`, whatever their number.
        if !filter.text.is_empty() {
            let all = Expr::And(filter.text.clone());
            sql.push_str(&format!(" AND {}", pg_text_sql(&all, params)));
        }
        return sql;
    }
    if let Some(q) = filter.fts_query() {
        match search {
            Search::Probe => {
                // Many matches: walk the stream's index and look each row up in the full-text index.
                let p = push(params, Value::Text(q));
                sql.push_str(&format!(
                    " AND EXISTS (SELECT 1 FROM mentions_fts WHERE mentions_fts MATCH {p} AND rowid = m.id)"
                ));
            }
            Search::Kept => sql.push_str(" AND m.id IN (SELECT id FROM temp.search_hits)"),
            Search::Match => {
                // Let the full-text index say which rows to read.
                let p = push(params, Value::Text(q));
                sql.push_str(&format!(
                    " AND m.id IN (SELECT rowid FROM mentions_fts WHERE mentions_fts MATCH {p})"
                ));
            }
        }
    }
    sql
}

/// The SQL of one expression of the query language: full-text subtrees through FTS5 (one MATCH
/// per subtree FTS5 can say whole), fields through their columns.
fn expr_sql(e: &Expr, params: &mut Vec<Value>, me: Option<&str>, pg: bool) -> String {
    if pg && e.is_text() {
        return pg_text_sql(e, params);
    }
    let mut push = |v: Value| -> String {
        params.push(v);
        format!("?{}", params.len())
    };
    if e.is_text()
        && let Some(q) = e.fts()
    {
        let p = push(Value::Text(q));
        return format!("m.id IN (SELECT rowid FROM mentions_fts WHERE mentions_fts MATCH {p})");
    }
    match e {
        Expr::And(v) if v.is_empty() => "TRUE".into(),
        Expr::Or(v) if v.is_empty() => "FALSE".into(),
        Expr::And(v) | Expr::Or(v) => {
            let op = if matches!(e, Expr::And(_)) { " AND " } else { " OR " };
            v.iter()
                .map(|x| format!("({})", expr_sql(x, params, me, pg)))
                .collect::<Vec<_>>()
                .join(op)
        }
        // A missing author or reach is simply false, so NOT means what it says: what is under a NOT
        // is never NULL. Elsewhere NULL already acts as false (a WHERE keeps only true; AND and
        // OR without NOT are monotone), and a bare column lets SQLite use its index.
        Expr::Not(x) => format!("NOT coalesce(({}), FALSE)", expr_sql(x, params, me, pg)),
        // A text leaf always has an FTS5 form (above).
        Expr::Text(..) => "FALSE".into(),
        Expr::Field(f) => field_sql(f, params, me, pg),
    }
}

fn field_sql(f: &Field, params: &mut Vec<Value>, me: Option<&str>, pg: bool) -> String {
    if pg && let Some(sql) = pg_field_sql(f, params) {
        return sql;
    }
    let mut push = |v: Value| -> String {
        params.push(v);
        format!("?{}", params.len())
    };
    match f {
        Field::Author(a) => format!("m.author = {} COLLATE NOCASE", push(Value::Text(a.clone()))),
        Field::Feed(v) => {
            let list: Vec<String> = v.iter().map(|x| push(Value::Text(x.clone()))).collect();
            format!("f.name IN ({})", list.join(", "))
        }
        Field::Kind(k) => format!("m.kind = {}", push(Value::Text(k.as_str().to_string()))),
        Field::Site(s) => {
            let (from, to) = crate::query::facts::site_range(s);
            format!(
                "m.site >= {} AND m.site < {}",
                push(Value::Text(from)),
                push(Value::Text(to))
            )
        }
        Field::Reach(c, n) => format!("m.author_reach {} {}", c.sql(), push(Value::Integer(*n))),
        Field::Score(c, n) => format!(
            "json_extract(m.engagement, '$.score') {} {}",
            c.sql(),
            push(Value::Integer(*n))
        ),
        Field::Status(v) => {
            let list: Vec<String> = v.iter().map(|s| push(Value::Text(s.as_str().to_string()))).collect();
            format!("m.status IN ({})", list.join(", "))
        }
        Field::Tag(t) => format!(
            "EXISTS (SELECT 1 FROM mention_tags t WHERE t.mention_id = m.id AND t.tag = {})",
            push(Value::Text(t.clone()))
        ),
        Field::Assignee(a) if a.is_empty() => "m.assignee IS NULL".into(),
        Field::Assignee(a) => {
            let who = match (a.as_str(), me) {
                ("me", Some(me)) => me,
                _ => a,
            };
            format!("m.assignee = {}", push(Value::Text(who.to_string())))
        }
        Field::Since(t, _) => format!("m.sort_at >= {}", push(Value::Integer(t.timestamp()))),
        Field::Until(t, _) => format!("m.sort_at < {}", push(Value::Integer(t.timestamp()))),
        Field::Unread => "r.mention_id IS NULL".into(),
        // Bare: the condition of SQLite's partial indexes.
        Field::HasLink => "m.has_link".into(),
        Field::IsQuestion => "m.is_question".into(),
        Field::Lang(l) if l.is_empty() => "m.lang IS NULL".into(),
        Field::Lang(l) => format!("m.lang = {}", push(Value::Text(l.clone()))),
        // The lead by its key, the others by the index of stories.
        Field::Story(n) => {
            let p = push(Value::Integer(*n));
            format!("(m.id = {p} OR m.story_id = {p})")
        }
        // Literal thresholds: `m.sentiment <= -0.05` is the condition of the index of negatives.
        Field::Sentiment(crate::score::Label::Negative) => {
            format!("m.sentiment <= -{}", crate::score::sentiment::THRESHOLD)
        }
        Field::Sentiment(crate::score::Label::Positive) => {
            format!("m.sentiment >= {}", crate::score::sentiment::THRESHOLD)
        }
        Field::Sentiment(crate::score::Label::Neutral) => format!(
            "m.sentiment > -{t} AND m.sentiment < {t}",
            t = crate::score::sentiment::THRESHOLD
        ),
        Field::Sort(_) => "TRUE".into(),
        Field::Priority(c, n) => format!("m.priority {} {}", c.sql(), push(Value::Integer(*n))),
        Field::Intent(v) => format!("m.intent & {} <> 0", v.iter().fold(0, |a, i| a | i.bit())),
        // `noise <> 0` is the condition of the index of noise.
        Field::Noise(b) if *b == crate::score::noise::Noise::ANY => "m.noise <> 0".into(),
        Field::Noise(b) => format!("m.noise <> 0 AND m.noise & {b} <> 0"),
        Field::Person(t) => format!(
            "m.author_id IN (SELECT a.id FROM person_tags pt JOIN authors a ON a.person_id = pt.person_id
                             WHERE pt.tag = {})",
            push(Value::Text(t.clone()))
        ),
    }
}

/// A text subtree of the query language (words, phrases, `NEAR`, `title:`/`text:`, and `AND`,
/// `OR`, `NOT` over them) as a PostgreSQL condition: each leaf a `tsquery` made in SQL from its
/// words (`phraseto_tsquery`, so nothing typed is tsquery syntax; a prefix by `:*`; `NEAR` as
/// `tsquery_phrase` at each distance up to `n + 1`, either order), tested against the mention's
/// `fts` column (title, text and author, with its GIN index), and a column's leaf a second time
/// against that column's own words.
pub fn pg_text_sql(e: &Expr, params: &mut Vec<Value>) -> String {
    use crate::query::expr::Text;
    let push = |params: &mut Vec<Value>, v: &str| -> String {
        params.push(Value::Text(v.to_string()));
        format!("?{}", params.len())
    };
    match e {
        Expr::Text(col, t) => {
            let q = match t {
                Text::Word { word, prefix: false } | Text::Phrase(word) => {
                    format!("phraseto_tsquery('simple', {})", push(params, word))
                }
                Text::Word { word, prefix: true } => {
                    // A quoted lexeme, then `:*`: the words typed are never tsquery syntax.
                    let quoted = format!("'{}':*", word.replace('\\', "\\\\").replace('\'', "''"));
                    format!("to_tsquery('simple', {})", push(params, &quoted))
                }
                Text::Near { a, b, n } => {
                    let (pa, pb) = (push(params, a), push(params, b));
                    let (qa, qb) = (
                        format!("phraseto_tsquery('simple', {pa})"),
                        format!("phraseto_tsquery('simple', {pb})"),
                    );
                    (1..=n.saturating_add(1).min(64))
                        .flat_map(|k| {
                            [
                                format!("tsquery_phrase({qa}, {qb}, {k})"),
                                format!("tsquery_phrase({qb}, {qa}, {k})"),
                            ]
                        })
                        .collect::<Vec<_>>()
                        .join(" || ")
                }
            };
            match col {
                None => format!("m.fts @@ ({q})"),
                Some(c) => format!(
                    "(m.fts @@ ({q}) AND to_tsvector('simple', coalesce(m.{}, '')) @@ ({q}))",
                    c.name()
                ),
            }
        }
        Expr::And(v) | Expr::Or(v) if v.is_empty() => {
            if matches!(e, Expr::And(_)) {
                "TRUE".into()
            } else {
                "FALSE".into()
            }
        }
        Expr::And(v) | Expr::Or(v) => {
            let op = if matches!(e, Expr::And(_)) { " AND " } else { " OR " };
            let parts: Vec<String> = v.iter().map(|x| format!("({})", pg_text_sql(x, params))).collect();
            format!("({})", parts.join(op))
        }
        Expr::Not(x) => format!("NOT coalesce(({}), FALSE)", pg_text_sql(x, params)),
        // Not text: the caller's fields.
        Expr::Field(_) => "FALSE".into(),
    }
}

/// The fields PostgreSQL says otherwise: a name compared without case, the score in the JSON,
/// the flags as numbers.
fn pg_field_sql(f: &Field, params: &mut Vec<Value>) -> Option<String> {
    let mut push = |v: Value| -> String {
        params.push(v);
        format!("?{}", params.len())
    };
    Some(match f {
        Field::Author(a) => format!("lower(m.author) = lower({})", push(Value::Text(a.clone()))),
        Field::Score(c, n) => format!(
            "(m.engagement::jsonb ->> 'score')::DOUBLE PRECISION {} {}",
            c.sql(),
            push(Value::Integer(*n))
        ),
        Field::HasLink => "m.has_link <> 0".into(),
        Field::IsQuestion => "m.is_question <> 0".into(),
        _ => return None,
    })
}

/// How a filter's words are matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Search {
    /// Evaluate the full-text query in the statement.
    Match,
    /// Probe the full-text index row by row (a search with many matches, read in stream order).
    Probe,
    /// The matches were read once into `temp.search_hits` (a search with few).
    Kept,
}

/// From this many full-text matches on, windows walk the stream's index and probe the full-text
/// index per row (a page needs few rows); below it, the matches are read once per search (and per
/// change of the database) and kept, and every window and count reads the kept ones.
const DENSE_MATCHES: i64 = 5_000;

/// Counts of matching mentions stop here (the title says "10000+"): a count never walks the history.
pub const MATCH_CAP: i64 = 10_000;

/// Whose stream, seen through which filter.
#[derive(Debug, Clone, Copy)]
pub struct Scope<'a> {
    pub operator: &'a str,
    pub filter: &'a StreamFilter,
}

impl Scope<'_> {
    fn params(&self) -> Vec<Value> {
        vec![Value::Text(self.operator.to_string())]
    }
}

/// A mention with everything the detail pane shows.
#[derive(Debug, Clone, PartialEq)]
pub struct Detail {
    pub mention: Mention,
    pub tags: Vec<String>,
    pub notes: Vec<Note>,
    pub history: Vec<HistoryEntry>,
    /// Who wrote it, as operators know them: tags, notes and figures.
    pub person: Option<super::PersonRow>,
    /// Who corrected its judgement, and what the model had said (its sentiment, its intents).
    pub judged: Option<(String, Option<f64>, crate::score::Intents)>,
    /// The other places its story is seen (its lead first when it is not the lead).
    pub places: Vec<StoryPlace>,
    /// The conversation it is part of, in order (empty when none).
    pub conversation: Vec<super::Message>,
    /// Where its thread is found at its source, when the source shows threads.
    pub thread_of: Option<crate::model::ThreadOf>,
    /// The thread around it, as last fetched.
    pub thread: Option<crate::model::Thread>,
}

/// The newest messages of a conversation the detail shows.
const CONVERSATION_SHOWN: usize = 30;

/// Another place a story is seen.
#[derive(Debug, Clone, PartialEq)]
pub struct StoryPlace {
    pub id: i64,
    pub feed: String,
    pub title: Option<String>,
    pub url: Option<String>,
    pub at: DateTime<Utc>,
    pub status: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Note {
    pub author: String,
    pub body: String,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct HistoryEntry {
    pub actor: String,
    pub event: HistoryEvent,
    pub at: DateTime<Utc>,
}

/// What one entry of a mention's history records, read from the `actions` table.
#[derive(Debug, Clone, PartialEq)]
pub enum HistoryEvent {
    Status {
        from: String,
        to: String,
    },
    Assigned(Option<String>),
    Tagged(String),
    Untagged(String),
    Noted,
    Unnoted,
    /// A reply sent from overhear, with its text.
    Replied(String),
    /// Answered by hand elsewhere, with the text recorded.
    AnsweredElsewhere(String),
    /// A reply submitted for approval, with its text.
    Submitted(String),
    /// An approver sent `writer`'s reply back, with a note.
    Returned {
        writer: String,
        note: String,
    },
    /// An approver approved `writer`'s reply (and sent it).
    Approved {
        writer: String,
    },
    /// An action this version does not know (written by a newer one).
    Other(String),
    /// An operator corrected the model: "positive · praise" → "negative · complaint".
    Judged {
        from: String,
        to: String,
    },
}

impl HistoryEvent {
    /// The event an `actions` row records.
    pub fn from_row(action: &str, from: Option<String>, to: Option<String>) -> HistoryEvent {
        match (action, from, to) {
            ("status", Some(f), Some(t)) => HistoryEvent::Status { from: f, to: t },
            ("assign", _, to) => HistoryEvent::Assigned(to),
            ("tag", _, Some(tag)) => HistoryEvent::Tagged(tag),
            ("untag", Some(tag), _) => HistoryEvent::Untagged(tag),
            ("note", ..) => HistoryEvent::Noted,
            ("unnote", ..) => HistoryEvent::Unnoted,
            ("reply", _, Some(text)) => HistoryEvent::Replied(text),
            ("response", _, Some(text)) => HistoryEvent::AnsweredElsewhere(text),
            ("submitted", _, Some(text)) => HistoryEvent::Submitted(text),
            ("returned", Some(writer), note) => HistoryEvent::Returned {
                writer,
                note: note.unwrap_or_default(),
            },
            ("approved", Some(writer), _) => HistoryEvent::Approved { writer },
            ("judge", Some(f), Some(t)) => {
                let words = |s: &str| {
                    let (a, b) = s.split_once(';').unwrap_or((s, "0"));
                    super::triage::judged(a.parse().ok(), b.parse().unwrap_or(0))
                };
                HistoryEvent::Judged {
                    from: words(&f),
                    to: words(&t),
                }
            }
            (other, ..) => HistoryEvent::Other(other.to_string()),
        }
    }
}

/// The position of a row in the stream's order (first is highest): its time, or its
/// priority's rank (`sort:priority`), then its id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct StreamKey {
    pub sort_at: i64,
    pub id: i64,
}

impl Mention {
    /// Its key in the order it was read in.
    pub fn stream_key(&self) -> StreamKey {
        StreamKey {
            sort_at: self.order_key,
            id: self.id,
        }
    }
}

/// Which mentions `overhear export` writes.
#[derive(Debug, Clone, Default)]
pub struct ExportFilter {
    /// Only mentions published (or first seen) at or after this instant.
    pub since: Option<DateTime<Utc>>,
    /// Only the mentions this query matches (`overhear export --filter`).
    pub query: StreamFilter,
    /// Whose `@me` and `unread` the query means.
    pub operator: String,
}

impl Store {
    /// Up to `limit` mentions strictly older than `after` in stream order (newest first);
    /// from the top when `after` is `None`.
    pub fn stream_after(&self, scope: Scope<'_>, after: Option<StreamKey>, limit: usize) -> Result<Vec<Mention>> {
        let (sort_at, id) = after.map_or((i64::MAX, i64::MAX), |k| (k.sort_at, k.id));
        let mut params = scope.params();
        params.extend([
            Value::Integer(sort_at),
            Value::Integer(id),
            Value::Integer(limit as i64),
        ]);
        let (from, cond) = self.plan(scope, &mut params)?;
        let (cols, key) = (columns(scope.filter.order), order_column(scope.filter.order));
        let sql = format!(
            "SELECT {cols} FROM {from}
             WHERE ({key}, m.id) < (?2, ?3){cond}
             ORDER BY {key} DESC, m.id DESC LIMIT ?4"
        );
        self.query_mentions(&sql, params, "reading the stream")
    }

    /// Up to `limit` mentions strictly newer than `before`, returned newest first.
    pub fn stream_before(&self, scope: Scope<'_>, before: StreamKey, limit: usize) -> Result<Vec<Mention>> {
        let mut params = scope.params();
        params.extend([
            Value::Integer(before.sort_at),
            Value::Integer(before.id),
            Value::Integer(limit as i64),
        ]);
        let (from, cond) = self.plan(scope, &mut params)?;
        let (cols, key) = (columns(scope.filter.order), order_column(scope.filter.order));
        // The order's key is the last column, by name: a column added before it cannot move it.
        let sql = format!(
            "SELECT * FROM (SELECT {cols} FROM {from}
             WHERE ({key}, m.id) > (?2, ?3){cond}
             ORDER BY {key} ASC, m.id ASC LIMIT ?4) w ORDER BY order_key DESC, 1 DESC"
        );
        self.query_mentions(&sql, params, "reading the stream")
    }

    /// The tables and conditions for a window query in scope: a search with many matches walks
    /// the stream's index (in order, stopping after a page); one with few reads the matches kept.
    fn plan(&self, scope: Scope<'_>, params: &mut Vec<Value>) -> Result<(String, String)> {
        let search = self.search_mode(scope.filter)?;
        Ok(self.plan_with(scope, params, search))
    }

    /// How the filter's words are best matched: none, few (kept), many (probed).
    fn search_mode(&self, filter: &StreamFilter) -> Result<Search> {
        if self.db().dialect() == db::Dialect::Postgres {
            return Ok(Search::Match);
        }
        Ok(match filter.fts_query() {
            Some(q) => match self.search_hits(&q)? {
                Some(_) => Search::Kept,
                None => Search::Probe,
            },
            None => Search::Match,
        })
    }

    fn plan_with(&self, scope: Scope<'_>, params: &mut Vec<Value>, search: Search) -> (String, String) {
        // The stream's own index gives rows in stream order and a page stops after a page: used
        // whenever no other index narrows the rows more (a status or an assignee has its own; a
        // search with few matches reads them). Left to itself, SQLite's planner may skip-scan
        // another index and sort the whole history to give one row (it did, for `G`).
        let stream_order = match search {
            Search::Probe => true,
            Search::Kept => false,
            Search::Match => scope.filter.statuses.is_empty() && scope.filter.assignee.is_none(),
        };
        let from = if stream_order {
            let index = match scope.filter.order {
                Order::Time => "mentions_stream",
                Order::Priority => "mentions_priority",
            };
            MENTION_FROM.replacen("mentions m", &format!("mentions m INDEXED BY {index}"), 1)
        } else {
            MENTION_FROM.to_string()
        };
        let pg = self.db().dialect() == db::Dialect::Postgres;
        let mut cond = filter_sql(scope.filter, params, search, Some(scope.operator), pg);
        // A story's places are listed when asked for (`story:N`); else the story is its lead.
        if scope.filter.story().is_none() {
            cond.push_str(LEADS_ONLY);
        }
        (from, cond)
    }

    /// The full-text query evaluated once: `Some(n)` when it has few matches, kept in
    /// `temp.search_hits`; `None` when it has many. Kept until the query or the database changes.
    fn search_hits(&self, q: &str) -> Result<Option<usize>> {
        let version = self.data_version()?;
        let mut cache = self.search_cache.borrow_mut();
        if let Some((cached, v, hits)) = cache.as_ref()
            && cached == q
            && *v == version
        {
            return Ok(*hits);
        }
        let conn = self.conn();
        conn.execute_batch(
            "CREATE TEMP TABLE IF NOT EXISTS search_hits (id INTEGER PRIMARY KEY); DELETE FROM temp.search_hits;",
        )
        .doing("searching")?;
        let n = conn
            .prepare_cached(
                "INSERT INTO temp.search_hits (id) SELECT rowid FROM mentions_fts WHERE mentions_fts MATCH ?1 LIMIT ?2",
            )
            .and_then(|mut st| st.execute(rusqlite::params![q, DENSE_MATCHES]))
            .doing("searching")?;
        let hits = (n < DENSE_MATCHES as usize).then_some(n);
        *cache = Some((q.to_string(), version, hits));
        Ok(hits)
    }

    fn query_mentions(&self, sql: &str, params: Vec<Value>, doing: &'static str) -> Result<Vec<Mention>> {
        self.db().query_map(sql, &refs(&params), mention_from_row).doing(doing)
    }

    /// How many mentions in scope sort above `key` (newer than it), counting at most `cap`.
    pub fn count_newer(&self, scope: Scope<'_>, key: StreamKey, cap: usize) -> Result<i64> {
        let mut params = scope.params();
        params.extend([
            Value::Integer(key.sort_at),
            Value::Integer(key.id),
            Value::Integer(cap as i64),
        ]);
        let (from, cond) = self.plan(scope, &mut params)?;
        // Counting stops at `cap`: the title says "1000+" rather than walk a million rows.
        let key = order_column(scope.filter.order);
        let sql =
            format!("SELECT count(*) FROM (SELECT 1 FROM {from} WHERE ({key}, m.id) > (?2, ?3){cond} LIMIT ?4) n");
        self.db()
            .query_row(&sql, &refs(&params), |r| r.get(0))
            .doing("counting new mentions")
    }

    /// How many mentions match the scope's filter, counting at most [`MATCH_CAP`]: the count and
    /// whether it stopped there.
    pub fn count_matching(&self, scope: Scope<'_>) -> Result<(i64, bool)> {
        if let Some(q) = scope
            .filter
            .words_only()
            .filter(|_| self.db().dialect() == db::Dialect::Sqlite)
        {
            // Every row of the full-text index is a mention (they are written in one
            // transaction): its matches are the count, with no probe per mention.
            let n: i64 = self
                .conn()
                .prepare_cached(
                    "SELECT count(*) FROM (SELECT 1 FROM mentions_fts WHERE mentions_fts MATCH ?1 LIMIT ?2)",
                )
                .and_then(|mut s| s.query_row(rusqlite::params![q, MATCH_CAP + 1], |r| r.get(0)))
                .doing("counting mentions")?;
            return Ok((n.min(MATCH_CAP), n > MATCH_CAP));
        }
        let mut params = scope.params();
        // Many matches and other conditions: a window probes the full-text index for each row it
        // walks (a page needs few), but a count would probe up to twice the cap; the matches read
        // once, in id order, are cheaper.
        let search = match self.search_mode(scope.filter)? {
            Search::Probe => Search::Match,
            s => s,
        };
        let (from, cond) = self.plan_with(scope, &mut params, search);
        params.push(Value::Integer(MATCH_CAP + 1));
        let cap = params.len();
        let sql = format!("SELECT count(*) FROM (SELECT 1 FROM {from} WHERE TRUE{cond} LIMIT ?{cap}) n");
        let n: i64 = self
            .db()
            .query_row(&sql, &refs(&params), |r| r.get(0))
            .doing("counting mentions")?;
        Ok((n.min(MATCH_CAP), n > MATCH_CAP))
    }

    /// The ids of every mention matching the scope's filter (for bulk actions).
    pub fn matching_ids(&self, scope: Scope<'_>) -> Result<Vec<i64>> {
        let mut params = scope.params();
        let pg = self.db().dialect() == db::Dialect::Postgres;
        let cond = filter_sql(scope.filter, &mut params, Search::Match, Some(scope.operator), pg);
        let sql = format!("SELECT m.id FROM {MENTION_FROM} WHERE TRUE{cond} ORDER BY m.sort_at DESC, m.id DESC");
        self.db()
            .query_map(&sql, &refs(&params), |r| r.get(0))
            .doing("selecting mentions")
    }

    /// Counts for the stream's title: (all, new, open), from the counters kept as mentions are
    /// written and triaged (no count of the history).
    pub fn stream_counts(&self) -> Result<(i64, i64, i64)> {
        self.db()
            .query_row(
                "SELECT total, new, open FROM stream_counts WHERE id = 1",
                db::params![],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .doing("counting mentions")
    }

    /// The newest mention of feed `feed` titled `title`, with when it was published (its place
    /// in the stream): how the demo finds what its team answered.
    pub fn find_titled(&self, feed: &str, title: &str) -> Result<Option<(i64, DateTime<Utc>)>> {
        self.db()
            .query_opt(
                "SELECT m.id, m.sort_at FROM mentions m JOIN feeds f ON f.id = m.feed_id
                 WHERE f.name = ?1 AND m.title = ?2 ORDER BY m.id DESC LIMIT 1",
                db::params![feed, title],
                |r| Ok((r.get(0)?, super::from_ts(r.get(1)?))),
            )
            .doing("finding a mention by its title")
    }

    /// Every mention dated as seen when it was published, as if overhear had been polling all
    /// along: for the demo, whose week is polled in one go when it starts (its SLA figures would
    /// otherwise start at that instant). Any other database keeps what it saw.
    pub fn as_if_seen_when_published(&mut self) -> Result<usize> {
        self.write_db("dating the demo's mentions", |db| {
            db.execute(
                "UPDATE mentions SET first_seen_at = published_at
                 WHERE published_at IS NOT NULL AND published_at < first_seen_at",
                db::params![],
            )
        })
    }

    pub fn mention(&self, operator: &str, id: i64) -> Result<Option<Mention>> {
        let sql = format!("SELECT {MENTION_COLUMNS} FROM {MENTION_FROM} WHERE m.id = ?2");
        self.db()
            .query_opt(&sql, db::params![operator, id], mention_from_row)
            .doing("reading a mention")
    }

    /// A mention with its tags, notes and history, for the detail pane.
    pub fn detail(&self, operator: &str, id: i64) -> Result<Option<Detail>> {
        let Some(mention) = self.mention(operator, id)? else {
            return Ok(None);
        };
        let db = self.db();
        let tags = db
            .query_map(
                "SELECT tag FROM mention_tags WHERE mention_id = ?1 ORDER BY tag",
                db::params![id],
                |r| r.get(0),
            )
            .doing("reading tags")?;
        let notes = db
            .query_map(
                "SELECT author, body, created_at FROM notes WHERE mention_id = ?1 ORDER BY created_at, id",
                db::params![id],
                |r| {
                    Ok(Note {
                        author: r.get(0)?,
                        body: r.get(1)?,
                        at: from_ts(r.get(2)?),
                    })
                },
            )
            .doing("reading notes")?;
        let history = db
            .query_map(
                "SELECT actor, action, from_value, to_value, at FROM actions WHERE mention_id = ?1 ORDER BY at, id",
                db::params![id],
                |r| {
                    let action: String = r.get(1)?;
                    Ok(HistoryEntry {
                        actor: r.get(0)?,
                        event: HistoryEvent::from_row(&action, r.get(2)?, r.get(3)?),
                        at: from_ts(r.get(4)?),
                    })
                },
            )
            .doing("reading history")?;
        let person = self.person_of(id)?;
        let judged = self.judgement_of(id)?;
        let places = self.places(mention.group_id, id)?;
        let conversation = if mention.conversation_id.is_some() {
            self.conversation(id, CONVERSATION_SHOWN)?
        } else {
            Vec::new()
        };
        Ok(Some(Detail {
            mention,
            tags,
            notes,
            history,
            person,
            judged,
            places,
            conversation,
            thread_of: self
                .thread_of(id)?
                .filter(|of| crate::sources::thread::tells_threads(of.kind)),
            thread: self.thread(id)?,
        }))
    }

    /// The places story `group` is seen, but mention `except`: the lead first, then in order.
    fn places(&self, group: i64, except: i64) -> Result<Vec<StoryPlace>> {
        self.db()
            .query_map(
                "SELECT m.id, f.name, m.title, m.url, m.sort_at, m.status FROM mentions m JOIN feeds f ON f.id = m.feed_id
                 WHERE (m.id = ?1 OR m.story_id = ?1) AND m.id <> ?2 ORDER BY m.story_id IS NOT NULL, m.id LIMIT 50",
                db::params![group, except],
                |r| {
                    Ok(StoryPlace {
                        id: r.get(0)?,
                        feed: r.get(1)?,
                        title: r.get(2)?,
                        url: r.get(3)?,
                        at: from_ts(r.get(4)?),
                        status: r.get(5)?,
                    })
                },
            )
            .doing("reading a story's places")
    }

    /// Visit every mention matching `filter`, oldest first, one row at a time.
    pub fn for_each_mention(
        &self,
        filter: &ExportFilter,
        mut visit: impl FnMut(Mention) -> std::io::Result<()>,
    ) -> Result<std::io::Result<()>> {
        let since = filter.since.map_or(i64::MIN, |t| t.timestamp());
        let mut params = vec![Value::Text(filter.operator.clone()), Value::Integer(since)];
        if self.db().dialect() == db::Dialect::Postgres {
            return self.for_each_mention_paged(filter, visit);
        }
        let cond = filter_sql(&filter.query, &mut params, Search::Match, Some(&filter.operator), false);
        let sql = format!(
            "SELECT {MENTION_COLUMNS} FROM {MENTION_FROM}
             WHERE m.sort_at >= ?2 {cond} ORDER BY m.sort_at ASC, m.id ASC"
        );
        let mut stmt = self.conn().prepare(&sql).doing("exporting mentions")?;
        let mut rows = stmt.query(params_from_iter(params)).doing("exporting mentions")?;
        while let Some(row) = rows.next().doing("exporting mentions")? {
            let m = mention_from_row(&db::Row::Sqlite(row)).doing("exporting mentions")?;
            if let Err(e) = visit(m) {
                return Ok(Err(e));
            }
        }
        Ok(Ok(()))
    }

    /// [`Store::for_each_mention`] a page of rows at a time, by keyset (PostgreSQL: a query's rows
    /// come whole, so a page, not the history, is held).
    fn for_each_mention_paged(
        &self,
        filter: &ExportFilter,
        mut visit: impl FnMut(Mention) -> std::io::Result<()>,
    ) -> Result<std::io::Result<()>> {
        const PAGE: i64 = 1_000;
        let since = filter.since.map_or(i64::MIN, |t| t.timestamp());
        let mut after = (i64::MIN, i64::MIN);
        loop {
            let mut params = vec![
                Value::Text(filter.operator.clone()),
                Value::Integer(since),
                Value::Integer(after.0),
                Value::Integer(after.1),
                Value::Integer(PAGE),
            ];
            let cond = filter_sql(&filter.query, &mut params, Search::Match, Some(&filter.operator), true);
            let sql = format!(
                "SELECT {MENTION_COLUMNS} FROM {MENTION_FROM}
                 WHERE m.sort_at >= ?2 AND (m.sort_at, m.id) > (?3, ?4) {cond}
                 ORDER BY m.sort_at ASC, m.id ASC LIMIT ?5"
            );
            let page = self.query_mentions(&sql, params, "exporting mentions")?;
            let Some(last) = page.last() else { return Ok(Ok(())) };
            after = (last.sort_at.timestamp(), last.id);
            let full = page.len() as i64 == PAGE;
            for m in page {
                if let Err(e) = visit(m) {
                    return Ok(Err(e));
                }
            }
            if !full {
                return Ok(Ok(()));
            }
        }
    }
}

/// Parameters as [`Db`] takes them.
pub(super) fn refs(params: &[Value]) -> Vec<&dyn db::Param> {
    params.iter().map(|p| p as &dyn db::Param).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{FeedKind, NewMention};
    use crate::store::PollWrite;

    const ALL: Scope<'static> = Scope {
        operator: "alice",
        filter: &EMPTY,
    };
    static EMPTY: StreamFilter = StreamFilter::EMPTY;

    /// `n` mentions on each backend the tests reach.
    fn seeded(n: i64) -> Vec<(crate::store::TestPlace, Store)> {
        crate::store::each_backend()
            .into_iter()
            .map(|(place, mut s)| {
                seed(&mut s, n);
                (place, s)
            })
            .collect()
    }

    fn seed(s: &mut Store, n: i64) {
        let feed = s.ensure_feed("f", FeedKind::Rss).unwrap();
        let now = Utc::now();
        let mentions = (0..n)
            .map(|i| NewMention {
                external_id: Some(format!("id{i}")),
                text: format!("m{i}"),
                // Two mentions share each timestamp, so ties are broken by id.
                published_at: Some(now - chrono::Duration::seconds(1000 - i / 2)),
                ..Default::default()
            })
            .collect();
        let poll = PollWrite {
            mentions,
            status: 200,
            next_poll_at: now,
            ..Default::default()
        };
        s.write_poll(feed, FeedKind::Rss, &poll, now).unwrap();
    }

    /// The ids each query's words find: through FTS5, or PostgreSQL's tsvector.
    fn search_ids(s: &Store, queries: &[&str], pg: bool) -> Vec<Vec<i64>> {
        queries
            .iter()
            .map(|q| {
                let f = StreamFilter::parse(q, Utc::now()).unwrap();
                let text: Vec<&Expr> = f.text.iter().chain(f.rest.iter().filter(|e| e.is_text())).collect();
                let mut params = Vec::new();
                let cond = text
                    .iter()
                    .map(|e| {
                        if pg {
                            format!("({})", pg_text_sql(e, &mut params))
                        } else {
                            format!("({})", expr_sql(e, &mut params, None, false))
                        }
                    })
                    .collect::<Vec<_>>()
                    .join(" AND ");
                let refs: Vec<&dyn crate::store::db::Param> =
                    params.iter().map(|p| p as &dyn crate::store::db::Param).collect();
                s.db()
                    .query_map(
                        &format!("SELECT m.id FROM mentions m WHERE {cond} ORDER BY m.id"),
                        &refs,
                        |r| r.get(0),
                    )
                    .unwrap_or_else(|e| panic!("{q}: {e}"))
            })
            .collect()
    }

    /// A mention per (title, text), indexed for search.
    fn fill_corpus(s: &Store, corpus: &[(&str, &str)]) {
        for (i, (title, text)) in corpus.iter().enumerate() {
            let id = crate::store::bare_mention(s, &i.to_string());
            if s.db().dialect() == crate::store::db::Dialect::Sqlite {
                // In the full-text index first: its update trigger takes the old words out.
                s.db()
                    .execute(
                        "INSERT INTO mentions_fts (rowid, title, text, author)
                         SELECT id, title, text, author FROM mentions WHERE id = ?1",
                        crate::store::db::params![id],
                    )
                    .unwrap();
            }
            s.db()
                .execute(
                    "UPDATE mentions SET title = nullif(?2, ''), text = ?3 WHERE id = ?1",
                    crate::store::db::params![id, title, text],
                )
                .unwrap();
        }
    }

    /// The stream's windows, counts, ids, a mention's detail and the export, through the store on
    /// either backend, with filters of every kind.
    fn stream_scenario(s: &mut Store) -> Vec<String> {
        let corpus = [
            ("Refund please", "my order never arrived and I want a refund"),
            ("Love it", "the new acme phone is great, battery lasts"),
            ("Question", "how do I cancel my subscription? refunds?"),
            ("Outage", "acme is down again, no service since noon"),
            ("", "great support from acme today, thanks"),
            ("Battery", "the battery of the acme phone died after one day"),
        ];
        fill_corpus(s, &corpus);
        s.db()
            .execute(
                "UPDATE mentions SET sort_at = sort_at + id * 60, is_question = CASE WHEN id = 3 THEN 1 ELSE 0 END, priority = id % 3,
                    priority_rank = (id % 3) * 1000 + id",
                crate::store::db::params![],
            )
            .unwrap();
        s.apply(
            &[2],
            &crate::store::Change::Status(crate::model::Status::Open),
            "alice",
            Utc::now(),
        )
        .unwrap();
        let mut said = Vec::new();
        for q in [
            "",
            "refund",
            "acme -phone",
            "status:open",
            "sort:priority",
            "is:question",
            "author:BOB",
            "title:battery",
            "acme phone",
            "acme OR status:open",
        ] {
            let f = StreamFilter::parse(q, Utc::now()).unwrap();
            let scope = Scope {
                operator: "alice",
                filter: &f,
            };
            let first = s.stream_after(scope, None, 2).unwrap();
            let rest = first
                .last()
                .map(|m| s.stream_after(scope, Some(m.stream_key()), 10).unwrap())
                .unwrap_or_default();
            let ids = |v: &[Mention]| v.iter().map(|m| m.id).collect::<Vec<_>>();
            said.push(format!(
                "{q}: {:?} {:?} {:?} {:?}",
                ids(&first),
                ids(&rest),
                s.count_matching(scope).unwrap(),
                s.matching_ids(scope).unwrap()
            ));
        }
        let d = s.detail("alice", 2).unwrap().unwrap();
        said.push(format!(
            "{:?} {:?} {:?} {}",
            d.mention.status,
            d.history.len(),
            d.tags,
            d.mention.text
        ));
        let mut exported = Vec::new();
        s.for_each_mention(
            &ExportFilter {
                query: StreamFilter::parse("acme", Utc::now()).unwrap(),
                operator: "alice".into(),
                ..Default::default()
            },
            |m| {
                exported.push(m.id);
                Ok(())
            },
        )
        .unwrap()
        .unwrap();
        said.push(format!("export {exported:?}"));
        said
    }

    #[test]
    fn the_stream_reads_alike_on_sqlite_and_postgres() {
        let dir = tempfile::tempdir().unwrap();
        let on_sqlite = stream_scenario(&mut Store::open(&dir.path().join("w.db")).unwrap());
        assert!(on_sqlite[1].starts_with("refund: [1] []"), "{on_sqlite:?}");
        let Some(pg) = crate::store::postgres::testing::database() else {
            return;
        };
        let on_pg = stream_scenario(&mut pg.store());
        for (l, p) in on_sqlite.iter().zip(&on_pg) {
            assert_eq!(l, p);
        }
    }

    /// The words a query finds are the same in SQLite's FTS5 and PostgreSQL's tsvector: words,
    /// prefixes, phrases, NEAR, a column, AND, OR and NOT, on a small corpus.
    #[test]
    fn searches_find_the_same_mentions_on_sqlite_and_postgres() {
        let corpus = [
            ("Refund please", "my order never arrived and I want a refund"),
            ("Love it", "the new acme phone is great, battery lasts"),
            ("Question", "how do I cancel my subscription? refunds?"),
            ("Outage", "acme is down again, no service since noon"),
            ("", "great support from acme today, thanks"),
            ("Battery", "the battery of the acme phone died after one day"),
        ];
        let queries = [
            "refund",
            "refund*",
            "\"acme phone\"",
            "acme -phone",
            "battery OR outage",
            "title:battery",
            "text:battery",
            "acme NEAR/5 died",
            "phone NEAR/1 great",
            "great (support OR phone)",
            "-acme",
        ];
        let dir = tempfile::tempdir().unwrap();
        let lite = Store::open(&dir.path().join("q.db")).unwrap();
        fill_corpus(&lite, &corpus);
        let on_sqlite = search_ids(&lite, &queries, false);
        assert_eq!(on_sqlite[0], [1], "refund: {on_sqlite:?}");
        assert_eq!(on_sqlite[1], [1, 3], "refund*: {on_sqlite:?}");
        let Some(pg) = crate::store::postgres::testing::database() else {
            return;
        };
        let s = pg.store();
        fill_corpus(&s, &corpus);
        let on_pg = search_ids(&s, &queries, true);
        for ((q, l), p) in queries.iter().zip(&on_sqlite).zip(&on_pg) {
            assert_eq!(l, p, "{q}");
        }
    }

    #[test]
    fn keyset_windows_walk_the_stream_without_gaps_or_repeats() {
        for (_d, s) in seeded(25) {
            let mut seen = Vec::new();
            let mut after = None;
            loop {
                let page = s.stream_after(ALL, after, 7).unwrap();
                if page.is_empty() {
                    break;
                }
                after = Some(page.last().unwrap().stream_key());
                seen.extend(page.into_iter().map(|m| m.text));
            }
            let expected: Vec<String> = (0..25).rev().map(|i| format!("m{i}")).collect();
            assert_eq!(seen, expected);

            let top = s.stream_after(ALL, None, 3).unwrap();
            let above = s.stream_before(ALL, top[2].stream_key(), 10).unwrap();
            assert_eq!(above.iter().map(|m| &m.text).collect::<Vec<_>>(), vec!["m24", "m23"]);
            assert_eq!(s.count_newer(ALL, top[2].stream_key(), 100).unwrap(), 2);
            assert_eq!(s.stream_counts().unwrap(), (25, 25, 0));
        }
    }

    #[test]
    fn export_visits_oldest_first_and_filters_by_date() {
        for (_d, s) in seeded(5) {
            let mut texts = Vec::new();
            s.for_each_mention(&ExportFilter::default(), |m| {
                texts.push(m.text);
                Ok(())
            })
            .unwrap()
            .unwrap();
            assert_eq!(texts, vec!["m0", "m1", "m2", "m3", "m4"]);
            let mut n = 0;
            let filter = ExportFilter {
                since: Some(Utc::now() + chrono::Duration::days(1)),
                ..Default::default()
            };
            s.for_each_mention(&filter, |_| {
                n += 1;
                Ok(())
            })
            .unwrap()
            .unwrap();
            assert_eq!(n, 0);
        }
    }

    #[test]
    fn counts_are_kept_not_counted_and_a_search_is_read_once_per_change() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db");
        let mut s = Store::open(&path).unwrap();
        let feed = s.ensure_feed("f", FeedKind::Rss).unwrap();
        let now = Utc::now();
        let poll = |from: i64, to: i64, word: &str| PollWrite {
            mentions: (from..to)
                .map(|i| NewMention {
                    external_id: Some(format!("id{i}")),
                    text: format!("{word} {i}"),
                    ..Default::default()
                })
                .collect(),
            status: 200,
            next_poll_at: now,
            ..Default::default()
        };
        s.write_poll(feed, FeedKind::Rss, &poll(0, MATCH_CAP + 5, "common"), now)
            .unwrap();
        s.write_poll(feed, FeedKind::Rss, &poll(MATCH_CAP + 5, MATCH_CAP + 8, "rare"), now)
            .unwrap();
        let total = MATCH_CAP + 8;
        assert_eq!(s.stream_counts().unwrap(), (total, total, 0));
        s.conn()
            .execute("UPDATE mentions SET status = 'open' WHERE id <= 3", [])
            .unwrap();
        assert_eq!(
            s.stream_counts().unwrap(),
            (total, total - 3, 3),
            "kept by the status trigger"
        );

        let reader = Store::open(&path).unwrap();
        let filter = |q: &str| StreamFilter::parse(q, now).unwrap();
        let common = filter("common");
        let scope = Scope {
            operator: "alice",
            filter: &common,
        };
        assert_eq!(
            reader.count_matching(scope).unwrap(),
            (MATCH_CAP, true),
            "a count stops at the cap"
        );
        let rare = filter("rare");
        let scope = Scope {
            operator: "alice",
            filter: &rare,
        };
        assert_eq!(reader.count_matching(scope).unwrap(), (3, false));
        assert_eq!(reader.stream_after(scope, None, 10).unwrap().len(), 3);
        // A new match written elsewhere is seen: the kept matches follow the database's version.
        s.write_poll(feed, FeedKind::Rss, &poll(total, total + 1, "rare"), now)
            .unwrap();
        assert_eq!(reader.count_matching(scope).unwrap(), (4, false));
        assert_eq!(reader.stream_after(scope, None, 10).unwrap().len(), 4);
    }
}

#[cfg(test)]
mod priority_order {
    use super::*;
    use crate::model::{Engagement, FeedKind, NewMention};
    use crate::store::PollWrite;
    use chrono::Duration;

    /// `sort:priority`: a loud complaint from a large account outranks praise from a small one,
    /// age decays it, and pages follow each other in that order without gaps or repeats.
    #[test]
    fn the_stream_by_priority_puts_first_what_to_answer_first() {
        for (_d, mut s) in crate::store::each_backend() {
            let feed = s.ensure_feed("x", FeedKind::X).unwrap();
            let now = Utc::now();
            let m = |id: &str, text: &str, reach: i64, likes: i64, hours: i64| NewMention {
                external_id: Some(id.into()),
                author: Some(format!("{id}_author")),
                author_reach: Some(reach),
                text: text.into(),
                published_at: Some(now - Duration::hours(hours)),
                engagement: Engagement {
                    likes: Some(likes),
                    ..Default::default()
                },
                ..Default::default()
            };
            let mentions = vec![
                m("praise", "Love the new dashboard, thanks!", 150, 2, 0),
                m(
                    "loud",
                    "Charged twice and support never answers. I will cancel. Terrible.",
                    120_000,
                    300,
                    1,
                ),
                m("news", "Acme releases version 4.2", 5_000, 10, 0),
                m(
                    "stale",
                    "Charged twice and support never answers. I will cancel. Terrible.",
                    120_000,
                    300,
                    24 * 7,
                ),
                m("question", "How do I export my notes? The button is broken", 900, 1, 0),
            ];
            s.write_poll(
                feed,
                FeedKind::X,
                &PollWrite {
                    mentions,
                    status: 200,
                    next_poll_at: now,
                    ..Default::default()
                },
                now,
            )
            .unwrap();
            let filter = StreamFilter::parse("sort:priority", now).unwrap();
            let scope = Scope {
                operator: "alice",
                filter: &filter,
            };
            let all = s.stream_after(scope, None, 10).unwrap();
            let order: Vec<&str> = all.iter().map(|m| m.external_id.as_str()).collect();
            assert_eq!(order[0], "loud", "{order:?}");
            assert_eq!(*order.last().unwrap(), "stale", "a week old weighs 1/128: {order:?}");
            let pos = |id: &str| order.iter().position(|x| *x == id).unwrap();
            assert!(pos("question") < pos("praise"), "{order:?}");
            // Paged two at a time, by the keys the console uses.
            let mut paged = Vec::new();
            let mut after = None;
            loop {
                let page = s.stream_after(scope, after, 2).unwrap();
                let Some(last) = page.last() else { break };
                after = Some(last.stream_key());
                paged.extend(page.into_iter().map(|m| m.external_id));
            }
            assert_eq!(paged, order);
            // And back up from the bottom.
            let up = s.stream_before(scope, all[4].stream_key(), 2).unwrap();
            let up: Vec<&str> = up.iter().map(|m| m.external_id.as_str()).collect();
            assert_eq!(up, order[2..4].to_vec());
        }
    }

    /// Rows above an anchor come newest first whatever order they were stored in (a feed lists
    /// its newest item first, so ids run against time).
    #[test]
    fn rows_above_an_anchor_come_in_stream_order_whatever_their_ids() {
        for (_d, mut s) in crate::store::each_backend() {
            let feed = s.ensure_feed("f", FeedKind::Rss).unwrap();
            let now = Utc::now();
            // Stored newest first: ids 1..6 run from the newest to the oldest.
            let mentions = (0..6)
                .map(|i| NewMention {
                    external_id: Some(format!("m{i}")),
                    text: format!("m{i}"),
                    author: Some(format!("a{}", i % 2)),
                    published_at: Some(now - Duration::hours(i)),
                    ..Default::default()
                })
                .collect();
            s.write_poll(
                feed,
                FeedKind::Rss,
                &PollWrite {
                    mentions,
                    status: 200,
                    next_poll_at: now,
                    ..Default::default()
                },
                now,
            )
            .unwrap();
            let filter = StreamFilter::default();
            let all_scope = Scope {
                operator: "alice",
                filter: &filter,
            };
            let all = s.stream_after(all_scope, None, 10).unwrap();
            let order: Vec<&str> = all.iter().map(|m| m.external_id.as_str()).collect();
            assert_eq!(order, ["m0", "m1", "m2", "m3", "m4", "m5"]);
            let up = s.stream_before(all_scope, all[5].stream_key(), 3).unwrap();
            let up: Vec<&str> = up.iter().map(|m| m.external_id.as_str()).collect();
            assert_eq!(up, ["m2", "m3", "m4"], "newest first, just above the anchor");
        }
    }
}
