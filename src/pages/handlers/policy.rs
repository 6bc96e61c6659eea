//! `/admin/security`: a company administrator chooses whether 2FA is
//! optional for everyone, required for employee and admin accounts, or
//! required with a passkey or security key only (offered where passkeys
//! are configured).
//! Only admin-class accounts with one of `policy_admin_roles` (default
//! `admin`, alone or with `stress_check_officer`) of that company may see
//! or change it; a policy pinned in the YAML is shown read-only. The
//! implicit tenant of a single-tenant setup is not named on the page. The proxy reads the policy on
//! every request, so a change reaches live sessions on their next click.
//! The same page holds the remembered-browser setting (off, 7 or 30 days;
//! pinnable on its own) and the rollout numbers (`rollout.rs`).

use crate::access::audit;
use crate::access::services::Services;
use crate::access::session;
use crate::domain::NoticeKind;
use crate::domain::{AuditEvent, AuditKind, Enforcement, RememberDays};
use crate::i18n::t;
use crate::pages::common::{posted_record, step_up};
use crate::pages::error::PageError;
use crate::pages::views::{self, Frame, PolicyView};
use crate::pages::{PageRequest, Reply, SessionCtx};
use crate::request::route::Route;

/// Only accounts that may manage their company's policy get further.
fn require_manager(ctx: &Services<'_>, sess: &SessionCtx) -> Result<(), PageError> {
    match sess
        .identity
        .may_manage_policy(&ctx.config.policy_admin_roles)
    {
        true => Ok(()),
        false => Err(PageError::Forbidden),
    }
}

pub fn show(
    ctx: &Services<'_>,
    req: &PageRequest,
    frame: &Frame<'_>,
    sess: &SessionCtx,
) -> Result<Reply, PageError> {
    require_manager(ctx, sess)?;
    render(ctx, req, frame, sess, None, 200)
}

/// Which form of the page a notice (saved, refused) is about: it is shown
/// in that form's section, never beside the other's "managed by
/// configuration".
#[derive(Clone, Copy, PartialEq, Eq)]
enum Section {
    Enforcement,
    Remember,
}

fn render(
    ctx: &Services<'_>,
    req: &PageRequest,
    frame: &Frame<'_>,
    sess: &SessionCtx,
    notice: Option<(Section, &str)>,
    status: u16,
) -> Result<Reply, PageError> {
    let notice_of = |section| notice.filter(|(s, _)| *s == section).map(|(_, n)| n);
    let company = sess.identity.company();
    let current = ctx.enforcement(company)?;
    let csrf = session::csrf_token(ctx.keys, sess.app, req.now);
    let view = PolicyView {
        company: (!ctx.config.tenancy.is_implicit(company)).then_some(company),
        current: current.as_str(),
        pinned: ctx.config.companies.contains_key(company),
        remember: ctx.remember_days(company)?.as_string(),
        remember_pinned: ctx.config.remember_days.contains_key(company),
        csrf: &csrf,
        notice: notice_of(Section::Enforcement),
        remember_notice: notice_of(Section::Remember),
        rollout: crate::access::rollout::numbers(ctx, company, current, req.now)?,
        passkeys: ctx.passkeys.is_some(),
    };
    Ok(Reply::html(status, views::policy(frame, &view)))
}

pub fn save(
    ctx: &Services<'_>,
    req: &PageRequest,
    frame: &Frame<'_>,
    sess: &SessionCtx,
) -> Result<Reply, PageError> {
    require_manager(ctx, sess)?;
    // A company setting decides everyone's factors and trust: a stolen
    // remembered-browser cookie must not lengthen its own life or let
    // code-earned trust back in (a step-up, as for a person's factors).
    let record = posted_record(ctx, req, sess)?;
    let here = Route::Policy.href(&ctx.config.prefix);
    if let Some(first) = step_up(ctx, req, sess, &record, &here) {
        return Ok(first);
    }
    let company = sess.identity.company();
    if let Some(days) = req.form.get("remember_days") {
        return save_remember(ctx, req, frame, sess, days);
    }
    if ctx.config.companies.contains_key(company) {
        let pinned = t(frame.locale, "policy.refused_pinned");
        return render(
            ctx,
            req,
            frame,
            sess,
            Some((Section::Enforcement, pinned)),
            409,
        );
    }
    let wanted = req
        .form
        .get("enforcement")
        .and_then(Enforcement::parse)
        // Nobody could register the passkey it requires.
        .filter(|e| !e.passkey_only() || ctx.passkeys.is_some())
        .ok_or(PageError::BadForm("enforcement"))?;
    let before = ctx.enforcement(company)?;
    ctx.store.set_company_policy(company, wanted)?;
    if before != wanted {
        let (from, to) = (before.as_str(), wanted.as_str());
        changed(
            ctx,
            req,
            sess,
            format!("{from} -> {to}"),
            format!("{from} → {to}"),
        );
    }
    let saved = t(frame.locale, "policy.saved");
    render(
        ctx,
        req,
        frame,
        sess,
        Some((Section::Enforcement, saved)),
        200,
    )
}

/// The remembered-browser setting: off, or one of the short list of days.
/// Lowering it applies to every remembered browser at its next request.
fn save_remember(
    ctx: &Services<'_>,
    req: &PageRequest,
    frame: &Frame<'_>,
    sess: &SessionCtx,
    wanted: &str,
) -> Result<Reply, PageError> {
    let company = sess.identity.company();
    if ctx.config.remember_days.contains_key(company) {
        let pinned = t(frame.locale, "policy.refused_pinned");
        return render(
            ctx,
            req,
            frame,
            sess,
            Some((Section::Remember, pinned)),
            409,
        );
    }
    let wanted = RememberDays::parse(wanted).ok_or(PageError::BadForm("remember_days"))?;
    let before = ctx.remember_days(company)?;
    ctx.store.set_company_remember(company, wanted)?;
    if before != wanted {
        let (from, to) = (before.as_string(), wanted.as_string());
        let audit_note = format!("remember browsers: {from} -> {to}");
        changed(
            ctx,
            req,
            sess,
            audit_note,
            format!("remember browsers: {from} → {to}"),
        );
    }
    let saved = t(frame.locale, "policy.saved");
    render(ctx, req, frame, sess, Some((Section::Remember, saved)), 200)
}

/// A company security setting changed: audited (about the company, not the
/// administrator's person) and told (`policy_changed`), whichever it was.
fn changed(
    ctx: &Services<'_>,
    req: &PageRequest,
    sess: &SessionCtx,
    audit_note: String,
    told: String,
) {
    let mut event = AuditEvent::by_user(&sess.identity, AuditKind::PolicyChanged, req.now)
        .with_note(audit_note);
    event.person = None;
    audit::record(ctx.store.as_ref(), event);
    let change = crate::notify::Change::by_user(&sess.identity, &sess.whence);
    let (store, notify) = (ctx.store.as_ref(), ctx.config.notify.as_ref());
    crate::notify::enqueue(store, notify, NoticeKind::PolicyChanged, &change, &told);
}
