//! npm: cached tarballs against the lockfile, installed files against the tarballs.
//!
//! For a `package-lock.json` / `npm-shrinkwrap.json` (`verify`), or a `node_modules`
//! found without a lockfile beside it (or above it, for a workspace folder), against npm's
//! hidden lockfile `node_modules/.package-lock.json` (`verify_tree`):
//!
//! 1. Read the lockfile's entries by install path (`node_modules/a/node_modules/b`), with
//!    what decides whether a missing one matters: `optional`, `devOptional`, `peer`, and
//!    `os` / `cpu` / `libc` that do not apply here. Link entries (`link: true`, workspaces
//!    and `file:` folders) and the project's own folders have no tarball: skipped.
//! 2. List the installed tree (`node_modules`, scoped folders, nested `node_modules`, and
//!    each workspace folder's `node_modules`) without following links: a package folder,
//!    a link or a loose file there that the lockfile does not list → `not-in-lockfile`; a
//!    locked package that is not there → `not-installed`, unless it may be absent (step 1),
//!    or it is a dev package and no dev package at all is installed (`--omit=dev`).
//! 3. Find each installed package's tarball: in the npm cache (`_cacache`, see
//!    [`crate::cacache`]) by the lockfile integrity, else through the cache index by its
//!    `resolved` URL; a `file:` tarball in the project; else (online) downloaded from
//!    `resolved`. Not found → unchecked (one entry for the lockfile when not one tarball is
//!    cached). Without any `node_modules`, only the cached tarballs are checked, and one
//!    unchecked entry says the install was not compared.
//! 4. Stream each tarball once (packages in parallel, largest first): the compressed bytes
//!    are hashed on the way into gunzip. Bytes that do not hash to the lockfile integrity
//!    (strongest algorithm), or to their own cache address → `integrity-mismatch`, and the
//!    installed files are not compared with them (a download is tried instead, online).
//! 5. Each tar entry goes where npm's extraction puts it: the first path component is
//!    stripped, `..` entries and links are not extracted (both → `unsafe-archive-entry`,
//!    as are absolute names), `.gitignore` becomes `.npmignore` unless the folder has one,
//!    later duplicates win. Its bytes are compared with the installed file, chunk by chunk
//!    (hashes are computed only when they differ): `file-modified`, `file-missing`. npm's
//!    one rewrite is allowed: the `\r` of a `#!...\r\n` first line (bin-links).
//! 6. Files of the package folder that no entry produced → `file-added`. The folder's own
//!    `node_modules` holds other packages and is left to them, except bundled ones
//!    (`inBundle`), which come from this tarball and are compared as part of it.
//!
//! Nothing is unpacked or written; reads are bounded by [`crate::Limits`].

use std::collections::{HashMap, HashSet};
use std::io::{self, Read, Seek as _, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use chainward_extract::Format;
use chainward_types::{
    Ecosystem, Evidence, Finding, FindingCode, Hash, HashAlgorithm, Location, Origin, Package,
    PackageRef, Scope,
};
use serde::Deserialize;

use crate::archive::{self, ArchiveError, EntryKind};
use crate::cacache::{self, Cacache};
use crate::digest::{self, Hasher};
use crate::{Options, Outcome, SourceRef, Stats};

/// The message for a tarball that is neither cached nor downloadable.
const OFFLINE: &str = "not in the npm cache and --offline: cannot verify";

/// Compare buffers (two per worker).
const CHUNK: usize = 256 * 1024;

/// Nesting deeper than this is not a real install.
const MAX_DEPTH: usize = 64;

/// Verifies a `package-lock.json` / `npm-shrinkwrap.json` project.
pub(crate) fn verify(source: &SourceRef<'_>, options: &Options, out: &mut Outcome) {
    let text = match fs_err::read_to_string(source.path) {
        Ok(t) => t,
        Err(e) => {
            out.unchecked(source.display, format!("cannot read: {e}"));
            return;
        }
    };
    let entries = match read_entries(&text) {
        Ok(Some(entries)) => entries,
        Ok(None) => entries_from_parsed(source),
        Err(e) => {
            out.unchecked(source.display, format!("cannot read its packages: {e}"));
            return;
        }
    };
    let project = Project::new(
        source.dir(),
        prefix_of(source.display),
        source.display.to_owned(),
        entries,
        source,
        options,
    );
    project.run(out);
}

/// Verifies a `node_modules` folder found on its own.
pub(crate) fn verify_tree(
    source: &SourceRef<'_>,
    all: &[SourceRef<'_>],
    options: &Options,
    out: &mut Outcome,
) {
    let dir = source.dir();
    if all.iter().any(|s| covers(s, dir)) {
        return; // the lockfile's own verifier reads this tree
    }
    let hidden = source.path.join(".package-lock.json");
    let hidden_display = format!(
        "{}/.package-lock.json",
        source.display.trim_end_matches('/')
    );
    let text = match fs_err::read_to_string(&hidden) {
        Ok(t) => t,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            out.unchecked(
                source.display,
                "no lockfile beside it and no npm hidden lockfile (node_modules/.package-lock.json): its files cannot be verified",
            );
            return;
        }
        Err(e) => {
            out.unchecked(hidden_display, format!("cannot read: {e}"));
            return;
        }
    };
    let entries = match read_entries(&text) {
        Ok(Some(entries)) => entries,
        Ok(None) => Vec::new(),
        Err(e) => {
            out.unchecked(hidden_display, format!("cannot read: {e}"));
            return;
        }
    };
    let project = Project::new(
        dir,
        prefix_of(source.display),
        hidden_display,
        entries,
        source,
        options,
    );
    project.run(out);
}

/// True when the lockfile `s` describes the `node_modules` of the project folder `dir`: it
/// lies beside it, or `dir` is one of its workspace folders (npm: a folder it lists; other
/// package managers: any folder below it).
fn covers(s: &SourceRef<'_>, dir: &Path) -> bool {
    let npm = matches!(s.format, Format::NpmPackageLock | Format::NpmShrinkwrap);
    if !(npm || matches!(s.format, Format::Pnpm | Format::Yarn | Format::Bun)) {
        return false;
    }
    if s.dir() == dir {
        return true;
    }
    let Ok(rel) = dir.strip_prefix(s.dir()) else {
        return false;
    };
    if !npm {
        return true;
    }
    let rel = rel.to_string_lossy().replace('\\', "/");
    let below = format!("{rel}/");
    s.lockfile.packages.iter().any(|p| {
        p.locations
            .iter()
            .filter_map(|l| l.key.as_deref())
            .any(|k| k == rel || k.starts_with(&below))
    })
}

/// The display prefix of the folder holding `display` (`""` or `sub/`).
fn prefix_of(display: &str) -> String {
    match display.trim_end_matches('/').rsplit_once('/') {
        Some((dir, _)) => format!("{dir}/"),
        None => String::new(),
    }
}

// --- lockfile entries ------------------------------------------------------------------------

/// One install path of the lockfile.
#[derive(Debug, Clone)]
struct Entry {
    /// `node_modules/a/node_modules/b`, or a project folder (`packages/x`).
    key: String,
    name: String,
    version: String,
    resolved: Option<String>,
    integrity: Vec<Hash>,
    /// Why the recorded integrity could not be read.
    integrity_error: Option<String>,
    link: bool,
    bundled: bool,
    /// May legitimately be absent: optional, peer, or not for this platform.
    may_be_absent: bool,
    /// Only for development (absent when installed with `--omit=dev`).
    dev: bool,
}

impl Entry {
    /// True for install paths inside a `node_modules` folder (not the project's folders).
    fn is_installed(&self) -> bool {
        is_installed_key(&self.key)
    }
}

fn is_installed_key(key: &str) -> bool {
    key.starts_with("node_modules/") || key.contains("/node_modules/")
}

#[derive(Deserialize)]
struct LockWire {
    #[serde(default)]
    packages: Option<HashMap<String, EntryWire>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct EntryWire {
    name: Option<String>,
    version: Option<String>,
    resolved: Option<String>,
    integrity: Option<String>,
    link: Option<bool>,
    dev: Option<bool>,
    optional: Option<bool>,
    #[serde(rename = "devOptional")]
    dev_optional: Option<bool>,
    peer: Option<bool>,
    #[serde(rename = "inBundle")]
    in_bundle: Option<bool>,
    os: Option<serde_json::Value>,
    cpu: Option<serde_json::Value>,
    libc: Option<serde_json::Value>,
}

/// The `packages` of a v2/v3 lockfile (or a hidden lockfile); `None` for a v1 file.
fn read_entries(text: &str) -> Result<Option<Vec<Entry>>, String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let wire: LockWire = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let Some(packages) = wire.packages else {
        return Ok(None);
    };
    let mut entries = Vec::with_capacity(packages.len());
    for (key, w) in packages {
        if key.is_empty() {
            continue;
        }
        let (integrity, integrity_error) = match w.integrity.as_deref() {
            None => (Vec::new(), None),
            Some(sri) => match Hash::from_sri(sri) {
                Ok(h) => (h, None),
                Err(e) => (Vec::new(), Some(e)),
            },
        };
        let platform_ok = list_applies(w.os.as_ref(), node_os())
            && list_applies(w.cpu.as_ref(), node_cpu())
            && (node_os() != "linux" || list_applies(w.libc.as_ref(), node_libc()));
        let name = match w.name {
            Some(n) if !n.is_empty() => n,
            _ => name_from_key(&key).to_owned(),
        };
        entries.push(Entry {
            name,
            version: w.version.unwrap_or_default(),
            resolved: w.resolved,
            integrity,
            integrity_error,
            link: w.link == Some(true),
            bundled: w.in_bundle == Some(true),
            may_be_absent: w.optional == Some(true)
                || w.dev_optional == Some(true)
                || w.peer == Some(true)
                || !platform_ok,
            dev: w.dev == Some(true),
            key,
        });
    }
    entries.sort_by(|a, b| a.key.cmp(&b.key));
    Ok(Some(entries))
}

/// Entries of a v1 lockfile, from what the parser gave (one per location).
fn entries_from_parsed(source: &SourceRef<'_>) -> Vec<Entry> {
    let mut entries = Vec::new();
    for p in &source.lockfile.packages {
        let resolved = match &p.origin {
            Origin::Registry { url } => url.clone(),
            Origin::Url { url } => Some(url.clone()),
            Origin::Path { path } => Some(format!("file:{path}")),
            Origin::Git { url, .. } => Some(url.clone()),
            Origin::Workspace { .. } => None,
        };
        for loc in &p.locations {
            let Some(key) = &loc.key else { continue };
            entries.push(Entry {
                key: key.clone(),
                name: p.name.clone(),
                version: p.version.clone(),
                resolved: resolved.clone(),
                integrity: p
                    .hashes
                    .iter()
                    .filter(|h| h.artifact.is_none())
                    .cloned()
                    .collect(),
                integrity_error: None,
                link: false,
                bundled: p.bundled,
                may_be_absent: p.scopes.contains(&Scope::Optional)
                    || p.scopes.contains(&Scope::Peer),
                dev: p.scopes.contains(&Scope::Dev),
            });
        }
    }
    entries.sort_by(|a, b| a.key.cmp(&b.key));
    entries.dedup_by(|a, b| a.key == b.key);
    entries
}

/// The package name an install path gives (`node_modules/@s/a` → `@s/a`).
fn name_from_key(key: &str) -> &str {
    let tail = key.rsplit_once("node_modules/").map_or(key, |(_, t)| t);
    let tail = tail.trim_end_matches('/');
    match tail.split_once('/') {
        Some((scope, _)) if scope.starts_with('@') => tail,
        _ => tail.rsplit('/').next().unwrap_or(tail),
    }
}

/// Node's `process.platform` for this build.
fn node_os() -> &'static str {
    match std::env::consts::OS {
        "macos" => "darwin",
        "windows" => "win32",
        other => other,
    }
}

/// Node's `process.arch` for this build.
fn node_cpu() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "x64",
        "x86" => "ia32",
        "aarch64" => "arm64",
        "powerpc64" => "ppc64",
        "loongarch64" => "loong64",
        other => other,
    }
}

/// npm's name for the C library of this build (Linux only).
fn node_libc() -> &'static str {
    if cfg!(target_env = "musl") {
        "musl"
    } else {
        "glibc"
    }
}

/// npm-install-checks' `checkList`: `["any"]`, allow lists and `!negations`.
fn list_applies(list: Option<&serde_json::Value>, value: &str) -> bool {
    let items: Vec<&str> = match list {
        None => return true,
        Some(serde_json::Value::String(s)) => vec![s.as_str()],
        Some(serde_json::Value::Array(a)) => a.iter().filter_map(|v| v.as_str()).collect(),
        Some(_) => return true,
    };
    if items.is_empty() || items == ["any"] {
        return true;
    }
    let mut negated = 0;
    let mut matched = false;
    for item in &items {
        if let Some(not) = item.strip_prefix('!') {
            negated += 1;
            if not == value {
                return false;
            }
        } else if *item == value {
            matched = true;
        }
    }
    matched || negated == items.len()
}

// --- the project -----------------------------------------------------------------------------

/// Where a tarball is read from.
#[derive(Debug, Clone)]
enum Tarball {
    /// A `_cacache` content file.
    Cached(cacache::Content),
    /// A `file:` tarball of the project.
    Local { path: PathBuf, size: u64 },
    /// To be downloaded.
    Fetch(String),
}

impl Tarball {
    fn size(&self) -> u64 {
        match self {
            Self::Cached(c) => c.size,
            Self::Local { size, .. } => *size,
            Self::Fetch(_) => u64::MAX, // unknown: start downloads first
        }
    }
}

/// One tarball to verify.
struct Job {
    entry: usize,
    tarball: Tarball,
}

/// One lockfile (or hidden lockfile) and the tree it describes.
struct Project<'a> {
    /// The project folder (holding `node_modules`).
    root: &'a Path,
    /// How the project folder is shown (`""` or `sub/`).
    shown: String,
    /// The lockfile as shown.
    lockfile: String,
    entries: Vec<Entry>,
    by_key: HashMap<String, usize>,
    bundled: HashSet<String>,
    packages: HashMap<&'a str, &'a Package>,
    options: &'a Options,
    cache: Option<Cacache>,
}

/// What the walk of the installed tree found.
#[derive(Default)]
struct Installed {
    /// Locked package folders present.
    present: HashSet<String>,
    /// What stands where the lockfile has a package folder, when it is not a folder:
    /// key → (what, link target).
    not_folders: HashMap<String, (String, Option<String>)>,
}

impl<'a> Project<'a> {
    fn new(
        root: &'a Path,
        shown: String,
        lockfile: String,
        entries: Vec<Entry>,
        source: &SourceRef<'a>,
        options: &'a Options,
    ) -> Self {
        let by_key = entries
            .iter()
            .enumerate()
            .map(|(i, e)| (e.key.clone(), i))
            .collect();
        let bundled = entries
            .iter()
            .filter(|e| e.bundled && !e.link)
            .map(|e| e.key.clone())
            .collect();
        let mut packages = HashMap::new();
        for p in &source.lockfile.packages {
            for loc in &p.locations {
                if let Some(k) = &loc.key {
                    packages.entry(k.as_str()).or_insert(p);
                }
            }
        }
        Self {
            root,
            shown,
            lockfile,
            entries,
            by_key,
            bundled,
            packages,
            options,
            cache: options.npm_cache.as_ref().map(Cacache::new),
        }
    }

    fn shown(&self, key: &str) -> String {
        format!("{}{key}", self.shown)
    }

    /// The package reference and location of a finding about the entry at `key`.
    fn package_of(&self, e: &Entry) -> (PackageRef, Location) {
        if let Some(p) = self.packages.get(e.key.as_str()) {
            let loc = p
                .locations
                .iter()
                .find(|l| l.key.as_deref() == Some(e.key.as_str()))
                .cloned()
                .unwrap_or_else(|| Location::new(&self.lockfile, None).with_key(&e.key));
            return (crate::package_ref(p), loc);
        }
        let origin = match &e.resolved {
            Some(url) => Origin::Registry {
                url: Some(url.clone()),
            },
            None => Origin::registry(),
        };
        let p = Package::new(Ecosystem::Npm, &e.name, e.version.clone(), origin);
        (
            crate::package_ref(&p),
            Location::new(&self.lockfile, None).with_key(&e.key),
        )
    }

    fn finding(
        &self,
        code: FindingCode,
        e: &Entry,
        message: String,
        evidence: Evidence,
    ) -> Finding {
        let (package, location) = self.package_of(e);
        crate::finding(code, package, message, vec![location], evidence)
    }

    fn label(e: &Entry) -> String {
        if e.version.is_empty() {
            e.name.clone()
        } else {
            format!("{}@{}", e.name, e.version)
        }
    }

    fn run(&self, out: &mut Outcome) {
        let installed_entries: Vec<usize> = (0..self.entries.len())
            .filter(|&i| self.entries[i].is_installed() && !self.entries[i].link)
            .collect();
        if installed_entries.is_empty() {
            return;
        }
        let node_modules = self.root.join("node_modules");
        let tree_missing = match fs_err::symlink_metadata(&node_modules) {
            Ok(m) => !m.is_dir(),
            Err(e) if e.kind() == io::ErrorKind::NotFound => true,
            Err(e) => {
                out.unchecked(self.shown("node_modules"), format!("cannot read: {e}"));
                return;
            }
        };
        if tree_missing {
            out.unchecked(
                self.shown("node_modules"),
                format!(
                    "not installed (no node_modules folder): the {} locked packages were not compared; only tarballs already in the npm cache were checked against {}",
                    installed_entries.len(),
                    self.lockfile
                ),
            );
            let jobs: Vec<Job> = installed_entries
                .iter()
                .filter(|&&i| !self.entries[i].bundled)
                .filter_map(|&i| match self.locate(&self.entries[i], false) {
                    Ok(Some(tarball)) => Some(Job { entry: i, tarball }),
                    _ => {
                        out.stats.not_cached += 1;
                        None
                    }
                })
                .collect();
            self.run_jobs(jobs, false, out);
            return;
        }

        // Step 2: the installed tree.
        let installed = self.walk(out);
        let dev_omitted = {
            let mut dev = self
                .entries
                .iter()
                .filter(|e| e.is_installed() && !e.link && e.dev && !e.may_be_absent);
            let any_dev = dev.clone().next().is_some();
            any_dev && !dev.any(|e| installed.present.contains(&e.key))
        };
        let mut jobs = Vec::new();
        let mut not_cached: Vec<String> = Vec::new();
        for &i in &installed_entries {
            let e = &self.entries[i];
            if !installed.present.contains(&e.key) {
                if let Some((what, target)) = installed.not_folders.get(&e.key) {
                    out.findings.push(self.finding(
                        FindingCode::NotInstalled,
                        e,
                        format!(
                            "{} pins {} at {}, but {what} stands there (not followed)",
                            self.lockfile,
                            Self::label(e),
                            e.key
                        ),
                        Evidence {
                            file: Some(e.key.clone()),
                            value: target.clone(),
                            ..Evidence::default()
                        },
                    ));
                } else if !(e.may_be_absent || e.dev && dev_omitted) {
                    out.findings.push(self.finding(
                        FindingCode::NotInstalled,
                        e,
                        format!(
                            "{} pins {} at {}, which is not installed",
                            self.lockfile,
                            Self::label(e),
                            e.key
                        ),
                        Evidence {
                            file: Some(e.key.clone()),
                            ..Evidence::default()
                        },
                    ));
                }
                continue;
            }
            if e.bundled {
                continue; // compared as part of the package that bundles it
            }
            // Step 3: find its tarball.
            match self.locate(e, true) {
                Ok(Some(tarball)) => jobs.push(Job { entry: i, tarball }),
                Ok(None) => {}
                Err(message) if message == OFFLINE => not_cached.push(self.shown(&e.key)),
                Err(message) => out.unchecked(self.shown(&e.key), message),
            }
        }
        out.stats.not_cached += not_cached.len() as u64;
        if jobs.is_empty() && not_cached.len() > 1 {
            // Not one tarball cached: another cache, or none; one entry says it.
            let cache = self.cache.as_ref().map_or_else(
                || "no npm cache given".to_owned(),
                |c| c.root().display().to_string(),
            );
            out.unchecked(
                &self.lockfile,
                format!(
                    "none of the tarballs of its {} installed packages is in the npm cache ({cache}; another cache? see --npm-cache), and --offline: nothing was compared",
                    not_cached.len()
                ),
            );
        } else {
            for path in not_cached {
                out.unchecked(path, OFFLINE);
            }
        }
        self.run_jobs(jobs, true, out);
    }

    /// Steps 4 to 6 for every job, in parallel, largest tarballs first.
    fn run_jobs(&self, mut jobs: Vec<Job>, compare: bool, out: &mut Outcome) {
        jobs.sort_by_key(|j| std::cmp::Reverse(j.tarball.size()));
        let downloads = jobs
            .iter()
            .filter(|j| matches!(j.tarball, Tarball::Fetch(_)))
            .count() as u64;
        let progress = self.options.progress.as_deref().filter(|_| downloads > 0);
        if let Some(p) = progress {
            p.start("Downloading npm tarballs", downloads);
        }
        let next = AtomicUsize::new(0);
        let merged = Mutex::new(Outcome::default());
        let workers = rayon::current_num_threads().clamp(1, jobs.len().max(1));
        rayon::scope(|s| {
            for _ in 0..workers {
                s.spawn(|_| {
                    let mut scratch = Scratch::new();
                    let mut local = Outcome::default();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(job) = jobs.get(i) else { break };
                        let fetched = matches!(job.tarball, Tarball::Fetch(_));
                        self.verify_package(
                            &self.entries[job.entry],
                            &job.tarball,
                            compare,
                            &mut scratch,
                            &mut local,
                        );
                        if fetched && let Some(p) = progress {
                            p.advance(1);
                        }
                    }
                    merged
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner)
                        .merge(local);
                });
            }
        });
        if let Some(p) = progress {
            p.finish();
        }
        out.merge(
            merged
                .into_inner()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        );
    }

    // --- step 2: the installed tree ----------------------------------------------------------

    fn walk(&self, out: &mut Outcome) -> Installed {
        let mut installed = Installed::default();
        let mut roots = vec!["node_modules".to_owned()];
        for e in &self.entries {
            if !e.is_installed() && !e.link {
                roots.push(format!("{}/node_modules", e.key));
            }
        }
        for root in roots {
            self.list_modules(&root, 0, &mut installed, out);
        }
        installed
    }

    /// Lists the packages of the `node_modules` folder at `prefix` (a project-relative path).
    fn list_modules(
        &self,
        prefix: &str,
        depth: usize,
        installed: &mut Installed,
        out: &mut Outcome,
    ) {
        if depth > MAX_DEPTH {
            out.unchecked(self.shown(prefix), "nested too deeply; not read");
            return;
        }
        let rd = match fs_err::read_dir(self.root.join(prefix)) {
            Ok(rd) => rd,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return,
            Err(e) => {
                out.unchecked(self.shown(prefix), format!("cannot list: {e}"));
                return;
            }
        };
        let mut items = Vec::new();
        for entry in rd {
            match entry {
                Ok(entry) => {
                    let name = entry.file_name().to_string_lossy().into_owned();
                    if name.starts_with('.') {
                        continue;
                    }
                    match entry.file_type() {
                        Ok(t) => items.push((name, t)),
                        Err(e) => {
                            out.unchecked(self.shown(&format!("{prefix}/{name}")), e.to_string())
                        }
                    }
                }
                Err(e) => out.unchecked(self.shown(prefix), format!("cannot list: {e}")),
            }
        }
        items.sort_by(|a, b| a.0.cmp(&b.0));
        for (name, t) in items {
            let key = format!("{prefix}/{name}");
            if name.starts_with('@') && t.is_dir() {
                let rd = match fs_err::read_dir(self.root.join(&key)) {
                    Ok(rd) => rd,
                    Err(e) => {
                        out.unchecked(self.shown(&key), format!("cannot list: {e}"));
                        continue;
                    }
                };
                let mut scoped: Vec<(String, std::fs::FileType)> = rd
                    .filter_map(Result::ok)
                    .filter_map(|e| {
                        let n = e.file_name().to_string_lossy().into_owned();
                        (!n.starts_with('.')).then_some((n, e.file_type().ok()?))
                    })
                    .collect();
                scoped.sort_by(|a, b| a.0.cmp(&b.0));
                for (sub, st) in scoped {
                    self.candidate(&format!("{key}/{sub}"), st, depth, installed, out);
                }
            } else {
                self.candidate(&key, t, depth, installed, out);
            }
        }
    }

    /// One entry at a package position of a `node_modules` folder.
    fn candidate(
        &self,
        key: &str,
        t: std::fs::FileType,
        depth: usize,
        installed: &mut Installed,
        out: &mut Outcome,
    ) {
        let locked = self.by_key.get(key).map(|&i| &self.entries[i]);
        if t.is_symlink() {
            let target = fs_err::read_link(self.root.join(key))
                .map(|p| p.to_string_lossy().into_owned())
                .unwrap_or_default();
            match locked {
                Some(e) if e.link => {}
                Some(_) => {
                    installed.not_folders.insert(
                        key.to_owned(),
                        (format!("a symbolic link to `{target}`"), Some(target)),
                    );
                }
                None => out.findings.push(self.stray(
                    key,
                    format!("{key} is a symbolic link to `{target}` that {} does not list (not followed)", self.lockfile),
                    Some(target),
                )),
            }
            return;
        }
        if t.is_dir() {
            match locked {
                Some(e) if !e.link => {
                    installed.present.insert(key.to_owned());
                    self.list_modules(&format!("{key}/node_modules"), depth + 1, installed, out);
                }
                _ => {
                    let dir = self.root.join(key);
                    let has_manifest = dir.join("package.json").is_file();
                    let empty = !has_manifest
                        && fs_err::read_dir(&dir).is_ok_and(|mut rd| rd.next().is_none());
                    if !empty {
                        let what = if has_manifest {
                            "a package folder"
                        } else {
                            "a folder without package.json"
                        };
                        out.findings.push(self.stray(
                            key,
                            format!("{key} is {what} that {} does not list", self.lockfile),
                            None,
                        ));
                    }
                }
            }
            return;
        }
        if locked.is_some_and(|e| !e.link) {
            installed
                .not_folders
                .insert(key.to_owned(), ("a file".to_owned(), None));
            return;
        }
        // A loose file: `require('x')` loads `node_modules/x.js` before `node_modules/x/`.
        out.findings.push(self.stray(
            key,
            format!(
                "{key} is a file in a node_modules folder that {} does not list (require() can load it)",
                self.lockfile
            ),
            None,
        ));
    }

    /// A `not-in-lockfile` finding about what stands at `key`.
    fn stray(&self, key: &str, message: String, value: Option<String>) -> Finding {
        let (name, version) = read_manifest(&self.root.join(key).join("package.json"))
            .unwrap_or_else(|| (name_from_key(key).to_owned(), String::new()));
        let p = Package::new(Ecosystem::Npm, &name, version, Origin::registry());
        let location =
            Location::new(self.shown(&format!("{key}/package.json")), None).with_key(key);
        crate::finding(
            FindingCode::NotInLockfile,
            crate::package_ref(&p),
            message,
            vec![location],
            Evidence {
                file: Some(key.to_owned()),
                value,
                ..Evidence::default()
            },
        )
    }

    // --- step 3: find the tarball ------------------------------------------------------------

    /// The download URL of an entry: `resolved`, or the public registry's for registry
    /// packages whose lockfile omits it (`omit-lockfile-registry-resolved`).
    fn url_of(e: &Entry) -> Option<String> {
        match e.resolved.as_deref() {
            Some(r) if r.starts_with("https://") || r.starts_with("http://") => Some(r.to_owned()),
            Some(_) => None,
            None if !e.version.is_empty() && !e.name.is_empty() => {
                let short = e.name.rsplit('/').next().unwrap_or(&e.name);
                Some(format!(
                    "https://registry.npmjs.org/{}/-/{short}-{}.tgz",
                    e.name, e.version
                ))
            }
            None => None,
        }
    }

    /// Where the entry's tarball is; `Ok(None)` when it has none to compare and that is
    /// not a problem; `Err` with the unchecked message otherwise. `allow_fetch` is false
    /// when only the cache is consulted.
    fn locate(&self, e: &Entry, allow_fetch: bool) -> Result<Option<Tarball>, String> {
        let resolved = e.resolved.as_deref().unwrap_or("");
        if let Some(rel) = resolved.strip_prefix("file:") {
            let path = self.root.join(rel);
            return match fs_err::metadata(&path) {
                Ok(m) if m.is_file() => Ok(Some(Tarball::Local {
                    path,
                    size: m.len(),
                })),
                Ok(_) => Ok(None), // a folder: linked, not unpacked from a tarball
                Err(err) => Err(format!("its `{resolved}` tarball cannot be read: {err}")),
            };
        }
        if resolved.starts_with("git+")
            || resolved.starts_with("git:")
            || resolved.starts_with("github:")
        {
            return Err(format!(
                "a git dependency (`{resolved}`): npm packs it from a clone, so there is no pinned tarball to compare"
            ));
        }
        let url = Self::url_of(e);
        if let Some(cache) = &self.cache {
            match cache.find(&e.integrity, url.as_deref()) {
                Ok(Some(content)) => return Ok(Some(Tarball::Cached(content))),
                Ok(None) => {}
                Err(err) => return Err(format!("cannot read the npm cache: {err}")),
            }
        }
        if !allow_fetch {
            return Ok(None);
        }
        match (&self.options.fetch, url) {
            (None, _) => Err(OFFLINE.to_owned()),
            (Some(_), Some(url)) => Ok(Some(Tarball::Fetch(url))),
            (Some(_), None) => Err(format!(
                "not in the npm cache, and `{resolved}` is not a URL to download: cannot verify"
            )),
        }
    }

    // --- steps 4 to 6: one package -----------------------------------------------------------

    fn verify_package(
        &self,
        e: &Entry,
        tarball: &Tarball,
        compare: bool,
        scratch: &mut Scratch,
        out: &mut Outcome,
    ) {
        let shown_key = self.shown(&e.key);
        // What the bytes must hash to: the lockfile's strongest hash we compute, and the
        // cache address when it is another hash.
        if let Some(err) = &e.integrity_error {
            out.unchecked(&shown_key, format!("its integrity cannot be read: {err}"));
        }
        let mut expected: Vec<(Hash, bool)> = Vec::new(); // (hash, from the lockfile)
        let mut by_strength: Vec<&Hash> = e.integrity.iter().collect();
        by_strength.sort_by_key(|h| std::cmp::Reverse(cacache::strength(h.algorithm)));
        match by_strength
            .iter()
            .find(|h| Hasher::new(h.algorithm).is_some())
        {
            Some(h) => expected.push(((*h).clone(), true)),
            None if !e.integrity.is_empty() => out.unchecked(
                &shown_key,
                format!(
                    "unsupported hash algorithm ({}): the tarball cannot be checked against the lockfile",
                    e.integrity
                        .iter()
                        .map(|h| h.algorithm.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ),
            None => {}
        }
        if let Tarball::Cached(c) = tarball
            && !expected
                .iter()
                .any(|(h, _)| digest::same_digest(h, &c.address))
            && Hasher::new(c.address.algorithm).is_some()
        {
            expected.push((c.address.clone(), false));
        }

        // Open the bytes.
        let fetched;
        let (reader, shown_tarball): (Box<dyn Read + '_>, String) = match tarball {
            Tarball::Cached(c) => match fs_err::File::open(&c.path) {
                Ok(f) => (Box::new(f), c.path.display().to_string()),
                Err(err) => {
                    out.unchecked(&shown_key, format!("cannot read its cached tarball: {err}"));
                    return;
                }
            },
            Tarball::Local { path, .. } => match fs_err::File::open(path) {
                Ok(f) => (Box::new(f), path.display().to_string()),
                Err(err) => {
                    out.unchecked(&shown_key, format!("cannot read its tarball: {err}"));
                    return;
                }
            },
            Tarball::Fetch(url) => {
                let Some(fetch) = &self.options.fetch else {
                    out.unchecked(&shown_key, OFFLINE);
                    return;
                };
                match fetch.fetch(url, self.options.limits.max_archive_bytes) {
                    Ok(bytes) => {
                        fetched = bytes;
                        (Box::new(&fetched[..]), url.clone())
                    }
                    Err(err) => {
                        out.unchecked(
                            &shown_key,
                            format!("not in the npm cache, and the download failed: {err}"),
                        );
                        return;
                    }
                }
            }
        };
        if expected.is_empty() {
            out.unchecked(
                &shown_key,
                format!(
                    "{} records no integrity for it: its tarball is not pinned",
                    self.lockfile
                ),
            );
        }

        // Steps 4 and 5: stream the tarball once.
        let listing = if compare {
            match self.list_package(&e.key) {
                Ok(l) => Some(l),
                Err(err) => {
                    out.unchecked(
                        &shown_key,
                        format!("cannot list the installed folder: {err}"),
                    );
                    None
                }
            }
        } else {
            None
        };
        let mut tee = Tee {
            inner: reader,
            hashers: expected
                .iter()
                .filter_map(|(h, _)| Hasher::new(h.algorithm))
                .collect(),
            read: 0,
        };
        let mut state = PackageState {
            dir: self.root.join(&e.key),
            listing,
            results: HashMap::new(),
            npmignores: HashSet::new(),
            unsafe_entries: Vec::new(),
            stats: Stats::default(),
        };
        let read = archive::read_tar_gz(&mut tee, &self.options.limits, |entry| {
            state.visit(entry, scratch)
        });
        // Hash what the reader did not need (end-of-archive padding, gzip trailer).
        let limit = self.options.limits.max_archive_bytes;
        let complete = match io::copy(
            &mut (&mut tee).take(limit.saturating_add(1)),
            &mut io::sink(),
        ) {
            Ok(_) => tee.read <= limit,
            Err(_) => false,
        };
        out.stats.archives += 1;
        out.stats.bytes += tee.read;

        for (raw, why) in &state.unsafe_entries {
            out.findings.push(self.finding(
                FindingCode::UnsafeArchiveEntry,
                e,
                format!(
                    "the tarball of {} holds the entry `{raw}`: {why}",
                    Self::label(e)
                ),
                Evidence {
                    file: Some(format!("{shown_tarball}!/{raw}")),
                    value: Some(raw.clone()),
                    ..Evidence::default()
                },
            ));
        }

        // Step 4: the bytes against the lockfile and the cache address.
        let mut mismatched = false;
        if complete {
            let hashers = std::mem::take(&mut tee.hashers);
            for (hasher, (want, from_lockfile)) in hashers.into_iter().zip(&expected) {
                let got = hasher.finish();
                if digest::same_digest(&got, want) {
                    continue;
                }
                mismatched = true;
                let message = if *from_lockfile {
                    format!(
                        "the tarball of {} ({shown_tarball}) does not match the {} integrity in {}",
                        Self::label(e),
                        want.algorithm,
                        self.lockfile
                    )
                } else {
                    format!(
                        "the cached tarball of {} ({shown_tarball}) does not hash to its own cache address: the cache was tampered with",
                        Self::label(e)
                    )
                };
                out.findings.push(self.finding(
                    FindingCode::IntegrityMismatch,
                    e,
                    message,
                    Evidence {
                        file: Some(shown_tarball.clone()),
                        expected: Some(want.clone()),
                        actual: Some(got),
                        value: e.resolved.clone(),
                    },
                ));
            }
        }
        if mismatched {
            // Installed files are not compared with bytes that are not the pinned ones; the
            // real tarball can be downloaded instead.
            if let (Tarball::Cached(_), Some(_), Some(url)) =
                (tarball, &self.options.fetch, Self::url_of(e))
            {
                self.verify_package(e, &Tarball::Fetch(url), compare, scratch, out);
            } else if compare {
                out.unchecked(
                    &shown_key,
                    "its installed files were not compared: its tarball does not match the lockfile",
                );
            }
            return;
        }
        match read {
            Ok(_) if complete => {}
            Ok(_) => {
                out.unchecked(
                    &shown_key,
                    format!("its tarball {shown_tarball} is larger than the {limit}-byte limit"),
                );
                return;
            }
            Err(err) => {
                let why = match err {
                    ArchiveError::Limit { .. } => err.to_string(),
                    _ => format!("cannot read its tarball {shown_tarball}: {err}"),
                };
                out.unchecked(&shown_key, why);
                return;
            }
        }
        out.stats.add(state.stats);
        if !compare {
            return;
        }
        out.stats.packages += 1;

        // Steps 5 and 6: findings per file.
        let mut results: Vec<(String, FileResult)> = state.results.into_iter().collect();
        results.sort_by(|a, b| a.0.cmp(&b.0));
        for (rel, result) in results {
            let file = format!("{}/{rel}", e.key);
            let (code, message, expected, actual) = match result {
                FileResult::Same => continue,
                FileResult::Modified { expected, actual } => (
                    FindingCode::FileModified,
                    format!(
                        "{file} differs from the file in the pinned tarball of {}",
                        Self::label(e)
                    ),
                    Some(expected),
                    Some(actual),
                ),
                FileResult::NotAFile { expected, what } => (
                    FindingCode::FileModified,
                    format!(
                        "{file} is {what} (not followed) where the pinned tarball of {} has a file",
                        Self::label(e)
                    ),
                    Some(expected),
                    None,
                ),
                FileResult::Missing { expected } => (
                    FindingCode::FileMissing,
                    format!(
                        "{file} of the pinned tarball of {} is not installed",
                        Self::label(e)
                    ),
                    Some(expected),
                    None,
                ),
                FileResult::Unreadable(why) => {
                    out.unchecked(self.shown(&file), format!("cannot read: {why}"));
                    continue;
                }
            };
            out.findings.push(self.finding(
                code,
                e,
                message,
                Evidence {
                    file: Some(file),
                    expected,
                    actual,
                    value: None,
                },
            ));
        }
        if let Some(listing) = state.listing {
            let mut added: Vec<(String, Listed)> =
                listing.into_iter().filter(|(_, l)| !l.seen).collect();
            added.sort_by(|a, b| a.0.cmp(&b.0));
            for (rel, listed) in added {
                let file = format!("{}/{rel}", e.key);
                let what = match listed.kind {
                    Kind::File => "a file",
                    Kind::Symlink => "a symbolic link",
                    Kind::Other => "a special file",
                };
                let actual = if listed.kind == Kind::File {
                    match digest::hash_file(HashAlgorithm::Sha512, &state.dir.join(&rel)) {
                        Ok(h) => h.map(|(h, _)| h),
                        Err(_) => None,
                    }
                } else {
                    None
                };
                out.findings.push(self.finding(
                    FindingCode::FileAdded,
                    e,
                    format!(
                        "{file} is {what} that the pinned tarball of {} does not have",
                        Self::label(e)
                    ),
                    Evidence {
                        file: Some(file.clone()),
                        actual,
                        ..Evidence::default()
                    },
                ));
            }
        }
    }

    /// Every file under the package folder at `key`, relative to it, except other
    /// packages' folders in its `node_modules` (bundled ones are listed: they come from
    /// this tarball).
    fn list_package(&self, key: &str) -> io::Result<HashMap<String, Listed>> {
        let mut listing = HashMap::new();
        // (relative folder with a trailing `/` or empty, is a package root)
        let mut stack: Vec<(String, bool)> = vec![(String::new(), true)];
        let base = self.root.join(key);
        while let Some((rel, package_root)) = stack.pop() {
            let dir = if rel.is_empty() {
                base.clone()
            } else {
                base.join(&rel)
            };
            for entry in fs_err::read_dir(&dir)? {
                let entry = entry?;
                let name = entry.file_name().to_string_lossy().into_owned();
                let t = entry.file_type()?;
                if t.is_dir() {
                    if package_root && name == "node_modules" {
                        self.bundled_children(key, &format!("{rel}node_modules/"), &mut stack)?;
                    } else {
                        stack.push((format!("{rel}{name}/"), false));
                    }
                    continue;
                }
                let kind = if t.is_file() {
                    Kind::File
                } else if t.is_symlink() {
                    Kind::Symlink
                } else {
                    Kind::Other
                };
                listing.insert(format!("{rel}{name}"), Listed { kind, seen: false });
            }
        }
        Ok(listing)
    }

    /// Pushes the bundled package folders of `<key>/<modules>` onto the listing stack.
    fn bundled_children(
        &self,
        key: &str,
        modules: &str,
        stack: &mut Vec<(String, bool)>,
    ) -> io::Result<()> {
        let prefix = format!("{key}/{modules}");
        if !self.bundled.iter().any(|b| b.starts_with(&prefix)) {
            return Ok(());
        }
        for entry in fs_err::read_dir(self.root.join(&prefix))? {
            let entry = entry?;
            if !entry.file_type()?.is_dir() {
                continue;
            }
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with('@') {
                for sub in fs_err::read_dir(entry.path())? {
                    let sub = sub?;
                    let sub_name = sub.file_name().to_string_lossy().into_owned();
                    if sub.file_type()?.is_dir()
                        && self.bundled.contains(&format!("{prefix}{name}/{sub_name}"))
                    {
                        stack.push((format!("{modules}{name}/{sub_name}/"), true));
                    }
                }
            } else if self.bundled.contains(&format!("{prefix}{name}")) {
                stack.push((format!("{modules}{name}/"), true));
            }
        }
        Ok(())
    }
}

/// `name` and `version` of a `package.json`, when readable.
fn read_manifest(path: &Path) -> Option<(String, String)> {
    #[derive(Deserialize)]
    struct Manifest {
        name: Option<String>,
        version: Option<String>,
    }
    let meta = fs_err::metadata(path).ok()?;
    if meta.len() > 16 * 1024 * 1024 {
        return None;
    }
    let text = fs_err::read(path).ok()?;
    let m: Manifest = serde_json::from_slice(&text).ok()?;
    Some((m.name?, m.version.unwrap_or_default()))
}

// --- streaming -------------------------------------------------------------------------------

/// Hashes every byte read through it.
struct Tee<R> {
    inner: R,
    hashers: Vec<Hasher>,
    read: u64,
}

impl<R: Read> Read for Tee<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        for h in &mut self.hashers {
            h.update(&buf[..n]);
        }
        self.read += n as u64;
        Ok(n)
    }
}

/// Per-worker buffers.
struct Scratch {
    entry: Vec<u8>,
    file: Vec<u8>,
}

impl Scratch {
    fn new() -> Self {
        Self {
            entry: vec![0; CHUNK],
            file: vec![0; CHUNK],
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    File,
    Symlink,
    Other,
}

/// One path of the installed package folder.
#[derive(Debug, Clone, Copy)]
struct Listed {
    kind: Kind,
    /// A tarball entry produced it.
    seen: bool,
}

/// How one tarball file compares with the installed one.
#[derive(Debug)]
enum FileResult {
    Same,
    Modified { expected: Hash, actual: Hash },
    NotAFile { expected: Hash, what: &'static str },
    Missing { expected: Hash },
    Unreadable(String),
}

/// What streaming one tarball collects.
struct PackageState {
    /// The installed package folder.
    dir: PathBuf,
    /// Its files (`None` when not comparing).
    listing: Option<HashMap<String, Listed>>,
    /// Per install-relative path, the last entry's result (later duplicates win).
    results: HashMap<String, FileResult>,
    /// `.npmignore` entries seen (raw names), for the `.gitignore` rename.
    npmignores: HashSet<String>,
    /// (raw name, why) of absolute, `..` and link entries.
    unsafe_entries: Vec<(String, String)>,
    stats: Stats,
}

impl PackageState {
    fn visit(&mut self, entry: archive::ArchiveEntry<'_>, scratch: &mut Scratch) -> io::Result<()> {
        let raw = entry.raw_path;
        match &entry.kind {
            EntryKind::Symlink(target) => {
                self.unsafe_entries.push((
                    raw,
                    format!(
                        "a symbolic link to `{target}` (npm does not extract links; not followed)"
                    ),
                ));
                return Ok(());
            }
            EntryKind::Hardlink(target) => {
                self.unsafe_entries.push((
                    raw,
                    format!("a hard link to `{target}` (npm does not extract links; not followed)"),
                ));
                return Ok(());
            }
            EntryKind::Directory | EntryKind::Other(_) => return Ok(()),
            EntryKind::File => {}
        }
        if raw.ends_with('/') {
            return Ok(()); // an old-style folder entry
        }
        if let Err(why) = &entry.path {
            let note = if npm_target(&raw).is_some() {
                "npm extracts it below the package folder"
            } else {
                "npm does not extract it"
            };
            self.unsafe_entries
                .push((raw.clone(), format!("{why} ({note})")));
        }
        let Some(mut target) = npm_target(&raw) else {
            return Ok(());
        };
        // pacote: `.gitignore` is renamed `.npmignore` unless one was already extracted.
        let base = raw.rsplit('/').next().unwrap_or(&raw);
        if base == ".npmignore" {
            self.npmignores.insert(raw.clone());
        } else if let (Some(dir), Some(target_dir)) = (
            raw.strip_suffix(".gitignore")
                .filter(|_| base == ".gitignore"),
            target.strip_suffix(".gitignore"),
        ) {
            if self.npmignores.contains(&format!("{dir}.npmignore")) {
                return Ok(());
            }
            target = format!("{target_dir}.npmignore");
        }
        let Some(listing) = &mut self.listing else {
            return Ok(());
        };
        let path = self.dir.join(&target);
        let kind = match listing.get_mut(&target) {
            Some(l) => {
                l.seen = true;
                Some(l.kind)
            }
            // Not listed: outside the listed folders (another package's folder), or absent.
            None => match fs_err::symlink_metadata(&path) {
                Ok(m) if m.is_file() => Some(Kind::File),
                Ok(m) if m.is_symlink() => Some(Kind::Symlink),
                Ok(_) => Some(Kind::Other),
                Err(_) => None,
            },
        };
        let result = match kind {
            Some(Kind::File) => {
                self.stats.files += 1;
                compare_file(&path, entry.reader, entry.size, scratch, &mut self.stats)?
            }
            Some(Kind::Symlink) => FileResult::NotAFile {
                expected: hash_entry(entry.reader)?,
                what: "a symbolic link",
            },
            Some(Kind::Other) => FileResult::NotAFile {
                expected: hash_entry(entry.reader)?,
                what: "not a regular file",
            },
            None => FileResult::Missing {
                expected: hash_entry(entry.reader)?,
            },
        };
        self.results.insert(target, result);
        Ok(())
    }
}

/// Where npm (pacote over node-tar, `strip: 1`) writes a file entry, relative to the
/// package folder; `None` when it does not write it.
fn npm_target(raw: &str) -> Option<String> {
    // Strip the first component, whatever it is (usually `package`).
    let (_, rest) = raw.split_once('/')?;
    // An absolute remainder has its root stripped.
    let mut rest = rest;
    loop {
        let b = rest.as_bytes();
        if rest.starts_with('/') || rest.starts_with('\\') {
            rest = &rest[1..];
        } else if b.len() >= 2 && b[0].is_ascii_alphabetic() && b[1] == b':' {
            rest = &rest[2..];
        } else {
            break;
        }
    }
    if rest.split(['/', '\\']).any(|p| p == "..") {
        return None;
    }
    let parts: Vec<&str> = rest
        .split('/')
        .filter(|p| !p.is_empty() && *p != ".")
        .collect();
    if parts.is_empty() {
        return None;
    }
    Some(parts.join("/"))
}

/// The SHA-512 of the rest of a tarball entry.
fn hash_entry(reader: &mut dyn Read) -> io::Result<Hash> {
    match digest::hash_reader(HashAlgorithm::Sha512, reader)? {
        Some((h, _)) => Ok(h),
        None => Err(io::Error::other("sha512 is not computed")),
    }
}

/// Reads until `buf` is full or the reader ends; returns the count.
fn read_full(reader: &mut dyn Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match reader.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// Reads exactly `buf.len()` bytes of a tarball entry.
fn read_entry(reader: &mut dyn Read, buf: &mut [u8]) -> io::Result<()> {
    if read_full(reader, buf)? < buf.len() {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "a tarball entry is shorter than its header says",
        ));
    }
    Ok(())
}

/// The index of the `\r` that bin-links removes from a `#!...\r\n` first line found in
/// the first 2,048 bytes.
fn shebang_cr(head: &[u8]) -> Option<usize> {
    if !head.starts_with(b"#!") {
        return None;
    }
    let window = &head[..head.len().min(2048)];
    let nl = window.iter().position(|&b| b == b'\n')?;
    (nl >= 4 && window[nl - 1] == b'\r').then_some(nl - 1)
}

/// Compares a tarball entry with the installed file, chunk by chunk. `Err` only when the
/// tarball itself cannot be read; problems with the installed file are results.
fn compare_file(
    path: &Path,
    entry: &mut dyn Read,
    size: u64,
    s: &mut Scratch,
    stats: &mut Stats,
) -> io::Result<FileResult> {
    let mut file = match fs_err::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Ok(FileResult::Missing {
                expected: hash_entry(entry)?,
            });
        }
        Err(e) => return Ok(FileResult::Unreadable(e.to_string())),
    };
    stats.bytes += size;
    let first = usize::try_from(size.min(CHUNK as u64)).unwrap_or(CHUNK);
    read_entry(entry, &mut s.entry[..first])?;
    // npm's one rewrite: bin-links drops the `\r` of a `#!...\r\n` first line.
    let cr = shebang_cr(&s.entry[..first]).filter(|_| {
        file.metadata()
            .is_ok_and(|m| m.len().saturating_add(1) == size)
    });
    let (a, b) = match cr {
        Some(i) => (&s.entry[..i], &s.entry[i + 1..first]),
        None => (&s.entry[..first], &s.entry[first..first]),
    };
    let want = a.len() + b.len();
    let got = match read_full(&mut file, &mut s.file[..want]) {
        Ok(n) => n,
        Err(e) => return Ok(FileResult::Unreadable(e.to_string())),
    };
    if got != want || s.file[..a.len()] != *a || s.file[a.len()..want] != *b {
        return differ(&mut file, 0, first, entry, cr, s);
    }
    let mut pos = want as u64;
    let mut remaining = size - first as u64;
    while remaining > 0 {
        let len = usize::try_from(remaining.min(CHUNK as u64)).unwrap_or(CHUNK);
        read_entry(entry, &mut s.entry[..len])?;
        let got = match read_full(&mut file, &mut s.file[..len]) {
            Ok(n) => n,
            Err(e) => return Ok(FileResult::Unreadable(e.to_string())),
        };
        if got != len || s.entry[..len] != s.file[..len] {
            return differ(&mut file, pos, len, entry, cr, s);
        }
        pos += len as u64;
        remaining -= len as u64;
    }
    let mut one = [0u8; 1];
    match read_full(&mut file, &mut one) {
        Ok(0) => Ok(FileResult::Same),
        Ok(_) => differ(&mut file, pos, 0, entry, cr, s),
        Err(e) => Ok(FileResult::Unreadable(e.to_string())),
    }
}

/// The hashes of an entry and a file found to differ. The file's first `pos` bytes were
/// equal to the entry's (after the bin-links rewrite at `cr`); `s.entry[..pending]` holds
/// the entry's next raw bytes, and the rest is still in `entry`.
fn differ(
    file: &mut fs_err::File,
    pos: u64,
    pending: usize,
    entry: &mut dyn Read,
    cr: Option<usize>,
    s: &mut Scratch,
) -> io::Result<FileResult> {
    let mut entry_hash = Hasher::new(HashAlgorithm::Sha512)
        .ok_or_else(|| io::Error::other("sha512 is not computed"))?;
    // The equal prefix, read back from the installed file.
    if pos > 0 {
        if let Err(e) = file.seek(SeekFrom::Start(0)) {
            return Ok(FileResult::Unreadable(e.to_string()));
        }
        let mut done = 0u64;
        while done < pos {
            let len = usize::try_from((pos - done).min(CHUNK as u64)).unwrap_or(CHUNK);
            match read_full(file, &mut s.file[..len]) {
                Ok(n) if n == len => {}
                Ok(_) => return Ok(FileResult::Unreadable("the file changed while read".into())),
                Err(e) => return Ok(FileResult::Unreadable(e.to_string())),
            }
            let chunk = &s.file[..len];
            match cr.map(|i| i as u64) {
                Some(i) if i >= done && i < done + len as u64 => {
                    let at = usize::try_from(i - done).unwrap_or(len);
                    entry_hash.update(&chunk[..at]);
                    entry_hash.update(b"\r");
                    entry_hash.update(&chunk[at..]);
                }
                _ => entry_hash.update(chunk),
            }
            done += len as u64;
        }
    }
    entry_hash.update(&s.entry[..pending]);
    loop {
        let n = read_full(entry, &mut s.entry[..])?;
        if n == 0 {
            break;
        }
        entry_hash.update(&s.entry[..n]);
    }
    if let Err(e) = file.seek(SeekFrom::Start(0)) {
        return Ok(FileResult::Unreadable(e.to_string()));
    }
    let actual = match digest::hash_reader(HashAlgorithm::Sha512, &mut *file) {
        Ok(Some((h, _))) => h,
        Ok(None) => return Err(io::Error::other("sha512 is not computed")),
        Err(e) => return Ok(FileResult::Unreadable(e.to_string())),
    };
    Ok(FileResult::Modified {
        expected: entry_hash.finish(),
        actual,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_follow_npm_extraction() {
        assert_eq!(npm_target("package/index.js").as_deref(), Some("index.js"));
        assert_eq!(npm_target("other/lib/a.js").as_deref(), Some("lib/a.js"));
        assert_eq!(
            npm_target("./package/a.js").as_deref(),
            Some("package/a.js")
        );
        assert_eq!(
            npm_target("package//lib/./a.js").as_deref(),
            Some("lib/a.js")
        );
        assert_eq!(npm_target("package"), None);
        assert_eq!(npm_target("package/"), None);
        assert_eq!(npm_target("package/../evil"), None);
        assert_eq!(npm_target("package/a\\..\\b"), None);
        // The first component is stripped before anything else, as node-tar does.
        assert_eq!(npm_target("../evil").as_deref(), Some("evil"));
        assert_eq!(npm_target("/etc/passwd").as_deref(), Some("etc/passwd"));
        assert_eq!(npm_target("package//etc/x").as_deref(), Some("etc/x"));
        assert_eq!(npm_target("package/a\\b").as_deref(), Some("a\\b"));
    }

    #[test]
    fn platform_lists_follow_npm_install_checks() {
        let v = |s: &str| serde_json::from_str::<serde_json::Value>(s).unwrap();
        assert!(list_applies(None, "linux"));
        assert!(list_applies(Some(&v(r#"["linux"]"#)), "linux"));
        assert!(!list_applies(Some(&v(r#"["darwin"]"#)), "linux"));
        assert!(list_applies(Some(&v(r#"["!win32"]"#)), "linux"));
        assert!(!list_applies(Some(&v(r#"["!linux"]"#)), "linux"));
        assert!(list_applies(Some(&v(r#""any""#)), "linux"));
        assert!(list_applies(Some(&v(r#"["any"]"#)), "linux"));
        assert!(!list_applies(Some(&v(r#"["darwin", "!linux"]"#)), "linux"));
    }

    #[test]
    fn finds_the_carriage_return_bin_links_removes() {
        assert_eq!(shebang_cr(b"#!/usr/bin/env node\r\nx"), Some(19));
        assert_eq!(shebang_cr(b"#!/usr/bin/env node\nx"), None);
        assert_eq!(shebang_cr(b"#!\r\n"), None);
        assert_eq!(shebang_cr(b"x#!a\r\n"), None);
    }

    #[test]
    fn names_come_from_install_paths() {
        assert_eq!(name_from_key("node_modules/a"), "a");
        assert_eq!(name_from_key("node_modules/@s/a"), "@s/a");
        assert_eq!(name_from_key("node_modules/a/node_modules/@s/b"), "@s/b");
        assert_eq!(name_from_key("packages/x/node_modules/b"), "b");
    }

    fn scratch_compare(entry: &[u8], file: &[u8]) -> FileResult {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, file).unwrap();
        let mut s = Scratch::new();
        let mut stats = Stats::default();
        let mut reader = entry;
        compare_file(&path, &mut reader, entry.len() as u64, &mut s, &mut stats).unwrap()
    }

    fn sha512(bytes: &[u8]) -> Hash {
        digest::hash_reader(HashAlgorithm::Sha512, bytes)
            .unwrap()
            .unwrap()
            .0
    }

    #[test]
    fn compares_bytes_and_hashes_only_differences() {
        assert!(matches!(
            scratch_compare(b"same", b"same"),
            FileResult::Same
        ));
        assert!(matches!(scratch_compare(b"", b""), FileResult::Same));
        // Differences at the start, in a later chunk, and in length, both ways.
        let big: Vec<u8> = (0..3 * CHUNK + 17).map(|i| (i % 251) as u8).collect();
        let mut late = big.clone();
        late[2 * CHUNK + 5] ^= 1;
        let mut longer = big.clone();
        longer.push(0);
        for (entry, file) in [
            (&b"abc"[..], &b"abd"[..]),
            (&big[..], &late[..]),
            (&big[..], &longer[..]),
            (&longer[..], &big[..]),
            (&big[..], &big[..CHUNK]),
        ] {
            match scratch_compare(entry, file) {
                FileResult::Modified { expected, actual } => {
                    assert_eq!(expected, sha512(entry));
                    assert_eq!(actual, sha512(file));
                }
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn accepts_the_bin_links_shebang_rewrite_only() {
        let entry = b"#!/usr/bin/env node\r\nconsole.log(1)\r\n";
        let fixed = b"#!/usr/bin/env node\nconsole.log(1)\r\n";
        assert!(matches!(scratch_compare(entry, entry), FileResult::Same));
        assert!(matches!(scratch_compare(entry, fixed), FileResult::Same));
        let other = b"#!/usr/bin/env node\nconsole.log(2)\r\n";
        match scratch_compare(entry, other) {
            FileResult::Modified { expected, actual } => {
                assert_eq!(expected, sha512(entry));
                assert_eq!(actual, sha512(other));
            }
            r => panic!("{r:?}"),
        }
        // A long file whose difference is after the first chunk keeps the `\r` in the
        // entry's hash.
        let mut long = entry.to_vec();
        long.extend(std::iter::repeat_n(b'x', 2 * CHUNK));
        let mut installed = fixed.to_vec();
        installed.extend(std::iter::repeat_n(b'x', 2 * CHUNK));
        assert!(matches!(
            scratch_compare(&long, &installed),
            FileResult::Same
        ));
        let n = installed.len();
        installed[n - 3] = b'y';
        match scratch_compare(&long, &installed) {
            FileResult::Modified { expected, actual } => {
                assert_eq!(expected, sha512(&long));
                assert_eq!(actual, sha512(&installed));
            }
            r => panic!("{r:?}"),
        }
    }
}
