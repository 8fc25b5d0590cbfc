//! Where `status` finds things: the halfstack fallback, project-file
//! components with `url_env` and version-table overrides, URL precedence,
//! concurrency and the timeout against a server that never answers.

use crate::support::json_schema;

use std::net::TcpListener;
use std::path::Path;
use std::time::{Duration, Instant};

use assert_cmd::Command;

fn db_status(dir: &Path) -> Command {
    let mut cmd = Command::cargo_bin("db-status").expect("binary");
    cmd.env_clear()
        .env("RUST_BACKTRACE", "0")
        .env("LANG", "C.UTF-8")
        .current_dir(dir);
    cmd
}

fn json(out: &std::process::Output) -> serde_json::Value {
    json_schema::parse(&String::from_utf8_lossy(&out.stdout))
}

/// A scripts dir `<dir>/<name>/versions` with a two-revision chain.
fn tree(dir: &Path, name: &str) {
    let v = dir.join(name).join("versions");
    std::fs::create_dir_all(&v).expect("mkdir");
    for (id, down) in [("aa0000000001", "None"), ("aa0000000002", "'aa0000000001'")] {
        std::fs::write(
            v.join(format!("{id}_x.py")),
            format!("\"\"\"rev {id}\"\"\"\nrevision = '{id}'\ndown_revision = {down}\n"),
        )
        .expect("rev");
    }
}

fn sqlite(path: &Path, table: &str, rows: &[&str]) {
    let conn = rusqlite::Connection::open(path).expect("sqlite");
    conn.execute_batch(&format!(
        "CREATE TABLE {table} (version_num VARCHAR(32) NOT NULL PRIMARY KEY);"
    ))
    .expect("table");
    for r in rows {
        conn.execute(&format!("INSERT INTO {table} VALUES (?1)"), [r])
            .expect("row");
    }
}

#[test]
fn halfstack_ini_is_used_and_said() {
    let d = tempfile::tempdir().expect("tmp");
    tree(d.path(), "mig");
    std::fs::create_dir_all(d.path().join("configs/manager")).expect("mkdir");
    std::fs::write(
        d.path().join("configs/manager/halfstack.alembic.ini"),
        "[alembic]\nscript_location = mig\nsqlalchemy.url = sqlite:///db.sqlite\n",
    )
    .expect("ini");
    sqlite(
        &d.path().join("db.sqlite"),
        "alembic_version",
        &["aa0000000002"],
    );
    let out = db_status(d.path()).output().expect("run");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(
        text.contains(
            "Note: alembic.ini not found; using the tracked configs/manager/halfstack.alembic.ini"
        ),
        "{text}"
    );
    let out = db_status(d.path())
        .args(["--all", "--format", "json"])
        .output()
        .expect("run");
    let v = json(&out);
    assert_eq!(
        v["components"][0]["config"],
        "configs/manager/halfstack.alembic.ini"
    );
}

#[test]
fn project_file_url_env_and_version_table() {
    let d = tempfile::tempdir().expect("tmp");
    tree(d.path(), "mig");
    std::fs::write(
        d.path().join("svc.ini"),
        "[alembic]\nscript_location = mig\n",
    )
    .expect("ini");
    std::fs::write(
        d.path().join("db-status.toml"),
        "[svc]\nconfig = \"svc.ini\"\nurl_env = \"SVC_DB\"\nversion_table = \"svc_version\"\n",
    )
    .expect("toml");
    let db = d.path().join("svc.sqlite");
    sqlite(&db, "svc_version", &["aa0000000001"]);
    let url = format!("sqlite:///{}", db.display());

    let out = db_status(d.path())
        .args(["--format", "json"])
        .env("SVC_DB", &url)
        .output()
        .expect("run");
    let v = json(&out);
    assert_eq!(out.status.code(), Some(1), "{v}");
    assert_eq!(v["components"][0]["name"], "svc");
    assert_eq!(v["components"][0]["pending"][0]["revision"], "aa0000000002");

    // The env var unset: a database error that names it, not a crash.
    let out = db_status(d.path())
        .args(["--format", "json"])
        .output()
        .expect("run");
    let v = json(&out);
    assert_eq!(out.status.code(), Some(6));
    assert!(
        v["components"][0]["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("SVC_DB")),
        "{v}"
    );

    // --url wins over the component's url_env.
    let other = d.path().join("other.sqlite");
    sqlite(&other, "svc_version", &["aa0000000002"]);
    let out = db_status(d.path())
        .args(["--url", &format!("sqlite:///{}", other.display())])
        .env("SVC_DB", &url)
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(0));
}

/// A server that accepts connections and never says a word.
fn silent_server() -> (TcpListener, u16) {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = l.local_addr().expect("addr").port();
    (l, port)
}

#[test]
fn hanging_databases_are_bounded_and_checked_concurrently() {
    let (listener, port) = silent_server();
    // Keep accepted sockets open (and silent) for the whole test.
    let keeper = std::thread::spawn(move || {
        let mut held = Vec::new();
        for s in listener.incoming().take(16) {
            match s {
                Ok(s) => held.push(s),
                Err(_) => break,
            }
            if held.len() >= 3 {
                std::thread::sleep(Duration::from_secs(30));
            }
        }
    });
    let d = tempfile::tempdir().expect("tmp");
    tree(d.path(), "mig");
    let mut toml = String::new();
    for name in ["one", "two", "three"] {
        std::fs::write(
            d.path().join(format!("{name}.ini")),
            format!(
                "[alembic]\nscript_location = mig\nsqlalchemy.url = postgresql://u:pw@127.0.0.1:{port}/db\n"
            ),
        )
        .expect("ini");
        toml.push_str(&format!("[{name}]\nconfig = \"{name}.ini\"\n"));
    }
    std::fs::write(d.path().join("db-status.toml"), toml).expect("toml");
    let start = Instant::now();
    let out = db_status(d.path())
        .args(["--all", "--timeout", "1", "--format", "json"])
        .timeout(Duration::from_secs(30))
        .output()
        .expect("run");
    let elapsed = start.elapsed();
    let v = json(&out);
    assert_eq!(out.status.code(), Some(6), "{v}");
    for c in v["components"].as_array().expect("components") {
        assert_eq!(c["state"], "database-error");
        assert_eq!(c["error"]["kind"], "timeout", "{c}");
    }
    // Three 1-second timeouts run side by side, not one after another.
    assert!(elapsed < Duration::from_secs(6), "took {elapsed:?}");
    drop(keeper);
}
