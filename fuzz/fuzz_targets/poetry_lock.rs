//! Fuzzes `chainward_python::poetry_lock::parse`: any input must give `Ok` or `Err`, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = chainward_python::poetry_lock::parse(text, "fuzz-input");
    }
});
