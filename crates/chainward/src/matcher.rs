//! Matches an inventory against the local advisory database.
//!
//! Rules:
//! 1. Only packages from a registry with a pinned version are matched by name: a git, URL or
//!    path origin is a different artifact from the registry release of the same name, and an
//!    unpinned requirement has no version; both are reported as not checked, with the reason.
//!    Workspace members are the project's own code and are not listed.
//! 2. Each advisory's `affected` entries are evaluated with the ecosystem's version rules
//!    (`chainward-version`); withdrawn records never match (the database excludes them).
//! 3. Advisories that name each other (ids and aliases, transitively) are one vulnerability:
//!    one finding per package per vulnerability, whose id is the most specific record (MAL,
//!    then RUSTSEC, PYSEC, GHSA, others) and whose aliases list every other id.
//! 4. The package's fix is the lowest version that fixes every non-informational finding:
//!    the highest of each finding's nearest fix; none when any finding has no fix.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet, HashSet};

use chainward_advisory::severity::AdvisoryKind;
use chainward_advisory::{AdvisoryDb, DbError, PackageAdvisory};
use chainward_report::NotChecked;
use chainward_types::{
    AdvisoryRef, Ecosystem, Finding, FindingCode, Inventory, Origin, Package, PackageRef, Severity,
};
use chainward_version::Scheme;

/// What matching found.
#[derive(Debug, Default)]
pub(crate) struct MatchOutcome {
    pub(crate) findings: Vec<Finding>,
    pub(crate) not_checked: Vec<NotChecked>,
    pub(crate) fixes: BTreeMap<String, String>,
}

fn package_ref(p: &Package) -> PackageRef {
    PackageRef {
        ecosystem: p.ecosystem,
        name: p.name.clone(),
        version: p.version.clone(),
        purl: p.purl.clone(),
    }
}

fn not_checked_reason(p: &Package) -> Option<String> {
    match &p.origin {
        Origin::Registry { .. } if p.version.is_empty() => Some(format!(
            "no pinned version ({}): advisories cannot be matched to a range",
            p.constraint.as_deref().unwrap_or("unconstrained")
        )),
        Origin::Registry { .. } | Origin::Workspace { .. } => None,
        Origin::Git { url, commit, .. } => Some(format!(
            "git origin ({url}{}): registry advisories do not apply by name",
            commit
                .as_deref()
                .map(|c| format!("#{c}"))
                .unwrap_or_default()
        )),
        Origin::Url { url } => Some(format!(
            "URL origin ({url}): registry advisories do not apply by name"
        )),
        Origin::Path { path } => Some(format!(
            "path origin ({path}): registry advisories do not apply by name"
        )),
    }
}

/// Converts the database's view of `affected` into the version crate's (same OSV shape).
/// The version crate's view of an advisory's `affected` entries (the same OSV shape); also
/// used by `exposure` for advisory-id queries.
pub(crate) fn to_version_affected(
    ecosystem: Ecosystem,
    adv: &PackageAdvisory,
) -> Result<Vec<chainward_version::osv::Affected>, serde_json::Error> {
    adv.affected
        .iter()
        .map(|a| {
            Ok(chainward_version::osv::Affected {
                package: Some(chainward_version::osv::AffectedPackage {
                    ecosystem: ecosystem.as_str().to_owned(),
                    name: a.name.clone(),
                    purl: None,
                }),
                ranges: serde_json::from_value(serde_json::to_value(&a.ranges)?)?,
                versions: a.versions.clone(),
            })
        })
        .collect()
}

fn id_rank(id: &str) -> u8 {
    ["MAL-", "RUSTSEC-", "PYSEC-", "GHSA-"]
        .iter()
        .position(|p| id.starts_with(p))
        .map_or(4, |i| u8::try_from(i).unwrap_or(4))
}

fn compare_versions(eco: Ecosystem, a: &str, b: &str) -> Ordering {
    Scheme::of(eco).compare(a, b).unwrap_or_else(|_| a.cmp(b))
}

fn code_of(kind: AdvisoryKind) -> FindingCode {
    match kind {
        AdvisoryKind::KnownMalicious => FindingCode::KnownMalicious,
        AdvisoryKind::Vulnerability => FindingCode::KnownVulnerability,
        AdvisoryKind::Unmaintained => FindingCode::Unmaintained,
        AdvisoryKind::Unsound => FindingCode::Unsound,
        AdvisoryKind::Notice => FindingCode::AdvisoryNotice,
    }
}

struct Hit {
    adv: PackageAdvisory,
    fixed_in: Vec<String>,
    next_fix: Option<String>,
}

/// Matches every package of `inventory` against the database.
/// `keys` is [`AdvisoryDb::package_keys`], loaded by the caller.
pub(crate) fn match_inventory(
    inventory: &Inventory,
    db: &AdvisoryDb,
    keys: &HashSet<(Ecosystem, String)>,
) -> Result<MatchOutcome, DbError> {
    let mut out = MatchOutcome::default();
    for pkg in &inventory.packages {
        if let Some(reason) = not_checked_reason(pkg) {
            out.not_checked.push(NotChecked {
                package: package_ref(pkg),
                reason,
            });
            continue;
        }
        if !pkg.origin.is_registry() || !keys.contains(&(pkg.ecosystem, pkg.name.clone())) {
            continue;
        }
        let mut hits = Vec::new();
        for adv in db.advisories_for(pkg.ecosystem, &pkg.name)? {
            let affected = match to_version_affected(pkg.ecosystem, &adv) {
                Ok(a) => a,
                Err(e) => {
                    out.not_checked.push(NotChecked {
                        package: package_ref(pkg),
                        reason: format!("{}: its affected ranges could not be read ({e})", adv.id),
                    });
                    continue;
                }
            };
            match chainward_version::assess(pkg.ecosystem, &pkg.name, &pkg.version, &affected) {
                Ok(a) if a.affected => hits.push(Hit {
                    adv,
                    fixed_in: a.fixed_in,
                    next_fix: a.next_fix,
                }),
                Ok(_) => {}
                Err(e) => out.not_checked.push(NotChecked {
                    package: package_ref(pkg),
                    reason: format!("{}: {e}", adv.id),
                }),
            }
        }
        let groups = group_by_alias(hits);
        let mut package_fix: Option<Option<String>> = None;
        for group in groups {
            let finding = finding_for(pkg, &group);
            if !matches!(
                finding.code,
                FindingCode::Unmaintained | FindingCode::Unsound | FindingCode::AdvisoryNotice
            ) {
                let fix = group
                    .iter()
                    .filter_map(|h| h.next_fix.clone())
                    .max_by(|a, b| compare_versions(pkg.ecosystem, a, b));
                package_fix = Some(match (package_fix, fix) {
                    (None, f) => f,
                    (Some(Some(a)), Some(b)) => Some(
                        if compare_versions(pkg.ecosystem, &a, &b) == Ordering::Less {
                            b
                        } else {
                            a
                        },
                    ),
                    (Some(_), _) => None,
                });
            }
            out.findings.push(finding);
        }
        if let Some(Some(fix)) = package_fix {
            out.fixes.insert(pkg.purl.clone(), fix);
        }
    }
    Ok(out)
}

/// Splits hits into groups whose ids and aliases connect.
fn group_by_alias(hits: Vec<Hit>) -> Vec<Vec<Hit>> {
    let mut groups: Vec<(BTreeSet<String>, Vec<Hit>)> = Vec::new();
    for hit in hits {
        let mut ids: BTreeSet<String> = hit.adv.aliases.iter().cloned().collect();
        ids.insert(hit.adv.id.clone());
        let mut merged = (ids, vec![hit]);
        let mut i = 0;
        while i < groups.len() {
            if groups[i].0.intersection(&merged.0).next().is_some() {
                let (ids, hits) = groups.swap_remove(i);
                merged.0.extend(ids);
                merged.1.extend(hits);
                i = 0;
            } else {
                i += 1;
            }
        }
        groups.push(merged);
    }
    groups.into_iter().map(|(_, h)| h).collect()
}

fn finding_for(pkg: &Package, group: &[Hit]) -> Finding {
    let primary = group
        .iter()
        .min_by(|a, b| {
            id_rank(&a.adv.id)
                .cmp(&id_rank(&b.adv.id))
                .then_with(|| a.adv.id.cmp(&b.adv.id))
        })
        .map(|h| &h.adv);
    let Some(primary) = primary else {
        unreachable!("groups are never empty")
    };
    let malicious = group
        .iter()
        .any(|h| h.adv.kind == AdvisoryKind::KnownMalicious);
    let code = if malicious {
        FindingCode::KnownMalicious
    } else {
        code_of(primary.kind)
    };
    let severity = if malicious {
        Severity::Critical
    } else {
        group
            .iter()
            .map(|h| h.adv.severity)
            .max()
            .unwrap_or(Severity::None)
    };
    let scored = group
        .iter()
        .filter(|h| h.adv.score.is_some())
        .max_by(|a, b| {
            a.adv
                .score
                .partial_cmp(&b.adv.score)
                .unwrap_or(Ordering::Equal)
        });
    let mut aliases: BTreeSet<String> = BTreeSet::new();
    for h in group {
        aliases.insert(h.adv.id.clone());
        aliases.extend(h.adv.aliases.iter().cloned());
    }
    aliases.remove(&primary.id);
    let mut fixed: Vec<String> = group
        .iter()
        .flat_map(|h| h.fixed_in.iter().cloned())
        .collect();
    fixed.sort_by(|a, b| compare_versions(pkg.ecosystem, a, b));
    fixed.dedup();
    let summary = primary
        .summary
        .clone()
        .or_else(|| group.iter().find_map(|h| h.adv.summary.clone()))
        .unwrap_or_default();
    let message = match code {
        FindingCode::KnownMalicious => format!(
            "{} {} is a known-malicious version ({})",
            pkg.name, pkg.version, primary.id
        ),
        FindingCode::Unmaintained => format!("{} is unmaintained ({})", pkg.name, primary.id),
        FindingCode::Unsound => format!(
            "{} {} has unsound APIs ({})",
            pkg.name, pkg.version, primary.id
        ),
        _ => format!(
            "{} {} is affected by {}{}",
            pkg.name,
            pkg.version,
            primary.id,
            if summary.is_empty() {
                String::new()
            } else {
                format!(": {summary}")
            }
        ),
    };
    Finding {
        code,
        severity,
        package: package_ref(pkg),
        advisory: Some(AdvisoryRef {
            id: primary.id.clone(),
            aliases: aliases.into_iter().collect(),
            summary,
            fixed,
            score: scored.and_then(|h| h.adv.score),
            vector: scored.and_then(|h| h.adv.vector.clone()),
            url: Some(format!("https://osv.dev/vulnerability/{}", primary.id)),
        }),
        message,
        locations: pkg.locations.clone(),
        evidence: None,
    }
}
