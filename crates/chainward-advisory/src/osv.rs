//! Private OSV wire types (<https://ossf.github.io/osv-schema/>) and the public view of the
//! parts a matcher needs ([`AffectedPackage`]).
//!
//! Records are read twice over: as a free-form [`serde_json::Value`], which is what is
//! stored (keys sorted, so the same record always has the same bytes whatever its source
//! formatting), and as the typed [`OsvVulnerability`], which validates the fields chainward
//! reads. Free-form parts (`database_specific`, `ecosystem_specific`) stay `Value`s.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One OSV record, as the schema defines it.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub(crate) struct OsvVulnerability {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) schema_version: Option<String>,
    pub(crate) id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) modified: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) published: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) withdrawn: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) aliases: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) upstream: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) related: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) summary: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) details: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) severity: Option<Vec<OsvSeverity>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) affected: Option<Vec<OsvAffected>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) references: Option<Vec<OsvReference>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) credits: Option<Vec<OsvCredit>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) database_specific: Option<Value>,
}

/// `severity[]` and `affected[].severity[]`.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub(crate) struct OsvSeverity {
    #[serde(rename = "type")]
    pub(crate) kind: String,
    pub(crate) score: String,
}

/// `affected[]`.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub(crate) struct OsvAffected {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) package: Option<OsvPackage>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) severity: Option<Vec<OsvSeverity>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) ranges: Option<Vec<OsvRange>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) versions: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) ecosystem_specific: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) database_specific: Option<Value>,
}

/// `affected[].package`.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub(crate) struct OsvPackage {
    pub(crate) ecosystem: String,
    pub(crate) name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) purl: Option<String>,
}

/// `affected[].ranges[]`.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub(crate) struct OsvRange {
    #[serde(rename = "type")]
    pub(crate) kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) repo: Option<String>,
    #[serde(default)]
    pub(crate) events: Vec<OsvEvent>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) database_specific: Option<Value>,
}

/// `affected[].ranges[].events[]`: exactly one of the fields is set in a valid record.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub(crate) struct OsvEvent {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) introduced: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) fixed: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) last_affected: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) limit: Option<String>,
}

/// `references[]`.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub(crate) struct OsvReference {
    #[serde(rename = "type")]
    pub(crate) kind: String,
    pub(crate) url: String,
}

/// `credits[]`.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub(crate) struct OsvCredit {
    pub(crate) name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) contact: Option<Vec<String>>,
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub(crate) kind: Option<String>,
}

impl OsvVulnerability {
    /// `aliases`, empty when absent.
    pub(crate) fn aliases(&self) -> &[String] {
        self.aliases.as_deref().unwrap_or_default()
    }

    /// `affected`, empty when absent.
    pub(crate) fn affected(&self) -> &[OsvAffected] {
        self.affected.as_deref().unwrap_or_default()
    }
}

/// The affected entries of one advisory for one package: what a matcher compares a
/// version against. Serialised in the OSV shape (`ranges`, `versions`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AffectedPackage {
    /// The package name exactly as the record spells it (the lookup key is normalised).
    pub name: String,
    /// Version ranges (`SEMVER`, `ECOSYSTEM` or `GIT`), in record order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ranges: Vec<AffectedRange>,
    /// Explicitly listed affected versions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub versions: Vec<String>,
}

/// One OSV range: a type and an ordered list of events.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AffectedRange {
    /// `SEMVER`, `ECOSYSTEM` or `GIT` (as written in the record).
    #[serde(rename = "type")]
    pub kind: String,
    /// The repository of a `GIT` range.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repo: Option<String>,
    /// The events, in record order.
    pub events: Vec<RangeEvent>,
}

/// One event of an OSV range.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RangeEvent {
    /// Versions from this one (inclusive) are affected; `"0"` means from the start.
    Introduced(String),
    /// Versions from this one (inclusive) are no longer affected.
    Fixed(String),
    /// The last affected version (inclusive).
    LastAffected(String),
    /// An upper limit on the range (exclusive), for `GIT` ranges mostly.
    Limit(String),
}

impl RangeEvent {
    /// The version this event names.
    pub fn version(&self) -> &str {
        match self {
            Self::Introduced(v) | Self::Fixed(v) | Self::LastAffected(v) | Self::Limit(v) => v,
        }
    }
}

impl AffectedPackage {
    /// Builds the public view of one wire `affected[]` entry. Events with no known field are
    /// dropped (they affect nothing); an event with several fields gives each in turn.
    pub(crate) fn from_wire(name: &str, a: &OsvAffected) -> Self {
        let ranges = a
            .ranges
            .as_deref()
            .unwrap_or_default()
            .iter()
            .map(|r| AffectedRange {
                kind: r.kind.clone(),
                repo: r.repo.clone(),
                events: r
                    .events
                    .iter()
                    .flat_map(|e| {
                        [
                            e.introduced.clone().map(RangeEvent::Introduced),
                            e.fixed.clone().map(RangeEvent::Fixed),
                            e.last_affected.clone().map(RangeEvent::LastAffected),
                            e.limit.clone().map(RangeEvent::Limit),
                        ]
                        .into_iter()
                        .flatten()
                    })
                    .collect(),
            })
            .collect();
        Self {
            name: name.to_owned(),
            ranges,
            versions: a.versions.clone().unwrap_or_default(),
        }
    }

    /// Every `fixed` version of every range, in record order.
    pub fn fixed_versions(&self) -> impl Iterator<Item = &str> {
        self.ranges.iter().flat_map(|r| {
            r.events.iter().filter_map(|e| match e {
                RangeEvent::Fixed(v) => Some(v.as_str()),
                _ => None,
            })
        })
    }
}
