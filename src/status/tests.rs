//! Verdicts on revision maps built from scripts constructed in memory.

use std::path::PathBuf;

use super::*;
use crate::database::{DbErrorKind, VersionRead, VersionRows};
use crate::fixture::{map, rev};

fn ctx() -> Context {
    Context {
        name: "manager".into(),
        config: Some("alembic.ini".into()),
        script_location: Some("migrations".into()),
        database: Some("sqlite:///x.db".into()),
        alembic: vec!["alembic".into()],
        recheck: vec!["db-status".into()],
        cwd: PathBuf::from("/proj"),
        ..Context::default()
    }
}

/// A read that found these rows (and did not ask for the table list).
fn db_read(rows: VersionRows) -> DbRead {
    DbRead::Read(VersionRead { rows, tables: None })
}

fn rows(r: &[&str]) -> DbRead {
    db_read(VersionRows::Rows(r.iter().map(|s| s.to_string()).collect()))
}

fn ids(revs: &[Revision]) -> Vec<&str> {
    revs.iter().map(|r| r.id.as_str()).collect()
}

fn pending(s: &ComponentStatus) -> Vec<&str> {
    ids(s.pending.as_deref().expect("a plan"))
}

fn text(s: &ComponentStatus, i: usize) -> &str {
    s.actions.get(i).map_or("", |a| a.text.as_str())
}

fn any_action(s: &ComponentStatus, needle: &str) -> bool {
    s.actions.iter().any(|a| a.text.contains(needle))
}

/// Asserts that action `i` says each of `parts`, showing every action when it does not.
#[track_caller]
fn assert_action(s: &ComponentStatus, i: usize, parts: &[&str]) {
    let said = text(s, i);
    assert!(
        parts.iter().all(|p| said.contains(p)),
        "action {i} should say {parts:?}: {:?}",
        s.actions
    );
}

fn linear() -> RevisionMap {
    map([
        rev("a1").doc("first"),
        rev("a2").down(&["a1"]).doc("second\n\nmore text"),
        rev("a3").down(&["a2"]).doc("third"),
    ])
}

#[test]
fn up_to_date_linear() {
    let s = evaluate(&linear(), &rows(&["a3"]), &ctx());
    assert_eq!(s.state, State::UpToDate);
    assert_eq!(s.exit_code(), 0);
    assert_eq!(ids(&s.current), ["a3"]);
    assert_eq!(ids(&s.heads), ["a3"]);
    assert_eq!(pending(&s), Vec::<&str>::new());
    assert!(s.actions.is_empty());
}

#[test]
fn behind_lists_pending_oldest_first_with_doc_and_relative_path() {
    let s = evaluate(&linear(), &rows(&["a1"]), &ctx());
    assert_eq!(s.state, State::Behind);
    assert_eq!(s.exit_code(), 1);
    assert_eq!(pending(&s), ["a2", "a3"]);
    assert_eq!(s.pending.as_ref().expect("plan")[0].message, "second");
    assert_eq!(
        s.pending.as_ref().expect("plan")[0].path,
        PathBuf::from("versions/a2_x.py")
    );
    assert_eq!(s.summary, "2 migrations pending.");
    assert_action(&s, 0, &["alembic upgrade heads"]);
}

#[test]
fn fresh_database_states() {
    for (db, fresh) in [
        (db_read(VersionRows::NoTable), Fresh::NoTable),
        (db_read(VersionRows::NoDatabaseFile), Fresh::NoDatabaseFile),
        (rows(&[]), Fresh::EmptyTable),
    ] {
        let s = evaluate(&linear(), &db, &ctx());
        assert_eq!(s.state, State::NoRevision);
        assert_eq!(s.exit_code(), 3);
        assert_eq!(s.fresh, Some(fresh));
        assert_eq!(pending(&s), ["a1", "a2", "a3"]);
    }
}

#[test]
fn backend_ai_manager_fresh_mentions_oneshot() {
    let mut c = ctx();
    c.backend_ai = true;
    c.alembic = vec!["./py".into(), "-m".into(), "alembic".into()];
    let s = evaluate(&linear(), &db_read(VersionRows::NoTable), &c);
    assert_action(&s, 0, &["./backend.ai mgr schema oneshot"]);
    assert_action(&s, 1, &["./py -m alembic upgrade head"]);
}

#[test]
fn unknown_revision_is_reported_not_crashed() {
    let s = evaluate(&linear(), &rows(&["deadbeef0000"]), &ctx());
    assert_eq!(s.state, State::UnknownRevision);
    assert_eq!(s.exit_code(), 5);
    assert_eq!(s.unknown, ["deadbeef0000"]);
    assert!(s.current.is_empty());
    assert!(s.actions.iter().any(|a| a.text.contains("git pull")));
    assert!(
        s.error
            .as_ref()
            .is_some_and(|e| e.message.contains("deadbeef0000"))
    );
}

#[test]
fn unknown_row_leaves_no_plan() {
    let m = map([
        rev("a1").doc("first"),
        rev("a2").down(&["a1"]).doc("second"),
        rev("b1").labels(&["other"]).doc("other root"),
        rev("b2").down(&["b1"]).doc("other two"),
    ]);
    // a-branch unlabelled, b-branch labelled: not diverged.
    let s = evaluate(&m, &rows(&["a1", "zzz"]), &ctx());
    assert_eq!(s.state, State::UnknownRevision);
    assert_eq!(ids(&s.current), ["a1"]);
    // Alembic cannot plan from a revision it cannot locate: no list, and the summary says why.
    assert_eq!(s.pending, None);
    assert!(s.summary.contains("cannot plan"), "{}", s.summary);
}

#[test]
fn another_components_revision_means_the_wrong_database() {
    let mut c = ctx();
    c.foreign = vec![Foreign {
        row: "1449797cc931".into(),
        component: "accountmgr".into(),
        head: true,
    }];
    let s = evaluate(&linear(), &rows(&["1449797cc931"]), &c);
    assert_eq!(s.state, State::UnknownRevision);
    assert_eq!(s.title, "Wrong database");
    let e = s.error.as_ref().expect("error");
    assert_eq!(e.kind, ErrorKind::WrongDatabase);
    assert!(
        e.message.starts_with(
            "1449797cc931 is accountmgr's head; this URL points at accountmgr's database"
        ),
        "{}",
        e.message
    );
    assert!(text(&s, 0).starts_with("Fix the URL"), "{:?}", s.actions);
    assert!(
        !any_action(&s, "git pull") && !any_action(&s, "downgrade "),
        "{:?}",
        s.actions
    );
}

#[test]
fn populated_database_without_version_table_is_unstamped() {
    let tables = Some(crate::database::Tables {
        count: 3,
        names: vec!["agents".into(), "kernels".into(), "users".into()],
    });
    for table in [VersionRows::NoTable, VersionRows::Rows(Vec::new())] {
        let db = DbRead::Read(crate::database::VersionRead {
            rows: table,
            tables: tables.clone(),
        });
        let s = evaluate(&linear(), &db, &ctx());
        assert_eq!(s.state, State::Unstamped);
        assert_eq!(s.exit_code(), 8);
        assert!(any_action(&s, "alembic stamp <rev>"), "{:?}", s.actions);
        assert!(!any_action(&s, "upgrade"), "{:?}", s.actions);
    }
    // An empty database is still fresh.
    let db = DbRead::Read(crate::database::VersionRead {
        rows: VersionRows::NoTable,
        tables: Some(crate::database::Tables::default()),
    });
    assert_eq!(evaluate(&linear(), &db, &ctx()).state, State::NoRevision);
}

#[test]
fn two_unlabelled_heads_are_diverged_with_common_ancestor() {
    let m = map([
        rev("a1").doc("root"),
        rev("a2").down(&["a1"]).doc("base of split"),
        rev("b1")
            .down(&["a2"])
            .doc("theirs")
            .created("2026-01-01 10:00:00"),
        rev("c1")
            .down(&["a2"])
            .doc("mine")
            .created("2026-02-01 10:00:00"),
    ]);
    let s = evaluate(&m, &rows(&["b1"]), &ctx());
    assert_eq!(s.state, State::Diverged);
    assert_eq!(s.exit_code(), 4);
    let d = s.diverged.as_ref().expect("diverged");
    assert_eq!(ids(&d.heads), ["b1", "c1"]);
    assert_eq!(
        d.last_common_ancestor.as_ref().map(|r| r.id.as_str()),
        Some("a2")
    );
    // The newest head (by Create Date) is the one to re-point, at its down_revision line.
    assert_action(
        &s,
        0,
        &[
            "versions/c1_x.py line 11",
            "change down_revision from 'a2' to 'b1'",
        ],
    );
    assert_action(&s, 1, &["alembic merge -m 'merge heads' heads"]);
    // Still pending facts are kept.
    assert_eq!(pending(&s), ["c1"]);
}

#[test]
fn fresh_db_under_diverged_scripts_is_diverged() {
    let m = map([
        rev("a1").doc("root"),
        rev("b1").down(&["a1"]).doc("one"),
        rev("c1").down(&["a1"]).doc("two"),
    ]);
    let s = evaluate(&m, &db_read(VersionRows::NoTable), &ctx());
    assert_eq!(s.state, State::Diverged);
    assert_eq!(s.fresh, Some(Fresh::NoTable));
}

#[test]
fn distinct_labels_are_separate_branches_not_divergence() {
    let m = map([
        rev("e1").labels(&["expand"]).doc("expand root"),
        rev("e2").down(&["e1"]).doc("expand two"),
        rev("c1").labels(&["contract"]).doc("contract root"),
    ]);
    let s = evaluate(&m, &rows(&["e2", "c1"]), &ctx());
    assert_eq!(s.state, State::UpToDate);
    assert!(s.diverged.is_none());
    assert_eq!(s.heads.len(), 2);
    assert!(
        s.summary.contains("all branches (2 heads)"),
        "{}",
        s.summary
    );
    let s = evaluate(&m, &rows(&["e1", "c1"]), &ctx());
    assert_eq!(s.state, State::Behind);
    assert_eq!(pending(&s), ["e2"]);
}

#[test]
fn heads_sharing_a_label_are_diverged() {
    let m = map([
        rev("e1").labels(&["expand"]).doc("expand root"),
        rev("e2").down(&["e1"]).doc("left"),
        rev("e3").down(&["e1"]).doc("right"),
        rev("c1").labels(&["contract"]).doc("contract root"),
    ]);
    let s = evaluate(&m, &rows(&["e2", "e3", "c1"]), &ctx());
    assert_eq!(s.state, State::Diverged);
    let d = s.diverged.as_ref().expect("diverged");
    assert_eq!(ids(&d.heads), ["e2", "e3"]);
    assert!(d.reason.contains("'expand'"), "{}", d.reason);
    // Not every head is diverged: merge names the two explicitly.
    assert!(
        s.actions
            .iter()
            .any(|a| a.text.contains("merge -m 'merge heads' e2 e3")),
        "{:?}",
        s.actions
    );
}

#[test]
fn database_error_keeps_kind_and_advice() {
    let err = DbError {
        kind: DbErrorKind::Refused,
        message: "connection refused to localhost:5432".into(),
    };
    let s = evaluate(&linear(), &DbRead::Failed(err), &ctx());
    assert_eq!(s.state, State::DatabaseError);
    assert_eq!(s.exit_code(), 6);
    let e = s.error.as_ref().expect("error");
    assert_eq!(e.kind.as_str(), "connection-refused");
    assert_eq!(e.title, "Cannot connect to database");
    assert!(s.actions.iter().any(|a| a.text.contains("host and port")));
    let s = evaluate(&linear(), &DbRead::NoUrl, &ctx());
    assert_eq!(s.error.as_ref().map(|e| e.kind.as_str()), Some("no-url"));
}

#[test]
fn overlapping_rows_are_an_inconsistent_table() {
    let s = evaluate(&linear(), &rows(&["a1", "a3"]), &ctx());
    assert_eq!(s.state, State::DatabaseError);
    assert_action(
        &s,
        0,
        &["DELETE FROM alembic_version WHERE version_num = 'a1'"],
    );
}

#[test]
fn partial_id_row_resolves() {
    let m = map([
        rev("abc123").doc("first"),
        rev("def456").down(&["abc123"]).doc("second"),
    ]);
    let s = evaluate(&m, &rows(&["abc"]), &ctx());
    assert_eq!(s.state, State::Behind);
    assert_eq!(ids(&s.current), ["abc123"]);
}

#[test]
fn states_order_by_exit_code() {
    // `value_variants` is written by the derive from the enum itself, so a
    // state missing from `ALL` (or listed twice) fails here.
    let mut every = clap::ValueEnum::value_variants().to_vec();
    every.sort();
    assert_eq!(
        State::ALL.to_vec(),
        every,
        "State::ALL must list every state once, best first"
    );
    for w in State::ALL.windows(2) {
        assert!(w[0] < w[1] && w[0].exit_code() < w[1].exit_code());
    }
}

#[test]
fn repoint_prefers_the_head_this_database_has_not_applied() {
    let m = map([
        rev("a1").doc("root"),
        rev("b1")
            .down(&["a1"])
            .doc("theirs")
            .created("2026-01-01 10:00:00"),
        rev("c1")
            .down(&["a1"])
            .doc("applied here")
            .created("2026-02-01 10:00:00"),
    ]);
    let s = evaluate(&m, &rows(&["c1"]), &ctx());
    assert!(
        text(&s, 0).starts_with("If b1 is yours")
            && text(&s, 0).contains("change down_revision from 'a1' to 'c1'")
            && !text(&s, 0).contains("already applied"),
        "{:?}",
        s.actions
    );
}

#[test]
fn no_env_py_warning_when_alembic_reads_the_same_url() {
    use crate::target::UrlSource;
    let with = |source: UrlSource| {
        let c = Context {
            url_source: Some(source),
            ..ctx()
        };
        evaluate(&linear(), &rows(&["a1"]), &c)
    };
    let flag = with(UrlSource::Flag { component: None });
    assert!(
        any_action(&flag, "Before running Alembic"),
        "{:?}",
        flag.actions
    );
    let env_py = with(UrlSource::EnvPy {
        var: Some("APP_URL".into()),
        file: "migrations/env.py".into(),
        line: 9,
    });
    assert!(
        !any_action(&env_py, "Before running Alembic"),
        "{:?}",
        env_py.actions
    );
}
