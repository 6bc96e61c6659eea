//! `mfa-gate keys generate`: fresh keys in the form the configuration reads
//! (64 hex digits, from an environment variable or a file), with their key
//! ids, as lines a shell or an env file takes as they are; or, for
//! `--dir`, the two files of a key directory (`secrets: { dir: PATH }`),
//! which the command writes (no I/O here).

use super::KeyId;

/// The HMAC key's file in a key directory (`secrets.dir`).
pub const HMAC_FILE: &str = "hmac.key";
/// The encryption key's file in a key directory (`secrets.dir`).
pub const ENCRYPTION_FILE: &str = "encryption.key";

/// A fresh key directory's contents: `(file name, text, key id)` of the
/// HMAC key and of the encryption key, each text 64 hex digits.
/// Randomness comes in.
pub fn generate_key_files(rng: &mut impl rand::CryptoRng) -> [(&'static str, String, KeyId); 2] {
    let mut hmac = [0u8; 32];
    let mut encryption = [0u8; 32];
    rng.fill_bytes(&mut hmac);
    rng.fill_bytes(&mut encryption);
    [
        (HMAC_FILE, hex(&hmac), KeyId::of_hmac_key(&hmac)),
        (
            ENCRYPTION_FILE,
            hex(&encryption),
            KeyId::of_encryption_key(&encryption),
        ),
    ]
}

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
