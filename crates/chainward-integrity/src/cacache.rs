//! The npm cache (`_cacache`): content by integrity, and its index.
