//! `db-status status` end to end: every state in human (symbols and ASCII)
//! and JSON form, on the demo workspace and on temporary projects with
//! SQLite databases, with the environment cleared.

use crate::support::{self, Project, Run, SQLITE_URL, json_schema};

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// Long enough for any run of the binary here.
const LIMIT: Duration = Duration::from_secs(60);

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn demo() -> PathBuf {
    repo().join("examples/backend-ai")
}

/// Run db-status in `dir` with a clean environment (UTF-8 locale unless
/// `env` says otherwise), the directory's path shown as `[DIR]` on stdout.
fn run(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut cmd = Command::new(support::bin());
    cmd.env_clear()
        .env("RUST_BACKTRACE", "0")
        .env("LANG", "C.UTF-8")
        .current_dir(dir)
        .args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut out = support::run_cmd(cmd, LIMIT);
    for p in [dir.to_path_buf(), dir.canonicalize().unwrap_or_default()] {
        let s = p.to_string_lossy().into_owned();
        if !s.is_empty() {
            out.stdout = out.stdout.replace(&s, "[DIR]");
        }
    }
    out
}

fn json(r: &Run) -> serde_json::Value {
    json_schema::parse(&r.stdout)
}

/// A three-revision linear project whose ini has `url_line` (default:
/// SQLite at `db.sqlite`).
fn linear(url_line: Option<&str>) -> Project {
    let p = Project::new(url_line.unwrap_or(SQLITE_URL));
    p.rev("1a2b3c4d5e01", None, "create users")
        .rev("1a2b3c4d5e02", Some("1a2b3c4d5e01"), "add email")
        .rev("1a2b3c4d5e03", Some("1a2b3c4d5e02"), "add index");
    p
}

fn snap_all_forms(name: &str, dir: &Path, args: &[&str], code: i32) {
    let human = run(dir, args, &[]);
    assert_eq!(
        human.code,
        Some(code),
        "{name}: {}\n{}",
        human.stdout,
        human.stderr
    );
    assert!(
        !human.stdout.contains('\x1b'),
        "no colour when stdout is not a terminal"
    );
    insta::assert_snapshot!(format!("{name}_human"), human.stdout);

    let mut ascii_args = args.to_vec();
    ascii_args.push("--ascii");
    let ascii = run(dir, &ascii_args, &[]);
    assert_eq!(ascii.code, Some(code));
    assert!(
        !ascii.stdout.contains(['✅', '⚠', '🔀', '❓', '⛔', '❌']),
        "{}",
        ascii.stdout
    );
    insta::assert_snapshot!(format!("{name}_ascii"), ascii.stdout);

    let mut json_args = args.to_vec();
    json_args.extend(["--format", "json"]);
    let j = run(dir, &json_args, &[]);
    assert_eq!(j.code, Some(code));
    let v = json(&j);
    assert_eq!(v["exit_code"], code);
    insta::assert_snapshot!(format!("{name}_json"), j.stdout);
}

#[test]
fn demo_all_components() {
    snap_all_forms("demo_all", &demo(), &["--all"], 4);
    let v = json(&run(&demo(), &["--all", "--format", "json"], &[]));
    let states = support::component_states(&v);
    assert_eq!(states, ["behind", "no-revision", "diverged", "up-to-date"]);
    let manager = &v["components"][0];
    assert_eq!(manager["pending_count"], 3);
    assert_eq!(manager["pending"][0]["revision"], "55e0c3669e2e");
    assert_eq!(manager["pending"][2]["revision"], "c5a91e37d40b");
    let appproxy = &v["components"][2];
    assert_eq!(
        appproxy["diverged"]["last_common_ancestor"]["revision"],
        "7d1e3a9b2c44"
    );
    // The demo is read-only: the fresh component's database file is never created.
    assert!(!demo().join("var/accountmgr.db").exists());
}

#[test]
fn demo_single_component_by_alias_and_verbose() {
    let r = run(&demo(), &["--component=app-proxy", "-v"], &[]);
    assert_eq!(r.code, Some(4));
    insta::assert_snapshot!("demo_appproxy_verbose", r.stdout);
    // Default component comes from db-status.toml (`default = "manager"`).
    assert_eq!(run(&demo(), &[], &[]).code, Some(1));
    assert_eq!(
        run(&demo(), &["status", "--component", "storage"], &[]).code,
        Some(0)
    );
}

#[test]
fn non_utf8_locale_uses_ascii_markers() {
    let r = run(
        &demo(),
        &["--component", "storage"],
        &[("LANG", "C"), ("LC_ALL", "POSIX")],
    );
    assert_eq!(r.code, Some(0));
    assert!(
        r.stdout.starts_with("[OK] Database Status: Up-to-date"),
        "{}",
        r.stdout
    );
}

#[test]
fn up_to_date() {
    let p = linear(None);
    p.db(&["1a2b3c4d5e03"]);
    snap_all_forms("up_to_date", p.path(), &[], 0);
}

#[test]
fn behind_on_temp_project() {
    let p = linear(None);
    p.db(&["1a2b3c4d5e01"]);
    let r = run(p.path(), &["--format", "json"], &[]);
    assert_eq!(r.code, Some(1));
    let v = json(&r);
    let pending: Vec<&str> = v["components"][0]["pending"]
        .as_array()
        .expect("pending")
        .iter()
        .map(|p| p["revision"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(pending, ["1a2b3c4d5e02", "1a2b3c4d5e03"]);
    assert_eq!(
        v["components"][0]["pending"][0]["path"],
        "migrations/versions/1a2b3c4d5e02_add_email.py"
    );
}

#[test]
fn fresh_empty_table() {
    let p = linear(None);
    p.db(&[]);
    snap_all_forms("fresh_empty_table", p.path(), &[], 3);
}

#[test]
fn unknown_revision() {
    let p = linear(None);
    p.db(&["ffffeeee0000"]);
    snap_all_forms("unknown_revision", p.path(), &[], 5);
}

#[test]
fn database_error_never_prints_password() {
    let p = linear(None);
    let url = "postgresql://app:s3cr3t-pw@127.0.0.1:1/appdb";
    let r = run(p.path(), &["--url", url, "--timeout", "3"], &[]);
    assert_eq!(r.code, Some(6), "{}\n{}", r.stdout, r.stderr);
    assert!(!r.stdout.contains("s3cr3t-pw") && !r.stderr.contains("s3cr3t-pw"));
    // The whole message: the `messages::database::db_refused_postgres` snapshot.
    let j = run(p.path(), &["--format", "json"], &[("DB_STATUS_URL", url)]);
    assert_eq!(j.code, Some(6));
    assert!(!j.stdout.contains("s3cr3t-pw"));
    let v = json(&j);
    assert_eq!(v["components"][0]["state"], "database-error");
    assert_eq!(v["components"][0]["error"]["kind"], "connection-refused");
}

#[test]
fn no_url() {
    let p = linear(Some(""));
    snap_all_forms("no_url", p.path(), &[], 6);
}

/// A `sqlalchemy.url` that Alembic's `%`-interpolation rejects: the report
/// says what is wrong and where, never the value.
#[test]
fn url_interpolation_error() {
    let p = linear(Some(
        "sqlalchemy.url = postgresql://app:S3cr3t%40x@127.0.0.1/appdb",
    ));
    snap_all_forms("url_interpolation", p.path(), &[], 6);
    let current = run(p.path(), &["current"], &[]);
    assert!(!current.stderr.contains("S3cr3t"), "{}", current.stderr);
    insta::assert_snapshot!("url_interpolation_current", current.stderr);
}

#[test]
fn config_errors() {
    let empty = tempfile::tempdir().expect("tmp");
    snap_all_forms("missing_ini", empty.path(), &[], 7);
}

#[test]
fn usage_errors_are_one_line_or_one_json_document() {
    let p = linear(None);
    p.db(&["1a2b3c4d5e03"]);
    let r = run(
        p.path(),
        &["--component", "manager", "--component", "manger"],
        &[],
    );
    assert_eq!(r.code, Some(2));
    assert_eq!(r.stdout, "");
    assert_eq!(
        r.stderr.lines().count(),
        1,
        "one line, saying what to do: {}",
        r.stderr
    );
    // The line itself: the `messages::config::usage_unknown_component_did_you_mean` snapshot.
    for args in [
        &["--component", "nope", "--format", "json"][..],
        &["--timeout", "0", "--format", "json"],
        &["--format", "json", "--all", "--component", "manager"],
        &["--format=json", "--no-such-flag"],
        &[
            "--format",
            "json",
            "-c",
            "alembic.ini",
            "--component",
            "manager",
        ],
    ] {
        let r = run(p.path(), args, &[]);
        assert_eq!(r.code, Some(2), "{args:?}");
        let v = json(&r);
        assert_eq!(v["exit_code"], 2, "{args:?}");
        assert_eq!(v["schema_version"], 1);
        assert!(
            v["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty())
        );
    }
    // The messages of `--timeout 0`, `check --url` and `branches --format
    // json` (a JSON document, since JSON was asked for) are the
    // `messages::config::usage_*` snapshots.
}

#[test]
fn diverged_on_temp_project() {
    let p = linear(None);
    p.rev("2b000000000a", Some("1a2b3c4d5e02"), "add avatar")
        .db(&["1a2b3c4d5e03"]);
    let r = run(p.path(), &[], &[]);
    assert_eq!(r.code, Some(4));
    insta::assert_snapshot!("diverged_temp_human", r.stdout);
}

/// Every state's document matches docs/status.schema.json (validated by
/// `json()`), and its codes agree with the exit-code table.
#[test]
fn json_matches_the_documented_schema() {
    let r = run(&demo(), &["--all", "--format", "json"], &[]);
    let doc = json(&r);
    let components = doc["components"].as_array().expect("components");
    assert_eq!(components.len(), 4);
    for c in components {
        assert_eq!(
            c["pending_count"],
            c["pending"].as_array().map_or(0, Vec::len)
        );
        let expected = match c["state"].as_str().unwrap_or("") {
            "up-to-date" => 0,
            "behind" => 1,
            "no-revision" => 3,
            "diverged" => 4,
            "unknown-revision" => 5,
            "database-error" => 6,
            "config-error" => 7,
            "unstamped" => 8,
            other => panic!("unknown state {other}"),
        };
        assert_eq!(c["exit_code"], expected);
    }
    assert_eq!(
        doc["exit_code"],
        components
            .iter()
            .filter_map(|c| c["exit_code"].as_u64())
            .max()
            .unwrap_or(0)
    );
    assert_eq!(doc["schema_version"], 1);
    assert_eq!(doc["version"], env!("CARGO_PKG_VERSION"));
}
