//! Support operations (docs/design.md §7) against a running gateway: the
//! `mfa-gate support` CLI for each command and each failure (unknown
//! account, bad token, gateway down, no target), the admin listener's
//! token check and metrics, reset revoking verified sessions, the audit
//! trail's order, content and retention.

use crate::harness::{
    ConfigBuilder, DEMO_SUPPORT_TOKEN, Gateway, TARO, codes, enroll, enrolled_and_challenged, fail,
    run_cli, submit_code,
};

#[tokio::test]
async fn support_unlocks_a_locked_user_with_one_command() {
    let gw = Gateway::demo().await;
    let (mut b, csrf, enrolled) = enrolled_and_challenged(&gw, TARO).await;
    fail(&mut b, &csrf, &enrolled.secret, 9).await;
    assert_eq!(
        submit_code(&mut b, &csrf, &codes::wrong_code(&enrolled.secret))
            .await
            .status,
        423
    );

    let status = gw.support(&["status", TARO]).await;
    assert_eq!(status.code, 0, "{status:?}");
    let line = |out: &str, label: &str| -> String {
        out.lines()
            .find(|l| l.starts_with(label))
            .unwrap_or_else(|| panic!("no {label} line in:\n{out}"))
            .to_owned()
    };
    let out = &status.stdout;
    assert!(line(out, "account").ends_with(TARO), "{out}");
    assert!(line(out, "company").ends_with("globex"), "{out}");
    assert!(line(out, "linked accounts").contains(TARO), "{out}");
    assert!(line(out, "enrolled").contains("yes, since 20"), "{out}");
    assert!(
        line(out, "enrolled").contains("Z (by taro@globex.example)"),
        "{out}"
    );
    assert!(line(out, "backup codes").contains("10 of 10 left"), "{out}");
    assert!(line(out, "failures").contains("10 of 10"), "{out}");
    assert!(line(out, "locked").contains("YES, since 20"), "{out}");

    let json = gw.support(&["--json", "status", TARO]).await;
    assert_eq!(json.code, 0);
    let v: serde_json::Value = serde_json::from_str(&json.stdout).expect("--json is JSON");
    assert_eq!(v["locked"], true);
    assert_eq!(v["failures"], 10);
    assert_eq!(v["max_failures"], 10);
    assert_eq!(v["backup_codes_left"], 10);
    assert_eq!(v["linked_accounts"], serde_json::json!([TARO]));

    let unlock = gw.support(&["unlock", TARO]).await;
    assert_eq!(unlock.code, 0, "{unlock:?}");
    assert!(
        unlock.stdout.starts_with("unlocked taro@globex.example"),
        "{unlock:?}"
    );
    assert!(unlock.stdout.contains("10 failures cleared"), "{unlock:?}");
    let v = gw.account_status(TARO).await;
    assert_eq!(
        (v["locked"].as_bool(), v["failures"].as_u64()),
        (Some(false), Some(0))
    );
    // Unlocking again changes nothing (and is said so), still exit 0.
    let again = gw.support(&["--json", "unlock", TARO]).await;
    assert_eq!(again.code, 0);
    let v: serde_json::Value = serde_json::from_str(&again.stdout).unwrap();
    assert_eq!(v["changed"], false);

    // The user is back at the challenge, and the right code works.
    assert_eq!(b.get("/").await.location(), Some("/_mfa/challenge"));
    let right = codes::lasting_code(&enrolled.secret, Some(enrolled.step))
        .await
        .1;
    assert_eq!(submit_code(&mut b, &csrf, &right).await.status, 303);
    assert_eq!(b.get("/").await.status, 200);

    // The audit trail, newest first, with time, kind, actor and detail.
    let audit = gw.support(&["audit", TARO]).await;
    assert_eq!(audit.code, 0, "{audit:?}");
    let rows: Vec<Vec<&str>> = audit
        .stdout
        .lines()
        .map(|l| l.split_whitespace().collect())
        .collect();
    let kinds: Vec<&str> = rows.iter().map(|r| r[1]).collect();
    let mut expected = vec!["challenge_passed", "unlocked", "locked"];
    expected.extend(["challenge_failed"; 10]);
    expected.push("enrolled");
    assert_eq!(kinds, expected, "{}", audit.stdout);
    assert!(
        rows.iter().all(|r| r[0].len() == 20 && r[0].ends_with('Z')),
        "{}",
        audit.stdout
    );
    assert_eq!(rows[1][2], "support", "unlock is done by support");
    assert_eq!(rows[2][2], TARO);
    let json = gw.support(&["audit", "--limit", "2", TARO, "--json"]).await;
    let v: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(v["events"].as_array().unwrap().len(), 2);
    assert_eq!(v["events"][1]["actor"], "support");
}

#[tokio::test]
async fn the_cli_fails_clearly_on_unknown_account_bad_token_and_no_gateway() {
    let mut gw = Gateway::demo().await;
    let unknown = gw.support(&["status", "nobody@globex.example"]).await;
    assert_eq!(unknown.code, 1, "{unknown:?}");
    assert_eq!(
        unknown.stderr.trim(),
        "mfa-gate support: no account \"nobody@globex.example\" is known to the gateway (it has never enrolled or passed a challenge there)"
    );
    assert!(unknown.stdout.is_empty());
    for op in ["unlock", "reset", "audit"] {
        assert_eq!(
            gw.support(&[op, "nobody@globex.example"]).await.code,
            1,
            "{op}"
        );
    }

    let url = gw.admin_url("");
    let bad_token = run_cli(
        &["support", "--admin-url", &url, "status", TARO],
        &[("MFA_GATE_SUPPORT_TOKEN", "not-the-support-token")],
    )
    .await;
    assert_eq!(bad_token.code, 4, "{bad_token:?}");
    assert!(
        bad_token.stderr.contains("refused the support token"),
        "{bad_token:?}"
    );
    assert_eq!(bad_token.stderr.lines().count(), 1);

    let nothing = run_cli(&["support", "status", TARO], &[]).await;
    assert_eq!(nothing.code, 2, "{nothing:?}");
    assert!(nothing.stderr.contains("MFA_GATE_ADMIN_URL"), "{nothing:?}");

    gw.kill();
    let down = run_cli(
        &[
            "support",
            "--admin-url",
            &url,
            "--token",
            DEMO_SUPPORT_TOKEN,
            "status",
            TARO,
        ],
        &[],
    )
    .await;
    assert_eq!(down.code, 3, "{down:?}");
    assert!(
        down.stderr.starts_with(&format!(
            "mfa-gate support: cannot reach the gateway's admin listener at {url}: "
        )),
        "{down:?}"
    );
    assert!(down.stderr.to_lowercase().contains("refused"), "{down:?}");
}

#[tokio::test]
async fn the_cli_reads_the_admin_section_of_a_config_file() {
    let gw = Gateway::demo().await;
    let mut b = gw.browser();
    b.login(TARO).await;
    enroll(&mut b).await;
    // A config whose keys the support staff do not hold: only `admin` is read.
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("gate.yaml");
    let token_file = gw.data.join("support.token");
    ConfigBuilder::new(gw.port, &format!("127.0.0.1:{}", gw.port + 1))
        .upstream_timeouts(None)
        .whoami_timing(None, None)
        .secrets_from_env("UNSET_HMAC_FOR_TEST", "UNSET_ENC_FOR_TEST")
        .admin_with_token_file(&format!("0.0.0.0:{}", gw.port + 2), &token_file)
        .write_as(&config);
    let config = config.display().to_string();
    let r = run_cli(&["support", "-c", &config, "status", TARO], &[]).await;
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stdout.contains("enrolled         yes"), "{}", r.stdout);
    // The environment does not override an explicit config.
    let r = run_cli(
        &["support", "-c", &config, "status", TARO],
        &[("MFA_GATE_SUPPORT_TOKEN", "wrong-wrong-wrong-wrong")],
    )
    .await;
    assert_eq!(r.code, 0, "{r:?}");
    // A config without an admin section says so.
    let plain = dir.path().join("plain.yaml");
    let text = std::fs::read_to_string(&config).unwrap();
    std::fs::write(&plain, text.split("admin:").next().unwrap()).unwrap();
    let r = run_cli(
        &[
            "support",
            "-c",
            &plain.display().to_string(),
            "status",
            TARO,
        ],
        &[],
    )
    .await;
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("has no `admin` section"), "{r:?}");
}

#[tokio::test]
async fn reset_revokes_verified_sessions_and_forces_enrollment_where_required() {
    let gw = Gateway::demo().await;
    // globex requires 2FA: taro is verified and in the app.
    let mut taro = gw.browser();
    taro.login(TARO).await;
    enroll(&mut taro).await;
    assert_eq!(taro.get("/").await.status, 200);
    // acme is optional: hanako enrolls, and her admin account (the same
    // person) passes a challenge.
    let mut hanako = gw.browser();
    hanako.login("hanako@acme.example").await;
    let enrolled = enroll(&mut hanako).await;
    let mut hanako_admin = gw.browser();
    hanako_admin.login("hanako.admin@acme.example").await;
    let csrf = hanako_admin
        .get("/_mfa/challenge")
        .await
        .input_value("csrf")
        .unwrap();
    let code = codes::lasting_code(&enrolled.secret, Some(enrolled.step))
        .await
        .1;
    assert_eq!(
        submit_code(&mut hanako_admin, &csrf, &code).await.status,
        303
    );
    let v = gw.account_status("hanako.admin@acme.example").await;
    assert_eq!(
        v["linked_accounts"],
        serde_json::json!(["hanako@acme.example", "hanako.admin@acme.example"])
    );

    let reset = gw.support(&["reset", TARO]).await;
    assert_eq!(reset.code, 0, "{reset:?}");
    assert!(
        reset.stdout.starts_with("reset 2FA of taro@globex.example"),
        "{reset:?}"
    );
    assert!(
        reset
            .stdout
            .contains("enrollment removed, backup codes removed"),
        "{reset:?}"
    );
    // The verified session is sent to enrollment on its very next request.
    let r = taro.get("/").await;
    assert_eq!((r.status, r.location()), (303, Some("/_mfa/enroll")));
    assert_eq!(
        taro.api_get("/api/data").await.json()["error"],
        "enrollment_required"
    );
    // The old backup codes are gone with the enrollment.
    let v = gw.account_status(TARO).await;
    assert_eq!(v["enrolled"], false);
    assert_eq!(v["backup_codes_left"], serde_json::Value::Null);
    // Enrolling again works, and gives access again.
    enroll(&mut taro).await;
    assert_eq!(taro.get("/").await.status, 200);

    // A reset through one linked account resets the person: both accounts.
    let reset = gw.support(&["reset", "hanako.admin@acme.example"]).await;
    assert_eq!(reset.code, 0, "{reset:?}");
    let v = gw.account_status("hanako@acme.example").await;
    assert_eq!(v["enrolled"], false);
    // Optional company: not enrolled means the app is open again, and the
    // verified state of the old enrollment is gone (no challenge either).
    assert_eq!(hanako.get("/").await.status, 200);
    assert_eq!(hanako_admin.get("/").await.status, 200);
    let r = hanako_admin.get("/_mfa/challenge").await;
    assert_eq!(r.location(), Some("/_mfa/enroll"), "nothing to challenge");

    // Reset also lifts a lock.
    let (mut kei, csrf, enrolled) = enrolled_and_challenged(&gw, "kei.admin@globex.example").await;
    fail(&mut kei, &csrf, &enrolled.secret, 9).await;
    assert_eq!(
        submit_code(&mut kei, &csrf, &codes::wrong_code(&enrolled.secret))
            .await
            .status,
        423
    );
    let reset = gw
        .support(&["--json", "reset", "kei.admin@globex.example"])
        .await;
    let v: serde_json::Value = serde_json::from_str(&reset.stdout).unwrap();
    assert_eq!(v["changed"], true);
    assert!(v["detail"].as_str().unwrap().contains("lock lifted"), "{v}");
    assert_eq!(v["status"]["locked"], false);
    assert_eq!(kei.get("/").await.location(), Some("/_mfa/enroll"));
    let trail = gw
        .admin(
            "GET",
            "/v1/accounts/kei.admin%40globex.example/audit?limit=1",
            Some(DEMO_SUPPORT_TOKEN),
        )
        .await
        .json();
    assert_eq!(trail["events"][0]["kind"], "reset");
    assert_eq!(trail["events"][0]["actor"], "support");
}

#[tokio::test]
async fn the_admin_listener_wants_the_token_and_counts_events() {
    let gw = Gateway::demo().await;
    let path = "/v1/accounts/taro%40globex.example";
    for token in [None, Some("wrong-token-wrong-token"), Some("")] {
        let r = gw.admin("GET", path, token).await;
        assert_eq!(r.status, 401, "{token:?}");
        assert_eq!(r.json(), serde_json::json!({"error": "unauthorized"}));
        assert!(r.header("www-authenticate").unwrap().starts_with("Bearer"));
        let r = gw.admin("POST", &format!("{path}/unlock"), token).await;
        assert_eq!(r.status, 401, "{token:?}");
        assert_eq!(gw.admin("GET", "/anything", token).await.status, 401);
    }
    let r = gw.admin("GET", path, Some(DEMO_SUPPORT_TOKEN)).await;
    assert_eq!(r.status, 404);
    assert_eq!(r.json()["error"], "unknown_account");
    let r = gw
        .admin("GET", &format!("{path}/unlock"), Some(DEMO_SUPPORT_TOKEN))
        .await;
    assert_eq!(r.status, 405, "unlock is a POST");

    // Metrics: no token needed, counts only.
    let (mut b, csrf, enrolled) = enrolled_and_challenged(&gw, TARO).await;
    fail(&mut b, &csrf, &enrolled.secret, 9).await;
    let tenth = submit_code(&mut b, &csrf, &codes::wrong_code(&enrolled.secret)).await;
    assert_eq!(tenth.status, 423);
    let metrics = gw.admin("GET", "/metrics", None).await;
    assert_eq!(metrics.status, 200);
    let value = |series: &str| -> u64 {
        metrics
            .body
            .lines()
            .find_map(|l| l.strip_prefix(series)?.trim().parse().ok())
            .unwrap_or_else(|| panic!("{series} missing:\n{}", metrics.body))
    };
    assert_eq!(value("mfa_gate_enrollments_total"), 1);
    assert_eq!(value("mfa_gate_challenges_total{result=\"failed\"}"), 10);
    assert_eq!(value("mfa_gate_challenges_total{result=\"passed\"}"), 0);
    assert_eq!(value("mfa_gate_lockouts_total"), 1);
    assert!(
        !metrics.body.contains("taro"),
        "no account names in metrics"
    );
}

#[tokio::test]
async fn no_secret_or_code_reaches_the_audit_trail_or_the_log() {
    let gw = Gateway::demo().await;
    let (mut b, csrf, enrolled) = enrolled_and_challenged(&gw, TARO).await;
    let wrong = codes::wrong_code(&enrolled.secret);
    assert_eq!(submit_code(&mut b, &csrf, &wrong).await.status, 422);
    let wrong_backup = "zzzz-zzzz-zzzz-zzzz";
    let r = b
        .post_form(
            "/_mfa/challenge",
            &[("csrf", &csrf), ("backup_code", wrong_backup)],
        )
        .await;
    assert_eq!(r.status, 422);
    // Support clears the two failures; then a backup code passes.
    assert_eq!(gw.support(&["unlock", TARO]).await.code, 0);
    let used = &enrolled.backup_codes[4];
    let r = b
        .post_form("/_mfa/challenge", &[("csrf", &csrf), ("backup_code", used)])
        .await;
    assert_eq!(r.status, 303);

    let trail = gw
        .admin(
            "GET",
            "/v1/accounts/taro%40globex.example/audit",
            Some(DEMO_SUPPORT_TOKEN),
        )
        .await;
    assert_eq!(trail.status, 200);
    let kinds: Vec<String> = trail.json()["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        kinds,
        [
            "backup_code_used",
            "unlocked",
            "challenge_failed",
            "challenge_failed",
            "enrolled"
        ]
    );

    let secret_b32 = data_encoding::BASE32_NOPAD.encode(&enrolled.secret);
    let secret_hex = data_encoding::HEXLOWER.encode(&enrolled.secret);
    let mut never: Vec<String> = vec![
        secret_b32.clone(),
        secret_b32.to_lowercase(),
        secret_hex,
        wrong_backup.to_owned(),
        DEMO_SUPPORT_TOKEN.to_owned(),
    ];
    for code in &enrolled.backup_codes {
        never.push(code.clone());
        never.push(code.replace('-', ""));
    }
    let log = gw.log();
    assert!(log.contains("security event"), "audit events are logged");
    for text in &never {
        assert!(
            !trail.body.contains(text.as_str()),
            "{text} in the audit trail"
        );
        assert!(!log.contains(text.as_str()), "{text} in the log");
    }
    // Six-digit codes: the trail's times have no run of six digits, so any
    // would be a code.
    let codes = [
        wrong.clone(),
        codes::code(&enrolled.secret, enrolled.step, 6),
    ];
    for code in &codes {
        assert!(
            !trail.body.contains(code.as_str()),
            "{code} in the audit trail"
        );
    }
    let digits_run = trail
        .body
        .as_bytes()
        .windows(6)
        .any(|w| w.iter().all(u8::is_ascii_digit));
    assert!(!digits_run, "no six digits in a row in: {}", trail.body);
}

#[tokio::test]
async fn audit_events_past_retention_are_deleted_at_start_up() {
    use mfa_gate::domain::{AuditEvent, AuditKind, PersonKey};
    use mfa_gate::store::{SledStore, Store};

    let tmp = tempfile::tempdir().unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    {
        // The demo keeps its store in DATA/store; audit.keep_days is 400.
        let store = SledStore::open(&tmp.path().join("store")).unwrap();
        let key = PersonKey::new("globex", TARO);
        store.link_account(TARO, &key).unwrap();
        for (days_ago, detail) in [(450, "too old"), (401, "just too old"), (300, "kept")] {
            store
                .append_audit(&AuditEvent {
                    at: now - days_ago * 86_400,
                    kind: AuditKind::ChallengeFailed,
                    person: Some(key.clone()),
                    company: "globex".into(),
                    actor: TARO.into(),
                    detail: detail.into(),
                })
                .unwrap();
        }
    }
    let gw = Gateway::demo_on(tmp.path()).await;
    let audit = gw.support(&["--json", "audit", TARO]).await;
    assert_eq!(audit.code, 0, "{audit:?}");
    let v: serde_json::Value = serde_json::from_str(&audit.stdout).unwrap();
    let details: Vec<&str> = v["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["detail"].as_str().unwrap())
        .collect();
    assert_eq!(details, ["kept"]);
    assert!(gw.log().contains("audit events past retention deleted"));
    let metrics = gw.admin("GET", "/metrics", None).await.body;
    assert!(
        metrics.contains("mfa_gate_audit_pruned_total 2"),
        "{metrics}"
    );
}

/// `support status` lists the same linked accounts whichever of them it
/// is asked about, also when one of them only ever failed a code (issue
/// 30 §7): every account that meets the challenge is noted on the person.
#[tokio::test]
async fn status_lists_the_same_linked_accounts_whichever_is_asked() {
    let gw = Gateway::demo().await;
    let mut hanako = gw.browser();
    hanako.login("hanako@acme.example").await;
    let enrolled = enroll(&mut hanako).await;
    // The admin account of the same person only fails.
    let mut admin = gw.browser();
    admin.login("hanako.admin@acme.example").await;
    let csrf = admin
        .get("/_mfa/challenge")
        .await
        .input_value("csrf")
        .unwrap();
    let wrong = codes::wrong_code(&enrolled.secret);
    assert_eq!(submit_code(&mut admin, &csrf, &wrong).await.status, 422);
    let both = serde_json::json!(["hanako@acme.example", "hanako.admin@acme.example"]);
    for asked in ["hanako@acme.example", "hanako.admin@acme.example"] {
        let v = gw.account_status(asked).await;
        assert_eq!(v["linked_accounts"], both, "asked {asked}: {v}");
    }
}

/// A company's own audit events (its settings, changed on the policy
/// page) are read with `support audit --company NAME` and the API
/// (issue 30 §7); another company's are not among them.
#[tokio::test]
async fn support_audit_company_lists_the_company_settings_changes() {
    let gw = Gateway::demo().await;
    let mut admin = gw.browser();
    admin.login("hanako.admin@acme.example").await;
    crate::harness::save_company_setting(&mut admin, "remember_days", "30").await;

    let text = gw.support(&["audit", "--company", "acme"]).await;
    assert_eq!(text.code, 0, "{text:?}");
    assert!(text.stdout.contains("policy_changed"), "{}", text.stdout);
    assert!(
        text.stdout.contains("hanako.admin@acme.example"),
        "{}",
        text.stdout
    );
    let json = gw.support(&["--json", "audit", "--company", "acme"]).await;
    let v: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(v["company"], "acme");
    assert_eq!(v["events"].as_array().map(Vec::len), Some(1), "{v}");
    let other = gw.support(&["audit", "--company", "globex"]).await;
    assert_eq!(other.code, 0, "{other:?}");
    assert_eq!(other.stdout, "no company audit events for globex\n");
    let neither = gw.support(&["audit"]).await;
    assert_eq!(neither.code, 2, "{neither:?}");
}

/// Bad input to the support CLI and the admin API is a clear refusal
/// (issue 31 §4): an empty or overlong account and a limit out of range
/// exit 2 before anything is sent, the API answers `?limit=0` with 400 and
/// the range, and a head no parser accepts gets a 400, not a dropped
/// connection, logged at debug level only.
#[tokio::test]
async fn bad_support_input_is_refused_as_bad_input() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let gw = Gateway::demo().await;
    let long = "a".repeat(100_000);
    for args in [
        vec!["status", ""],
        vec!["status", "   "],
        vec!["status", long.as_str()],
        vec!["audit", "--limit", "0", TARO],
        vec!["audit", "--limit", "abc", TARO],
        vec!["audit", "--company", ""],
    ] {
        let run = gw.support(&args).await;
        assert_eq!(run.code, 2, "{args:.2?}: {run:?}");
        assert!(!run.stderr.is_empty(), "{args:.2?}: says why");
    }
    let r = gw
        .admin(
            "GET",
            "/v1/accounts/taro%40globex.example/audit?limit=0",
            Some(DEMO_SUPPORT_TOKEN),
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(r.body.contains("1 to 1000"), "{}", r.body);

    let admin_port: u16 = gw
        .admin_url("")
        .rsplit(':')
        .next()
        .and_then(|p| p.trim_end_matches('/').parse().ok())
        .unwrap();
    for _ in 0..3 {
        let mut sock = tokio::net::TcpStream::connect(("127.0.0.1", admin_port))
            .await
            .unwrap();
        sock.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\nBad Name: v\r\n\r\n")
            .await
            .unwrap();
        let mut answer = Vec::new();
        let read = sock.read_to_end(&mut answer);
        let _ = tokio::time::timeout(std::time::Duration::from_secs(10), read).await;
        let head = String::from_utf8_lossy(&answer[..answer.len().min(12)]).into_owned();
        assert_eq!(head, "HTTP/1.1 400", "{}", String::from_utf8_lossy(&answer));
    }
    assert!(
        !gw.log().contains("ERROR"),
        "no error lines for bad requests:\n{}",
        gw.log()
    );
}
