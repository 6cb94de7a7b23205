//! Integrity: what is installed and cached is byte-for-byte what the lockfiles pinned, and the
//! lockfiles' origins are sane.
//!
//! [`verify`] takes the sources the walker read ([`chainward_extract::read_sources`]) and, per
//! source kind, compares:
//! - npm (`package-lock.json`, `npm-shrinkwrap.json`): the tarball each entry pins, read from
//!   the npm cache (`_cacache`, by integrity) or fetched when online, against the lockfile
//!   integrity; then every file of the tarball against the installed file in `node_modules`
//!   ([`npm`], [`cacache`]);
//! - pnpm: the content-addressable store index and per-file hashes against
//!   `node_modules/.pnpm` ([`pnpm`]); yarn berry: the cache zips against the lockfile checksums
//!   ([`yarn`]);
//! - Cargo: registry `.crate` files against `Cargo.lock`, unpacked `registry/src` folders
//!   against the `.crate`, `vendor/` against `.cargo-checksum.json` ([`cargo`]);
//! - Python: installed files against `RECORD`, wheels and sdists in given folders against the
//!   lockfile hashes ([`python`]);
//! - every lockfile: origin hygiene ([`hygiene`]).
//!
//! Invariants: archives are read through [`archive`], bounded, never unpacked; nothing here
//! writes anywhere. A check that could not run is never reported as a pass: it is an
//! [`Unchecked`] entry, which makes the caller exit 2.
//! Non-goals: fixing what is found; reading bun's or yarn classic's caches.
#![warn(missing_docs)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chainward_extract::{Format, ReadSource};
use chainward_types::{Evidence, Finding, FindingCode, Location, Lockfile, Package, PackageRef};
use serde::Serialize;

pub mod archive;
pub mod cacache;
pub mod cargo;
pub mod digest;
pub mod fetch;
pub mod hygiene;
pub mod npm;
pub mod pnpm;
pub mod python;
pub mod yarn;

pub use archive::Limits;

/// Where to look and what to allow. Paths that are `None` are not checked (the caller resolves
/// the platform defaults).
#[derive(Clone, Default)]
pub struct Options {
    /// The npm cache's `_cacache` folder.
    pub npm_cache: Option<PathBuf>,
    /// The pnpm content-addressable store (the folder holding `files/`, e.g. `.../store/v3`).
    pub pnpm_store: Option<PathBuf>,
    /// yarn berry's global cache folder (a project's own `.yarn/cache` is always checked).
    pub yarn_cache: Option<PathBuf>,
    /// `CARGO_HOME` (the folder holding `registry/`).
    pub cargo_home: Option<PathBuf>,
    /// Folders of downloaded wheels and sdists to check against Python lockfile hashes.
    pub dist_dirs: Vec<PathBuf>,
    /// Hosts allowed as download origins, in addition to each ecosystem's public registry.
    pub allowed_hosts: Vec<String>,
    /// Do not allow the public registries' default hosts (only `allowed_hosts`).
    pub no_default_hosts: bool,
    /// Downloads tarballs missing from a cache; `None` when offline.
    pub fetch: Option<Arc<dyn fetch::Fetch>>,
    /// Reports progress of long steps (downloads); `None` for none.
    pub progress: Option<Arc<dyn Progress>>,
    /// Archive bounds.
    pub limits: Limits,
}

/// Progress of a long step, drawn by the caller (a progress bar on a terminal).
pub trait Progress: Send + Sync {
    /// A step of `total` units starts.
    fn start(&self, what: &str, total: u64);
    /// `n` more units are done.
    fn advance(&self, n: u64);
    /// The step is over.
    fn finish(&self);
}

/// Something that could not be checked (missing cache entry while offline, unreadable
/// file, corrupt archive). It is never a pass: it makes the result incomplete.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Unchecked {
    /// The file or package it is about (`package-lock.json`, `node_modules/a`,
    /// `pkg:npm/a@1.0.0`).
    pub path: String,
    /// Why it could not be checked.
    pub message: String,
}

/// Counts of what was checked.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Stats {
    /// Packages whose bytes were compared.
    pub packages: u64,
    /// Installed files compared.
    pub files: u64,
    /// Archives hashed or read.
    pub archives: u64,
    /// Bytes hashed or compared.
    pub bytes: u64,
    /// Locked packages that no local cache holds, so there was nothing to compare (Cargo
    /// fetches lazily, and only the host platform's crates): counted, not a finding.
    pub not_cached: u64,
}

impl Stats {
    fn add(&mut self, other: Self) {
        self.packages += other.packages;
        self.files += other.files;
        self.archives += other.archives;
        self.bytes += other.bytes;
        self.not_cached += other.not_cached;
    }
}

/// What verification found.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Outcome {
    /// Problems, each with a stable code and its evidence.
    pub findings: Vec<Finding>,
    /// Checks that could not run.
    pub unchecked: Vec<Unchecked>,
    /// What was checked.
    pub stats: Stats,
}

impl Outcome {
    /// Adds another outcome's results to this one.
    pub fn merge(&mut self, other: Self) {
        self.findings.extend(other.findings);
        self.unchecked.extend(other.unchecked);
        self.stats.add(other.stats);
    }

    /// Records a check that could not run.
    pub fn unchecked(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.unchecked.push(Unchecked {
            path: path.into(),
            message: message.into(),
        });
    }

    /// Sorts findings and unchecked entries so output is deterministic.
    pub fn normalize(&mut self) {
        self.findings.sort_by(|a, b| {
            (
                &a.package,
                a.code,
                &a.locations,
                &a.evidence.as_ref().map(|e| &e.file),
            )
                .cmp(&(
                    &b.package,
                    b.code,
                    &b.locations,
                    &b.evidence.as_ref().map(|e| &e.file),
                ))
        });
        self.findings.dedup();
        self.unchecked.sort();
        self.unchecked.dedup();
    }
}

/// A lockfile or installed tree to verify, as the walker read it.
#[derive(Debug, Clone, Copy)]
pub struct SourceRef<'a> {
    /// The file or folder on disk.
    pub path: &'a Path,
    /// How it is shown in reports.
    pub display: &'a str,
    /// Its format.
    pub format: Format,
    /// What it gave.
    pub lockfile: &'a Lockfile,
}

impl SourceRef<'_> {
    /// The folder holding the lockfile (the project root for the installed tree).
    pub fn dir(&self) -> &Path {
        self.path.parent().unwrap_or_else(|| Path::new("."))
    }
}

/// Verifies every source that was read. Sources that failed to read are skipped here (the
/// inventory already reports them).
pub fn verify(sources: &[ReadSource], options: &Options) -> Outcome {
    use rayon::prelude::*;
    let refs: Vec<SourceRef<'_>> = sources
        .iter()
        .filter_map(|s| {
            Some(SourceRef {
                path: &s.path,
                display: &s.display,
                format: s.format?,
                lockfile: s.result.as_ref().ok()?,
            })
        })
        .collect();
    let mut outcome = refs
        .par_iter()
        .map(|source| verify_source(source, &refs, options))
        .reduce(Outcome::default, |mut a, b| {
            a.merge(b);
            a
        });
    outcome.normalize();
    outcome
}

fn verify_source(source: &SourceRef<'_>, all: &[SourceRef<'_>], options: &Options) -> Outcome {
    let mut out = Outcome::default();
    match source.format {
        Format::NpmPackageLock | Format::NpmShrinkwrap => npm::verify(source, options, &mut out),
        Format::NodeModules => npm::verify_tree(source, all, options, &mut out),
        Format::Pnpm => pnpm::verify(source, options, &mut out),
        Format::Yarn => yarn::verify(source, options, &mut out),
        Format::Cargo => cargo::verify(source, options, &mut out),
        Format::CargoVendor => cargo::verify_vendor(source, all, options, &mut out),
        Format::SitePackages => python::verify_site_packages(source, options, &mut out),
        Format::Requirements | Format::Poetry | Format::Uv | Format::Pipfile => {
            python::verify_dists(source, all, options, &mut out);
        }
        Format::Bun | Format::Sbom => {}
    }
    if !matches!(
        source.format,
        Format::NodeModules | Format::SitePackages | Format::CargoVendor | Format::Sbom
    ) {
        hygiene::check(source, options, &mut out);
    }
    out
}

/// The folder part of a display path (`a/pnpm-lock.yaml` → `a`; empty for a bare name).
pub(crate) fn shown_parent(display: &str) -> String {
    display
        .rfind(['/', '\\'])
        .map_or_else(String::new, |i| display[..i].to_owned())
}

/// `dir/rest` as shown in reports (`rest` alone when `dir` is empty or `.`).
pub(crate) fn join_shown(dir: &str, rest: &str) -> String {
    if dir.is_empty() || dir == "." {
        rest.to_owned()
    } else {
        format!("{dir}/{rest}")
    }
}

/// The reference a finding about `pkg` carries.
pub fn package_ref(pkg: &Package) -> PackageRef {
    PackageRef {
        ecosystem: pkg.ecosystem,
        name: pkg.name.clone(),
        version: pkg.version.clone(),
        purl: pkg.purl.clone(),
    }
}

/// Builds a finding with the code's default severity.
pub fn finding(
    code: FindingCode,
    package: PackageRef,
    message: impl Into<String>,
    locations: Vec<Location>,
    evidence: Evidence,
) -> Finding {
    Finding {
        code,
        severity: code.default_severity(),
        package,
        advisory: None,
        message: message.into(),
        locations,
        evidence: Some(evidence),
    }
}

/// Builds a finding about a package of a lockfile, located where the lockfile lists it.
pub fn package_finding(
    code: FindingCode,
    pkg: &Package,
    message: impl Into<String>,
    evidence: Evidence,
) -> Finding {
    finding(
        code,
        package_ref(pkg),
        message,
        pkg.locations.clone(),
        evidence,
    )
}
