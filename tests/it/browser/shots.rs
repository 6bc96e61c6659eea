//! Viewports and screenshots. Every page a flow visits is photographed at a
//! desktop size and at a phone size (390×844, mobile emulation: the page's
//! `viewport` meta tag applies), full length, as
//! `{page}-{lang}-{desktop|phone}.png`; at the phone size the page must not
//! scroll sideways and no field or button may stick out.
//!
//! The pictures go to `target/tmp/screenshots/` on every run, and to the
//! directory named by `MFA_GATE_SCREENSHOTS` instead when it is set:
//! `bash scripts/test.sh --screenshots` sets it to `docs/screenshots/`, the
//! committed set docs/pages.md shows. (QR codes and backup codes are random, so
//! writing into the repository on every run would dirty it every time.)

use super::driver::Tab;
use serde_json::{Value as Json, json};
use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

pub const DESKTOP: (u32, u32) = (1280, 800);
pub const PHONE: (u32, u32) = (390, 844);

/// Where the screenshots of this run go.
pub fn dir() -> PathBuf {
    let dir = match std::env::var_os("MFA_GATE_SCREENSHOTS") {
        Some(d) => {
            let d = PathBuf::from(d);
            if d.is_relative() {
                PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(d)
            } else {
                d
            }
        }
        None => PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("screenshots"),
    };
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Japanese text is drawn as empty boxes without a Japanese font: such a
/// screenshot would show nothing a user reads.
pub(super) fn assert_japanese_font() {
    static FOUND: OnceLock<bool> = OnceLock::new();
    let found = *FOUND.get_or_init(|| {
        Command::new("fc-list")
            .args([":lang=ja", "family"])
            .output()
            .is_ok_and(|out| !out.stdout.is_empty())
    });
    assert!(
        found,
        "no Japanese font: run `bash scripts/test.sh` (it installs one) or \
         `apt-get install fonts-ipafont-gothic`"
    );
}

impl Tab {
    /// Renders the page at a phone's size (touch, `viewport` meta honoured).
    pub async fn phone(&self) {
        let (width, height) = PHONE;
        self.cdp(
            "Emulation.setDeviceMetricsOverride",
            json!({ "width": width, "height": height, "deviceScaleFactor": 1, "mobile": true }),
        )
        .await;
        let inner = self.js("return window.innerWidth").await;
        assert_eq!(inner, json!(width), "phone emulation took effect");
    }

    /// Back to the desktop window.
    pub async fn desktop(&self) {
        self.cdp("Emulation.clearDeviceMetricsOverride", json!({}))
            .await;
    }

    /// At the current (phone) size: the page does not scroll sideways,
    /// every field and button lies within the width of the screen, and
    /// backup codes side by side leave room for the numbers between them.
    pub async fn assert_fits_width(&self) {
        let report = self
            .js(r#"
                const d = document.documentElement, w = window.innerWidth, out = [];
                if (d.scrollWidth > w) out.push(`page is ${d.scrollWidth}px wide in a ${w}px viewport`);
                for (const el of document.querySelectorAll('input:not([type=hidden]), button, a.button, figure.qr, code')) {
                    const r = el.getBoundingClientRect();
                    if (r.width > 0 && (r.left < 0 || r.right > w))
                        out.push(`${el.outerHTML.slice(0, 80)} spans x=${r.left}..${r.right}`);
                }
                // Backup codes side by side leave room for the next
                // column's numbers ("10."), about two characters' width.
                const codes = [...document.querySelectorAll('ol.codes code')].map(c => c.getBoundingClientRect());
                const em = parseFloat(getComputedStyle(document.querySelector('ol.codes') || d).fontSize);
                for (const a of codes) for (const b of codes) {
                    const sameRow = a.top < b.bottom && b.top < a.bottom;
                    if (sameRow && b.left > a.left && b.left - a.right < 2 * em)
                        out.push(`backup codes in two columns ${b.left - a.right}px apart: the numbers overlap`);
                }
                return out;
            "#)
            .await;
        assert_eq!(
            report,
            json!([]),
            "{}: {} does not fit the phone screen",
            self.name,
            self.path().await
        );
    }

    /// Whether the element `css` is entirely on the first screen (no
    /// scrolling needed to see it).
    pub async fn on_first_screen(&self, css: &str) -> bool {
        let script = format!(
            "const r = document.querySelector({css:?}).getBoundingClientRect();
             return r.width > 0 && r.height > 0 && r.left >= 0 && r.top >= 0
                 && r.right <= window.innerWidth && r.bottom <= window.innerHeight;"
        );
        self.js(&script).await == Json::Bool(true)
    }

    /// Screenshots of the page shown now, desktop and phone, named
    /// `{page}-{lang}-…`, after checking the phone layout and that the
    /// page made no console error and no foreign request; then the AA
    /// checks of `aa.rs` at both widths, light and dark.
    pub async fn shoot(&self, page: &str, expected_status: &[u16]) {
        self.assert_clean(expected_status).await;
        let lang = self.lang().await;
        if lang == "ja" {
            assert_japanese_font();
        }
        self.save(&format!("{page}-{lang}-desktop.png"), DESKTOP.0)
            .await;
        self.phone().await;
        self.assert_fits_width().await;
        self.save(&format!("{page}-{lang}-phone.png"), PHONE.0)
            .await;
        self.desktop().await;
        self.assert_aa_everywhere().await;
        self.assert_clean(expected_status).await;
    }

    /// A full-length PNG of the page at `width` CSS pixels.
    pub(super) async fn save(&self, file: &str, width: u32) {
        let height = self
            .js("return Math.max(document.documentElement.scrollHeight, window.innerHeight)")
            .await
            .as_f64()
            .unwrap();
        let shot = self
            .cdp(
                "Page.captureScreenshot",
                json!({
                    "format": "png",
                    "captureBeyondViewport": true,
                    "clip": { "x": 0, "y": 0, "width": width, "height": height, "scale": 1 },
                }),
            )
            .await;
        let data = shot["data"].as_str().expect("screenshot data");
        let png = base64::Engine::decode(&base64::engine::general_purpose::STANDARD, data).unwrap();
        std::fs::write(dir().join(file), png).unwrap();
    }
}
