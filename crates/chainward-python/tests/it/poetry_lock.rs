//! Tests for `poetry_lock`: osv-scalibr's conformance suite, real fixtures, robustness.
use chainward_python::poetry_lock;
use chainward_test_utils::{check_case, load_suite};
use chainward_types::{Origin, Package, Scope};
use proptest::prelude::*;

use crate::support::{find, fixture, observe, pep503, read};

/// osv-scalibr's dependency groups: `optional` for an extra, none for a package of the main
/// group, else the Poetry groups. (Its 1.x reading ignores `category`; we keep the category
/// as the group, so a 1.x `dev` package would show `dev` here: no shared case has one.)
fn scalibr_groups(p: &Package) -> Vec<String> {
    if p.scopes.contains(&Scope::Optional) {
        return vec!["optional".to_owned()];
    }
    if p.groups.is_empty() || p.groups.contains("main") {
        return Vec::new();
    }
    p.groups.iter().cloned().collect()
}

#[test]
fn conformance_suite_passes() {
    let dir = fixture("conformance/lockfile-poetry");
    let suite = load_suite(&dir);
    let mut failures = Vec::new();
    for (file, case) in &suite {
        let text = fs_err::read_to_string(dir.join(file)).unwrap();
        match (poetry_lock::parse(&text, file), case.error) {
            (Ok(_), true) => failures.push(format!("{file}: expected an error")),
            (Err(e), false) => failures.push(format!("{file}: {e}")),
            (Err(_), true) => {}
            (Ok(lf), false) => {
                if let Err(e) = check_case(case, &observe(&lf, scalibr_groups), pep503) {
                    failures.push(format!("{file}: {e}"));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    assert_eq!(suite.len(), 8);
}

#[test]
fn not_toml_is_an_error_with_a_position() {
    let err = poetry_lock::parse(
        &read("conformance/lockfile-poetry/testdata/not-toml.txt"),
        "poetry.lock",
    )
    .unwrap_err();
    assert_eq!(err.line, Some(1), "{err}");
    assert!(err.column.is_some());
}

#[test]
fn reads_a_real_poetry_2_lock_with_groups_and_extras() {
    let lf = poetry_lock::parse(&read("poetry/v2.1-groups-extras.lock"), "poetry.lock").unwrap();
    assert_eq!(lf.format, "poetry-lock-v2.1");
    assert!(lf.warnings.is_empty(), "{:?}", lf.warnings);
    let idna = find(&lf, "idna", "3.7");
    assert!(idna.scopes.is_empty());
    assert_eq!(idna.groups.iter().collect::<Vec<_>>(), ["docs", "main"]);
    assert_eq!(idna.hashes.len(), 2);
    assert_eq!(
        idna.hashes[0].artifact.as_deref(),
        Some("idna-3.7-py3-none-any.whl")
    );
    // The `mirror` source is PyPI itself: no repository URL.
    assert_eq!(idna.origin, Origin::registry());
    assert_eq!(
        find(&lf, "iniconfig", "2.0.0")
            .scopes
            .iter()
            .collect::<Vec<_>>(),
        [&Scope::Dev]
    );
    assert_eq!(
        find(&lf, "packaging", "24.1")
            .scopes
            .iter()
            .collect::<Vec<_>>(),
        [&Scope::Dev]
    );
    assert_eq!(
        find(&lf, "six", "1.16.0").scopes.iter().collect::<Vec<_>>(),
        [&Scope::Optional]
    );
    assert!(
        lf.packages.iter().all(|p| p.direct),
        "nothing depends on anything here"
    );
}

#[test]
fn reads_a_poetry_1_lock_with_sources_and_categories() {
    let lf = poetry_lock::parse(&read("poetry/v1.1-sources-dev.lock"), "poetry.lock").unwrap();
    assert_eq!(lf.format, "poetry-lock-v1.1");
    assert!(lf.warnings.is_empty(), "{:?}", lf.warnings);
    let attrs = find(&lf, "attrs", "21.4.0");
    assert_eq!(attrs.scopes.iter().collect::<Vec<_>>(), [&Scope::Dev]);
    assert_eq!(attrs.hashes.len(), 2, "from [metadata.files]");
    assert!(!attrs.direct, "pytest depends on it");
    assert_eq!(
        find(&lf, "ike", "0.2.0").origin,
        Origin::Git {
            url: "https://github.com/dzshn/ike".into(),
            commit: Some("cd66602cd29f61a2d2e7fb995fef1e61708c034d".into()),
            reference: Some("main".into())
        }
    );
    let lib = find(&lf, "my-lib", "0.1.0");
    assert_eq!(
        lib.origin,
        Origin::Path {
            path: "libs/my_lib".into()
        }
    );
    assert_eq!(
        lib.dependencies.len(),
        2,
        "requests and six (array of constraints)"
    );
    assert_eq!(
        find(&lf, "requests", "2.28.1").origin,
        Origin::Registry {
            url: Some("https://pypi.corp.example/simple".into())
        }
    );
    assert_eq!(
        find(&lf, "wheel-from-url", "1.0").origin,
        Origin::Url {
            url: "https://example.com/wheel_from_url-1.0-py3-none-any.whl".into()
        }
    );
    assert_eq!(
        find(&lf, "six", "1.16.0").scopes.iter().collect::<Vec<_>>(),
        [&Scope::Optional]
    );
    assert_eq!(lf.packages[0].locations[0].line, Some(2));
}

proptest! {
    #[test]
    fn never_panics_on_arbitrary_text(s in "\\PC*") {
        let _ = poetry_lock::parse(&s, "poetry.lock");
    }

    #[test]
    fn never_panics_on_mutated_real_file(pos in 0usize..5000, byte in any::<u8>()) {
        let mut bytes = read("poetry/v1.1-sources-dev.lock").into_bytes();
        let i = pos % bytes.len();
        bytes[i] = byte;
        let _ = poetry_lock::parse(&String::from_utf8_lossy(&bytes), "poetry.lock");
    }
}
