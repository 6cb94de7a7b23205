//! Shared fixture reports.
use std::collections::BTreeMap;

use chainward_report::{DatabaseInfo, NotChecked, ScanReport, ScanSummary};
use chainward_types::{
    AdvisoryRef, Ecosystem, Finding, FindingCode, Location, PackageRef, Severity, Source,
    SourceStatus,
};

fn pkg(ecosystem: Ecosystem, name: &str, version: &str, purl: &str) -> PackageRef {
    PackageRef {
        ecosystem,
        name: name.into(),
        version: version.into(),
        purl: purl.into(),
    }
}

/// A scan with a malicious npm package (two locations), a vulnerable PyPI package with two
/// advisories, an unmaintained crate, a failed source and a package not checked.
pub(crate) fn scan_report() -> ScanReport {
    let chalk = pkg(Ecosystem::Npm, "chalk", "5.6.1", "pkg:npm/chalk@5.6.1");
    let django = pkg(Ecosystem::PyPI, "django", "3.2.0", "pkg:pypi/django@3.2.0");
    let ansi = pkg(
        Ecosystem::CratesIo,
        "ansi_term",
        "0.12.1",
        "pkg:cargo/ansi_term@0.12.1",
    );
    let mut report = ScanReport {
        schema_version: 1,
        sources: vec![
            Source {
                path: "web/package-lock.json".into(),
                format: "npm-package-lock-v3".into(),
                status: SourceStatus::Ok,
                packages: Some(120),
                error: None,
                warnings: vec![],
                notes: vec![],
            },
            Source::not_read(
                "broken dir/yarn.lock",
                "yarn",
                SourceStatus::Failed,
                "line 40: expected `:` after the entry header",
            ),
        ],
        findings: vec![
            Finding {
                code: FindingCode::Unmaintained,
                severity: Severity::None,
                package: ansi.clone(),
                advisory: Some(AdvisoryRef {
                    id: "RUSTSEC-2021-0139".into(),
                    aliases: vec![],
                    summary: "ansi_term is Unmaintained".into(),
                    fixed: vec![],
                    score: None,
                    vector: None,
                    url: Some("https://rustsec.org/advisories/RUSTSEC-2021-0139.html".into()),
                }),
                message: "ansi_term 0.12.1 is unmaintained (RUSTSEC-2021-0139)".into(),
                locations: vec![Location::new("svc/Cargo.lock", Some(12))],
                evidence: None,
            },
            Finding {
                code: FindingCode::KnownVulnerability,
                severity: Severity::High,
                package: django.clone(),
                advisory: Some(AdvisoryRef {
                    id: "PYSEC-2021-98".into(),
                    aliases: vec!["CVE-2021-33203".into(), "GHSA-68w8-qjq3-2gfm".into()],
                    summary: "Potential directory traversal via admindocs".into(),
                    fixed: vec!["3.2.4".into()],
                    score: Some(7.5),
                    vector: Some("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N".into()),
                    url: None,
                }),
                message: "django 3.2.0 is affected by PYSEC-2021-98".into(),
                locations: vec![Location::new("ml/requirements.txt", Some(2))],
                evidence: None,
            },
            Finding {
                code: FindingCode::KnownMalicious,
                severity: Severity::Critical,
                package: chalk.clone(),
                advisory: Some(AdvisoryRef {
                    id: "MAL-2025-46969".into(),
                    aliases: vec!["GHSA-2v46-p5h4-248w".into()],
                    summary: "Malicious code in chalk (npm)".into(),
                    fixed: vec![],
                    score: None,
                    vector: None,
                    url: None,
                }),
                message: "chalk 5.6.1 is a known-malicious version (MAL-2025-46969)".into(),
                locations: vec![
                    Location::new("web/package-lock.json", Some(40)),
                    Location::new("docs site/package-lock.json", Some(7)),
                ],
                evidence: None,
            },
            Finding {
                code: FindingCode::KnownVulnerability,
                severity: Severity::Medium,
                package: django.clone(),
                advisory: Some(AdvisoryRef {
                    id: "GHSA-xpfp-f569-q3p2".into(),
                    aliases: vec!["CVE-2021-31542".into()],
                    summary: "Path traversal | in uploads".into(),
                    fixed: vec!["3.2.1".into()],
                    score: Some(5.3),
                    vector: None,
                    url: None,
                }),
                message: "django 3.2.0 is affected by GHSA-xpfp-f569-q3p2".into(),
                locations: vec![Location::new("ml/requirements.txt", Some(2))],
                evidence: None,
            },
        ],
        not_checked: vec![NotChecked {
            package: pkg(
                Ecosystem::Npm,
                "mine",
                "1.0.0",
                "pkg:npm/mine@1.0.0?vcs_url=git%2Bhttps://github.com/o/mine%40abc",
            ),
            reason: "git origin: registry advisories do not apply by name".into(),
        }],
        fixes: BTreeMap::from([("pkg:pypi/django@3.2.0".to_owned(), "3.2.4".to_owned())]),
        database: Some(DatabaseInfo {
            records: 25_000,
            newest_modified: Some("2026-08-21T00:00:00Z".into()),
            last_updated: Some("2026-11-20T10:00:00Z".into()),
            stale: false,
        }),
        integrity: None,
        provenance: None,
        summary: ScanSummary {
            packages: 480,
            ..ScanSummary::default()
        },
    };
    report.normalize();
    report
}
