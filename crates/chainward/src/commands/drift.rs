//! `chainward drift --project NAME [--branch B] [--from SNAPSHOT] [--to SNAPSHOT]`: what
//! changed between two snapshots of a project, with the changes that matter as findings.
//!
//! 1. Pick the snapshots: `--to` (default: the latest of the branch, which defaults to the
//!    branch of the project's latest snapshot) and `--from` (default: the one before `--to`
//!    in its branch). Both must belong to the project.
//! 2. Group each snapshot's packages by (ecosystem, name). A name only in `to` is added,
//!    only in `from` removed. For a name in both, versions only in `from` are paired with
//!    versions only in `to`, in version order: each pair is an upgrade or a downgrade, and
//!    what is left over is added or removed.
//! 3. `republished-or-tampered` (critical): a version in both snapshots, from the same
//!    place, with a hash of the same algorithm and artifact in each and none in common.
//! 4. `origin-changed` (high): a name whose `to` packages come from a place none of its
//!    `from` packages came from: registry (the public one, or another host), git repository,
//!    URL host, or a local path. Workspace members are the project's own code and ignored.
//! 5. Install scripts and provenance identities are not recorded in snapshots: a note says
//!    drift cannot report them, rather than reporting nothing as if it had looked.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};

use anyhow::{Context as _, bail};
use chainward_cli::{DriftArgs, GlobalArgs, HistoryFormat};
use chainward_report::Reporter as _;
use chainward_report::history::{DriftPackage, DriftReport, DriftSummary, VersionChange};
use chainward_report::reporters;
use chainward_store::{BranchFilter, PackageRecord, SnapshotId, SnapshotInfo, Store, StreamInfo};
use chainward_types::{
    Ecosystem, Evidence, Finding, FindingCode, Hash, HashAlgorithm, Location, Origin, PackageRef,
};
use chainward_version::Scheme;

use super::history::{open_store, summary};
use super::scan::exit_for;
use crate::ExitStatus;
use crate::printer::Printer;

pub(crate) fn run(
    global: &GlobalArgs,
    args: &DriftArgs,
    printer: &Printer,
) -> anyhow::Result<ExitStatus> {
    let format = super::output_format(global.format.as_deref(), HistoryFormat::Table, "drift")?;
    let mut store = open_store(global, &args.database, true)?;
    let (from, to) = pick(store.as_mut(), args)?;
    let a = store
        .packages(from.id)?
        .with_context(|| format!("snapshot {} has no packages stored", from.id))?;
    let b = store
        .packages(to.id)?
        .with_context(|| format!("snapshot {} has no packages stored", to.id))?;
    let mut report = diff(&from, &to, &a, &b);
    report.normalize();
    printer.result(|w| match format {
        HistoryFormat::Table => reporters::Table {
            wrap: printer.stdout_is_terminal(),
        }
        .render(&report, w),
        HistoryFormat::Json => reporters::Json.render(&report, w),
    })?;
    Ok(exit_for(&report.findings, args.fail_on))
}

fn stream_label(branch: Option<&str>) -> String {
    branch.map_or_else(|| "(no branch)".to_owned(), |b| format!("branch `{b}`"))
}

/// 1. The two snapshots to compare.
fn pick(store: &mut dyn Store, args: &DriftArgs) -> anyhow::Result<(SnapshotInfo, SnapshotInfo)> {
    let project = args.project.as_str();
    let by_id = |store: &mut dyn Store, id: i64, option: &str| -> anyhow::Result<SnapshotInfo> {
        let s = store
            .snapshot(SnapshotId::from_i64(id))?
            .with_context(|| format!("{option} {id}: no such snapshot"))?;
        if s.project != project {
            bail!(
                "{option} {id} is a snapshot of project `{}`, not `{project}`",
                s.project
            );
        }
        Ok(s)
    };
    let to = match args.to {
        Some(id) => by_id(store, id, "--to")?,
        None => {
            let branch = match &args.branch {
                Some(b) => Some(b.clone()),
                None => {
                    let streams = store.streams(Some(project))?;
                    latest_stream(&streams)
                        .with_context(|| format!("no snapshots of project `{project}`"))?
                        .branch
                        .clone()
                }
            };
            store
                .latest(project, &BranchFilter::Only(branch.clone()))?
                .with_context(|| {
                    format!(
                        "no snapshots of project `{project}` on {}",
                        stream_label(branch.as_deref())
                    )
                })?
        }
    };
    let from = match args.from {
        Some(id) => by_id(store, id, "--from")?,
        None => store.previous(to.id)?.with_context(|| {
            format!(
                "snapshot {} is the first of project `{project}` on {}: nothing to compare it with (record another, or name one with --from)",
                to.id,
                stream_label(to.branch.as_deref())
            )
        })?,
    };
    if from.id == to.id {
        bail!("--from and --to are the same snapshot ({})", to.id);
    }
    Ok((from, to))
}

/// The stream whose latest snapshot is the newest.
fn latest_stream(streams: &[StreamInfo]) -> Option<&StreamInfo> {
    streams
        .iter()
        .filter(|s| s.latest.is_some())
        .max_by_key(|s| s.latest.as_ref().map(|l| (l.taken_at, l.id)))
}

fn compare(ecosystem: Ecosystem, a: &str, b: &str) -> Ordering {
    Scheme::of(ecosystem)
        .compare(a, b)
        .unwrap_or_else(|_| a.cmp(b))
}

/// The host of a URL, lowercased, without user info.
fn host_of(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    host.to_ascii_lowercase()
}

/// A git repository as `host/path`, whatever the URL's form (`git+https://`, `git@host:`,
/// `.git` suffix).
fn git_repo(url: &str) -> String {
    let url = url.strip_prefix("git+").unwrap_or(url);
    let (host, path) = match url.split_once("://") {
        Some((_, rest)) => {
            let rest = rest.rsplit_once('@').map_or(rest, |(_, r)| r);
            rest.split_once('/').unwrap_or((rest, ""))
        }
        // scp-like `git@github.com:owner/repo.git`
        None => {
            let rest = url.rsplit_once('@').map_or(url, |(_, r)| r);
            rest.split_once(':').unwrap_or((rest, ""))
        }
    };
    let path = path.split(['#', '?']).next().unwrap_or("");
    let path = path.trim_end_matches('/').trim_end_matches(".git");
    format!("{}/{path}", host.to_ascii_lowercase())
}

/// The `repository_url` qualifier of a purl: set only for registries other than the
/// ecosystem's public one (`chainward_types::purl`).
fn repository_url(purl: &str) -> Option<String> {
    let (_, q) = purl.split_once('?')?;
    let q = q.split('#').next().unwrap_or(q);
    q.split('&')
        .find_map(|kv| kv.strip_prefix("repository_url="))
        .map(|v| v.replace("%3A", ":").replace("%2F", "/"))
}

/// Where a package comes from (step 4), coarsely enough that a lockfile format change (a
/// tarball URL recorded or not) is not a move. `None` for workspace members.
fn place(r: &PackageRecord) -> Option<String> {
    Some(match &r.origin {
        Origin::Registry { .. } => match repository_url(&r.purl) {
            Some(u) => format!("registry {}", host_of(&u)),
            None => "the public registry".to_owned(),
        },
        Origin::Git { url, .. } => format!("git {}", git_repo(url)),
        Origin::Url { url } => format!("URL host {}", host_of(url)),
        Origin::Path { .. } => "a local path".to_owned(),
        Origin::Workspace { .. } => return None,
    })
}

fn package_ref(r: &PackageRecord) -> PackageRef {
    PackageRef {
        ecosystem: r.ecosystem,
        name: r.name.clone(),
        version: r.version.clone(),
        purl: r.purl.clone(),
    }
}

fn locations(r: &PackageRecord) -> Vec<Location> {
    r.paths
        .iter()
        .map(|p| Location::new(p.clone(), None))
        .collect()
}

fn drift_package(r: &PackageRecord) -> DriftPackage {
    DriftPackage {
        ecosystem: r.ecosystem,
        name: r.name.clone(),
        version: r.version.clone(),
        purl: r.purl.clone(),
    }
}

fn short_hex(h: &Hash) -> String {
    let hex = &h.hex;
    match (
        hex.get(..8),
        hex.len().checked_sub(8).and_then(|i| hex.get(i..)),
    ) {
        (Some(head), Some(tail)) if hex.len() > 16 => {
            format!("{}:{head}…{tail}", h.algorithm.as_str())
        }
        _ => format!("{}:{hex}", h.algorithm.as_str()),
    }
}

/// Step 3: hashes of the same (algorithm, artifact) in both sets with none in common; the
/// strongest such pair.
fn conflicting_hashes<'a>(
    a: &[&'a PackageRecord],
    b: &[&'a PackageRecord],
) -> Option<(&'a Hash, &'a Hash)> {
    type Key<'k> = (HashAlgorithm, Option<&'k str>);
    let group = |records: &[&'a PackageRecord]| {
        let mut m: BTreeMap<Key<'a>, Vec<&'a Hash>> = BTreeMap::new();
        for r in records {
            for h in &r.hashes {
                m.entry((h.algorithm, h.artifact.as_deref()))
                    .or_default()
                    .push(h);
            }
        }
        m
    };
    let (ga, gb) = (group(a), group(b));
    ga.iter().rev().find_map(|(key, ha)| {
        let hb = gb.get(key)?;
        let disjoint = !ha.iter().any(|x| hb.iter().any(|y| x.hex == y.hex));
        disjoint.then(|| (ha[0], hb[0]))
    })
}

type ByName<'a> = BTreeMap<(Ecosystem, &'a str), Vec<&'a PackageRecord>>;

fn by_name(records: &[PackageRecord]) -> ByName<'_> {
    let mut m: ByName<'_> = BTreeMap::new();
    for r in records {
        m.entry((r.ecosystem, r.name.as_str())).or_default().push(r);
    }
    m
}

/// 2 to 5: the report for two snapshots' package sets.
fn diff(
    from: &SnapshotInfo,
    to: &SnapshotInfo,
    a: &[PackageRecord],
    b: &[PackageRecord],
) -> DriftReport {
    let (ga, gb) = (by_name(a), by_name(b));
    let mut report = DriftReport {
        schema_version: chainward_report::SCHEMA_VERSION,
        project: to.project.clone(),
        from: summary(from),
        to: summary(to),
        added: Vec::new(),
        removed: Vec::new(),
        upgraded: Vec::new(),
        downgraded: Vec::new(),
        findings: Vec::new(),
        notes: Vec::new(),
        summary: DriftSummary::default(),
    };
    let first_of = |records: &[&PackageRecord], version: &str| -> Option<PackageRecord> {
        records
            .iter()
            .find(|r| r.version == version)
            .map(|r| (*r).clone())
    };
    for (key, rb) in &gb {
        let Some(ra) = ga.get(key) else {
            let versions: BTreeSet<&str> = rb.iter().map(|r| r.version.as_str()).collect();
            for v in versions {
                if let Some(r) = first_of(rb, v) {
                    report.added.push(drift_package(&r));
                }
            }
            continue;
        };
        let eco = key.0;
        let va: BTreeSet<&str> = ra.iter().map(|r| r.version.as_str()).collect();
        let vb: BTreeSet<&str> = rb.iter().map(|r| r.version.as_str()).collect();
        let mut gone: Vec<&str> = va.difference(&vb).copied().collect();
        let mut new: Vec<&str> = vb.difference(&va).copied().collect();
        gone.sort_by(|x, y| compare(eco, x, y));
        new.sort_by(|x, y| compare(eco, x, y));
        let pairs = gone.len().min(new.len());
        for (old, now) in gone.iter().zip(&new) {
            let purl = first_of(rb, now).map(|r| r.purl).unwrap_or_default();
            let change = VersionChange {
                ecosystem: eco,
                name: key.1.to_owned(),
                from: (*old).to_owned(),
                to: (*now).to_owned(),
                purl,
            };
            if compare(eco, old, now) == Ordering::Greater {
                report.downgraded.push(change);
            } else {
                report.upgraded.push(change);
            }
        }
        for v in &new[pairs..] {
            if let Some(r) = first_of(rb, v) {
                report.added.push(drift_package(&r));
            }
        }
        for v in &gone[pairs..] {
            if let Some(r) = first_of(ra, v) {
                report.removed.push(drift_package(&r));
            }
        }

        // 3. Same version, same place, different hashes.
        for v in va.intersection(&vb) {
            let places: BTreeSet<Option<String>> = rb
                .iter()
                .filter(|r| r.version == *v)
                .map(|r| place(r))
                .collect();
            for p in places.into_iter().flatten() {
                let xa: Vec<&PackageRecord> = ra
                    .iter()
                    .filter(|r| r.version == *v && place(r).as_deref() == Some(p.as_str()))
                    .copied()
                    .collect();
                let xb: Vec<&PackageRecord> = rb
                    .iter()
                    .filter(|r| r.version == *v && place(r).as_deref() == Some(p.as_str()))
                    .copied()
                    .collect();
                if let Some((old, now)) = conflicting_hashes(&xa, &xb) {
                    let r = xb[0];
                    report.findings.push(Finding {
                        code: FindingCode::RepublishedOrTampered,
                        severity: FindingCode::RepublishedOrTampered.default_severity(),
                        package: package_ref(r),
                        advisory: None,
                        message: format!(
                            "{}@{} from {p} was {} in snapshot {} and is {} in snapshot {}: the same version with different bytes",
                            r.name,
                            r.version,
                            short_hex(old),
                            from.id,
                            short_hex(now),
                            to.id
                        ),
                        locations: locations(r),
                        evidence: Some(Evidence {
                            file: now.artifact.clone(),
                            expected: Some(old.clone()),
                            actual: Some(now.clone()),
                            value: None,
                        }),
                    });
                }
            }
        }

        // 4. A place the name did not come from before.
        let pa: BTreeSet<String> = ra.iter().filter_map(|r| place(r)).collect();
        if pa.is_empty() {
            continue;
        }
        let mut flagged: BTreeSet<(String, &str)> = BTreeSet::new();
        for r in rb {
            let Some(p) = place(r) else { continue };
            if pa.contains(&p) || !flagged.insert((p.clone(), r.version.as_str())) {
                continue;
            }
            let before: Vec<&str> = pa.iter().map(String::as_str).collect();
            report.findings.push(Finding {
                code: FindingCode::OriginChanged,
                severity: FindingCode::OriginChanged.default_severity(),
                package: package_ref(r),
                advisory: None,
                message: format!(
                    "{}@{} comes from {p} in snapshot {}; in snapshot {} {} came from {}",
                    r.name,
                    r.version,
                    to.id,
                    from.id,
                    r.name,
                    before.join(" and ")
                ),
                locations: locations(r),
                evidence: Some(Evidence {
                    value: Some(format!("{} -> {p}", before.join(", "))),
                    ..Evidence::default()
                }),
            });
        }
    }
    for (key, ra) in &ga {
        if gb.contains_key(key) {
            continue;
        }
        let versions: BTreeSet<&str> = ra.iter().map(|r| r.version.as_str()).collect();
        for v in versions {
            if let Some(r) = first_of(ra, v) {
                report.removed.push(drift_package(&r));
            }
        }
    }

    // 5.
    report.notes.push(
        "install scripts and provenance identities are not recorded in snapshots yet: drift cannot report a new install script or a changed provenance identity".to_owned(),
    );
    for s in [from, to] {
        if s.incomplete {
            report.notes.push(format!(
                "snapshot {} is incomplete (a lockfile could not be read completely): packages may look added or removed because of it",
                s.id
            ));
        }
    }
    if from.branch != to.branch {
        report.notes.push(format!(
            "the snapshots are of different branches ({} and {})",
            stream_label(from.branch.as_deref()),
            stream_label(to.branch.as_deref())
        ));
    }
    if from.taken_at > to.taken_at {
        report.notes.push(format!(
            "--from ({}) was taken after --to ({}): the changes are listed from the one to the other as given",
            from.taken_at, to.taken_at
        ));
    }
    report
}

#[cfg(test)]
mod tests {
    use super::*;
    use chainward_store::Timestamp;

    fn info(id: i64) -> SnapshotInfo {
        SnapshotInfo {
            id: SnapshotId::from_i64(id),
            project: "p".into(),
            branch: Some("main".into()),
            commit: None,
            host: None,
            taken_at: Timestamp::from_unix_seconds(id),
            recorded_at: Timestamp::from_unix_seconds(id),
            incomplete: false,
            packages: 0,
        }
    }

    fn rec(name: &str, version: &str, origin: Origin, sha: &str) -> PackageRecord {
        let mut p = chainward_types::Package::new(Ecosystem::Npm, name, version, origin);
        if !sha.is_empty() {
            p.add_hash(Hash::from_hex(HashAlgorithm::Sha512, &sha.repeat(128)).unwrap());
        }
        PackageRecord::from_package(&p)
    }

    fn codes(r: &DriftReport) -> Vec<(FindingCode, String)> {
        r.findings
            .iter()
            .map(|f| (f.code, f.package.name.clone()))
            .collect()
    }

    #[test]
    fn flags_a_new_hash_for_the_same_version_as_republished_or_tampered() {
        let a = [rec("x", "1.0.0", Origin::registry(), "a")];
        let b = [rec("x", "1.0.0", Origin::registry(), "b")];
        let r = diff(&info(1), &info(2), &a, &b);
        assert_eq!(
            codes(&r),
            [(FindingCode::RepublishedOrTampered, "x".into())]
        );
        assert!(r.upgraded.is_empty() && r.added.is_empty() && r.removed.is_empty());
        // A hash only added, or the same hash: nothing.
        let none = [rec("x", "1.0.0", Origin::registry(), "")];
        assert!(diff(&info(1), &info(2), &none, &a).findings.is_empty());
        assert!(diff(&info(1), &info(2), &a, &a).findings.is_empty());
    }

    #[test]
    fn pairs_versions_into_upgrades_and_downgrades() {
        let a = [
            rec("up", "1.0.0", Origin::registry(), "a"),
            rec("down", "2.0.0", Origin::registry(), "a"),
            rec("gone", "1.0.0", Origin::registry(), "a"),
        ];
        let b = [
            rec("up", "1.10.0", Origin::registry(), "b"),
            rec("down", "1.9.0", Origin::registry(), "b"),
            rec("new", "3.0.0", Origin::registry(), "b"),
        ];
        let mut r = diff(&info(1), &info(2), &a, &b);
        r.normalize();
        assert_eq!(r.upgraded.len(), 1);
        assert_eq!(
            (r.upgraded[0].from.as_str(), r.upgraded[0].to.as_str()),
            ("1.0.0", "1.10.0")
        );
        assert_eq!(r.downgraded[0].name, "down");
        assert_eq!(r.added[0].name, "new");
        assert_eq!(r.removed[0].name, "gone");
        assert!(r.findings.is_empty());
    }

    #[test]
    fn flags_an_origin_that_moved_but_not_a_recorded_registry_url() {
        let reg = rec("x", "1.0.0", Origin::registry(), "a");
        let reg_url = rec(
            "x",
            "1.0.0",
            Origin::Registry {
                url: Some("https://registry.npmjs.org/x/-/x-1.0.0.tgz".into()),
            },
            "a",
        );
        assert!(
            diff(&info(1), &info(2), std::slice::from_ref(&reg), &[reg_url])
                .findings
                .is_empty()
        );
        let git = rec(
            "x",
            "1.0.0",
            Origin::Git {
                url: "https://github.com/evil/x.git".into(),
                commit: Some("0".repeat(40)),
                reference: None,
            },
            "",
        );
        let r = diff(&info(1), &info(2), std::slice::from_ref(&reg), &[git]);
        assert_eq!(codes(&r), [(FindingCode::OriginChanged, "x".into())]);
        assert!(
            r.findings[0].message.contains("git github.com/evil/x"),
            "{}",
            r.findings[0].message
        );
        let mirror = rec(
            "x",
            "1.0.0",
            Origin::Registry {
                url: Some("https://npm.evil.example/x/-/x-1.0.0.tgz".into()),
            },
            "a",
        );
        let r = diff(&info(1), &info(2), &[reg], &[mirror]);
        assert_eq!(codes(&r), [(FindingCode::OriginChanged, "x".into())]);
    }

    #[test]
    fn normalises_git_urls() {
        assert_eq!(
            git_repo("git+https://github.com/a/b.git#abc"),
            "github.com/a/b"
        );
        assert_eq!(git_repo("git@GitHub.com:a/b.git"), "github.com/a/b");
        assert_eq!(git_repo("ssh://git@github.com/a/b"), "github.com/a/b");
        assert_eq!(
            host_of("https://user:pw@Host.example:8443/x"),
            "host.example:8443"
        );
    }
}
