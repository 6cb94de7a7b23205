//! Every reporter, snapshot-tested on one shared set of fixture reports.
#![allow(clippy::unwrap_used)]
mod fixtures;
mod scan;
