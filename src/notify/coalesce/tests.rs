//! Unit tests of `notify::coalesce`.

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
