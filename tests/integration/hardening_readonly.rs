//! Read-only, proven by the database itself.
//!
//! * PostgreSQL and MariaDB: a role that may only `SELECT` from the version
//!   table sees every state correctly (no table, empty, behind, up to date,
//!   two rows, unknown), and a database without a version table still has
//!   none afterwards. Each state is also checked against real Alembic
//!   reading the same database: the same rows, and the same pending
//!   revisions as `alembic upgrade heads` would run (or Alembic's refusal).
//! * PostgreSQL: the version table is replaced by a view whose single row
//!   says whether the *server* considered the reading transaction read-only
//!   (`current_setting('transaction_read_only')`), so the revision db-status
//!   reports is the server's own testimony.
//! * MariaDB: the general query log (`mysql.general_log`, switched on for the
//!   duration of the test and restored) shows that every statement touching a
//!   table ran after `START TRANSACTION READ ONLY` and that none writes.
//! * SQLite: a read-only file in a read-only directory works (checked as the
//!   unprivileged `nobody` user, since root ignores permission bits), and a
//!   missing path is reported without creating a file.
//!
//! Servers: `DB_STATUS_TEST_POSTGRES_URL` (default
//! `postgresql://postgres@127.0.0.1:5432/postgres`) and
//! `DB_STATUS_TEST_MYSQL_URL` (default `mysql://root@127.0.0.1:3306/test`),
//! both admin accounts. Unreachable servers, an unreadable server log or no
//! way to become `nobody` fail the test unless skipped by name
//! (`DB_STATUS_TEST_SKIP=postgres,mysql,pglog,nobody`, see `tests/environment`).

use crate::support;

use std::path::Path;
use std::time::Duration;

use crate::support::{Out, Project, run, service_missing, sqlite_db, unique};

const LIMIT: Duration = Duration::from_secs(60);
const REVS: [&str; 3] = ["aaaa00000001", "aaaa00000002", "aaaa00000003"];

fn project() -> Project {
    let p = Project::new("");
    p.rev(REVS[0], None, "one");
    p.rev(REVS[1], Some(REVS[0]), "two");
    p.rev(REVS[2], Some(REVS[1]), "three");
    p
}

/// The rows to put in the version table for each state, the exit code and
/// the JSON state db-status must report.
fn states() -> Vec<(&'static str, Vec<&'static str>, i32, &'static str)> {
    vec![
        ("empty", vec![], 3, "no-revision"),
        ("behind", vec![REVS[0]], 1, "behind"),
        ("up-to-date", vec![REVS[2]], 0, "up-to-date"),
        ("unknown", vec!["ffff99999999"], 5, "unknown-revision"),
    ]
}

/// A named state: version-table rows and the expected (exit code, state).
type Case = (String, Vec<&'static str>, (Option<i32>, String));

fn status(p: &Project, url: &str) -> Out {
    run(
        p.path(),
        &[
            "status",
            "--format",
            "json",
            "--url",
            url,
            "--timeout",
            "10",
        ],
        &[],
        LIMIT,
    )
}

fn state_of(out: &Out) -> (Option<i32>, String) {
    let v = out.json();
    let state = v["components"][0]["state"]
        .as_str()
        .unwrap_or("")
        .to_string();
    (out.code, state)
}

/// Real Alembic on the same database: the revisions it reads from the
/// version table, and what `alembic upgrade heads` would run from there
/// (`ScriptDirectory._upgrade_revs`, the list `command.upgrade` executes), or
/// the error it refuses with. Reads only.
const ALEMBIC_REFERENCE: &str = r#"
import json, sys
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine
script = ScriptDirectory.from_config(Config(sys.argv[1]))
engine = create_engine(sys.argv[2])
with engine.connect() as conn:
    current = list(MigrationContext.configure(conn).get_current_heads())
engine.dispose()
try:
    steps = script._upgrade_revs("heads", tuple(current))
    print(json.dumps({"current": current, "pending": [s.revision.revision for s in steps]}))
except Exception as e:
    print(json.dumps({"current": current, "error": str(e)}))
"#;

/// `admin_url` (the test server's admin account) pointed at `database`, in
/// the spelling of the drivers the oracle has (PyMySQL, psycopg2). The
/// reference reads as the admin, so the server logs checked below hold only
/// db-status's own statements.
fn alembic_url(admin_url: &str, database: &str) -> String {
    let (scheme, rest) = admin_url.split_once("://").expect("admin URL has a scheme");
    let authority = rest.split(['/', '?']).next().unwrap_or(rest);
    let scheme = if scheme.starts_with("mysql") {
        "mysql+pymysql"
    } else {
        "postgresql+psycopg2"
    };
    format!("{scheme}://{authority}/{database}")
}

/// db-status's `status` run `out` agrees with real Alembic reading the same
/// database at `alembic_url` for the project `p`: the same current
/// revisions; where Alembic would upgrade, the same pending revisions in the
/// same order (and `up-to-date` exactly when there are none); where Alembic
/// refuses, an error state carrying Alembic's own words.
fn assert_agrees_with_alembic(what: &str, p: &Project, alembic_url: &str, out: &Out) {
    let ini = p.path().join("alembic.ini");
    let ran = std::process::Command::new(support::environment::python())
        .args(["-c", ALEMBIC_REFERENCE])
        .arg(&ini)
        .arg(alembic_url)
        .current_dir(p.path())
        .output()
        .expect("run the Alembic reference");
    assert!(
        ran.status.success(),
        "{what}: the Alembic reference failed:\n{}",
        String::from_utf8_lossy(&ran.stderr)
    );
    let alembic: serde_json::Value =
        serde_json::from_slice(&ran.stdout).expect("Alembic reference JSON");
    let ours = out.json();
    let component = &ours["components"][0];
    let revisions = |v: &serde_json::Value| -> Vec<String> {
        v.as_array()
            .map(|a| {
                a.iter()
                    .map(|r| {
                        r["revision"]
                            .as_str()
                            .or(r.as_str())
                            .unwrap_or("")
                            .to_string()
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    let sorted = |mut v: Vec<String>| {
        v.sort();
        v
    };
    // The rows read: db-status lists those it knows under `current`, the
    // others under `unknown`.
    let mut read = revisions(&component["current"]);
    read.extend(revisions(&component["unknown"]));
    assert_eq!(
        sorted(read),
        sorted(revisions(&alembic["current"])),
        "{what}: the revisions read differ from Alembic's\n{}",
        out.all()
    );
    if let Some(error) = alembic["error"].as_str() {
        assert!(
            !matches!(out.code, Some(0 | 1)),
            "{what}: Alembic refuses ({error}), db-status says {:?}\n{}",
            out.code,
            out.all()
        );
        // Alembic's words, or for a revision it cannot locate, that
        // revision among db-status's unknown ones.
        let message = component["error"]["message"].as_str().unwrap_or("");
        let unlocated = error
            .strip_prefix("Can't locate revision identified by '")
            .and_then(|r| r.strip_suffix('\''));
        let unknown = revisions(&component["unknown"]);
        assert!(
            message.starts_with(error) || unlocated.is_some_and(|r| unknown.iter().any(|u| u == r)),
            "{what}: Alembic refuses with `{error}`, db-status says `{message}`"
        );
    } else {
        let pending = revisions(&alembic["pending"]);
        assert_eq!(
            revisions(&component["pending"]),
            pending,
            "{what}: pending differs from what `alembic upgrade heads` runs\n{}",
            out.all()
        );
        assert_eq!(
            out.code == Some(0),
            pending.is_empty(),
            "{what}: up-to-date exactly when Alembic has nothing to run\n{}",
            out.all()
        );
    }
}

/// The other read commands must work with SELECT alone too.
fn other_commands_work(p: &Project, url: &str) {
    for args in [
        &["current"][..],
        &["current", "-v"],
        &["history", "-i"],
        &["graph", "--with-db"],
        &["show", "current"],
    ] {
        let mut all: Vec<&str> = args.to_vec();
        all.extend(["--url", url]);
        let out = run(p.path(), &all, &[], LIMIT);
        out.assert_clean(&format!("{args:?}"));
        assert!(
            !out.all().to_ascii_lowercase().contains("permission denied"),
            "{args:?}: {}",
            out.all()
        );
    }
}

// ---------------------------------------------------------------------------
// PostgreSQL

fn pg_admin(db: Option<&str>) -> Result<postgres::Client, postgres::Error> {
    let mut config: postgres::Config = support::postgres_admin_url()
        .parse()
        .expect("DB_STATUS_TEST_POSTGRES_URL is not a valid PostgreSQL URL");
    config.connect_timeout(Duration::from_secs(5));
    if let Some(db) = db {
        config.dbname(db);
    }
    config.connect(postgres::NoTls)
}

/// Host and port of the admin URL, for building the role's URL.
fn pg_host_port() -> (String, u16) {
    let config: postgres::Config = support::postgres_admin_url().parse().expect("valid URL");
    let host = match config.get_hosts().first() {
        Some(postgres::config::Host::Tcp(h)) => h.clone(),
        _ => "127.0.0.1".to_string(),
    };
    (host, config.get_ports().first().copied().unwrap_or(5432))
}

/// A database and a login role with no privileges, dropped on drop.
struct PgScratch {
    name: String,
}

impl PgScratch {
    fn new() -> Option<PgScratch> {
        let mut admin = match pg_admin(None) {
            Ok(c) => c,
            Err(e) => {
                service_missing(support::Need::Postgres, &e);
                return None;
            }
        };
        let name = unique("dbs_ro");
        // One statement per call: CREATE DATABASE cannot run in the implicit
        // transaction of a multi-statement query.
        for sql in [
            format!("CREATE DATABASE {name}"),
            format!("CREATE ROLE {name} LOGIN PASSWORD 'ro-pass'"),
            format!("REVOKE ALL ON DATABASE {name} FROM PUBLIC"),
            format!("GRANT CONNECT ON DATABASE {name} TO {name}"),
        ] {
            admin
                .batch_execute(&sql)
                .unwrap_or_else(|e| panic!("{sql}: {e}"));
        }
        let mut db = pg_admin(Some(&name)).expect("connect to the scratch database");
        // PostgreSQL 15 already denies CREATE on public; older servers do not.
        db.batch_execute(&format!(
            "REVOKE ALL ON SCHEMA public FROM PUBLIC; GRANT USAGE ON SCHEMA public TO {name};"
        ))
        .expect("lock down schema public");
        Some(PgScratch { name })
    }

    fn db(&self) -> postgres::Client {
        pg_admin(Some(&self.name)).expect("connect to the scratch database")
    }

    fn url(&self) -> String {
        let (host, port) = pg_host_port();
        format!("postgresql://{0}:ro-pass@{host}:{port}/{0}", self.name)
    }

    fn table_exists(&self) -> bool {
        let row = self
            .db()
            .query_one(
                "SELECT to_regclass('public.alembic_version') IS NOT NULL",
                &[],
            )
            .expect("to_regclass");
        row.get(0)
    }
}

impl Drop for PgScratch {
    fn drop(&mut self) {
        if let Ok(mut admin) = pg_admin(None) {
            let _ = admin.batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ));
            let _ = admin.batch_execute(&format!("DROP ROLE IF EXISTS {}", self.name));
        }
    }
}

#[test]
fn postgres_select_only_role_sees_every_state() {
    let Some(scratch) = PgScratch::new() else {
        return;
    };
    let p = project();
    let url = scratch.url();
    let reference = alembic_url(&support::postgres_admin_url(), &scratch.name);

    // No version table: reported as such, and still none afterwards.
    let out = status(&p, &url);
    out.assert_clean("postgres, no table");
    assert_eq!(
        state_of(&out),
        (Some(3), "no-revision".to_string()),
        "{}",
        out.all()
    );
    assert_agrees_with_alembic("no table", &p, &reference, &out);
    other_commands_work(&p, &url);
    assert!(
        !scratch.table_exists(),
        "db-status created the version table"
    );

    let mut db = scratch.db();
    db.batch_execute(&format!(
        "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL, \
         CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)); \
         GRANT SELECT ON alembic_version TO {};",
        scratch.name
    ))
    .expect("create version table");
    for (name, rows, code, state) in states() {
        db.batch_execute("DELETE FROM alembic_version")
            .expect("clear");
        for r in &rows {
            db.execute("INSERT INTO alembic_version VALUES ($1)", &[r])
                .expect("insert");
        }
        let out = status(&p, &url);
        out.assert_clean(&format!("postgres, {name}"));
        assert_eq!(
            state_of(&out),
            (Some(code), state.to_string()),
            "{name}: {}",
            out.all()
        );
        assert_agrees_with_alembic(name, &p, &reference, &out);
        other_commands_work(&p, &url);
    }
    // Two rows: whatever db-status says for them in SQLite.
    let two = [REVS[0], REVS[2]];
    db.batch_execute("DELETE FROM alembic_version")
        .expect("clear");
    for r in two {
        db.execute("INSERT INTO alembic_version VALUES ($1)", &[&r])
            .expect("insert");
    }
    let out = status(&p, &url);
    out.assert_clean("postgres, two rows");
    assert_eq!(
        state_of(&out),
        (Some(6), "database-error".to_string()),
        "{}",
        out.all()
    );
    assert_agrees_with_alembic("two rows", &p, &reference, &out);
    let rows: i64 = db
        .query_one("SELECT count(*) FROM alembic_version", &[])
        .expect("count")
        .get(0);
    assert_eq!(rows, 2, "the version table was changed");
}

/// The server's own testimony: a view in place of the version table yields
/// the head revision only when the reading transaction is read-only.
#[test]
fn postgres_reads_inside_a_read_only_transaction() {
    let Some(scratch) = PgScratch::new() else {
        return;
    };
    let p = project();
    let mut db = scratch.db();
    db.batch_execute(&format!(
        "CREATE VIEW alembic_version AS SELECT CASE \
           WHEN current_setting('transaction_read_only') = 'on' THEN '{head}' \
           ELSE 'not-read-only' END::varchar(32) AS version_num; \
         GRANT SELECT ON alembic_version TO {role};",
        head = REVS[2],
        role = scratch.name
    ))
    .expect("create probe view");
    let out = status(&p, &scratch.url());
    out.assert_clean("postgres, read-only probe");
    let v = out.json();
    assert_eq!(
        v["components"][0]["current"][0]["revision"],
        REVS[2],
        "the server did not see a read-only transaction:\n{}",
        out.all()
    );
    assert_eq!(out.code, Some(0), "{}", out.all());

    // And the statements as the server logged them for this role, from the
    // server's own log file.
    let log = server_log(&mut db);
    let log = log.as_path();
    if std::fs::File::open(log).is_ok() {
        db.batch_execute(&format!(
            "ALTER ROLE {} SET log_statement = 'all'",
            scratch.name
        ))
        .expect("log_statement");
        let before = std::fs::metadata(log).map(|m| m.len()).unwrap_or(0);
        let out = status(&p, &scratch.url());
        assert_eq!(out.code, Some(0), "{}", out.all());
        // The server writes its log asynchronously: wait for the end of
        // db-status's session (its disconnection line), at most 10 s.
        let mine = format!("{0}@{0}", scratch.name);
        let mut tail = String::new();
        for _ in 0..100 {
            let text = std::fs::read(log).unwrap_or_default();
            tail = String::from_utf8_lossy(text.get(before as usize..).unwrap_or_default())
                .into_owned();
            if tail
                .lines()
                .any(|l| l.contains(&mine) && l.contains("statement: ROLLBACK"))
            {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let ours: Vec<&str> = tail
            .lines()
            .filter(|l| l.contains(&mine) && l.contains("statement: "))
            .collect();
        assert!(!ours.is_empty(), "nothing logged for the role:\n{tail}");
        assert!(
            ours[0].contains("statement: BEGIN READ ONLY"),
            "first statement is not BEGIN READ ONLY:\n{}",
            ours.join("\n")
        );
        for l in &ours {
            let stmt = l
                .split("statement: ")
                .nth(1)
                .unwrap_or("")
                .to_ascii_uppercase();
            for bad in [
                "INSERT", "UPDATE", "DELETE", "CREATE", "DROP", "ALTER", "COMMIT", "GRANT",
            ] {
                assert!(!stmt.contains(bad), "a write-like statement: {l}");
            }
        }
        eprintln!("postgres log for the role:\n{}", ours.join("\n"));
    } else {
        support::environment::unavailable(
            support::Need::PgLog,
            format_args!("no readable PostgreSQL server log at {}", log.display()),
        );
    }
}

/// Where the server writes its log, as the server says: its logging
/// collector's current file, else the file Debian's `pg_ctlcluster` sends
/// the server's stderr to (`/var/log/postgresql/postgresql-<major>-<cluster>.log`).
fn server_log(db: &mut postgres::Client) -> std::path::PathBuf {
    let setting = |db: &mut postgres::Client, sql: &str| -> Option<String> {
        db.query_one(sql, &[])
            .ok()
            .and_then(|r| r.get::<_, Option<String>>(0))
    };
    if let Some(file) = setting(db, "SELECT pg_current_logfile()") {
        let data = setting(db, "SELECT current_setting('data_directory')").unwrap_or_default();
        return Path::new(&data).join(file);
    }
    let version = setting(db, "SELECT current_setting('server_version_num')").unwrap_or_default();
    let major = version.parse::<u32>().map_or(0, |v| v / 10000);
    let cluster = setting(db, "SELECT current_setting('cluster_name')").unwrap_or_default();
    let cluster = cluster.rsplit('/').next().unwrap_or("main");
    Path::new("/var/log/postgresql").join(format!("postgresql-{major}-{cluster}.log"))
}

// ---------------------------------------------------------------------------
// MariaDB / MySQL

fn my_admin() -> Result<mysql::Conn, mysql::Error> {
    let url = support::mysql_admin_url();
    let opts = mysql::Opts::from_url(&url).expect("DB_STATUS_TEST_MYSQL_URL is not a valid URL");
    let opts = mysql::OptsBuilder::from_opts(opts)
        .tcp_connect_timeout(Some(Duration::from_secs(5)))
        .prefer_socket(false);
    mysql::Conn::new(opts)
}

fn my_host_port() -> (String, u16) {
    let opts = mysql::Opts::from_url(&support::mysql_admin_url()).expect("valid URL");
    (opts.get_ip_or_hostname().to_string(), opts.get_tcp_port())
}

/// A database and a user with SELECT on one unrelated table only (so it can
/// connect to the database), dropped on drop.
struct MyScratch {
    name: String,
}

const MY_HOSTS: [&str; 3] = ["%", "localhost", "127.0.0.1"];

impl MyScratch {
    fn new() -> Option<MyScratch> {
        use mysql::prelude::Queryable as _;
        let mut admin = match my_admin() {
            Ok(c) => c,
            Err(e) => {
                service_missing(support::Need::Mysql, &e);
                return None;
            }
        };
        let name = unique("dbs_ro");
        admin
            .query_drop(format!(
                "CREATE DATABASE `{name}`; CREATE TABLE `{name}`.`unrelated` (x INT)"
            ))
            .expect("create database");
        for host in MY_HOSTS {
            admin
                .query_drop(format!(
                    "CREATE USER '{name}'@'{host}' IDENTIFIED BY 'ro-pass'; \
                     GRANT SELECT ON `{name}`.`unrelated` TO '{name}'@'{host}'"
                ))
                .expect("create user");
        }
        Some(MyScratch { name })
    }

    fn url(&self) -> String {
        let (host, port) = my_host_port();
        format!("mysql://{0}:ro-pass@{host}:{port}/{0}", self.name)
    }

    fn exec(&self, sql: &str) {
        use mysql::prelude::Queryable as _;
        my_admin()
            .expect("admin")
            .query_drop(sql)
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }

    fn table_exists(&self) -> bool {
        use mysql::prelude::Queryable as _;
        let n: Option<i64> = my_admin()
            .expect("admin")
            .query_first(format!(
                "SELECT COUNT(*) FROM information_schema.tables \
                 WHERE table_schema = '{}' AND table_name = 'alembic_version'",
                self.name
            ))
            .expect("information_schema");
        n.unwrap_or(0) > 0
    }
}

impl Drop for MyScratch {
    fn drop(&mut self) {
        use mysql::prelude::Queryable as _;
        if let Ok(mut admin) = my_admin() {
            let _ = admin.query_drop(format!("DROP DATABASE IF EXISTS `{}`", self.name));
            for host in MY_HOSTS {
                let _ = admin.query_drop(format!("DROP USER IF EXISTS '{}'@'{host}'", self.name));
            }
        }
    }
}

/// Turns the general log on into the `mysql.general_log` table and puts the
/// previous settings back on drop.
struct GeneralLog {
    output: String,
    on: String,
}

impl GeneralLog {
    fn start() -> GeneralLog {
        use mysql::prelude::Queryable as _;
        let mut admin = my_admin().expect("admin");
        let output: Option<String> = admin
            .query_first("SELECT @@GLOBAL.log_output")
            .expect("log_output");
        let on: Option<String> = admin
            .query_first("SELECT CAST(@@GLOBAL.general_log AS CHAR)")
            .expect("general_log");
        admin
            .query_drop("SET GLOBAL log_output = 'FILE,TABLE'; SET GLOBAL general_log = ON")
            .expect("enable general log");
        GeneralLog {
            output: output.unwrap_or_else(|| "FILE".to_string()),
            on: on.unwrap_or_else(|| "0".to_string()),
        }
    }
}

impl Drop for GeneralLog {
    fn drop(&mut self) {
        use mysql::prelude::Queryable as _;
        if let Ok(mut admin) = my_admin() {
            let on = if self.on == "1" || self.on.eq_ignore_ascii_case("on") {
                "ON"
            } else {
                "OFF"
            };
            let _ = admin.query_drop(format!(
                "SET GLOBAL general_log = {on}; SET GLOBAL log_output = '{}'",
                self.output.replace('\'', "")
            ));
        }
    }
}

#[test]
fn mysql_select_only_user_sees_every_state_in_read_only_transactions() {
    let Some(scratch) = MyScratch::new() else {
        return;
    };
    let log = GeneralLog::start();
    let p = project();
    let url = scratch.url();
    let name = &scratch.name;

    // With no grant that covers the missing table, the server answers
    // "SELECT command denied" rather than "no such table" (it hides what
    // the user may not see), as it does for Alembic's own DESCRIBE: an
    // error with advice, not a guess.
    let out = status(&p, &url);
    out.assert_clean("mysql, no table, table-level grant only");
    assert_eq!(
        state_of(&out),
        (Some(6), "database-error".to_string()),
        "{}",
        out.all()
    );
    assert_eq!(
        out.json()["components"][0]["error"]["kind"],
        "permission-denied"
    );

    // SELECT on the whole database (still read-only): a clean "no table";
    // the database holds the table `unrelated`, so it is not fresh but
    // unstamped (a populated database without a version table).
    for host in MY_HOSTS {
        scratch.exec(&format!("GRANT SELECT ON `{name}`.* TO '{name}'@'{host}'"));
    }
    let out = status(&p, &url);
    out.assert_clean("mysql, no table");
    assert_eq!(
        state_of(&out),
        (Some(8), "unstamped".to_string()),
        "{}",
        out.all()
    );
    other_commands_work(&p, &url);
    assert!(
        !scratch.table_exists(),
        "db-status created the version table"
    );
    for host in MY_HOSTS {
        scratch.exec(&format!(
            "REVOKE SELECT ON `{name}`.* FROM '{name}'@'{host}'"
        ));
    }

    scratch.exec(&format!(
        "CREATE TABLE `{name}`.alembic_version (version_num VARCHAR(32) NOT NULL, \
         CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num))"
    ));
    for host in MY_HOSTS {
        scratch.exec(&format!(
            "GRANT SELECT ON `{name}`.alembic_version TO '{name}'@'{host}'"
        ));
    }
    // This database holds `unrelated`, which the user may see: with an empty
    // version table it is unstamped, not fresh.
    let mut cases: Vec<Case> = states()
        .into_iter()
        .map(|(n, rows, code, state)| match n {
            "empty" => (n.to_string(), rows, (Some(8), "unstamped".to_string())),
            _ => (n.to_string(), rows, (Some(code), state.to_string())),
        })
        .collect();
    // Two rows, one an ancestor of the other: Alembic refuses to upgrade.
    let two = vec![REVS[0], REVS[2]];
    cases.push((
        "two rows".to_string(),
        two,
        (Some(6), "database-error".to_string()),
    ));
    let reference = alembic_url(&support::mysql_admin_url(), name);
    for (case, rows, expected) in cases {
        scratch.exec(&format!("DELETE FROM `{name}`.alembic_version"));
        for r in &rows {
            scratch.exec(&format!(
                "INSERT INTO `{name}`.alembic_version VALUES ('{r}')"
            ));
        }
        let out = status(&p, &url);
        out.assert_clean(&format!("mysql, {case}"));
        assert_eq!(state_of(&out), expected, "{case}: {}", out.all());
        assert_agrees_with_alembic(&case, &p, &reference, &out);
        other_commands_work(&p, &url);
    }

    // What the server logged for this user, connection by connection.
    use mysql::prelude::Queryable as _;
    let mut admin = my_admin().expect("admin");
    let entries: Vec<(u64, String, String)> = admin
        .query(format!(
            "SELECT thread_id, command_type, CONVERT(argument USING utf8mb4) \
             FROM mysql.general_log WHERE user_host LIKE '{name}[{name}]%' \
             ORDER BY event_time, thread_id"
        ))
        .expect("read general log");
    drop(log);
    let mut threads: std::collections::BTreeMap<u64, Vec<(String, String)>> = Default::default();
    for (thread, kind, arg) in entries {
        threads.entry(thread).or_default().push((kind, arg));
    }
    assert!(
        threads.len() >= 5,
        "too few connections logged: {threads:?}"
    );
    for (thread, entries) in &threads {
        let mut in_ro = false;
        let mut read_table = false;
        for (kind, arg) in entries {
            if kind != "Query" {
                continue;
            }
            let up = arg.trim().to_ascii_uppercase();
            for bad in [
                "INSERT",
                "UPDATE",
                "DELETE",
                "CREATE",
                "DROP",
                "ALTER",
                "REPLACE",
                "GRANT",
                "COMMIT",
                "SET GLOBAL",
            ] {
                assert!(
                    !up.starts_with(bad),
                    "thread {thread}: a write-like statement: {arg}"
                );
            }
            if up.starts_with("START TRANSACTION READ ONLY") {
                in_ro = true;
            }
            if up.contains("ALEMBIC_VERSION") || up.contains("INFORMATION_SCHEMA") {
                assert!(
                    in_ro,
                    "thread {thread}: `{arg}` ran outside a READ ONLY transaction:\n{entries:?}"
                );
                read_table = true;
            }
        }
        assert!(
            read_table,
            "thread {thread} never read the version table: {entries:?}"
        );
    }
}

// ---------------------------------------------------------------------------
// SQLite

/// Run `args` as the unprivileged `nobody` user (root ignores permission
/// bits, so only this proves a read-only directory is enough).
fn run_as_nobody(dir: &Path, args: &[&str]) -> Option<Out> {
    let setpriv = Path::new("/usr/bin/setpriv");
    if !setpriv.exists() || unsafe_is_not_root() {
        return None;
    }
    let mut c = std::process::Command::new(setpriv);
    c.args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
        .arg(support::bin())
        .args(args)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("LANG", "C.UTF-8")
        .env("HOME", dir)
        .current_dir(dir);
    Some(support::run_cmd(c, LIMIT))
}

/// Whether we already run unprivileged (then permission bits apply to us).
fn unsafe_is_not_root() -> bool {
    std::process::Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() != "0")
        .unwrap_or(true)
}

#[cfg(unix)]
#[test]
fn sqlite_read_only_file_in_read_only_directory() {
    use std::os::unix::fs::PermissionsExt as _;
    let p = project();
    let data = p.path().join("data");
    std::fs::create_dir(&data).expect("mkdir");
    let db = data.join("app.sqlite");
    sqlite_db(&db, &[REVS[0]]);
    let before = std::fs::read(&db).expect("read db");
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o444)).expect("chmod file");
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o555)).expect("chmod dir");
    // `nobody` must be able to reach the project.
    for d in p.path().ancestors() {
        if d == Path::new("/") {
            break;
        }
        let mode = std::fs::metadata(d)
            .map(|m| m.permissions().mode())
            .unwrap_or(0);
        if mode & 0o005 != 0o005 {
            let _ = std::fs::set_permissions(d, std::fs::Permissions::from_mode(mode | 0o005));
        }
    }
    let url = format!("sqlite:///{}", db.display());
    let args = ["status", "--format", "json", "--url", url.as_str()];
    let out = run(p.path(), &args, &[], LIMIT);
    out.assert_clean("sqlite read-only, as root");
    assert_eq!(
        state_of(&out),
        (Some(1), "behind".to_string()),
        "{}",
        out.all()
    );
    match run_as_nobody(p.path(), &args) {
        Some(out) => {
            out.assert_clean("sqlite read-only, as nobody");
            assert_eq!(
                state_of(&out),
                (Some(1), "behind".to_string()),
                "{}",
                out.all()
            );
        }
        // Not root: the run above already had the permission bits apply.
        None if unsafe_is_not_root() => {}
        None => support::environment::unavailable(
            support::Need::Nobody,
            "running as root without /usr/bin/setpriv: cannot check as the unprivileged `nobody`",
        ),
    }
    let names: Vec<String> = std::fs::read_dir(&data)
        .expect("list")
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect();
    assert_eq!(names, ["app.sqlite"], "no journal or WAL file left behind");
    assert_eq!(
        std::fs::read(&db).expect("read db"),
        before,
        "the file changed"
    );
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).expect("chmod back");
}

#[test]
fn sqlite_missing_path_is_reported_and_not_created() {
    let p = project();
    for rel in ["missing.sqlite", "no/such/dir/missing.sqlite"] {
        let path = p.path().join(rel);
        let url = format!("sqlite:///{}", path.display());
        for args in [
            &["status", "--format", "json", "--url", url.as_str()][..],
            &["current", "--url", url.as_str()],
            &["history", "-i", "--url", url.as_str()],
            &["graph", "--with-db", "--url", url.as_str()],
        ] {
            let out = run(p.path(), args, &[], LIMIT);
            out.assert_clean(&format!("{args:?}"));
            assert!(!path.exists(), "{args:?} created {}", path.display());
            assert!(
                !p.path().join("no").exists(),
                "{args:?} created a directory"
            );
        }
        let out = status(&p, &url);
        let v = out.json();
        let c = &v["components"][0];
        assert_eq!(out.code, Some(3), "{}", out.all());
        assert!(
            out.all().contains(rel.rsplit('/').next().unwrap_or(rel)),
            "the message names the file: {}",
            out.all()
        );
        assert_eq!(c["state"], "no-revision", "{v}");
    }
    // A relative path, resolved against the working directory.
    let out = status(&p, "sqlite:///rel-missing.db");
    assert!(!p.path().join("rel-missing.db").exists());
    out.assert_clean("relative missing");
}
