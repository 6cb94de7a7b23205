//! Everything the binary writes goes through the [`Printer`]: results to stdout, warnings
//! and errors to stderr, honouring `--quiet`, `--verbose` and `--color`.

use std::io::{self, IsTerminal, Write};

use chainward_cli::{ColorChoice, GlobalArgs};

/// Writes results and messages.
#[derive(Debug)]
pub(crate) struct Printer {
    quiet: bool,
    verbose: bool,
    color: bool,
    stdout_is_terminal: bool,
}

impl Printer {
    pub(crate) fn new(global: &GlobalArgs) -> Self {
        let stderr_tty = io::stderr().is_terminal();
        let color = match global.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                stderr_tty && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
            }
        };
        Self {
            quiet: global.quiet,
            verbose: global.verbose,
            color,
            stdout_is_terminal: io::stdout().is_terminal(),
        }
    }

    /// True when results go to a terminal (tables may wrap to its width).
    pub(crate) fn stdout_is_terminal(&self) -> bool {
        self.stdout_is_terminal
    }

    /// Writes a rendered result to stdout, buffered.
    pub(crate) fn result(
        &self,
        render: impl FnOnce(&mut dyn Write) -> io::Result<()>,
    ) -> io::Result<()> {
        let stdout = io::stdout();
        let mut w = io::BufWriter::new(stdout.lock());
        render(&mut w)?;
        w.flush()
    }

    fn stderr_line(&self, label: &str, ansi: &str, msg: &str) {
        let mut e = io::stderr().lock();
        let _ = if self.color {
            writeln!(e, "\x1b[{ansi}m{label}\x1b[0m: {msg}")
        } else {
            writeln!(e, "{label}: {msg}")
        };
    }

    /// Where progress bars draw: stderr on a terminal unless `--quiet`, else nowhere.
    pub(crate) fn progress_target(&self) -> indicatif::ProgressDrawTarget {
        if self.quiet || !io::stderr().is_terminal() {
            indicatif::ProgressDrawTarget::hidden()
        } else {
            indicatif::ProgressDrawTarget::stderr()
        }
    }

    /// A counting progress bar (`what [=====>    ] pos/len`) drawn where
    /// [`Self::progress_target`] says.
    pub(crate) fn progress_bar(&self, len: Option<u64>) -> indicatif::ProgressBar {
        let bar = indicatif::ProgressBar::with_draw_target(len, self.progress_target());
        bar.set_style(
            indicatif::ProgressStyle::with_template("{msg:>24} [{bar:30}] {pos}/{len}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        bar
    }

    /// An error: always shown.
    pub(crate) fn error(&self, msg: &str) {
        self.stderr_line("error", "1;31", msg);
    }

    /// A warning: shown unless `--quiet`.
    pub(crate) fn warn(&self, msg: &str) {
        if !self.quiet {
            self.stderr_line("warning", "1;33", msg);
        }
    }

    /// Something worth knowing that is not a problem: shown unless `--quiet`.
    pub(crate) fn note(&self, msg: &str) {
        if !self.quiet {
            self.stderr_line("note", "1;36", msg);
        }
    }

    /// Detail: shown with `--verbose`.
    pub(crate) fn info(&self, msg: &str) {
        if self.verbose {
            self.stderr_line("info", "1;34", msg);
        }
    }
}
