//! Loading the shipped example files, the demo file and a minimal file:
//! what each yields and the documented defaults.

use super::*;
use crate::config::{BypassRule, IdentitySource};
use crate::domain::Enforcement;
use std::time::Duration;

#[test]
fn example_file_loads() {
    let path = repo_file("config/mfa-gate.example.yaml");
    let yaml = std::fs::read_to_string(&path).expect("example file");
    let config = load_str_with_env(&yaml, &path, &env).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(config.listen.to_string(), "127.0.0.1:8080");
    assert_eq!(config.upstream.sni, "127.0.0.1");
    assert_eq!(config.identity.session_cookie(), Some("app_session"));
    let IdentitySource::Whoami(whoami) = &config.identity else {
        panic!("the example uses the whoami source")
    };
    assert_eq!(whoami.anonymous_statuses, [401]);
    assert_eq!(whoami.whoami_concurrency, 64);
    assert_eq!(
        (whoami.whoami_client_rate, whoami.whoami_client_burst),
        (20, 100)
    );
    assert_eq!(config.secrets.hmac_key, [0x11; 32]);
    assert_eq!(config.secrets.encryption_key, [0x22; 32]);
    assert_eq!(config.source, path);
    assert_eq!(config.audit.retention, Duration::from_secs(400 * 86_400));
    // A safe template: nothing beyond the defaults is switched on.
    assert!(config.companies.is_empty() && config.bypass.is_empty());
    assert_eq!(config.tenancy, crate::config::Tenancy::Implicit);
    assert_eq!(config.policy_admin_roles, ["admin"]);
    assert!(config.bypass_query.is_empty());
    assert!(config.admin.is_none() && config.webauthn.is_none() && config.metrics.is_none());
    assert_eq!(
        config.totp.issuer, config.ui.app_name,
        "the issuer defaults to the app name"
    );
    // Its commented examples load once uncommented.
    let uncommented = yaml
        .replace(
            "# companies:\n#   globex: required",
            "companies:\n  globex: required",
        )
        .replace("companies: {}\n", "")
        .replace(
            "#   initech:\n#     enforcement: optional\n#     remember_days: 30",
            "  initech:\n    enforcement: optional\n    remember_days: 30",
        )
        .replace("# admin:\n", "admin:\n")
        .replace("#   listen: 127.0.0.1:9090", "  listen: 127.0.0.1:9090")
        .replace("#   support_token:", "  support_token:");
    let config = load_str_with_env(&uncommented, &path, &env).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(config.companies.get("globex"), Some(&Enforcement::Required));
    let admin = config.admin.expect("the admin example, uncommented");
    assert_eq!(admin.listen.to_string(), "127.0.0.1:9090");
    assert!(admin.support_token.verify(SUPPORT_TOKEN));
}

#[test]
fn sso_example_file_loads() {
    let path = repo_file("config/sso.example.yaml");
    let yaml = std::fs::read_to_string(&path).expect("sso example file");
    let config = load_str_with_env(&yaml, &path, &env).unwrap_or_else(|e| panic!("{e}"));
    let IdentitySource::Headers(h) = &config.identity else {
        panic!("the SSO example uses the headers source")
    };
    assert_eq!(h.account.as_str(), "x-forwarded-email");
    assert_eq!(config.identity.session_cookie(), Some("_oauth2_proxy"));
    assert!(
        config
            .trusted_proxies
            .contains("127.0.0.1".parse().unwrap())
    );
    assert_eq!(config.log.format, crate::config::LogFormat::Json);
}

#[test]
fn demo_file_loads_with_keys_beside_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("hmac.key"), format!("{HMAC_HEX}\n")).expect("write");
    std::fs::write(dir.path().join("encryption.key"), ENC_B64).expect("write");
    std::fs::write(dir.path().join("support.token"), "demo-support-token\n").expect("write");
    let yaml = std::fs::read_to_string(repo_file("config/demo.yaml")).expect("demo file");
    let source = dir.path().join("demo.yaml");

    let config = load_str_with_env(&yaml, &source, &|_| None).unwrap_or_else(|e| panic!("{e}"));

    assert_eq!(config.upstream.address, "127.0.0.1:8081");
    assert_eq!(config.identity.session_cookie(), Some("demo_session"));
    assert_eq!(
        config.store.sled_path(),
        Some(dir.path().join("store").as_path())
    );
    assert_eq!(config.secrets.hmac_key, [0x11; 32]);
    assert_eq!(config.secrets.encryption_key, [0x22; 32]);
    assert_eq!(config.totp.issuer, "mfa-gate demo");
    assert!(!config.cookie.secure);
    assert_eq!(config.companies.get("globex"), Some(&Enforcement::Required));
    assert_eq!(
        config.bypass,
        vec![
            BypassRule::Exact("/login".into()),
            BypassRule::Exact("/logout".into()),
            BypassRule::Prefix("/static".into()),
        ]
    );
    assert_eq!(config.ui.default_locale.as_str(), "ja");
    assert_eq!(config.ui.app_name, "Demo App");
    // The HR product's setup, as before: companies from the answer's
    // `company` field (an answer without one would be in the implicit
    // tenant, not in a company of the demo).
    assert_eq!(config.tenancy, crate::config::Tenancy::Implicit);
    let admin = config.admin.expect("the demo has an admin listener");
    assert_eq!(admin.listen.to_string(), "127.0.0.1:8082");
    assert!(admin.support_token.verify("demo-support-token"));
}

#[test]
fn load_file_reads_and_names_a_missing_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let missing = dir.path().join("nope.yaml");
    let err = load_file(&missing).expect_err("an error");
    assert!(matches!(err, ConfigError::Read { .. }));
    assert!(err.to_string().starts_with(&missing.display().to_string()));
}

#[test]
fn minimal_file_gets_the_documented_defaults() {
    let config = load(MINIMAL);
    assert_eq!(config.upstream.sni, "app.internal");
    assert!(!config.upstream.tls);
    assert_eq!(config.upstream.connect_timeout, Duration::from_secs(2));
    assert_eq!(config.upstream.read_timeout, Duration::from_secs(30));
    assert_eq!(config.upstream.write_timeout, Duration::from_secs(30));
    let IdentitySource::Whoami(whoami) = &config.identity else {
        panic!("whoami is the default source")
    };
    assert_eq!(whoami.whoami_timeout, Duration::from_secs(2));
    assert_eq!(
        whoami.fields.account,
        crate::config::FieldRule::field("account")
    );
    assert_eq!(
        whoami.fields.email,
        crate::config::FieldRule::At("/email".into())
    );
    assert_eq!(whoami.cache_ttl, Duration::from_secs(10));
    assert_eq!(whoami.cache_size, 100_000);
    assert_eq!(whoami.anonymous_statuses, [401], "403 fails closed");
    assert_eq!(whoami.whoami_concurrency, 64);
    assert_eq!(whoami.whoami_client_rate, 20);
    assert_eq!(whoami.whoami_client_burst, 100);
    assert!(config.trusted_proxies.is_empty());
    assert!(config.tls.is_none());
    assert_eq!(config.log.format, crate::config::LogFormat::Text);
    assert_eq!(config.log.level, "info");
    assert_eq!(config.totp.issuer, "mfa-gate");
    assert_eq!(config.totp.skew, 1);
    assert_eq!(config.cookie.name, "mfa_gate");
    assert!(config.cookie.secure);
    assert_eq!(config.cookie.max_age, Duration::from_secs(12 * 3600));
    assert!(config.companies.is_empty());
    assert!(config.bypass.is_empty());
    assert_eq!(config.max_failures, 10);
    assert_eq!(config.prefix, "/_mfa");
    assert_eq!(config.ui.default_locale.as_str(), "ja");
    assert_eq!(config.server.threads, 2);
    assert_eq!(config.server.grace_period, Duration::from_secs(10));
    assert!(
        config.admin.is_none(),
        "no admin section, no admin listener"
    );
    assert_eq!(config.audit.retention, Duration::from_secs(400 * 86_400));
}

#[test]
fn issuer_defaults_to_the_app_name() {
    let config = load(&format!("{MINIMAL}ui:\n  app_name: Acme Portal\n"));
    assert_eq!(config.totp.issuer, "Acme Portal");
}
