//! Tests for `yarn` (conformance cases and fixtures).
// Helpers outside `#[test]` functions unwrap too: a failure is a test failure.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use chainward_npm::yarn;
use chainward_test_utils::{Observed, check_case, load_suite};
use chainward_types::{Edge, HashAlgorithm, Lockfile, Origin, Package, Scope};
use proptest::prelude::*;

pub(crate) fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

pub(crate) fn read(path: &Path) -> String {
    fs_err::read_to_string(path).unwrap()
}

/// A parsed lockfile in the conformance suites' terms.
pub(crate) fn observed(lock: &Lockfile) -> Vec<Observed> {
    lock.packages
        .iter()
        .map(|p| Observed {
            name: p.name.clone(),
            version: p.version.clone(),
            commit: match &p.origin {
                Origin::Git {
                    commit: Some(c), ..
                } => c.clone(),
                _ => String::new(),
            },
            dep_groups: p
                .scopes
                .iter()
                .filter_map(|s| match s {
                    Scope::Dev => Some("dev".to_owned()),
                    Scope::Optional => Some("optional".to_owned()),
                    Scope::Peer => None,
                })
                .collect(),
            line: p.locations.first().and_then(|l| l.line),
        })
        .collect()
}

pub(crate) fn find<'l>(lock: &'l Lockfile, name: &str, version: &str) -> &'l Package {
    let found: Vec<&Package> = lock
        .packages
        .iter()
        .filter(|p| p.name == name && p.version == version)
        .collect();
    assert_eq!(found.len(), 1, "{name}@{version}: {found:#?}");
    found[0]
}

pub(crate) fn index_of(lock: &Lockfile, name: &str, version: &str) -> usize {
    lock.packages
        .iter()
        .position(|p| p.name == name && p.version == version)
        .unwrap()
}

pub(crate) fn has_edge(lock: &Lockfile, from: (&str, &str), to: (&str, &str)) -> bool {
    let edge = Edge {
        from: index_of(lock, from.0, from.1),
        to: index_of(lock, to.0, to.1),
    };
    lock.edges.contains(&edge)
}

fn parse_fixture(name: &str) -> Lockfile {
    let text = read(&fixtures().join("yarn").join(name));
    yarn::parse(&text, name).unwrap()
}

#[test]
fn passes_the_yarn_conformance_suite() {
    let dir = fixtures().join("conformance/lockfile-yarn");
    let suite = load_suite(&dir);
    assert_eq!(suite.len(), 17);
    let mut failures = Vec::new();
    for (file, case) in &suite {
        let text = read(&dir.join(file));
        match yarn::parse(&text, file) {
            Ok(lock) if case.error => failures.push(format!(
                "{file}: parsed, but an error was expected ({lock:?})"
            )),
            Ok(lock) => {
                if let Err(diff) = check_case(case, &observed(&lock), str::to_owned) {
                    failures.push(format!("{file}: {diff}"));
                }
            }
            Err(e) if !case.error => failures.push(format!("{file}: {e}")),
            Err(_) => {}
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn reads_git_origins_of_classic_entries() {
    let dir = fixtures().join("conformance/lockfile-yarn/testdata");
    let lock = yarn::parse(&read(&dir.join("commits.v1.lock")), "yarn.lock").unwrap();
    assert_eq!(lock.format, "yarn-v1");
    let mine2 = find(&lock, "mine2", "0.0.1");
    assert_eq!(
        mine2.origin,
        Origin::Git {
            url: "https://github.com/G-Rath/npm-git-repo-2".into(),
            commit: Some("0a2d2506c1fe299691fc5db53a2097db3bd615bc".into()),
            reference: Some("0a2d2506c1".into()),
        }
    );
    let mine4 = find(&lock, "mine4", "0.0.2");
    assert!(
        matches!(&mine4.origin, Origin::Git { url, reference: Some(r), .. } if url == "git+ssh://git@github.com:G-Rath/npm-git-repo-2" && r == "another-branch")
    );
    let php = find(&lock, "babel-preset-php", "1.1.1");
    assert!(
        matches!(&php.origin, Origin::Git { url, .. } if url == "https://gitlab.com/kornelski/babel-preset-php")
    );
    // The token in `https://dummy-token@github.com/...` is not copied into the report.
    let is_number = find(&lock, "is-number", "5.0.0");
    assert!(
        matches!(&is_number.origin, Origin::Git { url, .. } if url == "https://github.com/jonschlinkert/is-number.git")
    );
    assert!(
        lock.warnings.iter().any(|w| w.contains("credentials")),
        "{:?}",
        lock.warnings
    );
    // `kit` depends on packages that have no entry: warnings, not errors.
    assert!(
        lock.warnings.iter().any(|w| w.contains("ramda@^0.23.0")),
        "{:?}",
        lock.warnings
    );
}

#[test]
fn reads_classic_hashes_paths_and_edges() {
    let dir = fixtures().join("conformance/lockfile-yarn/testdata");
    let lock = yarn::parse(&read(&dir.join("files.v1.lock")), "yarn.lock").unwrap();
    let etag = find(&lock, "etag", "1.8.1");
    assert_eq!(etag.hashes.len(), 1);
    assert_eq!(etag.hashes[0].algorithm, HashAlgorithm::Sha1);
    assert_eq!(
        etag.hashes[0].hex,
        "41ae2eeb65efa62268aebfea83ac7d79299b0887"
    );
    assert_eq!(
        find(&lock, "filedep", "1.2.0").origin,
        Origin::Path {
            path: "../../correct/path/filedep".into()
        }
    );
    assert_eq!(
        find(&lock, "etag", "1.8.0").origin,
        Origin::Path {
            path: "./deps/etag".into()
        }
    );
    assert!(has_edge(
        &lock,
        ("other_package", "0.0.2"),
        ("lodash", "1.3.1")
    ));
    assert!(
        has_edge(&lock, ("other_package", "0.0.2"), ("etag", "1.8.1")),
        "optionalDependencies are edges"
    );
    // `filedep "file:../../some/long/string/..."` has no entry: a warning, not an error.
    assert!(
        lock.warnings
            .iter()
            .any(|w| w.contains("filedep@file:../../some/long")),
        "{:?}",
        lock.warnings
    );
    let other = find(&lock, "other_package", "0.0.2");
    assert_eq!(
        other.locations[0].key.as_deref(),
        Some("\"other_package@file:./deps/other_package\"")
    );
    assert!(other.direct, "nothing depends on it");
    assert!(!find(&lock, "lodash", "1.3.1").direct);
    assert!(
        other
            .dependencies
            .contains(&"pkg:npm/lodash@1.3.1".to_owned())
    );
}

#[test]
fn reads_a_real_classic_lockfile() {
    let lock = parse_fixture("v1-aliases-files-links.lock");
    assert_eq!(lock.packages.len(), 14);
    assert!(lock.warnings.is_empty(), "{:?}", lock.warnings);
    let alias = &lock.packages[index_of_key(&lock, "\"string-width-cjs@npm:string-width@^4.2.0\"")];
    assert_eq!(
        (alias.name.as_str(), alias.version.as_str()),
        ("string-width", "4.2.3")
    );
    assert_eq!(
        alias.hashes.len(),
        2,
        "sha1 from the URL fragment and sha512 from integrity"
    );
    let strip = find(&lock, "strip-ansi", "6.0.1");
    assert_eq!(strip.locations[0].line, Some(73));
    assert_eq!(
        find(&lock, "linked", "0.0.0").origin,
        Origin::Path {
            path: "./linked".into()
        }
    );
    assert_eq!(
        find(&lock, "local-lib", "1.0.0").origin,
        Origin::Path {
            path: "./local-lib".into()
        }
    );
    assert!(has_edge(&lock, ("local-lib", "1.0.0"), ("ms", "2.1.3")));
    assert!(has_edge(&lock, ("is-odd", "3.0.1"), ("is-number", "6.0.0")));
    // A tarball URL on a registry is that registry's package.
    let tarball = find(&lock, "is-number", "7.0.0");
    assert!(
        matches!(&tarball.origin, Origin::Registry { url: Some(u) } if u == "https://registry.npmjs.org/is-number/-/is-number-7.0.0.tgz")
    );
    assert_eq!(tarball.purl, "pkg:npm/is-number@7.0.0");
    assert!(
        lock.packages.iter().all(|p| p.scopes.is_empty()),
        "yarn v1 records no dev-ness"
    );
}

fn index_of_key(lock: &Lockfile, key: &str) -> usize {
    lock.packages
        .iter()
        .position(|p| p.locations[0].key.as_deref() == Some(key))
        .unwrap()
}

#[test]
fn reads_berry_origins_checksums_and_workspaces() {
    let dir = fixtures().join("conformance/lockfile-yarn/testdata");
    let lock = yarn::parse(&read(&dir.join("exclude-root.v2.lock")), "yarn.lock").unwrap();
    assert_eq!(lock.format, "yarn-berry-v8");
    let ws = find(&lock, "@ws/ansi-regex", "0.0.0-use.local");
    assert_eq!(
        ws.origin,
        Origin::Workspace {
            path: "ansi-regex".into()
        }
    );
    assert!(ws.direct, "the root workspace depends on it");
    let regex = find(&lock, "ansi-regex", "6.1.0");
    assert_eq!(regex.hashes.len(), 1);
    assert_eq!(regex.hashes[0].algorithm, HashAlgorithm::Sha512);
    assert_eq!(
        regex.hashes[0].artifact.as_deref(),
        Some("yarn-cache-zip:10c0")
    );
    assert!(regex.direct);
    assert!(has_edge(
        &lock,
        ("@ws/ansi-regex", "0.0.0-use.local"),
        ("ansi-regex", "6.1.0")
    ));

    // Older files: a plain hex checksum, the cache key in `__metadata`.
    let lock = yarn::parse(&read(&dir.join("two-packages.v2.lock")), "yarn.lock").unwrap();
    assert_eq!(lock.format, "yarn-berry-v5");
    assert_eq!(
        lock.packages[0].hashes[0].artifact.as_deref(),
        Some("yarn-cache-zip:8")
    );

    let lock = yarn::parse(&read(&dir.join("commits.v2.lock")), "yarn.lock").unwrap();
    let vue = find(&lock, "vuejs", "2.5.0");
    assert_eq!(
        vue.origin,
        Origin::Git {
            url: "https://github.com/vuejs/vue.git".into(),
            commit: Some("0948d999f2fddf9f90991956493f976273c5da1f".into()),
            reference: None,
        }
    );
}

#[test]
fn reads_a_real_berry_lockfile() {
    let lock = parse_fixture("berry-v10-workspaces-patch-portal.lock");
    assert_eq!(lock.format, "yarn-berry-v10");
    assert_eq!(
        lock.packages.len(),
        29,
        "30 entries less the root workspace"
    );
    assert!(lock.warnings.is_empty(), "{:?}", lock.warnings);
    assert!(!lock.packages.iter().any(|p| p.name == "fx-berry"));
    assert_eq!(
        find(&lock, "@fx/a", "0.0.0-use.local").origin,
        Origin::Workspace {
            path: "packages/a".into()
        }
    );
    assert_eq!(
        find(&lock, "linked", "0.0.0-use.local").origin,
        Origin::Path {
            path: "./packages/b".into()
        }
    );
    assert_eq!(
        find(&lock, "portal-lib", "0.0.0-use.local").origin,
        Origin::Path {
            path: "./portal-lib".into()
        }
    );
    assert_eq!(
        find(&lock, "local-lib", "1.0.0").origin,
        Origin::Path {
            path: "./local-lib".into()
        }
    );
    assert!(
        find(&lock, "linked", "0.0.0-use.local").direct,
        "bound `link:` descriptors resolve"
    );
    assert!(has_edge(
        &lock,
        ("portal-lib", "0.0.0-use.local"),
        ("ms", "2.0.0")
    ));
    assert!(has_edge(
        &lock,
        ("@fx/a", "0.0.0-use.local"),
        ("@fx/b", "0.0.0-use.local")
    ));
    // The patched `resolve` is one registry package whose location says `patch:`.
    let resolves: Vec<&Package> = lock
        .packages
        .iter()
        .filter(|p| p.name == "resolve")
        .collect();
    assert_eq!(resolves.len(), 2);
    let patched = resolves
        .iter()
        .find(|p| {
            p.locations[0]
                .key
                .as_deref()
                .is_some_and(|k| k.contains("@patch:"))
        })
        .unwrap();
    assert_eq!(patched.origin, Origin::registry());
    assert_eq!(patched.version, "1.22.14");
    // Aliases name the real package; optional dependencies are optional.
    assert_eq!(
        find(&lock, "string-width", "4.2.3").locations[0]
            .key
            .as_deref(),
        Some("string-width-cjs@npm:string-width@^4.2.0")
    );
    let uuid = find(&lock, "uuid", "8.3.2");
    assert!(uuid.direct);
    assert_eq!(
        uuid.scopes.iter().copied().collect::<Vec<_>>(),
        vec![Scope::Optional]
    );
    assert!(find(&lock, "ms", "2.1.3").scopes.is_empty());
    let tarball = find(&lock, "is-number", "7.0.0");
    assert!(
        matches!(&tarball.origin, Origin::Registry { url: Some(_) }),
        "{:?}",
        tarball.origin
    );
}

#[test]
fn crlf_files_parse_the_same() {
    for name in [
        "v1-aliases-files-links.lock",
        "berry-v10-workspaces-patch-portal.lock",
    ] {
        let text = read(&fixtures().join("yarn").join(name));
        let lf = yarn::parse(&text, name).unwrap();
        let crlf = yarn::parse(&text.replace('\n', "\r\n"), name).unwrap();
        assert_eq!(lf.packages, crlf.packages, "{name}");
        assert_eq!(lf.edges, crlf.edges, "{name}");
    }
}

#[test]
fn errors_name_the_line_and_entry() {
    let err = yarn::parse(
        "# yarn lockfile v1\n\na@^1:\n  resolved \"x\"\n",
        "yarn.lock",
    )
    .unwrap_err();
    assert_eq!(err.line, Some(3));
    assert!(err.message.contains("a@^1"), "{err}");
    let err = yarn::parse(
        "__metadata:\n  version: 8\n\n\"a@npm:1\":\n  version: 1.0.0\n",
        "yarn.lock",
    )
    .unwrap_err();
    assert_eq!(err.line, Some(4));
    assert!(
        err.message.contains("a@npm:1") && err.message.contains("resolution"),
        "{err}"
    );
    let err = yarn::parse(
        "__metadata:\n  version: 8\n\n\"a@npm:1\":\n  version: 1.0.0\n  resolution: \"a@npm:1.0.0\"\n  checksum: 10c0/abc\n",
        "yarn.lock",
    )
    .unwrap_err();
    assert!(err.message.contains("checksum"), "{err}");
}

#[test]
fn resolves_catalog_and_overridden_ranges_when_one_entry_has_the_name() {
    let text = r#"__metadata:
  version: 8
  cacheKey: 10c0

"app@workspace:.":
  version: 0.0.0-use.local
  resolution: "app@workspace:."
  dependencies:
    a: "catalog:"
    b: "npm:^1.0.0"
    c: "catalog:"
  languageName: unknown
  linkType: soft

"a@npm:^2.0.0":
  version: 2.1.0
  resolution: "a@npm:2.1.0"
  languageName: node
  linkType: hard

"b@npm:1.5.0":
  version: 1.5.0
  resolution: "b@npm:1.5.0"
  languageName: node
  linkType: hard

"c@npm:^1.0.0":
  version: 1.0.0
  resolution: "c@npm:1.0.0"
  languageName: node
  linkType: hard

"c@npm:^2.0.0":
  version: 2.0.0
  resolution: "c@npm:2.0.0"
  languageName: node
  linkType: hard
"#;
    let lock = yarn::parse(text, "yarn.lock").unwrap();
    assert!(
        find(&lock, "a", "2.1.0").direct,
        "`catalog:` with one candidate"
    );
    assert!(
        find(&lock, "b", "1.5.0").direct,
        "a `resolutions` override with one candidate"
    );
    // Two candidates: which one the catalog named is not in the lockfile.
    assert!(!find(&lock, "c", "1.0.0").direct && !find(&lock, "c", "2.0.0").direct);
    // A lost edge is a note, not a warning: every package is still known, so the source
    // stays complete.
    assert!(lock.warnings.is_empty(), "{:?}", lock.warnings);
    assert_eq!(lock.notes.len(), 1, "{:?}", lock.notes);
    assert!(lock.notes[0].contains("catalog"), "{:?}", lock.notes);
}

/// Small edits of a valid file: delete, insert or duplicate text at some place.
pub(crate) fn mutate(text: &str, at: usize, len: usize, insert: &str, kind: u8) -> String {
    let mut at = at % (text.len() + 1);
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    let mut end = (at + len).min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    match kind % 3 {
        0 => format!("{}{}", &text[..at], &text[end..]),
        1 => format!("{}{insert}{}", &text[..at], &text[at..]),
        _ => format!("{}{}{}", &text[..end], &text[at..end], &text[end..]),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn never_panics_on_arbitrary_text(input in "\\PC{0,300}") {
        let _ = yarn::parse(&input, "yarn.lock");
    }

    #[test]
    fn never_panics_on_yarn_like_text(input in "([ ]{0,6}(\"[a-z@^:/. ,#-]{0,8}\"|[a-z@^:/.#-]{0,8})[ :,]{0,2}(\"[a-z0-9.^-]{0,6}\"|[a-z0-9.]{0,4})?\\r?\\n){0,12}") {
        let _ = yarn::parse(&input, "yarn.lock");
        let _ = yarn::parse(&format!("__metadata:\n  version: 8\n{input}"), "yarn.lock");
    }

    #[test]
    fn never_panics_on_mutated_classic_files(at in 0usize..4000, len in 0usize..40, insert in "[ -~\\n]{0,8}", kind in 0u8..3) {
        let text = read(&fixtures().join("yarn/v1-aliases-files-links.lock"));
        let _ = yarn::parse(&mutate(&text, at, len, &insert, kind), "yarn.lock");
    }

    #[test]
    fn never_panics_on_mutated_berry_files(at in 0usize..10000, len in 0usize..40, insert in "[ -~\\n]{0,8}", kind in 0u8..3) {
        let text = read(&fixtures().join("yarn/berry-v10-workspaces-patch-portal.lock"));
        let _ = yarn::parse(&mutate(&text, at, len, &insert, kind), "yarn.lock");
    }
}
