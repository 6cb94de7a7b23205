use std::io::{self, Write};

use serde::Serialize;
use serde_json::ser::Formatter;

use crate::Reporter;

/// Pretty-printed JSON, the public contract, ending with a newline.
#[derive(Debug, Clone, Copy, Default)]
pub struct Json;

impl<R: Serialize> Reporter<R> for Json {
    fn render(&self, report: &R, w: &mut dyn Write) -> io::Result<()> {
        // Serialising straight into a `dyn Write` costs a virtual call per token (a third of
        // the run time of a large inventory), and one buffer of the whole document costs a
        // page fault per 4 KiB of it: serialise into a fixed chunk, handed on when full.
        let mut chunked = Chunked {
            buf: Vec::with_capacity(CHUNK),
            out: w,
        };
        let mut ser = serde_json::Serializer::with_formatter(&mut chunked, Pretty::default());
        report.serialize(&mut ser)?;
        chunked.buf.push(b'\n');
        chunked.flush()
    }
}

const CHUNK: usize = 128 * 1024;

/// A concrete writer (so serde's many small writes inline into a `Vec` push) that passes
/// full chunks on to the real output.
struct Chunked<'w> {
    buf: Vec<u8>,
    out: &'w mut dyn Write,
}

impl Write for Chunked<'_> {
    #[inline]
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.write_all(data)?;
        Ok(data.len())
    }

    #[inline]
    fn write_all(&mut self, data: &[u8]) -> io::Result<()> {
        if self.buf.len() + data.len() > CHUNK {
            self.out.write_all(&self.buf)?;
            self.buf.clear();
            if data.len() > CHUNK {
                return self.out.write_all(data);
            }
        }
        self.buf.extend_from_slice(data);
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.write_all(&self.buf)?;
        self.buf.clear();
        self.out.flush()
    }
}

/// The same output as `serde_json`'s `PrettyFormatter` (two-space indent), but each newline
/// and its indentation is one write instead of one per level: a large inventory has a
/// hundred thousand lines, several levels deep.
#[derive(Debug, Default)]
struct Pretty {
    level: usize,
    has_value: bool,
}

/// A newline followed by enough spaces for any nesting we produce; deeper levels fall back
/// to writing in pieces.
const NEWLINE_INDENT: &[u8] = b"\n                                                                ";

fn newline_indent<W: ?Sized + Write>(w: &mut W, level: usize) -> io::Result<()> {
    let n = level * 2 + 1;
    if n <= NEWLINE_INDENT.len() {
        w.write_all(&NEWLINE_INDENT[..n])
    } else {
        w.write_all(b"\n")?;
        for _ in 0..level {
            w.write_all(b"  ")?;
        }
        Ok(())
    }
}

impl Formatter for Pretty {
    fn begin_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.level += 1;
        self.has_value = false;
        w.write_all(b"[")
    }

    fn end_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.level -= 1;
        if self.has_value {
            newline_indent(w, self.level)?;
        }
        w.write_all(b"]")
    }

    fn begin_array_value<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        if !first {
            w.write_all(b",")?;
        }
        newline_indent(w, self.level)
    }

    fn end_array_value<W: ?Sized + Write>(&mut self, _w: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }

    fn begin_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.level += 1;
        self.has_value = false;
        w.write_all(b"{")
    }

    fn end_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.level -= 1;
        if self.has_value {
            newline_indent(w, self.level)?;
        }
        w.write_all(b"}")
    }

    fn begin_object_key<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        if !first {
            w.write_all(b",")?;
        }
        newline_indent(w, self.level)
    }

    fn begin_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        w.write_all(b": ")
    }

    fn end_object_value<W: ?Sized + Write>(&mut self, _w: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_serde_json_pretty_output() {
        // Deeper than the one-write indentation covers, to test the fallback too.
        let mut deep = serde_json::json!("deep");
        for _ in 0..40 {
            deep = serde_json::json!([deep, {"k": []}]);
        }
        let value = serde_json::json!({
            "a": [1, {"b": [], "c": {}, "d": [[1, 2], {"e": "x\"y\n"}]}],
            "deep": deep,
            "s": "caf\u{e9}",
            "n": null, "t": true, "f": 1.5
        });
        let mut ours = Vec::new();
        Json.render(&value, &mut ours).unwrap();
        let mut theirs = serde_json::to_vec_pretty(&value).unwrap();
        theirs.push(b'\n');
        assert_eq!(
            String::from_utf8(ours).unwrap(),
            String::from_utf8(theirs).unwrap()
        );
    }
}
