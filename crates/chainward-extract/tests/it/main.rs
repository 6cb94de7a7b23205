//! Integration tests of extraction: the real lockfiles, and walking real folder layouts.
#![allow(clippy::unwrap_used, clippy::disallowed_methods)]
mod real_lockfiles;
mod walk;
