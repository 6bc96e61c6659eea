//! A ceremony's state between the page that starts it and the form post
//! that finishes it, without server-side storage (so any replica can
//! finish what another started): the library's state, a random nonce and
//! an expiry, sealed (AEAD) to the purpose, the app session and the person.
//! A sealed ceremony opens only for the same session and person, and only
//! before it expires; the nonce lets the person's record refuse a second
//! use (`PersonRecord::ceremony_used`).

use crate::domain::PersonKey;
use crate::keys::AppSession;
use crate::keys::Keys;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// How long a page's challenge can be answered (also the browser's timeout).
pub const CEREMONY_TTL_SECS: i64 = 300;

/// What a ceremony is for: a sealed state of one kind never opens as
/// another.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Register,
    Authenticate,
}

impl Kind {
    fn label(self) -> &'static [u8] {
        match self {
            Kind::Register => b"webauthn-register:",
            Kind::Authenticate => b"webauthn-authenticate:",
        }
    }
}

/// An opened ceremony.
#[derive(Debug, serde::Deserialize, Serialize)]
pub struct Ceremony<T> {
    pub nonce: [u8; 16],
    pub expires_at: i64,
    pub state: T,
}

fn aad(kind: Kind, session: &AppSession, person: &PersonKey) -> Vec<u8> {
    let mut aad = kind.label().to_vec();
    aad.extend_from_slice(session.as_bytes());
    aad.extend_from_slice(person.as_str().as_bytes());
    aad
}

impl<T: Serialize + DeserializeOwned> Ceremony<T> {
    /// `state`, sealed for the form (URL-safe base64).
    pub fn seal(
        keys: &Keys,
        kind: Kind,
        session: &AppSession,
        person: &PersonKey,
        state: T,
        now: i64,
    ) -> String {
        let mut rng = rand::rng();
        let mut nonce = [0u8; 16];
        rng.fill_bytes(&mut nonce);
        let ceremony = Ceremony {
            nonce,
            expires_at: now + CEREMONY_TTL_SECS,
            state,
        };
        // The library's states always serialise (plain data).
        let plain = serde_json::to_vec(&ceremony).unwrap_or_default();
        URL_SAFE_NO_PAD.encode(keys.seal(&aad(kind, session, person), &plain, &mut rng))
    }

    /// The ceremony sealed in `token`, if it was sealed for this kind,
    /// session and person and has not expired.
    pub fn open(
        keys: &Keys,
        kind: Kind,
        session: &AppSession,
        person: &PersonKey,
        token: &str,
        now: i64,
    ) -> Option<Ceremony<T>> {
        let sealed = URL_SAFE_NO_PAD.decode(token).ok()?;
        let plain = keys.open(&aad(kind, session, person), &sealed)?;
        let ceremony: Ceremony<T> = serde_json::from_slice(&plain).ok()?;
        (now < ceremony.expires_at).then_some(ceremony)
    }
}
