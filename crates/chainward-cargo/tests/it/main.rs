//! Integration tests of the Cargo parsers.
#![allow(clippy::unwrap_used)] // helpers outside `#[test]` functions unwrap fixture IO too
mod cargo_lock;
mod vendor;
