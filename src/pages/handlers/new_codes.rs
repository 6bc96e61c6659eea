//! A new set of backup codes, as enrollment and the settings page hand it
//! out: generated and sealed to the person (`backup_codes::generate`,
//! microseconds: no hash pool), shown once, and downloadable as a text
//! file for a short time (`POST /backup-codes.txt`). The server keeps no
//! plaintext code: the download form carries the codes sealed to this app
//! session.

use crate::access::services::Services;
use crate::access::session;
use crate::domain::PersonRecord;
use crate::factors::backup_codes;
use crate::pages::common::require_csrf;
use crate::pages::error::PageError;
use crate::pages::views::{self, BackupCodesView, Frame};
use crate::pages::{PageRequest, Reply, SessionCtx};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// How long the download button of new backup codes works.
const DOWNLOAD_TTL_SECS: i64 = 30 * 60;

/// The next generation of backup codes for the session's person, sealed
/// under the first encryption key.
pub fn generate(
    ctx: &Services<'_>,
    sess: &SessionCtx,
    record: &PersonRecord,
    now: i64,
) -> backup_codes::NewCodes {
    let generation = record.backup_codes.as_ref().map_or(0, |s| s.generation) + 1;
    let person = sess.identity.person_key();
    backup_codes::generate(&mut rand::rng(), ctx.keys, &person, generation, now)
}

/// The page that shows freshly generated codes once, with the download.
pub fn page(
    ctx: &Services<'_>,
    sess: &SessionCtx,
    frame: &Frame,
    codes: &[String],
    return_to: &str,
    now: i64,
    offer_passkey: bool,
) -> Reply {
    let payload = serde_json::json!({
        "codes": codes,
        "account": sess.identity.account(),
        "exp": now + DOWNLOAD_TTL_SECS,
    });
    let sealed = ctx.keys.seal(
        &download_aad(sess),
        payload.to_string().as_bytes(),
        &mut rand::rng(),
    );
    let token = URL_SAFE_NO_PAD.encode(sealed);
    let csrf = session::csrf_token(ctx.keys, sess.app, now);
    // Where the codes end a first enrollment with the app, a passkey is
    // offered too (it comes back here, to `return_to`, when added).
    let passkey_href = (offer_passkey && ctx.passkeys.is_some()).then(|| {
        let passkeys = crate::request::route::Route::Passkeys.href(&ctx.config.prefix);
        crate::request::paths::with_return_to(&passkeys, return_to)
    });
    let view = BackupCodesView {
        codes,
        download_token: &token,
        csrf: &csrf,
        return_to,
        passkey_href,
    };
    Reply::html(200, views::backup_codes(frame, &view))
}

fn download_aad(sess: &SessionCtx) -> Vec<u8> {
    let mut aad = b"backup-download:".to_vec();
    aad.extend_from_slice(sess.app.as_bytes());
    aad
}

/// `POST /backup-codes.txt`: the codes just shown, as a text file.
pub fn download(
    ctx: &Services<'_>,
    req: &PageRequest,
    frame: &Frame<'_>,
    sess: &SessionCtx,
) -> Result<Reply, PageError> {
    require_csrf(ctx, req, sess)?;
    let payload = req
        .form
        .get("codes")
        .and_then(|t| URL_SAFE_NO_PAD.decode(t).ok())
        .and_then(|sealed| ctx.keys.open(&download_aad(sess), &sealed))
        .and_then(|plain| serde_json::from_slice::<serde_json::Value>(&plain).ok())
        .ok_or(PageError::BadForm("codes"))?;
    let exp = payload["exp"].as_i64().unwrap_or(0);
    let codes: Vec<String> = payload["codes"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|c| c.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    if req.now > exp || codes.is_empty() {
        return Ok(crate::pages::message(
            frame,
            410,
            "csrf.title",
            &["csrf.body"],
            None,
        ));
    }
    let text =
        backup_codes::download_text(&ctx.config.totp.issuer, sess.identity.account(), &codes);
    Ok(Reply {
        status: 200,
        headers: vec![
            ("Content-Type".into(), "text/plain; charset=utf-8".into()),
            (
                "Content-Disposition".into(),
                "attachment; filename=\"backup-codes.txt\"".into(),
            ),
        ],
        body: text.into_bytes(),
    })
}
