//! Checks of the `notify` section: exactly one email transport, addresses
//! that parse, webhook URLs that are http(s), known event names, secrets
//! read like the keys (never echoed), a sane retry schedule.

use super::super::notify::{
    EmailConfig, EmailTransport, NotifyConfig, RetryConfig, Secret, SmtpConfig, SmtpSecurity,
    WebhookConfig,
};
use super::super::raw::notify::{RawEmail, RawNotify, RawRetry, RawSmtp, RawWebhook};
use super::{ConfigError, Doc};
use crate::domain::NoticeKind;
use std::path::Path;
use std::time::Duration;

/// The shortest webhook signing key accepted.
const MIN_WEBHOOK_SECRET: usize = 16;

impl Doc<'_> {
    pub(super) fn notify(
        &self,
        raw: Option<RawNotify>,
        base: &Path,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Option<NotifyConfig>, ConfigError> {
        let Some(raw) = raw else { return Ok(None) };
        let email = match raw.email {
            Some(e) => Some(self.email(e, base, env)?),
            None => None,
        };
        let mut webhooks = Vec::new();
        for (i, w) in raw.webhooks.into_iter().enumerate() {
            webhooks.push(self.webhook(i, w, base, env)?);
        }
        if email.is_none() && webhooks.is_empty() {
            return Err(self.error("notify", "give `email`, `webhooks` or both"));
        }
        let retry = self.retry(raw.retry)?;
        if raw.min_interval > Duration::from_secs(24 * 3600) {
            return Err(self.error(
                "notify.min_interval",
                "must be at most 1d: a person must hear of an event the same day",
            ));
        }
        Ok(Some(NotifyConfig {
            email,
            webhooks,
            retry,
            min_interval: raw.min_interval,
        }))
    }

    fn email(
        &self,
        raw: RawEmail,
        base: &Path,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<EmailConfig, ConfigError> {
        self.check("notify.email.from", mailbox(&raw.from))?;
        if let Some(r) = &raw.reply_to {
            self.check("notify.email.reply_to", mailbox(r))?;
        }
        let transport = match (raw.smtp, raw.folder) {
            (Some(smtp), None) => EmailTransport::Smtp(self.smtp(smtp, base, env)?),
            (None, Some(folder)) => EmailTransport::Folder(super::resolve(base, &folder)),
            _ => {
                return Err(self.error(
                    "notify.email",
                    "give exactly one of `smtp: { host, ... }` or `folder: PATH`",
                ));
            }
        };
        Ok(EmailConfig {
            transport,
            from: raw.from,
            reply_to: raw.reply_to,
        })
    }

    fn smtp(
        &self,
        raw: RawSmtp,
        base: &Path,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<SmtpConfig, ConfigError> {
        if raw.host.trim().is_empty() {
            return Err(self.error("notify.email.smtp.host", "is empty"));
        }
        let (security, default_port) = match raw.security.as_str() {
            "starttls" => (SmtpSecurity::StartTls, 587),
            "tls" => (SmtpSecurity::Tls, 465),
            "none" => (SmtpSecurity::None, 25),
            other => {
                return Err(self.error(
                    "notify.email.smtp.security",
                    format!("unknown {other:?} (expected starttls, tls or none)"),
                ));
            }
        };
        let credentials = match (raw.username, raw.password) {
            (Some(user), Some(password)) => {
                let field = "notify.email.smtp.password";
                let secret = self.secret_with(field, &password, base, env, non_empty)?;
                Some((user, Secret::new(secret)))
            }
            (None, None) => None,
            _ => {
                return Err(self.error(
                    "notify.email.smtp",
                    "give both `username` and `password`, or neither",
                ));
            }
        };
        Ok(SmtpConfig {
            host: raw.host,
            port: raw.port.unwrap_or(default_port),
            security,
            credentials,
            timeout: raw.timeout,
        })
    }

    fn webhook(
        &self,
        i: usize,
        raw: RawWebhook,
        base: &Path,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<WebhookConfig, ConfigError> {
        let field = format!("notify.webhooks[{i}]");
        let url = url_of(&raw.url);
        self.check(&format!("{field}.url"), url)?;
        let secret = self.secret_with(&format!("{field}.secret"), &raw.secret, base, env, |t| {
            let t = non_empty(t)?;
            if t.len() < MIN_WEBHOOK_SECRET {
                return Err(format!(
                    "holds {} characters; a webhook secret needs at least {MIN_WEBHOOK_SECRET}",
                    t.len()
                ));
            }
            Ok(t)
        })?;
        let mut events = Vec::new();
        for name in &raw.events {
            let Some(kind) = NoticeKind::parse(name) else {
                let known: Vec<&str> = NoticeKind::ALL.iter().map(|k| k.as_str()).collect();
                return Err(self.error(
                    &format!("{field}.events"),
                    format!("unknown event {name:?} (known: {})", known.join(", ")),
                ));
            };
            events.push(kind);
        }
        Ok(WebhookConfig {
            url: raw.url,
            secret: Secret::new(secret),
            events,
            timeout: raw.timeout,
        })
    }

    fn retry(&self, raw: RawRetry) -> Result<RetryConfig, ConfigError> {
        if raw.attempts == 0 || raw.attempts > 100 {
            return Err(self.error("notify.retry.attempts", "must be 1 to 100"));
        }
        if raw.first.is_zero() || raw.max < raw.first {
            return Err(self.error(
                "notify.retry",
                "`first` must be above zero and `max` at least `first`",
            ));
        }
        Ok(RetryConfig {
            first: raw.first,
            max: raw.max,
            attempts: raw.attempts,
        })
    }
}

/// A secret's text, trimmed; the error completes "environment variable X …".
fn non_empty(text: &str) -> Result<String, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("is empty".into());
    }
    Ok(text.to_owned())
}

/// An email address (`a@b`, or `Name <a@b>`) as lettre reads it.
fn mailbox(text: &str) -> Result<(), String> {
    text.parse::<lettre::message::Mailbox>()
        .map(|_| ())
        .map_err(|e| format!("invalid address {text:?}: {e}"))
}

fn url_of(text: &str) -> Result<(), String> {
    let ok = text
        .strip_prefix("https://")
        .or(text.strip_prefix("http://"));
    match ok {
        Some(rest) if !rest.is_empty() && !rest.starts_with('/') => Ok(()),
        _ => Err(format!(
            "invalid URL {text:?} (expected http:// or https://)"
        )),
    }
}

#[cfg(test)]
mod tests;
