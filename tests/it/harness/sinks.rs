//! Real receivers of notifications on loopback: an SMTP server (Debian's
//! `python3-aiosmtpd`, saving each message into a Maildir) and the webhook
//! receiver `tests/it/notify/receiver.py`, which checks signatures with the
//! documented verifier and can be told to fail (500) or hang.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Debian's interpreter, which sees Debian's `python3-aiosmtpd` (a
/// `python3` earlier on PATH, e.g. pyenv's, may not).
const DEBIAN_PYTHON: &str = "/usr/bin/python3";

/// A loopback port nobody listens on now, from the harness's own range
/// (see `free_ports`: never one an outgoing connection can take).
pub fn free_port() -> u16 {
    super::free_ports()
}

/// Polls `probe` until it gives a value, for at most `timeout`; past it,
/// fails saying what was awaited, what had arrived (`what` is asked then)
/// and how long it waited.
async fn until<T>(
    what: impl Fn() -> String,
    timeout: Duration,
    mut probe: impl FnMut() -> Option<T>,
) -> T {
    let started = Instant::now();
    loop {
        if let Some(v) = probe() {
            return v;
        }
        assert!(
            started.elapsed() < timeout,
            "timed out after {:?} waiting for {}",
            started.elapsed(),
            what()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// aiosmtpd on `port`, saving into a Maildir; killed when dropped.
pub struct SmtpSink {
    child: Child,
    pub port: u16,
    dir: tempfile::TempDir,
}

impl SmtpSink {
    pub async fn start(port: u16) -> SmtpSink {
        let dir = tempfile::tempdir().unwrap();
        let maildir = dir.path().join("maildir");
        let child = Command::new(DEBIAN_PYTHON)
            .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}")])
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(&maildir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 -m aiosmtpd (install python3-aiosmtpd)");
        until(
            || format!("aiosmtpd on port {port}"),
            Duration::from_secs(30),
            || std::net::TcpStream::connect(("127.0.0.1", port)).ok(),
        )
        .await;
        SmtpSink { child, port, dir }
    }

    /// Every message received so far, as raw text.
    pub fn messages(&self) -> Vec<String> {
        let mut out = Vec::new();
        for sub in ["new", "cur"] {
            let Ok(entries) = std::fs::read_dir(self.dir.path().join("maildir").join(sub)) else {
                continue;
            };
            for e in entries.flatten() {
                out.push(std::fs::read_to_string(e.path()).unwrap_or_default());
            }
        }
        out
    }

    /// Wait until exactly `n` messages arrived (and no more, briefly).
    pub async fn wait_for(&self, n: usize) -> Vec<String> {
        let what = || format!("{n} emails ({} arrived)", self.messages().len());
        until(what, Duration::from_secs(30), || {
            (self.messages().len() >= n).then_some(())
        })
        .await;
        self.messages()
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The webhook receiver; killed when dropped.
pub struct WebhookSink {
    child: Child,
    pub url: String,
    dir: tempfile::TempDir,
}

pub const RECEIVER: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/it/notify/receiver.py");

impl WebhookSink {
    pub async fn start(secret: &str) -> WebhookSink {
        use std::io::BufRead;
        let dir = tempfile::tempdir().unwrap();
        let mut child = Command::new("python3")
            .arg(RECEIVER)
            .arg(secret)
            .arg(dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 receiver.py");
        let mut line = String::new();
        let stdout = child.stdout.take().unwrap();
        std::io::BufReader::new(stdout)
            .read_line(&mut line)
            .unwrap();
        let port: u16 = line.trim().parse().expect("receiver port");
        WebhookSink {
            child,
            url: format!("http://127.0.0.1:{port}/hook"),
            dir,
        }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Answer 500 to the next `n` deliveries.
    pub fn fail_next(&self, n: usize) {
        std::fs::write(self.path("fail"), n.to_string()).unwrap();
    }

    /// Every delivery received: status answered, verified, event id, body.
    pub fn received(&self) -> Vec<serde_json::Value> {
        std::fs::read_to_string(self.path("received.jsonl"))
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    /// The deliveries answered 200, with their body parsed.
    pub fn delivered(&self) -> Vec<serde_json::Value> {
        self.received()
            .into_iter()
            .filter(|d| d["status"] == 200)
            .map(|mut d| {
                let body: serde_json::Value =
                    serde_json::from_str(d["body"].as_str().unwrap()).unwrap();
                d["body"] = body;
                d
            })
            .collect()
    }

    pub async fn wait_delivered(&self, n: usize) -> Vec<serde_json::Value> {
        let what = || {
            format!(
                "{n} webhooks ({} delivered, {} received)",
                self.delivered().len(),
                self.received().len()
            )
        };
        until(what, Duration::from_secs(30), || {
            (self.delivered().len() >= n).then_some(())
        })
        .await;
        self.delivered()
    }
}

impl Drop for WebhookSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
