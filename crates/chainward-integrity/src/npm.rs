//! npm: cached tarballs against the lockfile, installed files against the tarballs.

use crate::{Options, Outcome, SourceRef};

/// Verifies a `package-lock.json` / `npm-shrinkwrap.json` project.
pub(crate) fn verify(_source: &SourceRef<'_>, _options: &Options, _out: &mut Outcome) {}

/// Verifies a `node_modules` folder found on its own.
pub(crate) fn verify_tree(
    _source: &SourceRef<'_>,
    _all: &[SourceRef<'_>],
    _options: &Options,
    _out: &mut Outcome,
) {
}
