//! `chainward verify [PATH...]`: installed and cached bytes against the lockfiles, and
//! lockfile origin hygiene. Also the integrity part of `scan`.

use std::path::PathBuf;
use std::sync::Arc;

use chainward_cli::{GlobalArgs, IntegrityArgs, ScanFormat, VerifyArgs};
use chainward_extract::ReadSource;
use chainward_integrity::Outcome;
use chainward_report::{IntegrityInfo, ScanReport, ScanSummary, Unchecked};
use indicatif::ProgressBar;

use super::common::{collect_sources, render_scan_report, report_incomplete};
use super::scan::exit_for;
use crate::ExitStatus;
use crate::env;
use crate::printer::Printer;

/// A progress bar for downloads, drawn only on a terminal.
struct Bar(ProgressBar);

impl chainward_integrity::Progress for Bar {
    fn start(&self, what: &str, total: u64) {
        self.0.reset();
        self.0.set_length(total);
        self.0.set_message(what.to_owned());
    }
    fn advance(&self, n: u64) {
        self.0.inc(n);
    }
    fn finish(&self) {
        self.0.finish_and_clear();
    }
}

fn home_subdir(rel: &str) -> Option<PathBuf> {
    std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(|h| PathBuf::from(h).join(rel))
}

/// The integrity options from the command line, with each cache's platform default.
/// `online` allows downloading tarballs that a cache lacks.
pub(crate) fn options(
    args: &IntegrityArgs,
    online: bool,
    printer: &Printer,
) -> chainward_integrity::Options {
    // npm's cache root holds `_cacache`; accept either.
    let npm_cache = args
        .npm_cache
        .clone()
        .or_else(|| std::env::var_os(env::NPM_CONFIG_CACHE).map(PathBuf::from))
        .or_else(|| home_subdir(".npm"))
        .map(|d| {
            if d.ends_with("_cacache") {
                d
            } else {
                d.join("_cacache")
            }
        });
    let cargo_home = args
        .cargo_home
        .clone()
        .or_else(|| std::env::var_os(env::CARGO_HOME).map(PathBuf::from))
        .or_else(|| home_subdir(".cargo"));
    // yarn berry's global cache (yarn 4 uses it by default); a project's own `.yarn/cache`
    // and `.yarnrc.yml` are read by the check itself.
    let yarn_cache = args
        .yarn_cache
        .clone()
        .or_else(|| {
            std::env::var_os(env::YARN_GLOBAL_FOLDER).map(|d| PathBuf::from(d).join("cache"))
        })
        .or_else(|| home_subdir(".yarn/berry/cache"));
    let progress: Option<Arc<dyn chainward_integrity::Progress>> =
        { Some(Arc::new(Bar(printer.progress_bar(None)))) };
    chainward_integrity::Options {
        npm_cache,
        pnpm_store: args.pnpm_store.clone(),
        yarn_cache,
        cargo_home,
        dist_dirs: args.dist_dirs.clone(),
        allowed_hosts: args.allowed_hosts.clone(),
        no_default_hosts: args.no_default_hosts,
        fetch: if online { fetcher() } else { None },
        progress,
        limits: chainward_integrity::Limits::default(),
    }
}

/// Downloads tarballs a cache lacks, from the lockfile's `resolved` URL (online only).
fn fetcher() -> Option<Arc<dyn chainward_integrity::fetch::Fetch>> {
    Some(Arc::new(chainward_integrity::fetch::HttpFetch::default()))
}

/// The report section of an integrity outcome.
pub(crate) fn info(outcome: &Outcome) -> IntegrityInfo {
    IntegrityInfo {
        packages: outcome.stats.packages,
        files: outcome.stats.files,
        archives: outcome.stats.archives,
        bytes: outcome.stats.bytes,
        not_cached: outcome.stats.not_cached,
        unchecked: outcome
            .unchecked
            .iter()
            .map(|u| Unchecked {
                path: u.path.clone(),
                message: u.message.clone(),
            })
            .collect(),
    }
}

/// Verifies already-read sources.
pub(crate) fn verify_sources(
    sources: &[ReadSource],
    args: &IntegrityArgs,
    online: bool,
    printer: &Printer,
) -> Outcome {
    chainward_integrity::verify(sources, &options(args, online, printer))
}

pub(crate) fn run(
    global: &GlobalArgs,
    args: &VerifyArgs,
    printer: &Printer,
) -> anyhow::Result<ExitStatus> {
    let format = super::output_format(global.format.as_deref(), ScanFormat::Table, "verify")?;
    let sources = collect_sources(&args.input)?;
    let outcome = verify_sources(&sources, &args.integrity, !global.offline, printer);
    let inventory = chainward_extract::inventory_of(sources);
    let mut report = ScanReport {
        schema_version: chainward_report::SCHEMA_VERSION,
        sources: inventory.sources.clone(),
        findings: outcome.findings.clone(),
        not_checked: Vec::new(),
        fixes: std::collections::BTreeMap::new(),
        database: None,
        integrity: Some(info(&outcome)),
        provenance: None,
        summary: ScanSummary {
            packages: inventory.packages.len(),
            ..ScanSummary::default()
        },
    };
    report.normalize();
    render_scan_report(format, &report, printer)?;
    let mut incomplete = report_incomplete(&inventory, &args.input, printer);
    if !outcome.unchecked.is_empty() {
        printer.warn(&format!(
            "{} checks could not run (listed in the report)",
            outcome.unchecked.len()
        ));
        if !args.input.allow_incomplete {
            printer
                .error("verification is incomplete (see above); --allow-incomplete accepts that");
            incomplete = true;
        }
    }
    if incomplete {
        return Ok(ExitStatus::Error);
    }
    Ok(exit_for(&report.findings, args.fail_on))
}
