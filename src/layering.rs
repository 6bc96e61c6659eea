//! The house rules, checked over the source tree (see ARCHITECTURE.md,
//! "Rooms" and "Invariants"):
//!
//! 1. Only the glue knows pingora: `edge/`, `server.rs`, `main.rs`, the
//!    demo app, the metrics registry (pingora's Prometheus re-export) and
//!    the logging bridge. A `pingora` path creeping into the core would tie
//!    a pure function to a server.
//! 2. Imports flow one way, down the rooms of [`ROOMS`]: a file may use its
//!    own room and rooms below it, never one above.
//! 3. No cycle between files: a file never reaches itself through the
//!    files it uses. A module's front door (`mod x;`, `pub use x::Y;` of its
//!    own children) is not a use, and a re-exported name counts as a use of
//!    the file that defines it. Tests (`tests.rs`, `*_tests.rs`, inline
//!    `mod tests`) may use anything.
//!
//! Plain `std`: a test over the text, instead of a workspace of crates, so
//! that a message names the file and line, and CI builds one crate.

#[cfg(test)]
mod tests;
