//! The one access rule that guards our own routes (see `request/route.rs`
//! for what each route asks, [`Access`]): our pages obey the rule that
//! guards the app. Before the second step only what the second step needs
//! is reachable; every page that shows or changes security state is behind
//! exactly the app's decision. Pure and table-tested.

use crate::access::decision::Denial;
use crate::request::route::Access;

/// Where a session stands, as far as our routes care.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Standing {
    /// No logged-in session, or no session needed to be read.
    Anonymous,
    /// A logged-in session that the app's rule lets through.
    Passed,
    /// A logged-in session that the app's rule stops.
    Denied(Denial),
}

/// What happens to a request for a route.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Admission {
    Serve,
    /// A logged-in session is needed: the "please log in" page.
    LogInFirst,
    /// The app's rule stops it: enrollment, challenge or locked page.
    Deny(Denial),
}

/// The access rule for our own routes.
pub fn admit(access: Access, standing: Standing) -> Admission {
    match (access, standing) {
        (Access::Open, _) => Admission::Serve,
        (_, Standing::Anonymous) => Admission::LogInFirst,
        (Access::Identified, Standing::Denied(Denial::Locked)) => Admission::Deny(Denial::Locked),
        (Access::Identified, _) => Admission::Serve,
        (Access::Verified | Access::Enrolling, Standing::Passed) => Admission::Serve,
        (Access::Enrolling, Standing::Denied(Denial::Enroll)) => Admission::Serve,
        (Access::Verified | Access::Enrolling, Standing::Denied(denial)) => Admission::Deny(denial),
    }
}

#[cfg(test)]
mod tests;
