//! The Sigstore and npm conformance suites (data from sigstore-conformance, sigstore-js,
//! npm/cli and pacote; see `tests/fixtures/conformance/README.md` upstream notes) and the
//! recorded npm registry attestations and signatures.
//!
//! Every case of each `expected.json` runs; the runners iterate the files, so more cases
//! dropped into the same layout run too.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use chainward_provenance::npm::{
    NpmVersion, ProvenanceOutcome, PublishOutcome, sha512_of_integrity, verify_attestations,
};
use chainward_provenance::registry_keys::{
    RegistryKeys, Signature, SignatureFailure, SignatureStatus, verify_registry_signature,
};
use chainward_provenance::{ArtifactInput, BundleVerifier, IdentityRule, Policy, SigstoreVerifier};
use chainward_types::Timestamp;
use serde_json::Value;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn read_json(path: &Path) -> Value {
    serde_json::from_str(&fs_err::read_to_string(path).unwrap()).unwrap()
}

fn verifier_for(root: &Path) -> SigstoreVerifier {
    SigstoreVerifier::from_trusted_root_json(&fs_err::read_to_string(root).unwrap()).unwrap()
}

#[test]
fn every_sigstore_conformance_case_with_artifact_and_with_digest() {
    let dir = fixtures().join("conformance/sigstore-conformance");
    let expected = read_json(&dir.join("expected.json"));
    let cases = expected["cases"].as_object().unwrap();
    assert!(cases.len() >= 48, "{} cases", cases.len());
    let mut failures = Vec::new();
    for (name, case) in cases {
        let bundle = fs_err::read(dir.join(case["bundle"].as_str().unwrap())).unwrap();
        let artifact = fs_err::read(dir.join(case["artifact"].as_str().unwrap())).unwrap();
        let digest: [u8; 32] = hex::decode(
            case["artifact_digest"]
                .as_str()
                .unwrap()
                .trim_start_matches("sha256:"),
        )
        .unwrap()
        .try_into()
        .unwrap();
        let policy = match case["verification"]["type"].as_str().unwrap() {
            "public_key" => {
                let pem =
                    fs_err::read_to_string(dir.join(case["verification"]["key"].as_str().unwrap()))
                        .unwrap();
                // A malformed key cannot verify anything: upstream counts it as a failure.
                match chainward_provenance::bundle::public_key_from_pem(&pem) {
                    Ok(der) => Policy::PublicKey(der),
                    Err(_) => Policy::PublicKey(Vec::new()),
                }
            }
            _ => Policy::Keyless {
                identity: Some(IdentityRule::Exact(
                    case["verification"]["identity"].as_str().unwrap().into(),
                )),
                issuer: Some(case["verification"]["issuer"].as_str().unwrap().into()),
            },
        };
        let pass = case["expected"] == "pass";
        // A trusted root that does not load is a failed verification, as upstream counts it.
        let root =
            fs_err::read_to_string(dir.join(case["trusted_root"].as_str().unwrap())).unwrap();
        for input in [
            ArtifactInput::Bytes(&artifact),
            ArtifactInput::Sha256(digest),
        ] {
            let result = SigstoreVerifier::from_trusted_root_json(&root)
                .and_then(|v| v.verify(&bundle, input, &policy));
            if result.is_ok() != pass {
                failures.push(format!(
                    "{name} ({}) expected {}: {result:?}",
                    if matches!(input, ArtifactInput::Bytes(_)) {
                        "artifact"
                    } else {
                        "digest"
                    },
                    case["expected"]
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn identity_regex_is_checked_after_verification() {
    let dir = fixtures().join("conformance/npm-provenance");
    let verifier = verifier_for(&dir.join("trusted_root.production.json"));
    let bundle = fs_err::read(dir.join("bundles/sigstore-js/bundleV03-intoto.sigstore")).unwrap();
    let expected = read_json(&dir.join("expected.json"));
    let case = expected["bundle_cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "sigstore-js/bundleV03-intoto.sigstore")
        .unwrap();
    let digest = sha512_hex(case["subject"][0]["digest"]["sha512"].as_str().unwrap());
    let with = |re: &str| Policy::Keyless {
        identity: Some(IdentityRule::Regex(regex::Regex::new(re).unwrap())),
        issuer: Some("https://github.com/login/oauth".into()),
    };
    let ok = verifier.verify(
        &bundle,
        ArtifactInput::Sha512(digest),
        &with(r"^brian@dehamer\.com$"),
    );
    assert_eq!(ok.unwrap().identity.as_deref(), Some("brian@dehamer.com"));
    let err = verifier
        .verify(
            &bundle,
            ArtifactInput::Sha512(digest),
            &with(r"^someone@else"),
        )
        .unwrap_err();
    assert!(err.to_string().contains("does not match"), "{err}");
}

fn sha512_hex(hex_digest: &str) -> [u8; 64] {
    hex::decode(hex_digest).unwrap().try_into().unwrap()
}

#[test]
fn every_npm_bundle_case_verifies_with_its_signer() {
    let dir = fixtures().join("conformance/npm-provenance");
    let expected = read_json(&dir.join("expected.json"));
    let cases = expected["bundle_cases"].as_array().unwrap();
    assert!(cases.len() >= 6);
    for case in cases {
        let verifier = verifier_for(&dir.join(case["trusted_root"].as_str().unwrap()));
        let bundle = fs_err::read(dir.join(case["bundle"].as_str().unwrap())).unwrap();
        let digest = sha512_hex(case["subject"][0]["digest"]["sha512"].as_str().unwrap());
        let policy = Policy::Keyless {
            identity: Some(IdentityRule::Exact(
                case["identity"].as_str().unwrap().into(),
            )),
            issuer: Some(case["issuer"].as_str().unwrap().into()),
        };
        let result = verifier.verify(&bundle, ArtifactInput::Sha512(digest), &policy);
        assert_eq!(
            result.is_ok(),
            case["expected"] == "pass",
            "{}: {result:?}",
            case["id"]
        );
        // The same bundle over another digest must fail.
        let mut other = digest;
        other[0] ^= 1;
        assert!(
            verifier
                .verify(&bundle, ArtifactInput::Sha512(other), &policy)
                .is_err(),
            "{} verified over a wrong digest",
            case["id"]
        );
    }
}

/// The `dist.signatures` array of a recorded packument or case.
fn signatures_of(list: &Value) -> Vec<Signature<'_>> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|s| Signature {
            keyid: s["keyid"].as_str().unwrap(),
            sig: s["sig"].as_str().unwrap(),
        })
        .collect()
}

#[test]
fn every_npm_registry_signature_case() {
    let dir = fixtures().join("conformance/npm-provenance");
    let expected = read_json(&dir.join("expected.json"));
    let cases = expected["registry_signature_cases"].as_array().unwrap();
    assert!(cases.len() >= 19);
    for case in cases {
        let id = case["id"].as_str().unwrap();
        let keys = match case["registry_keys"].as_str() {
            Some(file) => RegistryKeys::from_json(&fs_err::read(dir.join(file)).unwrap()).unwrap(),
            None => RegistryKeys::empty(),
        };
        let signatures = signatures_of(&case["signatures"]);
        let published = case["published_time"]
            .as_str()
            .map(|t| Timestamp::parse_rfc3339(t).unwrap());
        let p = &case["package"];
        let status = verify_registry_signature(
            &keys,
            p["name"].as_str().unwrap(),
            p["version"].as_str().unwrap(),
            p["integrity"].as_str().unwrap(),
            &signatures,
            published,
        );
        let code = match &status {
            SignatureStatus::Verified(_) => "pass",
            SignatureStatus::Missing => "missing",
            SignatureStatus::Invalid(failure) => match failure {
                SignatureFailure::UnknownKey { .. } => "EMISSINGSIGNATUREKEY",
                SignatureFailure::KeyNotValid { .. } => "EEXPIREDSIGNATUREKEY",
                SignatureFailure::BadSignature { .. } => "EINTEGRITYSIGNATURE",
            },
        };
        let want = match case["expected"].as_str().unwrap() {
            "fail" => case["error_code"].as_str().unwrap(),
            other => other,
        };
        assert_eq!(code, want, "{id}: {status:?}");
    }
}

#[test]
fn every_npm_attestation_case() {
    let dir = fixtures().join("conformance/npm-provenance");
    let expected = read_json(&dir.join("expected.json"));
    let cases = expected["attestation_cases"].as_array().unwrap();
    assert!(cases.len() >= 6);
    for case in cases {
        let id = case["id"].as_str().unwrap();
        let verifier = verifier_for(&dir.join(case["trusted_root"].as_str().unwrap()));
        let keys = RegistryKeys::from_json(
            &fs_err::read(dir.join(case["registry_keys"].as_str().unwrap())).unwrap(),
        )
        .unwrap();
        let body = fs_err::read(dir.join(case["attestations"].as_str().unwrap())).unwrap();
        let p = &case["package"];
        let package = NpmVersion {
            name: p["name"].as_str().unwrap(),
            version: p["version"].as_str().unwrap(),
            integrity: p["integrity"].as_str().unwrap(),
        };
        assert_eq!(package.purl(), p["purl"].as_str().unwrap());
        let report = verify_attestations(&body, &package, &verifier, &keys).unwrap();
        assert_eq!(
            report.failure().is_none(),
            case["expected"] == "pass",
            "{id}: {report:?}"
        );
        for bundle in case["bundles"].as_array().unwrap() {
            let ok = bundle["crypto_verifies"].as_bool().unwrap();
            match bundle["kind"].as_str().unwrap() {
                "provenance" => {
                    let verified = matches!(report.provenance, ProvenanceOutcome::Verified { .. });
                    assert_eq!(verified, ok, "{id} provenance: {:?}", report.provenance);
                    if let ProvenanceOutcome::Verified { identity, .. } = &report.provenance {
                        assert_eq!(identity.san.as_deref(), bundle["identity"].as_str(), "{id}");
                        assert_eq!(
                            identity.issuer.as_deref(),
                            bundle["issuer"].as_str(),
                            "{id}"
                        );
                    }
                }
                _ => {
                    let verified = matches!(report.publish, PublishOutcome::Verified { .. });
                    assert_eq!(verified, ok, "{id} publish: {:?}", report.publish);
                }
            }
        }
    }
}

/// The recorded registry attestations (group A of the fixture index): every valid file has
/// both attestations verified and a full build identity; every `invalid-*-sig` file fails
/// on the bundle it names and only there.
#[test]
fn recorded_registry_attestations_verify_and_name_their_builder() {
    let dir = fixtures().join("npm-registry");
    let verifier = verifier_for(&dir.join("trusted_root.json"));
    let keys = RegistryKeys::from_json(&fs_err::read(dir.join("keys.json")).unwrap()).unwrap();
    let index = fs_err::read_to_string(dir.join("INDEX.tsv")).unwrap();
    let mut checked = 0;
    for line in index.lines().skip(1) {
        let cols: Vec<&str> = line.split('\t').collect();
        if cols[9] != "A" {
            continue;
        }
        let package = NpmVersion {
            name: cols[0],
            version: cols[1],
            integrity: cols[2],
        };
        let base = format!("{}@{}", cols[0].replace('/', "+"), cols[1]);
        let body = fs_err::read(dir.join(format!("attestations/{base}.json"))).unwrap();
        let report = verify_attestations(&body, &package, &verifier, &keys).unwrap();
        assert_eq!(report.failure(), None, "{base}");
        let ProvenanceOutcome::Verified { identity, .. } = &report.provenance else {
            panic!("{base}: {:?}", report.provenance)
        };
        assert!(
            identity
                .repository
                .as_deref()
                .unwrap_or("")
                .starts_with("https://github.com/"),
            "{base}: {identity:?}"
        );
        assert!(
            identity
                .workflow
                .as_deref()
                .unwrap_or("")
                .contains(".github/workflows/"),
            "{base}: {identity:?}"
        );
        assert!(
            identity.commit.as_deref().is_some_and(|c| c.len() == 40),
            "{base}: {identity:?}"
        );
        assert!(
            identity.trigger.is_some() && identity.git_ref.is_some() && identity.builder.is_some(),
            "{base}: {identity:?}"
        );
        assert!(
            matches!(report.publish, PublishOutcome::Verified { .. }),
            "{base}"
        );
        let expected_workflow = match base.as_str() {
            "@laurentsimon+provenance-npm-test@1.0.5" => ".github/workflows/release-slsa3.yml",
            "@laurentsimon+provenance-npm-test@1.0.3" | "sigstore@2.3.1" => {
                ".github/workflows/release.yml"
            }
            "sigstore@0.4.0" | "sigstore@1.0.0" | "tuf-js@1.0.0" | "@playwright+cli@0.1.1" => {
                ".github/workflows/publish.yml"
            }
            _ => identity.workflow.as_deref().unwrap_or_default(),
        };
        assert_eq!(
            identity.workflow.as_deref(),
            Some(expected_workflow),
            "{base}: {identity:?}"
        );
        for (suffix, provenance_bad) in [
            ("invalid-provenance-sig", true),
            ("invalid-publish-sig", false),
        ] {
            let path = dir.join(format!("attestations/{base}.{suffix}.json"));
            let Ok(body) = fs_err::read(&path) else {
                continue;
            };
            let report = verify_attestations(&body, &package, &verifier, &keys).unwrap();
            assert_eq!(
                matches!(report.provenance, ProvenanceOutcome::Invalid(_)),
                provenance_bad,
                "{base}.{suffix}"
            );
            assert_eq!(
                matches!(report.publish, PublishOutcome::Invalid(_)),
                !provenance_bad,
                "{base}.{suffix}"
            );
        }
        checked += 1;
    }
    assert_eq!(checked, 9);
}

#[test]
fn an_attestation_presented_for_another_package_fails() {
    let dir = fixtures().join("npm-registry");
    let verifier = verifier_for(&dir.join("trusted_root.json"));
    let keys = RegistryKeys::from_json(&fs_err::read(dir.join("keys.json")).unwrap()).unwrap();
    let body = fs_err::read(dir.join("attestations/sigstore@2.3.1.json")).unwrap();
    let integrity = "sha512-8G+/XDU8wNsJOQS5ysDVO0Etg9/2uA5gR9l4ZwijjlwxBcrU6RPfwi2+jJmbP+Ap1Hlp/nVAaEO4Fj22/SL2gQ==";
    // The right tarball under another name: the subject name does not match.
    let renamed = NpmVersion {
        name: "sigstore-evil",
        version: "2.3.1",
        integrity,
    };
    let report = verify_attestations(&body, &renamed, &verifier, &keys).unwrap();
    assert!(
        matches!(&report.provenance, ProvenanceOutcome::Invalid(why) if why.contains("pkg:npm/sigstore-evil@2.3.1")),
        "{report:?}"
    );
    assert!(matches!(report.publish, PublishOutcome::Invalid(_)));
    // Another tarball under the right name: the digest does not match.
    let other = NpmVersion {
        name: "sigstore",
        version: "2.3.1",
        integrity: "sha512-KCwMX6k20mQyFkNYG2XT3lwK9u1P36wS9YURFd85zCXPrwrSLZCEh7/vMBFNYcJXRiBtGDS+T4/RZZF493zABA==",
    };
    let report = verify_attestations(&body, &other, &verifier, &keys).unwrap();
    assert!(report.failure().is_some(), "{report:?}");
    // Without the registry's attestation key the publish attestation cannot verify; with no
    // keys at all it is unchecked, never passed.
    let package = NpmVersion {
        name: "sigstore",
        version: "2.3.1",
        integrity,
    };
    let other_keys = RegistryKeys::from_json(
        &fs_err::read(
            fixtures().join("conformance/npm-provenance/keys/npm-v1-keys.other-keyid.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let report = verify_attestations(&body, &package, &verifier, &other_keys).unwrap();
    assert!(
        matches!(&report.publish, PublishOutcome::Invalid(why) if why.contains("no attestation key")),
        "{report:?}"
    );
    let report = verify_attestations(&body, &package, &verifier, &RegistryKeys::empty()).unwrap();
    assert!(
        matches!(&report.publish, PublishOutcome::Unchecked(_)),
        "{report:?}"
    );
    assert_eq!(report.failure(), None);
    assert!(sha512_of_integrity(integrity).is_ok());
}

/// Real `dist.signatures` from recorded packuments verify with the embedded registry keys.
#[test]
fn recorded_registry_signatures_verify_with_the_embedded_keys() {
    let dir = fixtures().join("npm-registry/signatures");
    let keys =
        RegistryKeys::from_json(chainward_provenance::trust::NPM_KEYS_JSON.as_bytes()).unwrap();
    let mut checked = 0;
    for entry in fs_err::read_dir(&dir).unwrap() {
        let record = read_json(&entry.unwrap().path());
        let signatures = signatures_of(&record["signatures"]);
        let published = record["published"]
            .as_str()
            .and_then(Timestamp::parse_rfc3339);
        let (name, version, integrity) = (
            record["name"].as_str().unwrap(),
            record["version"].as_str().unwrap(),
            record["integrity"].as_str().unwrap(),
        );
        let status =
            verify_registry_signature(&keys, name, version, integrity, &signatures, published);
        assert!(
            matches!(status, SignatureStatus::Verified(_)),
            "{name}@{version}: {status:?}"
        );
        let tampered =
            verify_registry_signature(&keys, name, "0.0.0-evil", integrity, &signatures, published);
        assert!(
            matches!(
                tampered,
                SignatureStatus::Invalid(SignatureFailure::BadSignature { .. })
            ),
            "{name}@{version}"
        );
        checked += 1;
    }
    assert_eq!(checked, 12);
}
