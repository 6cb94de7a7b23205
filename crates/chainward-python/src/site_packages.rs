//! TODO(helper): implement.
use std::path::Path;

use chainward_types::{Lockfile, ParseError};

/// Reads a `site-packages` folder (every `*.dist-info`). `display` is its path as shown to the user.
pub fn scan(_dir: &Path, _display: &str) -> Result<Lockfile, ParseError> {
    Err(ParseError::whole_file("not implemented yet"))
}
