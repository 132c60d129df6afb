//! The SQLite store: the one truth every process shares.
//!
//! WAL, a busy timeout, short `BEGIN IMMEDIATE` write transactions retried whole on `SQLITE_BUSY`,
//! and no read transaction held while idle. Another process's commits are detected through
//! `PRAGMA data_version`.

mod arrival;
mod conversations;
pub mod copy;
pub mod db;
pub mod dialect;
mod drafts;
mod feeds;
mod location;
mod mentions;
mod noise;
mod own;
mod people;
pub mod postgres;
mod report;
mod schema;
mod stats;
mod stories;
mod team;
mod threads;
mod triage;
mod watch;

pub use own::{OwnAccountRow, OwnPostRow};
pub use report::{Notable, TopPerson, TopStory};
pub use threads::THREAD_FRESH_SECS;
pub use watch::ChangeWatch;

pub use arrival::{AlertDelivery, AlertRow, Arrival, CommandFailures, RuleTest};
pub use conversations::{FOLLOW_UP, Message};
pub use drafts::{Begin, DraftRow, OtherAnswer, Sent};
pub use feeds::{FeedHealth, FeedState, PollRecord, PollWrite, Recorded, WriteCounts};
pub use location::Location;
/// The query language's words as PostgreSQL conditions (the stream's SQL on that backend).
pub use mentions::pg_text_sql;
pub(crate) use mentions::stats_filter_sql;
pub use mentions::{Detail, ExportFilter, HistoryEntry, HistoryEvent, Note, Scope, StoryPlace, StreamKey};
pub use people::{
    CARD_MENTIONS, Handle, KNOWN_TAGS, PeopleOrder, PersonCard, PersonMention, PersonRow, author_key, engagement_total,
};
pub use team::{Assigned, Identity, LEASE_TTL, Lease, LeaseHolder, POLLER, PRESENCE_TTL, Present, SessionKind};
pub use triage::{Applied, Change, IntentAccuracy, Judgement, ModelAccuracy, judged};

use rusqlite::{Connection, OpenFlags, TransactionBehavior};
use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open the database {path}: {source}")]
    Open { path: PathBuf, source: rusqlite::Error },
    #[error(
        "the database {path} has schema version {found}, newer than this overhear understands ({known}); \
         upgrade overhear. The database was not touched"
    )]
    TooNew { path: PathBuf, found: i64, known: i64 },
    #[error("database migration {version} failed on {path}: {source}")]
    Migrate {
        path: PathBuf,
        version: usize,
        source: rusqlite::Error,
    },
    #[error("database error while {doing}: {source}")]
    Sql {
        doing: &'static str,
        source: rusqlite::Error,
    },
    #[error("database error while {doing}: {detail}")]
    Db { doing: &'static str, detail: String },
    #[error(
        "the database {path} is damaged ({detail}). Restore it from a backup; or save what can still be \
         read with `overhear export > saved.jsonl`, move the file aside, and let overhear start a new one \
         (the feeds fill it again)"
    )]
    Damaged { path: PathBuf, detail: String },
    #[error(
        "the database is damaged ({detail}, while {doing}). Restore it from a backup; or save what can \
         still be read with `overhear export > saved.jsonl`, move the file aside, and let overhear start a \
         new one (the feeds fill it again)"
    )]
    DamagedWhile { doing: &'static str, detail: String },
    #[error(
        "another overhear process kept the database busy for too long while {doing}; nothing was \
         changed, try again"
    )]
    Busy { doing: &'static str },
    #[error(
        "the database {path} is on a network filesystem ({fs}), where SQLite's locks cannot be trusted: \
         two processes could write at once and damage it. Keep the database on a local disk of the \
         machine the team logs in to (e.g. /srv/overhear/team.db), and let everyone use that machine"
    )]
    NetworkFs { path: PathBuf, fs: &'static str },
    #[error(
        "you ({you}) may not read the database {path}: it belongs to {owner} and group {group}. Ask an \
         admin to add you to group {group} (then log in again), or use a database of your own with --db"
    )]
    NoAccess {
        path: PathBuf,
        you: String,
        owner: String,
        group: String,
    },
    #[error("this process no longer holds the poller lease (another process polls now); nothing was written")]
    LeaseLost,
    #[error(
        "the disk holding the database is full (while {doing}); nothing was changed and nothing stored \
         before is lost: free some space and try again"
    )]
    Full { doing: &'static str },
    #[error(
        "the database {path} is read-only here and older than this overhear (schema {found} of {known}); \
         someone who can write it must run overhear once to upgrade it"
    )]
    ReadOnlyOld { path: PathBuf, found: i64, known: i64 },
    #[error(
        "the database {path} can only be read here, and the `-wal` and `-shm` files a reader needs \
         beside it are missing (an older overhear or another SQLite program removed them when it \
         closed): ask its owner to run any overhear command on it once, or to make its directory \
         writable for you"
    )]
    ReaderCannotStart { path: PathBuf },
    #[error(
        "the database is read-only for you, so {doing} was refused and nothing changed; reading \
         commands (feeds, export, stats, the console) still work. To change it, ask its owner for \
         write access (for a team, the group's write permission)"
    )]
    ReadOnly { doing: &'static str },
    /// A group of writes failed together; the words of its error (shared by every member).
    #[error("{0}")]
    Group(String),
    /// A request the store refuses, in words (an empty note, a tag of two words, no such person).
    #[error("{0}")]
    Invalid(String),
}

/// Whether an SQLite error says the file is damaged or is no database.
fn is_damage(e: &rusqlite::Error) -> bool {
    matches!(
        e,
        rusqlite::Error::SqliteFailure(f, _)
            if matches!(f.code, rusqlite::ErrorCode::DatabaseCorrupt | rusqlite::ErrorCode::NotADatabase)
    )
}

pub type Result<T> = std::result::Result<T, StoreError>;

pub(crate) trait Doing<T> {
    fn doing(self, what: &'static str) -> Result<T>;
}

impl<T> Doing<T> for db::Result<T> {
    fn doing(self, what: &'static str) -> Result<T> {
        match self {
            Ok(v) => Ok(v),
            Err(db::DbError::Sqlite(e)) => Err(e).doing(what),
            Err(e) => Err(StoreError::Db {
                doing: what,
                detail: e.to_string(),
            }),
        }
    }
}

impl<T> Doing<T> for rusqlite::Result<T> {
    fn doing(self, what: &'static str) -> Result<T> {
        self.map_err(|source| {
            if is_damage(&source) {
                StoreError::DamagedWhile {
                    doing: what,
                    detail: source.to_string(),
                }
            } else if matches!(
                &source,
                rusqlite::Error::SqliteFailure(f, _)
                    if matches!(f.code, rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
            ) {
                StoreError::Busy { doing: what }
            } else if matches!(&source, rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::ReadOnly)
            {
                StoreError::ReadOnly { doing: what }
            } else if matches!(&source, rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::DiskFull)
            {
                StoreError::Full { doing: what }
            } else {
                StoreError::Sql { doing: what, source }
            }
        })
    }
}

/// A connection to the store.
pub struct Store {
    backend: Backend,
    path: PathBuf,
    /// Where it was opened (to open more connections to it).
    location: Location,
    /// The last search and whether it matched many mentions (it decides the query plan).
    /// The last search, the database version it was read at, and its matches when few (kept in
    /// `temp.search_hits`).
    search_cache: std::cell::RefCell<Option<(String, i64, Option<usize>)>>,
    /// What was open when a span began, per group, for the last few spans asked (each start,
    /// zone, grouping and filter as a key) at a database version: a report asks it of the same
    /// span twice (the span's figures, and its days), and it is a scan of the history before the
    /// span.
    backlog_cache: std::cell::RefCell<Vec<KeptBacklog>>,
    /// The priority's weights (`[priority]`), for the writes that work a priority out again: a
    /// corrected judgement.
    weights: crate::score::priority::Weights,
    /// Stored titles' shingles the story grouping read, kept across a poller's writes.
    shingles: stories::Shingles,
}

/// The database a store speaks to.
enum Backend {
    Sqlite(Connection),
    /// PostgreSQL (issue 19): the store's methods ported to [`db::Db`] run here; the others are
    /// not reachable (the commands refuse a `postgres://` database until every one is).
    Pg(Box<db::PgConn>),
}

/// What was open when a span began, per group: its key, the database version, the counts.
type KeptBacklog = (String, i64, std::collections::BTreeMap<Option<String>, i64>);

/// How long a writer waits on another process's lock before SQLite gives up (then the whole
/// transaction is retried).
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
const WRITE_ATTEMPTS: usize = 5;

/// A database new in a setgid directory is a team's: create its file readable and writable by the
/// group as the umask allows (SQLite would make it 0644 at most, and gives the `-wal` and `-shm`
/// files the database file's mode).
fn create_for_team(path: &Path) {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    if path.exists() {
        return;
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    if std::fs::metadata(dir).is_ok_and(|m| m.permissions().mode() & 0o2000 != 0) {
        let _ = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o666)
            .open(path);
    }
}

/// Why this user cannot open the database at `path`: its file, or its directory, exists and may not
/// be read by them.
fn no_access(path: &Path) -> Option<StoreError> {
    use crate::paths::{self, Access};
    use std::os::unix::fs::MetadataExt;
    let said = |meta: std::fs::Metadata| StoreError::NoAccess {
        path: path.to_path_buf(),
        you: crate::team::unix_user(),
        owner: crate::team::user_name(meta.uid()),
        group: crate::team::group_name(meta.gid()),
    };
    match std::fs::metadata(path) {
        Ok(meta) => (!paths::may(path, Access::Read)).then(|| said(meta)),
        // The directory keeps them out: say whose it is.
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {
            let dir = path.parent().filter(|d| !d.as_os_str().is_empty())?;
            let mut probe = dir;
            loop {
                match std::fs::metadata(probe) {
                    Ok(m) if m.is_dir() => return (!paths::may(probe, Access::Enter)).then(|| said(m)),
                    _ => probe = probe.parent()?,
                }
            }
        }
        Err(_) => None,
    }
}

/// The kind of network filesystem holding `path` (its directory, when the file is not there yet),
/// if it is one where SQLite's locking cannot be trusted.
fn network_filesystem(path: &Path) -> Option<&'static str> {
    use std::os::unix::ffi::OsStrExt;
    let probe = if path.exists() {
        path.to_path_buf()
    } else {
        match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        }
    };
    let c = std::ffi::CString::new(probe.as_os_str().as_bytes()).ok()?;
    // SAFETY: statfs fills the struct we own from a NUL-terminated path; it is read only on success.
    let kind = unsafe {
        let mut st: libc::statfs = std::mem::zeroed();
        if libc::statfs(c.as_ptr(), &raw mut st) != 0 {
            return None;
        }
        st.f_type as u64
    };
    match kind {
        0x6969 => Some("NFS"),
        0x517b => Some("SMB"),
        0xff53_4d42 => Some("CIFS"),
        0xfe53_4d42 => Some("SMB2"),
        0x5346_414f => Some("AFS"),
        0x0102_1997 => Some("9p"),
        0x6573_5546 if fuse_is_remote(&probe) => Some("a FUSE network mount"),
        _ => None,
    }
}

/// Whether a FUSE mount holding `path` is a network one (sshfs and the like), from /proc/mounts.
fn fuse_is_remote(path: &Path) -> bool {
    let Ok(mounts) = std::fs::read_to_string("/proc/mounts") else {
        return false;
    };
    let path = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
    mounts
        .lines()
        .filter_map(|l| {
            let mut f = l.split_whitespace();
            Some((f.next()?, f.next()?, f.next()?))
        })
        .filter(|(_, at, _)| path.starts_with(at))
        .max_by_key(|(_, at, _)| at.len())
        .is_some_and(|(_, _, fstype)| fstype.contains("sshfs") || fstype.contains("s3fs") || fstype.contains("rclone"))
}

/// [`BUSY_TIMEOUT`]; debug builds let a test shorten it (`OVERHEAR_TEST_BUSY_MS`) so that a lock
/// held past every retry is tried in seconds, not half a minute.
fn busy_timeout() -> Duration {
    #[cfg(debug_assertions)]
    if let Some(ms) = std::env::var("OVERHEAR_TEST_BUSY_MS").ok().and_then(|v| v.parse().ok()) {
        return Duration::from_millis(ms);
    }
    BUSY_TIMEOUT
}

impl Store {
    /// Open (creating if needed) and migrate the database at `path`.
    pub fn open(path: &Path) -> Result<Store> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| StoreError::Open {
                path: path.to_path_buf(),
                source: rusqlite::Error::ToSqlConversionFailure(Box::new(e)),
            })?;
        }
        if let Some(e) = no_access(path) {
            return Err(e);
        }
        if let Some(fs) = network_filesystem(path) {
            return Err(StoreError::NetworkFs {
                path: path.to_path_buf(),
                fs,
            });
        }
        create_for_team(path);
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|source| StoreError::Open {
            path: path.to_path_buf(),
            source,
        })?;
        let mut store = Store {
            weights: Default::default(),
            backend: Backend::Sqlite(conn),
            path: path.to_path_buf(),
            location: Location::File(path.to_path_buf()),
            search_cache: Default::default(),
            backlog_cache: Default::default(),
            shingles: Default::default(),
        };
        if let Err(e) = store.configure().and_then(|()| store.migrate()) {
            return Err(store.explain(e));
        }
        Ok(store)
    }

    /// An error said in the words its cause deserves: a damaged file, a full disk, a directory a
    /// reader cannot use.
    fn explain(&self, e: StoreError) -> StoreError {
        let code = |source: &rusqlite::Error| match source {
            rusqlite::Error::SqliteFailure(f, _) => Some((f.code, f.extended_code)),
            _ => None,
        };
        let source = match &e {
            StoreError::Open { source, .. } | StoreError::Migrate { source, .. } | StoreError::Sql { source, .. } => {
                source
            }
            _ => return e,
        };
        if is_damage(source) {
            return StoreError::Damaged {
                path: self.path.clone(),
                detail: source.to_string(),
            };
        }
        match code(source) {
            Some((rusqlite::ErrorCode::DiskFull, _)) => StoreError::Full { doing: "opening it" },
            Some((rusqlite::ErrorCode::SystemIoFailure, _)) if self.system_errno() == libc::ENOSPC => {
                StoreError::Full { doing: "opening it" }
            }
            // SQLITE_READONLY_DIRECTORY and SQLITE_READONLY_CANTINIT: a reader who may not create
            // the `-shm` file beside a database nobody has open.
            Some((rusqlite::ErrorCode::ReadOnly, 1544 | 1288)) => StoreError::ReaderCannotStart {
                path: self.path.clone(),
            },
            _ => e,
        }
    }

    /// Keep the `-wal` and `-shm` files when this connection closes: a teammate who may read the
    /// database but not create files beside it can then still open it (SQLite needs them to read a
    /// WAL database).
    fn keep_wal_files(&self) {
        let mut on: std::os::raw::c_int = 1;
        // SAFETY: SQLITE_FCNTL_PERSIST_WAL takes a pointer to an int that lives across the call; the
        // handle is this open connection's and "main" a NUL-terminated name.
        let rc = unsafe {
            rusqlite::ffi::sqlite3_file_control(
                self.conn().handle(),
                c"main".as_ptr(),
                rusqlite::ffi::SQLITE_FCNTL_PERSIST_WAL,
                (&raw mut on).cast(),
            )
        };
        if rc != rusqlite::ffi::SQLITE_OK {
            tracing::warn!(path = %self.path.display(), rc, "cannot keep the WAL files for readers");
        }
    }

    /// The operating system's error behind SQLite's last I/O error (`ENOSPC` on a full disk).
    fn system_errno(&self) -> i32 {
        // SAFETY: the handle is this open connection's, used on its own thread; the call only reads
        // the connection's last error number.
        unsafe { rusqlite::ffi::sqlite3_system_errno(self.conn().handle()) }
    }

    /// Whether this connection can only read (a teammate with read access to the file).
    pub fn read_only(&self) -> bool {
        match &self.backend {
            Backend::Sqlite(c) => c.is_readonly(rusqlite::MAIN_DB).unwrap_or(false),
            Backend::Pg(_) => false,
        }
    }

    /// `PRAGMA quick_check`, given at most `budget`: `Ok(None)` when sound or when the check did
    /// not finish in time (`overhear doctor` runs it whole), `Ok(Some(what))` when damaged.
    pub fn quick_check(&mut self, budget: Duration) -> Result<Option<String>> {
        let deadline = std::time::Instant::now() + budget;
        self.sqlite_mut()
            // Often: inside the check a step may wait on the disk (a cold page), and the deadline
            // must hold then too.
            .progress_handler(64, Some(move || std::time::Instant::now() > deadline))
            .doing("checking the database")?;
        let rows: rusqlite::Result<Vec<String>> = self
            .conn()
            .prepare("PRAGMA quick_check(5)")
            .and_then(|mut s| s.query_map([], |r| r.get::<_, String>(0))?.collect());
        self.sqlite_mut()
            .progress_handler(0, None::<fn() -> bool>)
            .doing("checking the database")?;
        match rows {
            Ok(rows) if rows.len() == 1 && rows[0] == "ok" => Ok(None),
            Ok(rows) => Ok(Some(rows.join("; "))),
            Err(rusqlite::Error::SqliteFailure(f, _)) if f.code == rusqlite::ErrorCode::OperationInterrupted => {
                Ok(None)
            }
            Err(e) if is_damage(&e) => Ok(Some(e.to_string())),
            Err(e) => Err(e).doing("checking the database"),
        }
    }

    /// `PRAGMA integrity_check` (or, not `full`, `quick_check`) to the end: `Ok(None)` when sound.
    pub fn integrity_check(&self, full: bool) -> Result<Option<String>> {
        let sql = if full {
            "PRAGMA integrity_check(5)"
        } else {
            "PRAGMA quick_check(5)"
        };
        let rows: rusqlite::Result<Vec<String>> = self
            .conn()
            .prepare(sql)
            .and_then(|mut s| s.query_map([], |r| r.get::<_, String>(0))?.collect());
        match rows {
            Ok(rows) if rows.len() == 1 && rows[0] == "ok" => Ok(None),
            Ok(rows) => Ok(Some(rows.join("; "))),
            Err(e) if is_damage(&e) => Ok(Some(e.to_string())),
            Err(e) => Err(e).doing("checking the database"),
        }
    }

    /// Check the database at `path` within `budget` on a connection of its own, on a thread of its
    /// own: `overhear poll` checks while it fetches and writes nothing until the check is done.
    pub fn check_in_background(
        path: &Path,
        budget: Duration,
    ) -> std::io::Result<std::thread::JoinHandle<Result<Option<String>>>> {
        let path = path.to_path_buf();
        std::thread::Builder::new()
            .name("overhear-check".into())
            .spawn(move || Store::open(&path)?.quick_check(budget))
    }

    /// Open `path` and check it within `budget`: a damaged database is an error that says what to do.
    pub fn open_checked(path: &Path, budget: Duration) -> Result<Store> {
        let mut store = Store::open(path)?;
        match store.quick_check(budget)? {
            None => Ok(store),
            Some(detail) => Err(StoreError::Damaged {
                path: path.to_path_buf(),
                detail,
            }),
        }
    }

    /// A database in memory, for dry runs that must not write anywhere.
    pub fn in_memory() -> Result<Store> {
        let path = PathBuf::from(":memory:");
        let conn = Connection::open_in_memory().map_err(|source| StoreError::Open {
            path: path.clone(),
            source,
        })?;
        let mut store = Store {
            weights: Default::default(),
            backend: Backend::Sqlite(conn),
            location: Location::File(path.clone()),
            path,
            search_cache: Default::default(),
            backlog_cache: Default::default(),
            shingles: Default::default(),
        };
        store.migrate()?;
        Ok(store)
    }

    /// The file, or the server's address without its password.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Where this store's database is, to open another connection to it.
    pub fn location(&self) -> Location {
        self.location.clone()
    }

    fn configure(&mut self) -> Result<()> {
        let open_err = |source| StoreError::Open {
            path: self.path.clone(),
            source,
        };
        self.conn().busy_timeout(busy_timeout()).map_err(open_err)?;
        // Check the schema version before anything could write to a database we do not understand.
        let version: i64 = self
            .conn()
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(open_err)?;
        let known = schema::MIGRATIONS.len() as i64;
        if version > known {
            return Err(StoreError::TooNew {
                path: self.path.clone(),
                found: version,
                known,
            });
        }
        let read_only = self.read_only();
        let mode: String = self
            .conn()
            .query_row(
                if read_only {
                    "PRAGMA journal_mode"
                } else {
                    "PRAGMA journal_mode = WAL"
                },
                [],
                |r| r.get(0),
            )
            .map_err(open_err)?;
        if !mode.eq_ignore_ascii_case("wal") {
            tracing::warn!(path = %self.path.display(), mode, "database is not in WAL mode");
        }
        if !read_only {
            self.keep_wal_files();
        }
        self.conn()
            .execute_batch(
                "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA temp_store = MEMORY; \
                 PRAGMA journal_size_limit = 67108864; PRAGMA wal_autocheckpoint = 8000;",
            )
            .map_err(open_err)?;
        Ok(())
    }

    fn migrate(&mut self) -> Result<()> {
        let known = schema::MIGRATIONS.len() as i64;
        let path = self.path.clone();
        let current: i64 = self
            .conn()
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .doing("reading the schema version")?;
        if current == known {
            return Ok(());
        }
        if self.read_only() {
            return Err(StoreError::ReadOnlyOld {
                path,
                found: current,
                known,
            });
        }
        // Another process may be migrating at the same moment: take the write lock, then look again.
        let tx = self
            .sqlite_mut()
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .doing("starting the migration")?;
        let current: i64 = tx
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .doing("reading the schema version")?;
        if current > known {
            return Err(StoreError::TooNew {
                path,
                found: current,
                known,
            });
        }
        for (i, sql) in schema::MIGRATIONS.iter().enumerate().skip(current as usize) {
            tx.execute_batch(sql)
                .and_then(|()| schema::after(i + 1, &tx))
                .map_err(|source| StoreError::Migrate {
                    path: path.clone(),
                    version: i + 1,
                    source,
                })?;
            tx.pragma_update(None, "user_version", (i + 1) as i64)
                .map_err(|source| StoreError::Migrate {
                    path: path.clone(),
                    version: i + 1,
                    source,
                })?;
        }
        tx.commit().doing("committing the migration")?;
        tracing::info!(path = %path.display(), from = current, to = known, "database migrated");
        Ok(())
    }

    /// Run `f` in a `BEGIN IMMEDIATE` transaction, retrying the whole transaction when another
    /// process holds the lock past the busy timeout (never surfacing "database is locked" on the
    /// first contention); `f` may also undo everything it wrote ([`Keep::Undo`]: the transaction
    /// is rolled back and the answer is `None`). SQLite's side of [`Store::write_db_or_undo`].
    fn write_or_undo<T>(
        &mut self,
        what: &'static str,
        mut f: impl FnMut(&rusqlite::Transaction<'_>) -> rusqlite::Result<Keep<T>>,
    ) -> Result<Option<T>> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let result = (|| {
                let tx = self
                    .sqlite_mut()
                    .transaction_with_behavior(TransactionBehavior::Immediate)?;
                match f(&tx)? {
                    Keep::Commit(value) => {
                        tx.commit()?;
                        Ok(Some(value))
                    }
                    Keep::Undo => {
                        tx.rollback()?;
                        Ok(None)
                    }
                }
            })();
            match result {
                Err(rusqlite::Error::SqliteFailure(e, _))
                    if matches!(
                        e.code,
                        rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked
                    ) && attempt < WRITE_ATTEMPTS =>
                {
                    tracing::debug!(what, attempt, "database busy; retrying the transaction");
                    std::thread::sleep(Duration::from_millis(50 * attempt as u64 + fastrand::u64(0..50)));
                }
                Err(rusqlite::Error::SqliteFailure(e, _))
                    if e.code == rusqlite::ErrorCode::SystemIoFailure && self.system_errno() == libc::ENOSPC =>
                {
                    return Err(StoreError::Full { doing: what });
                }
                other => return other.doing(what),
            }
        }
    }

    pub fn schema_version(&self) -> Result<i64> {
        self.conn()
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .doing("reading the schema version")
    }

    /// The SQLite connection of code not yet written for both backends.
    ///
    /// # Panics
    /// On a PostgreSQL store: no command reaches such code there (they refuse a `postgres://`
    /// database until it is ported), and the store's PostgreSQL tests call ported code only.
    pub(crate) fn conn(&self) -> &Connection {
        match &self.backend {
            Backend::Sqlite(c) => c,
            Backend::Pg(_) => unreachable!("SQLite-only store code called on a PostgreSQL store"),
        }
    }

    fn sqlite_mut(&mut self) -> &mut Connection {
        match &mut self.backend {
            Backend::Sqlite(c) => c,
            Backend::Pg(_) => unreachable!("SQLite-only store code called on a PostgreSQL store"),
        }
    }

    /// How many changes this connection made itself (which [`Store::data_version`] does not
    /// count): with it, a version of the data this connection reads.
    pub(crate) fn own_changes(&self) -> i64 {
        match &self.backend {
            Backend::Sqlite(c) => c.total_changes() as i64,
            Backend::Pg(c) => c.commits(),
        }
    }

    /// This store's connection, as either backend's code reads it.
    pub(crate) fn db(&self) -> db::Db<'_> {
        match &self.backend {
            Backend::Sqlite(c) => db::Db::Sqlite(c),
            Backend::Pg(c) => db::Db::Pg(c),
        }
    }

    /// Run `f` in one write transaction on either backend ([`db::Db`]). On SQLite: `BEGIN
    /// IMMEDIATE`, retried while another process holds the lock. On PostgreSQL: writers taking
    /// turns as SQLite's do (a transaction-scoped advisory lock), retried whole when the server
    /// reports a serialization failure or a deadlock.
    pub(crate) fn write_db<T>(
        &mut self,
        what: &'static str,
        mut f: impl FnMut(db::Db<'_>) -> db::Result<T>,
    ) -> Result<T> {
        self.write_db_or_undo(what, |db| f(db).map(Keep::Commit))
            .map(|kept| kept.expect("a write that never undoes"))
    }

    /// [`Store::write_db`], where `f` may also undo everything it wrote ([`Keep::Undo`]: the
    /// transaction is rolled back and the answer is `None`).
    pub(crate) fn write_db_or_undo<T>(
        &mut self,
        what: &'static str,
        mut f: impl FnMut(db::Db<'_>) -> db::Result<Keep<T>>,
    ) -> Result<Option<T>> {
        let Backend::Pg(pg) = &self.backend else {
            return self.write_or_undo(what, |tx| f(db::Db::Sqlite(tx)).map_err(rusqlite::Error::from));
        };
        let mut attempt = 0;
        loop {
            attempt += 1;
            let db = db::Db::Pg(pg);
            if let Err(e) = db.execute_batch("BEGIN; SELECT pg_advisory_xact_lock(7477656172)") {
                let _ = db.execute_batch("ROLLBACK");
                // Nothing was written: a connection lost since the last statement is opened
                // again and the transaction begun on it.
                if (e.is_lost() || e.is_retried()) && attempt < WRITE_ATTEMPTS {
                    continue;
                }
                return Err(e).doing(what);
            }
            let result = f(db).and_then(|kept| match kept {
                // Heard by the other connections' change watches once it commits.
                Keep::Commit(v) => db.execute_batch("NOTIFY overhear; COMMIT").map(|()| {
                    pg.committed();
                    Some(v)
                }),
                Keep::Undo => db.execute_batch("ROLLBACK").map(|()| None),
            });
            match result {
                Ok(v) => return Ok(v),
                Err(e) => {
                    let _ = db.execute_batch("ROLLBACK");
                    if !e.is_retried() || attempt >= WRITE_ATTEMPTS {
                        return Err(e).doing(what);
                    }
                }
            }
        }
    }

    /// A store on the PostgreSQL database at `url` (its schema made or checked).
    pub fn open_postgres(url: &str, password_env: Option<&str>) -> Result<Store> {
        let mut pg = postgres::Pg::connect(url, password_env).map_err(|e| StoreError::Db {
            doing: "opening the database",
            detail: e.to_string(),
        })?;
        postgres::schema::ensure(&mut pg).map_err(|e| StoreError::Db {
            doing: "opening the database",
            detail: e.to_string(),
        })?;
        let again = (url.to_string(), password_env.map(str::to_string));
        let reopen: db::Reopen = Box::new(move || {
            postgres::Pg::connect(&again.0, again.1.as_deref())
                .map(|pg| pg.client)
                .map_err(|e| e.to_string())
        });
        let conn = db::PgConn::new(pg.client, Some(reopen));
        conn.listen().map_err(|e| StoreError::Db {
            doing: "opening the database",
            detail: e.to_string(),
        })?;
        Ok(Store {
            weights: Default::default(),
            path: PathBuf::from(pg.target.clone()),
            location: Location::Postgres {
                url: url.trim().to_string(),
                password_env: password_env.map(str::to_string),
            },
            backend: Backend::Pg(Box::new(conn)),
            search_cache: Default::default(),
            backlog_cache: Default::default(),
            shingles: Default::default(),
        })
    }

    /// Use the config's priority weights for the priorities this store works out again.
    pub fn set_weights(&mut self, weights: crate::score::priority::Weights) {
        self.weights = weights;
    }
}

/// What a transaction's work asks for at its end.
pub(crate) enum Keep<T> {
    Commit(T),
    Undo,
}

/// For tests on either backend: a feed and one new mention in it, written without the poll's
/// code (not yet on both backends); the mention's id.
#[cfg(test)]
pub(crate) fn bare_mention(s: &Store, external_id: &str) -> i64 {
    let db = s.db();
    db.execute(
        "INSERT INTO feeds (name, kind) VALUES ('f', 'rss') ON CONFLICT (name) DO NOTHING",
        db::params![],
    )
    .unwrap();
    db.execute(
        "INSERT INTO mentions (feed_id, kind, external_id, author, text, first_seen_at, sort_at, updated_at)
         VALUES ((SELECT id FROM feeds WHERE name = 'f'), 'rss', ?1, 'bob', 'help', 1764500000, 1764500000, 1764500000)",
        db::params![external_id],
    )
    .unwrap();
    db.query_row("SELECT max(id) FROM mentions", db::params![], |r| r.get(0))
        .unwrap()
}

/// What keeps a test's store alive: its directory, or its PostgreSQL database.
#[cfg(test)]
pub(crate) enum TestPlace {
    Dir(#[expect(dead_code, reason = "held for its drop")] tempfile::TempDir),
    Pg(postgres::testing::TestDb),
}

/// A fresh store on each backend the tests can reach: SQLite always, PostgreSQL when
/// `OVERHEAR_TEST_POSTGRES` names a server.
#[cfg(test)]
pub(crate) fn each_backend() -> Vec<(TestPlace, Store)> {
    let dir = tempfile::tempdir().unwrap();
    let s = Store::open(&dir.path().join("test.db")).unwrap();
    let mut out = vec![(TestPlace::Dir(dir), s)];
    if let Some(pg) = postgres::testing::database() {
        let s = pg.store();
        out.push((TestPlace::Pg(pg), s));
    }
    out
}

/// Run `scenario` on each backend the tests can reach, with a way to open the same database as
/// many times as it needs (several processes on one database).
#[cfg(test)]
pub(crate) fn each_backend_opened(scenario: &dyn Fn(&dyn Fn() -> Store)) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("test.db");
    scenario(&|| Store::open(&path).unwrap());
    if let Some(pg) = postgres::testing::database() {
        scenario(&|| pg.store());
    }
}

/// Seconds since the epoch, as stored.
pub(crate) fn to_ts(t: chrono::DateTime<chrono::Utc>) -> i64 {
    t.timestamp()
}

pub(crate) fn from_ts(ts: i64) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp(ts, 0).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opens_migrates_and_reopens() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/overhear.db");
        let s = Store::open(&path).unwrap();
        assert_eq!(s.schema_version().unwrap(), schema::MIGRATIONS.len() as i64);
        assert_eq!(s.integrity_check(true).unwrap(), None);
        let mode: String = s.conn().query_row("PRAGMA journal_mode", [], |r| r.get(0)).unwrap();
        assert_eq!(mode, "wal");
        drop(s);
        Store::open(&path).unwrap();
    }

    #[test]
    fn a_newer_database_is_refused_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db");
        {
            let c = Connection::open(&path).unwrap();
            c.pragma_update(None, "user_version", 99).unwrap();
        }
        let before = std::fs::read(&path).unwrap();
        let err = Store::open(&path).err().expect("refused");
        assert!(matches!(err, StoreError::TooNew { found: 99, .. }), "{err}");
        assert!(err.to_string().contains("not touched"));
        assert_eq!(std::fs::read(&path).unwrap(), before);
        assert!(!dir.path().join("db-wal").exists());
    }

    #[test]
    fn data_version_moves_when_another_connection_commits() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db");
        let a = Store::open(&path).unwrap();
        let mut b = Store::open(&path).unwrap();
        let v0 = a.data_version().unwrap();
        assert_eq!(a.data_version().unwrap(), v0);
        b.write_db("test", |db| {
            db.execute("INSERT INTO feeds (name, kind) VALUES ('x', 'rss')", db::params![])
        })
        .unwrap();
        assert_ne!(a.data_version().unwrap(), v0);
    }

    #[test]
    fn a_polls_references_are_checked_at_commit_after_the_upgrade_that_defers_them() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db");
        {
            let c = Connection::open(&path).unwrap();
            for sql in &schema::MIGRATIONS[..30] {
                c.execute_batch(sql).unwrap();
            }
            c.pragma_update(None, "user_version", 30).unwrap();
            c.execute("INSERT INTO feeds (id, name, kind) VALUES (1, 'f', 'rss')", [])
                .unwrap();
            c.execute(
                "INSERT INTO mentions (id, feed_id, kind, external_id, text, first_seen_at, sort_at, updated_at)
                 VALUES (1, 1, 'rss', 'a', 'kept', 0, 0, 0)",
                [],
            )
            .unwrap();
        }
        let s = Store::open(&path).unwrap();
        let c = s.conn();
        // The rows are as they were and the file is whole.
        let text: String = c
            .query_row("SELECT text FROM mentions WHERE id = 1", [], |r| r.get(0))
            .unwrap();
        assert_eq!(text, "kept");
        let check: String = c.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
        assert_eq!(check, "ok");
        for (table, reference) in [
            ("mentions", "REFERENCES feeds(id) DEFERRABLE INITIALLY DEFERRED"),
            ("mentions", "REFERENCES authors(id) DEFERRABLE INITIALLY DEFERRED"),
            ("authors", "REFERENCES people(id) DEFERRABLE INITIALLY DEFERRED"),
            ("reach_history", "REFERENCES authors(id) DEFERRABLE INITIALLY DEFERRED"),
        ] {
            let sql: String = c
                .query_row("SELECT sql FROM sqlite_schema WHERE name = ?1", [table], |r| r.get(0))
                .unwrap();
            assert!(sql.contains(reference), "{table}: {sql}");
        }
        // A mention of a feed that does not exist is refused, at the commit, and nothing is kept.
        c.execute_batch("BEGIN").unwrap();
        c.execute(
            "INSERT INTO mentions (feed_id, kind, external_id, text, first_seen_at, sort_at, updated_at)
             VALUES (99, 'rss', 'b', 'dangling', 0, 0, 0)",
            [],
        )
        .expect("checked at the commit, not at the insert");
        let refused = c.execute_batch("COMMIT").unwrap_err();
        assert!(refused.to_string().contains("FOREIGN KEY"), "{refused}");
        c.execute_batch("ROLLBACK").unwrap();
        let n: i64 = c.query_row("SELECT count(*) FROM mentions", [], |r| r.get(0)).unwrap();
        assert_eq!(n, 1);
        // An author of a person that does not exist likewise.
        c.execute_batch("BEGIN").unwrap();
        c.execute(
            "INSERT INTO authors (person_id, kind, handle, first_seen_at, last_seen_at) VALUES (99, 'rss', 'h', 0, 0)",
            [],
        )
        .unwrap();
        assert!(c.execute_batch("COMMIT").is_err());
        c.execute_batch("ROLLBACK").unwrap();
    }

    #[test]
    fn a_write_that_leaves_a_reference_dangling_is_refused_whole_on_both_backends() {
        for (place, mut s) in each_backend() {
            let on = if matches!(place, TestPlace::Pg(_)) {
                "postgres"
            } else {
                "sqlite"
            };
            s.write_db("test", |db| {
                db.execute("INSERT INTO feeds (name, kind) VALUES ('f', 'rss')", db::params![])
            })
            .unwrap();
            let refused = s.write_db("test", |db| {
                db.execute(
                    "INSERT INTO mentions (feed_id, kind, external_id, text, first_seen_at, sort_at, updated_at)
                     VALUES (99, 'rss', 'b', 'dangling', 0, 0, 0)",
                    db::params![],
                )
            });
            assert!(refused.is_err(), "{on}");
            let n: i64 = s
                .db()
                .query_row("SELECT count(*) FROM mentions", db::params![], |r| r.get(0))
                .unwrap();
            assert_eq!(n, 0, "{on}");
            if let TestPlace::Pg(pg) = &place {
                // A database an overhear of version 30 made: its references were checked per
                // statement; opening it defers them (and counts rewrites, version 32, and keeps
                // the fingerprint of a feed's last answer, version 33).
                let mut c = ::postgres::Client::connect(&pg.url, ::postgres::NoTls).unwrap();
                c.batch_execute(
                    "ALTER TABLE mentions ALTER CONSTRAINT mentions_feed_id_fkey NOT DEFERRABLE;
                     ALTER TABLE authors ALTER CONSTRAINT authors_person_id_fkey NOT DEFERRABLE;
                     DROP TRIGGER mentions_rewritten_delete ON mentions;
                     DROP TRIGGER mentions_rewritten_title ON mentions;
                     DROP FUNCTION overhear_mention_rewritten();
                     ALTER TABLE stream_counts DROP COLUMN rewrites;
                     ALTER TABLE feeds DROP COLUMN body_hash;
                     UPDATE overhear_meta SET value = '30' WHERE key = 'schema_version'",
                )
                .unwrap();
                drop(pg.store());
                let deferred: Vec<String> = c
                    .query(
                        "SELECT conname FROM pg_constraint WHERE contype = 'f' AND condeferred ORDER BY conname",
                        &[],
                    )
                    .unwrap()
                    .iter()
                    .map(|r| r.get(0))
                    .collect();
                assert_eq!(
                    deferred,
                    [
                        "authors_person_id_fkey",
                        "mentions_author_id_fkey",
                        "mentions_feed_id_fkey",
                        "reach_history_author_id_fkey"
                    ]
                );
                let v: String = c
                    .query_one("SELECT value FROM overhear_meta WHERE key = 'schema_version'", &[])
                    .unwrap()
                    .get(0);
                assert_eq!(v, schema::MIGRATIONS.len().to_string());
            }
        }
    }

    #[test]
    fn replies_sent_by_an_older_version_keep_ids_their_threads_use() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db");
        {
            let c = Connection::open(&path).unwrap();
            for sql in &schema::MIGRATIONS[..27] {
                c.execute_batch(sql).unwrap();
            }
            c.pragma_update(None, "user_version", 27).unwrap();
            c.execute("INSERT INTO feeds (id, name, kind) VALUES (1, 'f', 'github')", [])
                .unwrap();
            for (id, kind, external_id, response_id) in [
                (1, "github", "25", Some("555")),
                (2, "discourse", "forum.example:77", Some("88500")),
                (3, "discourse", "forum.example:78", Some("forum.example:88501")),
                (4, "mastodon", "1160", Some("1161")),
                (5, "github", "26", None),
            ] {
                c.execute(
                    "INSERT INTO mentions (id, feed_id, kind, external_id, text, first_seen_at, sort_at, updated_at,
                        response_id)
                     VALUES (?1, 1, ?2, ?3, 't', 0, 0, 0, ?4)",
                    rusqlite::params![id, kind, external_id, response_id],
                )
                .unwrap();
            }
        }
        let s = Store::open(&path).unwrap();
        let ids: Vec<Option<String>> = s
            .conn()
            .prepare("SELECT response_id FROM mentions ORDER BY id")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(|r| r.unwrap())
            .collect();
        assert_eq!(
            ids,
            [
                Some("comment:555"),
                Some("forum.example:88500"),
                Some("forum.example:88501"),
                Some("1161"),
                None
            ]
            .map(|i| i.map(String::from))
        );
    }

    #[test]
    fn mentions_stored_by_an_older_version_learn_their_language_and_site_on_upgrade() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db");
        {
            let c = Connection::open(&path).unwrap();
            for sql in &schema::MIGRATIONS[..12] {
                c.execute_batch(sql).unwrap();
            }
            c.pragma_update(None, "user_version", 12).unwrap();
            c.execute("INSERT INTO feeds (id, name, kind) VALUES (1, 'blogs', 'rss')", [])
                .unwrap();
            for (id, url, title, text) in [
                (
                    1,
                    Some("https://blog.Example.com/a"),
                    Some("Une question ?"),
                    "Pourquoi la commande est-elle arrivée cassée chez nous",
                ),
                (2, None, None, "ok"),
                (
                    3,
                    Some("https://x.test/?q=1"),
                    None,
                    "The outage report is at https://status.example.org/?id=3 for everyone.",
                ),
            ] {
                c.execute(
                    "INSERT INTO mentions (id, feed_id, kind, external_id, url, title, text, first_seen_at, sort_at,
                        updated_at, author)
                     VALUES (?1, 1, 'rss', ?1, ?2, ?3, ?4, 0, 0, 0, 'Jane')",
                    rusqlite::params![id, url, title, text],
                )
                .unwrap();
            }
        }
        let s = Store::open(&path).unwrap();
        let facts: Vec<(Option<String>, Option<String>, bool, bool)> = s
            .conn()
            .prepare("SELECT lang, site, has_link, is_question FROM mentions ORDER BY id")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .unwrap()
            .map(|r| r.unwrap())
            .collect();
        assert_eq!(
            facts,
            vec![
                (Some("fr".into()), Some("com.example.blog.".into()), false, true),
                (None, None, false, false),
                (Some("en".into()), Some("test.x.".into()), true, false),
            ]
        );
        // And are scored (migration 16).
        let (sentiment, intent): (f64, i64) = s
            .conn()
            .query_row("SELECT sentiment, intent FROM mentions WHERE id = 3", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .unwrap();
        assert!(sentiment < -0.05, "an outage is bad news: {sentiment}");
        assert!(crate::score::Intents(intent).has(crate::score::Intent::Complaint));
        // And filed under their people (migration 20): Jane of blog.example.com is not Jane of
        // x.test; the mention without a link is a third.
        let people = s.people(crate::store::PeopleOrder::Mentions, 10).unwrap();
        let mut labels: Vec<String> = people.iter().map(|p| p.handles[0].label()).collect();
        labels.sort();
        assert_eq!(labels, ["rss:Jane", "rss:Jane@blog.example.com", "rss:Jane@x.test"]);
        assert!(people.iter().all(|p| p.mentions == 1));
        assert_eq!(s.integrity_check(true).unwrap(), None);
    }

    #[test]
    fn health_stored_by_an_older_version_is_cleaned_on_upgrade() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db");
        {
            let c = Connection::open(&path).unwrap();
            for sql in &schema::MIGRATIONS[..5] {
                c.execute_batch(sql).unwrap();
            }
            c.pragma_update(None, "user_version", 5).unwrap();
            c.execute(
                "INSERT INTO feeds (name, kind, last_error, last_notes) VALUES ('x', 'rss', ?1, ?2)",
                [
                    "bad \u{1b}]52;c;ZXZpbA==\u{7}tag\u{1b}[2J; variable ghp_16C7e42F292c6912E7710c838347Ae178B4a not set",
                    "repaired\u{9b}31m line\nbreak",
                ],
            )
            .unwrap();
        }
        let s = Store::open(&path).unwrap();
        let (error, notes): (String, String) = s
            .conn()
            .query_row("SELECT last_error, last_notes FROM feeds", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .unwrap();
        assert_eq!(error, "bad tag; variable …(hidden) not set");
        assert!(!notes.contains(['\u{9b}', '\n']), "{notes:?}");
        assert!(notes.starts_with("repaired"), "{notes:?}");
    }
}
