//! Tests for `vendor`.
