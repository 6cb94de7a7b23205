//! How severe an advisory is, decided from its OSV record.
//!
//! The rule, first match wins:
//!
//! 1. **Known-malicious** ([`AdvisoryKind::KnownMalicious`], always [`Severity::Critical`]):
//!    the id starts with `MAL-`, an alias does, a RustSec `categories` list holds
//!    `malicious`, or the record's CWEs (`database_specific.cwe_ids`, GHSA style) hold
//!    CWE-506 "Embedded Malicious Code". Any CVSS score is still reported, but does not
//!    lower the severity.
//! 2. **CVSS**: every CVSS v3.0, v3.1 and v4.0 vector in `severity[]` and in every
//!    `affected[].severity[]` is scored (the *base* score; for v4.0 threat and environmental
//!    metrics are ignored), and the **highest** score wins, with its vector. v2 vectors and
//!    unparsable ones are ignored. The score maps to a severity as CVSS defines it:
//!    9.0–10 critical, 7.0–8.9 high, 4.0–6.9 medium, 0.1–3.9 low, 0.0 none.
//! 3. **The database's own word**, only when there is no usable vector: GHSA's
//!    `database_specific.severity` (`CRITICAL`, `HIGH`, `MODERATE`, `LOW`).
//! 4. **Informational** RustSec advisories (`informational = "unmaintained"`, `"unsound"`,
//!    `"notice"`, in `affected[].database_specific` or `database_specific`) without a
//!    vector are [`Severity::Low`]: worth reporting, not a known vulnerability.
//! 5. **Unscored**: a vulnerability with none of the above is [`Severity::Medium`]. It is
//!    not known to be minor, and treating it as `none` would hide it from `--fail-on low`.
//!
//! The kind ([`AdvisoryKind`]) is decided independently: malicious first, then RustSec's
//! `informational`, else a vulnerability. Kinds carry the stable finding codes.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::osv::OsvVulnerability;

/// How severe an advisory is: the one [`chainward_types::Severity`] every report uses.
pub use chainward_types::Severity;

/// What kind of advisory a record is. Each kind has a stable finding code
/// ([`AdvisoryKind::code`]); a code is never reused.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    strum::EnumIter,
    strum::IntoStaticStr,
    strum::EnumString,
)]
#[serde(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub enum AdvisoryKind {
    /// `vulnerability`: a security vulnerability.
    Vulnerability,
    /// `known-malicious`: the package (version) is malware.
    KnownMalicious,
    /// `unmaintained`: RustSec informational advisory, the crate is no longer maintained.
    Unmaintained,
    /// `unsound`: RustSec informational advisory, safe code can cause undefined behaviour.
    Unsound,
    /// `notice`: any other RustSec informational advisory.
    Notice,
}

impl AdvisoryKind {
    /// The stable kebab-case finding code.
    pub fn code(self) -> &'static str {
        self.into()
    }
}

impl fmt::Display for AdvisoryKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// Which rule of the module documentation decided the severity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, strum::IntoStaticStr)]
#[serde(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub enum SeverityBasis {
    /// Rule 1: known-malicious.
    Malicious,
    /// Rule 2: the highest CVSS base score.
    Cvss,
    /// Rule 3: the database's own severity label.
    Database,
    /// Rule 4: an informational advisory.
    Informational,
    /// Rule 5: nothing to go on.
    Unscored,
}

impl SeverityBasis {
    /// The kebab-case name (`malicious`, `cvss`, `database`, `informational`, `unscored`).
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// The severity of one advisory, with what it was decided from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Assessment {
    /// The severity.
    pub severity: Severity,
    /// The highest CVSS base score found, if any vector could be scored.
    pub score: Option<f64>,
    /// The vector that gave [`Assessment::score`].
    pub vector: Option<String>,
    /// The kind of advisory (and so its finding code).
    pub kind: AdvisoryKind,
    /// The rule that decided [`Assessment::severity`].
    pub basis: SeverityBasis,
}

/// Assesses an OSV record given as JSON. A record that is not valid OSV is assessed from
/// its `id` alone (malicious if it starts with `MAL-`, else unscored).
pub fn assess(record: &Value) -> Assessment {
    match OsvVulnerability::deserialize(record) {
        Ok(v) => assess_wire(&v),
        Err(_) => {
            let id = record.get("id").and_then(Value::as_str).unwrap_or_default();
            assess_wire(&OsvVulnerability {
                id: id.to_owned(),
                ..OsvVulnerability::default()
            })
        }
    }
}

/// The CVSS base score of a v3.0, v3.1 or v4.0 vector string; `None` for anything else.
pub fn cvss_base_score(vector: &str) -> Option<f64> {
    let vector = vector.trim();
    let score = if vector.starts_with("CVSS:4.0/") {
        // Base metrics only: threat (E) and environmental metrics would make it a BT/BE score.
        let base: Vec<&str> = vector
            .split('/')
            .filter(|part| {
                part.starts_with("CVSS:")
                    || matches!(
                        part.split_once(':').map(|(k, _)| k),
                        Some(
                            "AV" | "AC"
                                | "AT"
                                | "PR"
                                | "UI"
                                | "VC"
                                | "VI"
                                | "VA"
                                | "SC"
                                | "SI"
                                | "SA"
                        )
                    )
            })
            .collect();
        cvss::v4::Vector::from_str(&base.join("/"))
            .ok()?
            .score()
            .value()
    } else if vector.starts_with("CVSS:3.0/") || vector.starts_with("CVSS:3.1/") {
        cvss::v3::Vector::from_str(vector)
            .ok()?
            .base_score()
            .value()
    } else {
        return None;
    };
    score.is_finite().then_some(score.clamp(0.0, 10.0))
}

pub(crate) fn assess_wire(v: &OsvVulnerability) -> Assessment {
    let malicious = is_malicious(v);
    let informational = informational(v);

    let mut best: Option<(f64, &str)> = None;
    let vectors = v.severity.iter().flatten().chain(
        v.affected()
            .iter()
            .flat_map(|a| a.severity.iter().flatten()),
    );
    for s in vectors {
        if let Some(score) = cvss_base_score(&s.score)
            && best.is_none_or(|(b, _)| score > b)
        {
            best = Some((score, s.score.trim()));
        }
    }

    let kind = if malicious {
        AdvisoryKind::KnownMalicious
    } else {
        match informational.as_deref() {
            Some("unmaintained") => AdvisoryKind::Unmaintained,
            Some("unsound") => AdvisoryKind::Unsound,
            Some(_) => AdvisoryKind::Notice,
            None => AdvisoryKind::Vulnerability,
        }
    };
    let (score, vector) = match best {
        Some((s, vec)) => (Some(s), Some(vec.to_owned())),
        None => (None, None),
    };
    let (severity, basis) = if malicious {
        (Severity::Critical, SeverityBasis::Malicious)
    } else if let Some(s) = score {
        (Severity::from_cvss_score(s), SeverityBasis::Cvss)
    } else if let Some(s) = database_severity(v) {
        (s, SeverityBasis::Database)
    } else if informational.is_some() {
        (Severity::Low, SeverityBasis::Informational)
    } else {
        (Severity::Medium, SeverityBasis::Unscored)
    };
    Assessment {
        severity,
        score,
        vector,
        kind,
        basis,
    }
}

fn is_malicious(v: &OsvVulnerability) -> bool {
    if v.id.starts_with("MAL-") || v.aliases().iter().any(|a| a.starts_with("MAL-")) {
        return true;
    }
    let has_malicious_category = |ds: &Option<Value>| {
        ds.as_ref()
            .and_then(|d| d.get("categories"))
            .and_then(Value::as_array)
            .is_some_and(|c| c.iter().any(|c| c.as_str() == Some("malicious")))
    };
    let has_cwe_506 = |ds: &Option<Value>| {
        ds.as_ref()
            .and_then(|d| d.get("cwe_ids"))
            .and_then(Value::as_array)
            .is_some_and(|c| c.iter().any(|c| c.as_str() == Some("CWE-506")))
    };
    has_malicious_category(&v.database_specific)
        || has_cwe_506(&v.database_specific)
        || v.affected().iter().any(|a| {
            has_malicious_category(&a.database_specific) || has_cwe_506(&a.database_specific)
        })
}

fn informational(v: &OsvVulnerability) -> Option<String> {
    let of = |ds: &Option<Value>| {
        ds.as_ref()
            .and_then(|d| d.get("informational"))
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    of(&v.database_specific).or_else(|| v.affected().iter().find_map(|a| of(&a.database_specific)))
}

fn database_severity(v: &OsvVulnerability) -> Option<Severity> {
    let of = |ds: &Option<Value>| {
        ds.as_ref()
            .and_then(|d| d.get("severity"))
            .and_then(Value::as_str)
            .and_then(Severity::from_name)
    };
    of(&v.database_specific).or_else(|| {
        v.affected()
            .iter()
            .filter_map(|a| of(&a.database_specific))
            .max()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use strum::IntoEnumIterator as _;

    #[test]
    fn scores_known_v31_vectors() {
        let cases = [
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8),
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", 6.1),
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", 7.5),
            ("CVSS:3.0/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", 7.8),
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N", 0.0),
        ];
        for (vector, expected) in cases {
            assert_eq!(cvss_base_score(vector), Some(expected), "{vector}");
        }
    }

    /// Scores from the FIRST CVSS v4.0 calculator.
    #[test]
    fn scores_known_v40_vectors() {
        let cases = [
            (
                "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
                9.3,
            ),
            (
                "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H",
                10.0,
            ),
            (
                "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:H/SC:N/SI:N/SA:N",
                8.7,
            ),
            (
                "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:L/VI:N/VA:N/SC:N/SI:N/SA:N",
                6.9,
            ),
            (
                "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:A/VC:N/VI:N/VA:N/SC:L/SI:L/SA:N",
                5.1,
            ),
            (
                "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:P/VC:N/VI:N/VA:N/SC:L/SI:L/SA:N",
                5.3,
            ),
            (
                "CVSS:4.0/AV:L/AC:L/AT:N/PR:L/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
                8.5,
            ),
            (
                "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:N/SI:N/SA:N",
                0.0,
            ),
        ];
        for (vector, expected) in cases {
            assert_eq!(cvss_base_score(vector), Some(expected), "{vector}");
        }
    }

    #[test]
    fn v40_threat_metrics_do_not_change_the_base_score() {
        let base = "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N";
        assert_eq!(cvss_base_score(&format!("{base}/E:U")), Some(9.3));
    }

    #[test]
    fn rejects_other_vectors() {
        assert_eq!(cvss_base_score("AV:N/AC:L/Au:N/C:P/I:P/A:P"), None);
        assert_eq!(cvss_base_score("CVSS:3.1/AV:X"), None);
        assert_eq!(cvss_base_score("high"), None);
    }

    #[test]
    fn maps_scores_to_severities() {
        assert_eq!(Severity::from_cvss_score(10.0), Severity::Critical);
        assert_eq!(Severity::from_cvss_score(9.0), Severity::Critical);
        assert_eq!(Severity::from_cvss_score(8.9), Severity::High);
        assert_eq!(Severity::from_cvss_score(7.0), Severity::High);
        assert_eq!(Severity::from_cvss_score(6.9), Severity::Medium);
        assert_eq!(Severity::from_cvss_score(4.0), Severity::Medium);
        assert_eq!(Severity::from_cvss_score(3.9), Severity::Low);
        assert_eq!(Severity::from_cvss_score(0.1), Severity::Low);
        assert_eq!(Severity::from_cvss_score(0.0), Severity::None);
        assert!(Severity::Critical > Severity::High && Severity::Low > Severity::None);
    }

    #[test]
    fn malicious_records_are_critical() {
        let a = assess(&json!({"id": "MAL-2025-1", "modified": "2025-01-01T00:00:00Z"}));
        assert_eq!(
            (a.severity, a.kind, a.basis),
            (
                Severity::Critical,
                AdvisoryKind::KnownMalicious,
                SeverityBasis::Malicious
            )
        );
        assert_eq!(a.kind.code(), "known-malicious");
        let rustsec = assess(&json!({
            "id": "RUSTSEC-2026-0260", "modified": "2026-08-21T06:28:40Z",
            "affected": [{"package": {"ecosystem": "crates.io", "name": "arrayref"},
                          "database_specific": {"categories": ["malicious"], "cvss": null, "informational": null}}]
        }));
        assert_eq!(rustsec.kind, AdvisoryKind::KnownMalicious);
        assert_eq!(rustsec.severity, Severity::Critical);
    }

    #[test]
    fn highest_vector_wins_and_affected_vectors_count() {
        let a = assess(&json!({
            "id": "GHSA-xxxx-xxxx-xxxx", "modified": "2025-01-01T00:00:00Z",
            "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N"}],
            "affected": [{"severity": [{"type": "CVSS_V4", "score": "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"}]}],
            "database_specific": {"severity": "LOW"}
        }));
        assert_eq!(a.severity, Severity::Critical);
        assert_eq!(a.score, Some(9.3));
        assert_eq!(a.basis, SeverityBasis::Cvss);
        assert!(a.vector.unwrap().starts_with("CVSS:4.0/"));
    }

    #[test]
    fn ghsa_label_is_a_fallback_only() {
        let a = assess(
            &json!({"id": "GHSA-1", "modified": "2025-01-01T00:00:00Z", "database_specific": {"severity": "MODERATE"}}),
        );
        assert_eq!(
            (a.severity, a.basis, a.score),
            (Severity::Medium, SeverityBasis::Database, None)
        );
    }

    #[test]
    fn informational_advisories_have_their_own_codes() {
        for (info, kind) in [
            ("unmaintained", AdvisoryKind::Unmaintained),
            ("unsound", AdvisoryKind::Unsound),
            ("notice", AdvisoryKind::Notice),
        ] {
            let a = assess(
                &json!({"id": "RUSTSEC-2021-0147", "modified": "2023-04-08T19:49:55Z",
                "affected": [{"database_specific": {"categories": [], "cvss": null, "informational": info}}]}),
            );
            assert_eq!(
                (a.kind, a.severity, a.basis),
                (kind, Severity::Low, SeverityBasis::Informational)
            );
        }
    }

    #[test]
    fn unscored_vulnerabilities_are_medium() {
        let a = assess(&json!({"id": "PYSEC-2020-1", "modified": "2023-01-01T00:00:00Z"}));
        assert_eq!(
            (a.kind, a.severity, a.basis),
            (
                AdvisoryKind::Vulnerability,
                Severity::Medium,
                SeverityBasis::Unscored
            )
        );
    }

    #[test]
    fn codes_are_unique_and_kebab_case() {
        let codes: Vec<&str> = AdvisoryKind::iter().map(AdvisoryKind::code).collect();
        let unique: std::collections::BTreeSet<_> = codes.iter().collect();
        assert_eq!(unique.len(), codes.len());
        assert!(
            codes
                .iter()
                .all(|c| c.chars().all(|ch| ch.is_ascii_lowercase() || ch == '-'))
        );
        for s in Severity::ALL_DESC {
            assert_eq!(Severity::from_name(s.as_str()), Some(s));
        }
    }

    proptest::proptest! {
        #[test]
        fn scoring_never_panics(s in "\\PC*") {
            let _ = cvss_base_score(&s);
            let _ = cvss_base_score(&format!("CVSS:4.0/{s}"));
            let _ = cvss_base_score(&format!("CVSS:3.1/{s}"));
        }
    }
}
