//! Verdicts on revision maps built from scripts constructed in memory.

use std::path::PathBuf;

use super::*;
use crate::database::{DbErrorKind, VersionRows};
use crate::scripts::{FieldLines, Script};

fn script(id: &str, down: &[&str], labels: &[&str], doc: &str) -> Script {
    Script {
        revision: id.to_string(),
        down_revisions: down.iter().map(|s| s.to_string()).collect(),
        dependencies: Vec::new(),
        branch_labels: labels.iter().map(|s| s.to_string()).collect(),
        longdoc: doc.to_string(),
        path: PathBuf::from(format!("/proj/versions/{id}_x.py")),
        lines: FieldLines {
            revision: 9,
            down_revision: 10,
            branch_labels: 11,
            depends_on: 12,
        },
        docstring_claims: Default::default(),
    }
}

fn map(scripts: Vec<Script>) -> RevisionMap {
    RevisionMap::build(scripts).expect("map").0
}

fn ctx() -> Context {
    Context {
        name: "manager".into(),
        config: Some("alembic.ini".into()),
        script_location: Some("migrations".into()),
        database: Some("sqlite:///x.db".into()),
        alembic: "alembic".into(),
        recheck: "db-status".into(),
        cwd: PathBuf::from("/proj"),
        ..Context::default()
    }
}

fn rows(r: &[&str]) -> DbRead {
    DbRead::Rows(VersionRows::Rows(r.iter().map(|s| s.to_string()).collect()))
}

fn ids(revs: &[Revision]) -> Vec<&str> {
    revs.iter().map(|r| r.id.as_str()).collect()
}

fn linear() -> RevisionMap {
    map(vec![
        script("a1", &[], &[], "first"),
        script("a2", &["a1"], &[], "second\n\nmore text"),
        script("a3", &["a2"], &[], "third"),
    ])
}

#[test]
fn up_to_date_linear() {
    let s = evaluate(&linear(), &rows(&["a3"]), &ctx());
    assert_eq!(s.state, State::UpToDate);
    assert_eq!(s.exit_code(), 0);
    assert_eq!(ids(&s.current), ["a3"]);
    assert_eq!(ids(&s.heads), ["a3"]);
    assert!(s.pending.is_empty());
    assert!(s.actions.is_empty());
}

#[test]
fn behind_lists_pending_oldest_first_with_doc_and_relative_path() {
    let s = evaluate(&linear(), &rows(&["a1"]), &ctx());
    assert_eq!(s.state, State::Behind);
    assert_eq!(s.exit_code(), 1);
    assert_eq!(ids(&s.pending), ["a2", "a3"]);
    assert_eq!(s.pending[0].message, "second");
    assert_eq!(s.pending[0].path, PathBuf::from("versions/a2_x.py"));
    assert_eq!(s.summary, "2 migrations pending.");
    assert!(
        s.actions[0].contains("alembic upgrade heads"),
        "{:?}",
        s.actions
    );
}

#[test]
fn fresh_database_states() {
    for (db, fresh) in [
        (DbRead::Rows(VersionRows::NoTable), Fresh::NoTable),
        (
            DbRead::Rows(VersionRows::NoDatabaseFile),
            Fresh::NoDatabaseFile,
        ),
        (rows(&[]), Fresh::EmptyTable),
    ] {
        let s = evaluate(&linear(), &db, &ctx());
        assert_eq!(s.state, State::NoRevision);
        assert_eq!(s.exit_code(), 3);
        assert_eq!(s.fresh, Some(fresh));
        assert_eq!(ids(&s.pending), ["a1", "a2", "a3"]);
    }
}

#[test]
fn backend_ai_manager_fresh_mentions_oneshot() {
    let mut c = ctx();
    c.backend_ai = true;
    c.alembic = "./py -m alembic".into();
    let s = evaluate(&linear(), &DbRead::Rows(VersionRows::NoTable), &c);
    assert!(
        s.actions[0].contains("./backend.ai mgr schema oneshot"),
        "{:?}",
        s.actions
    );
    assert!(
        s.actions[1].contains("./py -m alembic upgrade head"),
        "{:?}",
        s.actions
    );
}

#[test]
fn unknown_revision_is_reported_not_crashed() {
    let s = evaluate(&linear(), &rows(&["deadbeef0000"]), &ctx());
    assert_eq!(s.state, State::UnknownRevision);
    assert_eq!(s.exit_code(), 5);
    assert_eq!(s.unknown, ["deadbeef0000"]);
    assert!(s.current.is_empty());
    assert!(s.actions.iter().any(|a| a.contains("git pull")));
    assert!(
        s.error
            .as_ref()
            .is_some_and(|e| e.message.contains("deadbeef0000"))
    );
}

#[test]
fn unknown_next_to_known_row_keeps_pending_for_known() {
    let m = map(vec![
        script("a1", &[], &[], "first"),
        script("a2", &["a1"], &[], "second"),
        script("b1", &[], &["other"], "other root"),
        script("b2", &["b1"], &[], "other two"),
    ]);
    // a-branch unlabelled, b-branch labelled: not diverged.
    let s = evaluate(&m, &rows(&["a1", "zzz"]), &ctx());
    assert_eq!(s.state, State::UnknownRevision);
    assert_eq!(ids(&s.current), ["a1"]);
    let mut pending = ids(&s.pending);
    pending.sort_unstable();
    assert_eq!(pending, ["a2", "b1", "b2"]);
}

#[test]
fn two_unlabelled_heads_are_diverged_with_common_ancestor() {
    let m = map(vec![
        script("a1", &[], &[], "root"),
        script("a2", &["a1"], &[], "base of split"),
        script(
            "b1",
            &["a2"],
            &[],
            "theirs\n\nCreate Date: 2026-01-01 10:00:00",
        ),
        script(
            "c1",
            &["a2"],
            &[],
            "mine\n\nCreate Date: 2026-02-01 10:00:00",
        ),
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
    assert!(
        s.actions[0].contains("versions/c1_x.py line 10")
            && s.actions[0].contains("change down_revision from 'a2' to 'b1'"),
        "{:?}",
        s.actions
    );
    assert!(
        s.actions[1].contains("alembic merge -m \"merge heads\" heads"),
        "{:?}",
        s.actions
    );
    // Still pending facts are kept.
    assert_eq!(ids(&s.pending), ["c1"]);
}

#[test]
fn fresh_db_under_diverged_scripts_is_diverged() {
    let m = map(vec![
        script("a1", &[], &[], "root"),
        script("b1", &["a1"], &[], "one"),
        script("c1", &["a1"], &[], "two"),
    ]);
    let s = evaluate(&m, &DbRead::Rows(VersionRows::NoTable), &ctx());
    assert_eq!(s.state, State::Diverged);
    assert_eq!(s.fresh, Some(Fresh::NoTable));
}

#[test]
fn distinct_labels_are_separate_branches_not_divergence() {
    let m = map(vec![
        script("e1", &[], &["expand"], "expand root"),
        script("e2", &["e1"], &[], "expand two"),
        script("c1", &[], &["contract"], "contract root"),
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
    assert_eq!(ids(&s.pending), ["e2"]);
}

#[test]
fn heads_sharing_a_label_are_diverged() {
    let m = map(vec![
        script("e1", &[], &["expand"], "expand root"),
        script("e2", &["e1"], &[], "left"),
        script("e3", &["e1"], &[], "right"),
        script("c1", &[], &["contract"], "contract root"),
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
            .any(|a| a.contains("merge -m \"merge heads\" e2 e3")),
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
    assert_eq!(e.kind, "connection-refused");
    assert_eq!(e.title, "Cannot connect to database");
    assert!(s.actions.iter().any(|a| a.contains("host and port")));
    let s = evaluate(&linear(), &DbRead::NoUrl, &ctx());
    assert_eq!(s.error.as_ref().map(|e| e.kind.as_str()), Some("no-url"));
}

#[test]
fn overlapping_rows_are_an_inconsistent_table() {
    let s = evaluate(&linear(), &rows(&["a1", "a3"]), &ctx());
    assert_eq!(s.state, State::DatabaseError);
    assert!(
        s.actions[0].contains("DELETE FROM alembic_version WHERE version_num = 'a1'"),
        "{:?}",
        s.actions
    );
}

#[test]
fn partial_id_row_resolves() {
    let m = map(vec![
        script("abc123", &[], &[], "first"),
        script("def456", &["abc123"], &[], "second"),
    ]);
    let s = evaluate(&m, &rows(&["abc"]), &ctx());
    assert_eq!(s.state, State::Behind);
    assert_eq!(ids(&s.current), ["abc123"]);
}

#[test]
fn states_order_by_exit_code() {
    let all = [
        State::UpToDate,
        State::Behind,
        State::NoRevision,
        State::Diverged,
        State::UnknownRevision,
        State::DatabaseError,
        State::ConfigError,
    ];
    for w in all.windows(2) {
        assert!(w[0] < w[1] && w[0].exit_code() < w[1].exit_code());
    }
}

#[test]
fn repoint_prefers_the_head_this_database_has_not_applied() {
    let m = map(vec![
        script("a1", &[], &[], "root"),
        script(
            "b1",
            &["a1"],
            &[],
            "theirs\n\nCreate Date: 2026-01-01 10:00:00",
        ),
        script(
            "c1",
            &["a1"],
            &[],
            "applied here\n\nCreate Date: 2026-02-01 10:00:00",
        ),
    ]);
    let s = evaluate(&m, &rows(&["c1"]), &ctx());
    assert!(
        s.actions[0].starts_with("If b1 is yours")
            && s.actions[0].contains("change down_revision from 'a1' to 'c1'")
            && !s.actions[0].contains("already applied"),
        "{:?}",
        s.actions
    );
}
