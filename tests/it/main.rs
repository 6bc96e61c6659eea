//! The one integration-test binary (each extra `tests/*.rs` would relink
//! pingora). Every test starts a real `mfa-gate` process on free loopback
//! ports, speaks HTTP to it like a browser or an API client, and computes
//! TOTP codes independently of the code under test.


mod config_errors;
mod enforcement;
mod enrollment;
mod harness;
mod identity_failures;
mod lockout;
mod policy;
mod settings;
mod support;
mod totp_ref;
