//! Every client half of the `mfa-gate` command; `main.rs` keeps the
//! command line (clap), logging and the dispatch. Talking to a running
//! gateway over its admin listener: `support status|unlock|reset|audit`
//! ([`support`]), `support backup|rotate-encryption` ([`store`]) and
//! `support outbox` (`outbox`); the server halves are in `crate::admin`.
//! On their own: `keys generate|rotate-encryption` ([`keys`]), `store
//! restore|copy` ([`offline_store`]), `check-config`, `identity-check`,
//! `healthcheck`, `notify-test` ([`checks`]), `explain` ([`explain`]) and the `demo` launcher
//! (`demo`, feature `demo`). With `main.rs`, the only users of `anyhow`.

pub mod checks;
#[cfg(feature = "demo")]
pub mod demo;
pub mod explain;
pub mod keys;
pub mod offline_store;
pub mod outbox;
pub mod store;
pub mod support;
