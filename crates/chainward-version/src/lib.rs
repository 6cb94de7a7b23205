//! Per-ecosystem version semantics and OSV range evaluation.
//!
//! - [`SemVer`]: SemVer 2.0 precedence for npm, crates.io and OSV `SEMVER` ranges, parsed
//!   leniently (`v1.2.3`, `1.2`, numbers of any size).
//! - [`Pep440Version`]: PEP 440 for PyPI, with `packaging`'s normalisation and ordering, and
//!   pip's historical ordering for legacy (non-PEP 440) strings.
//! - [`Scheme`] and [`Version`]: the two behind one enum, chosen by [`Ecosystem`].
//! - [`osv`]: OSV `affected` objects and their evaluation ([`is_affected`], [`assess`]).
//! - [`parse_range`] and [`VersionReq`]: npm ranges, Cargo requirements and PEP 440
//!   specifier sets, for queries such as `npm:chalk@>=5.6.0 <5.6.2`.
//!
//! ```
//! use chainward_version::osv::Affected;
//! use chainward_version::{Ecosystem, Scheme, assess, is_affected, parse_range};
//!
//! // Versions compare by their ecosystem's rules.
//! assert_eq!(Scheme::Pep440.parse("1.0")?, Scheme::Pep440.parse("v1.0.0")?);
//! assert!(Scheme::Semver.parse("1.0.0-rc.1")? < Scheme::Semver.parse("1.0.0")?);
//!
//! // OSV ranges.
//! let affected: Vec<Affected> = serde_json::from_str(r#"[{
//!     "package": {"ecosystem": "npm", "name": "chalk"},
//!     "ranges": [{"type": "SEMVER", "events": [{"introduced": "5.6.1"}, {"fixed": "5.6.2"}]}]
//! }]"#)?;
//! assert!(is_affected(Ecosystem::Npm, "chalk", "5.6.1", &affected)?);
//! assert_eq!(assess(Ecosystem::Npm, "chalk", "5.6.1", &affected)?.fixed_in, ["5.6.2"]);
//!
//! // Range expressions.
//! let req = parse_range(Ecosystem::Npm, ">=5.6.0 <5.6.2")?;
//! assert!(req.matches_str("5.6.1")?);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Invariants: no parser panics, whatever its input; comparing two parsed versions does not
//! allocate, and parsing the common forms (`1.2.3`) allocates at most once; every error names
//! the offending input.
//!
//! Non-goals: resolving ranges against a registry, GIT range evaluation (it needs the
//! repository's commit graph), ecosystems other than npm, crates.io and PyPI.
#![warn(missing_docs)]

mod error;
mod num;
pub mod osv;
mod pep440;
mod req;
mod semver;
mod version;

pub use chainward_types::Ecosystem;
pub use error::{MatchError, RangeError, VersionError};
pub use osv::{Assessment, assess, is_affected};
pub use pep440::Pep440Version;
pub use req::{PrereleasePolicy, VersionReq, parse_range};
pub use semver::SemVer;
pub use version::{Scheme, Version};
