//! OSV advisories: the local database behind `chainward db import|update|status` and the
//! lookups `chainward scan` makes.
//!
//! - [`AdvisoryDb::open`] opens (or creates) `advisories.sqlite3` in the data directory;
//!   [`AdvisoryDb::open_existing`] refuses to create one.
//! - [`AdvisoryDb::import`] reads OSV JSON files and folders, OSV `all.zip` exports, PYSEC
//!   YAML and RustSec advisory-db folders (converted to OSV as RustSec's own export does).
//! - [`AdvisoryDb::update`] downloads `<base>/<ecosystem>/all.zip` with conditional requests
//!   and swaps the exports in atomically.
//! - [`AdvisoryDb::status`] gives counts and the data's age; [`DbStatus::check_max_age`].
//! - [`AdvisoryDb::package_keys`], [`AdvisoryDb::advisories_for`] and
//!   [`AdvisoryDb::load_index`] are the lookups; [`AdvisoryDb::advisories_by_id`] finds a
//!   record by id or alias, and [`AdvisoryDb::affected_by_id`] its packages.
//! - [`AdvisoryDb::change_seq`] and [`AdvisoryDb::changed_since`] tell what an import or
//!   update added or changed since a reader last looked (`exposure --new-advisories`).
//! - [`severity`] decides an advisory's severity and kind (finding code).
//!
//! Invariants:
//! - A write (an import, an update) is one SQLite transaction: all of it lands or none.
//! - Records are keyed by OSV id; a newer `modified` replaces, an older one is ignored, the
//!   same one is a no-op (same `modified` with different content replaces).
//! - Lookups are by (ecosystem, normalised name) and only for `npm`, `crates.io` and `PyPI`;
//!   withdrawn records are stored but never returned by lookups.
//! - No panic on any input; a bad record is reported with its file, zip entry and line, and
//!   the rest goes on.
//!
//! Non-goals: version matching (that is `chainward-version`'s OSV range evaluation, fed with
//! [`PackageAdvisory::affected`]), the OSV query API, and ecosystems other than the three.
#![warn(missing_docs)]

mod archive;
mod db;
mod error;
mod import;
mod osv;
mod record;
mod rustsec;
pub mod severity;
mod time;
mod update;

pub use archive::ArchiveLimits;
pub use db::{
    AdvisoryDb, AdvisoryIndex, AffectedAdvisory, DATABASE_FILE_NAME, DbStatus, EcosystemCount,
    PackageAdvisory, SCHEMA_VERSION, SourceCount, StaleData, StoredAdvisory, UpdateState,
    human_duration,
};
pub use error::{DbError, RecordError, RecordPlace, UpdateError};
pub use import::{ImportCounts, ImportOptions, ImportReport, SkipReason, SkippedRecord};
pub use osv::{AffectedPackage, AffectedRange, RangeEvent};
pub use record::AdvisorySource;
pub use update::{
    DEFAULT_BASE_URL, DEFAULT_ECOSYSTEMS, EcosystemUpdate, UpdateConfig, UpdateProgress,
    UpdateReport,
};
