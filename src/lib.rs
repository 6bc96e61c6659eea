//! mfa-gate: a reverse proxy that adds two-step verification (TOTP plus
//! single-use backup codes) to an existing web application.
//!
//! A request flows one way: [`proxy`] asks [`identity`] who this is, asks
//! [`decision`] what to do, then forwards or hands off to a [`pages`]
//! handler; handlers use [`totp`], [`backup_codes`], [`session`] and
//! [`store`]. Nothing below calls back up. See ARCHITECTURE.md.
//!
//! Around that flow, for operating it: [`upstream`] (what the app receives:
//! forwarded headers, stripped cookies and `X-Mfa-*`), [`request_id`],
//! [`tls`] (the HTTPS listener's certificate), [`reload`] (SIGHUP and the
//! admin API swap the [`gate::Gate`]), [`metrics`], [`logging`], and
//! [`server`] (start-up and shutdown).

pub mod admin;
pub mod admin_store;
pub mod audit;
pub mod backup;
pub mod backup_codes;
pub mod clock;
pub mod config;
pub mod decision;
pub mod demo;
pub mod domain;
pub mod gate;
pub mod guard;
pub mod hash_pool;
pub mod identity;
pub mod keys;
mod layering;
pub mod logging;
pub mod metrics;
pub mod notify;
pub mod pages;
pub mod passkey;
pub mod paths;
pub mod proxy;
pub mod reload;
pub mod remember;
pub mod reply;
pub mod request;
pub mod request_id;
pub mod rollout;
pub mod rotate;
pub mod server;
pub mod session;
pub mod store;
pub mod support;
#[cfg(test)]
mod test_gate;
pub mod tls;
pub mod totp;
pub mod upstream;
pub mod verified;
