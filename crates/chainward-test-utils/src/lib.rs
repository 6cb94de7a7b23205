//! Test helpers shared by the parser crates, the CLI tests and the benchmarks (never a
//! dependency of shipped code).
//!
//! The lockfile conformance suites (copied from `shared/conformance/lockfile-*` into each
//! crate's `tests/fixtures/conformance/`) are loaded with [`load_suite`]; a parser's result
//! is turned into [`Observed`] packages by the caller and compared with [`check_case`].
#![allow(
    clippy::unwrap_used,
    clippy::missing_panics_doc,
    clippy::disallowed_methods
)]

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

/// One expected package of a conformance case.
#[derive(Debug, Clone, Deserialize)]
pub struct ExpectedPackage {
    /// Name as upstream reports it (not normalised).
    pub name: String,
    /// Version; empty where upstream expects none.
    pub version: String,
    /// Git commit, or empty.
    #[serde(default)]
    pub commit: String,
    /// Dependency groups, where upstream asserts them.
    #[serde(default)]
    pub dep_groups: Option<Vec<String>>,
    /// 1-based line, where asserted.
    #[serde(default)]
    pub line: Option<u32>,
    /// requirements.txt: the requirement text.
    #[serde(default)]
    pub requirement: Option<String>,
    /// requirements.txt: the comparator (`==`, `>=`, ...).
    #[serde(default)]
    pub version_comparator: Option<String>,
    /// requirements.txt: `--hash` values.
    #[serde(default)]
    pub hash_checking_mode_values: Option<Vec<String>>,
}

/// One conformance case: a fixture file and what parsing it must give.
#[derive(Debug, Clone, Deserialize)]
pub struct Case {
    /// Expected packages (a multiset unless `ordered`).
    pub packages: Vec<ExpectedPackage>,
    /// True when parsing must fail.
    #[serde(default)]
    pub error: bool,
    /// Substrings of upstream's error message (informative).
    #[serde(default)]
    pub error_contains: Vec<String>,
    /// Order matters.
    #[serde(default)]
    pub ordered: bool,
    /// Lines are asserted.
    #[serde(default)]
    pub lines_asserted: bool,
    /// Files that must sit beside the fixture.
    #[serde(default)]
    pub companion_files: Vec<String>,
    /// Upstream's remark.
    #[serde(default)]
    pub note: Option<String>,
}

/// Loads `expected.json` of a suite folder: fixture path (relative to the folder) to case.
pub fn load_suite(dir: &Path) -> BTreeMap<String, Case> {
    let text = std::fs::read_to_string(dir.join("expected.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// What our parser reported for one package, in upstream's terms.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Observed {
    /// Name, compared after `normalize` (see [`check_case`]).
    pub name: String,
    /// Version.
    pub version: String,
    /// Git commit or empty.
    pub commit: String,
    /// Groups, sorted; compared only where the case asserts them.
    pub dep_groups: Vec<String>,
    /// Line; compared only where the case asserts lines.
    pub line: Option<u32>,
}

/// Compares observed packages with a case. `normalize` maps upstream names to ours (PEP 503
/// for PyPI, identity elsewhere). Returns a readable diff on mismatch.
pub fn check_case(
    case: &Case,
    observed: &[Observed],
    normalize: impl Fn(&str) -> String,
) -> Result<(), String> {
    let expected: Vec<Observed> = case
        .packages
        .iter()
        .map(|p| Observed {
            name: normalize(&p.name),
            version: p.version.clone(),
            commit: p.commit.clone(),
            dep_groups: {
                let mut g = p.dep_groups.clone().unwrap_or_default();
                g.sort();
                g
            },
            line: p.line,
        })
        .collect();
    let asserts_groups = case.packages.iter().any(|p| p.dep_groups.is_some());
    let project = |o: &Observed| Observed {
        name: o.name.clone(),
        version: o.version.clone(),
        commit: o.commit.clone(),
        dep_groups: if asserts_groups {
            o.dep_groups.clone()
        } else {
            Vec::new()
        },
        line: if case.lines_asserted { o.line } else { None },
    };
    let mut want: Vec<Observed> = expected.iter().map(project).collect();
    let mut got: Vec<Observed> = observed.iter().map(project).collect();
    if !case.ordered {
        want.sort();
        got.sort();
    }
    if want == got {
        return Ok(());
    }
    let missing: Vec<_> = want.iter().filter(|w| !got.contains(w)).collect();
    let extra: Vec<_> = got.iter().filter(|g| !want.contains(g)).collect();
    Err(format!(
        "packages differ\n  missing (expected, not found): {missing:#?}\n  extra (found, not expected): {extra:#?}"
    ))
}

/// The body of an npm registry's `/-/npm/v1/keys` answer: `first` (keys of one's own), then
/// every key of a Sigstore TUF `keys.json` (`{"keys": [{"keyId", "publicKey": {"rawBytes",
/// "validFor"}}]}`) whose key id is not there yet, as npm's v1 format writes them.
pub fn npm_v1_keys(first: Vec<serde_json::Value>, tuf: &serde_json::Value) -> Vec<u8> {
    let mut keys = first;
    for k in tuf["keys"].as_array().into_iter().flatten() {
        if keys.iter().any(|e| e["keyid"] == k["keyId"]) {
            continue;
        }
        keys.push(serde_json::json!({
            "keyid": k["keyId"],
            "keytype": "ecdsa-sha2-nistp256",
            "scheme": "ecdsa-sha2-nistp256",
            "key": k["publicKey"]["rawBytes"],
            "expires": k["publicKey"]["validFor"]["end"],
        }));
    }
    serde_json::to_vec(&serde_json::json!({ "keys": keys })).unwrap()
}
