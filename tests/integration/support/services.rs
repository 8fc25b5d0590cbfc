//! Helpers for `status_upgrade_oracle` and `status_faults`: the real
//! `alembic` CLI (one long-lived driver process per test process), the `db-status` binary with a clean environment and a
//! wall-clock limit, and throw-away databases on the machine's PostgreSQL
//! and MariaDB servers, dropped on drop (even when a test fails).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use mysql::prelude::Queryable as _;

/// The `alembic` console script next to the interpreter.
pub fn alembic_bin() -> PathBuf {
    python()
        .parent()
        .map(|d| d.join("alembic"))
        .unwrap_or_else(|| PathBuf::from("alembic"))
}

/// Run the real `alembic` CLI in `dir` with `-c ini` (when given), fail the
/// test on a non-zero exit, and return its standard error (the log).
///
/// The commands of one test process go to one long-lived Python process
/// ([`AlembicServer`]) that calls `alembic.config.main`, the function the
/// `alembic` console script runs, with the same arguments, working
/// directory and fresh stdout/stderr for each command: the answers are the
/// CLI's, without paying Python's and SQLAlchemy's start-up per command.
pub fn alembic(dir: &Path, ini: Option<&str>, args: &[&str]) -> String {
    let mut argv: Vec<&str> = Vec::new();
    if let Some(ini) = ini {
        argv.extend(["-c", ini]);
    }
    argv.extend_from_slice(args);
    let reply = AlembicServer::run(dir, &argv);
    assert!(
        reply.code == 0,
        "alembic {args:?} failed (exit {}):\n{}\n{}",
        reply.code,
        reply.stdout,
        reply.stderr
    );
    reply.stderr
}

/// What one `alembic` command printed, and its exit code.
#[derive(Debug, serde::Deserialize)]
pub struct AlembicReply {
    /// The exit code `alembic` would have exited with.
    pub code: i64,
    /// Its standard output.
    pub stdout: String,
    /// Its standard error (Alembic's log lines).
    pub stderr: String,
}

/// The driver: one JSON request per line on stdin (`cwd`, `argv`), one JSON
/// [`AlembicReply`] per line on stdout. `env.py`'s `fileConfig` binds the
/// log handlers to the `sys.stderr` of its own run, so each command's log
/// lands in that command's buffer.
const ALEMBIC_SERVER: &str = r#"
import contextlib, io, json, os, sys, traceback
from alembic.config import main
replies = sys.stdout
for line in sys.stdin:
    request = json.loads(line)
    os.chdir(request["cwd"])
    out, err = io.StringIO(), io.StringIO()
    code = 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main(argv=request["argv"], prog="alembic")
        except SystemExit as e:
            code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
        except BaseException:
            traceback.print_exc()
            code = 1
    replies.write(json.dumps({"code": code, "stdout": out.getvalue(), "stderr": err.getvalue()}) + "\n")
    replies.flush()
"#;

/// One Python process running `alembic` commands for this test process.
///
/// It ends when this test process does (its stdin closes); its own stderr
/// goes to a file, so it never holds the test's output open (nextest would
/// call the test leaky) and is shown when the server dies.
pub struct AlembicServer {
    child: std::process::Child,
    log: PathBuf,
    input: std::process::ChildStdin,
    output: std::io::BufReader<std::process::ChildStdout>,
}

impl AlembicServer {
    /// Run `alembic argv` in `dir` through this process's server (started
    /// on first use).
    pub fn run(dir: &Path, argv: &[&str]) -> AlembicReply {
        use std::io::{BufRead as _, Write as _};
        static SERVER: std::sync::Mutex<Option<AlembicServer>> = std::sync::Mutex::new(None);
        let mut guard = SERVER.lock().unwrap_or_else(|e| e.into_inner());
        let server = guard.get_or_insert_with(AlembicServer::start);
        let request = serde_json::json!({ "cwd": dir, "argv": argv });
        writeln!(server.input, "{request}")
            .and_then(|()| server.input.flush())
            .unwrap_or_else(|e| panic!("alembic server: cannot send {request}: {e}"));
        let mut line = String::new();
        server
            .output
            .read_line(&mut line)
            .unwrap_or_else(|e| panic!("alembic server: no reply to {request}: {e}"));
        if line.is_empty() {
            let status = server.child.wait();
            let log = std::fs::read_to_string(&server.log).unwrap_or_default();
            *guard = None;
            panic!("alembic server exited ({status:?}) on {request}:\n{log}");
        }
        serde_json::from_str(&line)
            .unwrap_or_else(|e| panic!("alembic server: bad reply to {request} ({e}): {line}"))
    }

    fn start() -> AlembicServer {
        let log = std::env::temp_dir().join(format!("alembic-server-{}.log", std::process::id()));
        let log_file = std::fs::File::create(&log)
            .unwrap_or_else(|e| panic!("cannot create {}: {e}", log.display()));
        let mut child = Command::new(python())
            .args(["-c", ALEMBIC_SERVER])
            .env_remove("DB_STATUS_URL")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(log_file)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", python().display()));
        let input = child.stdin.take().expect("server stdin");
        let output = std::io::BufReader::new(child.stdout.take().expect("server stdout"));
        AlembicServer {
            child,
            log,
            input,
            output,
        }
    }
}

/// The revisions a real `alembic upgrade` ran, in order, from its log lines
/// `INFO  [alembic.runtime.migration] Running upgrade <from> -> <to>, <doc>`.
pub fn upgraded_revisions(log: &str) -> Vec<String> {
    log.lines()
        .filter_map(|l| l.split_once("Running upgrade ").map(|(_, rest)| rest))
        .map(|rest| {
            let (_, to) = rest
                .split_once(" -> ")
                .unwrap_or_else(|| panic!("unexpected upgrade log line: {rest}"));
            to.split(',').next().unwrap_or("").trim().to_string()
        })
        .collect()
}

// Running the binary and naming databases are the hardening tests' helpers.
use super::common;
use super::common::{Run, mysql_admin_url, postgres_admin_url, unique};
use super::environment::{self, Need, python};

/// Run `db-status args` in `dir`: environment cleared but for `PATH`, a
/// UTF-8 locale, `HOME=dir` (no real `~/.pgpass`), `RUST_BACKTRACE=0`,
/// `NO_COLOR=1` (so no `DB_STATUS_URL`), killed after `limit`.
pub fn db_status(dir: &Path, args: &[&str], limit: Duration) -> Run {
    common::run(
        dir,
        args,
        &[("RUST_BACKTRACE", "0"), ("NO_COLOR", "1")],
        limit,
    )
}

/// Run `db-status args` in `dir` with the hardening tests' clean
/// environment plus `env`, killed after `limit`.
pub fn db_status_env(dir: &Path, args: &[&str], env: &[(&str, &str)], limit: Duration) -> Run {
    common::run(dir, args, env, limit)
}

/// The test server for `need` did not answer or refused the login: a
/// failure, unless `DB_STATUS_TEST_SKIP` names it. Returns `None` so callers
/// can `let Some(db) = … else { return }`.
#[track_caller]
pub fn server_missing<T>(need: Need, err: &dyn std::fmt::Display) -> Option<T> {
    environment::service_down(need, err);
    None
}

/// `scheme://user[:pw]@host:port/db?query` split into its parts (enough for
/// the admin URLs of the test servers).
#[derive(Clone, Debug)]
pub struct UrlParts {
    /// User name (may be empty).
    pub user: String,
    /// Password, if any.
    pub password: Option<String>,
    /// Host.
    pub host: String,
    /// Port.
    pub port: u16,
}

/// Parse an admin URL of the test servers.
pub fn url_parts(url: &str, default_port: u16) -> UrlParts {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let rest = rest.split(['/', '?']).next().unwrap_or("");
    let (auth, hostport) = rest.rsplit_once('@').unwrap_or(("", rest));
    let (user, password) = match auth.split_once(':') {
        Some((u, p)) => (u.to_string(), Some(p.to_string())),
        None => (auth.to_string(), None),
    };
    let (host, port) = match hostport.rsplit_once(':') {
        Some((h, p)) => (h.to_string(), p.parse().unwrap_or(default_port)),
        None => (hostport.to_string(), default_port),
    };
    let host = if host.is_empty() {
        "127.0.0.1".to_string()
    } else {
        host
    };
    UrlParts {
        user,
        password,
        host,
        port,
    }
}

impl UrlParts {
    /// `scheme://user[:pw]@host:port/database` on this server, as `user`.
    pub fn url_as(
        &self,
        scheme: &str,
        user: &str,
        password: Option<&str>,
        database: &str,
    ) -> String {
        let auth = match password {
            Some(p) => format!("{user}:{p}@"),
            None if user.is_empty() => String::new(),
            None => format!("{user}@"),
        };
        format!("{scheme}://{auth}{}:{}/{database}", self.host, self.port)
    }

    /// The same URL as the admin user, or `default_user` when the admin
    /// URL names none.
    pub fn admin_url(&self, scheme: &str, default_user: &str, database: &str) -> String {
        let user = if self.user.is_empty() {
            default_user
        } else {
            &self.user
        };
        self.url_as(scheme, user, self.password.as_deref(), database)
    }
}

/// A uniquely named PostgreSQL database (and roles), dropped on drop.
pub struct PgDb {
    /// The database name.
    pub name: String,
    /// The admin connection parameters.
    pub admin: UrlParts,
    roles: Vec<String>,
}

impl PgDb {
    fn admin_client(db: &str) -> Result<postgres::Client, postgres::Error> {
        let a = url_parts(&postgres_admin_url(), 5432);
        let mut cfg = postgres::Config::new();
        cfg.host(&a.host)
            .port(a.port)
            .user(if a.user.is_empty() {
                "postgres"
            } else {
                &a.user
            })
            .dbname(db)
            .connect_timeout(Duration::from_secs(5));
        if let Some(p) = &a.password {
            cfg.password(p);
        }
        cfg.connect(postgres::NoTls)
    }

    /// Create one, or `None` (after a notice) when the server is unreachable outside CI.
    pub fn create() -> Option<PgDb> {
        let mut c = match PgDb::admin_client("postgres") {
            Ok(c) => c,
            Err(e) => return server_missing(Need::Postgres, &e),
        };
        let name = unique("dbs_oracle");
        c.batch_execute(&format!("CREATE DATABASE {name}"))
            .unwrap_or_else(|e| panic!("cannot create database {name}: {e}"));
        Some(PgDb {
            name,
            admin: url_parts(&postgres_admin_url(), 5432),
            roles: Vec::new(),
        })
    }

    /// Run SQL in the database as the admin.
    pub fn exec(&self, sql: &str) {
        let mut c = PgDb::admin_client(&self.name).unwrap_or_else(|e| panic!("connect: {e}"));
        c.batch_execute(sql)
            .unwrap_or_else(|e| panic!("setup SQL failed: {sql}: {e}"));
    }

    /// The tables of every schema but the system ones (to check nothing was created).
    pub fn tables(&self) -> Vec<String> {
        let mut c = PgDb::admin_client(&self.name).unwrap_or_else(|e| panic!("connect: {e}"));
        c.query(
            "SELECT table_schema || '.' || table_name FROM information_schema.tables \
             WHERE table_schema NOT IN ('pg_catalog', 'information_schema') ORDER BY 1",
            &[],
        )
        .unwrap_or_else(|e| panic!("{e}"))
        .iter()
        .map(|r| r.get(0))
        .collect()
    }

    /// A login role with `password`, dropped with the database.
    pub fn role(&mut self, suffix: &str, password: &str) -> String {
        let role = format!("{}_{suffix}", self.name);
        self.exec(&format!("CREATE ROLE {role} LOGIN PASSWORD '{password}'"));
        self.roles.push(role.clone());
        role
    }

    /// A URL for the database with the given scheme (`postgresql+psycopg2`).
    pub fn url(&self, scheme: &str) -> String {
        self.admin.admin_url(scheme, "postgres", &self.name)
    }

    /// A URL for the database as `user`.
    pub fn url_as(&self, scheme: &str, user: &str, password: Option<&str>) -> String {
        self.admin.url_as(scheme, user, password, &self.name)
    }
}

impl Drop for PgDb {
    fn drop(&mut self) {
        if let Ok(mut c) = PgDb::admin_client("postgres") {
            let _ = c.batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ));
            for r in &self.roles {
                let _ = c.batch_execute(&format!("DROP ROLE IF EXISTS {r}"));
            }
        }
    }
}

/// A uniquely named MariaDB/MySQL database (and users), dropped on drop.
pub struct MyDb {
    /// The database name.
    pub name: String,
    /// The admin connection parameters.
    pub admin: UrlParts,
    users: Vec<String>,
}

impl MyDb {
    fn conn(db: Option<&str>) -> Result<mysql::Conn, mysql::Error> {
        let a = url_parts(&mysql_admin_url(), 3306);
        let opts = mysql::OptsBuilder::new()
            .ip_or_hostname(Some(a.host.clone()))
            .tcp_port(a.port)
            .user(Some(if a.user.is_empty() {
                "root".to_string()
            } else {
                a.user.clone()
            }))
            .pass(a.password.clone())
            .db_name(db.map(str::to_string))
            .prefer_socket(false)
            .tcp_connect_timeout(Some(Duration::from_secs(5)));
        mysql::Conn::new(opts)
    }

    /// Create one, or `None` (after a notice) when the server is unreachable outside CI.
    pub fn create() -> Option<MyDb> {
        let mut c = match MyDb::conn(None) {
            Ok(c) => c,
            Err(e) => return server_missing(Need::Mysql, &e),
        };
        let name = unique("dbs_oracle");
        c.query_drop(format!("CREATE DATABASE `{name}`"))
            .unwrap_or_else(|e| panic!("cannot create database {name}: {e}"));
        Some(MyDb {
            name,
            admin: url_parts(&mysql_admin_url(), 3306),
            users: Vec::new(),
        })
    }

    /// Run `;\n`-separated SQL statements in the database as the admin.
    pub fn exec(&self, sql: &str) {
        let mut c = MyDb::conn(Some(&self.name)).unwrap_or_else(|e| panic!("connect: {e}"));
        for stmt in sql.split(";\n") {
            c.query_drop(stmt)
                .unwrap_or_else(|e| panic!("setup SQL failed: {stmt}: {e}"));
        }
    }

    /// A server variable (e.g. `have_ssl`).
    pub fn variable(&self, name: &str) -> Option<String> {
        let mut c = MyDb::conn(None).ok()?;
        let row: Option<(String, String)> = c
            .query_first(format!("SHOW VARIABLES LIKE '{name}'"))
            .ok()?;
        row.map(|(_, v)| v)
    }

    /// The tables of the database (to check nothing was created).
    pub fn tables(&self) -> Vec<String> {
        let mut c = MyDb::conn(None).unwrap_or_else(|e| panic!("connect: {e}"));
        c.query(format!(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = '{}' ORDER BY 1",
            self.name
        ))
        .unwrap_or_else(|e| panic!("{e}"))
    }

    /// A user with `password` (for `%` and `localhost`), dropped with the database.
    pub fn user(&mut self, suffix: &str, password: &str) -> String {
        // MariaDB user names are at most 80 characters; database names 64.
        let user = format!(
            "u{}_{suffix}",
            &self.name[self.name.len().saturating_sub(20)..]
        );
        for host in ["%", "localhost"] {
            self.exec(&format!(
                "CREATE USER '{user}'@'{host}' IDENTIFIED BY '{password}'"
            ));
        }
        self.users.push(user.clone());
        user
    }

    /// A URL for the database with the given scheme (`mysql+pymysql`).
    pub fn url(&self, scheme: &str) -> String {
        self.admin.admin_url(scheme, "root", &self.name)
    }

    /// A URL for the database as `user`.
    pub fn url_as(&self, scheme: &str, user: &str, password: Option<&str>) -> String {
        self.admin.url_as(scheme, user, password, &self.name)
    }
}

impl Drop for MyDb {
    fn drop(&mut self) {
        if let Ok(mut c) = MyDb::conn(None) {
            let _ = c.query_drop(format!("DROP DATABASE IF EXISTS `{}`", self.name));
            for u in &self.users {
                for host in ["%", "localhost"] {
                    let _ = c.query_drop(format!("DROP USER IF EXISTS '{u}'@'{host}'"));
                }
            }
        }
    }
}
