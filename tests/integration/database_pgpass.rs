//! Where a PostgreSQL password comes from when the URL has none: `PGPASSWORD`,
//! then the `.pgpass` file (`PGPASSFILE`), ignored when others can read it.
//! The local server trusts everyone, so a fake server on 127.0.0.1 asks for a
//! cleartext password, records what it gets and refuses it (SQLSTATE 28P01).
//!
//! The test sets process environment variables, so it runs its body in a
//! test process of its own (the suite is one binary; `cargo test` runs its
//! tests as threads of one process).

use std::time::Duration;

use crate::support::FakePostgres;
use db_status::database::{DbErrorKind, DbUrl, VersionTable, read_version_rows};

/// Set in the child process that runs the test's body alone.
const ALONE: &str = "DB_STATUS_TEST_PGPASS_ALONE";

/// Re-run this test by itself in a new process of the test binary; true
/// when the caller is that process and should do the work.
fn in_own_process() -> bool {
    if std::env::var_os(ALONE).is_some() {
        return true;
    }
    let exe = std::env::current_exe().unwrap_or_else(|e| panic!("{e}"));
    let name = "database_pgpass::password_sources_in_libpq_order";
    let out = std::process::Command::new(exe)
        .args([name, "--exact", "--nocapture", "--test-threads", "1"])
        .env(ALONE, "1")
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    // A filter that matched nothing would pass too: insist on one test run.
    assert!(
        out.status.success() && stdout.contains("1 passed"),
        "{name} in its own process:\n{stdout}\n{stderr}"
    );
    false
}

fn set(key: &str, value: Option<&str>) {
    // SAFETY: only called in the process of `in_own_process`, which runs this
    // one test and no other thread that reads the environment.
    unsafe {
        match value {
            Some(v) => std::env::set_var(key, v),
            None => std::env::remove_var(key),
        }
    }
}

#[test]
fn password_sources_in_libpq_order() {
    use std::os::unix::fs::PermissionsExt;
    if !in_own_process() {
        return;
    }
    let fake = FakePostgres::start();
    let port = fake.port;
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let pgpass = dir.path().join("pgpass");
    let text = format!(
        "# other hosts first\nother:{port}:db:u:wrong\n127.0.0.1:{port}:db:u:from\\:pgpass\n*:*:*:*:catch-all\n"
    );
    std::fs::write(&pgpass, text).unwrap_or_else(|e| panic!("{e}"));
    std::fs::set_permissions(&pgpass, std::fs::Permissions::from_mode(0o600))
        .unwrap_or_else(|e| panic!("{e}"));
    set("PGPASSFILE", pgpass.to_str());
    set("PGPASSWORD", None);
    set("PGUSER", None);

    let read = |url: &str| {
        let url = DbUrl::parse(url).unwrap_or_else(|e| panic!("{e}"));
        let r = read_version_rows(&url, &VersionTable::default(), Duration::from_secs(5));
        let err = r
            .err()
            .unwrap_or_else(|| panic!("the fake server always refuses"));
        let got = fake.next();
        (err, got)
    };

    // 1. No password in the URL: the first matching .pgpass line, unescaped.
    let (err, got) = read(&format!(
        "postgresql://u@127.0.0.1:{port}/db?sslmode=disable"
    ));
    assert_eq!(got.password.as_deref(), Some("from:pgpass"));
    assert_eq!(got.user.as_deref(), Some("u"));
    assert_eq!(got.database.as_deref(), Some("db"));
    assert_eq!(err.kind, DbErrorKind::Auth, "{}", err.message);
    assert!(!err.message.contains("from:pgpass"), "{}", err.message);
    assert!(
        err.message.contains(&format!("127.0.0.1:{port}")),
        "{}",
        err.message
    );

    // 2. PGPASSWORD comes before the file.
    set("PGPASSWORD", Some("from-env"));
    let (err, got) = read(&format!(
        "postgresql://u@127.0.0.1:{port}/db?sslmode=disable"
    ));
    assert_eq!(got.password.as_deref(), Some("from-env"));
    assert!(!err.message.contains("from-env"), "{}", err.message);

    // 3. The URL's password comes before both.
    let (err, got) = read(&format!(
        "postgresql://u:from%40url@127.0.0.1:{port}/db?sslmode=disable"
    ));
    assert_eq!(got.password.as_deref(), Some("from@url"));
    assert!(!err.message.contains("from@url"), "{}", err.message);
    set("PGPASSWORD", None);

    // 4. Defaults: PGUSER for the user, the user name for the database.
    set("PGUSER", Some("envuser"));
    let (_, got) = read(&format!("postgresql://127.0.0.1:{port}?sslmode=disable"));
    assert_eq!(got.user.as_deref(), Some("envuser"));
    assert_eq!(got.database.as_deref(), Some("envuser"));
    assert_eq!(got.password.as_deref(), Some("catch-all"));
    set("PGUSER", None);

    // 5. A file others can read is ignored (with a warning on stderr), as libpq does.
    std::fs::set_permissions(&pgpass, std::fs::Permissions::from_mode(0o644))
        .unwrap_or_else(|e| panic!("{e}"));
    let url = DbUrl::parse(&format!(
        "postgresql://u@127.0.0.1:{port}/db?sslmode=disable"
    ))
    .unwrap_or_else(|e| panic!("{e}"));
    let err = read_version_rows(&url, &VersionTable::default(), Duration::from_secs(5)).err();
    let err = err.unwrap_or_else(|| panic!("expected an error"));
    assert_eq!(err.kind, DbErrorKind::Auth, "{}", err.message);
    assert!(err.message.contains("password"), "{}", err.message);
    let got = fake.next();
    assert_eq!(
        got.password, None,
        "no password may be sent from an unsafe file"
    );
}
