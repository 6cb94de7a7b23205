//! Integration tests of the Cargo parsers.
mod cargo_lock;
mod vendor;
