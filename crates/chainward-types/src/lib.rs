//! chainward's domain model, shared by every other crate.
//!
//! Purpose: one vocabulary for what a project depends on — [`Ecosystem`], [`Package`],
//! [`Origin`], [`Hash`](struct@Hash), [`Scope`], [`Location`] — plus the [`Lockfile`] that every parser
//! returns and the [`ParseError`] it fails with.
//!
//! Invariants:
//! - Package names are normalised at construction ([`normalize_name`]: PEP 503 for PyPI,
//!   unchanged for npm and crates.io), so equal packages compare equal.
//! - Hashes are lowercase hex with the algorithm named; SRI and other encodings are decoded
//!   by [`Hash::from_sri`] and friends before they reach the model.
//! - Purls follow the purl specification's encoding ([`purl`]).
//!
//! Non-goals: no IO, no async, no parsing of any third-party format.
#![warn(missing_docs)]

mod error;
mod finding;
mod hash;
mod inventory;
mod line_index;
mod model;
pub mod provenance;
pub mod purl;
mod time;

pub use error::ParseError;
pub use finding::{AdvisoryRef, Evidence, Finding, FindingCode, PackageRef, Severity};
pub use hash::{Hash, HashAlgorithm};
pub use inventory::{Inventory, InventoryBuilder, Source, SourceStatus};
pub use line_index::LineIndex;
pub use model::{Ecosystem, Edge, Location, Lockfile, Origin, Package, Scope, normalize_name};
pub use provenance::{BuildIdentity, IdentityField};
pub use time::{Timestamp, TimestampError};
