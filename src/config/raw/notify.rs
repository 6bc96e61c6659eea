//! The serde shape of the `notify` section: email (SMTP, or a folder for
//! the demo) and signed webhooks, and the outbox's retry schedule. Checks
//! across fields and the secrets belong to `load/notify.rs`.

use super::{RawSecret, duration};
use serde::Deserialize;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(in crate::config) struct RawNotify {
    #[serde(default)]
    pub email: Option<RawEmail>,
    #[serde(default)]
    pub webhooks: Vec<RawWebhook>,
    #[serde(default)]
    pub retry: RawRetry,
    /// At most one message per kind and person (per company for a policy
    /// change) within this time; the events in between are counted and
    /// told in one message when it has passed. `0s`: every event at once.
    #[serde(default = "min_interval", deserialize_with = "duration")]
    pub min_interval: Duration,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(in crate::config) struct RawEmail {
    #[serde(default)]
    pub smtp: Option<RawSmtp>,
    /// Instead of SMTP: write each message as a `.eml` file here (demo).
    #[serde(default)]
    pub folder: Option<PathBuf>,
    pub from: String,
    #[serde(default)]
    pub reply_to: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(in crate::config) struct RawSmtp {
    pub host: String,
    #[serde(default)]
    pub port: Option<u16>,
    /// `starttls` (default), `tls` or `none`.
    #[serde(default = "starttls")]
    pub security: String,
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub password: Option<RawSecret>,
    #[serde(default = "timeout", deserialize_with = "duration")]
    pub timeout: Duration,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(in crate::config) struct RawWebhook {
    pub url: String,
    pub secret: RawSecret,
    /// Event names; empty or absent: every event.
    #[serde(default)]
    pub events: Vec<String>,
    #[serde(default = "timeout", deserialize_with = "duration")]
    pub timeout: Duration,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(in crate::config) struct RawRetry {
    #[serde(deserialize_with = "duration")]
    pub first: Duration,
    #[serde(deserialize_with = "duration")]
    pub max: Duration,
    pub attempts: u32,
}

impl Default for RawRetry {
    fn default() -> Self {
        Self {
            first: Duration::from_secs(5),
            max: Duration::from_secs(3600),
            attempts: 12,
        }
    }
}

fn min_interval() -> Duration {
    Duration::from_secs(600)
}

fn starttls() -> String {
    "starttls".into()
}

fn timeout() -> Duration {
    Duration::from_secs(10)
}
