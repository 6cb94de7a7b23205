//! Tests for `requirements`: osv-scalibr's conformance suite (with our deliberate
//! deviations spelled out), real fixtures, and robustness.
use std::path::Path;

use chainward_python::requirements;
use chainward_test_utils::{Case, ExpectedPackage, Observed, check_case, load_suite};
use chainward_types::{Hash, Lockfile, Origin};
use proptest::prelude::*;

use crate::support::{fixture, pep503, read};

fn suite_dir() -> std::path::PathBuf {
    fixture("conformance/lockfile-requirements")
}

/// Parses `rel` (relative to `dir`) with includes read from `dir`.
fn parse_in(dir: &Path, rel: &str) -> Result<Lockfile, chainward_types::ParseError> {
    let text = fs_err::read_to_string(dir.join(rel)).unwrap();
    requirements::parse(&text, rel, &mut |p: &str| {
        fs_err::read_to_string(dir.join(p))
            .map(|t| (p.to_owned(), t))
            .map_err(|e| e.to_string())
    })
}

fn expected(
    name: &str,
    version: &str,
    line: u32,
    requirement: &str,
    comparator: &str,
) -> ExpectedPackage {
    ExpectedPackage {
        name: name.to_owned(),
        version: version.to_owned(),
        commit: String::new(),
        dep_groups: None,
        line: Some(line),
        requirement: Some(requirement.to_owned()),
        version_comparator: Some(comparator.to_owned()),
        hash_checking_mode_values: Some(Vec::new()),
    }
}

/// Our deliberate differences from osv-scalibr, applied to its expectations.
fn apply_deviations(file: &str, case: &mut Case) {
    let set_version = |case: &mut Case, name: &str, version: &str| {
        let p = case.packages.iter_mut().find(|p| p.name == name).unwrap();
        p.version = version.to_owned();
    };
    let insert_after = |case: &mut Case, after: &str, p: ExpectedPackage| {
        let i = case.packages.iter().position(|e| e.name == after).unwrap();
        case.packages.insert(i + 1, p);
    };
    match file {
        "testdata/example.txt" => {
            // A bound is not a version: `keyring >= 4.1.1` may install any later version, so
            // claiming 4.1.1 would match advisories against a version nobody installed.
            set_version(case, "keyring", "");
            set_version(case, "Mopidy-Dirble", "");
            // pip installs URL and local-file requirements; osv-scalibr skips them. We report
            // them with their URL/path origin (the version from a wheel's file name).
            insert_after(
                case,
                "requests",
                expected(
                    "urllib3",
                    "",
                    10,
                    "urllib3 @ https://github.com/urllib3/urllib3/archive/refs/tags/1.26.8.zip",
                    "",
                ),
            );
            case.packages.push(expected(
                "numpy",
                "1.9.2",
                25,
                "./downloads/numpy-1.9.2-cp34-none-win32.whl",
                "",
            ));
            case.packages.push(expected(
                "wxPython_Phoenix",
                "3.0.3.dev1820+49a8884",
                28,
                "http://wxpython.org/Phoenix/snapshot-builds/wxPython_Phoenix-3.0.3.dev1820+49a8884-cp34-none-win_amd64.whl",
                "",
            ));
        }
        "testdata/env_var.txt" => {
            // `qwert==${MY_VARIABLE_1}`: the package is installed, only its version is unknown
            // to a scan. We report it without a version (and warn) rather than hide it.
            insert_after(
                case,
                "asdf",
                expected("qwert", "", 2, "qwert==${MY_VARIABLE_1}", ""),
            );
        }
        "testdata/invalid.txt" => {
            // `urllib3 @ https://.../==1.26.8.zip` is a valid URL requirement for pip.
            case.packages.push(expected(
                "urllib3",
                "",
                4,
                "urllib3 @ https://github.com/urllib3/urllib3/archive/refs/tags/==1.26.8.zip",
                "",
            ));
        }
        "testdata/per_req_options.txt" => {
            // `foo7==1.0 unexpected_text_before_options_stays_around` is not a requirement
            // (pip: "Invalid requirement"); osv-scalibr reports the garbage as the version. We
            // skip the line with a warning.
            case.packages.retain(|p| p.name != "foo7");
        }
        "testdata/with_versions.txt" => {
            for name in ["newspaper3k", "combination-._-.also_-._valid", "pkg"] {
                set_version(case, name, "");
            }
        }
        _ => {}
    }
}

/// Our constraint for an expected package (osv-scalibr's comparator + version).
fn expected_constraint(e: &ExpectedPackage, original_version: &str) -> Option<String> {
    let comparator = e.version_comparator.as_deref().unwrap_or("");
    match comparator {
        "==" | "===" => None,
        ">=" | "<=" | "~=" => Some(format!("{comparator}{original_version}")),
        _ => {
            let req = e.requirement.as_deref().unwrap_or("");
            // No single comparator: the specifier set, whitespace removed, or none.
            let spec = req.split(';').next().unwrap_or("");
            let spec = spec.split_once(']').map_or(spec, |(_, s)| s);
            let start = spec.find(['=', '<', '>', '!', '~']);
            start
                .filter(|_| !req.contains(" @ ") && !req.contains("://") && !req.ends_with(".whl"))
                .map(|i| spec[i..].split_whitespace().collect::<String>())
        }
    }
}

#[test]
fn conformance_suite_passes_with_documented_deviations() {
    let dir = suite_dir();
    let suite = load_suite(&dir);
    let raw: serde_json::Value =
        serde_json::from_str(&fs_err::read_to_string(dir.join("expected.json")).unwrap()).unwrap();
    let mut failures = Vec::new();
    for (file, original) in &suite {
        let result = parse_in(&dir, file);
        if original.error {
            if result.is_ok() {
                failures.push(format!("{file}: expected an error"));
            }
            continue;
        }
        let lf = result.unwrap_or_else(|e| panic!("{file}: {e}"));
        let mut case = original.clone();
        apply_deviations(file, &mut case);
        let observed: Vec<Observed> = lf
            .packages
            .iter()
            .map(|p| Observed {
                name: p.name.clone(),
                version: p.version.clone(),
                commit: String::new(),
                dep_groups: Vec::new(),
                // osv-scalibr locates a package from an included file at the including line
                // of the top file; ours is that location's line (the included one comes first).
                line: p
                    .locations
                    .iter()
                    .find(|l| l.path == *file)
                    .and_then(|l| l.line),
            })
            .collect();
        if let Err(e) = check_case(&case, &observed, pep503) {
            failures.push(format!("{file}: {e}"));
            continue;
        }

        // Per package: requirement text, comparator (our `constraint`), hashes, related locations.
        let raw_packages = raw[file]["packages"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        for (e, p) in case.packages.iter().zip(&lf.packages) {
            let original_version = original
                .packages
                .iter()
                .find(|o| o.name == e.name)
                .map_or(e.version.as_str(), |o| o.version.as_str());
            if let Some(req) = &e.requirement {
                assert_eq!(
                    p.locations[0].key.as_deref(),
                    Some(req.as_str()),
                    "{file}: {}",
                    e.name
                );
            }
            assert_eq!(
                p.constraint,
                expected_constraint(e, original_version),
                "{file}: constraint of {}",
                e.name
            );
            for value in e.hash_checking_mode_values.iter().flatten() {
                match Hash::from_prefixed(value) {
                    Ok(h) => assert!(p.hashes.contains(&h), "{file}: {} lacks {value}", e.name),
                    // Not a digest (`sha256:123`): pip would refuse it; we warn, naming it.
                    Err(_) => assert!(
                        lf.warnings.iter().any(|w| w.contains(value.as_str())),
                        "{file}: no warning for {value}: {:?}",
                        lf.warnings
                    ),
                }
            }
            let related = raw_packages
                .iter()
                .find(|r| r["name"] == e.name.as_str())
                .and_then(|r| r["related_locations"].as_array().cloned())
                .unwrap_or_default();
            for r in related {
                assert_eq!(
                    p.locations[0].path,
                    r["path"].as_str().unwrap(),
                    "{file}: {}",
                    e.name
                );
                assert_eq!(
                    p.locations[0].line,
                    r["line"].as_u64().map(|l| u32::try_from(l).unwrap()),
                    "{file}: {}",
                    e.name
                );
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    assert_eq!(suite.len(), 7, "every case of the suite ran");
}

#[test]
fn deviations_come_with_warnings() {
    let dir = suite_dir();
    let lf = parse_in(&dir, "testdata/env_var.txt").unwrap();
    assert!(
        lf.warnings
            .iter()
            .any(|w| w.starts_with("testdata/env_var.txt:2:") && w.contains("${VAR}")),
        "{:?}",
        lf.warnings
    );
    let lf = parse_in(&dir, "testdata/per_req_options.txt").unwrap();
    assert!(
        lf.warnings
            .iter()
            .any(|w| w.starts_with("testdata/per_req_options.txt:13:") && w.contains("foo7")),
        "{:?}",
        lf.warnings
    );
    let lf = parse_in(&dir, "testdata/example.txt").unwrap();
    assert!(
        lf.warnings.iter().any(|w| w.contains("constraints.txt")),
        "missing -c file is a warning: {:?}",
        lf.warnings
    );
    let urllib3 = lf.packages.iter().find(|p| p.name == "urllib3").unwrap();
    assert_eq!(
        urllib3.origin,
        Origin::Url {
            url: "https://github.com/urllib3/urllib3/archive/refs/tags/1.26.8.zip".into()
        }
    );
    let numpy = lf.packages.iter().find(|p| p.name == "numpy").unwrap();
    assert_eq!(
        numpy.origin,
        Origin::Path {
            path: "./downloads/numpy-1.9.2-cp34-none-win32.whl".into()
        }
    );
}

#[test]
fn real_hashed_requirements_parse() {
    // pip-compile --generate-hashes output (see fixtures/README.md).
    let text = read("requirements/hashes-pip-compile.txt");
    let lf = requirements::parse(&text, "requirements.txt", &mut |p: &str| {
        Err(format!("{p}: no includes"))
    })
    .unwrap();
    assert!(lf.warnings.is_empty(), "{:?}", lf.warnings);
    assert!(!lf.packages.is_empty());
    for p in &lf.packages {
        assert!(!p.version.is_empty() && p.constraint.is_none(), "{p:?}");
        assert!(!p.hashes.is_empty(), "{} has hashes", p.name);
        assert!(p.direct);
    }
}

#[test]
fn includes_constraints_vcs_and_index_options() {
    let dir = fixture("requirements");
    let lf = parse_in(&dir, "v1-includes-and-options.txt").unwrap();
    let find = |n: &str| {
        lf.packages
            .iter()
            .find(|p| p.name == n)
            .unwrap_or_else(|| panic!("{n}: {:#?}", lf.packages))
    };
    // -r base.txt: located in base.txt, then at the including line.
    let six = find("six");
    assert_eq!(six.locations[0].path, "base.txt");
    assert_eq!(six.locations[1].path, "v1-includes-and-options.txt");
    // -c constraints.txt pins an unpinned requirement.
    let idna = find("idna");
    assert_eq!(idna.version, "3.7");
    assert_eq!(idna.constraint.as_deref(), Some(">=3"));
    assert!(idna.locations.iter().any(|l| l.path == "constraints.txt"));
    assert!(
        lf.packages.iter().all(|p| p.name != "certifi"),
        "constraints alone are not installed"
    );
    // --index-url records the index; credentials are dropped.
    assert_eq!(
        six.origin,
        Origin::Registry {
            url: Some("https://pypi.example.com/simple".into())
        }
    );
    let git = find("attrs");
    assert_eq!(
        git.origin,
        Origin::Git {
            url: "https://github.com/python-attrs/attrs".into(),
            commit: Some("e21793ed32b7c9bcd29b0ec9e05e4ad2c6ea0e9b".into()),
            reference: None
        }
    );
    let editable = find("local-lib");
    assert_eq!(
        editable.origin,
        Origin::Path {
            path: "./libs/local_lib".into()
        }
    );
    assert!(lf.packages.iter().all(|p| p.direct));
}

#[test]
fn include_cycles_and_missing_files_are_errors() {
    let dir = fixture("requirements");
    let err = parse_in(&dir, "cycle-a.txt").unwrap_err();
    assert!(err.message.contains("cycle"), "{err}");
    assert_eq!(err.line, Some(2));
    let err = requirements::parse("a==1\n-r nowhere.txt\n", "r.txt", &mut |p: &str| {
        Err(format!("{p}: not found"))
    })
    .unwrap_err();
    assert_eq!(err.line, Some(2));
    assert!(err.to_string().contains("nowhere.txt"), "{err}");
}

fn no_includes(p: &str) -> Result<(String, String), String> {
    Err(format!("{p}: none"))
}

proptest! {
    #[test]
    fn never_panics_on_arbitrary_text(s in "\\PC*") {
        let _ = requirements::parse(&s, "r.txt", &mut no_includes);
    }

    #[test]
    fn never_panics_on_requirement_like_text(s in "[a-zA-Z0-9 =<>!~.*,;@#/:\\[\\]\\\\${}\"'+_\n\r-]{0,80}") {
        let _ = requirements::parse(&s, "r.txt", &mut |_p: &str| Ok(("r.txt".to_owned(), s.clone())));
    }

    #[test]
    fn never_panics_on_mutated_real_file(pos in 0usize..2000, byte in any::<u8>()) {
        let mut bytes = read("conformance/lockfile-requirements/testdata/per_req_options.txt").into_bytes();
        let i = pos % bytes.len();
        bytes[i] = byte;
        let text = String::from_utf8_lossy(&bytes);
        let _ = requirements::parse(&text, "r.txt", &mut no_includes);
    }
}

/// Found by the `requirements` fuzz target: a multibyte character right before a URL scheme
/// used to split a character in two and panic.
#[test]
fn a_multibyte_character_before_a_url_scheme_does_not_panic() {
    let input = std::str::from_utf8(&[
        0x20, 0x02, 0x40, 0xd3, 0x98, 0x3a, 0x2f, 0x2f, 0x2f, 0x2d, 0x63, 0x3a, 0x2f,
    ])
    .unwrap();
    let mut no_includes = |p: &str| -> Result<(String, String), String> {
        Err(format!("{p}: no includes in this test"))
    };
    let _ = chainward_python::requirements::parse(input, "requirements.txt", &mut no_includes);
    let _ = chainward_python::requirements::parse(
        "pkg@\u{e9}https://example.com/x.whl\n",
        "requirements.txt",
        &mut no_includes,
    );
}
