//! The one-shot checks an operator runs before or beside a gateway:
//! `check-config` (would `serve` start?), `identity-check` (what would the
//! app's whoami say for these cookies?), `healthcheck` (a container probe)
//! and `notify-test` (one email through the configured transport). Each
//! prints its answer and gives the exit code.

use crate::cli::keys::show_stored;
use crate::{config, server};
use std::path::Path;

/// `mfa-gate check-config`: the file loads, the listeners and the store
/// would open, and the keys open every stored secret.
pub fn check_config(path: &Path) -> anyhow::Result<()> {
    let loaded = config::load_file(path)?;
    server::preflight(&loaded)?;
    let stored = server::check_stored_keys(&loaded)?;
    println!(
        "{}: OK (listen {}, https {}, upstream {}, identity {}, {} trusted proxies, {} pinned companies, {} bypass rules, {} access rules, admin listener {})",
        path.display(),
        loaded.listen,
        loaded
            .tls
            .as_ref()
            .map_or_else(|| "none".to_owned(), |t| t.listen.to_string()),
        loaded.upstream.address,
        match loaded.identity {
            config::IdentitySource::Whoami(_) => "whoami",
            config::IdentitySource::Headers(_) => "headers",
        },
        loaded.trusted_proxies.len(),
        loaded.companies.len(),
        loaded.bypass.len(),
        loaded.access_rules.len(),
        loaded
            .admin
            .as_ref()
            .map_or_else(|| "none".to_owned(), |a| a.listen.to_string())
    );
    println!("store: {}", loaded.store.describe());
    println!("{}", tenants(&loaded));
    match &loaded.webauthn {
        Some(w) => {
            let origins: Vec<&str> = w.origins.iter().map(|o| o.as_str()).collect();
            println!(
                "passkeys: relying party {} ({})",
                w.rp_id,
                origins.join(", ")
            );
        }
        None => println!("passkeys: off (no webauthn section)"),
    }
    println!("stored secrets: {}", show_stored(&stored));
    Ok(())
}

/// One tenant or many, and who edits a policy, in words.
fn tenants(config: &config::Config) -> String {
    let tenants = match config.tenancy {
        config::Tenancy::Implicit => format!(
            "no company mapping: an account whose identity names no company is in the implicit tenant \"{}\", whose policy is {}",
            config::IMPLICIT_TENANT,
            match config.companies.get(config::IMPLICIT_TENANT) {
                Some(pinned) => format!("{} (pinned)", pinned.as_str()),
                None => "required unless changed on the policy page".into(),
            }
        ),
        config::Tenancy::Mapped => {
            "by company, as identity maps it (a policy not set is optional)".into()
        }
    };
    let roles = match config.policy_admin_roles.as_slice() {
        [] => "nobody (only companies: in this file)".to_owned(),
        roles => format!("admin accounts with role {}", roles.join(" or ")),
    };
    format!("tenants: {tenants}\npolicy page: {roles}")
}

/// `mfa-gate identity-check`: prints the report; the exit code is 0 with
/// an identity, 1 without (an error is a bad configuration).
pub fn identity_check(path: &Path, cookies: &[String], host: Option<&str>) -> anyhow::Result<i32> {
    let config = config::load_file(path)?;
    let report = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(crate::identity::check::check(&config, cookies, host));
    print!("{}", report.text);
    Ok(if report.known { 0 } else { 1 })
}

/// `mfa-gate healthcheck URL`: 0 on a 2xx answer, 1 otherwise (the
/// reason on stderr).
pub fn healthcheck(url: &str) -> i32 {
    let check = async {
        let client = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(3))
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        client.get(url).send().await
    };
    let answer = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())
        .and_then(|rt| rt.block_on(check).map_err(|e| e.to_string()));
    match answer {
        Ok(r) if r.status().is_success() => 0,
        Ok(r) => {
            eprintln!("mfa-gate healthcheck: {url} answered {}", r.status());
            1
        }
        Err(e) => {
            eprintln!("mfa-gate healthcheck: {url}: {e}");
            1
        }
    }
}

/// `mfa-gate notify-test`: one test email through the configured
/// transport; 0 when the server accepted it, 1 when not, 2 for a bad
/// configuration.
pub fn notify_test(path: &Path, to: &str) -> i32 {
    let config = match config::load_file(path) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("mfa-gate notify-test: {e}");
            return 2;
        }
    };
    let Some(email) = config.notify.as_ref().and_then(|n| n.email.as_ref()) else {
        eprintln!(
            "mfa-gate notify-test: {}: no `notify.email` section",
            path.display()
        );
        return 2;
    };
    let app = &config.ui.app_name;
    let message = match crate::notify::email::test_message(email, to, app) {
        Ok(m) => m,
        Err(e) => {
            eprintln!("mfa-gate notify-test: {e}");
            return 2;
        }
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("mfa-gate notify-test: {e}");
            return 1;
        }
    };
    let name = format!("test-{}", crate::clock::unix_now());
    match runtime.block_on(crate::notify::email::deliver(email, message, &name)) {
        Ok(()) => {
            println!("test message sent to {to}");
            0
        }
        Err(e) => {
            eprintln!("mfa-gate notify-test: not sent: {e}");
            1
        }
    }
}
