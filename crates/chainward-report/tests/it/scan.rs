//! Scan reporters: table, markdown, JSON and SARIF on the shared fixture.
use chainward_report::reporters::{Json, Markdown, Sarif, Table};

use crate::fixtures::scan_report;

fn render<R: chainward_report::Reporter<chainward_report::ScanReport>>(r: &R) -> String {
    let mut out = Vec::new();
    r.render(&scan_report(), &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

#[test]
fn normalize_orders_findings_most_severe_first_and_counts_them() {
    let r = scan_report();
    let order: Vec<&str> = r
        .findings
        .iter()
        .map(|f| f.advisory.as_ref().unwrap().id.as_str())
        .collect();
    assert_eq!(
        order,
        [
            "MAL-2025-46969",
            "PYSEC-2021-98",
            "GHSA-xpfp-f569-q3p2",
            "RUSTSEC-2021-0139"
        ]
    );
    assert_eq!(r.summary.findings.values().sum::<usize>(), 4);
    let groups: Vec<&str> = r
        .by_package()
        .iter()
        .map(|(p, _)| p.name.as_str())
        .collect();
    assert_eq!(groups, ["chalk", "django", "ansi_term"]);
}

#[test]
fn table() {
    insta::assert_snapshot!(render(&Table { wrap: false }));
}

#[test]
fn markdown() {
    insta::assert_snapshot!(render(&Markdown));
}

#[test]
fn json() {
    insta::assert_snapshot!(render(&Json));
}

#[test]
fn sarif_is_valid_sarif_2_1_0_and_located_at_lockfile_lines() {
    let text = render(&Sarif {
        tool_version: "0.1.0".into(),
    });
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    let schema: serde_json::Value =
        serde_json::from_str(include_str!("../fixtures/schemas/sarif-2.1.0.json")).unwrap();
    let validator = jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let results = doc["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 4);
    let chalk = &results[0];
    assert_eq!(chalk["ruleId"], "MAL-2025-46969");
    assert_eq!(chalk["level"], "error");
    assert_eq!(
        chalk["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "web/package-lock.json"
    );
    assert_eq!(
        chalk["locations"][0]["physicalLocation"]["region"]["startLine"],
        40
    );
    assert_eq!(
        chalk["relatedLocations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "docs%20site/package-lock.json"
    );
    let rule = doc["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "MAL-2025-46969")
        .unwrap();
    assert_eq!(rule["properties"]["security-severity"], "10.0");
    insta::assert_snapshot!(text);
}
