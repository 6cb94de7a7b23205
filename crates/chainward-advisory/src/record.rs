//! Turning the bytes of one record (OSV JSON, OSV YAML, RustSec Markdown) into what the
//! database stores: validated fields, lookup keys, severity, and the compressed record.

use std::collections::BTreeMap;
use std::fmt;
use std::io::Write as _;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest as _, Sha256};

use chainward_types::{Ecosystem, ParseError, normalize_name};

use crate::osv::{AffectedPackage, OsvVulnerability};
use crate::severity::{Assessment, assess_wire};
use crate::time::parse_rfc3339_micros;

/// Where an advisory comes from, derived from its id prefix.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    strum::IntoStaticStr,
)]
#[serde(rename_all = "lowercase")]
#[strum(serialize_all = "lowercase")]
pub enum AdvisorySource {
    /// `MAL-`: OpenSSF malicious packages.
    Mal,
    /// `GHSA-`: GitHub Security Advisories.
    Ghsa,
    /// `RUSTSEC-`: the RustSec advisory database.
    Rustsec,
    /// `PYSEC-`: the PyPA advisory database.
    Pysec,
    /// Any other OSV record (`CVE-`, `OSV-`, ...).
    Osv,
}

impl AdvisorySource {
    /// The source of an advisory id.
    pub fn from_id(id: &str) -> Self {
        if id.starts_with("MAL-") {
            Self::Mal
        } else if id.starts_with("GHSA-") {
            Self::Ghsa
        } else if id.starts_with("RUSTSEC-") {
            Self::Rustsec
        } else if id.starts_with("PYSEC-") {
            Self::Pysec
        } else {
            Self::Osv
        }
    }

    /// The lowercase name (`mal`, `ghsa`, `rustsec`, `pysec`, `osv`).
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// Parses [`AdvisorySource::as_str`] back.
    pub fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "mal" => Self::Mal,
            "ghsa" => Self::Ghsa,
            "rustsec" => Self::Rustsec,
            "pysec" => Self::Pysec,
            "osv" => Self::Osv,
            _ => return None,
        })
    }
}

impl fmt::Display for AdvisorySource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The lookup key of an OSV ecosystem string: one of chainward's ecosystems (a `:suffix`
/// is ignored), or `None` for any other ecosystem (stored, counted, never matched).
pub(crate) fn supported_ecosystem(osv: &str) -> Option<Ecosystem> {
    match osv.split(':').next().unwrap_or(osv).trim() {
        "npm" => Some(Ecosystem::Npm),
        "crates.io" => Some(Ecosystem::CratesIo),
        "PyPI" => Some(Ecosystem::PyPI),
        _ => None,
    }
}

/// One (ecosystem, package) row of a record.
#[derive(Debug, Clone)]
pub(crate) struct PackageRow {
    /// `npm`, `crates.io`, `PyPI`, or the record's own ecosystem string for others.
    pub(crate) ecosystem: String,
    /// Normalised for supported ecosystems; as written for others.
    pub(crate) name: String,
    /// Supported ecosystem and not withdrawn.
    pub(crate) matchable: bool,
    /// JSON array of [`AffectedPackage`].
    pub(crate) affected_json: String,
}

/// A validated record, ready to write.
#[derive(Debug, Clone)]
pub(crate) struct PreparedRecord {
    pub(crate) id: String,
    pub(crate) source: AdvisorySource,
    pub(crate) modified: String,
    pub(crate) modified_us: i64,
    pub(crate) published: Option<String>,
    pub(crate) withdrawn: Option<String>,
    pub(crate) summary: Option<String>,
    pub(crate) aliases: Vec<String>,
    pub(crate) assessment: Assessment,
    pub(crate) packages: Vec<PackageRow>,
    /// Deflate-compressed canonical JSON.
    pub(crate) compressed: Vec<u8>,
    pub(crate) sha256: [u8; 32],
}

impl PreparedRecord {
    /// True when any affected package is of `ecosystem` (by OSV ecosystem base name).
    pub(crate) fn has_ecosystem(&self, ecosystem: Ecosystem) -> bool {
        self.packages
            .iter()
            .any(|p| p.ecosystem == ecosystem.as_str())
    }
}

/// Parses one OSV JSON record. Syntax and type errors carry line and column.
pub(crate) fn from_json(bytes: &[u8]) -> Result<PreparedRecord, ParseError> {
    let value: Value = serde_json::from_slice(bytes).map_err(json_error)?;
    let typed = match OsvVulnerability::deserialize(&value) {
        Ok(t) => t,
        // Parse again from the bytes only to learn where the type error is.
        Err(e) => {
            return Err(match serde_json::from_slice::<OsvVulnerability>(bytes) {
                Err(located) => json_error(located),
                Ok(_) => ParseError::whole_file(e.to_string()),
            });
        }
    };
    prepare(typed, &value)
}

/// Parses one OSV JSON record from an already parsed value (an element of an array file).
pub(crate) fn from_value(value: &Value) -> Result<PreparedRecord, ParseError> {
    let typed =
        OsvVulnerability::deserialize(value).map_err(|e| ParseError::whole_file(e.to_string()))?;
    prepare(typed, value)
}

/// Parses one OSV record written as YAML (the pypa/advisory-database layout).
pub(crate) fn from_yaml(text: &str) -> Result<PreparedRecord, ParseError> {
    let typed: OsvVulnerability = serde_saphyr::from_str(text).map_err(|e| {
        let msg = first_line(&e.to_string());
        match e.location() {
            Some(l) => ParseError::at(clamp(l.line()), clamp(l.column()), msg),
            None => ParseError::whole_file(msg),
        }
    })?;
    let value = serde_json::to_value(&typed).map_err(|e| ParseError::whole_file(e.to_string()))?;
    prepare(typed, &value)
}

/// Converts one RustSec Markdown advisory.
pub(crate) fn from_rustsec(text: &str) -> Result<PreparedRecord, ParseError> {
    let value = crate::rustsec::to_osv(text)?;
    from_value(&value)
}

fn clamp(n: u64) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

fn first_line(s: &str) -> String {
    s.lines().next().unwrap_or(s).trim().to_owned()
}

fn json_error(e: serde_json::Error) -> ParseError {
    let msg = e.to_string();
    // serde_json appends " at line L column C"; the place is reported separately.
    let msg = msg
        .rsplit_once(" at line ")
        .map_or(msg.as_str(), |(m, _)| m)
        .to_owned();
    if e.line() == 0 {
        ParseError::whole_file(msg)
    } else {
        ParseError::at(clamp(e.line() as u64), clamp(e.column() as u64), msg)
    }
}

fn prepare(v: OsvVulnerability, value: &Value) -> Result<PreparedRecord, ParseError> {
    if !value.is_object() {
        return Err(ParseError::whole_file(
            "an OSV record must be a JSON object",
        ));
    }
    let id = v.id.trim().to_owned();
    if id.is_empty() || id.len() > 256 || id.chars().any(char::is_control) {
        return Err(ParseError::whole_file(format!(
            "`{id}` is not a valid OSV id"
        )));
    }
    let modified = v.modified.clone().ok_or_else(|| {
        ParseError::whole_file(format!("{id}: the required field `modified` is missing"))
    })?;
    let modified_us = parse_rfc3339_micros(&modified).ok_or_else(|| {
        ParseError::whole_file(format!(
            "{id}: `modified` is not an RFC 3339 timestamp: `{modified}`"
        ))
    })?;
    for (field, t) in [("published", &v.published), ("withdrawn", &v.withdrawn)] {
        if let Some(t) = t
            && parse_rfc3339_micros(t).is_none()
        {
            return Err(ParseError::whole_file(format!(
                "{id}: `{field}` is not an RFC 3339 timestamp: `{t}`"
            )));
        }
    }
    let withdrawn = v.withdrawn.is_some();

    // Group the affected entries by (ecosystem, normalised name).
    let mut groups: BTreeMap<(String, String), (bool, Vec<AffectedPackage>)> = BTreeMap::new();
    for a in v.affected() {
        let Some(pkg) = &a.package else { continue };
        let name = pkg.name.trim();
        if name.is_empty() {
            return Err(ParseError::whole_file(format!(
                "{id}: an affected package has an empty name"
            )));
        }
        let (eco, key, supported) = match supported_ecosystem(&pkg.ecosystem) {
            Some(e) => (e.as_str().to_owned(), normalize_name(e, name), true),
            None => (pkg.ecosystem.trim().to_owned(), name.to_owned(), false),
        };
        groups
            .entry((eco, key))
            .or_insert_with(|| (supported, Vec::new()))
            .1
            .push(AffectedPackage::from_wire(name, a));
    }
    let mut packages = Vec::with_capacity(groups.len());
    for ((ecosystem, name), (supported, affected)) in groups {
        let affected_json =
            serde_json::to_string(&affected).map_err(|e| ParseError::whole_file(e.to_string()))?;
        packages.push(PackageRow {
            ecosystem,
            name,
            matchable: supported && !withdrawn,
            affected_json,
        });
    }

    // Canonical bytes: serde_json's map is a BTreeMap, so keys come out sorted.
    let canonical = serde_json::to_vec(value).map_err(|e| ParseError::whole_file(e.to_string()))?;
    let sha256: [u8; 32] = Sha256::digest(&canonical).into();
    let compressed = deflate(&canonical);

    Ok(PreparedRecord {
        source: AdvisorySource::from_id(&id),
        assessment: assess_wire(&v),
        id,
        modified,
        modified_us,
        published: v.published.clone(),
        withdrawn: v.withdrawn.clone(),
        summary: v.summary.clone(),
        aliases: v.aliases().to_vec(),
        packages,
        compressed,
        sha256,
    })
}

/// Raw deflate at level 1. Measured on the shared data (23k records, 33 MB of canonical
/// JSON): stored 70 MB database, level 1 50 MB, level 3 43 MB for 40% more import CPU time.
/// Records decompress in microseconds.
/// One compressor per thread is reused: setting one up costs more than compressing a
/// typical 2 KB record.
pub(crate) fn deflate(bytes: &[u8]) -> Vec<u8> {
    use std::cell::RefCell;
    thread_local! {
        static COMPRESS: RefCell<flate2::Compress> =
            RefCell::new(flate2::Compress::new(flate2::Compression::new(1), false));
    }
    COMPRESS.with(|c| {
        let mut c = c.borrow_mut();
        c.reset();
        let mut out = Vec::with_capacity(bytes.len() / 2 + 64);
        loop {
            let consumed = usize::try_from(c.total_in()).unwrap_or(usize::MAX);
            let input = bytes.get(consumed..).unwrap_or_default();
            match c.compress_vec(input, &mut out, flate2::FlushCompress::Finish) {
                Ok(flate2::Status::StreamEnd) => return out,
                Ok(_) => out.reserve(out.capacity().max(64)),
                // Compressing into a Vec cannot fail; store uncompressed-as-deflate would be
                // wrong, so fall back to a fresh encoder.
                Err(_) => {
                    let mut enc =
                        flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::new(1));
                    let _ = enc.write_all(bytes);
                    return enc.finish().unwrap_or_default();
                }
            }
        }
    })
}

/// Inflates what [`deflate`] wrote, refusing more than `limit` bytes.
pub(crate) fn inflate(bytes: &[u8], limit: u64) -> std::io::Result<Vec<u8>> {
    use std::io::Read as _;
    let mut out = Vec::with_capacity(bytes.len() * 4);
    flate2::read::DeflateDecoder::new(bytes)
        .take(limit)
        .read_to_end(&mut out)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHALK: &str = r#"{
  "modified": "2025-09-12T01:13:34Z",
  "id": "MAL-2025-46969",
  "summary": "Malicious code in chalk (npm)",
  "affected": [{"package": {"ecosystem": "npm", "name": "chalk"}, "versions": ["5.6.1"]}]
}"#;

    #[test]
    fn prepares_a_json_record() {
        let r = from_json(CHALK.as_bytes()).unwrap();
        assert_eq!(r.id, "MAL-2025-46969");
        assert_eq!(r.source, AdvisorySource::Mal);
        assert_eq!(r.packages.len(), 1);
        assert_eq!(r.packages[0].ecosystem, "npm");
        assert!(r.packages[0].matchable);
        let back = inflate(&r.compressed, 1 << 20).unwrap();
        let v: Value = serde_json::from_slice(&back).unwrap();
        assert_eq!(v["affected"][0]["versions"][0], "5.6.1");
    }

    #[test]
    fn canonical_bytes_ignore_formatting_and_key_order() {
        let a = from_json(CHALK.as_bytes()).unwrap();
        let v: Value = serde_json::from_str(CHALK).unwrap();
        let b = from_json(serde_json::to_string(&v).unwrap().as_bytes()).unwrap();
        let reordered = r#"{"id":"MAL-2025-46969","affected":[{"versions":["5.6.1"],"package":{"name":"chalk","ecosystem":"npm"}}],
            "summary":"Malicious code in chalk (npm)","modified":"2025-09-12T01:13:34Z"}"#;
        let c = from_json(reordered.as_bytes()).unwrap();
        assert_eq!(a.sha256, b.sha256);
        assert_eq!(a.sha256, c.sha256);
    }

    #[test]
    fn normalises_pypi_names_and_keeps_other_ecosystems_unmatchable() {
        let r = from_json(
            br#"{"id":"PYSEC-1","modified":"2024-01-01T00:00:00Z","affected":[
            {"package":{"ecosystem":"PyPI","name":"Foo_Bar"}},
            {"package":{"ecosystem":"Debian:12","name":"foo"}}]}"#,
        )
        .unwrap();
        let keys: Vec<_> = r
            .packages
            .iter()
            .map(|p| (p.ecosystem.as_str(), p.name.as_str(), p.matchable))
            .collect();
        assert_eq!(
            keys,
            vec![("Debian:12", "foo", false), ("PyPI", "foo-bar", true)]
        );
    }

    #[test]
    fn errors_carry_line_and_column() {
        let e = from_json(b"{\n  \"id\": \"X\",\n  \"modified\": 5\n}").unwrap_err();
        assert_eq!(e.line, Some(3), "{e}");
        let e = from_json(b"{\n  \"id\": \"X\",\n").unwrap_err();
        assert!(e.line.is_some(), "{e}");
        let e = from_json(br#"{"id":"X"}"#).unwrap_err();
        assert!(e.message.contains("modified"), "{e}");
        let e = from_json(br#"{"id":"X","modified":"last tuesday"}"#).unwrap_err();
        assert!(e.message.contains("RFC 3339"), "{e}");
        let e = from_yaml("id: X\nmodified: 2024-01-01T00:00:00Z\naffected: 7\n").unwrap_err();
        assert_eq!(e.line, Some(3), "{e}");
    }

    #[test]
    fn yaml_versions_stay_strings() {
        let r = from_yaml(
            "id: PYSEC-2020-1\nmodified: 2023-11-07T20:24:23.946863Z\naffected:\n- package:\n    ecosystem: PyPI\n    name: x\n  ranges:\n  - type: ECOSYSTEM\n    events:\n    - introduced: \"0\"\n    - fixed: 1.10\n  versions:\n  - 1.0\n  - 1.10\n",
        )
        .unwrap();
        let affected: Vec<AffectedPackage> =
            serde_json::from_str(&r.packages[0].affected_json).unwrap();
        assert_eq!(affected[0].versions, vec!["1.0", "1.10"]);
        assert_eq!(
            affected[0].fixed_versions().collect::<Vec<_>>(),
            vec!["1.10"]
        );
        assert_eq!(r.modified, "2023-11-07T20:24:23.946863Z");
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..512)) {
            let _ = from_json(&bytes);
            if let Ok(s) = std::str::from_utf8(&bytes) {
                let _ = from_yaml(s);
                let _ = from_rustsec(s);
            }
        }

        #[test]
        fn arbitrary_yaml_text_never_panics(s in "\\PC{0,200}") {
            let _ = from_yaml(&s);
            let _ = from_yaml(&format!("id: X\nmodified: 2024-01-01T00:00:00Z\n{s}"));
        }
    }
}
