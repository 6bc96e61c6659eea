//! The `notify` section: what loads, and each mistake named by its field
//! and line, without echoing a secret.

use super::super::load_str_with_env;
use crate::config::ConfigError;
use std::path::Path;

const BASE: &str = "\
listen: 127.0.0.1:8080
upstream:
  address: app.internal:3000
identity:
  session_cookie: app_session
  whoami_path: /api/me
store:
  path: data/store
secrets:
  hmac_key: { env: H }
  encryption_key: { env: E }
";

fn env(name: &str) -> Option<String> {
    match name {
        "H" => Some("11".repeat(32)),
        "E" => Some("22".repeat(32)),
        "HOOK" => Some("a-webhook-secret-of-some-length".into()),
        "SHORT" => Some("short".into()),
        "SMTP_PASSWORD" => Some("hunter2-hunter2".into()),
        _ => None,
    }
}

fn load(notify: &str) -> Result<crate::config::Config, ConfigError> {
    let yaml = format!("{BASE}notify:\n{notify}");
    load_str_with_env(&yaml, Path::new("/etc/mfa-gate/gate.yaml"), &env)
}

fn refused(notify: &str, field: &str, line: usize, needle: &str) {
    let err = match load(notify) {
        Ok(_) => panic!("expected an error for:\n{notify}"),
        Err(e) => e,
    };
    let shown = err.to_string();
    assert_eq!(err.field(), Some(field), "{shown}");
    assert_eq!(err.line(), Some(line), "{shown}");
    assert!(shown.contains(needle), "{shown:?} lacks {needle:?}");
    for secret in ["hunter2", "a-webhook-secret", "short"] {
        assert!(!shown.contains(secret), "{shown} echoes a secret");
    }
}

#[test]
fn a_full_section_loads() {
    let config = load(
        "  email:
    smtp: { host: mail.example, security: starttls, username: mfa, password: { env: SMTP_PASSWORD } }
    from: \"Acme <mfa@acme.example>\"
  webhooks:
    - url: https://hooks.example/mfa
      secret: { env: HOOK }
      events: [locked, reset]
  retry: { first: 1s, max: 1m, attempts: 5 }
",
    )
    .unwrap();
    let notify = config.notify.expect("a notify section");
    assert_eq!(notify.webhooks.len(), 1);
    assert_eq!(notify.retry.attempts, 5);
    assert_eq!(notify.min_interval.as_secs(), 600, "the default: 10 min");
    assert!(!format!("{notify:?}").contains("hunter2"), "Debug hides it");
}

#[test]
fn mistakes_name_their_field_and_line() {
    // BASE has 11 lines; `notify:` is line 12.
    refused("  retry: { attempts: 3 }\n", "notify", 12, "give `email`");
    refused(
        "  email: { from: \"not an address\", folder: mails }\n",
        "notify.email.from",
        13,
        "",
    );
    refused(
        "  email: { from: a@b.example }\n",
        "notify.email",
        13,
        "exactly one of",
    );
    refused(
        "  email:\n    smtp: { host: m.example, security: ssl }\n    from: a@b.example\n",
        "notify.email.smtp.security",
        14,
        "starttls, tls or none",
    );
    refused(
        "  email:\n    smtp: { host: m.example, username: mfa }\n    from: a@b.example\n",
        "notify.email.smtp",
        14,
        "both",
    );
    refused(
        "  webhooks:\n    - url: ftp://hooks.example\n      secret: { env: HOOK }\n",
        "notify.webhooks[0].url",
        14,
        "",
    );
    refused(
        "  webhooks:\n    - url: https://hooks.example\n      secret: { env: SHORT }\n",
        "notify.webhooks[0].secret.env",
        15,
        "at least 16",
    );
    refused(
        "  webhooks:\n    - url: https://hooks.example\n      secret: { env: HOOK }\n      events: [lockd]\n",
        "notify.webhooks[0].events",
        16,
        "unknown event \"lockd\"",
    );
    refused(
        "  email: { from: a@b.example, folder: m }\n  retry: { attempts: 0 }\n",
        "notify.retry.attempts",
        14,
        "1 to 100",
    );
    refused(
        "  email: { from: a@b.example, folder: m }\n  min_interval: 2d\n",
        "notify.min_interval",
        14,
        "at most 1d",
    );
}
