use std::io::{self, Write};

use serde::Serialize;

use crate::Reporter;

mod pretty;

use pretty::newline_indent;

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
        pretty::write(&mut chunked, report, 0)?;
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
        let head_fields = Head {
            schema_version: report.schema_version,
            sources: report.sources,
        };
        pretty::write(&mut head, &head_fields, 0)?;
        // `{ ...head... \n}`: reopen the object to add the packages.
        head.truncate(head.len().saturating_sub(2));
        if report.packages.is_empty() {
            head.extend_from_slice(b",\n  \"packages\": []\n}\n");
            return w.write_all(&head);
        }
        head.extend_from_slice(b",\n  \"packages\": [");
        w.write_all(&head)?;
        const BATCH: usize = 512;
        const PIECE: usize = 128;
        let serialize = |b: usize, batch: &[chainward_types::Package]| {
            batch
                .par_chunks(PIECE)
                .enumerate()
                .map(|(c, piece)| {
                    let mut out = Vec::with_capacity(piece.len() * 1024);
                    for (i, p) in piece.iter().enumerate() {
                        if b + c + i > 0 {
                            out.push(b',');
                        }
                        newline_indent(&mut out, 2)?;
                        pretty::write(&mut out, p, 2)?;
                    }
                    Ok(out)
                })
                .collect::<Vec<io::Result<Vec<u8>>>>()
        };
        // Each batch is serialised on the pool while the one before is written here: into a
        // pipe, writing is mostly waiting for the reader.
        let mut batches = report.packages.chunks(BATCH).enumerate();
        let mut pending: Vec<io::Result<Vec<u8>>> = Vec::new();
        loop {
            let next = batches.next();
            let mut serialized = Vec::new();
            let mut written = Ok(());
            let (serialize, serialized_slot) = (&serialize, &mut serialized);
            rayon::in_place_scope(|s| {
                if let Some((b, batch)) = next {
                    s.spawn(move |_| *serialized_slot = serialize(b, batch));
                }
                written = pending.drain(..).try_for_each(|piece| w.write_all(&piece?));
            });
            written?;
            if next.is_none() {
                break;
            }
            pending = serialized;
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
