//! [`Packument`]: the parts of an npm packument (`GET /NAME`) that signature and provenance
//! checks need, parsed from private wire types that skip everything else.

use std::collections::BTreeMap;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, IgnoredAny};

use super::RegistryError;

/// An npm packument, reduced to what verification needs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Packument {
    /// The package name, as the registry writes it (`@scope/name` for scoped packages).
    pub name: String,
    /// Every published version, by version string.
    pub versions: BTreeMap<String, PackumentVersion>,
    /// Publish time by version, as the registry writes it (RFC 3339, e.g.
    /// `2025-07-31T09:09:48.449Z`; some mirrors write `+00:00` and their ingestion time).
    /// Versions without a time are absent; the `created` and `modified` keys are moved to
    /// [`Self::created`] and [`Self::modified`].
    pub time: BTreeMap<String, String>,
    /// `time.created`, when present.
    pub created: Option<String>,
    /// `time.modified`, when present.
    pub modified: Option<String>,
}

/// One version of a [`Packument`]: its `dist` object.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PackumentVersion {
    /// `dist.integrity`: the SRI string of the tarball (usually `sha512-…`).
    pub integrity: Option<String>,
    /// `dist.shasum`: the hex SHA-1 of the tarball.
    pub shasum: Option<String>,
    /// `dist.tarball`: the tarball URL.
    pub tarball: Option<String>,
    /// `dist.signatures`: `None` when the field is absent (mirrors strip it), `Some(vec![])`
    /// when it is present but empty. Absent means "cannot tell", never "unsigned".
    pub signatures: Option<Vec<RegistrySignature>>,
    /// `dist.attestations`: present when the registry holds attestations for this version.
    pub attestations: Option<AdvertisedAttestations>,
}

/// One entry of `dist.signatures`: an ECDSA signature by a registry key over
/// `name@version:integrity`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct RegistrySignature {
    /// The signing key's id, e.g. `SHA256:jl3bwswu80PjjokCgh0o2w5c2U4LhQAE57gj9cz1kzA`.
    pub keyid: String,
    /// The base64 DER signature.
    pub sig: String,
}

/// `dist.attestations`: where the registry says the attestations are, and what kind of
/// provenance they hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AdvertisedAttestations {
    /// `url`: the attestations URL, usually
    /// `https://registry.npmjs.org/-/npm/v1/attestations/NAME@VERSION`.
    pub url: Option<String>,
    /// `provenance.predicateType`, e.g. `https://slsa.dev/provenance/v1`.
    pub provenance_predicate_type: Option<String>,
}

impl Packument {
    /// Parses a packument body. `url` is where it came from, for the error message.
    ///
    /// Everything but `name`, `versions.*.dist` and `time` is skipped without being stored.
    ///
    /// # Errors
    ///
    /// [`RegistryError::Parse`] when the body is not JSON, or when a field that is read has
    /// the wrong shape (the message gives the line and column).
    pub fn parse(body: &[u8], url: &str) -> Result<Self, RegistryError> {
        let wire: PackumentWire =
            serde_json::from_slice(body).map_err(|e| RegistryError::Parse {
                url: url.to_owned(),
                message: e.to_string(),
            })?;
        Ok(Self::from(wire))
    }
}

/// The packument as npm writes it; unknown fields are skipped.
#[derive(Deserialize)]
struct PackumentWire {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    versions: Option<BTreeMap<String, VersionWire>>,
    #[serde(default)]
    time: Option<BTreeMap<String, MaybeString>>,
}

#[derive(Deserialize)]
struct VersionWire {
    #[serde(default)]
    dist: Option<DistWire>,
}

#[derive(Deserialize)]
struct DistWire {
    #[serde(default)]
    integrity: Option<String>,
    #[serde(default)]
    shasum: Option<String>,
    #[serde(default)]
    tarball: Option<String>,
    #[serde(default)]
    signatures: Option<Vec<RegistrySignature>>,
    #[serde(default)]
    attestations: Option<AttestationsWire>,
}

#[derive(Deserialize)]
struct AttestationsWire {
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    provenance: Option<ProvenanceWire>,
}

#[derive(Deserialize)]
struct ProvenanceWire {
    #[serde(default, rename = "predicateType")]
    predicate_type: Option<String>,
}

impl From<PackumentWire> for Packument {
    fn from(wire: PackumentWire) -> Self {
        let versions = wire
            .versions
            .unwrap_or_default()
            .into_iter()
            .map(|(version, v)| (version, PackumentVersion::from(v.dist)))
            .collect();
        let mut time: BTreeMap<String, String> = wire
            .time
            .unwrap_or_default()
            .into_iter()
            .filter_map(|(key, value)| Some((key, value.0?)))
            .collect();
        let created = time.remove("created");
        let modified = time.remove("modified");
        Self {
            name: wire.name.unwrap_or_default(),
            versions,
            time,
            created,
            modified,
        }
    }
}

impl From<Option<DistWire>> for PackumentVersion {
    fn from(dist: Option<DistWire>) -> Self {
        let Some(dist) = dist else {
            return Self::default();
        };
        Self {
            integrity: dist.integrity,
            shasum: dist.shasum,
            tarball: dist.tarball,
            signatures: dist.signatures,
            attestations: dist.attestations.map(|a| AdvertisedAttestations {
                url: a.url,
                provenance_predicate_type: a.provenance.and_then(|p| p.predicate_type),
            }),
        }
    }
}

/// A JSON value kept only when it is a string: `time` also holds objects (`unpublished`)
/// and, in old packuments, odd values that must not fail the whole packument.
struct MaybeString(Option<String>);

impl<'de> Deserialize<'de> for MaybeString {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(MaybeStringVisitor)
    }
}

struct MaybeStringVisitor;

impl<'de> de::Visitor<'de> for MaybeStringVisitor {
    type Value = MaybeString;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(MaybeString(Some(v.to_owned())))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(MaybeString(Some(v)))
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(MaybeString(None))
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Ok(MaybeString(None))
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Ok(MaybeString(None))
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(MaybeString(None))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(MaybeString(None))
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(MaybeString(None))
    }

    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(MaybeString(None))
    }

    fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(MaybeString(None))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_dist_fields_and_skips_the_rest() {
        let body = br#"{
"_id": "a", "name": "a", "readme": "long text", "dist-tags": {"latest": "1.0.0"},
"versions": {
  "1.0.0": {"name": "a", "scripts": {"x": "y"}, "dist": {
    "integrity": "sha512-x", "shasum": "ab", "tarball": "https://r/a/-/a-1.0.0.tgz",
    "signatures": [{"keyid": "SHA256:k", "sig": "MEU=", "extra": 1}],
    "attestations": {"url": "https://r/-/npm/v1/attestations/a@1.0.0",
                     "provenance": {"predicateType": "https://slsa.dev/provenance/v1"}}}},
  "2.0.0": {"dist": {"integrity": "sha512-y", "signatures": []}},
  "3.0.0": {}
},
"time": {"created": "c", "modified": "m", "1.0.0": "2020-01-01T00:00:00.000Z",
         "unpublished": {"time": "t"}, "odd": 3}
}"#;
        let p = Packument::parse(body, "https://r/a").unwrap();
        assert_eq!(p.name, "a");
        let v1 = &p.versions["1.0.0"];
        assert_eq!(v1.integrity.as_deref(), Some("sha512-x"));
        assert_eq!(v1.shasum.as_deref(), Some("ab"));
        assert_eq!(
            v1.signatures.as_deref(),
            Some(
                &[RegistrySignature {
                    keyid: "SHA256:k".into(),
                    sig: "MEU=".into()
                }][..]
            )
        );
        let att = v1.attestations.as_ref().unwrap();
        assert_eq!(
            att.provenance_predicate_type.as_deref(),
            Some("https://slsa.dev/provenance/v1")
        );
        assert_eq!(p.versions["2.0.0"].signatures, Some(vec![]));
        assert_eq!(p.versions["3.0.0"], PackumentVersion::default());
        assert_eq!(p.created.as_deref(), Some("c"));
        assert_eq!(p.modified.as_deref(), Some("m"));
        assert_eq!(p.time.len(), 1);
        assert_eq!(p.time["1.0.0"], "2020-01-01T00:00:00.000Z");
    }

    #[test]
    fn reports_where_the_json_is_invalid() {
        let err =
            Packument::parse(b"{\"name\": \"a\",\n \"versions\": [}", "https://r/a").unwrap_err();
        let message = err.to_string();
        assert!(message.contains("https://r/a"), "{message}");
        assert!(message.contains("line 2"), "{message}");
    }

    #[test]
    fn rejects_a_malformed_signature_list() {
        let body = br#"{"name":"a","versions":{"1.0.0":{"dist":{"signatures":[{"sig":"x"}]}}}}"#;
        assert!(matches!(
            Packument::parse(body, "u"),
            Err(RegistryError::Parse { .. })
        ));
    }
}
