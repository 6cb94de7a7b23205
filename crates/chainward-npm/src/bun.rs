//! `bun.lock`, bun's text lockfile (`lockfileVersion` 0 and 1). The binary `bun.lockb` is
//! not read.
//!
//! The file is JSONC: JSON plus comments and trailing commas. Both are blanked out in a copy
//! of the same length (newlines kept), so serde_json's lines and columns, and the byte offset
//! of every key, are those of the original text.
//!
//! `packages` maps an install path (`a`, `a/b` for `b` nested under `a`, scoped names count
//! as one segment) to an array whose first element is `name@resolution`:
//!
//! | resolution | array | reported as |
//! | --- | --- | --- |
//! | `1.2.3` (npm) | `[id, registry or "", info, integrity]` | registry origin |
//! | `github:owner/repo#commit` | `[id, info, "owner-repo-commit", integrity?]` | git origin, no version |
//! | `git+URL#commit` | `[id, info, commit]` | git origin, no version |
//! | `https://...tgz` | `[id, info, integrity?]` | url origin, no version |
//! | `./x.tgz`, `file:dir`, `link:dir` | `[id, info, integrity?]` | path origin, no version |
//! | `workspace:path` | `[id]` | workspace origin, version from `workspaces` |
//! | `root:` | `[id, {bin}]` | the project itself: not reported |
//!
//! `workspaces` maps `""` (the project) and member folders to their dependency lists. Those
//! give `direct`, and scopes by reachability: a package reachable from some project's
//! `dependencies` through required edges is production; reachable from production only
//! through optional edges it is optional; reachable only from `devDependencies` it is dev
//! (dev and optional if only through optional edges). Entries whose array cannot be read are
//! skipped with a warning naming the key.

use std::borrow::Cow;
use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::marker::PhantomData;

use chainward_types::{Ecosystem, Location, Lockfile, Origin, Package, ParseError, Scope};
use serde::Deserialize;
use serde::de::{self, IgnoredAny, MapAccess, SeqAccess, Visitor};

use crate::package_lock::common::{
    Entries, FormatVersion, JStr, LineCounter, NameList, add_integrity, git_origin, is_git_spec,
    json_error, looks_like_commit, merge_instances, split_name_at, strip_bom, strip_credentials,
};

/// Parses the file's text. `path` is recorded in locations.
pub fn parse(input: &str, path: &str) -> Result<Lockfile, ParseError> {
    let text = strip_jsonc(strip_bom(input));
    let text: &str = &text;
    let wire: BunLockWire<'_> =
        serde_json::from_str(text).map_err(|e| json_error(&e, "invalid bun.lock"))?;
    let mut warnings = Vec::new();
    let has_content = wire.packages.is_some() || wire.workspaces.is_some();
    let version = match wire.lockfile_version {
        FormatVersion::Known(v @ (0 | 1)) => v,
        FormatVersion::Known(v) if has_content => {
            warnings.push(format!(
                "unknown bun.lock lockfileVersion {v}: read as version 1; some fields may be missed"
            ));
            v
        }
        FormatVersion::Missing | FormatVersion::Odd if has_content => {
            warnings
                .push("lockfileVersion missing or not an integer: read as version 1".to_owned());
            1
        }
        FormatVersion::Known(v) => {
            return Err(ParseError::whole_file(format!(
                "unsupported bun.lock lockfileVersion {v} and no `packages` to read"
            )));
        }
        FormatVersion::Missing | FormatVersion::Odd => {
            return Err(ParseError::whole_file(
                "not a bun.lock: no `lockfileVersion`, `workspaces` or `packages`",
            ));
        }
    };
    let workspaces = wire.workspaces.unwrap_or_default();
    let packages = wire.packages.unwrap_or_default();
    let (instances, edges) = read(
        &mut LineCounter::new(text),
        path,
        &workspaces.0,
        &packages.0,
        &mut warnings,
    );
    let (packages, edges) = merge_instances(instances, &edges);
    Ok(Lockfile {
        format: format!("bun-lock-v{version}"),
        packages,
        edges,
        warnings,
        notes: Vec::new(),
    })
}

// --- JSONC -----------------------------------------------------------------------------------

/// Blanks out comments and trailing commas, keeping every byte offset (and newline) in place.
fn strip_jsonc(input: &str) -> Cow<'_, str> {
    let bytes = input.as_bytes();
    if !bytes.iter().any(|&b| b == b'/' || b == b',') {
        return Cow::Borrowed(input);
    }
    let mut out = bytes.to_vec();
    // Pass 1: comments.
    let mut i = 0;
    while i < out.len() {
        match out[i] {
            b'"' => i = skip_string(&out, i),
            b'/' if out.get(i + 1) == Some(&b'/') => {
                while i < out.len() && out[i] != b'\n' {
                    out[i] = b' ';
                    i += 1;
                }
            }
            b'/' if out.get(i + 1) == Some(&b'*') => {
                out[i] = b' ';
                out[i + 1] = b' ';
                i += 2;
                while i < out.len() && !(out[i] == b'*' && out.get(i + 1) == Some(&b'/')) {
                    if out[i] != b'\n' && out[i] != b'\r' {
                        out[i] = b' ';
                    }
                    i += 1;
                }
                for _ in 0..2 {
                    if i < out.len() {
                        out[i] = b' ';
                        i += 1;
                    }
                }
            }
            _ => i += 1,
        }
    }
    // Pass 2: a comma followed (past whitespace) by `}` or `]`.
    let mut i = 0;
    while i < out.len() {
        match out[i] {
            b'"' => i = skip_string(&out, i),
            b',' => {
                let next = out[i + 1..].iter().find(|b| !b.is_ascii_whitespace());
                if matches!(next, Some(b'}' | b']')) {
                    out[i] = b' ';
                }
                i += 1;
            }
            _ => i += 1,
        }
    }
    // Only ASCII bytes were replaced, and only whole comments (every byte of a multi-byte
    // character in them), so the text is still UTF-8.
    match String::from_utf8(out) {
        Ok(s) => Cow::Owned(s),
        Err(_) => Cow::Borrowed(input),
    }
}

/// The index just past the string that starts (with `"`) at `start`.
fn skip_string(b: &[u8], start: usize) -> usize {
    let mut i = start + 1;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'"' => return i + 1,
            _ => i += 1,
        }
    }
    b.len()
}

// --- wire types ------------------------------------------------------------------------------

#[derive(Deserialize)]
#[serde(expecting = "a bun.lock object")]
struct BunLockWire<'a> {
    #[serde(rename = "lockfileVersion", default)]
    lockfile_version: FormatVersion,
    #[serde(borrow, default)]
    workspaces: Option<Entries<'a, BunDepsWire<'a>>>,
    #[serde(borrow, default)]
    packages: Option<Entries<'a, BunPackageWire<'a>>>,
}

/// A workspace (its version and dependency lists), or a package's info object.
#[derive(Deserialize, Default)]
#[serde(expecting = "an object of dependency lists")]
struct BunDepsWire<'a> {
    #[serde(borrow, default)]
    version: Option<JStr<'a>>,
    #[serde(borrow, default)]
    dependencies: NameList<'a>,
    #[serde(rename = "devDependencies", borrow, default)]
    dev_dependencies: NameList<'a>,
    #[serde(rename = "optionalDependencies", borrow, default)]
    optional_dependencies: NameList<'a>,
    #[serde(rename = "peerDependencies", borrow, default)]
    peer_dependencies: NameList<'a>,
    #[serde(rename = "optionalPeers", borrow, default)]
    optional_peers: NameList<'a>,
    #[serde(default)]
    bundled: Option<bool>,
}

/// A `packages` value: normally an array of strings and one info object; anything else is
/// kept as `None` and reported as a warning.
struct BunPackageWire<'a>(Option<Vec<BunElem<'a>>>);

enum BunElem<'a> {
    Str(JStr<'a>),
    Info(Box<BunDepsWire<'a>>),
    Other,
}

impl<'de: 'a, 'a> Deserialize<'de> for BunPackageWire<'a> {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = BunPackageWire<'a>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a bun package array")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::with_capacity(4);
                while let Some(e) = seq.next_element::<BunElem<'a>>()? {
                    out.push(e);
                }
                Ok(BunPackageWire(Some(out)))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(BunPackageWire(None))
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
                Ok(BunPackageWire(None))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
                Ok(BunPackageWire(None))
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
                Ok(BunPackageWire(None))
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
                Ok(BunPackageWire(None))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
                Ok(BunPackageWire(None))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(BunPackageWire(None))
            }
        }
        d.deserialize_any(V(PhantomData))
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for BunElem<'a> {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = BunElem<'a>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string or an object")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(BunElem::Str(JStr(Cow::Borrowed(v))))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(BunElem::Str(JStr(Cow::Owned(v.to_owned()))))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(BunElem::Str(JStr(Cow::Owned(v))))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                let info = BunDepsWire::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(BunElem::Info(Box::new(info)))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(BunElem::Other)
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
                Ok(BunElem::Other)
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
                Ok(BunElem::Other)
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
                Ok(BunElem::Other)
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
                Ok(BunElem::Other)
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(BunElem::Other)
            }
        }
        d.deserialize_any(V(PhantomData))
    }
}

// --- reading ---------------------------------------------------------------------------------

/// How a resolution is fetched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Npm,
    Git,
    GitHub,
    Tarball,
    Folder,
    Workspace,
    Root,
}

fn kind_of(resolution: &str) -> Kind {
    if resolution.starts_with("root:") {
        Kind::Root
    } else if resolution.starts_with("workspace:") {
        Kind::Workspace
    } else if resolution.starts_with("file:") || resolution.starts_with("link:") {
        Kind::Folder
    } else if resolution.starts_with("github:") {
        Kind::GitHub
    } else if resolution.starts_with("git+")
        || resolution.starts_with("git://")
        || resolution.starts_with("git@")
    {
        Kind::Git
    } else if resolution.starts_with("http://")
        || resolution.starts_with("https://")
        || resolution.starts_with('.')
        || resolution.starts_with('/')
        || resolution.starts_with('~')
        || resolution.ends_with(".tgz")
        || resolution.ends_with(".tar.gz")
        || resolution.ends_with(".tar")
    {
        Kind::Tarball
    } else {
        Kind::Npm
    }
}

/// An edge kind for scope propagation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Need {
    Required,
    Optional,
}

type Graph = (Vec<Package>, Vec<(usize, usize)>);

#[allow(clippy::too_many_lines)]
fn read(
    lines: &mut LineCounter<'_>,
    path: &str,
    workspaces: &[(JStr<'_>, BunDepsWire<'_>)],
    packages: &[(JStr<'_>, BunPackageWire<'_>)],
    warnings: &mut Vec<String>,
) -> Graph {
    let ws_by_path: HashMap<&str, &BunDepsWire<'_>> =
        workspaces.iter().map(|(k, w)| (k.as_str(), w)).collect();
    let mut instances: Vec<Package> = Vec::with_capacity(packages.len());
    let mut infos: Vec<Option<&BunDepsWire<'_>>> = Vec::with_capacity(packages.len());
    let mut keys: Vec<&str> = Vec::with_capacity(packages.len());
    let mut by_key: HashMap<&str, usize> = HashMap::with_capacity(packages.len());
    // Workspace member folder → its key in `packages`.
    let mut member_keys: Vec<(&str, &str)> = Vec::new();

    for (key, value) in packages {
        let k = key.as_str();
        let line = lines.line_of(key);
        let place = || match line {
            Some(l) => format!("packages entry \"{k}\" (line {l})"),
            None => format!("packages entry \"{k}\""),
        };
        let Some(elems) = &value.0 else {
            warnings.push(format!("{}: not an array; skipped", place()));
            continue;
        };
        let Some(BunElem::Str(ident)) = elems.first() else {
            warnings.push(format!(
                "{}: the first element is not a \"name@version\" string; skipped",
                place()
            ));
            continue;
        };
        let Some((name, resolution)) = split_name_at(ident.as_str()) else {
            warnings.push(format!(
                "{}: \"{}\" is not of the form name@version; skipped",
                place(),
                ident.as_str()
            ));
            continue;
        };
        let kind = kind_of(resolution);
        if kind == Kind::Root {
            continue;
        }
        let rest = &elems[1..];
        let info_at = rest.iter().position(|e| matches!(e, BunElem::Info(_)));
        let info = info_at.and_then(|i| match &rest[i] {
            BunElem::Info(info) => Some(&**info),
            _ => None,
        });
        let str_at = |i: usize| match rest.get(i) {
            Some(BunElem::Str(s)) => Some(s.as_str()),
            _ => None,
        };
        let before_info = match info_at {
            Some(i) => i.checked_sub(1),
            None => (!rest.is_empty()).then_some(0),
        };
        let after_info = info_at.map_or(usize::MAX, |i| i + 1);

        let (version, origin, integrity): (&str, Origin, Option<&str>) = match kind {
            Kind::Npm => {
                let registry = before_info.and_then(str_at).filter(|r| !r.is_empty());
                let origin = Origin::Registry {
                    url: registry.map(|r| strip_credentials(r).into_owned()),
                };
                (resolution, origin, str_at(after_info))
            }
            Kind::Git | Kind::GitHub => {
                let mut origin = git_origin(resolution);
                // After the info object comes bun's resolved tag: the full commit for git,
                // `owner-repo-<short commit>` for GitHub tarballs. Prefer the longer commit.
                let tag = str_at(after_info).map(|t| t.rsplit('-').next().unwrap_or(t));
                if let (Origin::Git { commit, .. }, Some(tag)) = (&mut origin, tag) {
                    let longer = match commit.as_deref() {
                        None => true,
                        Some(c) => tag.len() > c.len() && tag.starts_with(c),
                    };
                    if looks_like_commit(tag) && longer {
                        *commit = Some(tag.to_ascii_lowercase());
                    }
                }
                ("", origin, str_at(after_info.saturating_add(1)))
            }
            Kind::Tarball => {
                let remote =
                    resolution.starts_with("http://") || resolution.starts_with("https://");
                let origin = if remote && is_git_spec(resolution) {
                    // A GitHub `codeload` tarball of a commit, or a `.git#ref` URL.
                    git_origin(resolution)
                } else if remote {
                    Origin::Url {
                        url: strip_credentials(resolution).into_owned(),
                    }
                } else {
                    Origin::Path {
                        path: resolution.to_owned(),
                    }
                };
                ("", origin, str_at(after_info))
            }
            Kind::Folder => {
                let p = resolution.split_once(':').map_or(resolution, |(_, p)| p);
                ("", Origin::Path { path: p.to_owned() }, None)
            }
            Kind::Workspace => {
                let p = resolution.trim_start_matches("workspace:");
                member_keys.push((p, k));
                let version = ws_by_path
                    .get(p)
                    .and_then(|w| w.version.as_ref())
                    .map_or("", JStr::as_str);
                (version, Origin::Workspace { path: p.to_owned() }, None)
            }
            Kind::Root => continue,
        };
        let mut p = Package::new(Ecosystem::Npm, name, version, origin);
        if let Some(i) = integrity.filter(|i| i.contains('-')) {
            add_integrity(&mut p, i, place, warnings);
        }
        p.bundled = info.and_then(|i| i.bundled) == Some(true);
        p.locations.push(Location::new(path, line).with_key(k));
        by_key.insert(k, instances.len());
        keys.push(k);
        infos.push(info);
        instances.push(p);
    }

    // Resolution: from the package at key `a/b`, `x` is `a/b/x`, then `a/x`, then `x`, where
    // a scoped name is one segment.
    let segments: Vec<Vec<&str>> = keys.iter().map(|k| package_segments(k)).collect();
    let mut buf = String::new();
    let mut resolve = |from: &[&str], name: &str| -> Option<usize> {
        for depth in (0..=from.len()).rev() {
            buf.clear();
            for seg in &from[..depth] {
                buf.push_str(seg);
                buf.push('/');
            }
            buf.push_str(name);
            if let Some(&i) = by_key.get(buf.as_str()) {
                return Some(i);
            }
        }
        None
    };

    let mut edges: Vec<(usize, usize, Need)> = Vec::new();
    for (i, info) in infos.iter().enumerate() {
        let Some(info) = info else { continue };
        for (name, need) in dep_names(info) {
            if let Some(t) = resolve(&segments[i], name) {
                edges.push((i, t, need));
            }
        }
    }
    // Workspace members' dependencies are listed under `workspaces`, not in their entry.
    let member_of: HashMap<&str, &str> = member_keys.iter().copied().collect();
    let mut prod_seeds: Vec<(usize, Need)> = Vec::new();
    let mut dev_seeds: Vec<(usize, Need)> = Vec::new();
    for (ws_path, ws) in workspaces {
        let from_key = if ws_path.as_str().is_empty() {
            Some("")
        } else {
            member_of.get(ws_path.as_str()).copied()
        };
        let Some(from_key) = from_key else { continue };
        let from_segs = package_segments(from_key);
        let member = by_key.get(from_key).copied();
        for (name, need) in dep_names(ws) {
            if let Some(t) = resolve(&from_segs, name) {
                instances[t].direct = true;
                prod_seeds.push((t, need));
                if let Some(m) = member {
                    edges.push((m, t, need));
                }
            }
        }
        for name in ws.dev_dependencies.iter() {
            if let Some(t) = resolve(&from_segs, name) {
                instances[t].direct = true;
                dev_seeds.push((t, Need::Required));
                if let Some(m) = member {
                    edges.push((m, t, Need::Required));
                }
            }
        }
    }

    // Scopes by reachability.
    let n = instances.len();
    let mut out_edges: Vec<Vec<(usize, Need)>> = vec![Vec::new(); n];
    for &(f, t, need) in &edges {
        out_edges[f].push((t, need));
    }
    let prod_req = reach(&out_edges, &prod_seeds, true);
    let prod_any = reach(&out_edges, &prod_seeds, false);
    let dev_req = reach(&out_edges, &dev_seeds, true);
    let dev_any = reach(&out_edges, &dev_seeds, false);
    for (i, p) in instances.iter_mut().enumerate() {
        if matches!(p.origin, Origin::Workspace { .. }) {
            continue;
        }
        p.scopes = match (prod_req[i], prod_any[i], dev_req[i], dev_any[i]) {
            (true, ..) => BTreeSet::new(),
            (false, true, true, _) | (false, false, false, true) => {
                [Scope::Dev, Scope::Optional].into()
            }
            (false, true, false, _) => [Scope::Optional].into(),
            (false, false, true, _) => [Scope::Dev].into(),
            // Not reachable from any workspace (a stale entry): nothing to say.
            (false, false, false, false) => BTreeSet::new(),
        };
    }
    let edges = edges.into_iter().map(|(f, t, _)| (f, t)).collect();
    (instances, edges)
}

/// Dependency names of an info object with how they are needed.
fn dep_names<'w>(d: &'w BunDepsWire<'_>) -> impl Iterator<Item = (&'w str, Need)> {
    let optional_peer = |n: &str| d.optional_peers.iter().any(|o| o == n);
    d.dependencies
        .iter()
        .map(|n| (n, Need::Required))
        .chain(d.optional_dependencies.iter().map(|n| (n, Need::Optional)))
        .chain(d.peer_dependencies.iter().map(move |n| {
            (
                n,
                if optional_peer(n) {
                    Need::Optional
                } else {
                    Need::Required
                },
            )
        }))
}

/// Marks what `seeds` reach; with `required_only`, optional seeds and edges are not followed.
fn reach(
    out_edges: &[Vec<(usize, Need)>],
    seeds: &[(usize, Need)],
    required_only: bool,
) -> Vec<bool> {
    let mut seen = vec![false; out_edges.len()];
    let mut stack: Vec<usize> = seeds
        .iter()
        .filter(|(_, need)| !required_only || *need == Need::Required)
        .map(|&(i, _)| i)
        .collect();
    while let Some(i) = stack.pop() {
        if std::mem::replace(&mut seen[i], true) {
            continue;
        }
        for &(t, need) in &out_edges[i] {
            if !seen[t] && (!required_only || need == Need::Required) {
                stack.push(t);
            }
        }
    }
    seen
}

/// `@s/a/b/@t/c` → `["@s/a", "b", "@t/c"]`.
fn package_segments(key: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = key;
    while !rest.is_empty() {
        let end = if rest.starts_with('@') {
            match rest.find('/') {
                Some(i) => rest[i + 1..].find('/').map_or(rest.len(), |j| i + 1 + j),
                None => rest.len(),
            }
        } else {
            rest.find('/').unwrap_or(rest.len())
        };
        out.push(&rest[..end]);
        rest = rest.get(end + 1..).unwrap_or("");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blanks_comments_and_trailing_commas_in_place() {
        let input = "{\n  // c\n  \"a\": [1, 2,], /* x\n y */ \"b\": \"//,}\",\n}";
        let out = strip_jsonc(input);
        assert_eq!(out.len(), input.len());
        assert_eq!(out.matches('\n').count(), input.matches('\n').count());
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["b"], "//,}");
        assert_eq!(v["a"], serde_json::json!([1, 2]));
    }

    #[test]
    fn splits_keys_into_package_segments() {
        assert_eq!(package_segments("@s/a/b/@t/c"), ["@s/a", "b", "@t/c"]);
        assert_eq!(package_segments("a"), ["a"]);
        assert_eq!(package_segments(""), Vec::<&str>::new());
        assert_eq!(package_segments("@s"), ["@s"]);
    }

    #[test]
    fn reads_npm_git_github_tarball_folder_and_workspace_entries() {
        let input = r#"{
  "lockfileVersion": 1,
  "workspaces": {
    "": { "name": "root", "dependencies": { "a": "^1", "gh": "github:o/r", "w": "workspace:*" }, "devDependencies": { "d": "^1" } },
    "packages/w": { "name": "w", "version": "0.1.0", "dependencies": { "a": "^2" } },
  },
  "packages": {
    "a": ["a@1.0.0", "", { "dependencies": { "c": "^1" }, "optionalDependencies": { "o": "^1" } }, "sha512-l4Sp/DRseor9wL6EvV2+TuQn63dMkPjZ/sp9XkghTEbV9KlPS1xUsZ3u7/IQO4wxtcFB4bgpQPRcR3QCvezPcQ=="],
    "c": ["c@1.0.0", "https://npm.example.com/", {}, ""],
    "d": ["d@1.0.0", "", { "dependencies": { "c": "^1", "e": "^1" } }, ""],
    "e": ["e@1.0.0", "", {}, ""],
    "o": ["o@1.0.0", "", {}, ""],
    "gh": ["gh@github:o/r#abc1234", {}, "o-r-abc1234"],
    "g": ["g@git+https://example.com/g.git#0123456789abcdef0123456789abcdef01234567", {}, "0123456789abcdef0123456789abcdef01234567"],
    "t": ["t@https://example.com/t.tgz", {}],
    "f": ["f@file:vendor/f", {}],
    "w": ["w@workspace:packages/w"],
    "w/a": ["a@2.0.0", "", {}, ""],
  }
}"#;
        let l = parse(input, "bun.lock").unwrap();
        assert_eq!(l.format, "bun-lock-v1");
        assert!(l.warnings.is_empty(), "{:?}", l.warnings);
        let get = |key: &str| {
            l.packages
                .iter()
                .find(|p| {
                    p.locations
                        .iter()
                        .any(|loc| loc.key.as_deref() == Some(key))
                })
                .unwrap()
        };
        assert_eq!(get("a").hashes.len(), 1);
        assert!(get("a").direct && get("a").scopes.is_empty());
        assert_eq!(get("a").locations[0].line, Some(8));
        assert_eq!(
            get("c").purl,
            "pkg:npm/c@1.0.0?repository_url=https://npm.example.com/"
        );
        assert_eq!(get("d").scopes, [Scope::Dev].into());
        assert_eq!(get("e").scopes, [Scope::Dev].into());
        assert_eq!(get("o").scopes, [Scope::Optional].into());
        assert_eq!(
            get("gh").origin,
            Origin::Git {
                url: "https://github.com/o/r.git".into(),
                commit: Some("abc1234".into()),
                reference: None
            }
        );
        assert_eq!(get("gh").version, "");
        assert!(matches!(&get("g").origin, Origin::Git { commit: Some(c), .. } if c.len() == 40));
        assert_eq!(
            get("t").origin,
            Origin::Url {
                url: "https://example.com/t.tgz".into()
            }
        );
        assert_eq!(
            get("f").origin,
            Origin::Path {
                path: "vendor/f".into()
            }
        );
        assert_eq!(
            get("w").origin,
            Origin::Workspace {
                path: "packages/w".into()
            }
        );
        assert_eq!(get("w").version, "0.1.0");
        // The member's `a` resolves to its nested copy.
        assert!(get("w/a").direct && get("w/a").version == "2.0.0" && get("w/a").scopes.is_empty());
    }

    #[test]
    fn bad_entries_are_warnings_and_bad_json_is_an_error() {
        let l = parse(r#"{"lockfileVersion": 1, "packages": {"ok": ["ok@1.0.0", "", {}, ""], "bad": [123], "worse": 5}}"#, "b").unwrap();
        assert_eq!(l.packages.len(), 1);
        assert_eq!(l.warnings.len(), 2);
        assert!(l.warnings[0].contains("\"bad\""));
        let e = parse(
            "{\n \"lockfileVersion\": 1,\n \"packages\": {\n  \"a\": [\"a@1\" \"\"]\n }\n}",
            "b",
        )
        .unwrap_err();
        assert_eq!(e.line, Some(4));
        assert!(parse("null", "b").is_err());
        assert!(parse("{}", "b").is_err());
    }
}
