//! Tests for `poetry_lock`.
