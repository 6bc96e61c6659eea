//! The normal-form rule, bypass and prefix matching, and `return_to`, as
//! tables: one `check` per input.

use super::*;

fn check_norm(raw: &str, expected: Option<&str>) {
    let got = normalize(raw);
    assert_eq!(got.as_clear(), expected, "normalize({raw:?})");
}

#[test]
fn a_target_in_normal_form_reads_as_its_decoded_path() {
    check_norm("/", Some("/"));
    check_norm("/a/b", Some("/a/b"));
    check_norm("/static/", Some("/static/"));
    check_norm("/caf%C3%A9", Some("/café"));
    check_norm("/caf%c3%a9/x", Some("/café/x"));
    check_norm("/a%20b", Some("/a b"));
    check_norm("/a%3Fb", Some("/a?b"));
    check_norm("/report.pdf", Some("/report.pdf"));
    check_norm("/...x/.y/z.", Some("/...x/.y/z."));
    check_norm("/日本", Some("/日本"));
}

/// The issue-28 variants and their kin: every target not in normal form is
/// ambiguous, whichever way an app would read it.
#[test]
fn a_target_not_in_normal_form_is_ambiguous() {
    for raw in [
        // Dot segments, raw and encoded in any case.
        "/admin/../static/x",
        "/admin/users/../../static/x",
        "/admin/./../static/x",
        "/admin/users/../../login",
        "/static/../admin",
        "/static/.",
        "/a/b/..",
        "/.",
        "/..",
        "/admin/users/%2e%2e/%2e%2e/static/x",
        "/admin/.%2e/static/x",
        "/admin/%2e./static/x",
        "/admin/%2E%2E/static/x",
        "/admin/%2e/static/x",
        // Empty segments.
        "//static/x",
        "/admin/users/..//..//static/x",
        "/static//x",
        "/static/x//",
        // Encoded separators, backslashes, parameters, fragments.
        "/static%2f..%2fadmin",
        "/static%2F..%2Fadmin",
        "/static/..%5cadmin",
        "/static\\..\\admin",
        "/admin\\..\\static\\x",
        "/login;jsessionid=x",
        "/admin;/../static/x",
        "/static/x%3b",
        "/static#/../admin",
        // Escapes of unreserved characters.
        "/%5fmfa/enroll",
        "/st%61tic/x",
        "/static/x%2D1",
        "/%7euser",
        // Double encoding, NUL, controls, bad UTF-8, overlong forms.
        "/static/%252e%252e/admin",
        "/a%00b",
        "/a%0d%0ab",
        "/a%7f",
        "/a%ff",
        "/static/%c0%ae%c0%ae/admin",
        "/static/%c0%af",
        "/static/%e0%80%ae",
        "/a%2",
        "/a%zz",
        "/a%+1",
        // Unicode that folds to a separator or a dot segment.
        "/admin/%ef%bc%8e%ef%bc%8e/static/x",
        "/admin%ef%bc%8fstatic",
        "/static/%EF%B9%A8..%EF%B9%A8admin",
        "/admin/%e2%80%a5/static/x",
        "/a%c2%85b",
        // Not an absolute path.
        "relative",
        "",
        "*",
    ] {
        assert_eq!(normalize(raw), NormalPath::Ambiguous, "{raw:?}");
    }
}

#[test]
fn bypass_matches_clear_paths_only() {
    let rules = vec![
        BypassRule::Exact("/login".into()),
        BypassRule::Prefix("/static".into()),
    ];
    let yes = ["/login", "/static/", "/static/app.css"];
    let no = [
        "/static",
        "/login/x",
        "/loginx",
        "/staticx",
        "//static/x",
        "/static/../admin",
        "/admin/../static/x",
        "/admin/users/../../login",
        "/static/%2e%2e/admin",
        "/static%2f..%2fadmin",
        "/login;x",
        "/st%61tic/x",
    ];
    for p in yes {
        assert!(is_bypassed(&normalize(p), &rules), "{p} should bypass");
    }
    for p in no {
        assert!(!is_bypassed(&normalize(p), &rules), "{p} must not bypass");
    }
}

#[test]
fn prefix_is_stripped_only_at_a_segment_boundary_of_a_clear_path() {
    let p = |s| strip_prefix(&normalize(s), "/_mfa").map(str::to_owned);
    assert_eq!(p("/_mfa/enroll"), Some("/enroll".into()));
    assert_eq!(p("/_mfa"), Some("".into()));
    assert_eq!(p("/_mfax/enroll"), None);
    assert_eq!(p("/app/_mfa/enroll"), None);
    // Not our page: the app decides what these are, and they are judged.
    assert_eq!(p("/x/../_mfa/challenge"), None);
    assert_eq!(p("/%5fmfa/enroll"), None);
    assert_eq!(p("/_mfa/../admin"), None);
}

#[test]
fn return_to_never_leaves_the_site() {
    let ok = [
        "/",
        "/reports?id=3",
        "/a/b#frag",
        "/%E3%81%82",
        "/_mfa/settings",
    ];
    for r in ok {
        assert_eq!(safe_return_to(r, "/_mfa"), r);
    }
    let bad = [
        "//evil.example",
        "https://evil.example",
        "https:evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "/%2F%2Fevil.example",
        "/%2fevil.example/..",
        "/%5Cevil.example",
        "/a\r\nSet-Cookie: x=1",
        "/a%0d%0aSet-Cookie:x",
        "javascript:alert(1)",
        "/has space",
        "",
        "/_mfa/challenge",
        "/_mfa/../_mfa/enroll",
        "/_mfa/settings/../enroll",
        // Not in normal form: back to the start, never a guess.
        "/.//evil.example",
        "/..//evil.example",
        "/%2e//evil.example",
        "/%2e%2e//evil.example/x?y=1",
        "/a/./b/../c#f",
        "/%5fmfa/settings",
    ];
    for r in bad {
        assert_eq!(safe_return_to(r, "/_mfa"), "/", "{r:?} must be refused");
    }
    assert_eq!(
        safe_return_to(&format!("/{}", "a".repeat(3000)), "/_mfa"),
        "/"
    );
}

#[test]
fn return_to_round_trips_through_the_query() {
    let url = with_return_to("/_mfa/enroll", "/r?a=1&b=2");
    assert_eq!(url, "/_mfa/enroll?return_to=%2Fr%3Fa%3D1%26b%3D2");
    let q = url.split_once('?').map(|(_, q)| q);
    assert_eq!(query_param(q, "return_to").as_deref(), Some("/r?a=1&b=2"));
    assert_eq!(with_return_to("/_mfa/enroll", "/"), "/_mfa/enroll");
}

/// `return_to` values up to 2048 bytes are kept; longer ones are not.
#[test]
fn return_to_of_2048_bytes_is_kept_and_2049_is_not() {
    let at_limit = format!("/{}", "a".repeat(2047));
    assert_eq!(safe_return_to(&at_limit, "/_mfa"), at_limit);
    let over = format!("{at_limit}a");
    assert_eq!(safe_return_to(&over, "/_mfa"), "/");
}

#[test]
fn a_query_keeps_a_bypass_only_with_allowed_parameters() {
    let allowed = vec!["v".to_owned(), "ver".to_owned()];
    for query in [
        None,
        Some(""),
        Some("v=3"),
        Some("v=3&ver=1.2"),
        Some("v"),
        Some("%76=1"),
    ] {
        assert!(query_keeps_bypass(query, &allowed), "{query:?}");
    }
    for query in [
        Some("q=admin/people"),
        Some("v=1&q=admin"),
        Some("p=123&preview=true"),
        Some("v=1;q=admin"),
        Some("%71=admin"),
        Some("v[]=1"),
        Some("V=1"),
    ] {
        assert!(!query_keeps_bypass(query, &allowed), "{query:?}");
    }
    assert!(!query_keeps_bypass(Some("v=1"), &[]));
    assert!(query_keeps_bypass(None, &[]));
}

/// The one-pass check agrees with the rule as first written (every byte,
/// then every segment) on every target of up to six characters from an
/// alphabet of the characters that matter.
#[test]
fn the_one_pass_check_agrees_with_the_two_pass_rule() {
    fn two_pass(raw: &str) -> bool {
        let Some(rest) = raw.strip_prefix('/') else {
            return false;
        };
        let bytes = raw.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'%' => match bytes.get(i + 1..i + 3).and_then(hex_byte) {
                    Some(b) if !needs_no_escape(b) => i += 3,
                    _ => return false,
                },
                b'\\' | b';' | b'#' => return false,
                b if b.is_ascii_control() => return false,
                _ => i += 1,
            }
        }
        let segments: Vec<&str> = rest.split('/').collect();
        segments
            .iter()
            .enumerate()
            .all(|(i, s)| !((s.is_empty() && i + 1 < segments.len()) || *s == "." || *s == ".."))
    }
    const ALPHABET: [char; 9] = ['/', '.', 'a', '%', '2', 'e', 'F', ';', '\n'];
    let mut raw = String::new();
    let mut checked = 0;
    for n in 0..=6u32 {
        for mut code in 0..ALPHABET.len().pow(n) {
            raw.clear();
            for _ in 0..n {
                raw.push(ALPHABET[code % ALPHABET.len()]);
                code /= ALPHABET.len();
            }
            assert_eq!(in_normal_form(&raw).is_some(), two_pass(&raw), "{raw:?}");
            checked += 1;
        }
    }
    assert_eq!(checked, 597_871);
}
