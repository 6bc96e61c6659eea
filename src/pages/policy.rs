//! `/admin/security`: a company administrator chooses whether 2FA is
//! optional for everyone or required for employee and admin accounts.
//! Only admin-class accounts with the `admin` role (alone or with
//! `stress_check_officer`) of that company may see or change it; a policy
//! pinned in the YAML is shown read-only. The proxy reads the policy on
//! every request, so a change reaches live sessions on their next click.

use super::enroll::{csrf_ok, store_failure};
use super::i18n::t;
use super::views::{self, Frame, PolicyView};
use super::{PageRequest, PageResponse, SessionCtx, message};
use crate::audit;
use crate::domain::{AuditEvent, AuditKind, Enforcement};
use crate::gate::Gate;
use crate::session;

/// The 403 page for sessions that may not manage their company's policy.
fn forbidden(frame: &Frame<'_>) -> PageResponse {
    message(frame, 403, "forbidden.title", &["forbidden.body"], None)
}

pub fn show(gate: &Gate, req: &PageRequest, frame: &Frame<'_>, sess: &SessionCtx) -> PageResponse {
    if !sess.identity.may_manage_policy() {
        return forbidden(frame);
    }
    render(gate, req, frame, sess, None, 200)
}

fn render(
    gate: &Gate,
    req: &PageRequest,
    frame: &Frame<'_>,
    sess: &SessionCtx,
    notice: Option<&str>,
    status: u16,
) -> PageResponse {
    let company = &sess.identity.company;
    let current = match gate.enforcement(company) {
        Ok(p) => p,
        Err(e) => return store_failure(frame, &e),
    };
    let csrf = session::csrf_token(&gate.keys, sess.app, req.now);
    let view = PolicyView {
        company,
        current: current.as_str(),
        pinned: gate.config.companies.contains_key(company),
        csrf: &csrf,
        notice,
    };
    PageResponse::html(status, views::policy(frame, &view))
}

pub fn save(gate: &Gate, req: &PageRequest, frame: &Frame<'_>, sess: &SessionCtx) -> PageResponse {
    if !sess.identity.may_manage_policy() {
        return forbidden(frame);
    }
    if !csrf_ok(gate, req, sess) {
        return super::failure(frame, 403);
    }
    let company = &sess.identity.company;
    if gate.config.companies.contains_key(company) {
        return render(
            gate,
            req,
            frame,
            sess,
            Some(t(frame.locale, "policy.refused_pinned")),
            409,
        );
    }
    let Some(wanted) = req.form.get("enforcement").and_then(Enforcement::parse) else {
        return super::failure(frame, 400);
    };
    let before = match gate.enforcement(company) {
        Ok(p) => p,
        Err(e) => return store_failure(frame, &e),
    };
    if let Err(e) = gate.store.set_company_policy(company, wanted) {
        return store_failure(frame, &e);
    }
    if before != wanted {
        audit::record(
            gate.store.as_ref(),
            AuditEvent {
                at: req.now,
                kind: AuditKind::PolicyChanged,
                person: None,
                company: company.clone(),
                actor: sess.identity.account.clone(),
                detail: format!("{} -> {}", before.as_str(), wanted.as_str()),
            },
        );
    }
    render(
        gate,
        req,
        frame,
        sess,
        Some(t(frame.locale, "policy.saved")),
        200,
    )
}
