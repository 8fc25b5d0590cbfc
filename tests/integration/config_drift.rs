//! Config drift end to end: a Backend.AI checkout whose Alembic ini and
//! server TOML name different databases (as Backend.AI's own tracked
//! accountmgr configs do), and the manager's `BACKEND_DB_*` overrides.

use std::path::Path;

use assert_cmd::Command;

fn write(path: &Path, text: &str) {
    if let Some(p) = path.parent() {
        std::fs::create_dir_all(p).expect("mkdir");
    }
    std::fs::write(path, text).expect("write");
}

fn tree(dir: &Path, scripts: &str) {
    write(
        &dir.join(scripts).join("versions/a1_base.py"),
        "\"\"\"base\"\"\"\nrevision = 'a1'\ndown_revision = None\nbranch_labels = None\ndepends_on = None\n",
    );
}

fn notes(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> String {
    let mut cmd = Command::cargo_bin("db-status").expect("binary");
    cmd.env_clear()
        .env("LANG", "C.UTF-8")
        .env("HOME", dir)
        .current_dir(dir)
        .args(["--format", "json", "--timeout", "2"])
        .args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run");
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stderr)));
    doc["components"][0]["notes"].to_string()
}

#[test]
fn tracked_accountmgr_ini_and_toml_name_different_databases() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    write(&dir.join("py"), "");
    tree(dir, "scripts");
    write(
        &dir.join("configs/account-manager/halfstack.alembic.ini"),
        "[alembic]\nscript_location = %(here)s/../../scripts\n\
         sqlalchemy.url = postgresql://postgres:develove@127.0.0.1:1/backendaccount\n",
    );
    write(
        &dir.join("configs/account-manager/halfstack.toml"),
        "[db]\ntype = \"postgresql\"\naddr = { host = \"localhost\", port = 1 }\nname = \"backend\"\nuser = \"postgres\"\npassword = \"develove\"\n",
    );
    let n = notes(dir, &["--component", "accountmgr"], &[]);
    assert!(
        n.contains("config drift: configs/account-manager/halfstack.alembic.ini names postgresql://postgres:***@127.0.0.1:1/backendaccount, but configs/account-manager/halfstack.toml [db] names postgresql://postgres:***@localhost:1/backend (database differs)"),
        "{n}"
    );
    assert!(
        n.contains(
            "the accountmgr server connects to postgresql://postgres:***@localhost:1/backend"
        ),
        "{n}"
    );
    assert!(!n.contains("develove"), "a password was printed: {n}");

    // Agreeing files say nothing.
    write(
        &dir.join("configs/account-manager/halfstack.toml"),
        "[db]\naddr = { host = \"127.0.0.1\", port = 1 }\nname = \"backendaccount\"\nuser = \"postgres\"\n",
    );
    let n = notes(dir, &["--component", "accountmgr"], &[]);
    assert!(!n.contains("config drift"), "{n}");
}

#[test]
fn manager_env_overrides_are_what_the_server_uses() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    write(&dir.join("py"), "");
    tree(dir, "scripts");
    write(
        &dir.join("alembic.ini"),
        "[alembic]\nscript_location = scripts\nsqlalchemy.url = postgresql://postgres:pw@127.0.0.1:1/backend\n",
    );
    write(
        &dir.join("manager.toml"),
        "[db]\naddr = { host = \"127.0.0.1\", port = 1 }\nname = \"backend\"\nuser = \"postgres\"\npassword = \"pw\"\n",
    );
    assert!(!notes(dir, &[], &[]).contains("config drift"));
    let n = notes(
        dir,
        &[],
        &[
            ("BACKEND_DB_NAME", "prod_backend"),
            ("BACKEND_DB_PASSWORD", "s3cret"),
        ],
    );
    assert!(
        n.contains("manager.toml [db] with BACKEND_DB_NAME, BACKEND_DB_PASSWORD from the environment names postgresql://postgres:***@127.0.0.1:1/prod_backend (database differs)"),
        "{n}"
    );
    assert!(!n.contains("s3cret"), "a password was printed: {n}");

    // Outside a Backend.AI checkout there is no server config to compare with.
    std::fs::remove_file(dir.join("py")).expect("rm");
    let n = notes(dir, &[], &[("BACKEND_DB_NAME", "prod_backend")]);
    assert!(!n.contains("config drift"), "{n}");
}
