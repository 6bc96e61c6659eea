//! The one builder of `Set-Cookie` values for every cookie mfa-gate sets
//! (the gateway cookie, the remembered-browser cookie, the language
//! cookie): `SameSite=Lax` always, `HttpOnly` unless a script must read it,
//! `Secure` when the site is served over HTTPS (`cookie.secure`), in one
//! attribute order.

/// One cookie to set.
#[derive(Clone, Copy, Debug)]
pub struct SetCookie<'a> {
    pub name: &'a str,
    /// Already safe for a cookie value (ours are base64url or fixed words).
    pub value: &'a str,
    pub path: &'a str,
    /// 0 removes the cookie.
    pub max_age_secs: u64,
    pub http_only: bool,
    pub secure: bool,
}

impl SetCookie<'_> {
    /// The header value.
    pub fn header(&self) -> String {
        let SetCookie {
            name,
            value,
            path,
            max_age_secs,
            ..
        } = self;
        let http_only = if self.http_only { "; HttpOnly" } else { "" };
        let secure = if self.secure { "; Secure" } else { "" };
        format!(
            "{name}={value}; Path={path}; Max-Age={max_age_secs}{http_only}; SameSite=Lax{secure}"
        )
    }
}

#[cfg(test)]
mod tests;
