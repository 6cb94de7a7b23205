//! CycloneDX JSON: written as 1.5, 1.6 or 1.7; read from 1.4 to 1.7.
//!
//! Written: `metadata` (timestamp, chainward as a tool in the 1.5+ `{components}` form, the
//! root as an `application` component), every package as a `library` component (npm scope as
//! `group`, purl as `bom-ref` unless two packages share it, `scope` `excluded` for dev and
//! `optional` for optional packages, hashes, the origin as a `distribution` or `vcs` external
//! reference, install paths as `cdx:npm:package:path` properties and `evidence.occurrences`),
//! and a `dependencies` entry for the root (its direct dependencies) and for every component.

mod read;
mod write;

pub(crate) use read::parse;
pub(crate) use write::write;
