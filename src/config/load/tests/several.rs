//! Every mistake of a file at once (issue 34 §5): one error per section
//! that is wrong, in the order of their lines, each with its own file,
//! line and field; none that only follows from another; one for bad YAML
//! syntax.

use super::*;

/// Each error of `yaml`: (field, line).
fn each(yaml: &str) -> Vec<(Option<String>, Option<usize>)> {
    error_of(yaml)
        .each()
        .iter()
        .map(|e| (e.field().map(str::to_owned), e.line()))
        .collect()
}

fn at(field: &str, line: usize) -> (Option<String>, Option<usize>) {
    (Some(field.to_owned()), Some(line))
}

#[test]
fn three_independent_mistakes_are_three_errors_in_line_order() {
    let yaml = format!("{MINIMAL}prefix: mfa\nmax_failures: 0\nbypass: [\"no-slash\"]\n");
    let err = error_of(&yaml);
    assert_eq!(
        each(&yaml),
        [
            at("prefix", 12),
            at("max_failures", 13),
            at("bypass[0]", 14)
        ]
    );
    let shown = err.to_string();
    let lines: Vec<&str> = shown.lines().collect();
    assert_eq!(lines.len(), 3, "{shown}");
    for line in &lines {
        assert!(
            line.starts_with("/etc/mfa-gate/gate.yaml: line 1"),
            "{shown}"
        );
    }
    assert!(
        lines[1].contains("field `max_failures`: 0 is out of range"),
        "{shown}"
    );
    // The first is what `field` and `line` tell (as with one error).
    assert_eq!((err.field(), err.line()), (Some("prefix"), Some(12)));
}

#[test]
fn values_that_do_not_parse_are_reported_section_by_section() {
    let yaml = format!(
        "{MINIMAL}max_failures: lots\ntotp:\n  skew: many\nserver:\n  threads: -1\nmax_failure: 3\n"
    );
    let errors = each(&yaml);
    assert_eq!(
        errors,
        [
            at("max_failures", 12),
            at("totp.skew", 14),
            at("server.threads", 16),
            at("max_failure", 17)
        ]
    );
    let shown = error_of(&yaml).to_string();
    assert!(
        shown.contains("expected a whole number"),
        "in words: {shown}"
    );
    assert!(
        !shown.contains("u32") && !shown.contains("usize"),
        "{shown}"
    );
}

#[test]
fn values_that_do_not_parse_and_checks_that_fail_are_reported_together() {
    let yaml = format!("{MINIMAL}max_failures: lots\nprefix: mfa\n");
    assert_eq!(each(&yaml), [at("max_failures", 12), at("prefix", 13)]);
    // Unless the section that does not parse is read by another's check:
    // then only what is sure is reported.
    let yaml = format!("{MINIMAL}ui:\n  app_name: [x]\nprefix: mfa\n");
    assert_eq!(each(&yaml), [at("ui.app_name", 13)]);
}

#[test]
fn a_wrong_required_section_is_one_error_not_also_a_missing_one() {
    let yaml = MINIMAL.replace("  address: app.internal:3000\n", "  adress: x\n");
    let errors = each(&format!("{yaml}step_up_minutes: soon\nprefix: mfa\n"));
    assert_eq!(errors.len(), 3, "{errors:?}");
    assert_eq!(errors[0].0.as_deref(), Some("upstream.adress"));
    assert_eq!(errors[1], at("step_up_minutes", 12));
    // The rest is still checked, with a stand-in for the upstream.
    assert_eq!(errors[2], at("prefix", 13));
    let yaml = MINIMAL.replace("path: data/store", "path: [a, b]");
    let errors = each(&format!("{yaml}prefix: mfa\n"));
    assert_eq!(errors, [at("store.path", 8), at("prefix", 12)]);
}

#[test]
fn a_yaml_syntax_error_is_reported_alone() {
    let yaml = format!("{MINIMAL}prefix: [unclosed\nmax_failures: lots\n");
    let err = error_of(&yaml);
    // The parser's first complaint, and nothing about line 13: after a
    // syntax error, what follows cannot be read as the operator meant.
    assert_eq!(err.each().len(), 1, "{err}");
    assert_eq!(err.line(), Some(12), "{err}");
}

#[test]
fn an_error_that_follows_from_another_is_not_reported() {
    // The identity source is wrong: the gateway cookie, checked against
    // it, is not checked (and not refused) as well.
    let yaml = MINIMAL
        .replace("  session_cookie: app_session\n", "")
        .replace("listen:", "cookie:\n  name: app_session\nlisten:");
    let errors = each(&format!("{yaml}max_failures: 0\n"));
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert_eq!(errors[0].0.as_deref(), Some("identity"));
    assert_eq!(errors[1].0.as_deref(), Some("max_failures"));
}
