use std::io::{self, Write};

use chainward_types::{Origin, Package, Scope};
use comfy_table::{ContentArrangement, Table as Grid, presets};

use crate::{InventoryReport, Reporter};

/// Tables for people: sources first (with anything that went wrong), then packages.
#[derive(Debug, Clone, Copy, Default)]
pub struct Table {
    /// Wrap columns to the terminal's width (only when writing to a terminal).
    pub wrap: bool,
}

impl Table {
    fn grid(&self, header: &[&str]) -> Grid {
        let mut g = Grid::new();
        g.load_preset(presets::NOTHING);
        g.set_content_arrangement(if self.wrap {
            ContentArrangement::Dynamic
        } else {
            ContentArrangement::Disabled
        });
        g.set_header(header.iter().copied());
        g
    }
}

fn origin_cell(o: &Origin) -> String {
    match o {
        Origin::Registry { .. } => "registry".to_owned(),
        Origin::Git {
            url,
            commit,
            reference,
        } => {
            let at = commit
                .as_deref()
                .map(|c| &c[..c.len().min(12)])
                .or(reference.as_deref());
            match at {
                Some(at) => format!("git {url}#{at}"),
                None => format!("git {url} (no commit pinned)"),
            }
        }
        Origin::Url { url } => format!("url {url}"),
        Origin::Path { path } => format!("path {path}"),
        Origin::Workspace { path } => format!("workspace {path}"),
    }
}

fn scopes_cell(p: &Package) -> String {
    let mut parts: Vec<&str> = p
        .scopes
        .iter()
        .map(|s| match s {
            Scope::Dev => "dev",
            Scope::Optional => "optional",
            Scope::Peer => "peer",
        })
        .collect();
    if p.bundled {
        parts.push("bundled");
    }
    if parts.is_empty() {
        "prod".to_owned()
    } else {
        parts.join(",")
    }
}

fn location_cell(p: &Package) -> String {
    let Some(first) = p.locations.first() else {
        return String::new();
    };
    let mut s = first.to_string();
    if p.locations.len() > 1 {
        s.push_str(&format!(" (+{})", p.locations.len() - 1));
    }
    s
}

impl Reporter<InventoryReport<'_>> for Table {
    fn render(&self, r: &InventoryReport<'_>, w: &mut dyn Write) -> io::Result<()> {
        let mut sources = self.grid(&["SOURCE", "FORMAT", "STATUS", "PACKAGES"]);
        for s in r.sources {
            sources.add_row(vec![
                s.path.clone(),
                s.format.clone(),
                s.status.as_str().to_owned(),
                s.packages.map(|n| n.to_string()).unwrap_or_default(),
            ]);
        }
        if !r.sources.is_empty() {
            writeln!(w, "{sources}")?;
        }
        for s in r.sources {
            if let Some(e) = &s.error {
                writeln!(w, "  {} ({}): {e}", s.path, s.status.as_str())?;
            }
            for warning in &s.warnings {
                writeln!(w, "  {}: {warning}", s.path)?;
            }
            for note in &s.notes {
                writeln!(w, "  {}: note: {note}", s.path)?;
            }
        }
        writeln!(w)?;
        if !r.packages.is_empty() {
            let mut packages = self.grid(&[
                "ECOSYSTEM",
                "NAME",
                "VERSION",
                "SCOPE",
                "DIRECT",
                "ORIGIN",
                "LOCATION",
            ]);
            for p in r.packages {
                let version = if p.version.is_empty() {
                    p.constraint.clone().unwrap_or_else(|| "(none)".to_owned())
                } else {
                    p.version.clone()
                };
                packages.add_row(vec![
                    p.ecosystem.as_str().to_owned(),
                    p.name.clone(),
                    version,
                    scopes_cell(p),
                    if p.direct { "yes" } else { "" }.to_owned(),
                    origin_cell(&p.origin),
                    location_cell(p),
                ]);
            }
            writeln!(w, "{packages}")?;
            writeln!(w)?;
        }
        let incomplete = r
            .sources
            .iter()
            .filter(|s| s.status.is_incomplete())
            .count();
        let mut per_eco: std::collections::BTreeMap<&str, usize> =
            std::collections::BTreeMap::new();
        for p in r.packages {
            *per_eco.entry(p.ecosystem.as_str()).or_default() += 1;
        }
        let breakdown: Vec<String> = per_eco.iter().map(|(e, n)| format!("{e} {n}")).collect();
        write!(
            w,
            "{} packages{} from {} sources",
            r.packages.len(),
            if breakdown.is_empty() {
                String::new()
            } else {
                format!(" ({})", breakdown.join(", "))
            },
            r.sources.len()
        )?;
        if incomplete > 0 {
            write!(w, "; {incomplete} incomplete (see above)")?;
        }
        writeln!(w)
    }
}

fn first_location(f: &chainward_types::Finding) -> String {
    f.locations
        .first()
        .map_or_else(String::new, ToString::to_string)
}

/// The advice line of a package group.
pub(crate) fn remedy(report: &crate::ScanReport, group: &[&chainward_types::Finding]) -> String {
    use chainward_types::FindingCode as C;
    let pkg = &group[0].package;
    let has = |codes: &[C]| group.iter().any(|f| codes.contains(&f.code));
    let malicious = has(&[C::KnownMalicious]);
    let advisory = group.iter().any(|f| f.advisory.is_some());
    if !advisory {
        return if has(&[
            C::IntegrityMismatch,
            C::FileModified,
            C::FileAdded,
            C::FileMissing,
            C::UnsafeArchiveEntry,
        ]) {
            format!(
                "do not trust this copy of {}@{}: find out what changed it (an install script, a poisoned cache), then reinstall from a clean cache",
                pkg.name, pkg.version
            )
        } else if has(&[C::NotInLockfile, C::NotInstalled]) {
            "reinstall from the lockfile (npm ci, cargo fetch, pip install --require-hashes) so the disk matches it".to_owned()
        } else {
            "fix the lockfile entry: pin it to an HTTPS registry URL with a strong integrity hash, or a full git commit".to_owned()
        };
    }
    match (report.fixes.get(&pkg.purl), malicious) {
        (Some(v), true) => format!(
            "remove {}@{} now (upgrade to {v} or later), and treat every machine that installed it as compromised",
            pkg.name, pkg.version
        ),
        (None, true) => format!(
            "remove {}@{} now, and treat every machine that installed it as compromised",
            pkg.name, pkg.version
        ),
        (Some(v), false) => format!("upgrade to {v} or later"),
        (None, false) => "no fixed version is known".to_owned(),
    }
}

impl Reporter<crate::ScanReport> for Table {
    fn render(&self, r: &crate::ScanReport, w: &mut dyn Write) -> io::Result<()> {
        for s in r.sources.iter().filter(|s| s.status.is_incomplete()) {
            let why = s.error.clone().unwrap_or_else(|| s.warnings.join("; "));
            writeln!(w, "! {} ({}): {why}", s.path, s.status.as_str())?;
        }
        let groups = r.by_package();
        for (pkg, findings) in &groups {
            let worst = findings[0].severity;
            writeln!(
                w,
                "{:<8}  {} {}@{}  {}",
                if worst == chainward_types::Severity::None {
                    "INFO".to_owned()
                } else {
                    worst.as_str().to_uppercase()
                },
                pkg.ecosystem,
                pkg.name,
                pkg.version,
                first_location(findings[0])
            )?;
            let mut grid = self.grid(&[
                "SEVERITY", "CODE", "ADVISORY", "SCORE", "FIXED IN", "SUMMARY",
            ]);
            for f in findings {
                let (id, score, fixed, summary) = match &f.advisory {
                    Some(a) => {
                        let mut id = a.id.clone();
                        if !a.aliases.is_empty() {
                            id.push_str(&format!(" ({})", a.aliases.join(", ")));
                        }
                        (
                            id,
                            a.score.map(|s| format!("{s:.1}")).unwrap_or_default(),
                            a.fixed.first().cloned().unwrap_or_else(|| "-".to_owned()),
                            a.summary.clone(),
                        )
                    }
                    None => (
                        String::new(),
                        String::new(),
                        String::new(),
                        f.message.clone(),
                    ),
                };
                grid.add_row(vec![
                    f.severity.as_str().to_owned(),
                    f.code.as_str().to_owned(),
                    id,
                    score,
                    fixed,
                    summary,
                ]);
            }
            for line in grid.to_string().lines() {
                writeln!(w, "    {line}")?;
            }
            writeln!(w, "    -> {}", remedy(r, findings))?;
            writeln!(w)?;
        }
        let counts: Vec<String> = chainward_types::Severity::ALL_DESC
            .iter()
            .filter_map(|s| r.summary.findings.get(s).map(|n| format!("{n} {s}")))
            .collect();
        if r.findings.is_empty() {
            write!(
                w,
                "No known-bad packages among {} packages",
                r.summary.packages
            )?;
        } else {
            write!(
                w,
                "{} findings ({}) in {} of {} packages",
                r.findings.len(),
                counts.join(", "),
                groups.len(),
                r.summary.packages
            )?;
        }
        if r.summary.not_checked > 0 {
            write!(
                w,
                "; {} not checked (git, URL or path origins, or no pinned version)",
                r.summary.not_checked
            )?;
        }
        writeln!(w, ".")?;
        if let Some(i) = &r.integrity {
            writeln!(
                w,
                "Integrity: {} packages, {} files and {} archives compared ({} MB)",
                i.packages,
                i.files,
                i.archives,
                i.bytes / 1_000_000
            )?;
            if !i.unchecked.is_empty() {
                writeln!(w, "{} checks could not run:", i.unchecked.len())?;
                for u in &i.unchecked {
                    writeln!(w, "  ! {}: {}", u.path, u.message)?;
                }
            }
        }
        if let Some(p) = &r.provenance {
            let count = |field: fn(&crate::ProvenanceRow) -> &str, value: &str| {
                p.packages.iter().filter(|row| field(row) == value).count()
            };
            writeln!(
                w,
                "Provenance: {} npm packages from {}; signatures {} verified{}; provenance {} verified, {} without",
                p.packages.len(),
                p.registry,
                count(|r| &r.signature, "verified"),
                if p.signatures_served {
                    String::new()
                } else {
                    " (THE REGISTRY SERVES NO SIGNATURES: not checked)".to_owned()
                },
                count(|r| &r.provenance, "verified"),
                count(|r| &r.provenance, "none"),
            )?;
            let built: Vec<&crate::ProvenanceRow> = p
                .packages
                .iter()
                .filter(|row| row.identity.is_some())
                .collect();
            if !built.is_empty() {
                let mut grid = self.grid(&["PACKAGE", "SIGNATURE", "BUILT FROM", "BUILDER"]);
                for row in built {
                    let identity = row.identity.as_ref();
                    grid.add_row(vec![
                        format!("{}@{}", row.package.name, row.package.version),
                        row.signature.clone(),
                        identity
                            .map(chainward_types::BuildIdentity::summary)
                            .unwrap_or_default(),
                        identity.and_then(|i| i.builder.clone()).unwrap_or_default(),
                    ]);
                }
                writeln!(w, "{grid}")?;
            }
            if !p.unchecked.is_empty() {
                writeln!(w, "{} provenance checks could not run:", p.unchecked.len())?;
                for u in &p.unchecked {
                    writeln!(w, "  ! {}: {}", u.path, u.message)?;
                }
            }
        }
        if let Some(db) = &r.database {
            writeln!(
                w,
                "Advisory database: {} records{}{}",
                db.records,
                db.last_updated
                    .as_deref()
                    .map(|t| format!(", updated {t}"))
                    .unwrap_or_default(),
                if db.stale {
                    " (STALE: run `chainward db update`)"
                } else {
                    ""
                }
            )?;
        }
        Ok(())
    }
}

/// `abc1234` of a commit, or `-`.
fn short_commit(c: Option<&str>) -> String {
    c.map_or_else(|| "-".to_owned(), |c| c.chars().take(12).collect())
}

fn point_cell(p: &crate::history::SnapshotPoint) -> String {
    match &p.commit {
        Some(c) => format!(
            "{} (#{}, {})",
            p.taken_at,
            p.snapshot,
            short_commit(Some(c))
        ),
        None => format!("{} (#{})", p.taken_at, p.snapshot),
    }
}

fn snapshot_line(s: &crate::history::SnapshotSummary) -> String {
    let mut out = format!("snapshot {} taken {}", s.id, s.taken_at);
    if let Some(b) = &s.branch {
        out.push_str(&format!(", branch {b}"));
    }
    if let Some(c) = &s.commit {
        out.push_str(&format!(", commit {}", short_commit(Some(c))));
    }
    out.push_str(&format!(", {} packages", s.packages));
    if s.incomplete {
        out.push_str(", INCOMPLETE");
    }
    out
}

impl Reporter<crate::history::RecordReport> for Table {
    fn render(&self, r: &crate::history::RecordReport, w: &mut dyn Write) -> io::Result<()> {
        writeln!(
            w,
            "Recorded snapshot {} of project {} in {}",
            r.snapshot.id, r.snapshot.project, r.database
        )?;
        writeln!(w, "  {}", snapshot_line(&r.snapshot))?;
        match r.previous {
            Some(p) => writeln!(
                w,
                "  {} package records new or changed, {} gone since snapshot {p}{}",
                r.added,
                r.removed,
                if r.latest {
                    ""
                } else {
                    " (recorded with a time before the latest snapshot)"
                }
            )?,
            None => writeln!(w, "  the first snapshot of this project and branch")?,
        }
        if let Some(v) = &r.verification {
            writeln!(
                w,
                "  integrity: {} packages with findings, {} not checked",
                v.failed, v.unchecked
            )?;
        }
        Ok(())
    }
}

impl Reporter<crate::history::ImportGitReport> for Table {
    fn render(&self, r: &crate::history::ImportGitReport, w: &mut dyn Write) -> io::Result<()> {
        if !r.recorded.is_empty() {
            let mut grid =
                self.grid(&["COMMIT", "TIME", "SNAPSHOT", "PACKAGES", "NEW", "GONE", ""]);
            for c in &r.recorded {
                grid.add_row(vec![
                    short_commit(Some(&c.commit)),
                    c.taken_at.clone(),
                    c.snapshot.to_string(),
                    c.packages.to_string(),
                    c.added.to_string(),
                    c.removed.to_string(),
                    if c.incomplete { "incomplete" } else { "" }.to_owned(),
                ]);
            }
            writeln!(w, "{grid}")?;
        }
        for s in &r.skipped {
            writeln!(
                w,
                "! skipped {} ({}): {}",
                short_commit(Some(&s.commit)),
                s.taken_at,
                s.reason
            )?;
        }
        writeln!(
            w,
            "Recorded {} snapshots of project {}{} from {} commits that changed a lockfile ({} already recorded, {} skipped) into {}",
            r.recorded.len(),
            r.project,
            r.branch
                .as_deref()
                .map(|b| format!(" (branch {b})"))
                .unwrap_or_default(),
            r.commits,
            r.already_recorded,
            r.skipped.len(),
            r.database
        )
    }
}

impl Reporter<crate::history::HistoryListReport> for Table {
    fn render(&self, r: &crate::history::HistoryListReport, w: &mut dyn Write) -> io::Result<()> {
        if r.streams.is_empty() {
            return writeln!(w, "No snapshots recorded");
        }
        let mut grid = self.grid(&["PROJECT", "BRANCH", "SNAPSHOTS", "LATEST"]);
        for s in &r.streams {
            grid.add_row(vec![
                s.project.clone(),
                s.branch.clone().unwrap_or_else(|| "-".to_owned()),
                s.snapshots.to_string(),
                s.latest.as_ref().map(point_cell).unwrap_or_default(),
            ]);
        }
        writeln!(w, "{grid}")?;
        if !r.snapshots.is_empty() {
            writeln!(w)?;
            let mut grid = self.grid(&[
                "SNAPSHOT", "BRANCH", "TAKEN", "COMMIT", "HOST", "PACKAGES", "",
            ]);
            for s in &r.snapshots {
                grid.add_row(vec![
                    s.id.to_string(),
                    s.branch.clone().unwrap_or_else(|| "-".to_owned()),
                    s.taken_at.clone(),
                    short_commit(s.commit.as_deref()),
                    s.host.clone().unwrap_or_else(|| "-".to_owned()),
                    s.packages.to_string(),
                    if s.incomplete { "incomplete" } else { "" }.to_owned(),
                ]);
            }
            writeln!(w, "{grid}")?;
        }
        Ok(())
    }
}

impl Reporter<crate::history::ExposureReport> for Table {
    fn render(&self, r: &crate::history::ExposureReport, w: &mut dyn Write) -> io::Result<()> {
        let what = match &r.query.input {
            Some(q) => q.clone(),
            None => "advisories added or changed since the last run".to_owned(),
        };
        if !r.matches.is_empty() {
            let advisories = r.matches.iter().any(|m| !m.advisories.is_empty());
            let mut header = vec!["PROJECT", "BRANCH", "PACKAGE"];
            if advisories {
                header.push("ADVISORY");
            }
            header.extend(["FIRST SEEN", "LAST SEEN", "REMOVED IN"]);
            let mut grid = self.grid(&header);
            for m in &r.matches {
                let mut row = vec![
                    m.project.clone(),
                    m.branch.clone().unwrap_or_else(|| "-".to_owned()),
                    format!(
                        "{} {}@{}",
                        m.package.ecosystem, m.package.name, m.package.version
                    ),
                ];
                if advisories {
                    row.push(m.advisories.join(", "));
                }
                row.extend([
                    point_cell(&m.first_seen),
                    point_cell(&m.last_seen),
                    match (&m.removed_in, m.still_present) {
                        (_, true) => "STILL PRESENT".to_owned(),
                        (Some(p), false) => point_cell(p),
                        (None, false) => "-".to_owned(),
                    },
                ]);
                grid.add_row(row);
            }
            writeln!(w, "{grid}")?;
            for m in r
                .matches
                .iter()
                .filter(|m| m.spans.len() > 1 || m.spans.iter().any(|s| s.snapshots.is_some()))
            {
                writeln!(
                    w,
                    "  {} {} {}@{}:",
                    m.project,
                    m.branch.as_deref().unwrap_or("-"),
                    m.package.name,
                    m.package.version
                )?;
                for s in &m.spans {
                    write!(w, "    {} .. {}", point_cell(&s.first), point_cell(&s.last))?;
                    match (&s.removed_in, s.still_present) {
                        (_, true) => write!(w, ", still present")?,
                        (Some(p), false) => write!(w, ", removed in {}", point_cell(p))?,
                        (None, false) => {}
                    }
                    if let Some(ids) = &s.snapshots {
                        let ids: Vec<String> = ids.iter().map(ToString::to_string).collect();
                        write!(w, "  snapshots {}", ids.join(" "))?;
                    }
                    writeln!(w)?;
                }
            }
        }
        for n in &r.notes {
            writeln!(w, "note: {n}")?;
        }
        if r.matches.is_empty() && r.query.input.is_none() {
            writeln!(
                w,
                "No recorded project ever held a package matched by an advisory added or changed since the last run ({} advisory-package pairs checked)",
                r.query.advisories_checked.unwrap_or(0)
            )
        } else if r.matches.is_empty() {
            writeln!(w, "Nothing recorded ever matched {what}")
        } else {
            writeln!(
                w,
                "{} matches of {what} in {} projects; still present in {}",
                r.summary.matches, r.summary.projects, r.summary.still_present
            )
        }
    }
}

impl Reporter<crate::history::DriftReport> for Table {
    fn render(&self, r: &crate::history::DriftReport, w: &mut dyn Write) -> io::Result<()> {
        writeln!(w, "Project {}", r.project)?;
        writeln!(w, "  from {}", snapshot_line(&r.from))?;
        writeln!(w, "  to   {}", snapshot_line(&r.to))?;
        writeln!(w)?;
        let mut grid = self.grid(&["CHANGE", "ECOSYSTEM", "NAME", "FROM", "TO"]);
        for c in &r.upgraded {
            grid.add_row(vec![
                "upgraded".to_owned(),
                c.ecosystem.as_str().to_owned(),
                c.name.clone(),
                c.from.clone(),
                c.to.clone(),
            ]);
        }
        for c in &r.downgraded {
            grid.add_row(vec![
                "downgraded".to_owned(),
                c.ecosystem.as_str().to_owned(),
                c.name.clone(),
                c.from.clone(),
                c.to.clone(),
            ]);
        }
        for p in &r.added {
            grid.add_row(vec![
                "added".to_owned(),
                p.ecosystem.as_str().to_owned(),
                p.name.clone(),
                String::new(),
                p.version.clone(),
            ]);
        }
        for p in &r.removed {
            grid.add_row(vec![
                "removed".to_owned(),
                p.ecosystem.as_str().to_owned(),
                p.name.clone(),
                p.version.clone(),
                String::new(),
            ]);
        }
        let changes = r.added.len() + r.removed.len() + r.upgraded.len() + r.downgraded.len();
        if changes > 0 {
            writeln!(w, "{grid}")?;
            writeln!(w)?;
        }
        if !r.findings.is_empty() {
            let mut grid = self.grid(&["SEVERITY", "CODE", "PACKAGE", "WHAT CHANGED"]);
            for f in &r.findings {
                grid.add_row(vec![
                    f.severity.as_str().to_owned(),
                    f.code.as_str().to_owned(),
                    format!(
                        "{} {}@{}",
                        f.package.ecosystem, f.package.name, f.package.version
                    ),
                    f.message.clone(),
                ]);
            }
            writeln!(w, "{grid}")?;
            writeln!(w)?;
        }
        for n in &r.notes {
            writeln!(w, "note: {n}")?;
        }
        let counts: Vec<String> = chainward_types::Severity::ALL_DESC
            .iter()
            .filter_map(|s| r.summary.findings.get(s).map(|n| format!("{n} {s}")))
            .collect();
        writeln!(
            w,
            "{} added, {} removed, {} upgraded, {} downgraded; {}",
            r.summary.added,
            r.summary.removed,
            r.summary.upgraded,
            r.summary.downgraded,
            if r.findings.is_empty() {
                "no findings".to_owned()
            } else {
                format!("{} findings ({})", r.findings.len(), counts.join(", "))
            }
        )
    }
}
