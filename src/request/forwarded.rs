//! The request a front asks about (forward auth). The front describes it in
//! headers: nginx `auth_request` in the ones its configuration sets
//! (`X-Original-URI`, `X-Original-Method`; ingress-nginx `X-Original-URL`),
//! Traefik ForwardAuth and Caddy `forward_auth` in `X-Forwarded-Method`,
//! `-Proto`, `-Host` and `-Uri`. [`original`] rebuilds that request — its
//! method, its raw target as the app will receive it, its host, and every
//! other header of the ask (the `Cookie` the front forwards is the one the
//! app will read) — so that `RequestHead::read` reads it exactly as the
//! inline proxy reads a request. Only a trusted front may ask (the caller
//! checks). Pure.

use http::request::Parts;
use http::{HeaderMap, HeaderName, HeaderValue};

/// How the front treats a denial.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Convention {
    /// nginx `auth_request`: only 2xx, 401 and 403 mean something; a
    /// denied navigation is a 401 naming our page in `X-Mfa-Location`, for
    /// `error_page 401 = @mfa` to redirect to.
    AuthRequest,
    /// Traefik, Caddy: the answer goes to the browser as it is, so a denied
    /// navigation is a redirect to our page.
    Redirect,
}

/// The request the front describes.
#[derive(Debug)]
pub struct Forwarded {
    pub parts: Parts,
    /// The target as the app will receive it (`/path?query`).
    pub raw_target: Vec<u8>,
    pub convention: Convention,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ForwardedError {
    #[error("no original URI (X-Forwarded-Uri, X-Original-URI or X-Original-URL)")]
    NoUri,
    #[error("the original request is described twice, or two ways")]
    Ambiguous,
    #[error("the original method or URI is not readable")]
    Unreadable,
}

impl ForwardedError {
    /// The `error` of the JSON answer.
    pub fn code(self) -> &'static str {
        match self {
            ForwardedError::NoUri => "no_original_uri",
            ForwardedError::Ambiguous => "ambiguous_original_request",
            ForwardedError::Unreadable => "unreadable_original_request",
        }
    }
}

/// The headers that describe the original request (not passed on to it).
const DESCRIBING: &[&str] = &[
    "x-forwarded-method",
    "x-forwarded-uri",
    "x-forwarded-host",
    "x-forwarded-proto",
    "x-original-uri",
    "x-original-url",
    "x-original-method",
];

/// Whether the raw request target `raw` asks the forward-auth endpoint
/// (`{prefix}/auth`, with or without a query): compared as bytes, so only
/// the one spelling in normal form is an ask.
pub fn is_ask(raw: &[u8], prefix: &str) -> bool {
    let Some(rest) = raw.strip_prefix(prefix.as_bytes()) else {
        return false;
    };
    rest == b"/auth" || rest.starts_with(b"/auth?")
}

/// The headers of `ask` that describe the original request, taken before
/// the arrival hygiene removes them (it removes `X-Original-URL` and its
/// kin from every request: an app could route on them).
pub fn describing(ask: &Parts) -> HeaderMap {
    let mut out = HeaderMap::new();
    for name in DESCRIBING {
        for value in ask.headers.get_all(*name) {
            out.append(HeaderName::from_static(name), value.clone());
        }
    }
    out
}

/// The original request the front describes in `describing` (see
/// [`describing`]), with the other headers of `ask`.
pub fn original(ask: &Parts, describing: &HeaderMap) -> Result<Forwarded, ForwardedError> {
    let headers = describing;
    let (raw_target, url_host, convention) = target(headers)?;
    let method = one(headers, "x-forwarded-method")?
        .or(one(headers, "x-original-method")?)
        .unwrap_or("GET");
    let method =
        http::Method::from_bytes(method.as_bytes()).map_err(|_| ForwardedError::Unreadable)?;
    let host = one(headers, "x-forwarded-host")?.or(url_host);
    let uri: http::Uri = std::str::from_utf8(&raw_target)
        .ok()
        .and_then(|t| t.parse().ok())
        .unwrap_or_else(|| http::Uri::from_static("/"));
    let mut parts = http::Request::builder()
        .method(method)
        .uri(uri)
        .body(())
        .map_err(|_| ForwardedError::Unreadable)?
        .into_parts()
        .0;
    parts.headers = passed_on(&ask.headers, host)?;
    Ok(Forwarded {
        parts,
        raw_target,
        convention,
    })
}

/// The original target, the host an `X-Original-URL` names, and the
/// convention its header tells.
fn target(headers: &HeaderMap) -> Result<(Vec<u8>, Option<&str>, Convention), ForwardedError> {
    let forwarded = one(headers, "x-forwarded-uri")?;
    let original = one(headers, "x-original-uri")?;
    let url = one(headers, "x-original-url")?;
    match (forwarded, original, url) {
        (Some(t), None, None) => Ok((origin_form(t)?, None, Convention::Redirect)),
        (None, Some(t), None) => Ok((origin_form(t)?, None, Convention::AuthRequest)),
        (None, None, Some(u)) => {
            let url = url::Url::parse(u).map_err(|_| ForwardedError::Unreadable)?;
            let start = u.find("://").map_or(0, |i| i + 3);
            let path_at = u[start..].find('/').map_or(u.len(), |i| start + i);
            let target = if path_at == u.len() {
                "/"
            } else {
                &u[path_at..]
            };
            let host = url.host_str().map(|_| &u[start..path_at]);
            Ok((origin_form(target)?, host, Convention::AuthRequest))
        }
        (None, None, None) => Err(ForwardedError::NoUri),
        _ => Err(ForwardedError::Ambiguous),
    }
}

/// An origin-form target (`/…`), as bytes.
fn origin_form(target: &str) -> Result<Vec<u8>, ForwardedError> {
    match target.starts_with('/') {
        true => Ok(target.as_bytes().to_vec()),
        false => Err(ForwardedError::Unreadable),
    }
}

/// The one value of `name`; two values are ambiguous.
fn one<'a>(headers: &'a HeaderMap, name: &str) -> Result<Option<&'a str>, ForwardedError> {
    let mut values = headers.get_all(name).iter();
    match (values.next(), values.next()) {
        (None, _) => Ok(None),
        (Some(v), None) => v.to_str().map(Some).map_err(|_| ForwardedError::Unreadable),
        (Some(_), Some(_)) => Err(ForwardedError::Ambiguous),
    }
}

/// The ask's headers as the original request's: without the describing
/// ones, with the original host.
fn passed_on(headers: &HeaderMap, host: Option<&str>) -> Result<HeaderMap, ForwardedError> {
    let mut out = HeaderMap::with_capacity(headers.len());
    for (name, value) in headers {
        if !DESCRIBING.contains(&name.as_str()) && name != http::header::HOST {
            out.append(name.clone(), value.clone());
        }
    }
    let host = match host {
        Some(h) => Some(HeaderValue::from_str(h).map_err(|_| ForwardedError::Unreadable)?),
        None => headers.get(http::header::HOST).cloned(),
    };
    if let Some(host) = host {
        out.insert(HeaderName::from_static("host"), host);
    }
    Ok(out)
}

#[cfg(test)]
mod tests;
