//! How a whoami call reaches the app: the request of the configured
//! method, path and headers, with the session's cookie (and `Host`, when
//! the session names one), and the answer's status and body (read only for
//! a 200, at most `MAX_BODY`). A plain-`http` upstream is asked over the
//! light pooled HTTP/1.1 transport (`http1.rs`, issue 35 §4); an `https`
//! one, or a whoami path only a URL parser would accept, through reqwest
//! (rustls with the system's roots). Both follow no redirect, and bound
//! the connect and the whole call by `whoami_timeout`.

use super::IdentityError;
use super::http1::{Answer, CallError, Http1Pool};
use crate::config::{WhoamiConfig, WhoamiMethod};
use http::header::{ACCEPT, COOKIE, HOST};
use http::{HeaderValue, Method, Uri};

/// Largest whoami answer we read.
const MAX_BODY: usize = 64 * 1024;

/// The client of one whoami endpoint.
pub enum Transport {
    /// `http://`: hyper, driven by the caller, with its own pool.
    Plain {
        pool: Http1Pool,
        /// The whoami path (and query), as sent.
        target: Uri,
        /// `Host` unless the session names one: the upstream address,
        /// without the default port (as a URL client writes it).
        host: HeaderValue,
    },
    /// `https://` (or an odd path): reqwest.
    Reqwest {
        client: reqwest::Client,
        url: String,
    },
}

impl Transport {
    pub fn new(cfg: &WhoamiConfig, upstream_base: &str) -> Result<Transport, IdentityError> {
        let plain = upstream_base.strip_prefix("http://").and_then(|address| {
            let target = cfg.whoami_path.parse::<Uri>().ok()?;
            let host = address.strip_suffix(":80").unwrap_or(address);
            let host = HeaderValue::from_str(host).ok()?;
            Some(Transport::Plain {
                pool: Http1Pool::new(address, cfg.whoami_timeout, MAX_BODY),
                target,
                host,
            })
        });
        if let Some(plain) = plain {
            return Ok(plain);
        }
        let client = reqwest::Client::builder()
            .timeout(cfg.whoami_timeout)
            .connect_timeout(cfg.whoami_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .pool_max_idle_per_host(64)
            .build()
            .map_err(|e| IdentityError::Unreachable(e.to_string()))?;
        let url = format!("{upstream_base}{}", cfg.whoami_path);
        Ok(Transport::Reqwest { client, url })
    }

    /// Ask with the session's `cookie` header (and `host`, if it names
    /// one): the status, and the body of a 200.
    pub async fn ask(
        &self,
        cfg: &WhoamiConfig,
        cookie: &str,
        host: Option<&str>,
    ) -> Result<Answer, IdentityError> {
        match self {
            Transport::Plain {
                pool,
                target,
                host: address,
            } => {
                pool.call(|| plain_request(cfg, target, address, cookie, host))
                    .await
            }
            Transport::Reqwest { client, url } => reqwest_ask(client, url, cfg, cookie, host).await,
        }
    }
}

fn plain_request(
    cfg: &WhoamiConfig,
    target: &Uri,
    address: &HeaderValue,
    cookie: &str,
    host: Option<&str>,
) -> Result<super::http1::Request, IdentityError> {
    let mut request = super::http1::Request::default();
    *request.method_mut() = match cfg.whoami_method {
        WhoamiMethod::Get => Method::GET,
        WhoamiMethod::Post => Method::POST,
    };
    *request.uri_mut() = target.clone();
    let headers = request.headers_mut();
    let value = |text: &str| {
        HeaderValue::from_str(text)
            .map_err(|_| IdentityError::Unreachable("invalid header value".into()))
    };
    headers.insert(
        HOST,
        match host {
            Some(host) => value(host)?,
            None => address.clone(),
        },
    );
    headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
    for (name, value) in &cfg.whoami_headers {
        headers.append(name, value.clone());
    }
    headers.insert(COOKIE, value(cookie)?);
    Ok(request)
}

impl From<CallError> for IdentityError {
    fn from(e: CallError) -> IdentityError {
        match e {
            CallError::Timeout => IdentityError::Timeout,
            CallError::TooLarge(_) => too_large(),
            other => IdentityError::Unreachable(other.to_string()),
        }
    }
}

fn too_large() -> IdentityError {
    IdentityError::BadAnswer("body over 64 KiB".into())
}

async fn reqwest_ask(
    client: &reqwest::Client,
    url: &str,
    cfg: &WhoamiConfig,
    cookie: &str,
    host: Option<&str>,
) -> Result<Answer, IdentityError> {
    let mut request = match cfg.whoami_method {
        WhoamiMethod::Get => client.get(url),
        WhoamiMethod::Post => client.post(url),
    }
    .header(ACCEPT, "application/json");
    for (name, value) in &cfg.whoami_headers {
        request = request.header(name, value);
    }
    if let Some(host) = host {
        request = request.header(HOST, host);
    }
    let mut response = request
        .header(COOKIE, cookie)
        .send()
        .await
        .map_err(classify)?;
    let status = response.status().as_u16();
    let mut body = Vec::new();
    if status != 200 {
        return Ok(Answer { status, body });
    }
    while let Some(chunk) = response.chunk().await.map_err(classify)? {
        if body.len() + chunk.len() > MAX_BODY {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Answer { status, body })
}

fn classify(e: reqwest::Error) -> IdentityError {
    if e.is_timeout() {
        IdentityError::Timeout
    } else {
        IdentityError::Unreachable(e.to_string())
    }
}

#[cfg(test)]
mod tests;
