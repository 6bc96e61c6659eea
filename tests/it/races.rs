//! Races that really overlap: many sessions of one person submit the same
//! TOTP code, the same backup code, or the same enrollment confirmation at
//! once. Each test runs on a multi-thread runtime, releases every request
//! from one barrier, and measures that the requests were in flight together
//! (the winner's with at least one loser's) before judging the outcome: a
//! race that never overlapped proves nothing about "accepted once".

use crate::harness::race::{assert_overlapped, race, race_challenge, sessions_at_challenge};
use crate::harness::{Gateway, backup_codes_of, codes, enroll};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_code_raced_by_50_sessions_is_accepted_once() {
    let gw = Gateway::demo().await;
    let mut b = gw.browser();
    b.login("taro@globex.example").await;
    let enrolled = enroll(&mut b).await;
    let sessions = sessions_at_challenge(&[&gw], "taro@globex.example", 50).await;
    let (_, code) = codes::lasting_code(&enrolled.secret, Some(enrolled.step)).await;
    let statuses = race_challenge(sessions, "code", &code).await;
    // The losers count as failures (and may lock the person): never a pass.
    assert!(
        statuses.iter().all(|s| [303, 422, 423].contains(s)),
        "{statuses:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_backup_code_raced_by_20_sessions_is_accepted_once() {
    let gw = Gateway::demo().await;
    let mut b = gw.browser();
    b.login("jiro@acme.example").await;
    let enrolled = enroll(&mut b).await;
    let sessions = sessions_at_challenge(&[&gw], "jiro@acme.example", 20).await;
    let statuses = race_challenge(sessions, "backup_code", &enrolled.backup_codes[0]).await;
    assert!(
        statuses.iter().all(|s| [303, 422, 423].contains(s)),
        "{statuses:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_enrollment_confirmations_make_one_enrollment() {
    let gw = Gateway::demo().await;
    let mut b = gw.browser();
    b.login("taro@globex.example").await;
    let page = b.get("/_mfa/enroll").await;
    let csrf = page.input_value("csrf").unwrap();
    let secret = codes::secret_from_uri(&page.href_of("otpauth-link").unwrap());
    let (_, code) = codes::lasting_code(&secret, None).await;
    let cookies = b.cookies.clone();
    let requests: Vec<_> = (0..10)
        .map(|_| {
            let mut b = gw.browser();
            b.cookies = cookies.clone();
            let (csrf, code) = (csrf.clone(), code.clone());
            async move {
                let r = b
                    .post_form("/_mfa/enroll", &[("csrf", &csrf), ("code", &code)])
                    .await;
                (r.status, backup_codes_of(&r))
            }
        })
        .collect();
    let runs = race(requests).await;
    let statuses: Vec<u16> = runs.iter().map(|r| r.out.0).collect();
    assert!(
        statuses.iter().all(|s| [200, 409].contains(s)),
        "{statuses:?}"
    );
    let winners: Vec<usize> = (0..runs.len()).filter(|&i| statuses[i] == 200).collect();
    assert_eq!(winners.len(), 1, "one enrollment, one set of backup codes");
    assert_overlapped(&runs, winners[0]);
    // The codes shown to the winner are the ones that work.
    let mut other = gw.browser();
    other.login("taro@globex.example").await;
    let csrf = other
        .get("/_mfa/challenge")
        .await
        .input_value("csrf")
        .unwrap();
    let r = other
        .post_form(
            "/_mfa/challenge",
            &[("csrf", &csrf), ("backup_code", &runs[winners[0]].out.1[0])],
        )
        .await;
    assert_eq!(r.status, 303);
}
