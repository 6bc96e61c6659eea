//! One tenant or many: whether accounts are split by company, and the
//! implicit tenant of a single-tenant start (DESIGN §11: "with no company
//! mapping there is one implicit tenant, policy `required`").
//!
//! A configuration is *single-tenant* when it maps no company: the whoami
//! source has no `identity.fields.company`, the headers source has neither
//! `identity.headers.company` nor `identity.defaults.company`, and
//! `companies:` names no company but [`IMPLICIT_TENANT`] (which pins the
//! implicit tenant's own policy). Then an account whose answer names no
//! company belongs to the implicit tenant, whose policy is `required` until
//! an administrator or `companies.default` says otherwise, and one whose
//! answer names no class (with no class mapping) is an `employee`. (An
//! answer that does carry a top-level `company` field still puts the
//! account in that company, as the flat answer always has.) Otherwise the
//! configuration is *multi-tenant*, exactly as before: a company and a
//! class are needed for every account (a missing one fails closed), and an
//! unset policy is `optional`.

use crate::domain::Enforcement;

/// The company of every account in a single-tenant setup.
pub const IMPLICIT_TENANT: &str = "default";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tenancy {
    /// No company mapping: one implicit tenant, [`IMPLICIT_TENANT`].
    Single,
    /// Accounts are split by company (the HR product's setup).
    Multi,
}

impl Tenancy {
    /// The tenancy of a file: `maps_company` when the identity source is
    /// told where a company comes from, `pinned` the companies of
    /// `companies:`.
    pub(crate) fn of<'a>(maps_company: bool, mut pinned: impl Iterator<Item = &'a str>) -> Tenancy {
        if maps_company || pinned.any(|c| c != IMPLICIT_TENANT) {
            Tenancy::Multi
        } else {
            Tenancy::Single
        }
    }

    /// The policy of a company that is neither pinned nor stored:
    /// `required` for the implicit tenant of a single-tenant setup,
    /// `optional` for every company of a multi-tenant one.
    pub fn default_enforcement(self, company: &str) -> Enforcement {
        match self {
            Tenancy::Single if company == IMPLICIT_TENANT => Enforcement::Required,
            _ => Enforcement::Optional,
        }
    }

    /// Whether `company` is the implicit tenant (the pages then say
    /// nothing of companies).
    pub fn is_implicit(self, company: &str) -> bool {
        self == Tenancy::Single && company == IMPLICIT_TENANT
    }
}

#[cfg(test)]
mod tests;
