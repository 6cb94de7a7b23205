//! The version schemes behind one enum.

use std::cmp::Ordering;
use std::fmt;

use chainward_types::Ecosystem;

use crate::error::VersionError;
use crate::pep440::Pep440Version;
use crate::semver::SemVer;

/// A version scheme: how version strings parse and order.
///
/// An enum rather than a trait: there are two schemes, dispatch is a `match`, and a
/// [`Version`] can be stored without generics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scheme {
    /// SemVer 2.0 precedence ([`SemVer`]): npm, crates.io, and OSV `SEMVER` ranges in any
    /// ecosystem.
    Semver,
    /// PEP 440 with legacy fallback ([`Pep440Version`]): PyPI.
    Pep440,
}

impl Scheme {
    /// The scheme of an ecosystem's own versions (OSV `ECOSYSTEM` ranges).
    pub fn of(ecosystem: Ecosystem) -> Self {
        match ecosystem {
            Ecosystem::Npm | Ecosystem::CratesIo => Self::Semver,
            Ecosystem::PyPI => Self::Pep440,
        }
    }

    /// Parses a version string by this scheme.
    ///
    /// # Errors
    ///
    /// [`VersionError`] naming the input when it is not a version of this scheme.
    pub fn parse(self, input: &str) -> Result<Version, VersionError> {
        match self {
            Self::Semver => SemVer::parse(input).map(Version::Semver),
            Self::Pep440 => Pep440Version::parse(input).map(Version::Pep440),
        }
    }

    /// Compares two version strings by this scheme.
    ///
    /// # Errors
    ///
    /// [`VersionError`] for the first string that does not parse.
    pub fn compare(self, a: &str, b: &str) -> Result<Ordering, VersionError> {
        Ok(self.parse(a)?.cmp(&self.parse(b)?))
    }
}

/// A parsed version of either scheme.
///
/// Versions of the same scheme compare by that scheme. `Ord` is total so that versions can be
/// sorted and used as map keys, but the order between schemes (every SemVer version before
/// every PEP 440 version) means nothing; never compare versions of different schemes.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Version {
    /// A SemVer version.
    Semver(SemVer),
    /// A PEP 440 (or legacy Python) version.
    Pep440(Pep440Version),
}

impl Version {
    /// Parses a version string by the scheme of `ecosystem`.
    ///
    /// # Errors
    ///
    /// [`VersionError`] naming the input when it is not a version of that scheme.
    pub fn parse(ecosystem: Ecosystem, input: &str) -> Result<Self, VersionError> {
        Scheme::of(ecosystem).parse(input)
    }

    /// The scheme this version belongs to.
    pub fn scheme(&self) -> Scheme {
        match self {
            Self::Semver(_) => Scheme::Semver,
            Self::Pep440(_) => Scheme::Pep440,
        }
    }

    /// True for a prerelease (SemVer) or a pre- or dev release (PEP 440).
    pub fn is_prerelease(&self) -> bool {
        match self {
            Self::Semver(v) => v.is_prerelease(),
            Self::Pep440(v) => v.is_prerelease(),
        }
    }

    /// The SemVer version, if this is one.
    pub fn as_semver(&self) -> Option<&SemVer> {
        match self {
            Self::Semver(v) => Some(v),
            Self::Pep440(_) => None,
        }
    }

    /// The PEP 440 version, if this is one.
    pub fn as_pep440(&self) -> Option<&Pep440Version> {
        match self {
            Self::Pep440(v) => Some(v),
            Self::Semver(_) => None,
        }
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Semver(v) => v.fmt(f),
            Self::Pep440(v) => v.fmt(f),
        }
    }
}

impl From<SemVer> for Version {
    fn from(v: SemVer) -> Self {
        Self::Semver(v)
    }
}

impl From<Pep440Version> for Version {
    fn from(v: Pep440Version) -> Self {
        Self::Pep440(v)
    }
}
