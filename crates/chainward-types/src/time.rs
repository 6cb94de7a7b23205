//! [`Timestamp`]: microseconds since the Unix epoch, UTC, with RFC 3339 parsing and
//! formatting. The one civil-date implementation of the workspace: OSV `modified` times
//! (advisory), snapshot times (store) and SBOM timestamps all go through it.

use std::fmt;
use std::str::FromStr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

/// A point in time: microseconds since 1970-01-01T00:00:00Z. Orders correctly and covers
/// years 1 to 9999.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Timestamp(i64);

impl Timestamp {
    /// From microseconds since the Unix epoch.
    pub const fn from_unix_micros(micros: i64) -> Self {
        Self(micros)
    }

    /// From whole seconds since the Unix epoch (saturating).
    pub const fn from_unix_seconds(secs: i64) -> Self {
        Self(secs.saturating_mul(1_000_000))
    }

    /// Microseconds since the Unix epoch.
    pub const fn as_unix_micros(self) -> i64 {
        self.0
    }

    /// The current time.
    pub fn now() -> Self {
        Self::from_system_time(SystemTime::now())
    }

    /// From a [`SystemTime`] (saturating outside the representable range).
    pub fn from_system_time(t: SystemTime) -> Self {
        Self(match t.duration_since(UNIX_EPOCH) {
            Ok(d) => i64::try_from(d.as_micros()).unwrap_or(i64::MAX),
            Err(e) => i64::try_from(e.duration().as_micros()).map_or(i64::MIN, |n| -n),
        })
    }

    /// As a [`SystemTime`].
    pub fn to_system_time(self) -> SystemTime {
        let d = Duration::from_micros(self.0.unsigned_abs());
        if self.0 >= 0 {
            UNIX_EPOCH + d
        } else {
            UNIX_EPOCH - d
        }
    }

    /// Parses an RFC 3339 date-time (`2024-01-02T03:04:05.678Z`, `2024-01-02T03:04:05+02:00`;
    /// lower-case `t`/`z` and a space separator are accepted, a missing zone is UTC) or a bare
    /// date (`2024-01-02`, midnight UTC). `None` when it is neither.
    pub fn parse_rfc3339(s: &str) -> Option<Self> {
        parse_rfc3339_micros(s).map(Self)
    }
}

/// RFC 3339 in UTC: `2024-01-02T03:04:05Z`, with microseconds when there are any
/// (`2024-01-02T03:04:05.000123Z`), so that parsing the output gives the same time back.
impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secs = self.0.div_euclid(1_000_000);
        let micros = self.0.rem_euclid(1_000_000);
        let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
        let rem = secs.rem_euclid(86_400);
        write!(
            f,
            "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}",
            rem / 3600,
            rem % 3600 / 60,
            rem % 60
        )?;
        if micros != 0 {
            write!(f, ".{micros:06}")?;
        }
        f.write_str("Z")
    }
}

/// The error of parsing a [`Timestamp`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not an RFC 3339 time (such as 2024-01-02T03:04:05Z) or a date (2024-01-02)")]
pub struct TimestampError(pub String);

impl FromStr for Timestamp {
    type Err = TimestampError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse_rfc3339(s).ok_or_else(|| TimestampError(s.to_owned()))
    }
}

/// Microseconds since the Unix epoch for an RFC 3339 date-time or a bare date (see
/// [`Timestamp::parse_rfc3339`]).
fn parse_rfc3339_micros(s: &str) -> Option<i64> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_rfc3339_with_offsets_and_fractions() {
        let whole = Timestamp::parse_rfc3339("2023-11-07T20:24:23Z").unwrap();
        let frac = Timestamp::parse_rfc3339("2023-11-07T20:24:23.946863Z").unwrap();
        assert_eq!(frac.as_unix_micros() - whole.as_unix_micros(), 946_863);
        assert_eq!(
            Timestamp::parse_rfc3339("2024-01-01T02:00:00+02:00"),
            Timestamp::parse_rfc3339("2024-01-01T00:00:00Z")
        );
        assert_eq!(
            Timestamp::parse_rfc3339("1970-01-01"),
            Some(Timestamp::from_unix_micros(0))
        );
        assert_eq!(Timestamp::parse_rfc3339("2024-02-30T00:00:00Z"), None);
        assert!("yesterday".parse::<Timestamp>().is_err());
        // OSV records carry extreme times: year 1, and nanoseconds.
        assert!(
            Timestamp::parse_rfc3339("0001-01-01T00:00:00Z")
                .unwrap()
                .as_unix_micros()
                < 0
        );
        assert!(Timestamp::parse_rfc3339("9999-12-31T23:59:59.999999999Z").is_some());
        assert_eq!(Timestamp::parse_rfc3339("2024-01-01T00:00:00Zjunk"), None);
    }

    #[test]
    fn displays_microseconds_only_when_present() {
        let t = Timestamp::parse_rfc3339("2021-09-01T12:00:00Z").unwrap();
        assert_eq!(t.to_string(), "2021-09-01T12:00:00Z");
        let t = Timestamp::from_unix_micros(t.as_unix_micros() + 123);
        assert_eq!(t.to_string(), "2021-09-01T12:00:00.000123Z");
    }

    proptest::proptest! {
        #[test]
        fn display_then_parse_is_identity(n in -62_135_596_800_000_000i64..253_402_300_799_999_999i64) {
            let t = Timestamp::from_unix_micros(n);
            proptest::prop_assert_eq!(Timestamp::parse_rfc3339(&t.to_string()), Some(t));
        }

        #[test]
        fn parse_never_panics(s in "\\PC*") {
            let _ = Timestamp::parse_rfc3339(&s);
        }
    }
}
