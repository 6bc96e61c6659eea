//! The `identity` section: the `whoami` source (the app's session cookie
//! and whoami endpoint) or the `headers` source (an SSO front's headers,
//! believed from `trusted_proxies` only). Each source refuses the other's
//! settings, so a half-edited file cannot silently mean something else.

use super::super::raw::{RawIdentity, RawIdentityDefaults, RawSource, defaults};
use super::super::{
    DEFAULT_STRIPPED_HEADERS, HeadersConfig, IMPLICIT_TENANT, IdentitySource, SessionCookies,
    StrippedHeaders, Tenancy, WhoamiConfig,
};
use super::checks::{at_least_one, cookie_name, non_blank, positive, whoami_path};
use super::{ConfigError, Doc};
use crate::domain::AccountClass;
use http::HeaderName;

impl Doc<'_> {
    pub(super) fn identity(
        &self,
        id: RawIdentity,
        has_trusted_proxies: bool,
        tenancy: Tenancy,
    ) -> Result<IdentitySource, ConfigError> {
        match id.source {
            RawSource::Whoami => self.whoami(id).map(IdentitySource::Whoami),
            RawSource::Headers => self
                .headers(id, has_trusted_proxies, tenancy)
                .map(IdentitySource::Headers),
        }
    }

    /// `identity.strip_headers` (else the default list) and the source's
    /// own identity headers, each once. `NAME*` is a prefix.
    pub(super) fn stripped_headers(
        &self,
        listed: Option<Vec<String>>,
        source: &IdentitySource,
    ) -> Result<StrippedHeaders, ConfigError> {
        let entries: Vec<(String, String)> = match listed {
            None => DEFAULT_STRIPPED_HEADERS
                .iter()
                .map(|n| ("identity.strip_headers".to_owned(), (*n).to_owned()))
                .collect(),
            Some(listed) => listed
                .into_iter()
                .enumerate()
                .map(|(i, n)| (format!("identity.strip_headers[{i}]"), n))
                .collect(),
        };
        let (mut names, mut prefixes) = (Vec::new(), Vec::new());
        for (field, entry) in entries {
            match entry.strip_suffix('*') {
                Some(prefix) => prefixes.push(self.check(&field, header_name(prefix))?),
                None => names.push(self.check(&field, header_name(&entry))?),
            }
        }
        if let IdentitySource::Headers(h) = source {
            names.extend(h.names().cloned());
        }
        Ok(StrippedHeaders::new(
            names.iter().map(HeaderName::as_str),
            prefixes.iter().map(HeaderName::as_str),
        ))
    }

    fn whoami(&self, id: RawIdentity) -> Result<WhoamiConfig, ConfigError> {
        if id.headers.is_some() {
            return Err(self.error(
                "identity.headers",
                "is for `source: headers`; this file uses source whoami",
            ));
        }
        if id.defaults.is_some() {
            return Err(self.error(
                "identity.defaults",
                "is for `source: headers`; this file uses source whoami",
            ));
        }
        let session = self.session_cookies(
            id.session_cookie,
            id.session_cookies,
            id.session_cookie_prefix,
        )?;
        let Some(path) = id.whoami_path else {
            return Err(self.error("identity", "missing field `whoami_path`"));
        };
        Ok(WhoamiConfig {
            session,
            whoami_method: self.whoami_method(id.whoami_method),
            whoami_path: self.check("identity.whoami_path", whoami_path(path))?,
            whoami_headers: self.whoami_headers(id.whoami_headers)?,
            whoami_timeout: self.check("identity.whoami_timeout", positive(id.whoami_timeout))?,
            fields: self.field_map(id.fields)?,
            anonymous_when: self.anonymous_when(id.anonymous_when)?,
            cache_ttl: self.check("identity.cache_ttl", positive(id.cache_ttl))?,
            cache_size: self.check("identity.cache_size", at_least_one(id.cache_size))?,
            anonymous_statuses: self.anonymous_statuses(id.anonymous_statuses)?,
            whoami_concurrency: self.check(
                "identity.whoami_concurrency",
                at_least_one(
                    id.whoami_concurrency
                        .unwrap_or_else(defaults::whoami_concurrency),
                ),
            )?,
            whoami_client_rate: self.check(
                "identity.whoami_client_rate",
                positive_count(
                    id.whoami_client_rate
                        .unwrap_or_else(defaults::whoami_client_rate),
                ),
            )?,
            whoami_client_burst: self.check(
                "identity.whoami_client_burst",
                positive_count(
                    id.whoami_client_burst
                        .unwrap_or_else(defaults::whoami_client_burst),
                ),
            )?,
        })
    }

    /// The statuses of a whoami answer that mean "not logged in": real
    /// statuses, at least one, never 200, none twice. Anything else that is
    /// not 200 fails closed, so a WAF's 403 or a rate limiter's 429 in front
    /// of whoami never lets a session through unchecked.
    fn anonymous_statuses(&self, raw: Option<Vec<u16>>) -> Result<Vec<u16>, ConfigError> {
        let field = "identity.anonymous_statuses";
        let statuses = raw.unwrap_or_else(defaults::anonymous_statuses);
        if statuses.is_empty() {
            return Err(self.error(
                field,
                "must list at least one status, e.g. [401] (the whoami answer for \"not logged in\")",
            ));
        }
        for (i, status) in statuses.iter().enumerate() {
            let message = if !(100..=599).contains(status) {
                format!("{status} is not an HTTP status (100 to 599)")
            } else if *status == 200 {
                "200 is the whoami answer for a logged-in session; it cannot also mean \"not logged in\"".into()
            } else if statuses[..i].contains(status) {
                format!("{status} is listed twice")
            } else {
                continue;
            };
            return Err(self.error(&format!("{field}[{i}]"), message));
        }
        Ok(statuses)
    }

    fn headers(
        &self,
        id: RawIdentity,
        has_trusted_proxies: bool,
        tenancy: Tenancy,
    ) -> Result<HeadersConfig, ConfigError> {
        self.refuse_whoami_settings(&id)?;
        let Some(raw) = id.headers else {
            return Err(self.error(
                "identity",
                "`source: headers` needs a `headers` section (at least `account: HEADER`)",
            ));
        };
        if !has_trusted_proxies {
            return Err(self.error(
                "trusted_proxies",
                "`identity.source: headers` needs the addresses of the SSO front here (e.g. [10.0.0.5/32]); identity headers from anyone else are ignored",
            ));
        }
        let defaults = id.defaults.unwrap_or_default();
        let name = |field: &str, value: String| -> Result<HeaderName, ConfigError> {
            let field = format!("identity.headers.{field}");
            self.check(&field, header_name(&value))
        };
        let optional = |field: &str, value: Option<String>| -> Result<_, ConfigError> {
            value.map(|v| name(field, v)).transpose()
        };
        let session_cookie = id
            .session_cookie
            .map(|c| self.check("identity.session_cookie", cookie_name(c)))
            .transpose()?
            .map(|c| SessionCookies::one(&c));
        let session_header = optional("session", raw.session)?;
        if session_cookie.is_none() && session_header.is_none() {
            return Err(self.error(
                "identity",
                "`source: headers` needs `session_cookie` (a cookie whose value names one login session, e.g. oauth2-proxy's _oauth2_proxy) or `headers.session`: the 2FA state is bound to it",
            ));
        }
        let (default_company, default_class) = self.claim_defaults(defaults, tenancy)?;
        Ok(HeadersConfig {
            session_cookie,
            session_header,
            account: name("account", raw.account)?,
            company: optional("company", raw.company)?,
            class: optional("class", raw.class)?,
            person: optional("person", raw.person)?,
            roles: optional("roles", raw.roles)?,
            email: optional("email", raw.email)?,
            default_company,
            default_class,
        })
    }

    /// `identity.defaults`: the company and class of an account whose
    /// headers do not say; without a company header or default, the
    /// implicit tenant; without a class header or default, `employee`.
    fn claim_defaults(
        &self,
        defaults: RawIdentityDefaults,
        tenancy: Tenancy,
    ) -> Result<(Option<String>, Option<AccountClass>), ConfigError> {
        let company = match defaults.company {
            Some(c) => Some(self.check("identity.defaults.company", non_blank(c))?),
            None => (tenancy == Tenancy::Implicit).then(|| IMPLICIT_TENANT.to_owned()),
        };
        Ok((company, defaults.class.or(Some(AccountClass::Employee))))
    }

    /// The whoami-only settings, refused with `source: headers`.
    fn refuse_whoami_settings(&self, id: &RawIdentity) -> Result<(), ConfigError> {
        let whoami_only = [
            ("identity.whoami_path", id.whoami_path.is_some()),
            ("identity.whoami_method", id.whoami_method.is_some()),
            ("identity.whoami_headers", id.whoami_headers.is_some()),
            ("identity.anonymous_when", id.anonymous_when.is_some()),
            ("identity.session_cookies", id.session_cookies.is_some()),
            (
                "identity.session_cookie_prefix",
                id.session_cookie_prefix.is_some(),
            ),
            (
                "identity.anonymous_statuses",
                id.anonymous_statuses.is_some(),
            ),
            (
                "identity.whoami_concurrency",
                id.whoami_concurrency.is_some(),
            ),
            (
                "identity.whoami_client_rate",
                id.whoami_client_rate.is_some(),
            ),
            (
                "identity.whoami_client_burst",
                id.whoami_client_burst.is_some(),
            ),
        ];
        if let Some((field, _)) = whoami_only.iter().find(|(_, written)| *written) {
            return Err(self.error(
                field,
                "is for `source: whoami`; with `source: headers` the SSO front's headers say who is logged in",
            ));
        }
        Ok(())
    }
}

/// Whether the identity section says where a company comes from
/// (`config::tenancy`).
pub(super) fn tenancy(id: &RawIdentity) -> Tenancy {
    let maps_company = match id.source {
        RawSource::Whoami => id.fields.company.is_some(),
        RawSource::Headers => {
            id.headers.as_ref().is_some_and(|h| h.company.is_some())
                || id.defaults.as_ref().is_some_and(|d| d.company.is_some())
        }
    };
    Tenancy::of(maps_company)
}

/// A count that must be at least 1.
fn positive_count(n: u32) -> Result<u32, String> {
    if n == 0 {
        Err("must be at least 1".into())
    } else {
        Ok(n)
    }
}

/// An HTTP header name that mfa-gate may read as an identity claim. The
/// `X-Mfa-` names are mfa-gate's own (stripped from every request before
/// the app sees it and set by mfa-gate), so they cannot carry a claim.
pub(super) fn header_name(name: &str) -> Result<HeaderName, String> {
    let parsed = HeaderName::from_bytes(name.as_bytes())
        .map_err(|_| format!("\"{name}\" is not a valid header name"))?;
    if parsed.as_str().starts_with("x-mfa-") {
        return Err(format!(
            "\"{name}\": X-Mfa-* headers are mfa-gate's own (set for the app, stripped from clients)"
        ));
    }
    if matches!(
        parsed.as_str(),
        "cookie" | "host" | "authorization" | "x-forwarded-for" | "x-request-id"
    ) {
        return Err(format!("\"{name}\" cannot carry an identity claim"));
    }
    Ok(parsed)
}
