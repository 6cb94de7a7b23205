//! Every reporter, snapshot-tested on one shared set of fixture reports.
mod fixtures;
mod scan;
