//! A whoami answer (untrusted JSON) to an `Identity`, by the configured
//! `FieldMap`: values by JSON pointer, constants, value maps. Every failure
//! is a `MappingError` that names the field, the pointer and what was
//! found there, so that `mfa-gate identity-check` can tell an operator
//! exactly what to fix. Pure; no I/O.

use super::MAX_FIELD;
use crate::config::{AnonymousWhen, FieldMap, FieldRule, ValueMap};
use crate::domain::{AccountClass, Identity, IdentityText};
use serde_json::Value;
use std::borrow::Cow;

/// Most roles one identity may have.
const MAX_ROLES: usize = 64;

/// Why an answer does not map to an identity.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MappingError {
    #[error("the answer is not a JSON object")]
    NotAnObject,
    #[error("`{field}`: nothing at {pointer}")]
    Missing {
        field: &'static str,
        pointer: String,
    },
    #[error("`{field}`: the {found} at {pointer} is not {wanted}")]
    WrongType {
        field: &'static str,
        pointer: String,
        found: &'static str,
        wanted: &'static str,
    },
    #[error("`{field}`: the value at {pointer} is longer than {MAX_FIELD} bytes")]
    TooLong {
        field: &'static str,
        pointer: String,
    },
    #[error("`{field}`: {value} at {pointer} is not in the map ({keys}) and there is no default")]
    NotMapped {
        field: &'static str,
        pointer: String,
        value: String,
        keys: String,
    },
    #[error("`class`: \"{0}\" is not candidate, employee or admin")]
    BadClass(String),
}

/// Whether a 200 answer means "not logged in".
pub fn is_anonymous(json: &Value, when: Option<&AnonymousWhen>) -> bool {
    match when {
        None => false,
        Some(AnonymousWhen::Present(p)) => pointer_at(json, p).is_some(),
        Some(AnonymousWhen::Absent(p)) => pointer_at(json, p).is_none(),
    }
}

/// Map a whoami answer to an identity. `account`, `company` and `class`
/// must give a value; `person` defaults to the account; `roles` is a list
/// of strings (or one string); `email` is optional.
pub fn map_identity<'a>(json: &'a Value, fields: &'a FieldMap) -> Result<Identity, MappingError> {
    if !json.is_object() {
        return Err(MappingError::NotAnObject);
    }
    let required = |field: &'static str, rule: &'a FieldRule| {
        text(json, field, rule)?.ok_or_else(|| MappingError::Missing {
            field,
            pointer: source_of(rule).to_owned(),
        })
    };
    let account = required("account", &fields.account)?;
    let company = required("company", &fields.company)?;
    let class = class(json, &fields.class)?;
    let person = text(json, "person", &fields.person)?;
    let roles = roles(json, &fields.roles)?;
    let email = text(json, "email", &fields.email)?;
    // Packed straight from the answer's strings: no copy of each first.
    Identity::pack(IdentityText {
        person: person.as_deref().unwrap_or(&account),
        account: &account,
        company: &company,
        class,
        roles: &roles,
        email: email.as_deref(),
    })
    .map_err(|_| MappingError::TooLong {
        field: "identity",
        pointer: "(all fields)".to_owned(),
    })
}

/// The pointer a rule reads (for messages); a constant reads none.
fn source_of(rule: &FieldRule) -> &str {
    match rule {
        FieldRule::At(p) | FieldRule::AtOr { pointer: p, .. } => p,
        FieldRule::Map(m) => &m.from,
        FieldRule::Constant(_) => "(constant)",
    }
}

/// One text value: `None` when absent, null or empty (then the fallback
/// of an `AtOr` rule).
fn text<'a>(
    json: &'a Value,
    field: &'static str,
    rule: &'a FieldRule,
) -> Result<Option<Cow<'a, str>>, MappingError> {
    let value = match rule {
        FieldRule::Constant(c) => Some(Cow::Borrowed(c.as_str())),
        FieldRule::At(p) | FieldRule::AtOr { pointer: p, .. } => match pointer_at(json, p) {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(Cow::Borrowed(s.as_str())),
            Some(other) => {
                return Err(MappingError::WrongType {
                    field,
                    pointer: p.clone(),
                    found: kind(other),
                    wanted: "a string",
                });
            }
        },
        FieldRule::Map(m) => mapped(json, field, m)?.into_iter().next().map(Cow::Owned),
    };
    let value = match value {
        Some(s) if s.is_empty() => None,
        Some(s) if s.len() > MAX_FIELD => {
            return Err(MappingError::TooLong {
                field,
                pointer: source_of(rule).to_owned(),
            });
        }
        other => other,
    };
    Ok(match (value, rule) {
        (None, FieldRule::AtOr { absent, .. }) => Some(Cow::Borrowed(absent.as_str())),
        (value, _) => value,
    })
}

/// The class: a string naming it, or a value map. Of a list mapped to
/// several classes, the one with the most rights counts (admin, then
/// employee, then candidate).
fn class(json: &Value, rule: &FieldRule) -> Result<AccountClass, MappingError> {
    let texts = match rule {
        FieldRule::Map(m) => mapped(json, "class", m)?,
        other => match text(json, "class", other)? {
            Some(t) => vec![t.into_owned()],
            None => Vec::new(),
        },
    };
    let mut best: Option<AccountClass> = None;
    for t in texts {
        let class = AccountClass::parse(&t).ok_or(MappingError::BadClass(t))?;
        best = Some(match (best, class) {
            (Some(AccountClass::Admin), _) | (_, AccountClass::Admin) => AccountClass::Admin,
            (Some(AccountClass::Employee), _) | (_, AccountClass::Employee) => {
                AccountClass::Employee
            }
            _ => AccountClass::Candidate,
        });
    }
    best.ok_or_else(|| MappingError::Missing {
        field: "class",
        pointer: source_of(rule).to_owned(),
    })
}

fn roles(json: &Value, rule: &FieldRule) -> Result<Vec<String>, MappingError> {
    let mut roles = match rule {
        FieldRule::Constant(c) => vec![c.clone()],
        FieldRule::Map(m) => mapped(json, "roles", m)?,
        // `AtOr` is never configured for roles: no roles is no roles.
        FieldRule::At(p) | FieldRule::AtOr { pointer: p, .. } => match pointer_at(json, p) {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::String(s)) => vec![s.clone()],
            Some(Value::Array(items)) => items
                .iter()
                .map(|r| r.as_str().map(str::to_owned))
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| wrong("roles", p, &Value::Array(Vec::new()), "a list of strings"))?,
            Some(other) => return Err(wrong("roles", p, other, "a list of strings")),
        },
    };
    roles.dedup();
    if roles.len() > MAX_ROLES || roles.iter().any(|r| r.len() > MAX_FIELD) {
        return Err(MappingError::TooLong {
            field: "roles",
            pointer: source_of(rule).to_owned(),
        });
    }
    Ok(roles)
}

fn wrong(field: &'static str, pointer: &str, found: &Value, wanted: &'static str) -> MappingError {
    MappingError::WrongType {
        field,
        pointer: pointer.to_owned(),
        found: match found {
            Value::Array(_) => "list with a non-string element",
            other => kind(other),
        },
        wanted,
    }
}

/// The results of a value map: one per mapped value (each element of a
/// list), or the default when there is none; no value and no default is
/// an error (an empty result for `roles`).
fn mapped(json: &Value, field: &'static str, m: &ValueMap) -> Result<Vec<String>, MappingError> {
    let values: Vec<&Value> = match pointer_at(json, &m.from) {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) if items.len() <= MAX_ROLES => items.iter().collect(),
        Some(Value::Array(_)) => {
            return Err(MappingError::TooLong {
                field,
                pointer: m.from.clone(),
            });
        }
        Some(one) => vec![one],
    };
    let mut out = Vec::new();
    let mut unmapped = None;
    for value in values {
        let key = match value {
            Value::String(s) => s.clone(),
            Value::Bool(b) => b.to_string(),
            Value::Number(n) => n.to_string(),
            other => return Err(wrong(field, &m.from, other, "a string, number or boolean")),
        };
        match m.get(&key) {
            Some(result) if !out.iter().any(|r| r == result) => out.push(result.to_owned()),
            Some(_) => {}
            None => unmapped = Some(key),
        }
    }
    if out.is_empty() {
        if let Some(d) = &m.default {
            out.push(d.clone());
        } else if let Some(value) = unmapped.filter(|_| field != "roles") {
            return Err(MappingError::NotMapped {
                field,
                pointer: m.from.clone(),
                value: format!("{value:?}"),
                keys: m
                    .map
                    .iter()
                    .map(|(k, _)| k.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        }
    }
    Ok(out)
}

/// `json.pointer(pointer)` (RFC 6901), without its two allocations per
/// step when the pointer has no `~` escape (every pointer we are likely
/// to be given): a whoami miss reads five or six of them. Tokens are cut
/// at `/` found byte by byte: these strings are a few bytes long, too
/// short for a `str` searcher's setup to pay.
fn pointer_at<'a>(json: &'a Value, pointer: &str) -> Option<&'a Value> {
    if pointer.as_bytes().contains(&b'~') {
        return json.pointer(pointer);
    }
    if pointer.is_empty() {
        return Some(json);
    }
    let mut rest = pointer.strip_prefix('/')?;
    let mut target = json;
    loop {
        let (token, more) = match rest.bytes().position(|b| b == b'/') {
            Some(slash) => (&rest[..slash], Some(&rest[slash + 1..])),
            None => (rest, None),
        };
        target = match target {
            Value::Object(map) => map.get(token)?,
            // As `Value::pointer` reads an index: no sign, no leading zero.
            Value::Array(_) if token.starts_with('+') => return None,
            Value::Array(_) if token.starts_with('0') && token.len() > 1 => return None,
            Value::Array(list) => list.get(token.parse::<usize>().ok()?)?,
            _ => return None,
        };
        match more {
            Some(more) => rest = more,
            None => return Some(target),
        }
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "list",
        Value::Object(_) => "object",
    }
}

#[cfg(test)]
mod tests;
