//! Streaming hashes of files and readers, in the algorithms lockfiles use.

use std::io::{self, Read};
use std::path::Path;

use chainward_types::{Hash, HashAlgorithm};
use sha2::Digest as _;

/// A running hash in one of the supported algorithms.
#[derive(Clone)]
pub enum Hasher {
    /// SHA-1.
    Sha1(sha1::Sha1),
    /// SHA-256.
    Sha256(sha2::Sha256),
    /// SHA-384.
    Sha384(sha2::Sha384),
    /// SHA-512.
    Sha512(sha2::Sha512),
}

impl Hasher {
    /// A hasher for `algorithm`, or `None` for algorithms we do not compute (MD5, SHA-224,
    /// BLAKE2b): a hash we cannot compute is reported as unchecked, never as a pass.
    pub fn new(algorithm: HashAlgorithm) -> Option<Self> {
        Some(match algorithm {
            HashAlgorithm::Sha1 => Self::Sha1(sha1::Sha1::new()),
            HashAlgorithm::Sha256 => Self::Sha256(sha2::Sha256::new()),
            HashAlgorithm::Sha384 => Self::Sha384(sha2::Sha384::new()),
            HashAlgorithm::Sha512 => Self::Sha512(sha2::Sha512::new()),
            _ => return None,
        })
    }

    /// Feeds bytes.
    pub fn update(&mut self, bytes: &[u8]) {
        match self {
            Self::Sha1(h) => h.update(bytes),
            Self::Sha256(h) => h.update(bytes),
            Self::Sha384(h) => h.update(bytes),
            Self::Sha512(h) => h.update(bytes),
        }
    }

    /// The algorithm.
    pub fn algorithm(&self) -> HashAlgorithm {
        match self {
            Self::Sha1(_) => HashAlgorithm::Sha1,
            Self::Sha256(_) => HashAlgorithm::Sha256,
            Self::Sha384(_) => HashAlgorithm::Sha384,
            Self::Sha512(_) => HashAlgorithm::Sha512,
        }
    }

    /// The finished hash.
    pub fn finish(self) -> Hash {
        let algorithm = self.algorithm();
        let bytes: Vec<u8> = match self {
            Self::Sha1(h) => h.finalize().to_vec(),
            Self::Sha256(h) => h.finalize().to_vec(),
            Self::Sha384(h) => h.finalize().to_vec(),
            Self::Sha512(h) => h.finalize().to_vec(),
        };
        Hash {
            algorithm,
            hex: hex::encode(bytes),
            artifact: None,
        }
    }
}

/// Hashes everything `reader` yields; returns the hash and the byte count. `None` when the
/// algorithm is not one we compute.
pub fn hash_reader(
    algorithm: HashAlgorithm,
    mut reader: impl Read,
) -> io::Result<Option<(Hash, u64)>> {
    let Some(mut hasher) = Hasher::new(algorithm) else {
        return Ok(None);
    };
    let mut buf = vec![0u8; 256 * 1024];
    let mut total = 0u64;
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        hasher.update(&buf[..n]);
        total += n as u64;
    }
    Ok(Some((hasher.finish(), total)))
}

/// Hashes a file.
pub fn hash_file(algorithm: HashAlgorithm, path: &Path) -> io::Result<Option<(Hash, u64)>> {
    hash_reader(algorithm, fs_err::File::open(path)?)
}

/// True when two hashes of the same algorithm have equal digests (ignoring `artifact`).
pub fn same_digest(a: &Hash, b: &Hash) -> bool {
    a.algorithm == b.algorithm && a.hex.eq_ignore_ascii_case(&b.hex)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_known_vectors() {
        let (h, n) = hash_reader(HashAlgorithm::Sha256, &b"abc"[..])
            .unwrap()
            .unwrap();
        assert_eq!(n, 3);
        assert_eq!(
            h.hex,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        let (h, _) = hash_reader(HashAlgorithm::Sha1, &b"abc"[..])
            .unwrap()
            .unwrap();
        assert_eq!(h.hex, "a9993e364706816aba3e25717850c26c9cd0d89d");
        assert!(
            hash_reader(HashAlgorithm::Md5, &b"abc"[..])
                .unwrap()
                .is_none()
        );
    }
}
