//! Integration tests of the Python parsers.
mod pipfile_lock;
mod poetry_lock;
mod requirements;
mod site_packages;
mod uv_lock;
