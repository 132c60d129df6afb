//! One environment for every integration test: a temp directory holding an isolated home, the
//! config file and the database, and the binary run in it — as a plain process
//! ([`Env::run`], [`Env::command`]) or as a console in a real pseudo-terminal ([`Env::console`]).
//!
//! Every process started here gets the same isolation: `HOME` and the XDG config, data, state and
//! cache homes inside the temp dir (nothing read from or written to the user's files), the user
//! `alice`, `TZ=UTC`, `TERM=xterm-256color`, the temp dir as its working directory, and none of
//! the variables overhear reads that a developer's shell may have set (`OVERHEAR_*`, `EDITOR`,
//! `VISUAL`, `NO_COLOR`). A test adds its own variables with [`Env::var`] (every process) or per
//! command.

use super::pty::{CommandBuilder, Term};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_overhear");

/// Variables overhear reads that must not leak in from the shell running the tests.
const REMOVED: &[&str] = &[
    "OVERHEAR_CONFIG",
    "OVERHEAR_DB",
    "OVERHEAR_LOG",
    "OVERHEAR_TEST_PANIC",
    "OVERHEAR_TEST_PARSER_PANIC",
    "OVERHEAR_TEST_BUSY_MS",
    "EDITOR",
    "VISUAL",
    "NO_COLOR",
];

pub struct Env {
    dir: tempfile::TempDir,
    /// Set for every process, after the isolation (so a test may override it).
    vars: Vec<(String, String)>,
    /// The database, when not `overhear.db` in the temp dir.
    db: Option<PathBuf>,
    /// A PostgreSQL database of this environment's own, when its database is one.
    pg: Option<super::pg::Db>,
}

impl Default for Env {
    fn default() -> Env {
        Env::new()
    }
}

impl Env {
    /// A fresh temp dir with an empty home; no config file yet.
    pub fn new() -> Env {
        let dir = tempfile::Builder::new()
            .prefix("overhear-test-")
            .tempdir()
            .expect("create a temp dir");
        std::fs::create_dir(dir.path().join("home")).expect("create the home dir");
        Env {
            dir,
            vars: Vec::new(),
            db: None,
            pg: None,
        }
    }

    /// A fresh environment whose `config.toml` holds `text`.
    pub fn with_config(text: &str) -> Env {
        let env = Env::new();
        env.config(text);
        env
    }

    /// Set `name` for every process this environment starts from now on.
    pub fn var(mut self, name: &str, value: &str) -> Env {
        self.set_var(name, value);
        self
    }

    /// Set `name` for every process this environment starts from now on.
    pub fn set_var(&mut self, name: &str, value: &str) {
        self.vars.retain(|(k, _)| k != name);
        self.vars.push((name.to_string(), value.to_string()));
    }

    /// The temp dir: the working directory of every process.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// `$HOME`.
    pub fn home(&self) -> PathBuf {
        self.path().join("home")
    }

    /// The config file passed with `--config`.
    pub fn config_path(&self) -> PathBuf {
        self.path().join("config.toml")
    }

    /// Write the config file; its path.
    pub fn config(&self, text: &str) -> PathBuf {
        self.file("config.toml", text)
    }

    /// The database passed with `--db`.
    pub fn db(&self) -> PathBuf {
        self.db.clone().unwrap_or_else(|| self.path().join("overhear.db"))
    }

    /// Work on a new PostgreSQL database on the server at `admin` from now on: every command
    /// and console gets its URL as `--db`, [`Env::sql`] and [`Env::rows`] read it.
    pub fn use_postgres(&mut self, admin: &str) {
        let db = super::pg::Db::new(admin);
        self.db = Some(PathBuf::from(&db.url));
        self.pg = Some(db);
    }

    /// This environment's PostgreSQL database, when it works on one.
    pub fn postgres(&self) -> Option<&super::pg::Db> {
        self.pg.as_ref()
    }

    /// Pass `path` with `--db` from now on.
    pub fn set_db(&mut self, path: PathBuf) {
        self.db = Some(path);
    }

    /// Write a file in the temp dir; its path.
    pub fn file(&self, name: &str, contents: &str) -> PathBuf {
        let path = self.path().join(name);
        std::fs::write(&path, contents).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
        path
    }

    /// The variables every process gets: `None` removes one.
    fn environment(&self) -> Vec<(String, Option<String>)> {
        let home = self.home();
        let under_home = |rel: &str| Some(home.join(rel).display().to_string());
        let mut vars: Vec<(String, Option<String>)> = REMOVED.iter().map(|k| (k.to_string(), None)).collect();
        vars.extend([
            ("HOME".to_string(), Some(home.display().to_string())),
            ("XDG_CONFIG_HOME".to_string(), under_home(".config")),
            ("XDG_DATA_HOME".to_string(), under_home(".local/share")),
            ("XDG_STATE_HOME".to_string(), under_home(".local/state")),
            ("XDG_CACHE_HOME".to_string(), under_home(".cache")),
            ("USER".to_string(), Some("alice".to_string())),
            ("LOGNAME".to_string(), Some("alice".to_string())),
            // The operator is the Unix user (from the uid); the tests act as alice.
            ("OVERHEAR_OPERATOR".to_string(), Some("alice".to_string())),
            ("TZ".to_string(), Some("UTC".to_string())),
            ("TERM".to_string(), Some("xterm-256color".to_string())),
        ]);
        vars.extend(self.vars.iter().map(|(k, v)| (k.clone(), Some(v.clone()))));
        vars
    }

    /// The binary with `args` and nothing else (no `--config`, no `--db`), isolated.
    pub fn bare_command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(BIN);
        c.args(args).current_dir(self.path());
        for (k, v) in self.environment() {
            match v {
                Some(v) => c.env(k, v),
                None => c.env_remove(k),
            };
        }
        c
    }

    /// The binary with this environment's `--config` and `--db`, then `args`, isolated.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut c = self.bare_command(&[]);
        c.arg("--config")
            .arg(self.config_path())
            .arg("--db")
            .arg(self.db())
            .args(args);
        c
    }

    /// Run [`Env::command`] to the end, output captured.
    pub fn run(&self, args: &[&str]) -> Output {
        self.run_with(args, &[])
    }

    /// Run [`Env::command`] with these variables added, to the end.
    pub fn run_with(&self, args: &[&str], vars: &[(&str, &str)]) -> Output {
        let mut c = self.command(args);
        c.envs(vars.iter().copied());
        c.output().unwrap_or_else(|e| panic!("run {BIN} {args:?}: {e}"))
    }

    /// Run [`Env::command`] with `input` on its standard input, to the end.
    pub fn run_stdin(&self, args: &[&str], input: &str) -> Output {
        let mut child = self
            .command(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("start {BIN} {args:?}: {e}"));
        child
            .stdin
            .take()
            .expect("a piped stdin")
            .write_all(input.as_bytes())
            .expect("write stdin");
        child.wait_with_output().expect("wait for the binary")
    }

    /// `program` for a pseudo-terminal, with the same isolation as [`Env::bare_command`].
    pub fn pty_command(&self, program: &str) -> CommandBuilder {
        let mut cmd = CommandBuilder::new(program);
        cmd.cwd(self.path());
        for (k, v) in self.environment() {
            match v {
                Some(v) => cmd.env(k, v),
                None => cmd.env_remove(k),
            }
        }
        cmd
    }

    /// The binary for a pseudo-terminal, with `--config`, `--db` and `args` (none: the console).
    pub fn console_command(&self, args: &[&str]) -> CommandBuilder {
        let mut cmd = self.pty_command(BIN);
        cmd.arg("--config");
        cmd.arg(self.config_path());
        cmd.arg("--db");
        cmd.arg(self.db());
        cmd.args(args);
        cmd
    }

    /// The console, started in a `cols`×`rows` pseudo-terminal.
    pub fn console(&self, cols: u16, rows: u16) -> Term {
        Term::spawn(self.console_command(&[]), cols, rows)
    }

    /// The first column of the first row of `query` on the database.
    pub fn sql<T: rusqlite::types::FromSql>(&self, query: &str) -> T {
        if let Some(pg) = &self.pg {
            let rows = pg.values(query);
            let v = rows
                .first()
                .and_then(|r| r.first())
                .unwrap_or_else(|| panic!("{query}: no row"));
            return T::column_result(v.into()).unwrap_or_else(|e| panic!("{query}: {e}"));
        }
        self.open_db()
            .query_row(query, [], |r| r.get(0))
            .unwrap_or_else(|e| panic!("{query}: {e}"))
    }

    /// Every row of `query`, each value as text (`NULL` for null).
    pub fn rows(&self, query: &str) -> Vec<Vec<String>> {
        use rusqlite::types::ValueRef;
        if let Some(pg) = &self.pg {
            return pg
                .values(query)
                .iter()
                .map(|r| {
                    r.iter()
                        .map(|v| match ValueRef::from(v) {
                            ValueRef::Null => "NULL".to_string(),
                            ValueRef::Integer(v) => v.to_string(),
                            ValueRef::Real(v) => v.to_string(),
                            ValueRef::Text(t) => String::from_utf8_lossy(t).into_owned(),
                            ValueRef::Blob(_) => "<blob>".to_string(),
                        })
                        .collect()
                })
                .collect();
        }
        let c = self.open_db();
        let mut stmt = c.prepare(query).unwrap_or_else(|e| panic!("{query}: {e}"));
        let n = stmt.column_count();
        stmt.query_map([], |r| {
            (0..n)
                .map(|i| {
                    Ok(match r.get_ref(i)? {
                        ValueRef::Null => "NULL".to_string(),
                        ValueRef::Integer(v) => v.to_string(),
                        ValueRef::Real(v) => v.to_string(),
                        ValueRef::Text(t) => String::from_utf8_lossy(t).into_owned(),
                        ValueRef::Blob(_) => "<blob>".to_string(),
                    })
                })
                .collect()
        })
        .unwrap_or_else(|e| panic!("{query}: {e}"))
        .map(|r| r.unwrap_or_else(|e| panic!("{query}: {e}")))
        .collect()
    }

    /// A connection to the database (a SQLite file's: see [`Env::postgres`] for a server's).
    pub fn open_db(&self) -> rusqlite::Connection {
        assert!(self.pg.is_none(), "open_db on a PostgreSQL environment");
        rusqlite::Connection::open(self.db()).unwrap_or_else(|e| panic!("open {}: {e}", self.db().display()))
    }

    /// Every mention, as `overhear export --format jsonl` writes them (which must succeed).
    pub fn export(&self) -> Vec<serde_json::Value> {
        let out = self.run(&["export", "--format", "jsonl"]);
        assert!(out.status.success(), "export failed: {}", text(&out));
        stdout(&out)
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
            .collect()
    }

    /// What `overhear export` says of one mention, by its external id.
    pub fn exported(&self, external_id: &str) -> serde_json::Value {
        self.export()
            .into_iter()
            .find(|m| m["external_id"] == external_id)
            .unwrap_or_else(|| panic!("{external_id} not exported"))
    }

    /// overhear's id of a mention, by its external id, as the command line takes it.
    pub fn id_of(&self, external_id: &str) -> String {
        self.exported(external_id)["id"].to_string()
    }
}

/// What a process wrote to its standard output.
pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// What a process wrote to its standard error.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Standard output, then standard error.
pub fn text(o: &Output) -> String {
    stdout(o) + &stderr(o)
}
