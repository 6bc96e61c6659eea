//! The rollout view of the policy page (issue 16 §2): staff accounts of the
//! administrator's own company seen by the gateway, how many have 2FA, the
//! list of those who have not, and how many would be sent to enrollment if
//! 2FA became required — never an account of another company.

use crate::harness::{Browser, Gateway, Resp, enroll};

async fn logged_in(gw: &Gateway, who: &str) -> Browser {
    let mut b = gw.browser();
    b.login(who).await;
    b
}

/// The `(seen, enrolled)` cells of the row `id`.
fn row(page: &Resp, id: &str) -> (u32, u32) {
    let start = page.body.find(&format!(r#"<tr id="{id}">"#)).expect(id);
    let rest = &page.body[start..];
    let rest = &rest[..rest.find("</tr>").unwrap()];
    let cells: Vec<u32> = rest
        .split("<td>")
        .skip(1)
        .map(|c| c.split('<').next().unwrap().parse().unwrap())
        .collect();
    (cells[0], cells[1])
}

/// The accounts listed as not set up.
fn not_enrolled(page: &Resp) -> Vec<String> {
    let Some(start) = page.body.find(r#"<ul class="linked" id="not-enrolled">"#) else {
        return Vec::new();
    };
    let list = &page.body[start..];
    let list = &list[..list.find("</ul>").unwrap()];
    list.split("<li>")
        .skip(1)
        .map(|li| li.split(' ').next().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn administrators_see_their_own_companys_staff_only() {
    let gw = Gateway::demo().await;
    // acme (optional): jiro enrolls; hanako, the manager and a candidate
    // only sign in.
    let mut jiro = logged_in(&gw, "jiro@acme.example").await;
    enroll(&mut jiro).await;
    for who in [
        "hanako@acme.example",
        "manager@acme.example",
        "cand@acme.example",
    ] {
        let mut b = logged_in(&gw, who).await;
        assert_eq!(b.get("/").await.status, 200, "{who}");
    }
    // globex (required, pinned): taro enrolls; its candidate signs in.
    let mut taro = logged_in(&gw, "taro@globex.example").await;
    enroll(&mut taro).await;
    let mut cand = logged_in(&gw, "cand@globex.example").await;
    assert_eq!(cand.get("/").await.status, 200);

    let mut admin = logged_in(&gw, "hanako.admin@acme.example").await;
    let page = admin.get("/_mfa/admin/security").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert_eq!(row(&page, "rollout-employees"), (2, 1), "hanako, jiro");
    assert_eq!(
        row(&page, "rollout-admins"),
        (2, 0),
        "hanako.admin, manager"
    );
    assert_eq!(
        not_enrolled(&page),
        [
            "hanako.admin@acme.example",
            "hanako@acme.example",
            "manager@acme.example"
        ]
    );
    assert!(
        page.body
            .contains("If you make two-step verification required now, 3 staff accounts"),
        "{}",
        page.body
    );
    assert!(!page.body.contains("globex"), "another company's account");
    assert!(!page.body.contains("cand@"), "candidates are not staff");

    // Linked accounts share one enrollment: hanako enrolls, and both her
    // accounts count as set up.
    let mut hanako = logged_in(&gw, "hanako@acme.example").await;
    let enrolled = enroll(&mut hanako).await;
    admin.pass_challenge(&enrolled.secret).await;
    let page = admin.get("/_mfa/admin/security").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert_eq!(row(&page, "rollout-employees"), (2, 2));
    assert_eq!(row(&page, "rollout-admins"), (2, 1));
    assert_eq!(not_enrolled(&page), ["manager@acme.example"]);

    // globex's administrator sees globex only; required: no forecast.
    let mut kei = logged_in(&gw, "kei.admin@globex.example").await;
    enroll(&mut kei).await;
    let page = kei.get("/_mfa/admin/security").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert_eq!(row(&page, "rollout-employees"), (1, 1), "taro");
    assert_eq!(row(&page, "rollout-admins"), (1, 1), "kei.admin");
    assert!(not_enrolled(&page).is_empty());
    assert!(page.body.contains(r#"id="all-enrolled""#));
    assert!(!page.body.contains(r#"id="would-enroll""#));
    assert!(!page.body.contains("acme"), "another company's account");
}
