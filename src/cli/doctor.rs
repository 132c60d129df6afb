//! `overhear doctor`: is this set-up sound, and if not, what to do, in words a new teammate can act
//! on. Files and permissions, the database's version and integrity, the feeds, who polls, who is
//! here. Exit 0 when all is well, 1 otherwise.

use super::{Cli, load_config};
use crate::store::{POLLER, SessionKind, Store};
use crate::team::{group_name, user_name};
use crate::text::sanitize_line as clean;
use anyhow::Result;
use chrono::{Local, Utc};
use std::io::Write;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;
use std::process::ExitCode;

/// Past this size the database is checked with `quick_check` (the structure, not every index entry).
const FULL_CHECK_UP_TO: u64 = 256 * 1024 * 1024;

struct Report {
    lines: Vec<(bool, String)>,
}

impl Report {
    fn ok(&mut self, s: impl Into<String>) {
        self.lines.push((true, s.into()));
    }
    fn fail(&mut self, s: impl Into<String>) {
        self.lines.push((false, s.into()));
    }
}

pub fn doctor(cli: &Cli) -> Result<ExitCode> {
    let db = match super::database(cli)? {
        crate::store::Location::File(path) => path,
        crate::store::Location::Postgres { url, password_env } => {
            return postgres(cli, &url, password_env.as_deref());
        }
    };
    let mut r = Report { lines: Vec::new() };
    let config = match load_config(cli) {
        Ok(c) => {
            r.ok(format!("config: {} ({} feeds)", c.path.display(), c.feeds.len()));
            Some(c)
        }
        Err(e) => {
            r.fail(format!("config: {e:#}"));
            None
        }
    };
    files(&db, &mut r);
    if !db.exists() {
        r.fail(format!(
            "database: there is none at {} yet: open the console or run `overhear poll --once` to create it",
            db.display()
        ));
    } else {
        match Store::open(&db) {
            Ok(store) => database(&db, &store, config.as_ref(), &mut r)?,
            Err(e) => r.fail(format!("database: {e}")),
        }
    }
    r.print(&db.display().to_string())
}

impl Report {
    /// The lines, then the verdict: exit 0 when all is well.
    fn print(&self, what: &str) -> Result<ExitCode> {
        let r = self;
        let mut out = std::io::stdout().lock();
        writeln!(out, "overhear doctor: {}", clean(what))?;
        for (ok, line) in &r.lines {
            writeln!(out, "  {}  {}", if *ok { "ok  " } else { "FAIL" }, clean(line))?;
        }
        let failed = r.lines.iter().filter(|(ok, _)| !ok).count();
        if failed == 0 {
            writeln!(out, "All is well.")?;
            Ok(ExitCode::SUCCESS)
        } else {
            writeln!(out, "{failed} problem{} above.", if failed == 1 { "" } else { "s" })?;
            Ok(ExitCode::FAILURE)
        }
    }
}

/// `overhear doctor` on a PostgreSQL database: can it be reached, is the server recent enough,
/// the schema's version, what the user may do, who holds the poller's lease.
fn postgres(cli: &Cli, url: &str, password_env: Option<&str>) -> Result<ExitCode> {
    use crate::store::postgres::{OLDEST_SERVER, Pg, redacted, schema};
    let mut r = Report { lines: Vec::new() };
    match load_config(cli) {
        Ok(c) => r.ok(format!("config: {} ({} feeds)", c.path.display(), c.feeds.len())),
        Err(e) => r.fail(format!("config: {e:#}")),
    }
    let target = redacted(url);
    match Pg::connect(url, password_env).and_then(|mut pg| pg.health()) {
        Err(e) => r.fail(format!("database: {e}")),
        Ok(h) => {
            let server = format!("server: PostgreSQL {} as {}", h.server_version_text, h.user);
            if h.server_version >= OLDEST_SERVER {
                r.ok(server);
            } else {
                r.fail(format!("{server}: overhear needs PostgreSQL 12 or newer"));
            }
            match h.schema_version {
                0 if h.can_create => r.ok(
                    "schema: none yet; `overhear migrate --from FILE --to URL` copies a SQLite database in, \
                          or the first console or `overhear poll` starts an empty one",
                ),
                0 => r.fail(format!(
                    "schema: none yet, and {} may not create tables here: GRANT CREATE ON DATABASE … TO {}",
                    h.user, h.user
                )),
                v if v > schema::VERSION => r.fail(format!(
                    "schema: version {v}, newer than this overhear understands ({}): upgrade overhear",
                    schema::VERSION
                )),
                v => r.ok(format!("schema: version {v}")),
            }
            if h.not_allowed.is_empty() {
                if h.schema_version > 0 {
                    r.ok(format!("permissions: {} may read and write every table", h.user));
                }
            } else {
                r.fail(format!(
                    "permissions: {} may not read and write {}: GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {}",
                    h.user,
                    h.not_allowed.join(", "),
                    h.user
                ));
            }
            let now = Utc::now().timestamp_millis();
            match h.lease {
                Some((who, host, until)) if until > now => {
                    r.ok(format!("poller: {who} on {host} holds the lease"));
                }
                _ if h.schema_version > 0 => r.fail(
                    "poller: nobody polls: open a console or start `overhear poll` (see assets/overhear-poll.service)",
                ),
                _ => {}
            }
        }
    }
    r.print(&target)
}

/// Who owns the files and who may read and write them: a team's database (in a setgid directory)
/// is its group's to read and write and nobody else's; a personal one is its owner's only.
fn files(db: &Path, r: &mut Report) {
    let dir = match db.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    let Ok(dir_meta) = std::fs::metadata(&dir) else {
        r.fail(format!(
            "directory {} does not exist or cannot be read: create it (for a team: see the README's set-up)",
            dir.display()
        ));
        return;
    };
    let team = dir_meta.permissions().mode() & 0o2000 != 0;
    let group = group_name(dir_meta.gid());
    if team {
        if dir_meta.permissions().mode() & 0o070 != 0o070 {
            r.fail(format!(
                "directory {}: group {group} cannot create files in it: run `chmod g+rwx {}`",
                dir.display(),
                dir.display()
            ));
        } else {
            r.ok(format!("directory {}: a team's (setgid, group {group})", dir.display()));
        }
    }
    let mut any = false;
    let before = r.lines.len();
    for suffix in ["", "-wal", "-shm"] {
        let path = std::path::PathBuf::from(format!("{}{suffix}", db.display()));
        let Ok(m) = std::fs::metadata(&path) else { continue };
        any = true;
        let mode = m.permissions().mode() & 0o777;
        let name = path.display().to_string();
        if mode & 0o007 != 0 {
            r.fail(format!(
                "{name} may be read by anyone on this machine (mode {mode:04o}): run `chmod o-rwx {name}`"
            ));
        }
        if team {
            if m.gid() != dir_meta.gid() {
                r.fail(format!(
                    "{name} belongs to group {}, not the team's {group}: run `chgrp {group} {name}`",
                    group_name(m.gid())
                ));
            }
            if mode & 0o060 != 0o060 {
                r.fail(format!(
                    "{name}: the team cannot write it (mode {mode:04o}): run `chmod g+rw {name}`"
                ));
            }
        }
        if !crate::paths::may(&path, crate::paths::Access::ReadWrite) {
            r.fail(format!(
                "{name}: you ({}) cannot read and write it: ask its owner ({}) to add you to group {}",
                crate::team::unix_user(),
                user_name(m.uid()),
                group_name(m.gid())
            ));
        }
    }
    if any && r.lines[before..].iter().all(|(ok, _)| *ok) {
        r.ok(if team {
            format!("files: group {group} may read and write them, nobody else")
        } else {
            "files: yours only".to_string()
        });
    }
}

fn database(db: &Path, store: &Store, config: Option<&crate::config::Config>, r: &mut Report) -> Result<()> {
    let size = std::fs::metadata(db).map_or(0, |m| m.len());
    let version = store.schema_version()?;
    let check = if size <= FULL_CHECK_UP_TO {
        store.integrity_check(true)
    } else {
        store.integrity_check(false)
    };
    match check {
        Ok(None) => r.ok(format!(
            "database: schema {version}, {}, {} ok",
            bytesize::ByteSize(size),
            if size <= FULL_CHECK_UP_TO {
                "integrity_check"
            } else {
                "quick_check"
            }
        )),
        Ok(Some(detail)) => r.fail(format!(
            "database is damaged ({detail}): restore it from a backup, or save what can be read with \
             `overhear export > saved.jsonl` and start a new one"
        )),
        Err(e) => r.fail(format!("database cannot be checked: {e}")),
    }
    team(store, r)?;
    feeds(store, config, r)
}

/// Who polls, and who is here.
fn team(store: &Store, r: &mut Report) -> Result<()> {
    let now = Utc::now();
    let present = store.present(now)?;
    match store.lease(POLLER)? {
        Some(h) if h.expires_at > now => r.ok(format!(
            "poller: {} polls, since {} (lease renewed {}s ago)",
            h.describe(),
            h.acquired_at.with_timezone(&Local).format("%Y-%m-%d %H:%M:%S"),
            (now - h.renewed_at).num_seconds().max(0)
        )),
        Some(h) => r.fail(format!(
            "poller: nobody polls: {}'s lease expired at {} (it stopped or hangs); open a console or \
             start `overhear poll` (see assets/overhear-poll.service)",
            h.describe(),
            h.expires_at.with_timezone(&Local).format("%H:%M:%S")
        )),
        None => {
            r.fail("poller: nobody polls: open a console or start `overhear poll` (see assets/overhear-poll.service)")
        }
    }
    let here: Vec<String> = present
        .iter()
        .map(|p| {
            let what = match p.kind {
                SessionKind::Console => "console",
                SessionKind::Poll => "poll",
                SessionKind::Command => "command",
            };
            format!("{} ({what}, pid {} on {})", p.operator, p.pid, p.host)
        })
        .collect();
    r.ok(if here.is_empty() {
        "here now: nobody".to_string()
    } else {
        format!("here now: {}", here.join(", "))
    });
    Ok(())
}

/// The feeds that fail, and those this config does not poll.
fn feeds(store: &Store, config: Option<&crate::config::Config>, r: &mut Report) -> Result<()> {
    let health = store.feed_health(false)?;
    let failing: Vec<_> = health.iter().filter(|f| f.consecutive_failures > 0).collect();
    if failing.is_empty() {
        r.ok(format!("feeds: {} known, none failing", health.len()));
    }
    for f in failing {
        r.fail(format!(
            "feed {}: failed {} time{} in a row: {}",
            f.name,
            f.consecutive_failures,
            if f.consecutive_failures == 1 { "" } else { "s" },
            f.last_error.as_deref().unwrap_or("no error recorded")
        ));
    }
    if let Some(c) = config {
        let unpolled: Vec<&str> = health
            .iter()
            .filter(|h| !c.feeds.iter().any(|f| f.name == h.name))
            .map(|h| h.name.as_str())
            .collect();
        if !unpolled.is_empty() {
            r.ok(format!(
                "feeds in the database but not in this config (polled only when a process whose \
                 config has them holds the lease; a team shares one config): {}",
                unpolled.join(", ")
            ));
        }
    }
    Ok(())
}
