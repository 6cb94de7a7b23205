//! SemVer 2.0 versions as npm, Cargo and OSV's `SEMVER` ranges order them, parsed leniently.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::str::FromStr;

use crate::error::VersionError;
use crate::num::{Num, cmp_digits, is_digits};

/// A SemVer 2.0 version, ordered by SemVer precedence.
///
/// One type serves npm, crates.io and OSV `SEMVER` ranges: the three order versions the same
/// way (SemVer §11), and real lockfiles and advisories only ever hold versions whose meaning
/// is the same in all three.
///
/// # Ordering
///
/// `major.minor.patch` compare numerically, with no size limit (components beyond `u64`
/// compare as digit strings). A version with a prerelease sorts before the same version
/// without one; prerelease identifiers compare left to right, numeric ones numerically and
/// below alphanumeric ones, which compare in ASCII order; a longer list of equal identifiers
/// sorts higher. **Build metadata is ignored**: `1.2.3+a == 1.2.3+b`. That is SemVer
/// precedence, node-semver's `compare`, and what RustSec and OSV use to compare versions. The
/// `semver` crate's `Ord` also compares build metadata (after precedence) to make a total order
/// for sorting, but its `VersionReq::matches`, and so Cargo's resolution and `cargo audit`,
/// never look at it; crates.io refuses two versions that differ only in build metadata. `Eq`
/// and `Hash` agree with this ordering; [`SemVer::build`] still gives the metadata back.
///
/// # Lenient parsing
///
/// Accepted beyond strict SemVer, because lockfiles and OSV records contain them:
/// surrounding whitespace; any number of leading `=`, `v` or `V` (`v1.2.3`, `=1.2.3`);
/// missing minor or patch (`1.2` is `1.2.0`, `1` is `1.0.0`, as OSV reads them); leading zeros
/// in numbers (`01.2.3` is `1.2.3`); a prerelease without its hyphen (`2.0.0rc2` is
/// `2.0.0-rc2`, as osv-scalibr reads it); and numeric components past the third
/// (`0.0.0.1`), which extend the release and compare after `patch`, zero-padded
/// (`1.2.3.0 == 1.2.3 < 1.2.3.1 < 1.2.4`).
///
/// That last rule differs from osv-scalibr, which folds extra components into the prerelease
/// (so there `0.0.0.1 < 0.0.0`); no npm or crates.io version can have four components, and
/// no conformance vector depends on the difference.
#[derive(Debug, Clone)]
pub struct SemVer {
    major: Num,
    minor: Num,
    patch: Num,
    /// Numeric components after the third (lenient input only); usually empty.
    extra: Box<[Num]>,
    /// The prerelease, without its leading `-`; empty for a release.
    pre: Box<str>,
    /// The build metadata, without its leading `+`; empty when absent.
    build: Box<str>,
}

impl SemVer {
    /// Parses a version leniently (see the type's documentation).
    ///
    /// # Errors
    ///
    /// [`VersionError::Empty`] for an empty string, [`VersionError::Semver`] for anything that
    /// is not a version even leniently (`latest`, `1.x`, `1.2.3-`, `^1.2`).
    pub fn parse(input: &str) -> Result<Self, VersionError> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(VersionError::Empty);
        }
        let fail = |reason: &'static str| VersionError::Semver {
            input: input.to_owned(),
            reason,
        };
        let prefix = trimmed
            .bytes()
            .take_while(|b| matches!(b, b'=' | b'v' | b'V') || b.is_ascii_whitespace())
            .count();
        let s = &trimmed[prefix..];
        if s.is_empty() {
            return Err(fail("no version number"));
        }
        let bytes = s.as_bytes();
        // The first three components go to fixed slots: no allocation for common versions.
        let mut release = [Num::ZERO, Num::ZERO, Num::ZERO];
        let mut extra: Vec<Num> = Vec::new();
        let mut count = 0;
        let mut i = 0;
        loop {
            let start = i;
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                i += 1;
            }
            if start == i {
                return Err(fail(if count == 0 {
                    "expected a number"
                } else {
                    "expected a number after '.'"
                }));
            }
            let n = Num::from_digits(&s[start..i]);
            match release.get_mut(count) {
                Some(slot) => *slot = n,
                None => extra.push(n),
            }
            count += 1;
            if i < bytes.len() && bytes[i] == b'.' {
                i += 1;
                continue;
            }
            break;
        }
        let rest = &s[i..];
        let (pre, build) =
            split_pre_build(rest).ok_or_else(|| fail("invalid prerelease or build metadata"))?;
        let [major, minor, patch] = release;
        Ok(Self {
            major,
            minor,
            patch,
            extra: extra.into_boxed_slice(),
            pre: pre.into(),
            build: build.into(),
        })
    }

    /// A release version `major.minor.patch`.
    pub fn new(major: u64, minor: u64, patch: u64) -> Self {
        Self::from_parts(Num::Small(major), Num::Small(minor), Num::Small(patch), "")
    }

    pub(crate) fn from_parts(major: Num, minor: Num, patch: Num, pre: &str) -> Self {
        Self {
            major,
            minor,
            patch,
            extra: Box::new([]),
            pre: pre.into(),
            build: "".into(),
        }
    }

    /// True when `major.minor.patch` (and any extra components) are equal.
    pub(crate) fn same_release(&self, other: &Self) -> bool {
        self.cmp_release(other) == Ordering::Equal
    }

    /// The major version, or `None` when it does not fit in a `u64`.
    pub fn major(&self) -> Option<u64> {
        small(&self.major)
    }

    /// The minor version, or `None` when it does not fit in a `u64`.
    pub fn minor(&self) -> Option<u64> {
        small(&self.minor)
    }

    /// The patch version, or `None` when it does not fit in a `u64`.
    pub fn patch(&self) -> Option<u64> {
        small(&self.patch)
    }

    /// The prerelease identifiers, dot-separated, without the leading `-`; empty for a release.
    pub fn prerelease(&self) -> &str {
        &self.pre
    }

    /// The build metadata without the leading `+`; empty when there is none.
    pub fn build(&self) -> &str {
        &self.build
    }

    /// True when the version has a prerelease.
    pub fn is_prerelease(&self) -> bool {
        !self.pre.is_empty()
    }

    fn cmp_release(&self, other: &Self) -> Ordering {
        self.major
            .cmp(&other.major)
            .then_with(|| self.minor.cmp(&other.minor))
            .then_with(|| self.patch.cmp(&other.patch))
            .then_with(|| cmp_padded(&self.extra, &other.extra))
    }
}

fn small(n: &Num) -> Option<u64> {
    match n {
        Num::Small(v) => Some(*v),
        Num::Big(_) => None,
    }
}

/// Compares two component lists, padding the shorter with zeros.
fn cmp_padded(a: &[Num], b: &[Num]) -> Ordering {
    let len = a.len().max(b.len());
    for i in 0..len {
        let x = a.get(i).unwrap_or(&Num::ZERO);
        let y = b.get(i).unwrap_or(&Num::ZERO);
        match x.cmp(y) {
            Ordering::Equal => {}
            other => return other,
        }
    }
    Ordering::Equal
}

/// Splits what follows the numeric components into prerelease and build metadata.
/// Returns `None` when it is malformed.
fn split_pre_build(rest: &str) -> Option<(&str, &str)> {
    let (before_build, build) = match rest.bytes().position(|b| b == b'+') {
        Some(plus) => {
            let (before, build) = (&rest[..plus], &rest[plus + 1..]);
            if !valid_identifiers(build) {
                return None;
            }
            (before, build)
        }
        None => (rest, ""),
    };
    let pre = if let Some(pre) = before_build.strip_prefix('-') {
        pre
    } else if before_build.is_empty() {
        return Some(("", build));
    } else if before_build.as_bytes()[0].is_ascii_alphabetic() {
        // Lenient: `2.0.0rc2` is `2.0.0-rc2`.
        before_build
    } else {
        return None;
    };
    valid_identifiers(pre).then_some((pre, build))
}

/// True for a non-empty list of non-empty dot-separated `[0-9A-Za-z-]` identifiers.
pub(crate) fn valid_identifiers(s: &str) -> bool {
    !s.is_empty()
        && s.split('.')
            .all(|id| !id.is_empty() && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
}

/// Compares two non-empty prerelease strings by SemVer §11.4, without allocating.
pub(crate) fn cmp_prerelease(a: &str, b: &str) -> Ordering {
    /// Splits off the first dot-separated identifier.
    fn next(s: &[u8]) -> (&[u8], Option<&[u8]>) {
        match s.iter().position(|&c| c == b'.') {
            Some(dot) => (&s[..dot], Some(&s[dot + 1..])),
            None => (s, None),
        }
    }
    let (mut left, mut right) = (Some(a.as_bytes()), Some(b.as_bytes()));
    loop {
        let (x, y) = match (left, right) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) => (next(x), next(y)),
        };
        let order = match (is_digits(x.0), is_digits(y.0)) {
            (true, true) => cmp_digits(x.0, y.0),
            (true, false) => Ordering::Less,
            (false, true) => Ordering::Greater,
            (false, false) => x.0.cmp(y.0),
        };
        if order != Ordering::Equal {
            return order;
        }
        (left, right) = (x.1, y.1);
    }
}

impl Ord for SemVer {
    fn cmp(&self, other: &Self) -> Ordering {
        self.cmp_release(other)
            .then_with(|| match (self.pre.is_empty(), other.pre.is_empty()) {
                (true, true) => Ordering::Equal,
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                (false, false) => cmp_prerelease(&self.pre, &other.pre),
            })
    }
}

impl PartialOrd for SemVer {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for SemVer {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for SemVer {}

impl Hash for SemVer {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.major.hash(state);
        self.minor.hash(state);
        self.patch.hash(state);
        let significant = self
            .extra
            .iter()
            .rposition(|n| !n.is_zero())
            .map_or(0, |i| i + 1);
        self.extra[..significant].hash(state);
        for id in self.pre.split('.').filter(|id| !id.is_empty()) {
            if is_digits(id.as_bytes()) {
                id.trim_start_matches('0').hash(state);
                0u8.hash(state);
            } else {
                id.hash(state);
                1u8.hash(state);
            }
        }
    }
}

impl fmt::Display for SemVer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)?;
        for n in &self.extra {
            write!(f, ".{n}")?;
        }
        if !self.pre.is_empty() {
            write!(f, "-{}", self.pre)?;
        }
        if !self.build.is_empty() {
            write!(f, "+{}", self.build)?;
        }
        Ok(())
    }
}

impl FromStr for SemVer {
    type Err = VersionError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> SemVer {
        SemVer::parse(s).unwrap()
    }

    #[test]
    fn parses_lenient_forms() {
        assert_eq!(v("v1.2.3").to_string(), "1.2.3");
        assert_eq!(v("=1.2.3").to_string(), "1.2.3");
        assert_eq!(v("  =v1.2.3  ").to_string(), "1.2.3");
        assert_eq!(v("1.2").to_string(), "1.2.0");
        assert_eq!(v("1").to_string(), "1.0.0");
        assert_eq!(v("2.0.0rc2").to_string(), "2.0.0-rc2");
        assert_eq!(v("1.2.3-5-foo+b.1").prerelease(), "5-foo");
        assert_eq!(v("1.2.3-5-foo+b.1").build(), "b.1");
        assert_eq!(v("0.0.0.1").to_string(), "0.0.0.1");
        assert_eq!(v("1.2.3+build").build(), "build");
    }

    #[test]
    fn rejects_non_versions() {
        for bad in [
            "",
            " ",
            "v",
            "latest",
            "1.x",
            "^1.2.3",
            "1.2.3-",
            "1.2.3+",
            "1..2",
            "1.",
            "1.2.3-a..b",
            "1.2.3 4",
            "1.2.3_4",
            "-1.2.3",
        ] {
            assert!(SemVer::parse(bad).is_err(), "{bad:?} should not parse");
        }
    }

    #[test]
    fn orders_by_precedence() {
        assert!(v("1.0.0-alpha") < v("1.0.0-alpha.1"));
        assert!(v("1.0.0-alpha.1") < v("1.0.0-alpha.beta"));
        assert!(v("1.0.0-beta.2") < v("1.0.0-beta.11"));
        assert!(v("1.0.0-rc.1") < v("1.0.0"));
        assert!(v("1.2.3-r2") > v("1.2.3-r100"));
        assert_eq!(v("1.2.3+a"), v("1.2.3+b"));
        assert_eq!(v("1.2.3.0"), v("1.2.3"));
        assert!(v("1.2.3.1") > v("1.2.3"));
        assert!(v("1.2.3.1") < v("1.2.4"));
        assert!(v("999999999999999999999999999991") < v("999999999999999999999999999999"));
        assert_eq!(v("1.0.0-007"), v("1.0.0-7"));
    }
}
