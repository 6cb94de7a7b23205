//! Tests for `uv_lock`: osv-scalibr's conformance suite, real fixtures, robustness.
use chainward_python::uv_lock;
use chainward_test_utils::{check_case, load_suite};
use chainward_types::{Origin, Package, Scope};
use proptest::prelude::*;

use crate::support::{find, fixture, observe, pep503, read};

/// osv-scalibr's dependency groups for uv: none for production packages, else the extras
/// and groups that lead to the package. (osv-scalibr names only the direct members of an
/// extra; we also name the packages they pull in: no shared case has one.)
fn scalibr_groups(p: &Package) -> Vec<String> {
    if p.scopes.is_empty() {
        Vec::new()
    } else {
        p.groups.iter().cloned().collect()
    }
}

#[test]
fn conformance_suite_passes() {
    let dir = fixture("conformance/lockfile-uv");
    let suite = load_suite(&dir);
    let mut failures = Vec::new();
    for (file, case) in &suite {
        let text = fs_err::read_to_string(dir.join(file)).unwrap();
        match (uv_lock::parse(&text, file), case.error) {
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
    assert_eq!(suite.len(), 5);
}

#[test]
fn reads_a_real_workspace_with_a_git_dependency_and_groups() {
    let lf = uv_lock::parse(&read("uv/v1-workspace-git-dev.lock"), "uv.lock").unwrap();
    assert_eq!(lf.format, "uv-lock-v1");
    assert!(lf.warnings.is_empty(), "{:?}", lf.warnings);
    assert!(
        lf.packages.iter().all(|p| p.name != "app"),
        "the project itself is not reported"
    );
    let lib = find(&lf, "lib", "0.2.0");
    assert_eq!(
        lib.origin,
        Origin::Workspace {
            path: "packages/lib".into()
        }
    );
    assert!(lib.direct);
    let ike = find(&lf, "ike", "0.2.0");
    assert_eq!(
        ike.origin,
        Origin::Git {
            url: "https://github.com/dzshn/ike".into(),
            commit: Some("cd66602cd29f61a2d2e7fb995fef1e61708c034d".into()),
            reference: Some("main".into())
        }
    );
    assert!(
        ike.direct && ike.scopes.is_empty(),
        "a production dependency of the member `lib`"
    );
    let idna = find(&lf, "idna", "3.7");
    assert!(idna.direct && idna.scopes.is_empty());
    assert_eq!(idna.hashes.len(), 2);
    assert_eq!(
        idna.hashes[1].artifact.as_deref(),
        Some("idna-3.7-py3-none-any.whl")
    );
    assert_eq!(idna.locations[0].line, Some(42));
    let iniconfig = find(&lf, "iniconfig", "2.0.0");
    assert_eq!(iniconfig.scopes.iter().collect::<Vec<_>>(), [&Scope::Dev]);
    assert_eq!(iniconfig.groups.iter().collect::<Vec<_>>(), ["dev"]);
    assert_eq!(
        find(&lf, "six", "1.16.0").scopes.iter().collect::<Vec<_>>(),
        [&Scope::Optional]
    );
    let packaging = find(&lf, "packaging", "24.1");
    assert!(packaging.direct && packaging.scopes.is_empty());
    assert_eq!(lf.edges.len(), 2, "lib -> ike, lib -> packaging");
}

proptest! {
    #[test]
    fn never_panics_on_arbitrary_text(s in "\\PC*") {
        let _ = uv_lock::parse(&s, "uv.lock");
    }

    #[test]
    fn never_panics_on_mutated_real_file(pos in 0usize..8000, byte in any::<u8>()) {
        let mut bytes = read("uv/v1-workspace-git-dev.lock").into_bytes();
        let i = pos % bytes.len();
        bytes[i] = byte;
        let _ = uv_lock::parse(&String::from_utf8_lossy(&bytes), "uv.lock");
    }
}
