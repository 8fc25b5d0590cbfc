//! `check --base REF` on git repositories built in the test with real
//! commits: a main branch, a PR branch, a rebase, and a backport that edits
//! a released migration's `down_revision`.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::support::json_schema;

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .current_dir(dir)
        .args(args)
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.com")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.com")
        .output()
        .expect("git");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn revision(dir: &Path, id: &str, down: Option<&str>, part_of: Option<&str>) {
    let down = down.map_or("None".to_string(), |d| format!("\"{d}\""));
    let comment = part_of.map_or(String::new(), |p| format!("# Part of: {p}\n"));
    let path = dir.join(format!("migrations/versions/{id}_rev.py"));
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(
        path,
        format!(
            "\"\"\"rev {id}\"\"\"\n\nrevision = \"{id}\"\ndown_revision = {down}\n{comment}branch_labels = None\ndepends_on = None\n"
        ),
    )
    .expect("write");
}

fn commit(dir: &Path, message: &str) {
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "-m", message]);
}

/// main: a (no comment) → b (released in 1.0.0), in a Backend.AI-style checkout.
fn repo() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    git(dir, &["init", "-q", "-b", "main"]);
    std::fs::write(dir.join("py"), "").expect("py");
    std::fs::write(
        dir.join("alembic.ini"),
        "[alembic]\nscript_location = migrations\n",
    )
    .expect("ini");
    revision(dir, "a0000000000a", None, None);
    revision(dir, "b0000000000b", Some("a0000000000a"), Some("1.0.0"));
    commit(dir, "main: a, b");
    tmp
}

struct Checked {
    code: i32,
    findings: Vec<(String, String, String)>,
    human: String,
    github: String,
}

fn check(dir: &Path, extra: &[&str]) -> Checked {
    let run = |format: &str| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_db-status"));
        cmd.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("LANG", "C.UTF-8")
            .current_dir(dir)
            .args(["check", "--base", "main", "--format", format])
            .args(extra);
        cmd.output().expect("run")
    };
    let out = run("json");
    // Every document matches docs/status.schema.json (checkDocument).
    let doc: Value = json_schema::parse(&String::from_utf8_lossy(&out.stdout));
    let findings = doc["components"][0]["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["severity"].as_str().unwrap_or_default().to_string(),
                f["code"].as_str().unwrap_or_default().to_string(),
                f["message"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    Checked {
        code: out.status.code().unwrap_or(-1),
        findings,
        human: String::from_utf8_lossy(&run("human").stdout).into_owned(),
        github: String::from_utf8_lossy(&run("github").stdout).into_owned(),
    }
}

fn codes(c: &Checked) -> Vec<(&str, &str)> {
    c.findings
        .iter()
        .map(|(s, code, _)| (s.as_str(), code.as_str()))
        .collect()
}

#[test]
fn pr_branch_adding_a_marked_migration_is_clean_and_unmarked_one_warns() {
    let tmp = repo();
    let dir = tmp.path();
    git(dir, &["checkout", "-q", "-b", "pr"]);
    revision(
        dir,
        "c0000000000c",
        Some("b0000000000b"),
        Some("NEXT_RELEASE_VERSION"),
    );
    commit(dir, "pr: c");
    let c = check(dir, &[]);
    assert_eq!((c.code, codes(&c)), (0, vec![]), "{:?}", c.findings);

    revision(dir, "d0000000000d", Some("c0000000000c"), None);
    let c = check(dir, &[]);
    assert_eq!(codes(&c), [("warning", "missing-release-comment")]);
    assert_eq!(c.code, 0);
    assert!(
        c.human
            .contains("d0000000000d is new since main and has no release comment"),
        "{}",
        c.human
    );
    assert!(
        c.github.contains("::warning file=migrations/versions/d0000000000d_rev.py,line=3,title=db-status missing-release-comment"),
        "{}",
        c.github
    );
    assert_eq!(check(dir, &["--strict"]).code, 7);
}

#[test]
fn rebase_turns_behind_base_and_new_head_into_a_clean_check() {
    let tmp = repo();
    let dir = tmp.path();
    // Two branches fork from main; pr1 lands first.
    git(dir, &["checkout", "-q", "-b", "pr2"]);
    revision(
        dir,
        "c2000000000c",
        Some("b0000000000b"),
        Some("NEXT_RELEASE_VERSION"),
    );
    commit(dir, "pr2: c2 on b");
    git(dir, &["checkout", "-q", "main"]);
    revision(
        dir,
        "c1000000000c",
        Some("b0000000000b"),
        Some("NEXT_RELEASE_VERSION"),
    );
    commit(dir, "pr1 landed: c1 on b");
    git(dir, &["checkout", "-q", "pr2"]);

    // Not rebased: main's c1 is not deleted by pr2, only not merged in yet.
    let c = check(dir, &[]);
    assert_eq!(codes(&c), [("warning", "behind-base")], "{:?}", c.findings);

    // What CI sees: pr2 merged into main has two heads; c2 is the new one.
    git(dir, &["merge", "-q", "--no-edit", "main"]);
    let c = check(dir, &[]);
    assert!(
        codes(&c).contains(&("error", "diverged-heads")),
        "{:?}",
        c.findings
    );
    let new_head: Vec<&String> = c
        .findings
        .iter()
        .filter(|f| f.1 == "new-head")
        .map(|f| &f.2)
        .collect();
    assert_eq!(new_head.len(), 1, "{:?}", c.findings);
    assert!(new_head[0].starts_with("c2000000000c is a new head: main has 1 head, this change 2"));

    // Rebased the Backend.AI way: repoint the unmerged migration at main's head.
    git(dir, &["reset", "-q", "--hard", "HEAD~1"]);
    git(dir, &["rebase", "-q", "main"]);
    revision(
        dir,
        "c2000000000c",
        Some("c1000000000c"),
        Some("NEXT_RELEASE_VERSION"),
    );
    commit(dir, "pr2: repoint c2 after c1");
    let c = check(dir, &[]);
    assert_eq!((c.code, codes(&c)), (0, vec![]), "{:?}", c.findings);
}

#[test]
fn backport_editing_a_released_down_revision_is_an_error_and_an_unreleased_one_a_warning() {
    let tmp = repo();
    let dir = tmp.path();
    revision(
        dir,
        "e0000000000e",
        Some("b0000000000b"),
        Some("NEXT_RELEASE_VERSION"),
    );
    commit(dir, "main: e (unreleased)");
    git(dir, &["checkout", "-q", "-b", "backport"]);
    // Insert d between a and b by editing b's down_revision (b is released).
    revision(
        dir,
        "d0000000000d",
        Some("a0000000000a"),
        Some("1.0.1 (backport), 2.0.0 (main)"),
    );
    revision(dir, "b0000000000b", Some("d0000000000d"), Some("1.0.0"));
    commit(dir, "backport d before b");
    let c = check(dir, &[]);
    assert_eq!(
        codes(&c),
        [("error", "edited-revision")],
        "{:?}",
        c.findings
    );
    assert_eq!(c.code, 7);
    assert!(
        c.findings[0].2.contains(
            "the down_revision of b0000000000b (released in 1.0.0) changed from \"a0000000000a\" to \"d0000000000d\" since main"
        ),
        "{}",
        c.findings[0].2
    );
    assert!(
        c.github
            .contains("::error file=migrations/versions/b0000000000b_rev.py,line=4,"),
        "{}",
        c.github
    );

    // The same edit on an unreleased revision is a warning; deleting one too.
    git(dir, &["reset", "-q", "--hard", "main"]);
    revision(
        dir,
        "d0000000000d",
        Some("b0000000000b"),
        Some("NEXT_RELEASE_VERSION"),
    );
    revision(
        dir,
        "e0000000000e",
        Some("d0000000000d"),
        Some("NEXT_RELEASE_VERSION"),
    );
    commit(dir, "insert d before unreleased e");
    let c = check(dir, &[]);
    assert_eq!(
        codes(&c),
        [("warning", "edited-revision")],
        "{:?}",
        c.findings
    );
    std::fs::remove_file(dir.join("migrations/versions/e0000000000e_rev.py")).expect("rm");
    std::fs::remove_file(dir.join("migrations/versions/b0000000000b_rev.py")).expect("rm");
    revision(
        dir,
        "d0000000000d",
        Some("a0000000000a"),
        Some("NEXT_RELEASE_VERSION"),
    );
    let c = check(dir, &[]);
    let mut got = codes(&c);
    got.sort();
    assert_eq!(
        got,
        [
            ("error", "deleted-revision"),
            ("warning", "deleted-revision")
        ],
        "{:?}",
        c.findings
    );
}

#[test]
fn unknown_base_ref_is_an_error_naming_it() {
    let tmp = repo();
    let dir = tmp.path();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_db-status"));
    let out = cmd
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .current_dir(dir)
        .args(["check", "--base", "origin/nope"])
        .output()
        .expect("run");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(7), "{text}");
    assert!(text.contains("`origin/nope` is not a commit"), "{text}");
}
