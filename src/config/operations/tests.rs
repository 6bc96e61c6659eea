//! Unit tests of `config::operations`.

use super::*;

#[test]
fn trusted_proxies_match_cidr_blocks_and_mapped_addresses() {
    let nets = ["10.0.0.0/8", "127.0.0.1/32", "fd00::/8"]
        .iter()
        .map(|n| n.parse().unwrap())
        .collect();
    let trusted = TrustedProxies::new(nets);
    for (ip, expected) in [
        ("10.1.2.3", true),
        ("127.0.0.1", true),
        ("127.0.0.2", false),
        ("::ffff:127.0.0.1", true),
        ("::ffff:10.9.9.9", true),
        ("fd12::1", true),
        ("::1", false),
        ("192.168.0.1", false),
    ] {
        let ip: IpAddr = ip.parse().unwrap();
        assert_eq!(trusted.contains(ip), expected, "{ip}");
    }
    assert!(!TrustedProxies::default().contains("127.0.0.1".parse().unwrap()));
}
