//! Integration tests of the npm-family parsers: conformance suites, real files, properties.
#![allow(clippy::unwrap_used)]
mod bun;
mod node_modules;
mod package_lock;
mod pnpm;
mod yarn;
