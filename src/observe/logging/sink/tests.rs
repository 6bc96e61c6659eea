//! Unit tests of `observe::logging::sink`.

use super::*;

#[test]
fn a_short_line_is_kept_as_is() {
    let line = b"2026 INFO mfa_gate::access: request path=/x\n";
    assert_eq!(cap_line(line, false), line.to_vec());
}

#[test]
fn a_long_text_line_is_cut_at_a_character() {
    let line = format!("INFO x: path=/{}\n", "é".repeat(10_000));
    let out = cap_line(line.as_bytes(), false);
    assert!(out.len() <= MAX_LINE, "{}", out.len());
    let text = String::from_utf8(out).expect("still UTF-8");
    assert!(
        text.ends_with(&format!(" …[line cut: {} bytes]\n", line.len())),
        "{}",
        &text[text.len() - 40..]
    );
    assert_eq!(text.matches('\n').count(), 1);
}

#[test]
fn a_long_json_line_stays_one_valid_object() {
    let event = serde_json::json!({
        "timestamp": "2026-01-01T00:00:00Z",
        "level": "INFO",
        "target": "mfa_gate::access",
        "path": format!("/{}", "a".repeat(200_000)),
        "status": 404,
    });
    let line = format!("{event}\n");
    let out = cap_line(line.as_bytes(), true);
    assert!(out.len() <= MAX_LINE, "{}", out.len());
    let back: serde_json::Value = serde_json::from_slice(&out).expect("valid JSON");
    assert_eq!(back["status"], 404);
    assert_eq!(back["target"], "mfa_gate::access");
    assert_eq!(
        back["path"].as_str().map(|p| p.chars().count()),
        Some(JSON_STRING_CAP + 1)
    );
}

#[test]
fn a_json_line_of_many_fields_becomes_a_notice() {
    let fields: serde_json::Map<String, serde_json::Value> = (0..400)
        .map(|i| {
            (
                format!("field{i}"),
                serde_json::Value::from("x".repeat(100)),
            )
        })
        .collect();
    let line = format!("{}\n", serde_json::Value::Object(fields));
    let out = cap_line(line.as_bytes(), true);
    let back: serde_json::Value = serde_json::from_slice(&out).expect("valid JSON");
    assert_eq!(back["message"], "log event withheld: too long");
    assert_eq!(back["bytes"], line.len());
}
