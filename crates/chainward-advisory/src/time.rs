//! RFC 3339 timestamps: parsing OSV's `modified`/`published`, formatting our own.
//!
//! OSV timestamps are RFC 3339 in UTC, but real records vary (`Z` or an offset, fractional
//! seconds or none), so they cannot be compared as strings. They are turned into
//! microseconds since the Unix epoch, which order correctly and cover years 1 to 9999 in an
//! SQLite `INTEGER` (records with `modified: 0001-01-01T00:00:00Z` exist).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Microseconds since the Unix epoch for an RFC 3339 date-time (`2024-01-02T03:04:05.678Z`,
/// `2024-01-02T03:04:05+02:00`, lower-case `t`/`z` and a space separator are accepted).
/// A bare date (`2024-01-02`) is read as midnight UTC. `None` when it is not such a timestamp.
pub(crate) fn parse_rfc3339_micros(s: &str) -> Option<i64> {
    let s = s.trim();
    let b = s.as_bytes();
    if b.len() < 10 {
        return None;
    }
    let year = digits(b, 0, 4)?;
    if b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let month = digits(b, 5, 2)?;
    let day = digits(b, 8, 2)?;
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    let days = days_from_civil(year, month, day);
    if b.len() == 10 {
        return days.checked_mul(86_400_000_000);
    }
    if !matches!(b[10], b'T' | b't' | b' ') || b.len() < 19 {
        return None;
    }
    let hour = digits(b, 11, 2)?;
    let minute = digits(b, 14, 2)?;
    let second = digits(b, 17, 2)?;
    if b[13] != b':' || b[16] != b':' || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let mut i = 19;
    let mut micros: i64 = 0;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        let mut scale = 100_000;
        while i < b.len() && b[i].is_ascii_digit() {
            micros += i64::from(b[i] - b'0') * scale;
            scale /= 10;
            i += 1;
        }
        if i == start {
            return None;
        }
    }
    let offset_secs: i64 = match b.get(i) {
        Some(b'Z' | b'z') if i + 1 == b.len() => 0,
        Some(sign @ (b'+' | b'-')) if i + 6 == b.len() && b[i + 3] == b':' => {
            let oh = digits(b, i + 1, 2)?;
            let om = digits(b, i + 4, 2)?;
            if oh > 23 || om > 59 {
                return None;
            }
            let off = oh * 3600 + om * 60;
            if *sign == b'-' { -off } else { off }
        }
        // OSV requires a zone, but a few producers omit it: read such a time as UTC.
        None => 0,
        _ => return None,
    };
    let secs = days * 86_400 + hour * 3600 + minute * 60 + second - offset_secs;
    secs.checked_mul(1_000_000)?.checked_add(micros)
}

fn digits(b: &[u8], start: usize, len: usize) -> Option<i64> {
    let slice = b.get(start..start + len)?;
    let mut v: i64 = 0;
    for &c in slice {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v * 10 + i64::from(c - b'0');
    }
    Some(v)
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// Formats microseconds since the epoch as RFC 3339 UTC with whole seconds
/// (`2024-01-02T03:04:05Z`).
pub(crate) fn format_rfc3339(micros: i64) -> String {
    let secs = micros.div_euclid(1_000_000);
    let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
    let rem = secs.rem_euclid(86_400);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Microseconds since the epoch of a [`SystemTime`] (negative before 1970, saturating).
pub(crate) fn system_time_micros(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_micros()).unwrap_or(i64::MAX),
        Err(e) => i64::try_from(e.duration().as_micros()).map_or(i64::MIN, |n| -n),
    }
}

/// The [`SystemTime`] of microseconds since the epoch.
pub(crate) fn micros_system_time(micros: i64) -> SystemTime {
    let d = Duration::from_micros(micros.unsigned_abs());
    if micros >= 0 {
        UNIX_EPOCH + d
    } else {
        UNIX_EPOCH - d
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_osv_timestamps_and_orders_fractions_correctly() {
        let whole = parse_rfc3339_micros("2023-11-07T20:24:23Z").unwrap();
        let frac = parse_rfc3339_micros("2023-11-07T20:24:23.946863Z").unwrap();
        assert!(frac > whole);
        assert_eq!(frac - whole, 946_863);
        assert!(parse_rfc3339_micros("0001-01-01T00:00:00Z").unwrap() < 0);
        assert!(parse_rfc3339_micros("9999-12-31T23:59:59.999999999Z").is_some());
        assert_eq!(parse_rfc3339_micros("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(
            parse_rfc3339_micros("2024-01-01T02:00:00+02:00"),
            parse_rfc3339_micros("2024-01-01T00:00:00Z")
        );
        assert_eq!(parse_rfc3339_micros("2024-02-30T00:00:00Z"), None);
        assert_eq!(parse_rfc3339_micros("yesterday"), None);
        assert_eq!(parse_rfc3339_micros("2024-01-01T00:00:00Zjunk"), None);
    }

    #[test]
    fn formats_round_trip() {
        for s in [
            "2021-09-01T12:00:00Z",
            "1999-12-31T23:59:59Z",
            "2024-02-29T00:00:00Z",
        ] {
            assert_eq!(format_rfc3339(parse_rfc3339_micros(s).unwrap()), s);
        }
    }

    proptest::proptest! {
        #[test]
        fn never_panics(s in "\\PC*") {
            let _ = parse_rfc3339_micros(&s);
        }

        #[test]
        fn format_then_parse_is_identity(secs in -62_135_596_800i64..253_402_300_799i64) {
            let n = secs * 1_000_000;
            proptest::prop_assert_eq!(parse_rfc3339_micros(&format_rfc3339(n)), Some(n));
        }
    }
}
