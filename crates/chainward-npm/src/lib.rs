//! Parsers for the npm family: `package-lock.json` / `npm-shrinkwrap.json` (v1 to v3),
//! `yarn.lock` (v1 classic and berry), `pnpm-lock.yaml` (v5 to v9), `bun.lock`, and
//! installed `node_modules` trees.
//!
//! Every `parse` function is pure: text in, [`chainward_types::Lockfile`] out, no IO. The
//! `path` argument is only recorded in each package's locations. [`node_modules::scan`] is
//! the exception: an installed tree is many files, so it reads them itself.
//!
//! Invariants: no parser panics on any input; a file that is not its format is a
//! [`chainward_types::ParseError`] naming the line; the project's own root package is never
//! reported, workspace members are (with a `workspace` origin).
#![warn(missing_docs)]

pub mod bun;
pub mod node_modules;
pub mod package_lock;
pub mod pnpm;
pub mod yarn;
