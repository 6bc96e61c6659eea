//! Unit tests of `config::rules`: globs, hosts, shadowing, bypass width.

use super::*;

#[track_caller]
fn check_glob(glob: &str, path: &str, expected: bool) {
    let g = Glob::parse(glob).expect("a valid glob");
    assert_eq!(g.matches(path), expected, "{glob} against {path}");
}

#[test]
fn globs_match_segments() {
    check_glob("/admin/**", "/admin", true);
    check_glob("/admin/**", "/admin/", true);
    check_glob("/admin/**", "/admin/users/7", true);
    check_glob("/admin/**", "/administrator", false);
    check_glob("/admin/*", "/admin/users", true);
    check_glob("/admin/*", "/admin/users/7", false);
    check_glob("/admin/*", "/admin", false);
    check_glob("/static/*.css", "/static/site.css", true);
    check_glob("/static/*.css", "/static/site.css.map", false);
    check_glob("/static/*.css", "/static/a/site.css", false);
    check_glob("/a*b*c", "/abXbc", true);
    check_glob("/a*b*c", "/ab", false);
    check_glob("/ab*ba", "/aba", false);
    check_glob("/**/edit", "/posts/7/edit", true);
    check_glob("/**/edit", "/edit", true);
    check_glob("/**/edit", "/posts/7/editor", false);
    check_glob("/login", "/login", true);
    check_glob("/login", "/login/", false);
    check_glob("/**", "/", true);
    check_glob("/pay/**/confirm", "/pay/confirm", true);
    check_glob("/pay/**/confirm", "/pay/a/b/confirm", true);
}

#[test]
fn bad_globs_are_refused() {
    for bad in [
        "admin/**", "/a**", "/a/**b", "/a?", "/[ab]", "/{a,b}", "/a/../b", "/./a",
    ] {
        assert!(Glob::parse(bad).is_err(), "{bad}");
    }
}

#[test]
fn bypass_globs_stay_within_a_directory() {
    for ok in [
        "/login",
        "/",
        "/static/**",
        "/static/*",
        "/static/*.css",
        "/a/b/**",
    ] {
        assert!(Glob::parse(ok).unwrap().within_a_directory(), "{ok}");
    }
    for wide in [
        "/**",
        "/*",
        "/*.php",
        "/**/foo",
        "/static/**/x",
        "/a/*/b",
        "/*/x",
    ] {
        assert!(!Glob::parse(wide).unwrap().within_a_directory(), "{wide}");
    }
}

#[test]
fn hosts_ignore_case_and_port() {
    assert!(host_matches("admin.example.com", "Admin.Example.COM:8443"));
    assert!(host_matches("admin.example.com", "admin.example.com."));
    assert!(!host_matches("admin.example.com", "example.com"));
    assert!(host_matches("*.example.com", "a.b.example.com"));
    assert!(!host_matches("*.example.com", "example.com"));
    assert!(!host_matches("*.example.com", "badexample.com"));
    assert!(host_matches("[::1]", "[::1]:8080"));
}

fn rule(paths: &[&str], methods: &[&str], action: RuleAction) -> AccessRule {
    AccessRule {
        paths: paths.iter().map(|p| Glob::parse(p).unwrap()).collect(),
        methods: methods.iter().map(|m| m.to_string()).collect(),
        hosts: vec![],
        classes: vec![],
        roles: vec![],
        networks: vec![],
        action,
    }
}

#[test]
fn a_wider_earlier_rule_shadows() {
    let catch_all = rule(&[], &[], RuleAction::CompanyPolicy);
    let admin = rule(&["/admin/**"], &[], RuleAction::Deny);
    let admin_users = rule(&["/admin/users/*"], &["GET"], RuleAction::Deny);
    assert!(admin.shadowed_by(&catch_all));
    assert!(admin_users.shadowed_by(&admin));
    assert!(!admin.shadowed_by(&admin_users));
    // A method list narrows: the earlier GET-only rule leaves POST.
    let get_only = rule(&["/admin/**"], &["GET"], RuleAction::Deny);
    assert!(!admin.shadowed_by(&get_only));
    // Not a literal directory: unsure, so not flagged.
    let star = rule(&["/*/x/**"], &[], RuleAction::Deny);
    assert!(!rule(&["/a/x/y"], &[], RuleAction::Deny).shadowed_by(&star));
}

#[test]
fn summary_reads_like_the_file() {
    let mut r = rule(
        &["/admin/**"],
        &["POST"],
        RuleAction::StepUp(std::time::Duration::from_secs(600)),
    );
    r.networks = vec!["10.0.0.0/8".parse().unwrap()];
    assert_eq!(
        r.summary(),
        "{ paths: [/admin/**], methods: [POST], networks: [10.0.0.0/8], action: step_up: 10m }"
    );
}
