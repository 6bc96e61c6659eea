//! The checks of `access_rules`: each condition parsed (globs, methods,
//! hosts, classes, CIDRs), each action read, and the rules that could
//! never do what they say refused with the field and line: an empty
//! condition list, a rule that an earlier one always matches first, a
//! `bypass` that names who the session is (bypass is decided before
//! anyone is identified) or whose glob is wider than one directory, a
//! `passkey` rule without a `webauthn` section, a `step_up` outside
//! 1 minute to 24 hours.

use super::Doc;
use super::checks::normalized_path;
use crate::config::ConfigError;
use crate::config::raw::rules::{RawAction, RawRule};
use crate::config::rules::{AccessRule, Glob, RuleAction};
use crate::domain::AccountClass;
use std::time::Duration;

impl Doc<'_> {
    pub(super) fn access_rules(
        &self,
        raw: Vec<RawRule>,
        passkeys: bool,
    ) -> Result<Vec<AccessRule>, ConfigError> {
        let mut rules: Vec<AccessRule> = Vec::with_capacity(raw.len());
        for (i, entry) in raw.into_iter().enumerate() {
            let field = format!("access_rules[{i}]");
            let rule = self.access_rule(&field, entry, passkeys)?;
            if let Some(j) = rules.iter().position(|earlier| rule.shadowed_by(earlier)) {
                return Err(self.error(
                    &field,
                    format!(
                        "this rule can never match: access_rules[{j}] matches every request it would (first match wins)"
                    ),
                ));
            }
            rules.push(rule);
        }
        Ok(rules)
    }

    fn access_rule(
        &self,
        field: &str,
        raw: RawRule,
        passkeys: bool,
    ) -> Result<AccessRule, ConfigError> {
        let action = self.check(&format!("{field}.action"), action(raw.action, passkeys))?;
        let list = |name: &str, values: Option<Vec<String>>| {
            match values {
            Some(v) if v.is_empty() => Err(self.error(
                &format!("{field}.{name}"),
                "an empty list matches nothing, so the rule could never match; leave the condition out to match any",
            )),
            v => Ok(v.unwrap_or_default()),
        }
        };
        let rule = AccessRule {
            paths: self.each(field, "paths", list("paths", raw.paths)?, glob)?,
            methods: self.each(field, "methods", list("methods", raw.methods)?, method)?,
            hosts: self.each(field, "hosts", list("hosts", raw.hosts)?, host)?,
            classes: self.each(field, "classes", list("classes", raw.classes)?, class)?,
            roles: self.each(field, "roles", list("roles", raw.roles)?, role)?,
            networks: self.each(field, "networks", list("networks", raw.networks)?, network)?,
            action,
        };
        if action == RuleAction::Bypass {
            self.bypass_rule(field, &rule)?;
        }
        Ok(rule)
    }

    /// A bypass is decided before identification and exempts whoever
    /// asks: it may not name who the session is, and its globs may not be
    /// wider than one directory.
    fn bypass_rule(&self, field: &str, rule: &AccessRule) -> Result<(), ConfigError> {
        if rule.names_subject() {
            let which = if rule.classes.is_empty() {
                "roles"
            } else {
                "classes"
            };
            return Err(self.error(
                &format!("{field}.{which}"),
                "a bypass rule is decided before anyone is identified: it may match on paths, methods, hosts and networks only",
            ));
        }
        if rule.paths.is_empty() {
            return Err(self.error(
                &format!("{field}.action"),
                "a bypass rule must list its paths (a bypass of every path would exempt the whole app)",
            ));
        }
        for (j, glob) in rule.paths.iter().enumerate() {
            if !glob.within_a_directory() {
                return Err(self.error(
                    &format!("{field}.paths[{j}]"),
                    format!(
                        "\"{glob}\" is wider than one directory: a bypass glob is a literal path, or a literal directory and one last wildcard segment (/static/**, /static/*.css)"
                    ),
                ));
            }
        }
        Ok(())
    }

    /// Each value of a condition list, checked by `parse`.
    fn each<T>(
        &self,
        field: &str,
        name: &str,
        values: Vec<String>,
        parse: fn(&str) -> Result<T, String>,
    ) -> Result<Vec<T>, ConfigError> {
        let mut out = Vec::with_capacity(values.len());
        for (j, value) in values.iter().enumerate() {
            out.push(self.check(&format!("{field}.{name}[{j}]"), parse(value))?);
        }
        Ok(out)
    }
}

fn action(raw: RawAction, passkeys: bool) -> Result<RuleAction, String> {
    let action = match raw {
        RawAction::StepUp(within) => {
            let (min, max) = (Duration::from_secs(60), Duration::from_secs(86_400));
            if within < min || within > max || within.as_secs() % 60 != 0 {
                return Err("step_up must be whole minutes from 1m to 24h (e.g. 10m)".into());
            }
            RuleAction::StepUp(within)
        }
        RawAction::Word(word) => match word.as_str() {
            "bypass" => RuleAction::Bypass,
            "company_policy" => RuleAction::CompanyPolicy,
            "two_factor" => RuleAction::TwoFactor,
            "passkey" => RuleAction::Passkey,
            "deny" => RuleAction::Deny,
            "step_up" => return Err("give the window: `action: { step_up: 10m }`".into()),
            other => {
                return Err(format!(
                    "\"{other}\" is not an action (bypass, company_policy, two_factor, passkey, deny, {{ step_up: 10m }})"
                ));
            }
        },
    };
    if action == RuleAction::Passkey && !passkeys {
        return Err("a passkey rule needs passkeys: add a `webauthn` section".into());
    }
    Ok(action)
}

fn glob(text: &str) -> Result<Glob, String> {
    let glob = Glob::parse(text)?;
    // The literal text must be a path the normalizer could produce.
    normalized_path(&text.replace('*', "x")).map_err(|_| {
        format!("\"{text}\" must be a plain decoded path (no //, /./, /../, %, \\, ;, #)")
    })?;
    Ok(glob)
}

fn method(text: &str) -> Result<String, String> {
    let token = !text.is_empty() && text.bytes().all(|b| b.is_ascii_uppercase());
    match token {
        true => Ok(text.to_owned()),
        false => Err(format!(
            "\"{text}\" is not a method name in capitals (GET, POST, …)"
        )),
    }
}

fn host(text: &str) -> Result<String, String> {
    let name = text.strip_prefix("*.").unwrap_or(text);
    let plain = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'-' | b'.'));
    match plain && !name.starts_with('.') && !name.ends_with('.') {
        true => Ok(text.to_owned()),
        false => Err(format!(
            "\"{text}\" is not a host name in lower case without a port (admin.example.com, *.example.com)"
        )),
    }
}

fn class(text: &str) -> Result<AccountClass, String> {
    AccountClass::parse(text)
        .ok_or_else(|| format!("\"{text}\" is not an account class (candidate, employee, admin)"))
}

fn role(text: &str) -> Result<String, String> {
    match text.trim().is_empty() {
        true => Err("a role must not be blank".into()),
        false => Ok(text.to_owned()),
    }
}

fn network(text: &str) -> Result<ipnet::IpNet, String> {
    text.parse::<ipnet::IpNet>()
        .or_else(|_| text.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
        .map(|net| net.trunc())
        .map_err(|_| {
            format!("\"{text}\" is not a CIDR block or an address (10.0.0.0/8, 192.0.2.7)")
        })
}

#[cfg(test)]
mod tests;
