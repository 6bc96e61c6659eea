//! A browser-like HTTP client: keeps cookies (as `Set-Cookie` sets and
//! clears them), sends `Accept-Language`, never follows redirects, so tests
//! see every hop; and `Resp`, an answer read whole, with the few page
//! readers the tests need (a form field's value, a link's target, JSON).

use reqwest::header::HeaderMap;
use std::collections::BTreeMap;
use std::time::Duration;

#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: String,
}

impl Resp {
    /// Reads the whole answer (an unreadable body reads as empty).
    pub async fn read(r: reqwest::Response) -> Resp {
        Resp {
            status: r.status().as_u16(),
            headers: r.headers().clone(),
            body: r.text().await.unwrap_or_default(),
        }
    }

    pub fn location(&self) -> Option<&str> {
        self.headers.get("location").and_then(|v| v.to_str().ok())
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Whether the upstream app (the demo or a `FakeApp`) answered.
    pub fn came_from_app(&self) -> bool {
        self.header("x-demo-app") == Some("1")
    }

    /// The value of `<input … name="NAME" value="…">` in the page.
    pub fn input_value(&self, name: &str) -> Option<String> {
        let needle = format!("name=\"{name}\" value=\"");
        let start = self.body.find(&needle)? + needle.len();
        let end = self.body[start..].find('"')? + start;
        Some(html_unescape(&self.body[start..end]))
    }

    /// The `href` of the element with `id`.
    pub fn href_of(&self, id: &str) -> Option<String> {
        let needle = format!("id=\"{id}\" href=\"");
        let start = self.body.find(&needle)? + needle.len();
        let end = self.body[start..].find('"')? + start;
        Some(html_unescape(&self.body[start..end]))
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

pub(super) fn html_unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// A browser-like client: keeps cookies, sends `Accept: text/html`, never
/// follows redirects.
pub struct Browser {
    client: reqwest::Client,
    base: String,
    pub cookies: BTreeMap<String, String>,
    pub accept_language: String,
}

impl Browser {
    pub fn new(base: String) -> Browser {
        Browser {
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            base,
            cookies: BTreeMap::new(),
            accept_language: "en".into(),
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// `rb` with this browser's language and cookies.
    fn prepare(&self, rb: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        let rb = rb.header("accept-language", &self.accept_language);
        if self.cookies.is_empty() {
            rb
        } else {
            rb.header("cookie", self.cookie_header())
        }
    }

    /// Applies each well-formed `Set-Cookie` of `headers` to the jar;
    /// the malformed ones are skipped and returned.
    fn take_cookies(&mut self, headers: &HeaderMap) -> Vec<String> {
        let mut malformed = Vec::new();
        for sc in headers.get_all("set-cookie") {
            let Ok(sc) = sc.to_str() else {
                malformed.push(format!("{sc:?}"));
                continue;
            };
            let (pair, attrs) = sc.split_once(';').unwrap_or((sc, ""));
            let Some((name, value)) = pair.split_once('=') else {
                malformed.push(sc.to_owned());
                continue;
            };
            if attrs.contains("Max-Age=0") || value.is_empty() {
                self.cookies.remove(name.trim());
            } else {
                self.cookies.insert(name.trim().into(), value.trim().into());
            }
        }
        malformed
    }

    async fn send(&mut self, rb: reqwest::RequestBuilder) -> Resp {
        let r = self.prepare(rb).send().await.expect("request");
        let malformed = self.take_cookies(r.headers());
        assert!(malformed.is_empty(), "malformed Set-Cookie: {malformed:?}");
        Resp::read(r).await
    }

    fn get_request(&self, path: &str) -> reqwest::RequestBuilder {
        self.client
            .get(format!("{}{path}", self.base))
            .header("accept", "text/html,application/xhtml+xml,*/*;q=0.8")
    }

    /// A browser's form POST (not yet sent).
    fn form_request(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::RequestBuilder {
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields)
            .finish();
        self.client
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("accept", "text/html")
            .body(body)
    }

    /// A navigation (GET, accepts HTML).
    pub async fn get(&mut self, path: &str) -> Resp {
        let rb = self.get_request(path);
        self.send(rb).await
    }

    /// An API call (GET, JSON).
    pub async fn api_get(&mut self, path: &str) -> Resp {
        let rb = self
            .client
            .get(format!("{}{path}", self.base))
            .header("accept", "application/json")
            .header("x-requested-with", "XMLHttpRequest");
        self.send(rb).await
    }

    pub async fn post_form(&mut self, path: &str, fields: &[(&str, &str)]) -> Resp {
        let rb = self.form_request(path, fields);
        self.send(rb).await
    }

    pub async fn post_raw(&mut self, path: &str, content_type: &str, body: Vec<u8>) -> Resp {
        let rb = self
            .client
            .post(format!("{}{path}", self.base))
            .header("content-type", content_type)
            .body(body);
        self.send(rb).await
    }
}

/// Requests that may meet a dead gateway (the crash test kills it while
/// requests are in flight): a transport error is `None`, not a panic.
impl Browser {
    async fn try_send(&mut self, rb: reqwest::RequestBuilder) -> Option<Resp> {
        let r = self
            .prepare(rb)
            .timeout(Duration::from_secs(20))
            .send()
            .await
            .ok()?;
        let status = r.status().as_u16();
        let headers = r.headers().clone();
        // A response is only "received" once its body is complete.
        let body = r.text().await.ok()?;
        // A half-written Set-Cookie of a dying gateway is not a panic.
        self.take_cookies(&headers);
        Some(Resp {
            status,
            headers,
            body,
        })
    }

    /// `get` that survives a dead gateway.
    pub async fn try_get(&mut self, path: &str) -> Option<Resp> {
        let rb = self.get_request(path);
        self.try_send(rb).await
    }

    /// `post_form` that survives a dead gateway.
    pub async fn try_post_form(&mut self, path: &str, fields: &[(&str, &str)]) -> Option<Resp> {
        let rb = self.form_request(path, fields);
        self.try_send(rb).await
    }
}
