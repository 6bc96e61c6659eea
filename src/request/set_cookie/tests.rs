//! The attributes of each kind of cookie, in their one order.

use super::SetCookie;

#[test]
fn attributes_follow_the_settings() {
    let cookie = |http_only, secure, max_age_secs| SetCookie {
        name: "mfa",
        value: "v",
        path: "/",
        max_age_secs,
        http_only,
        secure,
    };
    assert_eq!(
        cookie(true, true, 60).header(),
        "mfa=v; Path=/; Max-Age=60; HttpOnly; SameSite=Lax; Secure"
    );
    assert_eq!(
        cookie(true, false, 0).header(),
        "mfa=v; Path=/; Max-Age=0; HttpOnly; SameSite=Lax"
    );
    assert_eq!(
        cookie(false, false, 1).header(),
        "mfa=v; Path=/; Max-Age=1; SameSite=Lax"
    );
}
