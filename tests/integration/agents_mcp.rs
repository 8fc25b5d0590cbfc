//! `db-status mcp` driven by a real client: the official Python MCP SDK
//! (`tests/agents/mcp_client.py`, run with `$DB_STATUS_PYTHON`, default
//! `<repo>/.venv/bin/python`; `scripts/setup-venv.sh` installs `mcp` and
//! `jsonschema`). The demo, and real PostgreSQL (behind, diverged, refused
//! connection, a black-holed port that accepts and never answers), with a
//! password that must appear in no response. PostgreSQL is the machine's
//! (`DB_STATUS_TEST_POSTGRES_URL`); an unreachable one fails the test
//! (unless `DB_STATUS_TEST_SKIP` names postgres: tests/environment).

use crate::support;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A revision file: `rev` revising `down` (a tuple for a merge).
fn revision(dir: &Path, rev: &str, down: &[&str]) {
    let down = support::python_ids(down);
    let text = format!(
        "\"\"\"step {rev}\n\nRevision ID: {rev}\n\"\"\"\nrevision = '{rev}'\ndown_revision = {down}\nbranch_labels = None\ndepends_on = None\n\n\ndef upgrade():\n    pass\n\n\ndef downgrade():\n    pass\n"
    );
    std::fs::write(dir.join(format!("{rev}_step.py")), text).expect("write revision");
}

/// A project whose `alembic.ini` (the manager component) reads `versions/`.
fn project(root: &Path, revisions: &[(&str, &[&str])]) -> PathBuf {
    let versions = root.join("migrations/versions");
    std::fs::create_dir_all(&versions).expect("mkdir");
    std::fs::write(
        root.join("alembic.ini"),
        "[alembic]\nscript_location = migrations\n",
    )
    .expect("ini");
    for (rev, down) in revisions {
        revision(&versions, rev, down);
    }
    root.to_path_buf()
}

#[test]
fn mcp_server_with_the_python_sdk() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let behind = project(
        &tmp.path().join("behind"),
        &[
            ("aaa111", &[]),
            ("bbb222", &["aaa111"]),
            ("ccc333", &["bbb222"]),
        ],
    );
    let diverged = project(
        &tmp.path().join("diverged"),
        &[
            ("aaa111", &[]),
            ("bbb222", &["aaa111"]),
            ("ddd444", &["aaa111"]),
        ],
    );
    let password = "Mcp_s3cret_agents_pw";
    // Unreachable PostgreSQL fails the test unless DB_STATUS_TEST_SKIP names it.
    let Some(mut db_behind) = support::PgDb::create() else {
        return;
    };
    let Some(mut db_diverged) = support::PgDb::create() else {
        return;
    };
    for (db, at) in [(&db_behind, "aaa111"), (&db_diverged, "aaa111")] {
        db.exec(&format!(
            "CREATE TABLE alembic_version (version_num VARCHAR(32) PRIMARY KEY); \
             INSERT INTO alembic_version VALUES ('{at}')"
        ));
    }
    let role_b = db_behind.role("mcp", password);
    let role_d = db_diverged.role("mcp", password);
    for (db, role) in [(&db_behind, &role_b), (&db_diverged, &role_d)] {
        db.exec(&format!(
            "GRANT SELECT ON alembic_version TO {role}; GRANT USAGE ON SCHEMA public TO {role}"
        ));
    }
    let url_behind = db_behind.url_as("postgresql", &role_b, Some(password));
    let url_diverged = db_diverged.url_as("postgresql+asyncpg", &role_d, Some(password));

    // Refused: a port that was just free. Black-holed: accepts, never answers.
    let refused_port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let hole = TcpListener::bind("127.0.0.1:0").expect("bind");
    let hole_port = hole.local_addr().expect("addr").port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for conn in hole.incoming() {
            held.push(conn);
        }
    });

    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let cfg = serde_json::json!({
        "binary": env!("CARGO_BIN_EXE_db-status"),
        "schema": repo.join("docs/status.schema.json"),
        "demo": repo.join("examples/backend-ai"),
        "pg_behind": behind,
        "pg_diverged": diverged,
        "pg_url_behind": url_behind,
        "pg_url_diverged": url_diverged,
        "refused_url": format!("postgresql://{role_b}:{password}@127.0.0.1:{refused_port}/x"),
        "blackhole_url": format!("postgresql://{role_b}:{password}@127.0.0.1:{hole_port}/x"),
        "password": password,
        "stderr_log": tmp.path().join("server-stderr.log"),
    });
    let python = support::python();
    let out = Command::new(&python)
        .arg(repo.join("tests/agents/mcp_client.py"))
        .arg(cfg.to_string())
        .env_remove("DB_STATUS_URL")
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "cannot run {} ({e}); run scripts/setup-venv.sh or set DB_STATUS_PYTHON",
                python.display()
            )
        });
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!("{stdout}");
    assert!(
        out.status.success() && stdout.contains("all MCP checks passed"),
        "the MCP client's checks failed:\n{stdout}\n{stderr}"
    );
}
