//! Cookies under attack. The gateway cookie forged, truncated, bit-flipped,
//! replayed in another app session, lent to another person, expired, from
//! the future, older than `cookie.max_age` though already remembered as
//! verified, or from before a support reset: the session is challenged
//! (or sent to enrollment), never passed. Cookies minted with the real key
//! show that each refusal is about the one thing changed. And the app's own
//! session cookie cannot be hidden from the gateway or sent twice so that
//! the gateway checks one session while the app serves another.

use super::{
    HMAC_KEY, assert_still_serving, demo_with_known_key, enrollment_id_of, mint_gateway_cookie,
    raw, unix_now,
};
use crate::harness::{
    Browser, ConfigBuilder, DEMO_SUPPORT_TOKEN, FakeApp, Gateway, JIRO, Pages, TARO, Whoami,
    enroll, free_ports,
};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use std::time::{Duration, Instant};

const TARO_KEY: &str = "6:globex/taro@globex.example";
const MAX_AGE: i64 = 12 * 3600;

/// A navigation and an API call of `b` with `gateway_cookie`: both must be
/// stopped at the challenge.
async fn assert_challenged(b: &mut Browser, gateway_cookie: &str, what: &str) {
    b.cookies.insert("mfa_gate".into(), gateway_cookie.into());
    let r = b.get("/reports").await;
    assert_eq!(r.status, 303, "{what}: {}", r.body);
    assert_eq!(
        r.location(),
        Some("/_mfa/challenge?return_to=%2Freports"),
        "{what}"
    );
    let api = b.api_get("/api/data").await;
    assert_eq!(
        (api.status, api.json()["error"].as_str()),
        (401, Some("mfa_required")),
        "{what}"
    );
}

#[tokio::test]
async fn forged_truncated_replayed_and_expired_gateway_cookies_are_challenged() {
    let (gw, _tmp) = demo_with_known_key().await;
    let mut first = gw.browser();
    first.login(TARO).await;
    enroll(&mut first).await;
    let real = first.cookies["mfa_gate"].clone();
    let enrollment = enrollment_id_of(&real);
    assert_eq!(first.get("/").await.status, 200);

    let mut jiro = gw.browser();
    jiro.login(JIRO).await;
    enroll(&mut jiro).await;
    let jiros = jiro.cookies["mfa_gate"].clone();

    // A second app session of the same person.
    let mut b = gw.browser();
    b.login(TARO).await;
    let app = b.cookies["demo_session"].clone();
    let now = unix_now();

    // Sanity: a cookie minted for this session passes, so the recipe is
    // the gateway's and each case below differs in one thing only.
    b.cookies.insert(
        "mfa_gate".into(),
        mint_gateway_cookie(&HMAC_KEY, &app, TARO_KEY, enrollment, now),
    );
    assert_eq!(b.get("/").await.status, 200, "minted cookie passes");

    let (payload, tag) = real.split_once('.').unwrap();
    let mut flipped = URL_SAFE_NO_PAD.decode(payload).unwrap();
    flipped[16] ^= 1;
    let flipped = format!("{}.{tag}", URL_SAFE_NO_PAD.encode(flipped));
    let cases = [
        ("replayed from another app session", real.clone()),
        ("truncated", real[..real.len() - 4].to_string()),
        ("payload only", payload.to_string()),
        ("bit flipped", flipped),
        ("tag appended twice", format!("{real}.{tag}")),
        ("garbage", "garbage.garbage".into()),
        ("dots", ".".into()),
        ("long", "A".repeat(4000)),
        ("another person's cookie", jiros.clone()),
        (
            "minted for another person",
            mint_gateway_cookie(&HMAC_KEY, &app, "4:acme/jiro@acme.example", enrollment, now),
        ),
        (
            "minted for another enrollment",
            mint_gateway_cookie(&HMAC_KEY, &app, TARO_KEY, enrollment ^ 1, now),
        ),
        (
            "minted, expired",
            mint_gateway_cookie(&HMAC_KEY, &app, TARO_KEY, enrollment, now - MAX_AGE - 5),
        ),
        (
            "minted, from the future",
            mint_gateway_cookie(&HMAC_KEY, &app, TARO_KEY, enrollment, now + 3600),
        ),
        (
            "minted with another key",
            mint_gateway_cookie(&[7; 32], &app, TARO_KEY, enrollment, now),
        ),
    ];
    for (what, value) in &cases {
        assert_challenged(&mut b, value, what).await;
        assert_still_serving(&gw).await;
    }
    assert_still_serving(&gw).await;
    // The owners' sessions are unaffected.
    assert_eq!(first.get("/").await.status, 200);
    assert_eq!(jiro.get("/").await.status, 200);
}

#[tokio::test]
async fn a_gateway_cookie_from_before_a_reset_is_worthless() {
    let (gw, _tmp) = demo_with_known_key().await;
    let mut b = gw.browser();
    b.login(TARO).await;
    enroll(&mut b).await;
    let before = b.cookies["mfa_gate"].clone();
    assert_eq!(b.get("/").await.status, 200);

    let r = gw
        .admin(
            "POST",
            "/v1/accounts/taro%40globex.example/reset",
            Some(DEMO_SUPPORT_TOKEN),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    // The same session, the same cookie: globex requires 2FA, so enroll.
    let r = b.get("/reports").await;
    assert_eq!(
        (r.status, r.location()),
        (303, Some("/_mfa/enroll?return_to=%2Freports"))
    );
    // Enrolling again makes a new enrollment; the old cookie names the
    // old one and stays worthless in this very app session.
    enroll(&mut b).await;
    assert_ne!(
        enrollment_id_of(&b.cookies["mfa_gate"]),
        enrollment_id_of(&before)
    );
    assert_eq!(b.get("/").await.status, 200);
    assert_challenged(&mut b, &before, "cookie from before the reset").await;
    assert_still_serving(&gw).await;
}

/// A raw navigation to `/` with the given `Cookie` header lines
/// (bytes as given: some are not ASCII).
async fn navigate_with(gw: &Gateway, cookie_lines: &[&[u8]]) -> (u16, bool, String) {
    let mut req = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/html\r\n".to_vec();
    for line in cookie_lines {
        req.extend_from_slice(b"Cookie: ");
        req.extend_from_slice(line);
        req.extend_from_slice(b"\r\n");
    }
    req.extend_from_slice(b"\r\n");
    let r = raw(gw, &req).await.expect("an answer");
    let from_app = r.header("x-demo-app") == Some("1");
    let location = r.header("location").unwrap_or("").to_owned();
    (r.status, from_app, location)
}

#[tokio::test]
async fn the_app_session_cannot_be_smuggled_past_the_gateway() {
    // The attacker knows taro's password (taro is enrolled) and has an
    // account of their own (jiro: optional policy, not enrolled, passes).
    let gw = Gateway::demo().await;
    let mut victim = gw.browser();
    victim.login(TARO).await;
    enroll(&mut victim).await;
    let mut stolen = gw.browser();
    stolen.login(TARO).await;
    let v = stolen.cookies["demo_session"].clone();
    let mut own = gw.browser();
    own.login(JIRO).await;
    let a = own.cookies["demo_session"].clone();
    assert_eq!(own.get("/").await.status, 200);

    // Alone, the stolen session is challenged.
    let alone = format!("demo_session={v}");
    let (status, from_app, location) = navigate_with(&gw, &[alone.as_bytes()]).await;
    assert_eq!((status, from_app), (303, false));
    assert!(location.starts_with("/_mfa/challenge"), "{location}");

    // Bytes that are not ASCII elsewhere in the header must not make the
    // gateway skip the header the app still reads.
    let hidden = [format!("demo_session={v}; x=").as_bytes(), "é".as_bytes()].concat();
    let (status, from_app, _) = navigate_with(&gw, &[&hidden]).await;
    assert!(!from_app, "the app served the stolen session unchallenged");
    assert_eq!(status, 303);
    let obs_text = [format!("demo_session={v}; x=").as_bytes(), b"\xff"].concat();
    let (_, from_app, _) = navigate_with(&gw, &[&obs_text]).await;
    assert!(!from_app, "the app served the stolen session unchallenged");

    // Two values of the app's session cookie: which one would the app use?
    // The gateway cannot know, so it refuses rather than guess.
    let own_first = format!("demo_session={a}; demo_session={v}");
    let stolen_first = format!("demo_session={v}; demo_session={a}");
    let case_variant = format!("DEMO_SESSION={v}; demo_session={a}");
    let split_own = format!("demo_session={a}");
    for lines in [
        vec![own_first.as_bytes()],
        vec![stolen_first.as_bytes()],
        vec![case_variant.as_bytes()],
        vec![hidden.as_slice(), split_own.as_bytes()],
        vec![split_own.as_bytes(), alone.as_bytes()],
    ] {
        let (status, from_app, _) = navigate_with(&gw, &lines).await;
        assert_eq!((status, from_app), (400, false), "{lines:?}");
    }
    // The same value twice is no ambiguity.
    let twice = format!("demo_session={a}; demo_session={a}");
    let (status, from_app, _) = navigate_with(&gw, &[twice.as_bytes()]).await;
    assert_eq!((status, from_app), (200, true));
    // Bypass paths (the app's login) stay reachable, so a user with stale
    // duplicate cookies can log in again.
    let login = format!("GET /login HTTP/1.1\r\nHost: x\r\nCookie: {own_first}\r\n\r\n");
    let r = raw(&gw, login.as_bytes()).await.unwrap();
    assert_eq!(r.status, 200);
    assert_still_serving(&gw).await;
}

/// `cookie.max_age` holds for a cookie the gateway has already verified
/// and remembers (the `verified` memo skips the MACs, not the age).
#[tokio::test]
async fn a_remembered_gateway_cookie_still_expires_after_max_age() {
    let app = FakeApp::builder().pages(Pages::Echo).start().await;
    app.set_session("s-alice", Whoami::person("alice", "acme"));
    let gw = ConfigBuilder::new(free_ports(), &app.address)
        .totp_issuer("mfa-gate demo")
        .company("acme", "required")
        .cookie_max_age("2s")
        .serve()
        .await;
    let mut alice = gw.browser();
    alice
        .cookies
        .insert("demo_session".into(), "s-alice".into());
    enroll(&mut alice).await;
    let verified = Instant::now();
    // Two passes: the second is served from the memo.
    for _ in 0..2 {
        let r = alice.get("/private").await;
        assert_eq!((r.status, r.came_from_app()), (200, true), "{}", r.body);
    }
    // Verified within the second before `verified`, so expired 2 s after it
    // at the latest; polled, with a generous bound for a loaded machine (a
    // memo that ignored the age would pass it forever).
    let r = loop {
        let r = alice.get("/private").await;
        if r.status != 200 || verified.elapsed() > Duration::from_secs(15) {
            break r;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(r.status, 303, "still passed {:?} after", verified.elapsed());
    assert_eq!(r.location(), Some("/_mfa/challenge?return_to=%2Fprivate"));
    assert_still_serving(&gw).await;
}
