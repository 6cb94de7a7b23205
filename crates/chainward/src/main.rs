//! The `chainward` binary: argument parsing, then glue from each command to the library
//! crates. Decides exit codes (see [`ExitStatus`]); renders nothing itself.

use std::process::ExitCode;

use chainward_cli::Cli;
use clap::Parser as _;

mod commands;
mod env;
mod matcher;
mod printer;

use printer::Printer;

/// mimalloc (its v2, with transparent huge pages) instead of glibc's allocator. On the
/// 3,860-package pnpm inventory benchmark glibc took about 4,500 page faults (the run's
/// kernel time) and malloc/free were a sixth of its instructions; mimalloc takes about 260
/// faults, for a median 42 ms against 50 ms, with 36 MB peak memory against 17 MB (see
/// `chainward-bench inventory`).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// How a run ended, as the process exit code (see `shared/docs/CLI.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ExitStatus {
    /// Done; nothing at or above `--fail-on`.
    Ok,
    /// Done; something at or above `--fail-on` was found, or a verification failed.
    #[allow(dead_code)] // used by `scan` and `verify`
    Failure,
    /// The job could not be done completely.
    Error,
}

impl From<ExitStatus> for ExitCode {
    fn from(s: ExitStatus) -> Self {
        ExitCode::from(match s {
            ExitStatus::Ok => 0,
            ExitStatus::Failure => 1,
            ExitStatus::Error => 2,
        })
    }
}

fn main() -> ExitCode {
    let code = run();
    if std::env::var_os(env::CHAINWARD_REPORT_PEAK_RSS).is_some() {
        report_peak_rss();
    }
    code
}

fn run() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let printer = Printer::new(&cli.global);
    match commands::run(cli, &printer) {
        Ok(status) => status.into(),
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            printer.error(&format!("{e:#}"));
            ExitStatus::Error.into()
        }
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// Writes `VmHWM` from `/proc/self/status` to stderr (Linux; silent elsewhere).
fn report_peak_rss() {
    use std::io::Write as _;
    let Ok(status) = fs_err::read_to_string("/proc/self/status") else {
        return;
    };
    if let Some(kib) = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
    {
        let _ = writeln!(std::io::stderr(), "chainward-peak-rss-kib: {kib}");
    }
}
