//! `db-status serve`, proven against real tools rather than claimed:
//!
//! * `/metrics` from a running server passes `promtool check metrics` and
//!   is read by Python's `prometheus_client` parsers (both the classic text
//!   and the OpenMetrics one); its values agree with `/status.json`;
//! * `/status.json` validates against `docs/status.schema.json` and is the
//!   very document `db-status --format json` prints;
//! * the alert rules of `examples/prometheus/` pass `promtool check rules`
//!   and `promtool test rules`, and every metric the rules and the Grafana
//!   dashboard use is one the server exports;
//! * the HTML page, loaded by headless Chromium through chromedriver, shows
//!   one row per target with the state's indicator and colour, opens the
//!   pending list on a click, and is saved as `target/tmp/serve-page.png`;
//! * a burst of 1,000 requests reaches the database at most once per floor,
//!   counted in the server log of a throw-away PostgreSQL cluster, and no
//!   password appears on any endpoint; with no requests at all, the
//!   interval alone re-checks;
//! * a fleet (`--targets FILE`) is served target by target with its labels;
//! * SIGTERM stops the server cleanly (exit 0).
//!
//! Missing tools (promtool, chromium, chromedriver, the Python parser) fail
//! the test with how to install them; `scripts/test.sh` installs them.
//!
//! The tests talk HTTP/1.0 through a few lines of `TcpStream` code: the
//! server under test is `tiny_http`, the client only needs GET and POST.

use crate::support;
use crate::support::json_schema;
use crate::support::pg_cluster;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

fn demo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/backend-ai")
}

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/prometheus")
}

/// A tool the test needs, or a failure that says how to get it.
fn tool(name: &str, package: &str) -> PathBuf {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join(name))
            .find(|p| p.is_file())
    });
    found.unwrap_or_else(|| {
        panic!(
            "`{name}` is not on PATH: install it (apt-get install {package}) or run scripts/test.sh, which does"
        )
    })
}

/// One HTTP response.
struct Reply {
    status: u16,
    headers: String,
    body: Vec<u8>,
}

impl Reply {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    fn header(&self, name: &str) -> Option<String> {
        self.headers.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim()
                .eq_ignore_ascii_case(name)
                .then(|| v.trim().to_string())
        })
    }
}

/// One request over a fresh connection (`Connection: close`).
fn http(addr: &str, method: &str, path: &str, body: Option<&str>) -> Reply {
    let mut stream = TcpStream::connect(addr).unwrap_or_else(|e| panic!("connect {addr}: {e}"));
    stream
        .set_read_timeout(Some(Duration::from_secs(120)))
        .expect("timeout");
    let body = body.unwrap_or("");
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).expect("send");
    // Read the head, then the body: by its Content-Length when there is one
    // (chromedriver keeps the connection open), else to the end.
    let mut raw = Vec::new();
    let mut buf = [0u8; 8192];
    let split = loop {
        if let Some(p) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
            break p;
        }
        let n = stream.read(&mut buf).expect("read");
        assert!(
            n > 0,
            "no header end in {:?}",
            String::from_utf8_lossy(&raw)
        );
        raw.extend_from_slice(&buf[..n]);
    };
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut body = raw[split + 4..].to_vec();
    let length = head.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.trim()
            .eq_ignore_ascii_case("content-length")
            .then(|| v.trim().parse::<usize>().ok())?
    });
    match length {
        // A HEAD reply announces the length of a body it does not send.
        _ if method == "HEAD" => {}
        Some(len) => {
            while body.len() < len {
                let n = stream.read(&mut buf).expect("read");
                assert!(n > 0, "body cut short");
                body.extend_from_slice(&buf[..n]);
            }
        }
        None => {
            stream.read_to_end(&mut body).expect("read");
        }
    }
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("bad status line: {head}"));
    let headers = head
        .split_once("\r\n")
        .map(|x| x.1)
        .unwrap_or("")
        .to_string();
    if headers
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        body = dechunk(&body);
    }
    Reply {
        status,
        headers,
        body,
    }
}

fn dechunk(mut raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(eol) = raw.windows(2).position(|w| w == b"\r\n") {
        let size = usize::from_str_radix(String::from_utf8_lossy(&raw[..eol]).trim(), 16)
            .expect("chunk size");
        if size == 0 {
            break;
        }
        out.extend_from_slice(&raw[eol + 2..eol + 2 + size]);
        raw = &raw[eol + 2 + size + 2..];
    }
    out
}

fn get(addr: &str, path: &str) -> Reply {
    http(addr, "GET", path, None)
}

/// A running `db-status serve`.
struct Served {
    child: Child,
    addr: String,
    stderr: Arc<Mutex<String>>,
}

impl Served {
    /// Start `db-status serve --listen 127.0.0.1:0 ARGS` in `dir` and wait
    /// for its "listening on" line.
    fn start(dir: &Path, args: &[&str]) -> Served {
        Served::start_on("127.0.0.1:0", dir, args)
    }

    fn start_on(listen: &str, dir: &Path, args: &[&str]) -> Served {
        let mut child = Command::new(support::bin())
            .current_dir(dir)
            .args(["serve", "--listen", listen])
            .args(args)
            .env_remove("DB_STATUS_URL")
            .env("NO_COLOR", "1")
            .env("RUST_BACKTRACE", "0")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn db-status serve");
        let stderr = Arc::new(Mutex::new(String::new()));
        let (tx, rx) = mpsc::channel();
        let pipe = child.stderr.take().expect("stderr");
        let log = Arc::clone(&stderr);
        std::thread::spawn(move || {
            for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                if let Some(rest) = line.split("listening on http://").nth(1) {
                    let addr = rest.split_whitespace().next().unwrap_or("").to_string();
                    let _ = tx.send(addr);
                }
                let mut l = log.lock().expect("log");
                l.push_str(&line);
                l.push('\n');
            }
        });
        let addr = match rx.recv_timeout(Duration::from_secs(120)) {
            Ok(a) => a,
            Err(_) => {
                let _ = child.kill();
                panic!(
                    "db-status serve did not start listening:\n{}",
                    stderr.lock().expect("log")
                );
            }
        };
        Served {
            child,
            addr,
            stderr,
        }
    }

    fn stderr(&self) -> String {
        self.stderr.lock().expect("log").clone()
    }

    /// SIGTERM, then the exit status and everything it printed on stderr.
    fn stop(mut self) -> (std::process::ExitStatus, String) {
        let ok = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "kill -TERM failed");
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                // Let the reader thread drain the pipe.
                std::thread::sleep(Duration::from_millis(100));
                return (status, self.stderr());
            }
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "db-status serve did not stop within 60 s of SIGTERM:\n{}",
                self.stderr()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `db-status ARGS --format json` in `dir`, parsed and validated.
fn status_json(dir: &Path, args: &[&str]) -> (String, Value) {
    let out = Command::new(support::bin())
        .current_dir(dir)
        .args(args)
        .args(["--format", "json"])
        .env_remove("DB_STATUS_URL")
        .env("NO_COLOR", "1")
        .output()
        .expect("run db-status");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let doc = json_schema::parse(&text);
    (text, doc)
}

/// The suite's Python, once it is known to import `prometheus_client`
/// (scripts/setup-venv.sh pins it).
fn prometheus_python() -> PathBuf {
    let py = support::python();
    let ok = Command::new(&py)
        .args(["-c", "import prometheus_client"])
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        ok,
        "{} cannot import prometheus_client: run scripts/setup-venv.sh (it pins prometheus-client) \
         or set DB_STATUS_PYTHON to a Python that has it",
        py.display()
    );
    py
}

/// Parse an exposition with a real parser; every sample as
/// `{"name", "labels", "value"}`.
fn parse_exposition(text: &str, openmetrics: bool) -> Vec<Value> {
    let script = r#"
import json, sys
from prometheus_client.parser import text_string_to_metric_families as classic
from prometheus_client.openmetrics.parser import text_string_to_metric_families as om
text = sys.stdin.read()
parse = om if sys.argv[1] == "om" else classic
out = []
for family in parse(text):
    for s in family.samples:
        out.append({"family": family.name, "type": family.type, "name": s.name, "labels": s.labels, "value": s.value})
print(json.dumps(out))
"#;
    let mut child = Command::new(prometheus_python())
        .args(["-c", script, if openmetrics { "om" } else { "classic" }])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(text.as_bytes())
        .expect("write");
    let out = child.wait_with_output().expect("python");
    assert!(
        out.status.success(),
        "prometheus_client could not parse /metrics ({}):\n{}\n--- exposition ---\n{text}",
        if openmetrics { "OpenMetrics" } else { "text" },
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice::<Vec<Value>>(&out.stdout).expect("parser output")
}

fn samples<'a>(all: &'a [Value], name: &str) -> Vec<&'a Value> {
    all.iter().filter(|s| s["name"] == name).collect()
}

fn target_of(s: &Value) -> (String, String) {
    (
        s["labels"]["component"].as_str().unwrap_or("").to_string(),
        s["labels"]["database"].as_str().unwrap_or("").to_string(),
    )
}

/// The exposition with the checkout's path and the round's time and
/// duration replaced, for the snapshot.
fn normalize_metrics(text: &str) -> String {
    text.replace(env!("CARGO_MANIFEST_DIR"), "[REPO]")
        .lines()
        .map(|l| {
            for name in [
                "db_status_check_duration_seconds ",
                "db_status_last_check_timestamp_seconds ",
            ] {
                if l.starts_with(name) {
                    return format!("{name}[…]");
                }
            }
            l.to_string()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

const METRICS: [&str; 8] = [
    "db_status_state",
    "db_status_pending_migrations",
    "db_status_script_heads",
    "db_status_current_revision_info",
    "db_status_check_success",
    "db_status_check_duration_seconds",
    "db_status_last_check_timestamp_seconds",
    "db_status_build_info",
];

#[test]
fn every_endpoint_serves_the_demo_and_sigterm_stops_it() {
    let promtool = tool("promtool", "prometheus");
    let served = Served::start(&demo(), &["--all"]);
    let addr = served.addr.clone();

    let health = get(&addr, "/healthz");
    assert_eq!((health.status, health.text().as_str()), (200, "ok\n"));

    // /status.json: the document `--format json` prints, valid against the schema.
    let reply = get(&addr, "/status.json");
    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.header("content-type").as_deref(),
        Some("application/json")
    );
    let served_doc = json_schema::parse(&reply.text());
    let (cli_text, cli_doc) = status_json(&demo(), &["--all"]);
    assert_eq!(
        reply.text(),
        cli_text,
        "/status.json differs from --format json"
    );
    let components = served_doc["components"].as_array().expect("components");
    assert_eq!(components.len(), 4, "{served_doc}");
    assert_eq!(served_doc, cli_doc);

    // /metrics: promtool, then two real parsers, then the values.
    let reply = get(&addr, "/metrics");
    assert_eq!(reply.status, 200);
    assert!(
        reply
            .header("content-type")
            .is_some_and(|c| c.starts_with("application/openmetrics-text")),
        "{}",
        reply.headers
    );
    let exposition = reply.text();
    let mut check = Command::new(&promtool)
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("promtool");
    check
        .stdin
        .take()
        .expect("stdin")
        .write_all(exposition.as_bytes())
        .expect("write");
    let out = check.wait_with_output().expect("promtool");
    assert!(
        out.status.success(),
        "promtool check metrics:\n{}{}\n--- exposition ---\n{exposition}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    insta::assert_snapshot!("demo_metrics", normalize_metrics(&exposition));
    let classic = parse_exposition(&exposition, false);
    let all = parse_exposition(&exposition, true);
    assert_eq!(classic.len(), all.len(), "both parsers see every sample");
    for name in METRICS {
        assert!(
            !samples(&all, name).is_empty(),
            "{name} missing:\n{exposition}"
        );
    }
    for c in components {
        let target = (
            c["name"].as_str().expect("name").to_string(),
            c["database"].as_str().unwrap_or("").to_string(),
        );
        let of_target = |name: &str| -> Vec<&Value> {
            samples(&all, name)
                .into_iter()
                .filter(|s| target_of(s) == target)
                .collect()
        };
        // One-hot over all eight states, hot on the JSON's state.
        let states = of_target("db_status_state");
        assert_eq!(states.len(), 8, "{target:?}");
        let hot: Vec<&str> = states
            .iter()
            .filter(|s| s["value"] == 1.0)
            .map(|s| s["labels"]["state"].as_str().unwrap_or(""))
            .collect();
        assert_eq!(hot, [c["state"].as_str().expect("state")], "{target:?}");
        let pending = of_target("db_status_pending_migrations");
        match c["pending_count"].as_u64() {
            Some(n) => assert_eq!(pending[0]["value"], n as f64, "{target:?}"),
            None => assert!(pending.is_empty(), "{target:?}"),
        }
        let heads = of_target("db_status_script_heads");
        assert_eq!(
            heads[0]["value"],
            c["heads"].as_array().expect("heads").len() as f64
        );
        let mut current: Vec<&str> = of_target("db_status_current_revision_info")
            .iter()
            .map(|s| s["labels"]["revision"].as_str().unwrap_or(""))
            .collect();
        let mut want: Vec<&str> = c["current"]
            .as_array()
            .expect("current")
            .iter()
            .map(|r| r["revision"].as_str().unwrap_or(""))
            .collect();
        current.sort_unstable();
        want.sort_unstable();
        assert_eq!(current, want, "{target:?}");
        let ok = !matches!(c["state"].as_str(), Some("database-error" | "config-error"));
        assert_eq!(
            of_target("db_status_check_success")[0]["value"],
            if ok { 1.0 } else { 0.0 }
        );
    }
    let build = samples(&all, "db_status_build_info");
    assert_eq!(
        build[0]["labels"]["version"],
        env!("CARGO_PKG_VERSION"),
        "{build:?}"
    );
    let last = samples(&all, "db_status_last_check_timestamp_seconds")[0]["value"]
        .as_f64()
        .expect("timestamp");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs_f64();
    assert!(last <= now && last > now - 3600.0, "{last} vs {now}");

    // Every metric the rules and the dashboard use is one we export.
    for file in [
        "db-status.rules.yml",
        "grafana-dashboard.json",
        "db-status.rules.test.yml",
    ] {
        let text = std::fs::read_to_string(examples().join(file)).expect(file);
        for used in text
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .filter(|w| w.starts_with("db_status_"))
        {
            assert!(
                METRICS.contains(&used),
                "{file} uses {used}, which /metrics lacks"
            );
        }
    }

    // The page: self-contained HTML.
    let page = get(&addr, "/");
    assert_eq!(page.status, 200);
    assert_eq!(
        page.header("content-type").as_deref(),
        Some("text/html; charset=utf-8")
    );
    assert!(
        page.header("content-security-policy")
            .is_some_and(|c| c.starts_with("default-src 'none'")),
        "{}",
        page.headers
    );
    let html = page.text();
    for external in ["src=", "href=\"http", "@import", "url("] {
        assert!(
            !html.contains(external),
            "external asset ({external}) in the page"
        );
    }
    assert_eq!(html.matches("<tr class=\"target\"").count(), 4);

    // Unknown paths and methods.
    assert_eq!(get(&addr, "/nope").status, 404);
    let post = http(&addr, "POST", "/metrics", Some("{}"));
    assert_eq!(post.status, 405);
    assert_eq!(post.header("allow").as_deref(), Some("GET, HEAD"));
    let head = http(&addr, "HEAD", "/metrics", None);
    assert_eq!((head.status, head.body.len()), (200, 0));

    let (status, stderr) = served.stop();
    assert!(status.success(), "exit {status:?} after SIGTERM:\n{stderr}");
    assert!(
        !stderr.contains("warning:"),
        "loopback needs no warning:\n{stderr}"
    );
    assert!(stderr.contains("db-status serve: stopped"), "{stderr}");
}

#[test]
fn a_fleet_serves_every_target_with_its_labels() {
    let dir = tempfile::tempdir().expect("tempdir");
    let var = demo().join("var");
    let file = dir.path().join("targets.toml");
    std::fs::write(
        &file,
        format!(
            "[[target]]\ncomponent = \"manager\"\nurl = \"sqlite:///{m}\"\nlabels = {{ env = \"prod\", region = \"eu\" }}\n\n\
             [[target]]\ncomponent = \"manager\"\nurl = \"sqlite:///{m}\"\nlabels = {{ env = \"staging\", region = \"eu\" }}\n\n\
             [[target]]\ncomponent = \"storage\"\nurl = \"sqlite:///{s}\"\nlabels = {{ env = \"prod\", tenant = \"acme\" }}\n",
            m = var.join("manager.db").display(),
            s = var.join("storage.db").display(),
        ),
    )
    .expect("targets file");
    let file = file.to_str().expect("utf-8 path");
    let served = Served::start(&demo(), &["--targets", file, "--jobs", "2"]);
    let doc = json_schema::parse(&get(&served.addr, "/status.json").text());
    let labels: Vec<&Value> = doc["components"]
        .as_array()
        .expect("components")
        .iter()
        .map(|c| &c["labels"])
        .collect();
    assert_eq!(
        labels,
        [
            &json!({"env": "prod", "region": "eu"}),
            &json!({"env": "staging", "region": "eu"}),
            &json!({"env": "prod", "tenant": "acme"}),
        ]
    );
    let all = parse_exposition(&get(&served.addr, "/metrics").text(), true);
    let hot: Vec<(String, String, String)> = samples(&all, "db_status_state")
        .into_iter()
        .filter(|s| s["value"] == 1.0)
        .map(|s| {
            let l = &s["labels"];
            let get = |k: &str| l[k].as_str().unwrap_or("").to_string();
            (get("component"), get("env"), get("state"))
        })
        .collect();
    assert_eq!(
        hot,
        [
            ("manager".into(), "prod".into(), "behind".into()),
            ("manager".into(), "staging".into(), "behind".into()),
            ("storage".into(), "prod".into(), "up-to-date".into()),
        ]
    );
    let page = get(&served.addr, "/").text();
    assert!(page.contains("<th>Labels</th>"), "{page}");
    assert!(
        page.contains("<span class=\"label\">tenant=acme</span>"),
        "{page}"
    );
    assert!(page.contains("3 targets: 1 up to date, 2 behind"), "{page}");
    let (status, stderr) = served.stop();
    assert!(status.success(), "{stderr}");
}

#[test]
fn prometheus_rules_pass_promtool_and_their_unit_tests() {
    let promtool = tool("promtool", "prometheus");
    for args in [
        &["check", "rules", "db-status.rules.yml"][..],
        &["test", "rules", "db-status.rules.test.yml"],
        &["check", "config", "prometheus.yml"],
    ] {
        let out = Command::new(&promtool)
            .current_dir(examples())
            .args(args)
            .output()
            .expect("promtool");
        assert!(
            out.status.success(),
            "promtool {}:\n{}{}",
            args.join(" "),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let dashboard: Value = serde_json::from_str(
        &std::fs::read_to_string(examples().join("grafana-dashboard.json")).expect("dashboard"),
    )
    .expect("the dashboard is JSON");
    assert!(!dashboard["panels"].as_array().expect("panels").is_empty());
}

#[test]
fn a_public_address_warns_and_bad_flags_are_usage_errors() {
    let served = Served::start_on("0.0.0.0:0", &demo(), &["--component", "manager"]);
    assert_eq!(
        get(&served.addr.replace("0.0.0.0", "127.0.0.1"), "/healthz").status,
        200
    );
    let (status, stderr) = served.stop();
    assert!(status.success());
    assert!(
        stderr.contains("warning: listening on 0.0.0.0:") && stderr.contains("hint:"),
        "{stderr}"
    );

    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let taken = taken.local_addr().expect("addr").to_string();
    for (args, says) in [
        (
            &["serve", "--listen", &taken, "--component", "manager"][..],
            "cannot listen on 127.0.0.1:",
        ),
        (
            &["serve", "--interval", "5", "--min-interval", "10"],
            "shorter than --min-interval",
        ),
        (
            &["serve", "--listen", "localhost"],
            "expected an IP address and a port",
        ),
        (
            &["serve", "--format", "json"],
            "serves every format at once",
        ),
        (&["serve", "--ascii"], "--ascii does not apply"),
        (&["serve", "--component", "nosuch"], "nosuch"),
    ] {
        let out = Command::new(support::bin())
            .current_dir(demo())
            .args(args)
            .env("NO_COLOR", "1")
            .output()
            .expect("run");
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(out.status.code(), Some(2), "{args:?}: {text}");
        assert!(text.contains(says), "{args:?}: {text}");
    }
}

/// `count` requests spread over the data endpoints from 8 threads; all must
/// answer 200. Returns every body.
fn burst(addr: &str, count: usize) -> Vec<String> {
    let paths = ["/metrics", "/status.json", "/"];
    let bodies = Mutex::new(Vec::with_capacity(count));
    std::thread::scope(|s| {
        for t in 0..8 {
            let bodies = &bodies;
            s.spawn(move || {
                for i in (t..count).step_by(8) {
                    let r = get(addr, paths[i % paths.len()]);
                    assert_eq!(r.status, 200, "request {i}");
                    bodies.lock().expect("bodies").push(r.text());
                }
            });
        }
    });
    bodies.into_inner().expect("bodies")
}

fn connections(cluster: &pg_cluster::Cluster, database: &str) -> usize {
    let needle = format!("database={database}");
    cluster
        .log()
        .lines()
        .filter(|l| l.contains("connection authorized") && l.contains(&needle))
        .count()
}

#[test]
fn a_burst_of_1000_requests_reaches_the_database_at_most_once_per_floor() {
    let Some(cluster) = pg_cluster::Cluster::start_with("-c log_connections=on") else {
        panic!("the burst test needs the PostgreSQL server binaries (apt-get install postgresql)");
    };
    let url = format!(
        "postgresql://postgres:{}@localhost:{}/appdb",
        pg_cluster::PASSWORD,
        cluster.port
    );
    let args = |floor: &str| {
        vec![
            "--component".to_string(),
            "manager".to_string(),
            "--url".to_string(),
            url.clone(),
            "--min-interval".to_string(),
            floor.to_string(),
            "--interval".to_string(),
            "600".to_string(),
        ]
    };

    // A floor longer than the test: the one check at startup serves all.
    let a = args("600");
    let a: Vec<&str> = a.iter().map(String::as_str).collect();
    let served = Served::start(&demo(), &a);
    let doc = json_schema::parse(&get(&served.addr, "/status.json").text());
    assert_eq!(
        doc["components"][0]["state"], "no-revision",
        "the check must reach the empty database: {doc}"
    );
    let before = connections(&cluster, "appdb");
    assert_eq!(before, 1, "one check at startup:\n{}", cluster.log());
    let bodies = burst(&served.addr, 1000);
    assert_eq!(bodies.len(), 1000);
    assert_eq!(
        connections(&cluster, "appdb"),
        1,
        "1,000 requests inside the floor must not reach the database"
    );
    for body in &bodies {
        assert!(
            !body.contains(pg_cluster::PASSWORD),
            "a password on an endpoint:\n{body}"
        );
    }
    let (status, stderr) = served.stop();
    assert!(status.success(), "{stderr}");
    assert!(!stderr.contains(pg_cluster::PASSWORD), "{stderr}");

    // A 1 s floor: three bursts 1.2 s apart. Each burst after the first
    // comes after the floor expired, so it re-checks; none re-checks more
    // than once per second.
    let a = args("1");
    let a: Vec<&str> = a.iter().map(String::as_str).collect();
    let served = Served::start(&demo(), &a);
    get(&served.addr, "/healthz");
    let before = connections(&cluster, "appdb");
    let cpu_before = cpu_secs(served.child.id());
    let start = Instant::now();
    for round in 0..3 {
        if round > 0 {
            std::thread::sleep(Duration::from_millis(1200));
        }
        let t = Instant::now();
        burst(&served.addr, 1000);
        eprintln!(
            "burst {round}: 1000 requests in {:.2} s",
            t.elapsed().as_secs_f64()
        );
    }
    let elapsed = start.elapsed();
    let during = connections(&cluster, "appdb") - before;
    let bound = elapsed.as_secs_f64().ceil() as usize + 1;
    eprintln!(
        "3 bursts in {:.2} s (server CPU {:.2} s user+sys): {during} checks reached the database (at least 2, at most {bound})",
        elapsed.as_secs_f64(),
        cpu_secs(served.child.id()) - cpu_before
    );
    assert!(
        (2..=bound).contains(&during),
        "{during} checks in {elapsed:?} with a 1 s floor (want 2..={bound})"
    );
    let (status, _) = served.stop();
    assert!(status.success());

    // No requests at all: the interval alone re-checks.
    let mut a = args("1");
    a[7] = "1".to_string(); // --interval 1
    let a: Vec<&str> = a.iter().map(String::as_str).collect();
    let before = connections(&cluster, "appdb");
    let served = Served::start(&demo(), &a);
    std::thread::sleep(Duration::from_millis(3500));
    let (status, _) = served.stop();
    assert!(status.success());
    let unasked = connections(&cluster, "appdb") - before;
    assert!(
        unasked >= 2,
        "{unasked} checks in 3.5 s with --interval 1 and no requests"
    );
}

/// User + system CPU time of a process so far (Linux `/proc`), for the log.
fn cpu_secs(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the parenthesised command name; utime and stime are 14 and 15.
    let rest = stat.rsplit_once(')').map(|x| x.1).unwrap_or("");
    let fields: Vec<f64> = rest
        .split_whitespace()
        .map(|f| f.parse().unwrap_or(0.0))
        .collect();
    let ticks = fields.get(11).unwrap_or(&0.0) + fields.get(12).unwrap_or(&0.0);
    ticks / 100.0 // USER_HZ is 100 on Linux
}

/// A WebDriver session on headless Chromium (chromedriver).
struct Browser {
    driver: Child,
    base: String,
    session: String,
}

impl Browser {
    fn start() -> Browser {
        let chromedriver = tool("chromedriver", "chromium-driver");
        let chromium = tool("chromium", "chromium");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let driver = Command::new(chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver");
        let base = format!("127.0.0.1:{port}");
        let start = Instant::now();
        while TcpStream::connect(&base).is_err() {
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "chromedriver did not start"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        let caps = json!({"capabilities": {"alwaysMatch": {"goog:chromeOptions": {
            "binary": chromium,
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu",
                     "--disable-dev-shm-usage", "--window-size=1400,700"]
        }}}});
        let mut b = Browser {
            driver,
            base,
            session: String::new(),
        };
        let r = b.call("POST", "/session", Some(caps));
        b.session = r["sessionId"].as_str().expect("session id").to_string();
        b
    }

    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let path = if self.session.is_empty() {
            path.to_string()
        } else {
            format!("/session/{}{path}", self.session)
        };
        let body = body.map(|b| b.to_string());
        let r = http(&self.base, method, &path, body.as_deref());
        let v: Value = serde_json::from_slice(&r.body)
            .unwrap_or_else(|e| panic!("webdriver {path}: {e}: {}", r.text()));
        assert_eq!(r.status, 200, "webdriver {method} {path}: {v}");
        v["value"].clone()
    }

    fn find_all(&self, from: Option<&str>, css: &str) -> Vec<String> {
        let path = match from {
            Some(e) => format!("/element/{e}/elements"),
            None => "/elements".to_string(),
        };
        let found = self.call(
            "POST",
            &path,
            Some(json!({"using": "css selector", "value": css})),
        );
        found
            .as_array()
            .expect("elements")
            .iter()
            .map(|e| {
                e.as_object()
                    .and_then(|o| o.values().next())
                    .and_then(Value::as_str)
                    .expect("element id")
                    .to_string()
            })
            .collect()
    }

    fn text(&self, e: &str) -> String {
        self.call("GET", &format!("/element/{e}/text"), None)
            .as_str()
            .unwrap_or("")
            .to_string()
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if !self.session.is_empty() {
            let path = format!("/session/{}", self.session);
            let _ = std::panic::catch_unwind(|| http(&self.base, "DELETE", &path, None));
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

fn base64_decode(text: &str) -> Vec<u8> {
    let value = |c: u8| -> u32 {
        match c {
            b'A'..=b'Z' => u32::from(c - b'A'),
            b'a'..=b'z' => u32::from(c - b'a') + 26,
            b'0'..=b'9' => u32::from(c - b'0') + 52,
            b'+' => 62,
            b'/' => 63,
            _ => panic!("not base64: {c}"),
        }
    };
    let clean: Vec<u8> = text.bytes().filter(|c| !c.is_ascii_whitespace()).collect();
    let mut out = Vec::with_capacity(clean.len() / 4 * 3);
    for chunk in clean.chunks(4) {
        let data: Vec<u8> = chunk.iter().copied().filter(|c| *c != b'=').collect();
        let mut n = 0u32;
        for (i, c) in data.iter().enumerate() {
            n |= value(*c) << (18 - 6 * i);
        }
        let bytes = n.to_be_bytes();
        out.extend_from_slice(&bytes[1..data.len().max(1)]);
    }
    out
}

#[test]
fn the_page_in_headless_chromium_shows_every_target_and_its_pending_list() {
    let served = Served::start(&demo(), &["--all"]);
    let doc = json_schema::parse(&get(&served.addr, "/status.json").text());
    let components = doc["components"].as_array().expect("components").clone();
    let browser = Browser::start();
    browser.call(
        "POST",
        "/url",
        Some(json!({"url": format!("http://{}/", served.addr)})),
    );

    let rows = browser.find_all(None, "tr.target");
    assert_eq!(rows.len(), components.len(), "one row per target");
    // The seed's indicator and the terminal's colour for each state.
    let colour = |state: &str| match state {
        "up-to-date" => "rgba(26, 127, 55, 1)",
        "behind" | "no-revision" | "unstamped" => "rgba(154, 103, 0, 1)",
        "diverged" => "rgba(130, 80, 223, 1)",
        _ => "rgba(207, 34, 46, 1)",
    };
    let indicator = |state: &str| match state {
        "up-to-date" => "✅",
        "behind" => "⚠️",
        "diverged" => "🔀",
        "no-revision" | "unstamped" => "❓",
        "unknown-revision" => "⛔",
        _ => "❌",
    };
    let attribute = |e: &str, name: &str| {
        browser
            .call("GET", &format!("/element/{e}/attribute/{name}"), None)
            .as_str()
            .unwrap_or("")
            .to_string()
    };
    // Worst state first (by exit code), each target once.
    let codes: Vec<u64> = rows
        .iter()
        .map(|row| {
            let name = attribute(row, "data-component");
            let c = components
                .iter()
                .find(|c| c["name"] == name.as_str())
                .unwrap_or_else(|| panic!("row for an unknown target {name}"));
            c["exit_code"].as_u64().expect("exit code")
        })
        .collect();
    let mut sorted = codes.clone();
    sorted.sort_unstable_by(|a, b| b.cmp(a));
    assert_eq!(codes, sorted, "rows worst first");
    let mut behind_row = None;
    for row in &rows {
        let name = attribute(row, "data-component");
        let c = components
            .iter()
            .find(|c| c["name"] == name.as_str())
            .expect("target");
        let state = c["state"].as_str().expect("state");
        assert_eq!(attribute(row, "data-state"), state);
        let text = browser.text(row);
        assert!(text.contains(c["name"].as_str().expect("name")), "{text}");
        assert!(text.contains(c["title"].as_str().expect("title")), "{text}");
        let cell = &browser.find_all(Some(row), "td.state")[0];
        assert!(
            browser.text(cell).starts_with(indicator(state)),
            "{}",
            browser.text(cell)
        );
        let css = browser.call("GET", &format!("/element/{cell}/css/color"), None);
        assert_eq!(css, colour(state), "{state}");
        if state == "behind" {
            behind_row = Some((row.clone(), c["pending_count"].as_u64().expect("count")));
        }
    }

    // The pending list opens on a click.
    let (row, pending) = behind_row.expect("the demo has a target that is behind");
    let items = browser.find_all(Some(&row), "details li");
    assert_eq!(items.len() as u64, pending);
    let displayed = |e: &str| browser.call("GET", &format!("/element/{e}/displayed"), None);
    assert_eq!(displayed(&items[0]), false, "closed before the click");
    let summary = &browser.find_all(Some(&row), "details summary")[0];
    browser.call(
        "POST",
        &format!("/element/{summary}/click"),
        Some(json!({})),
    );
    for item in &items {
        assert_eq!(displayed(item), true, "open after the click");
    }
    assert!(
        browser.text(&items[0]).len() > 12,
        "{}",
        browser.text(&items[0])
    );

    // The inline script runs under the page's Content-Security-Policy: it
    // remembers the open list, and a reload (what the timer does) keeps it open.
    let remembered = browser.call(
        "POST",
        "/execute/sync",
        Some(json!({"script": "return sessionStorage.getItem('db-status-open')", "args": []})),
    );
    assert!(
        remembered.as_str().is_some_and(|k| k.contains("manager")),
        "{remembered}"
    );
    browser.call("POST", "/refresh", Some(json!({})));
    let row = browser
        .find_all(None, "tr.target[data-state=\"behind\"]")
        .pop()
        .expect("the behind row after the reload");
    let details = &browser.find_all(Some(&row), "details")[0];
    let open = browser.call("GET", &format!("/element/{details}/property/open"), None);
    assert_eq!(open, true, "the list stays open across a reload");

    let png = base64_decode(
        browser
            .call("GET", "/screenshot", None)
            .as_str()
            .expect("screenshot"),
    );
    assert!(png.starts_with(b"\x89PNG"), "a PNG screenshot");
    let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join("serve-page.png");
    std::fs::write(&path, &png).expect("save the screenshot");
    eprintln!("screenshot: {}", path.display());
    drop(browser);
    let (status, _) = served.stop();
    assert!(status.success());
}
