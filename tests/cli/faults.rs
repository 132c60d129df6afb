//! The machine fails under overhear: a full disk, a database a teammate may only read, a lock held
//! by another process for longer than anyone should wait. Each is said in words, and nothing stored
//! before is lost.

use crate::common::env::{Env, stderr, stdout};
use crate::common::server::{FixtureServer, Response};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

/// An RSS feed of `n` items from `start`, each with `pad` bytes of text.
fn feed(start: usize, n: usize, pad: usize) -> Vec<u8> {
    let body = "lorem ipsum dolor sit amet ".repeat(pad / 27 + 1);
    let mut s = String::from("<rss version=\"2.0\"><channel><title>t</title>");
    for i in start..start + n {
        s.push_str(&format!(
            "<item><guid>g-{i}</guid><title>Item {i} about acme</title><description>{body} {i}</description></item>"
        ));
    }
    s.push_str("</channel></rss>");
    s.into_bytes()
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

/// A tmpfs of `size` mounted on `dir`, unmounted on drop.
struct SmallDisk(PathBuf);

impl SmallDisk {
    fn mount(dir: &Path, size: &str) -> Option<SmallDisk> {
        std::fs::create_dir_all(dir).unwrap();
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size},mode=0700"), "overhear-test"])
            .arg(dir)
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false);
        ok.then(|| SmallDisk(dir.to_path_buf()))
    }

    /// Write a filler file until the disk says it is full.
    fn fill(&self) -> PathBuf {
        use std::io::Write;
        let path = self.0.join("filler");
        let mut f = std::fs::File::create(&path).unwrap();
        let block = vec![0u8; 4096];
        loop {
            match f.write(&block) {
                Ok(0) => break,
                Ok(_) => {}
                Err(e) => {
                    assert_eq!(e.raw_os_error(), Some(libc::ENOSPC), "{e}");
                    break;
                }
            }
        }
        let _ = f.sync_all();
        path
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

#[test]
fn a_full_disk_is_said_in_words_and_loses_nothing() {
    if !is_root() {
        eprintln!("a_full_disk_is_said_in_words_and_loses_nothing: not run, mounting a small disk needs root");
        return;
    }
    let s = FixtureServer::start();
    s.route("/feed", Response::ok(feed(0, 50, 200)));
    let mut env = Env::with_config(&format!(
        "[[feed]]\nname = \"blog\"\nkind = \"rss\"\nurl = \"{}\"\n",
        s.url("/feed")
    ));
    let Some(disk) = SmallDisk::mount(&env.path().join("disk"), "3m") else {
        eprintln!("a_full_disk_is_said_in_words_and_loses_nothing: not run, this machine cannot mount a tmpfs");
        return;
    };
    env.set_db(disk.0.join("overhear.db"));
    let out = env.run(&["poll", "--once"]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    assert_eq!(env.sql::<i64>("SELECT count(*) FROM mentions"), 50);
    // A triage change and a draft, to be kept through what follows.
    assert!(env.run(&["mark", "1", "open"]).status.success());

    let filler = disk.fill();
    // Far more than the disk can take: the poll cannot be written.
    s.route("/feed", Response::ok(feed(0, 3000, 600)));
    let out = env.run(&["poll", "--once"]);
    let said = format!("{}{}", stdout(&out), stderr(&out));
    assert!(
        !out.status.success(),
        "a poll that could not be stored exits non-zero: {said}"
    );
    assert!(
        said.contains("disk holding the database is full"),
        "said in words: {said}"
    );
    assert!(!said.contains("database or disk is full"), "not SQLite's words: {said}");
    // Read-only commands still serve, and what was stored before is all there.
    let feeds = env.run(&["feeds"]);
    assert!(feeds.status.success(), "{}", stderr(&feeds));
    let mark = env.run(&["mark", "2", "ignored"]);
    // A one-row change may still fit in the pages SQLite keeps free; either way it is whole.
    if !mark.status.success() {
        assert!(
            stderr(&mark).contains("disk holding the database is full"),
            "{}",
            stderr(&mark)
        );
    }

    std::fs::remove_file(filler).unwrap();
    assert_eq!(env.sql::<String>("PRAGMA integrity_check"), "ok");
    assert_eq!(env.sql::<i64>("SELECT count(*) FROM mentions"), 50, "nothing lost");
    assert_eq!(env.sql::<String>("SELECT status FROM mentions WHERE id = 1"), "open");
    // With room again, the next poll takes what the full disk refused.
    s.route("/feed", Response::ok(feed(0, 1000, 600)));
    let out = env.run(&["poll", "--once"]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    assert_eq!(env.sql::<i64>("SELECT count(*) FROM mentions"), 1000);
    drop(disk);
}

#[test]
fn a_teammate_who_may_only_read_the_database_can_read_it() {
    if !is_root() {
        eprintln!("a_teammate_who_may_only_read_the_database_can_read_it: not run, acting as a second user needs root");
        return;
    }
    let s = FixtureServer::start();
    s.route("/feed", Response::ok(feed(0, 20, 50)));
    let env = Env::with_config(&format!(
        "[[feed]]\nname = \"blog\"\nkind = \"rss\"\nurl = \"{}\"\n",
        s.url("/feed")
    ));
    let out = env.run(&["poll", "--once"]);
    assert!(out.status.success(), "{}", stderr(&out));
    // The owner lets others read the directory, the database and the config, nothing more.
    for p in [env.path().to_path_buf(), env.path().join("home")] {
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let side = |end: &str| PathBuf::from(format!("{}{end}", env.db().display()));
    for p in [env.db(), side("-wal"), side("-shm"), env.config_path()] {
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644))
            .unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    }
    let theirs = tempfile::tempdir().unwrap();
    std::fs::set_permissions(theirs.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
    // `nobody`: uid and gid 65534 on Debian.
    let as_nobody = |args: &[&str]| {
        let mut c = Command::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"]);
        let inner = env.command(args);
        c.arg(inner.get_program())
            .args(inner.get_args())
            .current_dir(theirs.path());
        for (k, v) in inner.get_envs() {
            match v {
                Some(v) => c.env(k, v),
                None => c.env_remove(k),
            };
        }
        let home = theirs.path().display().to_string();
        c.env("HOME", &home)
            .env("XDG_STATE_HOME", format!("{home}/state"))
            .env("XDG_DATA_HOME", format!("{home}/data"))
            .env("XDG_CONFIG_HOME", format!("{home}/config"))
            .env("USER", "bob")
            .env("LOGNAME", "bob");
        c.output().unwrap()
    };
    let feeds = as_nobody(&["feeds"]);
    assert!(feeds.status.success(), "feeds: {}", stderr(&feeds));
    assert!(stdout(&feeds).contains("blog"), "{}", stdout(&feeds));
    let export = as_nobody(&["export", "--format", "jsonl"]);
    assert!(export.status.success(), "export: {}", stderr(&export));
    assert_eq!(stdout(&export).lines().count(), 20, "{}", stdout(&export));
    let stats = as_nobody(&["stats", "--days", "7"]);
    assert!(stats.status.success(), "stats: {}", stderr(&stats));
    // A change is refused in words, and nothing is changed.
    let mark = as_nobody(&["mark", "1", "ignored"]);
    assert!(!mark.status.success());
    assert!(stderr(&mark).contains("read-only"), "{}", stderr(&mark));
    assert!(
        !stderr(&mark).contains("attempt to write a readonly database"),
        "{}",
        stderr(&mark)
    );
    assert_eq!(env.sql::<String>("SELECT status FROM mentions WHERE id = 1"), "new");
}

#[test]
fn a_lock_held_past_every_retry_is_said_and_changes_nothing() {
    let s = FixtureServer::start();
    s.route("/feed", Response::ok(feed(0, 5, 10)));
    let env = Env::with_config(&format!(
        "[[feed]]\nname = \"blog\"\nkind = \"rss\"\nurl = \"{}\"\n",
        s.url("/feed")
    ))
    .var("OVERHEAR_TEST_BUSY_MS", "100");
    assert!(env.run(&["poll", "--once"]).status.success());
    // Another process holds the write lock for the whole command.
    let holder = rusqlite::Connection::open(env.db()).unwrap();
    holder
        .execute_batch("BEGIN IMMEDIATE; UPDATE feeds SET cursor = cursor;")
        .unwrap();
    let mark = env.run(&["mark", "1", "ignored"]);
    assert!(!mark.status.success());
    let said = stderr(&mark);
    assert!(
        said.contains("another overhear process kept the database busy"),
        "{said}"
    );
    assert!(!said.contains("database is locked"), "not SQLite's words: {said}");
    holder.execute_batch("ROLLBACK").unwrap();
    assert_eq!(env.sql::<String>("SELECT status FROM mentions WHERE id = 1"), "new");
    // Once the lock is gone the same command works.
    assert!(env.run(&["mark", "1", "ignored"]).status.success());
    assert_eq!(env.sql::<String>("SELECT status FROM mentions WHERE id = 1"), "ignored");
}
