//! OSV `affected` objects and their evaluation against a package version.
//!
//! The rules are the OSV schema's evaluation algorithm
//! (<https://ossf.github.io/osv-schema/#evaluation>), made precise where the schema is not:
//!
//! 1. An entry applies when its `package.ecosystem` is exactly `npm`, `crates.io` or `PyPI`
//!    and equals the package's ecosystem (a suffixed form such as `PyPI:foo`, or any other
//!    ecosystem, never matches), and its `package.name` equals the package's name after the
//!    ecosystem's normalisation (`chainward_types::normalize_name`: PEP 503 for PyPI).
//!    Entries without a `package` (GIT-only) never apply.
//! 2. A version is affected by an entry when it is in its `versions` list or in one of its
//!    ranges; entries are OR'd, and so are ranges.
//! 3. `versions` are compared as versions of the ecosystem (`1.0` equals `1.0.0` in PyPI; build
//!    metadata is ignored in SemVer), or as trimmed strings when one side does not parse.
//! 4. `SEMVER` ranges use [`Scheme::Semver`] whatever the ecosystem; `ECOSYSTEM` ranges use the
//!    ecosystem's scheme; `GIT` ranges (commit hashes) and unknown range types are not
//!    evaluated against a version at all: they never make a version affected.
//! 5. Within a range, events are ordered by version, `introduced: "0"` below every version,
//!    and events at equal versions keep their order in the record (a stable sort). Walking
//!    them in order, `introduced` sets *affected* when the version is at or above it, `fixed`
//!    clears it when the version is at or above it, and `last_affected` clears it when the
//!    version is above it. The walk is done in one pass without sorting: the result is the
//!    effect of the greatest event that applies.
//! 6. When a range has `limit` events, a version is in the range only if it is below at
//!    least one of them; a limit containing `*` is infinity.
//! 7. An empty (or all-whitespace) version is an unpinned package: it is affected when an
//!    applicable range affects every version (`introduced: "0"` with no `fixed`,
//!    `last_affected` or `limit`, as malicious-package records are), and otherwise gives
//!    [`MatchError::Unpinned`] so that the caller reports the package as not checked.
//!    osv-scalibr instead reports such a package as affected by every advisory of its name,
//!    which would flood a report with findings that are most likely false.
//! 8. A range whose events do not parse gives [`MatchError::Event`], unless another range or
//!    the `versions` list already shows the version affected.

use std::cmp::Ordering;

use chainward_types::Ecosystem;
use serde::{Deserialize, Deserializer, Serialize};

use crate::error::{MatchError, VersionError};
use crate::version::{Scheme, Version};

/// One entry of an OSV record's `affected` list.
///
/// Only the fields that matching needs are kept; the others (`severity`,
/// `ecosystem_specific`, `database_specific`) are ignored when deserialising.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Affected {
    /// The affected package; absent for entries that only give GIT ranges.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub package: Option<AffectedPackage>,
    /// The affected ranges.
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub ranges: Vec<AffectedRange>,
    /// Affected versions listed one by one.
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub versions: Vec<String>,
}

/// The `package` of an OSV `affected` entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AffectedPackage {
    /// The OSV ecosystem name (`npm`, `crates.io`, `PyPI`, ...), possibly with a `:suffix`.
    pub ecosystem: String,
    /// The package name as the ecosystem spells it.
    pub name: String,
    /// The package URL, when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purl: Option<String>,
}

/// One OSV range: a type and its events.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AffectedRange {
    /// How the events' versions are to be read.
    #[serde(rename = "type")]
    pub kind: RangeKind,
    /// The repository, for GIT ranges.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repo: Option<String>,
    /// The events, in the record's order.
    #[serde(default, deserialize_with = "deserialize_events")]
    pub events: Vec<Event>,
}

/// An OSV range type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum RangeKind {
    /// SemVer 2.0 versions, whatever the ecosystem.
    #[serde(rename = "SEMVER")]
    Semver,
    /// The ecosystem's own versions.
    #[serde(rename = "ECOSYSTEM")]
    Ecosystem,
    /// Git commit hashes: not evaluated against versions.
    #[serde(rename = "GIT")]
    Git,
    /// A type this crate does not know: not evaluated.
    #[serde(other)]
    Unknown,
}

/// One event of an OSV range. Serialises as OSV writes it (`{"introduced": "1.0.0"}`).
///
/// Deserialisation is lenient: an object with several keys (invalid per the schema) gives one
/// event per key, in the order introduced, fixed, last_affected, limit; an object with none
/// gives no event.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Event {
    /// The first affected version; `"0"` means before every version.
    Introduced(String),
    /// The first version that is no longer affected.
    Fixed(String),
    /// The last affected version.
    LastAffected(String),
    /// An upper limit on the range; a value containing `*` is infinity.
    Limit(String),
}

impl Event {
    /// The event's version string.
    pub fn version(&self) -> &str {
        match self {
            Self::Introduced(v) | Self::Fixed(v) | Self::LastAffected(v) | Self::Limit(v) => v,
        }
    }
}

#[derive(Deserialize)]
struct EventWire {
    #[serde(default)]
    introduced: Option<String>,
    #[serde(default)]
    fixed: Option<String>,
    #[serde(default)]
    last_affected: Option<String>,
    #[serde(default)]
    limit: Option<String>,
}

fn deserialize_events<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<Event>, D::Error> {
    let wire: Option<Vec<EventWire>> = Option::deserialize(deserializer)?;
    let mut events = Vec::new();
    for e in wire.unwrap_or_default() {
        events.extend(e.introduced.map(Event::Introduced));
        events.extend(e.fixed.map(Event::Fixed));
        events.extend(e.last_affected.map(Event::LastAffected));
        events.extend(e.limit.map(Event::Limit));
    }
    Ok(events)
}

fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

/// True when an OSV ecosystem string names `ecosystem`: exactly `npm`, `crates.io` or `PyPI`.
pub fn ecosystem_matches(osv_ecosystem: &str, ecosystem: Ecosystem) -> bool {
    osv_ecosystem == ecosystem.as_str()
}

impl Affected {
    /// True when this entry is about the package `name` of `ecosystem` (rule 1 of the module
    /// documentation).
    pub fn applies_to(&self, ecosystem: Ecosystem, name: &str) -> bool {
        self.package.as_ref().is_some_and(|p| {
            ecosystem_matches(&p.ecosystem, ecosystem) && names_match(ecosystem, &p.name, name)
        })
    }
}

/// True when two package names are the same after `chainward_types::normalize_name`, without allocating.
fn names_match(ecosystem: Ecosystem, a: &str, b: &str) -> bool {
    match ecosystem {
        Ecosystem::PyPI => pep503_chars(a).eq(pep503_chars(b)),
        Ecosystem::Npm | Ecosystem::CratesIo => a == b,
    }
}

/// The characters of `normalize_name(Ecosystem::PyPI, name)`, lazily.
fn pep503_chars(name: &str) -> impl Iterator<Item = char> + '_ {
    let mut chars = name.trim().chars();
    let mut started = false;
    let mut queued: Option<char> = None;
    std::iter::from_fn(move || {
        if let Some(c) = queued.take() {
            return Some(c);
        }
        let mut separator = false;
        for c in chars.by_ref() {
            if matches!(c, '-' | '_' | '.') {
                separator = true;
                continue;
            }
            let c = c.to_ascii_lowercase();
            if separator && started {
                queued = Some(c);
                return Some('-');
            }
            started = true;
            return Some(c);
        }
        None
    })
}

impl AffectedRange {
    /// The scheme this range's events use for packages of `ecosystem`, or `None` for ranges
    /// that are not evaluated against versions (GIT, unknown types).
    pub fn scheme(&self, ecosystem: Ecosystem) -> Option<Scheme> {
        match self.kind {
            RangeKind::Semver => Some(Scheme::Semver),
            RangeKind::Ecosystem => Some(Scheme::of(ecosystem)),
            RangeKind::Git | RangeKind::Unknown => None,
        }
    }

    /// True when the range affects every version: an `introduced: "0"` and no event that
    /// ends or limits it.
    pub fn affects_every_version(&self) -> bool {
        self.events
            .iter()
            .any(|e| matches!(e, Event::Introduced(v) if is_zero_event(v)))
            && self
                .events
                .iter()
                .all(|e| matches!(e, Event::Introduced(_)))
    }

    /// Evaluates the range for `version`, which must be of this range's scheme.
    ///
    /// # Errors
    ///
    /// [`VersionError`] for an event whose version does not parse in `version`'s scheme.
    pub fn contains(&self, version: &Version) -> Result<bool, VersionError> {
        self.evaluate(version)
            .map(|found| found.is_some())
            .map_err(|(_, error)| error)
    }

    /// The index of the introducing event whose interval contains `version`, if any.
    fn evaluate(&self, version: &Version) -> Result<Option<(Key, usize)>, (String, VersionError)> {
        let scheme = version.scheme();
        let parse = |s: &str| scheme.parse(s).map_err(|e| (s.to_owned(), e));

        // Step 6: limits.
        let mut has_limit = false;
        let mut below_a_limit = false;
        for event in &self.events {
            if let Event::Limit(s) = event {
                has_limit = true;
                if !below_a_limit && (s.contains('*') || *version < parse(s)?) {
                    below_a_limit = true;
                }
            }
        }
        if has_limit && !below_a_limit {
            return Ok(None);
        }

        // Step 5: the greatest applicable event decides.
        let mut best: Option<(Key, bool, usize)> = None;
        for (index, event) in self.events.iter().enumerate() {
            let (key, applies, affected) = match event {
                Event::Introduced(s) if is_zero_event(s) => (Key::Zero, true, true),
                Event::Introduced(s) => {
                    let v = parse(s)?;
                    let applies = *version >= v;
                    (Key::At(v), applies, true)
                }
                Event::Fixed(s) => {
                    let v = parse(s)?;
                    let applies = *version >= v;
                    (Key::At(v), applies, false)
                }
                Event::LastAffected(s) => {
                    let v = parse(s)?;
                    let applies = *version > v;
                    (Key::At(v), applies, false)
                }
                Event::Limit(_) => continue,
            };
            if applies && best.as_ref().is_none_or(|(b, _, _)| key >= *b) {
                best = Some((key, affected, index));
            }
        }
        Ok(best.and_then(|(key, affected, index)| affected.then_some((key, index))))
    }

    /// The `fixed` event that closes the interval opened by the event at `(key, index)`: the
    /// next `fixed` or `last_affected` event in sorted order, if it is a `fixed`.
    fn closing_fix(&self, scheme: Scheme, key: &Key, index: usize) -> Option<(&str, Version)> {
        let mut closest: Option<(Key, usize, bool)> = None;
        for (i, event) in self.events.iter().enumerate() {
            let (s, is_fix) = match event {
                Event::Fixed(s) => (s, true),
                Event::LastAffected(s) => (s, false),
                Event::Introduced(_) | Event::Limit(_) => continue,
            };
            let Ok(v) = scheme.parse(s) else { continue };
            let k = Key::At(v);
            let after = match k.cmp(key) {
                Ordering::Greater => true,
                Ordering::Equal => i > index,
                Ordering::Less => false,
            };
            let closer = closest
                .as_ref()
                .is_none_or(|(ck, ci, _)| k < *ck || (k == *ck && i < *ci));
            if after && closer {
                closest = Some((k, i, is_fix));
            }
        }
        match closest {
            Some((Key::At(v), i, true)) => Some((self.events[i].version().trim(), v)),
            _ => None,
        }
    }
}

/// An event's position in the sorted order: `introduced: "0"` is below every version.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Key {
    Zero,
    At(Version),
}

fn is_zero_event(s: &str) -> bool {
    s.trim() == "0"
}

/// The result of [`assess`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Assessment {
    /// Whether the version is affected.
    pub affected: bool,
    /// The `fixed` versions of the ranges whose affected interval contains the version, as the
    /// advisory writes them, ascending and without duplicates. Empty when the version is not
    /// affected, is affected only through the `versions` list, or through intervals that
    /// have no fix (open-ended, or ended by `last_affected`).
    pub fixed_in: Vec<String>,
    /// The smallest `fixed` version above the version, in any applicable range, that is not
    /// itself affected by the advisory: the nearest upgrade that this advisory considers
    /// safe. `None` when there is none.
    pub next_fix: Option<String>,
}

/// The installed version, parsed lazily per scheme.
struct Installed<'a> {
    raw: &'a str,
    semver: Option<Result<Version, VersionError>>,
    pep440: Option<Result<Version, VersionError>>,
}

impl<'a> Installed<'a> {
    fn new(raw: &'a str) -> Self {
        Self {
            raw,
            semver: None,
            pep440: None,
        }
    }

    fn get(&mut self, scheme: Scheme) -> Result<&Version, &VersionError> {
        let slot = match scheme {
            Scheme::Semver => &mut self.semver,
            Scheme::Pep440 => &mut self.pep440,
        };
        slot.get_or_insert_with(|| scheme.parse(self.raw)).as_ref()
    }
}

/// Is the package `name` of `ecosystem` at `version` affected by an advisory with these
/// `affected` entries? See the module documentation for the exact rules.
///
/// # Errors
///
/// [`MatchError::Unpinned`] for an empty version that the advisory does not affect whatever
/// it is; [`MatchError::Version`] when the version does not parse in a scheme a range needs;
/// [`MatchError::Event`] when a range's event does not parse. Errors are returned only when
/// nothing showed the version affected.
pub fn is_affected(
    ecosystem: Ecosystem,
    name: &str,
    version: &str,
    affected: &[Affected],
) -> Result<bool, MatchError> {
    evaluate(ecosystem, name, version, affected, false).map(|a| a.affected)
}

/// Like [`is_affected`], and also gives the fixes to report: the `fixed` versions of the
/// intervals that contain the version, and the nearest fixed version above it.
///
/// # Errors
///
/// As [`is_affected`].
pub fn assess(
    ecosystem: Ecosystem,
    name: &str,
    version: &str,
    affected: &[Affected],
) -> Result<Assessment, MatchError> {
    let mut assessment = evaluate(ecosystem, name, version, affected, true)?;
    if version.trim().is_empty() {
        return Ok(assessment);
    }
    assessment.next_fix = next_fix(ecosystem, name, version, affected);
    Ok(assessment)
}

fn evaluate(
    ecosystem: Ecosystem,
    name: &str,
    version: &str,
    affected: &[Affected],
    collect_fixes: bool,
) -> Result<Assessment, MatchError> {
    let applicable = || affected.iter().filter(|a| a.applies_to(ecosystem, name));

    // Step 7: unpinned packages.
    if version.trim().is_empty() {
        let mut any = false;
        for entry in applicable() {
            any = true;
            if entry
                .ranges
                .iter()
                .any(|r| r.scheme(ecosystem).is_some() && r.affects_every_version())
            {
                return Ok(Assessment {
                    affected: true,
                    ..Assessment::default()
                });
            }
        }
        return if any {
            Err(MatchError::Unpinned {
                name: name.to_owned(),
            })
        } else {
            Ok(Assessment::default())
        };
    }

    let mut installed = Installed::new(version);
    let mut result = Assessment::default();
    let mut fixes: Vec<(Version, &str)> = Vec::new();
    let mut first_error: Option<MatchError> = None;

    for entry in applicable() {
        // Step 3: the versions list.
        if !entry.versions.is_empty() && in_versions(ecosystem, &mut installed, &entry.versions) {
            result.affected = true;
            if !collect_fixes {
                return Ok(result);
            }
        }
        // Steps 4 to 6: the ranges.
        for range in &entry.ranges {
            let Some(scheme) = range.scheme(ecosystem) else {
                continue;
            };
            let v = match installed.get(scheme) {
                Ok(v) => v,
                Err(source) => {
                    first_error.get_or_insert_with(|| MatchError::Version {
                        name: name.to_owned(),
                        version: version.to_owned(),
                        source: source.clone(),
                    });
                    continue;
                }
            };
            match range.evaluate(v) {
                Ok(Some((key, index))) => {
                    result.affected = true;
                    if !collect_fixes {
                        return Ok(result);
                    }
                    if let Some((fix, parsed)) = range.closing_fix(scheme, &key, index) {
                        fixes.push((parsed, fix));
                    }
                }
                Ok(None) => {}
                Err((event, source)) => {
                    first_error.get_or_insert_with(|| MatchError::Event {
                        name: name.to_owned(),
                        event,
                        source,
                    });
                }
            }
        }
    }

    if let (false, Some(error)) = (result.affected, first_error) {
        return Err(error);
    }
    fixes.sort_by(|a, b| a.0.cmp(&b.0));
    fixes.dedup_by(|a, b| a.0 == b.0);
    result.fixed_in = fixes.into_iter().map(|(_, s)| s.to_owned()).collect();
    Ok(result)
}

/// Step 3: is the installed version one of `versions`?
fn in_versions(ecosystem: Ecosystem, installed: &mut Installed<'_>, versions: &[String]) -> bool {
    let raw = installed.raw.trim();
    if versions.iter().any(|listed| listed.trim() == raw) {
        return true;
    }
    let scheme = Scheme::of(ecosystem);
    let Ok(v) = installed.get(scheme) else {
        return false;
    };
    versions
        .iter()
        .any(|listed| scheme.parse(listed).is_ok_and(|l| l == *v))
}

/// The smallest `fixed` event above `version`, among applicable ranges, that the advisory
/// does not itself affect.
fn next_fix(
    ecosystem: Ecosystem,
    name: &str,
    version: &str,
    affected: &[Affected],
) -> Option<String> {
    let mut candidates: Vec<(Version, &str)> = Vec::new();
    for entry in affected.iter().filter(|a| a.applies_to(ecosystem, name)) {
        for range in &entry.ranges {
            let Some(scheme) = range.scheme(ecosystem) else {
                continue;
            };
            let Ok(current) = scheme.parse(version) else {
                continue;
            };
            for event in &range.events {
                if let Event::Fixed(s) = event
                    && let Ok(fix) = scheme.parse(s)
                    && fix > current
                {
                    candidates.push((fix, s.trim()));
                }
            }
        }
    }
    candidates.sort_by(|a, b| a.0.cmp(&b.0));
    candidates
        .into_iter()
        .find(|(_, s)| matches!(is_affected(ecosystem, name, s, affected), Ok(false)))
        .map(|(_, s)| s.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chainward_types::normalize_name;

    fn entry(json: &str) -> Vec<Affected> {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn deserialises_osv_affected() {
        let affected = entry(
            r#"[{"package": {"ecosystem": "npm", "name": "x", "purl": "pkg:npm/x"},
                 "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "1.0.0"}],
                             "database_specific": {}},
                            {"type": "GIT", "repo": "https://e.invalid/x", "events": [{"introduced": "abc"}]},
                            {"type": "WEIRD", "events": []}],
                 "versions": null, "ecosystem_specific": {"a": 1}}]"#,
        );
        assert_eq!(affected[0].ranges[0].kind, RangeKind::Semver);
        assert_eq!(affected[0].ranges[1].kind, RangeKind::Git);
        assert_eq!(affected[0].ranges[2].kind, RangeKind::Unknown);
        assert_eq!(
            affected[0].ranges[0].events,
            [Event::Introduced("0".into()), Event::Fixed("1.0.0".into())]
        );
        let json = serde_json::to_value(&affected[0].ranges[0].events).unwrap();
        assert_eq!(
            json,
            serde_json::json!([{"introduced": "0"}, {"fixed": "1.0.0"}])
        );
    }

    #[test]
    fn splits_events_with_several_keys() {
        let affected = entry(
            r#"[{"package": {"ecosystem": "npm", "name": "x"},
                 "ranges": [{"type": "SEMVER", "events": [{"introduced": "1.0.0", "fixed": "1.0.2"}, {}]}]}]"#,
        );
        assert_eq!(
            affected[0].ranges[0].events,
            [
                Event::Introduced("1.0.0".into()),
                Event::Fixed("1.0.2".into())
            ]
        );
        assert_eq!(
            is_affected(Ecosystem::Npm, "x", "1.0.1", &affected),
            Ok(true)
        );
        assert_eq!(
            is_affected(Ecosystem::Npm, "x", "1.0.2", &affected),
            Ok(false)
        );
    }

    #[test]
    fn normalises_pypi_names_and_versions() {
        let affected = entry(
            r#"[{"package": {"ecosystem": "PyPI", "name": "Foo_Bar"}, "versions": ["1.0"]}]"#,
        );
        assert_eq!(
            is_affected(Ecosystem::PyPI, "foo.bar", "1.0.0", &affected),
            Ok(true)
        );
        assert_eq!(
            is_affected(Ecosystem::PyPI, "foo-bar", "1.0.1", &affected),
            Ok(false)
        );
        assert_eq!(
            is_affected(Ecosystem::Npm, "Foo_Bar", "1.0.0", &affected),
            Ok(false)
        );
    }

    #[test]
    fn requires_exact_ecosystem() {
        for eco in ["pypi", "PyPI:extra", "Root:PyPI", "Pypi"] {
            let affected = entry(&format!(
                r#"[{{"package": {{"ecosystem": "{eco}", "name": "x"}}, "ranges": [{{"type": "ECOSYSTEM", "events": [{{"introduced": "0"}}]}}]}}]"#
            ));
            assert_eq!(
                is_affected(Ecosystem::PyPI, "x", "1.0", &affected),
                Ok(false),
                "{eco}"
            );
        }
    }

    #[test]
    fn honours_limits() {
        let affected = entry(
            r#"[{"package": {"ecosystem": "crates.io", "name": "x"},
                 "ranges": [{"type": "SEMVER", "events": [{"introduced": "1.0.0"}, {"limit": "2.0.0"}, {"limit": "3.0.0"}]},
                            {"type": "SEMVER", "events": [{"introduced": "5.0.0"}, {"limit": "*"}]}]}]"#,
        );
        let check = |v: &str| is_affected(Ecosystem::CratesIo, "x", v, &affected);
        assert_eq!(check("0.9.0"), Ok(false));
        assert_eq!(check("2.5.0"), Ok(true), "below the second limit");
        assert_eq!(check("3.0.0"), Ok(false));
        assert_eq!(check("9.0.0"), Ok(true), "limit * is infinity");
    }

    #[test]
    fn reports_fixes() {
        let affected = entry(
            r#"[{"package": {"ecosystem": "npm", "name": "x"},
                 "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.2.5"},
                                                            {"introduced": "2.0.0"}, {"fixed": "2.0.3"},
                                                            {"introduced": "3.0.0"}, {"last_affected": "3.1.0"}]},
                            {"type": "ECOSYSTEM", "events": [{"introduced": "1.2.5"}, {"fixed": "1.2.7"}]}]}]"#,
        );
        let a = assess(Ecosystem::Npm, "x", "1.0.0", &affected).unwrap();
        assert!(a.affected);
        assert_eq!(a.fixed_in, ["1.2.5"]);
        assert_eq!(
            a.next_fix.as_deref(),
            Some("1.2.7"),
            "1.2.5 is affected by the second range"
        );
        let a = assess(Ecosystem::Npm, "x", "2.0.1", &affected).unwrap();
        assert_eq!(a.fixed_in, ["2.0.3"]);
        assert_eq!(a.next_fix.as_deref(), Some("2.0.3"));
        let a = assess(Ecosystem::Npm, "x", "3.0.5", &affected).unwrap();
        assert!(a.affected);
        assert!(a.fixed_in.is_empty(), "last_affected gives no fix");
        assert_eq!(a.next_fix, None);
        let a = assess(Ecosystem::Npm, "x", "4.0.0", &affected).unwrap();
        assert!(!a.affected);
    }

    #[test]
    fn unpinned_versions_are_not_checked_unless_everything_is_affected() {
        let bounded = entry(
            r#"[{"package": {"ecosystem": "npm", "name": "x"},
                 "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "1.0.0"}]}]}]"#,
        );
        assert_eq!(
            is_affected(Ecosystem::Npm, "x", " ", &bounded),
            Err(MatchError::Unpinned { name: "x".into() })
        );
        assert_eq!(
            is_affected(Ecosystem::Npm, "other", "", &bounded),
            Ok(false)
        );
        let malicious = entry(
            r#"[{"package": {"ecosystem": "npm", "name": "x"},
                 "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}]}]}]"#,
        );
        assert_eq!(is_affected(Ecosystem::Npm, "x", "", &malicious), Ok(true));
    }

    #[test]
    fn reports_unparseable_input() {
        let affected = entry(
            r#"[{"package": {"ecosystem": "npm", "name": "x"},
                 "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "one"}]},
                            {"type": "SEMVER", "events": [{"introduced": "2.0.0"}]}]}]"#,
        );
        assert!(matches!(
            is_affected(Ecosystem::Npm, "x", "1.0.0", &affected),
            Err(MatchError::Event { event, .. }) if event == "one"
        ));
        assert_eq!(
            is_affected(Ecosystem::Npm, "x", "2.0.0", &affected),
            Ok(true),
            "another range settles it"
        );
        assert!(matches!(
            is_affected(Ecosystem::Npm, "x", "latest", &affected),
            Err(MatchError::Version { .. })
        ));
    }

    proptest::proptest! {
        #[test]
        fn pep503_comparison_agrees_with_normalize_name(a in "[ A-Za-z0-9._-]{0,10}", b in "[ A-Za-z0-9._-]{0,10}") {
            let expected = normalize_name(Ecosystem::PyPI, &a) == normalize_name(Ecosystem::PyPI, &b);
            proptest::prop_assert_eq!(names_match(Ecosystem::PyPI, &a, &b), expected);
            proptest::prop_assert_eq!(
                pep503_chars(&a).collect::<String>(),
                normalize_name(Ecosystem::PyPI, &a)
            );
        }
    }

    #[test]
    fn ignores_git_ranges() {
        let affected = entry(
            r#"[{"package": {"ecosystem": "crates.io", "name": "x"},
                 "ranges": [{"type": "GIT", "repo": "r", "events": [{"introduced": "0"}]}]}]"#,
        );
        assert_eq!(
            is_affected(Ecosystem::CratesIo, "x", "1.0.0", &affected),
            Ok(false)
        );
    }
}
