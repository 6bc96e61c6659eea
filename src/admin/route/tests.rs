//! Routes parsed once: the account segment decoded, each refusal with its
//! status, the outbox's query checked.

use super::*;

#[test]
fn routes_decode_the_account_segment() {
    let check = |method, path, expected: Result<AccountOp, u16>| {
        let got = AdminRoute::parse(method, path, None).map_err(|r| r.status);
        assert_eq!(got, expected.map(AdminRoute::Account), "{method} {path}");
    };
    check(
        "GET",
        "/v1/accounts/a%40b.example",
        Ok(AccountOp::Status("a@b.example".into())),
    );
    check(
        "GET",
        "/v1/accounts/a%2Fb/audit",
        Ok(AccountOp::Audit {
            account: "a/b".into(),
            limit: DEFAULT_AUDIT_LIMIT,
        }),
    );
    check(
        "POST",
        "/v1/accounts/x/unlock",
        Ok(AccountOp::Unlock("x".into())),
    );
    check(
        "POST",
        "/v1/accounts/x/reset",
        Ok(AccountOp::Reset("x".into())),
    );
    check("GET", "/v1/accounts/x/reset", Err(405));
    check("DELETE", "/v1/accounts/x", Err(405));
    check("GET", "/v1/accounts/x/other", Err(404));
    check("POST", "/v1/accounts/x/unlock/more", Err(404));
    check("GET", "/v1/accounts/", Err(404));
    check("GET", "/v1/accounts/%ff", Err(400));
    check("GET", "/v1/accounts/a%0Ab", Err(400));
    check("GET", "/v2/accounts/x", Err(404));
    check(
        "GET",
        "/v1/companies/acme/audit",
        Ok(AccountOp::CompanyAudit {
            company: "acme".into(),
            limit: DEFAULT_AUDIT_LIMIT,
        }),
    );
    check("POST", "/v1/companies/acme/audit", Err(405));
    check("GET", "/v1/companies/acme", Err(404));
    check("GET", "/v1/companies//audit", Err(404));
    check("GET", "/v1/companies/a/b/audit", Err(404));
    check("GET", "/v1/companies/a%0Ab/audit", Err(400));
}

#[test]
fn the_other_routes_and_their_methods() {
    let parse = |method, path, query| AdminRoute::parse(method, path, query).map_err(|r| r.status);
    assert_eq!(parse("GET", "/metrics", None), Ok(AdminRoute::Metrics));
    assert_eq!(parse("POST", "/metrics", None), Err(405));
    assert_eq!(parse("POST", "/v1/reload", None), Ok(AdminRoute::Reload));
    assert_eq!(parse("GET", "/v1/reload", None), Err(405));
    assert_eq!(
        parse("GET", "/v1/backup", None),
        Ok(AdminRoute::Store(StoreOp::Backup))
    );
    assert_eq!(
        parse("POST", "/v1/keys/rotate-encryption", None),
        Ok(AdminRoute::Store(StoreOp::RotateEncryption))
    );
    assert_eq!(parse("POST", "/v1/backup", None), Err(405));
    let page = |queue, after, limit| {
        Ok(AdminRoute::Outbox(OutboxOp::List {
            queue,
            after,
            limit,
        }))
    };
    assert_eq!(
        parse("GET", "/v1/outbox", None),
        page(Queue::Pending, None, 100)
    );
    assert_eq!(
        parse("GET", "/v1/outbox", Some("queue=dead&after=7&limit=1000")),
        page(Queue::Dead, Some(7), 1000)
    );
    for bad in ["queue=x", "after=x", "limit=0", "limit=1001"] {
        assert_eq!(parse("GET", "/v1/outbox", Some(bad)), Err(400), "{bad}");
    }
    assert_eq!(parse("POST", "/v1/outbox", None), Err(405));
    let retry = |id| Ok(AdminRoute::Outbox(OutboxOp::Retry { id }));
    assert_eq!(parse("POST", "/v1/outbox/retry", None), retry(None));
    assert_eq!(
        parse("POST", "/v1/outbox/retry", Some("id=3")),
        retry(Some(3))
    );
    assert_eq!(parse("POST", "/v1/outbox/retry", Some("id=x")), Err(400));
    assert_eq!(parse("GET", "/v1/outbox/retry", None), Err(405));
}
