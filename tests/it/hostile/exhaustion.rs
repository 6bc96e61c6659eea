//! Hostile hashing load: Argon2id costs ~20 ms and 19 MiB a hash, so an
//! attacker who can make the gateway hash at will could exhaust its memory.
//! Sixty-four concurrent regenerations with a wrong code and sixty-four
//! concurrent wrong backup codes must keep the gateway's resident memory
//! within +150 MiB (measured from /proc), and it must still serve. Since
//! backup codes are sealed digests (issue 35) only a code of a set written
//! before (v1) costs an Argon2id hash; `hash_pool`'s own tests bound that.

use crate::harness::{Gateway, enroll};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

/// Resident set size of process `pid`, in KiB.
fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

#[tokio::test]
async fn hostile_hashing_keeps_memory_bounded() {
    let gw = Gateway::demo().await;
    let pid = gw.pid().expect("gateway pid");
    // A verified session whose holder lacks the authenticator (e.g. a
    // stolen session), and many password-only sessions at the challenge.
    let mut owner = gw.browser();
    owner.login("jiro@acme.example").await;
    enroll(&mut owner).await;
    let csrf = owner
        .get("/_mfa/settings")
        .await
        .input_value("csrf")
        .unwrap();
    let cookies = owner.cookies.clone();
    let mut attackers = Vec::new();
    for _ in 0..64 {
        let mut b = gw.browser();
        b.login("jiro@acme.example").await;
        let csrf = b.get("/_mfa/challenge").await.input_value("csrf").unwrap();
        attackers.push((b, csrf));
    }
    let baseline = rss_kib(pid);
    let peak = Arc::new(AtomicU64::new(baseline));
    let done = Arc::new(AtomicBool::new(false));
    let sampler = {
        let (peak, done) = (peak.clone(), done.clone());
        tokio::spawn(async move {
            while !done.load(Ordering::Relaxed) {
                peak.fetch_max(rss_kib(pid), Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        })
    };

    let mut tasks = Vec::new();
    for _ in 0..64 {
        let mut b = gw.browser();
        b.cookies = cookies.clone();
        let csrf = csrf.clone();
        tasks.push(tokio::spawn(async move {
            let fields = [
                ("csrf", csrf.as_str()),
                ("action", "regenerate"),
                ("code", "000000"),
            ];
            b.post_form("/_mfa/settings", &fields).await.status
        }));
    }
    for (mut b, csrf) in attackers {
        tasks.push(tokio::spawn(async move {
            let fields = [("csrf", csrf.as_str()), ("backup_code", "abcd-efgh-jk")];
            b.post_form("/_mfa/challenge", &fields).await.status
        }));
    }
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.unwrap());
    }
    done.store(true, Ordering::Relaxed);
    sampler.await.unwrap();

    let grown_mib = peak.load(Ordering::Relaxed).saturating_sub(baseline) / 1024;
    assert!(
        grown_mib <= 150,
        "RSS grew by {grown_mib} MiB under hostile hashing (statuses {statuses:?})"
    );
    // Every answer is a refusal: wrong code (422), locked (423), or busy (503).
    assert!(
        statuses.iter().all(|s| [422, 423, 503].contains(s)),
        "{statuses:?}"
    );
    let status = gw.account_status("jiro@acme.example").await;
    assert_eq!(status["locked"], true, "{status}");
    assert_eq!(status["failures"], 10, "{status}");
    // Still serving, and back near the baseline once idle.
    assert_eq!(
        reqwest::get(gw.url("/_mfa/healthz"))
            .await
            .unwrap()
            .status(),
        200
    );
    let after_mib = rss_kib(pid).saturating_sub(baseline) / 1024;
    assert!(
        after_mib <= 150,
        "RSS stayed {after_mib} MiB above baseline"
    );
}
