//! `status` against the machine's PostgreSQL (127.0.0.1:5432, user postgres,
//! or `DB_STATUS_TEST_POSTGRES_URL`): a version table in a custom schema set
//! through db-status.toml, and a read that leaves the database untouched.
//! Each test creates its own database and drops it afterwards.

use crate::support::json_schema;

use std::path::Path;

use assert_cmd::Command;

fn admin_url() -> String {
    std::env::var("DB_STATUS_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgresql://postgres@127.0.0.1:5432/postgres".to_string())
}

fn admin() -> postgres::Client {
    let url = admin_url();
    postgres::Client::connect(&url, postgres::NoTls).unwrap_or_else(|e| {
        panic!(
            "PostgreSQL is not reachable at {url} ({e}); start it or set DB_STATUS_TEST_POSTGRES_URL"
        )
    })
}

/// A uniquely named database, dropped on drop.
struct TempDb {
    name: String,
}

impl TempDb {
    fn new() -> TempDb {
        let name = format!(
            "db_status_status_{}_{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0)
        );
        admin()
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .expect("create db");
        TempDb { name }
    }

    fn url(&self) -> String {
        let base = admin_url();
        let cut = base.rfind('/').map_or(base.len(), |i| i + 1);
        format!("{}{}", &base[..cut], self.name)
    }

    fn client(&self) -> postgres::Client {
        postgres::Client::connect(&self.url(), postgres::NoTls).expect("connect")
    }
}

impl Drop for TempDb {
    fn drop(&mut self) {
        let _ = admin().batch_execute(&format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            self.name
        ));
    }
}

fn tree(dir: &Path) {
    let v = dir.join("mig/versions");
    std::fs::create_dir_all(&v).expect("mkdir");
    for (id, down) in [
        ("bb0000000001", "None"),
        ("bb0000000002", "'bb0000000001'"),
        ("bb0000000003", "'bb0000000002'"),
    ] {
        std::fs::write(
            v.join(format!("{id}_x.py")),
            format!("\"\"\"step {id}\"\"\"\nrevision = '{id}'\ndown_revision = {down}\n"),
        )
        .expect("rev");
    }
}

#[test]
fn postgres_version_table_in_a_custom_schema() {
    let db = TempDb::new();
    let mut c = db.client();
    c.batch_execute(
        "CREATE SCHEMA ops; \
         CREATE TABLE ops.svc_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY); \
         INSERT INTO ops.svc_version VALUES ('bb0000000001');",
    )
    .expect("setup");

    let d = tempfile::tempdir().expect("tmp");
    tree(d.path());
    std::fs::write(
        d.path().join("alembic.ini"),
        format!(
            "[alembic]\nscript_location = mig\nsqlalchemy.url = {}\n",
            db.url()
        ),
    )
    .expect("ini");
    std::fs::write(
        d.path().join("db-status.toml"),
        "[svc]\nconfig = \"alembic.ini\"\nversion_table = \"svc_version\"\nversion_table_schema = \"ops\"\n",
    )
    .expect("toml");

    let out = Command::cargo_bin("db-status")
        .expect("binary")
        .env_clear()
        .current_dir(d.path())
        .args(["--format", "json"])
        .output()
        .expect("run");
    let v = json_schema::parse(&String::from_utf8_lossy(&out.stdout));
    assert_eq!(out.status.code(), Some(1), "{v}");
    let comp = &v["components"][0];
    assert_eq!(comp["state"], "behind");
    assert_eq!(comp["pending_count"], 2);
    assert_eq!(comp["current"][0]["revision"], "bb0000000001");

    // Without the schema override the default alembic_version is absent: a fresh database.
    std::fs::remove_file(d.path().join("db-status.toml")).expect("rm");
    let out = Command::cargo_bin("db-status")
        .expect("binary")
        .env_clear()
        .current_dir(d.path())
        .output()
        .expect("run");
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );

    // Read-only: nothing was created.
    let n: i64 = c
        .query_one(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'alembic_version'",
            &[],
        )
        .expect("count")
        .get(0);
    assert_eq!(n, 0);
}
