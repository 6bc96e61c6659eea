//! Unit tests of `config::raw`.

use super::parse_duration;
use std::time::Duration;

fn check(text: &str, expected: Option<Duration>) {
    assert_eq!(parse_duration(text), expected, "{text:?}");
}

#[test]
fn durations_parse_in_the_documented_units() {
    check("250ms", Some(Duration::from_millis(250)));
    check("5s", Some(Duration::from_secs(5)));
    check("10m", Some(Duration::from_secs(600)));
    check("12h", Some(Duration::from_secs(43_200)));
    check("1d", Some(Duration::from_secs(86_400)));
    check("1h30m", Some(Duration::from_secs(5_400)));
    check("0s", Some(Duration::ZERO));
}

#[test]
fn malformed_durations_are_refused() {
    for bad in [
        "", "5", "s", "5 sec", "5sec", " 5s", "-5s", "1.5s", "5S", "5s ", "ms",
    ] {
        check(bad, None);
    }
    check("99999999999999999999d", None);
    check("999999999999999999d", None);
}
