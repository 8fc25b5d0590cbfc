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
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::support::{Out, Project};
use pg_cluster::{Cluster, PASSWORD};
use serde_json::{Value, json};

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

fn run_status(p: &Project, c: &Case) -> Out {
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
fn verdict(out: &Out) -> (String, String, String) {
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
    let python = support::python();
    let jobs: Vec<Value> = cases
        .iter()
        .map(|c| {
            let env: serde_json::Map<String, Value> =
                c.env.iter().map(|(k, v)| (k.clone(), json!(v))).collect();
            json!({"url": c.url, "env": env})
        })
        .collect();
    let mut child = Command::new(&python)
        .args(["-c", SCRIPT])
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| {
            panic!(
                "cannot run {} ({e}); create the venv with scripts/setup-venv.sh or set DB_STATUS_PYTHON",
                python.display()
            )
        });
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(&serde_json::to_vec(&jobs).expect("json"))
        .expect("write");
    let out = child.wait_with_output().expect("python");
    assert!(
        out.status.success(),
        "driver check failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("driver output")
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

#[test]
fn postgres_tls_as_the_drivers_do_it() {
    let Some(cluster) = Cluster::start() else {
        return;
    };
    cluster.exec(
        "postgres",
        &format!(
            "CREATE TABLE alembic_version (version_num VARCHAR(32) PRIMARY KEY);
             INSERT INTO alembic_version VALUES ('{REV}');
             GRANT SELECT ON alembic_version TO certuser, wrongcn;"
        ),
    );
    let pki = &cluster.pki;
    let port = cluster.port;
    let ca = pki.path("ca.crt");
    let stranger = pki.path("stranger.crt");
    let (client_crt, client_key) = pki.client("certuser");
    let (wrong_crt, wrong_key) = pki.client("wrongcn");
    let open_key = pki.path("client-certuser-open.key");
    std::fs::copy(&client_key, &open_key).expect("copy key");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&open_key, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    }
    let empty = home(&[]);
    let home_ca = home(&[("root.crt", &ca)]);
    let home_stranger = home(&[("root.crt", &stranger)]);
    let home_client = home(&[
        ("root.crt", &ca),
        ("postgresql.crt", &client_crt),
        ("postgresql.key", &client_key),
    ]);
    let h = |d: &tempfile::TempDir| ("HOME", s(d.path()));
    let lib = |host: &str, user: &str, q: &str| {
        let auth = if user == "postgres" {
            format!("postgres:{PASSWORD}")
        } else {
            user.to_string()
        };
        format!("postgresql+psycopg2://{auth}@{host}:{port}/postgres?{q}")
    };
    let apg = |host: &str, user: &str, q: &str| {
        lib(host, user, q).replacen("postgresql+psycopg2", "postgresql+asyncpg", 1)
    };
    use Want::{Fails, Reads};
    let sslrootcert = |f: &Path| format!("sslrootcert={}", s(f));
    let cases = vec![
        // Server certificate checks, libpq and asyncpg spellings side by side.
        case(
            "libpq verify-full, CA given",
            lib(
                "localhost",
                "postgres",
                &format!("sslmode=verify-full&{}", sslrootcert(&ca)),
            ),
            &[h(&empty)],
            Reads,
        ),
        case(
            "asyncpg verify-full, CA given",
            apg("localhost", "postgres", "ssl=verify-full"),
            &[h(&empty), ("PGSSLROOTCERT", s(&ca))],
            Reads,
        ),
        case(
            "libpq verify-full, other host name",
            lib(
                "127.0.0.1",
                "postgres",
                &format!("sslmode=verify-full&{}", sslrootcert(&ca)),
            ),
            &[h(&empty)],
            Fails("tls"),
        ),
        case(
            "asyncpg verify-full, other host name",
            apg("127.0.0.1", "postgres", "ssl=verify-full"),
            &[h(&empty), ("PGSSLROOTCERT", s(&ca))],
            Fails("tls"),
        ),
        case(
            "libpq verify-ca, other host name",
            lib(
                "127.0.0.1",
                "postgres",
                &format!("sslmode=verify-ca&{}", sslrootcert(&ca)),
            ),
            &[h(&empty)],
            Reads,
        ),
        case(
            "asyncpg verify-ca, other host name",
            apg("127.0.0.1", "postgres", "ssl=verify-ca"),
            &[h(&empty), ("PGSSLROOTCERT", s(&ca))],
            Reads,
        ),
        case(
            "libpq verify-full, untrusted CA",
            lib(
                "localhost",
                "postgres",
                &format!("sslmode=verify-full&{}", sslrootcert(&stranger)),
            ),
            &[h(&empty)],
            Fails("tls"),
        ),
        case(
            "asyncpg verify-full, untrusted CA",
            apg("localhost", "postgres", "ssl=verify-full"),
            &[h(&empty), ("PGSSLROOTCERT", s(&stranger))],
            Fails("tls"),
        ),
        case(
            "libpq verify-full, no root file",
            lib("localhost", "postgres", "sslmode=verify-full"),
            &[h(&empty)],
            Fails("tls"),
        ),
        case(
            "asyncpg verify-full, no root file",
            apg("localhost", "postgres", "ssl=verify-full"),
            &[h(&empty)],
            Fails("tls"),
        ),
        case(
            "libpq verify-full, ~/.postgresql/root.crt",
            lib("localhost", "postgres", "sslmode=verify-full"),
            &[h(&home_ca)],
            Reads,
        ),
        case(
            "asyncpg verify-full, ~/.postgresql/root.crt",
            apg("localhost", "postgres", "ssl=verify-full"),
            &[h(&home_ca)],
            Reads,
        ),
        case(
            "libpq verify-full from PGSSLMODE",
            lib("localhost", "postgres", ""),
            &[h(&empty), ("PGSSLMODE", "verify-full".into())],
            Fails("tls"),
        ),
        case(
            "asyncpg verify-full from PGSSLMODE",
            apg("localhost", "postgres", ""),
            &[h(&empty), ("PGSSLMODE", "verify-full".into())],
            Fails("tls"),
        ),
        // `require` checks nothing, unless a root file exists (then the chain).
        case(
            "libpq require, no root file",
            lib("127.0.0.1", "postgres", "sslmode=require"),
            &[h(&empty)],
            Reads,
        ),
        case(
            "asyncpg require, no root file",
            apg("127.0.0.1", "postgres", "ssl=require"),
            &[h(&empty)],
            Reads,
        ),
        case(
            "libpq require, untrusted root.crt",
            lib("127.0.0.1", "postgres", "sslmode=require"),
            &[h(&home_stranger)],
            Fails("tls"),
        ),
        case(
            "asyncpg require, untrusted root.crt",
            apg("127.0.0.1", "postgres", "ssl=require"),
            &[h(&home_stranger)],
            Fails("tls"),
        ),
        case(
            "libpq require, trusted root.crt, other host name",
            lib("127.0.0.1", "postgres", "sslmode=require"),
            &[h(&home_ca)],
            Reads,
        ),
        case(
            "libpq prefer, untrusted root.crt",
            lib("localhost", "postgres", ""),
            &[h(&home_stranger)],
            Reads,
        ),
        case(
            "libpq disable",
            lib("localhost", "postgres", "sslmode=disable"),
            &[h(&home_stranger)],
            Reads,
        ),
        case(
            "libpq sslrootcert=system, CA not in the system store",
            lib("localhost", "postgres", "sslrootcert=system"),
            &[h(&empty)],
            Fails("tls"),
        ),
        case(
            "libpq require with sslrootcert=system",
            lib(
                "localhost",
                "postgres",
                "sslmode=require&sslrootcert=system",
            ),
            &[h(&empty)],
            Fails("tls"),
        ),
        case(
            "libpq TLS 1.3 only",
            lib(
                "localhost",
                "postgres",
                &format!(
                    "sslmode=verify-full&{}&ssl_min_protocol_version=TLSv1.3",
                    sslrootcert(&ca)
                ),
            ),
            &[h(&empty)],
            Reads,
        ),
        // Client certificates: the role `certuser` logs in only with one.
        case(
            "libpq client certificate",
            lib(
                "localhost",
                "certuser",
                &format!(
                    "sslmode=verify-full&{}&sslcert={}&sslkey={}",
                    sslrootcert(&ca),
                    s(&client_crt),
                    s(&client_key)
                ),
            ),
            &[h(&empty)],
            Reads,
        ),
        case(
            "libpq client certificate from ~/.postgresql",
            lib("localhost", "certuser", "sslmode=verify-full"),
            &[h(&home_client)],
            Reads,
        ),
        case(
            "libpq client certificate from PGSSLCERT/PGSSLKEY",
            lib("localhost", "certuser", "sslmode=require"),
            &[
                h(&empty),
                ("PGSSLCERT", s(&client_crt)),
                ("PGSSLKEY", s(&client_key)),
            ],
            Reads,
        ),
        case(
            "asyncpg client certificate from PGSSLCERT/PGSSLKEY",
            apg("localhost", "certuser", "ssl=verify-full"),
            &[
                h(&empty),
                ("PGSSLROOTCERT", s(&ca)),
                ("PGSSLCERT", s(&client_crt)),
                ("PGSSLKEY", s(&client_key)),
            ],
            Reads,
        ),
        case(
            "asyncpg client certificate from ~/.postgresql",
            apg("localhost", "certuser", "ssl=verify-full"),
            &[h(&home_client)],
            Reads,
        ),
        case(
            "libpq no client certificate",
            lib("localhost", "certuser", "sslmode=require"),
            &[h(&empty)],
            Fails("authentication"),
        ),
        case(
            "libpq missing sslcert file: goes on without one",
            lib(
                "localhost",
                "certuser",
                "sslmode=require&sslcert=/nonexistent/client.crt",
            ),
            &[h(&empty)],
            Fails("authentication"),
        ),
        case(
            "libpq client certificate for another user",
            lib(
                "localhost",
                "certuser",
                &format!(
                    "sslmode=require&sslcert={}&sslkey={}",
                    s(&wrong_crt),
                    s(&wrong_key)
                ),
            ),
            &[h(&empty)],
            Fails("authentication"),
        ),
        case(
            "libpq sslcertmode=disable keeps ~/.postgresql's certificate back",
            lib(
                "localhost",
                "certuser",
                "sslmode=verify-full&sslcertmode=disable",
            ),
            &[h(&home_client)],
            Fails("authentication"),
        ),
        case(
            "libpq key readable by others",
            lib(
                "localhost",
                "certuser",
                &format!(
                    "sslmode=require&sslcert={}&sslkey={}",
                    s(&client_crt),
                    s(&open_key)
                ),
            ),
            &[h(&empty)],
            Fails("tls"),
        ),
    ];
    let p = project();
    let verdicts = check_cases(&p, &cases);

    // asyncpg's `ssl=MODE` fails exactly like libpq's `sslmode=MODE`.
    for pair in [
        (
            "libpq verify-full, other host name",
            "asyncpg verify-full, other host name",
        ),
        (
            "libpq verify-full, untrusted CA",
            "asyncpg verify-full, untrusted CA",
        ),
        (
            "libpq verify-full, no root file",
            "asyncpg verify-full, no root file",
        ),
        (
            "libpq verify-full from PGSSLMODE",
            "asyncpg verify-full from PGSSLMODE",
        ),
        (
            "libpq require, untrusted root.crt",
            "asyncpg require, untrusted root.crt",
        ),
    ] {
        let find = |name: &str| {
            cases
                .iter()
                .position(|c| c.name == name)
                .map(|i| &verdicts[i])
                .unwrap_or_else(|| panic!("no case {name}"))
        };
        let (a, b) = (find(pair.0), find(pair.1));
        assert_eq!(
            (&a.1, cause(&a.2).replace("127.0.0.1", "HOST")),
            (&b.1, cause(&b.2).replace("127.0.0.1", "HOST")),
            "{pair:?}: {a:?} / {b:?}"
        );
    }
    // What the messages say.
    let msg = |name: &str| {
        let i = cases.iter().position(|c| c.name == name).unwrap_or(0);
        verdicts[i].2.clone()
    };
    let m = msg("asyncpg verify-full, untrusted CA");
    assert!(
        m.contains("UnknownIssuer") && m.contains("ssl=verify-full"),
        "{m}"
    );
    let m = msg("libpq verify-full, untrusted CA");
    assert!(
        m.contains("UnknownIssuer") && m.contains("sslmode=verify-full"),
        "{m}"
    );
    let m = msg("libpq verify-full, no root file");
    assert!(
        m.contains(&format!("{}/.postgresql/root.crt", s(empty.path()))),
        "{m}"
    );
    let m = msg("libpq key readable by others");
    assert!(m.contains("group or world access"), "{m}");
    let m = msg("libpq require with sslrootcert=system");
    assert!(m.contains("weak sslmode \"require\""), "{m}");
}

/// The machine's PostgreSQL has a self-signed certificate: both spellings of
/// verify-full refuse it the same way, and `require` connects.
#[test]
fn self_signed_server_both_spellings() {
    let admin = support::postgres_admin_url();
    let Ok(parsed) = db_status::database::DbUrl::parse(&admin) else {
        panic!("DB_STATUS_TEST_POSTGRES_URL is not a URL");
    };
    let host = parsed.host.clone().unwrap_or_else(|| "127.0.0.1".into());
    let port = parsed.port.unwrap_or(5432);
    let auth = match (&parsed.username, &parsed.password) {
        (Some(u), Some(pw)) => format!("{u}:{pw}@"),
        (Some(u), None) => format!("{u}@"),
        _ => "postgres@".to_string(),
    };
    let mut probe = postgres::Config::new();
    probe
        .host(&host)
        .port(port)
        .user(parsed.username.as_deref().unwrap_or("postgres"))
        .dbname("postgres")
        .connect_timeout(Duration::from_secs(5));
    if let Some(pw) = &parsed.password {
        probe.password(pw);
    }
    let mut client = match probe.connect(postgres::NoTls) {
        Ok(c) => c,
        Err(e) => {
            support::service_missing(support::Need::Postgres, &e);
            return;
        }
    };
    let ssl_on = client
        .query_one("SHOW ssl", &[])
        .map(|r| r.get::<_, String>(0) == "on")
        .unwrap_or(false);
    assert!(
        ssl_on,
        "the test PostgreSQL has ssl=off; this test needs its (self-signed) TLS certificate"
    );
    let name = support::unique("dbs_tls");
    client
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .expect("create database");
    let mut db = probe.clone();
    db.dbname(&name);
    db.connect(postgres::NoTls)
        .and_then(|mut c| {
            c.batch_execute(&format!(
                "CREATE TABLE alembic_version (version_num VARCHAR(32) PRIMARY KEY); \
                 INSERT INTO alembic_version VALUES ('{REV}')"
            ))
        })
        .expect("setup");
    let pki = pg_cluster::Pki::new();
    let empty = home(&[]);
    let home_stranger = home(&[("root.crt", &pki.path("stranger.crt"))]);
    let h = |d: &tempfile::TempDir| ("HOME", s(d.path()));
    let lib = |q: &str| format!("postgresql+psycopg2://{auth}{host}:{port}/{name}?{q}");
    let apg = |q: &str| format!("postgresql+asyncpg://{auth}{host}:{port}/{name}?{q}");
    use Want::{Fails, Reads};
    let cases = vec![
        case(
            "libpq verify-full, no root file",
            lib("sslmode=verify-full"),
            &[h(&empty)],
            Fails("tls"),
        ),
        case(
            "asyncpg verify-full, no root file",
            apg("ssl=verify-full"),
            &[h(&empty)],
            Fails("tls"),
        ),
        case(
            "libpq verify-full, another CA",
            lib("sslmode=verify-full"),
            &[h(&home_stranger)],
            Fails("tls"),
        ),
        case(
            "asyncpg verify-full, another CA",
            apg("ssl=verify-full"),
            &[h(&home_stranger)],
            Fails("tls"),
        ),
        case(
            "libpq verify-ca, another CA",
            lib("sslmode=verify-ca"),
            &[h(&home_stranger)],
            Fails("tls"),
        ),
        case(
            "asyncpg verify-ca, another CA",
            apg("ssl=verify-ca"),
            &[h(&home_stranger)],
            Fails("tls"),
        ),
        case("libpq require", lib("sslmode=require"), &[h(&empty)], Reads),
        case("asyncpg require", apg("ssl=require"), &[h(&empty)], Reads),
    ];
    let p = project();
    let verdicts = check_cases(&p, &cases);
    for pair in verdicts.chunks(2) {
        assert_eq!(
            (&pair[0].1, cause(&pair[0].2)),
            (&pair[1].1, cause(&pair[1].2)),
            "{pair:?}"
        );
    }
    let _ = client.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
}

// ---------------------------------------------------------------------------
// MySQL over real TLS.

/// What the fake MySQL server saw on one connection.
#[derive(Debug, Clone, Default)]
struct Seen {
    /// The client asked for TLS (SSLRequest).
    asked_tls: bool,
    /// The TLS handshake completed.
    tls: bool,
    /// The client presented a certificate.
    client_cert: bool,
}

/// A MySQL-speaking server on localhost that upgrades to TLS with the PKI's
/// `localhost` certificate (client certificates optional, checked against
/// the CA) and then refuses every login with error 1045.
struct FakeMySql {
    port: u16,
    seen: Arc<Mutex<Vec<Seen>>>,
}

fn packet(seq: u8, payload: &[u8]) -> Vec<u8> {
    let len = u32::try_from(payload.len()).unwrap_or(0).to_le_bytes();
    let mut p = vec![len[0], len[1], len[2], seq];
    p.extend_from_slice(payload);
    p
}

fn read_packet(s: &mut impl std::io::Read) -> Option<(u8, Vec<u8>)> {
    let mut head = [0u8; 4];
    s.read_exact(&mut head).ok()?;
    let len = usize::from(head[0]) | usize::from(head[1]) << 8 | usize::from(head[2]) << 16;
    let mut body = vec![0; len];
    s.read_exact(&mut body).ok()?;
    Some((head[3], body))
}

fn handshake() -> Vec<u8> {
    // PROTOCOL_41 | SSL | SECURE_CONNECTION | PLUGIN_AUTH | CONNECT_WITH_DB |
    // LONG_PASSWORD | TRANSACTIONS.
    let caps: u32 = 0x200 | 0x800 | 0x8000 | 0x8_0000 | 0x8 | 0x1 | 0x2000;
    let mut p = vec![10];
    p.extend_from_slice(b"5.7.99-fake\0");
    p.extend_from_slice(&7u32.to_le_bytes());
    p.extend_from_slice(b"abcdefgh\0");
    p.extend_from_slice(&(caps as u16).to_le_bytes());
    p.push(33);
    p.extend_from_slice(&2u16.to_le_bytes());
    p.extend_from_slice(&((caps >> 16) as u16).to_le_bytes());
    p.push(21);
    p.extend_from_slice(&[0; 10]);
    p.extend_from_slice(b"ijklmnopqrst\0");
    p.extend_from_slice(b"mysql_native_password\0");
    p
}

fn access_denied() -> Vec<u8> {
    let mut p = vec![0xff];
    p.extend_from_slice(&1045u16.to_le_bytes());
    p.extend_from_slice(b"#28000Access denied for user 'fake' (fake server)");
    p
}

impl FakeMySql {
    fn start(pki: &pg_cluster::Pki) -> FakeMySql {
        use rustls::pki_types::pem::PemObject as _;
        use rustls::pki_types::{CertificateDer, PrivateKeyDer};
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let chain: Vec<CertificateDer<'static>> =
            CertificateDer::pem_file_iter(pki.path("server.crt"))
                .expect("cert")
                .collect::<Result<_, _>>()
                .expect("cert");
        let key = PrivateKeyDer::from_pem_file(pki.path("server.key")).expect("key");
        let mut roots = rustls::RootCertStore::empty();
        for c in CertificateDer::pem_file_iter(pki.path("ca.crt")).expect("ca") {
            roots.add(c.expect("ca")).expect("add ca");
        }
        let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
            Arc::new(roots),
            provider.clone(),
        )
        .allow_unauthenticated()
        .build()
        .expect("verifier");
        let config = Arc::new(
            rustls::ServerConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
                .expect("versions")
                .with_client_cert_verifier(verifier)
                .with_single_cert(chain, key)
                .expect("server config"),
        );
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
        let log = seen.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let config = config.clone();
                let log = log.clone();
                std::thread::spawn(move || {
                    let s = session(stream, config);
                    if let Ok(mut l) = log.lock() {
                        l.push(s);
                    }
                });
            }
        });
        FakeMySql { port, seen }
    }

    fn last(&self) -> Seen {
        std::thread::sleep(Duration::from_millis(100));
        self.seen
            .lock()
            .ok()
            .and_then(|l| l.last().cloned())
            .unwrap_or_default()
    }
}

fn session(mut s: std::net::TcpStream, config: Arc<rustls::ServerConfig>) -> Seen {
    let mut seen = Seen::default();
    let _ = s.set_read_timeout(Some(Duration::from_secs(10)));
    if s.write_all(&packet(0, &handshake())).is_err() {
        return seen;
    }
    let Some((seq, body)) = read_packet(&mut s) else {
        return seen;
    };
    let flags = body
        .get(..4)
        .map_or(0, |b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]));
    if body.len() != 32 || flags & 0x800 == 0 {
        // A login without TLS.
        let _ = s.write_all(&packet(seq.wrapping_add(1), &access_denied()));
        return seen;
    }
    seen.asked_tls = true;
    let Ok(conn) = rustls::ServerConnection::new(config) else {
        return seen;
    };
    let mut tls = rustls::StreamOwned::new(conn, s);
    while tls.conn.is_handshaking() {
        if tls.conn.complete_io(&mut tls.sock).is_err() {
            return seen;
        }
    }
    seen.tls = true;
    seen.client_cert = tls.conn.peer_certificates().is_some_and(|c| !c.is_empty());
    if let Some((seq, _)) = read_packet(&mut tls) {
        let _ = tls.write_all(&packet(seq.wrapping_add(1), &access_denied()));
        let _ = tls.flush();
    }
    seen
}

#[test]
fn mysql_tls_spellings_over_real_tls() {
    let pki = pg_cluster::Pki::new();
    let (client_crt, client_key) = pki.client("app");
    let fake = FakeMySql::start(&pki);
    let port = fake.port;
    let ca = s(&pki.path("ca.crt"));
    let stranger = s(&pki.path("stranger.crt"));
    let url = |driver: &str, host: &str, q: &str| {
        format!("mysql{driver}://app:pw@{host}:{port}/appdb{q}")
    };
    // (name, url, TLS must be used, a client certificate must be sent,
    //  error kind, compare with PyMySQL)
    let cases: Vec<(&str, String, bool, bool, &str, bool)> = vec![
        (
            "pymysql, no TLS settings",
            url("+pymysql", "localhost", ""),
            false,
            false,
            "authentication",
            false,
        ),
        (
            "pymysql ssl_ca, host name matches",
            url("+pymysql", "localhost", &format!("?ssl_ca={ca}")),
            true,
            false,
            "authentication",
            true,
        ),
        (
            "pymysql ssl_ca, other host name",
            url("+pymysql", "127.0.0.1", &format!("?ssl_ca={ca}")),
            false,
            false,
            "tls",
            true,
        ),
        (
            "pymysql ssl_ca + ssl_check_hostname=false",
            url(
                "+pymysql",
                "127.0.0.1",
                &format!("?ssl_ca={ca}&ssl_check_hostname=false"),
            ),
            true,
            false,
            "authentication",
            true,
        ),
        (
            "pymysql ssl_ca of another CA",
            url("+pymysql", "localhost", &format!("?ssl_ca={stranger}")),
            false,
            false,
            "tls",
            true,
        ),
        (
            "pymysql ssl_verify_cert=false",
            url("+pymysql", "127.0.0.1", "?ssl_verify_cert=false"),
            true,
            false,
            "authentication",
            true,
        ),
        (
            "pymysql ssl_verify_identity (system roots)",
            url("+pymysql", "localhost", "?ssl_verify_identity=true"),
            false,
            false,
            "tls",
            true,
        ),
        (
            "pymysql client certificate",
            url(
                "+pymysql",
                "localhost",
                &format!(
                    "?ssl_ca={ca}&ssl_cert={}&ssl_key={}",
                    s(&client_crt),
                    s(&client_key)
                ),
            ),
            true,
            true,
            "authentication",
            true,
        ),
        (
            "mysqlclient REQUIRED",
            url("", "127.0.0.1", "?ssl_mode=REQUIRED"),
            true,
            false,
            "authentication",
            false,
        ),
        (
            "mysqlclient VERIFY_CA, other host name",
            url("", "127.0.0.1", &format!("?ssl_mode=VERIFY_CA&ssl_ca={ca}")),
            true,
            false,
            "authentication",
            false,
        ),
        (
            "mysqlclient VERIFY_IDENTITY, other host name",
            url(
                "",
                "127.0.0.1",
                &format!("?ssl_mode=VERIFY_IDENTITY&ssl_ca={ca}"),
            ),
            false,
            false,
            "tls",
            false,
        ),
        (
            "mysqlclient VERIFY_IDENTITY, untrusted CA",
            url(
                "",
                "localhost",
                &format!("?ssl_mode=VERIFY_IDENTITY&ssl_ca={stranger}"),
            ),
            false,
            false,
            "tls",
            false,
        ),
        (
            "mysqlclient VERIFY_IDENTITY",
            url(
                "",
                "localhost",
                &format!("?ssl_mode=VERIFY_IDENTITY&ssl_ca={ca}"),
            ),
            true,
            false,
            "authentication",
            false,
        ),
        (
            "mysqlclient client certificate",
            url(
                "",
                "localhost",
                &format!(
                    "?ssl_mode=VERIFY_IDENTITY&ssl_ca={ca}&ssl_cert={}&ssl_key={}",
                    s(&client_crt),
                    s(&client_key)
                ),
            ),
            true,
            true,
            "authentication",
            false,
        ),
    ];
    let p = project();
    let empty = home(&[]);
    let compared: Vec<Case> = cases
        .iter()
        .filter(|c| c.5)
        .map(|c| {
            case(
                c.0,
                c.1.clone(),
                &[("HOME", s(empty.path()))],
                Want::Fails(""),
            )
        })
        .collect();
    let refs: Vec<&Case> = compared.iter().collect();
    let pymysql = drivers(&refs, empty.path());
    let mut pymysql = compared.iter().zip(pymysql);
    for (name, url, tls, cert, kind, compare) in &cases {
        let c = case(name, url.clone(), &[], Want::Fails(kind));
        let out = run_status(&p, &c);
        let v = verdict(&out);
        let seen = fake.last();
        assert_eq!(
            (v.0.as_str(), v.1.as_str()),
            ("database-error", *kind),
            "{name}: {}",
            v.2
        );
        assert_eq!(
            (seen.tls, seen.client_cert),
            (*tls, *cert),
            "{name}: {seen:?} / {v:?}"
        );
        if *kind == "tls" {
            assert!(seen.asked_tls, "{name}: TLS was never tried: {seen:?}");
        }
        if *compare {
            let (c2, d) = pymysql.next().expect("pymysql answer");
            assert_eq!(&c2.name, name);
            let err = d["error"].as_str().unwrap_or("");
            // PyMySQL reaches the login (error 1045) exactly when the TLS
            // handshake passed, and fails in it otherwise.
            let reached_login = err.contains("1045");
            assert_eq!(
                reached_login,
                *kind == "authentication",
                "{name}: PyMySQL says {err}"
            );
        }
    }
}
