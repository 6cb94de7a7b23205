//! `chainward db import|update|status`.

use std::time::SystemTime;

use anyhow::Context as _;
use chainward_advisory::{
    AdvisoryDb, DbStatus, ImportOptions, UpdateConfig, UpdateProgress, human_duration,
};
use chainward_cli::{
    DbCommand, DbImportArgs, DbStatusArgs, DbStatusFormat, DbUpdateArgs, GlobalArgs,
};
use chainward_types::Ecosystem;
use indicatif::{ProgressBar, ProgressStyle};

use super::common::{home_dir, parse_age};
use crate::ExitStatus;
use crate::printer::Printer;

pub(crate) fn run(
    global: &GlobalArgs,
    cmd: &DbCommand,
    printer: &Printer,
) -> anyhow::Result<ExitStatus> {
    let home = home_dir(global)?;
    match cmd {
        DbCommand::Import(args) => import(&home, args, printer),
        DbCommand::Update(args) => {
            if global.offline {
                printer.error("`db update` needs the network, and --offline was given");
                return Ok(ExitStatus::Error);
            }
            update(&home, args, printer)
        }
        DbCommand::Status(args) => status(global, &home, args, printer),
    }
}

fn import(
    home: &std::path::Path,
    args: &DbImportArgs,
    printer: &Printer,
) -> anyhow::Result<ExitStatus> {
    let mut db = AdvisoryDb::open(home)
        .with_context(|| format!("opening the advisory database in {}", home.display()))?;
    let report = db
        .import(&args.sources, &ImportOptions::default())
        .context("importing advisories")?;
    let total = report.total();
    printer.result(|w| {
        writeln!(
            w,
            "Imported {} files into {}",
            report.files,
            db.path().display()
        )?;
        for (source, c) in &report.by_source {
            writeln!(
                w,
                "  {:<8} {} added, {} updated, {} unchanged, {} skipped",
                source.as_str(),
                c.added,
                c.updated,
                c.unchanged,
                c.skipped
            )?;
        }
        writeln!(
            w,
            "  total    {} added, {} updated, {} unchanged, {} skipped",
            total.added, total.updated, total.unchanged, total.skipped
        )?;
        for (reason, n) in report.skipped_by_reason() {
            writeln!(w, "  skipped {n}: {}", reason.describe())?;
        }
        Ok(())
    })?;
    for e in &report.errors {
        printer.error(&e.to_string());
    }
    Ok(if report.is_complete() {
        ExitStatus::Ok
    } else {
        ExitStatus::Error
    })
}

fn update(
    home: &std::path::Path,
    args: &DbUpdateArgs,
    printer: &Printer,
) -> anyhow::Result<ExitStatus> {
    let mut db = AdvisoryDb::open(home)
        .with_context(|| format!("opening the advisory database in {}", home.display()))?;
    let mut config = UpdateConfig {
        base_url: args.base_url.clone(),
        ..UpdateConfig::default()
    };
    if !args.ecosystems.is_empty() {
        config.ecosystems = args
            .ecosystems
            .iter()
            .filter_map(|e| Ecosystem::from_name(e))
            .collect();
    }
    let bar = ProgressBar::with_draw_target(None, printer.progress_target());
    bar.set_style(
        ProgressStyle::with_template(
            "{msg:>24} [{bar:30}] {bytes}/{total_bytes} {binary_bytes_per_sec}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    let mut on_progress = |p: UpdateProgress<'_>| match p {
        UpdateProgress::Requesting { ecosystem, .. } => {
            bar.reset();
            bar.set_message(format!("{ecosystem}: downloading"));
        }
        UpdateProgress::Downloading { done, total, .. } => {
            if let Some(t) = total {
                bar.set_length(t);
            }
            bar.set_position(done);
        }
        UpdateProgress::NotModified { ecosystem } => {
            bar.set_message(format!("{ecosystem}: unchanged"))
        }
        UpdateProgress::Applying {
            ecosystem,
            done,
            total,
        } => {
            bar.set_message(format!("{ecosystem}: checking"));
            bar.set_length(total);
            bar.set_position(done);
        }
        _ => {}
    };
    let result = db.update(&config, &mut on_progress);
    bar.finish_and_clear();
    let report =
        result.context("updating the advisory database (the previous data is unchanged)")?;
    printer.result(|w| {
        for e in &report.ecosystems {
            if e.changed {
                writeln!(
                    w,
                    "{}: {} records ({} added, {} updated, {} unchanged) from {} bytes",
                    e.ecosystem,
                    e.records,
                    e.counts.added,
                    e.counts.updated,
                    e.counts.unchanged,
                    e.bytes
                )?;
            } else {
                writeln!(w, "{}: unchanged since the last update", e.ecosystem)?;
            }
        }
        if report.removed > 0 {
            writeln!(
                w,
                "{} advisories no longer in the exports were removed",
                report.removed
            )?;
        }
        Ok(())
    })?;
    Ok(ExitStatus::Ok)
}

fn status(
    global: &GlobalArgs,
    home: &std::path::Path,
    args: &DbStatusArgs,
    printer: &Printer,
) -> anyhow::Result<ExitStatus> {
    let format =
        super::output_format(global.format.as_deref(), DbStatusFormat::Table, "db status")?;
    let max_age = parse_age(&args.max_age)?;
    let db = AdvisoryDb::open_existing(home).with_context(|| {
        format!(
            "no advisory database in {}: run `chainward db import` or `chainward db update`",
            home.display()
        )
    })?;
    let status = db.status().context("reading the advisory database")?;
    let now = SystemTime::now();
    let stale = status.check_max_age(max_age, now).err();
    printer.result(|w| match format {
        DbStatusFormat::Json => {
            let mut v = serde_json::to_value(&status)?;
            v["schema_version"] = serde_json::json!(chainward_report::SCHEMA_VERSION);
            v["age_seconds"] = serde_json::json!(status.age(now).map(|d| d.as_secs()));
            v["stale"] = serde_json::json!(stale.is_some());
            serde_json::to_writer_pretty(&mut *w, &v)?;
            writeln!(w)
        }
        DbStatusFormat::Table => status_table(&status, now, w),
    })?;
    if let Some(stale) = stale {
        if args.fail_on_stale {
            printer.error(&stale.to_string());
            return Ok(ExitStatus::Error);
        }
        printer.warn(&stale.to_string());
    }
    Ok(ExitStatus::Ok)
}

fn status_table(s: &DbStatus, now: SystemTime, w: &mut dyn std::io::Write) -> std::io::Result<()> {
    writeln!(
        w,
        "Database: {} (schema {})",
        s.path.display(),
        s.schema_version
    )?;
    writeln!(
        w,
        "Advisories: {} ({} withdrawn)",
        s.advisories, s.withdrawn
    )?;
    writeln!(w)?;
    writeln!(
        w,
        "  {:<12} {:>10} {:>10}",
        "ECOSYSTEM", "ADVISORIES", "WITHDRAWN"
    )?;
    for (eco, c) in &s.ecosystems {
        writeln!(w, "  {eco:<12} {:>10} {:>10}", c.advisories, c.withdrawn)?;
    }
    writeln!(w)?;
    writeln!(w, "  {:<12} {:>10}", "SOURCE", "ADVISORIES")?;
    for (src, c) in &s.sources {
        writeln!(w, "  {:<12} {:>10}", src.as_str(), c.advisories)?;
    }
    writeln!(w)?;
    writeln!(
        w,
        "Newest record modified: {}",
        s.newest_modified.as_deref().unwrap_or("-")
    )?;
    writeln!(
        w,
        "Last import: {}",
        s.last_import.as_deref().unwrap_or("never")
    )?;
    writeln!(
        w,
        "Last update: {}",
        s.last_update.as_deref().unwrap_or("never")
    )?;
    writeln!(
        w,
        "Age of the data: {}",
        s.age(now)
            .map_or_else(|| "unknown".to_owned(), human_duration)
    )
}
