//! The client halves of `mfa-gate`'s commands that talk to a running
//! gateway over its admin listener: `support status|unlock|reset|audit`
//! ([`support`]), `support backup|rotate-encryption` ([`store`]) and
//! `support outbox` (`outbox`). The server halves are in `crate::admin`.

pub mod outbox;
pub mod store;
pub mod support;
