//! Unit tests of `config::load::checks`.

use super::*;

const HMAC_HEX: &str = "1111111111111111111111111111111111111111111111111111111111111111";

#[test]
fn bypass_rules_parse() {
    assert_eq!(
        bypass_rule("/login"),
        Ok(BypassRule::Exact("/login".into()))
    );
    assert_eq!(bypass_rule("/"), Ok(BypassRule::Exact("/".into())));
    assert_eq!(
        bypass_rule("/docs/"),
        Ok(BypassRule::Exact("/docs/".into()))
    );
    assert_eq!(
        bypass_rule("/static/*"),
        Ok(BypassRule::Prefix("/static".into()))
    );
    assert_eq!(bypass_rule("/a/b/*"), Ok(BypassRule::Prefix("/a/b".into())));
    assert!(bypass_rule("/static//*").is_err());
    assert!(bypass_rule("/static*").is_err());
}

#[test]
fn upstream_hosts_give_the_default_sni() {
    assert_eq!(host_of("[::1]:3000"), Ok("::1".into()));
    assert_eq!(host_of("app-1.internal:443"), Ok("app-1.internal".into()));
}

#[test]
fn keys_are_32_bytes_in_hex_or_base64() {
    let ok = [
        HMAC_HEX.to_owned(),
        format!("  {}\n", HMAC_HEX.to_uppercase()),
        "ERERERERERERERERERERERERERERERERERERERERERE=".into(), // standard, padded
        "ERERERERERERERERERERERERERERERERERERERERERE".into(),  // unpadded
    ];
    for text in ok {
        assert_eq!(decode_key(&text), Ok([0x11; 32]), "{text:?}");
    }
    // 0xfb bytes use `+` and `/` in standard base64, `-` and `_` in URL-safe.
    let standard = format!("{}+/s=", "+/v7".repeat(10));
    let url_safe = format!("{}-_s", "-_v7".repeat(10));
    assert_eq!(decode_key(&standard), Ok([0xfb; 32]));
    assert_eq!(decode_key(&url_safe), Ok([0xfb; 32]));
}
