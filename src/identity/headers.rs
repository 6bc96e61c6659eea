//! The `headers` source: an SSO front (oauth2-proxy, an IdP-aware load
//! balancer…) has logged the user in and says who it is in request headers.
//! Those headers are believed only from `trusted_proxies` (the caller
//! checks the peer and strips them from everyone else); here they are
//! read into an `Identity`. A request without the account header is
//! anonymous; one with a malformed or ambiguous claim is an error, which
//! the proxy turns into a 503 (fail closed), never a pass.

use super::MAX_FIELD;
use crate::config::HeadersConfig;
use crate::domain::{AccountClass, Identity};
use http::{HeaderMap, HeaderName};

/// Most roles read from the roles header.
const MAX_ROLES: usize = 64;

/// The running `headers` source (`config::HeadersConfig`): reads an
/// identity out of a trusted peer's request headers.
#[derive(Debug)]
pub struct HeadersReader {
    config: HeadersConfig,
}

impl HeadersReader {
    pub fn new(config: &HeadersConfig) -> HeadersReader {
        HeadersReader {
            config: config.clone(),
        }
    }

    /// The per-session value the SSO front sends in `headers.session`.
    pub fn session_header(&self, headers: &HeaderMap) -> Option<String> {
        let name = self.config.session_header.as_ref()?;
        one(headers, name).ok().flatten()
    }

    /// The identity claimed by a trusted peer's headers: `None` when the
    /// account header is absent (anonymous), an error when a claim is
    /// malformed, repeated, or missing without a default.
    pub fn read(&self, headers: &HeaderMap) -> Option<Result<Identity, String>> {
        let account = match one(headers, &self.config.account) {
            Ok(None) => return None,
            Ok(Some(account)) => account,
            Err(e) => return Some(Err(e)),
        };
        Some(self.claims(headers, account))
    }

    fn claims(&self, headers: &HeaderMap, account: String) -> Result<Identity, String> {
        let optional = |name: &Option<HeaderName>| match name {
            Some(name) => one(headers, name),
            None => Ok(None),
        };
        let company = optional(&self.config.company)?
            .or_else(|| self.config.default_company.clone())
            .ok_or("no company header and no identity.defaults.company")?;
        let class = match optional(&self.config.class)? {
            Some(text) => AccountClass::parse(&text)
                .ok_or("the class header must be candidate, employee or admin")?,
            None => self
                .config
                .default_class
                .ok_or("no class header and no identity.defaults.class")?,
        };
        let person = optional(&self.config.person)?.unwrap_or_else(|| account.clone());
        let roles = match optional(&self.config.roles)? {
            None => Vec::new(),
            Some(list) => {
                let roles: Vec<String> = list
                    .split(',')
                    .map(str::trim)
                    .filter(|r| !r.is_empty())
                    .map(str::to_owned)
                    .collect();
                if roles.len() > MAX_ROLES {
                    return Err("the roles header lists too many roles".into());
                }
                roles
            }
        };
        Ok(Identity {
            account,
            company,
            class,
            roles,
            person,
            email: optional(&self.config.email)?,
        })
    }
}

/// The single value of header `name`: `None` when absent or empty; an error
/// when sent twice (which one would the app read?), too long, not UTF-8 or
/// holding control characters. Messages name the header, never the value.
fn one(headers: &HeaderMap, name: &HeaderName) -> Result<Option<String>, String> {
    let mut values = headers.get_all(name).iter();
    let Some(value) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err(format!("header {name} is sent more than once"));
    }
    let text = std::str::from_utf8(value.as_bytes())
        .map_err(|_| format!("header {name} is not UTF-8"))?
        .trim();
    if text.len() > MAX_FIELD {
        return Err(format!("header {name} is too long"));
    }
    if text.chars().any(char::is_control) {
        return Err(format!("header {name} holds control characters"));
    }
    Ok((!text.is_empty()).then(|| text.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn source(defaults: bool) -> HeadersReader {
        let h = |n: &str| HeaderName::from_bytes(n.as_bytes()).unwrap();
        HeadersReader::new(&HeadersConfig {
            session_cookie: None,
            session_header: Some(h("x-auth-session")),
            account: h("x-auth-user"),
            company: Some(h("x-auth-company")),
            class: Some(h("x-auth-class")),
            person: Some(h("x-auth-person")),
            roles: Some(h("x-auth-groups")),
            email: None,
            default_company: defaults.then(|| "acme".to_owned()),
            default_class: defaults.then_some(AccountClass::Employee),
        })
    }

    fn headers(pairs: &[(&str, &[u8])]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(
                HeaderName::from_bytes(name.as_bytes()).unwrap(),
                HeaderValue::from_bytes(value).unwrap(),
            );
        }
        map
    }

    #[test]
    fn full_claims_map_to_an_identity() {
        let id = source(false)
            .read(&headers(&[
                ("x-auth-user", b"hanako@acme.example"),
                ("x-auth-company", b"acme"),
                ("x-auth-class", b"admin"),
                ("x-auth-person", b"hanako"),
                ("x-auth-groups", b"admin, stress_check_officer,,"),
            ]))
            .unwrap()
            .unwrap();
        assert_eq!(id.account, "hanako@acme.example");
        assert_eq!(id.person, "hanako");
        assert_eq!(id.roles, ["admin", "stress_check_officer"]);
        assert!(id.may_manage_policy());
    }

    #[test]
    fn no_account_header_is_anonymous_and_defaults_fill_in() {
        assert!(
            source(false)
                .read(&headers(&[("x-auth-company", b"acme")]))
                .is_none()
        );
        assert!(
            source(false)
                .read(&headers(&[("x-auth-user", b"")]))
                .is_none()
        );
        let id = source(true)
            .read(&headers(&[("x-auth-user", "山田@acme".as_bytes())]))
            .unwrap()
            .unwrap();
        assert_eq!(
            (
                id.account.as_str(),
                id.company.as_str(),
                id.class,
                id.person.as_str()
            ),
            ("山田@acme", "acme", AccountClass::Employee, "山田@acme")
        );
    }

    #[test]
    fn bad_claims_are_errors_that_never_echo_the_value() {
        let cases: &[&[(&str, &[u8])]] = &[
            &[("x-auth-user", b"a"), ("x-auth-company", b"c")],
            &[("x-auth-user", b"a"), ("x-auth-class", b"employee")],
            &[
                ("x-auth-user", b"a"),
                ("x-auth-company", b"c"),
                ("x-auth-class", b"root"),
            ],
            &[("x-auth-user", b"a"), ("x-auth-user", b"b")],
            &[("x-auth-user", b"\xff\xfe")],
            &[("x-auth-user", b"a\tb")],
        ];
        for pairs in cases {
            let err = source(false).read(&headers(pairs)).unwrap().unwrap_err();
            assert!(!err.contains("root"), "{err}");
        }
        let long = "a".repeat(MAX_FIELD + 1);
        assert!(
            source(true)
                .read(&headers(&[("x-auth-user", long.as_bytes())]))
                .unwrap()
                .is_err()
        );
    }
}
