//! Tests for `requirements`.
