//! pnpm: the content-addressable store and `node_modules/.pnpm` against the lockfile.
//!
//! pnpm keeps no package archives. It unpacks each tarball into its store, one content file
//! per distinct file, and writes a per-package index listing every file with its SRI integrity
//! and mode. Layouts read here (both observed on real installs):
//! - store v3 (pnpm 7 to 9): `<store>/files/<hex[..2]>/<hex[2..]>-index.json`, where `hex` is
//!   the hex digest of the package integrity the lockfile pins;
//! - store v10 (pnpm 10): `<store>/index/<hex[..2]>/<hex[2..64]>-<name@version>.json`
//!   (`/`, `:` and the other characters file names cannot hold become `+`);
//! - both: `{"files": {"<path>": {"integrity": "sha512-...", "mode": 420, "size": 1}}}`, plus
//!   `sideEffects` for packages whose install scripts or patches changed them (pnpm 9: a whole
//!   file list per key; pnpm 10: `{added, deleted}` against `files`);
//! - content files: `<store>/files/<hex[..2]>/<hex[2..]>` from the file's own hash, with an
//!   `-exec` suffix when the mode has an executable bit.
//!
//! The project's packages are installed under `node_modules/.pnpm/<dir>/node_modules/<name>`,
//! where `<dir>` is pnpm's file name for the dependency path: `name@version`, `/` and `:`
//! turned into `+`, peer and patch suffixes appended after `_`, and names longer than
//! `virtualStoreDirMaxLength` or with capitals shortened and suffixed with `_<hash>`.
//! `node_modules/.modules.yaml` (YAML up to pnpm 9, JSON from pnpm 10) records the store
//! (`storeDir`), that folder, the length limit, the optional packages skipped on this platform
//! (`skipped`) and which dependency kinds were installed (`included`). With pnpm 10's
//! `enableGlobalVirtualStore`, the folders live in the store's `links/` instead, as
//! `<scope or @>/<name>/<version>/<hash>/node_modules/<name>`, shared by every project.
//!
//! Steps, per `pnpm-lock.yaml`:
//! 1. read `.modules.yaml` and find the store: [`Options::pnpm_store`], else its `storeDir`;
//! 2. give each folder of `node_modules/.pnpm` to the locked package whose file name it starts
//!    with; a folder no locked package explains is [`FindingCode::NotInLockfile`] (not in a
//!    global virtual store, which holds other projects' packages too);
//! 3. per locked package: find its store index by its integrity, then compare every file of
//!    each installed copy with the index ([`FindingCode::FileModified`],
//!    [`FindingCode::FileAdded`], [`FindingCode::FileMissing`]; the `node_modules/.bin` shims
//!    pnpm writes into a package folder are not the package's files), and hash every store
//!    content file the index names ([`FindingCode::IntegrityMismatch`]). A file hard-linked to
//!    its store copy is hashed once. Where the index has side-effect variants, the installed
//!    copy is compared with the variant it matches best;
//! 4. a locked package with no folder is [`FindingCode::NotInstalled`], unless it is optional,
//!    listed in `skipped`, a dev dependency of a production-only install, or from pnpm's own
//!    "env" document (the first document of a multi-document lockfile: pnpm installs those
//!    elsewhere).
//!
//! Not checked (each an [`crate::Unchecked`] entry): packages without an integrity in the
//! lockfile (git and plain-URL tarballs: the store index is keyed by an integrity the lockfile
//! does not record), packages whose index is not in the store, files whose integrity uses an
//! algorithm we do not compute, unreadable files. Local folders (`file:` directories) are
//! pinned by nothing, so their files are not compared. The index itself is trusted: an
//! attacker who rewrites a content file and its index entry together is not detected here.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::io;
use std::path::{Path, PathBuf};

use chainward_types::{
    Ecosystem, Evidence, FindingCode, Hash, HashAlgorithm, Location, Origin, Package, Scope,
};
use rayon::prelude::*;
use serde::Deserialize;

use crate::{Options, Outcome, SourceRef, digest};
use crate::{join_shown, shown_parent};

/// Largest store index or `.modules.yaml` read.
const MAX_META_BYTES: u64 = 64 << 20;
/// pnpm's default `virtualStoreDirMaxLength`.
const DEFAULT_MAX_LENGTH: usize = 120;
/// The length pnpm 8 cut hashed folder names to.
const PNPM8_CUT: usize = 50;

/// Verifies a pnpm project.
pub(crate) fn verify(source: &SourceRef<'_>, options: &Options, out: &mut Outcome) {
    let project = source.dir();
    let shown_dir = shown_parent(source.display);
    let modules_dir = project.join("node_modules");
    let modules_shown = join_shown(&shown_dir, "node_modules");

    // 1. `.modules.yaml` and the store.
    let modules_file = modules_dir.join(".modules.yaml");
    let modules = match read_modules(&modules_file) {
        Ok(m) => m,
        Err(e) => {
            out.unchecked(
                join_shown(&modules_shown, ".modules.yaml"),
                format!("cannot read pnpm's install record: {e}"),
            );
            None
        }
    };
    let modules = modules.unwrap_or_default();
    let store = match (&options.pnpm_store, &modules.store_dir) {
        (Some(given), recorded) => {
            let store = Store::resolve(given, recorded.as_deref());
            if store.root.is_dir() {
                Some(store)
            } else {
                out.unchecked(
                    store.root.display().to_string(),
                    "the pnpm store given does not exist; no store file was compared",
                );
                None
            }
        }
        (None, Some(recorded)) => {
            let path = project.join(recorded);
            if path.is_dir() {
                Some(Store { root: path })
            } else {
                out.unchecked(
                    source.display,
                    format!(
                        "the pnpm store `{}` recorded in node_modules/.modules.yaml does not exist; no store file was compared",
                        path.display()
                    ),
                );
                None
            }
        }
        (None, None) => {
            out.unchecked(
                source.display,
                "the pnpm store is unknown (no `storeDir` in node_modules/.modules.yaml and no store given); no store file was compared",
            );
            None
        }
    };

    // 2. The virtual store and which locked package each of its folders holds.
    let env_end = env_document_end(source.path);
    let locked: Vec<Locked<'_>> = source
        .lockfile
        .packages
        .iter()
        .map(|pkg| Locked::new(pkg, env_end))
        .collect();
    let vstore_rel = modules
        .virtual_store_dir
        .clone()
        .unwrap_or_else(|| ".pnpm".to_owned());
    let vstore = modules_dir.join(&vstore_rel);
    // pnpm 10's `enableGlobalVirtualStore`: the virtual store is the store's `links/`,
    // shared by every project, laid out as `<scope or @>/<name>/<version>/<hash>`.
    let global_vstore = vstore.file_name().is_some_and(|n| n == "links")
        && vstore
            .parent()
            .is_some_and(|p| p.join("files").is_dir() || p.join("index").is_dir());
    let vstore_shown = if global_vstore {
        fs_err::canonicalize(&vstore)
            .unwrap_or_else(|_| vstore.clone())
            .display()
            .to_string()
    } else if Path::new(&vstore_rel).is_absolute() {
        vstore_rel.clone()
    } else {
        join_shown(&modules_shown, &vstore_rel)
    };
    let max_length = modules.max_length.unwrap_or(DEFAULT_MAX_LENGTH);
    let mut dirs_of: Vec<Vec<String>> = vec![Vec::new(); locked.len()];
    let listed = if global_vstore {
        global_virtual_store_dirs(&vstore, &locked, &mut dirs_of).map(|o| o.map(|()| None))
    } else {
        list_virtual_store(&vstore).map(|dirs| dirs.map(Some))
    };
    let installed = match listed {
        // Other projects' folders share a global virtual store: none is a finding.
        Ok(Some(None)) => true,
        Ok(Some(Some(dirs))) => {
            let by_prefix = prefix_map(&locked, max_length);
            for dir in dirs {
                let owners = owners_of(&dir, &by_prefix);
                if owners.is_empty() {
                    out.findings.push(not_in_lockfile(&dir, &vstore_shown));
                }
                for i in owners {
                    dirs_of[i].push(dir.clone());
                }
            }
            true
        }
        Ok(None) => {
            let why = if !modules_dir.is_dir() {
                "the project is not installed (no node_modules)".to_owned()
            } else if modules.node_linker.as_deref() == Some("hoisted") {
                "pnpm installed it with `nodeLinker: hoisted` (no node_modules/.pnpm)".to_owned()
            } else {
                format!("there is no `{vstore_shown}` folder")
            };
            out.unchecked(
                source.display,
                format!("{why}; installed files were not compared"),
            );
            false
        }
        Err(e) => {
            out.unchecked(vstore_shown.clone(), format!("cannot list it: {e}"));
            false
        }
    };

    // 3. Per package: the store index, the installed copies and the store content.
    let ctx = Ctx {
        store: store.as_ref(),
        vstore: &vstore,
        vstore_shown: &vstore_shown,
    };
    let results: Vec<Outcome> = locked
        .par_iter()
        .zip(dirs_of.par_iter())
        .filter(|(l, _)| !l.env_only)
        .map(|(l, dirs)| {
            // An optional package for another platform (or a dev package of a production
            // install) is not downloaded: no store index is expected for it.
            let may_be_absent = dirs.is_empty() && !l.expected_installed(&modules);
            check_package(&ctx, l, dirs, may_be_absent)
        })
        .collect();
    for r in results {
        out.merge(r);
    }

    // 4. Locked packages without a folder.
    if installed {
        for (l, dirs) in locked.iter().zip(&dirs_of) {
            if dirs.is_empty() && l.expected_installed(&modules) {
                out.findings.push(crate::package_finding(
                    FindingCode::NotInstalled,
                    l.pkg,
                    format!(
                        "{}@{} is locked but {vstore_shown} has no folder for it",
                        l.pkg.name, l.pkg.version
                    ),
                    Evidence {
                        file: Some(vstore_shown.clone()),
                        ..Evidence::default()
                    },
                ));
            }
        }
    }
}

/// What `node_modules/.modules.yaml` says.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Modules {
    #[serde(default)]
    store_dir: Option<String>,
    #[serde(default)]
    virtual_store_dir: Option<String>,
    #[serde(default, rename = "virtualStoreDirMaxLength")]
    max_length: Option<usize>,
    #[serde(default)]
    node_linker: Option<String>,
    /// Dependency paths of optional packages not installed on this platform.
    #[serde(default)]
    skipped: Vec<String>,
    #[serde(default)]
    included: Included,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Included {
    #[serde(default = "yes")]
    dev_dependencies: bool,
}

impl Default for Included {
    fn default() -> Self {
        Self {
            dev_dependencies: true,
        }
    }
}

fn yes() -> bool {
    true
}

/// Reads `.modules.yaml`; `Ok(None)` when there is none.
fn read_modules(path: &Path) -> Result<Option<Modules>, String> {
    let text = match read_bounded(path) {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e.to_string()),
    };
    parse_modules(&text).map(Some)
}

/// Parses `.modules.yaml`: JSON (pnpm 10) or the block YAML pnpm 7 to 9 write (only the
/// few keys used here, top-level scalars and one level of lists and mappings).
fn parse_modules(text: &str) -> Result<Modules, String> {
    let text = text.trim_start_matches('\u{feff}');
    if text.trim_start().starts_with('{') {
        return serde_json::from_str(text).map_err(|e| format!("invalid JSON: {e}"));
    }
    let mut m = Modules::default();
    let mut section = "";
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') || trimmed == "---" {
            continue;
        }
        if !line.starts_with([' ', '\t']) && !line.starts_with('-') {
            let Some((key, value)) = line.split_once(':') else {
                section = "";
                continue;
            };
            let value = value.trim();
            section = if value.is_empty() { key.trim() } else { "" };
            let value = unquote(value);
            match key.trim() {
                "storeDir" => m.store_dir = Some(value),
                "virtualStoreDir" => m.virtual_store_dir = Some(value),
                "virtualStoreDirMaxLength" => m.max_length = value.parse().ok(),
                "nodeLinker" => m.node_linker = Some(value),
                "skipped" => {
                    if let Some(list) = value.strip_prefix('[').and_then(|v| v.strip_suffix(']')) {
                        m.skipped.extend(
                            list.split(',')
                                .map(|s| unquote(s.trim()))
                                .filter(|s| !s.is_empty()),
                        );
                    }
                }
                _ => {}
            }
            continue;
        }
        match section {
            "skipped" => {
                if let Some(item) = trimmed.strip_prefix('-') {
                    m.skipped.push(unquote(item.trim()));
                }
            }
            "included" => {
                if let Some((k, v)) = trimmed.split_once(':') {
                    let v = v.trim() != "false";
                    if k.trim() == "devDependencies" {
                        m.included.dev_dependencies = v;
                    }
                }
            }
            _ => {}
        }
    }
    Ok(m)
}

/// A YAML scalar without its quotes.
fn unquote(s: &str) -> String {
    if let Some(inner) = s.strip_prefix('\'').and_then(|s| s.strip_suffix('\'')) {
        inner.replace("''", "'")
    } else if let Some(inner) = s.strip_prefix('"').and_then(|s| s.strip_suffix('"')) {
        inner.replace("\\\\", "\\").replace("\\\"", "\"")
    } else {
        s.to_owned()
    }
}

/// Reads a metadata file, refusing files over [`MAX_META_BYTES`].
fn read_bounded(path: &Path) -> io::Result<Vec<u8>> {
    use std::io::Read as _;
    let file = fs_err::File::open(path)?;
    let mut bytes = Vec::new();
    file.take(MAX_META_BYTES + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_META_BYTES {
        return Err(io::Error::other(format!(
            "{}: larger than {MAX_META_BYTES} bytes",
            path.display()
        )));
    }
    Ok(bytes)
}

/// The pnpm store (the folder holding `files/`, and `index/` from pnpm 10).
struct Store {
    root: PathBuf,
}

impl Store {
    /// The store folder for a given path, which may also be the folder above the
    /// versioned stores (`.../store` holding `v3` and `v10`).
    fn resolve(given: &Path, recorded: Option<&str>) -> Self {
        let holds_store = |p: &Path| p.join("files").is_dir() || p.join("index").is_dir();
        if holds_store(given) {
            return Self {
                root: given.to_path_buf(),
            };
        }
        let recorded_version = recorded.and_then(|r| Path::new(r).file_name());
        let candidates = recorded_version
            .into_iter()
            .map(|v| given.join(v))
            .chain(["v10", "v3"].map(|v| given.join(v)));
        for c in candidates {
            if holds_store(&c) {
                return Self { root: c };
            }
        }
        Self {
            root: given.to_path_buf(),
        }
    }

    /// The index file of the package whose tarball has `integrity`: the pnpm 10 layout first,
    /// then pnpm 7 to 9.
    fn index_path(&self, integrity: &Hash, pkg_id: &str) -> Option<PathBuf> {
        let hex = integrity.hex.as_str();
        let (head, rest) = (hex.get(..2)?, hex.get(2..)?);
        let rest64 = hex.get(2..hex.len().min(64))?;
        let dir = self.root.join("index").join(head);
        let exact = dir.join(format!("{rest64}-{}.json", file_name_of(pkg_id)));
        if exact.is_file() {
            return Some(exact);
        }
        if let Ok(entries) = fs_err::read_dir(&dir) {
            let prefix = format!("{rest64}-");
            let mut names: Vec<String> = entries
                .filter_map(Result::ok)
                .filter_map(|e| e.file_name().into_string().ok())
                .filter(|n| n.starts_with(&prefix) && n.ends_with(".json"))
                .collect();
            names.sort();
            if let Some(first) = names.first() {
                return Some(dir.join(first));
            }
        }
        let v3 = self
            .root
            .join("files")
            .join(head)
            .join(format!("{rest}-index.json"));
        v3.is_file().then_some(v3)
    }

    /// Where the content file with this hash and mode is.
    fn content_path(&self, hash: &Hash, mode: u32) -> Option<PathBuf> {
        let hex = hash.hex.as_str();
        let (head, rest) = (hex.get(..2)?, hex.get(2..)?);
        let name = if mode & 0o111 != 0 {
            format!("{rest}-exec")
        } else {
            rest.to_owned()
        };
        Some(self.root.join("files").join(head).join(name))
    }
}

/// One file as a store index records it.
#[derive(Debug, Clone)]
struct Expected {
    /// The SRI string as recorded.
    integrity: Option<String>,
    /// The strongest hash of it that we compute.
    hash: Option<Hash>,
    mode: u32,
}

type Files = BTreeMap<String, Expected>;

/// A store index: the package's files, and the file lists after each recorded side effect.
#[derive(Debug)]
struct Index {
    base: Files,
    variants: Vec<Files>,
}

#[derive(Deserialize)]
struct IndexWire {
    #[serde(default)]
    files: BTreeMap<String, FileWire>,
    #[serde(default, rename = "sideEffects")]
    side_effects: BTreeMap<String, serde_json::Value>,
}

#[derive(Deserialize)]
struct FileWire {
    #[serde(default)]
    integrity: Option<String>,
    #[serde(default)]
    mode: u32,
}

impl From<FileWire> for Expected {
    fn from(f: FileWire) -> Self {
        let hash = f.integrity.as_deref().and_then(strongest_hash);
        Self {
            integrity: f.integrity,
            hash,
            mode: f.mode,
        }
    }
}

/// The strongest hash of an SRI string that we can compute.
fn strongest_hash(sri: &str) -> Option<Hash> {
    Hash::from_sri(sri)
        .ok()?
        .into_iter()
        .filter(|h| digest::Hasher::new(h.algorithm).is_some())
        .max_by_key(|h| h.algorithm)
}

fn files_from(map: BTreeMap<String, FileWire>) -> Files {
    map.into_iter().map(|(k, v)| (k, v.into())).collect()
}

fn read_index(path: &Path) -> Result<Index, String> {
    let bytes = read_bounded(path).map_err(|e| e.to_string())?;
    let wire: IndexWire = serde_json::from_slice(&bytes)
        .map_err(|e| format!("{}: not a pnpm store index: {e}", path.display()))?;
    let base = files_from(wire.files);
    let mut variants = Vec::new();
    for value in wire.side_effects.into_values() {
        let Some(obj) = value.as_object() else {
            continue;
        };
        // pnpm 10: `{added, deleted}` against the base; pnpm 9: the whole file list (in which
        // `added` would be a file, with an `integrity`).
        let is_diff = (obj.contains_key("added") || obj.contains_key("deleted"))
            && obj
                .get("added")
                .is_none_or(|a| a.get("integrity").is_none());
        if is_diff {
            let mut files = base.clone();
            if let Some(deleted) = obj.get("deleted").and_then(serde_json::Value::as_array) {
                for d in deleted.iter().filter_map(serde_json::Value::as_str) {
                    files.remove(d);
                }
            }
            if let Some(added) = obj.get("added")
                && let Ok(map) = BTreeMap::<String, FileWire>::deserialize(added)
            {
                files.extend(files_from(map));
            }
            variants.push(files);
        } else if let Ok(map) = BTreeMap::<String, FileWire>::deserialize(&value) {
            variants.push(files_from(map));
        }
    }
    Ok(Index { base, variants })
}

/// A locked package and what is needed to find it.
struct Locked<'a> {
    pkg: &'a Package,
    /// Folder-name prefixes of its `.pnpm` folders.
    prefixes: Vec<String>,
    /// The integrity of its tarball, which keys the store index.
    integrity: Option<&'a Hash>,
    /// Listed only in pnpm's "env" document (installed elsewhere by pnpm itself).
    env_only: bool,
}

impl<'a> Locked<'a> {
    fn new(pkg: &'a Package, env_end: Option<u32>) -> Self {
        let mut prefixes = Vec::new();
        if !pkg.version.is_empty() {
            prefixes.push(file_name_of(&format!("{}@{}", pkg.name, pkg.version)));
        }
        for loc in &pkg.locations {
            if let Some(key) = &loc.key {
                let key = key.strip_prefix('/').unwrap_or(key);
                let key = key.find('(').map_or(key, |i| &key[..i]);
                let name = file_name_of(key);
                if !name.is_empty() && !prefixes.contains(&name) {
                    prefixes.push(name);
                }
            }
        }
        let integrity = pkg
            .hashes
            .iter()
            .filter(|h| h.artifact.is_none())
            .max_by_key(|h| h.algorithm);
        let env_only = env_end.is_some_and(|end| {
            !pkg.locations.is_empty()
                && pkg
                    .locations
                    .iter()
                    .all(|l| l.line.is_some_and(|line| line < end))
        });
        Self {
            pkg,
            prefixes,
            integrity,
            env_only,
        }
    }

    /// Whether a missing folder is a finding.
    fn expected_installed(&self, modules: &Modules) -> bool {
        let pkg = self.pkg;
        if self.env_only
            || pkg.scopes.contains(&Scope::Optional)
            || matches!(pkg.origin, Origin::Workspace { .. })
            || (pkg.scopes.contains(&Scope::Dev) && !modules.included.dev_dependencies)
        {
            return false;
        }
        !modules.skipped.iter().any(|s| {
            let (name, version) = split_dep_path(s);
            (name == pkg.name && version == pkg.version)
                || pkg
                    .locations
                    .iter()
                    .any(|l| l.key.as_deref() == Some(s.as_str()))
        })
    }
}

/// The line where the last document of a multi-document lockfile starts, when the file has
/// a document before it (pnpm 10's "env" document comes first).
fn env_document_end(path: &Path) -> Option<u32> {
    let text = fs_err::read_to_string(path).ok()?;
    let mut seen_version = false;
    let mut last_start = None;
    for (i, line) in text.lines().enumerate() {
        if line.trim_end() == "---" {
            if seen_version {
                last_start = u32::try_from(i + 1).ok();
            }
        } else if line.starts_with("lockfileVersion:") {
            seen_version = true;
        }
    }
    last_start
}

/// pnpm's file name for a dependency path without its peer suffix (`@a/b@1.0.0` →
/// `@a+b@1.0.0`, `x@file:../y` → `x@file+..+y`).
fn file_name_of(dep_path: &str) -> String {
    dep_path.replace(['\\', '/', ':', '*', '?', '"', '<', '>', '|'], "+")
}

/// Name and version of a dependency path in any lockfile style (`/a/1.0.0_peer`,
/// `/@s/a@1.0.0(peer)`, `a@1.0.0`); `("", "")` when there is no name.
fn split_dep_path(s: &str) -> (&str, &str) {
    let s = s.strip_prefix('/').unwrap_or(s);
    let b = s.as_bytes();
    let from = if b.first() == Some(&b'@') {
        match s.find('/') {
            Some(i) => i + 1,
            None => return (s, ""),
        }
    } else {
        0
    };
    let Some(end) = s[from..].find(['@', '/']).map(|i| i + from) else {
        return (s, "");
    };
    let rest = &s[end + 1..];
    let version = rest.find(['(', '_']).map_or(rest, |i| &rest[..i]);
    (&s[..end], version)
}

/// The folders of the virtual store (its `node_modules` and files such as `lock.yaml` are
/// pnpm's own); `Ok(None)` when there is no virtual store.
fn list_virtual_store(vstore: &Path) -> io::Result<Option<Vec<String>>> {
    let entries = match fs_err::read_dir(vstore) {
        Ok(e) => e,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    let mut dirs = Vec::new();
    for entry in entries {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name == "node_modules" || name.starts_with('.') {
            continue;
        }
        if entry.file_type()?.is_dir() {
            dirs.push(name);
        }
    }
    dirs.sort();
    Ok(Some(dirs))
}

/// Gives each locked package its folders in a global virtual store
/// (`<scope or @>/<name>/<version>/<hash>`); `Ok(None)` when there is no such store.
fn global_virtual_store_dirs(
    links: &Path,
    locked: &[Locked<'_>],
    dirs_of: &mut [Vec<String>],
) -> io::Result<Option<()>> {
    if !links.is_dir() {
        return Ok(None);
    }
    for (l, dirs) in locked.iter().zip(dirs_of.iter_mut()) {
        if l.env_only || l.pkg.version.is_empty() || !is_plain_name(&l.pkg.name) {
            continue;
        }
        let (scope, bare) = match l.pkg.name.split_once('/') {
            Some((scope, bare)) if scope.starts_with('@') => (scope, bare),
            _ => ("@", l.pkg.name.as_str()),
        };
        let rel = format!("{scope}/{bare}/{}", file_name_of(&l.pkg.version));
        let entries = match fs_err::read_dir(links.join(&rel)) {
            Ok(e) => e,
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e),
        };
        for entry in entries {
            let entry = entry?;
            if entry.file_type()?.is_dir() {
                dirs.push(format!("{rel}/{}", entry.file_name().to_string_lossy()));
            }
        }
        dirs.sort();
    }
    Ok(Some(()))
}

/// Every folder-name prefix of every locked package, with pnpm's shortened forms.
fn prefix_map<'l>(locked: &'l [Locked<'_>], max_length: usize) -> HashMap<&'l str, Vec<usize>> {
    let cuts = [max_length.saturating_sub(27), PNPM8_CUT];
    let mut map: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, l) in locked.iter().enumerate() {
        if l.env_only {
            continue;
        }
        for p in &l.prefixes {
            let mut add = |k: &'l str| {
                let v = map.entry(k).or_default();
                if !v.contains(&i) {
                    v.push(i);
                }
            };
            add(p);
            for cut in cuts {
                if cut > 0
                    && p.len() > cut
                    && let Some(short) = p.get(..cut)
                {
                    add(short);
                }
            }
        }
    }
    map
}

/// The locked packages a `.pnpm` folder belongs to: the longest prefix that is the whole
/// name or ends where a `_` suffix (peers, patch hash, shortening hash) begins.
fn owners_of(dir: &str, by_prefix: &HashMap<&str, Vec<usize>>) -> Vec<usize> {
    if let Some(v) = by_prefix.get(dir) {
        return v.clone();
    }
    for (i, _) in dir.match_indices('_').collect::<Vec<_>>().into_iter().rev() {
        if let Some(v) = by_prefix.get(&dir[..i]) {
            return v.clone();
        }
    }
    Vec::new()
}

fn not_in_lockfile(dir: &str, vstore_shown: &str) -> chainward_types::Finding {
    let unescaped = if dir.starts_with('@') {
        dir.replacen('+', "/", 1)
    } else {
        dir.to_owned()
    };
    let (name, version) = split_dep_path(&unescaped);
    let name = if name.is_empty() { dir } else { name };
    let pkg = Package::new(Ecosystem::Npm, name, version, Origin::registry());
    let shown = join_shown(vstore_shown, dir);
    crate::finding(
        FindingCode::NotInLockfile,
        crate::package_ref(&pkg),
        format!("{shown} is installed but pnpm-lock.yaml does not lock it"),
        vec![Location::new(shown.clone(), None)],
        Evidence {
            file: Some(shown),
            ..Evidence::default()
        },
    )
}

struct Ctx<'a> {
    store: Option<&'a Store>,
    vstore: &'a Path,
    vstore_shown: &'a str,
}

fn check_package(
    ctx: &Ctx<'_>,
    locked: &Locked<'_>,
    dirs: &[String],
    may_be_absent: bool,
) -> Outcome {
    let mut out = Outcome::default();
    let pkg = locked.pkg;
    let Some(integrity) = locked.integrity else {
        if !may_be_absent && !matches!(pkg.origin, Origin::Path { .. } | Origin::Workspace { .. }) {
            out.unchecked(
                pkg.purl.clone(),
                "the lockfile records no integrity for it, so its pnpm store index cannot be found",
            );
        }
        return out;
    };
    // Without a store, the caller has recorded why once.
    let Some(store) = ctx.store else {
        return out;
    };
    let pkg_id = format!("{}@{}", pkg.name, pkg.version);
    let Some(index_path) = store.index_path(integrity, &pkg_id) else {
        if may_be_absent {
            return out;
        }
        out.unchecked(
            pkg.purl.clone(),
            format!(
                "no index for {} in the pnpm store {}",
                integrity.to_sri(),
                store.root.display()
            ),
        );
        return out;
    };
    let index = match read_index(&index_path) {
        Ok(i) => i,
        Err(e) => {
            out.unchecked(index_path.display().to_string(), e);
            return out;
        }
    };
    out.stats.packages += 1;
    let mut by_inode = HashMap::new();
    for dir in dirs {
        check_installed(ctx, pkg, &index, dir, &mut by_inode, &mut out);
    }
    check_store_content(store, pkg, &index, &by_inode, &mut out);
    out
}

/// What is at a path of an installed package folder.
enum Installed {
    File { path: PathBuf },
    Link(String),
    Other,
}

/// A difference between an installed copy and an index file list.
enum Problem<'a> {
    Modified(&'a str, &'a Expected, Option<Hash>, Option<String>),
    Added(&'a str, Option<Hash>, Option<String>),
    Missing(&'a str, &'a Expected),
    Unsupported(&'a str, &'a Expected),
}

fn check_installed(
    ctx: &Ctx<'_>,
    pkg: &Package,
    index: &Index,
    dir: &str,
    by_inode: &mut HashMap<(u64, u64), Hash>,
    out: &mut Outcome,
) {
    let shown_root = format!("{}/{dir}/node_modules/{}", ctx.vstore_shown, pkg.name);
    if !is_plain_name(&pkg.name) {
        out.unchecked(
            shown_root,
            "the package name is not a plain npm name, so it is not used as a path",
        );
        return;
    }
    let root = ctx.vstore.join(dir).join("node_modules").join(&pkg.name);
    match fs_err::symlink_metadata(&root) {
        Ok(m) if m.is_dir() => {}
        Ok(_) => {
            out.unchecked(
                shown_root,
                "not a folder (a link?): its files were not compared",
            );
            return;
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            out.findings.push(crate::package_finding(
                FindingCode::NotInstalled,
                pkg,
                format!("{}/{dir} holds no {shown_root}", ctx.vstore_shown),
                Evidence {
                    file: Some(shown_root),
                    ..Evidence::default()
                },
            ));
            return;
        }
        Err(e) => {
            out.unchecked(shown_root, e.to_string());
            return;
        }
    }

    // a. What is installed. pnpm writes command shims into the package's own
    // `node_modules/.bin`; they are not files of the package unless the index says so.
    let all_lists = || std::iter::once(&index.base).chain(&index.variants);
    let index_has_bin = all_lists().any(|f| f.keys().any(|k| k.starts_with("node_modules/.bin/")));
    let mut installed: BTreeMap<String, Installed> = BTreeMap::new();
    let mut walk = walkdir::WalkDir::new(&root)
        .follow_links(false)
        .min_depth(1)
        .into_iter();
    while let Some(entry) = walk.next() {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                let at = e
                    .path()
                    .map_or_else(|| shown_root.clone(), |p| p.display().to_string());
                out.unchecked(at, format!("cannot read: {e}"));
                continue;
            }
        };
        let Ok(rel) = entry.path().strip_prefix(&root) else {
            continue;
        };
        let rel = rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/");
        let kind = entry.file_type();
        if kind.is_dir() {
            if rel == "node_modules/.bin" && !index_has_bin {
                walk.skip_current_dir();
            }
            continue;
        }
        let what = if kind.is_file() {
            Installed::File {
                path: entry.path().to_path_buf(),
            }
        } else if kind.is_symlink() {
            let target = fs_err::read_link(entry.path())
                .map(|t| t.display().to_string())
                .unwrap_or_default();
            Installed::Link(target)
        } else {
            Installed::Other
        };
        installed.insert(rel, what);
    }

    // b. Hash each installed file in the algorithms the lists use for it.
    let mut actual: HashMap<(&str, HashAlgorithm), Hash> = HashMap::new();
    let mut unreadable: HashSet<&str> = HashSet::new();
    for (rel, what) in &installed {
        let Installed::File { path } = what else {
            continue;
        };
        let mut algorithms: BTreeSet<HashAlgorithm> = all_lists()
            .filter_map(|f| {
                f.get(rel)
                    .and_then(|e| e.hash.as_ref())
                    .map(|h| h.algorithm)
            })
            .collect();
        if algorithms.is_empty() {
            algorithms.insert(HashAlgorithm::Sha512);
        }
        out.stats.files += 1;
        for algorithm in algorithms {
            match digest::hash_file(algorithm, path) {
                Ok(Some((hash, n))) => {
                    out.stats.bytes += n;
                    if algorithm == HashAlgorithm::Sha512
                        && let Some(id) = inode(path)
                    {
                        by_inode.insert(id, hash.clone());
                    }
                    actual.insert((rel.as_str(), algorithm), hash);
                }
                Ok(None) => {}
                Err(e) => {
                    out.unchecked(format!("{shown_root}/{rel}"), e.to_string());
                    unreadable.insert(rel.as_str());
                }
            }
        }
    }

    // c. Compare with the list it matches best (the base list unless a side effect fits).
    let diff = |files| compare(files, &installed, &actual, &unreadable);
    let mut best = diff(&index.base);
    for variant in &index.variants {
        if best.is_empty() {
            break;
        }
        let problems = diff(variant);
        if problems.len() < best.len() {
            best = problems;
        }
    }
    let at = |rel: &str| format!("{shown_root}/{rel}");
    for problem in best {
        let finding = match problem {
            Problem::Modified(rel, expected, actual, value) => crate::package_finding(
                FindingCode::FileModified,
                pkg,
                format!(
                    "{} differs from the file pnpm's store index records for {}@{}",
                    at(rel),
                    pkg.name,
                    pkg.version
                ),
                Evidence {
                    file: Some(at(rel)),
                    expected: expected.hash.clone(),
                    actual,
                    value,
                },
            ),
            Problem::Added(rel, actual, value) => crate::package_finding(
                FindingCode::FileAdded,
                pkg,
                format!(
                    "{} is not a file of {}@{} (not in pnpm's store index)",
                    at(rel),
                    pkg.name,
                    pkg.version
                ),
                Evidence {
                    file: Some(at(rel)),
                    expected: None,
                    actual,
                    value,
                },
            ),
            Problem::Missing(rel, expected) => crate::package_finding(
                FindingCode::FileMissing,
                pkg,
                format!(
                    "{} of {}@{} is missing from its installed folder",
                    at(rel),
                    pkg.name,
                    pkg.version
                ),
                Evidence {
                    file: Some(at(rel)),
                    expected: expected.hash.clone(),
                    ..Evidence::default()
                },
            ),
            Problem::Unsupported(rel, expected) => {
                out.unchecked(
                    at(rel),
                    format!(
                        "the store index records `{}`, which is not a hash we compute",
                        expected.integrity.as_deref().unwrap_or("no integrity")
                    ),
                );
                continue;
            }
        };
        out.findings.push(finding);
    }
}

/// The differences between an installed copy and one file list of its index.
fn compare<'a>(
    files: &'a Files,
    installed: &'a BTreeMap<String, Installed>,
    actual: &HashMap<(&str, HashAlgorithm), Hash>,
    unreadable: &HashSet<&str>,
) -> Vec<Problem<'a>> {
    let mut problems = Vec::new();
    for (rel, expected) in files {
        match installed.get(rel) {
            None => problems.push(Problem::Missing(rel, expected)),
            Some(_) if unreadable.contains(rel.as_str()) => {}
            Some(Installed::File { .. }) => {
                let Some(want) = &expected.hash else {
                    problems.push(Problem::Unsupported(rel, expected));
                    continue;
                };
                let got = actual.get(&(rel.as_str(), want.algorithm));
                if !got.is_some_and(|g| digest::same_digest(g, want)) {
                    problems.push(Problem::Modified(rel, expected, got.cloned(), None));
                }
            }
            Some(Installed::Link(target)) => problems.push(Problem::Modified(
                rel,
                expected,
                None,
                Some(format!("symbolic link to {target}")),
            )),
            Some(Installed::Other) => problems.push(Problem::Modified(
                rel,
                expected,
                None,
                Some("not a regular file".to_owned()),
            )),
        }
    }
    for (rel, what) in installed {
        if files.contains_key(rel) || unreadable.contains(rel.as_str()) {
            continue;
        }
        match what {
            Installed::File { .. } => problems.push(Problem::Added(
                rel,
                actual.get(&(rel.as_str(), HashAlgorithm::Sha512)).cloned(),
                None,
            )),
            Installed::Link(target) => problems.push(Problem::Added(
                rel,
                None,
                Some(format!("symbolic link to {target}")),
            )),
            Installed::Other => problems.push(Problem::Added(
                rel,
                None,
                Some("not a regular file".to_owned()),
            )),
        }
    }
    problems
}

/// Hashes every store content file the index names (hard links to installed files already
/// hashed are not read again).
fn check_store_content(
    store: &Store,
    pkg: &Package,
    index: &Index,
    by_inode: &HashMap<(u64, u64), Hash>,
    out: &mut Outcome,
) {
    let mut seen = HashSet::new();
    for (rel, expected) in std::iter::once(&index.base)
        .chain(&index.variants)
        .flat_map(|f| f.iter())
    {
        let Some(want) = &expected.hash else {
            // Reported with the installed copy when there is one.
            continue;
        };
        let Some(path) = store.content_path(want, expected.mode) else {
            continue;
        };
        if !seen.insert(path.clone()) {
            continue;
        }
        let shown = path.display().to_string();
        let reused = (want.algorithm == HashAlgorithm::Sha512)
            .then(|| inode(&path).and_then(|id| by_inode.get(&id)))
            .flatten()
            .cloned();
        let got = match reused {
            Some(h) => h,
            None => match digest::hash_file(want.algorithm, &path) {
                Ok(Some((h, n))) => {
                    out.stats.bytes += n;
                    h
                }
                Ok(None) => continue,
                Err(e) if e.kind() == io::ErrorKind::NotFound => {
                    out.unchecked(
                        shown,
                        format!(
                            "the pnpm store has no content file for `{rel}` of {}@{} (its index names it)",
                            pkg.name, pkg.version
                        ),
                    );
                    continue;
                }
                Err(e) => {
                    out.unchecked(shown, e.to_string());
                    continue;
                }
            },
        };
        if !digest::same_digest(&got, want) {
            out.findings.push(crate::package_finding(
                FindingCode::IntegrityMismatch,
                pkg,
                format!(
                    "pnpm store file {shown} (`{rel}` of {}@{}) does not hash to the integrity its index records",
                    pkg.name, pkg.version
                ),
                Evidence {
                    file: Some(shown),
                    expected: Some(want.clone()),
                    actual: Some(got),
                    value: None,
                },
            ));
        }
    }
}

/// `name` or `@scope/name`, without `.`/`..` parts or backslashes: safe to join to a path
/// (names come from the lockfile, which is input).
fn is_plain_name(name: &str) -> bool {
    let parts: Vec<&str> = name.split('/').collect();
    let ok = |p: &str| !p.is_empty() && p != "." && p != ".." && !p.contains(['\\', ':', '\0']);
    match parts.as_slice() {
        [bare] => ok(bare) && !bare.starts_with('@'),
        [scope, bare] => scope.starts_with('@') && ok(scope) && ok(bare),
        _ => false,
    }
}

/// The device and inode of a file, to spot hard links.
#[cfg(unix)]
fn inode(path: &Path) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt as _;
    fs_err::metadata(path).ok().map(|m| (m.dev(), m.ino()))
}

#[cfg(not(unix))]
fn inode(_path: &Path) -> Option<(u64, u64)> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_folders_like_pnpm() {
        assert_eq!(file_name_of("@babel/core@7.0.0"), "@babel+core@7.0.0");
        assert_eq!(
            file_name_of("local-lib@file:local-lib"),
            "local-lib@file+local-lib"
        );
        assert_eq!(
            file_name_of("x@https://codeload.github.com/a/b/tar.gz/c"),
            "x@https+++codeload.github.com+a+b+tar.gz+c"
        );
    }

    #[test]
    fn uses_only_plain_package_names_as_paths() {
        assert!(is_plain_name("is-number"));
        assert!(is_plain_name("@types/node"));
        assert!(!is_plain_name("../../etc"));
        assert!(!is_plain_name("@x/.."));
        assert!(!is_plain_name("a/b"));
        assert!(!is_plain_name("@x"));
        assert!(!is_plain_name("C:\\x"));
        assert!(!is_plain_name(""));
    }

    #[test]
    fn splits_dependency_paths_of_every_lockfile_style() {
        assert_eq!(split_dep_path("/fsevents/2.3.3"), ("fsevents", "2.3.3"));
        assert_eq!(split_dep_path("fsevents@2.3.3"), ("fsevents", "2.3.3"));
        assert_eq!(
            split_dep_path("/@esbuild/linux-arm64@0.20.0(x@1.0.0)"),
            ("@esbuild/linux-arm64", "0.20.0")
        );
        assert_eq!(
            split_dep_path("ajv-keywords@3.5.2_ajv@6.15.0"),
            ("ajv-keywords", "3.5.2")
        );
        assert_eq!(split_dep_path("noversion"), ("noversion", ""));
    }

    fn pkg(name: &str, version: &str, key: &str) -> Package {
        let mut p = Package::new(Ecosystem::Npm, name, version, Origin::registry());
        p.locations
            .push(Location::new("pnpm-lock.yaml", Some(1)).with_key(key));
        p
    }

    #[test]
    fn gives_real_pnpm_folders_to_their_packages() {
        // Folder names from real pnpm 8, 9 and 10 installs.
        let pkgs = [
            pkg("ajv-keywords", "3.5.2", "ajv-keywords@3.5.2"),
            pkg("ajv", "6.15.0", "ajv@6.15.0"),
            pkg("JSONStream", "1.3.5", "/JSONStream@1.3.5"),
            pkg("ms", "2.1.3", "ms@2.1.3"),
            pkg("@babel/core", "7.0.0", "@babel/core@7.0.0"),
            pkg("local-lib", "", "local-lib@file:local-lib"),
            pkg("a", "1.0.0", "a@1.0.0"),
            pkg("a", "1.0.0-beta", "a@1.0.0-beta"),
        ];
        let locked: Vec<_> = pkgs.iter().map(|p| Locked::new(p, None)).collect();
        let map = prefix_map(&locked, DEFAULT_MAX_LENGTH);
        let owner = |d: &str| owners_of(d, &map);
        assert_eq!(owner("ajv-keywords@3.5.2_ajv@6.15.0"), vec![0]);
        assert_eq!(owner("ajv@6.15.0"), vec![1]);
        assert_eq!(
            owner("JSONStream@1.3.5_r3os6ifnv5rfzwtsmjig3b325i"),
            vec![2]
        );
        assert_eq!(
            owner(
                "ms@2.1.3_patch_hash=56fbd88c36b580c8a3aae4f1c280bd02406b8acfcee9ecb691e0df19a101116e"
            ),
            vec![3]
        );
        assert_eq!(owner("@babel+core@7.0.0"), vec![4]);
        assert_eq!(owner("local-lib@file+local-lib"), vec![5]);
        assert_eq!(owner("a@1.0.0-beta"), vec![7]);
        assert_eq!(owner("a@1.0.0_b@2.0.0"), vec![6]);
        assert!(owner("a@1.0.1").is_empty());
        assert!(owner("evil@1.0.0").is_empty());
    }

    #[test]
    fn gives_shortened_folders_to_their_packages() {
        let long = format!("{}@1.0.0", "x".repeat(100));
        let p = pkg(&"x".repeat(100), "1.0.0", &long);
        let locked = [Locked::new(&p, None)];
        let map = prefix_map(&locked, DEFAULT_MAX_LENGTH);
        let dir = format!("{}_abcdefghijklmnopqrstuvwxyz", &long[..93]);
        assert_eq!(owners_of(&dir, &map), vec![0]);
    }

    #[test]
    fn reads_pnpm9_modules_yaml() {
        let m = parse_modules(
            r"hoistPattern:
  - '*'
included:
  dependencies: true
  devDependencies: false
  optionalDependencies: true
nodeLinker: isolated
skipped:
  - fsevents@2.3.3
  - '@esbuild/darwin-arm64@0.20.0'
storeDir: /root/.local/share/pnpm/store/v3
virtualStoreDir: .pnpm
virtualStoreDirMaxLength: 60
",
        )
        .unwrap();
        assert_eq!(
            m.store_dir.as_deref(),
            Some("/root/.local/share/pnpm/store/v3")
        );
        assert_eq!(m.virtual_store_dir.as_deref(), Some(".pnpm"));
        assert_eq!(m.max_length, Some(60));
        assert_eq!(
            m.skipped,
            ["fsevents@2.3.3", "@esbuild/darwin-arm64@0.20.0"]
        );
        assert!(!m.included.dev_dependencies);
    }

    #[test]
    fn reads_pnpm10_modules_json() {
        let m = parse_modules(
            r#"{"included": {"dependencies": true, "devDependencies": true, "optionalDependencies": true},
"skipped": ["fsevents@2.3.3"], "storeDir": "/s/v10", "virtualStoreDir": ".pnpm", "extra": [1]}"#,
        )
        .unwrap();
        assert_eq!(m.store_dir.as_deref(), Some("/s/v10"));
        assert_eq!(m.skipped, ["fsevents@2.3.3"]);
        assert!(parse_modules("{").is_err());
    }

    #[test]
    fn reads_both_side_effect_formats() {
        let dir = tempfile::tempdir().unwrap();
        let a = "sha512-P6dI5Z+zrwxSk1MIRPqpYG2ScYNkidLIATQXd50QzBgBh/XmcEd/nsd9NB4O9k6rfc+4dsY5DwJ7xvhpoS0PRg==";
        let b = "sha512-Mio/3L3AqyJArNpUer5jbVH38hFCAEkff8ZsQ1PUPTekBS3w0y8p7egMinaNMS766O0oY59VwuWmePMGpFmG+Q==";
        let path = dir.path().join("i.json");
        fs_err::write(
            &path,
            format!(
                r#"{{"files": {{"x.js": {{"integrity": "{a}", "mode": 420}}, "y.js": {{"integrity": "{a}", "mode": 420}}}},
"sideEffects": {{
  "linux;x64;node20": {{"added": {{"x.js": {{"integrity": "{b}", "mode": 420}}}}, "deleted": ["y.js"]}},
  "darwin;arm64;node20": {{"added": {{"integrity": "{b}", "mode": 420}}}}
}}}}"#
            ),
        )
        .unwrap();
        let index = read_index(&path).unwrap();
        assert_eq!(index.base.len(), 2);
        let mut variants = index
            .variants
            .iter()
            .map(|v| v.keys().cloned().collect::<Vec<_>>())
            .collect::<Vec<_>>();
        variants.sort();
        // pnpm 9's whole list (holding a file named `added`) and pnpm 10's diff.
        assert_eq!(
            variants,
            [vec!["added".to_owned()], vec!["x.js".to_owned()]]
        );
        fs_err::write(&path, "\"not an index\"").unwrap();
        assert!(read_index(&path).is_err());
    }

    #[test]
    fn leaves_packages_of_the_env_document_alone() {
        let mut exe = pkg("@pnpm/exe", "10.0.0", "@pnpm/exe@10.0.0");
        exe.locations[0].line = Some(5);
        let mut ms = pkg("ms", "2.1.3", "ms@2.1.3");
        ms.locations[0].line = Some(5);
        ms.locations
            .push(Location::new("pnpm-lock.yaml", Some(12)).with_key("ms@2.1.3"));
        assert!(Locked::new(&exe, Some(8)).env_only);
        assert!(!Locked::new(&ms, Some(8)).env_only);
        assert!(!Locked::new(&exe, None).env_only);
        let modules = Modules::default();
        assert!(!Locked::new(&exe, Some(8)).expected_installed(&modules));
        assert!(Locked::new(&ms, Some(8)).expected_installed(&modules));
    }

    #[test]
    fn finds_the_env_document() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pnpm-lock.yaml");
        fs_err::write(
            &path,
            "---\nlockfileVersion: '9.0'\n\nimporters: {}\n\n---\nlockfileVersion: '9.0'\n",
        )
        .unwrap();
        assert_eq!(env_document_end(&path), Some(6));
        fs_err::write(&path, "lockfileVersion: '9.0'\n").unwrap();
        assert_eq!(env_document_end(&path), None);
        fs_err::write(&path, "---\nlockfileVersion: '9.0'\n").unwrap();
        assert_eq!(env_document_end(&path), None);
    }
}
