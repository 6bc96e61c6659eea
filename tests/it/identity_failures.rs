//! Identity failures.
