//! Bounded side effects (issue 30 §5) against the demo gateway: a passkey
//! may pass the challenge as often as it likes, each time remembering the
//! browser, and the person still gets one "browser remembered" message per
//! `notify.min_interval` (10 min in the demo), with the rest counted for
//! the next one (`mfa_gate_notifications_total{result="coalesced"}`).
//! The message that tells the held events when the window has passed is
//! `notify::coalesce`'s unit test (ten minutes is no test's wait).

use crate::harness::passkeys::{Passkey, challenge_answer, post, register};
use crate::harness::{Gateway, JIRO, save_company_setting};
use std::time::{Duration, Instant};

const PASSES: usize = 30;

#[tokio::test]
async fn thirty_passkey_passes_that_remember_the_browser_make_one_message() {
    let gw = Gateway::demo().await;
    let mut admin = gw.browser();
    admin.login("hanako.admin@acme.example").await;
    save_company_setting(&mut admin, "remember_days", "30").await;
    let mut key = Passkey::new(&gw);
    let mut b = gw.browser();
    b.login(JIRO).await;
    assert_eq!(register(&mut b, &mut key, "YubiKey", "/").await.status, 200);

    for n in 0..PASSES {
        let mut b = gw.browser();
        b.login(JIRO).await;
        let page = b.get("/_mfa/challenge").await;
        let mut fields = challenge_answer(&page, &mut key).expect("a passkey form");
        fields.push(("remember".into(), "yes".into()));
        let r = post(&mut b, "/_mfa/challenge", &fields).await;
        assert_eq!(r.status, 303, "pass {n}: {}", r.body);
        assert!(b.cookies.contains_key("mfa_remember"), "pass {n}");
    }

    // Each event is decided on its request: 29 were held by then.
    let metrics = gw.admin("GET", "/metrics", None).await.body;
    let coalesced = format!(
        "mfa_gate_notifications_total{{result=\"coalesced\"}} {}",
        PASSES - 1
    );
    assert!(metrics.contains(&coalesced), "{metrics}");
    // And the outbox, once empty, delivered one message about it.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let m = gw.admin("GET", "/metrics", None).await.body;
        if m.contains("mfa_gate_outbox_pending 0") && remembered_mails(&gw).len() == 1 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{:?}\n{m}",
            remembered_mails(&gw)
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_millis(1500)).await; // one more look
    assert_eq!(remembered_mails(&gw).len(), 1);
}

/// The demo's "browser remembered" messages (one `.eml` file each).
fn remembered_mails(gw: &Gateway) -> Vec<String> {
    std::fs::read_dir(gw.data.join("emails"))
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| std::fs::read_to_string(e.path()).ok())
        .filter(|t| t.contains("Subject: A browser was remembered"))
        .collect()
}
