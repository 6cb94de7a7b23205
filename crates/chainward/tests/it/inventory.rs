//! `chainward inventory`: outputs, fail-closed exit codes, `--as`, `--allow-incomplete`.
use std::fs;

use serde_json::Value;

use crate::{chainward, repo_root};

fn json_of(out: &std::process::Output) -> Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stdout)))
}

#[test]
fn inventories_the_bundled_example_as_json() {
    let out = chainward()
        .current_dir(repo_root())
        .args(["inventory", "examples/demo", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = json_of(&out);
    assert_eq!(v["schema_version"], 1);
    let formats: Vec<&str> = v["sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["format"].as_str().unwrap())
        .collect();
    assert_eq!(
        formats,
        ["requirements", "cargo-lock-v4", "npm-package-lock-v3"]
    );
    let pkgs = v["packages"].as_array().unwrap();
    let chalk = pkgs.iter().find(|p| p["name"] == "chalk").unwrap();
    assert_eq!(chalk["purl"], "pkg:npm/chalk@5.6.1");
    assert_eq!(chalk["direct"], true);
    assert_eq!(
        chalk["locations"][0]["path"],
        "examples/demo/web/package-lock.json"
    );
    assert_eq!(chalk["locations"][0]["line"], 18);
    let debug = pkgs.iter().find(|p| p["name"] == "debug").unwrap();
    assert_eq!(debug["hashes"][0]["algorithm"], "sha512");
    assert_eq!(
        debug["dependencies"],
        serde_json::json!(["pkg:npm/ms@2.1.3"])
    );
    let is_number = pkgs.iter().find(|p| p["name"] == "is-number").unwrap();
    assert_eq!(is_number["scopes"], serde_json::json!(["dev"]));
    let arrayref = pkgs.iter().find(|p| p["name"] == "arrayref").unwrap();
    assert_eq!(arrayref["ecosystem"], "crates.io");
    assert_eq!(arrayref["version"], "0.3.10");
    let requests = pkgs.iter().find(|p| p["name"] == "requests").unwrap();
    assert_eq!(
        requests["hashes"][0]["hex"],
        "58cd2187c01e70e6e26505bca751777aa9f2ee0b7f4300988b709f44e013003f"
    );
    insta::assert_json_snapshot!("demo_inventory", v);
}

#[test]
fn table_output_lists_sources_and_packages() {
    let out = chainward()
        .current_dir(repo_root())
        .args(["inventory", "examples/demo"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    insta::assert_snapshot!("demo_table", String::from_utf8(out.stdout).unwrap());
}

#[test]
fn an_unparsable_lockfile_exits_2_naming_file_and_line_but_still_reports_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir_all(dir.path().join("ok")).unwrap();
    fs::copy(
        repo_root().join("examples/demo/service/Cargo.lock"),
        dir.path().join("ok/Cargo.lock"),
    )
    .unwrap();
    fs::create_dir_all(dir.path().join("bad")).unwrap();
    fs::write(dir.path().join("bad/package-lock.json"), "{\n  \"lockfileVersion\": 3,\n  \"packages\": {\n    \"node_modules/a\": {\"version\": 1.0.0}\n}\n").unwrap();
    let out = chainward()
        .current_dir(dir.path())
        .args(["inventory", ".", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("bad/package-lock.json (failed): line 4"),
        "{stderr}"
    );
    let v = json_of(&out);
    let bad = v["sources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["path"] == "bad/package-lock.json")
        .unwrap();
    assert_eq!(bad["status"], "failed");
    assert!(
        bad["error"].as_str().unwrap().starts_with("line 4"),
        "{bad}"
    );
    assert!(
        v["packages"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["name"] == "arrayref")
    );

    chainward()
        .current_dir(dir.path())
        .args(["inventory", ".", "--allow-incomplete", "-q"])
        .assert()
        .code(0);
}

#[test]
fn unsupported_lockfiles_exit_2_unless_allowed() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("bun.lockb"), [0u8, 1, 2]).unwrap();
    let out = chainward()
        .current_dir(dir.path())
        .args(["inventory", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(json_of(&out)["sources"][0]["status"], "unsupported");
    chainward()
        .current_dir(dir.path())
        .args(["inventory", "--allow-incomplete"])
        .assert()
        .code(0);
}

#[test]
fn as_reads_a_file_with_another_name() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("prod.in");
    fs::write(&f, "requests==2.31.0\n").unwrap();
    chainward()
        .args(["inventory", f.to_str().unwrap()])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("--as KIND"));
    let out = chainward()
        .args([
            "inventory",
            f.to_str().unwrap(),
            "--as",
            "requirements",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        json_of(&out)["packages"][0]["purl"],
        "pkg:pypi/requests@2.31.0"
    );
}

#[test]
fn bad_arguments_exit_2() {
    chainward()
        .args(["inventory", "--format", "xml"])
        .assert()
        .code(2);
    chainward()
        .args(["inventory", "/no/such/path"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("/no/such/path"));
    chainward()
        .args(["inventory", "--as", "gradle", "x"])
        .assert()
        .code(2);
    chainward().args(["no-such-command"]).assert().code(2);
}

#[test]
fn an_empty_folder_is_an_empty_inventory() {
    let dir = tempfile::tempdir().unwrap();
    let out = chainward()
        .current_dir(dir.path())
        .args(["inventory", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(json_of(&out)["packages"], serde_json::json!([]));
}
