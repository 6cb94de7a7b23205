//! Tests for `pnpm` (conformance cases and fixtures).
