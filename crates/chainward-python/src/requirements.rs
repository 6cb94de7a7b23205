//! TODO(helper): implement.
use chainward_types::{Lockfile, ParseError};

/// Reads an included file (`-r other.txt`, `-c constraints.txt`): given the path as written
/// in the including file, returns `(display path, text)` or an error message.
pub type ReadInclude<'a> = dyn FnMut(&str) -> Result<(String, String), String> + 'a;

/// Parses the file's text. `path` is recorded in locations; includes are read through
/// `read_include`.
pub fn parse(_input: &str, _path: &str, _read_include: &mut ReadInclude<'_>) -> Result<Lockfile, ParseError> {
    Err(ParseError::whole_file("not implemented yet"))
}
