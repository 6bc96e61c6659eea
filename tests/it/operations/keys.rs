//! Key rotation on a running gateway and offline (issue 21): an HMAC key
//! rotated by a reload keeps verified sessions, open forms and cookies made
//! before key ids existed, while requests keep succeeding; an encryption
//! key rotated offline survives a `kill -9` half-way and a resume, a
//! configuration missing the key of a stored secret is refused at start-up
//! and by `check-config` naming the key id, and the person signs in
//! afterwards with the same authenticator.

use super::{TOKEN, config, echo_app};
use crate::harness::{Browser, Gateway, codes, enroll, free_ports, run_cli, submit_code, BIN};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use mfa_gate::domain::PersonKey;
use mfa_gate::keys::{KeyId, Keys};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

/// The keys `ConfigBuilder` writes (`hmac.key`, `enc.key`).
const HMAC_A: [u8; 32] = [0x11; 32];
const ENC_A: [u8; 32] = [0x22; 32];
const HMAC_B: [u8; 32] = [0x33; 32];
const ENC_B: [u8; 32] = [0x44; 32];

fn hex(key: &[u8; 32]) -> String {
    key.iter().map(|b| format!("{b:02x}")).collect()
}

/// Rewrite the `secrets` lines of the configuration at `cfg`.
fn set_secrets(cfg: &std::path::Path, hmac: &str, encryption: &str) {
    let yaml = std::fs::read_to_string(cfg).unwrap();
    let mut out = String::new();
    for line in yaml.lines() {
        if line.starts_with("  hmac_key:") {
            out.push_str(&format!("  hmac_key: {hmac}\n"));
        } else if line.starts_with("  encryption_key:") {
            out.push_str(&format!("  encryption_key: {encryption}\n"));
        } else {
            out.push_str(line);
            out.push('\n');
        }
    }
    std::fs::write(cfg, out).unwrap();
}

async fn reload(gw: &Gateway) {
    let r = gw.admin("POST", "/v1/reload", Some(TOKEN)).await;
    assert_eq!(r.status, 200, "reload: {}", r.body);
}

fn with(b: &mut Browser, session: &str) {
    b.cookies.insert("app_session".into(), session.into());
}

/// A gateway cookie as releases before key ids made it (format 1).
fn unkeyed_cookie(hmac: [u8; 32], app_session: &str, person: &PersonKey, enrollment: u64) -> String {
    let keys = Keys::new(hmac, ENC_A);
    let bound = keys.mac("app-session", &[app_session.as_bytes()]);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let mut payload = vec![1u8];
    payload.extend_from_slice(&enrollment.to_be_bytes());
    payload.extend_from_slice(&now.to_be_bytes());
    let tag = keys.mac(
        "gateway-cookie",
        &[&payload, &bound[..16], person.as_str().as_bytes()],
    );
    format!("{}.{}", URL_SAFE_NO_PAD.encode(&payload), URL_SAFE_NO_PAD.encode(tag))
}

/// Poll until `counter` reaches `at_least` (10 s at most).
async fn wait_for(counter: &AtomicUsize, at_least: usize) {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while counter.load(Ordering::Relaxed) < at_least {
        assert!(std::time::Instant::now() < deadline, "the load made no progress");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

fn cookie_payload(cookie: &str) -> Vec<u8> {
    URL_SAFE_NO_PAD
        .decode(cookie.split('.').next().unwrap())
        .unwrap()
}

#[tokio::test]
async fn hmac_rotation_keeps_verified_sessions_and_open_forms() {
    let app = echo_app().await;
    let tmp = tempfile::tempdir().unwrap();
    let port = free_ports();
    let cfg = config(port, &app.address)
        .company("globex", "required")
        .write(tmp.path());
    std::fs::write(tmp.path().join("hmac-b.key"), hex(&HMAC_B)).unwrap();
    let gw = Gateway::serve(&cfg, port, tmp.path()).await;

    // A verified session (cookie under key A, naming it).
    let mut verified = gw.browser();
    with(&mut verified, "emp-globex-1");
    let enrolled = enroll(&mut verified).await;
    let cookie = verified.cookies["mfa_gate"].clone();
    let payload = cookie_payload(&cookie);
    assert_eq!(payload[0], 2);
    assert_eq!(payload[1..5], KeyId::of_hmac_key(&HMAC_A).bytes());
    let enrollment = u64::from_be_bytes(payload[5..13].try_into().unwrap());
    assert!(verified.get("/x").await.came_from_app());

    // A session verified before the upgrade (format 1, no key id).
    let person = PersonKey::new("globex", "emp@globex.example");
    let mut upgraded = gw.browser();
    with(&mut upgraded, "emp-globex-2");
    upgraded.cookies.insert(
        "mfa_gate".into(),
        unkeyed_cookie(HMAC_A, "emp-globex-2", &person, enrollment),
    );
    assert!(upgraded.get("/x").await.came_from_app(), "old cookies still read");

    // An open form: a challenge page shown before the rotation.
    let mut open_form = gw.browser();
    with(&mut open_form, "emp-globex-3");
    let page = open_form.get("/_mfa/challenge").await;
    assert_eq!(page.status, 200, "{}", page.body);
    let csrf = page.input_value("csrf").unwrap();

    // Load: the verified session keeps asking while the key rotates.
    let stop = Arc::new(AtomicBool::new(false));
    let failures = Arc::new(AtomicUsize::new(0));
    let served = Arc::new(AtomicUsize::new(0));
    let load = {
        let (stop, failures, served) = (stop.clone(), failures.clone(), served.clone());
        let mut b = gw.browser();
        b.cookies = verified.cookies.clone();
        tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                if b.get("/load").await.came_from_app() {
                    served.fetch_add(1, Ordering::Relaxed);
                } else {
                    failures.fetch_add(1, Ordering::Relaxed);
                }
            }
        })
    };
    wait_for(&served, 5).await;
    set_secrets(&cfg, "[{ file: hmac-b.key }, { file: hmac.key }]", "{ file: enc.key }");
    reload(&gw).await;
    let after_reload = served.load(Ordering::Relaxed);
    wait_for(&served, after_reload + 5).await;
    stop.store(true, Ordering::Relaxed);
    load.await.unwrap();
    assert_eq!(failures.load(Ordering::Relaxed), 0, "a request failed during the rotation");
    assert!(served.load(Ordering::Relaxed) > 0);

    // Old key second in the ring: nothing was lost.
    assert!(verified.get("/x").await.came_from_app(), "verified session kept");
    assert!(upgraded.get("/x").await.came_from_app(), "pre-upgrade cookie kept");
    let next = codes::code(&enrolled.secret, enrolled.step + 1, 6);
    let r = submit_code(&mut open_form, &csrf, &next).await;
    assert_eq!(r.status, 303, "a form opened before the rotation: {}", r.body);
    let fresh = open_form.cookies["mfa_gate"].clone();
    assert_eq!(
        cookie_payload(&fresh)[1..5],
        KeyId::of_hmac_key(&HMAC_B).bytes(),
        "new cookies are made under the new key"
    );
    assert!(open_form.get("/x").await.came_from_app());

    // Old key dropped (after cookie.max_age and the CSRF lifetime): only
    // what the new key made still counts.
    set_secrets(&cfg, "[{ file: hmac-b.key }]", "{ file: enc.key }");
    reload(&gw).await;
    assert_eq!(verified.get("/x").await.status, 303, "old-key cookie challenged");
    assert_eq!(upgraded.get("/x").await.status, 303);
    assert!(open_form.get("/x").await.came_from_app(), "new-key cookie kept");
}
