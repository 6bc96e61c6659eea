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
mod tests {
    use super::*;
    use crate::domain::Whence;

    fn event(kind: NoticeKind, person: &str, at: i64) -> Notice {
        Notice {
            id: 0,
            kind,
            at,
            company: "acme".into(),
            person: Some(person.into()),
            account: format!("{person}@acme"),
            whence: Whence::default(),
            codes_left: None,
            note: String::new(),
            repeats: None,
        }
    }

    const MIN: i64 = 600;

    #[test]
    fn one_message_per_kind_and_person_per_interval_with_the_count() {
        let c = Coalescer::default();
        let to = vec![("a@acme".to_owned(), "en".to_owned())];
        let kind = NoticeKind::BrowserRemembered;
        // The first event at once.
        let first = c.admit(event(kind, "bob", 100), &to, 100, MIN).unwrap();
        assert_eq!(first.repeats, None);
        // 29 more within the window: held.
        for i in 1..30 {
            assert!(
                c.admit(event(kind, "bob", 100 + i), &to, 100 + i, MIN)
                    .is_none()
            );
        }
        // Another kind, another person: their own windows.
        assert!(
            c.admit(event(NoticeKind::Locked, "bob", 101), &to, 101, MIN)
                .is_some()
        );
        assert!(c.admit(event(kind, "eve", 101), &to, 101, MIN).is_some());
        assert!(c.due(100 + MIN - 1, MIN).is_empty(), "not yet");
        // When the window has passed: one message for the 29 held.
        let due = c.due(100 + MIN, MIN);
        assert_eq!(due.len(), 1);
        let (told, addresses) = &due[0];
        assert_eq!(
            told.repeats,
            Some(Repeats {
                count: 29,
                since: 101
            })
        );
        assert_eq!(told.at, 129, "the latest event's time");
        assert_eq!(addresses, &to);
        // The next window opened then: an event in it is held again.
        assert!(c.admit(event(kind, "bob", 800), &to, 800, MIN).is_none());
        let due = c.due(100 + 2 * MIN, MIN);
        assert_eq!(due.len(), 1);
        assert_eq!(due[0].0.repeats, None, "one event is itself");
        // Windows with nothing held close; an event after a quiet spell is
        // told at once.
        assert_eq!(c.due(100 + 4 * MIN, MIN).len(), 0);
        assert!(c.is_empty());
        assert!(c.admit(event(kind, "bob", 5000), &to, 5000, MIN).is_some());
    }

    #[test]
    fn a_passed_window_not_yet_flushed_is_told_with_the_next_event() {
        let c = Coalescer::default();
        let kind = NoticeKind::BackupCodeUsed;
        assert!(c.admit(event(kind, "bob", 0), &[], 0, MIN).is_some());
        assert!(c.admit(event(kind, "bob", 5), &[], 5, MIN).is_none());
        assert!(c.admit(event(kind, "bob", 6), &[], 6, MIN).is_none());
        let next = c.admit(event(kind, "bob", 700), &[], 700, MIN).unwrap();
        assert_eq!(next.repeats, Some(Repeats { count: 3, since: 5 }));
        assert!(c.due(1300, MIN).is_empty(), "nothing held any more");
    }

    #[test]
    fn a_zero_interval_tells_every_event() {
        let c = Coalescer::default();
        for at in 0..5 {
            let n = c.admit(event(NoticeKind::Locked, "bob", at), &[], at, 0);
            assert_eq!(n.unwrap().repeats, None);
        }
        assert!(c.is_empty());
    }
}
