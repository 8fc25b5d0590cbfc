//! Targets resolved right for real deployments (issue 8), end to end:
//! one URL per component (`--url NAME=URL`, `DB_STATUS_URL_<NAME>`, a bare
//! URL with several components refused), where every URL came from, the
//! wrong database (another component's revision, compared with real
//! Alembic), advice that can be pasted, the project root found from a
//! subdirectory, and the tracked-config note said once.

use crate::support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::support::{PgDb, Run, alembic_bin};

const LIMIT: Duration = Duration::from_secs(30);

/// Write a revision chain `ids` into `<dir>/<scripts>/versions`.
fn chain(dir: &Path, scripts: &str, ids: &[&str]) {
    let versions = dir.join(scripts).join("versions");
    std::fs::create_dir_all(&versions).expect("mkdir");
    let mut down = "None".to_string();
    for id in ids {
        std::fs::write(
            versions.join(format!("{id}_rev.py")),
            format!(
                "\"\"\"rev {id}\n\nRevision ID: {id}\nCreate Date: 2026-01-01 00:00:00\n\"\"\"\nrevision = '{id}'\ndown_revision = {down}\nbranch_labels = None\ndepends_on = None\n\n\ndef upgrade():\n    pass\n\n\ndef downgrade():\n    pass\n"
            ),
        )
        .expect("revision");
        down = format!("'{id}'");
    }
    // Alembic needs env.py and script.py.mako to run against a database.
    std::fs::write(
        dir.join(scripts).join("env.py"),
        "from alembic import context\nfrom sqlalchemy import engine_from_config, pool\n\
         config = context.config\n\
         connectable = engine_from_config(config.get_section(config.config_ini_section), prefix='sqlalchemy.', poolclass=pool.NullPool)\n\
         with connectable.connect() as connection:\n    context.configure(connection=connection)\n    with context.begin_transaction():\n        context.run_migrations()\n",
    )
    .expect("env.py");
}

fn write(path: PathBuf, text: &str) {
    if let Some(p) = path.parent() {
        std::fs::create_dir_all(p).expect("mkdir");
    }
    std::fs::write(path, text).expect("write");
}

fn sqlite(path: &Path, rows: &[&str]) {
    let c = rusqlite::Connection::open(path).expect("sqlite");
    c.execute_batch("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY)")
        .expect("table");
    for r in rows {
        c.execute("INSERT INTO alembic_version VALUES (?1)", [r])
            .expect("row");
    }
}

/// Two components in one project: `app` (alembic.ini, a1 → a2) and `audit`
/// (alembic-audit.ini, b1), each with its own SQLite database at head.
fn two_components() -> tempfile::TempDir {
    let d = tempfile::tempdir().expect("tmp");
    let p = d.path();
    chain(p, "app_migrations", &["a1a1a1a1a1a1", "a2a2a2a2a2a2"]);
    chain(p, "audit_migrations", &["b1b1b1b1b1b1"]);
    write(
        p.join("alembic.ini"),
        "[alembic]\nscript_location = app_migrations\nsqlalchemy.url = sqlite:///%(here)s/app.db\n",
    );
    write(
        p.join("alembic-audit.ini"),
        "[alembic]\nscript_location = audit_migrations\nsqlalchemy.url = sqlite:///%(here)s/audit.db\n",
    );
    write(
        p.join("db-status.toml"),
        "default = \"app\"\n[app]\nconfig = \"alembic.ini\"\n[audit]\nconfig = \"alembic-audit.ini\"\n",
    );
    sqlite(&p.join("app.db"), &["a2a2a2a2a2a2"]);
    sqlite(&p.join("audit.db"), &["b1b1b1b1b1b1"]);
    d
}

/// Run db-status in `dir` with a clean environment plus `env`.
fn run(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let start = std::time::Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_db-status"))
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("LANG", "C.UTF-8")
        .env("HOME", dir)
        .env("RUST_BACKTRACE", "0")
        .env("NO_COLOR", "1")
        .envs(env.iter().copied())
        .current_dir(dir)
        .args(args)
        .output()
        .expect("run db-status");
    let out = Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        elapsed: start.elapsed(),
        timed_out: false,
    };
    out.assert_clean(&args.join(" "));
    assert!(out.elapsed < LIMIT, "{args:?} took {:?}", out.elapsed);
    out
}

#[test]
fn one_url_is_never_every_components_database() {
    let d = two_components();
    let p = d.path();
    let app = format!("sqlite:///{}", p.join("app.db").display());
    let audit = format!("sqlite:///{}", p.join("audit.db").display());
    // A bare URL with several components: a usage error naming both fixes.
    for (args, env) in [
        (vec!["--all", "--url", app.as_str()], vec![]),
        (vec!["--all"], vec![("DB_STATUS_URL", app.as_str())]),
    ] {
        let out = run(p, &args, &env);
        assert_eq!(out.code, Some(2), "{}", out.all());
        assert!(out.stderr.contains("--url NAME=URL"), "{}", out.stderr);
        assert!(out.stderr.contains("DB_STATUS_URL_APP"), "{}", out.stderr);
        assert_eq!(out.stdout, "");
        assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
    }
    // One URL per component: flags, then the environment.
    let out = run(
        p,
        &[
            "--all",
            "--url",
            &format!("app={app}"),
            "--url",
            &format!("audit={audit}"),
            "--format",
            "json",
        ],
        &[],
    );
    assert_eq!(out.code, Some(0), "{}", out.all());
    let v = out.json();
    assert_eq!(v["components"][0]["url_source"], "flag");
    assert_eq!(v["components"][1]["url_source"], "flag");
    let out = run(
        p,
        &["--all", "--format", "json"],
        &[("DB_STATUS_URL_AUDIT", &audit)],
    );
    let v = out.json();
    assert_eq!(v["components"][0]["url_source"], "ini");
    assert_eq!(v["components"][1]["url_source"], "env");
    // Every output says where the URL came from ("Database: … (from --url)",
    // "(from DB_STATUS_URL_AUDIT)"), "Verify" repeats the same database
    // (`--url URL`, `--url audit=URL`), and a URL at another component's
    // database is fixed first: the `messages::states::state_wrong_database`,
    // `state_all_components` and `state_url_from_env` snapshots.
    let out = run(p, &["--component", "audit", "--url", &audit], &[]);
    assert_eq!(out.code, Some(0), "{}", out.all());
    // With one component DB_STATUS_URL still works.
    let out = run(
        p,
        &["--component", "audit", "--format", "json"],
        &[("DB_STATUS_URL", &audit)],
    );
    assert_eq!(out.json()["components"][0]["url_source"], "env");
}

/// `alembic current` with `ini` in `dir`: (stdout, exit code).
fn alembic_current(dir: &Path, ini: &str) -> (String, i32) {
    let out = Command::new(alembic_bin())
        .current_dir(dir)
        .env_remove("DB_STATUS_URL")
        .args(["-c", ini, "current"])
        .output()
        .expect("alembic");
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        out.status.code().unwrap_or(-1),
    )
}

fn wrong_database(p: &Path, what: &str) {
    // The app's URL points at the audit database: Alembic cannot locate b1…
    let (alembic_out, alembic_code) = alembic_current(p, "alembic.ini");
    let ours = run(p, &["current"], &[]);
    assert_eq!(
        (ours.stdout.as_str(), ours.code),
        (alembic_out.as_str(), Some(alembic_code)),
        "{what}: db-status current vs alembic current"
    );
    assert!(
        alembic_out.starts_with("FAILED: Can't locate revision identified by 'b1b1b1b1b1b1'"),
        "{alembic_out}"
    );
    // … and status says whose revision it is, and to fix the URL first.
    let out = run(p, &["--format", "json"], &[]);
    assert_eq!(out.code, Some(5), "{what}: {}", out.all());
    let c = &out.json()["components"][0];
    assert_eq!(c["error"]["kind"], "wrong-database", "{what}: {c:#}");
    assert!(
        c["error"]["message"]
            .as_str()
            .is_some_and(|m| m
                .starts_with("b1b1b1b1b1b1 is audit's head; this URL points at audit's database")),
        "{what}: {c:#}"
    );
    assert_eq!(c["pending"], serde_json::Value::Null);
    let actions = c["recommended_actions"].to_string();
    assert!(
        c["recommended_actions"][0]["text"]
            .as_str()
            .is_some_and(|t| t.starts_with("Fix the URL")),
        "{actions}"
    );
    assert!(
        !actions.contains("git pull") && !actions.contains("downgrade <rev>"),
        "{actions}"
    );
    let human = run(p, &[], &[]);
    assert!(
        human
            .stdout
            .starts_with("⛔ Database Status: Wrong database"),
        "{}",
        human.stdout
    );
}

#[test]
fn another_components_revision_is_the_wrong_database_on_sqlite() {
    let d = two_components();
    let p = d.path();
    std::fs::copy(p.join("audit.db"), p.join("app.db")).expect("copy");
    wrong_database(p, "sqlite");
}

#[test]
fn another_components_revision_is_the_wrong_database_on_postgres() {
    let Some(db) = PgDb::create() else {
        return;
    };
    let d = two_components();
    let p = d.path();
    let url = db.url("postgresql+psycopg2");
    // Both inis name the same (audit's) database; real Alembic stamps it.
    for ini in ["alembic.ini", "alembic-audit.ini"] {
        let text = std::fs::read_to_string(p.join(ini)).expect("ini");
        let text: String = text
            .lines()
            .map(|l| {
                if l.starts_with("sqlalchemy.url") {
                    format!("sqlalchemy.url = {url}\n")
                } else {
                    format!("{l}\n")
                }
            })
            .collect();
        write(p.join(ini), &text);
    }
    support::alembic(p, Some("alembic-audit.ini"), &["upgrade", "heads"]);
    wrong_database(p, "postgres");
}

/// A Backend.AI-shaped checkout without the untracked inis: the tracked
/// halfstack configs, `./py`, a `.git` root and a source tree.
fn checkout() -> tempfile::TempDir {
    let d = tempfile::tempdir().expect("tmp");
    let p = d.path();
    std::fs::create_dir_all(p.join(".git")).expect("git");
    std::fs::create_dir_all(p.join("src/ai/backend")).expect("src");
    write(p.join("py"), "#!/bin/sh\n");
    chain(p, "mgr", &["c1c1c1c1c1c1", "c2c2c2c2c2c2"]);
    chain(p, "proxy", &["d1d1d1d1d1d1"]);
    write(
        p.join("configs/manager/halfstack.alembic.ini"),
        "[alembic]\nscript_location = mgr\nsqlalchemy.url = sqlite:///var/mgr.db\n",
    );
    write(
        p.join("configs/app-proxy-coordinator/halfstack.alembic.ini"),
        "[alembic]\nscript_location = proxy\nsqlalchemy.url = sqlite:///var/proxy.db\n",
    );
    std::fs::create_dir_all(p.join("var")).expect("var");
    d
}

#[test]
fn the_project_root_is_found_from_a_subdirectory() {
    let d = checkout();
    let root = std::fs::canonicalize(d.path()).expect("canon");
    let sub = root.join("src/ai");
    let out = run(&sub, &["--all"], &[]);
    // Both components are found from src/ai, with the root as their cwd.
    assert_eq!(out.code, Some(3), "{}", out.all());
    assert!(out.stdout.contains("Component: manager"), "{}", out.stdout);
    assert!(out.stdout.contains("Component: appproxy"), "{}", out.stdout);
    // The note about the tracked configs is said once for the run.
    let notes: Vec<&str> = out
        .stdout
        .lines()
        .filter(|l| l.contains("not found; using the tracked"))
        .collect();
    assert_eq!(notes.len(), 1, "{}", out.stdout);
    assert!(
        notes[0].contains("configs/manager/halfstack.alembic.ini"),
        "{}",
        notes[0]
    );
    assert!(
        notes[0].contains("configs/app-proxy-coordinator/halfstack.alembic.ini"),
        "{}",
        notes[0]
    );
    // Commands that must run in the root say so; oneshot gets the ini it must read.
    assert!(
        out.stdout.contains(
            "cd ../.. && ./backend.ai mgr schema oneshot -f configs/manager/halfstack.alembic.ini"
        ),
        "{}",
        out.stdout
    );
    let v = run(&sub, &["--all", "--format", "json"], &[]).json();
    assert_eq!(v["working_directory"], root.display().to_string());
    assert_eq!(
        v["components"][0]["recommended_actions"][0]["command"],
        serde_json::json!([
            "./backend.ai",
            "mgr",
            "schema",
            "oneshot",
            "-f",
            "configs/manager/halfstack.alembic.ini"
        ])
    );
    // The Alembic-compatible commands read what Alembic reads, and say
    // which tracked config to use instead of Alembic's bare message.
    let out = run(&root, &["heads"], &[]);
    assert_eq!(out.code, Some(255), "{}", out.all());
    assert_eq!(
        out.stdout,
        "FAILED: No 'script_location' key found in configuration.\n"
    );
    assert!(
        out.stderr.contains("hint: there is no alembic.ini here, but this checkout tracks configs/manager/halfstack.alembic.ini"),
        "{}",
        out.stderr
    );
    let out = run(&sub, &["heads", "--component", "manager"], &[]);
    assert_eq!(
        (out.stdout.as_str(), out.code),
        ("c2c2c2c2c2c2 (head)\n", Some(0)),
        "{}",
        out.all()
    );
    // A repository root stops the search: a subdirectory of an unrelated
    // repository inside the checkout finds nothing.
    std::fs::create_dir_all(root.join("vendor/lib/.git")).expect("git");
    std::fs::create_dir_all(root.join("vendor/lib/x")).expect("mkdir");
    let out = run(&root.join("vendor/lib/x"), &["--all"], &[]);
    assert_eq!(out.code, Some(7), "{}", out.all());
}

#[test]
fn advice_warns_about_env_py_before_the_command_it_qualifies() {
    let d = two_components();
    let p = d.path();
    let fresh = format!("sqlite:///{}", p.join("fresh.db").display());
    let out = run(
        p,
        &["--component", "app", "--url", &fresh, "--format", "json"],
        &[],
    );
    assert_eq!(out.code, Some(3), "{}", out.all());
    let actions = out.json()["components"][0]["recommended_actions"].clone();
    let texts: Vec<&str> = actions
        .as_array()
        .expect("actions")
        .iter()
        .filter_map(|a| a["text"].as_str())
        .collect();
    let warning = texts
        .iter()
        .position(|t| t.contains("env.py"))
        .expect("env.py warning");
    let upgrade = texts
        .iter()
        .position(|t| t.contains("upgrade heads"))
        .expect("upgrade");
    assert!(warning < upgrade, "{texts:#?}");
    assert!(!p.join("fresh.db").exists(), "the SQLite file was created");
}

#[test]
fn alembic_commands_read_the_components_version_table() {
    let d = tempfile::tempdir().expect("tmp");
    let p = d.path();
    chain(p, "svc_migrations", &["e1e1e1e1e1e1", "e2e2e2e2e2e2"]);
    write(
        p.join("alembic.ini"),
        "[alembic]\nscript_location = svc_migrations\nsqlalchemy.url = sqlite:///%(here)s/svc.db\n",
    );
    write(
        p.join("db-status.toml"),
        "[svc]\nconfig = \"alembic.ini\"\nversion_table = \"svc_version\"\n",
    );
    let c = rusqlite::Connection::open(p.join("svc.db")).expect("sqlite");
    c.execute_batch(
        "CREATE TABLE svc_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY); \
         INSERT INTO svc_version VALUES ('e1e1e1e1e1e1');",
    )
    .expect("table");
    let out = run(p, &["current", "--component", "svc"], &[]);
    assert_eq!(
        (out.stdout.as_str(), out.code),
        ("e1e1e1e1e1e1\n", Some(0)),
        "{}",
        out.all()
    );
    let out = run(p, &["history", "-i", "--component", "svc"], &[]);
    assert!(
        out.stdout.contains("e1e1e1e1e1e1 (current)"),
        "{}",
        out.all()
    );
    let out = run(p, &["graph", "--with-db", "--component", "svc"], &[]);
    assert_eq!(out.code, Some(0), "{}", out.all());
    assert!(out.stdout.contains("(current)"), "{}", out.stdout);
    let out = run(p, &["--component", "svc", "--format", "json"], &[]);
    let v = out.json();
    assert_eq!(v["components"][0]["version_table"]["name"], "svc_version");
    assert_eq!(v["components"][0]["state"], "behind");
}
