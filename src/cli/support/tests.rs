//! Unit tests of `cli::support`.

use super::*;

fn env_with(url: Option<&str>, token: Option<&str>) -> impl Fn(&str) -> Option<String> {
    let url = url.map(str::to_owned);
    let token = token.map(str::to_owned);
    move |name| match name {
        ENV_URL => url.clone(),
        ENV_TOKEN => token.clone(),
        _ => None,
    }
}

#[test]
fn flags_win_over_the_environment() {
    let env = env_with(Some("http://127.0.0.9:1/"), Some("env-token-env-token"));
    let t = resolve_target(None, None, None, &env).unwrap();
    assert_eq!(
        (t.url.as_str(), t.token.as_str()),
        ("http://127.0.0.9:1", "env-token-env-token")
    );
    let t = resolve_target(
        None,
        Some("http://127.0.0.1:2".into()),
        Some("flag-token-flag-token".into()),
        &env,
    )
    .unwrap();
    assert_eq!(
        (t.url.as_str(), t.token.as_str()),
        ("http://127.0.0.1:2", "flag-token-flag-token")
    );
    assert!(!format!("{t:?}").contains("flag-token"));
}

#[test]
fn missing_or_unusable_targets_are_clear_errors() {
    let none = env_with(None, None);
    let err = resolve_target(None, None, Some("t".repeat(20)), &none).unwrap_err();
    assert!(
        err.to_string()
            .contains("-c CONFIG, --admin-url URL or MFA_GATE_ADMIN_URL")
    );
    assert_eq!(err.exit_code(), 2);
    let err = resolve_target(None, Some("http://x:1".into()), None, &none).unwrap_err();
    assert!(err.to_string().contains("no support token"), "{err}");
    let err = resolve_target(
        None,
        Some("https://x:1".into()),
        Some("t".repeat(20)),
        &none,
    )
    .unwrap_err();
    assert!(err.to_string().contains("http://"), "{err}");
}

#[test]
fn unspecified_listen_addresses_are_reached_on_loopback() {
    assert_eq!(
        url_of("0.0.0.0:9090".parse().unwrap()),
        "http://127.0.0.1:9090"
    );
    assert_eq!(url_of("[::]:9090".parse().unwrap()), "http://[::1]:9090");
    assert_eq!(
        url_of("10.1.2.3:9090".parse().unwrap()),
        "http://10.1.2.3:9090"
    );
}

#[test]
fn account_names_become_one_path_segment() {
    let encoded = utf8_percent_encode("a/b@c d?e", SEGMENT).to_string();
    assert_eq!(encoded, "a%2Fb%40c%20d%3Fe");
}
