//! A fast path for the one-token SRI strings that lockfiles hold by the thousand
//! (`sha512-<88 base64 characters>`), shared by the pnpm and yarn parsers.
//!
//! [`Hash::from_sri`] decodes through generic base64 and hex iterators; on a 3,860-package
//! lockfile that was a tenth of the parse. This decodes one canonical, padded token of a
//! known algorithm with lookup tables and gives exactly what `Hash::from_sri` gives; anything
//! else (several tokens, options, unpadded or non-canonical base64, an error) is handed to
//! `Hash::from_sri`, so results and error messages stay the same.

use chainward_types::{Hash, HashAlgorithm};

const fn decode_table() -> [u8; 256] {
    let mut t = [0xffu8; 256];
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut i = 0;
    while i < 64 {
        t[alphabet[i] as usize] = i as u8;
        i += 1;
    }
    t
}

static DECODE: [u8; 256] = decode_table();

const fn hex_table() -> [[u8; 2]; 256] {
    let digits = b"0123456789abcdef";
    let mut t = [[0u8; 2]; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = [digits[i >> 4], digits[i & 0xf]];
        i += 1;
    }
    t
}

static HEX: [[u8; 2]; 256] = hex_table();

/// Parses an SRI string as [`Hash::from_sri`] does.
#[cfg(test)]
fn parse(value: &str) -> Result<Vec<Hash>, String> {
    let mut out = Vec::new();
    parse_into(value, &mut out)?;
    Ok(out)
}

/// Parses an SRI string as [`Hash::from_sri`] does, appending the hashes to `out`.
pub(crate) fn parse_into(value: &str, out: &mut Vec<Hash>) -> Result<(), String> {
    match fast(value) {
        Some(h) => out.push(h),
        None => out.extend(Hash::from_sri(value)?),
    }
    Ok(())
}

fn fast(value: &str) -> Option<Hash> {
    let (alg, b64) = value.split_once('-')?;
    let algorithm = match alg {
        "sha512" => HashAlgorithm::Sha512,
        "sha384" => HashAlgorithm::Sha384,
        "sha256" => HashAlgorithm::Sha256,
        "sha1" => HashAlgorithm::Sha1,
        _ => return None,
    };
    let n = algorithm.digest_len();
    let b = b64.as_bytes();
    let groups = n.div_ceil(3);
    if b.len() != groups * 4 {
        return None;
    }
    let pad = 3 * groups - n; // 0, 1 or 2 `=`
    let d = |c: u8| -> Option<u32> {
        let v = DECODE[usize::from(c)];
        (v != 0xff).then_some(u32::from(v))
    };
    let mut hex = Vec::with_capacity(2 * n);
    let mut push = |byte: u32| hex.extend_from_slice(&HEX[(byte & 0xff) as usize]);
    let (full, last) = b.split_at(b.len() - 4);
    for g in full.chunks_exact(4) {
        let v = d(g[0])? << 18 | d(g[1])? << 12 | d(g[2])? << 6 | d(g[3])?;
        push(v >> 16);
        push(v >> 8);
        push(v);
    }
    match pad {
        0 => {
            let v = d(last[0])? << 18 | d(last[1])? << 12 | d(last[2])? << 6 | d(last[3])?;
            push(v >> 16);
            push(v >> 8);
            push(v);
        }
        1 => {
            if last[3] != b'=' {
                return None;
            }
            let v = d(last[0])? << 18 | d(last[1])? << 12 | d(last[2])? << 6;
            // Canonical encoding: the bits after the data are zero.
            if v & 0xff != 0 {
                return None;
            }
            push(v >> 16);
            push(v >> 8);
        }
        _ => {
            if last[2] != b'=' || last[3] != b'=' {
                return None;
            }
            let v = d(last[0])? << 18 | d(last[1])? << 12;
            if v & 0xffff != 0 {
                return None;
            }
            push(v >> 16);
        }
    }
    let hex = String::from_utf8(hex).ok()?;
    Some(Hash {
        algorithm,
        hex,
        artifact: None,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn agrees_with_from_sri_on_lockfile_values() {
        for v in [
            "sha512-quJQXlTSUGL2LH9SUXo8VwsY4soanhgo6LNSm84E1LBcE8s3O0wpdiRzyR9z/ZZJMlMWv37qOOb9pdJlMUEKFQ==",
            "sha1-nr23Y1rQmccNzEwqH1AEKI6L2SQ=",
            "sha256-aiblNEH7fhCX+gsZYWAAoDCpuWFW6xWg/iJoLP3xmtI=",
            "sha1-nr23Y1rQmccNzEwqH1AEKI6L2SR=",
            "sha512-abc",
            "sha1-2jmj7l5rSw0yVb/vlWAYkK/YBwk= sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=?x",
            "",
        ] {
            assert_eq!(parse(v), Hash::from_sri(v), "{v}");
        }
        assert!(fast("sha512-quJQXlTSUGL2LH9SUXo8VwsY4soanhgo6LNSm84E1LBcE8s3O0wpdiRzyR9z/ZZJMlMWv37qOOb9pdJlMUEKFQ==").is_some());
    }

    proptest! {
        #[test]
        fn agrees_with_from_sri(bytes in proptest::collection::vec(any::<u8>(), 0..70), alg in 0usize..4, tweak in any::<u8>()) {
            let algorithm = [HashAlgorithm::Sha1, HashAlgorithm::Sha256, HashAlgorithm::Sha384, HashAlgorithm::Sha512][alg];
            let mut sri = if bytes.len() >= algorithm.digest_len() {
                Hash::from_bytes(algorithm, &bytes[..algorithm.digest_len()]).unwrap().to_sri()
            } else {
                format!("{algorithm}-{}", String::from_utf8_lossy(&bytes))
            };
            prop_assert_eq!(parse(&sri), Hash::from_sri(&sri));
            // A changed character anywhere.
            if !sri.is_empty() {
                let i = usize::from(tweak) % sri.len();
                if sri.is_char_boundary(i) && sri.is_char_boundary(i + 1) {
                    sri.replace_range(i..=i, &char::from(b'!' + tweak % 90).to_string());
                    prop_assert_eq!(parse(&sri), Hash::from_sri(&sri));
                }
            }
        }
    }
}
