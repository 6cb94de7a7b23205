//! Errors: [`RecordError`] for one bad input record (reported, the import goes on),
//! [`DbError`] for the database itself, [`UpdateError`] for `db update`.

use std::fmt;
use std::path::PathBuf;

use serde::Serialize;

/// Where a bad record is: the file, the zip entry when inside an archive, and the line and
/// column when known.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RecordPlace {
    /// The file (or, for `db update`, the URL) the record came from.
    pub file: PathBuf,
    /// The entry inside a zip archive, or `[i]` for an element of a JSON array file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entry: Option<String>,
    /// 1-based line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    /// 1-based column.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<u32>,
}

impl RecordPlace {
    /// A whole file.
    pub fn file(file: impl Into<PathBuf>) -> Self {
        Self {
            file: file.into(),
            entry: None,
            line: None,
            column: None,
        }
    }

    /// An entry of an archive.
    pub fn entry(file: impl Into<PathBuf>, entry: impl Into<String>) -> Self {
        Self {
            entry: Some(entry.into()),
            ..Self::file(file)
        }
    }
}

impl fmt::Display for RecordPlace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(e) = &self.entry {
            write!(f, " (entry {e})")?;
        }
        match (self.line, self.column) {
            (Some(l), Some(c)) => write!(f, ", line {l}, column {c}"),
            (Some(l), None) => write!(f, ", line {l}"),
            _ => Ok(()),
        }
    }
}

/// One input record that could not be imported. The import goes on without it; the caller
/// reports it and exits 2, since the data is incomplete.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{place}: {message}")]
pub struct RecordError {
    /// Where.
    pub place: RecordPlace,
    /// What is wrong.
    pub message: String,
}

impl RecordError {
    pub(crate) fn new(place: RecordPlace, message: impl Into<String>) -> Self {
        Self {
            place,
            message: message.into(),
        }
    }

    /// From a parser error, at a place in `file` (and `entry`).
    pub(crate) fn from_parse(
        file: &std::path::Path,
        entry: Option<&str>,
        e: chainward_types::ParseError,
    ) -> Self {
        Self {
            place: RecordPlace {
                file: file.to_path_buf(),
                entry: entry.map(str::to_owned),
                line: e.line,
                column: e.column,
            },
            message: e.message,
        }
    }
}

/// The advisory database could not be opened, read or written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DbError {
    /// The data directory could not be created.
    #[error("cannot create the data directory {}: {source}", path.display())]
    CreateDir {
        /// The directory.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// No database exists where one was expected to.
    #[error("no advisory database at {}: run `chainward db update` or `chainward db import` first", path.display())]
    Missing {
        /// The database file.
        path: PathBuf,
    },
    /// The database was written by a newer chainward.
    #[error(
        "the advisory database {} has schema version {found}, newer than this chainward understands \
         (up to {supported}); upgrade chainward, or use another data directory",
        path.display()
    )]
    TooNew {
        /// The database file.
        path: PathBuf,
        /// Its schema version.
        found: u32,
        /// The newest this build knows.
        supported: u32,
    },
    /// SQLite failed.
    #[error("advisory database {}: {context}: {source}", path.display())]
    Sqlite {
        /// The database file.
        path: PathBuf,
        /// What was being done.
        context: &'static str,
        /// The SQLite error.
        source: rusqlite::Error,
    },
    /// A stored record could not be read back.
    #[error("advisory database {}: stored record {id} is unreadable: {message}", path.display())]
    Corrupt {
        /// The database file.
        path: PathBuf,
        /// The advisory id.
        id: String,
        /// What is wrong.
        message: String,
    },
}

/// `db update` failed. Nothing was changed: the previous advisory data is intact.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum UpdateError {
    /// The server answered with an error status.
    #[error("downloading {url}: the server answered HTTP {status}; {UNCHANGED}")]
    Http {
        /// The URL.
        url: String,
        /// The HTTP status.
        status: u16,
    },
    /// The request failed (connection, TLS, timeout, an interrupted body).
    #[error("downloading {url}: {message}; {UNCHANGED}")]
    Network {
        /// The URL.
        url: String,
        /// What happened.
        message: String,
    },
    /// The body ended before the announced length.
    #[error(
        "downloading {url}: the connection closed after {received} of {expected} bytes; {UNCHANGED}"
    )]
    Truncated {
        /// The URL.
        url: String,
        /// Bytes received.
        received: u64,
        /// Bytes announced by `Content-Length`.
        expected: u64,
    },
    /// The download is larger than the configured limit.
    #[error("downloading {url}: larger than the limit of {limit} bytes; {UNCHANGED}")]
    TooLarge {
        /// The URL.
        url: String,
        /// The limit.
        limit: u64,
    },
    /// The download is not a valid OSV export: not a zip, a zip over the limits, or an entry
    /// that is not a valid OSV record of the ecosystem.
    #[error("{url}: not a valid OSV export: {message}; {UNCHANGED}")]
    InvalidExport {
        /// The URL.
        url: String,
        /// What is wrong, naming the entry (and line) where there is one.
        message: String,
    },
    /// A temporary file could not be written.
    #[error("writing the download to {}: {source}; {UNCHANGED}", path.display())]
    Io {
        /// The temporary file or its folder.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The configuration is unusable (an empty ecosystem list, a bad base URL).
    #[error("{0}")]
    Config(String),
    /// The database failed; the transaction was rolled back.
    #[error("{0}; {UNCHANGED}")]
    Db(#[from] DbError),
}

const UNCHANGED: &str = "the previous advisory data is unchanged";
