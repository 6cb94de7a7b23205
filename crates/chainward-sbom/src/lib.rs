//! SBOMs in and out: CycloneDX (1.5, 1.6, 1.7) and SPDX 2.3 JSON written from an
//! [`Inventory`]; CycloneDX (1.4 to 1.7) and SPDX (2.2, 2.3) JSON read back as a
//! [`Lockfile`](chainward_types::Lockfile), so SBOMs made by other tools can be scanned.
//!
//! Invariants:
//! - **Deterministic.** The same inventory and [`Metadata`] give byte-identical output: the
//!   timestamp is passed in (no clock reads here), the serial number / document namespace is a
//!   UUID v5-style hash of the content, and every list follows the inventory's sorted order.
//! - **Valid.** The output validates against the official JSON schema of its version (the
//!   tests validate every real lockfile of the test corpus in every format).
//! - **Faithful.** Every hash the inventory records is written. A hash with an
//!   [`artifact`](chainward_types::Hash::artifact) is a hash of some other file (one wheel of
//!   several, yarn's cache zip), so it is never written as the component's own hash: PyPI
//!   file hashes become `distribution` external references (CycloneDX) whose URL names the
//!   file; anything else a `chainward:hash` property (CycloneDX) or annotation (SPDX).
//! - **Round trip.** [`write()`] then [`parse()`] gives the same packages (ecosystem, name,
//!   version, purl, origin, hashes, scopes) and the same edges. What the standard fields
//!   cannot say exactly travels in `chainward:*` properties (CycloneDX) or annotations (SPDX),
//!   listed below.
//! - **Nothing dropped silently on the way in.** A component with no purl, or a purl of an
//!   ecosystem chainward does not cover, becomes a [`Lockfile::warnings`] entry naming it.
//!
//! ## Beyond the standard fields
//!
//! chainward's own facts travel as CycloneDX component `properties` and as SPDX package
//! `annotations` (type `OTHER`, annotator `Tool: chainward-<version>`, comment
//! `<name> <value>`), with the same names and values:
//!
//! | name | value | when |
//! | --- | --- | --- |
//! | `chainward:origin` | the origin as chainward's JSON (`{"kind":"git",...}`) | every origin but a registry whose URL the standard fields carry exactly (SPDX also leaves out the public registry's index URL, which is no download location) |
//! | `chainward:scope` | `dev`, `optional` or `peer`, one each | every scope the package has |
//! | `chainward:group` | a Poetry / uv dependency group | every group |
//! | `chainward:constraint` | the requirement as written | unpinned packages |
//! | `chainward:hash` | `<algorithm>:<hex>` then, after one space, the artifact | hashes the standard field cannot hold: those of another file (yarn's cache zip; in SPDX also wheel files), and SHA-224 in CycloneDX |
//!
//! CycloneDX also gets the `cdx:npm:package:path` property of the CycloneDX property taxonomy
//! for every npm install path (`node_modules/a/node_modules/b`), as cyclonedx-npm writes it,
//! and `cdx:npm:package:bundled` for bundled packages (an SPDX annotation too).
//!
//! Reading other tools' SBOMs, the CycloneDX `scope` (`excluded` is dev, `optional` optional),
//! `cdx:npm:package:development`, SPDX `DEV_DEPENDENCY_OF` / `TEST_DEPENDENCY_OF` (dev),
//! `OPTIONAL_DEPENDENCY_OF` and `PROVIDED_DEPENDENCY_OF` (peer) give the scopes when no
//! `chainward:scope` does; the purl's `vcs_url` / `download_url` / `repository_url` qualifiers,
//! the first `distribution` reference and the SPDX download location give the origin when no
//! `chainward:origin` does. Hashes on a `distribution` reference are the package archive's for
//! npm and Cargo, and the named file's (an artifact) for PyPI. Hash algorithms chainward does
//! not model (SHA-3, BLAKE3) are skipped.
//!
//! Non-goals: licences (written as `NOASSERTION` in SPDX, absent in CycloneDX), XML, SPDX
//! tag-value, SPDX 3.
//!
//! [`Lockfile::warnings`]: chainward_types::Lockfile::warnings
#![warn(missing_docs)]

use std::io::{self, Write};

use chainward_types::Inventory;

mod cyclonedx;
mod ext;
mod format;
mod graph;
mod ident;
mod metadata;
mod purl;
mod read;
mod spdx;
mod time;

pub use format::{CdxSpec, FormatError, SbomFormat};
pub use metadata::{Metadata, RootComponent, parse_source_date_epoch, read_root_component};
pub use read::parse;

/// Writes `inventory` as an SBOM in `format`, followed by a newline.
///
/// The output depends only on the arguments: the same inventory and metadata give the same
/// bytes.
pub fn write(
    inventory: &Inventory,
    format: SbomFormat,
    metadata: &Metadata,
    w: &mut dyn Write,
) -> io::Result<()> {
    match format {
        SbomFormat::CycloneDx { spec } => cyclonedx::write(inventory, spec, metadata, w),
        SbomFormat::SpdxJson23 => spdx::write(inventory, metadata, w),
    }
}
