//! One snapshot per database error kind, against the local servers and
//! against fake, silent and closed ports.

use super::scene::{STATUS_FORMS, Scene, address, at_server, snap};
use crate::support::{self, Need, PgDb, UrlParts};

// ------------------------------------------------------- database errors

#[test]
fn db_no_url() {
    let s = Scene::project("");
    s.rev("1a2b3c4d5e01", "None", "create users");
    snap!("db_no_url", s, &[], &STATUS_FORMS, 6);
}

#[test]
fn db_bad_url() {
    let s = Scene::linear();
    let args = ["--url", "oracle://u:s3cret@db.example:1521/x"];
    snap!("db_bad_url", s, &args, &STATUS_FORMS, 6);
}

#[test]
fn db_refused() {
    let port = support::refused_port();
    for (name, scheme) in [
        ("db_refused_postgres", "postgresql"),
        ("db_refused_mysql", "mysql+pymysql"),
    ] {
        let s = Scene::linear().redact(format!(":{port}"), ":[PORT]");
        let url = format!("{scheme}://u:s3cret@127.0.0.1:{port}/db");
        snap!(name, s, &["--url", &url], &STATUS_FORMS, 6);
    }
}

#[test]
fn db_timeout_on_a_listener_that_never_answers() {
    let hole = support::BlackHole::start();
    for (name, scheme) in [
        ("db_timeout_postgres", "postgresql"),
        ("db_timeout_mysql", "mysql"),
    ] {
        let s = Scene::linear().redact(format!(":{}", hole.port), ":[PORT]");
        let url = format!("{scheme}://u:s3cret@127.0.0.1:{}/db", hole.port);
        let args = ["--url", &url, "--timeout", "1"];
        snap!(name, s, &args, &STATUS_FORMS, 6);
    }
}

#[test]
fn db_unknown_host() {
    let s = Scene::linear();
    let args = [
        "--url",
        "postgresql://u:s3cret@no-such-host.invalid/db",
        "--timeout",
        "5",
    ];
    // The resolver's own words differ between systems.
    let text = s.transcript(&args, &STATUS_FORMS, 6);
    let resolver =
        regex::Regex::new(r"failed to lookup address information: [^)]*").expect("regex");
    let text = resolver.replace_all(&text, "failed to lookup address information: [RESOLVER]");
    crate::messages::scene::assert_text!("db_unknown_host", text);
}

#[test]
fn db_auth_wrong_password_postgres() {
    let fake = support::FakePostgres::start();
    let s = Scene::linear().redact(format!(":{}", fake.port), ":[PORT]");
    let url = format!("postgresql://app:s3cret@127.0.0.1:{}/db", fake.port);
    snap!(
        "db_auth_wrong_password_postgres",
        s,
        &["--url", &url],
        &STATUS_FORMS,
        6
    );
}

#[test]
fn db_auth_unknown_user() {
    let (s, server) = at_server(Need::Postgres, 5432);
    let addr = address(&server);
    let url = format!("postgresql://no_such_role@{addr}/postgres");
    snap!(
        "db_auth_unknown_role_postgres",
        s,
        &["--url", &url],
        &STATUS_FORMS,
        6
    );
    let (s, server) = at_server(Need::Mysql, 3306);
    let addr = address(&server);
    let url = format!("mysql+pymysql://no_such_user:s3cret@{addr}/mysql");
    snap!(
        "db_auth_unknown_user_mysql",
        s,
        &["--url", &url],
        &STATUS_FORMS,
        6
    );
}

/// The admin's login as a URL gives it (`user[:password]`), and a scene
/// that hides it, as given and as db-status masks it.
fn admin_login(s: Scene, admin: &UrlParts, default_user: &str) -> (Scene, String) {
    let user = if admin.user.is_empty() {
        default_user
    } else {
        &admin.user
    };
    let login = match &admin.password {
        Some(p) => format!("{user}:{p}"),
        None => user.to_string(),
    };
    let s = s
        .redact(format!("{login}@"), "[USER]@")
        .redact(format!("{user}:***@"), "[USER]@");
    (s, login)
}

#[test]
fn db_missing_database() {
    let (s, admin) = at_server(Need::Postgres, 5432);
    let (s, login) = admin_login(s, &admin, "postgres");
    let url = format!(
        "postgresql://{login}@{}/db_status_no_such_database",
        address(&admin)
    );
    snap!(
        "db_missing_database_postgres",
        s,
        &["--url", &url],
        &STATUS_FORMS,
        6
    );

    let (s, admin) = at_server(Need::Mysql, 3306);
    let (s, login) = admin_login(s, &admin, "root");
    let url = format!(
        "mysql+pymysql://{login}@{}/db_status_no_such_database",
        address(&admin)
    );
    snap!(
        "db_missing_database_mysql",
        s,
        &["--url", &url],
        &STATUS_FORMS,
        6
    );
}

#[test]
fn db_tls_certificate_not_verifiable() {
    let (s, server) = at_server(Need::Postgres, 5432);
    let addr = address(&server);
    let url = format!("postgresql://postgres@{addr}/postgres?sslmode=verify-full");
    snap!("db_tls_postgres", s, &["--url", &url], &STATUS_FORMS, 6);
}

#[test]
fn db_permission_denied_postgres() {
    let Some(mut db) = PgDb::create() else {
        return;
    };
    db.exec(
        "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY); \
         INSERT INTO alembic_version VALUES ('1a2b3c4d5e03'); \
         CREATE TABLE users (id INT);",
    );
    let role = db.role("noread", "s3cret");
    db.exec(&format!("GRANT SELECT ON users TO {role}"));
    let (s, _) = at_server(Need::Postgres, 5432);
    let s = s.redact(db.name.clone(), "[DB]");
    let url = db.url_as("postgresql", &role, Some("s3cret"));
    snap!(
        "db_permission_denied_postgres",
        s,
        &["--url", &url],
        &STATUS_FORMS,
        6
    );
}
