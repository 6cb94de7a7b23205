//! `package-lock.json` and `npm-shrinkwrap.json`, lockfile versions 1, 2 and 3.
//!
//! - v2 and v3 list every installed folder in `packages`, keyed by install path
//!   (`node_modules/a/node_modules/b`); `""` is the project itself (never reported), entries
//!   with `link: true` are symlinks to a folder listed under its own path (a workspace member
//!   or a `file:` directory), which is reported once, with a `workspace` origin when the root
//!   entry's `workspaces` globs match it and a `path` origin otherwise.
//! - v1 (and a v2 file without `packages`) nests `dependencies` objects; the install path of
//!   `b` inside `a` is recorded as `node_modules/a/node_modules/b`.
//! - The same package at several install paths is one [`Package`] with one location per path
//!   (production if any occurrence is; otherwise the union of their scopes; direct if any is;
//!   bundled if all are).
//! - Edges follow node's resolution: a name required by the package at `p` is the nearest
//!   `node_modules/<name>` walking up from `p` (v1: the nearest enclosing `dependencies`).
//! - `direct`: v2/v3 from the dependency lists of the root and of workspace members. v1
//!   records no root manifest, so a top-level entry that no other entry requires is direct
//!   (npm keeps such an entry only because the project asks for it); a top-level entry that
//!   some package also requires may be direct too, but the file cannot tell, so it is not
//!   marked. This under-approximates rather than guessing.
//!
//! Line numbers come for free: keys are borrowed from the input, so a key's byte offset is
//! its address minus the input's.

pub(crate) mod common;

use std::collections::{BTreeSet, HashMap};

use chainward_types::{Ecosystem, Location, Lockfile, Origin, Package, ParseError, Scope};
use serde::Deserialize;

use self::common::{
    Entries, FormatVersion, JStr, LineCounter, NameList, add_integrity, is_git_spec, json_error,
    merge_instances, name_from_path, origin_of, resolve_node, split_name_at, strip_bom,
    workspace_glob_matches,
};

/// Parses a `package-lock.json`. `path` is recorded in locations.
pub fn parse(input: &str, path: &str) -> Result<Lockfile, ParseError> {
    parse_as(input, path, "npm-package-lock")
}

/// Parses an `npm-shrinkwrap.json` (the same format; its format string is
/// `npm-shrinkwrap-vN`). Which of the two npm reads when both exist is the walker's rule.
pub fn parse_shrinkwrap(input: &str, path: &str) -> Result<Lockfile, ParseError> {
    parse_as(input, path, "npm-shrinkwrap")
}

// --- wire types ------------------------------------------------------------------------------

#[derive(Deserialize)]
#[serde(expecting = "a package-lock.json object")]
struct PackageLockWire<'a> {
    #[serde(rename = "lockfileVersion", default)]
    lockfile_version: FormatVersion,
    #[serde(borrow, default)]
    packages: Option<Entries<'a, PackageEntryWire<'a>>>,
    #[serde(borrow, default)]
    dependencies: Option<Entries<'a, DependencyWire<'a>>>,
}

/// One entry of v2/v3 `packages`.
#[derive(Deserialize, Default)]
#[serde(expecting = "a package entry object")]
pub(crate) struct PackageEntryWire<'a> {
    #[serde(borrow, default)]
    name: Option<JStr<'a>>,
    #[serde(borrow, default)]
    version: Option<JStr<'a>>,
    #[serde(borrow, default)]
    resolved: Option<JStr<'a>>,
    #[serde(borrow, default)]
    integrity: Option<JStr<'a>>,
    #[serde(default)]
    link: Option<bool>,
    #[serde(default)]
    dev: Option<bool>,
    #[serde(default)]
    optional: Option<bool>,
    #[serde(rename = "devOptional", default)]
    dev_optional: Option<bool>,
    #[serde(default)]
    peer: Option<bool>,
    #[serde(rename = "inBundle", default)]
    in_bundle: Option<bool>,
    #[serde(borrow, default)]
    dependencies: NameList<'a>,
    #[serde(rename = "devDependencies", borrow, default)]
    dev_dependencies: NameList<'a>,
    #[serde(rename = "optionalDependencies", borrow, default)]
    optional_dependencies: NameList<'a>,
    #[serde(rename = "peerDependencies", borrow, default)]
    peer_dependencies: NameList<'a>,
    /// Root entry only: the workspace globs (an array, or yarn's `{ "packages": [...] }`).
    #[serde(default)]
    workspaces: Option<serde_json::Value>,
}

/// One entry of v1 `dependencies` (recursive).
#[derive(Deserialize, Default)]
#[serde(expecting = "a dependency entry object")]
struct DependencyWire<'a> {
    #[serde(borrow, default)]
    version: Option<JStr<'a>>,
    #[serde(borrow, default)]
    resolved: Option<JStr<'a>>,
    #[serde(borrow, default)]
    integrity: Option<JStr<'a>>,
    #[serde(borrow, default)]
    from: Option<JStr<'a>>,
    #[serde(default)]
    dev: Option<bool>,
    #[serde(default)]
    optional: Option<bool>,
    #[serde(default)]
    peer: Option<bool>,
    #[serde(default)]
    bundled: Option<bool>,
    #[serde(borrow, default)]
    requires: NameList<'a>,
    #[serde(borrow, default)]
    dependencies: Option<Entries<'a, DependencyWire<'a>>>,
}

// --- entry point -----------------------------------------------------------------------------

fn parse_as(input: &str, path: &str, prefix: &str) -> Result<Lockfile, ParseError> {
    let input = strip_bom(input);
    let wire: PackageLockWire<'_> =
        serde_json::from_str(input).map_err(|e| json_error(&e, "invalid lockfile"))?;
    let mut warnings = Vec::new();

    let has_packages = wire.packages.is_some();
    let has_deps = wire.dependencies.is_some();
    let version = match wire.lockfile_version {
        FormatVersion::Known(v @ 1..=3) => v,
        FormatVersion::Known(v) if has_packages || has_deps => {
            warnings.push(format!(
                "unknown lockfileVersion {v}: read as the newest known layout; some fields may be missed"
            ));
            v
        }
        FormatVersion::Missing | FormatVersion::Odd if has_packages || has_deps => {
            let inferred = match (has_packages, has_deps) {
                (true, true) => 2,
                (true, false) => 3,
                _ => 1,
            };
            warnings.push(format!(
                "lockfileVersion missing or not an integer: read as version {inferred}"
            ));
            inferred
        }
        FormatVersion::Known(v) => {
            return Err(ParseError::whole_file(format!(
                "unsupported lockfileVersion {v} and no `packages` or `dependencies` to read"
            )));
        }
        FormatVersion::Missing | FormatVersion::Odd => {
            return Err(ParseError::whole_file(
                "not a package-lock.json: no `lockfileVersion`, `packages` or `dependencies`",
            ));
        }
    };
    let format = format!("{prefix}-v{version}");

    let mut ctx = Ctx {
        lines: LineCounter::new(input),
        path,
    };
    let (instances, edges) = match (wire.packages, wire.dependencies) {
        (Some(packages), _) => read_packages(&mut ctx, &packages.0, &mut warnings),
        (None, Some(deps)) => read_v1(&mut ctx, &deps.0, &mut warnings),
        (None, None) => (Vec::new(), Vec::new()),
    };
    let (packages, edges) = merge_instances(instances, &edges);
    Ok(Lockfile {
        format,
        packages,
        edges,
        warnings,
        notes: Vec::new(),
    })
}

struct Ctx<'c> {
    lines: LineCounter<'c>,
    path: &'c str,
}

impl Ctx<'_> {
    fn location(&mut self, key: &JStr<'_>, install_path: &str) -> Location {
        Location::new(self.path, self.lines.line_of(key)).with_key(install_path)
    }
}

// --- v2 / v3 ---------------------------------------------------------------------------------

fn scopes_of(e: &PackageEntryWire<'_>) -> BTreeSet<Scope> {
    let mut s = BTreeSet::new();
    let dev = e.dev == Some(true);
    let optional = e.optional == Some(true);
    if dev || e.dev_optional == Some(true) {
        s.insert(Scope::Dev);
    }
    if optional || e.dev_optional == Some(true) {
        s.insert(Scope::Optional);
    }
    if e.peer == Some(true) {
        s.insert(Scope::Peer);
    }
    s
}

fn workspace_globs(root: Option<&PackageEntryWire<'_>>) -> Vec<String> {
    let Some(v) = root.and_then(|r| r.workspaces.as_ref()) else {
        return Vec::new();
    };
    let list = match v {
        serde_json::Value::Array(a) => a,
        serde_json::Value::Object(o) => match o.get("packages") {
            Some(serde_json::Value::Array(a)) => a,
            _ => return Vec::new(),
        },
        _ => return Vec::new(),
    };
    list.iter()
        .filter_map(|g| g.as_str().map(str::to_owned))
        .collect()
}

/// True when an install path lies inside some `node_modules` folder (an installed package);
/// otherwise it is a folder of the project (a workspace member or a `file:` directory).
fn is_installed(key: &str) -> bool {
    common::has_node_modules_segment(key)
}

type Graph = (Vec<Package>, Vec<(usize, usize)>);

fn read_packages(
    ctx: &mut Ctx<'_>,
    entries: &[(JStr<'_>, PackageEntryWire<'_>)],
    warnings: &mut Vec<String>,
) -> Graph {
    let by_key: HashMap<&str, usize> = entries
        .iter()
        .enumerate()
        .map(|(i, (k, _))| (k.as_str(), i))
        .collect();
    let root = by_key.get("").map(|&i| &entries[i].1);
    let globs = workspace_globs(root);

    // Links: install path → target folder's entry.
    let link_target = |i: usize| -> Option<usize> {
        let e = &entries[i].1;
        if e.link != Some(true) {
            return Some(i);
        }
        let target = e.resolved.as_ref()?.as_str();
        let target = target.strip_prefix("file:").unwrap_or(target);
        by_key.get(target).copied()
    };
    // Names given to folders by the links that point at them.
    let mut link_names: HashMap<&str, &str> = HashMap::new();
    for (k, e) in entries {
        if e.link == Some(true)
            && let Some(r) = &e.resolved
        {
            let r = r.as_str();
            link_names
                .entry(r.strip_prefix("file:").unwrap_or(r))
                .or_insert_with(|| name_from_path(k.as_str()));
        }
    }

    let mut instances = Vec::with_capacity(entries.len());
    let mut inst_of: Vec<Option<usize>> = vec![None; entries.len()];
    let mut members: Vec<usize> = Vec::new(); // entry indexes of workspace members
    for (i, (key, e)) in entries.iter().enumerate() {
        let k = key.as_str();
        if k.is_empty() || e.link == Some(true) {
            continue;
        }
        let installed = is_installed(k);
        let name = match &e.name {
            Some(n) if !n.as_str().is_empty() => n.as_str(),
            _ if installed => name_from_path(k),
            _ => link_names
                .get(k)
                .copied()
                .unwrap_or_else(|| name_from_path(k)),
        };
        if name.is_empty() {
            warnings.push(format!("packages entry \"{k}\": no package name; skipped"));
            continue;
        }
        let version = e.version.as_ref().map_or("", JStr::as_str);
        let origin = if installed {
            origin_of(e.resolved.as_ref().map(JStr::as_str), name)
        } else if globs.iter().any(|g| workspace_glob_matches(g, k)) {
            members.push(i);
            Origin::Workspace { path: k.to_owned() }
        } else {
            Origin::Path { path: k.to_owned() }
        };
        // A package whose `version` is itself a specifier (hand-edited or very old files).
        let (version, origin) = if installed
            && e.resolved.is_none()
            && (is_git_spec(version) || version.starts_with("file:"))
        {
            ("", origin_of(Some(version), name))
        } else {
            (version, origin)
        };
        let mut p = Package::new(Ecosystem::Npm, name, version, origin);
        p.scopes = scopes_of(e);
        p.bundled = e.in_bundle == Some(true);
        if let Some(integrity) = &e.integrity {
            add_integrity(
                &mut p,
                integrity.as_str(),
                || format!("packages entry \"{k}\""),
                warnings,
            );
        }
        p.locations.push(ctx.location(key, k));
        inst_of[i] = Some(instances.len());
        instances.push(p);
    }

    let mut buf = String::new();
    let lookup = |cand: &str| {
        by_key
            .get(cand)
            .copied()
            .and_then(link_target)
            .and_then(|t| inst_of[t])
    };

    // Direct dependencies: those of the root and of each workspace member.
    let mut sources: Vec<(&str, &PackageEntryWire<'_>)> = Vec::new();
    if let Some(r) = root {
        sources.push(("", r));
    }
    sources.extend(
        members
            .iter()
            .map(|&i| (entries[i].0.as_str(), &entries[i].1)),
    );
    for (from, e) in sources {
        let names = e
            .dependencies
            .iter()
            .chain(e.dev_dependencies.iter())
            .chain(e.optional_dependencies.iter())
            .chain(e.peer_dependencies.iter());
        for name in names {
            if let Some(t) = resolve_node(from, name, &mut buf, lookup) {
                instances[t].direct = true;
            }
        }
    }

    // Edges from each installed package's own dependency lists.
    let mut edges = Vec::new();
    for (i, (key, e)) in entries.iter().enumerate() {
        let Some(from) = inst_of[i] else { continue };
        let names = e
            .dependencies
            .iter()
            .chain(e.optional_dependencies.iter())
            .chain(e.peer_dependencies.iter());
        for name in names {
            if let Some(to) = resolve_node(key.as_str(), name, &mut buf, lookup) {
                edges.push((from, to));
            }
        }
    }
    (instances, edges)
}

// --- v1 --------------------------------------------------------------------------------------

struct Node<'w, 'a> {
    parent: Option<usize>,
    wire: &'w DependencyWire<'a>,
    children: HashMap<&'w str, usize>,
}

fn read_v1(
    ctx: &mut Ctx<'_>,
    top: &[(JStr<'_>, DependencyWire<'_>)],
    warnings: &mut Vec<String>,
) -> Graph {
    // Flatten the tree in file (pre-)order.
    let mut nodes: Vec<Node<'_, '_>> = Vec::new();
    let mut instances = Vec::new();
    let mut root_children: HashMap<&str, usize> = HashMap::new();
    // (parent node, sibling list, next position in it, install path prefix)
    type Frame<'w, 'a> = (
        Option<usize>,
        &'w [(JStr<'a>, DependencyWire<'a>)],
        usize,
        String,
    );
    let mut stack: Vec<Frame<'_, '_>> = vec![(None, top, 0, String::new())];
    while let Some((parent, list, pos, prefix)) = stack.pop() {
        let Some((key, wire)) = list.get(pos) else {
            continue;
        };
        stack.push((parent, list, pos + 1, prefix.clone()));
        let alias = key.as_str();
        let install_path = format!("{prefix}node_modules/{alias}");
        let id = nodes.len();
        match parent {
            Some(p) => {
                nodes[p].children.insert(alias, id);
            }
            None => {
                root_children.insert(alias, id);
            }
        }
        nodes.push(Node {
            parent,
            wire,
            children: HashMap::new(),
        });
        instances.push(v1_instance(ctx, key, wire, &install_path, warnings));
        if let Some(children) = &wire.dependencies {
            stack.push((Some(id), &children.0, 0, format!("{install_path}/")));
        }
    }

    let mut edges = Vec::new();
    let mut required = vec![false; nodes.len()];
    for (id, node) in nodes.iter().enumerate() {
        for name in node.wire.requires.iter() {
            let mut cur = Some(id);
            let found = loop {
                let children = match cur {
                    Some(c) => &nodes[c].children,
                    None => &root_children,
                };
                if let Some(&t) = children.get(name) {
                    break Some(t);
                }
                match cur {
                    Some(c) => cur = nodes[c].parent,
                    None => break None,
                }
            };
            if let Some(t) = found {
                edges.push((id, t));
                required[t] = true;
            }
        }
    }
    for (id, node) in nodes.iter().enumerate() {
        if node.parent.is_none() && !required[id] {
            instances[id].direct = true;
        }
    }
    (instances, edges)
}

fn v1_instance(
    ctx: &mut Ctx<'_>,
    key: &JStr<'_>,
    w: &DependencyWire<'_>,
    install_path: &str,
    warnings: &mut Vec<String>,
) -> Package {
    let alias = key.as_str();
    let spec = w.version.as_ref().map_or("", JStr::as_str);
    let resolved = w.resolved.as_ref().map(JStr::as_str);
    let (name, version, origin) = if let Some(rest) = spec.strip_prefix("npm:") {
        // `npm:real-name@1.2.3`: the package is the real name.
        match split_name_at(rest) {
            Some((real, v)) if !is_git_spec(v) && !v.starts_with("file:") => {
                (real, v, origin_of(resolved, real))
            }
            Some((real, v)) => (real, "", origin_of(Some(v), real)),
            // `npm:name` without a version, or a bare `npm:`: the alias key names it.
            None if !rest.is_empty() => (rest, "", origin_of(resolved, rest)),
            None => (alias, "", origin_of(resolved, alias)),
        }
    } else if is_git_spec(spec)
        || spec.starts_with("file:")
        || spec.starts_with("http://")
        || spec.starts_with("https://")
    {
        (alias, "", origin_of(Some(spec), alias))
    } else {
        (alias, spec, origin_of(resolved, alias))
    };
    let origin = match origin {
        // The requested ref, when the pinned specifier carries only the commit.
        Origin::Git {
            url,
            commit,
            reference: None,
        } => {
            let reference = w
                .from
                .as_ref()
                .and_then(|f| f.as_str().rsplit_once('#'))
                .map(|(_, r)| r)
                .filter(|r| !r.is_empty() && Some(*r) != commit.as_deref())
                .map(str::to_owned);
            Origin::Git {
                url,
                commit,
                reference,
            }
        }
        o => o,
    };
    if name.is_empty() {
        warnings.push(format!(
            "dependencies entry \"{install_path}\": no package name; skipped"
        ));
    }
    let mut p = Package::new(Ecosystem::Npm, name, version, origin);
    if w.dev == Some(true) {
        p.scopes.insert(Scope::Dev);
    }
    if w.optional == Some(true) {
        p.scopes.insert(Scope::Optional);
    }
    if w.peer == Some(true) {
        p.scopes.insert(Scope::Peer);
    }
    p.bundled = w.bundled == Some(true);
    if let Some(integrity) = &w.integrity {
        add_integrity(
            &mut p,
            integrity.as_str(),
            || format!("dependencies entry \"{install_path}\""),
            warnings,
        );
    }
    p.locations.push(ctx.location(key, install_path));
    p
}

// --- npm's hidden lockfile, for node_modules scans ------------------------------------------

/// What `node_modules/.package-lock.json` says about one install path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HiddenEntry {
    pub(crate) version: Option<String>,
    pub(crate) resolved: Option<String>,
    pub(crate) integrity: Option<String>,
    pub(crate) scopes: BTreeSet<Scope>,
    pub(crate) bundled: bool,
}

/// Reads npm's hidden lockfile (`node_modules/.package-lock.json`): install path → entry.
pub(crate) fn read_hidden_lockfile(
    input: &str,
) -> Result<HashMap<String, HiddenEntry>, ParseError> {
    let input = strip_bom(input);
    let wire: PackageLockWire<'_> =
        serde_json::from_str(input).map_err(|e| json_error(&e, "invalid hidden lockfile"))?;
    let mut out = HashMap::new();
    for (k, e) in wire.packages.map(|p| p.0).unwrap_or_default() {
        if k.as_str().is_empty() || e.link == Some(true) {
            continue;
        }
        let entry = HiddenEntry {
            version: e.version.as_ref().map(|v| v.as_str().to_owned()),
            resolved: e.resolved.as_ref().map(|v| v.as_str().to_owned()),
            integrity: e.integrity.as_ref().map(|v| v.as_str().to_owned()),
            scopes: scopes_of(&e),
            bundled: e.in_bundle == Some(true),
        };
        out.insert(k.as_str().to_owned(), entry);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(l: &Lockfile) -> Vec<String> {
        l.packages
            .iter()
            .map(|p| format!("{}@{}", p.name, p.version))
            .collect()
    }

    #[test]
    fn reads_v3_entries_with_lines_keys_and_edges() {
        let input = r#"{
  "name": "x",
  "lockfileVersion": 3,
  "packages": {
    "": { "dependencies": { "a": "^1" } },
    "node_modules/a": {
      "version": "1.0.0",
      "resolved": "https://registry.npmjs.org/a/-/a-1.0.0.tgz",
      "dependencies": { "b": "^2" }
    },
    "node_modules/a/node_modules/b": { "version": "2.0.0", "dev": true },
    "node_modules/b": { "version": "1.0.0" }
  }
}"#;
        let l = parse(input, "package-lock.json").unwrap();
        assert_eq!(l.format, "npm-package-lock-v3");
        assert_eq!(names(&l), ["a@1.0.0", "b@2.0.0", "b@1.0.0"]);
        assert_eq!(l.packages[0].locations[0].line, Some(6));
        assert_eq!(
            l.packages[1].locations[0].key.as_deref(),
            Some("node_modules/a/node_modules/b")
        );
        assert!(l.packages[0].direct && !l.packages[1].direct && !l.packages[2].direct);
        assert_eq!(l.edges, vec![chainward_types::Edge { from: 0, to: 1 }]);
        assert_eq!(
            l.packages[0].dependencies,
            vec!["pkg:npm/b@2.0.0".to_owned()]
        );
        assert!(l.warnings.is_empty());
    }

    #[test]
    fn v1_requires_resolve_to_the_nearest_enclosing_dependencies() {
        let input = r#"{
  "lockfileVersion": 1,
  "dependencies": {
    "a": { "version": "1.0.0", "requires": { "b": "^2" },
      "dependencies": { "b": { "version": "2.0.0" } } },
    "b": { "version": "1.0.0" },
    "c": { "version": "1.0.0", "requires": { "b": "^1" } }
  }
}"#;
        let l = parse(input, "p").unwrap();
        assert_eq!(names(&l), ["a@1.0.0", "b@2.0.0", "b@1.0.0", "c@1.0.0"]);
        let e: Vec<_> = l.edges.iter().map(|e| (e.from, e.to)).collect();
        assert_eq!(e, [(0, 1), (3, 2)]);
        // a and c are required by nobody: direct. b@1 is required by c: not known to be direct.
        assert_eq!(
            l.packages.iter().map(|p| p.direct).collect::<Vec<_>>(),
            [true, false, false, true]
        );
        assert_eq!(
            l.packages[1].locations[0].key.as_deref(),
            Some("node_modules/a/node_modules/b")
        );
        assert_eq!(l.packages[1].locations[0].line, Some(5));
    }

    #[test]
    fn errors_name_the_offending_key_and_line() {
        let input = "{\n \"lockfileVersion\": 3,\n \"packages\": {\n  \"node_modules/a\": { \"version\": 5 }\n }\n}";
        let e = parse(input, "p").unwrap_err();
        assert_eq!(e.line, Some(4));
        assert!(e.message.contains("node_modules/a"), "{e}");
        let e = parse("{\n  \"lockfileVersion\": 3,\n  \"packages\": {\n", "p").unwrap_err();
        assert!(e.line.is_some() && e.column.is_some(), "{e:?}");
    }

    #[test]
    fn rejects_null_arrays_and_files_without_anything_to_read() {
        assert!(parse("null", "p").is_err());
        assert!(parse("[]", "p").is_err());
        assert!(parse("{}", "p").is_err());
        assert!(parse(r#"{"lockfileVersion": 9}"#, "p").is_err());
        assert!(parse("", "p").is_err());
    }

    #[test]
    fn unknown_versions_with_packages_parse_with_a_warning() {
        let l = parse(
            r#"{"lockfileVersion": 4, "packages": {"node_modules/a": {"version": "1.0.0"}}}"#,
            "p",
        )
        .unwrap();
        assert_eq!(l.format, "npm-package-lock-v4");
        assert_eq!(l.packages.len(), 1);
        assert_eq!(l.warnings.len(), 1);
        let l = parse(
            r#"{"packages": {"node_modules/a": {"version": "1.0.0"}}}"#,
            "p",
        )
        .unwrap();
        assert_eq!(l.format, "npm-package-lock-v3");
        assert_eq!(l.warnings.len(), 1);
    }

    #[test]
    fn shrinkwrap_has_its_own_format_name() {
        let l = parse_shrinkwrap(r#"{"lockfileVersion": 2, "packages": {}}"#, "p").unwrap();
        assert_eq!(l.format, "npm-shrinkwrap-v2");
    }

    #[test]
    fn malformed_integrity_is_a_warning_not_an_error() {
        let l = parse(r#"{"lockfileVersion": 3, "packages": {"node_modules/a": {"version": "1.0.0", "integrity": "sha512-!!"}}}"#, "p").unwrap();
        assert_eq!(l.packages.len(), 1);
        assert!(l.warnings[0].contains("node_modules/a"), "{:?}", l.warnings);
    }

    #[test]
    fn escaped_keys_still_parse() {
        let l = parse(
            r#"{"lockfileVersion": 3, "packages": {"node_modules/\u0061": {"version": "1.0.0"}}}"#,
            "p",
        )
        .unwrap();
        assert_eq!(l.packages[0].name, "a");
        assert_eq!(l.packages[0].locations[0].line, None);
    }

    #[test]
    fn malformed_v1_aliases_fall_back_to_what_is_known() {
        let input = r#"{"lockfileVersion": 1, "dependencies": {
  "trapdoor": {"version": "npm:no-at-here"},
  "empty-alias": {"version": "npm:"},
  "scoped": {"version": "npm:@babel/code-frame"},
  "": {"version": "1.0.0"}
}}"#;
        let l = parse(input, "p").unwrap();
        assert_eq!(
            names(&l),
            ["no-at-here@", "empty-alias@", "@babel/code-frame@"]
        );
        assert_eq!(l.warnings.len(), 1, "{:?}", l.warnings);
    }
}
