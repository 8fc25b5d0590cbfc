//! `read_version_rows` against the real local PostgreSQL
//! (`DB_STATUS_TEST_POSTGRES_URL`, default
//! `postgresql://postgres@127.0.0.1:5432/postgres`). Each test creates its
//! own database and drops it after; every test checks the database is
//! unchanged by the read. An unreachable server, a missing socket or a
//! server with `ssl=off` fail the test unless skipped by name
//! (`DB_STATUS_TEST_SKIP=postgres,socket,tls`, see `tests/environment`).
//!
//! The local server uses `trust` authentication, so wrong passwords cannot be
//! tested here; `database_mysql.rs` covers authentication failures.

use std::net::TcpListener;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use db_status::database::{DbErrorKind, DbUrl, VersionRows, VersionTable, read_version_rows};

use crate::support::environment;
use environment::Need;

const SECRET: &str = "Zq9-very-secret-pw";

fn admin_url() -> String {
    environment::admin_url(Need::Postgres)
}

fn config_for(url: &DbUrl, database: &str) -> postgres::Config {
    let mut c = postgres::Config::new();
    c.host(url.host.as_deref().unwrap_or("127.0.0.1"))
        .port(url.port.unwrap_or(5432))
        .user(url.username.as_deref().unwrap_or("postgres"))
        .dbname(database)
        .connect_timeout(Duration::from_secs(5));
    if let Some(p) = &url.password {
        c.password(p);
    }
    c
}

/// A throwaway database, dropped (with its test roles) on drop.
struct TestDb {
    admin: DbUrl,
    name: String,
    roles: Vec<String>,
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

impl TestDb {
    fn create() -> Option<TestDb> {
        let admin = match DbUrl::parse(&admin_url()) {
            Ok(u) => u,
            Err(e) => panic!("bad DB_STATUS_TEST_POSTGRES_URL: {e}"),
        };
        let db = admin.database.clone().unwrap_or_else(|| "postgres".into());
        let mut client = match config_for(&admin, &db).connect(postgres::NoTls) {
            Ok(c) => c,
            Err(e) => {
                environment::service_down(Need::Postgres, &e);
                return None;
            }
        };
        let name = format!(
            "dbs_test_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst)
        );
        if let Err(e) = client.batch_execute(&format!("CREATE DATABASE {name}")) {
            panic!("cannot create test database {name}: {e}");
        }
        Some(TestDb {
            admin,
            name,
            roles: Vec::new(),
        })
    }

    fn client(&self) -> postgres::Client {
        match config_for(&self.admin, &self.name).connect(postgres::NoTls) {
            Ok(c) => c,
            Err(e) => panic!("cannot connect to {}: {e}", self.name),
        }
    }

    fn exec(&self, sql: &str) {
        if let Err(e) = self.client().batch_execute(sql) {
            panic!("setup SQL failed: {sql}: {e}");
        }
    }

    /// The URL of this database as db-status gets it, with a distinctive password
    /// (ignored by trust authentication) and extra query text.
    fn url(&self, user: Option<&str>, query: &str) -> DbUrl {
        let host = self.admin.host.as_deref().unwrap_or("127.0.0.1");
        let port = self.admin.port.unwrap_or(5432);
        let user = user.unwrap_or(self.admin.username.as_deref().unwrap_or("postgres"));
        let text = format!(
            "postgresql+psycopg2://{user}:{SECRET}@{host}:{port}/{}{query}",
            self.name
        );
        match DbUrl::parse(&text) {
            Ok(u) => u,
            Err(e) => panic!("{e}"),
        }
    }

    /// Every relation and every row of every version-like table: what a read must not change.
    fn snapshot(&self) -> Vec<String> {
        let mut client = self.client();
        let rows = client.query(
            "SELECT n.nspname || '.' || c.relname || ':' || c.relkind::text FROM pg_class c \
             JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') ORDER BY 1",
            &[],
        );
        match rows {
            Ok(rows) => rows.iter().map(|r| r.get::<_, String>(0)).collect(),
            Err(e) => panic!("snapshot failed: {e}"),
        }
    }

    fn role(&mut self, name: &str) -> String {
        let role = format!("{}_{name}", self.name);
        self.exec(&format!("CREATE ROLE {role} LOGIN"));
        self.roles.push(role.clone());
        role
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let db = self
            .admin
            .database
            .clone()
            .unwrap_or_else(|| "postgres".into());
        if let Ok(mut c) = config_for(&self.admin, &db).connect(postgres::NoTls) {
            let _ = c.batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ));
            for role in &self.roles {
                let _ = c.batch_execute(&format!("DROP ROLE IF EXISTS {role}"));
            }
        }
    }
}

const T: Duration = Duration::from_secs(5);

fn read(url: &DbUrl, table: &VersionTable) -> Result<VersionRows, db_status::database::DbError> {
    let r = read_version_rows(url, table, T);
    if let Err(e) = &r {
        assert!(
            !e.message.contains(SECRET),
            "password leaked: {}",
            e.message
        );
    }
    r
}

fn sorted(rows: Result<VersionRows, db_status::database::DbError>) -> Vec<String> {
    match rows {
        Ok(VersionRows::Rows(mut r)) => {
            r.sort();
            r
        }
        other => panic!("expected rows, got {other:?}"),
    }
}

#[test]
fn no_table_is_reported_and_not_created() {
    let Some(db) = TestDb::create() else { return };
    let before = db.snapshot();
    assert_eq!(
        read(&db.url(None, ""), &VersionTable::default()),
        Ok(VersionRows::NoTable)
    );
    assert_eq!(db.snapshot(), before, "the read must not create anything");
    assert!(!before.iter().any(|r| r.contains("alembic_version")));
}

#[test]
fn empty_one_and_two_rows() {
    let Some(db) = TestDb::create() else { return };
    db.exec("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY)");
    let before = db.snapshot();
    let url = db.url(None, "");
    assert_eq!(
        read(&url, &VersionTable::default()),
        Ok(VersionRows::Rows(vec![]))
    );
    db.exec("INSERT INTO alembic_version VALUES ('ae1027a6acf')");
    assert_eq!(
        sorted(read(&url, &VersionTable::default())),
        vec!["ae1027a6acf"]
    );
    db.exec("INSERT INTO alembic_version VALUES ('not_hex-2')");
    assert_eq!(
        sorted(read(&url, &VersionTable::default())),
        vec!["ae1027a6acf", "not_hex-2"]
    );
    assert_eq!(db.snapshot(), before);
}

#[test]
fn custom_schema_and_name_with_quotes() {
    let Some(db) = TestDb::create() else { return };
    db.exec(
        "CREATE SCHEMA \"my \"\"schema\"; \
         CREATE TABLE \"my \"\"schema\".\"ver\"\"sions\" (version_num VARCHAR(32) NOT NULL); \
         INSERT INTO \"my \"\"schema\".\"ver\"\"sions\" VALUES ('abc123')",
    );
    let before = db.snapshot();
    let table = VersionTable {
        name: "ver\"sions".into(),
        schema: Some("my \"schema".into()),
    };
    let url = db.url(None, "");
    assert_eq!(sorted(read(&url, &table)), vec!["abc123"]);
    // Not on the search_path: invisible without the schema, like SQLAlchemy's has_table.
    let unqualified = VersionTable {
        name: "ver\"sions".into(),
        schema: None,
    };
    assert_eq!(read(&url, &unqualified), Ok(VersionRows::NoTable));
    // A missing schema is a missing table, not an error.
    let nowhere = VersionTable {
        name: "alembic_version".into(),
        schema: Some("nope".into()),
    };
    assert_eq!(read(&url, &nowhere), Ok(VersionRows::NoTable));
    assert_eq!(db.snapshot(), before);
}

#[test]
fn unix_socket_and_tls() {
    let Some(db) = TestDb::create() else { return };
    db.exec("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL); INSERT INTO alembic_version VALUES ('s0ck3t')");
    let before = db.snapshot();
    let socket_dir = "/var/run/postgresql";
    if std::path::Path::new(socket_dir)
        .join(".s.PGSQL.5432")
        .exists()
        && db.admin.port.unwrap_or(5432) == 5432
    {
        let url = DbUrl::parse(&format!(
            "postgresql://postgres@/{}?host={socket_dir}",
            db.name
        ));
        let url = url.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(sorted(read(&url, &VersionTable::default())), vec!["s0ck3t"]);
    } else {
        environment::unavailable(
            Need::Socket,
            format_args!("no PostgreSQL socket in {socket_dir} for the server on port 5432"),
        );
        return;
    }
    let mut admin = db.client();
    let ssl_on = admin
        .query_one("SHOW ssl", &[])
        .map(|r| r.get::<_, String>(0) == "on")
        .unwrap_or(false);
    if ssl_on {
        // require: encrypted, certificate not checked (self-signed snakeoil works).
        let url = db.url(None, "?sslmode=require");
        assert_eq!(sorted(read(&url, &VersionTable::default())), vec!["s0ck3t"]);
        // verify-full: the self-signed certificate is refused.
        let url = db.url(None, "?sslmode=verify-full");
        let err = read(&url, &VersionTable::default()).err();
        assert_eq!(
            err.as_ref().map(|e| e.kind),
            Some(DbErrorKind::Tls),
            "{err:?}"
        );
    } else {
        environment::unavailable(
            Need::Tls,
            "the test PostgreSQL has ssl=off; the TLS success path needs ssl=on",
        );
        return;
    }
    assert_eq!(db.snapshot(), before);
}

/// A fake server that answers the SSLRequest with `N` (no TLS).
#[test]
fn tls_required_but_server_has_none() {
    let Ok(listener) = TcpListener::bind("127.0.0.1:0") else {
        panic!("cannot bind a local port");
    };
    let port = listener.local_addr().map(|a| a.port()).unwrap_or(0);
    std::thread::spawn(move || {
        use std::io::{Read, Write};
        for mut stream in listener.incoming().flatten() {
            let mut buf = [0u8; 8];
            if stream.read_exact(&mut buf).is_ok() {
                let _ = stream.write_all(b"N");
            }
            std::thread::sleep(Duration::from_secs(2));
        }
    });
    let url = DbUrl::parse(&format!(
        "postgresql://u:{SECRET}@127.0.0.1:{port}/db?sslmode=require"
    ));
    let url = url.unwrap_or_else(|e| panic!("{e}"));
    let err = read(&url, &VersionTable::default()).err();
    let Some(err) = err else {
        panic!("expected an error")
    };
    assert_eq!(err.kind, DbErrorKind::Tls, "{}", err.message);
    assert!(
        err.message.contains("does not support TLS"),
        "{}",
        err.message
    );
    assert!(
        err.message.contains(&format!("127.0.0.1:{port}")),
        "{}",
        err.message
    );
}

#[test]
fn missing_database() {
    let Some(db) = TestDb::create() else { return };
    let url = DbUrl::parse(&format!(
        "postgresql://postgres:{SECRET}@{}:{}/{}_nope",
        db.admin.host.as_deref().unwrap_or("127.0.0.1"),
        db.admin.port.unwrap_or(5432),
        db.name
    ));
    let url = url.unwrap_or_else(|e| panic!("{e}"));
    let err = read(&url, &VersionTable::default()).err();
    let Some(err) = err else {
        panic!("expected an error")
    };
    assert_eq!(err.kind, DbErrorKind::MissingDatabase, "{}", err.message);
    assert!(
        err.message.contains(&format!("{}_nope", db.name)),
        "{}",
        err.message
    );
    assert!(
        err.message.contains(&format!(
            "{}:{}",
            db.admin.host.as_deref().unwrap_or("127.0.0.1"),
            db.admin.port.unwrap_or(5432)
        )),
        "{}",
        err.message
    );
}

#[test]
fn permission_denied_on_the_table() {
    let Some(mut db) = TestDb::create() else {
        return;
    };
    db.exec("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL); INSERT INTO alembic_version VALUES ('abc')");
    let role = db.role("noread");
    db.exec(&format!("REVOKE ALL ON alembic_version FROM {role}"));
    let before = db.snapshot();
    let err = read(&db.url(Some(&role), ""), &VersionTable::default()).err();
    let Some(err) = err else {
        panic!("expected an error")
    };
    assert_eq!(err.kind, DbErrorKind::PermissionDenied, "{}", err.message);
    assert!(err.message.contains("alembic_version"), "{}", err.message);
    assert_eq!(db.snapshot(), before);
}

#[test]
fn garbage_and_overlong_version_num() {
    let Some(db) = TestDb::create() else { return };
    db.exec("CREATE TABLE alembic_version (version_num TEXT)");
    let url = db.url(None, "");
    db.exec(&format!(
        "INSERT INTO alembic_version VALUES ('{}')",
        "x".repeat(300)
    ));
    let err = read(&url, &VersionTable::default()).err();
    assert_eq!(err.map(|e| e.kind), Some(DbErrorKind::BadData));
    db.exec("DELETE FROM alembic_version; INSERT INTO alembic_version VALUES (E'ab\\ncd')");
    let err = read(&url, &VersionTable::default()).err();
    assert_eq!(err.map(|e| e.kind), Some(DbErrorKind::BadData));
    db.exec("DELETE FROM alembic_version; INSERT INTO alembic_version VALUES (NULL)");
    let err = read(&url, &VersionTable::default()).err();
    assert_eq!(err.map(|e| e.kind), Some(DbErrorKind::BadData));
}

#[test]
fn refused_port_is_quick_and_named() {
    let port = {
        let Ok(l) = TcpListener::bind("127.0.0.1:0") else {
            panic!("cannot bind")
        };
        l.local_addr().map(|a| a.port()).unwrap_or(1)
    };
    let url = DbUrl::parse(&format!(
        "postgresql://u:{SECRET}@127.0.0.1:{port}/db?sslmode=disable"
    ));
    let url = url.unwrap_or_else(|e| panic!("{e}"));
    let start = Instant::now();
    let err = read(&url, &VersionTable::default()).err();
    let Some(err) = err else {
        panic!("expected an error")
    };
    assert_eq!(err.kind, DbErrorKind::Refused, "{}", err.message);
    assert!(
        err.message.contains(&format!("127.0.0.1:{port}")),
        "{}",
        err.message
    );
    assert!(start.elapsed() < T, "took {:?}", start.elapsed());
}

#[test]
fn silent_listener_times_out_in_bounded_time() {
    let Ok(listener) = TcpListener::bind("127.0.0.1:0") else {
        panic!("cannot bind")
    };
    let port = listener.local_addr().map(|a| a.port()).unwrap_or(0);
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().flatten() {
            held.push(stream);
        }
    });
    let url = DbUrl::parse(&format!("postgresql://u:{SECRET}@127.0.0.1:{port}/db"));
    let url = url.unwrap_or_else(|e| panic!("{e}"));
    let timeout = Duration::from_secs(1);
    let start = Instant::now();
    let err = read_version_rows(&url, &VersionTable::default(), timeout).err();
    let elapsed = start.elapsed();
    let Some(err) = err else {
        panic!("expected an error")
    };
    assert_eq!(err.kind, DbErrorKind::Timeout, "{}", err.message);
    assert!(
        err.message.contains(&format!("127.0.0.1:{port}")),
        "{}",
        err.message
    );
    assert!(!err.message.contains(SECRET));
    assert!(
        elapsed < timeout + Duration::from_secs(1),
        "took {elapsed:?}"
    );
}

#[test]
fn unknown_host() {
    let url = DbUrl::parse(&format!(
        "postgresql://u:{SECRET}@no-such-host.invalid:5432/db"
    ));
    let url = url.unwrap_or_else(|e| panic!("{e}"));
    let err = read(&url, &VersionTable::default()).err();
    let Some(err) = err else {
        panic!("expected an error")
    };
    // Without DNS in the sandbox resolution may also time out; both name the host.
    assert!(
        matches!(err.kind, DbErrorKind::UnknownHost | DbErrorKind::Timeout),
        "{:?}: {}",
        err.kind,
        err.message
    );
    assert!(
        err.message.contains("no-such-host.invalid"),
        "{}",
        err.message
    );
}
