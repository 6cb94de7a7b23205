//! What an SBOM says about itself and the project it describes.

use std::path::Path;

use chainward_types::{Ecosystem, Origin, normalize_name, purl};
use serde::Serialize;

/// The project an SBOM describes, from its manifest (CycloneDX `metadata.component`, the
/// package SPDX's document `DESCRIBES`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RootComponent {
    /// The ecosystem of the manifest it was read from; `None` when the name is only a folder
    /// name (a Cargo workspace root without `[package]`), which gives no purl.
    pub ecosystem: Option<Ecosystem>,
    /// The name as the manifest writes it (npm scopes included: `@scope/name`).
    pub name: String,
    /// The version, when the manifest gives one.
    pub version: Option<String>,
}

impl RootComponent {
    /// The root's purl, when it has an ecosystem.
    pub fn purl(&self) -> Option<String> {
        let eco = self.ecosystem?;
        Some(purl::for_package(
            eco,
            &normalize_name(eco, &self.name),
            self.version.as_deref().unwrap_or(""),
            &Origin::registry(),
        ))
    }
}

/// Everything about an SBOM that does not come from the inventory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Metadata {
    /// The project itself; see [`read_root_component`].
    pub root: Option<RootComponent>,
    /// chainward's version, written as the tool (`Tool: chainward-<version>` in SPDX).
    pub tool_version: String,
    /// When the SBOM was made, in seconds since the Unix epoch (UTC): `SOURCE_DATE_EPOCH`
    /// when set (see [`parse_source_date_epoch`]), else the current time. Read by the caller:
    /// nothing in this crate reads a clock.
    pub timestamp: u64,
    /// Extra input mixed into the serial number / document namespace, for callers that want
    /// distinct serials for equal content; `None` derives them from the content alone.
    pub serial_seed: Option<String>,
}

impl Metadata {
    /// Metadata with no root and no serial seed.
    pub fn new(tool_version: impl Into<String>, timestamp: u64) -> Self {
        Self {
            root: None,
            tool_version: tool_version.into(),
            timestamp,
            serial_seed: None,
        }
    }

    /// Sets [`Metadata::root`].
    #[must_use]
    pub fn with_root(mut self, root: Option<RootComponent>) -> Self {
        self.root = root;
        self
    }
}

/// Parses a `SOURCE_DATE_EPOCH` value (decimal seconds since the Unix epoch); `None` when it
/// is not one.
pub fn parse_source_date_epoch(value: &str) -> Option<u64> {
    value.trim().parse().ok()
}

/// The project in `dir`, from the first of `package.json` (name, version), `Cargo.toml`
/// (`[package]` name and version, a workspace-inherited version resolved from
/// `[workspace.package]`; a workspace root without `[package]` is named after the folder) and
/// `pyproject.toml` (`[project]`, else `[tool.poetry]`) that names one. `None` when there is
/// no such manifest or none can be read.
pub fn read_root_component(dir: &Path) -> Option<RootComponent> {
    let read = |name: &str| fs_err::read_to_string(dir.join(name)).ok();
    if let Some(root) =
        read("package.json").and_then(|t| root_from_package_json(&t, || folder_name(dir)))
    {
        return Some(root);
    }
    if let Some(root) =
        read("Cargo.toml").and_then(|t| root_from_cargo_toml(&t, || folder_name(dir)))
    {
        return Some(root);
    }
    read("pyproject.toml").and_then(|t| root_from_pyproject(&t))
}

fn folder_name(dir: &Path) -> Option<String> {
    let name = |p: &Path| p.file_name().and_then(|n| n.to_str()).map(str::to_owned);
    name(dir).or_else(|| fs_err::canonicalize(dir).ok().and_then(|p| name(&p)))
}

fn non_empty(s: Option<&str>) -> Option<String> {
    s.map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// `package.json`: `name` and `version`; a manifest without a name is named after the folder.
fn root_from_package_json(
    text: &str,
    folder: impl FnOnce() -> Option<String>,
) -> Option<RootComponent> {
    let v: serde_json::Value = serde_json::from_str(text.trim_start_matches('\u{feff}')).ok()?;
    let obj = v.as_object()?;
    let name = non_empty(obj.get("name").and_then(|n| n.as_str())).or_else(folder)?;
    Some(RootComponent {
        ecosystem: Some(Ecosystem::Npm),
        name,
        version: non_empty(obj.get("version").and_then(|n| n.as_str())),
    })
}

/// `Cargo.toml`: `[package]`, or a workspace root named after its folder.
fn root_from_cargo_toml(
    text: &str,
    folder: impl FnOnce() -> Option<String>,
) -> Option<RootComponent> {
    let doc: toml::Table = toml::from_str(text).ok()?;
    let Some(package) = doc.get("package").and_then(|p| p.as_table()) else {
        return doc
            .contains_key("workspace")
            .then(folder)
            .flatten()
            .map(|name| RootComponent {
                ecosystem: None,
                name,
                version: None,
            });
    };
    let name = non_empty(package.get("name").and_then(|n| n.as_str()))?;
    let version = match package.get("version") {
        Some(toml::Value::String(v)) => non_empty(Some(v)),
        Some(toml::Value::Table(t))
            if t.get("workspace").and_then(toml::Value::as_bool) == Some(true) =>
        {
            non_empty(
                doc.get("workspace")
                    .and_then(|w| w.get("package"))
                    .and_then(|p| p.get("version"))
                    .and_then(|v| v.as_str()),
            )
        }
        _ => None,
    };
    Some(RootComponent {
        ecosystem: Some(Ecosystem::CratesIo),
        name,
        version,
    })
}

/// `pyproject.toml`: `[project]`, else `[tool.poetry]`.
fn root_from_pyproject(text: &str) -> Option<RootComponent> {
    let doc: toml::Table = toml::from_str(text).ok()?;
    let tables = [
        doc.get("project").and_then(|p| p.as_table()),
        doc.get("tool")
            .and_then(|t| t.get("poetry"))
            .and_then(|p| p.as_table()),
    ];
    tables.into_iter().flatten().find_map(|t| {
        let name = non_empty(t.get("name").and_then(|n| n.as_str()))?;
        Some(RootComponent {
            ecosystem: Some(Ecosystem::PyPI),
            name,
            version: non_empty(t.get("version").and_then(|v| v.as_str())),
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folder() -> Option<String> {
        Some("myfolder".into())
    }

    #[test]
    fn reads_package_json() {
        let r =
            root_from_package_json(r#"{"name": "@acme/web", "version": "1.2.0"}"#, folder).unwrap();
        assert_eq!(r.name, "@acme/web");
        assert_eq!(r.version.as_deref(), Some("1.2.0"));
        assert_eq!(r.purl().as_deref(), Some("pkg:npm/%40acme/web@1.2.0"));
        let unnamed = root_from_package_json(r#"{"private": true}"#, folder).unwrap();
        assert_eq!((unnamed.name.as_str(), unnamed.version), ("myfolder", None));
        assert!(root_from_package_json("[1]", folder).is_none());
    }

    #[test]
    fn reads_cargo_toml_package_workspace_version_and_virtual_root() {
        let r = root_from_cargo_toml(
            r#"
[workspace.package]
version = "0.3.0"

[package]
name = "tool"
version.workspace = true
"#,
            folder,
        )
        .unwrap();
        assert_eq!(
            (r.name.as_str(), r.version.as_deref()),
            ("tool", Some("0.3.0"))
        );
        assert_eq!(r.purl().as_deref(), Some("pkg:cargo/tool@0.3.0"));
        let v = root_from_cargo_toml("[workspace]\nmembers = [\"a\"]\n", folder).unwrap();
        assert_eq!(
            (v.name.as_str(), v.ecosystem, v.purl()),
            ("myfolder", None, None)
        );
        assert!(root_from_cargo_toml("[dependencies]\n", folder).is_none());
    }

    #[test]
    fn reads_pyproject_project_then_poetry() {
        let r = root_from_pyproject("[project]\nname = \"My_App\"\nversion = \"2.0\"\n").unwrap();
        assert_eq!(r.purl().as_deref(), Some("pkg:pypi/my-app@2.0"));
        let p =
            root_from_pyproject("[tool.poetry]\nname = \"legacy\"\nversion = \"0.1.0\"\n").unwrap();
        assert_eq!(p.name, "legacy");
        let dynamic =
            root_from_pyproject("[project]\nname = \"d\"\ndynamic = [\"version\"]\n").unwrap();
        assert_eq!(dynamic.version, None);
    }

    #[test]
    fn parses_source_date_epoch() {
        assert_eq!(parse_source_date_epoch("1700000000\n"), Some(1_700_000_000));
        assert_eq!(parse_source_date_epoch("yesterday"), None);
    }
}
