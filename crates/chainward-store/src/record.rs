//! What both backends share: content keys and stored encodings of packages and entries, the
//! span algorithm that records a snapshot, and the grouping of exposure rows.
//!
//! Order: a snapshot's place in its stream is its [`OrderKey`] (time taken, id). A span
//! `(entry, first, last)` says the entry is in every snapshot of the stream whose key is in
//! `first..=last`, `last = None` meaning through the latest snapshot.
//!
//! Recording snapshot X with predecessor P and successor N in its stream (either may be
//! missing) only looks at the spans that hold P (set A) and the spans that start at N (set
//! B); every other span lies wholly before P or wholly after N and is unaffected:
//! 1. A span of A that also holds N: kept when X holds its entry; otherwise split into
//!    `first..=P` and `N..=last`.
//! 2. A span of A that ends at P: extended to X when X holds its entry; when X is the new
//!    latest (no N), an open span is kept open if X holds the entry and closed at P if not.
//! 3. A span of B whose entry X holds: starts at X instead, or, when step 2 extended a span
//!    of the same entry to X, the two are joined.
//! 4. Every other entry of X gets a new span `X..=X`, or `X..` (open) when X is the latest.

use std::collections::{BTreeMap, HashMap, HashSet};

use std::borrow::Cow;

use chainward_types::{Ecosystem, Hash, Origin, Scope, normalize_name};
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use crate::error::{Location, StoreError};
use crate::model::{
    Exposure, NewSnapshot, PackageId, PackageRecord, Recorded, SnapshotId, SnapshotRef, Span,
    StoredPackage, Verification,
};
use chainward_types::Timestamp;

/// A snapshot's place in its stream: by time taken, then by id (the order of recording).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct OrderKey {
    pub(crate) at: i64,
    pub(crate) id: i64,
}

/// A span as the algorithm reads it, with its entry's content key.
#[derive(Debug, Clone)]
pub(crate) struct SpanRow {
    pub(crate) id: i64,
    pub(crate) entry_id: i64,
    pub(crate) entry_key: [u8; 32],
    pub(crate) first: OrderKey,
    pub(crate) last: Option<OrderKey>,
}

/// A span to insert.
#[derive(Debug, Clone, Copy)]
pub(crate) struct NewSpan {
    pub(crate) entry_id: i64,
    pub(crate) entry_key: [u8; 32],
    pub(crate) first: OrderKey,
    pub(crate) last: Option<OrderKey>,
}

/// The writes one record makes to the spans of its stream.
#[derive(Debug, Default)]
pub(crate) struct SpanChanges {
    /// Span id to its new end (`None`: open).
    pub(crate) set_last: BTreeMap<i64, Option<OrderKey>>,
    /// Span id to its new start.
    pub(crate) set_first: BTreeMap<i64, OrderKey>,
    pub(crate) delete: Vec<i64>,
    pub(crate) insert: Vec<NewSpan>,
}

/// A package record ready to store, with its content keys. The stored encodings are made
/// only for the few records that are new to the database.
#[derive(Debug, Clone)]
pub(crate) struct Prepared<'a> {
    pub(crate) record: Cow<'a, PackageRecord>,
    pub(crate) package_key: [u8; 32],
    pub(crate) entry_key: [u8; 32],
}

impl Prepared<'_> {
    /// The `package.detail` column.
    pub(crate) fn package_detail(&self, location: &Location) -> Result<String, StoreError> {
        serde_json::to_string(&package_detail(&self.record))
            .map_err(|e| invalid(location, &self.record, &e))
    }

    /// The `entry.detail` column.
    pub(crate) fn entry_detail(&self, location: &Location) -> Result<String, StoreError> {
        serde_json::to_string(&entry_detail(&self.record))
            .map_err(|e| invalid(location, &self.record, &e))
    }
}

/// The package identity fields that are not columns of their own.
#[derive(Serialize)]
struct PackageDetailRef<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    constraint: &'a Option<String>,
    origin: &'a Origin,
    hashes: &'a [Hash],
}

fn package_detail(r: &PackageRecord) -> PackageDetailRef<'_> {
    PackageDetailRef {
        constraint: &r.constraint,
        origin: &r.origin,
        hashes: &r.hashes,
    }
}

#[derive(Deserialize)]
struct PackageDetail {
    #[serde(default)]
    constraint: Option<String>,
    origin: Origin,
    #[serde(default)]
    hashes: Vec<Hash>,
}

/// How a snapshot holds a package.
#[derive(Serialize)]
struct EntryDetailRef<'a> {
    scopes: &'a std::collections::BTreeSet<Scope>,
    groups: &'a std::collections::BTreeSet<String>,
    direct: bool,
    bundled: bool,
    paths: &'a std::collections::BTreeSet<String>,
    verification: &'a [Verification],
}

fn entry_detail(r: &PackageRecord) -> EntryDetailRef<'_> {
    EntryDetailRef {
        scopes: &r.scopes,
        groups: &r.groups,
        direct: r.direct,
        bundled: r.bundled,
        paths: &r.paths,
        verification: &r.verification,
    }
}

#[derive(Deserialize)]
struct EntryDetail {
    #[serde(default)]
    scopes: std::collections::BTreeSet<Scope>,
    #[serde(default)]
    groups: std::collections::BTreeSet<String>,
    #[serde(default)]
    direct: bool,
    #[serde(default)]
    bundled: bool,
    #[serde(default)]
    paths: std::collections::BTreeSet<String>,
    #[serde(default)]
    verification: Vec<Verification>,
}

/// Feeds what is written into a SHA-256.
struct HashWriter<'a>(&'a mut Sha256);

impl std::io::Write for HashWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.update(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Adds a length-prefixed part, so that no two different part lists hash the same bytes.
fn part(h: &mut Sha256, bytes: &[u8]) {
    h.update((bytes.len() as u64).to_le_bytes());
    h.update(bytes);
}

/// The content keys of a normalised record: the package's (identity and hashes) and the
/// entry's (the package key and how the snapshot holds it). The JSON of the detail is the
/// last part of each, so it needs no length.
fn keys(r: &PackageRecord) -> Result<([u8; 32], [u8; 32]), serde_json::Error> {
    let mut h = Sha256::new();
    part(&mut h, b"chainward-package-v1");
    part(&mut h, r.ecosystem.as_str().as_bytes());
    part(&mut h, r.name.as_bytes());
    part(&mut h, r.version.as_bytes());
    part(&mut h, r.purl.as_bytes());
    serde_json::to_writer(HashWriter(&mut h), &package_detail(r))?;
    let package_key: [u8; 32] = h.finalize().into();
    let mut h = Sha256::new();
    part(&mut h, b"chainward-entry-v1");
    part(&mut h, &package_key);
    serde_json::to_writer(HashWriter(&mut h), &entry_detail(r))?;
    Ok((package_key, h.finalize().into()))
}

/// True when [`PackageRecord::normalize`] would change nothing.
fn is_normalized(r: &PackageRecord) -> bool {
    let name_ok = match r.ecosystem {
        Ecosystem::PyPI => normalize_name(r.ecosystem, &r.name) == r.name,
        Ecosystem::Npm | Ecosystem::CratesIo => true,
    };
    name_ok
        && r.hashes.windows(2).all(|w| w[0] < w[1])
        && r.verification.windows(2).all(|w| w[0] < w[1])
}

/// Normalises (copying only what is not normalised yet) and keys every record; one per
/// distinct entry, sorted by entry key.
pub(crate) fn prepare<'a>(
    packages: &'a [PackageRecord],
    location: &Location,
) -> Result<Vec<Prepared<'a>>, StoreError> {
    let mut out: Vec<Prepared<'a>> = Vec::with_capacity(packages.len());
    for p in packages {
        let record = if is_normalized(p) {
            Cow::Borrowed(p)
        } else {
            let mut r = p.clone();
            r.normalize();
            Cow::Owned(r)
        };
        let (package_key, entry_key) = keys(&record).map_err(|e| invalid(location, p, &e))?;
        out.push(Prepared {
            record,
            package_key,
            entry_key,
        });
    }
    out.sort_unstable_by_key(|p| p.entry_key);
    out.dedup_by_key(|p| p.entry_key);
    Ok(out)
}

fn invalid(location: &Location, record: &PackageRecord, e: &serde_json::Error) -> StoreError {
    StoreError::Invalid {
        location: location.clone(),
        message: format!(
            "package {}@{} cannot be encoded: {e}",
            record.name, record.version
        ),
    }
}

/// Reads a package record back from its stored columns.
pub(crate) fn decode_record(
    ecosystem: &str,
    name: String,
    version: String,
    purl: String,
    package_detail: &str,
    entry_detail: &str,
) -> Result<PackageRecord, String> {
    let ecosystem = parse_ecosystem(ecosystem)?;
    let p: PackageDetail = serde_json::from_str(package_detail)
        .map_err(|e| format!("package {name}@{version}: {e}"))?;
    let e: EntryDetail =
        serde_json::from_str(entry_detail).map_err(|e| format!("package {name}@{version}: {e}"))?;
    Ok(PackageRecord {
        ecosystem,
        name,
        version,
        constraint: p.constraint,
        purl,
        origin: p.origin,
        hashes: p.hashes,
        scopes: e.scopes,
        groups: e.groups,
        direct: e.direct,
        bundled: e.bundled,
        paths: e.paths,
        verification: e.verification,
    })
}

/// Reads a package's identity back from its stored columns.
pub(crate) fn decode_package(
    id: i64,
    ecosystem: &str,
    name: String,
    version: String,
    purl: String,
    package_detail: &str,
) -> Result<StoredPackage, String> {
    let ecosystem = parse_ecosystem(ecosystem)?;
    let p: PackageDetail = serde_json::from_str(package_detail)
        .map_err(|e| format!("package {name}@{version}: {e}"))?;
    Ok(StoredPackage {
        id: PackageId::from_i64(id),
        ecosystem,
        name,
        version,
        constraint: p.constraint,
        purl,
        origin: p.origin,
        hashes: p.hashes,
    })
}

pub(crate) fn parse_ecosystem(s: &str) -> Result<Ecosystem, String> {
    Ecosystem::from_name(s).ok_or_else(|| format!("unknown ecosystem `{s}`"))
}

/// The primitive steps of recording, one implementation per backend, all inside one
/// transaction.
pub(crate) trait RecordTx {
    /// The stream's id, creating the project and stream when new, locked until the end of
    /// the transaction.
    fn lock_stream(&mut self, project: &str, branch: &str) -> Result<i64, StoreError>;
    /// Inserts the snapshot row; its id.
    fn insert_snapshot(
        &mut self,
        stream: i64,
        snapshot: &NewSnapshot,
        recorded_at: i64,
        packages: i64,
    ) -> Result<i64, StoreError>;
    /// The keys of the snapshots just before and just after `key` in the stream.
    fn neighbours(
        &mut self,
        stream: i64,
        key: OrderKey,
    ) -> Result<(Option<OrderKey>, Option<OrderKey>), StoreError>;
    /// Spans of the stream that are open or end at or after `key` (a superset of those
    /// holding it: the caller drops those starting after it). So the query has one range
    /// to drive an index: `last >= key`, which is empty at the latest snapshot.
    fn spans_open_or_ending_after(
        &mut self,
        stream: i64,
        key: OrderKey,
    ) -> Result<Vec<SpanRow>, StoreError>;
    /// Spans of the stream that start at the snapshot `key`.
    fn spans_starting(&mut self, stream: i64, key: OrderKey) -> Result<Vec<SpanRow>, StoreError>;
    /// Entry ids of `entries` (sorted by entry key), inserting the missing packages and
    /// entries in key order; the ids in the same order.
    fn upsert_entries(&mut self, entries: &[&Prepared]) -> Result<Vec<i64>, StoreError>;
    /// Applies span changes.
    fn apply(&mut self, stream: i64, changes: &SpanChanges) -> Result<(), StoreError>;
    /// Sets the stream's latest snapshot.
    fn set_latest(&mut self, stream: i64, key: OrderKey) -> Result<(), StoreError>;
}

/// Records `snapshot` (with its records `prepared`) through `tx`. The caller commits.
pub(crate) fn record(
    tx: &mut dyn RecordTx,
    snapshot: &NewSnapshot,
    prepared: &[Prepared],
) -> Result<Recorded, StoreError> {
    let branch = snapshot.branch.as_deref().unwrap_or("");
    let stream = tx.lock_stream(&snapshot.project, branch)?;
    let count = i64::try_from(prepared.len()).unwrap_or(i64::MAX);
    let id = tx.insert_snapshot(stream, snapshot, Timestamp::now().as_unix_micros(), count)?;
    let x = OrderKey {
        at: snapshot.taken_at.as_unix_micros(),
        id,
    };
    let (prev, next) = tx.neighbours(stream, x)?;
    let holding_prev = match prev {
        Some(p) => {
            let mut spans = tx.spans_open_or_ending_after(stream, p)?;
            spans.retain(|s| s.first <= p);
            spans
        }
        None => Vec::new(),
    };
    let starting_next = match next {
        Some(n) => tx.spans_starting(stream, n)?,
        None => Vec::new(),
    };

    // Entry ids of X: known from the neighbours' spans, or looked up and inserted.
    let mut known: HashMap<[u8; 32], i64> = HashMap::new();
    for s in holding_prev.iter().chain(&starting_next) {
        known.insert(s.entry_key, s.entry_id);
    }
    let missing: Vec<&Prepared> = prepared
        .iter()
        .filter(|p| !known.contains_key(&p.entry_key))
        .collect();
    let missing_ids = tx.upsert_entries(&missing)?;
    // Entry id to key, for X's entries.
    let mut keys_of: HashMap<i64, [u8; 32]> = HashMap::with_capacity(prepared.len());
    for p in prepared {
        if let Some(&id) = known.get(&p.entry_key) {
            keys_of.insert(id, p.entry_key);
        }
    }
    for (p, id) in missing.iter().zip(&missing_ids) {
        keys_of.insert(*id, p.entry_key);
    }
    let in_x: HashSet<i64> = keys_of.keys().copied().collect();

    let mut changes = SpanChanges::default();
    let mut handled: HashSet<i64> = HashSet::new();
    // Entry id to the span of A that was extended to end at X (step 2).
    let mut extended: HashMap<i64, i64> = HashMap::new();
    let in_prev: HashSet<i64> = holding_prev.iter().map(|s| s.entry_id).collect();
    if let Some(p) = prev {
        for s in &holding_prev {
            let holds_next = next.is_some_and(|n| s.last.is_none_or(|l| l >= n));
            let keep = in_x.contains(&s.entry_id);
            if holds_next {
                // Step 1.
                if keep {
                    handled.insert(s.entry_id);
                } else if let Some(n) = next {
                    changes.set_last.insert(s.id, Some(p));
                    changes.insert.push(NewSpan {
                        entry_id: s.entry_id,
                        entry_key: s.entry_key,
                        first: n,
                        last: s.last,
                    });
                }
            } else if next.is_none() {
                // Step 2, X the new latest: P was the latest, so `s` is open.
                if keep {
                    if s.last.is_some() {
                        changes.set_last.insert(s.id, None);
                    }
                    handled.insert(s.entry_id);
                } else {
                    changes.set_last.insert(s.id, Some(p));
                }
            } else if keep {
                // Step 2, `s` ends at P.
                changes.set_last.insert(s.id, Some(x));
                handled.insert(s.entry_id);
                extended.insert(s.entry_id, s.id);
            }
        }
    }
    for t in &starting_next {
        // Step 3.
        if !in_x.contains(&t.entry_id) {
            continue;
        }
        if let Some(&joined) = extended.get(&t.entry_id) {
            changes.set_last.insert(joined, t.last);
            changes.delete.push(t.id);
        } else {
            changes.set_first.insert(t.id, x);
        }
        handled.insert(t.entry_id);
    }
    // Step 4.
    let mut fresh: Vec<(i64, [u8; 32])> = keys_of
        .iter()
        .filter(|(id, _)| !handled.contains(*id))
        .map(|(id, key)| (*id, *key))
        .collect();
    fresh.sort_unstable();
    for (entry_id, entry_key) in fresh {
        changes.insert.push(NewSpan {
            entry_id,
            entry_key,
            first: x,
            last: if next.is_some() { Some(x) } else { None },
        });
    }
    tx.apply(stream, &changes)?;
    if next.is_none() {
        tx.set_latest(stream, x)?;
    }
    let added = in_x.difference(&in_prev).count() as u64;
    let removed = in_prev.difference(&in_x).count() as u64;
    Ok(Recorded {
        id: SnapshotId::from_i64(id),
        packages: in_x.len() as u64,
        added,
        removed,
        previous: prev.map(|p| SnapshotId::from_i64(p.id)),
        latest: next.is_none(),
    })
}

/// One row of the exposure query: a span of an entry of a package of (ecosystem, name).
#[derive(Debug)]
pub(crate) struct ExposureRow {
    pub(crate) project: String,
    pub(crate) branch: String,
    pub(crate) stream: i64,
    pub(crate) package: StoredPackage,
    pub(crate) first: SnapshotRef,
    pub(crate) last: SnapshotRef,
    pub(crate) open: bool,
}

/// Groups spans into one [`Exposure`] per (stream, package), sorted.
pub(crate) fn group_exposure(rows: Vec<ExposureRow>) -> Vec<Exposure> {
    let mut groups: BTreeMap<(String, String, i64, i64), Exposure> = BTreeMap::new();
    for r in rows {
        let span = Span {
            first: r.first.clone(),
            last: r.last.clone(),
            in_latest: r.open,
        };
        let key = (
            r.project.clone(),
            r.branch.clone(),
            r.stream,
            r.package.id.as_i64(),
        );
        match groups.get_mut(&key) {
            Some(g) => {
                if order(&r.first) < order(&g.first_seen) {
                    g.first_seen = r.first;
                }
                if order(&r.last) > order(&g.last_seen) {
                    g.last_seen = r.last;
                }
                g.in_latest |= r.open;
                g.spans.push(span);
            }
            None => {
                groups.insert(
                    key,
                    Exposure {
                        project: r.project,
                        branch: branch_from_db(r.branch),
                        package: r.package,
                        first_seen: r.first,
                        last_seen: r.last,
                        in_latest: r.open,
                        spans: vec![span],
                    },
                );
            }
        }
    }
    let mut out: Vec<Exposure> = groups
        .into_values()
        .map(|mut g| {
            g.spans.sort_by_key(|s| order(&s.first));
            g
        })
        .collect();
    out.sort_by(|a, b| {
        (&a.project, &a.branch, &a.package.version, a.package.id).cmp(&(
            &b.project,
            &b.branch,
            &b.package.version,
            b.package.id,
        ))
    });
    out
}

fn order(r: &SnapshotRef) -> (Timestamp, SnapshotId) {
    (r.taken_at, r.id)
}

/// The stored branch (`''` for none) as the API gives it.
pub(crate) fn branch_from_db(branch: String) -> Option<String> {
    if branch.is_empty() {
        None
    } else {
        Some(branch)
    }
}

/// Checks a snapshot before recording.
pub(crate) fn validate(snapshot: &NewSnapshot, location: &Location) -> Result<(), StoreError> {
    if snapshot.project.trim().is_empty() {
        return Err(StoreError::Invalid {
            location: location.clone(),
            message: "a snapshot needs a project name".into(),
        });
    }
    if snapshot.branch.as_deref() == Some("") {
        return Err(StoreError::Invalid {
            location: location.clone(),
            message: format!(
                "snapshot of project `{}`: the branch is empty (use no branch instead)",
                snapshot.project
            ),
        });
    }
    Ok(())
}

impl StoreError {
    /// Prefixes the context of a database error (what was being done), e.g. with the
    /// project being recorded.
    pub(crate) fn within(self, outer: &str) -> Self {
        match self {
            Self::Sqlite {
                location,
                context,
                source,
            } => Self::Sqlite {
                location,
                context: format!("{outer}: {context}"),
                source,
            },
            Self::Postgres {
                location,
                context,
                source,
            } => Self::Postgres {
                location,
                context: format!("{outer}: {context}"),
                source,
            },
            Self::ConnectionLost {
                location,
                context,
                while_committing,
                source,
            } => Self::ConnectionLost {
                location,
                context: format!("{outer}: {context}"),
                while_committing,
                source,
            },
            Self::Corrupt {
                location,
                context,
                message,
            } => Self::Corrupt {
                location,
                context: format!("{outer}: {context}"),
                message,
            },
            other => other,
        }
    }
}
