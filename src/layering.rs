//! The house rule "only the glue knows pingora", checked. The core — the
//! rule, paths, sessions, codes, keys, the store, the config, the request
//! reading, the pages — is plain Rust that tests call without a proxy; a
//! `pingora` path creeping into it would tie a pure function to a server.
//! A test over the source tree keeps it out, with a message that names the
//! file, instead of a workspace crate (see ARCHITECTURE.md, "Invariants").

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    /// Files (relative to `src/`) that may speak pingora: the listener,
    /// the proxy, the admin listener, the demo app, TLS, reload, forwarding,
    /// the metrics registry (pingora's Prometheus re-export); besides these,
    /// `reply/` (the one response writer and body reader) and `logging/`
    /// (the bridge from pingora's `log` records).
    const GLUE: &[&str] = &[
        "admin/mod.rs",
        "demo.rs",
        "main.rs",
        "observe/metrics.rs",
        "edge/proxy.rs",
        "edge/reload.rs",
        "server.rs",
        "edge/tls.rs",
        "edge/upstream.rs",
        "edge/body.rs",
        "edge/write.rs",
        // This file: its patterns name pingora.
        "layering.rs",
    ];

    fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                rust_files(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }

    /// A line that uses pingora as code (not in a comment or a string).
    fn uses_pingora(line: &str) -> bool {
        let code = line.trim_start();
        !code.starts_with("//")
            && (code.contains("pingora::") || (code.contains("pingora_") && !code.contains('"')))
    }

    #[test]
    fn only_the_glue_knows_pingora() {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut files = Vec::new();
        rust_files(&src, &mut files);
        assert!(files.len() > 20, "source tree not found at {src:?}");
        let mut offenders = Vec::new();
        for file in files {
            let relative = file.strip_prefix(&src).unwrap_or(&file);
            let name = relative.to_string_lossy().replace('\\', "/");
            if GLUE.contains(&name.as_str())
                || name.starts_with("demo/")
                || name.starts_with("observe/logging")
                || name.starts_with("reply/")
            {
                continue;
            }
            let text = std::fs::read_to_string(&file).unwrap_or_default();
            for (n, line) in text.lines().enumerate() {
                if uses_pingora(line) {
                    offenders.push(format!("src/{name}:{}: {}", n + 1, line.trim()));
                }
            }
        }
        assert!(
            offenders.is_empty(),
            "pingora outside the glue (move the I/O to proxy.rs or reply/):\n{}",
            offenders.join("\n")
        );
    }

    #[test]
    fn the_check_sees_a_pingora_path() {
        assert!(uses_pingora("use pingora::http::RequestHeader;"));
        assert!(uses_pingora("    let x: pingora_core::Error = e;"));
        assert!(!uses_pingora("//! nothing here knows pingora::http"));
        assert!(!uses_pingora("let filter = \"debug,pingora_proxy=debug\";"));
    }
}
