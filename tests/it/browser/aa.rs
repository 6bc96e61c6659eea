//! WCAG 2.2 AA, measured in the page rather than judged by eye: every
//! page `shoot` photographs is checked at the desktop width (1280 px) and
//! at a phone's (390 px), in the light and the dark colour scheme
//! (`prefers-color-scheme`, emulated through DevTools), in the language it
//! is shown in (`shoot_both` shows both):
//!
//! - the page does not scroll sideways (`scrollWidth <= innerWidth`);
//! - every visible piece of text has a contrast of at least 4.5:1 against
//!   the background it is drawn on (3:1 for large text: 24 px, or 18.66 px
//!   bold), the background being the element's and its ancestors' colours
//!   composited (SC 1.4.3);
//! - the border of every text field, and the focus ring of every text
//!   field once focused, reach 3:1 against what surrounds them (SC 1.4.11,
//!   2.4.13's contrast part): the ring against both the card and the page.
//!
//! Contrast is WCAG's relative-luminance ratio, computed in the page from
//! computed styles (the formula is in `SCRIPT`).

use super::driver::Tab;
use serde_json::{Value as Json, json};

/// The checks, run in the page; returns `{ problems, texts, fields, dark }`.
const SCRIPT: &str = r#"
const parse = s => {
    const m = /rgba?\(([^)]*)\)/.exec(s || '');
    if (!m) return null;
    const p = m[1].split(/[\s,\/]+/).filter(Boolean).map(Number);
    return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
};
const over = (top, under) => [0, 1, 2].map(i => top[i] * top[3] + under[i] * (1 - top[3])).concat([1]);
const lum = c => {
    const f = v => { v /= 255; return v <= 0.04045 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]);
};
const ratio = (a, b) => {
    const [hi, lo] = [lum(a), lum(b)].sort((x, y) => y - x);
    return (hi + 0.05) / (lo + 0.05);
};
// The colour behind `el`: its own background and its ancestors',
// composited from the first opaque one up (white if none is).
const background = el => {
    const layers = [];
    for (let e = el; e; e = e.parentElement) {
        const c = parse(getComputedStyle(e).backgroundColor);
        if (c && c[3] > 0) { layers.push(c); if (c[3] >= 1) break; }
    }
    let acc = [255, 255, 255, 1];
    for (const c of layers.reverse()) acc = over(c, acc);
    return acc;
};
const name = el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
    + (el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\s+/).join('.') : '');
const visible = el => {
    const cs = getComputedStyle(el);
    return el.getClientRects().length > 0 && cs.visibility === 'visible' && parseFloat(cs.opacity) > 0;
};
const problems = [], d = document.documentElement;
if (d.scrollWidth > window.innerWidth)
    problems.push(`scrolls sideways: ${d.scrollWidth}px wide in a ${window.innerWidth}px viewport`);
let texts = 0;
for (const el of document.body.querySelectorAll('*')) {
    if (['SCRIPT', 'STYLE', 'NOSCRIPT', 'TEMPLATE'].includes(el.tagName)) continue;
    const own = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim() !== '');
    if (!own || !visible(el)) continue;
    const cs = getComputedStyle(el);
    const size = parseFloat(cs.fontSize), bold = parseInt(cs.fontWeight, 10) >= 700;
    const large = size >= 24 || (size >= 18.66 && bold);
    const fg = parse(cs.color), bg = background(el);
    const r = ratio(over(fg, bg), bg), need = large ? 3 : 4.5;
    texts += 1;
    if (r < need) problems.push(`text ${name(el)} ${JSON.stringify(el.textContent.trim().slice(0, 40))}: ${r.toFixed(2)}:1 (${cs.color} on rgb(${bg.slice(0, 3).map(Math.round)})), needs ${need}:1`);
}
const page = background(document.body);
const before = document.activeElement;
let fields = 0;
for (const el of document.querySelectorAll('input[type=text], input:not([type]), input[type=email], input[type=password]')) {
    if (!visible(el) || el.disabled) continue;
    fields += 1;
    const around = background(el.parentElement);
    const cs = getComputedStyle(el);
    const border = parse(cs.borderTopColor);
    if (parseFloat(cs.borderTopWidth) < 1 || !border) problems.push(`field ${name(el)} has no border`);
    else {
        const r = Math.min(ratio(over(border, around), around), ratio(over(border, background(el)), background(el)));
        if (r < 3) problems.push(`field ${name(el)} border ${cs.borderTopColor}: ${r.toFixed(2)}:1, needs 3:1`);
    }
    el.focus({ preventScroll: true });
    const fs = getComputedStyle(el);
    if (!el.matches(':focus-visible')) { problems.push(`field ${name(el)} shows no focus ring when focused`); continue; }
    let ring = null;
    if (fs.outlineStyle !== 'none' && parseFloat(fs.outlineWidth) >= 2) ring = parse(fs.outlineColor);
    else if (fs.boxShadow !== 'none') ring = parse(fs.boxShadow);
    if (!ring) { problems.push(`field ${name(el)}: no visible focus ring (outline ${fs.outline}, shadow ${fs.boxShadow})`); continue; }
    for (const [where, bg] of [['card', around], ['page', page]]) {
        const r = ratio(over(ring, bg), bg);
        if (r < 3) problems.push(`focus ring of ${name(el)} on the ${where}: ${r.toFixed(2)}:1, needs 3:1`);
    }
}
if (before && before !== document.body && before.focus) before.focus({ preventScroll: true });
else if (document.activeElement) document.activeElement.blur();
return { problems, texts, fields, dark: lum(page) < 0.2 };
"#;

impl Tab {
    /// The AA checks of the page shown now, at the current size and colour
    /// scheme (`dark`: the dark one is emulated, and the page must follow it).
    pub async fn assert_aa(&self, dark: bool) {
        let report = self.js(SCRIPT).await;
        let width = self.js("return window.innerWidth").await;
        let what = format!(
            "{}: {} at {width} px, {} scheme",
            self.name,
            self.path().await,
            if dark { "dark" } else { "light" }
        );
        assert_eq!(report["problems"], json!([]), "{what}: not WCAG AA");
        assert!(
            report["texts"].as_u64().unwrap_or(0) >= 2,
            "{what}: no text was measured: {report}"
        );
        assert_eq!(
            report["dark"],
            Json::Bool(dark),
            "{what}: the page does not follow prefers-color-scheme"
        );
    }

    /// Emulates the dark colour scheme (`false`: back to the default).
    pub async fn dark_scheme(&self, dark: bool) {
        let value = if dark { "dark" } else { "light" };
        self.cdp(
            "Emulation.setEmulatedMedia",
            json!({ "features": [{ "name": "prefers-color-scheme", "value": value }] }),
        )
        .await;
        let now = self
            .js("return matchMedia('(prefers-color-scheme: dark)').matches")
            .await;
        assert_eq!(now, Json::Bool(dark), "colour scheme emulation took effect");
    }

    /// The checks at both widths and in both schemes; leaves the page at
    /// the desktop size, light.
    pub async fn assert_aa_everywhere(&self) {
        for dark in [false, true] {
            self.dark_scheme(dark).await;
            self.assert_aa(dark).await;
            self.phone().await;
            self.assert_aa(dark).await;
            self.desktop().await;
        }
        self.dark_scheme(false).await;
    }
}
