//! Unit tests of `edge::proxy`'s response step.

use super::*;

/// A response as pingora reads it from an app: its maps sized for the
/// headers it has (nginx's five here).
fn from_app(status: u16, headers: &[(&str, &str)]) -> ResponseHeader {
    let mut response = ResponseHeader::build(status, Some(headers.len())).unwrap();
    for (name, value) in headers {
        response.append_header(name.to_string(), *value).unwrap();
    }
    response
}

const NGINX: [(&str, &str); 5] = [
    ("Server", "nginx"),
    ("Date", "Mon, 07 Dec 2026 18:50:28 GMT"),
    ("Content-Type", "text/html"),
    ("Content-Length", "5"),
    ("Connection", "keep-alive"),
];

/// Our `X-Request-Id`, then pingora's own `Date` and `Connection`, fit in
/// the maps the app's response came in: nothing is rehashed.
#[test]
fn our_header_and_pingoras_two_fit_the_apps_response() {
    let mut response = from_app(200, &NGINX);
    let room = response.headers.capacity();
    make_room_for_pingora(&mut response);
    response
        .insert_header(crate::request::request_id::HEADER, "id")
        .unwrap();
    // What pingora's HTTP/1 writer adds to every final response.
    response.insert_header(http::header::DATE, "now").unwrap();
    response
        .insert_header(http::header::CONNECTION, "keep-alive")
        .unwrap();
    assert_eq!(response.headers.capacity(), room);
    assert_eq!(response.headers.len(), 6);
    assert_eq!(response.headers["x-request-id"], "id");
}

/// A switch of protocols keeps its `Connection: upgrade` (pingora adds
/// none to a 1xx).
#[test]
fn an_upgrade_keeps_its_connection_header() {
    let mut response = from_app(101, &[("Connection", "upgrade"), ("Upgrade", "websocket")]);
    make_room_for_pingora(&mut response);
    assert_eq!(response.headers["connection"], "upgrade");
    let mut ok = from_app(200, &NGINX);
    make_room_for_pingora(&mut ok);
    assert!(ok.headers.get("connection").is_none());
}
