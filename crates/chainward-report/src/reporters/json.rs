use std::io::{self, Write};

use serde::Serialize;

use crate::Reporter;

/// Pretty-printed JSON, the public contract, ending with a newline.
#[derive(Debug, Clone, Copy, Default)]
pub struct Json;

impl<R: Serialize> Reporter<R> for Json {
    fn render(&self, report: &R, w: &mut dyn Write) -> io::Result<()> {
        serde_json::to_writer_pretty(&mut *w, report)?;
        w.write_all(b"\n")
    }
}
