//! MediaWiki (Debian's package, unmodified; SQLite; PHP's built-in server)
//! behind mfa-gate with docs/recipes/mediawiki.yaml: sign-in through the
//! wiki's own login form, enrollment (the company requires it), the wiki's
//! pages and API, a new challenge after logout and login, "Keep me logged
//! in" cookies alone are challenged too, a request of an unverified
//! session never reaches the wiki (its own request log), and the wiki's
//! `sysop` group maps to class admin, a plain user to employee.

use super::{AppProcess, drop_expired, enroll, form_value, gateway, redirect_path, require, run};
use crate::harness::{Browser, free_ports, run_cli};
use std::path::Path;
use std::process::Command;

const MEDIAWIKI: &str = "/usr/share/mediawiki";
const ADMIN_PASSWORD: &str = "Admin-pass-1234";
const USER_PASSWORD: &str = "Bob-pass-12345";

/// A fresh wiki (install.php, SQLite) whose public address is the
/// gateway's, with the user Bob; served by `php -S` on `port`.
async fn start_wiki(dir: &Path, gateway_port: u16, port: u16) -> AppProcess {
    require(
        Path::new(MEDIAWIKI).join("index.php").as_path(),
        "MediaWiki (Debian `mediawiki`)",
    );
    let data = dir.join("wiki-data");
    std::fs::create_dir_all(&data).unwrap();
    let php = |script: &str| {
        let mut c = Command::new("php");
        c.arg(format!("{MEDIAWIKI}/maintenance/{script}"));
        c
    };
    run(php("install.php").args([
        "--dbtype=sqlite",
        &format!("--dbpath={}", data.display()),
        "--dbname=wiki",
        &format!("--server=http://127.0.0.1:{gateway_port}"),
        "--scriptpath=",
        &format!("--confpath={}", dir.display()),
        &format!("--pass={ADMIN_PASSWORD}"),
        "Test Wiki",
        "Admin",
    ]));
    let settings = dir.join("LocalSettings.php");
    run(php("createAndPromote.php")
        .arg(format!("--conf={}", settings.display()))
        .args(["Bob", USER_PASSWORD]));
    let mut serve = Command::new("php");
    // OPcache (off for the CLI by default) spares compiling MediaWiki on
    // every request: the wiki answers whoami in milliseconds even on a
    // loaded CI machine, well inside the gateway's whoami timeout.
    serve
        .args(["-d", "opcache.enable_cli=1"])
        .args(["-S", &format!("127.0.0.1:{port}"), "-t", MEDIAWIKI])
        .env("MW_CONFIG_FILE", &settings);
    AppProcess::start(serve, port, dir.join("wiki.log"), "/api.php").await
}

/// Sign in through the wiki's own form (through the gateway).
async fn sign_in(b: &mut Browser, user: &str, password: &str, remember: bool) {
    let form = b.get("/index.php?title=Special:UserLogin").await;
    assert_eq!(form.status, 200, "login form: {}", form.body);
    let token = form_value(&form.body, "wpLoginToken").expect("wpLoginToken");
    let mut fields = vec![
        ("title", "Special:UserLogin"),
        ("wpName", user),
        ("wpPassword", password),
        ("wpLoginToken", token.as_str()),
        ("authAction", "login"),
    ];
    if remember {
        fields.push(("wpRemember", "1"));
    }
    let r = b.post_form("/index.php/Special:UserLogin", &fields).await;
    assert_eq!(r.status, 302, "login as {user}: {}", r.body);
    assert!(b.cookies.contains_key("wiki_session"));
}

/// Log out through the wiki's API (a POST with its CSRF token).
async fn sign_out(b: &mut Browser) {
    let tokens = b
        .api_get("/api.php?action=query&meta=tokens&format=json")
        .await;
    assert_eq!(tokens.status, 200, "{}", tokens.body);
    let token = tokens.json()["query"]["tokens"]["csrftoken"]
        .as_str()
        .expect("csrf token")
        .to_owned();
    let r = b
        .post_form(
            "/api.php",
            &[("action", "logout"), ("token", &token), ("format", "json")],
        )
        .await;
    assert_eq!(r.status, 200, "logout: {}", r.body);
    drop_expired(b, &r);
}

/// A request the wiki logs with a unique marker: 303 (the gateway's page)
/// and absent from the wiki's log when unverified; 200 and logged when
/// verified.
async fn probe(b: &mut Browser, wiki: &AppProcess, marker: &str, verified: bool) {
    let path = format!("/index.php?title=Special:Version&probe={marker}");
    let r = b.get(&path).await;

    if verified {
        assert_eq!(r.status, 200, "{}", r.body);
        assert!(
            wiki.logs_soon(&format!("probe={marker}")).await,
            "the wiki served {marker}"
        );
    } else {
        assert_eq!(r.status, 303, "{}", r.body);
        // Checked again at the end, after requests the wiki did log.
        assert!(
            !wiki.log_text().contains(&format!("probe={marker}")),
            "{marker}"
        );
    }
}

#[tokio::test]
async fn mediawiki_behind_the_gateway() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_ports();
    let wiki = start_wiki(dir.path(), port, port + 1).await;
    let gw = gateway("mediawiki", port, port + 1, dir.path()).await;

    // Anonymous reading passes to the wiki.
    let mut bob = gw.browser();
    let main = bob.get("/index.php/Main_Page").await;
    assert_eq!(main.status, 200, "{}", main.body);

    // Bob signs in with the wiki's own form: enrollment first.
    sign_in(&mut bob, "Bob", USER_PASSWORD, false).await;
    let r = bob.get("/index.php/Main_Page").await;
    assert_eq!(
        (r.status, redirect_path(&r).as_str()),
        (303, "/_mfa/enroll")
    );
    probe(&mut bob, &wiki, "bob-before-enrolling", false).await;
    let secret = enroll(&mut bob).await;

    // The wiki's pages and its API, as Bob.
    let page = bob.get("/index.php/Main_Page").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("User:Bob"), "the page is Bob's view");
    let me = bob
        .api_get("/api.php?action=query&meta=userinfo&format=json")
        .await;
    assert_eq!(me.json()["query"]["userinfo"]["name"], "Bob");
    probe(&mut bob, &wiki, "bob-verified", true).await;
    // What an operator sees with Bob's cookies.
    let cookies: Vec<String> = bob
        .cookies
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    let mut args = vec!["identity-check".to_owned(), "-c".into()];
    args.push(dir.path().join("mfa-gate.yaml").display().to_string());
    for c in &cookies {
        args.extend(["--cookie".to_owned(), c.clone()]);
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let check = run_cli(&args, &[]).await;
    assert_eq!(check.code, 0, "{}{}", check.stdout, check.stderr);
    assert!(check.stdout.contains("account: Bob"), "{}", check.stdout);
    assert!(
        check.stdout.contains("class:   employee"),
        "{}",
        check.stdout
    );
    // A plain user: class employee, no policy page.
    let policy = bob.get("/_mfa/admin/security").await;
    assert_eq!(policy.status, 403, "{}", policy.body);

    // Logout and a new login ("Keep me logged in"): challenged again.
    sign_out(&mut bob).await;
    assert_eq!(
        bob.get("/index.php/Main_Page").await.status,
        200,
        "anonymous again"
    );
    sign_in(&mut bob, "Bob", USER_PASSWORD, true).await;
    let r = bob.get("/index.php/Main_Page").await;
    assert_eq!(
        (r.status, redirect_path(&r).as_str()),
        (303, "/_mfa/challenge")
    );
    probe(&mut bob, &wiki, "bob-after-relogin", false).await;

    // The remember-me cookies alone log a browser into the wiki: they are
    // a session too, and challenged.
    let mut token_only = gw.browser();
    for name in ["wikiUserID", "wikiUserName", "wikiToken"] {
        let value = bob
            .cookies
            .get(name)
            .unwrap_or_else(|| panic!("{name} set by the wiki"));
        token_only.cookies.insert(name.into(), value.clone());
    }
    let r = token_only.get("/index.php/Main_Page").await;
    assert_eq!(
        (r.status, redirect_path(&r).as_str()),
        (303, "/_mfa/challenge")
    );
    probe(&mut token_only, &wiki, "token-cookies-only", false).await;

    bob.pass_challenge(&secret).await;
    probe(&mut bob, &wiki, "bob-challenged-and-passed", true).await;

    // The wiki's sysop: class admin through the value map, with the
    // policy page.
    let mut admin = gw.browser();
    sign_in(&mut admin, "Admin", ADMIN_PASSWORD, false).await;
    let r = admin.get("/index.php/Main_Page").await;
    assert_eq!(
        (r.status, redirect_path(&r).as_str()),
        (303, "/_mfa/enroll")
    );
    enroll(&mut admin).await;
    let policy = admin.get("/_mfa/admin/security").await;
    assert_eq!(policy.status, 200, "{}", policy.body);
    wiki.never_logged(&[
        "probe=bob-before-enrolling",
        "probe=bob-after-relogin",
        "probe=token-cookies-only",
    ]);
}
