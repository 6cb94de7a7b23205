//! The Cargo.lock document as read, before any interpretation: [`RawLock`].
//!
//! Two readers fill it. [`fast::scan`](super::fast::scan) reads the exact layout that cargo
//! writes, line by line, and gives up (`None`) on anything else; [`from_toml`] reads any
//! TOML through the `toml` crate's serde support into the wire types [`CargoLockWire`] and
//! reports syntax and type errors with their line and column. Both must give the same
//! [`RawLock`] for every input the fast reader accepts (a property test checks it).

use std::borrow::Cow;
use std::collections::BTreeMap;

use chainward_types::{LineIndex, ParseError};
use serde::Deserialize;
use toml::Spanned;

/// A string value and the 1-based line where it starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Text<'a> {
    pub(super) value: Cow<'a, str>,
    pub(super) line: u32,
}

impl<'a> Text<'a> {
    pub(super) fn borrowed(value: &'a str, line: u32) -> Self {
        Self {
            value: Cow::Borrowed(value),
            line,
        }
    }

    pub(super) fn as_str(&self) -> &str {
        &self.value
    }
}

/// One `[[package]]`, `[root]` or `[[patch.unused]]` table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct RawPackage<'a> {
    pub(super) name: Text<'a>,
    pub(super) version: Text<'a>,
    pub(super) source: Option<Text<'a>>,
    pub(super) checksum: Option<Text<'a>>,
    pub(super) dependencies: Vec<Text<'a>>,
    pub(super) replace: Option<Text<'a>>,
}

/// One `[metadata]` entry; `value` is `None` when it is not a string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct RawMetadata<'a> {
    pub(super) key: Cow<'a, str>,
    pub(super) value: Option<Cow<'a, str>>,
    pub(super) line: u32,
}

/// A whole Cargo.lock. `metadata` is sorted by key.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct RawLock<'a> {
    /// The `version` key and its line.
    pub(super) version: Option<(i64, u32)>,
    pub(super) root: Option<RawPackage<'a>>,
    pub(super) packages: Vec<RawPackage<'a>>,
    pub(super) metadata: Vec<RawMetadata<'a>>,
    pub(super) unused_patches: Vec<RawPackage<'a>>,
}

/// The top level of a Cargo.lock, as cargo's `EncodableResolve` has it.
#[derive(Deserialize)]
struct CargoLockWire {
    version: Option<Spanned<i64>>,
    #[serde(default)]
    package: Vec<PackageWire>,
    /// The root crate, in files written before Rust 1.20 or so.
    root: Option<PackageWire>,
    #[serde(default)]
    metadata: BTreeMap<String, Spanned<MetadataValue>>,
    #[serde(default)]
    patch: PatchWire,
}

#[derive(Deserialize, Default)]
struct PatchWire {
    #[serde(default)]
    unused: Vec<PackageWire>,
}

/// One `[[package]]` (or `[root]`, or `[[patch.unused]]`) table.
#[derive(Deserialize)]
struct PackageWire {
    name: Spanned<String>,
    version: Spanned<String>,
    source: Option<Spanned<String>>,
    checksum: Option<Spanned<String>>,
    #[serde(default)]
    dependencies: Vec<Spanned<String>>,
    replace: Option<Spanned<String>>,
}

/// A `[metadata]` value: cargo writes strings; anything else is kept out of the way.
#[derive(Deserialize)]
#[serde(untagged)]
enum MetadataValue {
    Text(String),
    Other(serde::de::IgnoredAny),
}

/// Reads any TOML document as a Cargo.lock.
pub(super) fn from_toml(input: &str) -> Result<RawLock<'static>, ParseError> {
    let index = LineIndex::new(input);
    let wire: CargoLockWire = toml::from_str(input).map_err(|e| toml_error(&e, &index))?;
    let text = |s: Spanned<String>| Text {
        line: index.line_of(s.span().start),
        value: Cow::Owned(s.into_inner()),
    };
    let package = |p: PackageWire| RawPackage {
        name: text(p.name),
        version: text(p.version),
        source: p.source.map(text),
        checksum: p.checksum.map(text),
        dependencies: p.dependencies.into_iter().map(text).collect(),
        replace: p.replace.map(text),
    };
    Ok(RawLock {
        version: wire
            .version
            .map(|v| (*v.get_ref(), index.line_of(v.span().start))),
        root: wire.root.map(package),
        packages: wire.package.into_iter().map(package).collect(),
        metadata: wire
            .metadata
            .into_iter()
            .map(|(key, v)| RawMetadata {
                key: Cow::Owned(key),
                line: index.line_of(v.span().start),
                value: match v.into_inner() {
                    MetadataValue::Text(s) => Some(Cow::Owned(s)),
                    MetadataValue::Other(_) => None,
                },
            })
            .collect(),
        unused_patches: wire.patch.unused.into_iter().map(package).collect(),
    })
}

fn toml_error(err: &toml::de::Error, index: &LineIndex) -> ParseError {
    let message = format!("not a valid Cargo.lock: {}", err.message().trim_end());
    match err.span() {
        Some(span) => {
            let (line, column) = index.line_col(span.start);
            ParseError::at(line, column, message)
        }
        None => ParseError::whole_file(message),
    }
}
