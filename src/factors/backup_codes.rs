//! Single-use backup codes (docs/design.md §5): generating a set of ten, hashing
//! them, finding which one an attempt matches, and the downloadable text.
//! A code is `xxxx-xxxx-xx` over a 31-symbol alphabet without look-alikes
//! (10 symbols ≈ 49.5 bits). Codes are stored only as Argon2id hashes with
//! OWASP parameters and one salt per set, so an attempt costs one hash
//! whatever the set size. Marking a code used is the store's job (atomically);
//! this module only says which one matched. No I/O, no clock.

use crate::domain::BackupCodeSet;
use argon2::{Algorithm, Argon2, Params, Version};
use rand::Rng as _;
use std::fmt;
use subtle::{Choice, ConstantTimeEq as _};

/// Codes in one generation.
pub const CODES_PER_SET: usize = 10;
/// Symbols of a code: digits and lower-case letters without 0, 1, i, l, o.
const ALPHABET: &[u8; 31] = b"23456789abcdefghjkmnpqrstuvwxyz";
/// Symbols in a code (dashes not counted).
const CODE_LEN: usize = 10;
/// Bytes of the random salt shared by a set.
const SALT_LEN: usize = 16;
/// Bytes of each stored hash.
const HASH_LEN: usize = 32;
/// Longest attempt even looked at; anything longer is garbage.
const MAX_ATTEMPT_LEN: usize = 64;

/// OWASP's Argon2id recommendation: 19 MiB, 2 passes, 1 lane.
const PARAMS: Params = match Params::new(19_456, 2, 1, Some(HASH_LEN)) {
    Ok(params) => params,
    // Evaluated at compile time: bad constants fail the build, not a request.
    Err(_) => panic!("invalid Argon2 parameters"),
};

/// A freshly generated set: the codes to show once, and what to store.
pub struct NewCodes {
    /// Display form `xxxx-xxxx-xx`; never stored.
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

/// A new set of [`CODES_PER_SET`] codes. `generation` is the previous
/// generation + 1 (the caller knows it); `created_at` is Unix seconds.
///
/// Hashing cannot fail with these fixed parameters; if it somehow did, that
/// code's stored hash is empty and matches nothing (fail closed).
pub fn generate(rng: &mut impl rand::RngCore, generation: u32, created_at: i64) -> NewCodes {
    let mut salt = vec![0u8; SALT_LEN];
    rng.fill_bytes(&mut salt);
    let mut codes = Vec::with_capacity(CODES_PER_SET);
    let mut hashes = Vec::with_capacity(CODES_PER_SET);
    for _ in 0..CODES_PER_SET {
        let normalized: String = (0..CODE_LEN)
            .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
            .collect();
        hashes.push(hash(&salt, &normalized).map_or_else(Vec::new, Vec::from));
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
/// dropped, exactly 10 symbols of the alphabet; else `None`. Cheap: callers
/// reject garbage here before paying for a hash.
pub fn normalize(attempt: &str) -> Option<String> {
    if attempt.len() > MAX_ATTEMPT_LEN {
        return None;
    }
    let normalized: String = attempt
        .chars()
        .filter(|c| !matches!(c, ' ' | '-'))
        .map(|c| c.to_ascii_lowercase())
        .collect();
    let well_formed =
        normalized.len() == CODE_LEN && normalized.bytes().all(|b| ALPHABET.contains(&b));
    well_formed.then_some(normalized)
}

/// The index of the *unused* code of `set` that `attempt` is, if any. The
/// attempt is hashed once and compared in constant time against every hash
/// (all of them, whatever matches). A missing `used` flag counts as used.
pub fn find(set: &BackupCodeSet, attempt: &str) -> Option<usize> {
    let normalized = normalize(attempt)?;
    let digest = hash(&set.salt, &normalized)?;
    let mut found = None;
    for (index, stored) in set.hashes.iter().enumerate() {
        let unused = Choice::from(u8::from(!set.used.get(index).copied().unwrap_or(true)));
        let matches = stored.as_slice().ct_eq(&digest) & unused;
        if bool::from(matches) && found.is_none() {
            found = Some(index);
        }
    }
    found
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

/// `abcdefgh23` → `abcd-efgh-23`.
fn display_form(normalized: &str) -> String {
    let mut out = String::with_capacity(normalized.len() + 2);
    for (i, c) in normalized.chars().enumerate() {
        if i == 4 || i == 8 {
            out.push('-');
        }
        out.push(c);
    }
    out
}

/// Argon2id of a normalized code with the set's salt. `None` only if Argon2
/// refuses its input (e.g. a stored salt shorter than 8 bytes).
fn hash(salt: &[u8], normalized: &str) -> Option<[u8; HASH_LEN]> {
    thread_local! {
        /// Argon2's 19 MiB of working memory, kept by the thread that
        /// hashes (a `hash_pool` worker) and reused: a burst of hashes then
        /// costs the same memory as one per worker, with no allocator churn
        /// (glibc would keep freed blocks in many arenas).
        static BLOCKS: std::cell::RefCell<Vec<argon2::Block>> =
            const { std::cell::RefCell::new(Vec::new()) };
    }
    let mut out = [0u8; HASH_LEN];
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
