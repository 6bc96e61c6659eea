//! Checks of the whoami mapping (`identity.fields`, `identity.anonymous_when`)
//! and of the whoami request (method, headers, session cookies): each
//! field a JSON pointer, a constant or a value map whose results are valid
//! for the field (a class must be candidate, employee or admin).

use super::super::raw::identity::RawRule;
use super::super::raw::{RawAnonymousWhen, RawFieldRule, RawFields, RawMethod};
use super::super::{
    AnonymousWhen, CookieName, FieldMap, FieldRule, IMPLICIT_TENANT, SessionCookies, ValueMap,
    WhoamiMethod, pointer_of,
};
use super::checks::cookie_name;
use super::{ConfigError, Doc};
use crate::domain::AccountClass;
use http::{HeaderName, HeaderValue};
use std::collections::BTreeMap;

/// A check of a constant or map result of one field.
type ResultCheck = fn(&str) -> Result<(), String>;

/// Most cookies that may identify one session.
const MAX_SESSION_COOKIES: usize = 8;

impl Doc<'_> {
    /// The field rules; `company` and `class`, when not written, read the
    /// top-level field of their name, and an answer without it is in the
    /// implicit tenant (`config::tenancy`) and of class `employee`.
    pub(super) fn field_map(&self, raw: RawFields) -> Result<FieldMap, ConfigError> {
        let company = match raw.company {
            Some(rule) => self.field_rule("company", rule, None)?,
            None => fallback("company", IMPLICIT_TENANT),
        };
        let class = match raw.class {
            Some(rule) => self.field_rule("class", rule, Some(class_text))?,
            None => fallback("class", AccountClass::Employee.as_str()),
        };
        Ok(FieldMap {
            account: self.field_rule("account", raw.account, None)?,
            company,
            class,
            person: self.field_rule("person", raw.person, None)?,
            roles: self.field_rule("roles", raw.roles, None)?,
            email: self.field_rule("email", raw.email, None)?,
        })
    }

    /// One field's rule; `result` checks every constant and map result.
    fn field_rule(
        &self,
        name: &str,
        raw: RawFieldRule,
        result: Option<ResultCheck>,
    ) -> Result<FieldRule, ConfigError> {
        let field = format!("identity.fields.{name}");
        let check_result = |at: &str, value: String| -> Result<String, ConfigError> {
            if value.trim().is_empty() {
                return Err(self.error(at, "must not be empty"));
            }
            if let Some(check) = result {
                self.check(at, check(&value))?;
            }
            Ok(value)
        };
        match raw {
            RawFieldRule::Name(text) => Ok(FieldRule::At(self.pointer(&field, text)?)),
            RawFieldRule::Rule(RawRule {
                value: Some(value),
                from: None,
                map: None,
                default: None,
            }) => Ok(FieldRule::Constant(check_result(
                &format!("{field}.value"),
                value,
            )?)),
            RawFieldRule::Rule(RawRule {
                value: None,
                from: Some(from),
                map: Some(map),
                default,
            }) => {
                if map.is_empty() {
                    return Err(self.error(&format!("{field}.map"), "must map at least one value"));
                }
                let mut checked = Vec::with_capacity(map.len());
                for (key, value) in map {
                    let at = format!("{field}.map.{key}");
                    checked.push((key, check_result(&at, value)?));
                }
                let default = default
                    .map(|d| check_result(&format!("{field}.default"), d))
                    .transpose()?;
                Ok(FieldRule::Map(ValueMap {
                    from: self.pointer(&format!("{field}.from"), from)?,
                    map: checked,
                    default,
                }))
            }
            RawFieldRule::Rule(_) => Err(self.error(
                &field,
                "give a field name or JSON pointer (/user/login), `{ value: X }`, or `{ from: POINTER, map: { VALUE: RESULT, … }, default: RESULT }`",
            )),
        }
    }

    /// A JSON pointer as written (`/user/login`) or a top-level field name.
    fn pointer(&self, field: &str, text: String) -> Result<String, ConfigError> {
        if text.trim().is_empty() {
            return Err(self.error(field, "must not be empty"));
        }
        if text.starts_with('/') {
            if text.contains('~') && !valid_escapes(&text) {
                return Err(self.error(
                    field,
                    format!("\"{text}\" is not a JSON pointer (`~` must be `~0` or `~1`)"),
                ));
            }
            Ok(text)
        } else {
            Ok(pointer_of(&text))
        }
    }

    pub(super) fn anonymous_when(
        &self,
        raw: Option<RawAnonymousWhen>,
    ) -> Result<Option<AnonymousWhen>, ConfigError> {
        let field = "identity.anonymous_when";
        let Some(raw) = raw else { return Ok(None) };
        let pointer = |which: &str, p: String| -> Result<String, ConfigError> {
            if p.starts_with('/') {
                self.pointer(&format!("{field}.{which}"), p)
            } else {
                Err(self.error(
                    &format!("{field}.{which}"),
                    format!("\"{p}\" must be a JSON pointer, e.g. /query/userinfo/anon"),
                ))
            }
        };
        match (raw.present, raw.absent) {
            (Some(p), None) => Ok(Some(AnonymousWhen::Present(pointer("present", p)?))),
            (None, Some(p)) => Ok(Some(AnonymousWhen::Absent(pointer("absent", p)?))),
            _ => Err(self.error(
                field,
                "give exactly one of `present: POINTER` or `absent: POINTER`",
            )),
        }
    }

    pub(super) fn whoami_method(&self, raw: Option<RawMethod>) -> WhoamiMethod {
        match raw {
            None | Some(RawMethod::Get) => WhoamiMethod::Get,
            Some(RawMethod::Post) => WhoamiMethod::Post,
        }
    }

    /// Extra headers of the whoami call. The cookie is ours to send; the
    /// framing headers belong to the HTTP client.
    pub(super) fn whoami_headers(
        &self,
        raw: Option<BTreeMap<String, String>>,
    ) -> Result<Vec<(HeaderName, HeaderValue)>, ConfigError> {
        let mut out = Vec::new();
        for (name, value) in raw.unwrap_or_default() {
            let field = format!("identity.whoami_headers.{name}");
            let parsed = HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| self.error(&field, format!("\"{name}\" is not a header name")))?;
            if matches!(
                parsed.as_str(),
                "cookie" | "host" | "content-length" | "transfer-encoding" | "connection"
            ) || parsed.as_str().starts_with("x-mfa-")
            {
                return Err(self.error(
                    &field,
                    "is set by mfa-gate itself (the session cookies, the host, the framing)",
                ));
            }
            let value = HeaderValue::from_str(&value)
                .map_err(|_| self.error(&field, "is not a valid header value"))?;
            out.push((parsed, value));
        }
        Ok(out)
    }

    /// `session_cookie`, `session_cookies` or `session_cookie_prefix`:
    /// exactly one.
    pub(super) fn session_cookies(
        &self,
        one: Option<String>,
        several: Option<Vec<String>>,
        prefix: Option<String>,
    ) -> Result<SessionCookies, ConfigError> {
        match (one, several, prefix) {
            (Some(name), None, None) => Ok(SessionCookies::one(
                &self.check("identity.session_cookie", cookie_name(name))?,
            )),
            (None, Some(names), None) => {
                let field = "identity.session_cookies";
                if names.is_empty() || names.len() > MAX_SESSION_COOKIES {
                    return Err(self.error(field, "must list 1 to 8 cookie names"));
                }
                let mut out: Vec<CookieName> = Vec::with_capacity(names.len());
                for (i, name) in names.into_iter().enumerate() {
                    let name = CookieName::new(self.check(&format!("{field}[{i}]"), cookie_name(name))?);
                    if let Some(other) = out.iter().find(|n| n.skeleton == name.skeleton) {
                        return Err(self.error(
                            &format!("{field}[{i}]"),
                            format!(
                                "\"{}\" and \"{}\" read as the same cookie in some frameworks",
                                name.name, other.name
                            ),
                        ));
                    }
                    out.push(name);
                }
                Ok(SessionCookies::Names(out))
            }
            (None, None, Some(prefix)) => {
                let field = "identity.session_cookie_prefix";
                let prefix = CookieName::new(self.check(field, cookie_name(prefix))?);
                if prefix.skeleton.len() < 3 {
                    return Err(self.error(
                        field,
                        "needs at least 3 letters or digits, or it would match unrelated cookies",
                    ));
                }
                Ok(SessionCookies::Prefix(prefix))
            }
            (None, None, None) => Err(self.error(
                "identity",
                "missing field `session_cookie` (or `session_cookies: [A, B]`, or `session_cookie_prefix`)",
            )),
            _ => Err(self.error(
                "identity",
                "give one of `session_cookie`, `session_cookies` and `session_cookie_prefix`",
            )),
        }
    }
}

/// The top-level field `name`, or `absent` when the answer has none.
fn fallback(name: &str, absent: &str) -> FieldRule {
    FieldRule::AtOr {
        pointer: pointer_of(name),
        absent: absent.to_owned(),
    }
}

fn class_text(text: &str) -> Result<(), String> {
    AccountClass::parse(text)
        .map(|_| ())
        .ok_or_else(|| format!("\"{text}\" is not a class (candidate, employee or admin)"))
}

/// Every `~` of a pointer starts `~0` or `~1`.
fn valid_escapes(pointer: &str) -> bool {
    let bytes = pointer.as_bytes();
    bytes
        .iter()
        .enumerate()
        .all(|(i, b)| *b != b'~' || matches!(bytes.get(i + 1), Some(b'0' | b'1')))
}

#[cfg(test)]
mod tests;
