//! How mistakes are reported: unknown fields, bad durations, YAML syntax
//! errors and each field's own checks, every one naming its field and line.

use super::*;

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
            "not an offered language (offered: en, ja)",
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

/// The parser's type names are said in words (issue 34 §5).
#[test]
fn type_errors_are_in_words() {
    for (yaml, words) in [
        ("max_failures: many\n", "a whole number"),
        ("bypass: /login\n", "a list"),
        ("allow_get_body: 1\n", "true or false"),
    ] {
        let e = error_of(&format!("{MINIMAL}{yaml}")).to_string();
        assert!(e.contains(words), "{yaml}: {e}");
        for jargon in ["u32", "sequence", "boolean"] {
            assert!(!e.contains(jargon), "{yaml}: {e}");
        }
    }
}
