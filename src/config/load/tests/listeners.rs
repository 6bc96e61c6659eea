//! The `metrics` and `forward_auth` sections and `server.watch_config`:
//! what loads, the defaults, and each mistake named by its field.

use super::*;
use crate::config::IdentityField;

#[test]
fn metrics_listener_and_watching_are_off_unless_asked() {
    let config = load(MINIMAL);
    assert_eq!(config.metrics, None);
    assert!(!config.server.watch_config);
    let config = load(&format!(
        "{MINIMAL}metrics:\n  listen: 0.0.0.0:9091\nserver:\n  watch_config: true\n"
    ));
    let listen = config.metrics.expect("metrics").listen;
    assert_eq!(listen.to_string(), "0.0.0.0:9091");
    assert!(config.server.watch_config);
    let taken = error_of(&format!("{MINIMAL}metrics:\n  listen: 127.0.0.1:8080\n"));
    assert_eq!(taken.field(), Some("metrics.listen"), "{taken}");
    assert!(taken.to_string().contains("taken"), "{taken}");
}

#[test]
fn forward_auth_headers_default_to_authelia_s_and_are_checked() {
    let config = load(MINIMAL);
    let names: Vec<&str> = config
        .forward_auth
        .identity_headers
        .iter()
        .map(|(n, _)| n.as_str())
        .collect();
    assert_eq!(names, ["Remote-User", "Remote-Email", "Remote-Groups"]);
    let config = load(&format!(
        "{MINIMAL}forward_auth:\n  identity_headers:\n    X-User: account\n    X-Role: class\n"
    ));
    assert_eq!(
        config.forward_auth.identity_headers,
        [
            ("X-Role".to_owned(), IdentityField::Class),
            ("X-User".to_owned(), IdentityField::Account)
        ]
    );
    for (header, field, needle) in [
        ("X-User", "password", "not an identity field"),
        ("Cookie", "account", "another meaning"),
        ("X-Mfa-User", "account", "another meaning"),
        ("X-Forwarded-User", "account", "another meaning"),
        ("\"Bad Name\"", "account", "not an HTTP header name"),
    ] {
        let e = error_of(&format!(
            "{MINIMAL}forward_auth:\n  identity_headers:\n    {header}: {field}\n"
        ));
        assert!(
            e.field()
                .is_some_and(|f| f.starts_with("forward_auth.identity_headers.")),
            "{header}: {e}"
        );
        assert!(e.to_string().contains(needle), "{header}: {e}");
    }
}
