//! Identifiers inside a document: unique bom-refs and SPDX IDs, and the content-derived UUID
//! used for the CycloneDX serial number and the SPDX document namespace.

use std::collections::HashSet;
use std::io;

use chainward_types::{Inventory, Origin, Package};
use serde::Serialize;
use sha1::{Digest, Sha1};

use crate::metadata::Metadata;

/// Hands out identifiers, each used once.
#[derive(Debug, Default)]
pub(crate) struct IdAllocator {
    used: HashSet<String>,
}

impl IdAllocator {
    /// The first candidate not used yet; if all are, the last one with `|2`, `|3`, ...
    pub(crate) fn allocate(&mut self, candidates: &[String]) -> String {
        for c in candidates {
            if !c.is_empty() && !self.used.contains(c) {
                self.used.insert(c.clone());
                return c.clone();
            }
        }
        let base = candidates.last().map_or("ref", String::as_str);
        self.numbered(base, "|")
    }

    /// `base` if unused, else `base{sep}2`, `base{sep}3`, ...
    pub(crate) fn numbered(&mut self, base: &str, sep: &str) -> String {
        if !self.used.contains(base) {
            self.used.insert(base.to_owned());
            return base.to_owned();
        }
        let mut n = 2u64;
        loop {
            let c = format!("{base}{sep}{n}");
            if !self.used.contains(&c) {
                self.used.insert(c.clone());
                return c;
            }
            n += 1;
        }
    }
}

/// Bom-ref candidates for a package: its purl, then the purl with what sets it apart (the
/// path of a path or workspace origin), then a name@version form.
pub(crate) fn bom_ref_candidates(p: &Package) -> Vec<String> {
    let base = if p.purl.is_empty() {
        format!("{}:{}@{}", p.ecosystem.purl_type(), p.name, p.version)
    } else {
        p.purl.clone()
    };
    let mut out = vec![base.clone()];
    match &p.origin {
        Origin::Path { path } | Origin::Workspace { path } => {
            out.push(format!("{base}|{}:{path}", p.origin.kind()))
        }
        Origin::Registry { url: Some(url) } | Origin::Url { url } => {
            out.push(format!("{base}|{url}"))
        }
        Origin::Git { url, .. } => out.push(format!("{base}|{url}")),
        Origin::Registry { url: None } => {}
    }
    out
}

/// An SPDX ID (`SPDXRef-` followed by letters, digits, `.` and `-`) built from the non-empty
/// `parts`: other characters become `-`, and runs of `-` one.
pub(crate) fn spdx_id(parts: &[&str]) -> String {
    let mut out = String::from("SPDXRef");
    for part in parts {
        let mut clean = String::with_capacity(part.len());
        for c in part.chars() {
            let c = if c.is_ascii_alphanumeric() || c == '.' {
                c
            } else {
                '-'
            };
            if !(c == '-' && (clean.is_empty() || clean.ends_with('-'))) {
                clean.push(c);
            }
        }
        let clean = clean.trim_end_matches('-');
        if !clean.is_empty() {
            out.push('-');
            out.push_str(clean);
        }
    }
    out
}

/// The namespace of chainward's document UUIDs (a fixed random UUID).
const NAMESPACE: [u8; 16] = [
    0x6b, 0x1e, 0x4c, 0x0a, 0x93, 0x52, 0x4f, 0x1d, 0x8e, 0x27, 0x3a, 0x5d, 0x0c, 0x41, 0x9b, 0x77,
];

/// A UUID (version 5 layout: SHA-1 of a namespace and a name) of everything that goes into
/// the document: the format, the metadata and every package.
pub(crate) fn content_uuid(format: &str, inventory: &Inventory, metadata: &Metadata) -> String {
    #[derive(Serialize)]
    struct Seed<'a> {
        format: &'a str,
        metadata: &'a Metadata,
        packages: &'a [Package],
    }
    let mut hasher = HashWriter(Sha1::new());
    hasher.0.update(NAMESPACE);
    let seed = Seed {
        format,
        metadata,
        packages: &inventory.packages,
    };
    // Serialising plain data into a hasher cannot fail; an error would only change the UUID.
    let _ = serde_json::to_writer(&mut hasher, &seed);
    let digest = hasher.0.finalize();
    let mut b = [0u8; 16];
    b.copy_from_slice(&digest[..16]);
    b[6] = (b[6] & 0x0f) | 0x50;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = |r: std::ops::Range<usize>| b[r].iter().map(|x| format!("{x:02x}")).collect::<String>();
    format!(
        "{}-{}-{}-{}-{}",
        h(0..4),
        h(4..6),
        h(6..8),
        h(8..10),
        h(10..16)
    )
}

struct HashWriter(Sha1);

impl io::Write for HashWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.update(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allocates_unique_ids() {
        let mut a = IdAllocator::default();
        assert_eq!(a.allocate(&["x".into(), "y".into()]), "x");
        assert_eq!(a.allocate(&["x".into(), "y".into()]), "y");
        assert_eq!(a.allocate(&["x".into(), "y".into()]), "y|2");
        assert_eq!(a.numbered("z", "-"), "z");
        assert_eq!(a.numbered("z", "-"), "z-2");
    }

    #[test]
    fn spdx_ids_use_only_allowed_characters() {
        assert_eq!(
            spdx_id(&["Package", "npm", "@scope/name", "1.0.0+b"]),
            "SPDXRef-Package-npm-scope-name-1.0.0-b"
        );
        assert_eq!(
            spdx_id(&["Package", "pypi", "a--b", ""]),
            "SPDXRef-Package-pypi-a-b"
        );
        assert_eq!(
            spdx_id(&["Package", "npm", "@", "é"]),
            "SPDXRef-Package-npm"
        );
    }

    #[test]
    fn uuid_has_version_5_layout_and_depends_on_content() {
        let m = Metadata::new("0.1.0", 0);
        let a = content_uuid("x", &Inventory::default(), &m);
        assert_eq!(a.len(), 36);
        assert_eq!(&a[14..15], "5");
        assert!(matches!(&a[19..20], "8" | "9" | "a" | "b"));
        assert_eq!(a, content_uuid("x", &Inventory::default(), &m));
        assert_ne!(a, content_uuid("y", &Inventory::default(), &m));
    }
}
