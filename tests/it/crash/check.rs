//! The crash test's check after every restart: the restarted gateway is
//! compared with each person's model (enrollment, lock, failure count, what
//! a new app session meets), the doubt left by the kill is settled with the
//! gateway's word, and the last accepted proofs of the current enrollment
//! are replayed while still inside the skew window, so a recorded step or a
//! used backup code that the kill lost would be accepted and reported.

use super::model::{Known, Model, Tally, accepted};
use super::ops::Replay;
use super::{MAX_FAILURES, SKEW};
use crate::harness::{Browser, DEMO_SUPPORT_TOKEN, codes};

/// The support API's view of an account; `None` while the gateway has
/// never seen it (nothing to lose yet).
async fn support_status(admin: &str, account: &str) -> Option<serde_json::Value> {
    let url = format!("{admin}/v1/accounts/{}", account.replace('@', "%40"));
    let r = reqwest::Client::new()
        .get(url)
        .bearer_auth(DEMO_SUPPORT_TOKEN)
        .send()
        .await
        .expect("admin listener");
    match r.status().as_u16() {
        200 => Some(serde_json::from_str(&r.text().await.unwrap_or_default()).expect("JSON")),
        404 => None,
        s => panic!(
            "status of {account}: {s} {}",
            r.text().await.unwrap_or_default()
        ),
    }
}

/// Compare the restarted gateway with the model, settle what was in doubt
/// from what the gateway says, then replay the current proofs.
pub async fn check_after_restart(
    url: &str,
    admin: &str,
    m: &mut Model,
    tally: &Tally,
    cycle: usize,
) {
    let who = m.account;
    let status = support_status(admin, who).await;
    let enrolled = status.as_ref().is_some_and(|s| s["enrolled"] == true);
    let locked = status.as_ref().is_some_and(|s| s["locked"] == true);
    let failures = status
        .as_ref()
        .and_then(|s| s["failures"].as_u64())
        .unwrap_or(0) as u32;
    let v = |what: String| tally.violation(format!("cycle {cycle}, {who}: {what}"));

    match (m.enrolled, enrolled) {
        (Known::Yes, false) => v("an answered enrollment was lost".into()),
        (Known::No, true) => v("an answered reset (or no enrollment) came back".into()),
        _ => {}
    }
    if m.locked == Known::Yes {
        Tally::count(&tally.locks_checked);
        if !locked {
            v("an answered lock was lost".into());
        }
    }
    if m.locked == Known::No && locked && !m.doubt_plus_one {
        v("locked without an answered lock".into());
    }
    if m.locked != Known::Maybe && m.enrolled != Known::Maybe {
        let ok = failures == m.failures
            || (m.doubt_plus_one && failures == m.failures + 1)
            || (m.doubt_reset && failures == 0);
        if !ok {
            v(format!(
                "failure count {failures}, answered {} (+1 in doubt: {}, reset in doubt: {})",
                m.failures, m.doubt_plus_one, m.doubt_reset
            ));
        }
    }

    // The same through the front door: a new app session of the account.
    let mut b = Browser::new(url.to_owned());
    b.login(who).await;
    let r = b.get("/").await;
    let seen = match (r.status, r.location()) {
        (423, _) => "locked",
        (303, Some(l)) if l.starts_with("/_mfa/challenge") => "challenged",
        (303, Some(l)) if l.starts_with("/_mfa/enroll") => "sent to enrollment",
        (200, _) if r.came_from_app() => "passed",
        _ => "something else",
    };
    let expected = match (locked, enrolled, m.required) {
        (true, _, _) => "locked",
        (false, true, _) => "challenged",
        (false, false, true) => "sent to enrollment",
        (false, false, false) => "passed",
    };
    if seen != expected {
        let known = if status.is_some() {
            "known to"
        } else {
            "unknown to"
        };
        v(format!(
            "a new session was {seen} ({} {:?}), expected {expected} (account {known} the \
             support API)",
            r.status,
            r.location()
        ));
    }

    // Settle the doubt with the gateway's word.
    if m.enrolled == Known::Maybe {
        m.enrolled = if enrolled { Known::Yes } else { Known::No };
    }
    if !enrolled {
        m.forget_enrollment();
    }
    m.locked = if locked { Known::Yes } else { Known::No };
    // Every lock there is now has been through a restart's check.
    m.lock_checked = locked;
    m.failures = failures;
    m.doubt_plus_one = false;
    m.doubt_reset = false;

    if seen == "challenged" && expected == "challenged" {
        replay_after_restart(&mut b, m, tally, &v).await;
    }
}

/// Replays the last accepted TOTP step (while inside the skew window) and
/// the last used backup code of the current set; both must be refused.
async fn replay_after_restart(b: &mut Browser, m: &mut Model, tally: &Tally, v: &impl Fn(String)) {
    let now = codes::now_step();
    let proofs: Vec<Replay> = Replay::candidates(m, now)
        .into_iter()
        .filter(|r| !matches!(r, Replay::EarlierStep(_)))
        .collect();
    if proofs.is_empty() || m.failures + proofs.len() as u32 >= MAX_FAILURES {
        return;
    }
    let Some(csrf) = b.get("/_mfa/challenge").await.input_value("csrf") else {
        v("a challenged session found no challenge form".into());
        return;
    };
    for proof in proofs {
        let (field, value) = proof.field(m);
        let r = b
            .post_form("/_mfa/challenge", &[("csrf", &csrf), (field, &value)])
            .await;
        let aged_out = proof.step().is_some_and(|st| st + SKEW < codes::now_step());
        if accepted(&r) {
            v(match proof {
                Replay::BackupCode(_) => "a used backup code was accepted again".into(),
                _ => "an accepted TOTP step was accepted again".into(),
            });
            m.failures = 0;
            continue;
        }
        if r.status != 422 {
            v(format!(
                "a replay after the restart was answered {}",
                r.status
            ));
            continue;
        }
        m.failures += 1;
        match proof {
            Replay::BackupCode(_) => Tally::count(&tally.restart_backup_replays),
            _ if !aged_out => Tally::count(&tally.restart_totp_replays),
            _ => {}
        }
    }
}
