//! Cargo: registry cache and src against Cargo.lock, vendor folders against checksums.
//!
//! # `Cargo.lock` (`verify`)
//!
//! For every registry crate that `Cargo.lock` pins with a SHA-256 `checksum`, when
//! [`Options::cargo_home`] is set:
//!
//! 1. Find its `.crate` in `$CARGO_HOME/registry/cache/<index-dir>/<name>-<version>.crate`.
//!    The index folder is `<host>-<hash>`; the hash depends on the cargo version, so folders
//!    are matched by the host of the package's `source` (crates.io: `index.crates.io-*` and
//!    the old git index `github.com-1ecc6299db9ec823`). A crate not in its own registry's
//!    folders is looked for in every other folder (source replacement: a mirror serves the
//!    same bytes), where only a matching file counts.
//! 2. Hash the `.crate`: a different SHA-256 than `Cargo.lock` → `integrity-mismatch`.
//! 3. Read the matching `.crate` through [`crate::archive`] (bounded, never unpacked): an
//!    absolute, `..`, link or special entry, or one outside the `<name>-<version>/` folder
//!    (cargo refuses those) → `unsafe-archive-entry` with the raw entry name.
//! 4. Compare `registry/src/<index-dir>/<name>-<version>/` (when cargo unpacked it: its
//!    `.cargo-ok` is there) file by file with the `.crate`: a differing file →
//!    `file-modified`, a file the `.crate` does not have → `file-added`, a `.crate` file
//!    that is not there → `file-missing`. `.cargo-ok` is cargo's own marker; like cargo, an
//!    entry of that name in the `.crate` is not unpacked.
//!
//! A crate absent from the cache is not a finding and not an [`Unchecked`](crate::Unchecked)
//! entry: cargo downloads lazily, and only the crates of the platforms it builds for, so a
//! `Cargo.lock` nearly always names crates that were never fetched (`windows-*` on Linux).
//! Reporting each as unchecked would make every run incomplete. They are counted in
//! [`Stats::not_cached`](crate::Stats::not_cached). But when *none* of the lockfile's
//! crates is cached (the project was never fetched, or `CARGO_HOME` points elsewhere), a
//! user would read a clean result as "verified" when nothing was compared: that is one
//! unchecked entry for the lockfile, unless a `vendor/` folder beside it holds the crates
//! (then `verify_vendor` checks them, as the walker hands it over on its own). Registry
//! crates without a checksum are left to the hygiene check (`missing-integrity`); git and
//! path crates have no archive to compare. `local-registry` and `directory` sources are
//! not read here: unchecked.
//!
//! # `vendor/` (`verify_vendor`)
//!
//! For every crate folder of a `cargo vendor` folder:
//!
//! 1. Read `.cargo-checksum.json` (`{"files": {path: sha256}, "package": sha256 | null}`);
//!    missing or invalid → unchecked.
//! 2. Hash every file of the folder against `files`: `file-modified`, `file-added` (cargo
//!    itself only checks the listed files, so an added file builds unnoticed),
//!    `file-missing`.
//! 3. Compare with the `Cargo.lock` beside the vendor folder (among the scanned sources): a
//!    crate that lockfile does not list → `not-in-lockfile`; a `package` checksum that
//!    differs from the lockfile's → `integrity-mismatch`. Without such a lockfile, that step
//!    is unchecked.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read as _;
use std::path::Path;

use chainward_extract::Format;
use chainward_types::{
    Ecosystem, Evidence, FindingCode, Hash, HashAlgorithm, Location, Lockfile, Origin, Package,
};
use rayon::prelude::*;
use serde::Deserialize;

use crate::archive::{self, EntryKind};
use crate::digest;
use crate::{Options, Outcome, SourceRef};

/// crates.io's source, as Cargo.lock records it.
const CRATES_IO_GIT: &str = "registry+https://github.com/rust-lang/crates.io-index";
/// crates.io's sparse source.
const CRATES_IO_SPARSE: &str = "sparse+https://index.crates.io/";
/// The cache folder of crates.io's old git index (the hash has been stable for years).
const CRATES_IO_GIT_DIR: &str = "github.com-1ecc6299db9ec823";
/// The host of crates.io's sparse index, which names its cache folders.
const CRATES_IO_SPARSE_HOST: &str = "index.crates.io";
/// The marker cargo writes into an unpacked crate folder once unpacking finished.
const CARGO_OK: &str = ".cargo-ok";
/// The checksum list of a vendored crate.
const CHECKSUM_FILE: &str = ".cargo-checksum.json";
/// Largest `.cargo-checksum.json` read.
const MAX_CHECKSUM_FILE_BYTES: u64 = 32 * 1024 * 1024;

/// Verifies a Cargo.lock project.
pub(crate) fn verify(source: &SourceRef<'_>, options: &Options, out: &mut Outcome) {
    // `None` means the caller chose not to check a cargo home (see `Options`).
    let Some(home) = &options.cargo_home else {
        return;
    };
    let registry = home.join("registry");
    let caches = list_index_dirs(&registry.join("cache"));
    let crates: Vec<&Package> = source
        .lockfile
        .packages
        .iter()
        .filter(|p| p.origin.is_registry() && sha256_hashes(p).next().is_some())
        .collect();
    if crates.is_empty() {
        return;
    }
    let results: Vec<(Outcome, bool)> = crates
        .par_iter()
        .map(|pkg| {
            let mut one = Outcome::default();
            let cached = verify_crate(pkg, &registry, &caches, options, &mut one);
            (one, cached)
        })
        .collect();
    let mut cached = 0u64;
    for (one, was_cached) in results {
        out.merge(one);
        if was_cached {
            cached += 1;
        } else {
            out.stats.not_cached += 1;
        }
    }
    if cached == 0 && !has_vendor_folder(source.dir()) {
        out.unchecked(
            source.display,
            format!(
                "none of its {} registry crates is in {} (never fetched? `cargo fetch` downloads them): nothing was compared",
                crates.len(),
                registry.join("cache").display()
            ),
        );
    }
}

/// True when `dir/vendor` holds a crate folder with a `.cargo-checksum.json`.
fn has_vendor_folder(dir: &Path) -> bool {
    fs_err::read_dir(dir.join("vendor")).is_ok_and(|rd| {
        rd.filter_map(Result::ok)
            .any(|e| e.path().join(CHECKSUM_FILE).is_file())
    })
}

/// The SHA-256 checksums a package has.
fn sha256_hashes(pkg: &Package) -> impl Iterator<Item = &Hash> {
    pkg.hashes
        .iter()
        .filter(|h| h.algorithm == HashAlgorithm::Sha256)
}

/// One `registry/cache/<dir>` folder.
#[derive(Debug, Clone)]
struct IndexDir {
    /// `index.crates.io-1949cf8c6b5b557f`.
    name: String,
    /// The host part of the name, lowercase.
    host: String,
}

/// The index folders of `registry/cache` (none when it does not exist).
fn list_index_dirs(cache: &Path) -> Vec<IndexDir> {
    let Ok(rd) = fs_err::read_dir(cache) else {
        return Vec::new();
    };
    let mut dirs: Vec<IndexDir> = rd
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .filter_map(|e| e.file_name().into_string().ok())
        .map(|name| {
            let host = match name.rsplit_once('-') {
                Some((host, hash)) if hash.len() == 16 => host.to_ascii_lowercase(),
                _ => name.to_ascii_lowercase(),
            };
            IndexDir { name, host }
        })
        .collect();
    dirs.sort_by(|a, b| a.name.cmp(&b.name));
    dirs
}

/// The host of a `registry+URL` / `sparse+URL` source, lowercase, without user or port.
fn registry_host(source: &str) -> Option<String> {
    let url = source.split_once('+')?.1;
    let rest = url.split_once("://")?.1;
    let authority = rest.split(['/', '?', '#']).next()?;
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = if host_port.starts_with('[') {
        host_port.split_once(']').map(|(h, _)| format!("{h}]"))?
    } else {
        host_port.split(':').next()?.to_owned()
    };
    (!host.is_empty()).then(|| host.to_ascii_lowercase())
}

/// Which cache folders belong to a package's registry: `Ok(own)` (maybe empty), or
/// `Err(why)` for sources that do not use the registry cache.
fn own_dirs<'d>(origin: &Origin, dirs: &'d [IndexDir]) -> Result<Vec<&'d IndexDir>, String> {
    let source = match origin {
        Origin::Registry { url: Some(url) } => url.as_str(),
        // No recorded source: only crates.io writes none (never in Cargo.lock, but harmless).
        _ => CRATES_IO_GIT,
    };
    if source.starts_with("local-registry+") || source.starts_with("directory+") {
        return Err(format!(
            "crates from `{source}` are not in the registry cache; not checked"
        ));
    }
    if source == CRATES_IO_GIT || source == CRATES_IO_SPARSE {
        return Ok(dirs
            .iter()
            .filter(|d| d.host == CRATES_IO_SPARSE_HOST || d.name == CRATES_IO_GIT_DIR)
            .collect());
    }
    match registry_host(source) {
        Some(host) => Ok(dirs.iter().filter(|d| d.host == host).collect()),
        // A source we cannot read a host from: every folder is "other", where only a
        // matching file counts.
        None => Ok(Vec::new()),
    }
}

/// Checks one crate; returns whether its `.crate` was found in the cache.
fn verify_crate(
    pkg: &Package,
    registry: &Path,
    dirs: &[IndexDir],
    options: &Options,
    out: &mut Outcome,
) -> bool {
    let file_name = format!("{}-{}.crate", pkg.name, pkg.version);
    let own = match own_dirs(&pkg.origin, dirs) {
        Ok(own) => own,
        Err(why) => {
            out.unchecked(&pkg.purl, why);
            return true; // not a cache miss: it says why it was not checked
        }
    };
    let cache = registry.join("cache");
    let find = |dir: &IndexDir| {
        let path = cache.join(&dir.name).join(&file_name);
        path.is_file().then_some((dir.name.clone(), path))
    };
    // Step 1: the crate's own registry folders first, then (source replacement) the others.
    let own_found: Vec<_> = own.iter().filter_map(|d| find(d)).collect();
    let (found, own_registry) = if own_found.is_empty() {
        let others: Vec<_> = dirs
            .iter()
            .filter(|d| !own.iter().any(|o| o.name == d.name))
            .filter_map(find)
            .collect();
        (others, false)
    } else {
        (own_found, true)
    };
    if found.is_empty() {
        return false;
    }
    let mut mismatches = Vec::new();
    let mut any_match = false;
    for (dir_name, path) in found {
        // Step 2: the .crate against Cargo.lock.
        let display = path.display().to_string();
        let actual = match hash_file(&path, out) {
            Ok(h) => h,
            Err(e) => {
                out.unchecked(&display, format!("cannot read: {e}"));
                continue;
            }
        };
        out.stats.archives += 1;
        if !sha256_hashes(pkg).any(|h| digest::same_digest(h, &actual)) {
            mismatches.push((display, actual));
            continue;
        }
        any_match = true;
        out.stats.packages += 1;
        // Steps 3 and 4: the entries, and the unpacked folder.
        let src = registry
            .join("src")
            .join(&dir_name)
            .join(format!("{}-{}", pkg.name, pkg.version));
        let unpacked = src.join(CARGO_OK).is_file();
        let Some(files) = read_crate(pkg, &path, &display, unpacked, options, out) else {
            continue;
        };
        if unpacked {
            compare_tree(
                pkg,
                &src,
                &src.display().to_string(),
                files.files,
                &|rel| rel == CARGO_OK || files.links.contains(rel),
                out,
            );
        }
    }
    for (display, actual) in mismatches {
        if own_registry {
            out.findings.push(crate::package_finding(
                FindingCode::IntegrityMismatch,
                pkg,
                format!(
                    "`{} {}`: the cached .crate does not hash to the Cargo.lock checksum",
                    pkg.name, pkg.version
                ),
                Evidence {
                    file: Some(display.clone()),
                    expected: sha256_hashes(pkg).next().cloned(),
                    actual: Some(actual),
                    value: None,
                },
            ));
            // Its unpacked folder has nothing trustworthy to be compared with.
            out.unchecked(
                display,
                "the unpacked registry/src folder of this .crate was not compared: the .crate does not match Cargo.lock",
            );
        } else if !any_match {
            out.unchecked(
                display,
                format!(
                    "`{} {}` is not in its registry's cache folder, and this .crate of another registry's folder does not match the Cargo.lock checksum (another crate of the same name?)",
                    pkg.name, pkg.version
                ),
            );
        }
    }
    true
}

/// Hashes a file with SHA-256, adding its size to the stats.
fn hash_file(path: &Path, out: &mut Outcome) -> std::io::Result<Hash> {
    match digest::hash_file(HashAlgorithm::Sha256, path)? {
        Some((hash, n)) => {
            out.stats.bytes += n;
            Ok(hash)
        }
        None => Err(std::io::Error::other("SHA-256 is not computed")),
    }
}

/// What a `.crate` holds, relative to its `<name>-<version>/` folder.
struct CrateFiles {
    /// Regular files and their SHA-256 (empty unless asked for).
    files: BTreeMap<String, Hash>,
    /// Entries reported as unsafe that cargo would still have written (links, specials):
    /// their unpacked counterparts are not compared again.
    links: BTreeSet<String>,
}

/// Reads a `.crate`, reporting unsafe entries; hashes its files when `hash_files`. `None`
/// (with an unchecked entry) when it cannot be read completely.
fn read_crate(
    pkg: &Package,
    path: &Path,
    display: &str,
    hash_files: bool,
    options: &Options,
    out: &mut Outcome,
) -> Option<CrateFiles> {
    let file = match fs_err::File::open(path) {
        Ok(f) => f,
        Err(e) => {
            out.unchecked(display, format!("cannot read: {e}"));
            return None;
        }
    };
    let folder = format!("{}-{}", pkg.name, pkg.version);
    let prefix = format!("{folder}/");
    let mut crate_files = CrateFiles {
        files: BTreeMap::new(),
        links: BTreeSet::new(),
    };
    let mut findings = Vec::new();
    let unsafe_entry = |raw: &str, why: String| {
        crate::package_finding(
            FindingCode::UnsafeArchiveEntry,
            pkg,
            format!(
                "`{} {}`: .crate entry `{raw}`: {why}",
                pkg.name, pkg.version
            ),
            Evidence {
                file: Some(format!("{display}!/{raw}")),
                expected: None,
                actual: None,
                value: Some(raw.to_owned()),
            },
        )
    };
    let mut bytes = 0u64;
    let result = archive::read_tar_gz(file, &options.limits, |entry| {
        let path = match &entry.path {
            Err(why) => {
                findings.push(unsafe_entry(&entry.raw_path, why.to_string()));
                return Ok(());
            }
            Ok(p) => p.as_str(),
        };
        let why = match &entry.kind {
            EntryKind::Symlink(target) => Some(format!("symbolic link to `{target}`")),
            EntryKind::Hardlink(target) => Some(format!("hard link to `{target}`")),
            // pax headers: metadata of the next entry or of the archive, never written.
            EntryKind::Other(b'g' | b'x') => return Ok(()),
            EntryKind::Other(t) => Some(format!(
                "special entry (tar type `{}`)",
                char::from(*t).escape_default()
            )),
            EntryKind::File | EntryKind::Directory => None,
        };
        let Some(rel) = path.strip_prefix(&prefix) else {
            if entry.kind == EntryKind::Directory && path == folder {
                return Ok(()); // the crate's own folder
            }
            findings.push(unsafe_entry(
                &entry.raw_path,
                format!("outside the `{prefix}` folder (cargo refuses to unpack such a crate)"),
            ));
            return Ok(());
        };
        if let Some(why) = why {
            findings.push(unsafe_entry(&entry.raw_path, why));
            crate_files.links.insert(rel.to_owned());
            return Ok(());
        }
        if entry.kind != EntryKind::File || rel.rsplit('/').next() == Some(CARGO_OK) || !hash_files
        {
            return Ok(());
        }
        if let Some((hash, n)) = digest::hash_reader(HashAlgorithm::Sha256, entry.reader)? {
            bytes += n;
            crate_files.files.insert(rel.to_owned(), hash);
        }
        Ok(())
    });
    out.stats.bytes += bytes;
    out.findings.extend(findings);
    match result {
        Ok(_) => Some(crate_files),
        Err(e) => {
            out.unchecked(display, e.to_string());
            None
        }
    }
}

/// Compares every file under `dir` with `expected` (relative path → SHA-256), reporting
/// `file-modified`, `file-added` and `file-missing` against `pkg`. Symbolic links are never
/// followed; `skip` names relative paths that are not compared.
fn compare_tree(
    pkg: &Package,
    dir: &Path,
    display: &str,
    mut expected: BTreeMap<String, Hash>,
    skip: &dyn Fn(&str) -> bool,
    out: &mut Outcome,
) {
    let who = format!("`{} {}`", pkg.name, pkg.version);
    let evidence = |file: String, expected: Option<Hash>, actual: Option<Hash>| Evidence {
        file: Some(file),
        expected,
        actual,
        value: None,
    };
    for entry in walkdir::WalkDir::new(dir).follow_links(false).min_depth(1) {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                let at = e.path().unwrap_or(dir).display().to_string();
                out.unchecked(at, format!("cannot list: {e}"));
                continue;
            }
        };
        let file_type = entry.file_type();
        if file_type.is_dir() {
            continue;
        }
        let Some(rel) = relative(dir, entry.path()) else {
            continue;
        };
        if skip(&rel) {
            continue;
        }
        let file = format!("{display}/{rel}");
        let want = expected.remove(&rel);
        if !file_type.is_file() {
            let code = if want.is_some() {
                FindingCode::FileModified
            } else {
                FindingCode::FileAdded
            };
            out.findings.push(crate::package_finding(
                code,
                pkg,
                format!("{who}: `{rel}` is a link or special file (not followed)"),
                evidence(file, want, None),
            ));
            continue;
        }
        let actual = match hash_file(entry.path(), out) {
            Ok(h) => h,
            Err(e) => {
                out.unchecked(file, format!("cannot read: {e}"));
                continue;
            }
        };
        out.stats.files += 1;
        match want {
            Some(want) if digest::same_digest(&want, &actual) => {}
            Some(want) => out.findings.push(crate::package_finding(
                FindingCode::FileModified,
                pkg,
                format!("{who}: `{rel}` differs from the published file"),
                evidence(file, Some(want), Some(actual)),
            )),
            None => out.findings.push(crate::package_finding(
                FindingCode::FileAdded,
                pkg,
                format!("{who}: `{rel}` is not part of the published crate"),
                evidence(file, None, Some(actual)),
            )),
        }
    }
    for (rel, want) in expected {
        out.findings.push(crate::package_finding(
            FindingCode::FileMissing,
            pkg,
            format!("{who}: `{rel}` of the published crate is missing"),
            evidence(format!("{display}/{rel}"), Some(want), None),
        ));
    }
}

/// `path` relative to `base`, with `/` separators; `None` when not under it.
fn relative(base: &Path, path: &Path) -> Option<String> {
    let rel = path.strip_prefix(base).ok()?;
    let parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    (!parts.is_empty()).then(|| parts.join("/"))
}

/// `.cargo-checksum.json`.
#[derive(Deserialize)]
struct CargoChecksumWire {
    #[serde(default)]
    files: BTreeMap<String, String>,
    #[serde(default)]
    package: Option<String>,
}

/// Verifies a vendor folder found on its own.
pub(crate) fn verify_vendor(
    source: &SourceRef<'_>,
    all: &[SourceRef<'_>],
    _options: &Options,
    out: &mut Outcome,
) {
    let display = source.display.trim_end_matches('/');
    let lock = source.path.parent().and_then(|parent| {
        all.iter().find(|s| {
            s.format == Format::Cargo && s.path.parent().is_some_and(|p| same_dir(p, parent))
        })
    });
    if lock.is_none() {
        out.unchecked(
            display,
            "no Cargo.lock beside this vendor folder among the scanned sources: the vendored crates were not compared with a lockfile",
        );
    }
    let subdirs = match list_crate_dirs(source.path) {
        Ok(d) => d,
        Err(e) => {
            out.unchecked(display, format!("cannot list: {e}"));
            return;
        }
    };
    let results: Vec<Outcome> = subdirs
        .par_iter()
        .map(|subdir| {
            let mut one = Outcome::default();
            let place = format!("{display}/{subdir}");
            let pkg = vendored_package(source.lockfile, subdir, &place);
            verify_vendored_crate(
                &pkg,
                &source.path.join(subdir),
                &place,
                lock.map(|l| l.lockfile),
                &mut one,
            );
            one
        })
        .collect();
    for one in results {
        out.merge(one);
    }
}

/// The inventory's package for a vendored crate folder, or one named after the folder
/// (its manifest could not be read: the inventory warned).
fn vendored_package(vendor: &Lockfile, subdir: &str, place: &str) -> Package {
    let manifest = format!("{place}/Cargo.toml");
    if let Some(p) = vendor
        .packages
        .iter()
        .find(|p| p.locations.iter().any(|l| l.path == manifest))
    {
        return p.clone();
    }
    let mut p = Package::new(
        Ecosystem::CratesIo,
        subdir,
        "",
        Origin::Path {
            path: place.to_owned(),
        },
    );
    p.locations.push(Location::new(manifest, None));
    p
}

/// True when two folder paths name the same folder (as given, or once resolved).
fn same_dir(a: &Path, b: &Path) -> bool {
    a == b
        || matches!(
            (fs_err::canonicalize(a), fs_err::canonicalize(b)),
            (Ok(x), Ok(y)) if x == y
        )
}

/// The crate folders of a vendor folder (hidden ones are not crates), sorted.
fn list_crate_dirs(dir: &Path) -> std::io::Result<Vec<String>> {
    let mut out = Vec::new();
    for entry in fs_err::read_dir(dir)? {
        let entry = entry?;
        let Ok(name) = entry.file_name().into_string() else {
            continue;
        };
        if !name.starts_with('.') && entry.file_type().is_ok_and(|t| t.is_dir()) {
            out.push(name);
        }
    }
    out.sort();
    Ok(out)
}

/// Checks one vendored crate folder.
fn verify_vendored_crate(
    pkg: &Package,
    dir: &Path,
    place: &str,
    lock: Option<&Lockfile>,
    out: &mut Outcome,
) {
    // Step 1: the checksum list.
    let checksum_display = format!("{place}/{CHECKSUM_FILE}");
    let wire = match read_capped(&dir.join(CHECKSUM_FILE)) {
        Ok(text) => match serde_json::from_str::<CargoChecksumWire>(&text) {
            Ok(w) => w,
            Err(e) => {
                out.unchecked(checksum_display, format!("not valid: {e}"));
                return;
            }
        },
        Err(e) => {
            out.unchecked(checksum_display, format!("cannot read: {e}"));
            return;
        }
    };
    out.stats.packages += 1;
    // Step 2: every file against the list.
    let mut expected = BTreeMap::new();
    for (path, hex) in &wire.files {
        match Hash::from_hex(HashAlgorithm::Sha256, hex) {
            Ok(h) => {
                expected.insert(path.clone(), h);
            }
            Err(e) => out.unchecked(format!("{place}/{path}"), format!("{CHECKSUM_FILE}: {e}")),
        }
    }
    // A listed path whose checksum we could not read must not turn into `file-added`.
    let unreadable: BTreeSet<&str> = wire
        .files
        .keys()
        .filter(|p| !expected.contains_key(*p))
        .map(String::as_str)
        .collect();
    compare_tree(
        pkg,
        dir,
        place,
        expected,
        &|rel| rel == CHECKSUM_FILE || unreadable.contains(rel),
        out,
    );
    // Step 3: the lockfile beside the vendor folder.
    let Some(lock) = lock else {
        return;
    };
    let locked: Vec<&Package> = lock
        .packages
        .iter()
        .filter(|p| p.name == pkg.name && p.version == pkg.version)
        .collect();
    let package_hash = wire
        .package
        .as_deref()
        .and_then(|hex| Hash::from_hex(HashAlgorithm::Sha256, hex).ok());
    let Some(lock_pkg) = locked.first() else {
        out.findings.push(crate::package_finding(
            FindingCode::NotInLockfile,
            pkg,
            format!(
                "`{} {}` is vendored but the Cargo.lock beside the vendor folder does not list it",
                pkg.name, pkg.version
            ),
            Evidence {
                file: Some(place.to_owned()),
                expected: None,
                actual: package_hash,
                value: None,
            },
        ));
        return;
    };
    if let Some(hex) = wire.package.as_deref()
        && package_hash.is_none()
    {
        out.unchecked(
            checksum_display,
            format!("`package` checksum `{hex}` is not a SHA-256 digest"),
        );
        return;
    }
    let Some(actual) = package_hash else {
        return; // a git crate: no archive checksum, in the vendor folder or in Cargo.lock
    };
    let lock_hashes: Vec<&Hash> = locked.iter().flat_map(|p| sha256_hashes(p)).collect();
    if lock_hashes.is_empty() || lock_hashes.iter().any(|h| digest::same_digest(h, &actual)) {
        return;
    }
    out.findings.push(crate::package_finding(
        FindingCode::IntegrityMismatch,
        lock_pkg,
        format!(
            "`{} {}`: the vendored crate's `package` checksum differs from Cargo.lock",
            pkg.name, pkg.version
        ),
        Evidence {
            file: Some(checksum_display),
            expected: lock_hashes.first().map(|h| (*h).clone()),
            actual: Some(actual),
            value: None,
        },
    ));
}

/// Reads a UTF-8 file of at most [`MAX_CHECKSUM_FILE_BYTES`].
fn read_capped(path: &Path) -> std::io::Result<String> {
    let file = fs_err::File::open(path)?;
    let mut text = String::new();
    file.take(MAX_CHECKSUM_FILE_BYTES + 1)
        .read_to_string(&mut text)?;
    if text.len() as u64 > MAX_CHECKSUM_FILE_BYTES {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("larger than {MAX_CHECKSUM_FILE_BYTES} bytes"),
        ));
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        #[test]
        fn registry_host_never_panics(s in "\\PC*") {
            let _ = registry_host(&s);
            let _ = registry_host(&format!("sparse+https://{s}"));
        }
    }

    #[test]
    fn reads_registry_hosts() {
        assert_eq!(
            registry_host("sparse+https://my.reg:8443/index/").as_deref(),
            Some("my.reg")
        );
        assert_eq!(
            registry_host("registry+https://user@Git.Example.com/r").as_deref(),
            Some("git.example.com")
        );
        assert_eq!(registry_host("registry+nothing"), None);
    }

    #[test]
    fn crates_io_sources_use_both_cache_folders() {
        let dirs = vec![
            IndexDir {
                name: CRATES_IO_GIT_DIR.into(),
                host: "github.com".into(),
            },
            IndexDir {
                name: "index.crates.io-1949cf8c6b5b557f".into(),
                host: "index.crates.io".into(),
            },
            IndexDir {
                name: "my.reg-0123456789abcdef".into(),
                host: "my.reg".into(),
            },
        ];
        let origin = Origin::Registry {
            url: Some(CRATES_IO_GIT.into()),
        };
        assert_eq!(own_dirs(&origin, &dirs).unwrap().len(), 2);
        let origin = Origin::Registry {
            url: Some("sparse+https://my.reg/index/".into()),
        };
        let own = own_dirs(&origin, &dirs).unwrap();
        assert_eq!(own.len(), 1);
        assert_eq!(own[0].host, "my.reg");
        let origin = Origin::Registry {
            url: Some("local-registry+file:///x".into()),
        };
        assert!(own_dirs(&origin, &dirs).is_err());
    }
}
