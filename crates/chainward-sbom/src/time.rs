//! UTC timestamps without a clock: seconds since the Unix epoch to RFC 3339.

/// The latest instant written: 9999-12-31T23:59:59Z (RFC 3339 has four-digit years).
const MAX_SECONDS: u64 = 253_402_300_799;

/// `YYYY-MM-DDThh:mm:ssZ` for `seconds` since 1970-01-01T00:00:00Z (clamped to year 9999).
pub(crate) fn rfc3339(seconds: u64) -> String {
    let seconds = i64::try_from(seconds.min(MAX_SECONDS)).unwrap_or(i64::MAX);
    chainward_types::Timestamp::from_unix_seconds(seconds).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_known_instants() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_700_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(rfc3339(4_107_542_399), "2100-02-28T23:59:59Z");
        assert_eq!(rfc3339(u64::MAX), "9999-12-31T23:59:59Z");
    }
}
