use std::fmt;

/// A CycloneDX specification version chainward writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum CdxSpec {
    /// CycloneDX 1.5.
    V1_5,
    /// CycloneDX 1.6 (the default).
    #[default]
    V1_6,
    /// CycloneDX 1.7.
    V1_7,
}

impl CdxSpec {
    /// Every version chainward writes, oldest first.
    pub const ALL: [Self; 3] = [Self::V1_5, Self::V1_6, Self::V1_7];

    /// The version as written in `specVersion`: `1.5`, `1.6` or `1.7`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::V1_5 => "1.5",
            Self::V1_6 => "1.6",
            Self::V1_7 => "1.7",
        }
    }

    /// Parses `1.5`, `1.6` or `1.7`.
    pub fn from_version(version: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == version.trim())
    }

    /// True from 1.6 on (occurrences with `line` and `additionalContext`).
    pub(crate) fn at_least_1_6(self) -> bool {
        self >= Self::V1_6
    }
}

impl fmt::Display for CdxSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An SBOM format chainward writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SbomFormat {
    /// CycloneDX JSON.
    CycloneDx {
        /// The specification version.
        spec: CdxSpec,
    },
    /// SPDX 2.3 JSON.
    SpdxJson23,
}

impl Default for SbomFormat {
    fn default() -> Self {
        Self::CycloneDx {
            spec: CdxSpec::default(),
        }
    }
}

/// A `--format` / `--spec-version` pair that names no format chainward writes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FormatError {
    /// The format name is not `cyclonedx-json` or `spdx-json`.
    #[error("unknown SBOM format `{format}` (expected cyclonedx-json or spdx-json)")]
    UnknownFormat {
        /// The name given.
        format: String,
    },
    /// The format does not come in the version asked for.
    #[error("{format} {version} is not supported (supported: {supported})")]
    UnsupportedVersion {
        /// The format name.
        format: &'static str,
        /// The version given.
        version: String,
        /// The versions chainward writes.
        supported: &'static str,
    },
}

impl SbomFormat {
    /// The format of `chainward sbom --format FORMAT [--spec-version VERSION]`: `FORMAT` is
    /// `cyclonedx-json` (or `cyclonedx`) or `spdx-json` (or `spdx`); `VERSION` is `1.5`,
    /// `1.6` (default) or `1.7` for CycloneDX and `2.3` for SPDX.
    pub fn from_cli(format: &str, spec_version: Option<&str>) -> Result<Self, FormatError> {
        match format.trim().to_ascii_lowercase().as_str() {
            "cyclonedx-json" | "cyclonedx" | "cdx" => {
                let spec = match spec_version {
                    None => CdxSpec::default(),
                    Some(v) => {
                        CdxSpec::from_version(v).ok_or_else(|| FormatError::UnsupportedVersion {
                            format: "CycloneDX",
                            version: v.to_owned(),
                            supported: "1.5, 1.6, 1.7",
                        })?
                    }
                };
                Ok(Self::CycloneDx { spec })
            }
            "spdx-json" | "spdx" => match spec_version.map(str::trim) {
                None | Some("2.3" | "SPDX-2.3") => Ok(Self::SpdxJson23),
                Some(v) => Err(FormatError::UnsupportedVersion {
                    format: "SPDX",
                    version: v.to_owned(),
                    supported: "2.3",
                }),
            },
            _ => Err(FormatError::UnknownFormat {
                format: format.to_owned(),
            }),
        }
    }

    /// A short name: `cyclonedx-1.6`, `spdx-2.3` (the same names [`crate::parse`] gives as
    /// the lockfile format).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::CycloneDx {
                spec: CdxSpec::V1_5,
            } => "cyclonedx-1.5",
            Self::CycloneDx {
                spec: CdxSpec::V1_6,
            } => "cyclonedx-1.6",
            Self::CycloneDx {
                spec: CdxSpec::V1_7,
            } => "cyclonedx-1.7",
            Self::SpdxJson23 => "spdx-2.3",
        }
    }
}

impl fmt::Display for SbomFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_cli_names_and_versions() {
        assert_eq!(
            SbomFormat::from_cli("cyclonedx-json", None),
            Ok(SbomFormat::CycloneDx {
                spec: CdxSpec::V1_6
            })
        );
        assert_eq!(
            SbomFormat::from_cli("cyclonedx-json", Some("1.7")),
            Ok(SbomFormat::CycloneDx {
                spec: CdxSpec::V1_7
            })
        );
        assert_eq!(
            SbomFormat::from_cli("spdx-json", None),
            Ok(SbomFormat::SpdxJson23)
        );
        assert!(matches!(
            SbomFormat::from_cli("cyclonedx-json", Some("1.4")),
            Err(FormatError::UnsupportedVersion { .. })
        ));
        assert!(matches!(
            SbomFormat::from_cli("spdx-json", Some("3.0")),
            Err(FormatError::UnsupportedVersion { .. })
        ));
        assert!(matches!(
            SbomFormat::from_cli("swid", None),
            Err(FormatError::UnknownFormat { .. })
        ));
        assert_eq!(SbomFormat::default().as_str(), "cyclonedx-1.6");
    }
}
