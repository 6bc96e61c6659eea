//! `return_to` and path normalization, the two places an open redirect or
//! a bypass would come from. For any string: `safe_return_to` gives back
//! either the input unchanged or `/`, and what it gives is a same-site
//! relative path that is safe in a `Location` header; `normalize` yields a
//! clean absolute path (no empty, `.` or `..` segments, no `%`, `\`, `;` or
//! control characters) and is idempotent.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mfa_gate::paths::{self, NormalPath};

const PREFIX: &str = "/_mfa";

fuzz_target!(|data: &[u8]| {
    let Ok(raw) = std::str::from_utf8(data) else {
        return;
    };
    let safe = paths::safe_return_to(raw, PREFIX);
    assert!(
        safe == raw || safe == "/",
        "rewritten instead of refused: {safe:?}"
    );
    assert!(safe.starts_with('/') && !safe.starts_with("//"), "{safe:?}");
    assert!(
        safe.bytes()
            .all(|b| (0x21..0x7f).contains(&b) && b != b'\\'),
        "unsafe byte in {safe:?}"
    );
    let decoded = percent_decode(&safe);
    assert!(
        !decoded.starts_with("//") && !decoded.contains('\\'),
        "{safe:?}"
    );
    if let Some(route) = paths::strip_prefix(
        &paths::normalize(safe.split(['?', '#']).next().unwrap_or("")),
        PREFIX,
    ) {
        assert!(
            route == "/settings" || route == "/admin/security",
            "returns to our {route:?}"
        );
    }
    // The query round trip used in redirects keeps the value intact.
    let url = paths::with_return_to("/_mfa/enroll", &safe);
    let q = url.split_once('?').map(|(_, q)| q);
    let back = paths::query_param(q, "return_to").unwrap_or_else(|| "/".into());
    assert_eq!(back, safe);

    // Path normalization.
    let path = raw.split(['?', '#']).next().unwrap_or("");
    if let NormalPath::Clear(clean) = paths::normalize(path) {
        assert!(clean.starts_with('/'), "{clean:?}");
        assert!(
            !clean.contains(['%', '\\', ';', '\0']) && !clean.chars().any(char::is_control),
            "{clean:?}"
        );
        let inner = clean.trim_end_matches('/');
        for segment in inner.split('/').skip(1) {
            assert!(
                !matches!(segment, "" | "." | ".."),
                "segment {segment:?} in {clean:?}"
            );
        }
        assert_eq!(
            paths::normalize(&clean),
            NormalPath::Clear(clean.clone()),
            "normalize is not idempotent for {path:?}"
        );
    }
});

fn percent_decode(s: &str) -> String {
    // Byte-wise, lossy: the oracle must not share code with the target.
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        if b[i] == b'%' && i + 2 < b.len() {
            if let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
