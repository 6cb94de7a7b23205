use std::fmt;

/// A lockfile or manifest that could not be read as its format.
///
/// Carries the 1-based line (and column where known) of the offending input, so the user is
/// told exactly where to look. The file path is attached by the caller that read the file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ParseError {
    /// 1-based line of the problem, when known.
    pub line: Option<u32>,
    /// 1-based column of the problem, when known.
    pub column: Option<u32>,
    /// What is wrong, naming the offending input.
    pub message: String,
}

impl ParseError {
    /// An error at a known line.
    pub fn at_line(line: u32, message: impl Into<String>) -> Self {
        Self {
            line: Some(line),
            column: None,
            message: message.into(),
        }
    }

    /// An error at a known line and column.
    pub fn at(line: u32, column: u32, message: impl Into<String>) -> Self {
        Self {
            line: Some(line),
            column: Some(column),
            message: message.into(),
        }
    }

    /// An error about the file as a whole.
    pub fn whole_file(message: impl Into<String>) -> Self {
        Self {
            line: None,
            column: None,
            message: message.into(),
        }
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, self.column) {
            (Some(l), Some(c)) => write!(f, "line {l}, column {c}: {}", self.message),
            (Some(l), None) => write!(f, "line {l}: {}", self.message),
            _ => f.write_str(&self.message),
        }
    }
}
