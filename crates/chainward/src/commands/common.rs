//! Glue shared by commands: the data directory, durations, and building the inventory.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context as _, bail};
use chainward_cli::{GlobalArgs, InputArgs, ScanFormat};
use chainward_extract::{Format, Options, ReadSource};
use chainward_report::{Reporter as _, ScanReport, reporters};
use chainward_types::Inventory;

use crate::printer::Printer;

/// `--home`, else `$CHAINWARD_HOME` (read by clap), else `$XDG_DATA_HOME/chainward`, else
/// `~/.local/share/chainward`.
pub(crate) fn home_dir(global: &GlobalArgs) -> anyhow::Result<PathBuf> {
    if let Some(h) = &global.home {
        return Ok(h.clone());
    }
    if let Some(x) = std::env::var_os("XDG_DATA_HOME").filter(|v| !v.is_empty()) {
        return Ok(PathBuf::from(x).join("chainward"));
    }
    match std::env::var_os("HOME").filter(|v| !v.is_empty()) {
        Some(h) => Ok(PathBuf::from(h).join(".local/share/chainward")),
        None => bail!("no data directory: set --home or CHAINWARD_HOME"),
    }
}

/// Parses `7d`, `36h`, `90m`, `45s` (a bare number is days).
pub(crate) fn parse_age(s: &str) -> anyhow::Result<Duration> {
    let s = s.trim();
    let (num, unit) = match s.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((i, _)) => (&s[..i], &s[i..]),
        None => (s, "d"),
    };
    let n: u64 = num
        .parse()
        .with_context(|| format!("`{s}` is not an age like 7d, 36h or 90m"))?;
    let secs = match unit {
        "d" => n * 86_400,
        "h" => n * 3_600,
        "m" => n * 60,
        "s" => n,
        _ => bail!("`{s}` is not an age like 7d, 36h or 90m (units: d, h, m, s)"),
    };
    Ok(Duration::from_secs(secs))
}

fn extract_inputs(input: &InputArgs) -> (Vec<PathBuf>, Options) {
    let paths = if input.paths.is_empty() && input.sbom.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        input.paths.clone()
    };
    let options = Options {
        as_format: input.as_kind.as_deref().and_then(Format::from_kind),
        sboms: input.sbom.clone(),
    };
    (paths, options)
}

/// Builds the inventory of the command's inputs: lockfiles and trees under PATHs, and SBOMs.
pub(crate) fn collect_inventory(input: &InputArgs) -> anyhow::Result<Inventory> {
    let (paths, options) = extract_inputs(input);
    Ok(chainward_extract::extract(&paths, &options)?)
}

/// Reads every source of the command's inputs, each kept with its own lockfile.
pub(crate) fn collect_sources(input: &InputArgs) -> anyhow::Result<Vec<ReadSource>> {
    let (paths, options) = extract_inputs(input);
    Ok(chainward_extract::read_sources(&paths, &options)?)
}

/// Warns about every incomplete source; true when the run must exit 2 for it.
pub(crate) fn report_incomplete(
    inventory: &Inventory,
    input: &InputArgs,
    printer: &Printer,
) -> bool {
    if inventory.sources.is_empty() {
        printer.warn("no lockfile, installed tree or SBOM found");
    }
    for s in &inventory.sources {
        for note in &s.notes {
            printer.note(&format!("{}: {note}", s.path));
        }
        if s.status.is_incomplete() {
            let why = s.error.clone().unwrap_or_else(|| s.warnings.join("; "));
            printer.warn(&format!("{} ({}): {why}", s.path, s.status.as_str()));
        }
    }
    if inventory.is_incomplete() && !input.allow_incomplete {
        printer.error("the inventory is incomplete (see above); --allow-incomplete accepts that");
        return true;
    }
    false
}

/// Writes a `scan` or `verify` report in the chosen format.
pub(crate) fn render_scan_report(
    format: ScanFormat,
    report: &ScanReport,
    printer: &Printer,
) -> anyhow::Result<()> {
    printer
        .result(|w| match format {
            ScanFormat::Table => reporters::Table {
                wrap: printer.stdout_is_terminal(),
            }
            .render(report, w),
            ScanFormat::Json => reporters::Json.render(report, w),
            ScanFormat::Sarif => reporters::Sarif {
                tool_version: env!("CARGO_PKG_VERSION").to_owned(),
            }
            .render(report, w),
            ScanFormat::Markdown => reporters::Markdown.render(report, w),
        })
        .context("writing the report")
}
