//! [`StoreError`]: what went wrong, naming the database and what was being done.

use std::path::PathBuf;

/// Where the database is, for messages: a file, or a PostgreSQL URL without its password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location(pub(crate) String);

impl Location {
    pub(crate) fn sqlite(path: &std::path::Path) -> Self {
        Self(path.display().to_string())
    }

    pub(crate) fn postgres(redacted_url: String) -> Self {
        Self(redacted_url)
    }

    /// As shown in messages.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The history database could not be opened, read or written. Every variant names the
/// database; a failed write was rolled back (the exception, a connection lost while
/// committing, says so).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The database URL is not one the store understands.
    #[error(
        "`{url}` is not a history database URL: {reason} (expected sqlite://PATH or postgres://USER@HOST:PORT/DATABASE)"
    )]
    BadUrl {
        /// The URL, password removed.
        url: String,
        /// What is wrong.
        reason: String,
    },
    /// The folder for the SQLite file could not be created.
    #[error("cannot create the folder {} for the history database: {source}", path.display())]
    CreateDir {
        /// The folder.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The database was written by a newer chainward.
    #[error(
        "history database {location}: database schema version {found} is newer than this chainward supports ({supported}); upgrade chainward"
    )]
    TooNew {
        /// The database.
        location: Location,
        /// Its schema version.
        found: u32,
        /// The newest this build knows.
        supported: u32,
    },
    /// Input the store refuses (an empty project name).
    #[error("history database {location}: {message}")]
    Invalid {
        /// The database.
        location: Location,
        /// What is wrong with the input.
        message: String,
    },
    /// SQLite failed.
    #[error("history database {location}: {context}: {source}")]
    Sqlite {
        /// The database file.
        location: Location,
        /// What was being done.
        context: String,
        /// The SQLite error.
        source: rusqlite::Error,
    },
    /// PostgreSQL failed (a query, a constraint); the connection is still usable.
    #[error(
        "PostgreSQL history database {location}: {context}: {}",
        pg_message(source)
    )]
    Postgres {
        /// The server, password removed.
        location: Location,
        /// What was being done.
        context: String,
        /// The client error.
        source: postgres::Error,
    },
    /// The connection to PostgreSQL could not be made, or was lost.
    #[error(
        "PostgreSQL history database {location}: the connection was lost while {context} ({}); {}",
        pg_message(source),
        if *while_committing {
            "it ended while committing, so whether that was saved is unknown: check before retrying"
        } else {
            "the transaction was rolled back: nothing of it was saved"
        }
    )]
    ConnectionLost {
        /// The server, password removed.
        location: Location,
        /// What was being done.
        context: String,
        /// True when the connection ended during `COMMIT` (the outcome is unknown).
        while_committing: bool,
        /// The client error.
        source: postgres::Error,
    },
    /// The connection to PostgreSQL could not be opened.
    #[error(
        "cannot connect to the PostgreSQL history database {location}: {}",
        pg_message(source)
    )]
    Connect {
        /// The server, password removed.
        location: Location,
        /// The client error.
        source: postgres::Error,
    },
    /// Stored data could not be read back.
    #[error("history database {location}: {context}: stored data is unreadable: {message}")]
    Corrupt {
        /// The database.
        location: Location,
        /// What was being read.
        context: String,
        /// What is wrong.
        message: String,
    },
}

/// A PostgreSQL error with the server's message, detail and code when there is one (the
/// client's own `Display` says only "db error").
pub(crate) fn pg_message(e: &postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => {
            let mut s = format!("{}: {}", db.severity(), db.message());
            if let Some(d) = db.detail() {
                s.push_str(" (");
                s.push_str(d);
                s.push(')');
            }
            s.push_str(&format!(" [SQLSTATE {}]", db.code().code()));
            s
        }
        None => {
            let mut s = e.to_string();
            let mut cur = std::error::Error::source(e);
            while let Some(c) = cur {
                s.push_str(": ");
                s.push_str(&c.to_string());
                cur = c.source();
            }
            s
        }
    }
}
