//! Bounded side effects (issue 30 §5): at most one message per kind and
//! person (per company for a policy change) within `notify.min_interval`.
//! The first event of a quiet spell is told at once and opens a window;
//! the events of that kind within the window are held and counted, and
//! when it has passed, one message tells them all ("3 times since …") and
//! opens the next window. So a passkey that passes the challenge thirty
//! times in four seconds, remembering the browser each time, makes one
//! message at once and one ten minutes later, not sixty.
//!
//! Windows live in memory, one process each: another replica may send
//! one message more, and a restart forgets the events held at that
//! moment (the first of the window was told; the audit trail records
//! every one). Pure
//! bookkeeping; the clock comes in, and `notify::flush_held` queues what
//! `due` returns.

use crate::domain::{Notice, NoticeKind, Repeats};
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

/// Most open windows; beyond, a new person's events are told at once
/// (more mail, never less).
const MAX_WINDOWS: usize = 100_000;

/// A notice and the addresses it goes to (address, language).
pub type Held = (Notice, Vec<(String, String)>);

#[derive(Clone, Debug, Hash, PartialEq, Eq)]
struct Key {
    kind: NoticeKind,
    company: String,
    person: Option<String>,
}

impl Key {
    fn of(notice: &Notice) -> Key {
        Key {
            kind: notice.kind,
            company: notice.company.clone(),
            person: notice.person.clone(),
        }
    }
}

struct Window {
    opened_at: i64,
    /// Events held since the window opened: how many, the first one's
    /// time, and the latest one (with its addresses), which tells them.
    held: Option<(u32, i64, Held)>,
}

#[derive(Default)]
pub struct Coalescer {
    windows: Mutex<HashMap<Key, Window>>,
}

/// The process's coalescer.
pub fn global() -> &'static Coalescer {
    static ONE: OnceLock<Coalescer> = OnceLock::new();
    ONE.get_or_init(Coalescer::default)
}

impl Coalescer {
    /// The notice to queue now for this event, or `None` when it is held
    /// for a later message. `interval` 0: always at once.
    pub fn admit(
        &self,
        notice: Notice,
        addresses: &[(String, String)],
        now: i64,
        interval: i64,
    ) -> Option<Notice> {
        if interval <= 0 {
            return Some(notice);
        }
        let mut windows = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        let key = Key::of(&notice);
        let full = windows.len() >= MAX_WINDOWS;
        match windows.get_mut(&key) {
            Some(w) if now - w.opened_at < interval => {
                let (count, since) = w.held.as_ref().map_or((0, notice.at), |h| (h.0, h.1));
                w.held = Some((count + 1, since, (notice, addresses.to_vec())));
                None
            }
            Some(w) => {
                // Passed, and not yet told by `due`: this message tells
                // the held events too.
                let held = w.held.take();
                w.opened_at = now;
                Some(match held {
                    Some((count, since, _)) => with_repeats(notice, count + 1, since),
                    None => notice,
                })
            }
            None if full => Some(notice),
            None => {
                let window = Window {
                    opened_at: now,
                    held: None,
                };
                windows.insert(key, window);
                Some(notice)
            }
        }
    }

    /// The messages due at `now`: one for each window that has passed with
    /// events held (which opens the next window); passed windows without
    /// any are closed.
    pub fn due(&self, now: i64, interval: i64) -> Vec<Held> {
        let mut windows = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        let mut out = Vec::new();
        windows.retain(|_, w| {
            if now - w.opened_at < interval {
                return true;
            }
            match w.held.take() {
                Some((count, since, (notice, addresses))) => {
                    out.push((with_repeats(notice, count, since), addresses));
                    w.opened_at = now;
                    true
                }
                None => false,
            }
        });
        out
    }

    /// Open windows (for tests and the metric).
    pub fn len(&self) -> usize {
        self.windows.lock().map_or(0, |w| w.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// `notice` standing for `count` events since `since`; one event is
/// itself.
fn with_repeats(notice: Notice, count: u32, since: i64) -> Notice {
    Notice {
        repeats: (count > 1).then_some(Repeats { count, since }),
        ..notice
    }
}

#[cfg(test)]
mod tests;
