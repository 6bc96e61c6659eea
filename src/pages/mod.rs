//! mfa-gate's own pages under the route prefix (`/_mfa` by default), one
//! handler per route, plus the answers the proxy gives when a request may
//! not reach the app yet. Handlers take a `PageRequest` (already parsed by
//! the proxy: route, identity, app-session binding, form) and return a
//! `Reply`; they know nothing of pingora, so they are tested without
//! a proxy. `now` comes in with the request. Which session may reach which
//! route is decided once, in `access::admit`, before any handler runs. A
//! handler that cannot give its page returns a `PageError`, which `handle`
//! turns into the user's page in one place (`error.rs`); helpers shared by
//! handlers live in `common.rs`.

mod answers;
mod common;
mod error;
pub mod form;
pub mod forward_auth;
mod handle;
mod handlers;
mod request;
pub mod views;

pub use crate::reply::Reply;
pub use answers::{deny, failure, frame, locked, message, switch_for};
pub use error::PageError;
pub use form::{Form, FormError};
pub use handle::handle;
pub use request::{PageRequest, SessionCtx};
