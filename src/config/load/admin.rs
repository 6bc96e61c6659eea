//! The `admin` and `audit` sections: the admin listener's address, the
//! support token (read like the keys, from an environment variable or a
//! file, and never echoed), and the audit retention. Also used on its own by
//! `mfa-gate support -c FILE`, which needs these and nothing else (not the
//! keys, which support staff need not hold).

use super::super::raw::{RawAdmin, RawAudit, RawSecret};
use super::super::{AdminConfig, AuditConfig, SupportToken};
use super::{ConfigError, Doc};
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

/// The shortest audit retention accepted: a trail shorter than a day would
/// be gone before anyone looked at it.
const MIN_RETENTION: Duration = Duration::from_secs(86_400);
/// `audit.keep_days` unless given, and at most (a century).
const DEFAULT_KEEP_DAYS: u32 = 400;
const MAX_KEEP_DAYS: u32 = 36_500;
const MAX_TOKEN_LEN: usize = 512;

impl Doc<'_> {
    pub(super) fn admin(
        &self,
        raw: Option<RawAdmin>,
        gateway_listen: SocketAddr,
        base: &Path,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Option<AdminConfig>, ConfigError> {
        let Some(raw) = raw else { return Ok(None) };
        if raw.listen == gateway_listen {
            return Err(self.error(
                "admin.listen",
                format!(
                    "{} is also `listen`; the admin listener needs its own port",
                    raw.listen
                ),
            ));
        }
        let support_token = self.token("admin.support_token", &raw.support_token, base, env)?;
        Ok(Some(AdminConfig {
            listen: raw.listen,
            support_token,
        }))
    }

    pub(super) fn audit(&self, raw: RawAudit) -> Result<AuditConfig, ConfigError> {
        let retention = match (raw.keep_days, raw.retention) {
            (Some(_), Some(_)) => {
                return Err(self.error(
                    "audit.retention",
                    "give `keep_days` only (`retention` is its older spelling)",
                ));
            }
            (Some(days), None) => {
                if !(1..=MAX_KEEP_DAYS).contains(&days) {
                    return Err(
                        self.error("audit.keep_days", format!("must be 1 to {MAX_KEEP_DAYS}"))
                    );
                }
                Duration::from_secs(u64::from(days) * 86_400)
            }
            (None, Some(retention)) if retention < MIN_RETENTION => {
                return Err(self.error("audit.retention", "must be at least 1d"));
            }
            (None, Some(retention)) => retention,
            (None, None) => Duration::from_secs(u64::from(DEFAULT_KEEP_DAYS) * 86_400),
        };
        Ok(AuditConfig { retention })
    }

    /// Reads the support token from its variable or file. Messages name the
    /// variable or file, never the value.
    fn token(
        &self,
        field: &str,
        raw: &RawSecret,
        base: &Path,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<SupportToken, ConfigError> {
        let text = self.secret_with(field, raw, base, env, token_text)?;
        Ok(SupportToken::new(text))
    }
}

/// A token is one line of printable ASCII without spaces (it travels in an
/// `Authorization` header), at least `SupportToken::MIN_LEN` long;
/// surrounding whitespace (a file's newline) is ignored. The error completes
/// "environment variable X …" / "file Y …" and never includes the value.
pub(super) fn token_text(text: &str) -> Result<String, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("is empty (expected a support token, e.g. `openssl rand -hex 32`)".into());
    }
    if !text.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(
            "holds spaces or characters other than printable ASCII (it is sent in an HTTP header)"
                .into(),
        );
    }
    let min = SupportToken::MIN_LEN;
    if text.len() < min || text.len() > MAX_TOKEN_LEN {
        return Err(format!(
            "holds {} characters; a support token needs {min} to {MAX_TOKEN_LEN} (e.g. `openssl rand -hex 32`)",
            text.len()
        ));
    }
    Ok(text.to_owned())
}

#[cfg(test)]
mod tests;
