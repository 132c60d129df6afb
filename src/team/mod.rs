//! A team on one database, from one process's side: it says it is here (a heartbeat in the
//! store's `sessions`), what it reads and which mention it drafts an answer to (its claim), and, if
//! it may poll, competes for the poller's lease and keeps it while it lives. One thread with its own
//! connection does all of it, so a long write elsewhere never delays a heartbeat.
//!
//! Others learn of this process only through the database: `Team::presence` and `Team::lease` are
//! what this thread last read of everyone.

use crate::store::{Identity, LEASE_TTL, Lease, LeaseHolder, POLLER, Present, SessionKind, Store, StoreError};
use chrono::Utc;
use std::sync::mpsc as std_mpsc;
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// How often the thread wakes: to renew or try the lease, and to read who is here.
const TICK: Duration = Duration::from_secs(1);
/// How often the lease is renewed, or tried while another holds it: a dead holder's lease is taken
/// over at most `LEASE_TTL` + `RENEW` after its last renewal.
const RENEW: Duration = Duration::from_secs(2);
/// How often a session says it is still here (well within `PRESENCE_TTL`).
const HEARTBEAT: Duration = Duration::from_secs(5);
/// What a console reads and drafts is written at most this often (keys move faster).
const MIN_BEAT: Duration = Duration::from_millis(300);
/// A lease is trusted locally for this much less than it lasts: a process paused past its expiry
/// stops before it could overlap with the next holder.
const MARGIN: Duration = Duration::from_secs(1);

/// The poller lease as this process sees it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LeaseState {
    /// Ours until then (monotonic: a pause or a clock change cannot stretch it).
    pub held_until: Option<Instant>,
    /// Who else holds it, when we do not.
    pub holder: Option<LeaseHolder>,
}

impl LeaseState {
    /// Whether this process may poll now.
    pub fn held(&self) -> bool {
        self.held_until.is_some_and(|t| Instant::now() < t)
    }

    /// Whether it was renewed less than `ago` before `now` (by the poller's writes, when they run
    /// back to back: the heartbeat need not ask for the write lock between them).
    fn renewed_within(&self, ago: Duration, now: Instant) -> bool {
        self.held_until.is_some_and(|t| t + ago > now + (LEASE_TTL - MARGIN))
    }
}

/// What the poller's writer tells this process's lease: each of its writes renews the lease in
/// the database (in the same transaction), so a long run of writes keeps it even when the
/// heartbeat cannot get the write lock between them.
#[derive(Clone)]
pub struct LeaseKeeper(std::sync::Arc<watch::Sender<LeaseState>>);

impl LeaseKeeper {
    /// A write that began at `asked` renewed the lease: it is ours until then plus its time
    /// (less the margin), if this process still counts it as held.
    pub fn renewed(&self, asked: Instant) {
        let until = asked + LEASE_TTL - MARGIN;
        self.0.send_if_modified(|s| {
            if let Some(t) = &mut s.held_until
                && *t < until
            {
                *t = until;
            }
            // Still held: nobody needs waking.
            false
        });
    }
}

/// The Unix account this process runs as, from its uid (not `$USER`, which anyone can set).
pub fn unix_user() -> String {
    // SAFETY: getuid has no preconditions and cannot fail.
    user_name(unsafe { libc::getuid() })
}

/// The name of group `gid` (its number when it has none).
pub fn group_name(gid: u32) -> String {
    // SAFETY: getgrgid_r writes into buffers we own, sized as passed; the result is read only when
    // the call succeeded and set it.
    unsafe {
        let mut grp: libc::group = std::mem::zeroed();
        let mut buf = vec![0 as libc::c_char; 4096];
        let mut result: *mut libc::group = std::ptr::null_mut();
        if libc::getgrgid_r(gid, &raw mut grp, buf.as_mut_ptr(), buf.len(), &raw mut result) == 0
            && !result.is_null()
            && !grp.gr_name.is_null()
        {
            return std::ffi::CStr::from_ptr(grp.gr_name).to_string_lossy().into_owned();
        }
    }
    gid.to_string()
}

/// The name of user `uid` (its number when it has none).
pub fn user_name(uid: u32) -> String {
    // SAFETY: getpwuid_r writes into buffers we own, sized as passed; the result is read only when
    // the call succeeded and set it.
    unsafe {
        let mut pwd: libc::passwd = std::mem::zeroed();
        let mut buf = vec![0 as libc::c_char; 4096];
        let mut result: *mut libc::passwd = std::ptr::null_mut();
        if libc::getpwuid_r(uid, &raw mut pwd, buf.as_mut_ptr(), buf.len(), &raw mut result) == 0
            && !result.is_null()
            && !pwd.pw_name.is_null()
        {
            return std::ffi::CStr::from_ptr(pwd.pw_name).to_string_lossy().into_owned();
        }
    }
    format!("uid{uid}")
}

/// This machine's name.
pub fn host_name() -> String {
    let mut buf = [0u8; 256];
    // SAFETY: gethostname writes at most `len` bytes into the buffer we own.
    let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
    if rc != 0 {
        return "localhost".into();
    }
    let end = buf.iter().position(|b| *b == 0).unwrap_or(buf.len());
    String::from_utf8_lossy(&buf[..end]).into_owned()
}

/// This process's identity: `operator` as configured (or the Unix user), a fresh session id.
pub fn identity(operator: &str, kind: SessionKind) -> Identity {
    Identity {
        session: format!("{:016x}-{}", fastrand::u64(..), std::process::id()),
        operator: operator.to_string(),
        unix_user: unix_user(),
        host: host_name(),
        pid: std::process::id(),
        kind,
    }
}

enum Msg {
    Presence {
        viewing: Option<i64>,
        drafting: Option<i64>,
    },
    Stop,
}

/// A clone-cheap handle to say what this process reads and drafts.
#[derive(Clone)]
pub struct TeamHandle(std_mpsc::Sender<Msg>);

impl TeamHandle {
    /// The mention open in this console's detail, and the one it drafts an answer to (its
    /// claim), for the others' screens.
    pub fn presence(&self, viewing: Option<i64>, drafting: Option<i64>) {
        let _ = self.0.send(Msg::Presence { viewing, drafting });
    }
}

/// This process in the team: its heartbeat thread. Dropping it (or [`Team::leave`]) leaves at once.
pub struct Team {
    me: Identity,
    tx: Option<std_mpsc::Sender<Msg>>,
    keeper: LeaseKeeper,
    lease: watch::Receiver<LeaseState>,
    presence: watch::Receiver<Vec<Present>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Team {
    /// Join the team on the database at `db` as `me`; with `contend`, compete for the poller lease
    /// (the first attempt is made before this returns, so a caller knows at once whether it polls).
    pub fn join(db: &crate::store::Location, me: Identity, contend: bool) -> Result<Team, StoreError> {
        let mut store = db.open()?;
        let now = Utc::now();
        store.join_team(&me, now)?;
        let mut state = LeaseState::default();
        if contend {
            state = take(&mut store, &me);
        }
        let (lease_tx, lease) = watch::channel(state);
        let lease_tx = std::sync::Arc::new(lease_tx);
        let (presence_tx, presence) = watch::channel(store.present(now).unwrap_or_default());
        let (tx, rx) = std_mpsc::channel();
        let worker = Worker {
            store,
            me: me.clone(),
            contend,
            lease: lease_tx.clone(),
            presence: presence_tx,
            viewing: None,
            drafting: None,
        };
        let thread = std::thread::Builder::new()
            .name("overhear-team".into())
            .spawn(move || worker.run(rx))
            .map_err(|e| StoreError::Group(format!("cannot start the team's heartbeat: {e}")))?;
        Ok(Team {
            me,
            tx: Some(tx),
            keeper: LeaseKeeper(lease_tx),
            lease,
            presence,
            thread: Some(thread),
        })
    }

    pub fn identity(&self) -> &Identity {
        &self.me
    }

    /// The poller lease as last seen.
    pub fn lease(&self) -> watch::Receiver<LeaseState> {
        self.lease.clone()
    }

    /// What lets the poller's writes keep the lease they renew.
    pub fn lease_keeper(&self) -> LeaseKeeper {
        self.keeper.clone()
    }

    /// Who is here, as last read (this process included).
    pub fn presence(&self) -> watch::Receiver<Vec<Present>> {
        self.presence.clone()
    }

    /// A handle to say what this process reads and drafts.
    pub fn handle(&self) -> Option<TeamHandle> {
        self.tx.clone().map(TeamHandle)
    }

    /// Leave now: the session and the lease go at once (another process takes over without
    /// waiting for the lease to expire).
    pub fn leave(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        if let Some(tx) = self.tx.take() {
            let _ = tx.send(Msg::Stop);
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Team {
    fn drop(&mut self) {
        self.stop();
    }
}

struct Worker {
    store: Store,
    me: Identity,
    contend: bool,
    lease: std::sync::Arc<watch::Sender<LeaseState>>,
    presence: watch::Sender<Vec<Present>>,
    viewing: Option<i64>,
    drafting: Option<i64>,
}

impl Worker {
    fn run(mut self, rx: std_mpsc::Receiver<Msg>) {
        let mut last_beat = Instant::now();
        let mut last_lease = Instant::now();
        let mut last_read = Instant::now();
        // What the others see changed and is not written yet.
        let mut pending = false;
        loop {
            let wait = if pending {
                MIN_BEAT.saturating_sub(last_beat.elapsed())
            } else {
                TICK.saturating_sub(last_read.elapsed())
            };
            match rx.recv_timeout(wait) {
                Ok(Msg::Stop) | Err(std_mpsc::RecvTimeoutError::Disconnected) => break,
                Ok(msg) => pending |= self.apply(msg),
                Err(std_mpsc::RecvTimeoutError::Timeout) => {}
            }
            if self.contend && last_lease.elapsed() >= RENEW {
                last_lease = Instant::now();
                self.keep_lease();
            }
            // A change is written soon (at most one write per MIN_BEAT, however fast the keys);
            // otherwise a heartbeat now and then.
            let since = last_beat.elapsed();
            if (pending && since >= MIN_BEAT) || since >= HEARTBEAT {
                last_beat = Instant::now();
                pending = false;
                self.beat();
            }
            if last_read.elapsed() >= TICK {
                last_read = Instant::now();
                self.read_presence();
            }
        }
        if let Err(e) = self.store.leave_team(&self.me.session) {
            tracing::warn!("cannot leave the team's sessions: {e}");
        }
    }

    /// Take a message; whether it changed what the others see.
    fn apply(&mut self, msg: Msg) -> bool {
        match msg {
            Msg::Presence { viewing, drafting } => {
                let changed = (viewing, drafting) != (self.viewing, self.drafting);
                self.viewing = viewing;
                self.drafting = drafting;
                changed
            }
            Msg::Stop => false,
        }
    }

    fn beat(&mut self) {
        let now = Utc::now();
        match self.store.heartbeat(&self.me.session, self.viewing, self.drafting, now) {
            Ok(true) => {}
            // Cleaned away while this process was stopped: join again.
            Ok(false) => {
                if let Err(e) = self
                    .store
                    .join_team(&self.me, now)
                    .and_then(|()| self.store.heartbeat(&self.me.session, self.viewing, self.drafting, now))
                {
                    tracing::warn!("cannot rejoin the team's sessions: {e}");
                }
            }
            Err(e) => tracing::warn!("cannot keep this session fresh: {e}"),
        }
    }

    fn keep_lease(&mut self) {
        if self.lease.borrow().renewed_within(RENEW / 2, Instant::now()) {
            return;
        }
        let held = self.lease.borrow().held_until.is_some();
        let state = if held {
            let asked = Instant::now();
            match self.store.renew_lease(POLLER, &self.me.session, LEASE_TTL, Utc::now()) {
                Ok(true) => LeaseState {
                    held_until: Some(asked + LEASE_TTL - MARGIN),
                    holder: None,
                },
                Ok(false) => {
                    tracing::warn!("the poller lease was taken over by another process: polling stops here");
                    take(&mut self.store, &self.me)
                }
                // Not renewed: it stays ours locally until it runs out, then polling stops.
                Err(e) => {
                    tracing::warn!("cannot renew the poller lease: {e}");
                    return;
                }
            }
        } else {
            take(&mut self.store, &self.me)
        };
        self.lease.send_if_modified(|s| {
            let changed = s.held_until.is_some() != state.held_until.is_some() || s.holder != state.holder;
            *s = state;
            changed
        });
    }

    fn read_presence(&mut self) {
        match self.store.present(Utc::now()) {
            Ok(mut now) => {
                // A session whose process has ended on this machine is gone now, not in 15 s.
                let ended: Vec<String> = now
                    .iter()
                    .filter(|p| gone(&p.host, p.pid))
                    .map(|p| p.session.clone())
                    .collect();
                if !ended.is_empty() {
                    now.retain(|p| !ended.contains(&p.session));
                    if let Err(e) = self.store.forget_sessions(&ended) {
                        tracing::debug!("cannot forget ended sessions: {e}");
                    }
                }
                self.presence.send_if_modified(|p| {
                    let changed = !same_presence(p, &now);
                    *p = now;
                    changed
                });
            }
            Err(e) => tracing::debug!("cannot read who is here: {e}"),
        }
    }
}

/// Whether two readings say the same (heartbeat times aside).
fn same_presence(a: &[Present], b: &[Present]) -> bool {
    a.len() == b.len()
        && a.iter().zip(b).all(|(x, y)| {
            (&x.session, x.viewing, x.drafting, &x.operator) == (&y.session, y.viewing, y.drafting, &y.operator)
        })
}

/// Whether the process `pid` of a session on this machine has ended (then its lease and presence
/// are void at once, not after they expire). A pid taken again by another process reads as
/// alive: the lease then expires the slow way, which is safe.
pub fn gone(host: &str, pid: u32) -> bool {
    // This machine's name, asked once (this runs for every session, every second).
    static HERE: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    if host != HERE.get_or_init(host_name) || pid == std::process::id() {
        return false;
    }
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return false;
    };
    // SAFETY: kill with signal 0 sends nothing; it only asks whether the process exists.
    let rc = unsafe { libc::kill(pid, 0) };
    rc != 0 && std::io::Error::last_os_error().raw_os_error() == Some(libc::ESRCH)
}

/// Try the lease once. A holder on this machine whose process has ended (killed, crashed) loses it
/// at once.
fn take(store: &mut Store, me: &Identity) -> LeaseState {
    if let Ok(Some(h)) = store.lease(POLLER)
        && h.session != me.session
        && gone(&h.host, h.pid)
    {
        tracing::info!(pid = h.pid, "the poller lease's holder has ended: taking it over");
        if let Err(e) = store.release_lease(POLLER, &h.session) {
            tracing::warn!("cannot clear the ended holder's lease: {e}");
        }
    }
    let asked = Instant::now();
    match store.take_lease(POLLER, me, LEASE_TTL, Utc::now()) {
        Ok(Lease::Held { .. }) => LeaseState {
            held_until: Some(asked + LEASE_TTL - MARGIN),
            holder: None,
        },
        Ok(Lease::Taken(h)) => LeaseState {
            held_until: None,
            holder: Some(h),
        },
        Err(e) => {
            tracing::warn!("cannot take the poller lease: {e}");
            LeaseState::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_write_that_renewed_the_lease_keeps_it_held_locally_and_only_if_held() {
        let dir = tempfile::tempdir().unwrap();
        let at = crate::store::Location::File(dir.path().join("t.db"));
        let holder = Team::join(&at, identity("alice", SessionKind::Poll), true).unwrap();
        let lease = holder.lease();
        let was = lease.borrow().held_until.expect("the first to ask holds it");
        let later = Instant::now() + Duration::from_secs(30);
        holder.lease_keeper().renewed(later);
        assert_eq!(lease.borrow().held_until, Some(later + LEASE_TTL - MARGIN));
        holder.lease_keeper().renewed(Instant::now());
        assert!(
            lease.borrow().held_until > Some(was),
            "an older renewal never shortens it"
        );
        // Renewed this instant: the heartbeat leaves it be; renewed by the heartbeat a beat ago
        // (`RENEW`), it renews it again.
        let now = Instant::now();
        let fresh = LeaseState {
            held_until: Some(now + LEASE_TTL - MARGIN),
            holder: None,
        };
        assert!(fresh.renewed_within(RENEW / 2, now));
        let beat_ago = LeaseState {
            held_until: Some(now - RENEW + LEASE_TTL - MARGIN),
            holder: None,
        };
        assert!(!beat_ago.renewed_within(RENEW / 2, now));
        assert!(!LeaseState::default().renewed_within(RENEW / 2, now));
        // Another process, which does not hold it: a renewal it never made is not taken as one.
        let other = Team::join(&at, identity("bob", SessionKind::Poll), true).unwrap();
        assert_eq!(other.lease().borrow().held_until, None);
        other.lease_keeper().renewed(later);
        assert_eq!(other.lease().borrow().held_until, None);
    }
}
