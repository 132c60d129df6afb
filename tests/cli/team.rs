//! A team on one database: several real processes, one poller at a time by lease, and what the
//! others are told.

use crate::common::env::{Env, stderr, stdout};
use crate::common::server::{FixtureServer, Response};
use crate::common::{timeout, wait_until};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

const FEED: &str = "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>t</title>\
    <item><guid>one</guid><title>acme is down again?</title></item></channel></rss>";

/// Which poller (the `p` of its feed's URL) made each request to /feed, in arrival order, with when.
fn pollers(s: &FixtureServer) -> Vec<(usize, Instant)> {
    s.requests_to("/feed")
        .iter()
        .map(|r| (r.query_param("p").unwrap().parse().unwrap(), r.at))
        .collect()
}

fn signal(child: &Child, sig: libc::c_int) {
    // SAFETY: kill sends a signal to a child this test started and still holds.
    assert_eq!(unsafe { libc::kill(child.id() as libc::pid_t, sig) }, 0);
}

/// Three `overhear poll` services on one database, each with its own config (the feed's URL says
/// which one fetched it): exactly one polls at any time, in the server's request log. Killed with
/// SIGKILL, the holder's lease moves within 10 s; stopped (SIGSTOP) past its lease, another takes
/// over, and once resumed the stopped one polls no more.
/// An environment on SQLite, or on a new database of the PostgreSQL server at `pg`.
fn env_on(pg: Option<&str>) -> Env {
    let mut env = Env::new();
    if let Some(admin) = pg {
        env.use_postgres(admin);
    }
    env
}

/// Whether another process could write now (none holds the database's write lock: SQLite's, or
/// the advisory lock PostgreSQL's writers take turns by).
fn writers_free(env: &Env) -> bool {
    match env.postgres() {
        Some(pg) => {
            let mut c = pg.client();
            let mut tx = c.transaction().unwrap();
            let free: bool = tx
                .query_one("SELECT pg_try_advisory_xact_lock(7477656172)", &[])
                .unwrap()
                .get(0);
            tx.rollback().unwrap();
            free
        }
        None => {
            let db = env.open_db();
            db.busy_timeout(Duration::from_millis(500)).unwrap();
            db.execute_batch("BEGIN IMMEDIATE; ROLLBACK;").is_ok()
        }
    }
}

#[test]
fn one_poller_at_a_time_and_the_lease_moves_when_its_holder_dies_or_stalls() {
    one_poller_at_a_time(None);
}

/// The same on PostgreSQL: each process with its own connection; the holder's killed with its
/// connection dropped.
#[test]
fn one_poller_at_a_time_on_postgres() {
    if let Some(admin) = crate::common::pg::server() {
        one_poller_at_a_time(Some(&admin));
    }
}

fn one_poller_at_a_time(pg: Option<&str>) {
    let s = FixtureServer::start();
    s.route("/feed", Response::ok(FEED));
    let env = env_on(pg);
    let db = env.db().display().to_string();
    let mut children: Vec<Option<Child>> = (0..3)
        .map(|p| {
            let config = env.file(
                &format!("p{p}.toml"),
                &format!(
                    "[[feed]]\nname = \"f\"\nkind = \"rss\"\nurl = \"{}?p={p}\"\nevery = \"1s\"\n",
                    s.url("/feed")
                ),
            );
            let child = env
                .bare_command(&["--config", &config.display().to_string(), "--db", &db, "poll"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            // One after the other, so the first is the first holder.
            std::thread::sleep(Duration::from_millis(300));
            Some(child)
        })
        .collect();
    let polled_by = |n: usize| move |s: &FixtureServer| pollers(s).len() >= n;
    assert!(wait_until(timeout(10), || polled_by(4)(&s)), "nobody polls");
    let first = pollers(&s)[0].0;
    std::thread::sleep(Duration::from_secs(2));
    assert!(pollers(&s).iter().all(|(p, _)| *p == first), "{:?}", pollers(&s));

    // kill -9: another takes over within 10 s (on one machine, as soon as it sees the holder gone).
    let killed = Instant::now();
    let mut holder = children[first].take().unwrap();
    holder.kill().unwrap();
    holder.wait().unwrap();
    let moved = || pollers(&s).iter().any(|(p, _)| *p != first);
    assert!(wait_until(timeout(12), moved), "the lease never moved");
    let (second, at) = pollers(&s).into_iter().find(|(p, _)| *p != first).unwrap();
    let took = at.duration_since(killed);
    assert!(took < Duration::from_secs(10), "took {took:?}");

    // SIGSTOP past the lease: the third takes over; resumed, the second polls no more.
    // (Stopped inside a write transaction, a process keeps SQLite's write lock until resumed and
    // nobody can take over meanwhile: SQLite itself never lets two write. The test stops it
    // between writes, as a pause would most of the time.)
    let paused = children[second].as_ref().unwrap();
    loop {
        std::thread::sleep(Duration::from_millis(300));
        signal(paused, libc::SIGSTOP);
        std::thread::sleep(Duration::from_millis(100));
        if writers_free(&env) {
            break;
        }
        signal(paused, libc::SIGCONT);
    }
    let third = 3 - first - second;
    let third_polls = || pollers(&s).iter().any(|(p, _)| *p == third);
    assert!(
        wait_until(timeout(15), third_polls),
        "the lease never moved from a stopped holder"
    );
    std::thread::sleep(Duration::from_secs(1));
    signal(paused, libc::SIGCONT);
    let resumed = Instant::now();
    std::thread::sleep(Duration::from_secs(4));
    let log = pollers(&s);
    assert!(
        log.iter().all(|(p, at)| *p != second || *at < resumed),
        "the resumed holder polled again: {:?}",
        log.iter().map(|(p, _)| p).collect::<Vec<_>>()
    );
    assert!(log.iter().filter(|(p, at)| *p == third && *at > resumed).count() >= 2);
    // Never two at once: the log is three runs, one per holder, in the order the lease went.
    let mut runs: Vec<usize> = log.iter().map(|(p, _)| *p).collect();
    runs.dedup();
    assert_eq!(runs, vec![first, second, third]);

    for child in children.iter_mut().flatten() {
        signal(child, libc::SIGTERM);
        child.wait().unwrap();
    }
    // Every one left: no session and no lease remain.
    assert_eq!(env.sql::<i64>("SELECT count(*) FROM leases"), 0);
    assert_eq!(env.sql::<i64>("SELECT count(*) FROM sessions"), 0);
}

/// A feed served on 127.0.0.1, and `overhear poll` running as a service on it, past its first poll.
fn polling_service(pg: Option<&str>) -> (FixtureServer, Env, Child) {
    let s = FixtureServer::start();
    s.route("/feed", Response::ok(FEED));
    let env = env_on(pg);
    env.config(&format!(
        "[[feed]]\nname = \"f\"\nkind = \"rss\"\nurl = \"{}?p=0\"\nevery = \"1h\"\n",
        s.url("/feed")
    ));
    let service = env
        .command(&["poll"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    assert!(wait_until(timeout(10), || !s.requests_to("/feed").is_empty()));
    (s, env, service)
}

/// `poll --once` while another process holds the lease says who polls and polls nothing; once the
/// holder exits, the lease is released at once and the next `poll --once` polls.
#[test]
fn poll_once_defers_to_the_holder_and_an_exit_releases_the_lease_at_once() {
    poll_once_defers(None);
}

#[test]
fn poll_once_defers_on_postgres() {
    if let Some(admin) = crate::common::pg::server() {
        poll_once_defers(Some(&admin));
    }
}

fn poll_once_defers(pg: Option<&str>) {
    let (s, env, mut service) = polling_service(pg);
    let out = env.run_with(&["poll", "--once"], &[("OVERHEAR_OPERATOR", "bob")]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("not polling: alice's `overhear poll` (pid"),
        "{}",
        stderr(&out)
    );
    assert_eq!(s.requests_to("/feed").len(), 1, "bob's poll fetched nothing");
    signal(&service, libc::SIGTERM);
    service.wait().unwrap();
    let out = env.run_with(&["poll", "--once"], &[("OVERHEAR_OPERATOR", "bob")]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("f  ok"), "{}", stdout(&out));
    assert_eq!(s.requests_to("/feed").len(), 2);
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

/// A Unix group and users made for one test, removed when it ends.
struct Accounts {
    group: String,
    users: Vec<String>,
}

impl Accounts {
    fn make(tag: &str) -> Accounts {
        let group = format!("ovh{tag}");
        let run = |args: &[&str]| {
            let out = std::process::Command::new(args[0]).args(&args[1..]).output().unwrap();
            assert!(
                out.status.success(),
                "{args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        };
        run(&["groupadd", &group]);
        let mut a = Accounts {
            group: group.clone(),
            users: Vec::new(),
        };
        for (name, in_group) in [(format!("ovb{tag}"), true), (format!("ovc{tag}"), false)] {
            let mut args = vec!["useradd", "--no-create-home", "--shell", "/usr/sbin/nologin"];
            if in_group {
                args.extend(["--groups", group.as_str()]);
            }
            args.push(&name);
            run(&args);
            a.users.push(name);
        }
        a
    }

    fn id(&self, flag: &str, name: &str) -> u32 {
        let out = std::process::Command::new("id").args([flag, name]).output().unwrap();
        String::from_utf8_lossy(&out.stdout).trim().parse().unwrap()
    }

    fn gid(&self) -> u32 {
        let out = std::process::Command::new("getent")
            .args(["group", &self.group])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout)
            .split(':')
            .nth(2)
            .unwrap()
            .trim()
            .parse()
            .unwrap()
    }
}

impl Drop for Accounts {
    fn drop(&mut self) {
        for u in &self.users {
            let _ = std::process::Command::new("userdel").arg(u).output();
        }
        let _ = std::process::Command::new("groupdel").arg(&self.group).output();
    }
}

/// As root: a team directory (setgid, the team's group), the database created in it by one
/// teammate is the group's to read and write and nobody else's; a second user in the group reads
/// and writes it; a third, outside the group, is refused in words that say what to ask for; and
/// `overhear doctor` says all is well, then names what a wrong `chmod` broke.
#[test]
#[expect(clippy::too_many_lines, reason = "one team's set-up, then each teammate in turn")]
fn a_team_database_is_the_groups_and_nobody_elses() {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    if !is_root() {
        eprintln!("a_team_database_is_the_groups_and_nobody_elses: not run, making Unix users needs root");
        return;
    }
    let tag = format!("{:x}", std::process::id() % 0xfffff);
    let accounts = Accounts::make(&tag);
    let (bob, carol) = (accounts.users[0].clone(), accounts.users[1].clone());
    let s = FixtureServer::start();
    s.route("/feed", Response::ok(FEED));
    let env = Env::with_config(&format!(
        "[[feed]]\nname = \"f\"\nkind = \"rss\"\nurl = \"{}?p=0\"\n",
        s.url("/feed")
    ));
    // The shared place: reachable by all, the team directory the group's (setgid).
    let srv = tempfile::tempdir().unwrap();
    std::fs::set_permissions(srv.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let team = srv.path().join("team");
    std::fs::create_dir(&team).unwrap();
    std::os::unix::fs::chown(&team, None, Some(accounts.gid())).unwrap();
    std::fs::set_permissions(&team, std::fs::Permissions::from_mode(0o2770)).unwrap();
    let config = srv.path().join("team.toml");
    std::fs::write(
        &config,
        format!(
            "database = \"team/team.db\"\n\n[[feed]]\nname = \"f\"\nkind = \"rss\"\nurl = \"{}?p=0\"\n",
            s.url("/feed")
        ),
    )
    .unwrap();
    std::fs::set_permissions(&config, std::fs::Permissions::from_mode(0o644)).unwrap();
    let config = config.display().to_string();
    let db = team.join("team.db");

    // Root, as the first teammate, creates the database through the config's `database`.
    let out = env
        .bare_command(&["--config", &config, "poll", "--once"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    for end in ["", "-wal", "-shm"] {
        let p = std::path::PathBuf::from(format!("{}{end}", db.display()));
        let m = std::fs::metadata(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        assert_eq!(m.permissions().mode() & 0o777, 0o660, "{}", p.display());
        assert_eq!(m.gid(), accounts.gid(), "{}", p.display());
    }
    let home = tempfile::tempdir().unwrap();
    std::fs::set_permissions(home.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
    let as_user = |user: &str, in_group: bool, args: &[&str]| {
        let mut c = std::process::Command::new("setpriv");
        let uid = accounts.id("-u", user);
        let gid = accounts.id("-g", user);
        let groups = if in_group {
            accounts.gid().to_string()
        } else {
            gid.to_string()
        };
        c.args([
            format!("--reuid={uid}"),
            format!("--regid={gid}"),
            format!("--groups={groups}"),
            "--".to_string(),
        ]);
        let inner = env.bare_command(&[]);
        c.arg(inner.get_program()).args(["--config", &config]).args(args);
        for (k, v) in inner.get_envs() {
            match v {
                Some(v) => c.env(k, v),
                None => c.env_remove(k),
            };
        }
        let h = home.path().join(user);
        let h = h.display().to_string();
        c.env("HOME", &h)
            .env("XDG_STATE_HOME", format!("{h}/state"))
            .env("XDG_DATA_HOME", format!("{h}/data"))
            .env("XDG_CONFIG_HOME", format!("{h}/config"))
            .env_remove("OVERHEAR_OPERATOR")
            .current_dir(home.path());
        c.output().unwrap()
    };
    // Bob, in the group: reads, triages (recorded as his Unix user), and finds all well.
    let out = as_user(&bob, true, &["mark", "1", "open"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains(&format!("marked open by {bob}")),
        "{}",
        stdout(&out)
    );
    let out = as_user(&bob, true, &["doctor"]);
    assert!(
        stdout(&out).contains(&format!("files: group {} may read and write them", accounts.group)),
        "{}",
        stdout(&out)
    );
    assert!(!stdout(&out).contains("FAIL  files"), "{}", stdout(&out));
    // Carol, outside it: refused, told what to ask for, nothing changed.
    let out = as_user(&carol, false, &["feeds"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains(&format!("ask an admin to add you to group {}", accounts.group))
            || stderr(&out).contains(&format!("Ask an admin to add you to group {}", accounts.group)),
        "{}",
        stderr(&out)
    );
    // A wrong chmod: doctor names it and the command that fixes it, and exits 1.
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o664)).unwrap();
    let out = as_user(&bob, true, &["doctor"]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(stdout(&out).contains("may be read by anyone"), "{}", stdout(&out));
    assert!(stdout(&out).contains("chmod o-rwx"), "{}", stdout(&out));
}

/// `overhear doctor` on a healthy set-up while a service polls says who polls and who is here,
/// and exits 0; with a failing feed and nobody polling, it says both and exits 1.
#[test]
fn doctor_says_what_is_well_and_what_to_do() {
    let (s, env, mut service) = polling_service(None);
    let out = env.run(&["doctor"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    let text = stdout(&out);
    assert!(text.contains("ok    poller: alice's `overhear poll` (pid"), "{text}");
    assert!(text.contains("here now: alice (poll, pid"), "{text}");
    assert!(text.contains("integrity_check ok"), "{text}");
    assert!(text.contains("All is well."), "{text}");
    signal(&service, libc::SIGTERM);
    service.wait().unwrap();
    s.route("/feed", Response::ok("not a feed").status(500));
    let out = env.run(&["poll", "--once"]);
    assert_eq!(out.status.code(), Some(1));
    let out = env.run(&["doctor"]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let text = stdout(&out);
    assert!(text.contains("FAIL  poller: nobody polls"), "{text}");
    assert!(text.contains("FAIL  feed f: failed 1 time in a row"), "{text}");
    assert!(text.contains("2 problems above."), "{text}");
}

/// Eight teammates triage the same mentions at once, each from their own processes: no command
/// fails or says "database is locked", and every change is recorded exactly once, by whoever made it.
#[test]
fn concurrent_triage_of_the_same_mentions_records_every_action_once() {
    concurrent_triage(None);
}

#[test]
fn concurrent_triage_on_postgres_records_every_action_once() {
    if let Some(admin) = crate::common::pg::server() {
        concurrent_triage(Some(&admin));
    }
}

fn concurrent_triage(pg: Option<&str>) {
    let s = FixtureServer::start();
    let items: String = (0..10)
        .map(|i| format!("<item><guid>g{i}</guid><title>acme {i}</title></item>"))
        .collect();
    s.route(
        "/feed",
        Response::ok(format!("<rss version=\"2.0\"><channel>{items}</channel></rss>")),
    );
    let env = env_on(pg);
    env.config(&format!(
        "[[feed]]\nname = \"f\"\nkind = \"rss\"\nurl = \"{}?p=0\"\n",
        s.url("/feed")
    ));
    assert!(env.run(&["poll", "--once"]).status.success());
    let ids: Vec<String> = env
        .rows("SELECT id FROM mentions ORDER BY id")
        .into_iter()
        .map(|r| r[0].clone())
        .collect();
    let statuses = ["open", "escalated", "ignored", "new"];
    let changed: Vec<(String, usize)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..8)
            .map(|t| {
                let (env, ids) = (&env, &ids);
                scope.spawn(move || {
                    let op = format!("op{t}");
                    let mut changed = 0;
                    for round in 0..3 {
                        for (i, id) in ids.iter().enumerate() {
                            let status = statuses[(t + i + round) % statuses.len()];
                            let out = env.run(&["--operator", &op, "mark", id, status]);
                            assert!(out.status.success(), "{op} mark {id} {status}: {}", stderr(&out));
                            assert!(!stderr(&out).contains("locked"), "{}", stderr(&out));
                            if stdout(&out).contains(" marked ") {
                                changed += 1;
                            }
                        }
                    }
                    (op, changed)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for (op, n) in &changed {
        let recorded: i64 = env.sql(&format!(
            "SELECT count(*) FROM actions WHERE actor = '{op}' AND action = 'status'"
        ));
        assert_eq!(recorded, *n as i64, "{op}: {n} changes said, {recorded} recorded");
    }
    // Each mention's history replays to its status: no change was lost or doubled.
    for id in &ids {
        let last: String = env.sql(&format!(
            "SELECT coalesce((SELECT to_value FROM actions WHERE mention_id = {id} AND action = 'status' ORDER BY id DESC LIMIT 1), 'new')"
        ));
        let now: String = env.sql(&format!("SELECT status FROM mentions WHERE id = {id}"));
        assert_eq!(last, now, "mention {id}");
        let chain = env.rows(&format!(
            "SELECT from_value, to_value FROM actions WHERE mention_id = {id} AND action = 'status' ORDER BY id"
        ));
        for pair in chain.windows(2) {
            assert_eq!(
                pair[0][1], pair[1][0],
                "mention {id}: each change starts where the last ended"
            );
        }
    }
}
