//! Support for the people who help users: what can be done to an account
//! and both ends of the wire that carries it.
//!
//! - [`ops`]: the operations themselves (status, unlock, reset, audit) on
//!   top of the `Store`, and the JSON shapes of their answers — the server
//!   side, served by the admin listener (`crate::admin`);
//! - [`client`]: `mfa-gate support …`, the CLI client that calls the admin
//!   API of the running gateway and prints its answers;
//! - [`outbox`]: the notifications outbox (list, retry) on the admin API;
//! - [`store`]: the client side of the store's operations (backup, online
//!   encryption-key rotation) over the same admin API.

pub mod client;
pub mod ops;
pub mod outbox;
pub mod store;
