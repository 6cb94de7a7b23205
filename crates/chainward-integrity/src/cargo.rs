//! Cargo: registry cache and src against Cargo.lock, vendor folders against checksums.

use crate::{Options, Outcome, SourceRef};

/// Verifies a Cargo.lock project.
pub(crate) fn verify(_source: &SourceRef<'_>, _options: &Options, _out: &mut Outcome) {}

/// Verifies a vendor folder found on its own.
pub(crate) fn verify_vendor(
    _source: &SourceRef<'_>,
    _all: &[SourceRef<'_>],
    _options: &Options,
    _out: &mut Outcome,
) {
}
