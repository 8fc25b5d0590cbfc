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

use crate::support::{Project, Run, run, service_missing, sqlite_db, unique};

mod mariadb;
mod postgresql;
mod sqlite;

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

fn status(p: &Project, url: &str) -> Run {
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

fn state_of(out: &Run) -> (Option<i32>, String) {
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
fn assert_agrees_with_alembic(what: &str, p: &Project, alembic_url: &str, out: &Run) {
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
