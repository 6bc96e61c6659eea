//! The one entry of our pages: the access rule first (`admit`), then the
//! route's handler (`dispatch`); a handler's `PageError` becomes the
//! user's page here, in one place.

use crate::access::admit::{Admission, Standing};
use crate::access::services::Services;
use crate::pages::PageRequest;
use crate::pages::answers::{deny, failure, frame, health, lang_cookie, message, not_found};
use crate::pages::handlers;
use crate::pages::views::{self, Frame};
use crate::reply::Reply;
use crate::request::Method;
use crate::request::route::Route;

/// Answer a request for one of our pages, whose session stands as
/// `standing`: the access rule first, then the route's handler.
pub async fn handle(ctx: &Services<'_>, req: PageRequest, standing: Standing) -> Reply {
    let frame = frame(ctx, &req);
    let response = match admit(&req, standing) {
        Admission::Serve => dispatch(ctx, &req, &frame).await,
        Admission::LogInFirst => message(&frame, 401, "anon.title", &["anon.body"], Some("/")),
        Admission::Deny(denial) => {
            let here = match req.route.is_returnable() {
                true => req.route.href(&ctx.config.prefix),
                false => "/".to_owned(),
            };
            deny(ctx, denial, &here, req.navigation, &frame)
        }
    };
    match req
        .query_param("lang")
        .and_then(|l| ctx.config.ui.languages.get(&l))
    {
        Some(l) => response.with_header("Set-Cookie", lang_cookie(ctx, l)),
        None => response,
    }
}

/// The access rule, for a route answered with this method (an unknown
/// route or method is an open 404).
fn admit(req: &PageRequest, standing: Standing) -> Admission {
    if !req.route.allows(req.method) {
        return Admission::Serve;
    }
    crate::access::admit::admit(req.route.access(), standing)
}

async fn dispatch(ctx: &Services<'_>, req: &PageRequest, frame: &Frame<'_>) -> Reply {
    let post = req.method == Method::Post;
    let sess = req.session.as_ref();
    let handled = match (&req.route, sess) {
        _ if !req.route.allows(req.method) => Ok(not_found(frame)),
        (Route::Health, _) => Ok(health(ctx)),
        (Route::Asset(path), _) => Ok(views::assets::serve(path)),
        // Forward auth is answered by the edge, never here.
        (Route::NotFound | Route::Auth, _) => Ok(not_found(frame)),
        // `admit` let only logged-in sessions through to these.
        (_, None) => Ok(failure(frame, 401)),
        (Route::Enroll, Some(s)) if post => handlers::enroll::confirm(ctx, req, frame, s).await,
        (Route::Enroll, Some(s)) => handlers::enroll::show(ctx, req, frame, s),
        (Route::BackupCodesDownload, Some(s)) => handlers::new_codes::download(ctx, req, frame, s),
        (Route::Challenge, Some(s)) if post => {
            handlers::challenge::verify(ctx, req, frame, s).await
        }
        (Route::Challenge, Some(s)) => handlers::challenge::show(ctx, req, frame, s),
        (Route::SignedIn, Some(s)) => handlers::challenge::signed_in(ctx, req, frame, s),
        (Route::Settings, Some(s)) if post => handlers::settings::change(ctx, req, frame, s).await,
        (Route::Settings, Some(s)) => handlers::settings::show(ctx, req, frame, s),
        (Route::Policy, Some(s)) if post => handlers::policy::save(ctx, req, frame, s),
        (Route::Policy, Some(s)) => handlers::policy::show(ctx, req, frame, s),
        (Route::Passkeys, Some(s)) if post => {
            handlers::passkeys::register(ctx, req, frame, s).await
        }
        (Route::Passkeys, Some(s)) => handlers::passkeys::show(ctx, req, frame, s),
    };
    handled.unwrap_or_else(|e| e.respond(frame))
}
