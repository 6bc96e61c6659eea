//! The one integration-test binary (each extra `tests/*.rs` would relink
//! pingora). Every test starts a real `mfa-gate` process on free loopback
//! ports, speaks HTTP to it like a browser or an API client, and computes
//! TOTP codes independently of the code under test.

mod access_rules;
mod apps;
mod browser;
mod config_errors;
mod crash;
mod deploy;
mod differential;
mod docs;
mod enforcement;
mod enrollment;
mod faults;
mod fronts;
mod harness;
mod hostile;
mod identity_bounds;
mod identity_failures;
mod legacy_codes;
mod lockout;
mod low_codes;
mod notify;
mod notify_bounds;
mod operations;
mod passkeys;
mod policy;
mod races;
mod remember;
mod replicas;
mod rollout;
mod settings;
mod single_tenant;
mod support;
mod trusted_pages;
mod whoami_wire;
