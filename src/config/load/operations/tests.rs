//! Unit tests of `config::load::operations`.

use super::cidr;

#[test]
fn cidr_blocks_and_single_addresses_parse() {
    assert_eq!(cidr("10.0.0.0/8").unwrap().to_string(), "10.0.0.0/8");
    assert_eq!(cidr("192.0.2.7").unwrap().to_string(), "192.0.2.7/32");
    assert_eq!(cidr("::1").unwrap().to_string(), "::1/128");
    for bad in ["10.0.0.0/33", "nope", "0.0.0.0/0", "::/0", "10.1.0.0/8", ""] {
        assert!(cidr(bad).is_err(), "{bad}");
    }
}
