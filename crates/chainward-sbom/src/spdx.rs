//! SPDX 2.3 JSON: written as 2.3; read from 2.2 and 2.3.
//!
//! Written: the document (`SPDXRef-DOCUMENT`, CC0-1.0 data licence, a content-derived
//! namespace, `Tool: chainward-<version>` as creator), the root package it `DESCRIBES`, and
//! every package with its purl (`PACKAGE-MANAGER` external reference), checksums, download
//! location (`NOASSERTION` when unknown, `NONE` for local paths, `git+URL@commit` for git),
//! `filesAnalyzed: false`, licences `NOASSERTION`. Edges are relationships: `A DEPENDS_ON B`,
//! or `B DEV_DEPENDENCY_OF A` / `B OPTIONAL_DEPENDENCY_OF A` when B is a dev / optional
//! package; the root's edges go to its direct dependencies.

mod read;
mod write;

pub(crate) use read::parse;
pub(crate) use write::write;

/// The document's own SPDX ID.
const DOCUMENT_ID: &str = "SPDXRef-DOCUMENT";
