//! Folders written by `cargo vendor`.
//!
//! Each subfolder (`name`, or `name-version` when several versions are vendored) holds the
//! crate's `Cargo.toml` (normalised for registry crates, and for git crates by recent
//! cargo) and a `.cargo-checksum.json`:
//! `{"files": {"path": "sha256", ...}, "package": "<sha256 of the .crate>" | null}`.
//!
//! - `"package": "<hex>"`: the crate came from a registry, and the hex is the same SHA-256
//!   that Cargo.lock records → [`Origin::Registry`] with no URL (the folder does not say
//!   which registry) and a SHA-256 [`Hash`](struct@Hash).
//! - `"package": null` (or no `package` key): not a registry crate. cargo vendor copies only
//!   registry and git crates, so it is a git crate, but nothing in the folder says from
//!   which repository or commit, and [`Origin::Git`] would need a URL (an empty one gives a
//!   meaningless `vcs_url` in the purl). So it is reported as [`Origin::Path`] with the
//!   folder (`<display>/<subdir>`) as the path: never registry-matched, and the walker can
//!   replace the origin with the git source that `Cargo.lock` records for the same name and
//!   version.
//! - A subfolder without `.cargo-checksum.json` (or with an unreadable one) is a warning;
//!   its crate is still listed, as [`Origin::Path`], since its code is there to be built
//!   from.
//! - A missing, unreadable or unparsable `Cargo.toml`, or one without `[package] name`, is a
//!   warning naming the file, and the subfolder is skipped. A version that is not a plain
//!   string (`version.workspace = true` in an unnormalised git manifest) is taken from a
//!   `name-version` folder name when there is one, else left empty, with a warning.
//!
//! Files and hidden folders at the top of the vendor folder are ignored; subfolders are read
//! in name order. Each package's location is `<display>/<subdir>/Cargo.toml` at the line of
//! its `name` key. The format is `cargo-vendor`; no edges are recorded.

use std::io::{self, Read as _};
use std::path::Path;

use chainward_types::{
    Ecosystem, Hash, HashAlgorithm, LineIndex, Location, Lockfile, Origin, Package, ParseError,
};
use serde::Deserialize;
use toml::Spanned;

/// Files larger than this are not read (a vendored `Cargo.toml` or checksum list is far
/// smaller).
const MAX_FILE_BYTES: u64 = 32 * 1024 * 1024;

/// Reads a `cargo vendor` folder. `display` is its path as shown to the user.
pub fn scan(dir: &Path, display: &str) -> Result<Lockfile, ParseError> {
    let display = display.trim_end_matches('/');
    let read_dir = fs_err::read_dir(dir)
        .map_err(|e| ParseError::whole_file(format!("cannot read vendor folder: {e}")))?;
    let mut lockfile = Lockfile {
        format: "cargo-vendor".to_owned(),
        ..Lockfile::default()
    };
    let mut subdirs = Vec::new();
    for entry in read_dir {
        let entry = match entry {
            Ok(entry) => entry,
            Err(e) => {
                lockfile
                    .warnings
                    .push(format!("{display}: cannot list an entry: {e}"));
                continue;
            }
        };
        let file_name = entry.file_name();
        let Some(name) = file_name.to_str() else {
            lockfile.warnings.push(format!(
                "{display}/{}: folder name is not UTF-8; skipped",
                file_name.to_string_lossy()
            ));
            continue;
        };
        if name.starts_with('.') || !entry.path().is_dir() {
            continue;
        }
        subdirs.push(name.to_owned());
    }
    subdirs.sort();
    for subdir in subdirs {
        let place = if display.is_empty() {
            subdir.clone()
        } else {
            format!("{display}/{subdir}")
        };
        if let Some(package) =
            read_crate(&dir.join(&subdir), &subdir, &place, &mut lockfile.warnings)
        {
            lockfile.packages.push(package);
        }
    }
    Ok(lockfile)
}

/// `.cargo-checksum.json`; `files` is not needed for an inventory.
#[derive(Deserialize)]
struct CargoChecksumWire {
    #[serde(default)]
    package: Option<String>,
}

/// The part of a `Cargo.toml` we read.
#[derive(Deserialize)]
struct ManifestWire {
    package: Option<PackageSectionWire>,
    /// The name of `[package]` before Rust 1.26 or so; still accepted by cargo.
    project: Option<PackageSectionWire>,
}

#[derive(Deserialize)]
struct PackageSectionWire {
    name: Option<Spanned<String>>,
    version: Option<VersionWire>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum VersionWire {
    Text(String),
    Other(serde::de::IgnoredAny),
}

/// Reads one vendored crate; `None` (with a warning) when there is no usable manifest.
fn read_crate(
    dir: &Path,
    subdir: &str,
    place: &str,
    warnings: &mut Vec<String>,
) -> Option<Package> {
    let manifest_place = format!("{place}/Cargo.toml");
    let manifest = match read_capped(&dir.join("Cargo.toml")) {
        Ok(text) => text,
        Err(e) => {
            warnings.push(format!("{manifest_place}: cannot read: {e}; crate skipped"));
            return None;
        }
    };
    let (name, name_line, version) = match parse_manifest(&manifest) {
        Ok(found) => found,
        Err(e) => {
            warnings.push(format!("{manifest_place}: {e}; crate skipped"));
            return None;
        }
    };
    let version = match version {
        Some(v) => v,
        None => {
            let from_folder = subdir
                .strip_prefix(name.as_str())
                .and_then(|rest| rest.strip_prefix('-'))
                .filter(|v| !v.is_empty());
            match from_folder {
                Some(v) => {
                    warnings.push(format!(
                        "{manifest_place}: `version` is not a plain string; `{v}` taken from the folder name"
                    ));
                    v.to_owned()
                }
                None => {
                    warnings.push(format!(
                        "{manifest_place}: no plain `version`; version left empty"
                    ));
                    String::new()
                }
            }
        }
    };

    let checksum_place = format!("{place}/.cargo-checksum.json");
    let mut hash = None;
    let origin = match read_capped(&dir.join(".cargo-checksum.json")) {
        Err(e) => {
            let why = if e.kind() == io::ErrorKind::NotFound {
                "missing, so this is not a folder that cargo vendor wrote".to_owned()
            } else {
                format!("cannot read: {e}")
            };
            warnings.push(format!(
                "{checksum_place}: {why}; `{name} {version}` is listed as a local folder"
            ));
            Origin::Path {
                path: place.to_owned(),
            }
        }
        Ok(text) => match serde_json::from_str::<CargoChecksumWire>(&text) {
            Err(e) => {
                warnings.push(format!(
                    "{checksum_place}: not valid: {e}; `{name} {version}` is listed as a local folder"
                ));
                Origin::Path {
                    path: place.to_owned(),
                }
            }
            Ok(CargoChecksumWire { package: None }) => Origin::Path {
                path: place.to_owned(),
            },
            Ok(CargoChecksumWire { package: Some(hex) }) => {
                match Hash::from_hex(HashAlgorithm::Sha256, &hex) {
                    Ok(h) => hash = Some(h),
                    Err(e) => {
                        warnings.push(format!("{checksum_place}: `package` checksum ignored: {e}"))
                    }
                }
                Origin::registry()
            }
        },
    };

    let mut package = Package::new(Ecosystem::CratesIo, &name, version, origin);
    if let Some(hash) = hash {
        package.add_hash(hash);
    }
    package
        .locations
        .push(Location::new(manifest_place, Some(name_line)));
    Some(package)
}

/// The name, its line and the version (when a plain string) of a manifest.
fn parse_manifest(text: &str) -> Result<(String, u32, Option<String>), ParseError> {
    let index = LineIndex::new(text);
    let wire: ManifestWire = toml::from_str(text).map_err(|e| {
        let message = format!("not a valid Cargo.toml: {}", e.message().trim_end());
        match e.span() {
            Some(span) => {
                let (line, column) = index.line_col(span.start);
                ParseError::at(line, column, message)
            }
            None => ParseError::whole_file(message),
        }
    })?;
    let section = wire
        .package
        .or(wire.project)
        .ok_or_else(|| ParseError::whole_file("no `[package]` table"))?;
    let name = section
        .name
        .ok_or_else(|| ParseError::whole_file("no `[package] name`"))?;
    let line = index.line_of(name.span().start);
    let name = name.into_inner();
    if name.is_empty() {
        return Err(ParseError::at_line(line, "empty package name"));
    }
    let version = match section.version {
        Some(VersionWire::Text(v)) if !v.is_empty() => Some(v),
        _ => None,
    };
    Ok((name, line, version))
}

/// Reads a UTF-8 file of at most [`MAX_FILE_BYTES`].
fn read_capped(path: &Path) -> io::Result<String> {
    let file = fs_err::File::open(path)?;
    let mut text = String::new();
    file.take(MAX_FILE_BYTES + 1).read_to_string(&mut text)?;
    if text.len() as u64 > MAX_FILE_BYTES {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("larger than {MAX_FILE_BYTES} bytes"),
        ));
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_normalized_manifest() {
        let (name, line, version) = parse_manifest(
            r#"# THIS FILE IS AUTOMATICALLY GENERATED BY CARGO

[package]
edition = "2021"
name = "itoa"
version = "1.0.18"
"#,
        )
        .unwrap();
        assert_eq!(
            (name.as_str(), line, version.as_deref()),
            ("itoa", 5, Some("1.0.18"))
        );
    }

    #[test]
    fn workspace_inherited_version_is_not_a_version() {
        let (_, _, version) =
            parse_manifest("[package]\nname = \"a\"\nversion.workspace = true\n").unwrap();
        assert_eq!(version, None);
    }

    #[test]
    fn accepts_old_project_table() {
        let (name, _, version) =
            parse_manifest("[project]\nname = \"a\"\nversion = \"0.1.0\"\n").unwrap();
        assert_eq!((name.as_str(), version.as_deref()), ("a", Some("0.1.0")));
    }

    #[test]
    fn manifest_errors_have_lines() {
        let err = parse_manifest("[package]\nname = \n").unwrap_err();
        assert_eq!(err.line, Some(2));
        assert!(parse_manifest("[workspace]\n").is_err());
        assert!(parse_manifest("[package]\nversion = \"1\"\n").is_err());
    }
}
