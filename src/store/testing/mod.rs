//! Test support that the integration tests and the demo's cluster mode
//! share: a private PostgreSQL cluster on loopback ([`LocalPostgres`]).
//! Compiled for unit tests and with the `test-support` feature (which the
//! default `demo` feature turns on); a product build without it has none.

mod local_postgres;
pub use local_postgres::LocalPostgres;
