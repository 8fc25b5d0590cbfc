//! `read_version_rows` against the real local MariaDB/MySQL
//! (`DB_STATUS_TEST_MYSQL_URL`, default `mysql://root@127.0.0.1:3306/test`).
//! Each test creates its own database (and users) and drops them after, and
//! checks the read changed nothing. An unreachable server, a MariaDB that
//! offers TLS (for the no-TLS case) or a missing socket fail the test unless
//! skipped by name (`DB_STATUS_TEST_SKIP=mysql,tls,socket`, see
//! `tests/environment`).

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use db_status::database::{
    DbError, DbErrorKind, DbUrl, VersionRows, VersionTable, read_version_rows,
};
use mysql::prelude::Queryable;

use crate::support::environment;
use environment::Need;

const SECRET: &str = "Zq9-very-secret-pw";
const T: Duration = Duration::from_secs(5);

fn admin_url() -> DbUrl {
    let text = environment::admin_url(Need::Mysql);
    DbUrl::parse(&text).unwrap_or_else(|e| panic!("bad DB_STATUS_TEST_MYSQL_URL: {e}"))
}

fn connect(url: &DbUrl, db: Option<&str>) -> Result<mysql::Conn, mysql::Error> {
    let opts = mysql::OptsBuilder::new()
        .ip_or_hostname(Some(url.host.clone().unwrap_or_else(|| "127.0.0.1".into())))
        .tcp_port(url.port.unwrap_or(3306))
        .user(url.username.clone())
        .pass(url.password.clone())
        .db_name(db.map(str::to_string))
        .prefer_socket(false)
        .tcp_connect_timeout(Some(Duration::from_secs(5)));
    mysql::Conn::new(opts)
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

struct TestDb {
    admin: DbUrl,
    name: String,
    users: Vec<String>,
}

impl TestDb {
    fn create() -> Option<TestDb> {
        let admin = admin_url();
        let mut conn = match connect(&admin, None) {
            Ok(c) => c,
            Err(e) => {
                environment::service_down(Need::Mysql, &e);
                return None;
            }
        };
        let name = format!(
            "dbs_test_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst)
        );
        if let Err(e) = conn.query_drop(format!("CREATE DATABASE `{name}`")) {
            panic!("cannot create {name}: {e}");
        }
        Some(TestDb {
            admin,
            name,
            users: Vec::new(),
        })
    }

    fn exec(&self, sql: &str) {
        let mut conn = connect(&self.admin, Some(&self.name)).unwrap_or_else(|e| panic!("{e}"));
        for stmt in sql.split(";\n") {
            if let Err(e) = conn.query_drop(stmt) {
                panic!("setup SQL failed: {stmt}: {e}");
            }
        }
    }

    fn url_as(&self, user: &str, password: &str, query: &str) -> DbUrl {
        let host = self.admin.host.as_deref().unwrap_or("127.0.0.1");
        let port = self.admin.port.unwrap_or(3306);
        let auth = if password.is_empty() {
            user.to_string()
        } else {
            format!("{user}:{password}")
        };
        DbUrl::parse(&format!(
            "mysql+pymysql://{auth}@{host}:{port}/{}{query}",
            self.name
        ))
        .unwrap_or_else(|e| panic!("{e}"))
    }

    fn url(&self, query: &str) -> DbUrl {
        let user = self.admin.username.clone().unwrap_or_else(|| "root".into());
        let pw = self.admin.password.clone().unwrap_or_default();
        self.url_as(&user, &pw, query)
    }

    fn user(&mut self, suffix: &str, password: &str) -> String {
        let user = format!("{}_{suffix}", self.name);
        self.exec(&format!(
            "CREATE USER '{user}'@'%' IDENTIFIED BY '{password}'"
        ));
        self.exec(&format!(
            "CREATE USER '{user}'@'localhost' IDENTIFIED BY '{password}'"
        ));
        self.users.push(user.clone());
        user
    }

    fn snapshot(&self) -> Vec<String> {
        let mut conn = connect(&self.admin, Some(&self.name)).unwrap_or_else(|e| panic!("{e}"));
        let q = format!(
            "SELECT CONCAT(table_schema, '.', table_name) FROM information_schema.tables \
             WHERE table_schema LIKE '{}%' ORDER BY 1",
            self.name
        );
        conn.query::<String, _>(q).unwrap_or_else(|e| panic!("{e}"))
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Ok(mut c) = connect(&self.admin, None) {
            let _ = c.query_drop(format!("DROP DATABASE IF EXISTS `{}`", self.name));
            let _ = c.query_drop(format!("DROP DATABASE IF EXISTS `{}_other`", self.name));
            for u in &self.users {
                let _ = c.query_drop(format!("DROP USER IF EXISTS '{u}'@'%'"));
                let _ = c.query_drop(format!("DROP USER IF EXISTS '{u}'@'localhost'"));
            }
        }
    }
}

fn read(url: &DbUrl, table: &VersionTable) -> Result<VersionRows, DbError> {
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

fn sorted(rows: Result<VersionRows, DbError>) -> Vec<String> {
    match rows {
        Ok(VersionRows::Rows(mut r)) => {
            r.sort();
            r
        }
        other => panic!("expected rows, got {other:?}"),
    }
}

fn expect_err(r: Result<VersionRows, DbError>) -> DbError {
    match r {
        Err(e) => e,
        Ok(v) => panic!("expected an error, got {v:?}"),
    }
}

#[test]
fn no_table_empty_one_two_rows() {
    let Some(db) = TestDb::create() else { return };
    let url = db.url("");
    let before = db.snapshot();
    assert_eq!(
        read(&url, &VersionTable::default()),
        Ok(VersionRows::NoTable)
    );
    assert_eq!(db.snapshot(), before, "no version table may be created");
    db.exec("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY)");
    let before = db.snapshot();
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
fn custom_schema_and_backtick_name() {
    let Some(db) = TestDb::create() else { return };
    let other = format!("{}_other", db.name);
    db.exec(&format!(
        "CREATE DATABASE `{other}`;\nCREATE TABLE `{other}`.`ver``sions` (version_num VARCHAR(32) NOT NULL);\n\
         INSERT INTO `{other}`.`ver``sions` VALUES ('abc123')"
    ));
    let before = db.snapshot();
    let table = VersionTable {
        name: "ver`sions".into(),
        schema: Some(other.clone()),
    };
    assert_eq!(sorted(read(&db.url(""), &table)), vec!["abc123"]);
    // Missing schema (database) = missing table, as SQLAlchemy's has_table says.
    let nowhere = VersionTable {
        name: "alembic_version".into(),
        schema: Some(format!("{}_nope", db.name)),
    };
    assert_eq!(read(&db.url(""), &nowhere), Ok(VersionRows::NoTable));
    assert_eq!(db.snapshot(), before);
}

#[test]
fn wrong_password_is_auth_and_never_echoed() {
    let Some(mut db) = TestDb::create() else {
        return;
    };
    db.exec("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL);\nINSERT INTO alembic_version VALUES ('abc')");
    let user = db.user("auth", "right-pw");
    db.exec(&format!("GRANT SELECT ON `{}`.* TO '{user}'@'%'", db.name));
    db.exec(&format!(
        "GRANT SELECT ON `{}`.* TO '{user}'@'localhost'",
        db.name
    ));
    assert_eq!(
        sorted(read(
            &db.url_as(&user, "right-pw", ""),
            &VersionTable::default()
        )),
        vec!["abc"]
    );
    let err = expect_err(read(
        &db.url_as(&user, SECRET, ""),
        &VersionTable::default(),
    ));
    assert_eq!(err.kind, DbErrorKind::Auth, "{}", err.message);
    assert!(
        err.message.contains(&format!(
            "{}:{}",
            db.admin.host.as_deref().unwrap_or("127.0.0.1"),
            db.admin.port.unwrap_or(3306)
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
    db.exec(
        "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL);\n\
         CREATE TABLE other_table (x INT);\nINSERT INTO alembic_version VALUES ('abc')",
    );
    let user = db.user("noread", SECRET);
    // Access to the database, but not to the version table.
    for host in ["%", "localhost"] {
        db.exec(&format!(
            "GRANT SELECT ON `{}`.other_table TO '{user}'@'{host}'",
            db.name
        ));
    }
    let before = db.snapshot();
    let err = expect_err(read(
        &db.url_as(&user, SECRET, ""),
        &VersionTable::default(),
    ));
    assert_eq!(err.kind, DbErrorKind::PermissionDenied, "{}", err.message);
    assert!(err.message.contains("alembic_version"), "{}", err.message);
    assert_eq!(db.snapshot(), before);
}

#[test]
fn missing_database() {
    let Some(db) = TestDb::create() else { return };
    let host = db.admin.host.as_deref().unwrap_or("127.0.0.1");
    let port = db.admin.port.unwrap_or(3306);
    let user = db.admin.username.clone().unwrap_or_else(|| "root".into());
    let url = DbUrl::parse(&format!("mysql://{user}@{host}:{port}/{}_nope", db.name))
        .unwrap_or_else(|e| panic!("{e}"));
    let err = expect_err(read(&url, &VersionTable::default()));
    assert_eq!(err.kind, DbErrorKind::MissingDatabase, "{}", err.message);
    assert!(
        err.message.contains(&format!("{}_nope", db.name)),
        "{}",
        err.message
    );
}

#[test]
fn tls_required_but_unavailable() {
    let Some(db) = TestDb::create() else { return };
    let mut conn = connect(&db.admin, None).unwrap_or_else(|e| panic!("{e}"));
    let have_ssl: Option<(String, String)> = conn
        .query_first("SHOW VARIABLES LIKE 'have_ssl'")
        .unwrap_or(None);
    if have_ssl.map(|(_, v)| v == "YES").unwrap_or(false) {
        environment::unavailable(
            Need::Tls,
            "this MariaDB/MySQL offers TLS (have_ssl=YES); the TLS-unavailable case needs one without",
        );
        return;
    }
    // Each driver's spelling of "TLS required": mysqlclient's ssl_mode,
    // PyMySQL's ssl_verify_cert (which, given at all, makes TLS required).
    let pymysql = db.url("?ssl_verify_cert=false");
    let mut mysqlclient = db.url("?ssl_mode=REQUIRED");
    mysqlclient.drivername = "mysql".to_string();
    for url in [mysqlclient, pymysql] {
        let err = expect_err(read(&url, &VersionTable::default()));
        assert_eq!(err.kind, DbErrorKind::Tls, "{url:?}: {}", err.message);
    }
}

#[test]
fn garbage_version_num() {
    let Some(db) = TestDb::create() else { return };
    db.exec(&format!(
        "CREATE TABLE alembic_version (version_num TEXT);\nINSERT INTO alembic_version VALUES ('{}')",
        "y".repeat(300)
    ));
    let err = expect_err(read(&db.url(""), &VersionTable::default()));
    assert_eq!(err.kind, DbErrorKind::BadData, "{}", err.message);
    db.exec("DELETE FROM alembic_version;\nINSERT INTO alembic_version VALUES ('a\\tb')");
    let err = expect_err(read(&db.url(""), &VersionTable::default()));
    assert_eq!(err.kind, DbErrorKind::BadData, "{}", err.message);
}

#[test]
fn silent_listener_and_refused_port() {
    let Ok(listener) = std::net::TcpListener::bind("127.0.0.1:0") else {
        panic!("bind")
    };
    let port = listener.local_addr().map(|a| a.port()).unwrap_or(0);
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for s in listener.incoming().flatten() {
            held.push(s);
        }
    });
    let url = DbUrl::parse(&format!("mysql://u:{SECRET}@127.0.0.1:{port}/db"))
        .unwrap_or_else(|e| panic!("{e}"));
    let timeout = Duration::from_secs(1);
    let start = Instant::now();
    let err = expect_err(read_version_rows(&url, &VersionTable::default(), timeout));
    assert!(
        start.elapsed() < timeout + Duration::from_secs(1),
        "took {:?}",
        start.elapsed()
    );
    assert_eq!(err.kind, DbErrorKind::Timeout, "{}", err.message);
    assert!(
        err.message.contains(&format!("127.0.0.1:{port}")),
        "{}",
        err.message
    );
    assert!(!err.message.contains(SECRET));

    let closed = {
        let Ok(l) = std::net::TcpListener::bind("127.0.0.1:0") else {
            panic!("bind")
        };
        l.local_addr().map(|a| a.port()).unwrap_or(1)
    };
    let url = DbUrl::parse(&format!("mysql://u:{SECRET}@127.0.0.1:{closed}/db"))
        .unwrap_or_else(|e| panic!("{e}"));
    let err = expect_err(read(&url, &VersionTable::default()));
    assert_eq!(err.kind, DbErrorKind::Refused, "{}", err.message);
    assert!(
        err.message.contains(&format!("127.0.0.1:{closed}")),
        "{}",
        err.message
    );
}

#[test]
fn unix_socket_from_query() {
    let Some(db) = TestDb::create() else { return };
    let socket = "/run/mysqld/mysqld.sock";
    if !std::path::Path::new(socket).exists() {
        environment::unavailable(Need::Socket, format_args!("no MariaDB socket at {socket}"));
        return;
    }
    db.exec("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL);\nINSERT INTO alembic_version VALUES ('s0ck')");
    let mut db = db;
    let user = db.user("sock", SECRET);
    for host in ["%", "localhost"] {
        db.exec(&format!(
            "GRANT SELECT ON `{}`.* TO '{user}'@'{host}'",
            db.name
        ));
    }
    let url = DbUrl::parse(&format!(
        "mysql+pymysql://{user}:{SECRET}@localhost/{}?unix_socket={socket}",
        db.name
    ))
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(sorted(read(&url, &VersionTable::default())), vec!["s0ck"]);
    // A socket path where nothing listens is "refused", naming the path.
    let url = DbUrl::parse(&format!(
        "mysql://{user}@localhost/{}?unix_socket=/nonexistent/x.sock",
        db.name
    ))
    .unwrap_or_else(|e| panic!("{e}"));
    let err = expect_err(read(&url, &VersionTable::default()));
    assert_eq!(err.kind, DbErrorKind::Refused, "{}", err.message);
    assert!(
        err.message.contains("/nonexistent/x.sock"),
        "{}",
        err.message
    );
}
