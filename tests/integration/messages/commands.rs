//! The other commands' outcomes: Alembic-compatible failures, `check`
//! findings, `wait`, fleets and `skill install`.

use super::scene::{CHECK_FORMS, Scene, snap, two_components};
use crate::support;

// ------------------------------------------- Alembic-compatible commands

/// The forms of the Alembic-compatible commands: Alembic's, and JSON.
const ALEMBIC_FORMS: [&[&str]; 2] = [&[], &["--format", "json"]];

#[test]
fn alembic_commands_fail_like_alembic() {
    let s = Scene::linear();
    s.db(&["1a2b3c4d5e01"]);
    let show = ["show", "zzzz"];
    snap!(
        "alembic_show_unknown_revision",
        s,
        &show,
        &ALEMBIC_FORMS,
        255
    );
    let history = ["history", "-r", "zzzz:"];
    snap!(
        "alembic_history_bad_range",
        s,
        &history,
        &ALEMBIC_FORMS,
        255
    );
    let check_heads = ["current", "--check-heads"];
    snap!("alembic_current_check_heads", s, &check_heads, &[&[]], 255);
    let s = Scene::empty();
    snap!(
        "alembic_heads_missing_ini",
        s,
        &["heads"],
        &ALEMBIC_FORMS,
        255
    );
    let s = Scene::linear();
    s.db(&["deadbeef0000"]);
    snap!(
        "alembic_current_unknown_revision",
        s,
        &["current"],
        &[&[]],
        255
    );
}

/// Where Alembic dies with a traceback, db-status prints one clean error
/// and exits 1; where Alembic only warns, so does db-status.
#[test]
fn alembic_commands_crash_like_alembic() {
    let s = Scene::linear();
    s.rev("ab-cd", "'1a2b3c4d5e03'", "dashed");
    snap!("alembic_heads_bad_identifier", s, &["heads"], &[&[]], 1);
    snap!(
        "alembic_history_bad_identifier",
        s,
        &["history"],
        &[&[]],
        255
    );

    let s = Scene::sqlite();
    s.rev("ffff00000009", "'ffff00000009'", "self loop");
    snap!("alembic_heads_self_loop", s, &["heads"], &[&[]], 1);

    let s = Scene::linear();
    s.rev("1a2b3c4d5e04", "'deadbeef0000'", "orphan");
    snap!("alembic_heads_missing_parent", s, &["heads"], &[&[]], 1);

    let s = Scene::linear();
    s.rev("1a2b3c4d5e03", "'1a2b3c4d5e02'", "add index again");
    snap!("alembic_heads_duplicate_revision", s, &["heads"], &[&[]], 0);

    let s = Scene::linear();
    let range = ["history", "-r", "a:b:c"];
    snap!("alembic_history_range_crash", s, &range, &[&[]], 1);
    std::fs::write(
        s.path().join("alembic.ini"),
        b"[alembic]\nscript_location = migrations\n# caf\xe9\n",
    )
    .expect("ini");
    snap!("alembic_heads_ini_not_utf8", s, &["heads"], &[&[]], 1);

    let s = Scene::project("");
    s.rev("1a2b3c4d5e01", "None", "create users");
    snap!("alembic_current_no_url", s, &["current"], &[&[]], 1);
    let port = support::refused_port();
    let s = s.redact(format!(":{port}"), ":[PORT]");
    let url = format!("postgresql://app:s3cret@127.0.0.1:{port}/app");
    snap!(
        "alembic_current_refused",
        s,
        &["current", "--url", &url],
        &[&[]],
        1
    );
}

/// `graph` on a tree it cannot draw: a config error (7) in every format.
#[test]
fn graph_on_a_broken_tree() {
    let s = Scene::linear();
    s.rev("1a2b3c4d5e02", "'1a2b3c4d5e03'", "add email");
    let forms: [&[&str]; 2] = [&[], &["--format", "dot"]];
    snap!("graph_cycle", s, &["graph"], &forms, 7);
}

// ------------------------------------------------------- check findings

/// `check` on the linear project after `edit`, in every form.
fn check_case(name: &str, code: i32, edit: impl FnOnce(&Scene)) {
    let s = Scene::linear();
    edit(&s);
    let text = s.transcript(&["check"], &CHECK_FORMS, code);
    crate::messages::scene::assert_text!(name, text);
}

#[test]
fn check_findings() {
    check_case("check_clean", 0, |_| {});
    check_case("check_diverged_heads", 4, |s| {
        s.rev("1a2b3c4d5e04", "'1a2b3c4d5e02'", "add phone");
    });
    check_case("check_missing_revision", 7, |s| {
        s.rev("1a2b3c4d5e04", "'ffffffffffff'", "orphan");
    });
    check_case("check_duplicate_revision", 0, |s| {
        s.rev("1a2b3c4d5e03", "'1a2b3c4d5e02'", "add index again");
    });
    check_case("check_cycle", 7, |s| {
        s.rev("1a2b3c4d5e02", "'1a2b3c4d5e03'", "add email");
    });
    check_case("check_not_static", 7, |s| {
        s.rev("1a2b3c4d5e04", "compute_parent()", "computed");
    });
    check_case("check_syntax", 7, |s| {
        s.file(
            "migrations/versions/1a2b3c4d5e04_broken.py",
            "revision = '1a2b3c4d5e04'\ndown_revision = ('1a2b3c4d5e03'\n",
        );
    });
    check_case("check_no_revision", 7, |s| {
        s.file(
            "migrations/versions/1a2b3c4d5e04_no_id.py",
            "down_revision = '1a2b3c4d5e03'\n",
        );
    });
    check_case("check_no_down_revision", 7, |s| {
        s.file(
            "migrations/versions/1a2b3c4d5e04_no_down.py",
            "revision = '1a2b3c4d5e04'\n",
        );
    });
    check_case("check_bad_merge", 7, |s| {
        s.rev("1a2b3c4d5e04", "'1a2b3c4d5e01'", "side").rev(
            "1a2b3c4d5e05",
            "('1a2b3c4d5e01', '1a2b3c4d5e03', '1a2b3c4d5e04')",
            "merge",
        );
    });
    check_case("check_label_clash", 7, |s| {
        s.rev_with("1a2b3c4d5e01", "None", "create users", "('users',)")
            .rev_with("1a2b3c4d5e02", "'1a2b3c4d5e01'", "add email", "('users',)");
    });
    check_case("check_bad_identifier", 7, |s| {
        s.rev("1a2b-3c4d", "'1a2b3c4d5e03'", "dashed");
    });
    check_case("check_docstring_drift", 0, |s| {
        s.file(
            "migrations/versions/1a2b3c4d5e04_drift.py",
            "\"\"\"drift\n\nRevision ID: 1a2b3c4d5eff\nRevises: 1a2b3c4d5e01\n\"\"\"\n\
             revision = '1a2b3c4d5e04'\ndown_revision = '1a2b3c4d5e03'\n",
        );
    });
    let s = Scene::empty();
    snap!("check_missing_config", s, &["check"], &CHECK_FORMS, 7);
}

// ------------------------------------------------------- wait and fleets

#[test]
fn wait_outcomes() {
    let s = Scene::linear();
    s.db(&["1a2b3c4d5e01"]);
    let args = [
        "wait",
        "--until",
        "up-to-date",
        "--timeout",
        "1",
        "--interval",
        "0.3",
    ];
    snap!("wait_timeout", s, &args, &[&[]], 9);
    snap!(
        "wait_reachable_behind",
        s,
        &["wait", "--timeout", "5"],
        &[&[]],
        1
    );
    let s = Scene::linear();
    s.db(&["1a2b3c4d5e03"]);
    snap!(
        "wait_up_to_date",
        s,
        &["wait", "--until", "up-to-date", "--timeout", "5"],
        &[&[]],
        0
    );
    // A state that waiting cannot change ends the wait at once.
    let s = Scene::linear();
    s.db(&["deadbeef0000"]);
    let args = ["wait", "--until", "up-to-date", "--timeout", "30"];
    snap!(
        "wait_stops_on_a_state_waiting_cannot_change",
        s,
        &args,
        &[&[]],
        5
    );
}

#[test]
fn fleet_every_state() {
    let s = two_components("").env("DEV_URL", "sqlite:///dev.db");
    support::sqlite_db(&s.path().join("prod.db"), &["b2"]);
    support::sqlite_db(&s.path().join("staging.db"), &["a1"]);
    support::sqlite_db(&s.path().join("dev.db"), &["x1"]);
    support::sqlite_db(&s.path().join("audit.db"), &["zz"]);
    s.file(
        "targets.toml",
        "[[target]]\ncomponent = \"app\"\nurl = \"sqlite:///prod.db\"\nlabels = { env = \"prod\" }\n\n\
         [[target]]\ncomponent = \"app\"\nurl = \"sqlite:///staging.db\"\nlabels = { env = \"staging\" }\n\n\
         [[target]]\ncomponent = \"app\"\nurl = \"sqlite:///fresh.db\"\nlabels = { env = \"qa\" }\n\n\
         [[target]]\ncomponent = \"app\"\nurl_env = \"DEV_URL\"\nlabels = { env = \"dev\" }\n\n\
         [[target]]\ncomponent = \"audit\"\nurl = \"sqlite:///audit.db\"\nlabels = { env = \"prod\" }\n\n\
         [[target]]\ncomponent = \"audit\"\nurl_env = \"UNSET_URL\"\nlabels = { env = \"qa\" }\n",
    );
    let forms: [&[&str]; 3] = [&[], &["--ascii"], &["--format", "json"]];
    snap!(
        "fleet_every_state",
        s,
        &["--targets", "targets.toml"],
        &forms,
        6
    );
}

// ------------------------------------------------------------ file write

#[test]
fn skill_install_cannot_write() {
    let s = Scene::linear();
    s.file("blocked", "a file where a directory should be\n");
    snap!(
        "file_write",
        s,
        &["skill", "install", "--dir", "blocked"],
        &[&[]],
        7
    );
}
