//! TODO(helper): implement.
use chainward_types::{Lockfile, ParseError};

/// Parses the file's text. `path` is recorded in locations.
pub fn parse(_input: &str, _path: &str) -> Result<Lockfile, ParseError> {
    Err(ParseError::whole_file("not implemented yet"))
}
