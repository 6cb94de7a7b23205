//! Fuzzes `chainward_python::requirements::parse`: any input must give `Ok` or `Err`, never a
//! panic. Includes (`-r`, `-c`) are answered with an error, so only the one file is read.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let mut no_includes =
            |path: &str| Err(format!("includes are not read while fuzzing: {path}"));
        let _ = chainward_python::requirements::parse(text, "requirements.txt", &mut no_includes);
    }
});
