//! The passkey parts of our pages (maud), like `views.rs`: they render
//! what they are given. A ceremony form carries the server's options in
//! `data-options` and the sealed ceremony in a hidden field; the script
//! (`pages/webauthn.js`, loaded by `script`) asks the browser and submits.
//! Passkey controls are `hidden` until the script shows them, so a page
//! without script (or a browser without WebAuthn) offers codes only.

use crate::config::Locale;
use crate::i18n::{t, tf};
use crate::pages::views::{Frame, hidden, layout};
use crate::request::route::Route;
use maud::{Markup, html};

/// A started ceremony, as a page hands it to the browser.
pub struct PasskeyForm<'a> {
    /// The options for `navigator.credentials` (JSON).
    pub options: &'a str,
    /// The sealed state (`passkey::Ceremony`).
    pub ceremony: &'a str,
}

/// The script tag of a page with passkey forms.
pub fn script(frame: &Frame) -> Markup {
    html! { script src={ (frame.prefix) "/assets/webauthn.js" } defer {} }
}

/// A form that asks the browser for a credential (`kind`: `get` or
/// `create`) and posts its answer with `fields` to `action`.
fn ceremony_form(
    l: Locale,
    action: &str,
    kind: &str,
    form: &PasskeyForm,
    fields: Markup,
    button: Markup,
) -> Markup {
    html! {
        form.passkey method="post" action=(action) data-webauthn=(kind) data-options=(form.options)
            data-webauthn-only hidden {
            (hidden("ceremony", form.ceremony))
            (hidden("passkey_answer", ""))
            (fields)
            (button)
            p.error role="alert" data-webauthn-cancelled hidden { (t(l, "error.passkey_failed")) }
        }
    }
}

/// The challenge page's passkey form (offered first).
pub fn challenge_form(
    frame: &Frame,
    form: &PasskeyForm,
    csrf: &str,
    return_to: &str,
    remember: Markup,
) -> Markup {
    let l = frame.locale;
    let fields = html! {
        (hidden("csrf", csrf))
        (hidden("return_to", return_to))
        p.small { (t(l, "passkey.use_hint")) }
        (remember)
    };
    let button = html! {
        button id="use-passkey" type="submit" data-webauthn-submit { (t(l, "passkey.use")) }
    };
    let action = Route::Challenge.href(frame.prefix);
    html! {
        section id="passkey-challenge" {
            (ceremony_form(l, &action, "get", form, fields, button))
        }
    }
}

/// A settings form confirmed with a passkey instead of a code; its
/// button says what it does (`label`, a catalog key) and how.
pub fn confirm_form(
    frame: &Frame,
    form: &PasskeyForm,
    csrf: &str,
    action: &str,
    extra: Markup,
    (id, label): (&str, &str),
) -> Markup {
    let l = frame.locale;
    let fields = html! {
        (hidden("csrf", csrf))
        (hidden("action", action))
        (extra)
    };
    let text = tf(l, "passkey.confirm_action", &[("action", t(l, label))]);
    let button = html! {
        button.secondary id=(id) type="submit" data-webauthn-submit { (text) }
    };
    ceremony_form(
        l,
        &Route::Settings.href(frame.prefix),
        "get",
        form,
        fields,
        button,
    )
}

pub struct PasskeyAddView<'a> {
    /// The company requires a passkey of this account.
    pub required: bool,
    pub form: PasskeyForm<'a>,
    pub csrf: &'a str,
    pub return_to: &'a str,
    /// The name typed (shown again after an error).
    pub name: &'a str,
    pub error: Option<String>,
    /// Where to set up the authenticator app instead, when that counts.
    pub app_href: Option<String>,
}

/// `/passkeys`: name a new passkey or security key and register it.
pub fn add_page(frame: &Frame, v: &PasskeyAddView) -> Markup {
    let l = frame.locale;
    let fields = html! {
        (hidden("csrf", v.csrf))
        (hidden("return_to", v.return_to))
        label for="passkey-name" { (t(l, "passkey.name_label")) }
        p.small id="passkey-name-hint" { (t(l, "passkey.name_hint")) }
        input.name id="passkey-name" name="name" type="text" maxlength="60" required autofocus
            value=(v.name) aria-describedby="passkey-name-hint";
        @if let Some(e) = &v.error { p.error id="passkey-error" role="alert" { (e) } }
    };
    let button = html! {
        button id="add-passkey" type="submit" data-webauthn-submit { (t(l, "passkey.add")) }
    };
    let action = Route::Passkeys.href(frame.prefix);
    layout(
        frame,
        t(l, "passkey.add_title"),
        html! {
            @if v.required { p.notice id="passkey-required" { (t(l, "passkey.required")) } }
            p { (t(l, "passkey.intro")) }
            (ceremony_form(l, &action, "create", &v.form, fields, button))
            p.notice data-webauthn-fallback { (t(l, "passkey.needs_script")) }
            @if let Some(href) = &v.app_href {
                p { a id="use-app" href=(href) { (t(l, "passkey.use_app")) } }
            }
            (script(frame))
        },
    )
}

/// One registered key on the settings page.
pub struct PasskeyRow {
    pub id: String,
    pub name: String,
    pub added: String,
    /// When it was last used, or `None`.
    pub used: Option<String>,
}

pub struct PasskeyPanel<'a> {
    pub rows: &'a [PasskeyRow],
    pub csrf: &'a str,
    /// A ceremony to confirm a removal with a passkey.
    pub confirm: Option<&'a PasskeyForm<'a>>,
    /// A removal may be confirmed with an app code.
    pub codes: bool,
    pub error: Option<&'a str>,
    pub add_href: String,
}

/// The settings page's list of keys: rename, remove (after a second
/// step), and the way to add one.
pub fn panel(frame: &Frame, v: &PasskeyPanel) -> Markup {
    let l = frame.locale;
    let action = Route::Settings.href(frame.prefix);
    html! {
        section id="passkeys" {
            h2 { (t(l, "passkey.title")) }
            @if let Some(e) = v.error { p.error id="passkey-settings-error" role="alert" { (e) } }
            @if v.rows.is_empty() {
                p.small id="no-passkeys" { (t(l, "passkey.none")) }
            } @else {
                p.small { (t(l, "passkey.remove_body")) }
                ul.passkeys {
                    @for row in v.rows {
                        @let used = row.used.clone().unwrap_or_else(|| t(l, "passkey.never").to_owned());
                        li.passkey {
                            strong { (row.name) }
                            br;
                            span.small { (tf(l, "passkey.times", &[("added", &row.added), ("used", &used)])) }
                            form.inline method="post" action=(action) {
                                (hidden("csrf", v.csrf))
                                (hidden("action", "rename_passkey"))
                                (hidden("passkey", &row.id))
                                input.name type="text" name="name" maxlength="60" required value=(row.name)
                                    aria-label=(t(l, "passkey.name_label"));
                                button.secondary.small type="submit" { (t(l, "passkey.rename")) }
                            }
                            @if v.codes {
                                form.inline method="post" action=(action) {
                                    (hidden("csrf", v.csrf))
                                    (hidden("action", "remove_passkey"))
                                    (hidden("passkey", &row.id))
                                    input type="text" name="code" autocomplete="one-time-code" inputmode="numeric"
                                        pattern="[0-9 ]*" maxlength="8" required
                                        aria-label=(t(l, "common.code_label"));
                                    button.danger.small type="submit" { (t(l, "passkey.remove")) }
                                }
                            }
                            @if let Some(form) = v.confirm {
                                (confirm_form(frame, form, v.csrf, "remove_passkey",
                                    hidden("passkey", &row.id), (&format!("remove-{}", row.id), "passkey.remove")))
                            }
                        }
                    }
                }
            }
            p { a.button.secondary id="add-passkey-link" href=(v.add_href) { (t(l, "passkey.add")) } }
        }
    }
}
