//! The admin API: the support API that `mfa-gate support` talks to,
//! reload, and Prometheus `/metrics`. Served by the admin listener
//! (`edge/admin_listener.rs`) on its own address (loopback by default),
//! separate from the gateway's listener so that the app's users can never
//! reach it. Nothing here knows pingora: `service.rs` takes a plain request
//! and answers a `Reply`.
//!
//! | route                                   | does                        |
//! |-----------------------------------------|-----------------------------|
//! | `GET  /v1/accounts/{account}`           | `accounts::status` |
//! | `POST /v1/accounts/{account}/unlock`    | `accounts::unlock` |
//! | `POST /v1/accounts/{account}/reset`     | `accounts::reset`  |
//! | `GET  /v1/accounts/{account}/audit`     | `accounts::audit` (`?limit=N`) |
//! | `GET  /v1/companies/{company}/audit`    | `accounts::company_audit` (`?limit=N`): policy changes |
//! | `GET  /v1/outbox`                       | `outbox::list`: notifications waiting or dead-lettered |
//! | `POST /v1/outbox/retry`                 | `outbox::retry`: dead-lettered (or `?id=N`) ones again, now |
//! | `GET  /v1/backup`                       | `store_ops`: a signed backup of the store |
//! | `POST /v1/keys/rotate-encryption`       | `store_ops`: re-seal every secret under the first key |
//! | `POST /v1/reload`                       | `Reload::reload` (the edge's `Reloader`): re-read the YAML file |
//! | `GET  /metrics`                         | Prometheus text, no token   |
//!
//! Every `/v1/` request needs `Authorization: Bearer <support token>`,
//! checked (in constant time) before the route is even looked at: without
//! it, every path answers 401. `/metrics` holds counts only, no account
//! names, and needs no token, so a scraper never holds a token that can reset
//! 2FA. `{account}` is one percent-encoded path segment. Answers are JSON,
//! `{"error": …}` on failure. The route is parsed once into an
//! [`AdminRoute`] (`route.rs`), after the token check (`service.rs`, the
//! one place it is checked), and tested without a listener.

pub mod accounts;
pub mod outbox;
pub mod probes;
pub mod route;
mod service;
pub mod store_ops;

pub use route::AdminRoute;
pub use service::{AdminApi, AdminRequest, Reload, Reloaded, account, admit};
