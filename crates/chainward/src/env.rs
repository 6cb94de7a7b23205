//! Every environment variable chainward reads, in one place.

/// Data directory (also `--home`).
#[allow(dead_code)] // read through clap's `env`
pub(crate) const CHAINWARD_HOME: &str = "CHAINWARD_HOME";

/// When set, the process writes its peak resident memory (`VmHWM`, in KiB) to stderr as
/// `chainward-peak-rss-kib: N` before exiting. Used by the benchmarks.
pub(crate) const CHAINWARD_REPORT_PEAK_RSS: &str = "CHAINWARD_REPORT_PEAK_RSS";

/// Seconds since the epoch to stamp SBOMs with, for reproducible output
/// (<https://reproducible-builds.org/specs/source-date-epoch/>).
pub(crate) const SOURCE_DATE_EPOCH: &str = "SOURCE_DATE_EPOCH";

/// npm's cache folder (npm's own variable; `_cacache` is inside it).
pub(crate) const NPM_CONFIG_CACHE: &str = "npm_config_cache";

/// Cargo's home (Cargo's own variable; `registry/` is inside it).
pub(crate) const CARGO_HOME: &str = "CARGO_HOME";

/// yarn berry's global folder (yarn's own variable; its `cache/` holds the global cache).
pub(crate) const YARN_GLOBAL_FOLDER: &str = "YARN_GLOBAL_FOLDER";

/// The history database URL (also `--database-url`): `sqlite://PATH` or `postgres://...`.
#[allow(dead_code)] // read through clap's `env`
pub(crate) const CHAINWARD_DATABASE_URL: &str = "CHAINWARD_DATABASE_URL";

/// The machine's name, where `/proc/sys/kernel/hostname` and `/etc/hostname` do not say it
/// (`record` stores it with the snapshot).
pub(crate) const HOSTNAME: &str = "HOSTNAME";

/// The machine's name on Windows.
pub(crate) const COMPUTERNAME: &str = "COMPUTERNAME";
