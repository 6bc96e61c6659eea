//! Prometheus metrics, served at `/metrics` on the admin listener.
//!
//! | metric | labels | counts |
//! |---|---|---|
//! | `mfa_gate_requests_total` | `decision` | requests by what was decided: `pass`, `bypass`, `anonymous`, `challenge`, `enroll`, `locked`, `error`, `page` (our own pages), `refused` (malformed before any decision) |
//! | `mfa_gate_request_duration_seconds` | | histogram of request latency |
//! | `mfa_gate_upstream_errors_total` | | requests the app could not answer (connect, timeout, reset) |
//! | `mfa_gate_challenges_total` | `result` | challenge submissions: `passed`/`failed` |
//! | `mfa_gate_challenges_by_method_total` | `result`, `method` | the same, split by `totp`/`backup_code`/`passkey` |
//! | `mfa_gate_enrollments_total` | | confirmed enrollments |
//! | `mfa_gate_lockouts_total` | | persons locked |
//! | `mfa_gate_remembered_browser_skips_total` | | new app sessions that skipped the code on a remembered browser |
//! | `mfa_gate_support_actions_total` | `action` | `unlock`, `reset` |
//! | `mfa_gate_identity_cache_total` | `result` | whoami cache `hit` / `miss` |
//! | `mfa_gate_whoami_duration_seconds` | | histogram of whoami calls |
//! | `mfa_gate_config_reloads_total` | `result` | `ok` / `rejected` |
//! | `mfa_gate_notifications_total` | `result` | outbox deliveries `queued`, `sent`, `retried` (an attempt failed), `failed` (dead-lettered) |
//! | `mfa_gate_outbox_pending` | | outbox deliveries waiting (the sender's last look) |
//! | `mfa_gate_store_query_duration_seconds` | | histogram of PostgreSQL store calls (replicas) |
//! | `mfa_gate_store_pool_connections` | `state` | PostgreSQL pool connections `busy` / `idle` |
//! | `mfa_gate_store_notifications_total` | | cache invalidations received (LISTEN/NOTIFY) |
//! | `mfa_gate_store_resyncs_total` | | cache emptied on (re)connecting the listener |
//!
//! Security events are counted where they are audited (`audit::record`
//! calls `observe`). Every labelled series is resolved once at start, so
//! the request path only increments an atomic: no label formatting, no
//! lookup. No account name or code ever becomes a label. Registered through
//! pingora-prometheus's `prometheus` re-export, so they land in the
//! registry `/metrics` gathers.

use crate::domain::{AuditEvent, AuditKind, Factor};
use pingora_prometheus::prometheus::{
    self, Encoder, Histogram, HistogramOpts, IntCounter, IntCounterVec, Opts, TextEncoder,
};
use std::sync::LazyLock;
use std::time::Duration;

/// What happened to a request: the access log's `outcome` and the
/// `decision` label of `mfa_gate_requests_total`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Forwarded: a logged-in session the rule lets through.
    Pass,
    /// Forwarded unjudged: a bypass path.
    Bypass,
    /// Forwarded: no logged-in session.
    Anonymous,
    Challenge,
    Enroll,
    Locked,
    /// Could not decide (identity or store unavailable): answered 503.
    Error,
    /// One of our pages.
    Page,
    /// Refused before any decision (400, 431).
    Refused,
    /// An access rule's `deny` (403).
    Denied,
}

impl Outcome {
    pub const ALL: [Outcome; 10] = [
        Outcome::Pass,
        Outcome::Bypass,
        Outcome::Anonymous,
        Outcome::Challenge,
        Outcome::Enroll,
        Outcome::Locked,
        Outcome::Error,
        Outcome::Page,
        Outcome::Refused,
        Outcome::Denied,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Pass => "pass",
            Outcome::Bypass => "bypass",
            Outcome::Anonymous => "anonymous",
            Outcome::Challenge => "challenge",
            Outcome::Enroll => "enroll",
            Outcome::Locked => "locked",
            Outcome::Error => "error",
            Outcome::Page => "page",
            Outcome::Refused => "refused",
            Outcome::Denied => "denied",
        }
    }
}

struct Metrics {
    requests: Vec<IntCounter>,
    request_seconds: Histogram,
    upstream_errors: IntCounter,
    /// passed, failed.
    challenges: [IntCounter; 2],
    /// passed/totp, passed/backup_code, passed/passkey, then the same
    /// failed.
    by_method: [IntCounter; 6],
    enrollments: IntCounter,
    lockouts: IntCounter,
    remembered_skips: IntCounter,
    unlocks: IntCounter,
    resets: IntCounter,
    cache_hits: IntCounter,
    cache_misses: IntCounter,
    whoami_seconds: Histogram,
    reloads_ok: IntCounter,
    reloads_rejected: IntCounter,
}

/// `None` only if registration failed (a name clash: a bug); the gateway
/// then runs without metrics rather than failing requests.
static METRICS: LazyLock<Option<Metrics>> = LazyLock::new(|| {
    let made = register();
    if let Err(e) = &made {
        tracing::error!(error = %e, "cannot register metrics");
    }
    made.ok()
});

fn counter_vec(name: &str, help: &str, label: &str) -> Result<IntCounterVec, prometheus::Error> {
    let vec = IntCounterVec::new(Opts::new(name, help), &[label])?;
    prometheus::register(Box::new(vec.clone()))?;
    Ok(vec)
}

fn counter(name: &str, help: &str) -> Result<IntCounter, prometheus::Error> {
    let c = IntCounter::new(name, help)?;
    prometheus::register(Box::new(c.clone()))?;
    Ok(c)
}

fn histogram(name: &str, help: &str, buckets: &[f64]) -> Result<Histogram, prometheus::Error> {
    let h = Histogram::with_opts(HistogramOpts::new(name, help).buckets(buckets.to_vec()))?;
    prometheus::register(Box::new(h.clone()))?;
    Ok(h)
}

/// `mfa_gate_challenges_total` by result, and its split by method, in the
/// order `Metrics::code_checked` indexes them.
type CodeCheckCounters = ([IntCounter; 2], [IntCounter; 6]);

fn code_check_counters() -> Result<CodeCheckCounters, prometheus::Error> {
    let challenges = counter_vec(
        "mfa_gate_challenges_total",
        "Challenge submissions by result (passed: TOTP, backup code or passkey; failed: wrong code or refused passkey)",
        "result",
    )?;
    let by_method = IntCounterVec::new(
        Opts::new(
            "mfa_gate_challenges_by_method_total",
            "Challenge submissions by result (passed, failed) and method (totp, backup_code, passkey)",
        ),
        &["result", "method"],
    )?;
    prometheus::register(Box::new(by_method.clone()))?;
    Ok((
        [
            challenges.with_label_values(&["passed"]),
            challenges.with_label_values(&["failed"]),
        ],
        [
            by_method.with_label_values(&["passed", "totp"]),
            by_method.with_label_values(&["passed", "backup_code"]),
            by_method.with_label_values(&["passed", "passkey"]),
            by_method.with_label_values(&["failed", "totp"]),
            by_method.with_label_values(&["failed", "backup_code"]),
            by_method.with_label_values(&["failed", "passkey"]),
        ],
    ))
}

/// The buckets of both latency histograms, in seconds.
const LATENCY_BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// A counter family with one label, registered, and its counters for
/// `values`, each resolved once, in that order.
fn labelled<const N: usize>(
    name: &str,
    help: &str,
    label: &str,
    values: [&str; N],
) -> Result<[IntCounter; N], prometheus::Error> {
    let vec = counter_vec(name, help, label)?;
    Ok(values.map(|value| vec.with_label_values(&[value])))
}

/// `mfa_gate_requests_total` by decision, in the order of `Outcome::ALL`
/// (which `request_done` indexes).
fn request_counters() -> Result<Vec<IntCounter>, prometheus::Error> {
    let requests = labelled(
        "mfa_gate_requests_total",
        "Requests by decision (pass, bypass, anonymous, challenge, enroll, locked, error, page, refused)",
        "decision",
        Outcome::ALL.map(Outcome::as_str),
    )?;
    Ok(requests.into())
}

fn register() -> Result<Metrics, prometheus::Error> {
    let requests = request_counters()?;
    let (challenges, by_method) = code_check_counters()?;
    let [unlocks, resets] = labelled(
        "mfa_gate_support_actions_total",
        "Support operations that changed an account, by action",
        "action",
        ["unlock", "reset"],
    )?;
    let [cache_hits, cache_misses] = labelled(
        "mfa_gate_identity_cache_total",
        "whoami cache lookups by result (hit, miss)",
        "result",
        ["hit", "miss"],
    )?;
    let [reloads_ok, reloads_rejected] = labelled(
        "mfa_gate_config_reloads_total",
        "Configuration reloads by result (ok, rejected)",
        "result",
        ["ok", "rejected"],
    )?;
    Ok(Metrics {
        requests,
        request_seconds: histogram(
            "mfa_gate_request_duration_seconds",
            "Time from request to response end, as seen by the gateway",
            &LATENCY_BUCKETS,
        )?,
        upstream_errors: counter(
            "mfa_gate_upstream_errors_total",
            "Forwarded requests the app could not answer (connect, timeout, reset)",
        )?,
        challenges,
        by_method,
        enrollments: counter("mfa_gate_enrollments_total", "Confirmed enrollments")?,
        lockouts: counter(
            "mfa_gate_lockouts_total",
            "Persons locked after max_failures wrong codes",
        )?,
        remembered_skips: counter(
            "mfa_gate_remembered_browser_skips_total",
            "New app sessions that skipped the code on a remembered browser",
        )?,
        unlocks,
        resets,
        cache_hits,
        cache_misses,
        whoami_seconds: histogram(
            "mfa_gate_whoami_duration_seconds",
            "Time of whoami calls to the app (cache misses)",
            &LATENCY_BUCKETS,
        )?,
        reloads_ok,
        reloads_rejected,
    })
}

/// Register the metrics now (so `/metrics` lists them before any event).
pub fn init() {
    LazyLock::force(&METRICS);
    LazyLock::force(&NOTIFICATIONS);
    LazyLock::force(&STORE);
}

/// One finished request: its outcome, its latency, and whether the app
/// failed to answer.
pub fn request_done(outcome: Outcome, elapsed: Duration, upstream_error: bool) {
    let Some(m) = METRICS.as_ref() else { return };
    let index = Outcome::ALL.iter().position(|o| *o == outcome);
    if let Some(c) = index.and_then(|i| m.requests.get(i)) {
        c.inc();
    }
    m.request_seconds.observe(elapsed.as_secs_f64());
    if upstream_error {
        m.upstream_errors.inc();
    }
}

/// A whoami cache lookup.
pub fn identity_cache(hit: bool) {
    if let Some(m) = METRICS.as_ref() {
        if hit {
            m.cache_hits.inc()
        } else {
            m.cache_misses.inc()
        }
    }
}

/// One whoami call, answered or not.
pub fn whoami_latency(elapsed: Duration) {
    if let Some(m) = METRICS.as_ref() {
        m.whoami_seconds.observe(elapsed.as_secs_f64());
    }
}

/// One configuration reload, applied or rejected.
pub fn reload(applied: bool) {
    if let Some(m) = METRICS.as_ref() {
        if applied {
            m.reloads_ok.inc()
        } else {
            m.reloads_rejected.inc()
        }
    }
}

/// Count one security event.
pub fn observe(event: &AuditEvent) {
    let Some(m) = METRICS.as_ref() else { return };
    let method = event.detail.method;
    match event.kind {
        AuditKind::ChallengePassed => m.code_checked(true, method),
        AuditKind::BackupCodeUsed => m.code_checked(true, Some(Factor::BackupCode)),
        AuditKind::ChallengeFailed => m.code_checked(false, method),
        AuditKind::Enrolled => m.enrollments.inc(),
        AuditKind::Locked => m.lockouts.inc(),
        AuditKind::Unlocked => m.unlocks.inc(),
        AuditKind::Reset => m.resets.inc(),
        AuditKind::RememberedBrowserUsed => m.remembered_skips.inc(),
        AuditKind::BackupCodesRegenerated
        | AuditKind::Disabled
        | AuditKind::PolicyChanged
        | AuditKind::BrowserRemembered
        | AuditKind::BrowsersForgotten
        | AuditKind::PasskeyAdded
        | AuditKind::PasskeyRemoved
        | AuditKind::PasskeyRenamed => {}
    }
}

impl Metrics {
    /// One code submission; split by method when the event names one.
    fn code_checked(&self, passed: bool, method: Option<Factor>) {
        let result = usize::from(!passed);
        if let Some(c) = self.challenges.get(result) {
            c.inc();
        }
        let Some(method) = method else { return };
        let kind = match method {
            Factor::Totp => 0,
            Factor::BackupCode => 1,
            Factor::Passkey => 2,
        };
        let i = 3 * result + kind;
        if let Some(c) = self.by_method.get(i) {
            c.inc();
        }
    }
}

/// What happened to outbox deliveries (`mfa_gate_notifications_total`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Delivered {
    Queued,
    Sent,
    Retried,
    Failed,
    /// An event held to be told with others of its kind (not a delivery).
    Coalesced,
}

impl Delivered {
    const ALL: [Delivered; 5] = [
        Delivered::Queued,
        Delivered::Sent,
        Delivered::Retried,
        Delivered::Failed,
        Delivered::Coalesced,
    ];

    fn as_str(self) -> &'static str {
        match self {
            Delivered::Queued => "queued",
            Delivered::Sent => "sent",
            Delivered::Retried => "retried",
            Delivered::Failed => "failed",
            Delivered::Coalesced => "coalesced",
        }
    }
}

/// The notification counters (each label resolved once) and the gauge.
type OutboxGauges = [prometheus::IntGauge; 3];
static NOTIFICATIONS: LazyLock<Option<(Vec<IntCounter>, OutboxGauges)>> = LazyLock::new(|| {
    let made = (|| {
        let vec = counter_vec(
            "mfa_gate_notifications_total",
            "Outbox deliveries: queued, sent, retried, failed (dead-lettered); events coalesced into a later message",
            "result",
        )?;
        let counters = Delivered::ALL
            .iter()
            .map(|d| vec.with_label_values(&[d.as_str()]))
            .collect();
        let gauge = |name: &str, help: &str| {
            let g = prometheus::IntGauge::new(name, help)?;
            prometheus::register(Box::new(g.clone()))?;
            Ok::<_, prometheus::Error>(g)
        };
        let gauges = [
            gauge(
                "mfa_gate_outbox_pending",
                "Outbox deliveries waiting to be sent (or retried), all of them",
            )?,
            gauge(
                "mfa_gate_outbox_dead",
                "Dead letters: deliveries past their last attempt, until retried",
            )?,
            gauge(
                "mfa_gate_outbox_oldest_pending_seconds",
                "Age of the oldest waiting delivery's event (0 when none waits)",
            )?,
        ];
        Ok::<_, prometheus::Error>((counters, gauges))
    })();
    if let Err(e) = &made {
        tracing::error!(error = %e, "cannot register notification metrics");
    }
    made.ok()
});

/// Count `n` outbox deliveries that reached `result`.
pub fn notifications(result: Delivered, n: usize) {
    let Some((counters, _)) = NOTIFICATIONS.as_ref() else {
        return;
    };
    let i = Delivered::ALL.iter().position(|d| *d == result);
    if let Some(c) = i.and_then(|i| counters.get(i)) {
        c.inc_by(n as u64);
    }
}

/// The outbox as the sender last walked it: deliveries waiting, dead
/// letters, and the oldest waiting one's age in seconds.
pub fn outbox(pending: usize, dead: usize, oldest_age: Option<i64>) {
    if let Some((_, [p, d, o])) = NOTIFICATIONS.as_ref() {
        p.set(i64::try_from(pending).unwrap_or(i64::MAX));
        d.set(i64::try_from(dead).unwrap_or(i64::MAX));
        o.set(oldest_age.unwrap_or(0));
    }
}

/// Audit events deleted past `audit.keep_days`.
static AUDIT_PRUNED: LazyLock<Option<IntCounter>> = LazyLock::new(|| {
    counter(
        "mfa_gate_audit_pruned_total",
        "Audit events deleted because they were older than audit.keep_days",
    )
    .inspect_err(|e| tracing::error!(error = %e, "cannot register the audit metric"))
    .ok()
});

/// Count `n` audit events pruned.
pub fn audit_pruned(n: usize) {
    if let Some(c) = AUDIT_PRUNED.as_ref() {
        c.inc_by(n as u64);
    }
}

/// The shared store's (PostgreSQL's) metrics.
struct StoreMetrics {
    notifications: IntCounter,
    resyncs: IntCounter,
    refused: IntCounter,
    lease_lost: IntCounter,
    query_seconds: Histogram,
    busy: prometheus::IntGauge,
    idle: prometheus::IntGauge,
}

static STORE: LazyLock<Option<StoreMetrics>> = LazyLock::new(|| {
    let made = (|| {
        let counter = |name: &str, help: &str| {
            let c = IntCounter::new(name, help)?;
            prometheus::register(Box::new(c.clone()))?;
            Ok::<_, prometheus::Error>(c)
        };
        let gauge = |state: &str| {
            let g = prometheus::IntGauge::with_opts(
                Opts::new(
                    "mfa_gate_store_pool_connections",
                    "PostgreSQL connections of this gateway's pool, busy or idle",
                )
                .const_label("state", state),
            )?;
            prometheus::register(Box::new(g.clone()))?;
            Ok::<_, prometheus::Error>(g)
        };
        Ok::<_, prometheus::Error>(StoreMetrics {
            notifications: counter(
                "mfa_gate_store_notifications_total",
                "Cache invalidations received from the shared store (PostgreSQL LISTEN)",
            )?,
            resyncs: counter(
                "mfa_gate_store_resyncs_total",
                "Times the cache was emptied because the store's LISTEN connection was (re)established",
            )?,
            refused: counter(
                "mfa_gate_store_refused_total",
                "PostgreSQL store calls refused at once (fail closed) because the database had not proven itself within store.max_staleness",
            )?,
            lease_lost: counter(
                "mfa_gate_store_lease_lost_total",
                "Times the listener could not prove the database within store.max_staleness (cache off, calls refused until it can)",
            )?,
            query_seconds: histogram(
                "mfa_gate_store_query_duration_seconds",
                "Time of PostgreSQL store calls, the wait for a connection included",
                &[
                    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 5.0,
                ],
            )?,
            busy: gauge("busy")?,
            idle: gauge("idle")?,
        })
    })();
    if let Err(e) = &made {
        tracing::error!(error = %e, "cannot register store metrics");
    }
    made.ok()
});

/// Count `n` cache invalidations received.
pub fn store_notifications(n: usize) {
    if let Some(m) = STORE.as_ref() {
        m.notifications.inc_by(n as u64);
    }
}

/// Count one store call refused for want of a lease.
pub fn store_refused() {
    if let Some(m) = STORE.as_ref() {
        m.refused.inc();
    }
}

/// Count one lease the listener lost.
pub fn store_lease_lost() {
    if let Some(m) = STORE.as_ref() {
        m.lease_lost.inc();
    }
}

/// Count one cache resync.
pub fn store_resync() {
    if let Some(m) = STORE.as_ref() {
        m.resyncs.inc();
    }
}

/// One PostgreSQL store call, and the pool's connections after it.
pub fn store_call(elapsed: Duration, connections: u32, idle: u32) {
    if let Some(m) = STORE.as_ref() {
        m.query_seconds.observe(elapsed.as_secs_f64());
        m.busy.set(i64::from(connections.saturating_sub(idle)));
        m.idle.set(i64::from(idle));
    }
}

/// Every registered metric in the Prometheus text format.
pub fn render() -> Result<(String, Vec<u8>), prometheus::Error> {
    let encoder = TextEncoder::new();
    let mut body = Vec::new();
    encoder.encode(&prometheus::gather(), &mut body)?;
    Ok((encoder.format_type().to_owned(), body))
}

#[cfg(test)]
mod tests;
