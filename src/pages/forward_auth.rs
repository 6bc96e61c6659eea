//! The answers of the forward-auth endpoint (`/_mfa/auth`), in the terms
//! fronts understand: 200 lets the request pass (with identity headers for
//! the front to copy to the app); a denied navigation is sent to our page
//! (a redirect for Traefik and Caddy, a 401 naming the page in
//! `X-Mfa-Location` for nginx's `error_page 401`); a denied API call is a
//! 401 JSON naming the page, or 403 when the person is locked. The page
//! keeps the original target as `return_to`, so the person comes back to
//! it through the front.

use crate::access::decision::Denial;
use crate::access::services::Services;
use crate::reply::Reply;
use crate::request::forwarded::Convention;
use crate::request::paths;
use crate::request::route::Route;
use serde_json::json;
use std::borrow::Cow;

/// The header naming our page on a 401 (for `auth_request_set`).
pub const LOCATION_HEADER: &str = "X-Mfa-Location";

/// The request may pass; `headers` say who it is, for the front to copy.
pub fn allowed(headers: Vec<(Cow<'static, str>, String)>) -> Reply {
    let mut reply = Reply {
        status: 200,
        headers: Vec::new(),
        body: Vec::new(),
    };
    for (name, value) in headers {
        reply = reply.with_header(name, value);
    }
    // (`Cache-Control: no-store` is added by the writer, as to every answer.)
    reply
}

/// The request the front asked about may not pass (yet).
pub fn denied(
    ctx: &Services<'_>,
    denial: Denial,
    target: &str,
    navigation: bool,
    convention: Convention,
) -> Reply {
    let prefix = &ctx.config.prefix;
    let (error, location) = match (
        denial,
        crate::pages::answers::sent_to(prefix, denial, target),
    ) {
        (_, Some(sent)) => sent,
        // An access rule's deny: 403 to everyone (fronts pass it on).
        (Denial::Forbidden, None) => return Reply::json(403, json!({ "error": "forbidden" })),
        // The challenge page shows a locked person the locked page.
        (_, None) => {
            let return_to = paths::safe_return_to(target, prefix);
            (
                "locked",
                paths::with_return_to(&Route::Challenge.href(prefix), &return_to),
            )
        }
    };
    let body = json!({ "error": error, "location": location });
    match (navigation, convention, denial) {
        (true, Convention::Redirect, _) => Reply::redirect(&location),
        (true, Convention::AuthRequest, _) => {
            Reply::json(401, body).with_header(LOCATION_HEADER, location)
        }
        (false, _, Denial::Locked) => Reply::json(403, json!({ "error": error })),
        // A script's call is not redirected: it reads where to go.
        (false, _, _) => Reply::json(401, body),
    }
}

/// The front's description of the request cannot be read, or the request
/// is refused before identification: 403 (a status every front passes on).
pub fn refused(error: &str) -> Reply {
    Reply::json(403, json!({ "error": error }))
}
