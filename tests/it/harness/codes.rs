//! TOTP codes for the tests, computed independently of the code under test:
//! RFC 6238 (HMAC-SHA1, 30 s steps) over the secret parsed from the
//! otpauth URI, written here from the RFC, not by calling mfa-gate's code;
//! [`lasting_code`], a code a gateway with ±1 step of skew accepts for at
//! least the next 60 s; and `wrong_code`, a code that no step near now
//! accepts.

use hmac::{Hmac, Mac};
use sha1::Sha1;
use std::time::{SystemTime, UNIX_EPOCH};

/// The widest clock skew a configuration may accept, in steps on either
/// side (`totp.skew` is 0, 1 or 2).
pub const MAX_SKEW: u64 = 2;

/// Steps a test may take between computing a wrong code and its last use
/// (four steps: two minutes, more than any browser test takes).
const WRONG_CODE_MARGIN: u64 = 4;

/// The 160-bit secret of an `otpauth://` URI (its base32 `secret=`).
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

/// The `digits`-digit code of `secret` at time step `step` (RFC 4226 §5.3
/// dynamic truncation).
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

/// The current 30 s time step.
pub fn now_step() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
        / 30
}

/// The step a code typed now should use so that a gateway with ±1 step of
/// skew accepts it for at least 60 s, given `now` and the last step the
/// person used (a step counts once, and never one before it): `now + 1`,
/// accepted until step `now + 2` ends. `None` when `last` is already
/// `now + 1` or later: wait for the clock.
fn lasting_step(now: u64, last: Option<u64>) -> Option<u64> {
    let step = now + 1;
    last.is_none_or(|last| last < step).then_some(step)
}

/// A code of `secret` for a step after `last` that a gateway with ±1 step
/// of skew accepts for at least the next 60 s (slow steps such as browser
/// screenshots fit), and its step. Waits for the clock when `last` is
/// already the step after now (at most one step, 30 s).
pub async fn lasting_code(secret: &[u8], last: Option<u64>) -> (u64, String) {
    loop {
        if let Some(step) = lasting_step(now_step(), last) {
            return (step, code(secret, step, 6));
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}

/// A six-digit code that no step accepts from now until the test is done
/// with it: it differs from the code of every step within the widest skew
/// of now, widened by the steps a test may take.
pub fn wrong_code(secret: &[u8]) -> String {
    wrong_code_at(secret, now_step())
}

/// `wrong_code` as of time step `now`.
fn wrong_code_at(secret: &[u8], now: u64) -> String {
    let reach = MAX_SKEW + WRONG_CODE_MARGIN;
    let near: Vec<String> = (now - reach..=now + reach)
        .map(|s| code(secret, s, 6))
        .collect();
    // Eleven codes are excluded: one of the first twelve candidates is free.
    (0..12u32)
        .map(|i| format!("{:06}", (123_456 + i * 111_111) % 1_000_000))
        .find(|c| !near.contains(c))
        .expect("a wrong code")
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

#[test]
fn a_wrong_code_differs_from_every_code_in_its_window() {
    let secret = b"12345678901234567890";
    // RFC 6238's T = 1111111109: step 37037036, whose 6-digit code is 081804.
    let now = 1_111_111_109 / 30;
    let wrong = wrong_code_at(secret, now);
    assert_eq!(wrong.len(), 6);
    assert!(wrong.bytes().all(|b| b.is_ascii_digit()), "{wrong}");
    let reach = MAX_SKEW + WRONG_CODE_MARGIN;
    for step in now - reach..=now + reach {
        assert_ne!(code(secret, step, 6), wrong, "step {step}");
    }
    // A candidate that collides is skipped: at step 14684 the code of
    // this secret is 123456, the first candidate.
    assert_eq!(code(secret, 14_684, 6), "123456");
    assert_eq!(wrong_code_at(secret, 14_684), "234567");
}

#[test]
fn a_lasting_step_is_the_next_one_unless_already_used() {
    assert_eq!(lasting_step(100, None), Some(101));
    assert_eq!(lasting_step(100, Some(99)), Some(101));
    assert_eq!(lasting_step(100, Some(100)), Some(101));
    assert_eq!(lasting_step(100, Some(101)), None);
    assert_eq!(lasting_step(100, Some(102)), None);
}
