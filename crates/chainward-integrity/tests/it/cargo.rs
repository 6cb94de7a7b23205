//! Cargo: a `CARGO_HOME` laid out as cargo leaves it (registry cache, unpacked
//! `registry/src`) and a `vendor/` folder as `cargo vendor` writes it, built from two real
//! crates.io `.crate` files (`tests/fixtures/cargo/`), clean and tampered.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use chainward_integrity::{Options, Outcome, verify};
use chainward_types::{Finding, FindingCode, Hash, HashAlgorithm};
use sha2::Digest as _;

const INDEX_DIR: &str = "index.crates.io-1949cf8c6b5b557f";
const CRATES: [&str; 2] = ["ident_case-1.0.1", "try-lock-0.2.5"];
const IDENT_CASE_SHA256: &str = "b9e0384b61958566e926dc50660321d12159025e767c18e043daf26b70104c39";

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/cargo")
        .join(name)
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(sha2::Sha256::digest(bytes))
}

fn sha256(hex: &str) -> Hash {
    Hash::from_hex(HashAlgorithm::Sha256, hex).unwrap()
}

/// A temp folder with `home/` (a `CARGO_HOME`) and `project/` (holding `Cargo.lock`).
struct Layout {
    _tmp: tempfile::TempDir,
    home: PathBuf,
    project: PathBuf,
}

impl Layout {
    /// Both fixture crates cached and unpacked as cargo leaves them; the real Cargo.lock.
    fn fetched() -> Self {
        let layout = Self::empty();
        for name in CRATES {
            layout.cache_crate(
                name,
                &fs_err::read(fixture(&format!("{name}.crate"))).unwrap(),
            );
        }
        fs_err::copy(fixture("Cargo.lock"), layout.project.join("Cargo.lock")).unwrap();
        layout
    }

    /// An empty `CARGO_HOME` and an empty project.
    fn empty() -> Self {
        let tmp = tempfile::tempdir().unwrap();
        let home = tmp.path().join("home");
        let project = tmp.path().join("project");
        fs_err::create_dir_all(&home).unwrap();
        fs_err::create_dir_all(&project).unwrap();
        Self {
            _tmp: tmp,
            home,
            project,
        }
    }

    /// Puts `bytes` in the registry cache as `<name>.crate` and unpacks it into
    /// `registry/src`, with the `.cargo-ok` cargo writes.
    fn cache_crate(&self, name: &str, bytes: &[u8]) {
        let cache = self.cache_dir();
        fs_err::create_dir_all(&cache).unwrap();
        fs_err::write(cache.join(format!("{name}.crate")), bytes).unwrap();
        let src = self.home.join("registry/src").join(INDEX_DIR);
        fs_err::create_dir_all(&src).unwrap();
        tar::Archive::new(flate2::read::GzDecoder::new(bytes))
            .unpack(&src)
            .unwrap();
        fs_err::write(src.join(name).join(".cargo-ok"), r#"{"v":1}"#).unwrap();
    }

    fn cache_dir(&self) -> PathBuf {
        self.home.join("registry/cache").join(INDEX_DIR)
    }

    fn src(&self, name: &str) -> PathBuf {
        self.home.join("registry/src").join(INDEX_DIR).join(name)
    }

    /// `project/vendor/<dir>` as `cargo vendor` writes it: the crate's files (without
    /// `.gitignore`, which cargo vendor leaves out) and the real `.cargo-checksum.json`.
    fn vendor(&self, crate_name: &str, dir: &str) {
        let tmp = tempfile::tempdir().unwrap();
        let bytes = fs_err::read(fixture(&format!("{crate_name}.crate"))).unwrap();
        tar::Archive::new(flate2::read::GzDecoder::new(&bytes[..]))
            .unpack(tmp.path())
            .unwrap();
        let target = self.project.join("vendor").join(dir);
        copy_tree(&tmp.path().join(crate_name), &target);
        fs_err::remove_file(target.join(".gitignore")).unwrap();
        fs_err::copy(
            fixture(&format!("{crate_name}.cargo-checksum.json")),
            target.join(".cargo-checksum.json"),
        )
        .unwrap();
    }

    fn verify(&self) -> Outcome {
        let sources = chainward_extract::read_sources(
            std::slice::from_ref(&self.project),
            &chainward_extract::Options::default(),
        )
        .unwrap();
        for s in &sources {
            assert!(s.result.is_ok(), "{}: {:?}", s.display, s.result);
        }
        verify(
            &sources,
            &Options {
                cargo_home: Some(self.home.clone()),
                ..Options::default()
            },
        )
    }
}

fn copy_tree(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry.unwrap();
        let target = to.join(entry.path().strip_prefix(from).unwrap());
        if entry.file_type().is_dir() {
            fs_err::create_dir_all(&target).unwrap();
        } else {
            fs_err::copy(entry.path(), &target).unwrap();
        }
    }
}

/// The integrity findings (hygiene's are another module's business), as
/// `(code, package, file)` sorted.
fn integrity(outcome: &Outcome) -> Vec<(FindingCode, String, String)> {
    let mut v: Vec<_> = integrity_findings(outcome)
        .map(|f| {
            (
                f.code,
                f.package.name.clone(),
                f.evidence
                    .as_ref()
                    .and_then(|e| e.file.clone())
                    .unwrap_or_default(),
            )
        })
        .collect();
    v.sort();
    v
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

fn find(outcome: &Outcome, code: FindingCode) -> &Finding {
    integrity_findings(outcome)
        .find(|f| f.code == code)
        .unwrap_or_else(|| panic!("no {code} in {:#?}", outcome.findings))
}

#[test]
fn clean_registry_cache_and_src_verify_with_no_findings() {
    let layout = Layout::fetched();
    let outcome = layout.verify();
    assert_eq!(integrity(&outcome), vec![]);
    assert_eq!(outcome.unchecked, vec![]);
    assert_eq!(outcome.stats.packages, 2);
    assert_eq!(outcome.stats.archives, 2);
    // ident_case has 9 entries, try-lock 8; `.gitignore` and all are unpacked.
    assert_eq!(outcome.stats.files, 17);
    assert_eq!(outcome.stats.not_cached, 0);
}

#[test]
fn detects_tampered_crate_file_as_integrity_mismatch() {
    let layout = Layout::fetched();
    let path = layout.cache_dir().join("ident_case-1.0.1.crate");
    let mut bytes = fs_err::read(&path).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    fs_err::write(&path, &bytes).unwrap();
    let outcome = layout.verify();
    assert_eq!(
        integrity(&outcome),
        vec![(
            FindingCode::IntegrityMismatch,
            "ident_case".to_owned(),
            path.display().to_string()
        )]
    );
    let evidence = find(&outcome, FindingCode::IntegrityMismatch)
        .evidence
        .clone()
        .unwrap();
    assert_eq!(evidence.expected, Some(sha256(IDENT_CASE_SHA256)));
    assert_eq!(evidence.actual, Some(sha256(&sha256_hex(&bytes))));
    // The unpacked folder has nothing trustworthy to be compared with: said so.
    assert_eq!(outcome.unchecked.len(), 1, "{:?}", outcome.unchecked);
    assert!(outcome.unchecked[0].message.contains("not compared"));
}

#[test]
fn detects_modified_added_and_missing_files_in_registry_src() {
    let layout = Layout::fetched();
    let src = layout.src("ident_case-1.0.1");
    let original = fs_err::read(src.join("src/lib.rs")).unwrap();
    fs_err::OpenOptions::new()
        .append(true)
        .open(src.join("src/lib.rs"))
        .unwrap()
        .write_all(b"\nfn backdoor() {}\n")
        .unwrap();
    fs_err::write(src.join("src/extra.rs"), "pub fn x() {}\n").unwrap();
    fs_err::remove_file(src.join("README.md")).unwrap();
    let outcome = layout.verify();
    let at = |rel: &str| src.join(rel).display().to_string();
    assert_eq!(
        integrity(&outcome),
        vec![
            (
                FindingCode::FileModified,
                "ident_case".into(),
                at("src/lib.rs")
            ),
            (
                FindingCode::FileAdded,
                "ident_case".into(),
                at("src/extra.rs")
            ),
            (
                FindingCode::FileMissing,
                "ident_case".into(),
                at("README.md")
            ),
        ]
    );
    let modified = find(&outcome, FindingCode::FileModified)
        .evidence
        .clone()
        .unwrap();
    assert_eq!(modified.expected, Some(sha256(&sha256_hex(&original))));
    let now = fs_err::read(src.join("src/lib.rs")).unwrap();
    assert_eq!(modified.actual, Some(sha256(&sha256_hex(&now))));
    let added = find(&outcome, FindingCode::FileAdded)
        .evidence
        .clone()
        .unwrap();
    assert_eq!(added.actual, Some(sha256(&sha256_hex(b"pub fn x() {}\n"))));
    assert_eq!(outcome.unchecked, vec![]);
}

/// A tar header whose name is written as is (the `tar` crate refuses `..` names).
fn raw_header(name: &str, kind: tar::EntryType, size: u64) -> tar::Header {
    let mut header = tar::Header::new_gnu();
    let field = &mut header.as_gnu_mut().unwrap().name;
    field[..name.len()].copy_from_slice(name.as_bytes());
    header.set_entry_type(kind);
    header.set_size(size);
    header.set_mode(0o644);
    header.set_cksum();
    header
}

/// A `.crate` with a normal file, a `../` entry, an absolute entry, a symlink and a hard
/// link.
fn evil_crate() -> Vec<u8> {
    let mut builder = tar::Builder::new(flate2::write::GzEncoder::new(
        Vec::new(),
        flate2::Compression::default(),
    ));
    let manifest = b"[package]\nname = \"evil\"\nversion = \"0.1.0\"\n";
    let header = raw_header(
        "evil-0.1.0/Cargo.toml",
        tar::EntryType::Regular,
        manifest.len() as u64,
    );
    builder.append(&header, &manifest[..]).unwrap();
    let payload = b"owned\n";
    let header = raw_header(
        "evil-0.1.0/../../.bashrc",
        tar::EntryType::Regular,
        payload.len() as u64,
    );
    builder.append(&header, &payload[..]).unwrap();
    let header = raw_header("/tmp/evil", tar::EntryType::Regular, payload.len() as u64);
    builder.append(&header, &payload[..]).unwrap();
    let mut link = raw_header("evil-0.1.0/passwd", tar::EntryType::Symlink, 0);
    link.set_link_name("/etc/passwd").unwrap();
    link.set_cksum();
    builder.append(&link, std::io::empty()).unwrap();
    let mut hard = raw_header("evil-0.1.0/hard", tar::EntryType::Link, 0);
    hard.set_link_name("evil-0.1.0/Cargo.toml").unwrap();
    hard.set_cksum();
    builder.append(&hard, std::io::empty()).unwrap();
    builder.into_inner().unwrap().finish().unwrap()
}

#[test]
fn reports_unsafe_crate_entries_without_following_them() {
    let layout = Layout::empty();
    let bytes = evil_crate();
    let cache = layout.cache_dir();
    fs_err::create_dir_all(&cache).unwrap();
    fs_err::write(cache.join("evil-0.1.0.crate"), &bytes).unwrap();
    // Unpacked as a careful tool would: only the safe file (cargo itself would refuse).
    let src = layout.src("evil-0.1.0");
    fs_err::create_dir_all(&src).unwrap();
    fs_err::write(
        src.join("Cargo.toml"),
        "[package]\nname = \"evil\"\nversion = \"0.1.0\"\n",
    )
    .unwrap();
    fs_err::write(src.join(".cargo-ok"), r#"{"v":1}"#).unwrap();
    fs_err::write(
        layout.project.join("Cargo.lock"),
        format!(
            "version = 4\n\n[[package]]\nname = \"evil\"\nversion = \"0.1.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\nchecksum = \"{}\"\n",
            sha256_hex(&bytes)
        ),
    )
    .unwrap();
    let outcome = layout.verify();
    let mut values: Vec<String> = integrity_findings(&outcome)
        .map(|f| {
            assert_eq!(f.code, FindingCode::UnsafeArchiveEntry, "{f:#?}");
            f.evidence.as_ref().unwrap().value.clone().unwrap()
        })
        .collect();
    values.sort();
    assert_eq!(
        values,
        vec![
            "/tmp/evil",
            "evil-0.1.0/../../.bashrc",
            "evil-0.1.0/hard",
            "evil-0.1.0/passwd"
        ]
    );
    // The links' unpacked counterparts are not reported a second time as added files.
    assert_eq!(outcome.unchecked, vec![]);
    assert_eq!(outcome.stats.packages, 1);
}

#[test]
fn crate_missing_from_the_cache_is_counted_not_reported() {
    let layout = Layout::fetched();
    fs_err::remove_file(layout.cache_dir().join("try-lock-0.2.5.crate")).unwrap();
    let outcome = layout.verify();
    assert_eq!(integrity(&outcome), vec![]);
    assert_eq!(outcome.unchecked, vec![]);
    assert_eq!(outcome.stats.packages, 1);
    assert_eq!(outcome.stats.not_cached, 1);
}

#[test]
fn never_fetched_project_is_unchecked_not_clean() {
    let layout = Layout::empty();
    fs_err::copy(fixture("Cargo.lock"), layout.project.join("Cargo.lock")).unwrap();
    let outcome = layout.verify();
    assert_eq!(integrity(&outcome), vec![]);
    assert_eq!(outcome.unchecked.len(), 1, "{:?}", outcome.unchecked);
    assert!(outcome.unchecked[0].path.ends_with("project/Cargo.lock"));
    assert!(
        outcome.unchecked[0]
            .message
            .contains("nothing was compared")
    );
    assert_eq!(outcome.stats.not_cached, 2);
}

#[test]
fn crate_in_a_mirror_cache_folder_is_verified() {
    // Source replacement: Cargo.lock says crates.io, cargo caches under the mirror's host.
    let layout = Layout::fetched();
    let mirror = layout
        .home
        .join("registry/cache/mirror.example-0123456789abcdef");
    fs_err::rename(layout.cache_dir(), &mirror).unwrap();
    let outcome = layout.verify();
    assert_eq!(integrity(&outcome), vec![]);
    assert_eq!(outcome.unchecked, vec![]);
    assert_eq!(outcome.stats.packages, 2);
}

fn vendored() -> Layout {
    let layout = Layout::empty();
    fs_err::copy(fixture("Cargo.lock"), layout.project.join("Cargo.lock")).unwrap();
    layout.vendor("ident_case-1.0.1", "ident_case");
    layout.vendor("try-lock-0.2.5", "try-lock");
    layout
}

/// Vendor checks only; the cargo home is someone else's concern here.
fn verify_vendor_only(layout: &Layout) -> Outcome {
    let sources = chainward_extract::read_sources(
        std::slice::from_ref(&layout.project),
        &chainward_extract::Options::default(),
    )
    .unwrap();
    assert!(
        sources
            .iter()
            .any(|s| s.format == Some(chainward_extract::Format::CargoVendor)),
        "the walker did not see the vendor folder"
    );
    verify(&sources, &Options::default())
}

#[test]
fn clean_vendor_folder_verifies_with_no_findings() {
    let layout = vendored();
    let outcome = verify_vendor_only(&layout);
    assert_eq!(integrity(&outcome), vec![]);
    assert_eq!(outcome.unchecked, vec![]);
    assert_eq!(outcome.stats.packages, 2);
    // ident_case: 8 listed files, try-lock: 7.
    assert_eq!(outcome.stats.files, 15);
}

#[test]
fn detects_tampered_vendored_files() {
    let layout = vendored();
    let dir = layout.project.join("vendor/ident_case");
    fs_err::write(dir.join("src/lib.rs"), "pub fn evil() {}\n").unwrap();
    fs_err::write(dir.join("build.rs"), "fn main() {}\n").unwrap();
    fs_err::remove_file(dir.join("LICENSE")).unwrap();
    let outcome = verify_vendor_only(&layout);
    let at = |rel: &str| format!("project/vendor/ident_case/{rel}");
    let got: Vec<_> = integrity(&outcome)
        .into_iter()
        .map(|(c, n, f)| (c, n, f[f.find("project/").unwrap()..].to_owned()))
        .collect();
    assert_eq!(
        got,
        vec![
            (
                FindingCode::FileModified,
                "ident_case".into(),
                at("src/lib.rs")
            ),
            (FindingCode::FileAdded, "ident_case".into(), at("build.rs")),
            (FindingCode::FileMissing, "ident_case".into(), at("LICENSE")),
        ]
    );
    let modified = find(&outcome, FindingCode::FileModified)
        .evidence
        .clone()
        .unwrap();
    assert_eq!(
        modified.expected,
        Some(sha256(
            "514f0c716fba1e8fbeefc118848655ceafa22fd24787ca28c0e7c2143d5c7175"
        ))
    );
    assert_eq!(
        modified.actual,
        Some(sha256(&sha256_hex(b"pub fn evil() {}\n")))
    );
}

#[test]
fn detects_vendored_package_checksum_that_differs_from_cargo_lock() {
    let layout = vendored();
    let path = layout.project.join("vendor/try-lock/.cargo-checksum.json");
    let text = fs_err::read_to_string(&path).unwrap();
    let forged = "0".repeat(64);
    fs_err::write(
        &path,
        text.replace(
            "e421abadd41a4225275504ea4d6566923418b7f05506fbc9c0fe86ba7396114b",
            &forged,
        ),
    )
    .unwrap();
    let outcome = verify_vendor_only(&layout);
    let finding = find(&outcome, FindingCode::IntegrityMismatch);
    assert_eq!(finding.package.name, "try-lock");
    let evidence = finding.evidence.clone().unwrap();
    assert_eq!(
        evidence.expected,
        Some(sha256(
            "e421abadd41a4225275504ea4d6566923418b7f05506fbc9c0fe86ba7396114b"
        ))
    );
    assert_eq!(evidence.actual, Some(sha256(&forged)));
    assert_eq!(integrity(&outcome).len(), 1, "{:#?}", outcome.findings);
}

#[test]
fn vendored_crate_not_in_cargo_lock_is_reported() {
    let layout = vendored();
    let lock = fs_err::read_to_string(layout.project.join("Cargo.lock")).unwrap();
    // Drop the try-lock entry (and the dependency on it).
    let start = lock.find("[[package]]\nname = \"try-lock\"").unwrap();
    let end = start + lock[start..].find("\n\n").unwrap() + 2;
    let lock = format!("{}{}", &lock[..start], &lock[end..]).replace(" \"try-lock\",\n", "");
    fs_err::write(layout.project.join("Cargo.lock"), lock).unwrap();
    let outcome = verify_vendor_only(&layout);
    let got: Vec<_> = integrity(&outcome)
        .into_iter()
        .map(|(c, n, _)| (c, n))
        .collect();
    assert_eq!(
        got,
        vec![(FindingCode::NotInLockfile, "try-lock".to_owned())]
    );
}

#[test]
fn vendor_folder_without_a_cargo_lock_beside_it_is_unchecked() {
    let layout = vendored();
    let sources = chainward_extract::read_sources(
        &[layout.project.join("vendor")],
        &chainward_extract::Options::default(),
    )
    .unwrap();
    let outcome = verify(&sources, &Options::default());
    assert_eq!(integrity(&outcome), vec![]);
    assert_eq!(outcome.unchecked.len(), 1, "{:?}", outcome.unchecked);
    assert!(outcome.unchecked[0].message.contains("no Cargo.lock"));
}
