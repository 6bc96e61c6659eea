//! Unit tests of `explain`: the rule named, and the decision per state.

use super::*;

const RULES: &str = "\
companies:
  globex: required
access_rules:
  - paths: [/static/**]
    action: bypass
  - paths: [/admin/**]
    networks: [10.0.0.0/8]
    action: { step_up: 10m }
  - paths: [/admin/**]
    action: deny
";

fn question(path: &str, ip: Option<&str>) -> Question {
    Question {
        account: "kei@globex.example".into(),
        path: path.into(),
        method: "GET".into(),
        host: Some("app.example".into()),
        ip: ip.map(|ip| ip.parse().unwrap()),
        class: AccountClass::Admin,
        roles: vec!["admin".into()],
        company: "globex".into(),
        policy: None,
    }
}

fn answer(path: &str, ip: Option<&str>) -> String {
    explain(
        &crate::config::minimal_config_with(RULES),
        &question(path, ip),
    )
}

#[test]
fn a_step_up_rule_is_named_and_decided_per_state() {
    let text = answer("/admin/users", Some("10.1.2.3"));
    let expected = "\
request: GET /admin/users on app.example from 10.1.2.3
account: kei@globex.example (admin, roles [admin]) of company globex: policy required (pinned in the file)
rule: access_rules[1] { paths: [/admin/**], networks: [10.0.0.0/8], action: step_up: 10m }
decision, by the person's state (the store is not read):
  not enrolled                                   enroll
  enrolled, not verified in this session         challenge
  verified with a code just now                  pass
  verified with a passkey just now               pass
  verified earlier, or by a remembered browser   step-up (a code or passkey within 10m)
  locked                                         locked
";
    assert_eq!(text, expected);
}

#[test]
fn first_match_wins_and_no_match_is_the_company_policy() {
    let text = answer("/admin/users", Some("203.0.113.9"));
    assert!(
        text.contains("rule: access_rules[2] { paths: [/admin/**], action: deny }"),
        "{text}"
    );
    assert!(
        text.contains("  locked                                         deny (403)"),
        "{text}"
    );
    let text = answer("/reports", None);
    assert!(text.contains("from an unknown client"), "{text}");
    assert!(
        text.contains("rule: no rule matched: company_policy"),
        "{text}"
    );
    assert!(
        text.contains("  not enrolled                                   enroll"),
        "{text}"
    );
    assert!(
        text.contains("  verified earlier, or by a remembered browser   pass"),
        "{text}"
    );
}

#[test]
fn bypasses_are_decided_before_identification() {
    let text = answer("/static/app.css", None);
    assert!(text.ends_with(
        "rule: access_rules[0] { paths: [/static/**], action: bypass }\ndecision: pass, unjudged (before identification)\n"
    ), "{text}");
    // A query outside bypass_query makes it judged by the rules after it.
    let text = answer("/static/app.css?q=1", None);
    assert!(
        text.contains("rule: no rule matched: company_policy"),
        "{text}"
    );
    let text = answer("/_mfa/settings", None);
    assert!(text.contains("one of mfa-gate's own pages"), "{text}");
}

#[test]
fn an_unpinned_company_s_policy_is_stated_as_an_assumption() {
    let mut q = question("/x", None);
    q.company = "acme".into();
    let config = crate::config::minimal_config_with(RULES);
    let text = explain(&config, &q);
    assert!(text.contains("policy optional (the default; a policy set on the admin page is not read: give it with --policy)"), "{text}");
    q.policy = Some(Enforcement::Required);
    let text = explain(&config, &q);
    assert!(
        text.contains("policy required (as given by --policy)"),
        "{text}"
    );
}

#[test]
fn the_one_tenant_is_required_unless_told_otherwise() {
    let mut q = question("/x", None);
    q.company = crate::config::IMPLICIT_TENANT.into();
    let config = crate::config::minimal_config_with(RULES);
    assert!(
        config.tenancy.is_implicit(&q.company),
        "{:?}",
        config.tenancy
    );
    let text = explain(&config, &q);
    assert!(
        text.contains("policy required (the one tenant's default;"),
        "{text}"
    );
}
