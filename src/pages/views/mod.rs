//! The HTML of every mfa-gate page (maud). Views only render what they are
//! given: no store, no clock, no secrets beyond what the page must show
//! (the enrollment key, new backup codes). maud escapes every interpolated
//! string, so user input is never echoed raw.

pub(in crate::pages) mod assets;

pub(in crate::pages) mod panels;
pub(in crate::pages) mod passkeys;

use crate::config::{Locale, SupportContact};
use crate::i18n::{t, tf};
use crate::request::route::Route;
use maud::{DOCTYPE, Markup, PreEscaped, html};
pub use panels::{BrowserRow, LOW_BACKUP_CODES, SignedInView, signed_in};
use panels::{codes_warning, remember_setting, remembered_browsers, rollout};

/// What every page needs to draw its frame.
pub struct Frame<'a> {
    pub locale: Locale,
    pub app_name: &'a str,
    pub logo: Option<&'a str>,
    pub prefix: &'a str,
    /// The language switch: this page in each other offered language.
    pub switch: Vec<LanguageLink>,
    /// Who to ask when locked out (`ui.support_contact`).
    pub support: Option<&'a SupportContact>,
}

/// One link of the language switch.
pub struct LanguageLink {
    pub locale: Locale,
    /// The current URL with `lang=` of that language.
    pub href: String,
}

pub fn layout(frame: &Frame, title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang=(frame.locale.as_str()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="referrer" content="no-referrer";
                title { (title) " · " (frame.app_name) }
                link rel="stylesheet" href={ (frame.prefix) "/assets/style.css" };
                // An empty icon: otherwise the browser asks for the app's
                // /favicon.ico, which a session that may not reach the app
                // yet is refused (a failed request on every page).
                link rel="icon" href="data:,";
            }
            body {
                header.top {
                    span.app {
                        @if let Some(logo) = frame.logo { img.logo src=(logo) alt=""; }
                        (frame.app_name)
                    }
                    span.langs {
                        @for link in &frame.switch {
                            a.lang href=(link.href) hreflang=(link.locale.as_str()) lang=(link.locale.as_str()) {
                                (t(link.locale, "lang.name"))
                            }
                        }
                    }
                }
                main.card {
                    h1 { (title) }
                    (body)
                }
            }
        }
    }
}

/// A message next to the field it is about, announced to screen readers.
fn field_error(id: &str, error: Option<&str>) -> Markup {
    html! {
        @if let Some(e) = error {
            p.error id=(id) role="alert" { (e) }
        }
    }
}

pub struct EnrollView<'a> {
    pub required: bool,
    pub account: &'a str,
    pub qr_svg: &'a str,
    /// The otpauth URI itself, as a link for a phone that shows this page.
    pub otpauth_uri: &'a str,
    pub manual_key: &'a str,
    pub csrf: &'a str,
    pub return_to: &'a str,
    pub error: Option<String>,
    /// The passkey page, when passkeys are configured.
    pub passkey_href: Option<String>,
}

pub fn enroll(frame: &Frame, v: &EnrollView) -> Markup {
    let l = frame.locale;
    layout(
        frame,
        t(l, "enroll.title"),
        html! {
            @if v.required { p.notice { (t(l, "enroll.required")) } }
            p { (t(l, "enroll.intro")) }
            ol.steps {
                li { (t(l, "enroll.step1")) }
                li {
                    (t(l, "enroll.step2"))
                    figure.qr role="img" aria-label=(t(l, "enroll.qr_alt")) { (PreEscaped(v.qr_svg)) }
                    p.small { (t(l, "enroll.manual")) }
                    p { code.key id="manual-key" { (v.manual_key) } }
                    p.small { a id="otpauth-link" href=(v.otpauth_uri) { (t(l, "enroll.open_app")) } }
                    p.small { (tf(l, "enroll.manual_details", &[("account", v.account)])) }
                }
                li { (t(l, "enroll.step3")) }
            }
            form method="post" action=(Route::Enroll.href(frame.prefix)) {
                (hidden("csrf", v.csrf))
                (hidden("return_to", v.return_to))
                // No focus on arrival: the field sits below the steps, and
                // focusing it would scroll them away on a phone and have a
                // screen reader skip them. After a wrong code, the field is
                // what the person needs next.
                (code_field(l, "code", v.error.as_deref(), v.error.is_some()))
                button type="submit" { (t(l, "enroll.submit")) }
            }
            @if let Some(href) = &v.passkey_href {
                p { a id="passkey-instead" href=(href) { (t(l, "passkey.instead")) } }
            }
        },
    )
}

pub(super) fn hidden(name: &str, value: &str) -> Markup {
    html! { input type="hidden" name=(name) value=(value); }
}

/// The 6-digit code input; `id` tells several on one page apart. Only a
/// field at the top of its page gets the focus (`autofocus`): focusing one
/// below the page's instructions would scroll them away on a phone and
/// make a screen reader skip them.
fn code_field(l: Locale, id: &str, error: Option<&str>, autofocus: bool) -> Markup {
    let hint = format!("{id}-hint");
    let err = format!("{id}-error");
    html! {
        label for=(id) { (t(l, "common.code_label")) }
        p.small id=(hint) { (t(l, "common.code_hint")) }
        input id=(id) name="code" type="text" autocomplete="one-time-code" inputmode="numeric"
            pattern="[0-9 ]*" maxlength="8" required autofocus[autofocus]
            aria-describedby=@if error.is_some() { (err) " " (hint) } @else { (hint) }
            aria-invalid=[error.map(|_| "true")];
        (field_error(&err, error))
    }
}

pub struct BackupCodesView<'a> {
    pub codes: &'a [String],
    pub download_token: &'a str,
    pub csrf: &'a str,
    pub return_to: &'a str,
    /// "Add a passkey too", after a first enrollment with the app.
    pub passkey_href: Option<String>,
}

pub fn backup_codes(frame: &Frame, v: &BackupCodesView) -> Markup {
    let l = frame.locale;
    layout(
        frame,
        t(l, "backup.title"),
        html! {
            p { (t(l, "backup.intro")) }
            p.notice { (t(l, "backup.warning")) }
            ol.codes {
                @for c in v.codes { li { code { (c) } } }
            }
            form method="post" action=(Route::BackupCodesDownload.href(frame.prefix)) {
                (hidden("csrf", v.csrf))
                (hidden("codes", v.download_token))
                button.secondary type="submit" { (t(l, "backup.download")) }
            }
            p { a.button href=(v.return_to) { (t(l, "backup.done")) } }
            @if let Some(href) = &v.passkey_href {
                p.small { a id="offer-passkey" href=(href) { (t(l, "passkey.offer")) } }
            }
        },
    )
}

pub struct ChallengeView<'a> {
    /// The account being verified, named at the top.
    pub account: &'a str,
    /// The app's logout ("not you? sign out"), when configured.
    pub logout_url: Option<&'a str>,
    /// A step-up before a change of factors (its own heading).
    pub step_up: bool,
    pub backup: bool,
    /// The company lets a browser be remembered for this many days.
    pub remember_days: Option<u16>,
    /// The box was ticked (a page shown again after a wrong code).
    pub remember_checked: bool,
    pub csrf: &'a str,
    pub return_to: &'a str,
    pub error: Option<String>,
    /// `?method=…` links keep `return_to`.
    pub switch_href: String,
    /// The passkey form, offered first (`passkey_views::challenge_form`).
    pub passkey: Option<Markup>,
    /// Codes are accepted (not where the company requires a passkey).
    pub codes: bool,
    /// The person has the authenticator app (else: backup codes only).
    pub totp: bool,
}

pub fn challenge(frame: &Frame, v: &ChallengeView) -> Markup {
    let l = frame.locale;
    let error = v.error.as_deref();
    let title = match v.step_up {
        true => "step_up.title",
        false => "challenge.title",
    };
    layout(
        frame,
        t(l, title),
        html! {
            p.account id="account" {
                (tf(l, "challenge.account", &[("account", v.account)]))
                @if let Some(url) = v.logout_url {
                    " " a id="sign-out" href=(url) { (t(l, "challenge.not_you")) }
                }
            }
            @if v.step_up { p { (t(l, "step_up.body")) } }
            @if let Some(passkey) = &v.passkey {
                (passkey)
                @if v.codes { h2.or data-webauthn-only hidden { (t(l, "passkey.or_code")) } }
            }
            @if !v.codes {
                @if let Some(e) = error { p.error id="code-error" role="alert" { (e) } }
                p.small { (t(l, "challenge.no_access")) }
            } @else {
            form method="post" action=(Route::Challenge.href(frame.prefix)) {
                (hidden("csrf", v.csrf))
                (hidden("return_to", v.return_to))
                @if v.backup {
                    label for="backup_code" { (t(l, "challenge.backup_label")) }
                    p.small id="backup-hint" { (t(l, "challenge.backup_hint")) }
                    input id="backup_code" name="backup_code" type="text" autocomplete="off"
                        autocapitalize="none" spellcheck="false" maxlength="32" required autofocus
                        aria-describedby=@if error.is_some() { "code-error backup-hint" } @else { "backup-hint" }
                        aria-invalid=[error.map(|_| "true")];
                    (field_error("code-error", error))
                } @else {
                    p { (t(l, "challenge.intro")) }
                    (code_field(l, "code", error, true))
                }
                @if let Some(days) = v.remember_days {
                    div.choice {
                        input type="checkbox" id="remember" name="remember" value="yes"
                            checked[v.remember_checked];
                        label.inline for="remember" {
                            (tf(l, "challenge.remember", &[("n", &days.to_string())]))
                        }
                    }
                }
                button type="submit" { (t(l, "challenge.submit")) }
            }
            @if v.totp {
                p {
                    a href=(v.switch_href) {
                        @if v.backup { (t(l, "challenge.use_totp")) } @else { (t(l, "challenge.use_backup")) }
                    }
                }
            }
            p.small { (t(l, "challenge.no_access")) }
            }
            @if v.passkey.is_some() { (passkeys::script(frame)) }
        },
    )
}

/// A page that only says something: locked, errors.
pub fn message(frame: &Frame, title_key: &str, body_keys: &[&str], link: Option<&str>) -> Markup {
    let l = frame.locale;
    layout(
        frame,
        t(l, title_key),
        html! {
            @for k in body_keys { p { (t(l, k)) } }
            @if let Some(href) = link {
                p { a.button href=(href) { (t(l, "common.continue")) } }
            }
        },
    )
}

/// The locked page: what happened, and who to ask (`ui.support_contact`,
/// else the catalog's general advice).
pub fn locked(frame: &Frame) -> Markup {
    let l = frame.locale;
    layout(
        frame,
        t(l, "locked.title"),
        html! {
            p { (t(l, "locked.body")) }
            @match frame.support {
                Some(contact) => {
                    p { (t(l, "locked.contact")) }
                    p.contact id="support-contact" {
                        @match &contact.link {
                            Some(href) => { a href=(href) { (contact.text) } }
                            None => { (contact.text) }
                        }
                    }
                }
                None => { p { (t(l, "locked.support")) } }
            }
        },
    )
}

pub struct SettingsView<'a> {
    pub account: &'a str,
    /// Where "set up" leads (enrollment, returning here).
    pub enroll_href: String,
    pub enrolled_at: Option<String>,
    pub backup_left: Option<usize>,
    /// The other accounts of the same person that share this setting.
    pub linked: Vec<String>,
    pub required: bool,
    pub may_manage_policy: bool,
    pub csrf: &'a str,
    pub notice: Option<&'a str>,
    pub regenerate_error: Option<String>,
    pub disable_error: Option<String>,
    /// The person's remembered browsers that still count.
    pub browsers: Vec<BrowserRow>,
    /// The company lets browsers be remembered for this many days.
    pub remember_days: Option<u16>,
    /// A current app code confirms a change here.
    pub codes: bool,
    /// A ceremony to confirm a change with a passkey instead.
    pub confirm: Option<passkeys::PasskeyForm<'a>>,
    /// The passkeys panel, when passkeys are configured.
    pub passkeys: Option<Markup>,
}

pub fn settings(frame: &Frame, v: &SettingsView) -> Markup {
    let l = frame.locale;
    let p = frame.prefix;
    layout(
        frame,
        t(l, "settings.title"),
        html! {
            @if let Some(n) = v.notice { p.notice role="status" { (n) } }
            p.small { (tf(l, "settings.account", &[("account", v.account)])) }
            @match &v.enrolled_at {
                Some(at) => {
                    p.status.on { strong { (t(l, "settings.on")) } " " (tf(l, "settings.enrolled_at", &[("at", at)])) }
                    p id="codes-left" { (tf(l, "settings.backup_left", &[("n", &v.backup_left.unwrap_or(0).to_string())])) }
                    (codes_warning(frame, v.backup_left.unwrap_or(0)))
                }
                None => {
                    p.status.off { strong { (t(l, "settings.off")) } }
                    @if v.required { p.notice { (t(l, "enroll.required")) } }
                    p { a.button id="enroll-link" href=(v.enroll_href) { (t(l, "settings.enroll")) } }
                }
            }
            @if !v.linked.is_empty() {
                p.small { (t(l, "settings.linked")) }
                ul.linked { @for a in &v.linked { li { (a) } } }
            }
            @if v.enrolled_at.is_some() {
                section id="regenerate" {
                    h2 { (t(l, "settings.regenerate_title")) }
                    p.small { (t(l, "settings.regenerate_body")) }
                    @if v.confirm.is_some() { p.small { (t(l, "passkey.confirm_hint")) } }
                    @if v.codes {
                        form method="post" action=(Route::Settings.href(p)) {
                            (hidden("csrf", v.csrf))
                            (hidden("action", "regenerate"))
                            (code_field(l, "regenerate-code", v.regenerate_error.as_deref(), false))
                            button.secondary type="submit" { (t(l, "settings.regenerate")) }
                        }
                    } @else {
                        (field_error("regenerate-error", v.regenerate_error.as_deref()))
                    }
                    @if let Some(form) = &v.confirm {
                        (passkeys::confirm_form(frame, form, v.csrf, "regenerate", html!{}, ("regenerate-passkey", "settings.regenerate")))
                    }
                }
                section {
                    h2 { (t(l, "settings.disable_title")) }
                    @if v.required {
                        p.small { (t(l, "settings.disable_required")) }
                    } @else {
                        p.small { (t(l, "settings.disable_body")) }
                        @if v.confirm.is_some() { p.small { (t(l, "passkey.confirm_hint")) } }
                        @if v.codes {
                            form method="post" action=(Route::Settings.href(p)) {
                                (hidden("csrf", v.csrf))
                                (hidden("action", "disable"))
                                (code_field(l, "disable-code", v.disable_error.as_deref(), false))
                                button.danger type="submit" { (t(l, "settings.disable")) }
                            }
                        } @else {
                            (field_error("disable-error", v.disable_error.as_deref()))
                        }
                        @if let Some(form) = &v.confirm {
                            (passkeys::confirm_form(frame, form, v.csrf, "disable", html!{}, ("disable-passkey", "settings.disable")))
                        }
                    }
                }
            }
            @if let Some(panel) = &v.passkeys { (panel) }
            @if v.enrolled_at.is_some() || !v.browsers.is_empty() {
                (remembered_browsers(frame, v))
            }
            @if v.confirm.is_some() { (passkeys::script(frame)) }
            @if v.may_manage_policy {
                p { a id="policy-link" href=(Route::Policy.href(p)) { (t(l, "settings.policy_link")) } }
            }
            p { a href="/" { (t(l, "common.back_to_app")) } }
        },
    )
}

pub struct PolicyView<'a> {
    /// The company, named on the page; `None` for the implicit tenant of
    /// a single-tenant setup (there is no company to name).
    pub company: Option<&'a str>,
    pub current: &'a str,
    pub pinned: bool,
    /// The remembered-browser setting: `off`, `7`, `30`.
    pub remember: String,
    pub remember_pinned: bool,
    pub csrf: &'a str,
    /// About the enforcement form (saved, refused).
    pub notice: Option<&'a str>,
    /// About the remembered-browser form.
    pub remember_notice: Option<&'a str>,
    pub rollout: crate::access::rollout::Rollout,
    /// Passkeys are configured: "passkey only" can be chosen.
    pub passkeys: bool,
}

pub fn policy(frame: &Frame, v: &PolicyView) -> Markup {
    let l = frame.locale;
    let option = |value: &str, label_key: &str| {
        let id = format!("enforcement-{value}");
        html! {
            div.choice {
                input type="radio" id=(id) name="enforcement" value=(value)
                    checked[v.current == value] disabled[v.pinned];
                label.inline for=(id) { (t(l, label_key)) }
            }
        }
    };
    layout(
        frame,
        t(l, "policy.title"),
        html! {
            @if let Some(n) = v.notice { p.notice role="status" { (n) } }
            @if let Some(company) = v.company {
                p.small { (tf(l, "policy.company", &[("company", company)])) }
            }
            @if v.pinned { p.notice id="pinned" { (t(l, "policy.pinned")) } }
            form method="post" action=(Route::Policy.href(frame.prefix)) {
                (hidden("csrf", v.csrf))
                fieldset disabled[v.pinned] {
                    legend { (t(l, "policy.legend")) }
                    (option("optional", "policy.optional"))
                    (option("required", "policy.required"))
                    @if v.passkeys || v.current == "required_passkey" {
                        (option("required_passkey", "policy.required_passkey"))
                    }
                }
                p.small { (t(l, "policy.effect")) }
                p.small { (t(l, "policy.candidates")) }
                p.small { (t(l, "policy.rollout")) }
                @if !v.pinned {
                    button type="submit" { (t(l, "policy.save")) }
                }
            }
            (rollout(frame, v))
            (remember_setting(frame, v))
            p { a href=(Route::Settings.href(frame.prefix)) { (t(l, "policy.back")) } }
        },
    )
}
