//! `chainward verify-bundle` over every sigstore-conformance case, and `chainward provenance`
//! against a real HTTP registry on 127.0.0.1 serving recorded npm registry data.

use std::collections::HashMap;
use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use serde_json::{Value, json};

use super::chainward;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../chainward-provenance/tests/fixtures")
}

fn read_json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn verify_bundle_passes_every_sigstore_conformance_case() {
    let dir = fixtures().join("conformance/sigstore-conformance");
    let expected = read_json(&dir.join("expected.json"));
    let mut failures = Vec::new();
    for (name, case) in expected["cases"].as_object().unwrap() {
        let path = |key: &str| dir.join(case[key].as_str().unwrap());
        let subjects = [
            vec![
                "--artifact".to_owned(),
                path("artifact").display().to_string(),
            ],
            vec![
                "--digest".to_owned(),
                case["artifact_digest"].as_str().unwrap().to_owned(),
            ],
        ];
        for subject in subjects {
            let mut cmd = chainward();
            cmd.arg("verify-bundle")
                .arg(path("bundle"))
                .args(&subject)
                .arg("--trusted-root")
                .arg(path("trusted_root"));
            let v = &case["verification"];
            if v["type"] == "public_key" {
                cmd.arg("--key").arg(dir.join(v["key"].as_str().unwrap()));
            } else {
                cmd.args([
                    "--certificate-identity",
                    v["identity"].as_str().unwrap(),
                    "--certificate-oidc-issuer",
                    v["issuer"].as_str().unwrap(),
                ]);
            }
            let out = cmd.output().unwrap();
            let want = if case["expected"] == "pass" { 0 } else { 1 };
            if out.status.code() != Some(want) {
                failures.push(format!(
                    "{name} {}: exit {:?}, expected {want}: {}",
                    subject[0],
                    out.status.code(),
                    String::from_utf8_lossy(&out.stderr)
                ));
            }
            if want == 1 && !String::from_utf8_lossy(&out.stderr).contains("not verified: ") {
                failures.push(format!("{name}: no reason on stderr"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn verify_bundle_checks_identity_regex_and_reports_the_signer() {
    let dir = fixtures().join("conformance/npm-provenance");
    let bundle = dir.join("bundles/sigstore-js/bundleV03-intoto.sigstore");
    let digest = "sha512:7bea9f6e7ff37f5fab0b36bf061200fff03099fd2fd696b91d04bc5e4f225eb9fd6e0cadcad54ba980f43fb352a99e8810b4e0abeb5c0ef2cf9108cd1f258b36";
    let root = dir.join("trusted_root.production.json");
    let run = |re: &str| {
        chainward()
            .arg("verify-bundle")
            .arg(&bundle)
            .args(["--digest", digest, "--trusted-root"])
            .arg(&root)
            .args(["--certificate-identity-regex", re])
            .args([
                "--certificate-oidc-issuer",
                "https://github.com/login/oauth",
            ])
            .output()
            .unwrap()
    };
    let ok = run(r"@dehamer\.com$");
    assert_exit(&ok, 0);
    assert!(String::from_utf8_lossy(&ok.stdout).contains("signed by brian@dehamer.com"));
    let bad = run(r"^someone@example\.com$");
    assert_eq!(bad.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("does not match"));
    // Usage errors are exit 2.
    chainward()
        .arg("verify-bundle")
        .arg(&bundle)
        .args(["--digest", "sha256:abcd"])
        .assert()
        .code(2);
    chainward()
        .arg("verify-bundle")
        .arg(&bundle)
        .assert()
        .code(2);
}

// ---------------------------------------------------------------------------------------
// A registry on 127.0.0.1.

/// Path to (status, body).
type Routes = HashMap<String, (u16, Vec<u8>)>;

struct Registry {
    url: String,
    hits: Arc<AtomicUsize>,
    routes: Arc<Mutex<Routes>>,
}

impl Registry {
    fn start(routes: Routes) -> Self {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let hits = Arc::new(AtomicUsize::new(0));
        let routes = Arc::new(Mutex::new(routes));
        let (h, r) = (hits.clone(), routes.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let (h, r) = (h.clone(), r.clone());
                std::thread::spawn(move || {
                    let mut reader = BufReader::new(stream.try_clone().unwrap());
                    let mut request = String::new();
                    if reader.read_line(&mut request).is_err() {
                        return;
                    }
                    loop {
                        let mut line = String::new();
                        if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                            break;
                        }
                    }
                    h.fetch_add(1, Ordering::SeqCst);
                    let path = request.split_whitespace().nth(1).unwrap_or("/").to_owned();
                    let (status, body) = r
                        .lock()
                        .unwrap()
                        .get(&path)
                        .cloned()
                        .unwrap_or((404, b"{\"error\":\"not found\"}".to_vec()));
                    let _ = write!(
                        stream,
                        "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                        body.len()
                    );
                    let _ = stream.write_all(&body);
                    let _ = reader.read(&mut [0; 1]);
                });
            }
        });
        Self { url, hits, routes }
    }

    fn set(&self, path: &str, status: u16, body: Vec<u8>) {
        self.routes
            .lock()
            .unwrap()
            .insert(path.to_owned(), (status, body));
    }
}

/// The npm registry's keys in the `/-/npm/v1/keys` format, from the recorded TUF keys.
fn v1_keys() -> Vec<u8> {
    let tuf = read_json(&fixtures().join("npm-registry/keys.json"));
    chainward_test_utils::npm_v1_keys(Vec::new(), &tuf)
}

/// A packument from the recorded `signatures/NAME@VERSION.json` records (real
/// `dist.signatures`, `dist.attestations` and publish times).
fn recorded_packument(name: &str, versions: &[&str]) -> Vec<u8> {
    let mut vs = serde_json::Map::new();
    let mut time = serde_json::Map::new();
    for v in versions {
        let r = read_json(&fixtures().join(format!("npm-registry/signatures/{name}@{v}.json")));
        let mut dist = json!({ "integrity": r["integrity"], "signatures": r["signatures"] });
        if !r["attestations"].is_null() {
            dist["attestations"] = r["attestations"].clone();
        }
        vs.insert(
            (*v).to_owned(),
            json!({ "name": name, "version": v, "dist": dist }),
        );
        if let Some(t) = r["published"].as_str() {
            time.insert((*v).to_owned(), json!(t));
        }
    }
    serde_json::to_vec(&json!({ "name": name, "versions": vs, "time": time })).unwrap()
}

/// A packument for versions whose attestations are recorded (group A), as a mirror that
/// strips `dist.signatures` serves it.
fn attested_packument(name: &str, versions: &[(&str, &str)], registry: &str) -> Vec<u8> {
    let mut vs = serde_json::Map::new();
    for (v, integrity) in versions {
        vs.insert(
            (*v).to_owned(),
            json!({ "name": name, "version": v, "dist": {
                "integrity": integrity,
                "attestations": {
                    "url": format!("{registry}/-/npm/v1/attestations/{name}@{v}"),
                    "provenance": { "predicateType": "https://slsa.dev/provenance/v0.2" }
                }
            }}),
        );
    }
    serde_json::to_vec(&json!({ "name": name, "versions": vs })).unwrap()
}

fn attestations(file: &str) -> Vec<u8> {
    std::fs::read(fixtures().join("npm-registry/attestations").join(file)).unwrap()
}

fn provenance(home: &Path, registry: &str, args: &[&str]) -> (Option<i32>, Value, String) {
    let out = chainward()
        .args([
            "--home",
            home.to_str().unwrap(),
            "--format",
            "json",
            "provenance",
        ])
        .args(["--registry", registry])
        .arg("--trusted-root")
        .arg(fixtures().join("npm-registry/trusted_root.json"))
        .args(args)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let json = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}\n{stderr}", String::from_utf8_lossy(&out.stdout)));
    (out.status.code(), json, stderr)
}

fn codes(report: &Value) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["code"].as_str().unwrap().to_owned(),
                format!(
                    "{}@{}",
                    f["package"]["name"].as_str().unwrap(),
                    f["package"]["version"].as_str().unwrap()
                ),
            )
        })
        .collect();
    out.sort();
    out
}

fn row<'a>(report: &'a Value, purl: &str) -> &'a Value {
    report["provenance"]["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["package"]["purl"] == purl)
        .unwrap_or_else(|| panic!("no row for {purl}: {report}"))
}

#[test]
fn signatures_downgrades_and_missing_attestations_from_a_registry() {
    let undici = ["7.13.0", "7.12.0", "7.0.0", "6.21.0", "6.19.2", "5.28.4"];
    let mut routes = HashMap::new();
    routes.insert("/-/npm/v1/keys".to_owned(), (200, v1_keys()));
    routes.insert(
        "/undici-types".to_owned(),
        (200, recorded_packument("undici-types", &undici)),
    );
    routes.insert(
        "/lodash".to_owned(),
        (200, recorded_packument("lodash", &["4.17.21", "4.17.20"])),
    );
    let registry = Registry::start(routes);
    let home = tempfile::tempdir().unwrap();
    let (code, report, stderr) = provenance(
        home.path(),
        &registry.url,
        &[
            "pkg:npm/undici-types@7.0.0",
            "pkg:npm/undici-types@7.13.0",
            "pkg:npm/undici-types@6.19.2",
            "pkg:npm/lodash@4.17.21",
            "--fail-on",
            "medium",
        ],
    );
    assert_eq!(code, Some(1), "{stderr}");
    // 7.0.0 has no provenance while 6.19.2, published before it, had; 7.13.0 and 6.19.2
    // advertise attestations that the registry does not serve.
    assert_eq!(
        codes(&report),
        [
            (
                "attestation-missing".to_owned(),
                "undici-types@6.19.2".to_owned()
            ),
            (
                "attestation-missing".to_owned(),
                "undici-types@7.13.0".to_owned()
            ),
            (
                "provenance-downgrade".to_owned(),
                "undici-types@7.0.0".to_owned()
            ),
        ]
    );
    let downgrade = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "provenance-downgrade")
        .unwrap();
    assert!(
        downgrade["message"].as_str().unwrap().contains("6.19.2"),
        "{downgrade}"
    );
    for purl in [
        "pkg:npm/undici-types@7.0.0",
        "pkg:npm/lodash@4.17.21",
        "pkg:npm/undici-types@7.13.0",
    ] {
        assert_eq!(row(&report, purl)["signature"], "verified", "{purl}");
    }
    assert_eq!(row(&report, "pkg:npm/lodash@4.17.21")["provenance"], "none");
    assert_eq!(report["provenance"]["signatures_served"], true);

    // A tampered signature is critical.
    let mut tampered: Value =
        serde_json::from_slice(&recorded_packument("lodash", &["4.17.21"])).unwrap();
    let sig = tampered["versions"]["4.17.21"]["dist"]["signatures"][0]["sig"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut raw = base64::engine::general_purpose::STANDARD
        .decode(&sig)
        .unwrap();
    let last = raw.len() - 1;
    raw[last] ^= 1;
    tampered["versions"]["4.17.21"]["dist"]["signatures"][0]["sig"] =
        json!(base64::engine::general_purpose::STANDARD.encode(raw));
    registry.set("/lodash", 200, serde_json::to_vec(&tampered).unwrap());
    let (code, report, _) = provenance(home.path(), &registry.url, &["pkg:npm/lodash@4.17.21"]);
    assert_eq!(code, Some(1));
    assert_eq!(
        codes(&report),
        [("signature-invalid".to_owned(), "lodash@4.17.21".to_owned())]
    );
    assert_eq!(report["findings"][0]["severity"], "critical");
}

#[test]
fn a_mirror_without_signatures_is_named_not_called_unsigned() {
    // Stripped like the mirror these machines reach: no dist.signatures, no keys endpoint.
    let mut routes = HashMap::new();
    routes.insert(
        "/lodash".to_owned(),
        (200, std::fs::read(fixtures().join("../../../chainward-provenance/tests/fixtures/registry/lodash-stripped.json")).unwrap_or_else(|_| {
            br#"{"name":"lodash","versions":{"4.17.21":{"dist":{"integrity":"sha512-v2kDEe57lecTulaDIuNTPy3Ry4gLGJ6Z1O3vE1krgXZNrsQ+LFTGHVxVjcXPs17LhbZVGedAJv8XZ1tvj5FvSg==","shasum":"679591c564c3bffaae8454cf0b3df370c3d6911c"}}},"time":{"4.17.21":"2024-02-23T22:24:08.672000+00:00"}}"#.to_vec()
        })),
    );
    let registry = Registry::start(routes);
    let home = tempfile::tempdir().unwrap();
    let (code, report, stderr) =
        provenance(home.path(), &registry.url, &["pkg:npm/lodash@4.17.21"]);
    assert_eq!(code, Some(2), "incomplete: {stderr}");
    assert!(codes(&report).is_empty(), "{report}");
    assert_eq!(report["provenance"]["signatures_served"], false);
    let r = row(&report, "pkg:npm/lodash@4.17.21");
    assert_eq!(
        (r["signature"].as_str(), r["provenance"].as_str()),
        (Some("not-served"), Some("unknown"))
    );
    assert!(
        report["provenance"]["unchecked"][0]["message"]
            .as_str()
            .unwrap()
            .contains("serves no signatures"),
        "{report}"
    );
    let (code, _, _) = provenance(
        home.path(),
        &registry.url,
        &["pkg:npm/lodash@4.17.21", "--allow-incomplete"],
    );
    assert_eq!(code, Some(0));
}

#[test]
fn identity_is_pinned_changes_are_flagged_and_repinning_accepts_them() {
    let name = "@laurentsimon/provenance-npm-test";
    let (i3, i5) = (
        "sha512-8pleJWWhUQxweFDYGU+YO5H+YewkPFVRrYScNXJzdotfOlfkS4HMDNNqNLi5MzIr6HHupbBYICvoB+JNyIKBGw==",
        "sha512-VjvG2Ix8xgkXsTz0g4Rz7upux+oEMPJnKxb0PCpcgsI5lJx8rn/hO747MNBXHD5W3mJKox6kPJjBLx8ZC4p8oA==",
    );
    let registry = Registry::start(HashMap::new());
    registry.set(
        "/@laurentsimon%2fprovenance-npm-test",
        200,
        attested_packument(name, &[("1.0.3", i3), ("1.0.5", i5)], &registry.url),
    );
    registry.set("/-/npm/v1/keys", 200, v1_keys());
    for v in ["1.0.3", "1.0.5"] {
        registry.set(
            &format!("/-/npm/v1/attestations/@laurentsimon%2fprovenance-npm-test@{v}"),
            200,
            attestations(&format!("@laurentsimon+provenance-npm-test@{v}.json")),
        );
    }
    let home = tempfile::tempdir().unwrap();
    let purl3 = "pkg:npm/%40laurentsimon/provenance-npm-test@1.0.3";
    let purl5 = "pkg:npm/%40laurentsimon/provenance-npm-test@1.0.5";
    // First seen: 1.0.3's identity is pinned.
    let (code, report, stderr) =
        provenance(home.path(), &registry.url, &[purl3, "--allow-incomplete"]);
    assert_eq!(code, Some(0), "{stderr}\n{report}");
    let r = row(&report, purl3);
    assert_eq!(r["provenance"], "verified");
    assert_eq!(
        r["identity"]["repository"],
        "https://github.com/laurentsimon/provenance-npm-test"
    );
    assert_eq!(r["identity"]["workflow"], ".github/workflows/release.yml");
    // 1.0.5 was built by another workflow and trigger.
    let (code, report, _) = provenance(home.path(), &registry.url, &[purl5, "--allow-incomplete"]);
    assert_eq!(code, Some(1));
    assert_eq!(
        codes(&report),
        [(
            "provenance-identity-changed".to_owned(),
            format!("{name}@1.0.5")
        )]
    );
    let message = report["findings"][0]["message"].as_str().unwrap();
    assert!(
        message.contains("release-slsa3.yml") && message.contains("1.0.3"),
        "{message}"
    );
    assert!(message.contains("workflow"), "{message}");
    // The same answer offline, from the cache, without asking the registry.
    let before = registry.hits.load(Ordering::SeqCst);
    let out = chainward()
        .args([
            "--home",
            home.path().to_str().unwrap(),
            "--offline",
            "--format",
            "json",
            "provenance",
        ])
        .args(["--registry", &registry.url, "--allow-incomplete", purl5])
        .arg("--trusted-root")
        .arg(fixtures().join("npm-registry/trusted_root.json"))
        .output()
        .unwrap();
    assert_exit(&out, 1);
    assert_eq!(registry.hits.load(Ordering::SeqCst), before);
    // Re-pinned to 1.0.5: no finding for it, and now 1.0.3 differs.
    chainward()
        .args([
            "--home",
            home.path().to_str().unwrap(),
            "provenance",
            "pin",
            purl5,
        ])
        .args(["--registry", &registry.url])
        .arg("--trusted-root")
        .arg(fixtures().join("npm-registry/trusted_root.json"))
        .assert()
        .code(0)
        .stdout(predicates::str::contains("release-slsa3.yml"));
    let (code, report, _) = provenance(
        home.path(),
        &registry.url,
        &[purl5, purl3, "--allow-incomplete"],
    );
    assert_eq!(code, Some(1));
    assert_eq!(
        codes(&report),
        [(
            "provenance-identity-changed".to_owned(),
            format!("{name}@1.0.3")
        )]
    );
}

#[test]
fn a_bad_provenance_signature_is_an_invalid_attestation() {
    let registry = Registry::start(HashMap::new());
    let integrity = "sha512-8G+/XDU8wNsJOQS5ysDVO0Etg9/2uA5gR9l4ZwijjlwxBcrU6RPfwi2+jJmbP+Ap1Hlp/nVAaEO4Fj22/SL2gQ==";
    registry.set(
        "/sigstore",
        200,
        attested_packument("sigstore", &[("2.3.1", integrity)], &registry.url),
    );
    registry.set(
        "/-/npm/v1/attestations/sigstore@2.3.1",
        200,
        attestations("sigstore@2.3.1.invalid-provenance-sig.json"),
    );
    let home = tempfile::tempdir().unwrap();
    // Without registry keys the publish attestation is unchecked (exit 2), never passed.
    let (code, report, _) = provenance(home.path(), &registry.url, &["pkg:npm/sigstore@2.3.1"]);
    assert_eq!(code, Some(2));
    assert!(
        report["provenance"]["unchecked"]
            .to_string()
            .contains("publish attestation"),
        "{report}"
    );
    registry.set("/-/npm/v1/keys", 200, v1_keys());
    let (code, report, _) = provenance(
        home.path(),
        &registry.url,
        &["pkg:npm/sigstore@2.3.1", "--allow-incomplete"],
    );
    assert_eq!(code, Some(1));
    assert_eq!(
        codes(&report),
        [(
            "attestation-invalid".to_owned(),
            "sigstore@2.3.1".to_owned()
        )]
    );
    assert_eq!(report["findings"][0]["severity"], "critical");
    assert!(
        report["findings"][0]["message"]
            .as_str()
            .unwrap()
            .starts_with("provenance: "),
        "{report}"
    );
    // A valid one verifies and names the builder (SLSA v1).
    registry.set(
        "/-/npm/v1/attestations/sigstore@2.3.1",
        200,
        attestations("sigstore@2.3.1.json"),
    );
    let (_, report, _) = provenance(
        home.path(),
        &registry.url,
        &["pkg:npm/sigstore@2.3.1", "--allow-incomplete"],
    );
    let r = row(&report, "pkg:npm/sigstore@2.3.1");
    assert_eq!(r["provenance"], "verified", "{report}");
    assert_eq!(
        r["identity"]["builder"],
        "https://github.com/actions/runner/github-hosted"
    );
    assert_eq!(
        r["identity"]["commit"],
        "46e7056ff9912ebfee5298d94024895a9fea76c0"
    );
    assert_eq!(r["identity"]["trigger"], "push");
}

#[test]
fn scan_reports_provenance_findings_from_the_registry_cache() {
    let undici = ["7.0.0", "6.19.2"];
    let mut routes = HashMap::new();
    routes.insert("/-/npm/v1/keys".to_owned(), (200, v1_keys()));
    routes.insert(
        "/undici-types".to_owned(),
        (200, recorded_packument("undici-types", &undici)),
    );
    let registry = Registry::start(routes);
    let integrity = read_json(&fixtures().join("npm-registry/signatures/undici-types@7.0.0.json"))
        ["integrity"]
        .clone();
    let project = tempfile::tempdir().unwrap();
    std::fs::write(
        project.path().join("package-lock.json"),
        serde_json::to_vec_pretty(&json!({
            "name": "app", "lockfileVersion": 3, "requires": true,
            "packages": {
                "": { "name": "app", "dependencies": { "undici-types": "7.0.0" } },
                "node_modules/undici-types": {
                    "version": "7.0.0",
                    "resolved": "https://registry.npmjs.org/undici-types/-/undici-types-7.0.0.tgz",
                    "integrity": integrity
                }
            }
        }))
        .unwrap(),
    )
    .unwrap();
    let home = super::demo_home();
    let scan = |home: &Path| {
        chainward()
            .args(["--home", home.to_str().unwrap(), "--format", "json", "scan"])
            .arg(project.path())
            .args([
                "--registry",
                &registry.url,
                "--no-integrity",
                "--fail-on",
                "medium",
            ])
            .output()
            .unwrap()
    };
    // Nothing cached yet: scan never asks the registry, and says what it did not check.
    let before = registry.hits.load(Ordering::SeqCst);
    let out = scan(home.path());
    assert_exit(&out, 0);
    assert!(String::from_utf8_lossy(&out.stderr).contains("no cached registry data"));
    assert_eq!(registry.hits.load(Ordering::SeqCst), before);
    // `provenance` fills the cache; `scan` then reports the downgrade, still offline.
    let (code, _, stderr) = provenance(
        home.path(),
        &registry.url,
        &[project.path().to_str().unwrap()],
    );
    assert_eq!(code, Some(1), "{stderr}");
    let before = registry.hits.load(Ordering::SeqCst);
    let out = scan(home.path());
    assert_exit(&out, 1);
    assert_eq!(registry.hits.load(Ordering::SeqCst), before);
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        codes(&report),
        [(
            "provenance-downgrade".to_owned(),
            "undici-types@7.0.0".to_owned()
        )]
    );
    assert!(
        report["findings"][0]["locations"][0]["path"]
            .as_str()
            .unwrap()
            .ends_with("package-lock.json")
    );
    assert_eq!(
        row(&report, "pkg:npm/undici-types@7.0.0")["signature"],
        "verified"
    );
}

#[test]
fn update_trust_follows_real_root_rotations_and_refuses_expired_metadata() {
    let tuf = fixtures().join("tuf/sigstore");
    let registry = Registry::start(HashMap::new());
    for file in ["15.root.json", "16.root.json", "timestamp.json"] {
        registry.set(
            &format!("/{file}"),
            200,
            std::fs::read(tuf.join(file)).unwrap(),
        );
    }
    let home = tempfile::tempdir().unwrap();
    let out = chainward()
        .args([
            "--home",
            home.path().to_str().unwrap(),
            "provenance",
            "update-trust",
        ])
        .args(["--tuf-url", &registry.url, "--tuf-root"])
        .arg(tuf.join("14.root.json"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    // Roots 15 and 16 verify (each against the old and the new root keys) and are stored;
    // the recorded timestamp (from 2025) has expired, so nothing is trusted from it.
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("timestamp") && stderr.contains("expired"),
        "{stderr}"
    );
    let stored: Value = read_json(&home.path().join("tuf/root.json"));
    assert_eq!(stored["signed"]["version"], 16);
    assert!(!home.path().join("trust/trusted_root.json").exists());
    chainward()
        .args([
            "--home",
            home.path().to_str().unwrap(),
            "--offline",
            "provenance",
            "update-trust",
        ])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("needs the network"));
}

/// Asserts how a run exited, showing its stderr when it is not as expected.
fn assert_exit(out: &std::process::Output, code: i32) {
    assert_eq!(
        out.status.code(),
        Some(code),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
