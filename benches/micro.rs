//! Micro-benchmarks of the pieces on the request path: TOTP verification,
//! backup codes (a set sealed, an attempt checked), gateway cookie
//! verification, identity cache hit, policy decision.
//! Run: `cargo bench --bench micro`. Results are for comparison between
//! runs on one machine; the load benchmark (`benches/load.rs`) is the one
//! that reports the gateway's cost per request.

use criterion::{Criterion, black_box, criterion_group, criterion_main};
use mfa_gate::access::decision::{Facts, decide};
use mfa_gate::access::session::{self, AppSession};
use mfa_gate::config::{FieldMap, SessionCookies, WhoamiConfig, WhoamiMethod};
use mfa_gate::domain::{AccountClass, Enforcement, Identity, IdentityFields, PersonKey};
use mfa_gate::factors::{backup_codes, totp};
use mfa_gate::identity::{Lookup, WhoamiClient};
use mfa_gate::keys::Keys;
use std::sync::Arc;
use std::time::Duration;

const NOW: u64 = 1_800_000_000;

fn bench_totp(c: &mut Criterion) {
    let secret = totp::TotpSecret::from_bytes(&[7u8; 20]).unwrap();
    let good = totp::code_at_step(&secret, totp::time_step(NOW));
    c.bench_function("totp_verify_correct", |b| {
        b.iter(|| totp::verify(black_box(&secret), black_box(&good), NOW, 1, None))
    });
    c.bench_function("totp_verify_wrong", |b| {
        b.iter(|| totp::verify(black_box(&secret), black_box("000000"), NOW, 1, None))
    });
}

fn bench_backup(c: &mut Criterion) {
    let keys = Keys::new([1; 32], [2; 32]);
    let person = PersonKey::new("acme", "hanako");
    let mut group = c.benchmark_group("backup_code");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(3));
    group.bench_function("generate_10_sealed", |b| {
        b.iter(|| backup_codes::generate(&mut rand::rng(), &keys, black_box(&person), 1, 0))
    });
    let new = backup_codes::generate(&mut rand::rng(), &keys, &person, 1, 0);
    let attempt = new.codes[7].clone();
    group.bench_function("check_one_attempt_against_10", |b| {
        b.iter(|| backup_codes::find(black_box(&new.set), black_box(&attempt), &keys, &person))
    });
    group.finish();
}

fn bench_cookie(c: &mut Criterion) {
    let keys = Keys::new([1; 32], [2; 32]);
    let person = PersonKey::new("acme", "hanako");
    let app = AppSession::bind(&keys, "app-session-cookie-value-0123456789abcdef");
    let cookie = session::issue_cookie(&keys, app, &person, session::Bound::new(42, 0), NOW as i64);
    c.bench_function("gateway_cookie_verify", |b| {
        b.iter(|| {
            let app = AppSession::bind(
                &keys,
                black_box("app-session-cookie-value-0123456789abcdef"),
            );
            session::cookie_is_valid(
                &keys,
                black_box(&cookie),
                app,
                &person,
                session::Bound::new(42, 0),
                NOW as i64,
                43_200,
            )
        })
    });
}

fn bench_identity_cache(c: &mut Criterion) {
    let cfg = WhoamiConfig {
        session: SessionCookies::one("app_session"),
        whoami_method: WhoamiMethod::Get,
        whoami_path: "/api/me".into(),
        whoami_headers: Vec::new(),
        whoami_timeout: Duration::from_secs(1),
        fields: FieldMap::flat(),
        anonymous_when: None,
        cache_ttl: Duration::from_secs(3600),
        cache_size: 200_000,
        anonymous_statuses: vec![401],
        whoami_concurrency: 64,
        whoami_client_rate: 20,
        whoami_client_burst: 100,
    };
    let source = WhoamiClient::new(&cfg, "http://127.0.0.1:1").unwrap();
    for i in 0..100_000 {
        let identity = Identity::new(IdentityFields {
            account: format!("user{i}@acme.example"),
            company: "acme".into(),
            class: AccountClass::Employee,
            roles: vec![],
            person: format!("user{i}"),
            email: None,
        })
        .unwrap();
        source.remember(
            &format!("session-{i:08}"),
            Lookup::Known(Arc::new(identity)),
        );
    }
    c.bench_function("identity_cache_hit_100k_sessions", |b| {
        b.iter(|| source.cached(black_box("session-00054321")))
    });
}

fn bench_decision(c: &mut Criterion) {
    let facts = Facts {
        class: AccountClass::Employee,
        enforcement: Enforcement::Required,
        enrolled: true,
        passkey: false,
        locked: false,
        verified: true,
    };
    c.bench_function("policy_decision", |b| b.iter(|| decide(black_box(&facts))));
}

criterion_group!(
    benches,
    bench_totp,
    bench_backup,
    bench_cookie,
    bench_identity_cache,
    bench_decision
);
criterion_main!(benches);
