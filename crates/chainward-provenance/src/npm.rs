//! npm attestations: the SLSA provenance and npm publish bundles of one package version.
//!
//! The registry serves `GET /-/npm/v1/attestations/NAME@VERSION` as
//! `{"attestations": [{"predicateType", "bundle"}]}`. [`verify_attestations`] checks, for
//! every attestation:
//! 1. the bundle verifies cryptographically over the tarball's SHA-512 (the package's
//!    `sha512-` integrity): a keyless Fulcio certificate for provenance, the registry key the
//!    DSSE signature names (usage `npm:attestations`, valid at the log's integration time) for
//!    a publish attestation;
//! 2. the DSSE payload is an in-toto statement whose predicate type is the one the registry
//!    listed, with a subject named by the package's purl and a `sha512` equal to the integrity;
//! 3. a publish attestation's predicate names this package and version;
//! 4. for provenance (SLSA v0.2 and v1), the [`BuildIdentity`]: the Fulcio certificate's
//!    claims first (Fulcio copied them from the CI's identity token), then the signed SLSA
//!    predicate for what the certificate does not state.
//!
//! Attestations of other predicate types are listed but not judged.

use base64::Engine as _;
use chainward_types::{BuildIdentity, Ecosystem, Origin, Timestamp};
use serde::Deserialize;
use serde_json::Value;

use crate::bundle::{ArtifactInput, BundleVerifier, Policy, Verified};
use crate::registry_keys::{RegistryKeys, USAGE_ATTESTATIONS};

/// The predicate type of an npm publish attestation.
pub const PUBLISH_PREDICATE: &str =
    "https://github.com/npm/attestation/tree/main/specs/publish/v0.1";
/// The prefix of SLSA provenance predicate types.
pub const SLSA_PREDICATE_PREFIX: &str = "https://slsa.dev/provenance/";

/// The package version an attestation must be about.
#[derive(Debug, Clone, Copy)]
pub struct NpmVersion<'a> {
    /// The package name (`@scope/name`).
    pub name: &'a str,
    /// The version.
    pub version: &'a str,
    /// The `sha512-` integrity of the tarball.
    pub integrity: &'a str,
}

impl NpmVersion<'_> {
    /// The purl an attestation subject must carry (`pkg:npm/%40scope/name@1.0.0`).
    pub fn purl(&self) -> String {
        chainward_types::purl::for_package(
            Ecosystem::Npm,
            self.name,
            self.version,
            &Origin::Registry { url: None },
        )
    }
}

/// The provenance verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProvenanceOutcome {
    /// A SLSA provenance attestation verified; who built the version.
    Verified {
        /// The build identity.
        identity: Box<BuildIdentity>,
        /// The SLSA predicate type (`https://slsa.dev/provenance/v1`).
        predicate_type: String,
    },
    /// A provenance attestation is there and does not verify.
    Invalid(String),
    /// The response holds no provenance attestation.
    Absent,
}

/// The npm publish attestation verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PublishOutcome {
    /// The publish attestation verified with this registry key.
    Verified {
        /// The key id.
        keyid: String,
    },
    /// It is there and does not verify.
    Invalid(String),
    /// It is there, but no registry keys are known to check it with (never a pass).
    Unchecked(String),
    /// The response holds no publish attestation.
    Absent,
}

/// Both verdicts for one version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttestationReport {
    /// SLSA provenance.
    pub provenance: ProvenanceOutcome,
    /// npm publish attestation.
    pub publish: PublishOutcome,
    /// Predicate types present that were not judged.
    pub other: Vec<String>,
}

impl AttestationReport {
    /// The first failure, if any attestation did not verify.
    pub fn failure(&self) -> Option<String> {
        match (&self.provenance, &self.publish) {
            (ProvenanceOutcome::Invalid(why), _) => Some(format!("provenance: {why}")),
            (_, PublishOutcome::Invalid(why)) => Some(format!("publish attestation: {why}")),
            _ => None,
        }
    }
}

#[derive(Deserialize)]
struct AttestationsWire {
    attestations: Vec<AttestationWire>,
}

#[derive(Deserialize)]
struct AttestationWire {
    #[serde(rename = "predicateType")]
    predicate_type: String,
    bundle: Box<serde_json::value::RawValue>,
}

/// Verifies an attestations response for `package`.
///
/// # Errors
/// The response is not an attestations document, or the integrity is not SHA-512 (an npm
/// attestation subject is always the tarball's SHA-512).
pub fn verify_attestations(
    body: &[u8],
    package: &NpmVersion<'_>,
    verifier: &dyn BundleVerifier,
    keys: &RegistryKeys,
) -> Result<AttestationReport, String> {
    let wire: AttestationsWire = serde_json::from_slice(body).map_err(|e| {
        format!(
            "not an attestations response (line {}, column {}): {e}",
            e.line(),
            e.column()
        )
    })?;
    let sha512 = sha512_of_integrity(package.integrity)?;
    let mut report = AttestationReport {
        provenance: ProvenanceOutcome::Absent,
        publish: PublishOutcome::Absent,
        other: Vec::new(),
    };
    for attestation in &wire.attestations {
        let bundle = attestation.bundle.get().as_bytes();
        if attestation.predicate_type == PUBLISH_PREDICATE && keys.is_empty() {
            if matches!(report.publish, PublishOutcome::Absent) {
                report.publish = PublishOutcome::Unchecked(
                    "no registry keys are known to verify the npm publish attestation with"
                        .to_owned(),
                );
            }
        } else if attestation.predicate_type == PUBLISH_PREDICATE {
            let outcome = match verify_publish(
                bundle,
                &attestation.predicate_type,
                package,
                &sha512,
                verifier,
                keys,
            ) {
                Ok(keyid) => PublishOutcome::Verified { keyid },
                Err(why) => PublishOutcome::Invalid(why),
            };
            if !matches!(
                report.publish,
                PublishOutcome::Invalid(_) | PublishOutcome::Unchecked(_)
            ) {
                report.publish = outcome;
            }
        } else if attestation
            .predicate_type
            .starts_with(SLSA_PREDICATE_PREFIX)
        {
            let outcome = match verify_provenance(
                bundle,
                &attestation.predicate_type,
                package,
                &sha512,
                verifier,
            ) {
                Ok(identity) => ProvenanceOutcome::Verified {
                    identity: Box::new(identity),
                    predicate_type: attestation.predicate_type.clone(),
                },
                Err(why) => ProvenanceOutcome::Invalid(why),
            };
            if !matches!(report.provenance, ProvenanceOutcome::Invalid(_)) {
                report.provenance = outcome;
            }
        } else {
            report.other.push(attestation.predicate_type.clone());
        }
    }
    Ok(report)
}

/// The 64 bytes of a `sha512-` integrity (the first SHA-512 of an SRI string).
///
/// # Errors
/// No SHA-512 in the integrity, or not base64 of 64 bytes.
pub fn sha512_of_integrity(integrity: &str) -> Result<[u8; 64], String> {
    let b64 = integrity
        .split_whitespace()
        .find_map(|part| part.strip_prefix("sha512-"))
        .ok_or_else(|| format!("integrity {integrity:?} has no sha512"))?;
    let b64 = b64.split('?').next().unwrap_or(b64);
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .map_err(|e| format!("integrity {integrity:?}: {e}"))?;
    bytes
        .try_into()
        .map_err(|_| format!("integrity {integrity:?} is not 64 bytes of SHA-512"))
}

fn verify_provenance(
    bundle: &[u8],
    predicate_type: &str,
    package: &NpmVersion<'_>,
    sha512: &[u8; 64],
    verifier: &dyn BundleVerifier,
) -> Result<BuildIdentity, String> {
    // 1. Cryptographic verification (keyless).
    let verified = verifier
        .verify(
            bundle,
            ArtifactInput::Sha512(*sha512),
            &Policy::any_identity(),
        )
        .map_err(|e| e.to_string())?;
    if verified.issuer.is_none() {
        return Err(
            "the provenance is not signed by a Fulcio certificate with an OIDC issuer".to_owned(),
        );
    }
    // 2. The statement.
    let statement = statement_of(&verified, predicate_type, package, sha512)?;
    // 4. Who built it.
    Ok(identity_of(
        &verified,
        statement.get("predicate").unwrap_or(&Value::Null),
    ))
}

fn verify_publish(
    bundle: &[u8],
    predicate_type: &str,
    package: &NpmVersion<'_>,
    sha512: &[u8; 64],
    verifier: &dyn BundleVerifier,
    keys: &RegistryKeys,
) -> Result<String, String> {
    // 1. The registry key the bundle names, then cryptographic verification with it.
    let keyid = publish_keyid(bundle)
        .ok_or_else(|| "the publish attestation names no registry key".to_owned())?;
    let key = keys.find(&keyid, USAGE_ATTESTATIONS).ok_or_else(|| {
        format!("the registry has no attestation key {keyid} that the publish attestation names")
    })?;
    let verified = verifier
        .verify(
            bundle,
            ArtifactInput::Sha512(*sha512),
            &Policy::PublicKey(key.spki.clone()),
        )
        .map_err(|e| e.to_string())?;
    if let Some(time) = verified.integrated_time
        && !key.valid_at(time)
    {
        return Err(format!(
            "registry key {keyid} was not valid when the attestation was logged ({time})"
        ));
    }
    // 2. The statement, and 3. its predicate.
    let statement = statement_of(&verified, predicate_type, package, sha512)?;
    let predicate = statement.get("predicate").unwrap_or(&Value::Null);
    let said = |field: &str| predicate.get(field).and_then(Value::as_str);
    if said("name") != Some(package.name) || said("version") != Some(package.version) {
        return Err(format!(
            "the publish attestation is for {}@{}, not {}@{}",
            said("name").unwrap_or("?"),
            said("version").unwrap_or("?"),
            package.name,
            package.version
        ));
    }
    Ok(keyid)
}

/// The key id of a publish bundle: the DSSE signature's, else the public-key hint.
fn publish_keyid(bundle: &[u8]) -> Option<String> {
    let value: Value = serde_json::from_slice(bundle).ok()?;
    let from_sig = value
        .pointer("/dsseEnvelope/signatures/0/keyid")
        .and_then(Value::as_str)
        .filter(|k| !k.is_empty());
    let from_hint = value
        .pointer("/verificationMaterial/publicKey/hint")
        .and_then(Value::as_str);
    from_sig.or(from_hint).map(str::to_owned)
}

/// Step 2: the in-toto statement inside a verified DSSE bundle is about this package.
fn statement_of(
    verified: &Verified,
    predicate_type: &str,
    package: &NpmVersion<'_>,
    sha512: &[u8; 64],
) -> Result<Value, String> {
    let Some((payload_type, payload)) = &verified.dsse else {
        return Err(
            "the attestation is a message signature, not a DSSE in-toto statement".to_owned(),
        );
    };
    if payload_type != "application/vnd.in-toto+json" {
        return Err(format!("DSSE payload type {payload_type:?} is not in-toto"));
    }
    let statement: Value = serde_json::from_slice(payload)
        .map_err(|e| format!("the in-toto statement is not JSON: {e}"))?;
    let stated = statement.get("predicateType").and_then(Value::as_str);
    if stated != Some(predicate_type) {
        return Err(format!(
            "the statement's predicate type {} is not the {predicate_type} the registry listed",
            stated.unwrap_or("(none)")
        ));
    }
    let purl = package.purl();
    let want = hex::encode(sha512);
    let subjects = statement
        .get("subject")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    let matching = subjects.iter().any(|s| {
        s.get("name")
            .and_then(Value::as_str)
            .is_some_and(|n| purl_eq(n, &purl))
            && s.pointer("/digest/sha512")
                .and_then(Value::as_str)
                .is_some_and(|d| d.eq_ignore_ascii_case(&want))
    });
    if !matching {
        let named: Vec<&str> = subjects
            .iter()
            .filter_map(|s| s.get("name").and_then(Value::as_str))
            .collect();
        return Err(format!(
            "no subject is {purl} with sha512 {}…: the statement is about {}",
            &want[..16],
            if named.is_empty() {
                "nothing".to_owned()
            } else {
                named.join(", ")
            }
        ));
    }
    Ok(statement)
}

/// Purls compare with the scope's `@` encoded or not (`%40scope` and `@scope`).
fn purl_eq(a: &str, b: &str) -> bool {
    a == b || a.replacen("%40", "@", 1) == b.replacen("%40", "@", 1)
}

/// Step 4: the build identity, certificate claims first, then the SLSA predicate.
fn identity_of(verified: &Verified, predicate: &Value) -> BuildIdentity {
    let c = &verified.claims;
    let github = verified
        .issuer
        .as_deref()
        .is_some_and(|i| i == "https://token.actions.githubusercontent.com");
    let san = verified.identity.clone();
    // A GitHub Actions SAN is https://github.com/OWNER/REPO/PATH@REF.
    let san_parts = san
        .as_deref()
        .filter(|_| github)
        .and_then(split_github_workflow_uri);
    let mut id = BuildIdentity {
        issuer: verified.issuer.clone(),
        san: san.clone(),
        builder: None,
        repository: c.source_repository.clone().or_else(|| {
            c.github_repository
                .as_ref()
                .filter(|_| github)
                .map(|r| format!("https://github.com/{r}"))
        }),
        commit: c.source_commit.clone().or_else(|| c.github_sha.clone()),
        workflow: c
            .build_config
            .as_deref()
            .and_then(split_github_workflow_uri)
            .map(|(_, path, _)| path),
        git_ref: c.source_ref.clone(),
        trigger: c.trigger.clone().or_else(|| c.github_trigger.clone()),
        runner: c.runner_environment.clone(),
    };
    let text = |pointer: &str| {
        predicate
            .pointer(pointer)
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    // SLSA v1 (GitHub Actions build type).
    if predicate.get("buildDefinition").is_some() {
        id.builder = text("/runDetails/builder/id");
        fill(
            &mut id.repository,
            text("/buildDefinition/externalParameters/workflow/repository"),
        );
        fill(
            &mut id.workflow,
            text("/buildDefinition/externalParameters/workflow/path"),
        );
        fill(
            &mut id.git_ref,
            text("/buildDefinition/externalParameters/workflow/ref"),
        );
        fill(
            &mut id.trigger,
            text("/buildDefinition/internalParameters/github/event_name"),
        );
        fill(
            &mut id.runner,
            text("/buildDefinition/internalParameters/github/runner_environment"),
        );
        fill(
            &mut id.commit,
            text("/buildDefinition/resolvedDependencies/0/digest/gitCommit"),
        );
    }
    // SLSA v0.2 (npm's GitHub Actions build type).
    if predicate.get("invocation").is_some() {
        id.builder = text("/builder/id");
        let env = |key: &str| text(&format!("/invocation/environment/{key}"));
        fill(
            &mut id.repository,
            env("GITHUB_REPOSITORY").map(|r| format!("https://github.com/{r}")),
        );
        fill(
            &mut id.commit,
            text("/invocation/configSource/digest/sha1").or_else(|| env("GITHUB_SHA")),
        );
        fill(&mut id.trigger, env("GITHUB_EVENT_NAME"));
        fill(&mut id.git_ref, env("GITHUB_REF"));
        fill(&mut id.runner, env("RUNNER_ENVIRONMENT"));
        if id.workflow.is_none() {
            // GITHUB_WORKFLOW_REF is OWNER/REPO/PATH@REF; the entry point is that or a bare
            // PATH (the SLSA generator's delegator).
            let from = |value: String| {
                let path = value.split('@').next().unwrap_or(&value).to_owned();
                if path.starts_with(".github/") {
                    Some(path)
                } else {
                    path.splitn(3, '/').nth(2).map(str::to_owned)
                }
            };
            id.workflow = env("GITHUB_WORKFLOW_REF")
                .and_then(from)
                .or_else(|| text("/invocation/configSource/entryPoint").and_then(from));
        }
    }
    if let Some((repo, path, git_ref)) = san_parts {
        fill(&mut id.repository, Some(repo));
        fill(&mut id.workflow, Some(path));
        fill(&mut id.git_ref, Some(git_ref));
    }
    id
}

fn fill(slot: &mut Option<String>, value: Option<String>) {
    if slot.is_none() {
        *slot = value.filter(|v| !v.is_empty());
    }
}

/// `https://github.com/OWNER/REPO/PATH@REF` into (`https://github.com/OWNER/REPO`, PATH, REF).
fn split_github_workflow_uri(uri: &str) -> Option<(String, String, String)> {
    let rest = uri.strip_prefix("https://github.com/")?;
    let (path_part, git_ref) = rest.split_once('@')?;
    let mut segments = path_part.splitn(3, '/');
    let owner = segments.next()?;
    let repo = segments.next()?;
    let path = segments.next()?;
    Some((
        format!("https://github.com/{owner}/{repo}"),
        path.to_owned(),
        git_ref.to_owned(),
    ))
}

/// The publish time of a version as a [`Timestamp`], from a packument's `time` entry.
pub fn parse_publish_time(value: &str) -> Option<Timestamp> {
    Timestamp::parse_rfc3339(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_github_workflow_uris() {
        assert_eq!(
            split_github_workflow_uri(
                "https://github.com/sigstore/sigstore-js/.github/workflows/release.yml@refs/heads/main"
            ),
            Some((
                "https://github.com/sigstore/sigstore-js".to_owned(),
                ".github/workflows/release.yml".to_owned(),
                "refs/heads/main".to_owned()
            ))
        );
        assert_eq!(
            split_github_workflow_uri("https://gitlab.com/a/b//x@y"),
            None
        );
    }

    #[test]
    fn scoped_purl_encodes_the_at_sign() {
        let v = NpmVersion {
            name: "@playwright/cli",
            version: "0.1.1",
            integrity: "",
        };
        assert_eq!(v.purl(), "pkg:npm/%40playwright/cli@0.1.1");
        assert!(purl_eq("pkg:npm/@playwright/cli@0.1.1", &v.purl()));
    }

    #[test]
    fn integrity_without_sha512_is_an_error() {
        assert!(sha512_of_integrity("sha1-abc=").is_err());
        assert!(sha512_of_integrity("sha512-AAAA").is_err());
    }
}
