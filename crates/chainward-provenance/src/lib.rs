//! Signatures and provenance: Sigstore bundles, npm registry signatures and npm provenance
//! attestations, verified cryptographically.
//!
//! - [`bundle`]: the [`BundleVerifier`] trait and its Sigstore implementation (over the
//!   `sigstore-verify` crate, pinned): certificate chain to a Fulcio CA of the trusted root,
//!   SCTs, Rekor inclusion proofs, checkpoints and SETs, RFC 3161 timestamps, DSSE and message
//!   signatures, public-key bundles, and an identity policy (issuer; SAN exact or regex).
//! - [`registry_keys`]: npm registry signing keys (the `/-/npm/v1/keys` and the TUF
//!   `keys.json` formats) and the ECDSA P-256 signature over `name@version:integrity`.
//! - [`npm`]: npm attestations (`/-/npm/v1/attestations/NAME@VERSION`): the SLSA provenance
//!   (v0.2 and v1) and npm publish bundles, their in-toto subject against the package's purl
//!   and integrity, and the [`chainward_types::BuildIdentity`] that built it.
//! - [`trust`]: the embedded trust material snapshot (Sigstore trusted root, npm keys).
//! - [`registry`]: packuments, attestations and keys from an npm registry, cached on disk with
//!   ETag revalidation, fetched concurrently.
//! - [`tuf`]: a TUF client (root rotation, timestamp, snapshot, targets, delegations) that
//!   updates the trusted root and npm keys from the Sigstore TUF repository, starting from the
//!   embedded TUF root.
//!
//! Invariants: nothing here reports a pass that was not a cryptographic verification; a check
//! that could not run says so (never "verified", never "unsigned"). No network access happens
//! outside [`registry`] and [`tuf`].
//!
//! Non-goals: signing; PEP 740 and crates.io provenance (later).
#![warn(missing_docs)]

pub mod bundle;
pub mod npm;
pub mod registry;
pub mod registry_keys;
pub mod trust;
pub mod tuf;

pub use bundle::{
    ArtifactInput, BundleVerifier, IdentityRule, Policy, SigstoreVerifier, Verified, VerifyError,
};
