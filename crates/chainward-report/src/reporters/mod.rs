//! One renderer per output format.

mod json;
mod markdown;
mod sarif;
mod table;

pub use json::Json;
pub use markdown::Markdown;
pub use sarif::Sarif;
pub use table::Table;
