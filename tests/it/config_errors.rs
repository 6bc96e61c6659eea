//! `mfa-gate check-config` from the outside.
