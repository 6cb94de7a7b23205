//! Tests for `cargo_lock`.
