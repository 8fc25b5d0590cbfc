//! Helpers shared by the `hardening_*` tests: run the real binary with a
//! clean environment and a wall-clock limit, build throw-away Alembic
//! projects, and reach the test PostgreSQL and MariaDB servers.

use super::environment::{self, Need};
use super::json_schema;

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The binary under test.
pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_db-status"))
}

/// What one run of the binary produced.
#[derive(Debug)]
pub struct Run {
    /// Exit code (`None` when killed by a signal or by our time limit).
    pub code: Option<i32>,
    /// Standard output, lossily decoded.
    pub stdout: String,
    /// Standard error, lossily decoded.
    pub stderr: String,
    /// Wall-clock time.
    pub elapsed: Duration,
    /// Whether we had to kill it at the limit.
    pub timed_out: bool,
}

impl Run {
    /// Everything the process printed, for greps.
    pub fn all(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }

    /// Exited by itself with a code, without a panic message or a crash.
    pub fn assert_clean(&self, what: &str) {
        assert!(
            !self.timed_out,
            "{what}: still running after {:?}",
            self.elapsed
        );
        let code = self
            .code
            .unwrap_or_else(|| panic!("{what}: killed by a signal\n{}", self.all()));
        assert_ne!(
            code,
            101,
            "{what}: exit 101 is a Rust panic\n{}",
            self.all()
        );
        let all = self.all();
        for bad in [
            "panicked at",
            "RUST_BACKTRACE",
            "stack overflow",
            "fatal runtime error",
        ] {
            assert!(!all.contains(bad), "{what}: `{bad}` in the output\n{all}");
        }
    }

    /// The JSON document on stdout.
    pub fn json(&self) -> serde_json::Value {
        let doc = serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("invalid JSON ({e}):\n{}\n{}", self.stdout, self.stderr));
        json_schema::validate(&doc);
        doc
    }
}

/// The `state` of each component of a status document, in order.
pub fn component_states(doc: &serde_json::Value) -> Vec<&str> {
    doc["components"]
        .as_array()
        .expect("components")
        .iter()
        .map(|c| c["state"].as_str().unwrap_or(""))
        .collect()
}

/// A command for the binary in `dir`, with a clean environment: only
/// `PATH`, a UTF-8 locale and a `HOME` in `dir` (so no real `~/.pgpass`).
pub fn cmd(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut c = Command::new(bin());
    c.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("LANG", "C.UTF-8")
        .env("HOME", dir)
        .env("RUST_BACKTRACE", "1")
        .current_dir(dir)
        .args(args);
    for (k, v) in env {
        c.env(k, v);
    }
    c
}

/// Run `c` to completion or until `limit`, whichever comes first.
pub fn run_cmd(mut c: Command, limit: Duration) -> Run {
    c.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let start = Instant::now();
    let mut child = c.spawn().expect("spawn db-status");
    // Drain both pipes on threads so a chatty child cannot block on a full pipe.
    let mut so = child.stdout.take().expect("stdout");
    let mut se = child.stderr.take().expect("stderr");
    let t_out = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = so.read_to_end(&mut v);
        v
    });
    let t_err = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = se.read_to_end(&mut v);
        v
    });
    let mut timed_out = false;
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait") {
            break s;
        }
        if start.elapsed() > limit {
            timed_out = true;
            let _ = child.kill();
            break child.wait().expect("wait after kill");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let elapsed = start.elapsed();
    let stdout = String::from_utf8_lossy(&t_out.join().unwrap_or_default()).into_owned();
    let stderr = String::from_utf8_lossy(&t_err.join().unwrap_or_default()).into_owned();
    Run {
        code: status.code(),
        stdout,
        stderr,
        elapsed,
        timed_out,
    }
}

/// Run the binary in `dir` with a clean environment and a time limit.
pub fn run(dir: &Path, args: &[&str], env: &[(&str, &str)], limit: Duration) -> Run {
    run_cmd(cmd(dir, args, env), limit)
}

/// The ini line for a SQLite database at the project's `db.sqlite`.
pub const SQLITE_URL: &str = "sqlalchemy.url = sqlite:///%(here)s/db.sqlite";

/// A temporary Alembic project: `alembic.ini` with `script_location =
/// migrations` and the given extra lines, and `migrations/versions/`.
pub struct Project {
    /// The project directory (deleted on drop).
    pub dir: tempfile::TempDir,
}

impl Project {
    /// A project whose ini carries `extra` after `script_location`.
    pub fn new(extra: &str) -> Project {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(
            dir.path().join("alembic.ini"),
            format!("[alembic]\nscript_location = migrations\n{extra}\n"),
        )
        .expect("write alembic.ini");
        std::fs::create_dir_all(dir.path().join("migrations/versions")).expect("mkdir");
        Project { dir }
    }

    /// The project directory.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// The versions directory.
    pub fn versions(&self) -> PathBuf {
        self.path().join("migrations/versions")
    }

    /// Write a plain revision file, named as `alembic revision` names it
    /// (`<id>_<message with underscores>.py`).
    pub fn rev(&self, id: &str, down: Option<&str>, msg: &str) -> &Self {
        std::fs::write(
            self.versions()
                .join(format!("{id}_{}.py", msg.replace(' ', "_"))),
            revision_text(id, down, msg),
        )
        .expect("write revision");
        self
    }

    /// A version table holding `rows` in `db.sqlite` (see [`SQLITE_URL`]).
    pub fn db(&self, rows: &[&str]) -> &Self {
        sqlite_db(&self.path().join("db.sqlite"), rows);
        self
    }

    /// Write raw bytes as a file in the versions directory.
    pub fn raw(&self, name: &str, bytes: &[u8]) -> &Self {
        std::fs::write(self.versions().join(name), bytes).expect("write raw file");
        self
    }
}

/// The text of a minimal but realistic revision file.
pub fn revision_text(id: &str, down: Option<&str>, msg: &str) -> String {
    let down_repr = down.map_or("None".to_string(), |d| format!("'{d}'"));
    format!(
        "\"\"\"{msg}\n\nRevision ID: {id}\nRevises: {}\nCreate Date: 2026-01-01 00:00:00\n\n\"\"\"\n\
         from alembic import op\n\n\
         revision = '{id}'\ndown_revision = {down_repr}\nbranch_labels = None\ndepends_on = None\n\n\n\
         def upgrade():\n    pass\n",
        down.unwrap_or("")
    )
}

/// A SQLite version table holding `rows`, at `path`.
pub fn sqlite_db(path: &Path, rows: &[&str]) {
    let conn = rusqlite::Connection::open(path).expect("sqlite");
    conn.execute_batch(
        "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL, \
         CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num));",
    )
    .expect("create table");
    for r in rows {
        conn.execute("INSERT INTO alembic_version VALUES (?1)", [r])
            .expect("insert row");
    }
}

/// A name unique to this process and call, for databases and roles.
pub fn unique(prefix: &str) -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!(
        "{prefix}_{}_{}_{nanos:x}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// The admin URL of the test PostgreSQL server.
pub fn postgres_admin_url() -> String {
    environment::admin_url(Need::Postgres)
}

/// The admin URL of the test MariaDB/MySQL server.
pub fn mysql_admin_url() -> String {
    environment::admin_url(Need::Mysql)
}

/// The test server for `need` did not answer or refused the login: a
/// failure, unless `DB_STATUS_TEST_SKIP` names it (see `environment`).
/// Returns `false` so callers can `return` from the test.
#[track_caller]
pub fn service_missing(need: Need, err: &dyn std::fmt::Display) -> bool {
    environment::service_down(need, err);
    false
}

/// A TCP listener on 127.0.0.1 that accepts connections and never answers
/// (a black-holed database). Keeps accepted sockets open until dropped.
pub struct BlackHole {
    /// Its port.
    pub port: u16,
    _stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl BlackHole {
    /// Start one on an ephemeral port.
    pub fn start() -> BlackHole {
        use std::sync::atomic::{AtomicBool, Ordering};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        listener.set_nonblocking(true).expect("nonblocking");
        let stop = std::sync::Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        std::thread::spawn(move || {
            let mut held = Vec::new();
            while !flag.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((s, _)) => held.push(s),
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        BlackHole { port, _stop: stop }
    }
}

impl Drop for BlackHole {
    fn drop(&mut self) {
        self._stop.store(true, std::sync::atomic::Ordering::Relaxed);
    }
}

/// A local port with nothing listening (bound, then released).
pub fn refused_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}

/// Peak resident set size in KiB of running `c`, via `/usr/bin/time -v`
/// when it exists (`None` otherwise).
pub fn peak_rss_kib(c: &Command, limit: Duration) -> Option<(u64, Run)> {
    let time = Path::new("/usr/bin/time");
    if !time.exists() {
        return None;
    }
    let report = tempfile::NamedTempFile::new().ok()?;
    let mut t = Command::new(time);
    t.arg("-v")
        .arg("-o")
        .arg(report.path())
        .arg(c.get_program());
    t.args(c.get_args());
    t.env_clear();
    for (k, v) in c.get_envs() {
        if let Some(v) = v {
            t.env(k, v);
        }
    }
    if let Some(d) = c.get_current_dir() {
        t.current_dir(d);
    }
    let out = run_cmd(t, limit);
    let text = std::fs::read_to_string(report.path()).ok()?;
    let kib = text
        .lines()
        .find_map(|l| {
            l.trim()
                .strip_prefix("Maximum resident set size (kbytes): ")
        })
        .and_then(|v| v.trim().parse().ok())?;
    Some((kib, out))
}
