use std::fmt;

use base64::Engine as _;
use serde::{Deserialize, Serialize};

/// A hash algorithm, named as OSV, CycloneDX and SPDX readers expect it in lowercase.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HashAlgorithm {
    /// MD5 (legacy; some Python indexes still publish it).
    Md5,
    /// SHA-1 (legacy npm `shasum`, old `integrity` values).
    Sha1,
    /// SHA-224.
    Sha224,
    /// SHA-256 (Cargo checksums, Python wheels, pnpm git tarballs).
    Sha256,
    /// SHA-384.
    Sha384,
    /// SHA-512 (npm `integrity`, yarn berry cache checksums).
    Sha512,
    /// BLAKE2b with a 256-bit digest (some Python RECORD files).
    #[serde(rename = "blake2b-256")]
    Blake2b256,
}

impl HashAlgorithm {
    /// The lowercase name used in JSON and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Md5 => "md5",
            Self::Sha1 => "sha1",
            Self::Sha224 => "sha224",
            Self::Sha256 => "sha256",
            Self::Sha384 => "sha384",
            Self::Sha512 => "sha512",
            Self::Blake2b256 => "blake2b-256",
        }
    }

    /// Parses an algorithm name as written in lockfiles (`sha512`, `SHA-256`, `sha256`, ...).
    pub fn from_name(name: &str) -> Option<Self> {
        // Compare without allocating: lowercase, separators dropped, at most 10 bytes.
        let mut buf = [0u8; 10];
        let mut len = 0;
        for b in name.bytes().filter(|b| !matches!(b, b'-' | b'_')) {
            if len == buf.len() {
                return None;
            }
            buf[len] = b.to_ascii_lowercase();
            len += 1;
        }
        Some(match &buf[..len] {
            b"md5" => Self::Md5,
            b"sha1" => Self::Sha1,
            b"sha224" => Self::Sha224,
            b"sha256" => Self::Sha256,
            b"sha384" => Self::Sha384,
            b"sha512" => Self::Sha512,
            b"blake2b256" => Self::Blake2b256,
            _ => return None,
        })
    }

    /// The digest length in bytes.
    pub fn digest_len(self) -> usize {
        match self {
            Self::Md5 => 16,
            Self::Sha1 => 20,
            Self::Sha224 => 28,
            Self::Sha256 | Self::Blake2b256 => 32,
            Self::Sha384 => 48,
            Self::Sha512 => 64,
        }
    }
}

impl fmt::Display for HashAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Lowercase hex of `bytes`, through a lookup table (this runs once per locked package).
fn to_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = Vec::with_capacity(bytes.len() * 2);
    for &b in bytes {
        out.push(DIGITS[usize::from(b >> 4)]);
        out.push(DIGITS[usize::from(b & 0x0f)]);
    }
    // Only ASCII digits were pushed.
    String::from_utf8(out).unwrap_or_default()
}

/// One recorded hash: the algorithm and the digest as lowercase hex.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Hash {
    /// The algorithm.
    pub algorithm: HashAlgorithm,
    /// The digest, lowercase hex.
    pub hex: String,
    /// What was hashed, where it is not the package's ordinary archive: a file name (one
    /// wheel of several) or a description such as `yarn-cache-zip:10c0` for yarn berry's
    /// checksums of its own cache archives.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact: Option<String>,
}

impl Hash {
    /// A hash from an algorithm and hex digest; the hex is validated (length and digits) and
    /// lowercased.
    pub fn from_hex(algorithm: HashAlgorithm, hex: &str) -> Result<Self, String> {
        let hex = hex.trim();
        if hex.len() != algorithm.digest_len() * 2 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(format!(
                "`{hex}` is not a {algorithm} digest ({} hex digits expected)",
                algorithm.digest_len() * 2
            ));
        }
        Ok(Self {
            algorithm,
            hex: hex.to_ascii_lowercase(),
            artifact: None,
        })
    }

    /// A hash from an algorithm and raw digest bytes.
    pub fn from_bytes(algorithm: HashAlgorithm, bytes: &[u8]) -> Result<Self, String> {
        if bytes.len() != algorithm.digest_len() {
            return Err(format!(
                "{} bytes is not a {algorithm} digest ({} expected)",
                bytes.len(),
                algorithm.digest_len()
            ));
        }
        Ok(Self {
            algorithm,
            hex: to_hex(bytes),
            artifact: None,
        })
    }

    /// `algorithm:hex` form as used by pip (`sha256:abcd...`) and uv.
    pub fn from_prefixed(value: &str) -> Result<Self, String> {
        let (alg, hex) = value
            .split_once([':', '='])
            .ok_or_else(|| format!("`{value}` is not of the form algorithm:hex"))?;
        let algorithm = HashAlgorithm::from_name(alg)
            .ok_or_else(|| format!("unknown hash algorithm `{alg}` in `{value}`"))?;
        Self::from_hex(algorithm, hex)
    }

    /// Parses a Subresource Integrity string (`sha512-BASE64 sha1-BASE64?opt`), as npm,
    /// yarn and pnpm write it. Every well-formed token of a known algorithm is returned;
    /// an empty string gives no hashes; a malformed token is an error.
    pub fn from_sri(value: &str) -> Result<Vec<Self>, String> {
        let mut out = Vec::new();
        for token in value.split_ascii_whitespace() {
            let (alg, rest) = token
                .split_once('-')
                .ok_or_else(|| format!("`{token}` is not an SRI hash (algorithm-base64)"))?;
            let algorithm = HashAlgorithm::from_name(alg)
                .ok_or_else(|| format!("unknown SRI hash algorithm `{alg}`"))?;
            let b64 = rest.split('?').next().unwrap_or(rest);
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(b64)
                .or_else(|_| base64::engine::general_purpose::STANDARD_NO_PAD.decode(b64))
                .map_err(|e| format!("`{token}` has invalid base64: {e}"))?;
            out.push(Self::from_bytes(algorithm, &bytes)?);
        }
        Ok(out)
    }

    /// This hash as an SRI token (`sha512-BASE64`).
    pub fn to_sri(&self) -> String {
        let bytes = hex::decode(&self.hex).unwrap_or_default();
        format!(
            "{}-{}",
            self.algorithm,
            base64::engine::general_purpose::STANDARD.encode(bytes)
        )
    }

    /// Sets [`Hash::artifact`].
    #[must_use]
    pub fn with_artifact(mut self, artifact: impl Into<String>) -> Self {
        self.artifact = Some(artifact.into());
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_npm_integrity() {
        let h = Hash::from_sri("sha512-vZnK4JE3p0GRhKsNvnnJmUtvwhKMyNJhvQlCpUspYUD8gKxpK+8Vp8tx5eUt1fU1r3fVWSFe5BTRBhi4ZH0yNg==").unwrap();
        assert_eq!(h.len(), 1);
        assert_eq!(h[0].algorithm, HashAlgorithm::Sha512);
        assert_eq!(h[0].hex.len(), 128);
    }

    #[test]
    fn parses_multiple_sri_tokens_and_options() {
        let h = Hash::from_sri("sha1-2jmj7l5rSw0yVb/vlWAYkK/YBwk= sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=?x").unwrap();
        assert_eq!(h.len(), 2);
        assert_eq!(h[0].hex, "da39a3ee5e6b4b0d3255bfef95601890afd80709");
    }

    #[test]
    fn rejects_bad_sri() {
        assert!(Hash::from_sri("sha512-!!!").is_err());
        assert!(Hash::from_sri("md4-AAAA").is_err());
        assert!(Hash::from_sri("sha1-AAAA").is_err(), "wrong length");
    }

    #[test]
    fn parses_prefixed_hashes() {
        let h = Hash::from_prefixed(
            "sha256:E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855",
        )
        .unwrap();
        assert_eq!(
            h.hex,
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert!(Hash::from_prefixed("sha256:abc").is_err());
    }

    proptest! {
        #[test]
        fn sri_round_trips(bytes in proptest::collection::vec(any::<u8>(), 64)) {
            let h = Hash::from_bytes(HashAlgorithm::Sha512, &bytes).unwrap();
            let back = Hash::from_sri(&h.to_sri()).unwrap();
            prop_assert_eq!(back, vec![h]);
        }

        #[test]
        fn sri_parser_never_panics(s in "\\PC*") {
            let _ = Hash::from_sri(&s);
            let _ = Hash::from_prefixed(&s);
        }
    }
}
