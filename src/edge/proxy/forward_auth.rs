//! The forward-auth endpoint (`{prefix}/auth`): a front that already runs
//! in front of the app (nginx `auth_request`, Traefik ForwardAuth, Caddy
//! `forward_auth`, ingress-nginx `auth-url`) asks about a request it
//! describes in headers (`request::forwarded`). The request is rebuilt and
//! then read, classified and judged exactly as the inline proxy does (one
//! `RequestHead::read`, one `classify`, one `guard::judge`), so both modes
//! make one decision for one request. Only a trusted front may ask
//! (`trusted_proxies`): from any other peer the ask is refused. Nothing is
//! forwarded upstream; the answer is ours (`pages::forward_auth`). Asks
//! reach these functions from the proxy (`{prefix}/auth` on the gateway's
//! listener) and from the lean ask listener (`edge::ask_listener`); both
//! hand over the ask's head, so neither needs pingora here.

use super::{Step, our_cookies};
use crate::access::decision::Denial;
use crate::access::gate::Gate;
use crate::access::guard::{self, GuardError};
use crate::config::IdentityField;
use crate::domain::Identity;
use crate::edge::upstream::{Forwarding, header_safe};
use crate::identity::IdentityError;
use crate::observe::logging;
use crate::observe::metrics::Outcome;
use crate::pages::forward_auth::{allowed, denied, refused};
use crate::reply::Reply;
use crate::request::forwarded::{self, Convention};
use crate::request::{RequestHead, Verdict, classify};
use http::HeaderMap;
use http::request::Parts;
use std::borrow::Cow;

/// Answer a front's ask (`ask`, after the arrival hygiene of `fwd`) about
/// the request it describes in `describing` (taken before that hygiene).
pub(crate) async fn forward_auth(
    gate: &Gate,
    ask: &Parts,
    describing: &HeaderMap,
    fwd: &mut Forwarding,
    now: i64,
) -> Step {
    if !fwd.trusted() {
        tracing::warn!("forward auth asked by a peer outside trusted_proxies: refused");
        return Step::Answer(Outcome::Refused, refused("untrusted_front"));
    }
    let asked = match forwarded::original(ask, describing) {
        Ok(asked) => asked,
        Err(e) => return Step::Answer(Outcome::Refused, refused(e.code())),
    };
    let head = RequestHead::read(&asked.parts, &asked.raw_target, false, &gate.config, true);
    let client = || super::rules::client(gate, fwd.client_ip, &ask.headers);
    let verdict = super::rules::verdict(
        classify(&head, &gate.config),
        gate,
        &asked.parts,
        &head,
        client,
    );
    match verdict {
        Verdict::Refuse(refusal) => Step::Answer(Outcome::Refused, refused(refusal.error())),
        // Our pages are served by us, on the path the front routes here.
        Verdict::Page(_) => Step::Bare(Outcome::Page, pass(fwd, None, gate)),
        Verdict::Forward => {
            // A login or logout form may change who the session is.
            if !head.method.is_read() {
                gate.identity.forget(&present(gate, ask, &head, fwd));
            }
            Step::Bare(Outcome::Bypass, pass(fwd, None, gate))
        }
        Verdict::Identify => {
            let asked_parts = (&asked.parts, &head);
            judge_asked(gate, ask, asked_parts, fwd, asked.convention, now).await
        }
    }
}

/// The asked request's session, judged as the inline proxy judges it.
async fn judge_asked(
    gate: &Gate,
    ask: &Parts,
    (parts, head): (&Parts, &RequestHead),
    fwd: &mut Forwarding,
    convention: Convention,
    now: i64,
) -> Step {
    let presented = present(gate, ask, head, fwd);
    let peer = fwd.client_ip;
    let client = || super::rules::client(gate, peer, &ask.headers);
    let judged = match guard::judge(gate, &presented, our_cookies(head), now).await {
        Ok(Some(judged)) => judged,
        Ok(None) if super::rules::denies_anonymous(gate, parts, head, client) => {
            let denial = Denial::Forbidden;
            let services = gate.services();
            let reply = denied(&services, denial, &head.target, head.navigation, convention);
            return Step::Answer(Outcome::from(denial), reply);
        }
        Ok(None) => return Step::Bare(Outcome::Anonymous, pass(fwd, None, gate)),
        Err(GuardError::Identity(IdentityError::TooManyLookups)) => {
            let reply = Reply::error(429, "too_many_lookups");
            return Step::Answer(Outcome::Refused, reply);
        }
        Err(e) => {
            tracing::warn!(error = %logging::outside(&e), "cannot decide: failing closed");
            return Step::Answer(Outcome::Error, Reply::error(503, "mfa_unavailable"));
        }
    };
    fwd.identified(&judged.identity);
    match super::rules::decide(gate, parts, head, &judged, client, now) {
        Ok(()) => {
            fwd.passed(judged.trust.passed());
            Step::Bare(Outcome::Pass, pass(fwd, Some(&judged.identity), gate))
        }
        Err(denial) => {
            let services = gate.services();
            let reply = denied(&services, denial, &head.target, head.navigation, convention);
            Step::Answer(Outcome::from(denial), reply)
        }
    }
}

/// What the ask presents about the asked request's login: its cookies as
/// read into `head`, or the SSO front's identity headers of the ask.
fn present(
    gate: &Gate,
    ask: &Parts,
    head: &RequestHead,
    fwd: &Forwarding,
) -> crate::identity::Presented {
    let value = head.app_session().map(str::to_owned);
    gate.identity
        .present(&ask.headers, fwd.trusted(), value, fwd.client_ip)
}

/// 200, with `X-Mfa-Status` and `X-Mfa-Account` as the app would
/// receive them inline, and every configured identity header. Each is
/// sent even when empty (anonymous, no email), so that a front copying
/// them overwrites whatever the client sent under those names.
fn pass(fwd: &Forwarding, identity: Option<&Identity>, gate: &Gate) -> Reply {
    let account = fwd.encoded_account().map(Cow::into_owned);
    let mut headers: Vec<(Cow<'static, str>, String)> = vec![
        ("X-Mfa-Status".into(), fwd.status().to_owned()),
        ("X-Mfa-Account".into(), account.unwrap_or_default()),
    ];
    for (name, field) in &gate.config.forward_auth.identity_headers {
        let value = identity.and_then(|i| field_value(i, *field));
        headers.push((Cow::Owned(name.clone()), value.unwrap_or_default()));
    }
    allowed(headers)
}

/// One identity field as a header value (percent-encoded where needed).
fn field_value(identity: &Identity, field: IdentityField) -> Option<String> {
    let text = match field {
        IdentityField::Account => identity.account(),
        IdentityField::Email => identity.email()?,
        IdentityField::Company => identity.company(),
        IdentityField::Class => identity.class().as_str(),
    };
    Some(header_safe(text).into_owned())
}
