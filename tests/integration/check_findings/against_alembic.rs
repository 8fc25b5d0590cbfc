//! Each shape `check` reports is one real Alembic fails on (or handles as
//! `check` says), proven with `alembic upgrade`/`downgrade` on SQLite.

use super::*;

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

        let o = t.run(&["check", "--format", "json"]);
        let got: Vec<String> = findings(&o.json())
            .into_iter()
            .filter(|f| f.1 == t.rel("m1") && !f.0.starts_with("docstring-"))
            .map(|f| f.0)
            .collect();
        assert_eq!(got, vec![code.to_owned()], "{parents}: {}", o.stdout);
        assert_eq!(o.code, Some(if upgrade_works { 0 } else { 7 }), "{parents}");

        let up = t.alembic(&["upgrade", "heads"]);
        assert_eq!(
            up.code == Some(0),
            upgrade_works,
            "{parents}: {}",
            up.stderr
        );
        if upgrade_works {
            let down = t.alembic(&["downgrade", "-1"]);
            assert!(down.code != Some(0), "{parents}: downgrade -1 worked");
            assert!(
                down.stderr.contains("Ambiguous walk"),
                "{parents}: {}",
                down.stderr
            );
        } else {
            assert!(up.stderr.contains("KeyError"), "{parents}: {}", up.stderr);
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
        let o = t.run(&["check", "--format", "json"]);
        let r = o.json();
        assert!(
            errors(&r).iter().any(|f| f.0 == code),
            "{code}: {}",
            o.stdout
        );
        assert_ne!(o.code, Some(0), "{code}");
        let a = t.alembic(alembic_args);
        assert!(
            a.code != Some(0),
            "{code}: alembic {alembic_args:?} succeeded:\n{}",
            a.stdout
        );
        assert!(
            a.stderr.contains(why),
            "{code}: alembic failed for another reason:\n{}",
            a.stderr
        );
    }
}
