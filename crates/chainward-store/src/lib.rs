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
//!   `exposure --new-advisories` has seen);
//! - [`Store::provenance_pin`], [`Store::pin_provenance_if_absent`] and
//!   [`Store::set_provenance_pin`] keep the build identity each package is expected to keep
//!   (a [`ProvenancePin`], one per (ecosystem, name): pinned on first sight, or by the user),
//!   and [`Store::observe_provenance`] and [`Store::provenance_observations`] what provenance
//!   checks found for each version (a [`ProvenanceObservation`]: verified with an identity,
//!   absent or invalid, first and last seen). Comparing identities is the caller's, through
//!   [`chainward_types::BuildIdentity::changes_from`].
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
//! - Pins and observations are rows of their own, not part of snapshots: a pin is replaced
//!   only by [`Store::set_provenance_pin`], and [`Store::pin_provenance_if_absent`] is atomic
//!   (of two concurrent callers, one pins and both get that pin). An observation keeps the
//!   `first_seen` it was first stored with. Names are normalised as their ecosystem compares
//!   names, on the way in and in lookups.
//! - Schema changes are numbered forward-only migrations (`migrations/{sqlite,postgres}`;
//!   SQLite `PRAGMA user_version`, PostgreSQL the `meta` table), applied in one transaction
//!   when the database is opened: version 1 is the snapshot history, version 2 adds the
//!   provenance pins and observations. A database with a newer version than this build
//!   knows is refused and never written: recording and the provenance writes check the
//!   version again inside their transaction.
//!
//! Non-goals: dependency edges and line numbers are not kept (lines move with every
//! lockfile edit and would defeat sharing); no snapshot is ever deleted or rewritten (no
//! pruning yet), and no pin or observation is ever deleted; no provenance verification
//! (the caller stores what `chainward-provenance` found); no version-range logic;
//! PostgreSQL without TLS only (`sslmode=require` fails); reading git repositories is the
//! caller's.
#![warn(missing_docs)]

mod error;
mod model;
mod postgres;
mod provenance;
mod record;
mod sqlite;
mod url;

pub use crate::error::{Location, StoreError};
pub use crate::model::{
    BranchFilter, Exposure, NewSnapshot, PackageId, PackageKey, PackageRecord, PinSource,
    ProvenanceObservation, ProvenancePin, ProvenanceState, Recorded, SnapshotId, SnapshotInfo,
    SnapshotQuery, SnapshotRef, Span, StoredPackage, StreamInfo, Verification, VerificationOutcome,
};
pub use crate::postgres::PostgresStore;
pub use crate::sqlite::SqliteStore;
pub use crate::url::{DATABASE_FILE_NAME, StoreUrl};
pub use chainward_types::{Timestamp, TimestampError};

use chainward_types::Ecosystem;

/// The schema version this build writes (the same number on both backends): 2, with the
/// provenance pins and observations. Older databases are migrated forward when opened.
pub const SCHEMA_VERSION: u32 = 2;

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

    /// The provenance pin of a package, if any. The name is normalised as its ecosystem
    /// compares names.
    fn provenance_pin(
        &mut self,
        ecosystem: Ecosystem,
        name: &str,
    ) -> Result<Option<ProvenancePin>, StoreError>;

    /// Pins `pin` unless its package already has a pin; returns the pin in force (the
    /// existing one, or `pin` with its name normalised). Atomic: of concurrent callers for
    /// one package, one pins and every one gets that pin back.
    fn pin_provenance_if_absent(
        &mut self,
        pin: &ProvenancePin,
    ) -> Result<ProvenancePin, StoreError>;

    /// Sets the pin of `pin`'s package, replacing any previous one (`provenance pin PURL`).
    fn set_provenance_pin(&mut self, pin: &ProvenancePin) -> Result<(), StoreError>;

    /// Records what provenance checks found for many versions, in one transaction. An
    /// observation of a version already observed keeps the stored `first_seen` and replaces
    /// the status, identity and `last_seen`; several of one version in `observations` count
    /// as if stored in order. Refuses (writing nothing) a verified observation without an
    /// identity, another with one, and one last seen before it was first seen.
    fn observe_provenance(
        &mut self,
        observations: &[ProvenanceObservation],
    ) -> Result<(), StoreError>;

    /// Every provenance observation of a package, ordered by `first_seen`, then version
    /// (byte order); empty for a package never observed. The name is normalised as its
    /// ecosystem compares names.
    fn provenance_observations(
        &mut self,
        ecosystem: Ecosystem,
        name: &str,
    ) -> Result<Vec<ProvenanceObservation>, StoreError>;
}

/// Opens the database at `url`, creating it (and, for SQLite, its folder) when missing and
/// migrating it to [`SCHEMA_VERSION`]; refuses a database of a newer version.
pub fn open(url: &StoreUrl) -> Result<Box<dyn Store>, StoreError> {
    Ok(match url {
        StoreUrl::Sqlite(path) => Box::new(SqliteStore::open(path)?),
        StoreUrl::Postgres(u) => Box::new(PostgresStore::connect(u)?),
    })
}
