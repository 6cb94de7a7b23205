//! Reports of the history commands: `record`, `history import-git`, `history list`,
//! `exposure` and `drift`. Plain data: ids are numbers, times RFC 3339 strings in UTC.

use std::collections::BTreeMap;

use chainward_types::{Ecosystem, Finding, Origin, PackageRef, Severity};
use serde::Serialize;

/// A recorded snapshot, without its packages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SnapshotSummary {
    /// The snapshot's id (what `drift --from/--to` take).
    pub id: i64,
    /// The project.
    pub project: String,
    /// The git branch, when known.
    pub branch: Option<String>,
    /// The git commit, when known.
    pub commit: Option<String>,
    /// The host that recorded it, when known.
    pub host: Option<String>,
    /// When the packages were as recorded (`--at`, a commit's time).
    pub taken_at: String,
    /// When it was recorded.
    pub recorded_at: String,
    /// True when some lockfile could not be read completely.
    pub incomplete: bool,
    /// Distinct package records.
    pub packages: u64,
}

/// A snapshot, briefly: where something was first or last seen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SnapshotPoint {
    /// The snapshot's id.
    pub snapshot: i64,
    /// When it was taken.
    pub taken_at: String,
    /// Its commit, when known.
    pub commit: Option<String>,
}

/// Verification results attached to a recorded snapshot.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RecordedVerification {
    /// Packages with at least one integrity finding (their codes are stored).
    pub failed: u64,
    /// Packages whose check could not run.
    pub unchecked: u64,
}

/// The result of `chainward record`.
#[derive(Debug, Clone, Serialize)]
pub struct RecordReport {
    /// Always [`crate::SCHEMA_VERSION`].
    pub schema_version: u32,
    /// The history database (a file, or a PostgreSQL URL without its password).
    pub database: String,
    /// The new snapshot.
    pub snapshot: SnapshotSummary,
    /// The snapshot before it in its project and branch, by time.
    pub previous: Option<i64>,
    /// Package records not in the previous snapshot (new packages, and packages whose
    /// version, hashes, scopes or verification changed).
    pub added: u64,
    /// Package records of the previous snapshot not in this one.
    pub removed: u64,
    /// True when it is now the latest snapshot of its project and branch.
    pub latest: bool,
    /// Verification results, when the integrity checks ran.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verification: Option<RecordedVerification>,
}

/// One commit recorded by `history import-git`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImportedCommit {
    /// The commit.
    pub commit: String,
    /// Its committer time.
    pub taken_at: String,
    /// The new snapshot.
    pub snapshot: i64,
    /// Distinct package records.
    pub packages: u64,
    /// Records not in the previous snapshot.
    pub added: u64,
    /// Records of the previous snapshot not in this one.
    pub removed: u64,
    /// True when some lockfile of the commit could not be read completely.
    pub incomplete: bool,
}

/// A commit `history import-git` did not record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SkippedCommit {
    /// The commit.
    pub commit: String,
    /// Its committer time.
    pub taken_at: String,
    /// Why.
    pub reason: String,
}

/// The result of `chainward history import-git`.
#[derive(Debug, Clone, Serialize)]
pub struct ImportGitReport {
    /// Always [`crate::SCHEMA_VERSION`].
    pub schema_version: u32,
    /// The history database.
    pub database: String,
    /// The repository as given.
    pub repository: String,
    /// The project recorded.
    pub project: String,
    /// The branch walked (`None`: a detached HEAD).
    pub branch: Option<String>,
    /// Commits in range that changed a lockfile.
    pub commits: u64,
    /// Commits already recorded for the project and branch by an earlier run.
    pub already_recorded: u64,
    /// Snapshots recorded by this run, oldest first.
    pub recorded: Vec<ImportedCommit>,
    /// Commits not recorded (a lockfile that could not be read, without
    /// `--allow-incomplete`).
    pub skipped: Vec<SkippedCommit>,
}

/// One (project, branch) of the history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StreamSummary {
    /// The project.
    pub project: String,
    /// The branch, if any.
    pub branch: Option<String>,
    /// Snapshots recorded.
    pub snapshots: u64,
    /// The latest snapshot by time taken.
    pub latest: Option<SnapshotPoint>,
}

/// The result of `chainward history list`: every stream, or one project's snapshots.
#[derive(Debug, Clone, Serialize)]
pub struct HistoryListReport {
    /// Always [`crate::SCHEMA_VERSION`].
    pub schema_version: u32,
    /// Projects and branches (sorted).
    pub streams: Vec<StreamSummary>,
    /// With `--project`: its snapshots, oldest first; otherwise empty.
    pub snapshots: Vec<SnapshotSummary>,
}

/// What `exposure` looked for.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ExposureQuery {
    /// The query as given (`None` for `--new-advisories`).
    pub input: Option<String>,
    /// `purl`, `package`, `advisory` or `new-advisories`.
    pub kind: String,
    /// The package's ecosystem (purl and package queries).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ecosystem: Option<Ecosystem>,
    /// The package's normalised name (purl and package queries).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The versions matched: a version, a range in the ecosystem's syntax, or `*`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub versions: Option<String>,
    /// Advisory queries: every advisory id the query resolved to (the id and records that
    /// have it as an alias).
    pub advisories: Vec<String>,
    /// `--new-advisories`: the change number of the previous run (`None`: the first run,
    /// which considers every advisory).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub since_change: Option<u64>,
    /// `--new-advisories`: the advisory database's change number now (the next run starts
    /// after it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub upto_change: Option<u64>,
    /// Advisory queries: (advisory, package) pairs evaluated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub advisories_checked: Option<u64>,
}

/// A run of consecutive snapshots that all held a matching package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExposureSpan {
    /// The first snapshot of the run.
    pub first: SnapshotPoint,
    /// The last snapshot of the run.
    pub last: SnapshotPoint,
    /// True when the run reaches the latest snapshot of the project and branch.
    pub still_present: bool,
    /// The snapshot right after the run, which no longer held it (`None` while still
    /// present): the run's exposure window is from `first` until this one.
    pub removed_in: Option<SnapshotPoint>,
    /// With `--snapshots`: every snapshot id of the run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub snapshots: Option<Vec<i64>>,
}

/// One matching package in one project and branch.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExposureMatch {
    /// The project.
    pub project: String,
    /// The branch, if any.
    pub branch: Option<String>,
    /// The package.
    pub package: PackageRef,
    /// Where it came from.
    pub origin: Origin,
    /// The advisories that matched it (advisory queries), sorted.
    pub advisories: Vec<String>,
    /// The first snapshot that held it.
    pub first_seen: SnapshotPoint,
    /// The last snapshot that held it.
    pub last_seen: SnapshotPoint,
    /// True when the latest snapshot of the project and branch holds it.
    pub still_present: bool,
    /// The snapshot right after `last_seen`, which no longer held it (`None` while still
    /// present).
    pub removed_in: Option<SnapshotPoint>,
    /// Every run of snapshots that held it, oldest first.
    pub spans: Vec<ExposureSpan>,
}

/// Counts of an exposure report.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ExposureSummary {
    /// Matches (one per project, branch and package).
    pub matches: usize,
    /// Distinct projects with a match.
    pub projects: usize,
    /// Matches still present in their branch's latest snapshot.
    pub still_present: usize,
}

/// The result of `chainward exposure`.
#[derive(Debug, Clone, Serialize)]
pub struct ExposureReport {
    /// Always [`crate::SCHEMA_VERSION`].
    pub schema_version: u32,
    /// What was looked for.
    pub query: ExposureQuery,
    /// Every match, by project, branch, package and first time seen.
    pub matches: Vec<ExposureMatch>,
    /// What could not be evaluated, and other things worth knowing.
    pub notes: Vec<String>,
    /// Counts.
    pub summary: ExposureSummary,
}

impl ExposureReport {
    /// Sorts the matches and fills the summary.
    pub fn normalize(&mut self) {
        self.matches.sort_by(|a, b| {
            (&a.project, &a.branch, &a.package, a.first_seen.snapshot).cmp(&(
                &b.project,
                &b.branch,
                &b.package,
                b.first_seen.snapshot,
            ))
        });
        self.summary = ExposureSummary {
            matches: self.matches.len(),
            projects: self
                .matches
                .iter()
                .map(|m| m.project.as_str())
                .collect::<std::collections::BTreeSet<_>>()
                .len(),
            still_present: self.matches.iter().filter(|m| m.still_present).count(),
        };
    }
}

/// A package that was added or removed between two snapshots.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct DriftPackage {
    /// The ecosystem.
    pub ecosystem: Ecosystem,
    /// The normalised name.
    pub name: String,
    /// The version (empty when unpinned).
    pub version: String,
    /// The purl.
    pub purl: String,
}

/// A package whose version changed between two snapshots.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct VersionChange {
    /// The ecosystem.
    pub ecosystem: Ecosystem,
    /// The normalised name.
    pub name: String,
    /// The version in the older snapshot.
    pub from: String,
    /// The version in the newer snapshot.
    pub to: String,
    /// The newer version's purl.
    pub purl: String,
}

/// Counts of a drift report.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DriftSummary {
    /// Packages added.
    pub added: usize,
    /// Packages removed.
    pub removed: usize,
    /// Packages upgraded.
    pub upgraded: usize,
    /// Packages downgraded.
    pub downgraded: usize,
    /// Findings per severity.
    pub findings: BTreeMap<Severity, usize>,
}

/// The result of `chainward drift`.
#[derive(Debug, Clone, Serialize)]
pub struct DriftReport {
    /// Always [`crate::SCHEMA_VERSION`].
    pub schema_version: u32,
    /// The project.
    pub project: String,
    /// The older snapshot.
    pub from: SnapshotSummary,
    /// The newer snapshot.
    pub to: SnapshotSummary,
    /// Packages (name and version) in `to` only, whose name `from` does not have at a
    /// version `to` lacks.
    pub added: Vec<DriftPackage>,
    /// Packages in `from` only, likewise.
    pub removed: Vec<DriftPackage>,
    /// Packages whose version went up.
    pub upgraded: Vec<VersionChange>,
    /// Packages whose version went down.
    pub downgraded: Vec<VersionChange>,
    /// The changes that matter (`republished-or-tampered`, `origin-changed`), most severe
    /// first; the same shape as `scan`'s findings.
    pub findings: Vec<Finding>,
    /// What drift could not tell, and why.
    pub notes: Vec<String>,
    /// Counts.
    pub summary: DriftSummary,
}

impl DriftReport {
    /// Sorts every list and fills the summary.
    pub fn normalize(&mut self) {
        self.added.sort();
        self.removed.sort();
        self.upgraded.sort();
        self.downgraded.sort();
        self.findings.sort_by(|a, b| {
            b.severity
                .cmp(&a.severity)
                .then_with(|| a.package.cmp(&b.package))
                .then_with(|| a.code.cmp(&b.code))
                .then_with(|| a.message.cmp(&b.message))
        });
        let mut findings = BTreeMap::new();
        for f in &self.findings {
            *findings.entry(f.severity).or_default() += 1;
        }
        self.summary = DriftSummary {
            added: self.added.len(),
            removed: self.removed.len(),
            upgraded: self.upgraded.len(),
            downgraded: self.downgraded.len(),
            findings,
        };
    }
}
