//! The store's SQL is written once, in SQLite's dialect; [`postgres`] says it in PostgreSQL's.
//! It works on tokens (string literals, quoted names and comments are left as they are) and
//! rewrites what the two spell differently:
//!
//! | SQLite | PostgreSQL |
//! |---|---|
//! | `?1`, `?` | `$1`, `$n` (numbered in order) |
//! | `INSERT OR IGNORE INTO …` | `INSERT INTO … ON CONFLICT DO NOTHING` (before `RETURNING`) |
//! | `unixepoch()` | `overhear_now()` (the schema defines it) |
//! | `max(a, b)`, `min(a, b)` (scalar) | `GREATEST(a, b)`, `LEAST(a, b)` |
//! | `group_concat(x[, sep])` | `string_agg((x)::TEXT, sep)` (`','` by default) |
//! | `total(x)` | `coalesce(sum(x), 0)::DOUBLE PRECISION` |
//! | `ifnull(` / `instr(` | `coalesce(` / `strpos(` |
//! | `a IS b`, `a IS NOT b` (b not `NULL`) | `a IS NOT DISTINCT FROM b`, `a IS DISTINCT FROM b` |
//! | `CAST(x AS INTEGER)` / `AS REAL` | `AS BIGINT` / `AS DOUBLE PRECISION` |
//! | `LIKE` (ASCII case-blind) | `ILIKE` |
//! | `LIMIT -1` | `LIMIT ALL` |
//! | `CROSS JOIN t ON …` | `JOIN t ON …` |
//! | `group_concat(DISTINCT x)` | `string_agg(DISTINCT (x)::TEXT, ',')` |
//! | `INDEXED BY name`, `NOT INDEXED` | (nothing: no index hints) |
//!
//! What has no such spelling (`INSERT OR REPLACE`, FTS5's `MATCH`, `json_extract`, `PRAGMA`) is
//! refused, so a statement never runs with a meaning it was not written for: the store writes
//! those per backend.

/// A token of SQL.
#[derive(Debug, Clone, PartialEq)]
enum Tok {
    /// A name or keyword (unquoted).
    Word(String),
    /// `?`, `?NNN`, `:name`.
    Param(Option<u32>),
    /// A number.
    Num(String),
    /// A string literal, quoted name or comment, as written.
    Raw(String),
    Space(String),
    Punct(char),
}

fn tokens(sql: &str) -> Result<Vec<Tok>, String> {
    let b: Vec<char> = sql.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c.is_whitespace() {
            let s = i;
            while i < b.len() && b[i].is_whitespace() {
                i += 1;
            }
            out.push(Tok::Space(b[s..i].iter().collect()));
        } else if c == '\'' || c == '"' || c == '`' {
            let s = i;
            i += 1;
            loop {
                match b.get(i) {
                    None => return Err(format!("an unclosed {c} in {sql:?}")),
                    Some(&q) if q == c && b.get(i + 1) == Some(&c) => i += 2,
                    Some(&q) if q == c => {
                        i += 1;
                        break;
                    }
                    Some(_) => i += 1,
                }
            }
            out.push(Tok::Raw(b[s..i].iter().collect()));
        } else if c == '-' && b.get(i + 1) == Some(&'-') {
            let s = i;
            while i < b.len() && b[i] != '\n' {
                i += 1;
            }
            out.push(Tok::Raw(b[s..i].iter().collect()));
        } else if c == '/' && b.get(i + 1) == Some(&'*') {
            let s = i;
            i += 2;
            while i < b.len() && !(b[i] == '*' && b.get(i + 1) == Some(&'/')) {
                i += 1;
            }
            i = (i + 2).min(b.len());
            out.push(Tok::Raw(b[s..i].iter().collect()));
        } else if c == '?' {
            i += 1;
            let s = i;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            let n: String = b[s..i].iter().collect();
            out.push(Tok::Param(if n.is_empty() {
                None
            } else {
                Some(
                    n.parse()
                        .map_err(|_| format!("a parameter number too large in {sql:?}"))?,
                )
            }));
        } else if c.is_ascii_digit() {
            let s = i;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == '.') {
                i += 1;
            }
            out.push(Tok::Num(b[s..i].iter().collect()));
        } else if c.is_alphanumeric() || c == '_' {
            let s = i;
            while i < b.len() && (b[i].is_alphanumeric() || b[i] == '_' || b[i] == '$') {
                i += 1;
            }
            out.push(Tok::Word(b[s..i].iter().collect()));
        } else {
            out.push(Tok::Punct(c));
            i += 1;
        }
    }
    Ok(out)
}

fn is_word(t: Option<&Tok>, w: &str) -> bool {
    matches!(t, Some(Tok::Word(x)) if x.eq_ignore_ascii_case(w))
}

/// The index of the next token that is not space, from `i`.
fn next(toks: &[Tok], mut i: usize) -> usize {
    while matches!(toks.get(i), Some(Tok::Space(_))) {
        i += 1;
    }
    i
}

/// The index of the `)` closing the `(` at `open`, and the top-level commas between.
fn call_shape(toks: &[Tok], open: usize) -> Option<(usize, Vec<usize>)> {
    let mut depth = 0;
    let mut commas = Vec::new();
    for (k, t) in toks.iter().enumerate().skip(open) {
        match t {
            Tok::Punct('(') => depth += 1,
            Tok::Punct(')') => {
                depth -= 1;
                if depth == 0 {
                    return Some((k, commas));
                }
            }
            Tok::Punct(',') if depth == 1 => commas.push(k),
            _ => {}
        }
    }
    None
}

fn text(toks: &[Tok]) -> String {
    let mut s = String::new();
    for t in toks {
        match t {
            Tok::Word(w) | Tok::Num(w) | Tok::Raw(w) | Tok::Space(w) => s.push_str(w),
            Tok::Param(Some(n)) => {
                s.push('$');
                s.push_str(&n.to_string());
            }
            Tok::Param(None) => s.push('?'),
            Tok::Punct(c) => s.push(*c),
        }
    }
    s
}

/// `sql` in PostgreSQL's dialect, or why it cannot be said there.
pub fn postgres(sql: &str) -> Result<String, String> {
    postgres_with_params(sql).map(|(s, _)| s)
}

/// [`postgres`], its parameters numbered densely: SQLite lets a statement leave some of its
/// numbered parameters unused (`?1` bound, only `?2` read), PostgreSQL cannot type a parameter
/// it never reads. With the statement, which of the given parameters (0-based) each `$k` is.
pub fn postgres_with_params(sql: &str) -> Result<(String, Vec<usize>), String> {
    let mut toks = tokens(sql)?;
    number_params(&mut toks);
    let mut used: Vec<u32> = toks
        .iter()
        .filter_map(|t| match t {
            Tok::Param(Some(k)) => Some(*k),
            _ => None,
        })
        .collect();
    used.sort_unstable();
    used.dedup();
    for t in &mut toks {
        if let Tok::Param(Some(k)) = t {
            let dense = used.binary_search(k).unwrap_or_default() + 1;
            *k = dense as u32;
        }
    }
    let uses = used.iter().map(|k| (*k as usize).saturating_sub(1)).collect();
    postgres_tokens(toks, sql).map(|s| (s, uses))
}

fn postgres_tokens(toks: Vec<Tok>, sql: &str) -> Result<String, String> {
    for w in [
        "MATCH",
        "json_extract",
        "json_each",
        "PRAGMA",
        "GLOB",
        "REGEXP",
        "rowid",
    ] {
        if toks
            .iter()
            .any(|t| matches!(t, Tok::Word(x) if x.eq_ignore_ascii_case(w)))
        {
            return Err(format!("{w} has no PostgreSQL spelling here: {sql:?}"));
        }
    }
    let mut out: Vec<Tok> = Vec::with_capacity(toks.len());
    let mut conflict_ignore = false;
    let mut i = 0;
    while i < toks.len() {
        if is_word(toks.get(i), "INSERT") && is_word(toks.get(next(&toks, i + 1)), "OR") {
            let what = next(&toks, next(&toks, i + 1) + 1);
            if !is_word(toks.get(what), "IGNORE") {
                return Err(format!(
                    "INSERT OR … other than IGNORE has no PostgreSQL spelling: {sql:?}"
                ));
            }
            conflict_ignore = true;
            out.push(toks[i].clone());
            i = what + 1;
        } else if let Some(after) = keyword(&toks, i, &mut out) {
            i = after;
        } else if let Some(after) = function(&toks, i, &mut out, sql)? {
            i = after;
        } else {
            out.push(toks[i].clone());
            i += 1;
        }
    }
    let s = text(&out);
    if conflict_ignore {
        on_conflict_do_nothing(&s)
    } else {
        Ok(s)
    }
}

/// Bare `?` numbered after the highest numbered one, in order, as SQLite does.
fn number_params(toks: &mut [Tok]) {
    let mut n = toks
        .iter()
        .filter_map(|t| match t {
            Tok::Param(Some(k)) => Some(*k),
            _ => None,
        })
        .max()
        .unwrap_or(0);
    for t in toks {
        if let Tok::Param(None) = t {
            n += 1;
            *t = Tok::Param(Some(n));
        }
    }
}

/// A keyword spelled otherwise at `i`: written to `out`, and where to go on from.
fn keyword(toks: &[Tok], i: usize, out: &mut Vec<Tok>) -> Option<usize> {
    let t = toks.get(i);
    if is_word(t, "INDEXED") && is_word(toks.get(next(toks, i + 1)), "BY") {
        // An index hint: PostgreSQL's planner takes none.
        return Some(next(toks, next(toks, i + 1) + 1) + 1);
    }
    if is_word(t, "NOT") && is_word(toks.get(next(toks, i + 1)), "INDEXED") {
        return Some(next(toks, i + 1) + 1);
    }
    if is_word(t, "CROSS") && is_word(toks.get(next(toks, i + 1)), "JOIN") {
        // SQLite's `CROSS JOIN … ON` (a join order it keeps): PostgreSQL joins with `JOIN … ON`.
        return Some(next(toks, i + 1));
    }
    if is_word(t, "LIKE") {
        out.push(Tok::Word("ILIKE".into()));
        return Some(i + 1);
    }
    if is_word(t, "IS") {
        // `IS [NOT] NULL` stays; `IS [NOT] x` compares as SQLite does, NULL-safe.
        let mut j = next(toks, i + 1);
        let not = is_word(toks.get(j), "NOT");
        if not {
            j = next(toks, j + 1);
        }
        if !is_word(toks.get(j), "NULL") && !is_word(toks.get(j), "DISTINCT") {
            out.push(Tok::Word(
                if not {
                    "IS DISTINCT FROM"
                } else {
                    "IS NOT DISTINCT FROM"
                }
                .into(),
            ));
            out.push(Tok::Space(" ".into()));
            return Some(j);
        }
    }
    if is_word(t, "AS") {
        let j = next(toks, i + 1);
        let ty = if is_word(toks.get(j), "INTEGER") {
            "BIGINT"
        } else if is_word(toks.get(j), "REAL") {
            "DOUBLE PRECISION"
        } else {
            return None;
        };
        out.extend([toks[i].clone(), Tok::Space(" ".into()), Tok::Word(ty.into())]);
        return Some(j + 1);
    }
    if is_word(t, "LIMIT") {
        let j = next(toks, i + 1);
        if matches!(toks.get(j), Some(Tok::Punct('-'))) && matches!(toks.get(j + 1), Some(Tok::Num(x)) if x == "1") {
            out.push(Tok::Word("LIMIT ALL".into()));
            return Some(j + 2);
        }
    }
    None
}

/// A function spelled otherwise at `i`: written to `out`, and where to go on from.
fn function(toks: &[Tok], i: usize, out: &mut Vec<Tok>, sql: &str) -> Result<Option<usize>, String> {
    let Some(Tok::Word(w)) = toks.get(i) else {
        return Ok(None);
    };
    let open = next(toks, i + 1);
    if !matches!(toks.get(open), Some(Tok::Punct('('))) {
        return Ok(None);
    }
    let lower = w.to_ascii_lowercase();
    let (close, commas) = call_shape(toks, open).ok_or_else(|| format!("an unclosed ( in {sql:?}"))?;
    let inner = |a: usize, b: usize| -> Result<String, String> { postgres(&text(&toks[a..b])) };
    let rewritten = match lower.as_str() {
        "unixepoch" if close == next(toks, open + 1) => "overhear_now()".to_string(),
        "max" | "min" if !commas.is_empty() => format!(
            "{}({})",
            if lower == "max" { "GREATEST" } else { "LEAST" },
            inner(open + 1, close)?
        ),
        "group_concat" if is_word(toks.get(next(toks, open + 1)), "DISTINCT") => {
            let from = next(toks, open + 1) + 1;
            format!("string_agg(DISTINCT ({})::TEXT, ',')", inner(from, close)?.trim())
        }
        "group_concat" => match commas.first() {
            Some(&c) => format!(
                "string_agg(({})::TEXT, {})",
                inner(open + 1, c)?.trim(),
                inner(c + 1, close)?.trim()
            ),
            None => format!("string_agg(({})::TEXT, ',')", inner(open + 1, close)?),
        },
        "total" => format!("coalesce(sum({}), 0)::DOUBLE PRECISION", inner(open + 1, close)?),
        "ifnull" => format!("coalesce({})", inner(open + 1, close)?),
        "instr" => format!("strpos({})", inner(open + 1, close)?),
        _ => return Ok(None),
    };
    out.push(Tok::Raw(rewritten));
    Ok(Some(close + 1))
}

/// `ON CONFLICT DO NOTHING` where `INSERT OR IGNORE` was: before `RETURNING`, else at the end.
fn on_conflict_do_nothing(s: &str) -> Result<String, String> {
    let trimmed = s.trim_end().trim_end_matches(';');
    let toks = tokens(trimmed)?;
    Ok(match toks.iter().position(|t| is_word(Some(t), "RETURNING")) {
        Some(k) => format!(
            "{} ON CONFLICT DO NOTHING {}",
            text(&toks[..k]).trim_end(),
            text(&toks[k..])
        ),
        None => format!("{trimmed} ON CONFLICT DO NOTHING"),
    })
}

#[cfg(test)]
mod tests {
    use super::postgres;

    #[test]
    fn each_spelling_is_rewritten_and_literals_are_left_alone() {
        let t = |s: &str| postgres(s).unwrap();
        assert_eq!(
            t("SELECT a FROM t WHERE b = ?1 AND c = ?2"),
            "SELECT a FROM t WHERE b = $1 AND c = $2"
        );
        assert_eq!(
            super::postgres_with_params("VALUES (?, ?, ?3)").unwrap(),
            ("VALUES ($2, $3, $1)".to_string(), vec![2, 3, 4]),
            "bare ? after the highest numbered; numbered densely, each $k naming its value"
        );
        assert_eq!(
            super::postgres_with_params("SELECT ?4 + ?2, ?4").unwrap(),
            ("SELECT $2 + $1, $2".to_string(), vec![1, 3]),
            "parameters a statement leaves unused are not sent"
        );
        assert_eq!(
            t("INSERT OR IGNORE INTO story_keys (key, mention_id) VALUES (?1, ?2)"),
            "INSERT INTO story_keys (key, mention_id) VALUES ($1, $2) ON CONFLICT DO NOTHING"
        );
        assert_eq!(
            t("INSERT OR IGNORE INTO t (a) VALUES (?1) RETURNING id;"),
            "INSERT INTO t (a) VALUES ($1) ON CONFLICT DO NOTHING RETURNING id"
        );
        assert_eq!(t("SELECT unixepoch()"), "SELECT overhear_now()");
        assert_eq!(
            t("SELECT max(a, coalesce(b, 0)), max(c)"),
            "SELECT GREATEST(a, coalesce(b, 0)), max(c)"
        );
        assert_eq!(t("SELECT min(x, ?1)"), "SELECT LEAST(x, $1)");
        assert_eq!(
            t("SELECT group_concat(tag, ' ')"),
            "SELECT string_agg((tag)::TEXT, ' ')"
        );
        assert_eq!(t("SELECT group_concat(id)"), "SELECT string_agg((id)::TEXT, ',')");
        assert_eq!(
            t("SELECT group_concat(DISTINCT fs.name)"),
            "SELECT string_agg(DISTINCT (fs.name)::TEXT, ',')"
        );
        assert_eq!(
            t("FROM mentions m CROSS JOIN feeds f ON f.id = m.feed_id"),
            "FROM mentions m JOIN feeds f ON f.id = m.feed_id"
        );
        assert_eq!(t("SELECT total(x)"), "SELECT coalesce(sum(x), 0)::DOUBLE PRECISION");
        assert_eq!(
            t("WHERE a IS NOT ?1 OR b IS c"),
            "WHERE a IS DISTINCT FROM $1 OR b IS NOT DISTINCT FROM c"
        );
        assert_eq!(
            t("WHERE a IS NOT NULL AND b IS NULL"),
            "WHERE a IS NOT NULL AND b IS NULL"
        );
        assert_eq!(
            t("CAST(?1 AS INTEGER) + CAST(x AS REAL)"),
            "CAST($1 AS BIGINT) + CAST(x AS DOUBLE PRECISION)"
        );
        assert_eq!(t("WHERE name LIKE ?1 LIMIT -1"), "WHERE name ILIKE $1 LIMIT ALL");
        assert_eq!(
            t("SELECT 'max(a, b) ?1 unixepoch()', \"INSERT OR\" -- ?2 LIKE\nFROM t"),
            "SELECT 'max(a, b) ?1 unixepoch()', \"INSERT OR\" -- ?2 LIKE\nFROM t"
        );
        assert_eq!(t("SELECT max(min(a, b), c)"), "SELECT GREATEST(LEAST(a, b), c)");
        assert_eq!(
            t("FROM own_posts p INDEXED BY own_posts_published JOIN a"),
            "FROM own_posts p  JOIN a"
        );
    }

    #[test]
    fn what_has_no_spelling_is_refused() {
        for s in [
            "INSERT OR REPLACE INTO t VALUES (1)",
            "SELECT rowid FROM mentions_fts WHERE mentions_fts MATCH ?1",
            "SELECT json_extract(x, '$.a')",
            "PRAGMA user_version",
            "SELECT 'unclosed",
        ] {
            assert!(postgres(s).is_err(), "{s}");
        }
    }
}
