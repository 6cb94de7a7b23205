//! Tests for `vendor`: the real `cargo vendor` fixture and damaged copies of it.

use std::path::{Path, PathBuf};

use chainward_cargo::vendor;
use chainward_types::{HashAlgorithm, Origin};

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/vendor")
}

/// Copies the fixture into a temporary folder that a test may damage.
fn copy_of_fixture() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    for entry in fs_err::read_dir(fixture()).unwrap() {
        let entry = entry.unwrap();
        let to = tmp.path().join(entry.file_name());
        fs_err::create_dir(&to).unwrap();
        for file in fs_err::read_dir(entry.path()).unwrap() {
            let file = file.unwrap();
            fs_err::copy(file.path(), to.join(file.file_name())).unwrap();
        }
    }
    tmp
}

#[test]
fn reads_cargo_vendor_output() {
    let lock = vendor::scan(&fixture(), "vendor").unwrap();
    assert_eq!(lock.format, "cargo-vendor");
    assert!(lock.warnings.is_empty(), "{:?}", lock.warnings);
    let got: Vec<_> = lock
        .packages
        .iter()
        .map(|p| (p.name.as_str(), p.version.as_str(), p.origin.kind()))
        .collect();
    assert_eq!(
        got,
        [
            ("cfg-if", "1.0.5", "registry"),
            ("cfg-if", "0.1.10", "registry"),
            ("grev", "0.1.0", "path"),
            ("itoa", "1.0.18", "registry"),
        ]
    );
    // The `package` checksum is the one Cargo.lock records for the same crate.
    let cfg_if = &lock.packages[0];
    assert_eq!(cfg_if.origin, Origin::Registry { url: None });
    assert_eq!(cfg_if.hashes.len(), 1);
    assert_eq!(cfg_if.hashes[0].algorithm, HashAlgorithm::Sha256);
    assert_eq!(
        cfg_if.hashes[0].hex,
        "4e7648175b45a9a48536d676f68d918270699102aa8dab5496df06904c914600"
    );
    assert_eq!(cfg_if.locations[0].path, "vendor/cfg-if/Cargo.toml");
    assert_eq!(cfg_if.locations[0].line, Some(15));
    assert_eq!(
        lock.packages[1].locations[0].path,
        "vendor/cfg-if-0.1.10/Cargo.toml"
    );
    // A null `package` checksum: a git crate, reported as the folder it sits in.
    let grev = &lock.packages[2];
    assert_eq!(
        grev.origin,
        Origin::Path {
            path: "vendor/grev".into()
        }
    );
    assert!(grev.hashes.is_empty());
    assert!(!grev.origin.is_registry());
    assert!(lock.edges.is_empty());
}

#[test]
fn vendor_fixture_matches_snapshot() {
    let lock = vendor::scan(&fixture(), "vendor/").unwrap();
    insta::assert_json_snapshot!(lock.packages);
}

#[test]
fn damaged_folders_are_warnings_naming_the_file() {
    let tmp = copy_of_fixture();
    let root = tmp.path();
    // No checksum file: still listed, as a local folder.
    fs_err::remove_file(root.join("itoa/.cargo-checksum.json")).unwrap();
    // Broken manifest: skipped.
    fs_err::write(
        root.join("cfg-if/Cargo.toml"),
        "[package\nname = \"cfg-if\"\n",
    )
    .unwrap();
    // Unparsable checksum file and bad hex.
    fs_err::write(
        root.join("grev/.cargo-checksum.json"),
        "{\"files\": {}, \"package\": 3}",
    )
    .unwrap();
    fs_err::write(
        root.join("cfg-if-0.1.10/.cargo-checksum.json"),
        "{\"files\": {}, \"package\": \"abc\"}",
    )
    .unwrap();
    // No manifest at all.
    fs_err::create_dir(root.join("empty")).unwrap();
    // Workspace-inherited version in an unnormalised git manifest, in a `name-version` folder.
    fs_err::create_dir(root.join("inherit-2.0.0")).unwrap();
    fs_err::write(
        root.join("inherit-2.0.0/Cargo.toml"),
        "[package]\nname = \"inherit\"\nversion.workspace = true\n",
    )
    .unwrap();
    fs_err::write(
        root.join("inherit-2.0.0/.cargo-checksum.json"),
        "{\"files\":{},\"package\":null}",
    )
    .unwrap();
    // Ignored: files and hidden folders at the top.
    fs_err::write(root.join("README"), "not a crate").unwrap();
    fs_err::create_dir(root.join(".git")).unwrap();

    let lock = vendor::scan(root, "third_party/vendor").unwrap();
    let got: Vec<_> = lock
        .packages
        .iter()
        .map(|p| {
            (
                p.name.as_str(),
                p.version.as_str(),
                p.origin.kind(),
                p.hashes.len(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("cfg-if", "0.1.10", "registry", 0),
            ("grev", "0.1.0", "path", 0),
            ("inherit", "2.0.0", "path", 0),
            ("itoa", "1.0.18", "path", 0),
        ]
    );
    let warnings = lock.warnings.join("\n");
    for expected in [
        "third_party/vendor/cfg-if/Cargo.toml: line 1",
        "third_party/vendor/cfg-if-0.1.10/.cargo-checksum.json: `package` checksum ignored",
        "third_party/vendor/empty/Cargo.toml: cannot read",
        "third_party/vendor/grev/.cargo-checksum.json: not valid",
        "third_party/vendor/inherit-2.0.0/Cargo.toml: `version` is not a plain string",
        "third_party/vendor/itoa/.cargo-checksum.json: missing",
    ] {
        assert!(
            warnings.contains(expected),
            "no `{expected}` in:\n{warnings}"
        );
    }
    assert_eq!(lock.warnings.len(), 6, "{warnings}");
}

#[test]
fn unreadable_vendor_folder_is_an_error() {
    let tmp = tempfile::tempdir().unwrap();
    let err = vendor::scan(&tmp.path().join("missing"), "vendor").unwrap_err();
    assert!(err.message.contains("cannot read vendor folder"), "{err}");
}

#[test]
fn empty_vendor_folder_has_no_packages() {
    let tmp = tempfile::tempdir().unwrap();
    let lock = vendor::scan(tmp.path(), "").unwrap();
    assert!(lock.packages.is_empty() && lock.warnings.is_empty());
}
