//! Release awareness end to end: `# Part of:` comments and
//! `revision_history/<version>.json` dumps on trees real Alembic runs (a
//! main graph and a release-branch graph whose pointers differ, the
//! release's dump written by Backend.AI's own `dump-history` code), and on
//! the real dumps of a Backend.AI manager wheel.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::support::{alembic, db_status, python};
use serde_json::Value;

const LIMIT: Duration = Duration::from_secs(60);

fn oracle() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/oracle/release_dump.py")
}

fn run_oracle(dir: &Path, args: &[&str]) -> String {
    let out = Command::new(python())
        .current_dir(dir)
        .arg(oracle())
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", python().display()));
    assert!(
        out.status.success(),
        "release_dump.py {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// One revision file that creates table `t_<id>` (so a run is visible).
fn revision(dir: &Path, id: &str, down: Option<&str>, part_of: &str) {
    let down_py = down.map_or("None".to_string(), |d| format!("\"{d}\""));
    let comment = if part_of.is_empty() {
        String::new()
    } else {
        format!("# Part of: {part_of}\n")
    };
    let text = format!(
        "\"\"\"create t_{id}\n\nRevision ID: {id}\n\"\"\"\nfrom alembic import op\nimport sqlalchemy as sa\n\n\
         # revision identifiers, used by Alembic.\nrevision = \"{id}\"\ndown_revision = {down_py}\n{comment}\
         branch_labels = None\ndepends_on = None\n\n\ndef upgrade():\n    op.create_table(\"t_{id}\", sa.Column(\"id\", sa.Integer, primary_key=True))\n\n\n\
         def downgrade():\n    op.drop_table(\"t_{id}\")\n"
    );
    std::fs::create_dir_all(dir.join("versions")).expect("mkdir");
    std::fs::write(dir.join("versions").join(format!("{id}_create.py")), text).expect("write");
    std::fs::write(
        dir.join("env.py"),
        "from alembic import context\nfrom sqlalchemy import engine_from_config, pool\n\
         config = context.config\n\
         connectable = engine_from_config(config.get_section(config.config_ini_section), prefix='sqlalchemy.', poolclass=pool.NullPool)\n\
         with connectable.connect() as connection:\n    context.configure(connection=connection)\n    with context.begin_transaction():\n        context.run_migrations()\n",
    )
    .expect("env.py");
}

fn ini(dir: &Path, name: &str, scripts: &str) {
    std::fs::write(
        dir.join(name),
        format!(
            "[alembic]\nscript_location = {scripts}\nsqlalchemy.url = sqlite:///{}\n",
            dir.join("db.sqlite").display()
        ),
    )
    .expect("ini");
}

fn json(dir: &Path, args: &[&str]) -> Value {
    let mut all = vec!["--format", "json"];
    all.extend_from_slice(args);
    let out = db_status(dir, &all, LIMIT);
    // Every document matches docs/status.schema.json.
    out.json()
}

/// The tables of a SQLite database, sorted.
fn tables(db: &Path) -> Vec<String> {
    let c = rusqlite::Connection::open(db).expect("sqlite");
    let mut q = c
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .expect("query");
    q.query_map([], |r| r.get::<_, String>(0))
        .expect("rows")
        .map(|r| r.expect("row"))
        .collect()
}

fn ids(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap_or_else(|| panic!("not a list: {v}"))
        .iter()
        .map(|r| r["revision"].as_str().unwrap_or_default().to_string())
        .collect()
}

/// A Backend.AI-style checkout: the release branch ran a → b → c; main
/// later inserted the backports d1 → d2 between b and c (editing c's
/// `down_revision`) and added e. A database upgraded along the release sits
/// at c, main's "head minus one", yet never ran d1 and d2.
fn checkout() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    std::fs::write(dir.join("py"), "").expect("py");
    let release = dir.join("release");
    revision(&release, "a0000000000a", None, "");
    revision(&release, "b0000000000b", Some("a0000000000a"), "1.0.0");
    revision(&release, "c0000000000c", Some("b0000000000b"), "1.0.0");
    let main = dir.join("migrations");
    revision(&main, "a0000000000a", None, "");
    revision(&main, "b0000000000b", Some("a0000000000a"), "1.0.0");
    revision(
        &main,
        "d1000000000d",
        Some("b0000000000b"),
        "1.0.1 (backport), 2.0.0 (main)",
    );
    revision(&main, "d2000000000d", Some("d1000000000d"), "2.0.0");
    revision(&main, "c0000000000c", Some("d2000000000d"), "1.0.0");
    revision(
        &main,
        "e0000000000e",
        Some("c0000000000c"),
        "NEXT_RELEASE_VERSION",
    );
    ini(dir, "release.ini", "release");
    ini(dir, "alembic.ini", "migrations");
    std::fs::create_dir_all(main.join("revision_history")).expect("mkdir");
    run_oracle(
        dir,
        &[
            "dump",
            "release.ini",
            "1.0.0",
            "migrations/revision_history/1.0.0.json",
        ],
    );
    alembic(dir, Some("release.ini"), &["upgrade", "head"]);
    tmp
}

#[test]
fn release_branch_database_has_skipped_revisions_that_real_alembic_never_runs() {
    let tmp = checkout();
    let dir = tmp.path();

    let doc = json(dir, &[]);
    let c = &doc["components"][0];
    assert_eq!(
        c["from_release"], "1.0.0",
        "inferred from the dump's head: {c}"
    );
    assert_eq!(ids(&c["current"]), ["c0000000000c"]);
    assert_eq!(ids(&c["pending"]), ["e0000000000e"]);
    assert_eq!(ids(&c["skipped"]), ["d1000000000d", "d2000000000d"]);
    assert_eq!(
        c["skipped"][0]["releases"],
        serde_json::json!([{"version": "1.0.1", "kind": "backport"}, {"version": "2.0.0", "kind": "main"}])
    );
    assert_eq!(
        c["pending"][0]["releases"],
        serde_json::json!([{"version": null, "kind": "unreleased"}])
    );
    assert_eq!(
        c["recommended_actions"][0]["command"],
        serde_json::json!([
            "./backend.ai",
            "mgr",
            "schema",
            "apply-missing-revisions",
            "1.0.0"
        ])
    );

    // Backend.AI's apply-missing-revisions runs every revision the dump
    // lacks; real `alembic upgrade head` runs only e. The difference is
    // exactly what db-status calls skipped, in the same order.
    let missing: Vec<String> = serde_json::from_str(&run_oracle(
        dir,
        &[
            "missing",
            "alembic.ini",
            "migrations/revision_history/1.0.0.json",
        ],
    ))
    .expect("oracle JSON");
    alembic(dir, Some("alembic.ini"), &["upgrade", "head"]);
    let ran: Vec<String> = tables(&dir.join("db.sqlite"))
        .into_iter()
        .filter_map(|t| t.strip_prefix("t_").map(str::to_string))
        .filter(|t| missing.contains(t))
        .collect();
    assert_eq!(ran, ["e0000000000e"], "real `alembic upgrade head` from c");
    let never_run: Vec<&String> = missing.iter().filter(|r| !ran.contains(r)).collect();
    assert_eq!(
        ids(&c["skipped"]),
        never_run.into_iter().cloned().collect::<Vec<_>>()
    );
    assert!(
        c["notes"]
            .to_string()
            .contains("3 in all (2 skipped, 1 other)"),
        "the warning counts what apply-missing-revisions runs ({missing:?}): {}",
        c["notes"]
    );

    // Upgraded to main's head, the database no longer holds the dump's head:
    // nothing is inferred, but --from-release still finds what it skipped.
    let doc = json(dir, &[]);
    let c = &doc["components"][0];
    assert_eq!(c["state"], "up-to-date");
    assert_eq!(c["from_release"], Value::Null);
    assert_eq!(ids(&c["skipped"]), Vec::<String>::new());
    let doc = json(dir, &["--from-release", "1.0.0"]);
    let c = &doc["components"][0];
    assert_eq!(c["from_release"], "1.0.0");
    assert_eq!(ids(&c["skipped"]), ["d1000000000d", "d2000000000d"]);
}

#[test]
fn human_report_names_releases_and_groups_pending() {
    let tmp = checkout();
    let dir = tmp.path();
    let out = db_status(dir, &["--production"], LIMIT);
    let text = out.stdout.replace(&dir.display().to_string(), "[DIR]");
    insta::assert_snapshot!(text);
}

#[test]
fn release_comments_are_off_outside_a_backend_ai_checkout_unless_configured() {
    let tmp = checkout();
    let dir = tmp.path();
    std::fs::remove_file(dir.join("py")).expect("rm py");
    std::fs::write(
        dir.join("db-status.toml"),
        "[manager]\nconfig = \"alembic.ini\"\n",
    )
    .expect("toml");
    let doc = json(dir, &[]);
    let c = &doc["components"][0];
    assert_eq!(c["pending"][0]["releases"], serde_json::json!([]));
    // Dumps are still read: the skipped revisions are a fact of the graph.
    assert_eq!(ids(&c["skipped"]), ["d1000000000d", "d2000000000d"]);

    std::fs::write(
        dir.join("db-status.toml"),
        "release_pattern = '^#\\s*Part of:\\s*(\\S+)'\n[manager]\nconfig = \"alembic.ini\"\n",
    )
    .expect("toml");
    let doc = json(dir, &[]);
    let c = &doc["components"][0];
    assert_eq!(
        c["pending"][0]["releases"],
        serde_json::json!([{"version": null, "kind": "unreleased"}])
    );

    std::fs::write(
        dir.join("db-status.toml"),
        "release_pattern = 'Part of'\n[manager]\nconfig = \"alembic.ini\"\n",
    )
    .expect("toml");
    let doc = json(dir, &[]);
    let c = &doc["components"][0];
    assert!(
        c["notes"]
            .to_string()
            .contains("release_pattern must have exactly one group"),
        "{}",
        c["notes"]
    );
}

/// The Backend.AI manager wheel these tests read: `$DB_STATUS_BACKEND_AI_WHEEL`,
/// else downloaded once with pip into the test target directory.
const WHEEL_VERSION: &str = "26.9.6";

/// The manager's alembic directory, extracted from the wheel.
fn backend_ai_alembic() -> PathBuf {
    let base =
        Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("backend-ai-manager-{WHEEL_VERSION}"));
    let alembic_dir = base.join("ai/backend/manager/models/alembic");
    if alembic_dir.join("revision_history").is_dir() {
        return alembic_dir;
    }
    let wheel = match std::env::var_os("DB_STATUS_BACKEND_AI_WHEEL") {
        Some(w) => PathBuf::from(w),
        None => {
            let dl = base.join("dl");
            let out = Command::new(python())
                .args(["-m", "pip", "download", "--no-deps", "--only-binary=:all:"])
                .args(["--python-version", "3.13", "-d"])
                .arg(&dl)
                .arg(format!("backend-ai-manager=={WHEEL_VERSION}"))
                .output()
                .unwrap_or_else(|e| panic!("cannot run {}: {e}", python().display()));
            assert!(
                out.status.success(),
                "pip download backend-ai-manager=={WHEEL_VERSION} failed (no network? set DB_STATUS_BACKEND_AI_WHEEL to a downloaded wheel):\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
            dl.join(format!(
                "backend_ai_manager-{WHEEL_VERSION}-py3-none-any.whl"
            ))
        }
    };
    let out = Command::new(python())
        .args([
            "-c",
            "import sys, zipfile\nz = zipfile.ZipFile(sys.argv[1])\nz.extractall(sys.argv[2], [n for n in z.namelist() if n.startswith('ai/backend/manager/models/alembic/')])",
        ])
        .arg(&wheel)
        .arg(&base)
        .output()
        .expect("python");
    assert!(
        out.status.success(),
        "unzip {}: {}",
        wheel.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    alembic_dir
}

/// Every dump of a real Backend.AI manager loads and agrees with the tree
/// (all its revisions exist); a database at each dump's head is inferred to
/// come from that release, and its skipped revisions match a computation
/// from the files' literals (24.09.8's head `ecc9f6322be4`: 7).
#[test]
fn real_backend_ai_dumps_load_agree_with_the_tree_and_find_skipped_revisions() {
    let alembic_dir = backend_ai_alembic();
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    std::fs::write(dir.join("py"), "").expect("py");
    ini(dir, "alembic.ini", &alembic_dir.display().to_string());
    let history = alembic_dir.join("revision_history");
    let mut counts = Vec::new();
    for version in ["23.09.10", "24.03.11", "24.09.8"] {
        let dump = history.join(format!("{version}.json"));
        let expected: Value = serde_json::from_str(&run_oracle(
            dir,
            &[
                "ast-skipped",
                &alembic_dir.join("versions").display().to_string(),
                &dump.display().to_string(),
                "-",
            ],
        ))
        .expect("oracle");
        let heads = expected["heads"].as_array().expect("heads");
        assert_eq!(heads.len(), 1, "{version}: {heads:?}");
        assert_eq!(expected["not_in_tree"], serde_json::json!([]), "{version}");
        let head = heads[0].as_str().expect("head");
        let db = dir.join("db.sqlite");
        let _ = std::fs::remove_file(&db);
        let c = rusqlite::Connection::open(&db).expect("sqlite");
        c.execute_batch("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)")
            .expect("table");
        c.execute("INSERT INTO alembic_version VALUES (?1)", [head])
            .expect("row");
        drop(c);

        let expected: Value = serde_json::from_str(&run_oracle(
            dir,
            &[
                "ast-skipped",
                &alembic_dir.join("versions").display().to_string(),
                &dump.display().to_string(),
                head,
            ],
        ))
        .expect("oracle");
        let doc = json(dir, &[]);
        let comp = &doc["components"][0];
        assert_eq!(comp["from_release"], version, "{comp}");
        let notes = comp["notes"].to_string();
        assert!(
            !notes.contains("dump ignored") && !notes.contains("KeyError"),
            "{notes}"
        );
        let mut skipped = ids(&comp["skipped"]);
        skipped.sort();
        let want: Vec<String> = serde_json::from_value(expected["skipped"].clone()).expect("list");
        assert_eq!(skipped, want, "{version}");
        counts.push((version, skipped.len()));
        // Release comments of the real tree are read.
        assert!(
            comp["heads"][0]["releases"]
                .as_array()
                .is_some_and(|r| !r.is_empty()),
            "{}",
            comp["heads"]
        );
    }
    assert_eq!(counts.last(), Some(&("24.09.8", 7)));

    // Every revision's releases, against the comments Python's tokenizer
    // finds (a `Part of:` line inside a docstring is not one).
    let db = dir.join("db.sqlite");
    let _ = std::fs::remove_file(&db);
    let doc = json(dir, &[]);
    let pending = doc["components"][0]["pending"]
        .as_array()
        .expect("pending")
        .clone();
    let comments: serde_json::Map<String, Value> = serde_json::from_str(&run_oracle(
        dir,
        &[
            "comment-releases",
            &alembic_dir.join("versions").display().to_string(),
        ],
    ))
    .expect("oracle");
    assert!(comments.len() > 200, "{}", comments.len());
    for r in &pending {
        let id = r["revision"].as_str().expect("id");
        let want: Vec<Value> = comments
            .get(id)
            .and_then(Value::as_str)
            .map(|c| {
                c.split(',')
                    .map(|item| {
                        let item = item.trim();
                        let version = item.split(" (").next().unwrap_or(item);
                        if version == "NEXT_RELEASE_VERSION" {
                            serde_json::json!({"version": null, "kind": "unreleased"})
                        } else if item.ends_with("(backport)") {
                            serde_json::json!({"version": version, "kind": "backport"})
                        } else {
                            serde_json::json!({"version": version, "kind": "main"})
                        }
                    })
                    .collect()
            })
            .unwrap_or_default();
        assert_eq!(r["releases"], Value::Array(want), "{id}");
    }
    let marked = pending
        .iter()
        .filter(|r| r["releases"].as_array().is_some_and(|a| !a.is_empty()))
        .count();
    assert_eq!(marked, comments.len());
}

#[test]
fn history_marks_release_boundaries_and_unknown_from_release_is_said() {
    let tmp = checkout();
    let dir = tmp.path();
    let out = db_status(dir, &["history", "--releases"], LIMIT);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    insta::assert_snapshot!(out.stdout);

    let doc = json(dir, &["--from-release", "9.9"]);
    let c = &doc["components"][0];
    assert_eq!(c["from_release"], Value::Null);
    assert!(
        c["notes"]
            .to_string()
            .contains("--from-release 9.9: there is no revision_history/9.9.json"),
        "{}",
        c["notes"]
    );
    std::fs::remove_file(dir.join("py")).expect("rm py");
    let out = db_status(dir, &["history", "--releases"], LIMIT);
    assert!(
        out.stderr
            .contains("warning: release comments are off: set release_pattern"),
        "{}",
        out.stderr
    );
    let out = db_status(dir, &["heads", "--from-release", "1.0.0"], LIMIT);
    assert_eq!(out.code, Some(2), "a flag is never dropped silently");
}
