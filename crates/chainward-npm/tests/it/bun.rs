//! Tests for `bun` (conformance cases and fixtures).
