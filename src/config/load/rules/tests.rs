//! Tests of loading `access_rules`: every kind of condition and action,
//! and one error per check, naming its field and line.

use crate::config::rules::RuleAction;
use crate::config::{Config, ConfigError, load_str_with_env};
use crate::domain::AccountClass;
use std::path::Path;
use std::time::Duration;

const MINIMAL: &str = "\
listen: 127.0.0.1:8080
upstream:
  address: app.internal:3000
identity:
  session_cookie: app_session
  whoami_path: /api/me
store:
  path: data/store
secrets:
  hmac_key: { env: TEST_HMAC }
  encryption_key: { env: TEST_ENC }
";
/// The line of the first rule's `- ` in files made by `with_rules`.
const FIRST_RULE_LINE: usize = 13;

fn env(name: &str) -> Option<String> {
    match name {
        "TEST_HMAC" | "MFA_GATE_HMAC_KEY" => Some("11".repeat(32)),
        "TEST_ENC" | "MFA_GATE_ENCRYPTION_KEY" => {
            Some("IiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiI=".into())
        }
        _ => None,
    }
}

fn with_rules(rules: &str) -> String {
    format!("{MINIMAL}access_rules:\n{rules}")
}

fn load(yaml: &str) -> Result<Config, ConfigError> {
    load_str_with_env(yaml, Path::new("/etc/mfa-gate/gate.yaml"), &env)
}

#[track_caller]
fn check_error(rules: &str, field: &str, line: usize, needle: &str) {
    let err = load(&with_rules(rules)).expect_err("the rules should be refused");
    let shown = err.to_string();
    assert_eq!(err.field(), Some(field), "{shown}");
    assert_eq!(err.line(), Some(line), "{shown}");
    assert!(shown.contains(needle), "{shown}");
    assert!(
        shown.starts_with("/etc/mfa-gate/gate.yaml: line"),
        "{shown}"
    );
}

#[test]
fn every_condition_and_action_loads() {
    let config = load(&with_rules(
        "  - paths: [/static/**, /favicon.ico]\n    methods: [GET, HEAD]\n    action: bypass\n\
         \x20 - paths: [/admin/**]\n    hosts: [admin.example.com, '*.example.org']\n    classes: [admin]\n    groups: [manager]\n    networks: [10.0.0.0/8, 192.0.2.7]\n    action: { step_up: 5m }\n\
         \x20 - paths: [/pay/**]\n    action: two_factor\n\
         \x20 - roles: [intern]\n    action: deny\n\
         \x20 - action: company_policy\n",
    ))
    .expect("loads");
    let rules = &config.access_rules;
    assert_eq!(rules.len(), 5);
    assert_eq!(rules[0].action, RuleAction::Bypass);
    assert_eq!(rules[0].methods, ["GET", "HEAD"]);
    assert_eq!(
        rules[1].action,
        RuleAction::StepUp(Duration::from_secs(300))
    );
    assert_eq!(rules[1].classes, [AccountClass::Admin]);
    assert_eq!(rules[1].roles, ["manager"]);
    assert_eq!(rules[1].networks[1].to_string(), "192.0.2.7/32");
    assert_eq!(rules[2].action, RuleAction::TwoFactor);
    assert_eq!(rules[3].action, RuleAction::Deny);
    assert_eq!(rules[4].action, RuleAction::CompanyPolicy);
}

#[test]
fn no_rules_by_default() {
    assert!(load(MINIMAL).unwrap().access_rules.is_empty());
}

#[test]
fn bad_values_name_their_field_and_line() {
    let l = FIRST_RULE_LINE;
    check_error(
        "  - paths: [admin/**]\n    action: deny\n",
        "access_rules[0].paths[0]",
        l,
        "must start with `/`",
    );
    check_error(
        "  - paths: [/a//b]\n    action: deny\n",
        "access_rules[0].paths[0]",
        l,
        "plain decoded path",
    );
    check_error(
        "  - methods: [get]\n    action: deny\n",
        "access_rules[0].methods[0]",
        l,
        "capitals",
    );
    check_error(
        "  - hosts: [Admin.example.com:443]\n    action: deny\n",
        "access_rules[0].hosts[0]",
        l,
        "lower case",
    );
    check_error(
        "  - classes: [staff]\n    action: deny\n",
        "access_rules[0].classes[0]",
        l,
        "not an account class",
    );
    check_error(
        "  - networks: [10.0.0.0/33]\n    action: deny\n",
        "access_rules[0].networks[0]",
        l,
        "CIDR",
    );
    check_error(
        "  - action: allow\n",
        "access_rules[0].action",
        l,
        "not an action",
    );
    check_error(
        "  - action: step_up\n",
        "access_rules[0].action",
        l,
        "{ step_up: 10m }",
    );
    check_error(
        "  - action: { step_up: 30s }\n",
        "access_rules[0].action",
        l,
        "whole minutes",
    );
    check_error(
        "  - action: { step_up: 25h }\n",
        "access_rules[0].action",
        l,
        "whole minutes",
    );
    check_error(
        "  - action: passkey\n",
        "access_rules[0].action",
        l,
        "webauthn",
    );
    check_error(
        "  - paths: []\n    action: deny\n",
        "access_rules[0].paths",
        l,
        "empty list",
    );
}

#[test]
fn a_rule_that_can_never_match_is_refused() {
    check_error(
        "  - action: two_factor\n  - paths: [/admin/**]\n    action: deny\n",
        "access_rules[1]",
        FIRST_RULE_LINE + 1,
        "can never match: access_rules[0]",
    );
    check_error(
        "  - paths: [/admin/**]\n    action: deny\n  - paths: [/admin/users/*]\n    methods: [POST]\n    action: two_factor\n",
        "access_rules[1]",
        FIRST_RULE_LINE + 2,
        "can never match",
    );
    // Narrower first, wider after: both can match.
    load(&with_rules(
        "  - paths: [/admin/users/*]\n    action: deny\n  - paths: [/admin/**]\n    action: two_factor\n",
    ))
    .expect("loads");
}

#[test]
fn a_bypass_is_narrow_and_names_nobody() {
    let l = FIRST_RULE_LINE;
    for wide in ["/**", "/*", "/*.php", "/**/foo", "/static/**/x"] {
        check_error(
            &format!("  - paths: ['{wide}']\n    action: bypass\n"),
            "access_rules[0].paths[0]",
            l,
            "wider than one directory",
        );
    }
    check_error(
        "  - action: bypass\n    roles: [x]\n    paths: [/a/**]\n",
        "access_rules[0].roles",
        l + 1,
        "before anyone is identified",
    );
    check_error(
        "  - action: bypass\n    classes: [admin]\n    paths: [/a/**]\n",
        "access_rules[0].classes",
        l + 1,
        "before anyone is identified",
    );
    check_error(
        "  - action: bypass\n    methods: [GET]\n",
        "access_rules[0].action",
        l,
        "must list its paths",
    );
}

/// The example file ships no rule, and its commented example loads once
/// uncommented.
#[test]
fn the_example_file_s_rules() {
    let path = Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/config/mfa-gate.example.yaml"
    ));
    let yaml = std::fs::read_to_string(path).expect("example file");
    let config = load_str_with_env(&yaml, path, &env).unwrap_or_else(|e| panic!("{e}"));
    assert!(config.access_rules.is_empty());
    let (head, tail) = yaml.split_once("# access_rules:\n").expect("the example");
    let example: String = tail
        .lines()
        .take_while(|l| l.starts_with("#  "))
        .map(|l| format!("{}\n", &l[2..]))
        .collect();
    let uncommented = format!(
        "{}access_rules:\n{example}",
        head.replace("access_rules: []\n", "")
    );
    let config = load_str_with_env(&uncommented, path, &env).unwrap_or_else(|e| panic!("{e}"));
    let actions: Vec<String> = config
        .access_rules
        .iter()
        .map(|r| r.action.to_string())
        .collect();
    assert_eq!(
        actions,
        [
            "bypass",
            "company_policy",
            "deny",
            "step_up: 10m",
            "two_factor"
        ]
    );
}
