//! Forged audit lines (issue 20, point 4): an app whose whoami names an
//! account holding a newline, ANSI escapes and quotes, followed by what
//! looks like a log line of its own. The account enrolls, fails a challenge
//! and passes it — three security events — and the log keeps
//! exactly one line per event, with no raw ESC byte, in the text format;
//! in the JSON format every line stays one valid object.

use super::super::config;
use crate::harness::{FakeApp, Gateway, Whoami, codes, enroll, free_ports, submit_code};

/// Looks like the start of a line of its own, once the newline before it
/// is written raw. (No `:`: an account name in an otpauth URI holds none.)
const FORGED: &str = "FORGED-LINE INFO mfa_gate audit security event kind=Reset actor=support";

/// The account whoami names: quotes, colours, a newline and a forged line.
fn hostile_account() -> String {
    format!("evil \"quoted\" \x1b[31mred\x1b[0m\n{FORGED}\r\n{FORGED}")
}

/// The company: a terminal clear-screen and a newline.
const HOSTILE_COMPANY: &str = "acme\x1b[2J\nFORGED-LINE company";

/// An app whose `/api/me` names the hostile account for every
/// `app_session` starting `evil`, and answers 200 "app" elsewhere.
async fn hostile_app() -> FakeApp {
    let identity = serde_json::json!({
        "account": hostile_account(),
        "company": HOSTILE_COMPANY,
        "class": "employee",
    });
    FakeApp::builder()
        .session_cookie("app_session")
        .session_prefix("evil", Whoami::json(&identity))
        .start()
        .await
}

/// Enroll the hostile account, then fail and pass a challenge in a new
/// session: three security events. Returns the gateway.
async fn three_security_events(extra: &str) -> (Gateway, tempfile::TempDir) {
    let app = hostile_app().await;
    let tmp = tempfile::tempdir().unwrap();
    let port = free_ports();
    let cfg = config(port, &app.address).extra(extra).write(tmp.path());
    let gw = Gateway::serve(&cfg, port, tmp.path()).await;

    let mut b = gw.browser();
    b.cookies.insert("app_session".into(), "evil-one".into());
    let enrolled = enroll(&mut b).await;

    b.cookies.remove("mfa_gate");
    b.cookies.insert("app_session".into(), "evil-two".into());
    let page = b.get("/_mfa/challenge").await;
    assert_eq!(page.status, 200, "{}", page.body);
    let csrf = page.input_value("csrf").unwrap();
    let wrong = codes::wrong_code(&enrolled.secret);
    assert_eq!(submit_code(&mut b, &csrf, &wrong).await.status, 422);

    let next = codes::lasting_code(&enrolled.secret, Some(enrolled.step))
        .await
        .1;
    assert_eq!(submit_code(&mut b, &csrf, &next).await.status, 303);
    (gw, tmp)
}

/// Whether `line` starts like a line of ours: an RFC 3339 timestamp.
fn starts_with_timestamp(line: &str) -> bool {
    let b = line.as_bytes();
    b.len() > 20 && b[..4].iter().all(u8::is_ascii_digit) && b[4] == b'-' && b[10] == b'T'
}

#[tokio::test]
async fn a_hostile_account_cannot_forge_a_text_log_line() {
    let (gw, _tmp) = three_security_events("").await;
    let log = gw.log();
    assert!(!log.contains('\x1b'), "a raw ESC byte in the log:\n{log:?}");
    assert!(!log.contains('\r'), "a raw CR in the log:\n{log:?}");
    for line in log.lines().filter(|l| !l.is_empty()) {
        assert!(
            starts_with_timestamp(line),
            "a line that is not one of ours: {line:?}\nlog:\n{log}"
        );
    }
    let events: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("mfa_gate::audit"))
        .collect();
    assert_eq!(events.len(), 3, "one line per security event:\n{log}");
    for (line, kind) in events
        .iter()
        .zip(["Enrolled", "ChallengeFailed", "ChallengePassed"])
    {
        assert!(line.contains(&format!("kind={kind} ")), "{line}");
        assert!(line.contains("security event"), "{line}");
        // The account shows, escaped, on the event's own line.
        assert!(
            line.contains(&format!(
                "\\\"quoted\\\" \\u{{1b}}[31mred\\u{{1b}}[0m\\n{FORGED}\\r\\n"
            )),
            "{line}"
        );
    }
    assert!(events[0].contains("company=acme\\u{1b}[2J\\nFORGED-LINE company"));
}

#[tokio::test]
async fn a_hostile_account_leaves_every_json_line_valid() {
    let (gw, _tmp) = three_security_events("log:\n  format: json\n").await;
    let log = gw.log();
    let mut kinds = Vec::new();
    for line in log.lines().filter(|l| !l.is_empty()) {
        let json: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not a JSON line ({e}): {line}"));
        if json["target"] != "mfa_gate::audit" {
            continue;
        }
        kinds.push(json["kind"].as_str().unwrap_or_default().to_owned());
        let actor = json["actor"].as_str().unwrap_or_default();
        assert!(actor.contains(FORGED), "{line}");
        for field in ["actor", "company", "person", "detail"] {
            let value = json[field].as_str().unwrap_or_default();
            assert!(
                !value.contains(['\n', '\r', '\x1b']),
                "{field} holds a control character: {value:?}"
            );
        }
    }
    assert_eq!(
        kinds,
        ["Enrolled", "ChallengeFailed", "ChallengePassed"],
        "{log}"
    );
}
