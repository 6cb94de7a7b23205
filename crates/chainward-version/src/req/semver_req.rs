//! npm ranges and Cargo requirements, both lowered to sets of primitive comparators.
//!
//! Every form (caret, tilde, X-range, hyphen, partial versions) becomes `<`, `<=`, `>`, `>=`
//! or `=` on a full version, the way node-semver lowers ranges. Upper bounds that exclude a
//! whole release line use the smallest prerelease (`<2.0.0-0`), so that `2.0.0-alpha` is
//! outside `^1`. Cargo's partial lower bounds also use it (`>=1.2` is `>=1.2.0-0`), because
//! the `semver` crate compares partial comparators on the given fields only.
//!
//! The prerelease rule is kept apart: each set records the releases for which a comparator
//! *as written* names a prerelease, and a prerelease version matches the set only for one
//! of those releases (node-semver's `testSet`, the `semver` crate's `pre_is_compatible`).

use crate::error::RangeError;
use crate::num::Num;
use crate::req::PrereleasePolicy;
use crate::semver::{SemVer, valid_identifiers};
use chainward_types::Ecosystem;

/// Alternatives (`||`), each a set of comparators that must all hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SemverReq {
    sets: Vec<ComparatorSet>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
struct ComparatorSet {
    comparators: Vec<Comparator>,
    /// Releases (without prerelease) whose prereleases this set admits.
    allow_pre: Vec<SemVer>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Comparator {
    op: Op,
    version: SemVer,
    /// A lower bound from a partial version (`>=1.2` from `^1.2`, `1.x`, `>1`): with
    /// [`PrereleasePolicy::Include`] it also admits the prereleases of its release, as
    /// node-semver's `includePrerelease` lowers it to `>=1.2.0-0`.
    widen: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
}

impl Comparator {
    fn matches(&self, v: &SemVer, policy: PrereleasePolicy) -> bool {
        if self.widen && policy == PrereleasePolicy::Include && v.same_release(&self.version) {
            return true;
        }
        match self.op {
            Op::Lt => *v < self.version,
            Op::Le => *v <= self.version,
            Op::Gt => *v > self.version,
            Op::Ge => *v >= self.version,
            Op::Eq => *v == self.version,
        }
    }
}

impl ComparatorSet {
    fn matches(&self, v: &SemVer, policy: PrereleasePolicy) -> bool {
        if !self.comparators.iter().all(|c| c.matches(v, policy)) {
            return false;
        }
        !v.is_prerelease()
            || policy == PrereleasePolicy::Include
            || self.allow_pre.iter().any(|r| r.same_release(v))
    }

    fn push(&mut self, op: Op, version: SemVer) {
        self.comparators.push(Comparator {
            op,
            version,
            widen: false,
        });
    }

    /// Adds a lower bound derived from a partial version (see [`Comparator::widen`]).
    fn push_partial_lower(&mut self, version: SemVer) {
        self.comparators.push(Comparator {
            op: Op::Ge,
            version,
            widen: true,
        });
    }

    /// Adds `op` on the full version of `p`, admitting its prereleases if it names one.
    fn push_full(&mut self, op: Op, p: &Full) {
        if !p.pre.is_empty() {
            self.allow_pre.push(ver(&p.major, &p.minor, &p.patch, ""));
        }
        self.push(op, ver(&p.major, &p.minor, &p.patch, &p.pre));
    }

    /// Adds a comparator that nothing satisfies.
    fn push_nothing(&mut self) {
        self.push(Op::Lt, ver(&Num::ZERO, &Num::ZERO, &Num::ZERO, "0"));
    }
}

impl SemverReq {
    pub(crate) fn matches(&self, v: &SemVer, policy: PrereleasePolicy) -> bool {
        self.sets.iter().any(|s| s.matches(v, policy))
    }
}

fn ver(major: &Num, minor: &Num, patch: &Num, pre: &str) -> SemVer {
    SemVer::from_parts(major.clone(), minor.clone(), patch.clone(), pre)
}

/// A version in a range, with missing or wildcard components as `None`.
#[derive(Debug, Default)]
struct Partial {
    major: Option<Num>,
    minor: Option<Num>,
    patch: Option<Num>,
    pre: String,
    /// A component was written as `*`, `x` or `X`.
    wildcard: bool,
}

/// A partial version with all three components.
struct Full {
    major: Num,
    minor: Num,
    patch: Num,
    pre: String,
}

/// The shape of a partial version.
enum Shape {
    Any,
    Major(Num),
    MajorMinor(Num, Num),
    Full(Full),
}

impl Partial {
    fn shape(self) -> Shape {
        match (self.major, self.minor, self.patch) {
            (None, _, _) => Shape::Any,
            (Some(m), None, _) => Shape::Major(m),
            (Some(m), Some(n), None) => Shape::MajorMinor(m, n),
            (Some(major), Some(minor), Some(patch)) => Shape::Full(Full {
                major,
                minor,
                patch,
                pre: self.pre,
            }),
        }
    }
}

/// Parses a possibly partial version: `[v=]*` then up to three components (numbers or
/// `x`/`X`/`*`), then, after three numbers, a prerelease (`-pre`, or leniently `pre`) and
/// build metadata. Components after a wildcard are ignored.
fn parse_partial(token: &str) -> Result<Partial, String> {
    let s = token.trim_start_matches(|c: char| matches!(c, 'v' | 'V' | '=') || c.is_whitespace());
    if s.is_empty() {
        return Err(format!("expected a version, found {token:?}"));
    }
    let bytes = s.as_bytes();
    let mut i = 0;
    let mut partial = Partial::default();
    let mut numbers = 0;
    for slot in 0..3 {
        let start = i;
        if partial.wildcard && bytes.get(i).is_some_and(u8::is_ascii_digit) {
            return Err(format!("a number after a wildcard in {token:?}"));
        }
        let value = if matches!(bytes.get(i), Some(b'x' | b'X' | b'*')) {
            i += 1;
            partial.wildcard = true;
            None
        } else {
            while bytes.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
            if start == i {
                return Err(format!("expected a number or wildcard in {token:?}"));
            }
            Some(Num::from_digits(&s[start..i]))
        };
        if value.is_some() {
            numbers += 1;
            match slot {
                0 => partial.major = value,
                1 => partial.minor = value,
                _ => partial.patch = value,
            }
        }
        if slot < 2 && bytes.get(i) == Some(&b'.') {
            i += 1;
        } else {
            break;
        }
    }
    let rest = &s[i..];
    let before_build = match rest.split_once('+') {
        Some((before, build)) => {
            if !valid_identifiers(build) {
                return Err(format!("invalid build metadata in {token:?}"));
            }
            before
        }
        None => rest,
    };
    if before_build.is_empty() {
        return Ok(partial);
    }
    let pre = if let Some(pre) = before_build.strip_prefix('-') {
        pre
    } else if before_build.as_bytes()[0].is_ascii_alphabetic() {
        before_build
    } else {
        return Err(format!("unexpected {before_build:?} in {token:?}"));
    };
    if numbers < 3 && !partial.wildcard {
        return Err(format!("a prerelease needs major.minor.patch in {token:?}"));
    }
    if !valid_identifiers(pre) {
        return Err(format!("invalid prerelease in {token:?}"));
    }
    if !partial.wildcard {
        pre.clone_into(&mut partial.pre);
    }
    Ok(partial)
}

// ---------------------------------------------------------------------------------------
// npm
// ---------------------------------------------------------------------------------------

/// Parses a node-semver range.
pub(crate) fn parse_npm(input: &str) -> Result<SemverReq, RangeError> {
    let err = |reason: String| RangeError::new(Ecosystem::Npm, input, reason);
    let mut sets = Vec::new();
    for alternative in input.split("||") {
        sets.push(parse_npm_set(alternative.trim()).map_err(err)?);
    }
    Ok(SemverReq { sets })
}

/// Splits a comparator set into `(operator, version)` tokens, joining an operator to the
/// version after it even across spaces (`>= 1.2.3`, `~ 1.2`).
fn npm_tokens(s: &str) -> Result<Vec<(&str, &str)>, String> {
    const OPS: [&str; 8] = ["<=", ">=", "~>", "<", ">", "=", "~", "^"];
    let mut tokens = Vec::new();
    let mut rest = s.trim_start();
    while !rest.is_empty() {
        let op = OPS
            .iter()
            .find(|op| rest.starts_with(**op))
            .copied()
            .unwrap_or("");
        rest = rest[op.len()..].trim_start();
        let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        let (version, tail) = rest.split_at(end);
        if version.is_empty() {
            return Err(format!("operator {op:?} without a version"));
        }
        tokens.push((op, version));
        rest = tail.trim_start();
    }
    Ok(tokens)
}

fn parse_npm_set(s: &str) -> Result<ComparatorSet, String> {
    let tokens = npm_tokens(s)?;
    let mut set = ComparatorSet::default();
    if let [("", from), ("", "-"), ("", to)] = tokens.as_slice() {
        npm_hyphen(&mut set, parse_partial(from)?, parse_partial(to)?);
        return Ok(set);
    }
    for (op, version) in tokens {
        if version == "-" {
            return Err("a hyphen range needs one version on each side".to_owned());
        }
        let partial = parse_partial(version)?;
        match op {
            "^" => npm_caret(&mut set, partial),
            "~" | "~>" => npm_tilde(&mut set, partial),
            _ => npm_primitive(&mut set, op, partial),
        }
    }
    Ok(set)
}

fn npm_caret(set: &mut ComparatorSet, p: Partial) {
    match p.shape() {
        Shape::Any => {}
        Shape::Major(m) => {
            set.push_partial_lower(ver(&m, &Num::ZERO, &Num::ZERO, ""));
            set.push(Op::Lt, ver(&m.succ(), &Num::ZERO, &Num::ZERO, "0"));
        }
        Shape::MajorMinor(m, n) => {
            set.push_partial_lower(ver(&m, &n, &Num::ZERO, ""));
            if m.is_zero() {
                set.push(Op::Lt, ver(&m, &n.succ(), &Num::ZERO, "0"));
            } else {
                set.push(Op::Lt, ver(&m.succ(), &Num::ZERO, &Num::ZERO, "0"));
            }
        }
        Shape::Full(f) => {
            set.push_full(Op::Ge, &f);
            set.push(Op::Lt, caret_upper(&f));
        }
    }
}

/// The exclusive upper bound of `^major.minor.patch`.
fn caret_upper(f: &Full) -> SemVer {
    if !f.major.is_zero() {
        ver(&f.major.succ(), &Num::ZERO, &Num::ZERO, "0")
    } else if !f.minor.is_zero() {
        ver(&f.major, &f.minor.succ(), &Num::ZERO, "0")
    } else {
        ver(&f.major, &f.minor, &f.patch.succ(), "0")
    }
}

fn npm_tilde(set: &mut ComparatorSet, p: Partial) {
    match p.shape() {
        Shape::Any => {}
        Shape::Major(m) => {
            set.push(Op::Ge, ver(&m, &Num::ZERO, &Num::ZERO, ""));
            set.push(Op::Lt, ver(&m.succ(), &Num::ZERO, &Num::ZERO, "0"));
        }
        Shape::MajorMinor(m, n) => {
            set.push(Op::Ge, ver(&m, &n, &Num::ZERO, ""));
            set.push(Op::Lt, ver(&m, &n.succ(), &Num::ZERO, "0"));
        }
        Shape::Full(f) => {
            set.push_full(Op::Ge, &f);
            set.push(Op::Lt, ver(&f.major, &f.minor.succ(), &Num::ZERO, "0"));
        }
    }
}

/// `<`, `<=`, `>`, `>=`, `=` or no operator, on a full or partial version
/// (node-semver's `replaceXRange`).
fn npm_primitive(set: &mut ComparatorSet, op: &str, p: Partial) {
    let zero = Num::ZERO;
    match p.shape() {
        Shape::Full(f) => {
            let op = match op {
                "<" => Op::Lt,
                "<=" => Op::Le,
                ">" => Op::Gt,
                ">=" => Op::Ge,
                _ => Op::Eq,
            };
            set.push_full(op, &f);
        }
        Shape::Any => {
            if matches!(op, "<" | ">") {
                set.push_nothing();
            }
        }
        Shape::Major(m) => match op {
            ">" => set.push_partial_lower(ver(&m.succ(), &zero, &zero, "")),
            ">=" => set.push_partial_lower(ver(&m, &zero, &zero, "")),
            "<" => set.push(Op::Lt, ver(&m, &zero, &zero, "0")),
            "<=" => set.push(Op::Lt, ver(&m.succ(), &zero, &zero, "0")),
            _ => {
                set.push_partial_lower(ver(&m, &zero, &zero, ""));
                set.push(Op::Lt, ver(&m.succ(), &zero, &zero, "0"));
            }
        },
        Shape::MajorMinor(m, n) => match op {
            ">" => set.push_partial_lower(ver(&m, &n.succ(), &zero, "")),
            ">=" => set.push_partial_lower(ver(&m, &n, &zero, "")),
            "<" => set.push(Op::Lt, ver(&m, &n, &zero, "0")),
            "<=" => set.push(Op::Lt, ver(&m, &n.succ(), &zero, "0")),
            _ => {
                set.push_partial_lower(ver(&m, &n, &zero, ""));
                set.push(Op::Lt, ver(&m, &n.succ(), &zero, "0"));
            }
        },
    }
}

/// `from - to` (node-semver's `hyphenReplace`).
fn npm_hyphen(set: &mut ComparatorSet, from: Partial, to: Partial) {
    let zero = Num::ZERO;
    match from.shape() {
        Shape::Any => {}
        Shape::Major(m) => set.push_partial_lower(ver(&m, &zero, &zero, "")),
        Shape::MajorMinor(m, n) => set.push_partial_lower(ver(&m, &n, &zero, "")),
        Shape::Full(f) => set.push_full(Op::Ge, &f),
    }
    match to.shape() {
        Shape::Any => {}
        Shape::Major(m) => set.push(Op::Lt, ver(&m.succ(), &zero, &zero, "0")),
        Shape::MajorMinor(m, n) => set.push(Op::Lt, ver(&m, &n.succ(), &zero, "0")),
        Shape::Full(f) => set.push_full(Op::Le, &f),
    }
}

// ---------------------------------------------------------------------------------------
// Cargo
// ---------------------------------------------------------------------------------------

/// Parses a Cargo version requirement.
pub(crate) fn parse_cargo(input: &str) -> Result<SemverReq, RangeError> {
    let err = |reason: String| RangeError::new(Ecosystem::CratesIo, input, reason);
    if input.trim().is_empty() {
        return Err(err("empty requirement".to_owned()));
    }
    let mut set = ComparatorSet::default();
    for part in input.split(',') {
        let part = part.trim();
        if part.is_empty() {
            return Err(err("empty comparator between commas".to_owned()));
        }
        const OPS: [&str; 7] = [">=", "<=", ">", "<", "=", "~", "^"];
        let op = OPS
            .iter()
            .find(|op| part.starts_with(**op))
            .copied()
            .unwrap_or("");
        let version = part[op.len()..].trim_start();
        if version.starts_with(['<', '>', '=', '~', '^']) {
            return Err(err(format!("unexpected operator in {part:?}")));
        }
        let partial = parse_partial(version).map_err(err)?;
        cargo_comparator(&mut set, op, partial);
    }
    Ok(SemverReq { sets: vec![set] })
}

/// One Cargo comparator, by the `semver` crate's `matches_*` functions.
fn cargo_comparator(set: &mut ComparatorSet, op: &str, p: Partial) {
    let zero = Num::ZERO;
    // A bare version is a caret requirement, unless written with a wildcard (`1.*`).
    let op = match op {
        "" if p.wildcard => "=",
        "" => "^",
        other => other,
    };
    match p.shape() {
        Shape::Any => {}
        Shape::Full(f) => match op {
            "=" => set.push_full(Op::Eq, &f),
            ">" => set.push_full(Op::Gt, &f),
            ">=" => set.push_full(Op::Ge, &f),
            "<" => set.push_full(Op::Lt, &f),
            "<=" => set.push_full(Op::Le, &f),
            "~" => {
                set.push_full(Op::Ge, &f);
                set.push(Op::Lt, ver(&f.major, &f.minor.succ(), &zero, "0"));
            }
            _ => {
                set.push_full(Op::Ge, &f);
                set.push(Op::Lt, caret_upper(&f));
            }
        },
        Shape::Major(m) => {
            let low = ver(&m, &zero, &zero, "0");
            let next = ver(&m.succ(), &zero, &zero, "0");
            match op {
                ">" => set.push(Op::Ge, next),
                ">=" => set.push(Op::Ge, low),
                "<" => set.push(Op::Lt, low),
                "<=" => set.push(Op::Lt, next),
                _ => {
                    set.push(Op::Ge, low);
                    set.push(Op::Lt, next);
                }
            }
        }
        Shape::MajorMinor(m, n) => {
            let low = ver(&m, &n, &zero, "0");
            let next_minor = ver(&m, &n.succ(), &zero, "0");
            match op {
                ">" => set.push(Op::Ge, next_minor),
                ">=" => set.push(Op::Ge, low),
                "<" => set.push(Op::Lt, low),
                "<=" => set.push(Op::Lt, next_minor),
                "^" if !m.is_zero() => {
                    set.push(Op::Ge, low);
                    set.push(Op::Lt, ver(&m.succ(), &zero, &zero, "0"));
                }
                _ => {
                    set.push(Op::Ge, low);
                    set.push(Op::Lt, next_minor);
                }
            }
        }
    }
}
