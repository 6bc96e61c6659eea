//! The configuration loader on arbitrary text: a clear error or a config,
//! never a panic (an operator's typo must not crash `check-config` or a
//! reload). Relative paths resolve under a directory that does not exist,
//! so no key file is ever read.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let Ok(yaml) = std::str::from_utf8(data) else {
        return;
    };
    match mfa_gate::config::load_str(yaml, Path::new("/nonexistent-fuzz/mfa-gate.yaml")) {
        Ok(_) => {}
        Err(e) => {
            // Rendering the message (file, line, field) must not panic either.
            let _ = e.to_string();
            let _ = (e.line(), e.field());
        }
    }
});
