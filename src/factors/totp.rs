//! Time-based one-time passwords (RFC 6238) as authenticator apps know them:
//! the secret, checking a typed code against the clock with skew and replay
//! refusal, the `otpauth://` URI and its QR code. Parameters are fixed to
//! SHA-1, 6 digits, 30 s — what Google, Microsoft and Apple authenticators
//! accept. Wraps `totp-rs` (code generation) and `qrcode` (SVG). No I/O, no
//! clock: the time is passed in as Unix seconds, randomness as an rng.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use qrcode::render::svg;
use qrcode::{EcLevel, QrCode};
use std::fmt;
use subtle::ConstantTimeEq as _;
use totp_rs::{Algorithm, TOTP};

/// Bytes of a generated secret: 160 bits, the RFC 4226 recommendation.
pub const SECRET_LEN: usize = 20;
/// Shortest secret accepted from elsewhere: RFC 4226's 128-bit minimum.
const MIN_SECRET_LEN: usize = 16;
/// Seconds per time step.
pub const PERIOD: u64 = 30;
/// Digits of a code.
const DIGITS: usize = 6;

/// A TOTP shared secret (raw bytes). Hand-written `Debug`: never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct TotpSecret(Vec<u8>);

impl fmt::Debug for TotpSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TotpSecret(<redacted>)")
    }
}

impl TotpSecret {
    /// A fresh 160-bit secret from `rng` (give it a CSPRNG).
    pub fn generate(rng: &mut impl rand::RngCore) -> TotpSecret {
        let mut bytes = vec![0u8; SECRET_LEN];
        rng.fill_bytes(&mut bytes);
        TotpSecret(bytes)
    }

    /// A secret from stored bytes; `None` when shorter than 128 bits.
    pub fn from_bytes(bytes: &[u8]) -> Option<TotpSecret> {
        (bytes.len() >= MIN_SECRET_LEN).then(|| TotpSecret(bytes.to_vec()))
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// RFC 4648 base32, upper case, no padding: what otpauth URIs carry.
    pub fn base32(&self) -> String {
        generator(self, DIGITS).get_secret_base32()
    }

    /// [`TotpSecret::base32`] in groups of 4 separated by spaces, for people
    /// typing the secret into an app by hand.
    pub fn grouped(&self) -> String {
        let plain = self.base32();
        let mut out = String::with_capacity(plain.len() + plain.len() / 4);
        for (i, c) in plain.chars().enumerate() {
            if i > 0 && i % 4 == 0 {
                out.push(' ');
            }
            out.push(c);
        }
        out
    }
}

/// The time step (RFC 6238 "T") that `unix_secs` falls in.
pub fn time_step(unix_secs: u64) -> u64 {
    unix_secs / PERIOD
}

/// The 6-digit code of a time step, zero-padded.
pub fn code_at_step(secret: &TotpSecret, step: u64) -> String {
    code_with_digits(secret, step, DIGITS)
}

/// Checks a code typed by a person at `unix_secs`.
///
/// The input may contain ASCII spaces and `-` (apps display `123 456`);
/// otherwise it must be exactly 6 ASCII digits. Steps within `skew` of the
/// current one are tried, but only those strictly after `last_step` (a step
/// is accepted at most once, and never an earlier one). Every candidate step
/// is compared, in constant time; if several match, the latest is returned,
/// so recording it refuses the most. Returns the accepted step.
pub fn verify(
    secret: &TotpSecret,
    code: &str,
    unix_secs: u64,
    skew: u8,
    last_step: Option<u64>,
) -> Option<u64> {
    let typed = normalize(code)?;
    let now = time_step(unix_secs);
    let mut first = now.saturating_sub(u64::from(skew));
    let last = now.saturating_add(u64::from(skew));
    if let Some(seen) = last_step {
        first = first.max(seen.checked_add(1)?);
    }
    let mut accepted = None;
    for step in first..=last {
        let expected = code_at_step(secret, step);
        if bool::from(expected.as_bytes().ct_eq(typed.as_bytes())) {
            accepted = Some(step);
        }
    }
    accepted
}

/// The `otpauth://` URI an authenticator app scans:
/// `otpauth://totp/ISSUER:ACCOUNT?secret=…&issuer=ISSUER&algorithm=SHA1&digits=6&period=30`.
/// Issuer and account are percent-encoded (space as `%20`, `:` as `%3A`).
pub fn otpauth_uri(issuer: &str, account: &str, secret: &TotpSecret) -> String {
    let issuer = utf8_percent_encode(issuer, URI_COMPONENT);
    let account = utf8_percent_encode(account, URI_COMPONENT);
    format!(
        "otpauth://totp/{issuer}:{account}?secret={secret}&issuer={issuer}\
         &algorithm=SHA1&digits={DIGITS}&period={PERIOD}",
        secret = secret.base32(),
    )
}

/// The QR code of `data` as an inline SVG element (no XML declaration), EC
/// level M, with its quiet zone, at least 200 px wide. `None` when `data`
/// does not fit in a QR code.
pub fn qr_svg(data: &str) -> Option<String> {
    let code = QrCode::with_error_correction_level(data.as_bytes(), EcLevel::M).ok()?;
    let document = code
        .render::<svg::Color>()
        .quiet_zone(true)
        .min_dimensions(200, 200)
        .build();
    Some(strip_xml_declaration(&document).to_owned())
}

/// Characters left as they are in otpauth label and query parts: RFC 3986
/// unreserved, plus `@` (valid in both, and how apps show email accounts).
const URI_COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'@');

/// The code of `step` with `digits` digits. `code_at_step` uses 6; the RFC
/// 6238 vectors are 8 digits and go through here too.
fn code_with_digits(secret: &TotpSecret, step: u64, digits: usize) -> String {
    // totp-rs divides the time it is given by its period; with a period of 1
    // it takes the step itself, so time-to-step stays in `time_step` alone
    // and no step can overflow on the way back to seconds.
    generator(secret, digits).generate(step)
}

fn generator(secret: &TotpSecret, digits: usize) -> TOTP {
    TOTP::new_unchecked(Algorithm::SHA1, digits, 0, 1, secret.0.clone())
}

/// Removes the spaces and dashes apps and people put in codes; `None`
/// unless exactly `DIGITS` ASCII digits remain.
fn normalize(code: &str) -> Option<String> {
    let digits: String = code.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
    (digits.len() == DIGITS && digits.bytes().all(|b| b.is_ascii_digit())).then_some(digits)
}

fn strip_xml_declaration(document: &str) -> &str {
    if document.starts_with("<?xml")
        && let Some(end) = document.find("?>")
    {
        return document[end + 2..].trim_start();
    }
    document
}

#[cfg(test)]
mod tests;
