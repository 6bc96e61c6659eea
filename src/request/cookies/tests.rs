//! Unit tests of `request::cookies`.

use super::*;

static APP_SID: std::sync::LazyLock<SessionCookies> =
    std::sync::LazyLock::new(|| SessionCookies::one("app_sid"));

fn names() -> CookieNames<'static> {
    CookieNames {
        session: Some(&APP_SID),
        host: None,
        gateway: "mfa_gate",
        lang: "mfa_lang",
        remember: "mfa_remember",
        own_plain: own_names_plain(Some(&APP_SID), "mfa_gate"),
    }
}

/// Every reading is the same with and without the own-name shortcut.
#[track_caller]
fn check(headers: &[&str], expected: SessionReading) {
    let got = read(headers.iter().map(|h| h.as_bytes()), &names());
    assert_eq!(got.session, expected, "{headers:?}");
    let checked = CookieNames {
        own_plain: false,
        ..names()
    };
    assert_eq!(read(headers.iter().map(|h| h.as_bytes()), &checked), got);
}

fn clear(v: &str) -> SessionReading {
    SessionReading::Clear(v.into())
}

const DISGUISED: SessionReading = SessionReading::Refused(Refusal::Disguised);
const DUPLICATE: SessionReading = SessionReading::Refused(Refusal::Duplicate);
const UNREADABLE: SessionReading = SessionReading::Refused(Refusal::Unreadable);

#[test]
fn plain_session_cookies_are_read() {
    check(&[], SessionReading::Absent);
    check(&["a=1; b=2"], SessionReading::Absent);
    check(&["app_sid=tok"], clear("tok"));
    check(&["a=1;app_sid=tok ;b=café"], clear("tok"));
    check(&["app_sid=\"tok\""], clear("\"tok\""));
    check(&["app_sid=tok; app_sid=tok"], clear("tok"));
    check(&["x=1", "app_sid=tok"], clear("tok"));
    // Names that merely contain the session name are other cookies.
    check(&["app_sid_legacy=x; my_app_sid=y"], SessionReading::Absent);
}

#[test]
fn two_values_are_refused_in_any_arrangement() {
    check(&["app_sid=a; app_sid=b"], DUPLICATE);
    check(&["app_sid=a", "app_sid=b"], DUPLICATE);
    check(&["x=1", "app_sid=a", "y=2; app_sid=b"], DUPLICATE);
}

#[test]
fn names_a_framework_could_read_as_the_session_are_refused() {
    for disguise in [
        "\u{a0}app_sid",
        "app_sid\u{3000}",
        "\u{feff}app_sid",
        "\u{200b}app_sid",
        "\u{b}app_sid",
        "\u{1c}app_sid",
        "\"app_sid\"",
        "$app_sid",
        "APP_SID",
        "App_Sid",
        "app%5Fsid",
        "%61pp_sid",
        "app%255Fsid",
        "app.sid",
        "app sid",
        "app[sid",
        "app+sid",
        "app-sid",
    ] {
        check(&[&format!("{disguise}=tok")], DISGUISED);
        check(&["app_sid=tok", &format!("{disguise}=tok")], DISGUISED);
    }
    check(&["a=b, app_sid=tok"], DISGUISED);
    check(&["a=b,app_sid=tok; app_sid=tok"], DISGUISED);
}

#[test]
fn values_that_read_differently_are_refused() {
    for value in [
        "tok\u{a0}",
        "to k",
        "tok,x",
        "tok\\x",
        "\"tok",
        "tok\u{b}",
        "t\"o\"k",
    ] {
        check(&[&format!("app_sid={value}")], UNREADABLE);
    }
    // Non-UTF-8 bytes in the value.
    let raw: &[u8] = b"app_sid=tok\xff";
    let got = read([raw].into_iter(), &names());
    assert_eq!(got.session, UNREADABLE);
    // An empty value is no session, but still not a plain one.
    check(&["app_sid="], UNREADABLE);
}

#[test]
fn non_ascii_elsewhere_does_not_hide_the_session() {
    let raw: &[u8] = b"x=\xff; app_sid=tok; y=\xc3\xa9";
    let got = read([raw].into_iter(), &names());
    assert_eq!(got.session, clear("tok"));
}

#[test]
fn our_own_cookies_are_read_by_exact_name() {
    let got = read(
        ["MFA_GATE=no; mfa_gate=a.b; mfa_gate=c.d; mfa_lang=en".as_bytes()].into_iter(),
        &names(),
    );
    assert_eq!(got.gateway.as_deref(), Some("a.b"));
    assert_eq!(got.lang.as_deref(), Some("en"));
}

#[test]
fn without_a_session_cookie_nothing_is_refused() {
    let names = CookieNames {
        session: None,
        ..names()
    };
    let got = read(["app_sid=a; app_sid=b".as_bytes()].into_iter(), &names);
    assert_eq!(got.session, SessionReading::Absent);
}

/// The shortcut for names with nothing to decode gives what the full
/// skeleton gives, and leaves every other name to it.
#[test]
fn the_plain_name_shortcut_agrees_with_the_skeleton() {
    let names = [
        "",
        "app_sid",
        "APP_SID",
        "app-sid",
        "app.sid",
        "$app_sid",
        "\"app_sid\"",
        "app sid",
        "app\tsid",
        "appsid2",
        "app_si",
        "xapp_sid",
        "app_sidx",
        "mfa_gate",
        "a_p_p_s_i_d",
        "app%5Fsid",
        "app+sid",
        "app_\u{fe0f}sid",
        "äpp_sid",
        "app_sİd",
        "1:2",
        "[app]sid",
    ];
    let wanted = ["appsid", "app", "", "äppsid", "mfagate"];
    for name in names {
        for w in wanted {
            for prefix in [false, true] {
                let skeleton = skeleton(name);
                let full = if prefix {
                    skeleton.starts_with(w)
                } else {
                    skeleton == w
                };
                let plain = plain_looks_like(name.as_bytes(), w.as_bytes(), prefix);
                let ascii = name.is_ascii() && !name.contains(['%', '+']);
                assert_eq!(plain.is_some(), ascii, "{name:?}");
                if let Some(plain) = plain {
                    assert_eq!(plain, full, "{name:?} against {w:?}, prefix {prefix}");
                }
                // And through the whole reading of a piece.
                let piece = format!("{name}=v");
                assert_eq!(looks_like(piece.as_bytes(), w, prefix), full, "{piece:?}");
            }
        }
    }
}

#[test]
fn the_fast_scans_read_as_the_plain_ones() {
    // `split` is `<[u8]>::split`, `plain_value` RFC 6265's cookie-octets.
    let octet = |b: &u8| matches!(b, 0x21 | 0x23..=0x2b | 0x2d..=0x3a | 0x3c..=0x5b | 0x5d..=0x7e);
    for b in 0..=255u8 {
        let value = [b'a', b, b'z'];
        assert_eq!(super::plain_value(&value).is_some(), octet(&b), "{b:#x}");
        let quoted = [b'"', b, b'"'];
        assert_eq!(super::plain_value(&quoted).is_some(), octet(&b), "{b:#x}");
    }
    assert_eq!(super::plain_value(b"\"\""), None);
    assert_eq!(super::plain_value(b""), None);
    let long = "v".repeat(200) + ";";
    assert_eq!(super::plain_value(long.as_bytes()), None);
    for text in ["", ";", "a", "a;b", ";a;;b;", "a=1; b=2;", &long] {
        let ours: Vec<&[u8]> = super::split(text.as_bytes(), b';').collect();
        let std: Vec<&[u8]> = text.as_bytes().split(|b| *b == b';').collect();
        assert_eq!(ours, std, "{text:?}");
    }
}

/// Our own cookie names do not read as `app_sid`: a piece by one of them
/// is ours, unless a `,` could split a session cookie out of it.
#[test]
fn our_own_cookies_skip_the_disguise_check_only_without_a_comma() {
    assert!(names().own_plain);
    check(&["app_sid=s; mfa_gate=a.b"], clear("s"));
    check(&["mfa_gate=a.b,app_sid=evil; app_sid=s"], DISGUISED);
    check(&["mfa_lang=en,APP_SID=x"], DISGUISED);
    // A gateway cookie named like the session cookie is checked always.
    let like = SessionCookies::one("mfa-gate");
    assert!(!own_names_plain(Some(&like), "mfa_gate"));
    assert!(own_names_plain(None, "mfa_gate"));
}
