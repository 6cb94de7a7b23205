//! Lockfile hygiene on small lockfiles of every kind (`tests/fixtures/hygiene/`): each
//! `clean/<kind>` gives no finding, each `dirty/<kind>` gives exactly the listed ones.

use std::path::{Path, PathBuf};

use chainward_integrity::{Options, verify};
use chainward_types::{Finding, FindingCode, HashAlgorithm, Severity};

use FindingCode::{
    InsecureOrigin, MissingIntegrity, UnpinnedGit, UntrustedHost, UrlNameMismatch, WeakIntegrity,
};

const HYGIENE: [FindingCode; 6] = [
    InsecureOrigin,
    UntrustedHost,
    UrlNameMismatch,
    MissingIntegrity,
    WeakIntegrity,
    UnpinnedGit,
];

fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/hygiene")
        .join(rel)
}

/// The hygiene findings of every source under `paths`, which must all read cleanly.
fn findings_of(paths: &[PathBuf], options: &Options) -> Vec<Finding> {
    let sources =
        chainward_extract::read_sources(paths, &chainward_extract::Options::default()).unwrap();
    assert!(!sources.is_empty(), "no source under {paths:?}");
    for s in &sources {
        assert!(s.format.is_some(), "{}: not a lockfile", s.display);
        let lockfile = s
            .result
            .as_ref()
            .unwrap_or_else(|e| panic!("{}: {e:?}", s.display));
        assert!(!lockfile.packages.is_empty(), "{}: no packages", s.display);
    }
    verify(&sources, options)
        .findings
        .into_iter()
        .filter(|f| HYGIENE.contains(&f.code))
        .collect()
}

fn findings(rel: &str) -> Vec<Finding> {
    findings_of(&[fixture(rel)], &Options::default())
}

/// `(code, package name)` pairs, sorted.
fn summary(findings: &[Finding]) -> Vec<(FindingCode, String)> {
    let mut s: Vec<_> = findings
        .iter()
        .map(|f| (f.code, f.package.name.clone()))
        .collect();
    s.sort();
    s
}

fn expect(list: &[(FindingCode, &str)]) -> Vec<(FindingCode, String)> {
    let mut v: Vec<_> = list.iter().map(|(c, n)| (*c, (*n).to_owned())).collect();
    v.sort();
    v
}

fn one<'f>(findings: &'f [Finding], code: FindingCode, name: &str) -> &'f Finding {
    let mut it = findings
        .iter()
        .filter(|f| f.code == code && f.package.name == name);
    let f = it.next().unwrap_or_else(|| panic!("no {code} for {name}"));
    assert!(it.next().is_none(), "several {code} for {name}");
    f
}

fn value(f: &Finding) -> &str {
    f.evidence
        .as_ref()
        .and_then(|e| e.value.as_deref())
        .unwrap_or("")
}

#[test]
fn clean_lockfiles_of_every_kind_give_no_hygiene_findings() {
    let kinds = [
        "npm-v3",
        "npm-v1",
        "yarn-v1",
        "yarn-berry",
        "pnpm",
        "bun",
        "cargo",
        "requirements",
        "requirements-hashed",
        "poetry",
        "uv",
        "pipfile",
    ];
    for kind in kinds {
        let found = findings(&format!("clean/{kind}"));
        assert!(found.is_empty(), "{kind}: {:#?}", summary(&found));
    }
}

#[test]
fn npm_v3_lockfile_reports_each_origin_and_integrity_problem() {
    let found = findings("dirty/npm-v3");
    assert_eq!(
        summary(&found),
        expect(&[
            (MissingIntegrity, "debug"),
            (WeakIntegrity, "has-flag"),
            (InsecureOrigin, "left-pad"),
            (UrlNameMismatch, "lodash"),
            (UntrustedHost, "ms"),
            (UnpinnedGit, "my-fork"),
            (UntrustedHost, "my-fork"),
        ])
    );
    let mismatch = one(&found, UrlNameMismatch, "lodash");
    assert_eq!(
        value(mismatch),
        "https://registry.npmjs.org/lodash-utils/-/lodash-utils-4.18.1.tgz"
    );
    assert!(
        mismatch.message.contains("`lodash-utils@4.18.1`"),
        "{}",
        mismatch.message
    );
    assert_eq!(mismatch.severity, Severity::High);
    let loc = &mismatch.locations[0];
    assert!(
        loc.path.ends_with("dirty/npm-v3/package-lock.json"),
        "{loc:?}"
    );
    assert_eq!(loc.key.as_deref(), Some("node_modules/lodash"));
    assert!(loc.line.is_some());
    let evidence = mismatch.evidence.as_ref().unwrap();
    assert!(
        evidence
            .file
            .as_deref()
            .unwrap()
            .ends_with("package-lock.json")
    );

    let weak = one(&found, WeakIntegrity, "has-flag");
    let expected = weak.evidence.as_ref().unwrap().expected.as_ref().unwrap();
    assert_eq!(expected.algorithm, HashAlgorithm::Sha1);
    assert_eq!(weak.severity, Severity::Low);

    assert_eq!(
        value(one(&found, InsecureOrigin, "left-pad")),
        "http://registry.npmjs.org/left-pad/-/left-pad-1.3.0.tgz"
    );
    assert_eq!(
        value(one(&found, UnpinnedGit, "my-fork")),
        "git+ssh://git@github.com/acme/my-fork.git#main"
    );
    // The ssh transport is fine; github.com is not a registry host.
    assert!(
        one(&found, UntrustedHost, "my-fork")
            .message
            .contains("`github.com`")
    );
}

#[test]
fn npm_aliases_are_checked_against_the_real_package_name() {
    // Clean: `string-width-cjs` → string-width's tarball (v1 and v3 layouts).
    assert!(findings("clean/npm-v1").is_empty());
    // Dirty: the alias resolves to another package's tarball.
    let found = findings("dirty/npm-v1");
    assert_eq!(
        summary(&found),
        expect(&[
            (MissingIntegrity, "is-number"),
            (UrlNameMismatch, "string-width"),
        ])
    );
    assert!(
        one(&found, UrlNameMismatch, "string-width")
            .message
            .contains("`strip-ansi@4.2.3`")
    );
}

#[test]
fn yarn_classic_lockfile_reports_git_protocol_sha1_fragments_and_other_packages() {
    let found = findings("dirty/yarn-v1");
    assert_eq!(
        summary(&found),
        expect(&[
            (InsecureOrigin, "chalk"),
            (UntrustedHost, "chalk"),
            (WeakIntegrity, "left-pad"),
            (UntrustedHost, "private-pkg"),
            (UrlNameMismatch, "string-width"),
        ])
    );
    let weak = one(&found, WeakIntegrity, "left-pad");
    assert_eq!(
        weak.evidence
            .as_ref()
            .unwrap()
            .expected
            .as_ref()
            .unwrap()
            .hex,
        "5b8a3a7765dfe001261dde915589e782f8c94d1e"
    );
}

#[test]
fn allowed_hosts_accept_hosts_and_urls_for_every_lockfile() {
    let options = Options {
        allowed_hosts: vec!["https://npm.internal.example/".into(), "github.com".into()],
        ..Options::default()
    };
    let found = findings_of(&[fixture("dirty/yarn-v1")], &options);
    assert_eq!(
        summary(&found),
        expect(&[
            (InsecureOrigin, "chalk"),
            (WeakIntegrity, "left-pad"),
            (UrlNameMismatch, "string-width"),
        ])
    );
}

#[test]
fn no_default_hosts_reports_the_public_registry_too() {
    let options = Options {
        allowed_hosts: vec!["npm.internal.example".into()],
        no_default_hosts: true,
        ..Options::default()
    };
    let found = findings_of(&[fixture("clean/npm-v3")], &options);
    assert_eq!(
        summary(&found),
        expect(&[
            (UntrustedHost, "@babel/core"),
            (UntrustedHost, "debug"),
            (UntrustedHost, "string-width"),
        ])
    );
}

#[test]
fn yarn_berry_lockfile_reports_missing_checksums_plain_http_and_short_commits() {
    let found = findings("dirty/yarn-berry");
    assert_eq!(
        summary(&found),
        expect(&[
            (InsecureOrigin, "left-pad"),
            (UntrustedHost, "left-pad"),
            (MissingIntegrity, "ms"),
            (UnpinnedGit, "my-fork"),
            (UntrustedHost, "my-fork"),
        ])
    );
    assert!(
        one(&found, UnpinnedGit, "my-fork")
            .message
            .contains("short commit `abc1234`")
    );
}

#[test]
fn pnpm_lockfile_reports_tarball_problems_and_unpinned_git() {
    let found = findings("dirty/pnpm");
    assert_eq!(
        summary(&found),
        expect(&[
            (InsecureOrigin, "left-pad"),
            (MissingIntegrity, "left-pad"),
            (UntrustedHost, "left-pad"),
            (UrlNameMismatch, "ms"),
            // A codeload archive of a full commit is pinned; only its host is reported.
            (UntrustedHost, "my-fork"),
            (UnpinnedGit, "other-fork"),
            (UntrustedHost, "other-fork"),
        ])
    );
    assert_eq!(
        value(one(&found, UrlNameMismatch, "ms")),
        "https://registry.npmjs.org/mss/-/mss-2.1.3.tgz"
    );
}

#[test]
fn bun_lockfile_reports_registry_hosts_missing_integrity_and_short_commits() {
    let found = findings("dirty/bun");
    assert_eq!(
        summary(&found),
        expect(&[
            (MissingIntegrity, "debug"),
            (UntrustedHost, "ms"),
            (UnpinnedGit, "my-fork"),
            (UntrustedHost, "my-fork"),
        ])
    );
}

#[test]
fn cargo_lockfile_reports_other_registries_missing_checksums_and_branches() {
    let found = findings("dirty/cargo");
    assert_eq!(
        summary(&found),
        expect(&[
            (MissingIntegrity, "addr2line"),
            (UnpinnedGit, "fork"),
            (UntrustedHost, "fork"),
            (InsecureOrigin, "internal-a"),
            (UntrustedHost, "internal-a"),
            (MissingIntegrity, "internal-b"),
            (UntrustedHost, "internal-b"),
        ])
    );
    assert_eq!(
        value(one(&found, InsecureOrigin, "internal-a")),
        "registry+http://crates.internal.example/index"
    );
    assert_eq!(
        value(one(&found, UnpinnedGit, "fork")),
        "https://github.com/acme/fork#main"
    );
}

#[test]
fn requirements_with_some_hashes_need_hashes_everywhere() {
    let found = findings("dirty/requirements");
    assert_eq!(
        summary(&found),
        expect(&[
            (UnpinnedGit, "fork"),
            (UntrustedHost, "fork"),
            (MissingIntegrity, "requests"),
            (WeakIntegrity, "six"),
            // `urllib3 @ .../certifi-...whl`: the wheel is another project.
            (UrlNameMismatch, "urllib3"),
        ])
    );
    // Without any `--hash`, unhashed pins are pip's ordinary mode.
    assert!(findings("clean/requirements").is_empty());
}

#[test]
fn poetry_lockfile_reports_other_indexes_empty_files_md5_and_branches() {
    let found = findings("dirty/poetry");
    assert_eq!(
        summary(&found),
        expect(&[
            (MissingIntegrity, "chia-rs"),
            (UntrustedHost, "chia-rs"),
            (UnpinnedGit, "fork"),
            (UntrustedHost, "fork"),
            (WeakIntegrity, "idna"),
        ])
    );
    assert_eq!(
        value(one(&found, UntrustedHost, "chia-rs")),
        "https://pypi.chia.net/simple"
    );
}

#[test]
fn uv_lockfile_reports_plain_http_indexes_unhashed_wheels_and_branches() {
    let found = findings("dirty/uv");
    assert_eq!(
        summary(&found),
        expect(&[
            (UnpinnedGit, "fork"),
            (UntrustedHost, "fork"),
            (InsecureOrigin, "torch"),
            (MissingIntegrity, "torch"),
            (UntrustedHost, "torch"),
        ])
    );
}

#[test]
fn pipfile_lock_reports_its_plain_http_source_for_every_package() {
    let found = findings("dirty/pipfile");
    assert_eq!(
        summary(&found),
        expect(&[
            (UnpinnedGit, "fork"),
            (UntrustedHost, "fork"),
            (InsecureOrigin, "idna"),
            (MissingIntegrity, "idna"),
            (UntrustedHost, "idna"),
            (InsecureOrigin, "six"),
            (UntrustedHost, "six"),
            (WeakIntegrity, "six"),
        ])
    );
    assert_eq!(
        value(one(&found, InsecureOrigin, "six")),
        "http://pypi.internal.example/simple"
    );
}

#[test]
fn a_package_in_two_lockfiles_is_reported_once_per_lockfile() {
    let found = findings_of(
        &[fixture("dirty/npm-v3"), fixture("dirty/bun")],
        &Options::default(),
    );
    let ms: Vec<&Finding> = found
        .iter()
        .filter(|f| f.code == UntrustedHost && f.package.name == "ms")
        .collect();
    assert_eq!(ms.len(), 2, "{ms:#?}");
    let mut files: Vec<&str> = ms
        .iter()
        .map(|f| {
            assert_eq!(f.locations.len(), 1);
            f.locations[0].path.as_str()
        })
        .collect();
    files.sort_unstable();
    assert!(files[0].ends_with("bun.lock"), "{files:?}");
    assert!(files[1].ends_with("package-lock.json"), "{files:?}");
}
