//! An independent TOTP (RFC 6238, SHA-1, 6 digits, 30 s) for the tests:
//! HMAC-SHA1 over the secret parsed from the otpauth URI, written here from
//! the RFC, not by calling mfa-gate's code.

use hmac::{Hmac, Mac};
use sha1::Sha1;
use std::time::{SystemTime, UNIX_EPOCH};

pub fn secret_from_uri(uri: &str) -> Vec<u8> {
    let query = uri.split_once('?').expect("otpauth URI has a query").1;
    let b32 = query
        .split('&')
        .find_map(|kv| kv.strip_prefix("secret="))
        .expect("otpauth URI has a secret");
    data_encoding::BASE32_NOPAD
        .decode(b32.as_bytes())
        .expect("secret is base32")
}

pub fn code(secret: &[u8], step: u64, digits: u32) -> String {
    let mut mac = <Hmac<Sha1> as Mac>::new_from_slice(secret).unwrap();
    mac.update(&step.to_be_bytes());
    let h = mac.finalize().into_bytes();
    let offset = (h[19] & 0x0f) as usize;
    let bin = (u32::from(h[offset]) & 0x7f) << 24
        | u32::from(h[offset + 1]) << 16
        | u32::from(h[offset + 2]) << 8
        | u32::from(h[offset + 3]);
    format!(
        "{:0width$}",
        bin % 10u32.pow(digits),
        width = digits as usize
    )
}

pub fn now_step() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
        / 30
}

#[test]
fn reference_matches_rfc_6238_vectors() {
    let secret = b"12345678901234567890";
    for (t, expected) in [
        (59u64, "94287082"),
        (1111111109, "07081804"),
        (1111111111, "14050471"),
        (1234567890, "89005924"),
        (2000000000, "69279037"),
        (20000000000, "65353130"),
    ] {
        assert_eq!(code(secret, t / 30, 8), expected);
    }
}
