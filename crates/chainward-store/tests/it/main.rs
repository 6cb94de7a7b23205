//! Integration tests of chainward-store: one conformance suite, run against SQLite and
//! PostgreSQL.
//!
//! Every test function of the suite takes a [`TestDb`] and is listed in a `conformance!`
//! invocation, which makes a `sqlite::NAME` and a `postgres::NAME` test of it. The
//! PostgreSQL half needs `CHAINWARD_TEST_POSTGRES_URL` (`.ci/run` starts a server and sets
//! it); each test gets a schema of its own, dropped at the end. Without the variable the
//! PostgreSQL half is skipped with a note, except under `CI=true`, where it fails.
#![allow(
    clippy::unwrap_used,
    clippy::print_stdout,
    clippy::print_stderr,
    unreachable_pub
)]

use std::sync::atomic::{AtomicUsize, Ordering};

use chainward_store::{Store, StoreUrl};

mod conformance;
mod faults;
mod migration;
mod model;
mod provenance;
mod util;

/// The variable naming the PostgreSQL server for the PostgreSQL half.
pub const POSTGRES_URL_VAR: &str = "CHAINWARD_TEST_POSTGRES_URL";

/// Makes `sqlite::NAME` and `postgres::NAME` tests that call `NAME(&TestDb)`.
#[macro_export]
macro_rules! conformance {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[test]
                fn $name() {
                    let db = $crate::TestDb::sqlite();
                    super::$name(&db);
                }
            )*
        }
        mod postgres {
            $(
                #[test]
                fn $name() {
                    if let Some(db) = $crate::TestDb::postgres(stringify!($name)) {
                        super::$name(&db);
                    }
                }
            )*
        }
    };
}

/// Which backend a [`TestDb`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A fresh, empty database for one test.
pub struct TestDb {
    pub url: StoreUrl,
    backend: Backend,
    _dir: Option<tempfile::TempDir>,
    /// PostgreSQL: the server URL and the test's schema, dropped at the end.
    pg: Option<(String, String)>,
}

static COUNTER: AtomicUsize = AtomicUsize::new(0);

impl TestDb {
    pub fn sqlite() -> Self {
        let dir = tempfile::tempdir().unwrap();
        Self {
            url: StoreUrl::Sqlite(dir.path().join("nested/history.sqlite3")),
            backend: Backend::Sqlite,
            _dir: Some(dir),
            pg: None,
        }
    }

    /// A schema of its own on the test server; `None` (after a note) when there is no
    /// server and CI is not set.
    pub fn postgres(test: &str) -> Option<Self> {
        let base = postgres_url()?;
        let schema = format!(
            "cw_{}_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed),
            test.chars().take(30).collect::<String>()
        );
        let mut admin = postgres::Client::connect(&base, postgres::NoTls)
            .unwrap_or_else(|e| panic!("{POSTGRES_URL_VAR}={base}: cannot connect: {e}"));
        admin
            .batch_execute(&format!("CREATE SCHEMA \"{schema}\""))
            .unwrap();
        Some(Self {
            url: StoreUrl::Postgres(with_param(
                &base,
                &format!("options=-csearch_path%3D{schema}"),
            )),
            backend: Backend::Postgres,
            _dir: None,
            pg: Some((base, schema)),
        })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Another fresh, empty database on the same backend (PostgreSQL: the same server).
    pub fn another(&self, test: &str) -> Self {
        match self.backend {
            Backend::Sqlite => Self::sqlite(),
            Backend::Postgres => Self::postgres(test).unwrap(),
        }
    }

    /// A new connection to the test database.
    pub fn open(&self) -> Box<dyn Store> {
        chainward_store::open(&self.url).unwrap()
    }

    /// The URL with an extra query parameter (PostgreSQL: `application_name=...`).
    pub fn url_with(&self, param: &str) -> StoreUrl {
        match &self.url {
            StoreUrl::Postgres(u) => StoreUrl::Postgres(with_param(u, param)),
            other => other.clone(),
        }
    }

    /// An administrative connection to the server (PostgreSQL only), with the test's
    /// schema on its search path.
    pub fn admin(&self) -> postgres::Client {
        let (base, schema) = self.pg.as_ref().unwrap();
        let mut c = postgres::Client::connect(base, postgres::NoTls).unwrap();
        c.batch_execute(&format!("SET search_path TO \"{schema}\""))
            .unwrap();
        c
    }

    /// A connection to the SQLite file, bypassing the store (SQLite backend only).
    fn sqlite_conn(&self) -> rusqlite::Connection {
        let StoreUrl::Sqlite(path) = &self.url else {
            unreachable!("not a SQLite store")
        };
        rusqlite::Connection::open(path).unwrap()
    }

    /// Runs one SQL statement directly on the database, bypassing the store.
    pub fn execute(&self, sql: &str) {
        match self.backend {
            Backend::Sqlite => {
                self.sqlite_conn().execute_batch(sql).unwrap();
            }
            Backend::Postgres => self.admin().batch_execute(sql).unwrap(),
        }
    }

    /// Counts the rows of a table, bypassing the store.
    pub fn count(&self, table: &str) -> i64 {
        let sql = format!("SELECT COUNT(*) FROM {table}");
        match self.backend {
            Backend::Sqlite => self
                .sqlite_conn()
                .query_row(&sql, [], |r| r.get(0))
                .unwrap(),
            Backend::Postgres => self.admin().query_one(&sql, &[]).unwrap().get(0),
        }
    }

    /// Sets the stored schema version, as a newer chainward would.
    pub fn set_schema_version(&self, version: u32) {
        match self.backend {
            Backend::Sqlite => self.execute(&format!("PRAGMA user_version = {version}")),
            Backend::Postgres => self.execute(&format!(
                "UPDATE meta SET value = '{version}' WHERE key = 'schema_version'"
            )),
        }
    }

    /// Creates a version-1 database as chainward 0.1 did, by hand: the schema of
    /// `migrations/*/0001_initial.sql` and the version number, no rows.
    pub fn create_version_1(&self) {
        match self.backend {
            Backend::Sqlite => {
                let StoreUrl::Sqlite(path) = &self.url else {
                    unreachable!()
                };
                std::fs::create_dir_all(path.parent().unwrap()).unwrap();
                let conn = rusqlite::Connection::open(path).unwrap();
                conn.execute_batch(include_str!("../../migrations/sqlite/0001_initial.sql"))
                    .unwrap();
                conn.pragma_update(None, "user_version", 1).unwrap();
            }
            Backend::Postgres => {
                self.execute(concat!(
                    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);\n",
                    include_str!("../../migrations/postgres/0001_initial.sql"),
                    "\nINSERT INTO meta (key, value) VALUES ('schema_version', '1');"
                ));
            }
        }
    }

    /// The stored schema version, read directly (no migration).
    pub fn stored_schema_version(&self) -> u32 {
        match self.backend {
            Backend::Sqlite => self
                .sqlite_conn()
                .pragma_query_value(None, "user_version", |r| r.get(0))
                .unwrap(),
            Backend::Postgres => {
                let v: String = self
                    .admin()
                    .query_one("SELECT value FROM meta WHERE key = 'schema_version'", &[])
                    .unwrap()
                    .get(0);
                v.parse().unwrap()
            }
        }
    }

    /// The database's schema, as sorted lines (tables, columns, indexes, constraints),
    /// comparable between two databases of one backend.
    pub fn schema(&self) -> Vec<String> {
        match self.backend {
            Backend::Sqlite => {
                let conn = self.sqlite_conn();
                let mut s = conn
                    .prepare(
                        "SELECT type || ' ' || name || ' ON ' || tbl_name || ': ' || \
                         coalesce(sql, '') FROM sqlite_master ORDER BY type, name",
                    )
                    .unwrap();
                s.query_map([], |r| r.get(0))
                    .unwrap()
                    .collect::<Result<_, _>>()
                    .unwrap()
            }
            Backend::Postgres => {
                let mut c = self.admin();
                let mut out: Vec<String> = Vec::new();
                for q in [
                    "SELECT 'column ' || table_name || '.' || column_name || ' ' || \
                     ordinal_position || ' ' || data_type || ' ' || is_nullable || ' ' || \
                     is_identity || ' ' || coalesce(column_default, '') \
                     FROM information_schema.columns WHERE table_schema = current_schema()",
                    "SELECT 'index ' || indexname || ': ' || \
                     replace(indexdef, current_schema() || '.', '') \
                     FROM pg_indexes WHERE schemaname = current_schema()",
                    "SELECT 'constraint ' || conrelid::regclass::text || ' ' || conname || ': ' || \
                     pg_get_constraintdef(oid) FROM pg_constraint \
                     WHERE connamespace = current_schema()::regnamespace",
                ] {
                    for r in c.query(q, &[]).unwrap() {
                        out.push(r.get(0));
                    }
                }
                out.sort();
                out
            }
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((base, schema)) = &self.pg
            && let Ok(mut c) = postgres::Client::connect(base, postgres::NoTls)
        {
            let _ = c.batch_execute(&format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE"));
        }
    }
}

fn with_param(url: &str, param: &str) -> String {
    if url.contains('?') {
        format!("{url}&{param}")
    } else {
        format!("{url}?{param}")
    }
}

/// The PostgreSQL server for the PostgreSQL half, or `None` after a note. Under `CI=true`
/// a missing variable fails the test.
fn postgres_url() -> Option<String> {
    match std::env::var(POSTGRES_URL_VAR) {
        Ok(u) if !u.trim().is_empty() => Some(u),
        _ if std::env::var("CI").is_ok_and(|v| v == "true" || v == "1") => panic!(
            "{POSTGRES_URL_VAR} is not set, and CI=true: the PostgreSQL half of the store \
             conformance suite must run in CI (.ci/run starts a server and sets it)"
        ),
        _ => {
            static NOTE: std::sync::Once = std::sync::Once::new();
            // Written to the real stderr, past the test harness's capture, so it shows.
            NOTE.call_once(|| {
                use std::io::Write as _;
                let _ = writeln!(
                    std::io::stderr(),
                    "note: {POSTGRES_URL_VAR} is not set: skipping the PostgreSQL half of the \
                     store conformance suite (set it to postgres://USER@HOST:PORT/DB to run it)"
                );
            });
            None
        }
    }
}
