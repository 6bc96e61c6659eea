//! `mfa-gate check-config` and `serve` refuse bad configuration with a
//! clear message per mistake (every independent one at once), naming the
//! file, the line and the field, and a non-zero exit; the shipped example
//! files stay valid.

use crate::harness::{BIN, ConfigBuilder, free_ports};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Write `mfa-gate.yaml` into `dir`: the harness's default config, `/login`
/// bypassed, with `extra` appended (its first line is line 19).
fn write_config(dir: &Path, extra: &str) -> PathBuf {
    let port = free_ports();
    ConfigBuilder::new(port, &format!("127.0.0.1:{}", port + 1))
        .bypass(&["/login"])
        .extra(extra)
        .write(dir)
}

fn check_config(path: &std::path::Path) -> (bool, String, String) {
    let out = Command::new(BIN)
        .args(["check-config", "-c"])
        .arg(path)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_valid_file_passes() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = write_config(tmp.path(), "companies:\n  globex: required\n");
    let (ok, stdout, stderr) = check_config(&cfg);
    assert!(ok, "{stderr}");
    assert!(stdout.contains("OK"), "{stdout}");
}

#[test]
fn errors_name_file_line_and_field() {
    let tmp = tempfile::tempdir().unwrap();
    let cases = [
        ("max_failure: 3\n", "max_failure", "line 19"),
        (
            "companies:\n  globex: mandatory\n",
            "companies",
            "mandatory",
        ),
        ("totp:\n  skew: 9\n", "totp.skew", "line 20"),
    ];
    for (extra, field, detail) in cases {
        let cfg = write_config(tmp.path(), extra);
        let (ok, _, stderr) = check_config(&cfg);
        assert!(!ok, "{extra:?} accepted");
        assert!(stderr.contains("mfa-gate.yaml"), "names the file: {stderr}");
        assert!(stderr.contains(field), "names the field {field}: {stderr}");
        assert!(stderr.contains(detail), "says {detail}: {stderr}");
        assert!(stderr.lines().count() <= 5, "one screen: {stderr}");
    }
    // A bad duration anywhere names its field.
    let cfg = tmp.path().join("mfa-gate.yaml");
    let text = std::fs::read_to_string(&cfg)
        .unwrap()
        .replace("connect_timeout: 5s", "connect_timeout: 5 sec");
    std::fs::write(&cfg, text).unwrap();
    let (ok, _, stderr) = check_config(&cfg);
    assert!(!ok);
    assert!(
        stderr.contains("upstream.connect_timeout") && stderr.contains("line 4"),
        "{stderr}"
    );
    // A missing file, and a missing key file, are named too.
    let (ok, _, stderr) = check_config(&tmp.path().join("nope.yaml"));
    assert!(!ok && stderr.contains("nope.yaml"), "{stderr}");
    write_config(tmp.path(), "");
    std::fs::remove_file(tmp.path().join("enc.key")).unwrap();
    let (ok, _, stderr) = check_config(&tmp.path().join("mfa-gate.yaml"));
    assert!(!ok && stderr.contains("enc.key"), "{stderr}");
}

#[test]
fn serve_refuses_a_bad_file_before_listening() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = write_config(tmp.path(), "prefix: mfa\n");
    let out = Command::new(BIN)
        .args(["serve", "-c"])
        .arg(&cfg)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("prefix"));
}

/// The `webauthn` section through the real binary: a good one is named in
/// the summary, a relying party the origin is not on is refused with the
/// field, and "passkey only" without passkeys is refused.
#[test]
fn check_config_names_the_relying_party_and_refuses_a_wrong_one() {
    let tmp = tempfile::tempdir().unwrap();
    let good = "webauthn:\n  rp_id: example.com\n  origins: [https://app.example.com]\n";
    let (ok, stdout, stderr) = check_config(&write_config(tmp.path(), good));
    assert!(ok, "{stderr}");
    assert!(
        stdout.contains("passkeys: relying party example.com (https://app.example.com/)"),
        "{stdout}"
    );
    let (ok, stdout, _) = check_config(&write_config(tmp.path(), ""));
    assert!(ok && stdout.contains("passkeys: off"), "{stdout}");
    let wrong = "webauthn:\n  rp_id: example.com\n  origins: [https://app.example.org]\n";
    let (ok, _, stderr) = check_config(&write_config(tmp.path(), wrong));
    assert!(!ok, "accepted");
    assert!(
        stderr.contains("webauthn") && stderr.contains("not on the relying-party id"),
        "{stderr}"
    );
    let only = "companies:\n  globex: required_passkey\n";
    let (ok, _, stderr) = check_config(&write_config(tmp.path(), only));
    assert!(!ok, "accepted");
    assert!(
        stderr.contains("companies.globex") && stderr.contains("needs passkeys"),
        "{stderr}"
    );
}

/// A file with three independent mistakes gets three lines, each naming
/// the file, the line and the field, from `check-config` and from `serve`
/// alike; the parser's words are an operator's ("a whole number").
#[test]
fn every_mistake_is_reported_at_once() {
    let tmp = tempfile::tempdir().unwrap();
    // Lines 19, 20 and 22 of the harness's file.
    let cfg = write_config(
        tmp.path(),
        "max_failures: 0\nprefix: mfa\ntotp:\n  skew: 9\n",
    );
    let (ok, _, stderr) = check_config(&cfg);
    assert!(!ok, "accepted");
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 3, "{stderr}");
    for (line, (at, field)) in lines.iter().zip([
        ("line 19", "max_failures"),
        ("line 20", "prefix"),
        ("line 22", "totp.skew"),
    ]) {
        assert!(line.contains("mfa-gate.yaml"), "names the file: {stderr}");
        assert!(line.contains(at), "{at}: {stderr}");
        assert!(
            line.contains(&format!("field `{field}`")),
            "{field}: {stderr}"
        );
    }
    let out = Command::new(BIN)
        .args(["serve", "-c"])
        .arg(&cfg)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let serve = String::from_utf8_lossy(&out.stderr);
    for field in ["max_failures", "prefix", "totp.skew"] {
        assert!(serve.contains(&format!("field `{field}`")), "{serve}");
    }

    // Values that do not parse, in two sections: both, in words.
    let cfg = write_config(tmp.path(), "max_failures: lots\nserver:\n  threads: many\n");
    let (ok, _, stderr) = check_config(&cfg);
    assert!(!ok, "accepted");
    assert_eq!(stderr.lines().count(), 2, "{stderr}");
    assert!(
        stderr.contains("field `max_failures`") && stderr.contains("field `server.threads`"),
        "{stderr}"
    );
    assert!(
        stderr.contains("a whole number") && !stderr.contains("u32"),
        "{stderr}"
    );
}
