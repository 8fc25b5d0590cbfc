//! One snapshot per configuration error kind and per kind of usage error.

use super::scene::{STATUS_FORMS, Scene, snap, two_components};

// -------------------------------------------------- configuration errors

#[test]
fn cfg_missing_ini() {
    let s = Scene::empty();
    snap!(
        "cfg_missing_ini",
        s,
        &["-c", "alembic.ini"],
        &STATUS_FORMS,
        7
    );
}

/// DESIGN.md: "Bad input gets a clear error naming the file and line".
#[test]
fn cfg_unreadable_ini() {
    let s = Scene::linear();
    let ini = s.path().join("alembic.ini");
    std::fs::remove_file(&ini).expect("rm");
    std::fs::create_dir(&ini).expect("mkdir");
    snap!("cfg_ini_is_a_directory", s, &[], &STATUS_FORMS, 7);

    let s = Scene::linear();
    std::fs::write(
        s.path().join("alembic.ini"),
        b"[alembic]\nscript_location = migrations\n# caf\xe9\nsqlalchemy.url = sqlite:///x.db\n",
    )
    .expect("ini");
    snap!("cfg_ini_not_utf8", s, &[], &STATUS_FORMS, 7);

    let s = Scene::linear();
    s.file(
        "alembic.ini",
        "[alembic]\nscript_location = migrations\nthis line is not a key value\nsqlalchemy.url = sqlite:///x.db\n",
    );
    snap!("cfg_ini_syntax_error", s, &[], &STATUS_FORMS, 7);
}

#[test]
fn cfg_no_script_location() {
    let s = Scene::empty();
    s.file(
        "alembic.ini",
        "[alembic]\nsqlalchemy.url = sqlite:///db.sqlite\n",
    );
    snap!("cfg_no_script_location", s, &[], &STATUS_FORMS, 7);
}

#[test]
fn cfg_script_location_not_a_directory() {
    let s = Scene::empty();
    s.file(
        "alembic.ini",
        "[alembic]\nscript_location = nowhere\nsqlalchemy.url = sqlite:///db.sqlite\n",
    );
    snap!("cfg_script_location_missing", s, &[], &STATUS_FORMS, 7);
}

#[test]
fn cfg_unreadable_revision_file() {
    let s = Scene::linear();
    s.file(
        "migrations/versions/1a2b3c4d5e04_broken.py",
        "revision = '1a2b3c4d5e04'\ndown_revision = ('1a2b3c4d5e03'\n",
    );
    snap!("cfg_unreadable_revision_file", s, &[], &STATUS_FORMS, 7);
}

#[test]
fn cfg_revision_file_without_a_revision() {
    let s = Scene::linear();
    s.file(
        "migrations/versions/1a2b3c4d5e04_no_id.py",
        "\"\"\"no id\"\"\"\ndown_revision = '1a2b3c4d5e03'\n",
    );
    snap!("cfg_missing_revision_id", s, &[], &STATUS_FORMS, 7);
}

#[test]
fn cfg_missing_parent_revision() {
    let s = Scene::linear();
    s.rev("1a2b3c4d5e04", "'ffffffffffff'", "orphan");
    snap!("cfg_missing_revision", s, &[], &STATUS_FORMS, 7);
}

#[test]
fn cfg_cycle() {
    let s = Scene::sqlite();
    s.rev("1a2b3c4d5e01", "None", "create users")
        .rev("1a2b3c4d5e02", "'1a2b3c4d5e03'", "add email")
        .rev("1a2b3c4d5e03", "'1a2b3c4d5e02'", "add index");
    snap!("cfg_cycle", s, &[], &STATUS_FORMS, 7);
}

#[test]
fn cfg_label_clash() {
    let s = Scene::sqlite();
    s.rev_with("1a2b3c4d5e01", "None", "create users", "('users',)")
        .rev_with("1a2b3c4d5e02", "'1a2b3c4d5e01'", "add email", "('users',)");
    snap!("cfg_label_clash", s, &[], &STATUS_FORMS, 7);
}

#[test]
fn cfg_bad_identifier() {
    let s = Scene::sqlite();
    s.rev("1a2b-3c4d", "None", "create users");
    snap!("cfg_bad_identifier", s, &[], &STATUS_FORMS, 7);
}

#[test]
fn cfg_project_file() {
    let s = Scene::linear();
    s.file("db-status.toml", "[app\nconfig = \"alembic.ini\"\n");
    snap!("cfg_project_file", s, &[], &STATUS_FORMS, 7);
}

#[test]
fn cfg_no_component() {
    let s = two_components("");
    snap!("cfg_no_component_several", s, &[], &STATUS_FORMS, 7);
    let s = Scene::empty();
    snap!("cfg_no_component_all", s, &["--all"], &STATUS_FORMS, 7);
}

#[test]
fn cfg_targets_file() {
    let s = two_components("");
    s.file(
        "targets.toml",
        "[[target]]\ncomponent = \"nope\"\nurl = \"sqlite:///a.db\"\n",
    );
    let forms: [&[&str]; 2] = [&[], &["--format", "json"]];
    snap!(
        "cfg_targets_file",
        s,
        &["--targets", "targets.toml"],
        &forms,
        7
    );
}

// ---------------------------------------------------------- usage errors

/// Human and JSON: a usage error is one line on stderr, or one JSON
/// document on stdout.
const USAGE_FORMS: [&[&str]; 2] = [&[], &["--format", "json"]];

#[test]
fn usage_errors() {
    let s = Scene::linear();
    let human = &USAGE_FORMS[..1];
    snap!("usage_unknown_flag", s, &["--bogus"], human, 2);
    let timeout = ["--timeout", "0"];
    snap!("usage_timeout_out_of_range", s, &timeout, &USAGE_FORMS, 2);
    let ascii = ["--ascii", "heads"];
    snap!("usage_flag_the_command_ignores", s, &ascii, human, 2);
    let url = ["check", "--url", "sqlite:///x.db"];
    snap!("usage_url_on_check", s, &url, human, 2);
    let github = ["--format", "github"];
    snap!("usage_format_github_on_status", s, &github, &[&[]], 2);
    let branches = ["branches", "--format", "json"];
    snap!("usage_format_json_on_branches", s, &branches, &[&[]], 2);
    let both = ["--all", "--component", "manager"];
    snap!("usage_all_and_component", s, &both, &USAGE_FORMS, 2);
    let targets = ["--targets", "targets.toml", "--component", "app"];
    snap!("usage_targets_and_component", s, &targets, human, 2);
}

#[test]
fn usage_unknown_component() {
    let s = Scene::linear();
    let nope = ["--component", "nope"];
    snap!("usage_unknown_component", s, &nope, &USAGE_FORMS, 2);
    let typo = ["--component", "manager", "--component", "manger"];
    snap!(
        "usage_unknown_component_did_you_mean",
        s,
        &typo,
        &USAGE_FORMS,
        2
    );
}
