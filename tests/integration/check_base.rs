//! `check --base REF` on git repositories built in the test with real
//! commits: a main branch, a PR branch, a rebase, and a backport that edits
//! a released migration's `down_revision`.

use std::path::Path;
use std::process::Command;

use crate::support::{Run, Tree};

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

/// The file name of revision `id`.
fn file(id: &str) -> String {
    format!("{id}_rev.py")
}

/// Write (or rewrite) revision `id`, with a `# Part of:` release comment
/// when `part_of` is given.
fn revision(t: &Tree, id: &str, down: Option<&str>, part_of: Option<&str>) {
    let down = down.map_or("None".to_string(), |d| format!("\"{d}\""));
    let comment = part_of.map_or(String::new(), |p| format!("# Part of: {p}\n"));
    t.write(
        &file(id),
        &format!(
            "\"\"\"rev {id}\"\"\"\n\nrevision = \"{id}\"\ndown_revision = {down}\n{comment}branch_labels = None\ndepends_on = None\n"
        ),
    );
}

fn commit(dir: &Path, message: &str) {
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "-m", message]);
}

/// main: a (no comment) → b (released in 1.0.0), in a Backend.AI-style checkout.
fn repo() -> Tree {
    let t = Tree::written("[alembic]\nscript_location = migrations\n");
    let dir = &t.root();
    git(dir, &["init", "-q", "-b", "main"]);
    std::fs::write(dir.join("py"), "").expect("py");
    revision(&t, "a0000000000a", None, None);
    revision(&t, "b0000000000b", Some("a0000000000a"), Some("1.0.0"));
    commit(dir, "main: a, b");
    t
}

/// `check --base main` in `format`, with `extra` arguments.
fn check(t: &Tree, format: &str, extra: &[&str]) -> Run {
    let mut args = vec!["check", "--base", "main", "--format", format];
    args.extend_from_slice(extra);
    t.run(&args)
}

/// (severity, code, message) of each finding in `check --format json` (a
/// document that matches docs/status.schema.json).
fn findings(run: &Run) -> Vec<(String, String, String)> {
    run.json()["components"][0]["findings"]
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
        .collect()
}

/// (severity, code) of each finding.
fn codes(findings: &[(String, String, String)]) -> Vec<(&str, &str)> {
    findings
        .iter()
        .map(|(s, code, _)| (s.as_str(), code.as_str()))
        .collect()
}

#[test]
fn pr_branch_adding_a_marked_migration_is_clean_and_unmarked_one_warns() {
    let t = repo();
    let dir = &t.root();
    git(dir, &["checkout", "-q", "-b", "pr"]);
    revision(
        &t,
        "c0000000000c",
        Some("b0000000000b"),
        Some("NEXT_RELEASE_VERSION"),
    );
    commit(dir, "pr: c");
    let c = check(&t, "json", &[]);
    let f = findings(&c);
    assert_eq!((c.code, codes(&f)), (Some(0), vec![]), "{f:?}");

    revision(&t, "d0000000000d", Some("c0000000000c"), None);
    let c = check(&t, "json", &[]);
    assert_eq!(
        codes(&findings(&c)),
        [("warning", "missing-release-comment")]
    );
    assert_eq!(c.code, Some(0));
    let human = check(&t, "human", &[]).stdout;
    assert!(
        human.contains("d0000000000d is new since main and has no release comment"),
        "{human}"
    );
    let github = check(&t, "github", &[]).stdout;
    assert!(
        github.contains("::warning file=migrations/versions/d0000000000d_rev.py,line=3,title=db-status missing-release-comment"),
        "{github}"
    );
    assert_eq!(check(&t, "json", &["--strict"]).code, Some(7));
}

#[test]
fn rebase_turns_behind_base_and_new_head_into_a_clean_check() {
    let t = repo();
    let dir = &t.root();
    // Two branches fork from main; pr1 lands first.
    git(dir, &["checkout", "-q", "-b", "pr2"]);
    revision(
        &t,
        "c2000000000c",
        Some("b0000000000b"),
        Some("NEXT_RELEASE_VERSION"),
    );
    commit(dir, "pr2: c2 on b");
    git(dir, &["checkout", "-q", "main"]);
    revision(
        &t,
        "c1000000000c",
        Some("b0000000000b"),
        Some("NEXT_RELEASE_VERSION"),
    );
    commit(dir, "pr1 landed: c1 on b");
    git(dir, &["checkout", "-q", "pr2"]);

    // Not rebased: main's c1 is not deleted by pr2, only not merged in yet.
    let f = findings(&check(&t, "json", &[]));
    assert_eq!(codes(&f), [("warning", "behind-base")], "{f:?}");

    // What CI sees: pr2 merged into main has two heads; c2 is the new one.
    git(dir, &["merge", "-q", "--no-edit", "main"]);
    let f = findings(&check(&t, "json", &[]));
    assert!(codes(&f).contains(&("error", "diverged-heads")), "{f:?}");
    let new_head: Vec<&String> = f
        .iter()
        .filter(|f| f.1 == "new-head")
        .map(|f| &f.2)
        .collect();
    assert_eq!(new_head.len(), 1, "{f:?}");
    assert!(new_head[0].starts_with("c2000000000c is a new head: main has 1 head, this change 2"));

    // Rebased the Backend.AI way: repoint the unmerged migration at main's head.
    git(dir, &["reset", "-q", "--hard", "HEAD~1"]);
    git(dir, &["rebase", "-q", "main"]);
    revision(
        &t,
        "c2000000000c",
        Some("c1000000000c"),
        Some("NEXT_RELEASE_VERSION"),
    );
    commit(dir, "pr2: repoint c2 after c1");
    let c = check(&t, "json", &[]);
    let f = findings(&c);
    assert_eq!((c.code, codes(&f)), (Some(0), vec![]), "{f:?}");
}

#[test]
fn backport_editing_a_released_down_revision_is_an_error_and_an_unreleased_one_a_warning() {
    let t = repo();
    let dir = &t.root();
    revision(
        &t,
        "e0000000000e",
        Some("b0000000000b"),
        Some("NEXT_RELEASE_VERSION"),
    );
    commit(dir, "main: e (unreleased)");
    git(dir, &["checkout", "-q", "-b", "backport"]);
    // Insert d between a and b by editing b's down_revision (b is released).
    revision(
        &t,
        "d0000000000d",
        Some("a0000000000a"),
        Some("1.0.1 (backport), 2.0.0 (main)"),
    );
    revision(&t, "b0000000000b", Some("d0000000000d"), Some("1.0.0"));
    commit(dir, "backport d before b");
    let c = check(&t, "json", &[]);
    let f = findings(&c);
    assert_eq!(codes(&f), [("error", "edited-revision")], "{f:?}");
    assert_eq!(c.code, Some(7));
    assert!(
        f[0].2.contains(
            "the down_revision of b0000000000b (released in 1.0.0) changed from \"a0000000000a\" to \"d0000000000d\" since main"
        ),
        "{}",
        f[0].2
    );
    let github = check(&t, "github", &[]).stdout;
    assert!(
        github.contains("::error file=migrations/versions/b0000000000b_rev.py,line=4,"),
        "{github}"
    );

    // The same edit on an unreleased revision is a warning; deleting one too.
    git(dir, &["reset", "-q", "--hard", "main"]);
    revision(
        &t,
        "d0000000000d",
        Some("b0000000000b"),
        Some("NEXT_RELEASE_VERSION"),
    );
    revision(
        &t,
        "e0000000000e",
        Some("d0000000000d"),
        Some("NEXT_RELEASE_VERSION"),
    );
    commit(dir, "insert d before unreleased e");
    let f = findings(&check(&t, "json", &[]));
    assert_eq!(codes(&f), [("warning", "edited-revision")], "{f:?}");
    t.remove(&file("e0000000000e"));
    t.remove(&file("b0000000000b"));
    revision(
        &t,
        "d0000000000d",
        Some("a0000000000a"),
        Some("NEXT_RELEASE_VERSION"),
    );
    let f = findings(&check(&t, "json", &[]));
    let mut got = codes(&f);
    got.sort();
    assert_eq!(
        got,
        [
            ("error", "deleted-revision"),
            ("warning", "deleted-revision")
        ],
        "{f:?}"
    );
}

#[test]
fn unknown_base_ref_is_an_error_naming_it() {
    let t = repo();
    let out = t.run(&["check", "--base", "origin/nope"]);
    assert_eq!(out.code, Some(7), "{}", out.stdout);
    assert!(
        out.stdout.contains("`origin/nope` is not a commit"),
        "{}",
        out.stdout
    );
}
