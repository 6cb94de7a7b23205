//! Finds every lockfile and installed tree under a path, reads each with the right parser,
//! and merges the results into one [`Inventory`].
//!
//! Invariants (the fail-closed rule):
//! - every file that looks like a lockfile becomes a [`chainward_types::Source`]: read, failed
//!   (with the parser's line), skipped (with the reason), or unsupported (with what it is);
//!   nothing recognised is dropped silently;
//! - parsers never see the filesystem except the installed-tree scanners and the
//!   `requirements.txt` include reader, which are given paths by this crate.
//!
//! Non-goals: deciding exit codes (the binary does, from [`Inventory::is_incomplete`]).
#![warn(missing_docs)]

mod format;
mod walk;

pub use format::{Detection, Format, detect};
pub use walk::{
    ExtractError, Options, ReadSource, extract, extract_file, inventory_of, read_sources,
};

pub use chainward_types::Inventory;
