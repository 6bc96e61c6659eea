//! Unit tests of `access::verified`.

use super::*;
use crate::domain::{AccountClass, IdentityFields};

fn who(person: &str) -> Identity {
    Identity::new(IdentityFields {
        account: format!("{person}@acme.example"),
        company: "acme".into(),
        class: AccountClass::Employee,
        roles: vec![],
        person: person.into(),
        email: None,
    })
    .unwrap()
}

#[test]
fn vouches_only_for_the_same_session_cookie_and_person() {
    let memo = VerifiedMemo::new(16);
    let verified = Verified {
        bound: crate::access::session::Bound::new(7, 2),
        verified_at: 100,
        by_passkey: true,
    };
    memo.remember("app-1", &who("hanako"), "cookie-1", verified);
    let v = memo.vouch("app-1", &who("hanako"), "cookie-1").unwrap();
    assert_eq!(v, verified);
    assert!(
        memo.vouch("app-2", &who("hanako"), "cookie-1").is_none(),
        "other app session"
    );
    assert!(
        memo.vouch("app-1", &who("hanako"), "cookie-2").is_none(),
        "other cookie"
    );
    assert!(
        memo.vouch("app-1", &who("hanako"), "cookie-").is_none(),
        "truncated cookie"
    );
    assert!(
        memo.vouch("app-1", &who("jiro"), "cookie-1").is_none(),
        "other person"
    );
}

#[test]
fn company_and_person_are_told_apart_where_they_join() {
    let at = |company: &str, person: &str| {
        Identity::new(IdentityFields {
            account: format!("{person}@{company}.example"),
            company: company.into(),
            class: AccountClass::Employee,
            roles: vec![],
            person: person.into(),
            email: None,
        })
        .unwrap()
    };
    let memo = VerifiedMemo::new(16);
    let verified = Verified {
        bound: crate::access::session::Bound::new(1, 1),
        verified_at: 5,
        by_passkey: false,
    };
    memo.remember("app-1", &at("acme", "xy"), "cookie-1", verified);
    assert!(memo.vouch("app-1", &at("acme", "xy"), "cookie-1").is_some());
    assert!(memo.vouch("app-1", &at("acm", "exy"), "cookie-1").is_none());
    assert!(memo.vouch("app-1", &at("acmex", "y"), "cookie-1").is_none());
}
