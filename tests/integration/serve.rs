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

mod browser;
mod burst;
mod configuration;

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
