//! Races that really overlap: every request waits at one barrier, then
//! sends; [`assert_overlapped`] checks that the winner was in flight
//! together with a loser (a race that never overlapped proves nothing).

use super::{Browser, Gateway};
use std::future::Future;
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::Barrier;

/// One request of a race: its result and when it was in flight.
pub struct Run<T> {
    pub out: T,
    pub start: Instant,
    pub end: Instant,
}

/// Runs every request at once: each task waits at one barrier, then sends.
pub async fn race<T, F>(requests: Vec<F>) -> Vec<Run<T>>
where
    T: Send + 'static,
    F: Future<Output = T> + Send + 'static,
{
    let barrier = Arc::new(Barrier::new(requests.len()));
    let tasks: Vec<_> = requests
        .into_iter()
        .map(|request| {
            let barrier = barrier.clone();
            tokio::spawn(async move {
                barrier.wait().await;
                let start = Instant::now();
                let out = request.await;
                Run {
                    out,
                    start,
                    end: Instant::now(),
                }
            })
        })
        .collect();
    let mut runs = Vec::new();
    for t in tasks {
        runs.push(t.await.expect("race task"));
    }
    runs
}

/// The most requests in flight at one moment (some request's start).
pub fn peak<T>(runs: &[Run<T>]) -> usize {
    runs.iter()
        .map(|r| {
            runs.iter()
                .filter(|o| o.start <= r.start && r.start < o.end)
                .count()
        })
        .max()
        .unwrap_or(0)
}

/// Asserts the race overlapped: the winner's request was in flight
/// together with at least one loser's.
pub fn assert_overlapped<T>(runs: &[Run<T>], winner: usize) {
    let w = &runs[winner];
    let overlapping = runs
        .iter()
        .enumerate()
        .filter(|(i, o)| *i != winner && o.start < w.end && w.start < o.end)
        .count();
    assert!(
        overlapping > 0,
        "the winner ran alone: no race happened (peak in flight {})",
        peak(runs)
    );
    println!(
        "race: {} requests, peak {} in flight together, {overlapping} overlapping the winner",
        runs.len(),
        peak(runs)
    );
}

/// `n` fresh logged-in sessions of `who`, each with its challenge CSRF
/// token, spread over `gateways` in turn (replicas of one store).
pub async fn sessions_at_challenge(
    gateways: &[&Gateway],
    who: &str,
    n: usize,
) -> Vec<(Browser, String)> {
    let mut out = Vec::new();
    for i in 0..n {
        let mut b = gateways[i % gateways.len()].browser();
        b.login(who).await;
        let csrf = b
            .get("/_mfa/challenge")
            .await
            .input_value("csrf")
            .expect("challenge page");
        out.push((b, csrf));
    }
    out
}

/// Every session posts `field=value` to the challenge at once; the statuses
/// (asserts exactly one winner, whose request overlapped a loser's).
pub async fn race_challenge(
    sessions: Vec<(Browser, String)>,
    field: &str,
    value: &str,
) -> Vec<u16> {
    let requests: Vec<_> = sessions
        .into_iter()
        .map(|(mut b, csrf)| {
            let (field, value) = (field.to_owned(), value.to_owned());
            async move {
                b.post_form("/_mfa/challenge", &[("csrf", &csrf), (&field, &value)])
                    .await
                    .status
            }
        })
        .collect();
    let runs = race(requests).await;
    let statuses: Vec<u16> = runs.iter().map(|r| r.out).collect();
    let winners: Vec<usize> = (0..runs.len()).filter(|&i| statuses[i] == 303).collect();
    assert_eq!(winners.len(), 1, "{statuses:?}");
    assert_overlapped(&runs, winners[0]);
    statuses
}
