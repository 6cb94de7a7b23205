//! `chainward sbom` and `--sbom` input end to end.
use serde_json::Value;

use crate::{chainward, demo_home, repo_root};

fn sbom(args: &[&str]) -> std::process::Output {
    chainward()
        .current_dir(repo_root())
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .args(["sbom", "examples/demo/web"])
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn writes_reproducible_cyclonedx_with_the_root_from_package_json() {
    let a = sbom(&[]);
    assert_eq!(
        a.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&a.stderr)
    );
    let b = sbom(&[]);
    assert_eq!(a.stdout, b.stdout, "same input, same bytes");
    let v: Value = serde_json::from_slice(&a.stdout).unwrap();
    assert_eq!(v["bomFormat"], "CycloneDX");
    assert_eq!(v["specVersion"], "1.6");
    assert_eq!(v["metadata"]["component"]["name"], "demo-web");
    assert_eq!(v["metadata"]["timestamp"], "2023-11-14T22:13:20Z");
    assert!(
        v["components"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["purl"] == "pkg:npm/chalk@5.6.1")
    );
}

#[test]
fn writes_spdx_and_other_cyclonedx_versions() {
    let spdx: Value = serde_json::from_slice(&sbom(&["--format", "spdx-json"]).stdout).unwrap();
    assert_eq!(spdx["spdxVersion"], "SPDX-2.3");
    let v15: Value = serde_json::from_slice(&sbom(&["--spec-version", "1.5"]).stdout).unwrap();
    assert_eq!(v15["specVersion"], "1.5");
    assert_eq!(sbom(&["--spec-version", "1.2"]).status.code(), Some(2));
}

#[test]
fn an_sbom_round_trips_through_inventory_and_can_be_scanned() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bom.json");
    let out = sbom(&["-o", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0));
    let direct: Value = serde_json::from_slice(
        &chainward()
            .current_dir(repo_root())
            .args(["inventory", "examples/demo/web", "--format", "json"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    let via_sbom: Value = serde_json::from_slice(
        &chainward()
            .args([
                "inventory",
                "--sbom",
                file.to_str().unwrap(),
                "--format",
                "json",
            ])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    let purls = |v: &Value| -> Vec<String> {
        v["packages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["purl"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(purls(&direct), purls(&via_sbom));
    let home = demo_home();
    let scan = chainward()
        .args([
            "--home",
            home.path().to_str().unwrap(),
            "scan",
            "--sbom",
            file.to_str().unwrap(),
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    assert_eq!(scan.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&scan.stdout).unwrap();
    assert_eq!(v["findings"][0]["advisory"]["id"], "MAL-2025-46969");
}
