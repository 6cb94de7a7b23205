//! Integration tests of the Python parsers.
#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions
mod pipfile_lock;
mod poetry_lock;
mod requirements;
mod site_packages;
mod support;
mod uv_lock;
