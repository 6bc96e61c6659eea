//! Our pages obey our rule: every route of ours, for every standing of a
//! session (the table of docs/design.md §2), answered as the access rule says — nothing
//! that shows or changes security state before the second step.

use crate::harness::{Browser, Enrolled, Gateway, Resp, codes, enroll};

/// What a route answered, reduced to what the rule decides.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Seen {
    /// The page itself (or a redirect onward from it).
    Served,
    /// The "please log in" page.
    LogIn,
    Enroll,
    Challenge,
    Locked,
}

fn seen(r: &Resp) -> Seen {
    match (r.status, r.location()) {
        (401, _) => Seen::LogIn,
        (423, _) => Seen::Locked,
        (303, Some(l)) if l.starts_with("/_mfa/enroll") => Seen::Enroll,
        (303, Some(l)) if l.starts_with("/_mfa/challenge") => Seen::Challenge,
        _ => Seen::Served,
    }
}

/// Every route (GET pages, and the codes download POST) for `b`.
async fn walk(b: &mut Browser) -> Vec<(&'static str, Seen)> {
    let mut out = Vec::new();
    for route in [
        "/_mfa/healthz",
        "/_mfa/assets/style.css",
        "/_mfa/enroll",
        "/_mfa/challenge",
        "/_mfa/settings",
        "/_mfa/admin/security",
    ] {
        out.push((route, seen(&b.get(route).await)));
    }
    let download = b
        .post_form("/_mfa/backup-codes.txt", &[("codes", "x")])
        .await;
    out.push(("/_mfa/backup-codes.txt", seen(&download)));
    out
}

#[track_caller]
fn expect(walked: &[(&str, Seen)], gated: Seen, standing: &str) {
    for (route, got) in walked {
        let second_step = ["/_mfa/enroll", "/_mfa/challenge"].contains(route);
        match *route {
            "/_mfa/healthz" | "/_mfa/assets/style.css" => {
                assert_eq!(*got, Seen::Served, "{standing}: {route}")
            }
            // The second step's own pages send on to each other (the
            // challenge of an unenrolled person is the enrollment), but
            // never past the log-in or the lock.
            _ if second_step && !matches!(gated, Seen::LogIn | Seen::Locked) => assert!(
                matches!(got, Seen::Served | Seen::Enroll | Seen::Challenge),
                "{standing}: {route}: {got:?}"
            ),
            _ => assert_eq!(*got, gated, "{standing}: {route}"),
        }
    }
}

async fn logged_in(gw: &Gateway, who: &str) -> Browser {
    let mut b = gw.browser();
    b.login(who).await;
    b
}

/// Lock the person of `b` (enrolled, at the challenge) with wrong codes.
async fn lock(b: &mut Browser, enrolled: &Enrolled) {
    let near: Vec<String> = (0..5)
        .map(|d| codes::code(&enrolled.secret, codes::now_step() + d - 2, 6))
        .collect();
    let wrong = (0..10)
        .map(|d| d.to_string().repeat(6))
        .find(|c| !near.contains(c))
        .unwrap();
    for _ in 0..10 {
        let csrf = b.get("/_mfa/challenge").await.input_value("csrf");
        let Some(csrf) = csrf else { break };
        b.post_form("/_mfa/challenge", &[("csrf", &csrf), ("code", &wrong)])
            .await;
    }
}

#[tokio::test]
async fn every_route_for_every_standing() {
    let gw = Gateway::demo().await;

    let mut anonymous = gw.browser();
    expect(&walk(&mut anonymous).await, Seen::LogIn, "anonymous");

    // jiro: acme is optional, not enrolled: everything of ours is open.
    let mut optional = logged_in(&gw, "jiro@acme.example").await;
    expect(
        &walk(&mut optional).await,
        Seen::Served,
        "optional, not enrolled",
    );

    // taro: globex requires 2FA, not enrolled: only enrollment.
    let mut required = logged_in(&gw, "taro@globex.example").await;
    expect(
        &walk(&mut required).await,
        Seen::Enroll,
        "required, not enrolled",
    );

    // hanako enrolls (verified session), then a new session is unverified.
    let mut verified = logged_in(&gw, "hanako.admin@acme.example").await;
    let enrolled = enroll(&mut verified).await;
    expect(&walk(&mut verified).await, Seen::Served, "verified");
    let mut unverified = logged_in(&gw, "hanako@acme.example").await;
    expect(
        &walk(&mut unverified).await,
        Seen::Challenge,
        "enrolled, unverified",
    );

    // Locked: even the verified session sees only the locked page.
    lock(&mut unverified, &enrolled).await;
    assert_eq!(
        gw.account_status("hanako@acme.example").await["locked"],
        true
    );
    expect(&walk(&mut unverified).await, Seen::Locked, "locked");
    expect(
        &walk(&mut verified).await,
        Seen::Locked,
        "locked, verified before",
    );
}

#[tokio::test]
async fn a_password_alone_never_changes_the_policy() {
    let gw = Gateway::demo().await;
    let mut hanako = logged_in(&gw, "hanako.admin@acme.example").await;
    enroll(&mut hanako).await;
    // The attacker signs in with hanako.admin's password only.
    let mut attacker = logged_in(&gw, "hanako.admin@acme.example").await;
    let page = attacker.get("/_mfa/admin/security").await;
    assert_eq!(seen(&page), Seen::Challenge);
    assert!(!page.body.contains("<form"));
    // Even with a CSRF token of its own session (from the challenge page).
    let csrf = attacker
        .get("/_mfa/challenge")
        .await
        .input_value("csrf")
        .unwrap();
    let r = attacker
        .post_form(
            "/_mfa/admin/security",
            &[("csrf", &csrf), ("enforcement", "required")],
        )
        .await;
    assert_eq!(seen(&r), Seen::Challenge, "{}", r.body);
    // An API-style POST gets the JSON answer, and nothing changed.
    let r = attacker
        .post_raw(
            "/_mfa/admin/security",
            "application/x-www-form-urlencoded",
            format!("csrf={csrf}&enforcement=required").into_bytes(),
        )
        .await;
    assert_eq!(r.status, 401, "{}", r.body);
    assert_eq!(r.json()["error"], "mfa_required");
    let mut jiro = logged_in(&gw, "jiro@acme.example").await;
    assert_eq!(jiro.get("/").await.status, 200, "acme is still optional");
}
