//! `db-status check` on trees written by the real Alembic: one test per kind
//! of finding, checking file, line, exit code and the output formats. Where a
//! tree is broken, the real Alembic is asked too, to prove the finding is a
//! real failure and not a db-status opinion.

use crate::support::{
    Rev, Tree, errors, findings, json, line_of, replace_assignment, set_down_revision, stderr,
    stdout,
};

fn diverged_tree() -> Tree {
    Tree::new()
        .simple("a1", None)
        .simple("b1", Some("a1"))
        .simple("c1", Some("a1"))
        .build()
}

#[test]
fn clean_tree_passes_in_every_format() {
    let t = Tree::new()
        .simple("a1", None)
        .simple("b1", Some("a1"))
        .build();
    let o = t.db_status(&["check"]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    assert!(
        stdout(&o).contains("check passed: 2 revisions"),
        "{}",
        stdout(&o)
    );
    let o = t.db_status(&["check", "--format", "json"]);
    assert_eq!(o.status.code(), Some(0));
    let r = json(&o);
    assert_eq!(r["exit_code"], 0);
    assert_eq!(findings(&r), vec![]);
    assert_eq!(r["components"][0]["heads"], serde_json::json!(["b1"]));
    let o = t.db_status(&["check", "--format", "github"]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(stdout(&o), "");
}

#[test]
fn diverged_heads_name_heads_files_ancestor_and_fix() {
    let t = diverged_tree();
    // Alembic agrees there are two heads.
    let heads = t.alembic(&["heads"]);
    assert_eq!(stdout(&heads).lines().count(), 2, "{}", stdout(&heads));

    let o = t.db_status(&["check", "--format", "json"]);
    assert_eq!(o.status.code(), Some(4), "{}", stderr(&o));
    let r = json(&o);
    assert_eq!(r["exit_code"], 4);
    let line = line_of(&t.file("c1"), "down_revision");
    assert_eq!(
        findings(&r),
        vec![("diverged-heads".to_string(), t.rel("c1"), u64::from(line))]
    );
    let f = &r["components"][0]["findings"][0];
    let message = f["message"].as_str().unwrap();
    assert!(message.contains("b1 ("), "{message}");
    assert!(message.contains("c1 ("), "{message}");
    assert!(
        message.contains(&format!("b1 ({})", t.rel("b1"))),
        "{message}"
    );
    assert!(
        message.contains(&format!("last common ancestor: a1 ({})", t.rel("a1"))),
        "{message}"
    );
    let fix = f["fix"].as_str().unwrap();
    assert!(
        fix.contains(&format!(
            "{}:{line} set down_revision = \"b1\"",
            t.rel("c1")
        )),
        "{fix}"
    );
    assert!(
        fix.contains("alembic merge heads -m 'merge heads'"),
        "{fix}"
    );

    let o = t.db_status(&["check"]);
    assert_eq!(o.status.code(), Some(4));
    let human = stdout(&o);
    assert!(
        human.starts_with(&format!(
            "{}:{line}: error[diverged-heads]: 2 heads",
            t.rel("c1")
        )),
        "{human}"
    );
    assert!(
        human.contains("\n  = fix: if c1 is not merged or released yet"),
        "{human}"
    );
    assert!(
        human.ends_with("check failed: 1 error, 0 warnings\n"),
        "{human}"
    );
}

#[test]
fn applying_the_repoint_fix_makes_the_check_pass() {
    let t = diverged_tree();
    t.edit("c1", |s| set_down_revision(s, "\"b1\""));
    let o = t.db_status(&["check"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert_eq!(stdout(&t.alembic(&["heads"])).trim(), "c1 (head)");
}

#[test]
fn applying_the_merge_fix_makes_the_check_pass() {
    let t = diverged_tree().merge("m1", &["heads"]).build();
    let o = t.db_status(&["check"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
}

#[test]
fn heads_with_their_own_labels_are_fine_but_a_shared_label_diverges() {
    let t = Tree::new()
        .rev(Rev {
            id: "x1",
            message: "x",
            head: Some("base"),
            label: Some("x"),
            ..Default::default()
        })
        .rev(Rev {
            id: "y1",
            message: "y",
            head: Some("base"),
            label: Some("y"),
            ..Default::default()
        })
        .build();
    let o = t.db_status(&["check"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));

    let t = t
        .rev(Rev {
            id: "y2",
            message: "y2",
            head: Some("y1"),
            splice: true,
            ..Default::default()
        })
        .rev(Rev {
            id: "y3",
            message: "y3",
            head: Some("y1"),
            splice: true,
            ..Default::default()
        })
        .build();
    let o = t.db_status(&["check", "--format", "json"]);
    assert_eq!(o.status.code(), Some(4), "{}", stdout(&o));
    let r = json(&o);
    let f = &r["components"][0]["findings"][0];
    assert_eq!(f["code"], "diverged-heads");
    let message = f["message"].as_str().unwrap();
    assert!(message.contains("heads on branch 'y'"), "{message}");
    assert!(!message.contains("x1"), "{message}");
    // `merge heads` would also swallow x1: the fix names the two heads.
    assert!(
        f["fix"]
            .as_str()
            .unwrap()
            .contains("alembic merge y2 y3 -m"),
        "{}",
        f["fix"]
    );
}

#[test]
fn missing_down_revision() {
    let t = Tree::new()
        .simple("a1", None)
        .simple("b1", Some("a1"))
        .build();
    t.edit("b1", |s| set_down_revision(s, "\"zzz\""));
    let a = t.alembic(&["heads"]);
    assert_ne!(a.status.code(), Some(0));
    assert!(
        stderr(&a).contains("Revision zzz referenced from"),
        "{}",
        stderr(&a)
    );

    let o = t.db_status(&["check", "--format", "json"]);
    assert_eq!(o.status.code(), Some(7));
    let line = line_of(&t.file("b1"), "down_revision");
    assert_eq!(
        errors(&json(&o)),
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
    assert_ne!(a.status.code(), Some(0));

    let o = t.db_status(&["check", "--format", "json"]);
    assert_eq!(o.status.code(), Some(7));
    let line = line_of(&t.file("b1"), "depends_on");
    let r = json(&o);
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
        stderr(&a).contains("Revision b1 is present more than once"),
        "{}",
        stderr(&a)
    );
    // Alembic goes on: a warning, an error only under --strict.
    assert!(a.status.success(), "{}", stderr(&a));
    assert_eq!(t.db_status(&["check", "--strict"]).status.code(), Some(7));

    let o = t.db_status(&["check", "--format", "json"]);
    assert_eq!(o.status.code(), Some(0));
    let r = json(&o);
    let line = line_of(&copy, "revision");
    assert_eq!(
        findings(&r),
        vec![(
            "duplicate-revision".to_string(),
            "migrations/versions/zz_copy.py".to_string(),
            u64::from(line)
        )]
    );
    let message = r["components"][0]["findings"][0]["message"]
        .as_str()
        .unwrap();
    assert!(message.contains(&format!("{}:", t.rel("b1"))), "{message}");
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
        stdout(&a).contains("Cycle is detected"),
        "{}{}",
        stdout(&a),
        stderr(&a)
    );

    let o = t.db_status(&["check", "--format", "json"]);
    assert_eq!(o.status.code(), Some(7));
    let r = json(&o);
    let line = line_of(&t.file("b1"), "down_revision");
    assert_eq!(
        errors(&r),
        vec![("cycle".to_string(), t.rel("b1"), u64::from(line))]
    );
    let message = r["components"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "cycle")
        .and_then(|f| f["message"].as_str())
        .unwrap();
    assert!(message.contains("b1 → c1 → b1"), "{message}");
}

#[test]
fn values_that_cannot_be_read_statically() {
    let t = Tree::new()
        .simple("a1", None)
        .simple("b1", Some("a1"))
        .build();
    t.edit("b1", |s| set_down_revision(s, "compute_parent()"));
    let o = t.db_status(&["check", "--format", "json"]);
    assert_eq!(o.status.code(), Some(7), "{}", stdout(&o));
    let line = line_of(&t.file("b1"), "down_revision");
    assert_eq!(
        findings(&json(&o)),
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
    let o = t.db_status(&["check", "--format", "json"]);
    assert_eq!(o.status.code(), Some(7), "{}", stdout(&o));
    let codes: Vec<String> = findings(&json(&o)).into_iter().map(|f| f.0).collect();
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
    assert_eq!(t.db_status(&["check"]).status.code(), Some(0));
    // Backend.AI #11128: a "merge" that also lists an already-merged ancestor.
    t.edit("m1", |s| set_down_revision(s, "(\"b1\", \"c1\", \"d1\")"));
    let o = t.db_status(&["check", "--format", "json"]);
    assert_eq!(o.status.code(), Some(7));
    let r = json(&o);
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
    assert!(
        f["message"]
            .as_str()
            .unwrap()
            .contains("\"b1\" is already an ancestor of \"c1\"")
    );
    assert_eq!(f["fix"], "down_revision = (\"c1\", \"d1\")");
    t.edit("m1", |s| set_down_revision(s, "(\"c1\", \"d1\")"));
    assert_eq!(t.db_status(&["check"]).status.code(), Some(0));
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
        stdout(&a).contains("already used by revision"),
        "{}{}",
        stdout(&a),
        stderr(&a)
    );

    let o = t.db_status(&["check", "--format", "json"]);
    assert_eq!(o.status.code(), Some(7));
    let line = line_of(&t.file("b1"), "branch_labels");
    assert_eq!(
        findings(&json(&o)),
        vec![("label-clash".to_string(), t.rel("b1"), u64::from(line))]
    );
}

#[test]
fn forbidden_characters_in_a_revision_id() {
    let t = Tree::new().simple("a1", None).build();
    t.edit("a1", |s| replace_assignment(s, "revision", "\"a-1\""));
    let o = t.db_status(&["check", "--format", "json"]);
    assert_eq!(o.status.code(), Some(7));
    let line = line_of(&t.file("a1"), "revision");
    assert_eq!(
        errors(&json(&o)),
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
    let o = t.db_status(&["check", "--format", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let id_line = line_of(&t.file("b1"), "Revision ID:");
    let revises_line = line_of(&t.file("b1"), "Revises:");
    assert_eq!(
        findings(&json(&o)),
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
    let o = t.db_status(&["check"]);
    assert!(stdout(&o).contains(&format!(
        "{}:{revises_line}: warning[docstring-revises]",
        t.rel("b1")
    )));
    assert!(
        stdout(&o).contains("  = fix: Revises: a1\n"),
        "{}",
        stdout(&o)
    );
    assert_eq!(t.db_status(&["check", "--strict"]).status.code(), Some(7));
}

#[test]
fn missing_config_is_an_error_with_exit_7() {
    let t = Tree::empty();
    let o = t.db_status(&["check", "--format", "json"]);
    assert_eq!(o.status.code(), Some(7), "{}{}", stdout(&o), stderr(&o));
    assert_eq!(findings(&json(&o))[0].0, "config");
}

#[test]
fn all_components_and_one_component() {
    let t = Tree::new()
        .env("alembic-appproxy.ini", "appproxy")
        .simple("a1", None)
        .rev_in(
            "alembic-appproxy.ini",
            Rev {
                id: "p1",
                message: "p1",
                ..Default::default()
            },
        )
        .rev_in(
            "alembic-appproxy.ini",
            Rev {
                id: "p2",
                message: "p2",
                ..Default::default()
            },
        )
        .rev_in(
            "alembic-appproxy.ini",
            Rev {
                id: "p3",
                message: "p3",
                head: Some("p1"),
                splice: true,
                ..Default::default()
            },
        )
        .build();
    let o = t.db_status(&["check", "--all", "--format", "json"]);
    assert_eq!(o.status.code(), Some(4), "{}{}", stdout(&o), stderr(&o));
    let r = json(&o);
    let names: Vec<&str> = r["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["manager", "appproxy"]);
    assert_eq!(r["components"][0]["exit_code"], 0);
    assert_eq!(r["components"][1]["exit_code"], 4);
    let fix = r["components"][1]["findings"][0]["fix"].as_str().unwrap();
    assert!(
        fix.contains("alembic -c alembic-appproxy.ini merge heads"),
        "{fix}"
    );

    assert_eq!(t.db_status(&["check"]).status.code(), Some(0));
    let o = t.db_status(&["check", "--component", "appproxy"]);
    assert_eq!(o.status.code(), Some(4));
    assert!(
        stdout(&o).contains("appproxy/versions/p3_p3.py:"),
        "{}",
        stdout(&o)
    );
}

/// Parse one workflow command the way the Actions runner does
/// (`ActionCommand.TryParseV2`): `::name k=v,k=v::message`, unescaping.
fn parse_annotation(line: &str) -> (String, Vec<(String, String)>, String) {
    fn unescape(s: &str, property: bool) -> String {
        let mut s = s.replace("%0D", "\r").replace("%0A", "\n");
        if property {
            s = s.replace("%3A", ":").replace("%2C", ",");
        }
        s.replace("%25", "%")
    }
    let rest = line.strip_prefix("::").expect("starts with ::");
    let (head, message) = rest.split_once("::").expect("has ::message");
    let (name, props) = head.split_once(' ').unwrap_or((head, ""));
    let props = props
        .split(',')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').expect("k=v");
            (k.to_string(), unescape(v, true))
        })
        .collect();
    (name.to_string(), props, unescape(message, false))
}

#[test]
fn github_format_is_one_parsable_annotation_per_finding() {
    let t = Tree::new()
        .simple("a1", None)
        .simple("b1", Some("a1"))
        .simple("c1", Some("b1"))
        .simple("d1", Some("c1"))
        .build();
    t.edit("b1", |s| set_down_revision(s, "\"nope,100%\""));
    t.edit("c1", |s| s.replace("Revises: b1", "Revises: b0"));
    t.edit("d1", |s| {
        replace_assignment(s, "branch_labels", "(\"a1\",)")
    });
    let r = json(&t.db_status(&["check", "--format", "json"]));
    let expected = r["components"][0]["findings"].as_array().unwrap().clone();
    assert_eq!(expected.len(), 4, "{expected:?}");

    let o = t.db_status(&["check", "--format", "github"]);
    assert_eq!(o.status.code(), Some(7));
    let out = stdout(&o);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), expected.len(), "{out}");
    for (line, f) in lines.iter().zip(&expected) {
        let (name, props, message) = parse_annotation(line);
        assert_eq!(name, f["severity"].as_str().unwrap());
        let get = |k: &str| {
            props
                .iter()
                .find(|(pk, _)| pk == k)
                .map(|(_, v)| v.clone())
                .unwrap_or_else(|| panic!("no {k} in {line}"))
        };
        assert_eq!(get("file"), f["file"].as_str().unwrap());
        assert!(t.root().join(get("file")).is_file());
        assert_eq!(get("line"), f["line"].to_string());
        assert_eq!(
            get("title"),
            format!("db-status {}", f["code"].as_str().unwrap())
        );
        let mut want = f["message"].as_str().unwrap().to_string();
        if let Some(fix) = f["fix"].as_str() {
            want.push_str("\nfix: ");
            want.push_str(fix);
        }
        assert_eq!(message, want);
    }
    assert!(out.contains("nope,100%25"), "message % is escaped: {out}");
}

#[test]
fn human_and_json_output_snapshots() {
    let t = diverged_tree();
    t.edit("b1", |s| s.replace("Revises: a1", "Revises: zz"));
    let o = t.db_status(&["check"]);
    assert_eq!(o.status.code(), Some(4));
    insta::assert_snapshot!("diverged_human", stdout(&o));
    let o = t.db_status(&["check", "--format", "json"]);
    insta::assert_snapshot!("diverged_json", stdout(&o));
    let o = t.db_status(&["check", "--format", "github"]);
    insta::assert_snapshot!("diverged_github", stdout(&o));
}

#[test]
fn formats_belong_to_their_command() {
    let t = diverged_tree();
    assert_eq!(
        t.db_status(&["check", "--format", "dot"]).status.code(),
        Some(2)
    );
    assert_eq!(
        t.db_status(&["graph", "--format", "github"]).status.code(),
        Some(2)
    );
    assert_eq!(
        t.db_status(&["graph", "--last", "1", "-r", "a1:"])
            .status
            .code(),
        Some(2)
    );
}

#[test]
fn backend_ai_checkout_gets_py_m_alembic_in_the_fix() {
    let t = Tree::empty()
        .env("alembic-appproxy.ini", "appproxy")
        .rev_in(
            "alembic-appproxy.ini",
            Rev {
                id: "p1",
                message: "p1",
                ..Default::default()
            },
        )
        .rev_in(
            "alembic-appproxy.ini",
            Rev {
                id: "p2",
                message: "p2",
                head: Some("base"),
                ..Default::default()
            },
        )
        .build();
    std::fs::write(t.root().join("py"), "#!/bin/sh\n").unwrap();
    std::fs::create_dir_all(t.root().join("src/ai/backend")).unwrap();
    let o = t.db_status(&["check", "--component", "app-proxy"]);
    assert_eq!(o.status.code(), Some(4), "{}{}", stdout(&o), stderr(&o));
    assert!(
        stdout(&o).contains("./py -m alembic -c alembic-appproxy.ini merge heads -m 'merge heads'"),
        "{}",
        stdout(&o)
    );
    assert!(
        stdout(&o).contains("they share no ancestor (independent bases)"),
        "{}",
        stdout(&o)
    );
}

/// Point the tree's `sqlalchemy.url` at a SQLite file, so that real
/// `alembic upgrade` runs.
fn use_sqlite(t: &Tree) {
    let ini = t.root().join("alembic.ini");
    let text = std::fs::read_to_string(&ini).expect("ini");
    let text: String = text
        .lines()
        .map(|l| {
            if l.starts_with("sqlalchemy.url") {
                "sqlalchemy.url = sqlite:///db.sqlite".to_owned()
            } else {
                l.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    std::fs::write(&ini, text).expect("ini");
}

/// `bad-merge` (an error) and `redundant-parent` (a warning) agree with what
/// real Alembic does on the same trees: a redundant parent beside two or
/// more others makes `alembic upgrade heads` fail from an empty database
/// (KeyError, Backend.AI #11128); beside one other, upgrades work and only
/// `alembic downgrade -1` from the merge fails (Ambiguous walk).
#[test]
fn merge_shapes_match_real_alembic_upgrade_and_downgrade() {
    let shapes: [(&[&str], &str, &str, bool); 4] = [
        (&["c1"], "(\"c1\", \"b1\")", "redundant-parent", true),
        (&["c1"], "(\"c1\", \"a1\")", "redundant-parent", true),
        (
            &["c1", "d1"],
            "(\"d1\", \"c1\", \"b1\")",
            "bad-merge",
            false,
        ),
        (
            &["c1", "d1"],
            "(\"b1\", \"c1\", \"d1\")",
            "bad-merge",
            false,
        ),
    ];
    for (merged, parents, code, upgrade_works) in shapes {
        let mut tree = Tree::new()
            .simple("a1", None)
            .simple("b1", Some("a1"))
            .simple("c1", Some("b1"));
        tree = if merged.len() == 1 {
            tree.simple("m1", Some("c1"))
        } else {
            tree.simple("d1", Some("a1")).merge("m1", merged)
        };
        let t = tree.build();
        t.edit("m1", |s| set_down_revision(s, parents));
        use_sqlite(&t);

        let o = t.db_status(&["check", "--format", "json"]);
        let got: Vec<String> = findings(&json(&o))
            .into_iter()
            .filter(|f| f.1 == t.rel("m1") && !f.0.starts_with("docstring-"))
            .map(|f| f.0)
            .collect();
        assert_eq!(got, vec![code.to_owned()], "{parents}: {}", stdout(&o));
        assert_eq!(
            o.status.code(),
            Some(if upgrade_works { 0 } else { 7 }),
            "{parents}"
        );

        let up = t.alembic(&["upgrade", "heads"]);
        assert_eq!(
            up.status.success(),
            upgrade_works,
            "{parents}: {}",
            stderr(&up)
        );
        if upgrade_works {
            let down = t.alembic(&["downgrade", "-1"]);
            assert!(!down.status.success(), "{parents}: downgrade -1 worked");
            assert!(
                stderr(&down).contains("Ambiguous walk"),
                "{parents}: {}",
                stderr(&down)
            );
        } else {
            assert!(
                stderr(&up).contains("KeyError"),
                "{parents}: {}",
                stderr(&up)
            );
        }
    }
}

/// Every graph error `check` reports names a tree on which real Alembic
/// fails: `heads` (or, for diverged heads, `upgrade head`) exits non-zero.
#[test]
fn each_graph_error_is_a_tree_alembic_fails_on() {
    type Edit = fn(&Tree);
    let cases: [(&str, Edit, &[&str], &str); 5] = [
        (
            "missing-revision",
            |t| t.edit("b1", |s| set_down_revision(s, "\"zz0000000000\"")),
            &["heads"],
            "KeyError",
        ),
        (
            "cycle",
            |t| t.edit("a1", |s| set_down_revision(s, "\"c1\"")),
            &["heads"],
            "Cycle is detected",
        ),
        (
            "label-clash",
            |t| {
                t.edit("c1", |s| {
                    replace_assignment(s, "branch_labels", "(\"a1\",)")
                })
            },
            &["heads"],
            "already used",
        ),
        (
            "bad-identifier",
            |t| t.edit("c1", |s| replace_assignment(s, "revision", "\"c-1\"")),
            &["heads"],
            "not allowed in revision identifier",
        ),
        (
            "diverged-heads",
            |t| t.edit("c1", |s| set_down_revision(s, "\"a1\"")),
            &["upgrade", "head"],
            "Multiple head revisions",
        ),
    ];
    for (code, edit, alembic_args, why) in cases {
        let t = Tree::new()
            .simple("a1", None)
            .simple("b1", Some("a1"))
            .simple("c1", Some("b1"))
            .build();
        edit(&t);
        use_sqlite(&t);
        let o = t.db_status(&["check", "--format", "json"]);
        let r = json(&o);
        assert!(
            errors(&r).iter().any(|f| f.0 == code),
            "{code}: {}",
            stdout(&o)
        );
        assert_ne!(o.status.code(), Some(0), "{code}");
        let a = t.alembic(alembic_args);
        assert!(
            !a.status.success(),
            "{code}: alembic {alembic_args:?} succeeded:\n{}",
            stdout(&a)
        );
        assert!(
            stderr(&a).contains(why),
            "{code}: alembic failed for another reason:\n{}",
            stderr(&a)
        );
    }
}
