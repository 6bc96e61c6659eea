//! Checks of single values, each returning the validated value or a
//! message for `load.rs` to attach to the field: addresses, cookie names,
//! paths, bypass rules, the route prefix, and key decoding. Pure functions:
//! no file, no environment, and no message that echoes key material.

use crate::config::BypassRule;
use base64::Engine as _;
use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use std::net::Ipv6Addr;
use std::time::Duration;

pub(super) fn positive(d: Duration) -> Result<Duration, String> {
    if d.is_zero() {
        Err("must be longer than zero".into())
    } else {
        Ok(d)
    }
}

pub(super) fn at_least_one(n: usize) -> Result<usize, String> {
    if n == 0 {
        Err("must be at least 1".into())
    } else {
        Ok(n)
    }
}

pub(super) fn non_blank(s: String) -> Result<String, String> {
    if s.trim().is_empty() {
        Err("must not be empty".into())
    } else {
        Ok(s)
    }
}

pub(super) fn issuer_name(s: String) -> Result<String, String> {
    let s = non_blank(s)?;
    if s.contains(':') {
        Err(format!(
            "\"{s}\" must not contain `:` (it separates issuer and account in authenticator apps)"
        ))
    } else {
        Ok(s)
    }
}

/// The host part of `host:port` (brackets of an IPv6 literal removed).
pub(super) fn host_of(address: &str) -> Result<String, String> {
    let expected = "(expected host:port, e.g. 127.0.0.1:3000, app.internal:8080 or [::1]:3000)";
    if address.contains("://") {
        return Err(format!(
            "\"{address}\" has a scheme; give host:port only {expected}"
        ));
    }
    let Some((host, port)) = address.rsplit_once(':') else {
        return Err(format!("\"{address}\" has no port {expected}"));
    };
    if !matches!(port.parse::<u16>(), Ok(p) if p != 0) {
        return Err(format!("\"{address}\" has an invalid port {expected}"));
    }
    if let Some(v6) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        if v6.parse::<Ipv6Addr>().is_ok() {
            return Ok(v6.to_owned());
        }
    } else if !host.is_empty()
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-' || b == b'_')
    {
        return Ok(host.to_owned());
    }
    Err(format!("\"{address}\" has an invalid host {expected}"))
}

/// A cookie name must be an RFC 6265 token.
pub(super) fn cookie_name(name: String) -> Result<String, String> {
    let token = |b: u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b);
    if !name.is_empty() && name.bytes().all(token) {
        Ok(name)
    } else {
        Err(format!(
            "\"{name}\" is not a valid cookie name (letters, digits and !#$%&'*+-.^_`|~ only)"
        ))
    }
}

pub(super) fn whoami_path(path: String) -> Result<String, String> {
    if !path.starts_with('/') {
        return Err(format!("\"{path}\" must start with `/`"));
    }
    if path.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!(
            "\"{path}\" must not contain spaces or control characters"
        ));
    }
    // The app must read the path we ask exactly as we wrote it.
    let path_part = path.split_once('?').map_or(path.as_str(), |(p, _)| p);
    if crate::request::paths::normalize(path_part)
        .as_clear()
        .is_none()
    {
        return Err(format!(
            "\"{path}\" is not a path in normal form (no //, /./, /../, \\, ; or needless %-escapes)"
        ));
    }
    Ok(path)
}

/// Checks that a rule path is already normalized (as `paths::normalize`
/// would leave it): a rule written any other way could never match.
pub(super) fn normalized_path(path: &str) -> Result<(), String> {
    let Some(rest) = path.strip_prefix('/') else {
        return Err(format!("\"{path}\" must start with `/`"));
    };
    if path.contains(['%', '\\', ';', '?', '#']) || path.chars().any(char::is_control) {
        return Err(format!(
            "\"{path}\" must be a plain decoded path (no %, \\, ;, ?, #); requests are matched after decoding"
        ));
    }
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    if rest.is_empty() {
        return Ok(());
    }
    for segment in rest.split('/') {
        if segment.is_empty() || segment == "." || segment == ".." {
            return Err(format!(
                "\"{path}\" is not a normalized path (no //, /./ or /../)"
            ));
        }
    }
    Ok(())
}

/// `/login` → `Exact`, `/static/*` → `Prefix("/static")`.
pub(super) fn bypass_rule(entry: &str) -> Result<BypassRule, String> {
    let (path, is_prefix) = match entry.strip_suffix("/*") {
        Some(path) => (path, true),
        None => (entry, false),
    };
    if path.contains('*') {
        return Err(format!(
            "\"{entry}\": `*` is allowed only as a trailing `/*` (e.g. /static/*)"
        ));
    }
    if is_prefix && path.is_empty() {
        return Err("\"/*\" would exempt every path from 2FA".into());
    }
    if is_prefix && path.ends_with('/') {
        return Err(format!("\"{entry}\" is not a normalized path (no //)"));
    }
    normalized_path(if is_prefix { path } else { entry })?;
    Ok(if is_prefix {
        BypassRule::Prefix(path.to_owned())
    } else {
        BypassRule::Exact(entry.to_owned())
    })
}

/// The route prefix: `/` and plain segments, no trailing slash.
pub(super) fn route_prefix(prefix: &str) -> Result<(), String> {
    let Some(rest) = prefix.strip_prefix('/') else {
        return Err(format!("\"{prefix}\" must start with `/` (e.g. /_mfa)"));
    };
    if rest.is_empty() || rest.ends_with('/') {
        return Err(format!(
            "\"{prefix}\" must name a path below `/` with no trailing `/` (e.g. /_mfa)"
        ));
    }
    let plain = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | '~');
    for segment in rest.split('/') {
        if segment.is_empty() || segment == "." || segment == ".." || !segment.chars().all(plain) {
            return Err(format!(
                "\"{prefix}\" must be plain segments of letters, digits, -._~ (no //, . or ..)"
            ));
        }
    }
    Ok(())
}

/// A key is 32 bytes written as 64 hex digits or as base64 (standard or
/// URL-safe alphabet, padded or not); surrounding whitespace is ignored.
/// The error completes "environment variable X …" / "file Y …" and never
/// includes the value.
pub(super) fn decode_key(text: &str) -> Result<[u8; 32], String> {
    const ANY_PADDING: GeneralPurposeConfig =
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent);
    const STANDARD: GeneralPurpose = GeneralPurpose::new(&base64::alphabet::STANDARD, ANY_PADDING);
    const URL_SAFE: GeneralPurpose = GeneralPurpose::new(&base64::alphabet::URL_SAFE, ANY_PADDING);

    let text = text.trim();
    if text.is_empty() {
        return Err("is empty (expected a 32-byte key as 64 hex digits or base64)".into());
    }
    let bytes = if text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
        decode_hex(text)
    } else {
        STANDARD
            .decode(text)
            .or_else(|_| URL_SAFE.decode(text))
            .ok()
    };
    match bytes {
        Some(bytes) => <[u8; 32]>::try_from(bytes.as_slice()).map_err(|_| {
            format!(
                "holds {} bytes; a key must be exactly 32 (64 hex digits or base64; e.g. `openssl rand -hex 32`)",
                bytes.len()
            )
        }),
        None => Err(
            "is neither 64 hex digits nor base64 (expected a 32-byte key; e.g. `openssl rand -hex 32`)"
                .into(),
        ),
    }
}

fn decode_hex(text: &str) -> Option<Vec<u8>> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests;
