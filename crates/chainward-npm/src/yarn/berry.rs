//! yarn berry (v2 and later) lockfiles: YAML with a `__metadata` mapping.
//!
//! Each other top-level key is an entry: a comma-separated list of descriptors
//! (`"lodash@npm:^4.17.20, lodash@npm:^4.17.21"`) with the `resolution` locator they
//! resolved to (`lodash@npm:4.17.21`), a `version`, `dependencies` (descriptor ranges),
//! `peerDependencies`, `dependenciesMeta`, `checksum`, `languageName` and `linkType`.
//!
//! Mapping to the model, by the resolution's protocol:
//! - `npm:` → [`Origin::Registry`] (berry does not record the registry);
//! - `patch:<encoded locator>#<patch>` → the patched package's own origin (a patched
//!   registry package stays a registry package, so its advisories still match); the entry's
//!   key, kept as the location key, says `@patch:`, which is how a reader sees the patch;
//! - `workspace:<path>` → [`Origin::Workspace`]; `workspace:.` is the project itself and is
//!   not reported (its dependencies still make packages direct);
//! - `<git url>#commit=<sha>` (or the older `#commit:<sha>`) → [`Origin::Git`];
//! - `http(s)://` tarballs → [`Origin::Url`];
//! - `file:`, `portal:`, `link:` and `exec:` → [`Origin::Path`] (`exec:` runs a local
//!   generator script; its path is that script).
//!
//! `checksum` is `<cacheKey>/<sha512 hex>` (or, in older files, the hex alone with the
//! cache key in `__metadata.cacheKey`). It hashes yarn's own cache zip, not the npm
//! tarball, so it is recorded with the artifact `yarn-cache-zip:<cacheKey>`.
//!
//! Edges follow `dependencies` descriptors (plain semver ranges mean `npm:`; relative
//! protocols are bound to their parent with `::locator=`). `direct`: a workspace depends on
//! it. Scopes: berry does not record dev-ness, so no package is dev; a package reachable
//! from the workspaces only through dependencies that `dependenciesMeta` marks `optional`
//! is [`Scope::Optional`].

use std::borrow::Cow;
use std::collections::{BTreeSet, HashMap, HashSet};

use chainward_types::{
    Ecosystem, Edge, Hash, HashAlgorithm, Location, Lockfile, Origin, Package, ParseError, Scope,
};

use super::{hosted, split_descriptor};
use crate::pnpm::yaml::{self, NodeRef};

struct Entry<'d, 'a> {
    key: &'d str,
    line: u32,
    resolution: &'d str,
    node: NodeRef<'d, 'a>,
    /// Index in the packages, `None` for the root workspace.
    pkg: Option<usize>,
    workspace: bool,
}

/// Parses the file's text. `path` is recorded in locations.
pub(super) fn parse(input: &str, path: &str) -> Result<Lockfile, ParseError> {
    let tree = yaml::parse(input)?;
    let mut docs = tree.documents();
    let root = match (docs.next(), docs.next()) {
        (Some(root), None) => root,
        (None, _) => return Err(ParseError::whole_file("empty yarn.lock")),
        (Some(_), Some(second)) => {
            return Err(ParseError::at_line(
                second.line(),
                "a yarn lockfile has one YAML document",
            ));
        }
    };
    let top = match root.entries() {
        Some(top) if root.is_map() => top,
        _ => {
            return Err(ParseError::at_line(
                root.line(),
                format!("expected a mapping, found {}", root.kind()),
            ));
        }
    };
    let meta = root
        .get("__metadata")
        .ok_or_else(|| ParseError::whole_file("no `__metadata`: not a yarn berry lockfile"))?;
    let meta_version = text(meta, "version", "__metadata")?
        .ok_or_else(|| ParseError::at_line(meta.line(), "`__metadata` has no `version`"))?;
    let cache_key = text(meta, "cacheKey", "__metadata")?;

    let mut lock = Lockfile {
        format: format!("yarn-berry-v{meta_version}"),
        ..Lockfile::default()
    };
    let mut entries: Vec<Entry<'_, '_>> = Vec::with_capacity(top.len());
    let mut by_descriptor: HashMap<&str, usize> = HashMap::with_capacity(top.len() * 2);
    // Descriptors bound to a parent (`name@link:x::locator=<parent>`), by their unbound form.
    let mut bound: HashMap<&str, Vec<(String, usize)>> = HashMap::new();
    // Entries by the names their descriptors use.
    let mut by_name: HashMap<&str, Vec<usize>> = HashMap::new();
    for e in top.iter() {
        if e.key == "__metadata" {
            continue;
        }
        let key = e.key;
        let node = e.value;
        if !node.is_map() {
            return Err(ParseError::at_line(
                e.line,
                format!("entry `{key}` is {}, not a mapping", node.kind()),
            ));
        }
        let resolution = text(node, "resolution", key)?.ok_or_else(|| {
            ParseError::at_line(e.line, format!("entry `{key}` has no `resolution`"))
        })?;
        let version = text(node, "version", key)?.ok_or_else(|| {
            ParseError::at_line(e.line, format!("entry `{key}` has no `version`"))
        })?;
        let (name, reference) = split_descriptor(resolution);
        if name.is_empty() || reference.is_empty() {
            return Err(ParseError::at_line(
                e.line,
                format!("entry `{key}` has an invalid resolution `{resolution}`"),
            ));
        }
        let origin = origin_of(reference, 0)
            .map_err(|msg| ParseError::at_line(e.line, format!("entry `{key}`: {msg}")))?;
        let (mut origin, warning) = origin;
        if let Origin::Url { url } = &origin
            && hosted::is_registry_tarball(url, name, version)
        {
            origin = Origin::Registry {
                url: Some(url.clone()),
            };
        }
        if let Some(w) = warning {
            lock.warnings
                .push(format!("{path}:{}: entry `{key}`: {w}", e.line));
        }
        let workspace = matches!(origin, Origin::Workspace { .. });
        let is_root =
            matches!(&origin, Origin::Workspace { path } if path == "." || path.is_empty());
        let idx = entries.len();
        for descriptor in key.split(',').map(str::trim).filter(|d| !d.is_empty()) {
            let names = by_name.entry(split_descriptor(descriptor).0).or_default();
            if names.last() != Some(&idx) {
                names.push(idx);
            }
            if let Some(prev) = by_descriptor.insert(descriptor, idx) {
                return Err(ParseError::at_line(
                    e.line,
                    format!(
                        "descriptor `{descriptor}` also heads the entry at line {}",
                        entries[prev].line
                    ),
                ));
            }
            if let Some((unbound, params)) = descriptor.split_once("::")
                && let Some(locator) = params.split('&').find_map(|p| p.strip_prefix("locator="))
            {
                bound
                    .entry(unbound)
                    .or_default()
                    .push((percent_decode(locator).into_owned(), idx));
            }
        }
        let pkg = if is_root {
            None
        } else {
            let mut p = Package::new(Ecosystem::Npm, name, version, origin);
            if let Some(checksum) = text(node, "checksum", key)? {
                let (ck, hex) = match checksum.split_once('/') {
                    Some((ck, hex)) => (Some(ck), hex),
                    None => (cache_key, checksum),
                };
                let hash = Hash::from_hex(HashAlgorithm::Sha512, hex).map_err(|msg| {
                    ParseError::at_line(e.line, format!("entry `{key}`: checksum: {msg}"))
                })?;
                let artifact = match ck {
                    Some(ck) => format!("yarn-cache-zip:{ck}"),
                    None => "yarn-cache-zip".to_owned(),
                };
                p.add_hash(hash.with_artifact(artifact));
            }
            p.locations
                .push(Location::new(path, Some(e.line)).with_key(key));
            lock.packages.push(p);
            Some(lock.packages.len() - 1)
        };
        entries.push(Entry {
            key,
            line: e.line,
            resolution,
            node,
            pkg,
            workspace,
        });
    }

    // Edges between entries, split into required and optional ones.
    let mut adjacency: Vec<Vec<(usize, bool)>> = vec![Vec::new(); entries.len()];
    for (i, entry) in entries.iter().enumerate() {
        let optional_names = optional_dependencies(entry.node, entry.key)?;
        let Some(deps) = entry.node.get("dependencies") else {
            continue;
        };
        let deps = deps.entries().ok_or_else(|| {
            ParseError::at_line(
                deps.line(),
                format!(
                    "`dependencies` of `{}` is {}, not a mapping",
                    entry.key,
                    deps.kind()
                ),
            )
        })?;
        for d in deps.iter() {
            let range = d.value.as_str().ok_or_else(|| {
                ParseError::at_line(
                    d.line,
                    format!(
                        "dependency `{}` of `{}` is {}, not a scalar",
                        d.key,
                        entry.key,
                        d.value.kind()
                    ),
                )
            })?;
            match find(&by_descriptor, &bound, &by_name, d.key, range, entry.resolution) {
                Some(target) => adjacency[i].push((target, optional_names.contains(d.key))),
                None if range.starts_with("catalog:") => lock.notes.push(format!(
                    "{path}:{}: dependency `{}@{range}` of `{}`: the catalog is not in the lockfile and {} entries are named `{}`, so the edge is not recorded",
                    d.line,
                    d.key,
                    entry.key,
                    by_name.get(d.key).map_or(0, Vec::len),
                    d.key
                )),
                // Every resolved package has its own entry in a berry lockfile; a descriptor
                // without one was rewritten by a `resolutions` override in the manifest, so
                // only the edge is unknown, not a package.
                None => lock.notes.push(format!(
                    "{path}:{}: dependency `{}@{range}` of `{}` has no entry in the lockfile (a `resolutions` override?), so the edge is not recorded",
                    d.line, d.key, entry.key
                )),
            }
        }
    }

    // Reachability from the workspaces: through required edges, and through any edge.
    let reach = |only_required: bool| -> Vec<bool> {
        let mut seen = vec![false; entries.len()];
        let mut stack: Vec<usize> = (0..entries.len())
            .filter(|&i| entries[i].workspace)
            .collect();
        while let Some(n) = stack.pop() {
            if std::mem::replace(&mut seen[n], true) {
                continue;
            }
            for &(t, optional) in &adjacency[n] {
                if !(seen[t] || only_required && optional) {
                    stack.push(t);
                }
            }
        }
        seen
    };
    let required = reach(true);
    let any = reach(false);
    let mut edges = BTreeSet::new();
    for (i, entry) in entries.iter().enumerate() {
        if let Some(p) = entry.pkg
            && any[i]
            && !required[i]
        {
            lock.packages[p].scopes.insert(Scope::Optional);
        }
        for &(t, _) in &adjacency[i] {
            if entry.workspace
                && let Some(tp) = entries[t].pkg
            {
                lock.packages[tp].direct = true;
            }
            if let (Some(from), Some(to)) = (entry.pkg, entries[t].pkg)
                && from != to
            {
                edges.insert((from, to));
            }
        }
    }
    lock.edges = edges
        .into_iter()
        .map(|(from, to)| Edge { from, to })
        .collect();
    super::fill_dependencies(&mut lock);
    Ok(lock)
}

fn text<'t>(node: NodeRef<'t, '_>, field: &str, key: &str) -> Result<Option<&'t str>, ParseError> {
    match node.get(field) {
        None => Ok(None),
        Some(n) if n.is_null() => Ok(None),
        Some(n) => n.as_str().map(Some).ok_or_else(|| {
            ParseError::at_line(
                n.line(),
                format!("`{field}` of `{key}` is {}, not a scalar", n.kind()),
            )
        }),
    }
}

/// Names that `dependenciesMeta` marks `optional: true`.
fn optional_dependencies<'t>(
    node: NodeRef<'t, '_>,
    key: &str,
) -> Result<HashSet<&'t str>, ParseError> {
    let mut out = HashSet::new();
    let Some(meta) = node.get("dependenciesMeta") else {
        return Ok(out);
    };
    let entries = meta.entries().ok_or_else(|| {
        ParseError::at_line(
            meta.line(),
            format!(
                "`dependenciesMeta` of `{key}` is {}, not a mapping",
                meta.kind()
            ),
        )
    })?;
    for e in entries.iter() {
        if e.value.get("optional").is_some_and(NodeRef::is_true) {
            // Keys are `name` or `name@range`.
            let name = split_descriptor(e.key).0;
            out.insert(name);
        }
    }
    Ok(out)
}

/// True when a range names its protocol (`npm:`, `workspace:`, `https:` ...).
fn has_protocol(range: &str) -> bool {
    range.split_once(':').is_some_and(|(p, _)| {
        !p.is_empty()
            && p.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'+' || b == b'-')
    })
}

/// The entry a dependency `name: range` of the entry resolved as `parent` points at.
///
/// The lockfile does not record what `catalog:` ranges and the manifest's `resolutions`
/// turned a descriptor into; when no entry has the descriptor but exactly one entry has the
/// name, the dependency can only be that entry.
fn find(
    by_descriptor: &HashMap<&str, usize>,
    bound: &HashMap<&str, Vec<(String, usize)>>,
    by_name: &HashMap<&str, Vec<usize>>,
    name: &str,
    range: &str,
    parent: &str,
) -> Option<usize> {
    let mut candidates = vec![format!("{name}@{range}")];
    if !has_protocol(range) {
        candidates.push(format!("{name}@npm:{range}"));
    }
    for c in &candidates {
        if let Some(&i) = by_descriptor.get(c.as_str()) {
            return Some(i);
        }
    }
    for c in &candidates {
        if let Some(list) = bound.get(c.as_str()) {
            if let Some((_, i)) = list.iter().find(|(locator, _)| locator == parent) {
                return Some(*i);
            }
            if let [(_, i)] = list.as_slice() {
                return Some(*i);
            }
        }
    }
    match by_name.get(name).map(Vec::as_slice) {
        Some([only]) => Some(*only),
        _ => None,
    }
}

/// The origin of a resolution reference (what follows `name@`), with a warning for
/// protocols we do not know.
fn origin_of(reference: &str, depth: u8) -> Result<(Origin, Option<String>), String> {
    if let Some(rest) = reference.strip_prefix("npm:") {
        if rest.is_empty() {
            return Err(format!("resolution `{reference}` has no version"));
        }
        return Ok((Origin::registry(), None));
    }
    if let Some(path) = reference.strip_prefix("workspace:") {
        return Ok((
            Origin::Workspace {
                path: path.to_owned(),
            },
            None,
        ));
    }
    if let Some(rest) = reference.strip_prefix("patch:") {
        if depth > 4 {
            return Err("patches nested too deeply".to_owned());
        }
        let inner_encoded = rest.split('#').next().unwrap_or(rest);
        let inner = percent_decode(inner_encoded);
        let (inner_name, inner_ref) = split_descriptor(&inner);
        if inner_name.is_empty() || inner_ref.is_empty() {
            return Err(format!("patch of an invalid locator `{inner}`"));
        }
        return origin_of(inner_ref, depth + 1);
    }
    for protocol in ["link:", "portal:", "file:", "exec:"] {
        if let Some(rest) = reference.strip_prefix(protocol) {
            // `file:./lib#./lib::hash=...&locator=...`: the path ends at `#` or `::`.
            let path = rest.split("::").next().unwrap_or(rest);
            let path = path.split('#').next().unwrap_or(path);
            return Ok((
                Origin::Path {
                    path: path.to_owned(),
                },
                None,
            ));
        }
    }
    let (url, fragment) = hosted::split_fragment(reference);
    let commit = fragment.and_then(|f| {
        f.split('&')
            .find_map(|kv| {
                kv.strip_prefix("commit=")
                    .or_else(|| kv.strip_prefix("commit:"))
            })
            .map(str::to_owned)
    });
    let (clean, removed) = hosted::redact_userinfo(url);
    let warning = removed.then(|| "its URL records credentials; they were removed".to_owned());
    let url = if let Some(repo) = clean.strip_prefix("github:") {
        Cow::Owned(format!("https://github.com/{repo}"))
    } else {
        clean
    };
    if commit.is_some() || hosted::is_git_url(&url) {
        return Ok((
            Origin::Git {
                url: url.into_owned(),
                commit,
                reference: None,
            },
            warning,
        ));
    }
    if url.starts_with("https://") || url.starts_with("http://") {
        return Ok((
            Origin::Url {
                url: url.into_owned(),
            },
            warning,
        ));
    }
    Ok((
        Origin::Url {
            url: reference.to_owned(),
        },
        Some(format!(
            "unknown resolution protocol in `{reference}`; recorded as a URL"
        )),
    ))
}

/// Decodes `%XX` escapes; invalid UTF-8 results keep the text as it was.
fn percent_decode(s: &str) -> Cow<'_, str> {
    if !s.contains('%') {
        return Cow::Borrowed(s);
    }
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && let Some(v) = s
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    match String::from_utf8(out) {
        Ok(s) => Cow::Owned(s),
        Err(_) => Cow::Borrowed(s),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn patched_registry_packages_stay_registry_packages() {
        let (o, w) = origin_of(
            "patch:resolve@npm%3A1.22.1#~builtin<compat/resolve>::version=1.22.1&hash=07638b",
            0,
        )
        .unwrap();
        assert_eq!(o, Origin::registry());
        assert!(w.is_none());
    }

    #[test]
    fn reads_git_resolutions() {
        let (o, _) = origin_of(
            "https://github.com/o/r.git#commit=0948d999f2fddf9f90991956493f976273c5da1f",
            0,
        )
        .unwrap();
        assert_eq!(
            o,
            Origin::Git {
                url: "https://github.com/o/r.git".into(),
                commit: Some("0948d999f2fddf9f90991956493f976273c5da1f".into()),
                reference: None
            }
        );
        let (o, _) = origin_of(
            "https://github.com/o/r.git#commit:3ed06e5097ab929f69755676fee419318aaec73a",
            0,
        )
        .unwrap();
        assert!(matches!(
            o,
            Origin::Git {
                commit: Some(_),
                ..
            }
        ));
    }

    #[test]
    fn reads_local_protocols() {
        let (o, _) = origin_of(
            "link:./scripts/repo-utils::locator=babel%40workspace%3A.",
            0,
        )
        .unwrap();
        assert_eq!(
            o,
            Origin::Path {
                path: "./scripts/repo-utils".into()
            }
        );
        let (o, _) = origin_of("workspace:packages/a", 0).unwrap();
        assert_eq!(
            o,
            Origin::Workspace {
                path: "packages/a".into()
            }
        );
        let (o, w) = origin_of("jsr:1.0.0", 0).unwrap();
        assert!(matches!(o, Origin::Url { .. }));
        assert!(w.is_some());
    }

    #[test]
    fn decodes_percent_escapes() {
        assert_eq!(
            percent_decode("%40babel%2Fbenchmark%40workspace%3Abenchmark"),
            "@babel/benchmark@workspace:benchmark"
        );
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz%4"), "%zz%4");
    }
}
