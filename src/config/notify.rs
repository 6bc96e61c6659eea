//! The validated `notify` section: where notifications go (email through
//! SMTP or into a folder, signed webhooks) and how the outbox retries.
//! Secrets (SMTP password, webhook keys) have hand-written `Debug`.

use crate::domain::NoticeKind;
use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Clone, Debug)]
pub struct NotifyConfig {
    pub email: Option<EmailConfig>,
    pub webhooks: Vec<WebhookConfig>,
    pub retry: RetryConfig,
    /// At most one message per kind and person within this time
    /// (`notify::coalesce`); zero: no coalescing.
    pub min_interval: Duration,
}

#[derive(Clone, Debug)]
pub struct EmailConfig {
    pub transport: EmailTransport,
    pub from: String,
    pub reply_to: Option<String>,
}

#[derive(Clone, Debug)]
pub enum EmailTransport {
    Smtp(SmtpConfig),
    /// Each message as a `.eml` file in this directory (the demo).
    Folder(PathBuf),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SmtpSecurity {
    StartTls,
    Tls,
    None,
}

#[derive(Clone, Debug)]
pub struct SmtpConfig {
    pub host: String,
    pub port: u16,
    pub security: SmtpSecurity,
    pub credentials: Option<(String, Secret)>,
    pub timeout: Duration,
}

#[derive(Clone, Debug)]
pub struct WebhookConfig {
    pub url: String,
    pub secret: Secret,
    /// The events sent there; empty: all.
    pub events: Vec<NoticeKind>,
    pub timeout: Duration,
}

impl WebhookConfig {
    pub fn wants(&self, kind: NoticeKind) -> bool {
        self.events.is_empty() || self.events.contains(&kind)
    }
}

#[derive(Clone, Debug)]
pub struct RetryConfig {
    /// Wait before the second attempt; doubled after each failure.
    pub first: Duration,
    /// The longest wait between two attempts.
    pub max: Duration,
    /// Attempts before a delivery is dead-lettered.
    pub attempts: u32,
}

/// A password or signing key read from `{ env }` or `{ file }`.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    pub(crate) fn new(text: String) -> Secret {
        Secret(text)
    }

    /// The secret itself, for the SMTP login or the HMAC; never for logs.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}
