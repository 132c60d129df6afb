//! Where overhear keeps its files, from `directories` (XDG on Linux), unless flags or the
//! environment say otherwise.

use anyhow::{Context, Result};
use directories::ProjectDirs;
use std::path::PathBuf;

fn dirs() -> Result<ProjectDirs> {
    ProjectDirs::from("", "", "overhear").context("cannot find a home directory for overhear's files (is $HOME set?)")
}

/// `~/.config/overhear/config.toml` on Linux.
pub fn default_config() -> Result<PathBuf> {
    Ok(dirs()?.config_dir().join("config.toml"))
}

/// `~/.local/share/overhear/overhear.db` on Linux.
pub fn default_db() -> Result<PathBuf> {
    Ok(dirs()?.data_dir().join("overhear.db"))
}

/// The log file: `~/.local/state/overhear/overhear.log` on Linux.
pub fn log_file() -> Result<PathBuf> {
    let d = dirs()?;
    let dir = d.state_dir().unwrap_or_else(|| d.data_local_dir());
    Ok(dir.join("overhear.log"))
}

/// Files overhear creates are its user's alone: the database, its WAL and SHM, the log, the
/// config it writes on a first run, and the directories they live in (0600 and 0700). Set once,
/// first thing: SQLite creates the WAL and SHM itself, under the process's umask.
pub fn private_files() {
    // SAFETY: umask only sets the calling process's file-mode creation mask; it cannot fail.
    unsafe {
        libc::umask(0o077);
    }
}

/// A team's database lives in a directory with the setgid bit (its files take the directory's
/// group): then the database and its `-wal` and `-shm` files are created readable and writable by
/// that group, and still by nobody else. Elsewhere files stay private to their owner.
pub fn team_files(db: &std::path::Path) {
    use std::os::unix::fs::PermissionsExt;
    let dir = match db.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => std::path::Path::new("."),
    };
    let setgid = std::fs::metadata(dir).is_ok_and(|m| m.permissions().mode() & 0o2000 != 0);
    if setgid {
        // SAFETY: umask only sets the calling process's file-mode creation mask; it cannot fail.
        unsafe {
            libc::umask(0o007);
        }
    }
}

/// A directory (and its parents) readable by its owner only.
pub fn create_private_dir(dir: &std::path::Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new().recursive(true).mode(0o700).create(dir)
}

/// A file opened for appending, created readable by its owner only.
pub fn open_private_append(path: &std::path::Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(path)
}

/// What this process may do with a file, by the kernel's own rules (`access(2)`: owner, group,
/// ACLs, a read-only mount), without opening it.
#[derive(Debug, Clone, Copy)]
pub enum Access {
    Read,
    ReadWrite,
    /// Enter a directory.
    Enter,
}

/// Whether this process may `how` the file at `path`.
pub fn may(path: &std::path::Path, how: Access) -> bool {
    use std::os::unix::ffi::OsStrExt;
    let Ok(c) = std::ffi::CString::new(path.as_os_str().as_bytes()) else {
        return false;
    };
    let mode = match how {
        Access::Read => libc::R_OK,
        Access::ReadWrite => libc::R_OK | libc::W_OK,
        Access::Enter => libc::X_OK,
    };
    // SAFETY: access reads a NUL-terminated path we own; it changes nothing.
    unsafe { libc::access(c.as_ptr(), mode) == 0 }
}
