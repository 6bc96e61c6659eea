//! The admin service without a listener: the token first on every path
//! but `/metrics`, then the route, each answered as JSON.

use super::*;
use crate::admin::route::AdminRoute;
use crate::config::SupportToken;
use crate::domain::PersonKey;
use crate::store::SledStore;

const TOKEN: &str = "unit-test-support-token";

fn admin() -> AdminConfig {
    AdminConfig {
        listen: ([127, 0, 0, 1], 9090).into(),
        support_token: SupportToken::new(TOKEN.into()),
    }
}

fn request<'a>(method: &'a str, path: &'a str, auth: Option<&'a str>) -> AdminRequest<'a> {
    AdminRequest {
        method,
        path,
        query: None,
        authorization: auth,
        peer: None,
        now: 1_700_000_000,
    }
}

/// The service's answer for the routes that need only the store.
fn handle(
    store: &dyn Store,
    admin: Option<&AdminConfig>,
    max_failures: u32,
    req: &AdminRequest<'_>,
) -> Reply {
    match admit(admin, req) {
        Err(refusal) => refusal,
        Ok(AdminRoute::Account(op)) => account(store, None, max_failures, op, req.now),
        Ok(AdminRoute::Outbox(op)) => outbox::answer(store, op),
        Ok(AdminRoute::Metrics) => metrics_reply(),
        Ok(other) => panic!("not a store route: {other:?}"),
    }
}

#[test]
fn an_audit_limit_outside_its_range_is_refused_with_the_range() {
    let dir = tempfile::tempdir().unwrap();
    let store = SledStore::open(dir.path()).unwrap();
    let bearer = format!("Bearer {TOKEN}");
    let ask = |path, query| {
        let req = AdminRequest {
            query: Some(query),
            ..request("GET", path, Some(&bearer))
        };
        handle(&store, Some(&admin()), 10, &req)
    };
    for path in ["/v1/accounts/x/audit", "/v1/companies/acme/audit"] {
        for bad in ["limit=abc", "limit=-1", "limit=0", "limit=1001", "limit="] {
            let reply = ask(path, bad);
            assert_eq!(reply.status, 400, "{path}?{bad}");
            let body = String::from_utf8_lossy(&reply.body).into_owned();
            assert!(body.contains("1 to 1000"), "{body}");
        }
    }
    assert_eq!(ask("/v1/accounts/x/audit", "limit=1000").status, 404);
    assert_eq!(ask("/v1/companies/acme/audit", "limit=1").status, 200);
    assert_eq!(ask("/v1/companies/acme/audit", "other=1").status, 200);
}

#[test]
fn every_api_path_needs_the_token_first() {
    let dir = tempfile::tempdir().unwrap();
    let store = SledStore::open(dir.path()).unwrap();
    let bearer = format!("Bearer {TOKEN}");
    for auth in [
        None,
        Some("Bearer wrong-token-wrong-token"),
        Some(TOKEN),
        Some("Basic x"),
    ] {
        for path in ["/v1/accounts/x", "/nope", "/"] {
            let reply = handle(&store, Some(&admin()), 10, &request("GET", path, auth));
            assert_eq!(reply.status, 401, "{auth:?} {path}");
            assert_eq!(
                reply.header("WWW-Authenticate"),
                Some("Bearer realm=\"mfa-gate support\"")
            );
        }
    }
    let no_admin = handle(
        &store,
        None,
        10,
        &request("GET", "/v1/accounts/x", Some(&bearer)),
    );
    assert_eq!(no_admin.status, 401, "no admin section: nobody is let in");
    let unknown = handle(
        &store,
        Some(&admin()),
        10,
        &request("GET", "/v1/accounts/x", Some(&bearer)),
    );
    assert_eq!(unknown.status, 404);
    let body: serde_json::Value = serde_json::from_slice(&unknown.body).unwrap();
    assert_eq!(body, json!({"error": "unknown_account", "account": "x"}));
    let lower = format!("bearer  {TOKEN} ");
    assert_eq!(
        handle(
            &store,
            Some(&admin()),
            10,
            &request("GET", "/nope", Some(&lower))
        )
        .status,
        404
    );
    let metrics = handle(
        &store,
        Some(&admin()),
        10,
        &request("GET", "/metrics", None),
    );
    assert_eq!(metrics.status, 200);
    assert!(
        metrics
            .header("Content-Type")
            .is_some_and(|t| t.starts_with("text/plain"))
    );
}

#[test]
fn status_of_a_known_account_is_json() {
    let dir = tempfile::tempdir().unwrap();
    let store = SledStore::open(dir.path()).unwrap();
    store
        .link_account("bob@acme", &PersonKey::new("acme", "bob"))
        .unwrap();
    let bearer = format!("Bearer {TOKEN}");
    let reply = handle(
        &store,
        Some(&admin()),
        10,
        &request("GET", "/v1/accounts/bob%40acme", Some(&bearer)),
    );
    assert_eq!(reply.status, 200);
    let status: accounts::AccountStatus = serde_json::from_slice(&reply.body).unwrap();
    assert_eq!(status.account, "bob@acme");
    assert!(!status.enrolled && !status.locked);
}
