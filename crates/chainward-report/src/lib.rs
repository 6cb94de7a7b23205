//! Reports and their renderers. A report is plain serde data in a deterministic order with a
//! `schema_version`; a [`Reporter`] turns one into bytes. Reporters never decide anything
//! (exit codes, policy): they only render.
//!
//! The JSON of each report is a public contract (see `shared/docs/CLI.md`): fields are added,
//! never renamed or removed, and a breaking change bumps [`SCHEMA_VERSION`].
#![warn(missing_docs)]

use std::io::{self, Write};

use chainward_types::{Inventory, Package, Source};
use serde::Serialize;

pub mod reporters;

/// The version of every JSON document chainward writes.
pub const SCHEMA_VERSION: u32 = 1;

/// The result of `chainward inventory`.
#[derive(Debug, Clone, Serialize)]
pub struct InventoryReport<'a> {
    /// Always [`SCHEMA_VERSION`].
    pub schema_version: u32,
    /// Every input and what happened to it.
    pub sources: &'a [Source],
    /// Every package found.
    pub packages: &'a [Package],
}

impl<'a> InventoryReport<'a> {
    /// The report of an inventory.
    pub fn new(inventory: &'a Inventory) -> Self {
        Self {
            schema_version: SCHEMA_VERSION,
            sources: &inventory.sources,
            packages: &inventory.packages,
        }
    }
}

/// Renders a report of type `R`.
pub trait Reporter<R> {
    /// Writes the rendered report.
    fn render(&self, report: &R, w: &mut dyn Write) -> io::Result<()>;
}
