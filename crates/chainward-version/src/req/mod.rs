//! Version range expressions: npm ranges, Cargo requirements, PEP 440 specifiers.

mod pep440_req;
mod semver_req;

use std::fmt;

use chainward_types::Ecosystem;

use crate::error::{RangeError, VersionError};
use crate::version::Version;

/// Whether prerelease versions can match a range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum PrereleasePolicy {
    /// The ecosystem's own rule. npm and Cargo: a prerelease matches only a comparator set
    /// in which some comparator names a prerelease of the same `major.minor.patch`
    /// (`>=1.2.3-beta <2` matches `1.2.3-rc`, not `1.5.0-rc`). PEP 440: a version already
    /// chosen matches whenever it is within the bounds, prerelease or not (`packaging`'s
    /// `contains` with `prereleases=None`, PEP 440's "already present" rule).
    #[default]
    Ecosystem,
    /// Any version within the bounds matches (node-semver's `includePrerelease`).
    Include,
}

/// A parsed range expression of one ecosystem; see [`parse_range`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionReq {
    ecosystem: Ecosystem,
    source: Box<str>,
    repr: Repr,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Repr {
    Semver(semver_req::SemverReq),
    Pep440(pep440_req::SpecifierSet),
}

/// Parses a version range in the syntax of `ecosystem`.
///
/// - **npm**: node-semver ranges: `||` alternatives of space-separated comparators (`<`,
///   `<=`, `>`, `>=`, `=`, with spaces allowed after the operator), `^` and `~` (`~>`)
///   ranges, X-ranges (`1.x`, `1.2.*`, `*`, `x`, `""`, partial versions such as `1.2`),
///   hyphen ranges (`1.2 - 2.3.4`), lenient versions (`v1.2.3`, `1.2.3beta`).
/// - **crates.io**: Cargo requirements (the `semver` crate's `VersionReq`): comma-separated
///   comparators `=`, `>`, `>=`, `<`, `<=`, `~`, `^`, a bare version meaning `^`, and
///   wildcards (`*`, `1.*`, `1.2.x`). A leading `v` is tolerated.
/// - **PyPI**: PEP 440 specifier sets: comma-separated `==`, `!=`, `<=`, `>=`, `<`, `>`,
///   `~=`, `===`, with `==1.*`/`!=1.*` prefix matching and local versions on `==`/`!=`; an
///   empty set matches everything. A bare version is read as `==` (a convenience; PEP 440
///   itself requires an operator).
///
/// # Errors
///
/// [`RangeError`] naming the expression and the part that is wrong.
pub fn parse_range(ecosystem: Ecosystem, input: &str) -> Result<VersionReq, RangeError> {
    let repr = match ecosystem {
        Ecosystem::Npm => Repr::Semver(semver_req::parse_npm(input)?),
        Ecosystem::CratesIo => Repr::Semver(semver_req::parse_cargo(input)?),
        Ecosystem::PyPI => Repr::Pep440(pep440_req::parse(input)?),
    };
    Ok(VersionReq {
        ecosystem,
        source: input.trim().into(),
        repr,
    })
}

impl VersionReq {
    /// True when `version` is in the range, by the ecosystem's prerelease rule.
    /// A version of the other scheme never matches.
    pub fn matches(&self, version: &Version) -> bool {
        self.matches_with(version, PrereleasePolicy::Ecosystem)
    }

    /// True when `version` is in the range, with the given prerelease rule.
    pub fn matches_with(&self, version: &Version, policy: PrereleasePolicy) -> bool {
        match (&self.repr, version) {
            (Repr::Semver(req), Version::Semver(v)) => req.matches(v, policy),
            (Repr::Pep440(req), Version::Pep440(v)) => req.matches(v),
            _ => false,
        }
    }

    /// Parses `version` by the range's ecosystem and tests it with [`VersionReq::matches`].
    ///
    /// # Errors
    ///
    /// [`VersionError`] when `version` does not parse.
    pub fn matches_str(&self, version: &str) -> Result<bool, VersionError> {
        Ok(self.matches(&Version::parse(self.ecosystem, version)?))
    }

    /// The ecosystem whose syntax the range was written in.
    pub fn ecosystem(&self) -> Ecosystem {
        self.ecosystem
    }

    /// The expression as written (trimmed).
    pub fn as_str(&self) -> &str {
        &self.source
    }
}

impl fmt::Display for VersionReq {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}
