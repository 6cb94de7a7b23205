//! `chainward inventory [PATH...]`.

use std::path::PathBuf;

use anyhow::Context as _;
use chainward_cli::{GlobalArgs, InventoryArgs, InventoryFormat};
use chainward_extract::{Format, Options};
use chainward_report::{InventoryReport, Reporter as _, reporters};

use crate::ExitStatus;
use crate::printer::Printer;

pub(crate) fn run(global: &GlobalArgs, args: &InventoryArgs, printer: &Printer) -> anyhow::Result<ExitStatus> {
    let format = super::output_format(global.format.as_deref(), InventoryFormat::Table, "inventory")?;
    let paths = if args.input.paths.is_empty() { vec![PathBuf::from(".")] } else { args.input.paths.clone() };
    let options = Options {
        as_format: args.input.as_kind.as_deref().and_then(Format::from_kind),
    };
    let inventory = chainward_extract::extract(&paths, &options)?;
    let report = InventoryReport::new(&inventory);
    printer
        .result(|w| match format {
            InventoryFormat::Json => reporters::Json.render(&report, w),
            InventoryFormat::Table => reporters::Table { wrap: printer.stdout_is_terminal() }.render(&report, w),
        })
        .context("writing the inventory")?;
    if inventory.sources.is_empty() {
        printer.warn("no lockfile or installed tree found");
    }
    for s in &inventory.sources {
        if s.status.is_incomplete() {
            let why = s.error.clone().unwrap_or_else(|| s.warnings.join("; "));
            printer.warn(&format!("{} ({}): {why}", s.path, s.status.as_str()));
        }
    }
    printer.info(&format!("{} packages from {} sources", inventory.packages.len(), inventory.sources.len()));
    if inventory.is_incomplete() && !args.input.allow_incomplete {
        printer.error("the inventory is incomplete (see above); --allow-incomplete accepts that");
        return Ok(ExitStatus::Error);
    }
    Ok(ExitStatus::Ok)
}
