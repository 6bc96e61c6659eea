//! Unit tests of `access::memo`'s accounts-seen memo.

use super::*;
use crate::access::test_gate::employee;

#[test]
fn an_account_is_noted_once_a_day() {
    let memo = SeenMemo::new(16);
    let hanako = employee("acme", "hanako");
    assert!(memo.first_today(&hanako, 20_000));
    assert!(!memo.first_today(&hanako, 20_000));
    assert!(memo.first_today(&employee("acme", "taro"), 20_000));
    assert!(memo.first_today(&employee("other", "hanako"), 20_000));
    assert!(memo.first_today(&hanako, 20_001));
    assert!(!memo.first_today(&hanako, 20_001));
}

#[test]
fn a_day_past_the_memo_is_always_noted() {
    let memo = SeenMemo::new(16);
    let hanako = employee("acme", "hanako");
    for day in [-1, i64::from(u32::MAX) + 1] {
        assert!(memo.first_today(&hanako, day));
        assert!(memo.first_today(&hanako, day));
    }
}
