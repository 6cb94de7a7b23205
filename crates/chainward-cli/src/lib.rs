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
    /// Inventory, then check every package against the local advisory database.
    Scan(ScanArgs),
    /// Write an SBOM (CycloneDX or SPDX JSON) of what `inventory` finds.
    Sbom(SbomArgs),
    /// Manage the local advisory database.
    #[command(subcommand)]
    Db(DbCommand),
    /// Check that what is installed or cached is byte-for-byte what the lockfiles pinned, and
    /// that lockfile origins are sane.
    Verify(VerifyArgs),
    /// Store a snapshot of the inventory (and its verification results) in the history
    /// database.
    Record(RecordArgs),
    /// Every project, branch and snapshot that ever contained a package, a version range, or
    /// what an advisory affects.
    Exposure(ExposureArgs),
    /// What changed between two snapshots of a project, with the changes that matter flagged.
    Drift(DriftArgs),
    /// Fill and inspect the history database.
    #[command(subcommand)]
    History(HistoryCommand),
    /// Registry signatures, provenance attestations and the identity that built every npm
    /// package of the inventory (or of each purl given).
    Provenance(ProvenanceArgs),
    /// Verify one Sigstore bundle: exit 0 verified, 1 not verified (the reason on stderr), 2
    /// error.
    VerifyBundle(VerifyBundleArgs),
}

/// `chainward verify-bundle`.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("subject").required(true).args(["artifact", "digest"])))]
#[command(group(clap::ArgGroup::new("identity").args(["certificate_identity", "certificate_identity_regex"])))]
pub struct VerifyBundleArgs {
    /// The Sigstore bundle (JSON, media types v0.1 to v0.3).
    #[arg(value_name = "BUNDLE")]
    pub bundle: PathBuf,
    /// The signed artifact (for an in-toto attestation, its subject).
    #[arg(long, value_name = "FILE")]
    pub artifact: Option<PathBuf>,
    /// The artifact's digest instead of the file: `sha256:HEX` (or `sha512:HEX`).
    #[arg(long, value_name = "ALG:HEX")]
    pub digest: Option<String>,
    /// The trusted root (Sigstore `trusted_root.json`) [default: the embedded public-good root,
    /// or `trust/trusted_root.json` under --home when present].
    #[arg(long, value_name = "FILE")]
    pub trusted_root: Option<PathBuf>,
    /// Verify with this public key (PEM) instead of a Fulcio certificate.
    #[arg(long, value_name = "PEM", conflicts_with_all = ["certificate_identity", "certificate_identity_regex", "certificate_oidc_issuer"])]
    pub key: Option<PathBuf>,
    /// The certificate's identity (SAN), exactly.
    #[arg(long, value_name = "ID")]
    pub certificate_identity: Option<String>,
    /// The certificate's identity (SAN), as a regular expression (searched; anchor with ^$).
    #[arg(long, value_name = "RE")]
    pub certificate_identity_regex: Option<String>,
    /// The certificate's OIDC issuer, exactly.
    #[arg(long, value_name = "ISSUER")]
    pub certificate_oidc_issuer: Option<String>,
}

/// `chainward provenance`.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct ProvenanceArgs {
    /// Re-pin a package's build identity.
    #[command(subcommand)]
    pub command: Option<ProvenanceCommand>,
    /// Folders or lockfiles to inventory, or purls (`pkg:npm/NAME@VERSION`) [default: .].
    #[arg(value_name = "PATH|PURL")]
    pub targets: Vec<String>,
    /// Read single files as this format whatever their name.
    #[arg(long = "as", value_name = "KIND", value_parser = LOCKFILE_KINDS)]
    pub as_kind: Option<String>,
    /// Exit 0 even when some check could not run (it is still reported).
    #[arg(long)]
    pub allow_incomplete: bool,
    /// Exit 1 when a finding is at or above this severity.
    #[arg(long, value_enum, default_value_t = FailOn::High, value_name = "SEVERITY")]
    pub fail_on: FailOn,
    /// The registry options.
    #[command(flatten)]
    pub registry: RegistryArgs,
    /// Where pins and past observations are kept.
    #[command(flatten)]
    pub database: DatabaseArgs,
}

/// Where packuments, attestations and keys come from.
#[derive(Debug, Args)]
pub struct RegistryArgs {
    /// The npm registry [default: `https://registry.npmjs.org`].
    #[arg(long, value_name = "URL", env = "CHAINWARD_NPM_REGISTRY")]
    pub registry: Option<String>,
    /// Concurrent registry requests.
    #[arg(long, default_value_t = 16, value_name = "N")]
    pub concurrency: usize,
    /// The trusted root (Sigstore `trusted_root.json`) [default: embedded].
    #[arg(long, value_name = "FILE")]
    pub trusted_root: Option<PathBuf>,
    /// The registry's signing keys (a `/-/npm/v1/keys` or TUF `keys.json` file) [default: the
    /// registry's own when online, else the embedded snapshot].
    #[arg(long, value_name = "FILE")]
    pub registry_keys: Option<PathBuf>,
}

/// `chainward provenance SUBCOMMAND`.
#[derive(Debug, Subcommand)]
pub enum ProvenanceCommand {
    /// Pin (or re-pin) the build identity of a package to the one that built this version.
    Pin(ProvenancePinArgs),
    /// Fetch the Sigstore trusted root and the npm registry keys from the Sigstore TUF
    /// repository (verified from the embedded TUF root), into `trust/` under --home.
    UpdateTrust(UpdateTrustArgs),
}

/// `chainward provenance update-trust`.
#[derive(Debug, Args)]
pub struct UpdateTrustArgs {
    /// The TUF repository [default: `https://tuf-repo-cdn.sigstore.dev`].
    #[arg(long, value_name = "URL")]
    pub tuf_url: Option<String>,
    /// The TUF root to start from, instead of the embedded one (for another repository).
    #[arg(long, value_name = "FILE")]
    pub tuf_root: Option<PathBuf>,
}

/// `chainward provenance pin`.
#[derive(Debug, Args)]
pub struct ProvenancePinArgs {
    /// The version whose verified identity becomes the pin (`pkg:npm/NAME@VERSION`).
    #[arg(value_name = "PURL")]
    pub purl: String,
    /// The registry options.
    #[command(flatten)]
    pub registry: RegistryArgs,
    /// Where pins are kept.
    #[command(flatten)]
    pub database: DatabaseArgs,
}

/// The formats `--as KIND` names.
pub const LOCKFILE_KINDS: [&str; 10] = [
    "npm-package-lock",
    "npm-shrinkwrap",
    "yarn",
    "pnpm",
    "bun",
    "cargo",
    "requirements",
    "poetry",
    "uv",
    "pipfile",
];

/// Where the packages come from: lockfiles and installed trees, or SBOMs.
#[derive(Debug, Args)]
pub struct InputArgs {
    /// Folders to search, or single lockfiles [default: . unless --sbom is given]
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Read single files as this format whatever their name.
    #[arg(long = "as", value_name = "KIND", value_parser = LOCKFILE_KINDS)]
    pub as_kind: Option<String>,
    /// Read a CycloneDX (1.4 to 1.6) or SPDX (2.2, 2.3) JSON document as an inventory source
    /// (repeatable).
    #[arg(long, value_name = "FILE")]
    pub sbom: Vec<PathBuf>,
    /// Exit 0 even when some input could not be read completely (it is still reported).
    #[arg(long)]
    pub allow_incomplete: bool,
}

/// `chainward scan`.
#[derive(Debug, Args)]
pub struct ScanArgs {
    /// What to scan.
    #[command(flatten)]
    pub input: InputArgs,
    /// Exit 1 when a finding is at or above this severity.
    #[arg(long, value_enum, default_value_t = FailOn::High, value_name = "SEVERITY")]
    pub fail_on: FailOn,
    /// Advisory data older than this is stale: a warning, or an error with --fail-on-stale
    /// (e.g. `7d`, `36h`, `90m`).
    #[arg(long, default_value = "7d", value_name = "AGE")]
    pub max_age: String,
    /// Exit 2 when the advisory data is stale.
    #[arg(long)]
    pub fail_on_stale: bool,
    /// Where installed and cached packages are.
    #[command(flatten)]
    pub integrity: IntegrityArgs,
    /// Registry signatures and provenance, from the registry cache that `chainward
    /// provenance` fills (scan itself never asks the registry).
    #[command(flatten)]
    pub registry: RegistryArgs,
    /// Skip the signature and provenance checks.
    #[arg(long)]
    pub no_provenance: bool,
    /// Where provenance pins are kept (used when the database exists).
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// Skip the integrity checks (installed and cached bytes, lockfile origins).
    #[arg(long)]
    pub no_integrity: bool,
}

/// Where `verify` (and the integrity part of `scan`) finds caches, and which origins it allows.
#[derive(Debug, Args)]
pub struct IntegrityArgs {
    /// npm's cache folder (the one holding `_cacache`) [default: $npm_config_cache, else
    /// ~/.npm]
    #[arg(long, value_name = "DIR")]
    pub npm_cache: Option<PathBuf>,
    /// pnpm's content-addressable store (e.g. `~/.local/share/pnpm/store/v3`) [default: the
    /// `storeDir` that `node_modules/.modules.yaml` records]
    #[arg(long, value_name = "DIR")]
    pub pnpm_store: Option<PathBuf>,
    /// yarn berry's global cache folder [default: `.yarn/cache` of the project, else
    /// ~/.yarn/berry/cache]
    #[arg(long, value_name = "DIR")]
    pub yarn_cache: Option<PathBuf>,
    /// Cargo's home, holding `registry/cache` and `registry/src` [default: $CARGO_HOME, else
    /// ~/.cargo]
    #[arg(long, value_name = "DIR")]
    pub cargo_home: Option<PathBuf>,
    /// A folder of downloaded wheels and sdists to check against Python lockfile hashes
    /// (repeatable).
    #[arg(long = "dist", value_name = "DIR")]
    pub dist_dirs: Vec<PathBuf>,
    /// Allow downloads from this host as well as each ecosystem's public registry
    /// (repeatable; a host name or a URL).
    #[arg(long = "allow-host", value_name = "HOST")]
    pub allowed_hosts: Vec<String>,
    /// Allow only the hosts given with --allow-host, not the public registries.
    #[arg(long)]
    pub no_default_hosts: bool,
}

/// `chainward verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// What to verify.
    #[command(flatten)]
    pub input: InputArgs,
    /// Where installed and cached packages are.
    #[command(flatten)]
    pub integrity: IntegrityArgs,
    /// Exit 1 when a finding is at or above this severity.
    #[arg(long, value_enum, default_value_t = FailOn::Low, value_name = "SEVERITY")]
    pub fail_on: FailOn,
}

/// The severity at which `scan` fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    /// Only critical findings (every known-malicious package is critical).
    Critical,
    /// High and critical.
    High,
    /// Medium and above.
    Medium,
    /// Low and above.
    Low,
    /// Never fail on findings.
    None,
}

/// Output formats of `scan`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ScanFormat {
    /// A table for people, most severe first.
    Table,
    /// The JSON contract.
    Json,
    /// SARIF 2.1.0, for code scanning.
    Sarif,
    /// Markdown, for pull-request comments.
    Markdown,
}

/// `chainward sbom`.
#[derive(Debug, Args)]
pub struct SbomArgs {
    /// What to describe.
    #[command(flatten)]
    pub input: InputArgs,
    /// The specification version (CycloneDX: 1.5, 1.6 or 1.7; SPDX: 2.3).
    #[arg(long, value_name = "V")]
    pub spec_version: Option<String>,
    /// Write to this file instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// Output formats of `sbom`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SbomFormat {
    /// CycloneDX JSON (1.6 by default).
    CyclonedxJson,
    /// SPDX 2.3 JSON.
    SpdxJson,
}

/// `chainward db ...`.
#[derive(Debug, Subcommand)]
pub enum DbCommand {
    /// Load OSV records (JSON files, folders, all.zip exports), RustSec advisory-db folders and
    /// PYSEC records into the local database.
    Import(DbImportArgs),
    /// Download the OSV exports of npm, crates.io and PyPI and swap them in atomically.
    Update(DbUpdateArgs),
    /// Counts per ecosystem and source, and the age of the data.
    Status(DbStatusArgs),
}

/// `chainward db import`.
#[derive(Debug, Args)]
pub struct DbImportArgs {
    /// Files, folders or zip archives to import.
    #[arg(value_name = "SOURCE", required = true)]
    pub sources: Vec<PathBuf>,
}

/// `chainward db update`.
#[derive(Debug, Args)]
pub struct DbUpdateArgs {
    /// Base URL of the OSV exports (`<base>/<ecosystem>/all.zip`).
    #[arg(
        long,
        env = "CHAINWARD_OSV_BASE_URL",
        default_value = "https://osv-vulnerabilities.storage.googleapis.com",
        value_name = "URL"
    )]
    pub base_url: String,
    /// Only these ecosystems (repeatable) [default: npm, crates.io, PyPI]
    #[arg(long = "ecosystem", value_name = "ECOSYSTEM", value_parser = ["npm", "crates.io", "PyPI"])]
    pub ecosystems: Vec<String>,
}

/// `chainward db status`.
#[derive(Debug, Args)]
pub struct DbStatusArgs {
    /// Data older than this is reported as stale (e.g. `7d`).
    #[arg(long, default_value = "7d", value_name = "AGE")]
    pub max_age: String,
    /// Exit 2 when the data is stale.
    #[arg(long)]
    pub fail_on_stale: bool,
}

/// Output formats of `db status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DbStatusFormat {
    /// A table for people.
    Table,
    /// JSON.
    Json,
}

/// Which history database to use.
#[derive(Debug, Args)]
pub struct DatabaseArgs {
    /// The history database: `sqlite://PATH` or `postgres://USER@HOST:PORT/DATABASE`
    /// [default: history.sqlite3 in --home]
    #[arg(
        long,
        env = "CHAINWARD_DATABASE_URL",
        hide_env_values = true,
        value_name = "URL"
    )]
    pub database_url: Option<String>,
}

/// `chainward record`.
#[derive(Debug, Args)]
pub struct RecordArgs {
    /// What to record.
    #[command(flatten)]
    pub input: InputArgs,
    /// The project's name: snapshots of one project (and branch) form one history.
    #[arg(long, value_name = "NAME")]
    pub project: String,
    /// When the packages were as found, RFC 3339 (`2024-05-01T12:00:00Z`) or a date
    /// [default: now]
    #[arg(long, value_name = "TIME")]
    pub at: Option<String>,
    /// The branch [default: the git branch of the first PATH, when it is in a repository]
    #[arg(long, value_name = "BRANCH")]
    pub branch: Option<String>,
    /// The commit [default: the git commit of the first PATH, when it is in a repository]
    #[arg(long, value_name = "SHA")]
    pub commit: Option<String>,
    /// Where installed and cached packages are.
    #[command(flatten)]
    pub integrity: IntegrityArgs,
    /// Skip the integrity checks (record no verification results).
    #[arg(long)]
    pub no_integrity: bool,
    /// Which history database.
    #[command(flatten)]
    pub database: DatabaseArgs,
}

/// `chainward exposure`.
#[derive(Debug, Args)]
pub struct ExposureArgs {
    /// A purl (`pkg:npm/chalk@5.6.1`), a short form with a version or range
    /// (`npm:chalk@5.6.1`, `npm:chalk@>=5.6.0 <5.6.2`; no version: every version), or an
    /// advisory id or alias in the local advisory database (`MAL-2025-46969`).
    #[arg(
        value_name = "QUERY",
        required_unless_present = "new_advisories",
        conflicts_with = "new_advisories"
    )]
    pub query: Option<String>,
    /// Match every advisory added or changed in the advisory database since the last
    /// `exposure --new-advisories` (all of them the first time), and remember this run.
    #[arg(long)]
    pub new_advisories: bool,
    /// Only this project.
    #[arg(long, value_name = "NAME")]
    pub project: Option<String>,
    /// List every snapshot of each match, not only the first and last.
    #[arg(long)]
    pub snapshots: bool,
    /// Which history database.
    #[command(flatten)]
    pub database: DatabaseArgs,
}

/// `chainward drift`.
#[derive(Debug, Args)]
pub struct DriftArgs {
    /// The project.
    #[arg(long, value_name = "NAME")]
    pub project: String,
    /// The branch whose snapshots to compare [default: the branch of the project's latest
    /// snapshot]
    #[arg(long, value_name = "BRANCH")]
    pub branch: Option<String>,
    /// The older snapshot's id [default: the one before --to]
    #[arg(long, value_name = "SNAPSHOT")]
    pub from: Option<i64>,
    /// The newer snapshot's id [default: the latest]
    #[arg(long, value_name = "SNAPSHOT")]
    pub to: Option<i64>,
    /// Exit 1 when a finding is at or above this severity.
    #[arg(long, value_enum, default_value_t = FailOn::High, value_name = "SEVERITY")]
    pub fail_on: FailOn,
    /// Which history database.
    #[command(flatten)]
    pub database: DatabaseArgs,
}

/// `chainward history ...`.
#[derive(Debug, Subcommand)]
pub enum HistoryCommand {
    /// Record a snapshot for every commit of a git repository that changed a lockfile, at
    /// that commit's time (read from git objects; nothing is checked out).
    ImportGit(ImportGitArgs),
    /// List projects and branches, or the snapshots of one project.
    List(HistoryListArgs),
}

/// `chainward history import-git`.
#[derive(Debug, Args)]
pub struct ImportGitArgs {
    /// The repository (its working folder, or a bare repository).
    #[arg(value_name = "REPO")]
    pub repo: PathBuf,
    /// The project's name [default: the repository folder's name]
    #[arg(long, value_name = "NAME")]
    pub project: Option<String>,
    /// The branch to walk (its first-parent history) [default: the current branch]
    #[arg(long, value_name = "BRANCH")]
    pub branch: Option<String>,
    /// Only commits made at or after this time (RFC 3339 or a date).
    #[arg(long, value_name = "DATE")]
    pub since: Option<String>,
    /// Record commits whose lockfiles could not all be read (the snapshot is marked
    /// incomplete) instead of skipping them and exiting 2.
    #[arg(long)]
    pub allow_incomplete: bool,
    /// Which history database.
    #[command(flatten)]
    pub database: DatabaseArgs,
}

/// `chainward history list`.
#[derive(Debug, Args)]
pub struct HistoryListArgs {
    /// List this project's snapshots [default: list every project and branch]
    #[arg(long, value_name = "NAME")]
    pub project: Option<String>,
    /// Only this branch's snapshots.
    #[arg(long, value_name = "BRANCH", requires = "project")]
    pub branch: Option<String>,
    /// Which history database.
    #[command(flatten)]
    pub database: DatabaseArgs,
}

/// Output formats of the history commands (`record`, `exposure`, `drift`, `history`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum HistoryFormat {
    /// A table for people.
    Table,
    /// JSON.
    Json,
}

/// `chainward inventory`.
#[derive(Debug, Args)]
pub struct InventoryArgs {
    /// What to inventory.
    #[command(flatten)]
    pub input: InputArgs,
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
