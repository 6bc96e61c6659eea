//! The only room that speaks pingora: the proxy ([`proxy`]), what the app
//! receives ([`upstream`]), the HTTPS listener's certificate ([`tls`]),
//! reload ([`reload`]), and the plumbing of our own answers — a request
//! body read under a limit ([`body`]) and a [`crate::reply::Reply`] put on
//! the wire ([`write`]).

pub mod admin_listener;
pub mod ask_listener;
pub mod body;
pub mod proxy;
pub mod reload;
pub mod tls;
pub mod upstream;
pub mod write;
