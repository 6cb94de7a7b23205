//! History: snapshots of what projects depend on, over time, in SQLite (the default, a file
//! under `--home`) or PostgreSQL, behind one [`Store`] trait.
//!
//! A snapshot is a project's packages at one time ([`NewSnapshot`]: project, branch, commit,
//! host, time taken, and every [`PackageRecord`] with its origin, hashes, scopes and any
//! verification results). [`open`] gives a [`Store`] for a [`StoreUrl`]; then:
//! - [`Store::record`] adds a snapshot (`chainward record`, `history import-git`);
//! - [`Store::snapshots`], [`Store::latest`], [`Store::previous`] and [`Store::packages`]
//!   list snapshots and load one's full package set (`drift`);
//! - [`Store::exposure`] gives, for an (ecosystem, name), every stored version in every
//!   project and branch with the first and last snapshot that held it and whether the latest
//!   still does; [`Store::package_keys`] lists every (ecosystem, name, version) ever stored,
//!   for matching advisories (`exposure`). Version ranges are the caller's, through
//!   `chainward-version`;
//! - [`Store::state`] and [`Store::set_state`] keep small markers (the last advisory import
//!   `exposure --new-advisories` has seen).
//!
//! How it is stored: a package (identity and hashes) is one row however many snapshots hold
//! it, and so is each distinct way a snapshot holds it (scopes, paths, verification: an
//! *entry*). Snapshots of one (project, branch), a *stream*, are ordered by (time taken,
//! id), and membership is kept as *spans*: entry E is in every snapshot of stream S from
//! snapshot A through snapshot B, or through the latest when B is open. Recording diffs
//! against the neighbouring snapshots, so a snapshot that changes a few packages writes a few
//! rows; one recorded with a time in the past splits or joins the spans around it.
//!
//! Invariants:
//! - A recorded snapshot never changes, and what [`Store::packages`] gives back is the set
//!   that was recorded (normalised by [`PackageRecord::normalize`]), whatever was recorded
//!   before or after it, in any time order.
//! - Spans of one entry in one stream never overlap; a span is open exactly when it reaches
//!   the stream's latest snapshot.
//! - Each record is one transaction: SQLite `BEGIN IMMEDIATE` with a busy timeout, so
//!   concurrent recorders queue; PostgreSQL locks the stream's row, inserts new packages in
//!   key order (no deadlocks between recorders), and retries a deadlock or serialization
//!   failure. A killed process or a lost connection leaves no partial snapshot.
//! - Schema changes are numbered forward-only migrations (`migrations/{sqlite,postgres}`;
//!   SQLite `PRAGMA user_version`, PostgreSQL the `meta` table). A database with a newer
//!   version than this build knows is refused and never written.
//!
//! Non-goals: dependency edges and line numbers are not kept (lines move with every
//! lockfile edit and would defeat sharing); nothing is ever deleted or rewritten (no
//! pruning yet); no version-range logic; PostgreSQL without TLS only (`sslmode=require`
//! fails); reading git repositories is the caller's.
#![warn(missing_docs)]

mod error;
mod model;
mod postgres;
mod record;
mod sqlite;
mod url;

pub use crate::error::{Location, StoreError};
pub use crate::model::{
    BranchFilter, Exposure, NewSnapshot, PackageId, PackageKey, PackageRecord, Recorded,
    SnapshotId, SnapshotInfo, SnapshotQuery, SnapshotRef, Span, StoredPackage, StreamInfo,
    Verification, VerificationOutcome,
};
pub use crate::postgres::PostgresStore;
pub use crate::sqlite::SqliteStore;
pub use crate::url::{DATABASE_FILE_NAME, StoreUrl};
pub use chainward_types::{Timestamp, TimestampError};

use chainward_types::Ecosystem;

/// The schema version this build writes (the same number on both backends).
pub const SCHEMA_VERSION: u32 = 1;

/// The history database, on either backend. Methods take `&mut self` because a PostgreSQL
/// connection serves one request at a time; open one store per thread.
pub trait Store: Send + std::fmt::Debug {
    /// Where the database is, for messages (no password).
    fn location(&self) -> &Location;

    /// The database's schema version.
    fn schema_version(&mut self) -> Result<u32, StoreError>;

    /// Records a snapshot, in one transaction. Its place among the project's and branch's
    /// snapshots is by [`NewSnapshot::taken_at`] (then by the order of recording), so a
    /// snapshot may be recorded with a time before the latest.
    fn record(&mut self, snapshot: &NewSnapshot) -> Result<Recorded, StoreError>;

    /// One snapshot, or `None` when there is no such id.
    fn snapshot(&mut self, id: SnapshotId) -> Result<Option<SnapshotInfo>, StoreError>;

    /// The latest snapshot (by time taken) of a project on the given branches.
    fn latest(
        &mut self,
        project: &str,
        branch: &BranchFilter,
    ) -> Result<Option<SnapshotInfo>, StoreError>;

    /// The snapshot before `id` in its project and branch, by time taken; `None` for the
    /// first (or an unknown id).
    fn previous(&mut self, id: SnapshotId) -> Result<Option<SnapshotInfo>, StoreError>;

    /// Snapshots matching the query, oldest first.
    fn snapshots(&mut self, query: &SnapshotQuery) -> Result<Vec<SnapshotInfo>, StoreError>;

    /// The snapshots of one span of an [`Exposure`], oldest first.
    fn snapshots_in(&mut self, span: &Span) -> Result<Vec<SnapshotInfo>, StoreError>;

    /// Every package record of a snapshot, sorted; `None` when there is no such id.
    fn packages(&mut self, id: SnapshotId) -> Result<Option<Vec<PackageRecord>>, StoreError>;

    /// Every (project, branch) with its snapshot count and latest snapshot, sorted; of one
    /// project when given.
    fn streams(&mut self, project: Option<&str>) -> Result<Vec<StreamInfo>, StoreError>;

    /// Where every stored package of (ecosystem, name) was seen: one [`Exposure`] per
    /// (project, branch, package), sorted by project, branch, version and package id. The
    /// name is normalised as its ecosystem compares names.
    fn exposure(&mut self, ecosystem: Ecosystem, name: &str) -> Result<Vec<Exposure>, StoreError>;

    /// Every (ecosystem, name, version) any snapshot ever held, sorted.
    fn package_keys(&mut self) -> Result<Vec<PackageKey>, StoreError>;

    /// A stored marker, or `None`.
    fn state(&mut self, key: &str) -> Result<Option<String>, StoreError>;

    /// Stores a marker, replacing any previous value.
    fn set_state(&mut self, key: &str, value: &str) -> Result<(), StoreError>;
}

/// Opens the database at `url`, creating it (and, for SQLite, its folder) when missing and
/// migrating it to [`SCHEMA_VERSION`]; refuses a database of a newer version.
pub fn open(url: &StoreUrl) -> Result<Box<dyn Store>, StoreError> {
    Ok(match url {
        StoreUrl::Sqlite(path) => Box::new(SqliteStore::open(path)?),
        StoreUrl::Postgres(u) => Box::new(PostgresStore::connect(u)?),
    })
}
