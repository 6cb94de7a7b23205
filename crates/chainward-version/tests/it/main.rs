//! Integration tests of chainward-version: conformance data, range-expression vectors and
//! property tests.

mod conformance;
mod properties;
mod req;
