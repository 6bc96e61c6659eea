//! Online backup and offline restore (issue 21): a backup taken through the
//! admin API while backup codes are being accepted, restored into a new
//! directory (counts verified), serves a gateway that accepts the person's
//! next code and refuses a backup code used before the backup.

use super::{TOKEN, config, echo_app};
use crate::harness::{Browser, Gateway, enroll, free_ports, run_cli};

fn with(b: &mut Browser, session: &str) {
    b.cookies.insert("app_session".into(), session.into());
}

/// A new app session of the enrolled person submits `code` as a backup code.
async fn use_backup_code(gw: &Gateway, session: &str, code: &str) -> u16 {
    let mut b = gw.browser();
    with(&mut b, session);
    let page = b.get("/_mfa/challenge").await;
    assert_eq!(page.status, 200, "{}", page.body);
    let csrf = page.input_value("csrf").unwrap();
    b.post_form("/_mfa/challenge", &[("csrf", &csrf), ("backup_code", code)])
        .await
        .status
}

#[tokio::test]
async fn backup_taken_while_codes_are_accepted_restores_into_a_working_gateway() {
    let app = echo_app().await;
    let tmp = tempfile::tempdir().unwrap();
    let port = free_ports();
    let cfg = config(port, &app.address)
        .company("globex", "required")
        .write(tmp.path());
    let mut gw = Gateway::serve(&cfg, port, tmp.path()).await;
    let mut b = gw.browser();
    with(&mut b, "emp-globex-1");
    let enrolled = enroll(&mut b).await;
    let codes = enrolled.backup_codes.clone();
    assert_eq!(use_backup_code(&gw, "emp-globex-2", &codes[0]).await, 303);

    // Backup codes keep being accepted while the backup is taken.
    gw.admin("GET", "/metrics", None).await; // the listener is up
    let out = tmp.path().join("store.backup");
    let out_arg = out.display().to_string();
    let url = gw.admin_url("");
    let env = [
        ("MFA_GATE_ADMIN_URL", url.as_str()),
        ("MFA_GATE_SUPPORT_TOKEN", TOKEN),
    ];
    let accepting = async {
        let mut statuses = Vec::new();
        for (i, code) in codes[1..5].iter().enumerate() {
            statuses.push(use_backup_code(&gw, &format!("emp-globex-u{i}"), code).await);
        }
        statuses
    };
    let args = ["support", "backup", "--out", out_arg.as_str()];
    let (statuses, backup) = tokio::join!(accepting, run_cli(&args, &env));
    assert_eq!(statuses, [303; 4]);
    assert_eq!(backup.code, 0, "{backup:?}");
    assert!(backup.stdout.contains("1 persons"), "{}", backup.stdout);
    use std::os::unix::fs::PermissionsExt as _;
    assert_eq!(
        std::fs::metadata(&out).unwrap().permissions().mode() & 0o777,
        0o600
    );
    // Without the token: refused.
    let refused = run_cli(
        &["support", "backup", "--out", &format!("{out_arg}.2")],
        &[
            ("MFA_GATE_ADMIN_URL", url.as_str()),
            ("MFA_GATE_SUPPORT_TOKEN", "wrong"),
        ],
    )
    .await;
    assert_eq!(refused.code, 4, "{refused:?}");
    gw.kill();

    // Restore into a new directory, with a configuration of the same keys.
    let restored = tempfile::tempdir().unwrap();
    let port = free_ports();
    let cfg = config(port, &app.address)
        .company("globex", "required")
        .write(restored.path());
    let to = restored.path().join("store");
    let restore_args = [
        "store",
        "restore",
        "--config",
        &cfg.display().to_string(),
        "--from",
        &out_arg,
        "--to",
        &to.display().to_string(),
    ]
    .map(str::to_owned);
    let restore_args: Vec<&str> = restore_args.iter().map(String::as_str).collect();
    let restore = run_cli(&restore_args, &[]).await;
    assert_eq!(restore.code, 0, "{restore:?}");
    for said in [
        "1 persons",
        "1 with a second step",
        "unused backup codes",
        "every gateway session",
    ] {
        assert!(restore.stdout.contains(said), "{said}: {}", restore.stdout);
    }
    let again = run_cli(&restore_args, &[]).await;
    assert_eq!(again.code, 2, "only into a new directory: {again:?}");
    assert!(again.stderr.contains("not empty"), "{}", again.stderr);

    let gw = Gateway::serve(&cfg, port, restored.path()).await;
    // The session verified before the backup is trust of then, not now.
    let mut before = gw.browser();
    before.cookies = b.cookies.clone();
    let r = before.get("/x").await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert!(
        r.location()
            .is_some_and(|l| l.starts_with("/_mfa/challenge")),
        "{:?}",
        r.location()
    );
    assert_eq!(
        use_backup_code(&gw, "emp-globex-r1", &codes[0]).await,
        422,
        "a backup code used before the backup stays used"
    );
    let mut b = gw.browser();
    with(&mut b, "emp-globex-r2");
    b.pass_challenge(&enrolled.secret).await;
    assert!(b.get("/x").await.came_from_app());
    assert_eq!(use_backup_code(&gw, "emp-globex-r3", &codes[9]).await, 303);
}
