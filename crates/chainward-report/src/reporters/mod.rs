//! One renderer per output format.

mod json;
mod table;

pub use json::Json;
pub use table::Table;
