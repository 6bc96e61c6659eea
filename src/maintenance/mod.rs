//! Store-wide operations: a signed [`backup`] and its restore, and
//! encryption-key rotation with the check that the keys open every stored
//! secret ([`rotate`]). They walk the store through its trait, online (the
//! admin API) or offline (the CLI).

pub mod backup;
pub mod rotate;
