//! yarn berry: cache zips against the lockfile checksums.
//!
//! yarn berry (v2 and later) installs from zips it writes into its cache, and its lockfile
//! pins the SHA-512 of each zip (`checksum: <cacheKey>/<hex>`, recorded by chainward-npm as
//! a hash with the artifact `yarn-cache-zip:<cacheKey>`). Layouts read here (observed with
//! yarn 3.8 and 4.x):
//! - the project cache (`.yarn/cache`, or `cacheFolder` of the project's `.yarnrc.yml`):
//!   `<slug>-<checksum[..10]>.zip`;
//! - the global cache (yarn 4's default, `enableGlobalCache`; [`Options::yarn_cache`], else
//!   `<globalFolder>/cache` from `.yarnrc.yml`): `<slug>-<cacheKey>.zip`;
//! - `<slug>` is `<ident>-<protocol>[-<version>]-<locatorHash[..10]>`: the ident with its
//!   scope joined by `-` (`@types-minimist`), `npm-7.0.0` for registry packages or the bare
//!   protocol otherwise (`https`, `patch`, `file`), and the SHA-512 of the SHA-512 of the
//!   ident (scope without `@`, then name) followed by the resolution's reference.
//!
//! Steps, per berry `yarn.lock` (yarn classic lockfiles are left alone: its cache holds
//! tarballs that no lockfile field pins):
//! 1. hash every zip of the project cache. A zip whose name is a locked package's (its cache
//!    name, or for packages whose resolution the lockfile reader does not keep, the ident and
//!    checksum prefix) must hash to that package's checksum, else
//!    [`FindingCode::IntegrityMismatch`]; a zip named for no locked package is accepted when
//!    it holds exactly a locked package's bytes, else [`FindingCode::NotInLockfile`];
//! 2. look up each package the project cache lacks in the global cache, by its exact cache
//!    name where the resolution can be rebuilt (registry and URL packages); otherwise among
//!    zips of the same ident and protocol shape, one of which must hash to the checksum;
//! 3. read every zip checked through [`crate::archive::read_zip`], bounded by
//!    [`Options::limits`]: entries with absolute paths, `..` components or links are
//!    [`FindingCode::UnsafeArchiveEntry`].
//!
//! Not checked (each an [`crate::Unchecked`] entry): packages whose zip is in no cache folder
//! found (one entry for the lockfile when there is no cache at all), and packages without a
//! checksum. Optional packages without a zip or a checksum are skipped: yarn does not fetch
//! (nor checksum) packages whose `conditions:` exclude this platform. Local folders (`link:`, `portal:`) have no zip. Only the project's own
//! `.yarnrc.yml` is read (not those of parent folders or the home folder, nor `YARN_*`
//! variables).

use std::collections::{BTreeSet, HashMap};
use std::io;
use std::path::Path;

use chainward_types::{
    Ecosystem, Evidence, Finding, FindingCode, Hash, HashAlgorithm, Location, Origin, Package,
    PackageRef, Scope,
};
use rayon::prelude::*;
use sha2::Digest as _;

use crate::archive::{self, EntryKind};
use crate::{Options, Outcome, SourceRef, digest};
use crate::{join_shown, shown_parent};

/// The project cache folder when `.yarnrc.yml` names none.
const DEFAULT_CACHE_FOLDER: &str = ".yarn/cache";
/// Unsafe entries reported per zip; the rest are counted in the last message.
const MAX_UNSAFE_PER_ZIP: usize = 20;
/// Largest `.yarnrc.yml` or lockfile header read.
const MAX_TEXT_BYTES: u64 = 16 << 20;

/// Verifies a yarn project.
pub(crate) fn verify(source: &SourceRef<'_>, options: &Options, out: &mut Outcome) {
    if !source.lockfile.format.starts_with("yarn-berry") {
        return;
    }
    let project = source.dir();
    let shown_dir = shown_parent(source.display);

    // 0. Settings and what is locked.
    let rc = match read_yarnrc(&project.join(".yarnrc.yml")) {
        Ok(rc) => rc,
        Err(e) => {
            out.unchecked(
                join_shown(&shown_dir, ".yarnrc.yml"),
                format!("cannot read yarn's settings ({e}); the default cache folders are used"),
            );
            YarnRc::default()
        }
    };
    let meta_key = metadata_cache_key(source.path);
    let locked: Vec<LockedZip<'_>> = source
        .lockfile
        .packages
        .iter()
        .filter_map(|pkg| LockedZip::new(pkg, meta_key.as_deref(), source.display, out))
        .collect();
    let cache_folder = rc.cache_folder.as_deref().unwrap_or(DEFAULT_CACHE_FOLDER);
    let local = project.join(cache_folder);
    let local_shown = if Path::new(cache_folder).is_absolute() {
        cache_folder.to_owned()
    } else {
        join_shown(&shown_dir, cache_folder.trim_start_matches("./"))
    };
    let global = options
        .yarn_cache
        .clone()
        .or_else(|| rc.global_folder.map(|g| project.join(g).join("cache")));

    // 1. The project cache.
    let mut found = vec![false; locked.len()];
    let local_names = list_zips(&local);
    let local_exists = local_names.is_ok();
    match local_names {
        Ok(names) => {
            let by_name = local_name_map(&locked);
            let by_checksum: HashMap<&str, usize> = locked
                .iter()
                .enumerate()
                .map(|(i, l)| (l.checksum.hex.as_str(), i))
                .collect();
            let results: Vec<(Vec<usize>, Outcome)> = names
                .par_iter()
                .map(|name| {
                    check_local_zip(
                        &local.join(name),
                        &format!("{local_shown}/{name}"),
                        name,
                        &locked,
                        &by_name,
                        &by_checksum,
                        options,
                    )
                })
                .collect();
            for (owners, outcome) in results {
                for i in owners {
                    found[i] = true;
                }
                out.merge(outcome);
            }
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => out.unchecked(local_shown.clone(), format!("cannot list it: {e}")),
    }

    // 2. The global cache, for what the project cache lacks.
    let global_names = global.as_ref().map(|g| (g, list_zips(g)));
    let global_set: Option<BTreeSet<String>> = match &global_names {
        Some((_, Ok(names))) => Some(names.iter().cloned().collect()),
        Some((g, Err(e))) => {
            if e.kind() != io::ErrorKind::NotFound {
                out.unchecked(g.display().to_string(), format!("cannot list it: {e}"));
            }
            None
        }
        None => None,
    };
    if let (Some(g), Some(set)) = (&global, &global_set) {
        let results: Vec<(usize, bool, Outcome)> = locked
            .par_iter()
            .enumerate()
            .filter(|(i, _)| !found[*i])
            .map(|(i, l)| {
                let (ok, outcome) = check_global(g, set, l, options);
                (i, ok, outcome)
            })
            .collect();
        for (i, ok, outcome) in results {
            found[i] |= ok;
            out.merge(outcome);
        }
    }

    // 3. What no cache holds.
    let missing: Vec<&LockedZip<'_>> = locked
        .iter()
        .zip(&found)
        .filter(|(l, f)| !**f && !l.pkg.scopes.contains(&Scope::Optional))
        .map(|(l, _)| l)
        .collect();
    if missing.is_empty() {
        return;
    }
    let global_shown = global.as_ref().map(|g| g.display().to_string());
    if !local_exists && global_set.is_none() {
        let why = match &global_shown {
            Some(g) => format!("neither {local_shown} nor the global cache {g} exists"),
            None => format!(
                "{local_shown} does not exist and the global cache folder is unknown (yarn 4 uses one by default)"
            ),
        };
        out.unchecked(
            source.display,
            format!(
                "no yarn cache found: {why}; {} cache zips were not checked",
                missing.len()
            ),
        );
        return;
    }
    for l in missing {
        let looked = match &global_shown {
            Some(g) => format!("{local_shown} or {g}"),
            None => local_shown.clone(),
        };
        out.unchecked(
            l.pkg.purl.clone(),
            format!("no cache zip for it in {looked}"),
        );
    }
}

/// What `.yarnrc.yml` says about caches.
#[derive(Debug, Default, PartialEq, Eq)]
struct YarnRc {
    cache_folder: Option<String>,
    global_folder: Option<String>,
}

fn read_yarnrc(path: &Path) -> io::Result<YarnRc> {
    let text = match read_text(path) {
        Ok(t) => t,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(YarnRc::default()),
        Err(e) => return Err(e),
    };
    Ok(parse_yarnrc(&text))
}

/// Reads the top-level `cacheFolder` and `globalFolder` (values with `${...}` environment
/// references are ignored: their value is not known here).
fn parse_yarnrc(text: &str) -> YarnRc {
    let mut rc = YarnRc::default();
    for line in text.lines() {
        if line.starts_with([' ', '\t', '#', '-']) {
            continue;
        }
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        let value = unquote(value.trim());
        if value.is_empty() || value.contains("${") {
            continue;
        }
        match key.trim() {
            "cacheFolder" => rc.cache_folder = Some(value),
            "globalFolder" => rc.global_folder = Some(value),
            _ => {}
        }
    }
    rc
}

/// `__metadata.cacheKey`, for checksums written without their cache key (yarn 2 and 3).
fn metadata_cache_key(path: &Path) -> Option<String> {
    let text = read_text(path).ok()?;
    let mut in_metadata = false;
    for line in text.lines() {
        if !line.starts_with([' ', '\t']) {
            in_metadata = matches!(
                line.trim_end(),
                "__metadata:" | "\"__metadata\":" | "'__metadata':"
            );
            continue;
        }
        if in_metadata && let Some(v) = line.trim().strip_prefix("cacheKey:") {
            return Some(unquote(v.trim())).filter(|k| !k.is_empty());
        }
    }
    None
}

fn read_text(path: &Path) -> io::Result<String> {
    use std::io::Read as _;
    let mut bytes = Vec::new();
    fs_err::File::open(path)?
        .take(MAX_TEXT_BYTES)
        .read_to_end(&mut bytes)?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

fn unquote(s: &str) -> String {
    if let Some(inner) = s.strip_prefix('\'').and_then(|s| s.strip_suffix('\'')) {
        inner.replace("''", "'")
    } else if let Some(inner) = s.strip_prefix('"').and_then(|s| s.strip_suffix('"')) {
        inner.replace("\\\\", "\\").replace("\\\"", "\"")
    } else {
        s.to_owned()
    }
}

/// A locked package with a cache checksum.
struct LockedZip<'a> {
    pkg: &'a Package,
    checksum: &'a Hash,
    /// The cache key its checksum was computed under.
    cache_key: Option<String>,
    /// `@scope-name` or `name`.
    ident_slug: String,
    /// The whole slug, when the resolution can be rebuilt from the package.
    slug: Option<String>,
}

impl<'a> LockedZip<'a> {
    fn new(
        pkg: &'a Package,
        meta_key: Option<&str>,
        display: &str,
        out: &mut Outcome,
    ) -> Option<Self> {
        let Some(checksum) = pkg.hashes.iter().find(|h| {
            h.algorithm == HashAlgorithm::Sha512
                && h.artifact
                    .as_deref()
                    .is_some_and(|a| a.starts_with("yarn-cache-zip"))
        }) else {
            // Local folders have no zip; platform packages for other systems (optional, with
            // `conditions:`) are locked without a checksum because yarn never fetched them.
            if !matches!(pkg.origin, Origin::Path { .. } | Origin::Workspace { .. })
                && !pkg.scopes.contains(&Scope::Optional)
            {
                out.unchecked(
                    pkg.purl.clone(),
                    format!("{display} records no cache checksum for it"),
                );
            }
            return None;
        };
        let cache_key = checksum
            .artifact
            .as_deref()
            .and_then(|a| a.strip_prefix("yarn-cache-zip:"))
            .or(meta_key)
            .map(str::to_owned);
        let ident_slug = ident_slug(&pkg.name);
        let slug = locator_reference(pkg).map(|reference| {
            let (protocol, selector) = reference.split_once(':').unwrap_or(("", &reference));
            let human = if protocol == "npm" {
                format!("npm-{selector}")
            } else {
                protocol.to_owned()
            };
            let hash = locator_hash(&pkg.name, &reference);
            format!("{ident_slug}-{human}-{}", &hash[..10])
        });
        Some(Self {
            pkg,
            checksum,
            cache_key,
            ident_slug,
            slug,
        })
    }

    fn checksum_prefix(&self) -> &str {
        self.checksum.hex.get(..10).unwrap_or(&self.checksum.hex)
    }
}

/// `@types/minimist` → `@types-minimist`.
fn ident_slug(name: &str) -> String {
    if name.starts_with('@') {
        name.replacen('/', "-", 1)
    } else {
        name.to_owned()
    }
}

/// The reference of the package's resolution, where it can be rebuilt: `npm:<version>` for
/// registry packages, the URL for tarballs. Patched packages (whose entry key says
/// `@patch:`) and other protocols cannot.
fn locator_reference(pkg: &Package) -> Option<String> {
    let patched = pkg
        .locations
        .iter()
        .any(|l| l.key.as_deref().is_some_and(|k| k.contains("@patch:")));
    if patched || pkg.version.is_empty() {
        return None;
    }
    match &pkg.origin {
        Origin::Registry { url: None } => Some(format!("npm:{}", pkg.version)),
        Origin::Registry { url: Some(u) } | Origin::Url { url: u }
            if u.starts_with("https:") || u.starts_with("http:") =>
        {
            Some(u.clone())
        }
        _ => None,
    }
}

/// yarn's `locatorHash`: SHA-512 hex of the ident hash (SHA-512 hex of scope and name)
/// followed by the reference.
fn locator_hash(name: &str, reference: &str) -> String {
    let (scope, bare) = match name.strip_prefix('@').and_then(|n| n.split_once('/')) {
        Some((scope, bare)) => (scope, bare),
        None => ("", name),
    };
    let ident_hash = hex::encode(sha2::Sha512::digest(format!("{scope}{bare}").as_bytes()));
    hex::encode(sha2::Sha512::digest(
        format!("{ident_hash}{reference}").as_bytes(),
    ))
}

/// The `.zip` files of a cache folder, sorted.
fn list_zips(dir: &Path) -> io::Result<Vec<String>> {
    let mut names = Vec::new();
    for entry in fs_err::read_dir(dir)? {
        let entry = entry?;
        let Ok(name) = entry.file_name().into_string() else {
            continue;
        };
        if name.ends_with(".zip") && entry.file_type()?.is_file() {
            names.push(name);
        }
    }
    names.sort();
    Ok(names)
}

/// Project-cache file names of the packages whose slug is known: the checksum-named form
/// yarn 3 and 4 write, and the cache-key-named form.
fn local_name_map(locked: &[LockedZip<'_>]) -> HashMap<String, usize> {
    let mut map = HashMap::new();
    for (i, l) in locked.iter().enumerate() {
        if let Some(slug) = &l.slug {
            map.insert(format!("{slug}-{}.zip", l.checksum_prefix()), i);
            if let Some(key) = &l.cache_key {
                map.insert(format!("{slug}-{key}.zip"), i);
            }
        }
    }
    map
}

/// The package a project-cache file name stands for: its exact name, or for packages whose
/// slug is unknown, the ident and the checksum prefix.
fn local_owner(
    name: &str,
    locked: &[LockedZip<'_>],
    by_name: &HashMap<String, usize>,
) -> Option<usize> {
    if let Some(&i) = by_name.get(name) {
        return Some(i);
    }
    let stem = name.strip_suffix(".zip")?;
    let (rest, prefix) = stem.rsplit_once('-')?;
    locked.iter().position(|l| {
        l.slug.is_none()
            && l.checksum_prefix() == prefix
            && rest.starts_with(&l.ident_slug)
            && rest.as_bytes().get(l.ident_slug.len()) == Some(&b'-')
    })
}

fn check_local_zip(
    path: &Path,
    shown: &str,
    name: &str,
    locked: &[LockedZip<'_>],
    by_name: &HashMap<String, usize>,
    by_checksum: &HashMap<&str, usize>,
    options: &Options,
) -> (Vec<usize>, Outcome) {
    let mut out = Outcome::default();
    let owner = local_owner(name, locked, by_name);
    let hash = match hash_zip(path, &mut out) {
        Ok(h) => h,
        Err(e) => {
            out.unchecked(shown, e.to_string());
            return (owner.into_iter().collect(), out);
        }
    };
    let (owners, subject) = match owner {
        Some(i) => {
            let l = &locked[i];
            compare_checksum(l, &hash, shown, &mut out);
            (vec![i], Subject::of(l.pkg))
        }
        None => {
            match by_checksum.get(hash.hex.as_str()) {
                Some(&i) => {
                    out.stats.packages += 1;
                    (vec![i], Subject::of(locked[i].pkg))
                }
                None => {
                    let subject = Subject::guess(name, locked, shown);
                    out.findings.push(crate::finding(
                    FindingCode::NotInLockfile,
                    subject.package.clone(),
                    format!("{shown} is in the project's yarn cache but the lockfile does not lock it"),
                    subject.locations.clone(),
                    Evidence {
                        file: Some(shown.to_owned()),
                        actual: Some(hash),
                        ..Evidence::default()
                    },
                ));
                    (Vec::new(), subject)
                }
            }
        }
    };
    scan_entries(path, shown, &subject, options, &mut out);
    (owners, out)
}

/// Looks for a package in the global cache; true when its zip was found.
fn check_global(
    dir: &Path,
    names: &BTreeSet<String>,
    l: &LockedZip<'_>,
    options: &Options,
) -> (bool, Outcome) {
    let mut out = Outcome::default();
    // The exact name, where it can be rebuilt: that file must be this package's.
    if let (Some(slug), Some(key)) = (&l.slug, &l.cache_key) {
        let name = format!("{slug}-{key}.zip");
        if names.contains(&name) {
            let path = dir.join(&name);
            let shown = path.display().to_string();
            match hash_zip(&path, &mut out) {
                Ok(hash) => {
                    compare_checksum(l, &hash, &shown, &mut out);
                    scan_entries(&path, &shown, &Subject::of(l.pkg), options, &mut out);
                }
                Err(e) => out.unchecked(shown, e.to_string()),
            }
            return (true, out);
        }
    }
    // Otherwise every zip named like it; one must hold exactly its bytes.
    let candidates: Vec<&String> = names.iter().filter(|n| global_candidate(n, l)).collect();
    for name in &candidates {
        let path = dir.join(name);
        let shown = path.display().to_string();
        let mut scratch = Outcome::default();
        match hash_zip(&path, &mut scratch) {
            Ok(hash) if digest::same_digest(&hash, l.checksum) => {
                out.stats.add(scratch.stats);
                out.stats.packages += 1;
                scan_entries(&path, &shown, &Subject::of(l.pkg), options, &mut out);
                return (true, out);
            }
            Ok(_) => out.stats.add(scratch.stats),
            Err(e) => out.unchecked(shown, e.to_string()),
        }
    }
    if candidates.is_empty() {
        return (false, out);
    }
    out.unchecked(
        l.pkg.purl.clone(),
        format!(
            "none of the {} zips named like it in the global cache {} holds its checksum, and its exact cache name cannot be told from the lockfile",
            candidates.len(),
            dir.display()
        ),
    );
    (true, out)
}

/// A global-cache file name that may be the package's: `<slug>-<key>.zip` when the slug is
/// known (any key when the lockfile does not say), else `<ident>-<protocol>-<10 hex>-<key>.zip`.
fn global_candidate(name: &str, l: &LockedZip<'_>) -> bool {
    let Some(stem) = name.strip_suffix(".zip") else {
        return false;
    };
    let key_ok = |key: &str| {
        !key.is_empty() && !key.contains('-') && l.cache_key.as_deref().is_none_or(|k| k == key)
    };
    if let Some(slug) = &l.slug {
        return stem
            .strip_prefix(slug.as_str())
            .and_then(|r| r.strip_prefix('-'))
            .is_some_and(key_ok);
    }
    let Some(rest) = stem
        .strip_prefix(l.ident_slug.as_str())
        .and_then(|r| r.strip_prefix('-'))
    else {
        return false;
    };
    let mut parts = rest.split('-');
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(protocol), Some(hash), Some(key), None) => {
            !protocol.is_empty()
                && hash.len() == 10
                && hash.bytes().all(|b| b.is_ascii_hexdigit())
                && key_ok(key)
        }
        _ => false,
    }
}

/// Hashes a zip and counts it.
fn hash_zip(path: &Path, out: &mut Outcome) -> io::Result<Hash> {
    match digest::hash_file(HashAlgorithm::Sha512, path)? {
        Some((hash, n)) => {
            out.stats.archives += 1;
            out.stats.bytes += n;
            Ok(hash)
        }
        None => Err(io::Error::other("SHA-512 is not available")),
    }
}

fn compare_checksum(l: &LockedZip<'_>, hash: &Hash, shown: &str, out: &mut Outcome) {
    out.stats.packages += 1;
    if digest::same_digest(hash, l.checksum) {
        return;
    }
    out.findings.push(crate::package_finding(
        FindingCode::IntegrityMismatch,
        l.pkg,
        format!(
            "yarn cache zip {shown} of {}@{} does not hash to the checksum in the lockfile",
            l.pkg.name, l.pkg.version
        ),
        Evidence {
            file: Some(shown.to_owned()),
            expected: Some(l.checksum.clone()),
            actual: Some(hash.clone()),
            value: None,
        },
    ));
}

/// Who findings about a zip are about.
struct Subject {
    package: PackageRef,
    locations: Vec<Location>,
}

impl Subject {
    fn of(pkg: &Package) -> Self {
        Self {
            package: crate::package_ref(pkg),
            locations: pkg.locations.clone(),
        }
    }

    /// The package a zip that no locked package explains seems to hold, from its name
    /// (`<ident>-npm-<version>-<hash>-<suffix>.zip`).
    fn guess(name: &str, locked: &[LockedZip<'_>], shown: &str) -> Self {
        let stem = name.strip_suffix(".zip").unwrap_or(name);
        let mut parts = stem.rsplitn(3, '-');
        let (_suffix, _hash, front) = (parts.next(), parts.next(), parts.next());
        let front = front.unwrap_or(stem);
        let (ident, version) = match front.rsplit_once("-npm-") {
            Some((ident, version)) => (ident, version),
            None => (
                front
                    .rsplit_once('-')
                    .map_or(front, |(ident, _protocol)| ident),
                "",
            ),
        };
        let name = locked.iter().find(|l| l.ident_slug == ident).map_or_else(
            || {
                if ident.starts_with('@') {
                    ident.replacen('-', "/", 1)
                } else {
                    ident.to_owned()
                }
            },
            |l| l.pkg.name.clone(),
        );
        let pkg = Package::new(Ecosystem::Npm, &name, version, Origin::registry());
        Self {
            package: crate::package_ref(&pkg),
            locations: vec![Location::new(shown, None)],
        }
    }
}

/// Reads a zip's entries, reporting unsafe ones.
fn scan_entries(path: &Path, shown: &str, subject: &Subject, options: &Options, out: &mut Outcome) {
    let file = match fs_err::File::open(path) {
        Ok(f) => f,
        Err(e) => {
            out.unchecked(shown, e.to_string());
            return;
        }
    };
    let mut unsafe_entries: Vec<(String, String, Option<String>)> = Vec::new();
    let result = archive::read_zip(io::BufReader::new(file), &options.limits, |entry| {
        let reason = match (&entry.path, &entry.kind) {
            (Err(why), _) => Some((why.to_string(), None)),
            (Ok(_), EntryKind::Symlink(target)) => {
                Some(("symbolic link".to_owned(), Some(target.clone())))
            }
            (Ok(_), EntryKind::Hardlink(target)) => {
                Some(("hard link".to_owned(), Some(target.clone())))
            }
            _ => None,
        };
        if let Some((why, target)) = reason {
            unsafe_entries.push((entry.raw_path.clone(), why, target));
        }
        Ok(())
    });
    if let Err(e) = result {
        out.unchecked(shown, format!("its entries could not all be read: {e}"));
    }
    let total = unsafe_entries.len();
    for (n, (raw, why, target)) in unsafe_entries
        .into_iter()
        .take(MAX_UNSAFE_PER_ZIP)
        .enumerate()
    {
        let more = if n + 1 == MAX_UNSAFE_PER_ZIP && total > MAX_UNSAFE_PER_ZIP {
            format!(
                " ({} more unsafe entries not listed)",
                total - MAX_UNSAFE_PER_ZIP
            )
        } else {
            String::new()
        };
        let value = match target {
            Some(t) => format!("{raw} -> {t}"),
            None => raw.clone(),
        };
        out.findings
            .push(unsafe_entry(subject, shown, &raw, &why, value, &more));
    }
}

fn unsafe_entry(
    subject: &Subject,
    shown: &str,
    raw: &str,
    why: &str,
    value: String,
    more: &str,
) -> Finding {
    crate::finding(
        FindingCode::UnsafeArchiveEntry,
        subject.package.clone(),
        format!("yarn cache zip {shown} has an entry `{raw}` that is unsafe: {why}{more}"),
        subject.locations.clone(),
        Evidence {
            file: Some(format!("{shown}!/{raw}")),
            value: Some(value),
            ..Evidence::default()
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn computes_yarn_locator_hashes() {
        // Cache names from real yarn 3.8 and 4.18 installs.
        assert!(locator_hash("is-number", "npm:7.0.0").starts_with("060086935c"));
        assert!(locator_hash("@types/minimist", "npm:1.2.5").starts_with("c85664a9d8"));
        assert!(
            locator_hash(
                "is-number",
                "https://registry.npmjs.org/is-number/-/is-number-7.0.0.tgz"
            )
            .starts_with("671717c1bd")
        );
    }

    #[test]
    fn reads_cache_settings() {
        let rc = parse_yarnrc(
            "enableGlobalCache: false\ncacheFolder: \"./deps/cache\"\nglobalFolder: '${HOME}/y'\npackageExtensions:\n  x:\n    cacheFolder: no\n",
        );
        assert_eq!(rc.cache_folder.as_deref(), Some("./deps/cache"));
        assert_eq!(rc.global_folder, None);
    }

    #[test]
    fn matches_global_cache_names() {
        let mut p = Package::new(Ecosystem::Npm, "resolve", "1.22.14", Origin::registry());
        p.locations.push(
            Location::new("yarn.lock", Some(1))
                .with_key("resolve@patch:resolve@npm%3A^1.22.0#optional!builtin<compat/resolve>"),
        );
        p.hashes.push(
            Hash::from_hex(HashAlgorithm::Sha512, &"2b".repeat(64))
                .unwrap()
                .with_artifact("yarn-cache-zip:10c0"),
        );
        let mut out = Outcome::default();
        let l = LockedZip::new(&p, None, "yarn.lock", &mut out).unwrap();
        assert!(l.slug.is_none());
        assert!(global_candidate("resolve-patch-f46f3f7b01-10c0.zip", &l));
        assert!(!global_candidate("resolve-patch-f46f3f7b01-8.zip", &l));
        assert!(!global_candidate(
            "resolve-npm-1.22.14-ff039299ff-10c0.zip",
            &l
        ));
        assert!(!global_candidate(
            "resolve-foo-npm-1.0.0-ff039299ff-10c0.zip",
            &l
        ));
    }

    #[test]
    fn guesses_the_package_of_a_stray_zip() {
        let s = Subject::guess(
            "@types-minimist-npm-1.2.5-c85664a9d8-3f791258d8.zip",
            &[],
            "c",
        );
        assert_eq!(
            (s.package.name.as_str(), s.package.version.as_str()),
            ("@types/minimist", "1.2.5")
        );
        let s = Subject::guess("evil-npm-1.0.0-rc.1-0123456789-0123456789.zip", &[], "c");
        assert_eq!(
            (s.package.name.as_str(), s.package.version.as_str()),
            ("evil", "1.0.0-rc.1")
        );
        let s = Subject::guess("resolve-patch-f46f3f7b01-2bf4d13188.zip", &[], "c");
        assert_eq!(s.package.name, "resolve");
    }
}
