//! Header-name variants: CGI, WSGI, Rack and PHP read `X_Mfa_Status` and
//! `X-Mfa-Status` as one variable, so a client-sent `X_Mfa_Status:
//! verified` the gateway does not strip is read as the gateway's own word.
//! Whatever name a client uses, the app must read exactly what the gateway
//! set for `X-Mfa-*`, and never a client's identity header — or the gateway
//! refuses the request (400).

use super::check::{self, Echo, Violation};
use super::{Fleet, Lines, Source, cookie_lines, wire};

const STATUS_NAMES: &[&str] = &[
    "X-Mfa-Status",
    "X_Mfa_Status",
    "x-mfa_status",
    "X_MFA_STATUS",
    "x_mfa-status",
    "X-MFA-STATUS",
];
const ACCOUNT_NAMES: &[&str] = &[
    "X-Mfa-Account",
    "X_MFA_ACCOUNT",
    "X-Mfa_Account",
    "x_mfa_account",
    "X_Mfa-Account",
];
const AUTH_USER_NAMES: &[&str] = &[
    "X-Auth-User",
    "X_Auth_User",
    "x-auth_user",
    "X_AUTH_USER",
    "x_auth-user",
    "X-AUTH-USER",
];

/// Frameworks where `_` and `-` in a header name are the same variable.
const CGI_STYLE: &[&str] = &["werkzeug", "django", "php"];

/// The baseline (no such header), requests of one header each, then one
/// of them all; (label, lines).
fn variants(names: &[&str], value: &str) -> Vec<(String, Lines)> {
    let line = |n: &str| (n.as_bytes().to_vec(), value.as_bytes().to_vec());
    let mut out = vec![("(no client header)".to_owned(), Vec::new())];
    out.extend(
        names
            .iter()
            .map(|n| (format!("{n}: {value}"), vec![line(n)])),
    );
    out.push((
        format!("all of {}: {value}", names.join(", ")),
        names.iter().map(|n| line(n)).collect(),
    ));
    out
}

/// Send `requests` through every gateway; each answer must come from the
/// app with exactly `expected`, or be the gateway's refusal (400). The
/// first request is the baseline (no client header): it must reach the app,
/// so that refusing everything cannot pass.
async fn expect_everywhere(
    fleet: &Fleet,
    requests: &[(String, Lines)],
    expected: &Echo,
) -> Vec<Violation> {
    let lines: Vec<_> = requests.iter().map(|(_, l)| l.clone()).collect();
    let mut out = Vec::new();
    for (a, r, reply) in fleet.send_all(&lines).await {
        let app = fleet.pairs[a].0.name;
        let seen = match &reply {
            Ok(reply) => match Echo::of(app, reply) {
                Some(echo) => format!("{echo:?}"),
                None if reply.status == 400 && r > 0 => continue,
                None => format!("status {} not from the app", reply.status),
            },
            Err(e) => e.clone(),
        };
        if seen != format!("{expected:?}") {
            out.push(Violation {
                app,
                category: "header-names",
                kind: "app read other than the gateway set",
                request: requests[r].0.clone(),
                detail: seen,
            });
        }
    }
    out
}

/// The CGI-style apps really do read `X_Mfa_Status` as `X-Mfa-Status`
/// (sent straight to them), so the header test cannot pass vacuously.
async fn underscore_control(fleet: &Fleet) {
    for (app, _) in &fleet.pairs {
        let names: &[&str] = if CGI_STYLE.contains(&app.name) {
            &["X-Mfa-Status", "X_Mfa_Status"]
        } else {
            &["X-Mfa-Status"]
        };
        for name in names {
            let line = [(name.as_bytes(), b"verified".as_slice())];
            let reply = wire::get(app.port, "/data", &line)
                .await
                .expect("app answers");
            let echo = Echo::of(app.name, &reply).expect("the app's echo");
            assert_eq!(
                echo.mfa_status.as_deref(),
                Some("verified"),
                "[{}] {name}",
                app.name
            );
        }
    }
}

#[tokio::test]
async fn differential_mfa_header_names() {
    let fleet = Fleet::start(Source::Whoami).await;
    underscore_control(&fleet).await;
    let mut requests = variants(STATUS_NAMES, "verified");
    requests.extend(variants(ACCOUNT_NAMES, "boss@x").into_iter().skip(1));
    let anonymous = Echo {
        session: None,
        mfa_status: Some("not-required".into()),
        mfa_account: None,
        auth_user: None,
    };
    let mut violations = expect_everywhere(&fleet, &requests, &anonymous).await;
    let session = cookie_lines(&[b"app_sid=tok-free"]);
    let with_session: Vec<_> = requests
        .iter()
        .map(|(label, lines)| {
            let mut lines = lines.clone();
            lines.extend(session.iter().cloned());
            (format!("{label} + Cookie: app_sid=tok-free"), lines)
        })
        .collect();
    let free = Echo {
        session: Some("tok-free".into()),
        mfa_status: Some("not-enrolled".into()),
        mfa_account: Some("free@x".into()),
        auth_user: None,
    };
    violations.extend(expect_everywhere(&fleet, &with_session, &free).await);
    assert!(
        violations.is_empty(),
        "client-sent X-Mfa-* variants reached the apps ({} requests per app):\n{}",
        requests.len() + with_session.len(),
        check::report(&violations)
    );
}

#[tokio::test]
async fn differential_identity_header_names() {
    let fleet = Fleet::start(Source::Headers).await;
    let requests = variants(AUTH_USER_NAMES, "boss@x");
    let anonymous = Echo {
        session: None,
        mfa_status: Some("not-required".into()),
        mfa_account: None,
        auth_user: None,
    };
    let violations = expect_everywhere(&fleet, &requests, &anonymous).await;
    assert!(
        violations.is_empty(),
        "client-sent identity headers reached the apps past a gateway that trusts no proxy:\n{}",
        check::report(&violations)
    );
}
