//! The request id: one short token per request that ties the access log
//! line, the app's own log (it receives it as `X-Request-Id`) and the
//! client's view (the response carries it) together. A sane incoming
//! `X-Request-Id` (from a load balancer or the client) is kept; anything
//! else is replaced by a fresh random one, so a log line never carries
//! attacker-shaped text. No I/O; randomness from the OS CSPRNG.

/// The header, as sent to the app and returned to the client.
pub const HEADER: &str = "x-request-id";

/// Longest incoming id kept.
const MAX_LEN: usize = 128;

/// The incoming id when sane (1 to 128 characters of letters, digits and
/// `-_.:/+=@`), else a new one.
pub fn accept_or_make(incoming: Option<&[u8]>) -> String {
    match incoming {
        Some(id) if is_sane(id) => String::from_utf8_lossy(id).into_owned(),
        _ => make(),
    }
}

fn is_sane(id: &[u8]) -> bool {
    (1..=MAX_LEN).contains(&id.len())
        && id
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.:/+=@".contains(b))
}

/// 128 random bits as 32 lowercase hex digits.
pub fn make() -> String {
    use rand::RngCore;
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    // Every request pays for this: a table, not sixteen `write!`s.
    let mut out = String::with_capacity(32);
    for b in bytes {
        out.push(HEX[usize::from(b >> 4)] as char);
        out.push(HEX[usize::from(b & 0x0f)] as char);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sane_ids_are_kept_and_others_replaced() {
        for kept in [
            "abc",
            "0f3a-11:lb/7",
            "Root=1-67891233-abcdef012345678912345678",
        ] {
            assert_eq!(accept_or_make(Some(kept.as_bytes())), kept);
        }
        let long = "a".repeat(129);
        for replaced in [
            "",
            "has space",
            "new\nline",
            "quote\"",
            "<script>",
            long.as_str(),
        ] {
            let id = accept_or_make(Some(replaced.as_bytes()));
            assert_ne!(id, replaced);
            assert_eq!(id.len(), 32);
            assert!(id.bytes().all(|b| b.is_ascii_hexdigit()));
        }
        assert_ne!(accept_or_make(None), accept_or_make(None));
    }
}
