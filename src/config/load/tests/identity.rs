//! The `identity` section: the whoami source's bounds, the headers source
//! with its trusted proxies, and the mistakes of each named by field.

use super::*;
use crate::config::IdentitySource;

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
            "a whole number from 0 to 65535",
        ),
        (
            "  anonymous_statuses: 401\n",
            "identity.anonymous_statuses",
            "expected a list",
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
            "expected a whole number (0 or more)",
        ),
    ];
    for (lines, field, needle) in cases {
        check_error(&with(lines), field, Some(5), needle);
    }
}

#[test]
fn the_default_strip_list_covers_its_names_and_prefixes_only() {
    let config = load(MINIMAL);
    let stripped = &config.stripped_headers;
    for entry in crate::config::DEFAULT_STRIPPED_HEADERS {
        let name = entry
            .strip_suffix('*')
            .map_or(entry.to_string(), |p| format!("{p}x"));
        assert!(stripped.covers(&name), "{name}");
    }
    // Same lengths as listed names, one byte off; a long name; usual ones.
    let long = format!("x-{}", "a".repeat(80));
    for name in [
        "x-usex",
        "remote-usex",
        "x-emaik",
        "host",
        "cookie",
        "accept",
        &long,
    ] {
        assert!(!stripped.covers(name), "{name}");
    }
    let custom = crate::config::StrippedHeaders::new([long.as_str(), "b"], ["p-"]);
    assert!(custom.covers(&long) && custom.covers("b") && custom.covers("p-q"));
    assert!(!custom.covers(&format!("{long}b")) && !custom.covers("c"));
}
