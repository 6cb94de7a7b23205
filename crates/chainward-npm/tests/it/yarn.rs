//! Tests for `yarn` (conformance cases and fixtures).
