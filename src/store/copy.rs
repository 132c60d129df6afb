//! `overhear migrate`: every table copied from one backend to the other (SQLite to PostgreSQL,
//! or back), in batches that each commit with a note of how far the copy got, so an interrupted
//! copy goes on where it stopped; then each table's rows counted and checksummed on both sides.
//!
//! Rows are read in primary-key order (keyset pages, never the whole table at once) and written
//! with `COPY` into PostgreSQL or one prepared insert into SQLite. A table's rows are its columns
//! as SQLite declares them (`INTEGER`, `REAL`, `TEXT`); the checksum is SHA-256 over each row's
//! values in that form, so both sides are summed alike. What SQLite keeps beside a table (the FTS5
//! index) is filled as its rows arrive; PostgreSQL's `tsvector` column fills itself.

use super::postgres::{Pg, PgError, schema, words};
use rusqlite::types::ValueRef;
use sha2::{Digest, Sha256};
use std::fmt::Write as _;
use std::path::PathBuf;

/// Rows per batch (one transaction each).
pub const BATCH: usize = 5_000;
/// The target's note of how far the copy got.
const PROGRESS: &str = "overhear_copy";

/// One side of a copy.
#[derive(Debug, Clone)]
pub enum Endpoint {
    Sqlite(PathBuf),
    Postgres { url: String, password_env: Option<String> },
}

impl Endpoint {
    /// A path or a `postgres://` URL.
    pub fn parse(s: &str, password_env: Option<&str>) -> Endpoint {
        if super::postgres::is_url(s) {
            Endpoint::Postgres {
                url: s.to_string(),
                password_env: password_env.map(String::from),
            }
        } else {
            Endpoint::Sqlite(PathBuf::from(s))
        }
    }

    /// What to call it in words (a URL without its password).
    pub fn describe(&self) -> String {
        match self {
            Endpoint::Sqlite(p) => crate::text::sanitize_line(&p.display().to_string()),
            Endpoint::Postgres { url, .. } => super::postgres::redacted(url),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CopyError {
    #[error(transparent)]
    Pg(#[from] PgError),
    #[error(transparent)]
    Store(#[from] super::StoreError),
    #[error("SQLite error while {doing}: {source}")]
    Sqlite {
        doing: &'static str,
        source: rusqlite::Error,
    },
    #[error("{0}")]
    Refused(String),
}

fn sq(doing: &'static str) -> impl FnOnce(rusqlite::Error) -> CopyError {
    move |source| CopyError::Sqlite { doing, source }
}

fn pq(doing: &'static str) -> impl FnOnce(postgres::Error) -> CopyError {
    move |e| {
        CopyError::Pg(PgError::Sql {
            doing,
            detail: words(&e),
        })
    }
}

/// A column's kind, as SQLite declares it.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Int,
    Real,
    Text,
}

/// A value in flight.
#[derive(Debug, Clone, PartialEq)]
enum Val {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
}

struct Table {
    name: &'static str,
    cols: Vec<(String, Kind)>,
    /// The primary key's columns, as indexes into `cols`.
    key: Vec<usize>,
}

impl Table {
    fn col_list(&self) -> String {
        self.cols
            .iter()
            .map(|(c, _)| format!("\"{c}\""))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// A page of rows in key order (after a key's values `?1…` when `after`), in SQLite's
    /// dialect ([`super::dialect::postgres`] says it for PostgreSQL).
    fn page_sql(&self, after: bool, limit: usize) -> String {
        let keys = self.key_list();
        let from = if after {
            let ph: Vec<String> = (1..=self.key.len()).map(|i| format!("?{i}")).collect();
            format!(" WHERE ({keys}) > ({})", ph.join(", "))
        } else {
            String::new()
        };
        format!(
            "SELECT {} FROM \"{}\"{from} ORDER BY {keys} LIMIT {limit}",
            self.col_list(),
            self.name
        )
    }

    fn key_list(&self) -> String {
        self.key
            .iter()
            .map(|&i| format!("\"{}\"", self.cols[i].0))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// What one table came to.
#[derive(Debug, Clone, PartialEq)]
pub struct TableReport {
    pub table: String,
    pub copied: u64,
    pub rows_from: u64,
    pub rows_to: u64,
    pub sum_from: String,
    pub sum_to: String,
}

impl TableReport {
    pub fn agrees(&self) -> bool {
        self.rows_from == self.rows_to && self.sum_from == self.sum_to
    }
}

/// The tables' columns and keys, from the SQLite side (the two schemas are twins at one version).
fn tables(conn: &rusqlite::Connection) -> Result<Vec<Table>, CopyError> {
    let mut out = Vec::new();
    for &name in schema::TABLES {
        let mut cols = Vec::new();
        let mut key: Vec<(i64, usize)> = Vec::new();
        let mut stmt = conn
            .prepare(&format!("PRAGMA table_info(\"{name}\")"))
            .map_err(sq("reading the tables"))?;
        let rows = stmt
            .query_map([], |r| {
                Ok((r.get::<_, String>(1)?, r.get::<_, String>(2)?, r.get::<_, i64>(5)?))
            })
            .map_err(sq("reading the tables"))?;
        for row in rows {
            let (col, ty, pk) = row.map_err(sq("reading the tables"))?;
            let kind = match ty.to_ascii_uppercase().as_str() {
                t if t.contains("INT") => Kind::Int,
                t if t.contains("REAL") || t.contains("FLOA") || t.contains("DOUB") => Kind::Real,
                _ => Kind::Text,
            };
            if pk > 0 {
                key.push((pk, cols.len()));
            }
            cols.push((col, kind));
        }
        if cols.is_empty() {
            return Err(CopyError::Refused(format!("the SQLite database has no table {name}")));
        }
        key.sort_unstable();
        out.push(Table {
            name,
            cols,
            key: key.into_iter().map(|(_, i)| i).collect(),
        });
    }
    Ok(out)
}

/// PostgreSQL's columns for `t` must be SQLite's (its generated columns aside).
fn check_pg_columns(pg: &mut Pg, t: &Table) -> Result<(), CopyError> {
    let rows = pg
        .client
        .query(
            "SELECT column_name FROM information_schema.columns
             WHERE table_schema = current_schema() AND table_name = $1 AND is_generated = 'NEVER'",
            &[&t.name],
        )
        .map_err(pq("reading the tables"))?;
    let theirs: std::collections::BTreeSet<String> = rows.iter().map(|r| r.get(0)).collect();
    let ours: std::collections::BTreeSet<String> = t.cols.iter().map(|(c, _)| c.clone()).collect();
    if theirs != ours {
        let only: Vec<&String> = ours.symmetric_difference(&theirs).collect();
        return Err(CopyError::Refused(format!(
            "table {}: the two databases' columns differ ({only:?}); both must be at schema version {}",
            t.name,
            schema::VERSION
        )));
    }
    Ok(())
}

fn sqlite_val(v: ValueRef<'_>, kind: Kind) -> Val {
    match (v, kind) {
        (ValueRef::Null, _) => Val::Null,
        (ValueRef::Integer(i), Kind::Real) => Val::Real(i as f64),
        (ValueRef::Integer(i), _) => Val::Int(i),
        (ValueRef::Real(f), Kind::Int) if f.fract() == 0.0 && f.abs() < 9.0e18 => Val::Int(f as i64),
        (ValueRef::Real(f), _) => Val::Real(f),
        (ValueRef::Text(t), _) | (ValueRef::Blob(t), _) => Val::Text(String::from_utf8_lossy(t).into_owned()),
    }
}

/// One side of a copy, opened: where rows come from and go to.
enum Side {
    Sqlite(rusqlite::Connection),
    Pg(Box<Pg>),
}

impl Side {
    fn open(e: &Endpoint, create: bool) -> Result<Side, CopyError> {
        Ok(match e {
            Endpoint::Sqlite(path) => {
                if !create && !path.exists() {
                    return Err(CopyError::Refused(format!("there is no database at {}", e.describe())));
                }
                // Opening through the store makes (or upgrades) its schema.
                drop(super::Store::open(path)?);
                let conn = rusqlite::Connection::open(path).map_err(sq("opening the SQLite database"))?;
                conn.busy_timeout(std::time::Duration::from_secs(30))
                    .map_err(sq("opening the SQLite database"))?;
                Side::Sqlite(conn)
            }
            Endpoint::Postgres { url, password_env } => {
                let mut pg = Pg::connect(url, password_env.as_deref())?;
                let found = schema::version(&mut pg)?;
                if found == 0 && !create {
                    return Err(CopyError::Refused(format!("{} holds no overhear database", pg.target)));
                }
                schema::ensure(&mut pg)?;
                Side::Pg(Box::new(pg))
            }
        })
    }

    /// A page of `t`'s rows after `after` (a key's values), in key order.
    fn page(&mut self, t: &Table, after: Option<&[Val]>, limit: usize) -> Result<Vec<Vec<Val>>, CopyError> {
        let sql = t.page_sql(after.is_some(), limit);
        match self {
            Side::Sqlite(conn) => {
                let mut stmt = conn.prepare_cached(&sql).map_err(sq("reading rows"))?;
                let params: Vec<rusqlite::types::Value> = after.unwrap_or_default().iter().map(to_sqlite).collect();
                let mut rows = stmt
                    .query(rusqlite::params_from_iter(params))
                    .map_err(sq("reading rows"))?;
                let mut out = Vec::new();
                while let Some(r) = rows.next().map_err(sq("reading rows"))? {
                    let mut row = Vec::with_capacity(t.cols.len());
                    for (i, (_, kind)) in t.cols.iter().enumerate() {
                        row.push(sqlite_val(r.get_ref(i).map_err(sq("reading rows"))?, *kind));
                    }
                    out.push(row);
                }
                Ok(out)
            }
            Side::Pg(pg) => {
                let sql = super::dialect::postgres(&sql).map_err(CopyError::Refused)?;
                let owned: Vec<Box<dyn postgres::types::ToSql + Sync>> =
                    after.unwrap_or_default().iter().map(to_pg).collect();
                let params: Vec<&(dyn postgres::types::ToSql + Sync)> = owned.iter().map(|b| b.as_ref()).collect();
                let rows = pg.client.query(&sql, &params).map_err(pq("reading rows"))?;
                Ok(rows
                    .iter()
                    .map(|r| {
                        t.cols
                            .iter()
                            .enumerate()
                            .map(|(i, (_, kind))| match kind {
                                Kind::Int => r.get::<_, Option<i64>>(i).map_or(Val::Null, Val::Int),
                                Kind::Real => r.get::<_, Option<f64>>(i).map_or(Val::Null, Val::Real),
                                Kind::Text => r.get::<_, Option<String>>(i).map_or(Val::Null, Val::Text),
                            })
                            .collect()
                    })
                    .collect())
            }
        }
    }

    fn count(&mut self, t: &Table) -> Result<u64, CopyError> {
        let sql = format!("SELECT count(*) FROM \"{}\"", t.name);
        Ok(match self {
            Side::Sqlite(c) => c
                .query_row(&sql, [], |r| r.get::<_, i64>(0))
                .map_err(sq("counting rows"))? as u64,
            Side::Pg(pg) => pg
                .client
                .query_one(&sql, &[])
                .map_err(pq("counting rows"))?
                .get::<_, i64>(0) as u64,
        })
    }
}

fn to_sqlite(v: &Val) -> rusqlite::types::Value {
    match v {
        Val::Null => rusqlite::types::Value::Null,
        Val::Int(i) => rusqlite::types::Value::Integer(*i),
        Val::Real(f) => rusqlite::types::Value::Real(*f),
        Val::Text(s) => rusqlite::types::Value::Text(s.clone()),
    }
}

fn to_pg(v: &Val) -> Box<dyn postgres::types::ToSql + Sync> {
    match v {
        Val::Null => Box::new(Option::<String>::None),
        Val::Int(i) => Box::new(*i),
        Val::Real(f) => Box::new(*f),
        Val::Text(s) => Box::new(s.clone()),
    }
}

/// A key's values as the progress note keeps them (JSON).
fn key_json(t: &Table, row: &[Val]) -> String {
    let vals: Vec<serde_json::Value> = t
        .key
        .iter()
        .map(|&i| match &row[i] {
            Val::Null => serde_json::Value::Null,
            Val::Int(n) => serde_json::json!(n),
            Val::Real(f) => serde_json::json!(f),
            Val::Text(s) => serde_json::json!(s),
        })
        .collect();
    serde_json::Value::Array(vals).to_string()
}

fn key_from_json(t: &Table, s: &str) -> Option<Vec<Val>> {
    let v: Vec<serde_json::Value> = serde_json::from_str(s).ok()?;
    if v.len() != t.key.len() {
        return None;
    }
    v.iter()
        .zip(&t.key)
        .map(|(x, &i)| match t.cols[i].1 {
            Kind::Int => x.as_i64().map(Val::Int),
            Kind::Real => x.as_f64().map(Val::Real),
            Kind::Text => x.as_str().map(|s| Val::Text(s.to_string())),
        })
        .collect()
}

/// A value in `COPY`'s text format.
fn copy_text(out: &mut String, v: &Val) {
    match v {
        Val::Null => out.push_str("\\N"),
        Val::Int(i) => {
            let _ = write!(out, "{i}");
        }
        Val::Real(f) if f.is_nan() => out.push_str("NaN"),
        Val::Real(f) if f.is_infinite() => out.push_str(if *f > 0.0 { "Infinity" } else { "-Infinity" }),
        Val::Real(f) => {
            let _ = write!(out, "{f:?}");
        }
        Val::Text(s) => {
            for c in s.chars() {
                match c {
                    '\\' => out.push_str("\\\\"),
                    '\t' => out.push_str("\\t"),
                    '\n' => out.push_str("\\n"),
                    '\r' => out.push_str("\\r"),
                    // PostgreSQL's text holds no NUL: SQLite's can; it is dropped (said in words below).
                    '\0' => {}
                    c => out.push(c),
                }
            }
        }
    }
}

/// A row's part of a table's checksum.
fn hash_row(h: &mut Sha256, row: &[Val]) {
    for v in row {
        match v {
            Val::Null => h.update([0u8]),
            Val::Int(i) => {
                h.update([1u8]);
                h.update(i.to_le_bytes());
            }
            Val::Real(f) => {
                h.update([2u8]);
                h.update(f.to_bits().to_le_bytes());
            }
            Val::Text(s) => {
                // NUL is the one character PostgreSQL cannot hold: summed without it on both sides.
                let s: std::borrow::Cow<'_, str> = if s.contains('\0') {
                    s.replace('\0', "").into()
                } else {
                    s.as_str().into()
                };
                h.update([3u8]);
                h.update((s.len() as u64).to_le_bytes());
                h.update(s.as_bytes());
            }
        }
    }
}

/// Progress: how far `table` got (`None`: not begun), and whether it is done.
fn progress(side: &mut Side, table: &str) -> Result<Option<(Option<String>, bool)>, CopyError> {
    match side {
        Side::Sqlite(c) => {
            c.execute_batch(&format!(
                "CREATE TABLE IF NOT EXISTS {PROGRESS} (tbl TEXT PRIMARY KEY, last_key TEXT, done INTEGER NOT NULL DEFAULT 0)"
            ))
            .map_err(sq("keeping the copy's progress"))?;
            use rusqlite::OptionalExtension;
            c.query_row(
                &format!("SELECT last_key, done FROM {PROGRESS} WHERE tbl = ?1"),
                [table],
                |r| Ok((r.get::<_, Option<String>>(0)?, r.get::<_, i64>(1)? != 0)),
            )
            .optional()
            .map_err(sq("keeping the copy's progress"))
        }
        Side::Pg(pg) => {
            pg.client
                .batch_execute(&format!(
                    "CREATE TABLE IF NOT EXISTS {PROGRESS} (tbl TEXT PRIMARY KEY, last_key TEXT, done BIGINT NOT NULL DEFAULT 0)"
                ))
                .map_err(pq("keeping the copy's progress"))?;
            let row = pg
                .client
                .query_opt(
                    &format!("SELECT last_key, done FROM {PROGRESS} WHERE tbl = $1"),
                    &[&table],
                )
                .map_err(pq("keeping the copy's progress"))?;
            Ok(row.map(|r| (r.get::<_, Option<String>>(0), r.get::<_, i64>(1) != 0)))
        }
    }
}

/// Where a table's copy got to (one statement for both backends: the PostgreSQL side says it
/// through [`super::dialect::postgres`]).
const NOTE_PROGRESS: &str = "INSERT INTO overhear_copy (tbl, last_key, done) VALUES (?1, ?2, ?3)
     ON CONFLICT (tbl) DO UPDATE SET last_key = coalesce(excluded.last_key, overhear_copy.last_key),
        done = excluded.done";

/// Tables a new database fills by itself (a default row, rows its triggers add): emptied when
/// their copy begins, so they hold the source's rows only.
const REFILLED: &[&str] = &["stream_counts", "stats_dirty"];

/// Write one batch and the progress note in one transaction.
fn write_batch(side: &mut Side, t: &Table, rows: &[Vec<Val>], first: bool, done: bool) -> Result<(), CopyError> {
    let last = rows.last().map(|r| key_json(t, r));
    match side {
        Side::Sqlite(c) => write_sqlite(c, t, rows, first, done, last),
        Side::Pg(pg) => write_pg(pg, t, rows, first, done, last),
    }
}

fn write_sqlite(
    c: &mut rusqlite::Connection,
    t: &Table,
    rows: &[Vec<Val>],
    first: bool,
    done: bool,
    last: Option<String>,
) -> Result<(), CopyError> {
    let tx = c.transaction().map_err(sq("writing rows"))?;
    if first && REFILLED.contains(&t.name) {
        tx.execute(&format!("DELETE FROM \"{}\"", t.name), [])
            .map_err(sq("writing rows"))?;
    }
    {
        let ph: Vec<String> = (1..=t.cols.len()).map(|i| format!("?{i}")).collect();
        let mut ins = tx
            .prepare_cached(&format!(
                "INSERT INTO \"{}\" ({}) VALUES ({})",
                t.name,
                t.col_list(),
                ph.join(", ")
            ))
            .map_err(sq("writing rows"))?;
        for r in rows {
            ins.execute(rusqlite::params_from_iter(r.iter().map(to_sqlite)))
                .map_err(sq("writing rows"))?;
        }
    }
    if t.name == "mentions"
        && let (Some(Val::Int(lo)), Some(Val::Int(hi))) = (rows.first().map(|r| &r[0]), rows.last().map(|r| &r[0]))
    {
        tx.execute(
            "INSERT INTO mentions_fts (rowid, title, text, author)
             SELECT id, title, text, author FROM mentions WHERE id BETWEEN ?1 AND ?2",
            [lo, hi],
        )
        .map_err(sq("indexing the mentions' words"))?;
    }
    tx.execute(NOTE_PROGRESS, rusqlite::params![t.name, last, done as i64])
        .map_err(sq("keeping the copy's progress"))?;
    tx.commit().map_err(sq("writing rows"))
}

fn write_pg(
    pg: &mut Pg,
    t: &Table,
    rows: &[Vec<Val>],
    first: bool,
    done: bool,
    last: Option<String>,
) -> Result<(), CopyError> {
    let mut tx = pg.client.transaction().map_err(pq("writing rows"))?;
    if first && REFILLED.contains(&t.name) {
        tx.execute(&format!("DELETE FROM \"{}\"", t.name), &[])
            .map_err(pq("writing rows"))?;
    }
    if !rows.is_empty() {
        let mut text = String::new();
        for r in rows {
            for (i, v) in r.iter().enumerate() {
                if i > 0 {
                    text.push('\t');
                }
                copy_text(&mut text, v);
            }
            text.push('\n');
        }
        let mut w = tx
            .copy_in(&format!("COPY \"{}\" ({}) FROM STDIN", t.name, t.col_list()))
            .map_err(pq("writing rows"))?;
        std::io::Write::write_all(&mut w, text.as_bytes()).map_err(|e| {
            CopyError::Pg(PgError::Sql {
                doing: "writing rows",
                detail: e.to_string(),
            })
        })?;
        w.finish().map_err(pq("writing rows"))?;
    }
    let done_n: i64 = done.into();
    let note = super::dialect::postgres(NOTE_PROGRESS).map_err(CopyError::Refused)?;
    tx.execute(&note, &[&t.name, &last, &done_n])
        .map_err(pq("keeping the copy's progress"))?;
    if done && t.key.len() == 1 && t.cols[t.key[0]].0 == "id" && t.cols[t.key[0]].1 == Kind::Int {
        // The identity goes on after the copied ids.
        tx.batch_execute(&format!(
            "SELECT setval(pg_get_serial_sequence('\"{0}\"', 'id'), coalesce((SELECT max(id) FROM \"{0}\"), 0) + 1, false)",
            t.name
        ))
        .map_err(pq("setting the ids to come"))?;
    }
    tx.commit().map_err(pq("writing rows"))
}

/// A target that is neither empty nor this copy's own is refused: a copy never mixes two
/// databases' rows.
fn check_target(to: &mut Side, tables: &[Table], source: &str) -> Result<(), CopyError> {
    let began = progress(to, "(source)")?;
    if let Some((Some(from), _)) = &began {
        if from != source {
            return Err(CopyError::Refused(format!(
                "the target holds a copy begun from {from}, not from {source}: copy into a new database"
            )));
        }
        return Ok(());
    }
    let mut holding = tables.iter().filter(|t| !REFILLED.contains(&t.name));
    // The mentions first: what a user would call the database's content.
    let mentions = tables.iter().find(|t| t.name == "mentions");
    for t in mentions.into_iter().chain(&mut holding) {
        let n = to.count(t)?;
        if n > 0 {
            let what = if t.name == "mentions" {
                format!("{n} mentions")
            } else {
                format!("data (table {} has rows)", t.name)
            };
            return Err(CopyError::Refused(format!(
                "the target already holds {what}: copy into a new, empty database"
            )));
        }
    }
    let one: i64 = 1;
    match to {
        Side::Sqlite(c) => c
            .execute(NOTE_PROGRESS, rusqlite::params!["(source)", source, one])
            .map(drop)
            .map_err(sq("keeping the copy's progress")),
        Side::Pg(pg) => {
            let note = super::dialect::postgres(NOTE_PROGRESS).map_err(CopyError::Refused)?;
            pg.client
                .execute(&note, &[&"(source)", &source, &one])
                .map(drop)
                .map_err(pq("keeping the copy's progress"))
        }
    }
}

/// Copy every table from `from` to `to`, then count and checksum both sides. `say` hears each
/// table's progress (its name, rows copied so far, done).
pub fn migrate(
    from: &Endpoint,
    to: &Endpoint,
    batch: usize,
    mut say: impl FnMut(&str, u64, bool),
) -> Result<Vec<TableReport>, CopyError> {
    if matches!(
        (from, to),
        (Endpoint::Sqlite(_), Endpoint::Sqlite(_)) | (Endpoint::Postgres { .. }, Endpoint::Postgres { .. })
    ) {
        return Err(CopyError::Refused(
            "migrate copies between SQLite and PostgreSQL: one side must be a file, the other a postgres:// URL".into(),
        ));
    }
    let mut src = Side::open(from, false)?;
    let mut dst = Side::open(to, true)?;
    let tables = {
        let conn = match (&src, &dst) {
            (Side::Sqlite(c), _) | (_, Side::Sqlite(c)) => c,
            _ => unreachable!("one side is SQLite"),
        };
        tables(conn)?
    };
    for t in &tables {
        for side in [&mut src, &mut dst] {
            if let Side::Pg(pg) = side {
                check_pg_columns(pg, t)?;
            }
        }
    }
    check_target(&mut dst, &tables, &from.describe())?;
    let mut copied = vec![0u64; tables.len()];
    for (n, t) in tables.iter().enumerate() {
        let (mut after, done) = match progress(&mut dst, t.name)? {
            Some((k, done)) => (k.and_then(|k| key_from_json(t, &k)), done),
            None => (None, false),
        };
        if done {
            say(t.name, 0, true);
            continue;
        }
        let mut first = after.is_none();
        loop {
            let rows = src.page(t, after.as_deref(), batch.max(1))?;
            let last_page = rows.len() < batch.max(1);
            write_batch(&mut dst, t, &rows, first, last_page)?;
            first = false;
            copied[n] += rows.len() as u64;
            if let Some(r) = rows.last() {
                after = Some(t.key.iter().map(|&i| r[i].clone()).collect());
            }
            say(t.name, copied[n], last_page);
            if last_page {
                break;
            }
        }
    }
    let mut reports = Vec::new();
    for (n, t) in tables.iter().enumerate() {
        let (rows_from, sum_from) = checksum(&mut src, t, batch)?;
        let (rows_to, sum_to) = checksum(&mut dst, t, batch)?;
        reports.push(TableReport {
            table: t.name.to_string(),
            copied: copied[n],
            rows_from,
            rows_to,
            sum_from,
            sum_to,
        });
    }
    Ok(reports)
}

/// A table's rows counted and summed, in key order, a page at a time.
fn checksum(side: &mut Side, t: &Table, batch: usize) -> Result<(u64, String), CopyError> {
    let mut h = Sha256::new();
    let mut n = 0u64;
    let mut after: Option<Vec<Val>> = None;
    loop {
        let rows = side.page(t, after.as_deref(), batch.max(1))?;
        for r in &rows {
            hash_row(&mut h, r);
        }
        n += rows.len() as u64;
        match rows.last() {
            Some(r) if rows.len() == batch.max(1) => after = Some(t.key.iter().map(|&i| r[i].clone()).collect()),
            _ => break,
        }
    }
    let sum = h.finalize();
    Ok((n, crate::text::hex(&sum[..8])))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_text_escapes_what_copy_reads_as_structure() {
        let mut s = String::new();
        for v in [
            Val::Null,
            Val::Int(-3),
            Val::Real(0.1),
            Val::Real(f64::INFINITY),
            Val::Text("a\tb\nc\\d\re\0f".into()),
        ] {
            copy_text(&mut s, &v);
            s.push('|');
        }
        assert_eq!(s, "\\N|-3|0.1|Infinity|a\\tb\\nc\\\\d\\ref|");
    }

    #[test]
    fn a_key_survives_its_note() {
        let t = Table {
            name: "story_keys",
            cols: vec![("key".into(), Kind::Int), ("mention_id".into(), Kind::Int)],
            key: vec![0, 1],
        };
        let row = vec![Val::Int(-9_000_000_000_000), Val::Int(7)];
        assert_eq!(key_from_json(&t, &key_json(&t, &row)), Some(row));
    }
}
