//! Differential tests: the gateway and real frameworks read the same request.
//!
//! Small apps on real frameworks' own parsers (`tests/differential/`:
//! Werkzeug, Django, node's `cookie` package, PHP's built-in server, Go's
//! `net/http`; and the Rust `cookie` crate in process) each stand behind
//! their own gateway and echo what they read: the session cookie `app_sid`,
//! `X-Mfa-Status`, `X-Mfa-Account`, `X-Auth-User`. A generated corpus of
//! `Cookie` headers (`corpus.rs`) and header-name variants go through every
//! gateway as raw bytes (`wire.rs`), and every answer is held to one rule
//! (`check.rs`): whatever an app reads, the gateway read the same or refused.
//! SECURITY.md ("Parser differentials") describes the suite. `paths.rs`
//! does the same for request targets, against servers that do not resolve
//! dot segments (SECURITY.md, "Paths").

mod apps;
mod check;
mod corpus;
mod headers;
mod path_corpus;
mod paths;
mod rust_app;
mod wire;

use crate::harness::{ConfigBuilder, Front, Gateway, free_ports};
use apps::App;
use check::{Echo, Tally, Violation};
use std::collections::BTreeMap;
use std::sync::Arc;
use tokio::sync::Semaphore;

/// Requests in flight at once, over all apps (2 cores, shared).
const IN_FLIGHT: usize = 12;

/// A request's extra header lines: (name, raw value), in order.
type Lines = Vec<(Vec<u8>, Vec<u8>)>;

/// Where the gateway in front of each app learns identities from.
#[derive(Clone, Copy)]
enum Source {
    /// The app's `/whoami` for the session cookie `app_sid`.
    Whoami,
    /// An SSO front's `X-Auth-User` header (the client is not the trusted
    /// front: its own identity headers must never reach the app).
    Headers,
}

/// The one config of every differential gateway.
fn gateway_config(port: u16, upstream: &str, source: Source) -> ConfigBuilder {
    let config = ConfigBuilder::new(port, upstream).upstream_timeouts(Some(("1s", "10s")));
    let config = match source {
        Source::Whoami => config
            .whoami("app_sid", "/whoami")
            .whoami_timing(Some("10s"), Some("30s"))
            .identity_line("whoami_client_rate: 100000")
            .identity_line("whoami_client_burst: 100000"),
        // The SSO front is a documentation address: the test client
        // (127.0.0.1) is not it.
        Source::Headers => config.trusted_proxies("192.0.2.7/32").identity(
            "source: headers\nsession_cookie: app_sid\nheaders:\n  account: X-Auth-User\n\
             defaults:\n  company: strict\n  class: employee\n",
        ),
    };
    config
        .company("free", "optional")
        .company("strict", "required")
        .grace_period("1s")
}

/// Every app, each behind its own gateway.
struct Fleet {
    pairs: Vec<(App, Gateway)>,
    /// Behind a front: nginx in front of each app, asking its gateway
    /// (forward auth); requests go to the front.
    fronts: Vec<Front>,
    /// Each framework and its version.
    versions: Vec<(&'static str, String)>,
    _tmp: tempfile::TempDir,
}

impl Fleet {
    /// The cookie and header apps ([`apps::ALL`]), each behind a gateway
    /// that learns identities from `source`. Fails (never skips) when a
    /// runtime is missing.
    async fn start(source: Source) -> Fleet {
        Fleet::of(apps::ALL, apps::versions(), move |port, upstream| {
            gateway_config(port, upstream, source)
        })
        .await
    }

    /// `names`, each behind a gateway configured by `config(port, upstream)`.
    async fn of(
        names: &'static [&'static str],
        versions: Vec<(&'static str, String)>,
        config: impl Fn(u16, &str) -> ConfigBuilder + Clone + Send + 'static,
    ) -> Fleet {
        let tmp = tempfile::tempdir().expect("tempdir");
        let logs = tmp.path().to_path_buf();
        let starting: Vec<_> = names
            .iter()
            .map(|name| {
                let logs = logs.clone();
                let config = config.clone();
                tokio::spawn(async move {
                    let app = App::start(name, &logs).await;
                    let dir = logs.join(format!("gateway-{name}"));
                    let gateway = config(free_ports(), &app.upstream()).serve_in(&dir).await;
                    (app, gateway)
                })
            })
            .collect();
        let mut pairs = Vec::new();
        for task in starting {
            pairs.push(
                task.await
                    .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic())),
            );
        }
        Fleet {
            pairs,
            fronts: Vec::new(),
            versions,
            _tmp: tmp,
        }
    }

    /// The cookie apps, each behind a front that asks its gateway (which
    /// trusts the front) about every request: the README's recipe.
    async fn behind(front: FrontKind) -> Fleet {
        let mut fleet = Fleet::of(apps::ALL, apps::versions(), |port, upstream| {
            gateway_config(port, upstream, Source::Whoami).trusted_proxies("127.0.0.1/32")
        })
        .await;
        for (app, gateway) in &fleet.pairs {
            let upstream = app.upstream();
            let app_port = upstream.rsplit(':').next().unwrap().parse().unwrap();
            fleet.fronts.push(match front {
                FrontKind::Nginx => Front::nginx_for(gateway.port, app_port).await,
                FrontKind::Caddy => Front::caddy_for(gateway.port, app_port).await,
            });
        }
        fleet
    }

    /// Send every request of `requests` (header lines) to `/data` through
    /// every gateway, a few at a time; the answers per (app, request index).
    async fn send_all(
        &self,
        requests: &[Lines],
    ) -> Vec<(usize, usize, Result<wire::Reply, String>)> {
        let permits = Arc::new(Semaphore::new(IN_FLIGHT));
        let requests = Arc::new(requests.to_vec());
        let mut tasks = tokio::task::JoinSet::new();
        for (a, (_, gateway)) in self.pairs.iter().enumerate() {
            for r in 0..requests.len() {
                let port = self.fronts.get(a).map_or(gateway.port, |f| f.port);
                let (permits, requests) = (permits.clone(), requests.clone());
                tasks.spawn(async move {
                    let _permit = permits.acquire().await;
                    let lines: Vec<(&[u8], &[u8])> = requests[r]
                        .iter()
                        .map(|(n, v)| (n.as_slice(), v.as_slice()))
                        .collect();
                    (a, r, wire::get(port, "/data", &lines).await)
                });
            }
        }
        let mut out = Vec::new();
        while let Some(done) = tasks.join_next().await {
            out.push(done.expect("request task"));
        }
        out.sort_by_key(|(a, r, _)| (*a, *r));
        out
    }
}

/// `Cookie` header lines for a request.
fn cookie_lines(cookies: &[&[u8]]) -> Lines {
    cookies
        .iter()
        .map(|c| (b"Cookie".to_vec(), c.to_vec()))
        .collect()
}

#[tokio::test]
async fn differential_session_cookie_reading() {
    cookie_reading(&Fleet::start(Source::Whoami).await, &[]).await;
}

/// The same corpus through nginx (`auth_request` to the gateway): the
/// front forwards the `Cookie` headers the app will read, and the answer's
/// `X-Mfa-*` headers; the app never reads a session the gateway did not.
/// A `Cookie` header with bytes pingora refuses to parse (controls,
/// non-UTF-8) is answered 400 to the ask, which nginx turns into a 500 for
/// the client: refused too.
#[tokio::test]
async fn differential_session_cookie_reading_behind_nginx() {
    cookie_reading(&Fleet::behind(FrontKind::Nginx).await, &[500]).await;
}

/// The same corpus through Caddy (`forward_auth`).
#[tokio::test]
async fn differential_session_cookie_reading_behind_caddy() {
    cookie_reading(&Fleet::behind(FrontKind::Caddy).await, &[500, 502]).await;
}

/// Which front stands before each app.
#[derive(Clone, Copy)]
enum FrontKind {
    Nginx,
    Caddy,
}

/// The cookie corpus through every pair of `fleet`, held to the rule;
/// `refused` are more statuses that mean "not served" (a front's).
async fn cookie_reading(fleet: &Fleet, refused: &[u16]) {
    let corpus = corpus::corpus();
    println!("differential corpus: {} Cookie header sets", corpus.len());
    for (app, version) in &fleet.versions {
        println!("  {app}: {version}");
    }

    // Positive controls: the plain session reaches every app identified;
    // the unenrolled user of a required company is sent to enrollment.
    let controls = [
        cookie_lines(&[b"app_sid=tok-free"]),
        cookie_lines(&[b"app_sid=tok-strict"]),
        Vec::new(),
    ];
    for (a, r, reply) in fleet.send_all(&controls).await {
        let (app, gateway) = &fleet.pairs[a];
        let reply = reply.unwrap_or_else(|e| panic!("[{}] control {r}: {e}", app.name));
        let echo = Echo::of(app.name, &reply);
        let log = || format!("app log:\n{}\ngateway log:\n{}", app.log(), gateway.log());
        match r {
            0 => {
                let expected = Echo {
                    session: Some("tok-free".into()),
                    mfa_status: Some("not-enrolled".into()),
                    mfa_account: Some("free@x".into()),
                    auth_user: None,
                };
                assert_eq!(
                    reply.status,
                    200,
                    "[{}] app_sid=tok-free\n{}",
                    app.name,
                    log()
                );
                assert_eq!(echo, Some(expected), "[{}] app_sid=tok-free", app.name);
            }
            1 => {
                assert!(echo.is_none(), "[{}] tok-strict reached the app", app.name);
                assert_eq!(
                    reply.status,
                    401,
                    "[{}] app_sid=tok-strict\n{}",
                    app.name,
                    log()
                );
            }
            _ => {
                let expected = Echo {
                    session: None,
                    mfa_status: Some("not-required".into()),
                    mfa_account: None,
                    auth_user: None,
                };
                assert_eq!(echo, Some(expected), "[{}] no cookie", app.name);
            }
        }
    }

    let requests: Vec<_> = corpus
        .iter()
        .map(|case| {
            let cookies: Vec<&[u8]> = case.cookies.iter().map(Vec::as_slice).collect();
            cookie_lines(&cookies)
        })
        .collect();
    let mut tallies: BTreeMap<&str, Tally> = BTreeMap::new();
    let mut violations = Vec::new();
    for (a, r, reply) in fleet.send_all(&requests).await {
        let app = fleet.pairs[a].0.name;
        let tally = tallies.entry(app).or_default();
        if let Ok(r) = &reply
            && refused.contains(&r.status)
            && Echo::of(app, r).is_none()
        {
            tally.not_served += 1;
            continue;
        }
        if let Some((kind, detail)) = check::judge_cookie(app, &reply, tally) {
            violations.push(Violation {
                app,
                category: corpus[r].category,
                kind,
                request: corpus[r].describe(),
                detail,
            });
        }
    }
    println!("per app: sessions read (of them tok-strict) / answered by the app / not served");
    for (app, t) in &tallies {
        println!(
            "  {app}: {} ({}) / {} / {}",
            t.sessions_read, t.strict_read, t.from_app, t.not_served
        );
    }
    assert!(
        violations.is_empty(),
        "the gateway and the apps read the session differently:\n{}",
        check::report(&violations)
    );
}
