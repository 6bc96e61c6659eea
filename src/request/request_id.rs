//! The request id: one short token per request that ties the access log
//! line, the app's own log (it receives it as `X-Request-Id`) and the
//! client's view (the response carries it) together. A sane incoming
//! `X-Request-Id` (from a load balancer or the client) is kept; anything
//! else is replaced by a fresh random one, so a log line never carries
//! attacker-shaped text. No I/O; randomness from the OS CSPRNG.

use http::HeaderValue;

/// The header, as sent to the app and returned to the client.
pub const HEADER: &str = "x-request-id";
/// `HEADER` as a name for lookups (parsed once, not per request).
pub const NAME: http::HeaderName = http::HeaderName::from_static(HEADER);

/// Longest incoming id kept.
const MAX_LEN: usize = 128;

/// The incoming id when sane (1 to 128 characters of letters, digits and
/// `-_.:/+=@`): the header value itself, no copy; else a new one (one
/// allocation). The proxy keeps this
/// value and clones it (a reference count) into the request and the
/// response instead of copying a `String` twice.
pub fn accept_or_make(incoming: Option<&HeaderValue>) -> HeaderValue {
    match incoming {
        Some(id) if is_sane(id.as_bytes()) => id.clone(),
        _ => make(),
    }
}

fn is_sane(id: &[u8]) -> bool {
    (1..=MAX_LEN).contains(&id.len())
        && id
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.:/+=@".contains(b))
}

/// 128 random bits as 32 lowercase hex digits, encoded on the stack.
fn make() -> HeaderValue {
    use rand::RngCore;
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    // Every request pays for this: a table, not sixteen `write!`s.
    let mut out = [0u8; 32];
    for (i, b) in bytes.into_iter().enumerate() {
        out[2 * i] = HEX[usize::from(b >> 4)];
        out[2 * i + 1] = HEX[usize::from(b & 0x0f)];
    }
    // Hex digits are always a valid header value.
    HeaderValue::from_bytes(&out).unwrap_or_else(|_| HeaderValue::from_static("-"))
}

#[cfg(test)]
mod tests;
