//! `chainward scan` and `chainward db` end to end, on the demo project and its advisories.
use serde_json::Value;

use crate::{chainward, demo_home, repo_root};

fn scan(home: &tempfile::TempDir, args: &[&str]) -> std::process::Output {
    chainward()
        .current_dir(repo_root())
        .args([
            "--home",
            home.path().to_str().unwrap(),
            "scan",
            "examples/demo",
        ])
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn the_demo_scan_finds_the_compromised_releases_and_exits_1() {
    let home = demo_home();
    let out = scan(&home, &["--format", "json"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["schema_version"], 1);
    let findings = v["findings"].as_array().unwrap();
    // Advisory findings (the demo's lockfiles also give integrity findings: see below).
    let ids: Vec<(&str, &str, &str)> = findings
        .iter()
        .filter_map(|f| {
            Some((
                f["package"]["name"].as_str().unwrap(),
                f["advisory"]["id"].as_str()?,
                f["code"].as_str().unwrap(),
            ))
        })
        .collect();
    // Its requirements file pins hashes for some packages but not all: pip's hash mode is
    // all-or-nothing, so the others are flagged.
    assert!(
        findings
            .iter()
            .any(|f| f["code"] == "missing-integrity" && f["package"]["name"] == "urllib3"),
        "{findings:?}"
    );
    assert!(
        ids.contains(&("chalk", "MAL-2025-46969", "known-malicious")),
        "{ids:?}"
    );
    assert!(
        ids.contains(&("arrayref", "MAL-2026-14336", "known-malicious")),
        "{ids:?}"
    );
    assert!(
        ids.contains(&("arrayref", "RUSTSEC-2026-0260", "known-malicious")),
        "{ids:?}"
    );
    assert!(
        ids.contains(&("django", "PYSEC-2021-98", "known-vulnerability")),
        "{ids:?}"
    );
    let chalk = findings
        .iter()
        .find(|f| f["package"]["name"] == "chalk")
        .unwrap();
    assert_eq!(chalk["severity"], "critical");
    assert_eq!(
        chalk["advisory"]["aliases"],
        serde_json::json!(["GHSA-2v46-p5h4-248w"])
    );
    assert_eq!(
        chalk["locations"][0]["path"],
        "examples/demo/web/package-lock.json"
    );
    assert_eq!(chalk["locations"][0]["line"], 18);
    let django = findings
        .iter()
        .find(|f| f["advisory"]["id"] == "PYSEC-2021-98")
        .unwrap();
    assert!(
        django["advisory"]["aliases"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a == "CVE-2021-33203")
    );
    assert_eq!(django["advisory"]["fixed"], serde_json::json!(["3.2.4"]));
    assert_eq!(v["fixes"]["pkg:pypi/django@3.2.0"], "3.2.4");
    // Critical findings come first.
    assert_eq!(findings[0]["severity"], "critical");
    // Safe versions are not flagged.
    assert!(
        !ids.iter()
            .any(|(n, _, _)| *n == "debug" || *n == "itoa" || *n == "requests")
    );
}

#[test]
fn fail_on_sets_the_threshold() {
    let home = demo_home();
    assert_eq!(
        scan(&home, &["--fail-on", "none", "-q"]).status.code(),
        Some(0)
    );
    assert_eq!(
        scan(&home, &["--fail-on", "critical", "-q"]).status.code(),
        Some(1)
    );
}

#[test]
fn stale_data_warns_and_fails_with_fail_on_stale() {
    let home = demo_home();
    let out = scan(&home, &["--fail-on", "none"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("advisory data is"),
        "the demo data is months old"
    );
    assert_eq!(
        scan(&home, &["--fail-on", "none", "--fail-on-stale"])
            .status
            .code(),
        Some(2)
    );
    assert_eq!(
        scan(
            &home,
            &[
                "--fail-on",
                "none",
                "--fail-on-stale",
                "--max-age",
                "100000d"
            ]
        )
        .status
        .code(),
        Some(0)
    );
}

#[test]
fn table_sarif_and_markdown_reports() {
    let home = demo_home();
    let table = String::from_utf8(scan(&home, &[]).stdout).unwrap();
    assert!(table.starts_with("CRITICAL"), "{table}");
    assert!(table.contains("-> upgrade to 3.2.4 or later"), "{table}");
    let sarif: Value = serde_json::from_slice(&scan(&home, &["--format", "sarif"]).stdout).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    let first = &sarif["runs"][0]["results"][0];
    assert!(
        first["locations"][0]["physicalLocation"]["region"]["startLine"]
            .as_u64()
            .is_some()
    );
    let md = String::from_utf8(scan(&home, &["--format", "markdown"]).stdout).unwrap();
    assert!(md.contains("| critical | `chalk@5.6.1` (npm) |"), "{md}");
}

#[test]
fn scanning_without_a_database_exits_2_and_says_what_to_do() {
    let home = tempfile::tempdir().unwrap();
    let out = scan(&home, &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("chainward db import"));
}

#[test]
fn reimporting_is_a_no_op_and_status_counts_sources() {
    let home = demo_home();
    let again = chainward()
        .current_dir(repo_root())
        .args([
            "--home",
            home.path().to_str().unwrap(),
            "db",
            "import",
            "examples/demo/advisories",
        ])
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&again.stdout).contains("0 added, 0 updated, 6 unchanged"));
    let status = chainward()
        .args([
            "--home",
            home.path().to_str().unwrap(),
            "db",
            "status",
            "--format",
            "json",
            "--max-age",
            "100000d",
        ])
        .output()
        .unwrap();
    assert_eq!(status.status.code(), Some(0));
    let v: Value = serde_json::from_slice(&status.stdout).unwrap();
    assert_eq!(v["advisories"], 6);
    assert_eq!(v["stale"], false);
}

#[test]
fn importing_a_malformed_record_names_it_and_exits_2_but_keeps_the_rest() {
    let home = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        repo_root().join("examples/demo/advisories/osv/MAL-2025-46969.json"),
        dir.path().join("MAL-2025-46969.json"),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("broken.json"),
        "{\"id\": \"X-1\", \"modified\": ",
    )
    .unwrap();
    let out = chainward()
        .args([
            "--home",
            home.path().to_str().unwrap(),
            "db",
            "import",
            dir.path().to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("broken.json"));
    assert!(String::from_utf8_lossy(&out.stdout).contains("1 added"));
}

#[test]
fn db_update_refuses_under_offline() {
    let home = tempfile::tempdir().unwrap();
    chainward()
        .args([
            "--home",
            home.path().to_str().unwrap(),
            "--offline",
            "db",
            "update",
        ])
        .assert()
        .code(2);
}
