//! Python: installed files against RECORD, downloaded dists against lockfile hashes.
//!
//! # `site-packages` (`verify_site_packages`)
//!
//! 1. Every `*.dist-info` folder's `RECORD` is read with
//!    [`chainward_python::site_packages::parse_record`] (CSV, quoted paths). A missing or
//!    malformed `RECORD`, and legacy `*.egg-info` installs (no hashes), are unchecked.
//! 2. Every row with a hash is compared with the file: a different hash → `file-modified`, a
//!    missing file → `file-missing`. Rows without a hash (`RECORD` itself, `.pyc` files pip
//!    compiled) are not compared. A hash we do not compute (MD5, BLAKE2b) is unchecked.
//!    Debian's own packages (in `dist-packages`, without an `INSTALLER` file) are unchecked:
//!    Debian strips binaries and moves scripts after writing `RECORD` (seen on a real
//!    Debian 12), so their `RECORD` no longer describes the files; `dpkg --verify` does.
//!    Debian's `RECORD` hex digests are read too.
//! 3. Paths are relative to `site-packages` and may leave it (`../../../bin/tool` for
//!    scripts, `../../../include/...` for headers). Such a path is checked when it stays
//!    inside the environment's prefix: `<prefix>/lib*/python*/site-packages` (or
//!    `dist-packages`, or Windows' `<prefix>/Lib/site-packages`) gives `<prefix>` (the venv
//!    folder, `/usr`, `/usr/local`); any other layout (`pip install --target`) gives the
//!    `site-packages` folder itself. Nothing is read outside it, lexically or through a
//!    symbolic link: those rows are one unchecked entry per distribution.
//! 4. The folders a distribution installs at the top of `site-packages` (the first component
//!    of its `RECORD` paths, its `.dist-info` included) are walked: a file that no `RECORD`
//!    of this `site-packages` lists → `file-added` (several distributions may share a
//!    namespace folder, so the union of every `RECORD` counts; the finding names the
//!    distribution owning the deepest folder above the file). `__pycache__` folders and
//!    `.pyc` files are skipped. When some distribution has no usable `RECORD`, its files
//!    cannot be told from added ones: that walk is skipped and said so (unchecked).
//!
//! # Downloaded wheels and sdists (`verify_dists`)
//!
//! For every file directly inside one of [`Options::dist_dirs`] named like a wheel
//! (`name-version(-build)?-py-abi-platform.whl`) or an sdist (`name-version.tar.gz`, `.zip`,
//! ...): the lockfile's packages of that name (PEP 503) and version (PEP 440-normalised) are
//! looked up; an unpinned requirement matches any version, and a package that records a hash
//! for exactly this file name (`artifact` in uv.lock and poetry.lock) is always one of them.
//!
//! 1. No such package → `not-in-lockfile`.
//! 2. The file is hashed with every algorithm the lockfile records for it, and passes when
//!    any recorded hash matches (`--hash` lists every allowed file of a requirement; uv and
//!    Poetry list every wheel and the sdist). Otherwise → `integrity-mismatch`.
//! 3. No recorded hash, or only algorithms we do not compute → unchecked.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Component, Path, PathBuf};

use chainward_python::site_packages::{RecordEntry, parse_record};
use chainward_types::{
    Ecosystem, Evidence, FindingCode, Hash, HashAlgorithm, Location, Origin, Package,
    normalize_name,
};
use rayon::prelude::*;

use crate::digest::{self, Hasher};
use crate::{Options, Outcome, SourceRef};

/// Largest `RECORD` read.
const MAX_RECORD_BYTES: u64 = 64 * 1024 * 1024;

/// Verifies a site-packages folder.
pub(crate) fn verify_site_packages(source: &SourceRef<'_>, _options: &Options, out: &mut Outcome) {
    let site = Site::new(source.path, source.display);
    let (dists, legacy) = match list_dists(source.path) {
        Ok(found) => found,
        Err(e) => {
            out.unchecked(&site.display, format!("cannot list: {e}"));
            return;
        }
    };
    for folder in &legacy {
        out.unchecked(
            format!("{}/{folder}", site.display),
            "legacy egg-info install: it records no file hashes, so its files were not checked",
        );
    }
    // Steps 1 to 3, one distribution per job.
    let checked: Vec<(Outcome, Option<Dist>)> = dists
        .par_iter()
        .map(|folder| {
            let mut one = Outcome::default();
            let pkg = dist_package(source, &site.display, folder);
            let dist = verify_dist(&site, folder, pkg, &mut one);
            (one, dist)
        })
        .collect();
    let mut readable = Vec::new();
    let mut unreadable = legacy.len();
    for (one, dist) in checked {
        out.merge(one);
        match dist {
            Some(d) => readable.push(d),
            None => unreadable += 1,
        }
    }
    // Step 4: files no RECORD lists.
    if unreadable > 0 {
        out.unchecked(
            &site.display,
            format!(
                "added files were not looked for: {unreadable} distribution(s) have no usable RECORD, so their files cannot be told from added ones"
            ),
        );
        return;
    }
    find_added_files(&site, &readable, out);
}

/// A `site-packages` folder and the prefix its `RECORD` paths may reach.
struct Site {
    /// The folder.
    path: PathBuf,
    /// How it is shown.
    display: String,
    /// The environment prefix (see the module docs), lexically.
    root: PathBuf,
    /// The prefix with symbolic links resolved, when it exists.
    canonical_root: Option<PathBuf>,
}

impl Site {
    fn new(path: &Path, display: &str) -> Self {
        // Resolved first, so that a relative `site-packages` still shows its prefix.
        let path = fs_err::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        let root = install_prefix(&path);
        Self {
            path,
            display: display.trim_end_matches('/').to_owned(),
            canonical_root: fs_err::canonicalize(&root).ok(),
            root,
        }
    }

    /// Where a `RECORD` path is on disk and how it is shown; `None` when it leaves the
    /// prefix.
    fn resolve(&self, rel: &str) -> Option<(PathBuf, String)> {
        let joined = if is_absolute(rel) {
            PathBuf::from(rel)
        } else {
            self.path.join(rel)
        };
        let path = normalize_lexically(&joined);
        if !path.starts_with(normalize_lexically(&self.root)) {
            return None;
        }
        let display = match normalize_rel(rel) {
            Some(inside) => format!("{}/{inside}", self.display),
            None if is_absolute(rel) => path.display().to_string(),
            None => join_display(&self.display, rel),
        };
        Some((path, display))
    }

    /// True when `path` (inside the prefix lexically) also stays inside once symbolic links
    /// are resolved. A path that does not exist (yet) stays inside.
    fn stays_inside(&self, path: &Path) -> bool {
        match (&self.canonical_root, fs_err::canonicalize(path)) {
            (Some(root), Ok(real)) => real.starts_with(root),
            (None, Ok(_)) => false,
            (_, Err(_)) => true,
        }
    }
}

/// `<prefix>` of `<prefix>/lib*/python*/site-packages` or `<prefix>/Lib/site-packages`; the
/// folder itself otherwise.
fn install_prefix(site: &Path) -> PathBuf {
    let name = |p: Option<&Path>| {
        p.and_then(Path::file_name)
            .map(|n| n.to_string_lossy().to_ascii_lowercase())
            .unwrap_or_default()
    };
    let parent = site.parent();
    let grandparent = parent.and_then(Path::parent);
    if name(parent).starts_with("python")
        && name(grandparent).starts_with("lib")
        && let Some(prefix) = grandparent.and_then(Path::parent)
    {
        return prefix.to_path_buf();
    }
    if name(parent) == "lib"
        && let Some(prefix) = grandparent
    {
        return prefix.to_path_buf();
    }
    site.to_path_buf()
}

/// `/x`, `\x`, `C:\x`, `C:/x`.
fn is_absolute(rel: &str) -> bool {
    let b = rel.as_bytes();
    rel.starts_with(['/', '\\']) || (b.len() >= 2 && b[0].is_ascii_alphabetic() && b[1] == b':')
}

/// Removes `.` and resolves `..` without touching the filesystem.
fn normalize_lexically(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push(c);
                }
            }
            other => out.push(other),
        }
    }
    out
}

/// A `RECORD` path as a clean relative path inside `site-packages` (`a/b.py`), or `None`
/// when it is absolute or leaves the folder.
fn normalize_rel(rel: &str) -> Option<String> {
    if is_absolute(rel) {
        return None;
    }
    let mut parts: Vec<&str> = Vec::new();
    for part in rel.split(['/', '\\']) {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            p => parts.push(p),
        }
    }
    (!parts.is_empty()).then(|| parts.join("/"))
}

/// `display/rel` with `..` folded where the display has components to fold.
fn join_display(display: &str, rel: &str) -> String {
    let mut parts: Vec<&str> = display.split('/').filter(|p| !p.is_empty()).collect();
    let absolute = display.starts_with('/');
    for part in rel.split(['/', '\\']) {
        match part {
            "" | "." => {}
            ".." if parts.last().is_some_and(|p| *p != "..") => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    let joined = parts.join("/");
    if absolute {
        format!("/{joined}")
    } else {
        joined
    }
}

/// The `*.dist-info` folders and the legacy `*.egg-info` entries, sorted.
fn list_dists(dir: &Path) -> std::io::Result<(Vec<String>, Vec<String>)> {
    let mut dists = Vec::new();
    let mut legacy = Vec::new();
    for entry in fs_err::read_dir(dir)? {
        let entry = entry?;
        let Ok(name) = entry.file_name().into_string() else {
            continue;
        };
        let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
        if name.ends_with(".dist-info") && is_dir {
            dists.push(name);
        } else if name.ends_with(".egg-info") {
            legacy.push(name);
        }
    }
    dists.sort();
    legacy.sort();
    Ok((dists, legacy))
}

/// The inventory's package for a `.dist-info` folder, or one named after the folder.
fn dist_package(source: &SourceRef<'_>, display: &str, folder: &str) -> Package {
    let metadata = format!("{display}/{folder}/METADATA");
    if let Some(p) = source
        .lockfile
        .packages
        .iter()
        .find(|p| p.locations.iter().any(|l| l.path == metadata))
    {
        return p.clone();
    }
    let stem = folder.trim_end_matches(".dist-info");
    let (name, version) = stem.split_once('-').unwrap_or((stem, ""));
    let mut p = Package::new(Ecosystem::PyPI, name, version, Origin::registry());
    p.locations.push(Location::new(metadata, None));
    p
}

/// A distribution whose `RECORD` was read.
struct Dist {
    pkg: Package,
    /// Every `RECORD` path inside `site-packages`, normalised (hashed or not).
    listed: Vec<String>,
}

/// Steps 1 to 3 for one `.dist-info` folder; `None` when its `RECORD` is unusable.
fn verify_dist(site: &Site, folder: &str, pkg: Package, out: &mut Outcome) -> Option<Dist> {
    let record_display = format!("{}/{folder}/RECORD", site.display);
    if site.path.ends_with("dist-packages") && !site.path.join(folder).join("INSTALLER").exists() {
        out.unchecked(
            format!("{}/{folder}", site.display),
            "installed by the system package manager (no INSTALLER file): Debian strips and moves files after writing RECORD, so RECORD does not describe them; `dpkg --verify` checks them",
        );
        return None;
    }
    let rows = match read_record(&site.path.join(folder).join("RECORD")) {
        Ok(rows) => rows,
        Err(e) => {
            out.unchecked(record_display, e);
            return None;
        }
    };
    out.stats.packages += 1;
    let who = format!("`{} {}`", pkg.name, pkg.version);
    let mut outside = 0usize;
    let mut unsupported = BTreeSet::new();
    let mut listed = Vec::new();
    let mut folders: HashMap<PathBuf, bool> = HashMap::new();
    for RecordEntry {
        path: rel, hash, ..
    } in rows
    {
        if let Some(inside) = normalize_rel(&rel) {
            listed.push(inside);
        }
        let Some(want) = hash else {
            continue; // RECORD itself, compiled .pyc files
        };
        let Some((path, display)) = site.resolve(&rel) else {
            outside += 1;
            continue;
        };
        let evidence = |actual: Option<Hash>| Evidence {
            file: Some(display.clone()),
            expected: Some(want.clone()),
            actual,
            value: None,
        };
        match fs_err::symlink_metadata(&path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                out.findings.push(crate::package_finding(
                    FindingCode::FileMissing,
                    &pkg,
                    format!("{who}: `{rel}` listed in RECORD is missing"),
                    evidence(None),
                ));
                continue;
            }
            Err(e) => {
                out.unchecked(display, format!("cannot read: {e}"));
                continue;
            }
            Ok(meta) => {
                // Links anywhere on the way are resolved: once per folder, and for the
                // file itself when it is one.
                let inside = if meta.file_type().is_symlink() {
                    site.stays_inside(&path)
                } else {
                    path.parent().is_none_or(|parent| {
                        *folders
                            .entry(parent.to_path_buf())
                            .or_insert_with(|| site.stays_inside(parent))
                    })
                };
                if !inside {
                    outside += 1;
                    continue;
                }
            }
        }
        let actual = match digest::hash_file(want.algorithm, &path) {
            Ok(Some((h, n))) => {
                out.stats.bytes += n;
                h
            }
            Ok(None) => {
                unsupported.insert(want.algorithm);
                continue;
            }
            Err(e) => {
                out.unchecked(display, format!("cannot read: {e}"));
                continue;
            }
        };
        out.stats.files += 1;
        if !digest::same_digest(&want, &actual) {
            out.findings.push(crate::package_finding(
                FindingCode::FileModified,
                &pkg,
                format!("{who}: `{rel}` differs from its RECORD hash"),
                evidence(Some(actual)),
            ));
        }
    }
    if outside > 0 {
        out.unchecked(
            &record_display,
            format!(
                "{outside} file(s) it lists lie outside {} (not followed) and were not checked",
                site.root.display()
            ),
        );
    }
    if !unsupported.is_empty() {
        let names: Vec<&str> = unsupported.iter().map(|a| a.as_str()).collect();
        out.unchecked(
            &record_display,
            format!(
                "files hashed with {} were not checked (algorithm not computed)",
                names.join(", ")
            ),
        );
    }
    Some(Dist { pkg, listed })
}

/// Reads and parses a `RECORD`; the error says why it cannot be used.
fn read_record(path: &Path) -> Result<Vec<RecordEntry>, String> {
    use std::io::Read as _;
    let file = fs_err::File::open(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            "missing: the distribution's files cannot be checked".to_owned()
        } else {
            format!("cannot read: {e}")
        }
    })?;
    let mut bytes = Vec::new();
    file.take(MAX_RECORD_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read: {e}"))?;
    if bytes.len() as u64 > MAX_RECORD_BYTES {
        return Err(format!("larger than {MAX_RECORD_BYTES} bytes; not read"));
    }
    let text = String::from_utf8_lossy(&bytes);
    parse_record(&text).or_else(|e| {
        // Debian's dh-python writes hex digests (`sha256=361630f7...`) where the wheel spec
        // says urlsafe base64; they are just as checkable.
        hex_digests_as_base64(&text)
            .and_then(|fixed| parse_record(&fixed).ok())
            .ok_or_else(|| format!("malformed: {e}"))
    })
}

/// `RECORD` text with every `algorithm=<hex digest>` hash field rewritten in urlsafe base64;
/// `None` when there is none. Rows are split from the end (`path,hash,size`), so quoted
/// paths with commas are kept.
fn hex_digests_as_base64(text: &str) -> Option<String> {
    use base64::Engine as _;
    let mut changed = false;
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        let body = line.trim_end_matches(['\r', '\n']);
        let ending = &line[body.len()..];
        let mut fields = body.rsplitn(3, ',');
        let (Some(size), Some(hash), Some(path)) = (fields.next(), fields.next(), fields.next())
        else {
            out.push_str(line);
            continue;
        };
        let decoded = hash.split_once('=').and_then(|(alg, digest)| {
            let algorithm = HashAlgorithm::from_name(alg)?;
            let bytes = hex::decode(digest).ok()?;
            (bytes.len() == algorithm.digest_len()).then_some((alg, bytes))
        });
        match decoded {
            Some((alg, bytes)) => {
                changed = true;
                let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
                out.push_str(&format!("{path},{alg}={b64},{size}{ending}"));
            }
            None => out.push_str(line),
        }
    }
    changed.then_some(out)
}

/// Step 4: files in the distributions' top-level folders that no `RECORD` lists.
fn find_added_files(site: &Site, dists: &[Dist], out: &mut Outcome) {
    let mut listed: BTreeSet<&str> = BTreeSet::new();
    // Folder (relative) → the distribution that installs files into it (first one wins).
    let mut owners: HashMap<&str, usize> = HashMap::new();
    let mut tops: BTreeSet<&str> = BTreeSet::new();
    for (i, dist) in dists.iter().enumerate() {
        for path in &dist.listed {
            listed.insert(path);
            let mut end = 0;
            while let Some(slash) = path[end..].find('/') {
                end += slash;
                owners.entry(&path[..end]).or_insert(i);
                end += 1;
            }
            if let Some((top, _)) = path.split_once('/')
                && top != "__pycache__"
            {
                tops.insert(top);
            }
        }
    }
    let tops: Vec<&str> = tops.into_iter().collect();
    let results: Vec<Outcome> = tops
        .par_iter()
        .map(|top| {
            let mut one = Outcome::default();
            let dir = site.path.join(top);
            // A top-level folder that is a link is not walked (it may lead anywhere).
            if fs_err::symlink_metadata(&dir).is_ok_and(|m| m.file_type().is_symlink()) {
                one.unchecked(
                    format!("{}/{top}", site.display),
                    "is a symbolic link; not followed, so added files were not looked for",
                );
                return one;
            }
            let walker = walkdir::WalkDir::new(&dir)
                .follow_links(false)
                .min_depth(1)
                .into_iter()
                .filter_entry(|e| !(e.file_type().is_dir() && e.file_name() == "__pycache__"));
            for entry in walker {
                let entry = match entry {
                    Ok(e) => e,
                    Err(e) => {
                        let at = e.path().map_or_else(|| dir.clone(), Path::to_path_buf);
                        one.unchecked(at.display().to_string(), format!("cannot list: {e}"));
                        continue;
                    }
                };
                if entry.file_type().is_dir() {
                    continue;
                }
                let Ok(rel) = entry.path().strip_prefix(&site.path) else {
                    continue;
                };
                let rel: Vec<String> = rel
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect();
                let rel = rel.join("/");
                if rel.ends_with(".pyc") || listed.contains(rel.as_str()) {
                    continue;
                }
                // The distribution owning the deepest folder above the file.
                let mut owner = None;
                let mut prefix = rel.as_str();
                while let Some((parent, _)) = prefix.rsplit_once('/') {
                    if let Some(&i) = owners.get(parent) {
                        owner = Some(i);
                        break;
                    }
                    prefix = parent;
                }
                let Some(dist) = owner.and_then(|i| dists.get(i)) else {
                    continue;
                };
                let actual = if entry.file_type().is_file() {
                    match digest::hash_file(HashAlgorithm::Sha256, entry.path()) {
                        Ok(found) => found.map(|(h, n)| {
                            one.stats.bytes += n;
                            h
                        }),
                        Err(_) => None,
                    }
                } else {
                    None // a link or special file: not followed
                };
                one.findings.push(crate::package_finding(
                    FindingCode::FileAdded,
                    &dist.pkg,
                    format!(
                        "`{} {}`: `{rel}` is in its folder but no RECORD lists it",
                        dist.pkg.name, dist.pkg.version
                    ),
                    Evidence {
                        file: Some(format!("{}/{rel}", site.display)),
                        expected: None,
                        actual,
                        value: None,
                    },
                ));
            }
            one
        })
        .collect();
    for one in results {
        out.merge(one);
    }
}

/// Verifies wheels and sdists in the configured folders against a lockfile. A file that
/// another Python lockfile among `all` locks is left to that lockfile (a production and a
/// development requirements file often share one wheelhouse).
pub(crate) fn verify_dists(
    source: &SourceRef<'_>,
    all: &[SourceRef<'_>],
    options: &Options,
    out: &mut Outcome,
) {
    if options.dist_dirs.is_empty() {
        return;
    }
    let mut by_name: HashMap<&str, Vec<&Package>> = HashMap::new();
    for p in &source.lockfile.packages {
        by_name.entry(p.name.as_str()).or_default().push(p);
    }
    let mut files = Vec::new();
    for dir in &options.dist_dirs {
        match list_files(dir) {
            Ok(names) => files.extend(names.into_iter().map(|n| (dir.clone(), n))),
            Err(e) => out.unchecked(dir.display().to_string(), format!("cannot list: {e}")),
        }
    }
    let results: Vec<Outcome> = files
        .par_iter()
        .map(|(dir, file_name)| {
            let mut one = Outcome::default();
            verify_dist_file(source, all, &by_name, dir, file_name, &mut one);
            one
        })
        .collect();
    for one in results {
        out.merge(one);
    }
}

fn is_python_lockfile(format: chainward_extract::Format) -> bool {
    use chainward_extract::Format as F;
    matches!(format, F::Requirements | F::Poetry | F::Uv | F::Pipfile)
}

/// The regular files directly inside `dir`, sorted.
fn list_files(dir: &Path) -> std::io::Result<Vec<String>> {
    let mut names = Vec::new();
    for entry in fs_err::read_dir(dir)? {
        let entry = entry?;
        if entry.file_type().is_ok_and(|t| t.is_file())
            && let Ok(name) = entry.file_name().into_string()
        {
            names.push(name);
        }
    }
    names.sort();
    Ok(names)
}

/// Steps 1 to 3 for one downloaded file.
fn verify_dist_file(
    source: &SourceRef<'_>,
    all: &[SourceRef<'_>],
    by_name: &HashMap<&str, Vec<&Package>>,
    dir: &Path,
    file_name: &str,
    out: &mut Outcome,
) {
    let Some(parsed) = parse_dist_file_name(file_name) else {
        return; // not a wheel or an sdist
    };
    let path = dir.join(file_name);
    let display = path.display().to_string();
    let Ok((name, version)) = parsed else {
        out.unchecked(
            display,
            "not a valid wheel or sdist file name: cannot tell which package it is",
        );
        return;
    };
    let name = normalize_name(Ecosystem::PyPI, &name);
    let wanted = canonical_version(&version);
    let same_name = by_name.get(name.as_str()).map_or(&[][..], Vec::as_slice);
    let candidates: Vec<&Package> = same_name
        .iter()
        .copied()
        .filter(|p| {
            p.version.is_empty()
                || canonical_version(&p.version) == wanted
                || p.hashes
                    .iter()
                    .any(|h| h.artifact.as_deref() == Some(file_name))
        })
        .collect();
    // Step 1: is it locked at all? (here, or by another Python lockfile of the same run)
    if candidates.is_empty() {
        let locked_elsewhere = all.iter().any(|other| {
            !std::ptr::eq(other.lockfile, source.lockfile)
                && is_python_lockfile(other.format)
                && other.lockfile.packages.iter().any(|p| {
                    p.name == name
                        && (canonical_version(&p.version) == wanted
                            || p.hashes
                                .iter()
                                .any(|h| h.artifact.as_deref() == Some(file_name)))
                })
        });
        if locked_elsewhere {
            return;
        }
        let mut pkg = Package::new(Ecosystem::PyPI, &name, version.clone(), Origin::registry());
        pkg.locations.push(Location::new(display.clone(), None));
        let locked: Vec<&str> = same_name.iter().map(|p| p.version.as_str()).collect();
        let why = if locked.is_empty() {
            format!("{} does not list `{name}`", source.display)
        } else {
            format!(
                "{} locks `{name}` at {}, not {version}",
                source.display,
                locked.join(", ")
            )
        };
        out.findings.push(crate::finding(
            FindingCode::NotInLockfile,
            crate::package_ref(&pkg),
            format!("`{file_name}` is downloaded for installation but {why}"),
            pkg.locations.clone(),
            Evidence {
                file: Some(display),
                expected: None,
                actual: None,
                value: None,
            },
        ));
        return;
    }
    // Step 2: hash with every recorded algorithm we compute; any match passes.
    let recorded: Vec<&Hash> = candidates.iter().flat_map(|p| p.hashes.iter()).collect();
    let pkg = candidates[0];
    if recorded.is_empty() {
        out.unchecked(
            display,
            format!(
                "{} records no hash for `{} {}`",
                source.display, pkg.name, pkg.version
            ),
        );
        return;
    }
    let algorithms: BTreeSet<HashAlgorithm> = recorded.iter().map(|h| h.algorithm).collect();
    let mut actual: BTreeMap<HashAlgorithm, Hash> = BTreeMap::new();
    let computable: Vec<HashAlgorithm> = algorithms
        .iter()
        .copied()
        .filter(|a| Hasher::new(*a).is_some())
        .collect();
    if computable.is_empty() {
        let names: Vec<&str> = algorithms.iter().map(|a| a.as_str()).collect();
        out.unchecked(
            display,
            format!(
                "{} records only {} hashes for `{} {}`, which are not computed",
                source.display,
                names.join(", "),
                pkg.name,
                pkg.version
            ),
        );
        return;
    }
    match hash_file_multi(&path, &computable) {
        Ok((hashes, n)) => {
            out.stats.bytes += n;
            actual.extend(hashes.into_iter().map(|h| (h.algorithm, h)));
        }
        Err(e) => {
            out.unchecked(display, format!("cannot read: {e}"));
            return;
        }
    }
    out.stats.archives += 1;
    let matches = recorded.iter().any(|want| {
        actual
            .get(&want.algorithm)
            .is_some_and(|got| digest::same_digest(want, got))
    });
    if matches {
        out.stats.packages += 1;
        return;
    }
    // Step 3: the most specific expectation: this file's own hash, else any computable one.
    let expected = recorded
        .iter()
        .find(|h| h.artifact.as_deref() == Some(file_name) && actual.contains_key(&h.algorithm))
        .or_else(|| recorded.iter().find(|h| actual.contains_key(&h.algorithm)))
        .map(|h| (*h).clone());
    let got = expected
        .as_ref()
        .and_then(|e| actual.get(&e.algorithm))
        .cloned();
    out.findings.push(crate::package_finding(
        FindingCode::IntegrityMismatch,
        pkg,
        format!(
            "`{file_name}` matches none of the {} hash(es) {} records for `{} {}`",
            recorded.len(),
            source.display,
            pkg.name,
            pkg.version
        ),
        Evidence {
            file: Some(display),
            expected,
            actual: got,
            value: None,
        },
    ));
}

/// Hashes a file once with several algorithms.
fn hash_file_multi(path: &Path, algorithms: &[HashAlgorithm]) -> std::io::Result<(Vec<Hash>, u64)> {
    use std::io::Read as _;
    let mut hashers: Vec<Hasher> = algorithms.iter().filter_map(|a| Hasher::new(*a)).collect();
    let mut file = fs_err::File::open(path)?;
    let mut buf = vec![0u8; 256 * 1024];
    let mut total = 0u64;
    loop {
        let n = match file.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        for h in &mut hashers {
            h.update(&buf[..n]);
        }
        total += n as u64;
    }
    Ok((hashers.into_iter().map(Hasher::finish).collect(), total))
}

/// `Some(Ok((name, version)))` for a wheel or sdist file name, `Some(Err(()))` for a file
/// with a dist extension whose name cannot be split, `None` for anything else.
fn parse_dist_file_name(file_name: &str) -> Option<Result<(String, String), ()>> {
    if let Some(stem) = file_name.strip_suffix(".whl") {
        // name-version(-build)?-python-abi-platform; `-` inside parts is escaped as `_`.
        let parts: Vec<&str> = stem.split('-').collect();
        return Some(match parts.as_slice() {
            [name, version, _, _, _] | [name, version, _, _, _, _]
                if !name.is_empty() && !version.is_empty() =>
            {
                Ok(((*name).to_owned(), (*version).to_owned()))
            }
            _ => Err(()),
        });
    }
    let stem = [".tar.gz", ".zip", ".tar.bz2", ".tar.xz", ".tgz", ".tar"]
        .iter()
        .find_map(|ext| file_name.strip_suffix(ext))?;
    // name-version; legacy sdists keep `-` in the name, so the version follows the last one.
    Some(match stem.rsplit_once('-') {
        Some((name, version))
            if !name.is_empty() && version.starts_with(|c: char| c.is_ascii_digit()) =>
        {
            Ok((name.to_owned(), version.to_owned()))
        }
        _ => Err(()),
    })
}

/// A PEP 440 version in a form where equal versions compare equal: lowercase, no `v`,
/// release numbers without leading zeros or trailing `.0`, pre/post/dev spellings and
/// separators normalised (`1.0.0-RC1` = `1.0rc1`). Not a validator: odd input is only
/// lowercased.
fn canonical_version(version: &str) -> String {
    let v = version.trim().to_ascii_lowercase();
    let v = v.strip_prefix('v').unwrap_or(&v);
    let (v, local) = match v.split_once('+') {
        Some((v, local)) => (v, Some(local.replace(['-', '_'], "."))),
        None => (v, None),
    };
    let (epoch, v) = match v.split_once('!') {
        Some((e, rest)) => (Some(e.trim_start_matches('0')), rest),
        None => (None, v),
    };
    let release_end = v
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(v.len());
    let (release, rest) = v.split_at(release_end);
    let mut numbers: Vec<String> = release
        .split('.')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let t = p.trim_start_matches('0');
            if t.is_empty() { "0" } else { t }.to_owned()
        })
        .collect();
    while numbers.len() > 1 && numbers.last().is_some_and(|n| n == "0") {
        numbers.pop();
    }
    let mut out = String::new();
    if let Some(e) = epoch.filter(|e| !e.is_empty()) {
        out.push_str(e);
        out.push('!');
    }
    out.push_str(&numbers.join("."));
    // Tokens of the rest: letters and digits, separators dropped.
    let mut tokens: Vec<String> = Vec::new();
    let mut current = String::new();
    for c in rest.chars() {
        let same_kind = current
            .chars()
            .last()
            .is_some_and(|l| l.is_ascii_digit() == c.is_ascii_digit());
        if c.is_ascii_alphanumeric() {
            if !current.is_empty() && !same_kind {
                tokens.push(std::mem::take(&mut current));
            }
            current.push(c);
        } else if !current.is_empty() {
            tokens.push(std::mem::take(&mut current));
        }
    }
    if !current.is_empty() {
        tokens.push(current);
    }
    let mut i = 0;
    while i < tokens.len() {
        let token = tokens[i].as_str();
        if token.starts_with(|c: char| c.is_ascii_digit()) {
            let t = token.trim_start_matches('0');
            out.push_str(if t.is_empty() { "0" } else { t });
        } else {
            let word = match token {
                "alpha" => "a",
                "beta" => "b",
                "c" | "pre" | "preview" => "rc",
                "rev" | "r" => "post",
                other => other,
            };
            if matches!(word, "post" | "dev") {
                out.push('.');
            }
            out.push_str(word);
            // An implicit number: `1.0a` is `1.0a0`.
            if tokens
                .get(i + 1)
                .is_none_or(|n| !n.starts_with(|c: char| c.is_ascii_digit()))
            {
                out.push('0');
            }
        }
        i += 1;
    }
    if let Some(local) = local {
        out.push('+');
        out.push_str(&local);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_versions_as_pep_440_compares_them() {
        assert_eq!(canonical_version("1.0.0"), canonical_version("1.0"));
        assert_eq!(canonical_version("v1.0-RC1"), canonical_version("1.0rc1"));
        assert_eq!(canonical_version("1.0.alpha"), "1a0");
        assert_eq!(
            canonical_version("2.0.post1"),
            canonical_version("2.0-post1")
        );
        assert_eq!(canonical_version("2.0.dev3"), "2.dev3");
        assert_ne!(canonical_version("1.0.1"), canonical_version("1.0"));
        assert_eq!(canonical_version("1!01.2+ubuntu-1"), "1!1.2+ubuntu.1");
    }

    #[test]
    fn splits_wheel_and_sdist_names() {
        assert_eq!(
            parse_dist_file_name("six-1.16.0-py2.py3-none-any.whl"),
            Some(Ok(("six".into(), "1.16.0".into())))
        );
        assert_eq!(
            parse_dist_file_name("foo_bar-1.0-1-cp311-cp311-manylinux_2_17_x86_64.whl"),
            Some(Ok(("foo_bar".into(), "1.0".into())))
        );
        assert_eq!(
            parse_dist_file_name("python-dateutil-2.8.2.tar.gz"),
            Some(Ok(("python-dateutil".into(), "2.8.2".into())))
        );
        assert_eq!(parse_dist_file_name("broken.whl"), Some(Err(())));
        assert_eq!(parse_dist_file_name("notes.txt"), None);
    }

    proptest::proptest! {
        #[test]
        fn name_and_version_helpers_never_panic(s in "\\PC*") {
            let _ = canonical_version(&s);
            let _ = parse_dist_file_name(&s);
            let _ = parse_dist_file_name(&format!("{s}.whl"));
            let _ = hex_digests_as_base64(&s);
            let _ = normalize_rel(&s);
            let _ = join_display("a/b", &s);
        }
    }

    #[test]
    fn reads_debian_hex_digests_in_record() {
        let text = "distro/__init__.py,sha256=361630f7850f5dbefcfd9dff56d2f14c9d734205142a84e7760d74b8a257f34d,6915\r\n\"a,b.py\",sha256=361630f7850f5dbefcfd9dff56d2f14c9d734205142a84e7760d74b8a257f34d,1\ndistro-1.8.0.dist-info/RECORD,,\n";
        assert!(parse_record(text).is_err());
        let rows = parse_record(&hex_digests_as_base64(text).unwrap()).unwrap();
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[1].path, "a,b.py");
        assert_eq!(
            rows[0].hash.as_ref().unwrap().hex,
            "361630f7850f5dbefcfd9dff56d2f14c9d734205142a84e7760d74b8a257f34d"
        );
        assert_eq!(hex_digests_as_base64("a.py,sha256=x,1\n"), None);
    }

    #[test]
    fn finds_the_environment_prefix() {
        assert_eq!(
            install_prefix(Path::new("/v/lib/python3.11/site-packages")),
            Path::new("/v")
        );
        assert_eq!(
            install_prefix(Path::new("/usr/lib/python3/dist-packages")),
            Path::new("/usr")
        );
        assert_eq!(
            install_prefix(Path::new("C:/v/Lib/site-packages")),
            Path::new("C:/v")
        );
        assert_eq!(
            install_prefix(Path::new("/t/target")),
            Path::new("/t/target")
        );
    }

    #[test]
    fn record_paths_outside_the_prefix_are_not_resolved() {
        let site = Site {
            path: PathBuf::from("/v/lib/python3.11/site-packages"),
            display: "v/lib/python3.11/site-packages".into(),
            root: PathBuf::from("/v"),
            canonical_root: None,
        };
        let (path, display) = site.resolve("../../../bin/tool").unwrap();
        assert_eq!(path, Path::new("/v/bin/tool"));
        assert_eq!(display, "v/bin/tool");
        assert!(site.resolve("../../../../etc/passwd").is_none());
        let (_, display) = site.resolve("/v/share/doc.txt").unwrap();
        assert_eq!(display, "/v/share/doc.txt");
        assert!(site.resolve("/etc/passwd").is_none());
        assert_eq!(normalize_rel("a/./b/../c.py").as_deref(), Some("a/c.py"));
        assert_eq!(normalize_rel("../x"), None);
    }
}
