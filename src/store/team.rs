//! A team on one database: who is here (sessions: presence, what each reads and drafts, and so the
//! claims), and who polls (the poller's lease). No server of its own: the rows are the coordination,
//! kept fresh by each process's heartbeat and judged by their age.
//!
//! Times here are milliseconds since the epoch: every process on the box reads the same clock, and a
//! lease measured in seconds must not round away a renewal.

use super::db::{self, Db, params};
use super::{Doing, Result, Store};
use chrono::{DateTime, TimeZone, Utc};
use std::time::Duration;

/// A session not seen for this long is gone (its console died or its SSH session dropped): it no
/// longer counts as present, and its claims lapse.
pub const PRESENCE_TTL: Duration = Duration::from_secs(15);
/// How long a lease lasts after its last renewal. The holder renews well within it; another process
/// takes over once it has passed.
pub const LEASE_TTL: Duration = Duration::from_secs(6);
/// The poller's lease.
pub const POLLER: &str = "poller";
/// Sessions gone for longer than this are deleted (their rows serve nobody).
const FORGET_AFTER: Duration = Duration::from_secs(24 * 3600);

/// What kind of process a session is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::Display, strum::EnumString, strum::IntoStaticStr)]
#[strum(serialize_all = "lowercase")]
pub enum SessionKind {
    Console,
    Poll,
    Command,
}

/// Who a process is, as the team sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// A random id for this process's session.
    pub session: String,
    /// The name actions are recorded under.
    pub operator: String,
    /// The Unix account the process runs as (from its uid).
    pub unix_user: String,
    pub host: String,
    pub pid: u32,
    pub kind: SessionKind,
}

/// A session seen recently.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Present {
    pub session: String,
    pub operator: String,
    pub unix_user: String,
    pub host: String,
    pub pid: u32,
    pub kind: SessionKind,
    pub started_at: DateTime<Utc>,
    pub seen_at: DateTime<Utc>,
    pub viewing: Option<i64>,
    pub drafting: Option<i64>,
}

/// Who holds a lease, and until when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaseHolder {
    pub session: String,
    pub operator: String,
    pub host: String,
    pub pid: u32,
    pub kind: SessionKind,
    pub acquired_at: DateTime<Utc>,
    pub renewed_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

impl LeaseHolder {
    /// "alice's console (pid 4242 on box)".
    pub fn describe(&self) -> String {
        let what = match self.kind {
            SessionKind::Console => "console",
            SessionKind::Poll => "`overhear poll`",
            SessionKind::Command => "command",
        };
        format!("{}'s {what} (pid {} on {})", self.operator, self.pid, self.host)
    }
}

/// What an attempt to take or keep a lease found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lease {
    /// Ours until then.
    Held { expires_at: DateTime<Utc> },
    /// Someone else's, alive.
    Taken(LeaseHolder),
}

fn ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

pub(super) fn from_ms(v: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(v).single().unwrap_or_default()
}

fn kind_of(s: String) -> SessionKind {
    s.parse().unwrap_or(SessionKind::Command)
}

impl Store {
    /// Say this process is here (or again, after its row was cleaned away).
    pub fn join_team(&mut self, me: &Identity, now: DateTime<Utc>) -> Result<()> {
        let at = ms(now);
        let forget = at - FORGET_AFTER.as_millis() as i64;
        self.write_db("joining the team's sessions", |db| {
            db.execute("DELETE FROM sessions WHERE seen_at < ?1", params![forget])?;
            db.execute(
                "INSERT INTO operators (name, unix_user, first_seen, last_seen) VALUES (?1, ?2, ?3, ?3)
                 ON CONFLICT (name) DO UPDATE SET last_seen = ?3, unix_user = ?2",
                params![me.operator, me.unix_user, at],
            )?;
            db.execute(
                "INSERT INTO sessions (id, operator, unix_user, host, pid, kind, started_at, seen_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)
                 ON CONFLICT (id) DO UPDATE SET seen_at = ?7",
                params![
                    me.session,
                    me.operator,
                    me.unix_user,
                    me.host,
                    me.pid,
                    <&str>::from(me.kind),
                    at
                ],
            )?;
            Ok(())
        })
    }

    /// Keep this session fresh, saying what it reads and which mention it drafts an answer to (its
    /// claim). False when the row was gone (cleaned away while this process slept): join again.
    pub fn heartbeat(
        &mut self,
        session: &str,
        viewing: Option<i64>,
        drafting: Option<i64>,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let at = ms(now);
        self.write_db("keeping this session fresh", |db| {
            Ok(db.execute(
                "UPDATE sessions SET seen_at = ?2, viewing = ?3,
                    drafting_since = CASE WHEN drafting IS ?4 THEN drafting_since ELSE ?2 END, drafting = ?4
                 WHERE id = ?1",
                params![session, at, viewing, drafting],
            )? == 1)
        })
    }

    /// This process is leaving: its session and every lease it holds go at once, so another takes
    /// over without waiting for them to expire.
    pub fn leave_team(&mut self, session: &str) -> Result<()> {
        self.write_db("leaving the team's sessions", |db| {
            db.execute("DELETE FROM leases WHERE holder = ?1", params![session])?;
            db.execute("DELETE FROM sessions WHERE id = ?1", params![session])?;
            Ok(())
        })
    }

    /// Forget sessions whose processes are known to have ended (killed, crashed).
    pub fn forget_sessions(&mut self, sessions: &[String]) -> Result<()> {
        self.write_db("forgetting ended sessions", |db| {
            for s in sessions {
                db.execute("DELETE FROM sessions WHERE id = ?1", params![s])?;
            }
            Ok(())
        })
    }

    /// The sessions seen within [`PRESENCE_TTL`], oldest first.
    pub fn present(&self, now: DateTime<Utc>) -> Result<Vec<Present>> {
        let fresh = ms(now) - PRESENCE_TTL.as_millis() as i64;
        self.db()
            .query_map(
                "SELECT id, operator, unix_user, host, pid, kind, started_at, seen_at, viewing, drafting
                 FROM sessions WHERE seen_at >= ?1 ORDER BY started_at, id",
                params![fresh],
                |r| {
                    Ok(Present {
                        session: r.get(0)?,
                        operator: r.get(1)?,
                        unix_user: r.get(2)?,
                        host: r.get(3)?,
                        pid: r.get(4)?,
                        kind: kind_of(r.get(5)?),
                        started_at: from_ms(r.get(6)?),
                        seen_at: from_ms(r.get(7)?),
                        viewing: r.get(8)?,
                        drafting: r.get(9)?,
                    })
                },
            )
            .doing("reading who is here")
    }

    /// The operators other than `operator` who draft an answer to `mention` now (live claims).
    pub fn claims_on(&self, mention: i64, operator: &str, now: DateTime<Utc>) -> Result<Vec<String>> {
        let fresh = ms(now) - PRESENCE_TTL.as_millis() as i64;
        self.db()
            .query_map(
                "SELECT DISTINCT operator FROM sessions
                 WHERE drafting = ?1 AND seen_at >= ?2 AND operator <> ?3 ORDER BY operator",
                params![mention, fresh, operator],
                |r| r.get(0),
            )
            .doing("reading claims")
    }

    /// Take the lease `name` if it is free, expired or already ours (then renewed until `now` +
    /// `ttl`); otherwise say who holds it.
    pub fn take_lease(&mut self, name: &str, me: &Identity, ttl: Duration, now: DateTime<Utc>) -> Result<Lease> {
        let at = ms(now);
        let until = at + ttl.as_millis() as i64;
        self.write_db("taking the poller lease", |db| {
            let changed = db.execute(
                "INSERT INTO leases (name, holder, operator, host, pid, kind, acquired_at, renewed_at, expires_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7, ?8)
                 ON CONFLICT (name) DO UPDATE SET
                    acquired_at = CASE WHEN leases.holder = excluded.holder THEN leases.acquired_at ELSE ?7 END,
                    holder = ?2, operator = ?3, host = ?4, pid = ?5, kind = ?6, renewed_at = ?7, expires_at = ?8
                 WHERE leases.holder = excluded.holder OR leases.expires_at < ?7",
                params![
                    name,
                    me.session,
                    me.operator,
                    me.host,
                    me.pid,
                    <&str>::from(me.kind),
                    at,
                    until
                ],
            )?;
            if changed == 1 {
                return Ok(Lease::Held {
                    expires_at: from_ms(until),
                });
            }
            let holder = lease_row(db, name)?.ok_or(db::DbError::NoRow)?;
            Ok(Lease::Taken(holder))
        })
    }

    /// Keep the lease `name` for another `ttl`, if it is still ours. False when it is not (it
    /// expired and another process took it): stop what it guards before writing again.
    pub fn renew_lease(&mut self, name: &str, session: &str, ttl: Duration, now: DateTime<Utc>) -> Result<bool> {
        self.write_db("renewing the poller lease", |db| renews(db, name, session, ttl, now))
    }

    /// Let go of the lease `name` if it is ours.
    pub fn release_lease(&mut self, name: &str, session: &str) -> Result<()> {
        self.write_db("releasing the poller lease", |db| {
            db.execute(
                "DELETE FROM leases WHERE name = ?1 AND holder = ?2",
                params![name, session],
            )?;
            Ok(())
        })
    }

    /// Who holds the lease `name`, if anyone (expired or not: compare `expires_at`).
    pub fn lease(&self, name: &str) -> Result<Option<LeaseHolder>> {
        lease_row(self.db(), name).doing("reading the poller lease")
    }
}

fn lease_row(db: Db<'_>, name: &str) -> db::Result<Option<LeaseHolder>> {
    db.query_opt(
        "SELECT holder, operator, host, pid, kind, acquired_at, renewed_at, expires_at FROM leases WHERE name = ?1",
        params![name],
        |r| {
            Ok(LeaseHolder {
                session: r.get(0)?,
                operator: r.get(1)?,
                host: r.get(2)?,
                pid: r.get(3)?,
                kind: kind_of(r.get(4)?),
                acquired_at: from_ms(r.get(5)?),
                renewed_at: from_ms(r.get(6)?),
                expires_at: from_ms(r.get(7)?),
            })
        },
    )
}

/// A mention a teammate assigned to this operator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assigned {
    pub action: i64,
    pub mention: i64,
    pub by: String,
    pub title: String,
    /// An approver's note when this is a reply sent back, not an assignment.
    pub note: Option<String>,
}

impl Store {
    /// The newest action's id: where to start looking for new assignments.
    pub fn newest_action(&self) -> Result<i64> {
        self.db()
            .query_row("SELECT coalesce(max(id), 0) FROM actions", params![], |r| r.get(0))
            .doing("reading the history")
    }

    /// What teammates did for `me` after action `after`, oldest first (at most 20): mentions they
    /// assigned to me, and my replies an approver sent back.
    pub fn assigned_since(&self, me: &str, after: i64) -> Result<Vec<Assigned>> {
        self.db()
            .query_map(
                "SELECT a.id, a.mention_id, a.actor, coalesce(m.title, m.text),
                        CASE WHEN a.action = 'returned' THEN coalesce(a.to_value, '') END
                 FROM actions a JOIN mentions m ON m.id = a.mention_id
                 WHERE a.id > ?2 AND a.actor <> ?1
                   AND ((a.action = 'assign' AND a.to_value = ?1) OR (a.action = 'returned' AND a.from_value = ?1))
                 ORDER BY a.id LIMIT 20",
                params![me, after],
                |r| {
                    Ok(Assigned {
                        action: r.get(0)?,
                        mention: r.get(1)?,
                        by: r.get(2)?,
                        title: r.get(3)?,
                        note: r.get(4)?,
                    })
                },
            )
            .doing("reading new assignments")
    }
}

/// Whether `session` holds the lease `name`, and if so keep it for another `ttl`: asked inside a
/// write transaction, so a process that lost its lease (paused past its expiry, then resumed)
/// writes nothing, and one that writes keeps it with its writes (a heartbeat waiting for the
/// write lock behind a long run of them could not).
pub(crate) fn renews(db: Db<'_>, name: &str, session: &str, ttl: Duration, now: DateTime<Utc>) -> db::Result<bool> {
    let at = ms(now);
    let until = at + ttl.as_millis() as i64;
    Ok(db.execute(
        "UPDATE leases SET renewed_at = ?3, expires_at = ?4 WHERE name = ?1 AND holder = ?2",
        params![name, session, at, until],
    )? == 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn me(session: &str, operator: &str) -> Identity {
        Identity {
            session: session.into(),
            operator: operator.into(),
            unix_user: operator.into(),
            host: "box".into(),
            pid: 1,
            kind: SessionKind::Console,
        }
    }

    #[test]
    fn one_holder_at_a_time_and_a_takeover_only_after_expiry() {
        crate::store::each_backend_opened(&lease_scenario);
    }

    /// Two processes (two stores on one database), alice's (`a`) holding the poller's lease
    /// since the time returned, bob's (`b`) told so.
    fn alice_holds(open: &dyn Fn() -> Store) -> (Store, Store, DateTime<Utc>) {
        let (mut a, mut b) = (open(), open());
        let t0 = Utc::now();
        assert!(matches!(
            a.take_lease(POLLER, &me("a", "alice"), LEASE_TTL, t0).unwrap(),
            Lease::Held { .. }
        ));
        match b.take_lease(POLLER, &me("b", "bob"), LEASE_TTL, t0).unwrap() {
            Lease::Taken(h) => assert_eq!((h.operator.as_str(), h.session.as_str()), ("alice", "a")),
            other => panic!("{other:?}"),
        }
        (a, b, t0)
    }

    /// Two processes and the poller's lease.
    fn lease_scenario(open: &dyn Fn() -> Store) {
        let (mut a, mut b, t0) = alice_holds(open);
        let (alice, bob) = (me("a", "alice"), me("b", "bob"));
        // Renewed by its holder, it stays; past its expiry, the other takes it, and the old holder's
        // renewal says it is lost.
        let t1 = t0 + chrono::Duration::seconds(4);
        assert!(a.renew_lease(POLLER, "a", LEASE_TTL, t1).unwrap());
        assert!(matches!(
            b.take_lease(POLLER, &bob, LEASE_TTL, t1).unwrap(),
            Lease::Taken(_)
        ));
        let t2 = t1 + chrono::Duration::seconds(7);
        assert!(matches!(
            b.take_lease(POLLER, &bob, LEASE_TTL, t2).unwrap(),
            Lease::Held { .. }
        ));
        assert!(!a.renew_lease(POLLER, "a", LEASE_TTL, t2).unwrap());
        assert_eq!(a.lease(POLLER).unwrap().unwrap().operator, "bob");
        // Leaving releases at once.
        b.leave_team("b").unwrap();
        assert_eq!(a.lease(POLLER).unwrap(), None);
        assert!(matches!(
            a.take_lease(POLLER, &alice, LEASE_TTL, t2).unwrap(),
            Lease::Held { .. }
        ));
    }

    #[test]
    fn a_poll_written_under_the_lease_renews_it() {
        crate::store::each_backend_opened(&poll_renews_scenario);
    }

    /// The poller's writes keep its lease: no heartbeat needed while it writes.
    fn poll_renews_scenario(open: &dyn Fn() -> Store) {
        use crate::store::{Arrival, PollRecord, StoreError};
        let (mut a, mut b, t0) = alice_holds(open);
        let bob = me("b", "bob");
        let feed = a.ensure_feed("f", crate::model::FeedKind::Rss).unwrap();
        let polls = |at| {
            vec![PollRecord::NotModified {
                feed_id: feed,
                next_poll_at: at,
                status: 304,
            }]
        };
        // Written at t0 + 5 s: the lease, due to end at t0 + 6 s, now ends at t0 + 11 s.
        let t1 = t0 + chrono::Duration::seconds(5);
        let written = a.record_polls_fenced(&polls(t1), t1, Some("a"), &Arrival::default());
        assert!(written.unwrap()[0].is_ok());
        let t2 = t0 + chrono::Duration::seconds(9);
        match b.take_lease(POLLER, &bob, LEASE_TTL, t2).unwrap() {
            Lease::Taken(h) => assert_eq!(h.session, "a", "renewed by the write"),
            other => panic!("{other:?}"),
        }
        // Past that, bob takes it; alice's next write finds it lost, writes nothing, renews nothing.
        let t3 = t0 + chrono::Duration::seconds(12);
        assert!(matches!(
            b.take_lease(POLLER, &bob, LEASE_TTL, t3).unwrap(),
            Lease::Held { .. }
        ));
        let lost = a.record_polls_fenced(&polls(t3), t3, Some("a"), &Arrival::default());
        assert!(matches!(lost, Err(StoreError::LeaseLost)), "{lost:?}");
        assert_eq!(a.lease(POLLER).unwrap().unwrap().session, "b");
    }

    #[test]
    fn presence_and_claims_last_as_long_as_the_heartbeat() {
        let dir = tempfile::tempdir().unwrap();
        presence_scenario(&mut Store::open(&dir.path().join("t.db")).unwrap());
        if let Some(pg) = crate::store::postgres::testing::database() {
            presence_scenario(&mut pg.store());
        }
    }

    fn presence_scenario(s: &mut Store) {
        let t0 = Utc::now();
        s.join_team(&me("a", "alice"), t0).unwrap();
        s.join_team(&me("b", "bob"), t0).unwrap();
        assert!(s.heartbeat("a", Some(7), Some(7), t0).unwrap());
        let here = s.present(t0).unwrap();
        assert_eq!(
            here.iter().map(|p| p.operator.as_str()).collect::<Vec<_>>(),
            ["alice", "bob"]
        );
        assert_eq!(s.claims_on(7, "bob", t0).unwrap(), ["alice"]);
        assert!(
            s.claims_on(7, "alice", t0).unwrap().is_empty(),
            "one's own claim is no warning"
        );
        // Bob keeps beating; alice's console died: 16 s later she is gone, and so is her claim.
        let t1 = t0 + chrono::Duration::seconds(16);
        assert!(s.heartbeat("b", None, None, t1).unwrap());
        assert_eq!(s.present(t1).unwrap().len(), 1);
        assert!(s.claims_on(7, "bob", t1).unwrap().is_empty());
        s.leave_team("b").unwrap();
        assert!(!s.heartbeat("b", None, None, t1).unwrap(), "a row gone is said");
    }
}
