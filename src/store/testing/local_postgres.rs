//! A private PostgreSQL cluster on loopback, for the tests of the
//! PostgreSQL store (unit and integration) and for trying replicas out:
//! `initdb` into a fresh temporary directory, `pg_ctl start` on a free
//! port with its socket in that directory, `pg_ctl stop` and the directory
//! removed on drop. Uses Debian's server binaries
//! (`/usr/lib/postgresql/<version>/bin`, package `postgresql`, installed by
//! `scripts/test.sh`). `initdb` refuses to run as root, so as root the
//! cluster runs as the `postgres` user the package creates (`runuser`).

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A running private cluster; stopped and removed when dropped.
pub struct LocalPostgres {
    dir: PathBuf,
    bin: PathBuf,
    port: u16,
    as_postgres: bool,
}

impl LocalPostgres {
    /// Start a fresh cluster with an empty database `mfa_gate`. The error
    /// says what is missing or what the server printed.
    pub fn start() -> Result<LocalPostgres, String> {
        LocalPostgres::start_with(None)
    }

    /// `start`, with TLS on: the server's certificate and key (PEM).
    pub fn start_tls(cert_pem: &str, key_pem: &str) -> Result<LocalPostgres, String> {
        LocalPostgres::start_with(Some((cert_pem, key_pem)))
    }

    fn start_with(tls: Option<(&str, &str)>) -> Result<LocalPostgres, String> {
        let bin = server_bin()?;
        let as_postgres = is_root();
        let dir = fresh_dir()?;
        let mut cluster = LocalPostgres {
            dir,
            bin,
            port: free_port()?,
            as_postgres,
        };
        let data = cluster.init()?;
        let tls_options = match tls {
            Some((cert, key)) => cluster.tls_options(cert, key)?,
            None => String::new(),
        };
        cluster.start_server(&data, &tls_options)?;
        cluster.create_database("mfa_gate")?;
        Ok(cluster)
    }

    /// `initdb` a data directory into the cluster's directory (owned by
    /// `postgres` when this process is root); its path.
    fn init(&self) -> Result<PathBuf, String> {
        if self.as_postgres {
            run(Command::new("chown").arg("postgres:").arg(&self.dir))?;
        }
        let data = self.dir.join("data");
        run(self
            .tool("initdb")
            .args(["-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync"])
            .arg("-D")
            .arg(&data))?;
        Ok(data)
    }

    /// `pg_ctl start` the server on `data`, on loopback at the cluster's
    /// port, with `tls_options` added to its options. A port found free
    /// can be taken before the server binds it (port 0 hands out ports
    /// that outgoing connections use too): then the server says so in its
    /// log, and another port is tried.
    fn start_server(&mut self, data: &Path, tls_options: &str) -> Result<(), String> {
        for attempt in 1.. {
            let options = format!(
                "-c listen_addresses=127.0.0.1 -p {} -k {} -c fsync=off -c full_page_writes=off{tls_options}",
                self.port,
                self.dir.display()
            );
            let log = self.dir.join("server.log");
            let started = run(self
                .tool("pg_ctl")
                .arg("-D")
                .arg(data)
                .args(["-w", "-t", "60", "-o", &options, "-l"])
                .arg(&log)
                .arg("start"));
            let taken = || {
                std::fs::read_to_string(&log)
                    .is_ok_and(|l| l.contains("could not bind") || l.contains("already in use"))
            };
            match started {
                Ok(()) => break,
                Err(_) if attempt < 5 && taken() => {
                    let _ = std::fs::remove_file(&log);
                    self.port = free_port()?;
                }
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// The server's certificate and key written beside the data, and the
    /// options that turn TLS on with them.
    fn tls_options(&self, cert: &str, key: &str) -> Result<String, String> {
        let (cert_path, key_path) = (self.dir.join("server.crt"), self.dir.join("server.key"));
        write_private(&cert_path, cert)?;
        write_private(&key_path, key)?;
        if self.as_postgres {
            run(Command::new("chown")
                .arg("postgres:")
                .arg(&cert_path)
                .arg(&key_path))?;
        }
        Ok(format!(
            " -c ssl=on -c ssl_cert_file={} -c ssl_key_file={}",
            cert_path.display(),
            key_path.display()
        ))
    }

    /// The URL of the `mfa_gate` database (trust authentication, loopback).
    pub fn url(&self) -> String {
        self.url_of("mfa_gate")
    }

    /// The URL of another database of this cluster.
    pub fn url_of(&self, db: &str) -> String {
        format!("postgresql://postgres@127.0.0.1:{}/{db}", self.port)
    }

    /// Create another empty database (a test of its own on one cluster).
    pub fn create_database(&self, db: &str) -> Result<String, String> {
        run(self.tool("createdb").args([
            "-h",
            "127.0.0.1",
            "-p",
            &self.port.to_string(),
            "-U",
            "postgres",
            db,
        ]))?;
        Ok(self.url_of(db))
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The server's log so far (for a failing test's message).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("server.log")).unwrap_or_default()
    }

    /// Freeze (`SIGSTOP`) or thaw (`SIGCONT`) the server and every one of
    /// its processes: connections stay open and nothing answers, as a
    /// frozen host looks from a gateway. Returns how many processes.
    pub fn signal_all(&self, freeze: bool) -> Result<usize, String> {
        let pid_file = self.dir.join("data").join("postmaster.pid");
        let text = std::fs::read_to_string(&pid_file)
            .map_err(|e| format!("{}: {e}", pid_file.display()))?;
        let postmaster: i32 = text
            .lines()
            .next()
            .and_then(|l| l.trim().parse().ok())
            .ok_or("no pid in postmaster.pid")?;
        // The postmaster and its children (backends, background workers).
        let mut pids = vec![postmaster];
        for entry in std::fs::read_dir("/proc")
            .map_err(|e| e.to_string())?
            .flatten()
        {
            let Ok(pid) = entry.file_name().to_string_lossy().parse::<i32>() else {
                continue;
            };
            let stat = std::fs::read_to_string(entry.path().join("stat")).unwrap_or_default();
            // `pid (comm) state ppid ...`: the fields after the last ')'.
            let parent = stat
                .rsplit_once(')')
                .and_then(|(_, rest)| rest.split_whitespace().nth(1))
                .and_then(|p| p.parse::<i32>().ok());
            if parent == Some(postmaster) {
                pids.push(pid);
            }
        }
        let signal = if freeze { "-STOP" } else { "-CONT" };
        let status = Command::new("kill")
            .arg(signal)
            .args(pids.iter().map(i32::to_string))
            .status()
            .map_err(|e| e.to_string())?;
        match status.success() {
            true => Ok(pids.len()),
            false => Err(format!("kill {signal} failed")),
        }
    }

    /// Stop the server, as a crash would (`immediate`) or cleanly.
    pub fn stop(&self, immediate: bool) -> Result<(), String> {
        let mode = if immediate { "immediate" } else { "fast" };
        run(self
            .tool("pg_ctl")
            .arg("-D")
            .arg(self.dir.join("data"))
            .args(["-w", "-m", mode, "stop"]))
    }

    /// A command of the server's binaries, as the `postgres` user when
    /// this process is root.
    fn tool(&self, name: &str) -> Command {
        let path = self.bin.join(name);
        if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(path);
            c
        } else {
            Command::new(path)
        }
    }
}

impl Drop for LocalPostgres {
    fn drop(&mut self) {
        let _ = self.stop(true);
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A new directory under the system's temporary one, named after this
/// process and the time, for one cluster.
fn fresh_dir() -> Result<PathBuf, String> {
    let dir = std::env::temp_dir().join(format!(
        "mfa-gate-pg-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0)
    ));
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    Ok(dir)
}

/// A loopback port free right now.
fn free_port() -> Result<u16, String> {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| format!("no free port: {e}"))
}

/// The newest `/usr/lib/postgresql/<version>/bin` that has `initdb`.
fn server_bin() -> Result<PathBuf, String> {
    let root = Path::new("/usr/lib/postgresql");
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir(root)
        .map_err(|_| missing())?
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let version = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").exists().then_some((version, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin).ok_or_else(missing)
}

fn missing() -> String {
    "PostgreSQL's server is not installed (Debian: apt-get install postgresql; \
     scripts/test.sh installs it)"
        .into()
}

/// A file readable by its owner only (PostgreSQL refuses a key others can
/// read).
fn write_private(path: &Path, text: &str) -> Result<(), String> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .and_then(|mut f| f.write_all(text.as_bytes()))
        .map_err(|e| format!("{}: {e}", path.display()))
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

fn run(command: &mut Command) -> Result<(), String> {
    let Output {
        status,
        stdout,
        stderr,
    } = command.output().map_err(|e| format!("{command:?}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!(
            "{command:?} failed ({status}): {}{}",
            String::from_utf8_lossy(&stdout),
            String::from_utf8_lossy(&stderr)
        ))
    }
}
