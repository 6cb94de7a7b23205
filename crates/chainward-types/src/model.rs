use std::collections::BTreeSet;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::hash::Hash;

/// A package ecosystem, named as OSV names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Ecosystem {
    /// The npm registry (npm, yarn, pnpm and bun lockfiles).
    #[serde(rename = "npm")]
    Npm,
    /// crates.io and other Cargo registries.
    #[serde(rename = "crates.io")]
    CratesIo,
    /// The Python Package Index and other Python indexes.
    #[serde(rename = "PyPI")]
    PyPI,
}

impl Ecosystem {
    /// The OSV name: `npm`, `crates.io` or `PyPI`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Npm => "npm",
            Self::CratesIo => "crates.io",
            Self::PyPI => "PyPI",
        }
    }

    /// The purl type: `npm`, `cargo` or `pypi`.
    pub fn purl_type(self) -> &'static str {
        match self {
            Self::Npm => "npm",
            Self::CratesIo => "cargo",
            Self::PyPI => "pypi",
        }
    }

    /// Parses an OSV ecosystem name or a purl type, case-insensitively.
    pub fn from_name(name: &str) -> Option<Self> {
        match name.to_ascii_lowercase().as_str() {
            "npm" => Some(Self::Npm),
            "crates.io" | "cargo" | "crates" => Some(Self::CratesIo),
            "pypi" => Some(Self::PyPI),
            _ => None,
        }
    }
}

impl fmt::Display for Ecosystem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Normalises a package name as its ecosystem compares names: PEP 503 for PyPI (lowercase,
/// runs of `-`, `_` and `.` become one `-`), unchanged for npm and crates.io.
pub fn normalize_name(ecosystem: Ecosystem, name: &str) -> String {
    match ecosystem {
        Ecosystem::PyPI => {
            let mut out = String::with_capacity(name.len());
            let mut pending_sep = false;
            for c in name.trim().chars() {
                if matches!(c, '-' | '_' | '.') {
                    pending_sep = true;
                } else {
                    if pending_sep && !out.is_empty() {
                        out.push('-');
                    }
                    pending_sep = false;
                    out.push(c.to_ascii_lowercase());
                }
            }
            out
        }
        Ecosystem::Npm | Ecosystem::CratesIo => name.to_owned(),
    }
}

/// A dependency scope. A package with no scope is a production dependency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// Needed only to develop the project (npm `dev`, Python dev groups).
    Dev,
    /// Installed only when possible (npm `optional`, Python extras).
    Optional,
    /// A peer dependency, provided by the consumer.
    Peer,
}

/// Where a package comes from.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Origin {
    /// A package registry; `url` is the download URL or registry the lockfile records, if any.
    Registry {
        /// The resolved download URL, or the registry's index URL, as recorded.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        url: Option<String>,
    },
    /// A git repository.
    Git {
        /// The repository URL as recorded (without the commit fragment).
        url: String,
        /// The full commit the lockfile pins, when it pins one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        commit: Option<String>,
        /// The branch, tag or other ref requested, when recorded.
        #[serde(default, rename = "ref", skip_serializing_if = "Option::is_none")]
        reference: Option<String>,
    },
    /// A tarball or archive downloaded from a plain URL.
    Url {
        /// The URL.
        url: String,
    },
    /// A local folder or file outside the workspace.
    Path {
        /// The path as recorded, relative to the lockfile where it was relative.
        path: String,
    },
    /// A member of the project's own workspace.
    Workspace {
        /// The member's path relative to the workspace root.
        path: String,
    },
}

impl Origin {
    /// A registry origin with no recorded URL.
    pub fn registry() -> Self {
        Self::Registry { url: None }
    }

    /// The kind's name as serialised: `registry`, `git`, `url`, `path` or `workspace`.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Registry { .. } => "registry",
            Self::Git { .. } => "git",
            Self::Url { .. } => "url",
            Self::Path { .. } => "path",
            Self::Workspace { .. } => "workspace",
        }
    }

    /// True for registry origins, the only ones a registry advisory can match by name.
    pub fn is_registry(&self) -> bool {
        matches!(self, Self::Registry { .. })
    }
}

/// A place in a file where a package was found.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Location {
    /// The file, as given to the parser (relative to the scanned root by the walker).
    pub path: String,
    /// The 1-based line of the package's entry, when the format has lines.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    /// The entry's key or install path where it says more than the name: a
    /// `node_modules/a/node_modules/b` path, a pnpm dependency path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
}

/// `path:line`, or `path` where the format has no lines.
impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{line}", self.path),
            None => f.write_str(&self.path),
        }
    }
}

impl Location {
    /// A location at a line of a file.
    pub fn new(path: impl Into<String>, line: Option<u32>) -> Self {
        Self {
            path: path.into(),
            line,
            key: None,
        }
    }

    /// Sets [`Location::key`].
    #[must_use]
    pub fn with_key(mut self, key: impl Into<String>) -> Self {
        self.key = Some(key.into());
        self
    }
}

/// One package that a project depends on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Package {
    /// The ecosystem.
    pub ecosystem: Ecosystem,
    /// The normalised name (see [`normalize_name`]); npm scoped names keep their `@scope/`.
    pub name: String,
    /// The exact version, or empty when the source pins none (an unpinned requirement, a
    /// git dependency without a version).
    pub version: String,
    /// The requirement as written when it is not an exact pin (`>=2.0`, a git ref).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub constraint: Option<String>,
    /// The package URL; derived from the other fields by [`Package::refresh_purl`].
    #[serde(default)]
    pub purl: String,
    /// Where it comes from.
    pub origin: Origin,
    /// Every hash the source records, deduplicated.
    #[serde(default)]
    pub hashes: Vec<Hash>,
    /// Its scopes; empty for a production dependency.
    #[serde(default)]
    pub scopes: BTreeSet<Scope>,
    /// Named dependency groups where the format records them (Poetry and uv groups such as
    /// `main`, `dev`, `test`); the scopes summarise them.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub groups: BTreeSet<String>,
    /// True when a project or workspace member depends on it directly.
    #[serde(default)]
    pub direct: bool,
    /// True when it ships inside another package's archive (npm `bundleDependencies`), so it
    /// is not fetched, and not hashed, on its own.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub bundled: bool,
    /// Every place it was found.
    #[serde(default)]
    pub locations: Vec<Location>,
    /// The ids (purls) of the packages it depends on, where the source records edges.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dependencies: Vec<String>,
}

impl Package {
    /// A package with a normalised name and no hashes, scopes or locations yet.
    pub fn new(
        ecosystem: Ecosystem,
        name: &str,
        version: impl Into<String>,
        origin: Origin,
    ) -> Self {
        let mut p = Self {
            ecosystem,
            name: normalize_name(ecosystem, name),
            version: version.into(),
            constraint: None,
            purl: String::new(),
            origin,
            hashes: Vec::new(),
            scopes: BTreeSet::new(),
            groups: BTreeSet::new(),
            direct: false,
            bundled: false,
            locations: Vec::new(),
            dependencies: Vec::new(),
        };
        p.refresh_purl();
        p
    }

    /// Recomputes [`Package::purl`] after the name, version or origin changed.
    pub fn refresh_purl(&mut self) {
        self.purl =
            crate::purl::for_package(self.ecosystem, &self.name, &self.version, &self.origin);
    }

    /// Adds a hash unless an equal one is already recorded.
    pub fn add_hash(&mut self, hash: Hash) {
        if !self.hashes.contains(&hash) {
            self.hashes.push(hash);
        }
    }

    /// The identity two occurrences must share to be the same package.
    pub fn identity(&self) -> (Ecosystem, &str, &str, &Origin) {
        (self.ecosystem, &self.name, &self.version, &self.origin)
    }
}

/// A dependency edge inside one [`Lockfile`]: `from` depends on `to` (indexes into
/// [`Lockfile::packages`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Edge {
    /// The dependent package.
    pub from: usize,
    /// The dependency.
    pub to: usize,
}

/// What a parser found in one file (or installed tree).
#[derive(Debug, Clone, Default)]
pub struct Lockfile {
    /// The precise format and version, e.g. `npm-package-lock-v3`, `yarn-berry-v8`.
    pub format: String,
    /// Every package, in file order. The project itself is not one of them; workspace members
    /// are, with a [`Origin::Workspace`] origin.
    pub packages: Vec<Package>,
    /// Dependency edges, where the format records them.
    pub edges: Vec<Edge>,
    /// Problems that did not stop parsing but lost packages or their versions, each naming
    /// its place: the source is incomplete.
    pub warnings: Vec<String>,
    /// Lesser losses that leave every package known (an edge that cannot be resolved), each
    /// naming its place: reported, but the source stays complete.
    pub notes: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_pypi_names_per_pep_503() {
        assert_eq!(
            normalize_name(Ecosystem::PyPI, "Friendly-Bard"),
            "friendly-bard"
        );
        assert_eq!(
            normalize_name(Ecosystem::PyPI, "FRIENDLY__bard"),
            "friendly-bard"
        );
        assert_eq!(
            normalize_name(Ecosystem::PyPI, "friendly.-._bard"),
            "friendly-bard"
        );
        assert_eq!(normalize_name(Ecosystem::Npm, "JSONStream"), "JSONStream");
    }

    #[test]
    fn origin_serializes_with_kind_tag() {
        let o = Origin::Git {
            url: "https://github.com/a/b".into(),
            commit: Some("abc".into()),
            reference: None,
        };
        assert_eq!(
            serde_json::to_string(&o).unwrap(),
            r#"{"kind":"git","url":"https://github.com/a/b","commit":"abc"}"#
        );
    }
}
