//! A real PostgreSQL server for the tests that run on both backends: named by
//! `OVERHEAR_TEST_POSTGRES` (a URL to a database the tests may create databases from;
//! `.ci/run` starts a throwaway cluster and sets it). Without it those tests say once that the
//! PostgreSQL suite was not run, and pass. Each test works in a database of its own, dropped at
//! its end.

/// The server's URL, or `None` (said once per test binary) when the suite cannot run here.
pub fn server() -> Option<String> {
    match std::env::var("OVERHEAR_TEST_POSTGRES") {
        Ok(u) if !u.trim().is_empty() => Some(u),
        _ => {
            // Past the test harness's capture, once: `cargo test` says the suite did not run.
            static SAID: std::sync::Once = std::sync::Once::new();
            SAID.call_once(|| {
                use std::io::Write;
                let _ = writeln!(
                    std::io::stderr(),
                    "\nPostgreSQL suite not run: set OVERHEAR_TEST_POSTGRES to a server's URL \
                     (`bash .ci/postgres.sh` starts a throwaway one and prints it)"
                );
            });
            None
        }
    }
}

/// A database of the test's own, dropped when it goes.
pub struct Db {
    admin: String,
    name: String,
    pub url: String,
}

impl Db {
    pub fn new(admin: &str) -> Db {
        let name = format!("overhear_t{}", fastrand::u64(..));
        let mut c = postgres::Client::connect(admin, postgres::NoTls).expect("the test server");
        c.batch_execute(&format!("CREATE DATABASE {name}"))
            .expect("create a test database");
        let mut url = url::Url::parse(admin).expect("a URL");
        url.set_path(&format!("/{name}"));
        Db {
            admin: admin.to_string(),
            name,
            url: url.to_string(),
        }
    }

    pub fn client(&self) -> postgres::Client {
        postgres::Client::connect(&self.url, postgres::NoTls).expect("the test database")
    }

    /// The first column of each row of `query` (SQLite's dialect, said in PostgreSQL's), as
    /// SQLite would give it: integers, reals, text, NULL.
    pub fn values(&self, query: &str) -> Vec<Vec<rusqlite::types::Value>> {
        use postgres::types::Type;
        use rusqlite::types::Value;
        let said = overhear::store::dialect::postgres(query).unwrap_or_else(|e| panic!("{query}: {e}"));
        let mut c = self.client();
        let types: Vec<Type> = c
            .prepare(&said)
            .unwrap_or_else(|e| panic!("{said}: {e}"))
            .columns()
            .iter()
            .map(|col| col.type_().clone())
            .collect();
        let rows = c.simple_query(&said).unwrap_or_else(|e| panic!("{said}: {e}"));
        rows.iter()
            .filter_map(|m| match m {
                postgres::SimpleQueryMessage::Row(r) => Some(r),
                _ => None,
            })
            .map(|r| {
                types
                    .iter()
                    .enumerate()
                    .map(|(i, t)| match r.get(i) {
                        None => Value::Null,
                        Some(v) if [Type::INT2, Type::INT4, Type::INT8].contains(t) => {
                            Value::Integer(v.parse().expect("an integer"))
                        }
                        Some(v) if *t == Type::BOOL => Value::Integer(i64::from(v == "t")),
                        Some(v) if [Type::FLOAT4, Type::FLOAT8, Type::NUMERIC].contains(t) => match v.parse::<i64>() {
                            Ok(i) if *t == Type::NUMERIC => Value::Integer(i),
                            _ => Value::Real(v.parse().expect("a number")),
                        },
                        Some(v) => Value::Text(v.to_string()),
                    })
                    .collect()
            })
            .collect()
    }
}

impl Drop for Db {
    fn drop(&mut self) {
        if let Ok(mut c) = postgres::Client::connect(&self.admin, postgres::NoTls) {
            let _ = c.batch_execute(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name));
        }
    }
}
