//! `chainward scan [PATH...]`: inventory, then advisories, then one report.

use std::time::SystemTime;

use anyhow::Context as _;
use chainward_advisory::AdvisoryDb;
use chainward_cli::{FailOn, GlobalArgs, ScanArgs, ScanFormat};
use chainward_report::{DatabaseInfo, ScanReport, ScanSummary};
use chainward_types::Severity;

use super::common::{collect_sources, home_dir, parse_age, render_scan_report, report_incomplete};
use crate::ExitStatus;
use crate::matcher::match_inventory;
use crate::printer::Printer;

fn threshold(f: FailOn) -> Option<Severity> {
    match f {
        FailOn::Critical => Some(Severity::Critical),
        FailOn::High => Some(Severity::High),
        FailOn::Medium => Some(Severity::Medium),
        FailOn::Low => Some(Severity::Low),
        FailOn::None => None,
    }
}

/// Exit 1 when a finding is at or above `--fail-on`, else 0.
pub(crate) fn exit_for(findings: &[chainward_types::Finding], fail_on: FailOn) -> ExitStatus {
    let failing = threshold(fail_on).is_some_and(|t| findings.iter().any(|f| f.severity >= t));
    if failing {
        ExitStatus::Failure
    } else {
        ExitStatus::Ok
    }
}

type PackageKeys = std::collections::HashSet<(chainward_types::Ecosystem, String)>;

/// Opens the advisory database in `home` and reads what every scan needs from it.
fn open_database(
    home: &std::path::Path,
) -> anyhow::Result<(AdvisoryDb, chainward_advisory::DbStatus, PackageKeys)> {
    let db = AdvisoryDb::open_existing(home).with_context(|| {
        format!(
            "no advisory database in {}: run `chainward db import SOURCE` or `chainward db update` first",
            home.display()
        )
    })?;
    let status = db.summary().context("reading the advisory database")?;
    if status.advisories == 0 {
        anyhow::bail!(
            "the advisory database in {} is empty: run `chainward db import SOURCE` or `chainward db update` first",
            home.display()
        );
    }
    let keys = db.package_keys().context("reading the advisory database")?;
    Ok((db, status, keys))
}

/// The signature and provenance checks of the inventory's npm packages, from the registry
/// cache only (`chainward provenance` fills it): scan never asks the registry. Pins are
/// compared when a history database exists.
fn provenance_from_cache(
    global: &GlobalArgs,
    args: &ScanArgs,
    inventory: &chainward_types::Inventory,
    printer: &Printer,
) -> anyhow::Result<Option<super::provenance::Checked>> {
    let targets = super::provenance::targets_of(inventory);
    if targets.is_empty() {
        return Ok(None);
    }
    let checker = super::provenance::Checker::new(global, &args.registry, true)?;
    let url = super::history::store_url(global, &args.database)?;
    let exists = match &url {
        chainward_store::StoreUrl::Sqlite(path) => path.is_file(),
        _ => true,
    };
    let mut store = if exists {
        Some(chainward_store::open(&url)?)
    } else {
        None
    };
    let checked = super::provenance::check(
        &checker,
        &targets,
        store
            .as_mut()
            .map(|s| s.as_mut() as &mut dyn chainward_store::Store),
        printer,
    )?;
    if checked.not_cached == targets.len() {
        printer.note(&format!(
            "signatures and provenance of {} npm packages not checked: no cached registry data (run `chainward provenance`)",
            targets.len()
        ));
        return Ok(None);
    }
    if checked.not_cached > 0 {
        printer.note(&format!(
            "signatures and provenance of {} of {} npm packages not checked: no cached registry data (run `chainward provenance`)",
            checked.not_cached,
            targets.len()
        ));
    }
    Ok(Some(checked))
}

pub(crate) fn run(
    global: &GlobalArgs,
    args: &ScanArgs,
    printer: &Printer,
) -> anyhow::Result<ExitStatus> {
    let format = super::output_format(global.format.as_deref(), ScanFormat::Table, "scan")?;
    let max_age = parse_age(&args.max_age)?;
    let home = home_dir(global)?;
    // The database is opened, summarised and its package keys loaded on a second thread
    // while the inventory is read: the two do not depend on each other.
    let (inventory, opened) = std::thread::scope(|scope| {
        let db_thread = scope.spawn(|| open_database(&home));
        let inventory = collect_sources(&args.input).map(|sources| {
            // The integrity checks read each source's own lockfile; scan never downloads.
            let outcome = (!args.no_integrity)
                .then(|| super::verify::verify_sources(&sources, &args.integrity, false, printer));
            (chainward_extract::inventory_of(sources), outcome)
        });
        let opened = db_thread.join().unwrap_or_else(|_| {
            Err(anyhow::anyhow!(
                "reading the advisory database failed unexpectedly"
            ))
        });
        (inventory, opened)
    });
    let (inventory, integrity) = inventory?;
    let (db, status, keys) = opened?;
    let now = SystemTime::now();
    let stale = status.check_max_age(max_age, now).err();
    let outcome = match_inventory(&inventory, &db, &keys).context("matching advisories")?;
    let mut findings = outcome.findings;
    if let Some(i) = &integrity {
        findings.extend(i.findings.iter().cloned());
    }
    let provenance = if args.no_provenance {
        None
    } else {
        provenance_from_cache(global, args, &inventory, printer)?
    };
    if let Some(p) = &provenance {
        findings.extend(p.findings.iter().cloned());
    }
    let mut report = ScanReport {
        schema_version: chainward_report::SCHEMA_VERSION,
        sources: inventory.sources.clone(),
        findings,
        not_checked: outcome.not_checked,
        fixes: outcome.fixes,
        database: Some(DatabaseInfo {
            records: status.advisories,
            newest_modified: status.newest_modified.clone(),
            last_updated: status
                .last_update
                .clone()
                .or_else(|| status.last_import.clone()),
            stale: stale.is_some(),
        }),
        integrity: integrity.as_ref().map(super::verify::info),
        provenance: provenance.map(|p| p.info),
        summary: ScanSummary {
            packages: inventory.packages.len(),
            ..ScanSummary::default()
        },
    };
    report.normalize();
    render_scan_report(format, &report, printer)?;
    let incomplete = report_incomplete(&inventory, &args.input, printer);
    if let Some(stale) = &stale {
        if args.fail_on_stale {
            printer.error(&stale.to_string());
            return Ok(ExitStatus::Error);
        }
        printer.warn(&stale.to_string());
    }
    if incomplete {
        return Ok(ExitStatus::Error);
    }
    Ok(exit_for(&report.findings, args.fail_on))
}
