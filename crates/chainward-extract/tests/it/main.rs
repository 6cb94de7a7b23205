//! Integration tests of extraction: the real lockfiles, and walking real folder layouts.
mod real_lockfiles;
mod walk;
