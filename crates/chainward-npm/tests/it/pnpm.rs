//! Tests for `pnpm` (conformance cases and fixtures).
// Helpers outside `#[test]` functions unwrap too: a failure is a test failure.
#![allow(clippy::unwrap_used)]

use chainward_npm::pnpm;
use chainward_test_utils::{Case, check_case, load_suite};
use chainward_types::{HashAlgorithm, Lockfile, Origin, Scope};
use proptest::prelude::*;

use crate::yarn::{find, fixtures, has_edge, mutate, observed, read};

fn parse_fixture(name: &str) -> Lockfile {
    let text = read(&fixtures().join("pnpm").join(name));
    pnpm::parse(&text, name).unwrap()
}

fn scopes(lock: &Lockfile, name: &str, version: &str) -> Vec<Scope> {
    find(lock, name, version).scopes.iter().copied().collect()
}

/// Where we deliberately differ from osv-scalibr, the expectation is changed here.
fn our_expectation(file: &str, case: &Case) -> Case {
    let mut case = case.clone();
    let set_groups = |case: &mut Case, name: &str, groups: &[&str]| {
        let p = case.packages.iter_mut().find(|p| p.name == name).unwrap();
        p.dep_groups = Some(groups.iter().map(|g| (*g).to_owned()).collect());
    };
    match file {
        // osv-scalibr reports no groups for v9 files, which dropped the `dev` flags. We
        // derive them from the importers, as the v5/v6 flags did: `is-number` is only a
        // `devDependencies` entry, and `uuid`'s snapshot says `optional: true`.
        "testdata/mixed-groups.v9.yaml" => {
            set_groups(&mut case, "is-number", &["dev"]);
            set_groups(&mut case, "uuid", &["optional"]);
        }
        // Same: `acorn` is only in the importer's `devDependencies`.
        "testdata/one-package-dev.v9.yaml" => set_groups(&mut case, "acorn", &["dev"]),
        _ => {}
    }
    case
}

#[test]
fn passes_the_pnpm_conformance_suite() {
    let dir = fixtures().join("conformance/lockfile-pnpm");
    let suite = load_suite(&dir);
    assert_eq!(suite.len(), 22);
    let mut failures = Vec::new();
    for (file, case) in &suite {
        let text = read(&dir.join(file));
        let case = our_expectation(file, case);
        match pnpm::parse(&text, file) {
            Ok(lock) if case.error => failures.push(format!(
                "{file}: parsed, but an error was expected ({lock:?})"
            )),
            Ok(lock) => {
                if let Err(diff) = check_case(&case, &observed(&lock), str::to_owned) {
                    failures.push(format!("{file}: {diff}"));
                }
            }
            Err(e) if !case.error => failures.push(format!("{file}: {e}")),
            Err(_) => {}
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// osv-scalibr returns an error together with the valid packages; a `ParseError` cannot
/// carry packages, and a package we cannot name is one we cannot check, so the whole file
/// fails (closed) and the message names every invalid path and its line.
#[test]
fn invalid_dependency_paths_fail_the_file_naming_each_path() {
    let dir = fixtures().join("conformance/lockfile-pnpm/testdata");
    let err = pnpm::parse(&read(&dir.join("invalid-path.yaml")), "pnpm-lock.yaml").unwrap_err();
    assert_eq!(err.line, Some(17));
    assert!(
        err.message
            .contains("invalid dependency path: invalidpath (line 17)"),
        "{err}"
    );
    let err = pnpm::parse(&read(&dir.join("invalid-paths.yaml")), "pnpm-lock.yaml").unwrap_err();
    assert_eq!(err.line, Some(11));
    assert!(
        err.message.contains("invalidpath1 (line 11)")
            && err.message.contains("invalidpath2 (line 23)"),
        "{err}"
    );
}

#[test]
fn reads_origins_and_hashes_of_the_conformance_files() {
    let dir = fixtures().join("conformance/lockfile-pnpm/testdata");
    let lock = pnpm::parse(&read(&dir.join("commits.yaml")), "pnpm-lock.yaml").unwrap();
    assert_eq!(lock.format, "pnpm-v5.3");
    assert_eq!(
        find(&lock, "@my-scope/my-package", "1.0.0").origin,
        Origin::Git {
            url: "git+ssh://git@github.com/my-org/my-package.git".into(),
            commit: Some("267087851ad5fac92a184749c27cd539e2fc862e".into()),
            reference: None,
        }
    );
    assert_eq!(
        find(&lock, "mocks", "20.0.1").origin,
        Origin::Git {
            url: "https://github.com/my-org/mocks".into(),
            commit: Some("590f321b4eb3f692bb211bd74e22947639a6f79d".into()),
            reference: None,
        }
    );
    assert!(has_edge(
        &lock,
        ("mocks", "20.0.1"),
        ("faker-parser", "0.0.1")
    ));
    assert!(find(&lock, "mocks", "20.0.1").direct);

    let lock = pnpm::parse(&read(&dir.join("files.yaml")), "pnpm-lock.yaml").unwrap();
    assert_eq!(
        find(&lock, "a-local-package", "1.0.0").origin,
        Origin::Path {
            path: "../local-package".into()
        }
    );
    let tgz = find(&lock, "my-file-package", "0.0.0");
    assert_eq!(
        tgz.origin,
        Origin::Path {
            path: "projects/package-a.tgz".into()
        }
    );
    assert_eq!(tgz.hashes[0].algorithm, HashAlgorithm::Sha512);
    assert!(
        tgz.direct,
        "`file:./projects/package-a.tgz` is `file:projects/package-a.tgz`"
    );
    assert_eq!(
        find(&lock, "one-up-with-peer", "1.0.0").locations[0]
            .key
            .as_deref(),
        Some("file:.._react-dom@18.2.0")
    );
    assert!(
        lock.warnings
            .iter()
            .any(|w| w.contains("file:../nameless-package")),
        "{:?}",
        lock.warnings
    );

    let lock = pnpm::parse(&read(&dir.join("tarball.yaml")), "pnpm-lock.yaml").unwrap();
    let p = find(&lock, "@my-org/my-package", "3.2.3");
    assert!(
        matches!(&p.origin, Origin::Registry { url: Some(u) } if u.starts_with("https://gitlab.my-org.org/"))
    );
    assert_eq!(
        p.purl,
        "pkg:npm/%40my-org/my-package@3.2.3?repository_url=https://gitlab.my-org.org/api/v4/projects/1/packages/npm"
    );

    let lock = pnpm::parse(
        &read(&dir.join("peer-dependencies-v6.yaml")),
        "pnpm-lock.yaml",
    )
    .unwrap();
    assert_eq!(lock.format, "pnpm-v6.0");
    let react_dom = find(&lock, "react-dom", "18.2.0");
    assert_eq!(
        react_dom.locations[0].key.as_deref(),
        Some("/react-dom@18.2.0(react@18.2.0)")
    );
    assert!(react_dom.direct);
    assert!(has_edge(
        &lock,
        ("react-dom", "18.2.0"),
        ("react", "18.2.0")
    ));

    for empty in ["empty.yaml", "no-packages.yaml", "missing-packages.yaml"] {
        let lock = pnpm::parse(&read(&dir.join(empty)), "pnpm-lock.yaml").unwrap();
        assert!(
            lock.packages.is_empty() && lock.warnings.is_empty(),
            "{empty}"
        );
    }
}

fn check_workspace_fixture(lock: &Lockfile) {
    assert_eq!(lock.packages.len(), 17);
    assert!(lock.warnings.is_empty(), "{:?}", lock.warnings);
    // Dev: only through devDependencies (of the root and of packages/b).
    assert_eq!(scopes(lock, "is-odd", "3.0.1"), vec![Scope::Dev]);
    assert_eq!(scopes(lock, "is-number", "6.0.0"), vec![Scope::Dev]);
    assert_eq!(scopes(lock, "uuid", "8.3.2"), vec![Scope::Optional]);
    for (name, version) in [
        ("ms", "2.0.0"),
        ("ms", "2.1.3"),
        ("react", "18.2.0"),
        ("scheduler", "0.23.2"),
        ("is-number", "7.0.0"),
    ] {
        assert!(scopes(lock, name, version).is_empty(), "{name}@{version}");
    }
    // Direct: any importer's dependency, through aliases too.
    for (name, version) in [
        ("ms", "2.0.0"),
        ("ms", "2.1.3"),
        ("string-width", "4.2.3"),
        ("react-dom", "18.2.0"),
        ("uuid", "8.3.2"),
    ] {
        assert!(find(lock, name, version).direct, "{name}@{version}");
    }
    assert!(!find(lock, "scheduler", "0.23.2").direct);
    assert!(has_edge(lock, ("react-dom", "18.2.0"), ("react", "18.2.0")));
    assert!(has_edge(lock, ("is-odd", "3.0.1"), ("is-number", "6.0.0")));
    assert!(has_edge(
        lock,
        ("string-width", "4.2.3"),
        ("strip-ansi", "6.0.1")
    ));
    let local = lock
        .packages
        .iter()
        .find(|p| p.name == "local-lib")
        .unwrap();
    assert_eq!(
        local.origin,
        Origin::Path {
            path: "local-lib".into()
        }
    );
    assert!(local.direct);
    assert!(local.dependencies.contains(&"pkg:npm/ms@2.1.3".to_owned()));
    let ms = find(lock, "ms", "2.1.3");
    assert_eq!(ms.hashes.len(), 1);
    assert_eq!(ms.origin, Origin::registry());
}

#[test]
fn reads_a_real_v9_workspace_lockfile() {
    let lock = parse_fixture("v9-workspace-peers-alias-patch.yaml");
    assert_eq!(lock.format, "pnpm-v9.0");
    check_workspace_fixture(&lock);
    let ms = find(&lock, "ms", "2.1.3");
    assert_eq!(ms.locations[0].key.as_deref(), Some("ms@2.1.3"));
    assert_eq!(ms.locations[0].line, Some(97));
    // v9 `file:` packages carry no version.
    assert_eq!(find(&lock, "local-lib", "").version, "");
}

#[test]
fn reads_a_real_v6_workspace_lockfile() {
    let lock = parse_fixture("v6-workspace-peers-alias.yaml");
    assert_eq!(lock.format, "pnpm-v6.0");
    check_workspace_fixture(&lock);
    assert_eq!(
        find(&lock, "react-dom", "18.2.0").locations[0]
            .key
            .as_deref(),
        Some("/react-dom@18.2.0(react@18.2.0)")
    );
}

#[test]
fn reads_a_real_v5_workspace_lockfile() {
    let lock = parse_fixture("v5.4-workspace-peers-alias.yaml");
    assert_eq!(lock.format, "pnpm-v5.4");
    check_workspace_fixture(&lock);
    assert_eq!(
        find(&lock, "react-dom", "18.2.0").locations[0]
            .key
            .as_deref(),
        Some("/react-dom/18.2.0_react@18.2.0")
    );
    assert_eq!(
        find(&lock, "local-lib", "1.0.0").locations[0]
            .key
            .as_deref(),
        Some("file:local-lib")
    );
}

#[test]
fn reads_both_documents_of_a_multi_document_lockfile() {
    let lock = parse_fixture("v9-env-document-runtime.yaml");
    assert_eq!(lock.format, "pnpm-v9.0");
    assert_eq!(
        lock.packages.len(),
        12,
        "9 in the env document, 3 in the lockfile"
    );
    assert!(lock.warnings.is_empty(), "{:?}", lock.warnings);
    // The package manager and its binaries are tools: dev; the binaries are optional.
    let pnpm = find(&lock, "pnpm", "12.0.0-rc.8");
    assert!(pnpm.direct);
    assert_eq!(
        pnpm.scopes.iter().copied().collect::<Vec<_>>(),
        vec![Scope::Dev]
    );
    assert_eq!(
        scopes(&lock, "@pnpm/exe.linux-x64", "12.0.0-rc.8"),
        vec![Scope::Dev, Scope::Optional]
    );
    assert!(has_edge(
        &lock,
        ("pnpm", "12.0.0-rc.8"),
        ("@pnpm/exe.linux-x64", "12.0.0-rc.8")
    ));
    assert_eq!(find(&lock, "ms", "2.1.3").locations[0].line, Some(131));
    assert!(scopes(&lock, "ms", "2.1.3").is_empty());
    assert_eq!(scopes(&lock, "graceful-fs", "4.2.11"), vec![Scope::Dev]);
    // A runtime: downloaded from nodejs.org per platform, one hash per archive.
    let node = find(&lock, "node", "26.7.0");
    assert_eq!(
        node.origin,
        Origin::Url {
            url: "https://nodejs.org/download/release/v26.7.0/".into()
        }
    );
    assert!(node.hashes.len() >= 10);
    assert!(
        node.hashes
            .iter()
            .all(|h| h.algorithm == HashAlgorithm::Sha256 && h.artifact.is_some())
    );
    assert!(node.direct);
}

#[test]
fn crlf_and_reordered_files_parse_the_same() {
    for name in [
        "v9-workspace-peers-alias-patch.yaml",
        "v5.4-workspace-peers-alias.yaml",
    ] {
        let text = read(&fixtures().join("pnpm").join(name));
        let lf = pnpm::parse(&text, name).unwrap();
        let crlf = pnpm::parse(&text.replace('\n', "\r\n"), name).unwrap();
        assert_eq!(lf.packages, crlf.packages, "{name}");
        assert_eq!(lf.edges, crlf.edges, "{name}");
    }
}

#[test]
fn errors_name_the_line_and_entry() {
    let err = pnpm::parse(
        "lockfileVersion: '9.0'\npackages:\n  a@1.0.0:\n    resolution: {integrity: sha512-nope}\n",
        "p",
    )
    .unwrap_err();
    assert_eq!(err.line, Some(3));
    assert!(err.message.contains("a@1.0.0"), "{err}");
    let err = pnpm::parse("lockfileVersion: '10.0'\n", "p").unwrap_err();
    assert!(err.message.contains("10.0"), "{err}");
    let err = pnpm::parse("packages: {}\n", "p").unwrap_err();
    assert!(err.message.contains("lockfileVersion"), "{err}");
    let err = pnpm::parse(
        "lockfileVersion: '9.0'\npackages:\n  a@1.0.0: {}\n  a@1.0.0: {}\n",
        "p",
    )
    .unwrap_err();
    assert_eq!(err.line, Some(4));
    assert!(err.message.contains("duplicate key `a@1.0.0`"), "{err}");
}

#[test]
fn reads_v7_style_files_without_snapshots() {
    let text = "lockfileVersion: '7.0'

importers:
  .:
    dependencies:
      a:
        specifier: ^1.0.0
        version: 1.0.0(b@2.0.0)
    devDependencies:
      c:
        specifier: ^1.0.0
        version: 1.0.0

packages:

  a@1.0.0(b@2.0.0):
    resolution: {integrity: sha512-quJQXlTSUGL2LH9SUXo8VwsY4soanhgo6LNSm84E1LBcE8s3O0wpdiRzyR9z/ZZJMlMWv37qOOb9pdJlMUEKFQ==}
    dependencies:
      b: 2.0.0

  b@2.0.0:
    resolution: {integrity: sha512-quJQXlTSUGL2LH9SUXo8VwsY4soanhgo6LNSm84E1LBcE8s3O0wpdiRzyR9z/ZZJMlMWv37qOOb9pdJlMUEKFQ==}

  c@1.0.0:
    resolution: {tarball: https://user:secret@npm.example.com/c/-/c-1.0.0.tgz}
    optional: true
";
    let lock = pnpm::parse(text, "pnpm-lock.yaml").unwrap();
    assert_eq!(lock.format, "pnpm-v7.0");
    assert!(has_edge(&lock, ("a", "1.0.0"), ("b", "2.0.0")));
    assert!(find(&lock, "a", "1.0.0").direct);
    assert_eq!(
        scopes(&lock, "c", "1.0.0"),
        vec![Scope::Dev, Scope::Optional]
    );
    assert!(scopes(&lock, "b", "2.0.0").is_empty());
    // Credentials in a URL are not copied into the report, and the removal is noted.
    assert_eq!(
        find(&lock, "c", "1.0.0").origin,
        Origin::Registry {
            url: Some("https://npm.example.com/c/-/c-1.0.0.tgz".into())
        }
    );
    assert!(
        lock.warnings.iter().any(|w| w.contains("credentials")),
        "{:?}",
        lock.warnings
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn never_panics_on_arbitrary_text(input in "\\PC{0,300}") {
        let _ = pnpm::parse(&input, "pnpm-lock.yaml");
    }

    #[test]
    fn never_panics_on_pnpm_like_text(input in "(lockfileVersion: '[0-9].[0-9]'\\n)?([ ]{0,8}(-|'?[a-z/@().:_-]{0,10}'?)(: )?(\\{[a-z: ,-]{0,12}\\}|[a-z0-9@/().:_-]{0,10})?\\n){0,14}") {
        let _ = pnpm::parse(&input, "pnpm-lock.yaml");
    }

    #[test]
    fn never_panics_on_mutated_files(at in 0usize..6000, len in 0usize..40, insert in "[ -~\\n]{0,8}", kind in 0u8..3, which in 0usize..3) {
        let name = ["v9-workspace-peers-alias-patch.yaml", "v6-workspace-peers-alias.yaml", "v5.4-workspace-peers-alias.yaml"][which];
        let text = read(&fixtures().join("pnpm").join(name));
        let _ = pnpm::parse(&mutate(&text, at, len, &insert, kind), "pnpm-lock.yaml");
    }
}
