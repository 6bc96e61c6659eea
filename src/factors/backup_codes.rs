//! Single-use backup codes (docs/design.md §5, issue 35): generating a set
//! of ten, storing them so that only the gateway's key can test a guess,
//! finding which one an attempt matches, and the downloadable text.
//!
//! A code is `xxxx-xxxx-xxxx-xxxx`: 16 symbols of a 31-symbol alphabet
//! without look-alikes (≈ 79.3 bits). What the store keeps of it (format
//! v2) is SHA-256 of the code, the person and the set's salt,
//! **sealed** (ChaCha20-Poly1305) under the encryption key ring with
//! the person key as associated data, like a TOTP secret. So a stolen
//! store alone cannot test a guess, a writer of the store cannot mint a
//! code (nor move one to another person), `rotate-encryption` re-seals the
//! codes with the secrets, and `check-config` names a missing key. One
//! attempt costs one SHA-256 and ten AEAD opens (microseconds), not an
//! Argon2id hash: enrollment is no longer bound by hashing. SECURITY.md
//! states the cost of a guess with and without the key.
//!
//! Sets written before (format v1: 10-symbol codes `xxxx-xxxx-xx`, 49.5
//! bits, each stored as the raw 32-byte Argon2id hash with OWASP
//! parameters under the set's salt) still verify: a 10-symbol attempt
//! against a set holding such hashes costs one Argon2id hash, which the
//! caller runs on `hash_pool` ([`needs_argon2`]). Marking a code used is
//! the store's job (atomically); this module only says which one matched.
//! No I/O, no clock: randomness is passed in.

use crate::domain::{BackupCodeSet, PersonKey};
use crate::keys::Keys;
use argon2::{Algorithm, Argon2, Params, Version};
use rand::Rng as _;
use sha2::{Digest as _, Sha256};
use std::fmt;
use subtle::{Choice, ConstantTimeEq as _};

/// Codes in one generation.
pub const CODES_PER_SET: usize = 10;
/// Symbols of a code: digits and lower-case letters without 0, 1, i, l, o.
const ALPHABET: &[u8; 31] = b"23456789abcdefghjkmnpqrstuvwxyz";
/// Symbols in a code (dashes not counted): 16 × log2(31) ≈ 79.3 bits.
const CODE_LEN: usize = 16;
/// Symbols in a code of a v1 (Argon2id) set: ≈ 49.5 bits.
const V1_CODE_LEN: usize = 10;
/// A dash after every this many symbols in the display form.
const GROUP_LEN: usize = 4;
/// Bytes of the random salt shared by a set.
const SALT_LEN: usize = 16;
/// Bytes of a v1 stored hash (raw Argon2id output). A v2 stored hash is a
/// sealed value, always longer (header, nonce, 32 bytes, tag).
const V1_HASH_LEN: usize = 32;
/// Longest attempt even looked at; anything longer is garbage.
const MAX_ATTEMPT_LEN: usize = 64;
/// Domain of the v2 digest: never equal to a digest made for anything else.
const V2_DOMAIN: &[u8] = b"mfa-gate backup code v2";

/// OWASP's Argon2id recommendation: 19 MiB, 2 passes, 1 lane (v1 sets).
const PARAMS: Params = match Params::new(19_456, 2, 1, Some(V1_HASH_LEN)) {
    Ok(params) => params,
    // Evaluated at compile time: bad constants fail the build, not a request.
    Err(_) => panic!("invalid Argon2 parameters"),
};

/// A freshly generated set: the codes to show once, and what to store.
pub struct NewCodes {
    /// Display form `xxxx-xxxx-xxxx-xxxx`; never stored.
    pub codes: Vec<String>,
    pub set: BackupCodeSet,
}

impl fmt::Debug for NewCodes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewCodes")
            .field("codes", &format_args!("<{} redacted>", self.codes.len()))
            .field("set", &self.set)
            .finish()
    }
}

/// A new set of [`CODES_PER_SET`] codes for `person`, sealed under the
/// first encryption key of `keys`. `generation` is one more than the
/// previous one (the caller knows it); `created_at` is Unix seconds.
/// Cheap (ten SHA-256 and ten seals): no hash pool needed.
///
/// Sealing fails only for an empty ring; then a stored hash is empty and
/// matches nothing (fail closed).
pub fn generate(
    rng: &mut impl rand::CryptoRng,
    keys: &Keys,
    person: &PersonKey,
    generation: u32,
    created_at: i64,
) -> NewCodes {
    let mut salt = vec![0u8; SALT_LEN];
    rng.fill_bytes(&mut salt);
    let mut codes = Vec::with_capacity(CODES_PER_SET);
    let mut hashes = Vec::with_capacity(CODES_PER_SET);
    for _ in 0..CODES_PER_SET {
        let normalized: String = (0..CODE_LEN)
            .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
            .collect();
        let digest = digest_v2(person, &salt, &normalized);
        hashes.push(keys.seal(person.as_str().as_bytes(), &digest, rng));
        codes.push(display_form(&normalized));
    }
    NewCodes {
        codes,
        set: BackupCodeSet {
            generation,
            salt,
            used: vec![false; hashes.len()],
            hashes,
            created_at,
        },
    }
}

/// The canonical form of an attempt: ASCII lower case, spaces and `-`
/// dropped, exactly 16 symbols of the alphabet (or 10, a code of a v1
/// set); else `None`. Cheap: callers reject garbage here before paying for
/// anything else.
pub fn normalize(attempt: &str) -> Option<String> {
    if attempt.len() > MAX_ATTEMPT_LEN {
        return None;
    }
    let normalized: String = attempt
        .chars()
        .filter(|c| !matches!(c, ' ' | '-'))
        .map(|c| c.to_ascii_lowercase())
        .collect();
    let well_formed = [CODE_LEN, V1_CODE_LEN].contains(&normalized.len())
        && normalized.bytes().all(|b| ALPHABET.contains(&b));
    well_formed.then_some(normalized)
}

/// Whether checking `attempt` against `set` costs an Argon2id hash (a v1
/// code against a set written before v2): then run [`find`] on `hash_pool`.
pub fn needs_argon2(set: &BackupCodeSet, attempt: &str) -> bool {
    normalize(attempt).is_some_and(|n| n.len() == V1_CODE_LEN)
        && set.hashes.iter().any(|h| h.len() == V1_HASH_LEN)
}

/// The index of the *unused* code of `set` that `attempt` is, if any. The
/// attempt is hashed once and compared in constant time against every
/// stored hash of its format (all of them, whatever matches; a v2 hash is
/// opened first, and one that does not open matches nothing). A missing
/// `used` flag counts as used.
pub fn find(set: &BackupCodeSet, attempt: &str, keys: &Keys, person: &PersonKey) -> Option<usize> {
    let normalized = normalize(attempt)?;
    let v2 = normalized.len() == CODE_LEN;
    let digest = match v2 {
        true => digest_v2(person, &set.salt, &normalized),
        false if set.hashes.iter().any(|h| h.len() == V1_HASH_LEN) => {
            hash_v1(&set.salt, &normalized)?
        }
        false => return None,
    };
    let aad = person.as_str().as_bytes();
    let mut found = None;
    for (index, stored) in set.hashes.iter().enumerate() {
        let unused = Choice::from(u8::from(!set.used.get(index).copied().unwrap_or(true)));
        let matches = match (v2, stored.len() == V1_HASH_LEN) {
            (true, false) => keys
                .open(aad, stored)
                .map_or(Choice::from(0), |opened| opened.as_slice().ct_eq(&digest)),
            (false, true) => stored.as_slice().ct_eq(&digest),
            _ => Choice::from(0),
        };
        if bool::from(matches & unused) && found.is_none() {
            found = Some(index);
        }
    }
    found
}

/// The sealed (v2) stored hashes of `set`, for a rotation of the
/// encryption key to re-seal and a key check to count: every stored hash
/// but the raw Argon2id ones of a v1 set.
pub fn sealed_hashes(set: &mut BackupCodeSet) -> impl Iterator<Item = &mut Vec<u8>> {
    set.hashes.iter_mut().filter(|h| h.len() != V1_HASH_LEN)
}

/// The downloadable text file: one header line, then one code per line,
/// ending with a newline. Control characters in the names become spaces so
/// the header stays one line.
pub fn download_text(issuer: &str, account: &str, codes: &[String]) -> String {
    let one_line = |s: &str| -> String {
        s.chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect()
    };
    let mut text = format!(
        "{} backup codes for {} — each code works once\n",
        one_line(issuer),
        one_line(account)
    );
    for code in codes {
        text.push_str(code);
        text.push('\n');
    }
    text
}

/// `abcdefgh2345jkmn` → `abcd-efgh-2345-jkmn`.
fn display_form(normalized: &str) -> String {
    let mut out = String::with_capacity(normalized.len() + normalized.len() / GROUP_LEN);
    for (i, c) in normalized.chars().enumerate() {
        if i > 0 && i % GROUP_LEN == 0 {
            out.push('-');
        }
        out.push(c);
    }
    out
}

/// What a v2 stored hash seals: SHA-256 over the domain, the person, the
/// set's salt and the normalized code, each prefixed by its length (u64
/// big-endian), so no two inputs share a digest. Not the generation: the
/// settings page numbers a set when it stores it.
fn digest_v2(person: &PersonKey, salt: &[u8], normalized: &str) -> [u8; 32] {
    let fields: [&[u8]; 4] = [
        V2_DOMAIN,
        person.as_str().as_bytes(),
        salt,
        normalized.as_bytes(),
    ];
    let mut sha = Sha256::new();
    for field in fields {
        sha.update((field.len() as u64).to_be_bytes());
        sha.update(field);
    }
    sha.finalize().into()
}

/// Argon2id of a normalized v1 code with the set's salt. `None` only if
/// Argon2 refuses its input (e.g. a stored salt shorter than 8 bytes).
fn hash_v1(salt: &[u8], normalized: &str) -> Option<[u8; V1_HASH_LEN]> {
    thread_local! {
        /// Argon2's 19 MiB of working memory, kept by the thread that
        /// hashes (a `hash_pool` worker) and reused: a burst of hashes then
        /// costs the same memory as one per worker, with no allocator churn
        /// (glibc would keep freed blocks in many arenas).
        static BLOCKS: std::cell::RefCell<Vec<argon2::Block>> =
            const { std::cell::RefCell::new(Vec::new()) };
    }
    let mut out = [0u8; V1_HASH_LEN];
    BLOCKS.with_borrow_mut(|blocks| {
        blocks.resize(PARAMS.block_count(), argon2::Block::default());
        Argon2::new(Algorithm::Argon2id, Version::V0x13, PARAMS)
            .hash_password_into_with_memory(normalized.as_bytes(), salt, &mut out, &mut blocks[..])
            .ok()
    })?;
    Some(out)
}

#[cfg(test)]
mod tests;
