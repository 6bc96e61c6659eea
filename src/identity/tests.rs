//! Unit tests of `identity`.

use super::*;
use crate::config::HeadersConfig;
use crate::domain::AccountClass;

fn sso() -> Identities {
    let h = |n: &str| http::HeaderName::from_bytes(n.as_bytes()).unwrap();
    Identities::Headers(Box::new(HeadersReader::new(&HeadersConfig {
        session_cookie: Some(SessionCookies::one("_oauth2_proxy")),
        session_header: Some(h("x-auth-session")),
        account: h("x-auth-user"),
        company: None,
        class: None,
        person: None,
        roles: None,
        email: None,
        default_company: Some("acme".into()),
        default_class: Some(AccountClass::Employee),
    })))
}

fn map(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
    let mut m = HeaderMap::new();
    for (n, v) in pairs {
        m.append(*n, v.parse().unwrap());
    }
    m
}

async fn who(src: &Identities, h: &HeaderMap, trusted: bool, cookie: Option<&str>) -> String {
    let p = src.present(h, trusted, cookie.map(str::to_owned), None);
    match src.resolve(&p).await {
        Ok(Who::Anonymous) => "anonymous".into(),
        Ok(Who::Known(id, session, _)) => format!("{} bound to {session}", id.account()),
        Err(e) => format!("error: {e}"),
    }
}

#[tokio::test]
async fn sso_headers_count_only_from_trusted_peers_and_bind_to_a_session() {
    let src = sso();
    let claimed = map(&[("x-auth-user", "a@acme"), ("x-auth-session", "s1")]);
    assert_eq!(who(&src, &claimed, false, Some("c")).await, "anonymous");
    assert_eq!(who(&src, &claimed, true, None).await, "a@acme bound to s1");
    assert_eq!(
        who(&src, &claimed, true, Some("c")).await,
        "a@acme bound to c"
    );
    let unbound = map(&[("x-auth-user", "a@acme")]);
    assert!(who(&src, &unbound, true, None).await.starts_with("error"));
    assert_eq!(who(&src, &map(&[]), true, Some("c")).await, "anonymous");
}

#[test]
fn set_cookie_of_the_session_cookie_is_seen() {
    let check = |values: &[&str]| {
        let values: Vec<HeaderValue> = values
            .iter()
            .map(|v| HeaderValue::from_bytes(v.as_bytes()).unwrap())
            .collect();
        sets_session_cookie(&values, &SessionCookies::one("demo_session"))
    };
    assert!(check(&["demo_session=abc; Path=/; HttpOnly"]));
    assert!(check(&["other=1", "demo_session=; Max-Age=0; Path=/"]));
    assert!(check(&["DEMO_SESSION=abc"]), "case-folding frameworks");
    assert!(check(&[" demo_session = abc ; Secure"]));
    assert!(check(&["demo_session"]), "unparsable: by its name");
    assert!(!check(&[]));
    assert!(!check(&["demo_session_old=abc", "lang=ja"]));
    assert!(!check(&["x=demo_session"]));
    let jupyter = SessionCookies::Prefix(crate::config::CookieName::new("username-"));
    let sets = |v: &str| sets_session_cookie(&[HeaderValue::from_str(v).unwrap()], &jupyter);
    assert!(sets("username-127-0-0-1-8888=\"2|1:0\"; Path=/"));
    assert!(sets("Username-x=; Max-Age=0"));
    assert!(!sets("_xsrf=1"));
}
