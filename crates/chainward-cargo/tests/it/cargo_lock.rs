//! Tests for `cargo_lock`: the conformance suite, the fixtures of `tests/fixtures/cargo-lock`
//! (snapshots and targeted assertions), errors, and properties.

use std::path::{Path, PathBuf};

use chainward_cargo::cargo_lock::{self, UnusedPatch};
use chainward_test_utils::{Observed, check_case, load_suite};
use chainward_types::{HashAlgorithm, Lockfile, Origin, Package};
use proptest::prelude::*;
use serde::Serialize;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn read(path: &Path) -> String {
    fs_err::read_to_string(path).unwrap()
}

fn fixture(name: &str) -> Lockfile {
    let text = read(&fixtures().join("cargo-lock").join(name));
    cargo_lock::parse(&text, "Cargo.lock").unwrap()
}

fn find<'a>(lock: &'a Lockfile, name: &str, version: &str) -> &'a Package {
    let found: Vec<_> = lock
        .packages
        .iter()
        .filter(|p| p.name == name && p.version == version)
        .collect();
    assert_eq!(found.len(), 1, "{name} {version} in {:#?}", lock.packages);
    found[0]
}

fn index_of(lock: &Lockfile, purl: &str) -> usize {
    lock.packages.iter().position(|p| p.purl == purl).unwrap()
}

fn observed(p: &Package) -> Observed {
    let commit = match &p.origin {
        Origin::Git { commit, .. } => commit.clone().unwrap_or_default(),
        _ => String::new(),
    };
    Observed {
        name: p.name.clone(),
        version: p.version.clone(),
        commit,
        dep_groups: Vec::new(),
        line: p.locations.first().and_then(|l| l.line),
    }
}

/// Runs every case of osv-scalibr's Cargo.lock suite.
///
/// One deviation: `package-with-comments.lock` has `syn` from
/// `git+https://github.com/rust-lang/cargo?branch=master#061a9ab...`, for which upstream
/// expects an empty commit (osv-scalibr's Cargo.lock extractor does not read git sources).
/// We report the commit the lockfile pins, which is what a vulnerability match on a git
/// dependency needs, so that case asserts our commit instead.
#[test]
fn conformance_suite_passes() {
    let dir = fixtures().join("conformance/lockfile-cargo");
    let suite = load_suite(&dir);
    assert_eq!(suite.len(), 7);
    for (file, mut case) in suite {
        let text = read(&dir.join(&file));
        if file == "testdata/package-with-comments.lock" {
            let syn = case.packages.iter_mut().find(|p| p.name == "syn").unwrap();
            assert_eq!(syn.commit, "", "upstream changed its expectation");
            syn.commit = "061a9ab4cfabf2a403dbeab4bbcb8ff97d344dff".into();
        }
        match cargo_lock::parse(&text, &file) {
            Ok(lock) => {
                assert!(!case.error, "{file}: expected an error, got {lock:#?}");
                let got: Vec<Observed> = lock.packages.iter().map(observed).collect();
                if let Err(diff) = check_case(&case, &got, str::to_owned) {
                    panic!("{file}: {diff}");
                }
            }
            Err(e) => assert!(case.error, "{file}: unexpected error {e}"),
        }
    }
}

/// What the snapshots record: everything but the edges as indexes, which are written out
/// as `from -> to` names.
#[derive(Serialize)]
struct Snapshot<'a> {
    format: &'a str,
    packages: &'a [Package],
    edges: Vec<String>,
    warnings: &'a [String],
}

fn snapshot(lock: &Lockfile) -> Snapshot<'_> {
    let label = |i: usize| format!("{} {}", lock.packages[i].name, lock.packages[i].version);
    Snapshot {
        format: &lock.format,
        packages: &lock.packages,
        edges: lock
            .edges
            .iter()
            .map(|e| format!("{} -> {}", label(e.from), label(e.to)))
            .collect(),
        warnings: &lock.warnings,
    }
}

#[test]
fn fixtures_match_snapshots() {
    insta::glob!("../fixtures/cargo-lock", "*.lock", |path| {
        let lock = cargo_lock::parse(&read(path), "Cargo.lock").unwrap();
        insta::assert_json_snapshot!(snapshot(&lock));
    });
}

#[test]
fn every_version_of_the_same_lock_gives_the_same_packages() {
    let key = |lock: &Lockfile| {
        let mut v: Vec<_> = lock
            .packages
            .iter()
            .map(|p| {
                (
                    p.purl.clone(),
                    p.hashes.clone(),
                    p.direct,
                    p.dependencies.clone(),
                )
            })
            .collect();
        v.sort();
        v
    };
    let v4 = fixture("v4-path-dep.lock");
    for (name, format) in [
        ("v1-metadata.lock", "cargo-lock-v1"),
        ("v2-path-dep.lock", "cargo-lock-v2"),
        ("v3-path-dep.lock", "cargo-lock-v3"),
        ("v4-path-dep.lock", "cargo-lock-v4"),
    ] {
        let lock = fixture(name);
        assert_eq!(lock.format, format, "{name}");
        assert_eq!(key(&lock), key(&v4), "{name}");
        assert_eq!(lock.edges.len(), 5, "{name}");
        assert!(lock.warnings.is_empty(), "{name}: {:?}", lock.warnings);
    }
}

#[test]
fn path_and_workspace_crates_are_local_and_their_deps_direct() {
    let lock = fixture("v4-path-dep.lock");
    let app = find(&lock, "app", "0.1.0");
    assert_eq!(
        app.origin,
        Origin::Workspace {
            path: String::new()
        }
    );
    assert!(!app.origin.is_registry());
    assert_eq!(
        find(&lock, "local-helper", "0.2.0").origin.kind(),
        "workspace"
    );
    // Both versions of cfg-if are told apart by `"cfg-if 0.1.10"` and `"cfg-if 1.0.5"`.
    assert_eq!(
        app.dependencies,
        [
            "pkg:cargo/cfg-if@0.1.10",
            "pkg:cargo/cfg-if@1.0.5",
            "pkg:cargo/itoa@1.0.18",
            "pkg:cargo/local-helper@0.2.0"
        ]
    );
    for p in &lock.packages {
        assert_eq!(p.direct, p.name != "app", "{}", p.name);
    }
    let itoa = find(&lock, "itoa", "1.0.18");
    assert_eq!(
        itoa.origin,
        Origin::Registry {
            url: Some(cargo_lock::CRATES_IO_REGISTRY.into())
        }
    );
    assert_eq!(itoa.hashes.len(), 1);
    assert_eq!(itoa.hashes[0].algorithm, HashAlgorithm::Sha256);
    assert_eq!(
        itoa.hashes[0].hex,
        "8f42a60cbdf9a97f5d2305f08a87dc4e09308d1276d28c869c684d7777685682"
    );
    assert_eq!(itoa.locations[0].line, Some(28));
}

#[test]
fn v1_metadata_checksums_are_attached() {
    let lock = fixture("v1-metadata.lock");
    let registry: Vec<_> = lock
        .packages
        .iter()
        .filter(|p| p.origin.is_registry())
        .collect();
    assert_eq!(registry.len(), 3);
    assert!(registry.iter().all(|p| p.hashes.len() == 1));
    assert_eq!(
        find(&lock, "cfg-if", "0.1.10").hashes[0].hex,
        "4785bdd1c96b2a846b2bd7cc02e86b6b3dbf14e7e53446c4f54c92a361040822"
    );
}

#[test]
fn v1_root_table_is_the_first_package() {
    let lock = fixture("v1-root-table.lock");
    assert_eq!(lock.format, "cargo-lock-v1");
    assert_eq!(lock.packages[0].name, "rootapp");
    assert_eq!(lock.packages[0].locations[0].line, Some(2));
    assert_eq!(lock.packages.len(), 3);
    assert_eq!(lock.edges.len(), 2);
    assert!(
        lock.packages[1..]
            .iter()
            .all(|p| p.direct && p.hashes.len() == 1)
    );
}

#[test]
fn git_sources_give_url_commit_and_reference() {
    for (name, branch_in_file) in [
        ("v4-git-refs.lock", "feat%2Fx"),
        ("v3-git-refs.lock", "feat/x"),
    ] {
        let lock = fixture(name);
        let text = read(&fixtures().join("cargo-lock").join(name));
        assert!(
            text.contains(&format!("?branch={branch_in_file}#")),
            "{name}"
        );
        let git = |version: &str, reference: Option<&str>| {
            lock.packages
                .iter()
                .find(|p| {
                    p.version == version
                        && matches!(&p.origin, Origin::Git { reference: r, .. } if r.as_deref() == reference)
                })
                .unwrap_or_else(|| panic!("{name}: no git package {version} {reference:?}"))
        };
        let branch = git("0.3.0", Some("feat/x"));
        assert_eq!(
            branch.origin,
            Origin::Git {
                url: "https://github.com/example/gdep".into(),
                commit: Some("b94b8532831fa388621515cee020c0cd3f737640".into()),
                reference: Some("feat/x".into()),
            },
            "{name}"
        );
        let tag = git("0.3.0", Some("v0.3.0"));
        assert!(
            matches!(&tag.origin, Origin::Git { commit: Some(c), .. } if c == "0552fcc0e224f75d512e25733aee89cd03d6d1d0")
        );
        let rev = git("0.1.0", Some("b95c9775b39b3a3d88e16ff66d198ca524a8816f"));
        assert_eq!(rev.name, "grev");
        let default = git("1.2.0", None);
        assert!(
            matches!(&default.origin, Origin::Git { url, commit: Some(_), .. } if url == "https://github.com/example/gdefault")
        );
        assert!(
            default
                .purl
                .contains("vcs_url=git%2Bhttps://github.com/example/gdefault%40ed3d029b"),
            "{}",
            default.purl
        );

        // `gitapp` depends on both gdep sources, told apart by their source in `dependencies`.
        let app = index_of(&lock, "pkg:cargo/gitapp@0.1.0");
        let targets: Vec<_> = lock
            .edges
            .iter()
            .filter(|e| e.from == app)
            .map(|e| e.to)
            .collect();
        assert_eq!(targets.len(), 5, "{name}");
        assert!(targets.contains(&index_of(&lock, &branch.purl)));
        assert!(targets.contains(&index_of(&lock, &tag.purl)));
        assert!(lock.warnings.is_empty(), "{name}: {:?}", lock.warnings);
    }
}

#[test]
fn alternative_registries_keep_their_source() {
    let lock = fixture("v4-alt-registry.lock");
    assert!(lock.warnings.is_empty(), "{:?}", lock.warnings);
    let company = find(&lock, "company-util", "2.1.0");
    assert_eq!(
        company.origin,
        Origin::Registry {
            url: Some(
                "registry+https://dl.cloudsmith.io/public/example/crates/cargo/index.git".into()
            )
        }
    );
    assert!(company.purl.contains("repository_url="), "{}", company.purl);
    let internal = find(&lock, "serde-internal", "0.4.2");
    assert!(
        internal
            .purl
            .contains("repository_url=sparse%2Bhttps://crates.example.com/index/"),
        "{}",
        internal.purl
    );
    assert!(internal.direct, "altapp and company-util depend on it");
    // crates.io through its sparse index is still crates.io: no repository_url.
    let sparse: Vec<_> = lock
        .packages
        .iter()
        .filter(|p| {
            p.origin
                == Origin::Registry {
                    url: Some(cargo_lock::CRATES_IO_SPARSE.into()),
                }
        })
        .collect();
    assert_eq!(sparse.len(), 1);
    assert_eq!(sparse[0].purl, "pkg:cargo/itoa@1.0.18");
    let app = index_of(&lock, "pkg:cargo/altapp@0.1.0");
    assert_eq!(lock.edges.iter().filter(|e| e.from == app).count(), 5);
}

#[test]
fn unused_patches_are_recorded_apart() {
    let text = read(&fixtures().join("cargo-lock/v4-patch-unused.lock"));
    let lock = cargo_lock::parse_lock(&text, "Cargo.lock").unwrap();
    assert_eq!(lock.version, 4);
    assert_eq!(
        lock.unused_patches,
        [UnusedPatch {
            name: "cfg-if".into(),
            version: "0.0.1".into(),
            source: None,
            line: 24,
        }]
    );
    assert!(!lock.lockfile.packages.iter().any(|p| p.version == "0.0.1"));
    assert!(lock.lockfile.warnings.is_empty());
    // The used patch replaces itoa with a local crate, which has no source.
    assert_eq!(
        find(&lock.lockfile, "itoa", "1.0.99").origin.kind(),
        "workspace"
    );
}

#[test]
fn syntax_errors_name_line_and_column() {
    let err = cargo_lock::parse(
        "version = 4\n\n[[package]]\nname = \"a\nversion = \"1\"\n",
        "Cargo.lock",
    )
    .unwrap_err();
    assert_eq!(err.line, Some(4));
    assert!(err.column.is_some());

    let err =
        cargo_lock::parse("version = 4\n[[package]]\nname = \"a\"\n", "Cargo.lock").unwrap_err();
    assert!(err.message.contains("version"), "{err}");

    let err = cargo_lock::parse(
        "version = 4\n[[package]]\nname = \"a\"\nversion = 1\n",
        "Cargo.lock",
    )
    .unwrap_err();
    assert_eq!(err.line, Some(4), "{err}");

    let err = cargo_lock::parse("version = 0\n", "Cargo.lock").unwrap_err();
    assert_eq!(err.line, Some(1));
}

#[test]
fn odd_but_valid_toml_reads_like_cargo_layout() {
    // Inline tables, literal strings, escapes and comments send the parser to the TOML
    // fallback, which must read the same packages.
    let odd = r#"version = 3 # trailing comment
package = [
  { name = 'a', version = "0.1.0", dependencies = ["b"] },
  { name = "b", version = "1.0.0", source = "registry+https://github.com/rust-lang/crates.io-index", checksum = "\u0034785bdd1c96b2a846b2bd7cc02e86b6b3dbf14e7e53446c4f54c92a361040822" },
]
"#;
    let lock = cargo_lock::parse(odd, "Cargo.lock").unwrap();
    assert_eq!(lock.format, "cargo-lock-v3");
    assert_eq!(lock.packages.len(), 2);
    assert_eq!(
        lock.packages[1].hashes[0].hex,
        "4785bdd1c96b2a846b2bd7cc02e86b6b3dbf14e7e53446c4f54c92a361040822"
    );
    assert_eq!(lock.packages[1].locations[0].line, Some(4));
    assert_eq!(lock.packages[0].dependencies, ["pkg:cargo/b@1.0.0"]);
    assert!(lock.packages[1].direct);
}

proptest! {
    #[test]
    fn arbitrary_text_never_panics(s in "\\PC*") {
        let _ = cargo_lock::parse(&s, "Cargo.lock");
    }

    #[test]
    fn arbitrary_lockish_text_never_panics(
        lines in proptest::collection::vec(
            prop_oneof![
                Just("[[package]]".to_owned()),
                Just("[metadata]".to_owned()),
                Just("[root]".to_owned()),
                Just("[[patch.unused]]".to_owned()),
                Just("version = 3".to_owned()),
                Just("dependencies = [".to_owned()),
                Just("]".to_owned()),
                "(name|version|source|checksum|replace) = \"[a-z0-9 .+#?=()/:-]{0,12}\"",
                " \"[a-z0-9 .()+#?=-]{0,12}\",",
                "\"checksum [a-z0-9 .()+-]{0,16}\" = \"[a-f0-9<>a-z]{0,8}\"",
            ],
            0..40,
        )
    ) {
        let _ = cargo_lock::parse(&lines.join("\n"), "Cargo.lock");
    }

    #[test]
    fn mutated_fixtures_never_panic(
        which in 0usize..9,
        edits in proptest::collection::vec((any::<prop::sample::Index>(), 0usize..4, "\\PC{0,3}"), 1..6),
    ) {
        let mut names: Vec<_> = fs_err::read_dir(fixtures().join("cargo-lock")).unwrap()
            .map(|e| e.unwrap().path()).collect();
        names.sort();
        let mut text = read(&names[which % names.len()]);
        for (at, kind, s) in edits {
            let mut pos = at.index(text.len() + 1);
            while !text.is_char_boundary(pos) {
                pos -= 1;
            }
            match kind {
                0 => text.insert_str(pos, &s),
                1 => { let end = text[pos..].char_indices().nth(s.len().max(1)).map_or(text.len(), |(i, _)| pos + i); text.replace_range(pos..end, ""); }
                2 => { let end = text[pos..].find('\n').map_or(text.len(), |i| pos + i); text.replace_range(pos..end, &s); }
                _ => { let line = text[pos..].split('\n').next().unwrap_or("").to_owned(); text.insert_str(pos, &line); }
            }
        }
        let _ = cargo_lock::parse(&text, "Cargo.lock");
    }
}
