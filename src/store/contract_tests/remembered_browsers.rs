//! Remembered browsers: listed oldest first per person, touched, looked up
//! and forgotten one or all at a time.

use super::*;

fn browser(created_at: i64) -> RememberedBrowser {
    RememberedBrowser {
        enrollment_id: 1,
        account: "bob".into(),
        created_at,
        last_used_at: created_at,
        label: "Firefox on Linux".into(),
        earned_by: Some(crate::domain::Factor::Passkey),
    }
}

pub(super) fn browsers(store: &dyn Store) {
    let (a, b) = (BrowserId([1; 32]), BrowserId([2; 32]));
    store.remember_browser(&bob(), &a, &browser(200)).unwrap();
    store.remember_browser(&bob(), &b, &browser(100)).unwrap();
    // A person whose key extends bob's past a 0x00 has a browser too.
    let longer = PersonKey::new("acme", "bob\0x");
    store
        .remember_browser(&longer, &BrowserId([3; 32]), &browser(50))
        .unwrap();
    let listed = store.remembered_browsers(&bob()).unwrap();
    assert_eq!(
        listed.iter().map(|(id, _)| *id).collect::<Vec<_>>(),
        vec![b, a],
        "oldest first, only bob's"
    );
    store.touch_remembered_browser(&bob(), &a, 999).unwrap();
    assert_eq!(
        store
            .remembered_browser(&bob(), &a)
            .unwrap()
            .unwrap()
            .last_used_at,
        999
    );
    let forgotten = BrowserId([9; 32]);
    store
        .touch_remembered_browser(&bob(), &forgotten, 5)
        .unwrap();
    assert_eq!(store.remembered_browser(&bob(), &forgotten).unwrap(), None);
    assert_eq!(store.remembered_browser(&longer, &a).unwrap(), None);
    assert_eq!(store.forget_browsers(&bob(), Some(&a)).unwrap(), 1);
    assert_eq!(store.forget_browsers(&bob(), Some(&a)).unwrap(), 0);
    assert_eq!(store.forget_browsers(&bob(), None).unwrap(), 1);
    assert!(store.remembered_browsers(&bob()).unwrap().is_empty());
    assert_eq!(store.remembered_browsers(&longer).unwrap().len(), 1);
}
