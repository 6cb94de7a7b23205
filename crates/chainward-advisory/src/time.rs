//! RFC 3339 timestamps as the database stores them: microseconds since the Unix epoch in an
//! SQLite `INTEGER`, so they order correctly whatever the record wrote (`Z` or an offset,
//! fractional seconds or none; records with `modified: 0001-01-01T00:00:00Z` exist). The
//! calendar arithmetic is [`chainward_types::Timestamp`]'s.

use std::time::SystemTime;

use chainward_types::Timestamp;

/// Microseconds since the Unix epoch for an RFC 3339 date-time or a bare date (see
/// [`Timestamp::parse_rfc3339`]). `None` when it is not such a timestamp.
pub(crate) fn parse_rfc3339_micros(s: &str) -> Option<i64> {
    Timestamp::parse_rfc3339(s).map(Timestamp::as_unix_micros)
}

/// Formats microseconds since the epoch as RFC 3339 UTC with whole seconds
/// (`2024-01-02T03:04:05Z`).
pub(crate) fn format_rfc3339(micros: i64) -> String {
    Timestamp::from_unix_seconds(micros.div_euclid(1_000_000)).to_string()
}

/// Microseconds since the epoch of a [`SystemTime`] (negative before 1970, saturating).
pub(crate) fn system_time_micros(t: SystemTime) -> i64 {
    Timestamp::from_system_time(t).as_unix_micros()
}

/// The [`SystemTime`] of microseconds since the epoch.
pub(crate) fn micros_system_time(micros: i64) -> SystemTime {
    Timestamp::from_unix_micros(micros).to_system_time()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_whole_seconds_round_trip() {
        for s in [
            "2021-09-01T12:00:00Z",
            "1999-12-31T23:59:59Z",
            "2024-02-29T00:00:00Z",
        ] {
            assert_eq!(format_rfc3339(parse_rfc3339_micros(s).unwrap()), s);
        }
        // Fractions are dropped, never rounded up.
        let frac = parse_rfc3339_micros("2023-11-07T20:24:23.946863Z").unwrap();
        assert_eq!(format_rfc3339(frac), "2023-11-07T20:24:23Z");
    }

    proptest::proptest! {
        #[test]
        fn format_then_parse_is_identity(secs in -62_135_596_800i64..253_402_300_799i64) {
            let n = secs * 1_000_000;
            proptest::prop_assert_eq!(parse_rfc3339_micros(&format_rfc3339(n)), Some(n));
        }
    }
}
