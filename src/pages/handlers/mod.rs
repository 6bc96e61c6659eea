//! One handler per route (`enroll`, `challenge`, `settings`, `passkeys`,
//! `policy`, …), each returning `Result<Reply, PageError>`, and what they
//! share: proving the second factor (`verify`) and handing out a new set of
//! backup codes (`new_codes`). Views are rendered by `super::views`.

pub(in crate::pages) mod challenge;
pub(in crate::pages) mod enroll;
pub(in crate::pages) mod new_codes;
pub(in crate::pages) mod passkeys;
pub(in crate::pages) mod policy;
pub(in crate::pages) mod settings;
pub(in crate::pages) mod settings_common;
pub(in crate::pages) mod settings_passkeys;
pub(in crate::pages) mod verify;
