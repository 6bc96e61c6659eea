//! The emails of `mfa-gate demo` (issue 17): the demo writes each message
//! it would send as an `.eml` file into its data directory's `emails/`.
//! Taro (English) and Sato (Japanese) turn two-step verification on in a
//! real browser; each gets one message, in his language, whose HTML part
//! the browser then renders and photographs (`email-enabled-{lang}`). The
//! message says what happened and never holds a backup code or the secret.
//!
//! The `.eml` is read with a small MIME reader written here (headers,
//! RFC 2047 encoded words, `multipart/alternative`, quoted-printable and
//! base64 bodies): it reads the messages lettre writes, nothing more.

use super::driver::{ChromeDriver, Tab};
use super::msg;
use super::shots;
use crate::harness::{Gateway, TARO, codes};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use fantoccini::key::Key;
use std::path::Path;
use std::time::{Duration, Instant};

/// A Japanese-speaking employee of globex (2FA required there).
const SATO: &str = "sato@globex.example";

/// The demo's sender (`config/demo.yaml`, `notify.email.from`), as
/// lettre writes it (the name quoted).
const DEMO_FROM: &str = "\"Demo App\" <mfa-gate@demo.example>";

/// What an enrollment in the browser showed: the secret and the codes.
struct Shown {
    secret: Vec<u8>,
    backup_codes: Vec<String>,
}

/// Logs `email` in, is sent to enrollment, reads the secret off the page,
/// confirms with a typed code and reads the backup codes shown.
async fn enroll_in_browser(tab: &Tab, email: &str, lang: &str) -> Shown {
    tab.login(email).await;
    tab.wait_path("/_mfa/enroll").await;
    tab.assert_page(lang, "enroll.title").await;
    let uri = tab
        .find("#otpauth-link")
        .await
        .attr("href")
        .await
        .unwrap()
        .unwrap();
    let secret = codes::secret_from_uri(&uri);
    assert_eq!(
        tab.focused_id().await,
        "",
        "{}: no autofocus below the steps",
        tab.name
    );
    tab.click("#code").await;
    let code = codes::code(&secret, codes::now_step(), 6);
    tab.type_keys(&format!("{code}{}", char::from(Key::Enter)))
        .await;
    tab.wait_page(lang, "backup.title").await;
    let mut backup_codes = Vec::new();
    for li in tab.find_all("ol.codes li").await {
        backup_codes.push(li.text().await.unwrap());
    }
    assert_eq!(backup_codes.len(), 10, "{backup_codes:?}");
    Shown {
        secret,
        backup_codes,
    }
}

/// One parsed `.eml` file.
struct Mail {
    file: String,
    raw: String,
    headers: Vec<(String, String)>,
    body: String,
}

impl Mail {
    fn parse(file: &str, raw: &str) -> Mail {
        let (headers, body) = split_headers(raw);
        Mail {
            file: file.to_owned(),
            raw: raw.to_owned(),
            headers,
            body: body.to_owned(),
        }
    }

    /// The (decoded) value of the first header `name`.
    fn header(&self, name: &str) -> String {
        header(&self.headers, name)
            .map(decode_words)
            .unwrap_or_else(|| panic!("{}: no {name} header:\n{}", self.file, self.raw))
    }

    /// The `text/html` part of the `multipart/alternative` body, decoded,
    /// with its own `Content-Type` (which names the charset).
    fn html_part(&self) -> (String, String) {
        let content_type = self.header("Content-Type");
        assert!(
            content_type.starts_with("multipart/alternative"),
            "{}: {content_type}",
            self.file
        );
        let boundary = param(&content_type, "boundary")
            .unwrap_or_else(|| panic!("{}: no boundary in {content_type}", self.file));
        let delimiter = format!("--{boundary}");
        for part in self.body.split(delimiter.as_str()).skip(1) {
            if part.starts_with("--") {
                break;
            }
            let part = part.strip_prefix("\r\n").unwrap_or(part);
            let (headers, body) = split_headers(part);
            let Some(kind) = header(&headers, "Content-Type") else {
                continue;
            };
            if !kind.to_ascii_lowercase().starts_with("text/html") {
                continue;
            }
            let body = body.strip_suffix("\r\n").unwrap_or(body);
            let encoding = header(&headers, "Content-Transfer-Encoding").unwrap_or("7bit");
            let bytes = match encoding.to_ascii_lowercase().as_str() {
                "7bit" | "8bit" | "binary" => body.as_bytes().to_vec(),
                "quoted-printable" => quoted_printable(body),
                "base64" => BASE64
                    .decode(body.split_whitespace().collect::<String>())
                    .unwrap_or_else(|e| panic!("{}: base64 HTML: {e}", self.file)),
                other => panic!("{}: unexpected transfer encoding {other}", self.file),
            };
            let html = String::from_utf8(bytes).expect("the HTML part is UTF-8");
            return (kind.to_owned(), html);
        }
        panic!("{}: no text/html part:\n{}", self.file, self.raw);
    }
}

/// Headers (unfolded) and body of a message or a MIME part.
fn split_headers(raw: &str) -> (Vec<(String, String)>, &str) {
    let (head, body) = raw
        .split_once("\r\n\r\n")
        .unwrap_or_else(|| panic!("no blank line after the headers:\n{raw}"));
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in head.split("\r\n") {
        if line.starts_with([' ', '\t']) {
            if let Some((_, value)) = headers.last_mut() {
                value.push_str(line);
            }
        } else if let Some((name, value)) = line.split_once(':') {
            headers.push((name.trim().to_owned(), value.trim().to_owned()));
        }
    }
    (headers, body)
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// The parameter `name` of a header value such as `multipart/…; boundary="x"`.
fn param(value: &str, name: &str) -> Option<String> {
    value.split(';').skip(1).find_map(|p| {
        let (n, v) = p.trim().split_once('=')?;
        n.eq_ignore_ascii_case(name)
            .then(|| v.trim_matches('"').to_owned())
    })
}

/// RFC 2047: `=?utf-8?b?…?=` and `=?utf-8?q?…?=` words decoded; the
/// whitespace between two encoded words dropped, other text kept.
fn decode_words(value: &str) -> String {
    let mut out = String::new();
    let mut pending_space = String::new();
    let mut last_was_word = false;
    for token in value.split_inclusive([' ', '\t']) {
        let word = token.trim_end_matches([' ', '\t']);
        let space = &token[word.len()..];
        let decoded = word
            .strip_prefix("=?")
            .and_then(|w| w.strip_suffix("?="))
            .and_then(|w| {
                let mut it = w.splitn(3, '?');
                let (_charset, kind, text) = (it.next()?, it.next()?, it.next()?);
                let bytes = match kind {
                    "b" | "B" => BASE64.decode(text).ok()?,
                    "q" | "Q" => quoted_printable(&text.replace('_', " ")),
                    _ => return None,
                };
                String::from_utf8(bytes).ok()
            });
        match decoded {
            Some(text) => {
                if !last_was_word {
                    out.push_str(&pending_space);
                }
                out.push_str(&text);
                last_was_word = true;
            }
            None => {
                out.push_str(&pending_space);
                out.push_str(word);
                last_was_word = false;
            }
        }
        pending_space = space.to_owned();
    }
    out
}

/// Quoted-printable (RFC 2045 §6.7): `=XX` bytes, `=` at a line end a soft
/// break.
fn quoted_printable(text: &str) -> Vec<u8> {
    let text = text.replace("=\r\n", "").replace("=\n", "");
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| u8::from_str_radix(std::str::from_utf8(h).ok()?, 16).ok());
        match (bytes[i], hex) {
            (b'=', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    out
}

/// Every message written into `dir` so far.
fn mails_in(dir: &Path) -> Vec<Mail> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut mails = Vec::new();
    for path in entries.filter_map(|e| e.ok().map(|e| e.path())) {
        if path.extension().is_none_or(|x| x != "eml") {
            continue;
        }
        // A file being written may be empty or cut short: read it again
        // on the next poll.
        let Ok(raw) = std::fs::read_to_string(&path) else {
            continue;
        };
        if !raw.contains("\r\n\r\n") || !raw.trim_end().ends_with("--") {
            continue;
        }
        let file = path.file_name().unwrap().to_string_lossy().into_owned();
        mails.push(Mail::parse(&file, &raw));
    }
    mails
}

/// Waits (10 s at most) for the message to `to` in `dir`; asserts it is
/// the only one to that address.
async fn wait_mail_to(dir: &Path, to: &str) -> Mail {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let mut mine: Vec<Mail> = mails_in(dir)
            .into_iter()
            .filter(|m| m.header("To") == to)
            .collect();
        if let Some(mail) = mine.pop() {
            assert!(mine.is_empty(), "two messages to {to} in {}", dir.display());
            return mail;
        }
        assert!(
            Instant::now() < deadline,
            "no message to {to} in {} within 10 s; there: {:?}",
            dir.display(),
            mails_in(dir).iter().map(|m| &m.file).collect::<Vec<_>>()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Asserts that `text` holds none of what the enrollment showed.
fn assert_no_secret(what: &str, text: &str, shown: &Shown) {
    let folded = text.to_ascii_uppercase();
    let secret = data_encoding::BASE32_NOPAD.encode(&shown.secret);
    assert!(!folded.contains(&secret), "{what} holds the TOTP secret");
    // The key as the page shows it, in groups of four.
    let grouped: Vec<String> = secret
        .as_bytes()
        .chunks(4)
        .map(|g| String::from_utf8_lossy(g).into_owned())
        .collect();
    assert!(
        !folded.contains(&grouped.join(" ")),
        "{what} holds the TOTP secret as shown"
    );
    for code in &shown.backup_codes {
        assert!(
            !folded.contains(&code.to_ascii_uppercase()),
            "{what} holds the backup code {code}"
        );
    }
}

#[tokio::test]
async fn the_demo_writes_the_enabled_email_and_the_browser_renders_it() {
    let data = tempfile::tempdir().unwrap();
    let gw = Gateway::demo_on(data.path()).await;
    let outbox = data.path().join("emails");
    let chrome = ChromeDriver::start().await;

    for (account, lang) in [(TARO, "en"), (SATO, "ja")] {
        let tab = chrome.open(&gw, &format!("{lang}-mail"), lang).await;
        let shown = enroll_in_browser(&tab, account, lang).await;

        let mail = wait_mail_to(&outbox, account).await;
        assert_eq!(mail.header("From"), DEMO_FROM, "{}", mail.file);
        assert_eq!(
            mail.header("Subject"),
            msg(lang, "notify.subject.enabled"),
            "{}",
            mail.file
        );
        assert_no_secret(&mail.file, &mail.raw, &shown);

        // The HTML part as a mail client shows it: its own content type
        // (with the charset) tells the browser how to read it.
        let (content_type, html) = mail.html_part();
        assert_no_secret(&format!("{} (HTML)", mail.file), &html, &shown);
        let url = format!("data:{content_type};base64,{}", BASE64.encode(&html));
        tab.client.goto(&url).await.unwrap();
        let text = tab.text("body").await;
        for key in ["notify.body.enabled", "notify.not_you", "notify.footer"] {
            let line = msg(lang, key);
            assert!(
                text.contains(&line),
                "{}: no {line:?} in\n{text}",
                mail.file
            );
        }
        let greeting = msg(lang, "notify.greeting")
            .replace("{app}", "Demo App")
            .replace("{account}", account);
        assert!(text.contains(&greeting), "{}: {text}", mail.file);
        assert_no_secret(&format!("{} (rendered)", mail.file), &text, &shown);
        // Only what the message holds: no console error, no request for a
        // remote image or font. One desktop-wide picture: the HTML is meant
        // for mail clients, which lay it out themselves (it has no viewport
        // tag for the phone emulation of `shoot`).
        tab.assert_clean(&[]).await;
        if lang == "ja" {
            shots::assert_japanese_font();
        }
        tab.save(&format!("email-enabled-{lang}.png"), shots::DESKTOP.0)
            .await;
        tab.close().await;
    }
}
