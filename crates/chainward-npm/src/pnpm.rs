//! `pnpm-lock.yaml`: lockfile versions 5.x (also 3 and 4), 6.x and 9.x (also 7).
//!
//! One [`Package`] per entry of `packages:`, in file order, at the line of its key, with the
//! key (the dependency path, peer suffix included) as its location key. Multi-document files
//! (pnpm 10 writes an "env" document with `packageManagerDependencies` before the project's
//! lockfile) are read whole: every document with a `lockfileVersion` contributes its
//! packages, and a dependency path found in two documents is one package with two
//! locations (scopes merged as the inventory does: production wins, else the union).
//!
//! Dependency paths by version:
//! - v5: `/name/1.0.0`, `/@scope/name/1.0.0_peer@2.0.0+other@1.0.0`, `registry.host/name/1.0.0`;
//! - v6: `/name@1.0.0(peer@2.0.0)(patch_hash=...)`;
//! - v9 (and 7): `name@1.0.0(peer@2.0.0)` in `snapshots:`, `name@1.0.0` in `packages:`, and
//!   `name@<non-semver>` (`file:`, `https://...`, `git+...`, `runtime:...`);
//! - all: `file:path` and host paths (`github.com/o/r/<commit>`), with `name`/`version`
//!   fields where the path does not tell them.
//!
//! Scopes: v5/v6 `dev: true` means [`Scope::Dev`] (`dev: false` and no flag mean
//! production); where a document has no `dev` flags at all (v9), dev-ness is derived from
//! the importers: a package reachable from some importer's `devDependencies` (through
//! `dependencies`/`optionalDependencies` of snapshots) and from no importer's
//! `dependencies`/`optionalDependencies` is dev. `packageManagerDependencies` and
//! `configDependencies` count as dev roots (tools, never part of the product).
//! [`Scope::Optional`]: every entry (v5/v6) or snapshot (v9) of the package says
//! `optional: true`. `direct`: an importer depends on it.
//!
//! Origins: `resolution: {integrity}` alone is the registry (a host in a v5/v6 path is
//! recorded as the registry); `{tarball}` is a [`Origin::Url`] unless the path names a
//! registry version or the URL has a registry's `<name>/-/<file>.tgz` layout (then the
//! registry, with that URL); a git host's archive (`codeload.github.com/o/r/tar.gz/<sha>`)
//! and `{type: git, repo, commit}` are [`Origin::Git`]; `{type: directory}` and `file:` are
//! [`Origin::Path`]; a runtime (`node@runtime:26.7.0`, `{type: variations}`) is a URL (the
//! download folder) with one hash per platform archive. Credentials in URLs are removed (with
//! a warning). Workspace members (`link:` importers) are not reported: the lockfile names
//! them only by path. Format: `pnpm-v<lockfileVersion>` (`pnpm-v5.4`, `pnpm-v9.0`).
//!
//! A registry entry whose name or version cannot be told from its key or fields ("invalid
//! dependency path") fails the whole parse: a package we cannot name is one we cannot check,
//! so the result must not look complete. A `file:` entry without a name is a local folder,
//! not a registry package: it is skipped with a warning.

pub(crate) mod sri;
pub(crate) mod yaml;

use std::collections::HashMap;

use chainward_types::{Ecosystem, Edge, Location, Lockfile, Origin, Package, ParseError, Scope};

use crate::yarn::hosted;
use yaml::{Entries, NodeRef};

/// Parses the file's text. `path` is recorded in locations.
pub fn parse(input: &str, path: &str) -> Result<Lockfile, ParseError> {
    if input.len() >= IN_TWO_MIN
        && let Some(lock) = parse_in_two(input, path)
    {
        return Ok(lock);
    }
    parse_whole(input, path)
}

/// Parses the file on this thread.
fn parse_whole(input: &str, path: &str) -> Result<Lockfile, ParseError> {
    let tree = yaml::parse(input)?;
    let mut results = Vec::new();
    let mut format = None;
    for root in tree.documents() {
        if root.is_null() {
            continue;
        }
        if !root.is_map() {
            return Err(ParseError::at_line(
                root.line(),
                format!(
                    "expected a mapping at the top of the document, found {}",
                    root.kind()
                ),
            ));
        }
        let Some(version_node) = root.get("lockfileVersion") else {
            return Err(ParseError::at_line(
                root.line(),
                "no `lockfileVersion`: not a pnpm lockfile",
            ));
        };
        let version = version_node.as_str().ok_or_else(|| {
            ParseError::at_line(version_node.line(), "`lockfileVersion` is not a scalar")
        })?;
        let style = Style::from_version(version).ok_or_else(|| {
            ParseError::at_line(
                version_node.line(),
                format!("unsupported lockfileVersion `{version}` (3 to 9 are supported)"),
            )
        })?;
        format = Some(format!("pnpm-v{version}"));
        results.push(read_document(root, style, path)?);
    }
    Ok(merge(results, format.unwrap_or_else(|| "pnpm".to_owned())))
}

/// Files smaller than this are read on one thread (see [`parse_in_two`]).
const IN_TWO_MIN: usize = 512 * 1024;

/// A large one-document v9 lockfile is read on two threads: `snapshots:` (about two thirds of
/// the text: the peer-resolved dependency graph) is parsed on a second thread while this one
/// parses the rest and reads the packages; then the graph is built from both halves.
///
/// The cut is at the line `snapshots:` in column 0. Such a line is a key of the top-level
/// mapping unless it continues a multi-line quoted scalar or flow collection, and then the
/// first half ends inside that unfinished scalar or collection and fails to parse. `None` when
/// the file is small, has no such line, has document markers (`---`, `...`), or when anything
/// fails or differs from the expected shape: the caller then reads the whole file on one
/// thread, which gives the same result or the error, reported as for any file.
fn parse_in_two(input: &str, path: &str) -> Option<Lockfile> {
    let b = input.as_bytes();
    let at = memchr::memmem::find(b, b"\nsnapshots:")? + 1;
    let after = &b[at + b"snapshots:".len()..];
    if !(after.starts_with(b"\n") || after.starts_with(b"\r\n"))
        || b.starts_with(b"---")
        || b.starts_with(b"...")
        || memchr::memmem::find(b, b"\n---").is_some()
        || memchr::memmem::find(b, b"\n...").is_some()
    {
        return None;
    }
    let line = u32::try_from(memchr::memchr_iter(b'\n', &b[..at]).count() + 1).ok()?;
    let mut tail_tree = None;
    let tail_slot = &mut tail_tree;
    std::thread::scope(|s| {
        // The other thread parses `snapshots:` and reads its graph nodes.
        let tail = s.spawn(move || {
            let tree: &yaml::Tree<'_> = tail_slot.insert(yaml::parse_from(input, at, line).ok()?);
            let root = one_map(tree)?;
            let snapshots = read_snapshots(root.get("snapshots")?).ok()?;
            Some((root, snapshots))
        });
        let head = yaml::parse(&input[..at]).ok();
        // Step 1 here while the other thread parses `snapshots:`.
        let mut warnings = Vec::new();
        let head_root = head.as_ref().and_then(|t| one_map(t));
        let style_and_read = head_root.and_then(|root| {
            let version = root.get("lockfileVersion")?.as_str()?;
            let style = Style::from_version(version).filter(|&s| s == Style::V9)?;
            root.get("importers")?;
            let read = read_packages(Root::whole(root), style, path, &mut warnings).ok()?;
            Some((version, style, read))
        });
        let (tail_root, snapshots) = tail.join().ok()??;
        let (version, style, read) = style_and_read?;
        let head_root = head_root?;
        // The two halves are one mapping: no key may be in both.
        let head_keys = head_root.entries()?;
        if tail_root
            .entries()?
            .iter()
            .any(|e| head_keys.iter().any(|h| h.key == e.key))
        {
            return None;
        }
        let root = Root {
            head: head_root,
            tail: Some(tail_root),
        };
        let result = read_graph(root, read, Some(snapshots), style, path, warnings).ok()?;
        Some(merge(vec![result], format!("pnpm-v{version}")))
    })
}

/// The root of a tree that is one document holding a mapping.
fn one_map<'t, 'a>(tree: &'t yaml::Tree<'a>) -> Option<NodeRef<'t, 'a>> {
    let mut docs = tree.documents();
    let root = docs.next()?;
    (docs.next().is_none() && root.is_map()).then_some(root)
}

/// How dependency paths are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Style {
    /// Lockfile 3 to 5: `/name/version_peers`.
    V5,
    /// Lockfile 6: `/name@version(peers)`.
    V6,
    /// Lockfile 7 and 9: `name@version(peers)`.
    V9,
}

impl Style {
    fn from_version(version: &str) -> Option<Self> {
        let major: u32 = version.split('.').next()?.trim().parse().ok()?;
        match major {
            3..=5 => Some(Self::V5),
            6 => Some(Self::V6),
            7..=9 => Some(Self::V9),
            _ => None,
        }
    }
}

/// What one document gave.
struct DocResult<'t> {
    /// The dependency path of each package.
    keys: Vec<&'t str>,
    packages: Vec<Package>,
    /// Sorted, without duplicates.
    edges: Vec<(usize, usize)>,
    warnings: Vec<String>,
}

/// Joins the documents' results; a dependency path found in several documents is one
/// package with several locations (scopes: production wins, else the union, as the
/// inventory merges them).
fn merge(results: Vec<DocResult<'_>>, format: String) -> Lockfile {
    let mut lock = Lockfile {
        format,
        ..Lockfile::default()
    };
    if results.len() == 1 {
        for r in results {
            lock.packages = r.packages;
            lock.edges = r
                .edges
                .into_iter()
                .map(|(from, to)| Edge { from, to })
                .collect();
            lock.warnings = r.warnings;
        }
    } else {
        let mut by_key: HashMap<&str, usize> = HashMap::new();
        let mut edges = Vec::new();
        for r in results {
            let mut map = Vec::with_capacity(r.packages.len());
            for (key, pkg) in r.keys.into_iter().zip(r.packages) {
                if let Some(&idx) = by_key.get(key) {
                    let existing: &mut Package = &mut lock.packages[idx];
                    // The inventory's rule: production wins, else the union.
                    if existing.scopes.is_empty() || pkg.scopes.is_empty() {
                        existing.scopes.clear();
                    } else {
                        existing.scopes.extend(pkg.scopes);
                    }
                    existing.direct |= pkg.direct;
                    for h in pkg.hashes {
                        existing.add_hash(h);
                    }
                    existing.locations.extend(pkg.locations);
                    map.push(idx);
                } else {
                    by_key.insert(key, lock.packages.len());
                    map.push(lock.packages.len());
                    lock.packages.push(pkg);
                }
            }
            edges.extend(
                r.edges
                    .into_iter()
                    .map(|(from, to)| (map[from], map[to]))
                    .filter(|(f, t)| f != t),
            );
            lock.warnings.extend(r.warnings);
        }
        edges.sort_unstable();
        edges.dedup();
        lock.edges = edges
            .into_iter()
            .map(|(from, to)| Edge { from, to })
            .collect();
    }
    crate::yarn::fill_dependencies(&mut lock);
    lock
}

/// A dependency path taken apart.
#[derive(Debug, Default)]
struct DepPath<'k> {
    name: Option<&'k str>,
    version: Option<&'k str>,
    /// The version in the path looks like `1.2.3...` (a registry package).
    semver: bool,
    /// A registry host the path starts with (v5/v6 `registry.example.com/name/1.0.0`).
    host: Option<&'k str>,
    /// What follows `name@` when it is not a version (v9: `file:...`, `https://...`).
    reference: Option<&'k str>,
}

/// `digits.digits.digit...`: the start of a semver version.
fn looks_like_version(v: &str) -> bool {
    let b = v.as_bytes();
    let mut i = 0;
    for _ in 0..2 {
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == start || b.get(i) != Some(&b'.') {
            return false;
        }
        i += 1;
    }
    b.get(i).is_some_and(u8::is_ascii_digit)
}

/// Index where a dependency path's trailing parenthesised groups (peers, `patch_hash=`)
/// begin; groups nest.
fn suffix_start(s: &str) -> usize {
    let b = s.as_bytes();
    let mut end = b.len();
    while end > 0 && b[end - 1] == b')' {
        let mut depth = 0usize;
        let mut i = end;
        let mut open = None;
        while i > 0 {
            i -= 1;
            match b[i] {
                b')' => depth += 1,
                b'(' => {
                    depth -= 1;
                    if depth == 0 {
                        open = Some(i);
                        break;
                    }
                }
                _ => {}
            }
        }
        match open {
            Some(o) if o > 0 => end = o,
            _ => break,
        }
    }
    end
}

/// Splits `name` (scoped or not) off the front of `s`; the name ends at `/` or `@`.
fn split_name(s: &str) -> Option<(&str, &str)> {
    let b = s.as_bytes();
    let name_end = if b.first() == Some(&b'@') {
        let slash = memchr::memchr(b'/', b)?;
        slash + 1 + memchr::memchr2(b'/', b'@', &b[slash + 1..]).unwrap_or(b.len() - slash - 1)
    } else {
        memchr::memchr2(b'/', b'@', b).unwrap_or(b.len())
    };
    let name = &s[..name_end];
    (!name.is_empty() && !name.ends_with('/')).then(|| (name, &s[name_end..]))
}

/// `/name/1.0.0_peers` or `/name@1.0.0(peers)` after the host (or the leading `/`).
fn parse_name_version(rest: &str) -> (Option<&str>, Option<&str>) {
    let Some((name, after)) = split_name(rest) else {
        return (None, None);
    };
    let version = if let Some(v) = after.strip_prefix('/') {
        // v5: the version ends at the first `_` (peers or a hash) or `/`.
        let v = v.split(['_', '/']).next().unwrap_or(v);
        let v = &v[..suffix_start(v)];
        Some(v)
    } else {
        after.strip_prefix('@').map(|v| &v[..suffix_start(v)])
    };
    (Some(name), version.filter(|v| !v.is_empty()))
}

fn parse_dep_path(key: &str, style: Style) -> DepPath<'_> {
    if key.starts_with("file:") || key.starts_with("link:") {
        return DepPath {
            reference: Some(key),
            ..DepPath::default()
        };
    }
    if let Some(rest) = key.strip_prefix('/') {
        let (name, version) = parse_name_version(rest);
        return DepPath {
            name,
            version,
            semver: version.is_some_and(looks_like_version),
            ..DepPath::default()
        };
    }
    if style == Style::V9 {
        let Some(at) = key
            .as_bytes()
            .get(1..)
            .and_then(|k| memchr::memchr(b'@', k))
            .map(|i| i + 1)
        else {
            return DepPath::default();
        };
        let name = &key[..at];
        if split_name(name).is_none_or(|(n, rest)| n != name || !rest.is_empty()) {
            return DepPath::default();
        }
        let rest = &key[at + 1..];
        let base = &rest[..suffix_start(rest)];
        if looks_like_version(base) && !base.contains(':') {
            return DepPath {
                name: Some(name),
                version: Some(base),
                semver: true,
                ..DepPath::default()
            };
        }
        return DepPath {
            name: Some(name),
            reference: Some(base).filter(|b| !b.is_empty()),
            ..DepPath::default()
        };
    }
    // v5/v6 host path: `registry.example.com/name/1.0.0`, `github.com/o/r/<commit>`.
    let Some((host, rest)) = key.split_once('/') else {
        return DepPath::default();
    };
    let (name, version) = parse_name_version(rest);
    DepPath {
        name,
        version,
        semver: version.is_some_and(looks_like_version),
        host: Some(host),
        reference: None,
    }
}

/// Splits a dependency path into the package name and the rest (`name@1.0.0(peers)` →
/// `("name", "1.0.0(peers)")`, `/name/1.0.0` → `("name", "1.0.0")`); paths that do not start
/// with a name (`file:`, host paths) give `("", path)`. Lookups go through these pairs so
/// that a reference never has to be pasted into a new string.
fn split_key(key: &str, style: Style) -> (&str, &str) {
    match style {
        Style::V9 => match key
            .as_bytes()
            .get(1..)
            .and_then(|k| memchr::memchr(b'@', k))
        {
            Some(i) if !key.starts_with("file:") && !key.starts_with("link:") => {
                (&key[..=i], &key[i + 2..])
            }
            _ => ("", key),
        },
        Style::V5 | Style::V6 => {
            if let Some(rest) = key.strip_prefix('/')
                && let Some((name, after)) = split_name(rest)
                && after.len() > 1
            {
                return (name, &after[1..]);
            }
            ("", key)
        }
    }
}

/// The (name, rest) of the key that a dependency reference (`alias: reference`) points at,
/// following pnpm's `refToRelative`; `None` for `link:` (a workspace member).
fn ref_target<'r>(reference: &'r str, alias: &'r str, style: Style) -> Option<(&'r str, &'r str)> {
    if reference.starts_with("link:") {
        return None;
    }
    Some(match style {
        Style::V5 => {
            if reference.starts_with("file:") || reference.contains('/') {
                split_key(reference, style)
            } else {
                (alias, reference)
            }
        }
        Style::V6 => {
            if reference.starts_with("file:") {
                return Some(("", reference));
            }
            let rb = reference.as_bytes();
            let before_paren = memchr::memchr(b'(', rb).map_or(rb, |i| &rb[..i]);
            if memchr::memchr(b'/', before_paren).is_some() {
                split_key(reference, style)
            } else {
                (alias, reference)
            }
        }
        Style::V9 => {
            if reference.starts_with('@') {
                return Some(split_key(reference, style));
            }
            // pnpm: a reference whose first `@` comes before any `:` and `(` names its
            // package (`string-width@4.2.3`); anything else is a version of `alias`.
            match memchr::memchr3(b'@', b':', b'(', reference.as_bytes()) {
                Some(i) if reference.as_bytes()[i] == b'@' => split_key(reference, style),
                _ => (alias, reference),
            }
        }
    })
}

/// Dependency paths by (name, rest), hashed with a per-process seed so that no input can
/// make lookups slow. The first of equal pairs wins.
#[derive(Default)]
struct KeyIndex<'t> {
    map: HashMap<(&'t str, &'t str), usize, yaml::SeededState>,
}

impl<'t> KeyIndex<'t> {
    fn with_capacity(n: usize) -> Self {
        Self {
            map: HashMap::with_capacity_and_hasher(n, yaml::SeededState::default()),
        }
    }

    fn insert(&mut self, key: (&'t str, &'t str), value: usize) {
        self.map.entry(key).or_insert(value);
    }

    fn get(&self, name: &str, rest: &str) -> Option<usize> {
        self.map.get(&(name, rest)).copied()
    }
}

/// `file:./a/../b` and `file:b` name the same thing.
fn normalize_file_ref(reference: &str) -> Option<String> {
    let path = reference.strip_prefix("file:")?;
    let mut parts: Vec<&str> = Vec::new();
    for seg in path.split('/') {
        match seg {
            "" | "." => {}
            ".." if parts.last().is_some_and(|p| *p != "..") => {
                parts.pop();
            }
            _ => parts.push(seg),
        }
    }
    Some(format!("file:{}", parts.join("/")))
}

fn scalar_of<'t>(
    n: NodeRef<'t, '_>,
    field: &str,
    key: &str,
) -> Result<Option<&'t str>, ParseError> {
    if n.is_null() {
        return Ok(None);
    }
    n.as_str().map(Some).ok_or_else(|| {
        ParseError::at_line(
            n.line(),
            format!("`{field}` of `{key}` is {}, not a scalar", n.kind()),
        )
    })
}

fn scalar_field<'t>(
    node: NodeRef<'t, '_>,
    field: &str,
    key: &str,
) -> Result<Option<&'t str>, ParseError> {
    match node.get(field) {
        None => Ok(None),
        Some(n) => scalar_of(n, field, key),
    }
}

fn map_of<'t, 'a>(
    n: NodeRef<'t, 'a>,
    field: &str,
    key: &str,
) -> Result<Entries<'t, 'a>, ParseError> {
    n.entries().ok_or_else(|| {
        ParseError::at_line(
            n.line(),
            format!("`{field}` of `{key}` is {}, not a mapping", n.kind()),
        )
    })
}

fn map_field<'t, 'a>(
    node: NodeRef<'t, 'a>,
    field: &str,
    key: &str,
) -> Result<Option<Entries<'t, 'a>>, ParseError> {
    node.get(field).map(|n| map_of(n, field, key)).transpose()
}

/// One node of the dependency graph: a `packages:` entry (v5/v6) or a snapshot (v9).
struct GraphNode {
    pkg: Option<usize>,
    /// Its dependencies: a range of the document's dependency list.
    deps: std::ops::Range<usize>,
    optional: bool,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum RootKind {
    Prod,
    Dev,
}

/// What a `packages:` entry told.
enum EntryRead {
    Package {
        package: Box<Package>,
        dev: Option<bool>,
        optional: bool,
    },
    Invalid,
    Skip(String),
}

/// Appends the `dependencies` and `optionalDependencies` of a snapshot or package to `out`
/// as (alias, reference, line); returns their range.
fn read_deps<'t>(
    node: NodeRef<'t, '_>,
    key: &str,
    out: &mut Vec<(&'t str, &'t str, u32)>,
) -> Result<std::ops::Range<usize>, ParseError> {
    let start = out.len();
    let Some(entries) = node.entries() else {
        return Ok(start..start);
    };
    for field in entries.iter() {
        if field.key != "dependencies" && field.key != "optionalDependencies" {
            continue;
        }
        for d in map_of(field.value, field.key, key)?.iter() {
            let reference = d.value.as_str().ok_or_else(|| {
                ParseError::at_line(
                    d.line,
                    format!(
                        "dependency `{}` of `{key}` is {}, not a scalar",
                        d.key,
                        d.value.kind()
                    ),
                )
            })?;
            out.push((d.key, reference, d.line));
        }
    }
    Ok(start..out.len())
}

/// A document's top-level mapping: one, or (see [`parse_in_two`]) the two halves of one cut
/// at a top-level key, read on two threads.
#[derive(Clone, Copy)]
struct Root<'t, 'a> {
    head: NodeRef<'t, 'a>,
    tail: Option<NodeRef<'t, 'a>>,
}

impl<'t, 'a> Root<'t, 'a> {
    fn whole(root: NodeRef<'t, 'a>) -> Self {
        Self {
            head: root,
            tail: None,
        }
    }

    fn get(self, key: &str) -> Option<NodeRef<'t, 'a>> {
        self.head.get(key).or_else(|| self.tail?.get(key))
    }
}

fn read_document<'t>(
    root: NodeRef<'t, '_>,
    style: Style,
    path: &str,
) -> Result<DocResult<'t>, ParseError> {
    let mut warnings = Vec::new();
    let packages = read_packages(Root::whole(root), style, path, &mut warnings)?;
    read_graph(Root::whole(root), packages, None, style, path, warnings)
}

/// What the `packages:` entries gave: one row per package.
struct PackagesRead<'t, 'a> {
    keys: Vec<&'t str>,
    packages: Vec<Package>,
    /// (dev, optional) as the entry says.
    flags: Vec<(Option<bool>, bool)>,
    node_of_pkg: Vec<NodeRef<'t, 'a>>,
}

/// Step 1: the packages.
fn read_packages<'t, 'a>(
    root: Root<'t, 'a>,
    style: Style,
    path: &str,
    warnings: &mut Vec<String>,
) -> Result<PackagesRead<'t, 'a>, ParseError> {
    let packages_entries = root
        .get("packages")
        .map(|n| map_of(n, "packages", "the lockfile"))
        .transpose()?;
    let n_entries = packages_entries.map_or(0, Entries::len);
    let mut keys: Vec<&'t str> = Vec::with_capacity(n_entries);
    let mut packages: Vec<Package> = Vec::with_capacity(n_entries);
    let mut flags: Vec<(Option<bool>, bool)> = Vec::with_capacity(n_entries);
    let mut node_of_pkg: Vec<NodeRef<'t, '_>> = Vec::with_capacity(n_entries);
    let mut invalid: Vec<(&str, u32)> = Vec::new();
    for entry in packages_entries.into_iter().flat_map(Entries::iter) {
        match read_entry(entry.key, entry.line, entry.value, style, path, warnings)? {
            EntryRead::Package {
                package,
                dev,
                optional,
            } => {
                keys.push(entry.key);
                packages.push(*package);
                flags.push((dev, optional));
                node_of_pkg.push(entry.value);
            }
            EntryRead::Invalid => invalid.push((entry.key, entry.line)),
            EntryRead::Skip(w) => warnings.push(w),
        }
    }
    if !invalid.is_empty() {
        let mut msg: Vec<String> = invalid
            .iter()
            .take(10)
            .map(|(k, l)| format!("invalid dependency path: {k} (line {l})"))
            .collect();
        if invalid.len() > 10 {
            msg.push(format!("and {} more", invalid.len() - 10));
        }
        return Err(ParseError::at_line(invalid[0].1, msg.join("; ")));
    }
    Ok(PackagesRead {
        keys,
        packages,
        flags,
        node_of_pkg,
    })
}

/// The v9 `snapshots:`, read before the packages are known: one graph node per snapshot
/// (its package still to be looked up), their dependencies and the index of their keys.
struct SnapshotsRead<'t> {
    /// Per node: the package name and version (peers cut off) to look up, the line and key.
    lookups: Vec<(&'t str, &'t str, u32, &'t str)>,
    nodes: Vec<GraphNode>,
    all_deps: Vec<(&'t str, &'t str, u32)>,
    node_index: KeyIndex<'t>,
}

fn read_snapshots<'t>(snap: NodeRef<'t, '_>) -> Result<SnapshotsRead<'t>, ParseError> {
    let entries = map_of(snap, "snapshots", "the lockfile")?;
    let mut read = SnapshotsRead {
        lookups: Vec::with_capacity(entries.len()),
        nodes: Vec::with_capacity(entries.len()),
        all_deps: Vec::new(),
        node_index: KeyIndex::with_capacity(entries.len()),
    };
    for e in entries.iter() {
        let (name, rest) = split_key(e.key, Style::V9);
        read.lookups
            .push((name, &rest[..suffix_start(rest)], e.line, e.key));
        read.node_index.insert((name, rest), read.nodes.len());
        let deps = read_deps(e.value, e.key, &mut read.all_deps)?;
        let optional = e.value.get("optional").is_some_and(NodeRef::is_true);
        read.nodes.push(GraphNode {
            pkg: None,
            deps,
            optional,
        });
    }
    Ok(read)
}

/// Steps 2 to 5: the dependency graph, the importers, scopes and edges. `snapshots` is the
/// v9 `snapshots:` when already read (see [`parse_in_two`]).
fn read_graph<'t>(
    root: Root<'t, '_>,
    read: PackagesRead<'t, '_>,
    snapshots: Option<SnapshotsRead<'t>>,
    style: Style,
    path: &str,
    mut warnings: Vec<String>,
) -> Result<DocResult<'t>, ParseError> {
    let PackagesRead {
        keys,
        mut packages,
        flags,
        node_of_pkg,
    } = read;
    let mut pkg_index = KeyIndex::with_capacity(keys.len());
    for (i, key) in keys.iter().enumerate() {
        pkg_index.insert(split_key(key, style), i);
    }

    // 2. The graph: snapshots (v9) or the package entries themselves.
    let snapshots = match (snapshots, root.get("snapshots")) {
        (Some(read), _) => Some(read),
        (None, Some(snap)) if style == Style::V9 => Some(read_snapshots(snap)?),
        (None, _) => None,
    };
    let (mut nodes, mut all_deps, mut node_index) = (Vec::new(), Vec::new(), KeyIndex::default());
    match snapshots {
        Some(read) => {
            (nodes, all_deps, node_index) = (read.nodes, read.all_deps, read.node_index);
            for (node, (name, base, line, key)) in nodes.iter_mut().zip(read.lookups) {
                node.pkg = pkg_index.get(name, base);
                if node.pkg.is_none() {
                    warnings.push(format!(
                        "{path}:{line}: snapshot `{key}` has no entry in `packages`"
                    ));
                }
            }
        }
        None => {
            nodes.reserve(packages.len());
            node_index.map.reserve(packages.len());
            for (i, key) in keys.iter().enumerate() {
                node_index.insert(split_key(key, style), nodes.len());
                let deps = read_deps(node_of_pkg[i], key, &mut all_deps)?;
                nodes.push(GraphNode {
                    pkg: Some(i),
                    deps,
                    optional: flags[i].1,
                });
            }
        }
    }
    // `file:./a` and `file:a` are the same dependency: a second chance for `file:` references.
    let mut file_nodes: HashMap<String, usize> = HashMap::new();
    for (n, node) in nodes.iter().enumerate() {
        if let Some(p) = node.pkg {
            let (name, rest) = split_key(keys[p], style);
            if let Some(norm) = normalize_file_ref(rest) {
                file_nodes.entry(format!("{name}\0{norm}")).or_insert(n);
            }
        }
    }
    // `None`: a workspace link; `Some(None)`: no entry.
    let resolve = |reference: &str, alias: &str| -> Option<Option<usize>> {
        let (name, rest) = ref_target(reference, alias, style)?;
        if let Some(n) = node_index.get(name, rest) {
            return Some(Some(n));
        }
        if style == Style::V9 {
            // A package without a snapshot (older v9 writers).
            if let Some(n) = node_index.get(name, &rest[..suffix_start(rest)]) {
                return Some(Some(n));
            }
        }
        Some(
            normalize_file_ref(rest)
                .and_then(|norm| file_nodes.get(&format!("{name}\0{norm}")).copied()),
        )
    };
    // Adjacency in one list: the targets of node `n` are `adj[adj_start[n]..adj_start[n + 1]]`.
    let mut adj: Vec<usize> = Vec::with_capacity(all_deps.len());
    let mut adj_start: Vec<usize> = Vec::with_capacity(nodes.len() + 1);
    for node in &nodes {
        adj_start.push(adj.len());
        for &(alias, reference, line) in &all_deps[node.deps.clone()] {
            match resolve(reference, alias) {
                None => {}
                Some(Some(target)) => adj.push(target),
                Some(None) => warnings.push(format!(
                    "{path}:{line}: dependency `{alias}: {reference}` has no entry in the lockfile"
                )),
            }
        }
    }
    adj_start.push(adj.len());
    let targets = |n: usize| &adj[adj_start[n]..adj_start[n + 1]];

    // 3. Importers: direct dependencies and scope roots.
    let mut roots: Vec<(usize, RootKind)> = Vec::new();
    let mut importer_list: Vec<(&str, NodeRef<'t, '_>)> = Vec::new();
    match root.get("importers") {
        Some(importers) => {
            for e in map_of(importers, "importers", "the lockfile")?.iter() {
                importer_list.push((e.key, e.value));
            }
        }
        None => importer_list.push((".", root.head)),
    }
    for (importer, node) in importer_list {
        for (field, kind) in [
            ("dependencies", RootKind::Prod),
            ("optionalDependencies", RootKind::Prod),
            ("devDependencies", RootKind::Dev),
            ("packageManagerDependencies", RootKind::Dev),
            ("configDependencies", RootKind::Dev),
        ] {
            for d in map_field(node, field, importer)?
                .into_iter()
                .flat_map(Entries::iter)
            {
                let reference = if d.value.is_map() {
                    scalar_field(d.value, "version", d.key)?
                } else {
                    d.value.as_str()
                };
                let Some(reference) = reference else { continue };
                match resolve(reference, d.key) {
                    None => {}
                    Some(Some(target)) => roots.push((target, kind)),
                    Some(None) => warnings.push(format!(
                        "{path}:{}: importer `{importer}` depends on `{}: {reference}`, which has no entry in the lockfile",
                        d.line, d.key
                    )),
                }
            }
        }
    }

    // 4. Scopes and directness.
    let reach = |kind: RootKind| -> Vec<bool> {
        let mut seen = vec![false; nodes.len()];
        let mut stack: Vec<usize> = roots.iter().filter(|r| r.1 == kind).map(|r| r.0).collect();
        while let Some(n) = stack.pop() {
            if std::mem::replace(&mut seen[n], true) {
                continue;
            }
            stack.extend(targets(n).iter().copied().filter(|&m| !seen[m]));
        }
        seen
    };
    let has_dev_flags = flags.iter().any(|f| f.0.is_some());
    let mut dev = vec![false; packages.len()];
    if has_dev_flags {
        for (i, f) in flags.iter().enumerate() {
            dev[i] = f.0 == Some(true);
        }
    } else {
        let prod_reach = reach(RootKind::Prod);
        let dev_reach = reach(RootKind::Dev);
        let mut in_prod = vec![false; packages.len()];
        let mut in_dev = vec![false; packages.len()];
        for (n, node) in nodes.iter().enumerate() {
            if let Some(p) = node.pkg {
                in_prod[p] |= prod_reach[n];
                in_dev[p] |= dev_reach[n];
            }
        }
        for i in 0..packages.len() {
            dev[i] = in_dev[i] && !in_prod[i];
        }
    }
    let mut all_optional = vec![None::<bool>; packages.len()];
    for node in &nodes {
        if let Some(p) = node.pkg {
            let v = all_optional[p].get_or_insert(true);
            *v &= node.optional;
        }
    }
    for &(n, _) in &roots {
        if let Some(p) = nodes[n].pkg {
            packages[p].direct = true;
        }
    }
    for (i, pkg) in packages.iter_mut().enumerate() {
        if dev[i] {
            pkg.scopes.insert(Scope::Dev);
        }
        if all_optional[i] == Some(true) {
            pkg.scopes.insert(Scope::Optional);
        }
    }

    // 5. Package-level edges.
    let mut edges = Vec::with_capacity(adj.len());
    for (n, node) in nodes.iter().enumerate() {
        let Some(from) = node.pkg else { continue };
        edges.extend(
            targets(n)
                .iter()
                .filter_map(|&t| nodes[t].pkg)
                .filter(|&to| to != from)
                .map(|to| (from, to)),
        );
    }
    edges.sort_unstable();
    edges.dedup();
    Ok(DocResult {
        keys,
        packages,
        edges,
        warnings,
    })
}

/// The fields of a `resolution`.
#[derive(Default)]
struct Resolution<'t, 'a> {
    integrity: Option<&'t str>,
    tarball: Option<&'t str>,
    kind: Option<&'t str>,
    repo: Option<&'t str>,
    commit: Option<&'t str>,
    directory: Option<&'t str>,
    url: Option<&'t str>,
    variants: Option<NodeRef<'t, 'a>>,
}

fn read_resolution<'t, 'a>(
    r: NodeRef<'t, 'a>,
    key: &str,
) -> Result<Resolution<'t, 'a>, ParseError> {
    let mut out = Resolution::default();
    for f in map_of(r, "resolution", key)?.iter() {
        let slot = match f.key {
            "integrity" => &mut out.integrity,
            "tarball" => &mut out.tarball,
            "type" => &mut out.kind,
            "repo" => &mut out.repo,
            "commit" => &mut out.commit,
            "directory" => &mut out.directory,
            "url" => &mut out.url,
            "variants" => {
                out.variants = Some(f.value);
                continue;
            }
            _ => continue,
        };
        *slot = scalar_of(f.value, f.key, key)?;
    }
    Ok(out)
}

fn read_entry(
    key: &str,
    line: u32,
    node: NodeRef<'_, '_>,
    style: Style,
    path: &str,
    warnings: &mut Vec<String>,
) -> Result<EntryRead, ParseError> {
    let fields = node.entries().ok_or_else(|| {
        ParseError::at_line(
            line,
            format!("package `{key}` is {}, not a mapping", node.kind()),
        )
    })?;
    let mut field_name = None;
    let mut field_version = None;
    let mut res = Resolution::default();
    let mut dev = None;
    let mut optional = false;
    for f in fields.iter() {
        match f.key {
            "name" => field_name = scalar_of(f.value, f.key, key)?,
            "version" => field_version = scalar_of(f.value, f.key, key)?,
            "resolution" => res = read_resolution(f.value, key)?,
            "dev" => dev = Some(f.value.is_true()),
            "optional" => optional = f.value.is_true(),
            _ => {}
        }
    }
    let dp = parse_dep_path(key, style);
    let name = field_name.or(dp.name);
    let version = field_version.or(dp.version);
    let mut hashes = Vec::with_capacity(1);
    if let Some(integrity) = res.integrity {
        sri::parse_into(integrity, &mut hashes)
            .map_err(|e| ParseError::at_line(line, format!("package `{key}`: integrity: {e}")))?;
    }
    let mut redact = |url: &str| -> String {
        let (clean, removed) = hosted::redact_userinfo(url);
        if removed {
            warnings.push(format!(
                "{path}:{line}: package `{key}` records a URL with credentials; they were removed"
            ));
        }
        clean.into_owned()
    };
    let registry_url = dp.host.map(str::to_owned);
    let missing = |what: &str| {
        ParseError::at_line(
            line,
            format!("package `{key}` has a {what} resolution without its fields"),
        )
    };
    let origin = match res.kind {
        Some("git") => {
            let repo = res.repo.ok_or_else(|| missing("git"))?;
            Origin::Git {
                url: redact(repo),
                commit: res.commit.map(str::to_owned),
                reference: None,
            }
        }
        Some("directory") => Origin::Path {
            path: res
                .directory
                .ok_or_else(|| missing("directory"))?
                .to_owned(),
        },
        Some("binary") => Origin::Url {
            url: redact(res.url.ok_or_else(|| missing("binary"))?),
        },
        Some("variations") => {
            let mut first_url: Option<String> = None;
            for v in res.variants.and_then(NodeRef::items).into_iter().flatten() {
                let Some(vr) = v.get("resolution") else {
                    continue;
                };
                let vres = read_resolution(vr, key)?;
                if let Some(integrity) = vres.integrity {
                    let file = vres
                        .url
                        .and_then(|u| u.rsplit('/').next())
                        .unwrap_or("variant");
                    let mut parsed = Vec::new();
                    sri::parse_into(integrity, &mut parsed).map_err(|e| {
                        ParseError::at_line(vr.line(), format!("package `{key}`: integrity: {e}"))
                    })?;
                    hashes.extend(parsed.into_iter().map(|h| h.with_artifact(file)));
                }
                if first_url.is_none() {
                    first_url = vres
                        .url
                        .map(|u| u[..u.rfind('/').map_or(u.len(), |i| i + 1)].to_owned());
                }
            }
            match first_url {
                Some(url) => Origin::Url { url: redact(&url) },
                None => {
                    warnings.push(format!(
                        "{path}:{line}: package `{key}` has no downloadable variant"
                    ));
                    Origin::Url {
                        url: key.to_owned(),
                    }
                }
            }
        }
        Some(other) => {
            warnings.push(format!(
                "{path}:{line}: package `{key}` has an unknown resolution type `{other}`"
            ));
            if dp.semver {
                Origin::Registry { url: registry_url }
            } else {
                Origin::Url {
                    url: key.to_owned(),
                }
            }
        }
        None => {
            if let Some(tarball) = res.tarball {
                if let Some(p) = tarball.strip_prefix("file:") {
                    Origin::Path { path: p.to_owned() }
                } else if let Some((repo, commit)) = hosted::archive_commit(tarball) {
                    Origin::Git {
                        url: repo,
                        commit: Some(commit),
                        reference: None,
                    }
                } else if (dp.semver && field_version.is_none_or(|v| Some(v) == dp.version))
                    || hosted::is_registry_tarball(
                        tarball,
                        name.unwrap_or(""),
                        version.unwrap_or(""),
                    )
                {
                    Origin::Registry {
                        url: Some(redact(tarball)),
                    }
                } else {
                    Origin::Url {
                        url: redact(tarball),
                    }
                }
            } else if let Some(reference) = dp.reference {
                match origin_from_reference(reference) {
                    Some(o) => o,
                    None => return Ok(EntryRead::Invalid),
                }
            } else {
                Origin::Registry { url: registry_url }
            }
        }
    };
    let Some(name) = name else {
        if matches!(origin, Origin::Path { .. } | Origin::Workspace { .. }) {
            return Ok(EntryRead::Skip(format!(
                "{path}:{line}: local package `{key}` has no name; it is not reported"
            )));
        }
        return Ok(EntryRead::Invalid);
    };
    if origin.is_registry()
        && version.is_none_or(|v| !v.bytes().next().is_some_and(|b| b.is_ascii_digit()))
    {
        return Ok(EntryRead::Invalid);
    }
    let mut package = Package::new(Ecosystem::Npm, name, version.unwrap_or(""), origin);
    if package.hashes.is_empty() && hashes.len() == 1 {
        package.hashes = hashes;
    } else {
        for h in hashes {
            package.add_hash(h);
        }
    }
    package
        .locations
        .push(Location::new(path, Some(line)).with_key(key));
    Ok(EntryRead::Package {
        package: Box::new(package),
        dev,
        optional,
    })
}

/// The origin a non-version reference (v9 `name@<reference>`, v5 `file:` keys) names.
fn origin_from_reference(reference: &str) -> Option<Origin> {
    if let Some(p) = reference.strip_prefix("file:") {
        return Some(Origin::Path { path: p.to_owned() });
    }
    if let Some(p) = reference.strip_prefix("link:") {
        return Some(Origin::Workspace { path: p.to_owned() });
    }
    if let Some((repo, commit)) = hosted::archive_commit(reference) {
        return Some(Origin::Git {
            url: repo,
            commit: Some(commit),
            reference: None,
        });
    }
    if hosted::is_git_url(reference) {
        let (url, fragment) = hosted::split_fragment(reference);
        let commit = fragment.filter(|f| hosted::is_commit(f)).map(str::to_owned);
        return Some(Origin::Git {
            url: hosted::redact_userinfo(url).0.into_owned(),
            commit,
            reference: None,
        });
    }
    if reference.starts_with("https://") || reference.starts_with("http://") {
        return Some(Origin::Url {
            url: hosted::redact_userinfo(reference).0.into_owned(),
        });
    }
    None
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// Reading in two halves gives what reading whole gives, or declines.
    fn same_in_two(input: &str) -> bool {
        let Some(two) = parse_in_two(input, "f") else {
            return false;
        };
        let whole = parse_whole(input, "f").unwrap();
        assert_eq!(format!("{two:?}"), format!("{whole:?}"), "input:\n{input}");
        true
    }

    #[test]
    fn reads_v9_lockfiles_in_two_halves_as_whole() {
        let dirs = [
            concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/pnpm"),
            concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/fixtures/conformance/lockfile-pnpm/testdata"
            ),
        ];
        let mut cut = 0;
        for dir in dirs {
            for entry in fs_err::read_dir(dir).unwrap() {
                let text = fs_err::read_to_string(entry.unwrap().path()).unwrap();
                if same_in_two(&text) {
                    cut += 1;
                }
            }
        }
        // Every one-document v9 fixture with `snapshots:` (not the v5/v6 ones, nor the
        // two-document env lockfile).
        assert!(cut >= 8, "only {cut} fixtures were read in two halves");
    }

    #[test]
    fn declines_to_cut_where_the_halves_would_not_be_the_file() {
        let base = "lockfileVersion: '9.0'\nimporters:\n  .:\n    dependencies:\n      a:\n        specifier: ^1\n        version: 1.0.0\npackages:\n  a@1.0.0:\n    resolution: {integrity: sha512-quJQXlTSUGL2LH9SUXo8VwsY4soanhgo6LNSm84E1LBcE8s3O0wpdiRzyR9z/ZZJMlMWv37qOOb9pdJlMUEKFQ==}\n";
        let snapshots = "snapshots:\n  a@1.0.0: {}\n";
        assert!(same_in_two(&format!("{base}{snapshots}")));
        // A second document, a document end marker, a leading marker.
        for input in [
            format!("{base}{snapshots}---\nlockfileVersion: '9.0'\n"),
            format!("{base}...\n{snapshots}"),
            format!("---\n{base}{snapshots}"),
        ] {
            assert!(parse_in_two(&input, "f").is_none(), "{input}");
        }
        // `snapshots:` continuing a quoted scalar or a flow mapping: the first half does not
        // parse, so the whole file is read (and refused or read, as always).
        for input in [
            format!("{base}x: \"a\n{snapshots}\"\n"),
            format!("{base}x: {{a: 1,\n{snapshots}}}\n"),
        ] {
            assert!(parse_in_two(&input, "f").is_none(), "{input}");
        }
        // A key in both halves is a duplicate key, refused by the whole reading.
        let dup = format!("{base}{snapshots}packages: {{}}\n");
        assert!(parse_in_two(&dup, "f").is_none());
        assert!(
            parse_whole(&dup, "f")
                .unwrap_err()
                .message
                .contains("duplicate key")
        );
        // An older lockfile with a `snapshots` key is not cut (only v9 has them).
        let v6 = format!("lockfileVersion: '6.0'\n{snapshots}");
        assert!(parse_in_two(&v6, "f").is_none());
    }

    proptest::proptest! {
        /// Whatever surrounds the cut, two halves read as the whole or not at all.
        #[test]
        fn two_halves_never_differ_from_the_whole(
            before in "([ ]{0,3}[a-z'\"{}:\\[\\],#|>-]{0,6}\n){0,4}",
            after in "([ ]{0,3}[a-z'\"{}:\\[\\],#|>-]{0,6}\n){0,4}",
        ) {
            let input = format!(
                "lockfileVersion: '9.0'\nimporters:\n  .: {{}}\npackages:\n  a@1.0.0:\n    resolution: {{tarball: https://x.example/a.tgz}}\n{before}snapshots:\n  a@1.0.0: {{}}\n{after}"
            );
            if let Some(two) = parse_in_two(&input, "f") {
                let whole = parse_whole(&input, "f");
                proptest::prop_assert!(whole.is_ok(), "halves read, whole refused: {:?}\n{}", whole, input);
                proptest::prop_assert_eq!(format!("{two:?}"), format!("{:?}", whole.unwrap()));
            }
        }
    }

    #[test]
    fn takes_dependency_paths_apart() {
        let dp = parse_dep_path(
            "/@babel/core/7.0.0_eslint@8.0.0+@types+node@1.0.0",
            Style::V5,
        );
        assert_eq!(
            (dp.name, dp.version, dp.semver),
            (Some("@babel/core"), Some("7.0.0"), true)
        );
        let dp = parse_dep_path("/react-dom@18.2.0(react@18.2.0)(patch_hash=abc)", Style::V6);
        assert_eq!((dp.name, dp.version), (Some("react-dom"), Some("18.2.0")));
        let dp = parse_dep_path("/@a/b@1.0.0(@c/d@2.0.0(e@1.0.0))", Style::V6);
        assert_eq!((dp.name, dp.version), (Some("@a/b"), Some("1.0.0")));
        let dp = parse_dep_path("@a/b@1.0.0(@c/d@2.0.0)", Style::V9);
        assert_eq!(
            (dp.name, dp.version, dp.semver),
            (Some("@a/b"), Some("1.0.0"), true)
        );
        let dp = parse_dep_path("node@runtime:26.7.0", Style::V9);
        assert_eq!(
            (dp.name, dp.reference, dp.semver),
            (Some("node"), Some("runtime:26.7.0"), false)
        );
        let dp = parse_dep_path("registry.example.com/foo/1.0.0", Style::V5);
        assert_eq!(
            (dp.name, dp.version, dp.host),
            (Some("foo"), Some("1.0.0"), Some("registry.example.com"))
        );
        let dp = parse_dep_path(
            "github.com/o/r/6104ae42cd32c3d724036d3964678f197b2c9cdb",
            Style::V5,
        );
        assert!(!dp.semver);
        assert_eq!(parse_dep_path("invalidpath", Style::V5).name, None);
        assert_eq!(parse_dep_path("invalidpath", Style::V9).name, None);
    }

    #[test]
    fn resolves_references_like_pnpm() {
        let t = |r, a, s| ref_target(r, a, s).unwrap();
        assert_eq!(t("1.0.0_a@1.0.0", "x", Style::V5), ("x", "1.0.0_a@1.0.0"));
        assert_eq!(t("/y/1.0.0", "x", Style::V5), ("y", "1.0.0"));
        assert_eq!(
            split_key("/x/1.0.0_a@1.0.0", Style::V5),
            ("x", "1.0.0_a@1.0.0")
        );
        assert_eq!(
            t("1.0.0(@a/b@1.0.0)", "x", Style::V6),
            ("x", "1.0.0(@a/b@1.0.0)")
        );
        assert_eq!(t("/@a/y@1.0.0", "x", Style::V6), ("@a/y", "1.0.0"));
        assert_eq!(
            split_key("/@a/y@1.0.0(b@1.0.0)", Style::V6),
            ("@a/y", "1.0.0(b@1.0.0)")
        );
        assert_eq!(t("1.0.0(a@1.0.0)", "x", Style::V9), ("x", "1.0.0(a@1.0.0)"));
        assert_eq!(t("y@1.0.0", "x", Style::V9), ("y", "1.0.0"));
        assert_eq!(t("@a/y@1.0.0", "x", Style::V9), ("@a/y", "1.0.0"));
        assert_eq!(
            t("https://codeload.github.com/a/b/tar.gz/c", "x", Style::V9),
            ("x", "https://codeload.github.com/a/b/tar.gz/c")
        );
        assert_eq!(
            t("github.com/a/b/c", "x", Style::V5),
            ("", "github.com/a/b/c")
        );
        assert_eq!(t("file:a", "x", Style::V5), ("", "file:a"));
        assert_eq!(ref_target("link:../a", "x", Style::V9), None);
    }

    #[test]
    fn strips_nested_peer_suffixes() {
        let k = "a@1.0.0(b@2.0.0(c@3.0.0))(d@4.0.0)";
        assert_eq!(&k[..suffix_start(k)], "a@1.0.0");
        assert_eq!(suffix_start("(x)"), 3);
        assert_eq!(suffix_start("a)"), 2);
    }
}
