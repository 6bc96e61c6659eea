//! The app's copy of the request as plain `http` parts, for
//! [`super::Forwarding::prepare`] to rewrite with `http`'s own map.
//!
//! pingora's `RequestHeader` keeps every header twice: the value map and a
//! second map of the names as the client spelled them. Each of our header
//! writes went through both, re-parsed its name, and grew both tables
//! (≈ 1 700 instructions a write, seven writes a request). Here the
//! request is moved out of pingora's type (no copy), the value map gets
//! room for our headers once, and the request goes back without the
//! spelling map: the app receives header names in lower case, but for the
//! few pingora writes title-cased (`Host`, `Content-Type`,
//! `Content-Length`, `Connection`, `Transfer-Encoding`, …). HTTP field
//! names are case-insensitive (RFC 9110 §5.1), HTTP/2 sends them lower
//! case anyway, and Envoy forwards HTTP/1 in lower case by default; every
//! server apps run on (gunicorn, Node, PHP, Go, Rack) folds the case.
//!
//! The request-target is kept byte for byte: one that the URI does not
//! reproduce (absolute-form, CONNECT's authority-form, bytes that are not
//! UTF-8) is copied before and set again after; one it does (origin-form,
//! and HTTP/2's authority-only CONNECT) keeps its URI as it is.

use http::header::InvalidHeaderValue;
use http::request::Parts as ReqParts;
use pingora::http::RequestHeader;
use pingora::{Error, ErrorType};

/// Headers [`super::Forwarding::rewrite`] may add: `X-Mfa-Status`,
/// `X-Mfa-Account`, `X-Request-Id`, the three `X-Forwarded-*`, `Cookie`.
const ADDED: usize = 7;

/// Run `rewrite` on `req`'s parts, then put them back as `req`.
pub fn rewrite(
    req: &mut RequestHeader,
    rewrite: impl FnOnce(&mut ReqParts) -> Result<(), InvalidHeaderValue>,
) -> pingora::Result<()> {
    // What `RequestHeader::raw_path` reads from a URI alone.
    let from_uri = match (req.uri.path_and_query(), req.uri.authority()) {
        (Some(path), _) => Some(path.as_str().as_bytes()),
        (None, authority) => authority.map(|a| a.as_str().as_bytes()),
    };
    let target = (from_uri != Some(req.raw_path())).then(|| req.raw_path().to_vec());
    let end_stream = req.send_end_stream();
    let placeholder = RequestHeader::from(http::Request::new(()).into_parts().0);
    let mut parts = ReqParts::from(std::mem::replace(req, placeholder));
    parts.headers.reserve(ADDED);
    let rewritten = rewrite(&mut parts);
    *req = RequestHeader::from(parts);
    if let Some(target) = target {
        req.set_raw_path(&target)?;
    }
    if let Some(end_stream) = end_stream {
        req.set_send_end_stream(end_stream);
    }
    rewritten
        .map_err(|_| Error::explain(ErrorType::InvalidHTTPHeader, "invalid value while insert"))
}
