//! Unit tests of `identity::bounds`.

use super::*;
use std::time::Duration;

fn ip(text: &str) -> IpAddr {
    text.parse().unwrap()
}

#[test]
fn a_new_address_gets_the_burst_then_the_rate() {
    let budget = ClientBudget::new(2, 3);
    let t0 = Instant::now();
    let a = ip("192.0.2.1");
    let taken: Vec<bool> = (0..4).map(|_| budget.take(a, t0)).collect();
    assert_eq!(taken, [true, true, true, false]);
    // Half a second at 2/s is one token, and only one.
    let t1 = t0 + Duration::from_millis(500);
    assert!(budget.take(a, t1));
    assert!(!budget.take(a, t1));
    // Another address has its own bucket.
    assert!(budget.take(ip("192.0.2.2"), t1));
    // A long pause refills to the burst, not beyond.
    let t2 = t1 + Duration::from_secs(60);
    let taken = (0..4).filter(|_| budget.take(a, t2)).count();
    assert_eq!(taken, 3);
}

#[test]
fn ipv6_addresses_share_their_slash_64() {
    let budget = ClientBudget::new(1, 1);
    let t0 = Instant::now();
    assert!(budget.take(ip("2001:db8:1:2::1"), t0));
    assert!(!budget.take(ip("2001:db8:1:2:ffff::9"), t0));
    assert!(budget.take(ip("2001:db8:1:3::1"), t0));
    // An IPv4-mapped address is the IPv4 address.
    assert!(budget.take(ip("::ffff:192.0.2.9"), t0));
    assert!(!budget.take(ip("192.0.2.9"), t0));
}

#[test]
fn a_forgotten_call_is_not_kept() {
    let in_flight = InFlight::default();
    let call = in_flight.start(7);
    assert!(Arc::ptr_eq(&in_flight.join(7).unwrap(), &call));
    assert!(Arc::ptr_eq(&in_flight.start(7), &call), "one call per key");
    in_flight.forget(7, || {});
    let mut kept = false;
    in_flight.finish(7, &call, || kept = true);
    assert!(!kept, "an answer asked before `forget` is not cached");
    let next = in_flight.start(7);
    assert!(!Arc::ptr_eq(&next, &call));
    in_flight.finish(7, &next, || kept = true);
    assert!(kept);
    assert_eq!(in_flight.len(), 0);
}

#[test]
fn a_dropped_call_leaves_nothing_behind() {
    let in_flight = InFlight::default();
    let call = in_flight.start(9);
    drop(Finish {
        in_flight: &in_flight,
        key: 9,
        call: &call,
    });
    assert_eq!(in_flight.len(), 0);
}
