//! Parsers for Cargo: `Cargo.lock` v1 to v4 and `vendor/` folders made by `cargo vendor`.
//!
//! [`cargo_lock::parse`] is pure (text in, [`chainward_types::Lockfile`] out);
//! [`vendor::scan`] reads a vendor folder's `Cargo.toml` and `.cargo-checksum.json` files.
//!
//! Invariants: no parser panics on any input; errors name the line.
#![warn(missing_docs)]

pub mod cargo_lock;
pub mod vendor;
