//! Integration tests: real trees built from small real archives, clean and tampered.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]
mod cargo;
mod hygiene;
mod npm;
mod pnpm;
mod python;
mod yarn;
