//! Parsers for Python: `requirements.txt` (with `-r`/`-c` includes), `poetry.lock` 1.x and
//! 2.x, `uv.lock`, `Pipfile.lock`, and installed `site-packages` (`*.dist-info` + `RECORD`).
//!
//! Parsers are pure; includes are read through a caller-supplied function, and
//! [`site_packages::scan`] reads an installed tree itself.
//!
//! Invariants: names are PEP 503 normalised; no parser panics on any input; errors name the
//! line.
#![warn(missing_docs)]

pub mod pipfile_lock;
pub mod poetry_lock;
pub mod requirements;
pub mod site_packages;
pub mod uv_lock;

mod common;
mod toml_tree;
