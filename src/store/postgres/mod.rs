//! The PostgreSQL backend (issue 19), for a team past one box: a `postgres://` URL in `--db`,
//! `database` or `OVERHEAR_DB`.
//!
//! What is here so far: the connection (TLS through rustls with the system's roots, never
//! OpenSSL; the password from the URL, a `password_env` variable, `PGPASSWORD` or `~/.pgpass`,
//! never stored or logged), the schema (version [`schema::VERSION`], the SQLite schema's twin,
//! refusing a newer one), `overhear migrate` between the two backends and `overhear doctor`'s
//! checks. The rest of the store runs on SQLite only for now.

pub mod schema;

use std::path::PathBuf;
use std::str::FromStr;

/// A PostgreSQL error in words, with what overhear was doing.
#[derive(Debug, thiserror::Error)]
pub enum PgError {
    #[error("{0} is not a PostgreSQL address overhear can read: {1}")]
    Url(String, String),
    #[error("cannot reach the PostgreSQL server {target}: {detail}")]
    Connect { target: String, detail: String },
    #[error("PostgreSQL error while {doing}: {detail}")]
    Sql { doing: &'static str, detail: String },
    #[error(
        "the PostgreSQL database {target} has schema version {found}, newer than this overhear understands \
         ({known}); upgrade overhear. The database was not touched"
    )]
    TooNew { target: String, found: i64, known: i64 },
}

/// An error's words: the server's message where it sent one (never the connection string).
pub(crate) fn words(e: &postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => {
            let mut s = db.message().to_string();
            if let Some(d) = db.detail() {
                s.push_str(": ");
                s.push_str(d);
            }
            crate::text::sanitize_line(&s)
        }
        None => crate::text::sanitize_line(&e.to_string()),
    }
}

/// `postgres://` or `postgresql://`: a URL for this backend.
pub fn is_url(s: &str) -> bool {
    let l = s.trim_start().to_ascii_lowercase();
    l.starts_with("postgres://") || l.starts_with("postgresql://")
}

/// The address with any password taken out, to show and to log.
pub fn redacted(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) => {
            if u.password().is_some() {
                let _ = u.set_password(Some("***"));
            }
            // A password in the query (`?password=`) goes too.
            let pairs: Vec<(String, String)> = u
                .query_pairs()
                .map(|(k, v)| {
                    let v = if k.eq_ignore_ascii_case("password") {
                        "***".to_string()
                    } else {
                        v.into_owned()
                    };
                    (k.into_owned(), v)
                })
                .collect();
            if !pairs.is_empty() {
                u.query_pairs_mut().clear().extend_pairs(pairs);
            }
            crate::text::sanitize_line(u.as_str())
        }
        Err(_) => "(an address that is not a URL)".to_string(),
    }
}

/// A connected PostgreSQL database.
pub struct Pg {
    pub client: postgres::Client,
    /// The address without its password.
    pub target: String,
}

/// Where the password comes from when the URL has none: `password_env`'s variable, then
/// `PGPASSWORD`, then `~/.pgpass` (or `PGPASSFILE`), as libpq does.
fn password(config: &postgres::Config, password_env: Option<&str>) -> Option<Vec<u8>> {
    if let Some(var) = password_env
        && let Ok(p) = std::env::var(var)
    {
        return Some(p.into_bytes());
    }
    if let Ok(p) = std::env::var("PGPASSWORD") {
        return Some(p.into_bytes());
    }
    let file = std::env::var_os("PGPASSFILE")
        .map(PathBuf::from)
        .or_else(|| directories::BaseDirs::new().map(|b| b.home_dir().join(".pgpass")))?;
    let text = std::fs::read_to_string(file).ok()?;
    let host = match config.get_hosts().first() {
        Some(postgres::config::Host::Tcp(h)) => h.clone(),
        _ => "localhost".to_string(),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432).to_string();
    let db = config.get_dbname().unwrap_or_default();
    let user = config.get_user().unwrap_or_default();
    pgpass_lookup(&text, [host.as_str(), port.as_str(), db, user]).map(String::into_bytes)
}

/// The password of the first `~/.pgpass` line whose host, port, database and user match (`*`
/// matches anything; `\:` and `\\` are a colon and a backslash).
fn pgpass_lookup(text: &str, want: [&str; 4]) -> Option<String> {
    for line in text.lines() {
        if line.trim_start().starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let mut fields = Vec::new();
        let mut cur = String::new();
        let mut chars = line.chars();
        while let Some(c) = chars.next() {
            match c {
                '\\' => cur.extend(chars.next()),
                ':' if fields.len() < 4 => fields.push(std::mem::take(&mut cur)),
                c => cur.push(c),
            }
        }
        fields.push(cur);
        if fields.len() == 5 && fields.iter().zip(want).all(|(f, w)| f == "*" || f == w) {
            return fields.pop();
        }
    }
    None
}

impl Pg {
    /// Connect to `url`: TLS where the server offers it (`sslmode=require` insists), the roots
    /// the system trusts.
    pub fn connect(url: &str, password_env: Option<&str>) -> Result<Pg, PgError> {
        let target = redacted(url);
        let mut config = postgres::Config::from_str(url.trim()).map_err(|e| PgError::Url(target.clone(), words(&e)))?;
        if config.get_password().is_none()
            && let Some(p) = password(&config, password_env)
        {
            config.password(p);
        }
        if config.get_application_name().is_none() {
            config.application_name("overhear");
        }
        config.connect_timeout(std::time::Duration::from_secs(10));
        let no_password = config.get_password().is_none();
        let client = config.connect(tls()).map_err(|e| PgError::Connect {
            target: target.clone(),
            // The driver's words for a password asked and not given are "invalid configuration"
            // ("password missing" is its cause).
            detail: if no_password && std::error::Error::source(&e).is_some_and(|c| c.to_string().contains("password"))
            {
                "the server asks for a password and none was given: put it in the variable --password-env (or \
                 `password_env` in the config) names, in PGPASSWORD, or in ~/.pgpass"
                    .to_string()
            } else {
                words(&e)
            },
        })?;
        Ok(Pg { client, target })
    }

    /// Run `sql` (several statements) as one batch.
    pub fn batch(&mut self, doing: &'static str, sql: &str) -> Result<(), PgError> {
        self.client.batch_execute(sql).map_err(|e| PgError::Sql {
            doing,
            detail: words(&e),
        })
    }
}

/// What `overhear doctor` checks on a PostgreSQL database.
#[derive(Debug, Clone, PartialEq)]
pub struct Health {
    /// `server_version_num`, e.g. 150018.
    pub server_version: i64,
    pub server_version_text: String,
    pub schema_version: i64,
    pub user: String,
    /// Tables the user may not read, add to, change or delete from.
    pub not_allowed: Vec<String>,
    /// The poller's lease: who holds it (operator, host) and until when (ms).
    pub lease: Option<(String, String, i64)>,
    /// Whether a new table can be made (a first migration needs it).
    pub can_create: bool,
}

/// The oldest server overhear runs on (generated columns arrived in 12).
pub const OLDEST_SERVER: i64 = 120_000;

impl Pg {
    /// The server, the schema, what the user may do, and who holds the poller's lease.
    pub fn health(&mut self) -> Result<Health, PgError> {
        let doing = "checking the database";
        let err = |e: postgres::Error| PgError::Sql {
            doing,
            detail: words(&e),
        };
        let row = self
            .client
            .query_one(
                "SELECT current_setting('server_version_num')::BIGINT, current_setting('server_version'), current_user::TEXT,
                        has_database_privilege(current_database(), 'CREATE') OR has_schema_privilege(current_schema(), 'CREATE')",
                &[],
            )
            .map_err(err)?;
        let schema_version = schema::version(self)?;
        let mut not_allowed = Vec::new();
        let mut lease = None;
        if schema_version > 0 {
            for t in schema::TABLES {
                let ok: bool = self
                    .client
                    .query_one(
                        "SELECT has_table_privilege(current_user, $1::TEXT, 'SELECT, INSERT, UPDATE, DELETE')",
                        &[t],
                    )
                    .map_err(err)?
                    .get(0);
                if !ok {
                    not_allowed.push((*t).to_string());
                }
            }
            if !not_allowed.contains(&"leases".to_string()) {
                lease = self
                    .client
                    .query_opt(
                        "SELECT operator, host, expires_at FROM leases WHERE name = 'poller'",
                        &[],
                    )
                    .map_err(err)?
                    .map(|r| (r.get(0), r.get(1), r.get(2)));
            }
        }
        Ok(Health {
            server_version: row.get(0),
            server_version_text: row.get(1),
            user: row.get(2),
            can_create: row.get(3),
            schema_version,
            not_allowed,
            lease,
        })
    }
}

/// rustls with the system's roots (none is an empty store: a server then cannot be verified and
/// TLS fails in words, while a socket or `sslmode=disable` still connects).
fn tls() -> tokio_postgres_rustls::MakeRustlsConnect {
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls_native_certs::load_native_certs().certs {
        let _ = roots.add(cert);
    }
    let config =
        rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .map(|b| b.with_root_certificates(roots).with_no_client_auth())
            .unwrap_or_else(|_| {
                rustls::ClientConfig::builder()
                    .with_root_certificates(rustls::RootCertStore::empty())
                    .with_no_client_auth()
            });
    tokio_postgres_rustls::MakeRustlsConnect::new(config)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_told_apart_and_shown_without_their_password() {
        assert!(is_url("postgres://u@h/db"));
        assert!(is_url("postgresql://u@h/db"));
        assert!(!is_url("/home/a/overhear.db"));
        assert!(!is_url("postgres.db"));
        assert_eq!(
            redacted("postgres://alice:s3cret@db.example/team"),
            "postgres://alice:***@db.example/team"
        );
        let r = redacted("postgres://alice@db.example/team?password=s3cret&sslmode=require");
        assert!(!r.contains("s3cret") && r.contains("sslmode=require"), "{r}");
    }

    #[test]
    fn pgpass_lines_match_with_wildcards_and_escapes() {
        let text = "# a comment\nother:5432:*:alice:no\ndb.example:5432:team:alice:pa\\:ss\n*:*:*:*:last\n";
        assert_eq!(
            pgpass_lookup(text, ["db.example", "5432", "team", "alice"]).as_deref(),
            Some("pa:ss")
        );
        assert_eq!(pgpass_lookup(text, ["x", "1", "y", "z"]).as_deref(), Some("last"));
        assert_eq!(
            pgpass_lookup("h:1:d:u\n", ["h", "1", "d", "u"]),
            None,
            "a short line is no match"
        );
    }
}

/// For the store's tests on PostgreSQL: a new database on the server `OVERHEAR_TEST_POSTGRES`
/// names, with the schema, dropped when the guard goes. `None` where no server is named (the
/// test then runs on SQLite alone and says so).
#[cfg(test)]
pub(crate) mod testing {
    use super::{Pg, schema};

    pub struct TestDb {
        pub url: String,
        admin: String,
        name: String,
    }

    impl TestDb {
        /// A store on this database.
        pub fn store(&self) -> crate::store::Store {
            crate::store::Store::open_postgres(&self.url, None).expect("a store on the test database")
        }
    }

    impl Drop for TestDb {
        fn drop(&mut self) {
            if let Ok(mut c) = postgres::Client::connect(&self.admin, postgres::NoTls) {
                let _ = c.batch_execute(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name));
            }
        }
    }

    pub fn database() -> Option<TestDb> {
        let Ok(admin) = std::env::var("OVERHEAR_TEST_POSTGRES") else {
            eprintln!("PostgreSQL not tried: OVERHEAR_TEST_POSTGRES is not set");
            return None;
        };
        let name = format!("overhear_u{}", fastrand::u64(..));
        let mut c = postgres::Client::connect(&admin, postgres::NoTls).expect("the test server");
        c.batch_execute(&format!("CREATE DATABASE {name}"))
            .expect("a test database");
        let mut url = url::Url::parse(&admin).expect("a URL");
        url.set_path(&format!("/{name}"));
        let mut pg = Pg::connect(url.as_str(), None).expect("the test database");
        schema::ensure(&mut pg).expect("the schema");
        Some(TestDb {
            url: url.to_string(),
            admin,
            name,
        })
    }
}
