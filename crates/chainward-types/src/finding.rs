use std::fmt;

use serde::{Deserialize, Serialize};

use crate::hash::Hash;
use crate::model::{Ecosystem, Location};

/// How bad a finding is, ordered from `None` to `Critical`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// No severity (informational).
    None,
    /// CVSS 0.1 to 3.9.
    Low,
    /// CVSS 4.0 to 6.9.
    Medium,
    /// CVSS 7.0 to 8.9.
    High,
    /// CVSS 9.0 to 10, and every known-malicious package.
    Critical,
}

impl Severity {
    /// Every severity, most severe first.
    pub const ALL_DESC: [Self; 5] = [
        Self::Critical,
        Self::High,
        Self::Medium,
        Self::Low,
        Self::None,
    ];

    /// The lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Low => "low",
            Self::Medium => "medium",
            Self::High => "high",
            Self::Critical => "critical",
        }
    }

    /// The severity band of a CVSS base score.
    pub fn from_cvss_score(score: f64) -> Self {
        if score >= 9.0 {
            Self::Critical
        } else if score >= 7.0 {
            Self::High
        } else if score >= 4.0 {
            Self::Medium
        } else if score > 0.0 {
            Self::Low
        } else {
            Self::None
        }
    }

    /// Parses a lowercase or capitalised name (`high`, `HIGH`, `moderate` as medium).
    pub fn from_name(s: &str) -> Option<Self> {
        Some(match s.to_ascii_lowercase().as_str() {
            "none" => Self::None,
            "low" => Self::Low,
            "medium" | "moderate" => Self::Medium,
            "high" => Self::High,
            "critical" => Self::Critical,
            _ => return None,
        })
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A finding's stable code. Codes are never renamed or reused; each is documented.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum FindingCode {
    /// The package version is listed in a malicious-package record (OSV `MAL-`, or a RustSec
    /// advisory in the `malicious` category). Always critical.
    KnownMalicious,
    /// The package version is affected by a published vulnerability (GHSA, RustSec, PYSEC,
    /// CVE via OSV).
    KnownVulnerability,
    /// A RustSec informational advisory: the crate is unmaintained.
    Unmaintained,
    /// A RustSec informational advisory: the crate has unsound APIs.
    Unsound,
    /// A RustSec informational advisory of another kind (`notice`).
    AdvisoryNotice,
    /// An archive's bytes (cached tarball, .crate, cache zip, wheel) do not hash to what the lockfile pinned: the cache or download was tampered with or corrupted.
    IntegrityMismatch,
    /// An installed file differs from the same file in the package archive the lockfile pinned (or from its recorded hash): something rewrote it after download.
    FileModified,
    /// An installed package folder holds a file that is not in the package archive (or its RECORD / checksum list): something dropped it there.
    FileAdded,
    /// A file of the package archive (or of its RECORD / checksum list) is missing from the installed package.
    FileMissing,
    /// A package is installed (or cached for installation) that the lockfile does not list.
    NotInLockfile,
    /// The lockfile pins a package that is not installed where the lockfile says it is.
    NotInstalled,
    /// A package archive holds an entry with an absolute path, a `..` component or a link: it was read, never followed or unpacked.
    UnsafeArchiveEntry,
    /// The lockfile downloads a package over a plain-text protocol (http:, git:), so anyone on the path can swap it.
    InsecureOrigin,
    /// The lockfile downloads a package from a host outside the allowed list (by default the ecosystem's public registry).
    UntrustedHost,
    /// The resolved registry URL is for a different package than the lockfile entry names (a classic lockfile-injection trick).
    UrlNameMismatch,
    /// A downloaded package has no integrity hash in the lockfile, so nothing checks what is installed.
    MissingIntegrity,
    /// The only integrity hash the lockfile keeps for a package is SHA-1 (or MD5), which can be forged.
    WeakIntegrity,
    /// A git dependency is not pinned to a full commit, so the next install may fetch different code.
    UnpinnedGit,
    /// Between two snapshots of a project, the same package name and version came with a different hash: the release was republished, or the lockfile or registry was tampered with (`drift`).
    RepublishedOrTampered,
    /// Between two snapshots of a project, a package's origin moved: from a registry to git or a URL, to another registry host, or to another repository (`drift`).
    OriginChanged,
    /// The npm registry signature over `name@version:integrity` does not verify with the registry key it names, the key is unknown, or the key had expired when the version was published. Always critical.
    SignatureInvalid,
    /// A provenance or publish attestation (a Sigstore bundle) fails cryptographic verification, or its subject is not this package and tarball. Always critical.
    AttestationInvalid,
    /// The registry advertises attestations for this version that cannot be fetched or are not there.
    AttestationMissing,
    /// This version has no verified provenance while an earlier version of the package had it.
    ProvenanceDowngrade,
    /// This version was built from another repository, workflow file or kind of trigger than the identity pinned for the package.
    ProvenanceIdentityChanged,
}

impl FindingCode {
    /// Every code, for documentation and uniqueness tests.
    pub const ALL: [Self; 25] = [
        Self::KnownMalicious,
        Self::KnownVulnerability,
        Self::Unmaintained,
        Self::Unsound,
        Self::AdvisoryNotice,
        Self::IntegrityMismatch,
        Self::FileModified,
        Self::FileAdded,
        Self::FileMissing,
        Self::NotInLockfile,
        Self::NotInstalled,
        Self::UnsafeArchiveEntry,
        Self::InsecureOrigin,
        Self::UntrustedHost,
        Self::UrlNameMismatch,
        Self::MissingIntegrity,
        Self::WeakIntegrity,
        Self::UnpinnedGit,
        Self::RepublishedOrTampered,
        Self::OriginChanged,
        Self::SignatureInvalid,
        Self::AttestationInvalid,
        Self::AttestationMissing,
        Self::ProvenanceDowngrade,
        Self::ProvenanceIdentityChanged,
    ];

    /// The kebab-case id.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::KnownMalicious => "known-malicious",
            Self::KnownVulnerability => "known-vulnerability",
            Self::Unmaintained => "unmaintained",
            Self::Unsound => "unsound",
            Self::AdvisoryNotice => "advisory-notice",
            Self::IntegrityMismatch => "integrity-mismatch",
            Self::FileModified => "file-modified",
            Self::FileAdded => "file-added",
            Self::FileMissing => "file-missing",
            Self::NotInLockfile => "not-in-lockfile",
            Self::NotInstalled => "not-installed",
            Self::UnsafeArchiveEntry => "unsafe-archive-entry",
            Self::InsecureOrigin => "insecure-origin",
            Self::UntrustedHost => "untrusted-host",
            Self::UrlNameMismatch => "url-name-mismatch",
            Self::MissingIntegrity => "missing-integrity",
            Self::WeakIntegrity => "weak-integrity",
            Self::UnpinnedGit => "unpinned-git",
            Self::RepublishedOrTampered => "republished-or-tampered",
            Self::OriginChanged => "origin-changed",
            Self::SignatureInvalid => "signature-invalid",
            Self::AttestationInvalid => "attestation-invalid",
            Self::AttestationMissing => "attestation-missing",
            Self::ProvenanceDowngrade => "provenance-downgrade",
            Self::ProvenanceIdentityChanged => "provenance-identity-changed",
        }
    }

    /// The severity a finding of this code has when nothing more specific is known
    /// (advisory findings take theirs from the advisory).
    pub fn default_severity(self) -> Severity {
        match self {
            Self::KnownMalicious => Severity::Critical,
            Self::KnownVulnerability => Severity::High,
            Self::Unmaintained | Self::Unsound | Self::AdvisoryNotice => Severity::None,
            Self::IntegrityMismatch
            | Self::RepublishedOrTampered
            | Self::SignatureInvalid
            | Self::AttestationInvalid => Severity::Critical,
            // A release without the provenance its predecessors had is how hijacked publish
            // tokens show (the nx compromise of 2025): as serious as an identity change.
            Self::ProvenanceIdentityChanged | Self::ProvenanceDowngrade => Severity::High,
            Self::AttestationMissing => Severity::Medium,
            Self::FileModified
            | Self::FileAdded
            | Self::UnsafeArchiveEntry
            | Self::InsecureOrigin
            | Self::UrlNameMismatch
            | Self::OriginChanged => Severity::High,
            Self::FileMissing
            | Self::NotInLockfile
            | Self::UntrustedHost
            | Self::MissingIntegrity
            | Self::UnpinnedGit => Severity::Medium,
            Self::NotInstalled | Self::WeakIntegrity => Severity::Low,
        }
    }

    /// One sentence on what the code means, for reports and SARIF rule help.
    pub fn description(self) -> &'static str {
        match self {
            Self::KnownMalicious => {
                "The installed version is a known-malicious package: treat every machine that installed it as compromised."
            }
            Self::KnownVulnerability => {
                "The installed version is affected by a published vulnerability."
            }
            Self::Unmaintained => "The crate is unmaintained according to a RustSec advisory.",
            Self::Unsound => "The crate has unsound APIs according to a RustSec advisory.",
            Self::AdvisoryNotice => "A RustSec informational notice applies to this crate.",
            Self::IntegrityMismatch => {
                "An archive's bytes (cached tarball, .crate, cache zip, wheel) do not hash to what the lockfile pinned: the cache or download was tampered with or corrupted."
            }
            Self::FileModified => {
                "An installed file differs from the same file in the package archive the lockfile pinned (or from its recorded hash): something rewrote it after download."
            }
            Self::FileAdded => {
                "An installed package folder holds a file that is not in the package archive (or its RECORD / checksum list): something dropped it there."
            }
            Self::FileMissing => {
                "A file of the package archive (or of its RECORD / checksum list) is missing from the installed package."
            }
            Self::NotInLockfile => {
                "A package is installed (or cached for installation) that the lockfile does not list."
            }
            Self::NotInstalled => {
                "The lockfile pins a package that is not installed where the lockfile says it is."
            }
            Self::UnsafeArchiveEntry => {
                "A package archive holds an entry with an absolute path, a `..` component or a link: it was read, never followed or unpacked."
            }
            Self::InsecureOrigin => {
                "The lockfile downloads a package over a plain-text protocol (http:, git:), so anyone on the path can swap it."
            }
            Self::UntrustedHost => {
                "The lockfile downloads a package from a host outside the allowed list (by default the ecosystem's public registry)."
            }
            Self::UrlNameMismatch => {
                "The resolved registry URL is for a different package than the lockfile entry names (a classic lockfile-injection trick)."
            }
            Self::MissingIntegrity => {
                "A downloaded package has no integrity hash in the lockfile, so nothing checks what is installed."
            }
            Self::WeakIntegrity => {
                "The only integrity hash the lockfile keeps for a package is SHA-1 (or MD5), which can be forged."
            }
            Self::UnpinnedGit => {
                "A git dependency is not pinned to a full commit, so the next install may fetch different code."
            }
            Self::RepublishedOrTampered => {
                "The same package name and version has a different hash than in an earlier snapshot: the release was republished, or the lockfile or registry was tampered with."
            }
            Self::OriginChanged => {
                "A package now comes from somewhere else than in an earlier snapshot (a registry to git or a URL, another registry host, another repository)."
            }
            Self::SignatureInvalid => {
                "The npm registry signature over name@version:integrity does not verify with the registry key it names, the key is unknown, or the key had expired when the version was published."
            }
            Self::AttestationInvalid => {
                "A provenance or publish attestation (a Sigstore bundle) fails cryptographic verification, or its subject is not this package and tarball."
            }
            Self::AttestationMissing => {
                "The registry advertises attestations for this version that cannot be fetched or are not there."
            }
            Self::ProvenanceDowngrade => {
                "This version has no verified provenance while an earlier version of the package had it: the release may not have come from the usual pipeline."
            }
            Self::ProvenanceIdentityChanged => {
                "This version was built from another repository, workflow file or kind of trigger than the identity pinned for the package."
            }
        }
    }
}

impl fmt::Display for FindingCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The package a finding is about.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct PackageRef {
    /// Ecosystem.
    pub ecosystem: Ecosystem,
    /// Normalised name.
    pub name: String,
    /// Version.
    pub version: String,
    /// Purl.
    pub purl: String,
}

/// The advisory behind a finding.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AdvisoryRef {
    /// The advisory id (`MAL-2025-46969`, `GHSA-...`, `RUSTSEC-...`, `PYSEC-...`).
    pub id: String,
    /// Every other id of the same advisory.
    pub aliases: Vec<String>,
    /// One-line summary.
    pub summary: String,
    /// Versions that fix it, lowest first, for the ranges that affect this version.
    pub fixed: Vec<String>,
    /// CVSS base score, when computed from a vector.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<f64>,
    /// The CVSS vector the score came from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vector: Option<String>,
    /// A link for people.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

/// One problem found, with its evidence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// Stable code.
    pub code: FindingCode,
    /// Severity.
    pub severity: Severity,
    /// The package.
    pub package: PackageRef,
    /// The advisory, for advisory findings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub advisory: Option<AdvisoryRef>,
    /// What was found, for people.
    pub message: String,
    /// Where the package was found.
    pub locations: Vec<Location>,
    /// What a verification compared, for integrity and origin findings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence: Option<Evidence>,
}

/// The evidence of an integrity or origin finding: which file, and both hashes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    /// The file that was checked: an installed file, a cached archive, or a path inside an
    /// archive (`archive!/path`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// What the lockfile, archive or record says the hash should be.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected: Option<Hash>,
    /// What the bytes on disk hash to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actual: Option<Hash>,
    /// The URL or other value the finding is about (an origin, an archive entry name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finding_codes_are_unique_and_kebab_case() {
        let mut seen = std::collections::BTreeSet::new();
        for c in FindingCode::ALL {
            assert!(seen.insert(c.as_str()), "duplicate code {c}");
            assert_eq!(serde_json::to_value(c).unwrap(), c.as_str());
            assert!(
                c.as_str()
                    .chars()
                    .all(|ch| ch.is_ascii_lowercase() || ch == '-')
            );
        }
    }

    #[test]
    fn severities_order_and_band_scores() {
        assert!(Severity::Critical > Severity::High && Severity::Low > Severity::None);
        assert_eq!(Severity::from_cvss_score(9.8), Severity::Critical);
        assert_eq!(Severity::from_cvss_score(7.0), Severity::High);
        assert_eq!(Severity::from_cvss_score(6.9), Severity::Medium);
        assert_eq!(Severity::from_cvss_score(0.1), Severity::Low);
        assert_eq!(Severity::from_cvss_score(0.0), Severity::None);
    }
}
