//! A line reader for the exact layout cargo writes (`src/cargo/ops/lockfile.rs`), about ten
//! times faster than a general TOML parser on large files.
//!
//! It accepts a strict subset of TOML, in which every line is one of:
//!
//! - blank, or a comment;
//! - a header: `[[package]]`, `[[patch.unused]]`, `[root]` or `[metadata]` (each table at
//!   most once);
//! - before any header, `version = N` (plain decimal digits);
//! - in a package table, `key = "string"` for `name`, `version`, `source`, `checksum` and
//!   `replace`, each at most once, or `dependencies = [` followed by one `"string",` per line
//!   and a closing `]`;
//! - in `[metadata]`, `"key" = "string"` or `key = "string"`, each key at most once.
//!
//! Strings are basic strings without escapes or control characters. Anything else (an
//! escape, an inline table, a literal string, a trailing comment, a package without `name`
//! or `version`, ...) makes [`scan`] return `None`, and the caller falls back to the full
//! TOML parser, which gives the same result or the error with its position.

use std::borrow::Cow;
use std::collections::HashSet;

use super::raw::{RawLock, RawMetadata, RawPackage, Text};

/// Which table the following keys belong to.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Section {
    Top,
    Package,
    Root,
    Unused,
    Metadata,
}

/// The fields of a package table being read.
#[derive(Default)]
struct PackageFields<'a> {
    name: Option<Text<'a>>,
    version: Option<Text<'a>>,
    source: Option<Text<'a>>,
    checksum: Option<Text<'a>>,
    dependencies: Option<Vec<Text<'a>>>,
    replace: Option<Text<'a>>,
}

impl<'a> PackageFields<'a> {
    fn finish(self) -> Option<RawPackage<'a>> {
        Some(RawPackage {
            name: self.name?,
            version: self.version?,
            source: self.source,
            checksum: self.checksum,
            dependencies: self.dependencies.unwrap_or_default(),
            replace: self.replace,
        })
    }
}

/// Reads `input` if it is in cargo's own layout; `None` otherwise.
pub(super) fn scan(input: &str) -> Option<RawLock<'_>> {
    if input.starts_with('\u{feff}') {
        return None;
    }
    let mut lock = RawLock::default();
    let mut section = Section::Top;
    let mut current = PackageFields::default();
    let mut seen_root = false;
    let mut seen_metadata = false;
    let mut metadata_keys: HashSet<&str> = HashSet::new();

    let mut lines = lines(input);
    while let Some((raw_line, line_no)) = lines.next() {
        let line = trim(raw_line.strip_suffix('\r').unwrap_or(raw_line));
        if line.is_empty() {
            continue;
        }
        if line.starts_with('#') {
            if has_control(line) {
                return None;
            }
            continue;
        }
        if line.starts_with('[') {
            close(section, std::mem::take(&mut current), &mut lock)?;
            section = match line {
                "[[package]]" => Section::Package,
                "[[patch.unused]]" => Section::Unused,
                "[root]" if !seen_root => {
                    seen_root = true;
                    Section::Root
                }
                "[metadata]" if !seen_metadata => {
                    seen_metadata = true;
                    Section::Metadata
                }
                _ => return None,
            };
            continue;
        }

        let (key, rest) = split_key(line)?;
        let value = trim(rest.strip_prefix('=')?);
        match section {
            Section::Top => {
                if key != "version" || lock.version.is_some() {
                    return None;
                }
                lock.version = Some((decimal(value)?, line_no));
            }
            Section::Metadata => {
                if !metadata_keys.insert(key) {
                    return None;
                }
                let value = whole_string(value)?;
                lock.metadata.push(RawMetadata {
                    key: Cow::Borrowed(key),
                    value: Some(Cow::Borrowed(value)),
                    line: line_no,
                });
            }
            Section::Package | Section::Root | Section::Unused => {
                if key == "dependencies" {
                    if value != "[" || current.dependencies.is_some() {
                        return None;
                    }
                    current.dependencies = Some(array(&mut lines)?);
                    continue;
                }
                let slot = match key {
                    "name" => &mut current.name,
                    "version" => &mut current.version,
                    "source" => &mut current.source,
                    "checksum" => &mut current.checksum,
                    "replace" => &mut current.replace,
                    _ => return None,
                };
                if slot.is_some() {
                    return None;
                }
                *slot = Some(Text::borrowed(whole_string(value)?, line_no));
            }
        }
    }
    close(section, current, &mut lock)?;
    lock.metadata.sort_by(|a, b| a.key.cmp(&b.key));
    Some(lock)
}

/// The lines of `input` (without their `\n`) with their 1-based numbers.
fn lines(input: &str) -> impl Iterator<Item = (&str, u32)> {
    let mut start = 0;
    let mut ends = memchr::memchr_iter(b'\n', input.as_bytes()).chain(std::iter::once(input.len()));
    let mut number = 0u32;
    std::iter::from_fn(move || {
        let end = ends.next()?;
        let line = input.get(start..end)?;
        start = end + 1;
        number = number.saturating_add(1);
        Some((line, number))
    })
}

/// Stores the table just read; `None` if it lacks `name` or `version`.
fn close<'a>(section: Section, fields: PackageFields<'a>, lock: &mut RawLock<'a>) -> Option<()> {
    match section {
        Section::Top | Section::Metadata => {}
        Section::Package => lock.packages.push(fields.finish()?),
        Section::Root => lock.root = Some(fields.finish()?),
        Section::Unused => lock.unused_patches.push(fields.finish()?),
    }
    Some(())
}

/// Reads the elements of a `key = [` array up to its `]` line.
fn array<'a>(lines: &mut impl Iterator<Item = (&'a str, u32)>) -> Option<Vec<Text<'a>>> {
    let mut items = Vec::new();
    let mut needs_comma = false;
    for (raw_line, line_no) in lines {
        let line = trim(raw_line.strip_suffix('\r').unwrap_or(raw_line));
        if line == "]" {
            return Some(items);
        }
        if line.is_empty() {
            continue;
        }
        if line.starts_with('#') {
            if has_control(line) {
                return None;
            }
            continue;
        }
        if needs_comma {
            return None;
        }
        let item = match line.strip_suffix(',') {
            Some(item) => item,
            None => {
                needs_comma = true;
                line
            }
        };
        items.push(Text::borrowed(whole_string(item)?, line_no));
    }
    None
}

fn trim(s: &str) -> &str {
    let start = s
        .bytes()
        .position(|b| b != b' ' && b != b'\t')
        .unwrap_or(s.len());
    let end = s
        .bytes()
        .rposition(|b| b != b' ' && b != b'\t')
        .map_or(start, |e| e + 1);
    s.get(start..end).unwrap_or("")
}

/// TOML forbids control characters other than tab in strings and comments.
fn has_control(s: &str) -> bool {
    s.bytes().any(is_control)
}

fn is_control(b: u8) -> bool {
    (b < 0x20 && b != b'\t') || b == 0x7f
}

/// Splits `key = ...` into the key (bare, or a quoted string without escapes) and the text
/// from the `=` on.
fn split_key(line: &str) -> Option<(&str, &str)> {
    let (key, rest) = if let Some(quoted) = line.strip_prefix('"') {
        let end = quoted.find('"')?;
        let key = &quoted[..end];
        if key.contains('\\') || has_control(key) {
            return None;
        }
        (key, &quoted[end + 1..])
    } else {
        let end = line
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
            .unwrap_or(line.len());
        if end == 0 {
            return None;
        }
        line.split_at(end)
    };
    Some((key, trim(rest)))
}

/// The content of `"..."` when that is the whole of `value`.
fn whole_string(value: &str) -> Option<&str> {
    let inner = value.strip_prefix('"')?.strip_suffix('"')?;
    let plain = inner
        .bytes()
        .all(|b| b != b'"' && b != b'\\' && !is_control(b));
    plain.then_some(inner)
}

/// A plain decimal integer as TOML writes it (no sign, underscore or leading zero).
fn decimal(value: &str) -> Option<i64> {
    if value.is_empty() || value.len() > 18 || !value.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if value.len() > 1 && value.starts_with('0') {
        return None;
    }
    value.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_cargo_layout() {
        let lock = scan(
            r#"# This file is automatically @generated by Cargo.
version = 4

[[package]]
name = "a"
version = "0.1.0"
dependencies = [
 "b",
]

[[package]]
name = "b"
version = "1.0.0"
source = "registry+https://github.com/rust-lang/crates.io-index"
checksum = "00"
"#,
        )
        .unwrap();
        assert_eq!(lock.version, Some((4, 2)));
        assert_eq!(lock.packages.len(), 2);
        assert_eq!(lock.packages[0].dependencies[0], Text::borrowed("b", 8));
        assert_eq!(lock.packages[1].name.line, 12);
    }

    #[test]
    fn gives_up_on_anything_unusual() {
        for input in [
            "version = 3\nversion = 3\n",
            "[[package]]\nname = \"a\"\n",
            "[[package]]\nname = \"a\\u0041\"\nversion = \"1\"\n",
            "[[package]]\nname = 'a'\nversion = \"1\"\n",
            "[[package]]\nname = \"a\" # comment\nversion = \"1\"\n",
            "[[package]]\nname = \"a\"\nversion = \"1\"\ndependencies = [\"b\"]\n",
            "[[package]]\nname = \"a\"\nversion = \"1\"\ndependencies = [\n \"b\",\n",
            "[[package]]\nname = \"a\"\nversion = \"1\"\nname = \"b\"\n",
            "[metadata]\nx = \"1\"\n[metadata]\n",
            "[[package]]\nname = \"a\"\nversion = \"1\"\ndependencies = [\n \"b\"\n \"c\"\n]\n",
            "[metadata]\n\"x\" = \"1\"\nx = \"2\"\n",
            "version = 03\n",
            "[package]\n",
            "\u{feff}version = 3\n",
            "a.b = \"c\"\n",
        ] {
            assert!(scan(input).is_none(), "{input:?}");
        }
    }
}
