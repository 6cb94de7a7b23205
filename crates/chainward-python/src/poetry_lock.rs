//! `poetry.lock`, lock-version 1.x (Poetry 1.0–1.4) and 2.x (Poetry 1.5+ and 2.x).
//!
//! - Every `[[package]]` is reported, located at its `name = "..."` line.
//! - Scopes: `optional = true` (an extra) → [`Scope::Optional`]; 1.x `category = "dev"` and
//!   2.x `groups` without `"main"` → [`Scope::Dev`]. The 2.x group names (1.x: the category)
//!   are kept in [`Package::groups`].
//! - `[package.source]`: `git` → [`Origin::Git`] (commit = `resolved_reference`, ref =
//!   `reference`); `legacy` (another index) → [`Origin::Registry`] with its URL; `directory`
//!   and `file` → [`Origin::Path`]; `url` → [`Origin::Url`]. No source: PyPI.
//! - Hashes: 2.x `files = [{file, hash}]` and 1.x `[metadata.files]`, each with the file name
//!   as [`Hash::artifact`](chainward_types::Hash::artifact).
//! - `[package.dependencies]` → edges, by normalised name (to every locked version of it).
//! - Direct: the lock does not list the project's own requirements (those are in
//!   `pyproject.toml`, which is not read here). A package that no other locked package
//!   depends on can only be there because the project asks for it, so it is marked direct;
//!   a package that is both a direct and a transitive dependency is not detected as direct.
//!
//! The format is `poetry-lock-v<metadata.lock-version>` (`poetry-lock` when absent).

use std::collections::HashMap;

use chainward_types::{
    Ecosystem, Edge, Location, Lockfile, Origin, Package, ParseError, Scope, normalize_name,
};

use crate::common::{is_pypi, parse_prefixed_hash, redact_url};
use crate::toml_tree::{self, Doc, Table};

/// The parts of the file that are read, as Poetry writes them.
#[derive(Debug, Default)]
struct PoetryLockWire {
    package: Vec<PoetryPackageWire>,
    /// `metadata.lock-version`.
    lock_version: Option<String>,
    /// 1.x `[metadata.files]`: file hashes by package name.
    legacy_files: Vec<(String, Vec<PoetryFileWire>)>,
}

#[derive(Debug)]
struct PoetryPackageWire {
    name: String,
    /// The line of `name = ...`.
    line: u32,
    version: String,
    /// 1.x: `main` or `dev`.
    category: Option<String>,
    optional: bool,
    /// 2.x: the dependency groups that require it.
    groups: Option<Vec<String>>,
    source: Option<PoetrySourceWire>,
    /// 2.x (and 1.x from Poetry 1.2 on): hashes of the package's files.
    files: Vec<PoetryFileWire>,
    /// Names of `[package.dependencies]` (their constraints are not needed here).
    dependencies: Vec<String>,
}

#[derive(Debug)]
struct PoetrySourceWire {
    kind: String,
    url: Option<String>,
    reference: Option<String>,
    resolved_reference: Option<String>,
}

#[derive(Debug)]
struct PoetryFileWire {
    file: String,
    hash: String,
}

impl PoetryLockWire {
    fn read(input: &str, doc: &Doc<'_>) -> Result<Self, ParseError> {
        let root = toml_tree::parse(input, "poetry.lock")?;
        let mut wire = Self::default();
        for item in doc.array(&root, "package")? {
            let t = doc.as_table(item, "package")?;
            let name_item = t
                .get("name")
                .ok_or_else(|| doc.error_at(item.start, "[[package]] without `name`"))?;
            let source = match doc.table(t, "source")? {
                Some(s) => Some(PoetrySourceWire {
                    kind: doc.str(s, "type")?.unwrap_or_default().to_owned(),
                    url: doc.str(s, "url")?.map(str::to_owned),
                    reference: doc.str(s, "reference")?.map(str::to_owned),
                    resolved_reference: doc.str(s, "resolved_reference")?.map(str::to_owned),
                }),
                None => None,
            };
            wire.package.push(PoetryPackageWire {
                name: doc.as_str(name_item, "name")?.to_owned(),
                line: doc.line(name_item.start),
                version: doc.str(t, "version")?.unwrap_or_default().to_owned(),
                category: doc.str(t, "category")?.map(str::to_owned),
                optional: doc.bool(t, "optional")?.unwrap_or(false),
                groups: t
                    .get("groups")
                    .map(|_| doc.strings(t, "groups"))
                    .transpose()?
                    .map(|g| g.into_iter().map(str::to_owned).collect()),
                source,
                files: read_files(doc, doc.array(t, "files")?)?,
                dependencies: doc.table(t, "dependencies")?.map_or_else(Vec::new, |d| {
                    d.entries.iter().map(|(k, _)| k.to_string()).collect()
                }),
            });
        }
        if let Some(meta) = doc.table(&root, "metadata")? {
            wire.lock_version = doc.str(meta, "lock-version")?.map(str::to_owned);
            if let Some(files) = doc.table(meta, "files")? {
                for (name, item) in &files.entries {
                    wire.legacy_files.push((
                        name.to_string(),
                        read_files(doc, doc.as_array(item, name)?)?,
                    ));
                }
            }
        }
        Ok(wire)
    }
}

/// `[{file = "...", hash = "sha256:..."}, ...]`.
fn read_files(
    doc: &Doc<'_>,
    items: &[toml_tree::Item<'_>],
) -> Result<Vec<PoetryFileWire>, ParseError> {
    items
        .iter()
        .map(|i| {
            let t: &Table<'_> = doc.as_table(i, "files")?;
            let field = |k: &str| {
                doc.str(t, k)?
                    .ok_or_else(|| doc.error_at(i.start, format!("file entry without `{k}`")))
            };
            Ok(PoetryFileWire {
                file: field("file")?.to_owned(),
                hash: field("hash")?.to_owned(),
            })
        })
        .collect()
}

/// Parses the file's text. `path` is recorded in locations.
pub fn parse(input: &str, path: &str) -> Result<Lockfile, ParseError> {
    let doc = Doc::new(input);
    let wire = PoetryLockWire::read(input, &doc)?;
    let mut warnings = Vec::new();
    let format = match wire.lock_version.as_deref() {
        Some(v) => format!("poetry-lock-v{v}"),
        None => "poetry-lock".to_owned(),
    };
    let mut legacy_files: HashMap<String, Vec<PoetryFileWire>> = HashMap::new();
    for (name, files) in wire.legacy_files {
        legacy_files
            .entry(normalize_name(Ecosystem::PyPI, &name))
            .or_default()
            .extend(files);
    }
    // How many locked versions each name has (1.x files are keyed by name only).
    let mut versions_per_name: HashMap<String, usize> = HashMap::new();
    for p in &wire.package {
        *versions_per_name
            .entry(normalize_name(Ecosystem::PyPI, &p.name))
            .or_default() += 1;
    }

    let mut packages = Vec::with_capacity(wire.package.len());
    let mut deps: Vec<Vec<String>> = Vec::with_capacity(wire.package.len());
    for wp in &wire.package {
        let line = wp.line;
        let name = &wp.name;
        let version = wp.version.clone();
        let origin = match &wp.source {
            None => Origin::registry(),
            Some(src) => source_origin(src, name, line, path, &mut warnings),
        };
        let mut pkg = Package::new(Ecosystem::PyPI, name, version, origin);
        pkg.locations.push(Location::new(path, Some(line)));
        if wp.optional {
            pkg.scopes.insert(Scope::Optional);
        }
        if let Some(category) = &wp.category {
            pkg.groups.insert(category.clone());
            if category == "dev" {
                pkg.scopes.insert(Scope::Dev);
            }
        }
        if let Some(groups) = &wp.groups {
            pkg.groups.extend(groups.iter().cloned());
            if !groups.is_empty() && !groups.iter().any(|g| g == "main") {
                pkg.scopes.insert(Scope::Dev);
            }
        }
        let mut files: Vec<&PoetryFileWire> = wp.files.iter().collect();
        if let Some(legacy) = legacy_files.get(&pkg.name) {
            let several = versions_per_name.get(&pkg.name).copied().unwrap_or(0) > 1;
            // With several versions locked, keep the files that name this version.
            files.extend(
                legacy
                    .iter()
                    .filter(|f| !several || file_matches_version(&f.file, &pkg.version)),
            );
        }
        // Duplicates are rare: look for one before paying for `add_hash`'s linear checks.
        let mut keys: Vec<(&str, &str)> = files
            .iter()
            .map(|f| (f.file.as_str(), f.hash.as_str()))
            .collect();
        keys.sort_unstable();
        let has_duplicates = keys.windows(2).any(|w| w[0] == w[1]);
        for f in files {
            match parse_prefixed_hash(&f.hash) {
                Ok(h) if has_duplicates => pkg.add_hash(h.with_artifact(f.file.clone())),
                Ok(h) => pkg.hashes.push(h.with_artifact(f.file.clone())),
                Err(e) => warnings.push(format!(
                    "{path}:{line}: hash of `{}` of {name}: {e}",
                    f.file
                )),
            }
        }
        deps.push(
            wp.dependencies
                .iter()
                .map(|d| normalize_name(Ecosystem::PyPI, d))
                .collect(),
        );
        packages.push(pkg);
    }

    let mut by_name: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, p) in packages.iter().enumerate() {
        by_name.entry(p.name.as_str()).or_default().push(i);
    }
    let mut edges = Vec::new();
    for (from, names) in deps.iter().enumerate() {
        for dep in names {
            // A dependency that is not locked (an extra nobody asked for) has no edge.
            if let Some(targets) = by_name.get(dep.as_str()) {
                edges.extend(targets.iter().map(|&to| Edge { from, to }));
            }
        }
    }
    edges.sort_unstable();
    edges.dedup();
    let mut has_dependents = vec![false; packages.len()];
    for e in &edges {
        if e.from != e.to {
            has_dependents[e.to] = true;
        }
    }
    for (p, has) in packages.iter_mut().zip(&has_dependents) {
        p.direct = !has;
    }
    let purls: Vec<String> = packages.iter().map(|p| p.purl.clone()).collect();
    for e in &edges {
        packages[e.from].dependencies.push(purls[e.to].clone());
    }
    Ok(Lockfile {
        format,
        packages,
        edges,
        warnings,
        notes: Vec::new(),
    })
}

/// The origin a `[package.source]` table gives.
fn source_origin(
    src: &PoetrySourceWire,
    name: &str,
    line: u32,
    path: &str,
    warnings: &mut Vec<String>,
) -> Origin {
    let url = src.url.as_deref().map(|u| redact_url(u).into_owned());
    match (src.kind.as_str(), url) {
        ("git", Some(url)) => Origin::Git {
            url: url.strip_prefix("git+").map(str::to_owned).unwrap_or(url),
            commit: src.resolved_reference.clone().filter(|c| !c.is_empty()),
            reference: src.reference.clone().filter(|r| !r.is_empty()),
        },
        ("legacy", Some(url)) => Origin::Registry {
            url: (!is_pypi(&url)).then(|| url.trim_end_matches('/').to_owned()),
        },
        ("directory" | "file", Some(url)) => Origin::Path { path: url },
        ("url", Some(url)) => Origin::Url { url },
        ("legacy" | "pypi", None) => Origin::registry(),
        (kind, url) => {
            warnings.push(format!(
                "{path}:{line}: {name} has a source of unknown type `{kind}`"
            ));
            url.map_or_else(Origin::registry, |url| Origin::Url { url })
        }
    }
}

/// True when a distribution file name is for `version` (`name-<version>-...` or `name-<version>.tar.gz`).
fn file_matches_version(file: &str, version: &str) -> bool {
    file.match_indices(version).any(|(i, _)| {
        let before = file[..i].ends_with('-');
        let after = &file[i + version.len()..];
        before
            && (after.starts_with('-')
                || after.starts_with(".tar")
                || after.starts_with(".zip")
                || after.starts_with(".whl"))
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const V2: &str = r#"# This file is automatically @generated by Poetry 2.1.3 and should not be changed by hand.

[[package]]
name = "Click"
version = "8.1.8"
description = "Composable command line interface toolkit"
optional = false
python-versions = ">=3.7"
groups = ["main", "dev"]
files = [
    {file = "click-8.1.8-py3-none-any.whl", hash = "sha256:63c132bbbed01578a06712a2d1f497bb62d9c1c0d329b7903a866228027263b2"},
]

[package.dependencies]
colorama = {version = "*", markers = "platform_system == \"Windows\""}

[[package]]
name = "colorama"
version = "0.4.6"
description = ""
optional = false
python-versions = "*"
groups = ["dev"]
files = []

[metadata]
lock-version = "2.1"
python-versions = ">=3.9"
content-hash = "x"
"#;

    #[test]
    fn reads_groups_scopes_edges_and_hashes() {
        let lf = parse(V2, "poetry.lock").unwrap();
        assert_eq!(lf.format, "poetry-lock-v2.1");
        let click = &lf.packages[0];
        assert_eq!(
            (click.name.as_str(), click.locations[0].line),
            ("click", Some(4))
        );
        assert!(click.scopes.is_empty());
        assert_eq!(click.groups.iter().collect::<Vec<_>>(), ["dev", "main"]);
        assert_eq!(
            click.hashes[0].artifact.as_deref(),
            Some("click-8.1.8-py3-none-any.whl")
        );
        assert!(click.direct);
        let colorama = &lf.packages[1];
        assert_eq!(colorama.scopes.iter().collect::<Vec<_>>(), [&Scope::Dev]);
        assert!(!colorama.direct);
        assert_eq!(lf.edges, [Edge { from: 0, to: 1 }]);
        assert_eq!(click.dependencies, ["pkg:pypi/colorama@0.4.6"]);
    }

    #[test]
    fn syntax_errors_have_line_and_column() {
        let err = parse("[[package]]\nname = \"a\"\nversion = \n", "poetry.lock").unwrap_err();
        assert_eq!(err.line, Some(3), "{err}");
        assert!(err.column.is_some());
        let err = parse("[[package]]\nversion = \"1\"\n", "poetry.lock").unwrap_err();
        assert!(err.message.contains("name"), "{err}");
    }

    #[test]
    fn legacy_files_are_matched_by_version_when_several_are_locked() {
        let lock = r#"
[[package]]
name = "a"
version = "1.0"
category = "dev"

[[package]]
name = "a"
version = "2.0"
category = "main"

[metadata]
lock-version = "1.1"

[metadata.files]
a = [
    {file = "a-1.0.tar.gz", hash = "md5:0123456789abcdef0123456789abcdef"},
    {file = "a-2.0-py3-none-any.whl", hash = "sha256:63c132bbbed01578a06712a2d1f497bb62d9c1c0d329b7903a866228027263b2"},
]
"#;
        let lf = parse(lock, "poetry.lock").unwrap();
        assert_eq!(lf.packages[0].hashes.len(), 1);
        assert_eq!(
            lf.packages[0].hashes[0].artifact.as_deref(),
            Some("a-1.0.tar.gz")
        );
        assert_eq!(
            lf.packages[0].scopes.iter().collect::<Vec<_>>(),
            [&Scope::Dev]
        );
        assert_eq!(
            lf.packages[1].hashes[0].artifact.as_deref(),
            Some("a-2.0-py3-none-any.whl")
        );
        assert!(lf.packages[1].scopes.is_empty());
    }
}
