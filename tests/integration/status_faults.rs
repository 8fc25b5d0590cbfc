//! Fault cases of `db-status status` end to end through the CLI (issue #3):
//! refused port, a host that accepts and never answers, wrong password,
//! missing database, missing table, permission denied, TLS required but
//! unavailable, garbage in `version_num`, unreadable ini files. Each case
//! checks the exit code, the JSON `error.kind`, the human message, bounded
//! time, that no output carries the password, and that the database is left
//! as it was (no version table created).
//!
//! Database cases run against the machine's PostgreSQL
//! (`DB_STATUS_TEST_POSTGRES_URL`) and MariaDB (`DB_STATUS_TEST_MYSQL_URL`),
//! each in its own database (and users), dropped afterwards even on failure.
//! An unreachable server, or a MariaDB that offers TLS (for the
//! TLS-unavailable case), fails the test unless skipped by name
//! (`DB_STATUS_TEST_SKIP`, see `tests/environment`).

use crate::support;

use std::path::Path;
use std::time::Duration;

use crate::support::{FakePostgres, MyDb, PgDb, Run, db_status};

/// A password that must never appear in any output.
const SECRET: &str = "Zq9-Secr3t-Pw";
const LIMIT: Duration = Duration::from_secs(20);

/// A project with one revision file and `sqlalchemy.url = url` in
/// `alembic.ini` (`url` as the ini value: `%(here)s` is interpolated).
fn project(url: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let versions = dir.path().join("migrations/versions");
    std::fs::create_dir_all(&versions).expect("mkdir");
    std::fs::write(
        versions.join("f00000000001_one.py"),
        "\"\"\"one\"\"\"\nrevision = 'f00000000001'\ndown_revision = None\n",
    )
    .expect("revision");
    std::fs::write(
        dir.path().join("alembic.ini"),
        format!(
            "[alembic]\nscript_location = migrations\nsqlalchemy.url = {}\n",
            url
        ),
    )
    .expect("ini");
    dir
}

/// The outcome of one case, in both formats.
struct Case {
    human: Run,
    json: serde_json::Value,
    json_elapsed: Duration,
}

impl Case {
    fn component(&self) -> &serde_json::Value {
        &self.json["components"][0]
    }

    fn kind(&self) -> &str {
        self.component()["error"]["kind"].as_str().unwrap_or("")
    }

    fn message(&self) -> &str {
        self.component()["error"]["message"].as_str().unwrap_or("")
    }
}

/// Run `db-status [extra]` in `dir` in human and JSON form; both must exit
/// `code` in time, cleanly, without the password, with the same verdict.
fn run(what: &str, dir: &Path, extra: &[&str], code: i32) -> Case {
    let human = db_status(dir, extra, LIMIT);
    human.assert_clean(what);
    let mut args = extra.to_vec();
    args.extend(["--format", "json"]);
    let j = db_status(dir, &args, LIMIT);
    j.assert_clean(what);
    for out in [&human, &j] {
        assert_eq!(out.code, Some(code), "{what}: exit code\n{}", out.all());
        assert!(
            !out.all().contains(SECRET),
            "{what}: the password is in the output\n{}",
            out.all()
        );
    }
    let json = j.json();
    assert_eq!(json["exit_code"], code, "{what}\n{}", j.stdout);
    assert_eq!(json["components"][0]["exit_code"], code, "{what}");
    Case {
        human,
        json,
        json_elapsed: j.elapsed,
    }
}

/// A database error: state database-error, exit 6, the given `error.kind`,
/// and the JSON message shown in the human output too.
fn db_error(what: &str, dir: &Path, extra: &[&str], kind: &str) -> Case {
    let c = run(what, dir, extra, 6);
    assert_eq!(
        (c.component()["state"].as_str(), c.kind()),
        (Some("database-error"), kind),
        "{what}\n{:#}",
        c.json
    );
    let first = c.message().lines().next().unwrap_or("");
    assert!(!first.is_empty(), "{what}: empty error message");
    assert!(
        c.human.stdout.contains(first) || c.human.stderr.contains(first),
        "{what}: the human output lacks the message `{first}`\n{}",
        c.human.all()
    );
    assert!(
        c.human.all().contains("❌"),
        "{what}: no error indicator\n{}",
        c.human.all()
    );
    c
}

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}

/// A listener on 127.0.0.1 that accepts and holds connections. With
/// `answer_ssl_request`, it reads a PostgreSQL SSLRequest and answers `N`
/// (no TLS here) before going silent.
fn silent_listener(answer_ssl_request: bool) -> u16 {
    use std::io::{Read as _, Write as _};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for mut s in listener.incoming().flatten() {
            if answer_ssl_request {
                let mut buf = [0u8; 8];
                if s.read_exact(&mut buf).is_ok() && buf[4..] == [0x04, 0xd2, 0x16, 0x2f] {
                    let _ = s.write_all(b"N");
                }
            }
            held.push(s);
        }
    });
    port
}

#[test]
fn refused_port() {
    let port = free_port();
    for scheme in ["postgresql+psycopg2", "mysql+pymysql"] {
        let dir = project(&format!("{scheme}://u:{SECRET}@127.0.0.1:{port}/db"));
        let what = format!("refused {scheme}");
        let c = db_error(&what, dir.path(), &[], "connection-refused");
        // The message: the `messages::database::db_refused_{postgres,mysql}` snapshots.
        assert!(c.human.stdout.contains("u:***@"), "{}", c.human.stdout);
    }
}

#[test]
fn host_that_never_answers() {
    let port = silent_listener(false);
    for scheme in ["postgresql", "mysql+pymysql"] {
        let dir = project(&format!("{scheme}://u:{SECRET}@127.0.0.1:{port}/db"));
        let what = format!("black hole {scheme}");
        let c = db_error(&what, dir.path(), &["--timeout", "1"], "timeout");
        for elapsed in [c.human.elapsed, c.json_elapsed] {
            assert!(elapsed < Duration::from_secs(4), "{what}: took {elapsed:?}");
        }
        // The message: the `messages::database::db_timeout_{postgres,mysql}` snapshots.
    }
}

#[test]
fn mariadb_wrong_password() {
    let Some(mut db) = MyDb::create() else { return };
    db.exec("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY);\nINSERT INTO alembic_version VALUES ('f00000000001')");
    let user = db.user("auth", "Right-Pw-4u");
    for host in ["%", "localhost"] {
        db.exec(&format!(
            "GRANT SELECT ON `{}`.* TO '{user}'@'{host}'",
            db.name
        ));
    }
    // The right password reads the table: up to date.
    let ok = project(&db.url_as("mysql+pymysql", &user, Some("Right-Pw-4u")));
    let c = run("right password", ok.path(), &[], 0);
    assert_eq!(c.component()["state"], "up-to-date");
    assert!(!c.human.all().contains("Right-Pw-4u"), "{}", c.human.all());

    let before = db.tables();
    let bad = project(&db.url_as("mysql+pymysql", &user, Some(SECRET)));
    let c = db_error("wrong password", bad.path(), &[], "authentication");
    assert!(c.message().contains(&user), "{}", c.message());
    assert!(c.human.stdout.contains(":***@"), "{}", c.human.stdout);
    assert_eq!(db.tables(), before);
}

/// PostgreSQL here uses trust authentication, so the real server cannot
/// refuse a password: a fake server that asks for one and refuses it stands
/// in for a server with password authentication.
#[test]
fn postgres_wrong_password_fake_server() {
    let port = FakePostgres::start().port;
    let dir = project(&format!(
        "postgresql+psycopg2://app:{SECRET}@127.0.0.1:{port}/appdb"
    ));
    let c = db_error("pg wrong password", dir.path(), &[], "authentication");
    // The message: the `messages::database::db_auth_wrong_password_postgres` snapshot.
    assert!(c.human.stdout.contains("app:***@"), "{}", c.human.stdout);
}

#[test]
fn missing_database() {
    if let Some(db) = PgDb::create() {
        let name = format!("{}_nope", db.name);
        let url = db
            .url_as("postgresql+psycopg2", "postgres", Some(SECRET))
            .replace(&db.name, &name);
        let dir = project(&url);
        let c = db_error("pg missing db", dir.path(), &[], "missing-database");
        // The advice names the database, not a placeholder, as a command to
        // run (its text: the `messages::database::db_missing_database_*` snapshots).
        let create = &c.component()["recommended_actions"][0];
        assert_eq!(
            create["command"],
            serde_json::json!(["createdb", name]),
            "{create}"
        );
    }
    if let Some(db) = MyDb::create() {
        let name = format!("{}_nope", db.name);
        let url = db.url("mysql+pymysql").replace(&db.name, &name);
        let dir = project(&url);
        db_error("mariadb missing db", dir.path(), &[], "missing-database");
    }
}

/// No version table is a fresh database (no-revision, 3), and reading it
/// creates nothing.
#[test]
fn missing_table_is_no_revision_or_unstamped_and_stays_missing() {
    // An empty database is fresh (no-revision, 3); one that holds tables but
    // no version table (or an empty one) was never stamped, or is the wrong
    // database (unstamped, 8): replaying every migration would fail there.
    let fresh = |what: &str, dir: &Path| {
        let c = run(what, dir, &[], 3);
        assert_eq!(
            c.component()["state"],
            "no-revision",
            "{what}\n{:#}",
            c.json
        );
        assert_eq!(c.component()["pending_count"], 1, "{what}");
        // The message: the `messages::states::state_no_revision_*` snapshots.
    };
    let unstamped = |what: &str, dir: &Path, table_state: &str| {
        let c = run(what, dir, &[], 8);
        let comp = c.component();
        assert_eq!(comp["state"], "unstamped", "{what}\n{:#}", c.json);
        assert_eq!(comp["version_table"]["state"], table_state, "{what}");
        assert_eq!(
            comp["tables"]["names"][0], "other_table",
            "{what}\n{:#}",
            c.json
        );
        // The message: the `messages::states::state_unstamped` snapshot.
        // Whatever the server, the advice never replays the migrations.
        let actions = comp["recommended_actions"].to_string();
        assert!(!actions.contains("upgrade"), "{what}: {actions}");
    };
    if let Some(db) = PgDb::create() {
        let dir = project(&db.url_as("postgresql+psycopg2", "postgres", Some(SECRET)));
        fresh("pg empty database", dir.path());
        db.exec("CREATE TABLE other_table (x INT)");
        let before = db.tables();
        unstamped("pg missing table", dir.path(), "missing");
        assert_eq!(db.tables(), before, "pg: a table was created");
        db.exec("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY)");
        unstamped("pg empty table", dir.path(), "empty");
    }
    if let Some(db) = MyDb::create() {
        let dir = project(&db.url("mysql+pymysql"));
        fresh("mariadb empty database", dir.path());
        db.exec("CREATE TABLE other_table (x INT)");
        let before = db.tables();
        unstamped("mariadb missing table", dir.path(), "missing");
        assert_eq!(db.tables(), before, "mariadb: a table was created");
        db.exec("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY)");
        unstamped("mariadb empty table", dir.path(), "empty");
    }
    // SQLite: no file at all, an empty file, then a file with a table.
    let dir = project("sqlite:///%(here)s/db.sqlite");
    let path = dir.path().join("db.sqlite");
    fresh("sqlite no file", dir.path());
    assert!(!path.exists(), "the SQLite file was created");
    rusqlite::Connection::open(&path).expect("sqlite");
    fresh("sqlite empty file", dir.path());
    rusqlite::Connection::open(&path)
        .and_then(|c| c.execute_batch("CREATE TABLE other_table (x INT)"))
        .expect("sqlite");
    unstamped("sqlite missing table", dir.path(), "missing");
    let c = rusqlite::Connection::open(&path).expect("sqlite");
    let n: i64 = c
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE name = 'alembic_version'",
            [],
            |r| r.get(0),
        )
        .expect("count");
    assert_eq!(n, 0, "sqlite: the version table was created");
}

#[test]
fn permission_denied_on_the_version_table() {
    if let Some(mut db) = PgDb::create() {
        db.exec(
            "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY); \
             INSERT INTO alembic_version VALUES ('f00000000001'); \
             CREATE TABLE other_table (x INT);",
        );
        let role = db.role("noread", SECRET);
        db.exec(&format!("GRANT SELECT ON other_table TO {role}"));
        let before = db.tables();
        let dir = project(&db.url_as("postgresql+psycopg2", &role, Some(SECRET)));
        db_error("pg permission", dir.path(), &[], "permission-denied");
        // The message and the GRANT naming the user db-status connected as:
        // the `messages::database::db_permission_denied_postgres` snapshot.
        assert_eq!(db.tables(), before);
    }
    if let Some(mut db) = MyDb::create() {
        db.exec(
            "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY);\n\
             INSERT INTO alembic_version VALUES ('f00000000001');\n\
             CREATE TABLE other_table (x INT)",
        );
        let user = db.user("noread", SECRET);
        for host in ["%", "localhost"] {
            db.exec(&format!(
                "GRANT SELECT ON `{}`.other_table TO '{user}'@'{host}'",
                db.name
            ));
        }
        let before = db.tables();
        let dir = project(&db.url_as("mysql+pymysql", &user, Some(SECRET)));
        let c = db_error("mariadb permission", dir.path(), &[], "permission-denied");
        let m = c.message().to_lowercase();
        assert!(
            m.contains("permission") || m.contains("denied"),
            "{}",
            c.message()
        );
        assert!(m.contains("alembic_version"), "{}", c.message());
        // MySQL's form: db.table TO 'user'@'host', the account the server named.
        let grant = c.component()["recommended_actions"][0]["text"].to_string();
        assert!(
            grant.contains(&format!(
                "GRANT SELECT ON `{}`.`alembic_version` TO '{user}'@'",
                db.name
            )),
            "{grant}"
        );
        assert_eq!(db.tables(), before);
    }
}

#[test]
fn tls_required_but_unavailable() {
    if let Some(db) = MyDb::create() {
        if db.variable("have_ssl").as_deref() == Some("YES") {
            support::environment::unavailable(
                support::Need::Tls,
                "this MariaDB offers TLS (have_ssl=YES); the TLS-unavailable case needs one without",
            );
        } else {
            // mysqlclient's and PyMySQL's spellings of "TLS required".
            for url in [
                format!("{}?ssl_mode=REQUIRED", db.url("mysql")),
                format!("{}?ssl_verify_cert=false", db.url("mysql+pymysql")),
            ] {
                let dir = project(&url);
                let before = db.tables();
                let c = db_error(&url, dir.path(), &[], "tls");
                assert!(c.message().contains("TLS"), "{}", c.message());
                assert_eq!(db.tables(), before);
            }
        }
    }
    // The local PostgreSQL has TLS, so a fake server that declines the
    // SSLRequest (answers `N`) plays a server without it.
    let port = silent_listener(true);
    let dir = project(&format!(
        "postgresql://u:{SECRET}@127.0.0.1:{port}/db?sslmode=require"
    ));
    let c = db_error(
        "pg sslmode=require, server without TLS",
        dir.path(),
        &["--timeout", "2"],
        "tls",
    );
    assert!(c.message().contains("TLS"), "{}", c.message());
    assert!(
        c.human.elapsed < Duration::from_secs(5),
        "{:?}",
        c.human.elapsed
    );
}

/// A 300-character value and a value with a newline: bad data (6), with a
/// message that says what is wrong.
#[test]
fn garbage_version_num() {
    let long = "y".repeat(300);
    let check = |what: &str, dir: &Path| {
        let c = db_error(what, dir, &[], "bad-data");
        // The message: the `messages::states::db_bad_data` snapshot. It does not dump the whole 300-character value.
        assert!(!c.human.all().contains(&long), "{what}: {}", c.human.all());
    };
    if let Some(db) = PgDb::create() {
        let dir = project(&db.url_as("postgresql+psycopg2", "postgres", Some(SECRET)));
        db.exec(&format!(
            "CREATE TABLE alembic_version (version_num TEXT NOT NULL); \
             INSERT INTO alembic_version VALUES ('{long}');"
        ));
        let before = db.tables();
        check("pg 300 chars", dir.path());
        db.exec(
            "DELETE FROM alembic_version; INSERT INTO alembic_version VALUES (E'f0000000\\n0001');",
        );
        check("pg newline", dir.path());
        assert_eq!(db.tables(), before);
    }
    if let Some(db) = MyDb::create() {
        let dir = project(&db.url("mysql+pymysql"));
        db.exec(&format!(
            "CREATE TABLE alembic_version (version_num TEXT NOT NULL);\n\
             INSERT INTO alembic_version VALUES ('{long}')"
        ));
        let before = db.tables();
        check("mariadb 300 chars", dir.path());
        db.exec(
            "DELETE FROM alembic_version;\nINSERT INTO alembic_version VALUES ('f0000000\\n0001')",
        );
        check("mariadb newline", dir.path());
        assert_eq!(db.tables(), before);
    }
    let dir = project("sqlite:///%(here)s/db.sqlite");
    let c = rusqlite::Connection::open(dir.path().join("db.sqlite")).expect("sqlite");
    c.execute_batch("CREATE TABLE alembic_version (version_num TEXT NOT NULL)")
        .expect("table");
    c.execute("INSERT INTO alembic_version VALUES (?1)", [&long])
        .expect("row");
    check("sqlite 300 chars", dir.path());
    c.execute("DELETE FROM alembic_version", [])
        .expect("delete");
    c.execute("INSERT INTO alembic_version VALUES ('f0000000\n0001')", [])
        .expect("row");
    check("sqlite newline", dir.path());
}

/// A config error: state config-error, exit 7, naming the file.
fn config_error(what: &str, dir: &Path, extra: &[&str]) -> Case {
    let c = run(what, dir, extra, 7);
    assert_eq!(
        c.component()["state"],
        "config-error",
        "{what}\n{:#}",
        c.json
    );
    assert!(
        c.message().contains("alembic.ini"),
        "{what}: the message does not name the file: {}",
        c.message()
    );
    assert!(
        c.human.stdout.contains("alembic.ini"),
        "{what}\n{}",
        c.human.all()
    );
    c
}

#[test]
fn unreadable_ini() {
    // A directory where the ini should be.
    let dir = project("sqlite:///%(here)s/db.sqlite");
    let ini = dir.path().join("alembic.ini");
    std::fs::remove_file(&ini).expect("rm");
    std::fs::create_dir(&ini).expect("mkdir");
    config_error("alembic.ini is a directory", dir.path(), &[]);
    config_error(
        "-c alembic.ini is a directory",
        dir.path(),
        &["-c", "alembic.ini"],
    );

    // Invalid UTF-8 (line 3), with the password on the URL line.
    let dir = project("sqlite:///%(here)s/db.sqlite");
    let mut bytes = b"[alembic]\nscript_location = migrations\n# caf\xe9\n".to_vec();
    bytes.extend(format!("sqlalchemy.url = postgresql://u:{SECRET}@127.0.0.1:1/db\n").bytes());
    std::fs::write(dir.path().join("alembic.ini"), bytes).expect("ini");
    config_error("invalid UTF-8", dir.path(), &[]);

    // A syntax error on line 3.
    let dir = project("sqlite:///%(here)s/db.sqlite");
    std::fs::write(
        dir.path().join("alembic.ini"),
        format!(
            "[alembic]\nscript_location = migrations\nthis line is not a key value\nsqlalchemy.url = postgresql://u:{SECRET}@127.0.0.1:1/db\n"
        ),
    )
    .expect("ini");
    config_error("syntax error", dir.path(), &[]);
    // The messages, naming the line: the `messages::config::cfg_ini_*` snapshots.
}
