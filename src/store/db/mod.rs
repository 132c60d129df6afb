//! One way for the store to speak to either backend: SQL written once (SQLite's dialect, said in
//! PostgreSQL's by [`super::dialect`]), parameters and columns typed loosely as SQLite types them,
//! each statement prepared once per connection.
//!
//! [`Db`] is a connection or a transaction of either backend. Its calls are the few the store
//! needs: [`Db::execute`], [`Db::query_row`], [`Db::query_opt`], [`Db::query_map`],
//! [`Db::execute_batch`]. A parameter is anything [`Param`] (integers, reals, text, booleans,
//! options of them), bound without a copy on SQLite; a column is read into anything [`Column`].
//! On PostgreSQL a value goes to and from whatever type the server gives the parameter or
//! column (`BIGINT`, `DOUBLE PRECISION`, `TEXT`, `BOOLEAN`, `NUMERIC`), as SQLite would convert.

mod pg;

pub use pg::{PgConn, Reopen};
use rusqlite::types::ValueRef;

/// An error from either backend, or a value that is not what the store asked for.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
    #[error("{}", super::postgres::words(.0))]
    Pg(#[from] postgres::Error),
    #[error("a statement has no PostgreSQL spelling: {0}")]
    Dialect(String),
    #[error("column {index}: {detail}")]
    Column { index: usize, detail: String },
    #[error("the query returned no row")]
    NoRow,
    /// The connection was lost and could not be opened again.
    #[error("the connection to the database was lost and cannot be opened again: {0}")]
    Lost(String),
}

pub type Result<T> = std::result::Result<T, DbError>;

impl DbError {
    /// The server undid the transaction because of another one (a serialization failure, a
    /// deadlock): running it again is the answer.
    pub fn is_retried(&self) -> bool {
        use postgres::error::SqlState;
        matches!(self, DbError::Pg(p) if p.code().is_some_and(|c| {
            *c == SqlState::T_R_SERIALIZATION_FAILURE || *c == SqlState::T_R_DEADLOCK_DETECTED
        }))
    }

    /// The connection was lost (the server closed it, the network dropped it).
    pub fn is_lost(&self) -> bool {
        use postgres::error::SqlState;
        match self {
            DbError::Pg(p) => {
                p.is_closed()
                    || p.code().is_none() && p.as_db_error().is_none()
                    || p.code().is_some_and(|c| {
                        *c == SqlState::ADMIN_SHUTDOWN || *c == SqlState::CRASH_SHUTDOWN || c.code().starts_with("08")
                    })
            }
            DbError::Lost(_) => true,
            _ => false,
        }
    }

    /// An error of the database or its connection rather than of the statement's data: a busy or
    /// full or read-only database, a lost connection. It ends the whole transaction; an error of
    /// one statement's data (a constraint, a bad value) can be undone to a savepoint.
    pub fn is_transient(&self) -> bool {
        use postgres::error::SqlState;
        match self {
            DbError::Sqlite(rusqlite::Error::SqliteFailure(f, _)) => matches!(
                f.code,
                rusqlite::ErrorCode::DatabaseBusy
                    | rusqlite::ErrorCode::DatabaseLocked
                    | rusqlite::ErrorCode::DiskFull
                    | rusqlite::ErrorCode::SystemIoFailure
                    | rusqlite::ErrorCode::DatabaseCorrupt
                    | rusqlite::ErrorCode::ReadOnly
            ),
            DbError::Lost(_) => true,
            DbError::Pg(p) => match p.code() {
                // No code: the connection or the protocol failed, not a statement.
                None => true,
                Some(c) => {
                    self.is_retried()
                        || p.is_closed()
                        || *c == SqlState::DISK_FULL
                        || *c == SqlState::INSUFFICIENT_RESOURCES
                        || *c == SqlState::OUT_OF_MEMORY
                        || *c == SqlState::READ_ONLY_SQL_TRANSACTION
                        || *c == SqlState::ADMIN_SHUTDOWN
                        || *c == SqlState::CRASH_SHUTDOWN
                        || *c == SqlState::CANNOT_CONNECT_NOW
                        || *c == SqlState::QUERY_CANCELED
                        || c.code().starts_with("08")
                        || c.code().starts_with("58")
                        || c.code().starts_with("XX")
                }
            },
            _ => false,
        }
    }
}

/// For SQLite code not yet written for both backends that calls code that is: SQLite's own errors
/// pass as they are (its retries look at their codes); anything else is not retried.
impl From<DbError> for rusqlite::Error {
    fn from(e: DbError) -> rusqlite::Error {
        match e {
            DbError::Sqlite(e) => e,
            other => rusqlite::Error::UserFunctionError(Box::new(other)),
        }
    }
}

/// Which backend a [`Db`] speaks to (for the few statements written per backend).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

/// A value given to a statement.
pub trait Param {
    fn value(&self) -> ValueRef<'_>;
}

macro_rules! int_param {
    ($($t:ty),*) => {$(
        impl Param for $t {
            fn value(&self) -> ValueRef<'_> {
                ValueRef::Integer(i64::try_from(*self).unwrap_or(i64::MAX))
            }
        }
    )*};
}
int_param!(i64, i32, u32, u16, u8, usize, u64);

impl Param for f64 {
    fn value(&self) -> ValueRef<'_> {
        ValueRef::Real(*self)
    }
}

impl Param for bool {
    fn value(&self) -> ValueRef<'_> {
        ValueRef::Integer(i64::from(*self))
    }
}

impl Param for str {
    fn value(&self) -> ValueRef<'_> {
        ValueRef::Text(self.as_bytes())
    }
}

impl Param for String {
    fn value(&self) -> ValueRef<'_> {
        ValueRef::Text(self.as_bytes())
    }
}

impl Param for rusqlite::types::Value {
    fn value(&self) -> ValueRef<'_> {
        self.into()
    }
}

impl<T: Param + ?Sized> Param for &T {
    fn value(&self) -> ValueRef<'_> {
        (**self).value()
    }
}

impl<T: Param> Param for Option<T> {
    fn value(&self) -> ValueRef<'_> {
        match self {
            Some(v) => v.value(),
            None => ValueRef::Null,
        }
    }
}

/// The parameters of a statement: `params![a, b]`.
#[macro_export]
macro_rules! db_params {
    () => { &[] as &[&dyn $crate::store::db::Param] };
    ($($p:expr),+ $(,)?) => { &[$(&$p as &dyn $crate::store::db::Param),+] as &[&dyn $crate::store::db::Param] };
}
pub use crate::db_params as params;

/// A value read from a column.
pub trait Column: Sized {
    fn column(v: ValueRef<'_>) -> std::result::Result<Self, String>;
}

impl Column for i64 {
    fn column(v: ValueRef<'_>) -> std::result::Result<Self, String> {
        match v {
            ValueRef::Integer(i) => Ok(i),
            ValueRef::Real(f) if f.fract() == 0.0 && f.abs() < 9.2e18 => Ok(f as i64),
            other => Err(format!("{other:?} is not an integer")),
        }
    }
}

macro_rules! int_column {
    ($($t:ty),*) => {$(
        impl Column for $t {
            fn column(v: ValueRef<'_>) -> std::result::Result<Self, String> {
                let i = i64::column(v)?;
                <$t>::try_from(i).map_err(|_| format!("{i} is out of range"))
            }
        }
    )*};
}
int_column!(i32, u32, u64, usize);

impl Column for f64 {
    fn column(v: ValueRef<'_>) -> std::result::Result<Self, String> {
        match v {
            ValueRef::Integer(i) => Ok(i as f64),
            ValueRef::Real(f) => Ok(f),
            other => Err(format!("{other:?} is not a number")),
        }
    }
}

impl Column for bool {
    fn column(v: ValueRef<'_>) -> std::result::Result<Self, String> {
        i64::column(v).map(|i| i != 0)
    }
}

impl Column for String {
    fn column(v: ValueRef<'_>) -> std::result::Result<Self, String> {
        match v {
            ValueRef::Text(t) | ValueRef::Blob(t) => {
                String::from_utf8(t.to_vec()).map_err(|_| "text that is not UTF-8".to_string())
            }
            ValueRef::Integer(i) => Ok(i.to_string()),
            ValueRef::Real(f) => Ok(f.to_string()),
            ValueRef::Null => Err("NULL is not text".into()),
        }
    }
}

impl<T: Column> Column for Option<T> {
    fn column(v: ValueRef<'_>) -> std::result::Result<Self, String> {
        match v {
            ValueRef::Null => Ok(None),
            v => T::column(v).map(Some),
        }
    }
}

/// A name stored as text (a kind, a status), read back by parsing it.
macro_rules! parsed_column {
    ($($t:ty),*) => {$(
        impl Column for $t {
            fn column(v: ValueRef<'_>) -> std::result::Result<Self, String> {
                let s = String::column(v)?;
                s.parse().map_err(|_| format!("{s:?} is not a {}", stringify!($t)))
            }
        }
    )*};
}
parsed_column!(crate::model::FeedKind, crate::model::Status);

/// One row of an answer.
pub enum Row<'r> {
    Sqlite(&'r rusqlite::Row<'r>),
    Pg(&'r postgres::Row),
}

impl Row<'_> {
    /// Column `i`, as `T`.
    pub fn get<T: Column>(&self, i: usize) -> Result<T> {
        let bad = |detail: String| DbError::Column { index: i, detail };
        match self {
            Row::Sqlite(r) => T::column(r.get_ref(i)?).map_err(bad),
            Row::Pg(r) => {
                let v: pg::Loose = r.try_get(i)?;
                T::column(v.as_ref()).map_err(bad)
            }
        }
    }
}

/// A connection or transaction of either backend.
#[derive(Clone, Copy)]
pub enum Db<'c> {
    Sqlite(&'c rusqlite::Connection),
    Pg(&'c PgConn),
}

fn bind<'a>(params: &'a [&'a dyn Param]) -> impl Iterator<Item = rusqlite::types::ToSqlOutput<'a>> {
    params.iter().map(|p| rusqlite::types::ToSqlOutput::Borrowed(p.value()))
}

/// A statement prepared once for many runs (a write's loop over its rows).
pub enum Stmt<'c> {
    /// With its connection (for the id an insert gave).
    Sqlite(rusqlite::CachedStatement<'c>, &'c rusqlite::Connection),
    Pg(&'c PgConn, pg::Prepared),
}

impl Stmt<'_> {
    /// Run it; the rows it changed.
    pub fn execute(&mut self, params: &[&dyn Param]) -> Result<usize> {
        match self {
            Stmt::Sqlite(s, _) => Ok(s.execute(rusqlite::params_from_iter(bind(params)))?),
            Stmt::Pg(c, s) => c.execute_prepared(s, params),
        }
    }

    /// Run it; every row it gave, each through `f`.
    pub fn query_map<T>(&mut self, params: &[&dyn Param], mut f: impl FnMut(&Row<'_>) -> Result<T>) -> Result<Vec<T>> {
        match self {
            Stmt::Sqlite(s, _) => {
                let mut rows = s.query(rusqlite::params_from_iter(bind(params)))?;
                let mut out = Vec::new();
                while let Some(r) = rows.next()? {
                    out.push(f(&Row::Sqlite(r))?);
                }
                Ok(out)
            }
            Stmt::Pg(c, s) => c.query_prepared(s, params)?.iter().map(|r| f(&Row::Pg(r))).collect(),
        }
    }

    /// Run it; its first row through `f`, if it gave one (an `INSERT … RETURNING` that inserted).
    pub fn query_opt<T>(&mut self, params: &[&dyn Param], f: impl FnOnce(&Row<'_>) -> Result<T>) -> Result<Option<T>> {
        match self {
            Stmt::Sqlite(s, _) => {
                let mut rows = s.query(rusqlite::params_from_iter(bind(params)))?;
                match rows.next()? {
                    Some(r) => f(&Row::Sqlite(r)).map(Some),
                    None => Ok(None),
                }
            }
            Stmt::Pg(c, s) => c.query_prepared(s, params)?.first().map(|r| f(&Row::Pg(r))).transpose(),
        }
    }

    /// Run an insert prepared by [`Db::prepare_insert`]; the id of the row it inserted, if it
    /// inserted one (an `OR IGNORE` / `ON CONFLICT DO NOTHING` that met its row inserts none).
    pub fn insert(&mut self, params: &[&dyn Param]) -> Result<Option<i64>> {
        match self {
            Stmt::Sqlite(s, c) => {
                let changed = s.execute(rusqlite::params_from_iter(bind(params)))?;
                Ok((changed == 1).then(|| c.last_insert_rowid()))
            }
            Stmt::Pg(..) => self.query_opt(params, |r| r.get(0)),
        }
    }
}

impl<'c> Db<'c> {
    pub fn dialect(&self) -> Dialect {
        match self {
            Db::Sqlite(_) => Dialect::Sqlite,
            Db::Pg(_) => Dialect::Postgres,
        }
    }

    /// `sql` prepared for many runs.
    pub fn prepare(&self, sql: &str) -> Result<Stmt<'c>> {
        match self {
            Db::Sqlite(c) => Ok(Stmt::Sqlite(c.prepare_cached(sql)?, c)),
            Db::Pg(c) => Ok(Stmt::Pg(c, c.statement(sql)?)),
        }
    }

    /// An insert of one row, prepared for many runs of [`Stmt::insert`]: `sql` without a
    /// `RETURNING` clause. A server is asked for the new row's id with it (`RETURNING id`); SQLite
    /// gives it without (its `RETURNING` fills a temporary table at every run).
    pub fn prepare_insert(&self, sql: &str) -> Result<Stmt<'c>> {
        match self {
            Db::Sqlite(_) => self.prepare(sql),
            Db::Pg(_) => self.prepare(&format!("{sql} RETURNING id")),
        }
    }

    /// Run a statement; the rows it changed.
    pub fn execute(&self, sql: &str, params: &[&dyn Param]) -> Result<usize> {
        match self {
            Db::Sqlite(c) => Ok(c
                .prepare_cached(sql)?
                .execute(rusqlite::params_from_iter(bind(params)))?),
            Db::Pg(c) => c.execute(sql, params),
        }
    }

    /// Several statements, no parameters.
    pub fn execute_batch(&self, sql: &str) -> Result<()> {
        match self {
            Db::Sqlite(c) => Ok(c.execute_batch(sql)?),
            Db::Pg(c) => c.execute_batch(sql),
        }
    }

    /// Every row of a query, each through `f`.
    pub fn query_map<T>(
        &self,
        sql: &str,
        params: &[&dyn Param],
        mut f: impl FnMut(&Row<'_>) -> Result<T>,
    ) -> Result<Vec<T>> {
        match self {
            Db::Sqlite(c) => Stmt::Sqlite(c.prepare_cached(sql)?, c).query_map(params, f),
            Db::Pg(c) => c.query(sql, params)?.iter().map(|r| f(&Row::Pg(r))).collect(),
        }
    }

    /// The first row of a query through `f`, if there is one.
    pub fn query_opt<T>(
        &self,
        sql: &str,
        params: &[&dyn Param],
        f: impl FnOnce(&Row<'_>) -> Result<T>,
    ) -> Result<Option<T>> {
        match self {
            Db::Sqlite(c) => Stmt::Sqlite(c.prepare_cached(sql)?, c).query_opt(params, f),
            Db::Pg(c) => c.query(sql, params)?.first().map(|r| f(&Row::Pg(r))).transpose(),
        }
    }

    /// The first row of a query through `f`; no row is [`DbError::NoRow`].
    pub fn query_row<T>(&self, sql: &str, params: &[&dyn Param], f: impl FnOnce(&Row<'_>) -> Result<T>) -> Result<T> {
        self.query_opt(sql, params, f)?.ok_or(DbError::NoRow)
    }
}
