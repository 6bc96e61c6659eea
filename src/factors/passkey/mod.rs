//! Passkeys and security keys as a second step (WebAuthn), through kanidm's
//! `webauthn-rs`: registering a credential, and checking an assertion
//! against a challenge this gateway issued. The library does every check
//! of the ceremony (origin, relying-party id, challenge, signature, sign
//! counter, flags); this module adds what a gateway needs around it:
//! the relying party from config (`Passkeys::new`), a ceremony's state
//! sealed into the page's form and bound to one app session and person
//! (`ceremony.rs`), and the stored form of a credential (`credential.rs`).
//!
//! It uses the library's "security key" ceremonies: user verification
//! `preferred`, because here the credential is the second factor after the
//! app's password, never the only one. Platform passkeys (a phone or a
//! laptop) work the same way as hardware keys.

mod ceremony;
mod credential;

pub use ceremony::{CEREMONY_TTL_SECS, Ceremony, Kind};
pub use credential::{Assertion, accept_assertion, apply_assertion, is_registered, new_passkey};

use crate::config::WebauthnConfig;
pub use crate::config::check_origin;
use crate::domain::{self, PersonKey};
use crate::keys::Keys;
use std::time::Duration;
use webauthn_rs::prelude::{
    AuthenticationResult, CredentialID, PublicKeyCredential, RegisterPublicKeyCredential,
    SecurityKey, SecurityKeyAuthentication, SecurityKeyRegistration, Uuid, Webauthn,
};

/// The relying party, built from the `webauthn` section.
pub struct Passkeys {
    webauthn: Webauthn,
}

impl std::fmt::Debug for Passkeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Passkeys").finish_non_exhaustive()
    }
}

/// Why a browser's answer was not accepted. Never holds the answer.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum Refusal {
    #[error("the browser's answer is not a WebAuthn credential")]
    Malformed,
    #[error("the library refused the credential: {0}")]
    Refused(String),
}

impl Passkeys {
    /// The relying party of `config`; an error names what is wrong.
    pub fn new(config: &WebauthnConfig) -> Result<Passkeys, String> {
        let timeout = Duration::from_secs(CEREMONY_TTL_SECS as u64);
        let webauthn = config.relying_party(timeout)?;
        Ok(Passkeys { webauthn })
    }

    /// The options for the browser's `navigator.credentials.create` (JSON)
    /// and the state to check its answer against. `existing` are excluded:
    /// an authenticator registers once per person.
    pub fn start_registration(
        &self,
        keys: &Keys,
        person: &PersonKey,
        account: &str,
        existing: &[domain::Passkey],
    ) -> Result<(String, SecurityKeyRegistration), String> {
        let exclude: Vec<CredentialID> = existing
            .iter()
            .filter_map(credential::parse)
            .map(|k| k.cred_id().clone())
            .collect();
        let (mut options, state) = self
            .webauthn
            .start_securitykey_registration(
                user_handle(keys, person),
                account,
                account,
                Some(exclude).filter(|e| !e.is_empty()),
                None,
                None,
            )
            .map_err(|e| e.to_string())?;
        // The library asks, without enforcing it, for credProtect "user
        // verification required"; Chromium refuses that request outright
        // next to user verification "preferred" (NotSupportedError: the
        // protection policy is inconsistent). Not asking changes nothing
        // the server checks.
        if let Some(extensions) = options.public_key.extensions.as_mut() {
            extensions.cred_protect = None;
        }
        let json = serde_json::to_string(&options).map_err(|e| e.to_string())?;
        Ok((json, state))
    }

    /// Check the browser's answer to `start_registration`.
    pub fn finish_registration(
        &self,
        answer: &str,
        state: &SecurityKeyRegistration,
    ) -> Result<SecurityKey, Refusal> {
        let answer: RegisterPublicKeyCredential =
            serde_json::from_str(answer).map_err(|_| Refusal::Malformed)?;
        self.webauthn
            .finish_securitykey_registration(&answer, state)
            .map_err(|e| Refusal::Refused(e.to_string()))
    }

    /// The options for `navigator.credentials.get` (JSON), allowing the
    /// person's credentials, and the challenge to check the answer against.
    /// `None` when no stored credential can be read.
    pub fn start_authentication(
        &self,
        existing: &[domain::Passkey],
    ) -> Option<(String, Challenge)> {
        let creds: Vec<SecurityKey> = existing.iter().filter_map(credential::parse).collect();
        if creds.is_empty() {
            return None;
        }
        let (options, state) = self
            .webauthn
            .start_securitykey_authentication(&creds)
            .inspect_err(|e| tracing::error!(error = %e, "could not start a passkey challenge"))
            .ok()?;
        let json = serde_json::to_string(&options).ok()?;
        Some((json, Challenge::of(&state)?))
    }

    /// Check the browser's answer to `start_authentication` against the
    /// person's credentials as stored *now*: origin, relying party,
    /// challenge, signature and sign counter, as the library does it. The
    /// caller still records it atomically (`accept_assertion`).
    pub fn finish_authentication(
        &self,
        answer: &str,
        challenge: &Challenge,
        existing: &[domain::Passkey],
    ) -> Result<AuthenticationResult, Refusal> {
        let answer: PublicKeyCredential =
            serde_json::from_str(answer).map_err(|_| Refusal::Malformed)?;
        let state = challenge.with(existing).ok_or(Refusal::Malformed)?;
        self.webauthn
            .finish_securitykey_authentication(&answer, &state)
            .map_err(|e| Refusal::Refused(e.to_string()))
    }
}

/// An authentication ceremony's state without the credentials it allows:
/// what the page's form carries (sealed). The library's state names every
/// credential in full (public key, flags, counter); ten of them would
/// outgrow our forms' 16 KiB, and a copy taken when the page was made
/// holds counters that may be stale by the time the answer comes. The
/// credentials are put back from the person's record when the answer is
/// checked (`Challenge::with`), the way the library's
/// `set_allowed_credentials` does for its discoverable flows.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Challenge(serde_json::Value);

impl Challenge {
    fn of(state: &SecurityKeyAuthentication) -> Option<Challenge> {
        let mut value = serde_json::to_value(state).ok()?;
        *value.get_mut("ast")?.get_mut("credentials")? = serde_json::Value::Array(Vec::new());
        Some(Challenge(value))
    }

    /// The library's state again, allowing `existing` (as stored now).
    fn with(&self, existing: &[domain::Passkey]) -> Option<SecurityKeyAuthentication> {
        let creds: Vec<serde_json::Value> = existing
            .iter()
            .filter_map(credential::parse)
            .filter_map(|k| serde_json::to_value(webauthn_rs::prelude::Credential::from(k)).ok())
            .collect();
        let mut value = self.0.clone();
        *value.get_mut("ast")?.get_mut("credentials")? = serde_json::Value::Array(creds);
        serde_json::from_value(value).ok()
    }
}

/// The WebAuthn user handle of a person: a keyed hash of the person's key,
/// so the authenticator stores no name of ours and linked accounts share it.
fn user_handle(keys: &Keys, person: &PersonKey) -> Uuid {
    let mac = keys.mac("webauthn-user-handle", &[person.as_str().as_bytes()]);
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&mac[..16]);
    Uuid::from_bytes(bytes)
}

#[cfg(test)]
mod tests;
