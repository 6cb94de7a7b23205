//! Reports and their renderers. A report is plain serde data in a deterministic order with a
//! `schema_version`; a [`Reporter`] turns one into bytes. Reporters never decide anything
//! (exit codes, policy): they only render.
//!
//! The JSON of each report is a public contract (see `shared/docs/CLI.md`): fields are added,
//! never renamed or removed, and a breaking change bumps [`SCHEMA_VERSION`].
#![warn(missing_docs)]

use std::io::{self, Write};

use std::collections::BTreeMap;

use chainward_types::{Finding, Inventory, Package, PackageRef, Severity, Source};
use serde::Serialize;

pub mod history;
pub mod reporters;

/// The version of every JSON document chainward writes.
pub const SCHEMA_VERSION: u32 = 1;

/// The result of `chainward inventory`.
#[derive(Debug, Clone, Serialize)]
pub struct InventoryReport<'a> {
    /// Always [`SCHEMA_VERSION`].
    pub schema_version: u32,
    /// Every input and what happened to it.
    pub sources: &'a [Source],
    /// Every package found.
    pub packages: &'a [Package],
}

impl<'a> InventoryReport<'a> {
    /// The report of an inventory.
    pub fn new(inventory: &'a Inventory) -> Self {
        Self {
            schema_version: SCHEMA_VERSION,
            sources: &inventory.sources,
            packages: &inventory.packages,
        }
    }
}

/// The result of `chainward scan`: the inventory's sources, then every finding.
#[derive(Debug, Clone, Serialize)]
pub struct ScanReport {
    /// Always [`SCHEMA_VERSION`].
    pub schema_version: u32,
    /// Every input and what happened to it.
    pub sources: Vec<Source>,
    /// Every finding, most severe first, then by package and advisory id.
    pub findings: Vec<Finding>,
    /// Packages that could not be checked against advisories, with the reason.
    pub not_checked: Vec<NotChecked>,
    /// For each package with findings (by purl), the lowest version that fixes all of them,
    /// when one exists.
    pub fixes: BTreeMap<String, String>,
    /// The advisory data used (`scan`; absent from `verify`, which uses none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database: Option<DatabaseInfo>,
    /// What integrity verification compared, and what it could not (absent when it did not
    /// run).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub integrity: Option<IntegrityInfo>,
    /// Registry signatures and provenance of each npm package (absent when not checked).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provenance: Option<ProvenanceInfo>,
    /// Counts.
    pub summary: ScanSummary,
}

/// What `provenance` (or the provenance part of `scan`) checked.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ProvenanceInfo {
    /// The registry the data came from.
    pub registry: String,
    /// Whether the registry serves signatures (`false`: a mirror that strips them; nothing
    /// was reported unsigned because of that).
    pub signatures_served: bool,
    /// Where the registry keys came from (`registry`, `embedded`, a file).
    pub keys: String,
    /// One row per package version checked.
    pub packages: Vec<ProvenanceRow>,
    /// Checks that could not run: never a pass.
    pub unchecked: Vec<Unchecked>,
}

/// The signature and provenance status of one package version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProvenanceRow {
    /// The package.
    pub package: PackageRef,
    /// `verified`, `invalid`, `missing` (the registry signs, this version is not signed),
    /// `not-served` (the registry serves no signatures) or `unchecked`.
    pub signature: String,
    /// `verified`, `invalid`, `missing` (advertised, not fetchable), `none` (no provenance),
    /// `unknown` (the registry does not say) or `unchecked`.
    pub provenance: String,
    /// Who built it, when provenance verified.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub identity: Option<chainward_types::BuildIdentity>,
    /// Whether the data came from the on-disk cache without asking the registry.
    pub from_cache: bool,
}

/// What `verify` (or the integrity part of `scan`) compared.
#[derive(Debug, Clone, Default, Serialize)]
pub struct IntegrityInfo {
    /// Packages whose bytes were compared.
    pub packages: u64,
    /// Installed files compared.
    pub files: u64,
    /// Archives (tarballs, `.crate` files, zips, wheels) hashed or read.
    pub archives: u64,
    /// Bytes hashed or compared.
    pub bytes: u64,
    /// Locked packages no local cache holds (Cargo fetches lazily): nothing to compare.
    pub not_cached: u64,
    /// Checks that could not run: never a pass.
    pub unchecked: Vec<Unchecked>,
}

/// A check that could not run, and why.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Unchecked {
    /// The file or package it is about.
    pub path: String,
    /// Why it could not run.
    pub message: String,
}

/// A package that was not matched against advisories.
#[derive(Debug, Clone, Serialize)]
pub struct NotChecked {
    /// The package.
    pub package: PackageRef,
    /// Why (a git, URL or path origin; no pinned version).
    pub reason: String,
}

/// What advisory data a scan used.
#[derive(Debug, Clone, Default, Serialize)]
pub struct DatabaseInfo {
    /// Records in the database (withdrawn ones included).
    pub records: u64,
    /// The newest `modified` time of any record (RFC 3339).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub newest_modified: Option<String>,
    /// When data was last imported or updated (RFC 3339).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_updated: Option<String>,
    /// True when the data is older than the configured maximum age.
    pub stale: bool,
}

/// Counts of a scan.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ScanSummary {
    /// Packages in the inventory.
    pub packages: usize,
    /// Findings per severity.
    pub findings: BTreeMap<Severity, usize>,
    /// Packages not checked.
    pub not_checked: usize,
}

impl ScanReport {
    /// Sorts findings (most severe first, then package, then advisory id) and fills the
    /// summary's finding counts.
    pub fn normalize(&mut self) {
        self.findings.sort_by(|a, b| {
            b.severity
                .cmp(&a.severity)
                .then_with(|| a.package.cmp(&b.package))
                .then_with(|| advisory_id(a).cmp(advisory_id(b)))
                .then_with(|| a.code.cmp(&b.code))
        });
        self.summary.findings.clear();
        for f in &self.findings {
            *self.summary.findings.entry(f.severity).or_default() += 1;
        }
        self.summary.not_checked = self.not_checked.len();
    }

    /// The findings grouped by package, packages ordered by their most severe finding.
    pub fn by_package(&self) -> Vec<(&PackageRef, Vec<&Finding>)> {
        let mut groups: Vec<(&PackageRef, Vec<&Finding>)> = Vec::new();
        for f in &self.findings {
            match groups.iter_mut().find(|(p, _)| *p == &f.package) {
                Some((_, v)) => v.push(f),
                None => groups.push((&f.package, vec![f])),
            }
        }
        // Findings are sorted most severe first, so each group's first is its worst.
        groups.sort_by(|a, b| {
            b.1[0]
                .severity
                .cmp(&a.1[0].severity)
                .then_with(|| a.0.cmp(b.0))
        });
        groups
    }
}

fn advisory_id(f: &Finding) -> &str {
    f.advisory.as_ref().map_or("", |a| a.id.as_str())
}

/// Renders a report of type `R`.
pub trait Reporter<R> {
    /// Writes the rendered report.
    fn render(&self, report: &R, w: &mut dyn Write) -> io::Result<()>;
}
