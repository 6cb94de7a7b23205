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

impl Json {
    /// Renders an inventory exactly as the generic rendering does, serialising the packages
    /// on every core in batches (an inventory's JSON is mostly its packages).
    pub fn render_inventory(
        &self,
        report: &crate::InventoryReport<'_>,
        w: &mut dyn Write,
    ) -> io::Result<()> {
        use rayon::prelude::*;

        #[derive(Serialize)]
        struct Head<'a> {
            schema_version: u32,
            sources: &'a [chainward_types::Source],
        }
        let mut head = Vec::with_capacity(CHUNK);
        let mut ser = serde_json::Serializer::with_formatter(&mut head, Pretty::default());
        Head {
            schema_version: report.schema_version,
            sources: report.sources,
        }
        .serialize(&mut ser)?;
        // `{ ...head... \n}`: reopen the object to add the packages.
        head.truncate(head.len().saturating_sub(2));
        if report.packages.is_empty() {
            head.extend_from_slice(b",\n  \"packages\": []\n}\n");
            return w.write_all(&head);
        }
        head.extend_from_slice(b",\n  \"packages\": [");
        w.write_all(&head)?;
        const BATCH: usize = 2048;
        const PIECE: usize = 128;
        for (b, batch) in report.packages.chunks(BATCH).enumerate() {
            let pieces: Vec<io::Result<Vec<u8>>> = batch
                .par_chunks(PIECE)
                .enumerate()
                .map(|(c, piece)| {
                    let mut out = Vec::with_capacity(piece.len() * 1024);
                    for (i, p) in piece.iter().enumerate() {
                        if b + c + i > 0 {
                            out.push(b',');
                        }
                        newline_indent(&mut out, 2)?;
                        let mut ser = serde_json::Serializer::with_formatter(
                            &mut out,
                            Pretty {
                                level: 2,
                                has_value: false,
                            },
                        );
                        p.serialize(&mut ser)?;
                    }
                    Ok(out)
                })
                .collect();
            for piece in pieces {
                w.write_all(&piece?)?;
            }
        }
        w.write_all(b"\n  ]\n}\n")
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
    fn parallel_inventory_rendering_matches_the_generic_one() {
        use chainward_types::{Ecosystem, Location, Origin, Package, Source, SourceStatus};
        let sources = [Source::not_read(
            "a/b.lock",
            "yarn",
            SourceStatus::Failed,
            "line 3: bad",
        )];
        for n in [0usize, 1, 127, 128, 129, 2048, 2049, 5000] {
            let packages: Vec<Package> = (0..n)
                .map(|i| {
                    let mut p = Package::new(
                        Ecosystem::Npm,
                        &format!("p{i}"),
                        "1.0.0",
                        Origin::registry(),
                    );
                    p.locations.push(Location::new("x", Some(1)));
                    p.dependencies = vec![format!("pkg:npm/d{i}@1.0.0")];
                    p
                })
                .collect();
            for sources in [&sources[..], &[]] {
                let report = crate::InventoryReport {
                    schema_version: 1,
                    sources,
                    packages: &packages,
                };
                let mut generic = Vec::new();
                Json.render(&report, &mut generic).unwrap();
                let mut parallel = Vec::new();
                Json.render_inventory(&report, &mut parallel).unwrap();
                assert_eq!(
                    String::from_utf8(parallel).unwrap(),
                    String::from_utf8(generic).unwrap(),
                    "{n} packages"
                );
            }
        }
    }

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
