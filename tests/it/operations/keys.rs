//! Key rotation on a running gateway and offline (issue 21): an HMAC key
//! rotated by a reload keeps verified sessions, open forms and cookies made
//! before key ids existed, while requests keep succeeding; an encryption
//! key rotated offline survives a `kill -9` half-way and a resume, a
//! configuration missing the key of a stored secret is refused at start-up
//! and by `check-config` naming the key id, and the person signs in
//! afterwards with the same authenticator and a backup code; and rotated on a running
//! gateway through the admin API, under load, before the old key goes.

use super::{TOKEN, config, echo_app};
use crate::harness::{BIN, Browser, Gateway, codes, enroll, free_ports, run_cli, submit_code};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use mfa_gate::domain::{Enrollment, PersonKey, PersonRecord};
use mfa_gate::keys::{KeyId, Keys};
use mfa_gate::store::SledStore;
use std::io::BufRead as _;
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
fn unkeyed_cookie(
    hmac: [u8; 32],
    app_session: &str,
    person: &PersonKey,
    enrollment: u64,
) -> String {
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
    format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(&payload),
        URL_SAFE_NO_PAD.encode(tag)
    )
}

/// Poll until `counter` reaches `at_least` (10 s at most).
async fn wait_for(counter: &AtomicUsize, at_least: usize) {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while counter.load(Ordering::Relaxed) < at_least {
        assert!(
            std::time::Instant::now() < deadline,
            "the load made no progress"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Requests from one verified session, one after another, until stopped.
struct Load {
    stop: Arc<AtomicBool>,
    served: Arc<AtomicUsize>,
    failures: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl Load {
    fn start(gw: &Gateway, verified: &Browser) -> Load {
        let stop = Arc::new(AtomicBool::new(false));
        let failures = Arc::new(AtomicUsize::new(0));
        let served = Arc::new(AtomicUsize::new(0));
        let (s, f, d) = (stop.clone(), failures.clone(), served.clone());
        let mut b = gw.browser();
        b.cookies = verified.cookies.clone();
        let task = tokio::spawn(async move {
            while !s.load(Ordering::Relaxed) {
                let counter = if b.get("/load").await.came_from_app() {
                    &d
                } else {
                    &f
                };
                counter.fetch_add(1, Ordering::Relaxed);
            }
        });
        Load {
            stop,
            served,
            failures,
            task,
        }
    }

    /// Wait for five more served requests, stop; (served, failed).
    async fn after_five_more(self) -> (usize, usize) {
        let now = self.served.load(Ordering::Relaxed);
        wait_for(&self.served, now + 5).await;
        self.stop.store(true, Ordering::Relaxed);
        self.task.await.unwrap();
        (
            self.served.load(Ordering::Relaxed),
            self.failures.load(Ordering::Relaxed),
        )
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
    assert_eq!(payload[0], 4, "format 4: key id, trust epoch and factor");
    assert_eq!(payload[25], 0, "proven with a code");
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
    assert!(
        upgraded.get("/x").await.came_from_app(),
        "old cookies still read"
    );

    // An open form: a challenge page shown before the rotation.
    let mut open_form = gw.browser();
    with(&mut open_form, "emp-globex-3");
    let page = open_form.get("/_mfa/challenge").await;
    assert_eq!(page.status, 200, "{}", page.body);
    let csrf = page.input_value("csrf").unwrap();

    // Load: the verified session keeps asking while the key rotates.
    let load = Load::start(&gw, &verified);
    wait_for(&load.served, 5).await;
    set_secrets(
        &cfg,
        "[{ file: hmac-b.key }, { file: hmac.key }]",
        "{ file: enc.key }",
    );
    reload(&gw).await;
    let (served, failures) = load.after_five_more().await;
    assert_eq!(failures, 0, "a request failed during the rotation");
    assert!(served > 0);

    // Old key second in the ring: nothing was lost.
    assert!(
        verified.get("/x").await.came_from_app(),
        "verified session kept"
    );
    assert!(
        upgraded.get("/x").await.came_from_app(),
        "pre-upgrade cookie kept"
    );
    let next = codes::code(&enrolled.secret, enrolled.step + 1, 6);
    let r = submit_code(&mut open_form, &csrf, &next).await;
    assert_eq!(
        r.status, 303,
        "a form opened before the rotation: {}",
        r.body
    );
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
    assert_eq!(
        verified.get("/x").await.status,
        303,
        "old-key cookie challenged"
    );
    assert_eq!(upgraded.get("/x").await.status, 303);
    assert!(
        open_form.get("/x").await.came_from_app(),
        "new-key cookie kept"
    );
}

/// Persons added behind the enrolled one, so the rotation takes a while.
const MANY: usize = 5_000;

/// Seal `MANY` more enrollments under key A straight into the store.
fn add_persons(store_dir: &std::path::Path) {
    let store = SledStore::open(store_dir).unwrap();
    let keys = Keys::new(HMAC_A, ENC_A);
    let mut rng = rand::rng();
    let persons: Vec<PersonKey> = (0..MANY)
        .map(|i| PersonKey::new("initech", &format!("person-{i}")))
        .collect();
    let records: Vec<PersonRecord> = persons
        .iter()
        .enumerate()
        .map(|(i, key)| PersonRecord {
            enrollment: Some(Enrollment {
                id: i as u64 + 1,
                sealed_secret: keys.seal(key.as_str().as_bytes(), &[7u8; 20], &mut rng),
                enrolled_at: 1_700_000_000,
                enrolled_by: "x".into(),
            }),
            ..PersonRecord::default()
        })
        .collect();
    assert_eq!(
        store
            .import_persons(persons.iter().zip(records.iter()))
            .unwrap(),
        MANY
    );
}

/// The counts of `done: P persons, S sealed secrets: R re-sealed, C already …`.
fn done_counts(stdout: &str) -> (usize, usize, usize) {
    let line = stdout
        .lines()
        .find(|l| l.starts_with("done: "))
        .unwrap_or_else(|| panic!("no summary in {stdout}"));
    let numbers: Vec<usize> = line
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|n| n.parse().ok())
        .collect();
    (numbers[1], numbers[2], numbers[3])
}

#[tokio::test]
async fn encryption_rotation_resumes_after_kill_9_and_a_missing_key_is_refused() {
    let app = echo_app().await;
    let tmp = tempfile::tempdir().unwrap();
    let port = free_ports();
    let cfg = config(port, &app.address)
        .company("globex", "required")
        .write(tmp.path());
    std::fs::write(tmp.path().join("enc-b.key"), hex(&ENC_B)).unwrap();
    let mut gw = Gateway::serve(&cfg, port, tmp.path()).await;
    let mut b = gw.browser();
    with(&mut b, "emp-globex-1");
    let enrolled = enroll(&mut b).await;
    gw.kill();
    add_persons(&tmp.path().join("store"));
    // The enrolled person's secret and ten backup codes, which are sealed
    // like secrets (issue 35), and the persons added.
    let total = MANY + 1 + 10;

    // Rotate to key B (A still second), and kill -9 the rotation half-way.
    set_secrets(
        &cfg,
        "{ file: hmac.key }",
        "[{ file: enc-b.key }, { file: enc.key }]",
    );
    let mut child = std::process::Command::new(BIN)
        .args(["keys", "rotate-encryption", "-c"])
        .arg(&cfg)
        .args(["--batch", "10"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = std::io::BufReader::new(stdout).lines();
    let seen = lines
        .by_ref()
        .map_while(Result::ok)
        .find(|l| l.starts_with("batch 10:"));
    assert!(seen.is_some(), "the rotation printed no progress");
    child.kill().unwrap(); // SIGKILL
    let status = child.wait().unwrap();
    assert_eq!(status.code(), None, "killed half-way, not finished");

    // Half rotated: a configuration without key A is refused, naming it,
    // by check-config and at start-up (before serving anyone).
    set_secrets(&cfg, "{ file: hmac.key }", "[{ file: enc-b.key }]");
    let old_id = KeyId::of_encryption_key(&ENC_A).to_string();
    let cfg_arg = cfg.display().to_string();
    let check = run_cli(&["check-config", "-c", &cfg_arg], &[]).await;
    assert_eq!(check.code, 2, "{check:?}");
    assert!(
        check.stderr.contains(&format!("key id {old_id}")),
        "{}",
        check.stderr
    );
    let serve = tokio::time::timeout(
        Duration::from_secs(60),
        run_cli(&["serve", "-c", &cfg_arg], &[]),
    )
    .await
    .expect("serve refused at start-up");
    assert_eq!(serve.code, 2, "{serve:?}");
    assert!(
        serve.stderr.contains(&format!("key id {old_id}")),
        "{}",
        serve.stderr
    );

    // Resumed with both keys: it finishes what is left.
    set_secrets(
        &cfg,
        "{ file: hmac.key }",
        "[{ file: enc-b.key }, { file: enc.key }]",
    );
    let rest = run_cli(&["keys", "rotate-encryption", "-c", &cfg_arg], &[]).await;
    assert_eq!(rest.code, 0, "{rest:?}");
    let (secrets, resealed, current) = done_counts(&rest.stdout);
    assert_eq!(secrets, total);
    assert_eq!(resealed + current, total);
    assert!(
        current >= 100,
        "10 batches of 10 were done before the kill: {current}"
    );
    assert!(
        rest.stdout
            .contains(&format!("({old_id}) can now be removed")),
        "{}",
        rest.stdout
    );

    // Key A removed: accepted, and the person signs in with the same
    // authenticator.
    set_secrets(&cfg, "{ file: hmac.key }", "[{ file: enc-b.key }]");
    let check = run_cli(&["check-config", "-c", &cfg_arg], &[]).await;
    assert_eq!(check.code, 0, "{check:?}");
    assert!(
        check.stdout.contains(&format!("{total} sealed secrets")),
        "{}",
        check.stdout
    );
    let gw = Gateway::serve(&cfg, port, tmp.path()).await;
    let mut b = gw.browser();
    with(&mut b, "emp-globex-2");
    b.pass_challenge(&enrolled.secret).await;
    assert!(b.get("/x").await.came_from_app());
    // And with a backup code made under key A, re-sealed under B.
    let mut b = gw.browser();
    with(&mut b, "emp-globex-3");
    let csrf = b.get("/_mfa/challenge").await.input_value("csrf").unwrap();
    let code = enrolled.backup_codes[0].as_str();
    let r = b
        .post_form(
            "/_mfa/challenge",
            &[("csrf", csrf.as_str()), ("backup_code", code)],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert!(b.get("/x").await.came_from_app());
}

#[tokio::test]
async fn encryption_rotation_on_a_running_gateway_under_load_then_the_old_key_goes() {
    let app = echo_app().await;
    let tmp = tempfile::tempdir().unwrap();
    let port = free_ports();
    let cfg = config(port, &app.address)
        .company("globex", "required")
        .write(tmp.path());
    std::fs::write(tmp.path().join("enc-b.key"), hex(&ENC_B)).unwrap();
    let gw = Gateway::serve(&cfg, port, tmp.path()).await;
    let mut verified = gw.browser();
    with(&mut verified, "emp-globex-1");
    let enrolled = enroll(&mut verified).await;
    // The person's record is in the gateway's memory from here on.
    assert!(verified.get("/x").await.came_from_app());

    // Load from the verified session while the key rotates.
    let load = Load::start(&gw, &verified);
    wait_for(&load.served, 5).await;
    // Key B first, A second; then re-seal through the admin API.
    set_secrets(
        &cfg,
        "{ file: hmac.key }",
        "[{ file: enc-b.key }, { file: enc.key }]",
    );
    reload(&gw).await;
    let env = [
        ("MFA_GATE_ADMIN_URL", gw.admin_url("")),
        ("MFA_GATE_SUPPORT_TOKEN", TOKEN.to_owned()),
    ];
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let rotated = run_cli(&["support", "rotate-encryption", "--json"], &env).await;
    assert_eq!(rotated.code, 0, "{rotated:?}");
    let answer: serde_json::Value = serde_json::from_str(rotated.stdout.trim()).unwrap();
    assert_eq!(answer["status"], "done", "{answer}");
    assert_eq!(
        answer["resealed"],
        1 + 10,
        "the secret and ten backup codes: {answer}"
    );
    assert_eq!(
        answer["key_id"],
        KeyId::of_encryption_key(&ENC_B).to_string()
    );
    let (_, failures) = load.after_five_more().await;
    assert_eq!(failures, 0, "a request failed");

    // Key A removed by a reload: accepted (every secret is under B), and
    // a new app session of the person passes the challenge with the same
    // authenticator — the secret is read as re-sealed, not as remembered.
    set_secrets(&cfg, "{ file: hmac.key }", "[{ file: enc-b.key }]");
    reload(&gw).await;
    let mut again = gw.browser();
    with(&mut again, "emp-globex-2");
    again.pass_challenge(&enrolled.secret).await;
    assert!(again.get("/x").await.came_from_app());
}
