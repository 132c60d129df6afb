//! The query language's grammar: words, `"phrases"`, `prefix*`, `AND` (implicit), `OR`,
//! `NOT`/`-term`, parentheses, `NEAR/n`, and fields (`title:`, `text:`, `author:`, `feed:`,
//! `kind:`, `site:`, `reach>N`, `score>N`, `status:`, `tag:`/`#tag`, `assignee:`/`@name`,
//! `since:`/`until:`, `unread`, `has:link`, `is:question`).
//!
//! One parser, two evaluators: [`Expr::matches`] in memory (a mention arriving, a feed's rules)
//! and the SQL the store builds from the same tree ([`Expr::fts`] for the words, through FTS5).
//! Both tokenise text the same way (FTS5's `unicode61 remove_diacritics 2`: letters and digits,
//! lower-cased, accents removed), and a test holds them to the same answers.

use super::facts;
use crate::model::{FeedKind, Status};
use chrono::{DateTime, Utc};
use std::fmt;

/// A parse error, with the column (1-based, in characters) it points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryError {
    pub column: usize,
    pub message: String,
}

impl fmt::Display for QueryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "column {}: {}", self.column, self.message)
    }
}

/// Which full-text column a text term is limited to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Col {
    Title,
    Text,
}

impl Col {
    pub fn name(self) -> &'static str {
        match self {
            Col::Title => "title",
            Col::Text => "text",
        }
    }
}

/// A text condition, matched against the words of the title, text and author (or one column).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Text {
    /// One word; with `prefix`, any word starting with it.
    Word { word: String, prefix: bool },
    /// Words next to each other, in order.
    Phrase(String),
    /// Two words or phrases at most `n` words apart, either order.
    Near { a: String, b: String, n: u32 },
}

/// How a number is compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cmp {
    Gt,
    Ge,
    Lt,
    Le,
    Eq,
}

impl Cmp {
    pub fn sql(self) -> &'static str {
        match self {
            Cmp::Gt => ">",
            Cmp::Ge => ">=",
            Cmp::Lt => "<",
            Cmp::Le => "<=",
            Cmp::Eq => "=",
        }
    }

    fn holds<T: PartialOrd>(self, a: T, b: T) -> bool {
        match self {
            Cmp::Gt => a > b,
            Cmp::Ge => a >= b,
            Cmp::Lt => a < b,
            Cmp::Le => a <= b,
            Cmp::Eq => a == b,
        }
    }
}

/// A condition on a mention's fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Field {
    /// The author, exactly (letter case aside).
    Author(String),
    Feed(Vec<String>),
    Kind(FeedKind),
    /// The link's host, subdomains included.
    Site(String),
    Reach(Cmp, i64),
    Score(Cmp, i64),
    Status(Vec<Status>),
    Tag(String),
    /// `""`: unassigned; `"me"`: the operator asking.
    Assignee(String),
    Since(DateTime<Utc>, String),
    Until(DateTime<Utc>, String),
    Unread,
    HasLink,
    IsQuestion,
    /// A two-letter language code; `""`: the language is not known.
    Lang(String),
    Sentiment(crate::score::Label),
    /// The base priority (before it decays with age), 0–100.
    Priority(Cmp, i64),
    /// Not a condition: how the stream is ordered (`sort:priority`); true of every mention.
    Sort(super::Order),
    /// Any of these intents.
    Intent(Vec<crate::score::Intent>),
    /// Its author's person has this tag (`person:vip`, `vip`).
    Person(String),
    /// Any of these signs of noise (a bit set of `score::noise::Noise`; `is:noise`: any).
    Noise(i64),
    /// Every place of the story mention `N` leads (`story:N`): the lead and the mentions grouped
    /// under it, which the stream otherwise leaves out.
    Story(i64),
}

/// A query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expr {
    And(Vec<Expr>),
    Or(Vec<Expr>),
    Not(Box<Expr>),
    Text(Option<Col>, Text),
    Field(Field),
}

/// What the in-memory evaluator reads of a mention.
#[derive(Debug, Clone, Copy)]
pub struct Candidate<'a> {
    pub title: Option<&'a str>,
    pub text: &'a str,
    pub author: Option<&'a str>,
    pub feed: &'a str,
    pub kind: FeedKind,
    pub url: Option<&'a str>,
    pub reach: Option<i64>,
    pub score: Option<i64>,
    /// Two-letter ISO 639-1 code, when known.
    pub lang: Option<&'a str>,
    /// VADER's compound score.
    pub sentiment: Option<f64>,
    /// A bit set of `score::Intent`.
    pub intents: i64,
    /// The base priority.
    pub priority: f64,
    pub status: Status,
    pub tags: &'a [String],
    /// The tags of its author's person.
    pub person_tags: &'a [String],
    /// Its signs of noise (`score::noise`).
    pub noise: i64,
    pub assignee: Option<&'a str>,
    pub sort_at: DateTime<Utc>,
    pub unread: bool,
    /// Who `assignee:me` means.
    pub me: &'a str,
    /// The story it is a place of (its lead's id, its own when it leads), once stored.
    pub story: Option<i64>,
}

impl Candidate<'_> {
    /// A mention with nothing known but what a caller fills in (`..Candidate::blank()`): new,
    /// untagged, unassigned, unread, now.
    pub fn blank() -> Candidate<'static> {
        Candidate {
            title: None,
            text: "",
            author: None,
            feed: "",
            kind: FeedKind::Rss,
            url: None,
            reach: None,
            score: None,
            lang: None,
            sentiment: None,
            intents: 0,
            priority: 0.0,
            status: Status::New,
            tags: &[],
            person_tags: &[],
            noise: 0,
            assignee: None,
            sort_at: Utc::now(),
            unread: true,
            me: "",
            story: None,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Words, as FTS5's unicode61 tokenizer with remove_diacritics 2 sees them.

/// The words of `s`: runs of letters and digits, lower-cased, accents removed.
pub fn words(s: &str) -> Vec<String> {
    word_slices(s).into_iter().map(std::borrow::Cow::into_owned).collect()
}

/// [`words`], borrowing each word that is already folded (most are: lower-case ASCII).
pub fn word_slices(s: &str) -> Vec<std::borrow::Cow<'_, str>> {
    use unicode_normalization::char::is_combining_mark;
    let mut out = Vec::new();
    // The current run: where it starts, and whether it is folded as written.
    let mut start: Option<usize> = None;
    let mut plain = true;
    let end = |from: usize, to: usize, plain: bool| -> std::borrow::Cow<'_, str> {
        let run = &s[from..to];
        if plain { run.into() } else { fold(run).into() }
    };
    for (at, c) in s.char_indices() {
        if c.is_ascii_alphanumeric() {
            start.get_or_insert(at);
            plain &= !c.is_ascii_uppercase();
        } else if c.is_alphanumeric() || (is_combining_mark(c) && start.is_some()) {
            start.get_or_insert(at);
            plain = false;
        } else if !is_combining_mark(c)
            && let Some(from) = start.take()
        {
            out.push(end(from, at, plain));
            plain = true;
        }
    }
    if let Some(from) = start {
        out.push(end(from, s.len(), plain));
    }
    out
}

/// One run of letters, digits and marks as the search sees it: lower-cased, accents removed.
fn fold(run: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    use unicode_normalization::char::is_combining_mark;
    let mut cur = String::with_capacity(run.len());
    for c in run.chars() {
        if c.is_ascii_alphanumeric() {
            cur.push(c.to_ascii_lowercase());
        } else if c.is_alphanumeric() {
            for l in c.to_lowercase() {
                for d in l.nfd().filter(|d| !is_combining_mark(*d)) {
                    // Final sigma folds into sigma, as FTS5 folds it.
                    cur.push(if d == 'ς' { 'σ' } else { d });
                }
            }
        }
    }
    cur
}

// ---------------------------------------------------------------------------------------------
// Parsing.

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Open,
    Close,
    And,
    Or,
    Not,
    /// `-` before a term, no space between.
    Minus,
    Near(u32),
    /// A quoted phrase, with the column prefix written before it (`title:"…"`).
    Phrase(Option<String>, String),
    Bare(String),
}

fn lex(text: &str) -> Result<Vec<(usize, Tok)>, QueryError> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let col = i + 1;
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        match c {
            '(' => {
                out.push((col, Tok::Open));
                i += 1;
            }
            ')' => {
                out.push((col, Tok::Close));
                i += 1;
            }
            '-' if chars.get(i + 1).is_some_and(|n| !n.is_whitespace() && *n != ')') => {
                out.push((col, Tok::Minus));
                i += 1;
            }
            '"' => {
                let (phrase, next) = quoted(&chars, i)?;
                out.push((col, Tok::Phrase(None, phrase)));
                i = next;
            }
            _ => {
                let start = i;
                while i < chars.len() && !chars[i].is_whitespace() && chars[i] != '(' && chars[i] != ')' {
                    if chars[i] == '"' {
                        break;
                    }
                    i += 1;
                }
                let word: String = chars[start..i].iter().collect();
                // `title:"a phrase"`: a prefix glued to a quote.
                if i < chars.len() && chars[i] == '"' && word.ends_with(':') {
                    let (phrase, next) = quoted(&chars, i)?;
                    out.push((col, Tok::Phrase(Some(word.trim_end_matches(':').to_string()), phrase)));
                    i = next;
                    continue;
                }
                if i < chars.len() && chars[i] == '"' {
                    return Err(QueryError {
                        column: i + 1,
                        message: "a quote inside a word: put a space before the phrase".into(),
                    });
                }
                let tok = match word.as_str() {
                    "AND" => Tok::And,
                    "OR" => Tok::Or,
                    "NOT" => Tok::Not,
                    "NEAR" => Tok::Near(10),
                    w if w.starts_with("NEAR/") => match w[5..].parse::<u32>() {
                        Ok(n) if n <= 100 => Tok::Near(n),
                        _ => {
                            return Err(QueryError {
                                column: col,
                                message: format!("{w}: NEAR/ takes a number of words up to 100, like NEAR/5"),
                            });
                        }
                    },
                    _ => Tok::Bare(word),
                };
                out.push((col, tok));
            }
        }
    }
    Ok(out)
}

/// The phrase opened by the quote at `i`, and where parsing goes on.
fn quoted(chars: &[char], i: usize) -> Result<(String, usize), QueryError> {
    let end = chars[i + 1..].iter().position(|c| *c == '"').ok_or(QueryError {
        column: i + 1,
        message: "this quoted phrase is not closed (a \" is missing)".into(),
    })?;
    let phrase: String = chars[i + 1..i + 1 + end].iter().collect();
    Ok((phrase.trim().to_string(), i + end + 2))
}

struct Parser<'a> {
    toks: Vec<(usize, Tok)>,
    pos: usize,
    now: DateTime<Utc>,
    len: usize,
    _text: &'a str,
}

impl Expr {
    /// Parse a query; `now` anchors relative dates (`since:7d`). An empty query is `And([])`:
    /// everything.
    pub fn parse(text: &str, now: DateTime<Utc>) -> Result<Expr, QueryError> {
        let toks = lex(text)?;
        let mut p = Parser {
            toks,
            pos: 0,
            now,
            len: text.chars().count(),
            _text: text,
        };
        let e = p.or()?;
        if let Some((col, t)) = p.toks.get(p.pos) {
            return Err(QueryError {
                column: *col,
                message: match t {
                    Tok::Close => "a ) without its (".into(),
                    _ => "unexpected here".into(),
                },
            });
        }
        Ok(e)
    }
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos).map(|(_, t)| t)
    }

    fn col(&self) -> usize {
        self.toks.get(self.pos).map_or(self.len + 1, |(c, _)| *c)
    }

    fn or(&mut self) -> Result<Expr, QueryError> {
        let mut parts = vec![self.and()?];
        while self.peek() == Some(&Tok::Or) {
            let col = self.col();
            self.pos += 1;
            let next = self.and()?;
            if next == Expr::And(vec![]) {
                return Err(QueryError {
                    column: col,
                    message: "OR needs something on both sides".into(),
                });
            }
            parts.push(next);
        }
        Ok(if parts.len() == 1 {
            parts.pop().expect("one")
        } else {
            Expr::Or(parts)
        })
    }

    fn and(&mut self) -> Result<Expr, QueryError> {
        let mut parts = Vec::new();
        loop {
            match self.peek() {
                None | Some(Tok::Or | Tok::Close) => break,
                Some(Tok::And) => {
                    let col = self.col();
                    self.pos += 1;
                    if parts.is_empty() || matches!(self.peek(), None | Some(Tok::Or | Tok::Close | Tok::And)) {
                        return Err(QueryError {
                            column: col,
                            message: "AND needs something on both sides".into(),
                        });
                    }
                }
                Some(_) => parts.push(self.unary()?),
            }
        }
        Ok(if parts.len() == 1 {
            parts.pop().expect("one")
        } else {
            Expr::And(parts)
        })
    }

    fn unary(&mut self) -> Result<Expr, QueryError> {
        match self.peek() {
            Some(Tok::Not | Tok::Minus) => {
                let col = self.col();
                self.pos += 1;
                if matches!(self.peek(), None | Some(Tok::Or | Tok::Close | Tok::And)) {
                    return Err(QueryError {
                        column: col,
                        message: "NOT needs something after it".into(),
                    });
                }
                Ok(Expr::Not(Box::new(self.unary()?)))
            }
            _ => self.primary(),
        }
    }

    fn primary(&mut self) -> Result<Expr, QueryError> {
        let col = self.col();
        let Some((_, tok)) = self.toks.get(self.pos).cloned() else {
            return Err(QueryError {
                column: col,
                message: "the query ends too soon".into(),
            });
        };
        self.pos += 1;
        let e = match tok {
            Tok::Open => {
                let inner = self.or()?;
                if self.peek() != Some(&Tok::Close) {
                    return Err(QueryError {
                        column: col,
                        message: "this ( is not closed".into(),
                    });
                }
                self.pos += 1;
                return Ok(inner);
            }
            Tok::Phrase(prefix, p) => {
                let c = match prefix.as_deref() {
                    None => None,
                    Some(k) => Some(text_col(k).ok_or_else(|| QueryError {
                        column: col,
                        message: format!("{k}: takes a word, not a phrase (only title: and text: take phrases)"),
                    })?),
                };
                if words(&p).is_empty() {
                    return Err(QueryError {
                        column: col,
                        message: "this phrase has no words".into(),
                    });
                }
                Expr::Text(c, Text::Phrase(p))
            }
            Tok::Bare(w) => self.bare(&w, col)?,
            Tok::Near(_) => {
                return Err(QueryError {
                    column: col,
                    message: "NEAR goes between two words or phrases".into(),
                });
            }
            Tok::Close | Tok::And | Tok::Or | Tok::Not | Tok::Minus => {
                return Err(QueryError {
                    column: col,
                    message: "unexpected here".into(),
                });
            }
        };
        // `a NEAR/n b`
        if let Some(Tok::Near(n)) = self.peek().cloned() {
            let near_col = self.col();
            self.pos += 1;
            let rhs = self.primary()?;
            return match (e, rhs) {
                (Expr::Text(c1, a), Expr::Text(c2, b)) if c1 == c2 => match (near_side(&a), near_side(&b)) {
                    (Some(a), Some(b)) => Ok(Expr::Text(c1, Text::Near { a, b, n })),
                    _ => Err(QueryError {
                        column: near_col,
                        message: "NEAR takes plain words or phrases on both sides".into(),
                    }),
                },
                _ => Err(QueryError {
                    column: near_col,
                    message: "NEAR takes words or phrases of the same column on both sides".into(),
                }),
            };
        }
        Ok(e)
    }

    fn bare(&self, w: &str, col: usize) -> Result<Expr, QueryError> {
        let err = |m: String| QueryError {
            column: col,
            message: m,
        };
        if w == "unread" {
            return Ok(Expr::Field(Field::Unread));
        }
        if w == "vip" {
            return Ok(Expr::Field(Field::Person("vip".into())));
        }
        if let Some(tag) = w.strip_prefix('#').filter(|t| !t.is_empty()) {
            return Ok(Expr::Field(Field::Tag(tag.to_lowercase())));
        }
        if let Some(who) = w.strip_prefix('@').filter(|t| !t.is_empty()) {
            return Ok(Expr::Field(Field::Assignee(who.to_string())));
        }
        for key in ["reach", "score", "priority"] {
            if let Some(rest) = w.strip_prefix(key)
                && let Some((cmp, num)) = comparison(rest)
            {
                let n: i64 = num
                    .parse()
                    .map_err(|_| err(format!("{w}: {key} compares with a whole number, like {key}>1000")))?;
                return Ok(Expr::Field(match key {
                    "reach" => Field::Reach(cmp, n),
                    "score" => Field::Score(cmp, n),
                    _ => Field::Priority(cmp, n),
                }));
            }
        }
        let Some((key, value)) = w.split_once(':') else {
            return word(w)
                .map(|t| Expr::Text(None, t))
                .ok_or_else(|| err(format!("{w:?} has no letters or digits to search for")));
        };
        self.field(w, key, value, col)
    }

    /// `key:value`.
    #[expect(clippy::too_many_lines, reason = "one short arm per field of the grammar: a table")]
    fn field(&self, w: &str, key: &str, value: &str, col: usize) -> Result<Expr, QueryError> {
        let err = |m: String| QueryError {
            column: col,
            message: m,
        };
        let values: Vec<&str> = value.split(',').map(str::trim).filter(|v| !v.is_empty()).collect();
        let need = |what: &str| err(format!("`{key}:` needs {what}"));
        let f = match key {
            "title" | "text" => {
                let c = text_col(key).expect("a text column");
                return word(value)
                    .map(|t| Expr::Text(Some(c), t))
                    .ok_or_else(|| need("a word or a \"phrase\""));
            }
            "author" => Field::Author(value.to_string()).nonempty(&need("a name"))?,
            "feed" if !values.is_empty() => Field::Feed(values.iter().map(|v| v.to_string()).collect()),
            "kind" => {
                let k: FeedKind = value.parse().map_err(|_| {
                    err(format!(
                        "unknown kind {value:?}: {}",
                        FeedKind::ALL.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(", ")
                    ))
                })?;
                Field::Kind(k)
            }
            "site" => Field::Site(value.trim_start_matches("www.").to_lowercase())
                .nonempty(&need("a host, like example.com"))?,
            "status" if !values.is_empty() => Field::Status(
                values
                    .iter()
                    .map(|v| {
                        v.parse::<Status>().map_err(|_| {
                            err(format!(
                                "unknown status {v:?}: use new, open, responded, ignored, escalated"
                            ))
                        })
                    })
                    .collect::<Result<_, _>>()?,
            ),
            "is" => match value {
                "question" => Field::IsQuestion,
                "unread" => Field::Unread,
                "vip" => Field::Person("vip".into()),
                "noise" | "spam" => Field::Noise(crate::score::noise::Noise::ANY),
                v => Field::Status(vec![v.parse::<Status>().map_err(|_| {
                    err(format!(
                        "is:{v}? is:question, is:unread, is:vip, is:noise, or a status (is:open)"
                    ))
                })?]),
            },
            "has" => match value {
                "link" => Field::HasLink,
                v => return Err(err(format!("has:{v}? only has:link is known"))),
            },
            "tag" if !values.is_empty() => {
                if values.len() == 1 {
                    Field::Tag(values[0].to_lowercase())
                } else {
                    // tag:a,b wants every tag.
                    return Ok(Expr::And(
                        values
                            .iter()
                            .map(|v| Expr::Field(Field::Tag(v.to_lowercase())))
                            .collect(),
                    ));
                }
            }
            "assignee" => Field::Assignee(match values.first() {
                None | Some(&"none") => String::new(),
                Some(v) => v.to_string(),
            }),
            "since" if !values.is_empty() => Field::Since(
                super::parse_when(value, self.now, false).map_err(err)?,
                value.to_string(),
            ),
            "until" if !values.is_empty() => Field::Until(
                super::parse_when(value, self.now, true).map_err(err)?,
                value.to_string(),
            ),
            "feed" | "status" | "tag" | "since" | "until" => return Err(need("a value")),
            "sort" => Field::Sort(
                value
                    .parse()
                    .map_err(|_| err(format!("sort:{value}? use sort:time or sort:priority")))?,
            ),
            "sentiment" => Field::Sentiment(
                value
                    .parse()
                    .map_err(|_| err(format!("sentiment:{value}? use negative, neutral or positive")))?,
            ),
            "intent" if !values.is_empty() => Field::Intent(
                values
                    .iter()
                    .map(|v| {
                        v.parse().map_err(|_| {
                            err(format!(
                                "intent:{v}? use complaint, question, praise, purchase or cancel"
                            ))
                        })
                    })
                    .collect::<Result<_, _>>()?,
            ),
            "intent" => return Err(need("an intent, like complaint")),
            "noise" if values.is_empty() => return Err(need("a sign, like duplicate, burst or link-only")),
            "noise" => Field::Noise(values.iter().try_fold(0, |bits, v| {
                v.parse::<crate::score::noise::Noise>()
                    .map(|n| bits | n.bit())
                    .map_err(|_| err(format!("noise:{v}? use duplicate, burst or link-only")))
            })?),
            "person" => match values.as_slice() {
                [] => return Err(need("a person's tag, like vip or detractor")),
                [one] => Field::Person(one.to_lowercase()),
                many => {
                    // person:a,b wants any of them, as intent:a,b does.
                    return Ok(Expr::Or(
                        many.iter()
                            .map(|v| Expr::Field(Field::Person(v.to_lowercase())))
                            .collect(),
                    ));
                }
            },
            "story" => Field::Story(
                value
                    .parse::<i64>()
                    .ok()
                    .filter(|n| *n > 0)
                    .ok_or_else(|| err(format!("story:{value}? use a mention's number, like story:42")))?,
            ),
            "lang" => match value.to_ascii_lowercase().as_str() {
                "" => return Err(need("a language, like en or french")),
                "none" | "unknown" | "und" => Field::Lang(String::new()),
                v => Field::Lang(
                    crate::text::lang::normalize(v)
                        .ok_or_else(|| {
                            err(format!(
                                "lang:{v}? not a language: use a code (en, fr) or a name (german)"
                            ))
                        })?
                        .to_string(),
                ),
            },
            _ => {
                // Not a field: a word with a colon in it (a time, a URL) is searched as its words.
                if words(w).is_empty() {
                    return Err(err(format!("unknown field {key}:")));
                }
                return Ok(Expr::Text(None, Text::Phrase(w.to_string())));
            }
        };
        Ok(Expr::Field(f))
    }
}

impl Field {
    fn nonempty(self, e: &QueryError) -> Result<Field, QueryError> {
        match &self {
            Field::Author(s) | Field::Site(s) if s.trim().is_empty() => Err(e.clone()),
            _ => Ok(self),
        }
    }
}

fn text_col(k: &str) -> Option<Col> {
    match k {
        "title" => Some(Col::Title),
        "text" => Some(Col::Text),
        _ => None,
    }
}

fn comparison(rest: &str) -> Option<(Cmp, &str)> {
    for (op, cmp) in [
        (">=", Cmp::Ge),
        ("<=", Cmp::Le),
        (">", Cmp::Gt),
        ("<", Cmp::Lt),
        (":", Cmp::Eq),
        ("=", Cmp::Eq),
    ] {
        if let Some(n) = rest.strip_prefix(op) {
            return Some((cmp, n));
        }
    }
    None
}

/// A bare word: `acme`, `acme*`; a word with inner punctuation (`e-mail`) is its words in a row.
fn word(w: &str) -> Option<Text> {
    let (body, prefix) = match w.strip_suffix('*') {
        Some(b) => (b, true),
        None => (w, false),
    };
    let ws = words(body);
    match ws.len() {
        0 => None,
        1 => Some(Text::Word {
            word: ws.into_iter().next().expect("one"),
            prefix,
        }),
        _ => Some(Text::Phrase(body.to_string())),
    }
}

fn near_side(t: &Text) -> Option<String> {
    match t {
        Text::Word { word, prefix: false } => Some(word.clone()),
        Text::Phrase(p) => Some(p.clone()),
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------------
// Writing a query back.

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expr::And(parts) => {
                let s: Vec<String> = parts
                    .iter()
                    .map(|p| match p {
                        Expr::Or(_) => format!("({p})"),
                        _ => p.to_string(),
                    })
                    .collect();
                write!(f, "{}", s.join(" "))
            }
            Expr::Or(parts) => {
                let s: Vec<String> = parts
                    .iter()
                    .map(|p| match p {
                        Expr::And(v) if v.len() > 1 => format!("({p})"),
                        _ => p.to_string(),
                    })
                    .collect();
                write!(f, "{}", s.join(" OR "))
            }
            Expr::Not(e) => match &**e {
                Expr::And(_) | Expr::Or(_) => write!(f, "-({e})"),
                _ => write!(f, "-{e}"),
            },
            Expr::Text(col, t) => {
                if let Some(c) = col {
                    write!(f, "{}:", c.name())?;
                }
                match t {
                    Text::Word { word, prefix } => write!(f, "{word}{}", if *prefix { "*" } else { "" }),
                    Text::Phrase(p) => write!(f, "\"{p}\""),
                    Text::Near { a, b, n } => write!(f, "{} NEAR/{n} {}", quote_side(a), quote_side(b)),
                }
            }
            Expr::Field(field) => write!(f, "{field}"),
        }
    }
}

fn quote_side(s: &str) -> String {
    if words(s).len() == 1 && !s.contains(char::is_whitespace) {
        s.to_string()
    } else {
        format!("\"{s}\"")
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Field::Author(a) => write!(f, "author:{a}"),
            Field::Feed(v) => write!(f, "feed:{}", v.join(",")),
            Field::Kind(k) => write!(f, "kind:{}", k.as_str()),
            Field::Site(s) => write!(f, "site:{s}"),
            Field::Reach(c, n) => write!(f, "reach{}{n}", c.sql()),
            Field::Score(c, n) => write!(f, "score{}{n}", c.sql()),
            Field::Status(v) => write!(
                f,
                "status:{}",
                v.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(",")
            ),
            Field::Tag(t) => write!(f, "tag:{t}"),
            Field::Assignee(a) if a.is_empty() => write!(f, "assignee:none"),
            Field::Assignee(a) => write!(f, "assignee:{a}"),
            Field::Since(_, t) => write!(f, "since:{t}"),
            Field::Until(_, t) => write!(f, "until:{t}"),
            Field::Unread => write!(f, "unread"),
            Field::Person(t) => write!(f, "person:{t}"),
            Field::Noise(b) if *b == crate::score::noise::Noise::ANY => write!(f, "is:noise"),
            Field::Noise(b) => write!(
                f,
                "noise:{}",
                crate::score::noise::Noise::list(*b)
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(",")
            ),
            Field::HasLink => write!(f, "has:link"),
            Field::IsQuestion => write!(f, "is:question"),
            Field::Story(n) => write!(f, "story:{n}"),
            Field::Lang(l) if l.is_empty() => write!(f, "lang:none"),
            Field::Lang(l) => write!(f, "lang:{l}"),
            Field::Sentiment(l) => write!(f, "sentiment:{l}"),
            Field::Priority(c, n) => write!(f, "priority{}{n}", c.sql()),
            Field::Sort(o) => write!(f, "sort:{o}"),
            Field::Intent(v) => write!(
                f,
                "intent:{}",
                v.iter().map(ToString::to_string).collect::<Vec<_>>().join(",")
            ),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The FTS5 query of a text subtree (every word quoted: nothing the user types is FTS syntax).

fn fts_string(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

impl Expr {
    /// This subtree as one FTS5 query, when it is only text and FTS5 can say it (a `NOT` needs
    /// something to subtract from).
    pub fn fts(&self) -> Option<String> {
        match self {
            Expr::Text(col, t) => {
                let inner = match t {
                    Text::Word { word, prefix } => format!("{}{}", fts_string(word), if *prefix { "*" } else { "" }),
                    Text::Phrase(p) => fts_string(p),
                    Text::Near { a, b, n } => format!("NEAR({} {}, {n})", fts_string(a), fts_string(b)),
                };
                Some(match col {
                    Some(c) => format!("{} : {inner}", c.name()),
                    None => inner,
                })
            }
            Expr::And(parts) if !parts.is_empty() => {
                let mut pos = Vec::new();
                let mut neg = Vec::new();
                for p in parts {
                    match p {
                        Expr::Not(inner) => neg.push(inner.fts()?),
                        other => pos.push(other.fts()?),
                    }
                }
                if pos.is_empty() {
                    return None;
                }
                let mut q = format!("({})", pos.join(" AND "));
                for n in neg {
                    q = format!("({q} NOT {n})");
                }
                Some(q)
            }
            Expr::Or(parts) => {
                let s: Option<Vec<String>> = parts
                    .iter()
                    .map(|p| if matches!(p, Expr::Not(_)) { None } else { p.fts() })
                    .collect();
                Some(format!("({})", s?.join(" OR ")))
            }
            _ => None,
        }
    }

    /// Whether this subtree is only text (words, phrases, NEAR, and boolean operators over them).
    pub fn is_text(&self) -> bool {
        match self {
            Expr::Text(..) => true,
            Expr::Field(_) => false,
            Expr::Not(e) => e.is_text(),
            Expr::And(v) | Expr::Or(v) => !v.is_empty() && v.iter().all(Expr::is_text),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// In memory.

struct Columns {
    title: Vec<String>,
    text: Vec<String>,
    author: Vec<String>,
}

impl Expr {
    /// Whether the mention matches, evaluated in memory (arrivals, feed rules).
    pub fn matches(&self, m: &Candidate<'_>) -> bool {
        let cols = Columns {
            title: words(m.title.unwrap_or("")),
            text: words(m.text),
            author: words(m.author.unwrap_or("")),
        };
        self.eval(m, &cols)
    }

    fn eval(&self, m: &Candidate<'_>, cols: &Columns) -> bool {
        match self {
            Expr::And(v) => v.iter().all(|e| e.eval(m, cols)),
            Expr::Or(v) => v.iter().any(|e| e.eval(m, cols)),
            Expr::Not(e) => !e.eval(m, cols),
            Expr::Text(col, t) => {
                let in_col = |ws: &[String]| text_in(t, ws);
                match col {
                    Some(Col::Title) => in_col(&cols.title),
                    Some(Col::Text) => in_col(&cols.text),
                    None => in_col(&cols.title) || in_col(&cols.text) || in_col(&cols.author),
                }
            }
            Expr::Field(f) => field_holds(f, m),
        }
    }
}

fn text_in(t: &Text, ws: &[String]) -> bool {
    match t {
        Text::Word { word, prefix: false } => ws.iter().any(|w| w == word),
        Text::Word { word, prefix: true } => ws.iter().any(|w| w.starts_with(word.as_str())),
        Text::Phrase(p) => !positions(&words(p), ws).is_empty(),
        Text::Near { a, b, n } => {
            let (pa, pb) = (words(a), words(b));
            let (sa, sb) = (positions(&pa, ws), positions(&pb, ws));
            // FTS5: at most `n` words between the end of one phrase and the start of the other,
            // in either order.
            let n = *n as usize;
            sa.iter().any(|&i| {
                sb.iter().any(|&j| {
                    if i <= j {
                        j >= i + pa.len() && j - (i + pa.len()) <= n
                    } else {
                        i >= j + pb.len() && i - (j + pb.len()) <= n
                    }
                })
            })
        }
    }
}

/// Where the phrase `p` (as words) starts in `ws`.
fn positions(p: &[String], ws: &[String]) -> Vec<usize> {
    if p.is_empty() || p.len() > ws.len() {
        return Vec::new();
    }
    (0..=ws.len() - p.len()).filter(|&i| ws[i..i + p.len()] == *p).collect()
}

fn field_holds(f: &Field, m: &Candidate<'_>) -> bool {
    match f {
        // As SQLite's NOCASE: ASCII letters only.
        Field::Author(a) => m.author.is_some_and(|x| x.eq_ignore_ascii_case(a)),
        Field::Feed(v) => v.iter().any(|x| x == m.feed),
        Field::Kind(k) => m.kind == *k,
        Field::Site(s) => m.url.and_then(facts::host).is_some_and(|h| facts::site_matches(&h, s)),
        Field::Reach(c, n) => m.reach.is_some_and(|r| c.holds(r, *n)),
        Field::Score(c, n) => m.score.is_some_and(|r| c.holds(r, *n)),
        Field::Status(v) => v.contains(&m.status),
        Field::Tag(t) => m.tags.iter().any(|x| x == t),
        Field::Assignee(a) if a.is_empty() => m.assignee.is_none(),
        Field::Assignee(a) => {
            let who = if a == "me" { m.me } else { a.as_str() };
            m.assignee == Some(who)
        }
        Field::Since(t, _) => m.sort_at >= *t,
        Field::Until(t, _) => m.sort_at < *t,
        Field::Unread => m.unread,
        Field::Person(t) => m.person_tags.iter().any(|x| x == t),
        Field::Noise(b) => m.noise & b != 0,
        Field::HasLink => facts::has_link(m.text),
        Field::IsQuestion => facts::is_question(m.title, m.text),
        Field::Lang(l) if l.is_empty() => m.lang.is_none(),
        Field::Lang(l) => m.lang == Some(l.as_str()),
        Field::Sentiment(l) => m.sentiment.is_some_and(|s| crate::score::Label::of(s) == *l),
        Field::Priority(c, n) => c.holds(m.priority, *n as f64),
        Field::Sort(_) => true,
        Field::Intent(v) => v.iter().any(|i| m.intents & i.bit() != 0),
        Field::Story(n) => m.story == Some(*n),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The words of `s`, one character at a time: the plain definition [`word_slices`] must keep.
    fn words_plainly(s: &str) -> Vec<String> {
        use unicode_normalization::UnicodeNormalization;
        use unicode_normalization::char::is_combining_mark;
        let mut out = Vec::new();
        let mut cur = String::new();
        for c in s.chars() {
            if c.is_alphanumeric() {
                for l in c.to_lowercase() {
                    for d in l.nfd().filter(|d| !is_combining_mark(*d)) {
                        cur.push(if d == 'ς' { 'σ' } else { d });
                    }
                }
            } else if !is_combining_mark(c) && !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
        }
        if !cur.is_empty() {
            out.push(cur);
        }
        out
    }

    #[test]
    fn folded_words_are_borrowed_and_the_others_folded() {
        let ws = word_slices("acme's Naïve café, ΟΔΟΣ re\u{301}sumé 42x");
        assert_eq!(ws, ["acme", "s", "naive", "cafe", "οδοσ", "resume", "42x"]);
        assert!(matches!(ws[0], std::borrow::Cow::Borrowed(_)));
        assert!(matches!(ws[6], std::borrow::Cow::Borrowed(_)));
        assert!(matches!(ws[2], std::borrow::Cow::Owned(_)));
    }

    proptest! {
        #[test]
        fn word_slices_are_the_words_one_character_at_a_time(s in "[a-zA-Zé\u{301}ςΣ問題 .,'0-9\u{1F600}-]{0,40}") {
            prop_assert_eq!(words(&s), words_plainly(&s));
        }
    }
}
