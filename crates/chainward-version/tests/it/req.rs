//! Range-expression vectors, transcribed from node-semver (`range-include.js`,
//! `range-exclude.js`), the `semver` crate (`test_version_req.rs`) and `packaging`
//! (`test_specifiers.py`). See `tests/fixtures/README.md`.

use chainward_version::{Ecosystem, PrereleasePolicy, Version, parse_range};

fn check(ecosystem: Ecosystem, range: &str, version: &str, policy: PrereleasePolicy) -> bool {
    let req =
        parse_range(ecosystem, range).unwrap_or_else(|e| panic!("{range:?} should parse: {e}"));
    let v = Version::parse(ecosystem, version)
        .unwrap_or_else(|e| panic!("{version:?} should parse: {e}"));
    req.matches_with(&v, policy)
}

fn assert_vectors(ecosystem: Ecosystem, vectors: &[(&str, &str, bool)], policy: PrereleasePolicy) {
    let failures: Vec<String> = vectors
        .iter()
        .filter(|(range, version, expected)| check(ecosystem, range, version, policy) != *expected)
        .map(|(range, version, expected)| format!("{range:?} vs {version:?}: expected {expected}"))
        .collect();
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

const E: PrereleasePolicy = PrereleasePolicy::Ecosystem;
const I: PrereleasePolicy = PrereleasePolicy::Include;

#[test]
fn npm_ranges_include() {
    assert_vectors(
        Ecosystem::Npm,
        &[
            ("1.0.0 - 2.0.0", "1.2.3", true),
            ("^1.2.3+build", "1.2.3", true),
            ("^1.2.3+build", "1.3.0", true),
            ("1.2.3-pre+asdf - 2.4.3-pre+asdf", "1.2.3", true),
            ("1.2.3pre+asdf - 2.4.3-pre+asdf", "1.2.3", true),
            ("1.2.3-pre+asdf - 2.4.3pre+asdf", "1.2.3", true),
            ("1.2.3pre+asdf - 2.4.3pre+asdf", "1.2.3", true),
            ("1.2.3-pre+asdf - 2.4.3-pre+asdf", "1.2.3-pre.2", true),
            ("1.2.3-pre+asdf - 2.4.3-pre+asdf", "2.4.3-alpha", true),
            ("1.2.3+asdf - 2.4.3+asdf", "1.2.3", true),
            ("1.0.0", "1.0.0", true),
            (">=*", "0.2.4", true),
            ("", "1.0.0", true),
            ("*", "1.2.3", true),
            ("*", "v1.2.3", true),
            (">=1.0.0", "1.0.0", true),
            (">=1.0.0", "1.0.1", true),
            (">=1.0.0", "1.1.0", true),
            (">1.0.0", "1.0.1", true),
            (">1.0.0", "1.1.0", true),
            ("<=2.0.0", "2.0.0", true),
            ("<=2.0.0", "1.9999.9999", true),
            ("<=2.0.0", "0.2.9", true),
            ("<2.0.0", "1.9999.9999", true),
            ("<2.0.0", "0.2.9", true),
            (">= 1.0.0", "1.0.0", true),
            (">=  1.0.0", "1.0.1", true),
            (">=   1.0.0", "1.1.0", true),
            ("> 1.0.0", "1.0.1", true),
            (">  1.0.0", "1.1.0", true),
            ("<=   2.0.0", "2.0.0", true),
            ("<= 2.0.0", "1.9999.9999", true),
            ("<=  2.0.0", "0.2.9", true),
            ("<    2.0.0", "1.9999.9999", true),
            ("<\t2.0.0", "0.2.9", true),
            (">=0.1.97", "v0.1.97", true),
            (">=0.1.97", "0.1.97", true),
            ("0.1.20 || 1.2.4", "1.2.4", true),
            (">=0.2.3 || <0.0.1", "0.0.0", true),
            (">=0.2.3 || <0.0.1", "0.2.3", true),
            (">=0.2.3 || <0.0.1", "0.2.4", true),
            ("||", "1.3.4", true),
            ("2.x.x", "2.1.3", true),
            ("1.2.x", "1.2.3", true),
            ("1.2.x || 2.x", "2.1.3", true),
            ("1.2.x || 2.x", "1.2.3", true),
            ("x", "1.2.3", true),
            ("2.*.*", "2.1.3", true),
            ("1.2.*", "1.2.3", true),
            ("1.2.* || 2.*", "2.1.3", true),
            ("1.2.* || 2.*", "1.2.3", true),
            ("*", "1.2.3", true),
            ("2", "2.1.2", true),
            ("2.3", "2.3.1", true),
            ("~0.0.1", "0.0.1", true),
            ("~0.0.1", "0.0.2", true),
            ("~x", "0.0.9", true),
            ("~2", "2.0.9", true),
            ("~2.4", "2.4.0", true),
            ("~2.4", "2.4.5", true),
            ("~>3.2.1", "3.2.2", true),
            ("~1", "1.2.3", true),
            ("~>1", "1.2.3", true),
            ("~> 1", "1.2.3", true),
            ("~1.0", "1.0.2", true),
            ("~ 1.0", "1.0.2", true),
            ("~ 1.0.3", "1.0.12", true),
            ("~ 1.0.3alpha", "1.0.12", true),
            (">=1", "1.0.0", true),
            (">= 1", "1.0.0", true),
            ("<1.2", "1.1.1", true),
            ("< 1.2", "1.1.1", true),
            ("~v0.5.4-pre", "0.5.5", true),
            ("~v0.5.4-pre", "0.5.4", true),
            ("=0.7.x", "0.7.2", true),
            ("<=0.7.x", "0.7.2", true),
            (">=0.7.x", "0.7.2", true),
            ("<=0.7.x", "0.6.2", true),
            ("~1.2.1 >=1.2.3", "1.2.3", true),
            ("~1.2.1 =1.2.3", "1.2.3", true),
            ("~1.2.1 1.2.3", "1.2.3", true),
            ("~1.2.1 >=1.2.3 1.2.3", "1.2.3", true),
            ("~1.2.1 1.2.3 >=1.2.3", "1.2.3", true),
            (">=1.2.1 1.2.3", "1.2.3", true),
            ("1.2.3 >=1.2.1", "1.2.3", true),
            (">=1.2.3 >=1.2.1", "1.2.3", true),
            (">=1.2.1 >=1.2.3", "1.2.3", true),
            (">=1.2", "1.2.8", true),
            ("^1.2.3", "1.8.1", true),
            ("^0.1.2", "0.1.2", true),
            ("^0.1", "0.1.2", true),
            ("^0.0.1", "0.0.1", true),
            ("^1.2", "1.4.2", true),
            ("^1.2 ^1", "1.4.2", true),
            ("^1.2.3-alpha", "1.2.3-pre", true),
            ("^1.2.0-alpha", "1.2.0-pre", true),
            ("^0.0.1-alpha", "0.0.1-beta", true),
            ("^0.0.1-alpha", "0.0.1", true),
            ("^0.1.1-alpha", "0.1.1-beta", true),
            ("^x", "1.2.3", true),
            ("x - 1.0.0", "0.9.7", true),
            ("x - 1.x", "0.9.7", true),
            ("1.0.0 - x", "1.9.7", true),
            ("1.x - x", "1.9.7", true),
            ("<=7.x", "7.9.9", true),
            // The advisory-query form from the `exposure` command.
            (">=5.6.0 <5.6.2", "5.6.1", true),
        ],
        E,
    );
}

#[test]
fn npm_ranges_include_with_prereleases() {
    assert_vectors(
        Ecosystem::Npm,
        &[
            ("2.x", "2.0.0-pre.0", true),
            ("2.x", "2.1.0-pre.0", true),
            ("*", "1.0.0-rc1", true),
            ("^1.0.0-0", "1.0.1-rc1", true),
            ("^1.0.0-rc2", "1.0.1-rc1", true),
            ("^1.0.0", "1.0.1-rc1", true),
            ("^1.0.0", "1.1.0-rc1", true),
            ("2.x", "3.0.0-pre.0", false),
            ("^1.0.0", "1.0.0-rc1", false),
            ("^1.2.3-rc2", "2.0.0", false),
            ("^1.0.0", "2.0.0-rc1", false),
        ],
        I,
    );
}

#[test]
fn npm_ranges_exclude() {
    assert_vectors(
        Ecosystem::Npm,
        &[
            ("1.0.0 - 2.0.0", "2.2.3", false),
            ("1.2.3+asdf - 2.4.3+asdf", "1.2.3-pre.2", false),
            ("1.2.3+asdf - 2.4.3+asdf", "2.4.3-alpha", false),
            ("^1.2.3+build", "2.0.0", false),
            ("^1.2.3+build", "1.2.0", false),
            ("^1.2.3", "1.2.3-pre", false),
            ("^1.2", "1.2.0-pre", false),
            (">1.2", "1.3.0-beta", false),
            ("<=1.2.3", "1.2.3-beta", false),
            ("^1.2.3", "1.2.3-beta", false),
            ("=0.7.x", "0.7.0-asdf", false),
            (">=0.7.x", "0.7.0-asdf", false),
            ("1", "1.0.0beta", false),
            ("<1", "1.0.0beta", false),
            ("< 1", "1.0.0beta", false),
            ("1.0.0", "1.0.1", false),
            (">=1.0.0", "0.0.0", false),
            (">=1.0.0", "0.0.1", false),
            (">=1.0.0", "0.1.0", false),
            (">1.0.0", "0.0.1", false),
            (">1.0.0", "0.1.0", false),
            ("<=2.0.0", "3.0.0", false),
            ("<=2.0.0", "2.9999.9999", false),
            ("<=2.0.0", "2.2.9", false),
            ("<2.0.0", "2.9999.9999", false),
            ("<2.0.0", "2.2.9", false),
            (">=0.1.97", "v0.1.93", false),
            (">=0.1.97", "0.1.93", false),
            ("0.1.20 || 1.2.4", "1.2.3", false),
            (">=0.2.3 || <0.0.1", "0.0.3", false),
            (">=0.2.3 || <0.0.1", "0.2.2", false),
            ("2.x.x", "1.1.3", false),
            ("2.x.x", "3.1.3", false),
            ("1.2.x", "1.3.3", false),
            ("1.2.x || 2.x", "3.1.3", false),
            ("1.2.x || 2.x", "1.1.3", false),
            ("2.*.*", "1.1.3", false),
            ("2.*.*", "3.1.3", false),
            ("1.2.*", "1.3.3", false),
            ("1.2.* || 2.*", "3.1.3", false),
            ("1.2.* || 2.*", "1.1.3", false),
            ("2", "1.1.2", false),
            ("2.3", "2.4.1", false),
            ("~0.0.1", "0.1.0-alpha", false),
            ("~0.0.1", "0.1.0", false),
            ("~2.4", "2.5.0", false),
            ("~2.4", "2.3.9", false),
            ("~>3.2.1", "3.3.2", false),
            ("~>3.2.1", "3.2.0", false),
            ("~1", "0.2.3", false),
            ("~>1", "2.2.3", false),
            ("~1.0", "1.1.0", false),
            ("<1", "1.0.0", false),
            (">=1.2", "1.1.1", false),
            ("1", "2.0.0beta", false),
            ("~v0.5.4-beta", "0.5.4-alpha", false),
            ("=0.7.x", "0.8.2", false),
            (">=0.7.x", "0.6.2", false),
            ("<0.7.x", "0.7.2", false),
            ("<1.2.3", "1.2.3-beta", false),
            ("=1.2.3", "1.2.3-beta", false),
            (">1.2", "1.2.8", false),
            ("^0.0.1", "0.0.2-alpha", false),
            ("^0.0.1", "0.0.2", false),
            ("^1.2.3", "2.0.0-alpha", false),
            ("^1.2.3", "1.2.2", false),
            ("^1.2", "1.1.9", false),
            ("*", "v1.2.3-foo", false),
            ("^1.0.0", "2.0.0-rc1", false),
            (">=5.6.0 <5.6.2", "5.6.2", false),
            (">=5.6.0 <5.6.2", "5.5.9", false),
        ],
        E,
    );
}

#[test]
fn npm_rejects_invalid_ranges() {
    for bad in [
        ">=",
        "latest",
        "1.2.3 -",
        "- 1.2.3",
        "1.2.3 - 2 - 3",
        ">=1.2.3<2",
        "1.x.3",
        "^",
        "~>",
    ] {
        assert!(
            parse_range(Ecosystem::Npm, bad).is_err(),
            "{bad:?} should not parse"
        );
    }
}

#[test]
fn cargo_requirements() {
    let cases: &[(&str, &[&str], &[&str])] = &[
        (
            "1.0.0",
            &["1.0.0", "1.1.0", "1.0.1"],
            &["0.9.9", "0.10.0", "0.1.0", "1.0.0-pre", "1.0.1-pre"],
        ),
        (
            "=1.0.0",
            &["1.0.0"],
            &["1.0.1", "0.9.9", "0.10.0", "0.1.0", "1.0.0-pre"],
        ),
        (
            "=0.9.0",
            &["0.9.0"],
            &["0.9.1", "1.9.0", "0.0.9", "0.9.0-pre"],
        ),
        ("=0.0.2", &["0.0.2"], &["0.0.1", "0.0.3", "0.0.2-pre"]),
        (
            "=0.1.0-beta2.a",
            &["0.1.0-beta2.a"],
            &["0.9.1", "0.1.0", "0.1.1-beta2.a", "0.1.0-beta2"],
        ),
        ("=0.1.0+meta", &["0.1.0", "0.1.0+meta", "0.1.0+any"], &[]),
        (
            ">= 1.0.0",
            &["1.0.0", "2.0.0"],
            &["0.1.0", "0.0.1", "1.0.0-pre", "2.0.0-pre"],
        ),
        (
            ">= 2.1.0-alpha2",
            &["2.1.0-alpha2", "2.1.0-alpha3", "2.1.0", "3.0.0"],
            &["2.0.0", "2.1.0-alpha1", "2.0.0-alpha2", "3.0.0-alpha2"],
        ),
        (
            "< 1.0.0",
            &["0.1.0", "0.0.1"],
            &["1.0.0", "1.0.0-beta", "1.0.1", "0.9.9-alpha"],
        ),
        (
            "<= 2.1.0-alpha2",
            &["2.1.0-alpha2", "2.1.0-alpha1", "2.0.0", "1.0.0"],
            &["2.1.0", "2.2.0-alpha1", "2.0.0-alpha2", "1.0.0-alpha2"],
        ),
        (">1.0.0-alpha, <1.0.0", &["1.0.0-beta"], &[]),
        (">1.0.0-alpha, <1.0", &[], &["1.0.0-beta"]),
        (">1.0.0-alpha, <1", &[], &["1.0.0-beta"]),
        (
            "> 0.0.9, <= 2.5.3",
            &["0.0.10", "1.0.0", "2.5.3"],
            &["0.0.8", "2.5.4"],
        ),
        ("0.3.0, 0.4.0", &[], &["0.0.8", "0.3.0", "0.4.0"]),
        ("<= 0.2.0, >= 0.5.0", &[], &["0.0.8", "0.3.0", "0.5.1"]),
        (
            "0.1.0, 0.1.4, 0.1.6",
            &["0.1.6", "0.1.9"],
            &["0.1.0", "0.1.4", "0.2.0"],
        ),
        (
            ">=0.5.1-alpha3, <0.6",
            &[
                "0.5.1-alpha3",
                "0.5.1-alpha4",
                "0.5.1-beta",
                "0.5.1",
                "0.5.5",
            ],
            &[
                "0.5.1-alpha1",
                "0.5.2-alpha3",
                "0.5.5-pre",
                "0.5.0-pre",
                "0.6.0",
                "0.6.0-pre",
            ],
        ),
        (
            "~1",
            &["1.0.0", "1.0.1", "1.1.1"],
            &["0.9.1", "2.9.0", "0.0.9"],
        ),
        ("~1.2", &["1.2.0", "1.2.1"], &["1.1.1", "1.3.0", "0.0.9"]),
        (
            "~1.2.2",
            &["1.2.2", "1.2.4"],
            &["1.2.1", "1.9.0", "1.0.9", "2.0.1", "0.1.3"],
        ),
        (
            "~1.2.3-beta.2",
            &["1.2.3", "1.2.4", "1.2.3-beta.2", "1.2.3-beta.4"],
            &["1.3.3", "1.1.4", "1.2.3-beta.1", "1.2.4-beta.2"],
        ),
        (
            "^1",
            &["1.1.2", "1.1.0", "1.2.1", "1.0.1"],
            &[
                "0.9.1",
                "2.9.0",
                "0.1.4",
                "1.0.0-beta1",
                "0.1.0-alpha",
                "1.0.1-pre",
            ],
        ),
        (
            "^1.1",
            &["1.1.2", "1.1.0", "1.2.1"],
            &["0.9.1", "2.9.0", "1.0.1", "0.1.4"],
        ),
        (
            "^1.1.2",
            &["1.1.2", "1.1.4", "1.2.1"],
            &[
                "0.9.1",
                "2.9.0",
                "1.1.1",
                "0.0.1",
                "1.1.2-alpha1",
                "1.1.3-alpha1",
                "2.9.0-alpha1",
            ],
        ),
        (
            "^0.1.2",
            &["0.1.2", "0.1.4"],
            &[
                "0.9.1",
                "2.9.0",
                "1.1.1",
                "0.0.1",
                "0.1.2-beta",
                "0.1.3-alpha",
                "0.2.0-pre",
            ],
        ),
        (
            "^0.5.1-alpha3",
            &[
                "0.5.1-alpha3",
                "0.5.1-alpha4",
                "0.5.1-beta",
                "0.5.1",
                "0.5.5",
            ],
            &[
                "0.5.1-alpha1",
                "0.5.2-alpha3",
                "0.5.5-pre",
                "0.5.0-pre",
                "0.6.0",
            ],
        ),
        (
            "^0.0.2",
            &["0.0.2"],
            &["0.9.1", "2.9.0", "1.1.1", "0.0.1", "0.1.4"],
        ),
        (
            "^0.0",
            &["0.0.2", "0.0.0"],
            &["0.9.1", "2.9.0", "1.1.1", "0.1.4"],
        ),
        ("^0", &["0.9.1", "0.0.2", "0.0.0"], &["2.9.0", "1.1.1"]),
        (
            "^1.4.2-beta.5",
            &["1.4.2", "1.4.3", "1.4.2-beta.5", "1.4.2-beta.6", "1.4.2-c"],
            &[
                "0.9.9",
                "2.0.0",
                "1.4.2-alpha",
                "1.4.2-beta.4",
                "1.4.3-beta.5",
            ],
        ),
        (
            "*",
            &["0.9.1", "2.9.0", "0.0.9", "1.0.1", "1.1.1"],
            &["1.0.0-pre"],
        ),
        ("x", &["0.9.1", "2.9.0"], &["1.0.0-pre"]),
        (
            "1.*",
            &["1.2.0", "1.2.1", "1.1.1", "1.3.0"],
            &["0.0.9", "1.2.0-pre"],
        ),
        (
            "1.x",
            &["1.2.0", "1.2.1", "1.1.1", "1.3.0"],
            &["0.0.9", "1.2.0-pre"],
        ),
        (
            "1.*.*",
            &["1.2.0", "1.2.1", "1.1.1", "1.3.0"],
            &["0.0.9", "1.2.0-pre"],
        ),
        (
            "1.2.*",
            &["1.2.0", "1.2.2", "1.2.4"],
            &["1.9.0", "1.0.9", "2.0.1", "0.1.3", "1.2.2-pre"],
        ),
        (
            "1.2.X",
            &["1.2.0", "1.2.2", "1.2.4"],
            &["1.9.0", "1.0.9", "2.0.1", "0.1.3", "1.2.2-pre"],
        ),
        ("0.*.*", &["0.5.0"], &["1.0.0"]),
        ("=2.1.1-really.0", &["2.1.1-really.0"], &[]),
    ];
    for (req, matching, not_matching) in cases {
        for v in *matching {
            assert!(
                check(Ecosystem::CratesIo, req, v, E),
                "{req:?} should match {v}"
            );
        }
        for v in *not_matching {
            assert!(
                !check(Ecosystem::CratesIo, req, v, E),
                "{req:?} should not match {v}"
            );
        }
    }
}

#[test]
fn cargo_rejects_invalid_requirements() {
    for bad in [
        "",
        "> 0.1.0,",
        "> 0.3.0, ,",
        "=1.2.3 || =2.3.4",
        ">= >= 0.0.2",
        ">== 0.0.2",
        "a.0.0",
        "1.0.0-",
        ">=",
        "1.2.3+4.",
        "1.*.1",
        "\0",
    ] {
        assert!(
            parse_range(Ecosystem::CratesIo, bad).is_err(),
            "{bad:?} should not parse"
        );
    }
}

#[test]
fn pep440_specifiers() {
    let vectors: &[(&str, &str, bool)] = &[
        ("2.0", "==2", true),
        ("2.0", "==2.0", true),
        ("2.0", "==2.0.0", true),
        ("2.0+deadbeef", "==2", true),
        ("2.0+deadbeef", "==2.0", true),
        ("2.0+deadbeef", "==2.0.0", true),
        ("2.0+deadbeef", "==2+deadbeef", true),
        ("2.0+deadbeef", "==2.0+deadbeef", true),
        ("2.0+deadbeef", "==2.0.0+deadbeef", true),
        ("2.0+deadbeef.0", "==2.0.0+deadbeef.00", true),
        ("2.dev1", "==2.*", true),
        ("2a1", "==2.*", true),
        ("2a1.post1", "==2.*", true),
        ("2b1", "==2.*", true),
        ("2b1.dev1", "==2.*", true),
        ("2c1", "==2.*", true),
        ("2c1.post1.dev1", "==2.*", true),
        ("2c1.post1.dev1", "==2.0.*", true),
        ("2rc1", "==2.*", true),
        ("2rc1", "==2.0.*", true),
        ("2", "==2.*", true),
        ("2", "==2.0.*", true),
        ("2", "==2.0.0.*", true),
        ("2", "==0!2.*", true),
        ("0!2", "==2.*", true),
        ("2.0", "==2.*", true),
        ("2.0.0", "==2.*", true),
        ("2.0.0.0", "==2.0.*", true),
        ("2.1+local.version", "==2.1.*", true),
        ("2.1", "!=2", true),
        ("2.1", "!=2.0", true),
        ("2.0.1", "!=2", true),
        ("2.0.1", "!=2.0", true),
        ("2.0.1", "!=2.0.0", true),
        ("2.0", "!=2.0+deadbeef", true),
        ("2.0", "!=3.*", true),
        ("2.1", "!=2.0.*", true),
        ("3", "!=2.0.0.*", true),
        ("2.1.0.0", "!=2.0.*", true),
        ("2.0", ">=2", true),
        ("2.0", ">=2.0", true),
        ("2.0", ">=2.0.0", true),
        ("2.0.post1", ">=2", true),
        ("2.0.post1.dev1", ">=2", true),
        ("3", ">=2", true),
        ("3.0.0a8", ">=3.0.0a7", true),
        ("2.0", "<=2", true),
        ("2.0", "<=2.0", true),
        ("2.0", "<=2.0.0", true),
        ("2.0.dev1", "<=2", true),
        ("2.0a1", "<=2", true),
        ("2.0a1.dev1", "<=2", true),
        ("2.0b1", "<=2", true),
        ("2.0b1.post1", "<=2", true),
        ("2.0c1", "<=2", true),
        ("2.0c1.post1.dev1", "<=2", true),
        ("2.0rc1", "<=2", true),
        ("1", "<=2", true),
        ("3.0.0a7", "<=3.0.0a8", true),
        ("3", ">2", true),
        ("2.1", ">2.0", true),
        ("2.0.1", ">2", true),
        ("2.1.post1", ">2", true),
        ("2.1+local.version", ">2", true),
        ("3.0.0a8", ">3.0.0a7", true),
        ("1", "<2", true),
        ("2.0", "<2.1", true),
        ("2.0.dev0", "<2.1", true),
        ("3.0.0a7", "<3.0.0a8", true),
        ("1", "~=1.0", true),
        ("1.0.1", "~=1.0", true),
        ("1.1", "~=1.0", true),
        ("1.9999999", "~=1.0", true),
        ("1.1", "~=1.0a1", true),
        ("2022.01.01", "~=2022.01.01", true),
        ("2!1.0", "~=2!1.0", true),
        ("2!1.0", "==2!1.*", true),
        ("2!1.0", "==2!1.0", true),
        ("2!1.0", "!=1.0", true),
        ("2!1.0.0", "==2!1.0.0.0.*", true),
        ("2!1.0.0", "==2!1.0.*", true),
        ("2!1.0.0", "==2!1.*", true),
        ("1.0", "!=2!1.0", true),
        ("1.0", "<=2!0.1", true),
        ("2!1.0", ">=2.0", true),
        ("1.0", "<2!0.1", true),
        ("2!1.0", ">2.0", true),
        ("2.0.5", ">2.0dev", true),
        ("1.0+local", ">1.0.dev1", true),
        ("4.1.0a2.dev1235+local", ">4.1.0a2.dev1234", true),
        ("1.0a2+local", ">1.0a1", true),
        ("1.0b2+local", ">1.0b1", true),
        ("1.0rc2+local", ">1.0rc1", true),
        ("1.0.post2+local", ">1.0.post1", true),
        ("1.0.dev2+local", ">1.0.dev1", true),
        ("1.0a1.dev2+local", ">1.0a1.dev1", true),
        ("1.0.post1.dev2+local", ">1.0.post1.dev1", true),
        ("2.1", "==2", false),
        ("2.1", "==2.0", false),
        ("2.1", "==2.0.0", false),
        ("2.0", "==2.0+deadbeef", false),
        ("2.0", "==3.*", false),
        ("2.1", "==2.0.*", false),
        ("3", "==2.0.0.*", false),
        ("2.1.0.0", "==2.0.*", false),
        ("2.0", "!=2", false),
        ("2.0", "!=2.0", false),
        ("2.0", "!=2.0.0", false),
        ("2.0+deadbeef", "!=2", false),
        ("2.0+deadbeef", "!=2.0", false),
        ("2.0+deadbeef", "!=2.0.0", false),
        ("2.0+deadbeef", "!=2+deadbeef", false),
        ("2.0+deadbeef", "!=2.0+deadbeef", false),
        ("2.0+deadbeef", "!=2.0.0+deadbeef", false),
        ("2.0+deadbeef.0", "!=2.0.0+deadbeef.00", false),
        ("2.dev1", "!=2.*", false),
        ("2a1", "!=2.*", false),
        ("2a1.post1", "!=2.*", false),
        ("2b1", "!=2.*", false),
        ("2b1.dev1", "!=2.*", false),
        ("2c1", "!=2.*", false),
        ("2c1.post1.dev1", "!=2.*", false),
        ("2c1.post1.dev1", "!=2.0.*", false),
        ("2rc1", "!=2.*", false),
        ("2rc1", "!=2.0.*", false),
        ("2", "!=2.*", false),
        ("2", "!=2.0.*", false),
        ("2", "!=2.0.0.*", false),
        ("2.0", "!=2.*", false),
        ("2.0.0", "!=2.*", false),
        ("2.0.0.0", "!=2.0.*", false),
        ("2.0.dev1", ">=2", false),
        ("2.0a1", ">=2", false),
        ("2.0a1.dev1", ">=2", false),
        ("2.0b1", ">=2", false),
        ("2.0b1.post1", ">=2", false),
        ("2.0c1", ">=2", false),
        ("2.0c1.post1.dev1", ">=2", false),
        ("2.0rc1", ">=2", false),
        ("1", ">=2", false),
        ("2.0.post1", "<=2", false),
        ("2.0.post1.dev1", "<=2", false),
        ("3", "<=2", false),
        ("1", ">2", false),
        ("2.0.dev1", ">2", false),
        ("2.0a1", ">2", false),
        ("2.0a1.post1", ">2", false),
        ("2.0b1", ">2", false),
        ("2.0b1.dev1", ">2", false),
        ("2.0c1", ">2", false),
        ("2.0c1.post1.dev1", ">2", false),
        ("2.0rc1", ">2", false),
        ("2.0", ">2", false),
        ("2.0.post1", ">2", false),
        ("2.0.post1.dev1", ">2", false),
        ("2.0+local.version", ">2", false),
        ("4.1.0a2.dev1234+local", ">4.1.0a2.dev1234", false),
        ("1.0a1+local", ">1.0a1", false),
        ("1.0b1+local", ">1.0b1", false),
        ("1.0rc1+local", ">1.0rc1", false),
        ("1.0.post1+local", ">1.0.post1", false),
        ("1.0.dev1+local", ">1.0.dev1", false),
        ("1.0a1.dev1+local", ">1.0a1.dev1", false),
        ("1.0.post1.dev1+local", ">1.0.post1.dev1", false),
        ("2.0.dev1", "<2", false),
        ("2.0a1", "<2", false),
        ("2.0a1.post1", "<2", false),
        ("2.0b1", "<2", false),
        ("2.0b2.dev1", "<2", false),
        ("2.0c1", "<2", false),
        ("2.0c1.post1.dev1", "<2", false),
        ("2.0rc1", "<2", false),
        ("2.0", "<2", false),
        ("2.post1", "<2", false),
        ("2.post1.dev1", "<2", false),
        ("3", "<2", false),
        ("2.0", "~=1.0", false),
        ("1.1.0", "~=1.0.0", false),
        ("1.1.post1", "~=1.0.0", false),
        ("1.0", "~=2!1.0", false),
        ("2!1.0", "~=1.0", false),
        ("2!1.0", "==1.0", false),
        ("1.0", "==2!1.0", false),
        ("2!1.0", "==1.0.0.*", false),
        ("1.0", "==2!1.0.0.*", false),
        ("2!1.0", "==1.*", false),
        ("1.0", "==2!1.*", false),
        ("2!1.0", "!=2!1.0", false),
        // Pre- and post-release guards of `<` and `>` (test_specifiers_prereleases).
        ("2.0.dev1", ">=1.0", true),
        ("2.0a1", "<2.0", false),
        ("2.0a1", "<2.0a2", true),
        ("1.0.dev0", ">1.0.dev1", false),
        ("1.0.post0", ">1.0.dev1", true),
        ("1.0.post0", ">1.0a1", true),
        ("1.0a1.post0", ">1.0a1", false),
        ("1.0rc1.post0", ">1.0rc1", false),
        ("1.0a2.post0", ">1.0a1", true),
        ("1.0.post0", ">1.0", false),
        ("2.0.post0", ">1.0", true),
        ("0.9.post0", ">1.0", false),
        ("1.0.post1.dev0", "<1.0.post1", false),
        ("1.0.dev0", "<1.0.post1", true),
        ("1.0a1", "<1.0.post1", true),
        ("1.0.post0.dev0", "<1.0.post1", true),
        ("1.0", "<1.0.post1", true),
        ("1.0+local", "<1.0.post1", true),
        ("1.0.post0+local", "<1.0.post1", true),
        // Arbitrary equality compares the displayed (normalised) version, case-insensitively.
        ("1.0", "===1.0", true),
        ("1.0.0", "===1.0", false),
        ("1.0+downstream1", "===1.0", false),
        ("1.0A1", "===1.0a1", true),
        ("1.0.POST1", "===1.0.post1", true),
        ("1.0+AbC", "===1.0+abc", true),
        ("1.01", "===1.1", true),
        ("0!1.0", "===1.0", true),
        ("lolwat", "===LOLWAT", true),
        ("foobar", "===baz", false),
        // Legacy versions only match `===`.
        ("not.a-version", ">=0", false),
        ("not.a-version", "!=1.0", false),
    ];
    let failures: Vec<String> = vectors
        .iter()
        .filter(|(version, spec, expected)| {
            // Vectors are (version, spec) in packaging's order.
            check(Ecosystem::PyPI, spec, version, E) != *expected
        })
        .map(|(version, spec, expected)| format!("{version:?} in {spec:?}: expected {expected}"))
        .collect();
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn pep440_specifier_sets() {
    assert!(
        check(Ecosystem::PyPI, "", "1.0", E),
        "an empty set matches everything"
    );
    assert!(check(Ecosystem::PyPI, ">=2.0,<3", "2.5", E));
    assert!(!check(Ecosystem::PyPI, ">=2.0,<3,!=2.5", "2.5", E));
    assert!(check(Ecosystem::PyPI, ">= 2.0 , < 3 ,", "2.9", E));
    assert!(
        check(Ecosystem::PyPI, "2.31.0", "2.31", E),
        "a bare version is =="
    );
}

#[test]
fn pep440_rejects_invalid_specifiers() {
    for bad in [
        "=>2.0",
        "==",
        "~=1.0+5",
        ">=1.0+deadbeef",
        "<=1.0+abc123",
        ">1.0+watwat",
        "<1.0+1.0",
        "~=1.0.*",
        ">=1.0.*",
        "<=1.0.*",
        ">1.0.*",
        "<1.0.*",
        "==1.0.*+5",
        "!=1.0.*+deadbeef",
        "==2.0a1.*",
        "!=2.0a1.*",
        "==2.0.post1.*",
        "!=2.0.post1.*",
        "==2.0.dev1.*",
        "!=2.0.dev1.*",
        "==1.0+5.*",
        "!=1.0+deadbeef.*",
        "==1.0.*.5",
        "~=1",
        "==1.2+\u{130}",
        "==1.2+\u{130}\u{131}\u{17f}\u{212a}",
        "lolwat",
    ] {
        assert!(
            parse_range(Ecosystem::PyPI, bad).is_err(),
            "{bad:?} should not parse"
        );
    }
    for good in [
        "~=2.0",
        "==2.1.*",
        "==2.1.0.3",
        "!=2.2.*",
        "!=2.2.0.5",
        "<=5",
        ">=7.9a1",
        "<1.0.dev1",
        ">2.0.post1",
        "===lolwat",
        "==1.0-DEV1",
        "~=1.0a05",
        "==00!1.2",
        ">= v1.0",
    ] {
        assert!(
            parse_range(Ecosystem::PyPI, good).is_ok(),
            "{good:?} should parse"
        );
    }
}

#[test]
fn versions_of_another_scheme_never_match() {
    let req = parse_range(Ecosystem::Npm, "*").unwrap();
    let v = Version::parse(Ecosystem::PyPI, "1.0").unwrap();
    assert!(!req.matches(&v));
    assert_eq!(req.matches_str("1.0.0"), Ok(true));
    assert!(req.matches_str("latest").is_err());
}
