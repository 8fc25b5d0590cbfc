//! One finding kind per test: missing and duplicate revisions, cycles,
//! unreadable values, bad merges, label clashes, forbidden characters and
//! docstring drift.

use super::*;

#[test]
fn missing_down_revision() {
    let t = Tree::new()
        .simple("a1", None)
        .simple("b1", Some("a1"))
        .build();
    t.edit("b1", |s| set_down_revision(s, "\"zzz\""));
    let a = t.alembic(&["heads"]);
    assert_ne!(a.code, Some(0));
    assert!(
        a.stderr.contains("Revision zzz referenced from"),
        "{}",
        a.stderr
    );

    let o = t.run(&["check", "--format", "json"]);
    assert_eq!(o.code, Some(7));
    let line = line_of(&t.file("b1"), "down_revision");
    assert_eq!(
        errors(&o.json()),
        vec![("missing-revision".to_string(), t.rel("b1"), u64::from(line))]
    );
}

#[test]
fn missing_depends_on() {
    let t = Tree::new()
        .simple("a1", None)
        .rev(Rev {
            id: "b1",
            message: "b",
            depends_on: Some("a1"),
            ..Default::default()
        })
        .build();
    t.edit("b1", |s| replace_assignment(s, "depends_on", "\"nope\""));
    let a = t.alembic(&["heads"]);
    assert_ne!(a.code, Some(0));

    let o = t.run(&["check", "--format", "json"]);
    assert_eq!(o.code, Some(7));
    let line = line_of(&t.file("b1"), "depends_on");
    let r = o.json();
    assert_eq!(
        findings(&r),
        vec![("missing-revision".to_string(), t.rel("b1"), u64::from(line))]
    );
    assert!(
        r["components"][0]["findings"][0]["message"]
            .as_str()
            .unwrap()
            .contains("depends_on 'nope'")
    );
}

#[test]
fn duplicate_revision_ids() {
    let t = Tree::new()
        .simple("a1", None)
        .simple("b1", Some("a1"))
        .build();
    let copy = t.root().join("migrations/versions/zz_copy.py");
    std::fs::copy(t.file("b1"), &copy).unwrap();
    let a = t.alembic(&["heads"]);
    assert!(
        a.stderr.contains("Revision b1 is present more than once"),
        "{}",
        a.stderr
    );
    // Alembic goes on: a warning, an error only under --strict.
    assert!(a.code == Some(0), "{}", a.stderr);
    assert_eq!(t.run(&["check", "--strict"]).code, Some(7));

    let o = t.run(&["check", "--format", "json"]);
    assert_eq!(o.code, Some(0));
    let r = o.json();
    let line = line_of(&copy, "revision");
    assert_eq!(
        findings(&r),
        vec![(
            "duplicate-revision".to_string(),
            "migrations/versions/zz_copy.py".to_string(),
            u64::from(line)
        )]
    );
    // The message, naming the other file: the
    // `messages::commands::check_duplicate_revision` snapshot.
}

#[test]
fn cycles_name_their_revisions() {
    let t = Tree::new()
        .simple("a1", None)
        .simple("b1", Some("a1"))
        .simple("c1", Some("b1"))
        .build();
    t.edit("b1", |s| set_down_revision(s, "\"c1\""));
    let a = t.alembic(&["history"]);
    assert!(
        a.stdout.contains("Cycle is detected"),
        "{}{}",
        a.stdout,
        a.stderr
    );

    let o = t.run(&["check", "--format", "json"]);
    assert_eq!(o.code, Some(7));
    let r = o.json();
    let line = line_of(&t.file("b1"), "down_revision");
    assert_eq!(
        errors(&r),
        vec![("cycle".to_string(), t.rel("b1"), u64::from(line))]
    );
    // The message, the cycle in order: the `messages::commands::check_cycle` snapshot.
}

#[test]
fn values_that_cannot_be_read_statically() {
    let t = Tree::new()
        .simple("a1", None)
        .simple("b1", Some("a1"))
        .build();
    t.edit("b1", |s| set_down_revision(s, "compute_parent()"));
    let o = t.run(&["check", "--format", "json"]);
    assert_eq!(o.code, Some(7), "{}", o.stdout);
    let line = line_of(&t.file("b1"), "down_revision");
    assert_eq!(
        findings(&o.json()),
        vec![("not-static".to_string(), t.rel("b1"), u64::from(line))]
    );
}

/// One unreadable file does not hide what the other files say about
/// themselves; graph-level verdicts wait until every file can be read.
#[test]
fn an_unreadable_file_does_not_hide_file_local_findings() {
    let t = Tree::new()
        .simple("a1", None)
        .simple("b1", Some("a1"))
        .simple("c1", Some("b1"))
        .build();
    t.edit("b1", |s| set_down_revision(s, "compute_parent()"));
    t.edit("c1", |s| replace_assignment(s, "revision", "'a1'"));
    let o = t.run(&["check", "--format", "json"]);
    assert_eq!(o.code, Some(7), "{}", o.stdout);
    let codes: Vec<String> = findings(&o.json()).into_iter().map(|f| f.0).collect();
    assert!(codes.contains(&"not-static".to_string()), "{codes:?}");
    assert!(
        codes.contains(&"duplicate-revision".to_string()),
        "{codes:?}"
    );
    assert!(!codes.contains(&"diverged-heads".to_string()), "{codes:?}");
}

#[test]
fn merge_listing_an_ancestor_of_another_parent() {
    let t = Tree::new()
        .simple("a1", None)
        .simple("b1", Some("a1"))
        .simple("c1", Some("b1"))
        .simple("d1", Some("a1"))
        .merge("m1", &["c1", "d1"])
        .build();
    assert_eq!(t.run(&["check"]).code, Some(0));
    // Backend.AI #11128: a "merge" that also lists an already-merged ancestor.
    t.edit("m1", |s| set_down_revision(s, "(\"b1\", \"c1\", \"d1\")"));
    let o = t.run(&["check", "--format", "json"]);
    assert_eq!(o.code, Some(7));
    let r = o.json();
    let line = line_of(&t.file("m1"), "down_revision");
    let got: Vec<_> = findings(&r)
        .into_iter()
        .filter(|f| f.0 == "bad-merge")
        .collect();
    assert_eq!(
        got,
        vec![("bad-merge".to_string(), t.rel("m1"), u64::from(line))]
    );
    let f = r["components"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "bad-merge")
        .unwrap();
    // The message: the `messages::commands::check_bad_merge` snapshot.
    assert_eq!(f["fix"], "down_revision = (\"c1\", \"d1\")");
    t.edit("m1", |s| set_down_revision(s, "(\"c1\", \"d1\")"));
    assert_eq!(t.run(&["check"]).code, Some(0));
}

#[test]
fn branch_label_clash() {
    let t = Tree::new()
        .rev(Rev {
            id: "a1",
            message: "a",
            label: Some("x"),
            ..Default::default()
        })
        .simple("b1", Some("a1"))
        .build();
    t.edit("b1", |s| replace_assignment(s, "branch_labels", "(\"x\",)"));
    let a = t.alembic(&["history"]);
    assert!(
        a.stdout.contains("already used by revision"),
        "{}{}",
        a.stdout,
        a.stderr
    );

    let o = t.run(&["check", "--format", "json"]);
    assert_eq!(o.code, Some(7));
    let line = line_of(&t.file("b1"), "branch_labels");
    assert_eq!(
        findings(&o.json()),
        vec![("label-clash".to_string(), t.rel("b1"), u64::from(line))]
    );
}

#[test]
fn forbidden_characters_in_a_revision_id() {
    let t = Tree::new().simple("a1", None).build();
    t.edit("a1", |s| replace_assignment(s, "revision", "\"a-1\""));
    let o = t.run(&["check", "--format", "json"]);
    assert_eq!(o.code, Some(7));
    let line = line_of(&t.file("a1"), "revision");
    assert_eq!(
        errors(&o.json()),
        vec![("bad-identifier".to_string(), t.rel("a1"), u64::from(line))]
    );
}

#[test]
fn docstring_drift_is_a_warning_that_fails_only_when_strict() {
    let t = Tree::new()
        .simple("a1", None)
        .simple("b1", Some("a1"))
        .build();
    t.edit("b1", |s| {
        s.replace("Revises: a1", "Revises: zz9")
            .replace("Revision ID: b1", "Revision ID: bb")
    });
    let o = t.run(&["check", "--format", "json"]);
    assert_eq!(o.code, Some(0), "{}", o.stdout);
    let id_line = line_of(&t.file("b1"), "Revision ID:");
    let revises_line = line_of(&t.file("b1"), "Revises:");
    assert_eq!(
        findings(&o.json()),
        vec![
            (
                "docstring-revision-id".to_string(),
                t.rel("b1"),
                u64::from(id_line)
            ),
            (
                "docstring-revises".to_string(),
                t.rel("b1"),
                u64::from(revises_line)
            ),
        ]
    );
    let o = t.run(&["check"]);
    assert!(o.stdout.contains(&format!(
        "{}:{revises_line}: warning[docstring-revises]",
        t.rel("b1")
    )));
    // The fix line: the `messages::commands::check_docstring_drift` snapshot.
    assert_eq!(t.run(&["check", "--strict"]).code, Some(7));
}
