//! RustSec advisory-db's native format, converted to OSV as RustSec's own OSV export does it.
//!
//! A file is Markdown whose front matter is a TOML block fenced with three backticks and the
//! `toml` info string, holding `[advisory]`, `[versions]` and optionally `[affected]`. The
//! body's first heading is the summary and the rest the details.
//!
//! Conversion (matching the official export in every field but `modified`):
//! - `published` is the advisory `date` at 12:00:00Z, `withdrawn` likewise.
//! - `modified` would be the file's last git commit time, which a checkout does not carry;
//!   the latest of `date` and `withdrawn` (at 12:00:00Z) stands in. So an imported official
//!   export (with real commit times) is newer and wins over the native file, and a native
//!   file edited in place is still picked up (same `modified`, different content).
//! - `[versions]` `patched` and `unaffected` (Cargo semver requirements) are the versions
//!   *not* affected; the affected `SEMVER` ranges are their complement (see [`ranges`]).
//! - `cvss` becomes `severity[]` (`CVSS_V3` or `CVSS_V4`); `categories`, `cvss` and
//!   `informational` go to `affected[].database_specific`; `[affected]` `arch`, `os` and the
//!   function paths go to `affected[].ecosystem_specific.affects`.
//! - references: the crates.io page, the RustSec page, `url`, then `references`, each typed
//!   as RustSec guesses it (issue trackers are `REPORT`, advisories `ADVISORY`).

use std::collections::BTreeMap;
use std::fmt;

use semver::{Comparator, Op, Prerelease, Version, VersionReq};
use serde::Deserialize;
use serde_json::{Value, json};

use chainward_types::ParseError;

/// The `[advisory]` table.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case")]
struct AdvisoryTable {
    id: String,
    package: String,
    date: String,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    categories: Vec<String>,
    #[serde(default)]
    #[allow(dead_code)]
    keywords: Vec<String>,
    #[serde(default)]
    aliases: Vec<String>,
    #[serde(default)]
    related: Vec<String>,
    #[serde(default)]
    cvss: Option<String>,
    #[serde(default)]
    informational: Option<String>,
    #[serde(default)]
    withdrawn: Option<String>,
    #[serde(default)]
    references: Vec<String>,
    #[serde(default)]
    #[allow(dead_code)]
    expect_deleted: bool,
    #[serde(default)]
    license: Option<String>,
}

/// The `[versions]` table.
#[derive(Debug, Default, Deserialize)]
struct VersionsTable {
    #[serde(default)]
    patched: Vec<String>,
    #[serde(default)]
    unaffected: Vec<String>,
}

/// The `[affected]` table.
#[derive(Debug, Default, Deserialize)]
struct AffectedTable {
    #[serde(default)]
    arch: Vec<String>,
    #[serde(default)]
    os: Vec<String>,
    #[serde(default)]
    functions: BTreeMap<String, Vec<String>>,
}

/// The whole front matter.
#[derive(Debug, Deserialize)]
struct FrontMatter {
    advisory: AdvisoryTable,
    #[serde(default)]
    versions: VersionsTable,
    #[serde(default)]
    affected: Option<AffectedTable>,
}

/// True when `text` looks like a RustSec advisory: its first non-blank line opens a
/// ```` ```toml ```` fence.
pub(crate) fn looks_like_advisory(text: &str) -> bool {
    text.trim_start_matches('\u{feff}')
        .lines()
        .find(|l| !l.trim().is_empty())
        .is_some_and(|l| l.trim_end() == "```toml")
}

/// Converts a RustSec Markdown advisory to an OSV record (as JSON). Errors carry the line.
pub(crate) fn to_osv(text: &str) -> Result<Value, ParseError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    // 1. Split the fenced TOML front matter from the Markdown body.
    let mut offset = 0;
    let mut toml_start = None;
    let mut toml_end = None;
    let mut body_start = text.len();
    for (i, line) in text.split_inclusive('\n').enumerate() {
        let trimmed = line.trim();
        match toml_start {
            None if trimmed.is_empty() => {}
            None if trimmed == "```toml" => toml_start = Some((offset + line.len(), i + 2)),
            None => {
                return Err(ParseError::at_line(
                    line_no(i),
                    "a RustSec advisory must start with a ```toml front matter block",
                ));
            }
            Some(_) if trimmed == "```" => {
                toml_end = Some(offset);
                body_start = offset + line.len();
                break;
            }
            Some(_) => {}
        }
        offset += line.len();
    }
    let (Some((start, first_line)), Some(end)) = (toml_start, toml_end) else {
        return Err(ParseError::whole_file(
            "the ```toml front matter block is not closed with ```",
        ));
    };
    let front = &text[start..end];
    let body = &text[body_start..];
    let body_first_line = text[..body_start].matches('\n').count()
        + 1
        + body.lines().take_while(|l| l.trim().is_empty()).count();

    // 2. Parse the TOML (v4 advisories may omit the leading `[advisory]` header).
    let toml_text;
    let (toml_src, line_shift) = if front.trim_start().starts_with("[advisory]") {
        (front, first_line)
    } else {
        toml_text = format!("[advisory]\n{front}");
        (toml_text.as_str(), first_line.saturating_sub(1))
    };
    let fm: FrontMatter = toml::from_str(toml_src).map_err(|e| {
        let line = e.span().map(|s| {
            toml_src
                .get(..s.start)
                .unwrap_or(toml_src)
                .matches('\n')
                .count()
                + line_shift
        });
        let msg = e.message().trim().to_owned();
        match line {
            Some(l) => ParseError::at_line(line_no(l), msg),
            None => ParseError::whole_file(msg),
        }
    })?;
    let line_of = |needle: &str| {
        front
            .lines()
            .position(|l| l.contains(needle))
            .map_or(first_line, |p| first_line + p)
    };

    // 3. The body: first heading is the title, the rest the description.
    let (title, description) = split_body(body).ok_or_else(|| {
        ParseError::at_line(
            line_no(body_first_line),
            "the advisory body must start with a `# title` heading",
        )
    })?;

    let a = &fm.advisory;
    let date = |field: &str, value: &str| {
        rfc3339_noon(value).ok_or_else(|| {
            ParseError::at_line(
                line_no(line_of(value)),
                format!("`{field}` is not a YYYY-MM-DD date: `{value}`"),
            )
        })
    };
    let published = date("date", &a.date)?;
    let withdrawn = a
        .withdrawn
        .as_deref()
        .map(|w| date("withdrawn", w))
        .transpose()?;
    let modified = withdrawn
        .clone()
        .filter(|w| *w > published)
        .unwrap_or_else(|| published.clone());

    // 4. Versions: parse the requirements, then take the complement.
    let mut unaffected = Vec::new();
    for req in fm.versions.unaffected.iter().chain(&fm.versions.patched) {
        let parsed = VersionReq::parse(req).map_err(|e| {
            ParseError::at_line(
                line_no(line_of(req)),
                format!("`{req}` is not a semver requirement: {e}"),
            )
        })?;
        let range = UnaffectedRange::from_req(&parsed)
            .map_err(|e| ParseError::at_line(line_no(line_of(req)), format!("`{req}`: {e}")))?;
        unaffected.push(range);
    }
    let ranges = ranges(unaffected).map_err(|e| {
        ParseError::at_line(
            line_no(line_of("[versions]")),
            format!("[versions] cannot be converted: {e}"),
        )
    })?;
    let mut events = Vec::new();
    for r in ranges {
        events.push(json!({"introduced": r.introduced.map_or_else(|| "0.0.0-0".to_owned(), |v| v.to_string())}));
        if let Some(fixed) = r.fixed {
            events.push(json!({"fixed": fixed.to_string()}));
        }
    }

    // 5. Assemble the OSV record as the official export lays it out.
    let affected = fm.affected.unwrap_or_default();
    let severity: Vec<Value> = a
        .cvss
        .iter()
        .map(|c| {
            let kind = if c.starts_with("CVSS:4") {
                "CVSS_V4"
            } else {
                "CVSS_V3"
            };
            json!({"type": kind, "score": c})
        })
        .collect();
    let mut references = vec![
        reference(&format!("https://crates.io/crates/{}", a.package)),
        reference(&format!("https://rustsec.org/advisories/{}.html", a.id)),
    ];
    references.extend(a.url.iter().map(|u| reference(u)));
    references.extend(a.references.iter().map(|u| reference(u)));
    let mut record = json!({
        "id": a.id,
        "modified": modified,
        "published": published,
        "aliases": a.aliases,
        "related": a.related,
        "summary": title,
        "details": description,
        "severity": severity,
        "affected": [{
            "package": {
                "ecosystem": "crates.io",
                "name": a.package,
                "purl": format!("pkg:cargo/{}", a.package),
            },
            "ecosystem_specific": {
                "affects": {
                    "arch": affected.arch,
                    "os": affected.os,
                    "functions": affected.functions.keys().collect::<Vec<_>>(),
                },
                "affected_functions": null,
            },
            "database_specific": {
                "categories": a.categories,
                "cvss": a.cvss,
                "informational": a.informational,
            },
            "ranges": [{"type": "SEMVER", "events": events}],
            "versions": [],
        }],
        "references": references,
        "database_specific": {"license": a.license.as_deref().unwrap_or("CC0-1.0")},
    });
    if let (Some(w), Some(obj)) = (withdrawn, record.as_object_mut()) {
        obj.insert("withdrawn".to_owned(), Value::String(w));
    }
    Ok(record)
}

fn line_no(line: usize) -> u32 {
    u32::try_from(line).unwrap_or(u32::MAX)
}

/// `(title, description)` of the Markdown body: the first non-blank line must be a `#`
/// heading; the description is everything after it, trimmed.
fn split_body(body: &str) -> Option<(String, String)> {
    let body = body.trim_start();
    let (first, rest) = body.split_once('\n').unwrap_or((body, ""));
    // As RustSec does: the `#` and one space go, any further leading space stays.
    let title = first.strip_prefix('#')?;
    let title = title.strip_prefix(' ').unwrap_or(title).trim_end();
    Some((title.to_owned(), rest.trim().to_owned()))
}

/// `YYYY-MM-DD` as RFC 3339 at noon UTC, as RustSec's export writes dates.
fn rfc3339_noon(date: &str) -> Option<String> {
    let d = date.trim();
    let ok = d.len() == 10
        && d.bytes().enumerate().all(|(i, b)| {
            if i == 4 || i == 7 {
                b == b'-'
            } else {
                b.is_ascii_digit()
            }
        });
    let s = format!("{d}T12:00:00Z");
    (ok && crate::time::parse_rfc3339_micros(&s).is_some()).then_some(s)
}

/// A reference typed the way RustSec's export guesses it.
fn reference(url: &str) -> Value {
    let kind = if (url.contains("://github.com/") || url.contains("://gitlab."))
        && url.contains("/issues/")
    {
        "REPORT"
    } else if url.contains("/advisories/") || url.contains("://cve.mitre.org/") {
        "ADVISORY"
    } else if url.contains("://crates.io/crates/") {
        "PACKAGE"
    } else {
        "WEB"
    };
    json!({"type": kind, "url": url})
}

/// One end of an unaffected interval.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Bound {
    Unbounded,
    Exclusive(Version),
    Inclusive(Version),
}

impl Bound {
    fn version(&self) -> Option<&Version> {
        match self {
            Self::Unbounded => None,
            Self::Exclusive(v) | Self::Inclusive(v) => Some(v),
        }
    }
}

impl fmt::Display for Bound {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unbounded => f.write_str("unbounded"),
            Self::Exclusive(v) => write!(f, "{v} (exclusive)"),
            Self::Inclusive(v) => write!(f, "{v} (inclusive)"),
        }
    }
}

/// `start <= end` where `start` is the start of one interval and `end` the end of one.
fn start_le_end(start: &Bound, end: &Bound) -> bool {
    match (start.version(), end.version()) {
        (None, _) | (_, None) => true,
        (Some(s), Some(e)) if s < e => true,
        (Some(s), Some(e)) => {
            matches!((start, end), (Bound::Inclusive(_), Bound::Inclusive(_))) && s == e
        }
    }
}

/// A non-empty interval of versions that are not affected.
#[derive(Debug, Clone, PartialEq, Eq)]
struct UnaffectedRange {
    start: Bound,
    end: Bound,
}

impl fmt::Display for UnaffectedRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{} .. {}]", self.start, self.end)
    }
}

impl UnaffectedRange {
    /// The interval one requirement describes. A requirement may have at most one lower and
    /// one upper bound; `=`, `^` and `~` must stand alone (they give both bounds).
    fn from_req(req: &VersionReq) -> Result<Self, String> {
        if req.comparators.len() > 2 {
            return Err("more than two comparators".to_owned());
        }
        let alone = |what: &str| {
            if req.comparators.len() == 1 {
                Ok(())
            } else {
                Err(format!("a `{what}` requirement must stand alone"))
            }
        };
        let mut start = Bound::Unbounded;
        let mut end = Bound::Unbounded;
        for c in &req.comparators {
            let v = comparator_version(c);
            match c.op {
                Op::Greater | Op::GreaterEq => {
                    if start != Bound::Unbounded {
                        return Err("two lower bounds".to_owned());
                    }
                    start = if c.op == Op::Greater {
                        Bound::Exclusive(v)
                    } else {
                        Bound::Inclusive(v)
                    };
                }
                Op::Less | Op::LessEq => {
                    if end != Bound::Unbounded {
                        return Err("two upper bounds".to_owned());
                    }
                    end = if c.op == Op::Less {
                        Bound::Exclusive(v)
                    } else {
                        Bound::Inclusive(v)
                    };
                }
                Op::Exact => {
                    alone("=")?;
                    start = Bound::Inclusive(v.clone());
                    end = Bound::Inclusive(v);
                }
                Op::Caret => {
                    alone("^")?;
                    let upper = if c.major == 0 {
                        match (c.minor, c.patch) {
                            (Some(0), Some(patch)) => Version::new(0, 0, patch.saturating_add(1)),
                            (Some(minor), _) => Version::new(0, minor.saturating_add(1), 0),
                            (None, _) => Version::new(1, 0, 0),
                        }
                    } else {
                        Version::new(c.major.saturating_add(1), 0, 0)
                    };
                    start = Bound::Inclusive(v);
                    end = Bound::Exclusive(lowest_prerelease(upper));
                }
                Op::Tilde => {
                    alone("~")?;
                    let upper = match c.minor {
                        None => Version::new(c.major.saturating_add(1), 0, 0),
                        Some(minor) => Version::new(c.major, minor.saturating_add(1), 0),
                    };
                    start = Bound::Inclusive(v);
                    end = Bound::Exclusive(lowest_prerelease(upper));
                }
                _ => return Err(format!("unsupported operator in `{c}`")),
            }
        }
        if !start_le_end(&start, &end) {
            return Err("the lower bound is above the upper bound".to_owned());
        }
        Ok(Self { start, end })
    }

    fn overlaps(&self, other: &Self) -> bool {
        start_le_end(&self.start, &other.end) && start_le_end(&other.start, &self.end)
    }
}

/// `v-0`: the lowest version with `v`'s numbers (so `< 2.0.0-0` excludes 2.0.0 pre-releases).
fn lowest_prerelease(mut v: Version) -> Version {
    v.pre = Prerelease::new("0").unwrap_or(Prerelease::EMPTY);
    v
}

fn comparator_version(c: &Comparator) -> Version {
    Version {
        major: c.major,
        minor: c.minor.unwrap_or(0),
        patch: c.patch.unwrap_or(0),
        pre: c.pre.clone(),
        build: semver::BuildMetadata::EMPTY,
    }
}

/// The lowest version above `v` in semver precedence: `1.2.3` → `1.2.4-0`; a pre-release
/// gets a `.0` identifier appended (`1.2.3-alpha` → `1.2.3-alpha.0`).
fn successor(v: &Version) -> Version {
    let mut next = v.clone();
    next.build = semver::BuildMetadata::EMPTY;
    if v.pre.is_empty() {
        next.patch = next.patch.saturating_add(1);
        next.pre = Prerelease::new("0").unwrap_or(Prerelease::EMPTY);
    } else {
        next.pre = Prerelease::new(&format!("{}.0", v.pre)).unwrap_or_else(|_| v.pre.clone());
    }
    next
}

/// An affected interval `[introduced, fixed)`; `None` is unbounded.
#[derive(Debug, Clone, PartialEq, Eq)]
struct AffectedInterval {
    introduced: Option<Version>,
    fixed: Option<Version>,
}

/// The affected intervals: the complement of the unaffected ones, in order.
fn ranges(mut unaffected: Vec<UnaffectedRange>) -> Result<Vec<AffectedInterval>, String> {
    if unaffected.is_empty() {
        return Ok(vec![AffectedInterval {
            introduced: None,
            fixed: None,
        }]);
    }
    for (i, a) in unaffected.iter().enumerate() {
        for b in &unaffected[i + 1..] {
            if a.overlaps(b) {
                return Err(format!("unaffected ranges {a} and {b} overlap"));
            }
        }
    }
    // Disjoint, so ordering by start orders them completely.
    unaffected.sort_by(|a, b| a.start.version().cmp(&b.start.version()));
    let mut out = Vec::new();
    if let Some(first) = unaffected.first() {
        match &first.start {
            Bound::Unbounded => {}
            Bound::Exclusive(v) => out.push(AffectedInterval {
                introduced: None,
                fixed: Some(successor(v)),
            }),
            Bound::Inclusive(v) => out.push(AffectedInterval {
                introduced: None,
                fixed: Some(v.clone()),
            }),
        }
    }
    for pair in unaffected.windows(2) {
        let introduced = match &pair[0].end {
            Bound::Unbounded => {
                return Err(format!(
                    "{} has no upper bound but is not the last",
                    pair[0]
                ));
            }
            Bound::Exclusive(v) => v.clone(),
            Bound::Inclusive(v) => successor(v),
        };
        let fixed = match &pair[1].start {
            Bound::Unbounded => {
                return Err(format!(
                    "{} has no lower bound but is not the first",
                    pair[1]
                ));
            }
            Bound::Exclusive(v) => successor(v),
            Bound::Inclusive(v) => v.clone(),
        };
        out.push(AffectedInterval {
            introduced: Some(introduced),
            fixed: Some(fixed),
        });
    }
    if let Some(last) = unaffected.last() {
        match &last.end {
            Bound::Unbounded => {}
            Bound::Exclusive(v) => out.push(AffectedInterval {
                introduced: Some(v.clone()),
                fixed: None,
            }),
            Bound::Inclusive(v) => out.push(AffectedInterval {
                introduced: Some(successor(v)),
                fixed: None,
            }),
        }
    }
    if out.is_empty() {
        return Err("every version is unaffected".to_owned());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn events(patched: &[&str], unaffected: &[&str]) -> Vec<(Option<String>, Option<String>)> {
        let mut u = Vec::new();
        for r in unaffected.iter().chain(patched) {
            u.push(UnaffectedRange::from_req(&VersionReq::parse(r).unwrap()).unwrap());
        }
        ranges(u)
            .unwrap()
            .into_iter()
            .map(|r| {
                (
                    r.introduced.map(|v| v.to_string()),
                    r.fixed.map(|v| v.to_string()),
                )
            })
            .collect()
    }

    fn s(v: &str) -> Option<String> {
        Some(v.to_owned())
    }

    #[test]
    fn complements_patched_and_unaffected() {
        assert_eq!(
            events(&[">= 0.3.47"], &["< 0.3.6"]),
            vec![(s("0.3.6"), s("0.3.47"))]
        );
        assert_eq!(events(&[], &["<= 0.3.9"]), vec![(s("0.3.10-0"), None)]);
        assert_eq!(events(&[], &[]), vec![(None, None)]);
        assert_eq!(events(&[">= 1.2.0"], &[]), vec![(None, s("1.2.0"))]);
        assert_eq!(
            events(&["^0.2.5", ">= 0.3.1"], &[]),
            vec![(None, s("0.2.5")), (s("0.3.0-0"), s("0.3.1"))]
        );
        assert_eq!(
            events(&["~1.2.3"], &[]),
            vec![(None, s("1.2.3")), (s("1.3.0-0"), None)]
        );
        assert_eq!(
            events(&["= 1.0.1"], &[]),
            vec![(None, s("1.0.1")), (s("1.0.2-0"), None)]
        );
        assert_eq!(events(&["> 1.0.0"], &[]), vec![(None, s("1.0.1-0"))]);
    }

    #[test]
    fn overlapping_ranges_are_an_error_not_a_panic() {
        let u = vec![
            UnaffectedRange::from_req(&VersionReq::parse(">= 1.0").unwrap()).unwrap(),
            UnaffectedRange::from_req(&VersionReq::parse(">= 2.0").unwrap()).unwrap(),
        ];
        assert!(ranges(u).unwrap_err().contains("overlap"));
        assert!(UnaffectedRange::from_req(&VersionReq::parse(">= 1, >= 2").unwrap()).is_err());
        assert!(UnaffectedRange::from_req(&VersionReq::parse("^1, < 3").unwrap()).is_err());
        assert!(UnaffectedRange::from_req(&VersionReq::parse("*").unwrap()).is_ok());
        let all = vec![UnaffectedRange::from_req(&VersionReq::parse("*").unwrap()).unwrap()];
        assert!(ranges(all).is_err());
    }

    #[test]
    fn prerelease_successor_is_next_in_precedence() {
        let v = Version::parse("1.0.0-alpha").unwrap();
        let next = successor(&v);
        assert!(next > v);
        assert_eq!(next.to_string(), "1.0.0-alpha.0");
    }

    const DAEMONIZE: &str = r#"```toml
[advisory]
id = "RUSTSEC-2021-0147"
package = "daemonize"
date = "2021-09-01"
withdrawn = "2023-02-19"
url = "https://github.com/knsd/daemonize/issues/46"
informational = "unmaintained"

[versions]
patched = []
```

# `daemonize` is Unmaintained

Last release was over four years ago.
"#;

    #[test]
    fn converts_a_withdrawn_informational_advisory() {
        let v = to_osv(DAEMONIZE).unwrap();
        assert_eq!(v["id"], "RUSTSEC-2021-0147");
        assert_eq!(v["published"], "2021-09-01T12:00:00Z");
        assert_eq!(v["withdrawn"], "2023-02-19T12:00:00Z");
        assert_eq!(v["modified"], "2023-02-19T12:00:00Z");
        assert_eq!(v["summary"], "`daemonize` is Unmaintained");
        assert_eq!(v["details"], "Last release was over four years ago.");
        assert_eq!(
            v["affected"][0]["database_specific"]["informational"],
            "unmaintained"
        );
        assert_eq!(
            v["affected"][0]["ranges"][0]["events"],
            json!([{"introduced": "0.0.0-0"}])
        );
        assert_eq!(
            v["references"][2],
            json!({"type": "REPORT", "url": "https://github.com/knsd/daemonize/issues/46"})
        );
    }

    #[test]
    fn errors_name_the_line() {
        let bad = DAEMONIZE.replace("patched = []", "patched = [\">= x.y\"]");
        let e = to_osv(&bad).unwrap_err();
        assert_eq!(e.line, Some(11), "{e}");
        let bad = DAEMONIZE.replace("date = \"2021-09-01\"", "date = 2021");
        let e = to_osv(&bad).unwrap_err();
        assert!(e.line.is_some(), "{e}");
        assert!(to_osv("# just markdown").is_err());
        assert!(to_osv("```toml\n[advisory]\n").is_err());
        let no_title = DAEMONIZE.replace("# `daemonize` is Unmaintained", "no heading");
        assert_eq!(to_osv(&no_title).unwrap_err().line, Some(14));
    }

    proptest::proptest! {
        #[test]
        fn never_panics_on_arbitrary_text(s in "\\PC*") {
            let _ = to_osv(&s);
            let _ = to_osv(&format!("```toml\n{s}\n```\n# t\n"));
        }

        #[test]
        fn never_panics_on_arbitrary_requirements(a in "[<>=^~ 0-9.,*a-z-]{0,20}", b in "[<>=^~ 0-9.,*a-z-]{0,20}") {
            let mut u = Vec::new();
            for r in [&a, &b] {
                if let Ok(req) = VersionReq::parse(r)
                    && let Ok(range) = UnaffectedRange::from_req(&req)
                {
                    u.push(range);
                }
            }
            let _ = ranges(u);
        }
    }
}
