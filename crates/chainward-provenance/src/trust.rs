//! The trust material chainward ships: a snapshot of the Sigstore public-good trusted root and
//! of the npm registry's signing keys, as npm itself ships them (the seeds of `@sigstore/tuf`
//! in npm 11.19.1), and the Sigstore TUF root ([`crate::tuf::SIGSTORE_TUF_ROOT`]) from which
//! `chainward provenance update-trust` fetches newer ones into `trust/` under chainward's home.
//! The trusted root can also be given as a file (`--trusted-root`); the registry keys come from
//! the registry's own `/-/npm/v1/keys` when online (cached for offline use), else from `trust/`,
//! else from this snapshot.

/// The Sigstore public-good trusted root (Fulcio CAs, Rekor v1 and v2 logs, CT logs, TSAs).
pub const TRUSTED_ROOT_JSON: &str = include_str!("../trust/trusted_root.json");

/// The npm registry signing keys, in the TUF `keys.json` format.
pub const NPM_KEYS_JSON: &str = include_str!("../trust/npm-keys.json");

/// Where the embedded snapshot came from, for reports.
pub const SNAPSHOT_SOURCE: &str = "npm 11.19.1 @sigstore/tuf 4.0.2 seeds";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_material_loads() {
        crate::SigstoreVerifier::from_trusted_root_json(TRUSTED_ROOT_JSON).expect("root loads");
        let keys = crate::registry_keys::RegistryKeys::from_json(NPM_KEYS_JSON.as_bytes())
            .expect("keys load");
        assert_eq!(keys.keys().len(), 2);
    }
}
