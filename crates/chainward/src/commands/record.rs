//! `chainward record [PATH...] --project NAME [--at TIME]`: stores a snapshot of the
//! inventory in the history database, with the integrity checks' outcome per package.
//!
//! 1. Open the database first, so a bad URL or a too-new database fails before any work.
//! 2. Read the sources; run the integrity checks offline on them (unless `--no-integrity`).
//! 3. Refuse an incomplete inventory unless `--allow-incomplete` (a snapshot missing a
//!    lockfile would look, later, like every package of it was removed).
//! 4. Branch and commit come from the first PATH's repository unless given.
//! 5. Each package with integrity findings gets a failed `integrity` verification naming the
//!    codes; a package whose check could not run gets an unchecked one. Packages the checks
//!    did not single out get none: the checks do not say which packages they compared.

use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;

use anyhow::{Context as _, bail};
use chainward_cli::{GlobalArgs, HistoryFormat, RecordArgs};
use chainward_report::Reporter as _;
use chainward_report::history::{RecordReport, RecordedVerification};
use chainward_report::reporters;
use chainward_store::{NewSnapshot, Timestamp, Verification, VerificationOutcome};

use super::common::{collect_sources, report_incomplete};
use super::history::{git_state, host_name, open_store, parse_time, summary};
use crate::ExitStatus;
use crate::printer::Printer;

/// The `check` of integrity verification results.
const INTEGRITY_CHECK: &str = "integrity";

pub(crate) fn run(
    global: &GlobalArgs,
    args: &RecordArgs,
    printer: &Printer,
) -> anyhow::Result<ExitStatus> {
    let format = super::output_format(global.format.as_deref(), HistoryFormat::Table, "record")?;
    let project = args.project.trim();
    if project.is_empty() {
        bail!("--project must not be empty");
    }
    let taken_at = match &args.at {
        Some(at) => parse_time(at, "--at")?,
        None => Timestamp::now(),
    };
    // 1.
    let mut store = open_store(global, &args.database, false)?;

    // 2.
    let sources = collect_sources(&args.input)?;
    let outcome = (!args.no_integrity)
        .then(|| super::verify::verify_sources(&sources, &args.integrity, false, printer));
    let inventory = chainward_extract::inventory_of(sources);

    // 3.
    if report_incomplete(&inventory, &args.input, printer) {
        printer.error("nothing was recorded");
        return Ok(ExitStatus::Error);
    }
    if inventory.sources.is_empty() && !args.input.allow_incomplete {
        printer.error(
            "nothing to record: no lockfile, installed tree or SBOM found (--allow-incomplete records an empty snapshot)",
        );
        return Ok(ExitStatus::Error);
    }

    // 4.
    let first = args
        .input
        .paths
        .first()
        .cloned()
        .unwrap_or_else(|| PathBuf::from("."));
    let git = git_state(&first).unwrap_or_default();
    let mut snapshot = NewSnapshot::from_inventory(project, taken_at, &inventory);
    snapshot.branch = args.branch.clone().or(git.branch);
    snapshot.commit = args.commit.clone().or(git.commit);
    snapshot.host = host_name();

    // 5.
    let verification = outcome.as_ref().map(|outcome| {
        let mut codes: HashMap<&str, BTreeSet<&str>> = HashMap::new();
        for f in &outcome.findings {
            codes
                .entry(f.package.purl.as_str())
                .or_default()
                .insert(f.code.as_str());
        }
        let unchecked: HashMap<&str, &str> = outcome
            .unchecked
            .iter()
            .filter(|u| u.path.starts_with("pkg:"))
            .map(|u| (u.path.as_str(), u.message.as_str()))
            .collect();
        let mut counts = RecordedVerification::default();
        for p in &mut snapshot.packages {
            if let Some(c) = codes.get(p.purl.as_str()) {
                p.verification.push(Verification {
                    check: INTEGRITY_CHECK.to_owned(),
                    outcome: VerificationOutcome::Failed,
                    detail: Some(c.iter().copied().collect::<Vec<_>>().join(", ")),
                });
                counts.failed += 1;
            } else if let Some(why) = unchecked.get(p.purl.as_str()) {
                p.verification.push(Verification {
                    check: INTEGRITY_CHECK.to_owned(),
                    outcome: VerificationOutcome::Unchecked,
                    detail: Some((*why).to_owned()),
                });
                counts.unchecked += 1;
            }
        }
        counts
    });

    let recorded = store
        .record(&snapshot)
        .with_context(|| format!("recording a snapshot of project `{project}`"))?;
    let info = store
        .snapshot(recorded.id)?
        .with_context(|| format!("snapshot {} vanished after recording it", recorded.id))?;
    let report = RecordReport {
        schema_version: chainward_report::SCHEMA_VERSION,
        database: store.location().to_string(),
        snapshot: summary(&info),
        previous: recorded.previous.map(chainward_store::SnapshotId::as_i64),
        added: recorded.added,
        removed: recorded.removed,
        latest: recorded.latest,
        verification,
    };
    printer.result(|w| match format {
        HistoryFormat::Table => reporters::Table {
            wrap: printer.stdout_is_terminal(),
        }
        .render(&report, w),
        HistoryFormat::Json => reporters::Json.render(&report, w),
    })?;
    if let Some(v) = &report.verification
        && v.failed > 0
    {
        printer.warn(&format!(
            "{} packages have integrity findings (stored with the snapshot; `chainward verify` shows them)",
            v.failed
        ));
    }
    Ok(ExitStatus::Ok)
}
