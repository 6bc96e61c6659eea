//! Where an account's company comes from, and the implicit tenant of a
//! single-tenant start (DESIGN §11: "with no company mapping there is one
//! implicit tenant, policy `required`").
//!
//! *No company mapping* ([`Tenancy::Implicit`]) holds when the identity
//! section does not say where a company comes from: the whoami source has
//! no `identity.fields.company`, the headers source neither
//! `identity.headers.company` nor `identity.defaults.company`. Then an
//! account whose identity names no company (no top-level `company` field
//! in the whoami answer) belongs to the implicit tenant,
//! [`IMPLICIT_TENANT`], whose policy is `required` until an administrator
//! (on the policy page) or `companies.default` (in the file) says
//! otherwise. An answer that does carry a `company` field still puts the
//! account in that company, as the flat answer always has (the demo's
//! HR setup, unchanged). `companies:` plays no part: pinning a policy
//! never changes how identities are read (a reload keeps the identity
//! cache).
//!
//! With a company mapping ([`Tenancy::Mapped`]) everything is as before:
//! every account needs a company (a missing one fails closed), and a
//! policy not set is `optional`.

use crate::domain::Enforcement;

/// The company of an account whose identity names none, when no company
/// mapping is configured.
pub const IMPLICIT_TENANT: &str = "default";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tenancy {
    /// No company mapping: an identity without a company is in the
    /// implicit tenant.
    Implicit,
    /// The identity section maps the company: every account has its own.
    Mapped,
}

impl Tenancy {
    /// The tenancy of an identity section that does (`maps_company`) or
    /// does not say where a company comes from.
    pub(crate) fn of(maps_company: bool) -> Tenancy {
        match maps_company {
            true => Tenancy::Mapped,
            false => Tenancy::Implicit,
        }
    }

    /// The policy of a company that is neither pinned nor stored:
    /// `required` for the implicit tenant, `optional` for every company
    /// an identity names.
    pub fn default_enforcement(self, company: &str) -> Enforcement {
        match self.is_implicit(company) {
            true => Enforcement::Required,
            false => Enforcement::Optional,
        }
    }

    /// Whether `company` is the implicit tenant (the pages then name no
    /// company).
    pub fn is_implicit(self, company: &str) -> bool {
        self == Tenancy::Implicit && company == IMPLICIT_TENANT
    }
}

#[cfg(test)]
mod tests;
