//! The house rules, checked over the source tree (see ARCHITECTURE.md,
//! "Rooms" and "Invariants"):
//!
//! 1. Only the glue knows pingora: `edge/`, `server.rs`, `main.rs`, the
//!    demo app, the metrics registry (pingora's Prometheus re-export) and
//!    the logging bridge. A `pingora` path creeping into the core would tie
//!    a pure function to a server.
//! 2. Imports flow one way, down the rooms (`ROOMS` in `tests/mod.rs`): a
//!    file may use its own room and rooms of a lower rank, never one above.
//! 3. No cycle between files: a file never reaches itself through the
//!    files it uses. A module's front door (`mod x;`, `pub use x::Y;` of its
//!    own children) is not a use, a re-exported name counts as a use of the
//!    file that defines it, and a module and its own parent count as one.
//!    Tests (`tests.rs`, `tests/`, `*_tests.rs`, `*_tests/`) may use
//!    anything.
//! 4. No function over 60 lines outside the views and the tests, and no
//!    test file over 600 lines.
//!
//! Plain `std`: a test over the text, instead of a workspace of crates, so
//! that a message names the file and line, and CI builds one crate.

#[cfg(test)]
mod tests;
