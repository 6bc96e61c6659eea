//! Unit tests of `reply`.

use super::*;

#[test]
fn constructors_set_status_type_and_body() {
    let check = |reply: Reply, status: u16, content_type: Option<&str>, body: &str| {
        assert_eq!(reply.status, status);
        assert_eq!(reply.header("content-type"), content_type);
        assert_eq!(String::from_utf8(reply.body).unwrap(), body);
    };
    check(
        Reply::html(200, maud::html! { p { "hi" } }),
        200,
        Some("text/html; charset=utf-8"),
        "<p>hi</p>",
    );
    check(
        Reply::json(401, serde_json::json!({"a": 1})),
        401,
        Some("application/json"),
        r#"{"a":1}"#,
    );
    check(
        Reply::text(413, "too big"),
        413,
        Some("text/plain; charset=utf-8"),
        "too big",
    );
    check(
        Reply::error(404, "not_found"),
        404,
        Some("application/json"),
        r#"{"error":"not_found"}"#,
    );
    check(
        Reply::data(&vec![1, 2]),
        200,
        Some("application/json"),
        "[1,2]",
    );
    check(Reply::redirect("/x?y=1"), 303, None, "");
    assert_eq!(Reply::redirect("/x?y=1").header("LOCATION"), Some("/x?y=1"));
}

#[test]
fn with_header_appends() {
    let reply = Reply::redirect("/")
        .with_header("Set-Cookie", "a=1".into())
        .with_header("Set-Cookie", "b=2".into());
    let cookies: Vec<_> = reply
        .headers
        .iter()
        .filter(|(n, _)| *n == "Set-Cookie")
        .map(|(_, v)| v.as_str())
        .collect();
    assert_eq!(cookies, ["a=1", "b=2"]);
}
