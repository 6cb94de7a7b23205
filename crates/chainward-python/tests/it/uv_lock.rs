//! Tests for `uv_lock`.
