//! The SQLite backend: one file, WAL, `BEGIN IMMEDIATE` per write.

use std::path::{Path, PathBuf};
use std::time::Duration;

use chainward_types::{Ecosystem, normalize_name};
use rusqlite::{Connection, OptionalExtension as _, Transaction, TransactionBehavior, params};

use crate::error::{Location, StoreError};
use crate::model::{
    BranchFilter, Exposure, NewSnapshot, PackageKey, PackageRecord, ProvenanceObservation,
    ProvenancePin, Recorded, SnapshotId, SnapshotInfo, SnapshotQuery, SnapshotRef, Span,
    StreamInfo,
};
use crate::provenance;
use crate::record::{
    self, ExposureRow, OrderKey, Prepared, RecordTx, SpanChanges, SpanRow, branch_from_db,
};
use crate::{SCHEMA_VERSION, Store};
use chainward_types::Timestamp;

/// Forward-only migrations; migration `i` takes the schema from version `i` to `i + 1`.
const MIGRATIONS: &[&str] = &[
    include_str!("../migrations/sqlite/0001_initial.sql"),
    include_str!("../migrations/sqlite/0002_provenance.sql"),
];
const _: () = assert!(
    MIGRATIONS.len() == SCHEMA_VERSION as usize,
    "one migration per schema version"
);

/// How long a writer waits for another process's write to finish.
const BUSY_TIMEOUT: Duration = Duration::from_secs(60);

/// The history in an SQLite file.
#[derive(Debug)]
pub struct SqliteStore {
    conn: Connection,
    path: PathBuf,
    location: Location,
}

fn sql(location: &Location, context: &str) -> impl FnOnce(rusqlite::Error) -> StoreError {
    let location = location.clone();
    let context = context.to_owned();
    move |source| StoreError::Sqlite {
        location,
        context,
        source,
    }
}

fn corrupt(location: &Location, context: &str, message: String) -> StoreError {
    StoreError::Corrupt {
        location: location.clone(),
        context: context.to_owned(),
        message,
    }
}

const SNAPSHOT_COLUMNS: &str = "sn.id, pr.name, st.branch, sn.git_commit, sn.host, sn.taken_at, \
     sn.recorded_at, sn.incomplete, sn.package_count";

fn snapshot_info(r: &rusqlite::Row<'_>) -> rusqlite::Result<SnapshotInfo> {
    Ok(SnapshotInfo {
        id: SnapshotId::from_i64(r.get(0)?),
        project: r.get(1)?,
        branch: branch_from_db(r.get(2)?),
        commit: r.get(3)?,
        host: r.get(4)?,
        taken_at: Timestamp::from_unix_micros(r.get(5)?),
        recorded_at: Timestamp::from_unix_micros(r.get(6)?),
        incomplete: r.get(7)?,
        packages: u64::try_from(r.get::<_, i64>(8)?).unwrap_or(0),
    })
}

impl SqliteStore {
    /// Opens (creating it and its folder when missing) the database file at `path` and
    /// brings its schema up to date.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            fs_err::create_dir_all(dir).map_err(|source| StoreError::CreateDir {
                path: dir.to_path_buf(),
                source,
            })?;
        }
        let location = Location::sqlite(path);
        let conn = Connection::open(path).map_err(sql(&location, "opening"))?;
        let mut store = Self {
            conn,
            path: path.to_path_buf(),
            location,
        };
        store.configure()?;
        store.migrate()?;
        Ok(store)
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn configure(&self) -> Result<(), StoreError> {
        let l = &self.location;
        self.conn
            .busy_timeout(BUSY_TIMEOUT)
            .map_err(sql(l, "setting busy_timeout"))?;
        self.conn
            .pragma_update(None, "journal_mode", "WAL")
            .map_err(sql(l, "enabling WAL"))?;
        self.conn
            .pragma_update(None, "synchronous", "NORMAL")
            .map_err(sql(l, "setting synchronous"))?;
        self.conn
            .pragma_update(None, "foreign_keys", "ON")
            .map_err(sql(l, "enabling foreign keys"))?;
        self.conn
            .pragma_update(None, "cache_size", -32_000)
            .map_err(sql(l, "setting cache_size"))?;
        Ok(())
    }

    fn migrate(&mut self) -> Result<(), StoreError> {
        let version = self.schema_version()?;
        self.check_version(version)?;
        if version == SCHEMA_VERSION {
            return Ok(());
        }
        let l = self.location.clone();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(sql(&l, "starting the migration"))?;
        // Re-read under the write lock: another process may have migrated meanwhile.
        let version: u32 = tx
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(sql(&l, "reading the schema version"))?;
        if version > SCHEMA_VERSION {
            return Err(too_new(&l, version));
        }
        for (i, migration) in MIGRATIONS.iter().enumerate().skip(version as usize) {
            tx.execute_batch(migration).map_err(sql(
                &l,
                &format!("migrating the schema to version {}", i + 1),
            ))?;
            tx.pragma_update(None, "user_version", i as u32 + 1)
                .map_err(sql(&l, "recording the schema version"))?;
        }
        tx.commit().map_err(sql(&l, "committing the migration"))
    }

    fn check_version(&self, version: u32) -> Result<(), StoreError> {
        if version > SCHEMA_VERSION {
            return Err(too_new(&self.location, version));
        }
        Ok(())
    }

    fn write_tx(&mut self, context: &str) -> Result<Transaction<'_>, StoreError> {
        let l = self.location.clone();
        self.conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(sql(&l, context))
    }

    /// Runs `f` in one write transaction, after checking that no newer chainward has
    /// migrated the file meanwhile (a newer schema is never written), and commits. Errors
    /// say they happened while doing `outer`.
    fn write<T>(
        &mut self,
        outer: &str,
        f: impl FnOnce(&Transaction<'_>, &Location) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let location = self.location.clone();
        let tx = self
            .write_tx("starting the transaction")
            .map_err(|e| e.within(outer))?;
        let version: u32 = tx
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(sql(&location, "reading the schema version"))?;
        if version > SCHEMA_VERSION {
            return Err(too_new(&location, version));
        }
        let out = f(&tx, &location).map_err(|e| e.within(outer))?;
        tx.commit()
            .map_err(sql(&location, "committing"))
            .map_err(|e| e.within(outer))?;
        Ok(out)
    }

    fn one_snapshot(
        &self,
        where_clause: &str,
        params: impl rusqlite::Params,
        context: &str,
    ) -> Result<Option<SnapshotInfo>, StoreError> {
        let q = format!(
            "SELECT {SNAPSHOT_COLUMNS} FROM snapshot sn JOIN stream st ON st.id = sn.stream_id \
             JOIN project pr ON pr.id = st.project_id WHERE {where_clause}"
        );
        self.conn
            .prepare_cached(&q)
            .and_then(|mut s| s.query_row(params, snapshot_info).optional())
            .map_err(sql(&self.location, context))
    }
}

fn too_new(location: &Location, found: u32) -> StoreError {
    StoreError::TooNew {
        location: location.clone(),
        found,
        supported: SCHEMA_VERSION,
    }
}

struct SqliteTx<'a> {
    tx: &'a Transaction<'a>,
    location: &'a Location,
}

/// Reads `id, entry_id, entry_key, first_at, first_id, last_at, last_id`.
fn span_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<SpanRow> {
    let last_at: Option<i64> = r.get(5)?;
    let last_id: Option<i64> = r.get(6)?;
    Ok(SpanRow {
        id: r.get(0)?,
        entry_id: r.get(1)?,
        entry_key: r.get(2)?,
        first: OrderKey {
            at: r.get(3)?,
            id: r.get(4)?,
        },
        last: last_at.zip(last_id).map(|(at, id)| OrderKey { at, id }),
    })
}

impl RecordTx for SqliteTx<'_> {
    fn lock_stream(&mut self, project: &str, branch: &str) -> Result<i64, StoreError> {
        let l = self.location;
        self.tx
            .prepare_cached("INSERT INTO project (name) VALUES (?1) ON CONFLICT (name) DO NOTHING")
            .and_then(|mut s| s.execute([project]))
            .map_err(sql(l, "adding the project"))?;
        let project_id: i64 = self
            .tx
            .prepare_cached("SELECT id FROM project WHERE name = ?1")
            .and_then(|mut s| s.query_row([project], |r| r.get(0)))
            .map_err(sql(l, "finding the project"))?;
        self.tx
            .prepare_cached(
                "INSERT INTO stream (project_id, branch) VALUES (?1, ?2)
                 ON CONFLICT (project_id, branch) DO NOTHING",
            )
            .and_then(|mut s| s.execute(params![project_id, branch]))
            .map_err(sql(l, "adding the branch"))?;
        // The whole database is locked by BEGIN IMMEDIATE: no row lock needed.
        self.tx
            .prepare_cached("SELECT id FROM stream WHERE project_id = ?1 AND branch = ?2")
            .and_then(|mut s| s.query_row(params![project_id, branch], |r| r.get(0)))
            .map_err(sql(l, "finding the branch"))
    }

    fn insert_snapshot(
        &mut self,
        stream: i64,
        snapshot: &NewSnapshot,
        recorded_at: i64,
        packages: i64,
    ) -> Result<i64, StoreError> {
        self.tx
            .prepare_cached(
                "INSERT INTO snapshot (stream_id, taken_at, recorded_at, git_commit, host,
                                       incomplete, package_count)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) RETURNING id",
            )
            .and_then(|mut s| {
                s.query_row(
                    params![
                        stream,
                        snapshot.taken_at.as_unix_micros(),
                        recorded_at,
                        snapshot.commit,
                        snapshot.host,
                        snapshot.incomplete,
                        packages
                    ],
                    |r| r.get(0),
                )
            })
            .map_err(sql(self.location, "adding the snapshot"))
    }

    fn neighbours(
        &mut self,
        stream: i64,
        key: OrderKey,
    ) -> Result<(Option<OrderKey>, Option<OrderKey>), StoreError> {
        let l = self.location;
        let read = |r: &rusqlite::Row<'_>| {
            Ok(OrderKey {
                at: r.get(0)?,
                id: r.get(1)?,
            })
        };
        let prev = self
            .tx
            .prepare_cached(
                "SELECT taken_at, id FROM snapshot
                 WHERE stream_id = ?1 AND (taken_at, id) < (?2, ?3)
                 ORDER BY taken_at DESC, id DESC LIMIT 1",
            )
            .and_then(|mut s| {
                s.query_row(params![stream, key.at, key.id], read)
                    .optional()
            })
            .map_err(sql(l, "finding the previous snapshot"))?;
        let next = self
            .tx
            .prepare_cached(
                "SELECT taken_at, id FROM snapshot
                 WHERE stream_id = ?1 AND (taken_at, id) > (?2, ?3)
                 ORDER BY taken_at, id LIMIT 1",
            )
            .and_then(|mut s| {
                s.query_row(params![stream, key.at, key.id], read)
                    .optional()
            })
            .map_err(sql(l, "finding the next snapshot"))?;
        Ok((prev, next))
    }

    fn spans_open_or_ending_after(
        &mut self,
        stream: i64,
        key: OrderKey,
    ) -> Result<Vec<SpanRow>, StoreError> {
        self.tx
            .prepare_cached(
                "SELECT id, entry_id, entry_key, first_at, first_id, last_at, last_id
                 FROM span INDEXED BY span_open
                 WHERE stream_id = ?1 AND last_id IS NULL
                 UNION ALL
                 SELECT id, entry_id, entry_key, first_at, first_id, last_at, last_id
                 FROM span INDEXED BY span_by_last
                 WHERE stream_id = ?1 AND (last_at, last_id) >= (?2, ?3)
                   AND (first_at, first_id) <= (?2, ?3)",
            )
            .and_then(|mut s| {
                s.query_map(params![stream, key.at, key.id], span_row)?
                    .collect::<rusqlite::Result<Vec<_>>>()
            })
            .map_err(sql(
                self.location,
                "reading the previous snapshot's packages",
            ))
    }

    fn spans_starting(&mut self, stream: i64, key: OrderKey) -> Result<Vec<SpanRow>, StoreError> {
        self.tx
            .prepare_cached(
                "SELECT id, entry_id, entry_key, first_at, first_id, last_at, last_id FROM span
                 WHERE stream_id = ?1 AND first_at = ?2 AND first_id = ?3",
            )
            .and_then(|mut s| {
                s.query_map(params![stream, key.at, key.id], span_row)?
                    .collect::<rusqlite::Result<Vec<_>>>()
            })
            .map_err(sql(self.location, "reading the next snapshot's packages"))
    }

    fn upsert_entries(&mut self, entries: &[&Prepared]) -> Result<Vec<i64>, StoreError> {
        let l = self.location;
        let mut insert_package = self
            .tx
            .prepare_cached(
                "INSERT INTO package (key, ecosystem, name, version, purl, detail)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (key) DO NOTHING",
            )
            .map_err(sql(l, "adding packages"))?;
        let mut package_id = self
            .tx
            .prepare_cached("SELECT id FROM package WHERE key = ?1")
            .map_err(sql(l, "adding packages"))?;
        let mut insert_entry = self
            .tx
            .prepare_cached(
                "INSERT INTO entry (key, package_id, detail) VALUES (?1, ?2, ?3)
                 ON CONFLICT (key) DO NOTHING",
            )
            .map_err(sql(l, "adding packages"))?;
        let mut entry_id = self
            .tx
            .prepare_cached("SELECT id FROM entry WHERE key = ?1")
            .map_err(sql(l, "adding packages"))?;
        let mut out = Vec::with_capacity(entries.len());
        for p in entries {
            let r = &p.record;
            let package_detail = p.package_detail(l)?;
            let entry_detail = p.entry_detail(l)?;
            insert_package
                .execute(params![
                    &p.package_key[..],
                    r.ecosystem.as_str(),
                    r.name,
                    r.version,
                    r.purl,
                    package_detail
                ])
                .map_err(sql(l, &format!("adding package {}@{}", r.name, r.version)))?;
            let pid: i64 = package_id
                .query_row([&p.package_key[..]], |row| row.get(0))
                .map_err(sql(l, &format!("adding package {}@{}", r.name, r.version)))?;
            insert_entry
                .execute(params![&p.entry_key[..], pid, entry_detail])
                .map_err(sql(l, &format!("adding package {}@{}", r.name, r.version)))?;
            let eid: i64 = entry_id
                .query_row([&p.entry_key[..]], |row| row.get(0))
                .map_err(sql(l, &format!("adding package {}@{}", r.name, r.version)))?;
            out.push(eid);
        }
        Ok(out)
    }

    fn apply(&mut self, stream: i64, changes: &SpanChanges) -> Result<(), StoreError> {
        let l = self.location;
        let ctx = "updating package spans";
        let mut delete = self
            .tx
            .prepare_cached("DELETE FROM span WHERE id = ?1")
            .map_err(sql(l, ctx))?;
        for id in &changes.delete {
            delete.execute([id]).map_err(sql(l, ctx))?;
        }
        let mut set_last = self
            .tx
            .prepare_cached("UPDATE span SET last_at = ?2, last_id = ?3 WHERE id = ?1")
            .map_err(sql(l, ctx))?;
        for (id, last) in &changes.set_last {
            set_last
                .execute(params![id, last.map(|k| k.at), last.map(|k| k.id)])
                .map_err(sql(l, ctx))?;
        }
        let mut set_first = self
            .tx
            .prepare_cached("UPDATE span SET first_at = ?2, first_id = ?3 WHERE id = ?1")
            .map_err(sql(l, ctx))?;
        for (id, first) in &changes.set_first {
            set_first
                .execute(params![id, first.at, first.id])
                .map_err(sql(l, ctx))?;
        }
        let mut insert = self
            .tx
            .prepare_cached(
                "INSERT INTO span (stream_id, entry_id, entry_key, first_at, first_id, last_at, last_id)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )
            .map_err(sql(l, ctx))?;
        for s in &changes.insert {
            insert
                .execute(params![
                    stream,
                    s.entry_id,
                    &s.entry_key[..],
                    s.first.at,
                    s.first.id,
                    s.last.map(|k| k.at),
                    s.last.map(|k| k.id)
                ])
                .map_err(sql(l, ctx))?;
        }
        Ok(())
    }

    fn set_latest(&mut self, stream: i64, key: OrderKey) -> Result<(), StoreError> {
        self.tx
            .prepare_cached("UPDATE stream SET latest_at = ?2, latest_id = ?3 WHERE id = ?1")
            .and_then(|mut s| s.execute(params![stream, key.at, key.id]))
            .map(drop)
            .map_err(sql(self.location, "marking the latest snapshot"))
    }
}

/// A package record's stored columns.
struct RawRecord {
    ecosystem: String,
    name: String,
    version: String,
    purl: String,
    package_detail: String,
    entry_detail: String,
}

fn branch_params(branch: &BranchFilter) -> (bool, &str) {
    match branch {
        BranchFilter::Any => (false, ""),
        BranchFilter::Only(b) => (true, b.as_deref().unwrap_or("")),
    }
}

impl Store for SqliteStore {
    fn location(&self) -> &Location {
        &self.location
    }

    fn schema_version(&mut self) -> Result<u32, StoreError> {
        self.conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(sql(&self.location, "reading the schema version"))
    }

    fn record(&mut self, snapshot: &NewSnapshot) -> Result<Recorded, StoreError> {
        record::validate(snapshot, &self.location)?;
        let outer = format!("recording a snapshot of project `{}`", snapshot.project);
        let prepared = record::prepare(&snapshot.packages, &self.location)?;
        self.write(&outer, |tx, location| {
            record::record(&mut SqliteTx { tx, location }, snapshot, &prepared)
        })
    }

    fn snapshot(&mut self, id: SnapshotId) -> Result<Option<SnapshotInfo>, StoreError> {
        self.one_snapshot(
            "sn.id = ?1",
            [id.as_i64()],
            &format!("reading snapshot {id}"),
        )
    }

    fn latest(
        &mut self,
        project: &str,
        branch: &BranchFilter,
    ) -> Result<Option<SnapshotInfo>, StoreError> {
        let (only, b) = branch_params(branch);
        self.one_snapshot(
            "sn.id IN (SELECT st2.latest_id FROM stream st2 JOIN project pr2 ON pr2.id = st2.project_id
                       WHERE pr2.name = ?1 AND (?2 = 0 OR st2.branch = ?3))
             ORDER BY sn.taken_at DESC, sn.id DESC LIMIT 1",
            params![project, only, b],
            &format!("finding the latest snapshot of project `{project}`"),
        )
    }

    fn previous(&mut self, id: SnapshotId) -> Result<Option<SnapshotInfo>, StoreError> {
        self.one_snapshot(
            "sn.id = (SELECT p.id FROM snapshot x JOIN snapshot p ON p.stream_id = x.stream_id
                      AND (p.taken_at, p.id) < (x.taken_at, x.id)
                      WHERE x.id = ?1 ORDER BY p.taken_at DESC, p.id DESC LIMIT 1)",
            [id.as_i64()],
            &format!("finding the snapshot before {id}"),
        )
    }

    fn snapshots(&mut self, query: &SnapshotQuery) -> Result<Vec<SnapshotInfo>, StoreError> {
        let (only, b) = branch_params(&query.branch);
        let limit = query
            .limit
            .map_or(-1, |n| i64::try_from(n).unwrap_or(i64::MAX));
        let q = format!(
            "SELECT {SNAPSHOT_COLUMNS} FROM snapshot sn JOIN stream st ON st.id = sn.stream_id
             JOIN project pr ON pr.id = st.project_id
             WHERE (?1 IS NULL OR pr.name = ?1) AND (?2 = 0 OR st.branch = ?3)
               AND (?4 IS NULL OR sn.taken_at >= ?4) AND (?5 IS NULL OR sn.taken_at <= ?5)
             ORDER BY sn.taken_at DESC, sn.id DESC LIMIT ?6"
        );
        let mut out = self
            .conn
            .prepare_cached(&q)
            .and_then(|mut s| {
                s.query_map(
                    params![
                        query.project,
                        only,
                        b,
                        query.since.map(Timestamp::as_unix_micros),
                        query.until.map(Timestamp::as_unix_micros),
                        limit
                    ],
                    snapshot_info,
                )?
                .collect::<rusqlite::Result<Vec<_>>>()
            })
            .map_err(sql(&self.location, "listing snapshots"))?;
        out.reverse();
        Ok(out)
    }

    fn snapshots_in(&mut self, span: &Span) -> Result<Vec<SnapshotInfo>, StoreError> {
        let q = format!(
            "SELECT {SNAPSHOT_COLUMNS} FROM snapshot sn JOIN stream st ON st.id = sn.stream_id
             JOIN project pr ON pr.id = st.project_id
             WHERE sn.stream_id = (SELECT stream_id FROM snapshot WHERE id = ?1)
               AND (sn.taken_at, sn.id) >= (?2, ?1) AND (sn.taken_at, sn.id) <= (?3, ?4)
             ORDER BY sn.taken_at, sn.id"
        );
        self.conn
            .prepare_cached(&q)
            .and_then(|mut s| {
                s.query_map(
                    params![
                        span.first.id.as_i64(),
                        span.first.taken_at.as_unix_micros(),
                        span.last.taken_at.as_unix_micros(),
                        span.last.id.as_i64()
                    ],
                    snapshot_info,
                )?
                .collect::<rusqlite::Result<Vec<_>>>()
            })
            .map_err(sql(&self.location, "listing the snapshots of a span"))
    }

    fn packages(&mut self, id: SnapshotId) -> Result<Option<Vec<PackageRecord>>, StoreError> {
        let context = format!("reading the packages of snapshot {id}");
        let l = self.location.clone();
        // One statement, so one consistent read even while others record.
        let rows: Vec<Option<RawRecord>> = self
            .conn
            .prepare_cached(
                "SELECT 0, NULL, NULL, NULL, NULL, NULL, NULL FROM snapshot WHERE id = ?1
                 UNION ALL
                 SELECT 1, p.ecosystem, p.name, p.version, p.purl, p.detail, e.detail
                 FROM snapshot sn JOIN span s INDEXED BY span_open ON s.stream_id = sn.stream_id
                 JOIN entry e ON e.id = s.entry_id JOIN package p ON p.id = e.package_id
                 WHERE sn.id = ?1 AND s.last_id IS NULL
                   AND (s.first_at, s.first_id) <= (sn.taken_at, sn.id)
                 UNION ALL
                 SELECT 1, p.ecosystem, p.name, p.version, p.purl, p.detail, e.detail
                 FROM snapshot sn JOIN span s INDEXED BY span_by_last ON s.stream_id = sn.stream_id
                 JOIN entry e ON e.id = s.entry_id JOIN package p ON p.id = e.package_id
                 WHERE sn.id = ?1 AND (s.last_at, s.last_id) >= (sn.taken_at, sn.id)
                   AND (s.first_at, s.first_id) <= (sn.taken_at, sn.id)",
            )
            .and_then(|mut s| {
                s.query_map([id.as_i64()], |r| {
                    if r.get::<_, i64>(0)? == 0 {
                        return Ok(None);
                    }
                    Ok(Some(RawRecord {
                        ecosystem: r.get(1)?,
                        name: r.get(2)?,
                        version: r.get(3)?,
                        purl: r.get(4)?,
                        package_detail: r.get(5)?,
                        entry_detail: r.get(6)?,
                    }))
                })?
                .collect::<rusqlite::Result<Vec<_>>>()
            })
            .map_err(sql(&l, &context))?;
        if !rows.iter().any(Option::is_none) {
            return Ok(None);
        }
        let mut out = Vec::with_capacity(rows.len());
        for raw in rows.into_iter().flatten() {
            let rec = record::decode_record(
                &raw.ecosystem,
                raw.name,
                raw.version,
                raw.purl,
                &raw.package_detail,
                &raw.entry_detail,
            )
            .map_err(|m| corrupt(&l, &context, m))?;
            out.push(rec);
        }
        out.sort();
        Ok(Some(out))
    }

    fn streams(&mut self, project: Option<&str>) -> Result<Vec<StreamInfo>, StoreError> {
        self.conn
            .prepare_cached(
                "SELECT pr.name, st.branch,
                        (SELECT COUNT(*) FROM snapshot c WHERE c.stream_id = st.id),
                        ls.id, ls.taken_at, ls.git_commit
                 FROM stream st JOIN project pr ON pr.id = st.project_id
                 LEFT JOIN snapshot ls ON ls.id = st.latest_id
                 WHERE ?1 IS NULL OR pr.name = ?1
                 ORDER BY pr.name, st.branch",
            )
            .and_then(|mut s| {
                s.query_map([project], |r| {
                    let latest_id: Option<i64> = r.get(3)?;
                    Ok(StreamInfo {
                        project: r.get(0)?,
                        branch: branch_from_db(r.get(1)?),
                        snapshots: u64::try_from(r.get::<_, i64>(2)?).unwrap_or(0),
                        latest: match latest_id {
                            Some(id) => Some(SnapshotRef {
                                id: SnapshotId::from_i64(id),
                                taken_at: Timestamp::from_unix_micros(r.get(4)?),
                                commit: r.get(5)?,
                            }),
                            None => None,
                        },
                    })
                })?
                .collect::<rusqlite::Result<Vec<_>>>()
            })
            .map_err(sql(&self.location, "listing projects and branches"))
    }

    fn exposure(&mut self, ecosystem: Ecosystem, name: &str) -> Result<Vec<Exposure>, StoreError> {
        let name = normalize_name(ecosystem, name);
        let context = format!("finding {ecosystem} package `{name}`");
        let l = self.location.clone();
        type Raw = (
            String,
            String,
            i64,
            i64,
            String,
            String,
            String,
            String,
            String,
            (i64, i64, Option<String>),
            (i64, i64, Option<String>),
            bool,
        );
        let raw: Vec<Raw> = self
            .conn
            .prepare_cached(
                "SELECT pr.name, st.branch, st.id, p.id, p.ecosystem, p.name, p.version, p.purl, p.detail,
                        fs.id, fs.taken_at, fs.git_commit, ls.id, ls.taken_at, ls.git_commit,
                        s.last_id IS NULL
                 FROM package p
                 JOIN entry e ON e.package_id = p.id
                 JOIN span s ON s.entry_id = e.id
                 JOIN stream st ON st.id = s.stream_id
                 JOIN project pr ON pr.id = st.project_id
                 JOIN snapshot fs ON fs.id = s.first_id
                 JOIN snapshot ls ON ls.id = COALESCE(s.last_id, st.latest_id)
                 WHERE p.ecosystem = ?1 AND p.name = ?2",
            )
            .and_then(|mut s| {
                s.query_map(params![ecosystem.as_str(), name], |r| {
                    Ok((
                        r.get(0)?,
                        r.get(1)?,
                        r.get(2)?,
                        r.get(3)?,
                        r.get(4)?,
                        r.get(5)?,
                        r.get(6)?,
                        r.get(7)?,
                        r.get(8)?,
                        (r.get(9)?, r.get(10)?, r.get(11)?),
                        (r.get(12)?, r.get(13)?, r.get(14)?),
                        r.get(15)?,
                    ))
                })?
                .collect::<rusqlite::Result<Vec<_>>>()
            })
            .map_err(sql(&l, &context))?;
        let mut rows = Vec::with_capacity(raw.len());
        for (project, branch, stream, pid, eco, pname, version, purl, detail, f, la, open) in raw {
            let package = record::decode_package(pid, &eco, pname, version, purl, &detail)
                .map_err(|m| corrupt(&l, &context, m))?;
            rows.push(ExposureRow {
                project,
                branch,
                stream,
                package,
                first: SnapshotRef {
                    id: SnapshotId::from_i64(f.0),
                    taken_at: Timestamp::from_unix_micros(f.1),
                    commit: f.2,
                },
                last: SnapshotRef {
                    id: SnapshotId::from_i64(la.0),
                    taken_at: Timestamp::from_unix_micros(la.1),
                    commit: la.2,
                },
                open,
            });
        }
        Ok(record::group_exposure(rows))
    }

    fn package_keys(&mut self) -> Result<Vec<PackageKey>, StoreError> {
        let context = "listing stored packages";
        let l = self.location.clone();
        let raw: Vec<(String, String, String)> = self
            .conn
            .prepare_cached(
                "SELECT DISTINCT ecosystem, name, version FROM package ORDER BY ecosystem, name, version",
            )
            .and_then(|mut s| {
                s.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                    .collect::<rusqlite::Result<Vec<_>>>()
            })
            .map_err(sql(&l, context))?;
        let mut out = Vec::with_capacity(raw.len());
        for (eco, name, version) in raw {
            let ecosystem = record::parse_ecosystem(&eco).map_err(|m| corrupt(&l, context, m))?;
            out.push(PackageKey {
                ecosystem,
                name,
                version,
            });
        }
        out.sort();
        Ok(out)
    }

    fn state(&mut self, key: &str) -> Result<Option<String>, StoreError> {
        self.conn
            .prepare_cached("SELECT value FROM state WHERE key = ?1")
            .and_then(|mut s| s.query_row([key], |r| r.get(0)).optional())
            .map_err(sql(&self.location, &format!("reading state `{key}`")))
    }

    fn set_state(&mut self, key: &str, value: &str) -> Result<(), StoreError> {
        let l = self.location.clone();
        let context = format!("writing state `{key}`");
        let tx = self.write_tx(&context)?;
        tx.execute(
            "INSERT INTO state (key, value, updated_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
            params![key, value, Timestamp::now().as_unix_micros()],
        )
        .map_err(sql(&l, &context))?;
        tx.commit().map_err(sql(&l, &context))
    }

    fn provenance_pin(
        &mut self,
        ecosystem: Ecosystem,
        name: &str,
    ) -> Result<Option<ProvenancePin>, StoreError> {
        let name = normalize_name(ecosystem, name);
        let context = format!("reading the provenance pin of {ecosystem} package `{name}`");
        read_pin(&self.conn, &self.location, ecosystem, &name, &context)
    }

    fn pin_provenance_if_absent(
        &mut self,
        pin: &ProvenancePin,
    ) -> Result<ProvenancePin, StoreError> {
        let p = provenance::prepare_pin(pin, &self.location)?;
        let outer = format!(
            "pinning the provenance of {} package `{}`",
            p.pin.ecosystem, p.pin.name
        );
        self.write(&outer, |tx, l| {
            // BEGIN IMMEDIATE holds the write lock: no one pins between insert and read.
            let inserted = tx
                .prepare_cached(
                    "INSERT INTO provenance_pin (ecosystem, name, version, identity, pinned_at, how)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (ecosystem, name) DO NOTHING",
                )
                .and_then(|mut s| s.execute(pin_params(&p)))
                .map_err(sql(l, "adding the pin"))?;
            if inserted == 1 {
                return Ok(p.pin.clone());
            }
            read_pin(
                tx,
                l,
                p.pin.ecosystem,
                &p.pin.name,
                "reading the pin in force",
            )?
            .ok_or_else(|| corrupt(l, "reading the pin in force", "the pin vanished".to_owned()))
        })
    }

    fn set_provenance_pin(&mut self, pin: &ProvenancePin) -> Result<(), StoreError> {
        let p = provenance::prepare_pin(pin, &self.location)?;
        let outer = format!(
            "pinning the provenance of {} package `{}`",
            p.pin.ecosystem, p.pin.name
        );
        self.write(&outer, |tx, l| {
            tx.prepare_cached(
                "INSERT INTO provenance_pin (ecosystem, name, version, identity, pinned_at, how)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (ecosystem, name) DO UPDATE SET version = excluded.version,
                     identity = excluded.identity, pinned_at = excluded.pinned_at,
                     how = excluded.how",
            )
            .and_then(|mut s| s.execute(pin_params(&p)))
            .map(drop)
            .map_err(sql(l, "replacing the pin"))
        })
    }

    fn observe_provenance(
        &mut self,
        observations: &[ProvenanceObservation],
    ) -> Result<(), StoreError> {
        let rows = provenance::prepare_observations(observations, &self.location)?;
        if rows.is_empty() {
            return Ok(());
        }
        self.write("recording provenance observations", |tx, l| {
            let mut upsert = tx
                .prepare_cached(
                    "INSERT INTO provenance_observation
                         (ecosystem, name, version, status, identity, first_seen, last_seen)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                     ON CONFLICT (ecosystem, name, version) DO UPDATE SET
                         status = excluded.status, identity = excluded.identity,
                         last_seen = excluded.last_seen",
                )
                .map_err(sql(l, "adding observations"))?;
            for r in &rows {
                upsert
                    .execute(params![
                        r.ecosystem.as_str(),
                        r.name,
                        r.version,
                        r.status.as_str(),
                        r.identity,
                        r.first_seen,
                        r.last_seen
                    ])
                    .map_err(sql(
                        l,
                        &format!(
                            "adding the observation of {} package `{}`@{}",
                            r.ecosystem, r.name, r.version
                        ),
                    ))?;
            }
            Ok(())
        })
    }

    fn provenance_observations(
        &mut self,
        ecosystem: Ecosystem,
        name: &str,
    ) -> Result<Vec<ProvenanceObservation>, StoreError> {
        let name = normalize_name(ecosystem, name);
        let context =
            format!("reading the provenance observations of {ecosystem} package `{name}`");
        let l = &self.location;
        type Raw = (String, String, Option<String>, i64, i64);
        let raw: Vec<Raw> = self
            .conn
            .prepare_cached(
                "SELECT version, status, identity, first_seen, last_seen
                 FROM provenance_observation WHERE ecosystem = ?1 AND name = ?2",
            )
            .and_then(|mut s| {
                s.query_map(params![ecosystem.as_str(), name], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
                })?
                .collect::<rusqlite::Result<Vec<_>>>()
            })
            .map_err(sql(l, &context))?;
        let mut out = Vec::with_capacity(raw.len());
        for (version, status, identity, first_seen, last_seen) in raw {
            out.push(
                provenance::decode_observation(
                    ecosystem,
                    name.clone(),
                    version,
                    &status,
                    identity.as_deref(),
                    first_seen,
                    last_seen,
                )
                .map_err(|m| corrupt(l, &context, m))?,
            );
        }
        provenance::sort_observations(&mut out);
        Ok(out)
    }
}

/// The parameters `?1` to `?6` of a pin: ecosystem, name, version, identity, pinned_at, how.
fn pin_params(p: &provenance::PreparedPin) -> impl rusqlite::Params + '_ {
    (
        p.ecosystem,
        p.pin.name.as_str(),
        p.pin.version.as_str(),
        p.identity.as_str(),
        p.pinned_at,
        p.how,
    )
}

/// The pin of (ecosystem, normalised name), on a connection or in a transaction.
fn read_pin(
    conn: &Connection,
    l: &Location,
    ecosystem: Ecosystem,
    name: &str,
    context: &str,
) -> Result<Option<ProvenancePin>, StoreError> {
    let raw: Option<(String, String, i64, String)> = conn
        .prepare_cached(
            "SELECT version, identity, pinned_at, how FROM provenance_pin
             WHERE ecosystem = ?1 AND name = ?2",
        )
        .and_then(|mut s| {
            s.query_row(params![ecosystem.as_str(), name], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })
            .optional()
        })
        .map_err(sql(l, context))?;
    raw.map(|(version, identity, pinned_at, how)| {
        provenance::decode_pin(
            ecosystem,
            name.to_owned(),
            version,
            &identity,
            pinned_at,
            &how,
        )
        .map_err(|m| corrupt(l, context, m))
    })
    .transpose()
}
