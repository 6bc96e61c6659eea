//! Unit tests of `store::postgres_store::lease`.

use super::*;

#[test]
fn a_lease_holds_from_a_proof_for_max_staleness_and_ends_on_a_failure() {
    let lease = Lease::new(Duration::from_secs(2));
    assert!(lease.holds_at(0), "not enforced: a CLI's store");
    lease.enforce();
    assert!(!lease.holds_at(1_000), "never proven");
    lease.renew(10_000);
    assert!(lease.holds_at(10_000));
    assert!(lease.holds_at(11_999));
    assert!(
        !lease.holds_at(12_000),
        "max_staleness after the proof's start"
    );
    lease.renew(9_000);
    assert!(lease.holds_at(11_999), "an older proof never shortens it");
    lease.end();
    assert!(!lease.holds_at(10_001));
    assert_eq!(lease.heartbeat(), Duration::from_millis(500));
}
