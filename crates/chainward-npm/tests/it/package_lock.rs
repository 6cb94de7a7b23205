//! Tests for `package_lock` (conformance cases and fixtures).
