//! Integration tests of SBOM writing and reading: schema validity on every real lockfile,
//! snapshots, round trips (real and random), SBOMs made by other tools, and robustness.
#![allow(clippy::unwrap_used)] // helpers outside `#[test]` functions unwrap fixture IO too
#![allow(clippy::print_stderr)] // the real-lockfile tests log what they validated
mod common;
mod other_tools;
mod real;
mod round_trip;
mod snapshots;
