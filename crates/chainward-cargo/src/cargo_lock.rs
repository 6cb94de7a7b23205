//! `Cargo.lock`, versions 1 to 4.
//!
//! The file is read into a private `RawLock` (every string with its line) by one of two
//! readers: a line reader for the exact layout cargo writes, which handles real lockfiles
//! about ten times faster than a TOML parser, and, for anything else, the `toml` crate with
//! serde wire types, which also reports errors with line and column. A property test checks
//! that both give the same `RawLock` wherever the fast one accepts the input. The
//! `RawLock` is then turned into a [`Lockfile`] ([`parse`]), or a [`CargoLock`] that also
//! keeps the lock version and the unused patches ([`parse_lock`]).
//!
//! # Format versions
//!
//! What changed between versions, from cargo's `src/cargo/core/resolver/encode.rs` (module
//! docs and `into_resolve`, `encodable_package_id`, `encodable_source_id`):
//!
//! - **v1** (no `version` key): checksums live in `[metadata]` as
//!   `"checksum NAME VERSION (SOURCE)" = "HEX"` (`<none>` when the registry gave none);
//!   every `dependencies` entry is `"name version"` plus `" (source)"` for non-path crates.
//!   Very old files also have a `[root]` table for the root crate.
//! - **v2** (no `version` key): `checksum` moves into each `[[package]]`, and dependency
//!   entries are shortened to `"name"` or `"name version"` where that is unambiguous.
//!   (This shortening came with v2, not v3.)
//! - **v3** (`version = 3`): same layout; a git `branch = "master"` is now written as
//!   `?branch=master` instead of being dropped.
//! - **v4** (`version = 4`): query parameters of git source URLs are percent-encoded
//!   (`?branch=oxide%2Fdevelop`); we decode them only for v4.
//!
//! Without a `version` key, we decide as cargo does: v2 as soon as a package has an inline
//! `checksum` or a dependency entry omits its version; otherwise v1, except cargo's own
//! special case of a one-package file ending in exactly one newline, which cargo reads as v2.
//! Any other integer is accepted with a warning (`version = 5` is read with the v4 rules and
//! reported as `cargo-lock-v5`); a version below 1 is an error.
//!
//! # Mapping
//!
//! - `source = "registry+URL"` or `"sparse+URL"` → [`Origin::Registry`] with the source
//!   string as recorded (the purl adds `repository_url` for registries other than crates.io).
//!   `local-registry+` and `directory+` sources are registries too.
//! - `source = "git+URL?branch=B#COMMIT"` (or `?tag=`, `?rev=`, or no query) →
//!   [`Origin::Git`] with `url` without the `git+` prefix, query and fragment, `commit` from
//!   the fragment and `reference` the branch, tag or rev value.
//! - No `source`: a crate built from a local folder, a workspace member or a path
//!   dependency. Cargo.lock does not say which nor where, so every one is
//!   [`Origin::Workspace`] with an empty `path` (most are members; the walker can refine it
//!   from the manifests). They are never registry-matched.
//! - `checksum` (and v1 `[metadata]` checksums) → a SHA-256 [`Hash`](struct@Hash). In a v2+ file, cargo
//!   discards `[metadata]` checksums as the debris of a bad merge; so do we, with a warning.
//! - `dependencies` entries become [`Edge`]s and [`Package::dependencies`] purls, resolved
//!   as cargo does: by name, then version, then source (a dependency's source never has the
//!   `#commit` fragment, so sources are compared without it). An entry that matches no
//!   package, or several, is a warning. A v1 `replace = "..."` entry is an edge to the
//!   replacement.
//! - [`Package::direct`] is true for packages that a source-less (local) crate depends on.
//! - `[patch.unused]` entries are patches that the resolution did not use: nothing from
//!   them is built, so they are not packages and not warnings (they are normal in a
//!   workspace with `[patch]`). [`parse_lock`] returns them in [`CargoLock::unused_patches`].
//! - A package's line is the line of its `name = "..."` key.
//!
//! A TOML syntax error, or a value of the wrong type (a `[[package]]` without `name` or
//! `version`, say), is a [`ParseError`] with line and column, as cargo refuses such files.
//! Everything else that loses information is a warning naming `path:line`.

mod fast;
mod raw;

use std::collections::HashMap;
use std::collections::hash_map::Entry as MapEntry;

use chainward_types::{
    Ecosystem, Edge, Hash, HashAlgorithm, Location, Lockfile, Origin, Package, ParseError,
};

use raw::{RawLock, RawPackage};

/// crates.io's registry source, as Cargo.lock records it.
pub const CRATES_IO_REGISTRY: &str = "registry+https://github.com/rust-lang/crates.io-index";
/// crates.io's sparse index source.
pub const CRATES_IO_SPARSE: &str = "sparse+https://index.crates.io/";

/// What [`parse_lock`] found: the [`Lockfile`] plus what only Cargo.lock has.
#[derive(Debug, Clone)]
pub struct CargoLock {
    /// The packages, edges and warnings.
    pub lockfile: Lockfile,
    /// The lock format version, detected as described in the module docs (1 to 4, or the
    /// unknown number found in a `version` key).
    pub version: u32,
    /// `[patch.unused]` entries: patches that the resolution did not use.
    pub unused_patches: Vec<UnusedPatch>,
}

/// One `[[patch.unused]]` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnusedPatch {
    /// Crate name.
    pub name: String,
    /// Version.
    pub version: String,
    /// The `source` as recorded; `None` for a path patch.
    pub source: Option<String>,
    /// 1-based line of its `name` key.
    pub line: u32,
}

/// Parses the file's text. `path` is recorded in locations.
pub fn parse(input: &str, path: &str) -> Result<Lockfile, ParseError> {
    parse_lock(input, path).map(|lock| lock.lockfile)
}

/// Parses the file's text, keeping the lock version and the unused patches.
pub fn parse_lock(input: &str, path: &str) -> Result<CargoLock, ParseError> {
    match fast::scan(input) {
        Some(raw) => Builder::new(path).build(&raw, input),
        None => Builder::new(path).build(&raw::from_toml(input)?, input),
    }
}

/// A package id as written in `dependencies`, `replace` and v1 metadata keys:
/// `name`, `name version` or `name version (source)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct PackageIdRef<'a> {
    name: &'a str,
    version: Option<&'a str>,
    source: Option<&'a str>,
}

impl<'a> PackageIdRef<'a> {
    /// Splits as cargo's `EncodablePackageId::from_str` does; `None` when malformed.
    fn parse(s: &'a str) -> Option<Self> {
        let mut parts = s.splitn(3, ' ');
        let name = parts.next().filter(|n| !n.is_empty())?;
        let version = parts.next();
        if version == Some("") {
            return None;
        }
        let source = match parts.next() {
            Some(rest) => Some(rest.strip_prefix('(')?.strip_suffix(')')?),
            None => None,
        };
        Some(Self {
            name,
            version,
            source,
        })
    }
}

/// A package as read, before the edges are resolved.
struct Listed<'r> {
    package: Package,
    /// Its table.
    raw: &'r RawPackage<'r>,
}

struct Builder<'p> {
    path: &'p str,
    warnings: Vec<String>,
}

impl<'p> Builder<'p> {
    fn new(path: &'p str) -> Self {
        Self {
            path,
            warnings: Vec::new(),
        }
    }

    fn warn(&mut self, line: u32, message: impl std::fmt::Display) {
        self.warnings
            .push(format!("{}:{line}: {message}", self.path));
    }

    fn build<'r>(mut self, raw: &'r RawLock<'r>, input: &str) -> Result<CargoLock, ParseError> {
        let tables: Vec<&'r RawPackage<'r>> = raw.root.iter().chain(&raw.packages).collect();
        let version = match raw.version {
            Some((n, line)) => self.explicit_version(n, line)?,
            None => detect_unversioned(&tables, input),
        };

        let mut entries: Vec<Listed<'r>> = Vec::with_capacity(tables.len());
        let mut index = Index::default();
        for &table in &tables {
            let Some(package) = self.package(table, version) else {
                continue;
            };
            if let Some(first) = index.insert(table, entries.len()) {
                let first_line = entries[first].raw.name.line;
                self.warn(
                    table.name.line,
                    format_args!(
                        "package `{} {}` is listed twice (first at line {first_line}); this entry is ignored",
                        package.name, package.version
                    ),
                );
                continue;
            }
            entries.push(Listed {
                package,
                raw: table,
            });
        }

        let found = self.metadata_checksums(raw, version, &index);
        let mut edges = Vec::new();
        // `added[to] == from + 1` once `from -> to` is recorded: duplicates cost O(1).
        let mut added = vec![0usize; entries.len()];
        for (from, entry) in entries.iter().enumerate() {
            for dep in entry.raw.dependencies.iter().chain(&entry.raw.replace) {
                let text = dep.as_str();
                let Some(id) = PackageIdRef::parse(text) else {
                    self.warn(
                        dep.line,
                        format_args!("malformed dependency entry `{text}`"),
                    );
                    continue;
                };
                match index.lookup(id) {
                    Ok(to) => {
                        if added[to] != from + 1 {
                            added[to] = from + 1;
                            edges.push(Edge { from, to });
                        }
                    }
                    Err(why) => self.warn(
                        dep.line,
                        format_args!(
                            "dependency `{text}` of `{} {}` {why}",
                            entry.package.name, entry.package.version
                        ),
                    ),
                }
            }
        }

        let mut packages: Vec<Package> = entries.into_iter().map(|e| e.package).collect();
        for (i, hex, line) in found {
            if let Some(package) = packages.get_mut(i) {
                add_checksum(&mut self.warnings, self.path, package, hex, line);
            }
        }
        for edge in &edges {
            if matches!(packages[edge.from].origin, Origin::Workspace { .. }) {
                packages[edge.to].direct = true;
            }
        }
        for edge in &edges {
            let purl = packages[edge.to].purl.clone();
            packages[edge.from].dependencies.push(purl);
        }

        let unused_patches = raw
            .unused_patches
            .iter()
            .map(|p| UnusedPatch {
                name: p.name.as_str().to_owned(),
                version: p.version.as_str().to_owned(),
                source: p.source.as_ref().map(|s| s.as_str().to_owned()),
                line: p.name.line,
            })
            .collect();

        Ok(CargoLock {
            lockfile: Lockfile {
                format: format!("cargo-lock-v{version}"),
                packages,
                edges,
                warnings: self.warnings,
                notes: Vec::new(),
            },
            version,
            unused_patches,
        })
    }

    fn explicit_version(&mut self, n: i64, line: u32) -> Result<u32, ParseError> {
        match u32::try_from(n) {
            Ok(n @ (3 | 4)) => Ok(n),
            Ok(n @ (1 | 2)) => {
                self.warn(
                    line,
                    format_args!(
                        "`version = {n}`: cargo writes this key only from v3 on; read as v{n}"
                    ),
                );
                Ok(n)
            }
            Ok(n) if n > 4 => {
                self.warn(
                    line,
                    format_args!("unknown Cargo.lock version {n}; read with the version 4 rules"),
                );
                Ok(n)
            }
            _ => Err(ParseError::at_line(
                line,
                format!("`version = {n}` is not a Cargo.lock version"),
            )),
        }
    }

    /// Turns one package table into a package; `None` (with a warning) when it cannot be one.
    fn package(&mut self, table: &RawPackage<'_>, version: u32) -> Option<Package> {
        let line = table.name.line;
        let name = table.name.as_str();
        if name.is_empty() || name.contains(char::is_whitespace) {
            self.warn(
                line,
                format_args!("invalid crate name `{name}`; package ignored"),
            );
            return None;
        }
        let origin = match &table.source {
            None => Origin::Workspace {
                path: String::new(),
            },
            Some(s) => self.origin(s.as_str(), version, s.line),
        };
        let mut package = Package::new(Ecosystem::CratesIo, name, table.version.as_str(), origin);
        package.locations.push(Location::new(self.path, Some(line)));
        if let Some(checksum) = &table.checksum {
            add_checksum(
                &mut self.warnings,
                self.path,
                &mut package,
                checksum.as_str(),
                checksum.line,
            );
        }
        Some(package)
    }

    fn origin(&mut self, source: &str, version: u32, line: u32) -> Origin {
        if let Some(rest) = source.strip_prefix("git+") {
            let origin = git_origin(rest, version >= 4);
            if let Origin::Git { commit: None, .. } = &origin {
                self.warn(line, format_args!("git source `{source}` pins no commit"));
            }
            return origin;
        }
        if let Some(path) = source.strip_prefix("path+") {
            let path = path.strip_prefix("file://").unwrap_or(path);
            return Origin::Path {
                path: path.to_owned(),
            };
        }
        let registry = ["registry+", "sparse+", "local-registry+", "directory+"]
            .iter()
            .any(|prefix| source.starts_with(prefix));
        if !registry {
            self.warn(
                line,
                format_args!("unknown source kind `{source}`; recorded as a plain URL"),
            );
            return Origin::Url {
                url: source.to_owned(),
            };
        }
        Origin::Registry {
            url: Some(source.to_owned()),
        }
    }

    /// The v1 `[metadata]` checksums that name a package: (entry index, hex, line).
    fn metadata_checksums<'r>(
        &mut self,
        raw: &'r RawLock<'r>,
        version: u32,
        index: &Index<'_>,
    ) -> Vec<(usize, &'r str, u32)> {
        let mut found = Vec::new();
        let mut checksums = raw
            .metadata
            .iter()
            .filter_map(|m| m.key.strip_prefix("checksum ").map(|id| (id, m)))
            .peekable();
        if version >= 2 {
            if let Some((_, first)) = checksums.peek() {
                let line = first.line;
                self.warn(
                    line,
                    format_args!(
                        "`[metadata]` checksums in a v{version} lockfile (a bad merge?) are ignored, as cargo ignores them"
                    ),
                );
            }
            return found;
        }
        for (id_text, entry) in checksums {
            let Some(hex) = entry.value.as_deref() else {
                self.warn(
                    entry.line,
                    format_args!("`[metadata]` checksum for `{id_text}` is not a string"),
                );
                continue;
            };
            let Some(id) = PackageIdRef::parse(id_text) else {
                self.warn(
                    entry.line,
                    format_args!("malformed `[metadata]` key `checksum {id_text}`"),
                );
                continue;
            };
            match index.lookup(id) {
                Ok(i) if hex != "<none>" => found.push((i, hex, entry.line)),
                Ok(_) => {}
                Err(why) => self.warn(
                    entry.line,
                    format_args!("`[metadata]` checksum for `{id_text}` {why}"),
                ),
            }
        }
        found
    }
}

fn add_checksum(
    warnings: &mut Vec<String>,
    path: &str,
    package: &mut Package,
    hex: &str,
    line: u32,
) {
    match Hash::from_hex(HashAlgorithm::Sha256, hex) {
        Ok(hash) => package.add_hash(hash),
        Err(e) => warnings.push(format!(
            "{path}:{line}: checksum of `{} {}` ignored: {e}",
            package.name, package.version
        )),
    }
}

/// Version of a lockfile without a `version` key (see the module docs).
fn detect_unversioned(tables: &[&RawPackage<'_>], input: &str) -> u32 {
    let v2_evidence = tables
        .iter()
        .any(|t| t.checksum.is_some() || t.dependencies.iter().any(|d| !d.as_str().contains(' ')));
    if v2_evidence || (tables.len() == 1 && input.ends_with('\n') && !input.ends_with("\n\n")) {
        2
    } else {
        1
    }
}

/// `URL[?query][#commit]` after `git+`.
fn git_origin(rest: &str, decode: bool) -> Origin {
    let (before_fragment, fragment) = match rest.split_once('#') {
        Some((b, f)) => (b, Some(f)),
        None => (rest, None),
    };
    let (url, query) = match before_fragment.split_once('?') {
        Some((u, q)) => (u, Some(q)),
        None => (before_fragment, None),
    };
    let reference = query.and_then(|q| {
        q.split('&').find_map(|pair| {
            let (key, value) = pair.split_once('=')?;
            matches!(key, "branch" | "tag" | "rev").then(|| {
                if decode {
                    percent_encoding::percent_decode_str(value)
                        .decode_utf8_lossy()
                        .into_owned()
                } else {
                    value.to_owned()
                }
            })
        })
    });
    Origin::Git {
        url: url.to_owned(),
        commit: fragment.filter(|f| !f.is_empty()).map(str::to_owned),
        reference,
    }
}

/// `source` without its `#commit` fragment, as dependency entries write it.
fn without_fragment(source: &str) -> &str {
    source.split_once('#').map_or(source, |(s, _)| s)
}

/// `source` without fragment and query: cargo before v3 wrote `?branch=master` in some places
/// and not in others.
fn without_query(source: &str) -> &str {
    let s = without_fragment(source);
    s.split_once('?').map_or(s, |(s, _)| s)
}

/// Finds packages by the ids that `dependencies`, `replace` and v1 metadata keys write.
///
/// A lookup hashes the name once; the version is found by a short scan, or through
/// `by_version` for a name with many versions, and the source through `by_source` only when
/// the id names one. So lookups stay cheap on real files and constant-time on hostile ones.
#[derive(Default)]
struct Index<'r> {
    /// The versions of each name, in file order.
    names: HashMap<&'r str, Vec<VersionSlot<'r>>>,
    /// (name, version) → position in `names[name]`, for names with many versions.
    by_version: HashMap<(&'r str, &'r str), usize>,
    /// The entry of a name, version and source (without `#commit`).
    by_source: HashMap<(&'r str, &'r str, &'r str), usize>,
    /// Entries of a name, version and source without query or fragment.
    by_base: HashMap<(&'r str, &'r str, &'r str), Vec<usize>>,
}

/// The entries of one name and version.
struct VersionSlot<'r> {
    version: &'r str,
    /// Every entry.
    all: Vec<usize>,
    /// The source-less ones.
    local: Vec<usize>,
}

/// Names with more versions than this are looked up through [`Index::by_version`].
const SCAN_VERSIONS: usize = 8;

impl<'r> Index<'r> {
    /// Adds entry `i`; returns the entry that already has its name, version and source.
    fn insert(&mut self, table: &'r RawPackage<'r>, i: usize) -> Option<usize> {
        let name = table.name.as_str();
        let version = table.version.as_str();
        let slots = self.names.entry(name).or_default();
        let at = match find_version(slots, &self.by_version, name, version) {
            Some(at) => at,
            None => {
                slots.push(VersionSlot {
                    version,
                    all: Vec::new(),
                    local: Vec::new(),
                });
                let at = slots.len() - 1;
                if slots.len() == SCAN_VERSIONS + 1 {
                    // From now on this name is looked up through `by_version`.
                    for (k, slot) in slots.iter().enumerate() {
                        self.by_version.insert((name, slot.version), k);
                    }
                } else if slots.len() > SCAN_VERSIONS {
                    self.by_version.insert((name, version), at);
                }
                at
            }
        };
        let slot = &mut slots[at];
        match &table.source {
            Some(source) => {
                let source = source.as_str();
                match self
                    .by_source
                    .entry((name, version, without_fragment(source)))
                {
                    MapEntry::Occupied(first) => return Some(*first.get()),
                    MapEntry::Vacant(free) => free.insert(i),
                };
                self.by_base
                    .entry((name, version, without_query(source)))
                    .or_default()
                    .push(i);
            }
            None => {
                if let Some(&first) = slot.local.first() {
                    return Some(first);
                }
                slot.local.push(i);
            }
        }
        slot.all.push(i);
        None
    }

    /// Finds the package an id names, as cargo's `lookup_id` does: by name, then version
    /// (which may be left out when the name has one version), then source (which may be left
    /// out when the version has one source, and is always left out for path crates).
    fn lookup(&self, id: PackageIdRef<'_>) -> Result<usize, &'static str> {
        let slots = self.names.get(id.name).ok_or("matches no package")?;
        let slot = match (id.version, slots.as_slice()) {
            (None, [only]) => only,
            (None, _) => return Err("matches several versions"),
            (Some(v), _) => {
                let at = find_version(slots, &self.by_version, id.name, v)
                    .ok_or("matches no package of that version")?;
                &slots[at]
            }
        };
        let one = |found: &[usize], none: &'static str| match found {
            [one] => Ok(*one),
            [] => Err(none),
            _ => Err("matches several packages"),
        };
        match id.source {
            Some(source) => {
                let key = (id.name, slot.version, without_fragment(source));
                match self.by_source.get(&key) {
                    Some(&i) => Ok(i),
                    None => one(
                        self.by_base
                            .get(&(id.name, slot.version, without_query(source)))
                            .map_or(&[], Vec::as_slice),
                        "matches no package from that source",
                    ),
                }
            }
            None if slot.local.is_empty() => one(&slot.all, "matches no package"),
            None => one(&slot.local, "matches no package"),
        }
    }
}

/// Position of `version` among a name's versions.
fn find_version(
    slots: &[VersionSlot<'_>],
    by_version: &HashMap<(&str, &str), usize>,
    name: &str,
    version: &str,
) -> Option<usize> {
    if slots.len() <= SCAN_VERSIONS {
        slots.iter().position(|s| s.version == version)
    } else {
        by_version.get(&(name, version)).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const V1: &str = include_str!("../tests/fixtures/cargo-lock/v1-metadata.lock");
    const V3_GIT: &str = include_str!("../tests/fixtures/cargo-lock/v3-git-refs.lock");
    const V4_GIT: &str = include_str!("../tests/fixtures/cargo-lock/v4-git-refs.lock");
    const V4_ALT: &str = include_str!("../tests/fixtures/cargo-lock/v4-alt-registry.lock");
    const V4_PATCH: &str = include_str!("../tests/fixtures/cargo-lock/v4-patch-unused.lock");
    const ROOT: &str = include_str!("../tests/fixtures/cargo-lock/v1-root-table.lock");

    fn lock(input: &str) -> Lockfile {
        parse(input, "Cargo.lock").unwrap()
    }

    #[test]
    fn splits_package_ids_like_cargo() {
        let id = |s| PackageIdRef::parse(s);
        assert_eq!(
            id("a"),
            Some(PackageIdRef {
                name: "a",
                version: None,
                source: None
            })
        );
        assert_eq!(
            id("a 1.0.0 (registry+x)"),
            Some(PackageIdRef {
                name: "a",
                version: Some("1.0.0"),
                source: Some("registry+x")
            })
        );
        assert_eq!(id(""), None);
        assert_eq!(id("a 1.0.0 registry+x"), None);
        assert_eq!(id("a  1"), None);
        assert_eq!(id(" a"), None);
    }

    #[test]
    fn reads_git_sources() {
        assert_eq!(
            git_origin("https://github.com/a/b?branch=x%2Fy#0123", true),
            Origin::Git {
                url: "https://github.com/a/b".into(),
                commit: Some("0123".into()),
                reference: Some("x/y".into()),
            }
        );
        assert_eq!(
            git_origin("https://github.com/a/b?branch=x%2Fy#0123", false),
            Origin::Git {
                url: "https://github.com/a/b".into(),
                commit: Some("0123".into()),
                reference: Some("x%2Fy".into()),
            }
        );
        assert_eq!(
            git_origin("ssh://git@example.com/b.git", true),
            Origin::Git {
                url: "ssh://git@example.com/b.git".into(),
                commit: None,
                reference: None
            }
        );
    }

    #[test]
    fn detects_versions_without_a_version_key() {
        assert_eq!(lock(V1).format, "cargo-lock-v1");
        assert_eq!(lock(ROOT).format, "cargo-lock-v1");
        // Minimal dependency entries only exist from v2 on.
        let v2 = "[[package]]\nname = \"a\"\nversion = \"1\"\ndependencies = [\n \"b\",\n]\n\n[[package]]\nname = \"b\"\nversion = \"1\"\n";
        assert_eq!(lock(v2).format, "cargo-lock-v2");
        let v1 = v2.replace("\"b\",", "\"b 1\",");
        assert_eq!(lock(&v1).format, "cargo-lock-v1");
        // cargo's special case: one package and a single final newline is v2.
        assert_eq!(
            lock("[[package]]\nname = \"a\"\nversion = \"1\"\n").format,
            "cargo-lock-v2"
        );
        assert_eq!(lock("").format, "cargo-lock-v1");
        assert_eq!(lock(V4_GIT).format, "cargo-lock-v4");
        assert_eq!(lock(V3_GIT).format, "cargo-lock-v3");
    }

    #[test]
    fn odd_version_keys() {
        let l = lock("version = 5\n");
        assert_eq!(l.format, "cargo-lock-v5");
        assert_eq!(l.warnings.len(), 1);
        let l = lock("version = 1\n");
        assert_eq!(l.format, "cargo-lock-v1");
        assert_eq!(l.warnings.len(), 1);
        assert!(parse("version = -1\n", "Cargo.lock").is_err());
        assert!(parse("version = 99999999999\n", "Cargo.lock").is_err());
        assert!(parse("version = \"3\"\n", "Cargo.lock").is_err());
    }

    #[test]
    fn v1_none_checksum_means_no_hash() {
        let input = r#"[[package]]
name = "a"
version = "0.1.0"
dependencies = [
 "g 1.0.0 (git+https://example.com/g#abc)",
]

[[package]]
name = "g"
version = "1.0.0"
source = "git+https://example.com/g#abc"

[metadata]
"checksum g 1.0.0 (git+https://example.com/g)" = "<none>"
"checksum zz 1.0.0 (registry+https://github.com/rust-lang/crates.io-index)" = "00"
"other" = "kept out of the way"
"#;
        let l = lock(input);
        assert_eq!(l.format, "cargo-lock-v1");
        assert!(l.packages.iter().all(|p| p.hashes.is_empty()));
        assert_eq!(l.edges, [Edge { from: 0, to: 1 }]);
        assert_eq!(l.warnings.len(), 1, "{:?}", l.warnings);
        assert!(
            l.warnings[0].starts_with("Cargo.lock:15: "),
            "{:?}",
            l.warnings
        );
    }

    #[test]
    fn metadata_checksums_in_v2_are_ignored_with_a_warning() {
        let input = r#"[[package]]
name = "a"
version = "0.1.0"
source = "registry+https://github.com/rust-lang/crates.io-index"
checksum = "4785bdd1c96b2a846b2bd7cc02e86b6b3dbf14e7e53446c4f54c92a361040822"

[metadata]
"checksum a 0.1.0 (registry+https://github.com/rust-lang/crates.io-index)" = "8f42a60cbdf9a97f5d2305f08a87dc4e09308d1276d28c869c684d7777685682"
"#;
        let l = lock(input);
        assert_eq!(l.format, "cargo-lock-v2");
        assert_eq!(l.packages[0].hashes.len(), 1);
        assert_eq!(l.warnings.len(), 1);
    }

    #[test]
    fn resolves_path_crate_before_registry_crate_of_same_version() {
        // cargo's own `v2_path_and_crates_io` test layout.
        let input = r#"[[package]]
name = "a"
version = "0.1.0"
source = "registry+https://github.com/rust-lang/crates.io-index"
checksum = "4785bdd1c96b2a846b2bd7cc02e86b6b3dbf14e7e53446c4f54c92a361040822"

[[package]]
name = "a"
version = "0.2.0"

[[package]]
name = "a"
version = "0.2.0"
source = "registry+https://github.com/rust-lang/crates.io-index"
checksum = "8f42a60cbdf9a97f5d2305f08a87dc4e09308d1276d28c869c684d7777685682"

[[package]]
name = "foo"
version = "0.0.1"
dependencies = [
 "a 0.1.0",
 "a 0.2.0",
 "a 0.2.0 (registry+https://github.com/rust-lang/crates.io-index)",
]
"#;
        let l = lock(input);
        assert!(l.warnings.is_empty(), "{:?}", l.warnings);
        let mut to: Vec<_> = l.edges.iter().map(|e| e.to).collect();
        to.sort_unstable();
        assert_eq!(to, [0, 1, 2]);
        assert!(l.packages[..3].iter().all(|p| p.direct));
    }

    #[test]
    fn unresolvable_dependencies_are_warnings() {
        let input = r#"version = 3

[[package]]
name = "a"
version = "0.1.0"
dependencies = [
 "b",
 "c 2.0.0",
 "d",
 "not a valid id",
]

[[package]]
name = "c"
version = "1.0.0"

[[package]]
name = "d"
version = "1.0.0"
source = "registry+https://github.com/rust-lang/crates.io-index"

[[package]]
name = "d"
version = "2.0.0"
source = "registry+https://github.com/rust-lang/crates.io-index"
"#;
        let l = lock(input);
        assert!(l.edges.is_empty());
        assert_eq!(l.warnings.len(), 4, "{:?}", l.warnings);
        assert!(
            l.warnings[0].contains("Cargo.lock:7: dependency `b` of `a 0.1.0` matches no package")
        );
        assert!(l.warnings[2].contains("matches several versions"));
        assert!(l.warnings[3].contains("malformed"));
    }

    #[test]
    fn duplicates_and_odd_sources_are_warnings() {
        let input = r#"version = 4

[[package]]
name = "a"
version = "1.0.0"
source = "registry+https://github.com/rust-lang/crates.io-index"
checksum = "not hex"

[[package]]
name = "a"
version = "1.0.0"
source = "registry+https://github.com/rust-lang/crates.io-index"

[[package]]
name = "b"
version = "1.0.0"
source = "svn+https://example.com/b"

[[package]]
name = "c"
version = "1.0.0"
source = "git+https://example.com/c?branch=main"

[[package]]
name = "d"
version = "1.0.0"
source = "path+file:///src/d"

[[package]]
name = ""
version = "1.0.0"
"#;
        let l = lock(input);
        assert_eq!(l.packages.len(), 4);
        assert_eq!(
            l.packages[1].origin,
            Origin::Url {
                url: "svn+https://example.com/b".into()
            }
        );
        assert_eq!(
            l.packages[3].origin,
            Origin::Path {
                path: "/src/d".into()
            }
        );
        assert_eq!(l.warnings.len(), 5, "{:?}", l.warnings);
    }

    #[test]
    fn replace_entries_are_edges() {
        let input = r#"[[package]]
name = "a"
version = "0.1.0"
source = "registry+https://github.com/rust-lang/crates.io-index"
replace = "a 0.1.0"

[[package]]
name = "a"
version = "0.1.0"
"#;
        let l = lock(input);
        assert_eq!(l.edges, [Edge { from: 0, to: 1 }]);
    }

    #[test]
    fn many_packages_of_one_name_stay_linear() {
        use std::fmt::Write as _;
        let n = 20_000;
        let mut input = String::from("version = 4\n");
        for i in 0..n {
            let _ = write!(
                input,
                "\n[[package]]\nname = \"a\"\nversion = \"0.0.{i}\"\nsource = \"registry+https://r{i}\"\ndependencies = [\n \"a 0.0.{} (registry+https://r{})\",\n \"a\",\n]\n",
                i / 2,
                i / 2
            );
        }
        input.push_str("\n[[package]]\nname = \"root\"\nversion = \"1.0.0\"\ndependencies = [\n \"a 0.0.7\",\n \"a 0.0.19999\",\n \"a 0.0.3 (registry+https://r3)\",\n]\n");
        let started = std::time::Instant::now();
        let l = lock(&input);
        assert_eq!(l.packages.len(), n + 1);
        assert_eq!(l.edges.len(), n + 3);
        let from_root: Vec<_> = l
            .edges
            .iter()
            .filter(|e| e.from == n)
            .map(|e| e.to)
            .collect();
        assert_eq!(from_root, [7, 19_999, 3]);
        assert_eq!(l.warnings.len(), n);
        assert!(started.elapsed().as_secs() < 20, "{:?}", started.elapsed());
    }

    fn assert_readers_agree(input: &str) {
        if let Some(fast) = fast::scan(input) {
            match raw::from_toml(input) {
                Ok(slow) => assert_eq!(fast, slow, "{input:?}"),
                Err(e) => panic!("fast reader accepted what TOML rejects ({e}): {input:?}"),
            }
        }
    }

    #[test]
    fn fast_reader_takes_the_fixtures_and_agrees_with_toml() {
        for input in [V1, V3_GIT, V4_GIT, V4_ALT, V4_PATCH, ROOT] {
            assert!(fast::scan(input).is_some());
            assert_readers_agree(input);
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn fast_reader_agrees_with_toml_on_mutations(
            which in 0usize..6,
            edits in proptest::collection::vec(
                (any::<prop::sample::Index>(), prop_oneof![
                    Just(String::new()), Just("\"".to_owned()), Just("\\".to_owned()), Just("#".to_owned()),
                    Just("\n".to_owned()), Just("\r\n".to_owned()), Just("\t".to_owned()), Just(" ".to_owned()),
                    Just(",".to_owned()), Just("[".to_owned()), Just("]".to_owned()), Just("=".to_owned()),
                    Just("'".to_owned()), Just("\u{1}".to_owned()), Just("é".to_owned()), Just(".".to_owned()),
                    Just("\n[[package]]\n".to_owned()), Just("\nname = \"x\"\n".to_owned()),
                    Just("\n[metadata]\n".to_owned()), Just("0".to_owned()), Just("\u{feff}".to_owned()),
                ], 0usize..3),
                1..5,
            ),
        ) {
            let mut text = [V1, V3_GIT, V4_GIT, V4_ALT, V4_PATCH, ROOT][which].to_owned();
            for (at, insert, delete) in edits {
                let mut pos = at.index(text.len() + 1);
                while !text.is_char_boundary(pos) {
                    pos -= 1;
                }
                let mut end = pos;
                for _ in 0..delete {
                    if let Some(c) = text[end..].chars().next() {
                        end += c.len_utf8();
                    }
                }
                text.replace_range(pos..end, &insert);
            }
            assert_readers_agree(&text);
            let _ = parse(&text, "Cargo.lock");
        }

        #[test]
        fn fast_reader_agrees_with_toml_on_arbitrary_text(s in "[\\[\\]a-z0-9 =\"#,\n\\\\.'-]{0,80}") {
            assert_readers_agree(&s);
        }
    }
}
