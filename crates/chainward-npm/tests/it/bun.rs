//! Tests for `bun` (fixtures and properties; there is no upstream conformance suite for bun).
#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

use std::path::Path;

use chainward_npm::bun;
use chainward_types::{Lockfile, Origin, Package, Scope};
use proptest::prelude::*;

use crate::package_lock::{edits, mutate};

fn read(rel: &str) -> String {
    fs_err::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(rel),
    )
    .unwrap()
}

fn parse(rel: &str) -> Lockfile {
    bun::parse(&read(rel), rel).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn at<'l>(l: &'l Lockfile, key: &str) -> &'l Package {
    l.packages
        .iter()
        .find(|p| {
            p.locations
                .iter()
                .any(|loc| loc.key.as_deref() == Some(key))
        })
        .unwrap_or_else(|| panic!("no package at {key}"))
}

fn edge(l: &Lockfile, from: &str, to: &str) -> bool {
    let f = l.packages.iter().position(|p| p == at(l, from)).unwrap();
    let t = l.packages.iter().position(|p| p == at(l, to)).unwrap();
    l.edges.iter().any(|e| e.from == f && e.to == t)
}

fn assert_lines_point_at_keys(rel: &str, l: &Lockfile) {
    let text = read(rel);
    let lines: Vec<&str> = text.lines().collect();
    for p in &l.packages {
        for loc in &p.locations {
            let line = lines[loc.line.unwrap() as usize - 1];
            assert!(
                line.trim_start()
                    .starts_with(&format!("\"{}\":", loc.key.as_deref().unwrap())),
                "{rel}: {line}"
            );
        }
    }
}

#[test]
fn real_excerpt_scopes_follow_reachability() {
    let rel = "bun/v1-reth-excerpt.lock";
    let l = parse(rel);
    assert_eq!(l.format, "bun-lock-v1");
    assert!(l.warnings.is_empty(), "{:?}", l.warnings);
    assert_eq!(l.packages.len(), 18);
    assert_lines_point_at_keys(rel, &l);
    assert!(
        l.packages
            .iter()
            .all(|p| p.hashes.len() == 1 && p.origin == Origin::Registry { url: None })
    );

    for key in [
        "react",
        "react-dom",
        "scheduler",
        "@babel/code-frame",
        "@babel/code-frame/js-tokens",
        "picocolors",
        "esbuild",
    ] {
        assert!(at(&l, key).scopes.is_empty(), "{key}");
    }
    for key in [
        "@types/node",
        "undici-types",
        "typescript",
        "glob",
        "minimatch",
        "brace-expansion",
        "balanced-match",
    ] {
        assert_eq!(at(&l, key).scopes, [Scope::Dev].into(), "{key}");
    }
    assert_eq!(
        at(&l, "@esbuild/linux-x64").scopes,
        [Scope::Optional].into()
    );
    let direct: Vec<&str> = l
        .packages
        .iter()
        .filter(|p| p.direct)
        .map(|p| p.name.as_str())
        .collect();
    assert_eq!(
        direct,
        [
            "@babel/code-frame",
            "@types/node",
            "esbuild",
            "glob",
            "react",
            "react-dom",
            "typescript"
        ]
    );
    // The nested copy wins over the hoisted one.
    assert_eq!(at(&l, "@babel/code-frame/js-tokens").version, "4.0.0");
    assert!(edge(&l, "@babel/code-frame", "@babel/code-frame/js-tokens"));
    assert!(!edge(&l, "@babel/code-frame", "js-tokens"));
    assert!(edge(&l, "react-dom", "react") && edge(&l, "react-dom", "scheduler"));
}

#[test]
fn every_entry_shape_is_read() {
    let rel = "bun/v1-every-shape.lock";
    let l = parse(rel);
    assert!(l.warnings.is_empty(), "{:?}", l.warnings);
    assert_lines_point_at_keys(rel, &l);
    assert!(
        l.packages.iter().all(|p| p.name != "shapes"),
        "the root is not a package"
    );

    let ui = at(&l, "@acme/ui");
    assert_eq!(
        (ui.version.as_str(), &ui.origin),
        (
            "0.4.0",
            &Origin::Workspace {
                path: "packages/ui".into()
            }
        )
    );
    let nested = at(&l, "@acme/ui/ansi-regex");
    assert_eq!(nested.version, "6.2.2");
    assert!(nested.direct && nested.scopes.is_empty());
    assert!(edge(&l, "@acme/ui", "@acme/ui/ansi-regex"));

    assert_eq!(
        at(&l, "gh-dep").origin,
        Origin::Git {
            url: "https://github.com/owner/gh-dep.git".into(),
            commit: Some("4b1d3a9".into()),
            reference: None
        }
    );
    assert_eq!(
        at(&l, "git-dep").origin,
        Origin::Git {
            url: "git+https://git.example.com/team/git-dep.git".into(),
            commit: Some("7c0ffee5e8e2a0d4c6b1a3f9e8d7c6b5a4f3e2d1".into()),
            reference: None,
        }
    );
    assert_eq!(at(&l, "gh-dep").version, "");
    assert_eq!(
        at(&l, "remote-tgz").origin,
        Origin::Url {
            url: "https://example.com/remote-tgz-1.0.0.tgz".into()
        }
    );
    assert_eq!(
        at(&l, "local-tgz").origin,
        Origin::Path {
            path: "./vendor/local-tgz-2.0.0.tgz".into()
        }
    );
    assert_eq!(at(&l, "local-tgz").hashes.len(), 1);
    assert_eq!(
        at(&l, "local-folder").origin,
        Origin::Path {
            path: "vendor/local-folder".into()
        }
    );
    assert_eq!(
        at(&l, "linked").origin,
        Origin::Path {
            path: "linked".into()
        }
    );

    let private = at(&l, "private");
    assert!(private.bundled);
    assert_eq!(
        private.purl,
        "pkg:npm/private@1.2.0?repository_url=https://npm.example.com/"
    );
    let alias = at(&l, "sw-cjs");
    assert_eq!(
        (alias.name.as_str(), alias.version.as_str()),
        ("string-width", "4.2.3")
    );

    assert_eq!(at(&l, "dev-only").scopes, [Scope::Dev].into());
    assert_eq!(
        at(&l, "fsevents").scopes,
        [Scope::Dev, Scope::Optional].into()
    );
    // Required by production packages as well as by the dev-only one.
    let ansi = at(&l, "ansi-regex");
    assert!(ansi.scopes.is_empty() && !ansi.direct);
    assert!(edge(&l, "gh-dep", "ansi-regex") && edge(&l, "sw-cjs", "ansi-regex"));
}

#[test]
fn version_0_files_are_read() {
    let l = parse("bun/v0-files.lock");
    assert_eq!(l.format, "bun-lock-v0");
    assert_eq!(l.packages.len(), 6);
    let etag = at(&l, "etag");
    assert_eq!(
        (etag.version.as_str(), &etag.origin),
        (
            "",
            &Origin::Path {
                path: "deps/etag".into()
            }
        )
    );
    assert_eq!(etag.scopes, [Scope::Dev].into());
    assert_eq!(
        at(&l, "@adobe/css-tools4").origin,
        Origin::Path {
            path: "./css#tools.tgz".into()
        }
    );
    assert_eq!(at(&l, "lodash").version, "1.3.1");
}

#[test]
fn syntax_errors_carry_the_original_line() {
    let text = read("bun/v1-every-shape.lock").replacen("\"linked\": [", "\"linked\" [", 1);
    let e = bun::parse(&text, "b").unwrap_err();
    let line = text
        .lines()
        .position(|l| l.contains("\"linked\" ["))
        .unwrap()
        + 1;
    assert_eq!(e.line, Some(u32::try_from(line).unwrap()), "{e}");
}

const FIXTURES: &[&str] = &[
    "bun/v1-reth-excerpt.lock",
    "bun/v1-every-shape.lock",
    "bun/v0-files.lock",
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn never_panics_on_arbitrary_text(s in "\\PC*") {
        let _ = bun::parse(&s, "b");
    }

    #[test]
    fn never_panics_on_mutated_lockfiles(which in 0..FIXTURES.len(), edits in edits()) {
        let text = mutate(&read(FIXTURES[which]), &edits);
        if let Ok(l) = bun::parse(&text, "b") {
            for e in &l.edges {
                prop_assert!(e.from < l.packages.len() && e.to < l.packages.len());
            }
        }
    }
}
