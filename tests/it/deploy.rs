//! The Kubernetes deployment: the Helm chart (`deploy/helm/mfa-gate`) and
//! the plain manifests (`deploy/k8s`). helm cannot be installed on CI (no
//! Debian package, no network to its releases or the Go proxy), so
//! `tests/helm/render.go` renders the chart as `helm template` does, with
//! Go's text/template and the few Sprig functions the chart uses. Each
//! render is checked as a cluster would run it: the kinds for each store
//! (a Deployment on PostgreSQL, one StatefulSet replica with a volume on
//! sled), the ports, the probes on the metrics listener, the security
//! context, the Secret behind every key; the config it builds passes
//! `mfa-gate check-config`; and the plain manifests are the chart's
//! default render.

use crate::harness::{BIN, run_cli};
use base64::Engine;
use mfa_gate::store::testing::LocalPostgres;
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const CHART: &str = "deploy/helm/mfa-gate";
const PLAIN: &str = "deploy/k8s";
const NAMESPACE: &str = "apps";

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// values.yaml with `overrides` merged in (mappings key by key, anything
/// else replaced), as `helm --set`/`-f` would.
fn values(overrides: Value) -> Value {
    let text = std::fs::read_to_string(repo().join(CHART).join("values.yaml")).unwrap();
    let mut values: Value = yaml_serde::from_str(&text).expect("values.yaml parses");
    merge(&mut values, overrides);
    values
}

fn merge(base: &mut Value, overrides: Value) {
    match (base, overrides) {
        (Value::Object(base), Value::Object(overrides)) => {
            for (key, value) in overrides {
                merge(base.entry(key).or_insert(Value::Null), value);
            }
        }
        (base, value) => *base = value,
    }
}

/// `secrets:` values: fresh keys from `mfa-gate keys generate` (64 hex
/// digits each), a support token and a database URL.
fn secrets(database_url: &str) -> Value {
    let out = Command::new(BIN)
        .args(["keys", "generate"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let key = |name: &str| {
        let prefix = format!("{name}=");
        let key = text.lines().find_map(|l| l.strip_prefix(&prefix));
        key.unwrap_or_else(|| panic!("no {name} in {text}"))
            .to_owned()
    };
    json!({
        "secrets": {
            "hmacKey": key("MFA_GATE_HMAC_KEY"),
            "encryptionKey": key("MFA_GATE_ENCRYPTION_KEY"),
            "supportToken": "0123456789abcdef0123456789abcdef",
            "databaseUrl": database_url,
        }
    })
}

/// The chart's values for one store, keys given, with `overrides`.
fn values_for(backend: &str, overrides: Value) -> Value {
    let mut v = values(secrets("postgresql://mfa_gate:pw@postgres:5432/mfa_gate"));
    merge(&mut v, json!({ "store": { "backend": backend } }));
    merge(&mut v, overrides);
    v
}

/// `go run tests/helm/render.go [extra] CHART VALUES.json`: its stdout,
/// or its stderr when it fails.
fn run_renderer(values: &Value, extra: &[&str]) -> Result<String, String> {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("values.json");
    std::fs::write(&file, serde_json::to_vec(values).unwrap()).unwrap();
    let go = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("helm-render");
    let out = Command::new("go")
        .args(["run", "tests/helm/render.go", "-namespace", NAMESPACE])
        .args(extra)
        .arg(CHART)
        .arg(&file)
        .current_dir(repo())
        .env("GOCACHE", go.join("cache"))
        .env("GOPATH", go.join("path"))
        .env("GO111MODULE", "off")
        .env("GOFLAGS", "")
        .env("GOPROXY", "off")
        .stdin(Stdio::null())
        .output();
    let out = match out {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            panic!(
                "no `go` binary to render the chart: run `bash scripts/test.sh` (it installs Debian's golang-go)"
            )
        }
        result => result.unwrap(),
    };
    let text = |bytes: Vec<u8>| String::from_utf8(bytes).unwrap();
    match out.status.success() {
        true => Ok(text(out.stdout)),
        false => Err(text(out.stderr)),
    }
}

/// The rendered manifests, each document parsed.
fn render(values: &Value) -> Vec<Value> {
    let text = run_renderer(values, &[]).unwrap_or_else(|e| panic!("the chart renders: {e}"));
    documents(&text, "the render")
}

/// The YAML documents of `text` (separated by `---` lines), skipping
/// those with nothing but comments.
fn documents(text: &str, what: &str) -> Vec<Value> {
    let mut chunks = vec![String::new()];
    for line in text.lines() {
        match line.trim_end() == "---" {
            true => chunks.push(String::new()),
            false => chunks.last_mut().unwrap().extend([line, "\n"]),
        }
    }
    let blank = |chunk: &str| {
        let l = |l: &str| l.trim().is_empty() || l.trim().starts_with('#');
        chunk.lines().all(l)
    };
    let parse = |chunk: &String| {
        yaml_serde::from_str(chunk)
            .unwrap_or_else(|e| panic!("a document of {what} is not YAML: {e}\n{chunk}"))
    };
    chunks.iter().filter(|c| !blank(c)).map(parse).collect()
}

/// The plain manifests, every file of deploy/k8s.
fn plain_manifests() -> Vec<Value> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(repo().join(PLAIN))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    let mut docs = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        docs.extend(documents(&text, &file.display().to_string()));
    }
    docs
}

fn kinds(docs: &[Value]) -> Vec<&str> {
    let mut kinds: Vec<&str> = docs.iter().map(|d| d["kind"].as_str().unwrap()).collect();
    kinds.sort_unstable();
    kinds
}

/// The one document of `kind`.
fn one<'a>(docs: &'a [Value], kind: &str) -> &'a Value {
    let found: Vec<&Value> = docs.iter().filter(|d| d["kind"] == kind).collect();
    assert_eq!(found.len(), 1, "one {kind} in {:?}", kinds(docs));
    found[0]
}

fn container(workload: &Value) -> &Value {
    let containers = workload["spec"]["template"]["spec"]["containers"]
        .as_array()
        .unwrap();
    assert_eq!(containers.len(), 1, "one container");
    &containers[0]
}

/// The pod as a cluster runs it: the command, three ports, the probes on
/// the metrics listener, non-root with a read-only root and no
/// capabilities, requests, the config mounted as a directory.
fn check_workload(workload: &Value) {
    let pod = &workload["spec"]["template"]["spec"];
    let c = container(workload);
    assert_eq!(
        c["args"],
        json!(["serve", "-c", "/etc/mfa-gate/mfa-gate.yaml"])
    );
    let ports: BTreeSet<(&str, u64)> = c["ports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["name"].as_str().unwrap(),
                p["containerPort"].as_u64().unwrap(),
            )
        })
        .collect();
    let wanted = BTreeSet::from([
        ("admin", 9090),
        ("asks", 9092),
        ("http", 8080),
        ("metrics", 9091),
    ]);
    assert_eq!(ports, wanted);
    for (probe, path) in [
        ("livenessProbe", "/livez"),
        ("readinessProbe", "/readyz"),
        ("startupProbe", "/livez"),
    ] {
        let get = &c[probe]["httpGet"];
        assert_eq!(
            (&get["path"], &get["port"]),
            (&json!(path), &json!(9091)),
            "{probe}"
        );
    }
    assert_eq!(pod["securityContext"]["runAsNonRoot"], true);
    assert_eq!(pod["automountServiceAccountToken"], false);
    let security = &c["securityContext"];
    assert_eq!(security["runAsNonRoot"], true);
    assert_eq!(security["readOnlyRootFilesystem"], true);
    assert_eq!(security["allowPrivilegeEscalation"], false);
    assert_eq!(security["capabilities"]["drop"], json!(["ALL"]));
    let requests = &c["resources"]["requests"];
    assert!(requests["cpu"].is_string() && requests["memory"].is_string());
    let mount = mount_at(c, "/etc/mfa-gate").expect("the config is mounted");
    assert!(
        mount.get("subPath").is_none(),
        "subPath mounts never update"
    );
    let volume = volume(pod, mount["name"].as_str().unwrap());
    assert_eq!(volume["configMap"]["name"], workload["metadata"]["name"]);
    let labels = &pod_labels(workload);
    for (key, value) in workload["spec"]["selector"]["matchLabels"]
        .as_object()
        .unwrap()
    {
        assert_eq!(&labels[key], value, "the selector matches the pod");
    }
}

fn pod_labels(workload: &Value) -> Value {
    workload["spec"]["template"]["metadata"]["labels"].clone()
}

fn mount_at<'a>(container: &'a Value, path: &str) -> Option<&'a Value> {
    let mounts = container["volumeMounts"].as_array().unwrap();
    mounts.iter().find(|m| m["mountPath"] == path)
}

fn volume<'a>(pod: &'a Value, name: &str) -> &'a Value {
    let volumes = pod["volumes"].as_array().unwrap();
    let found = volumes.iter().find(|v| v["name"] == name);
    found.unwrap_or_else(|| panic!("no volume {name}"))
}

/// ClusterIP only, the three ports, selecting the workload's pods.
fn check_service(service: &Value, workload: &Value) {
    assert_eq!(service["spec"]["type"], "ClusterIP");
    let ports: BTreeSet<(&str, u64, &str)> = service["spec"]["ports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let name = p["name"].as_str().unwrap();
            (
                name,
                p["port"].as_u64().unwrap(),
                p["targetPort"].as_str().unwrap(),
            )
        })
        .collect();
    let wanted = BTreeSet::from([
        ("admin", 9090, "admin"),
        ("asks", 9092, "asks"),
        ("http", 8080, "http"),
        ("metrics", 9091, "metrics"),
    ]);
    assert_eq!(ports, wanted);
    let labels = pod_labels(workload);
    for (key, value) in service["spec"]["selector"].as_object().unwrap() {
        assert_eq!(&labels[key], value, "the Service selects the pods");
    }
}

/// The ConfigMap's mfa-gate.yaml, parsed: the listeners the pod's ports
/// and probes name, and every secret from the environment.
fn config(docs: &[Value]) -> (String, Value) {
    let text = one(docs, "ConfigMap")["data"]["mfa-gate.yaml"]
        .as_str()
        .expect("mfa-gate.yaml in the ConfigMap")
        .to_owned();
    let config: Value = yaml_serde::from_str(&text).expect("mfa-gate.yaml parses");
    assert_eq!(config["listen"], "0.0.0.0:8080");
    assert_eq!(config["admin"]["listen"], "0.0.0.0:9090");
    assert_eq!(config["metrics"]["listen"], "0.0.0.0:9091");
    assert_eq!(config["forward_auth"]["listen"], "0.0.0.0:9092");
    assert_eq!(
        config["server"]["watch_config"], true,
        "a ConfigMap update is applied without a restart"
    );
    let env = |name: &str| json!({ "env": name });
    assert_eq!(
        config["admin"]["support_token"],
        env("MFA_GATE_SUPPORT_TOKEN")
    );
    assert_eq!(config["secrets"]["hmac_key"], env("MFA_GATE_HMAC_KEY"));
    assert_eq!(
        config["secrets"]["encryption_key"],
        env("MFA_GATE_ENCRYPTION_KEY")
    );
    (text, config)
}

/// The container's variables from a Secret: (variable, secret, key).
fn secret_env(workload: &Value) -> Vec<(String, String, String)> {
    let env = container(workload)["env"].as_array().unwrap();
    env.iter()
        .map(|e| {
            let r = &e["valueFrom"]["secretKeyRef"];
            let s = |v: &Value| v.as_str().unwrap().to_owned();
            (s(&e["name"]), s(&r["name"]), s(&r["key"]))
        })
        .collect()
}

/// The variables the pod gets, read from the rendered Secret.
fn pod_env(docs: &[Value], workload: &Value) -> Vec<(String, String)> {
    let secret = one(docs, "Secret");
    secret_env(workload)
        .into_iter()
        .map(|(var, name, key)| {
            assert_eq!(secret["metadata"]["name"], name.as_str());
            let data = secret["data"][&key].as_str();
            let data = data.unwrap_or_else(|| panic!("no {key} in the Secret"));
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(data)
                .unwrap();
            (var, String::from_utf8(bytes).unwrap())
        })
        .collect()
}

#[test]
fn postgres_is_a_deployment_of_several_replicas() {
    let docs = render(&values_for("postgres", json!({})));
    assert_eq!(
        kinds(&docs),
        ["ConfigMap", "Deployment", "Secret", "Service"]
    );
    let deployment = one(&docs, "Deployment");
    check_workload(deployment);
    check_service(one(&docs, "Service"), deployment);
    assert_eq!(deployment["spec"]["replicas"], 2);
    let (_, config) = config(&docs);
    let url = json!({ "env": "MFA_GATE_DATABASE_URL" });
    assert_eq!(config["store"]["backend"], "postgres");
    assert_eq!(config["store"]["url"], url);
    assert!(config["store"].get("path").is_none());
    assert_eq!(config["trusted_proxies"], json!(["10.244.0.0/16"]));
    assert_eq!(config["upstream"]["address"], "app:80");
    assert_eq!(config["identity"]["whoami_path"], "/api/me");
    let env = pod_env(&docs, deployment);
    let vars: Vec<&str> = env.iter().map(|(v, _)| v.as_str()).collect();
    assert!(vars.contains(&"MFA_GATE_DATABASE_URL"), "{vars:?}");
    assert!(mount_at(container(deployment), "/var/lib/mfa-gate").is_none());
}

#[test]
fn sled_is_one_statefulset_replica_with_a_volume() {
    let docs = render(&values_for("sled", json!({ "replicaCount": 3 })));
    assert_eq!(
        kinds(&docs),
        ["ConfigMap", "Secret", "Service", "StatefulSet"]
    );
    let set = one(&docs, "StatefulSet");
    check_workload(set);
    check_service(one(&docs, "Service"), set);
    assert_eq!(
        set["spec"]["replicas"], 1,
        "sled opens its store in one process"
    );
    let claim = &set["spec"]["volumeClaimTemplates"][0];
    assert_eq!(claim["spec"]["accessModes"], json!(["ReadWriteOnce"]));
    assert_eq!(claim["spec"]["resources"]["requests"]["storage"], "1Gi");
    let mount = mount_at(container(set), "/var/lib/mfa-gate").expect("the store's volume");
    assert_eq!(mount["name"], claim["metadata"]["name"]);
    let (_, config) = config(&docs);
    assert_eq!(
        config["store"],
        json!({ "path": "/var/lib/mfa-gate/store" })
    );
    let env = pod_env(&docs, set);
    assert!(env.iter().all(|(v, _)| v != "MFA_GATE_DATABASE_URL"));
    assert!(one(&docs, "Secret")["data"].get("database-url").is_none());
}

#[test]
fn the_service_monitor_only_when_enabled() {
    for backend in ["postgres", "sled"] {
        let off = render(&values_for(backend, json!({})));
        assert!(!kinds(&off).contains(&"ServiceMonitor"), "{backend}");
        let on = json!({ "serviceMonitor": { "enabled": true, "labels": { "release": "prom" } } });
        let docs = render(&values_for(backend, on));
        let monitor = one(&docs, "ServiceMonitor");
        assert_eq!(monitor["apiVersion"], "monitoring.coreos.com/v1");
        assert_eq!(monitor["metadata"]["labels"]["release"], "prom");
        let endpoint = &monitor["spec"]["endpoints"][0];
        assert_eq!(
            (&endpoint["port"], &endpoint["path"]),
            (&json!("metrics"), &json!("/metrics"))
        );
        let service = one(&docs, "Service");
        for (key, value) in monitor["spec"]["selector"]["matchLabels"]
            .as_object()
            .unwrap()
        {
            assert_eq!(
                &service["metadata"]["labels"][key], value,
                "selects the Service"
            );
        }
    }
}

#[test]
fn an_existing_secret_replaces_the_charts_own() {
    let existing = json!({ "secrets": { "existingSecret": "my-keys" } });
    for backend in ["postgres", "sled"] {
        let mut v = values(existing.clone());
        merge(&mut v, json!({ "store": { "backend": backend } }));
        let docs = render(&v);
        assert!(!kinds(&docs).contains(&"Secret"), "{backend}");
        let workload = &docs
            .iter()
            .find(|d| d["spec"]["template"].is_object())
            .unwrap();
        for (_, secret, _) in secret_env(workload) {
            assert_eq!(secret, "my-keys");
        }
    }
    // Without either, the render stops and names the value to give.
    let err = run_renderer(&values(json!({})), &[]).unwrap_err();
    assert!(err.contains("secrets.hmacKey"), "{err}");
    let err = run_renderer(&values_for("mongo", json!({})), &[]).unwrap_err();
    assert!(
        err.contains("store.backend must be postgres or sled"),
        "{err}"
    );
}

#[test]
fn the_app_ingress_asks_the_gateway_first() {
    let ingress = json!({ "appIngress": { "enabled": true, "host": "app.example.com" } });
    let v = values_for("postgres", ingress);
    let docs = render(&v);
    let ingress = one(&docs, "Ingress");
    let auth_url = "http://mfa-gate.apps.svc.cluster.local:9092/_mfa/auth";
    assert_eq!(
        ingress["metadata"]["annotations"],
        json!({
            "nginx.ingress.kubernetes.io/auth-url": auth_url,
            "nginx.ingress.kubernetes.io/auth-signin": "https://$host/_mfa/challenge?return_to=$escaped_request_uri",
            "nginx.ingress.kubernetes.io/auth-response-headers": "Remote-User,Remote-Email,Remote-Groups,X-Mfa-Status,X-Mfa-Account",
        })
    );
    let rule = &ingress["spec"]["rules"][0];
    assert_eq!(rule["host"], "app.example.com");
    let routes: Vec<(&str, &str, u64)> = rule["http"]["paths"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let s = &p["backend"]["service"];
            let port = s["port"]["number"].as_u64().unwrap();
            (
                p["path"].as_str().unwrap(),
                s["name"].as_str().unwrap(),
                port,
            )
        })
        .collect();
    assert_eq!(routes, [("/_mfa/", "mfa-gate", 8080), ("/", "app", 80)]);
    let notes = run_renderer(&v, &["-notes"]).unwrap();
    assert!(notes.contains(auth_url), "{notes}");
}

/// Labels only helm sets.
fn without_helm_labels(value: &mut Value) {
    match value {
        Value::Object(map) => {
            if let Some(Value::Object(labels)) = map.get_mut("labels") {
                labels.remove("helm.sh/chart");
                labels.remove("app.kubernetes.io/managed-by");
            }
            map.values_mut().for_each(without_helm_labels);
        }
        Value::Array(items) => items.iter_mut().for_each(without_helm_labels),
        _ => {}
    }
}

#[test]
fn the_plain_manifests_are_the_charts_default_render() {
    let plain = plain_manifests();
    assert_eq!(
        kinds(&plain),
        ["ConfigMap", "Deployment", "Secret", "Service"]
    );
    let deployment = one(&plain, "Deployment");
    check_workload(deployment);
    check_service(one(&plain, "Service"), deployment);
    let (_, plain_config) = config(&plain);
    let chart = render(&values(secrets("postgresql://u:p@postgres:5432/mfa_gate")));
    assert_eq!(kinds(&chart), kinds(&plain));
    let (_, chart_config) = config(&chart);
    assert_eq!(plain_config, chart_config, "mfa-gate.yaml");
    for kind in ["Deployment", "Service"] {
        let (mut p, mut c) = (one(&plain, kind).clone(), one(&chart, kind).clone());
        without_helm_labels(&mut c);
        assert_eq!(
            p["metadata"]["labels"], c["metadata"]["labels"],
            "{kind} labels"
        );
        without_helm_labels(&mut p);
        assert_eq!(
            p, c,
            "{kind}: deploy/k8s differs from the chart's default render"
        );
    }
    let secret_keys = |s: &Value, field: &str| -> BTreeSet<String> {
        s[field].as_object().unwrap().keys().cloned().collect()
    };
    let (p, c) = (one(&plain, "Secret"), one(&chart, "Secret"));
    assert_eq!(p["metadata"]["name"], c["metadata"]["name"]);
    assert_eq!(secret_keys(p, "stringData"), secret_keys(c, "data"));
    assert!(
        p["stringData"]
            .as_object()
            .unwrap()
            .values()
            .all(|v| v == ""),
        "no keys committed"
    );
}

/// `mfa-gate check-config` on the rendered mfa-gate.yaml (with `edit`
/// applied), with the pod's variables from the rendered Secret.
async fn check_config(docs: &[Value], kind: &str, edit: impl Fn(String) -> String) -> String {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("mfa-gate.yaml");
    let (text, _) = config(docs);
    std::fs::write(&file, edit(text)).unwrap();
    let env = pod_env(docs, one(docs, kind));
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let run = run_cli(&["check-config", "-c", file.to_str().unwrap()], &env).await;
    assert_eq!(
        run.code, 0,
        "check-config refuses the rendered config: {}",
        run.stderr
    );
    assert!(run.stdout.contains("OK"), "{}", run.stdout);
    println!("{}", run.stdout);
    run.stdout
}

#[tokio::test]
async fn the_sled_config_passes_check_config() {
    let docs = render(&values_for("sled", json!({})));
    let data = tempfile::tempdir().unwrap();
    let store = data.path().join("store");
    let stdout = check_config(&docs, "StatefulSet", |text| {
        text.replace("/var/lib/mfa-gate/store", store.to_str().unwrap())
    })
    .await;
    assert!(stdout.contains("upstream app:80"), "{stdout}");
}

#[tokio::test]
async fn the_postgres_config_passes_check_config() {
    let pg = tokio::task::spawn_blocking(LocalPostgres::start)
        .await
        .unwrap()
        .expect("a private PostgreSQL cluster (scripts/test.sh installs postgresql)");
    let mut v = values(secrets(&pg.url()));
    merge(
        &mut v,
        json!({ "store": { "postgres": { "tls": "disable" } } }),
    );
    let docs = render(&v);
    let stdout = check_config(&docs, "Deployment", |text| text).await;
    let database = format!("127.0.0.1:{}/mfa_gate", pg.port());
    assert!(
        stdout.contains(&database),
        "the URL from the Secret: {stdout}"
    );
}
