//! Unsigned integers of any size, compared without overflow.

use std::cmp::Ordering;
use std::fmt;

/// A non-negative integer of any size, as written in a version component.
///
/// Values that fit in a `u64` are stored inline; larger ones keep their decimal digits (without
/// leading zeros). The representation is canonical, so the derived `Eq` and `Hash` are exact.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Num {
    /// A value up to `u64::MAX`.
    Small(u64),
    /// A value above `u64::MAX`: its decimal digits, with no leading zero.
    Big(Box<str>),
}

impl Num {
    /// Zero.
    pub(crate) const ZERO: Self = Self::Small(0);

    /// Parses a non-empty run of ASCII digits. Callers guarantee the input; anything else
    /// yields a (wrong but harmless) value rather than a panic.
    pub(crate) fn from_digits(digits: &str) -> Self {
        let bytes = digits.as_bytes();
        let start = bytes.iter().position(|&b| b != b'0').unwrap_or(bytes.len());
        let significant = &bytes[start..];
        let mut value: u64 = 0;
        if significant.len() <= 19 {
            // 19 digits always fit in a u64.
            for &b in significant {
                value = value * 10 + u64::from(b.wrapping_sub(b'0') % 10);
            }
            return Self::Small(value);
        }
        for &b in significant {
            match value
                .checked_mul(10)
                .and_then(|v| v.checked_add(u64::from(b.wrapping_sub(b'0') % 10)))
            {
                Some(v) => value = v,
                None => return Self::Big(String::from_utf8_lossy(significant).into()),
            }
        }
        Self::Small(value)
    }

    /// True for zero.
    pub(crate) fn is_zero(&self) -> bool {
        matches!(self, Self::Small(0))
    }

    /// This value plus one.
    pub(crate) fn succ(&self) -> Self {
        match self {
            Self::Small(v) => match v.checked_add(1) {
                Some(next) => Self::Small(next),
                None => Self::Big("18446744073709551616".into()),
            },
            Self::Big(digits) => {
                let mut bytes = digits.as_bytes().to_vec();
                let mut i = bytes.len();
                loop {
                    if i == 0 {
                        bytes.insert(0, b'1');
                        break;
                    }
                    i -= 1;
                    if bytes[i] == b'9' {
                        bytes[i] = b'0';
                    } else {
                        bytes[i] += 1;
                        break;
                    }
                }
                Self::Big(String::from_utf8_lossy(&bytes).into())
            }
        }
    }
}

impl Ord for Num {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            (Self::Small(a), Self::Small(b)) => a.cmp(b),
            (Self::Small(_), Self::Big(_)) => Ordering::Less,
            (Self::Big(_), Self::Small(_)) => Ordering::Greater,
            (Self::Big(a), Self::Big(b)) => a.len().cmp(&b.len()).then_with(|| a.cmp(b)),
        }
    }
}

impl PartialOrd for Num {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Num {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Small(v) => write!(f, "{v}"),
            Self::Big(digits) => f.write_str(digits),
        }
    }
}

/// Compares two non-empty runs of ASCII digits numerically, without allocating.
pub(crate) fn cmp_digits(a: &[u8], b: &[u8]) -> Ordering {
    let a = &a[a.iter().position(|&c| c != b'0').unwrap_or(a.len())..];
    let b = &b[b.iter().position(|&c| c != b'0').unwrap_or(b.len())..];
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

/// True when `s` is a non-empty run of ASCII digits.
pub(crate) fn is_digits(s: &[u8]) -> bool {
    !s.is_empty() && s.iter().all(u8::is_ascii_digit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_small_and_big_numbers() {
        assert_eq!(Num::from_digits("0"), Num::ZERO);
        assert_eq!(Num::from_digits("000"), Num::ZERO);
        assert_eq!(Num::from_digits("0042"), Num::Small(42));
        assert_eq!(
            Num::from_digits("18446744073709551615"),
            Num::Small(u64::MAX)
        );
        assert_eq!(
            Num::from_digits("18446744073709551616"),
            Num::Big("18446744073709551616".into())
        );
        assert_eq!(
            Num::from_digits("00018446744073709551616"),
            Num::Big("18446744073709551616".into())
        );
    }

    #[test]
    fn compares_big_numbers_by_value() {
        let a = Num::from_digits("999999999999999999999999999991");
        let b = Num::from_digits("999999999999999999999999999999");
        assert!(a < b);
        assert!(Num::Small(u64::MAX) < Num::from_digits("18446744073709551616"));
        assert_eq!(
            cmp_digits(b"0010", b"9"),
            Ordering::Greater,
            "leading zeros do not count"
        );
    }

    #[test]
    fn successor_carries() {
        assert_eq!(Num::Small(1).succ(), Num::Small(2));
        assert_eq!(
            Num::Small(u64::MAX).succ(),
            Num::from_digits("18446744073709551616")
        );
        assert_eq!(
            Num::from_digits("99999999999999999999999").succ(),
            Num::from_digits("100000000000000000000000")
        );
    }
}
