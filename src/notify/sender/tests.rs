//! Unit tests of `notify::sender`.

use super::*;

#[test]
fn backoff_doubles_up_to_the_max() {
    let retry = RetryConfig {
        first: Duration::from_millis(100),
        max: Duration::from_millis(1000),
        attempts: 5,
    };
    let waits: Vec<u128> = (1..=6).map(|a| backoff(&retry, a).as_millis()).collect();
    assert_eq!(waits, [100, 200, 400, 800, 1000, 1000]);
}
