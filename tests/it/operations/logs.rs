//! Logs: with `log.format: json` every line is one JSON object; access
//! lines carry the request id (the client's, when sane); and no line holds
//! a secret — session cookie values, the gateway cookie, CSRF tokens, TOTP
//! secrets, codes, backup codes, keys or the support token — after a full
//! enrollment and challenge. Hostile input keeps the log ours: a forged
//! identity stays one line per event (`forged`), malformed requests to
//! either listener leave no header value and no overlong line (`malformed`),
//! and debug logging prints no cookie (`debug`).

mod debug;
mod forged;
mod malformed;

use super::{TOKEN, config, echo_app};
use crate::harness::{Gateway, codes, enroll, free_ports, submit_code};

/// Every string value in `value`, except the timestamp.
fn strings(value: &serde_json::Value, out: &mut Vec<String>) {
    match value {
        serde_json::Value::String(s) => out.push(s.clone()),
        serde_json::Value::Array(items) => items.iter().for_each(|v| strings(v, out)),
        serde_json::Value::Object(map) => map
            .iter()
            .filter(|(k, _)| k.as_str() != "timestamp")
            .for_each(|(_, v)| strings(v, out)),
        _ => {}
    }
}

#[tokio::test]
async fn json_log_lines_carry_request_ids_and_no_secret() {
    let app = echo_app().await;
    let tmp = tempfile::tempdir().unwrap();
    let port = free_ports();
    let extra = "companies:\n  globex: required\nlog:\n  format: json\n";
    let cfg = config(port, &app.address).extra(extra).write(tmp.path());
    let gw = Gateway::serve(&cfg, port, tmp.path()).await;

    let mut b = gw.browser();
    let first_session = "emp-globex-SESSION-VALUE-ONE";
    b.cookies.insert("app_session".into(), first_session.into());
    let enroll_page = b.get("/_mfa/enroll").await;
    let mut secrets = vec![
        first_session.to_owned(),
        enroll_page.input_value("csrf").unwrap(),
    ];
    let enrolled = enroll(&mut b).await;
    secrets.push(b.cookies["mfa_gate"].clone());
    secrets.push(data_encoding::BASE32_NOPAD.encode(&enrolled.secret));
    secrets.push(codes::code(&enrolled.secret, enrolled.step, 6));
    secrets.extend(enrolled.backup_codes.iter().cloned());

    let second_session = "emp-globex-SESSION-VALUE-TWO";
    b.cookies
        .insert("app_session".into(), second_session.into());
    let page = b.get("/_mfa/challenge").await;
    let csrf = page.input_value("csrf").unwrap();
    let wrong = codes::wrong_code(&enrolled.secret);
    assert_eq!(submit_code(&mut b, &csrf, &wrong).await.status, 422);
    let next = codes::lasting_code(&enrolled.secret, Some(enrolled.step))
        .await
        .1;
    assert_eq!(submit_code(&mut b, &csrf, &next).await.status, 303);
    secrets.extend([second_session.to_owned(), csrf, wrong, next]);
    secrets.push(b.cookies["mfa_gate"].clone());
    secrets.push("11".repeat(32));
    secrets.push(TOKEN.to_owned());

    let r = reqwest::Client::new()
        .get(gw.url("/api/data"))
        .header(
            "cookie",
            format!(
                "app_session={second_session}; mfa_gate={}",
                b.cookies["mfa_gate"]
            ),
        )
        .header("x-request-id", "log-test-42")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        gw.admin("POST", "/v1/reload", Some(TOKEN)).await.status,
        200
    );

    let log = gw.log();
    let mut access = 0;
    let mut traced = false;
    for line in log.lines().filter(|l| !l.trim().is_empty()) {
        let json: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not a JSON line ({e}): {line}"));
        assert!(json.is_object(), "{line}");
        let mut values = Vec::new();
        strings(&json, &mut values);
        for secret in &secrets {
            assert!(
                !values.iter().any(|v| v.contains(secret.as_str())),
                "a secret ({} chars) in: {line}",
                secret.len()
            );
        }
        if json["target"] == "mfa_gate::access" {
            access += 1;
            assert!(
                json["request_id"].as_str().is_some_and(|id| !id.is_empty()),
                "{line}"
            );
            traced |= json["request_id"] == "log-test-42" && json["path"] == "/api/data";
        }
    }
    assert!(access >= 8, "{log}");
    assert!(
        traced,
        "the client's request id is in the access line:\n{log}"
    );
}
