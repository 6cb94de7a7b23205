//! Tests for `pipfile_lock`.
