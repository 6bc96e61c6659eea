//! `mfa-gate keys generate`: fresh keys in the form the configuration reads
//! (64 hex digits, from an environment variable or a file), with their key
//! ids, as lines a shell or an env file takes as they are.

use super::KeyId;

/// Two fresh keys as env-file lines with comments: `MFA_GATE_HMAC_KEY=…`
/// and `MFA_GATE_ENCRYPTION_KEY=…`. Randomness comes in.
pub fn generate_keys_text(rng: &mut impl rand::CryptoRng) -> String {
    let mut hmac = [0u8; 32];
    let mut encryption = [0u8; 32];
    rng.fill_bytes(&mut hmac);
    rng.fill_bytes(&mut encryption);
    format!(
        "# mfa-gate keys (keep secret; back up the encryption key with the store)\n\
         # secrets.hmac_key: {{ env: MFA_GATE_HMAC_KEY }}  (key id {})\n\
         MFA_GATE_HMAC_KEY={}\n\
         # secrets.encryption_key: {{ env: MFA_GATE_ENCRYPTION_KEY }}  (key id {})\n\
         MFA_GATE_ENCRYPTION_KEY={}\n",
        KeyId::of_hmac_key(&hmac),
        hex(&hmac),
        KeyId::of_encryption_key(&encryption),
        hex(&encryption),
    )
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
