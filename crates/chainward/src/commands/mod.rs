//! One module per subcommand; each returns the run's [`ExitStatus`].

use chainward_cli::{Cli, Command};

use crate::ExitStatus;
use crate::printer::Printer;

mod common;
mod db;
mod drift;
mod exposure;
mod history;
mod inventory;
mod provenance;
mod record;
mod sbom;
mod scan;
mod verify;
mod verify_bundle;

pub(crate) fn run(cli: Cli, printer: &Printer) -> anyhow::Result<ExitStatus> {
    match cli.command {
        Command::Inventory(args) => inventory::run(&cli.global, &args, printer),
        Command::Scan(args) => scan::run(&cli.global, &args, printer),
        Command::Db(cmd) => db::run(&cli.global, &cmd, printer),
        Command::Sbom(args) => sbom::run(&cli.global, &args, printer),
        Command::Verify(args) => verify::run(&cli.global, &args, printer),
        Command::Record(args) => record::run(&cli.global, &args, printer),
        Command::Exposure(args) => exposure::run(&cli.global, &args, printer),
        Command::Drift(args) => drift::run(&cli.global, &args, printer),
        Command::History(cmd) => history::run(&cli.global, &cmd, printer),
        Command::Provenance(args) => provenance::run(&cli.global, &args, printer),
        Command::VerifyBundle(args) => verify_bundle::run(&cli.global, &args, printer),
    }
}

/// Parses the global `--format` for a command whose formats are the `ValueEnum` `F`.
pub(crate) fn output_format<F: clap::ValueEnum>(
    given: Option<&str>,
    default: F,
    command: &str,
) -> anyhow::Result<F> {
    let Some(given) = given else {
        return Ok(default);
    };
    F::from_str(given, true).map_err(|_| {
        let names: Vec<String> = F::value_variants()
            .iter()
            .filter_map(|v| v.to_possible_value().map(|p| p.get_name().to_owned()))
            .collect();
        anyhow::anyhow!(
            "`{command}` has no --format `{given}` (choose one of: {})",
            names.join(", ")
        )
    })
}
