//! The PostgreSQL backend: the synchronous `postgres` client, one transaction per write, the
//! stream's row locked while recording.

use std::collections::HashMap;
use std::str::FromStr as _;
use std::time::Duration;

use chainward_types::{Ecosystem, normalize_name};
use postgres::error::SqlState;
use postgres::types::ToSql;
use postgres::{Client, NoTls, Row, Statement, Transaction};

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
use crate::url::redact;
use crate::{SCHEMA_VERSION, Store};
use chainward_types::Timestamp;

/// Forward-only migrations; migration `i` takes the schema from version `i` to `i + 1`.
const MIGRATIONS: &[&str] = &[
    include_str!("../migrations/postgres/0001_initial.sql"),
    include_str!("../migrations/postgres/0002_provenance.sql"),
];
const _: () = assert!(
    MIGRATIONS.len() == SCHEMA_VERSION as usize,
    "one migration per schema version"
);

/// How often a record is retried after a deadlock or serialization failure.
const RETRIES: usize = 5;

/// The history in a PostgreSQL database (the schema first on the connection's
/// `search_path`).
pub struct PostgresStore {
    client: Client,
    statements: HashMap<&'static str, Statement>,
    location: Location,
}

impl std::fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresStore")
            .field("location", &self.location)
            .finish_non_exhaustive()
    }
}

/// True when the error means the connection is gone (closed, or ended by the server).
fn is_lost(e: &postgres::Error) -> bool {
    if e.is_closed() {
        return true;
    }
    match e.code() {
        Some(code) => {
            let c = code.code();
            c.starts_with("08") || c.starts_with("57P")
        }
        // No server error and not closed: lost when it is an IO error on the socket.
        None => std::error::Error::source(e)
            .is_some_and(|s| s.downcast_ref::<std::io::Error>().is_some()),
    }
}

fn pg(location: &Location, context: &str) -> impl FnOnce(postgres::Error) -> StoreError {
    let location = location.clone();
    let context = context.to_owned();
    move |source| {
        if is_lost(&source) {
            StoreError::ConnectionLost {
                location,
                context,
                while_committing: false,
                source,
            }
        } else {
            StoreError::Postgres {
                location,
                context,
                source,
            }
        }
    }
}

fn corrupt(location: &Location, context: &str, message: String) -> StoreError {
    StoreError::Corrupt {
        location: location.clone(),
        context: context.to_owned(),
        message,
    }
}

fn too_new(location: &Location, found: u32) -> StoreError {
    StoreError::TooNew {
        location: location.clone(),
        found,
        supported: SCHEMA_VERSION,
    }
}

/// True for errors after which the whole record may simply be tried again.
fn is_retryable(e: &StoreError) -> bool {
    match e {
        StoreError::Postgres { source, .. } => matches!(
            source.code(),
            Some(c) if *c == SqlState::T_R_DEADLOCK_DETECTED
                || *c == SqlState::T_R_SERIALIZATION_FAILURE
        ),
        _ => false,
    }
}

/// A query for snapshot rows (read by [`snapshot_info`]) with the given tail, as a literal.
macro_rules! snapshot_sql {
    ($tail:literal) => {
        concat!(
            "SELECT sn.id, pr.name, st.branch, sn.git_commit, sn.host, sn.taken_at, ",
            "sn.recorded_at, sn.incomplete, sn.package_count ",
            "FROM snapshot sn JOIN stream st ON st.id = sn.stream_id ",
            "JOIN project pr ON pr.id = st.project_id ",
            $tail
        )
    };
}

fn snapshot_info(r: &Row) -> Result<SnapshotInfo, postgres::Error> {
    Ok(SnapshotInfo {
        id: SnapshotId::from_i64(r.try_get(0)?),
        project: r.try_get(1)?,
        branch: branch_from_db(r.try_get(2)?),
        commit: r.try_get(3)?,
        host: r.try_get(4)?,
        taken_at: Timestamp::from_unix_micros(r.try_get(5)?),
        recorded_at: Timestamp::from_unix_micros(r.try_get(6)?),
        incomplete: r.try_get(7)?,
        packages: u64::try_from(r.try_get::<_, i64>(8)?).unwrap_or(0),
    })
}

fn branch_params(branch: &BranchFilter) -> (bool, &str) {
    match branch {
        BranchFilter::Any => (false, ""),
        BranchFilter::Only(b) => (true, b.as_deref().unwrap_or("")),
    }
}

impl PostgresStore {
    /// Connects to the server at `url` (`postgres://user:password@host:port/database`; a
    /// schema through `?options=-csearch_path%3DNAME`) and brings the schema up to date.
    pub fn connect(url: &str) -> Result<Self, StoreError> {
        let location = Location::postgres(redact(url));
        let mut config = postgres::Config::from_str(url).map_err(|e| StoreError::BadUrl {
            url: redact(url),
            reason: crate::error::pg_message(&e),
        })?;
        if config.get_application_name().is_none() {
            config.application_name("chainward");
        }
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(Duration::from_secs(10));
        }
        let client = config
            .connect(NoTls)
            .map_err(|source| StoreError::Connect {
                location: location.clone(),
                source,
            })?;
        let mut store = Self {
            client,
            statements: HashMap::new(),
            location,
        };
        store.migrate()?;
        Ok(store)
    }

    fn migrate(&mut self) -> Result<(), StoreError> {
        let l = self.location.clone();
        let mut tx = self
            .client
            .transaction()
            .map_err(pg(&l, "starting the migration"))?;
        // One migrator per schema at a time; readers and writers of other schemas go on.
        tx.execute(
            "SELECT pg_advisory_xact_lock(7215339, hashtext(coalesce(current_schema(), '')))",
            &[],
        )
        .map_err(pg(&l, "locking the schema for migration"))?;
        tx.batch_execute(
            "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
        )
        .map_err(pg(&l, "creating the meta table"))?;
        let version = read_version(&mut tx, &l)?;
        if version > SCHEMA_VERSION {
            return Err(too_new(&l, version));
        }
        for (i, migration) in MIGRATIONS.iter().enumerate().skip(version as usize) {
            tx.batch_execute(migration).map_err(pg(
                &l,
                &format!("migrating the schema to version {}", i + 1),
            ))?;
            tx.execute(
                "INSERT INTO meta (key, value) VALUES ('schema_version', $1)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                &[&(i + 1).to_string()],
            )
            .map_err(pg(&l, "recording the schema version"))?;
        }
        tx.commit().map_err(pg(&l, "committing the migration"))
    }

    fn stmt(&mut self, sql: &'static str, context: &str) -> Result<Statement, StoreError> {
        if let Some(s) = self.statements.get(sql) {
            return Ok(s.clone());
        }
        let s = self
            .client
            .prepare(sql)
            .map_err(pg(&self.location, context))?;
        self.statements.insert(sql, s.clone());
        Ok(s)
    }

    fn query(
        &mut self,
        sql: &'static str,
        params: &[&(dyn ToSql + Sync)],
        context: &str,
    ) -> Result<Vec<Row>, StoreError> {
        let s = self.stmt(sql, context)?;
        self.client
            .query(&s, params)
            .map_err(pg(&self.location, context))
    }

    fn one_snapshot(
        &mut self,
        sql: &'static str,
        params: &[&(dyn ToSql + Sync)],
        context: &str,
    ) -> Result<Option<SnapshotInfo>, StoreError> {
        let rows = self.query(sql, params, context)?;
        rows.first()
            .map(snapshot_info)
            .transpose()
            .map_err(pg(&self.location, context))
    }

    /// Runs `f` in one transaction, after checking that no newer chainward has migrated the
    /// schema meanwhile (a newer schema is never written), and commits; tries again after a
    /// deadlock or serialization failure. Errors say they happened while doing `outer`.
    fn write<T>(
        &mut self,
        outer: &str,
        mut f: impl FnMut(&mut PgTx<'_, '_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut attempt = 0;
        loop {
            match self.write_once(&mut f) {
                Err(e) if attempt + 1 < RETRIES && is_retryable(&e) => attempt += 1,
                other => return other.map_err(|e| e.within(outer)),
            }
        }
    }

    fn write_once<T>(
        &mut self,
        f: &mut impl FnMut(&mut PgTx<'_, '_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let Self {
            client,
            statements,
            location,
        } = self;
        let mut tx = client
            .transaction()
            .map_err(pg(location, "starting the transaction"))?;
        // Never write into a schema a newer chainward has migrated meanwhile.
        let version = read_version(&mut tx, location)?;
        if version > SCHEMA_VERSION {
            return Err(too_new(location, version));
        }
        let out = f(&mut PgTx {
            tx: &mut tx,
            statements,
            location,
        })?;
        tx.commit().map_err(|source| {
            if is_lost(&source) {
                StoreError::ConnectionLost {
                    location: location.clone(),
                    context: "committing".into(),
                    while_committing: true,
                    source,
                }
            } else {
                StoreError::Postgres {
                    location: location.clone(),
                    context: "committing".into(),
                    source,
                }
            }
        })?;
        Ok(out)
    }
}

fn read_version(tx: &mut Transaction<'_>, l: &Location) -> Result<u32, StoreError> {
    let row = tx
        .query_opt("SELECT value FROM meta WHERE key = 'schema_version'", &[])
        .map_err(pg(l, "reading the schema version"))?;
    match row {
        None => Ok(0),
        Some(r) => {
            let v: String = r.try_get(0).map_err(pg(l, "reading the schema version"))?;
            v.trim().parse().map_err(|_| {
                corrupt(
                    l,
                    "reading the schema version",
                    format!("`{v}` is not a number"),
                )
            })
        }
    }
}

struct PgTx<'a, 'c> {
    tx: &'a mut Transaction<'c>,
    statements: &'a mut HashMap<&'static str, Statement>,
    location: &'a Location,
}

impl PgTx<'_, '_> {
    fn stmt(&mut self, sql: &'static str, context: &str) -> Result<Statement, StoreError> {
        if let Some(s) = self.statements.get(sql) {
            return Ok(s.clone());
        }
        let s = self.tx.prepare(sql).map_err(pg(self.location, context))?;
        self.statements.insert(sql, s.clone());
        Ok(s)
    }

    fn query(
        &mut self,
        sql: &'static str,
        params: &[&(dyn ToSql + Sync)],
        context: &str,
    ) -> Result<Vec<Row>, StoreError> {
        let s = self.stmt(sql, context)?;
        self.tx
            .query(&s, params)
            .map_err(pg(self.location, context))
    }

    fn execute(
        &mut self,
        sql: &'static str,
        params: &[&(dyn ToSql + Sync)],
        context: &str,
    ) -> Result<u64, StoreError> {
        let s = self.stmt(sql, context)?;
        self.tx
            .execute(&s, params)
            .map_err(pg(self.location, context))
    }

    fn spans(
        &mut self,
        sql: &'static str,
        stream: i64,
        key: OrderKey,
        context: &str,
    ) -> Result<Vec<SpanRow>, StoreError> {
        let rows = self.query(sql, &[&stream, &key.at, &key.id], context)?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let (id, entry_id, key, first_at, first_id, last_at, last_id) =
                (|| -> Result<_, postgres::Error> {
                    Ok((
                        r.try_get::<_, i64>(0)?,
                        r.try_get::<_, i64>(1)?,
                        r.try_get::<_, &[u8]>(2)?,
                        r.try_get::<_, i64>(3)?,
                        r.try_get::<_, i64>(4)?,
                        r.try_get::<_, Option<i64>>(5)?,
                        r.try_get::<_, Option<i64>>(6)?,
                    ))
                })()
                .map_err(pg(self.location, context))?;
            let entry_key: [u8; 32] = key.try_into().map_err(|_| {
                corrupt(
                    self.location,
                    context,
                    format!("span {id} has a key of {} bytes", key.len()),
                )
            })?;
            out.push(SpanRow {
                id,
                entry_id,
                entry_key,
                first: OrderKey {
                    at: first_at,
                    id: first_id,
                },
                last: last_at.zip(last_id).map(|(at, id)| OrderKey { at, id }),
            });
        }
        Ok(out)
    }
}

impl RecordTx for PgTx<'_, '_> {
    fn lock_stream(&mut self, project: &str, branch: &str) -> Result<i64, StoreError> {
        self.execute(
            "INSERT INTO project (name) VALUES ($1) ON CONFLICT (name) DO NOTHING",
            &[&project],
            "adding the project",
        )?;
        let rows = self.query(
            "SELECT id FROM project WHERE name = $1",
            &[&project],
            "finding the project",
        )?;
        let project_id: i64 = rows
            .first()
            .map(|r| r.try_get(0))
            .transpose()
            .map_err(pg(self.location, "finding the project"))?
            .ok_or_else(|| {
                corrupt(
                    self.location,
                    "finding the project",
                    format!("project `{project}` vanished"),
                )
            })?;
        self.execute(
            "INSERT INTO stream (project_id, branch) VALUES ($1, $2)
             ON CONFLICT (project_id, branch) DO NOTHING",
            &[&project_id, &branch],
            "adding the branch",
        )?;
        // The row lock serialises recorders of one project and branch; others go on.
        let rows = self.query(
            "SELECT id FROM stream WHERE project_id = $1 AND branch = $2 FOR UPDATE",
            &[&project_id, &branch],
            "locking the branch",
        )?;
        rows.first()
            .map(|r| r.try_get(0))
            .transpose()
            .map_err(pg(self.location, "locking the branch"))?
            .ok_or_else(|| {
                corrupt(
                    self.location,
                    "locking the branch",
                    format!("branch `{branch}` vanished"),
                )
            })
    }

    fn insert_snapshot(
        &mut self,
        stream: i64,
        snapshot: &NewSnapshot,
        recorded_at: i64,
        packages: i64,
    ) -> Result<i64, StoreError> {
        let context = "adding the snapshot";
        let rows = self.query(
            "INSERT INTO snapshot (stream_id, taken_at, recorded_at, git_commit, host,
                                   incomplete, package_count)
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
            &[
                &stream,
                &snapshot.taken_at.as_unix_micros(),
                &recorded_at,
                &snapshot.commit,
                &snapshot.host,
                &snapshot.incomplete,
                &packages,
            ],
            context,
        )?;
        rows.first()
            .map(|r| r.try_get(0))
            .transpose()
            .map_err(pg(self.location, context))?
            .ok_or_else(|| corrupt(self.location, context, "no id returned".into()))
    }

    fn neighbours(
        &mut self,
        stream: i64,
        key: OrderKey,
    ) -> Result<(Option<OrderKey>, Option<OrderKey>), StoreError> {
        let read = |rows: Vec<Row>| -> Result<Option<OrderKey>, postgres::Error> {
            rows.first()
                .map(|r| {
                    Ok(OrderKey {
                        at: r.try_get(0)?,
                        id: r.try_get(1)?,
                    })
                })
                .transpose()
        };
        let ctx = "finding the previous snapshot";
        let rows = self.query(
            "SELECT taken_at, id FROM snapshot
             WHERE stream_id = $1 AND (taken_at, id) < ($2, $3)
             ORDER BY taken_at DESC, id DESC LIMIT 1",
            &[&stream, &key.at, &key.id],
            ctx,
        )?;
        let prev = read(rows).map_err(pg(self.location, ctx))?;
        let ctx = "finding the next snapshot";
        let rows = self.query(
            "SELECT taken_at, id FROM snapshot
             WHERE stream_id = $1 AND (taken_at, id) > ($2, $3)
             ORDER BY taken_at, id LIMIT 1",
            &[&stream, &key.at, &key.id],
            ctx,
        )?;
        let next = read(rows).map_err(pg(self.location, ctx))?;
        Ok((prev, next))
    }

    fn spans_open_or_ending_after(
        &mut self,
        stream: i64,
        key: OrderKey,
    ) -> Result<Vec<SpanRow>, StoreError> {
        self.spans(
            "SELECT id, entry_id, entry_key, first_at, first_id, last_at, last_id FROM span
             WHERE stream_id = $1 AND last_id IS NULL
             UNION ALL
             SELECT id, entry_id, entry_key, first_at, first_id, last_at, last_id FROM span
             WHERE stream_id = $1 AND (last_at, last_id) >= ($2, $3)",
            stream,
            key,
            "reading the previous snapshot's packages",
        )
    }

    fn spans_starting(&mut self, stream: i64, key: OrderKey) -> Result<Vec<SpanRow>, StoreError> {
        self.spans(
            "SELECT id, entry_id, entry_key, first_at, first_id, last_at, last_id FROM span
             WHERE stream_id = $1 AND first_at = $2 AND first_id = $3",
            stream,
            key,
            "reading the next snapshot's packages",
        )
    }

    fn upsert_entries(&mut self, entries: &[&Prepared]) -> Result<Vec<i64>, StoreError> {
        if entries.is_empty() {
            return Ok(Vec::new());
        }
        let context = "adding packages";
        // Packages, deduplicated and in key order: concurrent recorders insert shared keys
        // in the same order, so they wait for each other instead of deadlocking.
        let mut packages: Vec<&Prepared> = entries.to_vec();
        packages.sort_by_key(|p| p.package_key);
        packages.dedup_by_key(|p| p.package_key);
        let keys: Vec<&[u8]> = packages.iter().map(|p| &p.package_key[..]).collect();
        let ecosystems: Vec<&str> = packages
            .iter()
            .map(|p| p.record.ecosystem.as_str())
            .collect();
        let names: Vec<&str> = packages.iter().map(|p| p.record.name.as_str()).collect();
        let versions: Vec<&str> = packages.iter().map(|p| p.record.version.as_str()).collect();
        let purls: Vec<&str> = packages.iter().map(|p| p.record.purl.as_str()).collect();
        let details: Vec<String> = packages
            .iter()
            .map(|p| p.package_detail(self.location))
            .collect::<Result<_, _>>()?;
        self.execute(
            "INSERT INTO package (key, ecosystem, name, version, purl, detail)
             SELECT * FROM unnest($1::bytea[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[])
             ORDER BY 1
             ON CONFLICT (key) DO NOTHING",
            &[&keys, &ecosystems, &names, &versions, &purls, &details],
            context,
        )?;
        let rows = self.query(
            "SELECT key, id FROM package WHERE key = ANY($1)",
            &[&keys],
            context,
        )?;
        let mut package_ids: HashMap<Vec<u8>, i64> = HashMap::with_capacity(rows.len());
        for r in &rows {
            let k: Vec<u8> = r.try_get(0).map_err(pg(self.location, context))?;
            let id: i64 = r.try_get(1).map_err(pg(self.location, context))?;
            package_ids.insert(k, id);
        }
        // Entries, in entry-key order (the input's order).
        let mut entry_keys: Vec<&[u8]> = Vec::with_capacity(entries.len());
        let mut entry_packages: Vec<i64> = Vec::with_capacity(entries.len());
        let mut entry_details: Vec<String> = Vec::with_capacity(entries.len());
        for p in entries {
            let pid = package_ids
                .get(&p.package_key[..])
                .copied()
                .ok_or_else(|| {
                    corrupt(
                        self.location,
                        context,
                        format!("package {}@{} vanished", p.record.name, p.record.version),
                    )
                })?;
            entry_keys.push(&p.entry_key[..]);
            entry_packages.push(pid);
            entry_details.push(p.entry_detail(self.location)?);
        }
        self.execute(
            "INSERT INTO entry (key, package_id, detail)
             SELECT * FROM unnest($1::bytea[], $2::bigint[], $3::text[])
             ORDER BY 1
             ON CONFLICT (key) DO NOTHING",
            &[&entry_keys, &entry_packages, &entry_details],
            context,
        )?;
        let rows = self.query(
            "SELECT key, id FROM entry WHERE key = ANY($1)",
            &[&entry_keys],
            context,
        )?;
        let mut entry_ids: HashMap<Vec<u8>, i64> = HashMap::with_capacity(rows.len());
        for r in &rows {
            let k: Vec<u8> = r.try_get(0).map_err(pg(self.location, context))?;
            let id: i64 = r.try_get(1).map_err(pg(self.location, context))?;
            entry_ids.insert(k, id);
        }
        entries
            .iter()
            .map(|p| {
                entry_ids.get(&p.entry_key[..]).copied().ok_or_else(|| {
                    corrupt(
                        self.location,
                        context,
                        format!("package {}@{} vanished", p.record.name, p.record.version),
                    )
                })
            })
            .collect()
    }

    fn apply(&mut self, stream: i64, changes: &SpanChanges) -> Result<(), StoreError> {
        let context = "updating package spans";
        if !changes.delete.is_empty() {
            self.execute(
                "DELETE FROM span WHERE id = ANY($1)",
                &[&changes.delete],
                context,
            )?;
        }
        if !changes.set_last.is_empty() {
            let ids: Vec<i64> = changes.set_last.keys().copied().collect();
            let ats: Vec<Option<i64>> =
                changes.set_last.values().map(|k| k.map(|k| k.at)).collect();
            let sids: Vec<Option<i64>> =
                changes.set_last.values().map(|k| k.map(|k| k.id)).collect();
            self.execute(
                "UPDATE span SET last_at = u.at, last_id = u.sid
                 FROM unnest($1::bigint[], $2::bigint[], $3::bigint[]) AS u(id, at, sid)
                 WHERE span.id = u.id",
                &[&ids, &ats, &sids],
                context,
            )?;
        }
        if !changes.set_first.is_empty() {
            let ids: Vec<i64> = changes.set_first.keys().copied().collect();
            let ats: Vec<i64> = changes.set_first.values().map(|k| k.at).collect();
            let sids: Vec<i64> = changes.set_first.values().map(|k| k.id).collect();
            self.execute(
                "UPDATE span SET first_at = u.at, first_id = u.sid
                 FROM unnest($1::bigint[], $2::bigint[], $3::bigint[]) AS u(id, at, sid)
                 WHERE span.id = u.id",
                &[&ids, &ats, &sids],
                context,
            )?;
        }
        if !changes.insert.is_empty() {
            let entries: Vec<i64> = changes.insert.iter().map(|s| s.entry_id).collect();
            let keys: Vec<&[u8]> = changes.insert.iter().map(|s| &s.entry_key[..]).collect();
            let first_at: Vec<i64> = changes.insert.iter().map(|s| s.first.at).collect();
            let first_id: Vec<i64> = changes.insert.iter().map(|s| s.first.id).collect();
            let last_at: Vec<Option<i64>> = changes
                .insert
                .iter()
                .map(|s| s.last.map(|k| k.at))
                .collect();
            let last_id: Vec<Option<i64>> = changes
                .insert
                .iter()
                .map(|s| s.last.map(|k| k.id))
                .collect();
            self.execute(
                "INSERT INTO span (stream_id, entry_id, entry_key, first_at, first_id, last_at, last_id)
                 SELECT $1::bigint, * FROM unnest($2::bigint[], $3::bytea[], $4::bigint[], $5::bigint[],
                                                  $6::bigint[], $7::bigint[])",
                &[&stream, &entries, &keys, &first_at, &first_id, &last_at, &last_id],
                context,
            )?;
        }
        Ok(())
    }

    fn set_latest(&mut self, stream: i64, key: OrderKey) -> Result<(), StoreError> {
        self.execute(
            "UPDATE stream SET latest_at = $2, latest_id = $3 WHERE id = $1",
            &[&stream, &key.at, &key.id],
            "marking the latest snapshot",
        )
        .map(drop)
    }
}

impl Store for PostgresStore {
    fn location(&self) -> &Location {
        &self.location
    }

    fn schema_version(&mut self) -> Result<u32, StoreError> {
        let l = self.location.clone();
        let mut tx = self
            .client
            .transaction()
            .map_err(pg(&l, "reading the schema version"))?;
        read_version(&mut tx, &l)
    }

    fn record(&mut self, snapshot: &NewSnapshot) -> Result<Recorded, StoreError> {
        record::validate(snapshot, &self.location)?;
        let outer = format!("recording a snapshot of project `{}`", snapshot.project);
        let prepared = record::prepare(&snapshot.packages, &self.location)?;
        self.write(&outer, |rtx| record::record(rtx, snapshot, &prepared))
    }

    fn snapshot(&mut self, id: SnapshotId) -> Result<Option<SnapshotInfo>, StoreError> {
        self.one_snapshot(
            snapshot_sql!("WHERE sn.id = $1"),
            &[&id.as_i64()],
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
            snapshot_sql!(
                "WHERE sn.id IN (SELECT st2.latest_id FROM stream st2
                                 JOIN project pr2 ON pr2.id = st2.project_id
                                 WHERE pr2.name = $1 AND (NOT $2 OR st2.branch = $3))
                 ORDER BY sn.taken_at DESC, sn.id DESC LIMIT 1"
            ),
            &[&project, &only, &b],
            &format!("finding the latest snapshot of project `{project}`"),
        )
    }

    fn previous(&mut self, id: SnapshotId) -> Result<Option<SnapshotInfo>, StoreError> {
        self.one_snapshot(
            snapshot_sql!(
                "WHERE sn.id = (SELECT p.id FROM snapshot x JOIN snapshot p ON p.stream_id = x.stream_id
                                AND (p.taken_at, p.id) < (x.taken_at, x.id)
                                WHERE x.id = $1 ORDER BY p.taken_at DESC, p.id DESC LIMIT 1)"
            ),
            &[&id.as_i64()],
            &format!("finding the snapshot before {id}"),
        )
    }

    fn snapshots(&mut self, query: &SnapshotQuery) -> Result<Vec<SnapshotInfo>, StoreError> {
        let (only, b) = branch_params(&query.branch);
        let limit: Option<i64> = query.limit.map(|n| i64::try_from(n).unwrap_or(i64::MAX));
        let since = query.since.map(Timestamp::as_unix_micros);
        let until = query.until.map(Timestamp::as_unix_micros);
        let context = "listing snapshots";
        let rows = self.query(
            snapshot_sql!(
                "WHERE ($1::text IS NULL OR pr.name = $1) AND (NOT $2 OR st.branch = $3)
                   AND ($4::bigint IS NULL OR sn.taken_at >= $4)
                   AND ($5::bigint IS NULL OR sn.taken_at <= $5)
                 ORDER BY sn.taken_at DESC, sn.id DESC LIMIT $6"
            ),
            &[&query.project, &only, &b, &since, &until, &limit],
            context,
        )?;
        let mut out = rows
            .iter()
            .map(snapshot_info)
            .collect::<Result<Vec<_>, _>>()
            .map_err(pg(&self.location, context))?;
        out.reverse();
        Ok(out)
    }

    fn snapshots_in(&mut self, span: &Span) -> Result<Vec<SnapshotInfo>, StoreError> {
        let context = "listing the snapshots of a span";
        let rows = self.query(
            snapshot_sql!(
                "WHERE sn.stream_id = (SELECT stream_id FROM snapshot WHERE id = $1)
                   AND (sn.taken_at, sn.id) >= ($2, $1) AND (sn.taken_at, sn.id) <= ($3, $4)
                 ORDER BY sn.taken_at, sn.id"
            ),
            &[
                &span.first.id.as_i64(),
                &span.first.taken_at.as_unix_micros(),
                &span.last.taken_at.as_unix_micros(),
                &span.last.id.as_i64(),
            ],
            context,
        )?;
        rows.iter()
            .map(snapshot_info)
            .collect::<Result<Vec<_>, _>>()
            .map_err(pg(&self.location, context))
    }

    fn packages(&mut self, id: SnapshotId) -> Result<Option<Vec<PackageRecord>>, StoreError> {
        let context = format!("reading the packages of snapshot {id}");
        let l = self.location.clone();
        // One statement, so one consistent read even while others record.
        let rows = self.query(
            "SELECT 0, NULL, NULL, NULL, NULL, NULL, NULL FROM snapshot WHERE id = $1
             UNION ALL
             SELECT 1, p.ecosystem, p.name, p.version, p.purl, p.detail, e.detail
             FROM snapshot sn
             -- OFFSET 0 fences each span scan, so that it is driven by its own index
             -- (span_open; span_by_last) and not by span_by_first's `first <= snapshot`,
             -- which at the latest snapshot is every span of the branch.
             JOIN LATERAL (SELECT entry_id, first_at, first_id FROM span
                           WHERE stream_id = sn.stream_id AND last_id IS NULL OFFSET 0) s ON true
             JOIN entry e ON e.id = s.entry_id JOIN package p ON p.id = e.package_id
             WHERE sn.id = $1 AND (s.first_at, s.first_id) <= (sn.taken_at, sn.id)
             UNION ALL
             SELECT 1, p.ecosystem, p.name, p.version, p.purl, p.detail, e.detail
             FROM snapshot sn
             JOIN LATERAL (SELECT entry_id, first_at, first_id FROM span
                           WHERE stream_id = sn.stream_id
                             AND (last_at, last_id) >= (sn.taken_at, sn.id) OFFSET 0) s ON true
             JOIN entry e ON e.id = s.entry_id JOIN package p ON p.id = e.package_id
             WHERE sn.id = $1 AND (s.first_at, s.first_id) <= (sn.taken_at, sn.id)",
            &[&id.as_i64()],
            &context,
        )?;
        let mut found = false;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let kind: i32 = r.try_get(0).map_err(pg(&l, &context))?;
            if kind == 0 {
                found = true;
                continue;
            }
            let get = |i: usize| -> Result<String, StoreError> {
                r.try_get::<_, String>(i).map_err(pg(&l, &context))
            };
            let rec =
                record::decode_record(&get(1)?, get(2)?, get(3)?, get(4)?, &get(5)?, &get(6)?)
                    .map_err(|m| corrupt(&l, &context, m))?;
            out.push(rec);
        }
        if !found {
            return Ok(None);
        }
        out.sort();
        Ok(Some(out))
    }

    fn streams(&mut self, project: Option<&str>) -> Result<Vec<StreamInfo>, StoreError> {
        let context = "listing projects and branches";
        let rows = self.query(
            "SELECT pr.name, st.branch,
                    (SELECT COUNT(*) FROM snapshot c WHERE c.stream_id = st.id),
                    ls.id, ls.taken_at, ls.git_commit
             FROM stream st JOIN project pr ON pr.id = st.project_id
             LEFT JOIN snapshot ls ON ls.id = st.latest_id
             WHERE $1::text IS NULL OR pr.name = $1
             ORDER BY pr.name, st.branch",
            &[&project],
            context,
        )?;
        rows.iter()
            .map(|r| {
                let latest_id: Option<i64> = r.try_get(3)?;
                Ok(StreamInfo {
                    project: r.try_get(0)?,
                    branch: branch_from_db(r.try_get(1)?),
                    snapshots: u64::try_from(r.try_get::<_, i64>(2)?).unwrap_or(0),
                    latest: match latest_id {
                        Some(id) => Some(SnapshotRef {
                            id: SnapshotId::from_i64(id),
                            taken_at: Timestamp::from_unix_micros(r.try_get(4)?),
                            commit: r.try_get(5)?,
                        }),
                        None => None,
                    },
                })
            })
            .collect::<Result<Vec<_>, postgres::Error>>()
            .map_err(pg(&self.location, context))
    }

    fn exposure(&mut self, ecosystem: Ecosystem, name: &str) -> Result<Vec<Exposure>, StoreError> {
        let name = normalize_name(ecosystem, name);
        let context = format!("finding {ecosystem} package `{name}`");
        let Self {
            client,
            statements,
            location,
        } = self;
        let l: &Location = location;
        // Three small queries (a 7-way join costs more to plan than to run), in one
        // snapshot of the database so that they agree.
        let mut tx = client
            .build_transaction()
            .isolation_level(postgres::IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .map_err(pg(l, &context))?;
        let mut q = PgTx {
            tx: &mut tx,
            statements,
            location: l,
        };
        let spans = q.query(
            "SELECT s.stream_id, p.id, p.ecosystem, p.name, p.version, p.purl, p.detail,
                    s.first_id, s.last_id
             FROM package p JOIN entry e ON e.package_id = p.id JOIN span s ON s.entry_id = e.id
             WHERE p.ecosystem = $1 AND p.name = $2",
            &[&ecosystem.as_str(), &name],
            &context,
        )?;
        let mut stream_ids: Vec<i64> = Vec::new();
        for r in &spans {
            stream_ids.push(r.try_get(0).map_err(pg(l, &context))?);
        }
        stream_ids.sort_unstable();
        stream_ids.dedup();
        let streams = q.query(
            "SELECT st.id, pr.name, st.branch, st.latest_id
             FROM stream st JOIN project pr ON pr.id = st.project_id WHERE st.id = ANY($1)",
            &[&stream_ids],
            &context,
        )?;
        let mut stream_info: HashMap<i64, (String, String, i64)> = HashMap::new();
        for r in &streams {
            let row = (|| -> Result<_, postgres::Error> {
                Ok((
                    r.try_get::<_, i64>(0)?,
                    r.try_get::<_, String>(1)?,
                    r.try_get::<_, String>(2)?,
                    r.try_get::<_, Option<i64>>(3)?,
                ))
            })()
            .map_err(pg(l, &context))?;
            let latest = row.3.ok_or_else(|| {
                corrupt(
                    l,
                    &context,
                    format!("branch {} has no latest snapshot", row.0),
                )
            })?;
            stream_info.insert(row.0, (row.1, row.2, latest));
        }
        let mut snapshot_ids: Vec<i64> = stream_info.values().map(|s| s.2).collect();
        for r in &spans {
            snapshot_ids.push(r.try_get(7).map_err(pg(l, &context))?);
            if let Some(id) = r.try_get::<_, Option<i64>>(8).map_err(pg(l, &context))? {
                snapshot_ids.push(id);
            }
        }
        snapshot_ids.sort_unstable();
        snapshot_ids.dedup();
        let snaps = q.query(
            "SELECT id, taken_at, git_commit FROM snapshot WHERE id = ANY($1)",
            &[&snapshot_ids],
            &context,
        )?;
        let mut refs: HashMap<i64, SnapshotRef> = HashMap::with_capacity(snaps.len());
        for r in &snaps {
            let id: i64 = r.try_get(0).map_err(pg(l, &context))?;
            refs.insert(
                id,
                SnapshotRef {
                    id: SnapshotId::from_i64(id),
                    taken_at: Timestamp::from_unix_micros(r.try_get(1).map_err(pg(l, &context))?),
                    commit: r.try_get(2).map_err(pg(l, &context))?,
                },
            );
        }
        tx.commit().map_err(pg(l, &context))?;
        let snapshot_ref = |id: i64| {
            refs.get(&id)
                .cloned()
                .ok_or_else(|| corrupt(l, &context, format!("snapshot {id} is missing")))
        };
        let mut out = Vec::with_capacity(spans.len());
        for r in &spans {
            let row = (|| -> Result<_, postgres::Error> {
                Ok((
                    r.try_get::<_, i64>(0)?,
                    r.try_get::<_, i64>(1)?,
                    r.try_get::<_, String>(2)?,
                    r.try_get::<_, String>(3)?,
                    r.try_get::<_, String>(4)?,
                    r.try_get::<_, String>(5)?,
                    r.try_get::<_, String>(6)?,
                    r.try_get::<_, i64>(7)?,
                    r.try_get::<_, Option<i64>>(8)?,
                ))
            })()
            .map_err(pg(l, &context))?;
            let (stream, pid, eco, pname, version, purl, detail, first, last) = row;
            let (project, branch, latest) = stream_info
                .get(&stream)
                .cloned()
                .ok_or_else(|| corrupt(l, &context, format!("branch {stream} is missing")))?;
            let package = record::decode_package(pid, &eco, pname, version, purl, &detail)
                .map_err(|m| corrupt(l, &context, m))?;
            out.push(ExposureRow {
                project,
                branch,
                stream,
                package,
                first: snapshot_ref(first)?,
                last: snapshot_ref(last.unwrap_or(latest))?,
                open: last.is_none(),
            });
        }
        Ok(record::group_exposure(out))
    }

    fn package_keys(&mut self) -> Result<Vec<PackageKey>, StoreError> {
        let context = "listing stored packages";
        let l = self.location.clone();
        let rows = self.query(
            "SELECT DISTINCT ecosystem, name, version FROM package",
            &[],
            context,
        )?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let eco: String = r.try_get(0).map_err(pg(&l, context))?;
            let ecosystem = record::parse_ecosystem(&eco).map_err(|m| corrupt(&l, context, m))?;
            out.push(PackageKey {
                ecosystem,
                name: r.try_get(1).map_err(pg(&l, context))?,
                version: r.try_get(2).map_err(pg(&l, context))?,
            });
        }
        out.sort();
        Ok(out)
    }

    fn state(&mut self, key: &str) -> Result<Option<String>, StoreError> {
        let context = format!("reading state `{key}`");
        let rows = self.query("SELECT value FROM state WHERE key = $1", &[&key], &context)?;
        rows.first()
            .map(|r| r.try_get(0))
            .transpose()
            .map_err(pg(&self.location, &context))
    }

    fn set_state(&mut self, key: &str, value: &str) -> Result<(), StoreError> {
        let context = format!("writing state `{key}`");
        self.query(
            "INSERT INTO state (key, value, updated_at) VALUES ($1, $2, $3)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
            &[&key, &value, &Timestamp::now().as_unix_micros()],
            &context,
        )
        .map(drop)
    }

    fn provenance_pin(
        &mut self,
        ecosystem: Ecosystem,
        name: &str,
    ) -> Result<Option<ProvenancePin>, StoreError> {
        let name = normalize_name(ecosystem, name);
        let context = format!("reading the provenance pin of {ecosystem} package `{name}`");
        let rows = self.query(PIN_SELECT, &[&ecosystem.as_str(), &name], &context)?;
        decode_pin(rows.first(), &self.location, ecosystem, &name, &context)
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
        self.write(&outer, |t| {
            // A conflicting insert waits for the other transaction, so when this one inserts
            // nothing, the pin in force is committed; the next statement (a new snapshot,
            // under READ COMMITTED) sees it. Pins are never deleted.
            let inserted = t.execute(
                "INSERT INTO provenance_pin (ecosystem, name, version, identity, pinned_at, how)
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (ecosystem, name) DO NOTHING",
                &pin_params(&p),
                "adding the pin",
            )?;
            if inserted == 1 {
                return Ok(p.pin.clone());
            }
            let context = "reading the pin in force";
            let rows = t.query(
                PIN_SELECT,
                &[&p.pin.ecosystem.as_str(), &p.pin.name],
                context,
            )?;
            decode_pin(
                rows.first(),
                t.location,
                p.pin.ecosystem,
                &p.pin.name,
                context,
            )?
            .ok_or_else(|| corrupt(t.location, context, "the pin vanished".to_owned()))
        })
    }

    fn set_provenance_pin(&mut self, pin: &ProvenancePin) -> Result<(), StoreError> {
        let p = provenance::prepare_pin(pin, &self.location)?;
        let outer = format!(
            "pinning the provenance of {} package `{}`",
            p.pin.ecosystem, p.pin.name
        );
        self.write(&outer, |t| {
            t.execute(
                "INSERT INTO provenance_pin (ecosystem, name, version, identity, pinned_at, how)
                 VALUES ($1, $2, $3, $4, $5, $6)
                 ON CONFLICT (ecosystem, name) DO UPDATE SET version = excluded.version,
                     identity = excluded.identity, pinned_at = excluded.pinned_at,
                     how = excluded.how",
                &pin_params(&p),
                "replacing the pin",
            )
            .map(drop)
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
        let ecosystems: Vec<&str> = rows.iter().map(|r| r.ecosystem.as_str()).collect();
        let names: Vec<&str> = rows.iter().map(|r| r.name.as_str()).collect();
        let versions: Vec<&str> = rows.iter().map(|r| r.version.as_str()).collect();
        let statuses: Vec<&str> = rows.iter().map(|r| r.status.as_str()).collect();
        let identities: Vec<Option<&str>> = rows.iter().map(|r| r.identity.as_deref()).collect();
        let first_seen: Vec<i64> = rows.iter().map(|r| r.first_seen).collect();
        let last_seen: Vec<i64> = rows.iter().map(|r| r.last_seen).collect();
        self.write("recording provenance observations", |t| {
            // One row per key (prepare_observations merged duplicates), inserted in key
            // order: concurrent observers lock shared rows in the same order.
            t.execute(
                "INSERT INTO provenance_observation
                     (ecosystem, name, version, status, identity, first_seen, last_seen)
                 SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[],
                                      $5::text[], $6::bigint[], $7::bigint[])
                 ORDER BY 1, 2, 3
                 ON CONFLICT (ecosystem, name, version) DO UPDATE SET
                     status = excluded.status, identity = excluded.identity,
                     last_seen = excluded.last_seen",
                &[
                    &ecosystems,
                    &names,
                    &versions,
                    &statuses,
                    &identities,
                    &first_seen,
                    &last_seen,
                ],
                "adding observations",
            )
            .map(drop)
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
        let rows = self.query(
            "SELECT version, status, identity, first_seen, last_seen
             FROM provenance_observation WHERE ecosystem = $1 AND name = $2",
            &[&ecosystem.as_str(), &name],
            &context,
        )?;
        let l = &self.location;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let (version, status, identity, first_seen, last_seen) =
                (|| -> Result<_, postgres::Error> {
                    Ok((
                        r.try_get::<_, String>(0)?,
                        r.try_get::<_, &str>(1)?,
                        r.try_get::<_, Option<&str>>(2)?,
                        r.try_get::<_, i64>(3)?,
                        r.try_get::<_, i64>(4)?,
                    ))
                })()
                .map_err(pg(l, &context))?;
            out.push(
                provenance::decode_observation(
                    ecosystem,
                    name.clone(),
                    version,
                    status,
                    identity,
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

/// Reads a pin's `version, identity, pinned_at, how` by `$1` ecosystem and `$2` name.
const PIN_SELECT: &str = "SELECT version, identity, pinned_at, how FROM provenance_pin
                          WHERE ecosystem = $1 AND name = $2";

/// The parameters `$1` to `$6` of a pin: ecosystem, name, version, identity, pinned_at, how.
fn pin_params(p: &provenance::PreparedPin) -> [&(dyn ToSql + Sync); 6] {
    [
        &p.ecosystem,
        &p.pin.name,
        &p.pin.version,
        &p.identity,
        &p.pinned_at,
        &p.how,
    ]
}

/// The pin of a row read by [`PIN_SELECT`], if any.
fn decode_pin(
    row: Option<&Row>,
    l: &Location,
    ecosystem: Ecosystem,
    name: &str,
    context: &str,
) -> Result<Option<ProvenancePin>, StoreError> {
    let Some(r) = row else {
        return Ok(None);
    };
    let (version, identity, pinned_at, how) = (|| -> Result<_, postgres::Error> {
        Ok((
            r.try_get::<_, String>(0)?,
            r.try_get::<_, &str>(1)?,
            r.try_get::<_, i64>(2)?,
            r.try_get::<_, &str>(3)?,
        ))
    })()
    .map_err(pg(l, context))?;
    provenance::decode_pin(
        ecosystem,
        name.to_owned(),
        version,
        identity,
        pinned_at,
        how,
    )
    .map(Some)
    .map_err(|m| corrupt(l, context, m))
}
