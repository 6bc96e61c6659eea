//! The access rules at the edge: a request's facts as the rules see them
//! (`config::rules::Asked`: the normalized path, the method, the `Host`
//! the app reads, the client as seen through `trusted_proxies`), and the
//! bypass a rule may grant before identification. The rules themselves
//! are `access::rules`, pure.

use crate::access;
use crate::access::decision::Denial;
use crate::access::gate::Gate;
use crate::access::guard::Judged;
use crate::config::rules::Asked;
use crate::request::headers::X_FORWARDED_FOR;
use crate::request::{RequestHead, Verdict, paths};
use http::HeaderMap;
use http::request::Parts;
use std::net::IpAddr;

/// The facts of the request `parts` (read into `head`) from `client`.
fn asked<'a>(
    gate: &Gate,
    parts: &'a Parts,
    head: &'a RequestHead,
    client: Option<IpAddr>,
) -> Asked<'a> {
    let query = head.query.as_deref();
    Asked {
        path: head.path.as_clear(),
        method: parts.method.as_str(),
        host: crate::request::host(&parts.headers, &parts.uri),
        client,
        bypass_query: paths::query_keeps_bypass(query, &gate.config.bypass_query),
    }
}

/// The client behind `peer`: the peer itself unless it is a trusted
/// proxy; else, walking `X-Forwarded-For` from the right (what the
/// nearest proxy added), the first address that is not a trusted proxy.
/// Unlike a notification's "from which address", this one decides: a
/// list that does not read (a hop that is not an address, the header
/// sent twice) gives no client, which matches no `networks` condition.
pub(super) fn client(gate: &Gate, peer: Option<IpAddr>, headers: &HeaderMap) -> Option<IpAddr> {
    let trusted = |ip: IpAddr| gate.config.trusted_proxies.contains(ip);
    let peer = peer?;
    if !trusted(peer) {
        return Some(peer);
    }
    let mut values = headers.get_all(X_FORWARDED_FOR).iter();
    let list = match (values.next(), values.next()) {
        (None, _) => return Some(peer),
        (Some(one), None) => one.to_str().ok()?,
        (Some(_), Some(_)) => return None,
    };
    let mut origin = peer;
    for hop in list.rsplit(',') {
        origin = hop.trim().parse::<IpAddr>().ok()?.to_canonical();
        if !trusted(origin) {
            break;
        }
    }
    Some(origin)
}

/// `classify`'s verdict, with an app request that a `bypass` rule
/// forwards unjudged made a `Forward`. `client` is asked only when there are rules.
pub(super) fn verdict(
    verdict: Verdict,
    gate: &Gate,
    parts: &Parts,
    head: &RequestHead,
    client: impl FnOnce() -> Option<IpAddr>,
) -> Verdict {
    let rules = &gate.config.access_rules;
    if verdict != Verdict::Identify || rules.is_empty() {
        return verdict;
    }
    let asked = asked(gate, parts, head, client());
    match access::rules::bypassed(rules, &asked) {
        true => Verdict::Forward,
        false => verdict,
    }
}

/// Whether the access rules deny this request of nobody logged in.
/// `client` is asked only when there are rules.
pub(super) fn denies_anonymous(
    gate: &Gate,
    parts: &Parts,
    head: &RequestHead,
    client: impl FnOnce() -> Option<IpAddr>,
) -> bool {
    let rules = &gate.config.access_rules;
    !rules.is_empty() && access::rules::denies_anonymous(rules, &asked(gate, parts, head, client()))
}

/// The judged session's decision under the access rules (the judge's
/// own when there are none). `client` is asked only when there are rules.
pub(super) fn decide(
    gate: &Gate,
    parts: &Parts,
    head: &RequestHead,
    judged: &Judged<'_>,
    client: impl FnOnce() -> Option<IpAddr>,
    now: i64,
) -> Result<(), Denial> {
    let rules = &gate.config.access_rules;
    if rules.is_empty() {
        return judged.decision;
    }
    let asked = asked(gate, parts, head, client());
    let (applied, decision) = access::rules::decide(rules, &asked, judged, now);
    tracing::debug!(rule = ?applied.source, action = %applied.action, "access rule applied");
    decision
}
