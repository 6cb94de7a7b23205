//! Integration tests of the npm-family parsers: conformance suites, real files, properties.
mod bun;
mod node_modules;
mod package_lock;
mod pnpm;
mod yarn;
