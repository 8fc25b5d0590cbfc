//! TLS as the application's driver does it (issue 8, item 5), over real TLS.
//!
//! PostgreSQL: a throw-away cluster (`tests/pg_cluster`) with its own CA, a
//! server certificate for `localhost` and a role that may only log in with
//! a client certificate (`clientcert=verify-full`). Every case runs through
//! `db-status status` and through the real driver (psycopg2 + libpq, or
//! asyncpg, via SQLAlchemy): both must connect, or both must fail; and
//! asyncpg's `ssl=MODE` must fail exactly like libpq's `sslmode=MODE`
//! (same kind, same cause). The machine's own PostgreSQL, whose certificate
//! is self-signed, is checked the same way.
//!
//! MySQL: an in-process server that speaks the MySQL handshake, upgrades to
//! real TLS (rustls) with a certificate for `localhost`, records whether the
//! handshake completed and whether a client certificate came, and then
//! refuses the login. Each driver spelling (mysqlclient's `ssl_mode`,
//! PyMySQL's `ssl_ca`/`ssl_check_hostname`/`ssl_verify_cert`, client
//! certificates) must check what the driver checks; PyMySQL is run against
//! the same server for comparison (mysqlclient is not installed in the test
//! venv, so its cases follow its documented `ssl_mode` levels).

use crate::support;
use crate::support::pg_cluster;

use std::io::Write as _;
use std::path::Path;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::support::{Project, Run};
use pg_cluster::{Cluster, PASSWORD};
use serde_json::{Value, json};

mod mariadb;
mod postgresql;

const LIMIT: Duration = Duration::from_secs(30);
const REV: &str = "aaaa00000001";

/// What a case must end in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Want {
    /// Connects and reads the version table (up to date, exit 0).
    Reads,
    /// Fails with this `error.kind`.
    Fails(&'static str),
}

struct Case {
    name: String,
    url: String,
    env: Vec<(String, String)>,
    want: Want,
}

fn case(name: &str, url: String, env: &[(&str, String)], want: Want) -> Case {
    Case {
        name: name.to_string(),
        url,
        env: env
            .iter()
            .map(|(k, v)| ((*k).to_string(), v.clone()))
            .collect(),
        want,
    }
}

fn project() -> Project {
    let p = Project::new("");
    p.rev(REV, None, "one");
    p
}

fn run_status(p: &Project, c: &Case) -> Run {
    let env: Vec<(&str, &str)> = c
        .env
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let out = support::run(
        p.path(),
        &[
            "status",
            "--format",
            "json",
            "--timeout",
            "10",
            "--url",
            &c.url,
        ],
        &env,
        LIMIT,
    );
    out.assert_clean(&c.name);
    out
}

/// `(state, error kind, error message)` of the one component.
fn verdict(out: &Run) -> (String, String, String) {
    let doc = out.json();
    let comp = &doc["components"][0];
    let s = |v: &Value| v.as_str().unwrap_or("").to_string();
    (
        s(&comp["state"]),
        s(&comp["error"]["kind"]),
        s(&comp["error"]["message"]),
    )
}

/// The driver's own answer for each case: `{"ok": bool, "error": "…"}`.
fn drivers(cases: &[&Case], home: &Path) -> Vec<Value> {
    const SCRIPT: &str = r#"
import asyncio, json, os, sys
from sqlalchemy import create_engine, text
from sqlalchemy.ext.asyncio import create_async_engine

Q = "select 1"

async def via_asyncpg(url):
    engine = create_async_engine(url)
    try:
        async with engine.connect() as c:
            return (await c.execute(text(Q))).scalar()
    finally:
        await engine.dispose()

def one(url):
    if url.startswith("mysql"):
        try:
            with create_engine(url).connect() as c:
                return c.execute(text(Q)).scalar()
        finally:
            pass
    if "+asyncpg" in url:
        return asyncio.run(via_asyncpg(url))
    with create_engine(url).connect() as c:
        return c.execute(text(Q)).scalar()

out = []
for case in json.load(sys.stdin):
    saved = dict(os.environ)
    os.environ.update(case["env"])
    try:
        one(case["url"])
        out.append({"ok": True})
    except BaseException as ex:
        out.append({"ok": False, "error": f"{type(ex).__name__}: {ex}"})
    finally:
        os.environ.clear()
        os.environ.update(saved)
print(json.dumps(out))
"#;
    let jobs: Vec<Value> = cases
        .iter()
        .map(|c| {
            let env: serde_json::Map<String, Value> =
                c.env.iter().map(|(k, v)| (k.clone(), json!(v))).collect();
            json!({"url": c.url, "env": env})
        })
        .collect();
    let mut c = Command::new(support::python());
    c.args(["-c", SCRIPT])
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home);
    support::python_json(c, &jobs, "driver check")
}

/// A HOME with `~/.postgresql/` holding the given files.
fn home(files: &[(&str, &Path)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let pg = dir.path().join(".postgresql");
    std::fs::create_dir_all(&pg).expect("mkdir");
    for (name, from) in files {
        std::fs::copy(from, pg.join(name)).expect("copy");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            std::fs::set_permissions(pg.join(name), std::fs::Permissions::from_mode(0o600))
                .expect("chmod");
        }
    }
    dir
}

fn s(p: &Path) -> String {
    p.display().to_string()
}

/// The part of a message before its parenthesised details (which name the
/// parameter as spelled and the driver's way to trust a CA).
fn cause(message: &str) -> &str {
    message.split(" (").next().unwrap_or(message)
}

/// Run every case through db-status and the driver; check both against
/// `want` and each other.
fn check_cases(p: &Project, cases: &[Case]) -> Vec<(String, String, String)> {
    let refs: Vec<&Case> = cases.iter().collect();
    let driver = drivers(&refs, p.path());
    let mut verdicts = Vec::new();
    for (c, d) in cases.iter().zip(&driver) {
        let out = run_status(p, c);
        let v = verdict(&out);
        match c.want {
            Want::Reads => assert_eq!(
                (v.0.as_str(), out.code),
                ("up-to-date", Some(0)),
                "{}: {:?}\n{}",
                c.name,
                v,
                out.all()
            ),
            Want::Fails(kind) => assert_eq!(
                (v.0.as_str(), v.1.as_str()),
                ("database-error", kind),
                "{}: {}",
                c.name,
                v.2
            ),
        }
        assert_eq!(
            d["ok"].as_bool(),
            Some(c.want == Want::Reads),
            "{}: the driver disagrees with db-status ({:?}): {}",
            c.name,
            v,
            d
        );
        verdicts.push(v);
    }
    verdicts
}
