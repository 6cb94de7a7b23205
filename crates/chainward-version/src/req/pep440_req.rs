//! PEP 440 version specifiers, matched as `packaging` (26) matches them.

use chainward_types::Ecosystem;

use crate::error::RangeError;
use crate::pep440::{Pep440Version, Valid, parse_valid};

/// Comma-separated specifiers, all of which must hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SpecifierSet {
    specs: Vec<Specifier>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Specifier {
    /// `===string`: case-insensitive equality with the version as displayed.
    Arbitrary(Box<str>),
    /// `==V.*` or `!=V.*`.
    Prefix { negate: bool, prefix: Valid },
    /// `~=V`: `>=V` and `==prefix.*`.
    Compatible { version: Valid, prefix: Valid },
    /// `==`, `!=`, `<=`, `>=`, `<`, `>` on a full version.
    Compare { op: Op, version: Valid },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Eq,
    Ne,
    Le,
    Ge,
    Lt,
    Gt,
}

pub(crate) fn parse(input: &str) -> Result<SpecifierSet, RangeError> {
    let mut specs = Vec::new();
    for item in input.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        specs.push(
            parse_specifier(item)
                .map_err(|reason| RangeError::new(Ecosystem::PyPI, input, reason))?,
        );
    }
    Ok(SpecifierSet { specs })
}

fn parse_specifier(item: &str) -> Result<Specifier, String> {
    const OPS: [&str; 8] = ["===", "~=", "==", "!=", "<=", ">=", "<", ">"];
    let op = OPS.iter().find(|op| item.starts_with(**op)).copied();
    let rest = item[op.map_or(0, str::len)..].trim_start();
    if rest.is_empty() {
        return Err(format!("no version in {item:?}"));
    }
    let version = |s: &str| {
        parse_valid(s).ok_or_else(|| format!("{s:?} is not a PEP 440 version in {item:?}"))
    };
    let no_local = |v: Valid| {
        if v.has_local() {
            Err(format!(
                "a local version is only allowed with == and != in {item:?}"
            ))
        } else {
            Ok(v)
        }
    };
    Ok(match op {
        Some("===") => {
            if rest.contains(|c: char| c.is_whitespace() || c == ';' || c == ')') {
                return Err(format!("invalid arbitrary version in {item:?}"));
            }
            Specifier::Arbitrary(rest.to_lowercase().into())
        }
        Some(op @ ("==" | "!=")) => equality(op == "!=", rest, item)?,
        None => equality(false, rest, item)?,
        Some("~=") => {
            let v = no_local(version(rest)?)?;
            if v.release_len() < 2 {
                return Err(format!(
                    "~= needs at least two release segments in {item:?}"
                ));
            }
            Specifier::Compatible {
                prefix: v.compatible_prefix(),
                version: v,
            }
        }
        Some(op) => Specifier::Compare {
            op: match op {
                "<=" => Op::Le,
                ">=" => Op::Ge,
                "<" => Op::Lt,
                _ => Op::Gt,
            },
            version: no_local(version(rest)?)?,
        },
    })
}

/// `==` or `!=`, with or without a `.*` suffix.
fn equality(negate: bool, rest: &str, item: &str) -> Result<Specifier, String> {
    if let Some(base) = rest.strip_suffix(".*") {
        let prefix = parse_valid(base)
            .filter(|v| !v.has_pre_post_dev_or_local())
            .ok_or_else(|| format!("a .* suffix needs a plain release before it in {item:?}"))?;
        return Ok(Specifier::Prefix { negate, prefix });
    }
    let version = parse_valid(rest)
        .ok_or_else(|| format!("{rest:?} is not a PEP 440 version in {item:?}"))?;
    Ok(Specifier::Compare {
        op: if negate { Op::Ne } else { Op::Eq },
        version,
    })
}

impl SpecifierSet {
    pub(crate) fn matches(&self, v: &Pep440Version) -> bool {
        self.specs.iter().all(|s| s.matches(v))
    }
}

impl Specifier {
    fn matches(&self, prospective: &Pep440Version) -> bool {
        if let Self::Arbitrary(s) = self {
            return prospective.to_string().to_lowercase() == **s;
        }
        let Some(p) = prospective.valid() else {
            // Legacy versions only match `===`.
            return false;
        };
        match self {
            Self::Arbitrary(_) => false,
            Self::Prefix { negate, prefix } => p.has_release_prefix(prefix) != *negate,
            Self::Compatible { version, prefix } => {
                p.public() >= *version && p.has_release_prefix(prefix)
            }
            Self::Compare { op, version: spec } => match op {
                Op::Eq => equal(p, spec),
                Op::Ne => !equal(p, spec),
                Op::Le => p.public() <= *spec,
                Op::Ge => p.public() >= *spec,
                Op::Lt => {
                    // `<V` excludes pre-releases of V itself unless V is one.
                    p < spec
                        && !(!spec.is_prerelease()
                            && p.is_prerelease()
                            && *p >= spec.earliest_prerelease())
                }
                Op::Gt => {
                    // `>V` excludes post-releases of V unless V is one, and V's local versions.
                    p > spec
                        && !(!spec.has_post() && p.has_post() && p.post_base() == *spec)
                        && !(p.has_local() && p.public() == *spec)
                }
            },
        }
    }
}

/// `==V`: local labels of the candidate are ignored unless V has one.
fn equal(p: &Valid, spec: &Valid) -> bool {
    if spec.has_local() {
        p == spec
    } else {
        p.public() == *spec
    }
}
