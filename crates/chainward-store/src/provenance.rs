//! What both backends share for provenance pins and observations: checking and encoding
//! them on the way in (names normalised, identities as JSON text), and decoding stored rows
//! on the way out, where anything unreadable is an error naming the table and the key.

use std::collections::BTreeMap;

use chainward_types::{BuildIdentity, Ecosystem, Timestamp, normalize_name};

use crate::error::{Location, StoreError};
use crate::model::{PinSource, ProvenanceObservation, ProvenancePin, ProvenanceState};

/// A pin ready to store: normalised, with its identity's JSON.
#[derive(Debug)]
pub(crate) struct PreparedPin {
    pub(crate) pin: ProvenancePin,
    /// The stored columns that are not the pin's own strings.
    pub(crate) ecosystem: &'static str,
    pub(crate) identity: String,
    pub(crate) pinned_at: i64,
    pub(crate) how: &'static str,
}

/// An observation ready to store: name normalised, identity as JSON.
#[derive(Debug, Clone)]
pub(crate) struct ObservationRow {
    pub(crate) ecosystem: Ecosystem,
    pub(crate) name: String,
    pub(crate) version: String,
    pub(crate) status: ProvenanceState,
    pub(crate) identity: Option<String>,
    pub(crate) first_seen: i64,
    pub(crate) last_seen: i64,
}

fn invalid(location: &Location, message: String) -> StoreError {
    StoreError::Invalid {
        location: location.clone(),
        message,
    }
}

fn identity_json(
    identity: &BuildIdentity,
    what: &str,
    location: &Location,
) -> Result<String, StoreError> {
    serde_json::to_string(identity).map_err(|e| {
        invalid(
            location,
            format!("{what}: the identity cannot be encoded: {e}"),
        )
    })
}

/// Normalises a pin's name and encodes its identity.
pub(crate) fn prepare_pin(
    pin: &ProvenancePin,
    location: &Location,
) -> Result<PreparedPin, StoreError> {
    let name = normalize_name(pin.ecosystem, &pin.name);
    if name.trim().is_empty() {
        return Err(invalid(
            location,
            format!("a provenance pin of {} needs a package name", pin.ecosystem),
        ));
    }
    let what = format!("provenance pin of {} package `{name}`", pin.ecosystem);
    let identity = identity_json(&pin.identity, &what, location)?;
    Ok(PreparedPin {
        pin: ProvenancePin {
            name,
            ..pin.clone()
        },
        ecosystem: pin.ecosystem.as_str(),
        identity,
        pinned_at: pin.pinned_at.as_unix_micros(),
        how: pin.how.as_str(),
    })
}

/// Checks, normalises and encodes observations; one row per (ecosystem, name, version),
/// sorted by that key. Several observations of one version merge as if stored one after
/// the other: the first one's `first_seen`, the last one's status, identity and
/// `last_seen`.
pub(crate) fn prepare_observations(
    observations: &[ProvenanceObservation],
    location: &Location,
) -> Result<Vec<ObservationRow>, StoreError> {
    let mut rows: BTreeMap<(&'static str, String, String), ObservationRow> = BTreeMap::new();
    for o in observations {
        let name = normalize_name(o.ecosystem, &o.name);
        let what = format!(
            "provenance observation of {} package `{name}`@{}",
            o.ecosystem, o.version
        );
        if name.trim().is_empty() {
            return Err(invalid(
                location,
                format!(
                    "a provenance observation of {} needs a package name",
                    o.ecosystem
                ),
            ));
        }
        let identity = match (o.status, &o.identity) {
            (ProvenanceState::Verified, Some(identity)) => {
                Some(identity_json(identity, &what, location)?)
            }
            (ProvenanceState::Verified, None) => {
                return Err(invalid(
                    location,
                    format!("{what}: status verified needs an identity"),
                ));
            }
            (status, Some(_)) => {
                return Err(invalid(
                    location,
                    format!("{what}: status {status} cannot have an identity"),
                ));
            }
            (_, None) => None,
        };
        if o.last_seen < o.first_seen {
            return Err(invalid(
                location,
                format!(
                    "{what}: last seen ({}) is before first seen ({})",
                    o.last_seen, o.first_seen
                ),
            ));
        }
        let row = ObservationRow {
            ecosystem: o.ecosystem,
            name,
            version: o.version.clone(),
            status: o.status,
            identity,
            first_seen: o.first_seen.as_unix_micros(),
            last_seen: o.last_seen.as_unix_micros(),
        };
        let key = (o.ecosystem.as_str(), row.name.clone(), row.version.clone());
        match rows.get_mut(&key) {
            Some(earlier) => {
                *earlier = ObservationRow {
                    first_seen: earlier.first_seen,
                    ..row
                };
            }
            None => {
                rows.insert(key, row);
            }
        }
    }
    Ok(rows.into_values().collect())
}

fn parse_identity(json: &str) -> Result<BuildIdentity, String> {
    serde_json::from_str(json).map_err(|e| format!("the identity is not valid JSON: {e}"))
}

/// Reads a pin back from its stored columns.
pub(crate) fn decode_pin(
    ecosystem: Ecosystem,
    name: String,
    version: String,
    identity: &str,
    pinned_at: i64,
    how: &str,
) -> Result<ProvenancePin, String> {
    let key = || format!("provenance_pin ({ecosystem}, {name})");
    let identity = parse_identity(identity).map_err(|e| format!("{}: {e}", key()))?;
    let how = PinSource::parse(how)
        .ok_or_else(|| format!("{}: how `{how}` is not `first-seen` or `user`", key()))?;
    Ok(ProvenancePin {
        ecosystem,
        name,
        version,
        identity,
        pinned_at: Timestamp::from_unix_micros(pinned_at),
        how,
    })
}

/// Reads an observation back from its stored columns.
pub(crate) fn decode_observation(
    ecosystem: Ecosystem,
    name: String,
    version: String,
    status: &str,
    identity: Option<&str>,
    first_seen: i64,
    last_seen: i64,
) -> Result<ProvenanceObservation, String> {
    let key = || format!("provenance_observation ({ecosystem}, {name}, {version})");
    let status = ProvenanceState::parse(status).ok_or_else(|| {
        format!(
            "{}: status `{status}` is not `verified`, `absent` or `invalid`",
            key()
        )
    })?;
    let identity = match (status, identity) {
        (ProvenanceState::Verified, Some(json)) => {
            Some(parse_identity(json).map_err(|e| format!("{}: {e}", key()))?)
        }
        (ProvenanceState::Verified, None) => {
            return Err(format!("{}: status verified without an identity", key()));
        }
        (_, Some(_)) => {
            return Err(format!("{}: status {status} with an identity", key()));
        }
        (_, None) => None,
    };
    Ok(ProvenanceObservation {
        ecosystem,
        name,
        version,
        status,
        identity,
        first_seen: Timestamp::from_unix_micros(first_seen),
        last_seen: Timestamp::from_unix_micros(last_seen),
    })
}

/// Sorts observations as [`crate::Store::provenance_observations`] gives them: by first
/// seen, then version (byte order on both backends, whatever the database's collation).
pub(crate) fn sort_observations(observations: &mut [ProvenanceObservation]) {
    observations.sort_by(|a, b| (a.first_seen, &a.version).cmp(&(b.first_seen, &b.version)));
}
