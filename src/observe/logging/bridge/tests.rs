//! Unit tests of `observe::logging::bridge`.

use super::*;

#[test]
fn a_raw_head_in_a_pingora_error_is_withheld() {
    // What pingora's admin listener logs for a header with a \x01 byte.
    let head = "GET /v1/accounts HTTP/1.1\\r\\nAuthorization: Bearer SECRET\\x01\\r\\nCookie: x=C\\r\\n\\r\\n";
    let shown = scrub(&format_args!(
        "HTTP server fails to read from downstream:  InvalidHTTPHeader context: buf: {head} cause: invalid header value"
    ));
    assert_eq!(
        shown,
        "HTTP server fails to read from downstream:  InvalidHTTPHeader context: [request head withheld]"
    );
}

#[test]
fn a_header_map_is_withheld_too() {
    let shown = scrub(&format_args!(
        "Request header: RequestHeader {{ headers: {{\"cookie\": \"x=C\"}} }}"
    ));
    assert_eq!(
        shown,
        "Request header: RequestHeader { headers: {\\\" [request head withheld]"
    );
}

#[test]
fn a_long_path_is_capped_and_a_record_stays_one_line() {
    let path = "a".repeat(200_000);
    let shown = scrub(&format_args!("Fail to proxy: GET /{path}, Host: x"));
    assert!(shown.len() <= CAP + "…".len(), "{}", shown.len());
    assert!(shown.ends_with('…'), "{shown}");
    assert_eq!(
        scrub(&format_args!("line one\nline two \x1b[31m")),
        "line one\\nline two \\u{1b}[31m"
    );
}
