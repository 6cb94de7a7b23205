//! PEP 440 versions, with pip's historical ordering for strings that are not PEP 440.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::str::FromStr;

use crate::error::VersionError;
use crate::num::Num;

/// A Python package version: PEP 440, or a legacy (non-PEP 440) version string.
///
/// # PEP 440
///
/// Parsing follows the PEP 440 grammar as `packaging.version.Version` implements it, with all
/// its normalisations: case-insensitivity, surrounding whitespace, a leading `v`, epochs
/// (`1!2.0`), release segments of any length, pre-releases (`a`/`alpha`, `b`/`beta`,
/// `rc`/`c`/`pre`/`preview`, with optional `.`, `-` or `_` separators and an implicit `0`),
/// post-releases (`.post1`, `-1`, `rev`, `r`, implicit `0`), dev releases (`.dev1`) and local
/// versions (`+ubuntu.1`, separators `.`, `-`, `_`). Numbers have no size limit.
///
/// The ordering is `packaging`'s: epoch, then the release with trailing zeros ignored
/// (`1.0 == 1.0.0`), then pre-release (a dev release with no pre- or post-release sorts
/// before every pre-release of its release: `1.0.dev1 < 1.0a1`), post-release, dev release,
/// and last the local version (no local sorts first; segments compare one by one, a numeric
/// segment above an alphanumeric one, and a longer list above its prefix).
/// [`Display`](fmt::Display) gives the normalised form (`1.0-RC-1` is `1.0rc1`).
///
/// # Legacy versions
///
/// A string that is not PEP 440 (`2013-01-21T20:33:09+0100`, `0.9-doduo`, `1.0beta6.1`) is
/// still a version here, a *legacy* one, ordered as `packaging`'s `LegacyVersion` (pip before
/// 22) ordered it, which is also what osv-scalibr does: every legacy version sorts before
/// every PEP 440 version, and legacy versions compare by setuptools' old key (numbers padded
/// for numeric comparison, `pre`/`preview`/`rc` read as `c`, `dev` as `@`, a `-` read as
/// `final-`, trailing zeros dropped). Only ASCII digits and letters are recognised as such.
/// A legacy version displays as written (trimmed). [`Pep440Version::parse_strict`] rejects
/// legacy versions instead.
#[derive(Debug, Clone)]
pub struct Pep440Version(Inner);

#[derive(Debug, Clone)]
enum Inner {
    Valid(Valid),
    Legacy(Legacy),
}

#[derive(Debug, Clone)]
pub(crate) struct Valid {
    epoch: Num,
    release: Box<[Num]>,
    pre: Option<(PreKind, Num)>,
    post: Option<Num>,
    dev: Option<Num>,
    local: Box<[LocalSegment]>,
}

/// The pre-release phase, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum PreKind {
    Alpha,
    Beta,
    Rc,
}

impl PreKind {
    fn as_str(self) -> &'static str {
        match self {
            Self::Alpha => "a",
            Self::Beta => "b",
            Self::Rc => "rc",
        }
    }
}

/// One segment of a local version, lowercased.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum LocalSegment {
    Num(Num),
    Text(Box<str>),
}

impl Ord for LocalSegment {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            (Self::Num(a), Self::Num(b)) => a.cmp(b),
            (Self::Num(_), Self::Text(_)) => Ordering::Greater,
            (Self::Text(_), Self::Num(_)) => Ordering::Less,
            (Self::Text(a), Self::Text(b)) => a.cmp(b),
        }
    }
}

impl PartialOrd for LocalSegment {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

#[derive(Debug, Clone)]
struct Legacy {
    original: Box<str>,
    key: Box<[Box<str>]>,
}

impl Pep440Version {
    /// Parses a version: PEP 440 when it is one, else a legacy version.
    ///
    /// # Errors
    ///
    /// Only [`VersionError::Empty`], for an empty or all-whitespace string.
    pub fn parse(input: &str) -> Result<Self, VersionError> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(VersionError::Empty);
        }
        Ok(match parse_valid(trimmed) {
            Some(valid) => Self(Inner::Valid(valid)),
            None => Self(Inner::Legacy(Legacy {
                original: trimmed.into(),
                key: legacy_key(trimmed),
            })),
        })
    }

    /// Parses a PEP 440 version, rejecting legacy versions.
    ///
    /// # Errors
    ///
    /// [`VersionError::Empty`] for an empty string, [`VersionError::Pep440`] for a string
    /// that is not PEP 440.
    pub fn parse_strict(input: &str) -> Result<Self, VersionError> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(VersionError::Empty);
        }
        parse_valid(trimmed)
            .map(|valid| Self(Inner::Valid(valid)))
            .ok_or_else(|| VersionError::Pep440 {
                input: input.to_owned(),
            })
    }

    /// True for a legacy (non-PEP 440) version.
    pub fn is_legacy(&self) -> bool {
        matches!(self.0, Inner::Legacy(_))
    }

    /// True for a pre-release or dev release (PEP 440's `is_prerelease`); false for legacy versions.
    pub fn is_prerelease(&self) -> bool {
        self.valid().is_some_and(Valid::is_prerelease)
    }

    /// True for a post-release; false for legacy versions.
    pub fn is_postrelease(&self) -> bool {
        self.valid().is_some_and(|v| v.post.is_some())
    }

    /// True when the version has a local label (`+ubuntu.1`).
    pub fn has_local(&self) -> bool {
        self.valid().is_some_and(|v| !v.local.is_empty())
    }

    pub(crate) fn valid(&self) -> Option<&Valid> {
        match &self.0 {
            Inner::Valid(v) => Some(v),
            Inner::Legacy(_) => None,
        }
    }
}

impl Valid {
    pub(crate) fn is_prerelease(&self) -> bool {
        self.pre.is_some() || self.dev.is_some()
    }

    pub(crate) fn has_post(&self) -> bool {
        self.post.is_some()
    }

    pub(crate) fn has_local(&self) -> bool {
        !self.local.is_empty()
    }

    pub(crate) fn has_pre_post_dev_or_local(&self) -> bool {
        self.pre.is_some() || self.post.is_some() || self.dev.is_some() || !self.local.is_empty()
    }

    pub(crate) fn release_len(&self) -> usize {
        self.release.len()
    }

    /// The version without its local label.
    pub(crate) fn public(&self) -> Self {
        Self {
            local: Box::new([]),
            ..self.clone()
        }
    }

    /// The version without post, dev and local parts (`packaging`'s `_post_base`).
    pub(crate) fn post_base(&self) -> Self {
        Self {
            post: None,
            dev: None,
            local: Box::new([]),
            ..self.clone()
        }
    }

    /// The version with `dev0` and no local part (`packaging`'s `_earliest_prerelease`).
    pub(crate) fn earliest_prerelease(&self) -> Self {
        Self {
            dev: Some(Num::ZERO),
            local: Box::new([]),
            ..self.clone()
        }
    }

    /// True when this version's epoch equals `prefix`'s and its release, zero-padded, starts
    /// with `prefix`'s release (`==prefix.*` matching).
    pub(crate) fn has_release_prefix(&self, prefix: &Self) -> bool {
        self.epoch == prefix.epoch
            && prefix
                .release
                .iter()
                .enumerate()
                .all(|(i, n)| self.release.get(i).unwrap_or(&Num::ZERO) == n)
    }

    /// This version's epoch and release without the last segment, for `~=`.
    pub(crate) fn compatible_prefix(&self) -> Self {
        let len = self.release.len().saturating_sub(1).max(1);
        Self {
            epoch: self.epoch.clone(),
            release: self.release[..len.min(self.release.len())].into(),
            pre: None,
            post: None,
            dev: None,
            local: Box::new([]),
        }
    }

    fn cmp_pre_key(&self, other: &Self) -> Ordering {
        fn key(v: &Valid) -> (u8, Option<&(PreKind, Num)>) {
            match &v.pre {
                Some(pre) => (1, Some(pre)),
                None if v.post.is_none() && v.dev.is_some() => (0, None),
                None => (2, None),
            }
        }
        key(self).cmp(&key(other))
    }

    fn cmp_valid(&self, other: &Self) -> Ordering {
        self.epoch
            .cmp(&other.epoch)
            .then_with(|| cmp_release(&self.release, &other.release))
            .then_with(|| self.cmp_pre_key(other))
            .then_with(|| self.post.cmp(&other.post))
            .then_with(|| match (&self.dev, &other.dev) {
                (None, None) => Ordering::Equal,
                (None, Some(_)) => Ordering::Greater,
                (Some(_), None) => Ordering::Less,
                (Some(a), Some(b)) => a.cmp(b),
            })
            .then_with(|| self.local.cmp(&other.local))
    }
}

impl PartialEq for Valid {
    fn eq(&self, other: &Self) -> bool {
        self.cmp_valid(other) == Ordering::Equal
    }
}

impl Eq for Valid {}

impl Ord for Valid {
    fn cmp(&self, other: &Self) -> Ordering {
        self.cmp_valid(other)
    }
}

impl PartialOrd for Valid {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Compares release segments, ignoring trailing zeros.
fn cmp_release(a: &[Num], b: &[Num]) -> Ordering {
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

impl Ord for Pep440Version {
    fn cmp(&self, other: &Self) -> Ordering {
        match (&self.0, &other.0) {
            (Inner::Valid(a), Inner::Valid(b)) => a.cmp_valid(b),
            (Inner::Legacy(_), Inner::Valid(_)) => Ordering::Less,
            (Inner::Valid(_), Inner::Legacy(_)) => Ordering::Greater,
            (Inner::Legacy(a), Inner::Legacy(b)) => a.key.cmp(&b.key),
        }
    }
}

impl PartialOrd for Pep440Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Pep440Version {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Pep440Version {}

impl Hash for Pep440Version {
    fn hash<H: Hasher>(&self, state: &mut H) {
        match &self.0 {
            Inner::Valid(v) => {
                0u8.hash(state);
                v.epoch.hash(state);
                let significant = v
                    .release
                    .iter()
                    .rposition(|n| !n.is_zero())
                    .map_or(0, |i| i + 1);
                v.release[..significant].hash(state);
                v.pre.hash(state);
                (v.pre.is_none() && v.post.is_none() && v.dev.is_some()).hash(state);
                v.post.hash(state);
                v.dev.hash(state);
                v.local.hash(state);
            }
            Inner::Legacy(l) => {
                1u8.hash(state);
                l.key.hash(state);
            }
        }
    }
}

impl fmt::Display for Valid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.epoch.is_zero() {
            write!(f, "{}!", self.epoch)?;
        }
        for (i, n) in self.release.iter().enumerate() {
            if i > 0 {
                f.write_str(".")?;
            }
            write!(f, "{n}")?;
        }
        if let Some((kind, n)) = &self.pre {
            write!(f, "{}{n}", kind.as_str())?;
        }
        if let Some(n) = &self.post {
            write!(f, ".post{n}")?;
        }
        if let Some(n) = &self.dev {
            write!(f, ".dev{n}")?;
        }
        for (i, segment) in self.local.iter().enumerate() {
            f.write_str(if i == 0 { "+" } else { "." })?;
            match segment {
                LocalSegment::Num(n) => write!(f, "{n}")?,
                LocalSegment::Text(t) => f.write_str(t)?,
            }
        }
        Ok(())
    }
}

impl fmt::Display for Pep440Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Inner::Valid(v) => v.fmt(f),
            Inner::Legacy(l) => f.write_str(&l.original),
        }
    }
}

impl FromStr for Pep440Version {
    type Err = VersionError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// A cursor over the ASCII bytes of a version string.
struct Cursor<'a> {
    s: &'a str,
    i: usize,
}

impl<'a> Cursor<'a> {
    fn peek(&self) -> Option<u8> {
        self.s.as_bytes().get(self.i).copied()
    }

    fn peek_at(&self, offset: usize) -> Option<u8> {
        self.s.as_bytes().get(self.i + offset).copied()
    }

    fn digits(&mut self) -> Option<&'a str> {
        let start = self.i;
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.i += 1;
        }
        (self.i > start).then(|| &self.s[start..self.i])
    }

    fn separator(&mut self) -> bool {
        if matches!(self.peek(), Some(b'.' | b'-' | b'_')) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    /// Consumes the first of `words` (ASCII, lowercase) that follows, case-insensitively.
    fn keyword(&mut self, words: &[&'static str]) -> Option<&'static str> {
        let rest = &self.s.as_bytes()[self.i..];
        for word in words {
            if rest.len() >= word.len() && rest[..word.len()].eq_ignore_ascii_case(word.as_bytes())
            {
                self.i += word.len();
                return Some(word);
            }
        }
        None
    }
}

/// Parses a trimmed string by the PEP 440 grammar (`packaging`'s `VERSION_PATTERN`).
pub(crate) fn parse_valid(s: &str) -> Option<Valid> {
    let mut c = Cursor { s, i: 0 };
    if matches!(c.peek(), Some(b'v' | b'V')) {
        c.i += 1;
    }
    let first = c.digits()?;
    let mut epoch = Num::ZERO;
    // Size the release exactly, so that boxing it does not reallocate.
    let segments = 1 + s.as_bytes()[c.i..]
        .iter()
        .take_while(|b| b.is_ascii_digit() || matches!(b, b'.' | b'!'))
        .filter(|&&b| b == b'.')
        .count();
    let mut release = Vec::with_capacity(segments);
    if c.peek() == Some(b'!') {
        c.i += 1;
        epoch = Num::from_digits(first);
        release.push(Num::from_digits(c.digits()?));
    } else {
        release.push(Num::from_digits(first));
    }
    while c.peek() == Some(b'.') && c.peek_at(1).is_some_and(|b| b.is_ascii_digit()) {
        c.i += 1;
        release.push(Num::from_digits(c.digits()?));
    }

    // Pre-release: [-_.]? (preview|pre|alpha|a|beta|b|rc|c) [-_.]? [0-9]*
    let save = c.i;
    c.separator();
    let pre = match c.keyword(&["preview", "pre", "alpha", "a", "beta", "b", "rc", "c"]) {
        Some(word) => {
            let kind = match word {
                "alpha" | "a" => PreKind::Alpha,
                "beta" | "b" => PreKind::Beta,
                _ => PreKind::Rc,
            };
            c.separator();
            Some((kind, c.digits().map_or(Num::ZERO, Num::from_digits)))
        }
        None => {
            c.i = save;
            None
        }
    };

    // Post-release: -[0-9]+ | [-_.]? (post|rev|r) [-_.]? [0-9]*
    let save = c.i;
    let mut post = None;
    if c.peek() == Some(b'-') && c.peek_at(1).is_some_and(|b| b.is_ascii_digit()) {
        c.i += 1;
        post = c.digits().map(Num::from_digits);
    } else {
        c.separator();
        if c.keyword(&["post", "rev", "r"]).is_some() {
            c.separator();
            post = Some(c.digits().map_or(Num::ZERO, Num::from_digits));
        } else {
            c.i = save;
        }
    }

    // Dev release: [-_.]? dev [-_.]? [0-9]*
    let save = c.i;
    c.separator();
    let dev = if c.keyword(&["dev"]).is_some() {
        c.separator();
        Some(c.digits().map_or(Num::ZERO, Num::from_digits))
    } else {
        c.i = save;
        None
    };

    // Local version: + [a-z0-9]+ ([-_.] [a-z0-9]+)*
    let mut local = Vec::new();
    if c.peek() == Some(b'+') {
        c.i += 1;
        let text = &s[c.i..];
        for segment in text.split(['.', '-', '_']) {
            if segment.is_empty() || !segment.bytes().all(|b| b.is_ascii_alphanumeric()) {
                return None;
            }
            local.push(if segment.bytes().all(|b| b.is_ascii_digit()) {
                LocalSegment::Num(Num::from_digits(segment))
            } else {
                LocalSegment::Text(segment.to_ascii_lowercase().into())
            });
        }
        c.i = s.len();
    }

    (c.i == s.len()).then(|| Valid {
        epoch,
        release: release.into(),
        pre,
        post,
        dev,
        local: local.into(),
    })
}

/// `packaging`'s `_legacy_cmpkey` (the epoch of -1 is implied by the variant order).
fn legacy_key(s: &str) -> Box<[Box<str>]> {
    let lower = s.to_lowercase();
    let mut parts: Vec<Box<str>> = Vec::new();
    let mut push = |part: String| {
        if part.starts_with('*') {
            if part.as_str() < "*final" {
                while parts.last().is_some_and(|p| &**p == "*final-") {
                    parts.pop();
                }
            }
            while parts.last().is_some_and(|p| &**p == "00000000") {
                parts.pop();
            }
        }
        parts.push(part.into());
    };
    for token in legacy_tokens(&lower) {
        let token = match token {
            "pre" | "preview" | "rc" => "c",
            "-" => "final-",
            "dev" => "@",
            other => other,
        };
        if token.is_empty() || token == "." {
            continue;
        }
        if token.as_bytes()[0].is_ascii_digit() {
            push(format!("{token:0>8}"));
        } else {
            push(format!("*{token}"));
        }
    }
    push("*final".to_owned());
    parts.into()
}

/// Splits a lowercased string as `re.split(r"(\d+|[a-z]+|\.|-)", s)` does, dropping the empty
/// strings: runs of digits, runs of letters, `.`, `-`, and runs of anything else.
fn legacy_tokens(s: &str) -> impl Iterator<Item = &str> {
    #[derive(PartialEq, Clone, Copy)]
    enum Class {
        Digit,
        Letter,
        Single,
        Other,
    }
    fn class(c: char) -> Class {
        match c {
            '0'..='9' => Class::Digit,
            'a'..='z' => Class::Letter,
            '.' | '-' => Class::Single,
            _ => Class::Other,
        }
    }
    let mut rest = s;
    std::iter::from_fn(move || {
        let first = rest.chars().next()?;
        let kind = class(first);
        let end = if kind == Class::Single {
            first.len_utf8()
        } else {
            rest.char_indices()
                .find(|&(_, c)| class(c) != kind)
                .map_or(rest.len(), |(i, _)| i)
        };
        let (token, tail) = rest.split_at(end);
        rest = tail;
        Some(token)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Pep440Version {
        Pep440Version::parse(s).unwrap()
    }

    #[test]
    fn normalises_spellings() {
        for (input, normal) in [
            ("1.0", "1.0"),
            ("v1.0", "1.0"),
            ("  \t V1.0\n", "1.0"),
            ("1.0-RC-1", "1.0rc1"),
            ("1.0alpha", "1.0a0"),
            ("1.0.BETA.2", "1.0b2"),
            ("1.0c1", "1.0rc1"),
            ("1.0pre", "1.0rc0"),
            ("1.0preview3", "1.0rc3"),
            ("1.0-1", "1.0.post1"),
            ("1.0rev", "1.0.post0"),
            ("1.0.r2", "1.0.post2"),
            ("1.0_post_3", "1.0.post3"),
            ("1.0-dev", "1.0.dev0"),
            ("1.0DEV5", "1.0.dev5"),
            ("1!2.0", "1!2.0"),
            ("0!2.0", "2.0"),
            ("01.02", "1.2"),
            ("1.0+Ubuntu-1_2", "1.0+ubuntu.1.2"),
            ("1.0a-1", "1.0a1"),
            ("1.0a.", "1.0a0"),
            ("1.0a1-1", "1.0a1.post1"),
        ] {
            let parsed = v(input);
            assert!(!parsed.is_legacy(), "{input:?} should be PEP 440");
            assert_eq!(parsed.to_string(), normal, "{input:?}");
        }
    }

    #[test]
    fn treats_non_pep440_as_legacy() {
        for input in [
            "0.9-doduo",
            "1.0beta6.1",
            "2013-01-21T20:33:09+0100",
            "1.0-",
            "1.0+",
            "1.0+a..b",
            "1.0.*",
            "a3",
            "1.0prev",
        ] {
            assert!(v(input).is_legacy(), "{input:?} should be legacy");
            assert!(Pep440Version::parse_strict(input).is_err());
        }
        assert_eq!(Pep440Version::parse("  "), Err(VersionError::Empty));
    }

    #[test]
    fn orders_as_packaging() {
        let ordered = [
            "0.8.7p1", // legacy sorts first
            "1.0.dev0",
            "1.0a1.dev1",
            "1.0a1",
            "1.0a1.post1",
            "1.0b1",
            "1.0rc1",
            "1.0",
            "1.0+abc",
            "1.0+abc.1",
            "1.0+1",
            "1.0.post1.dev1",
            "1.0.post1",
            "1.1",
            "1!0.1",
        ];
        for pair in ordered.windows(2) {
            assert!(v(pair[0]) < v(pair[1]), "{} < {}", pair[0], pair[1]);
        }
        assert_eq!(v("1.0"), v("1.0.0.0"));
        assert_eq!(v("1.0+A.01"), v("1.0+a.1"));
    }

    #[test]
    fn legacy_key_matches_setuptools() {
        assert_eq!(
            &*legacy_key("1.0beta6.1"),
            &["00000001", "*beta", "00000006", "00000001", "*final"].map(Box::from)
        );
        assert_eq!(
            &*legacy_key("0.9-doduo"),
            &["00000000", "00000009", "*doduo", "*final"].map(Box::from)
        );
        assert_eq!(
            &*legacy_key("2013-01-21T20:33"),
            &[
                "00002013", "*final-", "00000001", "*final-", "00000021", "*t", "00000020", "*:",
                "00000033", "*final"
            ]
            .map(Box::from)
        );
    }
}
