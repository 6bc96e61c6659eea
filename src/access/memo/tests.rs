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

#[test]
fn a_full_set_forgets_the_account_noted_longest_ago() {
    // One set of four slots: a fifth account takes the oldest day's slot.
    let memo = SeenMemo::new(1);
    let accounts: Vec<_> = (0..5).map(|i| employee("acme", &format!("u{i}"))).collect();
    for (i, account) in accounts.iter().take(4).enumerate() {
        assert!(memo.first_today(account, 20_000 + i as i64));
    }
    for (i, account) in accounts.iter().take(4).enumerate() {
        assert!(!memo.first_today(account, 20_000 + i as i64));
    }
    assert!(memo.first_today(&accounts[4], 20_010));
    assert!(!memo.first_today(&accounts[4], 20_010));
    assert!(
        memo.first_today(&accounts[0], 20_000),
        "the oldest was evicted"
    );
    assert!(!memo.first_today(&accounts[3], 20_003), "the newest stays");
}

#[test]
fn a_large_memo_keeps_every_account_it_has_room_for() {
    let memo = SeenMemo::new(40_000);
    let accounts: Vec<_> = (0..10_000)
        .map(|i| employee("acme", &format!("u{i}")))
        .collect();
    let first: usize = accounts
        .iter()
        .filter(|a| memo.first_today(a, 20_000))
        .count();
    assert_eq!(first, 10_000);
    let again = accounts
        .iter()
        .filter(|a| memo.first_today(a, 20_000))
        .count();
    // 16 384 sets of four slots for 10 000 accounts: a set chosen by five
    // or more of them (≈ 6 sets, Poisson with mean 0.61) pushes one out,
    // which costs a second write. 100 is far in the tail.
    assert!(again < 100, "{again} of 10 000 noted twice the same day");
}
