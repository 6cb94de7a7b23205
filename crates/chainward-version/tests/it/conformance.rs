//! The shared conformance suites `osv-version-compare` and `osv-range-match`.

use std::cmp::Ordering;

use chainward_version::osv::Affected;
use chainward_version::{Ecosystem, MatchError, Scheme, is_affected};
use serde::Deserialize;

const VERSION_COMPARE: &str = include_str!("../fixtures/osv-version-compare/expected.json");
const RANGE_MATCH: &str = include_str!("../fixtures/osv-range-match/expected.json");

#[derive(Deserialize)]
struct VersionCompare {
    npm: Vec<(String, String, String)>,
    #[serde(rename = "crates.io")]
    crates_io: Vec<(String, String, String)>,
    #[serde(rename = "PyPI")]
    pypi: Vec<(String, String, String)>,
}

fn check_triples(scheme: Scheme, triples: &[(String, String, String)]) -> (usize, Vec<String>) {
    let mut failures = Vec::new();
    for (a, op, b) in triples {
        let expected = match op.as_str() {
            "<" => Ordering::Less,
            "=" => Ordering::Equal,
            ">" => Ordering::Greater,
            other => panic!("unknown operator {other:?}"),
        };
        match (scheme.compare(a, b), scheme.compare(b, a)) {
            (Ok(forward), Ok(mirror)) => {
                if forward != expected {
                    failures.push(format!("{a} {op} {b}: got {forward:?}"));
                }
                if mirror != expected.reverse() {
                    failures.push(format!("mirror of {a} {op} {b}: got {mirror:?}"));
                }
            }
            (Err(e), _) | (_, Err(e)) => failures.push(format!("{a} {op} {b}: {e}")),
        }
    }
    (triples.len(), failures)
}

fn assert_all_hold(list: &str, scheme: Scheme, triples: &[(String, String, String)]) {
    let (total, failures) = check_triples(scheme, triples);
    assert!(total > 0, "{list}: no vectors");
    assert!(
        failures.is_empty(),
        "{list}: {}/{total} hold; failures:\n{}",
        total - failures.len().min(total),
        failures.join("\n")
    );
}

#[test]
fn npm_version_comparisons_hold_both_ways() {
    let data: VersionCompare = serde_json::from_str(VERSION_COMPARE).unwrap();
    assert_eq!(data.npm.len(), 71);
    assert_all_hold("npm", Scheme::of(Ecosystem::Npm), &data.npm);
}

#[test]
fn crates_io_version_comparisons_hold_both_ways() {
    let data: VersionCompare = serde_json::from_str(VERSION_COMPARE).unwrap();
    assert_eq!(data.crates_io.len(), 71);
    assert_all_hold(
        "crates.io",
        Scheme::of(Ecosystem::CratesIo),
        &data.crates_io,
    );
}

#[test]
fn pypi_version_comparisons_hold_both_ways() {
    let data: VersionCompare = serde_json::from_str(VERSION_COMPARE).unwrap();
    assert_eq!(data.pypi.len(), 8689);
    assert_all_hold("PyPI", Scheme::of(Ecosystem::PyPI), &data.pypi);
}

#[derive(Deserialize)]
struct RangeMatch {
    cases: Vec<RangeCase>,
}

#[derive(Deserialize)]
struct RangeCase {
    id: String,
    affected: Vec<Affected>,
    package: Package,
    probes: Vec<Probe>,
}

#[derive(Deserialize)]
struct Package {
    ecosystem: String,
    name: String,
}

#[derive(Deserialize)]
struct Probe {
    version: String,
    affected: bool,
}

#[test]
fn range_probes_give_the_expected_answer() {
    let data: RangeMatch = serde_json::from_str(RANGE_MATCH).unwrap();
    let mut total = 0;
    let mut failures = Vec::new();
    for case in &data.cases {
        let ecosystem = Ecosystem::from_name(&case.package.ecosystem).unwrap();
        for probe in &case.probes {
            total += 1;
            let got = is_affected(
                ecosystem,
                &case.package.name,
                &probe.version,
                &case.affected,
            );
            let expected = if probe.version.is_empty() && probe.affected {
                // Upstream (osv-scalibr) reports a package without a version as affected by
                // every advisory of its name. We answer "affected" only when the advisory
                // affects every version (`introduced: "0"` and nothing else); otherwise the
                // answer depends on the version that gets installed, so the matcher must
                // report the package as not checked instead of raising a likely-false
                // finding. See `chainward_version::osv`, rule 7.
                let everything = case.affected.iter().any(|a| {
                    a.applies_to(ecosystem, &case.package.name)
                        && a.ranges.iter().any(|r| r.affects_every_version())
                });
                if everything {
                    Ok(true)
                } else {
                    Err(MatchError::Unpinned {
                        name: case.package.name.clone(),
                    })
                }
            } else {
                Ok(probe.affected)
            };
            if got != expected {
                failures.push(format!(
                    "{} @ {:?}: expected {expected:?}, got {got:?}",
                    case.id, probe.version
                ));
            }
        }
    }
    assert_eq!(data.cases.len(), 19);
    assert_eq!(total, 135);
    assert!(
        failures.is_empty(),
        "{}/{total} probes hold; failures:\n{}",
        total - failures.len(),
        failures.join("\n")
    );
}

#[test]
fn empty_version_probes_are_the_only_deviation_from_upstream() {
    let data: RangeMatch = serde_json::from_str(RANGE_MATCH).unwrap();
    let mut deviations = Vec::new();
    for case in &data.cases {
        let ecosystem = Ecosystem::from_name(&case.package.ecosystem).unwrap();
        for probe in &case.probes {
            let got = is_affected(
                ecosystem,
                &case.package.name,
                &probe.version,
                &case.affected,
            );
            if got != Ok(probe.affected) {
                assert!(probe.version.is_empty(), "{}: {:?}", case.id, probe.version);
                deviations.push(case.id.as_str());
            }
        }
    }
    // Every case with an empty-version probe except the one whose range is `introduced: "0"`.
    assert_eq!(
        deviations,
        [
            "AffectsWithEcosystem_SingleAffected#2",
            "AffectsWithEcosystem_SingleAffected#3",
            "AffectsWithEcosystem_SingleAffected#4",
            "AffectsWithEcosystem_SingleAffected#5",
            "AffectsWithEcosystem_MultipleAffected#1",
            "AffectsWithEcosystem_Unsorted#1",
            "AffectsWithSemver_SingleAffected#3",
            "AffectsWithSemver_MultipleAffected#1",
            "AffectsWithSemver_Unsorted#1",
            "AffectsWithSemver_Unsorted#2",
        ]
    );
}

#[test]
fn per_scenario_results_are_complete() {
    // One line per scenario, so a failure shows which scenario regressed.
    let data: RangeMatch = serde_json::from_str(RANGE_MATCH).unwrap();
    for case in &data.cases {
        let ecosystem = Ecosystem::from_name(&case.package.ecosystem).unwrap();
        let held = case
            .probes
            .iter()
            .filter(|p| {
                let got = is_affected(ecosystem, &case.package.name, &p.version, &case.affected);
                got == Ok(p.affected) || (p.version.is_empty() && got.is_err())
            })
            .count();
        assert_eq!(held, case.probes.len(), "{}", case.id);
    }
}
