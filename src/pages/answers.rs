//! The answers several routes and the proxy share: the page frame (language
//! switch, app name), a message page, the denial of an app request
//! (redirect or JSON), the locked and failure pages, the language cookie
//! and the health check.

use crate::access::decision::Denial;
use crate::access::services::Services;
use crate::config::Locale;
use crate::pages::PageRequest;
use crate::pages::views::{self, Frame, LanguageLink};
use crate::reply::Reply;
use crate::request::paths;
use crate::request::route::Route;
use crate::request::set_cookie::SetCookie;

pub(in crate::pages) fn not_found(frame: &Frame) -> Reply {
    message(frame, 404, "not_found.title", &["not_found.body"], None)
}

pub fn frame<'a>(ctx: &Services<'a>, req: &PageRequest) -> Frame<'a> {
    let here = req.route.href(&ctx.config.prefix);
    let return_to = req.return_to(&ctx.config.prefix);
    let switch = others(ctx, req.locale)
        .map(|locale| {
            let mut q = form_urlencoded::Serializer::new(String::new());
            q.append_pair("lang", locale.as_str());
            for name in ["method", "via"] {
                if let Some(v) = req.query_param(name) {
                    q.append_pair(name, &v);
                }
            }
            if return_to != "/" {
                q.append_pair("return_to", &return_to);
            }
            let href = format!("{here}?{}", q.finish());
            LanguageLink { locale, href }
        })
        .collect();
    Frame {
        locale: req.locale,
        app_name: &ctx.config.ui.app_name,
        logo: ctx.config.ui.logo.as_deref(),
        prefix: &ctx.config.prefix,
        switch,
        support: ctx.config.ui.support_contact.as_ref(),
    }
}

/// The offered languages but `locale`, for the switch.
fn others<'a>(ctx: &Services<'a>, locale: Locale) -> impl Iterator<Item = Locale> + 'a {
    ctx.config.ui.languages.iter().filter(move |l| *l != locale)
}

/// The language switch of a page rendered in place of the app path
/// `path`.
pub fn switch_for(ctx: &Services<'_>, path: &str, locale: Locale) -> Vec<LanguageLink> {
    let path = paths::safe_return_to(path, &ctx.config.prefix);
    others(ctx, locale)
        .map(|l| LanguageLink {
            locale: l,
            href: format!("{path}?lang={}", l.as_str()),
        })
        .collect()
}

pub fn message(
    frame: &Frame,
    status: u16,
    title_key: &str,
    body_keys: &[&str],
    link: Option<&str>,
) -> Reply {
    Reply::html(status, views::message(frame, title_key, body_keys, link))
}

/// The answer to an app request that may not pass yet. Navigations get a
/// 303 to our page with a sanitized `return_to`; anything else (XHR, API,
/// POST) gets a JSON 401 (423 when locked, 403 when an access rule denies)
/// naming where to go.
pub fn deny(
    ctx: &Services<'_>,
    denial: Denial,
    request_target: &str,
    is_navigation: bool,
    frame: &Frame,
) -> Reply {
    let Some((error, location)) = sent_to(&ctx.config.prefix, denial, request_target) else {
        return match (denial, is_navigation) {
            (Denial::Locked, true) => locked(frame),
            (Denial::Locked, false) => Reply::json(423, serde_json::json!({"error": "locked"})),
            (_, true) => message(frame, 403, "rule_denied.title", &["rule_denied.body"], None),
            (_, false) => Reply::json(403, serde_json::json!({"error": "forbidden"})),
        };
    };
    if is_navigation {
        Reply::redirect(&location)
    } else {
        Reply::json(
            401,
            serde_json::json!({"error": error, "location": location}),
        )
    }
}

/// Where a denial sends the person: the JSON `error` and our page, with
/// the request's own target as a sanitized `return_to`. `None` where no
/// page of ours helps (locked, denied by a rule). A step-up carries its
/// window (`within`, seconds), so that the challenge asks for a proof as
/// recent as the rule wants.
pub fn sent_to(prefix: &str, denial: Denial, target: &str) -> Option<(&'static str, String)> {
    let (error, page) = match denial {
        Denial::Enroll => ("enrollment_required", Route::Enroll.href(prefix)),
        Denial::Challenge => ("mfa_required", Route::Challenge.href(prefix)),
        Denial::StepUp { within_secs } => (
            "step_up_required",
            format!(
                "{}?step_up=1&within={within_secs}",
                Route::Challenge.href(prefix)
            ),
        ),
        Denial::Passkey => ("passkey_required", Route::Passkeys.href(prefix)),
        // The challenge again, for a verified session, where codes are
        // refused: only the key proves what the rule asks.
        Denial::PasskeyProof => (
            "passkey_proof_required",
            format!("{}?step_up=1&passkey=1", Route::Challenge.href(prefix)),
        ),
        Denial::Locked | Denial::Forbidden => return None,
    };
    let return_to = paths::safe_return_to(target, prefix);
    let location = match page.contains('?') {
        true if return_to != "/" => {
            let q = form_urlencoded::Serializer::new(String::new())
                .append_pair("return_to", &return_to)
                .finish();
            format!("{page}&{q}")
        }
        true => page,
        false => paths::with_return_to(&page, &return_to),
    };
    Some((error, location))
}

/// The locked page (423): only support can lift the lock.
pub fn locked(frame: &Frame) -> Reply {
    Reply::html(423, views::locked(frame))
}

/// A failure answer with a page for browsers, used by the proxy.
pub fn failure(frame: &Frame, status: u16) -> Reply {
    let (title, body) = match status {
        400 => ("bad_request.title", "bad_request.body"),
        403 => ("csrf.title", "csrf.body"),
        // 431: header values far too large (refused by the proxy).
        413 | 431 => ("too_large.title", "too_large.body"),
        _ => ("unavailable.title", "unavailable.body"),
    };
    message(frame, status, title, &[body], None)
}

pub(in crate::pages) fn lang_cookie(ctx: &Services<'_>, l: Locale) -> String {
    SetCookie {
        name: crate::i18n::LANG_COOKIE,
        value: l.as_str(),
        path: &ctx.config.prefix,
        max_age_secs: 31_536_000,
        http_only: false,
        secure: ctx.config.cookie.secure,
    }
    .header()
}

pub(in crate::pages) fn health(ctx: &Services<'_>) -> Reply {
    // A read that reaches the engine (the database, for replicas) proves
    // the store answers; a failure is not "alive", and a load balancer
    // drains this replica.
    match ctx.store.ping() {
        Ok(_) => Reply::json(200, serde_json::json!({"status": "ok"})),
        Err(e) => {
            tracing::error!(error = %e, "health check: store unavailable");
            Reply::json(503, serde_json::json!({"status": "store_unavailable"}))
        }
    }
}
