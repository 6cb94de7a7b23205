//! Sigstore bundle verification behind chainward's own [`BundleVerifier`] trait.
//!
//! [`SigstoreVerifier`] wraps the `sigstore-verify` crate (pinned to one version). For a
//! bundle (media types v0.1, v0.2 and v0.3) it performs, in this order:
//! 1. parse the bundle JSON (an unparseable bundle is an error, never a pass);
//! 2. for a certificate: the chain to a Fulcio CA of the trusted root, valid at the signing
//!    time, with the code-signing EKU, and its embedded SCT against a CT log of the root;
//! 3. the transparency log entry: the Rekor inclusion proof and signed checkpoint (Rekor v1
//!    and v2 logs), or the signed entry timestamp (SET) where there is no proof;
//! 4. RFC 3161 timestamps against the root's timestamp authorities;
//! 5. the signature: a DSSE envelope (over its PAE) or a message signature, with the
//!    certificate's key or the policy's public key;
//! 6. the artifact: the message digest or the in-toto subject digest equals the artifact's
//!    (given as bytes or as a SHA-256 or SHA-512 digest);
//! 7. the log entry is consistent with the signature, certificate and artifact;
//! 8. the identity policy: the OIDC issuer exactly, the certificate identity (SAN) exactly or
//!    by regular expression.
//!
//! Steps 1 to 7 are the library's; step 8's regular expression is ours (the library matches
//! exact identities only). A regular expression is searched for anywhere in the SAN, as
//! `cosign --certificate-identity-regexp` does; anchor it with `^...$` to match the whole SAN.

use chainward_types::Timestamp;
use sigstore_verify::trust_root::TrustedRoot;
use sigstore_verify::types::{
    Artifact, ArtifactDigest, Bundle, DerPublicKey, HashAlgorithm, SignatureContent,
};
use sigstore_verify::{PublicKeyVerificationPolicy, VerificationPolicy, Verifier};

/// The artifact a bundle is checked against.
#[derive(Debug, Clone, Copy)]
pub enum ArtifactInput<'a> {
    /// The artifact's bytes.
    Bytes(&'a [u8]),
    /// The artifact's SHA-256 digest.
    Sha256([u8; 32]),
    /// The artifact's SHA-512 digest (an npm tarball's `sha512-` integrity).
    Sha512([u8; 64]),
}

/// How the certificate identity (SAN) must look.
#[derive(Debug, Clone)]
pub enum IdentityRule {
    /// The SAN equals this string.
    Exact(String),
    /// The SAN matches this regular expression (searched anywhere; anchor it to match whole).
    Regex(regex::Regex),
}

/// Who must have signed.
#[derive(Debug, Clone)]
pub enum Policy {
    /// A Fulcio certificate; the identity and issuer are checked where given. With neither,
    /// any certificate that chains to the trusted root is accepted (the identity is reported).
    Keyless {
        /// The SAN rule.
        identity: Option<IdentityRule>,
        /// The OIDC issuer, exactly.
        issuer: Option<String>,
    },
    /// A public key (SPKI DER): the bundle must carry a public-key hint, not a certificate.
    PublicKey(Vec<u8>),
}

impl Policy {
    /// A keyless policy that accepts any identity (it is reported, not required).
    pub fn any_identity() -> Self {
        Self::Keyless {
            identity: None,
            issuer: None,
        }
    }
}

/// The Fulcio certificate's claims about the CI workload it was issued to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CertificateClaims {
    /// Source repository URI.
    pub source_repository: Option<String>,
    /// Source commit.
    pub source_commit: Option<String>,
    /// Source ref.
    pub source_ref: Option<String>,
    /// The build configuration (workflow) URI, with its ref.
    pub build_config: Option<String>,
    /// The build signer URI (the reusable workflow that signed, if any).
    pub build_signer: Option<String>,
    /// The trigger (`push`, `release`, ...).
    pub trigger: Option<String>,
    /// `github-hosted` or `self-hosted`.
    pub runner_environment: Option<String>,
    /// The repository named by the deprecated GitHub extensions (`owner/repo`).
    pub github_repository: Option<String>,
    /// The commit named by the deprecated GitHub extensions.
    pub github_sha: Option<String>,
    /// The trigger named by the deprecated GitHub extensions.
    pub github_trigger: Option<String>,
}

/// What a verified bundle proved.
#[derive(Debug, Clone, Default)]
pub struct Verified {
    /// The certificate SAN (keyless bundles).
    pub identity: Option<String>,
    /// The certificate's OIDC issuer (keyless bundles).
    pub issuer: Option<String>,
    /// The certificate's CI claims (keyless bundles).
    pub claims: CertificateClaims,
    /// The transparency log's authenticated integration time, where it has one (Rekor v1).
    pub integrated_time: Option<Timestamp>,
    /// The DSSE payload type and payload (the in-toto statement), for DSSE bundles.
    pub dsse: Option<(String, Vec<u8>)>,
    /// The bundle's media type.
    pub media_type: String,
}

/// Why a bundle did not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    /// The bundle is not a Sigstore bundle this verifier can read.
    #[error("unreadable bundle: {0}")]
    Parse(String),
    /// The trusted root could not be used.
    #[error("trusted root: {0}")]
    TrustedRoot(String),
    /// Cryptographic verification failed.
    #[error("{0}")]
    Failed(String),
    /// The signature verified but the signer is not who the policy requires.
    #[error("identity policy: {0}")]
    Policy(String),
}

/// Verifies Sigstore bundles. Implementations do cryptographic verification, never a
/// presence check.
pub trait BundleVerifier: Send + Sync {
    /// Verifies `bundle` (its JSON) over `artifact` under `policy`.
    ///
    /// # Errors
    /// The first check that failed.
    fn verify(
        &self,
        bundle: &[u8],
        artifact: ArtifactInput<'_>,
        policy: &Policy,
    ) -> Result<Verified, VerifyError>;
}

/// The Sigstore verifier for one trusted root.
pub struct SigstoreVerifier {
    verifier: Verifier,
}

impl std::fmt::Debug for SigstoreVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigstoreVerifier").finish_non_exhaustive()
    }
}

impl SigstoreVerifier {
    /// A verifier for a `trusted_root.json` (the Sigstore protobuf-specs JSON form).
    ///
    /// # Errors
    /// The root is not valid JSON, or holds malformed or unsupported keys or certificates.
    pub fn from_trusted_root_json(json: &str) -> Result<Self, VerifyError> {
        let root =
            TrustedRoot::from_json(json).map_err(|e| VerifyError::TrustedRoot(e.to_string()))?;
        let verifier = Verifier::new(&root).map_err(|e| VerifyError::TrustedRoot(e.to_string()))?;
        Ok(Self { verifier })
    }
}

impl BundleVerifier for SigstoreVerifier {
    fn verify(
        &self,
        bundle: &[u8],
        artifact: ArtifactInput<'_>,
        policy: &Policy,
    ) -> Result<Verified, VerifyError> {
        // 1. Parse.
        let text = std::str::from_utf8(bundle)
            .map_err(|e| VerifyError::Parse(format!("not UTF-8: {e}")))?;
        let bundle = Bundle::from_json(text).map_err(|e| VerifyError::Parse(e.to_string()))?;
        let artifact = to_artifact(artifact)?;
        let mut verified = Verified {
            media_type: bundle.media_type.as_str().to_owned(),
            ..Verified::default()
        };
        if let SignatureContent::DsseEnvelope(envelope) = &bundle.content {
            verified.dsse = Some((
                envelope.payload_type.clone(),
                envelope.payload.as_bytes().to_vec(),
            ));
        }
        // 2 to 7, and the exact part of 8, by the library.
        let result = match policy {
            Policy::PublicKey(spki) => {
                let key = PublicKeyVerificationPolicy::new(DerPublicKey::from(spki.clone()));
                self.verifier.verify(artifact, &bundle, &key)
            }
            Policy::Keyless { identity, issuer } => {
                let mut library_policy = VerificationPolicy::any_identity();
                if let Some(IdentityRule::Exact(identity)) = identity {
                    library_policy = library_policy.require_identity(identity.as_str());
                }
                if let Some(issuer) = issuer {
                    library_policy = library_policy.require_issuer(issuer.as_str());
                }
                self.verifier.verify(artifact, &bundle, &library_policy)
            }
        }
        .map_err(|e| match e {
            sigstore_verify::Error::IdentityMismatch { .. }
            | sigstore_verify::Error::IssuerMismatch { .. } => VerifyError::Policy(e.to_string()),
            other => VerifyError::Failed(other.to_string()),
        })?;
        verified.identity = result.identity().map(|san| san.as_str().to_owned());
        verified.issuer = result.issuer().map(str::to_owned);
        verified.integrated_time = result
            .integrated_time()
            .map(|t| Timestamp::from_unix_seconds(t.as_second()));
        if let Some(info) = result.certificate() {
            let c = &info.ci_claims;
            verified.claims = CertificateClaims {
                source_repository: c.source_repository_uri.clone(),
                source_commit: c.source_repository_digest.clone(),
                source_ref: c.source_repository_ref.clone(),
                build_config: c.build_config_uri.clone(),
                build_signer: c.build_signer_uri.clone(),
                trigger: c.build_trigger.clone(),
                runner_environment: c.runner_environment.clone(),
                github_repository: c.deprecated_github.workflow_repository.clone(),
                github_sha: c.deprecated_github.workflow_sha.clone(),
                github_trigger: c.deprecated_github.workflow_trigger.clone(),
            };
        }
        // 8. The identity regular expression.
        if let Policy::Keyless {
            identity: Some(IdentityRule::Regex(re)),
            ..
        } = policy
        {
            match &verified.identity {
                Some(san) if re.is_match(san) => {}
                Some(san) => {
                    return Err(VerifyError::Policy(format!(
                        "certificate identity {san} does not match {re}"
                    )));
                }
                None => {
                    return Err(VerifyError::Policy(
                        "the certificate names no identity to match".to_owned(),
                    ));
                }
            }
        }
        Ok(verified)
    }
}

/// The SPKI DER of a PEM public key (`-----BEGIN PUBLIC KEY-----`).
///
/// # Errors
/// Not a PEM public key.
pub fn public_key_from_pem(pem: &str) -> Result<Vec<u8>, VerifyError> {
    DerPublicKey::from_pem(pem)
        .map(|key| key.as_bytes().to_vec())
        .map_err(|e| VerifyError::Parse(format!("public key: {e}")))
}

fn to_artifact(input: ArtifactInput<'_>) -> Result<Artifact<'_>, VerifyError> {
    let digest = |algorithm, bytes: &[u8]| {
        ArtifactDigest::new(algorithm, bytes.to_vec())
            .map(Artifact::from_digest)
            .map_err(|e| VerifyError::Failed(e.to_string()))
    };
    match input {
        ArtifactInput::Bytes(bytes) => Ok(Artifact::from_blob(bytes)),
        ArtifactInput::Sha256(d) => digest(HashAlgorithm::Sha2256, &d),
        ArtifactInput::Sha512(d) => digest(HashAlgorithm::Sha2512, &d),
    }
}
