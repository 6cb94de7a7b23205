//! Integration tests of chainward-version: conformance data, range-expression vectors and
//! property tests.
#![allow(clippy::unwrap_used)]

mod conformance;
mod properties;
mod req;
