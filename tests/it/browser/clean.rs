//! What a page must not do, read from the browser's own logs: any console
//! error (a script error, a CSP violation, a resource that failed) and any
//! request to a host other than the gateway (fonts, scripts, trackers).
//! chromedriver keeps the console (`browser`) and the DevTools Network
//! events (`performance`) because `driver.rs` asks for both.

use super::driver::{SessionPost, Tab};
use serde_json::{Value as Json, json};

impl Tab {
    /// Entries of chromedriver's log `kind` since the last read.
    async fn log_entries(&self, kind: &str) -> Vec<Json> {
        let entries = self
            .client
            .issue_cmd(SessionPost {
                path: "se/log",
                body: json!({ "type": kind }),
            })
            .await
            .unwrap_or_else(|e| panic!("{}: read the {kind} log: {e}", self.name));
        entries.as_array().cloned().unwrap_or_default()
    }

    /// Fails on any console message of level SEVERE (JavaScript errors, CSP
    /// violations, resources that did not load) and on any request the page
    /// made to a host other than the gateway, since the last call.
    ///
    /// A page that answers with an error status on purpose (a wrong code is
    /// 422, the locked page 423, …) makes Chromium log "the server responded
    /// with a status of N" for the document itself: `expected_statuses` lists
    /// those, and only for the gateway's own pages.
    ///
    /// The browser asks every page's origin for `/favicon.ico` unless the
    /// page names an icon. mfa-gate's pages name one (so that a user who
    /// may not reach the app yet gets no failed request); the demo app has
    /// none and answers 404. So: a request for `/favicon.ico` from one of
    /// the gateway's pages is a failure, its 404 from the app's pages is not.
    pub async fn assert_clean(&self, expected_statuses: &[u16]) {
        let mut problems = Vec::new();
        let favicon = format!("{}/favicon.ico", self.origin);
        for entry in self.log_entries("browser").await {
            if entry["level"] != "SEVERE" {
                continue;
            }
            let message = entry["message"].as_str().unwrap_or_default();
            let expected = expected_statuses.iter().any(|s| {
                message.starts_with(&format!("{}/", self.origin))
                    && message.contains(&format!("the server responded with a status of {s} "))
            });
            let app_favicon = message.starts_with(&format!("{favicon} "))
                && message.contains("the server responded with a status of 404 ");
            if !expected && !app_favicon {
                problems.push(format!("console: {message}"));
            }
        }
        let gateway_pages = format!("{}/_mfa/", self.origin);
        for entry in self.log_entries("performance").await {
            let message: Json = entry["message"]
                .as_str()
                .and_then(|m| serde_json::from_str(m).ok())
                .unwrap_or_default();
            let message = &message["message"];
            if message["method"] != "Network.requestWillBeSent" {
                continue;
            }
            let params = &message["params"];
            let url = params["request"]["url"].as_str().unwrap_or_default();
            let document = params["documentURL"].as_str().unwrap_or_default();
            // Only what goes over the network counts (not `data:`, nor
            // the browser's own `chrome://` pages such as the first tab).
            let network = ["http:", "https:", "ws:", "wss:", "ftp:"]
                .iter()
                .any(|scheme| url.starts_with(scheme));
            if network && !url.starts_with(&format!("{}/", self.origin)) {
                problems.push(format!("request to another host: {url} (from {document})"));
            }
            if url == favicon && document.starts_with(&gateway_pages) {
                problems.push(format!("{document} made the browser fetch {url}"));
            }
        }
        assert!(
            problems.is_empty(),
            "{} on {}:\n{}",
            self.name,
            self.path().await,
            problems.join("\n")
        );
    }
}
