//! Our own form bodies (`application/x-www-form-urlencoded`, at most
//! 16 KiB): any bytes parse to a form or a clean error, never a panic; a
//! parsed form has no duplicate field and at most 32 fields.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mfa_gate::pages::Form;

fuzz_target!(|data: &[u8]| {
    if data.len() > mfa_gate::pages::form::MAX_FORM_BYTES {
        return;
    }
    if let Ok(form) = Form::parse(data) {
        // Looking fields up never panics, whatever they hold.
        for name in [
            "code",
            "backup_code",
            "csrf",
            "return_to",
            "action",
            "codes",
        ] {
            let _ = form.get(name);
        }
        let raw_fields = data.split(|b| *b == b'&').filter(|p| !p.is_empty()).count();
        assert!(raw_fields <= 32, "more than 32 fields accepted");
    }
});
