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

pub mod access;
pub mod admin;
pub mod cli;
pub mod clock;
pub mod config;
#[cfg(feature = "demo")]
pub mod demo;
pub mod domain;
pub mod edge;
pub mod factors;
pub mod i18n;
pub mod identity;
pub mod keys;
mod layering;
pub mod maintenance;
pub mod notify;
pub mod observe;
pub mod pages;
pub mod reply;
pub mod request;
pub mod server;
pub mod store;
