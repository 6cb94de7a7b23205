//! yarn berry: project and global caches laid out as yarn 4 (and yarn 3) leave them, from
//! the real lockfiles and cache zips of small installs (`tests/fixtures/yarn/`), clean and
//! tampered; and a yarn classic lockfile, which has no cache to check.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use chainward_integrity::{Options, Outcome, verify};
use chainward_types::{FindingCode, HashAlgorithm};
use sha2::Digest as _;

const IS_NUMBER_ZIP: &str = "is-number-npm-7.0.0-060086935c-b4686d0d30.zip";
const LEFT_PAD_ZIP: &str = "left-pad-npm-1.3.0-0382e69409-3fb59c76e2.zip";
const LEFT_PAD_CHECKSUM: &str = "3fb59c76e281a2f5c810ad71dbbb8eba8b10c6cf94733dc7f27b8c516a5376cacea53543e76f6ae477d866c8954b27f1e15ca349424c2542474eb5bb1d2b6955";

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/yarn")
        .join(name)
}

/// A temp folder with `project/` and an empty `global/` cache folder.
struct Layout {
    _tmp: tempfile::TempDir,
    project: PathBuf,
    global: PathBuf,
}

impl Layout {
    fn empty() -> Self {
        let tmp = tempfile::tempdir().unwrap();
        let project = tmp.path().join("project");
        let global = tmp.path().join("global");
        fs_err::create_dir_all(&project).unwrap();
        fs_err::create_dir_all(&global).unwrap();
        Self {
            _tmp: tmp,
            project,
            global,
        }
    }

    /// A fixture project: its lockfile, its `.yarnrc.yml` if any, and its cache zips in
    /// `.yarn/cache` (yarn 3, or yarn 4 with `enableGlobalCache: false`).
    fn project_cache(fixture_dir: &str) -> Self {
        let layout = Self::empty();
        let dir = fixture(fixture_dir);
        fs_err::copy(dir.join("yarn.lock"), layout.project.join("yarn.lock")).unwrap();
        if dir.join(".yarnrc.yml").exists() {
            fs_err::copy(dir.join(".yarnrc.yml"), layout.project.join(".yarnrc.yml")).unwrap();
        }
        let cache = layout.cache();
        fs_err::create_dir_all(&cache).unwrap();
        fs_err::write(cache.join(".gitignore"), "/.gitignore\n*.flock\n*.tmp\n").unwrap();
        for zip in zips(&dir.join("cache")) {
            fs_err::copy(dir.join("cache").join(&zip), cache.join(&zip)).unwrap();
        }
        layout
    }

    /// yarn 4's default: no project cache, zips in the global cache named
    /// `<slug>-<cacheKey>.zip`.
    fn global_cache() -> Self {
        let layout = Self::empty();
        let dir = fixture("berry-v10");
        fs_err::copy(dir.join("yarn.lock"), layout.project.join("yarn.lock")).unwrap();
        for zip in zips(&dir.join("cache")) {
            let (slug, _checksum) = zip.trim_end_matches(".zip").rsplit_once('-').unwrap();
            fs_err::copy(
                dir.join("cache").join(&zip),
                layout.global.join(format!("{slug}-10c0.zip")),
            )
            .unwrap();
        }
        layout
    }

    fn cache(&self) -> PathBuf {
        self.project.join(".yarn/cache")
    }

    fn verify_with(&self, options: &Options) -> Outcome {
        let sources = chainward_extract::read_sources(
            &[self.project.join("yarn.lock")],
            &chainward_extract::Options::default(),
        )
        .unwrap();
        verify(&sources, options)
    }

    fn verify(&self) -> Outcome {
        self.verify_with(&Options::default())
    }
}

fn zips(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs_err::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".zip"))
        .collect();
    names.sort();
    names
}

/// A zip as yarn writes them (stored, `node_modules/<name>/...`), with extra entries.
fn crafted_zip(name: &str, extra: &[&str], symlink: Option<(&str, &str)>) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Stored)
        .unix_permissions(0o644);
    w.start_file(format!("node_modules/{name}/package.json"), options)
        .unwrap();
    w.write_all(format!(r#"{{"name":"{name}","version":"1.0.0"}}"#).as_bytes())
        .unwrap();
    for path in extra {
        w.start_file(*path, options).unwrap();
        w.write_all(b"owned").unwrap();
    }
    if let Some((link, target)) = symlink {
        w.add_symlink(link, target, options).unwrap();
    }
    w.finish().unwrap().into_inner()
}

fn sha512_hex(bytes: &[u8]) -> String {
    hex::encode(sha2::Sha512::digest(bytes))
}

/// The integrity findings (origin hygiene is checked elsewhere), as (code, package, file).
fn integrity_findings(out: &Outcome) -> Vec<(FindingCode, String, String)> {
    let mut found: Vec<_> = out
        .findings
        .iter()
        .filter(|f| {
            matches!(
                f.code,
                FindingCode::IntegrityMismatch
                    | FindingCode::NotInLockfile
                    | FindingCode::NotInstalled
                    | FindingCode::UnsafeArchiveEntry
            )
        })
        .map(|f| {
            let file = f
                .evidence
                .as_ref()
                .and_then(|e| e.file.clone())
                .unwrap_or_default();
            let file = file
                .rsplit_once('/')
                .map_or(file.clone(), |(_, name)| name.to_owned());
            (
                f.code,
                format!("{}@{}", f.package.name, f.package.version),
                file,
            )
        })
        .collect();
    found.sort();
    found
}

#[test]
fn clean_yarn4_project_cache_has_no_findings() {
    let layout = Layout::project_cache("berry-v10");
    let out = layout.verify();
    assert_eq!(integrity_findings(&out), vec![], "{:#?}", out.findings);
    assert_eq!(out.unchecked, vec![]);
    assert_eq!(out.stats.packages, 3);
    assert_eq!(out.stats.archives, 3);
}

#[test]
fn clean_yarn3_cache_with_checksums_without_cache_key_has_no_findings() {
    let layout = Layout::project_cache("berry-v6");
    let out = layout.verify();
    assert_eq!(integrity_findings(&out), vec![]);
    assert_eq!(out.unchecked, vec![]);
    assert_eq!(out.stats.packages, 1);
}

#[test]
fn clean_yarn4_global_cache_has_no_findings() {
    let layout = Layout::global_cache();
    let out = layout.verify_with(&Options {
        yarn_cache: Some(layout.global.clone()),
        ..Options::default()
    });
    assert_eq!(integrity_findings(&out), vec![], "{:#?}", out.findings);
    assert_eq!(out.unchecked, vec![]);
    assert_eq!(out.stats.packages, 3);
}

#[test]
fn global_cache_zips_of_other_projects_are_not_findings() {
    let layout = Layout::global_cache();
    fs_err::write(
        layout.global.join("other-npm-1.0.0-0123456789-10c0.zip"),
        crafted_zip("other", &[], None),
    )
    .unwrap();
    let out = layout.verify_with(&Options {
        yarn_cache: Some(layout.global.clone()),
        ..Options::default()
    });
    assert_eq!(integrity_findings(&out), vec![]);
    assert_eq!(out.unchecked, vec![]);
}

#[test]
fn detects_tampered_cache_zip() {
    let layout = Layout::project_cache("berry-v10");
    let path = layout.cache().join(IS_NUMBER_ZIP);
    let mut bytes = fs_err::read(&path).unwrap();
    // Rewrite code inside the stored `index.js` entry, keeping the zip readable.
    let at = bytes
        .windows(8)
        .position(|w| w == b"isNumber")
        .expect("stored entry text");
    bytes[at..at + 8].copy_from_slice(b"isEvil__");
    fs_err::write(&path, &bytes).unwrap();
    let out = layout.verify();
    assert_eq!(
        integrity_findings(&out),
        [(
            FindingCode::IntegrityMismatch,
            "is-number@7.0.0".to_owned(),
            IS_NUMBER_ZIP.to_owned()
        )]
    );
    let evidence = out.findings[0].evidence.as_ref().unwrap();
    let expected = evidence.expected.as_ref().unwrap();
    assert_eq!(expected.algorithm, HashAlgorithm::Sha512);
    assert!(expected.hex.starts_with("b4686d0d30"));
    assert_eq!(evidence.actual.as_ref().unwrap().hex, sha512_hex(&bytes));
    assert_eq!(out.unchecked, vec![]);
}

#[test]
fn detects_tampered_zip_in_global_cache() {
    let layout = Layout::global_cache();
    let path = layout.global.join("left-pad-npm-1.3.0-0382e69409-10c0.zip");
    fs_err::write(&path, crafted_zip("left-pad", &[], None)).unwrap();
    let out = layout.verify_with(&Options {
        yarn_cache: Some(layout.global.clone()),
        ..Options::default()
    });
    assert_eq!(
        integrity_findings(&out),
        [(
            FindingCode::IntegrityMismatch,
            "left-pad@1.3.0".to_owned(),
            "left-pad-npm-1.3.0-0382e69409-10c0.zip".to_owned()
        )]
    );
}

#[test]
fn detects_extra_zip_not_in_lockfile() {
    let layout = Layout::project_cache("berry-v10");
    let name = "evil-npm-1.0.0-0123456789-abcdef0123.zip";
    fs_err::write(layout.cache().join(name), crafted_zip("evil", &[], None)).unwrap();
    let out = layout.verify();
    assert_eq!(
        integrity_findings(&out),
        [(
            FindingCode::NotInLockfile,
            "evil@1.0.0".to_owned(),
            name.to_owned()
        )]
    );
    assert_eq!(out.unchecked, vec![]);
}

#[test]
fn detects_zip_with_parent_dir_absolute_and_link_entries() {
    let layout = Layout::project_cache("berry-v10");
    let zip = crafted_zip(
        "left-pad",
        &["node_modules/left-pad/../../../.bashrc", "/etc/cron.d/x"],
        Some(("node_modules/left-pad/link", "/etc/passwd")),
    );
    fs_err::write(layout.cache().join(LEFT_PAD_ZIP), &zip).unwrap();
    // The lockfile pins these bytes, so only the entries are wrong.
    let lock = fs_err::read_to_string(layout.project.join("yarn.lock"))
        .unwrap()
        .replace(LEFT_PAD_CHECKSUM, &sha512_hex(&zip));
    fs_err::write(layout.project.join("yarn.lock"), lock).unwrap();
    let out = layout.verify();
    let found = integrity_findings(&out);
    assert_eq!(
        found
            .iter()
            .map(|f| (f.0, f.1.as_str()))
            .collect::<Vec<_>>(),
        [(FindingCode::UnsafeArchiveEntry, "left-pad@1.3.0"); 3],
        "{found:?}"
    );
    let values: Vec<String> = out
        .findings
        .iter()
        .filter_map(|f| f.evidence.as_ref()?.value.clone())
        .collect();
    assert!(values.contains(&"node_modules/left-pad/../../../.bashrc".to_owned()));
    assert!(values.contains(&"/etc/cron.d/x".to_owned()));
    assert!(values.contains(&"node_modules/left-pad/link -> /etc/passwd".to_owned()));
    assert_eq!(out.unchecked, vec![]);
}

#[test]
fn reports_missing_cache_as_unchecked() {
    let layout = Layout::global_cache();
    let out = layout.verify();
    assert_eq!(integrity_findings(&out), vec![]);
    assert_eq!(out.unchecked.len(), 1, "{:?}", out.unchecked);
    assert!(out.unchecked[0].message.contains("no yarn cache found"));
}

#[test]
fn reports_zip_missing_from_existing_cache_as_unchecked() {
    let layout = Layout::project_cache("berry-v10");
    fs_err::remove_file(layout.cache().join(IS_NUMBER_ZIP)).unwrap();
    let out = layout.verify();
    assert_eq!(integrity_findings(&out), vec![]);
    assert_eq!(out.unchecked.len(), 1, "{:?}", out.unchecked);
    assert_eq!(out.unchecked[0].path, "pkg:npm/is-number@7.0.0");
}

#[test]
fn follows_cache_folder_of_yarnrc() {
    let layout = Layout::project_cache("berry-v10");
    fs_err::rename(layout.cache(), layout.project.join("deps")).unwrap();
    fs_err::write(
        layout.project.join(".yarnrc.yml"),
        "enableGlobalCache: false\ncacheFolder: \"./deps\"\n",
    )
    .unwrap();
    let out = layout.verify();
    assert_eq!(integrity_findings(&out), vec![]);
    assert_eq!(out.unchecked, vec![]);
    assert_eq!(out.stats.packages, 3);
}

#[test]
fn ignores_yarn_classic_lockfiles() {
    let layout = Layout::empty();
    fs_err::copy(
        fixture("classic/yarn.lock"),
        layout.project.join("yarn.lock"),
    )
    .unwrap();
    let out = layout.verify();
    assert_eq!(integrity_findings(&out), vec![]);
    assert_eq!(out.unchecked, vec![]);
    assert_eq!(out.stats.archives, 0);
}

#[test]
fn skips_platform_packages_locked_without_checksum() {
    let layout = Layout::project_cache("berry-v10");
    // As yarn 4 locks esbuild's packages for other platforms: an optional dependency with
    // `conditions:` and no checksum, and no zip.
    let lock = fs_err::read_to_string(layout.project.join("yarn.lock"))
        .unwrap()
        .replace(
            "    left-pad: \"npm:1.3.0\"\n",
            "    left-pad: \"npm:1.3.0\"\n    fsevents: \"npm:2.3.3\"\n  dependenciesMeta:\n    fsevents:\n      optional: true\n",
        )
        + "\n\"fsevents@npm:2.3.3\":\n  version: 2.3.3\n  resolution: \"fsevents@npm:2.3.3\"\n  conditions: os=darwin\n  languageName: node\n  linkType: hard\n";
    fs_err::write(layout.project.join("yarn.lock"), lock).unwrap();
    let out = layout.verify();
    assert_eq!(integrity_findings(&out), vec![]);
    assert_eq!(out.unchecked, vec![]);
    assert_eq!(out.stats.packages, 3);
}
