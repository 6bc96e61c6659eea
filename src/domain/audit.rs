//! The audit trail's nouns: what happened (`AuditKind`), to whom and by
//! whom (`AuditEvent`), and how and what for (`AuditDetail`: the `Factor`
//! used and the `Purpose` of the proof, as fields that metrics read, with
//! words for people derived from them). Plain data, like the rest of
//! `domain`.

use super::{Identity, PersonKey};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Kinds of security event for the audit trail.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditKind {
    Enrolled,
    ChallengePassed,
    ChallengeFailed,
    BackupCodeUsed,
    BackupCodesRegenerated,
    Disabled,
    Locked,
    Unlocked,
    Reset,
    PolicyChanged,
    /// A browser was remembered after a passed challenge.
    BrowserRemembered,
    /// A remembered browser let a new app session skip the code.
    RememberedBrowserUsed,
    /// Remembered browsers were forgotten (the note says which, by whom).
    BrowsersForgotten,
    /// A passkey or security key was registered (the note names it).
    PasskeyAdded,
    /// A passkey or security key was removed (the note names it).
    PasskeyRemoved,
    /// A passkey was given another name.
    PasskeyRenamed,
}

/// One audit-trail entry. Never holds a secret or a code.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEvent {
    pub at: i64,
    pub kind: AuditKind,
    /// The person concerned, when the event is about one.
    pub person: Option<PersonKey>,
    pub company: String,
    /// Who did it: the account, or `support`.
    pub actor: String,
    /// How and what for, as fields; `Display` gives the words for people.
    pub detail: AuditDetail,
}

impl AuditEvent {
    /// The actor of events made through the support API.
    pub const SUPPORT: &'static str = "support";

    /// An event about the person behind `identity`, done by that account.
    pub fn by_user(identity: &Identity, kind: AuditKind, now: i64) -> AuditEvent {
        AuditEvent {
            at: now,
            kind,
            person: Some(identity.person_key()),
            company: identity.company().to_owned(),
            actor: identity.account().to_owned(),
            detail: AuditDetail::default(),
        }
    }

    /// An event about the person `person` of `company`, done by support
    /// (through the admin API).
    pub fn by_support(person: &PersonKey, company: &str, kind: AuditKind, now: i64) -> AuditEvent {
        AuditEvent {
            at: now,
            kind,
            person: Some(person.clone()),
            company: company.to_owned(),
            actor: AuditEvent::SUPPORT.to_owned(),
            detail: AuditDetail::default(),
        }
    }

    /// The factor a code check used.
    pub fn with_method(mut self, method: Factor) -> AuditEvent {
        self.detail.method = Some(method);
        self
    }

    /// What the proof was for.
    pub fn with_purpose(mut self, purpose: Purpose) -> AuditEvent {
        self.detail.purpose = Some(purpose);
        self
    }

    /// Words for people only (what support removed, a policy's before and
    /// after): never read by code.
    pub fn with_note(mut self, note: impl Into<String>) -> AuditEvent {
        self.detail.note = note.into();
        self
    }
}

/// The second factor a code check used.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Factor {
    /// A TOTP code from the authenticator app.
    Totp,
    /// A single-use backup code.
    BackupCode,
    /// A passkey or security key (a WebAuthn assertion).
    Passkey,
}

/// What a proof of the second factor was asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Purpose {
    /// The second step of a session (`/challenge`).
    Challenge,
    /// Turning 2FA off from the settings page.
    Disable,
    /// A new set of backup codes from the settings page.
    RegenerateCodes,
    /// Removing a passkey from the settings page.
    RemovePasskey,
}

impl Factor {
    pub const ALL: [Factor; 3] = [Factor::Totp, Factor::BackupCode, Factor::Passkey];

    /// The words of the audit trail.
    pub fn label(self) -> &'static str {
        match self {
            Factor::Totp => "authenticator app",
            Factor::BackupCode => "backup code",
            Factor::Passkey => "passkey",
        }
    }
}

impl Purpose {
    pub const ALL: [Purpose; 4] = [
        Purpose::Challenge,
        Purpose::Disable,
        Purpose::RegenerateCodes,
        Purpose::RemovePasskey,
    ];

    /// The words of the audit trail.
    pub fn label(self) -> &'static str {
        match self {
            Purpose::Challenge => "challenge",
            Purpose::Disable => "disable",
            Purpose::RegenerateCodes => "regenerate backup codes",
            Purpose::RemovePasskey => "remove a passkey",
        }
    }
}

/// The detail of an audit event. Code reads `method` and `purpose`; people
/// read the `Display` form (`backup code; challenge`), which the log line
/// and the support API show.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditDetail {
    pub method: Option<Factor>,
    pub purpose: Option<Purpose>,
    /// Free words for people; empty when the fields say it all.
    pub note: String,
}

impl AuditDetail {
    /// The detail of an event written as text only (the first audit
    /// format): its typed parts are read back where the text is exactly
    /// what `Display` makes of them, so it displays as it was written.
    pub fn from_text(text: &str) -> AuditDetail {
        let (head, rest) = match text.split_once("; ") {
            Some((head, rest)) => (head, Some(rest)),
            None => (text, None),
        };
        let Some(method) = Factor::ALL.into_iter().find(|f| f.label() == head) else {
            return AuditDetail::from(text);
        };
        let purpose = rest.map(|r| Purpose::ALL.into_iter().find(|p| p.label() == r));
        match purpose {
            None => AuditDetail {
                method: Some(method),
                ..AuditDetail::default()
            },
            Some(Some(purpose)) => AuditDetail {
                method: Some(method),
                purpose: Some(purpose),
                note: String::new(),
            },
            Some(None) => AuditDetail::from(text),
        }
    }
}

/// A detail that is words only.
impl From<&str> for AuditDetail {
    fn from(note: &str) -> AuditDetail {
        AuditDetail {
            note: note.to_owned(),
            ..AuditDetail::default()
        }
    }
}

impl fmt::Display for AuditDetail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts = [
            self.method.map(Factor::label),
            self.purpose.map(Purpose::label),
            Some(self.note.as_str()).filter(|n| !n.is_empty()),
        ];
        let mut first = true;
        for part in parts.into_iter().flatten() {
            if !first {
                f.write_str("; ")?;
            }
            f.write_str(part)?;
            first = false;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
