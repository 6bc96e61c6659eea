//! The nouns of "remember this browser" (issue 16 §1): how long a company
//! lets staff skip the code on a remembered browser (`RememberDays`), the
//! store's name of one remembered browser (`BrowserId`, an HMAC of its
//! cookie under the HMAC key ring) and what the store keeps about it (`RememberedBrowser`). Plain
//! data: no I/O, no clock, no crypto.

use serde::{Deserialize, Serialize};
use std::fmt;

/// How long a company lets its staff skip the code on a remembered
/// browser: off (the default) or one of a short list of days.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RememberDays(u16);

impl RememberDays {
    /// Remembering is not allowed (the default).
    pub const OFF: RememberDays = RememberDays(0);
    /// The choices besides off, in days.
    pub const CHOICES: [u16; 2] = [7, 30];

    /// `days` if it is one of the allowed choices (0 is off).
    pub fn from_days(days: u16) -> Option<RememberDays> {
        (days == 0 || Self::CHOICES.contains(&days)).then_some(RememberDays(days))
    }

    /// `off`, `7` or `30`, as the page's form and the YAML write them.
    pub fn parse(s: &str) -> Option<RememberDays> {
        match s {
            "off" => Some(Self::OFF),
            n => n.parse().ok().and_then(Self::from_days),
        }
    }

    /// The days a remembered browser is trusted; `None` when off.
    pub fn days(self) -> Option<u16> {
        (self.0 > 0).then_some(self.0)
    }

    /// The same days in seconds (0 when off).
    pub fn seconds(self) -> i64 {
        i64::from(self.0) * 86_400
    }

    /// `off`, `7`, `30`.
    pub fn as_string(self) -> String {
        match self.days() {
            None => "off".to_owned(),
            Some(d) => d.to_string(),
        }
    }

    /// Every allowed setting, off first.
    pub fn all() -> impl Iterator<Item = RememberDays> {
        std::iter::once(Self::OFF).chain(Self::CHOICES.into_iter().map(RememberDays))
    }
}

/// The store's name of one remembered browser: an HMAC of its cookie
/// value under a key of the HMAC ring (`remember::browser_ids`). The
/// cookie is never stored, and without the key a writer of the store
/// cannot name a cookie of their own.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct BrowserId(pub [u8; 32]);

impl BrowserId {
    /// Hex, for the "forget" form of the settings page.
    pub fn to_hex(self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }

    pub fn from_hex(s: &str) -> Option<BrowserId> {
        if s.len() != 64 || !s.is_ascii() {
            return None;
        }
        let mut out = [0u8; 32];
        for (i, byte) in out.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).ok()?;
        }
        Some(BrowserId(out))
    }
}

impl fmt::Debug for BrowserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // A prefix is enough to tell entries apart in a log.
        write!(f, "BrowserId({}…)", &self.to_hex()[..8])
    }
}

/// What the store keeps about one remembered browser of a person.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RememberedBrowser {
    /// The enrollment the trust was granted under: a re-enrollment or a
    /// reset ends it.
    pub enrollment_id: u64,
    /// The account that ticked the box.
    pub account: String,
    pub created_at: i64,
    pub last_used_at: i64,
    /// "Chrome on Windows", from the User-Agent: shown to the person,
    /// never used for a decision.
    pub label: String,
    /// The factor whose pass earned the trust; `None` for browsers
    /// remembered before it was recorded (they count as code-earned).
    pub earned_by: Option<super::Factor>,
}

impl RememberedBrowser {
    /// Whether this trust still lets a new app session of the person skip
    /// the code at `now`: granted under the current enrollment, and younger
    /// than the company's current setting (lowering it applies at once).
    pub fn vouches(&self, enrollment_id: u64, allowed: RememberDays, now: i64) -> bool {
        allowed.days().is_some()
            && self.enrollment_id == enrollment_id
            && now >= self.created_at
            && now - self.created_at < allowed.seconds()
    }

    /// Whether the factor that earned this trust is one the person may
    /// still use: where a passkey is required, only a passkey's trust
    /// counts (a browser remembered through a phished code does not).
    pub fn earned_fits(&self, passkey_required: bool) -> bool {
        !passkey_required || self.earned_by == Some(super::Factor::Passkey)
    }
}

#[cfg(test)]
mod tests;
