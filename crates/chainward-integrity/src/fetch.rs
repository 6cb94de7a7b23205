//! Downloading archives that a cache does not hold (online only).

/// Downloads one URL into memory, bounded.
pub trait Fetch: Send + Sync {
    /// Fetches `url`; fails when the body exceeds `max_bytes`.
    fn fetch(&self, url: &str, max_bytes: u64) -> Result<Vec<u8>, String>;
}
