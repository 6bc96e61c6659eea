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
    /// Forward auth: a front (nginx `auth_request`, Traefik, Caddy) asks
    /// whether the request it describes may pass (`edge/forward_auth.rs`).
    Auth,
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
            "/auth" => Route::Auth,
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
            Route::Auth => "/auth",
            Route::NotFound => "",
        }
    }

    /// The link to this page under `prefix` (`/_mfa/enroll`).
    pub fn href(&self, prefix: &str) -> String {
        format!("{prefix}{}", self.path())
    }

    pub fn access(&self) -> Access {
        match self {
            Route::Health | Route::Asset(_) | Route::Auth | Route::NotFound => Access::Open,
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
            // nginx asks with the original request's method.
            Route::Auth => true,
            Route::Health | Route::Asset(_) | Route::NotFound => method.is_read(),
            _ => method.is_read() || method == Method::Post,
        }
    }
}

#[cfg(test)]
mod tests;
