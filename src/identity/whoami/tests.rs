//! Unit tests of the whoami source's identity cache (the HTTP call is
//! covered by the integration tests against a fake app).

use super::*;
use crate::config::{FieldMap, SessionCookies, WhoamiMethod};
use crate::domain::{AccountClass, IdentityFields};

fn client(ttl: Duration) -> WhoamiClient {
    let cfg = WhoamiConfig {
        session: SessionCookies::one("app_session"),
        whoami_method: WhoamiMethod::Get,
        whoami_path: "/api/me".into(),
        whoami_headers: Vec::new(),
        whoami_timeout: Duration::from_secs(1),
        fields: FieldMap::flat(),
        anonymous_when: None,
        cache_ttl: ttl,
        cache_size: 64,
        anonymous_statuses: vec![401],
        whoami_concurrency: 4,
        whoami_client_rate: 20,
        whoami_client_burst: 100,
    };
    WhoamiClient::new(&cfg, "http://127.0.0.1:1").unwrap()
}

fn known(account: &str) -> Lookup {
    Lookup::Known(Arc::new(
        Identity::new(IdentityFields {
            account: account.into(),
            company: "acme".into(),
            class: AccountClass::Employee,
            roles: vec!["ops".into()],
            person: account.into(),
            email: None,
        })
        .unwrap(),
    ))
}

#[test]
fn a_remembered_identity_is_its_sessions_alone_until_forgotten() {
    let source = client(Duration::from_secs(3600));
    source.remember("session-a", known("hanako"));
    source.remember("session-b", known("taro"));
    source.remember("session-c", Lookup::Anonymous);
    assert_eq!(source.cached("session-a"), Some(known("hanako")));
    assert_eq!(source.cached("session-b"), Some(known("taro")));
    assert_eq!(
        source.cached("session-c"),
        None,
        "anonymous is never cached"
    );
    assert_eq!(source.cached("session-d"), None);
    source.forget("session-a");
    assert_eq!(source.cached("session-a"), None);
    assert_eq!(source.cached("session-b"), Some(known("taro")));
}

#[test]
fn a_cached_identity_expires_after_the_ttl() {
    let ttl = Duration::from_millis(50);
    let source = client(ttl);
    let start = Instant::now();
    source.remember("session-a", known("hanako"));
    let cached = source.cached("session-a");
    // Checked only if the machine was quick enough for it to matter.
    if start.elapsed() < ttl {
        assert_eq!(cached, Some(known("hanako")));
    }
    let deadline = Instant::now() + Duration::from_secs(5);
    while source.cached("session-a").is_some() {
        assert!(Instant::now() < deadline, "still cached past the ttl");
        std::thread::yield_now();
    }
    assert!(start.elapsed() >= ttl, "expired before the ttl");
}

#[test]
fn no_ttl_caches_nothing() {
    let source = client(Duration::ZERO);
    source.remember("session-a", known("hanako"));
    assert_eq!(source.cached("session-a"), None);
}

#[test]
fn the_slot_keeps_all_128_bits_of_the_key() {
    let key = (u128::from(0x0123_4567_89ab_cdef_u64) << 64) | 0xfedc_ba98_7654_3210;
    assert_eq!(slot(key), [0x0123_4567_89ab_cdef, 0xfedc_ba98_7654_3210]);
    assert_ne!(slot(key), slot(key ^ 1));
    assert_ne!(slot(key), slot(key ^ (1 << 127)));
}
