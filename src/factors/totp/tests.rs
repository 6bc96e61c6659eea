//! Unit tests of `factors::totp`.

use super::*;
use rand::SeedableRng;
use rand::rngs::StdRng;

/// RFC 6238 Appendix B's SHA-1 secret.
fn rfc_secret() -> TotpSecret {
    TotpSecret::from_bytes(b"12345678901234567890").unwrap()
}

/// RFC 6238 Appendix B, SHA-1 rows: (Unix time, 8-digit TOTP).
const RFC_6238_SHA1: [(u64, &str); 6] = [
    (59, "94287082"),
    (1111111109, "07081804"),
    (1111111111, "14050471"),
    (1234567890, "89005924"),
    (2000000000, "69279037"),
    (20000000000, "65353130"),
];

#[test]
fn rfc_6238_sha1_vectors_with_8_digits() {
    let secret = rfc_secret();
    for (unix, expected) in RFC_6238_SHA1 {
        let step = time_step(unix);
        assert_eq!(code_with_digits(&secret, step, 8), expected, "T = {unix}");
    }
}

#[test]
fn six_digit_codes_are_the_last_six_of_the_rfc_vectors() {
    let secret = rfc_secret();
    for (unix, expected) in RFC_6238_SHA1 {
        let step = time_step(unix);
        assert_eq!(code_at_step(&secret, step), &expected[2..], "T = {unix}");
        assert_eq!(verify(&secret, &expected[2..], unix, 0, None), Some(step));
    }
}

#[test]
fn time_steps_are_30_seconds() {
    assert_eq!(time_step(0), 0);
    assert_eq!(time_step(29), 0);
    assert_eq!(time_step(30), 1);
    assert_eq!(time_step(59), 1);
    assert_eq!(time_step(1111111109), 37037036);
}

/// A time in the middle of step 1_000_000, and its code.
const NOW: u64 = 1_000_000 * PERIOD + 12;

fn code(step: u64) -> String {
    code_at_step(&rfc_secret(), step)
}

#[test]
fn current_code_is_accepted() {
    let now = time_step(NOW);
    assert_eq!(verify(&rfc_secret(), &code(now), NOW, 1, None), Some(now));
    assert_eq!(verify(&rfc_secret(), &code(now), NOW, 0, None), Some(now));
}

#[test]
fn codes_one_step_early_or_late_are_accepted_with_skew_1() {
    let now = time_step(NOW);
    for step in [now - 1, now + 1] {
        assert_eq!(verify(&rfc_secret(), &code(step), NOW, 1, None), Some(step));
        assert_eq!(verify(&rfc_secret(), &code(step), NOW, 0, None), None);
    }
}

#[test]
fn codes_outside_the_skew_are_refused() {
    let now = time_step(NOW);
    for step in [now - 2, now + 2, now - 10, now + 10] {
        assert_eq!(verify(&rfc_secret(), &code(step), NOW, 1, None), None);
    }
    assert_eq!(
        verify(&rfc_secret(), &code(now - 2), NOW, 2, None),
        Some(now - 2)
    );
}

#[test]
fn accepted_step_is_not_accepted_again() {
    let now = time_step(NOW);
    let secret = rfc_secret();
    let accepted = verify(&secret, &code(now), NOW, 1, None);
    assert_eq!(accepted, Some(now));
    assert_eq!(verify(&secret, &code(now), NOW, 1, accepted), None);
    assert_eq!(verify(&secret, &code(now), NOW + 20, 1, accepted), None);
}

#[test]
fn only_steps_after_the_last_accepted_count() {
    let now = time_step(NOW);
    let secret = rfc_secret();
    // Earlier step still within skew, but a later one was accepted.
    assert_eq!(verify(&secret, &code(now - 1), NOW, 1, Some(now)), None);
    assert_eq!(
        verify(&secret, &code(now), NOW, 1, Some(now - 1)),
        Some(now)
    );
    assert_eq!(
        verify(&secret, &code(now + 1), NOW, 1, Some(now)),
        Some(now + 1)
    );
    assert_eq!(verify(&secret, &code(now + 1), NOW, 1, Some(now + 1)), None);
    assert_eq!(verify(&secret, &code(now), NOW, 1, Some(u64::MAX)), None);
}

#[test]
fn spaces_and_dashes_are_tolerated() {
    let now = time_step(NOW);
    let c = code(now);
    for typed in [
        format!("{} {}", &c[..3], &c[3..]),
        format!("{}-{}", &c[..3], &c[3..]),
        format!(" {c} "),
        format!("{}- -{}", &c[..2], &c[2..]),
    ] {
        assert_eq!(
            verify(&rfc_secret(), &typed, NOW, 1, None),
            Some(now),
            "{typed:?}"
        );
    }
}

#[test]
fn malformed_input_is_refused() {
    let now = time_step(NOW);
    let c = code(now);
    let letter = format!("{}a", &c[..5]);
    let long = format!("{c}0");
    let short = c[..5].to_owned();
    let tab = format!("{}\t{}", &c[..3], &c[3..]);
    for typed in [
        letter.as_str(),
        &long,
        &short,
        &tab,
        "",
        "------",
        "+12345",
        "１２３４５６",
    ] {
        assert_eq!(
            verify(&rfc_secret(), typed, NOW, 1, None),
            None,
            "{typed:?}"
        );
    }
}

#[test]
fn wrong_code_is_refused() {
    let now = time_step(NOW);
    let right = code(now);
    let near = [code(now - 1), code(now), code(now + 1)];
    // Three codes are excluded: one of the first four neighbours is free.
    let wrong = (1..=4u32)
        .map(|d| format!("{:06}", (right.parse::<u32>().unwrap() + d) % 1_000_000))
        .find(|c| !near.contains(c))
        .unwrap();
    assert_eq!(verify(&rfc_secret(), &wrong, NOW, 1, None), None);
}

#[test]
fn steps_near_zero_and_max_do_not_overflow() {
    let secret = rfc_secret();
    assert_eq!(verify(&secret, &code(0), 5, 3, None), Some(0));
    let max = u64::MAX;
    assert_eq!(
        verify(&secret, &code(time_step(max)), max, 3, None),
        Some(time_step(max))
    );
    assert_eq!(code_at_step(&secret, u64::MAX).len(), 6);
}

#[test]
fn generated_secrets_are_160_bits_and_differ() {
    let mut rng = StdRng::seed_from_u64(7);
    let a = TotpSecret::generate(&mut rng);
    let b = TotpSecret::generate(&mut rng);
    assert_eq!(a.as_bytes().len(), SECRET_LEN);
    assert_ne!(a, b);
}

#[test]
fn from_bytes_requires_128_bits() {
    assert!(TotpSecret::from_bytes(&[1u8; 15]).is_none());
    assert!(TotpSecret::from_bytes(&[]).is_none());
    let s = TotpSecret::from_bytes(&[1u8; 16]).unwrap();
    assert_eq!(s.as_bytes(), &[1u8; 16]);
}

#[test]
fn base32_is_rfc_4648_upper_case_unpadded() {
    // RFC 6238's secret, as authenticator test pages show it.
    assert_eq!(rfc_secret().base32(), "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
    assert_eq!(
        rfc_secret().grouped(),
        "GEZD GNBV GY3T QOJQ GEZD GNBV GY3T QOJQ"
    );
    // 16 bytes -> 26 characters, no '=' padding.
    let short = TotpSecret::from_bytes(&[0xff; 16]).unwrap();
    assert_eq!(short.base32(), "77777777777777777777777774");
    assert_eq!(short.grouped(), "7777 7777 7777 7777 7777 7777 74");
    let decoded = data_encoding::BASE32_NOPAD.decode(short.base32().as_bytes());
    assert_eq!(decoded.unwrap(), vec![0xff; 16]);
}

#[test]
fn debug_does_not_show_the_secret() {
    let secret = rfc_secret();
    for shown in [format!("{secret:?}"), format!("{secret:#?}")] {
        assert_eq!(shown, "TotpSecret(<redacted>)");
    }
}

#[test]
fn otpauth_uri_encodes_issuer_and_account() {
    assert_eq!(
        otpauth_uri("ACME Co", "alice@example.com", &rfc_secret()),
        "otpauth://totp/ACME%20Co:alice@example.com\
         ?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=ACME%20Co\
         &algorithm=SHA1&digits=6&period=30"
    );
}

#[test]
fn otpauth_uri_encodes_separators_inside_names() {
    let uri = otpauth_uri("A:B&C=D", "x:y/z?#+%", &rfc_secret());
    assert!(
        uri.starts_with("otpauth://totp/A%3AB%26C%3DD:x%3Ay%2Fz%3F%23%2B%25?secret="),
        "{uri}"
    );
    assert!(uri.contains("&issuer=A%3AB%26C%3DD&algorithm="), "{uri}");
    let japanese = otpauth_uri("会社", "a", &rfc_secret());
    assert!(japanese.starts_with("otpauth://totp/%E4%BC%9A%E7%A4%BE:a?"));
}

#[test]
fn qr_svg_is_an_inline_svg_element() {
    let uri = otpauth_uri("ACME Co", "alice@example.com", &rfc_secret());
    let svg = qr_svg(&uri).unwrap();
    assert!(svg.starts_with("<svg"), "{}", &svg[..40]);
    assert!(svg.ends_with("</svg>"));
    assert!(!svg.contains("<?xml"));
    let width: u32 = svg
        .split("width=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .parse()
        .unwrap();
    assert!(width >= 200, "width {width}");
}

#[test]
fn qr_svg_refuses_data_too_long_for_a_qr_code() {
    assert_eq!(qr_svg(&"x".repeat(4000)), None);
}

#[test]
fn strip_xml_declaration_leaves_plain_svg_alone() {
    assert_eq!(strip_xml_declaration("<svg/>"), "<svg/>");
    assert_eq!(
        strip_xml_declaration("<?xml version=\"1.0\"?>\n<svg/>"),
        "<svg/>"
    );
}

/// `normalize` itself, not only through `verify` (where a malformed
/// string could never equal a code anyway): exactly six ASCII digits.
#[test]
fn normalize_keeps_exactly_six_digits() {
    assert_eq!(normalize("123 456").as_deref(), Some("123456"));
    assert_eq!(normalize("12-34-56").as_deref(), Some("123456"));
    for bad in ["12345", "1234567", "abcdef", "12345a", "", "１２３４５６"] {
        assert_eq!(normalize(bad), None, "{bad:?}");
    }
}
