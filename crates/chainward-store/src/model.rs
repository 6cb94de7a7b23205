//! What the store takes and gives: snapshots, the packages in them, exposure answers, and
//! provenance pins and observations.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use chainward_types::{
    BuildIdentity, Ecosystem, Hash, Inventory, Origin, Package, Scope, normalize_name,
};
use serde::{Deserialize, Serialize};

use chainward_types::Timestamp;

/// A snapshot's id: unique in one database, never reused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SnapshotId(i64);

impl SnapshotId {
    /// From the number shown to users (`drift --from 42`).
    pub const fn from_i64(id: i64) -> Self {
        Self(id)
    }

    /// The number.
    pub const fn as_i64(self) -> i64 {
        self.0
    }
}

impl fmt::Display for SnapshotId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl FromStr for SnapshotId {
    type Err = std::num::ParseIntError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.trim().parse().map(Self)
    }
}

/// A stored package's id (its identity, hashes included): unique in one database.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PackageId(i64);

impl PackageId {
    pub(crate) const fn from_i64(id: i64) -> Self {
        Self(id)
    }

    /// The number.
    pub const fn as_i64(self) -> i64 {
        self.0
    }
}

/// The outcome of one verification of a package.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum VerificationOutcome {
    /// The check ran and passed.
    Passed,
    /// The check ran and failed.
    Failed,
    /// The check could not run (never a pass).
    Unchecked,
}

/// One verification result at hand when the snapshot was taken (an integrity check, a
/// provenance check). The store keeps them as given; it does not interpret `check`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Verification {
    /// What was checked, as a stable code (`integrity`, `npm-provenance`).
    pub check: String,
    /// The outcome.
    pub outcome: VerificationOutcome,
    /// A short detail (the mismatching file, why it could not run).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// One package as a snapshot holds it.
///
/// The package's identity is (ecosystem, name, version, constraint, purl, origin, hashes):
/// the same version republished with other hashes is another package. The other fields are
/// how this snapshot has it. Two records that differ in any field are different; a snapshot
/// is a set of records.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct PackageRecord {
    /// The ecosystem.
    pub ecosystem: Ecosystem,
    /// The name, normalised as its ecosystem compares names.
    pub name: String,
    /// The exact version, or empty when unpinned.
    pub version: String,
    /// The requirement as written when it is not an exact pin.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub constraint: Option<String>,
    /// The package URL.
    pub purl: String,
    /// Where it comes from.
    pub origin: Origin,
    /// Every recorded hash, sorted.
    #[serde(default)]
    pub hashes: Vec<Hash>,
    /// Its scopes; empty for a production dependency.
    #[serde(default)]
    pub scopes: BTreeSet<Scope>,
    /// Named dependency groups, where the format records them.
    #[serde(default)]
    pub groups: BTreeSet<String>,
    /// A direct dependency of the project.
    #[serde(default)]
    pub direct: bool,
    /// Shipped inside another package's archive.
    #[serde(default)]
    pub bundled: bool,
    /// The files it was found in (lines are not kept: they move with every lockfile edit).
    #[serde(default)]
    pub paths: BTreeSet<String>,
    /// Verification results at hand, sorted.
    #[serde(default)]
    pub verification: Vec<Verification>,
}

impl PackageRecord {
    /// The record of an inventory package, with no verification results.
    pub fn from_package(p: &Package) -> Self {
        let mut r = Self {
            ecosystem: p.ecosystem,
            name: p.name.clone(),
            version: p.version.clone(),
            constraint: p.constraint.clone(),
            purl: p.purl.clone(),
            origin: p.origin.clone(),
            hashes: p.hashes.clone(),
            scopes: p.scopes.clone(),
            groups: p.groups.clone(),
            direct: p.direct,
            bundled: p.bundled,
            paths: p.locations.iter().map(|l| l.path.clone()).collect(),
            verification: Vec::new(),
        };
        r.normalize();
        r
    }

    /// Puts the record in the form the store keeps: the name normalised, hashes and
    /// verification results sorted and deduplicated. The store does this on the way in, so
    /// what it gives back equals the normalised input.
    pub fn normalize(&mut self) {
        self.name = normalize_name(self.ecosystem, &self.name);
        self.hashes.sort();
        self.hashes.dedup();
        self.verification.sort();
        self.verification.dedup();
    }

    /// The (ecosystem, name, version) key.
    pub fn key(&self) -> PackageKey {
        PackageKey {
            ecosystem: self.ecosystem,
            name: self.name.clone(),
            version: self.version.clone(),
        }
    }
}

/// A snapshot to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSnapshot {
    /// The project's name (`--project`). Not empty.
    pub project: String,
    /// The git branch, when the folder is a repository on a branch.
    pub branch: Option<String>,
    /// The git commit, when the folder is a repository.
    pub commit: Option<String>,
    /// The host that took it.
    pub host: Option<String>,
    /// When the packages were as given (`--at`, a commit's time); not when it was recorded.
    pub taken_at: Timestamp,
    /// True when the inventory was incomplete (a lockfile failed or was unsupported).
    pub incomplete: bool,
    /// The packages; order and duplicates do not matter.
    pub packages: Vec<PackageRecord>,
}

impl NewSnapshot {
    /// An empty snapshot of `project` at `taken_at`.
    pub fn new(project: impl Into<String>, taken_at: Timestamp) -> Self {
        Self {
            project: project.into(),
            branch: None,
            commit: None,
            host: None,
            taken_at,
            incomplete: false,
            packages: Vec::new(),
        }
    }

    /// A snapshot of every package of an inventory.
    pub fn from_inventory(
        project: impl Into<String>,
        taken_at: Timestamp,
        inventory: &Inventory,
    ) -> Self {
        Self {
            incomplete: inventory.is_incomplete(),
            packages: inventory
                .packages
                .iter()
                .map(PackageRecord::from_package)
                .collect(),
            ..Self::new(project, taken_at)
        }
    }
}

/// What [`crate::Store::record`] did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Recorded {
    /// The new snapshot.
    pub id: SnapshotId,
    /// Distinct package records in it.
    pub packages: u64,
    /// Records not in the previous snapshot of the same project and branch (by time).
    pub added: u64,
    /// Records of the previous snapshot not in this one.
    pub removed: u64,
    /// The previous snapshot, if any.
    pub previous: Option<SnapshotId>,
    /// True when it is now the latest snapshot of its project and branch (false when
    /// recorded with a time before the latest).
    pub latest: bool,
}

/// A recorded snapshot, without its packages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SnapshotInfo {
    /// The id.
    pub id: SnapshotId,
    /// The project.
    pub project: String,
    /// The branch, if any.
    pub branch: Option<String>,
    /// The commit, if any.
    pub commit: Option<String>,
    /// The host, if given.
    pub host: Option<String>,
    /// When the packages were as recorded.
    pub taken_at: Timestamp,
    /// When it was recorded.
    pub recorded_at: Timestamp,
    /// Whether the inventory was incomplete.
    pub incomplete: bool,
    /// Distinct package records.
    pub packages: u64,
}

/// A snapshot, briefly: enough to show where a package was first or last seen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SnapshotRef {
    /// The id.
    pub id: SnapshotId,
    /// When it was taken.
    pub taken_at: Timestamp,
    /// Its commit, if any.
    pub commit: Option<String>,
}

/// Which branches a query covers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum BranchFilter {
    /// Every branch, and snapshots without one.
    #[default]
    Any,
    /// Only this branch; `None` for snapshots without a branch.
    Only(Option<String>),
}

/// Which snapshots [`crate::Store::snapshots`] lists, oldest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SnapshotQuery {
    /// Only this project; every project when `None`.
    pub project: Option<String>,
    /// Only these branches.
    pub branch: BranchFilter,
    /// Only snapshots taken at or after this time.
    pub since: Option<Timestamp>,
    /// Only snapshots taken at or before this time.
    pub until: Option<Timestamp>,
    /// At most this many, the newest ones (still listed oldest first).
    pub limit: Option<u64>,
}

/// One (project, branch): its snapshots form one history, ordered by time taken.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StreamInfo {
    /// The project.
    pub project: String,
    /// The branch, if any.
    pub branch: Option<String>,
    /// Snapshots recorded.
    pub snapshots: u64,
    /// The latest snapshot by time taken.
    pub latest: Option<SnapshotRef>,
}

/// An (ecosystem, name, version) recorded in some snapshot.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct PackageKey {
    /// The ecosystem.
    pub ecosystem: Ecosystem,
    /// The normalised name.
    pub name: String,
    /// The version (empty when unpinned).
    pub version: String,
}

/// A stored package's identity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredPackage {
    /// Its id.
    pub id: PackageId,
    /// The ecosystem.
    pub ecosystem: Ecosystem,
    /// The normalised name.
    pub name: String,
    /// The version.
    pub version: String,
    /// The requirement as written when not an exact pin.
    pub constraint: Option<String>,
    /// The package URL.
    pub purl: String,
    /// Where it comes from.
    pub origin: Origin,
    /// Its hashes.
    pub hashes: Vec<Hash>,
}

/// A run of consecutive snapshots of one project and branch that all hold a package (with
/// the same scopes and other details: a change of those starts a new span).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Span {
    /// The first snapshot of the run.
    pub first: SnapshotRef,
    /// The last snapshot of the run.
    pub last: SnapshotRef,
    /// True when the run reaches the latest snapshot of the project and branch.
    pub in_latest: bool,
}

/// Where one package was ever seen in one project and branch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Exposure {
    /// The project.
    pub project: String,
    /// The branch, if any.
    pub branch: Option<String>,
    /// The package.
    pub package: StoredPackage,
    /// The first snapshot that held it.
    pub first_seen: SnapshotRef,
    /// The last snapshot that held it.
    pub last_seen: SnapshotRef,
    /// True when the latest snapshot of the project and branch holds it.
    pub in_latest: bool,
    /// Every run of snapshots that held it, oldest first; [`crate::Store::snapshots_in`]
    /// lists a run's snapshots.
    pub spans: Vec<Span>,
}

/// How a provenance pin was set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PinSource {
    /// Pinned automatically on the first verified version seen (trust on first use).
    FirstSeen,
    /// Pinned by the user (`provenance pin PURL`).
    User,
}

impl PinSource {
    /// The stored and displayed name: `first-seen` or `user`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::FirstSeen => "first-seen",
            Self::User => "user",
        }
    }

    /// From [`Self::as_str`]'s name; `None` for anything else.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "first-seen" => Some(Self::FirstSeen),
            "user" => Some(Self::User),
            _ => None,
        }
    }
}

impl fmt::Display for PinSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The build identity a package is expected to keep: one per (ecosystem, name). A later
/// version built from another repository, workflow or trigger is a provenance change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProvenancePin {
    /// The ecosystem.
    pub ecosystem: Ecosystem,
    /// The name, normalised as its ecosystem compares names (the store normalises it on the
    /// way in).
    pub name: String,
    /// The version the identity was taken from.
    pub version: String,
    /// The pinned build identity.
    pub identity: BuildIdentity,
    /// When it was pinned.
    pub pinned_at: Timestamp,
    /// How it was pinned.
    pub how: PinSource,
}

/// What a provenance check of one version found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ProvenanceState {
    /// A provenance attestation was found and verified; the observation has its identity.
    Verified,
    /// The version has no provenance attestation.
    Absent,
    /// An attestation was found but did not verify.
    Invalid,
}

impl ProvenanceState {
    /// The stored and displayed name: `verified`, `absent` or `invalid`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Verified => "verified",
            Self::Absent => "absent",
            Self::Invalid => "invalid",
        }
    }

    /// From [`Self::as_str`]'s name; `None` for anything else.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "verified" => Some(Self::Verified),
            "absent" => Some(Self::Absent),
            "invalid" => Some(Self::Invalid),
            _ => None,
        }
    }
}

impl fmt::Display for ProvenanceState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What provenance checks of one version found: one per (ecosystem, name, version).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProvenanceObservation {
    /// The ecosystem.
    pub ecosystem: Ecosystem,
    /// The name, normalised as its ecosystem compares names (the store normalises it on the
    /// way in).
    pub name: String,
    /// The version.
    pub version: String,
    /// What the latest check found.
    pub status: ProvenanceState,
    /// The verified build identity: `Some` exactly when `status` is
    /// [`ProvenanceState::Verified`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity: Option<BuildIdentity>,
    /// When the version was first checked; the store keeps the first one it was given.
    pub first_seen: Timestamp,
    /// When it was last checked. Not before `first_seen`.
    pub last_seen: Timestamp,
}
