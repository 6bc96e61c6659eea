//! Unit tests of `notify::webhook`.

use super::*;

/// The value a receiver recomputes: pinned against an independent
/// computation (Python's hmac, see the verifier in docs/notifications.md).
#[test]
fn signature_is_hmac_sha256_of_timestamp_dot_body() {
    let sig = signature(b"0123456789abcdef", 1_700_000_000, br#"{"event":"locked"}"#);
    assert_eq!(
        sig,
        "t=1700000000,v1=26b2c504c779898a54a2a462fe816e466bc77e05a72989e40ad45f6333263502"
    );
}
