//! Parts of pages that several pages show, or that belong to one feature
//! rather than one page: the backup-codes warning (settings, `/signed-in`),
//! the page after a passed challenge (`/signed-in`), the remembered
//! browsers of the settings page, and the remembered-browser setting and
//! rollout view of the policy page. Like `views.rs`: they render what they
//! are given, nothing more.

use crate::i18n::{t, tf};
use crate::pages::views::{Frame, PolicyView, SettingsView, hidden, layout};
use crate::request::route::Route;
use maud::{Markup, html};

/// At most this many backup codes left: the pages warn.
pub const LOW_BACKUP_CODES: usize = 3;

/// The warning when few (or no) backup codes are left, with the way to a
/// new set (the settings page's form); nothing when enough are left.
pub(in crate::pages) fn codes_warning(frame: &Frame, left: usize) -> Markup {
    let l = frame.locale;
    let regenerate = format!("{}#regenerate", Route::Settings.href(frame.prefix));
    html! {
        @if left == 0 {
            div.notice.danger id="codes-warning" role="alert" {
                p { strong { (t(l, "codes.none")) } }
                p { a href=(regenerate) { (t(l, "codes.regenerate_link")) } }
            }
        } @else if left <= LOW_BACKUP_CODES {
            div.notice id="codes-warning" role="status" {
                @if left == 1 {
                    p { (t(l, "codes.low_one")) }
                } @else {
                    p { (tf(l, "codes.low", &[("n", &left.to_string())])) }
                }
                p { a href=(regenerate) { (t(l, "codes.regenerate_link")) } }
            }
        }
    }
}

pub struct SignedInView<'a> {
    /// The challenge was passed with a backup code (now used up).
    pub used_backup: bool,
    pub backup_left: usize,
    pub return_to: &'a str,
}

/// After a passed challenge: how many backup codes are left, then on.
pub fn signed_in(frame: &Frame, v: &SignedInView) -> Markup {
    let l = frame.locale;
    let n = v.backup_left.to_string();
    layout(
        frame,
        t(l, "signed_in.title"),
        html! {
            @if v.used_backup {
                p { (t(l, "signed_in.backup_used")) }
            }
            p id="codes-left" { (tf(l, "settings.backup_left", &[("n", &n)])) }
            (codes_warning(frame, v.backup_left))
            p { a.button id="continue" href=(v.return_to) { (t(l, "common.continue")) } }
        },
    )
}

/// One remembered browser on the settings page.
pub struct BrowserRow {
    /// For the "forget" form.
    pub id: String,
    pub label: String,
    pub created: String,
    pub last_used: String,
    /// The browser showing the page.
    pub this_browser: bool,
}

pub(in crate::pages) fn remembered_browsers(frame: &Frame, v: &SettingsView) -> Markup {
    let l = frame.locale;
    let action = Route::Settings.href(frame.prefix);
    html! {
        section id="remembered" {
            h2 { (t(l, "remember.title")) }
            @match v.remember_days {
                Some(days) => p.small { (tf(l, "remember.allowed", &[("n", &days.to_string())])) },
                None => p.small { (t(l, "remember.not_allowed")) },
            }
            @if v.browsers.is_empty() {
                p.small id="no-browsers" { (t(l, "remember.none")) }
            } @else {
                ul.browsers {
                    @for b in &v.browsers {
                        li.browser {
                            strong { (b.label) }
                            @if b.this_browser { " " span.small { (t(l, "remember.this_browser")) } }
                            br;
                            span.small {
                                (tf(l, "remember.times", &[("created", &b.created), ("used", &b.last_used)]))
                            }
                            form.inline method="post" action=(action) {
                                (hidden("csrf", v.csrf))
                                (hidden("action", "forget_browser"))
                                (hidden("browser", &b.id))
                                button.secondary.small type="submit" { (t(l, "remember.forget")) }
                            }
                        }
                    }
                }
                form method="post" action=(action) {
                    (hidden("csrf", v.csrf))
                    (hidden("action", "forget_browsers"))
                    button.secondary id="forget-all" type="submit" { (t(l, "remember.forget_all")) }
                }
            }
        }
    }
}

/// The remembered-browser setting's form of the policy page.
pub(in crate::pages) fn remember_setting(frame: &Frame, v: &PolicyView) -> Markup {
    let l = frame.locale;
    html! {
        section id="remember-setting" {
            h2 { (t(l, "policy.remember_title")) }
            @if let Some(n) = v.remember_notice { p.notice id="remember-notice" role="status" { (n) } }
            @if v.remember_pinned { p.notice id="remember-pinned" { (t(l, "policy.pinned")) } }
            form method="post" action=(Route::Policy.href(frame.prefix)) {
                (hidden("csrf", v.csrf))
                fieldset disabled[v.remember_pinned] {
                    legend { (t(l, "policy.remember_legend")) }
                    @for days in crate::domain::RememberDays::all() {
                        @let value = days.as_string();
                        @let id = format!("remember-{value}");
                        div.choice {
                            input type="radio" id=(id) name="remember_days" value=(value)
                                checked[v.remember == value] disabled[v.remember_pinned];
                            label.inline for=(id) {
                                @match days.days() {
                                    None => (t(l, "policy.remember_off")),
                                    Some(n) => (tf(l, "policy.remember_days", &[("n", &n.to_string())])),
                                }
                            }
                        }
                    }
                }
                p.small { (t(l, "policy.remember_effect")) }
                @if !v.remember_pinned {
                    button type="submit" id="save-remember" { (t(l, "policy.save")) }
                }
            }
        }
    }
}

/// The rollout view of the policy page: staff seen in the last 30 days,
/// how many have 2FA, who has not, and who would be sent to enrollment.
pub(in crate::pages) fn rollout(frame: &Frame, v: &PolicyView) -> Markup {
    let l = frame.locale;
    let r = &v.rollout;
    let n = |x: usize| x.to_string();
    html! {
        section id="rollout" {
            h2 { (t(l, "rollout.title")) }
            p.small { (t(l, "rollout.intro")) }
            table.rollout {
                thead { tr {
                    th { }
                    th scope="col" { (t(l, "rollout.seen")) }
                    th scope="col" { (t(l, "rollout.enrolled")) }
                } }
                tbody {
                    tr id="rollout-employees" {
                        th scope="row" { (t(l, "rollout.employees")) }
                        td { (r.employees.seen) } td { (r.employees.enrolled) }
                    }
                    tr id="rollout-admins" {
                        th scope="row" { (t(l, "rollout.admins")) }
                        td { (r.admins.seen) } td { (r.admins.enrolled) }
                    }
                }
            }
            @if v.current == "optional" {
                p.notice id="would-enroll" {
                    (tf(l, "rollout.would_enroll", &[("n", &n(r.would_enroll))]))
                }
            }
            @if r.not_enrolled.is_empty() {
                p.small id="all-enrolled" { (t(l, "rollout.none_missing")) }
            } @else {
                p { (t(l, "rollout.not_enrolled")) }
                ul.linked id="not-enrolled" {
                    @for (account, class) in &r.not_enrolled {
                        li { (account) " " span.small { "(" (t(l, &format!("rollout.class_{}", class.as_str()))) ")" } }
                    }
                }
            }
        }
    }
}
