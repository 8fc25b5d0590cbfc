//! How the Alembic-compatible commands fail: Alembic's `FAILED:` (255) versus
//! traceback (1) split, our one-line `error:` messages naming the file, the
//! warnings on stderr, and database failures (never printing a password).

use crate::support::{Tree, sqlite_db};

/// A tree of the given revision files (name, text), written as they are.
fn tree(revs: &[(&str, &str)]) -> Tree {
    let t = Tree::written("[alembic]\nscript_location = %(here)s/migrations\n");
    for (name, body) in revs {
        t.write(name, body);
    }
    t
}

fn file(rev: &str, down: &str, extra: &str) -> String {
    format!("\"\"\"{rev} doc\"\"\"\nrevision = '{rev}'\ndown_revision = {down}\n{extra}")
}

#[test]
fn construction_errors_crash_in_heads_and_fail_elsewhere() {
    let d = tree(&[
        ("a.py", &file("aaaa00000001", "None", "")),
        ("b.py", &file("ab-cd", "'aaaa00000001'", "")),
    ]);
    let msg = "Character(s) '-' not allowed in revision identifier 'ab-cd'";
    let heads = d.run(&["heads"]);
    assert_eq!((heads.code, heads.stdout.as_str()), (Some(1), ""));
    // The `error:` line: the `messages::commands::alembic_heads_bad_identifier` snapshot.
    for args in [
        &["heads", "--resolve-dependencies"][..],
        &["history"],
        &["branches"],
        &["show", "heads"],
    ] {
        let o = d.run(args);
        assert_eq!(o.code, Some(255), "{args:?}");
        assert_eq!(o.stdout, format!("FAILED: {msg}\n"), "{args:?}");
    }
}

#[test]
fn cycles_and_self_loops() {
    let d = tree(&[
        ("a.py", &file("aaaa00000001", "None", "")),
        ("c1.py", &file("c1c1c1c1c1c1", "'c2c2c2c2c2c2'", "")),
        ("c2.py", &file("c2c2c2c2c2c2", "'c1c1c1c1c1c1'", "")),
    ]);
    let o = d.run(&["history"]);
    assert_eq!(o.code, Some(255));
    assert_eq!(
        o.stdout,
        "FAILED: Cycle is detected in revisions (c1c1c1c1c1c1, c2c2c2c2c2c2)\n"
    );
    let d = tree(&[("s.py", &file("ffff00000009", "'ffff00000009'", ""))]);
    let o = d.run(&["heads"]);
    assert_eq!(o.code, Some(1));
    // The message: the `messages::commands::alembic_heads_self_loop` snapshot.
}

#[test]
fn missing_parent_is_a_crash_naming_the_file() {
    let d = tree(&[
        ("a.py", &file("aaaa00000001", "None", "")),
        ("m.py", &file("ffff00000004", "'deadbeef0000'", "")),
    ]);
    for args in [&["heads"][..], &["history"], &["show", "aaaa"]] {
        let o = d.run(args);
        assert_eq!((o.code, o.stdout.as_str()), (Some(1), ""), "{args:?}");
        assert!(o.stderr.starts_with("error: "), "{}", o.stderr);
    }
    // The message, naming the missing revision and the file:
    // the `messages::commands::alembic_heads_missing_parent` snapshot.
}

#[test]
fn duplicate_revision_warns_and_heads_lists_it_twice() {
    let d = tree(&[
        ("a.py", &file("aaaa00000001", "None", "")),
        ("b.py", &file("ffff00000007", "'aaaa00000001'", "")),
        ("c.py", &file("ffff00000007", "'aaaa00000001'", "")),
    ]);
    let o = d.run(&["heads"]);
    assert_eq!(o.code, Some(0));
    assert_eq!(o.stdout, "ffff00000007 (head)\nffff00000007 (head)\n");
    assert_eq!(
        o.stderr,
        "warning: Revision ffff00000007 is present more than once\n"
    );
}

#[test]
fn history_range_errors() {
    let d = tree(&[("a.py", &file("aaaa00000001", "None", ""))]);
    let o = d.run(&["history", "-r", "aaaa00000001"]);
    assert_eq!(o.code, Some(255));
    assert_eq!(
        o.stdout,
        "FAILED: History range requires [start]:[end], [start]:, or :[end]\n"
    );
    let o = d.run(&["history", "-r", "a:b:c"]);
    assert_eq!((o.code, o.stdout.as_str()), (Some(1), ""));
    assert!(o.stderr.starts_with("error: "));
    let o = d.run(&["show", ""]);
    assert_eq!((o.code, o.stdout.as_str()), (Some(1), ""));
    let o = d.run(&["show", "-2"]);
    assert_eq!((o.code, o.stdout.as_str()), (Some(1), ""));
    let o = d.run(&["show", "base"]);
    assert_eq!((o.code, o.stdout.as_str()), (Some(0), ""));
}

#[test]
fn current_needs_a_url_and_reports_database_errors_without_password() {
    let d = tree(&[("a.py", &file("aaaa00000001", "None", ""))]);
    let o = d.run(&["current"]);
    assert_eq!((o.code, o.stdout.as_str()), (Some(1), ""));
    // The message: the `messages::commands::alembic_current_no_url` snapshot.
    // Nothing listens on port 1.
    let url = "postgresql://app:sekrit-pw@127.0.0.1:1/app";
    for args in [
        &["current", "--url", url][..],
        &["history", "-i", "--url", url],
        &["show", "current", "--url", url],
    ] {
        let o = d.run(args);
        assert_eq!((o.code, o.stdout.as_str()), (Some(1), ""), "{args:?}");
        assert!(o.stderr.starts_with("error: "), "{}", o.stderr);
        assert!(!o.stderr.contains("sekrit"), "{}", o.stderr);
        // The message: the `messages::commands::alembic_current_refused` snapshot.
    }
}

#[test]
fn current_verbose_check_heads_and_indicate_current_on_sqlite() {
    let d = tree(&[("a.py", &file("aaaa00000001", "None", ""))]);
    let db = d.root().join("app.db");
    sqlite_db(&db, &["aaaa00000001"]);
    let url = format!("sqlite:///{}", db.display());
    let o = d.run(&["current", "-v", "--url", &url]);
    assert_eq!(o.code, Some(0), "{}", o.stderr);
    assert!(o.stdout.starts_with(&format!(
        "Current revision(s) for {url}:\nRev: aaaa00000001 (head)\n"
    )));
    let o = d.run(&["current", "--check-heads", "--url", &url]);
    assert_eq!(
        (o.code, o.stdout.as_str()),
        (Some(0), "aaaa00000001 (head)\n")
    );
    let o = d.run(&["history", "-i", "--url", &url]);
    assert_eq!(
        o.stdout,
        "<base> -> aaaa00000001 (head) (current), aaaa00000001 doc\n"
    );
}
