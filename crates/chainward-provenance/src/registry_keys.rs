//! npm registry signing keys and registry signatures.
//!
//! The registry signs `"<name>@<version>:<integrity>"` with ECDSA P-256 / SHA-256 and puts
//! the signature (base64 DER) with its key id in the packument's `dist.signatures`. Keys come
//! in two formats, both read by [`RegistryKeys::from_json`]:
//! - `GET /-/npm/v1/keys`: `{"keys": [{"keyid", "keytype", "scheme", "key", "expires"}]}`;
//! - the TUF target `keys.json`: `{"keys": [{"keyId", "keyUsage", "publicKey": {"rawBytes",
//!   "keyDetails", "validFor": {"start", "end"}}}]}`.
//!
//! [`verify_registry_signature`] follows `npm audit signatures` (pacote): every signature must
//! name a known key, the key must have been valid when the version was published (when the
//! publish time is unknown, pacote's default of 2015-01-01 is used), and the signature must
//! verify. The TUF `validFor.start` is also honoured (pacote ignores it): a signature made
//! with a key before its validity starts is not accepted.

use base64::Engine as _;
use chainward_types::Timestamp;
use serde::Deserialize;
use sigstore_verify::crypto::{SigningScheme, VerificationKey};
use sigstore_verify::types::{DerPublicKey, SignatureBytes};

/// What a key may sign (the TUF `keyUsage`).
pub const USAGE_SIGNATURES: &str = "npm:signatures";
/// The usage of keys that sign npm publish attestations.
pub const USAGE_ATTESTATIONS: &str = "npm:attestations";

/// The publish time pacote assumes when the packument gives none.
pub const DEFAULT_PUBLISH_TIME: &str = "2015-01-01T00:00:00.000Z";

/// One registry signing key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryKey {
    /// The key id (`SHA256:...`).
    pub keyid: String,
    /// The public key, SPKI DER.
    pub spki: Vec<u8>,
    /// From when the key is valid, if stated.
    pub valid_from: Option<Timestamp>,
    /// Until when the key is valid, if stated.
    pub expires: Option<Timestamp>,
    /// What the key may sign; empty when the format does not say (the v1 keys endpoint).
    pub usages: Vec<String>,
}

impl RegistryKey {
    /// Whether the key may sign `usage`.
    pub fn allows(&self, usage: &str) -> bool {
        self.usages.is_empty() || self.usages.iter().any(|u| u == usage)
    }

    /// Whether the key was valid at `time`.
    pub fn valid_at(&self, time: Timestamp) -> bool {
        self.valid_from.is_none_or(|from| from <= time) && self.expires.is_none_or(|end| time < end)
    }
}

/// A registry's signing keys.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RegistryKeys {
    keys: Vec<RegistryKey>,
}

/// A keys file that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("registry keys: {0}")]
pub struct KeysError(String);

#[derive(Deserialize)]
struct KeysWire {
    keys: Vec<KeyWire>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum KeyWire {
    V1 {
        keyid: String,
        #[serde(default)]
        key: Option<String>,
        #[serde(default)]
        expires: Option<String>,
    },
    Tuf {
        #[serde(rename = "keyId")]
        key_id: String,
        #[serde(rename = "keyUsage", default)]
        key_usage: Option<String>,
        #[serde(rename = "publicKey")]
        public_key: TufPublicKey,
    },
}

#[derive(Deserialize)]
struct TufPublicKey {
    #[serde(rename = "rawBytes")]
    raw_bytes: String,
    #[serde(rename = "validFor", default)]
    valid_for: Option<TufValidFor>,
}

#[derive(Deserialize)]
struct TufValidFor {
    #[serde(default)]
    start: Option<String>,
    #[serde(default)]
    end: Option<String>,
}

impl RegistryKeys {
    /// No keys (a registry that serves none).
    pub fn empty() -> Self {
        Self::default()
    }

    /// Reads either keys format. A TUF file lists a key once per usage; those rows are merged.
    /// A key whose material is missing or not base64 is kept without material, so that
    /// signatures naming it fail.
    ///
    /// # Errors
    /// Not JSON of either format, or a validity time that is not RFC 3339.
    pub fn from_json(bytes: &[u8]) -> Result<Self, KeysError> {
        let wire: KeysWire = serde_json::from_slice(bytes).map_err(|e| {
            KeysError(format!(
                "not a /-/npm/v1/keys or TUF keys.json document (line {}, column {}): {e}",
                e.line(),
                e.column()
            ))
        })?;
        let time = |keyid: &str, what: &str, value: Option<String>| match value {
            None => Ok(None),
            Some(v) => Timestamp::parse_rfc3339(&v).map(Some).ok_or_else(|| {
                KeysError(format!("key {keyid}: {what} {v:?} is not an RFC 3339 time"))
            }),
        };
        // A key without usable material is kept (empty): a signature that names it then fails
        // to verify, as with npm, instead of the whole key set being refused.
        let decode = |b64: Option<&str>| -> Result<Vec<u8>, KeysError> {
            Ok(b64
                .and_then(|b| {
                    base64::engine::general_purpose::STANDARD
                        .decode(b.trim())
                        .ok()
                })
                .unwrap_or_default())
        };
        let mut keys: Vec<RegistryKey> = Vec::new();
        for key in wire.keys {
            let parsed = match key {
                KeyWire::V1 {
                    keyid,
                    key,
                    expires,
                } => RegistryKey {
                    spki: decode(key.as_deref())?,
                    expires: time(&keyid, "expires", expires)?,
                    valid_from: None,
                    usages: Vec::new(),
                    keyid,
                },
                KeyWire::Tuf {
                    key_id,
                    key_usage,
                    public_key,
                } => {
                    let (start, end) = public_key
                        .valid_for
                        .map_or((None, None), |v| (v.start, v.end));
                    RegistryKey {
                        spki: decode(Some(&public_key.raw_bytes))?,
                        valid_from: time(&key_id, "validFor.start", start)?,
                        expires: time(&key_id, "validFor.end", end)?,
                        usages: key_usage.into_iter().collect(),
                        keyid: key_id,
                    }
                }
            };
            match keys
                .iter_mut()
                .find(|k| k.keyid == parsed.keyid && k.spki == parsed.spki)
            {
                Some(existing) if !existing.usages.is_empty() && !parsed.usages.is_empty() => {
                    existing.usages.extend(parsed.usages);
                }
                _ => keys.push(parsed),
            }
        }
        Ok(Self { keys })
    }

    /// Whether there are no keys.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Every key.
    pub fn keys(&self) -> &[RegistryKey] {
        &self.keys
    }

    /// The key with this id that may sign `usage`.
    pub fn find(&self, keyid: &str, usage: &str) -> Option<&RegistryKey> {
        self.keys
            .iter()
            .find(|k| k.keyid == keyid && k.allows(usage))
    }
}

/// One `dist.signatures` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature<'a> {
    /// The key id.
    pub keyid: &'a str,
    /// The signature, base64 DER.
    pub sig: &'a str,
}

/// Why a registry signature was not accepted (pacote's error codes in the docs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignatureFailure {
    /// No key has the signature's key id (`EMISSINGSIGNATUREKEY`).
    UnknownKey {
        /// The key id the signature names.
        keyid: String,
    },
    /// The key was not valid when the version was published (`EEXPIREDSIGNATUREKEY`).
    KeyNotValid {
        /// The key id.
        keyid: String,
        /// The publish time compared.
        published: Timestamp,
    },
    /// The signature does not verify (`EINTEGRITYSIGNATURE`).
    BadSignature {
        /// The key id.
        keyid: String,
    },
}

impl std::fmt::Display for SignatureFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::UnknownKey { keyid } => {
                write!(
                    f,
                    "the registry has no key {keyid} that the signature names"
                )
            }
            Self::KeyNotValid { keyid, published } => write!(
                f,
                "key {keyid} was not valid when the version was published ({published})"
            ),
            Self::BadSignature { keyid } => write!(
                f,
                "the signature by {keyid} does not verify over name@version:integrity"
            ),
        }
    }
}

/// The registry signature status of one version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignatureStatus {
    /// Every signature verified; the key ids that signed.
    Verified(Vec<String>),
    /// A signature did not verify.
    Invalid(SignatureFailure),
    /// The registry has keys, but the version carries no signature.
    Missing,
}

/// Verifies `name@version:integrity` against the version's `dist.signatures`.
/// `published` is the version's publish time, if the packument gives one.
pub fn verify_registry_signature(
    keys: &RegistryKeys,
    name: &str,
    version: &str,
    integrity: &str,
    signatures: &[Signature<'_>],
    published: Option<Timestamp>,
) -> SignatureStatus {
    if signatures.is_empty() {
        return SignatureStatus::Missing;
    }
    let published = published
        .or_else(|| Timestamp::parse_rfc3339(DEFAULT_PUBLISH_TIME))
        .unwrap_or(Timestamp::from_unix_seconds(1_420_070_400));
    let message = format!("{name}@{version}:{integrity}");
    let mut signed_by = Vec::with_capacity(signatures.len());
    for signature in signatures {
        let Some(key) = keys.find(signature.keyid, USAGE_SIGNATURES) else {
            return SignatureStatus::Invalid(SignatureFailure::UnknownKey {
                keyid: signature.keyid.to_owned(),
            });
        };
        if !key.valid_at(published) {
            return SignatureStatus::Invalid(SignatureFailure::KeyNotValid {
                keyid: key.keyid.clone(),
                published,
            });
        }
        if !ecdsa_p256_verifies(&key.spki, message.as_bytes(), signature.sig) {
            return SignatureStatus::Invalid(SignatureFailure::BadSignature {
                keyid: key.keyid.clone(),
            });
        }
        signed_by.push(key.keyid.clone());
    }
    SignatureStatus::Verified(signed_by)
}

/// Whether `sig_b64` (base64 DER) is an ECDSA P-256/SHA-256 signature of `message` by `spki`.
pub fn ecdsa_p256_verifies(spki: &[u8], message: &[u8], sig_b64: &str) -> bool {
    let Ok(sig) = base64::engine::general_purpose::STANDARD.decode(sig_b64.trim()) else {
        return false;
    };
    let Ok(key) = VerificationKey::from_spki_with_scheme(
        &DerPublicKey::from(spki.to_vec()),
        SigningScheme::EcdsaP256Sha256,
    ) else {
        return false;
    };
    key.verify(message, &SignatureBytes::new(sig)).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const V1: &str = r#"{"keys":[{"expires":"2025-01-29T00:00:00.000Z","keyid":"SHA256:a","keytype":"ecdsa-sha2-nistp256","scheme":"ecdsa-sha2-nistp256","key":"AAEC"}]}"#;
    const TUF: &str = r#"{"keys":[
        {"keyId":"SHA256:b","keyUsage":"npm:signatures","publicKey":{"rawBytes":"AAEC","keyDetails":"PKIX_ECDSA_P256_SHA_256","validFor":{"start":"2025-01-13T00:00:00.000Z"}}},
        {"keyId":"SHA256:b","keyUsage":"npm:attestations","publicKey":{"rawBytes":"AAEC","keyDetails":"PKIX_ECDSA_P256_SHA_256","validFor":{"start":"2025-01-13T00:00:00.000Z"}}}]}"#;

    #[test]
    fn reads_v1_keys_with_expiry() {
        let keys = RegistryKeys::from_json(V1.as_bytes()).expect("parses");
        let key = keys.find("SHA256:a", USAGE_SIGNATURES).expect("found");
        assert_eq!(key.spki, [0, 1, 2]);
        let before = Timestamp::parse_rfc3339("2025-01-28T00:00:00Z").expect("time");
        let after = Timestamp::parse_rfc3339("2025-01-29T00:00:00Z").expect("time");
        assert!(key.valid_at(before));
        assert!(!key.valid_at(after));
    }

    #[test]
    fn merges_tuf_usages_and_honours_start() {
        let keys = RegistryKeys::from_json(TUF.as_bytes()).expect("parses");
        assert_eq!(keys.keys().len(), 1);
        let key = keys.find("SHA256:b", USAGE_ATTESTATIONS).expect("found");
        assert!(key.allows(USAGE_SIGNATURES));
        let early = Timestamp::parse_rfc3339("2024-12-01T00:00:00Z").expect("time");
        assert!(!key.valid_at(early));
    }

    #[test]
    fn rejects_garbage_with_position() {
        let err = RegistryKeys::from_json(b"{\"keys\": [1,").expect_err("fails");
        assert!(err.to_string().contains("line 1"), "{err}");
    }

    #[test]
    fn no_signatures_is_missing_not_verified() {
        let keys = RegistryKeys::from_json(V1.as_bytes()).expect("parses");
        assert_eq!(
            verify_registry_signature(&keys, "a", "1.0.0", "sha512-x", &[], None),
            SignatureStatus::Missing
        );
    }
}
