//! The optional `tls`, `log` and `ui` sections: what loads and what is
//! refused.

use super::*;

#[test]
fn logo_is_a_same_site_path() {
    let config = load(&format!("{MINIMAL}ui:\n  logo: /static/logo.svg\n"));
    assert_eq!(config.ui.logo.as_deref(), Some("/static/logo.svg"));
    for bad in [
        "https://cdn.example/logo.png",
        "//cdn.example/x.png",
        "logo.png",
        "/a\"b",
    ] {
        let e = error_of(&format!("{MINIMAL}ui:\n  logo: '{bad}'\n"));
        assert!(e.to_string().contains("ui.logo"), "{bad}: {e}");
    }
}

#[test]
fn tls_and_log_sections_are_checked() {
    let dir = tempfile::tempdir().expect("tempdir");
    let made = rcgen::generate_simple_self_signed(vec!["localhost".into()]).expect("cert");
    std::fs::write(dir.path().join("cert.pem"), made.cert.pem()).expect("write");
    std::fs::write(dir.path().join("key.pem"), made.key_pair.serialize_pem()).expect("write");
    let source = dir.path().join("gate.yaml");
    let tls = |listen: &str, cert: &str, key: &str| {
        format!("{MINIMAL}tls:\n  listen: {listen}\n  cert: {cert}\n  key: {key}\n")
    };
    let config = load_str_with_env(&tls("127.0.0.1:8443", "cert.pem", "key.pem"), &source, &env)
        .unwrap_or_else(|e| panic!("{e}"));
    let t = config.tls.expect("tls");
    assert_eq!(t.cert, dir.path().join("cert.pem"));
    assert!(t.http2, "HTTP/2 is on by default");
    let error = |yaml: String| load_str_with_env(&yaml, &source, &env).expect_err("an error");
    let err = error(tls("127.0.0.1:8443", "missing.pem", "key.pem"));
    assert_eq!(err.field(), Some("tls.cert"), "{err}");
    assert!(err.to_string().contains("cannot read"), "{err}");
    let err = error(tls("127.0.0.1:8443", "cert.pem", "cert.pem"));
    assert_eq!(err.field(), Some("tls.key"), "{err}");
    assert!(err.to_string().contains("no private key"), "{err}");
    let err = error(tls("127.0.0.1:8080", "cert.pem", "key.pem"));
    assert_eq!(err.field(), Some("tls.listen"), "{err}");

    let config = load(&format!(
        "{MINIMAL}log:\n  format: json\n  level: debug,pingora=warn\n"
    ));
    assert_eq!(config.log.format, crate::config::LogFormat::Json);
    check_error(
        &format!("{MINIMAL}log:\n  format: xml\n"),
        "log.format",
        None,
        "unknown variant",
    );
    check_error(
        &format!("{MINIMAL}log:\n  level: \"info,[\"\n"),
        "log.level",
        None,
        "not a log filter",
    );
}
