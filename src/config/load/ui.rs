//! The checks of the `ui` section: the languages (built-in catalogs and
//! the operator's wording in `ui.i18n_dir`), the default language among
//! them, the logo, the challenge page's logout link and the locked page's
//! support contact. Links are ones a person clicks, so only same-site paths
//! and `https:` (or `mailto:`) URLs pass: no `javascript:`, no `http:`.

use super::super::raw::{RawSupportContact, RawUi};
use super::super::{Languages, SupportContact, UiConfig};
use super::{ConfigError, Doc, logo_path, resolve};
use std::path::Path;

/// Longest support text shown on the locked page.
const MAX_SUPPORT_TEXT: usize = 300;
/// Longest link.
const MAX_LINK: usize = 2048;

impl Doc<'_> {
    /// `app_name` was checked first (it is also the issuer's default).
    pub(super) fn ui(
        &self,
        raw: RawUi,
        app_name: String,
        base: &Path,
    ) -> Result<UiConfig, ConfigError> {
        let languages = match &raw.i18n_dir {
            None => Languages::built_in(),
            Some(dir) => crate::i18n::load_wording(&resolve(base, dir)).map_err(|e| {
                ConfigError::Invalid {
                    file: e.file,
                    line: e.line,
                    column: e.column,
                    field: Some("ui.i18n_dir".to_owned()),
                    message: e.message,
                }
            })?,
        };
        let default_locale = languages.get(&raw.default_locale).ok_or_else(|| {
            let offered: Vec<&str> = languages.iter().map(|l| l.as_str()).collect();
            self.error(
                "ui.default_locale",
                format!(
                    "{:?} is not an offered language (offered: {})",
                    raw.default_locale,
                    offered.join(", ")
                ),
            )
        })?;
        Ok(UiConfig {
            default_locale,
            languages,
            app_name,
            logo: self.check("ui.logo", logo_path(raw.logo))?,
            logout_url: raw
                .logout_url
                .map(|url| self.check("ui.logout_url", logout_url(url)))
                .transpose()?,
            support_contact: raw
                .support_contact
                .map(|c| self.support_contact(c))
                .transpose()?,
        })
    }

    fn support_contact(&self, raw: RawSupportContact) -> Result<SupportContact, ConfigError> {
        let text = raw.text.trim().to_owned();
        if text.is_empty()
            || text.chars().count() > MAX_SUPPORT_TEXT
            || text.chars().any(char::is_control)
        {
            return Err(self.error(
                "ui.support_contact.text",
                format!("must be one line of 1 to {MAX_SUPPORT_TEXT} characters"),
            ));
        }
        let link = raw
            .link
            .map(|l| self.check("ui.support_contact.link", support_link(l)))
            .transpose()?;
        Ok(SupportContact { text, link })
    }
}

/// A same-site path (`/logout`) or an `https:` URL (an SSO's logout).
fn logout_url(url: String) -> Result<String, String> {
    if url.starts_with('/') {
        return logo_path(Some(url.clone()))
            .map(|_| url.clone())
            .map_err(|_| {
                format!("{url:?} must be a same-site path such as /logout, or an https:// URL")
            });
    }
    https_or(url, &[]).map_err(|url| {
        format!("{url:?} must be a same-site path such as /logout, or an https:// URL")
    })
}

/// `https://…` or `mailto:…`.
fn support_link(link: String) -> Result<String, String> {
    https_or(link, &["mailto"])
        .map_err(|link| format!("{link:?} must be an https:// or mailto: link"))
}

/// `link` if it is a clean `https:` URL with a host and no user name, or
/// of one of the `other` schemes; else `Err(link)`.
fn https_or(link: String, other: &[&str]) -> Result<String, String> {
    let clean = link.len() <= MAX_LINK && link.bytes().all(|b| (0x21..0x7f).contains(&b));
    let fits = match url::Url::parse(&link) {
        Ok(u) if u.scheme() == "https" => {
            u.host_str().is_some_and(|h| !h.is_empty())
                && u.username().is_empty()
                && u.password().is_none()
        }
        Ok(u) => other.contains(&u.scheme()) && !u.path().is_empty(),
        Err(_) => false,
    };
    match clean && fits {
        true => Ok(link),
        false => Err(link),
    }
}
