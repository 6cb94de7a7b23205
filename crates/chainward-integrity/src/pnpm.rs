//! pnpm: the content-addressable store against node_modules/.pnpm.

use crate::{Options, Outcome, SourceRef};

/// Verifies a pnpm project.
pub(crate) fn verify(_source: &SourceRef<'_>, _options: &Options, _out: &mut Outcome) {}
