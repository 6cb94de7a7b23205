//! The local advisory database: one SQLite file in the data directory.
//!
//! Invariants:
//! - One row per advisory (`advisory`), keyed by OSV id, with the fields chainward reads
//!   often; the full record (canonical JSON, raw-deflate compressed) sits apart in
//!   `advisory_record`, so scans and lookups touch narrow rows.
//! - One row per (ecosystem, normalised package name, advisory) in `affected_package`,
//!   the lookup table, clustered on (ecosystem, name). Only rows of supported ecosystems
//!   (`npm`, `crates.io`, `PyPI`) of records that are not withdrawn are `matchable`.
//! - Schema changes are forward-only migrations numbered by `PRAGMA user_version`; a file
//!   with a newer version than this build knows is refused, never touched.
//! - Every write (an import, an update) is one transaction: it lands whole or not at all.
//! - Every write takes the next number of a change sequence (`meta.change_seq`); a record
//!   stores the number of the write that added it (`first_seq`) and of the last write that
//!   changed it (`change_seq`), so readers can ask what changed since a number they saw
//!   ([`AdvisoryDb::changed_since`]). `meta.instance_id` tells databases apart: a recreated
//!   file starts a new sequence under a new id. Rows older than the sequence have 0.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use rusqlite::config::DbConfig;
use rusqlite::{Connection, OptionalExtension as _, Transaction, TransactionBehavior, params};
use serde::Serialize;
use serde_json::Value;

use chainward_types::{Ecosystem, normalize_name};

use crate::error::DbError;
use crate::osv::AffectedPackage;
use crate::record::{AdvisorySource, PreparedRecord, inflate};
use crate::severity::{AdvisoryKind, Severity};
use crate::time::{format_rfc3339, micros_system_time, parse_rfc3339_micros, system_time_micros};

/// The database file's name inside the data directory.
pub const DATABASE_FILE_NAME: &str = "advisories.sqlite3";

/// Forward-only migrations; migration `i` takes the schema from version `i` to `i + 1`.
const MIGRATIONS: &[&str] = &[
    r"
CREATE TABLE advisory (
    id          TEXT PRIMARY KEY NOT NULL,
    source      TEXT NOT NULL,
    modified    TEXT NOT NULL,
    modified_us INTEGER NOT NULL,
    published   TEXT,
    withdrawn   TEXT,
    summary     TEXT,
    aliases     TEXT NOT NULL,
    severity    TEXT NOT NULL,
    score       REAL,
    vector      TEXT,
    kind        TEXT NOT NULL,
    basis       TEXT NOT NULL,
    sha256      BLOB NOT NULL,
    origin      TEXT NOT NULL,
    imported_at TEXT NOT NULL
) STRICT;
CREATE INDEX advisory_withdrawn ON advisory(id) WHERE withdrawn IS NOT NULL;
CREATE INDEX advisory_modified ON advisory(modified_us);
CREATE TABLE advisory_record (
    advisory_id TEXT PRIMARY KEY NOT NULL REFERENCES advisory(id) ON DELETE CASCADE,
    record      BLOB NOT NULL
) STRICT;
CREATE TABLE affected_package (
    ecosystem   TEXT NOT NULL,
    name        TEXT NOT NULL,
    advisory_id TEXT NOT NULL REFERENCES advisory(id) ON DELETE CASCADE,
    matchable   INTEGER NOT NULL,
    affected    TEXT NOT NULL,
    PRIMARY KEY (ecosystem, name, advisory_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX affected_package_by_advisory ON affected_package(advisory_id);
CREATE TABLE advisory_alias (
    alias       TEXT NOT NULL,
    advisory_id TEXT NOT NULL REFERENCES advisory(id) ON DELETE CASCADE,
    PRIMARY KEY (alias, advisory_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX advisory_alias_by_advisory ON advisory_alias(advisory_id);
CREATE TABLE update_state (
    ecosystem     TEXT PRIMARY KEY NOT NULL,
    url           TEXT NOT NULL,
    etag          TEXT,
    last_modified TEXT,
    checked_at    TEXT NOT NULL,
    changed_at    TEXT NOT NULL,
    records       INTEGER NOT NULL
) STRICT;
CREATE TABLE refresh_log (
    id      INTEGER PRIMARY KEY,
    kind    TEXT NOT NULL,
    at      TEXT NOT NULL,
    at_us   INTEGER NOT NULL,
    summary TEXT NOT NULL
) STRICT;
",
    r"
CREATE TABLE meta (
    key   TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
) STRICT;
INSERT INTO meta (key, value) VALUES ('instance_id', lower(hex(randomblob(16)))), ('change_seq', '0');
ALTER TABLE advisory ADD COLUMN first_seq INTEGER NOT NULL DEFAULT 0;
ALTER TABLE advisory ADD COLUMN change_seq INTEGER NOT NULL DEFAULT 0;
CREATE INDEX advisory_change_seq ON advisory(change_seq);
",
];

/// The schema version this build writes.
pub const SCHEMA_VERSION: u32 = MIGRATIONS.len() as u32;

/// Largest stored record that is decompressed on read (a guard against a corrupt file).
const MAX_RECORD_BYTES: u64 = 64 << 20;

/// The local advisory database.
#[derive(Debug)]
pub struct AdvisoryDb {
    pub(crate) conn: Connection,
    pub(crate) path: PathBuf,
}

/// One advisory that names a package, as a matcher needs it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PackageAdvisory {
    /// The OSV id (`MAL-2025-46969`, `RUSTSEC-2026-0260`, `GHSA-...`).
    pub id: String,
    /// Where it comes from.
    pub source: AdvisorySource,
    /// Other ids of the same advisory.
    pub aliases: Vec<String>,
    /// The one-line summary, when the record has one.
    pub summary: Option<String>,
    /// `modified`, as written in the record.
    pub modified: String,
    /// `published`, as written in the record.
    pub published: Option<String>,
    /// The severity ([`crate::severity`] documents the rule).
    pub severity: Severity,
    /// The highest CVSS base score, when a vector could be scored.
    pub score: Option<f64>,
    /// The vector that gave [`PackageAdvisory::score`].
    pub vector: Option<String>,
    /// The kind of advisory, which gives the finding code.
    pub kind: AdvisoryKind,
    /// The record's `affected[]` entries for this package (usually one).
    pub affected: Vec<AffectedPackage>,
}

impl PackageAdvisory {
    /// Every `fixed` version the record names for this package.
    pub fn fixed_versions(&self) -> Vec<&str> {
        self.affected
            .iter()
            .flat_map(AffectedPackage::fixed_versions)
            .collect()
    }
}

/// One advisory naming one package, with its place in the change sequence (see
/// [`AdvisoryDb::changed_since`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AffectedAdvisory {
    /// The package's ecosystem.
    pub ecosystem: Ecosystem,
    /// The package's normalised name.
    pub name: String,
    /// The advisory, with its `affected` entries for this package.
    pub advisory: PackageAdvisory,
    /// `withdrawn`, when the record is withdrawn.
    pub withdrawn: Option<String>,
    /// The write that added the record (0: before the sequence existed).
    pub first_seq: u64,
    /// The last write that added or changed the record.
    pub change_seq: u64,
}

/// A stored advisory with its full OSV record.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredAdvisory {
    /// The OSV id.
    pub id: String,
    /// Where it comes from.
    pub source: AdvisorySource,
    /// `withdrawn`, when the record is withdrawn (it then never matches).
    pub withdrawn: Option<String>,
    /// The severity.
    pub severity: Severity,
    /// The kind.
    pub kind: AdvisoryKind,
    /// Where it was imported from (a file path, or `update:<ecosystem>`).
    pub origin: String,
    /// When it was imported (RFC 3339).
    pub imported_at: String,
    /// The full OSV record (for RustSec Markdown and PYSEC YAML: the OSV conversion).
    pub record: Value,
}

/// Advisory counts for one ecosystem.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct EcosystemCount {
    /// Advisories naming at least one package of the ecosystem (withdrawn ones included).
    pub advisories: u64,
    /// Of which withdrawn.
    pub withdrawn: u64,
    /// Distinct package names.
    pub packages: u64,
    /// False for ecosystems chainward stores but never matches (e.g. `Debian:12`).
    pub matched: bool,
}

/// Advisory counts for one source.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SourceCount {
    /// Advisories.
    pub advisories: u64,
    /// Of which withdrawn.
    pub withdrawn: u64,
}

/// What `db update` last saw of one ecosystem's export.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UpdateState {
    /// The ecosystem.
    pub ecosystem: String,
    /// The URL downloaded.
    pub url: String,
    /// The server's `ETag`, sent back as `If-None-Match`.
    pub etag: Option<String>,
    /// The server's `Last-Modified`, sent back as `If-Modified-Since`.
    pub last_modified: Option<String>,
    /// When the server was last asked (a `304 Not Modified` counts).
    pub checked_at: String,
    /// When the export last changed and was applied.
    pub changed_at: String,
    /// Records in that export.
    pub records: u64,
}

/// What the database holds and how old it is (`db status`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DbStatus {
    /// The database file.
    pub path: PathBuf,
    /// Its schema version.
    pub schema_version: u32,
    /// Stored advisories.
    pub advisories: u64,
    /// Of which withdrawn.
    pub withdrawn: u64,
    /// Counts per ecosystem (OSV names; unsupported ecosystems under their own name).
    pub ecosystems: BTreeMap<String, EcosystemCount>,
    /// Counts per source.
    pub sources: BTreeMap<AdvisorySource, SourceCount>,
    /// The newest `modified` of any record.
    pub newest_modified: Option<String>,
    /// When `db import` last ran (RFC 3339).
    pub last_import: Option<String>,
    /// When `db update` last completed (RFC 3339; a run that found nothing new counts).
    pub last_update: Option<String>,
    /// Per-ecosystem update state.
    pub updates: Vec<UpdateState>,
}

/// The data is older than allowed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StaleData {
    /// There is no data at all.
    #[error("the advisory database is empty: run `chainward db update` or `chainward db import`")]
    Empty,
    /// The data is older than the limit.
    #[error(
        "the advisory data is {} old, more than the allowed {}: run `chainward db update`",
        human_duration(*age),
        human_duration(*max_age)
    )]
    TooOld {
        /// How old.
        age: Duration,
        /// The limit.
        max_age: Duration,
    },
}

/// `3d 4h`, `5h 12m`, `42s`.
pub fn human_duration(d: Duration) -> String {
    let s = d.as_secs();
    let (days, hours, minutes) = (s / 86_400, s % 86_400 / 3600, s % 3600 / 60);
    if days > 0 {
        format!("{days}d {hours}h")
    } else if hours > 0 {
        format!("{hours}h {minutes}m")
    } else if minutes > 0 {
        format!("{minutes}m {}s", s % 60)
    } else {
        format!("{s}s")
    }
}

impl DbStatus {
    /// When the data was last known fresh: the later of the last successful `db update`
    /// (which asked the server) and the newest record's `modified`. An import of old files
    /// does not make the data fresh; an update that found nothing new does.
    pub fn freshness(&self) -> Option<SystemTime> {
        let update = self.last_update.as_deref().and_then(parse_rfc3339_micros);
        let newest = self
            .newest_modified
            .as_deref()
            .and_then(parse_rfc3339_micros);
        update.max(newest).map(micros_system_time)
    }

    /// How old the data is at `now` (zero when `now` is before [`DbStatus::freshness`]).
    pub fn age(&self, now: SystemTime) -> Option<Duration> {
        self.freshness()
            .map(|f| now.duration_since(f).unwrap_or(Duration::ZERO))
    }

    /// `Err` when the data is older than `max_age` at `now`, or there is none. The CLI turns
    /// it into a warning, or an error under `--fail-on-stale`.
    pub fn check_max_age(&self, max_age: Duration, now: SystemTime) -> Result<(), StaleData> {
        if self.advisories == 0 {
            return Err(StaleData::Empty);
        }
        match self.age(now) {
            Some(age) if age <= max_age => Ok(()),
            Some(age) => Err(StaleData::TooOld { age, max_age }),
            None => Err(StaleData::Empty),
        }
    }
}

/// What happened to one record on write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    Added,
    Updated,
    Unchanged,
    /// Older than the stored record: ignored. Carries nothing; the caller reports it.
    Outdated,
}

/// All advisories of matchable packages, in memory: `Send + Sync`, for scanners that look
/// up many packages from many threads.
#[derive(Debug, Clone, Default)]
pub struct AdvisoryIndex {
    by_package: HashMap<(Ecosystem, String), Vec<PackageAdvisory>>,
}

impl AdvisoryIndex {
    /// The advisories naming a package (the name is normalised here); empty when none.
    pub fn advisories_for(&self, ecosystem: Ecosystem, name: &str) -> &[PackageAdvisory] {
        self.by_package
            .get(&(ecosystem, normalize_name(ecosystem, name)))
            .map_or(&[], Vec::as_slice)
    }

    /// Number of (ecosystem, package) keys.
    pub fn len(&self) -> usize {
        self.by_package.len()
    }

    /// True when there are no advisories at all.
    pub fn is_empty(&self) -> bool {
        self.by_package.is_empty()
    }
}

fn sql<'a>(path: &'a Path, context: &'static str) -> impl FnOnce(rusqlite::Error) -> DbError + 'a {
    move |source| DbError::Sqlite {
        path: path.to_path_buf(),
        context,
        source,
    }
}

/// A non-negative count column.
fn count(r: &rusqlite::Row<'_>, i: usize) -> rusqlite::Result<u64> {
    Ok(u64::try_from(r.get::<_, Option<i64>>(i)?.unwrap_or(0)).unwrap_or(0))
}

impl AdvisoryDb {
    /// Opens (creating it and the folder if needed) the database in the data directory
    /// `data_dir`, and brings its schema up to date.
    pub fn open(data_dir: &Path) -> Result<Self, DbError> {
        fs_err::create_dir_all(data_dir).map_err(|source| DbError::CreateDir {
            path: data_dir.to_path_buf(),
            source,
        })?;
        Self::open_file(&data_dir.join(DATABASE_FILE_NAME))
    }

    /// Opens the database in `data_dir` only if it exists ([`DbError::Missing`] otherwise):
    /// for commands that read advisories and must not create an empty database.
    pub fn open_existing(data_dir: &Path) -> Result<Self, DbError> {
        let path = data_dir.join(DATABASE_FILE_NAME);
        if !path.is_file() {
            return Err(DbError::Missing { path });
        }
        Self::open_file(&path)
    }

    /// Opens (creating if needed) the database file at `path`.
    pub fn open_file(path: &Path) -> Result<Self, DbError> {
        let conn = Connection::open(path).map_err(|source| DbError::Sqlite {
            path: path.to_path_buf(),
            context: "opening",
            source,
        })?;
        let mut db = Self {
            conn,
            path: path.to_path_buf(),
        };
        db.configure()?;
        db.migrate()?;
        Ok(db)
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn configure(&self) -> Result<(), DbError> {
        let p = &self.path;
        self.conn
            .busy_timeout(Duration::from_secs(30))
            .map_err(sql(p, "setting busy_timeout"))?;
        self.conn
            .pragma_update(None, "journal_mode", "WAL")
            .map_err(sql(p, "enabling WAL"))?;
        // Reads through mmap, not a pread per page: lookups touch random pages.
        self.conn
            .pragma_update(None, "mmap_size", 1_i64 << 30)
            .map_err(sql(p, "setting mmap_size"))?;
        self.conn
            .pragma_update(None, "cache_size", -32_000)
            .map_err(sql(p, "setting cache_size"))?;
        self.conn
            .pragma_update(None, "synchronous", "NORMAL")
            .map_err(sql(p, "setting synchronous"))?;
        self.conn
            .pragma_update(None, "foreign_keys", "ON")
            .map_err(sql(p, "enabling foreign keys"))?;
        // Without the query planner stability guarantee, the bundled SQLite (built with
        // STAT4) re-prepares a statement every time a bound value changes: 50 µs per lookup
        // instead of a few.
        self.conn
            .set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)
            .map_err(sql(p, "enabling the query planner stability guarantee"))?;
        Ok(())
    }

    fn migrate(&mut self) -> Result<(), DbError> {
        let path = self.path.clone();
        let version: u32 = self
            .conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(sql(&path, "reading the schema version"))?;
        if version > SCHEMA_VERSION {
            return Err(DbError::TooNew {
                path,
                found: version,
                supported: SCHEMA_VERSION,
            });
        }
        if version == SCHEMA_VERSION {
            return Ok(());
        }
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(sql(&path, "starting the migration"))?;
        // Re-read under the write lock: another process may have migrated meanwhile.
        let version: u32 = tx
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(sql(&path, "reading the schema version"))?;
        if version > SCHEMA_VERSION {
            return Err(DbError::TooNew {
                path,
                found: version,
                supported: SCHEMA_VERSION,
            });
        }
        for (i, migration) in MIGRATIONS.iter().enumerate().skip(version as usize) {
            tx.execute_batch(migration)
                .map_err(sql(&path, "migrating the schema"))?;
            tx.pragma_update(None, "user_version", i as u32 + 1)
                .map_err(sql(&path, "recording the schema version"))?;
        }
        tx.commit().map_err(sql(&path, "committing the migration"))
    }

    /// The advisories naming one package, withdrawn ones excluded, ordered by id. The name
    /// is normalised as its ecosystem compares names (PEP 503 for PyPI).
    pub fn advisories_for(
        &self,
        ecosystem: Ecosystem,
        name: &str,
    ) -> Result<Vec<PackageAdvisory>, DbError> {
        let p = &self.path;
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT a.id, a.source, a.aliases, a.summary, a.modified, a.published, a.severity,
                        a.score, a.vector, a.kind, p.affected
                 FROM affected_package p JOIN advisory a ON a.id = p.advisory_id
                 WHERE p.ecosystem = ?1 AND p.name = ?2 AND p.matchable = 1
                 ORDER BY a.id",
            )
            .map_err(sql(p, "looking up a package"))?;
        let name = normalize_name(ecosystem, name);
        let rows = stmt
            .query_map(params![ecosystem.as_str(), name], RawAdvisoryRow::from_row)
            .map_err(sql(p, "looking up a package"))?;
        let mut out = Vec::new();
        for row in rows {
            let row = row.map_err(sql(p, "reading a looked-up advisory"))?;
            out.push(row.into_advisory(p)?);
        }
        Ok(out)
    }

    /// Every (ecosystem, normalised name) that any advisory that can match names: load it
    /// once, and look up only the packages in it.
    pub fn package_keys(&self) -> Result<HashSet<(Ecosystem, String)>, DbError> {
        let p = &self.path;
        let mut stmt = self
            .conn
            .prepare("SELECT DISTINCT ecosystem, name FROM affected_package WHERE matchable = 1")
            .map_err(sql(p, "listing packages"))?;
        let rows = stmt
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
            .map_err(sql(p, "listing packages"))?;
        let mut out = HashSet::new();
        for row in rows {
            let (eco, name) = row.map_err(sql(p, "listing packages"))?;
            if let Some(e) = Ecosystem::from_name(&eco) {
                out.insert((e, name));
            }
        }
        Ok(out)
    }

    /// Loads every matchable advisory into an [`AdvisoryIndex`].
    pub fn load_index(&self) -> Result<AdvisoryIndex, DbError> {
        let p = &self.path;
        let mut stmt = self
            .conn
            .prepare(
                "SELECT a.id, a.source, a.aliases, a.summary, a.modified, a.published, a.severity,
                        a.score, a.vector, a.kind, p.affected, p.ecosystem, p.name
                 FROM affected_package p JOIN advisory a ON a.id = p.advisory_id
                 WHERE p.matchable = 1
                 ORDER BY p.ecosystem, p.name, a.id",
            )
            .map_err(sql(p, "loading the index"))?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    RawAdvisoryRow::from_row(r)?,
                    r.get::<_, String>(11)?,
                    r.get::<_, String>(12)?,
                ))
            })
            .map_err(sql(p, "loading the index"))?;
        let mut index = AdvisoryIndex::default();
        for row in rows {
            let (raw, eco, name) = row.map_err(sql(p, "loading the index"))?;
            let Some(eco) = Ecosystem::from_name(&eco) else {
                continue;
            };
            let advisory = raw.into_advisory(p)?;
            index
                .by_package
                .entry((eco, name))
                .or_default()
                .push(advisory);
        }
        Ok(index)
    }

    /// The stored advisory with this id, or whose aliases include it (several when an alias
    /// is shared), with the full record.
    pub fn advisories_by_id(&self, id: &str) -> Result<Vec<StoredAdvisory>, DbError> {
        let p = &self.path;
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT a.id, a.source, a.withdrawn, a.severity, a.kind, a.origin, a.imported_at, r.record
                 FROM advisory a JOIN advisory_record r ON r.advisory_id = a.id
                 WHERE a.id = ?1 OR a.id IN (SELECT advisory_id FROM advisory_alias WHERE alias = ?1)
                 ORDER BY a.id != ?1, a.id",
            )
            .map_err(sql(p, "finding an advisory"))?;
        let rows = stmt
            .query_map([id], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, Option<String>>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, String>(5)?,
                    r.get::<_, String>(6)?,
                    r.get::<_, Vec<u8>>(7)?,
                ))
            })
            .map_err(sql(p, "finding an advisory"))?;
        let mut out = Vec::new();
        for row in rows {
            let (id, source, withdrawn, severity, kind, origin, imported_at, blob) =
                row.map_err(sql(p, "finding an advisory"))?;
            let corrupt = |message: String| DbError::Corrupt {
                path: p.clone(),
                id: id.clone(),
                message,
            };
            let json = inflate(&blob, MAX_RECORD_BYTES).map_err(|e| corrupt(e.to_string()))?;
            let record: Value =
                serde_json::from_slice(&json).map_err(|e| corrupt(e.to_string()))?;
            out.push(StoredAdvisory {
                source: AdvisorySource::from_name(&source).unwrap_or(AdvisorySource::Osv),
                withdrawn,
                severity: Severity::from_name(&severity)
                    .ok_or_else(|| corrupt(format!("severity `{severity}`")))?,
                kind: kind
                    .parse()
                    .map_err(|_| corrupt(format!("kind `{kind}`")))?,
                origin,
                imported_at,
                record,
                id,
            });
        }
        Ok(out)
    }

    /// This database's identity: a random id made when the file was created (or first
    /// migrated to the change sequence). A file deleted and imported again has another id,
    /// so a change number saved elsewhere is never compared with another file's sequence.
    pub fn instance_id(&self) -> Result<String, DbError> {
        self.conn
            .query_row(
                "SELECT value FROM meta WHERE key = 'instance_id'",
                [],
                |r| r.get(0),
            )
            .map_err(sql(&self.path, "reading the database id"))
    }

    /// The number of the last write (import or update) in the change sequence; 0 before any.
    pub fn change_seq(&self) -> Result<u64, DbError> {
        let n: i64 = self
            .conn
            .query_row(
                "SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'change_seq'",
                [],
                |r| r.get(0),
            )
            .map_err(sql(&self.path, "reading the change sequence"))?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// Every matchable (advisory, package) whose advisory was added or changed by a write
    /// numbered after `after` (every one when `None`) and up to `upto` inclusive, ordered by
    /// ecosystem, name and id. Take `upto` from [`AdvisoryDb::change_seq`] first, so a
    /// write that lands meanwhile is left for the next reader.
    pub fn changed_since(
        &self,
        after: Option<u64>,
        upto: u64,
    ) -> Result<Vec<AffectedAdvisory>, DbError> {
        let after = after.map_or(-1, |a| i64::try_from(a).unwrap_or(i64::MAX));
        let upto = i64::try_from(upto).unwrap_or(i64::MAX);
        self.affected_rows(
            "p.matchable = 1 AND a.change_seq > ?1 AND a.change_seq <= ?2",
            params![after, upto],
            "listing changed advisories",
        )
    }

    /// The (advisory, package) rows of npm, crates.io and PyPI packages named by the
    /// advisory with this id, or by advisories whose aliases include it; withdrawn ones are
    /// included, with [`AffectedAdvisory::withdrawn`] set. Ordered by ecosystem, name and id.
    pub fn affected_by_id(&self, id: &str) -> Result<Vec<AffectedAdvisory>, DbError> {
        self.affected_rows(
            "p.ecosystem IN ('npm', 'crates.io', 'PyPI')
             AND (a.id = ?1 OR a.id IN (SELECT advisory_id FROM advisory_alias WHERE alias = ?1))",
            params![id],
            "finding an advisory",
        )
    }

    fn affected_rows(
        &self,
        filter: &str,
        args: impl rusqlite::Params,
        context: &'static str,
    ) -> Result<Vec<AffectedAdvisory>, DbError> {
        let p = &self.path;
        let mut stmt = self
            .conn
            .prepare(&format!(
                "SELECT a.id, a.source, a.aliases, a.summary, a.modified, a.published, a.severity,
                        a.score, a.vector, a.kind, p.affected, p.ecosystem, p.name, a.withdrawn,
                        a.first_seq, a.change_seq
                 FROM affected_package p JOIN advisory a ON a.id = p.advisory_id
                 WHERE {filter}
                 ORDER BY p.ecosystem, p.name, a.id"
            ))
            .map_err(sql(p, context))?;
        let rows = stmt
            .query_map(args, |r| {
                Ok((
                    RawAdvisoryRow::from_row(r)?,
                    r.get::<_, String>(11)?,
                    r.get::<_, String>(12)?,
                    r.get::<_, Option<String>>(13)?,
                    r.get::<_, i64>(14)?,
                    r.get::<_, i64>(15)?,
                ))
            })
            .map_err(sql(p, context))?;
        let mut out = Vec::new();
        for row in rows {
            let (raw, eco, name, withdrawn, first_seq, change_seq) =
                row.map_err(sql(p, context))?;
            let Some(ecosystem) = crate::record::supported_ecosystem(&eco) else {
                continue;
            };
            out.push(AffectedAdvisory {
                ecosystem,
                name,
                advisory: raw.into_advisory(p)?,
                withdrawn,
                first_seq: u64::try_from(first_seq).unwrap_or(0),
                change_seq: u64::try_from(change_seq).unwrap_or(0),
            });
        }
        Ok(out)
    }

    /// Counts, data age and update state.
    pub fn status(&self) -> Result<DbStatus, DbError> {
        self.status_with(true)
    }

    /// Like [`AdvisoryDb::status`] without the per-ecosystem and per-source counts (left
    /// empty): what a scan needs to judge the data's age, at a fraction of the cost.
    pub fn summary(&self) -> Result<DbStatus, DbError> {
        self.status_with(false)
    }

    /// Fills the per-ecosystem and per-source counts of [`DbStatus`].
    fn count_by_ecosystem_and_source(
        &self,
        ecosystems: &mut BTreeMap<String, EcosystemCount>,
        sources: &mut BTreeMap<AdvisorySource, SourceCount>,
    ) -> Result<(), DbError> {
        let p = &self.path;
        let ctx = "reading the status";
        let mut stmt = self
            .conn
            .prepare(
                "SELECT p.ecosystem, COUNT(DISTINCT p.advisory_id), COUNT(DISTINCT p.name),
                        (SELECT COUNT(DISTINCT w.advisory_id) FROM advisory a
                         JOIN affected_package w ON w.advisory_id = a.id
                         WHERE a.withdrawn IS NOT NULL AND w.ecosystem = p.ecosystem)
                 FROM affected_package p
                 GROUP BY p.ecosystem",
            )
            .map_err(sql(p, ctx))?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    count(r, 1)?,
                    count(r, 3)?,
                    count(r, 2)?,
                ))
            })
            .map_err(sql(p, ctx))?;
        for row in rows {
            let (eco, advisories, withdrawn, packages) = row.map_err(sql(p, ctx))?;
            let matched =
                crate::record::supported_ecosystem(&eco).is_some_and(|e| e.as_str() == eco);
            ecosystems.insert(
                eco,
                EcosystemCount {
                    advisories,
                    withdrawn,
                    packages,
                    matched,
                },
            );
        }

        let mut stmt = self
            .conn
            .prepare(
                "SELECT source, COUNT(*), SUM(withdrawn IS NOT NULL) FROM advisory GROUP BY source",
            )
            .map_err(sql(p, ctx))?;
        let rows = stmt
            .query_map([], |r| {
                Ok((r.get::<_, String>(0)?, count(r, 1)?, count(r, 2)?))
            })
            .map_err(sql(p, ctx))?;
        for row in rows {
            let (source, advisories, withdrawn) = row.map_err(sql(p, ctx))?;
            let source = AdvisorySource::from_name(&source).unwrap_or(AdvisorySource::Osv);
            sources.insert(
                source,
                SourceCount {
                    advisories,
                    withdrawn,
                },
            );
        }

        Ok(())
    }

    fn status_with(&self, detailed: bool) -> Result<DbStatus, DbError> {
        let p = &self.path;
        let ctx = "reading the status";
        let (advisories, withdrawn, newest_us): (u64, u64, Option<i64>) = self
            .conn
            .query_row(
                "SELECT COUNT(*), COALESCE(SUM(withdrawn IS NOT NULL), 0), MAX(modified_us) FROM advisory",
                [],
                |r| Ok((count(r, 0)?, count(r, 1)?, r.get(2)?)),
            )
            .map_err(sql(p, ctx))?;
        let newest_modified = match newest_us {
            Some(ns) => self
                .conn
                .query_row(
                    "SELECT modified FROM advisory WHERE modified_us = ?1 LIMIT 1",
                    [ns],
                    |r| r.get(0),
                )
                .optional()
                .map_err(sql(p, ctx))?,
            None => None,
        };

        let mut ecosystems = BTreeMap::new();
        let mut sources = BTreeMap::new();
        if detailed {
            self.count_by_ecosystem_and_source(&mut ecosystems, &mut sources)?;
        }

        let last = |kind: &str| -> Result<Option<String>, DbError> {
            self.conn
                .query_row(
                    "SELECT at FROM refresh_log WHERE kind = ?1 ORDER BY at_us DESC, id DESC LIMIT 1",
                    [kind],
                    |r| r.get(0),
                )
                .optional()
                .map_err(sql(p, ctx))
        };
        let last_import = last("import")?;
        let last_update = last("update")?;

        Ok(DbStatus {
            path: p.clone(),
            schema_version: SCHEMA_VERSION,
            advisories,
            withdrawn,
            ecosystems,
            sources,
            newest_modified,
            last_import,
            last_update,
            updates: self.update_states()?,
        })
    }

    /// The per-ecosystem state `db update` keeps.
    pub fn update_states(&self) -> Result<Vec<UpdateState>, DbError> {
        let p = &self.path;
        let mut stmt = self
            .conn
            .prepare(
                "SELECT ecosystem, url, etag, last_modified, checked_at, changed_at, records
                 FROM update_state ORDER BY ecosystem",
            )
            .map_err(sql(p, "reading the update state"))?;
        let rows = stmt
            .query_map([], |r| {
                Ok(UpdateState {
                    ecosystem: r.get(0)?,
                    url: r.get(1)?,
                    etag: r.get(2)?,
                    last_modified: r.get(3)?,
                    checked_at: r.get(4)?,
                    changed_at: r.get(5)?,
                    records: count(r, 6)?,
                })
            })
            .map_err(sql(p, "reading the update state"))?;
        rows.collect::<Result<_, _>>()
            .map_err(sql(p, "reading the update state"))
    }

    /// Starts the one write transaction of an import or update.
    pub(crate) fn writer(&mut self, now: SystemTime) -> Result<Writer<'_>, DbError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(sql(&self.path, "starting a write"))?;
        let now_us = system_time_micros(now);
        let seq: i64 = tx
            .query_row(
                "UPDATE meta SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT)
                 WHERE key = 'change_seq' RETURNING CAST(value AS INTEGER)",
                [],
                |r| r.get(0),
            )
            .map_err(sql(&self.path, "taking the next change number"))?;
        Ok(Writer {
            tx,
            path: &self.path,
            now: format_rfc3339(now_us),
            now_us,
            seq,
        })
    }
}

struct RawAdvisoryRow {
    id: String,
    source: String,
    aliases: String,
    summary: Option<String>,
    modified: String,
    published: Option<String>,
    severity: String,
    score: Option<f64>,
    vector: Option<String>,
    kind: String,
    affected: String,
}

impl RawAdvisoryRow {
    /// Reads the first eleven columns, which every advisory query selects in this order:
    /// `a.id, a.source, a.aliases, a.summary, a.modified, a.published, a.severity, a.score,
    /// a.vector, a.kind, p.affected`.
    fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            id: r.get(0)?,
            source: r.get(1)?,
            aliases: r.get(2)?,
            summary: r.get(3)?,
            modified: r.get(4)?,
            published: r.get(5)?,
            severity: r.get(6)?,
            score: r.get(7)?,
            vector: r.get(8)?,
            kind: r.get(9)?,
            affected: r.get(10)?,
        })
    }

    fn into_advisory(self, path: &Path) -> Result<PackageAdvisory, DbError> {
        let corrupt = |message: String| DbError::Corrupt {
            path: path.to_path_buf(),
            id: self.id.clone(),
            message,
        };
        Ok(PackageAdvisory {
            source: AdvisorySource::from_name(&self.source).unwrap_or(AdvisorySource::Osv),
            aliases: serde_json::from_str(&self.aliases).map_err(|e| corrupt(e.to_string()))?,
            severity: Severity::from_name(&self.severity)
                .ok_or_else(|| corrupt(format!("severity `{}`", self.severity)))?,
            kind: self
                .kind
                .parse()
                .map_err(|_| corrupt(format!("kind `{}`", self.kind)))?,
            affected: serde_json::from_str(&self.affected).map_err(|e| corrupt(e.to_string()))?,
            summary: self.summary,
            modified: self.modified,
            published: self.published,
            score: self.score,
            vector: self.vector,
            id: self.id,
        })
    }
}

/// The one write transaction of an import or update. Dropped without
/// [`Writer::commit`], everything is rolled back.
pub(crate) struct Writer<'a> {
    tx: Transaction<'a>,
    path: &'a Path,
    pub(crate) now: String,
    now_us: i64,
    /// This write's number in the change sequence.
    seq: i64,
}

impl Writer<'_> {
    /// Stores a record unless the stored one is newer or the same.
    ///
    /// - no stored record: added;
    /// - stored `modified` older, or equal with different content: replaced ("updated");
    /// - equal `modified` and identical content: unchanged;
    /// - stored `modified` newer: outdated, ignored.
    pub(crate) fn apply(&self, r: &PreparedRecord, origin: &str) -> Result<Outcome, DbError> {
        let p = self.path;
        let ctx = "storing an advisory";
        let stored: Option<(i64, Vec<u8>)> = self
            .tx
            .prepare_cached("SELECT modified_us, sha256 FROM advisory WHERE id = ?1")
            .map_err(sql(p, ctx))?
            .query_row([&r.id], |row| Ok((row.get(0)?, row.get(1)?)))
            .optional()
            .map_err(sql(p, ctx))?;
        let outcome = match &stored {
            None => Outcome::Added,
            Some((m, _)) if r.modified_us < *m => return Ok(Outcome::Outdated),
            Some((m, h)) if r.modified_us == *m && h.as_slice() == r.sha256 => {
                return Ok(Outcome::Unchanged);
            }
            Some(_) => Outcome::Updated,
        };
        let a = &r.assessment;
        let aliases = serde_json::to_string(&r.aliases).unwrap_or_else(|_| "[]".to_owned());
        self.tx
            .prepare_cached(
                "INSERT INTO advisory (id, source, modified, modified_us, published, withdrawn, summary,
                     aliases, severity, score, vector, kind, basis, sha256, origin, imported_at,
                     first_seq, change_seq)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?17)
                 ON CONFLICT(id) DO UPDATE SET source = excluded.source, modified = excluded.modified,
                     modified_us = excluded.modified_us, published = excluded.published,
                     withdrawn = excluded.withdrawn, summary = excluded.summary, aliases = excluded.aliases,
                     severity = excluded.severity, score = excluded.score, vector = excluded.vector,
                     kind = excluded.kind, basis = excluded.basis, sha256 = excluded.sha256,
                     origin = excluded.origin, imported_at = excluded.imported_at,
                     change_seq = excluded.change_seq",
            )
            .map_err(sql(p, ctx))?
            .execute(params![
                r.id,
                r.source.as_str(),
                r.modified,
                r.modified_us,
                r.published,
                r.withdrawn,
                r.summary,
                aliases,
                a.severity.as_str(),
                a.score,
                a.vector,
                a.kind.code(),
                a.basis.as_str(),
                r.sha256.as_slice(),
                origin,
                self.now,
                self.seq,
            ])
            .map_err(sql(p, ctx))?;
        self.tx
            .prepare_cached(
                "INSERT INTO advisory_record (advisory_id, record) VALUES (?1, ?2)
                 ON CONFLICT(advisory_id) DO UPDATE SET record = excluded.record",
            )
            .map_err(sql(p, ctx))?
            .execute(params![r.id, r.compressed])
            .map_err(sql(p, ctx))?;
        if outcome == Outcome::Updated {
            for table in [
                "DELETE FROM affected_package WHERE advisory_id = ?1",
                "DELETE FROM advisory_alias WHERE advisory_id = ?1",
            ] {
                self.tx
                    .prepare_cached(table)
                    .map_err(sql(p, ctx))?
                    .execute([&r.id])
                    .map_err(sql(p, ctx))?;
            }
        }
        let mut insert = self
            .tx
            .prepare_cached(
                "INSERT OR REPLACE INTO affected_package (ecosystem, name, advisory_id, matchable, affected)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )
            .map_err(sql(p, ctx))?;
        for pkg in &r.packages {
            insert
                .execute(params![
                    pkg.ecosystem,
                    pkg.name,
                    r.id,
                    pkg.matchable,
                    pkg.affected_json
                ])
                .map_err(sql(p, ctx))?;
        }
        let mut alias = self
            .tx
            .prepare_cached(
                "INSERT OR IGNORE INTO advisory_alias (alias, advisory_id) VALUES (?1, ?2)",
            )
            .map_err(sql(p, ctx))?;
        for a in &r.aliases {
            alias.execute(params![a, r.id]).map_err(sql(p, ctx))?;
        }
        Ok(outcome)
    }

    /// Deletes the advisories that came from `origin` and are not in `keep`; returns how many.
    pub(crate) fn remove_vanished(
        &self,
        origin: &str,
        keep: &HashSet<String>,
    ) -> Result<u64, DbError> {
        let p = self.path;
        let ids: Vec<String> = {
            let mut stmt = self
                .tx
                .prepare("SELECT id FROM advisory WHERE origin = ?1")
                .map_err(sql(p, "listing updated advisories"))?;
            let rows = stmt
                .query_map([origin], |r| r.get(0))
                .map_err(sql(p, "listing updated advisories"))?;
            rows.collect::<Result<_, _>>()
                .map_err(sql(p, "listing updated advisories"))?
        };
        let mut removed = 0;
        for id in ids.iter().filter(|id| !keep.contains(*id)) {
            self.tx
                .execute("DELETE FROM advisory WHERE id = ?1", [id])
                .map_err(sql(p, "removing a vanished advisory"))?;
            removed += 1;
        }
        Ok(removed)
    }

    /// The stored update state of one ecosystem: (url, etag, last-modified).
    pub(crate) fn set_update_state(&self, state: &UpdateState) -> Result<(), DbError> {
        self.tx
            .execute(
                "INSERT INTO update_state (ecosystem, url, etag, last_modified, checked_at, changed_at, records)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                 ON CONFLICT(ecosystem) DO UPDATE SET url = excluded.url, etag = excluded.etag,
                     last_modified = excluded.last_modified, checked_at = excluded.checked_at,
                     changed_at = excluded.changed_at, records = excluded.records",
                params![
                    state.ecosystem,
                    state.url,
                    state.etag,
                    state.last_modified,
                    state.checked_at,
                    state.changed_at,
                    i64::try_from(state.records).unwrap_or(i64::MAX)
                ],
            )
            .map_err(sql(self.path, "recording the update state"))?;
        Ok(())
    }

    /// Records that an import or update ran, with its summary.
    pub(crate) fn log(&self, kind: &str, summary: &impl Serialize) -> Result<(), DbError> {
        let summary = serde_json::to_string(summary).unwrap_or_else(|_| "{}".to_owned());
        self.tx
            .execute(
                "INSERT INTO refresh_log (kind, at, at_us, summary) VALUES (?1, ?2, ?3, ?4)",
                params![kind, self.now, self.now_us, summary],
            )
            .map_err(sql(self.path, "recording the run"))?;
        Ok(())
    }

    pub(crate) fn commit(self) -> Result<(), DbError> {
        self.tx.commit().map_err(sql(self.path, "committing"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_a_newer_schema() {
        let dir = tempfile::tempdir().unwrap();
        let db = AdvisoryDb::open(dir.path()).unwrap();
        db.conn
            .pragma_update(None, "user_version", SCHEMA_VERSION + 1)
            .unwrap();
        drop(db);
        let err = AdvisoryDb::open(dir.path()).unwrap_err();
        assert!(matches!(err, DbError::TooNew { .. }), "{err}");
        assert!(
            err.to_string().contains("newer than this chainward"),
            "{err}"
        );
    }

    fn write_record(dir: &Path, id: &str, name: &str, modified: &str) -> PathBuf {
        let path = dir.join(format!("{id}.json"));
        let record = serde_json::json!({
            "id": id,
            "modified": modified,
            "summary": format!("Malicious code in {name} (npm)"),
            "affected": [{"package": {"ecosystem": "npm", "name": name}, "versions": ["1.0.0"]}]
        });
        fs_err::write(&path, record.to_string()).unwrap();
        path
    }

    #[test]
    fn every_write_takes_the_next_change_number() {
        let dir = tempfile::tempdir().unwrap();
        let mut db = AdvisoryDb::open(dir.path()).unwrap();
        assert_eq!(db.change_seq().unwrap(), 0);
        assert_eq!(db.instance_id().unwrap().len(), 32);
        let a = write_record(dir.path(), "MAL-1", "left-pad", "2025-01-01T00:00:00Z");
        db.import(std::slice::from_ref(&a), &crate::ImportOptions::default())
            .unwrap();
        assert_eq!(db.change_seq().unwrap(), 1);
        let b = write_record(dir.path(), "MAL-2", "right-pad", "2025-01-01T00:00:00Z");
        db.import(&[a.clone(), b], &crate::ImportOptions::default())
            .unwrap();
        assert_eq!(db.change_seq().unwrap(), 2);
        let all: Vec<_> = db
            .changed_since(None, 2)
            .unwrap()
            .into_iter()
            .map(|r| (r.advisory.id, r.first_seq, r.change_seq))
            .collect();
        assert_eq!(
            all,
            [("MAL-1".to_owned(), 1, 1), ("MAL-2".to_owned(), 2, 2)]
        );
        let new: Vec<_> = db
            .changed_since(Some(1), 2)
            .unwrap()
            .into_iter()
            .map(|r| r.advisory.id)
            .collect();
        assert_eq!(new, ["MAL-2"]);
        // A newer `modified` changes the record: it counts as changed, not as added.
        let a2 = write_record(dir.path(), "MAL-1", "left-pad", "2025-02-01T00:00:00Z");
        db.import(&[a2], &crate::ImportOptions::default()).unwrap();
        let changed = db.changed_since(Some(2), 3).unwrap();
        assert_eq!(changed.len(), 1);
        assert_eq!((changed[0].first_seq, changed[0].change_seq), (1, 3));
        // Up to a number: a later write is left for the next reader.
        assert!(db.changed_since(Some(2), 2).unwrap().is_empty());
    }

    #[test]
    fn finds_affected_packages_by_id_or_alias() {
        let dir = tempfile::tempdir().unwrap();
        let mut db = AdvisoryDb::open(dir.path()).unwrap();
        let path = dir.path().join("GHSA-x.json");
        let record = serde_json::json!({
            "id": "GHSA-xxxx-yyyy-zzzz",
            "aliases": ["CVE-2025-0001"],
            "modified": "2025-01-01T00:00:00Z",
            "affected": [
                {"package": {"ecosystem": "npm", "name": "a"}, "versions": ["1.0.0"]},
                {"package": {"ecosystem": "Go", "name": "b"}, "versions": ["1.0.0"]}
            ]
        });
        fs_err::write(&path, record.to_string()).unwrap();
        db.import(&[path], &crate::ImportOptions::default())
            .unwrap();
        for id in ["GHSA-xxxx-yyyy-zzzz", "CVE-2025-0001"] {
            let rows = db.affected_by_id(id).unwrap();
            assert_eq!(rows.len(), 1, "{id}");
            assert_eq!(rows[0].ecosystem, Ecosystem::Npm);
            assert_eq!(rows[0].name, "a");
        }
        assert!(db.affected_by_id("CVE-2099-0001").unwrap().is_empty());
    }

    #[test]
    fn migrating_a_first_version_file_starts_the_sequence_at_zero() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(DATABASE_FILE_NAME);
        {
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch(MIGRATIONS[0]).unwrap();
            conn.execute(
                "INSERT INTO advisory (id, source, modified, modified_us, aliases, severity, kind,
                     basis, sha256, origin, imported_at)
                 VALUES ('MAL-0', 'osv', '2024-01-01T00:00:00Z', 0, '[]', 'critical', 'malicious',
                     'malicious', x'00', 'old.json', '2024-01-01T00:00:00Z')",
                [],
            )
            .unwrap();
            conn.pragma_update(None, "user_version", 1).unwrap();
        }
        let db = AdvisoryDb::open(dir.path()).unwrap();
        assert_eq!(db.change_seq().unwrap(), 0);
        let (first, change): (i64, i64) = db
            .conn
            .query_row(
                "SELECT first_seq, change_seq FROM advisory WHERE id = 'MAL-0'",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert_eq!((first, change), (0, 0));
    }

    #[test]
    fn a_file_that_is_not_a_database_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        fs_err::write(dir.path().join(DATABASE_FILE_NAME), vec![b'x'; 8192]).unwrap();
        let err = AdvisoryDb::open(dir.path()).unwrap_err().to_string();
        assert!(
            err.contains("advisories.sqlite3") && err.contains("not a database"),
            "{err}"
        );
    }

    #[test]
    fn open_existing_does_not_create() {
        let dir = tempfile::tempdir().unwrap();
        let err = AdvisoryDb::open_existing(dir.path()).unwrap_err();
        assert!(matches!(err, DbError::Missing { .. }));
        assert!(!dir.path().join(DATABASE_FILE_NAME).exists());
    }

    #[test]
    fn reopening_is_idempotent_and_uses_wal() {
        let dir = tempfile::tempdir().unwrap();
        drop(AdvisoryDb::open(dir.path()).unwrap());
        let db = AdvisoryDb::open(dir.path()).unwrap();
        let mode: String = db
            .conn
            .pragma_query_value(None, "journal_mode", |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
        let fk: i64 = db
            .conn
            .pragma_query_value(None, "foreign_keys", |r| r.get(0))
            .unwrap();
        assert_eq!(fk, 1);
        assert_eq!(db.status().unwrap().advisories, 0);
    }

    #[test]
    fn staleness() {
        let status = |update: Option<&str>| DbStatus {
            path: PathBuf::new(),
            schema_version: SCHEMA_VERSION,
            advisories: 1,
            withdrawn: 0,
            ecosystems: BTreeMap::new(),
            sources: BTreeMap::new(),
            newest_modified: Some("2025-01-01T00:00:00Z".into()),
            last_import: None,
            last_update: update.map(str::to_owned),
            updates: Vec::new(),
        };
        let now = micros_system_time(parse_rfc3339_micros("2025-01-03T00:00:00Z").unwrap());
        let day = Duration::from_secs(86_400);
        assert_eq!(status(None).age(now), Some(2 * day));
        assert!(matches!(
            status(None).check_max_age(day, now),
            Err(StaleData::TooOld { .. })
        ));
        assert!(
            status(Some("2025-01-02T12:00:00Z"))
                .check_max_age(day, now)
                .is_ok()
        );
        let e = status(None)
            .check_max_age(day, now)
            .unwrap_err()
            .to_string();
        assert!(e.contains("2d 0h old"), "{e}");
        let empty = DbStatus {
            advisories: 0,
            ..status(None)
        };
        assert_eq!(empty.check_max_age(day, now), Err(StaleData::Empty));
    }
}
