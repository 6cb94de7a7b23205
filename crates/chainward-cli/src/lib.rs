//! chainward's command-line surface (clap derive types), as `shared/docs/CLI.md` specifies
//! it. No logic lives here: the binary interprets these values.
//!
//! Invariant: options named in CLI.md are never renamed or removed.
#![warn(missing_docs)]

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Guards a software supply chain: inventories every dependency, offline-first.
#[derive(Debug, Parser)]
#[command(name = "chainward", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    /// Options every command takes.
    #[command(flatten)]
    pub global: GlobalArgs,
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// Options every command takes.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Data directory holding the embedded database [default: $CHAINWARD_HOME, else
    /// ~/.local/share/chainward]
    #[arg(long, global = true, env = "CHAINWARD_HOME", value_name = "DIR")]
    pub home: Option<PathBuf>,
    /// Never touch the network; anything that would need it says so and exits 2.
    #[arg(long, global = true)]
    pub offline: bool,
    /// Output format, where a command has several (`table` for people is the default).
    #[arg(long, global = true, value_name = "FMT")]
    pub format: Option<String>,
    /// Print only results and errors.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Print more about what is being done.
    #[arg(short, long, global = true)]
    pub verbose: bool,
    /// When to use colour (`NO_COLOR` is respected).
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,
}

/// When to use colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// On a terminal, unless `NO_COLOR` is set.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

/// chainward's commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// List every package in every lockfile and installed tree under each PATH.
    Inventory(InventoryArgs),
}

/// `chainward inventory`.
#[derive(Debug, Args)]
pub struct InventoryArgs {
    /// Folders to search, or single lockfiles [default: .]
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Read single files as this format whatever their name.
    #[arg(long = "as", value_name = "KIND", value_parser = [
        "npm-package-lock", "npm-shrinkwrap", "yarn", "pnpm", "bun",
        "cargo", "requirements", "poetry", "uv", "pipfile",
    ])]
    pub as_kind: Option<String>,
    /// Exit 0 even when some lockfile could not be read (it is still reported).
    #[arg(long)]
    pub allow_incomplete: bool,
}

/// Output formats of `inventory`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum InventoryFormat {
    /// A table for people.
    Table,
    /// The JSON contract.
    Json,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
