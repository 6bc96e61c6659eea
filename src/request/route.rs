//! Our routes as values, and the one access rule that guards them.
//!
//! Our pages obey the rule that guards the app: before the second step only
//! what the second step needs is reachable (health, assets, the enrollment
//! and challenge pages, which check the person's state themselves); every
//! page that shows or changes security state is behind exactly the app's
//! decision — locked → locked page, required and not enrolled →
//! enrollment, enrolled and not verified in this session → challenge. So a
//! password alone never reaches the policy page, the settings or a codes
//! download. [`admit`] is that rule, pure and table-tested.

use crate::access::decision::Denial;
use crate::request::Method;

/// A page of ours, by the path below the prefix.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Route {
    Health,
    /// A file under `/assets/` (the path below the prefix).
    Asset(String),
    Enroll,
    Challenge,
    Settings,
    /// The company policy page.
    Policy,
    /// Registering a passkey or security key.
    Passkeys,
    /// `POST`: the backup codes just shown, as a text file.
    BackupCodesDownload,
    /// After a passed challenge that used a backup code, or left few of
    /// them: how many are left, then on to `return_to`.
    SignedIn,
    NotFound,
}

/// What a route asks of the session before its handler runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Anyone: health, stylesheets.
    Open,
    /// A logged-in session, whatever its second step (the enrollment and
    /// challenge pages); a locked person still sees only the locked page.
    Identified,
    /// A session the app itself would serve: the decision passes.
    Verified,
    /// A session that may add a second step: one the decision passes, or
    /// one it sends to enrollment (never one that owes the challenge, so
    /// a password alone cannot add a key to an enrolled person).
    Enrolling,
}

impl Route {
    pub fn parse(below_prefix: &str) -> Route {
        match below_prefix {
            "/healthz" => Route::Health,
            "/enroll" => Route::Enroll,
            "/challenge" => Route::Challenge,
            "/settings" => Route::Settings,
            "/admin/security" => Route::Policy,
            "/passkeys" => Route::Passkeys,
            "/backup-codes.txt" => Route::BackupCodesDownload,
            "/signed-in" => Route::SignedIn,
            r if r.starts_with("/assets/") => Route::Asset(r.to_owned()),
            _ => Route::NotFound,
        }
    }

    /// The path below the prefix (for links, forms and redirects).
    pub fn path(&self) -> &str {
        match self {
            Route::Health => "/healthz",
            Route::Asset(p) => p,
            Route::Enroll => "/enroll",
            Route::Challenge => "/challenge",
            Route::Settings => "/settings",
            Route::Policy => "/admin/security",
            Route::Passkeys => "/passkeys",
            Route::BackupCodesDownload => "/backup-codes.txt",
            Route::SignedIn => "/signed-in",
            Route::NotFound => "",
        }
    }

    /// The link to this page under `prefix` (`/_mfa/enroll`).
    pub fn href(&self, prefix: &str) -> String {
        format!("{prefix}{}", self.path())
    }

    pub fn access(&self) -> Access {
        match self {
            Route::Health | Route::Asset(_) | Route::NotFound => Access::Open,
            Route::Enroll | Route::Challenge => Access::Identified,
            Route::Passkeys => Access::Enrolling,
            Route::Settings | Route::Policy | Route::BackupCodesDownload | Route::SignedIn => {
                Access::Verified
            }
        }
    }

    /// Whether a flow may return here after enrollment or the challenge.
    pub fn is_returnable(&self) -> bool {
        matches!(self, Route::Settings | Route::Policy | Route::Passkeys)
    }

    /// Whether the route answers this method (else 404, as an unknown page).
    pub fn allows(&self, method: Method) -> bool {
        match self {
            Route::BackupCodesDownload => method == Method::Post,
            Route::SignedIn => method.is_read(),
            Route::Health | Route::Asset(_) | Route::NotFound => method.is_read(),
            _ => method.is_read() || method == Method::Post,
        }
    }
}

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
mod tests {
    use super::*;
    use Denial::*;

    /// Every route × every standing of the table of docs/design.md §2: anonymous, not
    /// enrolled (optional: Pass), not enrolled (required: Enroll), enrolled
    /// and unverified (Challenge), verified (Pass), locked.
    #[test]
    fn every_route_by_every_standing() {
        let standings = [
            Standing::Anonymous,
            Standing::Passed,
            Standing::Denied(Enroll),
            Standing::Denied(Challenge),
            Standing::Denied(Locked),
        ];
        let expect = |route: &Route, standing: Standing| -> Admission {
            match (route.path(), standing) {
                ("/healthz" | "/assets/app.css" | "", _) => Admission::Serve,
                (_, Standing::Anonymous) => Admission::LogInFirst,
                (_, Standing::Denied(Locked)) => Admission::Deny(Locked),
                ("/enroll" | "/challenge", _) => Admission::Serve,
                ("/passkeys", Standing::Denied(Enroll)) => Admission::Serve,
                (_, Standing::Passed) => Admission::Serve,
                (_, Standing::Denied(denial)) => Admission::Deny(denial),
            }
        };
        for path in [
            "/healthz",
            "/assets/app.css",
            "/enroll",
            "/challenge",
            "/settings",
            "/admin/security",
            "/backup-codes.txt",
            "/signed-in",
            "/passkeys",
            "/nope",
        ] {
            let route = Route::parse(path);
            for standing in standings {
                assert_eq!(
                    admit(route.access(), standing),
                    expect(&route, standing),
                    "{route:?} {standing:?}"
                );
            }
        }
    }

    #[test]
    fn pages_that_show_security_state_need_the_second_step() {
        for route in [
            Route::Settings,
            Route::Policy,
            Route::BackupCodesDownload,
            Route::SignedIn,
        ] {
            assert_eq!(route.access(), Access::Verified, "{route:?}");
            assert_eq!(
                admit(route.access(), Standing::Denied(Challenge)),
                Admission::Deny(Challenge)
            );
        }
    }

    /// Adding a key needs what enrolling needs, and never stands in for
    /// the challenge an enrolled person owes.
    #[test]
    fn adding_a_passkey_is_for_the_verified_and_the_enrolling_only() {
        let access = Route::Passkeys.access();
        assert_eq!(admit(access, Standing::Passed), Admission::Serve);
        assert_eq!(admit(access, Standing::Denied(Enroll)), Admission::Serve);
        assert_eq!(
            admit(access, Standing::Denied(Challenge)),
            Admission::Deny(Challenge)
        );
        assert_eq!(
            admit(access, Standing::Denied(Locked)),
            Admission::Deny(Locked)
        );
        assert_eq!(admit(access, Standing::Anonymous), Admission::LogInFirst);
    }

    #[test]
    fn links_are_the_path_under_the_prefix() {
        assert_eq!(Route::Enroll.href("/_mfa"), "/_mfa/enroll");
        assert_eq!(Route::Policy.href("/gate"), "/gate/admin/security");
        assert_eq!(Route::BackupCodesDownload.href(""), "/backup-codes.txt");
    }

    #[test]
    fn routes_round_trip_through_their_paths() {
        for route in [
            Route::Health,
            Route::Enroll,
            Route::Challenge,
            Route::Settings,
            Route::Policy,
            Route::BackupCodesDownload,
            Route::SignedIn,
            Route::Passkeys,
            Route::Asset("/assets/x.css".into()),
        ] {
            assert_eq!(Route::parse(route.path()), route);
        }
    }
}
