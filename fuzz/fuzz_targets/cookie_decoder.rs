//! The gateway cookie and the CSRF token are the only values a browser
//! hands back that mfa-gate authenticates itself. Any byte string must
//! decode to "not valid" without a panic, and nothing but the exact cookie
//! we issued may ever decode (a forgery would need the HMAC key).
#![no_main]

use libfuzzer_sys::fuzz_target;
use mfa_gate::domain::PersonKey;
use mfa_gate::keys::Keys;
use mfa_gate::session::{self, AppSession};

const NOW: i64 = 1_700_000_000;

fuzz_target!(|data: &[u8]| {
    let keys = Keys::new([7; 32], [9; 32]);
    let app = AppSession::bind(&keys, "app-session-value");
    let person = PersonKey::new("acme", "hanako");
    let issued = session::issue_cookie(&keys, app, &person, 42, NOW);
    let value = String::from_utf8_lossy(data);

    let decoded = session::decode_cookie(&keys, &value, app, &person);
    if value != issued {
        assert!(decoded.is_none(), "forged cookie accepted: {value:?}");
    } else {
        assert_eq!(decoded.map(|v| v.enrollment_id), Some(42));
    }
    let valid = session::cookie_is_valid(&keys, &value, app, &person, 42, NOW, 86_400);
    assert_eq!(valid, value == issued);

    // The same bytes as a CSRF token: only a token we made can pass.
    let token = session::csrf_token(&keys, app, NOW);
    let ok = session::csrf_is_valid(&keys, &value, app, NOW);
    if ok {
        // `ts.tag` where ts may be written differently ("+17…", "017…")
        // would be a different MAC input, so only our own token passes.
        assert_eq!(value, token, "forged CSRF token accepted");
    }
});
