//! Static files of our pages, embedded from `pages/` at build time so the
//! binary is self-contained. Served with a long cache lifetime: the names
//! change when their content does.

use crate::reply::Reply;

const STYLE: &str = include_str!("../../../pages/style.css");
/// The passkey pages' one script (see the file's header).
const WEBAUTHN: &str = include_str!("../../../pages/webauthn.js");

pub fn serve(route: &str) -> Reply {
    match route {
        "/assets/webauthn.js" => Reply {
            status: 200,
            headers: vec![
                (
                    "Content-Type".into(),
                    "text/javascript; charset=utf-8".into(),
                ),
                ("Cache-Control".into(), "public, max-age=3600".into()),
            ],
            body: WEBAUTHN.as_bytes().to_vec(),
        },
        "/assets/style.css" => Reply {
            status: 200,
            headers: vec![
                ("Content-Type".into(), "text/css; charset=utf-8".into()),
                ("Cache-Control".into(), "public, max-age=3600".into()),
            ],
            body: STYLE.as_bytes().to_vec(),
        },
        _ => Reply {
            status: 404,
            headers: vec![("Content-Type".into(), "text/plain; charset=utf-8".into())],
            body: b"not found".to_vec(),
        },
    }
}
