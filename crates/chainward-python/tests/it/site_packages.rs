//! Tests for `site_packages`.
