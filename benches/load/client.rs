//! The benchmark's own HTTP client (tokio + reqwest), for what wrk cannot
//! do: checking that a scenario really gets the answer it is meant to
//! measure, priming many sessions, and the challenge POSTs of (d).
//!
//! The runtime is driven from the main thread (`block_on`); processes are
//! never spawned from its worker threads.

use anyhow::{Context, Result, bail};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

pub struct Http {
    pub rt: tokio::runtime::Runtime,
    pub client: reqwest::Client,
}

/// An answer: status, one header of interest, body.
pub struct Answer {
    pub status: u16,
    pub set_cookie: Option<String>,
    pub body: String,
}

impl Http {
    pub fn new() -> Result<Http> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()?;
        let client = reqwest::Client::builder()
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .pool_max_idle_per_host(64)
            .timeout(Duration::from_secs(10))
            .build()?;
        Ok(Http { rt, client })
    }

    /// `GET url` with an optional `Cookie` header.
    pub fn get(&self, url: &str, cookie: Option<&str>) -> Result<Answer> {
        self.rt.block_on(get(&self.client, url, cookie))
    }

    /// `GET url` once for each cookie in `cookies`, `concurrency` at a
    /// time; fails unless every answer has status `expect`.
    pub fn get_each(
        &self,
        url: &str,
        cookies: impl Fn(u64) -> String + Send + Sync + 'static,
        count: u64,
        concurrency: usize,
        expect: u16,
    ) -> Result<()> {
        let cookies = Arc::new(cookies);
        let next = Arc::new(AtomicU64::new(0));
        let wrong = Arc::new(AtomicUsize::new(0));
        self.rt.block_on(async {
            let mut tasks = Vec::new();
            for _ in 0..concurrency {
                let (client, url) = (self.client.clone(), url.to_owned());
                let (cookies, next, wrong) = (cookies.clone(), next.clone(), wrong.clone());
                tasks.push(tokio::spawn(async move {
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        if i >= count {
                            return Ok::<_, anyhow::Error>(());
                        }
                        let answer = get(&client, &url, Some(&cookies(i))).await?;
                        if answer.status != expect && wrong.fetch_add(1, Ordering::Relaxed) == 0 {
                            eprintln!(
                                "  GET {url} #{i}: status {} (expected {expect}): {}",
                                answer.status, answer.body
                            );
                        }
                    }
                }));
            }
            for task in tasks {
                task.await??;
            }
            Ok::<_, anyhow::Error>(())
        })?;
        let wrong = wrong.load(Ordering::Relaxed);
        if wrong > 0 {
            bail!("{wrong} of {count} requests to {url} did not answer {expect}");
        }
        Ok(())
    }
}

pub async fn get(client: &reqwest::Client, url: &str, cookie: Option<&str>) -> Result<Answer> {
    let mut req = client.get(url);
    if let Some(c) = cookie {
        req = req.header(reqwest::header::COOKIE, c);
    }
    answer(req.send().await.with_context(|| format!("GET {url}"))?).await
}

pub async fn answer(response: reqwest::Response) -> Result<Answer> {
    let status = response.status().as_u16();
    let set_cookie = response
        .headers()
        .get(reqwest::header::SET_COOKIE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body = response.text().await?;
    Ok(Answer {
        status,
        set_cookie,
        body,
    })
}
