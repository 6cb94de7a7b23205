//! Parsers for Cargo: `Cargo.lock` v1 to v4 and `vendor/` folders made by `cargo vendor`.
//!
//! [`cargo_lock::parse`] is pure (text in, [`chainward_types::Lockfile`] out);
//! [`cargo_lock::parse_lock`] also returns the lock version and the `[patch.unused]` entries.
//! [`vendor::scan`] reads a vendor folder's `Cargo.toml` and `.cargo-checksum.json` files.
//!
//! Invariants: no parser panics on any input; errors name the line; work is linear in the
//! input (no lookup scans all packages of a name). Each module's docs list how the format
//! maps onto the model and why.
//!
//! Non-goals: reading `Cargo.toml` manifests to tell workspace members from path
//! dependencies, or dev from normal dependencies (Cargo.lock does not record either); that
//! is the walker's job.
#![warn(missing_docs)]

pub mod cargo_lock;
pub mod vendor;
