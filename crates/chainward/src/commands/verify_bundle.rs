//! `chainward verify-bundle BUNDLE (--artifact FILE | --digest ALG:HEX)`: one Sigstore bundle,
//! verified offline against a trusted root. Exit 0 verified, 1 not verified (the reason on
//! stderr), 2 the inputs could not be read.

use anyhow::Context as _;
use chainward_cli::{GlobalArgs, VerifyBundleArgs};
use chainward_provenance::bundle::public_key_from_pem;
use chainward_provenance::{ArtifactInput, BundleVerifier as _, IdentityRule, Policy};

use super::provenance::load_verifier;
use crate::ExitStatus;
use crate::printer::Printer;

pub(crate) fn run(
    global: &GlobalArgs,
    args: &VerifyBundleArgs,
    printer: &Printer,
) -> anyhow::Result<ExitStatus> {
    let bundle = fs_err::read(&args.bundle)?;
    let artifact_bytes;
    let artifact = if let Some(path) = &args.artifact {
        artifact_bytes = fs_err::read(path)?;
        ArtifactInput::Bytes(&artifact_bytes)
    } else {
        parse_digest(args.digest.as_deref().unwrap_or_default())?
    };
    let policy = if let Some(key) = &args.key {
        // A key file that is not a PEM public key can verify nothing: that is a failed
        // verification (as sigstore-conformance counts it), reported like any other.
        match public_key_from_pem(&fs_err::read_to_string(key)?) {
            Ok(der) => Policy::PublicKey(der),
            Err(e) => return Ok(not_verified(printer, &format!("{}: {e}", key.display()))),
        }
    } else {
        let identity = match (&args.certificate_identity, &args.certificate_identity_regex) {
            (Some(exact), _) => Some(IdentityRule::Exact(exact.clone())),
            (None, Some(re)) => Some(IdentityRule::Regex(regex::Regex::new(re).with_context(
                || format!("--certificate-identity-regex `{re}` is not a regular expression"),
            )?)),
            (None, None) => None,
        };
        Policy::Keyless {
            identity,
            issuer: args.certificate_oidc_issuer.clone(),
        }
    };
    let verifier = match load_verifier(global, args.trusted_root.as_deref()) {
        Ok(v) => v,
        // A trusted root that cannot be used verifies nothing (an invalid root is one of the
        // conformance cases that must fail, not crash).
        Err(e) => return Ok(not_verified(printer, &format!("{e:#}"))),
    };
    match verifier.verify(&bundle, artifact, &policy) {
        Ok(verified) => {
            let who = match (&verified.identity, &verified.issuer) {
                (Some(id), Some(issuer)) => format!(" signed by {id} ({issuer})"),
                (Some(id), None) => format!(" signed by {id}"),
                _ if matches!(policy, Policy::PublicKey(_)) => {
                    " signed by the given key".to_owned()
                }
                _ => String::new(),
            };
            printer.result(|w| writeln!(w, "OK: {}{who}", args.bundle.display()))?;
            if matches!(policy, Policy::Keyless { identity: None, .. }) {
                printer.warn(
                    "no --certificate-identity given: the signature verified, but not who signed it",
                );
            }
            Ok(ExitStatus::Ok)
        }
        Err(e) => Ok(not_verified(printer, &e.to_string())),
    }
}

fn not_verified(printer: &Printer, why: &str) -> ExitStatus {
    printer.error(&format!("not verified: {why}"));
    ExitStatus::Failure
}

/// `sha256:HEX` or `sha512:HEX`.
fn parse_digest(s: &str) -> anyhow::Result<ArtifactInput<'static>> {
    let (alg, hex_digest) = s
        .split_once(':')
        .with_context(|| format!("--digest `{s}` is not ALG:HEX (e.g. sha256:ab12...)"))?;
    let bytes = hex::decode(hex_digest.trim())
        .with_context(|| format!("--digest `{s}`: the digest is not hex"))?;
    let wrong = |n: usize| anyhow::anyhow!("--digest `{s}`: {alg} needs {n} hex digits");
    match alg.to_ascii_lowercase().as_str() {
        "sha256" => Ok(ArtifactInput::Sha256(
            bytes.try_into().map_err(|_| wrong(64))?,
        )),
        "sha512" => Ok(ArtifactInput::Sha512(
            bytes.try_into().map_err(|_| wrong(128))?,
        )),
        other => anyhow::bail!("--digest `{s}`: unsupported algorithm {other} (sha256, sha512)"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_need_a_known_algorithm_and_length() {
        assert!(matches!(
            parse_digest(&format!("sha256:{}", "ab".repeat(32))),
            Ok(ArtifactInput::Sha256(_))
        ));
        assert!(matches!(
            parse_digest(&format!("SHA512:{}", "ab".repeat(64))),
            Ok(ArtifactInput::Sha512(_))
        ));
        assert!(parse_digest("sha256:abcd").is_err());
        assert!(parse_digest("md5:abcd").is_err());
        assert!(parse_digest("abcd").is_err());
    }
}
