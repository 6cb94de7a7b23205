//! Tests for `package_lock` (conformance cases and fixtures).
#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

use std::path::{Path, PathBuf};

use chainward_npm::package_lock;
use chainward_test_utils::{Observed, check_case, load_suite};
use chainward_types::{Lockfile, Origin, Package, Scope};
use proptest::prelude::*;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn read(rel: &str) -> String {
    fs_err::read_to_string(fixtures().join(rel)).unwrap()
}

fn parse_fixture(rel: &str) -> Lockfile {
    let text = read(rel);
    let l = if rel.ends_with("npm-shrinkwrap.json") || rel.contains("shrinkwrap") {
        package_lock::parse_shrinkwrap(&text, rel)
    } else {
        package_lock::parse(&text, rel)
    };
    l.unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// Our package in osv-scalibr's terms: groups are `dev`/`optional` from the scopes, plus
/// `bundled` (osv-scalibr reports bundled dependencies as a group). Peer is not a group there.
fn observed(l: &Lockfile) -> Vec<Observed> {
    l.packages
        .iter()
        .map(|p| {
            let mut groups = Vec::new();
            if p.scopes.contains(&Scope::Dev) {
                groups.push("dev".to_owned());
            }
            if p.scopes.contains(&Scope::Optional) {
                groups.push("optional".to_owned());
            }
            if p.bundled {
                groups.push("bundled".to_owned());
            }
            groups.sort();
            Observed {
                name: p.name.clone(),
                version: p.version.clone(),
                commit: match &p.origin {
                    Origin::Git { commit, .. } => commit.clone().unwrap_or_default(),
                    _ => String::new(),
                },
                dep_groups: groups,
                line: p.locations.first().and_then(|l| l.line),
            }
        })
        .collect()
}

#[test]
fn conformance_suite_passes() {
    let dir = fixtures().join("conformance/lockfile-npm");
    let suite = load_suite(&dir);
    assert!(!suite.is_empty());
    let mut failures = Vec::new();
    for (rel, case) in &suite {
        let text = fs_err::read_to_string(dir.join(rel)).unwrap();
        let result = if rel.ends_with("npm-shrinkwrap.json") {
            package_lock::parse_shrinkwrap(&text, rel)
        } else {
            package_lock::parse(&text, rel)
        };
        if rel == "testdata/both/package-lock.json" {
            // npm reads npm-shrinkwrap.json instead of a package-lock.json beside it; upstream
            // expects no packages here. That precedence is the walker's rule (it skips this
            // file), not the parser's: the parser reads the file as it is.
            let l = result.unwrap();
            assert_eq!(l.packages.len(), 2, "{rel}");
            continue;
        }
        match (case.error, result) {
            (true, Err(_)) => {}
            (true, Ok(l)) => failures.push(format!(
                "{rel}: expected an error, got {} packages",
                l.packages.len()
            )),
            (false, Err(e)) => failures.push(format!("{rel}: {e}")),
            (false, Ok(l)) => {
                if let Err(diff) = check_case(case, &observed(&l), str::to_owned) {
                    failures.push(format!("{rel}: {diff}"));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        suite.len(),
        failures.join("\n")
    );
}

fn find<'l>(l: &'l Lockfile, name: &str, version: &str) -> &'l Package {
    l.packages
        .iter()
        .find(|p| p.name == name && p.version == version)
        .unwrap_or_else(|| panic!("{name}@{version} not found in {:?}", names(l)))
}

fn names(l: &Lockfile) -> Vec<String> {
    l.packages
        .iter()
        .map(|p| format!("{}@{}", p.name, p.version))
        .collect()
}

fn edge(l: &Lockfile, from: &Package, to: &Package) -> bool {
    let fi = l.packages.iter().position(|p| p == from).unwrap();
    let ti = l.packages.iter().position(|p| p == to).unwrap();
    l.edges.iter().any(|e| e.from == fi && e.to == ti)
}

/// Every location's line holds the entry's key, as written in the file.
fn assert_lines_point_at_keys(rel: &str, l: &Lockfile) {
    let text = read(rel);
    let lines: Vec<&str> = text.lines().collect();
    for p in &l.packages {
        for loc in &p.locations {
            let line = loc
                .line
                .unwrap_or_else(|| panic!("{rel}: {} has no line", p.name));
            let key = loc.key.as_deref().unwrap();
            // v1 keys are install paths built from nested names; the file holds the last name.
            let written = if text.contains(&format!("\"{key}\"")) {
                key
            } else {
                key.rsplit("node_modules/").next().unwrap()
            };
            assert!(
                lines[line as usize - 1].contains(&format!("\"{written}\"")),
                "{rel}: line {line} of {} is `{}`",
                p.name,
                lines[line as usize - 1]
            );
        }
    }
}

#[test]
fn v3_workspaces_report_members_once_and_resolve_like_node() {
    let rel = "package-lock/v3-workspaces.json";
    let l = parse_fixture(rel);
    assert_eq!(l.format, "npm-package-lock-v3");
    assert!(l.warnings.is_empty(), "{:?}", l.warnings);
    assert_lines_point_at_keys(rel, &l);
    // 16 entries besides the root and the three links.
    assert_eq!(l.packages.len(), 16, "{:?}", names(&l));
    assert!(l.packages.iter().all(|p| p.locations.len() == 1));

    let a = find(&l, "@ws/a", "0.1.0");
    let b = find(&l, "@ws/b", "0.2.0");
    assert_eq!(
        a.origin,
        Origin::Workspace {
            path: "packages/a".into()
        }
    );
    assert_eq!(
        b.origin,
        Origin::Workspace {
            path: "packages/b".into()
        }
    );
    let local = find(&l, "local-dep", "3.0.0");
    assert_eq!(
        local.origin,
        Origin::Path {
            path: "local-dep".into()
        }
    );
    assert!(local.direct);

    // The alias is reported under the real name, with its install path as the key.
    let sw = find(&l, "string-width", "4.2.3");
    assert_eq!(sw.locations[0].key.as_deref(), Some("node_modules/sw-cjs"));
    assert!(sw.direct && sw.hashes.len() == 1);
    assert!(
        matches!(&sw.origin, Origin::Registry { url: Some(u) } if u.ends_with("string-width-4.2.3.tgz"))
    );
    assert_eq!(sw.purl, "pkg:npm/string-width@4.2.3");

    let ms2 = find(&l, "ms", "2.1.3");
    let ms1 = find(&l, "ms", "1.0.0");
    assert!(edge(&l, a, b) && edge(&l, a, ms2) && edge(&l, b, ms1));
    assert!(!edge(&l, b, ms2) && !edge(&l, a, ms1));
    assert!(ms1.direct && ms2.direct, "direct dependencies of members");
    assert!(!a.direct, "no one depends on @ws/a");

    assert_eq!(find(&l, "semver", "7.8.6").scopes, [Scope::Dev].into());
    assert_eq!(
        find(&l, "is-number", "7.0.0").scopes,
        [Scope::Optional].into()
    );
    let react = find(&l, "react", "19.3.1");
    assert_eq!(react.scopes, [Scope::Peer].into());
    assert!(!react.direct && edge(&l, find(&l, "use-sync-external-store", "1.7.0"), react));
    assert!(find(&l, "wrappy", "1.0.2").bundled);
    assert!(edge(&l, local, find(&l, "has-flag", "4.0.0")));
    assert!(!find(&l, "ansi-regex", "5.0.1").direct);
}

#[test]
fn v2_reads_packages_and_agrees_with_v3() {
    let v3 = parse_fixture("package-lock/v3-workspaces.json");
    let rel = "package-lock/v2-workspaces.json";
    let v2 = parse_fixture(rel);
    assert_eq!(v2.format, "npm-package-lock-v2");
    assert_lines_point_at_keys(rel, &v2);
    let strip = |l: &Lockfile| -> Vec<Package> {
        l.packages
            .iter()
            .map(|p| {
                let mut p = p.clone();
                p.locations.clear();
                p
            })
            .collect()
    };
    assert_eq!(strip(&v2), strip(&v3));
    assert_eq!(v2.edges, v3.edges);
}

#[test]
fn v1_reads_the_nested_tree_with_a_documented_direct_rule() {
    let rel = "package-lock/v1-workspaces.json";
    let l = parse_fixture(rel);
    assert_eq!(l.format, "npm-package-lock-v1");
    assert!(l.warnings.is_empty(), "{:?}", l.warnings);
    assert_lines_point_at_keys(rel, &l);
    // v1 knows workspace members only as `file:` folders.
    let a = find(&l, "@ws/a", "");
    assert_eq!(
        a.origin,
        Origin::Path {
            path: "packages/a".into()
        }
    );
    let b = find(&l, "@ws/b", "");
    let ms1 = find(&l, "ms", "1.0.0");
    assert_eq!(
        ms1.locations[0].key.as_deref(),
        Some("node_modules/@ws/b/node_modules/ms")
    );
    assert!(edge(&l, b, ms1) && edge(&l, a, find(&l, "ms", "2.1.3")) && edge(&l, a, b));
    // Direct: top-level entries that nothing else requires.
    assert!(a.direct && !b.direct);
    assert!(find(&l, "semver", "7.8.6").direct && !find(&l, "ansi-regex", "5.0.1").direct);
    let sw = find(&l, "string-width", "4.2.3");
    assert!(sw.direct);
    assert_eq!(sw.locations[0].key.as_deref(), Some("node_modules/sw-cjs"));
    assert_eq!(find(&l, "react", "19.3.1").scopes, [Scope::Peer].into());
    assert_eq!(
        find(&l, "local-dep", "").origin,
        Origin::Path {
            path: "local-dep".into()
        }
    );
}

#[test]
fn tarball_url_and_file_dependencies_get_their_origins() {
    let rel = "package-lock/v3-tarballs.json";
    let l = parse_fixture(rel);
    assert_lines_point_at_keys(rel, &l);
    // A tarball URL that is the registry's own tarball is a registry package.
    let wrappy = find(&l, "wrappy", "1.0.2");
    assert!(wrappy.origin.is_registry() && wrappy.direct);
    let local = find(&l, "local-tarball", "0.3.0");
    assert_eq!(
        local.origin,
        Origin::Path {
            path: "tb/local-tarball-0.3.0.tgz".into()
        }
    );
    assert_eq!(local.hashes.len(), 1);
    let debug = find(&l, "debug", "2.6.9");
    let nested = find(&l, "ms", "2.0.0");
    assert!(edge(&l, debug, nested) && !nested.direct);
    // ms 2.1.3: a devDependency of the project that local-tarball also needs: production.
    let ms = find(&l, "ms", "2.1.3");
    assert!(ms.scopes.is_empty() && ms.direct);
    assert_eq!(find(&l, "is-number", "7.0.0").scopes, [Scope::Dev].into());
}

#[test]
fn plain_tarball_urls_are_url_origins() {
    let input = r#"{"lockfileVersion": 3, "packages": {
      "node_modules/classlist.js": {"version": "1.2.20180112", "resolved": "https://github.com/eligrey/classList.js/archive/1.2.20180112.tar.gz"}}}"#;
    let l = package_lock::parse(input, "p").unwrap();
    assert_eq!(
        l.packages[0].origin,
        Origin::Url {
            url: "https://github.com/eligrey/classList.js/archive/1.2.20180112.tar.gz".into()
        }
    );
    assert!(l.packages[0].purl.contains("download_url="));
}

#[test]
fn lockfiles_without_resolved_are_registry_packages_with_hashes() {
    let rel = "package-lock/v3-no-resolved.json";
    let l = parse_fixture(rel);
    let semver = find(&l, "semver", "7.8.6");
    assert_eq!(semver.origin, Origin::Registry { url: None });
    assert_eq!(semver.hashes.len(), 1);
    assert_eq!(l.packages.len(), 16);
}

#[test]
fn git_dependencies_keep_their_commit_and_lose_credentials() {
    let rel = "package-lock/v3-git-hand.json";
    let l = parse_fixture(rel);
    assert_lines_point_at_keys(rel, &l);
    let n = find(&l, "is-number", "7.0.0");
    assert_eq!(
        n.origin,
        Origin::Git {
            url: "git+ssh://git@github.com/jonschlinkert/is-number.git".into(),
            commit: Some("98e8ff1da1a89f93d1397a24d7413ed15421c139".into()),
            reference: None,
        }
    );
    assert_eq!(
        n.purl,
        "pkg:npm/is-number@7.0.0?vcs_url=git%2Bssh://git%40github.com/jonschlinkert/is-number.git%4098e8ff1da1a89f93d1397a24d7413ed15421c139"
    );
    let lp = find(&l, "left-pad", "1.3.0");
    assert!(
        matches!(&lp.origin, Origin::Git { url, .. } if url == "git+https://github.com/stevemao/left-pad.git")
    );
    assert!(!lp.purl.contains("secret"));
    assert!(edge(&l, lp, n));
    assert!(
        matches!(&find(&l, "kind-of", "6.0.3").origin, Origin::Git { url, .. } if url.contains("gitlab.com"))
    );
}

#[test]
fn shrinkwrap_is_the_same_format_under_its_own_name() {
    let l = parse_fixture("package-lock/v3-shrinkwrap.json");
    assert_eq!(l.format, "npm-shrinkwrap-v3");
    let plain = package_lock::parse(&read("package-lock/v3-shrinkwrap.json"), "x").unwrap();
    assert_eq!(plain.packages.len(), l.packages.len());
}

#[test]
fn syntax_errors_carry_line_and_column() {
    let text = read("package-lock/v3-tarballs.json").replacen(
        "\"version\": \"2.6.9\",",
        "\"version\": \"2.6.9\"",
        1,
    );
    let e = package_lock::parse(&text, "p").unwrap_err();
    let line = text
        .lines()
        .position(|l| l.contains("\"resolved\": \"https://registry.npmjs.org/debug"))
        .unwrap()
        + 1;
    assert_eq!(e.line, Some(u32::try_from(line).unwrap()), "{e}");
    assert!(e.column.is_some());
}

const FIXTURES: &[&str] = &[
    "package-lock/v3-workspaces.json",
    "package-lock/v1-workspaces.json",
    "package-lock/v3-git-hand.json",
    "conformance/lockfile-npm/testdata/commits.v1.json",
];

/// Applies edits (position fraction, delete length, inserted text) to a text.
pub(crate) fn mutate(text: &str, edits: &[(f64, usize, String)]) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    for (at, del, ins) in edits {
        #[allow(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            clippy::cast_precision_loss
        )]
        let i = ((chars.len() as f64) * at) as usize;
        let i = i.min(chars.len());
        let end = (i + del).min(chars.len());
        chars.splice(i..end, ins.chars());
    }
    chars.into_iter().collect()
}

pub(crate) fn edits() -> impl Strategy<Value = Vec<(f64, usize, String)>> {
    proptest::collection::vec(
        (
            0.0..1.0f64,
            0usize..8,
            "[\\[\\]{}\",:0-9a-z@/ \n\\\\-]{0,6}",
        ),
        1..6,
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn never_panics_on_arbitrary_text(s in "\\PC*") {
        let _ = package_lock::parse(&s, "p");
        let _ = package_lock::parse_shrinkwrap(&s, "p");
    }

    #[test]
    fn never_panics_on_mutated_lockfiles(which in 0..FIXTURES.len(), edits in edits()) {
        let text = mutate(&read(FIXTURES[which]), &edits);
        if let Ok(l) = package_lock::parse(&text, "p") {
            for e in &l.edges {
                prop_assert!(e.from < l.packages.len() && e.to < l.packages.len());
            }
        }
    }
}
