//! `chainward sbom [PATH] --format cyclonedx-json|spdx-json [--spec-version V] [-o FILE]`.

use std::io::Write as _;
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::Context as _;
use chainward_cli::{GlobalArgs, SbomArgs};
use chainward_sbom::{Metadata, SbomFormat};

use super::common::{collect_inventory, report_incomplete};
use crate::ExitStatus;
use crate::env::SOURCE_DATE_EPOCH;
use crate::printer::Printer;

pub(crate) fn run(
    global: &GlobalArgs,
    args: &SbomArgs,
    printer: &Printer,
) -> anyhow::Result<ExitStatus> {
    let format_name = global.format.as_deref().unwrap_or("cyclonedx-json");
    let format = SbomFormat::from_cli(format_name, args.spec_version.as_deref())
        .with_context(|| format!("`sbom --format {format_name}`"))?;
    let inventory = collect_inventory(&args.input)?;
    // The root component comes from the manifest of the first folder given (or `.`).
    let root_dir = args
        .input
        .paths
        .first()
        .map_or(Path::new("."), |p| p.as_path());
    let root_dir = if root_dir.is_file() {
        root_dir.parent().unwrap_or(Path::new("."))
    } else {
        root_dir
    };
    let timestamp = match std::env::var(SOURCE_DATE_EPOCH) {
        Ok(v) => chainward_sbom::parse_source_date_epoch(&v)
            .with_context(|| format!("{SOURCE_DATE_EPOCH}=`{v}` is not a number of seconds"))?,
        Err(_) => SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0),
    };
    let metadata = Metadata::new(env!("CARGO_PKG_VERSION"), timestamp)
        .with_root(chainward_sbom::read_root_component(root_dir));
    match &args.output {
        Some(path) => {
            let mut buf = Vec::new();
            chainward_sbom::write(&inventory, format, &metadata, &mut buf)?;
            fs_err::write(path, buf)?;
        }
        None => printer.result(|w| chainward_sbom::write(&inventory, format, &metadata, w))?,
    }
    let _ = std::io::stderr().flush();
    Ok(if report_incomplete(&inventory, &args.input, printer) {
        ExitStatus::Error
    } else {
        ExitStatus::Ok
    })
}
