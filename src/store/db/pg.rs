//! The PostgreSQL side of [`super::Db`]: statements said in PostgreSQL's dialect and prepared
//! once per connection; values converted to and from the types the server declares, loosely, as
//! SQLite would.

use super::{DbError, Param, Result};
use bytes::{BufMut, BytesMut};
use postgres::fallible_iterator::FallibleIterator;
use postgres::types::{FromSql, IsNull, ToSql, Type, to_sql_checked};
use rusqlite::types::ValueRef;
use std::cell::RefCell;
use std::collections::HashMap;
use std::error::Error;

type BoxError = Box<dyn Error + Sync + Send>;

/// Opens the connection again (the same server, user and password) when it was lost.
pub type Reopen = Box<dyn Fn() -> std::result::Result<postgres::Client, String> + Send>;

/// A PostgreSQL connection and the statements prepared on it. A connection the server or the
/// network dropped is opened again before the next statement outside a transaction (a read that
/// meets the loss is read again at once; a transaction it ends fails, and is not repeated: it may
/// have committed).
pub struct PgConn {
    client: RefCell<postgres::Client>,
    reopen: Option<Reopen>,
    /// Inside `BEGIN` … `COMMIT`/`ROLLBACK` (no reconnecting there).
    in_tx: std::cell::Cell<bool>,
    /// A statement met the connection's loss (the client may not know yet).
    lost: std::cell::Cell<bool>,
    prepared: RefCell<HashMap<String, Prepared>>,
    /// Other connections' writes heard so far (`LISTEN overhear`).
    heard: std::cell::Cell<i64>,
    /// Transactions this connection committed (its own changes, which it does not hear).
    commits: std::cell::Cell<i64>,
    /// This connection's server process, whose own notifications are no news.
    pid: std::cell::Cell<i32>,
}

/// A statement prepared on the server, and which of the parameters given it reads.
#[derive(Clone)]
pub struct Prepared {
    stmt: postgres::Statement,
    /// For each `$k`, the index of its value among the parameters given (SQLite's `?N`).
    uses: std::sync::Arc<[usize]>,
}

impl Prepared {
    fn bind<'p>(&self, params: &'p [&'p dyn Param]) -> Result<Vec<LooseParam<'p>>> {
        self.uses
            .iter()
            .map(|&i| {
                params.get(i).map(|p| LooseParam(p.value())).ok_or_else(|| {
                    DbError::Dialect(format!(
                        "the statement reads parameter {} of {} given",
                        i + 1,
                        params.len()
                    ))
                })
            })
            .collect()
    }
}

/// The channel writers notify at commit.
pub const CHANNEL: &str = "overhear";

impl PgConn {
    pub fn new(mut client: postgres::Client, reopen: Option<Reopen>) -> PgConn {
        let pid = backend_pid(&mut client);
        PgConn {
            client: RefCell::new(client),
            reopen,
            in_tx: std::cell::Cell::new(false),
            lost: std::cell::Cell::new(false),
            prepared: RefCell::new(HashMap::new()),
            heard: std::cell::Cell::new(0),
            commits: std::cell::Cell::new(0),
            pid: std::cell::Cell::new(pid),
        }
    }

    /// Start hearing other connections' writes.
    pub fn listen(&self) -> Result<()> {
        Ok(self.client.borrow_mut().batch_execute(&format!("LISTEN {CHANNEL}"))?)
    }

    /// Open the connection again if it was lost and no transaction is open on it: its statements
    /// prepared again as they are used, its `LISTEN` again, and the writes it may have missed
    /// counted as one heard (whoever watches reads again).
    fn ensure_open(&self) -> Result<()> {
        if self.in_tx.get() || !(self.lost.get() || self.client.borrow().is_closed()) {
            return Ok(());
        }
        let Some(reopen) = &self.reopen else {
            return Ok(());
        };
        let mut client = reopen().map_err(DbError::Lost)?;
        let pid = backend_pid(&mut client);
        *self.client.borrow_mut() = client;
        self.prepared.borrow_mut().clear();
        self.lost.set(false);
        self.pid.set(pid);
        self.listen()?;
        self.heard.set(self.heard.get() + 1);
        tracing::info!("the connection to PostgreSQL was lost and is open again");
        Ok(())
    }

    /// Count a transaction this connection committed.
    pub fn committed(&self) {
        self.commits.set(self.commits.get() + 1);
    }

    /// How many transactions this connection committed.
    pub fn commits(&self) -> i64 {
        self.commits.get()
    }

    /// How many writes by other connections were heard, all told (it changes when one commits).
    pub fn notified(&self) -> Result<i64> {
        self.ensure_open()?;
        let mut client = self.client.borrow_mut();
        let mut n = client.notifications();
        let mut heard = self.heard.get();
        // Waiting a millisecond lets the client's reactor see what arrived on the socket (a
        // plain non-blocking look never parks it, and then sees nothing new).
        let mut it = n.timeout_iter(std::time::Duration::from_millis(1));
        while let Some(note) = it.next().map_err(|e| self.noted(e))? {
            if note.channel() == CHANNEL && note.process_id() != self.pid.get() {
                heard += 1;
            }
        }
        self.heard.set(heard);
        Ok(heard)
    }

    pub(super) fn statement(&self, sql: &str) -> Result<Prepared> {
        self.ensure_open()?;
        if let Some(s) = self.prepared.borrow().get(sql) {
            return Ok(s.clone());
        }
        let (said, uses) = super::super::dialect::postgres_with_params(sql).map_err(DbError::Dialect)?;
        let prepared = self.client.borrow_mut().prepare(&said);
        let stmt = match prepared {
            Ok(s) => s,
            Err(e) => {
                let e = self.noted(e);
                if !e.is_lost() {
                    // A statement the server refuses is the store's own fault: the log says which.
                    tracing::error!(error = %e, sql = %said, "PostgreSQL refused a statement");
                    #[cfg(test)]
                    eprintln!("PostgreSQL refused {said}: {e}");
                }
                return Err(e);
            }
        };
        let prepared = Prepared {
            stmt,
            uses: uses.into(),
        };
        self.prepared.borrow_mut().insert(sql.to_string(), prepared.clone());
        Ok(prepared)
    }

    pub(super) fn execute(&self, sql: &str, params: &[&dyn Param]) -> Result<usize> {
        let stmt = self.statement(sql)?;
        self.execute_prepared(&stmt, params)
    }

    pub(super) fn execute_prepared(&self, stmt: &Prepared, params: &[&dyn Param]) -> Result<usize> {
        let loose = stmt.bind(params)?;
        let refs: Vec<&(dyn ToSql + Sync)> = loose.iter().map(|p| p as &(dyn ToSql + Sync)).collect();
        let n = self.client.borrow_mut().execute(&stmt.stmt, &refs);
        Ok(usize::try_from(n.map_err(|e| self.noted(e))?).unwrap_or(usize::MAX))
    }

    pub(super) fn query(&self, sql: &str, params: &[&dyn Param]) -> Result<Vec<postgres::Row>> {
        let read = || self.statement(sql).and_then(|stmt| self.query_prepared(&stmt, params));
        match read() {
            // A read that met a lost connection, outside a transaction: read again on a new one.
            Err(e) if e.is_lost() && !self.in_tx.get() && self.reopen.is_some() => {
                tracing::debug!("a read met a lost connection: reading again");
                read()
            }
            other => other,
        }
    }

    /// `e`, noting a lost connection so that the next statement opens a new one.
    fn noted(&self, e: postgres::Error) -> DbError {
        let e = DbError::Pg(e);
        if e.is_lost() {
            self.lost.set(true);
        }
        e
    }

    pub(super) fn query_prepared(&self, stmt: &Prepared, params: &[&dyn Param]) -> Result<Vec<postgres::Row>> {
        let loose = stmt.bind(params)?;
        let refs: Vec<&(dyn ToSql + Sync)> = loose.iter().map(|p| p as &(dyn ToSql + Sync)).collect();
        let rows = self.client.borrow_mut().query(&stmt.stmt, &refs);
        rows.map_err(|e| self.noted(e))
    }

    pub(super) fn execute_batch(&self, sql: &str) -> Result<()> {
        let said = super::super::dialect::postgres(sql).map_err(DbError::Dialect)?;
        let upper = said.trim().trim_end_matches(';').to_ascii_uppercase();
        if upper.starts_with("BEGIN") {
            self.ensure_open()?;
            self.in_tx.set(true);
        } else if upper.ends_with("COMMIT") || upper == "ROLLBACK" {
            // Whatever the answer, no transaction is open after it (a lost connection ends it).
            self.in_tx.set(false);
        } else {
            self.ensure_open()?;
        }
        let done = self.client.borrow_mut().batch_execute(&said);
        done.map_err(|e| self.noted(e))
    }

    /// The connection itself, for what is written per backend.
    pub fn client(&self) -> std::cell::RefMut<'_, postgres::Client> {
        self.client.borrow_mut()
    }
}

fn backend_pid(client: &mut postgres::Client) -> i32 {
    client
        .query_one("SELECT pg_backend_pid()", &[])
        .map(|r| r.get::<_, i32>(0))
        .unwrap_or(0)
}

/// A parameter, written as the type the server gave it.
#[derive(Debug)]
struct LooseParam<'a>(ValueRef<'a>);

fn text_of(v: ValueRef<'_>) -> std::result::Result<String, BoxError> {
    Ok(match v {
        ValueRef::Integer(i) => i.to_string(),
        ValueRef::Real(f) => f.to_string(),
        ValueRef::Text(t) => std::str::from_utf8(t)?.to_string(),
        ValueRef::Blob(_) | ValueRef::Null => return Err("not text".into()),
    })
}

impl ToSql for LooseParam<'_> {
    fn to_sql(&self, ty: &Type, out: &mut BytesMut) -> std::result::Result<IsNull, BoxError> {
        let v = self.0;
        if let ValueRef::Null = v {
            return Ok(IsNull::Yes);
        }
        let int = || -> std::result::Result<i64, BoxError> {
            match v {
                ValueRef::Integer(i) => Ok(i),
                ValueRef::Real(f) if f.fract() == 0.0 => Ok(f as i64),
                ValueRef::Text(t) => Ok(std::str::from_utf8(t)?.trim().parse()?),
                _ => Err(format!("{v:?} is not an integer").into()),
            }
        };
        let real = || -> std::result::Result<f64, BoxError> {
            match v {
                ValueRef::Integer(i) => Ok(i as f64),
                ValueRef::Real(f) => Ok(f),
                ValueRef::Text(t) => Ok(std::str::from_utf8(t)?.trim().parse()?),
                _ => Err(format!("{v:?} is not a number").into()),
            }
        };
        match *ty {
            Type::INT8 => int()?.to_sql(ty, out),
            Type::INT4 => i32::try_from(int()?)?.to_sql(ty, out),
            Type::INT2 => i16::try_from(int()?)?.to_sql(ty, out),
            Type::FLOAT8 => real()?.to_sql(ty, out),
            Type::FLOAT4 => (real()? as f32).to_sql(ty, out),
            Type::BOOL => (int()? != 0).to_sql(ty, out),
            Type::NUMERIC => {
                numeric(int()?, out);
                Ok(IsNull::No)
            }
            Type::BYTEA => match v {
                ValueRef::Blob(b) | ValueRef::Text(b) => b.to_sql(ty, out),
                _ => Err("not bytes".into()),
            },
            _ => text_of(v)?.to_sql(&Type::TEXT, out),
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

/// An integer in NUMERIC's binary form: base-10,000 digits, most significant first.
fn numeric(i: i64, out: &mut BytesMut) {
    let mut n = i.unsigned_abs();
    let mut digits = Vec::new();
    while n > 0 {
        digits.push((n % 10_000) as i16);
        n /= 10_000;
    }
    digits.reverse();
    out.put_i16(digits.len() as i16);
    out.put_i16(digits.len() as i16 - 1);
    out.put_u16(if i < 0 { 0x4000 } else { 0 });
    out.put_u16(0);
    for d in digits {
        out.put_i16(d);
    }
}

/// A column, whatever its type, as SQLite would hold it.
#[derive(Debug)]
pub(super) enum Loose {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
    Bytes(Vec<u8>),
}

impl Loose {
    pub(super) fn as_ref(&self) -> ValueRef<'_> {
        match self {
            Loose::Null => ValueRef::Null,
            Loose::Int(i) => ValueRef::Integer(*i),
            Loose::Real(f) => ValueRef::Real(*f),
            Loose::Text(s) => ValueRef::Text(s.as_bytes()),
            Loose::Bytes(b) => ValueRef::Blob(b),
        }
    }
}

/// NUMERIC's binary form read as an integer where it is whole, else a real.
fn read_numeric(raw: &[u8]) -> std::result::Result<Loose, BoxError> {
    let word = |k: usize| -> std::result::Result<u16, BoxError> {
        raw.get(k..k + 2)
            .map(|b| u16::from_be_bytes([b[0], b[1]]))
            .ok_or_else(|| "a short NUMERIC".into())
    };
    let (ndigits, weight, sign, dscale) = (word(0)? as usize, word(2)? as i16, word(4)?, word(6)?);
    if sign == 0xC000 {
        return Ok(Loose::Real(f64::NAN));
    }
    let mut f = 0f64;
    let mut whole: Option<i128> = Some(0);
    for k in 0..ndigits {
        let d = word(8 + 2 * k)?;
        let power = i32::from(weight) - k as i32;
        f += f64::from(d) * 10_000f64.powi(power);
        whole = match (whole, power) {
            (Some(w), p) if p >= 0 => w.checked_mul(1).and_then(|w| {
                10_000i128
                    .checked_pow(p as u32)
                    .and_then(|m| w.checked_add(i128::from(d) * m))
            }),
            (Some(w), _) if d == 0 => Some(w),
            _ => None,
        };
    }
    let neg = sign == 0x4000;
    match whole.and_then(|w| i64::try_from(if neg { -w } else { w }).ok()) {
        Some(i) if dscale == 0 || f.fract() == 0.0 => Ok(Loose::Int(i)),
        _ => Ok(Loose::Real(if neg { -f } else { f })),
    }
}

impl<'a> FromSql<'a> for Loose {
    fn from_sql(ty: &Type, raw: &'a [u8]) -> std::result::Result<Self, BoxError> {
        Ok(match *ty {
            Type::INT8 => Loose::Int(i64::from_sql(ty, raw)?),
            Type::INT4 => Loose::Int(i32::from_sql(ty, raw)?.into()),
            Type::INT2 => Loose::Int(i16::from_sql(ty, raw)?.into()),
            Type::OID => Loose::Int(u32::from_sql(ty, raw)?.into()),
            Type::FLOAT8 => Loose::Real(f64::from_sql(ty, raw)?),
            Type::FLOAT4 => Loose::Real(f32::from_sql(ty, raw)?.into()),
            Type::BOOL => Loose::Int(bool::from_sql(ty, raw)?.into()),
            Type::NUMERIC => read_numeric(raw)?,
            Type::BYTEA => Loose::Bytes(raw.to_vec()),
            _ => match <&str>::from_sql(&Type::TEXT, raw) {
                Ok(s) => Loose::Text(s.to_string()),
                Err(_) => Loose::Bytes(raw.to_vec()),
            },
        })
    }

    fn from_sql_null(_: &Type) -> std::result::Result<Self, BoxError> {
        Ok(Loose::Null)
    }

    fn accepts(_: &Type) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numerics_are_read_as_whole_numbers_or_reals() {
        for i in [
            0i64,
            1,
            -1,
            9_999,
            10_000,
            123_456_789,
            -987_654_321_012,
            i64::MAX,
            i64::MIN + 1,
        ] {
            let mut b = BytesMut::new();
            numeric(i, &mut b);
            match read_numeric(&b).unwrap() {
                Loose::Int(got) => assert_eq!(got, i),
                other => panic!("{i}: {other:?}"),
            }
        }
        // 12.5: digits [12, 5000], weight 0, dscale 1.
        let raw = [0u8, 2, 0, 0, 0, 0, 0, 1, 0, 12, 0x13, 0x88];
        match read_numeric(&raw).unwrap() {
            Loose::Real(f) => assert!((f - 12.5).abs() < 1e-12),
            other => panic!("{other:?}"),
        }
    }
}
