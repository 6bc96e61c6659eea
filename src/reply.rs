//! Every HTTP answer mfa-gate makes itself — the proxy's pages, the admin
//! API and the demo app — as one value, [`Reply`], and the pingora plumbing
//! around it: [`read_body`] reads a request body under a limit (`body.rs`),
//! [`write`] puts a `Reply` on the wire and [`ReplyServer`] runs an app that
//! answers with `Reply`s on its own listener (`write.rs`). Handlers build a
//! `Reply` without knowing pingora; only this module and the services that
//! call it touch a session.

use std::borrow::Cow;

/// A complete answer: status, headers, body. `Content-Length` and (unless
/// a header says otherwise) `Cache-Control: no-store` are added by
/// [`write`]; each service passes its own extra headers there.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    /// Names are ours (static) or, for configured ones, owned.
    pub headers: Vec<(Cow<'static, str>, String)>,
    pub body: Vec<u8>,
}

/// The Content-Security-Policy of our pages: no script at all.
pub const PAGE_CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
/// The same for the pages that offer passkeys: our own script file, no
/// other (no inline script, no eval).
pub const PAGE_CSP_WITH_SCRIPT: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

impl Reply {
    /// This page runs our script file (`PAGE_CSP_WITH_SCRIPT`).
    pub fn with_script(self) -> Reply {
        self.with_header("Content-Security-Policy", PAGE_CSP_WITH_SCRIPT.into())
    }

    /// Whether this page asked to run our script (`with_script`).
    pub fn wants_script(&self) -> bool {
        self.headers.iter().any(|(n, v)| {
            n.eq_ignore_ascii_case("Content-Security-Policy") && v == PAGE_CSP_WITH_SCRIPT
        })
    }

    /// A rendered page.
    pub fn html(status: u16, markup: maud::Markup) -> Reply {
        Reply::typed(status, "text/html; charset=utf-8", markup.into_string())
    }

    /// `303 See Other` to `location`, without a body.
    pub fn redirect(location: &str) -> Reply {
        Reply {
            status: 303,
            headers: vec![("Location".into(), location.to_owned())],
            body: Vec::new(),
        }
    }

    pub fn json(status: u16, value: serde_json::Value) -> Reply {
        Reply::typed(status, "application/json", value.to_string())
    }

    /// Plain text (the demo's bare error answers).
    pub fn text(status: u16, text: &str) -> Reply {
        Reply::typed(status, "text/plain; charset=utf-8", text)
    }

    /// A body of any type.
    pub fn typed(status: u16, content_type: &str, body: impl Into<Vec<u8>>) -> Reply {
        Reply {
            status,
            headers: vec![("Content-Type".into(), content_type.to_owned())],
            body: body.into(),
        }
    }

    /// `200` with `value` as JSON (a value that cannot be encoded is a 500
    /// `{"error": "internal"}`, logged).
    pub fn data<T: serde::Serialize>(value: &T) -> Reply {
        match serde_json::to_vec(value) {
            Ok(body) => Reply::typed(200, "application/json", body),
            Err(e) => {
                tracing::error!(error = %e, "cannot encode an answer");
                Reply::error(500, "internal")
            }
        }
    }

    /// `{"error": error}` with `status`.
    pub fn error(status: u16, error: &str) -> Reply {
        Reply::json(status, serde_json::json!({ "error": error }))
    }

    /// One more header (appended: several `Set-Cookie` may go out).
    pub fn with_header(mut self, name: impl Into<Cow<'static, str>>, value: String) -> Reply {
        self.headers.push((name.into(), value));
        self
    }

    /// The first value of header `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

#[cfg(test)]
mod tests;
