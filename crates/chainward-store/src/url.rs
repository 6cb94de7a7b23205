//! [`StoreUrl`]: which database, from `--database-url` or the default file under `--home`.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::error::StoreError;

/// The SQLite file's name under the home folder.
pub const DATABASE_FILE_NAME: &str = "history.sqlite3";

/// Where the history lives.
#[derive(Clone, PartialEq, Eq)]
pub enum StoreUrl {
    /// An SQLite file (created, with its folder, when missing).
    Sqlite(PathBuf),
    /// A PostgreSQL server: a `postgres://` or `postgresql://` URL as libpq reads it
    /// (`postgres://user:password@host:port/database?options=-csearch_path%3Dhistory`; the
    /// `options` parameter selects a schema). The password is never shown in messages.
    Postgres(String),
}

impl StoreUrl {
    /// Parses `sqlite://PATH` (`sqlite:///abs/path`, `sqlite://relative/path`),
    /// `postgres://...` or `postgresql://...`.
    pub fn parse(url: &str) -> Result<Self, StoreError> {
        let url = url.trim();
        if let Some(rest) = url.strip_prefix("sqlite:") {
            let path = rest.strip_prefix("//").unwrap_or(rest);
            if path.is_empty() {
                return Err(StoreError::BadUrl {
                    url: url.to_owned(),
                    reason: "no file path after `sqlite://`".into(),
                });
            }
            return Ok(Self::Sqlite(PathBuf::from(path)));
        }
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(Self::Postgres(url.to_owned()));
        }
        Err(StoreError::BadUrl {
            url: redact(url),
            reason: "unknown scheme".into(),
        })
    }

    /// The default database: `history.sqlite3` in the home folder.
    pub fn default_in(home: &Path) -> Self {
        Self::Sqlite(home.join(DATABASE_FILE_NAME))
    }

    /// As shown in messages: the path, or the URL without its password.
    pub fn redacted(&self) -> String {
        match self {
            Self::Sqlite(p) => p.display().to_string(),
            Self::Postgres(u) => redact(u),
        }
    }
}

/// Never shows the password.
impl fmt::Debug for StoreUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Sqlite(p) => f.debug_tuple("Sqlite").field(p).finish(),
            Self::Postgres(_) => f.debug_tuple("Postgres").field(&self.redacted()).finish(),
        }
    }
}

impl fmt::Display for StoreUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Sqlite(p) => write!(f, "sqlite://{}", p.display()),
            Self::Postgres(_) => f.write_str(&self.redacted()),
        }
    }
}

/// The URL with the password of the user-info part and any `password=` parameter replaced
/// by `***`.
pub(crate) fn redact(url: &str) -> String {
    let mut out = url.to_owned();
    if let Some(scheme_end) = out.find("://") {
        let auth_start = scheme_end + 3;
        let auth_end = out[auth_start..]
            .find(['/', '?'])
            .map_or(out.len(), |i| auth_start + i);
        if let Some(at) = out[auth_start..auth_end].rfind('@') {
            let userinfo = &out[auth_start..auth_start + at];
            if let Some(colon) = userinfo.find(':') {
                let from = auth_start + colon + 1;
                let to = auth_start + at;
                out.replace_range(from..to, "***");
            }
        }
    }
    if let Some(q) = out.find('?') {
        let (base, query) = out.split_at(q + 1);
        let query: Vec<String> = query
            .split('&')
            .map(|kv| {
                if kv.to_ascii_lowercase().starts_with("password=") {
                    "password=***".to_owned()
                } else {
                    kv.to_owned()
                }
            })
            .collect();
        out = format!("{base}{}", query.join("&"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_sqlite_and_postgres_urls() {
        assert_eq!(
            StoreUrl::parse("sqlite:///tmp/h.sqlite3").unwrap(),
            StoreUrl::Sqlite("/tmp/h.sqlite3".into())
        );
        assert_eq!(
            StoreUrl::parse("sqlite://rel/h.db").unwrap(),
            StoreUrl::Sqlite("rel/h.db".into())
        );
        assert!(matches!(
            StoreUrl::parse("postgresql://u@localhost/db").unwrap(),
            StoreUrl::Postgres(_)
        ));
        let e = StoreUrl::parse("mysql://u:secret@h/db").unwrap_err();
        assert!(!e.to_string().contains("secret"), "{e}");
        assert!(StoreUrl::parse("sqlite://").is_err());
    }

    #[test]
    fn redacts_passwords() {
        assert_eq!(
            redact("postgres://user:s3cr@t@host:5432/db?sslmode=disable&password=x"),
            "postgres://user:***@host:5432/db?sslmode=disable&password=***"
        );
        assert_eq!(redact("postgres://user@host/db"), "postgres://user@host/db");
        let u = StoreUrl::parse("postgres://a:b@h/d").unwrap();
        assert_eq!(format!("{u:?}"), "Postgres(\"postgres://a:***@h/d\")");
    }
}
