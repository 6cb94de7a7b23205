//! Python: installed files against RECORD, downloaded dists against lockfile hashes.

use crate::{Options, Outcome, SourceRef};

/// Verifies a site-packages folder.
pub(crate) fn verify_site_packages(
    _source: &SourceRef<'_>,
    _options: &Options,
    _out: &mut Outcome,
) {
}

/// Verifies wheels and sdists in the configured folders against a lockfile.
pub(crate) fn verify_dists(_source: &SourceRef<'_>, _options: &Options, _out: &mut Outcome) {}
