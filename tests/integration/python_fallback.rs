//! `--python PATH|auto` (issue 9): files db-status cannot read statically are
//! read by one Python subprocess, with Alembic's answer; files that read
//! statically are never imported; without the flag the error names it; the
//! subprocess is bounded by `--timeout`.
//!
//! Python is `$DB_STATUS_PYTHON`, else `<repo>/.venv/bin/python`.

use crate::support::python;
use std::path::Path;
use std::process::{Command, Output};

fn project(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut all = vec![
        (
            "alembic.ini",
            "[alembic]\nscript_location = migrations\nprepend_sys_path = .\n",
        ),
        ("migrations/env.py", ""),
        ("migrations/script.py.mako", ""),
    ];
    all.extend_from_slice(files);
    for (path, text) in all {
        let p = dir.path().join(path);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(&p, text).expect("write");
    }
    dir
}

fn db_status(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_db-status"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("VIRTUAL_ENV")
        .output()
        .expect("run db-status")
}

fn alembic(dir: &Path, args: &[&str]) -> Output {
    Command::new(python())
        .args(["-m", "alembic"])
        .args(args)
        .current_dir(dir)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .output()
        .unwrap_or_else(|e| panic!("cannot run {} ({e})", python().display()))
}

const ROOT: &str = "\"\"\"root\"\"\"\nrevision = 'aa0000000001'\ndown_revision = None\nopen('static-was-imported', 'w').close()\n";
const COMPUTED: &str = "\"\"\"computed\n\nmore\"\"\"\nrevision = 'bb' + '0000000001'\nif True:\n    down_revision = 'aa0000000001'\nbranch_labels = ('lab',)\n";

#[test]
fn python_reads_what_the_scanner_cannot_and_nothing_else() {
    let dir = project(&[
        ("migrations/versions/a.py", ROOT),
        ("migrations/versions/b.py", COMPUTED),
    ]);
    let py = python();
    let py = py.to_str().expect("utf-8 path");

    let without = db_status(dir.path(), &["heads"]);
    assert_eq!(without.status.code(), Some(1));
    let err = String::from_utf8_lossy(&without.stderr);
    assert!(err.contains("b.py:4") && err.contains("--python"), "{err}");

    for cmd in [&["heads"][..], &["history", "-v"], &["branches"]] {
        let mut args = cmd.to_vec();
        args.extend(["--python", py]);
        let ours = db_status(dir.path(), &args);
        assert!(
            !dir.path().join("static-was-imported").exists(),
            "a static file was imported"
        );
        let theirs = alembic(dir.path(), cmd);
        // Alembic imports every file; clean up after it.
        let _ = std::fs::remove_file(dir.path().join("static-was-imported"));
        assert_eq!(ours.status.code(), Some(0), "{cmd:?}");
        assert_eq!(ours.status.code(), theirs.status.code(), "{cmd:?}");
        assert_eq!(
            String::from_utf8_lossy(&ours.stdout),
            String::from_utf8_lossy(&theirs.stdout),
            "{cmd:?}"
        );
    }
    let v = db_status(dir.path(), &["heads", "-v", "--python", py]);
    let err = String::from_utf8_lossy(&v.stderr);
    assert!(
        err.contains("b.py: read by running") && err.contains("(--python)"),
        "{err}"
    );
}

#[test]
fn auto_finds_the_project_venv_and_says_what_it_tried() {
    let dir = project(&[
        ("migrations/versions/a.py", ROOT),
        ("migrations/versions/b.py", COMPUTED),
    ]);
    let o = db_status(dir.path(), &["heads", "--python", "auto"]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains(".venv/bin/python") && err.contains("--python PATH"),
        "{err}"
    );
    std::fs::create_dir_all(dir.path().join(".venv/bin")).expect("mkdir");
    std::os::unix::fs::symlink(python(), dir.path().join(".venv/bin/python")).expect("symlink");
    let o = db_status(dir.path(), &["heads", "--python", "auto"]);
    assert_eq!(
        String::from_utf8_lossy(&o.stdout),
        "bb0000000001 (lab) (head)\n"
    );
}

#[test]
fn the_subprocess_is_bounded_by_timeout_and_python_errors_name_the_file() {
    let slow = format!("{COMPUTED}import time\ntime.sleep(60)\n");
    let dir = project(&[
        ("migrations/versions/a.py", ROOT),
        ("migrations/versions/b.py", &slow),
    ]);
    let py = python();
    let py = py.to_str().expect("utf-8 path");
    let o = db_status(dir.path(), &["heads", "--python", py, "--timeout", "1"]);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("did not answer within 1 s (--timeout)"),
        "{err}"
    );

    let failing = "revision = 'bb0000000001'\ndown_revision = compute()\n";
    std::fs::write(dir.path().join("migrations/versions/b.py"), failing).expect("write");
    let o = db_status(dir.path(), &["heads", "--python", py]);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("b.py:2: Python fails importing it: NameError"),
        "{err}"
    );
}

#[test]
fn encodings_db_status_does_not_carry_are_read_by_python() {
    let dir = project(&[("migrations/versions/a.py", ROOT)]);
    let koi8 = b"# -*- coding: koi8-r -*-\n\"\"\"\xf0\xd2\xc9\xd7\xc5\xd4\"\"\"\nrevision = 'bb0000000001'\ndown_revision = 'aa0000000001'\n";
    std::fs::write(dir.path().join("migrations/versions/b.py"), koi8).expect("write");
    let without = db_status(dir.path(), &["history"]);
    let err = String::from_utf8_lossy(&without.stderr);
    assert!(err.contains("koi8-r") && err.contains("--python"), "{err}");
    let py = python();
    let py = py.to_str().expect("utf-8 path");
    let ours = db_status(dir.path(), &["history", "--python", py]);
    let theirs = alembic(dir.path(), &["history"]);
    let _ = std::fs::remove_file(dir.path().join("static-was-imported"));
    assert_eq!(ours.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&ours.stdout),
        String::from_utf8_lossy(&theirs.stdout)
    );
    assert!(String::from_utf8_lossy(&ours.stdout).contains("Привет"));
}
