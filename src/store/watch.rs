//! The change watch: how a console learns that another process (a teammate's console, the
//! poller, `overhear mark`) committed, without reading any table. On SQLite, `PRAGMA
//! data_version` changes only when another connection commits; a backend with notifications
//! (PostgreSQL's LISTEN/NOTIFY) fills the same seam.

use super::{Doing, Result, Store};
use std::time::Duration;

/// Watches one store for other connections' commits.
#[derive(Debug)]
pub struct ChangeWatch {
    last: Option<i64>,
}

impl ChangeWatch {
    /// How often a console asks.
    pub const INTERVAL: Duration = Duration::from_millis(250);

    /// Start watching from what `store` holds now.
    pub fn new(store: &Store) -> ChangeWatch {
        ChangeWatch {
            last: store.data_version().ok(),
        }
    }

    /// Whether another connection committed since the last call.
    pub fn changed(&mut self, store: &Store) -> bool {
        let now = store.data_version().ok();
        if now == self.last {
            return false;
        }
        self.last = now;
        true
    }
}

impl Store {
    /// Changes whenever another connection commits. Cheap: no read of any table.
    pub fn data_version(&self) -> Result<i64> {
        self.conn()
            .query_row("PRAGMA data_version", [], |r| r.get(0))
            .doing("checking for changes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_commit_elsewhere_is_seen_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.db");
        let a = Store::open(&path).unwrap();
        let mut b = Store::open(&path).unwrap();
        let mut watch = ChangeWatch::new(&a);
        assert!(!watch.changed(&a));
        b.ensure_feed("f", crate::model::FeedKind::Rss).unwrap();
        assert!(watch.changed(&a));
        assert!(!watch.changed(&a), "seen once");
    }
}
