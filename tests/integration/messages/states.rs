//! One snapshot per state of `status`, on SQLite files.

use super::scene::{STATUS_FORMS, Scene, snap, two_components};
use crate::support;

// ---------------------------------------------------------------- states

#[test]
fn state_up_to_date() {
    let s = Scene::linear();
    s.db(&["1a2b3c4d5e03"]);
    snap!("state_up_to_date", s, &[], &STATUS_FORMS, 0);
}

#[test]
fn state_behind() {
    let s = Scene::linear();
    s.db(&["1a2b3c4d5e01"]);
    snap!("state_behind", s, &[], &STATUS_FORMS, 1);
}

#[test]
fn state_no_revision_without_a_database_file() {
    let s = Scene::linear();
    snap!("state_no_revision_no_file", s, &[], &STATUS_FORMS, 3);
}

#[test]
fn state_no_revision_with_an_empty_version_table() {
    let s = Scene::linear();
    s.db(&[]);
    snap!("state_no_revision_empty_table", s, &[], &STATUS_FORMS, 3);
}

#[test]
fn state_diverged() {
    let s = Scene::sqlite();
    s.rev("1a2b3c4d5e01", "None", "create users")
        .rev("1a2b3c4d5e02", "'1a2b3c4d5e01'", "add email")
        .rev("1a2b3c4d5e03", "'1a2b3c4d5e01'", "add phone")
        .db(&["1a2b3c4d5e02"]);
    snap!("state_diverged", s, &[], &STATUS_FORMS, 4);
}

#[test]
fn state_labelled_heads_up_to_date() {
    let s = Scene::sqlite();
    s.rev_with("1a2b3c4d5e01", "None", "create users", "('users',)")
        .rev_with("1a2b3c4d5e02", "None", "create audit", "('audit',)")
        .db(&["1a2b3c4d5e01", "1a2b3c4d5e02"]);
    snap!("state_labelled_heads_up_to_date", s, &[], &STATUS_FORMS, 0);
}

#[test]
fn state_unknown_revision() {
    let s = Scene::linear();
    s.db(&["deadbeef0000"]);
    snap!("state_unknown_revision", s, &[], &STATUS_FORMS, 5);
}

#[test]
fn state_wrong_database() {
    let s = two_components("");
    support::sqlite_db(&s.path().join("audit.db"), &["x1"]);
    let args = ["--component", "app", "--url", "sqlite:///audit.db"];
    snap!("state_wrong_database", s, &args, &STATUS_FORMS, 5);
}

#[test]
fn state_unstamped() {
    let s = Scene::linear();
    let c = rusqlite::Connection::open(s.path().join("db.sqlite")).expect("sqlite");
    c.execute_batch("CREATE TABLE users (id INTEGER PRIMARY KEY)")
        .expect("table");
    snap!("state_unstamped", s, &[], &STATUS_FORMS, 8);
}

#[test]
fn state_inconsistent_version_table() {
    let s = Scene::linear();
    s.db(&["1a2b3c4d5e01", "1a2b3c4d5e03"]);
    snap!("state_inconsistent_version_table", s, &[], &STATUS_FORMS, 6);
}

#[test]
fn state_bad_data_in_the_version_table() {
    let s = Scene::linear();
    s.db(&[&"y".repeat(300)]);
    snap!("db_bad_data", s, &[], &STATUS_FORMS, 6);
}

#[test]
fn state_all_components_worst_exit_code() {
    let s = two_components("");
    support::sqlite_db(&s.path().join("app.db"), &["a1"]);
    support::sqlite_db(&s.path().join("audit.db"), &["x1"]);
    let args = [
        "--all",
        "--url",
        "app=sqlite:///app.db",
        "--url",
        "audit=sqlite:///audit.db",
    ];
    snap!("state_all_components", s, &args, &STATUS_FORMS, 1);
}

#[test]
fn state_url_from_the_environment() {
    let s = two_components("").env("DB_STATUS_URL_AUDIT", "sqlite:///audit.db");
    support::sqlite_db(&s.path().join("audit.db"), &["x1"]);
    snap!(
        "state_url_from_env",
        s,
        &["--component", "audit"],
        &STATUS_FORMS,
        0
    );
}
