//! The validated `forward_auth` section: the identity headers the
//! forward-auth endpoint (`/_mfa/auth`) sets on an allowed answer, for the
//! front (nginx `auth_request_set`, Traefik `authResponseHeaders`, Caddy
//! `copy_headers`) to pass to the app. Authelia's names by default. And
//! the address of the lean ask listener, when one is wanted.

/// A field of the session's identity.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IdentityField {
    Account,
    Email,
    Company,
    /// `employee` or `admin`.
    Class,
}

impl IdentityField {
    pub fn parse(name: &str) -> Option<IdentityField> {
        Some(match name {
            "account" => IdentityField::Account,
            "email" => IdentityField::Email,
            "company" => IdentityField::Company,
            "class" => IdentityField::Class,
            _ => return None,
        })
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ForwardAuthConfig {
    /// Header name (as configured) and the field it carries.
    pub identity_headers: Vec<(String, IdentityField)>,
    /// The lean ask listener (`edge::ask_listener`): asks only, outside
    /// the proxy; `None`: asks go to `{prefix}/auth` on `listen` only.
    pub listen: Option<std::net::SocketAddr>,
}

impl Default for ForwardAuthConfig {
    fn default() -> ForwardAuthConfig {
        ForwardAuthConfig {
            identity_headers: vec![
                ("Remote-User".into(), IdentityField::Account),
                ("Remote-Email".into(), IdentityField::Email),
                ("Remote-Groups".into(), IdentityField::Company),
            ],
            listen: None,
        }
    }
}
