//! Errors, each naming the offending input.

use chainward_types::Ecosystem;

/// A version string that could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VersionError {
    /// The string is empty or only whitespace: there is no version to compare.
    #[error("empty version string")]
    Empty,
    /// The string is not a SemVer version, even read leniently.
    #[error("invalid SemVer version {input:?}: {reason}")]
    Semver {
        /// The string as given.
        input: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The string is not a PEP 440 version (only from strict parsing; lenient parsing reads
    /// it as a legacy version).
    #[error("invalid PEP 440 version {input:?}")]
    Pep440 {
        /// The string as given.
        input: String,
    },
}

/// A range or requirement expression that could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {ecosystem} version range {input:?}: {reason}")]
#[non_exhaustive]
pub struct RangeError {
    /// The ecosystem whose syntax was used.
    pub ecosystem: Ecosystem,
    /// The expression as given.
    pub input: String,
    /// What is wrong with it, naming the offending part.
    pub reason: String,
}

impl RangeError {
    pub(crate) fn new(ecosystem: Ecosystem, input: &str, reason: impl Into<String>) -> Self {
        Self {
            ecosystem,
            input: input.to_owned(),
            reason: reason.into(),
        }
    }
}

/// Why an OSV `affected` list could not be evaluated against a package version.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MatchError {
    /// The package has no version (an unpinned requirement, a git dependency), and the
    /// advisory does not affect every version, so the answer depends on what gets installed.
    /// The caller reports the package as not checked.
    #[error("{name} has no pinned version to check against the advisory's ranges")]
    Unpinned {
        /// The package name.
        name: String,
    },
    /// The installed version could not be parsed by the scheme a range needs.
    #[error("{name}@{version}: {source}")]
    Version {
        /// The package name.
        name: String,
        /// The version as given.
        version: String,
        /// Why it could not be parsed.
        #[source]
        source: VersionError,
    },
    /// A range event of the advisory could not be parsed, and no other range or listed
    /// version settled the answer.
    #[error("{name}: advisory range event {event:?}: {source}")]
    Event {
        /// The package name.
        name: String,
        /// The event's version string.
        event: String,
        /// Why it could not be parsed.
        #[source]
        source: VersionError,
    },
}
