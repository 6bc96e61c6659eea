//! The generated corpus of `Cookie` headers: every way we know for a
//! framework to read `app_sid` where a strict reader would not (Unicode
//! white space at each position, quotes, separators, `$`-attributes, case,
//! percent-encoding, PHP's name mangling, empty names, duplicates in one and
//! in several headers, oversized and non-UTF-8 values).
//!
//! Each case is a list of raw `Cookie` header values, sent as separate
//! header lines. Most cases carry `tok-strict` (an unenrolled user of a
//! required company: reaching the app with it is a bypass) in a disguise,
//! often beside a plain `tok-free` the gateway will see.

use super::wire::escape;

/// One request's `Cookie` headers and the idea it tests.
pub struct Case {
    pub category: &'static str,
    pub cookies: Vec<Vec<u8>>,
}

impl Case {
    fn new(category: &'static str, cookies: &[&[u8]]) -> Case {
        Case {
            category,
            cookies: cookies.iter().map(|c| c.to_vec()).collect(),
        }
    }

    /// The headers, escaped and shortened, for a report line.
    pub fn describe(&self) -> String {
        let shown: Vec<String> = self
            .cookies
            .iter()
            .map(|c| {
                let e = escape(c);
                if e.len() > 100 {
                    // `escape` writes ASCII only.
                    format!("{}…({} bytes)", &e[..100], c.len())
                } else {
                    e
                }
            })
            .collect();
        format!("Cookie: {}", shown.join(" | Cookie: "))
    }
}

/// Unicode White_Space, plus what Python's `str.strip()` also removes or a
/// framework may trim: U+FEFF, U+200B and the C0 separators U+001C–001F.
pub fn spaces() -> Vec<char> {
    let mut out: Vec<char> = ('\u{9}'..='\u{d}').collect();
    out.extend(['\u{20}', '\u{85}', '\u{a0}', '\u{1680}']);
    out.extend('\u{2000}'..='\u{200a}');
    out.extend(['\u{2028}', '\u{2029}', '\u{202f}', '\u{205f}', '\u{3000}']);
    out.extend(['\u{feff}', '\u{200b}']);
    out.extend('\u{1c}'..='\u{1f}');
    out
}

/// Where a space goes in `app_sid=tok-strict` (`%` marks the spot), and
/// with which other cookies around it.
const SPACE_SPOTS: &[&str] = &[
    "%app_sid=tok-strict",
    "app_sid%=tok-strict",
    "app_sid=%tok-strict",
    "app_sid=tok-strict%",
    "%app_sid%=%tok-strict%",
    "a=b;%app_sid=tok-strict",
    "a=b; %app_sid=tok-strict",
    "app_sid=tok-free; %app_sid=tok-strict",
    "%app_sid=tok-strict; app_sid=tok-free",
    "app_sid=tok-free; app_sid%=tok-strict",
    // The app reading `tok-free` where the gateway saw no session: the
    // app's user is served without the gateway's decision.
    "%app_sid=tok-free",
];

/// The same spots across two `Cookie` headers (`|` separates them).
const SPACE_SPOTS_SPLIT: &[&str] = &[
    "app_sid=tok-free|%app_sid=tok-strict",
    "%app_sid=tok-strict|app_sid=tok-free",
];

/// Fixed cases: (category, headers separated by `|`).
const FIXED: &[(&str, &str)] = &[
    ("quotes", "\"app_sid\"=tok-strict"),
    ("quotes", "app_sid=\"tok-strict\""),
    ("quotes", "'app_sid'=tok-strict"),
    ("quotes", "app_sid='tok-strict'"),
    ("quotes", "app_sid=\" tok-strict\""),
    ("quotes", "app_sid=\"tok-strict \""),
    ("quotes", "app_sid=tok-free; \"app_sid\"=tok-strict"),
    ("quotes", "\"app_sid=tok-strict\""),
    ("quotes", "app_sid=\"tok-strict"),
    ("tabs", "app_sid\t=\ttok-strict"),
    ("tabs", "a=b;\tapp_sid=tok-strict"),
    ("tabs", "app_sid=tok-free;\t\tapp_sid\t=tok-strict"),
    ("commas", "a=b, app_sid=tok-strict"),
    ("commas", "a=b,app_sid=tok-strict"),
    ("commas", "app_sid=tok-free, app_sid=tok-strict"),
    ("commas", "app_sid=tok-strict, app_sid=tok-free"),
    ("commas", "app_sid=tok-strict, a=b"),
    ("commas", "app_sid=tok-free,app_sid=tok-strict"),
    ("commas", "app_sid=tok-free|a=b, app_sid=tok-strict"),
    ("dollar", "$Version=1; app_sid=tok-strict"),
    (
        "dollar",
        "$Version=\"1\"; app_sid=\"tok-strict\"; $Path=\"/\"",
    ),
    ("dollar", "$Version=1, app_sid=tok-strict"),
    ("dollar", "$app_sid=tok-strict"),
    ("dollar", "app_sid=tok-free; $app_sid=tok-strict"),
    (
        "dollar",
        "$Version=1; app_sid=tok-free; $Path=/; app_sid=tok-strict",
    ),
    ("case", "APP_SID=tok-strict"),
    ("case", "App_Sid=tok-strict"),
    ("case", "app_SID=tok-strict"),
    ("case", "app_sid=tok-free; APP_SID=tok-strict"),
    ("case", "APP_SID=tok-strict; app_sid=tok-free"),
    ("case", "app_sid=tok-free|App_Sid=tok-strict"),
    ("encoded", "app%5Fsid=tok-strict"),
    ("encoded", "app%5fsid=tok-strict"),
    ("encoded", "%61pp_sid=tok-strict"),
    ("encoded", "%61%70%70%5f%73%69%64=tok-strict"),
    ("encoded", "app_sid=tok%2Dstrict"),
    ("encoded", "app_sid=%74ok-strict"),
    ("encoded", "app_sid=tok-free; app%5Fsid=tok-strict"),
    ("encoded", "app%5Fsid=tok-strict; app_sid=tok-free"),
    ("encoded", "app_sid=tok-free|%61pp_sid=tok-strict"),
    ("encoded", "app_sid=tok%2Dfree"),
    ("php-names", "app.sid=tok-strict"),
    ("php-names", "app sid=tok-strict"),
    ("php-names", "app[sid=tok-strict"),
    ("php-names", "app+sid=tok-strict"),
    ("php-names", "app%2Esid=tok-strict"),
    ("php-names", "app%20sid=tok-strict"),
    ("php-names", "app%5Bsid=tok-strict"),
    ("php-names", "app_sid=tok-free; app.sid=tok-strict"),
    ("php-names", "app.sid=tok-strict; app_sid=tok-free"),
    ("php-names", "app_sid[]=tok-strict"),
    ("php-names", "app_sid[x]=tok-strict"),
    ("empty-names", "=tok-strict"),
    ("empty-names", "=app_sid=tok-strict"),
    ("empty-names", "a=b; =tok-strict"),
    ("empty-names", "tok-strict"),
    ("empty-names", "app_sid"),
    ("empty-names", "app_sid=; app_sid=tok-strict"),
    ("empty-names", "app_sid==tok-strict"),
    ("empty-names", "app_sid=tok-strict="),
    ("empty-names", ";app_sid=tok-strict;"),
    ("empty-names", "app_sid=tok-free; =; app_sid=tok-strict"),
    ("duplicates", "app_sid=tok-free; app_sid=tok-strict"),
    ("duplicates", "app_sid=tok-strict; app_sid=tok-free"),
    ("duplicates", "app_sid=tok-free|app_sid=tok-strict"),
    ("duplicates", "app_sid=tok-strict|app_sid=tok-free"),
    ("duplicates", "a=b|app_sid=tok-strict"),
    (
        "duplicates",
        "app_sid=tok-free; app_sid=tok-free|app_sid=tok-strict",
    ),
    (
        "duplicates",
        "app_sid=tok-free|a=b; app_sid=tok-strict; c=d",
    ),
    ("duplicates", "app_sid=tok-free; a=b|c=d|app_sid=tok-strict"),
    ("duplicates", "app_sid=tok-free; app_sid=tok-free"),
    ("duplicates", "app_sid=tok-free|app_sid=tok-free"),
    ("duplicates", "app_sid=tok-free;app_sid=tok-strict"),
];

/// The whole corpus.
pub fn corpus() -> Vec<Case> {
    let mut out = Vec::new();
    for c in spaces() {
        let s = c.to_string();
        for spot in SPACE_SPOTS.iter().chain(SPACE_SPOTS_SPLIT) {
            let filled = spot.replace('%', &s);
            let headers: Vec<&[u8]> = filled.split('|').map(str::as_bytes).collect();
            out.push(Case::new("unicode-space", &headers));
        }
    }
    // NEL and NBSP as single Latin-1 bytes: servers that decode headers as
    // Latin-1 (WSGI, node) see U+0085 / U+00A0.
    for b in [0x85u8, 0xa0] {
        for spot in SPACE_SPOTS {
            let filled: Vec<u8> = spot
                .bytes()
                .flat_map(|x| if x == b'%' { vec![b] } else { vec![x] })
                .collect();
            out.push(Case::new("latin1-space", &[&filled]));
        }
    }
    for (category, headers) in FIXED {
        let headers: Vec<&[u8]> = headers.split('|').map(str::as_bytes).collect();
        out.push(Case::new(category, &headers));
    }
    out.extend(oversized());
    out.extend(not_utf8());
    out
}

fn oversized() -> Vec<Case> {
    let big = |n: usize| "v".repeat(n);
    let cases = [
        format!("app_sid={}", big(5000)),
        format!("app_sid=tok-strict; pad={}", big(40_000)),
        format!("pad={}; app_sid=tok-strict", big(40_000)),
        format!("app_sid=tok-free; pad={}; app_sid=tok-strict", big(6000)),
        format!("pad={}; app_sid=tok-strict", big(9000)),
        format!("app_sid=tok-strict{}", big(40_000)),
        format!("app_sid={}; app_sid=tok-strict", big(33_000)),
    ];
    let mut out: Vec<Case> = cases
        .iter()
        .map(|c| Case::new("oversized", &[c.as_bytes()]))
        .collect();
    let pad = format!("pad={}", big(20_000));
    out.push(Case::new(
        "oversized",
        &[pad.as_bytes(), pad.as_bytes(), b"app_sid=tok-strict"],
    ));
    out
}

fn not_utf8() -> Vec<Case> {
    let cases: &[&[&[u8]]] = &[
        &[b"app_sid=tok-strict; a=\xff"],
        &[b"a=\xff\xfe; app_sid=tok-strict"],
        &[b"\xffapp_sid=tok-strict"],
        &[b"app_sid\xff=tok-strict"],
        &[b"app_sid=\xfftok-strict"],
        &[b"app_sid=tok-strict\xff"],
        &[b"app_sid=tok-free; a=\xff; app_sid=tok-strict"],
        &[b"app_sid=tok-free", b"a=\xff; app_sid=tok-strict"],
        &[b"a=\xff", b"app_sid=tok-strict"],
        &[b"app_sid=tok-free; \xc2app_sid=tok-strict"],
        &[b"app_sid=tok-free; app_sid\xc2=tok-strict"],
        &[b"app_sid=tok-free; \xe3\x80app_sid=tok-strict"],
        &[b"app_sid=tok-strict; a=\x7f"],
        &[b"app_sid=tok-free; \x7fapp_sid=tok-strict"],
        &[b"app_sid=tok-free; \x00app_sid=tok-strict"],
    ];
    cases.iter().map(|h| Case::new("not-utf8", h)).collect()
}

#[test]
fn every_space_reaches_every_spot() {
    let spaces = spaces();
    assert_eq!(spaces.len(), 31);
    let corpus = corpus();
    let per_space = SPACE_SPOTS.len() + SPACE_SPOTS_SPLIT.len();
    let unicode = corpus
        .iter()
        .filter(|c| c.category == "unicode-space")
        .count();
    assert_eq!(unicode, spaces.len() * per_space);
    assert!(corpus.len() > 400, "corpus of {}", corpus.len());
    assert!(
        corpus
            .iter()
            .any(|c| c.cookies == [b"\xa0app_sid=tok-strict".to_vec()])
    );
}
