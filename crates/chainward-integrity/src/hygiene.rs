//! Lockfile hygiene: origins, hosts, URL names, integrity strength, pinned git.

use crate::{Options, Outcome, SourceRef};

/// Checks every package of a lockfile.
pub(crate) fn check(_source: &SourceRef<'_>, _options: &Options, _out: &mut Outcome) {}
