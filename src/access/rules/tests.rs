//! Unit tests of `access::rules`: a table of the cases that matter, and a
//! fuzz run comparing the real rules and decision with a deliberately
//! naive model written here (its own glob matcher, host and network
//! checks, and the enforcement table spelled out) over random rule lists
//! and requests. Seeded: every run checks the same cases.

use super::*;
use crate::access::decision::Facts;
use crate::config::rules::Glob;
use crate::domain::{AccountClass, Enforcement};
use ipnet::IpNet;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

const GLOBS: &[&str] = &[
    "/admin/**",
    "/admin/*",
    "/pay/**",
    "/static/*.css",
    "/**",
    "/a/b",
    "/**/edit",
    "/a*b/*",
];
const PATHS: &[Option<&str>] = &[
    Some("/admin"),
    Some("/admin/"),
    Some("/admin/x"),
    Some("/admin/x/y"),
    Some("/pay/1"),
    Some("/static/s.css"),
    Some("/static/s.js"),
    Some("/a/b"),
    Some("/posts/1/edit"),
    Some("/"),
    Some("/axxb/c"),
    None,
];
const METHODS: &[&str] = &["GET", "POST", "DELETE"];
const RULE_HOSTS: &[&str] = &["a.example.com", "*.example.com"];
const HOSTS: &[Option<&str>] = &[
    Some("a.example.com"),
    Some("A.Example.com:8080"),
    Some("example.com"),
    Some("b.a.example.com"),
    None,
];
const NETWORKS: &[&str] = &["10.0.0.0/8", "192.0.2.0/24", "10.1.2.3/32"];
const CLIENTS: &[Option<[u8; 4]>] = &[
    Some([10, 1, 2, 3]),
    Some([10, 9, 9, 9]),
    Some([192, 0, 2, 77]),
    Some([203, 0, 113, 5]),
    None,
];
const ROLES: &[&str] = &["admin", "intern", "manager"];
const CLASSES: [AccountClass; 3] = [
    AccountClass::Candidate,
    AccountClass::Employee,
    AccountClass::Admin,
];
const NOW: i64 = 1_700_000_000;

fn some<T: Clone>(rng: &mut StdRng, from: &[T], most: usize) -> Vec<T> {
    let n = if rng.random_bool(0.5) {
        0
    } else {
        rng.random_range(1..=most)
    };
    (0..n)
        .map(|_| from[rng.random_range(0..from.len())].clone())
        .collect()
}

fn random_rule(rng: &mut StdRng) -> AccessRule {
    let mut rule = AccessRule {
        paths: some(rng, GLOBS, 2)
            .iter()
            .map(|g| Glob::parse(g).unwrap())
            .collect(),
        methods: some(rng, METHODS, 2)
            .iter()
            .map(|m| m.to_string())
            .collect(),
        hosts: some(rng, RULE_HOSTS, 1)
            .iter()
            .map(|h| h.to_string())
            .collect(),
        classes: some(rng, &CLASSES, 2),
        roles: some(rng, ROLES, 2).iter().map(|r| r.to_string()).collect(),
        networks: some(rng, NETWORKS, 2)
            .iter()
            .map(|n| n.parse().unwrap())
            .collect(),
        action: match rng.random_range(0..7) {
            0 => RuleAction::Bypass,
            1 => RuleAction::CompanyPolicy,
            2 => RuleAction::TwoFactor,
            3 => RuleAction::Passkey,
            4 => RuleAction::StepUp(Duration::from_secs(300)),
            5 => RuleAction::StepUp(Duration::from_secs(3600)),
            _ => RuleAction::Deny,
        },
    };
    if rule.action == RuleAction::Bypass {
        // As the loader insists: a bypass names paths and nobody.
        rule.classes.clear();
        rule.roles.clear();
        if rule.paths.is_empty() {
            rule.paths.push(Glob::parse("/static/*.css").unwrap());
        }
    }
    rule
}

/// One random request, session and person.
struct Case {
    path: Option<&'static str>,
    method: &'static str,
    host: Option<&'static str>,
    client: Option<IpAddr>,
    bypass_query: bool,
    /// `None`: nobody logged in.
    class: Option<AccountClass>,
    roles: Vec<String>,
    enforcement: Enforcement,
    enrolled: bool,
    passkey: bool,
    locked: bool,
    trust: Trust,
}

fn random_case(rng: &mut StdRng) -> Case {
    let pick = |rng: &mut StdRng, n: usize| rng.random_range(0..n);
    let trust = match pick(rng, 4) {
        0 => Trust::None,
        1 => Trust::Remembered,
        // Between an hour and a half ago and a little in the future.
        _ => Trust::Proven {
            at: NOW - rng.random_range(-400..5400),
            by_passkey: rng.random_bool(0.5),
        },
    };
    Case {
        path: PATHS[pick(rng, PATHS.len())],
        method: METHODS[pick(rng, METHODS.len())],
        host: HOSTS[pick(rng, HOSTS.len())],
        client: CLIENTS[pick(rng, CLIENTS.len())].map(|o| IpAddr::V4(Ipv4Addr::from(o))),
        bypass_query: rng.random_bool(0.8),
        class: rng.random_bool(0.9).then(|| CLASSES[pick(rng, 3)]),
        roles: some(rng, ROLES, 2).iter().map(|r| r.to_string()).collect(),
        enforcement: [
            Enforcement::Optional,
            Enforcement::Required,
            Enforcement::RequiredPasskey,
        ][pick(rng, 3)],
        enrolled: rng.random_bool(0.7),
        passkey: rng.random_bool(0.4),
        locked: rng.random_bool(0.1),
        trust,
    }
}

/// What the model says happens to a request.
#[derive(Debug, PartialEq, Eq)]
enum Said {
    /// Forwarded before identification.
    Bypass,
    /// Nobody logged in, forwarded to the app (its login).
    Anonymous,
    Decided(Result<(), Denial>),
}

// ---- the model: naive on purpose --------------------------------------

/// Glob as characters: `/**` is "optionally a slash and anything", `*`
/// is "anything but a slash".
fn model_glob(glob: &[char], path: &[char]) -> bool {
    if glob.starts_with(&['/', '*', '*']) {
        let rest = &glob[3..];
        if model_glob(rest, path) {
            return true;
        }
        return path.first() == Some(&'/')
            && (1..=path.len()).any(|i| model_glob(rest, &path[i..]));
    }
    match glob.first() {
        None => path.is_empty(),
        Some('*') => (0..=path.len())
            .take_while(|&i| i == 0 || path[i - 1] != '/')
            .any(|i| model_glob(&glob[1..], &path[i..])),
        Some(c) => path.first() == Some(c) && model_glob(&glob[1..], &path[1..]),
    }
}

fn model_host(rule: &str, host: &str) -> bool {
    let host = host.to_lowercase();
    let host = host.split(':').next().unwrap_or("");
    match rule.strip_prefix('*') {
        Some(suffix) => host.ends_with(suffix) && host.len() > suffix.len(),
        None => host == rule,
    }
}

fn model_net(net: &IpNet, ip: IpAddr) -> bool {
    let (IpNet::V4(net), IpAddr::V4(ip)) = (net, ip) else {
        return false;
    };
    let mask = if net.prefix_len() == 0 {
        0
    } else {
        u32::MAX << (32 - net.prefix_len())
    };
    u32::from(ip) & mask == u32::from(net.addr()) & mask
}

fn model_request(r: &AccessRule, c: &Case, with_path: bool) -> bool {
    let path_ok = !with_path
        || r.paths.is_empty()
        || c.path.is_some_and(|p| {
            let p: Vec<char> = p.chars().collect();
            r.paths
                .iter()
                .any(|g| model_glob(&g.to_string().chars().collect::<Vec<_>>(), &p))
        });
    (c.bypass_query || r.action != RuleAction::Bypass)
        && path_ok
        && (r.methods.is_empty() || r.methods.iter().any(|m| m == c.method))
        && (r.hosts.is_empty()
            || c.host
                .is_some_and(|h| r.hosts.iter().any(|rh| model_host(rh, h))))
        && (r.networks.is_empty()
            || c.client
                .is_some_and(|ip| r.networks.iter().any(|n| model_net(n, ip))))
}

fn model_subject(r: &AccessRule, c: &Case) -> bool {
    (r.classes.is_empty() || c.class.is_some_and(|class| r.classes.contains(&class)))
        && (r.roles.is_empty()
            || (c.class.is_some() && r.roles.iter().any(|x| c.roles.contains(x))))
}

fn model(rules: &[AccessRule], c: &Case) -> Said {
    for r in rules {
        if model_request(r, c, true) {
            if r.action == RuleAction::Bypass && r.classes.is_empty() && r.roles.is_empty() {
                return Said::Bypass;
            }
            break;
        }
    }
    let mut action = RuleAction::CompanyPolicy;
    let ambiguous_raise = c.path.is_none()
        && rules.iter().any(|r| {
            !r.paths.is_empty()
                && r.action != RuleAction::Bypass
                && r.action != RuleAction::CompanyPolicy
                && model_request(r, c, false)
                && model_subject(r, c)
        });
    if ambiguous_raise {
        action = RuleAction::Deny;
    } else if let Some(r) = rules
        .iter()
        .find(|r| model_request(r, c, true) && model_subject(r, c))
    {
        action = r.action;
    }
    match c.class {
        None if action == RuleAction::Deny => Said::Decided(Err(Denial::Forbidden)),
        None => Said::Anonymous,
        Some(_) => Said::Decided(model_decision(action, c)),
    }
}

fn model_decision(action: RuleAction, c: &Case) -> Result<(), Denial> {
    let verified = c.trust != Trust::None;
    let staff = c.class != Some(AccountClass::Candidate);
    let company_wants = staff && c.enforcement != Enforcement::Optional;
    let company_wants_passkey = staff && c.enforcement == Enforcement::RequiredPasskey;
    match action {
        RuleAction::Bypass => return Ok(()),
        RuleAction::Deny => return Err(Denial::Forbidden),
        _ => {}
    }
    if c.locked {
        return Err(Denial::Locked);
    }
    if c.enrolled && !verified {
        return Err(Denial::Challenge);
    }
    if (company_wants && !c.enrolled) || (company_wants_passkey && !c.passkey) {
        return Err(Denial::Enroll);
    }
    if action != RuleAction::CompanyPolicy && !c.enrolled {
        return Err(Denial::Enroll);
    }
    match action {
        RuleAction::Passkey if !c.passkey => Err(Denial::Passkey),
        RuleAction::Passkey
            if !matches!(
                c.trust,
                Trust::Proven {
                    by_passkey: true,
                    ..
                }
            ) =>
        {
            Err(Denial::PasskeyProof)
        }
        RuleAction::StepUp(d) => {
            let within = d.as_secs() as i64;
            let fresh = match c.trust {
                Trust::Proven { at, .. } => NOW - at <= within && at <= NOW + 300,
                _ => false,
            };
            if fresh {
                Ok(())
            } else {
                Err(Denial::StepUp {
                    within_secs: within,
                })
            }
        }
        _ => Ok(()),
    }
}

// ---- the real thing ------------------------------------------------------

fn real(rules: &[AccessRule], c: &Case) -> Said {
    let asked = Asked {
        path: c.path,
        method: c.method,
        host: c.host,
        client: c.client,
        bypass_query: c.bypass_query,
    };
    if bypassed(rules, &asked) {
        return Said::Bypass;
    }
    let Some(class) = c.class else {
        return match denies_anonymous(rules, &asked) {
            true => Said::Decided(Err(Denial::Forbidden)),
            false => Said::Anonymous,
        };
    };
    let subject = Subject {
        class: Some(class),
        roles: (&c.roles).into(),
    };
    let applied = applied(rules, &asked, &subject);
    let facts = Facts {
        class,
        enforcement: c.enforcement,
        enrolled: c.enrolled,
        passkey: c.passkey,
        locked: c.locked,
        verified: c.trust.passed(),
    };
    Said::Decided(match requirement(applied.action, c.trust, NOW) {
        None => Ok(()),
        Some(r) => decision::decide_for(&facts, r),
    })
}

#[test]
fn the_rules_agree_with_a_naive_model() {
    let mut rng = StdRng::seed_from_u64(34);
    let mut seen = std::collections::HashSet::new();
    for round in 0..4000 {
        let n = rng.random_range(0..6);
        let rules: Vec<AccessRule> = (0..n).map(|_| random_rule(&mut rng)).collect();
        let case = random_case(&mut rng);
        let (expected, got) = (model(&rules, &case), real(&rules, &case));
        assert_eq!(
            got,
            expected,
            "round {round}: rules {rules:#?}\npath {:?} {} host {:?} client {:?} class {:?} roles {:?} {:?} enrolled {} passkey {} locked {} trust {:?}",
            case.path,
            case.method,
            case.host,
            case.client,
            case.class,
            case.roles,
            case.enforcement,
            case.enrolled,
            case.passkey,
            case.locked,
            case.trust
        );
        seen.insert(format!("{got:?}"));
    }
    // The run reached every outcome, so it can fail on any of them.
    for outcome in [
        "Bypass",
        "Anonymous",
        "Ok(())",
        "Enroll",
        "Challenge",
        "Locked",
        "StepUp",
        "Passkey",
        "Forbidden",
    ] {
        assert!(
            seen.iter().any(|s| s.contains(outcome)),
            "no case ended in {outcome}: {seen:?}"
        );
    }
}

#[test]
fn the_model_globs_agree_with_the_table() {
    let m = |g: &str, p: &str| {
        model_glob(
            &g.chars().collect::<Vec<_>>(),
            &p.chars().collect::<Vec<_>>(),
        )
    };
    assert!(m("/admin/**", "/admin") && m("/admin/**", "/admin/x/y") && !m("/admin/**", "/adminx"));
    assert!(m("/**/edit", "/edit") && m("/**/edit", "/p/1/edit") && !m("/**/edit", "/p/1/editor"));
    assert!(m("/static/*.css", "/static/a.css") && !m("/static/*.css", "/static/a/b.css"));
}
