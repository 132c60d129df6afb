//! Where a database is: a SQLite file or a PostgreSQL server. Every part of overhear that opens a
//! connection of its own (the console's reader, writer and team threads, the poller, the outbox,
//! an alert's command) opens it from here, so none of them knows which backend it talks to.

use super::{Result, Store};
use std::path::{Path, PathBuf};

/// A database's address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    File(PathBuf),
    /// A `postgres://` URL, as given (it may carry a password: never shown, see [`Location`]'s
    /// `Display`), and the variable holding the password when the URL has none.
    Postgres {
        url: String,
        password_env: Option<String>,
    },
}

impl Location {
    /// `--db`'s value (or `database` in the config): a URL names a server, anything else a file.
    pub fn of(path: &Path, password_env: Option<&str>) -> Location {
        let text = path.to_string_lossy();
        if super::postgres::is_url(&text) {
            Location::Postgres {
                url: text.trim().to_string(),
                password_env: password_env.map(str::to_string),
            }
        } else {
            Location::File(path.to_path_buf())
        }
    }

    /// A connection of its own to the database (its schema made or migrated).
    pub fn open(&self) -> Result<Store> {
        match self {
            Location::File(p) => Store::open(p),
            Location::Postgres { url, password_env } => Store::open_postgres(url, password_env.as_deref()),
        }
    }

    /// [`Location::open`], a file's integrity checked within `budget` first (a server keeps its
    /// own).
    pub fn open_checked(&self, budget: std::time::Duration) -> Result<Store> {
        match self {
            Location::File(p) => Store::open_checked(p, budget),
            Location::Postgres { .. } => self.open(),
        }
    }

    /// The file, when it is one.
    pub fn file(&self) -> Option<&Path> {
        match self {
            Location::File(p) => Some(p),
            Location::Postgres { .. } => None,
        }
    }
}

impl std::fmt::Display for Location {
    /// The file's path, or the server's address without its password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Location::File(p) => write!(f, "{}", p.display()),
            Location::Postgres { url, .. } => f.write_str(&super::postgres::redacted(url)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_url_names_a_server_and_its_password_is_never_shown() {
        let at = Location::of(Path::new("postgres://ann:s3cret@db.example/overhear"), Some("PW"));
        assert!(at.file().is_none());
        assert!(!at.to_string().contains("s3cret"), "{at}");
        assert!(!format!("{at}").is_empty());
        let at = Location::of(Path::new("/srv/team/overhear.db"), None);
        assert_eq!(at.file(), Some(Path::new("/srv/team/overhear.db")));
        assert_eq!(at.to_string(), "/srv/team/overhear.db");
    }
}
