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
    /// Changes whenever another connection commits. Cheap: no read of any table. On PostgreSQL:
    /// the notifications other connections' writes sent (`NOTIFY overhear`, listened to since the
    /// store opened), counted.
    pub fn data_version(&self) -> Result<i64> {
        match &self.backend {
            super::Backend::Sqlite(c) => c
                .query_row("PRAGMA data_version", [], |r| r.get(0))
                .doing("checking for changes"),
            super::Backend::Pg(pg) => pg.notified().map_err(|e| super::StoreError::Db {
                doing: "checking for changes",
                detail: e.to_string(),
            }),
        }
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

    /// The same through PostgreSQL's notifications: another connection's write is seen once, one's
    /// own is not.
    #[test]
    fn a_dropped_connection_is_opened_again_and_the_console_reads_again() {
        let Some(pg) = crate::store::postgres::testing::database() else {
            return;
        };
        let (mut a, other) = (pg.store(), pg.store());
        a.ensure_feed("before", crate::model::FeedKind::Rss).unwrap();
        let mut watch = ChangeWatch::new(&a);
        let pid: i64 = a
            .db()
            .query_row("SELECT pg_backend_pid()", crate::store::db::params![], |r| r.get(0))
            .unwrap();
        // The server ends a's session (as a restart or a dropped network would).
        let ended: bool = other
            .db()
            .query_row(
                "SELECT pg_terminate_backend(CAST(?1 AS INT4))",
                crate::store::db::params![pid],
                |r| r.get(0),
            )
            .unwrap();
        assert!(ended);
        std::thread::sleep(Duration::from_millis(100));
        // A read meets the loss and is read again on a new connection.
        assert_eq!(a.feed_health(true).unwrap().len(), 1);
        // Writes go on; one whose connection was lost before it began begins on a new one.
        a.ensure_feed("after", crate::model::FeedKind::Rss).unwrap();
        let pid: i64 = a
            .db()
            .query_row("SELECT pg_backend_pid()", crate::store::db::params![], |r| r.get(0))
            .unwrap();
        other
            .db()
            .query_row(
                "SELECT pg_terminate_backend(CAST(?1 AS INT4))",
                crate::store::db::params![pid],
                |r| r.get::<bool>(0),
            )
            .unwrap();
        std::thread::sleep(Duration::from_millis(100));
        a.ensure_feed("after that", crate::model::FeedKind::Rss).unwrap();
        assert_eq!(other.feed_health(true).unwrap().len(), 3);
        // What was missed while it was gone is read again: the watch says so once.
        assert!(watch.changed(&a), "reopened: read again");
        assert!(!watch.changed(&a));
        let new_pid: i64 = a
            .db()
            .query_row("SELECT pg_backend_pid()", crate::store::db::params![], |r| r.get(0))
            .unwrap();
        assert_ne!(pid, new_pid);
    }

    #[test]
    fn a_commit_elsewhere_is_seen_once_on_postgres() {
        let Some(pg) = crate::store::postgres::testing::database() else {
            return;
        };
        let (mut a, mut b) = (pg.store(), pg.store());
        let mut watch = ChangeWatch::new(&a);
        assert!(!watch.changed(&a));
        let now = chrono::Utc::now();
        let me = crate::store::Identity {
            session: "s".into(),
            operator: "bob".into(),
            unix_user: "bob".into(),
            host: "h".into(),
            pid: 1,
            kind: crate::store::SessionKind::Console,
        };
        b.join_team(&me, now).unwrap();
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while !watch.changed(&a) {
            assert!(std::time::Instant::now() < deadline, "the notification never came");
            std::thread::sleep(Duration::from_millis(10));
        }
        assert!(!watch.changed(&a), "seen once");
        a.join_team(&me, now).unwrap();
        std::thread::sleep(Duration::from_millis(50));
        assert!(!watch.changed(&a), "one's own write is no news");
    }
}
