//! The second factors: authenticator codes ([`totp`]), single-use backup
//! codes ([`backup_codes`]: sealed digests; the Argon2id hashes of sets
//! written before go through the one Argon2id door, [`hash_pool`]), and
//! passkeys ([`passkey`]). Pure of HTTP; the pages use
//! them, the store keeps what they produce.

pub mod backup_codes;
pub mod hash_pool;
pub mod passkey;
pub mod totp;
