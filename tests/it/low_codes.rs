//! Backup codes running low (issue 16 §3): the page after a backup code
//! says how many are left; at 3 or fewer the success page and the settings
//! page warn, with the way to a new set; at none, a stronger warning. The
//! audit trail records "backup code used (N left)", never the code.

use crate::harness::{Browser, DEMO_SUPPORT_TOKEN, Gateway, JIRO, enrolled_and_challenged};

/// Pass the challenge of `b` with `code`: the 303 goes to the page that
/// says how many are left, which continues home. Returns that page.
async fn sign_in_with(b: &mut Browser, csrf: &str, code: &str) -> crate::harness::Resp {
    let r = b
        .post_form("/_mfa/challenge", &[("csrf", csrf), ("backup_code", code)])
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert!(r.header("set-cookie").is_some(), "the session is verified");
    let next = r.location().unwrap().to_owned();
    assert_eq!(next, "/_mfa/signed-in?via=backup");
    let page = b.get(&next).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body.contains("You signed in with a backup code"),
        "{}",
        page.body
    );
    assert_eq!(page.href_of("continue").as_deref(), Some("/"));
    page
}

fn codes_left(page: &crate::harness::Resp) -> String {
    let start = page.body.find(r#"id="codes-left">"#).expect("codes left") + 16;
    page.body[start..].split('<').next().unwrap().to_owned()
}

#[tokio::test]
async fn warnings_at_three_one_and_none_left() {
    let gw = Gateway::demo().await;
    let (mut b, csrf, enrolled) = enrolled_and_challenged(&gw, JIRO).await;
    let codes = &enrolled.backup_codes;

    // 9 left: the count, no warning.
    let page = sign_in_with(&mut b, &csrf, &codes[0]).await;
    assert_eq!(codes_left(&page), "Backup codes left: 9 of 10.");
    assert!(!page.body.contains("codes-warning"), "{}", page.body);
    let settings = b.get("/_mfa/settings").await;
    assert!(!settings.body.contains("codes-warning"));

    // The same verified session may use more codes at the challenge.
    for code in &codes[1..6] {
        sign_in_with(&mut b, &csrf, code).await;
    }
    // 4 left: still no warning.
    let settings = b.get("/_mfa/settings").await;
    assert!(settings.body.contains("Backup codes left: 4 of 10."));
    assert!(!settings.body.contains("codes-warning"));

    // 3 left: warned, with the way to a new set.
    let page = sign_in_with(&mut b, &csrf, &codes[6]).await;
    assert_eq!(codes_left(&page), "Backup codes left: 3 of 10.");
    assert!(
        page.body.contains("Only 3 backup codes left."),
        "{}",
        page.body
    );
    assert!(page.body.contains(r##"href="/_mfa/settings#regenerate""##));
    let settings = b.get("/_mfa/settings").await;
    assert!(settings.body.contains("Only 3 backup codes left."));
    assert!(settings.body.contains(r#"<section id="regenerate">"#));

    // A TOTP sign-in with few codes left passes by the warning too.
    let mut totp = gw.browser();
    totp.login(JIRO).await;
    let page = totp.get("/_mfa/challenge").await;
    let csrf_totp = page.input_value("csrf").unwrap();
    let step = crate::harness::codes::now_step();
    let mut location = None;
    for s in [step, step + 1] {
        let code = crate::harness::codes::code(&enrolled.secret, s, 6);
        let r = crate::harness::submit_code(&mut totp, &csrf_totp, &code).await;
        if r.status == 303 {
            location = r.location().map(str::to_owned);
            break;
        }
    }
    assert_eq!(location.as_deref(), Some("/_mfa/signed-in"));
    let page = totp.get("/_mfa/signed-in").await;
    assert!(!page.body.contains("You signed in with a backup code"));
    assert!(page.body.contains("Only 3 backup codes left."));

    // 1 left.
    sign_in_with(&mut b, &csrf, &codes[7]).await;
    let page = sign_in_with(&mut b, &csrf, &codes[8]).await;
    assert_eq!(codes_left(&page), "Backup codes left: 1 of 10.");
    assert!(page.body.contains("Only 1 backup code left."));

    // None left: the stronger warning, on both pages.
    let page = sign_in_with(&mut b, &csrf, &codes[9]).await;
    assert_eq!(codes_left(&page), "Backup codes left: 0 of 10.");
    assert!(page.body.contains("No backup codes left."), "{}", page.body);
    assert!(page.body.contains(r#"role="alert""#));
    assert!(!page.body.contains("Only 0"));
    let settings = b.get("/_mfa/settings").await;
    assert!(settings.body.contains("No backup codes left."));

    // Support sees the count; the trail says how many were left, not which.
    assert_eq!(gw.account_status(JIRO).await["backup_codes_left"], 0);
    let audit = gw
        .admin(
            "GET",
            "/v1/accounts/jiro%40acme.example/audit?limit=100",
            Some(DEMO_SUPPORT_TOKEN),
        )
        .await;
    assert_eq!(audit.status, 200);
    let details: Vec<String> = audit.json()["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "backup_code_used")
        .map(|e| e["detail"].as_str().unwrap().to_owned())
        .collect();
    // Newest first: 0 left, 1 left, … 9 left.
    let expected: Vec<String> = (0..10)
        .map(|n| format!("backup code; challenge; {n} left"))
        .collect();
    assert_eq!(details, expected);
    for code in codes {
        assert!(!audit.body.contains(code.as_str()), "a code in the trail");
    }
}

#[tokio::test]
async fn the_page_after_a_backup_code_speaks_japanese_too() {
    let gw = Gateway::demo().await;
    let (mut b, csrf, enrolled) = enrolled_and_challenged(&gw, JIRO).await;
    for code in &enrolled.backup_codes[..7] {
        sign_in_with(&mut b, &csrf, code).await;
    }
    let page = b.get("/_mfa/signed-in?via=backup&lang=ja").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("バックアップコードでログインしました"));
    assert!(page.body.contains("残りのバックアップコードは3個です"));
}
