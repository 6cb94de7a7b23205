//! `chainward exposure QUERY` and `chainward exposure --new-advisories`: every project, branch
//! and snapshot that ever held a matching package, with first and last time seen and whether
//! the latest snapshot still holds it. Exit 1 when anything matched, 0 when nothing did.
//!
//! Queries:
//! - a purl (`pkg:npm/%40scope/name@1.2.3`): that exact version (by the ecosystem's version
//!   equality, so PyPI `1.0` is `1.0.0`), or every version when the purl has none;
//! - `ECOSYSTEM:NAME[@VERSIONS]` (`npm:chalk@5.6.1`, `npm:chalk@>=5.6.0 <5.6.2`,
//!   `crates.io:serde`): a range in the ecosystem's own syntax (`chainward-version`); a bare
//!   Cargo version means exactly that version, not Cargo's caret; no version: every version;
//! - anything else is an advisory id or alias of the local advisory database: each package it
//!   names is matched with its OSV `affected` ranges, as `scan` does (registry packages with
//!   a pinned version only; the others are counted in the notes).
//!
//! `--new-advisories` matches every advisory added or changed since the previous run. The
//! place in the advisory database's change sequence is kept in the history database under a
//! key naming the advisory database's instance id, and is advanced only after the results
//! are written.
//!
//! Matching reads the store's package keys (cheap), then the exposure of each matching name.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use anyhow::{Context as _, bail};
use chainward_advisory::{AdvisoryDb, AffectedAdvisory};
use chainward_cli::{ExposureArgs, GlobalArgs, HistoryFormat};
use chainward_report::Reporter as _;
use chainward_report::history::{
    ExposureMatch, ExposureQuery, ExposureReport, ExposureSpan, SnapshotPoint,
};
use chainward_report::reporters;
use chainward_store::{BranchFilter, Exposure, SnapshotQuery, SnapshotRef, Store};
use chainward_types::{Ecosystem, PackageRef, normalize_name};
use chainward_version::{Scheme, VersionReq, parse_range};

use super::common::home_dir;
use super::history::{open_store, point};
use crate::ExitStatus;
use crate::printer::Printer;

/// Which versions a package query matches.
#[derive(Debug)]
enum Versions {
    Any,
    Exact(String),
    Range(VersionReq),
}

impl Versions {
    fn describe(&self) -> String {
        match self {
            Self::Any => "*".to_owned(),
            Self::Exact(v) => v.clone(),
            Self::Range(r) => r.as_str().to_owned(),
        }
    }
}

/// A parsed QUERY.
#[derive(Debug)]
enum Query {
    Package {
        kind: &'static str,
        ecosystem: Ecosystem,
        name: String,
        versions: Versions,
    },
    Advisory(String),
}

fn parse_query(input: &str) -> anyhow::Result<Query> {
    let s = input.trim();
    if s.is_empty() {
        bail!("the query is empty");
    }
    if s.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("pkg:")) {
        return parse_purl(s);
    }
    if let Some((eco, rest)) = s.split_once(':')
        && let Some(ecosystem) = Ecosystem::from_name(eco)
    {
        // `@scope/name@range`: the version starts at the first `@` after the first byte.
        let (name, spec) = match rest.get(1..).and_then(|r| r.find('@')) {
            Some(i) => (&rest[..=i], &rest[i + 2..]),
            None => (rest, ""),
        };
        let name = name.trim();
        if name.is_empty() {
            bail!("`{s}` names no package (write ECOSYSTEM:NAME@VERSION, e.g. npm:chalk@5.6.1)");
        }
        return Ok(Query::Package {
            kind: "package",
            ecosystem,
            name: normalize_name(ecosystem, name),
            versions: parse_versions(ecosystem, spec.trim())?,
        });
    }
    if s.contains(char::is_whitespace) || s.contains('/') {
        bail!(
            "`{s}` is neither a purl (pkg:npm/chalk@5.6.1), a package (npm:chalk@5.6.1) nor an advisory id (MAL-2025-46969)"
        );
    }
    Ok(Query::Advisory(s.to_owned()))
}

fn parse_versions(ecosystem: Ecosystem, spec: &str) -> anyhow::Result<Versions> {
    if spec.is_empty() || spec == "*" {
        return Ok(Versions::Any);
    }
    let bare = spec
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '+' | '_' | '!'));
    // A bare version is that version: Cargo would read `1.2.3` as `^1.2.3`.
    let expr = if ecosystem == Ecosystem::CratesIo && bare {
        format!("={spec}")
    } else {
        spec.to_owned()
    };
    match parse_range(ecosystem, &expr) {
        Ok(r) => Ok(Versions::Range(r)),
        Err(_) if bare => Ok(Versions::Exact(spec.to_owned())),
        Err(e) => Err(anyhow::anyhow!(e).context(format!(
            "`{spec}` is not a version or a {ecosystem} version range"
        ))),
    }
}

/// Percent-decodes a purl component.
fn percent_decode(s: &str) -> anyhow::Result<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = b
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .with_context(|| format!("`{s}` has a bad percent-escape"))?;
            out.push(hex);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).with_context(|| format!("`{s}` is not UTF-8 once decoded"))
}

fn parse_purl(s: &str) -> anyhow::Result<Query> {
    let rest = s[4..].trim_start_matches('/');
    let rest = rest.split_once('#').map_or(rest, |(r, _)| r);
    let rest = rest.split_once('?').map_or(rest, |(r, _)| r);
    let (ty, path) = rest
        .split_once('/')
        .with_context(|| format!("`{s}` is not a purl: no name"))?;
    let ecosystem = match ty.to_ascii_lowercase().as_str() {
        "npm" => Ecosystem::Npm,
        "cargo" => Ecosystem::CratesIo,
        "pypi" => Ecosystem::PyPI,
        other => {
            bail!("`{s}`: purl type `{other}` is not one chainward records (npm, cargo, pypi)")
        }
    };
    let path = path.trim_matches('/');
    let (namespace, last) = match path.rsplit_once('/') {
        Some((ns, last)) => (Some(ns), last),
        None => (None, path),
    };
    let (name, version) = match last.rsplit_once('@') {
        Some((n, v)) => (n, Some(v)),
        None => (last, None),
    };
    let name = percent_decode(name)?;
    if name.is_empty() {
        bail!("`{s}` is not a purl: no name");
    }
    let name = match namespace.map(percent_decode).transpose()? {
        Some(ns) if ecosystem == Ecosystem::Npm => {
            format!("@{}/{name}", ns.trim_start_matches('@'))
        }
        Some(ns) => format!("{ns}/{name}"),
        None => name,
    };
    let versions = match version.map(percent_decode).transpose()? {
        Some(v) if !v.is_empty() => Versions::Exact(v),
        _ => Versions::Any,
    };
    Ok(Query::Package {
        kind: "purl",
        ecosystem,
        name: normalize_name(ecosystem, &name),
        versions,
    })
}

fn exact_match(ecosystem: Ecosystem, wanted: &str, stored: &str) -> bool {
    wanted == stored
        || Scheme::of(ecosystem)
            .compare(wanted, stored)
            .is_ok_and(|o| o == Ordering::Equal)
}

/// (project, branch, package id).
type MatchKey = (String, Option<String>, i64);

/// Matches found so far, with the advisories that matched each.
#[derive(Default)]
struct Matches {
    by_key: BTreeMap<MatchKey, (Exposure, BTreeSet<String>)>,
    notes: Vec<String>,
}

impl Matches {
    fn add(&mut self, e: &Exposure, advisory: Option<&str>) {
        let entry = self
            .by_key
            .entry((e.project.clone(), e.branch.clone(), e.package.id.as_i64()))
            .or_insert_with(|| (e.clone(), BTreeSet::new()));
        if let Some(a) = advisory {
            entry.1.insert(a.to_owned());
        }
    }

    fn into_report(
        self,
        store: &mut dyn Store,
        list_snapshots: bool,
    ) -> anyhow::Result<(Vec<ExposureMatch>, Vec<String>)> {
        let mut out = Vec::with_capacity(self.by_key.len());
        let mut streams = Streams::default();
        for (e, advisories) in self.by_key.into_values() {
            let mut spans = Vec::with_capacity(e.spans.len());
            for s in &e.spans {
                let removed_in = if s.in_latest {
                    None
                } else {
                    streams.after(store, &e.project, e.branch.as_ref(), &s.last)?
                };
                let snapshots = if list_snapshots {
                    Some(
                        store
                            .snapshots_in(s)?
                            .iter()
                            .map(|i| i.id.as_i64())
                            .collect(),
                    )
                } else {
                    None
                };
                spans.push(ExposureSpan {
                    first: point(&s.first),
                    last: point(&s.last),
                    still_present: s.in_latest,
                    removed_in,
                    snapshots,
                });
            }
            let removed_in = if e.in_latest {
                None
            } else {
                streams.after(store, &e.project, e.branch.as_ref(), &e.last_seen)?
            };
            out.push(ExposureMatch {
                project: e.project.clone(),
                branch: e.branch.clone(),
                package: PackageRef {
                    ecosystem: e.package.ecosystem,
                    name: e.package.name.clone(),
                    version: e.package.version.clone(),
                    purl: e.package.purl.clone(),
                },
                origin: e.package.origin.clone(),
                advisories: advisories.into_iter().collect(),
                first_seen: point(&e.first_seen),
                last_seen: point(&e.last_seen),
                still_present: e.in_latest,
                removed_in,
                spans,
            });
        }
        Ok((out, self.notes))
    }
}

/// The snapshots of each (project, branch), loaded once, to find the snapshot after a run.
#[derive(Default)]
struct Streams {
    by_stream: HashMap<(String, Option<String>), Vec<SnapshotRef>>,
}

impl Streams {
    /// The snapshot after `last` in its stream (by time taken, then id, as the store orders
    /// them).
    fn after(
        &mut self,
        store: &mut dyn Store,
        project: &str,
        branch: Option<&String>,
        last: &SnapshotRef,
    ) -> anyhow::Result<Option<SnapshotPoint>> {
        let key = (project.to_owned(), branch.cloned());
        if !self.by_stream.contains_key(&key) {
            let list = store
                .snapshots(&SnapshotQuery {
                    project: Some(project.to_owned()),
                    branch: BranchFilter::Only(branch.cloned()),
                    ..SnapshotQuery::default()
                })?
                .into_iter()
                .map(|s| SnapshotRef {
                    id: s.id,
                    taken_at: s.taken_at,
                    commit: s.commit,
                })
                .collect();
            self.by_stream.insert(key.clone(), list);
        }
        let list = self.by_stream.get(&key).map_or(&[][..], Vec::as_slice);
        Ok(list
            .iter()
            .position(|s| s.id == last.id)
            .and_then(|i| list.get(i + 1))
            .map(point))
    }
}

/// Evaluates advisories (grouped by package) against every stored version of the packages
/// they name. Returns the number of (advisory, package) pairs evaluated.
fn match_advisories(
    store: &mut dyn Store,
    rows: &[AffectedAdvisory],
    project: Option<&str>,
    matches: &mut Matches,
) -> anyhow::Result<u64> {
    let stored: HashSet<(Ecosystem, String)> = store
        .package_keys()?
        .into_iter()
        .map(|k| (k.ecosystem, k.name))
        .collect();
    let mut by_package: BTreeMap<(Ecosystem, &str), Vec<&AffectedAdvisory>> = BTreeMap::new();
    for r in rows {
        by_package
            .entry((r.ecosystem, r.name.as_str()))
            .or_default()
            .push(r);
    }
    let mut evaluated = 0u64;
    let (mut unpinned, mut other_origin, mut unreadable) = (0u64, 0u64, BTreeSet::new());
    for ((ecosystem, name), advisories) in by_package {
        evaluated += advisories.len() as u64;
        if !stored.contains(&(ecosystem, name.to_owned())) {
            continue;
        }
        let exposures = store.exposure(ecosystem, name)?;
        let affected: Vec<(&str, Vec<chainward_version::osv::Affected>)> = advisories
            .iter()
            .filter_map(
                |a| match crate::matcher::to_version_affected(ecosystem, &a.advisory) {
                    Ok(x) => Some((a.advisory.id.as_str(), x)),
                    Err(e) => {
                        unreadable.insert(format!("{}: its affected ranges: {e}", a.advisory.id));
                        None
                    }
                },
            )
            .collect();
        for e in exposures
            .iter()
            .filter(|e| project.is_none_or(|p| e.project == p))
        {
            if !e.package.origin.is_registry() {
                other_origin += 1;
                continue;
            }
            if e.package.version.is_empty() {
                unpinned += 1;
                continue;
            }
            for (id, affected) in &affected {
                match chainward_version::is_affected(ecosystem, name, &e.package.version, affected)
                {
                    Ok(true) => matches.add(e, Some(id)),
                    Ok(false) => {}
                    Err(err) => {
                        unreadable
                            .insert(format!("{id} against {name}@{}: {err}", e.package.version));
                    }
                }
            }
        }
    }
    if other_origin > 0 {
        matches.notes.push(format!(
            "{other_origin} stored packages of a named package come from git, a URL or a path: registry advisories do not apply to them by name, so they were not matched"
        ));
    }
    if unpinned > 0 {
        matches.notes.push(format!(
            "{unpinned} stored packages of a named package have no pinned version and were not matched"
        ));
    }
    for u in unreadable {
        matches.notes.push(format!("could not evaluate {u}"));
    }
    Ok(evaluated)
}

fn match_package(
    store: &mut dyn Store,
    ecosystem: Ecosystem,
    name: &str,
    versions: &Versions,
    project: Option<&str>,
    matches: &mut Matches,
) -> anyhow::Result<()> {
    let mut unreadable = 0u64;
    for e in store
        .exposure(ecosystem, name)?
        .iter()
        .filter(|e| project.is_none_or(|p| e.project == p))
    {
        let hit = match versions {
            Versions::Any => true,
            _ if e.package.version.is_empty() => false,
            Versions::Exact(v) => exact_match(ecosystem, v, &e.package.version),
            Versions::Range(r) => match r.matches_str(&e.package.version) {
                Ok(m) => m,
                Err(_) => {
                    unreadable += 1;
                    false
                }
            },
        };
        if hit {
            matches.add(e, None);
        }
    }
    if unreadable > 0 {
        matches.notes.push(format!(
            "{unreadable} stored versions of {name} are not {ecosystem} versions and were not compared with the range"
        ));
    }
    Ok(())
}

/// The key under which `--new-advisories` keeps its place for one advisory database.
fn marker_key(instance: &str) -> String {
    format!("exposure.new-advisories.{instance}")
}

pub(crate) fn run(
    global: &GlobalArgs,
    args: &ExposureArgs,
    printer: &Printer,
) -> anyhow::Result<ExitStatus> {
    let format = super::output_format(global.format.as_deref(), HistoryFormat::Table, "exposure")?;
    let query = match (&args.query, args.new_advisories) {
        (Some(q), false) => Some(parse_query(q)?),
        (None, true) => None,
        _ => bail!("give a QUERY or --new-advisories"),
    };
    let mut store = open_store(global, &args.database, true)?;
    let project = args.project.as_deref();
    let mut matches = Matches::default();
    let mut q = ExposureQuery {
        input: args.query.clone(),
        ..ExposureQuery::default()
    };
    // For --new-advisories: where to leave the marker once the results are out.
    let mut marker: Option<(String, u64)> = None;
    match &query {
        Some(Query::Package {
            kind,
            ecosystem,
            name,
            versions,
        }) => {
            q.kind = (*kind).to_owned();
            q.ecosystem = Some(*ecosystem);
            q.name = Some(name.clone());
            q.versions = Some(versions.describe());
            match_package(
                store.as_mut(),
                *ecosystem,
                name,
                versions,
                project,
                &mut matches,
            )?;
        }
        Some(Query::Advisory(id)) => {
            q.kind = "advisory".to_owned();
            let db = open_advisories(global)?;
            let rows = db
                .affected_by_id(id)
                .context("reading the advisory database")?;
            if rows.is_empty() {
                if db
                    .advisories_by_id(id)
                    .context("reading the advisory database")?
                    .is_empty()
                {
                    bail!(
                        "no advisory `{id}` in the local database {}: run `chainward db update` or `chainward db import`; for a package, write a purl (pkg:npm/chalk@5.6.1) or ECOSYSTEM:NAME@VERSION",
                        db.path().display()
                    );
                }
                bail!("advisory `{id}` names no npm, crates.io or PyPI package: nothing to match");
            }
            let ids: BTreeSet<&str> = rows.iter().map(|r| r.advisory.id.as_str()).collect();
            q.advisories = ids.iter().map(|s| (*s).to_owned()).collect();
            let withdrawn: BTreeSet<String> = rows
                .iter()
                .filter_map(|r| {
                    r.withdrawn.as_ref().map(|w| {
                        format!(
                            "{} was withdrawn on {w}; it was matched anyway, as asked",
                            r.advisory.id
                        )
                    })
                })
                .collect();
            matches.notes.extend(withdrawn);
            q.advisories_checked = Some(match_advisories(
                store.as_mut(),
                &rows,
                project,
                &mut matches,
            )?);
        }
        None => {
            q.kind = "new-advisories".to_owned();
            let db = open_advisories(global)?;
            let instance = db.instance_id().context("reading the advisory database")?;
            let upto = db.change_seq().context("reading the advisory database")?;
            let key = marker_key(&instance);
            let since = store
                .state(&key)?
                .and_then(|v| v.trim().parse::<u64>().ok());
            let rows = db
                .changed_since(since, upto)
                .context("reading the advisory database")?;
            q.since_change = since;
            q.upto_change = Some(upto);
            if since.is_none() {
                matches.notes.push(
                    "first run against this advisory database: every advisory in it was considered"
                        .to_owned(),
                );
            }
            q.advisories_checked = Some(match_advisories(
                store.as_mut(),
                &rows,
                project,
                &mut matches,
            )?);
            let matched: BTreeSet<String> = matches
                .by_key
                .values()
                .flat_map(|(_, a)| a.iter().cloned())
                .collect();
            q.advisories = matched.into_iter().collect();
            if project.is_none() {
                marker = Some((key, upto));
            } else {
                matches.notes.push(
                    "--project was given: the place in the advisory sequence was not advanced"
                        .to_owned(),
                );
            }
        }
    }
    let (found, notes) = matches.into_report(store.as_mut(), args.snapshots)?;
    let mut report = ExposureReport {
        schema_version: chainward_report::SCHEMA_VERSION,
        query: q,
        matches: found,
        notes,
        summary: chainward_report::history::ExposureSummary::default(),
    };
    report.normalize();
    printer.result(|w| match format {
        HistoryFormat::Table => reporters::Table {
            wrap: printer.stdout_is_terminal(),
        }
        .render(&report, w),
        HistoryFormat::Json => reporters::Json.render(&report, w),
    })?;
    if let Some((key, upto)) = marker {
        store
            .set_state(&key, &upto.to_string())
            .context("remembering this --new-advisories run")?;
    }
    Ok(if report.matches.is_empty() {
        ExitStatus::Ok
    } else {
        ExitStatus::Failure
    })
}

fn open_advisories(global: &GlobalArgs) -> anyhow::Result<AdvisoryDb> {
    let home = home_dir(global)?;
    AdvisoryDb::open_existing(&home).with_context(|| {
        format!(
            "no advisory database in {}: run `chainward db import SOURCE` or `chainward db update` first",
            home.display()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn package(q: &str) -> (Ecosystem, String, String) {
        match parse_query(q).unwrap() {
            Query::Package {
                ecosystem,
                name,
                versions,
                ..
            } => (ecosystem, name, versions.describe()),
            Query::Advisory(a) => panic!("{q} read as advisory {a}"),
        }
    }

    #[test]
    fn reads_purls_short_forms_and_advisory_ids() {
        assert_eq!(
            package("pkg:npm/%40scope/name@1.2.3"),
            (Ecosystem::Npm, "@scope/name".into(), "1.2.3".into())
        );
        assert_eq!(
            package("pkg:npm/chalk@5.6.1"),
            (Ecosystem::Npm, "chalk".into(), "5.6.1".into())
        );
        assert_eq!(
            package("pkg:pypi/Friendly_Bard"),
            (Ecosystem::PyPI, "friendly-bard".into(), "*".into())
        );
        assert_eq!(
            package("npm:chalk@>=5.6.0 <5.6.2"),
            (Ecosystem::Npm, "chalk".into(), ">=5.6.0 <5.6.2".into())
        );
        assert_eq!(
            package("npm:@scope/name@^1"),
            (Ecosystem::Npm, "@scope/name".into(), "^1".into())
        );
        assert_eq!(
            package("npm:@scope/name"),
            (Ecosystem::Npm, "@scope/name".into(), "*".into())
        );
        assert_eq!(
            package("crates.io:serde@1.0.100"),
            (Ecosystem::CratesIo, "serde".into(), "=1.0.100".into())
        );
        assert_eq!(
            package("cargo:serde"),
            (Ecosystem::CratesIo, "serde".into(), "*".into())
        );
        assert!(matches!(
            parse_query("MAL-2025-46969").unwrap(),
            Query::Advisory(_)
        ));
        assert!(parse_query("pkg:maven/a/b@1").is_err());
        assert!(parse_query("npm:chalk@>=>=").is_err());
        assert!(parse_query("not a query").is_err());
        assert!(parse_query("").is_err());
    }

    #[test]
    fn a_bare_cargo_version_is_exact() {
        let Query::Package { versions, .. } = parse_query("cargo:serde@1.0.100").unwrap() else {
            panic!()
        };
        let Versions::Range(r) = versions else {
            panic!()
        };
        assert!(r.matches_str("1.0.100").unwrap());
        assert!(!r.matches_str("1.0.101").unwrap());
    }

    #[test]
    fn exact_versions_compare_by_the_ecosystem() {
        assert!(exact_match(Ecosystem::PyPI, "1.0", "1.0.0"));
        assert!(!exact_match(Ecosystem::Npm, "1.0.0", "1.0.1"));
        assert!(exact_match(Ecosystem::Npm, "weird", "weird"));
    }

    #[test]
    fn never_panics_on_odd_queries() {
        for q in [
            "pkg:",
            "pkg:npm",
            "pkg:npm/",
            "pkg:npm/%",
            "pkg:npm/a@%zz",
            "npm:",
            "npm:@",
            "npm:@@",
            "x:y",
            "é:é@é",
        ] {
            let _ = parse_query(q);
        }
    }
}
