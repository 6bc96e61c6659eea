//! Tests of loading: defaults, the example files, and one error per check
//! naming its file, line and field.

use super::*;
use crate::config::{BypassRule, IdentitySource, Locale, StoreConfig};
use crate::domain::Enforcement;
use std::time::Duration;

const HMAC_HEX: &str = "1111111111111111111111111111111111111111111111111111111111111111";
/// 32 bytes of 0x22, base64 (standard, padded).
const ENC_B64: &str = "IiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiI=";
const SUPPORT_TOKEN: &str = "test-support-token-0123";

const MINIMAL: &str = "\
listen: 127.0.0.1:8080
upstream:
  address: app.internal:3000
identity:
  session_cookie: app_session
  whoami_path: /api/me
store:
  path: data/store
secrets:
  hmac_key: { env: TEST_HMAC }
  encryption_key: { env: TEST_ENC }
";

fn env(name: &str) -> Option<String> {
    match name {
        "TEST_HMAC" | "MFA_GATE_HMAC_KEY" => Some(HMAC_HEX.into()),
        "TEST_ENC" | "MFA_GATE_ENCRYPTION_KEY" => Some(ENC_B64.into()),
        "MFA_GATE_SUPPORT_TOKEN" => Some(format!("  {SUPPORT_TOKEN}\n")),
        "TEST_PG_URL" => Some(format!("{PG_URL}\n")),
        "TEST_PG_BAD" => Some("postgresql://gate:s3cret-pw@db:notaport/mfa".into()),
        _ => None,
    }
}

const PG_URL: &str = "postgresql://gate:s3cret-pw@db.internal:5433/mfa";

/// The minimal file with `extra` appended, loaded: a `Config` for other
/// modules' tests.
pub(crate) fn minimal_with(extra: &str) -> Config {
    load(&format!("{MINIMAL}{extra}"))
}

fn load(yaml: &str) -> Config {
    match load_str_with_env(yaml, Path::new("/etc/mfa-gate/gate.yaml"), &env) {
        Ok(config) => config,
        Err(e) => panic!("expected the config to load, got: {e}"),
    }
}

fn error_of(yaml: &str) -> ConfigError {
    match load_str_with_env(yaml, Path::new("/etc/mfa-gate/gate.yaml"), &env) {
        Ok(_) => panic!("expected an error for:\n{yaml}"),
        Err(e) => e,
    }
}

/// Asserts the error names `field`, is on `line` (if given) and its
/// message contains `needle`.
fn check_error(yaml: &str, field: &str, line: Option<usize>, needle: &str) {
    let err = error_of(yaml);
    let shown = err.to_string();
    assert_eq!(err.field(), Some(field), "{shown}");
    if line.is_some() {
        assert_eq!(err.line(), line, "{shown}");
    }
    assert!(shown.contains(needle), "{shown:?} lacks {needle:?}");
    assert!(shown.starts_with("/etc/mfa-gate/gate.yaml: "), "{shown}");
}

fn repo_file(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(name)
}

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
    assert_eq!(config.companies.get("globex"), Some(&Enforcement::Required));
    assert_eq!(config.bypass.len(), 3);
    assert_eq!(config.secrets.hmac_key, [0x11; 32]);
    assert_eq!(config.secrets.encryption_key, [0x22; 32]);
    assert_eq!(config.source, path);
    let admin = config.admin.expect("the example has an admin section");
    assert_eq!(admin.listen.to_string(), "127.0.0.1:9090");
    assert!(admin.support_token.verify(SUPPORT_TOKEN));
    assert_eq!(config.audit.retention, Duration::from_secs(400 * 86_400));
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
    assert_eq!(config.ui.default_locale, Locale::Ja);
    assert_eq!(config.ui.app_name, "Demo App");
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
    assert_eq!(config.ui.default_locale, Locale::Ja);
    assert_eq!(config.server.threads, 2);
    assert_eq!(config.server.grace_period, Duration::from_secs(10));
    assert!(
        config.admin.is_none(),
        "no admin section, no admin listener"
    );
    assert_eq!(config.audit.retention, Duration::from_secs(400 * 86_400));
}

#[test]
fn admin_section_defaults_to_loopback_and_needs_a_token() {
    let with_admin =
        format!("{MINIMAL}admin:\n  support_token: {{ env: MFA_GATE_SUPPORT_TOKEN }}\n");
    let admin = load(&with_admin).admin.expect("admin");
    assert_eq!(admin.listen.to_string(), "127.0.0.1:9090");
    assert!(admin.support_token.verify(SUPPORT_TOKEN), "trimmed");
    assert!(!admin.support_token.verify("test-support-token"));
    assert!(!format!("{admin:?}").contains(SUPPORT_TOKEN));

    check_error(
        &format!("{MINIMAL}admin:\n  listen: 127.0.0.1:9091\n"),
        "admin",
        None,
        "missing field `support_token`",
    );
    check_error(
        &format!(
            "{MINIMAL}admin:\n  listen: 127.0.0.1:8080\n  support_token: {{ env: MFA_GATE_SUPPORT_TOKEN }}\n"
        ),
        "admin.listen",
        Some(13),
        "needs its own port",
    );
    check_error(
        &format!("{MINIMAL}admin:\n  support_token: {{ env: NOPE_UNSET }}\n"),
        "admin.support_token.env",
        Some(13),
        "environment variable NOPE_UNSET is not set",
    );
    check_error(
        &format!("{MINIMAL}admin:\n  support_token: {{ value: x }}\n"),
        "admin.support_token.value",
        Some(13),
        "unknown field `value`",
    );
    check_error(
        &format!("{MINIMAL}audit:\n  retention: 1h\n"),
        "audit.retention",
        Some(13),
        "at least 1d",
    );
    assert_eq!(
        load(&format!("{MINIMAL}audit:\n  retention: 30d\n"))
            .audit
            .retention,
        Duration::from_secs(30 * 86_400)
    );
    assert_eq!(
        load(&format!("{MINIMAL}audit:\n  keep_days: 90\n"))
            .audit
            .retention,
        Duration::from_secs(90 * 86_400)
    );
    check_error(
        &format!("{MINIMAL}audit:\n  keep_days: 0\n"),
        "audit.keep_days",
        Some(13),
        "1 to 36500",
    );
    check_error(
        &format!("{MINIMAL}audit:\n  keep_days: 90\n  retention: 30d\n"),
        "audit.retention",
        Some(14),
        "give `keep_days` only",
    );
}

#[test]
fn a_weak_support_token_is_refused_without_echoing_it() {
    let yaml = format!("{MINIMAL}admin:\n  support_token: {{ env: WEAK }}\n");
    for weak in ["hunter2", "has spaces in the token"] {
        let err = load_str_with_env(&yaml, Path::new("gate.yaml"), &|name| match name {
            "WEAK" => Some(weak.into()),
            other => env(other),
        })
        .expect_err("an error");
        assert_eq!(err.field(), Some("admin.support_token.env"), "{err}");
        assert!(!err.to_string().contains(weak), "{err}");
    }
}

#[test]
fn support_reads_only_the_admin_section() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("token"), format!("{SUPPORT_TOKEN}\n")).expect("write");
    // The keys' variables are unset: support staff need not hold them.
    let yaml =
        format!("{MINIMAL}admin:\n  listen: 127.0.0.1:7000\n  support_token: {{ file: token }}\n");
    let source = dir.path().join("gate.yaml");
    let admin = load_admin_str_with_env(&yaml, &source, &|_| None)
        .unwrap_or_else(|e| panic!("{e}"))
        .expect("admin");
    assert_eq!(admin.listen.to_string(), "127.0.0.1:7000");
    assert!(admin.support_token.verify(SUPPORT_TOKEN));
    assert!(
        load_admin_str_with_env(MINIMAL, &source, &|_| None)
            .unwrap_or_else(|e| panic!("{e}"))
            .is_none()
    );
}

#[test]
fn issuer_defaults_to_the_app_name() {
    let config = load(&format!("{MINIMAL}ui:\n  app_name: Acme Portal\n"));
    assert_eq!(config.totp.issuer, "Acme Portal");
}

#[test]
fn logo_is_a_same_site_path() {
    let config = load(&format!("{MINIMAL}ui:\n  logo: /static/logo.svg\n"));
    assert_eq!(config.ui.logo.as_deref(), Some("/static/logo.svg"));
    for bad in [
        "https://cdn.example/logo.png",
        "//cdn.example/x.png",
        "logo.png",
        "/a\"b",
    ] {
        let e = error_of(&format!("{MINIMAL}ui:\n  logo: '{bad}'\n"));
        assert!(e.to_string().contains("ui.logo"), "{bad}: {e}");
    }
}

#[test]
fn unknown_field_is_named_with_its_line() {
    let yaml = MINIMAL.replace(
        "  address: app.internal:3000\n",
        "  address: a:1\n  adress: b:2\n",
    );
    check_error(&yaml, "upstream.adress", Some(4), "unknown field `adress`");
    let err = error_of(&yaml).to_string();
    assert!(err.starts_with("/etc/mfa-gate/gate.yaml: line 4, column 3: field `upstream.adress`: unknown field `adress`, expected one of"), "{err}");
    check_error(
        &format!("{MINIMAL}colour: blue\n"),
        "colour",
        Some(12),
        "unknown field",
    );
    check_error(
        &format!("{MINIMAL}  hmac: {{ env: X }}\n"),
        "secrets.hmac",
        Some(12),
        "unknown field `hmac`",
    );
}

#[test]
fn bad_duration_is_named_with_its_line() {
    let yaml = MINIMAL.replace(
        "  address: app.internal:3000\n",
        "  address: app.internal:3000\n  connect_timeout: 5 sec\n",
    );
    let err = error_of(&yaml).to_string();
    assert_eq!(
        err,
        "/etc/mfa-gate/gate.yaml: line 4, column 20: field `upstream.connect_timeout`: \
         invalid duration \"5 sec\" (expected e.g. 500ms, 5s, 10m, 12h)"
    );
    check_error(
        &format!("{MINIMAL}cookie:\n  max_age: 12\n"),
        "cookie.max_age",
        Some(13),
        "invalid duration \"12\"",
    );
    check_error(
        &format!("{MINIMAL}cookie:\n  max_age: 0s\n"),
        "cookie.max_age",
        Some(13),
        "longer than zero",
    );
}

#[test]
fn bad_enforcement_value_lists_the_allowed_ones() {
    check_error(
        &format!("{MINIMAL}companies:\n  globex: required\n  initech: mandatory\n"),
        "companies.initech",
        Some(14),
        "unknown variant `mandatory`, expected one of `optional`, `required`, `required_passkey`",
    );
    check_error(
        &format!("{MINIMAL}companies:\n  globex: required\n  globex: optional\n"),
        "companies",
        None,
        "`globex` is given twice",
    );
}

#[test]
fn other_identity_sources_are_refused_by_name() {
    let yaml = MINIMAL.replace("identity:\n", "identity:\n  source: ldap\n");
    check_error(
        &yaml,
        "identity.source",
        Some(5),
        "unknown variant `ldap`, expected `whoami` or `headers`",
    );
}

/// MINIMAL with its identity section replaced by `identity` and `tail`
/// appended.
fn with_identity(identity: &str, tail: &str) -> String {
    let start = MINIMAL.find("identity:\n").expect("identity");
    let end = MINIMAL.find("store:\n").expect("store");
    format!("{}{identity}{}{tail}", &MINIMAL[..start], &MINIMAL[end..])
}

const SSO: &str = "\
identity:
  source: headers
  session_cookie: _oauth2_proxy
  headers:
    account: X-Forwarded-Email
    roles: X-Forwarded-Groups
    session: X-Auth-Session
  defaults:
    company: acme
    class: employee
";

#[test]
fn headers_source_loads_with_trusted_proxies() {
    let config = load(&with_identity(
        SSO,
        "trusted_proxies: [10.0.0.0/8, 127.0.0.1]\n",
    ));
    let IdentitySource::Headers(h) = &config.identity else {
        panic!("headers source expected")
    };
    assert_eq!(h.account.as_str(), "x-forwarded-email");
    assert_eq!(
        h.session_header.as_ref().map(|n| n.as_str()),
        Some("x-auth-session")
    );
    assert_eq!(h.default_company.as_deref(), Some("acme"));
    assert_eq!(h.names().count(), 3);
    assert_eq!(config.identity.session_cookie(), Some("_oauth2_proxy"));
    assert!(
        config
            .trusted_proxies
            .contains("127.0.0.1".parse().unwrap())
    );
    assert!(
        !config
            .trusted_proxies
            .contains("127.0.0.2".parse().unwrap())
    );
}

#[test]
fn headers_source_mistakes_name_their_field() {
    let trusted = "trusted_proxies: [10.0.0.0/8]\n";
    let cases: &[(String, &str, &str)] = &[
        (
            with_identity(SSO, ""),
            "trusted_proxies",
            "needs the addresses",
        ),
        (
            with_identity(SSO, "trusted_proxies: [10.0.0.0/8, 0.0.0.0/0]\n"),
            "trusted_proxies[1]",
            "every address",
        ),
        (
            with_identity(SSO, "trusted_proxies: [10.0.0.300]\n"),
            "trusted_proxies[0]",
            "not an address",
        ),
        (
            with_identity(&SSO.replace("X-Auth-Session", "X-Mfa-Session"), trusted),
            "identity.headers.session",
            "mfa-gate's own",
        ),
        (
            with_identity(&SSO.replace("X-Forwarded-Email", "\"bad name\""), trusted),
            "identity.headers.account",
            "not a valid header name",
        ),
        (
            with_identity(
                &SSO.replace("  session_cookie: _oauth2_proxy\n", "")
                    .replace("    session: X-Auth-Session\n", ""),
                trusted,
            ),
            "identity",
            "needs `session_cookie`",
        ),
        (
            with_identity(&SSO.replace("    company: acme\n", ""), trusted),
            "identity.headers",
            "company",
        ),
        (
            with_identity(&SSO.replace("class: employee", "class: boss"), trusted),
            "identity.defaults.class",
            "unknown variant `boss`",
        ),
        (
            with_identity(&format!("{SSO}  whoami_path: /api/me\n"), trusted),
            "identity.whoami_path",
            "source: whoami",
        ),
        (
            with_identity(&format!("{SSO}  anonymous_statuses: [401]\n"), trusted),
            "identity.anonymous_statuses",
            "source: whoami",
        ),
        (
            with_identity(&format!("{SSO}  whoami_client_rate: 5\n"), trusted),
            "identity.whoami_client_rate",
            "source: whoami",
        ),
        (
            MINIMAL.replace(
                "  whoami_path: /api/me\n",
                "  headers: { account: X-User }\n  whoami_path: /me\n",
            ),
            "identity.headers",
            "source: headers",
        ),
        (
            MINIMAL.replace("  whoami_path: /api/me\n", ""),
            "identity",
            "missing field `whoami_path`",
        ),
    ];
    for (yaml, field, needle) in cases {
        check_error(yaml, field, None, needle);
    }
}

#[test]
fn tls_and_log_sections_are_checked() {
    let dir = tempfile::tempdir().expect("tempdir");
    let made = rcgen::generate_simple_self_signed(vec!["localhost".into()]).expect("cert");
    std::fs::write(dir.path().join("cert.pem"), made.cert.pem()).expect("write");
    std::fs::write(dir.path().join("key.pem"), made.key_pair.serialize_pem()).expect("write");
    let source = dir.path().join("gate.yaml");
    let tls = |listen: &str, cert: &str, key: &str| {
        format!("{MINIMAL}tls:\n  listen: {listen}\n  cert: {cert}\n  key: {key}\n")
    };
    let config = load_str_with_env(&tls("127.0.0.1:8443", "cert.pem", "key.pem"), &source, &env)
        .unwrap_or_else(|e| panic!("{e}"));
    let t = config.tls.expect("tls");
    assert_eq!(t.cert, dir.path().join("cert.pem"));
    assert!(t.http2, "HTTP/2 is on by default");
    let error = |yaml: String| load_str_with_env(&yaml, &source, &env).expect_err("an error");
    let err = error(tls("127.0.0.1:8443", "missing.pem", "key.pem"));
    assert_eq!(err.field(), Some("tls.cert"), "{err}");
    assert!(err.to_string().contains("cannot read"), "{err}");
    let err = error(tls("127.0.0.1:8443", "cert.pem", "cert.pem"));
    assert_eq!(err.field(), Some("tls.key"), "{err}");
    assert!(err.to_string().contains("no private key"), "{err}");
    let err = error(tls("127.0.0.1:8080", "cert.pem", "key.pem"));
    assert_eq!(err.field(), Some("tls.listen"), "{err}");

    let config = load(&format!(
        "{MINIMAL}log:\n  format: json\n  level: debug,pingora=warn\n"
    ));
    assert_eq!(config.log.format, crate::config::LogFormat::Json);
    check_error(
        &format!("{MINIMAL}log:\n  format: xml\n"),
        "log.format",
        None,
        "unknown variant",
    );
    check_error(
        &format!("{MINIMAL}log:\n  level: \"info,[\"\n"),
        "log.level",
        None,
        "not a log filter",
    );
}

#[test]
fn missing_secret_variable_is_named() {
    let yaml = MINIMAL.replace("TEST_ENC", "MFA_GATE_TEST_UNSET_VARIABLE");
    check_error(
        &yaml,
        "secrets.encryption_key.env",
        Some(11),
        "environment variable MFA_GATE_TEST_UNSET_VARIABLE is not set",
    );
}

#[test]
fn secret_needs_exactly_one_source() {
    let yaml = MINIMAL.replace("{ env: TEST_HMAC }", "{ env: TEST_HMAC, file: k }");
    check_error(&yaml, "secrets.hmac_key", Some(10), "exactly one of");
    let yaml = MINIMAL.replace("{ env: TEST_HMAC }", "{}");
    check_error(&yaml, "secrets.hmac_key", Some(10), "exactly one of");
}

#[test]
fn wrong_length_key_is_refused_without_echoing_it() {
    let short = "00112233445566778899aabbccddeeff"; // 16 bytes as hex
    let yaml = MINIMAL.replace("{ env: TEST_HMAC }", "{ env: SHORT_KEY }");
    let err = load_str_with_env(&yaml, Path::new("gate.yaml"), &|name| match name {
        "SHORT_KEY" => Some(short.into()),
        other => env(other),
    })
    .expect_err("an error");
    let shown = err.to_string();
    assert_eq!(err.field(), Some("secrets.hmac_key.env"), "{shown}");
    assert!(shown.contains("SHORT_KEY"), "{shown}");
    assert!(shown.contains("exactly 32"), "{shown}");
    assert!(!shown.contains(short), "{shown}");

    let not_a_key = "correct horse battery staple";
    let err = load_str_with_env(&yaml, Path::new("gate.yaml"), &|name| match name {
        "SHORT_KEY" => Some(not_a_key.into()),
        other => env(other),
    })
    .expect_err("an error");
    assert!(!err.to_string().contains(not_a_key), "{err}");
}

#[test]
fn oversized_key_file_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("big.key"), "a".repeat(5000)).expect("write");
    let yaml = MINIMAL.replace("{ env: TEST_HMAC }", "{ file: big.key }");
    let err = load_str_with_env(&yaml, &dir.path().join("gate.yaml"), &env).expect_err("an error");
    assert!(err.to_string().contains("not a key file"), "{err}");
    assert!(!err.to_string().contains("aaaa"), "{err}");
}

#[test]
fn the_two_keys_must_differ() {
    let yaml = MINIMAL.replace("TEST_ENC", "TEST_HMAC");
    check_error(&yaml, "secrets.encryption_key", Some(11), "must differ");
}

#[test]
fn relative_paths_resolve_against_the_config_directory() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir(dir.path().join("keys")).expect("mkdir");
    std::fs::write(dir.path().join("keys/hmac"), HMAC_HEX).expect("write");
    let absolute_key = dir.path().join("enc-absolute");
    std::fs::write(&absolute_key, ENC_B64).expect("write");
    let yaml = MINIMAL
        .replace("{ env: TEST_HMAC }", "{ file: keys/hmac }")
        .replace(
            "{ env: TEST_ENC }",
            &format!("{{ file: \"{}\" }}", absolute_key.display()),
        );
    let source = dir.path().join("gate.yaml");

    let config = load_str_with_env(&yaml, &source, &|_| None).unwrap_or_else(|e| panic!("{e}"));

    assert_eq!(
        config.store.sled_path(),
        Some(dir.path().join("data/store").as_path())
    );
    assert_eq!(config.secrets.hmac_key, [0x11; 32]);
    assert_eq!(config.secrets.encryption_key, [0x22; 32]);

    let absolute = load(&MINIMAL.replace("path: data/store", "path: /var/lib/mfa-gate"));
    assert_eq!(
        absolute.store.sled_path(),
        Some(Path::new("/var/lib/mfa-gate"))
    );
}

#[test]
fn unreadable_key_file_is_named() {
    let yaml = MINIMAL.replace("{ env: TEST_HMAC }", "{ file: missing.key }");
    check_error(
        &yaml,
        "secrets.hmac_key.file",
        Some(10),
        "cannot read /etc/mfa-gate/missing.key",
    );
}

#[test]
fn field_checks_name_their_field() {
    let cases: &[(&str, &str, &str, &str)] = &[
        (
            "listen: 127.0.0.1:8080",
            "listen: localhost:80",
            "listen",
            "invalid address",
        ),
        (
            "address: app.internal:3000",
            "address: http://app:80",
            "upstream.address",
            "scheme",
        ),
        (
            "address: app.internal:3000",
            "address: app.internal",
            "upstream.address",
            "no port",
        ),
        (
            "address: app.internal:3000",
            "address: ::1:80",
            "upstream.address",
            "invalid host",
        ),
        (
            "address: app.internal:3000",
            "address: app:0",
            "upstream.address",
            "invalid port",
        ),
        (
            "whoami_path: /api/me",
            "whoami_path: api/me",
            "identity.whoami_path",
            "start with",
        ),
        (
            "whoami_path: /api/me",
            "whoami_path: /api/../me",
            "identity.whoami_path",
            "normal form",
        ),
        (
            "whoami_path: /api/me",
            "whoami_path: \"/api//me?x=1\"",
            "identity.whoami_path",
            "normal form",
        ),
        (
            "session_cookie: app_session",
            "session_cookie: \"a b\"",
            "identity.session_cookie",
            "not a valid cookie name",
        ),
        (
            "session_cookie: app_session",
            "session_cookie: mfa_gate",
            "cookie.name",
            "must differ",
        ),
        (
            "path: data/store",
            "path: \"\"",
            "store.path",
            "is required",
        ),
    ];
    for (from, to, field, needle) in cases {
        check_error(&MINIMAL.replace(from, to), field, None, needle);
    }
    let appended: &[(&str, &str, &str)] = &[
        ("totp:\n  skew: 3\n", "totp.skew", "out of range"),
        (
            "totp:\n  issuer: \"a:b\"\n",
            "totp.issuer",
            "must not contain `:`",
        ),
        ("max_failures: 0\n", "max_failures", "out of range"),
        ("max_failures: 1001\n", "max_failures", "out of range"),
        ("prefix: _mfa\n", "prefix", "start with"),
        ("prefix: /_mfa/\n", "prefix", "trailing"),
        ("prefix: /\n", "prefix", "below"),
        ("prefix: /a/../b\n", "prefix", "plain segments"),
        ("prefix: /a//b\n", "prefix", "plain segments"),
        (
            "bypass:\n  - /ok\n  - static/*\n",
            "bypass[1]",
            "start with",
        ),
        ("bypass:\n  - /static/*.css\n", "bypass[0]", "trailing `/*`"),
        ("bypass:\n  - /*\n", "bypass[0]", "every path"),
        ("bypass:\n  - /a/../b\n", "bypass[0]", "normalized"),
        ("bypass:\n  - /a%2fb\n", "bypass[0]", "decoded"),
        (
            "ui:\n  default_locale: fr\n",
            "ui.default_locale",
            "expected `ja` or `en`",
        ),
        (
            "ui:\n  app_name: \" \"\n",
            "ui.app_name",
            "must not be empty",
        ),
        ("server:\n  threads: 0\n", "server.threads", "at least 1"),
        ("identity:\n", "identity", "duplicate field"),
        (
            "cookie:\n  name: __Host-mfa\n  secure: false\n",
            "cookie.secure",
            "must be true",
        ),
    ];
    for (tail, field, needle) in appended {
        check_error(&format!("{MINIMAL}{tail}"), field, None, needle);
    }
    check_error(
        &MINIMAL.replace("identity:\n", "identity:\n  cache_size: 0\n"),
        "identity.cache_size",
        Some(5),
        "at least 1",
    );
    check_error(
        &MINIMAL.replace("identity:\n", "identity:\n  fields: { account: \"\" }\n"),
        "identity.fields.account",
        Some(5),
        "must not be empty",
    );
}

#[test]
fn yaml_syntax_errors_have_a_line() {
    let err = error_of("listen: 127.0.0.1:8080\nupstream:\n  address: 'oops\n");
    assert_eq!(err.line(), Some(4), "{err}");
    assert!(
        err.to_string()
            .contains("quoted scalar at line 3 column 12"),
        "{err}"
    );
    let err = error_of("# nothing\n");
    assert!(err.to_string().contains("no settings"), "{err}");
    let err = error_of("- a\n- b\n");
    assert!(err.to_string().contains("expected a mapping"), "{err}");
}

#[test]
fn debug_output_hides_the_keys() {
    let shown = format!("{:?}", load(MINIMAL));
    assert!(!shown.contains("17, 17"), "{shown}");
    assert!(!shown.contains("34, 34"), "{shown}");
}

#[test]
fn whoami_bounds_load_and_are_checked() {
    let with = |lines: &str| MINIMAL.replace("identity:\n", &format!("identity:\n{lines}"));
    let config = load(&with(
        "  anonymous_statuses: [401, 403]\n  whoami_concurrency: 8\n  whoami_client_rate: 5\n  whoami_client_burst: 7\n",
    ));
    let IdentitySource::Whoami(whoami) = &config.identity else {
        panic!("whoami source expected")
    };
    assert_eq!(whoami.anonymous_statuses, [401, 403]);
    assert_eq!(whoami.whoami_concurrency, 8);
    assert_eq!(
        (whoami.whoami_client_rate, whoami.whoami_client_burst),
        (5, 7)
    );
    let block = "  anonymous_statuses:\n    - 401\n    - 200\n";
    check_error(
        &with(block),
        "identity.anonymous_statuses[1]",
        Some(7),
        "200 is the whoami answer for a logged-in session",
    );
    let cases: &[(&str, &str, &str)] = &[
        (
            "  anonymous_statuses: []\n",
            "identity.anonymous_statuses",
            "at least one status",
        ),
        (
            "  anonymous_statuses: [401, 99]\n",
            "identity.anonymous_statuses[1]",
            "99 is not an HTTP status",
        ),
        (
            "  anonymous_statuses: [600]\n",
            "identity.anonymous_statuses[0]",
            "600 is not an HTTP status",
        ),
        (
            "  anonymous_statuses: [401, 403, 401]\n",
            "identity.anonymous_statuses[2]",
            "listed twice",
        ),
        (
            "  anonymous_statuses: [70000]\n",
            "identity.anonymous_statuses[0]",
            "u16",
        ),
        (
            "  anonymous_statuses: 401\n",
            "identity.anonymous_statuses",
            "sequence",
        ),
        (
            "  whoami_concurrency: 0\n",
            "identity.whoami_concurrency",
            "at least 1",
        ),
        (
            "  whoami_client_rate: 0\n",
            "identity.whoami_client_rate",
            "at least 1",
        ),
        (
            "  whoami_client_burst: 0\n",
            "identity.whoami_client_burst",
            "at least 1",
        ),
        (
            "  whoami_client_burst: -1\n",
            "identity.whoami_client_burst",
            "expected u32",
        ),
    ];
    for (lines, field, needle) in cases {
        check_error(&with(lines), field, Some(5), needle);
    }
}

#[test]
fn remember_days_are_pinned_per_company_from_the_short_list() {
    let yaml = format!(
        "{MINIMAL}companies:\n  globex: required\n  acme:\n    remember_days: 30\n  initech:\n    enforcement: optional\n    remember_days: off\n"
    );
    let source = Path::new("/etc/mfa-gate/gate.yaml");
    let config = load_str_with_env(&yaml, source, &env).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(config.companies.get("globex"), Some(&Enforcement::Required));
    assert_eq!(
        config.companies.get("acme"),
        None,
        "only remember is pinned"
    );
    assert_eq!(
        config.companies.get("initech"),
        Some(&Enforcement::Optional)
    );
    let days = |c: &str| config.remember_days.get(c).map(|d| d.as_string());
    assert_eq!(days("acme").as_deref(), Some("30"));
    assert_eq!(days("initech").as_deref(), Some("off"));
    assert_eq!(days("globex"), None);
}

#[test]
fn bad_remember_days_name_the_field_and_the_allowed_values() {
    for bad in ["14", "-7", "true", "always"] {
        check_error(
            &format!("{MINIMAL}companies:\n  acme:\n    remember_days: {bad}\n"),
            "companies.acme.remember_days",
            Some(14),
            "is not allowed (allowed: off, 7, 30)",
        );
    }
    check_error(
        &format!("{MINIMAL}companies:\n  acme:\n    remember: 7\n"),
        "companies.acme.remember",
        None,
        "unknown field `remember`",
    );
}

/// `store: { backend: postgres, … }`: the URL comes from the environment
/// or a file, the pool has defaults, and no message or `Debug` output shows
/// the password.
#[test]
fn postgres_store_section() {
    let postgres = |store: &str| MINIMAL.replace("  path: data/store\n", store);
    let config = load(&postgres(
        "  backend: postgres\n  url: { env: TEST_PG_URL }\n",
    ));
    let StoreConfig::Postgres(options) = &config.store else {
        panic!("postgres expected: {:?}", config.store);
    };
    assert_eq!(options.url, PG_URL, "trimmed");
    assert_eq!(options.pool_size, 10);
    assert_eq!(options.timeout, std::time::Duration::from_secs(1));
    assert_eq!(options.max_staleness, std::time::Duration::from_secs(2));
    assert_eq!(
        options.tls,
        crate::store::DatabaseTls::Require,
        "TLS by default"
    );
    assert_eq!(
        config.store.describe(),
        "store.url postgresql://db.internal:5433/mfa"
    );
    assert!(!format!("{config:?}").contains("s3cret"));
    let tuned = load(&postgres(
        "  backend: postgres\n  url: { env: TEST_PG_URL }\n  pool_size: 3\n  connect_timeout: 250ms\n",
    ));
    let StoreConfig::Postgres(options) = &tuned.store else {
        panic!("postgres expected");
    };
    assert_eq!(
        (options.pool_size, options.timeout),
        (3, std::time::Duration::from_millis(250)),
        "connect_timeout: the older spelling of timeout"
    );
    let tuned = load(&postgres(
        "  backend: postgres\n  url: { env: TEST_PG_URL }\n  timeout: 2s\n  max_staleness: 5s\n",
    ));
    let StoreConfig::Postgres(options) = &tuned.store else {
        panic!("postgres expected");
    };
    assert_eq!(
        (options.timeout, options.max_staleness),
        (
            std::time::Duration::from_secs(2),
            std::time::Duration::from_secs(5)
        )
    );

    let cases: &[(&str, &str, &str)] = &[
        ("  backend: postgres\n", "store.url", "is required"),
        (
            "  backend: postgres\n  path: x\n  url: { env: TEST_PG_URL }\n",
            "store.path",
            "not used",
        ),
        (
            "  backend: postgres\n  url: { env: NO_SUCH_VAR }\n",
            "store.url.env",
            "NO_SUCH_VAR is not set",
        ),
        (
            "  backend: postgres\n  url: { env: TEST_PG_BAD }\n",
            "store.url.env",
            "is not a PostgreSQL connection URL",
        ),
        (
            "  backend: postgres\n  url: { env: TEST_PG_URL }\n  pool_size: 0\n",
            "store.pool_size",
            "out of range",
        ),
        (
            "  path: x\n  url: { env: TEST_PG_URL }\n",
            "store.url",
            "only used with `backend: postgres`",
        ),
        (
            "  path: x\n  pool_size: 4\n",
            "store.pool_size",
            "only used",
        ),
        (
            "  path: x\n  max_staleness: 2s\n",
            "store.max_staleness",
            "only used",
        ),
        (
            "  backend: postgres\n  url: { env: TEST_PG_URL }\n  timeout: 10ms\n",
            "store.timeout",
            "100ms to 60s",
        ),
        (
            "  backend: postgres\n  url: { env: TEST_PG_URL }\n  max_staleness: 2m\n",
            "store.max_staleness",
            "100ms to 60s",
        ),
        (
            "  backend: postgres\n  url: { env: TEST_PG_URL }\n  timeout: 1s\n  connect_timeout: 1s\n",
            "store.connect_timeout",
            "give `timeout` only",
        ),
        (
            "  backend: postgres\n  url: { env: TEST_PG_URL }\n  tls: disable\n  ca_file: ca.pem\n",
            "store.ca_file",
            "only used with `tls: require`",
        ),
        (
            "  backend: postgres\n  url: { env: TEST_PG_URL }\n  ca_file: /no/such/ca.pem\n",
            "store.ca_file",
            "not a readable file",
        ),
    ];
    for (store, field, needle) in cases {
        let yaml = postgres(store);
        check_error(&yaml, field, None, needle);
        assert!(!error_of(&yaml).to_string().contains("s3cret"));
    }
    let plain = load(&postgres(
        "  backend: postgres\n  url: { env: TEST_PG_URL }\n  tls: disable\n",
    ));
    let StoreConfig::Postgres(options) = &plain.store else {
        panic!("postgres expected");
    };
    assert_eq!(options.tls, crate::store::DatabaseTls::Disable);
    let unknown = error_of(&postgres("  backend: mysql\n"));
    assert!(unknown.to_string().contains("postgres"), "{unknown}");
}

#[test]
fn a_webauthn_section_names_the_relying_party_and_its_origins() {
    let config = load(&format!(
        "{MINIMAL}webauthn:\n  rp_id: Example.com\n  origins: [https://login.example.com, 'https://example.com:8443']\n"
    ));
    let w = config.webauthn.unwrap();
    assert_eq!(w.rp_id, "example.com");
    assert_eq!(w.rp_name, config.ui.app_name, "defaults to the app's name");
    assert_eq!(w.origins.len(), 2);
    assert!(load(MINIMAL).webauthn.is_none(), "off unless configured");
}

#[test]
fn webauthn_mistakes_are_named() {
    let section = |body: &str| format!("{MINIMAL}webauthn:\n{body}");
    check_error(
        &section("  rp_id: example.com\n  origins: [http://login.example.com]\n"),
        "webauthn.origins[0]",
        None,
        "is not https",
    );
    check_error(
        &section("  rp_id: example.com\n  origins: [https://login.other.com]\n"),
        "webauthn",
        None,
        "not on the relying-party id example.com",
    );
    check_error(
        &section("  rp_id: 10.0.0.1\n  origins: [https://10.0.0.1]\n"),
        "webauthn.rp_id",
        None,
        "no scheme, port or IP address",
    );
    check_error(
        &section("  rp_id: example.com\n  origins: []\n"),
        "webauthn.origins",
        None,
        "at least one origin",
    );
    check_error(
        &section("  rp_id: example.com\n  origins: [https://example.com/login]\n"),
        "webauthn.origins[0]",
        None,
        "is not an origin",
    );
    check_error(
        &section("  rp_id: example.com\n  origins: [https://example.com]\n  rp_nmae: x\n"),
        "webauthn.rp_nmae",
        Some(15),
        "unknown field `rp_nmae`",
    );
}

#[test]
fn passkey_only_needs_passkeys_configured() {
    check_error(
        &format!("{MINIMAL}companies:\n  globex: required_passkey\n"),
        "companies.globex",
        None,
        "`required_passkey` needs passkeys",
    );
    let config = load(&format!(
        "{MINIMAL}companies:\n  globex: required_passkey\nwebauthn:\n  rp_id: example.com\n  origins: [https://example.com]\n"
    ));
    assert_eq!(
        config.companies.get("globex"),
        Some(&Enforcement::RequiredPasskey)
    );
}
