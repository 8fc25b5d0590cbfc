//! `db-status check` on trees written by the real Alembic: one test per kind
//! of finding, checking file, line, exit code and the output formats. Where a
//! tree is broken, the real Alembic is asked too, to prove the finding is a
//! real failure and not a db-status opinion.

use crate::support::{Rev, Tree, errors, findings, line_of, replace_assignment, set_down_revision};

mod against_alembic;
mod graph_errors;

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
    let o = t.run(&["check"]);
    assert_eq!(o.code, Some(0), "{}{}", o.stdout, o.stderr);
    assert_eq!(
        o.stdout,
        "check passed: 2 revisions, no findings (head: b1)\n"
    );
    let o = t.run(&["check", "--format", "json"]);
    assert_eq!(o.code, Some(0));
    let r = o.json();
    assert_eq!(r["exit_code"], 0);
    assert_eq!(findings(&r), vec![]);
    assert_eq!(r["components"][0]["heads"], serde_json::json!(["b1"]));
    let o = t.run(&["check", "--format", "github"]);
    assert_eq!(o.code, Some(0));
    assert_eq!(o.stdout, "");
}

#[test]
fn diverged_heads_name_heads_files_ancestor_and_fix() {
    let t = diverged_tree();
    // Alembic agrees there are two heads.
    let heads = t.alembic(&["heads"]);
    assert_eq!(heads.stdout.lines().count(), 2, "{}", heads.stdout);

    let o = t.run(&["check", "--format", "json"]);
    assert_eq!(o.code, Some(4), "{}", o.stderr);
    let r = o.json();
    assert_eq!(r["exit_code"], 4);
    let line = line_of(&t.file("c1"), "down_revision");
    assert_eq!(
        findings(&r),
        vec![("diverged-heads".to_string(), t.rel("c1"), u64::from(line))]
    );
    // The message (heads, files, last common ancestor) and the fix (the
    // line to re-point, or the merge command): the `diverged_human` and
    // `diverged_json` snapshots of this tree (human_and_json_output_snapshots).

    let o = t.run(&["check"]);
    assert_eq!(o.code, Some(4));
    let human = o.stdout;
    assert!(
        human.starts_with(&format!(
            "{}:{line}: error[diverged-heads]: 2 heads",
            t.rel("c1")
        )),
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
    let o = t.run(&["check"]);
    assert_eq!(o.code, Some(0), "{}", o.stdout);
    assert_eq!(t.alembic(&["heads"]).stdout.trim(), "c1 (head)");
}

#[test]
fn applying_the_merge_fix_makes_the_check_pass() {
    let t = diverged_tree().merge("m1", &["heads"]).build();
    let o = t.run(&["check"]);
    assert_eq!(o.code, Some(0), "{}", o.stdout);
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
    let o = t.run(&["check"]);
    assert_eq!(o.code, Some(0), "{}", o.stdout);

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
    let o = t.run(&["check", "--format", "json"]);
    assert_eq!(o.code, Some(4), "{}", o.stdout);
    let r = o.json();
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
fn missing_config_is_an_error_with_exit_7() {
    let t = Tree::empty();
    let o = t.run(&["check", "--format", "json"]);
    assert_eq!(o.code, Some(7), "{}{}", o.stdout, o.stderr);
    assert_eq!(findings(&o.json())[0].0, "config");
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
    let o = t.run(&["check", "--all", "--format", "json"]);
    assert_eq!(o.code, Some(4), "{}{}", o.stdout, o.stderr);
    let r = o.json();
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

    assert_eq!(t.run(&["check"]).code, Some(0));
    let o = t.run(&["check", "--component", "appproxy"]);
    assert_eq!(o.code, Some(4));
    assert!(
        o.stdout.contains("appproxy/versions/p3_p3.py:"),
        "{}",
        o.stdout
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
    let r = t.run(&["check", "--format", "json"]).json();
    let expected = r["components"][0]["findings"].as_array().unwrap().clone();
    assert_eq!(expected.len(), 4, "{expected:?}");

    let o = t.run(&["check", "--format", "github"]);
    assert_eq!(o.code, Some(7));
    let out = o.stdout;
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
    let o = t.run(&["check"]);
    assert_eq!(o.code, Some(4));
    insta::assert_snapshot!("diverged_human", o.stdout);
    let o = t.run(&["check", "--format", "json"]);
    insta::assert_snapshot!("diverged_json", o.stdout);
    let o = t.run(&["check", "--format", "github"]);
    insta::assert_snapshot!("diverged_github", o.stdout);
}

#[test]
fn formats_belong_to_their_command() {
    let t = diverged_tree();
    assert_eq!(t.run(&["check", "--format", "dot"]).code, Some(2));
    assert_eq!(t.run(&["graph", "--format", "github"]).code, Some(2));
    assert_eq!(t.run(&["graph", "--last", "1", "-r", "a1:"]).code, Some(2));
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
    let o = t.run(&["check", "--component", "app-proxy"]);
    assert_eq!(o.code, Some(4), "{}{}", o.stdout, o.stderr);
    assert!(
        o.stdout
            .contains("./py -m alembic -c alembic-appproxy.ini merge heads -m 'merge heads'"),
        "{}",
        o.stdout
    );
    assert!(
        o.stdout
            .contains("they share no ancestor (independent bases)"),
        "{}",
        o.stdout
    );
}
