//! `uv.lock` (lock `version = 1`, any `revision`).
//!
//! - Every `[[package]]` is reported, located at its `name = "..."` line, except the project
//!   itself: the package whose source is `{ editable = "." }` or `{ virtual = "." }` (as
//!   osv-scalibr does for `virtual`; an editable `.` is the project too). Its dependencies
//!   still make packages direct and scoped.
//! - Sources: `registry` → [`Origin::Registry`] (the index URL, unless PyPI); `git` →
//!   [`Origin::Git`] (the fragment is the locked commit, `?rev=`/`?tag=`/`?branch=` the ref);
//!   `url` → [`Origin::Url`]; `path` and `directory` → [`Origin::Path`]; `editable` and
//!   `virtual` → [`Origin::Workspace`] for `[manifest] members` (or when there is no
//!   manifest), else [`Origin::Path`].
//! - `sdist` and `wheels` hashes, each with the file name from its URL as artifact.
//! - Edges from `dependencies`, `optional-dependencies` and `dev-dependencies`. In a forked
//!   resolution one name can be locked at several versions: an entry's `version` and `source`
//!   pick the right one.
//! - Direct: a dependency (of any kind) of the project or a workspace member, or a
//!   requirement of the `[manifest]`.
//! - Scopes, by reachability from the project and the workspace members: through
//!   `dependencies` → production; else through extras (`optional-dependencies` of a member)
//!   → [`Scope::Optional`]; else only through dependency groups (`dev-dependencies`) →
//!   [`Scope::Dev`]. The names of the extras and groups a package is reachable from
//!   (transitively, as Poetry computes its `groups`) are kept in [`Package::groups`]; uv has
//!   no `main` group, so a production package has none unless an extra or group also
//!   reaches it. (osv-scalibr gives only the direct members of each extra their names.)
//!
//! The format is `uv-lock-v<version>` (`uv-lock` when absent).

use std::collections::{BTreeMap, HashMap, HashSet};

use chainward_types::{
    Ecosystem, Edge, Hash, Location, Lockfile, Origin, Package, ParseError, Scope, normalize_name,
};

use crate::common::{
    file_name_of, is_full_commit, is_pypi, parse_prefixed_hash, redact_url, split_git_url,
};
use crate::toml_tree::{self, Doc, Item, Table};

/// The parts of the file that are read, as uv writes them.
#[derive(Debug, Default)]
struct UvLockWire {
    version: Option<i64>,
    package: Vec<UvPackageWire>,
    manifest: UvManifestWire,
}

#[derive(Debug, Default)]
struct UvManifestWire {
    members: Vec<String>,
    /// A virtual workspace root's own requirements (names).
    requirements: Vec<String>,
    /// A virtual workspace root's dependency groups (names).
    dependency_groups: BTreeMap<String, Vec<String>>,
}

#[derive(Debug)]
struct UvPackageWire {
    name: String,
    /// The line of `name = ...`.
    line: u32,
    version: Option<String>,
    source: Option<UvSourceWire>,
    dependencies: Vec<UvDependencyWire>,
    optional_dependencies: BTreeMap<String, Vec<UvDependencyWire>>,
    dev_dependencies: BTreeMap<String, Vec<UvDependencyWire>>,
    /// The hashes of the sdist and wheels (with the file name), or why one is invalid.
    artifacts: Vec<Result<Hash, String>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
struct UvSourceWire {
    registry: Option<String>,
    git: Option<String>,
    url: Option<String>,
    path: Option<String>,
    directory: Option<String>,
    editable: Option<String>,
    virtual_: Option<String>,
}

impl UvSourceWire {
    fn read(doc: &Doc<'_>, t: &Table<'_>) -> Result<Self, ParseError> {
        let get = |k: &str| doc.str(t, k).map(|v| v.map(str::to_owned));
        Ok(Self {
            registry: get("registry")?,
            git: get("git")?,
            url: get("url")?,
            path: get("path")?,
            directory: get("directory")?,
            editable: get("editable")?,
            virtual_: get("virtual")?,
        })
    }

    /// The path of an `editable` or `virtual` source.
    fn local_project(&self) -> Option<&str> {
        self.editable.as_deref().or(self.virtual_.as_deref())
    }
}

#[derive(Debug)]
struct UvDependencyWire {
    name: String,
    version: Option<String>,
    source: Option<UvSourceWire>,
    extra: Vec<String>,
}

impl UvLockWire {
    fn read(input: &str, doc: &Doc<'_>) -> Result<Self, ParseError> {
        let root = toml_tree::parse(input, "uv.lock")?;
        let mut wire = Self::default();
        if let Some(v) = root.get("version") {
            match v.value {
                toml_tree::Value::Integer(n) => wire.version = Some(n),
                _ => return Err(doc.error_at(v.start, "`version` must be an integer")),
            }
        }
        if let Some(m) = doc.table(&root, "manifest")? {
            let names = |items: &[Item<'_>]| -> Result<Vec<String>, ParseError> {
                items
                    .iter()
                    .map(|i| required_str(doc, doc.as_table(i, "requirement")?, "name", i.start))
                    .collect()
            };
            wire.manifest.members = doc
                .strings(m, "members")?
                .into_iter()
                .map(str::to_owned)
                .collect();
            wire.manifest.requirements = names(doc.array(m, "requirements")?)?;
            if let Some(groups) = doc.table(m, "dependency-groups")? {
                for (g, item) in &groups.entries {
                    wire.manifest
                        .dependency_groups
                        .insert(g.to_string(), names(doc.as_array(item, g)?)?);
                }
            }
        }
        for item in doc.array(&root, "package")? {
            let t = doc.as_table(item, "package")?;
            let name_item = t
                .get("name")
                .ok_or_else(|| doc.error_at(item.start, "[[package]] without `name`"))?;
            let mut artifacts = Vec::new();
            let sdist = doc.table(t, "sdist")?;
            let wheels = doc
                .array(t, "wheels")?
                .iter()
                .map(|w| doc.as_table(w, "wheels"))
                .collect::<Result<Vec<_>, _>>()?;
            for a in sdist.into_iter().chain(wheels) {
                if let Some(hash) = doc.str(a, "hash")? {
                    let file = match doc.str(a, "filename")? {
                        Some(f) => Some(f.to_owned()),
                        None => doc
                            .str(a, "url")?
                            .or(doc.str(a, "path")?)
                            .and_then(file_name_of),
                    };
                    artifacts.push(parse_prefixed_hash(hash).map(|h| match file {
                        Some(f) => h.with_artifact(f),
                        None => h,
                    }));
                }
            }
            wire.package.push(UvPackageWire {
                name: doc.as_str(name_item, "name")?.to_owned(),
                line: doc.line(name_item.start),
                version: doc.str(t, "version")?.map(str::to_owned),
                source: doc
                    .table(t, "source")?
                    .map(|s| UvSourceWire::read(doc, s))
                    .transpose()?,
                dependencies: read_deps(doc, doc.array(t, "dependencies")?)?,
                optional_dependencies: read_dep_groups(
                    doc,
                    doc.table(t, "optional-dependencies")?,
                )?,
                dev_dependencies: read_dep_groups(doc, doc.table(t, "dev-dependencies")?)?,
                artifacts,
            });
        }
        Ok(wire)
    }
}

fn required_str(doc: &Doc<'_>, t: &Table<'_>, key: &str, at: usize) -> Result<String, ParseError> {
    doc.str(t, key)?
        .map(str::to_owned)
        .ok_or_else(|| doc.error_at(at, format!("entry without `{key}`")))
}

fn read_deps(doc: &Doc<'_>, items: &[Item<'_>]) -> Result<Vec<UvDependencyWire>, ParseError> {
    items
        .iter()
        .map(|i| {
            let t = doc.as_table(i, "dependency")?;
            Ok(UvDependencyWire {
                name: required_str(doc, t, "name", i.start)?,
                version: doc.str(t, "version")?.map(str::to_owned),
                source: doc
                    .table(t, "source")?
                    .map(|s| UvSourceWire::read(doc, s))
                    .transpose()?,
                extra: doc
                    .strings(t, "extra")?
                    .into_iter()
                    .map(str::to_owned)
                    .collect(),
            })
        })
        .collect()
}

fn read_dep_groups(
    doc: &Doc<'_>,
    t: Option<&Table<'_>>,
) -> Result<BTreeMap<String, Vec<UvDependencyWire>>, ParseError> {
    let mut out = BTreeMap::new();
    for (k, item) in t.map(|t| t.entries.as_slice()).unwrap_or_default() {
        out.insert(k.to_string(), read_deps(doc, doc.as_array(item, k)?)?);
    }
    Ok(out)
}

/// A node of the reachability walk: a package, or one of its extras.
type Node = (usize, Option<String>);

/// Parses the file's text. `path` is recorded in locations.
pub fn parse(input: &str, path: &str) -> Result<Lockfile, ParseError> {
    let doc = Doc::new(input);
    let wire = UvLockWire::read(input, &doc)?;
    let mut warnings = Vec::new();
    let format = wire
        .version
        .map_or_else(|| "uv-lock".to_owned(), |v| format!("uv-lock-v{v}"));
    let manifest = wire.manifest;
    let members: HashSet<String> = manifest
        .members
        .iter()
        .map(|m| normalize_name(Ecosystem::PyPI, m))
        .collect();
    let wp = &wire.package;

    // 1. Index the packages by name; find the project itself and the workspace members.
    let mut by_name: HashMap<String, Vec<usize>> = HashMap::new();
    for (i, p) in wp.iter().enumerate() {
        by_name
            .entry(normalize_name(Ecosystem::PyPI, &p.name))
            .or_default()
            .push(i);
    }
    let is_root = |p: &UvPackageWire| {
        p.source
            .as_ref()
            .and_then(UvSourceWire::local_project)
            .is_some_and(|d| d == ".")
    };
    let is_member = |p: &UvPackageWire| {
        is_root(p)
            || p.source
                .as_ref()
                .and_then(UvSourceWire::local_project)
                .is_some()
                && (members.is_empty()
                    || members.contains(&normalize_name(Ecosystem::PyPI, &p.name)))
    };
    let roots: Vec<usize> = (0..wp.len()).filter(|&i| is_member(&wp[i])).collect();

    // 2. Resolve every dependency entry to package indexes.
    let mut unresolved = Vec::new();
    let mut resolve = |from: usize, d: &UvDependencyWire| -> Vec<usize> {
        let key = normalize_name(Ecosystem::PyPI, &d.name);
        let found: Vec<usize> = by_name
            .get(&key)
            .map(|c| {
                c.iter()
                    .copied()
                    .filter(|&i| {
                        d.version
                            .as_ref()
                            .is_none_or(|v| wp[i].version.as_ref() == Some(v))
                    })
                    .filter(|&i| {
                        d.source
                            .as_ref()
                            .is_none_or(|s| wp[i].source.as_ref() == Some(s))
                    })
                    .collect()
            })
            .unwrap_or_default();
        if found.is_empty() {
            unresolved.push((from, d.name.clone(), d.version.clone()));
        }
        found
    };
    let resolved: Vec<Resolved> = wp
        .iter()
        .enumerate()
        .map(|(i, p)| Resolved {
            deps: p
                .dependencies
                .iter()
                .map(|d| (resolve(i, d), d.extra.clone()))
                .collect(),
            optional: p
                .optional_dependencies
                .iter()
                .map(|(extra, ds)| {
                    (
                        extra.clone(),
                        ds.iter()
                            .map(|d| (resolve(i, d), d.extra.clone()))
                            .collect(),
                    )
                })
                .collect(),
            dev: p
                .dev_dependencies
                .iter()
                .map(|(group, ds)| {
                    (
                        group.clone(),
                        ds.iter()
                            .map(|d| (resolve(i, d), d.extra.clone()))
                            .collect(),
                    )
                })
                .collect(),
        })
        .collect();
    for (from, name, version) in unresolved {
        let line = wp[from].line;
        let what = version.map_or(name.clone(), |v| format!("{name} {v}"));
        warnings.push(format!(
            "{path}:{line}: dependency {what} of {} is not locked",
            wp[from].name
        ));
    }
    let manifest_prod: Vec<DepRef> = manifest
        .requirements
        .iter()
        .map(|r| (lookup(&by_name, r), Vec::new()))
        .collect();
    let manifest_groups: BTreeMap<&String, Vec<DepRef>> = manifest
        .dependency_groups
        .iter()
        .map(|(g, rs)| {
            (
                g,
                rs.iter()
                    .map(|r| (lookup(&by_name, r), Vec::new()))
                    .collect(),
            )
        })
        .collect();

    // 3. Reachability: production, extras, and each dependency group.
    let mut prod_starts: Vec<&DepRef> = manifest_prod.iter().collect();
    let mut extra_starts: BTreeMap<&str, Vec<&DepRef>> = BTreeMap::new();
    let mut group_starts: BTreeMap<&str, Vec<&DepRef>> = BTreeMap::new();
    for (g, ds) in &manifest_groups {
        group_starts.entry(g.as_str()).or_default().extend(ds);
    }
    for &r in &roots {
        prod_starts.extend(&resolved[r].deps);
        for (e, ds) in &resolved[r].optional {
            extra_starts.entry(e.as_str()).or_default().extend(ds);
        }
        for (g, ds) in &resolved[r].dev {
            group_starts.entry(g.as_str()).or_default().extend(ds);
        }
    }
    let mut prod = walk(&resolved, &prod_starts);
    for &r in &roots {
        prod[r] = true;
    }
    let extras: Vec<(&str, Vec<bool>)> = extra_starts
        .iter()
        .map(|(e, s)| (*e, walk(&resolved, s)))
        .collect();
    let groups: Vec<(&str, Vec<bool>)> = group_starts
        .iter()
        .map(|(g, s)| (*g, walk(&resolved, s)))
        .collect();
    let mut direct = vec![false; wp.len()];
    for start in prod_starts
        .iter()
        .chain(extra_starts.values().flatten())
        .chain(group_starts.values().flatten())
    {
        for &i in &start.0 {
            direct[i] = true;
        }
    }

    // 4. Build the packages (the project itself is left out; indexes are remapped).
    let mut packages = Vec::with_capacity(wp.len());
    let mut index_of = vec![None; wp.len()];
    for (i, p) in wp.iter().enumerate() {
        if is_root(p) {
            continue;
        }
        let line = p.line;
        let origin = match &p.source {
            Some(s) => source_origin(s, is_member(p)),
            None => Origin::registry(),
        };
        let mut pkg = Package::new(
            Ecosystem::PyPI,
            &p.name,
            p.version.clone().unwrap_or_default(),
            origin,
        );
        pkg.locations.push(Location::new(path, Some(line)));
        pkg.direct = direct[i];
        let mut in_extra = false;
        let mut in_group = false;
        for ((name, reach), is_extra) in extras
            .iter()
            .map(|e| (e, true))
            .chain(groups.iter().map(|g| (g, false)))
        {
            if reach[i] {
                pkg.groups.insert((*name).to_owned());
                in_extra |= is_extra;
                in_group |= !is_extra;
            }
        }
        if !prod[i] {
            if in_extra {
                pkg.scopes.insert(Scope::Optional);
            } else if in_group {
                pkg.scopes.insert(Scope::Dev);
            }
        }
        // Duplicates are rare: look for one before paying for `add_hash`'s linear checks.
        let mut keys: Vec<&Hash> = p.artifacts.iter().filter_map(|a| a.as_ref().ok()).collect();
        keys.sort_unstable();
        let has_duplicates = keys.windows(2).any(|w| w[0] == w[1]);
        for artifact in &p.artifacts {
            match artifact {
                Ok(h) if has_duplicates => pkg.add_hash(h.clone()),
                Ok(h) => pkg.hashes.push(h.clone()),
                Err(e) => warnings.push(format!("{path}:{line}: hash of {}: {e}", &p.name)),
            }
        }
        index_of[i] = Some(packages.len());
        packages.push(pkg);
    }

    // 5. Edges between reported packages.
    let mut edges = Vec::new();
    for (i, r) in resolved.iter().enumerate() {
        let Some(from) = index_of[i] else { continue };
        let all = r
            .deps
            .iter()
            .chain(r.optional.values().flatten())
            .chain(r.dev.values().flatten());
        for (targets, _) in all {
            edges.extend(
                targets
                    .iter()
                    .filter_map(|&t| index_of[t])
                    .map(|to| Edge { from, to }),
            );
        }
    }
    edges.sort_unstable();
    edges.dedup();
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

/// A dependency entry resolved to package indexes, with the extras it asks for.
type DepRef = (Vec<usize>, Vec<String>);

/// One package's resolved dependency entries.
struct Resolved {
    deps: Vec<DepRef>,
    optional: BTreeMap<String, Vec<DepRef>>,
    dev: BTreeMap<String, Vec<DepRef>>,
}

fn lookup(by_name: &HashMap<String, Vec<usize>>, name: &str) -> Vec<usize> {
    by_name
        .get(&normalize_name(Ecosystem::PyPI, name))
        .cloned()
        .unwrap_or_default()
}

/// The packages reachable from `starts` through `dependencies` and requested extras.
fn walk(resolved: &[Resolved], starts: &[&DepRef]) -> Vec<bool> {
    let mut reached = vec![false; resolved.len()];
    let mut seen: HashSet<Node> = HashSet::new();
    let mut stack: Vec<Node> = Vec::new();
    let push = |stack: &mut Vec<Node>, d: &DepRef| {
        for &t in &d.0 {
            stack.push((t, None));
            stack.extend(d.1.iter().map(|e| (t, Some(e.clone()))));
        }
    };
    for d in starts {
        push(&mut stack, d);
    }
    while let Some(node) = stack.pop() {
        if !seen.insert(node.clone()) {
            continue;
        }
        let (i, extra) = node;
        reached[i] = true;
        match extra {
            None => {
                for d in &resolved[i].deps {
                    push(&mut stack, d);
                }
            }
            Some(e) => {
                stack.push((i, None));
                for d in resolved[i].optional.get(&e).into_iter().flatten() {
                    push(&mut stack, d);
                }
            }
        }
    }
    reached
}

/// The origin of a `source = { ... }` table.
fn source_origin(s: &UvSourceWire, member: bool) -> Origin {
    if let Some(registry) = &s.registry {
        let url = redact_url(registry).trim_end_matches('/').to_owned();
        return Origin::Registry {
            url: (!is_pypi(&url)).then_some(url),
        };
    }
    if let Some(git) = &s.git {
        let g = split_git_url(git);
        let commit = g
            .fragment
            .filter(|c| is_full_commit(c))
            .map(|c| c.to_ascii_lowercase());
        let reference = g.rev.filter(|r| commit.as_deref() != Some(r.as_str()));
        return Origin::Git {
            url: g.url,
            commit,
            reference,
        };
    }
    if let Some(url) = &s.url {
        return Origin::Url {
            url: redact_url(url).into_owned(),
        };
    }
    if let Some(p) = s.path.as_ref().or(s.directory.as_ref()) {
        return Origin::Path { path: p.clone() };
    }
    match s.local_project() {
        Some(p) if member => Origin::Workspace { path: p.to_owned() },
        Some(p) => Origin::Path { path: p.to_owned() },
        None => Origin::registry(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const LOCK: &str = r#"version = 1
revision = 2
requires-python = ">=3.12"

[manifest]
members = ["app", "lib"]

[[package]]
name = "app"
version = "0.1.0"
source = { editable = "." }
dependencies = [{ name = "lib" }, { name = "idna", version = "3.10", source = { registry = "https://pypi.org/simple" } }]

[package.optional-dependencies]
fast = [{ name = "uvloop" }]

[package.dev-dependencies]
test = [{ name = "pytest" }]

[[package]]
name = "idna"
version = "3.10"
source = { registry = "https://pypi.org/simple" }
sdist = { url = "https://files.pythonhosted.org/p/idna-3.10.tar.gz", hash = "sha256:12f65c9b470abda6dc35cf8e63cc574b1c52b11df2c86030af0ac09b01b13ea9", size = 190490 }

[[package]]
name = "idna"
version = "2.0"
source = { registry = "https://mirror.example/simple/" }

[[package]]
name = "lib"
version = "0.2.0"
source = { editable = "packages/lib" }

[[package]]
name = "pytest"
version = "8.0.0"
source = { git = "https://github.com/pytest-dev/pytest?tag=8.0.0#0123456789abcdef0123456789abcdef01234567" }
dependencies = [{ name = "pluggy", extra = ["x"] }]

[[package]]
name = "pluggy"
version = "1.0"
source = { registry = "https://pypi.org/simple" }

[package.optional-dependencies]
x = [{ name = "extra-dep" }]

[[package]]
name = "extra-dep"
version = "1.0"
source = { url = "https://h.example/extra_dep-1.0.tar.gz" }

[[package]]
name = "uvloop"
version = "0.21.0"
source = { registry = "https://pypi.org/simple" }
"#;

    fn find<'a>(lf: &'a Lockfile, name: &str, version: &str) -> &'a Package {
        lf.packages
            .iter()
            .find(|p| p.name == name && p.version == version)
            .unwrap()
    }

    #[test]
    fn reads_workspace_scopes_and_forks() {
        let lf = parse(LOCK, "uv.lock").unwrap();
        assert_eq!(lf.format, "uv-lock-v1");
        assert!(
            lf.packages.iter().all(|p| p.name != "app"),
            "the project itself is not reported"
        );
        let lib = find(&lf, "lib", "0.2.0");
        assert_eq!(
            lib.origin,
            Origin::Workspace {
                path: "packages/lib".into()
            }
        );
        assert!(lib.direct && lib.scopes.is_empty());
        let idna = find(&lf, "idna", "3.10");
        assert!(idna.direct && idna.scopes.is_empty());
        assert_eq!(idna.hashes[0].artifact.as_deref(), Some("idna-3.10.tar.gz"));
        assert_eq!(idna.locations[0].line, Some(21));
        let old = find(&lf, "idna", "2.0");
        assert!(!old.direct);
        assert_eq!(
            old.origin,
            Origin::Registry {
                url: Some("https://mirror.example/simple".into())
            }
        );
        let pytest = find(&lf, "pytest", "8.0.0");
        assert_eq!(pytest.scopes.iter().collect::<Vec<_>>(), [&Scope::Dev]);
        assert_eq!(pytest.groups.iter().collect::<Vec<_>>(), ["test"]);
        assert_eq!(
            pytest.origin,
            Origin::Git {
                url: "https://github.com/pytest-dev/pytest".into(),
                commit: Some("0123456789abcdef0123456789abcdef01234567".into()),
                reference: Some("8.0.0".into())
            }
        );
        let extra = find(&lf, "extra-dep", "1.0");
        assert_eq!(
            extra.scopes.iter().collect::<Vec<_>>(),
            [&Scope::Dev],
            "reached through pluggy[x]"
        );
        let uvloop = find(&lf, "uvloop", "0.21.0");
        assert_eq!(uvloop.scopes.iter().collect::<Vec<_>>(), [&Scope::Optional]);
        assert!(uvloop.direct);
        assert!(lf.warnings.is_empty(), "{:?}", lf.warnings);
    }

    #[test]
    fn unknown_dependencies_are_warnings() {
        let lock = "version = 1\n[[package]]\nname = \"a\"\nversion = \"1\"\nsource = { registry = \"https://pypi.org/simple\" }\ndependencies = [{ name = \"b\" }]\n";
        let lf = parse(lock, "uv.lock").unwrap();
        assert_eq!(lf.packages.len(), 1);
        assert!(
            lf.warnings[0].contains("dependency b of a"),
            "{:?}",
            lf.warnings
        );
    }

    #[test]
    fn type_errors_name_the_line() {
        let err = parse("version = 1\n[[package]]\nname = 3\n", "uv.lock").unwrap_err();
        assert_eq!(err.line, Some(3), "{err}");
    }
}
